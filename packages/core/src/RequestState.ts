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
 * A relay of another server's requests (a gateway) passes that server's
 * rounds on as they are with `relay`, and sends the client's answers on
 * from `relayed` (see `relay`).
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
import { Effect, Either, Option, Schema } from "effect"
import type { Session } from "./internal/dispatch.js"
import { RELAYED } from "./internal/rounds.js"
import type { JsonObject } from "./JsonRpc.js"
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

// --- relays ------------------------------------------------------------------------------------

/** An input request of another server, as its `input_required` result has it (spec 2026-07-28 basic/patterns/mrtr). */
export interface InputRequest {
  readonly method: string
  readonly params: JsonObject
}

/** A retry of a round that `relay` passed on: what the relay carried, and the client's answers. */
export interface Relayed {
  /** The `carry` given to `relay`. */
  readonly carried: unknown
  /** The `inputResponses` of this retry, as the client sent them (keyed as the relayed `inputRequests`). */
  readonly inputResponses: { readonly [key: string]: JsonObject }
}

/**
 * Whether `relay` can pass a round on for this request: a 2026-07-28
 * `tools/call`, `prompts/get` or `resources/read` (a task-supporting tool's
 * only until its task is created). Otherwise (2025-11-25, a task) a relay
 * asks the client each input itself (`Elicitation`, `Sampling`, `Roots`).
 */
export const relaying: Effect.Effect<boolean, never, RequestContext> = Effect.map(
  RequestContext,
  ({ session }) => (session as Session).rounds?.relays === true
)

/**
 * For a relay such as a gateway: passes another server's `input_required`
 * round on to this request's client as it is. The attempt ends with
 * `inputRequests` (every one in this round, under the other server's keys,
 * whatever answers this request already has) and a `requestState` sealed by
 * this server that carries `carry` (JSON: the other server's own
 * `requestState`, say); the client's retry runs the handler again, where
 * `relayed` gives `carry` back with the client's `inputResponses` to send
 * on. Only where `relaying` is true (a defect elsewhere).
 *
 * @example
 * import { Effect, Option } from "effect"
 * import { RequestState } from "@emcee/core"
 *
 * // upstream: sends the request on, with the answers and state of the round it retries.
 * const handler = Effect.gen(function*() {
 *   const retry = yield* RequestState.relayed
 *   const result = yield* upstream(Option.getOrUndefined(retry))
 *   if (result.resultType === "input_required" && (yield* RequestState.relaying)) {
 *     return yield* RequestState.relay(result.inputRequests, { requestState: result.requestState })
 *   }
 *   return result
 * })
 */
export const relay = (inputRequests: { readonly [key: string]: InputRequest }, carry: unknown): Effect.Effect<never, never, RequestContext> =>
  Effect.flatMap(RequestContext, ({ session }) => {
    const rounds = (session as Session).rounds
    return rounds?.relays === true
      ? rounds.relay(inputRequests, carry)
      : Effect.dieMessage("RequestState.relay: this request is not served in multi round-trip rounds (see RequestState.relaying)")
  })

/** The round this request retries, when `relay` passed it on in the previous attempt. */
export const relayed: Effect.Effect<Option.Option<Relayed>, never, RequestContext> = Effect.map(
  RequestContext,
  ({ params, session }) => {
    const rounds = (session as Session).rounds
    if (rounds === undefined || !Object.hasOwn(rounds.carried, RELAYED)) return Option.none()
    const responses = params.inputResponses
    return Option.some({
      carried: rounds.carried[RELAYED],
      // The server checked them before the handler ran (spec mrtr "Error Handling"): an object of objects.
      inputResponses: (typeof responses === "object" && responses !== null && !Array.isArray(responses) ? responses : {}) as Relayed["inputResponses"]
    })
  }
)
