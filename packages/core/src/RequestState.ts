/**
 * Values that survive the rounds of a multi round-trip request (spec
 * 2026-07-28 basic/patterns/mrtr).
 *
 * Under 2026-07-28, a handler that asks the client for input
 * (`Elicitation`, `Sampling`, `Roots`) without an answer yet ends its
 * attempt: the client gets an `input_required` result, answers, and retries,
 * and the handler runs again **from the start** with the answers available.
 * So the contract of a handler that asks is: work before an ask runs once per
 * round and must be safe to repeat, or be wrapped in `once`, whose value is
 * computed on the first round and carried to the later ones inside the
 * integrity-protected `requestState` (the client can read it, not change it:
 * keep secrets out). Under 2025-11-25 the asks are server-to-client requests
 * inside one run, `once` just runs its effect and `round` is 1.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Elicitation, RequestState } from "@emcee/core"
 *
 * const handler = Effect.gen(function*() {
 *   // Reserved once, not once per round.
 *   const ticket = yield* RequestState.once("ticket", Schema.String, reserveTicket)
 *   const answer = yield* Elicitation.form("Confirm?", Schema.Struct({ ok: Schema.Boolean }))
 *   return answer.action === "accept" && answer.content.ok ? `Booked ${ticket}` : `Released ${ticket}`
 * })
 *
 * @since 0.2.0
 */
import { Effect, Either, Schema } from "effect"
import type { Session } from "./internal/dispatch.js"
import { RequestContext } from "./RequestContext.js"
import { formatIssues } from "./Tool.js"

/**
 * The value of `effect`, computed on the first round that reaches this call
 * and carried to later rounds in `requestState` under `key` (encoded with
 * `schema`, which must encode to JSON). Keys are per request.
 */
export const once = <A, I, E, R>(
  key: string,
  schema: Schema.Schema<A, I, never>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | RequestContext> =>
  Effect.flatMap(RequestContext, ({ session }) => {
    const rounds = (session as Session).rounds
    if (rounds === undefined) return effect
    if (Object.hasOwn(rounds.carried, key)) {
      const decoded = Schema.decodeUnknownEither(schema)(rounds.carried[key])
      // The state is sealed by this server, so only a changed Schema gets here.
      return Either.isRight(decoded)
        ? Effect.succeed(decoded.right)
        : Effect.dieMessage(`RequestState.once("${key}"): the carried value no longer decodes: ${formatIssues(decoded.left)}`)
    }
    return Effect.tap(effect, (value) =>
      Effect.sync(() => {
        rounds.carried[key] = Schema.encodeSync(schema)(value)
      }))
  })

/**
 * Which attempt of the request this is: 1, then one more for each
 * `input_required` answer the client retried (always 1 under 2025-11-25).
 */
export const round: Effect.Effect<number, never, RequestContext> = Effect.map(
  RequestContext,
  ({ session }) => (session as Session).rounds?.round ?? 1
)
