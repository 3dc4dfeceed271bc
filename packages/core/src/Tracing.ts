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
 * @since 0.1.0
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { Layer } from "effect"

/** Tracing options. */
export interface Options {
  readonly serviceName: string
  readonly serviceVersion?: string
  readonly spanProcessor: SpanProcessor | ReadonlyArray<SpanProcessor>
}

/** Exports every span of the app through the given span processor(s). */
export const layer = (options: Options): Layer.Layer<never> =>
  NodeSdk.layer(() => ({
    resource: {
      serviceName: options.serviceName,
      ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion })
    },
    spanProcessor: options.spanProcessor as SpanProcessor
  })) as unknown as Layer.Layer<never>
