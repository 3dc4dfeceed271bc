/**
 * The behaviour every `OAuthStore` must have, written once and run against
 * the memory and PostgreSQL stores.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Option, type Scope } from "effect"
import { randomUUID } from "node:crypto"
import * as OAuthStore from "../../src/OAuthStore.js"

const minute = 60_000
/** An arbitrary "now" far from 0, so a store that confused fields would show it. */
const t0 = 1_750_000_000_000
/** How many callers race for one credential. */
const racers = 20

/** A fresh credential's digest (what stores key by). */
export const freshDigest = (): string => OAuthStore.digest(randomUUID())

/** A grant of `subject` for `clientId`. */
export const grantOf = (subject: string, options: {
  readonly clientId?: string
  readonly tenant?: string
  readonly now?: number
  readonly lifetime?: number
} = {}): OAuthStore.Grant => {
  const now = options.now ?? t0
  return {
    grantId: randomUUID(),
    clientId: options.clientId ?? "client-a",
    identity: {
      subject,
      ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      roles: ["editor"],
      scopes: ["tools:call"],
      claims: { email: `${subject}@example.com`, nested: { a: [1, 2], b: null } },
      kind: "jwt",
      issuer: "https://issuer.example"
    },
    scopes: ["tools:call", "prompts:read"],
    resources: ["https://mcp.example/mcp"],
    authTime: now - 1000,
    upstream: "github",
    createdAt: now,
    expiresAt: now + (options.lifetime ?? 60 * minute)
  }
}

/** An authorization code for `grant`, unused. */
export const codeOf = (grant: OAuthStore.Grant, options: { readonly expiresAt?: number } = {}): OAuthStore.Code => ({
  digest: freshDigest(),
  clientId: grant.clientId,
  redirectUri: "http://127.0.0.1:33418/callback",
  codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  grant,
  expiresAt: options.expiresAt ?? grant.createdAt + minute
})

/** The current refresh token of `grant`. */
export const refreshOf = (grant: OAuthStore.Grant, options: { readonly expiresAt?: number } = {}): OAuthStore.RefreshToken => ({
  digest: freshDigest(),
  grantId: grant.grantId,
  createdAt: grant.createdAt,
  expiresAt: options.expiresAt ?? grant.expiresAt
})

/** A pending device authorization with user code `userCode`, expiring `ttl` after the real clock's now (putDevice reads the Clock). */
export const deviceOf = (userCode: string, ttl = 10 * minute): OAuthStore.DeviceCode => ({
  digest: freshDigest(),
  userCode,
  clientId: "device-client",
  scopes: ["tools:call"],
  resources: ["https://mcp.example/mcp"],
  expiresAt: Date.now() + ttl,
  intervalSeconds: 5,
  status: "pending"
})

const dynamicClient = (clientId: string, unusedExpiresAt: number): OAuthStore.Client => ({
  clientId,
  origin: "dynamic",
  metadata: {
    redirect_uris: ["http://127.0.0.1/callback"],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"]
  },
  registrationTokenDigest: freshDigest(),
  createdAt: t0,
  unusedExpiresAt
})

const signingKeyOf = (kid: string, options: { readonly createdAt?: number; readonly expiresAt?: number; readonly sealed?: string } = {}): OAuthStore.SigningKey => {
  const createdAt = options.createdAt ?? t0
  return {
    kid,
    alg: "ES256",
    publicJwk: { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", kid },
    sealedPrivateJwk: options.sealed ?? `sealed:${kid}`,
    createdAt,
    activeAt: createdAt,
    retiresAt: createdAt + 60 * minute,
    expiresAt: options.expiresAt ?? createdAt + 120 * minute
  }
}

/** The values of the `Some`s among `options`. */
const somes = <A>(options: ReadonlyArray<Option.Option<A>>): ReadonlyArray<A> => options.filter(Option.isSome).map((o) => o.value)

/**
 * Registers the contract's tests; `fresh` makes an empty store (scoped:
 * whatever it opens is closed after the test).
 */
export const oauthStoreContract = <E>(fresh: Effect.Effect<OAuthStore.Service, E, Scope.Scope>) => {
  const test = (name: string, body: (store: OAuthStore.Service) => Effect.Effect<void, unknown>) =>
    it.live(name, () => Effect.scoped(Effect.flatMap(fresh, body)))

  // Clients

  test("keeps a client whole, metadata extensions included, and replaces it on put", (store) =>
    Effect.gen(function*() {
      const confidential: OAuthStore.Client = {
        clientId: "static-1",
        origin: "static",
        metadata: {
          redirect_uris: ["https://app.example/cb", "http://127.0.0.1/cb"],
          token_endpoint_auth_method: "client_secret_basic",
          grant_types: ["authorization_code"],
          response_types: ["code"],
          client_name: "App ✓",
          scope: "tools:call",
          contacts: ["ops@example.com"],
          application_type: "web",
          // RFC 7591 §2: other metadata the server kept is carried through
          "x-extension": { nested: [1, "two"] }
        },
        secretDigest: freshDigest(),
        secretExpiresAt: t0 + 60 * minute,
        createdAt: t0,
        lastUsedAt: t0 + 1
      }
      yield* store.putClient(confidential)
      expect(Option.getOrThrow(yield* store.getClient("static-1"))).toEqual(confidential)
      const minimal = dynamicClient("dyn-1", t0 + minute)
      yield* store.putClient(minimal)
      const found = Option.getOrThrow(yield* store.getClient("dyn-1"))
      expect(found).toEqual(minimal)
      expect("secretDigest" in found).toBe(false)
      expect("lastUsedAt" in found).toBe(false)
      expect(Option.isNone(yield* store.getClient("missing"))).toBe(true)
      const { secretDigest: _secret, secretExpiresAt: _expires, ...publicClient } = confidential
      const replaced: OAuthStore.Client = { ...publicClient, metadata: { ...confidential.metadata, token_endpoint_auth_method: "none" } }
      yield* store.putClient(replaced)
      expect(Option.getOrThrow(yield* store.getClient("static-1"))).toEqual(replaced)
    }))

  test("deleteClient removes a client once", (store) =>
    Effect.gen(function*() {
      yield* store.putClient(dynamicClient("dyn-1", t0 + minute))
      expect(yield* store.deleteClient("dyn-1")).toBe(true)
      expect(yield* store.deleteClient("dyn-1")).toBe(false)
      expect(Option.isNone(yield* store.getClient("dyn-1"))).toBe(true)
    }))

  test("touchClient records the use and clears the unused expiry; an unknown client is a no-op", (store) =>
    Effect.gen(function*() {
      yield* store.putClient(dynamicClient("dyn-1", t0 + minute))
      yield* store.touchClient("dyn-1", t0 + 30_000)
      const touched = Option.getOrThrow(yield* store.getClient("dyn-1"))
      expect(touched.lastUsedAt).toBe(t0 + 30_000)
      expect("unusedExpiresAt" in touched).toBe(false)
      yield* store.touchClient("missing", t0)
      expect(Option.isNone(yield* store.getClient("missing"))).toBe(true)
    }))

  // Authorization codes

  test("RFC 6749 §4.1.2: a code is consumed once; the second use sees when it was used", (store) =>
    Effect.gen(function*() {
      const code = codeOf(grantOf("alice", { tenant: "acme" }))
      yield* store.putCode(code)
      const first = Option.getOrThrow(yield* store.consumeCode(code.digest, t0 + 5))
      expect(first).toEqual(code)
      expect(first.usedAt).toBeUndefined()
      const second = Option.getOrThrow(yield* store.consumeCode(code.digest, t0 + 9))
      expect(second).toEqual({ ...code, usedAt: t0 + 5 })
      // the replay keeps the first use's time
      expect(Option.getOrThrow(yield* store.consumeCode(code.digest, t0 + 12)).usedAt).toBe(t0 + 5)
      expect(Option.isNone(yield* store.consumeCode(freshDigest(), t0))).toBe(true)
    }))

  test("putting a code again does not make a used code usable", (store) =>
    Effect.gen(function*() {
      const code = codeOf(grantOf("alice"))
      yield* store.putCode(code)
      yield* store.consumeCode(code.digest, t0 + 5)
      yield* store.putCode(code)
      expect(Option.getOrThrow(yield* store.consumeCode(code.digest, t0 + 6)).usedAt).toBe(t0 + 5)
    }))

  test(`${racers} concurrent consumeCode calls: exactly one consumes the code`, (store) =>
    Effect.gen(function*() {
      const code = codeOf(grantOf("alice"))
      yield* store.putCode(code)
      const results = somes(yield* Effect.all(
        Array.from({ length: racers }, (_, i) => store.consumeCode(code.digest, t0 + i)),
        { concurrency: "unbounded" }
      ))
      expect(results).toHaveLength(racers)
      const winners = results.filter((result) => result.usedAt === undefined)
      expect(winners).toHaveLength(1)
      const usedAt = results.find((result) => result.usedAt !== undefined)?.usedAt
      expect(results.filter((result) => result.usedAt !== undefined).every((result) => result.usedAt === usedAt)).toBe(true)
    }))

  // Grants and refresh tokens

  test("keeps a grant whole; one without tenant, upstream or revocation comes back without them", (store) =>
    Effect.gen(function*() {
      const grant = grantOf("alice", { tenant: "acme" })
      yield* store.putGrant(grant)
      expect(Option.getOrThrow(yield* store.getGrant(grant.grantId))).toEqual(grant)
      const { upstream: _upstream, ...bare } = grantOf("bob")
      yield* store.putGrant(bare)
      const found = Option.getOrThrow(yield* store.getGrant(bare.grantId))
      expect(found).toEqual(bare)
      expect("upstream" in found).toBe(false)
      expect("tenant" in found.identity).toBe(false)
      expect("revokedAt" in found).toBe(false)
      expect(Option.isNone(yield* store.getGrant("missing"))).toBe(true)
    }))

  test("revokeGrant keeps the first revocation's time and reason and deletes the grant's refresh tokens", (store) =>
    Effect.gen(function*() {
      const grant = grantOf("alice")
      const other = grantOf("alice")
      const tokens = [refreshOf(grant), refreshOf(grant)]
      const kept = refreshOf(other)
      yield* store.putGrant(grant)
      yield* store.putGrant(other)
      yield* Effect.forEach([...tokens, kept], store.putRefresh)
      expect(yield* store.revokeGrant(grant.grantId, t0 + 10, "code_reuse")).toBe(true)
      expect(yield* store.revokeGrant(grant.grantId, t0 + 20, "revocation")).toBe(false)
      const revoked = Option.getOrThrow(yield* store.getGrant(grant.grantId))
      expect(revoked).toEqual({ ...grant, revokedAt: t0 + 10, revokedReason: "code_reuse" })
      for (const token of tokens) expect(Option.isNone(yield* store.getRefresh(token.digest))).toBe(true)
      expect(Option.isSome(yield* store.getRefresh(kept.digest))).toBe(true)
      // putting the grant again never undoes its revocation
      yield* store.putGrant(grant)
      expect(Option.getOrThrow(yield* store.getGrant(grant.grantId))).toEqual(revoked)
      expect(yield* store.revokeGrant("missing", t0, "revocation")).toBe(false)
    }))

  test("concurrent revocations of one grant: one wins and its reason stays", (store) =>
    Effect.gen(function*() {
      const grant = grantOf("alice")
      yield* store.putGrant(grant)
      const results = yield* Effect.all(
        Array.from({ length: racers }, (_, i) => store.revokeGrant(grant.grantId, t0 + i, `reason-${i}`)),
        { concurrency: "unbounded" }
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const revoked = Option.getOrThrow(yield* store.getGrant(grant.grantId))
      expect(revoked.revokedReason).toBe(`reason-${(revoked.revokedAt ?? 0) - t0}`)
    }))

  test("revokeGrantsOf revokes a subject's live grants (of one client when given) and their refresh tokens", (store) =>
    Effect.gen(function*() {
      const a1 = grantOf("alice", { clientId: "a" })
      const a2 = grantOf("alice", { clientId: "a" })
      const b = grantOf("alice", { clientId: "b" })
      const bob = grantOf("bob", { clientId: "a" })
      yield* Effect.forEach([a1, a2, b, bob], store.putGrant)
      const tokens = [refreshOf(a1), refreshOf(a2), refreshOf(b), refreshOf(bob)]
      yield* Effect.forEach(tokens, store.putRefresh)
      yield* store.revokeGrant(a2.grantId, t0 + 1, "revocation")
      expect(yield* store.revokeGrantsOf("alice", t0 + 5, "logout", "a")).toBe(1)
      expect(Option.getOrThrow(yield* store.getGrant(a1.grantId))).toMatchObject({ revokedAt: t0 + 5, revokedReason: "logout" })
      expect(Option.getOrThrow(yield* store.getGrant(a2.grantId))).toMatchObject({ revokedAt: t0 + 1, revokedReason: "revocation" })
      expect(Option.getOrThrow(yield* store.getGrant(b.grantId)).revokedAt).toBeUndefined()
      expect(Option.isNone(yield* store.getRefresh(tokens[0]!.digest))).toBe(true)
      expect(Option.isSome(yield* store.getRefresh(tokens[2]!.digest))).toBe(true)
      expect(yield* store.revokeGrantsOf("alice", t0 + 6, "client_deleted")).toBe(1)
      expect(Option.isNone(yield* store.getRefresh(tokens[2]!.digest))).toBe(true)
      expect(Option.getOrThrow(yield* store.getGrant(bob.grantId)).revokedAt).toBeUndefined()
      expect(Option.isSome(yield* store.getRefresh(tokens[3]!.digest))).toBe(true)
      expect(yield* store.revokeGrantsOf("alice", t0 + 7, "logout")).toBe(0)
    }))

  test("revokeGrantsOfClient revokes every live grant of a client and their refresh tokens (RFC 7592 §2.3)", (store) =>
    Effect.gen(function*() {
      const alice = grantOf("alice", { clientId: "gone" })
      const bob = grantOf("bob", { clientId: "gone" })
      const earlier = grantOf("carol", { clientId: "gone" })
      const other = grantOf("alice", { clientId: "kept" })
      yield* Effect.forEach([alice, bob, earlier, other], store.putGrant)
      const tokens = [refreshOf(alice), refreshOf(bob), refreshOf(other)]
      yield* Effect.forEach(tokens, store.putRefresh)
      yield* store.revokeGrant(earlier.grantId, t0 + 1, "revocation")
      const revoked = yield* store.revokeGrantsOfClient("gone", t0 + 5, "client_deleted")
      expect([...revoked].sort()).toEqual([alice.grantId, bob.grantId].sort())
      expect(Option.getOrThrow(yield* store.getGrant(alice.grantId))).toMatchObject({ revokedAt: t0 + 5, revokedReason: "client_deleted" })
      expect(Option.getOrThrow(yield* store.getGrant(earlier.grantId)).revokedReason).toBe("revocation")
      expect(Option.getOrThrow(yield* store.getGrant(other.grantId)).revokedAt).toBeUndefined()
      expect(Option.isNone(yield* store.getRefresh(tokens[0]!.digest))).toBe(true)
      expect(Option.isNone(yield* store.getRefresh(tokens[1]!.digest))).toBe(true)
      expect(Option.isSome(yield* store.getRefresh(tokens[2]!.digest))).toBe(true)
      expect(yield* store.revokeGrantsOfClient("gone", t0 + 6, "client_deleted")).toEqual([])
    }))

  test("OAuth 2.1 §4.3.1: a refresh token is rotated once; a replay says when it was", (store) =>
    Effect.gen(function*() {
      const grant = grantOf("alice")
      const token = refreshOf(grant)
      yield* store.putRefresh(token)
      expect(Option.getOrThrow(yield* store.getRefresh(token.digest))).toEqual(token)
      const first = Option.getOrThrow(yield* store.rotateRefresh(token.digest, t0 + 5))
      expect(first).toEqual({ token: { ...token, rotatedAt: t0 + 5 }, previouslyRotatedAt: undefined })
      const second = Option.getOrThrow(yield* store.rotateRefresh(token.digest, t0 + 9))
      expect(second).toEqual({ token: { ...token, rotatedAt: t0 + 5 }, previouslyRotatedAt: t0 + 5 })
      expect(Option.getOrThrow(yield* store.getRefresh(token.digest)).rotatedAt).toBe(t0 + 5)
      // putting it again does not make it current
      yield* store.putRefresh(token)
      expect(Option.getOrThrow(yield* store.rotateRefresh(token.digest, t0 + 12)).previouslyRotatedAt).toBe(t0 + 5)
      expect(Option.isNone(yield* store.rotateRefresh(freshDigest(), t0))).toBe(true)
      expect(Option.isNone(yield* store.getRefresh(freshDigest()))).toBe(true)
    }))

  test(`${racers} concurrent rotateRefresh calls: exactly one rotates the token`, (store) =>
    Effect.gen(function*() {
      const token = refreshOf(grantOf("alice"))
      yield* store.putRefresh(token)
      const results = somes(yield* Effect.all(
        Array.from({ length: racers }, (_, i) => store.rotateRefresh(token.digest, t0 + i)),
        { concurrency: "unbounded" }
      ))
      expect(results).toHaveLength(racers)
      const winners = results.filter((result) => result.previouslyRotatedAt === undefined)
      expect(winners).toHaveLength(1)
      const rotatedAt = winners[0]!.token.rotatedAt
      expect(results.every((result) => result.token.rotatedAt === rotatedAt)).toBe(true)
    }))

  // Access tokens (RFC 7009)

  test("RFC 7009 §2.1: an access token revoked by jti stays revoked", (store) =>
    Effect.gen(function*() {
      expect(yield* store.isAccessTokenRevoked("jti-1")).toBe(false)
      yield* store.revokeAccessToken("jti-1", t0 + minute)
      yield* store.revokeAccessToken("jti-1", t0 + minute)
      expect(yield* store.isAccessTokenRevoked("jti-1")).toBe(true)
      expect(yield* store.isAccessTokenRevoked("jti-2")).toBe(false)
    }))

  // Consents

  test("keeps a consent per subject, tenant and client; no tenant is not any tenant", (store) =>
    Effect.gen(function*() {
      const base: OAuthStore.Consent = { subject: "alice", clientId: "a", scopes: ["tools:call"], resources: [], grantedAt: t0 }
      const acme: OAuthStore.Consent = { ...base, tenant: "acme", scopes: ["prompts:read"] }
      const empty: OAuthStore.Consent = { ...base, tenant: "", scopes: ["empty"] }
      yield* Effect.forEach([base, acme, empty], store.putConsent)
      expect(Option.getOrThrow(yield* store.getConsent("alice", undefined, "a"))).toEqual(base)
      expect(Option.getOrThrow(yield* store.getConsent("alice", "acme", "a"))).toEqual(acme)
      expect(Option.getOrThrow(yield* store.getConsent("alice", "", "a"))).toEqual(empty)
      expect(Option.isNone(yield* store.getConsent("alice", undefined, "b"))).toBe(true)
      expect(Option.isNone(yield* store.getConsent("bob", undefined, "a"))).toBe(true)
      const replaced = { ...base, scopes: ["tools:call", "prompts:read"], resources: ["https://mcp.example/mcp"], grantedAt: t0 + 1 }
      yield* store.putConsent(replaced)
      expect(Option.getOrThrow(yield* store.getConsent("alice", undefined, "a"))).toEqual(replaced)
      expect(yield* store.deleteConsent("alice", undefined, "a")).toBe(true)
      expect(yield* store.deleteConsent("alice", undefined, "a")).toBe(false)
      expect(Option.isSome(yield* store.getConsent("alice", "acme", "a"))).toBe(true)
    }))

  // Device authorizations (RFC 8628)

  test("RFC 8628 §3.2: keeps a device authorization, found by its user code", (store) =>
    Effect.gen(function*() {
      const device = deviceOf("ABCDEFGH")
      expect(yield* store.putDevice(device)).toBe(true)
      const found = Option.getOrThrow(yield* store.getDeviceByUserCode("ABCDEFGH"))
      expect(found).toEqual(device)
      expect("grant" in found).toBe(false)
      expect("lastPolledAt" in found).toBe(false)
      expect(Option.isNone(yield* store.getDeviceByUserCode("HGFEDCBA"))).toBe(true)
    }))

  test("RFC 8628 §6.1: a user code held by a live authorization is refused; an expired holder gives it up", (store) =>
    Effect.gen(function*() {
      const live = deviceOf("LIVECODE")
      expect(yield* store.putDevice(live)).toBe(true)
      const clash = deviceOf("LIVECODE")
      expect(yield* store.putDevice(clash)).toBe(false)
      expect(Option.getOrThrow(yield* store.getDeviceByUserCode("LIVECODE")).digest).toBe(live.digest)
      expect(Option.isNone(yield* store.pollDevice(clash.digest, t0))).toBe(true)

      const expired = deviceOf("OLDCODE1", -minute)
      expect(yield* store.putDevice(expired)).toBe(true)
      const fresh = deviceOf("OLDCODE1")
      expect(yield* store.putDevice(fresh)).toBe(true)
      expect(Option.getOrThrow(yield* store.getDeviceByUserCode("OLDCODE1")).digest).toBe(fresh.digest)
      expect(Option.isNone(yield* store.pollDevice(expired.digest, t0))).toBe(true)
    }))

  test(`${racers} concurrent putDevice calls with one user code: exactly one is added`, (store) =>
    Effect.gen(function*() {
      const devices = Array.from({ length: racers }, () => deviceOf("RACECODE"))
      const results = yield* Effect.all(devices.map(store.putDevice), { concurrency: "unbounded" })
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = devices[results.indexOf(true)]!
      expect(Option.getOrThrow(yield* store.getDeviceByUserCode("RACECODE")).digest).toBe(winner.digest)
    }))

  test("RFC 8628 §3.3: a pending authorization is approved or denied once", (store) =>
    Effect.gen(function*() {
      const device = deviceOf("APPROVE1")
      const grant = grantOf("alice", { clientId: device.clientId })
      yield* store.putDevice(device)
      expect(yield* store.decideDevice("APPROVE1", { approved: true, grant })).toBe(true)
      expect(yield* store.decideDevice("APPROVE1", { approved: false })).toBe(false)
      expect(Option.getOrThrow(yield* store.getDeviceByUserCode("APPROVE1"))).toEqual({ ...device, status: "approved", grant })

      const denied = deviceOf("DENY0001")
      yield* store.putDevice(denied)
      expect(yield* store.decideDevice("DENY0001", { approved: false })).toBe(true)
      expect(yield* store.decideDevice("DENY0001", { approved: true, grant })).toBe(false)
      expect(Option.getOrThrow(yield* store.getDeviceByUserCode("DENY0001"))).toEqual({ ...denied, status: "denied" })
      expect(Option.isNone(yield* store.redeemDevice(denied.digest))).toBe(true)
      expect(yield* store.decideDevice("MISSING1", { approved: false })).toBe(false)
    }))

  test("RFC 8628 §3.5: a poll returns the previous poll's time; slow_down only raises the interval", (store) =>
    Effect.gen(function*() {
      const device = deviceOf("POLLCODE")
      yield* store.putDevice(device)
      const first = Option.getOrThrow(yield* store.pollDevice(device.digest, t0 + 1000))
      expect(first).toEqual(device)
      const second = Option.getOrThrow(yield* store.pollDevice(device.digest, t0 + 7000))
      expect(second.lastPolledAt).toBe(t0 + 1000)
      yield* store.slowDownDevice(device.digest, 10)
      yield* store.slowDownDevice(device.digest, 7)
      const after = Option.getOrThrow(yield* store.getDeviceByUserCode("POLLCODE"))
      expect(after.intervalSeconds).toBe(10)
      expect(after.lastPolledAt).toBe(t0 + 7000)
      expect(Option.isNone(yield* store.pollDevice(freshDigest(), t0))).toBe(true)
      yield* store.slowDownDevice(freshDigest(), 10)
    }))

  test("RFC 8628 §3.5: concurrent polls each see the poll before them", (store) =>
    Effect.gen(function*() {
      const device = deviceOf("POLLRACE")
      yield* store.putDevice(device)
      const seen = somes(yield* Effect.all(
        Array.from({ length: racers }, (_, i) => store.pollDevice(device.digest, t0 + i + 1)),
        { concurrency: "unbounded" }
      )).map((before) => before.lastPolledAt)
      // exactly one poll came first; every other saw a distinct earlier poll
      expect(seen.filter((at) => at === undefined)).toHaveLength(1)
      expect(new Set(seen).size).toBe(racers)
    }))

  test(`an approved device code is redeemed once, by exactly one of ${racers} concurrent calls`, (store) =>
    Effect.gen(function*() {
      const device = deviceOf("REDEEM01")
      const grant = grantOf("alice", { clientId: device.clientId })
      yield* store.putDevice(device)
      expect(Option.isNone(yield* store.redeemDevice(device.digest))).toBe(true)
      yield* store.decideDevice("REDEEM01", { approved: true, grant })
      const results = somes(yield* Effect.all(
        Array.from({ length: racers }, () => store.redeemDevice(device.digest)),
        { concurrency: "unbounded" }
      ))
      expect(results).toEqual([{ ...device, status: "redeemed", grant }])
      expect(Option.isNone(yield* store.redeemDevice(device.digest))).toBe(true)
      expect(Option.getOrThrow(yield* store.getDeviceByUserCode("REDEEM01")).status).toBe("redeemed")
    }))

  // Interactions

  test("keeps an interaction with its JSON data; take removes it once", (store) =>
    Effect.gen(function*() {
      const interaction: OAuthStore.Interaction = {
        digest: freshDigest(),
        kind: "authorize",
        data: { clientId: "a", scopes: ["x"], nested: { n: 1, t: true, z: null }, text: "é\"'\\" },
        expiresAt: t0 + minute
      }
      yield* store.putInteraction(interaction)
      expect(Option.getOrThrow(yield* store.getInteraction(interaction.digest))).toEqual(interaction)
      const replaced = { ...interaction, kind: "upstream", data: ["a", 1] }
      yield* store.putInteraction(replaced)
      expect(Option.getOrThrow(yield* store.takeInteraction(interaction.digest))).toEqual(replaced)
      expect(Option.isNone(yield* store.takeInteraction(interaction.digest))).toBe(true)
      expect(Option.isNone(yield* store.getInteraction(interaction.digest))).toBe(true)
    }))

  test(`${racers} concurrent takeInteraction calls: exactly one takes it`, (store) =>
    Effect.gen(function*() {
      const interaction: OAuthStore.Interaction = { digest: freshDigest(), kind: "authorize", data: { n: 1 }, expiresAt: t0 + minute }
      yield* store.putInteraction(interaction)
      const results = somes(yield* Effect.all(
        Array.from({ length: racers }, () => store.takeInteraction(interaction.digest)),
        { concurrency: "unbounded" }
      ))
      expect(results).toEqual([interaction])
    }))

  // Upstream tokens

  test("keeps sealed upstream tokens per provider and subject", (store) =>
    Effect.gen(function*() {
      const tokens: OAuthStore.UpstreamTokens = {
        provider: "github",
        subject: "alice",
        sealedAccessToken: "sealed-access",
        sealedRefreshToken: "sealed-refresh",
        expiresAt: t0 + 60 * minute,
        scopes: ["repo", "read:user"],
        updatedAt: t0
      }
      yield* store.putUpstreamTokens(tokens)
      expect(Option.getOrThrow(yield* store.getUpstreamTokens("github", "alice"))).toEqual(tokens)
      expect(Option.isNone(yield* store.getUpstreamTokens("google", "alice"))).toBe(true)
      const bare: OAuthStore.UpstreamTokens = { provider: "github", subject: "alice", sealedAccessToken: "sealed-2", scopes: [], updatedAt: t0 + 1 }
      yield* store.putUpstreamTokens(bare)
      const found = Option.getOrThrow(yield* store.getUpstreamTokens("github", "alice"))
      expect(found).toEqual(bare)
      expect("sealedRefreshToken" in found).toBe(false)
      expect(yield* store.deleteUpstreamTokens("github", "alice")).toBe(true)
      expect(yield* store.deleteUpstreamTokens("github", "alice")).toBe(false)
    }))

  // Signing keys

  test("a signing key put twice keeps the first; keys list oldest first", (store) =>
    Effect.gen(function*() {
      const older = signingKeyOf("k-old", { createdAt: t0 - minute })
      const key = signingKeyOf("k-1")
      yield* store.putSigningKey(key)
      yield* store.putSigningKey({ ...key, sealedPrivateJwk: "sealed:other", alg: "RS256" })
      yield* store.putSigningKey(older)
      expect(yield* store.listSigningKeys).toEqual([older, key])
    }))

  test("concurrent putSigningKey calls with one kid keep exactly one key", (store) =>
    Effect.gen(function*() {
      yield* Effect.all(
        Array.from({ length: racers }, (_, i) => store.putSigningKey(signingKeyOf("k-race", { sealed: `sealed-${i}` }))),
        { concurrency: "unbounded" }
      )
      const keys = yield* store.listSigningKeys
      expect(keys).toHaveLength(1)
      expect(keys[0]!.sealedPrivateJwk).toMatch(/^sealed-\d+$/)
    }))

  // Expiry

  test("deleteExpired removes what expired, of every kind, and counts it", (store) =>
    Effect.gen(function*() {
      const now = t0 + 10 * minute
      const expiredGrant = grantOf("alice", { lifetime: 5 * minute })
      const liveGrant = grantOf("alice", { lifetime: 60 * minute })
      yield* Effect.forEach([expiredGrant, liveGrant], store.putGrant)
      // the refresh tokens of an expired grant go with it, even if they would live longer
      const tokenOfExpiredGrant = refreshOf(expiredGrant, { expiresAt: t0 + 60 * minute })
      const expiredToken = refreshOf(liveGrant, { expiresAt: now })
      const liveToken = refreshOf(liveGrant)
      yield* Effect.forEach([tokenOfExpiredGrant, expiredToken, liveToken], store.putRefresh)
      const expiredCode = codeOf(liveGrant, { expiresAt: now - 1 })
      const liveCode = codeOf(liveGrant, { expiresAt: now + 1 })
      yield* Effect.forEach([expiredCode, liveCode], store.putCode)
      const expiredInteraction = { digest: freshDigest(), kind: "authorize", data: {}, expiresAt: now }
      const liveInteraction = { digest: freshDigest(), kind: "authorize", data: {}, expiresAt: now + 1 }
      yield* Effect.forEach([expiredInteraction, liveInteraction], store.putInteraction)
      yield* store.revokeAccessToken("expired-jti", now - 1)
      yield* store.revokeAccessToken("live-jti", now + minute)
      yield* store.putSigningKey(signingKeyOf("k-expired", { expiresAt: now }))
      yield* store.putSigningKey(signingKeyOf("k-live", { expiresAt: now + minute }))
      // a dynamic client never used by its unused expiry goes; one used in time, or a static one, stays
      yield* store.putClient(dynamicClient("unused", now - 1))
      yield* store.putClient(dynamicClient("used", now - 1))
      yield* store.touchClient("used", t0 + 1)
      yield* store.putClient(dynamicClient("still-new", now + 1))
      const { unusedExpiresAt: _unused, registrationTokenDigest: _token, ...registered } = dynamicClient("static", now)
      yield* store.putClient({ ...registered, origin: "static" })
      // device codes expire by the real clock's standard too, so put them with their own expiry
      const expiredDevice = { ...deviceOf("EXPIRED1"), expiresAt: now }
      const liveDevice = { ...deviceOf("LIVEDEV1"), expiresAt: now + minute }
      yield* Effect.forEach([expiredDevice, liveDevice], store.putDevice)

      // grant, 2 refresh tokens, code, interaction, jti, signing key, client, device code
      expect(yield* store.deleteExpired(now)).toBe(9)

      expect(Option.isNone(yield* store.getGrant(expiredGrant.grantId))).toBe(true)
      expect(Option.isSome(yield* store.getGrant(liveGrant.grantId))).toBe(true)
      expect(Option.isNone(yield* store.getRefresh(tokenOfExpiredGrant.digest))).toBe(true)
      expect(Option.isNone(yield* store.getRefresh(expiredToken.digest))).toBe(true)
      expect(Option.isSome(yield* store.getRefresh(liveToken.digest))).toBe(true)
      expect(Option.isNone(yield* store.consumeCode(expiredCode.digest, now))).toBe(true)
      expect(Option.isSome(yield* store.consumeCode(liveCode.digest, now))).toBe(true)
      expect(Option.isNone(yield* store.getInteraction(expiredInteraction.digest))).toBe(true)
      expect(Option.isSome(yield* store.getInteraction(liveInteraction.digest))).toBe(true)
      expect(yield* store.isAccessTokenRevoked("expired-jti")).toBe(false)
      expect(yield* store.isAccessTokenRevoked("live-jti")).toBe(true)
      expect((yield* store.listSigningKeys).map((key) => key.kid)).toEqual(["k-live"])
      expect(Option.isNone(yield* store.getClient("unused"))).toBe(true)
      expect(Option.isSome(yield* store.getClient("used"))).toBe(true)
      expect(Option.isSome(yield* store.getClient("still-new"))).toBe(true)
      expect(Option.isSome(yield* store.getClient("static"))).toBe(true)
      expect(Option.isNone(yield* store.getDeviceByUserCode("EXPIRED1"))).toBe(true)
      expect(Option.isSome(yield* store.getDeviceByUserCode("LIVEDEV1"))).toBe(true)

      expect(yield* store.deleteExpired(now)).toBe(0)
    }))
}
