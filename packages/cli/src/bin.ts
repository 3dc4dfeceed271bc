#!/usr/bin/env node
import { ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect } from "effect"
import * as Cli from "./Cli.js"

// Errors a user can cause are reported as one line naming what was wrong; anything else is a bug
// and gets the full cause, on stderr.
Cli.run(process.argv).pipe(
  // @effect/cli has already printed what was wrong with the arguments.
  Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => void (process.exitCode = 1))),
  Effect.catchTags({
    InspectError: (e) => Effect.zipRight(Console.error(e.message), Effect.sync(() => void (process.exitCode = 1))),
    ModuleError: (e) => Effect.zipRight(Console.error(`emcee serve: ${e.message}`), Effect.sync(() => void (process.exitCode = 1)))
  }),
  Effect.provide(NodeContext.layer),
  // runMain would log anything else with its pretty logger, on stdout: stdout is protocol under `serve`.
  Effect.catchAllCause((cause) =>
    Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.sync(() => {
      process.stderr.write(`emcee: fatal error\n${Cause.pretty(cause, { renderErrorCause: true })}\n`)
      process.exitCode = 1
    })
  ),
  NodeRuntime.runMain
)
