/**
 * The `emcee` command line, built on @effect/cli.
 *
 * @since 0.1.0
 */
import { Command } from "@effect/cli"
import * as Call from "./Call.js"
import * as Config from "./Config.js"
import * as Dev from "./Dev.js"
import * as Docs from "./Docs.js"
import * as Get from "./Get.js"
import * as Init from "./Init.js"
import * as Inspect from "./Inspect.js"
import * as Install from "./Install.js"
import * as Lint from "./Lint.js"
import * as List from "./List.js"
import * as Manifest from "./Manifest.js"
import * as Prompt from "./Prompt.js"
import * as Read from "./Read.js"
import * as Serve from "./Serve.js"

/** The root command with its subcommands. */
export const command = Command.make("emcee").pipe(
  Command.withDescription("Build, run, inspect and install Model Context Protocol servers"),
  Command.withSubcommands([
    Init.command,
    Serve.command,
    Dev.command,
    Config.command,
    Inspect.command,
    List.command,
    Get.command,
    Call.command,
    Read.command,
    Prompt.command,
    Install.command,
    Manifest.command,
    Docs.command,
    Lint.command
  ])
)

/** Runs the CLI on an argv array. */
export const run = Command.run(command, { name: "emcee", version: "0.3.0" })
