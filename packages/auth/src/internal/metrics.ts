/**
 * The metrics of authentication, authorization and policies, as Effect
 * `Metric`s (they reach `/metrics` beside the server's own). Counters with
 * fixed label sets are built once per set: the updates are on the request
 * path.
 */
import { Metric, MetricKey, MetricLabel } from "effect"

/** A counter with labels; `of(...values)` is the counter of one label set (kept, so a hot path can hold it). */
const counter = (name: string, description: string, labelNames: ReadonlyArray<string>) => {
  const key = MetricKey.counter(name, { description, incremental: true })
  const byLabels = new Map<string, Metric.Metric.Counter<number>>()
  const of = (...values: ReadonlyArray<string>): Metric.Metric.Counter<number> => {
    const id = values.join("\u0000")
    let metric = byLabels.get(id)
    if (metric === undefined) {
      metric = Metric.fromMetricKey(MetricKey.taggedWithLabels(key, labelNames.map((n, i) => MetricLabel.make(n, values[i] ?? "")))) as Metric.Metric.Counter<number>
      // Bounded label values only (authenticator names, outcomes, limiter names); guard against a caller passing free text.
      if (byLabels.size < 1_000) byLabels.set(id, metric)
    }
    return metric
  }
  const record = (...values: ReadonlyArray<string>): void => of(...values).unsafeUpdate(1, noTags)
  return Object.assign(record, { of })
}

const noTags: Array<MetricLabel.MetricLabel> = []

/** Adds one to a counter held by the caller. */
export const increment = (counter: Metric.Metric.Counter<number>): void => counter.unsafeUpdate(1, noTags)

/** `mcp_auth_authentications_total{method, outcome}`: outcome ok, missing, invalid, expired or unavailable. */
export const recordAuthentication = counter(
  "mcp_auth_authentications_total",
  "Authentications, by method (the authenticator) and outcome",
  ["method", "outcome"]
)

/** `mcp_auth_denials_total{reason}`: requests refused by authorization (insufficient_scope, forbidden). */
export const recordDenial = counter("mcp_auth_denials_total", "Requests refused by authorization, by reason", ["reason"])

/** `mcp_policy_rejections_total{policy, name}`: requests refused by a rate limit or a concurrency limit. */
export const recordRejection = counter("mcp_policy_rejections_total", "Requests refused by a policy (rate_limit, concurrency), by policy and name", [
  "policy",
  "name"
])

/** `mcp_oauth_tokens_issued_total{grant}`: token responses of the authorization server, by grant type. */
export const recordTokensIssued = counter("mcp_oauth_tokens_issued_total", "Token responses of the authorization server, by grant type", ["grant"])

/** `mcp_oauth_errors_total{endpoint, error}`: OAuth error responses, by endpoint and registered error code. */
export const recordOAuthError = counter("mcp_oauth_errors_total", "OAuth error responses of the authorization server, by endpoint and error code", [
  "endpoint",
  "error"
])

/** `mcp_oauth_grant_revocations_total{reason}`: grants revoked (code_reuse, refresh_reuse, revocation). */
export const recordGrantRevocation = counter("mcp_oauth_grant_revocations_total", "Grants revoked by the authorization server, by reason", ["reason"])
