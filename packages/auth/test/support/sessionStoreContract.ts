/**
 * The behaviour every `SessionStore` must have, written once and run
 * against the memory, file and PostgreSQL stores.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Option, type Scope } from "effect"
import * as SessionStore from "../../src/SessionStore.js"

const minute = 60_000
/** An arbitrary "now" far from 0, so a store that confused fields would show it. */
const t0 = 1_750_000_000_000

/** A session of `subject` opened at `now`, expiring after `idle` (sliding) and `absolute`. */
export const sessionOf = (subject: string, options: {
  readonly tenant?: string
  readonly now?: number
  readonly idle?: number
  readonly absolute?: number
} = {}): SessionStore.Session => {
  const now = options.now ?? t0
  const absoluteExpiresAt = now + (options.absolute ?? 60 * minute)
  return {
    digest: SessionStore.digest(SessionStore.newId()),
    identity: {
      subject,
      ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      roles: ["editor"],
      scopes: ["tools:call", "prompts:*"],
      claims: { email: `${subject}@example.com`, nested: { a: [1, 2] } },
      kind: "jwt",
      issuer: "https://issuer.example"
    },
    createdAt: now,
    lastSeenAt: now,
    expiresAt: Math.min(now + (options.idle ?? 10 * minute), absoluteExpiresAt),
    absoluteExpiresAt
  }
}

/**
 * Registers the contract's tests; `fresh` makes an empty store (scoped:
 * whatever it opens is closed after the test).
 */
export const sessionStoreContract = <E>(fresh: Effect.Effect<SessionStore.Service, E, Scope.Scope>) => {
  const test = (name: string, body: (store: SessionStore.Service) => Effect.Effect<void, unknown>) =>
    it.live(name, () => Effect.scoped(Effect.flatMap(fresh, body)))

  test("keeps a session by digest and gives it back whole", (store) =>
    Effect.gen(function*() {
      const session = sessionOf("alice", { tenant: "acme" })
      yield* store.create(session)
      expect(Option.getOrThrow(yield* store.get(session.digest))).toEqual(session)
      expect(Option.isNone(yield* store.get(SessionStore.digest(SessionStore.newId())))).toBe(true)
      // create replaces the session of the same digest
      const replaced = { ...session, lastSeenAt: session.lastSeenAt + 1 }
      yield* store.create(replaced)
      expect(Option.getOrThrow(yield* store.get(session.digest))).toEqual(replaced)
    }))

  test("a session without tenant or issuer comes back without them", (store) =>
    Effect.gen(function*() {
      const { issuer: _issuer, ...identity } = sessionOf("bob").identity
      const session = { ...sessionOf("bob"), identity: { ...identity, claims: {} } }
      yield* store.create(session)
      const found = Option.getOrThrow(yield* store.get(session.digest))
      expect(found).toEqual(session)
      expect("tenant" in found.identity).toBe(false)
      expect("issuer" in found.identity).toBe(false)
    }))

  test("touch slides the expiry by idleMillis, never past the absolute expiry", (store) =>
    Effect.gen(function*() {
      const session = sessionOf("alice", { idle: 10 * minute, absolute: 25 * minute })
      yield* store.create(session)
      const first = Option.getOrThrow(yield* store.touch(session.digest, { now: t0 + 5 * minute, idleMillis: 10 * minute }))
      expect(first.lastSeenAt).toBe(t0 + 5 * minute)
      expect(first.expiresAt).toBe(t0 + 15 * minute)
      const early = Option.getOrThrow(yield* store.touch(session.digest, { now: t0 + 14 * minute, idleMillis: 10 * minute }))
      expect(early.expiresAt).toBe(t0 + 24 * minute)
      const second = Option.getOrThrow(yield* store.touch(session.digest, { now: t0 + 20 * minute, idleMillis: 10 * minute }))
      expect(second.expiresAt).toBe(t0 + 25 * minute)
      expect(second.absoluteExpiresAt).toBe(t0 + 25 * minute)
      expect(second.createdAt).toBe(t0)
      expect(Option.getOrThrow(yield* store.get(session.digest))).toEqual(second)
    }))

  test("touch refuses an expired or missing session and leaves it as it was", (store) =>
    Effect.gen(function*() {
      const session = sessionOf("alice", { idle: 10 * minute })
      yield* store.create(session)
      // exactly at expiresAt it is expired
      expect(Option.isNone(yield* store.touch(session.digest, { now: session.expiresAt, idleMillis: 10 * minute }))).toBe(true)
      expect(Option.getOrThrow(yield* store.get(session.digest))).toEqual(session)
      expect(Option.isNone(yield* store.touch(SessionStore.digest("missing"), { now: t0, idleMillis: minute }))).toBe(true)
      expect(Option.isNone(yield* store.get(SessionStore.digest("missing")))).toBe(true)
    }))

  test("delete removes a session once", (store) =>
    Effect.gen(function*() {
      const session = sessionOf("alice")
      yield* store.create(session)
      expect(yield* store.delete(session.digest)).toBe(true)
      expect(yield* store.delete(session.digest)).toBe(false)
      expect(Option.isNone(yield* store.get(session.digest))).toBe(true)
    }))

  test("a touch racing a delete never revives the session", (store) =>
    Effect.gen(function*() {
      for (let round = 0; round < 10; round++) {
        const session = sessionOf("alice")
        yield* store.create(session)
        yield* Effect.all([
          ...Array.from({ length: 4 }, (_, i) => store.touch(session.digest, { now: t0 + i, idleMillis: minute })),
          store.delete(session.digest),
          ...Array.from({ length: 4 }, (_, i) => store.touch(session.digest, { now: t0 + 10 + i, idleMillis: minute }))
        ], { concurrency: "unbounded" })
        expect(Option.isNone(yield* store.get(session.digest))).toBe(true)
      }
    }))

  test("deleteExpired removes the idle-expired and the absolutely expired, and counts them", (store) =>
    Effect.gen(function*() {
      const idle = sessionOf("a", { idle: minute })
      const absolute = sessionOf("b", { idle: 10 * minute, absolute: 2 * minute })
      const live = sessionOf("c", { idle: 10 * minute })
      yield* Effect.forEach([idle, absolute, live], store.create)
      expect(yield* store.deleteExpired(t0 + 2 * minute)).toBe(2)
      expect(Option.isNone(yield* store.get(idle.digest))).toBe(true)
      expect(Option.isNone(yield* store.get(absolute.digest))).toBe(true)
      expect(Option.isSome(yield* store.get(live.digest))).toBe(true)
      expect(yield* store.deleteExpired(t0 + 2 * minute)).toBe(0)
    }))

  test("deleteBySubject removes a subject's sessions, of one tenant when given", (store) =>
    Effect.gen(function*() {
      const acme = [sessionOf("alice", { tenant: "acme" }), sessionOf("alice", { tenant: "acme" })]
      const other = sessionOf("alice", { tenant: "other" })
      const bob = sessionOf("bob", { tenant: "acme" })
      yield* Effect.forEach([...acme, other, bob], store.create)
      expect(yield* store.deleteBySubject("alice", "acme")).toBe(2)
      expect(Option.isSome(yield* store.get(other.digest))).toBe(true)
      expect(yield* store.deleteBySubject("alice")).toBe(1)
      expect(Option.isNone(yield* store.get(other.digest))).toBe(true)
      expect(Option.isSome(yield* store.get(bob.digest))).toBe(true)
      expect(yield* store.deleteBySubject("nobody")).toBe(0)
    }))
}
