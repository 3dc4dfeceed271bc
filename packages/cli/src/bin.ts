#!/usr/bin/env node
import { ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import * as Cli from "./Cli.js"

// Errors a user can cause are reported as one line naming what was wrong; anything else is a bug
// and gets the full cause from runMain.
Cli.run(process.argv).pipe(
  // @effect/cli has already printed what was wrong with the arguments.
  Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => void (process.exitCode = 1))),
  Effect.catchTags({
    InspectError: (e) => Effect.zipRight(Console.error(e.message), Effect.sync(() => void (process.exitCode = 1))),
    ModuleError: (e) => Effect.zipRight(Console.error(`emcee serve: ${e.message}`), Effect.sync(() => void (process.exitCode = 1)))
  }),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
