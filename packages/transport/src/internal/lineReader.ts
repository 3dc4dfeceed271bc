/**
 * Splits a byte stream into newline-delimited frames without ever building
 * a frame larger than `maxBytes`: an oversized line is dropped up to its
 * newline and reported once, so a hostile peer cannot exhaust memory.
 */
export interface LineReader {
  /** Feeds bytes; calls `onLine` for each complete line and `onOversized` for each dropped one. */
  readonly push: (chunk: Uint8Array) => void
  /** Flushes a last line without a trailing newline (at EOF). */
  readonly end: () => void
}

export const make = (options: {
  readonly maxBytes: number
  readonly onLine: (line: Uint8Array) => void
  readonly onOversized: () => void
}): LineReader => {
  let parts: Array<Uint8Array> = []
  let size = 0
  let dropping = false
  const emit = (tail: Uint8Array) => {
    if (dropping) {
      dropping = false
      return
    }
    let line: Uint8Array
    if (parts.length === 0) line = tail
    else {
      line = new Uint8Array(size + tail.length)
      let offset = 0
      for (const part of parts) {
        line.set(part, offset)
        offset += part.length
      }
      line.set(tail, offset)
    }
    parts = []
    size = 0
    options.onLine(line)
  }
  const keep = (bytes: Uint8Array) => {
    if (dropping || bytes.length === 0) return
    if (size + bytes.length > options.maxBytes) {
      parts = []
      size = 0
      dropping = true
      options.onOversized()
      return
    }
    parts.push(bytes)
    size += bytes.length
  }
  return {
    push: (chunk) => {
      let start = 0
      for (;;) {
        const nl = chunk.indexOf(10, start)
        if (nl === -1) break
        const tail = chunk.subarray(start, nl)
        if (!dropping && size + tail.length > options.maxBytes) {
          parts = []
          size = 0
          options.onOversized()
        } else {
          emit(tail)
        }
        dropping = false
        start = nl + 1
      }
      if (start < chunk.length) keep(chunk.subarray(start))
    },
    end: () => {
      if (size > 0 && !dropping) emit(new Uint8Array(0))
      parts = []
      size = 0
    }
  }
}
