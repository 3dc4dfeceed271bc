import { describe, expect, it } from "@effect/vitest"
import { Content, McpServer, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Context, Effect, Layer, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}

const echo = Tool.make("echo", {
  title: "Echo",
  description: "Echoes its input",
  input: Schema.Struct({ text: Schema.String.annotations({ description: "What to echo" }) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  icons: [{ src: "https://example.com/echo.png", mimeType: "image/png" }],
  handler: ({ text }) => Effect.succeed(text)
})

const noArgs = Tool.make("now", { handler: () => Effect.succeed("noon") })

const blocks = Tool.make("blocks", {
  handler: () =>
    Effect.succeed([
      Content.text("hello", { annotations: { audience: ["user"], priority: 0.5 } }),
      Content.image(new Uint8Array([137, 80, 78, 71]), "image/png"),
      Content.audio("UklGRg==", "audio/wav"),
      Content.resourceLink({ uri: "file:///a.txt", name: "a.txt", mimeType: "text/plain" }),
      Content.embedded({ uri: "file:///b.txt", mimeType: "text/plain", text: "b" })
    ])
})

const add = Tool.make("add", {
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  output: Schema.Struct({ sum: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed({ sum: a + b })
})

const lying = Tool.make("lying", {
  output: Schema.Struct({ sum: Schema.Number }),
  handler: () => Effect.succeed({ sum: "three" } as unknown as { sum: number })
})

const failing = Tool.make("failing", {
  handler: () => Effect.fail(new Error("the disk is full"))
})

const greet = Tool.make("greet", {
  input: Schema.Struct({ name: Schema.String }),
  handler: ({ name }) => Effect.map(Greeter, (g) => g.greet(name))
})

const GreeterLive = Layer.succeed(Greeter, { greet: (name) => `Hello, ${name}!` })

const TestLayer = TestClient.layerWith({ name: "tools", version: "1" }, echo, noArgs, blocks, add, lying, failing, greet).pipe(
  Layer.provide(GreeterLive)
)

describe("Tools (spec server/tools)", () => {
  it.scoped("tools/list describes each tool with a JSON Schema derived from its Effect Schema (Listing Tools)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const list = yield* client.listTools()
      expectSpec("ListToolsResult", list)
      expect(list.nextCursor).toBeUndefined()
      expect(list.tools.map((t) => t.name)).toEqual(["echo", "now", "blocks", "add", "lying", "failing", "greet"])
      expect(list.tools[0]).toEqual({
        name: "echo",
        title: "Echo",
        description: "Echoes its input",
        inputSchema: {
          type: "object",
          required: ["text"],
          properties: { text: { type: "string", description: "What to echo" } },
          additionalProperties: false
        },
        annotations: { readOnlyHint: true, openWorldHint: false },
        icons: [{ src: "https://example.com/echo.png", mimeType: "image/png" }]
      })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a tool without parameters has an object inputSchema (Schema Examples: Tool with no parameters)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const tools = yield* client.listAllTools()
      expect(tools.find((t) => t.name === "now")?.inputSchema).toMatchObject({ type: "object" })
      const result = yield* client.callTool("now")
      expectSpec("CallToolResult", result)
      expect(result).toEqual({ content: [{ type: "text", text: "noon" }] })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("tools/call returns what the handler returned as text content (Calling Tools)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.callTool("echo", { text: "hi" })
      expectSpec("CallToolResult", result)
      expect(result).toEqual({ content: [{ type: "text", text: "hi" }] })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a tool may return text, image, audio, resource links and embedded resources (Tool Result)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.callTool("blocks")
      expectSpec("CallToolResult", result)
      expect(result.content).toEqual([
        { type: "text", text: "hello", annotations: { audience: ["user"], priority: 0.5 } },
        { type: "image", data: "iVBORw==", mimeType: "image/png" },
        { type: "audio", data: "UklGRg==", mimeType: "audio/wav" },
        { type: "resource_link", uri: "file:///a.txt", name: "a.txt", mimeType: "text/plain" },
        { type: "resource", resource: { uri: "file:///b.txt", mimeType: "text/plain", text: "b" } }
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a tool with an output schema advertises outputSchema and returns structuredContent plus its JSON as text (Structured Content, Output Schema)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const tools = yield* client.listAllTools()
      expect(tools.find((t) => t.name === "add")?.outputSchema).toEqual({
        type: "object",
        required: ["sum"],
        properties: { sum: { type: "number" } },
        additionalProperties: false
      })
      const result = yield* client.callTool("add", { a: 1, b: 2 })
      expectSpec("CallToolResult", result)
      expect(result).toEqual({ content: [{ type: "text", text: "{\"sum\":3}" }], structuredContent: { sum: 3 } })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("output that does not match the tool's outputSchema is an internal error, never sent as structuredContent (Output Schema: servers MUST provide conforming results)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.callTool("lying"))
      expect(error.code).toBe(-32603)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a handler failure is a tool execution error: an isError result carrying the message (Error Handling)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.callTool("failing")
      expectSpec("CallToolResult", result)
      expect(result).toEqual({ content: [{ type: "text", text: "the disk is full" }], isError: true })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("arguments that fail the input schema are a tool execution error the model can correct (Error Handling: input validation errors)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const wrongType = yield* client.callTool("echo", { text: 5 })
      expectSpec("CallToolResult", wrongType)
      expect(wrongType.isError).toBe(true)
      expect(wrongType.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("text") })
      const missing = yield* client.callTool("echo", {})
      expect(missing.isError).toBe(true)
      const extra = yield* client.callTool("echo", { text: "a", loud: true })
      expect(extra.isError).toBe(true)
      expect(extra.content[0]).toMatchObject({ text: expect.stringContaining("loud") })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("calling an unknown tool is a protocol error -32602 (Error Handling: unknown tools)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.callTool("nope"))
      expect(error).toMatchObject({ _tag: "McpClientError", code: -32602, message: "Unknown tool: nope" })
      const noName = yield* Effect.flip(client.request("tools/call", { arguments: {} }))
      expect(noName.code).toBe(-32602)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a tool's handler gets the services its Layer provides (the app's requirements, not the test's)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.callTool("greet", { name: "Ada" })
      expect(result.content).toEqual([{ type: "text", text: "Hello, Ada!" }])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("concurrent calls on one session are answered independently, each with its own id (basic/index Requests)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const results = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => i),
        (i) => client.callTool("add", { a: i, b: i }),
        { concurrency: "unbounded" }
      )
      expect(results.map((r) => r.structuredContent)).toEqual(Array.from({ length: 20 }, (_, i) => ({ sum: 2 * i })))
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a tool added at runtime is listed and callable (List Changed Notification)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* McpServer.add(Tool.make("late", { handler: () => Effect.succeed("here") }))
      expect((yield* client.listAllTools()).map((t) => t.name)).toContain("late")
      expect((yield* client.callTool("late")).content).toEqual([{ type: "text", text: "here" }])
    }).pipe(Effect.provide(TestLayer)))
})
