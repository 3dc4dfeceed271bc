/**
 * Prometheus text exposition (format 0.0.4) and a JSON export of every
 * Effect metric in the global registry: the server's built-in MCP metrics
 * (see `Metrics`) and any metric the app defines with `Metric.*`. The HTTP
 * transport serves {@link render} on `GET /metrics` with {@link contentType}.
 *
 * Mapping of Effect metric types:
 * - counter → `counter`, named with a `_total` suffix (Prometheus convention)
 * - gauge → `gauge`
 * - histogram → `histogram`: cumulative `_bucket{le}` series ending in `+Inf`, `_sum`, `_count`
 * - summary → `summary`: `{quantile}` series, `_sum`, `_count`
 * - frequency → `counter` with `_total`, one series per observed value in the `key` label
 *   (the label Effect's OpenTelemetry exporter uses)
 *
 * @since 0.1.0
 */
import { Effect, Metric, MetricState, Option } from "effect"
import type { MetricPair } from "effect"
import { unsafeSampleProcess } from "./Metrics.js"

/** The Content-Type of {@link render}'s output. */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

type FamilyType = "counter" | "gauge" | "histogram" | "summary"

interface Sample {
  readonly suffix: string
  readonly labels: ReadonlyArray<readonly [string, string]>
  readonly value: string
}

interface Series {
  readonly labelKey: string
  readonly samples: ReadonlyArray<Sample>
}

interface Family {
  readonly name: string
  readonly type: FamilyType
  help: string | undefined
  readonly series: Array<Series>
}

/** A metric or label name made valid: [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, no colons for labels. */
const sanitize = (name: string, allowColon: boolean): string => {
  const invalid = allowColon ? /[^a-zA-Z0-9_:]/g : /[^a-zA-Z0-9_]/g
  const cleaned = name.replace(invalid, "_")
  if (cleaned === "") return "_"
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned
}

/** Sanitises a metric name to [a-zA-Z_:][a-zA-Z0-9_:]*. */
export const sanitizeMetricName = (name: string): string => sanitize(name, true)

/** Sanitises a label name to [a-zA-Z_][a-zA-Z0-9_]*. */
export const sanitizeLabelName = (name: string): string => sanitize(name, false)

/** Escapes a label value: backslash, double quote and line feed. */
export const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

/** Escapes HELP text: backslash and line feed (quotes stay as they are, per the format). */
export const escapeHelp = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/** A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN` for the special floats). */
export const formatValue = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Number.POSITIVE_INFINITY) return "+Inf"
  if (value === Number.NEGATIVE_INFINITY) return "-Inf"
  return String(value)
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The metric's tags as sanitised, de-duplicated (last wins), sorted labels.
 * A tag that collides with a label the format reserves for the type (`le`,
 * `quantile`, `key`) is renamed `exported_<name>`, as Prometheus itself does.
 */
const labelsOf = (
  pair: MetricPair.MetricPair.Untyped,
  reserved: string | undefined
): ReadonlyArray<readonly [string, string]> => {
  const map = new Map<string, string>()
  for (const tag of pair.metricKey.tags) {
    let name = sanitizeLabelName(tag.key)
    if (name === reserved) name = `exported_${name}`
    map.set(name, tag.value)
  }
  return [...map.entries()].sort(([a], [b]) => compare(a, b))
}

const labelKeyOf = (labels: ReadonlyArray<readonly [string, string]>): string =>
  labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")

const renderLabels = (labels: ReadonlyArray<readonly [string, string]>): string =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`

const withTotal = (name: string): string => (name.endsWith("_total") ? name : `${name}_total`)

const histogramSamples = (
  state: MetricState.MetricState.Histogram,
  labels: ReadonlyArray<readonly [string, string]>
): Array<Sample> => {
  const samples: Array<Sample> = []
  // Effect's buckets are already cumulative and end with the +Inf boundary;
  // the +Inf bucket is written from the count so it always equals _count.
  for (const [bound, count] of state.buckets) {
    if (bound === Number.POSITIVE_INFINITY) continue
    samples.push({ suffix: "_bucket", labels: [...labels, ["le", formatValue(bound)]], value: formatValue(count) })
  }
  samples.push({ suffix: "_bucket", labels: [...labels, ["le", "+Inf"]], value: formatValue(state.count) })
  samples.push({ suffix: "_sum", labels, value: formatValue(state.sum) })
  samples.push({ suffix: "_count", labels, value: formatValue(state.count) })
  return samples
}

const summarySamples = (
  state: MetricState.MetricState.Summary,
  labels: ReadonlyArray<readonly [string, string]>
): Array<Sample> => {
  const samples: Array<Sample> = []
  for (const [quantile, value] of state.quantiles) {
    // No samples in the window yet: Prometheus clients report NaN.
    samples.push({
      suffix: "",
      labels: [...labels, ["quantile", formatValue(quantile)]],
      value: formatValue(Option.getOrElse(value, () => Number.NaN))
    })
  }
  samples.push({ suffix: "_sum", labels, value: formatValue(state.sum) })
  samples.push({ suffix: "_count", labels, value: formatValue(state.count) })
  return samples
}

const toFamily = (
  pair: MetricPair.MetricPair.Untyped
): { readonly name: string; readonly type: FamilyType; readonly series: ReadonlyArray<Series> } | undefined => {
  const base = sanitizeMetricName(pair.metricKey.name)
  const state: unknown = pair.metricState
  if (MetricState.isCounterState(state)) {
    const labels = labelsOf(pair, undefined)
    return {
      name: withTotal(base),
      type: "counter",
      series: [{ labelKey: labelKeyOf(labels), samples: [{ suffix: "", labels, value: formatValue(state.count) }] }]
    }
  }
  if (MetricState.isGaugeState(state)) {
    const labels = labelsOf(pair, undefined)
    return {
      name: base,
      type: "gauge",
      series: [{ labelKey: labelKeyOf(labels), samples: [{ suffix: "", labels, value: formatValue(state.value) }] }]
    }
  }
  if (MetricState.isHistogramState(state)) {
    const labels = labelsOf(pair, "le")
    return { name: base, type: "histogram", series: [{ labelKey: labelKeyOf(labels), samples: histogramSamples(state, labels) }] }
  }
  if (MetricState.isSummaryState(state)) {
    const labels = labelsOf(pair, "quantile")
    return { name: base, type: "summary", series: [{ labelKey: labelKeyOf(labels), samples: summarySamples(state, labels) }] }
  }
  if (MetricState.isFrequencyState(state)) {
    const labels = labelsOf(pair, "key")
    const series: Array<Series> = []
    for (const [key, count] of state.occurrences) {
      const withKey = [...labels, ["key", key] as const].sort(([a], [b]) => compare(a, b))
      series.push({ labelKey: labelKeyOf(withKey), samples: [{ suffix: "", labels: withKey, value: formatValue(count) }] })
    }
    return { name: withTotal(base), type: "counter", series }
  }
  return undefined
}

/**
 * Encodes metric pairs (as from `Metric.snapshot`) in the Prometheus text
 * format 0.0.4: families sorted by name, each with one HELP and TYPE header,
 * series sorted by labels. Should two metrics map to the same family with
 * different types, or to the same series, the first in that order is kept:
 * the alternative is an exposition Prometheus rejects whole.
 */
export const encode = (pairs: Iterable<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  // Sort inputs first so which duplicate wins does not depend on registry order.
  const sorted = [...pairs].sort((a, b) =>
    compare(a.metricKey.name, b.metricKey.name) ||
    compare(labelKeyOf(labelsOf(a, undefined)), labelKeyOf(labelsOf(b, undefined))) ||
    compare(Option.getOrElse(a.metricKey.description, () => ""), Option.getOrElse(b.metricKey.description, () => ""))
  )
  for (const pair of sorted) {
    const rendered = toFamily(pair)
    if (rendered === undefined) continue
    let family = families.get(rendered.name)
    if (family === undefined) {
      family = { name: rendered.name, type: rendered.type, help: undefined, series: [] }
      families.set(rendered.name, family)
    } else if (family.type !== rendered.type) {
      continue
    }
    if (family.help === undefined) family.help = Option.getOrUndefined(pair.metricKey.description)
    for (const series of rendered.series) {
      if (!family.series.some((existing) => existing.labelKey === series.labelKey)) family.series.push(series)
    }
  }
  const lines: Array<string> = []
  for (const family of [...families.values()].sort((a, b) => compare(a.name, b.name))) {
    if (family.series.length === 0) continue
    if (family.help !== undefined && family.help !== "") lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`)
    lines.push(`# TYPE ${family.name} ${family.type}`)
    for (const series of family.series.sort((a, b) => compare(a.labelKey, b.labelKey))) {
      for (const sample of series.samples) {
        lines.push(`${family.name}${sample.suffix}${renderLabels(sample.labels)} ${sample.value}`)
      }
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`
}

/**
 * Every metric in Effect's global registry, in the Prometheus text format
 * 0.0.4, with the process memory gauges sampled just before.
 */
export const render: Effect.Effect<string> = Effect.zipRight(Effect.sync(unsafeSampleProcess), Effect.map(Metric.snapshot, encode))

/** One metric in the JSON export; `name` is the Effect metric's own name, unsanitised. */
export type MetricJson =
  | MetricJson.Counter
  | MetricJson.Gauge
  | MetricJson.Histogram
  | MetricJson.Summary
  | MetricJson.Frequency

/** The variants of {@link MetricJson}. */
export declare namespace MetricJson {
  /** Fields every variant has. */
  export interface Base {
    readonly name: string
    readonly description?: string
    readonly tags: Readonly<Record<string, string>>
  }
  /** A counter's current count (bigint counters converted to number). */
  export interface Counter extends Base {
    readonly type: "counter"
    readonly value: number
  }
  /** A gauge's current value (bigint gauges converted to number). */
  export interface Gauge extends Base {
    readonly type: "gauge"
    readonly value: number
  }
  /** Cumulative buckets; the last has `le: "+Inf"`. `min`/`max` only once something was observed. */
  export interface Histogram extends Base {
    readonly type: "histogram"
    readonly value: {
      readonly buckets: ReadonlyArray<{ readonly le: number | "+Inf"; readonly count: number }>
      readonly count: number
      readonly sum: number
      readonly min?: number
      readonly max?: number
    }
  }
  /** Quantiles (`value: null` when the window is empty), sum and count. */
  export interface Summary extends Base {
    readonly type: "summary"
    readonly value: {
      readonly quantiles: ReadonlyArray<{ readonly quantile: number; readonly value: number | null }>
      readonly count: number
      readonly sum: number
      readonly min?: number
      readonly max?: number
    }
  }
  /** Occurrences per observed value. */
  export interface Frequency extends Base {
    readonly type: "frequency"
    readonly value: Readonly<Record<string, number>>
  }
}

const toJson = (pair: MetricPair.MetricPair.Untyped): MetricJson | undefined => {
  const key = pair.metricKey
  const tags: Record<string, string> = {}
  for (const tag of key.tags) tags[tag.key] = tag.value
  const base: MetricJson.Base = Option.isSome(key.description)
    ? { name: key.name, description: key.description.value, tags }
    : { name: key.name, tags }
  const state: unknown = pair.metricState
  // min/max start at MAX_VALUE/MIN_VALUE in Effect until a value arrives: meaningless, so omitted.
  const range = (s: { readonly count: number; readonly min: number; readonly max: number }) =>
    s.count === 0 ? {} : { min: s.min, max: s.max }
  if (MetricState.isCounterState(state)) return { ...base, type: "counter", value: Number(state.count) }
  if (MetricState.isGaugeState(state)) return { ...base, type: "gauge", value: Number(state.value) }
  if (MetricState.isHistogramState(state)) {
    const buckets = state.buckets.map(([le, count]) => ({ le: le === Number.POSITIVE_INFINITY ? "+Inf" as const : le, count }))
    if (buckets.at(-1)?.le !== "+Inf") buckets.push({ le: "+Inf", count: state.count })
    return { ...base, type: "histogram", value: { buckets, count: state.count, sum: state.sum, ...range(state) } }
  }
  if (MetricState.isSummaryState(state)) {
    const quantiles = state.quantiles.map(([quantile, value]) => ({ quantile, value: Option.getOrNull(value) }))
    return { ...base, type: "summary", value: { quantiles, count: state.count, sum: state.sum, ...range(state) } }
  }
  if (MetricState.isFrequencyState(state)) {
    return { ...base, type: "frequency", value: Object.fromEntries(state.occurrences) }
  }
  return undefined
}

/** Every metric in Effect's global registry as JSON-ready values, sorted by name then tags. */
export const snapshotJson: Effect.Effect<Array<MetricJson>> = Effect.map(Metric.snapshot, (pairs) =>
  pairs
    .flatMap((pair) => {
      const json = toJson(pair)
      return json === undefined ? [] : [json]
    })
    .sort((a, b) =>
      compare(a.name, b.name) || compare(JSON.stringify(Object.entries(a.tags).sort()), JSON.stringify(Object.entries(b.tags).sort()))
    )
)
