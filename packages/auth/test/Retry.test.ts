/**
 * Retries through a real server and client: a handler failing with
 * `Retry.Transient` runs again after a backoff and the client sees its
 * eventual success; failures that are the caller's fault, bugs and tool
 * execution errors (spec 2025-11-25 server/tools "Error Handling") are not
 * retried unless asked; cancellation (spec basic/utilities/cancellation) is
 * never retried.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpError, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Clock, Deferred, Effect, Fiber, Logger, LogLevel, Schedule, TestClock } from "effect"
import * as Retry from "../src/Retry.js"

const server = { name: "retry", version: "1" }

/** A tool whose n-th run (from 1) does `plan[n - 1]` (the last entry for later runs), recording when each run started. */
const flaky = (retry: ReturnType<typeof Retry.idempotent>, plan: ReadonlyArray<Effect.Effect<string, unknown>>) => {
  const starts: Array<number> = []
  const tool = Tool.make("flaky", {
    annotations: { idempotentHint: true },
    middleware: [retry],
    handler: () =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        starts.push(now)
        return plan[Math.min(starts.length, plan.length) - 1]!
      })
  })
  return { starts, tool }
}

const fast = Schedule.spaced("1 millis").pipe(Schedule.intersect(Schedule.recurs(4)))

describe("Retry.idempotent", () => {
  it.scoped("a Transient failure is retried with exponential, jittered backoff (100 ms, 200 ms), then the success is answered", () => {
    const { starts, tool } = flaky(Retry.idempotent(), [Retry.transient("database busy"), Retry.transient("database busy"), Effect.succeed("found")])
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const call = yield* Effect.fork(client.callTool("flaky"))
      // Move the test clock in small steps until the call is answered.
      while (call.unsafePoll() === null) {
        yield* TestClock.adjust("5 millis")
        yield* Effect.yieldNow()
      }
      expect((yield* Fiber.join(call)).content).toEqual([{ type: "text", text: "found" }])
      expect(starts).toHaveLength(3)
      const [first, second] = [starts[1]! - starts[0]!, starts[2]! - starts[1]!]
      // Schedule.jittered scales each delay by 0.8–1.2 (plus up to one 5 ms step of the test clock).
      expect(first).toBeGreaterThanOrEqual(80)
      expect(first).toBeLessThanOrEqual(125)
      expect(second).toBeGreaterThanOrEqual(160)
      expect(second).toBeLessThanOrEqual(245)
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)))
  })

  it.live("when the tries run out (3 by default) the client gets -32603 with the Transient's message", () => {
    const { starts, tool } = flaky(Retry.idempotent({ schedule: Schedule.spaced("1 millis").pipe(Schedule.intersect(Schedule.recurs(2))) }), [
      Retry.transient("upstream unavailable")
    ])
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(yield* Effect.flip(client.callTool("flaky"))).toMatchObject({ code: -32603, message: "upstream unavailable" })
      expect(starts).toHaveLength(3)
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)), Effect.scoped)
  })

  it.live("a defect that is a Transient is retried too", () => {
    const { starts, tool } = flaky(Retry.idempotent({ schedule: fast }), [Effect.die(new Retry.Transient({ message: "lost the race" })), Effect.succeed("ok")])
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* client.callTool("flaky")).content).toEqual([{ type: "text", text: "ok" }])
      expect(starts).toHaveLength(2)
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)), Effect.scoped)
  })

  it.live("not retried: the caller's fault (-32602), other protocol errors, bugs (defects), tool execution errors", () =>
    Effect.gen(function*() {
      const cases = [
        { effect: Effect.fail(new McpError.InvalidParams({ message: "no such id" })), expect: { code: -32602 } },
        { effect: Effect.fail(new McpError.InternalError({ message: "output mismatch" })), expect: { code: -32603 } },
        { effect: Effect.die(new Error("bug")), expect: { code: -32603, message: "Internal error" } },
        { effect: Effect.fail("not found"), expect: { isError: true } }
      ]
      for (const c of cases) {
        const { starts, tool } = flaky(Retry.idempotent({ schedule: fast }), [c.effect, Effect.succeed("retried")])
        yield* Effect.gen(function*() {
          const client = yield* TestClient.TestClient
          const answer = yield* Effect.either(client.callTool("flaky"))
          expect(answer._tag === "Left" ? answer.left : answer.right).toMatchObject(c.expect)
          expect(starts).toHaveLength(1)
        }).pipe(Effect.provide(TestClient.layerWith(server, tool)), Effect.scoped)
      }
    }).pipe(Logger.withMinimumLogLevel(LogLevel.None)))

  it.live("retryToolErrors retries isError results; `while` chooses what else to retry (here any -32603)", () =>
    Effect.gen(function*() {
      const toolErrors = flaky(Retry.idempotent({ schedule: fast, retryToolErrors: true }), [Effect.fail("flaky upstream"), Effect.succeed("ok")])
      yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        expect((yield* client.callTool("flaky")).content).toEqual([{ type: "text", text: "ok" }])
        expect(toolErrors.starts).toHaveLength(2)
      }).pipe(Effect.provide(TestClient.layerWith(server, toolErrors.tool)), Effect.scoped)

      const internal = flaky(
        Retry.idempotent({ schedule: fast, while: (f) => f._tag === "Error" && f.error._tag === "InternalError" }),
        [Effect.fail(new McpError.InternalError({ message: "timed out" })), Effect.succeed("ok")]
      )
      yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        expect((yield* client.callTool("flaky")).content).toEqual([{ type: "text", text: "ok" }])
        expect(internal.starts).toHaveLength(2)
      }).pipe(Effect.provide(TestClient.layerWith(server, internal.tool)), Effect.scoped)

      // With retryToolErrors, an isError result that stays one is answered as the last try's result.
      const stubborn = flaky(Retry.idempotent({ schedule: fast, retryToolErrors: true }), [Effect.fail("still broken")])
      yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        expect(yield* client.callTool("flaky")).toMatchObject({ isError: true, content: [{ text: "still broken" }] })
        expect(stubborn.starts).toHaveLength(5)
      }).pipe(Effect.provide(TestClient.layerWith(server, stubborn.tool)), Effect.scoped)
    }))

  it.live("a cancelled request is not retried", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const { starts, tool } = flaky(Retry.idempotent({ schedule: fast }), [Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)])
      yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const call = yield* Effect.fork(client.callTool("flaky"))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(call)
        yield* Effect.sleep("30 millis")
        expect(starts).toHaveLength(1)
      }).pipe(Effect.provide(TestClient.layerWith(server, tool)), Effect.scoped)
    }))

  it("Transient is an InternalError (-32603) a tool passes through, and isTransient recognises it", () => {
    const error = new Retry.Transient({ message: "busy" })
    expect(McpError.isProtocolError(error)).toBe(true)
    expect(error._tag).toBe("InternalError")
    expect(Retry.isTransient(error)).toBe(true)
    expect(Retry.isTransient(new McpError.InternalError({ message: "busy" }))).toBe(false)
    expect(Retry.isRetryable({ _tag: "Error", error })).toBe(true)
    expect(Retry.isRetryable({ _tag: "Error", error: new McpError.InvalidParams({ message: "x" }) })).toBe(false)
    expect(Retry.isRetryable({ _tag: "Defect", defect: new Error("bug") })).toBe(false)
  })
})
