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
 *   expired ("Session Management" 4.);
 * - after initialization a GET opens the server's own stream ("Listening for
 *   Messages from the Server"; a 405 means the server has none);
 * - a dropped SSE stream is resumed with a GET carrying `Last-Event-ID`,
 *   after the server's `retry` ("Resumability and Redelivery");
 * - closing the scope DELETEs the session ("Session Management" 5.).
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
import { JsonRpc, McpClient } from "@emcee/core"
import { Effect, FiberSet, Mailbox, type Scope, Stream } from "effect"
import * as SseParser from "./internal/sseParser.js"

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
}

/** A Streamable HTTP client transport. */
export interface HttpClientTransport extends McpClient.ClientTransport {
  /** The `Mcp-Session-Id` the server assigned, once initialized. */
  readonly sessionId: () => string | undefined
  /** The protocol revision of the initialize result, sent as `MCP-Protocol-Version`. */
  readonly protocolVersion: () => string | undefined
}

/** The transport's own error code for a request it could not deliver (as the SDK's "connection closed"). */
const TRANSPORT_ERROR = -32000

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

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

    let sessionId: string | undefined
    let protocolVersion: string | undefined
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
        return request("DELETE", headers({}), undefined).pipe(
          Effect.flatMap((response) => Effect.promise(() => response.body?.cancel() ?? Promise.resolve())),
          Effect.timeout(5_000),
          Effect.ignore
        )
      })
    )
    const fibers = yield* FiberSet.make()

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
        catch: (error) => new McpClient.TransportError({ message: `${method} ${url.href} failed: ${describe(error)}` })
      })

    const expire = (status: number) =>
      Effect.suspend(() => {
        // spec "Session Management" 4.: a 404 for a session id means the session is gone; a new one needs a new initialize.
        const error = new McpClient.TransportError({
          message: `The session expired: the server answered ${status} Not Found for Mcp-Session-Id ${sessionId ?? ""}; connect again to start a new session`
        })
        ended ??= error
        return Effect.asVoid(mailbox.fail(error))
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
        return Effect.asVoid(mailbox.offer(message))
      })

    /** Answers a request locally when its POST failed, so the caller fails now rather than at its timeout. */
    const failRequest = (id: JsonRpc.RequestId, message: string) => deliver(JsonRpc.failure(id, TRANSPORT_ERROR, message))

    const delay = (state: StreamState, attempt: number) =>
      Effect.sleep(state.retry ?? Math.min(maxDelay, initialDelay * 2 ** attempt))

    /** Reads one SSE response until it ends or drops; never fails. */
    const consume = (response: Response, state: StreamState): Effect.Effect<void> => {
      const body = response.body
      if (body === null) return Effect.void
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
      return Stream.fromReadableStream({ evaluate: () => body, onError: (error) => error }).pipe(
        Stream.runForEach((chunk) => onEvents(parser.push(chunk))),
        Effect.zipRight(Effect.suspend(() => onEvents(parser.end()))),
        // A dropped connection is the normal way a stream ends early; the caller decides whether to resume.
        Effect.ignore
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
        yield* consume(response, state)
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
          yield* consume(r, state)
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
            yield* consume(r, state)
            if (ended !== undefined) return
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
      Effect.map(
        Effect.promise(() => response.text().catch(() => "")),
        (text) => `HTTP ${response.status}${text === "" ? "" : `: ${text.slice(0, 500)}`}`
      )

    /** POSTs one message and handles what answers it. */
    const post = (message: JsonRpc.Message) =>
      Effect.gen(function*() {
        const isRequest = "method" in message && "id" in message
        const isInitialize = isRequest && message.method === "initialize"
        if (isInitialize) initializeId = message.id
        // spec "Sending Messages to the Server" 1.-2.
        const response = yield* request(
          "POST",
          headers({ accept: "application/json, text/event-stream", "content-type": "application/json" }),
          JSON.stringify(message)
        )
        if (response.status === 404 && sessionId !== undefined && !isInitialize) {
          yield* discard(response)
          yield* expire(404)
          return yield* Effect.fail(new McpClient.TransportError({ message: "The session expired (HTTP 404)" }))
        }
        if (!response.ok) {
          return yield* Effect.fail(new McpClient.TransportError({ message: `POST ${url.href} failed: ${yield* readError(response)}` }))
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
          const text = yield* Effect.promise(() => response.text().catch(() => ""))
          let value: unknown
          try {
            value = JSON.parse(text)
          } catch {
            return yield* Effect.fail(new McpClient.TransportError({ message: `POST ${url.href}: the response is not JSON` }))
          }
          return yield* deliver(value)
        }
        yield* discard(response)
        return yield* Effect.fail(new McpClient.TransportError({ message: `POST ${url.href}: unexpected content type "${contentType}"` }))
      })

    const send = (message: JsonRpc.Message): Effect.Effect<void, McpClient.TransportError> =>
      Effect.suspend(() => {
        if (ended !== undefined) return Effect.fail(ended)
        if (!("method" in message && "id" in message)) return post(message)
        // A request's POST stays open until its response (a JSON body or an SSE stream), which can take as long as
        // the request runs: it goes on its own fiber so the client's timeouts and cancellation keep working.
        const id = message.id
        return Effect.asVoid(FiberSet.run(
          fibers,
          Effect.catchAll(post(message), (error) => (ended === undefined ? failRequest(id, error.message) : Effect.void))
        ))
      })

    return {
      send,
      incoming: Mailbox.toStream(mailbox),
      sessionId: () => sessionId,
      protocolVersion: () => protocolVersion
    } satisfies HttpClientTransport
  })
