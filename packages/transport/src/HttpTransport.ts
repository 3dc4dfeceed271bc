/**
 * The Streamable HTTP transport (spec 2025-11-25 basic/transports
 * "Streamable HTTP"), composing with @effect/platform. Everything an MCP
 * server offers over HTTP is on one port:
 *
 * - `POST /mcp`, `GET /mcp` (SSE), `DELETE /mcp`: the MCP endpoint, with
 *   sessions (`Mcp-Session-Id`), resumable SSE streams (`Last-Event-ID`,
 *   events kept in the `EventStore` service), DNS-rebinding protection
 *   (Origin/Host checks, on by default when bound to loopback) and limits
 *   (body size, session count, idle timeout, slow clients). node:http hands
 *   these requests straight to the protocol engine, with one Effect run per
 *   message.
 * - every other path: an @effect/platform `HttpApp` (`app`, an `HttpRouter`
 *   of yours), by default `operationalRoutes`: `GET /health` (liveness),
 *   `GET /health/ready` (the `Health` service's report; 503 while shutting
 *   down), `GET /metrics` (Prometheus text).
 * - with `webSocket`, MCP over WebSocket (upgrades on the MCP path); with
 *   `legacySse`, the 2024-11-05 HTTP+SSE endpoints (`/sse`, `/messages`).
 *
 * Closing the scope shuts all of it down gracefully under one deadline: new
 * requests get 503, in-flight requests get up to `shutdownTimeout` to
 * finish, then SSE streams, WebSocket connections and sessions are closed.
 *
 * To serve the MCP endpoint from an @effect/platform server of yours
 * instead, mount `toHttpApp()` (or `makeEndpoint()`) in your router.
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
 * @example
 * // Everything on one port: Streamable HTTP, WebSocket, legacy SSE, health, metrics and a route of yours.
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * const routes = HttpRouter.empty.pipe(
 *   HttpRouter.get("/hello", HttpServerResponse.text("hello")),
 *   HttpRouter.concat(HttpTransport.operationalRoutes)
 * )
 * const Server = HttpTransport.layer({ port: 3000, app: routes, webSocket: true, legacySse: true })
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
 * - `HTTP_STATELESS`, `HTTP_ENABLE_JSON_RESPONSE`, `HTTP_DNS_REBINDING_PROTECTION`,
 *   `HTTP_WEBSOCKET`, `HTTP_LEGACY_SSE` (true/false)
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
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Health, McpServer } from "@emcee/core"
import { Cause, Config, type ConfigError, type Duration, Effect, Layer, Option, Runtime, type Scope } from "effect"
import * as C from "./internal/config.js"
import { ListenError, listen } from "./internal/listen.js"
import { millis } from "./internal/millis.js"
import * as EventStore from "./EventStore.js"
import type * as HttpGuard from "./HttpGuard.js"
import type * as HttpTenancy from "./HttpTenancy.js"
import * as Tenancy from "./internal/tenancy.js"
import { withDeadline } from "./internal/deadline.js"
import * as Guard from "./internal/guard.js"
import { withStderrLogger } from "./internal/stderrLogger.js"
import * as Protocol from "./internal/httpProtocol.js"
import * as NodeAdapter from "./internal/httpNode.js"
import * as PlatformAdapter from "./internal/httpPlatform.js"
import * as Operational from "./internal/operational.js"
import * as LegacySseTransport from "./LegacySseTransport.js"
import * as WebSocketTransport from "./WebSocketTransport.js"
import * as SecurityHeaders from "./SecurityHeaders.js"
import * as Encoding from "./internal/encoding.js"

/** Options of the MCP endpoint, whichever server serves it (`make`, or `makeEndpoint` in a server of yours). */
export interface EndpointOptions {
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
  /**
   * Authenticates every request to the endpoint before it is served
   * (`@emcee/auth` `BearerGuard` for spec basic/authorization): refused
   * requests get the guard's answer (401 with `WWW-Authenticate`), the
   * handlers of the others see the services it provides (`Principal`), and
   * each session answers only the caller that created it (403 otherwise).
   * `HttpTransport` also serves the guard's documents (RFC 9728 metadata);
   * where the endpoint is mounted, route them yourself.
   */
  readonly guard?: HttpGuard.HttpGuard
  /**
   * HTTP statuses for JSON-RPC errors of single requests answered as one
   * JSON body, beside the guard's: e.g. `RateLimit.httpStatus` (429 with
   * `Retry-After`).
   */
  readonly errorStatus?: HttpGuard.ErrorMapper
  /**
   * Security headers on every response of the endpoint (`SecurityHeaders`).
   * Default `X-Content-Type-Options: nosniff` alone (`SecurityHeaders.minimal`);
   * true adds `Referrer-Policy`, `X-Frame-Options`, a CSP allowing nothing
   * and `Cross-Origin-Resource-Policy` (options adjust each, and add HSTS);
   * false sends none.
   */
  readonly securityHeaders?: boolean | SecurityHeaders.Options
  /**
   * Compress complete JSON answers (RFC 9110 §8.4 content codings) per the
   * request's `Accept-Encoding`. Default false: most MCP answers are small
   * JSON, where compression saves little and costs CPU on every request;
   * turn it on for large resources and tool results. SSE streams are never
   * compressed (see `CompressionOptions`).
   */
  readonly compression?: boolean | CompressionOptions
}

/**
 * Response compression of the endpoint. A complete JSON answer of at least
 * `threshold` bytes is compressed with the coding the client prefers among
 * `encodings` (RFC 9110 §12.5.3 `Accept-Encoding`, q-values honoured; no
 * header or `identity` alone: not compressed), with `Content-Encoding`,
 * `Content-Length` and `Vary: Accept-Encoding`. SSE streams stay
 * uncompressed: each event is flushed as it is written, which a compressor
 * would either buffer (delaying progress and results) or emit in blocks too
 * small to gain, and proxies tend to buffer compressed streams.
 */
export interface CompressionOptions {
  /** Smallest body compressed, in bytes. Default 1024. */
  readonly threshold?: number
  /**
   * Codings offered, most preferred first (ties in the client's weights go
   * to the first). Default `["br", "gzip", "deflate"]`; `WebHandler` drops
   * those its runtime's `CompressionStream` lacks (usually `br`).
   */
  readonly encodings?: ReadonlyArray<"br" | "gzip" | "deflate">
}

/**
 * Options of the HTTP transport. `E` and `R` are the error and requirements
 * of `app`; its requirements are the Layer's.
 */
export interface Options<E = never, R = never> extends EndpointOptions {
  /** TCP port; 0 picks a free one (read it from `make`'s result). Default 0. */
  readonly port?: number
  /** Interface to bind; default 127.0.0.1 (spec "Security Warning" 2.: bind locally when running locally). */
  readonly host?: string
  /** The MCP endpoint path; default "/mcp". */
  readonly path?: string
  /** Time for a client to send a request's headers (then 408). Default 10 seconds. */
  readonly headersTimeout?: Duration.DurationInput
  /** Time for a client to send a whole request (then 408). Default 30 seconds. */
  readonly requestTimeout?: Duration.DurationInput
  /**
   * Serves every request that is not for the MCP endpoint: an
   * @effect/platform `HttpApp`, an `HttpRouter` being one. A path it does not
   * route (`RouteNotFound`) gets 404. Default `operationalRoutes` (`/health`,
   * `/health/ready`, `/metrics`); to keep those next to your routes, include
   * them: `HttpRouter.concat(HttpTransport.operationalRoutes, myRoutes)`.
   *
   * The MCP endpoint itself does not go through it: node:http hands those
   * requests straight to the protocol engine.
   */
  readonly app?: HttpApp.Default<E, R>
  /**
   * Also serve MCP over WebSocket (`WebSocketTransport`) on this port:
   * upgrade requests on the MCP path (or on `path` of these options). The
   * Origin/Host options and `shutdownTimeout` of the HTTP transport apply
   * unless given here. Default false.
   */
  readonly webSocket?: boolean | WebSocketTransport.HandlerOptions
  /**
   * Also serve the deprecated HTTP+SSE transport (`LegacySseTransport`,
   * `/sse` and `/messages` unless given here) for 2024-11-05 clients, ahead of
   * `app`. The Origin/Host options, `maxBodyBytes`, `keepAliveInterval`,
   * `maxBufferedBytes` and `shutdownTimeout` of the HTTP transport apply
   * unless given here. Default false.
   */
  readonly legacySse?: boolean | LegacySseTransport.HandlerOptions
  /**
   * Raw node:http routes served before `app`: return true when the request
   * was handled.
   *
   * @deprecated Use `app` (an @effect/platform `HttpRouter`); this stays for
   * code written against node:http.
   */
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean
  /**
   * HTTP upgrades other than `webSocket`'s: return true when handled; other
   * upgrade requests are refused with 404.
   */
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean
}

/** Sessions, in-flight POSTs and open SSE streams of an MCP endpoint. */
export type Stats = Protocol.Stats

/** A running HTTP transport. */
export interface Running {
  readonly port: number
  readonly address: string
  /** The URL of the MCP endpoint. */
  readonly url: string
  /** Sessions, in-flight POSTs and open SSE streams now. */
  readonly stats: () => Stats
  /** Shuts down now (as closing the scope does); idempotent. */
  readonly close: Effect.Effect<void>
}

/**
 * `GET /health` (liveness: `{"status":"ok"}`) and `GET /health/ready`
 * (readiness: the `Health` service's report, or healthy without one; 503
 * when unhealthy and, under HttpTransport, from the moment shutdown begins).
 */
export const healthRoutes: HttpRouter.HttpRouter = Operational.healthRoutes

/** `GET /metrics`: every Effect metric in the Prometheus text format (0.0.4), process memory included. */
export const metricsRoutes: HttpRouter.HttpRouter = Operational.metricsRoutes

/** `healthRoutes` and `metricsRoutes`: what `app` serves by default. */
export const operationalRoutes: HttpRouter.HttpRouter = Operational.operationalRoutes

const json = (res: ServerResponse, status: number, value: unknown) => {
  const body = JSON.stringify(value)
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) })
  res.end(body)
}

/** The options of the HTTP transport a sub-transport inherits, unless given its own. */
const inherited = <A extends object>(options: EndpointOptions, keys: ReadonlyArray<keyof EndpointOptions>, own: boolean | A | undefined): A => {
  const out: Record<string, unknown> = {}
  for (const key of keys) if (options[key] !== undefined) out[key] = options[key]
  return { ...out, ...(typeof own === "object" ? own : {}) } as A
}

/**
 * Starts the transport for the life of the scope: the MCP endpoint on
 * node:http, `app` (default `operationalRoutes`) for every other path, and
 * the WebSocket and legacy HTTP+SSE transports when asked for, all on one
 * port, shut down together under `shutdownTimeout`.
 */
export const make: {
  /**
   * One MCP server per tenant (`tenancy`): the transport needs no
   * `McpServer` of its own.
   */
  <E = never, R = never>(
    options: TenancyOptions<E, R>
  ): Effect.Effect<Running, ListenError, Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>>
  <E = never, R = never>(
    options?: Options<E, R>
  ): Effect.Effect<Running, ListenError, McpServer.McpServer | Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>>
} = <E = never, R = never>(options: Options<E, R> | TenancyOptions<E, R> = {}) => makeTransport<E, R>(options)

/**
 * Options of a transport serving one MCP server per tenant (`HttpTenancy`):
 * the tenancy's guard authenticates every request and selects the tenant.
 * WebSocket and legacy HTTP+SSE serve a single server, so they are not
 * offered here.
 */
export interface TenancyOptions<E = never, R = never> extends Omit<Options<E, R>, "guard" | "webSocket" | "legacySse"> {
  readonly tenancy: HttpTenancy.HttpTenancy
}

const makeTransport = <E = never, R = never>(
  options: Options<E, R> & { readonly tenancy?: HttpTenancy.HttpTenancy }
): Effect.Effect<Running, ListenError, McpServer.McpServer | Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const path = options.path ?? "/mcp"
    const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    const shutdownMillis = millis(options.shutdownTimeout, 10_000)
    const maxBufferedBytes = options.maxBufferedBytes ?? Protocol.DEFAULT_MAX_BUFFERED_BYTES
    const security = SecurityHeaders.headers(options.securityHeaders ?? SecurityHeaders.minimal)
    const compression = Encoding.resolve(options.compression)
    const requestTimeout = millis(options.requestTimeout, 30_000)
    const headersTimeout = Math.min(millis(options.headersTimeout, 10_000), requestTimeout)
    const store = Option.getOrElse(yield* Effect.serviceOption(EventStore.EventStore), () => EventStore.makeMemory())
    const health = yield* Effect.serviceOption(Health.Health)
    const runtime = yield* Effect.runtime<never>().pipe(withStderrLogger())
    const runFork = Runtime.runFork(runtime)

    // Host checks need the bound port, known after listen: `checks.bound` fills it in below.
    const checks = Guard.streamable(options, host)
    const resolved = Protocol.resolve(options, { statelessByDefault: false, allowedHosts: checks.allowedHosts, allowOrigin: checks.allowOrigin })
    const protocol = yield* (options.tenancy === undefined
      ? Protocol.make(resolved, store)
      : Tenancy.make(options.tenancy, resolved, store, shutdownMillis)).pipe(withStderrLogger())
    const closing = protocol.closing
    const document = (options.tenancy?.guard ?? options.guard)?.document

    const guardKeys = ["allowedOrigins", "allowedHosts", "dnsRebindingProtection", "shutdownTimeout", "guard"] as const
    const webSocket = options.webSocket === undefined || options.webSocket === false
      ? undefined
      : yield* WebSocketTransport.makeHandler(inherited<WebSocketTransport.HandlerOptions>(options, guardKeys, { path, ...(typeof options.webSocket === "object" ? options.webSocket : {}) }))
    if (options.guard !== undefined && options.legacySse !== undefined && options.legacySse !== false) {
      // The deprecated HTTP+SSE transport has no guard: serving it beside a guarded endpoint would open a way around it.
      return yield* Effect.dieMessage("HttpTransport: `legacySse` cannot be served beside a `guard` (the 2024-11-05 HTTP+SSE transport is not authenticated); drop one of them")
    }
    const legacy = options.legacySse === undefined || options.legacySse === false
      ? undefined
      : yield* LegacySseTransport.makeHandler(
        inherited<LegacySseTransport.HandlerOptions>(options, [...guardKeys, "maxBodyBytes", "keepAliveInterval", "maxBufferedBytes"], options.legacySse)
      ).pipe(withStderrLogger())

    // Every path but the MCP endpoint: legacy HTTP+SSE first, then the app; what nothing routes is a 404.
    const userApp = (options.app ?? Operational.operationalRoutes) as HttpApp.Default<unknown, R>
    const routed: HttpApp.Default<unknown, R> = legacy === undefined
      ? userApp
      : Effect.catchIf(legacy.router, PlatformAdapter.isRouteNotFound, () => userApp)
    const app = Effect.catchAll(routed, (e) => (PlatformAdapter.isRouteNotFound(e) ? Effect.succeed(Operational.notFound) : Effect.fail(e)))
    const serveApp = yield* NodeHttpServer.makeHandler(app).pipe(
      Effect.provideService(Operational.Draining, closing),
      withStderrLogger()
    )

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
        // The hot path: straight from node:http to the protocol engine.
        const incoming = NodeAdapter.incoming(req)
        const reply = NodeAdapter.reply(res, closing, maxBufferedBytes, security, compression, req)
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
      // RFC 9728 §3: the guard's protected-resource metadata, beside the endpoint.
      if (document !== undefined && (req.method === "GET" || req.method === "HEAD")) {
        const found = document(pathname)
        if (found !== undefined) {
          res.writeHead(found.status, { ...security, ...found.headers })
          res.end(req.method === "HEAD" ? undefined : found.body)
          return
        }
      }
      if (options.routes !== undefined && options.routes(req, res)) return
      serveApp(req, res)
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
      if (webSocket !== undefined && webSocket.upgrade(req, socket, head)) return
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
    checks.bound(port)

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
        const streamable = Effect.gen(function*() {
          yield* protocol.awaitIdle(left())
          const stillRunning = protocol.stats().inFlight
          if (stillRunning > 0) {
            yield* Effect.logWarning(`HTTP: shutdown deadline (${shutdownMillis} ms) passed; cancelling ${stillRunning} request(s) in flight`)
          }
          // Past the deadline what still runs is cancelled (answered 503); SSE streams end.
          yield* protocol.closeAll(left())
        })
        // WebSocket and legacy sessions drain alongside, under the same deadline, before sockets close.
        yield* Effect.all([streamable, webSocket?.close ?? Effect.void, legacy?.close ?? Effect.void], { concurrency: "unbounded", discard: true })
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

/** The MCP endpoint as an @effect/platform `HttpApp`, for a server of yours. */
export interface Endpoint {
  /**
   * Serves Streamable HTTP (POST, GET, DELETE, OPTIONS) on whatever path it
   * is mounted: `HttpRouter.all("/mcp", endpoint.app)`. Never fails.
   */
  readonly app: HttpApp.Default
  /** Sessions, in-flight POSTs and open SSE streams now. */
  readonly stats: () => Stats
  /** Graceful shutdown (as closing the scope does); idempotent. */
  readonly close: Effect.Effect<void>
}

/**
 * The MCP endpoint as an @effect/platform `HttpApp` for the life of the
 * scope, to mount in a server of yours (`NodeHttpServer`, `BunHttpServer`,
 * `HttpApp.toWebHandler`): the same protocol engine as `make`, with the
 * platform server writing the responses.
 *
 * How a response is written: a complete answer is a raw body with the
 * engine's own headers (`content-length` included); an SSE answer is a
 * `Stream` body the engine feeds. Nothing touches the underlying node:http
 * objects, so the platform server never meets a response written behind its
 * back, and the same app runs on any platform server. When a client goes
 * away the platform interrupts the fiber pulling the stream; its finalizer
 * detaches the stream from the session (the client can resume it with
 * `Last-Event-ID`), as on `make`'s server. A stream whose client leaves more
 * than `maxBufferedBytes` unread is ended.
 *
 * DNS-rebinding protection follows `make`'s rule with the address of the
 * `HttpServer` in context, when there is one: on by default when it is bound
 * to loopback. Without an `HttpServer` only the given lists apply.
 *
 * Closing the scope shuts the endpoint down gracefully: new requests get
 * 503, in-flight ones get up to `shutdownTimeout`, then SSE streams and
 * sessions close. Build it inside the scope of your server (after the
 * server's Layer is acquired), so it shuts down before the server stops.
 *
 * @example
 * import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { createServer } from "node:http"
 * const Main = Layer.unwrapScoped(Effect.gen(function*() {
 *   const mcp = yield* HttpTransport.toHttpApp()
 *   return HttpRouter.empty.pipe(
 *     HttpRouter.all("/mcp", mcp),
 *     HttpRouter.get("/hello", HttpServerResponse.text("hello")),
 *     HttpRouter.concat(HttpTransport.operationalRoutes),
 *     HttpServer.serve()
 *   )
 * })).pipe(Layer.provide(NodeHttpServer.layer(createServer, { port: 3000, host: "127.0.0.1" })))
 */
export const makeEndpoint = (options: EndpointOptions = {}): Effect.Effect<Endpoint, never, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    const shutdownMillis = millis(options.shutdownTimeout, 10_000)
    const maxBufferedBytes = options.maxBufferedBytes ?? Protocol.DEFAULT_MAX_BUFFERED_BYTES
    const store = Option.getOrElse(yield* Effect.serviceOption(EventStore.EventStore), () => EventStore.makeMemory())
    const health = yield* Effect.serviceOption(Health.Health)
    const address = Option.map(yield* Effect.serviceOption(HttpServer.HttpServer), (server) => server.address)
    const bound = Option.isSome(address) && address.value._tag === "TcpAddress" ? address.value : undefined
    const checks = Guard.streamable(options, bound?.hostname)
    if (bound !== undefined) checks.bound(bound.port)
    const protocol = yield* Protocol.make(
      Protocol.resolve(options, { statelessByDefault: false, allowedHosts: checks.allowedHosts, allowOrigin: checks.allowOrigin }),
      store
    ).pipe(withStderrLogger())

    const app = PlatformAdapter.respond(
      maxBufferedBytes,
      (request, reply) => {
        const incoming = PlatformAdapter.incoming(request)
        const context = protocol.begin(incoming, reply)
        return context === undefined ? undefined : { incoming, context }
      },
      maxBodyBytes,
      ({ context, incoming }, body, reply) => {
        if (typeof body === "string") protocol.post(incoming, context, body, reply)
        else protocol.reject(context, reply, body.status, body.code, body.message)
      },
      SecurityHeaders.headers(options.securityHeaders ?? SecurityHeaders.minimal),
      Encoding.resolve(options.compression)
    )

    let closed: Effect.Effect<void> | undefined
    const close = Effect.suspend(() => {
      if (closed !== undefined) return closed
      closed = Effect.gen(function*() {
        const deadline = performance.now() + shutdownMillis
        yield* protocol.beginShutdown
        if (Option.isSome(health)) yield* health.value.setDraining(true)
        yield* protocol.awaitIdle(shutdownMillis)
        yield* protocol.closeAll(Math.max(0, deadline - performance.now()))
      }).pipe(withStderrLogger(), Effect.cached, Effect.runSync)
      return closed
    })
    yield* Effect.addFinalizer(() => close)
    return { app, stats: protocol.stats, close } satisfies Endpoint
  })

/** `makeEndpoint`'s `app` alone: the MCP endpoint as an `HttpApp` for the life of the scope. */
export const toHttpApp = (options: EndpointOptions = {}): Effect.Effect<HttpApp.Default, never, McpServer.McpServer | Scope.Scope> =>
  Effect.map(makeEndpoint(options), (endpoint) => endpoint.app)

/**
 * `toHttpApp` with its options read from `options` (default `config()`; the
 * listener keys do not apply); a bad value fails with a `ConfigError` naming
 * the key.
 */
export const toHttpAppConfig = (
  options: Config.Config<EndpointOptions> = config()
): Effect.Effect<HttpApp.Default, ConfigError.ConfigError, McpServer.McpServer | Scope.Scope> => Effect.flatMap(options, toHttpApp)

/**
 * The transport as a scoped Layer: listens when built (failing with
 * `ListenError` when it cannot bind), shuts down gracefully when released.
 */
export const layer: {
  /** One MCP server per tenant (`tenancy`): the transport needs no `McpServer` of its own. */
  <E = never, R = never>(
    options: TenancyOptions<E, R>
  ): Layer.Layer<never, ListenError, Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>>
  <E = never, R = never>(
    options?: Options<E, R>
  ): Layer.Layer<never, ListenError, McpServer.McpServer | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>>
} = <E = never, R = never>(options: Options<E, R> | TenancyOptions<E, R> = {}) => Layer.scopedDiscard(makeTransport<E, R>(options))

/**
 * The options read from `Config` (environment variables by default), every
 * key optional with the defaults of `Options`; keys under `HTTP`, itself
 * under `prefix` when given (`config("MCP")` reads `MCP_HTTP_PORT`). See the
 * module comment for the keys. Add what config cannot hold (`app`,
 * `upgrade`, options of `webSocket` and `legacySse` beyond `true`) with
 * `Config.map`: `Config.map(HttpTransport.config(), (o) => ({ ...o, app }))`.
 */
export const config = (prefix?: string): Config.Config<Options> =>
  C.options({
    ...C.listenerFields,
    ...C.streamableFields,
    path: C.optional(Config.nonEmptyString("PATH")),
    webSocket: C.optional(Config.boolean("WEBSOCKET")),
    legacySse: C.optional(Config.boolean("LEGACY_SSE")),
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
export const layerConfig = <E = never, R = never>(
  options: Config.Config<Options<E, R>> = config()
): Layer.Layer<never, ConfigError.ConfigError | ListenError, McpServer.McpServer | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>> =>
  Layer.unwrapEffect(Effect.map(options, (resolved) => layer(resolved)))

export {
  /**
   * Binding the port failed (taken, no such address, no permission); its
   * `message` is one line, e.g. `cannot listen on 127.0.0.1:3000: address
   * already in use (EADDRINUSE)`.
   */
  ListenError
}
