/**
 * Graceful shutdown over Streamable HTTP: SIGTERM and SIGINT with calls in
 * flight. Calls shorter than the drain deadline (`--shutdown-timeout 1s`)
 * complete with their full response; a call longer than it does not hold
 * the process past the deadline (plus a margin), and gets an answer or a
 * clean close, never a truncated body; requests arriving during the drain
 * get 503; a large response in flight arrives whole before the process exits.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { resultText } from "../support/hostile.js"
import { McpHttpClient, partialPost, type PostOutcome, request, responsesOf } from "../support/http.js"
import { type Exit, leftovers, type Proc, sleep, startEverythingHttp, startFixtureHttp, stopAll } from "../support/processes.js"

const DEADLINE_MILLIS = 1_000
/** Exiting this long after the signal is "within the deadline plus a margin" (a loaded CI machine is slow). */
const EXIT_BOUND_MILLIS = DEADLINE_MILLIS + 3_000
const MB = 1024 * 1024

const signals: ReadonlyArray<{ readonly signal: NodeJS.Signals; readonly code: number }> = [
  { signal: "SIGTERM", code: 143 },
  { signal: "SIGINT", code: 130 }
]

/** The process ended on its own after a graceful shutdown: not killed by the signal, exit code 0 (or 128 + the signal's number). */
const expectGracefulExit = (exit: Exit, code: number, proc: Proc) => {
  expect(exit.signal, `killed by ${exit.signal}: ${proc.stderr().slice(-1500)}`).toBeNull()
  expect([0, code], `exit code ${exit.code}: ${proc.stderr().slice(-1500)}`).toContain(exit.code)
}

/** Waits for the exit, at most `millis` (then fails naming how long it has been running). */
const exitWithin = async (proc: Proc, millis: number): Promise<Exit> => {
  const exit = await Promise.race([proc.exited, sleep(millis).then(() => undefined)])
  if (exit === undefined) throw new Error(`the server was still running ${millis} ms after the signal: ${proc.stderr().slice(-1500)}`)
  return exit
}

/** A complete answer with exactly one response to `id`, or a clean close (no response, or an SSE stream cut between events). */
const answeredOrClosedCleanly = (outcome: PostOutcome, id: unknown): string | undefined => {
  if (outcome.malformed !== undefined) return `a truncated or garbled body: ${outcome.malformed}`
  const responses = responsesOf(outcome)
  if (responses.length > 1) return `${responses.length} responses`
  if (responses.length === 1 && responses[0]!.id !== id) return `a response with id ${JSON.stringify(responses[0]!.id)}`
  if (outcome.http.status !== 0 && outcome.http.status !== 200 && outcome.http.status !== 503) return `HTTP ${outcome.http.status}`
  return undefined
}

afterEach(async () => {
  await stopAll()
  expect(leftovers()).toEqual([])
})

afterAll(async () => {
  await stopAll()
})

describe.each(signals)("graceful shutdown over HTTP on $signal", ({ code, signal }) => {
  it(`${signal}: calls shorter than the deadline complete with their full response, then the process exits`, async () => {
    const server = await startEverythingHttp(["--shutdown-timeout", "1s"])
    const client = new McpHttpClient(server.url)
    await client.initialize()
    const calls = [0, 1, 2, 3].map(() => client.callTool("test_long_running", { steps: 1, stepMillis: 500 }, { timeoutMillis: 30_000 }))
    await sleep(150)
    const signalled = performance.now()
    server.proc.signal(signal)
    const responses = await Promise.allSettled(calls)
    for (const r of responses) {
      expect(r.status === "fulfilled" ? resultText(r.value) : String(r.reason)).toBe("Completed 1 steps")
    }
    const exit = await exitWithin(server.proc, EXIT_BOUND_MILLIS)
    expect(exit.at - signalled).toBeLessThan(EXIT_BOUND_MILLIS)
    expectGracefulExit(exit, code, server.proc)
  })

  it(`${signal}: a call longer than the deadline (30 s, --shutdown-timeout 1s) lets the process exit within the deadline plus 3 s, with an answer or a clean close; a request arriving during the drain gets 503`, async () => {
    const server = await startEverythingHttp(["--shutdown-timeout", "1s"])
    const client = new McpHttpClient(server.url)
    await client.initialize()
    const id = client.id()
    const long = client.post(
      { jsonrpc: "2.0", id, method: "tools/call", params: { name: "test_long_running", arguments: { steps: 30, stepMillis: 1_000 } } },
      { timeoutMillis: 40_000 }
    )
    // A connection that is open but has not finished its request when the drain begins.
    const late = await partialPost(server.url, { ...client.headers() }, JSON.stringify({ jsonrpc: "2.0", id: "late", method: "ping" }))
    await sleep(300)
    const signalled = performance.now()
    server.proc.signal(signal)
    await sleep(200)
    const lateAnswer = await late.finish()
    // A new connection during the drain: refused, or 503.
    const fresh = await request({ url: server.url, method: "POST", headers: client.headers(), body: JSON.stringify({ jsonrpc: "2.0", id: "fresh", method: "ping" }), timeoutMillis: 10_000 })
    const exit = await exitWithin(server.proc, EXIT_BOUND_MILLIS + 1_000)
    expect(exit.at - signalled, "the process outlived the deadline plus 3 s").toBeLessThan(EXIT_BOUND_MILLIS)
    expectGracefulExit(exit, code, server.proc)
    expect(lateAnswer.status, `a request arriving during the drain: ${lateAnswer.raw.slice(0, 300)}`).toBe(503)
    expect(fresh.status === 503 || fresh.error === "ECONNREFUSED", `a new connection during the drain: ${fresh.status} ${fresh.error ?? ""}`).toBe(true)
    expect(answeredOrClosedCleanly(await long, id)).toBeUndefined()
  })

  it(`${signal}: an 8 MB response in flight, read slowly, arrives whole (Content-Length matches) before the process exits`, async () => {
    const server = await startFixtureHttp()
    const client = new McpHttpClient(server.url)
    await client.initialize()
    const id = client.id()
    const big = client.post(
      { jsonrpc: "2.0", id, method: "tools/call", params: { name: "big", arguments: { bytes: 8 * MB, delayMs: 400 } } },
      { timeoutMillis: 40_000, slowReadMillis: 3 }
    )
    await sleep(150)
    server.proc.signal(signal)
    const outcome = await big
    expect(outcome.http.status, outcome.http.error).toBe(200)
    expect(outcome.malformed).toBeUndefined()
    expect(outcome.http.complete).toBe(true)
    expect(Number(outcome.http.headers["content-length"])).toBe(outcome.http.body.length)
    const responses = responsesOf(outcome)
    expect(responses).toHaveLength(1)
    expect(resultText(responses[0]!).length).toBe(8 * MB)
    expectGracefulExit(await exitWithin(server.proc, 15_000), code, server.proc)
  })
})
