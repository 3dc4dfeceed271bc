#!/usr/bin/env node
// Bytes allocated per request, counted rather than timed (like opcount.mjs, it gives the same
// answer on a busy machine, where CPU time per request does not):
//
//   node bench/alloc.mjs [gateway] [floor] [<http server name> ...]    default: gateway floor
//
// `gateway` is `emcee gateway` in front of the bench's `emcee` backend (as the gateway mode runs
// it), `floor` the hand-written proxy (servers/raw-proxy.mjs) in front of it; any other name is
// an entry of lib/servers.mjs. Each target runs with `--inspect` on a free loopback port: after
// BENCH_WARMUP (3) s of load at BENCH_CONNECTIONS (50) connections, V8's sampling heap profiler
// (over the inspector protocol, every BENCH_ALLOC_INTERVAL (4096) bytes, objects already
// collected included, so it counts what was allocated, not what is alive) runs for
// BENCH_ALLOC_SECONDS (5) s of the same load. The report: bytes per request, by area (Effect's
// runtime, each of Node's modules, each package, as lib/cpuprofile.mjs groups CPU profiles) and
// the top allocating functions. Allocation is
// what the young-generation GC pays for, and it is most of what separates a gateway hop from
// the floor (see README.md, "Bytes per request").
import path from "node:path"
import WebSocket from "ws"
import { areaOf, keyOf } from "./lib/cpuprofile.mjs"
import { envNumber, freePort, handshake, http, pinning, sanityCheck, startHttpServer } from "./lib/common.mjs"
import { gatewayPinning, startGateway } from "./lib/gateway.mjs"
import { chooseLoadGenerator, loadErrors, runLoad } from "./lib/load.mjs"
import { httpServers } from "./lib/servers.mjs"

const log = (msg) => process.stderr.write(`${msg}\n`)
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["gateway", "floor"]
const warmup = envNumber("BENCH_WARMUP", 3)
const seconds = envNumber("BENCH_ALLOC_SECONDS", 5)
const interval = Math.max(64, Math.floor(envNumber("BENCH_ALLOC_INTERVAL", 4096)))
const connections = Math.max(1, Math.floor(envNumber("BENCH_CONNECTIONS", 50)))
const top = Math.floor(envNumber("BENCH_ALLOC_TOP", 25))
const pin = pinning()
const generator = chooseLoadGenerator()
const backendEntry = httpServers.find((e) => e.name === "emcee")

/** One call over the DevTools protocol of the inspector at `port`. */
const inspector = async (port) => {
  const targets = JSON.parse((await http(`http://127.0.0.1:${port}/json/list`)).body)
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl)
  await new Promise((resolve, reject) => {
    socket.once("open", resolve)
    socket.once("error", reject)
  })
  let id = 0
  const pending = new Map()
  socket.on("message", (data) => {
    const message = JSON.parse(String(data))
    const done = pending.get(message.id)
    if (done === undefined) return
    pending.delete(message.id)
    if (message.error !== undefined) done.reject(new Error(`${message.error.message}`))
    else done.resolve(message.result)
  })
  return {
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const next = ++id
        pending.set(next, { resolve, reject })
        socket.send(JSON.stringify({ id: next, method, params }))
      }),
    close: () => socket.close()
  }
}

/** Starts a target with the inspector on; its MCP URL, and how to stop it (with its backend, if any). */
const start = async (name, inspectPort) => {
  const inspect = `--inspect=127.0.0.1:${inspectPort}`
  if (name === "gateway" || name === "floor") {
    const g = gatewayPinning(pin)
    const backend = await startHttpServer({ ...backendEntry, name: "alloc-backend" }, { ...pin, serverCpu: g.backendCpu })
    const front = name === "gateway"
      ? await startGateway(backend.url, g, { nodeArgs: [inspect] })
      : await startHttpServer(
        { name: "alloc-floor", cmd: "node", args: [inspect, path.join("bench", "servers", "raw-proxy.mjs")], env: { BACKEND: backend.url } },
        { ...pin, serverCpu: g.gatewayCpu }
      )
    return { url: front.url, stop: async () => (await front.stop(), await backend.stop()) }
  }
  const entry = httpServers.find((e) => e.name === name)
  if (entry === undefined) throw new Error(`no target named ${name} (gateway, floor, or one of: ${httpServers.map((e) => e.name).join(", ")})`)
  const server = await startHttpServer({ ...entry, name: `alloc-${name}`, args: [inspect, ...entry.args] }, pin)
  return { url: server.url, entry, stop: () => server.stop() }
}

const sections = [`## Bytes allocated per request (${connections} connections, ${seconds} s sampled every ${interval} bytes, after ${warmup} s of warmup)`, ""]
let failed = false
for (const name of names) {
  const inspectPort = await freePort()
  const target = await start(name, inspectPort)
  try {
    const protocol = target.entry?.protocol
    const { sessionId } = await handshake(target.url, { needsSession: target.entry?.needsSession ?? true, protocol })
    await sanityCheck(target.url, sessionId, protocol)
    const opts = { name: `alloc-${name}`, url: target.url, sessionId, protocol, connections, pin }
    if (warmup > 0) await runLoad(generator, { ...opts, seconds: warmup })
    const devtools = await inspector(inspectPort)
    await devtools.call("HeapProfiler.enable")
    await devtools.call("HeapProfiler.startSampling", { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    const m = await runLoad(generator, { ...opts, seconds })
    const { profile } = await devtools.call("HeapProfiler.stopSampling")
    devtools.close()
    if (loadErrors(m) > 0) failed = true
    const byFunction = new Map()
    const byArea = new Map()
    const walk = (node) => {
      // Named and grouped as the CPU profiles are (lib/cpuprofile.mjs).
      const frame = node.callFrame
      if (node.selfSize > 0) {
        const key = keyOf(frame)
        byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize)
        const area = areaOf(frame)
        byArea.set(area, (byArea.get(area) ?? 0) + node.selfSize)
      }
      for (const child of node.children) walk(child)
    }
    walk(profile.head)
    const total = [...byArea.values()].reduce((a, b) => a + b, 0)
    const perRequest = (bytes) => `${Math.round(bytes / m.requests).toLocaleString("en-US")} B`
    log(`[alloc] ${name}: ${perRequest(total)} per request over ${m.requests} requests (${loadErrors(m)} errors)`)
    sections.push(
      `### ${name}: **${perRequest(total)} per request** (${m.requests.toLocaleString("en-US")} requests, ${loadErrors(m)} errors)`,
      "",
      "| area | per request |",
      "|---|---:|",
      ...[...byArea].sort((a, b) => b[1] - a[1]).map(([area, bytes]) => `| ${area} | ${perRequest(bytes)} |`),
      "",
      `| top ${top} functions by bytes allocated | per request |`,
      "|---|---:|",
      ...[...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, bytes]) => `| \`${key}\` | ${perRequest(bytes)} |`),
      ""
    )
  } finally {
    await target.stop()
  }
}
sections.push(`Command: \`node bench/alloc.mjs ${names.join(" ")}\``)
process.stdout.write(`${sections.join("\n")}\n`)
process.exit(failed ? 1 : 0)
