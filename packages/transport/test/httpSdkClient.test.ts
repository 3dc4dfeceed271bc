/**
 * Interop: the official TypeScript SDK client (@modelcontextprotocol/sdk
 * StreamableHTTPClientTransport) against HttpTransport.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { start, type Started } from "./fixtures/httpApp.js"

describe("HttpTransport with the official SDK client", () => {
  let server: Started
  beforeAll(async () => {
    server = await start()
  })
  afterAll(() => server.stop())

  it("connects, lists tools, calls one, streams progress and terminates its session", async () => {
    const client = new Client({ name: "sdk-client", version: "1.0.0" })
    const transport = new StreamableHTTPClientTransport(new URL(server.url))
    await client.connect(transport)
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    const tools = await client.listTools()
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["echo", "work"]))
    const echoed = await client.callTool({ name: "echo", arguments: { text: "from the SDK" } })
    expect(echoed.content).toEqual([{ type: "text", text: "from the SDK" }])
    const progress: Array<number> = []
    const worked = await client.callTool({ name: "work", arguments: { ms: 10 } }, undefined, {
      onprogress: (p) => progress.push(p.progress)
    })
    expect(worked.content).toEqual([{ type: "text", text: "worked" }])
    expect(progress).toEqual([1, 2])
    expect(server.stats().sessions).toBe(1)
    await transport.terminateSession()
    await client.close()
    expect(server.stats().sessions).toBe(0)
  })
})
