/**
 * Streamable HTTP under MCP 2026-07-28 beside 2025-11-25 on the same endpoint
 * (spec 2026-07-28 basic/transports/streamable-http): no session, request
 * headers mirrored from the body and checked, its own error statuses, SSE
 * for progress whose closing cancels the request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, openSession, post, sseReader, start, type Started } from "./fixtures/httpApp.js"
import { VERSION, headersFor, meta, modern } from "./fixtures/modern.js"





describe("Streamable HTTP, 2026-07-28 (spec 2026-07-28 basic/transports/streamable-http)", () => {
  let server: Started
  beforeAll(async () => {
    server = await start()
  })
  afterAll(() => server.stop())

  it("serves tools/call with no session: JSON, resultType complete, no Mcp-Session-Id (\"Earlier Streamable HTTP Revisions\")", async () => {
    const res = await post(server.url, modern(1, "tools/call", { name: "echo", arguments: { text: "hi" } }), headersFor("tools/call", "echo"))
    expect(res.status).toBe(200)
    expect(res.headers.get("mcp-session-id")).toBeNull()
    expect(await res.json()).toMatchObject({
      id: 1,
      result: { content: [{ type: "text", text: "hi" }], resultType: "complete", _meta: { "io.modelcontextprotocol/serverInfo": { name: "http-test" } } }
    })
  })

  it("answers server/discover and lists without initialize; an Mcp-Session-Id on the request is ignored", async () => {
    const discover = await post(server.url, modern(1, "server/discover"), { ...headersFor("server/discover"), "mcp-session-id": "not-a-session" })
    expect(discover.status).toBe(200)
    expect(await discover.json()).toMatchObject({ result: { supportedVersions: ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"], resultType: "complete" } })
    const list = await post(server.url, modern(2, "tools/list"), headersFor("tools/list"))
    expect(await list.json()).toMatchObject({ result: { ttlMs: 0, cacheScope: "private", tools: expect.arrayContaining([expect.objectContaining({ name: "echo" })]) } })
  })

  it("refuses headers that are missing or disagree with the body: 400 and HeaderMismatch -32020 with the id (\"Server Validation\")", async () => {
    const body = modern(3, "tools/call", { name: "echo", arguments: { text: "x" } })
    const cases: Array<Record<string, string>> = [
      headersFor("tools/call", "other"),
      headersFor("tools/call"),
      { "mcp-protocol-version": VERSION, "mcp-name": "echo" },
      headersFor("tools/list", "echo"),
      headersFor("tools/call", "=?base64?not base64?=")
    ]
    for (const headers of cases) {
      const res = await post(server.url, body, headers)
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ id: 3, error: { code: -32020, message: expect.stringMatching(/^Header mismatch: /) } })
    }
    // The header says 2026-07-28, the body another version.
    const other = await post(
      server.url,
      { jsonrpc: "2.0", id: 4, method: "tools/list", params: { _meta: { ...meta, "io.modelcontextprotocol/protocolVersion": "2025-11-25" } } },
      headersFor("tools/list")
    )
    expect(other.status).toBe(400)
    expect(await other.json()).toMatchObject({ id: 4, error: { code: -32020 } })
    // The body carries no version at all: malformed, -32602 (basic/index "Per-request protocol fields").
    const bare = await post(server.url, { jsonrpc: "2.0", id: 14, method: "tools/list", params: {} }, headersFor("tools/list"))
    expect(bare.status).toBe(400)
    expect(await bare.json()).toMatchObject({ id: 14, error: { code: -32602 } })
  })

  it("decodes a Base64 Mcp-Name before comparing it (\"Value Encoding\")", async () => {
    const encoded = `=?base64?${Buffer.from("echo").toString("base64")}?=`
    const res = await post(server.url, modern(5, "tools/call", { name: "echo", arguments: { text: "b64" } }), headersFor("tools/call", encoded))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 5, result: { content: [{ text: "b64" }] } })
  })

  it("an unknown method is 404 -32601; missing client capabilities 400 -32602 (\"Protocol Version Header\", basic/index)", async () => {
    const unknown = await post(server.url, modern(6, "no/such"), headersFor("no/such"))
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ id: 6, error: { code: -32601 } })
    const removed = await post(server.url, modern(7, "ping"), headersFor("ping"))
    expect(removed.status).toBe(404)
    const noCapabilities = await post(
      server.url,
      { jsonrpc: "2.0", id: 8, method: "tools/list", params: { _meta: { "io.modelcontextprotocol/protocolVersion": VERSION } } },
      headersFor("tools/list")
    )
    expect(noCapabilities.status).toBe(400)
    expect(await noCapabilities.json()).toMatchObject({ id: 8, error: { code: -32602 } })
  })

  it("an unsupported MCP-Protocol-Version is 400 with UnsupportedProtocolVersion -32022 listing what server/discover lists (basic/versioning)", async () => {
    const res = await post(server.url, modern(9, "tools/list"), { "mcp-protocol-version": "1900-01-01", "mcp-method": "tools/list" })
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body).toMatchObject({ id: 9, error: { code: -32022, data: { requested: "1900-01-01" } } })
    expect(body.error.data.supported).toEqual(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"])
  })

  it("GET and DELETE are 405 under 2026-07-28 (no GET stream, no sessions)", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(server.url, { method, headers: { accept: "text/event-stream", "mcp-protocol-version": VERSION } })
      expect(res.status).toBe(405)
    }
  })

  it("sends progress and logs (at the request's own level) on the request's own SSE stream (\"Receiving Messages\", server/utilities/logging)", async () => {
    const body = modern(10, "tools/call", {
      name: "work",
      arguments: { ms: 10 },
      _meta: { progressToken: "p", "io.modelcontextprotocol/logLevel": "info" }
    })
    const res = await post(server.url, body, headersFor("tools/call", "work"))
    expect(res.headers.get("content-type")).toContain("text/event-stream")
    const events = await sseReader(res).rest()
    const methods = events.map((e) => (e.message?.method as string | undefined) ?? `response ${String(e.message?.id)}`)
    expect(methods).toEqual(["notifications/progress", "notifications/message", "notifications/progress", "response 10"])
    // Without a log level, no log messages (server/utilities/logging).
    const quiet = await post(server.url, modern(11, "tools/call", { name: "work", arguments: { ms: 10 }, _meta: { progressToken: "q" } }), headersFor("tools/call", "work"))
    const quietEvents = await sseReader(quiet).rest()
    expect(quietEvents.some((e) => e.message?.method === "notifications/message")).toBe(false)
  })

  it("closing the response stream cancels the request: its handler stops and the POST is released (\"Cancellation\")", async () => {
    const abort = new AbortController()
    const res = await fetch(server.url, {
      method: "POST",
      signal: abort.signal,
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headersFor("tools/call", "work") },
      body: JSON.stringify(modern(13, "tools/call", { name: "work", arguments: { ms: 60_000 }, _meta: { progressToken: "c" } }))
    })
    const first = await sseReader(res).next()
    expect(first?.message).toMatchObject({ method: "notifications/progress" })
    expect(server.stats().inFlight).toBe(1)
    abort.abort()
    const deadline = Date.now() + 5_000
    while (server.stats().inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(server.stats().inFlight).toBe(0)
  })

  it("closing the connection before a JSON answer also cancels the request (\"Cancellation\")", async () => {
    const abort = new AbortController()
    const pending = fetch(server.url, {
      method: "POST",
      signal: abort.signal,
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headersFor("tools/call", "work") },
      body: JSON.stringify(modern(14, "tools/call", { name: "work", arguments: { ms: 60_000 } }))
    }).catch((e: unknown) => e)
    const started = Date.now() + 5_000
    while (server.stats().inFlight === 0 && Date.now() < started) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(server.stats().inFlight).toBe(1)
    abort.abort()
    expect(await pending).toBeInstanceOf(Error)
    const deadline = Date.now() + 5_000
    while (server.stats().inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(server.stats().inFlight).toBe(0)
  })

  it("keeps serving 2025-11-25 sessions on the same endpoint", async () => {
    const sid = await openSession(server.url)
    const res = await post(server.url, call(12, "echo", { text: "legacy" }), { "mcp-session-id": sid })
    const json = await res.json()
    expect(json).toEqual({ jsonrpc: "2.0", id: 12, result: { content: [{ type: "text", text: "legacy" }] } })
  })
})
