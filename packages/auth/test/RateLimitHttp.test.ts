/**
 * Rate limits over Streamable HTTP: per client IP (the TCP peer the
 * transport saw, `Middleware.Request.clientAddress`), answered 429 with
 * `Retry-After` (RFC 6585 §4, RFC 9110 §10.2.3) through the transport's
 * `errorStatus`, under both revisions.
 */
import { McpServer, RequestContext, Tool } from "@emcee/core"
import { HttpTransport } from "@emcee/transport"
import { Effect, Exit, Layer, ManagedRuntime, Schema, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as RateLimit from "../src/RateLimit.js"

let runs = 0
const where = Tool.make("where", {
  input: Schema.Struct({}),
  handler: () => Effect.map(RequestContext.RequestContext, (request) => (runs++, request.clientAddress ?? "none"))
})

const App = McpServer.register(RateLimit.tokenBucket({ key: RateLimit.byIp(), rate: 1, per: "1 minute", burst: 2, name: "per-ip" }), where).pipe(
  Layer.provideMerge(McpServer.layer({ name: "limited", version: "1.0.0" }))
)

const meta = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {}
}

describe("RateLimit over HTTP (per IP, 429)", () => {
  let url: string
  let stop: () => Promise<void>
  beforeAll(async () => {
    const runtime = ManagedRuntime.make(App)
    const scope = await runtime.runPromise(Scope.make())
    const running = await runtime.runPromise(HttpTransport.make({ errorStatus: RateLimit.httpStatus }).pipe(Scope.extend(scope)))
    url = running.url
    stop = async () => {
      await runtime.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  })
  afterAll(() => stop())

  it("the handler sees the client's address; past the burst the caller gets 429 with Retry-After and the handler does not run", async () => {
    const call = (id: number) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "tools/call",
          "mcp-name": "where"
        },
        body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "where", arguments: {}, _meta: meta } })
      })
    const first = await call(1)
    expect(await first.json()).toMatchObject({ result: { content: [{ type: "text", text: expect.stringMatching(/127\.0\.0\.1$/) }] } })
    expect((await call(2)).status).toBe(200)
    const limited = await call(3)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
    expect(await limited.json()).toMatchObject({ id: 3, error: { code: -32000, data: { _tag: "RateLimited", limit: "per-ip" } } })
    expect(runs).toBe(2)
  })
})
