import { describe, expect, it } from "@effect/vitest"
import { McpServer, Resource } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Queue } from "effect"
import { expectSpec } from "./support/spec.js"

let version = 0
const counter = Resource.make({ uri: "file:///counter", name: "counter", read: () => Effect.sync(() => Resource.text(String(version))) })

const TestLayer = TestClient.layerWith({ name: "subscriptions", version: "1" }, counter)

describe("Subscriptions (spec server/resources \"Subscriptions\")", () => {
  it.scoped("the server declares resources.subscribe (Capabilities)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(client.serverCapabilities.resources).toEqual({ subscribe: true, listChanged: true })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a subscribed client gets notifications/resources/updated with the uri, and reads the new contents", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const notifications = yield* client.subscribeNotifications
      const ok = yield* client.request("resources/subscribe", { uri: "file:///counter" })
      expectSpec("EmptyResult", ok)
      version = 1
      yield* McpServer.notifyResourceUpdated("file:///counter")
      const updated = yield* Queue.take(notifications)
      expectSpec("ResourceUpdatedNotification", updated)
      expect(updated).toEqual({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "file:///counter" } })
      expect((yield* client.readResource("file:///counter")).contents).toEqual([{ uri: "file:///counter", text: "1" }])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("after resources/unsubscribe, and for other URIs, nothing is sent", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const notifications = yield* client.subscribeNotifications
      yield* client.subscribe("file:///counter")
      yield* McpServer.notifyResourceUpdated("file:///other")
      yield* client.unsubscribe("file:///counter")
      yield* McpServer.notifyResourceUpdated("file:///counter")
      yield* client.ping()
      expect(yield* Queue.takeAll(notifications)).toHaveLength(0)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("only the sessions that subscribed are told", () =>
    Effect.gen(function*() {
      const subscriber = yield* TestClient.TestClient
      const bystander = yield* TestClient.make()
      const forSubscriber = yield* subscriber.subscribeNotifications
      const forBystander = yield* bystander.subscribeNotifications
      yield* subscriber.subscribe("file:///counter")
      yield* McpServer.notifyResourceUpdated("file:///counter")
      yield* Effect.all([subscriber.ping(), bystander.ping()])
      expect(yield* Queue.takeAll(forSubscriber)).toHaveLength(1)
      expect(yield* Queue.takeAll(forBystander)).toHaveLength(0)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("subscribing without a uri is -32602", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* Effect.flip(client.request("resources/subscribe", {}))).code).toBe(-32602)
    }).pipe(Effect.provide(TestLayer)))
})
