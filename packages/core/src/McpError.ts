/**
 * Errors as data, and the one place that maps them to JSON-RPC error codes.
 *
 * Protocol errors become JSON-RPC error responses; a tool's own failure becomes
 * an `isError` result instead (spec 2025-11-25 server/tools "Error Handling").
 *
 * @since 0.1.0
 */
import { Cause, Schema } from "effect"
import { ErrorCode, type ErrorObject } from "./JsonRpc.js"

/**
 * The brand of the errors answered as JSON-RPC error responses. `isProtocolError`
 * checks it, not `_tag`: a user's own error tagged `"InvalidParams"` is a tool
 * execution error, not a protocol error (spec 2025-11-25 server/tools "Error
 * Handling"). `Symbol.for`, so two copies of this module agree.
 */
export const ProtocolErrorTypeId: unique symbol = Symbol.for("@emcee/core/McpError/ProtocolError")

/** The type of `ProtocolErrorTypeId`. */
export type ProtocolErrorTypeId = typeof ProtocolErrorTypeId

/** -32700: the bytes were not JSON. */
export class ParseError extends Schema.TaggedError<ParseError>()("ParseError", { message: Schema.String }) {
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
}

/** -32600: the JSON was not a valid request, or the request is not allowed now. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", { message: Schema.String }) {
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
}

/** -32601: no such method (or a capability the server does not have). */
export class MethodNotFound extends Schema.TaggedError<MethodNotFound>()("MethodNotFound", { method: Schema.String }) {
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
  override get message() {
    return `Method not found: ${clip(this.method)}`
  }
}

/** -32602: params did not match the method's schema, or named something unknown (a tool, a prompt, a cursor). */
export class InvalidParams extends Schema.TaggedError<InvalidParams>()("InvalidParams", {
  message: Schema.String,
  data: Schema.optional(Schema.Unknown)
}) {
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
}

/** -32603: the server failed. The message sent to the client never carries internals. */
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", { message: Schema.String }) {
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
}

/** -32002: `resources/read` of a URI no resource or template serves (spec server/resources "Error Handling"). */
export class ResourceNotFound extends Schema.TaggedError<ResourceNotFound>()("ResourceNotFound", { uri: Schema.String }) {
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
  override get message() {
    return `Resource not found: ${clip(this.uri, 200)}`
  }
}

/** -32042: the request needs the user to complete URL-mode elicitations first (spec client/elicitation). */
export class UrlElicitationRequired extends Schema.TaggedError<UrlElicitationRequired>()("UrlElicitationRequired", {
  message: Schema.String,
  elicitations: Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
}

/**
 * An error with a code of its own, answered as given: codes in the JSON-RPC
 * range for implementation-defined server errors (-32000 to -32099) or the
 * application's own. A middleware's declared failure is answered as one
 * (code -32000, the encoded failure as `data`).
 */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  code: Schema.Int,
  message: Schema.String,
  data: Schema.optional(Schema.Unknown)
}) {
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
}

/**
 * The request's protocol version is not one this server speaks (spec
 * 2026-07-28 basic/versioning "Protocol Version Negotiation"): -32022 with
 * the versions it does (`supported`) and the one asked for (`requested`).
 */
export class UnsupportedProtocolVersion extends Schema.TaggedError<UnsupportedProtocolVersion>()("UnsupportedProtocolVersion", {
  supported: Schema.Array(Schema.String),
  requested: Schema.String
}) {
  override get message() {
    return "Unsupported protocol version"
  }
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
}

/**
 * Serving the request needs a capability the client did not declare in its
 * request's `_meta` (spec 2026-07-28 basic/index "Error Codes",
 * MissingRequiredClientCapabilityError): `requiredCapabilities` names it as a
 * `ClientCapabilities` object, e.g. `{ sampling: {} }`.
 */
export class MissingRequiredClientCapability extends Schema.TaggedError<MissingRequiredClientCapability>()(
  "MissingRequiredClientCapability",
  { requiredCapabilities: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }
) {
  override get message() {
    return `Missing required client capability: ${Object.keys(this.requiredCapabilities).join(", ")}`
  }
  /** The protocol-error brand (see `ProtocolErrorTypeId`). */
  get [ProtocolErrorTypeId](): ProtocolErrorTypeId {
    return ProtocolErrorTypeId
  }
}

/** Any error that is answered as a JSON-RPC error response. */
export type ProtocolError =
  | ParseError
  | InvalidRequest
  | MethodNotFound
  | InvalidParams
  | InternalError
  | ResourceNotFound
  | UrlElicitationRequired
  | ServerError
  | UnsupportedProtocolVersion
  | MissingRequiredClientCapability

/**
 * True for the errors that `toJsonRpc` maps to a code: those carrying the
 * `ProtocolErrorTypeId` brand. A value whose `_tag` merely reads like one
 * (a user's `InvalidParams`) is not.
 */
export const isProtocolError = (u: unknown): u is ProtocolError =>
  typeof u === "object" && u !== null && ProtocolErrorTypeId in u

// --- errors of server-to-client requests ---------------------------------------

/** The client did not declare the capability a server-to-client request needs (spec basic/lifecycle "Capability Negotiation"). */
export class ClientCapabilityMissing extends Schema.TaggedError<ClientCapabilityMissing>()("ClientCapabilityMissing", {
  capability: Schema.String
}) {
  override get message() {
    return `The client did not declare the "${this.capability}" capability`
  }
}

/** A server-to-client request got no answer in time; the server sent `notifications/cancelled`. */
export class RequestTimeout extends Schema.TaggedError<RequestTimeout>()("RequestTimeout", {
  method: Schema.String,
  millis: Schema.Number
}) {
  override get message() {
    return `${this.method} got no response within ${this.millis} ms`
  }
}

/** The client answered a server-to-client request with a JSON-RPC error. */
export class ClientError extends Schema.TaggedError<ClientError>()("ClientError", {
  method: Schema.String,
  code: Schema.Number,
  message: Schema.String,
  data: Schema.optional(Schema.Unknown)
}) {}

/** The connection closed before the client answered. */
export class ConnectionClosed extends Schema.TaggedError<ConnectionClosed>()("ConnectionClosed", {
  method: Schema.String
}) {
  override get message() {
    return `The connection closed before ${this.method} was answered`
  }
}

/**
 * The user accepted a form elicitation but its `content` does not decode with
 * the form's Schema (spec 2025-11-25 client/elicitation "Response Actions": the
 * client's content should match the requested schema; the server validates).
 */
export class ElicitationContentInvalid extends Schema.TaggedError<ElicitationContentInvalid>()("ElicitationContentInvalid", {
  message: Schema.String
}) {}

/** Failures of `sampling/createMessage`, `elicitation/create` and `roots/list`. */
export type ClientRequestError = ClientCapabilityMissing | RequestTimeout | ClientError | ConnectionClosed

// --- the one mapping -------------------------------------------------------------

/** The JSON-RPC error object for a protocol error. */
export const toJsonRpc = (error: ProtocolError): ErrorObject => {
  switch (error._tag) {
    case "ParseError":
      return { code: ErrorCode.ParseError, message: error.message }
    case "InvalidRequest":
      return { code: ErrorCode.InvalidRequest, message: error.message }
    case "MethodNotFound":
      return { code: ErrorCode.MethodNotFound, message: error.message }
    case "InvalidParams":
      return error.data === undefined
        ? { code: ErrorCode.InvalidParams, message: error.message }
        : { code: ErrorCode.InvalidParams, message: error.message, data: error.data }
    case "InternalError":
      return { code: ErrorCode.InternalError, message: error.message }
    case "ResourceNotFound":
      return { code: ErrorCode.ResourceNotFound, message: error.message, data: { uri: error.uri } }
    case "UrlElicitationRequired":
      return { code: ErrorCode.UrlElicitationRequired, message: error.message, data: { elicitations: error.elicitations } }
    case "UnsupportedProtocolVersion":
      return { code: ErrorCode.UnsupportedProtocolVersion, message: error.message, data: { supported: error.supported, requested: error.requested } }
    case "MissingRequiredClientCapability":
      return { code: ErrorCode.MissingRequiredClientCapability, message: error.message, data: { requiredCapabilities: error.requiredCapabilities } }
    case "ServerError":
      return error.data === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, data: error.data }
  }
}

/**
 * The JSON-RPC error object for whatever a request ended with: protocol errors
 * keep their code; anything else (a defect, an unexpected failure) is -32603
 * with a generic message, so internals never reach the client.
 */
export const fromCause = (cause: Cause.Cause<unknown>): ErrorObject => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some" && isProtocolError(failure.value)) return toJsonRpc(failure.value)
  return { code: ErrorCode.InternalError, message: "Internal error" }
}

// --- bounded renderings of what a client sent -----------------------------------

/** A high surrogate (the first half of a pair): a cut right after it would leave it alone. */
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff

/**
 * `text` cut to at most `maxChars` characters, `…` marking the cut (never
 * splitting a surrogate pair). For names and URIs a client sent that an error
 * message repeats: a 1 MB tool name must not make a 1 MB error.
 */
export const clip = (text: string, maxChars = 100): string => {
  if (text.length <= maxChars) return text
  let end = Math.max(0, maxChars - 1)
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--
  return `${text.slice(0, end)}…`
}

/** Arrays and objects nested deeper than this are shown as `[…]` and `{…}`. */
const previewDepth = 3

/**
 * A one-line, JSON-like rendering of a value a client sent, for error messages
 * (`"text"`, `5`, `[1,2]`, `{"a":[[…]]}`): at most `maxChars` characters, `…`
 * marking a cut. It never throws and its recursion is bounded, whatever the
 * value: nesting thousands of levels deep, a cycle, a 1 MB string, a million
 * keys, a getter that throws. (Effect's own formatting of a value recurses
 * over all of it and overflows the stack on deep nesting.)
 */
export const preview = (value: unknown, maxChars = 100): string => {
  let out = ""
  // Appends until past `maxChars`; the result is cut once at the end.
  const full = () => out.length > maxChars
  const go = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case "string":
        out += JSON.stringify(v.length > maxChars ? v.slice(0, maxChars + 1) : v)
        return
      case "bigint":
        out += `${v}n`
        return
      case "function":
        out += "<function>"
        return
      case "object":
        break
      default:
        out += String(v)
        return
    }
    if (v === null) {
      out += "null"
      return
    }
    if (Array.isArray(v)) {
      if (v.length === 0) {
        out += "[]"
        return
      }
      if (depth >= previewDepth) {
        out += "[…]"
        return
      }
      out += "["
      for (let i = 0; i < v.length && !full(); i++) {
        if (i > 0) out += ","
        go(v[i], depth + 1)
      }
      out += "]"
      return
    }
    if (v instanceof Date) {
      out += Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString()
      return
    }
    const toString = (v as { toString?: unknown }).toString
    if (typeof toString === "function" && toString !== Object.prototype.toString) {
      // A class with its own rendering (what Effect's formatter shows too), cut below.
      out += String(toString.call(v)).slice(0, maxChars + 1)
      return
    }
    let first = true
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue
      if (first) {
        if (depth >= previewDepth) {
          out += "{…}"
          return
        }
        out += "{"
        first = false
      } else {
        out += ","
      }
      if (full()) break
      out += `${JSON.stringify(key.length > maxChars ? key.slice(0, maxChars + 1) : key)}:`
      go((v as Record<string, unknown>)[key], depth + 1)
    }
    out += first ? "{}" : "}"
  }
  try {
    go(value, 0)
  } catch {
    // A getter or a `toString` threw: what was written so far, marked as cut.
    return clip(`${out}…`, maxChars)
  }
  return clip(out, maxChars)
}

/** Characters of a failure's text sent to the model. */
const maxDescribeChars = 1000

/** What the model is told about a failure that says nothing readable about itself. */
export const genericFailureText = "The tool failed"

/**
 * The `message` of an error, unless it is the one `Schema.TaggedError` makes
 * up for a class without a `message` field (its fields dumped, `{ path: "…" }`),
 * which is internals rather than a message: that class's prototype holds the
 * getter and its constructor an own static `_tag`.
 */
const ownMessage = (u: object): string | undefined => {
  for (let o: object | null = u; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(o, "message")
    if (descriptor === undefined) continue
    if (descriptor.get !== undefined && o !== u) {
      const ctor = (o as { constructor?: unknown }).constructor
      const fields = typeof ctor === "function" ? (ctor as { fields?: unknown }).fields : undefined
      if (
        typeof ctor === "function" && Object.hasOwn(ctor, "_tag") && typeof fields === "object" && fields !== null &&
        !("message" in fields)
      ) return undefined
    }
    try {
      const message = (u as { message?: unknown }).message
      return typeof message === "string" ? message : undefined
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * The text a model reads for a tool failure that becomes an `isError` result
 * (spec 2025-11-25 server/tools "Error Handling": tool execution errors carry
 * actionable feedback). It says what the error says about itself and nothing
 * more, at most 1,000 characters:
 *
 * - a tagged error (`Data.TaggedError`, `Schema.TaggedError`): `Tag: message`,
 *   or the tag alone without a message (never a dump of its fields);
 * - an `Error`: its message (its name if empty);
 * - a string: itself;
 * - anything else: a generic text.
 *
 * Defects never get here: they are -32603 "Internal error", the cause logged.
 */
export const describe = (u: unknown): string => clip(describeUnbounded(u), maxDescribeChars)

const describeUnbounded = (u: unknown): string => {
  if (typeof u === "string") return u.length > 0 ? u : genericFailureText
  if (typeof u !== "object" || u === null) return genericFailureText
  let tag: unknown
  try {
    tag = (u as { _tag?: unknown })._tag
  } catch {
    tag = undefined
  }
  const message = ownMessage(u)
  if (typeof tag === "string" && tag.length > 0) {
    return message === undefined || message.length === 0 || message === tag ? tag : `${tag}: ${message}`
  }
  if (message !== undefined && message.length > 0) return message
  if (u instanceof Error) return typeof u.name === "string" && u.name.length > 0 ? u.name : "Error"
  return genericFailureText
}
