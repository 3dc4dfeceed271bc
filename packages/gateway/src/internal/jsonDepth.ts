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

/**
 * Whether `value` nests objects or arrays deeper than `max` levels. The
 * recursion stops at `max`, so hostile input cannot overflow the stack here;
 * it allocates nothing (it runs on every forwarded request).
 */
export const deeperThan = (value: unknown, max: number): boolean => deeper(value, 1, max)

const deeper = (value: unknown, depth: number, max: number): boolean => {
  if (typeof value !== "object" || value === null) return false
  if (depth > max) return true
  if (Array.isArray(value)) {
    for (const child of value) if (deeper(child, depth + 1, max)) return true
    return false
  }
  const record = value as Record<string, unknown>
  for (const key in record) if (deeper(record[key], depth + 1, max)) return true
  return false
}

/** The error of a request whose params nest deeper than `MAX_DEPTH` (JSON-RPC -32602 Invalid params). */
export const tooDeep = (backend: string): McpClient.McpClientError =>
  new McpClient.McpClientError({
    code: -32602,
    message: `Invalid params: nested deeper than ${MAX_DEPTH} levels of objects and arrays; the gateway does not forward them to the backend "${backend}"`
  })
