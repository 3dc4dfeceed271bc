/**
 * The client side of Streamable HTTP (spec 2025-11-25 basic/transports
 * "Streamable HTTP"), as a `McpClient.ClientTransport`:
 *
 * - every message is POSTed to the MCP endpoint with
 *   `Accept: application/json, text/event-stream` ("Sending Messages to the
 *   Server" 1.-2.); a JSON body or an SSE stream answers it;
 * - the `Mcp-Session-Id` of the initialize response is sent on every later
 *   request ("Session Management" 2.), with `MCP-Protocol-Version` ("Protocol
 *   Version Header"); a 404 on the session fails the transport: the session
 *   expired ("Session Management" 4.). The request the 404 answered fails
 *   with -32000 and `data.processed: false` (`McpClient.notProcessed`): the
 *   server never read it, so it may be sent again on a new session whatever
 *   it does. The transport fails once every other request of the session has
 *   its own answer (at most 2 s later), so each learns whether the server
 *   read it;
 * - after initialization a GET opens the server's own stream ("Listening for
 *   Messages from the Server"; a 405 means the server has none);
 * - a dropped SSE stream is resumed with a GET carrying `Last-Event-ID`,
 *   after the server's `retry` ("Resumability and Redelivery");
 * - closing the scope DELETEs the session ("Session Management" 5.);
 * - an HTTP error answering a request's POST (413 for a body over the
 *   server's limit, 401, 403...) fails that request only, with -32000 and
 *   `data.httpStatus`; so does a server closing the connection while the
 *   request is being sent (EPIPE), as servers do with a body over their
 *   limit, with `data.closedWhileSending`; the session goes on;
 * - a cancelled request (`notifications/cancelled`, spec basic/utilities/cancellation)
 *   has its POST closed once the notification is on its way, and the
 *   notification's own POST is not waited for: a server that never answers
 *   holds up neither the caller nor a socket.
 *
 * What a server sends is bounded (`maxMessageBytes`, default 16 MiB): a JSON
 * response body, and each SSE event. A request whose answer is larger fails
 * with an error naming the limit (code `McpClient.ClientErrorCode.InvalidResult`,
 * `data.maxMessageBytes`), and the response is cancelled, which closes its
 * connection, instead of the client buffering without end; the session
 * stays usable. An oversized event on the GET stream is skipped: the stream
 * is opened again without `Last-Event-ID`.
 *
 * A request whose `_meta` carries `io.modelcontextprotocol/protocolVersion`
 * 2026-07-28 is sent as that revision's Streamable HTTP says (spec
 * 2026-07-28 basic/transports/streamable-http), whatever came before:
 *
 * - no `Mcp-Session-Id`; `MCP-Protocol-Version` from the body, `Mcp-Method`,
 *   and `Mcp-Name` for `tools/call`, `prompts/get` and `resources/read`
 *   ("Request Metadata"), Base64-wrapped as `=?base64?…?=` when the value is
 *   not plain ASCII ("Value Encoding");
 * - `Mcp-Param-{Name}` headers for the `tools/call` arguments the tool's
 *   `inputSchema` marks with `x-mcp-header`, learnt from the `tools/list`
 *   results that went through this transport; a tool whose annotations break
 *   the spec's rules is left out of those results, with a warning ("Custom
 *   Headers from Tool Parameters");
 * - an HTTP error carrying a JSON-RPC error (-32022, -32601, -32020, -32602,
 *   ...) is delivered as that error; another failure (no JSON-RPC body, or a
 *   code of the legacy range -32000..-32019) answers the request locally
 *   with -32000 and `data.httpStatus` ("Backward Compatibility" reads both);
 * - an SSE response is read until the response, never resumed ("Resumable
 *   SSE streams via Last-Event-ID are not supported"); a
 *   `subscriptions/listen` response stays open as long as the subscription;
 * - `notifications/cancelled` for such a request is not sent: the request's
 *   response stream is closed, which cancels it ("Cancellation").
 *
 * @example
 * import { Effect } from "effect"
 * import { McpClient } from "@emcee/core"
 * import { HttpClientTransport } from "@emcee/transport"
 *
 * const program = Effect.gen(function*() {
 *   const transport = yield* HttpClientTransport.make({ url: "http://127.0.0.1:3000/mcp" })
 *   const client = yield* McpClient.make({ transport, clientInfo: { name: "demo", version: "1.0.0" } })
 *   return yield* client.callTool("echo", { text: "hi" })
 * }).pipe(Effect.scoped)
 *
 * @since 0.1.0
 */
import { JsonRpc, McpClient, McpSchema, Tool } from "@emcee/core"
import { Data, Effect, FiberMap, FiberSet, Mailbox, type Scope, Stream } from "effect"
import * as ClosedWhileSendingText from "./internal/closedWhileSending.js"
import * as HttpErrorAnswer from "./internal/httpErrorAnswer.js"
import * as SseParser from "./internal/sseParser.js"
import * as RequestHeaders from "./internal/requestHeaders.js"

/** How dropped SSE streams are reconnected. */
export interface ReconnectOptions {
  /** Delay before the first reconnection when the server sent no `retry`; doubles each attempt. Default 1000 ms. */
  readonly initialDelayMillis?: number
  /** Largest delay between attempts. Default 30,000 ms. */
  readonly maxDelayMillis?: number
  /** Failed attempts in a row before giving up on a stream. Default 5. */
  readonly maxRetries?: number
}

/** Options of `make`. */
export interface Options {
  /** The MCP endpoint. */
  readonly url: string | URL
  /** Extra headers on every request (for example `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>
  /** The fetch to use; default the global one. */
  readonly fetch?: typeof globalThis.fetch
  /** Open the GET stream after initialization. Default true. */
  readonly openGetStream?: boolean
  readonly reconnect?: ReconnectOptions
  /**
   * The largest JSON response body, and the largest SSE event, in bytes;
   * default `DEFAULT_MAX_MESSAGE_BYTES` (16 MiB). Larger ones fail their
   * request (see the module's documentation).
   */
  readonly maxMessageBytes?: number
}

/** The default of `Options.maxMessageBytes`: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024

/**
 * A response body or SSE event over the limit. The transport answers the
 * request with it (as a JSON-RPC error); a `fetch` given in `Options` that
 * reads bodies whole itself may reject with one, and it is handled the same.
 */
export class MessageTooLarge extends Data.TaggedError("MessageTooLarge")<{
  /** The limit, in bytes. */
  readonly limit: number
  readonly message: string
}> {}

/**
 * The server closed the connection while the request was still being sent
 * (EPIPE: a write to a closed connection). A server closes rather than reads
 * a body it will not take (over its limit), so this is that request's
 * refusal, as an HTTP 413 would be when it arrives first: answered to that
 * request alone, with -32000 and `data.closedWhileSending`.
 */
class ClosedWhileSending extends Data.TaggedError("ClosedWhileSending")<{ readonly message: string }> {}

const isTooLarge = (error: unknown): error is MessageTooLarge =>
  error instanceof MessageTooLarge || (typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "MessageTooLarge" &&
    typeof (error as { limit?: unknown }).limit === "number")

/** A Streamable HTTP client transport. */
export interface HttpClientTransport extends McpClient.ClientTransport {
  /** The `Mcp-Session-Id` the server assigned, once initialized (never under 2026-07-28). */
  readonly sessionId: () => string | undefined
  /**
   * The protocol revision sent as `MCP-Protocol-Version`: the initialize
   * result's, or else the last 2026-07-28 request's.
   */
  readonly protocolVersion: () => string | undefined
}

/** The longest the POST of a `notifications/cancelled` may take, in the background. */
const CANCEL_POST_MILLIS = 10_000

/** How long, after a 404 expired the session, the requests still open may take to be answered before the transport fails. */
const EXPIRY_GRACE_MILLIS = 2_000

/** The transport's own error code for a request it could not deliver (as the SDK's "connection closed"). */
const TRANSPORT_ERROR = -32000

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const isObject = (u: unknown): u is JsonRpc.JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

/** The 2026-07-28 version a request declares in `_meta`, when it is one served statelessly. */
const statelessVersion = (message: JsonRpc.Message): string | undefined => {
  if (!("method" in message && "id" in message)) return undefined
  const meta = message.params?._meta
  const version = isObject(meta) ? meta[McpSchema.MetaKey.protocolVersion] : undefined
  return typeof version === "string" && McpSchema.isStateless(version) ? version : undefined
}

/** A body read up to a limit: its text, or over the limit (the body then cancelled, closing its connection), or unreadable. */
type Read = { readonly _tag: "Text"; readonly text: string } | { readonly _tag: "TooLarge" } | { readonly _tag: "Unreadable" }

/**
 * Reads a response body as UTF-8 text, at most `limit` bytes: a declared
 * `Content-Length` over it is refused before reading; past it while reading,
 * the body is cancelled. Interrupting the read cancels the body too.
 */
const readBody = (response: Response, limit: number): Effect.Effect<Read> =>
  Effect.promise(async (signal): Promise<Read> => {
    const body = response.body
    if (body === null) return { _tag: "Text", text: "" }
    const declared = Number(response.headers.get("content-length") ?? "")
    if (Number.isFinite(declared) && declared > limit) {
      await body.cancel().catch(() => {})
      return { _tag: "TooLarge" }
    }
    const reader = body.getReader()
    const cancel = () => void reader.cancel().catch(() => {})
    signal.addEventListener("abort", cancel, { once: true })
    const decoder = new TextDecoder()
    let text = ""
    let size = 0
    try {
      while (true) {
        const { done, value } = await reader.read()
        if (done) break
        size += value.byteLength
        if (size > limit) {
          cancel()
          return { _tag: "TooLarge" }
        }
        text += decoder.decode(value, { stream: true })
      }
      return { _tag: "Text", text: text + decoder.decode() }
    } catch {
      return { _tag: "Unreadable" }
    } finally {
      signal.removeEventListener("abort", cancel)
    }
  })

/**
 * The message as JSON, or why it cannot be: `JSON.stringify` recurses, so
 * params nested thousands of levels deep exhaust the stack (JSON.parse does
 * not, so such a message can arrive from elsewhere and be forwarded).
 */
const serialize = (message: JsonRpc.Message): { readonly json: string } | { readonly problem: string } => {
  try {
    return { json: JSON.stringify(message) }
  } catch (error) {
    return { problem: `the message cannot be serialized as JSON (${describe(error)}): are its params nested too deeply?` }
  }
}

/** JSON-RPC "Invalid params": the code of a request this transport cannot send as it is. */
const INVALID_PARAMS = -32602

/** The most of an error body kept for a message. */
const ERROR_BODY_BYTES = 64 * 1024

/** A response body parsed as JSON: its value, not JSON (or unreadable), or over the limit. */
const jsonBody = (response: Response, limit: number): Effect.Effect<
  { readonly _tag: "Json"; readonly value: unknown } | { readonly _tag: "NotJson" } | { readonly _tag: "TooLarge" }
> =>
  Effect.map(readBody(response, limit), (read) => {
    if (read._tag !== "Text") return read._tag === "TooLarge" ? read : { _tag: "NotJson" as const }
    try {
      return { _tag: "Json" as const, value: JSON.parse(read.text) as unknown }
    } catch {
      return { _tag: "NotJson" as const }
    }
  })

/** The text of an error response, for a message (at most `ERROR_BODY_BYTES` read; "" when longer or unreadable). */
const errorText = (response: Response): Effect.Effect<string> =>
  Effect.map(readBody(response, ERROR_BODY_BYTES), (read) => (read._tag === "Text" ? read.text : ""))

/**
 * The `Mcp-Param-{Name}` headers of a `tools/call` (spec 2026-07-28
 * basic/transports/streamable-http "Client Behavior"): each annotated value
 * present in the arguments, as a string (integers in decimal, booleans
 * lowercase), encoded; absent and null values send no header.
 */
const paramHeaderValues = (headers: ReadonlyArray<Tool.HeaderParameter>, args: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const header of headers) {
    let value: unknown = args
    for (const key of header.path) value = isObject(value) ? value[key] : undefined
    const text = typeof value === "string"
      ? value
      : typeof value === "boolean"
      ? String(value)
      : typeof value === "number" && Number.isSafeInteger(value)
      ? String(value)
      : undefined
    if (text !== undefined) out[header.header] = RequestHeaders.encodeValue(text)
  }
  return out
}

interface StreamState {
  lastEventId: string
  retry: number | undefined
  /** The request whose response ends this stream (POST streams). */
  readonly requestId: JsonRpc.RequestId | undefined
  responded: boolean
}

/**
 * Connects lazily: nothing is sent until the first message (the client's
 * `initialize`). Closing the scope stops every stream and DELETEs the session.
 */
export const make = (options: Options): Effect.Effect<HttpClientTransport, never, Scope.Scope> =>
  Effect.gen(function*() {
    const url = new URL(options.url)
    const fetchImpl = options.fetch ?? globalThis.fetch
    const initialDelay = options.reconnect?.initialDelayMillis ?? 1000
    const maxDelay = options.reconnect?.maxDelayMillis ?? 30_000
    const maxRetries = options.reconnect?.maxRetries ?? 5
    const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    if (!(maxBytes > 0)) return yield* Effect.dieMessage(`HttpClientTransport: maxMessageBytes is a positive number of bytes, got ${maxBytes}`)

    let sessionId: string | undefined
    let protocolVersion: string | undefined
    /** The version of the last 2026-07-28 request. */
    let statelessProtocolVersion: string | undefined
    /** `x-mcp-header` annotations by tool name, from the `tools/list` results delivered. */
    const toolHeaders = new Map<string, ReadonlyArray<Tool.HeaderParameter>>()
    /** What to do to the result of a request before delivering it, by request id. */
    const transforms = new Map<JsonRpc.RequestId, (result: JsonRpc.JsonObject) => Effect.Effect<JsonRpc.JsonObject>>()
    let initializeId: JsonRpc.RequestId | undefined
    let listening = false
    /** Set when the transport ended: later sends fail with it. */
    let ended: McpClient.TransportError | undefined

    const mailbox = yield* Mailbox.make<JsonRpc.Message, McpClient.TransportError>()
    yield* Effect.addFinalizer(() => mailbox.end)
    // spec basic/transports "Session Management" 5.: a client that no longer needs the session SHOULD DELETE it.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const id = sessionId
        ended ??= new McpClient.TransportError({ message: "The transport is closed" })
        if (id === undefined) return Effect.void
        // 405: the server does not let clients end sessions (allowed by the spec); nothing else to do either way.
        // Interruptible, or the timeout could not stop it inside this finalizer (a server that stopped answering).
        return request("DELETE", headers({}), undefined).pipe(
          Effect.flatMap((response) => Effect.promise(() => response.body?.cancel() ?? Promise.resolve())),
          Effect.interruptible,
          Effect.timeout(5_000),
          Effect.ignore
        )
      })
    )
    const fibers = yield* FiberSet.make()
    /** 2026-07-28 requests in flight: interrupting one closes its response stream, which cancels it. */
    const statelessRuns = yield* FiberMap.make<JsonRpc.RequestId>()
    /** 2025-11-25 requests whose POST is open (until its response): closed once the request is cancelled. */
    const requestRuns = yield* FiberMap.make<JsonRpc.RequestId>()

    const headers = (extra: Record<string, string>): Record<string, string> => {
      const all: Record<string, string> = { ...options.headers, ...extra }
      if (sessionId !== undefined) all["mcp-session-id"] = sessionId
      // spec "Protocol Version Header": sent on every request after initialization.
      if (protocolVersion !== undefined) all["mcp-protocol-version"] = protocolVersion
      return all
    }

    const request = (method: string, init: Record<string, string>, body: string | undefined) =>
      Effect.tryPromise({
        try: (signal) => fetchImpl(url, body === undefined ? { method, headers: init, signal } : { method, headers: init, body, signal }),
        catch: (error): McpClient.TransportError | MessageTooLarge | ClosedWhileSending =>
          isTooLarge(error)
            ? new MessageTooLarge({ limit: error.limit, message: `${method} ${url.href}: ${error.message}` })
            : ClosedWhileSendingText.isBrokenPipe(error) && body !== undefined
            ? new ClosedWhileSending({ message: ClosedWhileSendingText.message(`${method} ${url.href}`, body.length, error) })
            : new McpClient.TransportError({ message: `${method} ${url.href} failed: ${describe(error)}` })
      })

    const tooLarge = (what: string) =>
      new MessageTooLarge({
        limit: maxBytes,
        message: `POST ${url.href}: ${what} is larger than maxMessageBytes (${maxBytes} bytes); it was not read and its connection was closed`
      })

    /** Answers a request the server closed the connection on while it was being sent (see `ClosedWhileSending`). */
    const answerClosedWhileSending = (id: JsonRpc.RequestId, error: ClosedWhileSending) =>
      deliver(JsonRpc.failure(id, TRANSPORT_ERROR, error.message, ClosedWhileSendingText.data))

    /** Answers a request whose answer was over the limit (the session stays usable: not a transport failure). */
    const answerTooLarge = (id: JsonRpc.RequestId, error: MessageTooLarge) =>
      deliver(JsonRpc.failure(id, McpClient.ClientErrorCode.InvalidResult, error.message, { maxMessageBytes: error.limit }))

    /** Requests of the session still waiting for their answer. */
    let unanswered = 0
    /** Set by a 404; the transport fails with it once `unanswered` is 0. */
    let expiring: McpClient.TransportError | undefined
    const failExpired = Effect.suspend(() => (expiring === undefined ? Effect.void : Effect.asVoid(mailbox.fail(expiring))))

    const expire = (status: number) =>
      Effect.suspend(() => {
        // spec "Session Management" 4.: a 404 for a session id means the session is gone; a new one needs a new initialize.
        const error = new McpClient.TransportError({
          message: `The session expired: the server answered ${status} Not Found for Mcp-Session-Id ${sessionId ?? ""}; connect again to start a new session`
        })
        ended ??= error
        if (expiring !== undefined) return Effect.void
        expiring = error
        // The POSTs still waiting learn their own fate first (a 404: not read; an answer; a lost connection).
        // (This request still counts itself when it comes from `post`.)
        if (unanswered === 0) return failExpired
        return Effect.asVoid(FiberSet.run(fibers, Effect.delay(failExpired, EXPIRY_GRACE_MILLIS)))
      })

    /** A request of the session, counted in `unanswered` until it is answered or failed. */
    const counted = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.suspend(() => {
        unanswered++
        return Effect.ensuring(
          effect,
          Effect.suspend(() => {
            unanswered--
            return unanswered === 0 ? failExpired : Effect.void
          })
        )
      })

    const deliver = (value: unknown): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (Array.isArray(value)) return Effect.forEach(value, deliver, { discard: true })
        const classified = JsonRpc.classify(value)
        if (classified._tag === "Invalid") return Effect.logDebug("HttpClientTransport: ignored an invalid message", classified.response.error.message)
        const message = classified.message
        if (classified._tag === "Response" && "result" in message && message.id === initializeId) {
          const version = message.result["protocolVersion"]
          if (typeof version === "string") protocolVersion = version
        }
        if (classified._tag === "Response" && "result" in classified.message) {
          const success = classified.message
          const transform = transforms.get(success.id)
          if (transform !== undefined) {
            transforms.delete(success.id)
            return Effect.flatMap(transform(success.result), (result) => mailbox.offer({ ...success, result })).pipe(Effect.asVoid)
          }
        }
        return Effect.asVoid(mailbox.offer(message))
      })

    /**
     * Answers a request locally when its POST failed, so the caller fails now rather than at its timeout;
     * `httpStatus` when the server answered an HTTP error without a JSON-RPC one.
     */
    const failRequest = (id: JsonRpc.RequestId, message: string, httpStatus?: number) =>
      deliver(JsonRpc.failure(id, TRANSPORT_ERROR, message, httpStatus === undefined ? undefined : { httpStatus }))

    const delay = (state: StreamState, attempt: number) =>
      Effect.sleep(state.retry ?? Math.min(maxDelay, initialDelay * 2 ** attempt))

    /**
     * Reads one SSE response until it ends or drops (`"ended"`), or until an
     * event grows past `maxMessageBytes` (`"too-large"`: the body is
     * cancelled, which closes its connection); never fails.
     */
    const consume = (response: Response, state: StreamState): Effect.Effect<"ended" | "too-large"> => {
      const body = response.body
      if (body === null) return Effect.succeed("ended")
      const parser = SseParser.make()
      const onEvents = (events: ReadonlyArray<SseParser.Event>) =>
        Effect.forEach(events, (event) => {
          if (event.lastEventId !== "") state.lastEventId = event.lastEventId
          // Empty data: the priming event (spec "Sending Messages to the Server" 6.), only a cursor.
          if (event.type !== "message" || event.data === "") return Effect.void
          let value: unknown
          try {
            value = JSON.parse(event.data)
          } catch {
            return Effect.logDebug("HttpClientTransport: ignored an SSE event that is not JSON")
          }
          if (state.requestId !== undefined && typeof value === "object" && value !== null && !("method" in value) && (value as { id?: unknown }).id === state.requestId) {
            state.responded = true
          }
          return deliver(value)
        }, { discard: true }).pipe(
          Effect.tap(() =>
            Effect.sync(() => {
              const retry = parser.retry()
              if (retry !== undefined) state.retry = retry
            })
          )
        )
      const overLimit = Symbol("overLimit")
      return Stream.fromReadableStream({ evaluate: () => body, onError: (error): unknown => error }).pipe(
        Stream.runForEach((chunk) =>
          Effect.zipRight(
            onEvents(parser.push(chunk)),
            // Failing the stream cancels the reader (the body), which closes the connection.
            Effect.suspend(() => (parser.pendingBytes() > maxBytes ? Effect.fail(overLimit) : Effect.void))
          )
        ),
        Effect.zipRight(Effect.suspend(() => onEvents(parser.end()))),
        Effect.as("ended" as const),
        // A dropped connection is the normal way a stream ends early; the caller decides whether to resume.
        Effect.catchAll((error) => Effect.succeed(error === overLimit ? "too-large" as const : "ended" as const))
      )
    }

    /** GET on the MCP endpoint, optionally resuming after `lastEventId`. */
    const get = (lastEventId: string) =>
      request("GET", headers(lastEventId === "" ? { accept: "text/event-stream" } : { accept: "text/event-stream", "last-event-id": lastEventId }), undefined)

    const discard = (response: Response) => Effect.promise(() => response.body?.cancel().catch(() => {}) ?? Promise.resolve())

    /**
     * Follows the SSE stream answering a POSTed request until its response
     * arrives, resuming it with `Last-Event-ID` when it drops (spec
     * "Resumability and Redelivery" 2.: resumption is always via GET).
     */
    const followPost = (response: Response, requestId: JsonRpc.RequestId) =>
      Effect.gen(function*() {
        const state: StreamState = { lastEventId: "", retry: undefined, requestId, responded: false }
        if ((yield* consume(response, state)) === "too-large") return yield* answerTooLarge(requestId, tooLarge("an SSE event of the response"))
        let attempt = 0
        while (!state.responded && ended === undefined) {
          if (state.lastEventId === "") {
            return yield* failRequest(requestId, "The response stream ended before the response, and the server gave no event id to resume it")
          }
          if (attempt >= maxRetries) return yield* failRequest(requestId, `The response stream could not be resumed after ${attempt} attempts`)
          yield* delay(state, attempt)
          attempt++
          const resumed = yield* Effect.either(get(state.lastEventId))
          if (resumed._tag === "Left") continue
          const r = resumed.right
          if (r.status === 404 && sessionId !== undefined) {
            yield* discard(r)
            return yield* expire(404)
          }
          if (!r.ok || !(r.headers.get("content-type") ?? "").includes("text/event-stream")) {
            yield* discard(r)
            return yield* failRequest(requestId, `The response stream could not be resumed: HTTP ${r.status}`)
          }
          attempt = 0
          if ((yield* consume(r, state)) === "too-large") return yield* answerTooLarge(requestId, tooLarge("an SSE event of the response"))
        }
      })

    /** The server's own stream (spec "Listening for Messages from the Server"), kept open and resumed for the session's life. */
    const listen = Effect.gen(function*() {
      const state: StreamState = { lastEventId: "", retry: undefined, requestId: undefined, responded: false }
      let attempt = 0
      while (ended === undefined) {
        const opened = yield* Effect.either(get(state.lastEventId))
        if (opened._tag === "Right") {
          const r = opened.right
          // spec "Listening for Messages from the Server" 3.: 405 means the server offers no such stream.
          if (r.status === 405) return yield* discard(r)
          if (r.status === 404 && sessionId !== undefined) {
            yield* discard(r)
            return yield* expire(404)
          }
          if (r.ok && (r.headers.get("content-type") ?? "").includes("text/event-stream")) {
            attempt = 0
            const outcome = yield* consume(r, state)
            if (ended !== undefined) return
            if (outcome === "too-large") {
              // Resuming would replay it: skip it, opening a fresh stream; a server that keeps doing it runs out of attempts.
              yield* Effect.logWarning(`HttpClientTransport: skipped an SSE event of the GET stream larger than maxMessageBytes (${maxBytes} bytes)`)
              state.lastEventId = ""
              attempt = 1
              yield* delay(state, attempt)
              continue
            }
            yield* delay(state, 0)
            continue
          }
          yield* discard(r)
          // The server no longer knows the event id (evicted): start a fresh stream.
          if (r.status === 400 && state.lastEventId !== "") {
            state.lastEventId = ""
            continue
          }
        }
        if (attempt >= maxRetries) return yield* Effect.logWarning(`HttpClientTransport: gave up on the GET stream after ${attempt} attempts`)
        yield* delay(state, attempt)
        attempt++
      }
    })

    const readError = (response: Response) =>
      Effect.map(errorText(response), (text) => `HTTP ${response.status}${text === "" ? "" : `: ${text.slice(0, 500)}`}`)

    /** POSTs one message and handles what answers it. */
    const post = (message: JsonRpc.Message) =>
      Effect.gen(function*() {
        const isRequest = "method" in message && "id" in message
        const isInitialize = isRequest && message.method === "initialize"
        if (isInitialize) initializeId = message.id
        const serialized = serialize(message)
        if ("problem" in serialized) {
          if (isRequest) return yield* deliver(JsonRpc.failure(message.id, INVALID_PARAMS, `POST ${url.href}: ${serialized.problem}`))
          return yield* Effect.fail(new McpClient.TransportError({ message: `POST ${url.href}: ${serialized.problem}` }))
        }
        // spec "Sending Messages to the Server" 1.-2.
        const response = yield* request(
          "POST",
          headers({ accept: "application/json, text/event-stream", "content-type": "application/json" }),
          serialized.json
        )
        if (response.status === 404 && sessionId !== undefined && !isInitialize) {
          yield* discard(response)
          if (isRequest) {
            // Never read by the server: safe to send again on a new session, whatever the request does.
            yield* deliver(JsonRpc.failure(message.id, TRANSPORT_ERROR, `The session expired before the server read this request: POST ${url.href} answered 404 Not Found for Mcp-Session-Id ${sessionId}`, { processed: false }))
          }
          yield* expire(404)
          return yield* Effect.fail(new McpClient.TransportError({ message: "The session expired (HTTP 404)" }))
        }
        if (!response.ok) {
          const failure = `POST ${url.href} failed: ${yield* readError(response)}`
          // The server answered this request with an HTTP error (413 for a body over its limit, 401, 403...): it is
          // that request's answer, with its status, as under 2026-07-28; the session is not lost.
          if (isRequest) return yield* failRequest(message.id, failure, response.status)
          return yield* Effect.fail(new McpClient.TransportError({ message: failure }))
        }
        // spec "Session Management" 1.-2.: the id comes with the InitializeResult and goes on every later request.
        if (isInitialize) sessionId = response.headers.get("mcp-session-id") ?? undefined
        const contentType = response.headers.get("content-type") ?? ""
        if (response.status === 202 || !isRequest) {
          yield* discard(response)
          if (!isRequest && "method" in message && message.method === "notifications/initialized" && !listening && (options.openGetStream ?? true)) {
            listening = true
            yield* FiberSet.run(fibers, listen)
          }
          return
        }
        if (contentType.includes("text/event-stream")) return yield* followPost(response, message.id)
        if (contentType.includes("application/json")) {
          const body = yield* jsonBody(response, maxBytes)
          if (body._tag === "TooLarge") return yield* answerTooLarge(message.id, tooLarge("the response body"))
          if (body._tag === "NotJson") return yield* Effect.fail(new McpClient.TransportError({ message: `POST ${url.href}: the response is not JSON` }))
          return yield* deliver(body.value)
        }
        yield* discard(response)
        return yield* Effect.fail(new McpClient.TransportError({ message: `POST ${url.href}: unexpected content type "${contentType}"` }))
      })

    /**
     * Remembers the `x-mcp-header` annotations of the tools listed, and
     * leaves out the tools whose annotations break the spec's rules (spec
     * 2026-07-28 basic/transports/streamable-http "Schema Extension": "the
     * client MUST exclude the invalid tool from the result of tools/list").
     */
    const learnTools = (result: JsonRpc.JsonObject): Effect.Effect<JsonRpc.JsonObject> =>
      Effect.gen(function*() {
        const tools = result.tools
        if (!Array.isArray(tools)) return result
        const kept: Array<unknown> = []
        for (const tool of tools) {
          const name = isObject(tool) ? tool.name : undefined
          if (!isObject(tool) || typeof name !== "string") {
            kept.push(tool)
            continue
          }
          // The same rules the server applies to its own tools (`Tool.make`).
          const problems = Tool.headerProblems(tool.inputSchema as McpSchema.Tool["inputSchema"])
          if (problems.length > 0) {
            toolHeaders.delete(name)
            yield* Effect.logWarning(`HttpClientTransport: left out tool "${name}": ${problems.join("; ")}`)
            continue
          }
          const headers = Tool.headerParameters(tool as unknown as McpSchema.Tool)
          if (headers.length === 0) toolHeaders.delete(name)
          else toolHeaders.set(name, headers)
          kept.push(tool)
        }
        return kept.length === tools.length ? result : { ...result, tools: kept }
      })

    /** The headers of a 2026-07-28 request (spec 2026-07-28 basic/transports/streamable-http "Request Metadata"). */
    const statelessHeaders = (message: JsonRpc.Request, version: string): Record<string, string> => {
      const { headers: all, name } = RequestHeaders.metadata(message, version, { ...options.headers })
      const annotated = message.method === "tools/call" && name !== undefined ? toolHeaders.get(name) : undefined
      return annotated === undefined ? all : { ...all, ...paramHeaderValues(annotated, message.params?.arguments) }
    }

    /** POSTs one 2026-07-28 request and delivers its answer, or answers it locally. */
    const postStateless = (message: JsonRpc.Request, version: string) =>
      Effect.gen(function*() {
        statelessProtocolVersion = version
        if (message.method === "tools/list") transforms.set(message.id, learnTools)
        const serialized = serialize(message)
        if ("problem" in serialized) return yield* deliver(JsonRpc.failure(message.id, INVALID_PARAMS, `POST ${url.href}: ${serialized.problem}`))
        const response = yield* request("POST", statelessHeaders(message, version), serialized.json)
        const contentType = response.headers.get("content-type") ?? ""
        if (!response.ok) {
          const text = yield* errorText(response)
          // spec 2026-07-28 streamable-http "Backward Compatibility" (see `HttpErrorAnswer`).
          const error = HttpErrorAnswer.errorOf(text, message.id)
          if (error !== undefined) return yield* deliver({ jsonrpc: "2.0", id: message.id, error })
          return yield* failRequest(message.id, HttpErrorAnswer.failureText(`POST ${url.href}`, response.status, text), response.status)
        }
        if (contentType.includes("text/event-stream")) {
          const state: StreamState = { lastEventId: "", retry: undefined, requestId: message.id, responded: false }
          if ((yield* consume(response, state)) === "too-large") return yield* answerTooLarge(message.id, tooLarge("an SSE event of the response"))
          if (!state.responded && ended === undefined) {
            yield* failRequest(message.id, "The response stream ended before the response (2026-07-28 streams are not resumed)")
          }
          return
        }
        if (contentType.includes("application/json")) {
          const body = yield* jsonBody(response, maxBytes)
          if (body._tag === "TooLarge") return yield* answerTooLarge(message.id, tooLarge("the response body"))
          if (body._tag === "NotJson") return yield* failRequest(message.id, `POST ${url.href}: the response is not JSON`)
          return yield* deliver(body.value)
        }
        yield* discard(response)
        return yield* failRequest(message.id, `POST ${url.href}: unexpected content type "${contentType}"`)
      }).pipe(
        Effect.catchAll((error) =>
          error._tag === "MessageTooLarge"
            ? answerTooLarge(message.id, error)
            : error._tag === "ClosedWhileSending"
            ? answerClosedWhileSending(message.id, error)
            : ended === undefined
            ? failRequest(message.id, error.message)
            : Effect.void
        ),
        Effect.ensuring(Effect.sync(() => transforms.delete(message.id)))
      )

    const send = (message: JsonRpc.Message): Effect.Effect<void, McpClient.TransportError> =>
      Effect.suspend(() => {
        if (ended !== undefined) return Effect.fail(ended)
        // spec 2026-07-28 basic/patterns/cancellation "Transport-Specific Cancellation": over HTTP, closing the
        // response stream is the cancellation; no notifications/cancelled is sent.
        if ("method" in message && !("id" in message) && message.method === "notifications/cancelled") {
          const id = message.params?.requestId
          if ((typeof id === "string" || typeof id === "number") && FiberMap.unsafeHas(statelessRuns, id)) return FiberMap.remove(statelessRuns, id)
          // spec 2025-11-25 basic/utilities/cancellation: the notification is sent, without waiting for the server's
          // answer to its POST (a server that hangs must not hold up the caller that gave up), and the request's own
          // POST is closed: its response is no longer wanted, and a server that never answers keeps no socket open.
          // Interruptible even when the client cancels from an uninterruptible region, so the timeout and closing the transport end it.
          return FiberSet.run(fibers, Effect.interruptible(Effect.ignore(Effect.timeout(post(message), CANCEL_POST_MILLIS)))).pipe(
            Effect.zipRight(typeof id === "string" || typeof id === "number" ? FiberMap.remove(requestRuns, id) : Effect.void),
            Effect.asVoid
          )
        }
        const version = statelessVersion(message)
        if (version !== undefined) {
          const stateless = message as JsonRpc.Request
          return Effect.asVoid(FiberMap.run(statelessRuns, stateless.id, postStateless(stateless, version)))
        }
        if (!("method" in message && "id" in message)) {
          return Effect.mapError(post(message), (error) => (error._tag === "TransportError" ? error : new McpClient.TransportError({ message: error.message })))
        }
        // A request's POST stays open until its response (a JSON body or an SSE stream), which can take as long as
        // the request runs: it goes on its own fiber so the client's timeouts and cancellation keep working.
        const id = message.id
        const answered = sessionId === undefined ? post(message) : counted(post(message))
        return Effect.asVoid(FiberMap.run(
          requestRuns,
          id,
          Effect.catchAll(answered, (error) =>
            error._tag === "MessageTooLarge"
              ? answerTooLarge(id, error)
              : error._tag === "ClosedWhileSending"
              ? answerClosedWhileSending(id, error)
              : ended === undefined
              ? failRequest(id, error.message)
              : Effect.void)
        ))
      })

    return {
      send,
      incoming: Mailbox.toStream(mailbox),
      sessionId: () => sessionId,
      protocolVersion: () => protocolVersion ?? statelessProtocolVersion
    } satisfies HttpClientTransport
  })
