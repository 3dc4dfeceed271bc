/**
 * Response compression (the `compression` option): `Accept-Encoding`
 * negotiation (RFC 9110 §12.5.3) as unit and property tests, then a real
 * HttpTransport on loopback read with raw node:http (fetch would decompress
 * and hide `Content-Encoding`), the mounted @effect/platform endpoint,
 * WebHandler (`CompressionStream`) and Lambda (buffered, Base64).
 */
import { createServer } from "node:http"
import { gunzipSync } from "node:zlib"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { McpServer, Tool } from "@emcee/core"
import { Effect, Layer, Schema } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Encoding from "../src/internal/encoding.js"
import * as HttpTransport from "../src/HttpTransport.js"
import * as Lambda from "../src/Lambda.js"
import * as WebHandler from "../src/WebHandler.js"
import { baseHeaders, call, echo, initializeRequest, start, type Started, work } from "./fixtures/httpApp.js"
import { decoded, postRaw, type RawResponse } from "./fixtures/rawHttp.js"

// --- negotiation ----------------------------------------------------------------------------------

const ALL = Encoding.DEFAULT_ENCODINGS

describe("Accept-Encoding negotiation (RFC 9110 §12.5.3)", () => {
  it.each([
    // [header, chosen]
    [undefined, undefined], // no header: send as is
    ["", undefined], // empty: "does not want any content coding"
    ["identity", undefined],
    ["gzip", "gzip"],
    ["compress, gzip", "gzip"], // §12.5.3's example: compress is not offered
    ["*", "br"], // anything: the server's preference
    ["gzip, deflate, br", "br"], // equal weights: the server's preference
    ["deflate, gzip", "gzip"],
    ["br;q=0.5, gzip;q=0.9", "gzip"], // highest weight wins
    ["compress;q=0.5, gzip;q=1.0", "gzip"], // §12.5.3's example
    ["gzip;q=1.0, identity; q=0.5, *;q=0", "gzip"], // §12.5.3's example
    ["*;q=0.1, br;q=0", "gzip"], // q=0 excludes a coding; others take the weight of *
    ["br;q=0, gzip;q=0, deflate;q=0", undefined],
    ["identity;q=0", undefined], // nothing offered is acceptable: sent as is anyway
    ["*;q=0", undefined],
    ["GZIP", "gzip"], // case-insensitive (§8.4.1)
    ["x-gzip", "gzip"], // §8.4.1.3
    ["  gzip ;  q=0.8 ,\tdeflate;q=0.9  ", "deflate"], // OWS
    ["gzip;q=0.8, gzip;q=0", undefined], // listed twice: the cautious (lowest) weight
    ["gzip;q=2, deflate", "deflate"], // a malformed weight: that element is ignored
    ["gzip;q=abc", undefined],
    ["br;level=5, gzip;q=0.5", "br"], // other parameters do not change the weight
    [",,, ;q=1, gzip", "gzip"]
  ])("%j -> %s", (header, chosen) => {
    expect(Encoding.negotiate(header, ALL)).toBe(chosen)
  })

  it("offers only the configured codings, in their order", () => {
    expect(Encoding.negotiate("br, gzip", ["gzip"])).toBe("gzip")
    expect(Encoding.negotiate("br, gzip", ["gzip", "br"])).toBe("gzip")
    expect(Encoding.negotiate("br", ["gzip", "deflate"])).toBeUndefined()
  })

  it("resolves the option once: off by default, threshold 1024, bad input refused", () => {
    expect(Encoding.resolve(undefined)).toBeUndefined()
    expect(Encoding.resolve(false)).toBeUndefined()
    expect(Encoding.resolve(true)).toEqual({ threshold: 1024, encodings: ["br", "gzip", "deflate"] })
    expect(Encoding.resolve({ threshold: 0, encodings: ["gzip", "gzip"] })).toEqual({ threshold: 0, encodings: ["gzip"] })
    expect(Encoding.resolve(true, (c) => c !== "br")).toEqual({ threshold: 1024, encodings: ["gzip", "deflate"] })
    expect(Encoding.resolve({ encodings: ["br"] }, (c) => c !== "br")).toBeUndefined()
    expect(() => Encoding.resolve({ threshold: -1 })).toThrow(/threshold/)
    expect(() => Encoding.resolve({ threshold: NaN })).toThrow(/threshold/)
    expect(() => Encoding.resolve({ encodings: ["zstd" as "br"] })).toThrow(/unknown coding "zstd"/)
  })

  it("compresses only JSON bodies at or above the threshold, not already encoded", () => {
    const c = Encoding.resolve({ threshold: 100 })!
    const json = { "content-type": "application/json" }
    expect(Encoding.eligible(c, json, "x".repeat(100))).toBe(true)
    expect(Encoding.eligible(c, json, "x".repeat(99))).toBe(false)
    // 34 characters of 3 bytes each: 102 bytes.
    expect(Encoding.eligible(c, json, "€".repeat(34))).toBe(true)
    expect(Encoding.eligible(c, { "content-type": "text/event-stream" }, "x".repeat(200))).toBe(false)
    expect(Encoding.eligible(c, { ...json, "content-encoding": "gzip" }, "x".repeat(200))).toBe(false)
    expect(Encoding.eligible(c, {}, "x".repeat(200))).toBe(false)
  })
})

describe("Accept-Encoding negotiation, properties (fast-check)", () => {
  const offered = fc.subarray([...ALL], { minLength: 1 }).chain((codings) => fc.shuffledSubarray(codings, { minLength: codings.length }))

  it("never throws on any header and only ever picks an offered coding", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), offered, (header, codings) => {
        const chosen = Encoding.negotiate(header, codings)
        expect(chosen === undefined || codings.includes(chosen)).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  /** One element of a generated header: a name (maybe an alias, maybe upper case), a weight or none. */
  const element = fc.record({
    name: fc.constantFrom("br", "gzip", "x-gzip", "deflate", "identity", "*", "compress", "zstd", "BR", "Gzip"),
    q: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    spaces: fc.constantFrom("", " ", "\t", "  ")
  })
  type Element = { name: string; q: number | undefined; spaces: string }

  const render = (elements: ReadonlyArray<Element>) =>
    elements.map(({ name, q, spaces }) => `${spaces}${name}${q === undefined ? "" : `${spaces};${spaces}q=${(q / 1000).toFixed(3)}`}${spaces}`).join(",")

  /** The weight a generated header gives `coding`: explicit (lowest when repeated), else `*`'s, else 0. */
  const weight = (elements: ReadonlyArray<Element>, coding: string): number => {
    const of = (name: string) => {
      const qs = elements
        .filter((e) => {
          const n = e.name.toLowerCase()
          return (n === "x-gzip" ? "gzip" : n) === name
        })
        .map((e) => (e.q === undefined ? 1 : e.q / 1000))
      return qs.length === 0 ? undefined : Math.min(...qs)
    }
    return of(coding) ?? of("*") ?? 0
  }

  it("chooses an acceptable coding (weight > 0) of the highest weight, else none", () => {
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 8 }), offered, (elements, codings) => {
        const chosen = Encoding.negotiate(render(elements), codings)
        const best = Math.max(...codings.map((c) => weight(elements, c)))
        if (best === 0) expect(chosen).toBeUndefined()
        else {
          expect(chosen).toBeDefined()
          expect(weight(elements, chosen!)).toBe(best)
          // Ties go to the server's preference: no earlier offered coding has the same weight.
          expect(codings.slice(0, codings.indexOf(chosen!)).every((c) => weight(elements, c) < best)).toBe(true)
        }
      }),
      { numRuns: 2000 }
    )
  })
})

// --- over HTTP ------------------------------------------------------------------------------------

/** A tool answering with about `kb` KiB of JSON-ish text (compressible, as real results are). */
const big = Tool.make("big", {
  input: Schema.Struct({ kb: Schema.Number }),
  handler: ({ kb }) =>
    Effect.succeed(Array.from({ length: kb * 40 }, (_, i) => `{"row":${i},"name":"item ${i}","ok":${i % 3 === 0}}`).join("\n").slice(0, kb * 1024))
})

const BigApp = McpServer.register(echo, work, big).pipe(Layer.provideMerge(McpServer.layer({ name: "compression-test", version: "1.0.0" })))

/** The text of a tools/call result in a (decoded) JSON answer. */
const resultText = (body: string): string => (JSON.parse(body) as { result: { content: Array<{ text: string }> } }).result.content[0]!.text

const expectCompressed = (res: RawResponse, coding: string, kb: number) => {
  expect(res.status).toBe(200)
  expect(res.headers["content-encoding"]).toBe(coding)
  expect(res.headers["vary"]).toContain("Accept-Encoding")
  // The Content-Length is the compressed size, and the body round-trips.
  expect(Number(res.headers["content-length"])).toBe(res.body.byteLength)
  expect(res.body.byteLength).toBeLessThan(kb * 1024 / 2)
  expect(resultText(decoded(res))).toHaveLength(kb * 1024)
}

const expectPlain = (res: RawResponse) => {
  expect(res.status).toBe(200)
  expect(res.headers["content-encoding"]).toBeUndefined()
  expect(Number(res.headers["content-length"])).toBe(res.body.byteLength)
}

describe("HttpTransport with compression", () => {
  let server: Started
  beforeAll(async () => {
    server = await start({ stateless: true, compression: true }, undefined, BigApp)
  })
  afterAll(() => server.stop())

  it.each([
    ["br", "br"],
    ["gzip", "gzip"],
    ["deflate", "deflate"],
    ["gzip, deflate, br", "br"],
    ["br;q=0.5, gzip", "gzip"],
    ["gzip;q=0.5, deflate", "deflate"]
  ])("compresses a large tool result for Accept-Encoding %j with %s", async (accept, coding) => {
    const res = await postRaw(server.url, call(1, "big", { kb: 64 }), { "accept-encoding": accept })
    expectCompressed(res, coding, 64)
  })

  it("leaves a small answer alone (below the 1024-byte threshold), without Vary", async () => {
    const res = await postRaw(server.url, call(1, "echo", { text: "small" }), { "accept-encoding": "br, gzip" })
    expectPlain(res)
    expect(res.headers["vary"]).toBeUndefined()
    expect(resultText(res.body.toString())).toBe("small")
  })

  it("sends a large answer as is for `identity`, `*;q=0` or no Accept-Encoding, with Vary (RFC 9110 §12.5.5)", async () => {
    for (const headers of [{ "accept-encoding": "identity" }, { "accept-encoding": "identity;q=0, *;q=0" }, {}]) {
      const res = await postRaw(server.url, call(1, "big", { kb: 8 }), headers)
      expectPlain(res)
      expect(res.headers["vary"]).toBe("Accept-Encoding")
      expect(resultText(res.body.toString())).toHaveLength(8 * 1024)
    }
  })

  it("never compresses an SSE stream", async () => {
    const res = await postRaw(server.url, call(1, "work", { ms: 1 }, { progressToken: "p" }), { "accept-encoding": "gzip, br" })
    expect(res.status).toBe(200)
    expect(res.headers["content-type"]).toBe("text/event-stream")
    expect(res.headers["content-encoding"]).toBeUndefined()
    expect(res.body.toString()).toContain("event: message")
  })

  it("keeps CORS's Vary: Origin beside Accept-Encoding", async () => {
    const origin = `http://localhost:${server.port}`
    const res = await postRaw(server.url, call(1, "big", { kb: 8 }), { "accept-encoding": "gzip", origin })
    expectCompressed(res, "gzip", 8)
    expect(res.headers["vary"]).toBe("Origin, Accept-Encoding")
    expect(res.headers["access-control-allow-origin"]).toBe(origin)
  })
})

describe("HttpTransport compression options", () => {
  it("is off by default", async () => {
    const server = await start({ stateless: true }, undefined, BigApp)
    try {
      const res = await postRaw(server.url, call(1, "big", { kb: 64 }), { "accept-encoding": "br, gzip" })
      expectPlain(res)
      expect(res.headers["vary"]).toBeUndefined()
    } finally {
      await server.stop()
    }
  })

  it("honours threshold and encodings", async () => {
    const server = await start({ stateless: true, compression: { threshold: 10, encodings: ["gzip"] } }, undefined, BigApp)
    try {
      const small = await postRaw(server.url, call(1, "echo", { text: "a little text" }), { "accept-encoding": "br, gzip" })
      expect(small.headers["content-encoding"]).toBe("gzip")
      expect(resultText(decoded(small))).toBe("a little text")
      const brOnly = await postRaw(server.url, call(1, "big", { kb: 8 }), { "accept-encoding": "br" })
      expectPlain(brOnly)
    } finally {
      await server.stop()
    }
  })

  it("compresses large answers of a stateful session too (initialize is small, tools/call is not)", async () => {
    const server = await start({ compression: true }, undefined, BigApp)
    try {
      const init = await postRaw(server.url, initializeRequest(), { "accept-encoding": "gzip" })
      expectPlain(init)
      const sid = init.headers["mcp-session-id"] as string
      const res = await postRaw(server.url, call(1, "big", { kb: 16 }), { "accept-encoding": "gzip", "mcp-session-id": sid })
      expectCompressed(res, "gzip", 16)
    } finally {
      await server.stop()
    }
  })
})

describe("the mounted @effect/platform endpoint with compression", () => {
  it("compresses a large answer per Accept-Encoding", async () => {
    const [br, plain] = await Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const endpoint = yield* HttpTransport.makeEndpoint({ stateless: true, compression: true })
      yield* HttpServer.serveEffect(HttpRouter.empty.pipe(HttpRouter.all("/mcp", endpoint.app)))
      yield* Effect.addFinalizer(() => endpoint.close)
      const address = server.address
      if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
      const url = `http://127.0.0.1:${address.port}/mcp`
      return yield* Effect.promise(() =>
        Promise.all([postRaw(url, call(1, "big", { kb: 32 }), { "accept-encoding": "br" }), postRaw(url, call(2, "big", { kb: 32 }), { "accept-encoding": "identity" })])
      )
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(BigApp),
      Effect.runPromise
    )
    expectCompressed(br, "br", 32)
    expectPlain(plain)
    expect(plain.headers["vary"]).toBe("Accept-Encoding")
  })
})

describe("WebHandler and Lambda with compression", () => {
  const URL_ = "http://edge.example/mcp"
  const postReq = (body: unknown, headers: Record<string, string> = {}) =>
    new Request(URL_, { method: "POST", headers: { ...baseHeaders, ...headers }, body: JSON.stringify(body) })

  it("compresses with CompressionStream (gzip, deflate), with a Content-Length", async () => {
    const web = WebHandler.toHandler(BigApp, { compression: true })
    try {
      const gz = await web.handler(postReq(call(1, "big", { kb: 32 }), { "accept-encoding": "gzip" }))
      expect(gz.headers.get("content-encoding")).toBe("gzip")
      expect(gz.headers.get("vary")).toBe("Accept-Encoding")
      const bytes = Buffer.from(await gz.arrayBuffer())
      expect(Number(gz.headers.get("content-length"))).toBe(bytes.byteLength)
      expect(resultText(gunzipSync(bytes).toString())).toHaveLength(32 * 1024)
      const small = await web.handler(postReq(call(2, "echo", { text: "s" }), { "accept-encoding": "gzip" }))
      expect(small.headers.get("content-encoding")).toBeNull()
      const none = await web.handler(postReq(call(3, "big", { kb: 8 }), { "accept-encoding": "identity" }))
      expect(none.headers.get("content-encoding")).toBeNull()
      expect(resultText(await none.text())).toHaveLength(8 * 1024)
    } finally {
      await web.dispose()
    }
  })

  it("offers br only where the runtime's CompressionStream has it", async () => {
    const hasBrotli = (() => {
      try {
        new CompressionStream("br" as CompressionFormat)
        return true
      } catch {
        return false
      }
    })()
    const web = WebHandler.toHandler(BigApp, { compression: true })
    try {
      const res = await web.handler(postReq(call(1, "big", { kb: 8 }), { "accept-encoding": "br, gzip;q=0.5" }))
      expect(res.headers.get("content-encoding")).toBe(hasBrotli ? "br" : "gzip")
      await res.arrayBuffer()
    } finally {
      await web.dispose()
    }
  })

  it("returns a buffered Lambda answer compressed and Base64-encoded", async () => {
    const lambda = Lambda.toHandler(BigApp, { compression: true })
    try {
      const event: Lambda.ApiGatewayEventV2 = {
        version: "2.0",
        rawPath: "/mcp",
        headers: { ...baseHeaders, "accept-encoding": "gzip", host: "lambda.example" },
        requestContext: { domainName: "lambda.example", http: { method: "POST" } },
        body: JSON.stringify(call(1, "big", { kb: 16 })),
        isBase64Encoded: false
      }
      const result = await lambda.handler(event)
      expect(result.statusCode).toBe(200)
      expect(result.headers["content-encoding"]).toBe("gzip")
      expect(result.isBase64Encoded).toBe(true)
      expect(resultText(gunzipSync(Buffer.from(result.body, "base64")).toString())).toHaveLength(16 * 1024)
    } finally {
      await lambda.dispose()
    }
  })
})
