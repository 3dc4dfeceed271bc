/**
 * `emcee dev [path]`: serves a folder laid out by convention (`Folder`) like
 * `emcee serve`, over stdio (the default) or Streamable HTTP (`--http`), and
 * watches its `tools/`, `prompts/` and `resources/` (subfolders too).
 *
 * A file changed, added or removed is reloaded in place: its old primitives
 * are removed from the running server and its new ones added, so connected
 * clients stay connected (stdio, HTTP sessions) and are told with
 * `notifications/tools/list_changed` (and the prompts and resources ones;
 * spec 2025-11-25 server/tools "List Changed Notification"; under 2026-07-28
 * they arrive on `subscriptions/listen` streams). The server advertises
 * `listChanged` for all three kinds from the start, since any may appear.
 *
 * A file that fails to load is reported on stderr with its file and line
 * (`tools/broken.ts:3:19: Unexpected "="; keeping the previous
 * definitions`) and its previous definitions stay served. Helpers (files and
 * folders starting with `_`) are imported once: restart to reload them.
 * Every log goes to stderr: over stdio, stdout carries only protocol.
 *
 * `--inspect` opens the MCP Inspector on it: over stdio the Inspector starts
 * `emcee dev` itself; over HTTP emcee serves and the Inspector connects to
 * its URL.
 *
 * @since 0.3.0
 */
import { Args, Command, HelpDoc, Options } from "@effect/cli"
import { McpServer } from "@emcee/core"
import { Console, Duration, Effect, Layer } from "effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as CliError from "./CliError.js"
import * as Config from "./Config.js"
import * as Folder from "./Folder.js"
import * as Inspector from "./internal/devInspector.js"
import * as Reload from "./internal/devReload.js"
import * as Watch from "./internal/devWatch.js"
import { display } from "./internal/configSources.js"
import * as Serve from "./Serve.js"

/** Options of `layer` and `dev`. */
export interface DevOptions {
  /** Where reload messages go; default stderr (`Console.error`), each prefixed `emcee dev: `. */
  readonly log?: (line: string) => Effect.Effect<void>
  /** Quiet time that ends a batch of file events; default 100 ms. */
  readonly debounce?: Duration.DurationInput
}

const defaultLog = (line: string) => Console.error(`emcee dev: ${line}`)

/**
 * The folder `dir` served by a server with `options` that reloads its files
 * in place for the life of the Layer. A file that fails to load at start is
 * reported and served once it loads.
 */
export const layer = (dir: string, options: McpServer.Options, settings: DevOptions = {}): Layer.Layer<McpServer.McpServer> => {
  const log = settings.log ?? defaultLog
  const watching = Layer.scopedDiscard(Effect.gen(function*() {
    const reloader = yield* Reload.make(dir, log)
    yield* reloader.start
    if (reloader.served().size === 0) {
      yield* log(`warning: no tools, prompts or resources yet under ${Folder.directories.map((d) => `${d}/`).join(", ")}; watching for them`)
    }
    yield* Watch.watch(dir, reloader.rescan, settings.debounce === undefined ? {} : { debounce: settings.debounce })
    yield* log(`watching ${Folder.directories.map((d) => `${d}/`).join(", ")} of ${display(dir) || "."}`)
  }))
  return watching.pipe(
    Layer.provideMerge(McpServer.layer({
      ...options,
      // Any kind may appear while clients are connected: advertise `listChanged` for all of them (spec basic/lifecycle "Capability Negotiation").
      capabilities: { tools: true, prompts: true, resources: true, ...options.capabilities }
    }))
  )
}

/** The app of `emcee dev`: a folder server that reloads in place (an app module is refused: it has no files to reload one by one). */
const moduleRefused = (file: string, command: string) =>
  CliError.user(
    command,
    `${display(file)} is an app module: emcee dev reloads a folder of tools/, prompts/ and resources/; serve a module with emcee serve (restarted on change, e.g. node --watch)`
  )

const loadApp = (settings: DevOptions) => (target: string, config: Config.EmceeConfig, command: string) =>
  Effect.flatMap(Serve.resolveTarget(target, command), (resolved) =>
    resolved._tag === "Module"
      ? Effect.fail(moduleRefused(resolved.file, command))
      : Effect.succeed(layer(resolved.dir, {
        name: config.server.name,
        version: config.server.version,
        ...(config.server.title === undefined ? {} : { title: config.server.title }),
        ...(config.server.instructions === undefined ? {} : { instructions: config.server.instructions })
      }, settings)))

/** The emcee binary beside this module (`dist/bin.js`), for the Inspector to start. */
export const binPath = (): string => fileURLToPath(new URL("./bin.js", import.meta.url))

/**
 * Serves and watches `target` until stdin closes (stdio) or a signal
 * arrives. With `inspect`, opens the MCP Inspector on it (over stdio the
 * Inspector runs `emcee dev` itself, and this returns when it exits).
 */
export const dev = (
  target: string,
  flags: Config.Flags,
  options: DevOptions & { readonly inspect?: boolean } = {}
): Effect.Effect<void, CliError.CliError> =>
  Effect.gen(function*() {
    const command = "dev"
    if (options.inspect === true) {
      const resolved = yield* Serve.resolveTarget(target, command)
      if (resolved._tag === "Module") return yield* moduleRefused(resolved.file, command)
      const loaded = yield* Config.load({ dir: Config.configDir(target), flags, command })
      if (loaded.config.transport === "stdio") {
        const line = Inspector.stdioCommand({ node: process.execPath, bin: binPath(), dir: path.resolve(target), flags, env: process.env })
        yield* Console.error(`emcee dev: starting the MCP Inspector, which runs emcee dev over stdio: ${Inspector.format(line)}`)
        const code = yield* Inspector.run(line, command)
        if (code !== 0) process.exitCode = code
        return
      }
      return yield* Serve.serve(target, flags, command, {
        loadApp: loadApp(options),
        onListening: (url) => {
          const line = Inspector.httpCommand(url)
          return Console.error(`emcee dev: opening the MCP Inspector on ${url}: ${Inspector.format(line)}`).pipe(
            Effect.zipRight(Effect.fork(Inspector.run(line, command).pipe(
              Effect.matchEffect({
                onFailure: (error) => Console.error(`emcee dev: ${error.message}`),
                onSuccess: (code) => Console.error(`emcee dev: the MCP Inspector exited (code ${code}); still serving ${url}`)
              })
            ))),
            Effect.asVoid
          )
        }
      })
    }
    return yield* Serve.serve(target, flags, command, { loadApp: loadApp(options) })
  })

const targetArg = Args.path({ name: "path" }).pipe(
  Args.withDescription("A folder with tools/, prompts/ and resources/ (default: the current directory)"),
  Args.withDefault(".")
)
const inspect = Options.boolean("inspect").pipe(
  Options.withDescription("Open the MCP Inspector on the server (npx @modelcontextprotocol/inspector; over stdio the Inspector starts emcee dev itself)")
)

/** The `dev` command. */
export const command = Command.make("dev", { target: targetArg, inspect, ...Config.flagOptions }, (args) =>
  dev(args.target, Config.toFlags(args), { inspect: args.inspect })).pipe(
    Command.withDescription(HelpDoc.blocks([
      HelpDoc.p(
        "Serve a folder of tools, prompts and resources like `emcee serve`, and reload a file in place when it changes: clients stay connected and get list_changed. A file that fails to load is reported with its file and line, and its previous definitions stay served. Logs go to stderr."
      ),
      HelpDoc.p("Examples:"),
      HelpDoc.p("  emcee dev                            # the current folder, over stdio"),
      HelpDoc.p("  emcee dev ./my-server --http --port 8080"),
      HelpDoc.p("  emcee dev --inspect                  # the MCP Inspector starts emcee dev over stdio"),
      HelpDoc.p("  emcee dev --http --inspect           # serve HTTP and open the MCP Inspector on its URL")
    ]))
  )
