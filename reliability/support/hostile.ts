/**
 * Hostile messages shared by the HTTP and stdio suites, and what the spec
 * (2025-11-25) says the answer to each must be.
 */
import fc from "fast-check"
import type { JsonRpcMessage } from "./http.js"

/** Error text longer than this is unbounded (the server echoes the hostile input back). */
export const ERROR_TEXT_BOUND = 4 * 1024

export type Shape = "array" | "object" | "mixed"

/** A JSON text nested `depth` levels (built as a string: no recursion in the test process). */
export const deepJson = (depth: number, shape: Shape, leaf: string): string => {
  const open: Array<string> = []
  const close: Array<string> = []
  for (let i = 0; i < depth; i++) {
    const array = shape === "array" || (shape === "mixed" && i % 2 === 0)
    open.push(array ? "[" : "{\"k\":")
    close.push(array ? "]" : "}")
  }
  return open.join("") + leaf + close.reverse().join("")
}

/** Where the deep value goes in the echo call. */
export type Placement = "message" | "extra" | "arguments"

export interface DeepCase {
  readonly depth: number
  readonly shape: Shape
  readonly leaf: string
  readonly placement: Placement
}

/**
 * Deeply nested `arguments` to `echo` (input `{ message: string }`): 1,000 to 5,000 levels of
 * arrays, objects or both (a few KB to ~30 KB).
 */
export const deepCase: fc.Arbitrary<DeepCase> = fc.record({
  depth: fc.integer({ min: 1_000, max: 5_000 }),
  shape: fc.constantFrom<Shape>("array", "object", "mixed"),
  leaf: fc.constantFrom("\"x\"", "1", "null", "true", "{}", "[]", "\"\\u0000\""),
  placement: fc.constantFrom<Placement>("message", "extra", "arguments")
})

/** The arguments text of a deep case. */
export const deepArguments = (c: DeepCase): string => {
  const deep = deepJson(c.depth, c.shape, c.leaf)
  switch (c.placement) {
    case "message":
      return `{"message":${deep}}`
    case "extra":
      return `{"message":"x","extra":${deep}}`
    case "arguments":
      return deep
  }
}

/** A tools/call request as text, with `argumentsJson` spliced in verbatim. */
export const callText = (id: number | string, name: string, argumentsJson: string): string =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argumentsJson}}}`

/** The text a tools/call result carries. */
export const resultText = (response: JsonRpcMessage): string => {
  const result = response.result as { content?: ReadonlyArray<{ type?: string; text?: string }> } | undefined
  return (result?.content ?? []).map((c) => c.text ?? "").join("\n")
}

export const isToolError = (response: JsonRpcMessage): boolean =>
  typeof response.result === "object" && response.result !== null && (response.result as { isError?: unknown }).isError === true

/** How long the error text of a response is (JSON-RPC error message + data, or an isError result's text). */
export const errorTextLength = (response: JsonRpcMessage): number => {
  if (response.error !== undefined) {
    return String(response.error.message ?? "").length + (response.error.data === undefined ? 0 : JSON.stringify(response.error.data).length)
  }
  return isToolError(response) ? resultText(response).length : 0
}

/**
 * Checks the one response to a deep case against the spec: schema-invalid
 * arguments are a tool execution error (server/tools "Error Handling":
 * `isError: true`); `arguments` that is not an object does not satisfy
 * CallToolRequest, a JSON-RPC error -32602. An extra property next to a valid
 * `message` may be accepted or refused as invalid input. Returns what is
 * wrong, or undefined.
 */
export const checkDeep = (c: DeepCase, response: JsonRpcMessage): string | undefined => {
  const text = JSON.stringify(response).slice(0, 300)
  if (errorTextLength(response) >= ERROR_TEXT_BOUND) return `an error text of ${errorTextLength(response)} characters: ${text}`
  const nonObject = c.placement === "arguments" && c.shape !== "object"
  if (nonObject) {
    return response.error?.code === -32602 ? undefined : `expected a JSON-RPC error -32602 (arguments is not an object), got ${text}`
  }
  if (response.error !== undefined) return `expected a tools/call result, got a JSON-RPC error: ${text}`
  if (isToolError(response)) return undefined
  if (c.placement === "extra" && resultText(response) === "Echo: x") return undefined
  return `expected a result with isError: true (schema-invalid arguments), got ${text}`
}

/** Ids JSON cannot carry exactly in a JavaScript number (above 2^53 in magnitude). */
export const unsafeIds: ReadonlyArray<string> = ["9007199254740993", "-9007199254740993", "18446744073709551616", "123456789012345678901234567890"]

/** The error a request with an unreadable id must get: -32600 with a null (or absent) id (JSON-RPC 2.0 §5). */
export const checkUnsafeIdResponse = (response: JsonRpcMessage): string | undefined =>
  response.error?.code === -32600 && (response.id === null || response.id === undefined)
    ? undefined
    : `expected error -32600 with id null, got ${JSON.stringify(response).slice(0, 300)}`

/** A valid echo request text to garble. */
export const echoText = (id: number | string, message: string): string => callText(id, "echo", JSON.stringify({ message }))

export interface Mutation {
  readonly kind: "truncate" | "insert" | "delete" | "replace" | "duplicate"
  readonly at: number
  readonly length: number
  readonly chars: string
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation["kind"]>("truncate", "insert", "delete", "replace", "duplicate"),
  at: fc.nat(),
  length: fc.integer({ min: 1, max: 8 }),
  chars: fc.oneof(
    fc.string({ unit: fc.constantFrom("{", "}", "[", "]", "\"", ",", ":", "\\", " ", "0", "e", "-", "\n", "\u0000") , minLength: 1, maxLength: 4 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 })
  )
})

/** Applies a mutation to a text (positions wrap around its length). */
export const mutate = (text: string, m: Mutation): string => {
  const at = m.at % (text.length + 1)
  switch (m.kind) {
    case "truncate":
      return text.slice(0, at)
    case "insert":
      return text.slice(0, at) + m.chars + text.slice(at)
    case "delete":
      return text.slice(0, at) + text.slice(at + m.length)
    case "replace":
      return text.slice(0, at) + m.chars + text.slice(at + m.chars.length)
    case "duplicate":
      return text.slice(0, at) + text.slice(at, at + m.length) + text.slice(at)
  }
}

/** What a message text says about its id: a request id the answer must carry, or none to read. */
export type ReadableId =
  | { readonly _tag: "Request"; readonly id: string | number }
  | { readonly _tag: "Notification" }
  | { readonly _tag: "Unreadable" }

export const readId = (text: string): ReadableId => {
  let value: unknown
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""))
  } catch {
    return { _tag: "Unreadable" }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { _tag: "Unreadable" }
  const message = value as { id?: unknown; method?: unknown }
  if (!("id" in message)) return typeof message.method === "string" ? { _tag: "Notification" } : { _tag: "Unreadable" }
  if (typeof message.id === "string" || (typeof message.id === "number" && Number.isSafeInteger(message.id))) {
    return { _tag: "Request", id: message.id }
  }
  return { _tag: "Unreadable" }
}
