/**
 * A small seeded pseudo-random generator (mulberry32), so the balancer and
 * the circuit breaker can draw numbers inside one synchronous (atomic) step.
 * The seed comes from Effect's `Random` service, which tests can fix.
 */

/** Returns a generator of numbers in [0, 1) from a 32-bit seed. */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
