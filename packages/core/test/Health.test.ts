import { describe, expect, it } from "@effect/vitest"
import { Context, Data, Effect, Exit, Fiber, Layer, Scope, TestClock } from "effect"
import { Health } from "../src/index.js"

class DbDown extends Data.TaggedError("DbDown")<{ readonly message: string }> {}

class Db extends Context.Tag("test/Db")<Db, { readonly ping: Effect.Effect<boolean> }>() {}

const registerAll = (checks: Record<string, Effect.Effect<Health.CheckResult, unknown>>) =>
  Effect.gen(function*() {
    const health = yield* Health.Health
    for (const [name, check] of Object.entries(checks)) yield* health.register(name, check)
    return health
  })

describe("Health", () => {
  it.effect("is healthy with no checks", () =>
    Effect.gen(function*() {
      const report = yield* Health.report
      expect(report).toEqual({ status: "healthy", draining: false, checks: {} })
      expect(Health.httpStatus(report)).toBe(200)
    }).pipe(Effect.provide(Health.layer)))

  it.scoped("reports each check and takes the worst status overall", () =>
    Effect.gen(function*() {
      const health = yield* registerAll({
        cache: Effect.succeed("healthy"),
        upstream: Effect.succeed({ status: "degraded", detail: "slow responses" })
      })
      const report = yield* health.report
      expect(report.status).toBe("degraded")
      expect(report.checks.cache).toEqual({ status: "healthy", durationMs: 0 })
      expect(report.checks.upstream).toEqual({ status: "degraded", detail: "slow responses", durationMs: 0 })
      expect(Health.httpStatus(report)).toBe(200)

      yield* health.register("db", Effect.succeed("unhealthy"))
      const worse = yield* health.report
      expect(worse.status).toBe("unhealthy")
      expect(Health.httpStatus(worse)).toBe(503)
    }).pipe(Effect.provide(Health.layer)))

  it.scoped("counts a failing check as unhealthy with the error's message", () =>
    Effect.gen(function*() {
      const health = yield* registerAll({
        db: Effect.fail(new DbDown({ message: "connection refused" })),
        plain: Effect.fail("just a string")
      })
      const report = yield* health.report
      expect(report.status).toBe("unhealthy")
      expect(report.checks.db).toMatchObject({ status: "unhealthy", detail: "connection refused" })
      expect(report.checks.plain).toMatchObject({ status: "unhealthy", detail: "just a string" })
    }).pipe(Effect.provide(Health.layer)))

  it.scoped("counts a dying check as unhealthy with the defect's message", () =>
    Effect.gen(function*() {
      const health = yield* registerAll({ broken: Effect.die(new Error("boom")), ok: Effect.succeed("healthy") })
      const report = yield* health.report
      expect(report.status).toBe("unhealthy")
      expect(report.checks.broken).toMatchObject({ status: "unhealthy", detail: "boom" })
      expect(report.checks.ok).toMatchObject({ status: "healthy" })
    }).pipe(Effect.provide(Health.layer)))

  it.scoped("counts a check slower than the default 2 second timeout as unhealthy", () =>
    Effect.gen(function*() {
      const health = yield* registerAll({
        slow: Effect.as(Effect.sleep("5 seconds"), "healthy"),
        quick: Effect.as(Effect.sleep("1 second"), "healthy")
      })
      const fiber = yield* Effect.fork(health.report)
      yield* TestClock.adjust("2 seconds")
      const report = yield* Fiber.join(fiber)
      expect(report.status).toBe("unhealthy")
      expect(report.checks.slow).toEqual({ status: "unhealthy", detail: "check timed out after 2s", durationMs: 2000 })
      // Concurrent: the quick check finished after its own second, not after the slow one.
      expect(report.checks.quick).toEqual({ status: "healthy", durationMs: 1000 })
    }).pipe(Effect.provide(Health.layer)))

  it.scoped("honours a custom service timeout and a per-check timeout", () =>
    Effect.gen(function*() {
      const health = yield* Health.Health
      yield* health.register("a", Effect.as(Effect.sleep("300 millis"), "healthy"))
      yield* health.register("b", Effect.as(Effect.sleep("300 millis"), "healthy"), { timeout: "1 second" })
      const fiber = yield* Effect.fork(health.report)
      yield* TestClock.adjust("1 second")
      const report = yield* Fiber.join(fiber)
      expect(report.checks.a).toMatchObject({ status: "unhealthy", durationMs: 100 })
      expect(report.checks.b).toEqual({ status: "healthy", durationMs: 300 })
    }).pipe(Effect.provide(Health.layerWith({ timeout: "100 millis" }))))

  it.effect("removes a check when its scope closes", () =>
    Effect.gen(function*() {
      const health = yield* Health.Health
      const scope = yield* Scope.make()
      yield* Scope.extend(health.register("temporary", Effect.succeed("unhealthy")), scope)
      expect((yield* health.report).checks).toHaveProperty("temporary")
      yield* Scope.close(scope, Exit.void)
      expect(yield* health.report).toEqual({ status: "healthy", draining: false, checks: {} })
    }).pipe(Effect.provide(Health.layer)))

  it.effect("lets a later check shadow an earlier one of the same name until its scope closes", () =>
    Effect.gen(function*() {
      const health = yield* Health.Health
      yield* Effect.scoped(health.register("db", Effect.succeed("healthy")).pipe(
        Effect.zipRight(Effect.gen(function*() {
          const inner = yield* Scope.make()
          yield* Scope.extend(health.register("db", Effect.succeed("degraded")), inner)
          expect((yield* health.report).checks.db?.status).toBe("degraded")
          yield* Scope.close(inner, Exit.void)
          expect((yield* health.report).checks.db?.status).toBe("healthy")
        }))
      ))
    }).pipe(Effect.provide(Health.layer)))

  it.effect("reports unhealthy while draining, even with healthy checks", () =>
    Effect.gen(function*() {
      const health = yield* registerAll({ ok: Effect.succeed("healthy") })
      expect(yield* health.draining).toBe(false)
      yield* Health.markShuttingDown
      expect(yield* health.draining).toBe(true)
      const report = yield* health.report
      expect(report).toMatchObject({ status: "unhealthy", draining: true, checks: { ok: { status: "healthy" } } })
      expect(Health.httpStatus(report)).toBe(503)
      yield* health.setDraining(false)
      expect((yield* health.report).status).toBe("healthy")
    }).pipe(Effect.scoped, Effect.provide(Health.layer)))

  it.effect("makes markShuttingDown a no-op without a Health service", () => Health.markShuttingDown)

  it.effect("registers a check as a Layer whose requirements show in its type", () =>
    Effect.gen(function*() {
      const dbCheck: Layer.Layer<never, never, Health.Health | Db> = Health.check(
        "db",
        Effect.map(Db.pipe(Effect.flatMap((db) => db.ping)), (up) => (up ? "healthy" : { status: "unhealthy", detail: "ping failed" }))
      )
      const layer = dbCheck.pipe(
        Layer.provideMerge(Health.layer),
        Layer.provide(Layer.succeed(Db, { ping: Effect.succeed(false) }))
      )
      const report = yield* Effect.provide(Health.report, layer)
      expect(report.checks.db).toEqual({ status: "unhealthy", detail: "ping failed", durationMs: 0 })
    }))
})
