import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Metric, MetricBoundaries } from "effect"
import { Metrics, Prometheus } from "../src/index.js"

// Every test uses metric names under its own prefix, so the global registry
// (shared by every metric in the process) cannot leak into expectations.
const renderPrefix = (prefix: string) =>
  Effect.map(Metric.snapshot, (pairs) => Prometheus.encode(pairs.filter((p) => p.metricKey.name.startsWith(prefix))))

type ParsedLine =
  | { readonly kind: "help"; readonly name: string; readonly text: string }
  | { readonly kind: "type"; readonly name: string; readonly type: string }
  | { readonly kind: "sample"; readonly name: string; readonly labels: Record<string, string>; readonly value: number }

// A strict parser for the text format 0.0.4 subset we emit: it throws on
// anything malformed instead of guessing.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/
const parseValue = (text: string): number => {
  if (text === "+Inf") return Number.POSITIVE_INFINITY
  if (text === "-Inf") return Number.NEGATIVE_INFINITY
  if (text === "NaN") return Number.NaN
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`)
  return Number(text)
}
const parseLine = (line: string): ParsedLine => {
  const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
  if (help) {
    const text = help[2]!.replace(/\\(.)/g, (_, c: string) => {
      if (c === "\\") return "\\"
      if (c === "n") return "\n"
      throw new Error(`bad HELP escape \\${c}`)
    })
    return { kind: "help", name: help[1]!, text }
  }
  const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
  if (type) return { kind: "type", name: type[1]!, type: type[2]! }
  const name = NAME.exec(line)
  if (!name) throw new Error(`bad line ${JSON.stringify(line)}`)
  let rest = line.slice(name[0].length)
  const labels: Record<string, string> = {}
  if (rest.startsWith("{")) {
    rest = rest.slice(1)
    while (!rest.startsWith("}")) {
      const label = LABEL.exec(rest)
      if (!label || rest[label[0].length] !== "=" || rest[label[0].length + 1] !== "\"") throw new Error(`bad label in ${line}`)
      rest = rest.slice(label[0].length + 2)
      let value = ""
      for (;;) {
        const c = rest[0]
        if (c === undefined || c === "\n") throw new Error(`unterminated label in ${line}`)
        rest = rest.slice(1)
        if (c === "\"") break
        if (c === "\\") {
          const e = rest[0]
          rest = rest.slice(1)
          if (e === "\\") value += "\\"
          else if (e === "\"") value += "\""
          else if (e === "n") value += "\n"
          else throw new Error(`bad escape in ${line}`)
        } else value += c
      }
      if (label[0] in labels) throw new Error(`duplicate label ${label[0]}`)
      labels[label[0]] = value
      if (rest.startsWith(",")) rest = rest.slice(1)
      else if (!rest.startsWith("}")) throw new Error(`bad label separator in ${line}`)
    }
    rest = rest.slice(1)
  }
  if (!rest.startsWith(" ")) throw new Error(`missing value in ${line}`)
  return { kind: "sample", name: name[0], labels, value: parseValue(rest.slice(1)) }
}
const parse = (text: string): Array<ParsedLine> => {
  expect(text.endsWith("\n")).toBe(true)
  return text.slice(0, -1).split("\n").map(parseLine)
}

describe("Prometheus", () => {
  it("declares the 0.0.4 text content type", () => {
    expect(Prometheus.contentType).toBe("text/plain; version=0.0.4; charset=utf-8")
  })

  it.effect("renders a counter with a _total suffix, HELP and TYPE", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("pc_requests", { description: "Requests seen" })
      yield* Metric.incrementBy(Metric.tagged(counter, "route", "/a"), 3)
      yield* Metric.increment(Metric.tagged(counter, "route", "/b"))
      expect(yield* renderPrefix("pc_")).toBe(
        "# HELP pc_requests_total Requests seen\n" +
          "# TYPE pc_requests_total counter\n" +
          "pc_requests_total{route=\"/a\"} 3\n" +
          "pc_requests_total{route=\"/b\"} 1\n"
      )
    }))

  it.effect("keeps a counter name that already ends in _total", () =>
    Effect.gen(function*() {
      yield* Metric.increment(Metric.counter("pt_jobs_total"))
      expect(yield* renderPrefix("pt_")).toBe("# TYPE pt_jobs_total counter\npt_jobs_total 1\n")
    }))

  it.effect("renders gauges, including bigint gauges", () =>
    Effect.gen(function*() {
      yield* Metric.set(Metric.gauge("pg_temperature", { description: "Degrees" }), -2.5)
      yield* Metric.set(Metric.gauge("pg_bytes", { bigint: true }), 12345678901234567890n)
      expect(yield* renderPrefix("pg_")).toBe(
        "# TYPE pg_bytes gauge\n" +
          "pg_bytes 12345678901234567890\n" +
          "# HELP pg_temperature Degrees\n" +
          "# TYPE pg_temperature gauge\n" +
          "pg_temperature -2.5\n"
      )
    }))

  it.effect("renders histogram buckets cumulatively, ending with +Inf, then _sum and _count", () =>
    Effect.gen(function*() {
      const histogram = Metric.histogram("ph_latency", MetricBoundaries.fromIterable([1, 2, 5]), "Latency")
      for (const value of [0.5, 1.5, 1.5, 3, 10]) yield* Metric.update(histogram, value)
      expect(yield* renderPrefix("ph_")).toBe(
        "# HELP ph_latency Latency\n" +
          "# TYPE ph_latency histogram\n" +
          "ph_latency_bucket{le=\"1\"} 1\n" +
          "ph_latency_bucket{le=\"2\"} 3\n" +
          "ph_latency_bucket{le=\"5\"} 4\n" +
          "ph_latency_bucket{le=\"+Inf\"} 5\n" +
          "ph_latency_sum 16.5\n" +
          "ph_latency_count 5\n"
      )
    }))

  it.effect("puts histogram tags before le and renames a tag that would clash with le", () =>
    Effect.gen(function*() {
      const histogram = Metric.histogram("phl_size", MetricBoundaries.fromIterable([10])).pipe(
        Metric.tagged("method", "get"),
        Metric.tagged("le", "user")
      )
      yield* Metric.update(histogram, 4)
      const lines = parse(yield* renderPrefix("phl_"))
      expect(lines).toContainEqual({
        kind: "sample",
        name: "phl_size_bucket",
        labels: { exported_le: "user", method: "get", le: "10" },
        value: 1
      })
      expect(lines).toContainEqual({ kind: "sample", name: "phl_size_count", labels: { exported_le: "user", method: "get" }, value: 1 })
    }))

  it.effect("renders summaries with quantile series, _sum and _count", () =>
    Effect.gen(function*() {
      const summary = Metric.summary({
        name: "ps_payload",
        description: "Payload size",
        maxAge: Duration.minutes(1),
        maxSize: 100,
        error: 0.01,
        quantiles: [0.5, 0.9]
      })
      for (const value of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) yield* Metric.update(summary, value)
      const lines = parse(yield* renderPrefix("ps_"))
      expect(lines.slice(0, 2)).toEqual([
        { kind: "help", name: "ps_payload", text: "Payload size" },
        { kind: "type", name: "ps_payload", type: "summary" }
      ])
      const samples = lines.filter((l) => l.kind === "sample")
      expect(samples.map((s) => [s.name, s.labels])).toEqual([
        ["ps_payload", { quantile: "0.5" }],
        ["ps_payload", { quantile: "0.9" }],
        ["ps_payload_sum", {}],
        ["ps_payload_count", {}]
      ])
      expect(samples[2]!.value).toBe(55)
      expect(samples[3]!.value).toBe(10)
      expect(samples[0]!.value).toBeGreaterThanOrEqual(4)
      expect(samples[0]!.value).toBeLessThanOrEqual(6)
    }))

  it.effect("renders a frequency as a counter with one series per value in the key label", () =>
    Effect.gen(function*() {
      const frequency = Metric.frequency("pf_status", { description: "Status codes" }).pipe(Metric.tagged("zone", "eu"))
      for (const status of ["200", "500", "200"]) yield* Metric.update(frequency, status)
      expect(yield* renderPrefix("pf_")).toBe(
        "# HELP pf_status_total Status codes\n" +
          "# TYPE pf_status_total counter\n" +
          "pf_status_total{key=\"200\",zone=\"eu\"} 2\n" +
          "pf_status_total{key=\"500\",zone=\"eu\"} 1\n"
      )
    }))

  it.effect("escapes backslash, double quote and newline in label values, and backslash and newline in HELP", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("pe_escaped", { description: "Line one\nsays \"hi\" \\ bye" }).pipe(
        Metric.tagged("path", "C:\\dir\n\"quoted\"")
      )
      yield* Metric.increment(counter)
      const text = yield* renderPrefix("pe_")
      expect(text).toBe(
        "# HELP pe_escaped_total Line one\\nsays \"hi\" \\\\ bye\n" +
          "# TYPE pe_escaped_total counter\n" +
          "pe_escaped_total{path=\"C:\\\\dir\\n\\\"quoted\\\"\"} 1\n"
      )
      expect(parse(text)).toEqual([
        { kind: "help", name: "pe_escaped_total", text: "Line one\nsays \"hi\" \\ bye" },
        { kind: "type", name: "pe_escaped_total", type: "counter" },
        { kind: "sample", name: "pe_escaped_total", labels: { path: "C:\\dir\n\"quoted\"" }, value: 1 }
      ])
    }))

  it.effect("sanitises metric and label names", () =>
    Effect.gen(function*() {
      yield* Metric.set(Metric.gauge("pn_http.requests-active").pipe(Metric.tagged("3rd-party:id", "x")), 1)
      expect(yield* renderPrefix("pn_")).toBe("# TYPE pn_http_requests_active gauge\npn_http_requests_active{_3rd_party_id=\"x\"} 1\n")
      expect(Prometheus.sanitizeMetricName("9lives:ok")).toBe("_9lives:ok")
      expect(Prometheus.sanitizeLabelName("a:b")).toBe("a_b")
    }))

  it.effect("groups series of one name under a single header, sorted by labels, whatever the update order", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("pgr_hits", { description: "Hits" })
      for (const region of ["c", "a", "b"]) yield* Metric.increment(Metric.tagged(counter, "region", region))
      const text = yield* renderPrefix("pgr_")
      expect(text.match(/# TYPE/g)).toHaveLength(1)
      expect(text.match(/# HELP/g)).toHaveLength(1)
      expect(text).toBe(
        "# HELP pgr_hits_total Hits\n# TYPE pgr_hits_total counter\n" +
          "pgr_hits_total{region=\"a\"} 1\npgr_hits_total{region=\"b\"} 1\npgr_hits_total{region=\"c\"} 1\n"
      )
      expect(yield* renderPrefix("pgr_")).toBe(text)
    }))

  it.effect("renders every metric in the global registry — user-defined and built-in MCP — as valid exposition", () =>
    Effect.gen(function*() {
      yield* Metric.incrementBy(Metric.counter("pu_user_defined_events", { description: "An app metric" }), 7)
      Metrics.unsafeRecordRequest("tools/call", "ok", 0.003)
      const text = yield* Prometheus.render
      const lines = parse(text)
      expect(lines).toContainEqual({ kind: "sample", name: "pu_user_defined_events_total", labels: {}, value: 7 })
      expect(lines).toContainEqual({ kind: "type", name: "mcp_requests_total", type: "counter" })
      expect(lines).toContainEqual({ kind: "type", name: "mcp_request_duration_seconds", type: "histogram" })
      expect(lines.some((l) => l.kind === "sample" && l.name === "mcp_request_duration_seconds_bucket" && l.labels.le === "0.005" && l.labels.method === "tools/call")).toBe(true)
      // Each family appears under exactly one TYPE header, and its samples follow it.
      const typed = lines.filter((l) => l.kind === "type").map((l) => l.name)
      expect(new Set(typed).size).toBe(typed.length)
      let current = ""
      for (const line of lines) {
        if (line.kind === "type") current = line.name
        if (line.kind === "sample") expect(line.name.startsWith(current)).toBe(true)
      }
    }))

  it.effect("exports the registry as JSON values", () =>
    Effect.gen(function*() {
      yield* Metric.incrementBy(Metric.counter("pj_count", { description: "Counted" }).pipe(Metric.tagged("k", "v")), 2)
      const histogram = Metric.histogram("pj_hist", MetricBoundaries.fromIterable([1]))
      yield* Metric.update(histogram, 0.5)
      yield* Metric.update(histogram, 3)
      yield* Metric.update(Metric.frequency("pj_freq"), "x")
      const all = yield* Prometheus.snapshotJson
      const mine = all.filter((m) => m.name.startsWith("pj_"))
      expect(mine).toEqual([
        { name: "pj_count", description: "Counted", type: "counter", tags: { k: "v" }, value: 2 },
        { name: "pj_freq", type: "frequency", tags: {}, value: { x: 1 } },
        {
          name: "pj_hist",
          type: "histogram",
          tags: {},
          value: { buckets: [{ le: 1, count: 1 }, { le: "+Inf", count: 2 }], count: 2, sum: 3.5, min: 0.5, max: 3 }
        }
      ])
      expect(JSON.parse(JSON.stringify(mine))).toEqual(mine)
    }))
})
