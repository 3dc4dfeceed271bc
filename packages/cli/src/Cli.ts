/**
 * The `emcee` command line, built on @effect/cli.
 *
 * @since 0.1.0
 */
import { Command, HelpDoc } from "@effect/cli"
import * as Call from "./Call.js"
import * as Config from "./Config.js"
import * as Dev from "./Dev.js"
import * as Docs from "./Docs.js"
import * as Gateway from "./Gateway.js"
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
import { version } from "./internal/version.js"

/** The root command with its subcommands. */
export const command = Command.make("emcee").pipe(
  Command.withDescription(HelpDoc.blocks([
    HelpDoc.p("Build, run, inspect and install Model Context Protocol servers. `emcee <command> --help` shows each command's options and examples."),
    HelpDoc.p("Examples:"),
    HelpDoc.p("  emcee init my-server && cd my-server        # a project with a first tool and its test"),
    HelpDoc.p("  emcee dev                                   # serve this folder over stdio, reloading edited tools in place"),
    HelpDoc.p("  emcee serve . --http --port 8080            # Streamable HTTP on 127.0.0.1:8080/mcp"),
    HelpDoc.p("  emcee list http://127.0.0.1:8080/mcp tools  # any server: a URL, or a command after --"),
    HelpDoc.p("  emcee call echo --arg text=hi -- node dist/server.js"),
    HelpDoc.p("  emcee install claude-desktop .              # into a client's configuration, with absolute paths"),
    HelpDoc.p("  emcee lint --fail-on warning -- node dist/server.js  # a static check of the tools' surface"),
    HelpDoc.p("  emcee gateway --backend a=\"node a.js\" --backend b=http://127.0.0.1:3001/mcp  # many servers behind one")
  ])),
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
    Lint.command,
    Gateway.command
  ])
)

/** Runs the CLI on an argv array. */
export const run = Command.run(command, { name: "emcee", version })
