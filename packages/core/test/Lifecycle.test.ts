import { describe, expect, it } from "@effect/vitest"
import { McpClient, McpSchema, McpServer, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Exit, Fiber, Layer, Queue, Schema, Scope } from "effect"
import { expectSpec, initializeParams, rawSession } from "./support/spec.js"

const echo = Tool.make("echo", {
  description: "Echoes its input",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

const serverOptions = { name: "lifecycle", version: "1.2.3", title: "Lifecycle", instructions: "Call echo to echo." }

describe("Lifecycle (spec basic/lifecycle)", () => {
  it.scoped("a test is a few lines: the client calls a tool over the in-memory transport", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.callTool("echo", { text: "hi" })
      expect(result.content).toEqual([{ type: "text", text: "hi" }])
      expectSpec("CallToolResult", result)
    }).pipe(Effect.provide(TestClient.layer().pipe(Layer.provide(McpServer.register(echo)), Layer.provideMerge(McpServer.layer({ name: "t", version: "1" }))))))

  it.scoped("initialize answers the requested latest revision, serverInfo, capabilities and instructions (Initialization)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expectSpec("InitializeResult", client.initializeResult)
      expect(client.protocolVersion).toBe(McpSchema.LATEST_PROTOCOL_VERSION)
      expect(client.serverInfo).toEqual({ name: "lifecycle", version: "1.2.3", title: "Lifecycle" })
      expect(client.instructions).toBe("Call echo to echo.")
      expect(client.serverCapabilities).toEqual({ logging: {}, tools: { listChanged: true } })
    }).pipe(Effect.provide(TestClient.layerWith(serverOptions, echo))))

  it.scoped("a server advertises only the capabilities it has, unless told to advertise more (Capability Negotiation)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(client.serverCapabilities).toEqual({
        logging: {},
        completions: {},
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        tools: { listChanged: true }
      })
    }).pipe(Effect.provide(TestClient.layerWith({ ...serverOptions, capabilities: { tools: true, resources: true, prompts: true, completions: true } }))))

  for (const version of McpSchema.SUPPORTED_PROTOCOL_VERSIONS) {
    it.scoped(`a client requesting the supported revision ${version} gets it back (Version Negotiation)`, () =>
      Effect.gen(function*() {
        const client = yield* TestClient.make({ protocolVersion: version })
        expect(client.protocolVersion).toBe(version)
      }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))
  }

  it.scoped("a client requesting an unsupported revision gets the server's latest one (Version Negotiation)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const response = yield* raw.initialize("1999-01-01")
      expectSpec("JSONRPCResultResponse", response)
      expect(response).toMatchObject({ id: "init", result: { protocolVersion: McpSchema.LATEST_PROTOCOL_VERSION } })
    }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))

  it.scoped("a request other than ping before initialize is rejected with -32600 (Initialization)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const response = yield* raw.exchange({ jsonrpc: "2.0", id: 1, method: "tools/list" })
      expectSpec("JSONRPCErrorResponse", response)
      expect(response).toMatchObject({ id: 1, error: { code: -32600 } })
    }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))

  it.scoped("ping is answered before initialize (Initialization: the client SHOULD NOT send requests other than pings)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const response = yield* raw.exchange({ jsonrpc: "2.0", id: 1, method: "ping" })
      expect(response).toEqual({ jsonrpc: "2.0", id: 1, result: {} })
    }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))

  it.scoped("a second initialize on the same session is rejected with -32600 (Initialization)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      yield* raw.initialize()
      const again = yield* raw.exchange({ jsonrpc: "2.0", id: 2, method: "initialize", params: initializeParams() })
      expect(again).toMatchObject({ id: 2, error: { code: -32600 } })
    }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))

  it.scoped("initialize with malformed params is rejected with -32602 (Initialization)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const response = yield* raw.exchange({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: 2025 } })
      expect(response).toMatchObject({ id: 1, error: { code: -32602 } })
    }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))

  it.scoped("the server records what the client declared and publishes SessionCreated then Initialized (Initialization)", () =>
    Effect.gen(function*() {
      const events = yield* McpServer.subscribe
      yield* TestClient.make({ clientInfo: { name: "me", version: "9" }, capabilities: { roots: { listChanged: true } } })
      const created = yield* Queue.take(events)
      const initialized = yield* Queue.take(events)
      expect(created._tag).toBe("SessionCreated")
      expect(initialized._tag).toBe("Initialized")
      if (initialized._tag !== "Initialized") return
      expect(initialized.session.clientInfo).toEqual({ name: "me", version: "9" })
      expect(initialized.session.clientCapabilities).toEqual({ roots: { listChanged: true } })
      expect(initialized.session.initialized).toBe(true)
    }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))

  it.scoped("ping is answered with an empty result after initialization (basic/utilities/ping)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.request("ping")
      expect(result).toEqual({})
      expectSpec("EmptyResult", result)
      yield* client.ping()
    }).pipe(Effect.provide(TestClient.layerWith(serverOptions, echo))))

  it.scoped("closing the connection ends the session, and the client's later requests fail with -32000 (Shutdown)", () =>
    Effect.gen(function*() {
      const server = yield* McpServer.McpServer
      const events = yield* McpServer.subscribe
      const scope = yield* Scope.make()
      const client = yield* Scope.extend(TestClient.make(), scope)
      expect(server.sessions()).toHaveLength(1)
      yield* Scope.close(scope, Exit.void)
      expect(server.sessions()).toHaveLength(0)
      const tags: Array<string> = []
      while (tags.at(-1) !== "SessionEnded") tags.push((yield* Queue.take(events))._tag)
      expect(tags).toEqual(["SessionCreated", "Initialized", "SessionEnded"])
      const error = yield* Effect.flip(client.callTool("echo", { text: "late" }))
      expect(error).toBeInstanceOf(McpClient.McpClientError)
      expect(error.code).toBe(McpClient.ClientErrorCode.ConnectionClosed)
      // Never sent: it can go again on another connection, whatever it does.
      expect(McpClient.notProcessed(error)).toBe(true)
    }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))

  it.scoped("a request still waiting when the connection closes fails with -32000, not known to be unprocessed (Shutdown)", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const client = yield* Scope.extend(TestClient.make(), scope)
      const waiting = yield* Effect.fork(Effect.flip(client.callTool("hang", {})))
      yield* Effect.yieldNow()
      yield* Scope.close(scope, Exit.void)
      const error = yield* Fiber.join(waiting)
      expect(error.code).toBe(McpClient.ClientErrorCode.ConnectionClosed)
      // The server had it: it may have taken effect.
      expect(McpClient.notProcessed(error)).toBe(false)
    }).pipe(Effect.provide(TestClient.server(serverOptions, Tool.make("hang", { handler: () => Effect.never })))))

  it.scoped("a server notification before notifications/initialized is not sent (Initialization: the server SHOULD NOT send requests other than pings and logging before it)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      yield* raw.exchange({ jsonrpc: "2.0", id: 1, method: "initialize", params: initializeParams() })
      yield* McpServer.add(Tool.make("late", { handler: () => Effect.succeed("late") }))
      // The list_changed would have been queued before the ping answer.
      expect(yield* raw.exchange({ jsonrpc: "2.0", id: 2, method: "ping" })).toEqual({ jsonrpc: "2.0", id: 2, result: {} })
      yield* raw.send({ jsonrpc: "2.0", method: "notifications/initialized" })
      yield* McpServer.removeTool("late")
      expect(yield* raw.next).toEqual({ jsonrpc: "2.0", method: "notifications/tools/list_changed" })
    }).pipe(Effect.provide(TestClient.server(serverOptions, echo))))
})
