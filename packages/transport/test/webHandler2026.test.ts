/**
 * WebHandler serving MCP 2026-07-28 statelessly (spec 2026-07-28
 * basic/transports/streamable-http), with Node's own Request/Response: the
 * same statuses, headers and bodies as HttpTransport, SSE for a request's own
 * progress and logs, closing the stream cancels the request; 2025-11-25
 * sessions still served when configured; `streaming: false` for buffering
 * platforms.
 */
import { McpServer, Progress, Tool } from "@emcee/core"
import { ConfigProvider, Effect, Layer, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as WebHandler from "../src/WebHandler.js"
import { baseHeaders, call, echo, initializeRequest, readme, sseReader, start, type Started, work } from "./fixtures/httpApp.js"
import { VERSION, headersFor, modern } from "./fixtures/modern.js"

const URL_ = "http://edge.example/mcp"

/** What the `held` tool saw: started, and interrupted (its request was cancelled). */
const held = { started: 0, interrupted: 0 }

/** Reports progress, then waits until cancelled. */
const hold = Tool.make("hold", {
  input: Schema.Struct({ ms: Schema.Number }),
  handler: ({ ms }) =>
    Effect.gen(function*() {
      held.started++
      yield* Progress.report(1, { total: 2 })
      yield* Effect.sleep(ms)
      return "held"
    }).pipe(Effect.onInterrupt(() => Effect.sync(() => held.interrupted++)))
})

const App = McpServer.register(echo, work, hold, readme).pipe(
  Layer.provideMerge(McpServer.layer({ name: "web-2026", version: "1.0.0" }))
)




const postReq = (body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  new Request(URL_, {
    method: "POST",
    headers: { ...baseHeaders, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(signal === undefined ? {} : { signal })
  })

const waitFor = async (predicate: () => boolean, millis = 5_000) => {
  const deadline = Date.now() + millis
  while (!predicate() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  return predicate()
}

describe("WebHandler, 2026-07-28 (spec 2026-07-28 basic/transports/streamable-http)", () => {
  let web: ReturnType<typeof WebHandler.toHandler>
  beforeAll(() => {
    web = WebHandler.toHandler(App)
  })
  afterAll(() => web.dispose())

  it("answers server/discover and tools/call with no session: JSON, resultType complete, serverInfo in _meta (\"Earlier Streamable HTTP Revisions\")", async () => {
    const discover = await web.handler(postReq(modern(1, "server/discover"), { ...headersFor("server/discover"), "mcp-session-id": "ignored" }))
    expect(discover.status).toBe(200)
    expect(discover.headers.get("content-type")).toBe("application/json")
    expect(discover.headers.get("mcp-session-id")).toBeNull()
    expect(await discover.json()).toMatchObject({
      id: 1,
      result: { supportedVersions: expect.arrayContaining([VERSION]), resultType: "complete", _meta: { "io.modelcontextprotocol/serverInfo": { name: "web-2026" } } }
    })
    const res = await web.handler(postReq(modern(2, "tools/call", { name: "echo", arguments: { text: "edge" } }), headersFor("tools/call", "echo")))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 2, result: { content: [{ type: "text", text: "edge" }], resultType: "complete" } })
  })

  it("refuses headers that disagree with the body: 400 HeaderMismatch -32020 with the id (\"Server Validation\")", async () => {
    const body = modern(3, "tools/call", { name: "echo", arguments: { text: "x" } })
    for (const headers of [headersFor("tools/call", "other"), headersFor("tools/call"), headersFor("tools/list", "echo")]) {
      const res = await web.handler(postReq(body, headers))
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ id: 3, error: { code: -32020 } })
    }
  })

  it("unknown method 404 -32601, unsupported version 400 -32022, GET/DELETE 405 (\"Protocol Version Header\", \"Earlier Streamable HTTP Revisions\")", async () => {
    const unknown = await web.handler(postReq(modern(4, "no/such"), headersFor("no/such")))
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ id: 4, error: { code: -32601 } })
    const unsupported = await web.handler(postReq(modern(5, "tools/list"), { "mcp-protocol-version": "1900-01-01", "mcp-method": "tools/list" }))
    expect(unsupported.status).toBe(400)
    expect(await unsupported.json()).toMatchObject({ id: 5, error: { code: -32022, data: { supported: expect.arrayContaining([VERSION]), requested: "1900-01-01" } } })
    for (const method of ["GET", "DELETE"]) {
      const res = await web.handler(new Request(URL_, { method, headers: { accept: "text/event-stream", "mcp-protocol-version": VERSION } }))
      expect(res.status).toBe(405)
    }
  })

  it("sends progress and logs on the request's own SSE stream, then the response ends it (\"Receiving Messages\")", async () => {
    const body = modern(6, "tools/call", {
      name: "work",
      arguments: { ms: 1 },
      _meta: { progressToken: "p", "io.modelcontextprotocol/logLevel": "info" }
    })
    const res = await web.handler(postReq(body, headersFor("tools/call", "work")))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    expect(res.headers.get("x-accel-buffering")).toBe("no")
    const events = await sseReader(res).rest()
    expect(events.map((e) => e.id)).toEqual([undefined, undefined, undefined, undefined])
    expect(events.map((e) => (e.message?.method as string | undefined) ?? `response ${String(e.message?.id)}`)).toEqual([
      "notifications/progress",
      "notifications/message",
      "notifications/progress",
      "response 6"
    ])
  })

  it("closing the response stream cancels the request: its handler is interrupted (\"Cancellation\")", async () => {
    const before = { ...held }
    const res = await web.handler(postReq(modern(7, "tools/call", { name: "hold", arguments: { ms: 60_000 }, _meta: { progressToken: "c" } }), headersFor("tools/call", "hold")))
    const sse = sseReader(res)
    expect((await sse.next())?.message).toMatchObject({ method: "notifications/progress" })
    expect(held.started).toBe(before.started + 1)
    expect(held.interrupted).toBe(before.interrupted)
    await sse.cancel()
    expect(await waitFor(() => held.interrupted === before.interrupted + 1)).toBe(true)
  })

  it("an aborted request (the client went away) cancels it too", async () => {
    const before = held.interrupted
    const abort = new AbortController()
    const res = await web.handler(postReq(modern(8, "tools/call", { name: "hold", arguments: { ms: 60_000 }, _meta: { progressToken: "a" } }), headersFor("tools/call", "hold"), abort.signal))
    expect((await sseReader(res).next())?.message).toMatchObject({ method: "notifications/progress" })
    abort.abort()
    expect(await waitFor(() => held.interrupted === before + 1)).toBe(true)
  })
})

describe("WebHandler and HttpTransport answer 2026-07-28 alike", () => {
  let web: ReturnType<typeof WebHandler.toHandler>
  let node: Started
  beforeAll(async () => {
    web = WebHandler.toHandler(App)
    node = await start({}, undefined, App)
  })
  afterAll(async () => {
    await web.dispose()
    await node.stop()
  })

  const cases: ReadonlyArray<readonly [string, unknown, Record<string, string>]> = [
    ["server/discover", modern(1, "server/discover"), headersFor("server/discover")],
    ["tools/list", modern(2, "tools/list"), headersFor("tools/list")],
    ["tools/call", modern(3, "tools/call", { name: "echo", arguments: { text: "same" } }), headersFor("tools/call", "echo")],
    ["invalid arguments", modern(4, "tools/call", { name: "echo", arguments: {} }), headersFor("tools/call", "echo")],
    ["resources/read", modern(5, "resources/read", { uri: "file:///readme.md" }), headersFor("resources/read", "file:///readme.md")],
    ["header mismatch", modern(6, "tools/call", { name: "echo", arguments: { text: "x" } }), headersFor("tools/call", "nope")],
    ["missing _meta", { jsonrpc: "2.0", id: 7, method: "tools/list", params: {} }, headersFor("tools/list")],
    ["unknown method", modern(8, "no/such"), headersFor("no/such")],
    ["unsupported version", modern(9, "tools/list"), { "mcp-protocol-version": "1900-01-01", "mcp-method": "tools/list" }],
    ["parse error", "{", headersFor("tools/list")],
    ["notification", { jsonrpc: "2.0", method: "notifications/initialized" }, headersFor("notifications/initialized")]
  ]

  it.each(cases)("%s: same status, content type and body", async (_name, body, headers) => {
    const fromWeb = await web.handler(postReq(body, headers))
    const fromNode = await fetch(node.url, { method: "POST", headers: { ...baseHeaders, ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) })
    expect(fromWeb.status).toBe(fromNode.status)
    expect(fromWeb.headers.get("content-type")).toBe(fromNode.headers.get("content-type"))
    expect(fromWeb.headers.get("mcp-session-id")).toBeNull()
    expect(await fromWeb.text()).toBe(await fromNode.text())
  })
})

describe("WebHandler, stateful: 2025-11-25 sessions beside 2026-07-28", () => {
  let web: ReturnType<typeof WebHandler.toHandler>
  beforeAll(() => {
    web = WebHandler.toHandler(App, { stateless: false })
  })
  afterAll(() => web.dispose())

  it("keeps a 2025-11-25 session while serving 2026-07-28 requests without one (spec 2026-07-28 basic/versioning \"Backward Compatibility\")", async () => {
    const init = await web.handler(postReq(initializeRequest()))
    const sid = init.headers.get("mcp-session-id")!
    expect(sid).toMatch(/^[0-9a-f-]{36}$/)
    // 2026-07-28: no session needed, and a session id present is ignored (not checked, not echoed).
    for (const extra of [{}, { "mcp-session-id": "unknown-session" }, { "mcp-session-id": sid }]) {
      const res = await web.handler(postReq(modern(1, "tools/call", { name: "echo", arguments: { text: "new" } }), { ...headersFor("tools/call", "echo"), ...extra }))
      expect(res.status).toBe(200)
      expect(res.headers.get("mcp-session-id")).toBeNull()
      expect(await res.json()).toMatchObject({ result: { content: [{ text: "new" }], resultType: "complete" } })
    }
    // 2025-11-25 still needs its session (spec 2025-11-25 basic/transports "Session Management" 2.).
    expect((await web.handler(postReq(call(2, "echo", { text: "old" })))).status).toBe(400)
    const legacy = await web.handler(postReq(call(3, "echo", { text: "old" }), { "mcp-session-id": sid }))
    expect(await legacy.json()).toEqual({ jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: "old" }] } })
  })
})

describe("WebHandler, streaming: false (buffering platforms)", () => {
  let web: ReturnType<typeof WebHandler.toHandler>
  beforeAll(() => {
    web = WebHandler.toHandler(App, { streaming: false, stateless: false })
  })
  afterAll(() => web.dispose())

  it("answers a request that reports progress and logs with one JSON body (spec 2026-07-28 streamable-http \"Sending Messages\" 6.)", async () => {
    const body = modern(1, "tools/call", { name: "work", arguments: { ms: 1 }, _meta: { progressToken: "p", "io.modelcontextprotocol/logLevel": "info" } })
    const res = await web.handler(postReq(body, headersFor("tools/call", "work")))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/json")
    expect(await res.json()).toMatchObject({ id: 1, result: { content: [{ text: "worked" }], resultType: "complete" } })
    const legacy = await web.handler(postReq(call(2, "work", { ms: 1 }, { progressToken: "q" })))
    expect(legacy.headers.get("content-type")).toBe("application/json")
    expect(await legacy.json()).toEqual({ jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "worked" }] } })
  })

  it("is stateless whatever `stateless` says: no session minted, GET is 405", async () => {
    const init = await web.handler(postReq(initializeRequest()))
    expect(init.status).toBe(200)
    expect(init.headers.get("mcp-session-id")).toBeNull()
    expect((await web.handler(new Request(URL_, { headers: { accept: "text/event-stream" } }))).status).toBe(405)
  })

  it("reads `streaming` from HTTP_STREAMING", async () => {
    const options = await Effect.runPromise(
      WebHandler.config().pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HTTP_STREAMING", "false"]]), { pathDelim: "_" })))
    )
    expect(options).toEqual({ streaming: false })
  })
})
