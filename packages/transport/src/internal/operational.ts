/**
 * The operational routes (`GET /health`, `GET /health/ready`, `GET /metrics`)
 * as @effect/platform routers, and what the HTTP server tells them about its
 * own shutdown.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Health, Prometheus } from "@emcee/core"
import { Context, Effect, Option } from "effect"

/**
 * Whether the server serving the request is shutting down. HttpTransport
 * provides it to the app it runs, so `/health/ready` turns 503 the moment
 * shutdown begins, with or without a `Health` service.
 */
export class Draining extends Context.Tag("@emcee/transport/HttpTransport/Draining")<Draining, () => boolean>() {}

const jsonResponse = (status: number, value: unknown) => {
  const body = JSON.stringify(value)
  return HttpServerResponse.raw(body, {
    status,
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }
  })
}

const draining: Effect.Effect<boolean> = Effect.map(Effect.serviceOption(Draining), Option.match({ onNone: () => false, onSome: (f) => f() }))

/** `{"status":"ok"}` while the process can answer at all. */
const live = Effect.sync(() => jsonResponse(200, { status: "ok" }))

/** The `Health` service's report (503 when unhealthy or draining); without the service, healthy unless draining. */
const ready = Effect.gen(function*() {
  const closing = yield* draining
  const health = yield* Effect.serviceOption(Health.Health)
  if (Option.isNone(health)) {
    return jsonResponse(closing ? 503 : 200, { status: closing ? "unhealthy" : "healthy", draining: closing, checks: {} })
  }
  return yield* health.value.report.pipe(
    Effect.map((report) => {
      const final = closing ? { ...report, status: "unhealthy" as const, draining: true } : report
      return jsonResponse(final.status === "unhealthy" ? 503 : 200, final)
    }),
    Effect.catchAllCause(() => Effect.succeed(jsonResponse(503, { status: "unhealthy", draining: closing, checks: {} })))
  )
})

const metrics = Prometheus.render.pipe(
  Effect.map((text) => HttpServerResponse.text(text, { contentType: Prometheus.contentType })),
  Effect.catchAllCause(() => Effect.succeed(HttpServerResponse.text("metrics failed\n", { status: 500, contentType: "text/plain; charset=utf-8" })))
)

/** `GET /health` (liveness) and `GET /health/ready` (readiness). */
export const healthRoutes: HttpRouter.HttpRouter = HttpRouter.empty.pipe(
  HttpRouter.get("/health", live),
  HttpRouter.get("/health/ready", ready)
)

/** `GET /metrics`: every metric in the Prometheus text format. */
export const metricsRoutes: HttpRouter.HttpRouter = HttpRouter.empty.pipe(HttpRouter.get("/metrics", metrics))

/** Both. */
export const operationalRoutes: HttpRouter.HttpRouter = HttpRouter.concat(healthRoutes, metricsRoutes)

/** The body of a 404 for a path nothing serves (as HttpTransport always answered it). */
export const notFound = jsonResponse(404, { error: "not found" })
