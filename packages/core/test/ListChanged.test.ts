import { describe, expect, it } from "@effect/vitest"
import { McpServer, Prompt, Resource, ResourceTemplate, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Queue, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

const echo = Tool.make("echo", { input: Schema.Struct({ text: Schema.String }), handler: ({ text }) => Effect.succeed(text) })
const late = Tool.make("late", { handler: () => Effect.succeed("late") })
const page = Resource.make({ uri: "file:///page", name: "page", read: () => Effect.succeed(Resource.text("page")) })
const template = ResourceTemplate.make({
  uriTemplate: "notes://{id}",
  name: "note",
  params: Schema.Struct({ id: Schema.String }),
  read: ({ id }) => Effect.succeed(Resource.text(id))
})
const hello = Prompt.make({ name: "hello", render: () => Effect.succeed([Prompt.user("hello")]) })

const TestLayer = TestClient.layerWith({ name: "list-changed", version: "1", capabilities: { resources: true, prompts: true } }, echo)

/** Runs `change` and returns the notification methods it caused. */
const methodsAfter = <E, R>(change: Effect.Effect<unknown, E, R>) =>
  Effect.gen(function*() {
    const client = yield* TestClient.TestClient
    const notifications = yield* client.subscribeNotifications
    yield* change
    // A round trip: everything the change sent arrived before the ping's answer.
    yield* client.ping()
    const all = [...(yield* Queue.takeAll(notifications))]
    for (const n of all) expectSpec("ServerNotification", n)
    return all.map((n) => n.method)
  })

describe("List changed notifications (spec server/tools, server/resources, server/prompts \"List Changed Notification\")", () => {
  it.scoped("the server declares listChanged for tools, resources and prompts (Capabilities)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(client.serverCapabilities.tools).toEqual({ listChanged: true })
      expect(client.serverCapabilities.resources).toMatchObject({ listChanged: true })
      expect(client.serverCapabilities.prompts).toEqual({ listChanged: true })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("adding and removing a tool at runtime sends notifications/tools/list_changed and changes tools/list", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(yield* methodsAfter(McpServer.add(late))).toEqual(["notifications/tools/list_changed"])
      expect((yield* client.listAllTools()).map((t) => t.name)).toEqual(["echo", "late"])
      expect(yield* methodsAfter(McpServer.removeTool("late"))).toEqual(["notifications/tools/list_changed"])
      expect((yield* client.listAllTools()).map((t) => t.name)).toEqual(["echo"])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("removing a tool that is not there sends nothing", () =>
    Effect.gen(function*() {
      let removed = true
      expect(yield* methodsAfter(Effect.map(McpServer.removeTool("ghost"), (r) => (removed = r)))).toEqual([])
      expect(removed).toBe(false)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("adding or removing a resource or template sends notifications/resources/list_changed", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(yield* methodsAfter(McpServer.add(page))).toEqual(["notifications/resources/list_changed"])
      expect(yield* methodsAfter(McpServer.add(template))).toEqual(["notifications/resources/list_changed"])
      expect((yield* client.listAllResources()).map((r) => r.uri)).toEqual(["file:///page"])
      expect((yield* client.listAllResourceTemplates()).map((t) => t.uriTemplate)).toEqual(["notes://{id}"])
      expect(yield* methodsAfter(McpServer.removeResource("file:///page"))).toEqual(["notifications/resources/list_changed"])
      expect(yield* client.listAllResources()).toEqual([])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("adding or removing a prompt sends notifications/prompts/list_changed", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(yield* methodsAfter(McpServer.add(hello))).toEqual(["notifications/prompts/list_changed"])
      expect((yield* client.listAllPrompts()).map((p) => p.name)).toEqual(["hello"])
      expect(yield* methodsAfter(McpServer.removePrompt("hello"))).toEqual(["notifications/prompts/list_changed"])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("every connected session is told", () =>
    Effect.gen(function*() {
      const other = yield* TestClient.make()
      const notifications = yield* other.subscribeNotifications
      yield* McpServer.add(late)
      yield* other.ping()
      expect([...(yield* Queue.takeAll(notifications))].map((n) => n.method)).toEqual(["notifications/tools/list_changed"])
    }).pipe(Effect.provide(TestLayer)))
})
