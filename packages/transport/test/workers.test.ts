/**
 * WebHandler inside a real Workers runtime: the serverless example's Worker
 * entry (examples/serverless/src/worker.ts), bundled with esbuild as its
 * deployment is (src/bundle.ts), run by workerd through miniflare with the
 * compatibility settings of its wrangler.toml, and sent real MCP 2026-07-28
 * requests over HTTP (spec 2026-07-28 basic/transports/streamable-http).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Miniflare } from "miniflare"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bundleWorker } from "../../../examples/serverless/src/bundle.js"
import { baseHeaders, call, sseReader } from "./fixtures/httpApp.js"
import { VERSION, headersFor, modern } from "./fixtures/modern.js"

const URL_ = "http://worker.example/mcp"



/** The compatibility settings the example deploys with (its wrangler.toml). */
const wrangler = readFileSync(fileURLToPath(new URL("../../../examples/serverless/wrangler.toml", import.meta.url)), "utf8")
const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(wrangler)![1]!
const compatibilityFlags = [...(/^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(wrangler)![1]!.matchAll(/"([^"]+)"/g))].map((m) => m[1]!)

describe("the serverless example in workerd (miniflare)", () => {
  let dir: string
  let mf: Miniflare
  /** What the Worker wrote to stdout and stderr (its Effect logs). */
  let output = ""

  // Miniflare's fetch (undici) Response; what the shared SSE reader needs of it.
  const post = async (body: unknown, headers: Record<string, string> = {}) =>
    (await mf.dispatchFetch(URL_, {
      method: "POST",
      headers: { ...baseHeaders, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body)
    })) as unknown as Response

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "emcee-worker-"))
    const scriptPath = await bundleWorker(join(dir, "worker.js"))
    // modulesRoot: module names are paths relative to it, and the bundle lives outside the working directory.
    mf = new Miniflare({
      modules: true,
      modulesRoot: dir,
      scriptPath,
      compatibilityDate,
      compatibilityFlags,
      handleRuntimeStdio: (stdout, stderr) => {
        for (const stream of [stdout, stderr]) {
          stream.on("data", (chunk: Buffer) => {
            output += chunk.toString("utf8")
          })
        }
      }
    })
    await mf.ready
  })
  afterAll(async () => {
    try {
      await mf?.dispose()
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    }
  })

  it("deploys with nodejs_compat (node:crypto and Buffer are used by core and transport) and enable_request_signal (cancellation)", () => {
    expect(compatibilityFlags).toEqual(expect.arrayContaining(["nodejs_compat", "enable_request_signal"]))
  })

  it("server/discover: 200 JSON, supportedVersions, serverInfo, no session (spec 2026-07-28 server/discover)", async () => {
    const res = await post(modern(1, "server/discover"), headersFor("server/discover"))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/json")
    expect(res.headers.get("mcp-session-id")).toBeNull()
    expect(await res.json()).toMatchObject({
      id: 1,
      result: { supportedVersions: expect.arrayContaining([VERSION]), resultType: "complete", _meta: { "io.modelcontextprotocol/serverInfo": { name: "emcee-serverless" } } }
    })
  })

  it("tools/call with Mcp-Method and Mcp-Name (\"Standard Request Headers\")", async () => {
    const res = await post(modern(2, "tools/call", { name: "add", arguments: { a: 2, b: 40 } }), headersFor("tools/call", "add"))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 2, result: { content: [{ type: "text", text: "42" }], resultType: "complete" } })
  })

  it("a header that disagrees with the body: 400 HeaderMismatch -32020 (\"Server Validation\")", async () => {
    const res = await post(modern(3, "tools/call", { name: "add", arguments: { a: 1, b: 1 } }), headersFor("tools/call", "echo"))
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ id: 3, error: { code: -32020, message: expect.stringMatching(/^Header mismatch: /) } })
    const missing = await post(modern(4, "tools/call", { name: "add", arguments: { a: 1, b: 1 } }), headersFor("tools/call"))
    expect(missing.status).toBe(400)
    expect(await missing.json()).toMatchObject({ id: 4, error: { code: -32020 } })
  })

  it("unknown method 404 -32601; GET 405; other paths 404 (\"Protocol Version Header\", \"Earlier Streamable HTTP Revisions\")", async () => {
    const unknown = await post(modern(5, "no/such"), headersFor("no/such"))
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ id: 5, error: { code: -32601 } })
    const get = await mf.dispatchFetch(URL_, { headers: { accept: "text/event-stream", "mcp-protocol-version": VERSION } })
    expect(get.status).toBe(405)
    await get.text()
    const other = await mf.dispatchFetch("http://worker.example/elsewhere")
    expect(other.status).toBe(404)
    await other.text()
  })

  it("streams progress on the request's own SSE stream as it happens, then the response (\"Receiving Messages\")", async () => {
    const started = Date.now()
    const res = await post(modern(6, "tools/call", { name: "countdown", arguments: { steps: 2, ms: 300 }, _meta: { progressToken: "t" } }), headersFor("tools/call", "countdown"))
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const sse = sseReader(res)
    const first = await sse.next()
    const firstAt = Date.now() - started
    expect(first?.message).toMatchObject({ method: "notifications/progress", params: { progressToken: "t", progress: 1, total: 2 } })
    const rest = await sse.rest()
    const doneAt = Date.now() - started
    expect(rest.map((e) => e.message)).toEqual([
      expect.objectContaining({ method: "notifications/progress", params: expect.objectContaining({ progress: 2 }) }),
      expect.objectContaining({ id: 6, result: expect.objectContaining({ content: [{ type: "text", text: "liftoff" }] }) })
    ])
    // The first event came a step (300 ms) before the end: streamed, not buffered.
    expect(doneAt - firstAt).toBeGreaterThan(150)
  })

  it("closing the response stream cancels the request: the tool is interrupted (spec 2026-07-28 streamable-http \"Cancellation\")", async () => {
    const before = output.split("countdown cancelled").length
    const res = await post(modern(9, "tools/call", { name: "countdown", arguments: { steps: 100, ms: 100 }, _meta: { progressToken: "c" } }), headersFor("tools/call", "countdown"))
    const sse = sseReader(res)
    expect((await sse.next())?.message).toMatchObject({ method: "notifications/progress" })
    expect(output.split("countdown cancelled").length).toBe(before)
    await sse.cancel()
    const deadline = Date.now() + 5_000
    while (output.split("countdown cancelled").length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(output.split("countdown cancelled").length).toBe(before + 1)
  })

  it("serves concurrent requests, each on its own stream", async () => {
    const results = await Promise.all([1, 2, 3, 4].map(async (i) => {
      const res = await post(modern(10 + i, "tools/call", { name: "countdown", arguments: { steps: 2, ms: 20 }, _meta: { progressToken: i } }), headersFor("tools/call", "countdown"))
      return (await sseReader(res).rest()).map((e) => e.message)
    }))
    results.forEach((messages, index) => {
      const i = index + 1
      expect(messages).toHaveLength(3)
      expect(messages.slice(0, 2).every((m) => (m?.params as { progressToken?: unknown } | undefined)?.progressToken === i)).toBe(true)
      expect(messages[2]).toMatchObject({ id: 10 + i, result: { content: [{ text: "liftoff" }] } })
    })
  })

  it("a 2025-11-25 client is served without a session (spec 2025-11-25 basic/transports \"Session Management\")", async () => {
    const res = await post(call(7, "echo", { text: "legacy" }))
    expect(res.status).toBe(200)
    expect(res.headers.get("mcp-session-id")).toBeNull()
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "legacy" }] } })
  })
})
