/**
 * Start-up failures of the everything example as a real process: a port that
 * is taken or a bad configuration value is one line on stderr, nothing on
 * stdout, exit code 1.
 */
import { spawn } from "node:child_process"
import { createServer, type Server } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { assertBuilt, mainPath, repoRoot } from "./support/built.js"


const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [mainPath, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    const hang = setTimeout(() => child.kill("SIGKILL"), 60_000)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => void (stdout += chunk.toString("utf8")))
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString("utf8")))
    child.on("close", (code) => {
      clearTimeout(hang)
      resolve({ code, stdout, stderr })
    })
  })

describe.concurrent("everything example start-up errors", () => {
  let blocker: Server
  let port = 0
  beforeAll(() =>
    new Promise<void>((resolve) => {
      assertBuilt()
      blocker = createServer()
      blocker.listen(0, "127.0.0.1", () => {
        const address = blocker.address()
        port = typeof address === "object" && address !== null ? address.port : 0
        resolve()
      })
    })
  )
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())))

  it("a port that is taken: one line on stderr, empty stdout, exit 1", async () => {
    const { code, stdout, stderr } = await run(["--http", "--port", String(port)])
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toBe(`emcee everything: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`)
  }, 60_000)

  it("a bad HTTP_* value: one line naming the key on stderr, empty stdout, exit 1", async () => {
    const { code, stdout, stderr } = await run(["--http", "--port", "0"], { HTTP_MAX_SESSIONS: "lots" })
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr.trimEnd().split("\n")).toHaveLength(1)
    expect(stderr).toContain("HTTP_MAX_SESSIONS")
    expect(stderr).toContain("lots")
  }, 60_000)

  it("a bad STDIO_* value over stdio: one line on stderr, nothing on stdout (the protocol stream), exit 1", async () => {
    const { code, stdout, stderr } = await run([], { STDIO_SHUTDOWN_TIMEOUT: "soon" })
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toBe(
      `emcee everything: invalid configuration: STDIO_SHUTDOWN_TIMEOUT: Expected a duration (e.g. 10s, 500ms, 2m or "10 seconds") but received soon\n`
    )
  }, 60_000)
})
