/**
 * `emcee serve` as a real process: `--shutdown-timeout` reaches the stdio
 * transport, a bad value is a usage error naming the flag, and a fatal error
 * of the app goes to stderr (stdout carries only protocol).
 */
import { execFile, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = `${root}packages/cli/dist/bin.js`
const everythingApp = `${root}examples/everything/dist/server.js`
const failingApp = fileURLToPath(new URL("./fixtures/failing-app.mjs", import.meta.url))
const built = existsSync(bin) && existsSync(everythingApp)

const run = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile("node", [bin, ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }))
  })

// The binary runs from dist/, so these tests need `npm run build`.
describe.runIf(built).concurrent("emcee serve", () => {
  it("rejects a --shutdown-timeout that is not a duration with a message naming the flag", async () => {
    const { code, stdout, stderr } = await run(["serve", "--shutdown-timeout", "soon", everythingApp])
    expect(code).not.toBe(0)
    expect(stdout).toBe("")
    expect(stderr).toContain("--shutdown-timeout")
    expect(stderr).toContain("soon")
  }, 60_000)

  it("reports an app that fails to start on stderr, nothing on stdout, and exits 1", async () => {
    const { code, stdout, stderr } = await run(["serve", failingApp])
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toContain("the app failed to start: no database")
  }, 60_000)

  it("passes --shutdown-timeout to the stdio transport: SIGTERM with a 30 s call in flight exits within it", async () => {
    const child = spawn("node", [bin, "serve", "--shutdown-timeout", "1s", everythingApp], { cwd: root, stdio: ["pipe", "pipe", "pipe"] })
    const hang = setTimeout(() => child.kill("SIGKILL"), 50_000)
    let stdout = ""
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
    const lines = () => stdout.split("\n").slice(0, -1).map((line) => JSON.parse(line) as { id?: unknown; result?: unknown; error?: { code: number; message: string } })
    let onLine = () => {}
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      onLine()
    })
    const waitFor = (id: unknown) =>
      new Promise<void>((resolve) => {
        onLine = () => {
          if (lines().some((m) => m.id === id)) resolve()
        }
        onLine()
      })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal, at: performance.now() })))
    const send = (message: object) => child.stdin.write(JSON.stringify(message) + "\n")
    send({
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "serve-test", version: "1.0.0" } }
    })
    await waitFor("init")
    send({ jsonrpc: "2.0", method: "notifications/initialized" })
    send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "test_long_running", arguments: { steps: 1, stepMillis: 30_000 } } })
    send({ jsonrpc: "2.0", id: 2, method: "ping" })
    await waitFor(2)
    const killedAt = performance.now()
    child.kill("SIGTERM")
    const { code, signal, at } = await exited
    clearTimeout(hang)
    expect(signal, stderr).toBeNull()
    expect(code).toBe(0)
    expect(at - killedAt).toBeLessThan(2_500)
    expect(lines().filter((m) => m.id === 1)).toEqual([
      { jsonrpc: "2.0", id: 1, error: { code: -32603, message: expect.stringContaining("shut down before the request finished") } }
    ])
  }, 60_000)
})
