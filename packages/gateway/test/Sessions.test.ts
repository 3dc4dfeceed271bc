/**
 * The gateway's upstream sessions against real backends:
 *
 * - a backend process killed mid-call and started again on the same port:
 *   a read-only call is sent again on the new session and succeeds; a call
 *   that may have taken effect fails naming the backend (spec 2025-11-25
 *   schema `ToolAnnotations`);
 * - a backend restarted between calls: the old session is gone (HTTP 404,
 *   spec 2025-11-25 basic/transports "Session Management" 4.), and the next
 *   calls use the new one without an error reaching the caller, calls that
 *   may take effect included (a 404 means the backend never read them);
 * - `sessions: "perPrincipal"`: each caller (`Principal`) gets its own
 *   upstream session, anonymous callers share the gateway's, and an idle
 *   one is closed after `sessionIdleTimeout`;
 * - active health probes (`probeInterval`, spec basic/utilities/ping): a
 *   backend process that stops answering (SIGSTOP) is found out without
 *   any call, its connection replaced and its breaker opened; it is served
 *   again once it answers.
 */
import { Authentication, Principal } from "@emcee/auth"
import { McpClient, McpServer, Prometheus, RequestContext, Tool } from "@emcee/core"
import { HttpTransport, MemoryTransport } from "@emcee/transport"
import { type Context, Effect, Fiber, Layer, Schedule, type Scope } from "effect"
import { describe, expect, it } from "vitest"
import * as Gateway from "../src/Gateway.js"
import { type HttpBackend, sessionBackendBuilt, startSessionBackend } from "./support/backends.js"

const serverOptions = { name: "gateway", version: "1.0.0", capabilities: { tools: { listChanged: true } } } as unknown as McpServer.Options

/** Runs `body` with a gateway in front of `options.backends`, once every backend was tried. */
const withGateway = <A, E>(options: Gateway.Options, body: Effect.Effect<A, E, Gateway.Gateway | McpServer.McpServer | Scope.Scope>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Gateway.layer(options).pipe(Layer.provideMerge(McpServer.layer(serverOptions))))
    return yield* Effect.provide(Effect.zipRight(Gateway.awaitSettled(), body), context)
  })

/** A client of the gateway; `context` carries the caller's `Principal` when it is an authenticated one. */
const connectClient = (context?: Context.Context<never>) =>
  Effect.gen(function*() {
    const transport = yield* MemoryTransport.make(context === undefined ? {} : { context })
    return yield* McpClient.make({ transport, clientInfo: { name: "caller", version: "1.0.0" }, protocolVersion: "2025-11-25" })
  })

const textOf = (result: { readonly content: ReadonlyArray<unknown> }) => (result.content[0] as { readonly text: string }).text

interface Report {
  readonly pid: number
  readonly session: string | null
}
const reportOf = (result: { readonly content: ReadonlyArray<unknown> }) => JSON.parse(textOf(result)) as Report

/** The `mcp_gateway_backend_connections` gauge of a backend, from the Prometheus text. */
const connectionsGauge = (text: string, backend: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`mcp_gateway_backend_connections{backend="${backend}"}`))
  return line === undefined ? undefined : Number(line.split(" ").at(-1))
}

describe.runIf(sessionBackendBuilt)("Gateway when a backend restarts (spec 2025-11-25 basic/transports \"Session Management\")", { timeout: 180_000 }, () => {
  it("a read-only call in flight is sent again on the new session; a call that may have taken effect fails naming the backend; after a restart between calls the new session is used with no error", async () => {
    const processes: Array<HttpBackend> = []
    const start = async (port?: number) => {
      const started = await startSessionBackend(port)
      processes.push(started)
      return started
    }
    try {
      const first = await start()
      const outcome = await Effect.runPromise(
        withGateway(
          {
            backends: [{ name: "s", endpoint: { _tag: "Http", url: first.url }, protocolVersion: "2025-11-25" }],
            requestTimeout: "40 seconds",
            reconnect: Schedule.spaced("200 millis")
          },
          Effect.gen(function*() {
            const client = yield* connectClient()
            const before = reportOf(yield* client.callTool("s_whoami", {}))

            // Killed while a read-only call runs, started again on the same port: the call goes again on the new session.
            const read = yield* Effect.fork(client.callTool("s_slow_read", { millis: 3000 }))
            yield* Effect.sleep("700 millis")
            yield* Effect.promise(() => first.kill())
            const second = yield* Effect.promise(() => start(first.port))
            const readResult = yield* Fiber.join(read)

            // Killed while a call that may take effect runs: it is not sent again.
            const write = yield* Effect.fork(client.callTool("s_slow_write", { millis: 3000 }))
            yield* Effect.sleep("700 millis")
            yield* Effect.promise(() => second.kill())
            const third = yield* Effect.promise(() => start(first.port))
            const writeResult = yield* Fiber.join(write)

            // Up again on the third process.
            const gateway = yield* Gateway.Gateway
            yield* gateway.backends.pipe(
              Effect.repeat({ until: (backends) => backends[0]?.state === "up", schedule: Schedule.spaced("50 millis") }),
              Effect.timeout("30 seconds")
            )
            const onThird = reportOf(yield* client.callTool("s_whoami", {}))

            // Restarted between calls, quicker than the gateway can tell: its session there is gone (404). Every
            // call right after goes to the new session, and none fails (the calls are read-only; one that found
            // the old session is sent again, the others wait for the new one).
            yield* Effect.promise(() => third.kill())
            const fourth = yield* Effect.promise(() => start(first.port))
            const afterRestart = yield* Effect.forEach([1, 2, 3], () => client.callTool("s_whoami", {}), { concurrency: "unbounded" })
            const later = yield* client.callTool("s_whoami", {})

            // Restarted again, and calls that may take effect come right after: the old session answers each of them
            // 404, which means the backend never read it, so each goes to the new session, and runs there once.
            yield* Effect.promise(() => fourth.kill())
            const fifth = yield* Effect.promise(() => start(first.port))
            const writesAfterRestart = yield* Effect.forEach([1, 2, 3], () => client.callTool("s_slow_write", { millis: 0 }), { concurrency: "unbounded" })
            const afterWrites = reportOf(yield* client.callTool("s_whoami", {}))
            return {
              before,
              readResult,
              writeResult,
              onThird,
              afterRestart,
              later,
              writesAfterRestart,
              afterWrites,
              pids: [first, second, third, fourth, fifth].map((p) => p.child.pid)
            }
          })
        ).pipe(Effect.scoped)
      )
      const [firstPid, secondPid, thirdPid, fourthPid, fifthPid] = outcome.pids
      expect(outcome.before.pid).toBe(firstPid)

      expect(outcome.readResult.isError).not.toBe(true)
      const read = reportOf(outcome.readResult)
      expect(read.pid).toBe(secondPid)
      expect(read.session).not.toBe(outcome.before.session)

      expect(outcome.writeResult.isError).toBe(true)
      expect(textOf(outcome.writeResult)).toMatch(/^The backend "s" failed: .*not sent again because it may have taken effect/)

      expect(outcome.onThird.pid).toBe(thirdPid)
      for (const result of [...outcome.afterRestart, outcome.later]) {
        expect(result.isError).not.toBe(true)
        expect(reportOf(result).pid).toBe(fourthPid)
      }
      // One new session on the fourth process, used by every call after the restart.
      expect(new Set([...outcome.afterRestart, outcome.later].map((result) => reportOf(result).session)).size).toBe(1)

      // No stale-session error for the writes either, and each ran exactly once, on the fifth process.
      for (const result of outcome.writesAfterRestart) expect(result.isError, textOf(result)).not.toBe(true)
      const writes = outcome.writesAfterRestart.map(reportOf)
      expect(writes.map((report) => report.pid)).toEqual([fifthPid, fifthPid, fifthPid])
      // The fifth process's fourth tool call: the three writes ran there once each.
      expect(outcome.afterWrites).toMatchObject({ pid: fifthPid, calls: 4 })
    } finally {
      for (const started of processes) await started.kill()
    }
  })
})

describe("Gateway per-principal upstream sessions", { timeout: 60_000 }, () => {
  it("each caller gets an upstream session of its own, anonymous callers share the gateway's, an idle one is closed after sessionIdleTimeout, and a lost one is opened again", async () => {
    const outcome = await Effect.runPromise(Effect.gen(function*() {
      // A backend in this process over Streamable HTTP (2025-11-25 sessions) whose tool answers with the caller's session id.
      const session = Tool.make("session", {
        annotations: { readOnlyHint: true },
        handler: () => Effect.map(RequestContext.RequestContext, (request) => request.session.sessionId ?? "none")
      })
      const server = yield* Layer.build(McpServer.register(session).pipe(Layer.provideMerge(McpServer.layer({ name: "sessions-backend", version: "1.0.0" }))))
      const backend = yield* HttpTransport.make({ port: 0, host: "127.0.0.1" }).pipe(Effect.provide(server))
      return yield* withGateway(
        {
          backends: [{
            name: "b",
            endpoint: { _tag: "Http", url: backend.url },
            protocolVersion: "2025-11-25",
            sessions: "perPrincipal",
            sessionIdleTimeout: "1 second"
          }]
        },
        Effect.gen(function*() {
          const alice = yield* connectClient(Authentication.contextOf(Principal.make("alice", [], { kind: "jwt", issuer: "https://issuer.example" })))
          const bob = yield* connectClient(Authentication.contextOf(Principal.make("bob", [], { kind: "jwt", issuer: "https://issuer.example" })))
          const anonymous = yield* connectClient()
          const call = (client: McpClient.McpClient) => Effect.map(client.callTool("b_session", {}), textOf)
          const onlyShared = backend.stats().sessions
          const [a1, a2, b1, n1] = [yield* call(alice), yield* call(alice), yield* call(bob), yield* call(anonymous)]
          const whileUsed = backend.stats().sessions
          const connectionsWhileUsed = connectionsGauge(yield* Prometheus.render, "b")
          // Released after a second without requests (the backend sees the session DELETEd, spec "Session Management" 5.).
          const idle = yield* Effect.sync(() => backend.stats().sessions).pipe(
            Effect.repeat({ until: (n) => n === onlyShared, schedule: Schedule.spaced("100 millis") }),
            Effect.timeout("15 seconds"),
            Effect.option
          )
          const connectionsIdle = connectionsGauge(yield* Prometheus.render, "b")
          const a3 = yield* call(alice)

          // The backend restarted on the same port: the callers' sessions there are gone (404), and their
          // read-only calls are sent again on new sessions of their own.
          yield* backend.close
          yield* HttpTransport.make({ port: backend.port, host: "127.0.0.1" }).pipe(Effect.provide(server))
          const [a4, b2] = [yield* call(alice), yield* call(bob)]
          return { onlyShared, a1, a2, b1, n1, whileUsed, connectionsWhileUsed, idle, connectionsIdle, a3, a4, b2 }
        })
      )
    }).pipe(Effect.scoped))
    expect(outcome.onlyShared).toBe(1)
    expect(outcome.a1).toBe(outcome.a2)
    expect(outcome.b1).not.toBe(outcome.a1)
    expect(outcome.n1).not.toBe(outcome.a1)
    expect(outcome.n1).not.toBe(outcome.b1)
    // The gateway's own session (listing, anonymous callers), alice's and bob's.
    expect(outcome.whileUsed).toBe(3)
    // mcp_gateway_backend_connections counts them all, and the idle ones are gone from it.
    expect(outcome.connectionsWhileUsed).toBe(3)
    expect(outcome.connectionsIdle).toBe(1)
    expect(outcome.idle._tag).toBe("Some")
    // Alice's next call opens a new session.
    expect(outcome.a3).not.toBe(outcome.a1)
    expect(new Set([outcome.a3, outcome.a4, outcome.b1, outcome.b2]).size).toBe(4)
    expect(outcome.a4).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe.runIf(sessionBackendBuilt && process.platform !== "win32")("Gateway health probes (spec basic/utilities/ping \"Behavior Requirements\")", { timeout: 120_000 }, () => {
  it("a backend that stops answering pings is marked down and opens its breaker without any call; once it answers again it is up and served", async () => {
    const backend = await startSessionBackend()
    try {
      const outcome = await Effect.runPromise(
        withGateway(
          {
            backends: [{ name: "s", endpoint: { _tag: "Http", url: backend.url }, protocolVersion: "2025-11-25" }],
            probeInterval: "300 millis",
            probeTimeout: "500 millis",
            requestTimeout: "2 seconds",
            reconnect: Schedule.spaced("300 millis"),
            breaker: { failureThreshold: 1, openFor: "1 second" }
          },
          Effect.gen(function*() {
            const gateway = yield* Gateway.Gateway
            const status = Effect.map(gateway.backends, (backends) => backends[0]!)
            const client = yield* connectClient()
            // Answering probes for a while keeps it up with its breaker closed.
            yield* Effect.sleep("1 second")
            const healthy = yield* status
            const before = reportOf(yield* client.callTool("s_whoami", {}))

            // Stopped: its connections stay open, but nothing answers.
            backend.child.kill("SIGSTOP")
            yield* status.pipe(
              Effect.repeat({ until: (s) => s.state === "down", schedule: Schedule.spaced("25 millis") }),
              Effect.timeout("10 seconds")
            )
            const stopped = yield* status

            backend.child.kill("SIGCONT")
            yield* status.pipe(
              Effect.repeat({ until: (s) => s.state === "up" && s.breaker === "closed", schedule: Schedule.spaced("50 millis") }),
              Effect.timeout("30 seconds")
            )
            const back = yield* status
            const after = reportOf(yield* client.callTool("s_whoami", {}))
            return { healthy, before, stopped, back, after }
          })
        ).pipe(Effect.scoped)
      )
      expect(outcome.healthy).toMatchObject({ state: "up", breaker: "closed" })
      expect(outcome.stopped.lastError).toMatch(/^a health probe failed: /)
      expect(outcome.stopped.breaker).toBe("open")
      expect(outcome.back).toMatchObject({ state: "up", breaker: "closed" })
      // The same process, on a new session.
      expect(outcome.after.pid).toBe(outcome.before.pid)
      expect(outcome.after.session).not.toBe(outcome.before.session)
    } finally {
      backend.child.kill("SIGCONT")
      await backend.kill()
    }
  })
})
