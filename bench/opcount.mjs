#!/usr/bin/env node
// Effect runtime work per `tools/call`, counted rather than timed (so it does not depend on
// what else runs on the machine):
//
//   node bench/opcount.mjs [<server name> ...]      default: every emcee HTTP entry
//
// For each entry of bench/lib/servers.mjs: starts the server with lib/effect-counters.mjs
// preloaded, does the handshake and BENCH_OPCOUNT_WARMUP (200) calls, reads the counters
// (SIGUSR2), makes BENCH_OPCOUNT_CALLS (2000) sequential `tools/call echo`, reads them again,
// and reports per call: fibers started, Effect ops run (and the most frequent op codes), FiberRef
// writes (by FiberRef) and getFiberRefs calls. Servers that are not Effect programs count 0.
import { ensureDirs, echoCall, envNumber, handshake, http, requestHeaders, sleep, startHttpServer, BENCH_DIR, ECHO_TEXT } from "./lib/common.mjs"
import { httpServers } from "./lib/servers.mjs"
import path from "node:path"

const log = (msg) => process.stderr.write(`${msg}\n`)
const names = process.argv.slice(2)
const entries = names.length > 0
  ? names.map((n) => httpServers.find((e) => e.name === n) ?? (() => { throw new Error(`no HTTP server entry named ${n}`) })())
  : httpServers.filter((e) => e.name.startsWith("emcee"))
const calls = Math.max(1, Math.floor(envNumber("BENCH_OPCOUNT_CALLS", 2000)))
const warmup = Math.floor(envNumber("BENCH_OPCOUNT_WARMUP", 200))
ensureDirs()

const readCounters = async (server) => {
  let buf = ""
  const onData = (c) => (buf += c)
  server.child.stderr.on("data", onData)
  server.child.kill("SIGUSR2")
  for (let i = 0; i < 50 && !buf.includes("\n"); i++) await sleep(20)
  server.child.stderr.off("data", onData)
  const line = buf.split("\n").find((l) => l.startsWith("EFFECT_COUNTERS "))
  if (!line) throw new Error("the server printed no EFFECT_COUNTERS line on SIGUSR2")
  return JSON.parse(line.slice("EFFECT_COUNTERS ".length))
}

const perCall = (a, b) => (b - (a ?? 0)) / calls
const rows = []
for (const entry of entries) {
  const counted = { ...entry, name: `${entry.name}-opcount`, args: ["--import", path.join(BENCH_DIR, "lib", "effect-counters.mjs"), ...entry.args] }
  const server = await startHttpServer(counted, { enabled: false })
  try {
    const { sessionId } = await handshake(server.url, entry)
    const call = async (id) => {
      const res = await http(server.url, { method: "POST", headers: requestHeaders(sessionId, entry.protocol), body: JSON.stringify(echoCall(id, ECHO_TEXT, entry.protocol)) })
      if (res.status !== 200 || !res.body.includes(ECHO_TEXT)) throw new Error(`tools/call: HTTP ${res.status} ${res.body.slice(0, 200)}`)
    }
    for (let i = 0; i < warmup; i++) await call(i + 1)
    const before = await readCounters(server)
    for (let i = 0; i < calls; i++) await call(100_000 + i)
    const after = await readCounters(server)
    const ops = Object.keys(after.byOp)
      .map((op) => [op, perCall(before.byOp[op], after.byOp[op])])
      .filter(([, n]) => n >= 0.5)
      .sort((x, y) => y[1] - x[1])
    const sets = Object.keys(after.setsByRef)
      .map((ref) => [ref, perCall(before.setsByRef[ref], after.setsByRef[ref])])
      .filter(([, n]) => n > 0)
      .sort((x, y) => y[1] - x[1])
    rows.push({
      name: entry.name,
      fibers: perCall(before.fibers, after.fibers),
      ops: perCall(before.ops, after.ops),
      opsBy: ops.map(([op, n]) => `${op} ${n.toFixed(1)}`).join(", "),
      sets: perCall(before.fiberRefSets, after.fiberRefSets),
      setsBy: sets.map(([ref, n]) => `${ref} ${n.toFixed(1)}`).join(", "),
      getFiberRefs: perCall(before.getFiberRefs, after.getFiberRefs)
    })
    log(`[opcount] ${entry.name}: ${rows.at(-1).ops.toFixed(1)} ops/call`)
  } finally {
    await server.stop()
  }
}
const out = [
  `## Effect runtime work per \`tools/call echo\` (${calls} sequential calls after ${warmup} warmup calls)`,
  "",
  "| server | fibers | Effect ops | FiberRef writes | getFiberRefs | ops by code | FiberRef writes by ref |",
  "|---|---:|---:|---:|---:|---|---|",
  ...rows.map((r) => `| ${r.name} | ${r.fibers.toFixed(1)} | ${r.ops.toFixed(1)} | ${r.sets.toFixed(1)} | ${r.getFiberRefs.toFixed(1)} | ${r.opsBy} | ${r.setsBy} |`)
]
process.stdout.write(out.join("\n") + "\n")
