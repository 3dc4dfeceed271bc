/**
 * How the stdio transport ends, as a real process: the shutdown deadline,
 * large responses still being written when a signal arrives, a client that
 * closes stdin while a tool waits on it, and requests whose handler throws
 * or whose response cannot be serialized. Judged only by stdout, stderr,
 * the exit code and how long the process took to exit.
 */
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { call, expectOnlyProtocol, startInitialized } from "./fixtures/stdioProcess.js"

const fixture = fileURLToPath(new URL("./fixtures/stdio-shutdown-server.ts", import.meta.url))

const responseTo = (messages: ReadonlyArray<unknown>, id: unknown) =>
  messages.filter((m): m is Record<string, unknown> => typeof m === "object" && m !== null && (m as { id?: unknown }).id === id && !("method" in m))

// Alone, so that other processes starting up do not slow the one whose exit is timed.
describe("stdio transport shutdown deadline", () => {
  it("enforces shutdownTimeout: SIGTERM with a 30 s call in flight exits within the deadline and answers the call with an error", async () => {
    const server = await startInitialized(fixture, { env: { EMCEE_SHUTDOWN_TIMEOUT_MS: "1000" }, exitMillis: 5_000 })
    server.write(call(1, "sleep", { ms: 30_000 }))
    // A ping behind the call proves the call has started.
    server.write({ jsonrpc: "2.0", id: 2, method: "ping" })
    await server.waitFor((m) => m.id === 2)
    const killedAt = server.kill("SIGTERM")
    const exited = await server.exited
    expect(exited.signal, `killed as hung; stderr: ${exited.stderr}`).toBeNull()
    expect(exited.at - killedAt).toBeGreaterThanOrEqual(900)
    // The deadline, up to 0.25 s for the interrupted call to stop, and the exit itself (~1.2 s in all
    // on an idle machine); the rest is slack for a busy one.
    expect(exited.at - killedAt).toBeLessThan(2_500)
    expect(exited.code).toBe(0)
    expect(responseTo(expectOnlyProtocol(exited.stdout), 1)).toEqual([
      { jsonrpc: "2.0", id: 1, error: { code: -32603, message: expect.stringContaining("shut down before the request finished") } }
    ])
  }, 90_000)
})

describe.concurrent("stdio transport shutdown", () => {
  it("answers a request that arrives during the drain with an error, and still reads the client's answers", async () => {
    const server = await startInitialized(fixture, { env: { EMCEE_SHUTDOWN_TIMEOUT_MS: "5000" }, exitMillis: 8_000, capabilities: { elicitation: {} } })
    server.write(call(1, "ask", {}))
    const elicitation = await server.waitFor((m) => m.method === "elicitation/create")
    server.kill("SIGTERM")
    // Give the signal time to arrive, then send a new request and answer the elicitation: stdin is still open.
    await new Promise((resolve) => setTimeout(resolve, 300))
    server.write({ jsonrpc: "2.0", id: 2, method: "ping" })
    await server.waitFor((m) => m.id === 2)
    server.write({ jsonrpc: "2.0", id: elicitation.id, result: { action: "decline" } })
    const exited = await server.exited
    expect(exited.signal, `killed as hung; stderr: ${exited.stderr}`).toBeNull()
    expect(exited.code).toBe(0)
    const messages = expectOnlyProtocol(exited.stdout)
    expect(responseTo(messages, 2)).toEqual([
      { jsonrpc: "2.0", id: 2, error: { code: -32603, message: expect.stringContaining("shutting down") } }
    ])
    expect(responseTo(messages, 1)).toEqual([{ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "answered: decline" }] } }])
  }, 90_000)

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`writes every large response out in full before exiting on ${signal}, to a client that reads slowly`, async () => {
      const server = await startInitialized(fixture, {
        env: { EMCEE_SHUTDOWN_TIMEOUT_MS: "8000" },
        exitMillis: 12_000,
        slowReader: { bytes: 256 * 1024, everyMillis: 10 }
      })
      const bytes = 1024 * 1024
      server.write(Array.from({ length: 20 }, (_, i) => JSON.stringify(call(100 + i, "big", { bytes, delayMs: 300 })) + "\n").join(""))
      server.write({ jsonrpc: "2.0", id: 1, method: "ping" })
      await server.waitFor((m) => m.id === 1)
      server.kill(signal)
      const exited = await server.exited
      expect(exited.signal, `killed as hung; stderr: ${exited.stderr}`).toBeNull()
      expect(exited.code).toBe(0)
      const messages = expectOnlyProtocol(exited.stdout)
      const answered = messages.flatMap((m) => ("id" in m && "result" in m && typeof m.id === "number" && m.id >= 100 ? [m] : []))
      expect(answered.map((m) => m.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i))
      for (const m of answered) {
        expect((m.result as { content: Array<{ text: string }> }).content[0]!.text.length).toBe(bytes)
      }
    }, 90_000)
  }

  it("fails a call waiting on an elicitation at once when stdin closes, instead of after the client-request timeout", async () => {
    const server = await startInitialized(fixture, { exitMillis: 8_000, capabilities: { elicitation: {} } })
    server.write(call(1, "ask", {}))
    await server.waitFor((m) => m.method === "elicitation/create")
    const endedAt = performance.now()
    server.end()
    const exited = await server.exited
    expect(exited.signal, `killed as hung; stderr: ${exited.stderr}`).toBeNull()
    expect(exited.at - endedAt).toBeLessThan(3_000)
    expect(exited.code).toBe(0)
    expect(responseTo(expectOnlyProtocol(exited.stdout), 1)).toEqual([
      { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "elicitation failed: ConnectionClosed" }], isError: true } }
    ])
  }, 90_000)

  it("fails a server-to-client request made after stdin closed at once, without sending it", async () => {
    const server = await startInitialized(fixture, { exitMillis: 8_000, capabilities: { elicitation: {} } })
    // The tool asks only after sleeping, by which time stdin has closed.
    server.write(call(1, "ask", { afterMs: 500 }))
    server.write({ jsonrpc: "2.0", id: 2, method: "ping" })
    await server.waitFor((m) => m.id === 2)
    const endedAt = performance.now()
    server.end()
    const exited = await server.exited
    expect(exited.signal, `killed as hung; stderr: ${exited.stderr}`).toBeNull()
    expect(exited.at - endedAt).toBeLessThan(3_000)
    expect(exited.code).toBe(0)
    const messages = expectOnlyProtocol(exited.stdout)
    expect(messages.filter((m) => "method" in m && m.method === "elicitation/create")).toEqual([])
    expect(responseTo(messages, 1)).toEqual([
      { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "elicitation failed: ConnectionClosed" }], isError: true } }
    ])
  }, 90_000)
})

describe.concurrent("stdio transport under failing requests", () => {
  it("logs with Effect's logger to stderr only, even without guardConsole under NodeRuntime.runMain", async () => {
    const server = await startInitialized(fixture, { env: { EMCEE_GUARD_CONSOLE: "0" } })
    server.write(call(1, "logs", { text: "hello" }))
    await server.waitFor((m) => m.id === 1)
    server.end()
    const exited = await server.exited
    expect(exited.code, exited.stderr).toBe(0)
    expect(responseTo(expectOnlyProtocol(exited.stdout), 1)).toEqual([{ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "logged" }] } }])
    expect(exited.stdout).not.toContain("Effect.logError from a tool")
    expect(exited.stderr.split("Effect.logError from a tool: hello").length - 1, exited.stderr).toBe(1)
  }, 90_000)

  it("stops cleanly when stdout closes (EPIPE): exits 0 on its own, stdin still open", async () => {
    const server = await startInitialized(fixture, { exitMillis: 8_000 })
    server.closeStdout()
    // Answers to these go nowhere: the first write fails with EPIPE.
    for (let i = 0; i < 5; i++) server.write({ jsonrpc: "2.0", id: 10 + i, method: "ping" })
    const exited = await server.exited
    expect(exited.signal, `killed as hung; stderr: ${exited.stderr}`).toBeNull()
    expect(exited.code, exited.stderr).toBe(0)
  }, 90_000)


  it("answers a handler that throws, keeps serving, and loses none of the responses queued before it", async () => {
    const server = await startInitialized(fixture)
    const lines = [
      ...Array.from({ length: 5 }, (_, i) => ({ jsonrpc: "2.0", id: 10 + i, method: "ping" })),
      call(20, "throws", {}),
      { jsonrpc: "2.0", id: 21, method: "ping" }
    ]
    server.write(lines.map((m) => JSON.stringify(m) + "\n").join(""))
    server.write({ jsonrpc: "2.0", id: 22, method: "ping" })
    await server.waitFor((m) => m.id === 22).catch(() => undefined)
    server.end()
    const exited = await server.exited
    expect(exited.code, exited.stderr).toBe(0)
    const messages = expectOnlyProtocol(exited.stdout)
    for (const id of [10, 11, 12, 13, 14, 21, 22]) expect(responseTo(messages, id)).toEqual([{ jsonrpc: "2.0", id, result: {} }])
    // The defect is logged once, on stderr (not also by runMain's pretty logger).
    expect(exited.stderr.split("Error: thrown by the handler").length - 1, exited.stderr).toBe(1)
    const thrown = responseTo(messages, 20)
    expect(thrown).toHaveLength(1)
    // Answered with an error: a JSON-RPC error, or an `isError` tool result.
    expect("error" in thrown[0]! || (thrown[0]!.result as { isError?: boolean }).isError === true, JSON.stringify(thrown[0])).toBe(true)
  }, 90_000)

  it("answers a response too deep to serialize with -32603, keeps serving, and loses nothing queued before it", async () => {
    const server = await startInitialized(fixture)
    const lines = [
      ...Array.from({ length: 5 }, (_, i) => ({ jsonrpc: "2.0", id: 10 + i, method: "ping" })),
      call(20, "deep", { depth: 200_000 }),
      { jsonrpc: "2.0", id: 21, method: "ping" }
    ]
    server.write(lines.map((m) => JSON.stringify(m) + "\n").join(""))
    server.write({ jsonrpc: "2.0", id: 22, method: "ping" })
    await server.waitFor((m) => m.id === 22).catch(() => undefined)
    server.end()
    const exited = await server.exited
    expect(exited.code, exited.stderr).toBe(0)
    const messages = expectOnlyProtocol(exited.stdout)
    for (const id of [10, 11, 12, 13, 14, 21, 22]) expect(responseTo(messages, id)).toEqual([{ jsonrpc: "2.0", id, result: {} }])
    expect(responseTo(messages, 20)).toEqual([{ jsonrpc: "2.0", id: 20, error: { code: -32603, message: expect.any(String) } }])
  }, 90_000)
})
