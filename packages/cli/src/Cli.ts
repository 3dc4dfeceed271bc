/**
 * The `emcee` command line, built on @effect/cli.
 *
 * @since 0.1.0
 */
import { Command } from "@effect/cli"
import * as Inspect from "./Inspect.js"
import * as Serve from "./Serve.js"

/** The root command with its subcommands. */
export const command = Command.make("emcee").pipe(
  Command.withDescription("Build, run and inspect Model Context Protocol servers"),
  Command.withSubcommands([Serve.command, Inspect.command])
)

/** Runs the CLI on an argv array. */
export const run = Command.run(command, { name: "emcee", version: "0.1.0" })
