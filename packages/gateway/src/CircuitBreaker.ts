/**
 * A circuit breaker for one backend instance (issue 12, item 6).
 *
 * - **closed**: calls go through; failures are counted over a sliding
 *   `window`. `failureThreshold` failures within the window open the
 *   circuit; so does, when `failureRate` is set, a share of failed calls at
 *   or above `failureRate.threshold` once at least `failureRate.minimumCalls`
 *   calls were made in the window (counted in ten buckets of `window / 10`).
 * - **open**: `run` fails at once with `CircuitOpenError` (naming the backend
 *   and instance, with `retryAfter`): no caller waits on a dead instance.
 *   After `openFor` the circuit turns half-open. With `backoff`, each
 *   opening that follows a failed probe lasts `factor` times longer, capped
 *   at `max`, plus up to `jitter` of it at random (so replicas do not probe
 *   in step; near the cap the random share is taken below it). An open
 *   period is never shorter than `openFor` nor longer than `max`.
 * - **half-open**: at most `halfOpenCalls` probe calls go through (others
 *   get `CircuitOpenError`); when all of them succeed the circuit closes,
 *   the first failure opens it again. A probe interrupted by its caller
 *   frees its slot for another.
 *
 * What counts as a failure: every typed failure by default, narrowed by
 * `isFailure(error)` (errors that are the caller's fault, say, count as
 * successes: the instance answered). Defects always count; interruption
 * never does. Outcomes of calls admitted before the last state change are
 * ignored. Put timeouts inside `run` (`breaker.run(call.pipe(Effect.timeout(…)))`)
 * so a hanging instance counts as failing.
 *
 * Passive outlier detection and active health checks feed the same state
 * with `recordSuccess` / `recordFailure` (a success in half-open counts as a
 * successful probe); `trip` and `reset` force it open or closed.
 *
 * State changes are published to `changes` / `subscribe` (for logs and
 * metrics) and `states` (the current state, then each new one: for
 * withdrawing a backend's tools); the open → half-open change happens on
 * time, driven by Effect's `Clock` (so `TestClock` drives it in tests), even
 * when no call comes. `unsafeAvailable()` answers synchronously whether a
 * call would be admitted now, which is what `Balancer`'s `eligible` wants.
 *
 * @example
 * import { CircuitBreaker } from "@emcee/gateway"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const breaker = yield* CircuitBreaker.make({
 *     backend: "search", instance: "search-1",
 *     failureThreshold: 5, window: "30 seconds", openFor: "10 seconds",
 *     backoff: { factor: 2, max: "5 minutes", jitter: 0.2 }
 *   })
 *   const result = yield* breaker.run(callTool.pipe(Effect.timeout("5 seconds")))
 * }).pipe(Effect.scoped)
 *
 * @since 0.4.0
 */
import { Cause, Data, Duration, Effect, FiberSet, Queue, Random, Stream } from "effect"
import type { Scope } from "effect"
import { mulberry32 } from "./internal/prng.js"

/**
 * The state of a circuit.
 *
 * @since 0.4.0
 */
export type State = "closed" | "open" | "half-open"

/**
 * A state change: when (`at`, epoch milliseconds of Effect's `Clock`), why,
 * and for openings how long the circuit stays open.
 *
 * @since 0.4.0
 */
export interface Transition {
  readonly backend: string
  readonly instance?: string | undefined
  readonly from: State
  readonly to: State
  readonly at: number
  readonly reason: string
  /** For a change to `open`: how long until half-open. */
  readonly openFor?: Duration.Duration | undefined
  /** Consecutive openings without closing in between (1 for the first). */
  readonly openings: number
}

/**
 * Options of `make`.
 *
 * @since 0.4.0
 */
export interface Options<E = unknown> {
  /** The logical backend, named in errors and transitions. */
  readonly backend: string
  /** The instance of the backend, if there are several. */
  readonly instance?: string | undefined
  /** Failures within `window` that open the circuit (default 5). */
  readonly failureThreshold?: number | undefined
  /** The sliding window failures are counted in (default 1 minute). */
  readonly window?: Duration.DurationInput | undefined
  /** Also open when this share (0 < threshold ≤ 1) of at least `minimumCalls` (default 10) calls in the window failed. */
  readonly failureRate?: { readonly threshold: number; readonly minimumCalls?: number | undefined } | undefined
  /** How long the circuit stays open before probing (default 30 seconds). */
  readonly openFor?: Duration.DurationInput | undefined
  /**
   * Longer open periods after failed probes: `openFor × factor^(n-1)` for the
   * n-th consecutive opening (factor default 2), capped at `max` (default 5
   * minutes, never below `openFor`), plus a random share up to `jitter`
   * (0–1, default 0.1) of it, taken below the cap near it. Off by default.
   */
  readonly backoff?:
    | {
      readonly factor?: number | undefined
      readonly max?: Duration.DurationInput | undefined
      readonly jitter?: number | undefined
    }
    | undefined
  /** Probe calls let through while half-open (default 1). */
  readonly halfOpenCalls?: number | undefined
  /** Whether a typed failure counts against the instance (default: every failure). */
  readonly isFailure?: ((error: E) => boolean) | undefined
}

/**
 * A call refused because the circuit of `backend` (`instance`) is open, or
 * half-open with all probe slots taken. `retryAfter` is the time left until
 * half-open (zero when half-open).
 *
 * @since 0.4.0
 */
export class CircuitOpenError extends Data.TaggedError("CircuitOpenError")<{
  readonly backend: string
  readonly instance?: string | undefined
  readonly state: "open" | "half-open"
  readonly retryAfter: Duration.Duration
}> {
  override get message() {
    const who = this.instance === undefined ? `"${this.backend}"` : `"${this.backend}" (instance "${this.instance}")`
    const seconds = Math.round(Duration.toMillis(this.retryAfter)) / 1000
    return this.state === "open"
      ? `Backend ${who} is unavailable: circuit open, retry after ${seconds} s`
      : `Backend ${who} is unavailable: circuit half-open, probe calls in progress`
  }
}

/**
 * Options refused by `make`.
 *
 * @since 0.4.0
 */
export class InvalidBreakerConfig extends Data.TaggedError("InvalidBreakerConfig")<{ readonly reason: string }> {
  override get message() {
    return `Invalid circuit breaker configuration: ${this.reason}`
  }
}

/**
 * A snapshot of a breaker, for metrics and statistics.
 *
 * @since 0.4.0
 */
export interface Snapshot {
  readonly state: State
  /** Failures among the last `failureThreshold` that are still within the window. */
  readonly failures: number
  /** Calls and failed calls in the window's buckets (approximate, as used by `failureRate`). */
  readonly calls: number
  readonly failedCalls: number
  readonly openings: number
  /** Time left until half-open, zero unless open. */
  readonly retryAfter: Duration.Duration
}

/**
 * A circuit breaker whose calls fail with errors of (a subtype of) `E`.
 *
 * @since 0.4.0
 */
export interface CircuitBreaker<E = unknown> {
  readonly backend: string
  readonly instance: string | undefined
  /** Runs `effect` if the circuit admits it, recording its outcome. */
  readonly run: <A, E1 extends E, R>(effect: Effect.Effect<A, E1, R>) => Effect.Effect<A, E1 | CircuitOpenError, R>
  /** The current state. */
  readonly state: Effect.Effect<State>
  /** The current state, synchronously. */
  readonly unsafeState: () => State
  /** Whether `run` would admit a call now (closed, or half-open with a free probe slot). */
  readonly unsafeAvailable: () => boolean
  readonly snapshot: Effect.Effect<Snapshot>
  /**
   * State changes from when the stream starts running (changes before its
   * subscription is in place are not seen; see `subscribe` and `states`).
   */
  readonly changes: Stream.Stream<Transition>
  /** The current state, then each new state: what a consumer keeping a view in sync wants (nothing is missed). */
  readonly states: Stream.Stream<State>
  /** State changes from now on, into a queue that lives as long as the scope. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<Transition>, never, Scope.Scope>
  /** Records a success observed elsewhere (a passing health check, passive detection). */
  readonly recordSuccess: Effect.Effect<void>
  /** Records a failure observed elsewhere (a failing health check, passive detection). */
  readonly recordFailure: Effect.Effect<void>
  /** Opens the circuit now (no-op when open). */
  readonly trip: (reason?: string) => Effect.Effect<void>
  /** Closes the circuit now, forgetting failures and backoff. */
  readonly reset: Effect.Effect<void>
}

type Outcome = "success" | "failure" | "ignored"

interface Ticket {
  readonly generation: number
  readonly probe: boolean
}

const buckets = 10

const decodeDuration = (name: string, input: Duration.DurationInput): Duration.Duration | InvalidBreakerConfig => {
  try {
    const d = Duration.decode(input)
    if (!Duration.isFinite(d)) return new InvalidBreakerConfig({ reason: `${name} must be finite` })
    return d
  } catch {
    return new InvalidBreakerConfig({ reason: `${name} is not a duration` })
  }
}

const isPositiveInteger = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 1

/**
 * Makes a circuit breaker living as long as the scope (its open → half-open
 * timers are fibers of that scope). Fails on invalid options.
 *
 * @since 0.4.0
 */
export const make = <E = unknown>(options: Options<E>): Effect.Effect<CircuitBreaker<E>, InvalidBreakerConfig, Scope.Scope> =>
  Effect.gen(function*() {
    const fail = (reason: string) => Effect.fail(new InvalidBreakerConfig({ reason }))
    if (options === null || typeof options !== "object" || typeof options.backend !== "string") {
      return yield* fail("backend must be a string")
    }
    const backend = options.backend
    const instance = options.instance
    const threshold = options.failureThreshold ?? 5
    if (!isPositiveInteger(threshold)) return yield* fail("failureThreshold must be a positive integer")
    const halfOpenCalls = options.halfOpenCalls ?? 1
    if (!isPositiveInteger(halfOpenCalls)) return yield* fail("halfOpenCalls must be a positive integer")
    const window = decodeDuration("window", options.window ?? "1 minute")
    if (window instanceof InvalidBreakerConfig) return yield* window
    const windowMs = Duration.toMillis(window)
    if (windowMs <= 0) return yield* fail("window must be longer than zero")
    const openForD = decodeDuration("openFor", options.openFor ?? "30 seconds")
    if (openForD instanceof InvalidBreakerConfig) return yield* openForD
    const openForMs = Duration.toMillis(openForD)
    const rate = options.failureRate
    const rateThreshold = rate?.threshold
    const minimumCalls = rate?.minimumCalls ?? 10
    if (rate !== undefined) {
      if (typeof rateThreshold !== "number" || !(rateThreshold > 0 && rateThreshold <= 1)) {
        return yield* fail("failureRate.threshold must be greater than 0 and at most 1")
      }
      if (!isPositiveInteger(minimumCalls)) return yield* fail("failureRate.minimumCalls must be a positive integer")
    }
    const factor = options.backoff === undefined ? 1 : options.backoff.factor ?? 2
    const jitter = options.backoff === undefined ? 0 : options.backoff.jitter ?? 0.1
    if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) return yield* fail("backoff.factor must be a finite number ≥ 1")
    if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) return yield* fail("backoff.jitter must be from 0 to 1")
    const maxD = decodeDuration("backoff.max", options.backoff?.max ?? "5 minutes")
    if (maxD instanceof InvalidBreakerConfig) return yield* maxD
    const capMs = Math.max(openForMs, Duration.toMillis(maxD))
    const isFailure = options.isFailure

    const clock = yield* Effect.clock
    const random = mulberry32(yield* Random.nextInt)
    const runFork = yield* FiberSet.makeRuntime<never>()

    let state: State = "closed"
    let generation = 0
    let openings = 0
    let openUntil = 0
    let probesAdmitted = 0
    let probeSuccesses = 0
    // The times of the last `threshold` failures, oldest first.
    let recentFailures: Array<number> = []
    const bucketMs = windowMs / buckets
    const epochs = new Array<number>(buckets).fill(-Infinity)
    const bucketCalls = new Array<number>(buckets).fill(0)
    const bucketFailures = new Array<number>(buckets).fill(0)
    const subscribers = new Set<Queue.Queue<Transition>>()

    const clearWindow = () => {
      recentFailures = []
      epochs.fill(-Infinity)
      bucketCalls.fill(0)
      bucketFailures.fill(0)
    }

    const windowCounts = (now: number) => {
      const current = Math.floor(now / bucketMs)
      let calls = 0
      let failed = 0
      for (let s = 0; s < buckets; s++) {
        if (epochs[s]! > current - buckets && epochs[s]! <= current) {
          calls += bucketCalls[s]!
          failed += bucketFailures[s]!
        }
      }
      return { calls, failed }
    }

    const transition = (to: State, now: number, reason: string, openFor?: Duration.Duration) => {
      const from = state
      state = to
      generation++
      const event: Transition = { backend, instance, from, to, at: now, reason, openFor, openings }
      for (const q of subscribers) q.unsafeOffer(event)
    }

    const openDuration = (): number => {
      // `openings` was already incremented: the first opening lasts openFor.
      const base = Math.min(capMs, openForMs * Math.pow(factor, openings - 1))
      // Jitter spreads over [base, base × (1 + jitter)], shifted down to fit
      // under the cap (so capped periods still differ), never below openFor.
      const hi = Math.min(capMs, base * (1 + jitter))
      const lo = Math.max(openForMs, hi - base * jitter)
      return Math.ceil(lo + (hi - lo) * random())
    }

    // The length of the current open period (for the half-open reason).
    let openDurationOf = 0
    const toHalfOpen = (now: number) => {
      probesAdmitted = 0
      probeSuccesses = 0
      transition("half-open", now, `open period of ${openDurationOf} ms elapsed`)
    }

    const open = (now: number, reason: string) => {
      openings++
      const ms = openDuration()
      openDurationOf = ms
      openUntil = now + ms
      clearWindow()
      probesAdmitted = 0
      probeSuccesses = 0
      transition("open", now, reason, Duration.millis(ms))
      const opened = generation
      runFork(
        Effect.zipRight(
          clock.sleep(Duration.millis(ms)),
          Effect.sync(() => {
            if (generation === opened && state === "open") refresh(clock.unsafeCurrentTimeMillis())
          })
        )
      )
    }

    const close = (now: number, reason: string) => {
      openings = 0
      clearWindow()
      transition("closed", now, reason)
    }

    /** open → half-open once the open period is over. */
    const refresh = (now: number) => {
      if (state === "open" && now >= openUntil) toHalfOpen(now)
    }

    const record = (now: number, outcome: "success" | "failure") => {
      if (state === "open") return
      if (state === "half-open") {
        if (outcome === "failure") return open(now, "a probe call failed")
        probeSuccesses++
        if (probeSuccesses >= halfOpenCalls) close(now, `${halfOpenCalls} probe call(s) succeeded`)
        return
      }
      const current = Math.floor(now / bucketMs)
      const slot = ((current % buckets) + buckets) % buckets
      if (epochs[slot] !== current) {
        epochs[slot] = current
        bucketCalls[slot] = 0
        bucketFailures[slot] = 0
      }
      bucketCalls[slot]!++
      if (outcome === "success") return
      bucketFailures[slot]!++
      recentFailures.push(now)
      if (recentFailures.length > threshold) recentFailures.shift()
      if (recentFailures.length >= threshold && now - recentFailures[0]! < windowMs) {
        return open(now, `${threshold} failure(s) within ${Duration.format(window)}`)
      }
      if (rateThreshold !== undefined) {
        const { calls, failed } = windowCounts(now)
        if (calls >= minimumCalls && failed / calls >= rateThreshold) {
          return open(now, `${failed} of ${calls} calls failed within ${Duration.format(window)}`)
        }
      }
    }

    const admit = (): Ticket | CircuitOpenError => {
      const now = clock.unsafeCurrentTimeMillis()
      refresh(now)
      switch (state) {
        case "closed":
          return { generation, probe: false }
        case "open":
          return new CircuitOpenError({ backend, instance, state: "open", retryAfter: Duration.millis(Math.max(0, openUntil - now)) })
        case "half-open":
          if (probesAdmitted < halfOpenCalls) {
            probesAdmitted++
            return { generation, probe: true }
          }
          return new CircuitOpenError({ backend, instance, state: "half-open", retryAfter: Duration.zero })
      }
    }

    /** How a failed call counts. */
    const classify = (cause: Cause.Cause<E>): Outcome => {
      if (Cause.isInterruptedOnly(cause)) return "ignored"
      if (Cause.defects(cause).length > 0) return "failure"
      if (isFailure === undefined) return "failure"
      for (const error of Cause.failures(cause)) {
        try {
          if (isFailure(error)) return "failure"
        } catch {
          return "failure"
        }
      }
      return "success"
    }

    const settle = (ticket: Ticket, outcome: Outcome) => {
      if (ticket.generation !== generation) return
      if (outcome === "ignored") {
        if (ticket.probe) probesAdmitted--
        return
      }
      record(clock.unsafeCurrentTimeMillis(), outcome)
    }

    const run = <A, E1 extends E, R>(effect: Effect.Effect<A, E1, R>): Effect.Effect<A, E1 | CircuitOpenError, R> =>
      // Written out rather than with `onExit`: every call through the breaker runs it.
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend((): Effect.Effect<A, E1 | CircuitOpenError, R> => {
          const ticket = admit()
          if (ticket instanceof CircuitOpenError) return Effect.fail(ticket)
          return Effect.matchCauseEffect(restore(effect), {
            onSuccess: (value) => {
              settle(ticket, "success")
              return Effect.succeed(value)
            },
            onFailure: (cause) => {
              settle(ticket, classify(cause))
              return Effect.failCause(cause)
            }
          })
        })
      )

    const subscribe = Effect.acquireRelease(
      Effect.tap(Queue.unbounded<Transition>(), (q) => Effect.sync(() => subscribers.add(q))),
      (q) => Effect.zipRight(Effect.sync(() => subscribers.delete(q)), Queue.shutdown(q))
    )

    const now = () => {
      const t = clock.unsafeCurrentTimeMillis()
      refresh(t)
      return t
    }

    const breaker: CircuitBreaker<E> = {
      backend,
      instance,
      run,
      state: Effect.sync(() => {
        now()
        return state
      }),
      unsafeState: () => {
        now()
        return state
      },
      unsafeAvailable: () => {
        now()
        return state === "closed" || (state === "half-open" && probesAdmitted < halfOpenCalls)
      },
      snapshot: Effect.sync(() => {
        const t = now()
        const { calls, failed } = windowCounts(t)
        return {
          state,
          failures: state === "closed" ? recentFailures.filter((at) => t - at < windowMs).length : 0,
          calls,
          failedCalls: failed,
          openings,
          retryAfter: state === "open" ? Duration.millis(Math.max(0, openUntil - t)) : Duration.zero
        }
      }),
      changes: Stream.unwrapScoped(Effect.map(subscribe, (q) => Stream.fromQueue(q))),
      states: Stream.unwrapScoped(
        Effect.map(subscribe, (q) =>
          Stream.changes(Stream.concat(
            Stream.sync(() => {
              now()
              return state
            }),
            Stream.map(Stream.fromQueue(q), (t) => t.to)
          )))
      ),
      subscribe,
      recordSuccess: Effect.sync(() => record(now(), "success")),
      recordFailure: Effect.sync(() => record(now(), "failure")),
      trip: (reason = "tripped") =>
        Effect.sync(() => {
          const t = now()
          if (state !== "open") open(t, reason)
        }),
      reset: Effect.sync(() => {
        const t = now()
        if (state !== "closed") close(t, "reset")
        else {
          openings = 0
          clearWindow()
        }
      })
    }
    return breaker
  })
