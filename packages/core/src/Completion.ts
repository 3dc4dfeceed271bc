/**
 * Argument completion (spec 2025-11-25 server/utilities/completion): a
 * completer suggests values for one prompt argument or template variable,
 * given what the user typed so far and the arguments already chosen.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { RequestContext } from "./RequestContext.js"

/** What a completer is told. */
export interface Input {
  /** The partial value typed so far. */
  readonly value: string
  /** Arguments already resolved (`context.arguments`). */
  readonly arguments: { readonly [name: string]: string }
}

/** Suggests completions; at most 100 are sent (spec: "MUST NOT exceed 100 items"). */
export type Completer<R = never> = (input: Input) => Effect.Effect<ReadonlyArray<string>, unknown, R | RequestContext>

/** A completer over fixed values: those that start with what was typed, case-insensitively. */
export const fromValues = (values: ReadonlyArray<string>): Completer => ({ value }) => {
  const lower = value.toLowerCase()
  return Effect.succeed(values.filter((v) => v.toLowerCase().startsWith(lower)))
}
