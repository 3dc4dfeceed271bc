/**
 * What the `emcee` binary reports when something a user can fix went wrong:
 * one line on stderr naming the file, flag, key or target and what to do,
 * and a distinct exit code, so scripts can tell the cases apart.
 *
 * | code | meaning |
 * |---:|---|
 * | 0 | success |
 * | 1 | a user error: missing or broken file, invalid config key or value, unknown template, refused overwrite |
 * | 2 | usage: an unknown flag or command, a missing argument (printed by the parser) |
 * | 3 | the target MCP server cannot be reached or started |
 * | 4 | the server answered a protocol error (JSON-RPC error) |
 * | 5 | a tool call returned `isError: true` |
 * | 6 | `emcee lint` found problems at or above `--fail-on` |
 *
 * Stack traces are shown only at `--log-level debug`.
 *
 * @since 0.3.0
 */
import { Data } from "effect"

/** The exit codes of the binary. */
export const ExitCode = {
  ok: 0,
  user: 1,
  usage: 2,
  connection: 3,
  protocol: 4,
  toolError: 5,
  lint: 6
} as const

/** An exit code of the binary. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** A failure the user can fix: `message` is the one line printed (without the `emcee <command>:` prefix). */
export class CliError extends Data.TaggedError("CliError")<{
  /** The subcommand, for the prefix (`emcee install: …`). */
  readonly command: string
  readonly message: string
  readonly exitCode: ExitCode
  /** The underlying failure, printed only at `--log-level debug`. */
  readonly cause?: unknown
}> {}

/** A user error (exit code 1) of `command`. */
export const user = (command: string, message: string, cause?: unknown): CliError =>
  new CliError({ command, message, exitCode: ExitCode.user, ...(cause === undefined ? {} : { cause }) })
