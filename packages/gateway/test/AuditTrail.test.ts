/**
 * The gateway's audit trail over a real backend (an emcee server in this
 * process over Streamable HTTP): each row carries the JSON-RPC id the
 * client gave its request (spec 2025-11-25 basic "Requests": a string or a
 * number), the backend resolved through the routing table, the method, the
 * tool and the outcome.
 */
import { McpServer, Tool } from "@emcee/core"
import { HttpTransport, MemoryTransport } from "@emcee/transport"
import { Effect, Fiber, Layer, Stream } from "effect"
import { describe, expect, it } from "vitest"
import * as AuditLog from "../src/AuditLog.js"
import * as AuditTrail from "../src/AuditTrail.js"
import * as Gateway from "../src/Gateway.js"

const ping = Tool.make("ping", { handler: () => Effect.succeed("pong") })

describe("AuditTrail", { timeout: 60_000 }, () => {
  it("a row's requestId is the id the client sent, string or number; the backend is resolved", async () => {
    const entries = await Effect.runPromise(Effect.gen(function*() {
      const backend = yield* Layer.build(McpServer.register(ping).pipe(Layer.provideMerge(McpServer.layer({ name: "ping-backend", version: "1.0.0" }))))
      const http = yield* HttpTransport.make({ port: 0 }).pipe(Effect.provide(backend))
      const app = yield* Layer.build(
        AuditTrail.layer.pipe(
          Layer.provideMerge(Gateway.layer({ backends: [{ name: "pb", endpoint: { _tag: "Http", url: http.url }, protocolVersion: "2025-11-25" }] })),
          Layer.provideMerge(McpServer.layer({ name: "gateway", version: "1.0.0", capabilities: { tools: true } })),
          Layer.provideMerge(AuditLog.memory({ flushInterval: "20 millis" }))
        )
      )
      yield* Gateway.awaitSettled().pipe(Effect.provide(app))
      const transport = yield* MemoryTransport.make().pipe(Effect.provide(app))
      const exchange = (message: object) =>
        Effect.gen(function*() {
          const next = yield* Effect.fork(Stream.runHead(transport.incoming))
          yield* transport.send(message as never)
          return yield* Fiber.join(next)
        })
      yield* exchange({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "audit-test", version: "1" } } })
      yield* transport.send({ jsonrpc: "2.0", method: "notifications/initialized" })
      const answered = yield* exchange({ jsonrpc: "2.0", id: "call-7f3a", method: "tools/call", params: { name: "pb_ping", arguments: {} } })
      yield* exchange({ jsonrpc: "2.0", id: 4242, method: "tools/call", params: { name: "pb_ping", arguments: {} } })
      yield* exchange({ jsonrpc: "2.0", id: "missing-1", method: "tools/call", params: { name: "pb_nope", arguments: {} } })
      expect(answered).toMatchObject({ _tag: "Some", value: { id: "call-7f3a", result: { content: [{ type: "text", text: "pong" }] } } })
      const log = yield* AuditLog.AuditLog.pipe(Effect.provide(app))
      yield* log.flush
      return (yield* log.query({ method: "tools/call" })).entries
    }).pipe(Effect.scoped))
    const byId = new Map(entries.map((entry) => [entry.requestId, entry]))
    expect([...byId.keys()].sort()).toEqual(["4242", "call-7f3a", "missing-1"])
    expect(byId.get("call-7f3a")).toMatchObject({ backend: "pb", method: "tools/call", name: "pb_ping", outcome: "ok" })
    expect(byId.get("4242")).toMatchObject({ backend: "pb", name: "pb_ping", outcome: "ok" })
    expect(byId.get("missing-1")).toMatchObject({ name: "pb_nope", outcome: "error" })
  })
})
