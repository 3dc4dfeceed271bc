import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Scopes from "../src/Scopes.js"

describe("Scopes: spec 2026-07-28 basic/authorization 'Step-Up Authorization Flow': a broader scope implies narrower ones", () => {
  it("default hierarchy: a colon-segment prefix implies the scopes under it", () => {
    expect(Scopes.satisfies(["files"], ["files:read"])).toBe(true)
    expect(Scopes.satisfies(["files"], ["files:read:own"])).toBe(true)
    expect(Scopes.satisfies(["files:read"], ["files:read:own"])).toBe(true)
    // Narrower never implies broader, and a prefix of the text is not a prefix of segments.
    expect(Scopes.satisfies(["files:read"], ["files"])).toBe(false)
    expect(Scopes.satisfies(["files"], ["filesystem:read"])).toBe(false)
    expect(Scopes.satisfies(["files:read"], ["files:write"])).toBe(false)
    expect(Scopes.satisfies(["files:rea"], ["files:read"])).toBe(false)
  })

  it("default hierarchy: `*` and `p:*` wildcards, as Principal.hasScope", () => {
    expect(Scopes.satisfies(["*"], ["files:read", "admin", "a:b:c"])).toBe(true)
    expect(Scopes.satisfies(["files:*"], ["files:read", "files:read:own"])).toBe(true)
    expect(Scopes.satisfies(["files:*"], ["files"])).toBe(false)
    expect(Scopes.satisfies(["files:*"], ["users:read"])).toBe(false)
  })

  it("explicit implications, followed transitively, then prefix and wildcards", () => {
    const h = Scopes.hierarchy({ implies: { "files:write": ["files:read"], admin: ["files:write", "users"], owner: ["admin"] } })
    expect(Scopes.satisfies(["files:write"], ["files:read"], h)).toBe(true)
    expect(Scopes.satisfies(["files:read"], ["files:write"], h)).toBe(false)
    expect(Scopes.satisfies(["admin"], ["files:read", "files:write", "users:list"], h)).toBe(true)
    expect(Scopes.satisfies(["owner"], ["files:read", "users:delete"], h)).toBe(true)
    expect(Scopes.satisfies(["admin"], ["billing"], h)).toBe(false)
    // Edges leave granted scopes and what edges reach, not what a prefix implies.
    expect(Scopes.satisfies(["files"], ["files:write"], h)).toBe(true)
    const viaPrefix = Scopes.hierarchy({ implies: { "files:write": ["billing:read"] } })
    expect(Scopes.satisfies(["files"], ["billing:read"], viaPrefix)).toBe(false)
  })

  it("cycles in the implication graph make scopes equivalent and terminate", () => {
    const h = Scopes.hierarchy({ implies: new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]]) })
    expect(Scopes.satisfies(["c"], ["a", "b"], h)).toBe(true)
    expect([...h.implies.get("a")!].sort()).toEqual(["a", "b", "c"])
  })

  it("prefix and wildcards can be turned off; flat is exact matching", () => {
    expect(Scopes.satisfies(["files"], ["files:read"], Scopes.hierarchy({ prefix: false }))).toBe(false)
    expect(Scopes.satisfies(["files:*"], ["files:read"], Scopes.hierarchy({ prefix: false }))).toBe(true)
    expect(Scopes.satisfies(["*"], ["x"], Scopes.hierarchy({ wildcards: false }))).toBe(false)
    expect(Scopes.satisfies(["files:*"], ["files:read"], Scopes.flat)).toBe(false)
    expect(Scopes.satisfies(["files:read"], ["files:read"], Scopes.flat)).toBe(true)
  })
})

describe("Scopes.missing: spec 2026-07-28 basic/authorization 'Runtime Insufficient Scope Errors': every scope in one challenge", () => {
  it("names every required scope not covered, in order, once", () => {
    const required = ["files:read", "files:write", "users:list", "files:write", "admin"]
    expect(Scopes.missing([], required)).toEqual(["files:read", "files:write", "users:list", "admin"])
    expect(Scopes.missing(["files:read"], required)).toEqual(["files:write", "users:list", "admin"])
    expect(Scopes.missing(["files", "users"], required)).toEqual(["admin"])
    expect(Scopes.missing(["*"], required)).toEqual([])
    expect(Scopes.missing(["anything"], [])).toEqual([])
  })

  it("covers: one scope", () => {
    expect(Scopes.covers(new Set(["files"]), "files:read")).toBe(true)
    expect(Scopes.covers(new Set<string>(), "files:read")).toBe(false)
  })
})

describe("Scopes.ScopeHierarchy", () => {
  it.effect("defaults to the spec's hierarchy and needs no Layer", () =>
    Effect.gen(function*() {
      const h = yield* Scopes.ScopeHierarchy
      expect(h).toBe(Scopes.defaultHierarchy)
    }))

  it.effect("a Layer replaces it", () =>
    Effect.gen(function*() {
      const h = yield* Scopes.ScopeHierarchy
      expect(Scopes.satisfies(["files:write"], ["files:read"], h)).toBe(true)
      expect(Scopes.satisfies(["files"], ["files:read"], h)).toBe(false)
    }).pipe(Effect.provide(Scopes.layer({ prefix: false, implies: { "files:write": ["files:read"] } }))))

  it.effect("a Layer of a built hierarchy keeps its transitive edges", () =>
    Effect.gen(function*() {
      const h = yield* Scopes.ScopeHierarchy
      expect(Scopes.satisfies(["owner"], ["files:read"], h)).toBe(true)
      expect(Scopes.satisfies(["files:read"], ["owner"], h)).toBe(false)
    }).pipe(Effect.provide(Scopes.layer(Scopes.hierarchy({ implies: { owner: ["admin"], admin: ["files"] } })))))
})
