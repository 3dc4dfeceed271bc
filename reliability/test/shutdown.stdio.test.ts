/**
 * Graceful shutdown over stdio: SIGTERM and SIGINT with calls in flight.
 * Calls shorter than the drain deadline (`--shutdown-timeout 1s`) complete;
 * a call longer than it does not hold the process past the deadline (plus a
 * margin); large responses in flight (20 x 1 MB, read slowly) all arrive as
 * complete lines before the process exits. stdout never carries a partial line.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { resultText } from "../support/hostile.js"
import { type Exit, leftovers, type Proc, sleep, startEverythingStdio, startFixtureStdio, stopAll } from "../support/processes.js"
import { StdioClient } from "../support/stdio.js"

const DEADLINE_MILLIS = 1_000
const EXIT_BOUND_MILLIS = DEADLINE_MILLIS + 3_000
const MB = 1024 * 1024

const signals: ReadonlyArray<{ readonly signal: NodeJS.Signals; readonly code: number }> = [
  { signal: "SIGTERM", code: 143 },
  { signal: "SIGINT", code: 130 }
]

const expectGracefulExit = (exit: Exit, code: number, proc: Proc) => {
  expect(exit.signal, `killed by ${exit.signal}: ${proc.stderr().slice(-1500)}`).toBeNull()
  expect([0, code], `exit code ${exit.code}: ${proc.stderr().slice(-1500)}`).toContain(exit.code)
}

const exitWithin = async (proc: Proc, millis: number): Promise<Exit> => {
  const exit = await Promise.race([proc.exited, sleep(millis).then(() => undefined)])
  if (exit === undefined) throw new Error(`the server was still running ${millis} ms after the signal: ${proc.stderr().slice(-1500)}`)
  return exit
}

/** Every line on stdout is a complete JSON message, and nothing is left after the last newline. */
const expectCompleteLines = async (client: StdioClient) => {
  // The pipe may still hold the last bytes when the exit event fires.
  await new Promise<void>((resolve) => {
    const out = client.proc.child.stdout!
    if (out.readableEnded || out.destroyed) resolve()
    else out.once("close", () => resolve())
  })
  expect(client.lines.filter((l) => l.message === undefined).map((l) => l.raw.slice(0, 200))).toEqual([])
  expect(client.unterminated().slice(0, 200)).toBe("")
}

afterEach(async () => {
  await stopAll()
  expect(leftovers()).toEqual([])
})

afterAll(async () => {
  await stopAll()
})

describe.each(signals)("graceful shutdown over stdio on $signal", ({ code, signal }) => {
  it(`${signal}: calls shorter than the deadline complete with their full response, then the process exits`, async () => {
    const proc = startEverythingStdio(["--shutdown-timeout", "1s"])
    const client = new StdioClient(proc)
    await client.initialize()
    const ids = [0, 1, 2, 3].map(() => {
      const id = client.id()
      client.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "test_long_running", arguments: { steps: 1, stepMillis: 500 } } })
      return id
    })
    await sleep(150)
    const signalled = performance.now()
    proc.signal(signal)
    const exit = await exitWithin(proc, EXIT_BOUND_MILLIS)
    expect(exit.at - signalled).toBeLessThan(EXIT_BOUND_MILLIS)
    expectGracefulExit(exit, code, proc)
    await expectCompleteLines(client)
    for (const id of ids) {
      expect(client.responsesTo(id).map(resultText), `call ${id}`).toEqual(["Completed 1 steps"])
    }
  })

  it(`${signal}: a call longer than the deadline (30 s, --shutdown-timeout 1s) lets the process exit within the deadline plus 3 s`, async () => {
    const proc = startEverythingStdio(["--shutdown-timeout", "1s"])
    const client = new StdioClient(proc)
    await client.initialize()
    const id = client.id()
    client.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "test_long_running", arguments: { steps: 30, stepMillis: 1_000 } } })
    await sleep(300)
    const signalled = performance.now()
    proc.signal(signal)
    const exit = await exitWithin(proc, EXIT_BOUND_MILLIS + 1_000)
    expect(exit.at - signalled, "the process outlived the deadline plus 3 s").toBeLessThan(EXIT_BOUND_MILLIS)
    expectGracefulExit(exit, code, proc)
    await expectCompleteLines(client)
    // An answer (an error, it was cut short) or none: never two, never a success it did not earn.
    expect(client.responsesTo(id).length).toBeLessThanOrEqual(1)
    for (const r of client.responsesTo(id)) expect(resultText(r)).not.toBe("Completed 30 steps")
  })

  it(`${signal}: 20 responses of 1 MB in flight, read slowly, all arrive as complete lines before the process exits`, async () => {
    const proc = startFixtureStdio()
    const client = new StdioClient(proc, 5)
    await client.initialize()
    const ids = Array.from({ length: 20 }, () => {
      const id = client.id()
      client.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "big", arguments: { bytes: MB, delayMs: 300 } } })
      return id
    })
    await sleep(100)
    proc.signal(signal)
    const exit = await exitWithin(proc, 30_000)
    expectGracefulExit(exit, code, proc)
    await expectCompleteLines(client)
    const missing = ids.filter((id) => client.responsesTo(id).length !== 1 || resultText(client.responsesTo(id)[0]!).length !== MB)
    expect(missing, `responses missing or short; ${client.lines.length} lines arrived`).toEqual([])
  })
})
