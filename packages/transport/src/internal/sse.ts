/**
 * Server-Sent Events framing (WHATWG HTML "Server-sent events"), as the
 * Streamable HTTP transport uses it (spec 2025-11-25 basic/transports).
 */
/** Where SSE text goes: a node:http response or a web ReadableStream. */
export interface Sink {
  /**
   * Writes raw SSE text; false once the connection is gone. A client that
   * does not read is not buffered for without limit: when more than the
   * transport's `maxBufferedBytes` are already waiting, the connection is
   * closed instead (the client can resume the stream with `Last-Event-ID`).
   */
  readonly write: (chunk: string) => boolean
  /** Ends the HTTP response (the connection, not necessarily the logical stream). */
  readonly end: () => void
  /** True once the client went away or `end` was called. */
  readonly closed: () => boolean
}

/** Headers of every SSE response; `no-transform` and `X-Accel-Buffering` keep proxies from buffering. */
export const headers: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no"
}

/**
 * One event carrying a JSON-RPC message, already serialized (`JsonRpc.encode`).
 * JSON text has its newlines escaped, so the payload is always one `data:` line.
 */
export const event = (id: string | undefined, data: string): string =>
  id === undefined ? `event: message\ndata: ${data}\n\n` : `event: message\nid: ${id}\ndata: ${data}\n\n`

/**
 * The priming event: an id and empty data, so the client can reconnect with
 * `Last-Event-ID` (spec basic/transports "Sending Messages to the Server" 6.),
 * optionally with the `retry` the client must wait before reconnecting.
 */
export const priming = (id: string, retryMillis?: number): string =>
  retryMillis === undefined ? `id: ${id}\ndata: \n\n` : `id: ${id}\nretry: ${retryMillis}\ndata: \n\n`

/** A `retry` field alone, sent before the server closes a connection it means the client to resume. */
export const retry = (millis: number): string => `retry: ${millis}\n\n`

/** A comment line: ignored by clients, keeps proxies and NATs from closing an idle stream. */
export const keepAlive = ": keep-alive\n\n"
