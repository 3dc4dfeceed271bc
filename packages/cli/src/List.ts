/**
 * `emcee list <target> [tools|resources|templates|prompts]`: what an MCP
 * server offers (spec server/tools "Listing Tools", server/resources
 * "Listing Resources" and "Resource Templates", server/prompts "Listing
 * Prompts"), every page followed (spec server/utilities/pagination). Aligned
 * tables for people, cut to the terminal width (80 when not a terminal);
 * `--json` prints the raw lists as `{ tools, resources, resourceTemplates,
 * prompts }` (only the kind asked for, when one is).
 *
 * A list the server does not advertise in its capabilities is empty.
 *
 * @since 0.3.0
 */
import { Command } from "@effect/cli"
import type { McpClient, McpSchema } from "@emcee/core"
import { Console, Effect } from "effect"
import { CliError, ExitCode } from "./CliError.js"
import * as Format from "./internal/format.js"
import * as TargetRun from "./internal/targetRun.js"
import * as Target from "./Target.js"

/** What can be listed. */
export const kinds = ["tools", "resources", "templates", "prompts"] as const

/** One of `kinds`. */
export type Kind = (typeof kinds)[number]

const isKind = (s: string | undefined): s is Kind => s !== undefined && (kinds as ReadonlyArray<string>).includes(s)

/** What `list` found: the lists asked for. */
export interface Lists {
  readonly tools?: ReadonlyArray<McpSchema.Tool>
  readonly resources?: ReadonlyArray<McpSchema.Resource>
  readonly resourceTemplates?: ReadonlyArray<McpSchema.ResourceTemplate>
  readonly prompts?: ReadonlyArray<McpSchema.Prompt>
}

/** Fetches the lists of `which` kinds from a connected server (lists it does not advertise are empty). */
export const fetch = (connection: Target.Connection, which: ReadonlyArray<Kind>): Effect.Effect<Lists, CliError> => {
  const client = connection.client
  const caps = client.serverCapabilities
  const get = <A>(kind: Kind, advertised: boolean, list: () => Effect.Effect<ReadonlyArray<A>, McpClient.McpClientError>) =>
    which.includes(kind)
      ? (advertised ? connection.run(list()) : Effect.succeed<ReadonlyArray<A>>([]))
      : Effect.succeed(undefined)
  return Effect.all({
    tools: get(kinds[0], caps.tools !== undefined, () => client.listAllTools()),
    resources: get(kinds[1], caps.resources !== undefined, () => client.listAllResources()),
    resourceTemplates: get(kinds[2], caps.resources !== undefined, () => client.listAllResourceTemplates()),
    prompts: get(kinds[3], caps.prompts !== undefined, () => client.listAllPrompts())
  }).pipe(
    Effect.map((lists) => Object.fromEntries(Object.entries(lists).filter(([, v]) => v !== undefined)) as Lists)
  )
}

const describeItem = (item: { readonly title?: string | undefined; readonly description?: string | undefined }) =>
  [item.title, item.description].filter((s) => s !== undefined && s !== "").join(" — ")

/** The lists as aligned tables under headings. */
export const format = (lists: Lists, maxWidth: number = Format.width()): string => {
  const sections: Array<string> = []
  const section = (title: string, count: number, body: () => string) =>
    sections.push(count === 0 ? `${title} (0)` : `${title} (${count})\n${body()}`)
  if (lists.tools !== undefined) {
    section("tools", lists.tools.length, () => Format.table(["NAME", "DESCRIPTION"], lists.tools!.map((t) => [t.name, describeItem(t)]), maxWidth))
  }
  if (lists.resources !== undefined) {
    section("resources", lists.resources.length, () =>
      Format.table(["URI", "NAME", "DESCRIPTION"], lists.resources!.map((r) => [r.uri, r.name, describeItem(r)]), maxWidth))
  }
  if (lists.resourceTemplates !== undefined) {
    section("resource templates", lists.resourceTemplates.length, () =>
      Format.table(["URI TEMPLATE", "NAME", "DESCRIPTION"], lists.resourceTemplates!.map((r) => [r.uriTemplate, r.name, describeItem(r)]), maxWidth))
  }
  if (lists.prompts !== undefined) {
    section("prompts", lists.prompts.length, () =>
      Format.table(
        ["NAME", "ARGUMENTS", "DESCRIPTION"],
        lists.prompts!.map((p) => [p.name, (p.arguments ?? []).map((a) => (a.required === true ? a.name : `[${a.name}]`)).join(" "), describeItem(p)]),
        maxWidth
      ))
  }
  return sections.join("\n\n")
}

/** Splits `[kind] target…` or `target [kind]`. */
const parseList = (positionals: ReadonlyArray<string>): { readonly kind: Kind | undefined; readonly target: ReadonlyArray<string>; readonly bad?: string } => {
  if (isKind(positionals[0])) return { kind: positionals[0], target: positionals.slice(1) }
  if (positionals.length === 2 && (Target.isUrl(positionals[0]!) || isKind(positionals[1]))) {
    return isKind(positionals[1]) ? { kind: positionals[1], target: positionals.slice(0, 1) } : { kind: undefined, target: [], bad: positionals[1]! }
  }
  if (positionals.length > 2 && Target.isUrl(positionals[0]!)) return { kind: undefined, target: [], bad: positionals.slice(1).join(" ") }
  return { kind: undefined, target: positionals }
}

/** The `list` command. */
export const command = Command.make(
  "list",
  { ...Target.options, target: TargetRun.positionals("The server (URL, \"command line\", or -- command…) and optionally what to list: tools, resources, templates or prompts") },
  (args) =>
    Effect.gen(function*() {
      const parsed = parseList(args.target)
      if (parsed.bad !== undefined) {
        return yield* new CliError({
          command: "list",
          message: `${JSON.stringify(parsed.bad)} is not something to list: use tools, resources, templates or prompts`,
          exitCode: ExitCode.user
        })
      }
      const which: ReadonlyArray<Kind> = parsed.kind === undefined ? kinds : [parsed.kind]
      const lists = yield* TargetRun.withConnection("list", { ...args, target: parsed.target }, 0, (connection) => fetch(connection, which))
      yield* Console.log(args.json ? JSON.stringify(lists, null, 2) : format(lists))
    })
).pipe(
  Command.withDescription(
    TargetRun.help(
      "List the tools, resources, resource templates and prompts of any MCP server (either revision), as tables or --json.",
      [
        "emcee list http://127.0.0.1:3000/mcp",
        "emcee list http://127.0.0.1:3000/mcp tools --bearer $TOKEN",
        "emcee list \"node server.js\" prompts",
        "emcee list tools --json -- node server.js",
        "emcee list --protocol 2026-07-28 -- npx -y @modelcontextprotocol/server-everything"
      ],
      [TargetRun.targetNote]
    )
  )
)
