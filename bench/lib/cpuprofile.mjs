#!/usr/bin/env node
// Reads V8 .cpuprofile files (node --cpu-prof) and aggregates them by function
// (name + file:line), self time and total (inclusive) time, optionally only over a time
// window and per request. Used by bench/profile.mjs; also a CLI:
//
//   node bench/lib/cpuprofile.mjs <a.cpuprofile> [<b.cpuprofile> ...] [--top 40]
//   node bench/lib/cpuprofile.mjs <a.cpuprofile> --callers <regex>   (or --callees <regex>)
//
// Each profile may have a sidecar `<file>.meta.json` ({ windowStartUs, windowEndUs,
// requests, name }) written by bench/profile.mjs: samples outside the window are dropped
// and times are also shown as µs per request. With two or more profiles, a diff table
// shows which functions' self µs/request grew against the first.
//
// Caveat for Effect code: a fiber's effects run from Effect's interpreter loop, so the
// *total* time of a function that only builds an effect (e.g. `dispatch`) covers building
// it, not running it. Self time, and the total time of functions that do the work
// themselves (span constructors, span processors, loggers), are what to read.
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

const SPECIAL = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"])

/** Short, stable location: package-relative for node_modules, repo-relative for ours. */
export const shortUrl = (url) => {
  if (!url) return ""
  let u = url.replace(/^file:\/\//, "")
  const nm = u.lastIndexOf("/node_modules/")
  if (nm >= 0) return u.slice(nm + "/node_modules/".length)
  const pk = u.indexOf("/packages/")
  if (pk >= 0) return u.slice(pk + 1)
  const bn = u.indexOf("/bench/")
  if (bn >= 0) return u.slice(bn + 1)
  return u
}

/** The package / area a frame belongs to. */
export const areaOf = (frame) => {
  const name = frame.functionName
  if (SPECIAL.has(name)) return name
  const u = shortUrl(frame.url)
  if (!u) return "(native/builtin)"
  if (u.startsWith("node:")) return u.startsWith("node:internal/") ? `node:${u.split("/")[1]}` : u
  if (u.startsWith("packages/")) return u.split("/").slice(0, 2).join("/")
  if (u.startsWith("@")) return u.split("/").slice(0, 2).join("/")
  return u.split("/")[0]
}

export const keyOf = (frame) => {
  const name = frame.functionName || "(anonymous)"
  const u = shortUrl(frame.url)
  return u ? `${name} ${u}:${frame.lineNumber + 1}` : name
}

/**
 * Aggregate one profile.
 * @param {any} profile parsed .cpuprofile
 * @param {{ windowStartUs?: number, windowEndUs?: number }} [window]
 */
export const aggregate = (profile, window = {}) => {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map()
  const total = new Map()
  const areas = new Map()
  const frames = new Map()
  let sampled = 0
  let t = profile.startTime
  const samples = profile.samples
  const deltas = profile.timeDeltas
  const lo = window.windowStartUs ?? -Infinity
  const hi = window.windowEndUs ?? Infinity
  // V8 convention: sample i was taken at t_i = startTime + sum(deltas[0..i]); it stands for
  // the interval until the next sample.
  const times = new Array(samples.length)
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i]
    times[i] = t
  }
  for (let i = 0; i < samples.length; i++) {
    const at = times[i]
    if (at < lo || at > hi) continue
    const dt = i + 1 < samples.length ? times[i + 1] - at : 0
    if (dt <= 0) continue
    sampled += dt
    const leaf = nodes.get(samples[i])
    const leafKey = keyOf(leaf.callFrame)
    frames.set(leafKey, leaf.callFrame)
    self.set(leafKey, (self.get(leafKey) ?? 0) + dt)
    const area = areaOf(leaf.callFrame)
    areas.set(area, (areas.get(area) ?? 0) + dt)
    const seen = new Set()
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const f = nodes.get(id).callFrame
      const k = keyOf(f)
      if (seen.has(k)) continue
      seen.add(k)
      frames.set(k, f)
      total.set(k, (total.get(k) ?? 0) + dt)
    }
  }
  return { self, total, areas, frames, sampled }
}

/**
 * Time under frames matching `re`, split by the immediate caller (`callers`) or callee
 * (`callees`, `(self)` for the frame's own time), over the same window.
 */
export const neighbours = (profile, window, re, direction) => {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const lo = window.windowStartUs ?? -Infinity
  const hi = window.windowEndUs ?? Infinity
  const out = new Map()
  let t = profile.startTime
  const times = profile.samples.map((_, i) => (t += profile.timeDeltas[i]))
  for (let i = 0; i + 1 < times.length; i++) {
    if (times[i] < lo || times[i] > hi) continue
    const dt = times[i + 1] - times[i]
    // The outermost matching frame of this sample's stack (so recursion counts once).
    let match
    let below
    let prev
    for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      if (re.test(keyOf(nodes.get(id).callFrame))) {
        match = id
        below = prev
      }
      prev = id
    }
    if (match === undefined) continue
    let k
    if (direction === "callers") {
      const p = parent.get(match)
      k = p === undefined ? "(none)" : keyOf(nodes.get(p).callFrame)
    } else {
      k = below === undefined ? "(self)" : keyOf(nodes.get(below).callFrame)
    }
    out.set(k, (out.get(k) ?? 0) + dt)
  }
  return [...out].sort((a, b) => b[1] - a[1])
}

/** Sum of total time of frames whose key matches `re` (outermost match per sample is not tracked: overlapping keys double count). */
export const matching = (agg, re) => [...agg.total].filter(([k]) => re.test(k)).sort((a, b) => b[1] - a[1])

const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(0)} µs`)
const per = (us, requests) => (requests > 0 ? (us / requests).toFixed(2) : "n/a")

export const loadWithMeta = (file) => {
  const profile = JSON.parse(readFileSync(file, "utf8"))
  const metaFile = file.replace(/\.cpuprofile$/, "") + ".meta.json"
  const meta = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, "utf8")) : {}
  return { file, profile, meta, name: meta.name ?? path.basename(file) }
}

/** Markdown summary of one profile. */
export const summarize = ({ profile, meta, name }, { top = 40 } = {}) => {
  const agg = aggregate(profile, meta)
  const req = meta.requests ?? 0
  const busy = agg.sampled - (agg.self.get("(idle)") ?? 0)
  const lines = [
    `### ${name}`,
    "",
    `- window: ${fmt(agg.sampled)} sampled${meta.windowStartUs ? " (measured load only)" : " (whole profile)"}, busy ${fmt(busy)}` +
      (req ? `, ${req.toLocaleString("en-US")} requests → **${per(busy, req)} µs busy per request**` : "") +
      (meta.cpuUsPerRequest ? ` (process CPU time: ${meta.cpuUsPerRequest.toFixed(1)} µs/request)` : ""),
    "",
    "By area (self time):",
    "",
    "| area | self | % busy | µs/request |",
    "|---|---:|---:|---:|"
  ]
  for (const [a, us] of [...agg.areas].sort((x, y) => y[1] - x[1]).slice(0, 20)) {
    lines.push(`| ${a} | ${fmt(us)} | ${((us / busy) * 100).toFixed(1)}% | ${per(us, req)} |`)
  }
  lines.push("", `Top ${top} functions by self time:`, "", "| function | self | % busy | self µs/req | total µs/req |", "|---|---:|---:|---:|---:|")
  for (const [k, us] of [...agg.self].sort((x, y) => y[1] - x[1]).slice(0, top)) {
    lines.push(`| \`${k}\` | ${fmt(us)} | ${((us / busy) * 100).toFixed(1)}% | ${per(us, req)} | ${per(agg.total.get(k) ?? 0, req)} |`)
  }
  return { md: lines.join("\n"), agg, req, busy }
}

/** Functions whose self µs/request differ most between `base` and `other` summaries. */
export const diff = (base, other, { top = 30 } = {}) => {
  const keys = new Set([...base.agg.self.keys(), ...other.agg.self.keys()])
  const rows = []
  for (const k of keys) {
    const a = (base.agg.self.get(k) ?? 0) / (base.req || 1)
    const b = (other.agg.self.get(k) ?? 0) / (other.req || 1)
    rows.push([k, a, b, b - a])
  }
  rows.sort((x, y) => y[3] - x[3])
  const lines = [
    `| function | self µs/req (base) | self µs/req (other) | Δ |`,
    "|---|---:|---:|---:|"
  ]
  for (const [k, a, b, d] of rows.slice(0, top)) lines.push(`| \`${k}\` | ${a.toFixed(2)} | ${b.toFixed(2)} | ${d >= 0 ? "+" : ""}${d.toFixed(2)} |`)
  return lines.join("\n")
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const topAt = args.indexOf("--top")
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 40
  if (args.length === 0) {
    process.stderr.write("usage: node bench/lib/cpuprofile.mjs <a.cpuprofile> [<b.cpuprofile> ...] [--top N]\n")
    process.exit(2)
  }
  for (const direction of ["callers", "callees"]) {
    const at = args.indexOf(`--${direction}`)
    if (at < 0) continue
    const re = new RegExp(args.splice(at, 2)[1])
    for (const f of args) {
      const { profile, meta, name } = loadWithMeta(f)
      const req = meta.requests ?? 0
      const rows = neighbours(profile, meta, re, direction)
      const sum = rows.reduce((a, [, us]) => a + us, 0)
      process.stdout.write(`### ${name}: ${direction} of /${re.source}/ (outermost match; ${per(sum, req)} µs/request in all)\n\n| ${direction === "callers" ? "caller" : "callee"} | µs/request |\n|---|---:|\n`)
      for (const [k, us] of rows.slice(0, top)) process.stdout.write(`| \`${k}\` | ${per(us, req)} |\n`)
      process.stdout.write("\n")
    }
    process.exit(0)
  }
  const sums = args.map((f) => ({ ...loadWithMeta(f) })).map((p) => ({ p, s: summarize(p, { top }) }))
  for (const { s } of sums) process.stdout.write(`${s.md}\n\n`)
  for (const { p, s } of sums.slice(1)) {
    process.stdout.write(`### self µs/request: ${sums[0].p.name} → ${p.name} (largest increases)\n\n${diff(sums[0].s, s, { top })}\n\n`)
  }
}
