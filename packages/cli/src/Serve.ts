/**
 * `emcee serve`: runs an app module (whose default export is the app's
 * Layer, providing `McpServer`) over stdio or Streamable HTTP.
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { McpServer } from "@emcee/core"
import { HttpTransport, StdioTransport } from "@emcee/transport"
import { Data, Effect, Layer } from "effect"
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
const port = Options.integer("port").pipe(Options.withAlias("p"), Options.withDefault(3000), Options.withDescription("HTTP port"))
const host = Options.text("host").pipe(Options.withDefault("127.0.0.1"), Options.withDescription("HTTP bind address"))

/** The `serve` command. */
export const command = Command.make("serve", { module, transport, port, host }, (args) =>
  Effect.gen(function*() {
    const app = yield* loadApp(args.module)
    if (args.transport === "stdio") {
      return yield* StdioTransport.run().pipe(Effect.provide(app))
    }
    yield* Effect.logInfo(`emcee: serving ${args.module} on http://${args.host}:${args.port}/mcp`)
    return yield* Layer.launch(HttpTransport.layer({ port: args.port, host: args.host }).pipe(Layer.provide(app)))
  })).pipe(Command.withDescription("Serve an app module over stdio or Streamable HTTP"))
