/**
 * Plugins: named, versioned pieces of a server that depend on each other.
 * A plugin is a Layer (what it registers on the server: tools, prompts,
 * resources, middleware; and services it offers to the plugins that depend
 * on it) with a name, a version, the names of the plugins it depends on,
 * and lifecycle hooks.
 *
 * `Plugin.layer(plugins)` orders the plugins by their dependencies (a
 * plugin after everything it depends on; otherwise in the order given),
 * builds each one's Layer with the services of its dependencies, runs its
 * `start` hook, and on shutdown runs the `stop` hooks in the reverse order
 * (a plugin stops before the plugins it depends on). A dependency that is
 * not loaded, two plugins with one name, or plugins that depend on each
 * other in a cycle fail before anything is built, with one line saying
 * which (`PluginError`).
 *
 * `emcee serve` loads plugins from a `plugins/` folder and from `plugins`
 * in its configuration.
 *
 * @example
 * import { Effect, Layer } from "effect"
 * import { McpServer, Plugin, Tool } from "@emcee/core"
 *
 * export default Plugin.make({
 *   name: "clock",
 *   version: "1.0.0",
 *   dependsOn: ["store"],
 *   layer: McpServer.register(Tool.make("now", { handler: () => Effect.sync(() => new Date().toISOString()) })),
 *   start: Effect.log("clock ready"),
 *   stop: Effect.log("clock stopping")
 * })
 *
 * @since 0.4.0
 */
import { Cause, Context, Data, Effect, Layer } from "effect"
import type { McpServer } from "./McpServer.js"

/** @internal */
export const TypeId: unique symbol = Symbol.for("@emcee/core/Plugin")

/** @internal */
export type TypeId = typeof TypeId

/**
 * A plugin. `ROut` is what its Layer offers to the plugins that depend on
 * it, `E` how it can fail to start, and `RIn` what it needs besides the
 * server: services of its dependencies, or of the app.
 */
export interface Plugin<in ROut = never, out E = never, out RIn = never> {
  readonly [TypeId]: TypeId
  /** Unique among the plugins of a server; what others name in `dependsOn`. */
  readonly name: string
  readonly version: string
  readonly description: string | undefined
  /** The names of the plugins this one needs, started before it and stopped after it. */
  readonly dependsOn: ReadonlyArray<string>
  /** The plugin's Layer with its `start` and `stop` hooks in it. */
  readonly layer: Layer.Layer<ROut, E, RIn | McpServer>
}

/** Any plugin, whatever its types (what a loader holds). */
export type Any = Plugin<never, unknown, unknown>

/** Options of `make`. */
export interface Options<ROut, E, RIn> {
  readonly name: string
  readonly version: string
  readonly description?: string
  readonly dependsOn?: ReadonlyArray<string>
  readonly layer?: Layer.Layer<ROut, E, RIn | McpServer>
  /** Runs once the plugin's Layer is built (so after the `start` of its dependencies). */
  readonly start?: Effect.Effect<void, E, ROut | RIn | McpServer>
  /** Runs at shutdown, before the `stop` of its dependencies. A failure is logged, never rethrown. */
  readonly stop?: Effect.Effect<void, unknown, ROut | RIn | McpServer>
}

/** Why plugins could not be put in order or started; `message` is one line. */
export class PluginError extends Data.TaggedError("PluginError")<{
  readonly reason: "invalid" | "duplicate" | "missing" | "cycle" | "start"
  /** The plugin at fault (the one whose dependency is missing, the one that failed). */
  readonly plugin: string
  readonly message: string
  readonly cause?: unknown
}> {}

const namePattern = /^[A-Za-z0-9@][A-Za-z0-9._/@-]*$/

/**
 * Makes a plugin. Throws when the name, version or a dependency name is
 * empty or contains spaces, or the plugin depends on itself: these are
 * mistakes in the code, found where the plugin is defined.
 */
export const make = <ROut = never, E = never, RIn = never>(options: Options<ROut, E, RIn>): Plugin<ROut, E, RIn> => {
  const problem = describeProblem(options.name, options.version, options.dependsOn ?? [])
  if (problem !== undefined) throw new Error(`Plugin.make: ${problem}`)
  const { start, stop } = options
  const base = options.layer ?? (Layer.empty as Layer.Layer<ROut>)
  // Only a plugin that started is stopped.
  const hooks = Layer.scopedDiscard(Effect.gen(function*() {
    if (start !== undefined) yield* start
    if (stop !== undefined) {
      yield* Effect.addFinalizer(() =>
        Effect.catchAllCause(stop, (cause) => Effect.logWarning(`plugin "${options.name}" failed to stop: ${firstLine(cause)}`))
      )
    }
  }))
  return {
    [TypeId]: TypeId,
    name: options.name,
    version: options.version,
    description: options.description,
    dependsOn: [...new Set(options.dependsOn ?? [])],
    layer: start === undefined && stop === undefined ? base : Layer.provideMerge(hooks, base)
  }
}

const describeProblem = (name: unknown, version: unknown, dependsOn: ReadonlyArray<unknown>): string | undefined => {
  if (typeof name !== "string" || !namePattern.test(name)) {
    return `the name must be a non-empty word (letters, digits, . _ - / @), got ${JSON.stringify(name)}`
  }
  if (typeof version !== "string" || version.trim() === "") return `plugin "${name}" needs a version, e.g. "1.0.0"`
  for (const dependency of dependsOn) {
    if (typeof dependency !== "string" || !namePattern.test(dependency)) {
      return `plugin "${name}" has an invalid dependency name ${JSON.stringify(dependency)}`
    }
    if (dependency === name) return `plugin "${name}" depends on itself`
  }
  return undefined
}

/** True for a value made with `make` (what loaders look for in a module's exports). */
export const isPlugin = (value: unknown): value is Any => typeof value === "object" && value !== null && TypeId in value

/**
 * Puts plugins in start order: each after the plugins it depends on, and
 * otherwise in the order given. Fails with a `PluginError` for two plugins
 * with one name, a dependency that is not among `plugins`, or a cycle (the
 * message names the plugins of the cycle in order). `describe` adds where a
 * plugin comes from to the messages (e.g. its file).
 */
export const order = <P extends Any>(
  plugins: ReadonlyArray<P>,
  describe: (plugin: P) => string = (plugin) => `"${plugin.name}"`
): Effect.Effect<ReadonlyArray<P>, PluginError> =>
  Effect.suspend(() => {
    const byName = new Map<string, P>()
    for (const plugin of plugins) {
      const problem = describeProblem(plugin.name, plugin.version, plugin.dependsOn)
      if (problem !== undefined) return Effect.fail(new PluginError({ reason: "invalid", plugin: String(plugin.name), message: `${describe(plugin)}: ${problem}` }))
      const previous = byName.get(plugin.name)
      if (previous !== undefined) {
        return Effect.fail(
          new PluginError({
            reason: "duplicate",
            plugin: plugin.name,
            message: `two plugins are named "${plugin.name}": ${describe(previous)} and ${describe(plugin)}; rename one`
          })
        )
      }
      byName.set(plugin.name, plugin)
    }
    for (const plugin of plugins) {
      const missing = plugin.dependsOn.find((name) => !byName.has(name))
      if (missing !== undefined) {
        return Effect.fail(
          new PluginError({
            reason: "missing",
            plugin: plugin.name,
            message: `plugin ${describe(plugin)} depends on "${missing}", which is not loaded; load a plugin named "${missing}" too`
          })
        )
      }
    }
    // Depth-first, in the order given: a plugin is placed once everything it depends on is.
    const placed = new Set<string>()
    const result: Array<P> = []
    const visit = (plugin: P, path: ReadonlyArray<P>): PluginError | undefined => {
      if (placed.has(plugin.name)) return undefined
      const at = path.indexOf(plugin)
      if (at >= 0) {
        const cycle = [...path.slice(at), plugin].map(describe).join(" -> ")
        return new PluginError({ reason: "cycle", plugin: plugin.name, message: `plugins depend on each other in a cycle: ${cycle}` })
      }
      for (const name of plugin.dependsOn) {
        const error = visit(byName.get(name)!, [...path, plugin])
        if (error !== undefined) return error
      }
      placed.add(plugin.name)
      result.push(plugin)
      return undefined
    }
    for (const plugin of plugins) {
      const error = visit(plugin, [])
      if (error !== undefined) return Effect.fail(error)
    }
    return Effect.succeed(result)
  })

/** What a list of plugins offers to each other, less what they offer. */
type Needs<P> = P extends Plugin<infer _ROut, infer _E, infer RIn> ? RIn : never
type Offers<P> = P extends Plugin<infer ROut, infer _E, infer _RIn> ? ROut : never

/**
 * The plugins as one Layer on the server (see the module documentation).
 * It needs the server and whatever the plugins need that none of them
 * offers. A plugin sees the services of its dependencies (direct or not),
 * never those of unrelated plugins. A `start` that fails (or a Layer that
 * fails to build) fails the whole Layer with a `PluginError` naming the
 * plugin, after stopping the plugins already started.
 */
export const layer = <const Plugins extends ReadonlyArray<Any>>(
  plugins: Plugins,
  options: { readonly describe?: (plugin: Plugins[number]) => string } = {}
): Layer.Layer<never, PluginError, McpServer | Exclude<Needs<Plugins[number]>, Offers<Plugins[number]>>> =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const describe = options.describe ?? ((plugin: Any) => `"${plugin.name}"`)
      const ordered = yield* order(plugins as ReadonlyArray<Any>, describe)
      const outer = yield* Effect.context<never>()
      const scope = yield* Effect.scope
      const offered = new Map<string, Context.Context<unknown>>()
      for (const plugin of ordered) {
        // The services of every plugin it depends on, directly or not.
        let context = outer as Context.Context<unknown>
        const seen = new Set<string>()
        const gather = (names: ReadonlyArray<string>) => {
          for (const name of names) {
            if (seen.has(name)) continue
            seen.add(name)
            gather(ordered.find((p) => p.name === name)!.dependsOn)
            context = Context.merge(context, offered.get(name)!)
          }
        }
        gather(plugin.dependsOn)
        const fail = (cause: Cause.Cause<unknown>) =>
          new PluginError({
            reason: "start",
            plugin: plugin.name,
            message: `plugin ${describe(plugin)} failed to start: ${firstLine(cause)}`,
            cause: Cause.squash(cause)
          })
        const built = yield* Layer.buildWithScope(plugin.layer as Layer.Layer<unknown, unknown, never>, scope).pipe(
          Effect.provide(context as Context.Context<never>),
          Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? Effect.failCause(cause as Cause.Cause<never>) : Effect.fail(fail(cause)))
        )
        offered.set(plugin.name, built)
        yield* Effect.logDebug(`plugin ${plugin.name} ${plugin.version} started`)
      }
    })
  ) as Layer.Layer<never, PluginError, McpServer | Exclude<Needs<Plugins[number]>, Offers<Plugins[number]>>>

const firstLine = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  const text = error instanceof Error ? error.message : typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
  return text.split("\n")[0] ?? text
}
