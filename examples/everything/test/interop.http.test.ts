/**
 * Interop over Streamable HTTP: the official SDK client
 * (`StreamableHTTPClientTransport`) against the everything example started
 * with `--http --port 0`. The stdio test covers every feature; this one covers
 * what HTTP routes differently: messages related to a request on that
 * request's SSE stream, unrelated notifications on the GET stream, sessions.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type LoggingMessageNotification,
  type Progress,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema
} from "@modelcontextprotocol/sdk/types.js"
import { type ChildProcess, spawn } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { assertBuilt, mainPath, repoRoot } from "./support/built.js"


const textOf = (result: unknown): string =>
  (result as { content: ReadonlyArray<{ type: string; text?: string }> }).content
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n")

const waitFor = async (check: () => boolean, what: string, millis = 5_000): Promise<void> => {
  const deadline = Date.now() + millis
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let server: ChildProcess
let url: URL
let client: Client
const logs: Array<LoggingMessageNotification["params"]> = []
const updatedUris: Array<string> = []
let toolListChanges = 0

/** Starts the example on a free port and resolves its URL from the ready line. */
const start = (): Promise<URL> =>
  new Promise((resolve, reject) => {
    server = spawn(process.execPath, [mainPath, "--http", "--port", "0"], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    server.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      const match = /emcee everything listening on (http:\/\/\S+)/.exec(stderr)
      if (match !== null) resolve(new URL(match[1]!))
    })
    server.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${stderr}`)))
  })

beforeAll(async () => {
  assertBuilt()
  url = await start()
  client = new Client({ name: "emcee-interop-http", version: "1.0.0" }, { capabilities: { sampling: {}, elicitation: { form: {} } } })
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params)
  })
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updatedUris.push(n.params.uri)
  })
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    toolListChanges++
  })
  client.setRequestHandler(CreateMessageRequestSchema, () =>
    Promise.resolve({ model: "test-model", role: "assistant" as const, content: { type: "text" as const, text: "over HTTP" } }))
  client.setRequestHandler(ElicitRequestSchema, () =>
    Promise.resolve({ action: "accept" as const, content: { username: "testuser", email: "test@example.com" } }))
  await client.connect(new StreamableHTTPClientTransport(url))
}, 60_000)

afterAll(async () => {
  await client?.close()
  if (server !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve))
    server.kill("SIGTERM")
    await exited
  }
})

describe("everything over Streamable HTTP with the official SDK client", { timeout: 30_000 }, () => {
  it("the ready line names the MCP endpoint on loopback (basic/transports Streamable HTTP)", () => {
    expect(url.hostname).toBe("127.0.0.1")
    expect(url.pathname).toBe("/mcp")
  })

  it("initialize creates a session with an Mcp-Session-Id (Session Management)", () => {
    expect(client.getServerVersion()?.name).toBe("emcee-everything")
    const transport = client.transport as StreamableHTTPClientTransport
    expect(transport.sessionId).toMatch(/^[\x21-\x7e]+$/)
  })

  it("tools/call answers over HTTP", async () => {
    expect(textOf(await client.callTool({ name: "test_simple_text" }))).toBe("This is a simple text response for testing.")
  })

  it("progress notifications travel on the request's SSE stream before the result (Sending Messages to the Server)", async () => {
    const progress: Array<Progress> = []
    await client.callTool({ name: "test_tool_with_progress", arguments: {} }, undefined, { onprogress: (p) => progress.push(p) })
    expect(progress.map((p) => p.progress)).toEqual([0, 50, 100])
  })

  it("log messages of a tool arrive before its result (server/utilities/logging)", async () => {
    await client.setLoggingLevel("debug")
    logs.length = 0
    await client.callTool({ name: "test_tool_with_logging", arguments: {} })
    await waitFor(() => logs.length >= 3, "three log messages")
    expect(logs.map((l) => l.data)).toEqual(["Tool execution started", "Tool processing data", "Tool execution completed"])
  })

  it("sampling/createMessage is sent during the call and the client's POSTed answer is used (client/sampling)", async () => {
    const result = await client.callTool({ name: "test_sampling", arguments: { prompt: "hello" } })
    expect(textOf(result)).toBe("LLM response: over HTTP")
  })

  it("elicitation/create is sent during the call (client/elicitation)", async () => {
    const result = await client.callTool({ name: "test_elicitation", arguments: { message: "Please provide your information" } })
    expect(textOf(result)).toBe("User response: action=accept, content={\"username\":\"testuser\",\"email\":\"test@example.com\"}")
  })

  it("a client without elicitation.url gets an isError result from test_elicitation_url (client/elicitation Capabilities)", async () => {
    const result = await client.callTool({ name: "test_elicitation_url", arguments: {} })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/elicitation\.url/)
  })

  it("notifications/resources/updated reaches a subscribed client (server/resources Subscriptions)", async () => {
    await client.subscribeResource({ uri: "test://watched-resource" })
    await client.callTool({ name: "test_update_watched_resource", arguments: { content: "changed over HTTP" } })
    await waitFor(() => updatedUris.includes("test://watched-resource"), "notifications/resources/updated")
    const read = await client.readResource({ uri: "test://watched-resource" })
    expect(read.contents).toEqual([{ uri: "test://watched-resource", mimeType: "text/plain", text: "changed over HTTP" }])
  })

  it("notifications/tools/list_changed reaches the client (server/tools List Changed Notification)", async () => {
    const before = toolListChanges
    await client.callTool({ name: "test_dynamic_tool", arguments: {} })
    await waitFor(() => toolListChanges > before, "tools/list_changed")
    await client.callTool({ name: "test_dynamic_tool", arguments: {} })
  })

  it("cancelling a call over HTTP interrupts the tool (basic/utilities/cancellation)", async () => {
    const controller = new AbortController()
    const call = client.callTool({ name: "test_long_running", arguments: { steps: 100, stepMillis: 50 } }, undefined, {
      signal: controller.signal,
      onprogress: (p) => {
        if (p.progress >= 1) controller.abort("enough")
      }
    })
    await expect(call).rejects.toThrow()
    const stats = async () => {
      const read = await client.readResource({ uri: "test://long-running/stats" })
      return JSON.parse((read.contents[0] as { text: string }).text) as { cancelled: number }
    }
    const deadline = Date.now() + 5_000
    while ((await stats()).cancelled < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await stats()).cancelled).toBe(1)
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "ok" } }))).toBe("Echo: ok")
  })

  it("a POST with a foreign Host header is rejected with 403 (Security Warning: DNS rebinding)", async () => {
    const { request } = await import("node:http")
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, {
        method: "POST",
        headers: { host: "evil.example.com", "content-type": "application/json", accept: "application/json, text/event-stream" }
      }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on("error", reject)
      req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }))
    })
    expect(status).toBe(403)
  })
})
