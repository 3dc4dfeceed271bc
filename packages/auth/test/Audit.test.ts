/**
 * Audit events on the server's event stream and the auth metrics: who
 * called what and how it ended (ok, denied by authorization, refused
 * without a caller), never the credential.
 */
import { McpServer, Tool } from "@emcee/core"
import { MemoryTransport } from "@emcee/transport"
import { Chunk, Effect, Fiber, Layer, Metric, PubSub, Queue, Schema, Stream } from "effect"
import { describe, expect, it } from "vitest"
import * as Audit from "../src/Audit.js"
import * as Authentication from "../src/Authentication.js"
import { AuthenticationError } from "../src/Authenticator.js"
import * as Authorization from "../src/Authorization.js"
import * as Principal from "../src/Principal.js"

const read = Tool.make("read", {
  input: Schema.Struct({}),
  handler: () => Effect.map(Principal.Principal, (p) => p.subject)
})
const write = Tool.make("write", {
  input: Schema.Struct({}),
  middleware: [Authorization.require({ scopes: ["files:write"] })],
  handler: () => Effect.map(Principal.Principal, (p) => p.subject)
})

const App = McpServer.register(Audit.middleware, Authentication.middleware, read, write).pipe(
  Layer.provideMerge(McpServer.layer({ name: "audited", version: "1.0.0" }))
)

const call = (id: number, name: string) => ({ jsonrpc: "2.0" as const, id, method: "tools/call", params: { name, arguments: {} } })
const init = { jsonrpc: "2.0" as const, id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "a", version: "1" } } }

const counterValue = (name: string, labels: Record<string, string>) =>
  Effect.map(Metric.snapshot, (pairs) => {
    for (const pair of pairs) {
      if (pair.metricKey.name !== name) continue
      const tags = Object.fromEntries(pair.metricKey.tags.map((t) => [t.key, t.value]))
      if (Object.entries(labels).every(([k, v]) => tags[k] === v)) return (pair.metricState as unknown as { count: number }).count
    }
    return 0
  })

describe("Audit (issue 9: audit events, metrics)", () => {
  it("publishes who called what and the outcome: ok, denied by authorization, denied without a caller", async () => {
    const records = await Effect.runPromise(
      Effect.gen(function*() {
        const stream = yield* Audit.records
        const collected = yield* Effect.fork(Stream.runCollect(Stream.take(stream, 5)))
        const alice = Principal.make("alice", ["files:read"], { tenant: "acme", kind: "jwt" })
        const client = yield* MemoryTransport.make({ context: Authentication.contextOf(alice) })
        const anonymous = yield* MemoryTransport.make()
        for (const [transport, messages] of [[client, [init, call(1, "read"), call(2, "write")]], [anonymous, [init, call(3, "read")]]] as const) {
          for (const message of messages) {
            const next = yield* Effect.fork(Stream.runHead(transport.incoming))
            yield* transport.send(message)
            yield* Fiber.join(next)
          }
        }
        return Chunk.toReadonlyArray(yield* Fiber.join(collected))
      }).pipe(Effect.scoped, Effect.provide(App))
    )
    const calls = records.filter((r) => r.method === "tools/call")
    expect(calls.map((r) => [r.primitive?.name, r.subject, r.tenant, r.credential, r.outcome])).toEqual([
      ["read", "alice", "acme", "jwt", "ok"],
      ["write", "alice", "acme", "jwt", "denied"],
      ["read", undefined, undefined, undefined, "denied"]
    ])
    // The JSON-RPC id each client gave its request (and the session: none on MemoryTransport).
    expect(calls.map((r) => r.requestId)).toEqual([1, 2, 3])
    expect(calls[1]!.errorCode).toBe(-32000)
    expect(JSON.stringify(records)).not.toMatch(/token|secret/i)
  })

  it("middlewareTo hands the same records to its sink as each request ends, without an Audit event on the stream", async () => {
    const written: Array<McpServer.AuditRecord> = []
    const Direct = McpServer.register(Audit.middlewareTo((record) => Effect.sync(() => void written.push(record))), Authentication.middleware, read, write).pipe(
      Layer.provideMerge(McpServer.layer({ name: "audited", version: "1.0.0" }))
    )
    const events = await Effect.runPromise(
      Effect.gen(function*() {
        const server = yield* McpServer.McpServer
        const queue = yield* PubSub.subscribe(server.events)
        const alice = Principal.make("alice", ["files:read"], { tenant: "acme", kind: "jwt" })
        const client = yield* MemoryTransport.make({ context: Authentication.contextOf(alice) })
        for (const message of [init, call(1, "read"), call(2, "write")]) {
          const next = yield* Effect.fork(Stream.runHead(client.incoming))
          yield* client.send(message)
          yield* Fiber.join(next)
          // Written before the response went out: the record is in the sink by now.
          if (message.id > 0) expect(written.at(-1)?.requestId).toBe(message.id)
        }
        return yield* Queue.takeAll(queue)
      }).pipe(Effect.scoped, Effect.provide(Direct))
    )
    expect(written.filter((r) => r.method === "tools/call").map((r) => [r.primitive?.name, r.subject, r.tenant, r.credential, r.outcome, r.errorCode])).toEqual([
      ["read", "alice", "acme", "jwt", "ok", undefined],
      ["write", "alice", "acme", "jwt", "denied", -32000]
    ])
    expect(Chunk.toReadonlyArray(events).filter((e) => e._tag === "Audit")).toEqual([])
  })

  it("counts authentications by method and outcome, and denials by reason", async () => {
    const before = await Effect.runPromise(counterValue("mcp_auth_denials_total", { reason: "insufficient_scope" }))
    await Effect.runPromise(
      Effect.gen(function*() {
        const client = yield* MemoryTransport.make({ context: Authentication.contextOf(Principal.make("bob", [])) })
        for (const message of [init, call(1, "write")]) {
          const next = yield* Effect.fork(Stream.runHead(client.incoming))
          yield* client.send(message)
          yield* Fiber.join(next)
        }
      }).pipe(Effect.scoped, Effect.provide(App))
    )
    expect(await Effect.runPromise(counterValue("mcp_auth_denials_total", { reason: "insufficient_scope" }))).toBe(before + 1)
    const chain = Authentication.make([{
      name: "static",
      kind: "api-key",
      credential: (c) => c.header("x-api-key"),
      verify: (key) => key === "k" ? Effect.succeed(Principal.make("k", [], { kind: "api-key" })) : Effect.fail(new AuthenticationError({ reason: "invalid", description: "no" }))
    }])
    const ok = await Effect.runPromise(counterValue("mcp_auth_authentications_total", { method: "static", outcome: "ok" }))
    const invalid = await Effect.runPromise(counterValue("mcp_auth_authentications_total", { method: "static", outcome: "invalid" }))
    await Effect.runPromise(chain.authenticate({ header: (n) => (n === "x-api-key" ? "k" : undefined) }))
    await Effect.runPromise(Effect.either(chain.authenticate({ header: (n) => (n === "x-api-key" ? "bad" : undefined) })))
    expect(await Effect.runPromise(counterValue("mcp_auth_authentications_total", { method: "static", outcome: "ok" }))).toBe(ok + 1)
    expect(await Effect.runPromise(counterValue("mcp_auth_authentications_total", { method: "static", outcome: "invalid" }))).toBe(invalid + 1)
  })
})
