/**
 * Keyed rate limiters: a token bucket and a sliding window counter per key,
 * checked synchronously in O(1) with no timer per key. State is computed
 * lazily from the time of the previous check, and a key whose state is the
 * same as a fresh key's (its bucket full again, its windows over) may be
 * forgotten without changing any answer: those are swept when the map is
 * full, then the least recently used go, so memory stays bounded whatever
 * the number of callers.
 *
 * Effect's `RateLimiter` is not used: it makes the caller wait for a token,
 * and a limited MCP caller must get an immediate error saying when to retry.
 *
 * @internal
 */

/** A limiter: `take` spends one unit for `key` at `now` (ms) and answers 0, or the milliseconds until one is available. */
export interface Limiter {
  readonly take: (key: string, now: number) => number
  /** How many keys it remembers now (for tests). */
  readonly size: () => number
}

interface Entry {
  /** When the entry was last checked, in ms. */
  last: number
}

/** The part of the map kept when a sweep has to drop entries in use. */
const keepAfterSweep = 0.9

/**
 * A bounded map of per-key entries. An entry idle for `idleMillis` is as good
 * as a fresh one; when a new key would overflow the map, idle entries are
 * dropped, then the least recently checked down to 90% of `maxKeys` (so the
 * O(n) sweep runs at most once per `maxKeys / 10` new keys).
 */
class Entries<E extends Entry> {
  private readonly map = new Map<string, E>()
  constructor(private readonly maxKeys: number, private readonly idleMillis: number) {}

  get(key: string, now: number, fresh: (now: number) => E): E {
    let entry = this.map.get(key)
    if (entry === undefined) {
      if (this.map.size >= this.maxKeys) this.sweep(now)
      entry = fresh(now)
      this.map.set(key, entry)
    }
    return entry
  }

  get size(): number {
    return this.map.size
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.map) {
      if (now - entry.last >= this.idleMillis) this.map.delete(key)
    }
    const target = Math.floor(this.maxKeys * keepAfterSweep)
    if (this.map.size <= target) return
    const byAge = [...this.map].sort((a, b) => a[1].last - b[1].last)
    for (let i = 0; i < byAge.length - target; i++) this.map.delete(byAge[i]![0])
  }
}

/** Float slack: refills computed from elapsed milliseconds must not refuse a token that is due. */
const epsilon = 1e-9

interface Bucket extends Entry {
  tokens: number
}

/**
 * A token bucket per key: `burst` tokens at most, refilled at `perMilli`
 * tokens a millisecond; a check spends one.
 */
export const tokenBucket = (options: { readonly perMilli: number; readonly burst: number; readonly maxKeys: number }): Limiter => {
  const { burst, perMilli } = options
  const fresh = (now: number): Bucket => ({ last: now, tokens: burst })
  const entries = new Entries<Bucket>(options.maxKeys, Math.ceil(burst / perMilli))
  return {
    take: (key, now) => {
      const bucket = entries.get(key, now, fresh)
      const elapsed = now - bucket.last
      if (elapsed > 0) {
        bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perMilli)
        bucket.last = now
      }
      if (bucket.tokens >= 1 - epsilon) {
        bucket.tokens = Math.max(0, bucket.tokens - 1)
        return 0
      }
      return (1 - bucket.tokens) / perMilli
    },
    size: () => entries.size
  }
}

interface Window extends Entry {
  /** Start of the current window, in ms. */
  start: number
  /** Requests counted in the previous window. */
  previous: number
  /** Requests counted in the current window. */
  current: number
}

/**
 * A sliding window per key, as a sliding window counter: the count of the
 * current fixed window plus the previous window's, weighted by how much of
 * it the sliding window still covers. O(1) memory per key (a log of every
 * request would be O(limit)), and it never lets more than `limit` through
 * in any window-long span by more than the approximation's rounding.
 */
export const slidingWindow = (options: { readonly limit: number; readonly windowMillis: number; readonly maxKeys: number }): Limiter => {
  const { limit, windowMillis: w } = options
  const fresh = (now: number): Window => ({ last: now, start: now, previous: 0, current: 0 })
  const entries = new Entries<Window>(options.maxKeys, 2 * w)
  return {
    take: (key, now) => {
      const window = entries.get(key, now, fresh)
      let elapsed = now - window.start
      if (elapsed >= w) {
        const windows = Math.floor(elapsed / w)
        window.previous = windows === 1 ? window.current : 0
        window.current = 0
        window.start += windows * w
        elapsed -= windows * w
      } else if (elapsed < 0) {
        // The wall clock went back: count it as the start of the window.
        elapsed = 0
      }
      window.last = now
      const remaining = w - elapsed
      if ((window.previous * remaining) / w + window.current + 1 <= limit + epsilon) {
        window.current++
        return 0
      }
      // When the estimate drops to limit - 1: later in this window, as the previous one slides out…
      const room = limit - 1 - window.current
      if (room > 0 && window.previous > 0) {
        const wait = remaining - (room * w) / window.previous
        if (wait < remaining) return Math.max(wait, 1)
      }
      // …or early in the next, once this window's count (then the previous one) has slid out enough.
      const next = window.current > 0 ? Math.max(0, (w * (window.current - limit + 1)) / window.current) : 0
      return remaining + next
    },
    size: () => entries.size
  }
}
