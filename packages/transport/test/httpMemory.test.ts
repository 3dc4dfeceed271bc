/**
 * Memory of HttpTransport returns to its baseline after many sessions are
 * created and deleted (spec basic/transports "Session Management" 5.: DELETE
 * ends a session; nothing of it may stay behind).
 */
import { Agent, request } from "node:http"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { describe, expect, it } from "vitest"
import { initializeRequest, start } from "./fixtures/httpApp.js"

// --expose-gc comes from vitest.config.ts; the v8 flag is the fallback when the pool ignores execArgv.
const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc ?? (() => {
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as (() => void) | undefined
})()

const heap = () => {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

describe("HttpTransport memory", () => {
  it.skipIf(gc === undefined)("returns to baseline after 10,000 sessions are created and deleted", async () => {
    const server = await start({ maxSessions: 20_000 })
    const agent = new Agent({ keepAlive: true, maxSockets: 16 })
    const send = (method: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; sid: string | undefined }>((resolve, reject) => {
        const req = request(server.url, { method, agent, headers }, (res) => {
          res.resume()
          res.on("end", () => resolve({ status: res.statusCode ?? 0, sid: res.headers["mcp-session-id"] as string | undefined }))
        })
        req.on("error", reject)
        req.end(body)
      })
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" }
    const init = JSON.stringify(initializeRequest())
    const cycle = async () => {
      const created = await send("POST", headers, init)
      expect(created.status).toBe(200)
      const deleted = await send("DELETE", { "mcp-session-id": created.sid! })
      expect(deleted.status).toBe(204)
    }
    const run = async (n: number) => {
      let next = 0
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next++ < n) await cycle()
      }))
    }
    try {
      await run(1_000) // warm up: JIT, pools, metric keys
      const baseline = heap()
      await run(10_000)
      expect(server.stats().sessions).toBe(0)
      const afterFirst = heap()
      await run(10_000)
      const afterSecond = heap()
      // The first round still grows caches and compiled code; a second round
      // of 10,000 sessions must add nothing per session (< 50 bytes each).
      expect(afterFirst - baseline).toBeLessThan(4_000_000)
      expect(afterSecond - afterFirst).toBeLessThan(500_000)
    } finally {
      agent.destroy()
      await server.stop()
    }
  }, 120_000)
})
