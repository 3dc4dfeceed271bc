// stdio load driver (run by bench/run.mjs pinned to the load core). Spawns the server
// (pinned to the server core), speaks newline-delimited JSON-RPC over its stdin/stdout:
// initialize, notifications/initialized, then a warmup batch and a measured batch of
// tools/call echo requests, pipelined with at most `window` requests in flight.
// Every response is checked (known id, answered once, echoes the text). Prints one
// `BENCH_JSON {...}` line.
import { spawn } from "node:child_process"
import { performance } from "node:perf_hooks"

const cfg = JSON.parse(process.env.BENCH_STDIO_CONFIG ?? "{}")
const { cmd, args, cwd, total, warmup, window, timeoutMs = 120_000 } = cfg
const TEXT = cfg.text

/** @type {{ onMessage: (msg: any) => void, afterChunk?: () => void, fail: (err: Error) => void } | undefined} */
let current

const child = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", "inherit"] })
child.stdin.on("error", () => {}) // reported via exit instead
let exited = false
child.on("exit", (code, signal) => {
  exited = true
  if (current) current.fail(new Error(`server exited (code ${code}, signal ${signal}) during the run`))
})

let buf = ""
child.stdout.setEncoding("utf8")
child.stdout.on("data", (chunk) => {
  buf += chunk
  let start = 0
  let nl
  while ((nl = buf.indexOf("\n", start)) !== -1) {
    const line = buf.slice(start, nl)
    start = nl + 1
    if (line.trim() === "") continue
    let msg
    try {
      msg = JSON.parse(line)
    } catch {
      current?.fail(new Error(`non-JSON line on server stdout: ${line.slice(0, 200)}`))
      continue
    }
    current?.onMessage(msg)
  }
  buf = buf.slice(start)
  current?.afterChunk?.()
})

const send = (msg) => child.stdin.write(`${JSON.stringify(msg)}\n`)

const withTimeout = (p, what) =>
  Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: timed out after ${timeoutMs} ms`)), timeoutMs).unref())])

const initialize = () =>
  withTimeout(
    new Promise((resolve, reject) => {
      current = {
        onMessage: (msg) => {
          if (msg.id !== "init") return
          if (msg.error || !msg.result?.protocolVersion) return reject(new Error(`initialize failed: ${JSON.stringify(msg).slice(0, 300)}`))
          resolve(msg.result)
        },
        fail: reject
      }
      send({
        jsonrpc: "2.0",
        id: "init",
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "emcee-bench", version: "0.0.0" } }
      })
    }),
    "initialize"
  )

let nextId = 1

/** Pipeline `count` echo calls, window-bounded. Resolves with timing and error counts. */
const phase = (count) =>
  withTimeout(
    new Promise((resolve, reject) => {
      const firstId = nextId
      nextId += count
      const answered = new Uint8Array(count)
      let sent = 0
      let done = 0
      let errors = 0
      let sample = ""
      const line = (id) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${TEXT}"}}}\n`
      const fill = () => {
        let out = ""
        while (sent - done < window && sent < count) out += line(firstId + sent++)
        if (out) child.stdin.write(out)
      }
      const t0 = performance.now()
      current = {
        onMessage: (msg) => {
          if (msg.id === undefined || msg.id === null) return // notification from server
          const i = msg.id - firstId
          if (!Number.isInteger(i) || i < 0 || i >= count || answered[i]) {
            errors++
            if (!sample) sample = `unexpected id: ${JSON.stringify(msg).slice(0, 200)}`
            return
          }
          answered[i] = 1
          done++
          const c = msg.result?.content?.[0]
          if (msg.error || msg.result?.isError || c?.type !== "text" || c.text !== TEXT) {
            errors++
            if (!sample) sample = JSON.stringify(msg).slice(0, 300)
          }
          if (done === count) {
            current = undefined
            resolve({ count, ms: performance.now() - t0, errors, sample })
          }
        },
        afterChunk: fill,
        fail: reject
      }
      fill()
    }),
    `phase of ${count} calls`
  )

try {
  const init = await initialize()
  send({ jsonrpc: "2.0", method: "notifications/initialized" })
  const w = warmup > 0 ? await phase(warmup) : { errors: 0, sample: "" }
  const m = await phase(total)
  process.stdout.write(
    `BENCH_JSON ${JSON.stringify({
      protocolVersion: init.protocolVersion,
      messagesPerSec: (m.count / m.ms) * 1000,
      count: m.count,
      ms: m.ms,
      errors: m.errors + w.errors,
      sample: m.sample || w.sample
    })}\n`
  )
} catch (err) {
  process.stdout.write(`BENCH_JSON ${JSON.stringify({ failed: String(err?.message ?? err) })}\n`)
  process.exitCode = 1
} finally {
  current = undefined
  if (!exited) {
    child.stdin.end()
    const t = setTimeout(() => child.kill("SIGKILL"), 2000)
    child.once("exit", () => clearTimeout(t))
    child.kill("SIGTERM")
  }
}
