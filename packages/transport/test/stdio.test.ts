/**
 * The stdio transport as a real process (spec 2025-11-25 basic/transports
 * "stdio"): the fixture server is spawned with node, fed bytes on stdin and
 * judged only by what it writes to stdout, what it writes to stderr and how
 * it exits.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { JsonRpc } from "@emcee/core"
import * as Arbitraries from "@emcee/testing/Arbitraries"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const fixture = fileURLToPath(new URL("./fixtures/stdio-server.ts", import.meta.url))

/** How long a process may take before it counts as hung. */
const hangMillis = 20_000

interface Exited {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** A running fixture server. */
interface Server {
  /** Writes raw bytes (or a JSON message as one line) to stdin. */
  readonly write: (data: Uint8Array | string | object) => void
  readonly end: () => void
  readonly kill: (signal: NodeJS.Signals) => void
  /** Parsed stdout lines so far. */
  readonly lines: () => ReadonlyArray<unknown>
  /** Resolves with the first stdout message that satisfies `predicate`. */
  readonly waitFor: (predicate: (message: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>
  readonly exited: Promise<Exited>
}

const start = (env: Record<string, string> = {}): Server => {
  const child = spawn(process.execPath, ["--conditions=@emcee/source", "--import", "tsx", fixture], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"]
  })
  const out: Array<Buffer> = []
  const err: Array<Buffer> = []
  const waiters: Array<() => void> = []
  child.stdout.on("data", (chunk: Buffer) => {
    out.push(chunk)
    for (const w of waiters.splice(0)) w()
  })
  child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
  // A server that exits early closes stdin; writes after that must not crash the test.
  child.stdin.on("error", () => {})
  const timer = setTimeout(() => child.kill("SIGKILL"), hangMillis)
  const exited = new Promise<Exited>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      for (const w of waiters.splice(0)) w()
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") })
    })
  )
  const lines = () =>
    Buffer.concat(out)
      .toString("utf8")
      .split("\n")
      .slice(0, -1)
      .map((line) => JSON.parse(line) as unknown)
  const waitFor = (predicate: (message: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = lines().find((m): m is Record<string, unknown> => typeof m === "object" && m !== null && predicate(m as Record<string, unknown>))
        if (found !== undefined) return resolve(found)
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`server exited; stdout: ${Buffer.concat(out).toString()}`))
        waiters.push(check)
      }
      check()
    })
  return {
    write: (data) =>
      void child.stdin.write(data instanceof Uint8Array || typeof data === "string" ? data : JSON.stringify(data) + "\n"),
    end: () => void child.stdin.end(),
    kill: (signal) => void child.kill(signal),
    lines,
    waitFor,
    exited
  }
}

const initialize = {
  jsonrpc: "2.0",
  id: "init",
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "stdio-test", version: "1.0.0" } }
}

/** Starts a server and completes the handshake (spec basic/lifecycle "Initialization"). */
const startInitialized = async (env: Record<string, string> = {}): Promise<Server> => {
  const server = start(env)
  server.write(initialize)
  await server.waitFor((m) => m.id === "init")
  server.write({ jsonrpc: "2.0", method: "notifications/initialized" })
  return server
}

const call = (id: number, name: string, args: object) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } })

/** Every stdout line is one complete JSON-RPC response or notification (spec basic/transports "stdio"). */
const expectOnlyProtocol = (stdout: string): Array<JsonRpc.Response | JsonRpc.Notification> => {
  if (stdout.length > 0) expect(stdout.endsWith("\n"), "stdout ends with a complete line").toBe(true)
  return stdout
    .split("\n")
    .slice(0, -1)
    .map((line) => {
      const classified = JsonRpc.classify(JSON.parse(line))
      if (classified._tag !== "Response" && classified._tag !== "Notification") {
        throw new Error(`stdout line is not a JSON-RPC response or notification: ${line}`)
      }
      return classified.message
    })
}

describe("stdio transport process", () => {
  it("turns any bytes on stdin into complete JSON-RPC lines on stdout, and exits 0 at EOF", async () => {
    const targets = { tools: ["echo", "chatty"] }
    let inputs = 0
    await fc.assert(
      fc.asyncProperty(fc.array(Arbitraries.hostileStream(targets), { minLength: 250, maxLength: 250 }), async (streams) => {
        inputs += streams.length
        const server = start()
        const parts: Array<Uint8Array> = []
        for (const s of streams) parts.push(s, Uint8Array.of(10))
        server.write(Buffer.concat(parts))
        server.end()
        const exited = await server.exited
        expect(exited.signal, `hung or crashed; stderr: ${exited.stderr}`).toBeNull()
        expect(exited.code, exited.stderr).toBe(0)
        expectOnlyProtocol(exited.stdout)
      }),
      { numRuns: 4 }
    )
    expect(inputs).toBeGreaterThanOrEqual(1000)
  }, 120_000)
})

// Each case is its own process, so they run side by side.
describe.concurrent("stdio transport process, case by case", () => {
  it("answers a line of invalid UTF-8 with -32700 and no id, then keeps serving", async () => {
    const server = start()
    server.write(Uint8Array.from([...Buffer.from("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\""), 0xc3, 0x28, ...Buffer.from("\"}\n")]))
    server.write({ jsonrpc: "2.0", id: 2, method: "ping" })
    server.end()
    const exited = await server.exited
    expect(exited.code).toBe(0)
    expect(expectOnlyProtocol(exited.stdout)).toEqual([
      { jsonrpc: "2.0", error: { code: -32700, message: expect.stringContaining("UTF-8") } },
      { jsonrpc: "2.0", id: 2, result: {} }
    ])
  }, 30_000)

  it("answers a line longer than maxMessageBytes with -32700, then serves the next line", async () => {
    const server = start({ EMCEE_MAX_MESSAGE_BYTES: "1024" })
    server.write({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(5000) } })
    server.write({ jsonrpc: "2.0", id: 2, method: "ping" })
    server.write({ jsonrpc: "2.0", id: 3, method: "ping", params: { pad: "y".repeat(900) } })
    server.end()
    const exited = await server.exited
    expect(exited.code).toBe(0)
    expect(expectOnlyProtocol(exited.stdout)).toEqual([
      { jsonrpc: "2.0", error: { code: -32700, message: expect.stringContaining("1024") } },
      { jsonrpc: "2.0", id: 2, result: {} },
      { jsonrpc: "2.0", id: 3, result: {} }
    ])
  }, 30_000)

  it("finishes a request in flight when stdin closes, writes its response, then exits 0", async () => {
    const server = await startInitialized()
    server.write(call(7, "slow", { ms: 500 }))
    server.end()
    const exited = await server.exited
    expect(exited.code).toBe(0)
    expect(expectOnlyProtocol(exited.stdout)).toContainEqual({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "slept 500 ms" }] } })
  }, 30_000)

  it("answers every request of a burst that arrives together with EOF", async () => {
    const server = await startInitialized()
    const burst = Array.from({ length: 20 }, (_, i) => JSON.stringify({ jsonrpc: "2.0", id: 100 + i, method: "ping" }) + "\n").join("")
    server.write(burst + JSON.stringify(call(120, "slow", { ms: 50 })))
    server.end()
    const exited = await server.exited
    expect(exited.code).toBe(0)
    const ids = expectOnlyProtocol(exited.stdout).flatMap((m) => ("id" in m ? [m.id] : []))
    expect(ids.filter((id) => id !== "init").sort()).toEqual(Array.from({ length: 21 }, (_, i) => 100 + i))
  }, 30_000)

  it("ends cleanly on SIGTERM: the request in flight finishes and is answered, exit code 0", async () => {
    const server = await startInitialized()
    server.write(call(8, "slow", { ms: 700 }))
    // Let the call reach the server before the signal.
    await server.waitFor((m) => m.id === "init")
    await new Promise((resolve) => setTimeout(resolve, 200))
    server.kill("SIGTERM")
    const exited = await server.exited
    expect(exited.signal).toBeNull()
    expect(exited.code).toBe(0)
    expect(expectOnlyProtocol(exited.stdout)).toContainEqual({ jsonrpc: "2.0", id: 8, result: { content: [{ type: "text", text: "slept 700 ms" }] } })
  }, 30_000)

  it("answers every request in flight when SIGTERM arrives", async () => {
    const server = await startInitialized()
    server.write(Array.from({ length: 50 }, (_, i) => JSON.stringify(call(200 + i, "slow", { ms: 300 + i })) + "\n").join(""))
    await new Promise((resolve) => setTimeout(resolve, 150))
    server.kill("SIGTERM")
    const exited = await server.exited
    expect(exited.code).toBe(0)
    const ids = expectOnlyProtocol(exited.stdout).flatMap((m) => ("id" in m && "result" in m ? [m.id] : []))
    expect(ids.filter((id) => id !== "init").sort()).toEqual(Array.from({ length: 50 }, (_, i) => 200 + i))
  }, 30_000)

  it("sends console.log inside a tool to stderr, never to stdout", async () => {
    const server = await startInitialized()
    server.write(call(9, "chatty", { text: "hello" }))
    await server.waitFor((m) => m.id === 9)
    server.end()
    const exited = await server.exited
    expect(exited.code).toBe(0)
    expect(expectOnlyProtocol(exited.stdout)).toContainEqual({ jsonrpc: "2.0", id: 9, result: { content: [{ type: "text", text: "logged" }] } })
    expect(exited.stdout).not.toContain("console.log from a tool")
    expect(exited.stderr).toContain("console.log from a tool: hello")
    expect(exited.stderr).toContain("console.info from a tool")
  }, 30_000)
})
