/**
 * The result cache through a real server and client: repeated identical
 * calls are answered without running the handler, per caller unless shared,
 * until the TTL ends; `isError` results (spec 2025-11-25 server/tools "Error
 * Handling") and errors are never stored; identical concurrent calls run
 * once, and a cancelled shared execution is run again by a waiting call.
 */
import { describe, expect, it } from "@effect/vitest"
import { Middleware, Resource, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Deferred, Effect, Fiber, Schema, TestClock } from "effect"
import * as Cache from "../src/internal/cache.js"
import { auth } from "./support/metaPrincipal.js"
import * as ResultCache from "../src/ResultCache.js"


/** `tools/call` of `name` with `args`, as `subject` when given. */
const call = (client: TestClient.TestClient["Type"], name: string, args: Record<string, unknown>, subject?: string) =>
  client.request("tools/call", { name, arguments: args, ...(subject === undefined ? {} : { _meta: { "test/subject": subject } }) })

const server = { name: "cache", version: "1" }

/** A `lookup` tool counting its runs, answering `<n>: <query>`; `fail` makes it fail (an `isError` result). */
const makeLookup = (cache: Middleware.Middleware<never, unknown>, gate?: Deferred.Deferred<void>) => {
  const runs = { count: 0 }
  const tool = Tool.make("lookup", {
    input: Schema.Struct({ query: Schema.String, options: Schema.optional(Schema.Struct({ a: Schema.Number, b: Schema.Number })), fail: Schema.optional(Schema.Boolean) }),
    middleware: [cache],
    handler: ({ fail, query }) =>
      Effect.gen(function*() {
        const n = ++runs.count
        if (gate !== undefined) yield* Deferred.await(gate)
        if (fail === true) return yield* Effect.fail(`failure ${n}`)
        return `${n}: ${query}`
      })
  })
  return { runs, tool }
}

const text = (result: { readonly content?: unknown }) => (result.content as ReadonlyArray<{ readonly text: string }>)[0]!.text

describe("ResultCache", () => {
  it.scoped("a second identical call (arguments in any key order) does not run the handler; other arguments do", () => {
    const { runs, tool } = makeLookup(ResultCache.make({ ttl: "1 minute" }))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(text(yield* call(client, "lookup", { query: "x", options: { a: 1, b: 2 } }))).toBe("1: x")
      expect(text(yield* call(client, "lookup", { options: { b: 2, a: 1 }, query: "x" }))).toBe("1: x")
      expect(runs.count).toBe(1)
      expect(text(yield* call(client, "lookup", { query: "x", options: { a: 1, b: 3 } }))).toBe("2: x")
      expect(text(yield* call(client, "lookup", { query: "y" }))).toBe("3: y")
      expect(text(yield* call(client, "lookup", { query: "y" }))).toBe("3: y")
      expect(runs.count).toBe(3)
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)))
  })

  it.scoped("results are per caller: another principal runs the handler and never sees the first one's result", () => {
    const { runs, tool } = makeLookup(ResultCache.make({ ttl: "1 minute" }))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(text(yield* call(client, "lookup", { query: "x" }, "alice"))).toBe("1: x")
      expect(text(yield* call(client, "lookup", { query: "x" }, "bob"))).toBe("2: x")
      expect(text(yield* call(client, "lookup", { query: "x" }, "alice"))).toBe("1: x")
      expect(text(yield* call(client, "lookup", { query: "x" }, "bob"))).toBe("2: x")
      expect(runs.count).toBe(2)
    }).pipe(Effect.provide(TestClient.layerWith(server, auth, tool)))
  })

  it.scoped("partition: shared caches a public tool's result for everyone", () => {
    const { runs, tool } = makeLookup(ResultCache.make({ ttl: "1 minute", partition: ResultCache.shared }))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* call(client, "lookup", { query: "x" }, "alice")
      expect(text(yield* call(client, "lookup", { query: "x" }, "bob"))).toBe("1: x")
      expect(runs.count).toBe(1)
    }).pipe(Effect.provide(TestClient.layerWith(server, auth, tool)))
  })

  it.scoped("a result expires after its TTL", () => {
    const { runs, tool } = makeLookup(ResultCache.make({ ttl: "10 seconds" }))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* call(client, "lookup", { query: "x" })
      yield* TestClock.adjust("9999 millis")
      expect(text(yield* call(client, "lookup", { query: "x" }))).toBe("1: x")
      yield* TestClock.adjust("1 millis")
      expect(text(yield* call(client, "lookup", { query: "x" }))).toBe("2: x")
      expect(runs.count).toBe(2)
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)))
  })

  it.scoped("isError results and JSON-RPC errors are not cached", () => {
    const { runs, tool } = makeLookup(ResultCache.make({ ttl: "1 minute" }))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(yield* call(client, "lookup", { query: "x", fail: true })).toMatchObject({ isError: true, content: [{ text: "failure 1" }] })
      expect(yield* call(client, "lookup", { query: "x", fail: true })).toMatchObject({ isError: true, content: [{ text: "failure 2" }] })
      expect(runs.count).toBe(2)
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)))
  })

  it.scoped("other methods pass through; resources/read is cached when asked", () => {
    let reads = 0
    const resource = Resource.make({
      uri: "x://clock",
      name: "clock",
      middleware: [ResultCache.make({ ttl: "1 minute", methods: ["resources/read"] })],
      read: () => Effect.sync(() => Resource.text(`read ${++reads}`))
    })
    const { runs, tool } = makeLookup(ResultCache.make({ ttl: "1 minute", methods: ["resources/read"] }))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(yield* client.request("resources/read", { uri: "x://clock" })).toMatchObject({ contents: [{ text: "read 1" }] })
      expect(yield* client.request("resources/read", { uri: "x://clock" })).toMatchObject({ contents: [{ text: "read 1" }] })
      // This cache is not for tools/call.
      yield* call(client, "lookup", { query: "x" })
      yield* call(client, "lookup", { query: "x" })
      expect([reads, runs.count]).toEqual([1, 2])
    }).pipe(Effect.provide(TestClient.layerWith(server, resource, tool)))
  })

  it.live("identical concurrent calls run the handler once and all get its result", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { runs, tool } = makeLookup(ResultCache.make({ ttl: "1 minute" }), gate)
      const arrivals = yield* arrivalsOf(5)
      return yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const calls = yield* Effect.fork(Effect.all(Array.from({ length: 5 }, () => call(client, "lookup", { query: "x" })), { concurrency: "unbounded" }))
        yield* Deferred.await(arrivals.all)
        yield* Effect.sleep("20 millis")
        yield* Deferred.succeed(gate, undefined)
        const results = yield* Fiber.join(calls)
        expect(results.map(text)).toEqual(["1: x", "1: x", "1: x", "1: x", "1: x"])
        expect(runs.count).toBe(1)
      }).pipe(Effect.provide(TestClient.layerWith(server, arrivals.middleware, tool)), Effect.scoped)
    }))

  it.live("a shared execution cancelled by its caller is run again by a waiting call, which is answered", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { runs, tool } = makeLookup(ResultCache.make({ ttl: "1 minute" }), gate)
      const arrivals = yield* arrivalsOf(2)
      return yield* Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const first = yield* Effect.fork(call(client, "lookup", { query: "x" }))
        const second = yield* Effect.fork(call(client, "lookup", { query: "x" }))
        yield* Deferred.await(arrivals.all)
        yield* Effect.sleep("20 millis")
        expect(runs.count).toBe(1)
        yield* Fiber.interrupt(first)
        yield* Deferred.succeed(gate, undefined)
        expect(text(yield* Fiber.join(second))).toBe("2: x")
        expect(runs.count).toBe(2)
        // Its result is now cached.
        expect(text(yield* call(client, "lookup", { query: "x" }))).toBe("2: x")
      }).pipe(Effect.provide(TestClient.layerWith(server, arrivals.middleware, tool)), Effect.scoped)
    }))

  it.effect("a task-augmented call or a 2026-07-28 retry with inputResponses/requestState is never cached", () =>
    Effect.gen(function*() {
      const cache = ResultCache.make({ ttl: "1 minute" })
      let runs = 0
      const next = Effect.sync(() => ({ content: [{ type: "text", text: `run ${++runs}` }] }))
      const request = (extra: Record<string, unknown>) =>
        ({ method: "tools/call", params: { name: "lookup", arguments: { query: "x" }, ...extra }, primitive: { kind: "tool", name: "lookup" } }) as never
      // `apply` is typed for any middleware (it may need anything); this one needs nothing to run alone.
      const run = (extra: Record<string, unknown>) => cache.apply(request(extra), next) as Effect.Effect<unknown>
      for (const extra of [{ task: { ttl: 1000 } }, { inputResponses: { "input-1": {} } }, { requestState: "sealed" }]) {
        const before = runs
        yield* run(extra)
        yield* run(extra)
        expect(runs - before).toBe(2)
      }
      // The same call without them is cached.
      yield* run({})
      expect(yield* run({})).toEqual({ content: [{ type: "text", text: `run ${runs}` }] })
    }))

  it("the store is bounded (least recently used out) and canonical JSON sorts keys at every depth", () => {
    const store = new Cache.Store(2)
    store.set("a", { v: 1 }, 100)
    store.set("b", { v: 2 }, 100)
    expect(store.get("a", 0)).toEqual({ v: 1 })
    store.set("c", { v: 3 }, 100)
    expect([store.get("a", 0), store.get("b", 0), store.get("c", 0)]).toEqual([{ v: 1 }, undefined, { v: 3 }])
    expect(store.get("a", 100)).toBeUndefined()
    expect(store.size).toBe(1)
    expect(Cache.canonical({ b: [{ d: 1, c: 2 }], a: null })).toBe(`{"a":null,"b":[{"c":2,"d":1}]}`)
    expect(Cache.digest(["a", "bc"])).not.toBe(Cache.digest(["ab", "c"]))
  })

  it("refuses configurations that cannot work", () => {
    expect(() => ResultCache.make({ ttl: 0 })).toThrow(/ttl must be a positive duration/)
    expect(() => ResultCache.make({ ttl: "1 second", maxEntries: 0 })).toThrow(/maxEntries/)
  })
})

/** A global middleware that completes `all` once `n` tools/call requests have reached it. */
const arrivalsOf = (n: number) =>
  Effect.map(Deferred.make<void>(), (all) => {
    let seen = 0
    const middleware = Middleware.make("arrivals", (request, next) =>
      request.method === "tools/call"
        ? Effect.zipRight(Effect.suspend(() => ++seen === n ? Deferred.succeed(all, undefined) : Effect.void), next)
        : next)
    return { all, middleware }
  })
