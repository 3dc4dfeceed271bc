/**
 * `emcee read <target> URI [--out FILE]`: reads a resource of any MCP server
 * (spec server/resources "Reading Resources"). Text contents are printed as
 * they are; binary contents (`blob`) as their size and MIME type, or written
 * to `--out FILE` as bytes (the one content the server returned; text is
 * written as UTF-8). `--json` prints the whole result.
 *
 * @since 0.3.0
 */
import { Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { CliError, ExitCode } from "./CliError.js"
import * as Format from "./internal/format.js"
import * as TargetRun from "./internal/targetRun.js"
import * as Target from "./Target.js"

const out = Options.text("out").pipe(
  Options.withAlias("o"),
  Options.withPseudoName("file"),
  Options.withDescription("Write the resource's bytes to this file instead of printing it"),
  Options.optional
)

/** The `read` command. */
export const command = Command.make(
  "read",
  { ...Target.options, out, target: TargetRun.positionals("The server (URL, \"command line\", or -- command… last), then the resource URI") },
  (args) =>
    TargetRun.withConnection("read", args, 1, (connection, [uri]) =>
      Effect.gen(function*() {
        const result = yield* connection.run(connection.client.readResource(uri!))
        if (Option.isSome(args.out)) {
          const file = args.out.value
          if (result.contents.length !== 1) {
            return yield* new CliError({
              command: "read",
              message: `--out ${file}: ${uri} has ${result.contents.length} contents, not one; use --json to see them all`,
              exitCode: ExitCode.user
            })
          }
          const contents = result.contents[0]!
          const bytes = Format.isBlob(contents) ? Buffer.from(contents.blob, "base64") : Buffer.from(Format.resourceContents(contents), "utf8")
          const fs = yield* FileSystem.FileSystem
          yield* fs.writeFile(file, bytes).pipe(
            Effect.mapError((e) => new CliError({ command: "read", message: `--out ${file}: cannot write the file (${e.message})`, exitCode: ExitCode.user, cause: e }))
          )
          return yield* Console.error(`wrote ${bytes.length} bytes${contents.mimeType === undefined ? "" : ` (${contents.mimeType})`} to ${file}`)
        }
        yield* Console.log(args.json ? JSON.stringify(result, null, 2) : result.contents.map(Format.resourceContents).join("\n"))
      }))
).pipe(
  Command.withDescription(
    TargetRun.help(
      "Read a resource of any MCP server: text as is, binary as its size and type, or to a file with --out.",
      [
        "emcee read http://127.0.0.1:3000/mcp file:///notes/today.md",
        "emcee read \"node server.js\" test://static-binary --out image.png",
        "emcee read test://static-text --json -- node server.js"
      ],
      [TargetRun.targetNote]
    )
  )
)
