#!/usr/bin/env node
import { ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Option } from "effect"
import * as Cli from "./Cli.js"
import * as CliError from "./CliError.js"

// Errors a user can cause are reported as one line naming what was wrong (CliError, with its exit
// code); anything else is a bug and gets the full cause, on stderr (stdout is protocol under `serve`).
const debug = process.argv.some((arg, i, all) => arg === "--log-level=debug" || (arg === "--log-level" && all[i + 1] === "debug"))

/** Older one-line errors of `serve` (`ModuleError`): a message, exit code 1. */
const isMessageError = (u: unknown): u is { readonly _tag: string; readonly message: string } =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "ModuleError" && typeof (u as { message?: unknown }).message === "string"

Cli.run(process.argv).pipe(
  // @effect/cli has already printed what was wrong with the arguments.
  Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => void (process.exitCode = CliError.ExitCode.usage))),
  Effect.provide(NodeContext.layer),
  Effect.catchAllCause((cause) => {
    const failure: unknown = Option.getOrUndefined(Cause.failureOption(cause as Cause.Cause<unknown>))
    if (failure instanceof CliError.CliError) {
      const detail = debug && failure.cause !== undefined ? `\n${failure.cause instanceof Error ? failure.cause.stack : String(failure.cause)}` : ""
      return Effect.sync(() => {
        process.stderr.write(`emcee ${failure.command}: ${failure.message}${detail}\n`)
        process.exitCode = failure.exitCode
      })
    }
    if (isMessageError(failure)) {
      return Effect.sync(() => {
        process.stderr.write(`emcee serve: ${failure.message}\n`)
        process.exitCode = CliError.ExitCode.user
      })
    }
    return Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.sync(() => {
      process.stderr.write(`emcee: fatal error\n${Cause.pretty(cause, { renderErrorCause: true })}\n`)
      process.exitCode = 1
    })
  }),
  NodeRuntime.runMain
)
