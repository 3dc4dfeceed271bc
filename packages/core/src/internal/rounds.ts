/**
 * Multi round-trip requests (spec 2026-07-28 basic/patterns/mrtr): what lets
 * `Elicitation`, `Sampling` and `Roots` calls inside a handler work under the
 * stateless revision with no change to the handler.
 *
 * One `Rounds` lives for one attempt of a `tools/call`, `prompts/get` or
 * `resources/read`. An ask whose answer is already known (from the
 * `inputResponses` of this attempt, or carried from earlier rounds in the
 * `requestState`) returns it; an ask without one is recorded and ends the
 * attempt: the server interrupts the handler from outside (so no handler code
 * can swallow it) and answers `input_required` with every ask recorded so far
 * and a sealed `requestState` holding the answers used and the values carried
 * with `RequestState.once`. The retry runs the handler again from the start.
 *
 * `requestState` is attacker-controlled input (spec mrtr "Server
 * Requirements" 4–5): it is sealed with HMAC-SHA-256 and bound to the method,
 * the primitive and a digest of the arguments, and expires; a tampered,
 * expired or foreign state is refused with -32602 before the handler runs.
 * Its content is readable by the client (integrity, not secrecy).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { Effect, type Fiber, FiberId } from "effect"
import type * as JsonRpc from "../JsonRpc.js"
import { ErrorCode } from "../JsonRpc.js"
import * as McpError from "../McpError.js"

type JsonObject = JsonRpc.JsonObject

/** The requests that may answer `input_required` (spec 2026-07-28 basic/patterns/mrtr "Supported Requests"). */
export const supports = (method: string): boolean => method === "tools/call" || method === "prompts/get" || method === "resources/read"

/** What seals and opens `requestState`. */
export interface Sealer {
  readonly seal: (payload: Payload) => string
  readonly open: (token: string, binding: string, now: number) => Payload | string
  readonly ttlMillis: number
}

/** The content of a `requestState`. */
export interface Payload {
  /** The format. */
  readonly v: 1
  /** The request it was issued for (method, primitive, arguments digest). */
  readonly b: string
  /** Expiry, epoch milliseconds. */
  readonly x: number
  /** The round that issued it (the first attempt is round 1). */
  readonly r: number
  /** Answers used so far, by input key. */
  readonly a: { readonly [key: string]: JsonObject }
  /** Values carried with `RequestState.once`, by key. */
  readonly c: { readonly [key: string]: unknown }
}

const PREFIX = "emcee.rs1."

/** A key of at least 16 bytes, or a fresh random one. */
export const makeSealer = (key: Uint8Array | undefined, ttlMillis: number): Sealer => {
  const secret = key ?? randomBytes(32)
  if (secret.byteLength < 16) throw new Error("The requestState key must be at least 16 bytes (32 recommended)")
  const mac = (body: string) => createHmac("sha256", secret).update(PREFIX).update(body).digest()
  return {
    ttlMillis,
    seal: (payload) => {
      const body = Buffer.from(JSON.stringify(payload)).toString("base64url")
      return `${body}.${mac(body).toString("base64url")}`
    },
    open: (token, binding, now) => {
      const dot = token.lastIndexOf(".")
      if (dot <= 0) return "it is not a requestState this server issued"
      const body = token.slice(0, dot)
      // Compared as text: base64url decoding skips characters it does not know, so decoded bytes could match a changed token.
      const given = Buffer.from(token.slice(dot + 1))
      const expected = Buffer.from(mac(body).toString("base64url"))
      if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) {
        return "its integrity check failed (tampered, or issued by another server)"
      }
      let payload: Payload
      try {
        payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload
      } catch {
        return "it is not a requestState this server issued"
      }
      if (payload.v !== 1) return "it is not a requestState this server issued"
      if (payload.b !== binding) return "it was issued for another request"
      if (!(payload.x > now)) return "it has expired; send the request again without it"
      return payload
    }
  }
}

/**
 * JSON with object keys sorted, so equal arguments digest equally. Native
 * `JSON.stringify` does the walk: nesting too deep for it throws a
 * `RangeError`, which callers answer as invalid params.
 */
const canonical = (value: unknown): string =>
  JSON.stringify(value ?? null, (_key, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v)

/**
 * What a `requestState` is bound to: the method, the primitive (tool or
 * prompt name, resource URI) and a digest of the arguments (spec mrtr "Server
 * Requirements" 5, "an identifier for the originating request").
 */
export const binding = (method: string, params: JsonObject, caller?: string): string => {
  const primitive = method === "resources/read" ? params.uri : params.name
  const digest = createHash("sha256").update(canonical(params.arguments ?? null)).digest("base64url")
  // The caller too, when a transport authenticated one (`RequestContext.Caller`): another caller's state is refused.
  return caller === undefined ? `${method}\n${String(primitive)}\n${digest}` : `${method}\n${String(primitive)}\n${digest}\n${caller}`
}

const isObject = (u: unknown): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The -32021 error naming a capability the client did not declare (spec
 * 2026-07-28 basic/index "Error Codes"): `capability` is a path such as
 * `sampling` or `elicitation.url`, `requiredCapabilities` the
 * `ClientCapabilities` object it stands for.
 */
export const missingCapability = (capability: string): JsonRpc.ErrorObject => {
  const required: Record<string, unknown> = {}
  let level = required
  // Form elicitation is what `elicitation: {}` declares (spec client/elicitation "Capabilities").
  for (const part of (capability === "elicitation.form" ? "elicitation" : capability).split(".")) {
    const next: Record<string, unknown> = {}
    level[part] = next
    level = next
  }
  return McpError.toJsonRpc(new McpError.MissingRequiredClientCapability({ requiredCapabilities: required }))
}

/** The key of `carried` under which `relay` keeps what a relay carries to the retry. */
export const RELAYED = "@emcee/relayed"

/** How an attempt ended early. */
export type Outcome =
  | { readonly _tag: "InputRequired" }
  | { readonly _tag: "Failed"; readonly error: JsonRpc.ErrorObject }

/** One attempt of a request that may ask the client for input. */
export class Rounds {
  /** The asks of this attempt without an answer, by input key. */
  readonly pending: Record<string, { readonly method: string; readonly params: JsonObject }> = {}
  /** The answers this attempt used, carried into the next `requestState`. */
  readonly used: Record<string, JsonObject> = {}
  outcome: Outcome | undefined = undefined
  /** The attempt's fiber while it runs (set by the server): interrupted to end the attempt. */
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** What a `requestState` of this request is bound to (method, primitive, arguments digest). */
  get binding(): string {
    return typeof this.bind === "string" ? this.bind : this.bind()
  }
  private ordinal = 0
  private stopping = false

  constructor(
    readonly sealer: Sealer,
    /** What the next `requestState` is bound to; computed only when one is issued. */
    private readonly bind: string | (() => string),
    /** 1 for the first attempt, then one more per `input_required` answered. */
    readonly round: number,
    private readonly answers: { readonly [key: string]: JsonObject },
    /** Values carried across rounds (`RequestState.once`); written by this attempt too. */
    readonly carried: Record<string, unknown>
  ) {}

  /**
   * The rounds of a request, from its `inputResponses` and `requestState`,
   * or the -32602 that refuses them (spec mrtr "Error Handling").
   */
  static begin(sealer: Sealer, method: string, params: JsonObject, now: number, caller?: string): Rounds | JsonRpc.ErrorObject {
    const responses = params.inputResponses
    const state = params.requestState
    if (responses !== undefined && !isObject(responses)) return invalid("inputResponses must be an object keyed by input request")
    for (const key in responses) {
      if (!isObject(responses[key])) return invalid(`inputResponses.${key} must be the client's result object for that input request`)
    }
    // Most requests never ask: the digest of their arguments is made only when a state is checked or issued.
    if (state === undefined) return new Rounds(sealer, () => binding(method, params, caller), 1, (responses ?? {}) as Record<string, JsonObject>, {})
    if (typeof state !== "string") return invalid("requestState must be the string the server sent")
    let bound: string
    try {
      bound = binding(method, params, caller)
    } catch {
      return invalid(tooDeep)
    }
    const opened = sealer.open(state, bound, now)
    if (typeof opened === "string") return invalid(`requestState refused: ${opened}`)
    // Fresh answers win over carried ones for the same key; keys nobody asks for are ignored (spec mrtr "Error Handling").
    return new Rounds(sealer, () => bound, opened.r + 1, { ...opened.a, ...(responses as Record<string, JsonObject> | undefined) }, { ...opened.c })
  }

  /**
   * One ask of the handler: its answer when the client gave it, otherwise
   * recorded for `inputRequests` and the attempt ends. Asks made concurrently
   * (`Effect.all` with concurrency) get a few scheduler turns to be recorded
   * too, so they reach the client in one round.
   */
  ask(method: string, params: JsonObject, key: string | undefined): Effect.Effect<JsonObject> {
    return Effect.suspend(() => {
      const k = key ?? `input-${++this.ordinal}`
      const answer = this.answers[k]
      if (answer !== undefined) {
        this.used[k] = answer
        return Effect.succeed(answer)
      }
      this.pending[k] = { method, params }
      return this.end({ _tag: "InputRequired" })
    })
  }

  /** Whether `relay` ends this attempt (a task's rounds relay only before the task exists). */
  get relays(): boolean {
    return true
  }

  /**
   * Ends the attempt with another server's input requests exactly as it
   * asked them (every one in this round, keys unchanged, whatever this
   * attempt's answers hold), carrying `carry` in the `requestState` under
   * `RELAYED` for the retry: what a relay such as a gateway passes on (see
   * `RequestState.relay`; spec 2026-07-28 basic/patterns/mrtr).
   */
  relay(inputRequests: { readonly [key: string]: { readonly method: string; readonly params: JsonObject } }, carry: unknown): Effect.Effect<never> {
    return Effect.suspend(() => {
      for (const key of Object.keys(inputRequests)) this.pending[key] = inputRequests[key]!
      this.carried[RELAYED] = carry
      return this.end({ _tag: "InputRequired" })
    })
  }

  /**
   * The handler needs a capability the client did not declare: the request
   * fails with -32021 naming it (spec 2026-07-28 basic/index "Error Codes").
   * `capability` is a path such as `sampling` or `elicitation.url`.
   */
  missing(capability: string): Effect.Effect<never> {
    return this.end({ _tag: "Failed", error: missingCapability(capability) })
  }

  /** An answer the client gave does not decode as that request's result. */
  invalidAnswer(message: string): Effect.Effect<never> {
    return this.end({ _tag: "Failed", error: invalid(message) })
  }

  private end(outcome: Outcome): Effect.Effect<never> {
    if (this.outcome === undefined || (this.outcome._tag === "InputRequired" && outcome._tag === "Failed")) this.outcome = outcome
    if (this.stopping) return Effect.never
    this.stopping = true
    return Effect.yieldNow().pipe(
      Effect.zipRight(Effect.yieldNow()),
      Effect.zipRight(Effect.yieldNow()),
      Effect.zipRight(Effect.sync(() => this.fiber?.unsafeInterruptAsFork(FiberId.none))),
      Effect.zipRight(Effect.never)
    )
  }

  /**
   * The `input_required` result of an attempt that ended asking (spec mrtr
   * "InputRequiredResult"), or -32602 when the arguments or answers are
   * nested too deeply to be bound and sealed into a `requestState`.
   */
  inputRequired(now: number): { readonly result: JsonObject } | { readonly error: JsonRpc.ErrorObject } {
    let requestState: string
    try {
      requestState = this.sealer.seal({
        v: 1,
        b: this.binding,
        x: now + this.sealer.ttlMillis,
        r: this.round,
        a: this.used,
        c: this.carried
      })
    } catch {
      return { error: invalid(tooDeep) }
    }
    return { result: { resultType: "input_required", inputRequests: this.pending, requestState } }
  }
}

const tooDeep = "the arguments or input responses are nested too deeply to carry in a requestState"

const invalid = (message: string): JsonRpc.ErrorObject => ({ code: ErrorCode.InvalidParams, message: `Invalid params: ${message}` })
