/**
 * The everything example's command line as a real process: bad arguments are
 * usage errors (stderr, exit 2); `--shutdown-timeout` bounds a signal's
 * shutdown over stdio and HTTP; `--max-sessions` reaches the HTTP transport.
 */
import { spawn } from "node:child_process"
import { beforeAll, describe, expect, it } from "vitest"
import { assertBuilt, mainPath, repoRoot } from "./support/built.js"


interface Running {
  readonly stdout: () => string
  readonly stderr: () => string
  readonly send: (message: object) => void
  /** Resolves once stdout or stderr has text matching `pattern`. */
  readonly waitFor: (pattern: RegExp, stream?: "stdout" | "stderr") => Promise<RegExpExecArray>
  readonly kill: (signal: NodeJS.Signals) => number
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly at: number }>
}

const start = (args: ReadonlyArray<string>): Running => {
  const child = spawn(process.execPath, [mainPath, ...args], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"]
  })
  const hang = setTimeout(() => child.kill("SIGKILL"), 60_000)
  const text = { stdout: "", stderr: "" }
  let changed = () => {}
  child.stdout.on("data", (chunk: Buffer) => {
    text.stdout += chunk.toString("utf8")
    changed()
  })
  child.stderr.on("data", (chunk: Buffer) => {
    text.stderr += chunk.toString("utf8")
    changed()
  })
  child.stdin.on("error", () => {})
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(hang)
      changed()
      resolve({ code, signal, at: performance.now() })
    }))
  return {
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    send: (message) => void child.stdin.write(JSON.stringify(message) + "\n"),
    waitFor: (pattern, stream = "stdout") =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text[stream])
          if (match !== null) return resolve(match)
          if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`exited; stderr: ${text.stderr}`))
        }
        const previous = changed
        changed = () => {
          previous()
          check()
        }
        check()
      }),
    kill: (signal) => {
      const at = performance.now()
      child.kill(signal)
      return at
    },
    exited
  }
}

const initialize = (id: string | number) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "main-test", version: "1.0.0" } }
})

const longCall = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "test_long_running", arguments: { steps: 1, stepMillis: 30_000 } } }

describe.concurrent("the everything example's command line", { timeout: 90_000 }, () => {
  beforeAll(assertBuilt)
  for (const args of [["--shutdown-timeout", "soon"], ["--max-sessions=0"]]) {
    it(`rejects ${args.join(" ")} with a usage message on stderr and exit code 2`, async () => {
      const running = start(args)
      const exited = await running.exited
      expect(exited.code).toBe(2)
      expect(running.stdout()).toBe("")
      expect(running.stderr()).toContain(args[0]!.split("=")[0]!)
      expect(running.stderr()).toContain("usage:")
    })
  }

  it("over stdio, --shutdown-timeout 1s: SIGTERM with a 30 s call in flight exits 0 within it, the call answered with an error", async () => {
    const running = start(["--shutdown-timeout", "1s"])
    running.send(initialize("init"))
    await running.waitFor(/"id":"init"/)
    running.send({ jsonrpc: "2.0", method: "notifications/initialized" })
    running.send(longCall)
    running.send({ jsonrpc: "2.0", id: 2, method: "ping" })
    await running.waitFor(/"id":2/)
    const killedAt = running.kill("SIGTERM")
    const exited = await running.exited
    expect(exited.signal, running.stderr()).toBeNull()
    expect(exited.code).toBe(0)
    expect(exited.at - killedAt).toBeLessThan(2_500)
    const answers = running.stdout().split("\n").slice(0, -1).map((line) => JSON.parse(line) as { id?: unknown }).filter((m) => m.id === 1)
    expect(answers).toEqual([{ jsonrpc: "2.0", id: 1, error: { code: -32603, message: expect.stringContaining("shut down") } }])
  })

  it("over HTTP, --shutdown-timeout 1s: SIGTERM with a 30 s call in flight exits within it, the call answered 503 with its id, logs on stderr only", async () => {
    const running = start(["--http", "--port", "0", "--json-response", "--shutdown-timeout", "1s"])
    const url = (await running.waitFor(/listening on (http:\/\/\S+)/, "stderr"))[1]!
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" }
    const init = await fetch(url, { method: "POST", headers, body: JSON.stringify(initialize(1)) })
    const session = init.headers.get("mcp-session-id")!
    await init.text()
    const sessionHeaders = { ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" }
    await fetch(url, { method: "POST", headers: sessionHeaders, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })
    const call = fetch(url, { method: "POST", headers: sessionHeaders, body: JSON.stringify(longCall) }).then(
      async (r) => `${r.status} ${await r.text()}`,
      (e: unknown) => String(e)
    )
    // Let the call reach its handler.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const killedAt = running.kill("SIGTERM")
    const exited = await running.exited
    expect(exited.signal, running.stderr()).toBeNull()
    expect(exited.code).toBe(0)
    expect(exited.at - killedAt).toBeLessThan(2_500)
    const answer = await call
    expect(answer).toMatch(/^503 /)
    expect(JSON.parse(answer.slice(4))).toMatchObject({ id: 1, error: { message: expect.stringContaining("shut down") } })
    // The deadline's warning is logged, on stderr: stdout carries nothing in HTTP mode either.
    expect(running.stderr()).toContain("shutdown deadline")
    expect(running.stdout()).toBe("")
  })

  it("over HTTP, --max-sessions 1: another initialize while the one session is busy gets 503", async () => {
    const running = start(["--http", "--port", "0", "--json-response", "--max-sessions", "1", "--shutdown-timeout", "500ms"])
    const url = (await running.waitFor(/listening on (http:\/\/\S+)/, "stderr"))[1]!
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" }
    const first = await fetch(url, { method: "POST", headers, body: JSON.stringify(initialize(1)) })
    await first.text()
    expect(first.status).toBe(200)
    const sessionHeaders = { ...headers, "mcp-session-id": first.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" }
    await fetch(url, { method: "POST", headers: sessionHeaders, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })
    // A call in flight keeps the session busy, so it cannot make room for another.
    const call = fetch(url, { method: "POST", headers: sessionHeaders, body: JSON.stringify(longCall) }).then((r) => r.text(), (e: unknown) => String(e))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const second = await fetch(url, { method: "POST", headers, body: JSON.stringify(initialize(2)) })
    await second.text()
    expect(second.status).toBe(503)
    running.kill("SIGTERM")
    expect((await running.exited).code).toBe(0)
    await call
  })

  for (const mode of ["--one-port", "--mount"]) {
    it(`${mode}: MCP on /mcp next to the example's @effect/platform route and the operational routes; SIGTERM exits 0`, async () => {
      const running = start([mode, "--port", "0", "--json-response", "--shutdown-timeout", "1s"])
      const url = (await running.waitFor(/listening on (http:\/\/\S+)/, "stderr"))[1]!
      const base = url.replace(/\/mcp$/, "")
      const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" }
      const init = await fetch(url, { method: "POST", headers, body: JSON.stringify(initialize(1)) })
      expect(init.status).toBe(200)
      expect(await init.json()).toMatchObject({ id: 1, result: { serverInfo: { name: "emcee-everything" } } })
      expect(await (await fetch(`${base}/hello`)).text()).toBe("hello from emcee everything\n")
      expect((await fetch(`${base}/health/ready`)).status).toBe(200)
      expect(await (await fetch(`${base}/metrics`)).text()).toContain("mcp_sessions_active")
      // Only the one-port mode serves the legacy HTTP+SSE endpoint.
      const legacy = await fetch(`${base}/sse`, { headers: { accept: "text/event-stream" } })
      expect(legacy.status).toBe(mode === "--one-port" ? 200 : 404)
      await legacy.body?.cancel()
      running.kill("SIGTERM")
      expect((await running.exited).code).toBe(0)
      expect(running.stdout()).toBe("")
    })
  }
})
