/**
 * The Streamable HTTP transport as a web-standard handler,
 * `(request: Request) => Promise<Response>`, for serverless and edge
 * runtimes (Cloudflare Workers, Deno, Bun, Vercel, Hono, Node's own
 * Request/Response). The MCP-over-HTTP rules are the ones HttpTransport
 * uses (one implementation, `internal/httpProtocol`); only the adapter
 * differs.
 *
 * Stateless by default (spec 2025-11-25 basic/transports "Session
 * Management" lets servers skip session ids): each POST is served on its own
 * preinitialized connection and GET is 405, so any instance can answer any
 * request. With `stateless: false` sessions live in the memory of this
 * handler instance, which suits a single long-lived process.
 *
 * @example
 * const { handler, dispose } = WebHandler.toHandler(App) // App: Layer<McpServer>
 * export default { fetch: handler }
 *
 * @since 0.1.0
 */
import { McpServer } from "@emcee/core"
import { Duration, Effect, Exit, type Layer, ManagedRuntime, Option, Scope } from "effect"
import { millis } from "./internal/millis.js"
import * as EventStore from "./EventStore.js"
import * as Protocol from "./internal/httpProtocol.js"
import type { Sink } from "./internal/sse.js"

/** Options of the web handler. */
export interface Options {
  /** No sessions (default true): every POST is a complete connection; GET and DELETE are 405. */
  readonly stateless?: boolean
  /** See HttpTransport `enableJsonResponse`. Default true. */
  readonly enableJsonResponse?: boolean
  /** Largest accepted POST body; larger ones get 413. Default 4 MiB. */
  readonly maxBodyBytes?: number
  /** Accepted `Origin` values (spec "Security Warning" 1.); a present Origin not listed gets 403. Default: no check. */
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
}

/** A web-standard request handler. */
export type Handler = (request: Request) => Promise<Response>

const encoder = new TextEncoder()

/** A Reply that resolves one web Response. */
const webReply = (request: Request, resolve: (response: Response) => void): Protocol.Reply => ({
  send: (status, headers, body) => resolve(new Response(body ?? null, { status, headers })),
  stream: (headers, onClose): Sink => {
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
    })
    request.signal.addEventListener("abort", close, { once: true })
    resolve(new Response(body, { status: 200, headers }))
    return {
      write: (chunk) => {
        if (closed) return false
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
})

const incoming = (request: Request): Protocol.Incoming => ({
  method: request.method,
  header: (name) => request.headers.get(name) ?? undefined
})

const readBody = async (request: Request, maxBytes: number): Promise<string | { status: number; code: number; message: string }> => {
  const tooLarge = { status: 413, code: -32000, message: `Payload Too Large: the limit is ${maxBytes} bytes` }
  const declared = request.headers.get("content-length")
  if (declared !== null && Number(declared) > maxBytes) return tooLarge
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
      return tooLarge
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch {
    return { status: 400, code: -32700, message: "Parse error: the body is not valid UTF-8" }
  }
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
    const protocol = yield* Protocol.make(
      Protocol.resolve(options, {
        statelessByDefault: true,
        allowedHosts: options.allowedHosts === undefined ? undefined : new Set(options.allowedHosts),
        allowOrigin: origins === undefined ? undefined : (origin) => origins.has(origin)
      }),
      store
    )
    const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    const shutdownMillis = millis(options.shutdownTimeout, 10_000)
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        Effect.zipRight(protocol.beginShutdown, protocol.awaitIdle(shutdownMillis)),
        protocol.closeAll
      )
    )

    return (request: Request) =>
      new Promise<Response>((resolve) => {
        const message = incoming(request)
        const reply = webReply(request, resolve)
        const context = protocol.begin(message, reply)
        if (context === undefined) return
        readBody(request, maxBodyBytes).then(
          (body) => {
            if (typeof body === "string") protocol.post(message, context, body, reply)
            else protocol.reject(reply, body.status, body.code, body.message)
          },
          () => protocol.reject(reply, 400, -32000, "Bad Request: the body could not be read")
        )
      })
  })

/**
 * A handler over an app Layer that provides McpServer, with its own
 * runtime: call `dispose` to shut down (graceful, as `make`).
 */
export const toHandler = <E>(
  app: Layer.Layer<McpServer.McpServer, E>,
  options: Options = {}
): { readonly handler: Handler; readonly dispose: () => Promise<void> } => {
  const runtime = ManagedRuntime.make(app)
  const scope = Effect.runSync(Scope.make())
  const ready = runtime.runPromise(Scope.extend(make(options), scope))
  return {
    handler: (request) => ready.then((handler) => handler(request)),
    dispose: async () => {
      await ready.then(() => undefined, () => undefined)
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

