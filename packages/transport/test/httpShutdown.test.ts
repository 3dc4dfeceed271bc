/**
 * Graceful shutdown of HttpTransport in a real child process: SIGTERM
 * interrupts the main fiber (NodeRuntime.runMain), the transport stops
 * accepting, lets in-flight requests finish, then exits 0.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { bundled } from "./fixtures/bundled.js"
import { call, openSession, post } from "./fixtures/httpApp.js"

const fixture = fileURLToPath(new URL("./fixtures/http-server.ts", import.meta.url))

const startChild = () =>
  new Promise<{ child: ReturnType<typeof spawn>; url: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bundled(fixture)], {
      env: { ...process.env, PORT: "0", EMCEE_SHUTDOWN_MS: "5000" },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening (\d+)/.exec(out)
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}/mcp` })
    })
    child.on("error", reject)
    child.on("exit", (code) => reject(new Error(`fixture exited early with ${code}: ${out}`)))
  })

interface Outcome {
  readonly startedAt: number
  readonly ok: boolean
  readonly detail: string
}

describe("HttpTransport graceful shutdown", () => {
  it("finishes every in-flight request of 50 concurrent clients after SIGTERM and exits 0", async () => {
    const { child, url } = await startChild()
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.on("exit", (code) => resolve({ code, at: performance.now() }))
    )
    const sessions = await Promise.all(Array.from({ length: 50 }, () => openSession(url)))
    let stopping = false
    const outcomes: Array<Outcome> = []
    const client = async (sid: string, n: number) => {
      for (let i = 0; !stopping; i++) {
        const startedAt = performance.now()
        try {
          const res = await post(url, call(`${n}-${i}`, "slow", { ms: 200 }), { "mcp-session-id": sid })
          const body = await res.text()
          const ok = res.status === 200 && body.includes("slept 200 ms")
          outcomes.push({ startedAt, ok, detail: `${res.status} ${body.slice(0, 120)}` })
          if (res.status === 503) return
        } catch (e) {
          outcomes.push({ startedAt, ok: false, detail: String((e as Error).cause ?? e) })
          return
        }
      }
    }
    const clients = Promise.all(sessions.map((sid, n) => client(sid, n)))
    await new Promise((r) => setTimeout(r, 700))
    const killedAt = performance.now()
    child.kill("SIGTERM")
    const exit = await exited
    stopping = true
    await clients

    expect(exit.code).toBe(0)
    expect(exit.at - killedAt).toBeLessThan(5_000)
    // In flight = sent well before SIGTERM (the 200 ms tool was running when it arrived).
    const inFlight = outcomes.filter((o) => o.startedAt < killedAt - 20)
    expect(inFlight.length).toBeGreaterThanOrEqual(100)
    expect(inFlight.filter((o) => !o.ok)).toEqual([])
    // Whatever came later was refused (503) or found the port closed; nothing hung.
    for (const late of outcomes.filter((o) => !o.ok)) expect(late.detail).toMatch(/^503|ECONNREFUSED|ECONNRESET|other side closed|SocketError/)
  }, 30_000)
})
