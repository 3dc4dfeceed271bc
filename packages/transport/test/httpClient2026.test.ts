/**
 * `McpClient` over `HttpClientTransport` speaking MCP 2026-07-28 (spec
 * 2026-07-28 basic/transports/streamable-http) against our own HttpTransport
 * on a real port, and falling back to 2025-11-25 against the official
 * TypeScript SDK's Streamable HTTP server. A recording fetch shows every
 * header and status on the wire.
 */
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Logging, McpClient, McpServer, Progress, Resource, Tool } from "@emcee/core"
import { McpServer as SdkMcpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { Chunk, Deferred, Effect, Exit, Fiber, Layer, Queue, Schema, Scope, Stream } from "effect"
import * as HttpClientTransport from "../src/HttpClientTransport.js"
import * as HttpTransport from "../src/HttpTransport.js"
import { echo } from "./fixtures/httpApp.js"

/** Reports progress and logs before its result: the POST answer becomes an SSE stream. */
const work = Tool.make("work", {
  handler: () =>
    Effect.gen(function*() {
      yield* Progress.report(1, { total: 2 })
      yield* Logging.log("info", "working")
      yield* Progress.report(2, { total: 2 })
      return "worked"
    })
})

/** Set when the `hang` tool's handler is interrupted on the server. */
let hangInterrupted: Deferred.Deferred<void> | undefined
/** Reports progress (its answer is an SSE stream from then on), then runs until cancelled. */
const hang = Tool.make("hang", {
  handler: () =>
    Progress.report(1).pipe(
      Effect.zipRight(Effect.never),
      Effect.onInterrupt(() => (hangInterrupted === undefined ? Effect.void : Deferred.succeed(hangInterrupted, undefined)))
    )
})

const header = (name: string) => ({ jsonSchema: { "x-mcp-header": name } })
const region = Tool.make("region", {
  input: Schema.Struct({ region: Schema.String.annotations(header("Region")), query: Schema.String }),
  handler: ({ query, region }) => Effect.succeed(`${query} in ${region}`)
})
/** The same tool with an annotation the spec forbids (on a `number`), as a hand-built definition would carry it. */
const broken: Tool.Tool<"broken"> = {
  ...echo,
  name: "broken",
  definition: {
    ...echo.definition,
    name: "broken",
    inputSchema: { type: "object", properties: { n: { type: "number", "x-mcp-header": "N" } } }
  }
} as unknown as Tool.Tool<"broken">

const cafe = Resource.make({ uri: "file:///café.md", name: "cafe", read: () => Effect.succeed(Resource.text("crème")) })

const App = McpServer.register(echo, work, hang, region, cafe).pipe(
  Layer.provideMerge(McpServer.layer({ name: "http-client-2026", version: "2.0.0" }))
)

interface Seen {
  readonly method: string
  readonly headers: Record<string, string>
  readonly body: Record<string, unknown> | undefined
  readonly status: number
  readonly contentType: string
}

/** A real fetch that records every exchange. */
const recorder = () => {
  const seen: Array<Seen> = []
  const fetchFn: typeof globalThis.fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init)
    seen.push({
      method: init?.method ?? "GET",
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === "string" ? JSON.parse(init.body) as Record<string, unknown> : undefined,
      status: response.status,
      contentType: response.headers.get("content-type") ?? ""
    })
    return response
  }
  const posts = (method?: string) => seen.filter((s) => s.method === "POST" && (method === undefined || s.body?.method === method))
  return { seen, fetch: fetchFn, posts }
}

const clientInfo = { name: "http-client-2026", version: "1.0.0" }

const connect = (url: string, options: Partial<Omit<McpClient.Options, "transport" | "clientInfo">> = {}) =>
  Effect.gen(function*() {
    const rec = recorder()
    const transport = yield* HttpClientTransport.make({ url, fetch: rec.fetch })
    const client = yield* McpClient.make({ transport, clientInfo, protocolVersion: McpClient.AUTO, ...options })
    return { client, transport, ...rec }
  })

const textOf = (result: { readonly content: ReadonlyArray<unknown> }) => (result.content[0] as { text: string }).text

const eventually = (check: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 300; i++) {
      if (check()) return
      yield* Effect.sleep(10)
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })

/** The official SDK's Streamable HTTP server (2025-11-25 only) on an ephemeral port, for the life of the scope. */
const legacyHttpServer = Effect.acquireRelease(
  Effect.promise(async () => {
    const mcp = new SdkMcpServer({ name: "legacy-http", version: "1.0.0" })
    mcp.registerTool("hello", { description: "Says hello" }, () => Promise.resolve({ content: [{ type: "text" as const, text: "hello over 2025-11-25" }] }))
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() })
    await mcp.connect(transport)
    const server = createServer((req, res) => void transport.handleRequest(req, res))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo
    const close = async () => {
      await mcp.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
    return { url: `http://127.0.0.1:${port}/mcp`, close }
  }),
  (server) => Effect.promise(server.close)
)

describe("HttpClientTransport under 2026-07-28 (spec 2026-07-28 basic/transports/streamable-http)", () => {
  it.scopedLive("auto speaks 2026-07-28 with no session: MCP-Protocol-Version, Mcp-Method and Mcp-Name on every POST, no GET, no DELETE (\"Request Metadata\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const rec = recorder()
      yield* Effect.scoped(Effect.gen(function*() {
        const transport = yield* HttpClientTransport.make({ url: server.url, fetch: rec.fetch, headers: { "x-extra": "kept" } })
        const client = yield* McpClient.make({ transport, clientInfo, protocolVersion: McpClient.AUTO })
        expect(client.protocolVersion).toBe("2026-07-28")
        expect(client.serverInfo).toMatchObject({ name: "http-client-2026", version: "2.0.0" })
        expect(textOf(yield* client.callTool("echo", { text: "hi" }))).toBe("hi")
        yield* client.listAllTools()
        expect((yield* client.readResource("file:///readme.md").pipe(Effect.flip)).code).toBe(-32602)
        expect(transport.sessionId()).toBeUndefined()
        expect(transport.protocolVersion()).toBe("2026-07-28")
      }))
      expect(rec.seen.map((s) => `${s.method} ${String(s.body?.method)} ${s.status}`)).toEqual([
        "POST server/discover 200",
        "POST tools/call 200",
        "POST tools/list 200",
        "POST resources/read 200"
      ])
      for (const post of rec.seen) {
        const method = String(post.body!.method)
        expect(post.headers).toMatchObject({
          accept: "application/json, text/event-stream",
          "content-type": "application/json",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": method,
          "x-extra": "kept"
        })
        expect(post.headers).not.toHaveProperty("mcp-session-id")
        expect(post.headers["mcp-name"]).toBe(method === "tools/call" ? "echo" : method === "resources/read" ? "file:///readme.md" : undefined)
      }
      expect(server.stats().sessions).toBe(0)
    }).pipe(Effect.provide(App)))

  it.scopedLive("Mcp-Name carries a non-ASCII URI as =?base64?…?=, which the server decodes and accepts (\"Value Encoding\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const { client, posts } = yield* connect(server.url)
      const read = yield* client.readResource("file:///café.md")
      expect(read.contents).toMatchObject([{ uri: "file:///café.md", text: "crème" }])
      const sent = posts("resources/read")[0]!
      expect(sent.headers["mcp-name"]).toBe(`=?base64?${Buffer.from("file:///café.md", "utf8").toString("base64")}?=`)
      expect(sent.status).toBe(200)
    }).pipe(Effect.provide(App)))

  it.scopedLive("progress and, with a log level, log messages arrive on the request's own SSE stream (\"Receiving Messages\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const { client, posts } = yield* connect(server.url, { logLevel: "info" })
      const notifications = yield* client.subscribeNotifications
      const progress: Array<number> = []
      const result = yield* client.callTool("work", {}, { onProgress: (p) => Effect.sync(() => progress.push(p.progress)) })
      expect(textOf(result)).toBe("worked")
      expect(progress).toEqual([1, 2])
      const methods = Chunk.toArray(yield* Queue.takeAll(notifications)).map((n) => n.method)
      expect(methods).toContain("notifications/message")
      expect(posts("tools/call")[0]!.contentType).toContain("text/event-stream")
    }).pipe(Effect.provide(App)))

  it.scopedLive("interrupting a request closes its response stream, which cancels it on the server; no notifications/cancelled is POSTed (\"Cancellation\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      hangInterrupted = yield* Deferred.make<void>()
      const { client, posts } = yield* connect(server.url)
      const started = yield* Deferred.make<void>()
      const call = yield* Effect.fork(client.callTool("hang", {}, { onProgress: () => Deferred.succeed(started, undefined) }))
      yield* Deferred.await(started)
      expect(server.stats().inFlight).toBe(1)
      yield* Fiber.interrupt(call)
      yield* Deferred.await(hangInterrupted).pipe(Effect.timeout(5_000))
      yield* eventually(() => server.stats().inFlight === 0, "the server to end the request")
      expect(posts().map((p) => p.body?.method)).toEqual(["server/discover", "tools/call"])
    }).pipe(Effect.provide(App)))

  it.scopedLive("a 404 carrying -32601 reaches the caller as -32601, not as a transport failure (\"Protocol Version Header\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const { client, posts } = yield* connect(server.url)
      const error = yield* Effect.flip(client.request("nothing/here"))
      expect(error.code).toBe(-32601)
      expect(posts("nothing/here")[0]!.status).toBe(404)
    }).pipe(Effect.provide(App)))

  it.scopedLive("subscriptions/listen is a POST whose SSE response stays open and carries the notifications; closing the scope closes it (spec basic/patterns/subscriptions)", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const { client, posts } = yield* connect(server.url)
      const scope = yield* Scope.make()
      const subscription = yield* client.listen({ toolsListChanged: true }).pipe(Scope.extend(scope))
      expect(subscription.acknowledged).toEqual({ toolsListChanged: true })
      const listen = posts("subscriptions/listen")[0]!
      expect(listen.contentType).toContain("text/event-stream")
      expect(listen.headers["mcp-method"]).toBe("subscriptions/listen")
      const first = yield* Stream.runHead(subscription.notifications).pipe(Effect.fork)
      yield* McpServer.add(Tool.make("late", { handler: () => Effect.succeed("late") }))
      const notification = yield* Fiber.join(first).pipe(Effect.timeout(5_000))
      expect(notification._tag === "Some" && notification.value).toMatchObject({
        method: "notifications/tools/list_changed",
        params: { _meta: { "io.modelcontextprotocol/subscriptionId": subscription.id } }
      })
      expect(server.stats().inFlight).toBe(1)
      yield* Scope.close(scope, Exit.void)
      yield* eventually(() => server.stats().inFlight === 0, "the server to see the stream closed")
      expect(posts().some((p) => p.body?.method === "notifications/cancelled")).toBe(false)
    }).pipe(Effect.provide(App)))
})

describe("Custom headers from tool parameters (spec 2026-07-28 basic/transports/streamable-http \"Custom Headers from Tool Parameters\")", () => {
  it.scopedLive("after tools/list, tools/call mirrors x-mcp-header arguments into Mcp-Param-{Name}, Base64-wrapped when not plain ASCII (\"Client Behavior\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const { client, posts } = yield* connect(server.url)
      yield* client.listAllTools()
      expect(textOf(yield* client.callTool("region", { region: "us-west1", query: "q1" }))).toBe("q1 in us-west1")
      expect(textOf(yield* client.callTool("region", { region: "Zürich", query: "q2" }))).toBe("q2 in Zürich")
      const [plain, encoded] = posts("tools/call")
      expect(plain!.headers["mcp-param-region"]).toBe("us-west1")
      expect(encoded!.headers["mcp-param-region"]).toBe(`=?base64?${Buffer.from("Zürich", "utf8").toString("base64")}?=`)
      expect(posts("tools/call").every((p) => p.status === 200)).toBe(true)
      // A tool without annotations gets no such header.
      yield* client.callTool("echo", { text: "x" })
      expect(Object.keys(posts("tools/call")[2]!.headers).filter((h) => h.startsWith("mcp-param-"))).toEqual([])
    }).pipe(Effect.provide(App)))

  it.scopedLive("called before any tools/list: the server's HeaderMismatch makes the client list the tools and retry once, which succeeds", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const { client, posts } = yield* connect(server.url)
      expect(textOf(yield* client.callTool("region", { region: "eu-north1", query: "q" }))).toBe("q in eu-north1")
      const calls = posts("tools/call")
      expect(calls.map((c) => c.status)).toEqual([400, 200])
      expect(calls[1]!.headers["mcp-param-region"]).toBe("eu-north1")
      expect(posts("tools/list").length).toBeGreaterThan(0)
    }).pipe(Effect.provide(App)))

  it.scopedLive("a tool whose x-mcp-header breaks the rules is left out of tools/list (\"Schema Extension\": MUST exclude the invalid tool)", () =>
    Effect.gen(function*() {
      yield* McpServer.add(broken)
      const server = yield* HttpTransport.make({})
      const { client, posts } = yield* connect(server.url)
      const names = (yield* client.listAllTools()).map((t) => t.name)
      expect(names).toContain("region")
      expect(names).not.toContain("broken")
      // It was on the wire: the client, not the server, left it out.
      expect(posts("tools/list")[0]!.status).toBe(200)
    }).pipe(Effect.provide(App)))
})

describe("Falling back to 2025-11-25 over HTTP (spec 2026-07-28 basic/transports/streamable-http \"Backward Compatibility\")", () => {
  it.scopedLive("against the official SDK's server the probe gets a 4xx without a 2026-07-28 error, so the client initializes and uses a session", () =>
    Effect.gen(function*() {
      const legacy = yield* legacyHttpServer
      const { client, transport, posts, seen } = yield* connect(legacy.url)
      expect(client.protocolVersion).toBe("2025-11-25")
      expect(client.serverInfo).toMatchObject({ name: "legacy-http" })
      const probe = posts("server/discover")[0]!
      expect(probe.status).toBeGreaterThanOrEqual(400)
      expect(probe.status).toBeLessThan(500)
      expect(probe.headers["mcp-protocol-version"]).toBe("2026-07-28")
      expect(textOf(yield* client.callTool("hello"))).toBe("hello over 2025-11-25")
      expect(transport.sessionId()).toBeTruthy()
      const call = posts("tools/call")[0]!
      expect(call.headers["mcp-session-id"]).toBe(transport.sessionId())
      expect(call.headers["mcp-protocol-version"]).toBe("2025-11-25")
      expect(call.headers).not.toHaveProperty("mcp-method")
      expect(seen.map((s) => s.body?.method ?? s.method).slice(0, 3)).toEqual(["server/discover", "initialize", "notifications/initialized"])
    }))

  it.scopedLive("an HTTP failure that says nothing of the era (a 403 for the Origin) fails at once, without trying initialize", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({ allowedOrigins: ["http://good.example"] })
      const rec = recorder()
      const transport = yield* HttpClientTransport.make({ url: server.url, fetch: rec.fetch, headers: { origin: "http://evil.example" } })
      const error = yield* Effect.flip(McpClient.make({ transport, clientInfo, protocolVersion: McpClient.AUTO }))
      expect(rec.seen.map((s) => `${String(s.body?.method)} ${s.status}`)).toEqual(["server/discover 403"])
      expect(error.code).toBe(McpClient.ClientErrorCode.ConnectionClosed)
      expect(error.data).toEqual({ httpStatus: 403 })
    }).pipe(Effect.provide(App)))
})
