/**
 * The gateway under hostile input, with real backends (the everything
 * example over stdio and Streamable HTTP, a raw node:http backend that never
 * answers) and the built `emcee gateway` binary:
 *
 * - huge arguments (5 MB) are forwarded, or refused with an error naming
 *   the limit (the gateway's own HTTP body limit, a backend's 413) without
 *   the backend being dropped or its circuit breaker opened;
 * - arguments nested 10,000 levels deep are refused with -32602 naming the
 *   limit (JSON.stringify would exhaust the stack forwarding them);
 * - a backend that never answers, or stops reading, costs the caller the
 *   configured request timeout and nothing more: its connections are
 *   closed, and the other backends are unaffected;
 * - SIGTERM with calls in flight: they complete (or get an error past the
 *   drain deadline), the process exits 0, and no backend process is left,
 *   not even one that ignores SIGTERM and the end of its stdin.
 *
 * Every case ends by checking that the gateway still serves.
 */
import { McpClient, type McpSchema, McpServer } from "@emcee/core"
import { HttpClientTransport, HttpTransport, MemoryTransport } from "@emcee/transport"
import { type Context, Effect, Fiber, Layer, Option, type Scope } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Gateway from "../src/Gateway.js"
import { MAX_DEPTH } from "../src/internal/jsonDepth.js"
import { built, everythingMain, type HttpBackend, repoRoot, startEverythingHttp } from "./support/backends.js"
import { startHungBackend } from "./support/hungBackend.js"

const serverOptions = { name: "gateway", version: "1.0.0", capabilities: { tools: true, prompts: true, resources: true } }

/** The gateway with `options`, its server and its scope's life: built in the caller's scope, settled. */
const buildGateway = (options: Gateway.Options) =>
  Effect.gen(function*() {
    const app = yield* Layer.build(Gateway.layer(options).pipe(Layer.provideMerge(McpServer.layer(serverOptions))))
    yield* Gateway.awaitSettled().pipe(Effect.provide(app))
    return app
  })

/** A client of the gateway in memory: no HTTP body limit in between (as a stdio gateway's 16 MiB line limit). */
const memoryClient = (app: Context.Context<Gateway.Gateway | McpServer.McpServer>) =>
  Effect.gen(function*() {
    const transport = yield* MemoryTransport.make().pipe(Effect.provide(app))
    return yield* McpClient.make({ transport, clientInfo: { name: "hostile-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
  })

const textOf = (result: McpSchema.CallToolResult): string => (result.content[0] as { readonly text: string }).text

const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))

describe.runIf(built)("Hostile arguments through the gateway (spec 2025-11-25 server/tools \"Calling Tools\")", { timeout: 120_000 }, () => {
  let http: HttpBackend
  beforeAll(async () => {
    http = await startEverythingHttp()
  })
  afterAll(async () => {
    await http?.kill()
  })

  const backends = (): ReadonlyArray<Gateway.Options["backends"][number]> => [
    { name: "local", endpoint: { _tag: "Stdio", command: process.execPath, args: [everythingMain] } },
    // The everything example takes request bodies up to 4 MiB (HttpTransport's default), under either revision.
    { name: "remote", endpoint: { _tag: "Http", url: http.url } },
    { name: "old", endpoint: { _tag: "Http", url: http.url }, protocolVersion: "2025-11-25" }
  ]

  it("5 MB arguments: the gateway's HTTP endpoint answers 413 naming its limit; in memory they are forwarded to stdio, and an HTTP backend's 413 reaches the caller without the backend being dropped or its breaker opened", async () => {
    const big = "x".repeat(5 * 1024 * 1024)
    const outcome = await run(Effect.gen(function*() {
      const app = yield* buildGateway({ backends: backends(), requestTimeout: "30 seconds" })
      const gateway = yield* Gateway.Gateway.pipe(Effect.provide(app))

      // Over Streamable HTTP (HttpTransport's default 4 MiB body limit): refused at the door.
      const served = yield* HttpTransport.make({ port: 0 }).pipe(Effect.provide(app))
      const overHttp = yield* McpClient.make({
        transport: yield* HttpClientTransport.make({ url: served.url }),
        clientInfo: { name: "hostile-test", version: "1.0.0" },
        protocolVersion: "2025-11-25"
      })
      const atTheDoor = yield* Effect.flip(overHttp.callTool("local_echo", { message: big }))

      // In memory: forwarded.
      const client = yield* memoryClient(app)
      const echoed = yield* client.callTool("local_echo", { message: big })
      // More refusals than the breaker's threshold (5): a 413 is the backend's answer, not a failure of the hop.
      const refused: Array<McpSchema.CallToolResult> = []
      for (let i = 0; i < 3; i++) {
        refused.push(yield* client.callTool("remote_echo", { message: big }))
        refused.push(yield* client.callTool("old_echo", { message: big }))
      }
      const status = yield* gateway.backends
      const after = yield* Effect.forEach(["local", "remote", "old"], (name) => client.callTool(`${name}_echo`, { message: "after" }))
      const afterHttp = yield* overHttp.callTool("remote_echo", { message: "after, over HTTP" })
      return { atTheDoor, echoed, refused, status, after, afterHttp }
    }))
    expect(outcome.atTheDoor.code).toBe(McpClient.ClientErrorCode.ConnectionClosed)
    expect(outcome.atTheDoor.data).toMatchObject({ httpStatus: 413 })
    expect(outcome.atTheDoor.message).toContain("Payload Too Large: the limit is 4194304 bytes")
    expect(textOf(outcome.echoed)).toBe(`Echo: ${big}`)
    for (const [i, result] of outcome.refused.entries()) {
      expect(result.isError).toBe(true)
      expect(textOf(result)).toMatch(new RegExp(`^The backend "${i % 2 === 0 ? "remote" : "old"}" failed: POST \\S+( failed: HTTP 413.*Payload Too Large|: the server closed the connection while the request .* was being sent .*it may be larger than the server accepts)`))
    }
    expect(outcome.status.map((b) => [b.name, b.state, b.breaker])).toEqual([["local", "up", "closed"], ["remote", "up", "closed"], ["old", "up", "closed"]])
    expect(outcome.after.map(textOf)).toEqual(["Echo: after", "Echo: after", "Echo: after"])
    expect(textOf(outcome.afterHttp)).toBe("Echo: after, over HTTP")
  })

  it("maxResponseBytes: an answer larger than it fails that call naming the limit (over stdio the line is dropped and the call times out); the backends go on serving", async () => {
    // Above the limit; the listings of the everything example are well below it.
    const message = "y".repeat(400_000)
    const outcome = await run(Effect.gen(function*() {
      const app = yield* buildGateway({ backends: backends(), requestTimeout: "3 seconds", maxResponseBytes: 262_144 })
      const client = yield* memoryClient(app)
      // An error result (isError) or a JSON-RPC error: the text the caller gets either way.
      const big = yield* Effect.forEach(["local", "remote", "old"], (name) =>
        client.callTool(`${name}_echo`, { message }).pipe(
          Effect.match({ onFailure: (error) => `error ${error.code}: ${error.message}`, onSuccess: (result) => `${result.isError === true ? "isError" : "ok"}: ${textOf(result)}` })
        ), { concurrency: "unbounded" })
      const small = yield* Effect.forEach(["local", "remote", "old"], (name) => client.callTool(`${name}_echo`, { message: "small" }))
      return { big, small }
    }))
    expect(outcome.big[0]).toMatch(/^isError: The backend "local" failed: .*within 3000 ms/)
    // The backend answered, the gateway could not take it: a tool error naming the backend and the limit, as a
    // request the backend refused as too large is (spec server/tools "Error Handling": the model can ask for less).
    for (const [i, text] of outcome.big.slice(1).entries()) {
      expect(text).toMatch(new RegExp(`^isError: The backend "${["remote", "old"][i]}" failed: .*larger than (maxMessageBytes \\()?262144 bytes`))
    }
    expect(outcome.small.map(textOf)).toEqual(["Echo: small", "Echo: small", "Echo: small"])
  })

  it(`arguments nested 10,000 levels deep get -32602 naming the limit (${MAX_DEPTH}); 200 levels are forwarded; the gateway still serves`, async () => {
    const nested = (depth: number) => `${"{\"a\":".repeat(depth)}"leaf"${"}".repeat(depth)}`
    const outcome = await run(Effect.gen(function*() {
      const app = yield* buildGateway({ backends: backends() })
      const served = yield* HttpTransport.make({ port: 0 }).pipe(Effect.provide(app))
      const transport = yield* HttpClientTransport.make({ url: served.url })
      const client = yield* McpClient.make({ transport, clientInfo: { name: "hostile-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
      // Sent as text: this process's own JSON.stringify could not serialize 10,000 levels either.
      const raw = (id: number, tool: string, depth: number) =>
        Effect.promise(async () => {
          const response = await fetch(served.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              "mcp-session-id": transport.sessionId()!,
              "mcp-protocol-version": "2025-11-25"
            },
            body: `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${tool}","arguments":{"message":"m","extra":${nested(depth)}}}}`
          })
          return { status: response.status, body: JSON.parse(await response.text()) as { readonly error?: { code: number; message: string }; readonly result?: McpSchema.CallToolResult } }
        })
      const deep = yield* Effect.forEach(["local", "remote", "old"], (name, i) => raw(i + 1, `${name}_echo`, 10_000))
      const fine = yield* Effect.forEach(["local", "remote", "old"], (name, i) => raw(i + 10, `${name}_echo`, 200))
      // A backend's own refusal of what the gateway forwards: the everything example's echo takes no "extra".
      const after = yield* client.callTool("local_echo", { message: "after" })
      return { deep, fine, after }
    }))
    for (const [i, name] of ["local", "remote", "old"].entries()) {
      expect(outcome.deep[i]!.status).toBe(200)
      expect(outcome.deep[i]!.body.error).toEqual({
        code: -32602,
        message: `Invalid params: nested deeper than ${MAX_DEPTH} levels of objects and arrays; the gateway does not forward them to the backend "${name}"`
      })
      expect(outcome.fine[i]!.body.result).toMatchObject({ isError: true, content: [{ type: "text", text: expect.stringContaining("extra: is unexpected") }] })
    }
    expect(textOf(outcome.after)).toBe("Echo: after")
  })
})

describe.runIf(built)("A backend that never answers (spec 2025-11-25 basic/lifecycle \"Timeouts\")", { timeout: 120_000 }, () => {
  it("the caller gets an error within the request timeout, the backend's connections are closed, and other backends are unaffected", async () => {
    const hung = await startHungBackend()
    const timeoutMillis = 1500
    try {
      const outcome = await run(Effect.gen(function*() {
        const app = yield* buildGateway({
          backends: [
            { name: "hung", endpoint: { _tag: "Http", url: hung.url }, protocolVersion: "2025-11-25" },
            { name: "local", endpoint: { _tag: "Stdio", command: process.execPath, args: [everythingMain] } }
          ],
          requestTimeout: `${timeoutMillis} millis`
        })
        const gateway = yield* Gateway.Gateway.pipe(Effect.provide(app))
        const client = yield* memoryClient(app)
        const started = Date.now()
        const waiting = yield* Effect.fork(client.callTool("hung_hang", {}))
        // Another backend answers while that call waits.
        const meanwhile = yield* client.callTool("local_echo", { message: "meanwhile" })
        const stillWaiting = Option.isNone(yield* Fiber.poll(waiting))
        const timedOut = yield* Fiber.join(waiting)
        const timedOutAfter = Date.now() - started
        // A body the backend never reads (8 MB: more than the socket buffers hold, so the gateway's write blocks).
        const stalledAt = Date.now()
        const stalled = yield* client.callTool("hung_hang", { blob: "y".repeat(8 * 1024 * 1024) })
        const stalledAfter = Date.now() - stalledAt
        // While the gateway runs: it closed the requests it gave up on (the cancellation sent, then the request's POST closed).
        hung.drain()
        const calls = hung.hung.filter((h) => h.kind !== "notifications/cancelled")
        const closed = yield* Effect.promise(() => Promise.all(calls.map((h) => h.closed))).pipe(Effect.timeout("10 seconds"), Effect.option)
        const status = yield* gateway.backends
        const after = yield* client.callTool("local_echo", { message: "after" })
        return { meanwhile, stillWaiting, timedOut, timedOutAfter, stalled, stalledAfter, calls: calls.map((h) => h.kind), closed, status, after }
      }))
      expect(textOf(outcome.meanwhile)).toBe("Echo: meanwhile")
      expect(outcome.stillWaiting).toBe(true)
      for (const result of [outcome.timedOut, outcome.stalled]) {
        expect(result.isError).toBe(true)
        expect(textOf(result)).toBe(`The backend "hung" failed: tools/call got no response within ${timeoutMillis} ms`)
      }
      // Bounded by the timeout (and a generous margin for a loaded machine), never a hang.
      expect(outcome.timedOutAfter).toBeLessThan(timeoutMillis + 10_000)
      expect(outcome.stalledAfter).toBeLessThan(timeoutMillis + 10_000)
      expect(outcome.calls).toEqual(["tools/call", "unread"])
      expect(Option.isSome(outcome.closed)).toBe(true)
      expect(hung.hung.some((h) => h.kind === "notifications/cancelled")).toBe(true)
      // A timeout is a failure of the hop the breaker counts, not a lost connection: still up, two failures under the threshold.
      expect(outcome.status.map((b) => [b.name, b.state, b.breaker])).toEqual([["hung", "up", "closed"], ["local", "up", "closed"]])
      expect(textOf(outcome.after)).toBe("Echo: after")
    } finally {
      await hung.close()
    }
  })
})

/** A stdio MCP server that ignores SIGTERM and the end of its stdin: only SIGKILL ends it. */
const stubbornServer = `
process.on("SIGTERM", () => {})
setInterval(() => {}, 1000)
let buffer = ""
process.stdin.setEncoding("utf8")
process.stdin.on("data", (chunk) => {
  buffer += chunk
  let at
  while ((at = buffer.indexOf("\\n")) >= 0) {
    const message = JSON.parse(buffer.slice(0, at))
    buffer = buffer.slice(at + 1)
    if (message.id === undefined) continue
    const result = message.method === "initialize"
      ? { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "stubborn", version: "1.0.0" } }
      : message.method === "tools/list" ? { tools: [{ name: "noop", inputSchema: { type: "object" } }] } : {}
    process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }) + "\\n")
  }
})
`

const bin = path.join(repoRoot, "packages/cli/dist/bin.js")
const binBuilt = built && fs.existsSync(bin)

/** The pids of `pid`'s children (Linux `ps`). */
const childrenOf = (pid: number): ReadonlyArray<number> => {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).trim().split(/\s+/).filter((s) => s !== "").map(Number)
  } catch {
    return []
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const until = async <A>(what: string, probe: () => A | undefined, millis: number): Promise<A> => {
  const deadline = Date.now() + millis
  while (Date.now() < deadline) {
    const value = probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe.runIf(binBuilt && process.platform === "linux")("emcee gateway receiving SIGTERM with calls in flight (spec 2025-11-25 basic/lifecycle \"Shutdown\")", { timeout: 120_000 }, () => {
  const made: Array<string> = []
  afterAll(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
  })

  /** Starts the binary with two everything backends and a stubborn one over stdio; its URL once it serves, and its backend pids. */
  const start = async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-hostile-"))
    made.push(dir)
    const stubborn = path.join(dir, "stubborn.cjs")
    fs.writeFileSync(stubborn, stubbornServer)
    const child: ChildProcess = spawn(process.execPath, [
      bin,
      "gateway",
      "--memory",
      "--port",
      "0",
      "--backend",
      `a=${process.execPath} ${everythingMain}`,
      "--backend",
      `b=${process.execPath} ${everythingMain}`,
      "--backend",
      `s=${process.execPath} ${stubborn}`
    ], { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr!.setEncoding("utf8")
    child.stderr!.on("data", (chunk: string) => (stderr += chunk))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() }))
    )
    const url = await until("the gateway to serve", () => /on (http:\/\/\S+\/mcp)/.exec(stderr)?.[1], 60_000)
    const backends = await until("three backend processes", () => {
      const pids = childrenOf(child.pid!)
      return pids.length === 3 ? pids : undefined
    }, 30_000)
    return { child, url, backends, exited, stderr: () => stderr }
  }

  /** Starts calls of test_long_running (`steps` of 100 ms) on both everything backends, over one session. */
  const callsInFlight = (url: string, steps: number) =>
    Effect.runPromise(Effect.gen(function*() {
      const transport = yield* HttpClientTransport.make({ url })
      const client = yield* McpClient.make({ transport, clientInfo: { name: "hostile-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
      return yield* Effect.forEach(
        ["a_test_long_running", "b_test_long_running", "a_test_long_running"],
        (name) => Effect.either(client.callTool(name, { steps, stepMillis: 100 }, { timeoutMillis: 60_000 })),
        { concurrency: "unbounded" }
      )
    }).pipe(Effect.scoped))

  for (const [label, steps, check] of [
    ["calls that end within the drain complete", 25, "complete"],
    ["calls longer than the drain deadline get an error", 400, "error"]
  ] as const) {
    it(`${label}; the process exits 0 and no backend process is left, not even one ignoring SIGTERM`, async () => {
      const gateway = await start()
      try {
        const calls = callsInFlight(gateway.url, steps)
        // Let the calls reach the backends.
        await new Promise((resolve) => setTimeout(resolve, 800))
        const sentAt = Date.now()
        gateway.child.kill("SIGTERM")
        const exit = await gateway.exited
        const outcomes = await calls
        console.info(`hostile: ${label}: exited ${exit.code} ${exit.at - sentAt} ms after SIGTERM`)
        expect(exit.code, gateway.stderr()).toBe(0)
        // HttpTransport's drain deadline (10 s), then the backends' shutdown: stdin, SIGTERM, SIGKILL (2 s apart).
        expect(exit.at - sentAt).toBeLessThan(25_000)
        for (const outcome of outcomes) {
          if (check === "complete") {
            expect(outcome._tag).toBe("Right")
            if (outcome._tag === "Right") expect(outcome.right.content).toEqual([{ type: "text", text: `Completed ${steps} steps` }])
          } else {
            // Either the drain's deadline answers it, or the backend's connection closing under it does (a tool
            // execution error naming the backend, spec server/tools "Error Handling"): an error either way.
            if (outcome._tag === "Left") expect(outcome.left.message).toContain("the server shut down before the request finished")
            else expect(outcome.right).toMatchObject({ isError: true, content: [{ type: "text", text: expect.stringMatching(/^The backend "[ab]" failed: /) }] })
          }
        }
        await until("every backend process to be gone", () => (gateway.backends.some(alive) ? undefined : true), 5_000)
      } finally {
        if (gateway.child.exitCode === null) gateway.child.kill("SIGKILL")
        for (const pid of gateway.backends) if (alive(pid)) process.kill(pid, "SIGKILL")
      }
    })
  }
})
