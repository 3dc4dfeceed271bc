/**
 * Real backends for gateway tests, as child processes on a free loopback
 * port (stdio backends are started by the gateway itself): the everything
 * example over Streamable HTTP, and the session tests' backend
 * (`sessionBackend.mjs`: tools that report their process and session, slow
 * read-only and slow non-idempotent calls). Both need `npm run build`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url))
export const everythingMain = `${repoRoot}examples/everything/dist/main.js`
export const built = existsSync(everythingMain)
export const sessionBackendMain = fileURLToPath(new URL("./sessionBackend.mjs", import.meta.url))
/** Whether the packages `sessionBackend.mjs` imports are built. */
export const sessionBackendBuilt = existsSync(`${repoRoot}packages/core/dist/index.js`) && existsSync(`${repoRoot}packages/transport/dist/index.js`)

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

/** A backend process serving Streamable HTTP. */
export interface HttpBackend {
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  /** SIGKILLs it and waits for the exit. */
  readonly kill: () => Promise<void>
}

/** Starts the everything example with `--http` on `port` (a free one by default) and waits until it listens. */
export const startEverythingHttp = (port?: number): Promise<HttpBackend> => startHttpChild(everythingMain, ["--http"], port)

/** Starts `sessionBackend.mjs` on `port` (a free one by default) and waits until it listens. */
export const startSessionBackend = (port?: number): Promise<HttpBackend> => startHttpChild(sessionBackendMain, [], port)

/** Starts `node main ...args --port PORT` and waits until it writes "listening on" to stderr. */
const startHttpChild = async (main: string, args: ReadonlyArray<string>, port?: number): Promise<HttpBackend> => {
  const chosen = port ?? await freePort()
  const child = spawn(process.execPath, [main, ...args, "--port", String(chosen)], {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" }
  })
  let stderr = ""
  child.stderr!.setEncoding("utf8")
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${main} did not start:\n${stderr}`)), 30_000)
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk
      if (stderr.includes("listening on")) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once("exit", () => {
      clearTimeout(timer)
      reject(new Error(`${main} exited:\n${stderr}`))
    })
  })
  return {
    url: `http://127.0.0.1:${chosen}/mcp`,
    port: chosen,
    child,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
      await exited
    }
  }
}
