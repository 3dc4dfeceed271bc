/**
 * Concurrency limits through a real server and client: the request over the
 * limit is refused at once (-32000 `ConcurrencyLimited`, its handler never
 * runs) or waits in a bounded queue; cancelling a waiting or running request
 * (spec basic/utilities/cancellation) gives its place back; keys isolate
 * tenants.
 */
import { describe, expect, it } from "@effect/vitest"
import { Middleware, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Deferred, Effect, Fiber, Queue, Schedule } from "effect"
import * as Concurrency from "../src/Concurrency.js"
import { auth } from "./support/metaPrincipal.js"


const server = { name: "concurrency", version: "1" }

/**
 * A `work` tool whose runs announce their number on `started`, wait for
 * `gate`, announce an interruption on `interrupted`, and answer `done <n>`.
 */
const makeWork = (limit: Middleware.Middleware<never, unknown>) =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const started = yield* Queue.unbounded<number>()
    const interrupted = yield* Queue.unbounded<number>()
    let runs = 0
    const tool = Tool.make("work", {
      middleware: [limit],
      handler: () =>
        Effect.suspend(() => {
          const n = ++runs
          return Queue.offer(started, n).pipe(
            Effect.zipRight(Deferred.await(gate)),
            Effect.onInterrupt(() => Queue.offer(interrupted, n)),
            Effect.as(`done ${n}`)
          )
        })
    })
    return { gate, started, interrupted, tool, runs: () => runs }
  })

/** `tools/call` of work, as a member of `tenant` when given. */
const work = (client: TestClient.TestClient["Type"], tenant?: string) =>
  client.request("tools/call", { name: "work", arguments: {}, ...(tenant === undefined ? {} : { _meta: { "test/subject": "someone", "test/tenant": tenant } }) })

/** A global middleware counting the tools/call requests that reached it, so a test knows a request is queued behind the limit. */
const makeArrivals = () => {
  let seen = 0
  const middleware = Middleware.make("arrivals", (request, next) =>
    request.method === "tools/call" ? Effect.zipRight(Effect.sync(() => seen++), next) : next)
  /** Waits until `n` requests reached it, then a little for them to reach the limit behind it. */
  const reached = (n: number) =>
    Effect.suspend(() => (seen >= n ? Effect.void : Effect.fail("not yet"))).pipe(
      Effect.retry(Schedule.spaced("2 millis")),
      Effect.zipRight(Effect.sleep("20 millis"))
    )
  return { middleware, reached }
}

const text = (result: { readonly content?: unknown }) => (result.content as ReadonlyArray<{ readonly text: string }>)[0]!.text

describe("Concurrency.limit", () => {
  it.live("onFull reject: the request over `max` is refused at once and its handler never runs", () =>
    Effect.gen(function*() {
      const w = yield* makeWork(Concurrency.limit({ name: "work-slots", max: 2 }))
      return yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const a = yield* Effect.fork(work(client))
        const b = yield* Effect.fork(work(client))
        expect([yield* Queue.take(w.started), yield* Queue.take(w.started)]).toEqual([1, 2])
        const refused = yield* Effect.flip(work(client))
        expect(refused).toMatchObject({
          code: -32000,
          message: `ConcurrencyLimited: Concurrency limit "work-slots" reached: 2 running`,
          data: { _tag: "ConcurrencyLimited", limit: "work-slots", max: 2 }
        })
        expect(w.runs()).toBe(2)
        expect(Concurrency.httpStatus(refused)).toEqual({ status: 429, headers: {} })
        yield* Deferred.succeed(w.gate, undefined)
        expect([text(yield* Fiber.join(a)), text(yield* Fiber.join(b))]).toEqual(["done 1", "done 2"])
        // The permits are back.
        expect(text(yield* work(client))).toBe("done 3")
      }).pipe(Effect.provide(TestClient.layerWith(server, w.tool)), Effect.scoped)
    }))

  it.live("onFull wait: over `max` waits in a queue of `queue`; beyond it, refused; waiting requests run as permits free", () =>
    Effect.gen(function*() {
      const w = yield* makeWork(Concurrency.limit({ max: 1, onFull: "wait", queue: 1 }))
      const arrivals = makeArrivals()
      return yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const a = yield* Effect.fork(work(client))
        expect(yield* Queue.take(w.started)).toBe(1)
        const b = yield* Effect.fork(work(client))
        yield* arrivals.reached(2)
        expect(w.runs()).toBe(1)
        expect(yield* Effect.flip(work(client))).toMatchObject({
          code: -32000,
          data: { _tag: "ConcurrencyLimited", limit: "concurrency", max: 1, description: `Concurrency limit "concurrency" reached: 1 running and 1 waiting` }
        })
        yield* Deferred.succeed(w.gate, undefined)
        expect([text(yield* Fiber.join(a)), text(yield* Fiber.join(b))]).toEqual(["done 1", "done 2"])
      }).pipe(Effect.provide(TestClient.layerWith(server, arrivals.middleware, w.tool)), Effect.scoped)
    }))

  it.live("cancelling a waiting request gives its place in the queue back; it never runs", () =>
    Effect.gen(function*() {
      const w = yield* makeWork(Concurrency.limit({ max: 1, onFull: "wait", queue: 1 }))
      const arrivals = makeArrivals()
      return yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const a = yield* Effect.fork(work(client))
        expect(yield* Queue.take(w.started)).toBe(1)
        const b = yield* Effect.fork(work(client))
        yield* arrivals.reached(2)
        // spec basic/utilities/cancellation: the client cancels b while it waits.
        yield* Fiber.interrupt(b)
        yield* Effect.sleep("20 millis")
        // c takes b's place in the queue instead of being refused.
        const c = yield* Effect.fork(work(client))
        yield* arrivals.reached(3)
        yield* Deferred.succeed(w.gate, undefined)
        expect([text(yield* Fiber.join(a)), text(yield* Fiber.join(c))]).toEqual(["done 1", "done 2"])
        expect(w.runs()).toBe(2)
      }).pipe(Effect.provide(TestClient.layerWith(server, arrivals.middleware, w.tool)), Effect.scoped)
    }))

  it.live("cancelling a running request gives its permit back once its handler has stopped", () =>
    Effect.gen(function*() {
      const w = yield* makeWork(Concurrency.limit({ max: 1 }))
      return yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const a = yield* Effect.fork(work(client))
        expect(yield* Queue.take(w.started)).toBe(1)
        expect(yield* Effect.flip(work(client))).toMatchObject({ code: -32000 })
        yield* Fiber.interrupt(a)
        expect(yield* Queue.take(w.interrupted)).toBe(1)
        yield* Effect.sleep("20 millis")
        const b = yield* Effect.fork(work(client))
        expect(yield* Queue.take(w.started)).toBe(2)
        yield* Deferred.succeed(w.gate, undefined)
        expect(text(yield* Fiber.join(b))).toBe("done 2")
      }).pipe(Effect.provide(TestClient.layerWith(server, w.tool)), Effect.scoped)
    }))

  it.live("keyed by tenant: one tenant's full slots do not limit another", () =>
    Effect.gen(function*() {
      const w = yield* makeWork(Concurrency.limit({ key: Concurrency.byTenant, max: 1 }))
      return yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const a = yield* Effect.fork(work(client, "acme"))
        expect(yield* Queue.take(w.started)).toBe(1)
        const b = yield* Effect.fork(work(client, "globex"))
        expect(yield* Queue.take(w.started)).toBe(2)
        expect(yield* Effect.flip(work(client, "acme"))).toMatchObject({ code: -32000, data: { _tag: "ConcurrencyLimited" } })
        yield* Deferred.succeed(w.gate, undefined)
        yield* Fiber.join(a)
        yield* Fiber.join(b)
      }).pipe(Effect.provide(TestClient.layerWith(server, auth, w.tool)), Effect.scoped)
    }))

  it("refuses configurations that cannot work; httpStatus ignores other errors", () => {
    expect(() => Concurrency.limit({ max: 0 })).toThrow(/max must be a positive integer/)
    expect(() => Concurrency.limit({ max: 1, onFull: "wait", queue: -1 })).toThrow(/queue must be a non-negative integer/)
    expect(Concurrency.httpStatus({ code: -32000, message: "x", data: { _tag: "RateLimited" } })).toBeUndefined()
    expect(Concurrency.httpStatus({ code: -32603, message: "x" })).toBeUndefined()
  })
})
