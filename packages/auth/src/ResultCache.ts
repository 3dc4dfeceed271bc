/**
 * Caches successful results as middleware: a second identical `tools/call`
 * (same tool, same arguments as JSON whatever their key order, same caller)
 * within the time to live is answered from memory without running the
 * handler, and identical calls arriving while one runs wait for it and share
 * its answer (one execution).
 *
 * What is cached:
 * - only `tools/call` (and `resources/read` when `methods` says so); every
 *   other request passes through;
 * - only successes: an `isError` result (a tool execution error, spec
 *   2025-11-25 server/tools "Error Handling") or a JSON-RPC error is handed
 *   to the calls that waited for it, never stored;
 * - per caller by default (`partition: byPrincipal`, the `Principal` of an
 *   authentication middleware registered before it), so one caller never
 *   sees another's result; `partition: ResultCache.shared` for public tools
 *   whose result is the same for everyone;
 * - never a task-augmented call (`params.task`, whose result is a task
 *   handle), nor a 2026-07-28 retry carrying `inputResponses` or
 *   `requestState` (its result depends on the user's answers).
 *
 * Put it only on tools whose result depends on their arguments and caller
 * alone (reads, lookups), not on ones with side effects. A shared execution
 * sends its progress and server-to-client requests to the caller whose call
 * runs it. If that caller cancels, a waiting call runs it again.
 *
 * Entries live in memory, per middleware value and server process.
 *
 * @example
 * import { ResultCache } from "@emcee/auth"
 * import { Tool } from "@emcee/core"
 *
 * const weather = Tool.make("weather", {
 *   input: Schema.Struct({ city: Schema.String }),
 *   middleware: [ResultCache.make({ ttl: "5 minutes", partition: ResultCache.shared })],
 *   handler: ({ city }) => fetchWeather(city)
 * })
 *
 * @since 0.2.0
 */
import type { JsonRpc, McpError, Middleware as M } from "@emcee/core"
import { Middleware } from "@emcee/core"
import { Cause, Clock, Context, Deferred, Duration, Effect, Exit } from "effect"
import * as Cache from "./internal/cache.js"
import * as Keys from "./internal/limitKey.js"
import { fromContext } from "./Principal.js"

type JsonObject = JsonRpc.JsonObject

/** Names whose results a caller may see: requests with different partitions never share a result. */
export type Partition = Keys.Key

/** One partition per caller (`Principal.key`); unauthenticated callers share one. The default. */
export const byPrincipal: Partition = Keys.byPrincipal

/** One partition per tenant: callers of a tenant share results. */
export const byTenant: Partition = Keys.byTenant

/** One partition for everyone: for public tools whose result does not depend on the caller. */
export const shared: Partition = Keys.global

/** The methods whose results it may cache. */
export type Method = "tools/call" | "resources/read"

/** Options of `make`. */
export interface Options {
  /** How long a result is reused. */
  readonly ttl: Duration.DurationInput
  /** Who may see a result. Default `byPrincipal`. */
  readonly partition?: Partition
  /** The methods it caches. Default `["tools/call"]`. */
  readonly methods?: ReadonlyArray<Method>
  /** Most results kept; the least recently used go first. Default 1,000. */
  readonly maxEntries?: number
  /** Names the middleware. Default `"result-cache"`. */
  readonly name?: string
}

/** A result cache; see the module documentation. */
export const make = (options: Options): M.Middleware => {
  const ttl = Duration.toMillis(Duration.decode(options.ttl))
  if (!(ttl > 0)) throw new Error("ResultCache.make: ttl must be a positive duration")
  const maxEntries = options.maxEntries ?? 1_000
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`ResultCache.make: maxEntries must be a positive integer, got ${maxEntries}`)
  const partition = options.partition ?? byPrincipal
  const methods = new Set<string>(options.methods ?? ["tools/call"])
  const store = new Cache.Store(maxEntries)

  /** The cache key of a request, or undefined when it is not to be cached. */
  const keyOf = (request: M.Request, context: Context.Context<never>): string | undefined => {
    if (!methods.has(request.method)) return undefined
    const params = request.params
    if (params.task !== undefined || params.inputResponses !== undefined || params.requestState !== undefined) return undefined
    const target = request.method === "resources/read" ? params.uri : params.name
    if (typeof target !== "string") return undefined
    let args: string
    try {
      args = request.method === "resources/read" ? "" : Cache.canonical(params.arguments)
    } catch {
      // Arguments nested too deeply to serialize: the handler answers them (as invalid); nothing to cache.
      return undefined
    }
    return Cache.digest([request.method, target, args, partition(request, fromContext(context))])
  }

  const serve = (key: string, next: Effect.Effect<JsonObject, McpError.ProtocolError>): Effect.Effect<JsonObject, McpError.ProtocolError> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime<JsonObject, McpError.ProtocolError>((fiber) => {
        const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
        const hit = store.get(key, clock.unsafeCurrentTimeMillis())
        if (hit !== undefined) return Effect.succeed(hit)
        const running = store.running.get(key)
        if (running !== undefined) {
          // Another call with this key is running: wait for it (this request's own cancellation honoured).
          return Effect.flatMap(restore(Deferred.await(running)), (outcome) => outcome === undefined ? serve(key, next) : outcome)
        }
        const deferred = Deferred.unsafeMake<Cache.Outcome>(fiber.id())
        store.running.set(key, deferred)
        return Effect.onExit(restore(next), (exit) =>
          Effect.sync(() => {
            if (store.running.get(key) === deferred) store.running.delete(key)
            if (Exit.isSuccess(exit) && exit.value.isError !== true) {
              store.set(key, exit.value, clock.unsafeCurrentTimeMillis() + ttl)
            }
            Deferred.unsafeDone(deferred, Exit.succeed(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? undefined : exit))
          }))
      })
    )

  return Middleware.make(options.name ?? "result-cache", (request, next) =>
    methods.has(request.method)
      ? Effect.contextWithEffect((context: Context.Context<never>) => {
        const key = keyOf(request, context)
        return key === undefined ? next : serve(key, next)
      })
      : next)
}
