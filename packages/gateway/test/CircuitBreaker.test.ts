/**
 * The circuit breaker of one backend instance (issue 12, item 6): closed →
 * open after N failures in a sliding window (or a failure rate) → half-open
 * after `openFor` (with capped, jittered backoff) → closed after successful
 * probes or open again. Time is driven by TestClock; the safety properties
 * (no call admitted while open before `openFor`, never more than
 * `halfOpenCalls` probes at once) are checked with fast-check over random
 * schedules of calls, outcomes and clock moves.
 */
import { describe, expect, it } from "@effect/vitest"
import { afterAll } from "vitest"
import { Cause, Chunk, Clock, Data, Deferred, Duration, Effect, Exit, Fiber, ManagedRuntime, Option, Queue, Stream, TestClock, TestContext } from "effect"
import * as fc from "fast-check"
import * as CircuitBreaker from "../src/CircuitBreaker.js"

class Boom extends Data.TaggedError("Boom")<{ readonly callerFault?: boolean }> {}

const ok = Effect.succeed("ok")
const boom = (callerFault = false) => Effect.fail(new Boom({ callerFault }))

/** Runs `n` failing calls through the breaker, ignoring their errors. */
const failTimes = <E>(breaker: CircuitBreaker.CircuitBreaker<E | Boom>, n: number) =>
  Effect.forEach(Array.from({ length: n }), () => Effect.either(breaker.run(boom())), { discard: true })

const drain = (q: Queue.Dequeue<CircuitBreaker.Transition>) =>
  Effect.map(Queue.takeAll(q), (c) => Chunk.toReadonlyArray(c).map((t) => `${t.from}->${t.to}`))

describe("closed → open", () => {
  it.scoped("opens after failureThreshold failures within the window, not when they are spread wider", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "search", instance: "search-1", failureThreshold: 3, window: "10 seconds" })
      const changes = yield* breaker.subscribe
      // Three failures 6 s apart: never 3 within 10 s.
      for (let i = 0; i < 4; i++) {
        yield* failTimes(breaker, 1)
        yield* TestClock.adjust("6 seconds")
      }
      expect(yield* breaker.state).toBe("closed")
      // The last failure was 6 s ago; 5 s on it leaves the window.
      yield* TestClock.adjust("5 seconds")
      yield* failTimes(breaker, 2)
      expect(yield* breaker.state).toBe("closed")
      // Successes do not reset the count of failures within the window.
      expect(yield* breaker.run(ok)).toBe("ok")
      yield* TestClock.adjust("5 seconds")
      yield* failTimes(breaker, 1)
      expect(yield* breaker.state).toBe("open")
      expect(yield* drain(changes)).toEqual(["closed->open"])
      const snapshot = yield* breaker.snapshot
      expect(snapshot).toMatchObject({ state: "open", openings: 1 })
      expect(Duration.toMillis(snapshot.retryAfter)).toBe(30_000)
    }))

  it.scoped("opens on a failure rate once minimumCalls calls were made in the window", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({
        backend: "b",
        failureThreshold: 1000,
        window: "10 seconds",
        failureRate: { threshold: 0.5, minimumCalls: 10 }
      })
      // 4 failures of 8 calls: 50%, but too few calls.
      for (let i = 0; i < 4; i++) {
        yield* breaker.run(ok)
        yield* failTimes(breaker, 1)
      }
      expect(yield* breaker.state).toBe("closed")
      // Calls leave the window as time passes.
      yield* TestClock.adjust("11 seconds")
      for (let i = 0; i < 6; i++) yield* breaker.run(ok)
      yield* failTimes(breaker, 4)
      expect(yield* breaker.state).toBe("closed") // 4 of 10
      yield* failTimes(breaker, 2)
      expect(yield* breaker.state).toBe("open") // 6 of 12
    }))

  it.scoped("counts only what isFailure says; defects always count, interruptions never", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "b", failureThreshold: 2, isFailure: (e) => !e.callerFault })
      for (let i = 0; i < 10; i++) yield* Effect.either(breaker.run(boom(true)))
      for (let i = 0; i < 10; i++) yield* Effect.exit(breaker.run(Effect.interrupt))
      expect(yield* breaker.state).toBe("closed")
      yield* Effect.exit(breaker.run(Effect.die("crash")))
      yield* Effect.either(breaker.run(boom()))
      expect(yield* breaker.state).toBe("open")
    }))

  it.scoped("a throwing isFailure counts the failure instead of crashing", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({
        backend: "b",
        failureThreshold: 1,
        isFailure: () => {
          throw new Error("bad predicate")
        }
      })
      expect(Exit.isFailure(yield* Effect.exit(breaker.run(boom())))).toBe(true)
      expect(yield* breaker.state).toBe("open")
    }))
})

describe("open", () => {
  it.scoped("fails fast with CircuitOpenError naming the backend and instance, without running the call", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "search", instance: "search-1", failureThreshold: 1, openFor: "20 seconds" })
      yield* failTimes(breaker, 1)
      yield* TestClock.adjust("5 seconds")
      let ran = false
      const error = yield* Effect.flip(breaker.run(Effect.sync(() => (ran = true))))
      expect(ran).toBe(false)
      expect(error).toBeInstanceOf(CircuitBreaker.CircuitOpenError)
      expect(error).toMatchObject({ _tag: "CircuitOpenError", backend: "search", instance: "search-1", state: "open" })
      expect(Duration.toMillis((error as CircuitBreaker.CircuitOpenError).retryAfter)).toBe(15_000)
      expect(error.message).toBe(`Backend "search" (instance "search-1") is unavailable: circuit open, retry after 15 s`)
      expect(breaker.unsafeAvailable()).toBe(false)
    }))

  it.scoped("turns half-open after openFor on its own (the change is published without any call)", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "b", failureThreshold: 1, openFor: "10 seconds" })
      const changes = yield* breaker.subscribe
      yield* failTimes(breaker, 1)
      yield* TestClock.adjust("9999 millis")
      expect(breaker.unsafeState()).toBe("open")
      yield* TestClock.adjust("1 millis")
      const transition = yield* Effect.map(Queue.takeAll(changes), Chunk.toReadonlyArray)
      expect(transition.map((t) => `${t.from}->${t.to}`)).toEqual(["closed->open", "open->half-open"])
      expect(transition[0]).toMatchObject({ backend: "b", at: 0, openings: 1, reason: "1 failure(s) within 1m" })
      expect(Duration.toMillis(transition[0]!.openFor!)).toBe(10_000)
      expect(transition[1]!.at).toBe(10_000)
      expect(breaker.unsafeAvailable()).toBe(true)
    }))

  it.scoped("the changes stream delivers transitions for as long as it runs", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "b", failureThreshold: 1, openFor: "1 second" })
      const collected = yield* Effect.fork(Stream.runCollect(Stream.take(breaker.changes, 3)))
      const states = yield* Effect.fork(Stream.runCollect(Stream.take(breaker.states, 4)))
      // TestClock.adjust first waits for the forked fibers to suspend, i.e. to have subscribed.
      yield* TestClock.adjust(0)
      yield* failTimes(breaker, 1)
      yield* TestClock.adjust("1 second")
      yield* breaker.run(ok)
      const all = Chunk.toReadonlyArray(yield* Fiber.join(collected))
      expect(all.map((t) => t.to)).toEqual(["open", "half-open", "closed"])
      expect(Chunk.toReadonlyArray(yield* Fiber.join(states))).toEqual(["closed", "open", "half-open", "closed"])
    }))

  it.scoped("states starts with the current state, so a late consumer misses nothing", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "b", failureThreshold: 1, openFor: "1 second" })
      yield* failTimes(breaker, 1)
      expect(Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(breaker.states, 1)))).toEqual(["open"])
    }))
})

describe("half-open", () => {
  it.scoped("lets halfOpenCalls probes through at once, refuses the rest, closes when they all succeed", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "b", failureThreshold: 1, openFor: "1 second", halfOpenCalls: 2 })
      yield* failTimes(breaker, 1)
      yield* TestClock.adjust("1 second")
      const gate = yield* Deferred.make<void>()
      const probes = yield* Effect.forEach([1, 2], () => Effect.fork(breaker.run(Deferred.await(gate))))
      yield* Effect.yieldNow()
      const refused = yield* Effect.flip(breaker.run(ok))
      expect(refused).toMatchObject({ _tag: "CircuitOpenError", state: "half-open" })
      expect(refused.message).toBe(`Backend "b" is unavailable: circuit half-open, probe calls in progress`)
      expect(breaker.unsafeAvailable()).toBe(false)
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(probes, Fiber.join)
      expect(yield* breaker.state).toBe("closed")
      expect((yield* breaker.snapshot).openings).toBe(0)
    }))

  it.scoped("a failed probe opens again, for longer with backoff (capped), never shorter than openFor", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({
        backend: "b",
        failureThreshold: 1,
        openFor: "1 second",
        backoff: { factor: 2, max: "5 seconds", jitter: 0 }
      })
      const changes = yield* breaker.subscribe
      yield* failTimes(breaker, 1)
      const lengths: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const opened = (yield* Queue.take(changes))
        expect(opened.to).toBe("open")
        lengths.push(Duration.toMillis(opened.openFor!))
        yield* TestClock.adjust(opened.openFor!)
        expect((yield* Queue.take(changes)).to).toBe("half-open")
        yield* failTimes(breaker, 1)
      }
      expect(lengths).toEqual([1000, 2000, 4000, 5000, 5000])
      // A success closes and forgets the backoff.
      yield* TestClock.adjust("5 seconds")
      yield* breaker.run(ok)
      yield* failTimes(breaker, 1)
      expect(Duration.toMillis((yield* breaker.snapshot).retryAfter)).toBe(1000)
    }))

  it.scoped("jitter lengthens open periods by at most its share, within the cap, and still varies at the cap", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "b", failureThreshold: 1, openFor: "10 seconds", backoff: { factor: 1, jitter: 0.5, max: "12 seconds" } })
      const seen = new Set<number>()
      for (let i = 0; i < 20; i++) {
        yield* breaker.trip()
        const ms = Duration.toMillis((yield* breaker.snapshot).retryAfter)
        expect(ms).toBeGreaterThanOrEqual(10_000)
        expect(ms).toBeLessThanOrEqual(12_000)
        seen.add(ms)
        yield* breaker.reset
      }
      expect(seen.size).toBeGreaterThan(15)
      // Repeated failed probes reach the cap (4 s): periods keep varying below it, above openFor.
      const backoff = yield* CircuitBreaker.make<Boom>({ backend: "c", openFor: "1 second", backoff: { factor: 2, jitter: 0.5, max: "4 seconds" } })
      const atCap = new Set<number>()
      for (let i = 0; i < 30; i++) {
        yield* backoff.trip()
        const ms = Duration.toMillis((yield* backoff.snapshot).retryAfter)
        expect(ms).toBeGreaterThanOrEqual(1000)
        expect(ms).toBeLessThanOrEqual(4000)
        if (i >= 3) atCap.add(ms)
        yield* TestClock.adjust(Duration.millis(ms))
        expect(yield* backoff.state).toBe("half-open")
      }
      expect(atCap.size).toBeGreaterThan(20)
    }))

  it.scoped("an interrupted probe frees its slot; outcomes of calls admitted before a change are ignored", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "b", failureThreshold: 1, openFor: "1 second" })
      // A slow call admitted while closed...
      const slowGate = yield* Deferred.make<void>()
      const slow = yield* Effect.fork(breaker.run(Deferred.await(slowGate)))
      yield* Effect.yieldNow()
      yield* failTimes(breaker, 1)
      yield* TestClock.adjust("1 second")
      // ...succeeding while half-open is not a probe: still half-open.
      yield* Deferred.succeed(slowGate, undefined)
      yield* Fiber.join(slow)
      expect(yield* breaker.state).toBe("half-open")
      const probe = yield* Effect.fork(breaker.run(Effect.never))
      yield* Effect.yieldNow()
      expect(breaker.unsafeAvailable()).toBe(false)
      yield* Fiber.interrupt(probe)
      expect(breaker.unsafeAvailable()).toBe(true)
      expect(yield* breaker.run(ok)).toBe("ok")
      expect(yield* breaker.state).toBe("closed")
    }))
})

describe("passive outcomes and manual control", () => {
  it.scoped("recordFailure opens like failed calls; recordSuccess in half-open counts as a probe; trip and reset", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make<Boom>({ backend: "b", failureThreshold: 2, openFor: "1 second", halfOpenCalls: 2 })
      yield* breaker.recordFailure
      yield* breaker.recordFailure
      expect(yield* breaker.state).toBe("open")
      yield* breaker.recordSuccess // ignored while open
      yield* TestClock.adjust("1 second")
      yield* breaker.recordSuccess
      expect(yield* breaker.state).toBe("half-open")
      yield* breaker.recordSuccess
      expect(yield* breaker.state).toBe("closed")
      yield* breaker.trip("health check failed")
      expect(yield* breaker.snapshot).toMatchObject({ state: "open", openings: 1 })
      yield* breaker.reset
      expect(yield* breaker.run(ok)).toBe("ok")
      expect(yield* breaker.state).toBe("closed")
    }))
})

describe("configuration", () => {
  it.scoped("refuses invalid options", () =>
    Effect.gen(function*() {
      const bad: Array<[CircuitBreaker.Options, RegExp]> = [
        [{ backend: "b", failureThreshold: 0 }, /failureThreshold/],
        [{ backend: "b", failureThreshold: 1.5 }, /failureThreshold/],
        [{ backend: "b", halfOpenCalls: 0 }, /halfOpenCalls/],
        [{ backend: "b", window: 0 }, /window/],
        [{ backend: "b", window: Duration.infinity }, /window must be finite/],
        [{ backend: "b", openFor: "whenever" as never }, /openFor is not a duration/],
        [{ backend: "b", failureRate: { threshold: 0 } }, /failureRate.threshold/],
        [{ backend: "b", failureRate: { threshold: 1.5 } }, /failureRate.threshold/],
        [{ backend: "b", failureRate: { threshold: 0.5, minimumCalls: 0 } }, /minimumCalls/],
        [{ backend: "b", backoff: { factor: 0.5 } }, /backoff.factor/],
        [{ backend: "b", backoff: { jitter: 2 } }, /backoff.jitter/],
        [{ backend: 1 as never }, /backend/]
      ]
      for (const [options, reason] of bad) {
        const error = yield* Effect.flip(CircuitBreaker.make(options))
        expect(error._tag).toBe("InvalidBreakerConfig")
        expect(error.reason).toMatch(reason)
      }
    }))
})

// ---------------------------------------------------------------------------
// Properties over random schedules.

type Op =
  | { readonly _tag: "start" }
  | { readonly _tag: "finish"; readonly index: number; readonly fail: boolean }
  | { readonly _tag: "quick"; readonly fail: boolean }
  | { readonly _tag: "advance"; readonly millis: number }
  | { readonly _tag: "passive"; readonly fail: boolean }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ _tag: "start" as const }) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("finish" as const), index: fc.nat(), fail: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("quick" as const), fail: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("advance" as const), millis: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("passive" as const), fail: fc.boolean() }) }
)

const configArb = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 4 }),
  halfOpenCalls: fc.integer({ min: 1, max: 3 }),
  openFor: fc.integer({ min: 1, max: 2000 }),
  window: fc.integer({ min: 1, max: 5000 }),
  factor: fc.constantFrom(1, 1.5, 2),
  jitter: fc.constantFrom(0, 0.3)
})

// One test runtime for all property runs (building TestContext costs tens of
// milliseconds); its TestClock moves on from run to run, and the checks use
// differences of times only. Each run's breaker and fibers end with its scope.
const testRuntime = ManagedRuntime.make(TestContext.TestContext)
afterAll(() => testRuntime.dispose())

describe("safety properties (fast-check, TestClock)", () => {
  it("never admits a call while open before openFor elapsed, never more than halfOpenCalls probes at once", async () => {
    // How much of the state space the random schedules reached, over all runs.
    const coverage = { probes: 0, fullHalfOpen: 0, refusedOpen: 0, reopened: 0, closedAgain: 0 }
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(opArb, { minLength: 20, maxLength: 80, size: "max" }), (config, ops) =>
        testRuntime.runPromise(
          Effect.gen(function*() {
            const breaker = yield* CircuitBreaker.make<Boom>({
              backend: "p",
              failureThreshold: config.failureThreshold,
              halfOpenCalls: config.halfOpenCalls,
              openFor: Duration.millis(config.openFor),
              window: Duration.millis(config.window),
              backoff: { factor: config.factor, jitter: config.jitter, max: "3 seconds" }
            })
            const changes = yield* breaker.subscribe
            const log: Array<CircuitBreaker.Transition> = []
            // Probes admitted in each half-open episode (by its index in `log`) still running.
            const probesRunning = new Map<number, number>()
            let admitted = 0

            // Checks run inside call fibers too, whose failures nobody joins: collect them.
            const violations: Array<string> = []
            const check = (ok: boolean, what: string) => {
              if (!ok) violations.push(what)
            }

            const sync = Effect.map(Queue.takeAll(changes), (c) => {
              for (const t of c) {
                const previous = log[log.length - 1]
                // open → half-open only after the open period, which is at least openFor.
                if (t.to === "half-open") {
                  check(previous?.to === "open", `half-open after ${previous?.to}`)
                  const openedFor = previous === undefined ? 0 : t.at - previous.at
                  check(openedFor >= config.openFor, `open for ${openedFor} ms < openFor`)
                  check(openedFor >= Duration.toMillis(previous?.openFor ?? Duration.zero), `open for ${openedFor} ms < its period`)
                }
                if (t.to === "open") check(Duration.toMillis(t.openFor!) >= config.openFor, "open period shorter than openFor")
                log.push(t)
              }
            })

            /** The call body: checks the state it was admitted in. */
            const body = (gate: Effect.Effect<void, Boom>) =>
              Effect.gen(function*() {
                yield* sync
                admitted++
                const now = yield* Clock.currentTimeMillis
                const last = log[log.length - 1]
                // Never admitted while open (the last change before now is not to `open`).
                check(last?.to !== "open", `admitted while open (${now - (last?.at ?? 0)} ms after opening)`)
                if (last?.to === "half-open") {
                  const episode = log.length - 1
                  const running = (probesRunning.get(episode) ?? 0) + 1
                  check(running <= config.halfOpenCalls, `${running} probes at once`)
                  coverage.probes++
                  if (running === config.halfOpenCalls) coverage.fullHalfOpen++
                  probesRunning.set(episode, running)
                  return yield* gate.pipe(Effect.ensuring(Effect.sync(() => probesRunning.set(episode, probesRunning.get(episode)! - 1))))
                }
                return yield* gate
              })

            const running: Array<{ gate: Deferred.Deferred<void, Boom>; fiber: Fiber.RuntimeFiber<void, Boom | CircuitBreaker.CircuitOpenError> }> = []
            for (const op of ops) {
              switch (op._tag) {
                case "start": {
                  const gate = yield* Deferred.make<void, Boom>()
                  const started = yield* Deferred.make<void>()
                  const fiber = yield* Effect.fork(breaker.run(Effect.zipRight(Deferred.succeed(started, undefined), body(Deferred.await(gate)))))
                  yield* Effect.raceFirst(Deferred.await(started), Fiber.await(fiber))
                  running.push({ gate, fiber })
                  break
                }
                case "finish": {
                  if (running.length === 0) break
                  const [call] = running.splice(op.index % running.length, 1)
                  yield* (op.fail ? Deferred.fail(call!.gate, new Boom({})) : Deferred.succeed(call!.gate, undefined))
                  yield* Fiber.await(call!.fiber)
                  break
                }
                case "quick": {
                  const exit = yield* Effect.exit(breaker.run(body(op.fail ? Effect.fail(new Boom({})) : Effect.void)))
                  if (Exit.isFailure(exit) && Option.exists(Cause.failureOption(exit.cause), (e) => e._tag === "CircuitOpenError" && e.state === "open")) coverage.refusedOpen++
                  break
                }
                case "advance":
                  yield* TestClock.adjust(Duration.millis(op.millis))
                  break
                case "passive":
                  yield* (op.fail ? breaker.recordFailure : breaker.recordSuccess)
                  break
              }
              yield* sync
              expect(violations).toEqual([])
              // The state agrees with the last published change.
              expect(yield* breaker.state).toBe(log[log.length - 1]?.to ?? "closed")
            }
            yield* Effect.forEach(running, (c) => Fiber.interrupt(c.fiber), { discard: true })
            coverage.reopened += log.filter((t) => t.from === "half-open" && t.to === "open").length
            coverage.closedAgain += log.filter((t) => t.from === "half-open" && t.to === "closed").length
            return admitted
          }).pipe(Effect.scoped)
        ).then(() => undefined)
      ),
      { numRuns: 100 }
    )
    for (const [what, n] of Object.entries(coverage)) expect(n, what).toBeGreaterThan(10)
  }, 120_000)

  it("retryAfter of a refused call is exactly the time left until half-open (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 99_999 }), (openFor, elapsed) =>
        testRuntime.runPromise(
          Effect.gen(function*() {
            const breaker = yield* CircuitBreaker.make<Boom>({ backend: "p", failureThreshold: 1, openFor: Duration.millis(openFor) })
            yield* failTimes(breaker, 1)
            yield* TestClock.adjust(Duration.millis(elapsed))
            const result = yield* Effect.either(breaker.run(ok))
            if (elapsed < openFor) {
              expect(Option.getOrThrow(Option.map(Option.fromNullable(result._tag === "Left" ? result.left : undefined), (e) => e._tag))).toBe("CircuitOpenError")
              if (result._tag === "Left" && result.left._tag === "CircuitOpenError") {
                expect(Duration.toMillis(result.left.retryAfter)).toBe(openFor - elapsed)
              }
            } else {
              expect(result._tag).toBe("Right")
            }
          }).pipe(Effect.scoped)
        )
      ),
      { numRuns: 100 }
    )
  }, 120_000)
})
