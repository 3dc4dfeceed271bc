import { describe, expect, it } from "@effect/vitest"
import { McpServer, Plugin, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import * as fc from "fast-check"
import { Context, Effect, Exit, Layer, Ref, Schema } from "effect"

class Store extends Context.Tag("test/Store")<Store, { readonly get: (key: string) => string }>() {}
class Log extends Context.Tag("test/Log")<Log, Ref.Ref<ReadonlyArray<string>>>() {}

const LogLive = Layer.effect(Log, Ref.make<ReadonlyArray<string>>([]))
const note = (line: string) => Effect.flatMap(Log, (log) => Ref.update(log, (lines) => [...lines, line]))

/** A plugin that records its start and stop in `Log`. */
const recorded = (name: string, dependsOn: ReadonlyArray<string> = []) =>
  Plugin.make({ name, version: "1.0.0", dependsOn, start: note(`start ${name}`), stop: note(`stop ${name}`) })

const names = (plugins: ReadonlyArray<Plugin.Any>) => plugins.map((plugin) => plugin.name)

const failure = <A>(exit: Exit.Exit<A, Plugin.PluginError>) => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error === undefined) throw new Error(`expected a PluginError, got ${String(exit.cause)}`)
  return error
}

describe("Plugin.order", () => {
  it.effect("puts each plugin after its dependencies and keeps the given order otherwise", () =>
    Effect.gen(function*() {
      const ordered = yield* Plugin.order([recorded("api", ["db", "cache"]), recorded("metrics"), recorded("cache", ["db"]), recorded("db")])
      expect(names(ordered)).toEqual(["db", "cache", "api", "metrics"])
    }))

  it.effect("a missing dependency is one line naming both plugins", () =>
    Effect.gen(function*() {
      const error = failure(yield* Effect.exit(Plugin.order([recorded("db"), recorded("api", ["db", "cache"])])))
      expect(error.reason).toBe("missing")
      expect(error.message).toBe(`plugin "api" depends on "cache", which is not loaded; load a plugin named "cache" too`)
    }))

  it.effect("a cycle is one line naming the plugins around it, in order", () =>
    Effect.gen(function*() {
      const error = failure(yield* Effect.exit(Plugin.order([recorded("a", ["b"]), recorded("b", ["c"]), recorded("c", ["a"]), recorded("d")])))
      expect(error.reason).toBe("cycle")
      expect(error.message).toBe(`plugins depend on each other in a cycle: "a" -> "b" -> "c" -> "a"`)
      expect(error.message).not.toContain("\n")
    }))

  it.effect("two plugins with one name are refused, naming where each comes from", () =>
    Effect.gen(function*() {
      const error = failure(
        yield* Effect.exit(Plugin.order([recorded("db"), Plugin.make({ name: "db", version: "2.0.0" })], (plugin) => `"${plugin.name}" ${plugin.version}`))
      )
      expect(error.reason).toBe("duplicate")
      expect(error.message).toBe(`two plugins are named "db": "db" 1.0.0 and "db" 2.0.0; rename one`)
    }))

  it("make refuses a plugin that depends on itself, an empty name or no version", () => {
    expect(() => recorded("loop", ["loop"])).toThrow(`Plugin.make: plugin "loop" depends on itself`)
    expect(() => Plugin.make({ name: "", version: "1" })).toThrow(/the name must be a non-empty word/)
    expect(() => Plugin.make({ name: "x", version: " " })).toThrow(`Plugin.make: plugin "x" needs a version, e.g. "1.0.0"`)
  })

  it("orders every acyclic graph so each plugin comes after its dependencies (property)", () => {
    // A random DAG: plugin i may depend only on plugins with a smaller index, then shuffled.
    const dag = fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc.tuple(
        fc.tuple(...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => `p${j}`)))),
        fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n })
      )
    )
    fc.assert(fc.property(dag, ([deps, permutation]) => {
      const plugins = permutation.map((i) => recorded(`p${i}`, deps[i]))
      const ordered = Effect.runSync(Plugin.order(plugins))
      expect(ordered.length).toBe(plugins.length)
      const position = new Map(ordered.map((plugin, i) => [plugin.name, i]))
      for (const plugin of ordered) {
        for (const dependency of plugin.dependsOn) expect(position.get(dependency)!).toBeLessThan(position.get(plugin.name)!)
      }
    }))
  })
})

const store = Plugin.make({ name: "store", version: "2.1.0", layer: Layer.succeed(Store, { get: (key: string) => `value of ${key}` }) })
const lookup = Tool.make("lookup", {
  input: Schema.Struct({ key: Schema.String }),
  handler: ({ key }) => Effect.map(Store, (s) => s.get(key))
})
const api = Plugin.make({ name: "api", version: "1.0.0", dependsOn: ["store"], layer: McpServer.register(lookup) })

describe("Plugin.layer", () => {
  it.effect("starts plugins in dependency order and stops them in reverse", () =>
    Effect.gen(function*() {
      const log = yield* Log
      yield* Effect.scoped(Layer.build(Plugin.layer([recorded("api", ["db"]), recorded("db"), recorded("ui", ["api"])])))
      expect(yield* Ref.get(log)).toEqual(["start db", "start api", "start ui", "stop ui", "stop api", "stop db"])
    }).pipe(Effect.provide(Layer.merge(LogLive, McpServer.layer({ name: "t", version: "1" })))))

  it.effect("a plugin sees the services of its dependencies, and its tools are served", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.callTool("lookup", { key: "k" })
      expect(result.content).toEqual([{ type: "text", text: "value of k" }])
    }).pipe(
      Effect.provide(
        TestClient.layer().pipe(
          // "api" is given first: the order comes from its dependency on "store".
          Layer.provideMerge(Plugin.layer([api, store])),
          Layer.provideMerge(McpServer.layer({ name: "t", version: "1" }))
        )
      )
    ))

  it.effect("a plugin does not see the services of a plugin it does not depend on", () =>
    Effect.gen(function*() {
      const reader = Plugin.make({ name: "reader", version: "1", start: Effect.asVoid(Store) as Effect.Effect<void> })
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(Plugin.layer([
        Plugin.make({ name: "store", version: "1", layer: Layer.succeed(Store, { get: () => "" }) }),
        reader
      ]))))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(failure(exit).message).toMatch(/^plugin "reader" failed to start: Service not found: test\/Store/)
    }).pipe(Effect.provide(McpServer.layer({ name: "t", version: "1" }))))

  it.effect("a start that fails stops the plugins already started and names the plugin", () =>
    Effect.gen(function*() {
      const log = yield* Log
      const broken = Plugin.make({
        name: "broken",
        version: "0.1.0",
        dependsOn: ["db"],
        start: Effect.fail(new Error("cannot reach the queue\nat line two")),
        stop: note("stop broken")
      })
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(Plugin.layer([recorded("db"), broken, recorded("late", ["broken"])]))))
      const error = failure(exit)
      expect(error.reason).toBe("start")
      expect(error.plugin).toBe("broken")
      expect(error.message).toBe(`plugin "broken" failed to start: cannot reach the queue`)
      expect(yield* Ref.get(log)).toEqual(["start db", "stop db"])
    }).pipe(Effect.provide(Layer.merge(LogLive, McpServer.layer({ name: "t", version: "1" })))))

  it.effect("a failing stop is logged and the other plugins still stop", () =>
    Effect.gen(function*() {
      const log = yield* Log
      const noisy = Plugin.make({ name: "noisy", version: "1", dependsOn: ["db"], stop: Effect.fail("disk full") })
      yield* Effect.scoped(Layer.build(Plugin.layer([recorded("db"), noisy])))
      expect(yield* Ref.get(log)).toEqual(["start db", "stop db"])
    }).pipe(Effect.provide(Layer.merge(LogLive, McpServer.layer({ name: "t", version: "1" })))))

  it.effect("a missing dependency fails before any plugin starts", () =>
    Effect.gen(function*() {
      const log = yield* Log
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(Plugin.layer([recorded("db"), recorded("api", ["auth"])]))))
      expect(failure(exit).reason).toBe("missing")
      expect(yield* Ref.get(log)).toEqual([])
    }).pipe(Effect.provide(Layer.merge(LogLive, McpServer.layer({ name: "t", version: "1" })))))
})
