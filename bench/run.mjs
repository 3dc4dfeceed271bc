#!/usr/bin/env node
// emcee benchmark runner.
//
//   node bench/run.mjs [http|stdio|sessions|gateway|all]      (default: http; `all` = http, stdio, sessions)
//
// Modes:
//   http      tools/call `echo` over Streamable HTTP (POST /mcp, JSON response), 50 connections,
//             server pinned to one core and the load generator (wrk, else autocannon) to another;
//             all servers in one run, alternating order over rounds, median reported.
//   stdio     tools/call `echo` messages/s over newline-delimited JSON-RPC on a child's stdio,
//             pipelined with a bounded window.
//   sessions  retained heap per idle session after 10,000 initialize handshakes, and whether
//             memory returns to baseline after DELETEing them all.
//   gateway   (opt-in, not in `all`) tools/call `echo` through one `emcee gateway` hop beside the
//             same backend called directly: added p50 at 1 connection, req/s ratio at 50
//             (lib/gateway.mjs; BENCH_BACKEND_CPU (0) BENCH_GATEWAY_CPU (1)).
//
// Env: BENCH_DURATION (s, 10) BENCH_WARMUP (s, 3) BENCH_ROUNDS (3) BENCH_CONNECTIONS (50)
//      BENCH_SERVERS (comma list of names) BENCH_LOADGEN (wrk|autocannon) BENCH_PIN (0 = off)
//      BENCH_SERVER_CPU (0) BENCH_LOAD_CPU (1) BENCH_STDIO_MESSAGES (50000)
//      BENCH_STDIO_WARMUP (5000) BENCH_STDIO_WINDOW (256) BENCH_SESSIONS (10000)
//      BENCH_SESSION_CONCURRENCY (16) BENCH_INSTRUCTIONS (0 = no perf stat instruction count)
// Results: stdout + bench/results/latest.md (+ latest-<mode>.md).
import { spawn, spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import path from "node:path"
import {
  ECHO_TEXT,
  RESULTS_DIR,
  ROOT_DIR,
  checkAuthEnforced,
  commandLine,
  echoCall,
  ensureDirs,
  envNumber,
  fmtBytes,
  fmtInt,
  fmtMs,
  fmtRatio,
  fmtUs,
  handshake,
  http,
  initializeRequest,
  machineInfo,
  mcpHeaders,
  median,
  pinned,
  pinning,
  pool,
  processCpuUs,
  sanityCheck,
  selectEntries,
  startHttpServer,
  startInstructionCount,
  track
} from "./lib/common.mjs"
import { benchGateway } from "./lib/gateway.mjs"
import { chooseLoadGenerator, loadErrors, runLoad } from "./lib/load.mjs"
import { httpServers, stdioServers } from "./lib/servers.mjs"

const log = (msg) => process.stderr.write(`${msg}\n`)
const fmtKInstr = (n) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : "n/a")
let failed = false

/** Alternate the order every round so drift (thermal, noisy neighbours) hits everyone. */
const roundOrder = (entries, round) => (round % 2 === 0 ? entries : [...entries].reverse())

const skippedLines = (skipped) => skipped.map((s) => `- skipped **${s.name}**: ${s.reason}`)

const pinLine = (pin) =>
  pin.enabled
    ? `server pinned to CPU ${pin.serverCpu}, load generator to CPU ${pin.loadCpu} (taskset -c)`
    : `**NOT pinned** (${pin.reason}); numbers are less comparable`

// ---------------------------------------------------------------- http

const wrkVersion = () => {
  const r = spawnSync("wrk", ["--version"], { encoding: "utf8" })
  return (r.stdout || r.stderr || "").split("\n")[0].replace(/ Copyright.*/, "").trim()
}

const benchHttp = async (pin) => {
  const cfg = {
    warmup: envNumber("BENCH_WARMUP", 3),
    duration: envNumber("BENCH_DURATION", 10),
    rounds: Math.max(1, Math.floor(envNumber("BENCH_ROUNDS", 3))),
    connections: Math.max(1, Math.floor(envNumber("BENCH_CONNECTIONS", 50)))
  }
  if (cfg.duration <= 0) throw new Error("BENCH_DURATION must be > 0")
  const generator = chooseLoadGenerator()
  const { selected, skipped } = selectEntries(httpServers)
  for (const s of skipped) log(`[http] skipping ${s.name}: ${s.reason}`)

  /** @type {Map<string, { rounds: any[], failures: string[], warmupErrors: number, cmd?: string }>} */
  const results = new Map(selected.map((e) => [e.name, { rounds: [], failures: [], warmupErrors: 0 }]))

  for (let round = 0; round < cfg.rounds; round++) {
    for (const entry of roundOrder(selected, round)) {
      const r = results.get(entry.name)
      log(`[http] round ${round + 1}/${cfg.rounds} ${entry.name}: starting server`)
      let server
      try {
        server = await startHttpServer(entry, pin)
        // Auth rows: a request without the token must be refused, or the row measures an open server.
        if (entry.auth) await checkAuthEnforced(server.url)
        const { sessionId } = await handshake(server.url, entry)
        await sanityCheck(server.url, sessionId, entry.protocol)
        const opts = { name: entry.name, url: server.url, sessionId, protocol: entry.protocol, connections: cfg.connections, pin }
        let warmupRequests = 0
        if (cfg.warmup > 0) {
          const w = await runLoad(generator, { ...opts, seconds: cfg.warmup })
          r.warmupErrors += loadErrors(w)
          warmupRequests = w.requests
        }
        const instructions = await startInstructionCount(server.child.pid)
        const cpuBefore = processCpuUs(server.child.pid)
        const m = await runLoad(generator, { ...opts, seconds: cfg.duration })
        const cpuAfter = processCpuUs(server.child.pid)
        const counted = await instructions?.stop()
        // User-space instructions per request (perf): the steadiest column on a shared machine.
        m.instrPerRequest = counted === undefined || m.requests === 0 ? undefined : counted / m.requests
        // Server CPU per request: steadier than req/s when other work shares the machine.
        m.cpuUsPerRequest = cpuBefore === undefined || cpuAfter === undefined || m.requests === 0 ? undefined : (cpuAfter - cpuBefore) / m.requests
        // Tracing rows: the server reports the spans its exporter received in GET /__mem; none
        // means tracing was not on, and the row would measure the untraced path.
        let spans
        if (entry.expectSpans) {
          const { spans: n } = await getMem(`http://127.0.0.1:${server.port}`)
          if (!(n > 0)) throw new Error(`expected exported spans, GET /__mem reported spans = ${n}`)
          spans = { spans: n, perRequest: n / (warmupRequests + m.requests) }
        }
        r.rounds.push({ ...m, spans })
        r.cmd = m.cmd
        const errs = loadErrors(m)
        log(
          `[http] round ${round + 1} ${entry.name}: ${fmtInt(m.rps)} req/s, p50 ${fmtMs(m.p50us)}, p99 ${fmtMs(m.p99us)}, server CPU ${fmtUs(m.cpuUsPerRequest)}/req, ${fmtKInstr(m.instrPerRequest)} instr/req` +
            (spans ? `, ${fmtInt(spans.spans)} spans exported (${spans.perRequest.toFixed(2)}/request)` : "") +
            (errs > 0 ? `, ERRORS ${errs} (non2xx ${m.non2xx}, socket ${m.socketErrors}, bad body ${m.badBodies}) e.g. ${m.sample}` : "")
        )
      } catch (err) {
        r.failures.push(String(err?.message ?? err))
        log(`[http] round ${round + 1} ${entry.name}: FAILED: ${err?.message ?? err}`)
      } finally {
        await server?.stop()
      }
    }
  }

  const summary = new Map()
  for (const [name, r] of results) {
    summary.set(name, {
      rps: median(r.rounds.map((x) => x.rps)),
      p50us: median(r.rounds.map((x) => x.p50us)),
      p99us: median(r.rounds.map((x) => x.p99us)),
      cpuUs: median(r.rounds.map((x) => x.cpuUsPerRequest).filter((x) => x !== undefined)),
      instr: median(r.rounds.map((x) => x.instrPerRequest).filter((x) => x !== undefined)),
      errors: r.rounds.reduce((a, x) => a + loadErrors(x), 0)
    })
  }
  const rawRps = summary.get("raw-node")?.rps
  const sdkRps = summary.get("sdk")?.rps

  const lines = [
    "## HTTP: `tools/call echo` over Streamable HTTP (POST /mcp, JSON response)",
    "",
    "| server | req/s | p50 | p99 | ratio vs raw | ratio vs SDK | server CPU / req | CPU ratio vs raw | server instr / req | instr ratio vs raw | errors |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  ]
  const rawCpu = summary.get("raw-node")?.cpuUs
  const rawInstr = summary.get("raw-node")?.instr
  for (const [name, s] of summary) {
    const r = results.get(name)
    if (r.rounds.length === 0) {
      lines.push(`| ${name} | FAILED | | | | | | | | | ${r.failures.length} failure(s) |`)
      failed = true
      continue
    }
    const errCell = s.errors > 0 || r.failures.length > 0 ? `**${s.errors}${r.failures.length ? ` + ${r.failures.length} failed round(s)` : ""}**` : "0"
    if (s.errors > 0 || r.failures.length > 0) failed = true
    lines.push(
      `| ${name} | ${fmtInt(s.rps)} | ${fmtMs(s.p50us)} | ${fmtMs(s.p99us)} | ${fmtRatio(s.rps, rawRps)} | ${fmtRatio(s.rps, sdkRps)} | ${fmtUs(s.cpuUs)} | ${fmtRatio(rawCpu, s.cpuUs)} | ${fmtKInstr(s.instr)} | ${fmtRatio(rawInstr, s.instr)} | ${errCell} |`
    )
  }
  lines.push(
    "",
    `- ${cfg.connections} connections, warmup ${cfg.warmup} s + measure ${cfg.duration} s per server per round, ${cfg.rounds} round(s) in alternating order; table shows the median over rounds`,
    `- load generator: ${generator === "wrk" ? `${wrkVersion()} (-t1, --latency, Lua script with unique JSON-RPC ids and per-response body check)` : "autocannon 8 (fallback: wrk not found or BENCH_LOADGEN=autocannon; latency has 1 ms resolution)"}`,
    `- ${pinLine(pin)}`,
    "- errors = non-2xx + socket errors/timeouts + 2xx responses that did not echo the text (or carried a JSON-RPC error / isError), over measured rounds",
    "- server CPU / req = the server process's user + system CPU time (/proc/<pid>/stat) during the measured phase ÷ requests, median over rounds; CPU ratio vs raw = raw-node's ÷ this one (comparable with the req/s ratio, and less sensitive to other load on the machine)",
    "- server instr / req = user-space instructions the server process executed during the measured phase (`perf stat -e instructions:u -p <pid>`, all threads) ÷ requests, median over rounds (n/a without perf or BENCH_INSTRUCTIONS=0); instr ratio vs raw = raw-node's ÷ this one. A count, not a time: it hardly moves with other load on the machine, but ignores how fast the instructions run (cache misses, kernel time)",
    "- per-round server user instructions / req: " + [...results].map(([n, r]) => `${n} [${r.rounds.map((x) => fmtKInstr(x.instrPerRequest)).join(", ")}]`).join("; "),
    "- per-round server CPU µs/req: " + [...results].map(([n, r]) => `${n} [${r.rounds.map((x) => (x.cpuUsPerRequest === undefined ? "n/a" : x.cpuUsPerRequest.toFixed(1))).join(", ")}]`).join("; "),
    "- per-round req/s: " + [...results].map(([n, r]) => `${n} [${r.rounds.map((x) => fmtInt(x.rps)).join(", ")}]`).join("; ")
  )
  for (const [name, r] of results) {
    const entry = selected.find((e) => e.name === name)
    lines.push(`- ${name}: ${entry?.note ?? ""}${r.cmd ? `; load: \`${r.cmd}\`` : ""}`)
    const traced = r.rounds.filter((x) => x.spans)
    if (traced.length > 0) {
      lines.push(
        `  - spans exported (GET /__mem after each round): ${traced.map((x) => `${fmtInt(x.spans.spans)} (${x.spans.perRequest.toFixed(2)}/request)`).join(", ")}`
      )
    }
    if (r.warmupErrors > 0) lines.push(`  - **${r.warmupErrors} error(s) during warmup**`)
    for (const f of r.failures) lines.push(`  - **failure:** ${f}`)
    const firstBad = r.rounds.find((x) => loadErrors(x) > 0)
    if (firstBad) lines.push(`  - **run had errors**: non2xx ${firstBad.non2xx}, socket ${firstBad.socketErrors}, bad bodies ${firstBad.badBodies}; sample: \`${firstBad.sample}\``)
  }
  lines.push(...skippedLines(skipped))
  return lines.join("\n")
}

// ---------------------------------------------------------------- stdio

const runDriver = (config, pin) =>
  new Promise((resolve, reject) => {
    const [cmd, args] = pinned(pin, pin.loadCpu, "node", [path.join("bench", "lib", "stdio-driver.mjs")])
    const child = track(
      spawn(cmd, args, { cwd: ROOT_DIR, env: { ...process.env, BENCH_STDIO_CONFIG: JSON.stringify(config) }, stdio: ["ignore", "pipe", "pipe"] })
    )
    let out = ""
    let err = ""
    child.stdout.on("data", (c) => (out += c))
    child.stderr.on("data", (c) => (err += c))
    child.on("error", reject)
    child.on("exit", () => {
      const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "))
      if (!line) return reject(new Error(`stdio driver produced no result. stderr: ${err.slice(0, 500)}`))
      const r = JSON.parse(line.slice("BENCH_JSON ".length))
      if (r.failed) return reject(new Error(`${r.failed}${err ? ` (server stderr: ${err.slice(0, 500)})` : ""}`))
      resolve(r)
    })
  })

const benchStdio = async (pin) => {
  const cfg = {
    total: Math.max(1, Math.floor(envNumber("BENCH_STDIO_MESSAGES", 50_000))),
    warmup: Math.floor(envNumber("BENCH_STDIO_WARMUP", 5_000)),
    window: Math.max(1, Math.floor(envNumber("BENCH_STDIO_WINDOW", 256))),
    rounds: Math.max(1, Math.floor(envNumber("BENCH_ROUNDS", 3)))
  }
  const { selected, skipped } = selectEntries(stdioServers)
  for (const s of skipped) log(`[stdio] skipping ${s.name}: ${s.reason}`)
  const results = new Map(selected.map((e) => [e.name, { rounds: [], failures: [] }]))
  for (let round = 0; round < cfg.rounds; round++) {
    for (const entry of roundOrder(selected, round)) {
      const r = results.get(entry.name)
      const [cmd, args] = pinned(pin, pin.serverCpu, entry.cmd, entry.args)
      try {
        const res = await runDriver({ cmd, args, cwd: ROOT_DIR, total: cfg.total, warmup: cfg.warmup, window: cfg.window, text: ECHO_TEXT }, pin)
        r.rounds.push(res)
        log(`[stdio] round ${round + 1}/${cfg.rounds} ${entry.name}: ${fmtInt(res.messagesPerSec)} msg/s${res.errors ? `, ERRORS ${res.errors}: ${res.sample}` : ""}`)
      } catch (err) {
        r.failures.push(String(err?.message ?? err))
        log(`[stdio] round ${round + 1} ${entry.name}: FAILED: ${err?.message ?? err}`)
      }
    }
  }
  const sdk = median(results.get("sdk")?.rounds.map((x) => x.messagesPerSec) ?? [])
  const raw = median(results.get("raw-stdio")?.rounds.map((x) => x.messagesPerSec) ?? [])
  const lines = [
    "## stdio: `tools/call echo` messages/s (newline-delimited JSON-RPC)",
    "",
    "| server | messages/s | ratio vs raw | ratio vs SDK | errors |",
    "|---|---:|---:|---:|---:|"
  ]
  for (const [name, r] of results) {
    if (r.rounds.length === 0) {
      failed = true
      lines.push(`| ${name} | FAILED | | | ${r.failures.length} failure(s) |`)
      continue
    }
    const mps = median(r.rounds.map((x) => x.messagesPerSec))
    const errors = r.rounds.reduce((a, x) => a + x.errors, 0)
    if (errors > 0 || r.failures.length > 0) failed = true
    lines.push(`| ${name} | ${fmtInt(mps)} | ${fmtRatio(mps, raw)} | ${fmtRatio(mps, sdk)} | ${errors > 0 || r.failures.length ? `**${errors}${r.failures.length ? ` + ${r.failures.length} failed round(s)` : ""}**` : "0"} |`)
  }
  lines.push(
    "",
    `- ${cfg.total.toLocaleString("en-US")} calls per round after ${cfg.warmup.toLocaleString("en-US")} warmup calls, at most ${cfg.window} in flight, ${cfg.rounds} round(s) alternating; median shown`,
    `- messages/s = completed (validated) responses / wall time from first request written to last response read`,
    `- ${pinLine(pin)}; the driver (bench/lib/stdio-driver.mjs) runs on the load core`,
    "- per-round msg/s: " + [...results].map(([n, r]) => `${n} [${r.rounds.map((x) => fmtInt(x.messagesPerSec)).join(", ")}]`).join("; ")
  )
  for (const [name, r] of results) {
    const entry = selected.find((e) => e.name === name)
    lines.push(`- ${name}: ${entry?.note ?? ""} (\`${entry.cmd} ${entry.args.join(" ")}\`)`)
    for (const f of r.failures) lines.push(`  - **failure:** ${f}`)
    const bad = r.rounds.find((x) => x.errors > 0)
    if (bad) lines.push(`  - **run had errors**; sample: \`${bad.sample}\``)
  }
  lines.push(...skippedLines(skipped))
  return lines.join("\n")
}

// ---------------------------------------------------------------- sessions

const getMem = async (base) => {
  const res = await http(base + "/__mem")
  if (res.status !== 200) throw new Error(`GET /__mem: HTTP ${res.status}`)
  return JSON.parse(res.body)
}

const createSession = async (url) => {
  const { sessionId } = await handshake(url, { needsSession: true })
  return sessionId
}

const deleteSession = async (url, sessionId) => {
  const res = await http(url, { method: "DELETE", headers: mcpHeaders(sessionId) })
  if (res.status < 200 || res.status > 299) throw new Error(`DELETE session: HTTP ${res.status}: ${res.body.slice(0, 200)}`)
}

const benchSessions = async (pin) => {
  const n = Math.max(1, Math.floor(envNumber("BENCH_SESSIONS", 10_000)))
  const concurrency = Math.max(1, Math.floor(envNumber("BENCH_SESSION_CONCURRENCY", 16)))
  const { selected: all, skipped } = selectEntries(httpServers)
  const named = (process.env.BENCH_SERVERS ?? "").split(",").map((x) => x.trim())
  const selected = all.filter((e) => e.needsSession && (!e.httpOnly || named.includes(e.name)))
  for (const s of skipped) log(`[sessions] skipping ${s.name}: ${s.reason}`)
  const lines = [
    `## sessions: retained memory per idle session (${n.toLocaleString("en-US")} sessions)`,
    "",
    "| server | heap / session | RSS / session | heap growth | residual heap after DELETE all | back to baseline? | sessions tracked (after create → after delete) |",
    "|---|---:|---:|---:|---:|:-:|:-:|"
  ]
  const notes = []
  for (const entry of selected) {
    log(`[sessions] ${entry.name}: starting server`)
    let server
    try {
      server = await startHttpServer(entry, pin)
      const base = `http://127.0.0.1:${server.port}`
      // Warm up code paths (JIT, lazily created structures) so they don't count as per-session cost.
      const warm = []
      await pool(200, concurrency, async () => warm.push(await createSession(server.url)))
      await pool(warm.length, concurrency, (i) => deleteSession(server.url, warm[i]))
      const before = await getMem(base)
      if (!before.gc) notes.push(`- ${entry.name}: **global.gc is not exposed** (start it with --expose-gc); numbers include garbage`)
      const t0 = Date.now()
      const ids = new Array(n)
      await pool(n, concurrency, async (i) => (ids[i] = await createSession(server.url)))
      const createMs = Date.now() - t0
      if (new Set(ids).size !== n) throw new Error("session ids are not unique")
      const after = await getMem(base)
      // The sessions must still be usable (idle, not dropped).
      for (const [k, sid] of [ids[0], ids[n - 1]].entries()) {
        const res = await http(server.url, { method: "POST", headers: mcpHeaders(sid), body: JSON.stringify(echoCall(100 + k)) })
        if (res.status !== 200 || !res.body.includes(ECHO_TEXT)) throw new Error(`session ${sid} not usable after creating ${n}: HTTP ${res.status} ${res.body.slice(0, 200)}`)
      }
      await pool(n, concurrency, (i) => deleteSession(server.url, ids[i]))
      const afterDelete = await getMem(base)
      // A deleted session must be gone.
      const gone = await http(server.url, { method: "POST", headers: mcpHeaders(ids[0]), body: JSON.stringify(echoCall(200)) })
      if (gone.status === 200 && gone.body.includes(ECHO_TEXT)) throw new Error("a DELETEd session still answers tools/call")
      const growth = after.heapUsed - before.heapUsed
      const residual = afterDelete.heapUsed - before.heapUsed
      const back = residual <= Math.max(1024 * 1024, 0.05 * growth)
      const tracked = after.sessions === undefined ? "n/a" : `${after.sessions} → ${afterDelete.sessions}`
      lines.push(
        `| ${entry.name} | ${fmtBytes(growth / n)} | ${fmtBytes((after.rss - before.rss) / n)} | ${fmtBytes(growth)} | ${fmtBytes(residual)} | ${back ? "yes" : "**no**"} | ${tracked} |`
      )
      notes.push(
        `- ${entry.name}: heapUsed ${fmtBytes(before.heapUsed)} → ${fmtBytes(after.heapUsed)} → ${fmtBytes(afterDelete.heapUsed)}, rss ${fmtBytes(before.rss)} → ${fmtBytes(after.rss)} → ${fmtBytes(afterDelete.rss)}; created ${n} sessions in ${createMs} ms (${fmtInt((n / createMs) * 1000)}/s)`
      )
      log(`[sessions] ${entry.name}: ${fmtBytes(growth / n)} heap/session, residual ${fmtBytes(residual)}`)
    } catch (err) {
      failed = true
      lines.push(`| ${entry.name} | FAILED | | | | | |`)
      notes.push(`- ${entry.name}: **failure:** ${err?.message ?? err}`)
      log(`[sessions] ${entry.name}: FAILED: ${err?.message ?? err}`)
    } finally {
      await server?.stop()
    }
  }
  lines.push(
    "",
    `- each session = \`initialize\` + \`notifications/initialized\` (protocol ${initializeRequest().params.protocolVersion}), ${concurrency} in flight; 200 sessions created and deleted first as warmup`,
    "- heap / session = (heapUsed after creating − heapUsed before) / sessions, both read from GET /__mem after a forced full GC (`node --expose-gc`)",
    "- back to baseline = heapUsed after DELETE of every session is within max(1 MiB, 5% of the growth) of the baseline",
    `- ${pinLine(pin)}`,
    ...notes,
    ...skippedLines(skipped)
  )
  return lines.join("\n")
}

// ---------------------------------------------------------------- main

const gatewayMode = async (pin) => {
  const { markdown, failed: gatewayFailed } = await benchGateway(pin, log)
  if (gatewayFailed) failed = true
  return markdown
}

const MODES = { http: benchHttp, stdio: benchStdio, sessions: benchSessions, gateway: gatewayMode }
const arg = process.argv[2] ?? "http"
// `gateway` is opt-in: `all` is the three modes it has always been.
const modes = arg === "all" ? ["http", "stdio", "sessions"] : [arg]
if (!modes.every((m) => m in MODES)) {
  log(`usage: node bench/run.mjs [http|stdio|sessions|gateway|all]  (got ${arg})`)
  process.exit(2)
}

ensureDirs()
const pin = pinning()
if (!pin.enabled) log(`warning: not pinning CPUs: ${pin.reason}`)
// The runner itself is client-side work (handshakes, sessions mode, spawning): keep it off the
// server core. Children are pinned explicitly (servers to the server core, wrk/drivers to the load core).
else if (spawnSync("taskset", ["-a", "-p", "-c", String(pin.loadCpu), String(process.pid)], { stdio: "ignore" }).status !== 0) {
  log(`warning: could not pin the runner itself to CPU ${pin.loadCpu}`)
}

const startedAt = new Date().toISOString()
const header = () =>
  ["# emcee bench results", "", `- date: ${startedAt}`, `- command: \`${commandLine()}\``, `- machine: ${machineInfo()}`, ""].join("\n")

const sections = []
for (const mode of modes) {
  const md = await MODES[mode](pin)
  sections.push(md)
  writeFileSync(path.join(RESULTS_DIR, `latest-${mode}.md`), `${header()}\n${md}\n`)
}

const report = `${header()}\n${sections.join("\n\n")}\n`
writeFileSync(path.join(RESULTS_DIR, "latest.md"), report)
process.stdout.write(report)
if (failed) {
  log("\nbench: some runs had errors or failed (see the report); exit code 1")
  process.exitCode = 1
}
