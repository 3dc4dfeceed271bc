/**
 * The changes a server announces to its listeners: list changes and resource
 * updates, fanned out to every `subscriptions/listen` stream (spec 2026-07-28
 * basic/patterns/subscriptions).
 *
 * The server publishes here whenever a tool, prompt or resource is added or
 * removed and on `McpServer.notifyResourceUpdated`; each listen stream takes
 * what its filter asks for. The feed is a service so that replicas can share
 * one: the in-memory feed (the default when none is provided) reaches the
 * listeners of this process; a feed backed by a shared store (PostgreSQL
 * `LISTEN`/`NOTIFY`, Redis) provided with `Layer.provide` to
 * `McpServer.layer` reaches every replica's.
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer, PubSub, type Queue, type Scope } from "effect"

/** One change (spec 2026-07-28 basic/patterns/subscriptions "Notification Filter"). */
export type Change =
  | { readonly _tag: "ToolsListChanged" }
  | { readonly _tag: "PromptsListChanged" }
  | { readonly _tag: "ResourcesListChanged" }
  | { readonly _tag: "ResourceUpdated"; readonly uri: string }

/** What a feed does. */
export interface Service {
  /** Announces a change to every current subscriber. */
  readonly publish: (change: Change) => Effect.Effect<void>
  /** The changes published from now on, until the scope closes. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<Change>, never, Scope.Scope>
}

/** The feed a server publishes to and its listen streams read. */
export class ChangeFeed extends Context.Tag("@emcee/core/ChangeFeed")<ChangeFeed, Service>() {}

/**
 * A feed within this process. Each subscriber keeps at most `capacity`
 * undelivered changes (default 1,024); past that its oldest are dropped, so a
 * listener that stopped reading cannot grow the server's memory.
 */
export const memory = (capacity = 1_024): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(PubSub.sliding<Change>(capacity), PubSub.shutdown),
    (hub): Service => ({
      publish: (change) => Effect.asVoid(PubSub.publish(hub, change)),
      subscribe: PubSub.subscribe(hub)
    })
  )

/** The in-memory feed as a Layer. */
export const layerMemory = (capacity?: number): Layer.Layer<ChangeFeed> => Layer.scoped(ChangeFeed, memory(capacity))
