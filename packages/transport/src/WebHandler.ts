/**
 * The Streamable HTTP transport as a web-standard handler,
 * `(request: Request) => Promise<Response>`, for serverless and edge
 * runtimes (Cloudflare Workers, Deno, Bun, Vercel, Hono, Node's own
 * Request/Response). The MCP-over-HTTP rules are the ones HttpTransport
 * uses (one implementation, `internal/httpProtocol`); only the adapter
 * differs.
 *
 * MCP 2026-07-28 (a POST with `MCP-Protocol-Version: 2026-07-28`) is
 * always served statelessly, the natural fit for functions (spec 2026-07-28
 * basic/transports/streamable-http): each request carries its own protocol
 * fields in `_meta`, `Mcp-Method`/`Mcp-Name` are checked against the body
 * (400, -32020), protocol errors have their own statuses (400 -32022, 404
 * -32601), progress and logs go on the request's own SSE stream, and
 * closing that stream cancels the request. Exactly as HttpTransport serves it.
 *
 * 2025-11-25 is stateless by default (spec 2025-11-25 basic/transports
 * "Session Management" lets servers skip session ids): each POST is served on
 * its own preinitialized connection and GET is 405, so any instance can
 * answer any request. With `stateless: false` sessions live in the memory of
 * this handler instance, which suits a single long-lived process.
 *
 * Platforms that deliver a response only once it is complete (AWS Lambda
 * without response streaming, see `Lambda`) take `streaming: false`: every
 * answer is one JSON body.
 *
 * On Cloudflare Workers turn on the compatibility flags `nodejs_compat`
 * (`node:crypto`, `Buffer`) and `enable_request_signal`: workerd tells of a
 * client that closed its stream only through `request.signal`; without it
 * the request's work is dropped with no cancellation (no finalizer runs).
 * The app is built on the first request (`toHandler`), as the Workers
 * global scope allows no timers or random values.
 *
 * @example
 * const { handler, dispose } = WebHandler.toHandler(App) // App: Layer<McpServer>
 * export default { fetch: handler }
 *
 * `config(prefix?)` reads the options from Effect `Config` with the keys
 * HttpTransport uses (`HTTP_STATELESS`, `HTTP_ALLOWED_ORIGINS`,
 * `HTTP_MAX_BODY_BYTES`, ...); on runtimes without `process.env` give the
 * bindings to a provider, e.g. `Effect.withConfigProvider(ConfigProvider.fromJson(env))`.
 *
 * @since 0.1.0
 */
import { McpServer } from "@emcee/core"
import { Config, type ConfigError, Duration, Effect, Exit, type Layer, ManagedRuntime, Option, Scope } from "effect"
import { type BodyError, decodeUtf8, tooLarge } from "./internal/body.js"
import * as C from "./internal/config.js"
import { millis } from "./internal/millis.js"
import * as EventStore from "./EventStore.js"
import type * as HttpGuard from "./HttpGuard.js"
import type * as HttpTransport from "./HttpTransport.js"
import * as Encoding from "./internal/encoding.js"
import * as Protocol from "./internal/httpProtocol.js"
import * as SecurityHeaders from "./SecurityHeaders.js"
import type { Sink } from "./internal/sse.js"

/** Options of the web handler. */
export interface Options {
  /** No sessions (default true): every POST is a complete connection; GET and DELETE are 405. */
  readonly stateless?: boolean
  /** See HttpTransport `enableJsonResponse`. Default true. */
  readonly enableJsonResponse?: boolean
  /** Largest accepted POST body; larger ones get 413. Default 4 MiB. */
  readonly maxBodyBytes?: number
  /**
   * Accepted `Origin` values (spec "Security Warning" 1.); a present Origin
   * not listed gets 403; `"*"` accepts any. This is also the CORS allow-list:
   * listed origins get CORS headers and preflight answers (Fetch standard
   * "CORS protocol"), so browser clients can connect. Default: no check, and
   * no CORS headers.
   */
  readonly allowedOrigins?: ReadonlyArray<string>
  /** Accepted `Host` header values; others get 403. Default: no check. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Stateful mode: sessions not used for this long are closed. Default 30 minutes. */
  readonly sessionIdleTimeout?: Duration.DurationInput
  /** Stateful mode: most sessions at once. Default 10,000. */
  readonly maxSessions?: number
  /** Interval of SSE keep-alive comments; 0 disables them. Default 15 seconds. */
  readonly keepAliveInterval?: Duration.DurationInput
  /** `retry` advertised in SSE priming events. Default none. */
  readonly retryInterval?: Duration.DurationInput
  /** How long in-flight requests may run when the handler is disposed. Default 10 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput
  /** See HttpTransport `maxBufferedBytes`. Default 1 MiB. */
  readonly maxBufferedBytes?: number
  /**
   * Whether responses may be SSE streams (default true). False for platforms
   * that buffer a response until it is complete (AWS Lambda without response
   * streaming): every request is answered with one JSON body, the
   * notifications related to it (progress, logs), which the server MAY send
   * (spec 2026-07-28 basic/transports/streamable-http "Receiving Messages"),
   * are dropped, and the handler is stateless whatever `stateless` says (a
   * 2025-11-25 session needs a GET stream). Long-lived streams
   * (`subscriptions/listen`) need streaming.
   */
  readonly streaming?: boolean
  /**
   * See HttpTransport `guard`. The handler also answers GETs of the guard's
   * documents (RFC 9728 metadata) when they reach it.
   */
  readonly guard?: HttpGuard.HttpGuard
  /** See HttpTransport `errorStatus`. */
  readonly errorStatus?: HttpGuard.ErrorMapper
  /** Security headers on every response: see HttpTransport `securityHeaders`. Default `nosniff` alone. */
  readonly securityHeaders?: boolean | SecurityHeaders.Options
  /**
   * See HttpTransport `compression` (default false). Here the bytes are
   * compressed with the runtime's `CompressionStream` (gzip and deflate
   * everywhere; `br` only where the runtime offers it), and the answer is
   * complete before it is returned, with its `Content-Length`, so it suits
   * buffering platforms (`Lambda`, which sends it Base64-encoded) too.
   * Platforms that compress by themselves (Cloudflare's edge) need no more.
   */
  readonly compression?: boolean | HttpTransport.CompressionOptions
}

/** A web-standard request handler. */
export type Handler = (request: Request) => Promise<Response>

const encoder = new TextEncoder()

/**
 * A Reply that resolves one web Response. An SSE stream whose consumer leaves
 * more than `maxBufferedBytes` unread is ended rather than buffered for (the
 * client can resume with `Last-Event-ID`).
 */
const webReply = (
  request: Request,
  resolve: (response: Response) => void,
  maxBufferedBytes: number,
  security: Readonly<Record<string, string>> | undefined,
  compression: Encoding.Compression | undefined
): Protocol.Reply => {
  let extra: Record<string, string> | undefined
  const withExtra = (headers: Record<string, string>) => (extra === undefined ? headers : { ...extra, ...headers })
  return {
    header: (name, value) => {
      extra ??= {}
      extra[name] = value
    },
    send: (status, headers, body) => {
      if (security !== undefined) addSecurity(headers, security)
      if (compression === undefined || body === undefined || !Encoding.eligible(compression, headers, body)) {
        return resolve(new Response(body ?? null, { status, headers: withExtra(headers) }))
      }
      // RFC 9110 §12.5.5: the coding depends on Accept-Encoding, whichever was chosen.
      headers["vary"] = Encoding.varyWith(headers["vary"] ?? extra?.["vary"])
      const coding = Encoding.negotiate(request.headers.get("accept-encoding") ?? undefined, compression.encodings)
      if (coding === undefined) return resolve(new Response(body, { status, headers: withExtra(headers) }))
      compress(body, coding).then(
        (bytes) => {
          headers["content-encoding"] = coding
          headers["content-length"] = String(bytes.byteLength)
          resolve(new Response(bytes, { status, headers: withExtra(headers) }))
        },
        // Compression cannot fail on a string; if it ever did, the body goes as it is.
        () => resolve(new Response(body, { status, headers: withExtra(headers) }))
      )
    },
    onAbort: (onAbort) => request.signal.addEventListener("abort", onAbort, { once: true }),
    stream: (headers, onClose): Sink => {
      if (security !== undefined) addSecurity(headers, security)
      let closed = false
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined
      const close = () => {
        if (!closed) {
          closed = true
          onClose()
        }
      }
      const body = new ReadableStream<Uint8Array>({
        start: (c) => {
          controller = c
        },
        cancel: close
      }, new ByteLengthQueuingStrategy({ highWaterMark: maxBufferedBytes }))
      request.signal.addEventListener("abort", close, { once: true })
      resolve(new Response(body, { status: 200, headers: withExtra(headers) }))
      return {
        write: (chunk) => {
          if (closed) return false
          // Backpressure: a negative desired size means more than the bound is queued unread. The
          // stream ends (what is queued can still be read) and the client resumes with Last-Event-ID.
          if ((controller!.desiredSize ?? 0) < 0) {
            close()
            try {
              controller!.close()
            } catch {
              // Already closed by the consumer.
            }
            return false
          }
          try {
            controller!.enqueue(encoder.encode(chunk))
            return true
          } catch {
            close()
            return false
          }
        },
        end: () => {
          if (closed) return
          closed = true
          try {
            controller!.close()
          } catch {
            // Already closed by the consumer.
          }
        },
        closed: () => closed
      }
    }
  }
}

/** Adds the precomputed security headers to a response's, which win. */
const addSecurity = (headers: Record<string, string>, security: Readonly<Record<string, string>>): void => {
  for (const name in security) headers[name] ??= security[name]!
}

/** Whether this runtime's `CompressionStream` produces `coding` (`br` is missing in most). */
const canCompress = (coding: Encoding.Coding): boolean => {
  if (typeof CompressionStream !== "function") return false
  try {
    new CompressionStream(coding as CompressionFormat)
    return true
  } catch {
    return false
  }
}

/** The whole body compressed with `coding` (`CompressionStream`: HTTP `deflate` is the zlib format, as here). */
const compress = (body: string, coding: Encoding.Coding): Promise<ArrayBuffer> =>
  new Response(new Response(body).body!.pipeThrough(new CompressionStream(coding as CompressionFormat))).arrayBuffer()

const incoming = (request: Request): Protocol.Incoming => ({
  method: request.method,
  header: (name) => request.headers.get(name) ?? undefined
})

const readBody = async (request: Request, maxBytes: number): Promise<string | BodyError> => {
  const declared = request.headers.get("content-length")
  if (declared !== null && Number(declared) > maxBytes) return tooLarge(maxBytes)
  if (request.body === null) return ""
  const reader = request.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      return tooLarge(maxBytes)
    }
    chunks.push(value)
  }
  return decodeUtf8(chunks, size)
}

/**
 * Builds a handler for the life of the scope; closing the scope stops new
 * requests (503), lets in-flight ones finish within `shutdownTimeout`, then
 * closes streams and sessions.
 */
export const make = (options: Options = {}): Effect.Effect<Handler, never, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const store = Option.getOrElse(yield* Effect.serviceOption(EventStore.EventStore), () => EventStore.makeMemory())
    const origins = options.allowedOrigins === undefined ? undefined : new Set(options.allowedOrigins)
    const resolved = Protocol.resolve(options, {
      statelessByDefault: true,
      allowedHosts: options.allowedHosts === undefined ? undefined : new Set(options.allowedHosts),
      allowOrigin: origins === undefined ? undefined : origins.has("*") ? () => true : (origin) => origins.has(origin)
    })
    const security = SecurityHeaders.headers(options.securityHeaders ?? SecurityHeaders.minimal)
    const compression = Encoding.resolve(options.compression, canCompress)
    const protocol = yield* Protocol.make(
      options.streaming === false ? { ...resolved, stateless: true, enableJsonResponse: true, buffered: true } : resolved,
      store
    )
    const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    const shutdownMillis = millis(options.shutdownTimeout, 10_000)
    const maxBufferedBytes = options.maxBufferedBytes ?? Protocol.DEFAULT_MAX_BUFFERED_BYTES
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const deadline = performance.now() + shutdownMillis
        yield* protocol.beginShutdown
        yield* protocol.awaitIdle(shutdownMillis)
        yield* protocol.closeAll(Math.max(0, deadline - performance.now()))
      })
    )

    const document = options.guard?.document
    return (request: Request) =>
      new Promise<Response>((resolve) => {
        if (document !== undefined && request.method === "GET") {
          // RFC 9728 §3: the guard's protected-resource metadata.
          const found = document(new URL(request.url).pathname)
          if (found !== undefined) return resolve(new Response(found.body, { status: found.status, headers: { ...security, ...found.headers } }))
        }
        const message = incoming(request)
        const reply = webReply(request, resolve, maxBufferedBytes, security, compression)
        const context = protocol.begin(message, reply)
        if (context === undefined) return
        readBody(request, maxBodyBytes).then(
          (body) => {
            if (typeof body === "string") protocol.post(message, context, body, reply)
            else protocol.reject(context, reply, body.status, body.code, body.message)
          },
          () => protocol.reject(context, reply, 400, -32000, "Bad Request: the body could not be read")
        )
      })
  })

/**
 * A handler over an app Layer that provides McpServer, with its own
 * runtime: call `dispose` to shut down (graceful, as `make`).
 *
 * The app is built on the first request, not here: this may run at a
 * module's top level, where some runtimes forbid timers and random values
 * (Cloudflare Workers' global scope), and a function that is never invoked
 * builds nothing. A handler called after `dispose` rejects.
 */
export const toHandler = <E>(
  app: Layer.Layer<McpServer.McpServer, E>,
  options: Options = {}
): { readonly handler: Handler; readonly dispose: () => Promise<void> } => {
  const runtime = ManagedRuntime.make(app)
  const scope = Effect.runSync(Scope.make())
  let ready: Promise<Handler> | undefined
  let disposed = false
  const start = (): Promise<Handler> => {
    if (disposed) return Promise.reject(new Error("WebHandler: the handler was disposed"))
    ready ??= runtime.runPromise(Scope.extend(make(options), scope))
    return ready
  }
  return {
    handler: (request) => start().then((handler) => handler(request)),
    dispose: async () => {
      disposed = true
      if (ready !== undefined) await ready.then(() => undefined, () => undefined)
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

/**
 * The options read from `Config` (environment variables by default), every
 * key optional with the defaults of `Options`; the keys of
 * `HttpTransport.config` that apply here, under `HTTP` and `prefix` when
 * given: `HTTP_STATELESS`, `HTTP_ENABLE_JSON_RESPONSE`, `HTTP_MAX_BODY_BYTES`,
 * `HTTP_ALLOWED_ORIGINS`, `HTTP_ALLOWED_HOSTS` (comma-separated),
 * `HTTP_SESSION_IDLE_TIMEOUT`, `HTTP_MAX_SESSIONS`, `HTTP_KEEP_ALIVE_INTERVAL`,
 * `HTTP_RETRY_INTERVAL`, `HTTP_SHUTDOWN_TIMEOUT`, `HTTP_MAX_BUFFERED_BYTES`,
 * and `HTTP_STREAMING` (`streaming`).
 */
export const config = (prefix?: string): Config.Config<Options> =>
  C.options({
    ...C.streamableFields,
    streaming: C.optional(Config.boolean("STREAMING"))
  }, "HTTP", prefix)

/** `make` with its options read from `options` (default `config()`); a bad value fails with a `ConfigError` naming the key. */
export const makeConfig = (
  options: Config.Config<Options> = config()
): Effect.Effect<Handler, ConfigError.ConfigError, McpServer.McpServer | Scope.Scope> => Effect.flatMap(options, make)
