/**
 * `emcee serve`: runs an app module (whose default export is the app's
 * Layer, providing `McpServer`) over stdio or Streamable HTTP.
 *
 * @since 0.1.0
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { McpServer } from "@emcee/core"
import { HttpTransport, Startup, StdioTransport } from "@emcee/transport"
import { Console, Data, Effect, Layer, Option } from "effect"
import * as path from "node:path"
import { pathToFileURL } from "node:url"

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
      try: () => import(url) as Promise<{ readonly default?: unknown }>,
      catch: (e) => new ModuleError({ message: `Cannot import ${file}: ${e instanceof Error ? e.message : String(e)}` })
    })
    if (!Layer.isLayer(mod.default)) {
      return yield* new ModuleError({
        message: `${file} has no default export that is a Layer; export the app, e.g. \`export default McpServer.register(...).pipe(Layer.provideMerge(McpServer.layer({ name, version })))\``
      })
    }
    return mod.default as Layer.Layer<McpServer.McpServer>
  })

const module = Args.file({ name: "module", exists: "yes" }).pipe(
  Args.withDescription("A JavaScript module whose default export is the app Layer (providing McpServer)")
)
const transport = Options.choice("transport", ["stdio", "http"]).pipe(
  Options.withAlias("t"),
  Options.withDefault("stdio" as const),
  Options.withDescription("stdio for desktop clients, http for Streamable HTTP")
)
const port = Options.integer("port").pipe(
  Options.withAlias("p"),
  Options.withDescription("HTTP port; default HTTP_PORT from the environment, else 3000"),
  Options.optional
)
const host = Options.text("host").pipe(
  Options.withDescription("HTTP bind address; default HTTP_HOST from the environment, else 127.0.0.1"),
  Options.optional
)

/** Reads a duration as given on the command line (see `Startup.parseDuration`). */
export const parseDuration = Startup.parseDuration

const shutdownTimeout = Options.text("shutdown-timeout").pipe(
  Options.withPseudoName("duration"),
  Options.withDescription(
    "How long requests in flight may run once shutdown begins (SIGTERM, SIGINT, stdin closing) before they are cancelled and answered with an error: 5s, 500ms, 2m or a number of seconds; default 10s"
  ),
  Options.mapEffect((text) => {
    const duration = parseDuration(text)
    return duration === undefined
      ? Effect.fail(
        ValidationError.invalidValue(
          HelpDoc.p(`Invalid value for --shutdown-timeout: "${text}" is not a duration (use e.g. 5s, 500ms, 2m or a number of seconds)`)
        )
      )
      : Effect.succeed(duration)
  }),
  Options.optional
)

/**
 * Reports a failure of the app (a Layer that fails to build, a defect) on
 * stderr and sets exit code 1 (`Startup.reportFatal`): over stdio, stdout
 * carries only protocol. A port that is taken or a bad configuration value is
 * one line.
 */
const reportFatal = Startup.reportFatal("emcee serve", "the app failed")

/**
 * The `serve` command. Transport options not given as flags are read from
 * the environment (`HttpTransport.config()`: `HTTP_PORT`, `HTTP_HOST`,
 * `HTTP_ALLOWED_ORIGINS`, ...; `StdioTransport.config()`: `STDIO_*`); flags win.
 */
export const command = Command.make("serve", { module, transport, port, host, shutdownTimeout }, (args) =>
  Effect.gen(function*() {
    const app = yield* loadApp(args.module)
    const shutdown = Option.getOrUndefined(args.shutdownTimeout)
    const timeout = shutdown === undefined ? {} : { shutdownTimeout: shutdown }
    if (args.transport === "stdio") {
      return yield* Effect.flatMap(StdioTransport.config(), (fromEnv) => StdioTransport.run({ ...fromEnv, ...timeout })).pipe(
        Effect.provide(app),
        reportFatal
      )
    }
    return yield* Effect.gen(function*() {
      const fromEnv = yield* HttpTransport.config()
      const running = yield* HttpTransport.make({
        ...fromEnv,
        port: Option.getOrElse(args.port, () => fromEnv.port ?? 3000),
        host: Option.getOrElse(args.host, () => fromEnv.host ?? "127.0.0.1"),
        ...timeout
      })
      yield* Console.error(`emcee: serving ${args.module} on ${running.url}`)
      return yield* Effect.never
    }).pipe(Effect.scoped, Effect.provide(app), reportFatal)
  })).pipe(Command.withDescription("Serve an app module over stdio or Streamable HTTP"))
