/**
 * WebHandler: the same Streamable HTTP rules (spec 2025-11-25
 * basic/transports) as a `(Request) => Promise<Response>` handler, exercised
 * with Node's own Request/Response.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as WebHandler from "../src/WebHandler.js"
import { App, baseHeaders, call, initializeRequest, sseReader } from "./fixtures/httpApp.js"

const URL_ = "http://edge.example/mcp"

const postReq = (body: unknown, headers: Record<string, string> = {}) =>
  new Request(URL_, { method: "POST", headers: { ...baseHeaders, ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) })

describe("WebHandler, stateless (default)", () => {
  let web: ReturnType<typeof WebHandler.toHandler>
  beforeAll(() => {
    web = WebHandler.toHandler(App, { allowedOrigins: ["https://app.example"] })
  })
  afterAll(() => web.dispose())

  it("answers tools/call with JSON and no session", async () => {
    const res = await web.handler(postReq(call(1, "echo", { text: "edge" })))
    expect(res.status).toBe(200)
    expect(res.headers.get("mcp-session-id")).toBeNull()
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "edge" }] } })
  })

  it("answers notifications with 202, GET with 405 (\"Listening for Messages from the Server\" 3.)", async () => {
    expect((await web.handler(postReq({ jsonrpc: "2.0", method: "notifications/initialized" }))).status).toBe(202)
    expect((await web.handler(new Request(URL_, { headers: { accept: "text/event-stream" } }))).status).toBe(405)
  })

  it("applies the same HTTP errors: 400 -32700, 400 -32600 batch, 406, 415, 413, 403 Origin", async () => {
    const parse = await web.handler(postReq("{"))
    expect(parse.status).toBe(400)
    expect(await parse.json()).toMatchObject({ error: { code: -32700 } })
    const batch = await web.handler(postReq([call(1, "echo", { text: "a" })]))
    expect(batch.status).toBe(400)
    expect(await batch.json()).toMatchObject({ error: { code: -32600 } })
    expect((await web.handler(postReq(call(1, "echo", { text: "a" }), { accept: "application/json" }))).status).toBe(406)
    expect((await web.handler(postReq(call(1, "echo", { text: "a" }), { "content-type": "text/plain" }))).status).toBe(415)
    expect((await web.handler(postReq(call(1, "echo", { text: "x".repeat(5 * 1024 * 1024) })))).status).toBe(413)
    expect((await web.handler(postReq(call(1, "echo", { text: "a" }), { origin: "https://evil.example" }))).status).toBe(403)
    expect((await web.handler(postReq(call(1, "echo", { text: "a" }), { origin: "https://app.example" }))).status).toBe(200)
  })

  it("streams progress of a request as SSE", async () => {
    const res = await web.handler(postReq(call(2, "work", { ms: 1 }, { progressToken: "w" })))
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const events = await sseReader(res).rest()
    expect(events.map((e) => e.message)).toEqual([
      expect.objectContaining({ method: "notifications/progress" }),
      expect.objectContaining({ method: "notifications/message" }),
      expect.objectContaining({ method: "notifications/progress" }),
      { jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "worked" }] } }
    ])
  })
})

describe("WebHandler, stateful", () => {
  let web: ReturnType<typeof WebHandler.toHandler>
  beforeAll(() => {
    web = WebHandler.toHandler(App, { stateless: false })
  })
  afterAll(() => web.dispose())

  it("mints a session at initialize, requires it after, and ends it on DELETE (\"Session Management\")", async () => {
    const init = await web.handler(postReq(initializeRequest()))
    const sid = init.headers.get("mcp-session-id")!
    expect(sid).toMatch(/^[0-9a-f-]{36}$/)
    expect((await web.handler(postReq(call(1, "echo", { text: "a" })))).status).toBe(400)
    const ok = await web.handler(postReq(call(1, "echo", { text: "a" }), { "mcp-session-id": sid }))
    expect(await ok.json()).toMatchObject({ result: { content: [{ text: "a" }] } })
    const stream = await web.handler(new Request(URL_, { headers: { accept: "text/event-stream", "mcp-session-id": sid } }))
    expect(stream.headers.get("content-type")).toBe("text/event-stream")
    const sse = sseReader(stream)
    expect(await sse.next()).toMatchObject({ data: "" })
    const del = await web.handler(new Request(URL_, { method: "DELETE", headers: { "mcp-session-id": sid } }))
    expect(del.status).toBe(204)
    expect(await sse.next()).toBeUndefined()
    expect((await web.handler(postReq(call(2, "echo", { text: "a" }), { "mcp-session-id": sid }))).status).toBe(404)
  })
})
