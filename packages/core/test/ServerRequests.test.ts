import { describe, expect, it } from "@effect/vitest"
import type { McpSchema } from "@emcee/core"
import { Elicitation, McpClient, McpServer, RequestContext, Roots, Sampling, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Deferred, Effect, Queue } from "effect"
import { expectSpec } from "./support/spec.js"

const samplingParams: McpSchema.CreateMessageRequestParams = {
  messages: [{ role: "user", content: { type: "text", text: "What is 2 + 2?" } }],
  maxTokens: 100
}

/** Tools that ask the client things and say what they got, or the error. */
const ask = Tool.make("ask", {
  handler: () => Effect.map(Sampling.createMessage(samplingParams), (r) => JSON.stringify(r))
})
const askQuickly = Tool.make("ask_quickly", {
  handler: () => Effect.map(Sampling.createMessage(samplingParams, { timeoutMillis: 30 }), (r) => JSON.stringify(r))
})
const form = Tool.make("form", {
  handler: () =>
    Effect.map(
      Elicitation.form("What is your name?", {
        type: "object",
        properties: { name: { type: "string", title: "Name" }, age: { type: "integer", minimum: 0 } },
        required: ["name"]
      }),
      (r) => JSON.stringify(r)
    )
})
const url = Tool.make("url", {
  handler: () =>
    Effect.map(
      Elicitation.url({ message: "Please authorize", url: "https://example.com/authorize?x=1", elicitationId: "e-1" }),
      (r) => JSON.stringify(r)
    )
})
const roots = Tool.make("roots", { handler: () => Effect.map(Roots.list(), (r) => JSON.stringify(r)) })
const custom = Tool.make("custom", {
  handler: () =>
    Effect.flatMap(RequestContext.session, (session) =>
      Effect.all([Effect.either(session.request("ping", {})), Effect.either(session.request("x/unknown", {}))])).pipe(
        Effect.map(([ping, unknown]) => JSON.stringify({ ping, unknown }))
      )
})

const serverLayer = TestClient.server({ name: "server-requests", version: "1" }, ask, askQuickly, form, url, roots, custom)

const textOf = (result: McpSchema.CallToolResult): string => {
  const block = result.content[0]
  return block?.type === "text" ? block.text : ""
}

const samplingResult: McpSchema.CreateMessageResult = {
  role: "assistant",
  content: { type: "text", text: "4" },
  model: "test-model",
  stopReason: "endTurn"
}

describe("Server-to-client requests (spec client/sampling, client/elicitation, client/roots)", () => {
  it.scoped("sampling/createMessage reaches the client's handler and its result returns to the tool (client/sampling Creating Messages)", () =>
    Effect.gen(function*() {
      const received: Array<unknown> = []
      const client = yield* TestClient.make({
        handlers: { sampling: (params) => Effect.sync(() => received.push(params)).pipe(Effect.as(samplingResult)) }
      })
      expect(yield* McpServer.McpServer.pipe(Effect.map((s) => s.sessions()[0]?.clientCapabilities))).toEqual({ sampling: {} })
      const result = yield* client.callTool("ask")
      expectSpec("CallToolResult", result)
      expect(result.isError).toBeUndefined()
      expect(JSON.parse(textOf(result))).toEqual(samplingResult)
      expect(received).toEqual([samplingParams])
      expectSpec("CreateMessageRequestParams", received[0])
      expectSpec("CreateMessageResult", samplingResult)
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("without the sampling capability the tool fails with ClientCapabilityMissing and nothing is sent (basic/lifecycle Capability Negotiation)", () =>
    Effect.gen(function*() {
      let called = false
      const client = yield* TestClient.make({ capabilities: {}, handlers: { sampling: () => Effect.sync(() => (called = true)).pipe(Effect.as(samplingResult)) } })
      const result = yield* client.callTool("ask")
      expect(result.isError).toBe(true)
      expect(textOf(result)).toBe("ClientCapabilityMissing: The client did not declare the \"sampling\" capability")
      expect(called).toBe(false)
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("a client that rejects sampling answers a JSON-RPC error, which the tool sees as ClientError (client/sampling Error Handling)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make({
        handlers: { sampling: () => Effect.fail(new McpClient.McpClientError({ code: -1, message: "User rejected sampling request" })) }
      })
      const result = yield* client.callTool("ask")
      expect(result).toEqual({ content: [{ type: "text", text: "ClientError: User rejected sampling request" }], isError: true })
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("a client that declared a capability but has no handler answers -32601 (basic/index Responses)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make({ capabilities: { sampling: {} } })
      const result = yield* client.callTool("ask")
      expect(result.isError).toBe(true)
      expect(textOf(result)).toBe("ClientError: Method not found: sampling/createMessage")
    }).pipe(Effect.provide(serverLayer)))

  it.scopedLive("a server-to-client request that times out fails with RequestTimeout and sends notifications/cancelled, which stops the client's handler (basic/lifecycle Timeouts)", () =>
    Effect.gen(function*() {
      const interrupted = yield* Deferred.make<void>()
      const client = yield* TestClient.make({
        handlers: { sampling: () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))) }
      })
      const notifications = yield* client.subscribeNotifications
      const result = yield* client.callTool("ask_quickly")
      expect(result).toEqual({ content: [{ type: "text", text: "RequestTimeout: sampling/createMessage got no response within 30 ms" }], isError: true })
      yield* Deferred.await(interrupted)
      const cancelled = (yield* Queue.takeAll(notifications)).pipe((all) => [...all].find((n) => n.method === "notifications/cancelled"))
      expectSpec("CancelledNotification", cancelled)
      expect(cancelled?.params).toMatchObject({ reason: "timeout" })
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("elicitation/create in form mode sends the message and a flat requestedSchema, and the tool gets the user's answer (client/elicitation Form Mode)", () =>
    Effect.gen(function*() {
      const received: Array<McpSchema.ElicitRequestParams> = []
      const client = yield* TestClient.make({
        handlers: {
          elicitation: (params) => Effect.sync(() => received.push(params)).pipe(Effect.as({ action: "accept" as const, content: { name: "Ada", age: 36 } }))
        }
      })
      const result = yield* client.callTool("form")
      expect(JSON.parse(textOf(result))).toEqual({ action: "accept", content: { name: "Ada", age: 36 } })
      expectSpec("ElicitRequestFormParams", received[0])
      expect(received[0]).toMatchObject({ mode: "form", message: "What is your name?", requestedSchema: { required: ["name"] } })
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("elicitation/create in URL mode sends url and elicitationId to a client that declared elicitation.url (client/elicitation URL Mode)", () =>
    Effect.gen(function*() {
      const received: Array<McpSchema.ElicitRequestParams> = []
      const client = yield* TestClient.make({
        handlers: { elicitation: (params) => Effect.sync(() => received.push(params)).pipe(Effect.as({ action: "accept" as const })) }
      })
      const result = yield* client.callTool("url")
      expect(JSON.parse(textOf(result))).toEqual({ action: "accept" })
      expectSpec("ElicitRequestURLParams", received[0])
      expect(received[0]).toEqual({ mode: "url", message: "Please authorize", url: "https://example.com/authorize?x=1", elicitationId: "e-1" })
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("URL mode needs elicitation.url: a client declaring elicitation: {} supports form mode only (client/elicitation Capabilities)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make({
        capabilities: { elicitation: {} },
        handlers: { elicitation: () => Effect.succeed({ action: "decline" as const }) }
      })
      const urlResult = yield* client.callTool("url")
      expect(textOf(urlResult)).toBe("ClientCapabilityMissing: The client did not declare the \"elicitation.url\" capability")
      const formResult = yield* client.callTool("form")
      expect(JSON.parse(textOf(formResult))).toEqual({ action: "decline" })
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("without the elicitation capability the tool fails with ClientCapabilityMissing (client/elicitation Capabilities)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make()
      expect(textOf(yield* client.callTool("form"))).toBe("ClientCapabilityMissing: The client did not declare the \"elicitation.form\" capability")
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("roots/list returns the client's roots (client/roots Listing Roots)", () =>
    Effect.gen(function*() {
      const listed: McpSchema.ListRootsResult = { roots: [{ uri: "file:///home/ada/project", name: "project" }] }
      expectSpec("ListRootsResult", listed)
      const client = yield* TestClient.make({ handlers: { roots: () => Effect.succeed(listed) } })
      expect(JSON.parse(textOf(yield* client.callTool("roots")))).toEqual(listed)
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("without the roots capability the tool fails with ClientCapabilityMissing (client/roots Capabilities)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make()
      expect(textOf(yield* client.callTool("roots"))).toBe("ClientCapabilityMissing: The client did not declare the \"roots\" capability")
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("notifications/roots/list_changed from the client reaches the server as a RootsListChanged event (client/roots Root List Changes)", () =>
    Effect.gen(function*() {
      const events = yield* McpServer.subscribe
      const client = yield* TestClient.make({ handlers: { roots: () => Effect.succeed({ roots: [] }) } })
      yield* client.sendRootsListChanged
      const tags: Array<string> = []
      while (tags.at(-1) !== "RootsListChanged") tags.push((yield* Queue.take(events))._tag)
      expect(tags).toEqual(["SessionCreated", "Initialized", "RootsListChanged"])
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("the client answers the server's ping, and -32601 for a method it does not know (basic/utilities/ping, basic/index Responses)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make()
      const answer = JSON.parse(textOf(yield* client.callTool("custom")))
      expect(answer.ping).toEqual({ _id: "Either", _tag: "Right", right: {} })
      expect(answer.unknown).toMatchObject({ _tag: "Left", left: { _tag: "ClientError", code: -32601 } })
    }).pipe(Effect.provide(serverLayer)))
})
