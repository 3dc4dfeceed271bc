/**
 * The gateway's routing table: advertised names to (backend, original name)
 * and back, with the spec's character set and length, deterministic
 * shortening, order independence, stability when backends come and go,
 * local names that always win, resource URIs kept or rewritten.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Names from "../src/Names.js"

const NAME = (max: number) => new RegExp(`^[A-Za-z0-9_.-]{1,${max}}$`)

describe("Names.table", () => {
  it("advertises prefix + separator + original and resolves by lookup, never by splitting", () => {
    const t = Names.table([
      { backend: "git_hub", items: ["search_issues", "a_b"] },
      { backend: "fs", prefix: "files", items: ["read"] }
    ])
    expect(t.advertised("git_hub", "search_issues")).toBe("git_hub_search_issues")
    expect(t.resolve("git_hub_search_issues")).toEqual({ backend: "git_hub", name: "search_issues" })
    expect(t.resolve("git_hub_a_b")).toEqual({ backend: "git_hub", name: "a_b" })
    expect(t.resolve("files_read")).toEqual({ backend: "fs", name: "read" })
    expect(t.resolve("fs_read")).toBeUndefined()
    expect(t.entries.map((e) => e.advertised)).toEqual(["files_read", "git_hub_a_b", "git_hub_search_issues"])
    expect(t.conflicts).toEqual([])
  })

  it("an empty prefix passes names through unchanged; a custom separator is used", () => {
    const t = Names.table([{ backend: "a", prefix: "", items: ["echo"] }, { backend: "b", items: ["echo"] }], { separator: "." })
    expect(t.advertised("a", "echo")).toBe("echo")
    expect(t.advertised("b", "echo")).toBe("b.echo")
  })

  it("spec 2025-11-25 server/tools \"Tool Names\": characters outside A-Z a-z 0-9 _ - . are replaced, with a hash keeping names distinct", () => {
    const t = Names.table([{ backend: "my server", items: ["get user", "get_user", "héllo", ""] }])
    const a = t.advertised("my server", "get user")!
    const b = t.advertised("my server", "get_user")!
    expect(b).toBe("my_server_get_user") // only the prefix needed sanitizing
    expect(a).toMatch(/^my_server_get_user-[0-9a-f]{8}$/)
    expect(t.advertised("my server", "héllo")).toMatch(/^my_server_h_llo-[0-9a-f]{8}$/)
    expect(t.advertised("my server", "")).toMatch(/^my_server_-[0-9a-f]{8}$/)
    for (const e of t.entries) expect(e.advertised).toMatch(NAME(64))
    expect(t.conflicts.map((c) => [c.name, c.reason])).toEqual([["", "invalid"], ["get user", "invalid"], ["héllo", "invalid"]])
    expect(t.conflicts[1]!.message).toContain("\"get user\"")
  })

  it("names over maxLength are shortened to a readable head and a stable hash", () => {
    const long1 = "x".repeat(70) + "1"
    const long2 = "x".repeat(70) + "2"
    const t = Names.table([{ backend: "srv", items: [long1, long2] }])
    const a = t.advertised("srv", long1)!
    const b = t.advertised("srv", long2)!
    expect(a).not.toBe(b)
    expect(a.length).toBe(64)
    expect(a.startsWith("srv_xxxx")).toBe(true)
    expect(a).toMatch(/-[0-9a-f]{8}$/)
    expect(t.conflicts.every((c) => c.reason === "too-long")).toBe(true)
    // Same inputs, same names: on every replica and every run.
    expect(Names.table([{ backend: "srv", items: [long2, long1] }]).advertised("srv", long1)).toBe(a)
    expect(Names.table([{ backend: "srv", items: [long1] }], { maxLength: 32 }).advertised("srv", long1)!.length).toBe(32)
  })

  it("a true collision: the backend whose id sorts first keeps the name, independent of order", () => {
    const x = { backend: "beta", prefix: "", items: ["echo"] }
    const y = { backend: "alpha", prefix: "", items: ["echo"] }
    for (const t of [Names.table([x, y]), Names.table([y, x])]) {
      expect(t.advertised("alpha", "echo")).toBe("echo")
      expect(t.advertised("beta", "echo")).toMatch(/^echo-[0-9a-f]{8}$/)
      expect(t.conflicts).toEqual([
        expect.objectContaining({ backend: "beta", name: "echo", reason: "taken", takenBy: { backend: "alpha", name: "echo" } })
      ])
    }
  })

  it("a local name always wins and is never renamed", () => {
    const t = Names.table([{ backend: "a", prefix: "", items: ["status", "x y"] }], { locals: ["status", "odd name!"] })
    expect(t.isLocal("status")).toBe(true)
    expect(t.resolve("status")).toBeUndefined()
    expect(t.advertised("a", "status")).toMatch(/^status-[0-9a-f]{8}$/)
    expect(t.locals).toEqual(["odd name!", "status"])
    expect(t.conflicts[0]).toMatchObject({ name: "status", reason: "taken", takenBy: "local" })
  })

  it("adding a backend with its own prefix changes no existing name", () => {
    const before = Names.table([{ backend: "a", items: ["t1", "t 2"] }])
    const after = Names.table([{ backend: "a", items: ["t1", "t 2"] }, { backend: "b", items: ["t1"] }])
    for (const e of before.entries) expect(after.advertised(e.backend, e.name)).toBe(e.advertised)
    const d = Names.diff(before, after)
    expect(d).toEqual({ added: ["b_t1"], removed: [], rerouted: [], changed: true })
    expect(Names.diff(after, before)).toEqual({ added: [], removed: ["b_t1"], rerouted: [], changed: true })
    expect(Names.diff(after, after).changed).toBe(false)
    expect(Names.diff(undefined, before).added).toEqual(before.entries.map((e) => e.advertised))
  })

  it("diff reports a name that now routes elsewhere", () => {
    const one = Names.table([{ backend: "b", prefix: "", items: ["echo"] }])
    const two = Names.table([{ backend: "a", prefix: "", items: ["echo"] }, { backend: "b", prefix: "", items: ["echo"] }])
    const d = Names.diff(one, two)
    expect(d.rerouted).toEqual(["echo"])
    expect(d.added).toEqual([two.advertised("b", "echo")])
  })

  it("bad input never crashes: repeated backends merge, non-strings are ignored, silly maxLength is clamped", () => {
    const junk = [
      { backend: "a", items: ["x"] },
      { backend: "a", items: ["y", 3 as unknown as string] },
      null as unknown as Names.Backend,
      { backend: "c", items: "nope" as unknown as ReadonlyArray<string> }
    ]
    const t = Names.table(junk, { maxLength: -5 })
    expect(t.entries.map((e) => e.advertised)).toEqual(["a_x", "a_y"])
    expect(Names.table([{ backend: "a", items: ["z".repeat(40)] }], { maxLength: Number.NaN }).advertised("a", "z".repeat(40))).toBe("a_" + "z".repeat(40))
  })
})

describe("Names.resourceTable", () => {
  it("keeps URIs; a duplicate URI is served by the first backend by id and reported", () => {
    const t = Names.resourceTable([
      { backend: "b", items: ["file:///x", "file:///b"] },
      { backend: "a", items: ["file:///x"] }
    ], { locals: ["gateway://status"] })
    expect(t.resolve("file:///x")).toEqual({ backend: "a", name: "file:///x" })
    expect(t.resolve("file:///b")).toEqual({ backend: "b", name: "file:///b" })
    expect(t.advertised("b", "file:///x")).toBeUndefined()
    expect(t.conflicts).toEqual([expect.objectContaining({ backend: "b", name: "file:///x", reason: "taken", advertised: undefined })])
    expect(t.isLocal("gateway://status")).toBe(true)
  })

  it("an optional rewrite is reversed through the table; a throwing rewrite drops the item", () => {
    const t = Names.resourceTable([{ backend: "a", items: ["file:///x", "bad"] }, { backend: "b", items: ["file:///x"] }], {
      rewrite: (backend, uri) => {
        if (uri === "bad") throw new Error("no")
        return `mcp://${backend}/${encodeURIComponent(uri)}`
      }
    })
    const a = t.advertised("a", "file:///x")!
    expect(a).toBe("mcp://a/file%3A%2F%2F%2Fx")
    expect(t.resolve(a)).toEqual({ backend: "a", name: "file:///x" })
    expect(t.resolve(t.advertised("b", "file:///x")!)).toEqual({ backend: "b", name: "file:///x" })
    expect(t.conflicts).toEqual([expect.objectContaining({ backend: "a", name: "bad", reason: "rewrite", advertised: undefined })])
  })
})

// Small alphabets so that collisions (shared prefixes, prefix "", repeated
// names, hashed look-alikes) are frequent; plus odd characters and long names.
const idArb = fc.constantFrom("a", "b", "c", "a_b", "b c", "é")
const itemArb = fc.oneof(
  { arbitrary: fc.constantFrom("x", "y", "a_x", "x_y", "b_x", "", "x y", "é"), weight: 6 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
  { arbitrary: fc.string({ minLength: 50, maxLength: 90 }), weight: 1 },
  { arbitrary: fc.constantFrom("q".repeat(63), "q".repeat(64), "q".repeat(65)), weight: 1 }
)
const backendArb = fc.record(
  { backend: idArb, prefix: fc.constantFrom(undefined, "", "", "", "a", "a_b", "p q"), items: fc.array(itemArb, { minLength: 1, maxLength: 6 }) },
  { requiredKeys: ["backend", "items"] }
)
const backendsArb = fc.uniqueArray(backendArb, { selector: (b) => b.backend, minLength: 1, maxLength: 5 })
const optionsArb = fc.record({
  separator: fc.constantFrom("_", ".", "", "__", "/"),
  maxLength: fc.constantFrom(16, 24, 64),
  locals: fc.array(fc.constantFrom("x", "a_x", "status", "b_x"), { maxLength: 3 })
})

const shuffled = <A>(xs: ReadonlyArray<A>, seed: number): Array<A> => {
  const out = [...xs]
  let s = seed >>> 0 || 1
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const pairs = (backends: ReadonlyArray<Names.Backend>) => {
  const m = new Set<string>()
  for (const b of backends) for (const i of b.items) m.add(JSON.stringify([b.backend, i]))
  return m
}

describe("Names properties", () => {
  it("every advertised name is valid and within maxLength; the table is a bijection; resolve inverts advertised", () => {
    fc.assert(
      fc.property(backendsArb, optionsArb, (backends, options) => {
        const t = Names.table(backends, options)
        const seen = new Set<string>()
        const kept = new Set<string>()
        for (const e of t.entries) {
          expect(e.advertised).toMatch(NAME(options.maxLength))
          expect(seen.has(e.advertised)).toBe(false)
          expect(t.isLocal(e.advertised)).toBe(false)
          seen.add(e.advertised)
          const key = JSON.stringify([e.backend, e.name])
          expect(kept.has(key)).toBe(false)
          kept.add(key)
          expect(t.resolve(e.advertised)).toEqual({ backend: e.backend, name: e.name })
          expect(t.advertised(e.backend, e.name)).toBe(e.advertised)
        }
        // Every input item is kept or reported as dropped.
        const dropped = new Set(t.conflicts.filter((c) => c.advertised === undefined).map((c) => JSON.stringify([c.backend, c.name])))
        expect(new Set([...kept, ...dropped])).toEqual(pairs(backends))
        for (const b of backends) for (const i of b.items) {
          const a = t.advertised(b.backend, i)
          if (a !== undefined) expect(t.resolve(a)).toEqual({ backend: b.backend, name: i })
        }
      }),
      { numRuns: 300 }
    )
  })

  it("the table is independent of the order of backends and items", () => {
    fc.assert(
      fc.property(backendsArb, optionsArb, fc.integer(), (backends, options, seed) => {
        const other = shuffled(backends, seed).map((b, k) => ({ ...b, items: shuffled(b.items, seed + k + 1) }))
        const t1 = Names.table(backends, options)
        const t2 = Names.table(other, { ...options, locals: shuffled(options.locals, seed) })
        expect(t2.entries).toEqual(t1.entries)
        expect(t2.conflicts).toEqual(t1.conflicts)
        expect(t2.locals).toEqual(t1.locals)
      }),
      { numRuns: 300 }
    )
  })

  it("adding a backend changes an existing item's name only when that name is taken from it", () => {
    fc.assert(
      fc.property(backendsArb, backendArb, optionsArb, (backends, extra, options) => {
        fc.pre(!backends.some((b) => b.backend === extra.backend))
        const before = Names.table(backends, options)
        const after = Names.table([...backends, extra], options)
        for (const e of before.entries) {
          const now = after.advertised(e.backend, e.name)
          if (now === e.advertised) continue
          // Displaced: its old name now belongs to another item.
          const holder = after.resolve(e.advertised)
          expect(holder).toBeDefined()
          expect(holder).not.toEqual({ backend: e.backend, name: e.name })
        }
        // With a prefix no other backend can produce, nothing moves at all.
        const isolated = Names.table([...backends, { ...extra, backend: "zz", prefix: "zz9" }], options)
        const clash = (s: string) => s.startsWith("zz9") || [...options.locals].some((l) => l.startsWith("zz9"))
        if (!before.entries.some((e) => clash(e.advertised)))
          for (const e of before.entries) expect(isolated.advertised(e.backend, e.name)).toBe(e.advertised)
      }),
      { numRuns: 300 }
    )
  })

  it("resource tables: bijective, order independent, reversible rewrite", () => {
    const uris = fc.array(fc.constantFrom("file:///a", "file:///b", "mem://x", "x"), { maxLength: 4 })
    const sources = fc.uniqueArray(fc.record({ backend: idArb, items: uris }), { selector: (b) => b.backend, maxLength: 4 })
    fc.assert(
      fc.property(sources, fc.boolean(), fc.integer(), (backends, rewriting, seed) => {
        const options = rewriting ? { rewrite: (b: string, u: string) => `gw://${encodeURIComponent(b)}/${encodeURIComponent(u)}` } : {}
        const t1 = Names.resourceTable(backends, options)
        const t2 = Names.resourceTable(shuffled(backends, seed), options)
        expect(t2.entries).toEqual(t1.entries)
        expect(t2.conflicts).toEqual(t1.conflicts)
        for (const e of t1.entries) expect(t1.resolve(e.advertised)).toEqual({ backend: e.backend, name: e.name })
        if (rewriting) expect(t1.conflicts).toEqual([])
        for (const c of t1.conflicts) expect(t1.resolve(c.name)!.backend < c.backend).toBe(true)
      }),
      { numRuns: 200 }
    )
  })
})
