/**
 * Rate limits through a real server and client: a refused call is answered
 * -32000 `RateLimited` with `retryAfterSeconds` and its handler never runs;
 * budgets come back with time (TestClock); callers, tenants and tools are
 * isolated by their key; HTTP maps the refusal to 429 + Retry-After (RFC 6585 §4).
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Middleware, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Option, TestClock } from "effect"
import * as Limit from "../src/internal/limit.js"
import * as Principal from "../src/Principal.js"
import { auth } from "./support/metaPrincipal.js"
import * as RateLimit from "../src/RateLimit.js"


/** `tools/call` of `name` as `subject` (of `tenant`). */
const call = (client: TestClient.TestClient["Type"], name: string, subject?: string, tenant?: string) =>
  client.request("tools/call", {
    name,
    arguments: {},
    ...(subject === undefined ? {} : { _meta: { "test/subject": subject, ...(tenant === undefined ? {} : { "test/tenant": tenant }) } })
  })

/** A tool counting its runs. */
const counted = (name: string, middleware: ReadonlyArray<Middleware.Middleware<never, unknown>> = []) => {
  const runs = { count: 0 }
  const tool = Tool.make(name, { middleware, handler: () => Effect.sync(() => ++runs.count).pipe(Effect.map((n) => `run ${n}`)) })
  return { runs, tool }
}

const server = { name: "limits", version: "1" }

describe("RateLimit.tokenBucket", () => {
  it.scoped("lets a burst through, then refuses with RateLimited and retryAfterSeconds without running the handler", () => {
    const limit = RateLimit.tokenBucket({ name: "calls", rate: 1, per: "1 second", burst: 3 })
    const { runs, tool } = counted("work", [limit])
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      for (let i = 1; i <= 3; i++) expect((yield* client.callTool("work")).content).toEqual([{ type: "text", text: `run ${i}` }])
      const refused = yield* Effect.flip(client.callTool("work"))
      expect(refused).toMatchObject({
        code: -32000,
        message: `RateLimited: Rate limit "calls" exceeded: retry after 1 s`,
        data: { _tag: "RateLimited", limit: "calls", retryAfterSeconds: 1 }
      })
      expect(runs.count).toBe(3)
      // Half a token later: still refused, sooner.
      yield* TestClock.adjust("500 millis")
      expect(yield* Effect.flip(client.callTool("work"))).toMatchObject({ data: { retryAfterSeconds: 0.5 } })
      // A token later: one call, not two.
      yield* TestClock.adjust("500 millis")
      expect((yield* client.callTool("work")).content).toEqual([{ type: "text", text: "run 4" }])
      expect(yield* Effect.flip(client.callTool("work"))).toMatchObject({ code: -32000 })
      // A quiet spell refills the bucket up to the burst, no further.
      yield* TestClock.adjust("1 minute")
      for (let i = 0; i < 3; i++) yield* client.callTool("work")
      expect(yield* Effect.flip(client.callTool("work"))).toMatchObject({ code: -32000 })
      expect(runs.count).toBe(7)
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)))
  })

  it.scoped("keys by principal: one caller's exhausted budget does not limit another", () => {
    const { runs, tool } = counted("work", [RateLimit.tokenBucket({ key: RateLimit.byPrincipal, rate: 2, per: "1 minute" })])
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* call(client, "work", "alice")
      yield* call(client, "work", "alice")
      const refused = yield* Effect.flip(call(client, "work", "alice"))
      // 2 a minute: the next token in 30 s.
      expect(refused).toMatchObject({ code: -32000, data: { _tag: "RateLimited", limit: "rate-limit", retryAfterSeconds: 30 } })
      expect((yield* call(client, "work", "bob")).content).toEqual([{ type: "text", text: "run 3" }])
      yield* call(client, "work", "bob")
      expect(yield* Effect.flip(call(client, "work", "bob"))).toMatchObject({ code: -32000 })
      expect(yield* Effect.flip(call(client, "work", "alice"))).toMatchObject({ code: -32000 })
      expect(runs.count).toBe(4)
    }).pipe(Effect.provide(TestClient.layerWith(server, auth, tool)))
  })

  it.scoped("global, after authentication: `when` picks what counts (tools/call), lists and pings pass", () => {
    const limit = RateLimit.tokenBucket({ rate: 1, per: "1 hour", when: (request) => request.method === "tools/call" })
    const { tool } = counted("work")
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* call(client, "work", "alice")
      for (let i = 0; i < 5; i++) yield* client.listTools()
      yield* client.ping()
      expect(yield* Effect.flip(call(client, "work", "alice"))).toMatchObject({ code: -32000, data: { retryAfterSeconds: 3600 } })
    }).pipe(Effect.provide(TestClient.layerWith(server, auth, limit, tool)))
  })

  it.scoped("without authentication every caller is anonymous and shares one budget", () => {
    const { tool } = counted("work", [RateLimit.tokenBucket({ rate: 1, per: "1 hour" })])
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* call(client, "work", "alice")
      expect(yield* Effect.flip(call(client, "work", "bob"))).toMatchObject({ code: -32000 })
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)))
  })

  it("refuses configurations that cannot work, with a clear error", () => {
    expect(() => RateLimit.tokenBucket({ rate: 0 })).toThrow(/rate must be a positive number/)
    expect(() => RateLimit.tokenBucket({ rate: 1, burst: 0.5 })).toThrow(/burst must be at least 1/)
    expect(() => RateLimit.slidingWindow({ limit: 0, window: "1 second" })).toThrow(/limit must be a positive integer/)
    expect(() => RateLimit.slidingWindow({ limit: 1, window: 0 })).toThrow(/window must be a positive/)
    expect(() => RateLimit.tokenBucket({ rate: 1, maxKeys: 0 })).toThrow(/maxKeys/)
  })
})

describe("RateLimit.slidingWindow", () => {
  it.scoped("per tenant: at most `limit` calls in any window; other tenants unaffected; the window slides", () => {
    const limit = RateLimit.slidingWindow({ name: "tenant", key: RateLimit.byTenant, limit: 3, window: "10 seconds" })
    const { runs, tool } = counted("work", [limit])
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* call(client, "work", "alice", "acme")
      yield* call(client, "work", "alice", "acme")
      yield* call(client, "work", "bob", "acme")
      // Bob shares acme's window with alice; carol's tenant has its own.
      const refused = yield* Effect.flip(call(client, "work", "bob", "acme"))
      // 3 in this window: the next call fits once the window has slid a third past it (10 s + 3.334 s).
      expect(refused).toMatchObject({ code: -32000, data: { _tag: "RateLimited", limit: "tenant", retryAfterSeconds: 13.334 } })
      expect((yield* call(client, "work", "carol", "globex")).content).toEqual([{ type: "text", text: "run 4" }])
      expect(runs.count).toBe(4)
      yield* TestClock.adjust("13 seconds")
      expect(yield* Effect.flip(call(client, "work", "alice", "acme"))).toMatchObject({ data: { retryAfterSeconds: 0.334 } })
      yield* TestClock.adjust("334 millis")
      yield* call(client, "work", "alice", "acme")
      // Two thirds of the previous window's 3 still count, plus this one: full again.
      expect(yield* Effect.flip(call(client, "work", "alice", "acme"))).toMatchObject({ code: -32000 })
      // Two windows of quiet forget everything.
      yield* TestClock.adjust("20 seconds")
      for (let i = 0; i < 3; i++) yield* call(client, "work", "bob", "acme")
      expect(yield* Effect.flip(call(client, "work", "bob", "acme"))).toMatchObject({ code: -32000 })
      expect(runs.count).toBe(8)
    }).pipe(Effect.provide(TestClient.layerWith(server, auth, tool)))
  })

  it.scoped("combine(byPrincipal, byTool): each caller has a budget per tool", () => {
    const limit = RateLimit.slidingWindow({ key: RateLimit.combine(RateLimit.byPrincipal, RateLimit.byTool), limit: 1, window: "1 minute" })
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* call(client, "a", "alice")
      yield* call(client, "b", "alice")
      yield* call(client, "a", "bob")
      expect(yield* Effect.flip(call(client, "a", "alice"))).toMatchObject({ code: -32000 })
      expect(yield* Effect.flip(call(client, "b", "alice"))).toMatchObject({ code: -32000 })
    }).pipe(Effect.provide(TestClient.layerWith(server, auth, limit, counted("a").tool, counted("b").tool)))
  })
})

describe("RateLimit.httpStatus", () => {
  it.scoped("maps the refusal a client received to 429 with Retry-After in whole seconds, rounded up (RFC 6585 §4, RFC 9110 §10.2.3)", () => {
    const { tool } = counted("work", [RateLimit.tokenBucket({ rate: 4, burst: 1 })])
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.callTool("work")
      const refused = yield* Effect.flip(client.callTool("work"))
      expect(refused).toMatchObject({ data: { retryAfterSeconds: 0.25 } })
      expect(RateLimit.httpStatus(refused)).toEqual({
        status: 429,
        headers: { "retry-after": "1" }
      })
    }).pipe(Effect.provide(TestClient.layerWith(server, tool)))
  })

  it("is undefined for every other error", () => {
    expect(RateLimit.httpStatus({ code: -32603, message: "Internal error" })).toBeUndefined()
    expect(RateLimit.httpStatus({ code: -32000, message: "x", data: { _tag: "Unauthorized" } })).toBeUndefined()
    expect(RateLimit.httpStatus({ code: -32000, message: "x" })).toBeUndefined()
    expect(RateLimit.httpStatus({ code: -32602, message: "x", data: { _tag: "RateLimited", retryAfterSeconds: 1 } })).toBeUndefined()
    expect(RateLimit.httpStatus({ code: -32000, message: "x", data: { _tag: "RateLimited", retryAfterSeconds: 61.2 } })).toEqual({
      status: 429,
      headers: { "retry-after": "62" }
    })
  })
})

describe("RateLimit keys", () => {
  const request = (primitive?: { kind: "tool" | "prompt" | "resource"; name: string }) => ({ primitive, method: "tools/call" }) as never
  const alice = Option.some(Principal.make("alice", [], "acme"))

  it("byPrincipal, byTenant and byTool name what they say; combine never confuses parts", () => {
    expect(RateLimit.byPrincipal(request(), alice)).toBe(Principal.key(Principal.make("alice", [], "acme")))
    expect(RateLimit.byPrincipal(request(), Option.none())).toBe("anonymous")
    expect(RateLimit.byTenant(request(), alice)).toBe("tenant:acme")
    expect(RateLimit.byTenant(request(), Option.some(Principal.make("bob")))).toBe(RateLimit.byTenant(request(), Option.none()))
    expect(RateLimit.byTool(request({ kind: "tool", name: "x" }), alice)).toBe("tool:x")
    expect(RateLimit.byTool(request({ kind: "prompt", name: "x" }), alice)).toBe("prompt:x")
    const a = () => "a:b"
    const b = () => "c"
    const c = () => "a"
    const d = () => "b:c"
    expect(RateLimit.combine(a, b)(request(), alice)).not.toBe(RateLimit.combine(c, d)(request(), alice))
  })

  it("byIp: IPv4-mapped IPv6 is its IPv4 address (RFC 4291 §2.5.5.2), IPv6 counts per /64 (RFC 6177 §2)", () => {
    const key = (address: string | undefined) => RateLimit.byIp(() => address)(request(), Option.none())
    expect(key("192.0.2.1")).toBe("ip:192.0.2.1")
    expect(key("::ffff:192.0.2.1")).toBe("ip:192.0.2.1")
    expect(key("0:0:0:0:0:FFFF:192.0.2.1")).toBe("ip:192.0.2.1")
    expect(key("2001:db8:1:2:aaaa::1")).toBe(key("[2001:0db8:0001:0002:bbbb::2]"))
    expect(key("2001:db8:1:2::1")).toBe("ip:2001:db8:1:2::/64")
    expect(key("2001:db8:1:3::1")).not.toBe(key("2001:db8:1:2::1"))
    expect(key("fe80::1%eth0")).toBe("ip:fe80:0:0:0::/64")
    expect(key(undefined)).toBe("ip:unknown")
    expect(key("not an address")).toBe("ip:not an address")
  })
})

describe("RateLimit internals", () => {
  it("memory stays bounded: idle keys are forgotten first, then the least recently used", () => {
    const limiter = Limit.tokenBucket({ perMilli: 1 / 1000, burst: 1, maxKeys: 10 })
    // Ten keys spend their token at t=0; at t=2s all are full again (idle) and may be forgotten freely.
    for (let i = 0; i < 10; i++) expect(limiter.take(`k${i}`, 0)).toBe(0)
    expect(limiter.take("k0", 0)).toBe(1000)
    expect(limiter.size()).toBe(10)
    for (let i = 10; i < 1000; i++) limiter.take(`k${i}`, 2000 + i)
    expect(limiter.size()).toBeLessThanOrEqual(10)
    // A key in active use survives a sweep that has to drop keys in use: the least recently used go.
    const busy = Limit.slidingWindow({ limit: 1, windowMillis: 60_000, maxKeys: 10 })
    for (let i = 0; i < 10; i++) busy.take(`k${i}`, i)
    expect(busy.take("k0", 100)).toBeGreaterThan(0)
    busy.take("new", 200)
    expect(busy.size()).toBeLessThanOrEqual(10)
    expect(busy.take("k0", 300)).toBeGreaterThan(0)
  })

  it("the check is lean: no generator on the hot path, and a request `when` excludes gets `next` itself", () => {
    // Not a timing test: the hot path must stay a synchronous check inside one `withFiberRuntime` step.
    for (const file of ["../src/RateLimit.ts", "../src/internal/limit.ts", "../src/internal/limitKey.ts"]) {
      const source = readFileSync(new URL(file, import.meta.url), "utf8")
      expect(source).not.toMatch(/Effect\.gen|function\s*\*/)
    }
    const limit = RateLimit.tokenBucket({ rate: 1, when: () => false })
    const next = Effect.succeed({})
    expect(limit.apply({ method: "ping" } as never, next)).toBe(next)
  })
})
