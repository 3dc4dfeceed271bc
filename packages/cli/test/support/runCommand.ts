/**
 * Runs `emcee` subcommands in-process the way `bin.ts` runs the binary:
 * the subcommands under a root `emcee` command, output captured through
 * Effect's `Console`, and the exit code of a `CliError`.
 */
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { Cause, Effect, Exit, Option } from "effect"
import { CliError } from "../../src/CliError.js"

/** What a run printed and how it ended. */
export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * `emcee <prefix…> <args…>` on `cli` (a root `emcee` command with the
 * subcommands under test): a `CliError` becomes its
 * line on stderr and its exit code; a parser error (printed by @effect/cli)
 * exit code 1; anything else its cause on stderr and exit code 1.
 */
export const runner = <Name extends string, R extends NodeContext.NodeContext, E, A>(
  cli: Command.Command<Name, R, E, A>,
  ...prefix: ReadonlyArray<string>
) => {
  return async (...args: ReadonlyArray<string>): Promise<Ran> => {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const base = Effect.runSync(Effect.console)
    const console = {
      ...base,
      log: (...xs: ReadonlyArray<unknown>) => Effect.sync(() => void stdout.push(xs.join(" "))),
      error: (...xs: ReadonlyArray<unknown>) => Effect.sync(() => void stderr.push(xs.join(" ")))
    }
    const program = Command.run(cli, { name: "emcee", version: "0" })(["node", "emcee", ...prefix, ...args]).pipe(
      Effect.provide(NodeContext.layer),
      Effect.withConsole(console)
    ) as Effect.Effect<void, unknown>
    const exit = await Effect.runPromiseExit(program)
    let code = 0
    if (Exit.isFailure(exit)) {
      const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
      if (failure instanceof CliError) {
        stderr.push(`emcee ${failure.command}: ${failure.message}`)
        code = failure.exitCode
      } else {
        stderr.push(Cause.pretty(exit.cause))
        code = 1
      }
    }
    return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") }
  }
}
