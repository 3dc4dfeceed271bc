/**
 * The server's built-in metrics, as Effect `Metric`s: they land in Effect's
 * metric registry beside any metric an app defines, and the HTTP transport's
 * `/metrics` endpoint renders them all in Prometheus text format.
 *
 * @since 0.1.0
 */
import { Metric, MetricBoundaries, MetricKey, type MetricKeyType, MetricLabel } from "effect"

/** Requests being handled now. */
export const inFlight = Metric.gauge("mcp_requests_in_flight", { description: "MCP requests being handled now" })

/** Sessions open now. */
export const activeSessions = Metric.gauge("mcp_sessions_active", { description: "MCP sessions open now" })

/**
 * A metric of `key` with fixed tags, built once per tag set: Effect's own
 * `Metric.tagged` derives a new key (and hashes it) on every update, which
 * is too slow for a per-request path.
 */
const taggedOnce = <T extends MetricKeyType.MetricKeyType<number, unknown>>(
  key: MetricKey.MetricKey<T>,
  cache: Map<string, Metric.Metric<T, number, unknown>>,
  labels: ReadonlyArray<readonly [string, string]>
): Metric.Metric<T, number, unknown> => {
  const id = labels.map(([, v]) => v).join("\u0000")
  let metric = cache.get(id)
  if (metric === undefined) {
    metric = Metric.fromMetricKey(MetricKey.taggedWithLabels(key, labels.map(([k, v]) => MetricLabel.make(k, v)))) as Metric.Metric<T, number, unknown>
    cache.set(id, metric)
  }
  return metric
}

const requestsKey = MetricKey.counter("mcp_requests_total", {
  description: "MCP requests handled, by method and outcome",
  incremental: true
})
const durationKey = MetricKey.histogram(
  "mcp_request_duration_seconds",
  MetricBoundaries.fromIterable([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  "MCP request duration in seconds, by method"
)
const toolCallsKey = MetricKey.counter("mcp_tool_calls_total", {
  description: "MCP tool calls, by tool and outcome",
  incremental: true
})
/** JSON-RPC requests handled, by `method` and `outcome` (ok, error, cancelled). */
export const requests = Metric.fromMetricKey(requestsKey)

/** Request duration in seconds, by `method`. */
export const requestDuration = Metric.fromMetricKey(durationKey)

/** Tool calls, by `tool` and `outcome` (ok, tool_error, error). */
export const toolCalls = Metric.fromMetricKey(toolCallsKey)

const requestsCache = new Map()
const durationCache = new Map()
const toolCallsCache = new Map()
const noTags: Array<MetricLabel.MetricLabel> = []

/** The metrics of one `method` (or tool), by outcome: looked up with two Map gets, no allocation. */
interface Updatable {
  readonly unsafeUpdate: (input: number, extraTags: ReadonlyArray<MetricLabel.MetricLabel>) => void
}
interface ByName {
  readonly duration: Updatable | undefined
  readonly byOutcome: Map<string, Updatable>
}
const requestsByMethod = new Map<string, ByName>()
const toolCallsByTool = new Map<string, ByName>()

const byName = (table: Map<string, ByName>, name: string, duration: boolean): ByName => {
  const found = table.get(name)
  if (found !== undefined) return found
  const entry: ByName = {
    duration: duration ? taggedOnce(durationKey, durationCache, [["method", name]]) : undefined,
    byOutcome: new Map()
  }
  table.set(name, entry)
  return entry
}

const outcomeMetric = <T extends MetricKeyType.MetricKeyType<number, unknown>>(
  entry: ByName,
  key: MetricKey.MetricKey<T>,
  cache: Map<string, Metric.Metric<T, number, unknown>>,
  nameLabel: string,
  name: string,
  outcome: string
) => {
  let metric = entry.byOutcome.get(outcome)
  if (metric === undefined) {
    metric = taggedOnce(key, cache, [[nameLabel, name], ["outcome", outcome]])
    entry.byOutcome.set(outcome, metric)
  }
  return metric
}

/**
 * Records one handled request: its outcome (ok, error, cancelled) and
 * duration. Synchronous, for the dispatcher's hot path; `method` must come
 * from a bounded set (the dispatcher passes "unknown" for unknown methods).
 */
export const unsafeRecordRequest = (method: string, outcome: string, seconds: number): void => {
  const entry = byName(requestsByMethod, method, true)
  outcomeMetric(entry, requestsKey, requestsCache, "method", method, outcome).unsafeUpdate(1, noTags)
  entry.duration!.unsafeUpdate(seconds, noTags)
}

/** Records one tool call with its outcome (ok, tool_error, error). Synchronous. */
export const unsafeRecordToolCall = (tool: string, outcome: string): void => {
  outcomeMetric(byName(toolCallsByTool, tool, false), toolCallsKey, toolCallsCache, "tool", tool, outcome).unsafeUpdate(1, noTags)
}

/** Moves a gauge by `delta`. Synchronous. */
export const unsafeAdd = (gauge: Metric.Metric.Gauge<number>, delta: number): void => gauge.unsafeModify(delta, noTags)

/** SSE streams open now on the Streamable HTTP transport (POST streams and GET streams). */
export const sseStreams = Metric.gauge("mcp_sse_streams_active", { description: "SSE streams open now on the Streamable HTTP transport" })

/** HTTP requests the Streamable HTTP transport refused, by HTTP `status` (400, 403, 404, 406, 413, 415, 503...). */
export const httpRejections = Metric.counter("mcp_http_rejections_total", {
  description: "HTTP requests refused by the Streamable HTTP transport, by status",
  incremental: true
})

/** Resident set size of the process, in bytes (the Prometheus client convention's name). */
export const residentMemory = Metric.gauge("process_resident_memory_bytes", { description: "Resident memory size in bytes" })

/** V8 heap in use, in bytes. */
export const heapUsed = Metric.gauge("nodejs_heap_size_used_bytes", { description: "Process heap size used from Node.js in bytes" })

/** V8 heap allocated, in bytes. */
export const heapTotal = Metric.gauge("nodejs_heap_size_total_bytes", { description: "Process heap size from Node.js in bytes" })

/** Memory of C++ objects bound to JavaScript objects (buffers among them), in bytes. */
export const externalMemory = Metric.gauge("nodejs_external_memory_bytes", { description: "Node.js external memory size in bytes" })

/**
 * Reads the process memory figures into their gauges; `/metrics` calls it
 * before each scrape, so an operator (and the reliability suite) sees the
 * server's own heap. A no-op where `process.memoryUsage` does not exist.
 */
export const unsafeSampleProcess = (): void => {
  if (typeof process === "undefined" || typeof process.memoryUsage !== "function") return
  const usage = process.memoryUsage()
  residentMemory.unsafeUpdate(usage.rss, [])
  heapUsed.unsafeUpdate(usage.heapUsed, [])
  heapTotal.unsafeUpdate(usage.heapTotal, [])
  externalMemory.unsafeUpdate(usage.external, [])
}
