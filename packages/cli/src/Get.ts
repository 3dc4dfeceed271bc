/**
 * `emcee get <target> tool|prompt|resource|resource-template NAME`: one
 * primitive of an MCP server with its JSON Schemas (a tool's `inputSchema`,
 * `outputSchema` and annotations, spec server/tools "Tool"; a prompt's
 * arguments, spec server/prompts "Prompt"; a resource or template, spec
 * server/resources). Pretty text for people, the primitive as the server
 * sent it with `--json`. A name the server does not list is a user error
 * (exit 1) naming it and the names there are.
 *
 * Resources are found by URI or name; templates by name or URI template.
 *
 * @since 0.3.0
 */
import { Command } from "@effect/cli"
import type { McpSchema } from "@emcee/core"
import { Console, Effect } from "effect"
import { CliError, ExitCode } from "./CliError.js"
import * as Format from "./internal/format.js"
import * as TargetRun from "./internal/targetRun.js"
import * as Target from "./Target.js"

/** What `get` shows. */
export const kinds = ["tool", "prompt", "resource", "resource-template"] as const

/** One of `kinds`. */
export type Kind = (typeof kinds)[number]

/** A primitive, tagged by kind. */
export type Primitive =
  | { readonly kind: "tool"; readonly value: McpSchema.Tool }
  | { readonly kind: "prompt"; readonly value: McpSchema.Prompt }
  | { readonly kind: "resource"; readonly value: McpSchema.Resource }
  | { readonly kind: "resource-template"; readonly value: McpSchema.ResourceTemplate }

const notFound = (kind: Kind, name: string, names: ReadonlyArray<string>) =>
  new CliError({
    command: "get",
    message: `the server has no ${kind} ${JSON.stringify(name)}${
      names.length === 0 ? ` (it lists no ${kind}s)` : `; it has: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}`
    }`,
    exitCode: ExitCode.user
  })

/** Finds one primitive on a connected server. */
export const find = (connection: Target.Connection, kind: Kind, name: string): Effect.Effect<Primitive, CliError> => {
  const client = connection.client
  switch (kind) {
    case "tool":
      return Effect.flatMap(connection.run(client.listAllTools()), (all) => {
        const found = all.find((t) => t.name === name)
        return found === undefined ? Effect.fail(notFound(kind, name, all.map((t) => t.name))) : Effect.succeed({ kind, value: found })
      })
    case "prompt":
      return Effect.flatMap(connection.run(client.listAllPrompts()), (all) => {
        const found = all.find((p) => p.name === name)
        return found === undefined ? Effect.fail(notFound(kind, name, all.map((p) => p.name))) : Effect.succeed({ kind, value: found })
      })
    case "resource":
      return Effect.flatMap(connection.run(client.listAllResources()), (all) => {
        const found = all.find((r) => r.uri === name) ?? all.find((r) => r.name === name)
        return found === undefined ? Effect.fail(notFound(kind, name, all.map((r) => r.uri))) : Effect.succeed({ kind, value: found })
      })
    case "resource-template":
      return Effect.flatMap(connection.run(client.listAllResourceTemplates()), (all) => {
        const found = all.find((r) => r.name === name) ?? all.find((r) => r.uriTemplate === name)
        return found === undefined ? Effect.fail(notFound(kind, name, all.map((r) => r.name))) : Effect.succeed({ kind, value: found })
      })
  }
}

const hints = (annotations: McpSchema.ToolAnnotations | undefined): string | undefined => {
  if (annotations === undefined) return undefined
  const entries = Object.entries(annotations).filter(([k]) => k !== "title")
  return entries.length === 0 ? undefined : entries.map(([k, v]) => (v === true ? k : `${k}=${JSON.stringify(v)}`)).join(", ")
}

/** One primitive for people. */
export const format = (primitive: Primitive): string => {
  switch (primitive.kind) {
    case "tool": {
      const t = primitive.value
      return [
        `tool ${t.name}`,
        ...Format.fields([
          ["title", t.title ?? t.annotations?.title],
          ["description", t.description],
          ["annotations", hints(t.annotations)],
          ["execution", t.execution]
        ]),
        ...Format.jsonSection("input schema", t.inputSchema),
        ...Format.jsonSection("output schema", t.outputSchema)
      ].join("\n")
    }
    case "prompt": {
      const p = primitive.value
      const args = p.arguments ?? []
      return [
        `prompt ${p.name}`,
        ...Format.fields([["title", p.title], ["description", p.description]]),
        args.length === 0
          ? "arguments: none"
          : `arguments:\n${
            Format.table(["NAME", "REQUIRED", "DESCRIPTION"], args.map((a) => [a.name, a.required === true ? "yes" : "no", a.description ?? ""]))
              .split("\n").map((l) => `  ${l}`).join("\n")
          }`
      ].join("\n")
    }
    case "resource": {
      const r = primitive.value
      return [
        `resource ${r.uri}`,
        ...Format.fields([["name", r.name], ["title", r.title], ["description", r.description], ["mimeType", r.mimeType], ["size", r.size], [
          "annotations",
          r.annotations
        ]])
      ].join("\n")
    }
    case "resource-template": {
      const r = primitive.value
      return [
        `resource template ${r.name}`,
        ...Format.fields([["uriTemplate", r.uriTemplate], ["title", r.title], ["description", r.description], ["mimeType", r.mimeType], [
          "annotations",
          r.annotations
        ]])
      ].join("\n")
    }
  }
}

const isKind = (s: string): s is Kind => (kinds as ReadonlyArray<string>).includes(s)

/** The `get` command. */
export const command = Command.make(
  "get",
  { ...Target.options, target: TargetRun.positionals("The server (URL, \"command line\", or -- command… last), then tool|prompt|resource|resource-template and the NAME") },
  (args) =>
    TargetRun.withConnection("get", args, 2, (connection, [kind, name]) =>
      Effect.gen(function*() {
        if (!isKind(kind!)) {
          return yield* new CliError({
            command: "get",
            message: `${JSON.stringify(kind)} is not a kind of primitive: use tool, prompt, resource or resource-template`,
            exitCode: ExitCode.user
          })
        }
        const primitive = yield* find(connection, kind, name!)
        yield* Console.log(args.json ? JSON.stringify(primitive.value, null, 2) : format(primitive))
      }), (positionals) => isKind(positionals[0]!) && !isKind(positionals[1]!))
).pipe(
  Command.withDescription(
    TargetRun.help(
      "Show one tool, prompt, resource or resource template of any MCP server, with its JSON Schemas and annotations.",
      [
        "emcee get http://127.0.0.1:3000/mcp tool echo",
        "emcee get \"node server.js\" prompt greeting --json",
        "emcee get resource-template notes -- node server.js"
      ],
      [TargetRun.targetNote]
    )
  )
)
