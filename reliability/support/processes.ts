/**
 * Starting and stopping real server processes for the reliability suite.
 *
 * Every process started here is tracked; `stopAll` (call it from `afterAll`,
 * it also runs on failure) kills whatever is still running, and
 * `expectNoneLeft` asserts that nothing started by this test file is alive.
 * Servers listen on 127.0.0.1 only.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
export const everythingMain = `${repoRoot}examples/everything/dist/main.js`
export const cliBin = `${repoRoot}packages/cli/dist/bin.js`
export const fixtureApp = fileURLToPath(new URL("../fixtures/app.mjs", import.meta.url))

const requireBuilt = (file: string) => {
  if (!existsSync(file)) throw new Error(`${file} is missing: the reliability suite runs the built servers, run \`npm run build\` first`)
}

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** performance.now() when the process exited. */
  readonly at: number
}

/** A running server process. */
export interface Proc {
  readonly child: ChildProcess
  readonly pid: number
  /** The last 256 KB of stderr. */
  readonly stderr: () => string
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<Exit>
  readonly exit: () => Exit | undefined
  readonly alive: () => boolean
  /** Sends a signal, if still running. */
  readonly signal: (signal: NodeJS.Signals) => void
  /** SIGKILLs (if needed) and waits for the exit. */
  readonly stop: () => Promise<Exit>
}

const started = new Set<Proc>()

const STDERR_KEEP = 256 * 1024

/** Spawns `node <args>` from the repository root; stdin/stdout are pipes only for stdio servers. */
export const spawnNode = (args: ReadonlyArray<string>, options: { readonly stdio?: boolean } = {}): Proc => {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: options.stdio === true ? ["pipe", "pipe", "pipe"] : ["ignore", "ignore", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" }
  })
  if (child.pid === undefined) throw new Error(`could not spawn node ${args.join(" ")}`)
  let stderr = ""
  child.stderr!.setEncoding("utf8")
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk
    if (stderr.length > 2 * STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP)
  })
  let exit: Exit | undefined
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal, at: performance.now() }
      resolve(exit)
    })
  })
  // A pipe to a dead process must not throw in the test process.
  child.stdin?.on("error", () => {})
  child.stdout?.on("error", () => {})
  const proc: Proc = {
    child,
    pid: child.pid,
    stderr: () => stderr.slice(-STDERR_KEEP),
    exited,
    exit: () => exit,
    alive: () => exit === undefined,
    signal: (signal) => {
      if (exit === undefined) child.kill(signal)
    },
    stop: async () => {
      if (exit === undefined) child.kill("SIGKILL")
      return exited
    }
  }
  started.add(proc)
  return proc
}

/** Kills every process this file started that is still running. */
export const stopAll = async (): Promise<void> => {
  await Promise.all([...started].map((p) => p.stop()))
}

/** PIDs of live processes whose parent is `pid` (Linux /proc; empty elsewhere). */
export const childrenOf = (pid: number): Array<number> => {
  if (!existsSync("/proc/self/stat")) return []
  const out: Array<number> = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      // Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (Number(fields[1]) === pid && fields[0] !== "Z") out.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return out
}

/** Live processes started by this file (tracked ones, and any child of the test process running a server). */
export const leftovers = (): Array<string> => {
  const left: Array<string> = []
  for (const p of started) if (p.alive()) left.push(`pid ${p.pid}: ${p.child.spawnargs.join(" ")}`)
  for (const pid of childrenOf(process.pid)) {
    let cmdline = ""
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ")
    } catch {
      continue
    }
    if (cmdline.includes("examples/everything/dist/main.js") || cmdline.includes("packages/cli/dist/bin.js")) {
      if (![...started].some((p) => p.pid === pid && !p.alive())) left.push(`pid ${pid}: ${cmdline}`)
    }
  }
  return [...new Set(left)]
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))

/** Polls until `check` holds; throws naming `what` after `millis`. */
export const waitUntil = async (check: () => boolean | Promise<boolean>, what: string, millis = 30_000): Promise<void> => {
  const deadline = performance.now() + millis
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${millis} ms waiting for ${what}`)
    await sleep(20)
  }
}

/** A server on HTTP: the process and the MCP endpoint URL. */
export interface HttpServer {
  readonly proc: Proc
  /** http://127.0.0.1:PORT/mcp */
  readonly url: URL
}

const startupTimeout = 60_000

/** Waits for the stderr line `... listening on URL` of the everything example. */
const waitForListening = async (proc: Proc): Promise<URL> => {
  let url: URL | undefined
  await Promise.race([
    waitUntil(() => {
      const match = /listening on (http:\/\/\S+)/.exec(proc.stderr())
      if (match !== null) url = new URL(match[1]!)
      return url !== undefined
    }, "the server's ready line", startupTimeout),
    proc.exited.then((exit) => {
      if (url === undefined) throw new Error(`the server exited (${exit.code ?? exit.signal}) before it was ready: ${proc.stderr()}`)
    })
  ])
  return url!
}

/** `node examples/everything/dist/main.js --http --port 0 ...extra`; resolves once it listens. */
export const startEverythingHttp = async (extra: ReadonlyArray<string> = [], nodeFlags: ReadonlyArray<string> = []): Promise<HttpServer> => {
  requireBuilt(everythingMain)
  const proc = spawnNode([...nodeFlags, everythingMain, "--http", "--port", "0", "--host", "127.0.0.1", ...extra])
  return { proc, url: await waitForListening(proc) }
}

/** `node examples/everything/dist/main.js ...extra` on stdio. */
export const startEverythingStdio = (extra: ReadonlyArray<string> = []): Proc => {
  requireBuilt(everythingMain)
  return spawnNode([everythingMain, ...extra], { stdio: true })
}

/** Polls `GET /health` until it answers 200. */
const waitForHealth = async (proc: Proc, port: number): Promise<void> => {
  const { request } = await import("./http.js")
  await Promise.race([
    waitUntil(async () => {
      if (!proc.alive()) return true
      const res = await request({ url: new URL(`http://127.0.0.1:${port}/health`), method: "GET", timeoutMillis: 2_000 })
      return res.status === 200
    }, "GET /health", startupTimeout),
    proc.exited
  ])
  if (!proc.alive()) throw new Error(`the server exited (${proc.exit()?.code}) before it was ready: ${proc.stderr()}`)
}

/** The fixture app (fixtures/app.mjs) served by the CLI over HTTP on a free port. */
export const startFixtureHttp = async (extra: ReadonlyArray<string> = [], nodeFlags: ReadonlyArray<string> = []): Promise<HttpServer> => {
  requireBuilt(cliBin)
  const port = await freePort()
  const proc = spawnNode([...nodeFlags, cliBin, "serve", fixtureApp, "--transport", "http", "--port", String(port), "--host", "127.0.0.1", ...extra])
  await waitForHealth(proc, port)
  return { proc, url: new URL(`http://127.0.0.1:${port}/mcp`) }
}

/** The fixture app served by the CLI over stdio. */
export const startFixtureStdio = (extra: ReadonlyArray<string> = []): Proc => {
  requireBuilt(cliBin)
  return spawnNode([cliBin, "serve", fixtureApp, "--transport", "stdio", ...extra], { stdio: true })
}
