/**
 * `emcee prompt <target> NAME [--arg k=v …]`: renders a prompt of any MCP
 * server (spec server/prompts "Getting a Prompt"): its messages, each under
 * its role, content blocks as `emcee call` prints them; `--json` prints the
 * whole result. Prompt arguments are strings (spec server/prompts
 * "GetPromptRequestParams").
 *
 * @since 0.3.0
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { CliError, ExitCode } from "./CliError.js"
import * as Format from "./internal/format.js"
import * as TargetArgs from "./internal/targetArgs.js"
import * as TargetRun from "./internal/targetRun.js"
import * as Target from "./Target.js"

const arg = Options.text("arg").pipe(
  Options.withPseudoName("key=value"),
  Options.withDescription("One prompt argument (repeatable)"),
  Options.repeated
)

/** The `prompt` command. */
export const command = Command.make(
  "prompt",
  { ...Target.options, arg, target: TargetRun.positionals("The server (URL, \"command line\", or -- command… last), then the prompt NAME") },
  (args) =>
    Effect.gen(function*() {
      const pairs = TargetArgs.parsePairs("--arg", args.arg)
      if (!pairs.ok) return yield* new CliError({ command: "prompt", message: pairs.message, exitCode: ExitCode.user })
      const promptArgs = Object.fromEntries(pairs.value)
      return yield* TargetRun.withConnection("prompt", args, 1, (connection, [name]) =>
        Effect.gen(function*() {
          const result = yield* connection.run(connection.client.getPrompt(name!, pairs.value.length === 0 ? undefined : promptArgs))
          yield* Console.log(args.json ? JSON.stringify(result, null, 2) : Format.promptResult(result))
        }))
    })
).pipe(
  Command.withDescription(
    TargetRun.help(
      "Render a prompt of any MCP server: its messages, each under its role.",
      [
        "emcee prompt http://127.0.0.1:3000/mcp greeting --arg name=Ada",
        "emcee prompt \"node server.js\" summarize --arg topic=mcp --json",
        "emcee prompt test_simple_prompt -- node server.js"
      ],
      [TargetRun.targetNote]
    )
  )
)
