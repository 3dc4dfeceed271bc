/**
 * An incremental parser of `text/event-stream` (WHATWG HTML "Server-sent
 * events", section "Interpreting an event stream"), for the Streamable HTTP
 * client (spec 2025-11-25 basic/transports "Streamable HTTP") and anything
 * else that reads SSE: bytes arrive in arbitrary chunks, and a chunk may end
 * in the middle of a UTF-8 sequence, a line, or between the CR and LF of a
 * CRLF.
 *
 * Rules implemented (WHATWG numbering of the "event stream interpretation"):
 * - a leading U+FEFF BOM is dropped, once, at the start of the stream;
 * - lines end at CRLF, LF or CR;
 * - an empty line dispatches the event; a line starting with ":" is a comment;
 * - `field: value` (one optional space after the colon is removed), a line
 *   without a colon is a field with an empty value;
 * - `data` lines are joined with LF, `event` sets the type (default "message"),
 *   `id` sets the last event id unless it contains NUL and persists across
 *   events, `retry` (ASCII digits only) sets the reconnection time;
 * - an event whose data buffer is empty is not dispatched (but its id counts);
 * - an incomplete event at the end of the stream is discarded.
 *
 * `pendingBytes` is the size of the event being read (bytes since the last
 * dispatch), so a reader can bound what one event may hold in memory.
 */

/** One dispatched event. */
export interface Event {
  /** The `event` field, or "message". */
  readonly type: string
  /** The `data` lines joined with LF. */
  readonly data: string
  /** The last event id at dispatch time ("" when none was ever set). */
  readonly lastEventId: string
}

/** A parser of one stream. */
export interface Parser {
  /** Feeds bytes (decoded as UTF-8, streaming) or text; returns the events completed by it. */
  readonly push: (chunk: Uint8Array | string) => Array<Event>
  /** The end of the stream: flushes the decoder; a partial event is discarded (WHATWG). */
  readonly end: () => Array<Event>
  /** The last event id seen so far ("" when none). */
  readonly lastEventId: () => string
  /** The last valid `retry` value in milliseconds, if any. */
  readonly retry: () => number | undefined
  /**
   * The bytes (UTF-8) of the event not yet dispatched: the data and the line
   * being read (after a dispatch), or every byte pushed since the last one.
   */
  readonly pendingBytes: () => number
}

const LF = 10
const CR = 13
const COLON = 58
const SPACE = 32

/** The UTF-8 length of `text`, without encoding it (a lone surrogate counts as the 3 bytes of U+FFFD). */
const utf8Length = (text: string): number => {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) bytes += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2
      i++
    } else bytes += 2
  }
  return bytes
}

/** A new parser. */
export const make = (): Parser => {
  // ignoreBOM: the BOM is handled below, so string and byte input behave the same.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true })
  let started = false
  /** The text of the line being read, when a chunk ended inside it. */
  let partial = ""
  /** The previous chunk ended with CR: an LF at the start of this one belongs to it. */
  let skipLf = false
  let data = ""
  let hasData = false
  let type = ""
  let lastEventId = ""
  let idBuffer = ""
  let retry: number | undefined
  /** Bytes of the event being read (see `pendingBytes`), and whether the last feed dispatched one. */
  let pending = 0
  let dispatched = false

  const processLine = (line: string, out: Array<Event>) => {
    if (line.length === 0) {
      // Dispatch (WHATWG: the last event id is updated even when no event is fired).
      lastEventId = idBuffer
      dispatched = true
      if (hasData) out.push({ type: type === "" ? "message" : type, data, lastEventId })
      data = ""
      hasData = false
      type = ""
      return
    }
    if (line.charCodeAt(0) === COLON) return
    const colon = line.indexOf(":")
    let field: string
    let value: string
    if (colon === -1) {
      field = line
      value = ""
    } else {
      field = line.slice(0, colon)
      value = line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1)
    }
    switch (field) {
      case "data":
        data = hasData ? `${data}\n${value}` : value
        hasData = true
        return
      case "event":
        type = value
        return
      case "id":
        if (!value.includes("\u0000")) idBuffer = value
        return
      case "retry":
        if (/^[0-9]+$/.test(value)) retry = Number(value)
        return
      default:
        return
    }
  }

  const feedText = (text: string): Array<Event> => {
    const out: Array<Event> = []
    if (!started && text.length > 0) {
      started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    let start = 0
    if (skipLf && text.length > 0) {
      skipLf = false
      if (text.charCodeAt(0) === LF) start = 1
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== LF && c !== CR) continue
      const line = partial.length === 0 ? text.slice(start, i) : partial + text.slice(start, i)
      partial = ""
      processLine(line, out)
      if (c === CR) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === LF) i++
        } else skipLf = true
      }
      start = i + 1
    }
    if (start < text.length) partial += text.slice(start)
    return out
  }

  const push = (chunk: Uint8Array | string): Array<Event> => {
    dispatched = false
    const out = feedText(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }))
    // After a dispatch, what is left came from this chunk: measure it; else the whole chunk adds to the event.
    pending = dispatched ? utf8Length(partial) + utf8Length(data) : pending + (typeof chunk === "string" ? utf8Length(chunk) : chunk.byteLength)
    return out
  }

  return {
    push,
    end: () => {
      const out = feedText(decoder.decode())
      partial = ""
      data = ""
      hasData = false
      type = ""
      pending = 0
      return out
    },
    lastEventId: () => lastEventId,
    retry: () => retry,
    pendingBytes: () => pending
  }
}
