/**
 * Plugins of a served folder (`Plugin` of @emcee/core: a Layer with a name,
 * a version, the plugins it depends on, and `start`/`stop` hooks), loaded
 * from two places:
 *
 * - every source file under the folder's `plugins/` (subfolders too; the
 *   same files are skipped as in `tools/`: tests, `.d.ts`, `_private` and
 *   dot-files), TypeScript served directly;
 * - the `plugins` configuration key: paths relative to the folder, or
 *   package names resolved from it (`plugins: [./extra/audit.ts, @acme/emcee-metrics]`).
 *
 * Each module exports its plugins (the default export, named exports, or
 * both). The plugins start in the order of their dependencies and stop in
 * the reverse order. A module that cannot be found or loaded, exports no
 * plugin, two plugins with one name, a dependency that is not loaded, or a
 * cycle is one line naming the file and what to do (exit code 1), before
 * anything starts. `emcee dev` loads plugins once: restart it after editing
 * one.
 *
 * @since 0.4.0
 */
import type { McpServer } from "@emcee/core"
import { Plugin } from "@emcee/core"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import * as CliError from "./CliError.js"
import type { EmceeConfig } from "./Config.js"
import { display } from "./internal/configSources.js"
import { describeImportError, importFile, sourceFiles } from "./internal/folderImport.js"

/** The folder of plugin files in a served folder. */
export const directory = "plugins"

/** A plugin and where it was loaded from (a file as shown to the user, or a package name). */
export interface Loaded {
  readonly plugin: Plugin.Any
  readonly from: string
}

/** The plugins a module exports (default first), each once. */
export const pluginsOf = (module: Record<string, unknown>): ReadonlyArray<Plugin.Any> => {
  const names = Object.keys(module).sort((a, b) => (a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : a > b ? 1 : 0))
  return [...new Set(names.map((name) => module[name]).filter(Plugin.isPlugin))]
}

/** Where `specifier` (a `plugins` entry) points: a file relative to `dir`, or a package resolved from `dir`. */
const locate = (specifier: string, dir: string, command: string): Effect.Effect<{ readonly file: string; readonly from: string }, CliError.CliError> =>
  Effect.suspend(() => {
    if (specifier.startsWith(".") || path.isAbsolute(specifier)) {
      const file = path.resolve(dir, specifier)
      return fs.existsSync(file)
        ? Effect.succeed({ file, from: display(file) })
        : Effect.fail(CliError.user(command, `plugins: ${specifier} does not exist (looked for ${display(file)}); fix the path in the plugins key`))
    }
    try {
      const file = createRequire(path.join(path.resolve(dir), "package.json")).resolve(specifier)
      return Effect.succeed({ file, from: specifier })
    } catch {
      return Effect.fail(
        CliError.user(command, `plugins: cannot find the package "${specifier}" from ${display(dir) || "."}; install it there (npm install ${specifier}) or fix the plugins key`)
      )
    }
  })

/** Imports one plugin module; a failure or a module without plugins is a one-line `CliError`. */
const importPlugins = (file: string, from: string, command: string): Effect.Effect<ReadonlyArray<Loaded>, CliError.CliError> =>
  Effect.tryPromise({
    try: () => importFile(file),
    catch: (error) => {
      const { column, line, reason } = describeImportError(file, error)
      const at = line === undefined ? "" : `:${line}${column === undefined ? "" : `:${column}`}`
      return CliError.user(command, `cannot load the plugin ${from}${at}: ${reason}`, error)
    }
  }).pipe(
    Effect.flatMap((module) => {
      const plugins = pluginsOf(module)
      return plugins.length === 0
        ? Effect.fail(
          CliError.user(command, `${from} exports no plugin: export one made with Plugin.make({ name, version, … }) from @emcee/core, or name a helper file with a leading _`)
        )
        : Effect.succeed(plugins.map((plugin) => ({ plugin, from })))
    })
  )

/**
 * Loads the plugins of the folder `dir` (its `plugins/` files, then the
 * `plugins` key of `config`) and puts them in start order; fails with a
 * one-line `CliError` for any of the problems in the module comment.
 */
export const load = (dir: string, config: EmceeConfig, command = "serve"): Effect.Effect<ReadonlyArray<Loaded>, CliError.CliError> =>
  Effect.gen(function*() {
    const found: Array<{ readonly file: string; readonly from: string }> = sourceFiles(path.join(dir, directory)).map((file) => ({ file, from: display(file) }))
    for (const specifier of config.plugins) found.push(yield* locate(specifier, dir, command))
    const loaded: Array<Loaded> = []
    const seen = new Set<string>()
    for (const { file, from } of found) {
      // A file in plugins/ that is also listed in the configuration is loaded once.
      if (seen.has(file)) continue
      seen.add(file)
      loaded.push(...(yield* importPlugins(file, from, command)))
    }
    const from = new Map(loaded.map((entry) => [entry.plugin, entry.from]))
    const ordered = yield* Plugin.order(loaded.map((entry) => entry.plugin), describe(from)).pipe(
      Effect.mapError((error) => CliError.user(command, error.message, error))
    )
    return ordered.map((plugin) => ({ plugin, from: from.get(plugin)! }))
  })

const describe = (from: ReadonlyMap<Plugin.Any, string>) => (plugin: Plugin.Any) => `"${plugin.name}" (${from.get(plugin) ?? "?"})`

/**
 * The app with the plugins on it: their Layer built on the app's server (a
 * plugin's `start` fails the app with a one-line `PluginError` naming the
 * plugin and its file).
 */
export const wrap = (app: Layer.Layer<McpServer.McpServer>, plugins: ReadonlyArray<Loaded>): Layer.Layer<McpServer.McpServer, Plugin.PluginError> => {
  if (plugins.length === 0) return app
  const from = new Map(plugins.map((entry) => [entry.plugin, entry.from]))
  // Plugins loaded from files declare no types: what they need beyond the server comes from the app, checked when built.
  const layer = Plugin.layer(plugins.map((entry) => entry.plugin), { describe: describe(from) }) as Layer.Layer<never, Plugin.PluginError, McpServer.McpServer>
  return layer.pipe(Layer.provideMerge(app))
}

/** `load` then `wrap`: the app of the folder `dir` with its plugins. */
export const withPlugins = (
  app: Layer.Layer<McpServer.McpServer>,
  dir: string,
  config: EmceeConfig,
  command = "serve"
): Effect.Effect<Layer.Layer<McpServer.McpServer, Plugin.PluginError>, CliError.CliError> =>
  Effect.map(load(dir, config, command), (plugins) => wrap(app, plugins))
