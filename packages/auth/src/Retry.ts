/**
 * Retries as middleware, for idempotent primitives: a request whose handler
 * failed in a way that may go away by itself (a dependency briefly
 * unreachable, a lost race) runs again, after a backoff, before the client
 * sees an answer.
 *
 * What is retried, by default:
 * - a handler that fails (or dies) with `Retry.Transient` — the handler's way
 *   of saying "try me again". `Transient` is an `InternalError`, so when the
 *   tries run out the client gets -32603 with its message; in a tool it
 *   stays a JSON-RPC error rather than becoming an `isError` result;
 * - with `retryToolErrors`, a tool result with `isError: true` (a tool
 *   execution error, spec 2025-11-25 server/tools "Error Handling").
 *
 * Never retried by default: errors that are the caller's fault (-32602
 * invalid params, -32600, -32601, -32002 unknown resource…) and other
 * protocol errors, which a retry would only repeat; other defects (bugs);
 * cancellation. `while` replaces the default choice; it sees every failure
 * (the protocol error, the defect, or the `isError` result), so it can retry
 * e.g. any -32603.
 *
 * Put it only on primitives that are safe to run twice (reads, or tools
 * annotated `idempotentHint: true`): a retried handler runs again from the
 * start, side effects included.
 *
 * @example
 * import { Retry } from "@emcee/auth"
 *
 * const lookup = Tool.make("lookup", {
 *   annotations: { idempotentHint: true },
 *   middleware: [Retry.idempotent()],
 *   handler: ({ id }) => db.find(id).pipe(Effect.catchTag("ConnectionReset", (e) => Retry.transient(e.message)))
 * })
 *
 * @since 0.2.0
 */
import type { JsonRpc, Middleware as M } from "@emcee/core"
import { McpError, Middleware } from "@emcee/core"
import { Cause, Effect, Option, Schedule } from "effect"

type JsonObject = JsonRpc.JsonObject

/** Marks a `Transient`, across copies of this module. */
const TransientTypeId: unique symbol = Symbol.for("@emcee/auth/Retry/Transient")

/**
 * A failure that may go away if the request runs again. A handler fails (or
 * dies) with it to ask `Retry.idempotent` for another try. It is a
 * `McpError.InternalError` (-32603, its message sent to the client as is, so
 * keep internals out of it), which a tool does not turn into an `isError`
 * result, so the retry middleware sees it.
 */
export class Transient extends McpError.InternalError {
  /** The transient marker (see `isTransient`). */
  get [TransientTypeId](): typeof TransientTypeId {
    return TransientTypeId
  }
}

/** Fails with a `Transient` error: "run me again". */
export const transient = (message: string): Effect.Effect<never, Transient> => Effect.fail(new Transient({ message }))

/** True for a `Transient` error. */
export const isTransient = (u: unknown): u is Transient => typeof u === "object" && u !== null && TransientTypeId in u

/** A failed try, as `while` sees it. */
export type Failure =
  /** The request failed with a protocol error (a JSON-RPC error answer). */
  | { readonly _tag: "Error"; readonly error: McpError.ProtocolError }
  /** The handler died (a defect, answered -32603). */
  | { readonly _tag: "Defect"; readonly defect: unknown }
  /** A tool answered an `isError` result (only with `retryToolErrors`). */
  | { readonly _tag: "ToolError"; readonly result: JsonObject }
  /** The request was cancelled: never retried, whatever `while` says. */
  | { readonly _tag: "Interrupted" }

/**
 * The default choice of what to retry: a `Transient` failure or defect, and
 * (when `retryToolErrors` made it a failure) an `isError` result.
 */
export const isRetryable = (failure: Failure): boolean => {
  switch (failure._tag) {
    case "Error":
      return isTransient(failure.error)
    case "Defect":
      return isTransient(failure.defect)
    case "ToolError":
      return true
    case "Interrupted":
      return false
  }
}

/** Options of `idempotent`. */
export interface Options {
  /**
   * When to try again. Default: exponential backoff from 100 ms, doubling,
   * with jitter, at most 2 retries (3 tries in all).
   */
  readonly schedule?: Schedule.Schedule<unknown, Failure>
  /** Which failures to retry. Default `isRetryable`. */
  readonly while?: (failure: Failure) => boolean
  /** Retry tool results with `isError: true` too. Default false. */
  readonly retryToolErrors?: boolean
  /** Names the middleware. Default `"retry"`. */
  readonly name?: string
}

/** The default schedule: 100 ms, 200 ms (each jittered), then give up. */
export const defaultSchedule: Schedule.Schedule<unknown, Failure> = Schedule.exponential("100 millis").pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(2))
)

/** A failed try: what it was and what to answer if no retry follows. */
class Attempt {
  constructor(readonly failure: Failure, readonly answer: Effect.Effect<JsonObject, McpError.ProtocolError>) {}
}

/** Runs `next` again while its failures are retryable and `schedule` allows; see the module documentation. */
export const idempotent = (options: Options = {}): M.Middleware => {
  const retryable = options.while ?? isRetryable
  const toolErrors = options.retryToolErrors === true
  const policy = {
    schedule: Schedule.mapInput(options.schedule ?? defaultSchedule, (a: Attempt) => a.failure),
    while: (a: Attempt) => a.failure._tag !== "Interrupted" && retryable(a.failure)
  }

  /** A try: its success, or an `Attempt`. */
  const attempt = (next: Effect.Effect<JsonObject, McpError.ProtocolError>): Effect.Effect<JsonObject, Attempt> =>
    Effect.matchCauseEffect(next, {
      onSuccess: (result) =>
        toolErrors && result.isError === true
          ? Effect.fail(new Attempt({ _tag: "ToolError", result }, Effect.succeed(result)))
          : Effect.succeed(result),
      onFailure: (cause) => Effect.fail(new Attempt(failureOf(cause), Effect.failCause(cause)))
    })

  return Middleware.make(options.name ?? "retry", (_request, next) =>
    attempt(next).pipe(
      Effect.retry(policy),
      Effect.catchAll((a) => a.answer)
    ))
}

/** What a failed try is, for `while`. */
const failureOf = (cause: Cause.Cause<McpError.ProtocolError>): Failure => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return { _tag: "Error", error: failure.value }
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return { _tag: "Defect", defect: defect.value }
  return interrupted
}

const interrupted: Failure = { _tag: "Interrupted" }
