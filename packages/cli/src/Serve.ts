/**
 * `emcee serve [path]`: serves a folder laid out by convention (`Folder`:
 * `tools/`, `prompts/`, `resources/`; the default is the current
 * directory) or an app module (whose default export is the app's Layer,
 * providing `McpServer`), over stdio (the default) or Streamable HTTP
 * (`--http`; both protocol revisions, 2025-11-25 and 2026-07-28).
 *
 * The configuration (`Config`: flags > `EMCEE_*` environment > `.env` >
 * `emcee.config.yaml` > defaults) selects the transport, the server's
 * name, and middleware and auth from the library by name.
 *
 * @since 0.1.0
 */
import { Args, Command, HelpDoc } from "@effect/cli"
import { McpServer } from "@emcee/core"
import { HttpTransport, Startup, StdioTransport } from "@emcee/transport"
import { Console, Data, Effect, FiberRef, Layer, Logger, LogLevel } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as CliError from "./CliError.js"
import * as Config from "./Config.js"
import * as Folder from "./Folder.js"
import * as Library from "./internal/configLibrary.js"
import * as Plugins from "./Plugins.js"
import { display } from "./internal/configSources.js"
import { registerTypeScript } from "./internal/folderImport.js"

/** The module could not be loaded as an app. */
export class ModuleError extends Data.TaggedError("ModuleError")<{ readonly message: string }> {}

/**
 * Imports `file` and returns its default export, which must be a Layer that
 * provides `McpServer` (for example `McpServer.register(...)` provided with
 * `McpServer.layer(...)`).
 */
export const loadApp = (file: string): Effect.Effect<Layer.Layer<McpServer.McpServer>, ModuleError> =>
  Effect.gen(function*() {
    const url = pathToFileURL(path.resolve(file)).href
    const mod = yield* Effect.tryPromise({
      // A TypeScript module is served directly, through the same tsx hooks as folder servers.
      try: () =>
        (/\.[mc]?ts$/.test(file) ? registerTypeScript() : Promise.resolve()).then(() =>
          import(/* @vite-ignore */ url) as Promise<{ readonly default?: unknown }>
        ),
      catch: (e) => new ModuleError({ message: `Cannot import ${file}: ${e instanceof Error ? e.message : String(e)}` })
    })
    if (!Layer.isLayer(mod.default)) {
      return yield* new ModuleError({
        message: `${file} has no default export that is a Layer; export the app, e.g. \`export default McpServer.register(...).pipe(Layer.provideMerge(McpServer.layer({ name, version })))\``
      })
    }
    return mod.default as Layer.Layer<McpServer.McpServer>
  })

/** Reads a duration as given on the command line (see `Startup.parseDuration`). */
export const parseDuration = Startup.parseDuration

/** A folder server or an app module. */
export type Target = { readonly _tag: "Folder"; readonly dir: string } | { readonly _tag: "Module"; readonly file: string }

/** What `path` is: a folder server, or an app module (a file, or the `emcee.app` of a folder's package.json). */
export const resolveTarget = (target: string, command = "serve"): Effect.Effect<Target, CliError.CliError> =>
  Effect.suspend((): Effect.Effect<Target, CliError.CliError> => {
    let stat: fs.Stats
    try {
      stat = fs.statSync(target)
    } catch {
      return Effect.fail(CliError.user(command, `${target} does not exist: give a folder with tools/, prompts/ or resources/, or an app module`))
    }
    if (!stat.isDirectory()) return Effect.succeed({ _tag: "Module", file: target } as const)
    if (Folder.isFolderServer(target)) return Effect.succeed({ _tag: "Folder", dir: target } as const)
    let app: unknown
    try {
      app = (JSON.parse(fs.readFileSync(path.join(target, "package.json"), "utf8")) as { readonly emcee?: { readonly app?: unknown } }).emcee?.app
    } catch {
      // No package.json: not an app folder either.
    }
    if (typeof app === "string") return Effect.succeed({ _tag: "Module", file: path.join(target, app) } as const)
    return Effect.fail(
      CliError.user(
        command,
        `${display(target) || "."} has no tools/, prompts/ or resources/ folder: put definitions made with Tool.make, Prompt.make or Resource.make there, or give an app module (or "emcee": { "app": "<module>" } in its package.json)`
      )
    )
  })

/**
 * The app `path` names, as a Layer providing `McpServer`: a folder server
 * with the configured name, version and instructions, or an app module's
 * default export.
 */
export const loadTarget = (
  target: string,
  config: Config.EmceeConfig,
  command = "serve"
): Effect.Effect<Layer.Layer<McpServer.McpServer>, CliError.CliError> =>
  Effect.flatMap(resolveTarget(target, command), (resolved) =>
    resolved._tag === "Folder"
      ? Folder.layer(resolved.dir, {
        name: config.server.name,
        version: config.server.version,
        ...(config.server.title === undefined ? {} : { title: config.server.title }),
        ...(config.server.instructions === undefined ? {} : { instructions: config.server.instructions })
      }, { command })
      : Effect.mapError(loadApp(resolved.file), (error) => CliError.user(command, error.message, error)))

/**
 * Reports a failure of the app (a Layer that fails to build, a defect) on
 * stderr and sets exit code 1 (`Startup.reportFatal`): over stdio, stdout
 * carries only protocol. A port that is taken or a bad configuration value is
 * one line.
 */
const reportFatal = Startup.reportFatal("emcee serve", "the app failed")

const levels: Record<Config.EmceeConfig["logLevel"], LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/** What `emcee dev` changes in `serve`. */
export interface Hooks {
  /** Makes the app instead of `loadTarget` (`emcee dev`: a folder server that reloads its files in place). */
  readonly loadApp?: (target: string, config: Config.EmceeConfig, command: string) => Effect.Effect<Layer.Layer<McpServer.McpServer>, CliError.CliError>
  /** Runs once Streamable HTTP listens, with its URL (`emcee dev --inspect`). */
  readonly onListening?: (url: string) => Effect.Effect<void>
}

/**
 * Serves `target` with the configuration read from its folder and `flags`
 * until stdin closes (stdio) or a signal arrives. Transport options the
 * configuration does not cover are still read from the environment
 * (`HttpTransport.config()`: `HTTP_*`; `StdioTransport.config()`: `STDIO_*`).
 */
export const serve = (target: string, flags: Config.Flags, command = "serve", hooks: Hooks = {}): Effect.Effect<void, CliError.CliError> =>
  Effect.gen(function*() {
    const dir = Config.configDir(target)
    const loaded = yield* Config.load({ dir, flags, command })
    Config.applyDotEnv(loaded.dotEnv)
    const config = loaded.config
    const bare = yield* (hooks.loadApp ?? loadTarget)(target, config, command)
    const app = yield* Plugins.withPlugins(bare, dir, config, command)
    const library = yield* Library.build(config, dir, command)
    const served = Library.wrap(app, library)
    const isDefault = (key: string) => loaded.sources.get(key)?.origin === "default"
    // `--log-level` (a built-in flag) wins: it has already moved the level off its default.
    const current = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const withLevel = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      isDefault("logLevel") || current !== LogLevel.Info ? effect : Logger.withMinimumLogLevel(effect, levels[config.logLevel])

    if (config.transport === "stdio") {
      const context = yield* Library.stdioContext(library, config, command)
      return yield* Effect.flatMap(StdioTransport.config(), (fromEnv) =>
        StdioTransport.run({
          ...fromEnv,
          shutdownTimeout: isDefault("shutdownTimeout") ? fromEnv.shutdownTimeout ?? config.shutdownTimeout : config.shutdownTimeout,
          ...(context === undefined ? {} : { context })
        })).pipe(Effect.provide(served), reportFatal, withLevel)
    }
    const guard = yield* Library.httpGuard(library, config)
    return yield* Effect.gen(function*() {
      const fromEnv = yield* HttpTransport.config()
      const running = yield* HttpTransport.make({
        ...fromEnv,
        port: config.port,
        host: config.host,
        path: isDefault("path") ? fromEnv.path ?? config.path : config.path,
        shutdownTimeout: isDefault("shutdownTimeout") ? fromEnv.shutdownTimeout ?? config.shutdownTimeout : config.shutdownTimeout,
        ...(guard === undefined ? {} : { guard }),
        ...(library.errorStatus === undefined ? {} : { errorStatus: library.errorStatus })
      })
      yield* Console.error(`emcee: serving ${display(target) || "."} on ${running.url}`)
      if (hooks.onListening !== undefined) yield* hooks.onListening(running.url)
      return yield* Effect.never
    }).pipe(Effect.scoped, Effect.provide(served), reportFatal, withLevel)
  })

const target = Args.path({ name: "path" }).pipe(
  Args.withDescription("A folder with tools/, prompts/ and resources/ (default: the current directory), or a module whose default export is the app Layer"),
  Args.withDefault(".")
)

/** The `serve` command. */
export const command = Command.make("serve", { target, ...Config.flagOptions }, (args) => serve(args.target, Config.toFlags(args))).pipe(
  Command.withDescription(HelpDoc.blocks([
    HelpDoc.p("Serve a folder of tools, prompts and resources (TypeScript served directly), or an app module, over stdio or Streamable HTTP (both protocol revisions). Configuration: flags > EMCEE_* environment > .env > emcee.config.yaml > defaults; see `emcee config`."),
    HelpDoc.p("Examples:"),
    HelpDoc.p("  emcee serve                                # the current folder, over stdio"),
    HelpDoc.p("  emcee serve ./my-server --http --port 8080  # Streamable HTTP on 127.0.0.1:8080/mcp"),
    HelpDoc.p("  emcee serve dist/server.js                 # an app module (default export: the app Layer)"),
    HelpDoc.p("  emcee serve . --set middleware.timeout=30s --set middleware.rateLimit.perSecond=10")
  ]))
)
