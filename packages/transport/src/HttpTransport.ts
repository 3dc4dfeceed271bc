/**
 * The Streamable HTTP transport (spec 2025-11-25 basic/transports
 * "Streamable HTTP") on node:http, with the operational routes a deployed
 * server needs on the same port:
 *
 * - `POST /mcp`, `GET /mcp` (SSE), `DELETE /mcp`: the MCP endpoint, with
 *   sessions (`Mcp-Session-Id`), resumable SSE streams (`Last-Event-ID`,
 *   events kept in the `EventStore` service), DNS-rebinding protection
 *   (Origin/Host checks, on by default when bound to loopback) and limits
 *   (body size, session count, idle timeout, slow clients).
 * - `GET /health` (liveness), `GET /health/ready` (the `Health` service's
 *   report; 503 while shutting down), `GET /metrics` (Prometheus text).
 *
 * Requests are served straight from node:http with one Effect run per
 * message; closing the scope shuts down gracefully: new requests get 503,
 * in-flight requests get up to `shutdownTimeout` to finish, then SSE
 * streams and sessions are closed.
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Layer } from "effect"
 * const App = HttpTransport.layer({ port: 3000 }).pipe(
 *   Layer.provide(McpServer.register(echo)),
 *   Layer.provide(McpServer.layer({ name: "demo", version: "1.0.0" }))
 * )
 * Layer.launch(App).pipe(NodeRuntime.runMain)
 *
 * A port that cannot be bound fails `make` and `layer` with `ListenError`,
 * whose message is one line (`cannot listen on 127.0.0.1:3000: address
 * already in use (EADDRINUSE)`).
 *
 * ## Configuration
 *
 * `layerConfig()` reads the options from Effect `Config` (environment
 * variables by default, or any `ConfigProvider`); every key is optional,
 * with the defaults of `Options`. The keys sit under `HTTP` (and under a
 * prefix given to `config(prefix)`: `config("MCP")` reads `MCP_HTTP_PORT`):
 *
 * - `HTTP_PORT`, `HTTP_HOST`, `HTTP_PATH`
 * - `HTTP_STATELESS`, `HTTP_ENABLE_JSON_RESPONSE`, `HTTP_DNS_REBINDING_PROTECTION` (true/false)
 * - `HTTP_ALLOWED_ORIGINS`, `HTTP_ALLOWED_HOSTS` (comma-separated lists)
 * - `HTTP_MAX_BODY_BYTES`, `HTTP_MAX_SESSIONS`, `HTTP_MAX_BUFFERED_BYTES` (integers)
 * - `HTTP_SESSION_IDLE_TIMEOUT`, `HTTP_KEEP_ALIVE_INTERVAL`, `HTTP_RETRY_INTERVAL`,
 *   `HTTP_SHUTDOWN_TIMEOUT`, `HTTP_HEADERS_TIMEOUT`, `HTTP_REQUEST_TIMEOUT`
 *   (durations: `10s`, `500ms`, `2m`, `1h` or `10 seconds`)
 *
 * A bad value fails the Layer with a `ConfigError` naming the key.
 *
 * @example
 * // HTTP_PORT=8080 HTTP_ALLOWED_ORIGINS=https://app.example node main.js
 * const App = HttpTransport.layerConfig().pipe(
 *   Layer.provide(McpServer.register(echo)),
 *   Layer.provide(McpServer.layerConfig())
 * )
 *
 * @since 0.1.0
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { type AddressInfo, Server as NetServer } from "node:net"
import type { Duplex } from "node:stream"
import { Health, McpServer, Prometheus } from "@emcee/core"
import { Cause, Config, type ConfigError, type Duration, Effect, Layer, Option, Runtime, type Scope } from "effect"
import * as C from "./internal/config.js"
import { ListenError, listen } from "./internal/listen.js"
import { millis } from "./internal/millis.js"
import * as EventStore from "./EventStore.js"
import { withDeadline } from "./internal/deadline.js"
import { loopbackOrigin } from "./internal/guard.js"
import { withStderrLogger } from "./internal/stderrLogger.js"
import * as Protocol from "./internal/httpProtocol.js"
import * as NodeAdapter from "./internal/httpNode.js"

/** Options of the HTTP transport. */
export interface Options {
  /** TCP port; 0 picks a free one (read it from `make`'s result). Default 0. */
  readonly port?: number
  /** Interface to bind; default 127.0.0.1 (spec "Security Warning" 2.: bind locally when running locally). */
  readonly host?: string
  /** The MCP endpoint path; default "/mcp". */
  readonly path?: string
  /** No sessions: every POST is served on its own preinitialized connection, GET is 405. Default false. */
  readonly stateless?: boolean
  /**
   * Answer a request with one `application/json` body unless something
   * related to it (progress, log message, sampling or elicitation request) is
   * sent before the result, which switches that response to an SSE stream.
   * False: every request gets an SSE stream. Default true.
   */
  readonly enableJsonResponse?: boolean
  /** Largest accepted POST body; larger ones get 413. Default 4 MiB. */
  readonly maxBodyBytes?: number
  /**
   * Accepted `Origin` values (spec "Security Warning" 1.: invalid Origin -> 403);
   * `"*"` accepts any. Allowed origins get CORS headers and preflight answers
   * (Fetch standard "CORS protocol"), so browser clients can connect.
   * Default when bound to loopback: any http(s) origin on localhost, 127.0.0.1 or [::1].
   */
  readonly allowedOrigins?: ReadonlyArray<string>
  /** Accepted `Host` header values. Default when bound to loopback: localhost, 127.0.0.1 and [::1] with the bound port. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Turn the Origin/Host checks on or off. Default: on when bound to a loopback address or when lists are given. */
  readonly dnsRebindingProtection?: boolean
  /** Sessions not used for this long are closed. Default 30 minutes. */
  readonly sessionIdleTimeout?: Duration.DurationInput
  /** Most sessions at once; another initialize gets 503. Default 10,000. */
  readonly maxSessions?: number
  /** Interval of SSE keep-alive comments; 0 disables them. Default 15 seconds. */
  readonly keepAliveInterval?: Duration.DurationInput
  /** `retry` advertised in the priming event of SSE streams (spec "Sending Messages to the Server" 6.). Default none. */
  readonly retryInterval?: Duration.DurationInput
  /**
   * The whole graceful shutdown's deadline: in-flight requests may run this
   * long, are then cancelled (answered 503), and responses still being
   * written get what is left of it to reach the client. Default 10 seconds.
   */
  readonly shutdownTimeout?: Duration.DurationInput
  /**
   * Most bytes an SSE connection may hold unread (a client that stopped
   * reading); past it the connection is closed, and the client can resume the
   * stream with `Last-Event-ID` (events stay in the `EventStore`). Default 1 MiB.
   */
  readonly maxBufferedBytes?: number
  /** Time for a client to send a request's headers (then 408). Default 10 seconds. */
  readonly headersTimeout?: Duration.DurationInput
  /** Time for a client to send a whole request (then 408). Default 30 seconds. */
  readonly requestTimeout?: Duration.DurationInput
  /**
   * Extra routes served on the same server before the built-in ones: return
   * true when the request was handled.
   */
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean
  /**
   * HTTP upgrades (e.g. `WebSocketTransport.makeHandler(...).upgrade`, so
   * WebSocket clients share this port): return true when handled; other
   * upgrade requests are refused with 404.
   */
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean
}

/** A running HTTP transport. */
export interface Running {
  readonly port: number
  readonly address: string
  /** The URL of the MCP endpoint. */
  readonly url: string
  /** Sessions, in-flight POSTs and open SSE streams now. */
  readonly stats: () => Protocol.Stats
  /** Shuts down now (as closing the scope does); idempotent. */
  readonly close: Effect.Effect<void>
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"])

const json = (res: ServerResponse, status: number, value: unknown, contentType = "application/json") => {
  const body = typeof value === "string" ? value : JSON.stringify(value)
  res.writeHead(status, { "content-type": contentType, "content-length": String(Buffer.byteLength(body)) })
  res.end(body)
}

/** Starts the transport for the life of the scope. */
export const make = (options: Options = {}): Effect.Effect<Running, ListenError, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const path = options.path ?? "/mcp"
    const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    const shutdownMillis = millis(options.shutdownTimeout, 10_000)
    const maxBufferedBytes = options.maxBufferedBytes ?? Protocol.DEFAULT_MAX_BUFFERED_BYTES
    const requestTimeout = millis(options.requestTimeout, 30_000)
    const headersTimeout = Math.min(millis(options.headersTimeout, 10_000), requestTimeout)
    const store = Option.getOrElse(yield* Effect.serviceOption(EventStore.EventStore), () => EventStore.makeMemory())
    const health = yield* Effect.serviceOption(Health.Health)
    const runtime = yield* Effect.runtime<never>().pipe(withStderrLogger())
    const runCallback = Runtime.runCallback(runtime)
    const runFork = Runtime.runFork(runtime)

    // Host checks need the bound port, known after listen: filled in below.
    const allowedHosts = new Set<string>(options.allowedHosts ?? [])
    const protect = options.dnsRebindingProtection ??
      (LOOPBACK.has(host) || options.allowedHosts !== undefined || options.allowedOrigins !== undefined)
    const origins = options.allowedOrigins === undefined ? undefined : new Set(options.allowedOrigins)
    const allowOrigin = !protect
      ? undefined
      : origins !== undefined
      ? (origins.has("*") ? () => true : (origin: string) => origins.has(origin))
      : LOOPBACK.has(host)
      ? loopbackOrigin
      : undefined
    const checkHosts = protect && (options.allowedHosts !== undefined || LOOPBACK.has(host))

    const protocol = yield* Protocol.make(
      Protocol.resolve(options, { statelessByDefault: false, allowedHosts: checkHosts ? allowedHosts : undefined, allowOrigin }),
      store
    ).pipe(withStderrLogger())
    const closing = protocol.closing

    const ready = (res: ServerResponse) =>
      runCallback(
        Option.match(health, {
          onNone: () => Effect.succeed({ status: closing() ? "unhealthy" : "healthy", draining: closing(), checks: {} }),
          onSome: (service) => service.report
        }),
        {
          onExit: (exit) => {
            if (exit._tag === "Failure") return json(res, 503, { status: "unhealthy", draining: closing(), checks: {} })
            const report = closing() ? { ...exit.value, status: "unhealthy", draining: true } : exit.value
            json(res, report.status === "unhealthy" ? 503 : 200, report)
          }
        }
      )

    const metrics = (res: ServerResponse) =>
      runCallback(Prometheus.render, {
        onExit: (exit) => {
          if (exit._tag === "Failure") return json(res, 500, "metrics failed\n", "text/plain; charset=utf-8")
          json(res, 200, exit.value, Prometheus.contentType)
        }
      })

    /** Responses not yet fully handed to the OS: shutdown waits for them (bounded by its deadline). */
    const writing = new Set<ServerResponse>()
    let onWritten: (() => void) | undefined
    const track = (res: ServerResponse) => {
      writing.add(res)
      res.once("close", () => {
        writing.delete(res)
        if (writing.size === 0) onWritten?.()
      })
    }

    /** Nothing a request does may throw into node:http's callbacks (that ends the process). */
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      try {
        serve(req, res)
      } catch (e) {
        runFork(Effect.logError("HTTP: a request failed outside its handler", Cause.die(e)))
        if (!res.headersSent && !res.destroyed) json(res, 500, { jsonrpc: "2.0", error: { code: -32603, message: "Internal error" } })
        else res.destroy()
      }
    }

    const serve = (req: IncomingMessage, res: ServerResponse) => {
      track(res)
      const url = req.url ?? "/"
      const end = url.indexOf("?")
      const pathname = end === -1 ? url : url.slice(0, end)
      if (pathname === path) {
        const incoming = NodeAdapter.incoming(req)
        const reply = NodeAdapter.reply(res, closing, maxBufferedBytes)
        const context = protocol.begin(incoming, reply)
        if (context === undefined) {
          // Answered without reading a body: drain it so keep-alive stays usable.
          if (req.method !== "GET") req.resume()
          return
        }
        NodeAdapter.readBody(
          req,
          maxBodyBytes,
          (body) => protocol.post(incoming, context, body, reply),
          (error) => protocol.reject(context, reply, error.status, error.code, error.message)
        )
        return
      }
      if (options.routes !== undefined && options.routes(req, res)) return
      if (req.method === "GET" || req.method === "HEAD") {
        switch (pathname) {
          case "/health":
            return json(res, 200, { status: "ok" })
          case "/health/ready":
            return ready(res)
          case "/metrics":
            return metrics(res)
        }
      }
      req.resume()
      json(res, 404, { error: "not found" })
    }

    const server: Server = createServer({
      requestTimeout,
      headersTimeout,
      // How often node:http checks the two timeouts above (its default is 30 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 2))),
      keepAliveTimeout: 5_000
    }, onRequest)
    const upgrade = options.upgrade
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (upgrade === undefined || !upgrade(req, socket, head)) {
        socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
      }
    })
    server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      // node:http answers timeouts with 408 itself; other garbage gets a 400 and the socket is closed.
      if (socket.writable && err.code !== "ECONNRESET") {
        socket.end(err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n\r\n" : "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")
      } else socket.destroy()
    })

    yield* listen(server, host, options.port)
    const address = server.address() as AddressInfo
    const port = address.port
    if (checkHosts && options.allowedHosts === undefined) {
      for (const name of ["127.0.0.1", "localhost", "[::1]"]) {
        allowedHosts.add(`${name}:${port}`)
        if (port === 80) allowedHosts.add(name)
      }
    }

    let closed: Effect.Effect<void> | undefined
    const shutdown = Effect.suspend(() => {
      if (closed !== undefined) return closed
      closed = Effect.gen(function*() {
        const deadline = performance.now() + shutdownMillis
        const left = () => Math.max(0, deadline - performance.now())
        yield* protocol.beginShutdown
        if (Option.isSome(health)) yield* health.value.setDraining(true)
        // Stop accepting connections. Not `server.close()`: since Node 19 it also closes "idle"
        // connections, and a connection whose response is still being flushed counts as idle (an
        // 8 MB body was cut at 4 MB). Keep-alive sockets get 503 + `Connection: close` meanwhile.
        const stopped = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()))
        yield* protocol.awaitIdle(left())
        const stillRunning = protocol.stats().inFlight
        if (stillRunning > 0) {
          yield* Effect.logWarning(`HTTP: shutdown deadline (${shutdownMillis} ms) passed; cancelling ${stillRunning} request(s) in flight`)
        }
        // Past the deadline what still runs is cancelled (answered 503); SSE streams end.
        yield* protocol.closeAll(left())
        // Responses still being written get what is left of the deadline to reach the client:
        // closing their sockets now would cut them short.
        yield* Effect.async<void>((resume) => {
          if (writing.size === 0) return resume(Effect.void)
          onWritten = () => resume(Effect.void)
          return Effect.sync(() => {
            onWritten = undefined
          })
        }).pipe(withDeadline(left()))
        server.closeAllConnections()
        yield* Effect.promise(() => stopped)
      }).pipe(withStderrLogger(), Effect.cached, Effect.runSync)
      return closed
    })
    yield* Effect.addFinalizer(() => shutdown)

    const displayHost = host.includes(":") ? `[${host}]` : host
    return {
      port,
      address: address.address,
      url: `http://${displayHost}:${port}${path}`,
      stats: protocol.stats,
      close: shutdown
    } satisfies Running
  })

/**
 * The transport as a scoped Layer: listens when built (failing with
 * `ListenError` when it cannot bind), shuts down gracefully when released.
 */
export const layer = (options: Options = {}): Layer.Layer<never, ListenError, McpServer.McpServer> =>
  Layer.scopedDiscard(make(options))

/**
 * The options read from `Config` (environment variables by default), every
 * key optional with the defaults of `Options`; keys under `HTTP`, itself
 * under `prefix` when given (`config("MCP")` reads `MCP_HTTP_PORT`). See the
 * module comment for the keys. Add what config cannot hold (`routes`,
 * `upgrade`) with `Config.map`.
 */
export const config = (prefix?: string): Config.Config<Options> =>
  C.options({
    ...C.listenerFields,
    ...C.streamableFields,
    path: C.optional(Config.nonEmptyString("PATH")),
    dnsRebindingProtection: C.optional(Config.boolean("DNS_REBINDING_PROTECTION")),
    headersTimeout: C.optional(C.duration("HEADERS_TIMEOUT")),
    requestTimeout: C.optional(C.duration("REQUEST_TIMEOUT"))
  }, "HTTP", prefix)

/**
 * `layer` with its options read from `config` (default `config()`: the
 * `HTTP_*` environment variables). A missing-or-bad value fails the Layer
 * with a `ConfigError` naming the key; a port that cannot be bound, with
 * `ListenError`.
 */
export const layerConfig = (
  options: Config.Config<Options> = config()
): Layer.Layer<never, ConfigError.ConfigError | ListenError, McpServer.McpServer> =>
  Layer.unwrapEffect(Effect.map(options, layer))

export {
  /**
   * Binding the port failed (taken, no such address, no permission); its
   * `message` is one line, e.g. `cannot listen on 127.0.0.1:3000: address
   * already in use (EADDRINUSE)`.
   */
  ListenError
}
