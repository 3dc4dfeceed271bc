import { describe, expect, it } from "@effect/vitest"
import { McpServer, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Deferred, Effect, Fiber } from "effect"
import { initializeParams, rawSession } from "./support/spec.js"

/** A tool that signals when it starts and when it is interrupted, and otherwise never ends. */
const makeSlow = Effect.gen(function*() {
  const started = yield* Deferred.make<void>()
  const interrupted = yield* Deferred.make<void>()
  const tool = Tool.make("slow", {
    handler: () =>
      Deferred.succeed(started, undefined).pipe(
        Effect.zipRight(Effect.never),
        Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)),
        Effect.as("never")
      )
  })
  return { started, interrupted, tool }
})

const serverOptions = { name: "cancellation", version: "1" }

describe("Cancellation (spec basic/utilities/cancellation)", () => {
  it.scoped("interrupting a client call sends notifications/cancelled and the server stops the handler (Cancellation Flow)", () =>
    Effect.gen(function*() {
      const { interrupted, started, tool } = yield* makeSlow
      yield* McpServer.add(tool)
      const client = yield* TestClient.TestClient
      const server = yield* McpServer.McpServer
      const call = yield* Effect.fork(client.callTool("slow"))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(call)
      yield* Deferred.await(interrupted)
      // The server answered nothing for it and the session is still usable.
      yield* client.ping()
      expect(server.sessions()).toHaveLength(1)
    }).pipe(Effect.provide(TestClient.layerWith({ ...serverOptions, capabilities: { tools: true } }))))

  it.scoped("a cancelled request gets no response, and later requests are answered (Behavior Requirements)", () =>
    Effect.gen(function*() {
      const { interrupted, started, tool } = yield* makeSlow
      yield* McpServer.add(tool)
      const raw = yield* rawSession
      yield* raw.initialize()
      yield* raw.send({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "slow" } })
      yield* Deferred.await(started)
      yield* raw.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 7, reason: "user pressed stop" } })
      yield* Deferred.await(interrupted)
      // The next message is the ping's answer: nothing was sent for request 7.
      expect(yield* raw.exchange({ jsonrpc: "2.0", id: 8, method: "ping" })).toEqual({ jsonrpc: "2.0", id: 8, result: {} })
    }).pipe(Effect.provide(TestClient.server({ ...serverOptions, capabilities: { tools: true } }))))

  it.scoped("cancelling an unknown or finished request is ignored (Timing Considerations)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      yield* raw.initialize()
      expect(yield* raw.exchange({ jsonrpc: "2.0", id: 1, method: "ping" })).toMatchObject({ id: 1 })
      yield* raw.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } })
      yield* raw.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "never-sent" } })
      yield* raw.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: {} })
      expect(yield* raw.exchange({ jsonrpc: "2.0", id: 2, method: "ping" })).toEqual({ jsonrpc: "2.0", id: 2, result: {} })
    }).pipe(Effect.provide(TestClient.server(serverOptions))))

  it.scoped("the initialize request is not cancelled by notifications/cancelled (Behavior Requirements: MUST NOT cancel initialize)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      yield* raw.send({ jsonrpc: "2.0", id: 0, method: "initialize", params: initializeParams() })
      yield* raw.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 0 } })
      expect(yield* raw.next).toMatchObject({ id: 0, result: { protocolVersion: "2025-11-25" } })
    }).pipe(Effect.provide(TestClient.server(serverOptions))))

  it.scopedLive("a client request that times out fails with -32001 and is cancelled on the server too (basic/lifecycle Timeouts)", () =>
    Effect.gen(function*() {
      const { interrupted, started, tool } = yield* makeSlow
      yield* McpServer.add(tool)
      const client = yield* TestClient.make({ requestTimeoutMillis: 20 })
      const error = yield* Effect.flip(client.callTool("slow"))
      expect(error.code).toBe(-32001)
      yield* Deferred.await(started)
      yield* Deferred.await(interrupted)
    }).pipe(Effect.provide(TestClient.server({ ...serverOptions, capabilities: { tools: true } }))))

  it.scoped("closing the connection cancels what is in flight (basic/lifecycle Shutdown)", () =>
    Effect.gen(function*() {
      const { interrupted, started, tool } = yield* makeSlow
      yield* McpServer.add(tool)
      const fiber = yield* Effect.fork(Effect.scoped(Effect.flatMap(TestClient.make(), (client) => client.callTool("slow"))))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(interrupted)
      expect((yield* McpServer.McpServer).sessions()).toHaveLength(0)
    }).pipe(Effect.provide(TestClient.server({ ...serverOptions, capabilities: { tools: true } }))))
})
