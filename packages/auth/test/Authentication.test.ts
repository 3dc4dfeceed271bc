/**
 * The authentication chain: the first authenticator that accepts, one
 * bounded cache of verified credentials (reused until they expire),
 * refusals cached briefly, an unreachable verifier never cached.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Authentication from "../src/Authentication.js"
import { type Authenticator, AuthenticationError, fromHeaders } from "../src/Authenticator.js"
import * as Principal from "../src/Principal.js"

const counting = (name: string, header: string, accept: (value: string) => boolean | "down", expiresIn?: number) => {
  const calls: Array<string> = []
  const authenticator: Authenticator = {
    name,
    kind: "api-key",
    credential: (c) => c.header(header),
    verify: (value) =>
      Effect.suspend(() => {
        calls.push(value)
        const verdict = accept(value)
        if (verdict === "down") return Effect.fail(new AuthenticationError({ reason: "unavailable", description: "down" }))
        return verdict
          ? Effect.succeed(Principal.make(`${name}:${value}`, [], { kind: "api-key", expiresAt: expiresIn === undefined ? undefined : Date.now() + expiresIn }))
          : Effect.fail(new AuthenticationError({ reason: "invalid", description: `${name} refused` }))
      })
  }
  return { authenticator, calls }
}

describe("Authentication chain", () => {
  it.effect("the first authenticator whose credential is present and accepted wins; none present is `missing`", () =>
    Effect.gen(function*() {
      const a = counting("a", "x-a", (v) => v === "good")
      const b = counting("b", "x-b", () => true)
      const chain = Authentication.make([a.authenticator, b.authenticator])
      expect((yield* chain.authenticate(fromHeaders({ "x-a": "good", "x-b": "z" }))).subject).toBe("a:good")
      expect((yield* chain.authenticate(fromHeaders({ "x-a": "bad", "x-b": "z" }))).subject).toBe("b:z")
      const refused = yield* Effect.flip(chain.authenticate(fromHeaders({ "x-a": "bad" })))
      expect(refused.description).toBe("a refused")
      expect((yield* Effect.flip(chain.authenticate(fromHeaders({})))).reason).toBe("missing")
    }))

  it.effect("a verified credential is reused synchronously (peek) until it expires; the cache is bounded", () =>
    Effect.gen(function*() {
      const a = counting("a", "x-a", () => true, 60_000)
      const chain = Authentication.make([a.authenticator], { maxEntries: 2 })
      const req = (v: string) => fromHeaders({ "x-a": v })
      expect(chain.peek(req("1"))).toBeUndefined()
      yield* chain.authenticate(req("1"))
      expect(chain.peek(req("1"))?.subject).toBe("a:1")
      yield* chain.authenticate(req("1"))
      expect(a.calls).toEqual(["1"])
      yield* chain.authenticate(req("2"))
      yield* chain.authenticate(req("3"))
      // "1" was the oldest of three with room for two.
      expect(chain.peek(req("1"))).toBeUndefined()
      expect(chain.peek(req("3"))?.subject).toBe("a:3")
      yield* chain.authenticate(req("1"))
      expect(a.calls).toEqual(["1", "2", "3", "1"])
    }))

  it.live("an expired identity is verified again; a refusal is cached briefly; an unreachable verifier is not cached", () =>
    Effect.gen(function*() {
      const short = counting("s", "x-s", () => true, 5)
      const chain = Authentication.make([short.authenticator])
      yield* chain.authenticate(fromHeaders({ "x-s": "t" }))
      yield* Effect.sleep("20 millis")
      expect(chain.peek(fromHeaders({ "x-s": "t" }))).toBeUndefined()
      yield* chain.authenticate(fromHeaders({ "x-s": "t" }))
      expect(short.calls).toEqual(["t", "t"])

      const refusing = counting("r", "x-r", () => false)
      const refusals = Authentication.make([refusing.authenticator], { refusalMillis: 60_000 })
      yield* Effect.flip(refusals.authenticate(fromHeaders({ "x-r": "no" })))
      yield* Effect.flip(refusals.authenticate(fromHeaders({ "x-r": "no" })))
      expect(refusing.calls).toEqual(["no"])

      const down = counting("d", "x-d", () => "down")
      const unreachable = Authentication.make([down.authenticator])
      expect((yield* Effect.flip(unreachable.authenticate(fromHeaders({ "x-d": "k" })))).reason).toBe("unavailable")
      yield* Effect.flip(unreachable.authenticate(fromHeaders({ "x-d": "k" })))
      expect(down.calls).toEqual(["k", "k"])
    }))

  it.effect("a flood of refused credentials cannot push a verified caller out of the cache (refusals are bounded apart)", () =>
    Effect.gen(function*() {
      const a = counting("a", "x-a", (v) => v === "good", 60_000)
      const chain = Authentication.make([a.authenticator], { maxEntries: 2, maxRefusals: 3 })
      yield* chain.authenticate(fromHeaders({ "x-a": "good" }))
      for (let i = 0; i < 50; i++) yield* Effect.flip(chain.authenticate(fromHeaders({ "x-a": `forged-${i}` })))
      expect(chain.peek(fromHeaders({ "x-a": "good" }))?.subject).toBe("a:good")
      // The newest refusals are still cached; the oldest were let go.
      yield* Effect.flip(chain.authenticate(fromHeaders({ "x-a": "forged-49" })))
      yield* Effect.flip(chain.authenticate(fromHeaders({ "x-a": "forged-0" })))
      expect(a.calls.filter((c) => c === "forged-49")).toHaveLength(1)
      expect(a.calls.filter((c) => c === "forged-0")).toHaveLength(2)
    }))
})

