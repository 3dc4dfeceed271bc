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

const same = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => {
  if (a.size !== b.size) return false
  for (const uri of a) if (!b.has(uri)) return false
  return true
}

export const make: Effect.Effect<SubscribedUris, never, Scope.Scope> = Effect.gen(function*() {
  const scope = yield* Effect.scope
  const lock = yield* Effect.makeSemaphore(1)
  const counts = new Map<string, number>()
  const followers = new Set<Follower>()
  let told: ReadonlySet<string> = new Set()
  // Under the lock, the set is read when its turn comes: followers see every set in order, the latest last.
  const tell = lock.withPermits(1)(Effect.suspend(() => {
    const now = new Set(counts.keys())
    if (same(now, told)) return Effect.void
    told = now
    return Effect.forEach([...followers], (follower) => follower(now), { concurrency: "unbounded", discard: true })
  }))
  const count = (uris: Iterable<string>) => {
    for (const uri of uris) counts.set(uri, (counts.get(uri) ?? 0) + 1)
  }
  const remove = (uris: Iterable<string>) =>
    Effect.suspend(() => {
      for (const uri of uris) {
        const held = counts.get(uri)
        if (held === undefined) continue
        if (held > 1) counts.set(uri, held - 1)
        else counts.delete(uri)
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
          return follower(told)
        })),
        () => Effect.sync(() => followers.delete(follower))
      )
  }
})
