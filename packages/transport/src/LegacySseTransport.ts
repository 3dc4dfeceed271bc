/**
 * The deprecated HTTP+SSE transport of protocol revision 2024-11-05, for
 * older clients (spec 2025-11-25 basic/transports "Backwards Compatibility":
 * servers wanting to support older clients should "continue to host both
 * the SSE and POST endpoints of the old transport, alongside the new MCP
 * endpoint").
 *
 * The 2024-11-05 protocol (spec 2024-11-05 basic/transports "HTTP with SSE"):
 * - the client GETs the SSE endpoint (`/sse`); the server's first event is
 *   `endpoint`, whose data is the URL to POST to (`/messages?sessionId=<id>`);
 * - the client POSTs each JSON-RPC message there; the server answers
 *   202 Accepted at once;
 * - every server-to-client message, responses included, is an SSE `message`
 *   event on the GET stream.
 *
 * Each SSE connection is one session (one `connect` on the `McpServer`
 * service); closing the stream ends the session and cancels its in-flight
 * requests.
 *
 * Three ways to serve it:
 * - next to Streamable HTTP on one port: `HttpTransport.layer({ legacySse: true })`
 *   (HttpTransport then shuts both down under one deadline);
 * - in an @effect/platform server of your own: `makeHandler(...)` gives its
 *   `router`, an `HttpRouter` with the two endpoints, to concatenate with
 *   your routes (mount it at the root: the `endpoint` event names
 *   `messagesPath` as given);
 * - on a node:http server of its own: `make` / `layer`.
 *
 * @example
 * import { HttpRouter } from "@effect/platform"
 * import { Effect } from "effect"
 * const routes = Effect.map(
 *   LegacySseTransport.makeHandler({ ssePath: "/sse", messagesPath: "/messages" }),
 *   (legacy) => HttpRouter.concat(legacy.router, myRoutes)
 * )
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import * as HttpRouter from "@effect/platform/HttpRouter"
import { JsonRpc, McpSchema, McpServer } from "@emcee/core"
import { Config, type ConfigError, Duration, Effect, Exit, Layer, Runtime, Scope } from "effect"
import { withDeadline } from "./internal/deadline.js"
import { millis } from "./internal/millis.js"
import * as Guard from "./internal/guard.js"
import * as C from "./internal/config.js"
import { closeOnce, ListenError, listen, urlHost } from "./internal/listen.js"
import * as NodeAdapter from "./internal/httpNode.js"
import * as PlatformAdapter from "./internal/httpPlatform.js"
import type { Incoming, Reply } from "./internal/httpProtocol.js"
import * as Sse from "./internal/sse.js"

/** Options of the route handler. */
export interface HandlerOptions extends Guard.Options {
  /** Path of the SSE endpoint (GET). Default "/sse". */
  readonly ssePath?: string
  /** Path of the message endpoint (POST), also advertised in the `endpoint` event. Default "/messages". */
  readonly messagesPath?: string
  /** Largest accepted POST body; larger ones get 413. Default 4 MiB. */
  readonly maxBodyBytes?: number
  /** Most sessions (SSE connections) at once; more get 503. Default 10,000. */
  readonly maxSessions?: number
  /** Interval of SSE keep-alive comments; 0 disables them. Default 15 seconds. */
  readonly keepAliveInterval?: Duration.DurationInput
  /** How long in-flight requests may run once shutdown begins. Default 10 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput
  /**
   * Most bytes the SSE stream may hold unread (a client that stopped reading);
   * past it the session ends (this transport has no resumption). Default 1 MiB.
   */
  readonly maxBufferedBytes?: number
}

/** Options of the standalone server. */
export interface Options extends HandlerOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  readonly port?: number
  /** Interface to bind; default 127.0.0.1 (spec 2025-11-25 basic/transports "Security Warning" 2.). */
  readonly host?: string
}

/** Counters for tests and operations. */
export interface Stats {
  readonly sessions: number
  readonly inFlight: number
}

/** The two endpoints, for an @effect/platform server or a node:http one. */
export interface Handler {
  /**
   * The two endpoints as an @effect/platform `HttpRouter` (GET `ssePath`,
   * POST `messagesPath`; other methods on them get 405). The platform server
   * writes the responses; the SSE stream ends when the session does, and a
   * client that goes away ends its session.
   */
  readonly router: HttpRouter.HttpRouter
  /**
   * Serves the request on node:http when its path is one of ours and returns
   * true. Prefer `router`, or `HttpTransport`'s `legacySse` option (which
   * also orders the shutdown); this stays for servers built on node:http.
   */
  readonly routes: (req: IncomingMessage, res: ServerResponse) => boolean
  readonly stats: () => Stats
  /** Graceful shutdown (as closing the scope does); idempotent. */
  readonly close: Effect.Effect<void>
}

/** A running standalone server. */
export interface Running {
  readonly port: number
  /** The URL of the SSE endpoint. */
  readonly url: string
  readonly stats: () => Stats
  readonly close: Effect.Effect<void>
}

interface Session {
  readonly id: string
  sink: Sse.Sink | undefined
  readonly scope: Scope.CloseableScope
  connection: McpServer.Connection | undefined
  timer: ReturnType<typeof setInterval> | undefined
  closed: boolean
}

/** One request to either endpoint, whatever server it reached. */
interface View {
  readonly incoming: Incoming
  readonly isSse: boolean
  readonly sessionId: string | null
  /** The DNS-rebinding check's verdict: a reason for a 403, or undefined. */
  readonly forbidden: () => string | undefined
}

const TRANSPORT_ERROR = -32000
const SESSION_NOT_FOUND = -32001

const fail = (reply: Reply, status: number, code: number, message: string, extra: Record<string, string> = {}) => {
  const body = JSON.stringify(JsonRpc.failure(null, code, message))
  reply.send(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...extra }, body)
}

const isJsonContentType = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim())

const supportedVersions: ReadonlySet<string> = new Set(McpSchema.SUPPORTED_PROTOCOL_VERSIONS)

/** Serves the two endpoints for the life of the scope. */
export const makeHandler = (options: HandlerOptions = {}): Effect.Effect<Handler, never, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    const runCallback = Runtime.runCallback(runtime)
    const ssePath = options.ssePath ?? "/sse"
    const messagesPath = options.messagesPath ?? "/messages"
    const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    const maxSessions = options.maxSessions ?? 10_000
    const keepAliveMillis = millis(options.keepAliveInterval, 15_000)
    const shutdownMillis = millis(options.shutdownTimeout, 10_000)
    const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024
    const guard = Guard.makeCheck(options)
    const sessions = new Map<string, Session>()
    let inFlight = 0
    let closing = false

    /** Writes to the stream; a client that stopped reading past the bound is let go (the sink closes, ending the session). */
    const write = (session: Session, chunk: string) => {
      if (!session.closed) session.sink?.write(chunk)
    }

    /** One `message` event; a message that cannot be serialized is dropped (a response becomes -32603). */
    const writeMessage = (session: Session, message: JsonRpc.Message) => {
      const data = JsonRpc.encode(message)
      if (data !== undefined) write(session, `event: message\ndata: ${data}\n\n`)
    }

    const closeSession = (session: Session): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (session.closed) return Effect.void
        session.closed = true
        sessions.delete(session.id)
        if (session.timer !== undefined) clearInterval(session.timer)
        if (session.sink !== undefined && !session.sink.closed()) session.sink.end()
        // Ends the McpServer session: in-flight requests are cancelled.
        return Scope.close(session.scope, Exit.void)
      })

    const openStream = (view: View, reply: Reply) => {
      if (sessions.size >= maxSessions) return fail(reply, 503, TRANSPORT_ERROR, "Service Unavailable: too many sessions", { "retry-after": "1" })
      const accept = view.incoming.header("accept")
      if (accept !== undefined && !/text\/event-stream|text\/\*|\*\/\*/.test(accept)) {
        return fail(reply, 406, TRANSPORT_ERROR, "Not Acceptable: Accept must list text/event-stream")
      }
      const session: Session = { id: randomUUID(), sink: undefined, scope: Effect.runSync(Scope.make()), connection: undefined, timer: undefined, closed: false }
      sessions.set(session.id, session)
      session.sink = reply.stream({ ...Sse.headers }, () => runFork(closeSession(session)))
      // Every server-to-client message, responses included, is a `message` event on this stream.
      const send = (message: JsonRpc.Message) => Effect.sync(() => writeMessage(session, message))
      runCallback(Scope.extend(server.connect({ send, sessionId: session.id }), session.scope), {
        onExit: (exit) => {
          if (Exit.isFailure(exit) || session.closed) return
          session.connection = exit.value
          // spec 2024-11-05 basic/transports "HTTP with SSE": the first event is `endpoint`, the URI for client messages.
          write(session, `event: endpoint\ndata: ${messagesPath}?sessionId=${session.id}\n\n`)
          if (keepAliveMillis > 0) {
            session.timer = setInterval(() => write(session, ": keep-alive\n\n"), keepAliveMillis)
            session.timer.unref()
          }
        }
      })
    }

    /** Checks a POST; returns the session when its body should be read, undefined when it was answered. */
    const beginPost = (view: View, reply: Reply): Session | undefined => {
      const id = view.sessionId
      if (id === null || id === "") {
        fail(reply, 400, TRANSPORT_ERROR, "Bad Request: the sessionId query parameter is required")
        return undefined
      }
      const session = sessions.get(id)
      if (session === undefined || session.connection === undefined) {
        fail(reply, 404, SESSION_NOT_FOUND, "Session not found")
        return undefined
      }
      if (!isJsonContentType(view.incoming.header("content-type"))) {
        fail(reply, 415, TRANSPORT_ERROR, "Unsupported Media Type: Content-Type must be application/json")
        return undefined
      }
      const version = view.incoming.header("mcp-protocol-version")
      if (version !== undefined && !supportedVersions.has(version)) {
        fail(reply, 400, TRANSPORT_ERROR, `Bad Request: unsupported MCP-Protocol-Version: ${version}`)
        return undefined
      }
      return session
    }

    /** Serves a POSTed message: 202 at once for a request (the response goes on the stream). */
    const postBody = (session: Session, body: string | NodeAdapter.BodyError, reply: Reply) => {
      if (typeof body !== "string") return fail(reply, body.status, body.code, body.message, { connection: "close" })
      const connection = session.connection!
      const parsed = JsonRpc.parse(body)
      if (!parsed.ok) return fail(reply, 400, JsonRpc.ErrorCode.ParseError, parsed.response.error.message)
      const value = parsed.value
      const classified = JsonRpc.classify(value)
      if (classified._tag === "Invalid") {
        const text = JSON.stringify(classified.response)
        return reply.send(400, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }, text)
      }
      const accepted = () => reply.send(202, { "content-type": "text/plain", "content-length": "8" }, "Accepted")
      if (classified._tag !== "Request") {
        // Handled before the 202, so the client's next message (sent after the 202) is handled after it.
        return runCallback(connection.handle(value), { onExit: accepted })
      }
      if (closing) return fail(reply, 503, TRANSPORT_ERROR, "Service Unavailable: the server is shutting down")
      accepted()
      inFlight++
      runCallback(
        Effect.flatMap(connection.handle(value), (response) =>
          response === undefined ? Effect.void : Effect.sync(() => writeMessage(session, response))),
        { onExit: () => inFlight-- }
      )
    }

    /** Serves a request to either endpoint; returns the session when a POST body should be read next. */
    const begin = (view: View, reply: Reply): Session | undefined => {
      const wanted = view.isSse ? "GET" : "POST"
      if (view.incoming.method !== wanted) {
        fail(reply, 405, TRANSPORT_ERROR, "Method Not Allowed", { allow: wanted })
        return undefined
      }
      if (closing) {
        fail(reply, 503, TRANSPORT_ERROR, "Service Unavailable: the server is shutting down", { connection: "close" })
        return undefined
      }
      // spec 2025-11-25 basic/transports "Security Warning" 1.: invalid Origin (or Host) -> 403.
      const forbidden = view.forbidden()
      if (forbidden !== undefined) {
        fail(reply, 403, TRANSPORT_ERROR, forbidden)
        return undefined
      }
      if (view.isSse) {
        openStream(view, reply)
        return undefined
      }
      return beginPost(view, reply)
    }

    const routes = (req: IncomingMessage, res: ServerResponse): boolean => {
      const url = new URL(req.url ?? "/", "http://localhost")
      const isSse = url.pathname === ssePath
      if (!isSse && url.pathname !== messagesPath) return false
      const view: View = {
        incoming: NodeAdapter.incoming(req),
        isSse,
        sessionId: url.searchParams.get("sessionId"),
        forbidden: () => guard(Guard.nodeView(req))
      }
      const reply = NodeAdapter.reply(res, () => false, maxBufferedBytes)
      const session = begin(view, reply)
      if (session === undefined) {
        // Answered without reading a body: drain it so keep-alive stays usable.
        if (req.method !== "GET") req.resume()
        return true
      }
      NodeAdapter.readBody(req, maxBodyBytes, (body) => postBody(session, body, reply), (error) => postBody(session, error, reply))
      return true
    }

    const app = PlatformAdapter.respond(
      maxBufferedBytes,
      (request, reply) => {
        const url = new URL(request.url, "http://localhost")
        return begin({
          incoming: PlatformAdapter.incoming(request),
          isSse: url.pathname === ssePath,
          sessionId: url.searchParams.get("sessionId"),
          forbidden: () => guard(PlatformAdapter.guardView(request))
        }, reply)
      },
      maxBodyBytes,
      postBody
    )
    const router = HttpRouter.empty.pipe(HttpRouter.all(ssePath as HttpRouter.PathInput, app), HttpRouter.all(messagesPath as HttpRouter.PathInput, app))

    let closed: Effect.Effect<void> | undefined
    const close = Effect.suspend(() => {
      if (closed !== undefined) return closed
      closed = Effect.gen(function*() {
        closing = true
        const all = [...sessions.values()]
        yield* Effect.forEach(all, (session) => session.connection?.drain ?? Effect.void, { concurrency: "unbounded", discard: true }).pipe(withDeadline(shutdownMillis))
        yield* Effect.forEach(all, closeSession, { discard: true })
      }).pipe(Effect.cached, Effect.runSync)
      return closed
    })
    yield* Effect.addFinalizer(() => close)

    return {
      router,
      routes,
      close,
      stats: () => ({ sessions: sessions.size, inFlight })
    } satisfies Handler
  })

/** The legacy transport on a node:http server of its own; other paths get 404. */
export const make = (options: Options = {}): Effect.Effect<Running, ListenError, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const handler = yield* makeHandler(options)
    const http: Server = createServer((req, res) => {
      if (handler.routes(req, res)) return
      req.resume()
      fail(NodeAdapter.reply(res, () => false, 0), 404, TRANSPORT_ERROR, "Not Found")
    })
    const port = yield* listen(http, host, options.port)
    const stop = closeOnce(http, handler.close)
    yield* Effect.addFinalizer(() => stop)
    return { port, url: `http://${urlHost(host)}:${port}${options.ssePath ?? "/sse"}`, stats: handler.stats, close: stop } satisfies Running
  })

/** The standalone legacy transport as a scoped Layer. */
export const layer = (options: Options = {}): Layer.Layer<never, ListenError, McpServer.McpServer> => Layer.scopedDiscard(make(options))

/**
 * The standalone server's options read from `Config` (environment variables
 * by default), every key optional with the defaults of `Options`; keys under
 * `LEGACY_SSE`, itself under `prefix` when given (`config("MCP")` reads
 * `MCP_LEGACY_SSE_PORT`):
 * `LEGACY_SSE_PORT`, `LEGACY_SSE_HOST`, `LEGACY_SSE_SSE_PATH`, `LEGACY_SSE_MESSAGES_PATH`,
 * `LEGACY_SSE_MAX_BODY_BYTES`, `LEGACY_SSE_MAX_SESSIONS`, `LEGACY_SSE_KEEP_ALIVE_INTERVAL`,
 * `LEGACY_SSE_SHUTDOWN_TIMEOUT`, `LEGACY_SSE_MAX_BUFFERED_BYTES`, `LEGACY_SSE_ALLOWED_ORIGINS`,
 * `LEGACY_SSE_ALLOWED_HOSTS`, `LEGACY_SSE_DNS_REBINDING_PROTECTION`.
 * Durations: `10s`, `500ms`, `2m`, `1h` or `10 seconds`; lists are comma-separated.
 */
export const config = (prefix?: string): Config.Config<Options> =>
  C.options({
    ...C.listenerFields,
    ...C.guardFields,
    ...C.drainFields,
    ssePath: C.optional(Config.nonEmptyString("SSE_PATH")),
    messagesPath: C.optional(Config.nonEmptyString("MESSAGES_PATH")),
    maxBodyBytes: C.optional(C.integer("MAX_BODY_BYTES", 1)),
    maxSessions: C.optional(C.integer("MAX_SESSIONS", 1)),
    keepAliveInterval: C.optional(C.duration("KEEP_ALIVE_INTERVAL"))
  }, "LEGACY_SSE", prefix)

/**
 * `layer` with its options read from `config` (default `config()`); a bad
 * value fails the Layer with a `ConfigError` naming the key.
 */
export const layerConfig = (
  options: Config.Config<Options> = config()
): Layer.Layer<never, ConfigError.ConfigError | ListenError, McpServer.McpServer> =>
  Layer.unwrapEffect(Effect.map(options, layer))

export {
  /** Binding the port failed; its `message` is one line (`cannot listen on 127.0.0.1:3000: address already in use (EADDRINUSE)`). */
  ListenError
}
