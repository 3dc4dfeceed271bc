/**
 * The method table of MCP 2026-07-28, the stateless revision: every request
 * carries its version and client capabilities in `_meta` (spec 2026-07-28
 * basic/versioning), there is no `initialize`, `ping`, `logging/setLevel` or
 * `resources/subscribe` (spec changelog, major changes 2, 4, 5), and
 * `server/discover` is new (spec server/discover). The methods both
 * revisions share are the 2025-11-25 entries themselves; what differs is
 * added to each result and error here.
 */
import { type Context, Deferred, Effect, Queue, Schema } from "effect"
import type * as ChangeFeed from "../ChangeFeed.js"
import type * as JsonRpc from "../JsonRpc.js"
import { ErrorCode } from "../JsonRpc.js"
import * as McpSchema from "../McpSchema.js"
import { RequestContext } from "../RequestContext.js"
import { method, type Revision, table, type Target } from "./dispatch.js"
import * as SubscribedUris from "./subscribedUris.js"
import type * as Tasks from "./tasks.js"

type JsonObject = JsonRpc.JsonObject

/** What the 2026-07-28 table reads besides the shared entries. */
export interface Options {
  /** The 2025-11-25 table, whose shared entries this one serves as they are. */
  readonly legacy: Revision["methods"]
  readonly global: () => Target
  /** The server's capabilities as 2026-07-28 states them. */
  readonly capabilities: () => McpSchema.ServerCapabilities
  readonly serverInfo: McpSchema.Implementation
  readonly instructions: string | undefined
  /** Caching hints of cacheable results (spec 2026-07-28 server/utilities/caching). */
  readonly cache: { readonly ttlMs: number; readonly cacheScope: McpSchema.CacheScope }
  /** What `subscriptions/listen` streams read. */
  readonly feed: ChangeFeed.Service
  /** The URIs the server's clients are subscribed to: a stream's `resourceSubscriptions` count for its life. */
  readonly subscribed: SubscribedUris.SubscribedUris
  /** The most URIs one stream may be subscribed to (`McpServer.Options.maxSubscriptions`). */
  readonly maxSubscriptions: number
  /** Whether the resource of a URI is hidden from the caller of this context (see `Protocol20251125.hiddenUri`). */
  readonly hidden: (uri: string, context: Context.Context<never>) => boolean
  /** Done when the server shuts down: open streams end gracefully. */
  readonly closing: Deferred.Deferred<void>
  /** The task runner, whose tasks/get, tasks/update and tasks/cancel this revision serves (the io.modelcontextprotocol/tasks extension). */
  readonly tasks?: Tasks.Runner | undefined
}

/** spec 2026-07-28 basic/patterns/subscriptions "Notification Filter". */
const SubscriptionFilter = Schema.Struct({
  toolsListChanged: Schema.optional(Schema.Boolean),
  promptsListChanged: Schema.optional(Schema.Boolean),
  resourcesListChanged: Schema.optional(Schema.Boolean),
  resourceSubscriptions: Schema.optional(Schema.Array(Schema.String))
})
type SubscriptionFilter = typeof SubscriptionFilter.Type

const ListenParams = Schema.Struct({ notifications: SubscriptionFilter })

/**
 * What the server agrees to honour of a filter: the kinds its capabilities
 * announce (spec 2026-07-28 basic/patterns/subscriptions "Acknowledgment":
 * unsupported types are omitted).
 */
const agree = (asked: SubscriptionFilter, capabilities: McpSchema.ServerCapabilities): SubscriptionFilter => {
  const agreed: { -readonly [K in keyof SubscriptionFilter]: SubscriptionFilter[K] } = {}
  if (asked.toolsListChanged === true && capabilities.tools?.listChanged === true) agreed.toolsListChanged = true
  if (asked.promptsListChanged === true && capabilities.prompts?.listChanged === true) agreed.promptsListChanged = true
  if (asked.resourcesListChanged === true && capabilities.resources?.listChanged === true) agreed.resourcesListChanged = true
  if (asked.resourceSubscriptions !== undefined && capabilities.resources?.subscribe === true) {
    agreed.resourceSubscriptions = asked.resourceSubscriptions
  }
  return agreed
}

/** The notification a change makes on a stream with this filter, if it asked for it. */
const notificationOf = (change: ChangeFeed.Change, filter: SubscriptionFilter): readonly [string, JsonObject] | undefined => {
  switch (change._tag) {
    case "ToolsListChanged":
      return filter.toolsListChanged === true ? ["notifications/tools/list_changed", {}] : undefined
    case "PromptsListChanged":
      return filter.promptsListChanged === true ? ["notifications/prompts/list_changed", {}] : undefined
    case "ResourcesListChanged":
      return filter.resourcesListChanged === true ? ["notifications/resources/list_changed", {}] : undefined
    case "ResourceUpdated":
      return filter.resourceSubscriptions?.includes(change.uri) === true ? ["notifications/resources/updated", { uri: change.uri }] : undefined
  }
}

/** The methods 2026-07-28 keeps from 2025-11-25 (spec 2026-07-28 server/*). */
const shared = [
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "prompts/list",
  "prompts/get",
  "completion/complete"
] as const

/** Results that carry caching hints (spec 2026-07-28 server/utilities/caching "Cacheable Results"). */
const cacheable = new Set(["server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read"])

/** The 2026-07-28 revision. */
export const make = (options: Options): Revision => {
  const discover = method("server/discover", {
    params: McpSchema.RequestParams,
    result: McpSchema.DiscoverResult,
    // spec 2026-07-28 server/discover: versions a client may put in `_meta` of later requests.
    handle: () => ({
      target: options.global(),
      primitive: undefined,
      effect: Effect.sync(() => ({
        supportedVersions: McpSchema.ALL_PROTOCOL_VERSIONS,
        capabilities: options.capabilities(),
        ...(options.instructions === undefined ? {} : { instructions: options.instructions })
      }))
    })
  })
  // spec 2026-07-28 basic/patterns/subscriptions: a stream that lasts until the client cancels it (closing the
  // HTTP stream, `notifications/cancelled` on stdio) or the server shuts down (then a graceful result).
  const listen = method("subscriptions/listen", {
    params: ListenParams,
    result: McpSchema.Result,
    handle: (params) => ({
      target: options.global(),
      primitive: undefined,
      effect: Effect.scoped(Effect.gen(function*() {
        const { requestId, session } = yield* RequestContext
        const tag = { [McpSchema.MetaKey.subscriptionId]: requestId }
        const asked = agree(params.notifications, options.capabilities())
        if (asked.resourceSubscriptions !== undefined && new Set(asked.resourceSubscriptions).size > options.maxSubscriptions) {
          return yield* Effect.fail(SubscribedUris.tooMany(options.maxSubscriptions, "a subscriptions/listen stream"))
        }
        // Resources hidden from the caller are not agreed to (spec 2026-07-28 basic/patterns/subscriptions "Acknowledgment").
        const context = yield* Effect.context<never>()
        const agreed = asked.resourceSubscriptions === undefined ? asked : {
          ...asked,
          resourceSubscriptions: asked.resourceSubscriptions.filter((uri) => !options.hidden(uri, context))
        }
        if (agreed.resourceSubscriptions !== undefined && agreed.resourceSubscriptions.length > 0) {
          yield* options.subscribed.hold(agreed.resourceSubscriptions)
        }
        // Subscribed before the acknowledgment, so no change after it is missed.
        const changes = yield* options.feed.subscribe
        yield* session.notify("notifications/subscriptions/acknowledged", { _meta: tag, notifications: agreed }, requestId)
        const forward = Effect.forever(Effect.flatMap(Queue.take(changes), (change) => {
          const notification = notificationOf(change, agreed)
          return notification === undefined ? Effect.void : session.notify(notification[0], { ...notification[1], _meta: tag }, requestId)
        }))
        yield* Effect.raceFirst(forward, Deferred.await(options.closing))
        return { _meta: tag }
        // `serve` runs every handler with the request's `RequestContext`.
      })) as unknown as Effect.Effect<JsonObject>
    })
  })
  const serverInfoMeta = { [McpSchema.MetaKey.serverInfo]: options.serverInfo }
  return {
    // tasks/result and tasks/list are not methods of the tasks extension: -32601 (SEP-2663 removed them).
    methods: table(discover, listen, ...shared.map((name) => options.legacy.get(name)!), ...(options.tasks?.methods2026 ?? [])),
    // spec 2026-07-28 basic/index "Result Responses" (`resultType`), "_meta" (`serverInfo` in every result),
    // server/utilities/caching (`ttlMs` and `cacheScope`, unless the handler set its own).
    complete: (name, result, target) => {
      const meta = result._meta
      // A result that set its own `resultType` (`input_required`, a task) keeps it and carries no caching hints.
      const resultType = typeof result.resultType === "string" ? result.resultType : "complete"
      // Copied key by key: `{ ...result, resultType, _meta }` measured 40 times slower (4.5 µs per result).
      const completed: { [key: string]: unknown } = {}
      for (const key in result) if (Object.hasOwn(result, key)) completed[key] = result[key]
      completed.resultType = resultType
      completed._meta = typeof meta === "object" && meta !== null ? { ...meta, ...serverInfoMeta } : serverInfoMeta
      if (resultType === "complete" && cacheable.has(name)) {
        if (completed.ttlMs === undefined) completed.ttlMs = target.cache?.ttlMs ?? options.cache.ttlMs
        if (completed.cacheScope === undefined) completed.cacheScope = target.cache?.cacheScope ?? options.cache.cacheScope
      }
      return completed as JsonObject
    },
    // spec 2026-07-28 server/resources "Error Handling": resource not found is -32602 (it was -32002).
    errorCode: (code) => (code === ErrorCode.ResourceNotFound ? ErrorCode.InvalidParams : code)
  }
}
