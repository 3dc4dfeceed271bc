/**
 * What a server process's entry point needs around a transport: read a
 * duration the way an operator types it, and report a start that failed as
 * one line on stderr (never on stdout, which stdio uses for the protocol).
 * `emcee serve` and the everything example both use it.
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 * StdioTransport.run().pipe(Effect.provide(App), Startup.reportFatal("my-server"), NodeRuntime.runMain)
 *
 * @since 0.1.0
 */
import { Plugin } from "@emcee/core"
import { Cause, ConfigError, type Duration, Effect, Option } from "effect"
import { parseShortDuration } from "./internal/config.js"
import { ListenError } from "./internal/listen.js"

/**
 * A duration as given on a command line: a number with a unit `ms`, `s`, `m`
 * or `h` (`500ms`, `5s`, `2m`, `1.5s`), or a plain number of seconds.
 * Undefined when the text is none of these.
 */
export const parseDuration = (text: string): Duration.Duration | undefined => parseShortDuration(text, true)

/** A config error as `KEY: what is wrong`, keys as environment variables spell them. */
const describeConfigError = (error: ConfigError.ConfigError): string =>
  error._op === "And" || error._op === "Or"
    ? `${describeConfigError(error.left)}; ${describeConfigError(error.right)}`
    : `${error.path.join("_")}: ${error.message}`

/**
 * The one line explaining a start-up failure a user can fix (a port that is
 * taken, a bad configuration value); undefined for any other failure.
 */
export const describeFailure = <E>(cause: Cause.Cause<E>): string | undefined => {
  const failure = Option.getOrUndefined(Cause.failureOption(cause))
  if (failure instanceof ListenError) return failure.message
  if (failure instanceof Plugin.PluginError) return failure.message
  if (ConfigError.isConfigError(failure)) return `invalid configuration: ${describeConfigError(failure)}`
  return undefined
}

/**
 * Reports a failure of `effect` on stderr as `name: …` and sets exit code 1:
 * one line for what {@link describeFailure} explains, otherwise `what` and
 * the whole cause. `NodeRuntime.runMain` would log it with `console.log`, to stdout.
 * Interruption (a signal) passes through.
 */
export const reportFatal = (name: string, what = "fatal error") => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A | void, never, R> =>
  Effect.catchAllCause(effect, (cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.failCause(cause as Cause.Cause<never>)
      : Effect.sync(() => {
        const line = describeFailure(cause)
        process.stderr.write(
          line !== undefined ? `${name}: ${line}\n` : `${name}: ${what}\n${Cause.pretty(cause, { renderErrorCause: true })}\n`
        )
        process.exitCode = 1
      }))
