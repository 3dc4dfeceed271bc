/**
 * `Connection.run`, the transports' callback entry point to the one dispatch
 * path (`handle` is its Effect form): every check, cancellation, defect
 * handling and event, seen from a callback.
 */
import { describe, expect, it } from "@effect/vitest"
import { type JsonRpc, McpServer, RequestContext, Tool } from "@emcee/core"
import { Context, Deferred, Effect, Exit, Layer, Queue, type Runtime } from "effect"

const make = Effect.gen(function*() {
  const interrupted = yield* Deferred.make<void>()
  const slow = Tool.make("slow", {
    description: "never ends unless cancelled",
    handler: () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
  })
  const boom = Tool.make("boom", { description: "dies", handler: () => Effect.die(new Error("kaboom")) })
  const ctx = Tool.make("ctx", {
    description: "reports its request context",
    handler: () => Effect.map(RequestContext.RequestContext, (r) => `id=${r.requestId} method=${r.method}`)
  })
  return { interrupted, tools: [slow, boom, ctx] as const }
})

const call = (conn: McpServer.Connection, runtime: Runtime.Runtime<never>, id: JsonRpc.RequestId, name: string) =>
  Effect.async<Exit.Exit<JsonRpc.Response>>((resume) => {
    conn.run({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } }, runtime, (exit) => resume(Effect.succeed(exit)))
  })

const initialize = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } } }

describe("Connection.run (the transports' callback entry point)", () => {
  it.scopedLive("answers every request: lifecycle gate, RequestContext, defects as -32603, duplicate ids, cancellation, events", () =>
    Effect.gen(function*() {
      const { interrupted, tools } = yield* make
      const layer = McpServer.register(...tools).pipe(Layer.provideMerge(McpServer.layer({ name: "run", version: "1" })))
      const context = yield* Layer.build(layer)
      const server = Context.get(context, McpServer.McpServer)
      const events = yield* McpServer.subscribe.pipe(Effect.provide(context))
      const conn = yield* server.connect({ send: () => Effect.void })
      const runtime = yield* Effect.runtime<never>()

      // spec basic/lifecycle: nothing but ping before initialize.
      const early = yield* call(conn, runtime, 1, "ctx")
      expect(early).toEqual(Exit.succeed(expect.objectContaining({ id: 1, error: expect.objectContaining({ code: -32600 }) })))
      yield* conn.handle(initialize)

      const ctx = yield* call(conn, runtime, 2, "ctx")
      expect(Exit.isSuccess(ctx) && ctx.value).toEqual({ jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "id=2 method=tools/call" }] } })

      const boom = yield* call(conn, runtime, 3, "boom")
      expect(Exit.isSuccess(boom) && boom.value).toEqual({ jsonrpc: "2.0", id: 3, error: { code: -32603, message: "Internal error" } })

      // spec basic/utilities/cancellation: the cancelled request's fiber is interrupted and answers nothing.
      const slow = yield* Effect.fork(call(conn, runtime, 4, "slow"))
      yield* Effect.yieldNow()
      expect(conn.inFlight()).toBe(1)
      const duplicate = yield* call(conn, runtime, 4, "ctx")
      expect(Exit.isSuccess(duplicate) && duplicate.value).toMatchObject({ id: 4, error: { code: -32600 } })
      yield* conn.handle({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 4 } })
      const exit = yield* slow
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* Deferred.await(interrupted)
      expect(conn.inFlight()).toBe(0)

      const seen = [...(yield* Queue.takeAll(events))].filter((e) => e._tag === "ToolCalled")
      expect(seen.map((e) => e._tag === "ToolCalled" ? [e.tool, e.outcome] : [])).toEqual([["ctx", "ok"], ["boom", "error"], ["slow", "error"]])
    }))
})
