#!/usr/bin/env node
// CPU profile of one HTTP bench server under the bench load.
//
//   node bench/profile.mjs <server name> [<server name> ...]     e.g. emcee emcee-both
//
// For each: starts the entry of bench/lib/servers.mjs with `node --cpu-prof` (pinned like
// the bench), handshake + sanity call, warmup, then the measured wrk/autocannon load, then
// SIGINT so the profile is written. Writes bench/.work/prof/<name>.cpuprofile and
// <name>.meta.json (the measured load's window on the monotonic clock the profile uses,
// and its request count), and prints the summary of bench/lib/cpuprofile.mjs restricted to
// that window: busy µs per request, self time by area, the top functions by self time;
// with several servers, also the self-time diff of each against the first.
//
// Env: BENCH_PROF_SECONDS (10) BENCH_PROF_WARMUP (3) BENCH_PROF_INTERVAL (µs, 250)
//      BENCH_PROF_DIR (bench/.work/prof) BENCH_PROF_TOP (40), and the bench's
//      BENCH_CONNECTIONS / BENCH_LOADGEN / BENCH_PIN / BENCH_SERVER_CPU / BENCH_LOAD_CPU.
// Profiling slows the server down (more at smaller intervals): compare profiles with each
// other, not with bench req/s.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import path from "node:path"
import { BENCH_DIR, ensureDirs, envNumber, handshake, pinning, processCpuUs, sanityCheck, startHttpServer, WORK_DIR } from "./lib/common.mjs"
import { diff, loadWithMeta, summarize } from "./lib/cpuprofile.mjs"
import { chooseLoadGenerator, loadErrors, runLoad } from "./lib/load.mjs"
import { httpServers } from "./lib/servers.mjs"

const log = (msg) => process.stderr.write(`${msg}\n`)
const names = process.argv.slice(2)
if (names.length === 0) {
  log(`usage: node bench/profile.mjs <server name> [...]   (one of: ${httpServers.map((e) => e.name).join(", ")})`)
  process.exit(2)
}
const seconds = envNumber("BENCH_PROF_SECONDS", 10)
const warmup = envNumber("BENCH_PROF_WARMUP", 3)
const interval = Math.max(50, Math.floor(envNumber("BENCH_PROF_INTERVAL", 250)))
const top = Math.floor(envNumber("BENCH_PROF_TOP", 40))
const connections = Math.max(1, Math.floor(envNumber("BENCH_CONNECTIONS", 50)))
const dir = path.resolve(process.env.BENCH_PROF_DIR ?? path.join(WORK_DIR, "prof"))

ensureDirs()
mkdirSync(dir, { recursive: true })
const pin = pinning()
const generator = chooseLoadGenerator()
/** Monotonic µs: the clock V8 stamps profile samples with on Linux (CLOCK_MONOTONIC). */
const nowUs = () => Number(process.hrtime.bigint() / 1000n)

const profiled = []
for (const name of names) {
  const entry = httpServers.find((e) => e.name === name)
  if (!entry) throw new Error(`no HTTP server entry named ${name}`)
  const file = path.join(dir, `${name}.cpuprofile`)
  rmSync(file, { force: true })
  const withProf = {
    ...entry,
    name: `${name}-prof`,
    args: ["--require", path.join(BENCH_DIR, "lib", "exit-on-sigint.cjs"), "--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`, `--cpu-prof-interval=${interval}`, ...entry.args]
  }
  log(`[profile] ${name}: starting server (--cpu-prof-interval=${interval})`)
  const server = await startHttpServer(withProf, pin)
  const exited = new Promise((resolve) => server.child.once("exit", resolve))
  try {
    const { sessionId } = await handshake(server.url, entry)
    await sanityCheck(server.url, sessionId, entry.protocol)
    const opts = { name: withProf.name, url: server.url, sessionId, protocol: entry.protocol, connections, pin }
    if (warmup > 0) await runLoad(generator, { ...opts, seconds: warmup })
    const cpuBefore = processCpuUs(server.child.pid)
    const windowStartUs = nowUs()
    const m = await runLoad(generator, { ...opts, seconds })
    const windowEndUs = nowUs()
    const cpuAfter = processCpuUs(server.child.pid)
    const cpuUsPerRequest = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / m.requests
    log(
      `[profile] ${name}: ${Math.round(m.rps)} req/s under the profiler, ${m.requests} requests, ${loadErrors(m)} errors` +
        (cpuUsPerRequest === undefined ? "" : `, server CPU ${cpuUsPerRequest.toFixed(1)} µs/request`)
    )
    writeFileSync(
      path.join(dir, `${name}.meta.json`),
      JSON.stringify({ name, windowStartUs, windowEndUs, requests: m.requests, rps: m.rps, errors: loadErrors(m), intervalUs: interval, cpuUsPerRequest }, null, 2)
    )
  } finally {
    server.child.kill("SIGINT")
    const timer = setTimeout(() => server.child.kill("SIGKILL"), 60_000)
    await exited
    clearTimeout(timer)
  }
  if (!existsSync(file)) throw new Error(`${name}: no profile at ${file} (did the server exit normally on SIGINT?)`)
  profiled.push(file)
}

const sums = profiled.map((f) => {
  const p = loadWithMeta(f)
  return { p, s: summarize(p, { top }) }
})
const out = [`## CPU profiles (${seconds} s of load, ${connections} connections, sampling every ${interval} µs)`, ""]
for (const { p, s } of sums) out.push(`profile: ${path.relative(process.cwd(), p.file)}`, "", s.md, "")
for (const { p, s } of sums.slice(1)) {
  out.push(`### self µs/request: ${sums[0].p.name} → ${p.name} (largest increases)`, "", diff(sums[0].s, s, { top: 30 }), "")
}
process.stdout.write(out.join("\n"))
