/**
 * The @effect/platform side of the HTTP transports: reads an
 * `HttpServerRequest` as the protocol's `Incoming`, builds a `Reply` that
 * resolves one `HttpServerResponse`, and reads bodies under a size limit.
 *
 * The platform server writes every response: a complete one as a raw body
 * with the protocol's own headers (`content-length` included), an SSE stream
 * as a `Stream` body fed by the `Sink`. Nothing here touches a node:http
 * object, so the same code serves any @effect/platform server (Node, Bun, a
 * web handler from `HttpApp.toWebHandler`). What the platform does on
 * disconnection is what cancels: it interrupts the fiber pulling the stream
 * (its finalizer is the Sink's `onClose`), or the handler's fiber while no
 * response was given yet (`abandon`).
 */
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Chunk, Deferred, Effect, Exit, FiberId, Option, Predicate, Stream } from "effect"
import type * as Guard from "./guard.js"
import { type BodyError, decodeUtf8, tooLarge, unreadable } from "./body.js"
import * as Encoding from "./encoding.js"
import { addSecurity, compress } from "./httpNode.js"
import type * as Protocol from "./httpProtocol.js"
import type { Sink } from "./sse.js"

/** The request as the protocol reads it (header names are lower case on every platform server). */
export const incoming = (request: HttpServerRequest.HttpServerRequest): Protocol.Incoming => {
  const headers = request.headers as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  return {
    method: request.method,
    remoteAddress: Option.getOrUndefined(request.remoteAddress),
    header: (name) => {
      const value = headers[name]
      return typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : undefined
    }
  }
}

/**
 * The request as the DNS-rebinding guard reads it. The local address comes
 * from the node:http socket when the platform server is Node's
 * (`@effect/platform-node`); elsewhere it is unknown and only the configured
 * lists apply.
 */
export const guardView = (request: HttpServerRequest.HttpServerRequest): Guard.View => {
  const read = incoming(request)
  const source = request.source as { readonly socket?: { readonly localAddress?: string; readonly localPort?: number } } | null
  const socket = typeof source === "object" && source !== null ? source.socket : undefined
  return { origin: read.header("origin"), host: read.header("host"), localAddress: socket?.localAddress, localPort: socket?.localPort }
}

/** A Reply resolving one platform response, which the handler can drop when its client left first. */
export interface PlatformReply extends Protocol.Reply {
  /**
   * The handler was interrupted before its response was taken (the client
   * went away): later sends are dropped, and a stream already started is
   * closed (its `onClose` runs).
   */
  readonly abandon: () => void
}

const encoder = new TextEncoder()

/**
 * A Reply whose `send` and `stream` resolve `resolve` with the response.
 * An SSE stream whose client leaves more than `maxBufferedBytes` unread
 * (the platform stops pulling while the socket is full) is ended rather than
 * buffered for: what is queued still goes out, then the response ends (the
 * client can resume with `Last-Event-ID`).
 *
 * `security` (precomputed once) is added to every response; with
 * `compression`, a complete JSON body at or above its threshold is compressed
 * (node:zlib, off the event loop) with the coding `acceptEncoding` prefers
 * (RFC 9110 §12.5.3).
 */
export const reply = (
  resolve: (response: HttpServerResponse.HttpServerResponse) => void,
  maxBufferedBytes: number,
  security?: Readonly<Record<string, string>>,
  compression?: Encoding.Compression,
  acceptEncoding?: string
): PlatformReply => {
  let extra: Record<string, string> | undefined
  let answered = false
  let abandoned = false
  let closeStream: (() => void) | undefined
  let aborted: (() => void) | undefined
  const withExtra = (headers: Record<string, string>) => (extra === undefined ? headers : { ...extra, ...headers })
  return {
    header: (name, value) => {
      extra ??= {}
      extra[name] = value
    },
    send: (status, headers, body) => {
      if (answered || abandoned) return
      answered = true
      if (security !== undefined) addSecurity(headers, security)
      if (compression === undefined || body === undefined || !Encoding.eligible(compression, headers, body)) {
        const options = { status, headers: withExtra(headers) }
        return resolve(body === undefined ? HttpServerResponse.empty(options) : HttpServerResponse.raw(body, options))
      }
      // RFC 9110 §12.5.5: the coding depends on Accept-Encoding, whichever was chosen.
      headers["vary"] = Encoding.varyWith(headers["vary"] ?? extra?.["vary"])
      const coding = Encoding.negotiate(acceptEncoding, compression.encodings)
      if (coding === undefined) return resolve(HttpServerResponse.raw(body, { status, headers: withExtra(headers) }))
      compress(body, coding, (error, bytes) => {
        if (abandoned) return
        if (error === null) {
          headers["content-encoding"] = coding
          headers["content-length"] = String(bytes.byteLength)
        }
        resolve(HttpServerResponse.raw(error === null ? bytes : body, { status, headers: withExtra(headers) }))
      })
    },
    onAbort: (onAbort) => {
      aborted = onAbort
    },
    stream: (headers, onClose): Sink => {
      if (security !== undefined) addSecurity(headers, security)
      if (answered || abandoned) {
        // Nobody will read this stream: report it closed once the caller holds it.
        queueMicrotask(onClose)
        return { write: () => false, end: () => {}, closed: () => true }
      }
      answered = true
      let closed = false
      let ended = false
      // An empty first chunk makes the server send the headers now (as `flushHeaders` does).
      let pending: Array<Uint8Array> = [new Uint8Array(0)]
      let pendingBytes = 0
      let wake: (() => void) | undefined
      const signal = () => {
        const w = wake
        wake = undefined
        w?.()
      }
      const goneAway = () => {
        if (!closed) {
          closed = true
          onClose()
        }
      }
      const pull = Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<never>>((resume) => {
        const take = () => {
          if (pending.length > 0) {
            const chunks = pending
            pending = []
            pendingBytes = 0
            resume(Effect.succeed(Chunk.unsafeFromArray(chunks)))
          } else if (ended) resume(Effect.fail(Option.none()))
          else wake = take
        }
        take()
        return Effect.sync(() => {
          wake = undefined
        })
      })
      // The finalizer runs however the platform stops pulling: the stream ended, or the client went away.
      const finished = Effect.sync(() => {
        ended = true
        pending = []
        goneAway()
      })
      closeStream = () => {
        ended = true
        pending = []
        signal()
        goneAway()
      }
      resolve(HttpServerResponse.stream(Stream.ensuring(Stream.repeatEffectChunkOption(pull), finished), { status: 200, headers: withExtra(headers) }))
      return {
        write: (chunk) => {
          if (closed) return false
          if (pendingBytes > maxBufferedBytes) {
            closed = true
            ended = true
            signal()
            onClose()
            return false
          }
          const bytes = encoder.encode(chunk)
          pending.push(bytes)
          pendingBytes += bytes.byteLength
          signal()
          return true
        },
        end: () => {
          if (closed) return
          closed = true
          ended = true
          signal()
        },
        closed: () => closed
      }
    },
    abandon: () => {
      if (abandoned) return
      abandoned = true
      // The client left before a JSON answer: the request is cancelled (spec 2026-07-28 "Cancellation").
      if (!answered) aborted?.()
      closeStream?.()
    }
  }
}


/**
 * Reads the whole body as UTF-8 text: a body over `maxBytes` is a 413
 * (checked against Content-Length first, without reading), bytes that are not
 * UTF-8 a 400 + -32700, a body that cannot be read a 400. A body over the
 * limit without a Content-Length is read to its end and dropped: stopping
 * early would make the platform destroy the connection, and the 413 with it.
 */
export const readBody = (request: HttpServerRequest.HttpServerRequest, maxBytes: number): Effect.Effect<string | BodyError> =>
  Effect.suspend(() => {
    const declared = incoming(request).header("content-length")
    if (declared !== undefined && Number(declared) > maxBytes) return Effect.succeed(tooLarge(maxBytes))
    const chunks: Array<Uint8Array> = []
    let size = 0
    return request.stream.pipe(
      Stream.runForEachChunk((chunk) =>
        Effect.sync(() => {
          for (const bytes of chunk) {
            size += bytes.byteLength
            if (size <= maxBytes) chunks.push(bytes)
          }
        })
      ),
      Effect.map((): string | BodyError => (size > maxBytes ? tooLarge(maxBytes) : decodeUtf8(chunks, size))),
      Effect.catchAll(() => Effect.succeed<BodyError>(unreadable))
    )
  })

/**
 * Answers one request through `serve`, which hands the request to the
 * protocol and returns the POST context when a body is wanted (`onBody`
 * then gets it). The response is whatever the reply resolves first.
 */
export const respond = <C>(
  maxBufferedBytes: number,
  serve: (request: HttpServerRequest.HttpServerRequest, reply: PlatformReply) => C | undefined,
  maxBodyBytes: number,
  onBody: (context: C, body: string | BodyError, reply: PlatformReply) => void,
  security?: Readonly<Record<string, string>>,
  compression?: Encoding.Compression
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.suspend(() => {
      const response = Deferred.unsafeMake<HttpServerResponse.HttpServerResponse>(FiberId.none)
      const answer = reply(
        (r) => Deferred.unsafeDone(response, Exit.succeed(r)),
        maxBufferedBytes,
        security,
        compression,
        compression === undefined ? undefined : incoming(request).header("accept-encoding")
      )
      const context = serve(request, answer)
      const read = context === undefined ? Effect.void : readBody(request, maxBodyBytes).pipe(
        Effect.flatMap((body) => Effect.sync(() => onBody(context, body, answer))),
        // The client went away while sending: the request still needs its end (in-flight accounting).
        Effect.onInterrupt(() => Effect.sync(() => onBody(context, { status: 400, code: -32000, message: "Bad Request: the client went away" }, answer)))
      )
      return Effect.zipRight(read, Deferred.await(response)).pipe(Effect.onInterrupt(() => Effect.sync(answer.abandon)))
    }))

/** True for the failure an `HttpRouter` gives a request no route matched. */
export const isRouteNotFound = (u: unknown): u is HttpServerError.RouteNotFound => Predicate.isTagged(u, "RouteNotFound")
