/**
 * The resource URIs the clients of one server are subscribed to (spec
 * server/resources "Subscriptions"), counted over every subscription: a
 * 2025-11-25 session's `resources/subscribe` until its
 * `resources/unsubscribe` or the session's end, and a 2026-07-28
 * `subscriptions/listen` stream's `resourceSubscriptions` for the stream's
 * life (spec 2026-07-28 basic/patterns/subscriptions). Followers are told
 * each new set, one set at a time and in order; a subscription is in place
 * once they have been told (see `McpServer.followSubscriptions`).
 *
 * @internal
 */
import { Effect, type Scope } from "effect"
import * as McpError from "../McpError.js"

export type Follower = (uris: ReadonlySet<string>) => Effect.Effect<void>

export interface SubscribedUris {
  /** One subscription more to each URI; done once every follower was told the new set. */
  readonly add: (uris: Iterable<string>) => Effect.Effect<void>
  /**
   * `add`, with the matching `remove` when the scope closes. Only the count is
   * uninterruptible: followers are told as the caller runs (a follower may
   * race or time out).
   */
  readonly hold: (uris: ReadonlyArray<string>) => Effect.Effect<void, never, Scope.Scope>
  /** One subscription less to each URI; the followers are told without waiting for them. */
  readonly remove: (uris: Iterable<string>) => Effect.Effect<void>
  /** Tells `follower` the set now and each new one, until the scope closes. */
  readonly follow: (follower: Follower) => Effect.Effect<void, never, Scope.Scope>
}

export const make: Effect.Effect<SubscribedUris, never, Scope.Scope> = Effect.gen(function*() {
  const scope = yield* Effect.scope
  const lock = yield* Effect.makeSemaphore(1)
  const counts = new Map<string, number>()
  const followers = new Set<Follower>()
  // Bumped when a URI comes or goes (not when one more or one fewer subscription counts it): the set is copied
  // for followers only when it changed and somebody follows, so subscribing costs no more as subscriptions grow.
  let version = 0
  let toldVersion = 0
  let told: ReadonlySet<string> = new Set()
  const current = (): ReadonlySet<string> => {
    if (toldVersion !== version) {
      told = new Set(counts.keys())
      toldVersion = version
    }
    return told
  }
  // Under the lock, the set is read when its turn comes: followers see every set in order, the latest last (and
  // an `add` of a URI already held still waits for the telling of the set that brought it).
  const tell = lock.withPermits(1)(Effect.suspend(() => {
    if (followers.size === 0 || toldVersion === version) return Effect.void
    const now = current()
    return Effect.forEach([...followers], (follower) => follower(now), { concurrency: "unbounded", discard: true })
  }))
  const count = (uris: Iterable<string>) => {
    for (const uri of uris) {
      const held = counts.get(uri) ?? 0
      if (held === 0) version++
      counts.set(uri, held + 1)
    }
  }
  const remove = (uris: Iterable<string>) =>
    Effect.suspend(() => {
      for (const uri of uris) {
        const held = counts.get(uri)
        if (held === undefined) continue
        if (held > 1) counts.set(uri, held - 1)
        else {
          counts.delete(uri)
          version++
        }
      }
      return Effect.asVoid(Effect.forkIn(tell, scope))
    })
  return {
    add: (uris) => Effect.zipRight(Effect.sync(() => count(uris)), tell),
    hold: (uris) => Effect.zipRight(Effect.acquireRelease(Effect.sync(() => count(uris)), () => remove(uris)), tell),
    remove,
    follow: (follower) =>
      Effect.acquireRelease(
        lock.withPermits(1)(Effect.suspend(() => {
          followers.add(follower)
          return follower(current())
        })),
        () => Effect.sync(() => followers.delete(follower))
      )
  }
})

/** A subscription over `McpServer.Options.maxSubscriptions`: -32602 naming the limit. */
export const tooMany = (max: number, what: string): McpError.InvalidParams =>
  new McpError.InvalidParams({ message: `Too many resource subscriptions: ${what} may be subscribed to at most ${max} URIs` })
