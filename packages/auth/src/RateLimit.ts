/**
 * Rate limits as middleware: a token bucket (a steady rate with bursts) or a
 * sliding window (at most `limit` requests in any `window`), per key — per
 * caller, tenant, tool, client address or a combination.
 *
 * A limited request fails at once with `RateLimited` (the handler never
 * runs), answered as JSON-RPC error -32000 whose `data` is
 * `{ _tag: "RateLimited", limit, retryAfterSeconds, description }`. Over HTTP
 * `httpStatus` turns that answer into `429 Too Many Requests` with a
 * `Retry-After` header (RFC 6585 §4, RFC 9110 §10.2.3).
 *
 * Register it after the authentication middleware, so the caller's
 * `Principal` is known to the key; without authentication every caller is
 * `anonymous`. Globally (`McpServer.register`) it counts every request it
 * wraps, lists and `ping` included (use `when` to pick); on a primitive
 * (the `middleware` option) it counts that primitive's calls only.
 *
 * State is per middleware value, in memory, per server process: each
 * replica behind a load balancer limits on its own.
 *
 * @example
 * import { RateLimit } from "@emcee/auth"
 * import { McpServer, Tool } from "@emcee/core"
 *
 * // 10 calls a second per caller, bursts of 20; 1000 an hour per tenant.
 * const perCaller = RateLimit.tokenBucket({ key: RateLimit.byPrincipal, rate: 10, burst: 20 })
 * const perTenant = RateLimit.slidingWindow({ name: "tenant-hourly", key: RateLimit.byTenant, limit: 1000, window: "1 hour" })
 * const search = Tool.make("search", { middleware: [perCaller], handler: () => ... })
 * McpServer.register(authentication, perTenant, search)
 *
 * @since 0.2.0
 */
import { recordRejection } from "./internal/metrics.js"
import type { JsonRpc, McpError, Middleware as M } from "@emcee/core"
import { Middleware } from "@emcee/core"
import { Clock, Context, Duration, Effect, Schema } from "effect"
import * as Limit from "./internal/limit.js"
import * as Keys from "./internal/limitKey.js"
import { fromContext } from "./Principal.js"

/**
 * Names the bucket a request counts against, from the request and its
 * caller (`Option.none()` without authentication). See `byPrincipal`,
 * `byTenant`, `byTool`, `byIp`, `combine`.
 */
export type Key = Keys.Key

/** One bucket per caller (`Principal.key`); unauthenticated callers share `"anonymous"`. */
export const byPrincipal: Key = Keys.byPrincipal

/** One bucket per tenant; callers without one share a bucket of their own. */
export const byTenant: Key = Keys.byTenant

/** One bucket per primitive (`tool:search`); requests addressing none per method. */
export const byTool: Key = Keys.byTool

/**
 * One bucket per client address, read by `address`: core's request carries
 * no network address or HTTP headers, so `address` reads it from where your
 * transport put it. IPv6 addresses count per /64.
 */
export const byIp: (address?: (request: M.Request) => string | undefined) => Key = Keys.byIp

/** One bucket per combination of keys (e.g. `combine(byTenant, byTool)`). */
export const combine: (...keys: ReadonlyArray<Key>) => Key = Keys.combine

/** One bucket for every request. */
export const global: Key = Keys.global

/**
 * A request refused by a rate limit: `limit` names the limiter,
 * `retryAfterSeconds` says when the same request would be let through (if
 * nothing else spends the budget first).
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  limit: Schema.String,
  retryAfterSeconds: Schema.Number,
  description: Schema.String
}) {
  override get message() {
    return this.description
  }
}

/** Options every limiter takes. */
export interface CommonOptions {
  /** Names the limiter in `RateLimited.limit` and the middleware. Default `"rate-limit"`. */
  readonly name?: string
  /** What requests share a budget. Default `byPrincipal`. */
  readonly key?: Key
  /** Which requests it counts; the others pass untouched. Default: all it wraps. */
  readonly when?: (request: M.Request) => boolean
  /**
   * Most keys remembered at once. When more are in use, idle ones are
   * forgotten first (that changes nothing: their budget is full again), then
   * the least recently seen (which start afresh). Default 10,000.
   */
  readonly maxKeys?: number
}

/** Options of `tokenBucket`. */
export interface TokenBucketOptions extends CommonOptions {
  /** Tokens added per `per` (the sustained rate). */
  readonly rate: number
  /** The period `rate` is counted over. Default 1 second. */
  readonly per?: Duration.DurationInput
  /** Most tokens held: how many requests may come at once after a quiet spell. Default `rate` (at least 1). */
  readonly burst?: number
}

/** Options of `slidingWindow`. */
export interface SlidingWindowOptions extends CommonOptions {
  /** Most requests let through in any span of `window`. */
  readonly limit: number
  readonly window: Duration.DurationInput
}

/**
 * A token bucket per key: each request spends a token, tokens come back at
 * `rate` per `per`, and at most `burst` are held. A request finding no token
 * is refused with the time until the next one.
 */
export const tokenBucket = (options: TokenBucketOptions): M.Middleware<never, RateLimited> => {
  const perMillis = Duration.toMillis(Duration.decode(options.per ?? "1 second"))
  if (!(options.rate > 0) || !Number.isFinite(options.rate)) throw new Error(`RateLimit.tokenBucket: rate must be a positive number, got ${options.rate}`)
  if (!(perMillis > 0) || !Number.isFinite(perMillis)) throw new Error("RateLimit.tokenBucket: per must be a positive, finite duration")
  const burst = options.burst ?? Math.max(1, Math.floor(options.rate))
  if (!(burst >= 1) || !Number.isFinite(burst)) throw new Error(`RateLimit.tokenBucket: burst must be at least 1, got ${burst}`)
  const limiter = Limit.tokenBucket({ perMilli: options.rate / perMillis, burst, maxKeys: maxKeysOf(options) })
  return limiting(options, limiter)
}

/**
 * A sliding window per key: at most `limit` requests in any span of
 * `window` (as a sliding window counter: the previous fixed window's count
 * weighted by how much of it is still in the span, plus the current one's).
 */
export const slidingWindow = (options: SlidingWindowOptions): M.Middleware<never, RateLimited> => {
  const windowMillis = Duration.toMillis(Duration.decode(options.window))
  if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error(`RateLimit.slidingWindow: limit must be a positive integer, got ${options.limit}`)
  if (!(windowMillis > 0) || !Number.isFinite(windowMillis)) throw new Error("RateLimit.slidingWindow: window must be a positive, finite duration")
  return limiting(options, Limit.slidingWindow({ limit: options.limit, windowMillis, maxKeys: maxKeysOf(options) }))
}

const maxKeysOf = (options: CommonOptions): number => {
  const maxKeys = options.maxKeys ?? 10_000
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new Error(`RateLimit: maxKeys must be a positive integer, got ${maxKeys}`)
  return maxKeys
}

/**
 * The middleware of a limiter. The check is synchronous and runs in the one
 * step that reads the fiber's context and clock; a request let through goes
 * on to `next` with nothing else in between.
 */
const limiting = (options: CommonOptions, limiter: Limit.Limiter): M.Middleware<never, RateLimited> => {
  const name = options.name ?? "rate-limit"
  const key = options.key ?? byPrincipal
  const when = options.when
  return Middleware.make({
    name,
    failure: RateLimited,
    apply: (request, next) =>
      when !== undefined && !when(request) ? next : Effect.withFiberRuntime<JsonRpc.JsonObject, McpError.ProtocolError | RateLimited>((fiber) => {
        const principal = fromContext(fiber.currentContext)
        const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
        const wait = limiter.take(key(request, principal), now)
        return wait === 0 ? next : Effect.fail(refusal(name, wait))
      })
  })
}

const refusal = (name: string, waitMillis: number): RateLimited => {
  recordRejection("rate_limit", name)
  // Milliseconds, so a client told "0.1" does not wait a whole second; never 0 (it would retry at once). The
  // nanosecond of slack absorbs float error (1 / (1 / 3600000) is a hair over 3600000).
  const retryAfterSeconds = Math.max(0.001, Math.ceil(waitMillis - 1e-6) / 1000)
  return new RateLimited({
    limit: name,
    retryAfterSeconds,
    description: `Rate limit "${name}" exceeded: retry after ${retryAfterSeconds} s`
  })
}

/** What an HTTP transport answers instead of 200 for a JSON-RPC error. */
export interface HttpStatus {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
}

/**
 * The HTTP status of a JSON-RPC error answering a request: `429 Too Many
 * Requests` with `Retry-After` in whole seconds, rounded up (RFC 6585 §4,
 * RFC 9110 §10.2.3 delay-seconds), for a `RateLimited` refusal (code -32000,
 * `data._tag` "RateLimited"); undefined for any other error.
 */
export const httpStatus = (error: JsonRpc.ErrorObject): HttpStatus | undefined => {
  if (error.code !== Middleware.failureCode) return undefined
  const data = error.data
  if (typeof data !== "object" || data === null || (data as { readonly _tag?: unknown })._tag !== "RateLimited") return undefined
  const seconds = (data as { readonly retryAfterSeconds?: unknown }).retryAfterSeconds
  return {
    status: 429,
    headers: typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0 ? { "retry-after": String(Math.max(1, Math.ceil(seconds))) } : {}
  }
}
