/**
 * Signing keys on a real store (the memory `OAuthStore`) with a real sealer
 * (AES-256-GCM): a rotation walked through with the TestClock, tokens signed
 * by each key verified against the published JWKS with jose, emergency
 * rotation, two replicas racing on one store, unknown `kid`s re-reading the
 * store with a cooldown, and keys that do not open.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Layer, Option, Redacted, Ref, TestClock } from "effect"
import * as jose from "jose"
import { makePostgresOAuthStore } from "../src/internal/oauth/postgresStore.js"
import { makeSealer } from "../src/internal/oauth/seal.js"
import * as OAuthStore from "../src/OAuthStore.js"
import * as SigningKeys from "../src/SigningKeys.js"
import { clientLayer, type StartedPostgres, startPostgres } from "./support/postgres.js"

const sealer = makeSealer(Redacted.make("a-test-encryption-key-of-at-least-32-characters"))
const otherSealer = makeSealer(Redacted.make("another-encryption-key-of-at-least-32-characters"))

const hour = Duration.toMillis(Duration.hours(1))
const day = Duration.toMillis(Duration.days(1))

const withStore = <A, E>(effect: Effect.Effect<A, E, OAuthStore.OAuthStore>) => Effect.provide(effect, OAuthStore.memory)

/** Signs a JWS with the ring's current signer. */
const sign = (ring: SigningKeys.KeyRing, payload = "hello") =>
  Effect.gen(function*() {
    const { alg, key, kid } = yield* ring.signer
    const jws = yield* Effect.promise(() => new jose.CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg, kid }).sign(key))
    return { jws, kid }
  })

/** Verifies a JWS against the ring's published JWKS, as a resource server would; the kid that verified it, or undefined. */
const verifyWithJwks = (ring: SigningKeys.KeyRing, jws: string) =>
  Effect.gen(function*() {
    const jwks = yield* ring.jwks
    const keySet = jose.createLocalJWKSet({ keys: [...jwks.keys] })
    return yield* Effect.promise(() =>
      jose.compactVerify(jws, keySet).then((r) => r.protectedHeader.kid, () => undefined)
    )
  })

const kids = (ring: SigningKeys.KeyRing) => Effect.map(ring.jwks, (jwks) => jwks.keys.map((k) => k.kid))

/**
 * Two replicas (each on its own connection to one store) race to create the
 * first key: each insert waits until both have read the empty store, so both
 * insert. Then checks both keys are valid everywhere and the replicas converge.
 */
const race = (first: OAuthStore.Service, second: OAuthStore.Service) =>
  Effect.gen(function*() {
      // Each replica has its own connection to the store; each insert waits until both replicas have read the empty store.
      const listed = yield* Ref.make(new Set<string>())
      const bothListed = yield* Deferred.make<void>()
      const replica = (name: string, store: OAuthStore.Service): OAuthStore.Service => ({
        ...store,
        listSigningKeys: Effect.tap(store.listSigningKeys, () =>
          Effect.flatMap(Ref.updateAndGet(listed, (s) => new Set([...s, name])), (s) => (s.size === 2 ? Deferred.succeed(bothListed, undefined) : Effect.void))),
        putSigningKey: (key) => Effect.zipRight(Deferred.await(bothListed), store.putSigningKey(key))
      })
      const ringOf = (name: string, store: OAuthStore.Service) =>
        Effect.provideService(SigningKeys.make({}, sealer), OAuthStore.OAuthStore, replica(name, store))
      const one = yield* ringOf("one", first)
      const two = yield* ringOf("two", second)

      const [s1, s2] = yield* Effect.all([one.signer, two.signer], { concurrency: "unbounded" })
      const records = yield* first.listSigningKeys
      expect(records).toHaveLength(2)
      const all = new Set(records.map((r) => r.kid))
      expect(all.has(s1.kid) && all.has(s2.kid)).toBe(true)
      // Right away, each replica verifies what the other signs (an unknown kid re-reads the store).
      const t1 = yield* sign(one)
      const t2 = yield* sign(two)
      expect(Option.isSome(yield* two.verificationKey(t1.kid))).toBe(true)
      expect(Option.isSome(yield* one.verificationKey(t2.kid))).toBe(true)
      // Once their views refresh, both publish both keys and sign with the same, the newest.
      yield* TestClock.adjust("60 seconds")
      const newest = [...records].sort((a, b) => b.activeAt - a.activeAt || b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1))[0]!
      expect((yield* one.signer).kid).toBe(newest.kid)
      expect((yield* two.signer).kid).toBe(newest.kid)
      expect(new Set(yield* kids(one))).toEqual(all)
      expect(new Set(yield* kids(two))).toEqual(all)
      expect(yield* verifyWithJwks(one, t2.jws)).toBe(t2.kid)
      expect(yield* verifyWithJwks(two, t1.jws)).toBe(t1.kid)
      expect(yield* first.listSigningKeys).toHaveLength(2)
  })

describe("SigningKeys", () => {
  it.effect("walks through a rotation: A signs; B is published ahead; B signs when A retires; A stays in the JWKS until retained, then goes", () =>
    withStore(Effect.gen(function*() {
      const store = yield* OAuthStore.OAuthStore
      const ring = yield* SigningKeys.make({}, sealer)

      // t = 0: the first key is created, active now, signing for 30 days.
      const a = yield* sign(ring)
      const [recordA] = yield* store.listSigningKeys
      expect(recordA).toMatchObject({ kid: a.kid, alg: "ES256", createdAt: 0, activeAt: 0, retiresAt: 30 * day, expiresAt: 31 * day })
      expect(yield* kids(ring)).toEqual([a.kid])
      expect(yield* verifyWithJwks(ring, a.jws)).toBe(a.kid)

      // Just before the publish-ahead window: still A alone.
      yield* TestClock.setTime(30 * day - hour - 1)
      expect((yield* ring.signer).kid).toBe(a.kid)
      expect(yield* store.listSigningKeys).toHaveLength(1)

      // publishAheadMillis (1 hour) before A retires: B is created and published, A still signs.
      yield* TestClock.setTime(30 * day - hour)
      expect((yield* ring.signer).kid).toBe(a.kid)
      const records = yield* store.listSigningKeys
      expect(records).toHaveLength(2)
      const recordB = records.find((r) => r.kid !== a.kid)!
      expect(recordB).toMatchObject({ createdAt: 30 * day - hour, activeAt: 30 * day, retiresAt: 60 * day, expiresAt: 61 * day })
      expect(yield* kids(ring)).toEqual([recordB.kid, a.kid])
      // Asking again does not add another successor.
      yield* ring.signer
      yield* ring.jwks
      expect(yield* store.listSigningKeys).toHaveLength(2)

      // A retires: B signs; A's tokens still verify.
      yield* TestClock.setTime(30 * day)
      const b = yield* sign(ring)
      expect(b.kid).toBe(recordB.kid)
      expect(yield* verifyWithJwks(ring, b.jws)).toBe(b.kid)
      expect(yield* verifyWithJwks(ring, a.jws)).toBe(a.kid)
      expect(Option.isSome(yield* ring.verificationKey(a.kid))).toBe(true)

      // Retained until a day after retiring.
      yield* TestClock.setTime(31 * day - 1)
      expect(yield* kids(ring)).toEqual([b.kid, a.kid])
      yield* TestClock.setTime(31 * day)
      expect(yield* kids(ring)).toEqual([b.kid])
      expect(yield* verifyWithJwks(ring, a.jws)).toBeUndefined()
      expect(yield* ring.verificationKey(a.kid)).toEqual(Option.none())
      expect(yield* verifyWithJwks(ring, b.jws)).toBe(b.kid)

      // And again for B's successor.
      yield* TestClock.setTime(60 * day - hour)
      expect((yield* ring.signer).kid).toBe(b.kid)
      const c = (yield* store.listSigningKeys).find((r) => r.kid !== a.kid && r.kid !== b.kid)!
      expect(c.activeAt).toBe(60 * day)
      yield* TestClock.setTime(60 * day)
      expect((yield* ring.signer).kid).toBe(c.kid)
    })))

  it.effect("a ring idle through the publish-ahead window creates a key active now when its key has retired", () =>
    withStore(Effect.gen(function*() {
      const ring = yield* SigningKeys.make({ rotateAfterMillis: day, publishAheadMillis: hour, retainAfterMillis: hour }, sealer)
      const a = yield* sign(ring)
      yield* TestClock.setTime(day + 5)
      const b = yield* sign(ring)
      expect(b.kid).not.toBe(a.kid)
      const store = yield* OAuthStore.OAuthStore
      expect((yield* store.listSigningKeys).find((r) => r.kid === b.kid)).toMatchObject({ activeAt: day + 5, retiresAt: 2 * day + 5 })
      expect(yield* kids(ring)).toEqual([b.kid, a.kid])
    })))

  it.effect("the kid is the RFC 7638 thumbprint; only public members are published; the private key is stored sealed to its kid", () =>
    withStore(Effect.gen(function*() {
      const store = yield* OAuthStore.OAuthStore
      const ring = yield* SigningKeys.make({}, sealer)
      const { kid } = yield* ring.signer
      const [jwk] = (yield* ring.jwks).keys
      expect(Object.keys(jwk!).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"])
      expect(jwk).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig", kid })
      expect(yield* Effect.promise(() => jose.calculateJwkThumbprint(jwk!, "sha256"))).toBe(kid)

      const [record] = yield* store.listSigningKeys
      expect(record!.publicJwk["d"]).toBeUndefined()
      expect(record!.sealedPrivateJwk).toMatch(/^v1\./)
      expect(record!.sealedPrivateJwk).not.toContain("\"d\"")
      const opened = JSON.parse(sealer.open(record!.sealedPrivateJwk, `signing-key:${kid}`)!) as jose.JWK
      expect(typeof opened.d).toBe("string")
      // Bound to its kid: the same ciphertext under another kid, or another encryption key, does not open.
      expect(sealer.open(record!.sealedPrivateJwk, "signing-key:other")).toBeUndefined()
      expect(otherSealer.open(record!.sealedPrivateJwk, `signing-key:${kid}`)).toBeUndefined()
    })))

  for (const [alg, kty] of [["ES256", "EC"], ["RS256", "RSA"], ["PS256", "RSA"], ["EdDSA", "OKP"]] as const) {
    it.effect(`${alg} keys sign tokens that verify with the JWKS`, () =>
      withStore(Effect.gen(function*() {
        const ring = yield* SigningKeys.make({ alg }, sealer)
        const signed = yield* sign(ring, "payload")
        expect((yield* ring.signer).alg).toBe(alg)
        const [jwk] = (yield* ring.jwks).keys
        expect(jwk).toMatchObject({ kty, alg, kid: signed.kid })
        expect(jwk).not.toHaveProperty("d")
        expect(yield* verifyWithJwks(ring, signed.jws)).toBe(signed.kid)
        // An RFC 9068 access token signed with it verifies through verificationKey.
        const signer = yield* ring.signer
        const token = yield* Effect.promise(() =>
          new jose.SignJWT({ sub: "alice" }).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" }).sign(signer.key)
        )
        const key = Option.getOrThrow(yield* ring.verificationKey(signer.kid))
        const verified = yield* Effect.promise(() => jose.jwtVerify(token, key, { typ: "at+jwt" }))
        expect(verified.payload.sub).toBe("alice")
      })))
  }

  it.effect("rotate adds a key that signs at once; the previous one stays published", () =>
    withStore(Effect.gen(function*() {
      const ring = yield* SigningKeys.make({}, sealer)
      const a = yield* sign(ring)
      // In the same millisecond: the new key still wins.
      yield* ring.rotate
      const b = yield* sign(ring)
      expect(b.kid).not.toBe(a.kid)
      expect(yield* kids(ring)).toEqual([b.kid, a.kid])
      expect(yield* verifyWithJwks(ring, a.jws)).toBe(a.kid)
      yield* TestClock.adjust("1 hour")
      yield* ring.rotate
      const c = yield* sign(ring)
      expect(new Set([a.kid, b.kid, c.kid]).size).toBe(3)
      expect(yield* kids(ring)).toEqual([c.kid, b.kid, a.kid])
    })))

  it.effect("two replicas racing to create the first key both add one; both are valid, and the replicas converge on the newest", () =>
    Effect.flatMap(OAuthStore.makeMemory, (shared) => race(shared, shared)))

  it.effect("an unknown kid re-reads the store once (another replica rotated), then waits out the cooldown", () =>
    Effect.gen(function*() {
      const shared = yield* OAuthStore.makeMemory
      const reads = yield* Ref.make(0)
      const counted: OAuthStore.Service = { ...shared, listSigningKeys: Effect.zipLeft(shared.listSigningKeys, Ref.update(reads, (n) => n + 1)) }
      const one = yield* Effect.provideService(SigningKeys.make({}, sealer), OAuthStore.OAuthStore, shared)
      const two = yield* Effect.provideService(SigningKeys.make({ unknownKidCooldownMillis: 10_000 }, sealer), OAuthStore.OAuthStore, counted)
      const a = yield* one.signer
      expect(Option.isSome(yield* two.verificationKey(a.kid))).toBe(true)
      const baseline = yield* Ref.get(reads)

      // Replica one rotates; replica two's view (fresh for 60 s) does not have the new key yet.
      yield* TestClock.adjust("1 second")
      yield* one.rotate
      const b = yield* one.signer
      expect(Option.isSome(yield* two.verificationKey(b.kid))).toBe(true)
      expect(yield* Ref.get(reads)).toBe(baseline + 1)
      expect(Option.isSome(yield* two.verificationKey(b.kid))).toBe(true)
      expect(yield* Ref.get(reads)).toBe(baseline + 1)

      // Forged kids: one read, then nothing within the cooldown.
      expect(yield* two.verificationKey("forged-1")).toEqual(Option.none())
      expect(yield* two.verificationKey("forged-2")).toEqual(Option.none())
      expect(yield* Ref.get(reads)).toBe(baseline + 1)
      yield* TestClock.adjust("10 seconds")
      expect(yield* two.verificationKey("forged-3")).toEqual(Option.none())
      expect(yield* Ref.get(reads)).toBe(baseline + 2)
    }))

  it.effect("the view re-reads the store every refreshMillis", () =>
    Effect.gen(function*() {
      const shared = yield* OAuthStore.makeMemory
      const one = yield* Effect.provideService(SigningKeys.make({}, sealer), OAuthStore.OAuthStore, shared)
      const two = yield* Effect.provideService(SigningKeys.make({ refreshMillis: 5_000 }, sealer), OAuthStore.OAuthStore, shared)
      const a = yield* one.signer
      expect((yield* two.signer).kid).toBe(a.kid)
      yield* TestClock.adjust("1 second")
      yield* one.rotate
      const b = (yield* one.signer).kid
      expect((yield* two.signer).kid).toBe(a.kid)
      expect(yield* kids(two)).toEqual([a.kid])
      yield* TestClock.adjust("5 seconds")
      expect((yield* two.signer).kid).toBe(b)
      expect(yield* kids(two)).toEqual([b, a.kid])
    }))

  it.effect("a replica whose encryption key cannot open the stored key publishes it but signs with a key of its own", () =>
    Effect.gen(function*() {
      const shared = yield* OAuthStore.makeMemory
      const one = yield* Effect.provideService(SigningKeys.make({}, sealer), OAuthStore.OAuthStore, shared)
      const stranger = yield* Effect.provideService(SigningKeys.make({}, otherSealer), OAuthStore.OAuthStore, shared)
      const a = yield* sign(one)
      const s = yield* sign(stranger)
      expect(s.kid).not.toBe(a.kid)
      expect(new Set(yield* kids(stranger))).toEqual(new Set([a.kid, s.kid]))
      expect(yield* verifyWithJwks(stranger, a.jws)).toBe(a.kid)
    }))

  it.effect("records that are not usable keys are never published or used, and never leak private members", () =>
    withStore(Effect.gen(function*() {
      const store = yield* OAuthStore.OAuthStore
      const now = 0
      const life = { createdAt: now, activeAt: now, retiresAt: now + day, expiresAt: now + 2 * day }
      // A public JWK carrying a private member: only the public members are published.
      const pair = yield* Effect.promise(() => jose.generateKeyPair("ES256", { extractable: true }))
      const privateJwk = yield* Effect.promise(() => jose.exportJWK(pair.privateKey))
      const leakyKid = yield* Effect.promise(() => jose.calculateJwkThumbprint(privateJwk, "sha256"))
      yield* store.putSigningKey({ kid: leakyKid, alg: "ES256", publicJwk: { ...privateJwk }, sealedPrivateJwk: "garbage", ...life })
      // Not a key at all, a symmetric key, an unknown alg.
      yield* store.putSigningKey({ kid: "junk", alg: "ES256", publicJwk: { kty: "EC", crv: "P-256", x: "AA", y: "AA" }, sealedPrivateJwk: "x", ...life })
      yield* store.putSigningKey({ kid: "oct", alg: "ES256", publicJwk: { kty: "oct", k: "c2VjcmV0" }, sealedPrivateJwk: "x", ...life })
      yield* store.putSigningKey({ kid: "none", alg: "none", publicJwk: { kty: "EC", crv: "P-256", x: "AA", y: "AA" }, sealedPrivateJwk: "x", ...life })

      const ring = yield* SigningKeys.make({}, sealer)
      const signer = yield* ring.signer
      expect([leakyKid, "junk", "oct", "none"]).not.toContain(signer.kid)
      const jwks = yield* ring.jwks
      expect(jwks.keys.map((k) => k.kid)).toEqual([signer.kid, leakyKid])
      for (const key of jwks.keys) for (const member of ["d", "p", "q", "dp", "dq", "qi", "k"]) expect(key).not.toHaveProperty(member)
      expect(yield* ring.verificationKey("junk")).toEqual(Option.none())
    })))

  it.effect("a sealed private key swapped onto another key's record is not used to sign", () =>
    withStore(Effect.gen(function*() {
      const store = yield* OAuthStore.OAuthStore
      const ring = yield* SigningKeys.make({}, sealer)
      const a = yield* ring.signer
      const [recordA] = yield* store.listSigningKeys
      // A record with a fresh public key but A's private key, sealed (correctly) under the new kid.
      const pair = yield* Effect.promise(() => jose.generateKeyPair("ES256", { extractable: true }))
      const publicJwk = yield* Effect.promise(() => jose.exportJWK(pair.publicKey))
      const kid = yield* Effect.promise(() => jose.calculateJwkThumbprint(publicJwk, "sha256"))
      const privateA = sealer.open(recordA!.sealedPrivateJwk, `signing-key:${a.kid}`)!
      yield* TestClock.adjust("1 second")
      yield* store.putSigningKey({
        ...recordA!,
        kid,
        publicJwk,
        sealedPrivateJwk: sealer.seal(privateA, `signing-key:${kid}`),
        createdAt: 1000,
        activeAt: 1000
      })
      yield* TestClock.adjust("1 minute")
      expect((yield* ring.signer).kid).toBe(a.kid)
    })))

  it.effect("invalid options are refused with a clear message", () =>
    withStore(Effect.gen(function*() {
      for (
        const options of [
          { rotateAfterMillis: 0 },
          { publishAheadMillis: -1 },
          { retainAfterMillis: Number.NaN },
          { refreshMillis: Number.POSITIVE_INFINITY },
          { alg: "HS256" as unknown as SigningKeys.Algorithm }
        ]
      ) {
        const exit = yield* Effect.exit(SigningKeys.make(options, sealer))
        expect(exit._tag).toBe("Failure")
        expect(String(exit)).toMatch(/SigningKeys: /)
      }
    })))

  it.effect("the store failing is an OAuthStoreError, not a crash", () =>
    Effect.gen(function*() {
      const shared = yield* OAuthStore.makeMemory
      const failure = new OAuthStore.OAuthStoreError({ operation: "listSigningKeys", description: "connection refused" })
      const broken: OAuthStore.Service = { ...shared, listSigningKeys: Effect.fail(failure) }
      const ring = yield* Effect.provideService(SigningKeys.make({}, sealer), OAuthStore.OAuthStore, broken)
      expect(yield* Effect.flip(ring.signer)).toBe(failure)
      expect(yield* Effect.flip(ring.jwks)).toBe(failure)
      expect(yield* Effect.flip(ring.verificationKey("x"))).toBe(failure)
    }))
})

describe("SigningKeys on PostgreSQL", () => {
  let pg: StartedPostgres | undefined
  beforeAll(async () => {
    pg = await startPostgres()
  })
  afterAll(async () => {
    await pg?.stop()
  })

  /** A replica: a store on a connection pool of its own. */
  const replica = Effect.gen(function*() {
    if (pg === undefined) return yield* Effect.dieMessage("PostgreSQL did not start")
    return yield* Effect.provide(makePostgresOAuthStore, yield* Layer.build(clientLayer(pg.url)))
  })
  /** The first replica of a test, on an emptied key table. */
  const emptied = Effect.gen(function*() {
    if (pg === undefined) return yield* Effect.dieMessage("PostgreSQL did not start")
    const context = yield* Layer.build(clientLayer(pg.url))
    const store = yield* Effect.provide(makePostgresOAuthStore, context)
    yield* Effect.provide(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM emcee_oauth_signing_keys`), context)
    return store
  })

  it.scoped("two replicas on one database race to create the first key; both keys are valid and they converge", () =>
    Effect.gen(function*() {
      const one = yield* emptied
      const two = yield* replica
      yield* race(one, two)
    }))

  it.scoped("a rotation round-trips through the database: the successor published ahead takes over, the retired key expires", () =>
    Effect.gen(function*() {
      const one = yield* emptied
      const two = yield* replica
      const ringOne = yield* Effect.provideService(SigningKeys.make({ alg: "EdDSA" }, sealer), OAuthStore.OAuthStore, one)
      const ringTwo = yield* Effect.provideService(SigningKeys.make({ alg: "EdDSA" }, sealer), OAuthStore.OAuthStore, two)
      yield* TestClock.setTime(1_750_000_000_000)
      const a = yield* sign(ringOne)
      // The other replica reads the same key, opens its private half and signs with it.
      expect((yield* ringTwo.signer).kid).toBe(a.kid)
      yield* TestClock.adjust(30 * day - hour)
      yield* ringTwo.signer
      expect(yield* one.listSigningKeys).toHaveLength(2)
      const [b] = (yield* kids(ringOne)).filter((kid) => kid !== a.kid)
      expect(yield* kids(ringOne)).toEqual([b, a.kid])
      yield* TestClock.adjust(hour)
      const signed = yield* sign(ringOne)
      expect(signed.kid).toBe(b)
      expect(yield* verifyWithJwks(ringTwo, signed.jws)).toBe(b)
      expect(yield* verifyWithJwks(ringTwo, a.jws)).toBe(a.kid)
      yield* TestClock.adjust(day)
      expect(yield* kids(ringTwo)).toEqual([b])
      // The store's own cleanup removes the expired key.
      expect(yield* two.deleteExpired(yield* Effect.clockWith((c) => c.currentTimeMillis))).toBe(1)
      expect((yield* one.listSigningKeys).map((k) => k.kid)).toEqual([b])
    }))
})
