/**
 * The request headers of Streamable HTTP under 2026-07-28 (spec 2026-07-28
 * basic/transports/streamable-http "Request Metadata", "Server
 * Validation"): `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` mirror
 * the body, so that intermediaries can route on them; a server that reads
 * the body refuses a request whose headers are missing or disagree with it
 * (400, `HeaderMismatch` -32020).
 */
import type { JsonRpc } from "@emcee/core"
import { McpSchema } from "@emcee/core"

/** The methods whose `Mcp-Name` is required, and the body field it mirrors. */
const nameSource: Readonly<Record<string, "name" | "uri">> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri"
}

const SENTINEL_PREFIX = "=?base64?"
const SENTINEL_SUFFIX = "?="

/** RFC 9110 field-value characters: visible ASCII, space, horizontal tab. */
const isFieldValue = (value: string): boolean => /^[\x20-\x7e\t]*$/.test(value)

/**
 * A header value as the client meant it (spec "Value Encoding"): the UTF-8 of
 * a `=?base64?…?=` value, or the value itself; undefined when it is neither
 * a valid field value nor valid Base64 of UTF-8.
 */
export const decodeValue = (value: string): string | undefined => {
  if (!isFieldValue(value)) return undefined
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX) && value.length >= SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length)) {
    return value
  }
  const encoded = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(encoded, "base64"))
  } catch {
    return undefined
  }
}

const quote = (value: string): string => JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)

/**
 * Why a 2026-07-28 request lacks a required per-request field (spec
 * 2026-07-28 basic/index "Per-request protocol fields": `_meta` with
 * `protocolVersion` and `clientCapabilities`), or undefined.
 */
export const missingMeta = (request: JsonRpc.Request): string | undefined => {
  const meta = request.params?._meta
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return `Invalid params: "_meta" with the per-request protocol fields is required`
  const fields = meta as JsonRpc.JsonObject
  if (typeof fields[McpSchema.MetaKey.protocolVersion] !== "string") {
    return `Invalid params: "_meta.${McpSchema.MetaKey.protocolVersion}" is required`
  }
  const capabilities = fields[McpSchema.MetaKey.clientCapabilities]
  if (typeof capabilities !== "object" || capabilities === null || Array.isArray(capabilities)) {
    return `Invalid params: "_meta.${McpSchema.MetaKey.clientCapabilities}" is required`
  }
  return undefined
}

/**
 * Why the headers of a 2026-07-28 request disagree with its body, or
 * undefined when they agree. `header` reads a request header by lower-case
 * name.
 */
export const mismatch = (header: (name: string) => string | undefined, request: JsonRpc.Request): string | undefined => {
  const version = header("mcp-protocol-version")
  const meta = request.params?._meta
  const bodyVersion = typeof meta === "object" && meta !== null ? (meta as JsonRpc.JsonObject)[McpSchema.MetaKey.protocolVersion] : undefined
  if (version !== bodyVersion) {
    return bodyVersion === undefined
      ? `Header mismatch: MCP-Protocol-Version is ${quote(String(version))} but the body has no _meta["${McpSchema.MetaKey.protocolVersion}"]`
      : `Header mismatch: MCP-Protocol-Version header value ${quote(String(version))} does not match body value ${quote(String(bodyVersion))}`
  }
  const method = header("mcp-method")
  if (method === undefined) return "Header mismatch: the Mcp-Method header is required"
  if (method !== request.method) {
    return `Header mismatch: Mcp-Method header value ${quote(method)} does not match body value ${quote(request.method)}`
  }
  const source = nameSource[request.method]
  if (source === undefined) return undefined
  const name = header("mcp-name")
  if (name === undefined) return `Header mismatch: the Mcp-Name header is required for ${request.method}`
  const decoded = decodeValue(name)
  if (decoded === undefined) return "Header mismatch: the Mcp-Name header value is not a valid header value or Base64 value"
  const bodyName = request.params?.[source]
  if (decoded !== bodyName) {
    return `Header mismatch: Mcp-Name header value ${quote(decoded)} does not match body value ${quote(typeof bodyName === "string" ? bodyName : String(bodyName))}`
  }
  return undefined
}
