/**
 * Readiness: named checks (a database ping, an upstream API, a cache) that
 * the app registers and the HTTP transport runs on `GET /health/ready`.
 * Checks run concurrently, each under a timeout; the report's status is the
 * worst of them. During graceful shutdown the transport marks the service as
 * draining, so readiness turns unhealthy and load balancers stop routing new
 * sessions here while in-flight requests finish.
 *
 * @example
 * const DbCheck = Health.check("db", Effect.gen(function*() {
 *   const db = yield* Db
 *   yield* db.ping
 *   return "healthy" as const
 * }))
 * const HealthLive = DbCheck.pipe(Layer.provideMerge(Health.layer))
 *
 * @since 0.1.0
 */
import { Cause, Context, Duration, Effect, Exit, Layer, Option, Predicate, Ref } from "effect"
import type { Scope } from "effect"

/** How well a component (or the whole server) is doing, best to worst. */
export type Status = "healthy" | "degraded" | "unhealthy"

/** What a check returns: a bare status, or a status with a human-readable detail. */
export type CheckResult = Status | { readonly status: Status; readonly detail?: string }

/** The outcome of one check in a {@link Report}. */
export interface CheckReport {
  readonly status: Status
  readonly detail?: string
  /** How long the check took, in milliseconds (the timeout, if it timed out). */
  readonly durationMs: number
}

/** The readiness report: the worst status of all checks, and each check's outcome. */
export interface Report {
  readonly status: Status
  /** True once shutdown began; the status is then "unhealthy" whatever the checks say. */
  readonly draining: boolean
  readonly checks: Readonly<Record<string, CheckReport>>
}

/** Options for registering a check. */
export interface CheckOptions {
  /** How long the check may run before it counts as unhealthy. Defaults to the service's timeout. */
  readonly timeout?: Duration.DurationInput
}

/** Options for the Health service. */
export interface Options {
  /** Default per-check timeout; 2 seconds unless set. */
  readonly timeout?: Duration.DurationInput
}

/** The readiness registry. */
export class Health extends Context.Tag("@emcee/core/Health")<Health, {
  /** Adds a check for as long as the scope is open; a later check with the same name shadows an earlier one. */
  readonly register: (
    name: string,
    check: Effect.Effect<CheckResult, unknown>,
    options?: CheckOptions
  ) => Effect.Effect<void, never, Scope.Scope>
  /** Runs every check concurrently and aggregates the results. */
  readonly report: Effect.Effect<Report>
  /** Marks the server as shutting down (or not); while draining, readiness is "unhealthy". */
  readonly setDraining: (draining: boolean) => Effect.Effect<void>
  /** Whether the server is shutting down. */
  readonly draining: Effect.Effect<boolean>
}>() {}

const DEFAULT_TIMEOUT = Duration.seconds(2)

const rank: Record<Status, number> = { healthy: 0, degraded: 1, unhealthy: 2 }

/** The worse of two statuses. */
export const worst = (a: Status, b: Status): Status => (rank[b] > rank[a] ? b : a)

/**
 * The HTTP status readiness should answer with: 503 when unhealthy (the
 * instance should get no traffic), 200 otherwise — "degraded" still serves.
 */
export const httpStatus = (report: Report): 200 | 503 => (report.status === "unhealthy" ? 503 : 200)

interface Entry {
  readonly name: string
  readonly check: Effect.Effect<CheckResult, unknown>
  readonly timeout: Duration.Duration
}

// The message a failed check reports: the error's own message when it has one.
const messageOf = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "check was interrupted"
  const error = Cause.squash(cause)
  if (error instanceof Error && error.message !== "") return error.message
  if (Predicate.hasProperty(error, "message") && typeof error.message === "string" && error.message !== "") {
    return error.message
  }
  if (Predicate.hasProperty(error, "_tag") && typeof error._tag === "string") return error._tag
  return String(error)
}

const roundMs = (duration: Duration.Duration): number => Math.round(Duration.toMillis(duration) * 1000) / 1000

const runCheck = (entry: Entry): Effect.Effect<CheckReport> =>
  entry.check.pipe(
    Effect.timeoutOption(entry.timeout),
    Effect.exit,
    Effect.timed,
    Effect.map(([elapsed, exit]): CheckReport => {
      const durationMs = roundMs(elapsed)
      if (Exit.isFailure(exit)) return { status: "unhealthy", detail: messageOf(exit.cause), durationMs }
      if (Option.isNone(exit.value)) {
        return {
          status: "unhealthy",
          detail: `check timed out after ${Duration.format(entry.timeout)}`,
          durationMs
        }
      }
      const result = exit.value.value
      if (typeof result === "string") return { status: result, durationMs }
      return result.detail === undefined
        ? { status: result.status, durationMs }
        : { status: result.status, detail: result.detail, durationMs }
    })
  )

/** Builds the Health service. */
export const make = (options: Options = {}): Effect.Effect<Context.Tag.Service<Health>> =>
  Effect.gen(function*() {
    const defaultTimeout = options.timeout === undefined ? DEFAULT_TIMEOUT : Duration.decode(options.timeout)
    // Keyed by a registration id, so the same name can be registered twice and
    // closing one scope removes exactly its own registration.
    const entries = yield* Ref.make(new Map<number, Entry>())
    const drainingRef = yield* Ref.make(false)
    let nextId = 0

    const register = (name: string, check: Effect.Effect<CheckResult, unknown>, checkOptions?: CheckOptions) =>
      Effect.acquireRelease(
        Effect.suspend(() => {
          const id = nextId++
          const timeout = checkOptions?.timeout === undefined ? defaultTimeout : Duration.decode(checkOptions.timeout)
          return Ref.update(entries, (map) => new Map(map).set(id, { name, check, timeout })).pipe(Effect.as(id))
        }),
        (id) =>
          Ref.update(entries, (map) => {
            const next = new Map(map)
            next.delete(id)
            return next
          })
      ).pipe(Effect.asVoid)

    const report = Effect.gen(function*() {
      const registered = yield* Ref.get(entries)
      // Later registrations shadow earlier ones of the same name (Map keeps insertion order).
      const byName = new Map<string, Entry>()
      for (const entry of registered.values()) byName.set(entry.name, entry)
      const results = yield* Effect.forEach(
        byName.values(),
        (entry) => Effect.map(runCheck(entry), (result) => [entry.name, result] as const),
        { concurrency: "unbounded" }
      )
      const draining = yield* Ref.get(drainingRef)
      const checks: Record<string, CheckReport> = {}
      let status: Status = draining ? "unhealthy" : "healthy"
      for (const [name, result] of results) {
        checks[name] = result
        status = worst(status, result.status)
      }
      return { status, draining, checks } satisfies Report
    })

    return {
      register,
      report,
      setDraining: (draining: boolean) => Ref.set(drainingRef, draining),
      draining: Ref.get(drainingRef)
    }
  })

/** The Health service with a 2 second per-check timeout. */
export const layer: Layer.Layer<Health> = Layer.effect(Health, make())

/** The Health service with custom options. */
export const layerWith = (options: Options): Layer.Layer<Health> => Layer.effect(Health, make(options))

/**
 * A Layer that registers a readiness check for the Layer's lifetime. The
 * check's requirements become the Layer's, so they show in its type.
 */
export const check = <E, R>(
  name: string,
  effect: Effect.Effect<CheckResult, E, R>,
  options?: CheckOptions
): Layer.Layer<never, never, Health | R> =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const health = yield* Health
      const context = yield* Effect.context<R>()
      yield* health.register(name, Effect.provide(effect, context), options)
    })
  )

/** Runs all checks: the report of the Health service in context. */
export const report: Effect.Effect<Report, never, Health> = Effect.flatMap(Health, (health) => health.report)

/**
 * Marks the server as shutting down, so readiness reports "unhealthy". A
 * no-op when no Health service is provided, so transports can always call it.
 */
export const markShuttingDown: Effect.Effect<void> = Effect.flatMap(
  Effect.serviceOption(Health),
  Option.match({ onNone: () => Effect.void, onSome: (health) => health.setDraining(true) })
)
