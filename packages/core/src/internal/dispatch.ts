/**
 * The shapes of the one dispatch path: a method table (an entry per method
 * with its params Schema, result Schema and handler), the targets a request
 * runs on (a registered primitive's composed middleware chain and context),
 * and the session state a table's handlers read and change.
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import type { ClientSession } from "../ClientSession.js"
import type * as JsonRpc from "../JsonRpc.js"
import * as McpError from "../McpError.js"
import type * as McpSchema from "../McpSchema.js"
import * as Middleware from "../Middleware.js"
import type { Context } from "effect"
import { formatIssues } from "../Tool.js"
import type { Rounds } from "./rounds.js"

type JsonObject = JsonRpc.JsonObject

/** Mutable state of one client session; the public view is `ClientSession`. */
export interface Session extends ClientSession {
  protocolVersion: string
  clientInfo: McpSchema.Implementation | undefined
  clientCapabilities: McpSchema.ClientCapabilities
  logLevel: McpSchema.LoggingLevel | undefined
  initialized: boolean
  /** The initialize request was answered (spec basic/lifecycle "Initialization"). */
  initializeAnswered: boolean
  readonly subscriptions: Set<string>
  /** Spans are recorded: a tracer other than Effect's built-in one was installed when the session began. */
  readonly traced: boolean
  /** Under 2026-07-28, the rounds of a request that may ask the client for input (spec 2026-07-28 basic/patterns/mrtr). */
  readonly rounds?: Rounds | undefined
}

/**
 * Where a request runs: composed once when a primitive is registered (and
 * again when the global middleware changes), never per request.
 */
export interface Target {
  /**
   * The services of the global middleware and of the primitive's Layer,
   * without those a middleware of the chain provides (the middleware's
   * value is what the handler sees, not a Layer's placeholder).
   */
  readonly context: Context.Context<never>
  /** Global middleware, then the primitive's own; outermost first. */
  readonly middleware: ReadonlyArray<Middleware.Any>
  /** The span around the handler, when traced. */
  readonly span: { readonly name: string; readonly attributes: Record<string, unknown> } | undefined
  /** The tool's name, for tool metrics and `ToolCalled` events. */
  readonly tool: string | undefined
  /** The primitive's own caching hints (a resource's reads), over the server's. */
  readonly cache?: { readonly ttlMs?: number; readonly cacheScope?: McpSchema.CacheScope } | undefined
}

/** What a method's handler answers a request with: the effect to run and the target to run it on. */
export interface Route {
  readonly target: Target
  readonly primitive: Middleware.Primitive | undefined
  readonly effect: Effect.Effect<JsonObject, McpError.ProtocolError>
}

/** One method of a protocol revision. */
export interface Method<P = unknown> {
  readonly name: string
  /** The params (decoding to `P`); invalid params answer -32602 before the handler runs. */
  readonly params: Schema.Schema.AnyNoContext
  /** The result (what the handler's effect yields), for documentation and the conformance tests. */
  readonly result: Schema.Schema.AnyNoContext
  /** Decodes params: `params`, with a check that skips Schema's interpreter where it can. */
  readonly decode: (params: unknown) => Either.Either<P, string>
  /** Served before `initialize` was answered (spec basic/lifecycle "Initialization"). */
  readonly beforeInitialize: boolean
  /** Runs inline and cannot be cancelled (`initialize`, spec basic/utilities/cancellation). */
  readonly inline: boolean
  readonly handle: (params: P, session: Session) => Route
}

/** A method whatever its params (the table holds them side by side; `decode` gives `handle` its input). */
export interface AnyMethod extends Omit<Method<unknown>, "handle"> {
  readonly handle: (params: never, session: Session) => Route
}

/** A protocol revision's methods by name. */
export type Table = ReadonlyMap<string, AnyMethod>

/**
 * A protocol revision as the dispatch path serves it: its method table and
 * what it adds to every result and error (2026-07-28: `resultType`,
 * `serverInfo`, caching hints, its own error codes). Undefined hooks cost
 * nothing on the hot path.
 */
export interface Revision {
  readonly methods: Table
  readonly complete?: (method: string, result: JsonObject, target: Target) => JsonObject
  readonly errorCode?: (code: number) => number
}

/**
 * A method entry. `fast`, when given, accepts exactly what `params` accepts
 * and returns the value unchanged (open MCP objects decode to a copy of
 * themselves) or returns undefined to leave the input to Schema, which also
 * words the error.
 */
export const method = <P, I>(
  name: string,
  options: {
    readonly params: Schema.Schema<P, I>
    readonly result: Schema.Schema.AnyNoContext
    readonly fast?: (params: unknown) => P | undefined
    readonly beforeInitialize?: boolean
    readonly inline?: boolean
    readonly handle: (params: P, session: Session) => Route
  }
): Method<P> => {
  const schema = Schema.decodeUnknownEither(options.params, { errors: "all" })
  const slow = (params: unknown): Either.Either<P, string> => {
    let decoded: Either.Either<P, ParseResult.ParseError>
    try {
      decoded = schema(params)
    } catch {
      // Nesting deep enough to exhaust the stack.
      return Either.left(`Invalid ${name} params: nested too deeply`)
    }
    return Either.isRight(decoded) ? Either.right(decoded.right) : Either.left(`Invalid ${name} params: ${formatIssues(decoded.left)}`)
  }
  const fast = options.fast
  return {
    name,
    params: options.params,
    result: options.result,
    decode: fast === undefined ? slow : (params) => {
      const value = fast(params)
      return value === undefined ? slow(params) : Either.right(value)
    },
    beforeInitialize: options.beforeInitialize ?? false,
    inline: options.inline ?? false,
    handle: options.handle
  }
}

/** A table from its entries. */
export const table = (...methods: ReadonlyArray<AnyMethod>): Table => new Map(methods.map((m) => [m.name, m]))

// --- fast checks of the commonest params (each accepts only what its Schema accepts)

/** A plain object (not null, not an array), as `Schema.Record` wants. */
export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** A record Schema decodes to an equal copy: no own `__proto__` key (Schema drops it). */
const isPlainRecord = (u: unknown): u is Record<string, unknown> => isRecord(u) && !Object.hasOwn(u, "__proto__")

/** `_meta` of request params: absent, or an object whose `progressToken` is absent, a string or a (safe) integer, as `Schema.Int`. */
export { isPlainRecord }
export const isRequestMeta = (meta: unknown): boolean => {
  if (meta === undefined) return true
  if (!isPlainRecord(meta)) return false
  const token = meta.progressToken
  return token === undefined || typeof token === "string" || Number.isSafeInteger(token)
}

// --- running a chain

/**
 * Runs `handler` through `middleware`, outermost first. A middleware's
 * declared failure becomes the protocol error it is answered with.
 */
export const runChain = (
  middleware: ReadonlyArray<Middleware.Any>,
  request: Middleware.Request,
  handler: Effect.Effect<JsonObject, McpError.ProtocolError>
): Effect.Effect<JsonObject, McpError.ProtocolError> => {
  let effect = handler
  for (let i = middleware.length - 1; i >= 0; i--) {
    const m = middleware[i]!
    const applied = m.apply(request, effect) as Effect.Effect<JsonObject, McpError.ProtocolError>
    effect = m.failure === undefined
      ? applied
      : Effect.catchAll(applied, (error) => Effect.fail(Middleware.declaredFailure(m, error) ?? error))
  }
  return effect
}

/** A failed route on `target`: the error goes through the target's middleware like any result. */
export const failed = (target: Target, error: McpError.ProtocolError, primitive?: Middleware.Primitive): Route => ({
  target,
  primitive,
  effect: Effect.fail(error)
})

/** Failures that are not protocol errors become -32603; the cause is logged, never sent. */
export const orInternal = <A, R>(effect: Effect.Effect<A, unknown, R>, what: string): Effect.Effect<A, McpError.ProtocolError, R> =>
  Effect.catchAll(effect, (error) =>
    McpError.isProtocolError(error)
      ? Effect.fail(error)
      : Effect.zipRight(
        Effect.logError(`${what} failed`, error),
        // The error's own message may carry internals (hosts, credentials, paths): it is logged, not sent.
        Effect.fail(new McpError.InternalError({ message: `${what} failed` }))
      ))
