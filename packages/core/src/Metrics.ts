/**
 * The server's built-in metrics, as Effect `Metric`s: they land in Effect's
 * metric registry beside any metric an app defines, and the HTTP transport's
 * `/metrics` endpoint renders them all in Prometheus text format.
 *
 * @since 0.1.0
 */
import { Metric, MetricBoundaries } from "effect"

/** JSON-RPC requests handled, by `method` and `outcome` (ok, error, cancelled). */
export const requests = Metric.counter("mcp_requests_total", {
  description: "MCP requests handled, by method and outcome",
  incremental: true
})

/** Request duration in seconds, by `method`. */
export const requestDuration = Metric.histogram(
  "mcp_request_duration_seconds",
  MetricBoundaries.fromIterable([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  "MCP request duration in seconds, by method"
)

/** Tool calls, by `tool` and `outcome` (ok, tool_error, error). */
export const toolCalls = Metric.counter("mcp_tool_calls_total", {
  description: "MCP tool calls, by tool and outcome",
  incremental: true
})

/** Requests being handled now. */
export const inFlight = Metric.gauge("mcp_requests_in_flight", { description: "MCP requests being handled now" })

/** Sessions open now. */
export const activeSessions = Metric.gauge("mcp_sessions_active", { description: "MCP sessions open now" })

const tagged = new Map<string, Metric.Metric.Counter<number>>()
const durations = new Map<string, Metric.Metric.Histogram<number>>()

/** The requests counter tagged with method and outcome, built once per pair. */
export const requestsFor = (method: string, outcome: string): Metric.Metric.Counter<number> => {
  const key = `${method}\u0000${outcome}`
  let metric = tagged.get(key)
  if (metric === undefined) {
    metric = requests.pipe(Metric.tagged("method", method), Metric.tagged("outcome", outcome))
    tagged.set(key, metric)
  }
  return metric
}

/** The duration histogram tagged with a method, built once per method. */
export const durationFor = (method: string): Metric.Metric.Histogram<number> => {
  let metric = durations.get(method)
  if (metric === undefined) {
    metric = Metric.tagged(requestDuration, "method", method)
    durations.set(method, metric)
  }
  return metric
}

const toolTagged = new Map<string, Metric.Metric.Counter<number>>()

/** The tool calls counter tagged with tool and outcome, built once per pair. */
export const toolCallsFor = (tool: string, outcome: string): Metric.Metric.Counter<number> => {
  const key = `${tool}\u0000${outcome}`
  let metric = toolTagged.get(key)
  if (metric === undefined) {
    metric = toolCalls.pipe(Metric.tagged("tool", tool), Metric.tagged("outcome", outcome))
    toolTagged.set(key, metric)
  }
  return metric
}

/** SSE streams open now on the Streamable HTTP transport (POST streams and GET streams). */
export const sseStreams = Metric.gauge("mcp_sse_streams_active", { description: "SSE streams open now on the Streamable HTTP transport" })

/** HTTP requests the Streamable HTTP transport refused, by HTTP `status` (400, 403, 404, 406, 413, 415, 503...). */
export const httpRejections = Metric.counter("mcp_http_rejections_total", {
  description: "HTTP requests refused by the Streamable HTTP transport, by status",
  incremental: true
})
