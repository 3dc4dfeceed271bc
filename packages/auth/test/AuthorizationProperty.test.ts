/**
 * The compiled permission matcher (a trie, `Rbac`) agrees with the
 * documented wildcard semantics, written here directly and naively, on
 * arbitrary grants and permissions over a small alphabet of segments (so
 * matches, wildcards in every position and malformed input are frequent).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Principal from "../src/Principal.js"
import * as Rbac from "../src/Rbac.js"

/** The documented semantics, one grant at a time. */
const reference = (grant: string, permission: string): boolean => {
  const g = grant.split(":")
  const p = permission.split(":")
  // Malformed: empty segments (an empty string is one empty segment), `*` inside a segment.
  if (g.some((s) => s.length === 0 || (s !== "*" && s.includes("*")))) return false
  if (p.some((s) => s.length === 0)) return false
  const one = (gs: string, ps: string) => gs === "*" || gs === ps
  if (g[g.length - 1] === "*") {
    // A trailing `*`: the segments before it, then one or more of anything.
    const prefix = g.slice(0, -1)
    return p.length >= prefix.length + 1 && prefix.every((s, i) => one(s, p[i]!))
  }
  return p.length === g.length && g.every((s, i) => one(s, p[i]!))
}

const referenceAll = (grants: ReadonlyArray<string>, permission: string): boolean => grants.some((g) => reference(g, permission))

const segment = fc.constantFrom("a", "b", "c", "*")
const rare = fc.constantFrom("", "a*", "**")
const wellFormed = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join(":"))
const anyGrant = fc.oneof(
  { weight: 9, arbitrary: wellFormed },
  { weight: 1, arbitrary: fc.array(fc.oneof({ weight: 4, arbitrary: segment }, { weight: 1, arbitrary: rare }), { maxLength: 4 }).map((s) => s.join(":")) }
)
const permission = fc.oneof(
  { weight: 9, arbitrary: fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join(":")) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom("a", "b", ""), { maxLength: 4 }).map((s) => s.join(":")) }
)

describe("Rbac matcher agrees with the documented wildcard semantics (property)", () => {
  it("Rbac.matches on arbitrary grants, malformed ones included (1,000 runs)", () => {
    let matched = 0
    fc.assert(
      fc.property(fc.array(anyGrant, { maxLength: 5 }), permission, (grants, p) => {
        const expected = referenceAll(grants, p)
        if (expected) matched++
        expect(Rbac.matches(grants, p)).toBe(expected)
      }),
      { numRuns: 1000 }
    )
    // The alphabet is small enough that a good share of cases match.
    expect(matched).toBeGreaterThan(100)
  })

  it("a compiled policy (grants split over inherited and combined roles) agrees too (1,000 runs)", () => {
    fc.assert(
      fc.property(
        fc.array(wellFormed, { maxLength: 4 }),
        fc.array(wellFormed, { maxLength: 4 }),
        fc.array(wellFormed, { maxLength: 4 }),
        fc.array(permission, { minLength: 1, maxLength: 5 }),
        (base, child, other, permissions) => {
          const policy = Rbac.unsafeMake({
            roles: { base: { permissions: base }, child: { inherits: ["base"], permissions: child }, other: { permissions: other } }
          })
          const single = Principal.make("s", [], { roles: ["child"] })
          const both = Principal.make("b", [], { roles: ["child", "other"] })
          for (const p of permissions) {
            expect(policy.can(single, p)).toBe(referenceAll([...base, ...child], p))
            expect(policy.can(both, p)).toBe(referenceAll([...base, ...child, ...other], p))
          }
        }
      ),
      { numRuns: 1000 }
    )
  })
})
