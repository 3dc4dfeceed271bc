/**
 * `emcee inspect`: connects to any MCP server (a command over stdio, or a
 * Streamable HTTP URL), initializes, and prints what it offers: server info,
 * capabilities, instructions, tools, resources, resource templates and
 * prompts, as text or JSON.
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { McpClient, type McpSchema } from "@emcee/core"
import { HttpClientTransport, StdioClientTransport } from "@emcee/transport"
import { Console, Data, Effect, Option } from "effect"

/** The command line named no server, or an unusable one. */
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
  Options.withDescription("A Streamable HTTP endpoint, e.g. http://127.0.0.1:3000/mcp"),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withDescription("Print the report as JSON"))
const command_ = Args.text({ name: "command" }).pipe(
  Args.withDescription("A command that starts a stdio server, with its arguments (after --)"),
  Args.repeated
)

const clientInfo = { name: "emcee-inspect", version: "0.1.0" }

/** The `inspect` command. */
export const command = Command.make("inspect", { url, json, command: command_ }, (args) =>
  Effect.gen(function*() {
    const [program, ...rest] = args.command
    if (Option.isSome(args.url) === (program !== undefined)) {
      return yield* new InspectError({
        message: "emcee inspect: give either --url <http endpoint> or a server command after --, e.g. `emcee inspect -- node server.js`"
      })
    }
    const transport = Option.isSome(args.url)
      ? yield* HttpClientTransport.make({ url: args.url.value })
      : yield* StdioClientTransport.make({ command: program!, args: rest, stderr: "inherit" })
    const client = yield* McpClient.make({ transport, clientInfo })
    const r = yield* report(client)
    yield* Console.log(args.json ? JSON.stringify(r, null, 2) : format(r))
  }).pipe(
    Effect.scoped,
    Effect.catchTags({
      TransportError: (e) => new InspectError({ message: `emcee inspect: cannot reach the server: ${e.message}` }),
      McpClientError: (e) => new InspectError({ message: `emcee inspect: the server answered ${e.code}: ${e.message}` })
    })
  )).pipe(Command.withDescription("Connect to an MCP server and list what it offers"))
