/**
 * Prometheus metrics of a gateway's backends, as Effect `Metric`s (the HTTP
 * transport's `/metrics` renders them beside the server's own):
 *
 * - `mcp_gateway_backend_calls_total{backend,outcome}`: forwarded requests, by
 *   outcome (`ok`, `error`: a JSON-RPC error of the backend or a failed hop,
 *   `unavailable`: not connected or circuit open);
 * - `mcp_gateway_backend_call_duration_seconds{backend}`: their latency;
 * - `mcp_gateway_backend_up{backend}`: 1 while connected;
 * - `mcp_gateway_backend_breaker_state{backend}`: 0 closed, 1 half-open, 2 open;
 * - `mcp_gateway_backend_connections{backend}`: upstream connections held
 *   (the shared one and the callers' own, `sessions: "perPrincipal"`).
 *
 * The last three are per instance for a backend with instances (labels
 * `backend` and `instance`): each instance has its own connection and
 * breaker.
 *
 * @internal
 */
import { Metric, MetricBoundaries, MetricKey, type MetricKeyType, MetricLabel } from "effect"

const callsKey = MetricKey.counter("mcp_gateway_backend_calls_total", { description: "Requests forwarded to a backend, by outcome", incremental: true })
const durationKey = MetricKey.histogram(
  "mcp_gateway_backend_call_duration_seconds",
  MetricBoundaries.exponential({ start: 0.0005, factor: 2, count: 16 }),
  "Latency of requests forwarded to a backend"
)
const upKey = MetricKey.gauge("mcp_gateway_backend_up", { description: "1 while the gateway is connected to the backend" })
const breakerKey = MetricKey.gauge("mcp_gateway_backend_breaker_state", { description: "The backend's circuit breaker: 0 closed, 1 half-open, 2 open" })
const connectionsKey = MetricKey.gauge("mcp_gateway_backend_connections", { description: "Upstream connections the gateway holds to the backend" })

/**
 * A metric of `key` with its labels fixed once: `Metric.tagged` derives and
 * hashes a new key on every update, too slow for the path of every call.
 */
const fixed = <T extends MetricKeyType.MetricKeyType<number, unknown>>(key: MetricKey.MetricKey<T>, labels: Record<string, string>) =>
  Metric.fromMetricKey(MetricKey.taggedWithLabels(key, Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))))

/** The call metrics of one backend, built once. */
const perBackend = new Map<string, {
  readonly ok: Metric.Metric.Counter<number>
  readonly error: Metric.Metric.Counter<number>
  readonly unavailable: Metric.Metric.Counter<number>
  readonly duration: Metric.Metric.Histogram<number>
}>()

const of = (backend: string) => {
  let metrics = perBackend.get(backend)
  if (metrics === undefined) {
    metrics = {
      ok: fixed(callsKey, { backend, outcome: "ok" }) as Metric.Metric.Counter<number>,
      error: fixed(callsKey, { backend, outcome: "error" }) as Metric.Metric.Counter<number>,
      unavailable: fixed(callsKey, { backend, outcome: "unavailable" }) as Metric.Metric.Counter<number>,
      duration: fixed(durationKey, { backend }) as Metric.Metric.Histogram<number>
    }
    perBackend.set(backend, metrics)
  }
  return metrics
}

/** The state metrics of one backend or instance, built once; `held` counts its connections. */
const perInstance = new Map<string, {
  readonly up: Metric.Metric.Gauge<number>
  readonly breaker: Metric.Metric.Gauge<number>
  readonly connections: Metric.Metric.Gauge<number>
  held: number
}>()

const ofInstance = (backend: string, instance: string | undefined) => {
  const id = instance === undefined ? backend : `${backend}\u0000${instance}`
  let metrics = perInstance.get(id)
  if (metrics === undefined) {
    const labels: Record<string, string> = instance === undefined ? { backend } : { backend, instance }
    metrics = {
      up: fixed(upKey, labels) as Metric.Metric.Gauge<number>,
      breaker: fixed(breakerKey, labels) as Metric.Metric.Gauge<number>,
      connections: fixed(connectionsKey, labels) as Metric.Metric.Gauge<number>,
      held: 0
    }
    perInstance.set(id, metrics)
  }
  return metrics
}

const noTags: ReadonlyArray<never> = []

/** How a forwarded request ended, as the metrics count it: answered, failed, or refused by an open breaker. */
export type CallOutcome = "ok" | "error" | "unavailable"

/** Records one forwarded request. */
export const recordCall = (backend: string, outcome: CallOutcome, seconds: number): void => {
  const metrics = of(backend)
  const counter = outcome === "ok" ? metrics.ok : outcome === "unavailable" ? metrics.unavailable : metrics.error
  counter.unsafeUpdate(1, noTags)
  metrics.duration.unsafeUpdate(seconds, noTags)
}

/** Records whether a backend (or an instance of it) is up. */
export const recordUp = (backend: string, instance: string | undefined, connected: boolean): void =>
  ofInstance(backend, instance).up.unsafeUpdate(connected ? 1 : 0, noTags)

/** Records a connection to a backend (or an instance of it) opened (`1`) or closed (`-1`). */
export const recordConnection = (backend: string, instance: string | undefined, change: 1 | -1): void => {
  const metrics = ofInstance(backend, instance)
  metrics.held = Math.max(0, metrics.held + change)
  metrics.connections.unsafeUpdate(metrics.held, noTags)
}

/** Records the breaker state of a backend (or an instance of it). */
export const recordBreaker = (backend: string, instance: string | undefined, state: "closed" | "half-open" | "open"): void =>
  ofInstance(backend, instance).breaker.unsafeUpdate(state === "closed" ? 0 : state === "half-open" ? 1 : 2, noTags)

/** Records a request refused before reaching the backend (not connected). */
export const recordUnavailable = (backend: string): void => of(backend).unavailable.unsafeUpdate(1, noTags)
