/**
 * HttpTransport through its public API on real sockets (127.0.0.1, Node's
 * fetch). Test names cite spec 2025-11-25 basic/transports.
 */
import { McpServer, Tool } from "@emcee/core"
import { Effect, Schema } from "effect"
import { request as httpRequest } from "node:http"
import { connect as netConnect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, initializeRequest, openSession, post, sseReader, start, type Started } from "./fixtures/httpApp.js"

describe("HttpTransport: POST (spec \"Sending Messages to the Server\")", () => {
  let server: Started
  beforeAll(async () => {
    server = await start()
  })
  afterAll(() => server.stop())

  it("answers initialize with JSON and an Mcp-Session-Id from a CSPRNG (\"Session Management\" 1.)", async () => {
    const res = await post(server.url, initializeRequest(1))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/json")
    const id = res.headers.get("mcp-session-id")!
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(/^[\x21-\x7e]+$/.test(id)).toBe(true)
    expect(await res.json()).toMatchObject({ id: 1, result: { protocolVersion: "2025-11-25", serverInfo: { name: "http-test" } } })
  })

  it("answers a tools/call request with one JSON body (5.)", async () => {
    const sid = await openSession(server.url)
    const res = await post(server.url, call(7, "echo", { text: "hi" }), { "mcp-session-id": sid })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "hi" }] } })
  })

  it("ends the POST of a cancelled request with an empty 202: no response is sent (basic/utilities/cancellation)", async () => {
    const sid = await openSession(server.url)
    const pending = post(server.url, call(40, "slow", { ms: 5_000 }), { "mcp-session-id": sid })
    await new Promise((resolve) => setTimeout(resolve, 100))
    const cancel = await post(server.url, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 40 } }, { "mcp-session-id": sid })
    expect(cancel.status).toBe(202)
    const res = await pending
    expect(res.status).toBe(202)
    expect(await res.text()).toBe("")
    // The session is still usable.
    const after = await post(server.url, call(41, "echo", { text: "still here" }), { "mcp-session-id": sid })
    expect(await after.json()).toMatchObject({ id: 41, result: { content: [{ text: "still here" }] } })
  })

  it("answers notifications and responses with 202 and no body (4.)", async () => {
    const sid = await openSession(server.url)
    const note = await post(server.url, { jsonrpc: "2.0", method: "notifications/whatever" }, { "mcp-session-id": sid })
    expect(note.status).toBe(202)
    expect(await note.text()).toBe("")
    const response = await post(server.url, { jsonrpc: "2.0", id: 99, result: {} }, { "mcp-session-id": sid })
    expect(response.status).toBe(202)
  })

  it("rejects a JSON-RPC batch with 400 and -32600 (3.: a single message; batching removed in 2025-06-18)", async () => {
    const sid = await openSession(server.url)
    const res = await post(server.url, [call(1, "echo", { text: "a" })], { "mcp-session-id": sid })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { code: -32600 } })
  })

  it("rejects bad JSON with 400 and -32700", async () => {
    const res = await post(server.url, "{not json")
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } })
  })

  it("rejects a body that is not UTF-8 with 400 and -32700", async () => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: new Uint8Array([0x7b, 0xff, 0x7d])
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { code: -32700 } })
  })

  it("rejects a wrong Content-Type with 415 and a JSON-RPC error body", async () => {
    const res = await post(server.url, initializeRequest(), { "content-type": "text/plain" })
    expect(res.status).toBe(415)
    expect(await res.json()).toMatchObject({ error: { code: -32000 } })
  })

  it("rejects an Accept without both application/json and text/event-stream with 406 (2.)", async () => {
    const res = await post(server.url, initializeRequest(), { accept: "application/json" })
    expect(res.status).toBe(406)
    const res2 = await post(server.url, initializeRequest(), { accept: "text/event-stream" })
    expect(res2.status).toBe(406)
  })

  it("rejects requests other than initialize without Mcp-Session-Id with 400 (\"Session Management\" 2.)", async () => {
    const res = await post(server.url, call(1, "echo", { text: "x" }))
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { code: -32000 } })
  })

  it("answers an unknown session with 404 and a JSON-RPC error body (\"Session Management\" 3.)", async () => {
    const res = await post(server.url, call(1, "echo", { text: "x" }), { "mcp-session-id": "no-such-session" })
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: { code: -32001 } })
  })

  it("rejects an unsupported MCP-Protocol-Version with 400 (\"Protocol Version Header\")", async () => {
    const sid = await openSession(server.url)
    const res = await post(server.url, call(1, "echo", { text: "x" }), { "mcp-session-id": sid, "mcp-protocol-version": "1999-01-01" })
    expect(res.status).toBe(400)
  })

  it("accepts a request without MCP-Protocol-Version (assumed 2025-03-26, \"Protocol Version Header\")", async () => {
    const sid = await openSession(server.url)
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sid },
      body: JSON.stringify(call(1, "echo", { text: "old" }))
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ result: { content: [{ text: "old" }] } })
  })

  it("rejects unsupported HTTP methods with 405 and Allow", async () => {
    const res = await fetch(server.url, { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" })
    expect(res.status).toBe(405)
    expect(res.headers.get("allow")).toBe("GET, POST, DELETE")
  })

  it("answers a failed initialize without a session id", async () => {
    const res = await post(server.url, { jsonrpc: "2.0", id: 1, method: "initialize", params: { nope: true } })
    expect(res.status).toBe(200)
    expect(res.headers.get("mcp-session-id")).toBeNull()
    expect(await res.json()).toMatchObject({ error: { code: -32602 } })
  })
})

describe("HttpTransport: limits", () => {
  let server: Started
  beforeAll(async () => {
    server = await start({ maxBodyBytes: 1024, maxSessions: 3, requestTimeout: 300, headersTimeout: 300 })
  })
  afterAll(() => server.stop())

  it("refuses a body over maxBodyBytes with 413, by Content-Length and by streamed size", async () => {
    const big = JSON.stringify(call(1, "echo", { text: "x".repeat(4096) }))
    const res = await post(server.url, big)
    expect(res.status).toBe(413)
    // Chunked (no Content-Length): the limit applies to the bytes received.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(server.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" } }, (r) => {
        r.resume()
        resolve(r.statusCode ?? 0)
      })
      req.on("error", reject)
      req.write(big.slice(0, 800))
      req.end(big.slice(800))
    })
    expect(status).toBe(413)
  })

  it("answers a client that does not finish its request in time with 408", async () => {
    const reply = await new Promise<string>((resolve) => {
      const socket = netConnect(server.port, "127.0.0.1", () => {
        socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: 100\r\n\r\n{"jsonrpc"`)
      })
      let data = ""
      socket.on("data", (chunk) => (data += chunk.toString()))
      socket.on("close", () => resolve(data))
      socket.on("error", () => resolve(data))
    })
    expect(reply).toMatch(/^HTTP\/1\.1 408/)
  })

  it("makes room at maxSessions by closing an idle session, those never used after initialize first; the closed one gets 404", async () => {
    const used = await openSession(server.url)
    expect((await post(server.url, call(1, "echo", { text: "x" }), { "mcp-session-id": used })).status).toBe(200)
    const unused = [await openSession(server.url), await openSession(server.url)]
    const before = server.stats().evictedSessions
    const fourth = await post(server.url, initializeRequest())
    expect(fourth.status).toBe(200)
    expect(server.stats().evictedSessions).toBe(before + 1)
    // The oldest session that never got past initialize made room; the used one is still there.
    expect((await post(server.url, call(2, "echo", { text: "x" }), { "mcp-session-id": unused[0]! })).status).toBe(404)
    expect((await post(server.url, call(3, "echo", { text: "x" }), { "mcp-session-id": used })).status).toBe(200)
    for (const sid of [used, unused[1]!, fourth.headers.get("mcp-session-id")!]) {
      await fetch(server.url, { method: "DELETE", headers: { "mcp-session-id": sid } })
    }
  })

  it("answers initialize with 503 and an honest Retry-After when every session is in use, and serves again once one is idle", async () => {
    const sessions = [await openSession(server.url), await openSession(server.url), await openSession(server.url)]
    const running = sessions.map((sid, i) => post(server.url, call(10 + i, "slow", { ms: 600 }), { "mcp-session-id": sid }))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const full = await post(server.url, initializeRequest())
    expect(full.status).toBe(503)
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    await Promise.all(running)
    const again = await post(server.url, initializeRequest())
    expect(again.status).toBe(200)
  })
})

describe("HttpTransport: sessions (spec \"Session Management\")", () => {
  let server: Started
  beforeAll(async () => {
    server = await start({ sessionIdleTimeout: "300 millis" })
  })
  afterAll(() => server.stop())

  it("ends a session on DELETE; later requests with its id get 404 (3., 5.)", async () => {
    const sid = await openSession(server.url)
    const before = server.stats().sessions
    expect(before).toBeGreaterThan(0)
    const del = await fetch(server.url, { method: "DELETE", headers: { "mcp-session-id": sid } })
    expect(del.status).toBe(204)
    const after = await post(server.url, call(1, "echo", { text: "x" }), { "mcp-session-id": sid })
    expect(after.status).toBe(404)
    const delAgain = await fetch(server.url, { method: "DELETE", headers: { "mcp-session-id": sid } })
    expect(delAgain.status).toBe(404)
    const noId = await fetch(server.url, { method: "DELETE" })
    expect(noId.status).toBe(400)
    expect(server.stats().sessions).toBe(before - 1)
  })

  it("closes sessions idle for longer than sessionIdleTimeout", async () => {
    const sid = await openSession(server.url)
    await new Promise((r) => setTimeout(r, 700))
    const res = await post(server.url, call(1, "echo", { text: "x" }), { "mcp-session-id": sid })
    expect(res.status).toBe(404)
  })

  it("keeps a session that is being used", async () => {
    const sid = await openSession(server.url)
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 120))
      const res = await post(server.url, call(i, "echo", { text: "x" }), { "mcp-session-id": sid })
      expect(res.status).toBe(200)
      await res.text()
    }
  })
})

describe("HttpTransport: SSE on a POST (spec \"Sending Messages to the Server\" 5.-6.)", () => {
  let server: Started
  beforeAll(async () => {
    server = await start({ keepAliveInterval: "100 millis" })
  })
  afterAll(() => server.stop())

  it("switches to an SSE stream when progress and log notifications come before the result, and ends it after", async () => {
    const sid = await openSession(server.url)
    const res = await post(server.url, call(3, "work", { ms: 10 }, { progressToken: "p1" }), { "mcp-session-id": sid })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const events = await sseReader(res).rest()
    // 6.: a priming event (id, empty data) first.
    expect(events[0]).toMatchObject({ data: "", message: undefined })
    expect(events[0]!.id).toBeDefined()
    const messages = events.slice(1).map((e) => e.message)
    expect(messages).toEqual([
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "p1", progress: 1, total: 2, message: "half" } },
      { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "working" } },
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "p1", progress: 2, total: 2, message: "done" } },
      { jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: "worked" }] } }
    ])
    // "Resumability and Redelivery" 1.: every event id is unique within the session.
    const ids = events.map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("carries a server-to-client request on the POST's stream and takes the answer as a POST (202)", async () => {
    const sid = await openSession(server.url, { elicitation: { form: {} } })
    const res = await post(server.url, call(4, "ask", {}), { "mcp-session-id": sid })
    const sse = sseReader(res)
    let event = await sse.next()
    while (event !== undefined && event.message === undefined) event = await sse.next()
    expect(event!.message).toMatchObject({ method: "elicitation/create", params: { mode: "form", message: "Name?" } })
    const requestId = event!.message!.id
    const answer = await post(server.url, { jsonrpc: "2.0", id: requestId, result: { action: "accept", content: { name: "Ada" } } }, { "mcp-session-id": sid })
    expect(answer.status).toBe(202)
    const last = await sse.next()
    expect(last!.message).toMatchObject({ id: 4, result: { content: [{ text: "answer: {\"name\":\"Ada\"}" }] } })
    expect(await sse.next()).toBeUndefined()
  })

  it("sends keep-alive comments on a long SSE stream", async () => {
    const sid = await openSession(server.url)
    const res = await post(server.url, call(5, "work", { ms: 350 }, { progressToken: 1 }), { "mcp-session-id": sid })
    const raw = await sseReader(res).rawUntil((text) => text.includes(": keep-alive"))
    expect(raw).toContain(": keep-alive\n\n")
  })

  it("serves every request as SSE when enableJsonResponse is false", async () => {
    const sse = await start({ enableJsonResponse: false })
    try {
      const sid = await openSession(sse.url).catch(async () => {
        // initialize itself arrives as an SSE stream here.
        const res = await post(sse.url, initializeRequest())
        await res.text()
        return res.headers.get("mcp-session-id")!
      })
      const res = await post(sse.url, call(1, "echo", { text: "streamed" }), { "mcp-session-id": sid })
      expect(res.headers.get("content-type")).toBe("text/event-stream")
      const events = await sseReader(res).rest()
      expect(events.at(-1)!.message).toMatchObject({ id: 1, result: { content: [{ text: "streamed" }] } })
    } finally {
      await sse.stop()
    }
  })
})

describe("HttpTransport: GET stream (spec \"Listening for Messages from the Server\")", () => {
  let server: Started
  beforeAll(async () => {
    server = await start()
  })
  afterAll(() => server.stop())

  it("opens an SSE stream that receives tools/list_changed and resources/updated", async () => {
    const sid = await openSession(server.url)
    const sub = await post(server.url, { jsonrpc: "2.0", id: 2, method: "resources/subscribe", params: { uri: "file:///readme.md" } }, { "mcp-session-id": sid })
    expect(sub.status).toBe(200)
    const res = await fetch(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" } })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const sse = sseReader(res)
    const priming = await sse.next()
    expect(priming).toMatchObject({ data: "" })
    await server.runtime.runPromise(McpServer.add(Tool.make("late", { input: Schema.Struct({}), handler: () => Effect.succeed("late") })))
    await server.runtime.runPromise(McpServer.notifyResourceUpdated("file:///readme.md"))
    expect((await sse.next())!.message).toEqual({ jsonrpc: "2.0", method: "notifications/tools/list_changed" })
    expect((await sse.next())!.message).toEqual({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "file:///readme.md" } })
    await sse.cancel()
    await server.runtime.runPromise(McpServer.removeTool("late"))
  })

  it("sends each message on exactly one of several open streams (\"Multiple Connections\" 2.)", async () => {
    const sid = await openSession(server.url)
    const open = async () => {
      const res = await fetch(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": sid } })
      const sse = sseReader(res)
      await sse.next() // priming
      return sse
    }
    const a = await open()
    const b = await open()
    await server.runtime.runPromise(McpServer.notifyResourceUpdated("nothing-subscribed"))
    await server.runtime.runPromise(McpServer.add(Tool.make("late2", { input: Schema.Struct({}), handler: () => Effect.succeed("x") })))
    const got = await Promise.race([a.next().then((e) => ["a", e] as const), b.next().then((e) => ["b", e] as const)])
    expect(got[1]!.message).toMatchObject({ method: "notifications/tools/list_changed" })
    const other = got[0] === "a" ? b : a
    const nothing = await Promise.race([other.next(), new Promise((r) => setTimeout(() => r("none"), 200))])
    expect(nothing).toBe("none")
    await a.cancel()
    await b.cancel()
    await server.runtime.runPromise(McpServer.removeTool("late2"))
  })

  it("answers GET without Accept text/event-stream with 406, without a session with 400, unknown session with 404", async () => {
    const sid = await openSession(server.url)
    expect((await fetch(server.url, { headers: { accept: "application/json", "mcp-session-id": sid } })).status).toBe(406)
    expect((await fetch(server.url, { headers: { accept: "text/event-stream" } })).status).toBe(400)
    expect((await fetch(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": "gone" } })).status).toBe(404)
  })
})

describe("HttpTransport: resumability (spec \"Resumability and Redelivery\")", () => {
  let server: Started
  beforeAll(async () => {
    server = await start({ retryInterval: "250 millis" })
  })
  afterAll(() => server.stop())

  it("replays the missed events of a dropped POST stream on GET with Last-Event-ID, and only that stream's", async () => {
    const sid = await openSession(server.url)
    const res = await post(server.url, call(11, "work", { ms: 300 }, { progressToken: "r" }), { "mcp-session-id": sid })
    const sse = sseReader(res)
    const priming = (await sse.next())!
    expect(priming.retry).toBe(250)
    const first = (await sse.next())!
    expect(first.message).toMatchObject({ method: "notifications/progress", params: { progress: 1 } })
    // Drop the connection: the request goes on (disconnection is not cancellation, 6.).
    await sse.cancel()
    await new Promise((r) => setTimeout(r, 500))
    const resumed = await fetch(server.url, {
      headers: { accept: "text/event-stream", "mcp-session-id": sid, "last-event-id": first.id! }
    })
    expect(resumed.status).toBe(200)
    const rest = await sseReader(resumed).rest()
    expect(rest.map((e) => e.message)).toEqual([
      { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "working" } },
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "r", progress: 2, total: 2, message: "done" } },
      { jsonrpc: "2.0", id: 11, result: { content: [{ type: "text", text: "worked" }] } }
    ])
  })

  it("continues a stream resumed while its request is still running", async () => {
    const sid = await openSession(server.url)
    const res = await post(server.url, call(12, "work", { ms: 400 }, { progressToken: "c" }), { "mcp-session-id": sid })
    const sse = sseReader(res)
    const priming = (await sse.next())!
    await sse.cancel()
    await new Promise((r) => setTimeout(r, 50))
    const resumed = await fetch(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": sid, "last-event-id": priming.id! } })
    const events = await sseReader(resumed).rest()
    expect(events.map((e) => e.message)).toEqual([
      expect.objectContaining({ method: "notifications/progress", params: expect.objectContaining({ progress: 1 }) }),
      expect.objectContaining({ method: "notifications/message" }),
      expect.objectContaining({ method: "notifications/progress", params: expect.objectContaining({ progress: 2 }) }),
      expect.objectContaining({ id: 12 })
    ])
  })

  it("refuses a Last-Event-ID from another session with 400", async () => {
    const a = await openSession(server.url)
    const b = await openSession(server.url)
    const res = await post(server.url, call(13, "work", { ms: 1 }, { progressToken: 1 }), { "mcp-session-id": a })
    const events = await sseReader(res).rest()
    const foreign = await fetch(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": b, "last-event-id": events[1]!.id! } })
    expect(foreign.status).toBe(400)
    const garbage = await fetch(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": b, "last-event-id": "nonsense" } })
    expect(garbage.status).toBe(400)
  })

  it("keeps messages for a dropped GET stream and delivers them on resume", async () => {
    const sid = await openSession(server.url)
    const res = await fetch(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": sid } })
    const sse = sseReader(res)
    const priming = (await sse.next())!
    await sse.cancel()
    await new Promise((r) => setTimeout(r, 50))
    await server.runtime.runPromise(McpServer.add(Tool.make("late3", { input: Schema.Struct({}), handler: () => Effect.succeed("x") })))
    const resumed = await fetch(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": sid, "last-event-id": priming.id! } })
    const again = sseReader(resumed)
    expect((await again.next())!.message).toEqual({ jsonrpc: "2.0", method: "notifications/tools/list_changed" })
    await again.cancel()
    await server.runtime.runPromise(McpServer.removeTool("late3"))
  })
})

describe("HttpTransport: DNS rebinding protection (spec \"Security Warning\" 1.)", () => {
  let server: Started
  beforeAll(async () => {
    server = await start()
  })
  afterAll(() => server.stop())

  it("rejects a foreign Origin with 403 and accepts localhost origins", async () => {
    const bad = await post(server.url, initializeRequest(), { origin: "http://evil.example" })
    expect(bad.status).toBe(403)
    expect(await bad.json()).toMatchObject({ error: { code: -32000 } })
    const good = await post(server.url, initializeRequest(), { origin: "http://localhost:5173" })
    expect(good.status).toBe(200)
  })

  it("rejects a Host header that is not the loopback address with 403", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(server.url, {
        method: "POST",
        headers: { host: "evil.example:80", "content-type": "application/json", accept: "application/json, text/event-stream" }
      }, (r) => {
        r.resume()
        resolve(r.statusCode ?? 0)
      })
      req.on("error", reject)
      req.end(JSON.stringify(initializeRequest()))
    })
    expect(status).toBe(403)
  })
})

describe("HttpTransport: stateless mode", () => {
  let server: Started
  beforeAll(async () => {
    server = await start({ stateless: true })
  })
  afterAll(() => server.stop())

  it("serves tools/call without initialize or a session id, and initialize without minting one", async () => {
    const res = await post(server.url, call(1, "echo", { text: "free" }))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 1, result: { content: [{ text: "free" }] } })
    const init = await post(server.url, initializeRequest())
    expect(init.status).toBe(200)
    expect(init.headers.get("mcp-session-id")).toBeNull()
  })

  it("answers GET with 405 (\"Listening for Messages from the Server\" 3.)", async () => {
    const res = await fetch(server.url, { headers: { accept: "text/event-stream" } })
    expect(res.status).toBe(405)
  })

  it("streams related notifications on the POST's SSE stream", async () => {
    const res = await post(server.url, call(2, "work", { ms: 1 }, { progressToken: "s" }))
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const events = await sseReader(res).rest()
    expect(events.at(-1)!.message).toMatchObject({ id: 2, result: { content: [{ text: "worked" }] } })
    expect(events.every((e) => e.id === undefined)).toBe(true)
  })
})

describe("HttpTransport: operational routes", () => {
  let server: Started
  beforeAll(async () => {
    server = await start()
  })
  afterAll(() => server.stop())

  it("answers /health, /health/ready and /metrics", async () => {
    const base = `http://127.0.0.1:${server.port}`
    const health = await fetch(`${base}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: "ok" })
    const ready = await fetch(`${base}/health/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: "healthy" })
    await openSession(server.url)
    const metrics = await fetch(`${base}/metrics`)
    expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
    expect(await metrics.text()).toContain("mcp_sessions_active")
    expect((await fetch(`${base}/nope`)).status).toBe(404)
  })
})
