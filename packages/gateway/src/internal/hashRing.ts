/**
 * A consistent-hash ring with virtual nodes (Karger et al. 1997): each member
 * owns `replicas` points on a 32-bit circle, a key belongs to the first point
 * at or after its hash (wrapping). Adding a member moves only the keys that
 * now land on its points; removing one moves only its own keys.
 */

/** 32-bit FNV-1a over UTF-16 code units, finished with murmur3's fmix32 for avalanche. */
export const hash32 = (input: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Upper bound on the points of one member, whatever its weight. */
export const maxReplicas = 10_000

export interface Ring {
  /** Point hashes, ascending. */
  readonly points: Uint32Array
  /** For each point, the index of its member in `members`. */
  readonly owners: Uint32Array
  readonly members: ReadonlyArray<string>
}

export const empty: Ring = { points: new Uint32Array(0), owners: new Uint32Array(0), members: [] }

/**
 * Builds a ring. Point order is fully determined by (hash, member id, replica
 * number), so equal inputs give equal rings whatever the member order.
 */
export const build = (members: ReadonlyArray<{ readonly id: string; readonly replicas: number }>): Ring => {
  const entries: Array<{ hash: number; member: number; replica: number; id: string }> = []
  members.forEach((m, member) => {
    const replicas = Math.min(maxReplicas, Math.max(0, Math.floor(m.replicas)))
    for (let replica = 0; replica < replicas; replica++) {
      entries.push({ hash: hash32(`${m.id}#${replica}`), member, replica, id: m.id })
    }
  })
  entries.sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.replica - b.replica))
  const points = new Uint32Array(entries.length)
  const owners = new Uint32Array(entries.length)
  entries.forEach((e, i) => {
    points[i] = e.hash
    owners[i] = e.member
  })
  return { points, owners, members: members.map((m) => m.id) }
}

/** Index of the first point at or after `h` (wrapping to 0). */
const firstAtOrAfter = (points: Uint32Array, h: number): number => {
  let lo = 0
  let hi = points.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (points[mid]! < h) lo = mid + 1
    else hi = mid
  }
  return lo === points.length ? 0 : lo
}

/**
 * The member owning `key`: walking clockwise from the key's hash, the first
 * member `accept` lets through (members it refuses hand their keys to the
 * next one on the circle, so only their keys move). `undefined` when the
 * ring is empty or every member is refused.
 */
export const lookup = (ring: Ring, key: string, accept: (member: number) => boolean): number | undefined => {
  const n = ring.points.length
  if (n === 0) return undefined
  const start = firstAtOrAfter(ring.points, hash32(key))
  let refused: Set<number> | undefined
  for (let step = 0; step < n; step++) {
    const member = ring.owners[(start + step) % n]!
    if (refused?.has(member)) continue
    if (accept(member)) return member
    refused ??= new Set()
    refused.add(member)
    if (refused.size === ring.members.length) return undefined
  }
  return undefined
}
