/**
 * The request headers of Streamable HTTP under 2026-07-28 (spec 2026-07-28
 * basic/transports/streamable-http "Request Metadata", "Server
 * Validation"): `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` mirror
 * the body, so that intermediaries can route on them; a server that reads
 * the body refuses a request whose headers are missing or disagree with it
 * (400, `HeaderMismatch` -32020). A `tools/call` also carries the
 * `Mcp-Param-{Name}` headers its tool's `x-mcp-header` annotations ask for
 * ("Custom Headers from Tool Parameters"), checked the same way.
 */
import type { JsonRpc } from "@emcee/core"
import { McpSchema, Tool } from "@emcee/core"

/** The methods whose `Mcp-Name` is required, and the body field it mirrors. */
/** The body field `Mcp-Name` mirrors, by method (spec 2026-07-28 basic/transports/streamable-http "Standard Request Headers"). */
export const nameSource: Readonly<Record<string, "name" | "uri" | "taskId">> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  // The io.modelcontextprotocol/tasks extension names its task in Mcp-Name too.
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId"
}

const SENTINEL_PREFIX = "=?base64?"
const SENTINEL_SUFFIX = "?="

/**
 * A header value as spec 2026-07-28 basic/transports/streamable-http "Value
 * Encoding" says a client sends it: as it is when it is plain visible ASCII
 * with inner spaces only, else `=?base64?{Base64 of its UTF-8}?=` (as is a
 * plain value that looks like the sentinel).
 */
export const encodeValue = (value: string): string => {
  const plain = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/.test(value) &&
    !(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX))
  if (plain) return value
  let binary = ""
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte)
  return `${SENTINEL_PREFIX}${btoa(binary)}${SENTINEL_SUFFIX}`
}

/**
 * The headers every 2026-07-28 request carries (spec 2026-07-28
 * basic/transports/streamable-http "Request Metadata"): `Accept`,
 * `Content-Type`, `MCP-Protocol-Version` (when the version is known),
 * `Mcp-Method`, and `Mcp-Name` for
 * the methods that name something, encoded as "Value Encoding" says; and the
 * name it mirrors, when there is one. Written into `into` (over what it
 * holds), or a new record.
 */
export const metadata = <H extends Record<string, string | number> = Record<string, string>>(
  message: JsonRpc.Request,
  version: string | undefined,
  into: H = {} as H
): { readonly headers: H; readonly name: string | undefined } => {
  const headers = into as Record<string, string | number>
  headers.accept = "application/json, text/event-stream"
  headers["content-type"] = "application/json"
  if (version !== undefined) headers["mcp-protocol-version"] = version
  headers["mcp-method"] = message.method
  const source = nameSource[message.method]
  const value = source === undefined ? undefined : message.params?.[source]
  const name = typeof value === "string" ? value : undefined
  if (name !== undefined) headers["mcp-name"] = encodeValue(name)
  return { headers: into, name }
}

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

const isObject = (value: unknown): value is JsonRpc.JsonObject => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * The instance value at a chain of `properties` keys (spec 2026-07-28
 * basic/transports/streamable-http "Schema Extension": "reading the instance
 * value at the exact property path"), or undefined. Own keys only: a
 * parameter named `constructor` is not found on every object.
 */
const valueAt = (args: unknown, path: ReadonlyArray<string>): unknown => {
  let value = args
  for (const key of path) {
    if (!isObject(value) || !Object.hasOwn(value, key)) return undefined
    value = value[key]
  }
  return value
}

/** A decimal number as a header may spell an integer (`42`, `-7`, `42.0`, `4.2e1`). */
const DECIMAL = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/

/**
 * Whether a decoded header value stands for a body value (spec 2026-07-28
 * basic/transports/streamable-http "Value Encoding": a string as is, a
 * boolean as `true` / `false`; "Server Validation": an integer compared
 * numerically, so `42.0` is 42). True, or why not.
 */
const agrees = (decoded: string, value: unknown): true | string => {
  switch (typeof value) {
    case "string":
      return decoded === value || `header value ${quote(decoded)} does not match body value ${quote(value)}`
    case "boolean":
      return decoded === String(value) || `header value ${quote(decoded)} does not match body value ${value}`
    case "number":
      return (DECIMAL.test(decoded) && Number(decoded) === value) || `header value ${quote(decoded)} does not match body value ${value}`
    default:
      return "cannot carry the body value: a header parameter is a string, an integer or a boolean"
  }
}

/**
 * Why the `Mcp-Param-{Name}` headers of a 2026-07-28 `tools/call` disagree
 * with its arguments, or undefined (spec 2026-07-28
 * basic/transports/streamable-http "Server Behavior for Custom Headers"):
 * for each parameter of the called tool with an `x-mcp-header`, the header
 * is present exactly when the arguments have a non-null value at its path,
 * is a valid header value or `=?base64?…?=` value, and decodes to that
 * value. Other `Mcp-Param-*` headers are not this server's and are ignored.
 * `tool` looks up a registered tool's definition; a tool without annotations
 * costs one lookup (its parameters are computed once and cached).
 */
export const paramMismatch = (
  header: (name: string) => string | undefined,
  request: JsonRpc.Request,
  tool: (name: string) => McpSchema.Tool | undefined
): string | undefined => {
  if (request.method !== "tools/call") return undefined
  const name = request.params?.name
  const definition = typeof name === "string" ? tool(name) : undefined
  if (definition === undefined) return undefined
  const parameters = Tool.headerParameters(definition)
  if (parameters.length === 0) return undefined
  const args = request.params?.arguments
  for (const parameter of parameters) {
    const value = valueAt(args, parameter.path)
    const raw = header(parameter.header)
    // spec "Server Behavior for Custom Headers": a null or absent value has no header.
    if (value === undefined || value === null) {
      if (raw !== undefined) return `Header mismatch: Mcp-Param-${parameter.name} header is present but the body has no value at ${at(parameter)}`
      continue
    }
    if (raw === undefined) return `Header mismatch: the Mcp-Param-${parameter.name} header is required: the body has a value at ${at(parameter)}`
    const decoded = decodeValue(raw)
    if (decoded === undefined) return `Header mismatch: the Mcp-Param-${parameter.name} header value is not a valid header value or Base64 value`
    const agreed = agrees(decoded, value)
    if (agreed !== true) return `Header mismatch: Mcp-Param-${parameter.name} ${agreed} (${at(parameter)})`
  }
  return undefined
}

/** Where a parameter is in the request, for messages (the path is the tool's, not the client's). */
const at = (parameter: Tool.HeaderParameter): string => `arguments.${parameter.path.join(".")}`
