/**
 * `emcee serve` start-up failures a user can fix: a port that is taken or a
 * bad configuration value is one line on stderr, nothing on stdout, exit 1.
 * Options not given as flags come from the environment (`HTTP_*`, `STDIO_*`).
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = `${root}packages/cli/dist/bin.js`
const everythingApp = `${root}examples/everything/dist/server.js`
const built = existsSync(bin) && existsSync(everythingApp)

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile("node", [bin, ...args], { cwd: root, timeout: 60_000, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }))
    child.stdin?.end()
  })

// The binary runs from dist/, so these tests need `npm run build`.
describe.runIf(built).concurrent("emcee serve start-up errors", () => {
  let blocker: Server
  let port = 0
  beforeAll(() =>
    new Promise<void>((resolve) => {
      blocker = createServer()
      blocker.listen(0, "127.0.0.1", () => {
        const address = blocker.address()
        port = typeof address === "object" && address !== null ? address.port : 0
        resolve()
      })
    })
  )
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())))

  it("--port that is taken: one line on stderr, empty stdout, exit 1", async () => {
    const { code, stdout, stderr } = await run(["serve", "-t", "http", "--port", String(port), everythingApp])
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toBe(`emcee serve: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`)
  }, 60_000)

  it("HTTP_PORT from the environment is used when --port is not given", async () => {
    const { code, stdout, stderr } = await run(["serve", "-t", "http", everythingApp], { HTTP_PORT: String(port) })
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toBe(`emcee serve: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`)
  }, 60_000)

  it("a bad STDIO_* value: one line naming the key on stderr, empty stdout, exit 1", async () => {
    const { code, stdout, stderr } = await run(["serve", everythingApp], { STDIO_MAX_MESSAGE_BYTES: "huge" })
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr.trimEnd().split("\n")).toHaveLength(1)
    expect(stderr).toContain("STDIO_MAX_MESSAGE_BYTES")
    expect(stderr).toContain("huge")
  }, 60_000)
})
