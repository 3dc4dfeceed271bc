import { describe, expect, it } from "@effect/vitest"
import { McpServer, Middleware, RequestContext, Resource, ResourceTemplate } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Chunk, Context, Effect, Exit, Fiber, Layer, Option, Queue, Ref, Schema, Scope, Stream } from "effect"
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

describe("Subscriptions to resources hidden from the caller (Middleware.visible; spec server/resources \"Subscriptions\", \"Error Handling\")", () => {
  // Shown only to a client introducing itself as "admin".
  const adminOnly = Middleware.make({
    name: "admin-only",
    visible: (context) => Option.getOrUndefined(Context.getOption(context as Context.Context<RequestContext.RequestContext>, RequestContext.RequestContext))?.session.clientInfo?.name === "admin",
    apply: (_request, next) => next
  })
  const hidden = Resource.make({ uri: "file:///hidden", name: "hidden", middleware: [adminOnly], read: () => Effect.succeed(Resource.text("h")) })
  const secrets = ResourceTemplate.make({
    uriTemplate: "secret://{id}",
    name: "secrets",
    params: Schema.Struct({ id: Schema.String }),
    middleware: [adminOnly],
    read: ({ id }) => Effect.succeed(Resource.text(id))
  })
  const Server = TestClient.server({ name: "hidden-subscriptions", version: "1" }, counter, hidden, secrets)
  const admin = { name: "admin", version: "1" }

  it.scoped("2025-11-25: resources/subscribe to a hidden resource or template is -32002 Resource not found; a visible or unknown URI is accepted", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const refused = yield* Effect.flip(client.request("resources/subscribe", { uri: "file:///hidden" }))
      expect(refused).toMatchObject({ code: -32002 })
      expect((yield* Effect.flip(client.request("resources/subscribe", { uri: "secret://1" }))).code).toBe(-32002)
      yield* client.request("resources/subscribe", { uri: "file:///counter" })
      yield* client.request("resources/subscribe", { uri: "file:///not-yet" })
      const notifications = yield* client.subscribeNotifications
      yield* McpServer.notifyResourceUpdated("file:///hidden")
      yield* client.ping()
      expect(yield* Queue.takeAll(notifications)).toHaveLength(0)
      // The caller it is shown to subscribes as before.
      const allowed = yield* TestClient.make({ clientInfo: admin })
      const forAdmin = yield* allowed.subscribeNotifications
      yield* allowed.request("resources/subscribe", { uri: "file:///hidden" })
      yield* allowed.request("resources/subscribe", { uri: "secret://1" })
      yield* McpServer.notifyResourceUpdated("file:///hidden")
      yield* allowed.ping()
      expect(Chunk.toArray(yield* Queue.takeAll(forAdmin)).map((n) => n.params)).toEqual([{ uri: "file:///hidden" }])
    }).pipe(Effect.provide(TestClient.layer().pipe(Layer.provideMerge(Server)))))

  it.scoped("2026-07-28: subscriptions/listen acknowledges only the visible URIs (basic/patterns/subscriptions \"Acknowledgment\") and sends updates of those only", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make({ protocolVersion: "2026-07-28" })
      const asked = ["file:///hidden", "file:///counter", "secret://2", "file:///not-yet"]
      const subscription = yield* client.listen({ resourceSubscriptions: asked })
      expect(subscription.acknowledged).toEqual({ resourceSubscriptions: ["file:///counter", "file:///not-yet"] })
      const next = yield* Stream.runHead(subscription.notifications).pipe(Effect.fork)
      yield* McpServer.notifyResourceUpdated("file:///hidden")
      yield* McpServer.notifyResourceUpdated("file:///counter")
      const first = yield* Fiber.join(next)
      expect(first._tag === "Some" ? first.value.params : undefined).toMatchObject({ uri: "file:///counter" })
      const allowed = yield* TestClient.make({ protocolVersion: "2026-07-28", clientInfo: admin })
      expect((yield* allowed.listen({ resourceSubscriptions: asked })).acknowledged).toEqual({ resourceSubscriptions: asked })
    }).pipe(Effect.provide(Server)))
})

describe("McpServer.Options.maxSubscriptions: a bound on one client's subscriptions", () => {
  const Bounded = TestClient.server({ name: "bounded", version: "1", maxSubscriptions: 2 }, counter)

  it.scoped("2025-11-25: a session's subscription past the limit is refused with -32602 naming it; one held or freed again counts as before", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make()
      yield* client.subscribe("file:///a")
      yield* client.subscribe("file:///b")
      const refused = yield* Effect.flip(client.subscribe("file:///c"))
      expect(refused.code).toBe(-32602)
      expect(refused.message).toBe("Too many resource subscriptions: a session may be subscribed to at most 2 URIs")
      // Already held: not one more.
      yield* client.subscribe("file:///a")
      yield* client.unsubscribe("file:///b")
      yield* client.subscribe("file:///c")
      // Per session: another client has its own.
      const other = yield* TestClient.make()
      yield* other.subscribe("file:///d")
      yield* other.subscribe("file:///e")
    }).pipe(Effect.provide(Bounded)))

  it.scopedLive("2026-07-28: a subscriptions/listen stream asking for more URIs than the limit is refused with -32602 naming it (basic/patterns/subscriptions)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make({ protocolVersion: "2026-07-28" })
      const refused = yield* Effect.flip(client.listen({ resourceSubscriptions: ["file:///a", "file:///b", "file:///c"] }))
      expect(refused.code).toBe(-32602)
      expect(refused.message).toBe("Too many resource subscriptions: a subscriptions/listen stream may be subscribed to at most 2 URIs")
      // The same URI twice is one.
      const agreed = yield* client.listen({ resourceSubscriptions: ["file:///a", "file:///b", "file:///a"] })
      expect(agreed.acknowledged.resourceSubscriptions).toEqual(["file:///a", "file:///b", "file:///a"])
    }).pipe(Effect.provide(Bounded)))
})

describe("McpServer.followSubscriptions: the URIs some client is subscribed to", () => {
  const Server = TestClient.server({ name: "subscribed", version: "1" }, counter)
  /** Follows for the test's scope; each set told, sorted. */
  const follow = Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const told = yield* Ref.make<ReadonlyArray<ReadonlyArray<string>>>([])
    yield* server.followSubscriptions((uris) => Ref.update(told, (sets) => [...sets, [...uris].sort()]))
    // Told without waiting on unsubscribe: a ping to the same server lets that run first.
    return { told: Ref.get(told), last: Effect.map(Ref.get(told), (sets) => sets.at(-1)) }
  })

  it.scoped("2025-11-25: counted per session, once however often it subscribes; gone on unsubscribe or when the session ends", () =>
    Effect.gen(function*() {
      const { last, told } = yield* follow
      expect(yield* told).toEqual([[]])
      const scope = yield* Scope.make()
      const one = yield* TestClient.make().pipe(Scope.extend(scope))
      const two = yield* TestClient.make()
      yield* one.subscribe("file:///counter")
      // The follower was told before the answer.
      expect(yield* last).toEqual(["file:///counter"])
      yield* one.subscribe("file:///counter")
      yield* one.subscribe("file:///other")
      yield* two.subscribe("file:///counter")
      expect(yield* told).toEqual([[], ["file:///counter"], ["file:///counter", "file:///other"]])
      yield* one.unsubscribe("file:///counter")
      yield* Scope.close(scope, Exit.void)
      yield* Effect.yieldNow().pipe(Effect.repeatN(10))
      expect(yield* last).toEqual(["file:///counter"])
      yield* two.unsubscribe("file:///counter")
      yield* Effect.yieldNow().pipe(Effect.repeatN(10))
      expect(yield* last).toEqual([])
    }).pipe(Effect.provide(Server)))

  it.scoped("a follower that comes later is told the set as it is then (the set is kept without followers too)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.make()
      yield* client.subscribe("file:///counter")
      yield* client.subscribe("file:///a")
      yield* client.unsubscribe("file:///a")
      yield* Effect.yieldNow().pipe(Effect.repeatN(10))
      const { told } = yield* follow
      expect(yield* told).toEqual([["file:///counter"]])
    }).pipe(Effect.provide(Server)))

  it.scopedLive("2026-07-28: a subscriptions/listen stream's resourceSubscriptions while it lasts; acknowledged after the follower was told", () =>
    Effect.gen(function*() {
      const { last, told } = yield* follow
      const client = yield* TestClient.make({ protocolVersion: "2026-07-28" })
      const scope = yield* Scope.make()
      yield* client.listen({ resourceSubscriptions: ["file:///counter", "file:///x"] }).pipe(Scope.extend(scope))
      expect(yield* last).toEqual(["file:///counter", "file:///x"])
      yield* Scope.close(scope, Exit.void)
      yield* Effect.sleep("50 millis")
      expect(yield* told).toEqual([[], ["file:///counter", "file:///x"], []])
    }).pipe(Effect.provide(Server)))
})
