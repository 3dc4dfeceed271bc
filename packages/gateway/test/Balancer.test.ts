/**
 * Load balancing across the instances of one backend (issue 12, item 5):
 * the five strategies, eligibility, session affinity (with idle expiry on
 * TestClock), in-flight counting through scopes, and properties (fast-check)
 * of the weighted cycle, round-robin fairness and consistent hashing.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Random, Scope, TestClock } from "effect"
import * as fc from "fast-check"
import * as Balancer from "../src/Balancer.js"

type Inst = { readonly id: string; readonly weight?: number }

const ids = (...names: Array<string>): Array<Inst> => names.map((id) => ({ id }))

/** `n` picks, as ids ("-" for none). */
const picks = (balancer: Balancer.Balancer<Inst>, n: number, options?: Balancer.PickOptions) =>
  Effect.forEach(Array.from({ length: n }), () =>
    Effect.map(balancer.pick(options), Option.match({ onNone: () => "-", onSome: (i) => i.id })))

const count = (xs: ReadonlyArray<string>) => {
  const m = new Map<string, number>()
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1)
  return m
}

const makeSync = (strategy: Balancer.Strategy, instances: ReadonlyArray<Inst>, options: Balancer.Options<Inst> = {}) =>
  Effect.runSync(Balancer.make<Inst>(strategy, { ...options, instances }))

const pickSync = (balancer: Balancer.Balancer<Inst>, options?: Balancer.PickOptions) =>
  Option.getOrElse(Option.map(Effect.runSync(balancer.pick(options)), (i) => i.id), () => "-")

/** Distinct instance ids (arbitrary strings, the empty string included). */
const idArb = (min: number, max: number) => fc.uniqueArray(fc.string({ maxLength: 12 }), { minLength: min, maxLength: max })

describe("round-robin", () => {
  it.effect("takes each instance in turn, skipping ineligible and zero-weight ones", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("round-robin", { instances: [...ids("a", "b", "c"), { id: "z", weight: 0 }] })
      expect(yield* picks(b, 6)).toEqual(["a", "b", "c", "a", "b", "c"])
      expect(yield* picks(b, 4, { eligible: (id) => id !== "b" })).toEqual(["a", "c", "a", "c"])
      expect(yield* picks(b, 1, { eligible: () => false })).toEqual(["-"])
    }))

  it("is fair: over k rounds each eligible instance is picked exactly k times (property)", () => {
    fc.assert(
      fc.property(idArb(1, 8), fc.integer({ min: 1, max: 5 }), fc.func(fc.boolean()), (names, k, elig) => {
        const b = makeSync("round-robin", ids(...names))
        const eligible = new Set(names.filter((n) => elig(n)))
        const got = count(Array.from({ length: eligible.size * k }, () => pickSync(b, { eligible: (id) => eligible.has(id) })))
        if (eligible.size === 0) expect(pickSync(b, { eligible: () => false })).toBe("-")
        for (const id of eligible) expect(got.get(id)).toBe(k)
        expect([...got.keys()].every((id) => eligible.has(id))).toBe(true)
      }),
      { numRuns: 300 }
    )
  })
})

describe("weighted (smooth weighted round-robin, as nginx)", () => {
  it.effect("interleaves 5:1:1 as nginx does: a a b a c a a", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("weighted", { instances: [{ id: "a", weight: 5 }, { id: "b", weight: 1 }, { id: "c", weight: 1 }] })
      expect(yield* picks(b, 14)).toEqual(["a", "a", "b", "a", "c", "a", "a", "a", "a", "b", "a", "c", "a", "a"])
    }))

  it("over every full cycle the counts equal the weights exactly (property)", () => {
    fc.assert(
      fc.property(
        idArb(1, 6).chain((names) => fc.tuple(fc.constant(names), fc.array(fc.integer({ min: 0, max: 10 }), { minLength: names.length, maxLength: names.length }))),
        fc.integer({ min: 1, max: 3 }),
        ([names, weights], cycles) => {
          const instances = names.map((id, i) => ({ id, weight: weights[i]! }))
          const total = weights.reduce((a, b) => a + b, 0)
          const b = makeSync("weighted", instances)
          for (let c = 0; c < cycles; c++) {
            const got = count(Array.from({ length: total }, () => pickSync(b)))
            for (const i of instances) expect(got.get(i.id) ?? 0).toBe(i.weight)
          }
          if (total === 0) expect(pickSync(b)).toBe("-")
        }
      ),
      { numRuns: 300 }
    )
  })

  it.effect("only eligible instances share the picks, in proportion to their weights", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("weighted", { instances: [{ id: "a", weight: 3 }, { id: "b", weight: 1 }, { id: "c", weight: 4 }] })
      const got = count(yield* picks(b, 40, { eligible: (id) => id !== "c" }))
      expect(Object.fromEntries(got)).toEqual({ a: 30, b: 10 })
    }))
})

describe("least-connections", () => {
  it.effect("sends each call to the instance with the fewest in flight; release on scope close", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("least-connections", { instances: ids("a", "b", "c") })
      const scopeA = yield* Scope.make()
      const first = yield* Scope.extend(b.acquire(), scopeA)
      const second = yield* Scope.extend(b.acquire(), scopeA)
      expect([first, second].map((o) => Option.getOrThrow(o).id)).toEqual(["a", "b"])
      expect(Object.fromEntries(yield* b.inFlight)).toEqual({ a: 1, b: 1 })
      // c is idle: it gets the next calls until it catches up.
      const scopeC = yield* Scope.make()
      expect(Option.getOrThrow(yield* Scope.extend(b.acquire(), scopeC)).id).toBe("c")
      // All at one: ties go round-robin from after the last pick.
      expect(Option.getOrThrow(yield* Scope.extend(b.acquire(), scopeC)).id).toBe("a")
      yield* Scope.close(scopeA, Exit.void)
      expect(Object.fromEntries(yield* b.inFlight)).toEqual({ a: 1, c: 1 })
      expect(Option.getOrThrow(yield* b.pick()).id).toBe("b")
      yield* Scope.close(scopeC, Exit.void)
      expect((yield* b.inFlight).size).toBe(0)
    }))

  it.scoped("balances calls in flight per unit of weight", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("least-connections", { instances: [{ id: "big", weight: 3 }, { id: "small", weight: 1 }] })
      const got = count(yield* Effect.forEach(Array.from({ length: 8 }), () => Effect.map(b.acquire(), (o) => Option.getOrThrow(o).id)))
      expect(Object.fromEntries(got)).toEqual({ big: 6, small: 2 })
    }))

  it.effect("ties: `first` always takes the first in order, `random` spreads", () =>
    Effect.gen(function*() {
      const first = yield* Balancer.make<Inst>("least-connections", { instances: ids("a", "b", "c"), ties: "first" })
      expect(yield* picks(first, 3)).toEqual(["a", "a", "a"])
      const random = yield* Balancer.make<Inst>("least-connections", { instances: ids("a", "b", "c"), ties: "random" })
      expect(count(yield* picks(random, 300)).size).toBe(3)
    }))

  it.effect("an id removed while calls are in flight is released cleanly and can come back", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("least-connections", { instances: ids("a", "b") })
      const scope = yield* Scope.make()
      yield* Scope.extend(b.acquire({ eligible: (id) => id === "a" }), scope)
      yield* b.setInstances(ids("b"))
      yield* b.setInstances(ids("a", "b"))
      // a still has its call in flight.
      expect(Option.getOrThrow(yield* b.pick()).id).toBe("b")
      yield* Scope.close(scope, Exit.void)
      expect((yield* b.inFlight).size).toBe(0)
    }))

  it.effect("acquire with nothing eligible holds nothing", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("least-connections", { instances: ids("a") })
      expect(Option.isNone(yield* Effect.scoped(b.acquire({ eligible: () => false })))).toBe(true)
      expect((yield* b.inFlight).size).toBe(0)
    }))
})

describe("random", () => {
  it.effect("picks in proportion to weight, only among eligible, reproducibly for a fixed Random seed", () =>
    Effect.gen(function*() {
      const instances = [{ id: "a", weight: 3 }, { id: "b", weight: 1 }, { id: "x", weight: 5 }]
      // A fresh generator with the same seed for each run.
      const run = Effect.suspend(() =>
        Effect.gen(function*() {
          const b = yield* Balancer.make<Inst>("random", { instances })
          return yield* picks(b, 4000, { eligible: (id) => id !== "x" })
        }).pipe(Effect.withRandom(Random.make("seed")))
      )
      const one = yield* run
      expect(yield* run).toEqual(one)
      const got = count(one)
      expect(got.get("x")).toBeUndefined()
      expect(got.get("a")! / 4000).toBeGreaterThan(0.7)
      expect(got.get("a")! / 4000).toBeLessThan(0.8)
    }))
})

describe("consistent-hash", () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `principal-${i}`)
  const owners = (b: Balancer.Balancer<Inst>, eligible?: (id: string) => boolean) =>
    keys.map((key) => pickSync(b, { key, eligible }))

  it("is deterministic: equal instance sets (in any order) give every key the same instance (property)", () => {
    fc.assert(
      fc.property(idArb(1, 10), fc.array(fc.string(), { minLength: 1, maxLength: 50 }), (names, ks) => {
        const one = makeSync("consistent-hash", ids(...names))
        const two = makeSync("consistent-hash", ids(...[...names].reverse()))
        for (const key of ks) {
          const a = pickSync(one, { key })
          expect(pickSync(one, { key })).toBe(a)
          expect(pickSync(two, { key })).toBe(a)
        }
      }),
      { numRuns: 200 }
    )
  })

  it("adding an instance moves keys only to it, about 1/n of them (at most 2/n + 3%) (property)", () => {
    fc.assert(
      fc.property(idArb(2, 13), (names) => {
        const [added, ...rest] = names as [string, ...Array<string>]
        const b = makeSync("consistent-hash", ids(...rest))
        const before = owners(b)
        Effect.runSync(b.setInstances(ids(...names)))
        const after = owners(b)
        let moved = 0
        after.forEach((owner, i) => {
          if (owner !== before[i]) {
            moved++
            expect(owner).toBe(added)
          }
        })
        expect(moved / keys.length).toBeLessThanOrEqual(2 / names.length + 0.03)
        // And removing it again puts every key back.
        Effect.runSync(b.setInstances(ids(...rest)))
        expect(owners(b)).toEqual(before)
      }),
      { numRuns: 60 }
    )
  })

  it("an ineligible instance hands only its own keys to others (property)", () => {
    fc.assert(
      fc.property(idArb(2, 8), fc.nat(), (names, n) => {
        const down = names[n % names.length]!
        const b = makeSync("consistent-hash", ids(...names))
        const before = owners(b)
        const after = owners(b, (id) => id !== down)
        after.forEach((owner, i) => {
          expect(owner).not.toBe(down)
          if (before[i] !== down) expect(owner).toBe(before[i])
        })
      }),
      { numRuns: 30 }
    )
  })

  it("spreads keys roughly evenly, and by weight", () => {
    const even = count(owners(makeSync("consistent-hash", ids("a", "b", "c", "d"))))
    for (const id of ["a", "b", "c", "d"]) expect(even.get(id)! / keys.length).toBeGreaterThan(0.15)
    const weighted = count(owners(makeSync("consistent-hash", [{ id: "a", weight: 3 }, { id: "b", weight: 1 }, { id: "z", weight: 0 }])))
    expect(weighted.get("a")! / keys.length).toBeGreaterThan(0.65)
    expect(weighted.get("z")).toBeUndefined()
  })

  it.effect("without a key it goes round-robin; with nothing eligible it is None", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("consistent-hash", { instances: ids("a", "b") })
      expect(yield* picks(b, 4)).toEqual(["a", "b", "a", "b"])
      expect(yield* picks(b, 1, { key: "k", eligible: () => false })).toEqual(["-"])
      const empty = yield* Balancer.make<Inst>("consistent-hash")
      expect(yield* picks(empty, 1, { key: "k" })).toEqual(["-"])
    }))
})

describe("session affinity", () => {
  it.effect("pins a session to its instance while it is eligible, then moves the pin", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("round-robin", { instances: ids("a", "b", "c") })
      expect(yield* picks(b, 1, { affinity: "s1" })).toEqual(["a"])
      expect(yield* picks(b, 1, { affinity: "s2" })).toEqual(["b"])
      // Other traffic moves the cursor; the sessions stay.
      yield* picks(b, 5)
      expect(yield* picks(b, 3, { affinity: "s1" })).toEqual(["a", "a", "a"])
      expect(yield* picks(b, 2, { affinity: "s2" })).toEqual(["b", "b"])
      // a's circuit opens: s1 moves, and stays on its new instance.
      const moved = yield* picks(b, 1, { affinity: "s1", eligible: (id) => id !== "a" })
      expect(moved[0]).not.toBe("a")
      expect(yield* picks(b, 2, { affinity: "s1" })).toEqual([moved[0], moved[0]])
      expect(yield* b.pinned("s1")).toEqual(Option.some(moved[0]))
      yield* b.unpin("s1")
      expect(yield* b.pinned("s1")).toEqual(Option.none())
    }))

  it.effect("a drained (weight 0) instance keeps its sessions but gets no new ones; a removed one loses them", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("round-robin", { instances: ids("a", "b") })
      expect(yield* picks(b, 1, { affinity: "s" })).toEqual(["a"])
      yield* b.setInstances([{ id: "a", weight: 0 }, { id: "b" }])
      expect(yield* picks(b, 2, { affinity: "s" })).toEqual(["a", "a"])
      expect(yield* picks(b, 2, { affinity: "new" })).toEqual(["b", "b"])
      yield* b.setInstances(ids("b"))
      expect(yield* picks(b, 1, { affinity: "s" })).toEqual(["b"])
    }))

  it.effect("idle pins are forgotten after affinity.idle (TestClock); at most affinity.max are kept", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("round-robin", { instances: ids("a", "b"), affinity: { idle: "10 minutes", max: 2 } })
      expect(yield* picks(b, 1, { affinity: "s" })).toEqual(["a"])
      yield* TestClock.adjust("9 minutes")
      expect(yield* picks(b, 1, { affinity: "s" })).toEqual(["a"]) // used: idle time restarts
      yield* TestClock.adjust("9 minutes")
      expect(yield* b.pinned("s")).toEqual(Option.some("a"))
      yield* TestClock.adjust("1 minute")
      expect(yield* b.pinned("s")).toEqual(Option.none())
      expect(yield* picks(b, 1, { affinity: "s" })).toEqual(["b"])
      // Capacity 2: the least recently used pin goes first.
      yield* picks(b, 1, { affinity: "t" })
      yield* picks(b, 1, { affinity: "s" })
      yield* picks(b, 1, { affinity: "u" })
      expect(Option.isSome(yield* b.pinned("s"))).toBe(true)
      expect(Option.isSome(yield* b.pinned("u"))).toBe(true)
      expect(yield* b.pinned("t")).toEqual(Option.none())
    }))

  it.scoped("acquire honours affinity and counts the call in flight", () =>
    Effect.gen(function*() {
      const b = yield* Balancer.make<Inst>("least-connections", { instances: ids("a", "b") })
      yield* b.acquire({ affinity: "s" })
      yield* b.acquire({ affinity: "s" })
      expect(Object.fromEntries(yield* b.inFlight)).toEqual({ a: 2 })
    }))
})

describe("configuration", () => {
  it.effect("refuses duplicate ids, bad weights, unknown strategies and bad options, changing nothing", () =>
    Effect.gen(function*() {
      const reason = <A>(e: Effect.Effect<A, Balancer.InvalidBalancerConfig>) => Effect.map(Effect.flip(e), (x) => x.reason)
      expect(yield* reason(Balancer.make<Inst>("round-robin", { instances: ids("a", "a") }))).toMatch(/two instances have the id "a"/)
      for (const weight of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(yield* reason(Balancer.make<Inst>("weighted", { instances: [{ id: "a", weight }] }))).toMatch(/finite number ≥ 0/)
      }
      expect(yield* reason(Balancer.make("fastest" as Balancer.Strategy))).toMatch(/unknown strategy "fastest"/)
      expect(yield* reason(Balancer.make("random", { virtualNodes: 0 }))).toMatch(/virtualNodes/)
      expect(yield* reason(Balancer.make("random", { affinity: { max: 0 } }))).toMatch(/affinity.max/)
      expect(yield* reason(Balancer.make("random", { affinity: { idle: "soon" as never } }))).toMatch(/affinity.idle/)
      const b = yield* Balancer.make<Inst>("round-robin", { instances: ids("a") })
      expect((yield* Effect.flip(b.setInstances([{ id: "b", weight: -2 }])))._tag).toBe("InvalidBalancerConfig")
      expect(yield* b.instances).toEqual(ids("a"))
      expect(Balancer.strategies).toHaveLength(5)
    }))

  it.effect("returns the caller's own instance objects", () =>
    Effect.gen(function*() {
      const instances = [{ id: "a", url: "http://a/mcp" }]
      const b = yield* Balancer.make("random", { instances })
      expect(Option.getOrThrow(yield* b.pick()).url).toBe("http://a/mcp")
    }))
})
