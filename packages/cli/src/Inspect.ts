/**
 * `emcee inspect`: connects to any MCP server (a command over stdio, or a
 * Streamable HTTP URL), initializes, and prints what it offers: server info,
 * capabilities, instructions, tools, resources, resource templates and
 * prompts, as text or JSON.
 *
 * The server is named as `Target` says (a URL, `--url URL`, a quoted command
 * line, or a command after `--`), with the shared target options
 * (`--header`, `--bearer`, `--protocol`, `--timeout`, `--json`, …).
 *
 * @since 0.1.0
 */
import { Args, Command, HelpDoc, Options } from "@effect/cli"
import type { McpClient, McpSchema } from "@emcee/core"
import { Console, Data, Effect, Option } from "effect"
import * as CliError from "./CliError.js"
import * as Target from "./Target.js"

/**
 * The command line named no server, or an unusable one.
 *
 * @deprecated since 0.3.0 `inspect` fails with `CliError` (exit 1 for the
 * command line, 3 when the server cannot be reached, 4 for a protocol error).
 */
export class InspectError extends Data.TaggedError("InspectError")<{ readonly message: string }> {}

/** What `inspect` learned about a server. */
export interface Report {
  readonly serverInfo: McpSchema.Implementation
  readonly protocolVersion: string
  readonly capabilities: McpSchema.ServerCapabilities
  readonly instructions: string | undefined
  readonly tools: ReadonlyArray<McpSchema.Tool>
  readonly resources: ReadonlyArray<McpSchema.Resource>
  readonly resourceTemplates: ReadonlyArray<McpSchema.ResourceTemplate>
  readonly prompts: ReadonlyArray<McpSchema.Prompt>
}

/** Lists everything a connected client's server offers (lists it does not advertise are empty). */
export const report = (client: McpClient.McpClient): Effect.Effect<Report, McpClient.McpClientError> =>
  Effect.gen(function*() {
    const caps = client.serverCapabilities
    const [tools, resources, resourceTemplates, prompts] = yield* Effect.all([
      caps.tools === undefined ? Effect.succeed([]) : client.listAllTools(),
      caps.resources === undefined ? Effect.succeed([]) : client.listAllResources(),
      caps.resources === undefined ? Effect.succeed([]) : client.listAllResourceTemplates(),
      caps.prompts === undefined ? Effect.succeed([]) : client.listAllPrompts()
    ])
    return {
      serverInfo: client.serverInfo,
      protocolVersion: client.protocolVersion,
      capabilities: caps,
      instructions: client.instructions,
      tools,
      resources,
      resourceTemplates,
      prompts
    }
  })

const section = (title: string, items: ReadonlyArray<{ readonly name: string; readonly description?: string | undefined }>, key?: (item: never) => string) =>
  items.length === 0
    ? []
    : [
      `${title} (${items.length})`,
      ...items.map((item) => `  ${key === undefined ? item.name : key(item as never)}${item.description === undefined ? "" : ` — ${item.description}`}`)
    ]

/** The report as readable text. */
export const format = (r: Report): string =>
  [
    `${r.serverInfo.title ?? r.serverInfo.name} ${r.serverInfo.version} (protocol ${r.protocolVersion})`,
    `capabilities: ${Object.keys(r.capabilities).sort().join(", ") || "none"}`,
    ...(r.instructions === undefined ? [] : [`instructions: ${r.instructions}`]),
    ...section("tools", r.tools),
    ...section("resources", r.resources, (res: McpSchema.Resource) => `${res.uri} (${res.name})`),
    ...section("resource templates", r.resourceTemplates, (t: McpSchema.ResourceTemplate) => `${t.uriTemplate} (${t.name})`),
    ...section("prompts", r.prompts)
  ].join("\n")

const url = Options.text("url").pipe(
  Options.withDescription("A Streamable HTTP endpoint, e.g. http://127.0.0.1:3000/mcp (or give the URL as the argument)"),
  Options.optional
)
const target = Args.text({ name: "target" }).pipe(
  Args.withDescription("The server: a URL, a command line in one quoted argument, or a command with its arguments after --"),
  Args.repeated
)

/** The `inspect` command. */
export const command = Command.make("inspect", { ...Target.options, url, target }, (args) =>
  Effect.gen(function*() {
    if (Option.isSome(args.url) === (args.target.length > 0)) {
      return yield* CliError.user(
        "inspect",
        "give either --url <http endpoint>, a URL, or a server command after --, e.g. `emcee inspect -- node server.js`"
      )
    }
    const options = yield* Target.connectOptions("inspect", args)
    const target = yield* Target.fromWords("inspect", Option.isSome(args.url) ? [args.url.value] : args.target)
    if (Option.isSome(args.url) && target._tag !== "Http") {
      return yield* CliError.user("inspect", `--url ${JSON.stringify(args.url.value)} is not an http:// or https:// URL`)
    }
    const connection = yield* Target.connect("inspect", target, options)
    const r = yield* connection.run(report(connection.client))
    yield* Console.log(args.json ? JSON.stringify(r, null, 2) : format(r))
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      HelpDoc.blocks([
        HelpDoc.p(
          "Connect to any MCP server (either revision) and print what it offers: server info, protocol, capabilities, instructions, tools, resources, resource templates and prompts."
        ),
        HelpDoc.p("Exit codes: 3 the server cannot be started or reached, 4 it answered a JSON-RPC error."),
        HelpDoc.p("Examples:"),
        HelpDoc.p("  emcee inspect -- node server.js"),
        HelpDoc.p("  emcee inspect http://127.0.0.1:3000/mcp --bearer $TOKEN"),
        HelpDoc.p("  emcee inspect --url https://example.com/mcp --header \"X-Api-Key: abc\" --json"),
        HelpDoc.p("  emcee inspect --protocol 2026-07-28 \"node server.js\"")
      ])
    )
  )
