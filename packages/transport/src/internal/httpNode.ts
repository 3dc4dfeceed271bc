/**
 * The node:http side of the Streamable HTTP transport: turns an
 * IncomingMessage/ServerResponse pair into the protocol's `Incoming` and
 * `Reply`, and reads POST bodies under a size limit.
 */
import { type BodyError, notUtf8, tooLarge, unreadable } from "./body.js"
import { isUtf8 } from "node:buffer"
import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from "node:http"
import { brotliCompress, constants as zlib, deflate, gzip } from "node:zlib"
import * as Encoding from "./encoding.js"
import type { Incoming, Reply } from "./httpProtocol.js"
import type { Sink } from "./sse.js"

/** The request as the protocol reads it. */
export const incoming = (req: IncomingMessage): Incoming => ({
  method: req.method ?? "GET",
  remoteAddress: req.socket.remoteAddress,
  header: (name) => {
    const value = req.headers[name]
    return typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : undefined
  }
})

/** How long a response ended for backpressure may take to drain before its connection is destroyed. */
const STALLED_GRACE_MILLIS = 5_000

/**
 * Brotli at quality 4 in text mode: close to gzip's speed with a better ratio
 * on JSON (quality 11, zlib's default, is meant for static assets and costs
 * tens of times more CPU).
 */
const BROTLI_OPTIONS = {
  params: { [zlib.BROTLI_PARAM_QUALITY]: 4, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT }
}

/**
 * Compresses `body` with `coding` on libuv's thread pool (node:zlib), so a
 * large body does not hold the event loop.
 */
export const compress = (body: string, coding: Encoding.Coding, done: (error: Error | null, bytes: Buffer) => void): void => {
  const bytes = Buffer.from(body, "utf8")
  if (coding === "br") brotliCompress(bytes, BROTLI_OPTIONS, done)
  else if (coding === "gzip") gzip(bytes, done)
  else deflate(bytes, done)
}

/** `Vary` of a response: what `headers` says, else what was set on it already (CORS's `Vary: Origin`). */
const currentVary = (headers: Record<string, string>, set: OutgoingHttpHeader | undefined): string | undefined =>
  headers["vary"] ?? (set === undefined ? undefined : Array.isArray(set) ? set.join(", ") : String(set))

/** Adds the precomputed security headers (`SecurityHeaders.headers`) to a response's, which win. */
export const addSecurity = (headers: Record<string, string>, security: Readonly<Record<string, string>>): void => {
  for (const name in security) headers[name] ??= security[name]!
}

/** Writes a complete response, unless one was written already or the client left. */
const write = (
  res: ServerResponse,
  closing: () => boolean,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer | undefined
): void => {
  if (res.headersSent || res.destroyed) return
  if (closing()) headers["connection"] = "close"
  res.writeHead(status, headers)
  res.end(body)
}

/**
 * A reply writing to a node:http response; `closing` adds `Connection: close`
 * during shutdown. An SSE stream whose client leaves more than
 * `maxBufferedBytes` unread is ended rather than buffered for (the client can
 * resume with `Last-Event-ID`).
 *
 * `security` (precomputed once) is added to every response; with
 * `compression`, a complete JSON body at or above its threshold is compressed
 * with the coding `req`'s `Accept-Encoding` prefers (RFC 9110 §12.5.3), off
 * the event loop, with `Content-Encoding`, `Content-Length` and `Vary` set.
 */
export const reply = (
  res: ServerResponse,
  closing: () => boolean,
  maxBufferedBytes: number,
  security?: Readonly<Record<string, string>>,
  compression?: Encoding.Compression,
  req?: IncomingMessage
): Reply => ({
  header: (name, value) => {
    if (!res.headersSent) res.setHeader(name, value)
  },
  send: (status, headers, body) => {
    if (res.headersSent || res.destroyed) return
    if (security !== undefined) addSecurity(headers, security)
    if (compression === undefined || body === undefined || !Encoding.eligible(compression, headers, body)) return write(res, closing, status, headers, body)
    // RFC 9110 §12.5.5: the coding depends on Accept-Encoding, whichever was chosen.
    headers["vary"] = Encoding.varyWith(currentVary(headers, res.getHeader("vary")))
    const accept = req?.headers["accept-encoding"]
    const coding = Encoding.negotiate(typeof accept === "string" ? accept : undefined, compression.encodings)
    if (coding === undefined) return write(res, closing, status, headers, body)
    compress(body, coding, (error, bytes) => {
      // Compression cannot fail on a string; if it ever did, the body goes as it is.
      if (error !== null) return write(res, closing, status, headers, body)
      headers["content-encoding"] = coding
      headers["content-length"] = String(bytes.byteLength)
      write(res, closing, status, headers, bytes)
    })
  },
  onAbort: (onAbort) => {
    res.once("close", () => {
      if (!res.writableFinished) onAbort()
    })
  },
  stream: (headers, onClose): Sink => {
    let closed = res.destroyed
    if (!closed) {
      if (closing()) headers["connection"] = "close"
      if (security !== undefined) addSecurity(headers, security)
      res.writeHead(200, headers)
      res.flushHeaders()
    }
    res.on("close", () => {
      if (!closed) {
        closed = true
        onClose()
      }
    })
    return {
      write: (chunk) => {
        if (closed || res.destroyed) return false
        // Backpressure: what the socket has not taken yet stays in memory. Past the bound the
        // response ends; what was written still reaches a client that reads (a replay larger than
        // the bound goes out in parts, each resumed from its last event id), and a client that
        // does not read at all is cut off after a grace period, freeing the buffer.
        if (res.writableLength > maxBufferedBytes) {
          closed = true
          res.end()
          const timer = setTimeout(() => res.destroy(), STALLED_GRACE_MILLIS)
          timer.unref?.()
          res.once("close", () => clearTimeout(timer))
          onClose()
          return false
        }
        res.write(chunk)
        return true
      },
      end: () => {
        if (!closed) {
          closed = true
          res.end()
        }
      },
      closed: () => closed || res.destroyed
    }
  }
})

export type { BodyError } from "./body.js"

/**
 * Reads the whole body as UTF-8 text, refusing more than `maxBytes`
 * (413, checked against Content-Length first) and bytes that are not UTF-8
 * (400 + -32700).
 */
export const readBody = (
  req: IncomingMessage,
  maxBytes: number,
  onBody: (text: string) => void,
  onError: (error: BodyError) => void
) => {
  const declared = req.headers["content-length"]
  if (declared !== undefined && Number(declared) > maxBytes) {
    req.resume()
    onError(tooLarge(maxBytes))
    return
  }
  const chunks: Array<Buffer> = []
  let size = 0
  let failed = false
  req.on("data", (chunk: Buffer) => {
    if (failed) return
    size += chunk.length
    if (size > maxBytes) {
      failed = true
      chunks.length = 0
      onError(tooLarge(maxBytes))
      return
    }
    chunks.push(chunk)
  })
  req.on("end", () => {
    if (failed) return
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    if (!isUtf8(bytes)) {
      onError(notUtf8)
      return
    }
    onBody(bytes.toString("utf8"))
  })
  req.on("error", () => {
    if (failed) return
    failed = true
    onError(unreadable)
  })
}
