/**
 * Order-independent assignment of advertised names to claims. Each claim
 * lists the names it would accept, best first; round `r` offers every
 * still-unassigned claim its `r`-th candidate. A name already held (by a
 * local name or an earlier round) is refused; among claims proposing the
 * same free name in one round, the claim whose (backend, name) sorts first
 * (by UTF-16 code units, never locale) wins. Claims that run out of
 * candidates are dropped.
 *
 * The result depends only on the set of claims, never on their order, and
 * adding claims never gives an existing claim a different name unless one
 * of its names is taken from it (names held after each round only grow).
 */

/** What a backend item would accept, best first. */
export interface Claim {
  readonly backend: string
  readonly name: string
  readonly candidates: ReadonlyArray<string>
}

/** Who holds a name: a local name or another claim. */
export type Holder = "local" | Claim

/** The outcome for one claim. */
export interface Outcome {
  readonly claim: Claim
  /** The name it got, or undefined when it was dropped. */
  readonly advertised: string | undefined
  /** Who held its first candidate when it did not get it. */
  readonly takenBy: Holder | undefined
}

/** Code-unit comparison: deterministic and locale independent. */
export const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const byKey = (a: Claim, b: Claim): number => compare(a.backend, b.backend) || compare(a.name, b.name)

export const assign = (claims: ReadonlyArray<Claim>, locals: ReadonlySet<string>): ReadonlyArray<Outcome> => {
  const holders = new Map<string, Holder>()
  for (const local of locals) holders.set(local, "local")
  const got = new Map<Claim, string>()
  const lostFirst = new Map<Claim, Holder>()
  let pending = [...claims].sort(byKey)
  for (let round = 0; pending.length > 0; round++) {
    const proposed = new Map<string, Claim>()
    const next: Array<Claim> = []
    for (const claim of pending) {
      const candidate = claim.candidates[round]
      if (candidate === undefined) continue // dropped: no candidate left
      const holder = holders.get(candidate) ?? proposed.get(candidate)
      if (holder === undefined) {
        proposed.set(candidate, claim)
        continue
      }
      if (round === 0) lostFirst.set(claim, holder)
      next.push(claim)
    }
    for (const [name, claim] of proposed) {
      holders.set(name, claim)
      got.set(claim, name)
    }
    pending = next
  }
  return claims.map((claim) => ({ claim, advertised: got.get(claim), takenBy: lostFirst.get(claim) }))
}
