/**
 * The node:http side of the Streamable HTTP transport: turns an
 * IncomingMessage/ServerResponse pair into the protocol's `Incoming` and
 * `Reply`, and reads POST bodies under a size limit.
 */
import { type BodyError, notUtf8, tooLarge, unreadable } from "./body.js"
import { isUtf8 } from "node:buffer"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Incoming, Reply } from "./httpProtocol.js"
import type { Sink } from "./sse.js"

/** The request as the protocol reads it. */
export const incoming = (req: IncomingMessage): Incoming => ({
  method: req.method ?? "GET",
  header: (name) => {
    const value = req.headers[name]
    return typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : undefined
  }
})

/** How long a response ended for backpressure may take to drain before its connection is destroyed. */
const STALLED_GRACE_MILLIS = 5_000

/**
 * A reply writing to a node:http response; `closing` adds `Connection: close`
 * during shutdown. An SSE stream whose client leaves more than
 * `maxBufferedBytes` unread is ended rather than buffered for (the client can
 * resume with `Last-Event-ID`).
 */
export const reply = (res: ServerResponse, closing: () => boolean, maxBufferedBytes: number): Reply => ({
  header: (name, value) => {
    if (!res.headersSent) res.setHeader(name, value)
  },
  send: (status, headers, body) => {
    if (res.headersSent || res.destroyed) return
    if (closing()) headers["connection"] = "close"
    res.writeHead(status, headers)
    res.end(body)
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
