/**
 * The stdio transport as a real process (spec 2025-11-25 basic/transports
 * "stdio"): the fixture server is spawned with node, fed bytes on stdin and
 * judged only by what it writes to stdout, what it writes to stderr and how
 * it exits.
 */
import { fileURLToPath } from "node:url"
import { JsonRpc } from "@emcee/core"
import * as Arbitraries from "@emcee/testing/Arbitraries"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Process from "./fixtures/stdioProcess.js"

const fixture = fileURLToPath(new URL("./fixtures/stdio-server.ts", import.meta.url))

const start = (env: Record<string, string> = {}) => Process.start(fixture, { env })
const startInitialized = (env: Record<string, string> = {}) => Process.startInitialized(fixture, { env })
const call = Process.call

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
  }, 90_000)

  it("ignores a UTF-8 byte order mark before a message", async () => {
    const server = start()
    server.write(Uint8Array.from([0xef, 0xbb, 0xbf, ...Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) + "\n")]))
    server.write({ jsonrpc: "2.0", id: 2, method: "ping" })
    server.end()
    const exited = await server.exited
    expect(exited.code).toBe(0)
    expect(expectOnlyProtocol(exited.stdout)).toEqual([
      { jsonrpc: "2.0", id: 1, result: {} },
      { jsonrpc: "2.0", id: 2, result: {} }
    ])
  }, 90_000)

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
  }, 90_000)

  it("finishes a request in flight when stdin closes, writes its response, then exits 0", async () => {
    const server = await startInitialized()
    server.write(call(7, "slow", { ms: 500 }))
    server.end()
    const exited = await server.exited
    expect(exited.code).toBe(0)
    expect(expectOnlyProtocol(exited.stdout)).toContainEqual({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "slept 500 ms" }] } })
  }, 90_000)

  it("answers every request of a burst that arrives together with EOF", async () => {
    const server = await startInitialized()
    const burst = Array.from({ length: 20 }, (_, i) => JSON.stringify({ jsonrpc: "2.0", id: 100 + i, method: "ping" }) + "\n").join("")
    server.write(burst + JSON.stringify(call(120, "slow", { ms: 50 })))
    server.end()
    const exited = await server.exited
    expect(exited.code).toBe(0)
    const ids = expectOnlyProtocol(exited.stdout).flatMap((m) => ("id" in m ? [m.id] : []))
    expect(ids.filter((id) => id !== "init").sort()).toEqual(Array.from({ length: 21 }, (_, i) => 100 + i))
  }, 90_000)

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
  }, 90_000)

  it("answers every request in flight when SIGTERM arrives", async () => {
    const server = await startInitialized()
    server.write(Array.from({ length: 50 }, (_, i) => JSON.stringify(call(200 + i, "slow", { ms: 300 + i })) + "\n").join(""))
    await new Promise((resolve) => setTimeout(resolve, 150))
    server.kill("SIGTERM")
    const exited = await server.exited
    expect(exited.code).toBe(0)
    const ids = expectOnlyProtocol(exited.stdout).flatMap((m) => ("id" in m && "result" in m ? [m.id] : []))
    expect(ids.filter((id) => id !== "init").sort()).toEqual(Array.from({ length: 50 }, (_, i) => 200 + i))
  }, 90_000)

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
  }, 90_000)
})
