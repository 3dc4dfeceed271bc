// Shared runner helpers: process management, a tiny keep-alive HTTP client, MCP handshake,
// statistics and formatting. Everything targets 127.0.0.1 only.
import { spawn, spawnSync } from "node:child_process"
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs"
import { Agent, request as httpRequest } from "node:http"
import { createServer } from "node:net"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
export const ROOT_DIR = path.resolve(BENCH_DIR, "..")
export const WORK_DIR = path.join(BENCH_DIR, ".work")
export const RESULTS_DIR = path.join(BENCH_DIR, "results")

export const HOST = "127.0.0.1"
export const PROTOCOL_VERSION = "2025-11-25"
/**
 * The stateless revision: no initialize and no session; every request carries its protocol
 * version, client info and capabilities in `params._meta`, and mirrors method and name in the
 * `Mcp-Method` / `Mcp-Name` headers (spec 2026-07-28 basic/index "Per-request protocol fields",
 * basic/transports/streamable-http "Standard Request Headers").
 */
export const STATELESS_PROTOCOL_VERSION = "2026-07-28"
/** Unique marker: a response counts as correct only if it echoes this text back. */
export const ECHO_TEXT = "emcee-bench-echo-7f3a9c"
export const ACCEPT = "application/json, text/event-stream"

export const ensureDirs = () => {
  mkdirSync(WORK_DIR, { recursive: true })
  mkdirSync(RESULTS_DIR, { recursive: true })
}

// ---------------------------------------------------------------- config

export const envNumber = (name, fallback) => {
  const v = process.env[name]
  if (v === undefined || v === "") return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(v)}`)
  return n
}

/** Pinning: server on one core, load generator on another. Disabled with BENCH_PIN=0. */
export const pinning = () => {
  const serverCpu = envNumber("BENCH_SERVER_CPU", 0)
  const loadCpu = envNumber("BENCH_LOAD_CPU", 1)
  if (process.env.BENCH_PIN === "0") return { enabled: false, reason: "BENCH_PIN=0", serverCpu, loadCpu }
  const cpus = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length
  if (cpus < 2) return { enabled: false, reason: `only ${cpus} CPU available`, serverCpu, loadCpu }
  if (!which("taskset")) return { enabled: false, reason: "taskset not found (apt-get install util-linux)", serverCpu, loadCpu }
  return { enabled: true, reason: "", serverCpu, loadCpu }
}

/** Prefix a command with `taskset -c <cpu>` when pinning is enabled. */
export const pinned = (pin, cpu, cmd, args) => (pin.enabled ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args])

export const which = (bin) => {
  const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** Filter entries by BENCH_SERVERS=a,b (optional) and report missing `requires` files. */
export const selectEntries = (entries) => {
  const only = (process.env.BENCH_SERVERS ?? "").split(",").map((s) => s.trim()).filter(Boolean)
  const selected = []
  const skipped = []
  for (const e of entries) {
    if (only.length > 0 ? !only.includes(e.name) : e.optIn) continue
    if (e.requires && !existsSync(path.join(ROOT_DIR, e.requires))) {
      skipped.push({ name: e.name, reason: `${e.requires} does not exist yet` })
      continue
    }
    selected.push(e)
  }
  return { selected, skipped }
}

/** The command line as typed, with the BENCH_* env vars that shaped it. */
export const commandLine = () => {
  const env = Object.keys(process.env)
    .filter((k) => k.startsWith("BENCH_"))
    .sort()
    .map((k) => `${k}=${process.env[k]}`)
  const script = path.relative(process.cwd(), process.argv[1] ?? "bench/run.mjs") || "bench/run.mjs"
  const npm = process.env.npm_lifecycle_event ? ` (via \`npm run ${process.env.npm_lifecycle_event}\`)` : ""
  return `${[...env, "node", script, ...process.argv.slice(2)].join(" ")}${npm}`
}

export const machineInfo = () => {
  const cpu = os.cpus()[0]?.model ?? "unknown cpu"
  return `node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}, ${os.cpus().length} x ${cpu.trim()}`
}

// ---------------------------------------------------------------- processes

let clockTicks
/**
 * CPU time (user + system, all threads) a process has used so far, in µs, from
 * /proc/<pid>/stat; undefined where there is no /proc. Unlike wall-clock throughput it does
 * not count time the process waited for a core, so it is steadier on a shared machine.
 */
export const processCpuUs = (pid) => {
  try {
    clockTicks ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the parenthesised command name (which may contain spaces): utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks
  } catch {
    return undefined
  }
}

/**
 * Counts the user-space instructions a process executes (`perf stat -e instructions:u -p <pid>`,
 * all its threads) from now until `stop()`, which resolves to the count (undefined when perf is
 * missing, not permitted — kernel.perf_event_paranoid above 2 — or printed nothing usable).
 * Unlike time, an instruction count hardly moves when other work shares the machine. Returns
 * undefined at once when perf is not installed or BENCH_INSTRUCTIONS=0.
 */
export const startInstructionCount = async (pid) => {
  if (process.env.BENCH_INSTRUCTIONS === "0" || !which("perf")) return undefined
  const perf = track(spawn("perf", ["stat", "-x,", "-e", "instructions:u", "-p", String(pid)], { stdio: ["ignore", "ignore", "pipe"] }))
  let err = ""
  perf.stderr.on("data", (c) => (err += c))
  const exited = new Promise((resolve) => perf.once("exit", resolve))
  perf.once("error", () => {})
  // perf prints nothing until it stops: give it time to attach to the process's threads.
  await sleep(250)
  return {
    stop: async () => {
      if (perf.exitCode === null && perf.signalCode === null) perf.kill("SIGINT")
      await exited
      const line = err.split("\n").find((l) => l.includes("instructions"))
      const n = Number(line?.split(",")[0])
      return Number.isFinite(n) && n > 0 ? n : undefined
    }
  }
}

const children = new Set()

const killAll = () => {
  for (const c of children) {
    try {
      c.kill("SIGKILL")
    } catch {
      // already gone
    }
  }
}
process.on("exit", killAll)
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    killAll()
    process.exit(130)
  })
}

/** Track a child so it is killed if the runner dies. */
export const track = (child) => {
  children.add(child)
  child.on("exit", () => children.delete(child))
  return child
}

export const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on("error", reject)
    srv.listen(0, HOST, () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })

// ---------------------------------------------------------------- credentials

/**
 * Bearer tokens of the servers under test, by origin (`http://127.0.0.1:<port>`): a server
 * started with `auth` prints `token <jwt>` before `listening <port>`, and every request this
 * module or the load generators send to that origin carries `Authorization: Bearer <jwt>`
 * (handshake, sanity call, wrk/autocannon load, sessions, profile and opcount runs alike),
 * unless the caller set its own `authorization` header. Set (or cleared) on every start, so a
 * reused port never inherits another server's token.
 */
const bearerTokens = new Map()

/** The `authorization` header for requests to `url`'s origin: `{}` when its server has no token. */
export const authHeaders = (url) => {
  const token = bearerTokens.get(new URL(url).origin)
  return token === undefined ? {} : { authorization: `Bearer ${token}` }
}

/**
 * Start an HTTP server entry pinned to the server core and wait for `listening <port>`.
 * stdout/stderr go to bench/.work/<name>.log (a `token` line with its value redacted).
 * Entries with `auth` must print `token <jwt>` first (see `authHeaders`).
 */
export const startHttpServer = async (entry, pin, { timeoutMs = 30_000 } = {}) => {
  const port = await freePort()
  const origin = `http://${HOST}:${port}`
  bearerTokens.delete(origin)
  const logPath = path.relative(ROOT_DIR, path.join(WORK_DIR, `${entry.name}.log`))
  const log = createWriteStream(path.join(ROOT_DIR, logPath))
  const [cmd, args] = pinned(pin, pin.serverCpu, entry.cmd, entry.args)
  const child = track(
    spawn(cmd, args, {
      cwd: ROOT_DIR,
      env: { ...process.env, ...entry.env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"]
    })
  )
  child.stderr.pipe(log, { end: false })
  await new Promise((resolve, reject) => {
    let buf = ""
    const timer = setTimeout(() => fail(new Error(`${entry.name}: no "listening ${port}" line on stdout within ${timeoutMs} ms (see ${logPath})`)), timeoutMs)
    const onData = (chunk) => {
      buf += chunk.toString("utf8")
      const lines = buf.split("\n")
      buf = lines.pop() ?? ""
      for (const line of lines) {
        const token = /^token (\S+)\s*$/.exec(line.trim())
        if (token) {
          bearerTokens.set(origin, token[1])
          log.write("token <redacted>\n")
          continue
        }
        log.write(`${line}\n`)
        const m = /^listening (\d+)\s*$/.exec(line.trim())
        if (m) {
          if (Number(m[1]) !== port) return fail(new Error(`${entry.name}: printed "listening ${m[1]}" but PORT was ${port}`))
          if (entry.auth && !bearerTokens.has(origin)) return fail(new Error(`${entry.name}: marked auth "${entry.auth}" but printed no "token <jwt>" line before "listening"`))
          if (buf !== "") log.write(buf)
          done()
          return resolve()
        }
      }
    }
    const onExit = (code, signal) => fail(new Error(`${entry.name}: exited (code ${code}, signal ${signal}) before listening; see ${logPath}`))
    const done = () => {
      clearTimeout(timer)
      child.stdout.off("data", onData)
      child.off("exit", onExit)
      child.stdout.pipe(log, { end: false }) // keep draining stdout
    }
    const fail = (err) => {
      done()
      child.kill("SIGKILL")
      reject(err)
    }
    child.stdout.on("data", onData)
    child.on("exit", onExit)
  })
  return {
    port,
    url: `${origin}/mcp`,
    logPath,
    child,
    stop: () =>
      new Promise((resolve) => {
        bearerTokens.delete(origin)
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const t = setTimeout(() => child.kill("SIGKILL"), 3000)
        child.once("exit", () => {
          clearTimeout(t)
          log.end()
          resolve()
        })
        child.kill("SIGTERM")
      })
  }
}

/**
 * For entries with `auth`: the endpoint must refuse a request without the token with 401 and
 * a `WWW-Authenticate: Bearer` challenge (spec basic/authorization, RFC 6750 §3), so the row
 * cannot silently measure an unguarded server.
 */
export const checkAuthEnforced = async (url) => {
  const res = await http(url, { method: "POST", headers: { ...mcpHeaders(), authorization: "" }, body: JSON.stringify(initializeRequest(0)) })
  const challenge = String(res.headers["www-authenticate"] ?? "")
  if (res.status !== 401 || !challenge.startsWith("Bearer")) {
    throw new Error(`expected 401 with a Bearer challenge without a token, got HTTP ${res.status} (WWW-Authenticate ${JSON.stringify(challenge)}): ${res.body.slice(0, 200)}`)
  }
}

// ---------------------------------------------------------------- HTTP client

const agent = new Agent({ keepAlive: true, maxSockets: 64 })

/**
 * Minimal HTTP request to 127.0.0.1, with the server's bearer token when it has one
 * (`authHeaders`).
 * @returns {Promise<{ status: number, headers: import("node:http").IncomingHttpHeaders, body: string }>}
 */
export const http = (url, { method = "GET", headers = {}, body } = {}) =>
  new Promise((resolve, reject) => {
    const u = new URL(url)
    if (u.hostname !== HOST) return reject(new Error(`refusing non-local target ${url}`))
    const data = body === undefined ? undefined : Buffer.from(body)
    const req = httpRequest(
      {
        agent,
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        headers: withoutEmpty({ ...authHeaders(url), ...headers, ...(data ? { "content-length": data.length } : {}) }),
        timeout: 30_000
      },
      (res) => {
        const chunks = []
        res.on("data", (c) => chunks.push(c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }))
        res.on("error", reject)
      }
    )
    req.on("timeout", () => req.destroy(new Error(`timeout: ${method} ${url}`)))
    req.on("error", reject)
    if (data) req.write(data)
    req.end()
  })

/** Drops headers set to "" (a caller's way to send none, e.g. `authorization: ""`). */
const withoutEmpty = (headers) => Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ""))

/** Headers for every MCP POST; the session id is added once known. */
export const mcpHeaders = (sessionId) => ({
  "content-type": "application/json",
  accept: ACCEPT,
  "mcp-protocol-version": PROTOCOL_VERSION,
  ...(sessionId ? { "mcp-session-id": sessionId } : {})
})

/** The per-request `_meta` of a 2026-07-28 request. */
export const statelessMeta = () => ({
  "io.modelcontextprotocol/protocolVersion": STATELESS_PROTOCOL_VERSION,
  "io.modelcontextprotocol/clientInfo": { name: "emcee-bench", version: "0.0.0" },
  "io.modelcontextprotocol/clientCapabilities": {}
})

/**
 * Headers of a POST of `method` (and `name`, for tools/call) under `protocol`: the session
 * headers of 2025-11-25, or the 2026-07-28 version, method and name headers.
 */
export const requestHeaders = (sessionId, protocol = PROTOCOL_VERSION, method = "tools/call", name = "echo") =>
  protocol === STATELESS_PROTOCOL_VERSION
    ? {
      "content-type": "application/json",
      accept: ACCEPT,
      "mcp-protocol-version": STATELESS_PROTOCOL_VERSION,
      "mcp-method": method,
      ...(name === undefined ? {} : { "mcp-name": name })
    }
    : mcpHeaders(sessionId)

export const initializeRequest = (id = 0) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: "emcee-bench", version: "0.0.0" }
  }
})

/** A `tools/call` of `echo`; under 2026-07-28 with the per-request `_meta`. */
export const echoCall = (id, text = ECHO_TEXT, protocol = PROTOCOL_VERSION) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: protocol === STATELESS_PROTOCOL_VERSION ? { name: "echo", arguments: { text }, _meta: statelessMeta() } : { name: "echo", arguments: { text } }
})

/**
 * The body of a load-phase `tools/call` as the text before and after its id (the load
 * generators put a unique id string between them).
 */
export const echoCallTemplate = (protocol = PROTOCOL_VERSION) => {
  const marker = "__BENCH_ID__"
  const [prefix, suffix] = JSON.stringify(echoCall(marker, ECHO_TEXT, protocol)).split(`"${marker}"`)
  return { prefix: `${prefix}"`, suffix: `"${suffix}` }
}

const parseJson = (what, res) => {
  const ct = String(res.headers["content-type"] ?? "")
  if (!ct.startsWith("application/json")) {
    throw new Error(`${what}: expected Content-Type application/json, got ${JSON.stringify(ct)} (status ${res.status}): ${res.body.slice(0, 300)}`)
  }
  try {
    return JSON.parse(res.body)
  } catch {
    throw new Error(`${what}: response is not JSON: ${res.body.slice(0, 300)}`)
  }
}

/**
 * initialize + notifications/initialized. Returns the session id (or undefined for
 * stateless servers). Throws with a precise message on any protocol deviation.
 */
export const handshake = async (url, { needsSession, protocol }) => {
  if (protocol === STATELESS_PROTOCOL_VERSION) return discover(url)
  const res = await http(url, { method: "POST", headers: mcpHeaders(), body: JSON.stringify(initializeRequest(0)) })
  if (res.status !== 200) throw new Error(`initialize: HTTP ${res.status}: ${res.body.slice(0, 300)}`)
  const msg = parseJson("initialize", res)
  if (msg.error || !msg.result?.protocolVersion) throw new Error(`initialize: bad result ${res.body.slice(0, 300)}`)
  const header = res.headers["mcp-session-id"]
  const sessionId = typeof header === "string" && header.length > 0 ? header : undefined
  if (needsSession && !sessionId) throw new Error("initialize: server is marked needsSession but sent no Mcp-Session-Id header")
  const note = await http(url, {
    method: "POST",
    headers: mcpHeaders(sessionId),
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })
  })
  if (note.status !== 202 && note.status !== 200 && note.status !== 204) {
    throw new Error(`notifications/initialized: HTTP ${note.status}: ${note.body.slice(0, 300)}`)
  }
  return { sessionId, negotiated: msg.result.protocolVersion }
}

/**
 * The 2026-07-28 counterpart of the handshake, which that revision does without: one
 * `server/discover` (spec 2026-07-28 basic/lifecycle) that must list 2026-07-28.
 */
const discover = async (url) => {
  const body = { jsonrpc: "2.0", id: 0, method: "server/discover", params: { _meta: statelessMeta() } }
  const res = await http(url, { method: "POST", headers: requestHeaders(undefined, STATELESS_PROTOCOL_VERSION, "server/discover", undefined), body: JSON.stringify(body) })
  if (res.status !== 200) throw new Error(`server/discover: HTTP ${res.status}: ${res.body.slice(0, 300)}`)
  const msg = parseJson("server/discover", res)
  if (msg.error || !msg.result?.supportedVersions?.includes(STATELESS_PROTOCOL_VERSION)) {
    throw new Error(`server/discover: does not list ${STATELESS_PROTOCOL_VERSION}: ${res.body.slice(0, 300)}`)
  }
  if (res.headers["mcp-session-id"] !== undefined) throw new Error("server/discover: a 2026-07-28 response carries an Mcp-Session-Id")
  return { sessionId: undefined, negotiated: STATELESS_PROTOCOL_VERSION }
}

/** One tools/call echo that must come back with the same text as JSON (under 2026-07-28: a `complete` result). */
export const sanityCheck = async (url, sessionId, protocol = PROTOCOL_VERSION) => {
  const text = `${ECHO_TEXT}-sanity-${Date.now()}`
  const res = await http(url, { method: "POST", headers: requestHeaders(sessionId, protocol), body: JSON.stringify(echoCall(1, text, protocol)) })
  if (res.status !== 200) throw new Error(`sanity tools/call: HTTP ${res.status}: ${res.body.slice(0, 300)}`)
  const msg = parseJson("sanity tools/call", res)
  const got = msg.result?.content?.[0]
  if (msg.id !== 1 || msg.error || msg.result?.isError || got?.type !== "text" || got.text !== text) {
    throw new Error(`sanity tools/call: response does not echo the text: ${res.body.slice(0, 300)}`)
  }
  if (protocol === STATELESS_PROTOCOL_VERSION && msg.result.resultType !== "complete") {
    throw new Error(`sanity tools/call: a 2026-07-28 result without resultType "complete": ${res.body.slice(0, 300)}`)
  }
  return res.body
}

// ---------------------------------------------------------------- stats / formatting

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a")
export const fmtMs = (us) => (Number.isFinite(us) ? `${(us / 1000).toFixed(2)} ms` : "n/a")
export const fmtUs = (us) => (Number.isFinite(us) ? `${us.toFixed(1)} µs` : "n/a")
export const fmtRatio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : "n/a")
export const fmtBytes = (n) => {
  if (!Number.isFinite(n)) return "n/a"
  const sign = n < 0 ? "-" : ""
  const a = Math.abs(n)
  if (a < 1024) return `${sign}${Math.round(a)} B`
  if (a < 1024 * 1024) return `${sign}${(a / 1024).toFixed(1)} KiB`
  return `${sign}${(a / 1024 / 1024).toFixed(1)} MiB`
}

/** Run `fn(i)` for i in [0, n) with at most `concurrency` in flight (bounded). */
export const pool = async (n, concurrency, fn) => {
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      await fn(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
