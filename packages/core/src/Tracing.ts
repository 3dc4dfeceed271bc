/**
 * OpenTelemetry export of the server's spans. Every request runs in a span
 * named after its method (and primitive), with `mcp.method.name`,
 * `jsonrpc.request.id`, `mcp.session.id`, the primitive's name and
 * `mcp.outcome`; every handler runs in a child span. This Layer sends them to
 * any OpenTelemetry span processor (OTLP, console, in-memory for tests).
 *
 * @example
 * import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
 * import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
 * const TracingLive = Tracing.layer({
 *   serviceName: "my-server",
 *   spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter())
 * })
 *
 * The OpenTelemetry SDK is an optional peer dependency of `@emcee/core`: an
 * app that uses this Layer installs `@effect/opentelemetry` and
 * `@opentelemetry/sdk-trace-base` (npm brings in the rest of the SDK as
 * their peers). It is loaded when the Layer is built, never at import, so
 * apps without tracing need none of it.
 *
 * @since 0.1.0
 */
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"

/** Tracing options. */
export interface Options {
  readonly serviceName: string
  readonly serviceVersion?: string
  readonly spanProcessor: SpanProcessor | ReadonlyArray<SpanProcessor>
}

/**
 * Exports every span of the app through the given span processor(s). Dies,
 * when built, if `@effect/opentelemetry` (or the SDK it needs) is not
 * installed.
 */
export const layer = (options: Options): Layer.Layer<never> =>
  Layer.unwrapEffect(
    Effect.tryPromise({
      try: () => import("@effect/opentelemetry/NodeSdk"),
      catch: (cause) =>
        new Error("Tracing.layer needs the optional peer dependencies @effect/opentelemetry and @opentelemetry/sdk-trace-base", { cause })
    }).pipe(
      Effect.orDie,
      Effect.map((NodeSdk) =>
        NodeSdk.layer(() => ({
          resource: {
            serviceName: options.serviceName,
            ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion })
          },
          spanProcessor: options.spanProcessor as SpanProcessor
        })) as unknown as Layer.Layer<never>
      )
    )
  )
