/**
 * Where `emcee manifest`, `emcee docs` and `emcee lint` read a server from:
 * an app module built in-process (listed through the in-memory transport), a
 * Streamable HTTP URL, or a stdio command; `lint` and `docs` also read a
 * manifest file. Shared options and the connection, with failures mapped to
 * one-line `CliError`s and the binary's exit codes.
 *
 * @internal
 */
import { Args, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { McpClient, McpSchema } from "@emcee/core"
import { HttpClientTransport, MemoryTransport, StdioClientTransport } from "@emcee/transport"
import { Cause, Effect, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CliError from "../CliError.js"
import * as Config from "../Config.js"
import * as Plugins from "../Plugins.js"
import { loadTarget } from "../Serve.js"
import { parseHeaders } from "./targetArgs.js"
import { version } from "./version.js"

/** A server to describe. */
export type Source =
  | { readonly _tag: "App"; readonly file: string }
  | { readonly _tag: "Url"; readonly url: string; readonly headers: Readonly<Record<string, string>> }
  | { readonly _tag: "Command"; readonly command: string; readonly args: ReadonlyArray<string> }
  | { readonly _tag: "File"; readonly file: string }

/** Which revision to speak to the server. */
export type Protocol = "auto" | typeof McpSchema.LATEST_PROTOCOL_VERSION | typeof McpSchema.STATELESS_PROTOCOL_VERSION

const target = Args.text({ name: "app|command" }).pipe(
  Args.withDescription(
    "An app module (.js/.mjs/.ts whose default export is the app Layer), a URL, or a server command with its arguments after --"
  ),
  Args.repeated
)
const url = Options.text("url").pipe(
  Options.withDescription("A Streamable HTTP endpoint, e.g. http://127.0.0.1:3000/mcp"),
  Options.optional
)
const header = Options.text("header").pipe(
  Options.withDescription("An HTTP header for --url, \"Name: value\" (repeatable), e.g. --header \"Authorization: Bearer TOKEN\""),
  Options.repeated
)
const protocol = Options.choice("protocol", ["auto", McpSchema.LATEST_PROTOCOL_VERSION, McpSchema.STATELESS_PROTOCOL_VERSION]).pipe(
  Options.withDescription("The MCP revision to speak: auto (probe 2026-07-28, fall back to 2025-11-25) or a revision"),
  Options.withDefault("auto" as Protocol)
)

/** The source options every one of the three commands takes. */
export const options = { target, url, header, protocol }

/** `--out FILE`. */
export const out = Options.file("out").pipe(Options.withDescription("Write to this file instead of stdout"), Options.optional)

/** `--manifest FILE`. */
export const manifestFile = Options.file("manifest").pipe(
  Options.withDescription("Read a manifest file written by `emcee manifest` instead of a server"),
  Options.optional
)

/** The parsed source options. */
export interface Given {
  readonly target: ReadonlyArray<string>
  readonly url: Option.Option<string>
  readonly header: ReadonlyArray<string>
  readonly protocol: Protocol
}

const moduleExtension = /\.(?:m|c)?(?:js|ts)$/

/**
 * Decides the source: `--manifest FILE`, `--url URL` (or a lone `http(s)://`
 * argument), a lone existing `.js/.mjs/.cjs/.ts/.mts/.cts` file (an app
 * module), or else a command with its arguments.
 */
export const resolve = (
  command: string,
  given: Given,
  manifest: Option.Option<string>
): Effect.Effect<Source, CliError.CliError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const sources = [Option.isSome(manifest), Option.isSome(given.url), given.target.length > 0].filter(Boolean).length
    const usage = `give one of: an app module (emcee ${command} app.js), --url URL, a command after -- (emcee ${command} -- node server.js)${
      command === "manifest" ? "" : ", or --manifest FILE"
    }`
    if (sources !== 1) {
      return yield* CliError.user(command, sources === 0 ? `no server given: ${usage}` : `more than one server given: ${usage}`)
    }
    if (Option.isSome(manifest)) return { _tag: "File", file: manifest.value } as const
    const headers = parseHeaders(given.header)
    if (!headers.ok) return yield* CliError.user(command, headers.message)
    const [first, ...rest] = given.target
    const endpoint = Option.isSome(given.url) ? given.url.value : rest.length === 0 && /^https?:\/\//.test(first!) ? first! : undefined
    if (endpoint !== undefined) {
      if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
        return yield* CliError.user(command, `--url ${endpoint} is not an http(s) URL (e.g. --url http://127.0.0.1:3000/mcp)`)
      }
      return { _tag: "Url", url: endpoint, headers: headers.value } as const
    }
    if (given.header.length > 0) return yield* CliError.user(command, "--header applies to --url only")
    const fs = yield* FileSystem.FileSystem
    if (rest.length === 0) {
      const info = yield* fs.stat(first!).pipe(Effect.option)
      // A folder server (tools/, prompts/, resources/, or package.json "emcee.app"): built here like an app module.
      if (Option.isSome(info) && info.value.type === "Directory") return { _tag: "App", file: first! } as const
    }
    if (rest.length === 0 && moduleExtension.test(first!)) {
      const exists = yield* fs.exists(first!).pipe(Effect.orElseSucceed(() => false))
      if (!exists) {
        return yield* CliError.user(command, `app module ${first} does not exist; give the path of a module whose default export is the app Layer`)
      }
      return { _tag: "App", file: first! } as const
    }
    return { _tag: "Command", command: first!, args: rest } as const
  })

const clientInfo = { name: "emcee", version }

const clientError = (command: string, where: string) => (error: McpClient.McpClientError | McpClient.TransportError): CliError.CliError =>
  error._tag === "TransportError" || error.code === McpClient.ClientErrorCode.ConnectionClosed
    ? new CliError.CliError({
      command,
      message: `cannot reach ${where}: ${error.message.replace(/\s+/g, " ")}`,
      exitCode: CliError.ExitCode.connection,
      cause: error
    })
    : new CliError.CliError({
      command,
      message: `${where} answered error ${error.code}: ${error.message.replace(/\s+/g, " ")}`,
      exitCode: CliError.ExitCode.protocol,
      cause: error
    })

/**
 * Connects to the source (not a `File`), runs `use` with a connected client,
 * and closes everything. An app module is built in this process and reached
 * through the in-memory transport; a failure to build it is one line naming
 * the file.
 */
export const obtain = <A>(
  command: string,
  source: Exclude<Source, { readonly _tag: "File" }>,
  protocolVersion: Protocol,
  use: (client: McpClient.McpClient) => Effect.Effect<A, McpClient.McpClientError>
): Effect.Effect<A, CliError.CliError> => {
  switch (source._tag) {
    case "App": {
      const where = `app ${source.file}`
      return Effect.gen(function*() {
        // The same loading as `emcee serve`: an app module, or a folder server with its configuration.
        const file = path.resolve(source.file)
        const folder = yield* Effect.sync(() => { try { return fs.statSync(file).isDirectory() } catch { return false } })
        const dir = folder ? file : path.dirname(file)
        const loaded = yield* Config.load({ dir, command })
        const app = yield* Effect.flatMap(loadTarget(file, loaded.config, command), (bare) => Plugins.withPlugins(bare, dir, loaded.config, command))
        return yield* Effect.gen(function*() {
          const transport = yield* MemoryTransport.make()
          const client = yield* McpClient.make({ transport, clientInfo, protocolVersion })
          return yield* use(client)
        }).pipe(
          Effect.scoped,
          Effect.provide(app),
          Effect.catchAllCause((cause) => {
            const failure = Cause.failureOption(cause)
            if (Option.isSome(failure) && failure.value instanceof McpClient.McpClientError) {
              return Effect.fail(clientError(command, where)(failure.value))
            }
            if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
            const squashed = Cause.squash(cause)
            const reason = squashed instanceof Error ? squashed.message : String(squashed)
            return Effect.fail(CliError.user(command, `the app in ${source.file} failed to start: ${reason.replace(/\s+/g, " ")}`, cause))
          })
        )
      })
    }
    case "Url": {
      const where = source.url
      return Effect.gen(function*() {
        const transport = yield* HttpClientTransport.make({ url: source.url, headers: source.headers, openGetStream: false })
        const client = yield* McpClient.make({ transport, clientInfo, protocolVersion })
        return yield* use(client)
      }).pipe(Effect.scoped, Effect.mapError(clientError(command, where)))
    }
    case "Command": {
      const where = `the server started by \`${[source.command, ...source.args].join(" ")}\``
      return Effect.gen(function*() {
        const transport = yield* StdioClientTransport.make({ command: source.command, args: source.args, stderr: "inherit" })
        const client = yield* McpClient.make({ transport, clientInfo, protocolVersion })
        return yield* use(client)
      }).pipe(Effect.scoped, Effect.mapError(clientError(command, where)))
    }
  }
}

/**
 * Resolves the source and produces its value: `fromFile` for `--manifest`,
 * else `fromClient` on a connected client.
 */
export const load = <A, R>(
  command: string,
  given: Given,
  manifest: Option.Option<string>,
  fromFile: (file: string) => Effect.Effect<A, CliError.CliError, R>,
  fromClient: (client: McpClient.McpClient) => Effect.Effect<A, McpClient.McpClientError>
): Effect.Effect<A, CliError.CliError, R | FileSystem.FileSystem> =>
  Effect.flatMap(resolve(command, given, manifest), (source) =>
    source._tag === "File" ? fromFile(source.file) : obtain(command, source, given.protocol, fromClient))
