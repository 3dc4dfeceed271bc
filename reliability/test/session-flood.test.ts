/**
 * Session floods (spec basic/transports "Session Management"): 3,000
 * initializes as fast as possible against `--max-sessions 1000`. The server
 * stays up and its heap bounded; every refusal is a 503 with `Retry-After`;
 * and afterwards a well-behaved new client gets a session within seconds
 * (immediately, by eviction of idle sessions, or after the Retry-After it
 * was told), not after the 30-minute idle timeout.
 */
import { Agent } from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import { initializeRequest, McpHttpClient, request } from "../support/http.js"
import { heapUsed, MiB } from "../support/memory.js"
import { leftovers, sleep, startEverythingHttp, stopAll } from "../support/processes.js"

const FLOOD = 3_000
const MAX_SESSIONS = 1_000
/** A new client must have a session this long after the flood ends, however many Retry-After waits that takes. */
const LOCKOUT_BOUND_MILLIS = 15_000

afterEach(async () => {
  await stopAll()
  expect(leftovers()).toEqual([])
})

describe("session floods", () => {
  it("3,000 initializes against --max-sessions 1000: the server stays up, refusals are 503 with Retry-After, the heap stays bounded, and a new client gets a session within seconds", async () => {
    const server = await startEverythingHttp(["--json-response", "--max-sessions", String(MAX_SESSIONS)])
    const baseline = await heapUsed(server.url)
    const agent = new Agent({ keepAlive: true, maxSockets: 32 })
    const statuses = new Map<string, number>()
    const badRefusals: Array<string> = []
    let next = 0
    const body = JSON.stringify(initializeRequest(1))
    const worker = async () => {
      while (next < FLOOD && server.proc.alive()) {
        next++
        const res = await request({
          url: server.url,
          method: "POST",
          headers: { accept: "application/json, text/event-stream", "content-type": "application/json" },
          body,
          agent,
          timeoutMillis: 30_000
        })
        const key = res.status === 0 ? `no response (${res.error})` : String(res.status)
        statuses.set(key, (statuses.get(key) ?? 0) + 1)
        if (res.status === 503 && (res.headers["retry-after"] === undefined || !/^\d+$/.test(String(res.headers["retry-after"])))) {
          badRefusals.push(`503 without a Retry-After in seconds: ${JSON.stringify(res.headers)}`)
        }
        if (res.status === 200 && typeof res.headers["mcp-session-id"] !== "string") badRefusals.push("200 without Mcp-Session-Id")
      }
    }
    await Promise.all(Array.from({ length: 32 }, worker))
    agent.destroy()
    const floodEnded = performance.now()

    expect(server.proc.alive(), `the server exited: ${server.proc.stderr().slice(-1500)}`).toBe(true)
    // Every answer is a session or a 503 refusal; nothing else (no 500s, no dropped connections).
    expect([...statuses.keys()].filter((k) => k !== "200" && k !== "503"), JSON.stringify(Object.fromEntries(statuses))).toEqual([])
    expect(badRefusals.slice(0, 5)).toEqual([])
    expect(statuses.get("200") ?? 0, "sessions granted").toBeGreaterThan(0)

    // A well-behaved client: initialize, and on 503 wait what Retry-After says, then try again.
    const client = new McpHttpClient(server.url)
    let sessionId: string | undefined
    const attempts: Array<string> = []
    while (sessionId === undefined && performance.now() - floodEnded < LOCKOUT_BOUND_MILLIS) {
      const outcome = await client.post(initializeRequest(client.id()))
      const id = outcome.http.headers["mcp-session-id"]
      if (outcome.http.status === 200 && typeof id === "string") {
        sessionId = id
        break
      }
      attempts.push(`${outcome.http.status} retry-after=${String(outcome.http.headers["retry-after"])}`)
      const retryAfter = Number(outcome.http.headers["retry-after"] ?? "1")
      await sleep(Math.min(Number.isFinite(retryAfter) ? retryAfter : 1, 5) * 1_000)
    }
    expect(sessionId, `no session ${LOCKOUT_BOUND_MILLIS} ms after the flood: ${attempts.slice(0, 5).join("; ")} (${attempts.length} attempts)`).toBeDefined()
    client.sessionId = sessionId
    const initialized = await client.post({ jsonrpc: "2.0", method: "notifications/initialized" })
    expect(initialized.http.status).toBe(202)
    await client.echo("after the flood")

    const heap = await heapUsed(server.url)
    expect(heap - baseline, `heap grew from ${(baseline / MiB).toFixed(0)} MB to ${(heap / MiB).toFixed(0)} MB`).toBeLessThan(150 * MiB)
    expect(server.proc.alive()).toBe(true)
    await client.close()
  })
})
