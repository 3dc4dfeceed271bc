/**
 * `emcee docs`: a Markdown (or JSON) reference of an MCP server, from an app
 * module, a running server or a manifest file: server name, version and
 * instructions, capabilities, then every tool with its description,
 * annotations (spec server/tools "Tool": readOnly, destructive, idempotent
 * and openWorld hints, with the spec's defaults when absent), an arguments
 * table generated from its input JSON Schema (name, type, required,
 * description, constraints) and its output schema; prompts with their
 * arguments; resources and resource templates.
 *
 * The output is deterministic — sorted by name, no timestamps — so it can be
 * committed and diffed.
 *
 * @since 0.3.0
 */
import { Command, HelpDoc, Options } from "@effect/cli"
import { Effect } from "effect"
import * as DocsMarkdown from "./internal/docsMarkdown.js"
import * as Source from "./internal/manifestSource.js"
import * as Manifest from "./Manifest.js"

/** The Markdown reference of a manifest (sorted first; no timestamps). */
export const markdown = (manifest: Manifest.Manifest): string => DocsMarkdown.render(Manifest.sorted(manifest))

/** The JSON reference: the sorted manifest without `generatedAt`, two-space indented. */
export const json = (manifest: Manifest.Manifest): string => {
  const { generatedAt: _generatedAt, ...rest } = Manifest.sorted(manifest)
  return `${JSON.stringify(rest, null, 2)}\n`
}

const format = Options.choice("format", ["markdown", "json"]).pipe(
  Options.withDescription("markdown (default) or json"),
  Options.withDefault("markdown" as const)
)

/** The `docs` command. */
export const command = Command.make(
  "docs",
  { ...Source.options, manifest: Source.manifestFile, format, out: Source.out },
  (args) =>
    Effect.gen(function*() {
      const manifest = yield* Source.load(
        "docs",
        args,
        args.manifest,
        (file) => Manifest.readFile(file, "docs"),
        (client) => Manifest.fromClient(client)
      )
      yield* Manifest.output("docs", args.format === "json" ? json(manifest) : markdown(manifest), args.out)
    })
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Write a Markdown (or JSON) reference of an MCP server: server info and instructions, every tool with its annotations, an arguments table from its JSON Schema and its output schema, prompts with their arguments, resources and templates. Sorted by name and without timestamps, so it can be committed."
      ),
      HelpDoc.p("Examples:"),
      HelpDoc.p("  emcee docs examples/everything/dist/server.js --out docs/TOOLS.md"),
      HelpDoc.p("  emcee docs --manifest mcp-manifest.json"),
      HelpDoc.p("  emcee docs --url http://127.0.0.1:3000/mcp --format json"),
      HelpDoc.p("  emcee docs -- node server.js")
    ])
  )
)
