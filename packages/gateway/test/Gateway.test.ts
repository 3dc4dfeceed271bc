/**
 * The gateway in front of real backends: the everything example over stdio
 * (started by the gateway) and over Streamable HTTP (a child process), seen
 * by a real `McpClient` under both revisions. Names (spec 2025-11-25
 * server/tools "Tool Names"), forwarding of calls, prompts, resources and
 * completion, progress (basic/utilities/progress), relayed sampling
 * (client/sampling), and what happens when a backend dies and comes back.
 */
import { McpClient, type McpSchema, McpServer, RequestContext, Tool } from "@emcee/core"
import { HttpTransport, MemoryTransport } from "@emcee/transport"
import { Effect, Fiber, Layer, Option, Queue, Ref, Schema, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Gateway from "../src/Gateway.js"
import { built, everythingMain, type HttpBackend, startEverythingHttp } from "./support/backends.js"
import { forwarder } from "./support/forwarder.js"

const serverOptions = {
  name: "gateway",
  version: "1.0.0",
  capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true, subscribe: true }, completions: {} }
} as unknown as McpServer.Options

const gatewayApp = (options: Gateway.Options) => Gateway.layer(options).pipe(Layer.provideMerge(McpServer.layer(serverOptions)))

const connectClient = (protocolVersion: string, handlers: McpClient.Handlers = {}) =>
  Effect.gen(function*() {
    const transport = yield* MemoryTransport.make()
    return yield* McpClient.make({ transport, clientInfo: { name: "gateway-test", version: "1.0.0" }, protocolVersion, handlers })
  })

const run = <A, E>(app: Layer.Layer<Gateway.Gateway | McpServer.McpServer>, effect: Effect.Effect<A, E, Gateway.Gateway | McpServer.McpServer | import("effect").Scope.Scope>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      yield* Gateway.awaitSettled()
      return yield* effect
    }).pipe(Effect.scoped, Effect.provide(app)) as Effect.Effect<A>
  )

describe.runIf(built)("Gateway in front of the everything example", { timeout: 90_000 }, () => {
  let http: HttpBackend
  beforeAll(async () => {
    http = await startEverythingHttp()
  })
  afterAll(async () => {
    await http?.kill()
  })

  const both = () =>
    gatewayApp({
      backends: [
        { name: "local", endpoint: { _tag: "Stdio", command: process.execPath, args: [everythingMain] } },
        // An empty prefix passes the backend's names through unchanged.
        { name: "remote", endpoint: { _tag: "Http", url: http.url }, prefix: "" }
      ]
    })

  for (const protocolVersion of ["2025-11-25", "2026-07-28"]) {
    it(`lists both backends under stable names and forwards calls, prompts, resources and completion (${protocolVersion})`, async () => {
      const seen = await run(both(), Effect.gen(function*() {
        const gateway = yield* Gateway.Gateway
        const backends = yield* gateway.backends
        const client = yield* connectClient(protocolVersion)
        const tools = yield* client.listAllTools()
        const local = yield* client.callTool("local_echo", { message: "via stdio" })
        const remote = yield* client.callTool("echo", { message: "via http" })
        const prompts = yield* client.listAllPrompts()
        const prompt = yield* client.getPrompt("local_test_prompt_with_arguments", { arg1: "a", arg2: "b" })
        const resource = yield* client.readResource("test://static-text")
        const templated = yield* client.readResource("test://template/42/data")
        const completion = yield* client.complete({ ref: { type: "ref/resource", uri: "test://template/{id}/data" }, argument: { name: "id", value: "1" } })
        return { backends, tools, local, remote, prompts, prompt, resource, templated, completion }
      }))
      expect(seen.backends.map((b) => [b.name, b.state])).toEqual([["local", "up"], ["remote", "up"]])
      const names = seen.tools.map((tool) => tool.name)
      expect(names).toContain("local_echo")
      expect(names).toContain("echo")
      expect(names).toContain("local_test_simple_text")
      expect(names).toContain("test_simple_text")
      for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_.-]{1,64}$/)
      // A tool's task support is the backend's (spec 2025-11-25 basic/utilities/tasks "Tool-Level Negotiation"; see Tasks.test.ts).
      const execution = (name: string) => (seen.tools.find((tool) => tool.name === name) as { execution?: unknown } | undefined)?.execution
      expect(execution("slow_compute")).toEqual({ taskSupport: "optional" })
      expect(execution("local_failing_job")).toEqual({ taskSupport: "required" })
      expect(execution("echo")).toBeUndefined()
      expect(seen.local.content).toEqual([{ type: "text", text: "Echo: via stdio" }])
      expect(seen.remote.content).toEqual([{ type: "text", text: "Echo: via http" }])
      expect(seen.prompts.map((p) => p.name)).toEqual(expect.arrayContaining(["local_test_simple_prompt", "test_simple_prompt"]))
      expect(JSON.stringify(seen.prompt.messages)).toContain("a")
      expect(seen.resource.contents[0]).toMatchObject({ uri: "test://static-text" })
      expect(seen.templated.contents[0]).toMatchObject({ uri: "test://template/42/data" })
      expect(seen.completion.completion.values).toEqual(expect.arrayContaining(["1", "123"]))
    })
  }

  // "local" is reached over stdio through McpClient; "remote" (2026-07-28 over HTTP) through HttpHop, whose
  // input rounds go back through McpClient.
  for (const [via, tool] of [["stdio", "local_test_tool_with_progress"], ["HTTP hop", "test_tool_with_progress"]] as const) {
    it(`passes progress back to the caller's token, ${via} (spec basic/utilities/progress)`, async () => {
      const progress = await run(both(), Effect.gen(function*() {
        const client = yield* connectClient("2025-11-25")
        const seen = yield* Ref.make<ReadonlyArray<McpSchema.ProgressNotificationParams>>([])
        const result = yield* client.callTool(tool, {}, { onProgress: (p) => Ref.update(seen, (all) => [...all, p]) })
        return { result, seen: yield* Ref.get(seen) }
      }))
      expect(progress.seen.map((p) => p.progress)).toEqual([0, 50, 100])
      expect(progress.seen[1]).toMatchObject({ total: 100, message: "Completed step 50 of 100" })
      // The backend saw a token of the gateway's own, not none.
      expect(progress.result.content[0]).not.toEqual({ type: "text", text: "No progress token was sent" })
    })
  }

  for (const [via, tool] of [["stdio", "local_test_sampling"], ["HTTP hop, an input_required round", "test_sampling"]] as const) {
    it(`relays the backend's sampling request to the caller, ${via} (spec client/sampling)`, async () => {
      const result = await run(both(), Effect.gen(function*() {
        const client = yield* connectClient("2025-11-25", {
          sampling: (params) =>
            Effect.succeed({
              role: "assistant",
              model: "test-model",
              content: { type: "text", text: `sampled: ${JSON.stringify(params.messages[0]?.content)}` }
            } as McpSchema.CreateMessageResult)
        })
        return yield* client.callTool(tool, { prompt: "hello there" })
      }))
      expect(JSON.stringify(result.content)).toContain("sampled:")
      expect(JSON.stringify(result.content)).toContain("hello there")
    })
  }

  for (const backendVersion of ["2025-11-25", "2026-07-28"] as const) {
    for (const clientVersion of ["2025-11-25", "2026-07-28"]) {
      it(`passes a backend's resource updates to the clients subscribed to the URI (spec server/resources "Subscriptions"; ${backendVersion} backend, ${clientVersion} client)`, async () => {
        const app = gatewayApp({ backends: [{ name: "local", endpoint: { _tag: "Stdio", command: process.execPath, args: [everythingMain] }, protocolVersion: backendVersion }] })
        const got = await run(app, Effect.gen(function*() {
          const client = yield* connectClient(clientVersion)
          const subscription = yield* client.listen({ resourceSubscriptions: ["test://watched-resource"] })
          const bystander = yield* connectClient(clientVersion)
          const unsubscribed = yield* bystander.listen({ resourceSubscriptions: ["test://static-text"] })
          const next = yield* Stream.runHead(subscription.notifications).pipe(Effect.fork)
          const elsewhere = yield* Stream.runHead(unsubscribed.notifications).pipe(Effect.fork)
          yield* client.callTool("local_test_update_watched_resource", { content: "changed" })
          const updated = yield* Fiber.join(next).pipe(Effect.timeout("10 seconds"))
          const read = yield* client.readResource("test://watched-resource")
          yield* Effect.sleep("200 millis")
          const bystanderGot = yield* Fiber.poll(elsewhere)
          return { updated, read, bystanderGot }
        }))
        expect(Option.getOrUndefined(got.updated)).toMatchObject({ method: "notifications/resources/updated", params: { uri: "test://watched-resource" } })
        expect(got.read.contents).toMatchObject([{ uri: "test://watched-resource", text: "changed" }])
        expect(got.bystanderGot).toEqual(Option.none())
      })
    }
  }

  it("passes the backend's log messages to the caller at the caller's level, HTTP hop (spec server/utilities/logging)", async () => {
    const seen = await run(both(), Effect.gen(function*() {
      const messages = yield* Ref.make<ReadonlyArray<unknown>>([])
      const transport = yield* MemoryTransport.make()
      const client = yield* McpClient.make({
        transport,
        clientInfo: { name: "gateway-test", version: "1.0.0" },
        protocolVersion: "2025-11-25",
        logLevel: "info",
        onNotification: (notification) =>
          notification.method === "notifications/message" ? Ref.update(messages, (all) => [...all, notification.params?.data]) : Effect.void
      })
      const result = yield* client.callTool("test_tool_with_logging", {})
      return { result, messages: yield* Ref.get(messages) }
    }))
    expect(seen.result.content).toEqual([{ type: "text", text: "Tool with logging executed successfully" }])
    expect(seen.messages).toEqual(["Tool execution started", "Tool processing data", "Tool execution completed"])
  })

  it("a backend that cannot start is down with its reason; the others are served", async () => {
    const seen = await run(
      gatewayApp({
        backends: [
          { name: "broken", endpoint: { _tag: "Stdio", command: "/nonexistent/emcee-backend" } },
          { name: "remote", endpoint: { _tag: "Http", url: http.url } }
        ]
      }),
      Effect.gen(function*() {
        const gateway = yield* Gateway.Gateway
        const client = yield* connectClient("2025-11-25")
        const tools = yield* client.listAllTools()
        return { backends: yield* gateway.backends, tools }
      })
    )
    const broken = seen.backends.find((b) => b.name === "broken")!
    expect(broken.state).toBe("down")
    expect(broken.lastError).toContain("/nonexistent/emcee-backend")
    expect(seen.tools.every((tool) => tool.name.startsWith("remote_"))).toBe(true)
    expect(seen.tools.length).toBeGreaterThan(10)
  })
})

describe("Gateway carries trace context across the hop (spec 2026-07-28 basic/index \"OpenTelemetry trace context\")", { timeout: 60_000 }, () => {
  for (const protocolVersion of ["2025-11-25", "2026-07-28"] as const) {
  it(`the caller's traceparent and tracestate reach the backend's _meta (${protocolVersion} backend)`, async () => {
    const seen = await Effect.runPromise(Effect.gen(function*() {
      // A backend in this process over Streamable HTTP whose tool answers with the trace context it received.
      const traced = Tool.make("traced", {
        handler: () => Effect.map(RequestContext.RequestContext, (request) => JSON.stringify((request.params._meta ?? {}) as object))
      })
      // Built in this scope, so the tool stays registered while the test runs.
      const server = yield* Layer.build(McpServer.register(traced).pipe(Layer.provideMerge(McpServer.layer({ name: "traced-backend", version: "1.0.0" }))))
      const backend = yield* HttpTransport.make({ port: 0 }).pipe(Effect.provide(server))
      return yield* Effect.promise(() => run(
        gatewayApp({ backends: [{ name: "t", endpoint: { _tag: "Http", url: backend.url }, protocolVersion }] }),
        Effect.gen(function*() {
          const client = yield* connectClient("2025-11-25")
          const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
          const result = yield* client.request("tools/call", { name: "t_traced", arguments: {}, _meta: { traceparent, tracestate: "vendor=1" } })
          return JSON.parse((result as { content: ReadonlyArray<{ text: string }> }).content[0]!.text) as Record<string, unknown>
        })
      ))
    }).pipe(Effect.scoped))
    expect(seen["traceparent"]).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    expect(seen["tracestate"]).toBe("vendor=1")
  })
  }
})

describe.runIf(built)("Gateway circuit breaker and backends added at run time", { timeout: 90_000 }, () => {
  let http: HttpBackend
  beforeAll(async () => {
    http = await startEverythingHttp()
  })
  afterAll(async () => {
    await http?.kill()
  })

  it("a backend that keeps timing out opens its breaker: later calls fail at once naming it; a backend added and removed at run time comes and goes", async () => {
    const outcome = await run(
      gatewayApp({
        backends: [{ name: "slow", endpoint: { _tag: "Http", url: http.url } }],
        requestTimeout: "300 millis",
        breaker: { failureThreshold: 2, openFor: "30 seconds" }
      }),
      Effect.gen(function*() {
        const gateway = yield* Gateway.Gateway
        const client = yield* connectClient("2025-11-25")
        const timedOut = yield* Effect.forEach([1, 2], () => client.callTool("slow_test_long_running", { steps: 10, stepMillis: 200 }))
        const started = Date.now()
        const refused = yield* client.callTool("slow_echo", { message: "x" })
        const refusedAfter = Date.now() - started
        const breaker = (yield* gateway.backends)[0]!.breaker

        const notifications = yield* client.subscribeNotifications
        yield* gateway.add({ name: "extra", endpoint: { _tag: "Stdio", command: process.execPath, args: [everythingMain] } })
        const added = yield* Effect.gen(function*() {
          while (true) {
            const tools = yield* client.listAllTools()
            if (tools.some((tool) => tool.name === "extra_echo")) return tools
            yield* Effect.sleep("100 millis")
          }
        }).pipe(Effect.timeout("30 seconds"))
        const viaExtra = yield* client.callTool("extra_echo", { message: "added" })
        const removed = yield* gateway.remove("extra")
        const after = yield* client.listAllTools()
        const changed = yield* Queue.takeAll(notifications)
        return { timedOut, refused, refusedAfter, breaker, added, viaExtra, removed, after, changed }
      })
    )
    for (const result of outcome.timedOut) expect(result.isError).toBe(true)
    expect(outcome.refused.isError).toBe(true)
    expect(outcome.refused.content[0]).toMatchObject({ text: expect.stringMatching(/^The backend "slow" is unavailable: its circuit breaker is open after repeated failures; retry in \d+ s$/) })
    expect(outcome.refusedAfter).toBeLessThan(250)
    expect(outcome.breaker).toBe("open")
    expect(outcome.viaExtra.content).toEqual([{ type: "text", text: "Echo: added" }])
    expect(outcome.removed).toBe(true)
    expect(outcome.after.some((tool) => tool.name.startsWith("extra_"))).toBe(false)
    expect(outcome.after.some((tool) => tool.name === "slow_echo")).toBe(true)
    expect([...outcome.changed].filter((n) => n.method === "notifications/tools/list_changed").length).toBeGreaterThanOrEqual(2)
  })
})

describe.runIf(built)("Gateway when a backend dies and comes back", { timeout: 120_000 }, () => {
  it("a call in flight fails fast naming the backend, its tools are withdrawn with list_changed, and come back when it returns", async () => {
    const first = await startEverythingHttp()
    let second: HttpBackend | undefined
    try {
      const app = gatewayApp({
        backends: [
          { name: "flaky", endpoint: { _tag: "Http", url: first.url } },
          { name: "steady", endpoint: { _tag: "Stdio", command: process.execPath, args: [everythingMain] } }
        ],
        withdrawAfter: "1 second",
        requestTimeout: "20 seconds"
      })
      const outcome = await run(app, Effect.gen(function*() {
        const gateway = yield* Gateway.Gateway
        const client = yield* connectClient("2025-11-25")
        const notifications = yield* client.subscribeNotifications
        expect((yield* client.listAllTools()).some((tool) => tool.name === "flaky_echo")).toBe(true)

        // Killed mid-call: the caller gets an error result naming the backend, well before the request timeout.
        const started = Date.now()
        const call = yield* Effect.fork(client.callTool("flaky_test_long_running", {}))
        yield* Effect.sleep("300 millis")
        yield* Effect.promise(() => first.kill())
        const failed = yield* call.await.pipe(Effect.flatten)
        const failedAfter = Date.now() - started
        // Other backends are unaffected.
        const steady = yield* client.callTool("steady_echo", { message: "still here" })

        // Withdrawn after the grace period, with list_changed.
        const withdrawn = yield* Effect.gen(function*() {
          while (true) {
            const tools = yield* client.listAllTools()
            if (!tools.some((tool) => tool.name.startsWith("flaky_"))) return tools
            yield* Effect.sleep("100 millis")
          }
        }).pipe(Effect.timeout("15 seconds"))
        const changed = yield* Queue.takeAll(notifications)

        // Back on the same port: its tools come back.
        second = yield* Effect.promise(() => startEverythingHttp(first.port))
        const back = yield* Effect.gen(function*() {
          while (true) {
            const tools = yield* client.listAllTools()
            if (tools.some((tool) => tool.name === "flaky_echo")) return tools
            yield* Effect.sleep("100 millis")
          }
        }).pipe(Effect.timeout("30 seconds"))
        const again = yield* client.callTool("flaky_echo", { message: "back" })
        return { failed, failedAfter, steady, withdrawn, changed, back, again, backends: yield* gateway.backends }
      }))
      expect(outcome.failed.isError).toBe(true)
      expect(outcome.failed.content[0]).toMatchObject({ type: "text", text: expect.stringContaining(`The backend "flaky"`) })
      expect(outcome.failedAfter).toBeLessThan(10_000)
      expect(outcome.steady.content).toEqual([{ type: "text", text: "Echo: still here" }])
      expect(outcome.withdrawn.some((tool) => tool.name === "steady_echo")).toBe(true)
      expect([...outcome.changed].some((n) => n.method === "notifications/tools/list_changed")).toBe(true)
      expect(outcome.again.content).toEqual([{ type: "text", text: "Echo: back" }])
      expect(outcome.backends.find((b) => b.name === "flaky")?.state).toBe("up")
    } finally {
      await first.kill()
      await second?.kill()
    }
  })
})

/**
 * A forwarder to `target` whose first `tools/list` answer loses every `x-mcp-header` annotation: what a
 * gateway sees of a backend that changed a tool after it was listed, without telling anyone.
 */
const staleFirstListing = (target: string) => {
  let stripped = false
  return forwarder(target, {
    rewrite: (body) => {
      if (stripped || !body.includes("\"tools/list\"")) return undefined
      stripped = true
      return (answer) => Buffer.from(answer.toString("utf8").replace(/,"x-mcp-header":"[^"]*"/g, ""))
    }
  })
}

describe("Gateway when a backend's tool takes a parameter as a header it did not list (spec 2026-07-28 basic/transports/streamable-http \"Custom Headers from Tool Parameters\")", { timeout: 60_000 }, () => {
  it("the hop's request refused with HeaderMismatch (-32020) goes again through the client, which lists the tool again and sends the header", async () => {
    const seen = await Effect.runPromise(Effect.gen(function*() {
      const headed = Tool.make("region", {
        input: Schema.Struct({ region: Schema.String.annotations({ jsonSchema: { type: "string", "x-mcp-header": "Region" } }) }),
        handler: ({ region }) => Effect.succeed(`headed ${region}`)
      })
      const server = yield* Layer.build(McpServer.register(headed).pipe(Layer.provideMerge(McpServer.layer({ name: "headers-backend", version: "1.0.0" }))))
      const backend = yield* HttpTransport.make({ port: 0 }).pipe(Effect.provide(server))
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => staleFirstListing(backend.url)), (p) => Effect.promise(() => p.close()))
      return yield* Effect.promise(() => run(
        gatewayApp({ backends: [{ name: "h", endpoint: { _tag: "Http", url: proxy.url }, protocolVersion: "2026-07-28" }] }),
        Effect.gen(function*() {
          const client = yield* connectClient("2025-11-25")
          const listed = (yield* client.listAllTools()).find((tool) => tool.name === "h_region")
          const first = yield* client.callTool("h_region", { region: "eu" })
          const second = yield* client.callTool("h_region", { region: "us" })
          return { listed, first, second }
        })
      ))
    }).pipe(Effect.scoped))
    // The gateway took the tool for a plain one (so its hop sent no Mcp-Param-Region).
    expect(JSON.stringify(seen.listed?.inputSchema)).not.toContain("x-mcp-header")
    expect(seen.first.isError).toBeUndefined()
    expect(seen.first.content).toEqual([{ type: "text", text: "headed eu" }])
    expect(seen.second.content).toEqual([{ type: "text", text: "headed us" }])
  })
})
