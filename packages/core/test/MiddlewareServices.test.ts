/**
 * Middleware that provides services (issue 7 item 1): what a middleware
 * provides is discharged from the requirements of the primitives behind it,
 * checked by the compiler (the `@ts-expect-error` lines fail the typecheck
 * if the error they expect goes away), and at run time the handler sees the
 * middleware's value, never a Layer's placeholder.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpError, McpServer, Middleware, Prompt, RequestContext, Resource, ResourceTemplate, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Context, Effect, Exit, Layer, Schema, Scope } from "effect"

class Principal extends Context.Tag("test/Principal")<Principal, { readonly subject: string; readonly scopes: ReadonlyArray<string> }>() {}

class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", { reason: Schema.String }) {
  override get message() {
    return this.reason
  }
}

/** Authenticates from `_meta["example.com/token"]`: "alice" and "bob" are known; `initialize` is anonymous. */
const auth = Middleware.provide(Principal, {
  name: "auth",
  failure: Unauthorized,
  get: (request) => {
    if (request.method === "initialize") return Effect.succeed({ subject: "anonymous", scopes: [] })
    const meta = request.params._meta as { readonly "example.com/token"?: unknown } | undefined
    const token = meta?.["example.com/token"]
    return token === "alice" || token === "bob"
      ? Effect.succeed({ subject: token, scopes: token === "alice" ? ["admin"] : [] })
      : Effect.fail(new Unauthorized({ reason: token === undefined ? "no token" : "unknown token" }))
  }
})

const whoami = Tool.make("whoami", {
  handler: () => Effect.map(Principal, (p) => `you are ${p.subject}`)
})

const asToken = (token: string) => ({ _meta: { "example.com/token": token } })

/** `tools/call` with `_meta` (the client's `callTool` sends none). */
const call = (client: TestClient.TestClient["Type"], name: string, extra: Record<string, unknown> = {}) =>
  client.request("tools/call", { name, arguments: {}, ...extra })

describe("Middleware that provides services: types", () => {
  it("a tool needing Principal does not compile without a middleware or Layer providing it", () => {
    const alone = McpServer.register(whoami)
    const needs: Layer.Layer<never, never, McpServer.McpServer | Principal> = alone
    // @ts-expect-error Principal is missing.
    const bare: Layer.Layer<never, never, McpServer.McpServer> = alone
    const program = Effect.flatMap(TestClient.TestClient, (client) => client.callTool("whoami"))
    // @ts-expect-error Principal is missing: Effect.runPromise accepts only effects that need nothing.
    const run = () => Effect.runPromise(Effect.scoped(Effect.provide(program, TestClient.layerWith({ name: "t", version: "1" }, whoami))))
    expect([typeof needs, typeof bare, typeof run]).toEqual(["object", "object", "function"])
  })

  it("it compiles with an auth middleware registered beside it, as a Layer given to it, or on the tool", () => {
    const together: Layer.Layer<Principal, never, McpServer.McpServer> = McpServer.register(auth, whoami)
    const separate: Layer.Layer<never, never, McpServer.McpServer> = McpServer.register(whoami).pipe(Layer.provide(McpServer.register(auth)))
    const perTool = Tool.make("whoami_here", { middleware: [auth], handler: () => Effect.map(Principal, (p) => p.subject) })
    const typed: Tool.Tool<"whoami_here", never> = perTool
    const perPrompt = Prompt.make({ name: "p", middleware: [auth], render: () => Effect.map(Principal, (p) => [Prompt.user(p.subject)]) })
    const typedPrompt: Prompt.Prompt<"p", never> = perPrompt
    const perResource = Resource.make({ uri: "x://me", name: "me", middleware: [auth], read: () => Effect.map(Principal, (p) => Resource.text(p.subject)) })
    const typedResource: Resource.Resource<never> = perResource
    const perTemplate = ResourceTemplate.make({
      uriTemplate: "x://users/{id}",
      name: "user",
      params: Schema.Struct({ id: Schema.String }),
      middleware: [auth],
      read: ({ id }) => Effect.map(Principal, (p) => Resource.text(`${p.subject} reads ${id}`))
    })
    const typedTemplate: ResourceTemplate.ResourceTemplate<never> = perTemplate
    // Without the middleware the same primitives need Principal.
    // @ts-expect-error Principal is missing.
    const untyped: Tool.Tool<"whoami", never> = whoami
    expect([together, separate, typed, typedPrompt, typedResource, typedTemplate, untyped].every((x) => typeof x === "object")).toBe(true)
  })

  it("a middleware that says it provides a service must provide it to next, and fail only as declared", () => {
    // Returning `next` unprovided makes the middleware itself need Principal, which nothing discharges.
    const forgets = Middleware.make({ name: "forgets", provides: [Principal], apply: (_request, next) => next })
    // @ts-expect-error it needs Principal.
    const provides: Middleware.Middleware<Principal, never, never> = forgets
    // @ts-expect-error registered beside a tool that needs Principal, Principal is still needed.
    const registered: Layer.Layer<Principal, never, McpServer.McpServer> = McpServer.register(forgets, whoami)
    const undeclared = Middleware.make({
      name: "undeclared",
      // @ts-expect-error a string is not a protocol error and no failure is declared.
      apply: (_request, next) => Effect.zipRight(Effect.fail("nope"), next)
    })
    const declared = Middleware.make({
      name: "declared",
      failure: Unauthorized,
      apply: (_request, next) => Effect.zipRight(Effect.fail(new Unauthorized({ reason: "x" })), next)
    })
    const typed: Middleware.Middleware<never, Unauthorized, never> = declared
    expect([forgets.name, provides.name, typeof registered, undeclared.name, typed.name]).toEqual(["forgets", "forgets", "object", "undeclared", "declared"])
  })
})

describe("Middleware that provides services: run time", () => {
  it.scoped("the handler sees the middleware's value, registered beside it", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* call(client, "whoami", asToken("alice"))).content).toEqual([{ type: "text", text: "you are alice" }])
      expect((yield* call(client, "whoami", asToken("bob"))).content).toEqual([{ type: "text", text: "you are bob" }])
    }).pipe(Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, auth, whoami))))

  it.scoped("the middleware's value wins over a Layer's: the placeholder of a separate registration, and a real Layer", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* call(client, "whoami", asToken("bob"))).content).toEqual([{ type: "text", text: "you are bob" }])
    }).pipe(
      Effect.provide(
        TestClient.layer().pipe(
          Layer.provideMerge(
            McpServer.register(whoami).pipe(
              Layer.provide(McpServer.register(auth)),
              // A Layer that also provides a Principal: the handler still sees the middleware's.
              Layer.provide(Layer.succeed(Principal, { subject: "from a Layer", scopes: [] })),
              Layer.provideMerge(McpServer.layer({ name: "t", version: "1" }))
            )
          )
        )
      )
    ))

  it.scoped("a declared failure is answered -32000 with its readable text and encoded value; the handler never runs", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(call(client, "whoami", asToken("mallory")))
      expect(error).toMatchObject({
        code: -32000,
        message: "Unauthorized: unknown token",
        data: { _tag: "Unauthorized", reason: "unknown token" }
      })
      // Global middleware wraps every request, lists too.
      const list = yield* Effect.flip(client.listTools())
      expect(list).toMatchObject({ code: -32000, data: { reason: "no token" } })
    }).pipe(Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, auth, whoami))))

  it.scoped("per-primitive middleware provides to its tool, prompt, resource and template only", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* call(client, "mine", asToken("alice"))).content).toEqual([{ type: "text", text: "alice" }])
      expect(yield* Effect.flip(call(client, "mine"))).toMatchObject({ code: -32000 })
      expect((yield* client.callTool("open")).content).toEqual([{ type: "text", text: "open to all" }])
      const prompt = yield* client.request("prompts/get", { name: "hello", ...asToken("bob") })
      expect(prompt).toMatchObject({ messages: [{ role: "user", content: { type: "text", text: "hello bob" } }] })
      const resource = yield* client.request("resources/read", { uri: "x://me", ...asToken("alice") })
      expect(resource).toMatchObject({ contents: [{ uri: "x://me", text: "alice" }] })
      const templated = yield* client.request("resources/read", { uri: "x://users/7", ...asToken("bob") })
      expect(templated).toMatchObject({ contents: [{ uri: "x://users/7", text: "bob reads 7" }] })
      expect(yield* Effect.flip(client.request("resources/read", { uri: "x://users/7" }))).toMatchObject({ code: -32000 })
    }).pipe(Effect.provide(TestClient.layerWith(
      { name: "t", version: "1" },
      Tool.make("mine", { middleware: [auth], handler: () => Effect.map(Principal, (p) => p.subject) }),
      Tool.make("open", { handler: () => Effect.succeed("open to all") }),
      Prompt.make({ name: "hello", middleware: [auth], render: () => Effect.map(Principal, (p) => [Prompt.user(`hello ${p.subject}`)]) }),
      Resource.make({ uri: "x://me", name: "me", middleware: [auth], read: () => Effect.map(Principal, (p) => Resource.text(p.subject)) }),
      ResourceTemplate.make({
        uriTemplate: "x://users/{id}",
        name: "user",
        params: Schema.Struct({ id: Schema.String }),
        middleware: [auth],
        read: ({ id }) => Effect.map(Principal, (p) => Resource.text(`${p.subject} reads ${id}`))
      })
    ))))

  it.scoped("global middleware sees the full RequestContext, in its context too", () => {
    const seen: Array<string> = []
    const observe = Middleware.make("observe", (request, next) =>
      Effect.flatMap(RequestContext.RequestContext, (context) => {
        seen.push(`${request.method} ${String(context.requestId === request.id)} ${String(context.progressToken)} ${request.primitive?.name}`)
        return next
      }))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* call(client, "open", { _meta: { progressToken: "p1" } })
      expect(seen).toContain("tools/call true p1 open")
    }).pipe(Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, observe, Tool.make("open", { handler: () => Effect.succeed("ok") }))))
  })

  it.live("global order is the order given, however often the Layers are built", () => {
    const trace: Array<string> = []
    const step = (name: string) => Middleware.make(name, (_request, next) => Effect.sync(() => trace.push(name)).pipe(Effect.zipRight(next)))
    const [a, b, c, d] = ["a", "b", "c", "d"].map(step)
    const tool = Tool.make("t", { handler: () => Effect.sync(() => trace.push("handler")).pipe(Effect.as("ok")) })
    return Effect.gen(function*() {
      for (let build = 0; build < 50; build++) {
        trace.length = 0
        yield* Effect.scoped(Effect.gen(function*() {
          const client = yield* TestClient.TestClient
          trace.length = 0
          yield* client.callTool("t")
        }).pipe(Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, a!, b!, tool, c!, d!))))
        expect(trace).toEqual(["a", "b", "c", "d", "handler"])
      }
    })
  })

  it.live("middleware registered by a Layer is removed when that Layer's scope closes", () =>
    Effect.gen(function*() {
      const stamp = Middleware.make("stamp", (_request, next) => Effect.map(next, (result) => ({ ...result, _meta: { stamped: true } })))
      const client = yield* TestClient.TestClient
      const server = yield* McpServer.McpServer
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(McpServer.register(stamp), scope).pipe(Effect.provideService(McpServer.McpServer, server))
      expect((yield* client.callTool("open"))._meta).toEqual({ stamped: true })
      yield* Scope.close(scope, Exit.void)
      expect((yield* client.callTool("open"))._meta).toBeUndefined()
    }).pipe(
      Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, Tool.make("open", { handler: () => Effect.succeed("ok") }))),
      Effect.scoped
    ))

  it.scoped("a protocol error from a middleware keeps its code", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(yield* Effect.flip(client.callTool("open"))).toMatchObject({ code: -32602, message: "refused" })
    }).pipe(Effect.provide(TestClient.layerWith(
      { name: "t", version: "1" },
      Middleware.make("refuse", (request, next) =>
        request.method === "tools/call" ? Effect.fail(new McpError.InvalidParams({ message: "refused" })) : next),
      Tool.make("open", { handler: () => Effect.succeed("ok") })
    ))))
})
