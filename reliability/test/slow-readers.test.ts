/**
 * Slow readers (spec basic/transports "Listening for Messages from the
 * Server"): 50 sessions each open their GET SSE stream and never read it,
 * while another client makes the server send notifications to every session.
 * The server must not buffer without bound for a reader that does not read:
 * its heap (`nodejs_heap_size_used_bytes` of GET /metrics) stays under the
 * baseline + 150 MB (the fix: a stream whose buffered bytes pass a bound is
 * closed; the client may resume it with Last-Event-ID), and it still serves.
 *
 * The heap figure asserted is the settled one, the lowest of a few samples
 * over 2 s after the storm: the used heap includes garbage not yet
 * collected, which swings by hundreds of MB during a storm whatever the
 * server retains, while bytes buffered for the unread sockets stay. The peak
 * seen is in the failure message.
 */
import type { Socket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { McpHttpClient, metric, openUnreadStream } from "../support/http.js"
import { heapUsed, MiB, procRss } from "../support/memory.js"
import { type HttpServer, leftovers, sleep, startEverythingHttp, startFixtureHttp, stopAll } from "../support/processes.js"

const READERS = 50
const HEAP_MARGIN = 150 * MiB
/** Stops the storm early when the server's resident memory grows this much: the test has failed, spare the machine. */
const RSS_VALVE = 700 * MiB
/**
 * The server runs with its old generation capped: V8 then collects garbage before the heap
 * passes the cap, so the heap figure is what the server retains, and retaining more is fatal.
 */
const HEAP_CAP = ["--max-old-space-size=256"]

let sockets: Array<Socket> = []

afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  sockets = []
  await stopAll()
  expect(leftovers()).toEqual([])
})

/** 50 sessions, each with a GET stream on a socket that never reads; `setup` runs for each session first. */
const openSlowReaders = async (server: HttpServer, setup: (client: McpHttpClient) => Promise<void> = async () => {}) => {
  for (let i = 0; i < READERS; i++) {
    const client = new McpHttpClient(server.url)
    const sessionId = await client.initialize()
    await setup(client)
    sockets.push(await openUnreadStream(server.url, sessionId))
    client.agent.destroy()
  }
  // Let the streams' headers and priming events go out.
  await sleep(300)
}

/**
 * Runs `calls` storm calls from `concurrency` workers, sampling the heap every `sampleEvery`
 * calls. Returns the highest heap seen; stops early when /proc shows the server's RSS past the valve.
 */
const storm = async (
  server: HttpServer,
  call: (client: McpHttpClient) => Promise<void>,
  options: { readonly calls: number; readonly concurrency: number; readonly sampleEvery: number }
) => {
  const client = new McpHttpClient(server.url)
  await client.initialize()
  const rssBefore = procRss(server.proc.pid)
  let started = 0
  let done = 0
  let peak = 0
  let valve = false
  const sample = async () => {
    peak = Math.max(peak, await heapUsed(server.url))
  }
  const worker = async () => {
    while (started < options.calls && !valve && server.proc.alive()) {
      started++
      await call(client)
      done++
      if (done % options.sampleEvery === 0) {
        await sample()
        const rss = procRss(server.proc.pid)
        if (rss !== undefined && rssBefore !== undefined && rss - rssBefore > RSS_VALVE) valve = true
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  // What the server still holds once the storm is over.
  let settled = Number.POSITIVE_INFINITY
  for (let i = 0; i < 5 && server.proc.alive(); i++) {
    await sleep(400)
    const heap = await heapUsed(server.url)
    peak = Math.max(peak, heap)
    settled = Math.min(settled, heap)
  }
  client.agent.destroy()
  const streams = await metric(server.url, "mcp_sse_streams_active")
  return { peak, settled, done, valve, streams }
}

const mb = (bytes: number) => `${(bytes / MiB).toFixed(0)} MB`

const expectStillServing = async (server: HttpServer) => {
  expect(server.proc.alive(), `the server exited: ${server.proc.stderr().slice(-1500)}`).toBe(true)
  const client = new McpHttpClient(server.url)
  await client.initialize()
  await client.echo("after the storm")
  await client.close()
}

describe("slow readers", () => {
  it("50 GET streams never read, under a storm of 1,500 test_dynamic_tool calls (list_changed to every session): heap stays under baseline + 150 MB and the server still answers", async () => {
    const server = await startEverythingHttp(["--json-response"], HEAP_CAP)
    await openSlowReaders(server)
    const baseline = await heapUsed(server.url)
    const { done, peak, settled, streams, valve } = await storm(
      server,
      async (client) => {
        await client.callTool("test_dynamic_tool", {}, { timeoutMillis: 30_000 })
      },
      { calls: 1_500, concurrency: 8, sampleEvery: 250 }
    )
    expect(valve, `the server's RSS grew by more than ${RSS_VALVE / MiB} MB after ${done} calls`).toBe(false)
    expect(settled - baseline, `heap settled at ${mb(settled)} after the storm, from ${mb(baseline)} (peak ${mb(peak)}; ${streams} SSE streams still open)`).toBeLessThan(HEAP_MARGIN)
    await expectStillServing(server)
  })

  it("50 GET streams never read, subscribed to a resource with a 10 KB URI, under 1,200 notifications/resources/updated each (~12 MB per stream): heap stays under baseline + 150 MB and the server still answers", async () => {
    const server = await startFixtureHttp([], HEAP_CAP)
    const uri = `test://reliability/${"u".repeat(10_000)}`
    await openSlowReaders(server, async (client) => {
      const id = client.id()
      const outcome = await client.post({ jsonrpc: "2.0", id, method: "resources/subscribe", params: { uri } })
      expect(outcome.http.status).toBe(200)
    })
    const baseline = await heapUsed(server.url)
    const { done, peak, settled, streams, valve } = await storm(
      server,
      async (client) => {
        await client.callTool("broadcast", { uri, times: 100 }, { timeoutMillis: 60_000 })
      },
      { calls: 12, concurrency: 2, sampleEvery: 2 }
    )
    expect(valve, `the server's RSS grew by more than ${RSS_VALVE / MiB} MB after ${done} calls`).toBe(false)
    expect(settled - baseline, `heap settled at ${mb(settled)} after the storm, from ${mb(baseline)} (peak ${mb(peak)}; ${streams} SSE streams still open)`).toBeLessThan(HEAP_MARGIN)
    await expectStillServing(server)
  })
})
