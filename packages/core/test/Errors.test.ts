import { describe, expect, it } from "@effect/vitest"
import { JsonRpc, McpClient, McpError, Prompt, Resource, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { StdioTransport } from "@emcee/transport"
import { Effect, Fiber, Schema } from "effect"
import { PassThrough } from "node:stream"
import { expectSpec, rawSession } from "./support/spec.js"

const secret = "postgres://admin:hunter2@10.0.0.7/prod"

const echo = Tool.make("echo", { input: Schema.Struct({ text: Schema.String }), handler: ({ text }) => Effect.succeed(text) })
const dies = Tool.make("dies", { handler: () => Effect.die(new Error(`cannot connect to ${secret}`)) })
const database = Resource.make({
  uri: "db://customers",
  name: "customers",
  read: () => Effect.fail(new Error(`cannot connect to ${secret}`))
})
const crashingPrompt = Prompt.make({ name: "crash", render: () => Effect.fail(new Error(`cannot connect to ${secret}`)) })
const needsAuth = Tool.make("needs_auth", {
  handler: () =>
    Effect.fail(
      new McpError.UrlElicitationRequired({
        message: "This request requires more information.",
        elicitations: [{ mode: "url", elicitationId: "e-42", url: "https://example.com/connect", message: "Authorize access to your files." }]
      })
    )
})

const TestLayer = TestClient.layerWith({ name: "errors", version: "1" }, echo, dies, database, crashingPrompt, needsAuth)

/** The raw error response to a request, checked against the spec. */
const rawError = (request: unknown) =>
  Effect.gen(function*() {
    const raw = yield* rawSession
    yield* raw.initialize()
    const response = yield* raw.exchange(request)
    expectSpec("JSONRPCErrorResponse", response)
    return response as unknown as JsonRpc.Failure
  })

/**
 * An error response to a message whose id could not be read: MCP leaves the
 * id out (spec basic/index "Error Responses": `id?`; unlike base JSON-RPC, an
 * id is never null).
 */
const expectIdlessError = (response: unknown) => {
  expect(response).not.toHaveProperty("id")
  expectSpec("JSONRPCErrorResponse", response)
}

describe("Errors (spec basic/index \"Responses\", JSON-RPC 2.0 §5.1)", () => {
  it("-32700: bytes that are not JSON are a parse error without an id", () => {
    const parsed = JsonRpc.parse("{\"jsonrpc\": \"2.0\", ")
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) {
      expectIdlessError(parsed.response)
      expect(parsed.response).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } })
    }
  })

  it.scopedLive("-32700: a stdio server answers a line that is not JSON with a parse error and keeps serving (basic/transports stdio)", () =>
    Effect.gen(function*() {
      const stdin = new PassThrough()
      const stdout = new PassThrough()
      const lines: Array<unknown> = []
      let buffered = ""
      stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8")
        let newline: number
        while ((newline = buffered.indexOf("\n")) >= 0) {
          lines.push(JSON.parse(buffered.slice(0, newline)))
          buffered = buffered.slice(newline + 1)
        }
      })
      const server = yield* Effect.fork(StdioTransport.run({ stdin, stdout, stderr: new PassThrough(), guardConsole: false }))
      stdin.write("{not json\n")
      stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) + "\n")
      while (lines.length < 2) yield* Effect.sleep("5 millis")
      expect(lines[0]).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } })
      expectIdlessError(lines[0])
      expect(lines[1]).toEqual({ jsonrpc: "2.0", id: 1, result: {} })
      stdin.end()
      yield* Fiber.join(server)
    }).pipe(Effect.provide(TestClient.server({ name: "errors", version: "1" }))), { timeout: 10_000 })

  it.scoped("-32600: a message that is not a valid request is an invalid request, with the id when it could be read", () =>
    Effect.gen(function*() {
      const wrongVersion = yield* rawError({ jsonrpc: "1.0", id: 5, method: "ping" })
      expect(wrongVersion).toMatchObject({ id: 5, error: { code: -32600 } })
      const batch = yield* rawError([{ jsonrpc: "2.0", id: 6, method: "ping" }])
      expect(batch).toMatchObject({ error: { code: -32600 } })
      expect(batch).not.toHaveProperty("id")
      const nullId = yield* rawError({ jsonrpc: "2.0", id: null, method: "ping" })
      expect(nullId).toMatchObject({ error: { code: -32600 } })
      expect(nullId).not.toHaveProperty("id")
      const badParams = yield* rawError({ jsonrpc: "2.0", id: 7, method: "tools/list", params: [1, 2] })
      expect(badParams).toMatchObject({ id: 7, error: { code: -32600 } })
    }).pipe(Effect.provide(TestClient.server({ name: "errors", version: "1" }))))

  it.scopedLive("-32600: an id already in use by a request in flight is rejected", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      yield* raw.initialize()
      yield* raw.send({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "slow" } })
      yield* Effect.sleep("1 millis")
      const duplicate = yield* raw.exchange({ jsonrpc: "2.0", id: 9, method: "ping" })
      expect(duplicate).toMatchObject({ id: 9, error: { code: -32600 } })
    }).pipe(Effect.provide(TestClient.server(
      { name: "errors", version: "1" },
      Tool.make("slow", { handler: () => Effect.never })
    ))))

  it.scoped("-32601: an unknown method is method not found, surfaced by the client as McpClientError", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.request("tools/dance"))
      expect(error).toBeInstanceOf(McpClient.McpClientError)
      expect(error).toMatchObject({ _tag: "McpClientError", code: -32601, message: "Method not found: tools/dance" })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("-32602: invalid params (an unknown tool, a missing prompt argument, a bad cursor, a bad level)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      for (const failing of [
        client.callTool("missing"),
        client.getPrompt("nope"),
        client.listTools({ cursor: "%%%" }),
        client.request("logging/setLevel", { level: 3 })
      ]) {
        expect((yield* Effect.flip(failing)).code).toBe(-32602)
      }
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("-32603: a defect or unexpected failure is an internal error whose message leaks no internals", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const failures = [
        yield* Effect.flip(client.callTool("dies")),
        yield* Effect.flip(client.readResource("db://customers")),
        yield* Effect.flip(client.getPrompt("crash"))
      ]
      for (const failure of failures) {
        expect(failure.code).toBe(-32603)
        expect(JSON.stringify(failure)).not.toContain("hunter2")
        expect(JSON.stringify(failure)).not.toContain("10.0.0.7")
      }
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("-32002: reading a resource that does not exist is resource not found, with the uri (server/resources Error Handling)", () =>
    Effect.gen(function*() {
      const response = yield* rawError({ jsonrpc: "2.0", id: 3, method: "resources/read", params: { uri: "file:///nope" } })
      expect(response).toEqual({ jsonrpc: "2.0", id: 3, error: { code: -32002, message: "Resource not found: file:///nope", data: { uri: "file:///nope" } } })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("-32042: a tool that needs URL elicitation first answers URLElicitationRequiredError with the elicitations (client/elicitation URL Elicitation Required Error)", () =>
    Effect.gen(function*() {
      const response = yield* rawError({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "needs_auth" } })
      expectSpec("URLElicitationRequiredError", response)
      expect(response.error).toEqual({
        code: -32042,
        message: "This request requires more information.",
        data: { elicitations: [{ mode: "url", elicitationId: "e-42", url: "https://example.com/connect", message: "Authorize access to your files." }] }
      })
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.callTool("needs_auth"))
      expect(error.code).toBe(-32042)
      expect(error.data).toEqual(response.error.data)
    }).pipe(Effect.provide(TestLayer)))
})
