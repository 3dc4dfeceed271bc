/**
 * MCP over WebSocket (a custom transport, spec 2025-11-25 basic/transports
 * "Custom Transports": JSON-RPC messages and the lifecycle unchanged), on
 * the `ws` package, compatible with the official SDK's
 * `WebSocketClientTransport`:
 *
 * - one JSON-RPC message per text frame, UTF-8; subprotocol `mcp` is chosen
 *   when the client offers it;
 * - each WebSocket connection is one session (one `connect` on the
 *   `McpServer` service): requests run concurrently, notifications and
 *   responses are handled in arrival order;
 *   closing the socket ends the session (in-flight requests are cancelled);
 * - hostile input: a binary frame or a text frame that is not JSON gets a
 *   -32700 error response (the connection stays open); a text frame that is
 *   not UTF-8 gets -32700 and the connection is failed with 1007 (RFC 6455
 *   §8.1); a frame above `maxPayloadBytes` closes it with 1009;
 * - Origin/Host checks on loopback (spec "Security Warning"), ping/pong
 *   keep-alive, and graceful shutdown: new connections get 503, in-flight
 *   requests get `shutdownTimeout` to finish, then sockets close with 1001.
 *
 * To share the port of Streamable HTTP, use HttpTransport's `webSocket`
 * option (upgrades on the MCP path, one shutdown for both); `makeHandler`
 * attaches to any other node:http server.
 *
 * @example
 * import { Layer } from "effect"
 * const App = WebSocketTransport.layer({ port: 3001, path: "/ws" }).pipe(
 *   Layer.provide(McpServer.register(echo)),
 *   Layer.provide(McpServer.layer({ name: "demo", version: "1.0.0" }))
 * )
 *
 * @since 0.1.0
 */
import { isUtf8 } from "node:buffer"
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from "node:http"
import type { Duplex } from "node:stream"
import { JsonRpc, McpServer, RequestContext } from "@emcee/core"
import { Config, type ConfigError, Context, Duration, Effect, FiberSet, Layer, Queue, Runtime, type Scope } from "effect"
import * as HttpGuard from "./HttpGuard.js"
import * as NodeAdapter from "./internal/httpNode.js"
import { withDeadline } from "./internal/deadline.js"
import { millis } from "./internal/millis.js"
import { type RawData, type WebSocket, WebSocketServer } from "ws"
import * as Guard from "./internal/guard.js"
import * as C from "./internal/config.js"
import { closeOnce, ListenError, listen, urlHost } from "./internal/listen.js"

/** The subprotocol of MCP over WebSocket (the official SDK's `WebSocketClientTransport` offers it). */
export const SUBPROTOCOL = "mcp"

/** Options of the WebSocket handler. */
export interface HandlerOptions extends Guard.Options {
  /** The path upgrades are accepted on; default "/mcp". */
  readonly path?: string
  /** Largest frame (message) accepted; larger ones close the connection with 1009. Default 4 MiB. */
  readonly maxPayloadBytes?: number
  /** Interval of pings; a connection that did not answer the previous ping is dropped. 0 disables. Default 30 s. */
  readonly pingInterval?: Duration.DurationInput
  /** How long in-flight requests may run once shutdown begins. Default 10 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput
  /** Most connections at once; more get 503. Default 10,000. */
  readonly maxConnections?: number
  /** A client that lets this much outgoing data pile up is disconnected. Default 16 MiB. */
  readonly maxBufferedBytes?: number
  /**
   * Authenticates the upgrade request (`HttpGuard`, e.g. `@emcee/auth`
   * `BearerGuard`): a refused upgrade gets the guard's answer (401 with its
   * challenge), and every request of an accepted connection sees the
   * services the guard provided (the caller's `Principal`).
   */
  readonly guard?: HttpGuard.HttpGuard
}

/** Options of the standalone server. */
export interface Options extends HandlerOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  readonly port?: number
  /** Interface to bind; default 127.0.0.1 (spec "Security Warning" 2.). */
  readonly host?: string
}

/** Counters for tests and operations. */
export interface Stats {
  readonly connections: number
  readonly inFlight: number
}

/** An upgrade handler, for any node:http server. */
export interface Handler {
  /** Handles an `upgrade` event; returns false when the path is not ours (the caller answers it). */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean
  readonly stats: () => Stats
  /** Graceful shutdown (as closing the scope does); idempotent. */
  readonly close: Effect.Effect<void>
}

/** A running standalone server. */
export interface Running {
  readonly port: number
  /** The ws:// URL of the endpoint. */
  readonly url: string
  readonly stats: () => Stats
  readonly close: Effect.Effect<void>
}

/** Answers an upgrade request with a plain HTTP response and closes the socket. */
const respond = (socket: Duplex, status: number, statusText: string, headers: Readonly<Record<string, string>>, body: string) => {
  if (!socket.writable) return socket.destroy()
  const lines = Object.entries({ ...headers, connection: "close", "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) })
    .map(([name, value]) => `${name}: ${value.replace(/[\r\n]/g, " ")}\r\n`).join("")
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\n${lines}\r\n${body}`)
}

const refuse = (socket: Duplex, status: number, reason: string) =>
  respond(socket, status, reason.split(":")[0]!, {}, JSON.stringify(JsonRpc.failure(null, -32000, reason)))

/** A guard's refusal of an upgrade, as it wrote it. */
const deny = (socket: Duplex, verdict: HttpGuard.Deny) =>
  respond(socket, verdict.status, STATUS_CODES[verdict.status] ?? "Refused", verdict.headers, verdict.body ?? "")

interface Frame {
  readonly data: RawData
  readonly binary: boolean
}

interface Live {
  readonly ws: WebSocket
  connection: McpServer.Connection | undefined
  alive: boolean
  readonly done: Promise<void>
}

/**
 * Serves WebSocket upgrades on `path` for the life of the scope. Attach it to
 * any node:http server: `server.on("upgrade", (req, socket, head) => handler.upgrade(req, socket, head) || socket.destroy())`.
 */
export const makeHandler = (options: HandlerOptions = {}): Effect.Effect<Handler, never, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    const path = options.path ?? "/mcp"
    const maxPayload = options.maxPayloadBytes ?? 4 * 1024 * 1024
    const maxConnections = options.maxConnections ?? 10_000
    const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024
    const shutdownMillis = millis(options.shutdownTimeout, 10_000)
    const pingMillis = millis(options.pingInterval, 30_000)
    const originGuard = Guard.make(options)
    const authGuard = options.guard
    const live = new Set<Live>()
    let closing = false

    const wss = new WebSocketServer({
      noServer: true,
      maxPayload,
      // Checked here, so a bad frame gets a JSON-RPC error before the 1007 close.
      skipUTF8Validation: true,
      perMessageDeflate: false,
      // Choose "mcp" when offered; a client offering only other subprotocols gets none (and may then give up).
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false)
    })

    /** One connection = one session, served until the socket closes. */
    const serve = (ws: WebSocket, entry: Live, inbox: Queue.Queue<Frame | null>, context: Context.Context<never> | undefined) =>
      Effect.gen(function*() {
        const send = (message: JsonRpc.Message): Effect.Effect<void> =>
          Effect.sync(() => {
            if (ws.readyState !== ws.OPEN) return
            const data = JsonRpc.encode(message)
            if (data === undefined) return
            ws.send(data)
            // A client that does not read: drop it rather than buffer without bound.
            if (ws.bufferedAmount > maxBuffered) ws.terminate()
          })
        const connection = yield* server.connect(context === undefined ? { send } : { send, context })
        entry.connection = connection
        const requests = yield* FiberSet.make()

        const dispatch = (value: unknown): Effect.Effect<void> => {
          const classified = JsonRpc.classify(value)
          if (classified._tag === "Request") {
            if (closing) {
              return send(JsonRpc.failure(classified.message.id, -32000, "Service Unavailable: the server is shutting down"))
            }
            // Requests run concurrently, as on any MCP connection.
            return Effect.asVoid(FiberSet.run(
              requests,
              Effect.flatMap(connection.handle(value), (response) => (response === undefined ? Effect.void : send(response)))
            ))
          }
          // Notifications and responses in order: a cancellation must not overtake its request.
          return Effect.flatMap(connection.handle(value), (response) => (response === undefined ? Effect.void : send(response)))
        }

        while (true) {
          const frame = yield* Queue.take(inbox)
          if (frame === null) return
          const data = frame.data
          const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
          if (frame.binary) {
            yield* send(JsonRpc.parseErrorResponse("binary frames are not supported; send one JSON-RPC message per text frame"))
            continue
          }
          if (!isUtf8(bytes)) {
            // RFC 6455 §8.1: invalid UTF-8 in a text frame fails the connection (1007); say why first.
            yield* send(JsonRpc.parseErrorResponse("the frame is not valid UTF-8"))
            ws.close(1007, "invalid UTF-8")
            continue
          }
          const parsed = JsonRpc.parse(bytes.toString("utf8"))
          if (!parsed.ok) {
            yield* send(parsed.response)
            continue
          }
          yield* dispatch(parsed.value)
        }
      }).pipe(Effect.scoped)

    const onConnection = (ws: WebSocket, context: Context.Context<never> | undefined) => {
      let resolve!: () => void
      const entry: Live = { ws, connection: undefined, alive: true, done: new Promise((r) => (resolve = r)) }
      live.add(entry)
      // Listeners go on before anything can yield, so no frame is missed.
      const inbox = Effect.runSync(Queue.unbounded<Frame | null>())
      ws.on("message", (data, binary) => {
        entry.alive = true
        inbox.unsafeOffer({ data, binary })
      })
      ws.on("pong", () => {
        entry.alive = true
      })
      ws.on("close", () => inbox.unsafeOffer(null))
      ws.on("error", () => ws.terminate())
      runFork(serve(ws, entry, inbox, context)).addObserver(() => {
        live.delete(entry)
        if (ws.readyState === ws.OPEN) ws.close(1011, "server error")
        resolve()
      })
    }

    const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
      const url = req.url ?? "/"
      const end = url.indexOf("?")
      if ((end === -1 ? url : url.slice(0, end)) !== path) return false
      if (closing) {
        refuse(socket, 503, "Service Unavailable: the server is shutting down")
        return true
      }
      // spec basic/transports "Security Warning" 1.: invalid Origin -> 403.
      const forbidden = originGuard(req)
      if (forbidden !== undefined) {
        refuse(socket, 403, forbidden)
        return true
      }
      if (live.size >= maxConnections) {
        refuse(socket, 503, "Service Unavailable: too many connections")
        return true
      }
      const address = req.socket.remoteAddress
      if (authGuard === undefined) {
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, address === undefined ? undefined : Context.make(RequestContext.ClientAddress, address) as Context.Context<never>))
        return true
      }
      // spec basic/authorization "Token Requirements": the upgrade request carries the credential.
      const request: HttpGuard.Request = { method: req.method ?? "GET", header: NodeAdapter.incoming(req).header }
      const decide = (verdict: HttpGuard.Verdict) => {
        if (verdict._tag === "Deny") return deny(socket, verdict)
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, address === undefined ? verdict.context : Context.add(verdict.context, RequestContext.ClientAddress, address)))
      }
      const verdict = authGuard.check(request)
      if (HttpGuard.isPending(verdict)) {
        verdict.then(decide, () => refuse(socket, 500, "Internal Server Error: could not authenticate the request"))
      } else decide(verdict)
      return true
    }

    if (pingMillis > 0) {
      const timer = setInterval(() => {
        for (const entry of live) {
          if (!entry.alive) {
            entry.ws.terminate()
            continue
          }
          entry.alive = false
          entry.ws.ping()
        }
      }, pingMillis)
      timer.unref()
      yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(timer)))
    }

    let closed: Effect.Effect<void> | undefined
    const close = Effect.suspend(() => {
      if (closed !== undefined) return closed
      closed = Effect.gen(function*() {
        closing = true
        const entries = [...live]
        yield* Effect.forEach(entries, (entry) => entry.connection?.drain ?? Effect.void, { concurrency: "unbounded", discard: true }).pipe(withDeadline(shutdownMillis))
        // 1001 Going Away (RFC 6455 §7.4.1): the server is shutting down.
        for (const entry of entries) if (entry.ws.readyState === entry.ws.OPEN) entry.ws.close(1001, "server shutting down")
        yield* Effect.promise(() => Promise.all(entries.map((entry) => entry.done))).pipe(withDeadline(2_000))
        for (const entry of live) entry.ws.terminate()
        wss.close()
      }).pipe(Effect.cached, Effect.runSync)
      return closed
    })
    yield* Effect.addFinalizer(() => close)

    return {
      upgrade,
      close,
      stats: () => {
        let inFlight = 0
        for (const entry of live) inFlight += entry.connection?.inFlight() ?? 0
        return { connections: live.size, inFlight }
      }
    } satisfies Handler
  })

/** A WebSocket server of its own for the life of the scope. Plain HTTP requests on the path get 426 Upgrade Required. */
export const make = (options: Options = {}): Effect.Effect<Running, ListenError, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const path = options.path ?? "/mcp"
    const handler = yield* makeHandler(options)
    const http: Server = createServer((req, res) => {
      req.resume()
      const status = (req.url ?? "/").split("?")[0] === path ? 426 : 404
      res.writeHead(status, status === 426 ? { upgrade: "websocket", connection: "upgrade" } : {})
      res.end()
    })
    http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!handler.upgrade(req, socket, head)) refuse(socket, 404, "Not Found")
    })
    const port = yield* listen(http, host, options.port)
    // Runs before the handler's finalizer (reverse order): stop listening, then the handler drains and closes sockets.
    const stop = closeOnce(http, handler.close)
    yield* Effect.addFinalizer(() => stop)
    return { port, url: `ws://${urlHost(host)}:${port}${path}`, stats: handler.stats, close: stop } satisfies Running
  })

/** The transport as a scoped Layer: listens when built, shuts down gracefully when released. */
export const layer = (options: Options = {}): Layer.Layer<never, ListenError, McpServer.McpServer> => Layer.scopedDiscard(make(options))

/**
 * The standalone server's options read from `Config` (environment variables
 * by default), every key optional with the defaults of `Options`; keys under
 * `WEBSOCKET`, itself under `prefix` when given (`config("MCP")` reads
 * `MCP_WEBSOCKET_PORT`):
 * `WEBSOCKET_PORT`, `WEBSOCKET_HOST`, `WEBSOCKET_PATH`, `WEBSOCKET_MAX_PAYLOAD_BYTES`,
 * `WEBSOCKET_PING_INTERVAL`, `WEBSOCKET_SHUTDOWN_TIMEOUT`, `WEBSOCKET_MAX_CONNECTIONS`,
 * `WEBSOCKET_MAX_BUFFERED_BYTES`, `WEBSOCKET_ALLOWED_ORIGINS`, `WEBSOCKET_ALLOWED_HOSTS`,
 * `WEBSOCKET_DNS_REBINDING_PROTECTION`.
 * Durations: `10s`, `500ms`, `2m`, `1h` or `10 seconds`; lists are comma-separated.
 */
export const config = (prefix?: string): Config.Config<Options> =>
  C.options({
    ...C.listenerFields,
    ...C.guardFields,
    ...C.drainFields,
    path: C.optional(Config.nonEmptyString("PATH")),
    maxPayloadBytes: C.optional(C.integer("MAX_PAYLOAD_BYTES", 1)),
    pingInterval: C.optional(C.duration("PING_INTERVAL")),
    maxConnections: C.optional(C.integer("MAX_CONNECTIONS", 1))
  }, "WEBSOCKET", prefix)

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
