/**
 * The Streamable HTTP client bounds what a server sends (spec 2025-11-25
 * basic/transports "Streamable HTTP": a JSON body or an SSE stream answers a
 * POST): a JSON body or an SSE event over `maxMessageBytes` fails its
 * request with an error naming the limit and closes the connection, instead
 * of buffering without end; the session stays usable. The server is a raw
 * `node:http` one that never stops writing, so a client that kept reading
 * would never finish, and one that did not close the connection would leave
 * the server writing. And it bounds what it waits for: a request the
 * server never answers ends at its timeout even when the server does not
 * answer the `notifications/cancelled` either (spec 2025-11-25
 * basic/utilities/cancellation), and the request's connection is closed.
 */
import { McpClient } from "@emcee/core"
import { Effect, Option, Schedule } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as HttpClientTransport from "../src/HttpClientTransport.js"
import * as SseParser from "../src/internal/sseParser.js"

interface Hostile {
  readonly url: string
  /** Resolves, for each endless response, when its connection closed (the client gave up on it). */
  readonly closed: Array<Promise<number>>
  /** Resolves, for each request left unanswered, when its connection closed. */
  readonly hung: Array<Promise<string>>
  readonly close: () => Promise<void>
}

const chunk = Buffer.alloc(64 * 1024, "x")

/**
 * An MCP server over raw HTTP: `initialize` and `ping` are answered; a
 * `tools/call` of `json` answers with a JSON body that never ends, of `sse`
 * with an SSE event whose data never ends, of `error` with a 500 whose body
 * never ends. Each endless writer counts the bytes it wrote until the
 * connection closed.
 */
const startHostile = (): Promise<Hostile> =>
  new Promise((resolve) => {
    const closed: Array<Promise<number>> = []
    const hung: Array<Promise<string>> = []
    const endless = (res: http.ServerResponse, status: number, contentType: string, head: string) => {
      res.writeHead(status, { "content-type": contentType })
      res.write(head)
      let written = 0
      closed.push(new Promise((done) => res.on("close", () => done(written))))
      const pump = () => {
        while (!res.destroyed) {
          written += chunk.length
          if (!res.write(chunk)) return void res.once("drain", pump)
        }
      }
      pump()
    }
    const server = http.createServer((req, res) => {
      if (req.method !== "POST") return void res.writeHead(405).end()
      let body = ""
      req.setEncoding("utf8")
      req.on("data", (text: string) => (body += text))
      req.on("end", () => {
        const message = JSON.parse(body) as { id?: number | string; method: string; params?: { name?: string } }
        const hang = () => void hung.push(new Promise((done) => req.socket.once("close", () => done(message.method))))
        // Never answered: a cancellation, and a call of `hang`.
        if (message.method === "notifications/cancelled" || message.params?.name === "hang") return hang()
        if (message.id === undefined) return void res.writeHead(202).end()
        const json = (result: object) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }))
        }
        if (message.method === "initialize") {
          return json({ protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "hostile", version: "1.0.0" } })
        }
        if (message.method === "ping") return json({})
        const name = message.params?.name
        if (name === "json") return endless(res, 200, "application/json", `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"content":[{"type":"text","text":"`)
        if (name === "sse") return endless(res, 200, "text/event-stream", `data: {"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"x":"`)
        if (name === "error") return endless(res, 500, "text/plain", "")
        res.writeHead(400).end()
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/mcp`,
        closed,
        hung,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })

let hostile: Hostile | undefined
afterEach(async () => {
  await hostile?.close()
  hostile = undefined
})

/** Calls each tool in turn on one session, then pings: each outcome (a result, or the error's code and message). */
const callEach = (url: string, names: ReadonlyArray<string>, options: Partial<HttpClientTransport.Options> = {}) =>
  Effect.runPromise(Effect.gen(function*() {
    const transport = yield* HttpClientTransport.make({ url, openGetStream: false, ...options })
    const client = yield* McpClient.make({ transport, clientInfo: { name: "limits-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
    const outcomes: Array<{ readonly code: number; readonly message: string; readonly data: unknown } | "ok"> = []
    for (const name of names) {
      const exit = yield* Effect.either(client.callTool(name, {}, { timeoutMillis: 20_000 }))
      outcomes.push(exit._tag === "Right" ? "ok" : { code: exit.left.code, message: exit.left.message, data: exit.left.data })
    }
    const pinged = yield* Effect.either(client.request("ping", {}, { timeoutMillis: 5_000 }))
    return { outcomes, pinged: pinged._tag === "Right" }
  }).pipe(Effect.scoped))

describe("HttpClientTransport bounds what it reads (maxMessageBytes)", { timeout: 60_000 }, () => {
  it("an endless JSON body and an endless SSE event fail their request naming the limit, close the connection, and the session stays usable", async () => {
    hostile = await startHostile()
    const limit = 256 * 1024
    const { outcomes, pinged } = await callEach(hostile.url, ["json", "sse"], { maxMessageBytes: limit })
    expect(outcomes).toEqual([
      {
        code: McpClient.ClientErrorCode.InvalidResult,
        message: `POST ${hostile.url}: the response body is larger than maxMessageBytes (${limit} bytes); it was not read and its connection was closed`,
        data: { maxMessageBytes: limit }
      },
      {
        code: McpClient.ClientErrorCode.InvalidResult,
        message: `POST ${hostile.url}: an SSE event of the response is larger than maxMessageBytes (${limit} bytes); it was not read and its connection was closed`,
        data: { maxMessageBytes: limit }
      }
    ])
    expect(pinged).toBe(true)
    // The server's writes stopped: its connection was closed, a little past the limit (what was in flight).
    const written = await Promise.all(hostile.closed)
    expect(written).toHaveLength(2)
    for (const bytes of written) expect(bytes).toBeLessThan(64 * 1024 * 1024)
  })

  it("the default limit is 16 MiB", async () => {
    hostile = await startHostile()
    const { outcomes } = await callEach(hostile.url, ["json"])
    expect(HttpClientTransport.DEFAULT_MAX_MESSAGE_BYTES).toBe(16 * 1024 * 1024)
    expect(outcomes[0]).toMatchObject({ code: McpClient.ClientErrorCode.InvalidResult, message: expect.stringContaining("maxMessageBytes (16777216 bytes)") })
    await Promise.all(hostile.closed)
  })

  it("an HTTP error whose body never ends fails the request with its status, without reading it all; the session stays usable", async () => {
    hostile = await startHostile()
    const { outcomes, pinged } = await callEach(hostile.url, ["error"])
    expect(outcomes[0]).toMatchObject({ code: McpClient.ClientErrorCode.ConnectionClosed, message: expect.stringContaining("HTTP 500") })
    await Promise.all(hostile.closed)
    expect(pinged).toBe(true)
  })

  it("a fetch that rejects with MessageTooLarge is that request's error, not the transport's", async () => {
    hostile = await startHostile()
    const base = hostile.url
    const refusing: typeof globalThis.fetch = async (input, init) => {
      const body = typeof init?.body === "string" ? init.body : ""
      if (body.includes("\"tools/call\"")) throw new HttpClientTransport.MessageTooLarge({ limit: 10, message: "the response body is larger than 10 bytes" })
      return globalThis.fetch(input, init)
    }
    const { outcomes, pinged } = await callEach(base, ["json"], { fetch: refusing })
    expect(outcomes).toEqual([{ code: McpClient.ClientErrorCode.InvalidResult, message: `POST ${base}: the response body is larger than 10 bytes`, data: { maxMessageBytes: 10 } }])
    expect(pinged).toBe(true)
  })
})

describe("HttpClientTransport and a server that never answers", { timeout: 60_000 }, () => {
  it("a request times out at its timeout though the cancellation is not answered either; the request's connection is closed, the session goes on", async () => {
    hostile = await startHostile()
    const server = hostile
    const started = Date.now()
    const outcome = await Effect.runPromise(Effect.gen(function*() {
      const transport = yield* HttpClientTransport.make({ url: server.url, openGetStream: false })
      const client = yield* McpClient.make({ transport, clientInfo: { name: "limits-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
      const timedOut = yield* Effect.flip(client.callTool("hang", {}, { timeoutMillis: 300 }))
      const after = Date.now() - started
      // Both the call and its cancellation reached the server; the call's connection is closed while the transport lives.
      const closed = yield* Effect.promise(() => server.hung[0]!).pipe(Effect.timeout("10 seconds"), Effect.option)
      const pinged = yield* Effect.either(client.request("ping", {}, { timeoutMillis: 5_000 }))
      // The cancellation's POST, sent in the background, reaches the server too.
      const cancelled = yield* Effect.sync(() => server.hung.length).pipe(
        Effect.repeat({ until: (count) => count === 2, schedule: Schedule.spaced("20 millis") }),
        Effect.timeout("5 seconds"),
        Effect.option
      )
      return { timedOut, after, closed, pinged: pinged._tag === "Right", cancelled: Option.isSome(cancelled) }
    }).pipe(Effect.scoped))
    expect(outcome.timedOut.code).toBe(McpClient.ClientErrorCode.RequestTimeout)
    // Not held up by the unanswered cancellation (a bound, with room for a loaded machine).
    expect(outcome.after).toBeLessThan(10_000)
    expect(outcome.closed).toEqual(Option.some("tools/call"))
    expect(outcome.pinged).toBe(true)
    expect(outcome.cancelled).toBe(true)
  })
})

describe("SseParser.pendingBytes", () => {
  it("counts the bytes of the event being read, and restarts after each dispatch", () => {
    const parser = SseParser.make()
    parser.push("data: abc")
    expect(parser.pendingBytes()).toBe(9)
    parser.push(new TextEncoder().encode("déf\n"))
    expect(parser.pendingBytes()).toBe(14)
    expect(parser.push("\ndata: é")).toHaveLength(1)
    // After the dispatch: only what follows it ("data: é" is pending as a partial line).
    expect(parser.pendingBytes()).toBe(8)
    parser.push("\n\n")
    expect(parser.pendingBytes()).toBe(0)
  })
})
