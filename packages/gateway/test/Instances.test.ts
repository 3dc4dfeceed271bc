/**
 * A backend with instances (issue 12 item 5): replicas of one server behind
 * one name, each with its own connection and breaker, requests spread by
 * the backend's `balancing` (`Balancer`), an instance that is down left out.
 * The instances are real servers on ports of their own (HttpTransport in
 * this process) whose `whoami` tool says which one answered.
 */
import { McpClient, McpServer, Prometheus, Tool } from "@emcee/core"
import { HttpTransport, MemoryTransport } from "@emcee/transport"
import { Effect, Exit, Layer, Redacted, Schedule, Schema, Scope } from "effect"
import { describe, expect, it } from "vitest"
import type * as Backend from "../src/Backend.js"
import * as Gateway from "../src/Gateway.js"
import * as Registry from "../src/Registry.js"
import * as RegistrySync from "../src/RegistrySync.js"

const serverOptions = {
  name: "gateway",
  version: "1.0.0",
  capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true } }
} as unknown as McpServer.Options

/** One instance: a server whose `whoami` answers with its name, on a port of its own, for the life of `scope`. */
const instance = (name: string, scope: Scope.Scope) =>
  Effect.gen(function*() {
    const whoami = Tool.make("whoami", { input: Schema.Struct({ user: Schema.optional(Schema.String) }), handler: () => Effect.succeed(name) })
    const server = yield* Layer.build(McpServer.register(whoami).pipe(Layer.provideMerge(McpServer.layer({ name: `instance-${name}`, version: "1.0.0" }))))
    const http = yield* HttpTransport.make({ port: 0, shutdownTimeout: "200 millis" }).pipe(Effect.provide(server))
    return http.url
  }).pipe(Scope.extend(scope))

const withGateway = <A, E>(backend: Omit<Backend.Backend, "endpoint">, body: Effect.Effect<A, E, Gateway.Gateway | McpServer.McpServer | Scope.Scope>) =>
  Effect.gen(function*() {
    const app = Gateway.layer({ backends: [{ ...backend, endpoint: backend.instances![0]!.endpoint }], withdrawAfter: "30 seconds" }).pipe(
      Layer.provideMerge(McpServer.layer(serverOptions))
    )
    const context = yield* Layer.build(app)
    yield* Gateway.awaitSettled().pipe(Effect.provide(context))
    return yield* body.pipe(Effect.provide(context))
  })

const client = Effect.gen(function*() {
  const transport = yield* MemoryTransport.make()
  return yield* McpClient.make({ transport, clientInfo: { name: "instances-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
})

const who = (c: McpClient.McpClient, user?: string) =>
  Effect.map(c.callTool("r_whoami", user === undefined ? {} : { user }), (result) => (result.content[0] as { text: string }).text)

/** The per-instance gauges of backend "r", from the Prometheus text: "up a", "connections b", "breaker a"... */
const gauges = (text: string): Record<string, number> => {
  const found: Record<string, number> = {}
  for (const match of text.matchAll(/^mcp_gateway_backend_(up|connections|breaker_state)\{backend="r",instance="([^"]+)"\} (\S+)$/gm)) {
    found[`${match[1]!.replace("_state", "")} ${match[2]}`] = Number(match[3])
  }
  return found
}

describe("Gateway backends with instances (Balancer)", { timeout: 60_000 }, () => {
  it("round-robin spreads calls over the instances in turn; one that goes down is left out and the others take every call", async () => {
    const seen = await Effect.runPromise(Effect.gen(function*() {
      const scopeA = yield* Scope.make()
      const scopeB = yield* Scope.make()
      const a = yield* instance("a", scopeA)
      const b = yield* instance("b", scopeB)
      return yield* withGateway(
        { name: "r", instances: [{ id: "a", endpoint: { _tag: "Http", url: a } }, { id: "b", endpoint: { _tag: "Http", url: b } }] },
        Effect.gen(function*() {
          const gateway = yield* Gateway.Gateway
          const c = yield* client
          const tools = (yield* c.listAllTools()).map((tool) => tool.name)
          const before = yield* Effect.forEach([1, 2, 3, 4], () => who(c))
          const statuses = (yield* gateway.backends).map((status) => [status.name, status.instance, status.state])
          const metricsBefore = gauges(yield* Prometheus.render)
          // Instance b goes away: its connection is lost, and it is down.
          yield* Scope.close(scopeB, Exit.void)
          yield* gateway.backends.pipe(
            Effect.repeat({ until: (all) => all.some((status) => status.instance === "b" && status.state !== "up"), schedule: Schedule.spaced("50 millis") }),
            Effect.timeout("15 seconds")
          )
          const after = yield* Effect.forEach([1, 2, 3, 4], () => who(c))
          const metricsAfter = gauges(yield* Prometheus.render)
          yield* Scope.close(scopeA, Exit.void)
          return { tools, before, statuses, after, metricsBefore, metricsAfter }
        })
      )
    }).pipe(Effect.scoped))
    // One backend's tools, listed once.
    expect(seen.tools).toEqual(["r_whoami"])
    expect(seen.statuses).toEqual([["r", "a", "up"], ["r", "b", "up"]])
    expect(seen.before).toEqual(seen.before[0] === "a" ? ["a", "b", "a", "b"] : ["b", "a", "b", "a"])
    expect(seen.after).toEqual(["a", "a", "a", "a"])
    // Each instance's own state in the metrics.
    expect(seen.metricsBefore).toMatchObject({ "up a": 1, "up b": 1, "connections a": 1, "connections b": 1, "breaker a": 0, "breaker b": 0 })
    expect(seen.metricsAfter).toMatchObject({ "up a": 1, "up b": 0, "connections a": 1, "connections b": 0 })
  })

  it("consistent-hash on an argument sends equal values to one instance and spreads different ones", async () => {
    const seen = await Effect.runPromise(Effect.gen(function*() {
      const scope = yield* Effect.scope
      const urls = yield* Effect.forEach(["a", "b", "c"], (name) => instance(name, scope))
      return yield* withGateway(
        {
          name: "r",
          instances: urls.map((url, i) => ({ id: ["a", "b", "c"][i]!, endpoint: { _tag: "Http", url } as const })),
          balancing: { strategy: "consistent-hash", hashKey: { argument: "user" } }
        },
        Effect.gen(function*() {
          const c = yield* client
          const users = Array.from({ length: 30 }, (_, i) => `user-${i}`)
          const first = yield* Effect.forEach(users, (user) => who(c, user))
          const again = yield* Effect.forEach(users, (user) => who(c, user))
          return { first, again }
        })
      )
    }).pipe(Effect.scoped))
    expect(seen.again).toEqual(seen.first)
    expect(new Set(seen.first).size).toBeGreaterThan(1)
  })

  it("bad instances are refused with a clear message", async () => {
    const problems = await Effect.runPromise(Effect.gen(function*() {
      const context = yield* Layer.build(Gateway.layer({ backends: [] }).pipe(Layer.provideMerge(McpServer.layer(serverOptions))))
      const gateway = yield* Effect.provide(Gateway.Gateway, context)
      const endpoint = { _tag: "Http", url: "http://127.0.0.1:9/mcp" } as const
      return yield* Effect.forEach([
        { name: "r", endpoint, instances: [] },
        { name: "r", endpoint, instances: [{ id: "a", endpoint }, { id: "a", endpoint }] },
        { name: "r", endpoint, instances: [{ id: "a", endpoint, weight: -1 }] },
        { name: "r", endpoint, instances: [{ id: "a", endpoint }], balancing: { strategy: "fastest" as never } }
      ], (backend) => Effect.flip(gateway.add(backend)).pipe(Effect.map((error) => error.message)))
    }).pipe(Effect.scoped))
    expect(problems).toEqual([
      "backend \"r\": instances is empty; give at least one, or an endpoint",
      "backend \"r\": two instances have the id \"a\"",
      "backend \"r\": instance \"a\" has weight -1; a weight is a finite number ≥ 0",
      "backend \"r\": unknown balancing strategy \"fastest\" (one of round-robin, weighted, least-connections, random, consistent-hash)"
    ])
  })
})

describe("RegistrySync carries a registered backend's instances and credentials", () => {
  it("several instances are balanced (weighted when their weights differ); client credentials become the backend's own", async () => {
    const backend = await Effect.runPromise(Effect.gen(function*() {
      const registry = yield* Registry.makeMemory
      const record = yield* registry.upsert({
        name: "search",
        transport: "http",
        endpoint: { url: "http://127.0.0.1:1/mcp" },
        instances: [
          { id: "east", endpoint: { url: "http://127.0.0.1:2/mcp" }, weight: 3 },
          { id: "west", endpoint: { url: "http://127.0.0.1:3/mcp" } }
        ],
        credentials: { kind: "client_credentials", tokenUrl: "http://127.0.0.1:4/token", clientId: "gw", clientSecret: "s3cret", scope: "mcp" }
      })
      return RegistrySync.toBackend(record)
    }))
    expect(backend.instances).toEqual([
      { id: "east", endpoint: { _tag: "Http", url: "http://127.0.0.1:2/mcp" }, weight: 3 },
      { id: "west", endpoint: { _tag: "Http", url: "http://127.0.0.1:3/mcp" }, weight: 1 }
    ])
    expect(backend.balancing).toEqual({ strategy: "weighted" })
    expect(backend.credentials).toMatchObject({ _tag: "ClientCredentials", tokenUrl: "http://127.0.0.1:4/token", clientId: "gw", scope: "mcp" })
    expect(Redacted.value(backend.credentials!.clientSecret)).toBe("s3cret")
  })
})
