/**
 * Property (fast-check, 1,000 runs): an unauthenticated request never
 * reaches a handler, under any transport — Streamable HTTP (both
 * revisions) and WebSocket behind a guard, stdio and the in-memory
 * transport with no caller from the environment. Plus the stdio and
 * WebSocket paths that do authenticate (spec basic/authorization: stdio
 * credentials come from the environment).
 */
import { PassThrough } from "node:stream"
import { McpServer, Prompt, Resource, Tool } from "@emcee/core"
import { HttpTransport, MemoryTransport, StdioTransport } from "@emcee/transport"
import { Effect, Exit, Fiber, Layer, ManagedRuntime, Schema, Scope, Stream } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import * as Authentication from "../src/Authentication.js"
import { type Authenticator, AuthenticationError, bearerToken } from "../src/Authenticator.js"
import * as BearerGuard from "../src/BearerGuard.js"
import * as Principal from "../src/Principal.js"

const VALID = "the-one-valid-token"
const table: Authenticator = {
  name: "table",
  kind: "opaque-token",
  credential: bearerToken,
  verify: (token) =>
    token === VALID
      ? Effect.succeed(Principal.make("carol", ["*"], { kind: "opaque-token" }))
      : Effect.fail(new AuthenticationError({ reason: "invalid", description: "Unknown token" }))
}

let runs = 0
const counted = <A>(value: A) => Effect.sync(() => (runs++, value))
const whoami = Tool.make("whoami", {
  input: Schema.Struct({ x: Schema.optional(Schema.Unknown) }),
  handler: () => Effect.flatMap(Principal.Principal, (p) => counted(p.subject))
})
const greet = Prompt.make({
  name: "greet",
  render: () =>
    Effect.flatMap(Principal.Principal, (p) => counted([{ role: "user" as const, content: { type: "text" as const, text: `hello ${p.subject}` } }]))
})
const secret = Resource.make({
  uri: "file:///secret",
  name: "secret",
  read: () => Effect.flatMap(Principal.Principal, (p) => counted(Resource.text(p.subject)))
})

const App = McpServer.register(Authentication.middleware, whoami, greet, secret).pipe(
  Layer.provideMerge(McpServer.layer({ name: "guarded", version: "1.0.0" })),
  Layer.provideMerge(Authentication.layer([table]))
)

const meta2026 = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "p", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {}
}

const methodArb = fc.constantFrom(
  { method: "tools/call", params: { name: "whoami", arguments: {} }, name: "whoami" },
  { method: "prompts/get", params: { name: "greet", arguments: {} }, name: "greet" },
  { method: "resources/read", params: { uri: "file:///secret" }, name: "file:///secret" },
  { method: "tools/list", params: {}, name: undefined },
  { method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "p", version: "1" } }, name: undefined }
)
const credentialArb = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 40 }).filter((t) => t.trim() !== VALID).map((t) => `Bearer ${t}`),
  fc.constantFrom("Basic Y2Fyb2w6cHc=", `bearer ${VALID}x`, `Bearer  ${VALID.slice(1)}`, "Bearer", "", `Token ${VALID}`)
)
const requestArb = fc.record({
  transport: fc.constantFrom("http", "http2026", "websocket", "stdio", "memory"),
  call: methodArb,
  authorization: credentialArb,
  id: fc.integer({ min: 1, max: 1_000_000 })
})

type Sample = typeof requestArb extends fc.Arbitrary<infer A> ? A : never

describe("an unauthenticated request never reaches a handler", () => {
  let runtime: ManagedRuntime.ManagedRuntime<McpServer.McpServer | Authentication.Authentication, never>
  let scope: Scope.CloseableScope
  let url: string
  let stdin: PassThrough
  let stdout: PassThrough
  const stdoutLines: Array<string> = []
  let memory: { send: (message: unknown) => Promise<unknown> }

  beforeAll(async () => {
    runtime = ManagedRuntime.make(App)
    scope = await runtime.runPromise(Scope.make())
    const running = await runtime.runPromise(
      Effect.gen(function*() {
        const guard = yield* BearerGuard.make({ resource: "https://mcp.example.com/mcp", authorizationServers: ["https://as.example.com"] })
        return yield* HttpTransport.make({ guard, webSocket: true })
      }).pipe(Scope.extend(scope))
    )
    url = running.url
    // stdio with no credential in its environment: the session has no caller.
    stdin = new PassThrough()
    stdout = new PassThrough()
    stdout.setEncoding("utf8")
    let buffered = ""
    stdout.on("data", (chunk: string) => {
      buffered += chunk
      let nl: number
      while ((nl = buffered.indexOf("\n")) !== -1) {
        stdoutLines.push(buffered.slice(0, nl))
        buffered = buffered.slice(nl + 1)
      }
    })
    runtime.runFork(StdioTransport.run({ stdin, stdout, stderr: new PassThrough(), guardConsole: false }))
    const client = await runtime.runPromise(MemoryTransport.make().pipe(Scope.extend(scope)))
    memory = {
      send: (message) =>
        runtime.runPromise(
          Effect.gen(function*() {
            const first = yield* Effect.fork(Stream.runHead(client.incoming))
            yield* client.send(message as never)
            return yield* Fiber.join(first)
          })
        )
    }
  })
  afterAll(async () => {
    stdin.end()
    await runtime.runPromise(Scope.close(scope, Exit.void))
    await runtime.dispose()
  })

  const send = async (sample: Sample): Promise<void> => {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" }
    if (sample.authorization !== undefined) headers.authorization = sample.authorization
    const message = { jsonrpc: "2.0", id: sample.id, method: sample.call.method, params: sample.call.params }
    switch (sample.transport) {
      case "http": {
        const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(message) })
        expect(res.status).toBe(401)
        await res.arrayBuffer()
        return
      }
      case "http2026": {
        const modern = { ...message, params: { ...sample.call.params, _meta: meta2026 } }
        const h: Record<string, string> = { ...headers, "mcp-protocol-version": "2026-07-28", "mcp-method": sample.call.method }
        if (sample.call.name !== undefined) h["mcp-name"] = sample.call.name
        const res = await fetch(url, { method: "POST", headers: h, body: JSON.stringify(modern) })
        expect(res.status).toBe(401)
        await res.arrayBuffer()
        return
      }
      case "websocket": {
        const status = await new Promise<number>((resolve) => {
          const ws = new WebSocket(url.replace("http", "ws"), "mcp", { headers: sample.authorization === undefined ? {} : { authorization: sample.authorization } })
          ws.on("unexpected-response", (_req, res) => {
            resolve(res.statusCode ?? 0)
            res.resume()
          })
          ws.on("open", () => {
            ws.close()
            resolve(101)
          })
          ws.on("error", () => resolve(-1))
        })
        expect(status).toBe(401)
        return
      }
      case "stdio": {
        const before = stdoutLines.length
        stdin.write(`${JSON.stringify(message)}\n`)
        await waitFor(() => stdoutLines.slice(before).some((line) => line.includes(`"id":${sample.id}`)))
        const answer = JSON.parse(stdoutLines.slice(before).find((line) => line.includes(`"id":${sample.id}`))!)
        expect(answer.error).toBeDefined()
        return
      }
      case "memory": {
        const answer = await memory.send(message) as { _tag: string; value?: { error?: unknown } }
        expect(answer._tag).toBe("Some")
        expect(answer.value?.error).toBeDefined()
        return
      }
    }
  }

  it("property: no transport, method or credential runs a handler without a valid credential (1,000 runs)", async () => {
    await fc.assert(fc.asyncProperty(requestArb, async (sample) => {
      await send(sample)
      expect(runs).toBe(0)
    }), { numRuns: 1_000 })
  }, 120_000)

  it("the same handlers run for a valid token, over HTTP and WebSocket", async () => {
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${VALID}` }
    const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {}, _meta: meta2026 } }
    const res = await fetch(url, { method: "POST", headers: { ...headers, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "whoami" }, body: JSON.stringify(body) })
    expect(await res.json()).toMatchObject({ result: { content: [{ type: "text", text: "carol" }] } })
    const answer = await new Promise<unknown>((resolve, reject) => {
      const ws = new WebSocket(url.replace("http", "ws"), "mcp", { headers: { authorization: `Bearer ${VALID}` } })
      ws.on("open", () => ws.send(JSON.stringify({ ...body, id: 2 })))
      ws.on("message", (data) => {
        resolve(JSON.parse(String(data)))
        ws.close()
      })
      ws.on("error", reject)
    })
    expect(answer).toMatchObject({ id: 2, result: { content: [{ type: "text", text: "carol" }] } })
    expect(runs).toBe(2)
  })

  it("stdio: a caller authenticated from the environment reaches handlers; a bad credential fails the start", async () => {
    const ok = await runtime.runPromise(Effect.either(Authentication.environmentContext({ authorization: "MCP_TOKEN" }, { MCP_TOKEN: VALID })))
    expect(ok._tag).toBe("Right")
    const bad = await runtime.runPromise(Effect.either(Authentication.environmentContext({ authorization: "MCP_TOKEN" }, { MCP_TOKEN: "nope" })))
    expect(bad._tag === "Left" && bad.left.reason).toBe("invalid")
    const none = await runtime.runPromise(Effect.either(Authentication.environmentContext({ authorization: "MCP_TOKEN" }, {})))
    expect(none._tag === "Left" && none.left.reason).toBe("missing")
    if (ok._tag !== "Right") return
    const input = new PassThrough()
    const output = new PassThrough()
    output.setEncoding("utf8")
    const lines: Array<string> = []
    output.on("data", (chunk: string) => lines.push(...chunk.split("\n").filter((l) => l !== "")))
    const fiber = runtime.runFork(StdioTransport.run({ stdin: input, stdout: output, stderr: new PassThrough(), guardConsole: false, context: ok.right }))
    input.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "s", version: "1" } } })}\n`)
    input.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`)
    input.write(`${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "whoami", arguments: {} } })}\n`)
    await waitFor(() => lines.some((l) => l.includes(`"id":2`)))
    expect(JSON.parse(lines.find((l) => l.includes(`"id":2`))!)).toMatchObject({ result: { content: [{ type: "text", text: "carol" }] } })
    input.end()
    await runtime.runPromise(Fiber.await(fiber))
  })
})

const waitFor = async (condition: () => boolean, millis = 5_000) => {
  const until = Date.now() + millis
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out")
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
