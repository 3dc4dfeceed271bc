/**
 * `emcee manifest`: a JSON document describing everything an MCP server
 * offers — server info, protocol revision, capabilities, instructions and
 * every tool (with its input and output JSON Schemas and annotations),
 * prompt (with its arguments), resource and resource template — with
 * generation metadata. `emcee docs` renders it, `emcee lint` checks it, and
 * a committed manifest is a reviewable record of a server's surface.
 *
 * The data comes from an app module (built in-process and listed through an
 * in-memory client), a running server (`--url`, or a command after `--`), and
 * every list is followed to its last page (spec server/utilities/pagination).
 * Primitives are sorted (tools, prompts and templates by name, resources by
 * name then URI), so the document only changes when the server does;
 * `generatedAt` follows `SOURCE_DATE_EPOCH` when it is set.
 *
 * @example
 * // emcee manifest examples/everything/dist/server.js --out mcp-manifest.json
 * // emcee manifest --url http://127.0.0.1:3000/mcp
 * // emcee manifest -- node server.js
 *
 * @since 0.3.0
 */
import { Command, HelpDoc } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { type McpClient, McpSchema } from "@emcee/core"
import { Clock, Console, Effect, Either, Option, ParseResult, Schema } from "effect"
import * as CliError from "./CliError.js"
import * as Source from "./internal/manifestSource.js"
import { version } from "./internal/version.js"

/** The version of the manifest format this module writes and reads. */
export const MANIFEST_VERSION = 1 as const

/** The version written as `generator.version`. */
export const GENERATOR_VERSION: string = version

const Rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** Any JSON object (a JSON Schema, `_meta`, ...). */
export const JsonObject = Rest.annotations({ identifier: "JsonObject" })

/**
 * A tool as listed by `tools/list` (spec server/tools "Tool"). The schemas are
 * any JSON objects here, not only `type: "object"` ones, so that `emcee lint`
 * can report a wrong one instead of refusing the manifest.
 */
export const ManifestTool = Schema.Struct(
  {
    name: Schema.String,
    title: Schema.optional(Schema.String),
    description: Schema.optional(Schema.String),
    inputSchema: JsonObject,
    outputSchema: Schema.optional(JsonObject),
    annotations: Schema.optional(McpSchema.ToolAnnotations),
    _meta: Schema.optional(JsonObject)
  },
  Rest
).annotations({ identifier: "ManifestTool" })
export type ManifestTool = typeof ManifestTool.Type

/** The generator of a manifest. */
export const Generator = Schema.Struct({ name: Schema.String, version: Schema.String }).annotations({ identifier: "Generator" })

/** The manifest document. */
export const Manifest = Schema.Struct({
  manifestVersion: Schema.Literal(MANIFEST_VERSION),
  /** ISO 8601 time of generation. */
  generatedAt: Schema.String,
  generator: Generator,
  /** The revision the listing was made with. */
  protocolVersion: Schema.String,
  serverInfo: McpSchema.Implementation,
  capabilities: McpSchema.ServerCapabilities,
  instructions: Schema.optional(Schema.String),
  tools: Schema.Array(ManifestTool),
  prompts: Schema.Array(McpSchema.Prompt),
  resources: Schema.Array(McpSchema.Resource),
  resourceTemplates: Schema.Array(McpSchema.ResourceTemplate)
}).annotations({ identifier: "Manifest" })
export type Manifest = typeof Manifest.Type

/** Options of `fromClient`. */
export interface Options {
  /** `generatedAt`; default `SOURCE_DATE_EPOCH` when set, else now. */
  readonly generatedAt?: string
  /** `generator.version`; default `GENERATOR_VERSION`. */
  readonly generatorVersion?: string
}

const byName = <A extends { readonly name: string }>(a: A, b: A) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
const byKey = <A>(key: (a: A) => string) => (a: A, b: A) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)

/** The same manifest with its primitives sorted (stable, so duplicates keep their order). */
export const sorted = (manifest: Manifest): Manifest => ({
  ...manifest,
  tools: [...manifest.tools].sort(byName),
  prompts: [...manifest.prompts].sort(byName),
  resources: [...manifest.resources].sort(byKey((r) => `${r.name}\u0000${r.uri}`)),
  resourceTemplates: [...manifest.resourceTemplates].sort(byKey((t) => `${t.name}\u0000${t.uriTemplate}`))
})

const now = Effect.gen(function*() {
  const epoch = process.env["SOURCE_DATE_EPOCH"]
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString()
  return new Date(yield* Clock.currentTimeMillis).toISOString()
})

/**
 * Lists everything the connected client's server offers, following every
 * `nextCursor` to the end (spec server/utilities/pagination). A list the
 * server does not advertise in its capabilities is empty.
 */
export const fromClient = (client: McpClient.McpClient, options: Options = {}): Effect.Effect<Manifest, McpClient.McpClientError> =>
  Effect.gen(function*() {
    const caps = client.serverCapabilities
    const [tools, resources, resourceTemplates, prompts] = yield* Effect.all([
      caps.tools === undefined ? Effect.succeed([]) : client.listAllTools(),
      caps.resources === undefined ? Effect.succeed([]) : client.listAllResources(),
      caps.resources === undefined ? Effect.succeed([]) : client.listAllResourceTemplates(),
      caps.prompts === undefined ? Effect.succeed([]) : client.listAllPrompts()
    ])
    const generatedAt = options.generatedAt ?? (yield* now)
    return sorted({
      manifestVersion: MANIFEST_VERSION,
      generatedAt,
      generator: { name: "emcee", version: options.generatorVersion ?? GENERATOR_VERSION },
      protocolVersion: client.protocolVersion,
      serverInfo: client.serverInfo,
      capabilities: caps,
      ...(client.instructions === undefined ? {} : { instructions: client.instructions }),
      tools,
      prompts,
      resources,
      resourceTemplates
    })
  })

/** The manifest as JSON text (two-space indent, trailing newline). */
export const encode = (manifest: Manifest): string => `${JSON.stringify(Schema.encodeSync(Manifest)(manifest), null, 2)}\n`

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out === "" ? String(key) : `${out}.${String(key)}`), "")

/**
 * Decodes manifest JSON text; the failure is one line naming the first
 * problem's path (`tools[2].inputSchema: is missing`) and how many others.
 */
export const decode = (text: string): Either.Either<Manifest, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Either.left(`is not JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  return Schema.decodeUnknownEither(Manifest, { errors: "all" })(json).pipe(
    Either.mapLeft((error) => {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
      const first = issues[0]
      if (first === undefined) return "is not a manifest"
      const where = formatPath(first.path)
      const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : ""
      return `${where === "" ? "" : `${where}: `}${first.message.replace(/\s+/g, " ")}${more}`
    })
  )
}

/**
 * Reads and decodes a manifest file; a missing, unreadable or invalid file
 * fails with a one-line `CliError` (exit 1) naming the file and the path in it.
 */
export const readFile = (file: string, command = "lint"): Effect.Effect<Manifest, CliError.CliError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((e) =>
        CliError.user(
          command,
          `cannot read manifest ${file}: ${e._tag === "SystemError" && e.reason === "NotFound" ? "no such file" : e.message}; write one with \`emcee manifest <app> --out ${file}\``,
          e
        )
      )
    )
    return yield* Either.match(decode(text), {
      onLeft: (problem) => Effect.fail(CliError.user(command, `${file}: ${problem}; regenerate it with \`emcee manifest <app> --out ${file}\``)),
      onRight: Effect.succeed
    })
  })

/** Writes `text` to `out`, or prints it on stdout when `out` is none. */
export const output = (command: string, text: string, out: Option.Option<string>): Effect.Effect<void, CliError.CliError, FileSystem.FileSystem> =>
  Option.match(out, {
    onNone: () => Console.log(text.endsWith("\n") ? text.slice(0, -1) : text),
    onSome: (file) =>
      Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(file, text)).pipe(
        Effect.mapError((e) => CliError.user(command, `cannot write --out ${file}: ${e.message}`, e))
      )
  })

/** The `manifest` command. */
export const command = Command.make(
  "manifest",
  { ...Source.options, out: Source.out },
  (args) =>
    Effect.gen(function*() {
      const manifest = yield* Source.load("manifest", args, Option.none(), (file) => readFile(file, "manifest"), (client) => fromClient(client))
      yield* output("manifest", encode(manifest), args.out)
    })
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Write a JSON manifest of an MCP server: server info, capabilities, instructions and every tool, prompt, resource and resource template with its JSON Schemas, sorted by name. The server is an app module (built in-process), a URL, or a command after --."
      ),
      HelpDoc.p("Examples:"),
      HelpDoc.p("  emcee manifest examples/everything/dist/server.js --out mcp-manifest.json"),
      HelpDoc.p("  emcee manifest --url http://127.0.0.1:3000/mcp --header 'Authorization: Bearer TOKEN'"),
      HelpDoc.p("  emcee manifest -- node examples/everything/dist/main.js"),
      HelpDoc.p("  SOURCE_DATE_EPOCH=0 emcee manifest app.js   # reproducible generatedAt")
    ])
  )
)
