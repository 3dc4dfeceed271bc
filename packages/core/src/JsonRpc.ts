/**
 * JSON-RPC 2.0 framing as MCP uses it.
 *
 * MCP messages are JSON-RPC 2.0 requests, notifications and responses
 * (spec 2025-11-25 basic/index "Messages"). Batching was removed in 2025-06-18,
 * so an array on the wire is an Invalid Request.
 *
 * Decoding the envelope is on the hot path of every message, so `classify` is a
 * hand-written structural check; the `Schema`s below describe the same shapes
 * for property tests and for anyone who wants to encode or decode with Schema.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A request id: a string or an integer, never null (spec basic/index
 * "Requests"). An integer id must be a safe integer (at most 2^53 - 1 in
 * magnitude): `JSON.parse` rounds larger ones, so the response would carry a
 * different id; `classify` refuses them.
 */
export type RequestId = string | number

/** JSON-RPC 2.0 and MCP error codes (spec basic/index "Responses", server/resources "Error Handling", client/elicitation "URL Elicitation Required Error"). */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** spec 2025-11-25 server/resources "Error Handling" */
  ResourceNotFound: -32002,
  /** spec 2025-11-25 client/elicitation "URL Elicitation Required Error" */
  UrlElicitationRequired: -32042,
  /** spec 2026-07-28 basic/index "Error Codes": HeaderMismatch */
  HeaderMismatch: -32020,
  /** spec 2026-07-28 basic/index "Error Codes": MissingRequiredClientCapability */
  MissingRequiredClientCapability: -32021,
  /** spec 2026-07-28 basic/index "Error Codes": UnsupportedProtocolVersion */
  UnsupportedProtocolVersion: -32022
} as const

/** A JSON object as carried in `params` and `result`. */
export type JsonObject = { readonly [key: string]: unknown }

/** A request: expects exactly one response with the same id. */
export interface Request {
  readonly jsonrpc: "2.0"
  readonly id: RequestId
  readonly method: string
  readonly params?: JsonObject | undefined
}

/** A notification: no id, no response. */
export interface Notification {
  readonly jsonrpc: "2.0"
  readonly method: string
  readonly params?: JsonObject | undefined
}

/** A successful response. */
export interface Success {
  readonly jsonrpc: "2.0"
  readonly id: RequestId
  readonly result: JsonObject
}

/** The `error` member of an error response. */
export interface ErrorObject {
  readonly code: number
  readonly message: string
  readonly data?: unknown
}

/**
 * An error response. `id` is left out only when the request id could not be
 * read (spec 2025-11-25 basic/index "Error Responses": `id?`; unlike base
 * JSON-RPC, MCP never uses a null id).
 */
export interface Failure {
  readonly jsonrpc: "2.0"
  readonly id?: RequestId
  readonly error: ErrorObject
}

/** Either kind of response. */
export type Response = Success | Failure

/** Any JSON-RPC message. */
export type Message = Request | Notification | Response

// --- Schemas (for property tests and Schema users) ---------------------------

/** @internal */
const JsonObjectSchema = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** Schema of a request id: a string or a safe integer (`Schema.Int` is `Number.isSafeInteger`; see `RequestId`). */
export const RequestIdSchema = Schema.Union(Schema.String, Schema.Int)

/** Schema of a request. */
export const RequestSchema = Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: RequestIdSchema,
  method: Schema.String,
  params: Schema.optional(JsonObjectSchema)
})

/** Schema of a notification. */
export const NotificationSchema = Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  method: Schema.String,
  params: Schema.optional(JsonObjectSchema)
})

/** Schema of a success response. */
export const SuccessSchema = Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: RequestIdSchema,
  result: JsonObjectSchema
})

/** Schema of an error response. */
export const FailureSchema = Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: Schema.optional(RequestIdSchema),
  error: Schema.Struct({ code: Schema.Int, message: Schema.String, data: Schema.optional(Schema.Unknown) })
})

/** Schema of any message. */
export const MessageSchema = Schema.Union(RequestSchema, NotificationSchema, SuccessSchema, FailureSchema)

// --- Classification -----------------------------------------------------------

/** What `classify` found. */
export type Classified =
  | { readonly _tag: "Request"; readonly message: Request }
  | { readonly _tag: "Notification"; readonly message: Notification }
  | { readonly _tag: "Response"; readonly message: Response }
  | { readonly _tag: "Invalid"; readonly response: Failure }

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** A string or a safe integer: an integer beyond 2^53 was rounded by `JSON.parse`, so it is not the id that was sent. */
const isRequestId = (u: unknown): u is RequestId =>
  typeof u === "string" || (typeof u === "number" && Number.isSafeInteger(u))


/** Builds an error response; a null or undefined id (one that could not be read) is left out. */
export const failure = (id: RequestId | null | undefined, code: number, message: string, data?: unknown): Failure => {
  const error: ErrorObject = data === undefined ? { code, message } : { code, message, data }
  return id === null || id === undefined ? { jsonrpc: "2.0", error } : { jsonrpc: "2.0", id, error }
}

/** Builds a success response. */
export const success = (id: RequestId, result: JsonObject): Success => ({ jsonrpc: "2.0", id, result })

/** The response to bytes that are not JSON: no id could be read, so none is sent. */
export const parseErrorResponse = (detail?: string): Failure =>
  failure(null, ErrorCode.ParseError, detail === undefined ? "Parse error" : `Parse error: ${detail}`)

const invalid = (id: RequestId | null, why: string): Classified => ({
  _tag: "Invalid",
  response: failure(id, ErrorCode.InvalidRequest, `Invalid Request: ${why}`)
})

/**
 * The -32600 for a message whose id is not a `RequestId`, saying `why`
 * unless it is an integer beyond 2^53: `JSON.parse` has rounded it, so the id
 * that was sent cannot be read and the response leaves it out (spec
 * 2025-11-25 basic/index "Error Responses": the id is left out when it could
 * not be read). Off `classify`'s own code, which stays small: it is on the
 * hot path of every message.
 */
const invalidId = (rawId: unknown, why: string): Classified =>
  invalid(
    null,
    typeof rawId === "number" && Number.isInteger(rawId)
      ? "an integer \"id\" beyond 2^53 (Number.MAX_SAFE_INTEGER) cannot be represented exactly; send such an id as a string"
      : why
  )

/**
 * Sorts a parsed JSON value into request, notification or response, or says
 * why it is not a valid JSON-RPC 2.0 message (code -32600, with the request id
 * when one could be read).
 */
export const classify = (u: unknown): Classified => {
  if (!isObject(u)) {
    return invalid(null, Array.isArray(u) ? "batches are not supported (removed in MCP 2025-06-18)" : "a message must be a JSON object")
  }
  const rawId = u.id
  const hasId = "id" in u
  const id = isRequestId(rawId) ? rawId : null
  if (u.jsonrpc !== "2.0") return invalid(id, "\"jsonrpc\" must be \"2.0\"")
  if ("method" in u) {
    if (typeof u.method !== "string") return invalid(id, "\"method\" must be a string")
    const params = u.params
    if (params !== undefined && !isObject(params)) return invalid(id, "\"params\" must be an object")
    if (!hasId) {
      return { _tag: "Notification", message: u as unknown as Notification }
    }
    if (id === null) return invalidId(rawId, "\"id\" must be a string or an integer")
    return { _tag: "Request", message: u as unknown as Request }
  }
  if ("result" in u || "error" in u) {
    if ("result" in u && "error" in u) return invalid(id, "a response has either \"result\" or \"error\"")
    if ("result" in u) {
      if (id === null) return invalidId(rawId, "a response needs the id of its request")
      if (!isObject(u.result)) return invalid(id, "\"result\" must be an object")
      return { _tag: "Response", message: u as unknown as Success }
    }
    const error = u.error
    if (!isObject(error) || typeof error.code !== "number" || typeof error.message !== "string") {
      return invalid(id, "\"error\" must have a numeric code and a string message")
    }
    // A peer speaking base JSON-RPC may send id null on an error it could not attribute.
    if (hasId && rawId !== null && id === null) return invalidId(rawId, "\"id\" must be a string or an integer")
    return { _tag: "Response", message: u as unknown as Failure }
  }
  return invalid(id, "a message needs a \"method\", a \"result\" or an \"error\"")
}

/**
 * Parses one text frame (a stdio line, an HTTP body, a WebSocket message) into
 * JSON, turning bad JSON into the -32700 response. A leading UTF-8 byte order
 * mark is not JSON but some writers add one: it is skipped, on every transport.
 */
export const parse = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly response: Failure } => {
  try {
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) }
  } catch (e) {
    return { ok: false, response: parseErrorResponse(e instanceof Error ? e.message : undefined) }
  }
}

/**
 * Serializes a message for the wire, and never throws. `JSON.stringify` throws
 * on values a handler may return (nesting deep enough to exhaust the stack,
 * cycles, BigInt): a response that cannot be serialized becomes a -32603
 * error response with the same id (spec basic/index "Responses": every
 * request gets exactly one response); any other message that cannot be
 * serialized yields undefined and the caller drops it.
 */
export const encode = (message: Message): string | undefined => {
  try {
    return JSON.stringify(message)
  } catch {
    if (!("result" in message) && !("error" in message)) return undefined
    // The id too may be what failed (a BigInt where a number was meant): then it cannot be sent.
    const id: unknown = (message as Response).id
    const sendable = typeof id === "string" || typeof id === "number" ? id : undefined
    try {
      return JSON.stringify(failure(sendable, ErrorCode.InternalError, "Internal error: the response could not be serialized"))
    } catch {
      return undefined
    }
  }
}
