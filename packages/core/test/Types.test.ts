/**
 * Compile-time guarantees, checked by `tsc` (the `@ts-expect-error` lines
 * fail the typecheck if the error they expect goes away). At run time these
 * tests only build the values.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpError, McpServer, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Context, Effect, Layer, Schema } from "effect"

class Database extends Context.Tag("test/Database")<Database, { readonly lookup: (id: string) => Effect.Effect<string> }>() {}

const lookup = Tool.make("lookup", {
  input: Schema.Struct({ id: Schema.String }),
  handler: ({ id }) => Effect.flatMap(Database, (db) => db.lookup(id))
})

const DatabaseLive = Layer.succeed(Database, { lookup: (id) => Effect.succeed(`row ${id}`) })

const App = McpServer.register(lookup).pipe(Layer.provideMerge(McpServer.layer({ name: "typed", version: "1" })))

describe("Types: a missing service is a compile error, not a runtime one", () => {
  it("an app whose tool needs a service it was not given does not type-check when run", () => {
    // The Layer's requirements carry the handler's: Database.
    const requirements: Layer.Layer<McpServer.McpServer, never, Database> = App
    // @ts-expect-error Database is missing: Effect.runPromise accepts only effects that need nothing.
    const run = () => Effect.runPromise(Layer.launch(App))
    const provided = () => Effect.runPromise(Layer.launch(App.pipe(Layer.provide(DatabaseLive))))
    expect([typeof requirements, typeof run, typeof provided]).toEqual(["object", "function", "function"])
  })

  it("a test client over a server whose tool needs a service must be given it", () => {
    const program = Effect.flatMap(TestClient.TestClient, (client) => client.callTool("lookup", { id: "1" }))
    // @ts-expect-error Database is missing.
    const run = () => Effect.runPromise(Effect.scoped(Effect.provide(program, TestClient.layerWith({ name: "typed", version: "1" }, lookup))))
    expect(typeof run).toBe("function")
  })

  it.scoped("given the service, the same test runs", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* client.callTool("lookup", { id: "7" })).content).toEqual([{ type: "text", text: "row 7" }])
    }).pipe(Effect.provide(TestClient.layerWith({ name: "typed", version: "1" }, lookup).pipe(Layer.provide(DatabaseLive)))))
})

class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { path: Schema.String }) {}
class Timeout extends Schema.TaggedError<Timeout>()("Timeout", { millis: Schema.Number }) {}

describe("Types: a tool's declared failure types its handler's error (spec server/tools \"Error Handling\")", () => {
  it("a handler failing with the declared failure, or a protocol error, compiles", () => {
    const ok = Tool.make("ok", {
      input: Schema.Struct({ path: Schema.String }),
      failure: NotFound,
      handler: ({ path }) => path === "" ? Effect.fail(new McpError.InvalidParams({ message: "empty" })) : Effect.fail(new NotFound({ path }))
    })
    const withOutput = Tool.make("with_output", {
      output: Schema.Struct({ size: Schema.Number }),
      failure: Schema.Union(NotFound, Timeout),
      handler: () => Effect.fail(new Timeout({ millis: 5 }))
    })
    expect([ok.name, withOutput.name]).toEqual(["ok", "with_output"])
  })

  it("a handler whose error is not the declared failure does not compile", () => {
    const wrong = Tool.make("wrong", {
      failure: NotFound,
      // @ts-expect-error Timeout is not the declared failure (NotFound).
      handler: () => Effect.fail(new Timeout({ millis: 5 }))
    })
    const wrongWithOutput = Tool.make("wrong_with_output", {
      output: Schema.Struct({ size: Schema.Number }),
      failure: NotFound,
      // @ts-expect-error a string is not the declared failure.
      handler: () => Effect.fail("oops")
    })
    // Without a declared failure, anything goes (and is described, see McpError.describe).
    const free = Tool.make("free", { handler: () => Effect.fail(new Timeout({ millis: 5 })) })
    expect([wrong.name, wrongWithOutput.name, free.name]).toEqual(["wrong", "wrong_with_output", "free"])
  })
})
