/**
 * HttpTransport under an operator's and a hostile client's conditions
 * (issue: reliability): shutdown deadlines hold, shutdown never truncates a
 * response, a client that stops reading an SSE stream cannot grow the
 * server's memory, browsers get CORS, a byte order mark is not a parse error.
 */
import { McpServer, Resource, Tool } from "@emcee/core"
import { Effect, Layer, Schema } from "effect"
import { request as httpRequest } from "node:http"
import { connect as netConnect, type Socket } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as EventStore from "../src/EventStore.js"
import * as HttpTransport from "../src/HttpTransport.js"
import { ask, baseHeaders, call, initializeRequest, openSession, post, sseReader, start as startApp, type Started } from "./fixtures/httpApp.js"

const slow = Tool.make("slow", {
  input: Schema.Struct({ ms: Schema.Number }),
  handler: ({ ms }) => Effect.as(Effect.sleep(ms), `slept ${ms}`)
})

const big = Tool.make("big", {
  input: Schema.Struct({ bytes: Schema.Number }),
  handler: ({ bytes }) => Effect.succeed("x".repeat(bytes))
})

const echo = Tool.make("echo", {
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

/** A resource with a long URI: each `resources/updated` for it is ~100 KB on the wire. */
const LONG_URI = `test://storm/${"u".repeat(100_000)}`
const watched = Resource.make({ uri: LONG_URI, name: "storm", read: () => Effect.succeed(Resource.text("x")) })

const App = McpServer.register(slow, big, echo, watched, ask).pipe(
  Layer.provideMerge(McpServer.layer({ name: "reliability", version: "1.0.0" }))
)

type Server = Started

const start = (options: HttpTransport.Options = {}): Promise<Server> => startApp(options, EventStore.memory(), App)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("HttpTransport shutdown deadline (shutdownTimeout)", () => {
  it("cancels a call that outlives the deadline and answers it 503 with its id, within the deadline", async () => {
    const server = await start({ shutdownTimeout: "300 millis" })
    const sid = await openSession(server.url)
    const pending = post(server.url, call(7, "slow", { ms: 30_000 }), { "mcp-session-id": sid })
    await sleep(100)
    const began = performance.now()
    await server.stop()
    const took = performance.now() - began
    const res = await pending
    expect(took).toBeLessThan(1_500)
    expect(res.status).toBe(503)
    const body = (await res.json()) as { id?: unknown; error: { code: number; message: string } }
    expect(body.id).toBe(7)
    expect(body.error.message).toMatch(/shut down/)
  })

  it("lets a call shorter than the deadline finish with its full answer", async () => {
    const server = await start({ shutdownTimeout: "3 seconds" })
    const sid = await openSession(server.url)
    const pending = post(server.url, call(8, "slow", { ms: 300 }), { "mcp-session-id": sid })
    await sleep(50)
    await server.stop()
    const res = await pending
    expect(res.status).toBe(200)
    expect(JSON.stringify(await res.json())).toContain("slept 300")
  })
})

describe("HttpTransport shutdown and requests waiting on the client", () => {
  it("fails an elicitation the client can no longer answer at once, instead of waiting out its timeout", async () => {
    const server = await start({ shutdownTimeout: "10 seconds" })
    const sid = await openSession(server.url, { elicitation: {} })
    const res = await post(server.url, call(5, "ask", {}), { "mcp-session-id": sid })
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const events = sseReader(res)
    // The elicitation request arrived: the tool is waiting on the client.
    let seen = await events.next()
    while (seen?.message === undefined) seen = await events.next()
    expect(seen.message.method).toBe("elicitation/create")
    const began = performance.now()
    await server.stop()
    expect(performance.now() - began).toBeLessThan(2_000)
    let answer = await events.next()
    while (answer !== undefined && answer.message?.id !== 5) answer = await events.next()
    expect(JSON.stringify(answer?.message)).toContain("no answer")
  })
})

describe("HttpTransport shutdown never truncates a response", () => {
  it("delivers an 8 MB JSON response whole to a slow reader when shutdown begins while it is being written", async () => {
    const server = await start({ shutdownTimeout: "5 seconds" })
    const sid = await openSession(server.url)
    const bytes = 8 * 1024 * 1024
    const body = JSON.stringify(call(9, "big", { bytes }))
    let stopping: Promise<void> = Promise.resolve()
    const received = new Promise<{ length: number; declared: number; complete: boolean }>((resolve, reject) => {
      const req = httpRequest(server.url, { method: "POST", headers: { ...baseHeaders, "mcp-session-id": sid } }, (res) => {
        // Read slowly: pause, so most of the body waits in the server's buffers when shutdown begins.
        res.pause()
        let length = 0
        res.on("data", (chunk: Buffer) => {
          length += chunk.length
        })
        res.on("end", () => resolve({ length, declared: Number(res.headers["content-length"]), complete: res.complete }))
        res.on("error", reject)
        res.on("aborted", () => resolve({ length, declared: Number(res.headers["content-length"]), complete: false }))
        stopping = server.stop()
        setTimeout(() => res.resume(), 300)
      })
      req.on("error", reject)
      req.end(body)
    })
    const outcome = await received
    await stopping
    expect(outcome.complete).toBe(true)
    expect(outcome.length).toBe(outcome.declared)
    expect(outcome.length).toBeGreaterThan(bytes)
  }, 20_000)
})

/** Opens `GET /mcp` on a raw socket, reads up to the priming event, then stops reading. */
const stalledGet = (url: string, sid: string): Promise<{ socket: Socket; primingId: string }> =>
  new Promise((resolve, reject) => {
    const { port } = new URL(url)
    const socket = netConnect(Number(port), "127.0.0.1")
    let text = ""
    socket.on("error", () => undefined)
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString()
      const match = /id: (\S+)\ndata: \n\n/.exec(text)
      if (match !== null) {
        socket.pause()
        socket.removeAllListeners("data")
        resolve({ socket, primingId: match[1]! })
      }
    })
    socket.on("close", () => reject(new Error(`closed before priming: ${text.slice(0, 200)}`)))
    socket.write(
      `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nMcp-Session-Id: ${sid}\r\nMcp-Protocol-Version: 2025-11-25\r\n\r\n`
    )
  })

describe("HttpTransport backpressure on SSE (maxBufferedBytes)", () => {
  let server: Server
  beforeAll(async () => {
    server = await start({ maxBufferedBytes: 256 * 1024, keepAliveInterval: 0 })
  })
  afterAll(() => server.stop())

  it("closes a GET stream whose client stopped reading once the bound is passed; the client resumes with Last-Event-ID", async () => {
    const sid = await openSession(server.url)
    const subscribed = await post(server.url, { jsonrpc: "2.0", id: 1, method: "resources/subscribe", params: { uri: LONG_URI } }, {
      "mcp-session-id": sid
    })
    expect(subscribed.status).toBe(200)
    const { primingId, socket } = await stalledGet(server.url, sid)
    expect(server.stats().streams).toBe(1)
    // 400 notifications of ~100 KB: 40 MB, far past what the socket and the bound can hold.
    for (let i = 0; i < 400 && server.stats().streams > 0; i++) {
      await server.runtime.runPromise(McpServer.notifyResourceUpdated(LONG_URI))
      if (i % 20 === 0) await sleep(1)
    }
    expect(server.stats().streams).toBe(0)
    socket.destroy()
    // The stream's events were kept (bounded by the event store): a resume replays them.
    const resumed = await fetch(server.url, {
      headers: { accept: "text/event-stream", "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25", "last-event-id": primingId }
    })
    expect(resumed.status).toBe(200)
    const reader = resumed.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toContain("notifications/resources/updated")
    await reader.cancel()
    // The server still serves.
    expect((await post(server.url, call(2, "echo", { text: "alive" }), { "mcp-session-id": sid })).status).toBe(200)
  }, 30_000)
})

describe("HttpTransport CORS for allowed origins (Fetch standard \"CORS protocol\")", () => {
  let server: Server
  beforeAll(async () => {
    server = await start({ allowedOrigins: ["https://app.example"] })
  })
  afterAll(() => server.stop())

  it("answers a preflight from an allowed origin with 204 and the methods and headers asked for", async () => {
    const res = await fetch(server.url, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, mcp-session-id, mcp-protocol-version"
      }
    })
    expect(res.status).toBe(204)
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example")
    expect(res.headers.get("access-control-allow-methods")).toContain("POST")
    expect(res.headers.get("access-control-allow-headers")).toBe("content-type, mcp-session-id, mcp-protocol-version")
    expect(res.headers.get("vary")).toBe("Origin")
  })

  it("lets an allowed origin read the session id; refuses other origins with 403, preflight included", async () => {
    const init = await post(server.url, initializeRequest(), { origin: "https://app.example" })
    expect(init.status).toBe(200)
    expect(init.headers.get("access-control-allow-origin")).toBe("https://app.example")
    expect(init.headers.get("access-control-expose-headers")).toContain("mcp-session-id")
    const other = await fetch(server.url, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } })
    expect(other.status).toBe(403)
    expect(other.headers.get("access-control-allow-origin")).toBeNull()
    const plain = await fetch(server.url, { method: "OPTIONS" })
    expect(plain.status).toBe(204)
    expect(plain.headers.get("allow")).toContain("POST")
  })
})

describe("HttpTransport input that used to break it", () => {
  let server: Server
  beforeAll(async () => {
    server = await start()
  })
  afterAll(() => server.stop())

  it("reads a body that starts with a UTF-8 byte order mark as stdio does (spec basic/transports: UTF-8)", async () => {
    const res = await post(server.url, `\uFEFF${JSON.stringify(initializeRequest())}`)
    expect(res.status).toBe(200)
    expect(res.headers.get("mcp-session-id")).not.toBeNull()
  })
})
