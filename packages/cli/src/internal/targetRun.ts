/**
 * The shape every target command shares: split the positionals into target
 * and operands, check the shared options, connect for the life of the
 * command, run the body.
 *
 * @internal
 */
import { Args, HelpDoc } from "@effect/cli"
import { Effect } from "effect"
import type { CliError } from "../CliError.js"
import * as Target from "../Target.js"

/** The positional arguments of a target command: the target and the operands, in one of the forms of `Target`. */
export const positionals = (description: string) =>
  Args.text({ name: "target" }).pipe(Args.withDescription(description), Args.repeated)

/** A description with an "Examples:" block, for `Command.withDescription`. */
export const help = (summary: string, examples: ReadonlyArray<string>, notes: ReadonlyArray<string> = []): HelpDoc.HelpDoc =>
  HelpDoc.blocks([
    HelpDoc.p(summary),
    ...notes.map((n) => HelpDoc.p(n)),
    HelpDoc.p("Examples:"),
    ...examples.map((e) => HelpDoc.p(`  ${e}`))
  ])

/** The note every target command's help carries. */
export const targetNote =
  "The server is a URL (http://host:port/mcp), a command line in one quoted argument (\"node server.js\"), or a command after -- placed after the other arguments. Exit codes: 3 the server cannot be started or reached, 4 it answered a JSON-RPC error."

/** Connects to the target named in `args` and runs `body` with the connection; the server stops when it returns. */
export const withConnection = <A, R = never>(
  command: string,
  args: Target.OptionValues & { readonly target: ReadonlyArray<string> },
  operands: number,
  body: (connection: Target.Connection, operands: ReadonlyArray<string>, options: Target.ConnectOptions) => Effect.Effect<A, CliError, R>,
  operandsFirst?: (positionals: ReadonlyArray<string>) => boolean
): Effect.Effect<A, CliError, R> =>
  Effect.gen(function*() {
    const options = yield* Target.connectOptions(command, args)
    const split = yield* Target.split(command, args.target, operands, operandsFirst)
    const connection = yield* Target.connect(command, split.target, options)
    return yield* body(connection, split.operands, options)
  }).pipe(Effect.scoped)
