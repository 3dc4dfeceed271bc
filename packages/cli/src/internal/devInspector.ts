/**
 * The MCP Inspector command lines of `emcee dev --inspect` (pure, so tests
 * check what would run without downloading the Inspector), and running one.
 *
 * - stdio: the Inspector starts the server itself, so it is given the
 *   command: `npx --yes @modelcontextprotocol/inspector [-e K=V…] -- <node> <emcee bin> dev <abs path> --transport stdio …`.
 *   Everything after `--` is the server's command line (the Inspector's
 *   own flags stay before it). `EMCEE_*` variables are passed with `-e`
 *   (the Inspector gives the server a reduced environment).
 * - Streamable HTTP: emcee serves, and the Inspector is opened on its URL:
 *   `npx --yes @modelcontextprotocol/inspector --transport http --server-url <url>`.
 *
 * @internal
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as CliError from "../CliError.js"
import type * as Config from "../Config.js"

/** A program and its arguments. */
export interface CommandLine {
  readonly command: string
  readonly args: ReadonlyArray<string>
}

/** The npm package of the Inspector. */
export const inspectorPackage = "@modelcontextprotocol/inspector"

/** The flags of `emcee dev` to give the server the Inspector starts (stdio: no HTTP flags, no --inspect). */
export const stdioFlags = (flags: Config.Flags): Array<string> => [
  "--transport",
  "stdio",
  ...(flags.shutdownTimeout === undefined ? [] : ["--shutdown-timeout", flags.shutdownTimeout]),
  ...Object.entries(flags.set ?? {}).flatMap(([key, value]) => ["--set", `${key}=${value}`])
]

/** The Inspector starting `emcee dev` over stdio itself. */
export const stdioCommand = (options: {
  /** Absolute path of `node`. */
  readonly node: string
  /** Absolute path of the emcee binary (`dist/bin.js`). */
  readonly bin: string
  /** Absolute path of the folder. */
  readonly dir: string
  readonly flags: Config.Flags
  /** The environment whose `EMCEE_*` variables are passed on. */
  readonly env?: Readonly<Record<string, string | undefined>>
}): CommandLine => ({
  command: "npx",
  args: [
    "--yes",
    inspectorPackage,
    ...Object.entries(options.env ?? {})
      .filter((entry): entry is [string, string] => entry[0].startsWith("EMCEE_") && entry[1] !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([key, value]) => ["-e", `${key}=${value}`]),
    "--",
    options.node,
    options.bin,
    "dev",
    options.dir,
    ...stdioFlags(options.flags)
  ]
})

/** The Inspector opened on a Streamable HTTP server. */
export const httpCommand = (url: string): CommandLine => ({
  command: "npx",
  args: ["--yes", inspectorPackage, "--transport", "http", "--server-url", url]
})

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)

/** A command line as a shell would take it. */
export const format = (line: CommandLine): string => [line.command, ...line.args].map(quote).join(" ")

/**
 * Runs `line` with the terminal (stdin, stdout and stderr inherited) until
 * it exits; the Inspector's exit code is passed on. Interrupting stops it.
 * `npx` missing is one line saying what to run.
 */
export const run = (line: CommandLine, command = "dev"): Effect.Effect<number, CliError.CliError> =>
  Effect.async<number, CliError.CliError>((resume) => {
    const child = spawn(line.command, [...line.args], { stdio: "inherit" })
    child.on("error", (error) =>
      resume(Effect.fail(CliError.user(command, `cannot start the MCP Inspector (${error.message}); install Node.js with npm, or run it yourself: ${format(line)}`, error))))
    child.on("exit", (code, signal) => resume(Effect.succeed(code ?? (signal === null ? 0 : 1))))
    return Effect.sync(() => void child.kill("SIGTERM"))
  })
