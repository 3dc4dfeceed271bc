/**
 * `emcee call <target> TOOL [--arg k=v …] [--json-args '{…}']`: calls a
 * tool of any MCP server (spec server/tools "Calling Tools").
 *
 * Arguments: `--json-args` gives the whole arguments object; each `--arg
 * k=v` sets one key on top of it, its value coerced by the tool's
 * `inputSchema` (a property whose schema admits only number, integer,
 * boolean, array, object or null is parsed as JSON; anything else stays a
 * string). Bad JSON or a malformed `--arg` is a user error (exit 1) naming
 * the flag.
 *
 * Output: the content blocks for people (text as is, images and audio as
 * `[image/png 1234 bytes]`, resource links and embedded resources by URI,
 * `structuredContent` as pretty JSON), the whole result with `--json`. A
 * result with `isError: true` (spec server/tools "Error Handling") is printed,
 * then the command exits 5.
 *
 * @since 0.3.0
 */
import { Command, Options } from "@effect/cli"
import type { JsonRpc, McpSchema } from "@emcee/core"
import { Console, Effect, Option } from "effect"
import { CliError, ExitCode } from "./CliError.js"
import * as Format from "./internal/format.js"
import * as TargetArgs from "./internal/targetArgs.js"
import * as TargetRun from "./internal/targetRun.js"
import * as Target from "./Target.js"

const userError = (message: string) => new CliError({ command: "call", message, exitCode: ExitCode.user })

/**
 * The arguments object of a call: `--json-args` (when given) with each
 * `--arg` on top, coerced by `inputSchema`.
 */
export const buildArguments = (
  pairs: ReadonlyArray<string>,
  jsonArgs: string | undefined,
  inputSchema: unknown
): Effect.Effect<JsonRpc.JsonObject, CliError> =>
  Effect.suspend(() => {
    const base = jsonArgs === undefined ? { ok: true as const, value: {} } : TargetArgs.parseJsonObject("--json-args", jsonArgs)
    if (!base.ok) return Effect.fail(userError(base.message))
    const parsed = TargetArgs.parsePairs("--arg", pairs)
    if (!parsed.ok) return Effect.fail(userError(parsed.message))
    const coerced = TargetArgs.coerceArguments(parsed.value, inputSchema)
    if (!coerced.ok) return Effect.fail(userError(coerced.message))
    return Effect.succeed({ ...base.value, ...coerced.value } as JsonRpc.JsonObject)
  })

/** The first text of an error result, for the one-line message. */
const errorText = (result: McpSchema.CallToolResult): string => {
  const text = result.content.find((c): c is McpSchema.TextContent => c.type === "text")?.text
  return text === undefined ? "" : `: ${Format.oneLine(text).slice(0, 200)}`
}

const arg = Options.text("arg").pipe(
  Options.withPseudoName("key=value"),
  Options.withDescription("One argument (repeatable); the value is parsed as JSON when the tool's inputSchema says it is a number, boolean, array or object"),
  Options.repeated
)
const jsonArgs = Options.text("json-args").pipe(
  Options.withPseudoName("json"),
  Options.withDescription("The whole arguments object as JSON, e.g. '{\"a\": 1}' (--arg values are set on top)"),
  Options.optional
)

/** The `call` command. */
export const command = Command.make(
  "call",
  { ...Target.options, arg, jsonArgs, target: TargetRun.positionals("The server (URL, \"command line\", or -- command… last), then the TOOL name") },
  (args) =>
    // Checked before the server is started: a malformed flag needs no server.
    buildArguments(args.arg, Option.getOrUndefined(args.jsonArgs), undefined).pipe(Effect.zipRight(
      TargetRun.withConnection("call", args, 1, (connection, [tool]) =>
      Effect.gen(function*() {
        const name = tool!
        // The schema is needed only to coerce --arg values.
        const inputSchema = args.arg.length === 0
          ? undefined
          : (yield* connection.run(connection.client.listAllTools())).find((t) => t.name === name)?.inputSchema
        const toolArgs = yield* buildArguments(args.arg, Option.getOrUndefined(args.jsonArgs), inputSchema)
        const result = yield* connection.run(connection.client.callTool(name, toolArgs))
        yield* Console.log(args.json ? JSON.stringify(result, null, 2) : Format.callResult(result))
        if (result.isError === true) {
          return yield* new CliError({ command: "call", message: `the tool ${name} returned an error${errorText(result)}`, exitCode: ExitCode.toolError })
        }
      }))
    ))
).pipe(
  Command.withDescription(
    TargetRun.help(
      "Call a tool of any MCP server and print its result (exit 5 when the result has isError).",
      [
        "emcee call http://127.0.0.1:3000/mcp echo --arg message=hello",
        "emcee call \"node server.js\" add --arg a=1 --arg b=2 --json",
        "emcee call search --json-args '{\"query\": \"mcp\", \"limit\": 5}' -- node server.js",
        "emcee call https://example.com/mcp whoami --bearer $TOKEN"
      ],
      [TargetRun.targetNote]
    )
  )
)
