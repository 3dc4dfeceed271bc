/**
 * How deep a forwarded request's params may nest. JSON.parse reads any
 * depth, but JSON.stringify recurses: params nested some thousands of
 * levels deep (spec 2025-11-25 server/tools "Calling Tools": `arguments`
 * is any JSON object) exhaust the stack when the gateway serializes them
 * for the backend, and the caller would get a bare "Internal error". They
 * are refused before forwarding with "Invalid params" (-32602) naming the
 * limit, the way serde_json and others bound recursion.
 *
 * @internal
 */
import { McpClient } from "@emcee/core"

/** The deepest nesting of objects and arrays in a request's params the gateway forwards. */
export const MAX_DEPTH = 256

/** Whether `value` nests objects or arrays deeper than `max` levels; iterative, so hostile input cannot overflow the stack here. */
export const deeperThan = (value: unknown, max: number): boolean => {
  const pending: Array<readonly [unknown, number]> = [[value, 1]]
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!
    if (typeof item !== "object" || item === null) continue
    if (depth > max) return true
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === "object" && child !== null) pending.push([child, depth + 1])
    }
  }
  return false
}

/** The error of a request whose params nest deeper than `MAX_DEPTH` (JSON-RPC -32602 Invalid params). */
export const tooDeep = (backend: string): McpClient.McpClientError =>
  new McpClient.McpClientError({
    code: -32602,
    message: `Invalid params: nested deeper than ${MAX_DEPTH} levels of objects and arrays; the gateway does not forward them to the backend "${backend}"`
  })
