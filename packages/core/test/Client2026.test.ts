/**
 * `McpClient` speaking MCP 2026-07-28 beside 2025-11-25, against real
 * servers: an emcee `McpServer` (dual-era) over the in-memory transport, and
 * the official TypeScript SDK's server (2025-11-25 only) for the fallback.
 * Every request the client sends under 2026-07-28 is checked against that
 * revision's schema.json.
 */
import { describe, expect, it } from "@effect/vitest"
import type { JsonRpc, McpSchema } from "@emcee/core"
import { Elicitation, Logging, McpClient, McpServer, Prompt, Resource, Roots, Sampling, Tool } from "@emcee/core"
import * as SpecValidator from "@emcee/testing/SpecValidator"
import { MemoryTransport } from "@emcee/transport"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import { McpServer as SdkMcpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Chunk, Effect, Exit, Fiber, Layer, Mailbox, Queue, Schema, Scope, Stream, TestClock } from "effect"

const spec2026 = SpecValidator.fromFile(SpecValidator.schemaPath("2026-07-28"))

const expect2026 = (definition: string, value: unknown): void => {
  const outcome = spec2026.validate(definition, value)
  expect(outcome.valid ? "valid" : `${outcome.errors}\n${JSON.stringify(value)}`).toBe("valid")
}

/** The schema.json definition of each request the client sends. */
const requestDefinition: Record<string, string> = {
  "server/discover": "DiscoverRequest",
  "tools/list": "ListToolsRequest",
  "tools/call": "CallToolRequest",
  "resources/list": "ListResourcesRequest",
  "resources/read": "ReadResourceRequest",
  "prompts/list": "ListPromptsRequest",
  "prompts/get": "GetPromptRequest",
  "subscriptions/listen": "SubscriptionsListenRequest"
}

const echo = Tool.make("echo", {
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})
const chatty = Tool.make("chatty", {
  handler: () => Effect.as(Effect.zipRight(Logging.log("debug", "a debug line"), Logging.log("warning", "a warning")), "done")
})
const readme = Resource.make({ uri: "file:///readme", name: "readme", read: () => Effect.succeed(Resource.text("hello")) })
const other = Resource.make({ uri: "file:///other", name: "other", read: () => Effect.succeed(Resource.text("other")) })
const greet = Prompt.make({
  name: "greet",
  args: Schema.Struct({ name: Schema.String }),
  render: ({ name }) => Effect.succeed([Prompt.user(`Hello ${name}`)])
})
const prompt = (name: string) => Prompt.make({ name, render: () => Effect.succeed([Prompt.user(name)]) })

const samplingParams: McpSchema.CreateMessageRequestParams = {
  messages: [{ role: "user", content: { type: "text", text: "What is 2 + 2?" } }],
  maxTokens: 100
}
const samplingResult: McpSchema.CreateMessageResult = { role: "assistant", content: { type: "text", text: "4" }, model: "m", stopReason: "endTurn" }
const nameSchema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] } as const

/** Asks a person, then a model: two rounds of input under 2026-07-28. */
const interview = Tool.make("interview", {
  handler: () =>
    Effect.gen(function*() {
      const who = yield* Elicitation.form("Your name?", nameSchema)
      const sum = yield* Sampling.createMessage(samplingParams)
      const roots = yield* Roots.list()
      return JSON.stringify({ who: who.content ?? null, sum: sum.content, roots: roots.roots.map((r) => r.uri) })
    })
})

/** A resource whose reading asks the person first: its final result comes from a round trip. */
const secret = Resource.make({
  uri: "file:///secret",
  name: "secret",
  read: () => Effect.map(Elicitation.form("Password?", nameSchema), (answer) => Resource.text(`for ${JSON.stringify(answer.content ?? null)}`))
})

const App = McpServer.register(echo, chatty, readme, other, greet, interview, secret).pipe(
  Layer.provideMerge(McpServer.layer({ name: "dual", version: "1.2.3", instructions: "Use echo.", cache: { ttlMs: 60_000, cacheScope: "public" } }))
)

/** A transport that records what goes each way. */
const recording = (transport: McpClient.ClientTransport) => {
  const sent: Array<JsonRpc.Message> = []
  const received: Array<JsonRpc.Message> = []
  const recorded: McpClient.ClientTransport = {
    send: (message) => Effect.zipRight(Effect.sync(() => sent.push(message)), transport.send(message)),
    incoming: Stream.tap(transport.incoming, (message) => Effect.sync(() => received.push(message)))
  }
  const requests = (method?: string) =>
    sent.filter((m): m is JsonRpc.Request => "method" in m && "id" in m && (method === undefined || m.method === method))
  return { sent, received, transport: recorded, requests }
}

const clientInfo = { name: "client-2026", version: "0.0.1" }

/** A client over the in-memory transport to the `McpServer` in context, recording its messages. */
const connect = (options: Partial<Omit<McpClient.Options, "transport" | "clientInfo">> = {}) =>
  Effect.gen(function*() {
    const rec = recording(yield* MemoryTransport.make())
    const client = yield* McpClient.make({ transport: rec.transport, clientInfo, ...options })
    return { client, ...rec }
  })

const metaOf = (request: JsonRpc.Request) => (request.params?._meta ?? {}) as Record<string, unknown>

const textOf = (result: McpSchema.CallToolResult): string => {
  const block = result.content[0]
  return block?.type === "text" ? block.text : ""
}

/** The official SDK's server, which speaks 2025-11-25 only, as a client transport over its in-memory pair. */
const legacySdkServer = Effect.gen(function*() {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  const server = new SdkMcpServer({ name: "legacy-sdk", version: "9.9.9" })
  server.registerTool("hello", { description: "Says hello" }, () => Promise.resolve({ content: [{ type: "text" as const, text: "hello from 2025" }] }))
  yield* Effect.promise(() => server.connect(serverSide))
  const mailbox = yield* Mailbox.make<JsonRpc.Message, McpClient.TransportError>()
  clientSide.onmessage = (message) => mailbox.unsafeOffer(message as unknown as JsonRpc.Message)
  clientSide.onclose = () => mailbox.unsafeDone(Exit.void)
  yield* Effect.promise(() => clientSide.start())
  yield* Effect.addFinalizer(() => Effect.promise(() => server.close()))
  const transport: McpClient.ClientTransport = {
    send: (message) => Effect.promise(() => clientSide.send(message as never)),
    incoming: Mailbox.toStream(mailbox)
  }
  return transport
})

/**
 * A peer that answers every request with one scripted JSON-RPC error and
 * records what it got: for the probe outcomes no real server produces
 * (a dual-era server with 2026-07-28 turned off, a 2026-07-28 server refusing
 * the probe). Everything else in this file runs against real servers.
 */
const scriptedPeer = (error: JsonRpc.ErrorObject) =>
  Effect.gen(function*() {
    const mailbox = yield* Mailbox.make<JsonRpc.Message, McpClient.TransportError>()
    const methods: Array<string> = []
    const transport: McpClient.ClientTransport = {
      send: (message) =>
        Effect.suspend(() => {
          if (!("method" in message)) return Effect.void
          methods.push(message.method)
          return "id" in message ? Effect.asVoid(mailbox.offer({ jsonrpc: "2.0", id: message.id, error })) : Effect.void
        }),
      incoming: Mailbox.toStream(mailbox)
    }
    return { transport, methods }
  })

describe("McpClient under 2026-07-28 (spec 2026-07-28 basic/versioning, basic/index \"_meta\")", () => {
  it.scoped("auto: server/discover answers, so no initialize; the discover result fills serverInfo, capabilities, instructions (server/discover)", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({ protocolVersion: McpClient.AUTO })
      expect(client.protocolVersion).toBe("2026-07-28")
      expect(client.serverInfo).toMatchObject({ name: "dual", version: "1.2.3" })
      expect(client.serverCapabilities).toMatchObject({ tools: {}, resources: {}, prompts: {} })
      expect(client.instructions).toBe("Use echo.")
      expect(client.discoverResult?.supportedVersions).toContain("2026-07-28")
      expect(requests().map((r) => r.method)).toEqual(["server/discover"])
      expect(textOf(yield* client.callTool("echo", { text: "hi" }))).toBe("hi")
      expect(requests("initialize")).toEqual([])
    }).pipe(Effect.provide(App)))

  it.scoped("every request carries protocolVersion, clientInfo and clientCapabilities in _meta, valid against schema.json (basic/index \"Per-request protocol fields\")", () =>
    Effect.gen(function*() {
      const { client, requests, sent } = yield* connect({
        protocolVersion: "2026-07-28",
        handlers: { sampling: () => Effect.succeed(samplingResult), roots: () => Effect.succeed({ roots: [] }) }
      })
      yield* client.listAllTools()
      yield* client.callTool("echo", { text: "x" })
      yield* client.listAllResources()
      yield* client.readResource("file:///readme")
      yield* client.listAllPrompts()
      yield* client.getPrompt("greet", { name: "Ada" })
      expect(requests().map((r) => r.method)).toEqual([
        "server/discover",
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/read",
        "prompts/list",
        "prompts/get"
      ])
      for (const request of requests()) {
        expect(metaOf(request)).toEqual({
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": clientInfo,
          // Derived from the handlers; 2026-07-28 roots have no listChanged.
          "io.modelcontextprotocol/clientCapabilities": { sampling: {}, roots: {} }
        })
        expect2026(requestDefinition[request.method]!, request)
      }
      // No notification at all: no notifications/initialized.
      expect(sent.filter((m) => !("id" in m))).toEqual([])
    }).pipe(Effect.provide(App)))

  it.scoped("resultType is read: complete results decode as before; by default the client probes and speaks 2026-07-28 to a server that answers; 2025-11-25 initializes (backward compatible)", () =>
    Effect.gen(function*() {
      const modern = yield* connect({ protocolVersion: "2026-07-28" })
      const raw = yield* modern.client.request("tools/call", { name: "echo", arguments: { text: "raw" } })
      expect(raw).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "raw" }] })
      const byDefault = yield* connect()
      expect(byDefault.client.protocolVersion).toBe("2026-07-28")
      expect(byDefault.requests().map((r) => r.method)).toEqual(["server/discover"])
      const legacy = yield* connect({ protocolVersion: "2025-11-25" })
      expect(legacy.client.protocolVersion).toBe("2025-11-25")
      expect(legacy.client.discoverResult).toBeUndefined()
      expect(legacy.requests().map((r) => r.method)).toEqual(["initialize"])
      const result = yield* legacy.client.request("tools/call", { name: "echo", arguments: { text: "old" } })
      expect(result).not.toHaveProperty("resultType")
      expect(metaOf(legacy.requests("tools/call")[0]!)).toEqual({})
    }).pipe(Effect.provide(App)))

  it.scoped("setLogLevel sends nothing and puts logLevel in the _meta of later requests; the server then logs at that level (server/utilities/logging)", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({ protocolVersion: "2026-07-28" })
      const messages = yield* client.subscribeNotifications
      yield* client.callTool("chatty")
      expect(yield* Queue.size(messages)).toBe(0)
      yield* client.setLogLevel("info")
      yield* client.callTool("chatty")
      const logged = Chunk.toArray(yield* Queue.takeAll(messages))
      expect(logged).toMatchObject([{ method: "notifications/message", params: { level: "warning", data: "a warning" } }])
      expect(requests("logging/setLevel")).toEqual([])
      const calls = requests("tools/call")
      expect(metaOf(calls[0]!)).not.toHaveProperty(["io.modelcontextprotocol/logLevel"])
      expect(metaOf(calls[1]!)["io.modelcontextprotocol/logLevel"]).toBe("info")
      expect2026("CallToolRequest", calls[1])
    }).pipe(Effect.provide(App)))

  it.scoped("progress under 2026-07-28: the progressToken sits beside the protocol fields in _meta (basic/patterns/progress)", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({ protocolVersion: "2026-07-28" })
      const seen: Array<unknown> = []
      yield* client.callTool("echo", { text: "p" }, { onProgress: (p) => Effect.sync(() => seen.push(p)) })
      const meta = metaOf(requests("tools/call")[0]!)
      expect(meta).toMatchObject({ progressToken: expect.anything(), "io.modelcontextprotocol/protocolVersion": "2026-07-28" })
    }).pipe(Effect.provide(App)))

  it.scoped("methods 2026-07-28 removed: ping becomes server/discover, subscribe fails with a clear -32601, roots list_changed is not sent", () =>
    Effect.gen(function*() {
      const { client, requests, sent } = yield* connect({ protocolVersion: "2026-07-28" })
      yield* client.ping()
      expect(requests().map((r) => r.method)).toEqual(["server/discover", "server/discover"])
      const error = yield* Effect.flip(client.subscribe("file:///readme"))
      expect(error).toMatchObject({ code: -32601, message: expect.stringContaining("listen") })
      yield* client.sendRootsListChanged
      expect(sent.some((m) => "method" in m && m.method === "notifications/roots/list_changed")).toBe(false)
    }).pipe(Effect.provide(App)))

  it.scoped("an interrupted request is cancelled with notifications/cancelled (stdio-style, basic/patterns/cancellation)", () =>
    Effect.gen(function*() {
      const slow = Tool.make("slow", { handler: () => Effect.as(Effect.never, "never") })
      yield* McpServer.add(slow)
      const { client, sent } = yield* connect({ protocolVersion: "2026-07-28" })
      const fiber = yield* Effect.fork(client.callTool("slow"))
      while (!sent.some((m) => "method" in m && m.method === "tools/call")) yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      const call = sent.find((m) => "method" in m && m.method === "tools/call") as JsonRpc.Request
      expect(sent).toContainEqual({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: call.id, reason: "The client cancelled the request" } })
    }).pipe(Effect.provide(App)))
})

describe("Backward compatibility: the server/discover probe and the fallback to initialize (spec 2026-07-28 basic/versioning, basic/transports/stdio)", () => {
  it.scoped("auto against a 2025-11-25-only server (the official SDK): the probe is refused, the client initializes and works", () =>
    Effect.gen(function*() {
      const rec = recording(yield* legacySdkServer)
      const client = yield* McpClient.make({ transport: rec.transport, clientInfo, protocolVersion: McpClient.AUTO })
      expect(client.protocolVersion).toBe("2025-11-25")
      expect(client.serverInfo).toMatchObject({ name: "legacy-sdk", version: "9.9.9" })
      expect(rec.requests().map((r) => r.method)).toEqual(["server/discover", "initialize"])
      // What refused the probe: not a 2026-07-28 error.
      const refusal = rec.received.find((m) => "id" in m && m.id === rec.requests()[0]!.id)
      expect(refusal).toMatchObject({ error: { code: -32601 } })
      // Later requests are plain 2025-11-25 ones.
      expect(textOf(yield* client.callTool("hello"))).toBe("hello from 2025")
      expect(metaOf(rec.requests("tools/call")[0]!)).toEqual({})
      expect(rec.sent).toContainEqual({ jsonrpc: "2.0", method: "notifications/initialized" })
    }))

  it.scoped("explicit 2026-07-28 against that server fails with the probe's error instead of falling back", () =>
    Effect.gen(function*() {
      const transport = yield* legacySdkServer
      const error = yield* Effect.flip(McpClient.make({ transport, clientInfo, protocolVersion: "2026-07-28" }))
      expect(error.code).toBe(-32601)
    }))

  it.scoped("a -32022 whose supported list lacks 2026-07-28 falls back to initialize; one listing it, or -32020/-32021, fails", () =>
    Effect.gen(function*() {
      const legacyOnly = yield* scriptedPeer({ code: -32022, message: "Unsupported protocol version", data: { supported: ["2025-11-25"], requested: "2026-07-28" } })
      const fellBack = yield* Effect.flip(McpClient.make({ transport: legacyOnly.transport, clientInfo, protocolVersion: McpClient.AUTO }))
      // It went on to initialize (which this peer refuses as well).
      expect(legacyOnly.methods).toEqual(["server/discover", "initialize"])
      expect(fellBack.code).toBe(-32022)
      for (
        const error of [
          { code: -32022, message: "Unsupported protocol version", data: { supported: ["2026-07-28"], requested: "2026-07-28" } },
          { code: -32020, message: "Header mismatch: Mcp-Method" },
          { code: -32021, message: "Missing required client capability", data: { requiredCapabilities: { sampling: {} } } }
        ]
      ) {
        const peer = yield* scriptedPeer(error)
        const failed = yield* Effect.flip(McpClient.make({ transport: peer.transport, clientInfo, protocolVersion: McpClient.AUTO }))
        expect(peer.methods).toEqual(["server/discover"])
        expect(failed).toMatchObject({ code: error.code, message: error.message })
      }
    }))

  it.scoped("a silent server: the probe times out after probeTimeoutMillis and the client falls back (stdio \"does not respond within a reasonable timeout\")", () =>
    Effect.gen(function*() {
      const mailbox = yield* Mailbox.make<JsonRpc.Message, McpClient.TransportError>()
      const methods: Array<string> = []
      const transport: McpClient.ClientTransport = {
        send: (message) =>
          Effect.sync(() => {
            if ("method" in message) methods.push(message.method)
          }),
        incoming: Mailbox.toStream(mailbox)
      }
      const fiber = yield* Effect.fork(McpClient.make({ transport, clientInfo, protocolVersion: McpClient.AUTO, probeTimeoutMillis: 500, requestTimeoutMillis: 1000 }))
      yield* TestClock.adjust(500)
      yield* TestClock.adjust(1000)
      const exit = yield* Fiber.await(fiber)
      expect(methods).toEqual(["server/discover", "notifications/cancelled", "initialize"])
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})

describe("Caching (spec 2026-07-28 server/utilities/caching)", () => {
  it.scoped("a list is served from the cache while fresh per ttlMs, then asked again; bypassCache asks at once (\"Freshness Calculation\")", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({ protocolVersion: "2026-07-28" })
      const first = yield* client.listTools()
      expect(first).toMatchObject({ ttlMs: 60_000, cacheScope: "public" })
      yield* client.listTools()
      yield* client.listAllTools()
      expect(requests("tools/list")).toHaveLength(1)
      yield* client.listTools({ bypassCache: true })
      expect(requests("tools/list")).toHaveLength(2)
      yield* TestClock.adjust(59_999)
      yield* client.listTools()
      expect(requests("tools/list")).toHaveLength(2)
      yield* TestClock.adjust(1)
      yield* client.listTools()
      expect(requests("tools/list")).toHaveLength(3)
    }).pipe(Effect.provide(App)))

  it.scoped("the key is the method and params: each resources/read URI is cached on its own, tools/call never (\"Cache Key\")", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({ protocolVersion: "2026-07-28" })
      yield* client.readResource("file:///readme")
      yield* client.readResource("file:///other")
      const again = yield* client.readResource("file:///readme")
      expect(again.contents).toMatchObject([{ uri: "file:///readme", text: "hello" }])
      expect(requests("resources/read").map((r) => r.params?.uri)).toEqual(["file:///readme", "file:///other"])
      yield* client.callTool("echo", { text: "a" })
      yield* client.callTool("echo", { text: "a" })
      expect(requests("tools/call")).toHaveLength(2)
    }).pipe(Effect.provide(App)))

  it.scoped("cache: false asks every time; clearCache forgets", () =>
    Effect.gen(function*() {
      const off = yield* connect({ protocolVersion: "2026-07-28", cache: false })
      yield* off.client.listPrompts()
      yield* off.client.listPrompts()
      expect(off.requests("prompts/list")).toHaveLength(2)
      const on = yield* connect({ protocolVersion: "2026-07-28" })
      yield* on.client.listPrompts()
      yield* on.client.clearCache
      yield* on.client.listPrompts()
      expect(on.requests("prompts/list")).toHaveLength(2)
    }).pipe(Effect.provide(App)))
})

describe("Multi round-trip requests (spec 2026-07-28 basic/patterns/mrtr \"Client Requirements\")", () => {
  it.scoped("callTool answers inputRequests with the client's handlers and retries with a new id, inputResponses and the exact requestState", () =>
    Effect.gen(function*() {
      const asked: Array<string> = []
      const { client, requests, received } = yield* connect({
        protocolVersion: "2026-07-28",
        handlers: {
          elicitation: (params) => Effect.sync(() => asked.push(`elicit:${params.message}`)).pipe(Effect.as({ action: "accept" as const, content: { name: "Ada" } })),
          sampling: () => Effect.sync(() => asked.push("sample")).pipe(Effect.as(samplingResult)),
          roots: () => Effect.sync(() => asked.push("roots")).pipe(Effect.as({ roots: [{ uri: "file:///work", name: "work" }] }))
        }
      })
      const result = yield* client.callTool("interview")
      expect(JSON.parse(textOf(result))).toEqual({ who: { name: "Ada" }, sum: samplingResult.content, roots: ["file:///work"] })
      expect(asked).toEqual(["elicit:Your name?", "sample", "roots"])
      const calls = requests("tools/call")
      expect(calls.length).toBe(4)
      expect(new Set(calls.map((c) => c.id)).size).toBe(calls.length)
      expect(calls[0]!.params).not.toHaveProperty("inputResponses")
      expect(calls[0]!.params).not.toHaveProperty("requestState")
      for (let i = 1; i < calls.length; i++) {
        const answer = received.find((m) => "id" in m && m.id === calls[i - 1]!.id) as JsonRpc.Success
        expect(answer.result.resultType).toBe("input_required")
        const inputRequests = answer.result.inputRequests as Record<string, unknown>
        expect(Object.keys(calls[i]!.params!.inputResponses as object)).toEqual(Object.keys(inputRequests))
        if (answer.result.requestState === undefined) expect(calls[i]!.params).not.toHaveProperty("requestState")
        else expect(calls[i]!.params!.requestState).toBe(answer.result.requestState)
        expect(calls[i]!.params).toMatchObject({ name: "interview" })
        expect2026("CallToolRequest", calls[i])
      }
    }).pipe(Effect.provide(App)))

  it.scoped("a handler that fails fails the call with its code and a message naming the input; no retry is sent", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({
        protocolVersion: "2026-07-28",
        handlers: { elicitation: () => Effect.fail(new McpClient.McpClientError({ code: -1, message: "The user closed the form" })) }
      })
      const error = yield* Effect.flip(client.callTool("interview"))
      expect(error.code).toBe(-1)
      expect(error.message).toMatch(/tools\/call needs input ".+" \(elicitation\/create\), which could not be given: The user closed the form/)
      expect(requests("tools/call")).toHaveLength(1)
    }).pipe(Effect.provide(App)))

  it.scoped("rounds are bounded: past maxInputRounds the call fails with -32004", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({
        protocolVersion: "2026-07-28",
        maxInputRounds: 1,
        handlers: { elicitation: () => Effect.succeed({ action: "accept" as const, content: { name: "Ada" } }), sampling: () => Effect.succeed(samplingResult) }
      })
      const error = yield* Effect.flip(client.callTool("interview"))
      expect(error).toMatchObject({ code: McpClient.ClientErrorCode.TooManyInputRounds, message: expect.stringContaining("1 rounds") })
      expect(requests("tools/call")).toHaveLength(2)
    }).pipe(Effect.provide(App)))

  it.scoped("a result that took a round trip is not cached, even with a ttlMs (caching \"Cache Key\": MUST NOT be cached)", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({
        protocolVersion: "2026-07-28",
        handlers: { elicitation: () => Effect.succeed({ action: "accept" as const, content: { name: "Ada" } }) }
      })
      const first = yield* client.readResource("file:///secret")
      expect(first.contents).toMatchObject([{ text: "for {\"name\":\"Ada\"}" }])
      expect(first).toMatchObject({ ttlMs: 60_000 })
      yield* client.readResource("file:///secret")
      expect(requests("resources/read")).toHaveLength(4)
      // A plain read of the same kind is cached.
      yield* client.readResource("file:///readme")
      yield* client.readResource("file:///readme")
      expect(requests("resources/read")).toHaveLength(5)
    }).pipe(Effect.provide(App)))

  it.scoped("returnInputRequired hands the input_required result over as it is (for a gateway)", () =>
    Effect.gen(function*() {
      const { client } = yield* connect({ protocolVersion: "2026-07-28", handlers: { elicitation: () => Effect.die("not called") } })
      const raw = yield* client.request("tools/call", { name: "interview" }, { returnInputRequired: true })
      expect2026("InputRequiredResult", raw)
      expect(raw).toMatchObject({ resultType: "input_required", inputRequests: expect.any(Object) })
    }).pipe(Effect.provide(App)))
})

const later = (name: string) => Tool.make(name, { handler: () => Effect.succeed(name) })

describe("subscriptions/listen (spec 2026-07-28 basic/patterns/subscriptions)", () => {
  it.scoped("listen waits for the acknowledgment, then streams the subscription's notifications, each carrying its subscriptionId", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({ protocolVersion: "2026-07-28" })
      const subscription = yield* client.listen({ toolsListChanged: true })
      expect(subscription.acknowledged).toEqual({ toolsListChanged: true })
      const request = requests("subscriptions/listen")[0]!
      expect(subscription.id).toBe(request.id)
      expect2026("SubscriptionsListenRequest", request)
      expect(request.params).toMatchObject({ notifications: { toolsListChanged: true } })
      const next = yield* Stream.runHead(subscription.notifications).pipe(Effect.fork)
      yield* McpServer.add(later("late"))
      const notification = yield* Fiber.join(next)
      expect(notification._tag === "Some" && notification.value).toMatchObject({
        method: "notifications/tools/list_changed",
        params: { _meta: { "io.modelcontextprotocol/subscriptionId": request.id } }
      })
    }).pipe(Effect.provide(App)))

  it.scoped("two subscriptions are told apart by subscriptionId; closing one's scope cancels only it", () =>
    Effect.gen(function*() {
      const { client, sent } = yield* connect({ protocolVersion: "2026-07-28" })
      const tools = yield* client.listen({ toolsListChanged: true })
      const scope = yield* Scope.make()
      const prompts = yield* client.listen({ promptsListChanged: true }).pipe(Scope.extend(scope))
      const toolsSeen = yield* Stream.runHead(tools.notifications).pipe(Effect.fork)
      const promptsSeen = yield* Stream.runHead(prompts.notifications).pipe(Effect.fork)
      yield* McpServer.add(prompt("p2"))
      const p = yield* Fiber.join(promptsSeen)
      expect(p._tag === "Some" && p.value.method).toBe("notifications/prompts/list_changed")
      yield* Scope.close(scope, Exit.void)
      expect(sent).toContainEqual(expect.objectContaining({ method: "notifications/cancelled", params: expect.objectContaining({ requestId: prompts.id }) }))
      yield* McpServer.add(later("another"))
      const t = yield* Fiber.join(toolsSeen)
      expect(t._tag === "Some" && t.value.method).toBe("notifications/tools/list_changed")
    }).pipe(Effect.provide(App)))

  it.scoped("a list_changed on a subscription invalidates the cached list (caching \"Interaction with Notifications\")", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({ protocolVersion: "2026-07-28" })
      const subscription = yield* client.listen({ toolsListChanged: true })
      yield* client.listTools()
      yield* client.listTools()
      expect(requests("tools/list")).toHaveLength(1)
      const next = yield* Stream.runHead(subscription.notifications).pipe(Effect.fork)
      yield* McpServer.add(later("fresh"))
      yield* Fiber.join(next)
      const tools = yield* client.listAllTools()
      expect(tools.map((t) => t.name)).toContain("fresh")
      expect(requests("tools/list")).toHaveLength(2)
    }).pipe(Effect.provide(App)))
})

describe("listen under 2025-11-25, built from the session (resources/subscribe and the session's notifications)", () => {
  it.scoped("acknowledges what the capabilities allow, subscribes each URI, streams matching notifications, unsubscribes on close", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* connect({ protocolVersion: "2025-11-25" })
      const scope = yield* Scope.make()
      const subscription = yield* client.listen({ toolsListChanged: true, resourceSubscriptions: ["file:///readme"] }).pipe(Scope.extend(scope))
      expect(subscription.id).toBeUndefined()
      expect(subscription.acknowledged).toEqual({ toolsListChanged: true, resourceSubscriptions: ["file:///readme"] })
      expect(requests("resources/subscribe").map((r) => r.params)).toEqual([{ uri: "file:///readme" }])
      const two = yield* Stream.take(subscription.notifications, 2).pipe(Stream.runCollect, Effect.fork)
      yield* McpServer.add(prompt("ignored"))
      yield* McpServer.add(later("seen"))
      yield* McpServer.McpServer.pipe(Effect.flatMap((server) => server.notifyResourceUpdated("file:///readme")))
      const got = Chunk.toArray(yield* Fiber.join(two))
      expect(got.map((n) => n.method)).toEqual(["notifications/tools/list_changed", "notifications/resources/updated"])
      yield* Scope.close(scope, Exit.void)
      expect(requests("resources/unsubscribe").map((r) => r.params)).toEqual([{ uri: "file:///readme" }])
    }).pipe(Effect.provide(App)))
})
