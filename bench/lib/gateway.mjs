// The `gateway` mode of bench/run.mjs (opt-in: `node bench/run.mjs gateway`): what one gateway
// hop costs. In one run, rounds alternating the order, it measures `tools/call echo` over
// Streamable HTTP (2025-11-25, JSON responses)
//
//   direct   load generator -> backend
//   gateway  load generator -> `emcee gateway` (packages/cli/dist/bin.js) -> the same backend
//   floor    load generator -> a hand-written node:http reverse proxy (servers/raw-proxy.mjs,
//            no MCP logic) -> the same backend: what Node's HTTP and this machine cost a hop,
//            which no gateway on Node goes below; pinned like the gateway
//
// at 1 connection (sequential requests: p50 / p99 latency, and the p50 the hop adds) and at
// BENCH_CONNECTIONS (50) connections (req/s, and gateway ÷ direct). The backend is the bench's
// `emcee` server (bench/servers/emcee.mjs, the `emcee` row of the http mode), one process per
// round serving both phases; the gateway is the real binary, fresh each round:
//
//   emcee gateway --backend e=http://127.0.0.1:<backend>/mcp --prefix e= --host 127.0.0.1 --port <p>
//
// (`--prefix e=` keeps the backend's tool names, so the same `echo` request goes to both).
// It is measured once `GET /health/ready` answers 200 `"status":"healthy"` and a sanity call
// through it echoes the text.
//
// Cores (taskset): backend on BENCH_BACKEND_CPU (0), gateway on BENCH_GATEWAY_CPU (1). With 3+
// cores the load generator has its own (BENCH_LOAD_CPU, default 2). With 2 cores it cannot:
// the direct phase puts it on the gateway's core (idle then), the gateway phase on the
// backend's (which then serves only the gateway's rate, well below its own capacity), so
// gateway and backend each keep a core of their own. The report says which pinning was used.
//
// BENCH_GATEWAY_BASELINE=<dir>: a fourth path, the gateway of another built checkout (`git worktree
// add <dir> <commit>`, its node_modules linked, `npm run build` there), started and loaded as this
// one is, in the same rounds: the report adds this build's throughput, CPU per request and p50
// each ÷ the baseline's, per round. On a noisy machine that is the only fair before/after.
import { spawn } from "node:child_process"
import { createWriteStream } from "node:fs"
import os from "node:os"
import path from "node:path"
import {
  HOST,
  ROOT_DIR,
  WORK_DIR,
  envNumber,
  fmtInt,
  fmtMs,
  fmtRatio,
  fmtUs,
  freePort,
  handshake,
  http,
  median,
  pinned,
  processCpuUs,
  sanityCheck,
  sleep,
  startHttpServer,
  startInstructionCount,
  track
} from "./common.mjs"
import { chooseLoadGenerator, loadErrors, runLoad } from "./load.mjs"
import { httpServers } from "./servers.mjs"

/** Targets of issue 12 ("Done when", bench/). */
const TARGET_ADDED_P50_MS = 0.3
const TARGET_RATIO = 0.45

const fmtKInstr = (n) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : "n/a")
const fmtAddedMs = (us) => (Number.isFinite(us) ? `${us >= 0 ? "+" : ""}${(us / 1000).toFixed(3)} ms` : "n/a")

/** Which core each process gets (see the header). */
export const gatewayPinning = (pin) => {
  // os.cpus(), not availableParallelism(): the runner has pinned itself to one core by now.
  const cpus = os.cpus().length
  const backendCpu = envNumber("BENCH_BACKEND_CPU", 0)
  const gatewayCpu = envNumber("BENCH_GATEWAY_CPU", 1)
  if (!pin.enabled) return { enabled: false, reason: pin.reason, backendCpu, gatewayCpu, directLoadCpu: undefined, gatewayLoadCpu: undefined, cpus }
  const explicitLoad = process.env.BENCH_LOAD_CPU !== undefined && process.env.BENCH_LOAD_CPU !== ""
  if (cpus >= 3 || explicitLoad) {
    const load = explicitLoad ? envNumber("BENCH_LOAD_CPU", 2) : 2
    return { enabled: true, backendCpu, gatewayCpu, directLoadCpu: load, gatewayLoadCpu: load, cpus }
  }
  return { enabled: true, backendCpu, gatewayCpu, directLoadCpu: gatewayCpu, gatewayLoadCpu: backendCpu, cpus }
}

const pinningLine = (g) =>
  !g.enabled
    ? `**NOT pinned** (${g.reason}); numbers are less comparable`
    : g.directLoadCpu === g.gatewayLoadCpu
    ? `${g.cpus} cores: backend on CPU ${g.backendCpu}, gateway on CPU ${g.gatewayCpu}, load generator on CPU ${g.directLoadCpu} (taskset -c): each on its own core`
    : `${g.cpus} cores, so three processes share two (taskset -c): backend on CPU ${g.backendCpu}, gateway on CPU ${g.gatewayCpu}; the load generator on CPU ${g.directLoadCpu} in the direct phase (the gateway's core, idle then) and on CPU ${g.gatewayLoadCpu} in the gateway phase (the backend's, which then serves only the gateway's rate): backend and gateway each have a core of their own, and the load generator never shares one with the process it saturates`

/** A pin object for the helpers of common.mjs / load.mjs (`serverCpu`, `loadCpu`). */
const pinFor = (g, serverCpu, loadCpu) => ({ enabled: g.enabled, reason: g.reason ?? "", serverCpu, loadCpu })

/**
 * Start `emcee gateway` in front of `backendUrl`, pinned to the gateway core (with `nodeArgs`
 * before the script, e.g. `--inspect`); resolves once it
 * printed its `emcee gateway: … on http://…/mcp` line and `GET /health/ready` answers 200
 * healthy (the backend is connected asynchronously).
 */
export const startGateway = async (backendUrl, g, { timeoutMs = 60_000, nodeArgs = [], root = ROOT_DIR } = {}) => {
  const port = await freePort()
  const cliArgs = [path.join(root, "packages", "cli", "dist", "bin.js"), "gateway", "--backend", `e=${backendUrl}`, "--prefix", "e=", "--host", HOST, "--port", String(port), "--memory"]
  const [cmd, args] = pinned(pinFor(g, g.gatewayCpu, g.gatewayCpu), g.gatewayCpu, "node", [...nodeArgs, ...cliArgs])
  const logPath = path.relative(ROOT_DIR, path.join(WORK_DIR, "gateway.log"))
  const log = createWriteStream(path.join(ROOT_DIR, logPath))
  const child = track(spawn(cmd, args, { cwd: ROOT_DIR, env: process.env, stdio: ["ignore", "pipe", "pipe"] }))
  child.stdout.pipe(log, { end: false })
  const base = `http://${HOST}:${port}`
  const stop = () =>
    new Promise((resolve) => {
      const finish = () => {
        log.end()
        resolve()
      }
      if (child.exitCode !== null || child.signalCode !== null) return finish()
      const t = setTimeout(() => child.kill("SIGKILL"), 3000)
      child.once("exit", () => {
        clearTimeout(t)
        finish()
      })
      child.kill("SIGTERM")
    })
  let exited
  child.once("exit", (code, signal) => (exited = `exited (code ${code}, signal ${signal})`))
  try {
    await new Promise((resolve, reject) => {
      let buf = ""
      const timer = setTimeout(() => reject(new Error(`gateway: no "emcee gateway: … on ${base}/mcp" line on stderr within ${timeoutMs} ms (see ${logPath})`)), timeoutMs)
      const onExit = () => {
        clearTimeout(timer)
        reject(new Error(`gateway: ${exited} before listening; see ${logPath}`))
      }
      child.once("exit", onExit)
      child.stderr.on("data", (chunk) => {
        log.write(chunk)
        buf += chunk.toString("utf8")
        if (buf.includes(`on ${base}/mcp`)) {
          clearTimeout(timer)
          child.off("exit", onExit)
          buf = ""
          resolve()
        }
      })
    })
    const deadline = Date.now() + timeoutMs
    let last = "no answer"
    for (;;) {
      if (exited) throw new Error(`gateway: ${exited} before ready; see ${logPath}`)
      try {
        const res = await http(`${base}/health/ready`)
        if (res.status === 200 && /"status"\s*:\s*"healthy"/.test(res.body)) break
        last = `HTTP ${res.status}: ${res.body.slice(0, 200)}`
      } catch (err) {
        last = String(err?.message ?? err)
      }
      if (Date.now() > deadline) throw new Error(`gateway: GET /health/ready not healthy within ${timeoutMs} ms (last: ${last}); see ${logPath}`)
      await sleep(100)
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { port, url: `${base}/mcp`, child, logPath, cmd: ["node", ...cliArgs].join(" "), stop }
}

/**
 * One load phase (warmup, then measured) against `url`; with `pids`, the CPU time and user
 * instructions of those processes over the measured part, per request.
 */
const measure = async (generator, cfg, { name, url, sessionId, connections, loadPin, pids }) => {
  const opts = { name, url, sessionId, connections, pin: loadPin }
  let warmupErrors = 0
  if (cfg.warmup > 0) warmupErrors = loadErrors(await runLoad(generator, { ...opts, seconds: cfg.warmup }))
  const counters = await Promise.all(Object.values(pids).map((pid) => startInstructionCount(pid)))
  const cpuBefore = Object.values(pids).map((pid) => processCpuUs(pid))
  const m = await runLoad(generator, { ...opts, seconds: cfg.duration })
  const cpuAfter = Object.values(pids).map((pid) => processCpuUs(pid))
  const counted = await Promise.all(counters.map((c) => c?.stop()))
  const perProcess = {}
  Object.keys(pids).forEach((key, i) => {
    perProcess[key] = {
      cpuUs: cpuBefore[i] === undefined || cpuAfter[i] === undefined || m.requests === 0 ? undefined : (cpuAfter[i] - cpuBefore[i]) / m.requests,
      instr: counted[i] === undefined || m.requests === 0 ? undefined : counted[i] / m.requests
    }
  })
  return { ...m, warmupErrors, perProcess }
}

/**
 * @param {{ enabled: boolean, reason: string, serverCpu: number, loadCpu: number }} pin from `pinning()`
 * @param {(msg: string) => void} log
 * @returns {Promise<{ markdown: string, failed: boolean }>}
 */
export const benchGateway = async (pin, log) => {
  const cfg = {
    warmup: envNumber("BENCH_WARMUP", 3),
    duration: envNumber("BENCH_DURATION", 10),
    rounds: Math.max(1, Math.floor(envNumber("BENCH_ROUNDS", 3))),
    connections: Math.max(1, Math.floor(envNumber("BENCH_CONNECTIONS", 50)))
  }
  if (cfg.duration <= 0) throw new Error("BENCH_DURATION must be > 0")
  const generator = chooseLoadGenerator()
  const g = gatewayPinning(pin)
  const backendEntry = httpServers.find((e) => e.name === "emcee")
  let failed = false
  const loads = [
    { key: "c1", connections: 1 },
    { key: "cN", connections: cfg.connections }
  ]
  const floorEntry = { name: "gateway-floor", cmd: "node", args: [path.join("bench", "servers", "raw-proxy.mjs")] }
  // Another build of the gateway (a checkout of the commit before a change, built), measured beside this one: a
  // change to the hot path shows its before/after ratio from one run.
  const baselineRoot = process.env.BENCH_GATEWAY_BASELINE === undefined || process.env.BENCH_GATEWAY_BASELINE === ""
    ? undefined
    : path.resolve(process.env.BENCH_GATEWAY_BASELINE)
  const phases = ["direct", "gateway", "floor", ...(baselineRoot === undefined ? [] : ["baseline"])]
  /** rounds[i] = { direct: { c1, cN }, gateway: { c1, cN }, floor: { c1, cN }, baseline?: { c1, cN } } */
  const rounds = []
  const failures = []
  let gatewayCmd
  const loadCmds = {}

  for (let round = 0; round < cfg.rounds; round++) {
    const order = round % 2 === 0 ? phases : [...phases].reverse()
    const result = Object.fromEntries(phases.map((phase) => [phase, {}]))
    let backend
    try {
      log(`[gateway] round ${round + 1}/${cfg.rounds}: starting the backend (${backendEntry.name}) on CPU ${g.backendCpu}; order ${order.join(", ")}`)
      backend = await startHttpServer({ ...backendEntry, name: "gateway-backend" }, pinFor(g, g.backendCpu, g.directLoadCpu))
      for (const phase of order) {
        let gateway
        try {
          let url = backend.url
          const pids = { backend: backend.child.pid }
          if (phase === "gateway") {
            gateway = await startGateway(backend.url, g)
            gatewayCmd = gateway.cmd
            url = gateway.url
            pids.gateway = gateway.child.pid
          } else if (phase === "baseline") {
            gateway = await startGateway(backend.url, g, { root: baselineRoot })
            url = gateway.url
            pids.gateway = gateway.child.pid
          } else if (phase === "floor") {
            gateway = await startHttpServer({ ...floorEntry, env: { BACKEND: backend.url } }, pinFor(g, g.gatewayCpu, g.gatewayLoadCpu))
            url = gateway.url
            pids.gateway = gateway.child.pid
          }
          const { sessionId } = await handshake(url, { needsSession: true })
          await sanityCheck(url, sessionId)
          // The floor runs where the gateway does, loaded from the same core.
          const loadCpu = phase === "direct" ? g.directLoadCpu : g.gatewayLoadCpu
          for (const load of loads) {
            const m = await measure(generator, cfg, {
              name: `gateway-${phase}-c${load.connections}`,
              url,
              sessionId,
              connections: load.connections,
              loadPin: pinFor(g, g.backendCpu, loadCpu),
              pids
            })
            result[phase][load.key] = m
            loadCmds[`${phase} ${load.connections}`] = m.cmd
            const errs = loadErrors(m) + m.warmupErrors
            if (errs > 0) failed = true
            const procs = Object.entries(m.perProcess).map(([k, v]) => `${k} ${fmtUs(v.cpuUs)} CPU, ${fmtKInstr(v.instr)} instr`).join("; ")
            log(
              `[gateway] round ${round + 1} ${phase} ${load.connections} conn: ${fmtInt(m.rps)} req/s, p50 ${fmtMs(m.p50us)}, p99 ${fmtMs(m.p99us)} (per req: ${procs})` +
                (errs > 0 ? `, ERRORS ${errs} (non2xx ${m.non2xx}, socket ${m.socketErrors}, bad body ${m.badBodies}, warmup ${m.warmupErrors}) e.g. ${m.sample}` : "")
            )
          }
        } finally {
          await gateway?.stop()
        }
      }
      rounds.push(result)
    } catch (err) {
      failed = true
      failures.push(`round ${round + 1}: ${err?.message ?? err}`)
      log(`[gateway] round ${round + 1}: FAILED: ${err?.message ?? err}`)
    } finally {
      await backend?.stop()
    }
  }

  const col = (phase, key, f) => rounds.map((r) => f(r[phase][key])).filter((x) => x !== undefined && Number.isFinite(x))
  const med = (phase, key, f) => median(col(phase, key, f))
  const addedP50 = rounds.map((r) => r.gateway.c1.p50us - r.direct.c1.p50us)
  const addedP99 = rounds.map((r) => r.gateway.c1.p99us - r.direct.c1.p99us)
  const ratios = rounds.map((r) => r.gateway.cN.rps / r.direct.cN.rps)
  const floorAddedP50 = median(rounds.map((r) => r.floor.c1.p50us - r.direct.c1.p50us))
  const floorRatio = median(rounds.map((r) => r.floor.cN.rps / r.direct.cN.rps))
  const added = median(addedP50)
  const ratio = median(ratios)
  const errorsOf = (phase) => rounds.reduce((a, r) => a + loads.reduce((b, l) => b + loadErrors(r[phase][l.key]) + r[phase][l.key].warmupErrors, 0), 0)
  const verdict = (ok) => (ok ? "met" : "**not met**")
  const perRound = (xs, f) => xs.map(f).join(", ")

  const lines = [
    "## gateway: `tools/call echo` through one `emcee gateway` hop beside the backend called directly",
    ""
  ]
  if (rounds.length === 0) {
    lines.push("**every round failed**", "", ...failures.map((f) => `- **failure:** ${f}`))
    return { markdown: lines.join("\n"), failed: true }
  }
  lines.push(
    `| path | p50 (1 conn) | p99 (1 conn) | req/s (1 conn) | req/s (${cfg.connections} conn) | p50 (${cfg.connections} conn) | p99 (${cfg.connections} conn) | backend CPU / req | proxy CPU / req | backend instr / req | proxy instr / req | errors |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  )
  const pathName = {
    direct: "direct (client → backend)",
    gateway: "gateway (client → gateway → backend)",
    floor: "floor (client → raw node:http proxy → backend)",
    baseline: `baseline gateway (${baselineRoot})`
  }
  for (const phase of phases) {
    const errs = errorsOf(phase)
    lines.push(
      `| ${pathName[phase]} | ${fmtMs(med(phase, "c1", (m) => m.p50us))} | ${fmtMs(med(phase, "c1", (m) => m.p99us))} | ${fmtInt(med(phase, "c1", (m) => m.rps))} | ${fmtInt(med(phase, "cN", (m) => m.rps))} | ${fmtMs(med(phase, "cN", (m) => m.p50us))} | ${fmtMs(med(phase, "cN", (m) => m.p99us))} | ${fmtUs(med(phase, "cN", (m) => m.perProcess.backend?.cpuUs))} | ${phase !== "direct" ? fmtUs(med(phase, "cN", (m) => m.perProcess.gateway?.cpuUs)) : "—"} | ${fmtKInstr(med(phase, "cN", (m) => m.perProcess.backend?.instr))} | ${phase !== "direct" ? fmtKInstr(med(phase, "cN", (m) => m.perProcess.gateway?.instr)) : "—"} | ${errs > 0 ? `**${errs}**` : "0"} |`
    )
  }
  lines.push(
    "",
    "| per hop | gateway (median over rounds) | target | | floor (raw proxy) |",
    "|---|---:|---:|:-:|---:|",
    `| added p50 latency, 1 connection (p50 − direct p50) | **${fmtAddedMs(added)}** | < ${TARGET_ADDED_P50_MS} ms | ${verdict(added < TARGET_ADDED_P50_MS * 1000)} | ${fmtAddedMs(floorAddedP50)} |`,
    `| added p99 latency, 1 connection | ${fmtAddedMs(median(addedP99))} | | | |`,
    `| throughput, ${cfg.connections} connections (req/s ÷ direct req/s) | **${fmtRatio(ratio, 1)}** | ≥ ${TARGET_RATIO}x | ${verdict(ratio >= TARGET_RATIO)} | ${fmtRatio(floorRatio, 1)} |`,
    "",
    ...(baselineRoot === undefined ? [] : [
      `- **this build ÷ the baseline** (per round, median): throughput at ${cfg.connections} connections ${fmtRatio(median(rounds.map((r) => r.gateway.cN.rps / r.baseline.cN.rps)), 1)}, gateway CPU per request ${fmtRatio(median(rounds.map((r) => r.gateway.cN.perProcess.gateway.cpuUs / r.baseline.cN.perProcess.gateway.cpuUs)), 1)}, p50 at 1 connection ${fmtRatio(median(rounds.map((r) => r.gateway.c1.p50us / r.baseline.c1.p50us)), 1)}; per-round throughput ${perRound(rounds, (r) => fmtRatio(r.gateway.cN.rps / r.baseline.cN.rps, 1))}, CPU ${perRound(rounds, (r) => fmtRatio(r.gateway.cN.perProcess.gateway.cpuUs / r.baseline.cN.perProcess.gateway.cpuUs, 1))} (BENCH_GATEWAY_BASELINE=${baselineRoot})`
    ]),
    `- ${cfg.rounds} round(s), order alternating (odd rounds ${phases.join(", ")}; even rounds the reverse); per round and path: warmup ${cfg.warmup} s + measure ${cfg.duration} s at 1 connection, then the same at ${cfg.connections}; tables show medians over rounds; the added latency and the ratio are taken per round (same backend process, minutes apart) and their median shown`,
    `- per-round added p50: ${perRound(addedP50, fmtAddedMs)}; per-round added p99: ${perRound(addedP99, fmtAddedMs)}; per-round ratio: ${perRound(ratios, (x) => fmtRatio(x, 1))}`,
    `- per-round req/s at ${cfg.connections} conn: direct [${perRound(rounds, (r) => fmtInt(r.direct.cN.rps))}], gateway [${perRound(rounds, (r) => fmtInt(r.gateway.cN.rps))}], floor [${perRound(rounds, (r) => fmtInt(r.floor.cN.rps))}]; per-round p50 at 1 conn: direct [${perRound(rounds, (r) => fmtMs(r.direct.c1.p50us))}], gateway [${perRound(rounds, (r) => fmtMs(r.gateway.c1.p50us))}], floor [${perRound(rounds, (r) => fmtMs(r.floor.c1.p50us))}]`,
    `- load generator: ${generator === "wrk" ? "wrk -t1 --latency (µs latency histogram), Lua script with unique JSON-RPC ids and a per-response body check" : "autocannon (fallback: wrk not found or BENCH_LOADGEN=autocannon; **latency has 1 ms resolution**, too coarse for the added p50)"}; at 1 connection the requests are strictly sequential`,
    `- ${pinningLine(g)}`,
    `- backend: \`${backendEntry.args.join(" ")}\` (the \`emcee\` row of the http mode: stateful Streamable HTTP, JSON responses), one process per round serving both paths`,
    `- gateway: \`${gatewayCmd ?? "node packages/cli/dist/bin.js gateway --backend e=<backend url> --prefix e= --host 127.0.0.1 --port <port>"}\` (a fresh process per round, measured once \`GET /health/ready\` is healthy); the client speaks 2025-11-25 with a session to whichever it calls, the gateway picks its own revision for the upstream hop (see its log, bench/.work/gateway.log)`,
    "- floor: `node bench/servers/raw-proxy.mjs` with BACKEND = the backend's URL: each POST body and its MCP headers forwarded as they came on a kept-alive `http.Agent`, the answer passed back; started and pinned as the gateway is",
    "- request: `POST /mcp` `tools/call` `echo` `{ text }`, `MCP-Protocol-Version: 2025-11-25` + `Mcp-Session-Id`; a response counts only if it is 2xx JSON echoing the text without a JSON-RPC error or `isError`",
    `- CPU / req = the process's user + system CPU time (/proc/<pid>/stat) over the measured ${cfg.connections}-connection phase ÷ requests; instr / req = its user-space instructions (\`perf stat -e instructions:u\`, n/a without perf or with BENCH_INSTRUCTIONS=0) ÷ requests; the backend's columns in the gateway row are its cost for the gateway's (2026-07-28 or 2025-11-25) upstream requests`,
    `- errors = non-2xx + socket errors/timeouts + bad bodies over warmup and measured phases`,
    ...Object.entries(loadCmds).map(([k, c]) => `- load (${k} conn): \`${c}\``),
    ...failures.map((f) => `- **failure:** ${f}`)
  )
  if (failures.length > 0) failed = true
  return { markdown: lines.join("\n"), failed }
}
