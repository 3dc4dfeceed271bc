/**
 * How the target commands answer the server's own requests (spec
 * 2025-11-25 client/sampling, client/elicitation, client/roots; under
 * 2026-07-28 the same questions arrive as `inputRequests`, spec 2026-07-28
 * basic/patterns/mrtr).
 *
 * - Elicitation: on a terminal, each field is asked on stderr/stdin;
 *   otherwise it is declined (`action: "decline"`) and a line on stderr says so.
 * - Sampling: emcee has no model. It answers the fixed `--sampling-reply`
 *   text when given, and otherwise refuses with code -1 ("User rejected
 *   sampling request", spec client/sampling "Error Handling").
 * - Roots: the `--root` directories as `file://` URIs (none by default).
 *
 * @internal
 */
import { createInterface } from "node:readline/promises"
import { pathToFileURL } from "node:url"
import { resolve } from "node:path"
import { McpClient, type McpSchema } from "@emcee/core"
import { Console, Effect } from "effect"

/** What the handlers need to know. */
export interface HandlerOptions {
  /** The subcommand, for the stderr lines (`emcee call: …`). */
  readonly command: string
  /** Whether a person can answer on the terminal. */
  readonly interactive: boolean
  readonly samplingReply: string | undefined
  readonly roots: ReadonlyArray<string>
}

/** Asks questions on the terminal (stderr, so stdout keeps only results). */
const ask = (questions: (question: (text: string) => Promise<string>) => Promise<McpSchema.ElicitResult>) =>
  Effect.tryPromise({
    try: async () => {
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
      try {
        return await questions((text) => rl.question(text))
      } finally {
        rl.close()
      }
    },
    catch: (error) => new McpClient.McpClientError({ code: -1, message: `Could not ask on the terminal: ${error instanceof Error ? error.message : String(error)}` })
  })

type Field = McpSchema.PrimitiveSchemaDefinition

const optionsOf = (field: Field): ReadonlyArray<string> | undefined => {
  const f = field as { readonly enum?: ReadonlyArray<string>; readonly oneOf?: ReadonlyArray<{ readonly const: string }> }
  if (Array.isArray(f.enum)) return f.enum
  if (Array.isArray(f.oneOf)) return f.oneOf.map((o) => o.const)
  return undefined
}

const itemOptionsOf = (field: Field): ReadonlyArray<string> | undefined => {
  const items = (field as { readonly items?: { readonly enum?: ReadonlyArray<string>; readonly anyOf?: ReadonlyArray<{ readonly const: string }> } }).items
  if (items === undefined) return undefined
  if (Array.isArray(items.enum)) return items.enum
  if (Array.isArray(items.anyOf)) return items.anyOf.map((o) => o.const)
  return undefined
}

/** A typed answer for one field, or a reason to ask again. */
const readField = (field: Field, text: string): { readonly value: string | number | boolean | ReadonlyArray<string> } | { readonly retry: string } => {
  switch (field.type) {
    case "number":
    case "integer": {
      const n = Number(text)
      if (text.trim() === "" || Number.isNaN(n) || (field.type === "integer" && !Number.isInteger(n))) return { retry: `expected ${field.type === "integer" ? "an integer" : "a number"}` }
      return { value: n }
    }
    case "boolean": {
      const t = text.trim().toLowerCase()
      if (["y", "yes", "true", "1"].includes(t)) return { value: true }
      if (["n", "no", "false", "0"].includes(t)) return { value: false }
      return { retry: "expected yes or no" }
    }
    case "array": {
      const values = text.split(",").map((v) => v.trim()).filter((v) => v !== "")
      const allowed = itemOptionsOf(field)
      const wrong = allowed === undefined ? undefined : values.find((v) => !allowed.includes(v))
      return wrong === undefined ? { value: values } : { retry: `${JSON.stringify(wrong)} is not one of ${allowed!.join(", ")}` }
    }
    default: {
      const allowed = optionsOf(field)
      return allowed === undefined || allowed.includes(text) ? { value: text } : { retry: `expected one of ${allowed.join(", ")}` }
    }
  }
}

/** spec client/elicitation "Form Mode": asks each field of `requestedSchema`; an empty answer keeps the default or skips an optional field. */
const askForm = (params: McpSchema.ElicitRequestFormParams) =>
  ask(async (question) => {
    process.stderr.write(`\nThe server asks: ${params.message}\n`)
    const go = (await question("Answer? [Y]es, [n]o (decline), [c]ancel: ")).trim().toLowerCase()
    if (go === "n" || go === "no") return { action: "decline" }
    if (go === "c" || go === "cancel") return { action: "cancel" }
    const required = new Set(params.requestedSchema.required ?? [])
    const content: { [key: string]: string | number | boolean | ReadonlyArray<string> } = {}
    for (const [name, field] of Object.entries(params.requestedSchema.properties)) {
      const label = field.title ?? name
      const choices = optionsOf(field) ?? itemOptionsOf(field)
      const def = (field as { readonly default?: unknown }).default
      const hint = [
        field.description,
        choices === undefined ? undefined : `${field.type === "array" ? "comma-separated, " : ""}one of: ${choices.join(", ")}`,
        field.type === "boolean" ? "y/n" : undefined,
        def === undefined ? undefined : `default ${JSON.stringify(def)}`,
        required.has(name) ? "required" : undefined
      ].filter((s) => s !== undefined).join("; ")
      for (;;) {
        const text = await question(`${label}${hint === "" ? "" : ` (${hint})`}: `)
        if (text === "") {
          if (def !== undefined) {
            content[name] = def as string
            break
          }
          if (!required.has(name)) break
          process.stderr.write("  this field is required\n")
          continue
        }
        const read = readField(field, text)
        if ("value" in read) {
          content[name] = read.value
          break
        }
        process.stderr.write(`  ${read.retry}\n`)
      }
    }
    return { action: "accept", content: content as McpSchema.ElicitResult["content"] }
  })

/** spec client/elicitation "URL Mode": shows the URL; the person opens it and says when done. */
const askUrl = (params: McpSchema.ElicitRequestURLParams) =>
  ask(async (question) => {
    process.stderr.write(`\nThe server asks: ${params.message}\nOpen this URL: ${params.url}\n`)
    const answer = (await question("Press Enter when done, or type n to decline: ")).trim().toLowerCase()
    return answer === "n" || answer === "no" ? { action: "decline" } : { action: "accept" }
  })

/** The handlers `McpClient.make` is given. */
export const make = (options: HandlerOptions): McpClient.Handlers => ({
  elicitation: (params) =>
    options.interactive
      ? (params.mode === "url" ? askUrl(params) : askForm(params))
      : Console.error(
        `emcee ${options.command}: the server asked for input (${JSON.stringify(params.message)}); declined because stdin is not a terminal`
      ).pipe(Effect.as({ action: "decline" } as const)),
  sampling: (params) =>
    options.samplingReply !== undefined
      ? Effect.succeed({ role: "assistant", content: { type: "text", text: options.samplingReply }, model: "emcee-cli", stopReason: "endTurn" })
      : Console.error(
        `emcee ${options.command}: the server asked for an LLM completion (sampling, ${params.messages.length} message(s)); refused: emcee has no model, give --sampling-reply TEXT to answer with fixed text`
      ).pipe(
        Effect.zipRight(Effect.fail(new McpClient.McpClientError({ code: -1, message: "User rejected sampling request: the emcee CLI has no model (--sampling-reply not given)" })))
      ),
  roots: () => Effect.succeed({ roots: options.roots.map((dir) => ({ uri: pathToFileURL(resolve(dir)).href, name: dir })) })
})
