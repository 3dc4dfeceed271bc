/**
 * Concurrency limits as middleware: at most `max` requests served at once per
 * key (per tool, per tenant, per caller…). A request over the limit is
 * refused at once with `ConcurrencyLimited` (`onFull: "reject"`, the default)
 * or waits for a permit in a queue of at most `queue` requests
 * (`onFull: "wait"`), and is refused when that queue is full too.
 *
 * A request cancelled while it waits leaves the queue; one cancelled while it
 * runs gives its permit back (its finalizers run first). Keys hold state only
 * while a request of theirs runs or waits, so memory is bounded by the
 * requests in flight.
 *
 * The refusal is answered as JSON-RPC error -32000 whose `data` is
 * `{ _tag: "ConcurrencyLimited", limit, max, description }`; over HTTP
 * `httpStatus` maps it to 429 Too Many Requests (RFC 6585 §4).
 *
 * @example
 * import { Concurrency } from "@emcee/auth"
 *
 * // Two renders at once per tenant; the next four wait, the rest are refused.
 * const render = Tool.make("render", {
 *   middleware: [Concurrency.limit({ key: Concurrency.byTenant, max: 2, onFull: "wait", queue: 4 })],
 *   handler: ...
 * })
 *
 * @since 0.2.0
 */
import { recordRejection } from "./internal/metrics.js"
import type { JsonRpc, McpError, Middleware as M } from "@emcee/core"
import { Middleware } from "@emcee/core"
import { Effect, Schema } from "effect"
import * as Keys from "./internal/limitKey.js"
import { fromContext } from "./Principal.js"

/** Names the requests that share permits; see `RateLimit.Key`. */
export type Key = Keys.Key

/** Permits per caller (`Principal.key`); unauthenticated callers share them. */
export const byPrincipal: Key = Keys.byPrincipal

/** Permits per tenant. */
export const byTenant: Key = Keys.byTenant

/** Permits per primitive (`tool:render`). The default. */
export const byTool: Key = Keys.byTool

/** Permits per combination of keys (e.g. `combine(byTenant, byTool)`). */
export const combine: (...keys: ReadonlyArray<Key>) => Key = Keys.combine

/** One set of permits for every request the middleware wraps. */
export const global: Key = Keys.global

/** A request refused because `max` requests with its key were already running (and the queue, if any, was full). */
export class ConcurrencyLimited extends Schema.TaggedError<ConcurrencyLimited>()("ConcurrencyLimited", {
  limit: Schema.String,
  max: Schema.Number,
  description: Schema.String
}) {
  override get message() {
    return this.description
  }
}

/** Options of `limit`. */
export interface Options {
  /** Most requests with one key served at once. */
  readonly max: number
  /** What requests share permits. Default `byTool`. */
  readonly key?: Key
  /** Refuse a request over the limit at once (default), or let it wait for a permit. */
  readonly onFull?: "reject" | "wait"
  /** With `onFull: "wait"`: most requests of one key waiting at once; more are refused. Default 100. */
  readonly queue?: number
  /** Which requests it limits; the others pass untouched. Default: all it wraps. */
  readonly when?: (request: M.Request) => boolean
  /** Names the limit in `ConcurrencyLimited.limit` and the middleware. Default `"concurrency"`. */
  readonly name?: string
}

interface Slot {
  /** Requests of the key running or waiting. */
  users: number
  /** Hands out the permits when requests wait (onFull "wait"). */
  readonly semaphore: Effect.Semaphore | undefined
}

/** At most `max` requests per key at once; see the module documentation. */
export const limit = (options: Options): M.Middleware<never, ConcurrencyLimited> => {
  const { max } = options
  if (!Number.isInteger(max) || max < 1) throw new Error(`Concurrency.limit: max must be a positive integer, got ${max}`)
  const wait = options.onFull === "wait"
  const queue = wait ? options.queue ?? 100 : 0
  if (!Number.isInteger(queue) || queue < 0) throw new Error(`Concurrency.limit: queue must be a non-negative integer, got ${queue}`)
  const name = options.name ?? "concurrency"
  const key = options.key ?? byTool
  const when = options.when
  const capacity = max + queue
  const slots = new Map<string, Slot>()
  const refused = new ConcurrencyLimited({
    limit: name,
    max,
    description: wait
      ? `Concurrency limit "${name}" reached: ${max} running and ${queue} waiting`
      : `Concurrency limit "${name}" reached: ${max} running`
  })

  const release = (k: string, slot: Slot) =>
    Effect.sync(() => {
      if (--slot.users === 0 && slots.get(k) === slot) slots.delete(k)
    })

  return Middleware.make({
    name,
    failure: ConcurrencyLimited,
    apply: (request, next) =>
      when !== undefined && !when(request)
        ? next
        : Effect.uninterruptibleMask((restore) =>
          Effect.withFiberRuntime<JsonRpc.JsonObject, McpError.ProtocolError | ConcurrencyLimited>((fiber) => {
            const k = key(request, fromContext(fiber.currentContext))
            let slot = slots.get(k)
            if (slot === undefined) {
              slot = { users: 0, semaphore: wait ? Effect.unsafeMakeSemaphore(max) : undefined }
              slots.set(k, slot)
            }
            if (slot.users >= capacity) {
              recordRejection("concurrency", name)
              return Effect.fail(refused)
            }
            slot.users++
            // Without a queue `users` never exceeds `max`, so the count is the permit; with one the semaphore hands
            // permits out, and a request interrupted while waiting leaves its queue (Effect.Semaphore.withPermits).
            const run = slot.semaphore === undefined ? next : slot.semaphore.withPermits(1)(next)
            return Effect.onExit(restore(run), () => release(k, slot))
          })
        )
  })
}

/**
 * The HTTP status of a JSON-RPC error answering a request: 429 Too Many
 * Requests (RFC 6585 §4) for a `ConcurrencyLimited` refusal (code -32000,
 * `data._tag` "ConcurrencyLimited"), with no `Retry-After` (when a permit
 * frees is not known); undefined for any other error.
 */
export const httpStatus = (error: JsonRpc.ErrorObject): { readonly status: number; readonly headers: Readonly<Record<string, string>> } | undefined => {
  if (error.code !== Middleware.failureCode) return undefined
  const data = error.data
  return typeof data === "object" && data !== null && (data as { readonly _tag?: unknown })._tag === "ConcurrencyLimited"
    ? { status: 429, headers: {} }
    : undefined
}
