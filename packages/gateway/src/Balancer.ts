/**
 * Load balancing across the instances of one logical backend (issue 12,
 * item 5). A `Balancer` holds the current instances (`{ id, weight }`, plus
 * whatever else you keep on them) and picks one per call with a strategy:
 *
 * - `round-robin`: each eligible instance in turn.
 * - `weighted`: smooth weighted round-robin as nginx does it: over any
 *   `sum(weights)` consecutive picks each instance is chosen exactly `weight`
 *   times, interleaved (5:1:1 gives `a a b a c a a`, not `a a a a a b c`).
 * - `least-connections`: the instance with the fewest calls in flight per
 *   unit of weight; counts come from `acquire`. Ties go round-robin (the
 *   default), to the first in instance order, or at random (`ties`).
 * - `random`: at random, in proportion to weight.
 * - `consistent-hash`: a hash ring with `virtualNodes` points per unit of
 *   weight, keyed by the string you give (`key`: the principal, a chosen
 *   argument…). Equal keys go to equal instances; adding an instance moves
 *   only the keys it takes over (about 1/n), removing one or making it
 *   ineligible moves only its own keys, to the next instance on the ring.
 *   Without a key it falls back to round-robin.
 *
 * Session affinity: `pick({ affinity })` pins the session named `affinity`
 * to the instance it first gets, and returns that instance again while it
 * exists and is eligible (even at weight 0, so a drained instance keeps its
 * sessions but gets no new ones). Otherwise a new instance is picked and the
 * pin moves. Pins idle for `affinity.idle` are forgotten, and at most
 * `affinity.max` are kept (least recently used go first). Stateless
 * backends need no affinity: leave it out.
 *
 * Eligibility is the caller's: `eligible(id)` (circuit closed, healthy…).
 * Instances of weight 0 and those it refuses are skipped; when none is left
 * the pick is `Option.none()`, which the caller turns into an error naming
 * the backend.
 *
 * Every pick is one synchronous step, so concurrent fibers never see a
 * half-updated balancer. Randomness comes from Effect's `Random` service (a
 * seed drawn at `make`) and time from Effect's `Clock`, so tests can fix both.
 *
 * @example
 * import { Balancer } from "@emcee/gateway"
 * import { Effect, Option } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const balancer = yield* Balancer.make("least-connections", {
 *     instances: [{ id: "a", weight: 2, url: "http://a/mcp" }, { id: "b", url: "http://b/mcp" }]
 *   })
 *   // Counted in flight until the scope closes.
 *   const instance = yield* balancer.acquire({ eligible: (id) => id !== "b" })
 *   if (Option.isNone(instance)) return yield* Effect.fail("no instance of backend 'search' is available")
 *   // ... call instance.value.url
 * }).pipe(Effect.scoped)
 *
 * @since 0.4.0
 */
import { Clock, Data, Duration, Effect, Option, Random } from "effect"
import type { Scope } from "effect"
import * as Ring from "./internal/hashRing.js"
import { mulberry32 } from "./internal/prng.js"

/**
 * How a balancer chooses.
 *
 * @since 0.4.0
 */
export type Strategy = "round-robin" | "weighted" | "least-connections" | "random" | "consistent-hash"

/**
 * Every strategy, e.g. to validate configuration.
 *
 * @since 0.4.0
 */
export const strategies: ReadonlyArray<Strategy> = ["round-robin", "weighted", "least-connections", "random", "consistent-hash"]

/**
 * One instance of a backend: a unique `id` and a `weight` (a finite number
 * ≥ 0, default 1; 0 drains it: no new picks). Extend it with whatever you
 * need back from a pick (an endpoint, a connection key…).
 *
 * @since 0.4.0
 */
export interface Instance {
  readonly id: string
  readonly weight?: number | undefined
}

/**
 * How `least-connections` breaks ties between equally loaded instances:
 * `round-robin` (default: deterministic and spreads idle load), `first` (the
 * first in instance order) or `random`.
 *
 * @since 0.4.0
 */
export type Ties = "round-robin" | "first" | "random"

/**
 * Options of `make`.
 *
 * @since 0.4.0
 */
export interface Options<I extends Instance> {
  /** The initial instances (default none; see `setInstances`). */
  readonly instances?: ReadonlyArray<I> | undefined
  /** Tie-breaking for `least-connections` (default `round-robin`). */
  readonly ties?: Ties | undefined
  /** Ring points per unit of weight for `consistent-hash` (default 160, at most 10,000 per instance). */
  readonly virtualNodes?: number | undefined
  /** Session affinity: forget a pin idle this long (default 1 hour), keep at most `max` pins (default 100,000). */
  readonly affinity?: { readonly idle?: Duration.DurationInput | undefined; readonly max?: number | undefined } | undefined
}

/**
 * What a pick considers.
 *
 * @since 0.4.0
 */
export interface PickOptions {
  /** The `consistent-hash` key (ignored by other strategies). */
  readonly key?: string | undefined
  /** A session to keep on one instance (see the module documentation). */
  readonly affinity?: string | undefined
  /** Whether an instance may be picked now (default: all may). */
  readonly eligible?: ((id: string) => boolean) | undefined
}

/**
 * A balancer over instances of type `I`.
 *
 * @since 0.4.0
 */
export interface Balancer<I extends Instance = Instance> {
  readonly strategy: Strategy
  /** Picks an eligible instance, `Option.none()` when there is none. */
  readonly pick: (options?: PickOptions) => Effect.Effect<Option.Option<I>>
  /**
   * Picks like `pick` and counts the instance as having one more call in
   * flight until the scope closes (what `least-connections` balances on).
   */
  readonly acquire: (options?: PickOptions) => Effect.Effect<Option.Option<I>, never, Scope.Scope>
  /**
   * Replaces the instances. Calls in flight stay counted against their ids;
   * pins to removed instances move on their next pick. Fails (changing
   * nothing) on duplicate ids or a weight that is not a finite number ≥ 0.
   */
  readonly setInstances: (instances: ReadonlyArray<I>) => Effect.Effect<void, InvalidBalancerConfig>
  /** The current instances, in the order given. */
  readonly instances: Effect.Effect<ReadonlyArray<I>>
  /** Calls in flight per instance id (only ids with calls in flight). */
  readonly inFlight: Effect.Effect<ReadonlyMap<string, number>>
  /** The instance id a session is pinned to, if any (idle pins excluded). */
  readonly pinned: (affinity: string) => Effect.Effect<Option.Option<string>>
  /** Forgets a session's pin (e.g. when the session ends). */
  readonly unpin: (affinity: string) => Effect.Effect<void>
}

/**
 * A balancer configuration refused by `make` or `setInstances`.
 *
 * @since 0.4.0
 */
export class InvalidBalancerConfig extends Data.TaggedError("InvalidBalancerConfig")<{ readonly reason: string }> {
  override get message() {
    return `Invalid balancer configuration: ${this.reason}`
  }
}

interface Entry<I> {
  readonly instance: I
  readonly id: string
  readonly weight: number
  /** Smooth weighted round-robin's current weight. */
  current: number
}

interface Pin {
  id: string
  last: number
}

const defaultVirtualNodes = 160
const defaultAffinityMax = 100_000
const defaultAffinityIdle = Duration.hours(1)

/**
 * What is wrong with `instances` for a balancer, if anything: not an array,
 * an instance without a string id, two with one id, or a weight that is not a
 * finite number ≥ 0 (see `setInstances`). For checking configuration before
 * any balancer is made.
 *
 * @since 0.4.0
 */
export const instancesProblem = (instances: ReadonlyArray<Instance>): string | undefined => {
  if (!Array.isArray(instances)) return "instances must be an array"
  const seen = new Set<string>()
  for (const instance of instances) {
    if (instance === null || typeof instance !== "object" || typeof instance.id !== "string") return "every instance needs a string id"
    if (seen.has(instance.id)) return `two instances have the id "${instance.id}"`
    seen.add(instance.id)
    const weight = instance.weight ?? 1
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
      return `instance "${instance.id}" has weight ${String(weight)}; a weight is a finite number ≥ 0`
    }
  }
  return undefined
}

const validate = <I extends Instance>(instances: ReadonlyArray<I>): Effect.Effect<ReadonlyArray<Entry<I>>, InvalidBalancerConfig> =>
  Effect.suspend(() => {
    const problem = instancesProblem(instances)
    if (problem !== undefined) return Effect.fail(new InvalidBalancerConfig({ reason: problem }))
    return Effect.succeed(instances.map((instance) => ({ instance, id: instance.id, weight: instance.weight ?? 1, current: 0 })))
  })

const always = () => true

/**
 * Makes a balancer. Fails on an unknown strategy, bad options or bad
 * instances (see `setInstances`).
 *
 * @since 0.4.0
 */
export const make = <I extends Instance = Instance>(
  strategy: Strategy,
  options: Options<I> = {}
): Effect.Effect<Balancer<I>, InvalidBalancerConfig> =>
  Effect.gen(function*() {
    if (!strategies.includes(strategy)) {
      return yield* new InvalidBalancerConfig({ reason: `unknown strategy "${String(strategy)}" (one of ${strategies.join(", ")})` })
    }
    const ties: Ties = options.ties ?? "round-robin"
    if (ties !== "round-robin" && ties !== "first" && ties !== "random") {
      return yield* new InvalidBalancerConfig({ reason: `unknown tie-breaking "${String(ties)}"` })
    }
    const virtualNodes = options.virtualNodes ?? defaultVirtualNodes
    if (!Number.isInteger(virtualNodes) || virtualNodes < 1 || virtualNodes > Ring.maxReplicas) {
      return yield* new InvalidBalancerConfig({ reason: `virtualNodes must be an integer from 1 to ${Ring.maxReplicas}` })
    }
    const affinityMax = options.affinity?.max ?? defaultAffinityMax
    if (!Number.isInteger(affinityMax) || affinityMax < 1) {
      return yield* new InvalidBalancerConfig({ reason: "affinity.max must be a positive integer" })
    }
    const idleDuration = yield* Effect.try({
      try: () => Duration.decode(options.affinity?.idle ?? defaultAffinityIdle),
      catch: () => new InvalidBalancerConfig({ reason: "affinity.idle is not a duration" })
    })
    const affinityIdle = Duration.toMillis(idleDuration)
    const random = mulberry32(yield* Random.nextInt)

    let entries: ReadonlyArray<Entry<I>> = yield* validate(options.instances ?? [])
    let byId = new Map<string, number>()
    let ring: Ring.Ring = Ring.empty
    let cursor = 0
    let tieCursor = 0
    const inFlight = new Map<string, number>()
    const pins = new Map<string, Pin>()

    const install = (next: ReadonlyArray<Entry<I>>) => {
      entries = next
      byId = new Map(next.map((e, i) => [e.id, i]))
      cursor = next.length === 0 ? 0 : cursor % next.length
      tieCursor = next.length === 0 ? 0 : tieCursor % next.length
      if (strategy === "consistent-hash") {
        ring = Ring.build(next.map((e) => ({ id: e.id, replicas: e.weight > 0 ? Math.max(1, Math.round(virtualNodes * e.weight)) : 0 })))
      }
      for (const [id, n] of inFlight) if (n <= 0 && !byId.has(id)) inFlight.delete(id)
    }
    install(entries)

    const load = (i: number) => inFlight.get(entries[i]!.id) ?? 0

    const roundRobin = (live: (i: number) => boolean): number | undefined => {
      const n = entries.length
      for (let k = 0; k < n; k++) {
        const i = (cursor + k) % n
        if (live(i)) {
          cursor = (i + 1) % n
          return i
        }
      }
      return undefined
    }

    const weighted = (live: (i: number) => boolean): number | undefined => {
      // nginx's smooth weighted round-robin (ngx_http_upstream_get_peer).
      let total = 0
      let best: number | undefined
      for (let i = 0; i < entries.length; i++) {
        if (!live(i)) continue
        const e = entries[i]!
        e.current += e.weight
        total += e.weight
        if (best === undefined || e.current > entries[best]!.current) best = i
      }
      if (best !== undefined) entries[best]!.current -= total
      return best
    }

    const leastConnections = (live: (i: number) => boolean): number | undefined => {
      // Compares inFlight / weight by cross-multiplying (weights are > 0 here).
      const tied: Array<number> = []
      for (let i = 0; i < entries.length; i++) {
        if (!live(i)) continue
        if (tied.length === 0) {
          tied.push(i)
          continue
        }
        const b = tied[0]!
        const lhs = load(i) * entries[b]!.weight
        const rhs = load(b) * entries[i]!.weight
        if (lhs < rhs) tied.length = 0
        if (lhs <= rhs) tied.push(i)
      }
      if (tied.length === 0) return undefined
      switch (ties) {
        case "first":
          return tied[0]
        case "random":
          return tied[Math.floor(random() * tied.length)]
        case "round-robin": {
          const chosen = tied.find((i) => i >= tieCursor) ?? tied[0]!
          tieCursor = (chosen + 1) % entries.length
          return chosen
        }
      }
    }

    const weightedRandom = (live: (i: number) => boolean): number | undefined => {
      let total = 0
      for (let i = 0; i < entries.length; i++) if (live(i)) total += entries[i]!.weight
      if (total <= 0) return undefined
      let r = random() * total
      let last: number | undefined
      for (let i = 0; i < entries.length; i++) {
        if (!live(i)) continue
        last = i
        r -= entries[i]!.weight
        if (r < 0) return i
      }
      return last
    }

    const choose = (options: PickOptions, live: (i: number) => boolean): number | undefined => {
      switch (strategy) {
        case "round-robin":
          return roundRobin(live)
        case "weighted":
          return weighted(live)
        case "least-connections":
          return leastConnections(live)
        case "random":
          return weightedRandom(live)
        case "consistent-hash":
          return typeof options.key === "string" ? Ring.lookup(ring, options.key, live) : roundRobin(live)
      }
    }

    const expirePins = (now: number) => {
      for (const [key, pin] of pins) {
        if (pins.size > affinityMax || now - pin.last >= affinityIdle) pins.delete(key)
        else break
      }
    }

    /** One atomic pick; `now` is only read when there is an affinity key. */
    const pickSync = (options: PickOptions, now: number): Entry<I> | undefined => {
      const eligible = options.eligible ?? always
      const affinity = typeof options.affinity === "string" ? options.affinity : undefined
      if (affinity !== undefined) {
        expirePins(now)
        const pin = pins.get(affinity)
        if (pin !== undefined) {
          const i = byId.get(pin.id)
          if (i !== undefined && eligible(pin.id)) {
            pins.delete(affinity)
            pin.last = now
            pins.set(affinity, pin)
            return entries[i]
          }
          pins.delete(affinity)
        }
      }
      const live = (i: number) => {
        const e = entries[i]!
        return e.weight > 0 && eligible(e.id)
      }
      const chosen = choose(options, live)
      if (chosen === undefined) return undefined
      const entry = entries[chosen]!
      if (affinity !== undefined) {
        pins.set(affinity, { id: entry.id, last: now })
        expirePins(now)
      }
      return entry
    }

    const withNow = <A>(options: PickOptions, f: (now: number) => A): Effect.Effect<A> =>
      typeof options.affinity === "string"
        ? Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => f(now)))
        : Effect.sync(() => f(0))

    const pick = (options: PickOptions = {}) =>
      withNow(options, (now) => Option.map(Option.fromNullable(pickSync(options, now)), (e) => e.instance))

    const release = (id: string) =>
      Effect.sync(() => {
        const n = (inFlight.get(id) ?? 0) - 1
        if (n > 0) inFlight.set(id, n)
        else inFlight.delete(id)
      })

    const acquire = (options: PickOptions = {}) =>
      Effect.acquireRelease(
        withNow(options, (now) => {
          const entry = pickSync(options, now)
          if (entry !== undefined) inFlight.set(entry.id, (inFlight.get(entry.id) ?? 0) + 1)
          return Option.map(Option.fromNullable(entry), (e) => e.instance)
        }),
        (picked) => Option.match(picked, { onNone: () => Effect.void, onSome: (instance) => release(instance.id) })
      )

    const balancer: Balancer<I> = {
      strategy,
      pick,
      acquire,
      setInstances: (instances) => Effect.flatMap(validate(instances), (next) => Effect.sync(() => install(next))),
      instances: Effect.sync(() => entries.map((e) => e.instance)),
      inFlight: Effect.sync(() => new Map(inFlight)),
      pinned: (affinity) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            const pin = pins.get(affinity)
            return pin !== undefined && now - pin.last < affinityIdle ? Option.some(pin.id) : Option.none()
          })),
      unpin: (affinity) => Effect.sync(() => void pins.delete(affinity))
    }
    return balancer
  })
