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
import { Effect, Layer, Tracer } from "effect"

/** Tracing options. */
export interface Options {
  readonly serviceName: string
  readonly serviceVersion?: string
  readonly spanProcessor: SpanProcessor | ReadonlyArray<SpanProcessor>
  /**
   * Make the current span the active OpenTelemetry context whenever a fiber
   * runs, for OpenTelemetry instrumentations outside Effect that read it
   * (HTTP clients, database drivers). It costs a context per fiber step,
   * several per request. Default: on when an OpenTelemetry context manager
   * is registered (as the OpenTelemetry Node SDK does for
   * auto-instrumentation), off otherwise, when nothing could read it. Spans
   * made in Effect have the right parents either way.
   */
  readonly propagateContext?: boolean
}

const loadFailure = (cause: unknown) =>
  new Error("Tracing.layer needs the optional peer dependencies @effect/opentelemetry and @opentelemetry/sdk-trace-base", { cause })

/**
 * True when an OpenTelemetry context manager is registered: a value set in
 * a context made active with `context.with` can be read back. Without one
 * (the no-op manager) `with` only calls its function.
 */
const contextManagerRegistered = (api: typeof import("@opentelemetry/api")): boolean => {
  const key = api.createContextKey("@emcee/core/Tracing/probe")
  return api.context.with(api.ROOT_CONTEXT.setValue(key, true), () => api.context.active().getValue(key) === true)
}

/** `tracer` without its per-fiber-step context hook. */
const withoutContextPropagation = (tracer: Tracer.Tracer): Tracer.Tracer =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => tracer.span(name, parent, context, links, startTime, kind, options),
    context: (execution) => execution()
  })

/**
 * Exports every span of the app through the given span processor(s). Dies,
 * when built, if `@effect/opentelemetry` (or the SDK it needs) is not
 * installed.
 */
export const layer = (options: Options): Layer.Layer<never> =>
  Layer.unwrapEffect(
    Effect.tryPromise({
      try: () => Promise.all([import("@effect/opentelemetry/NodeSdk"), import("@opentelemetry/api")]),
      catch: loadFailure
    }).pipe(
      Effect.orDie,
      Effect.map(([NodeSdk, api]) => {
        const sdk = NodeSdk.layer(() => ({
          resource: {
            serviceName: options.serviceName,
            ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion })
          },
          spanProcessor: options.spanProcessor as SpanProcessor
        })) as unknown as Layer.Layer<never>
        if (options.propagateContext ?? contextManagerRegistered(api)) return sdk
        const lean = Layer.unwrapEffect(Effect.map(Effect.tracer, (tracer) => Layer.setTracer(withoutContextPropagation(tracer))))
        return Layer.provide(lean, sdk)
      })
    )
  )
