// A real OpenTelemetry `SpanExporter` that discards every span but counts them, so the
// tracing bench rows measure span creation, attributes, ending and the span processor
// (e.g. a BatchSpanProcessor's queue and batching) without any network or serialization.
// Bench only.

/** `ExportResultCode.SUCCESS` from @opentelemetry/core (an enum: SUCCESS = 0, FAILED = 1). */
const SUCCESS = 0

/** @implements {import("@opentelemetry/sdk-trace-base").SpanExporter} */
export class CountingSpanExporter {
  /** Spans handed to `export` so far. */
  spans = 0
  /** Calls to `export` (batches) so far. */
  batches = 0
  stopped = false

  /**
   * @param {ReadonlyArray<import("@opentelemetry/sdk-trace-base").ReadableSpan>} spans
   * @param {(result: { code: number, error?: Error }) => void} resultCallback
   */
  export(spans, resultCallback) {
    if (this.stopped) return resultCallback({ code: 1, error: new Error("exporter shut down") })
    this.spans += spans.length
    this.batches += 1
    resultCallback({ code: SUCCESS })
  }

  shutdown() {
    this.stopped = true
    return Promise.resolve()
  }

  forceFlush() {
    return Promise.resolve()
  }
}
