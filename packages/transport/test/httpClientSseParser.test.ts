/**
 * The incremental SSE parser of the Streamable HTTP client (WHATWG HTML
 * "Server-sent events" § "Interpreting an event stream", as spec 2025-11-25
 * basic/transports "Streamable HTTP" uses it): fixed cases for each rule,
 * and a property that any chunking of the bytes of a serialized stream
 * yields the events the stream describes.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as SseParser from "../src/internal/sseParser.js"

const parseAll = (chunks: ReadonlyArray<Uint8Array | string>) => {
  const parser = SseParser.make()
  const events: Array<SseParser.Event> = []
  for (const chunk of chunks) events.push(...parser.push(chunk))
  events.push(...parser.end())
  return { events, retry: parser.retry(), lastEventId: parser.lastEventId() }
}

describe("SSE parser (WHATWG \"Interpreting an event stream\")", () => {
  it("joins multi-line data with LF and defaults the type to \"message\"", () => {
    expect(parseAll(["data: a\ndata:b\ndata\n\n"]).events).toEqual([{ type: "message", data: "a\nb\n", lastEventId: "" }])
  })

  it("removes exactly one space after the colon", () => {
    expect(parseAll(["data:  two\n\n"]).events[0]!.data).toBe(" two")
  })

  it("reads the event type, and the id persists across later events", () => {
    expect(parseAll(["event: endpoint\nid: 7\ndata: /x\n\ndata: y\n\n"]).events).toEqual([
      { type: "endpoint", data: "/x", lastEventId: "7" },
      { type: "message", data: "y", lastEventId: "7" }
    ])
  })

  it("accepts CRLF, CR and LF line endings, and a CRLF split across chunks", () => {
    expect(parseAll(["data: a\r", "\ndata: b\r\rdata: c\n\n"]).events.map((e) => e.data)).toEqual(["a\nb", "c"])
  })

  it("drops a leading BOM once, and keeps a later U+FEFF", () => {
    const bytes = new TextEncoder().encode("\uFEFFdata: \uFEFFx\n\n")
    expect(parseAll([bytes.slice(0, 1), bytes.slice(1, 2), bytes.slice(2)]).events[0]!.data).toBe("\uFEFFx")
  })

  it("ignores comments, unknown fields, ids with NUL and retry values that are not digits", () => {
    const result = parseAll([": keep-alive\nfoo: bar\nid: a\u0000b\nretry: 1s\nretry: 250\ndata: x\n\n"])
    expect(result.events).toEqual([{ type: "message", data: "x", lastEventId: "" }])
    expect(result.retry).toBe(250)
  })

  it("dispatches an event with empty data (the priming event) but not one without data, whose id still counts", () => {
    const result = parseAll(["id: p\ndata: \n\nid: q\n\n"])
    expect(result.events).toEqual([{ type: "message", data: "", lastEventId: "p" }])
    expect(result.lastEventId).toBe("q")
  })

  it("discards an incomplete event at the end of the stream", () => {
    expect(parseAll(["data: whole\n\ndata: partial\n"]).events.map((e) => e.data)).toEqual(["whole"])
  })

  it("decodes a UTF-8 sequence split across chunks", () => {
    const bytes = new TextEncoder().encode("data: 😀é\n\n")
    expect(parseAll([...bytes].map((b) => Uint8Array.of(b))).events[0]!.data).toBe("😀é")
  })
})

// --- the property --------------------------------------------------------------------------------

/** Text without line breaks (any code point, astral ones included). */
const lineText = fc.string({ unit: "binary", maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, "_"))

interface ModelEvent {
  readonly type: string | undefined
  readonly id: string | undefined
  readonly data: ReadonlyArray<string>
  readonly comment: string | undefined
  readonly retry: number | undefined
}

const modelEvent: fc.Arbitrary<ModelEvent> = fc.record({
  type: fc.option(lineText.filter((t) => t.length > 0), { nil: undefined }),
  id: fc.option(lineText.map((t) => t.split("\u0000").join("")), { nil: undefined }),
  data: fc.array(lineText, { maxLength: 3 }),
  comment: fc.option(lineText, { nil: undefined }),
  retry: fc.option(fc.nat(100_000), { nil: undefined })
})

const ending = fc.constantFrom("\n", "\r", "\r\n")

/** Serializes the model with random line endings; a CR followed by an LF ending would merge, so it becomes CRLF. */
const serialize = (events: ReadonlyArray<ModelEvent>, endings: ReadonlyArray<string>, bom: boolean): string => {
  let out = bom ? "\uFEFF" : ""
  let i = 0
  let previous = ""
  const line = (text: string) => {
    let end = endings[i++ % endings.length]!
    if (previous === "\r" && text === "" && end === "\n") end = "\r\n"
    out += text + end
    previous = end
  }
  for (const event of events) {
    if (event.comment !== undefined) line(`:${event.comment}`)
    if (event.type !== undefined) line(`event: ${event.type}`)
    if (event.retry !== undefined) line(`retry: ${event.retry}`)
    for (const data of event.data) line(data.startsWith(" ") || data === "" ? `data: ${data}` : `data:${data}`)
    if (event.id !== undefined) line(`id: ${event.id}`)
    line("")
  }
  return out
}

const expected = (events: ReadonlyArray<ModelEvent>) => {
  let lastEventId = ""
  let retry: number | undefined
  const out: Array<SseParser.Event> = []
  for (const event of events) {
    if (event.id !== undefined) lastEventId = event.id
    if (event.retry !== undefined) retry = event.retry
    if (event.data.length > 0) out.push({ type: event.type ?? "message", data: event.data.join("\n"), lastEventId })
  }
  return { events: out, retry, lastEventId }
}

/** Splits bytes at arbitrary points (possibly inside a UTF-8 sequence or a CRLF). */
const chunked = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let from = 0
  for (const point of points) {
    chunks.push(bytes.slice(from, point))
    from = point
  }
  chunks.push(bytes.slice(from))
  return chunks
}

describe("SSE parser properties", () => {
  it("any chunking of the bytes of a serialized event stream yields the events it describes", () => {
    fc.assert(
      fc.property(
        fc.array(modelEvent, { maxLength: 8 }),
        fc.array(ending, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 20 }),
        (events, endings, bom, cuts) => {
          const bytes = new TextEncoder().encode(serialize(events, endings, bom))
          const whole = parseAll([bytes])
          expect(whole).toEqual(expected(events))
          expect(parseAll(chunked(bytes, cuts))).toEqual(whole)
        }
      ),
      { numRuns: 500 }
    )
  })

  it("any chunking of the text of a serialized event stream yields the same events as the whole text", () => {
    fc.assert(
      fc.property(
        fc.array(modelEvent, { maxLength: 8 }),
        fc.array(ending, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (events, endings, cuts) => {
          const text = serialize(events, endings, true)
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
          const chunks: Array<string> = []
          let from = 0
          for (const point of points) {
            chunks.push(text.slice(from, point))
            from = point
          }
          chunks.push(text.slice(from))
          expect(parseAll(chunks)).toEqual(expected(events))
        }
      ),
      { numRuns: 300 }
    )
  })
})
