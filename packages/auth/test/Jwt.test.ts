import { createPublicKey } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import * as jose from "jose"
import type { AuthenticationError } from "../src/Authenticator.js"
import { fromHeaders } from "../src/Authenticator.js"
import * as Jwt from "../src/Jwt.js"
import type { Identity } from "../src/Principal.js"
import { generateSigningKey, type JwksServer, sign, type SigningKey, startJwksServer } from "./support/jwks.js"

const ISS = "https://issuer.test"
const AUD = "https://mcp.example.com/mcp"

const run = (effect: Effect.Effect<Identity, AuthenticationError>) => Effect.runPromise(Effect.either(effect))
const ok = async (effect: Effect.Effect<Identity, AuthenticationError>) => {
  const result = await run(effect)
  if (Either.isLeft(result)) throw new Error(`refused: ${result.left.reason}: ${result.left.description}`)
  return result.right
}
const refused = async (effect: Effect.Effect<Identity, AuthenticationError>) => {
  const result = await run(effect)
  if (Either.isRight(result)) throw new Error(`accepted ${result.right.subject}`)
  return { reason: result.left.reason, description: result.left.description }
}
const now = () => Math.floor(Date.now() / 1000)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("Jwt: keys and algorithms", () => {
  it("HS256 with a string or Redacted secret; the bearer token is read from Authorization", async () => {
    const secret = "a-shared-secret-that-is-32-bytes-long!"
    const key = await generateSigningKey("HS256")
    const hs: SigningKey = { ...key, privateKey: new TextEncoder().encode(secret) }
    const token = await sign(hs, { iss: ISS, aud: AUD, sub: "alice", scope: "tools:call tools:list" })
    for (const s of [secret, Redacted.make(secret)]) {
      const jwt = Jwt.make({ issuer: ISS, audience: AUD, secret: s })
      expect(jwt.credential(fromHeaders({ Authorization: `Bearer ${token}` }))).toBe(token)
      const identity = await ok(jwt.verify(token))
      expect(identity.subject).toBe("alice")
      expect([...identity.scopes]).toEqual(["tools:call", "tools:list"])
      expect(identity.kind).toBe("jwt")
      expect(identity.issuer).toBe(ISS)
    }
  })

  it("HS512 needs a 64-byte secret (RFC 7518 §3.2); a short secret is refused at construction", async () => {
    const key = await generateSigningKey("HS512")
    const token = await sign(key, { iss: ISS, aud: AUD, sub: "bob" })
    expect((await ok(Jwt.make({ issuer: ISS, audience: AUD, secret: key.privateKey as Uint8Array }).verify(token))).subject).toBe("bob")
    expect(() => Jwt.make({ issuer: ISS, audience: AUD, secret: "short" })).toThrow(/at least 32 bytes/)
    // A 32-byte secret verifies HS256 only: an HS512 token made with it is refused.
    const short: SigningKey = { ...key, privateKey: new Uint8Array(32).fill(7) }
    const weak = await sign(short, { iss: ISS, aud: AUD, sub: "bob" })
    expect((await refused(Jwt.make({ issuer: ISS, audience: AUD, secret: new Uint8Array(32).fill(7) }).verify(weak))).description)
      .toBe("The token's signing algorithm is not accepted")
  })

  for (const alg of ["RS256", "RS512", "PS256", "ES256", "ES384", "ES512", "EdDSA"]) {
    it(`${alg} with a PEM, a JWK and a JWKS`, async () => {
      const key = await generateSigningKey(alg)
      const exp = now() + 60
      const token = await sign(key, { iss: ISS, aud: AUD, sub: `user-${alg}`, exp })
      const pem = createPublicKey({ key: key.publicJwk as jose.JWK & { kty: string }, format: "jwk" }).export({ type: "spki", format: "pem" }) as string
      for (const source of [{ publicKey: pem }, { publicKey: key.publicJwk }, { jwks: { keys: [key.publicJwk] } }]) {
        const identity = await ok(Jwt.make({ issuer: ISS, audience: AUD, ...source }).verify(token))
        expect(identity.subject).toBe(`user-${alg}`)
        expect(identity.expiresAt).toBe(exp * 1000)
      }
    })
  }

  it("an explicit allow-list refuses the other algorithms; an algorithm the key cannot verify is a construction error", async () => {
    const key = await generateSigningKey("RS256")
    const token = await sign(key, { iss: ISS, aud: AUD, sub: "a" })
    const jwt = Jwt.make({ issuer: ISS, audience: AUD, publicKey: key.publicJwk, algorithms: ["PS256"] })
    expect((await refused(jwt.verify(token))).description).toBe("The token's signing algorithm is not accepted")
    expect(() => Jwt.make({ issuer: ISS, audience: AUD, publicKey: key.publicJwk, algorithms: ["HS256"] })).toThrow(/HS256 cannot be verified/)
    expect(() => Jwt.make({ issuer: ISS, audience: AUD, publicKey: key.publicJwk, algorithms: ["none" as Jwt.Algorithm] })).toThrow(/not an accepted/)
    expect(() => Jwt.make({ issuer: ISS, audience: AUD })).toThrow(/exactly one/)
    expect(() => Jwt.make({ issuer: undefined as unknown as string, audience: AUD, publicKey: key.publicJwk })).toThrow(/issuer is required/)
  })
})

describe("Jwt: claims (spec 2025-11-25 basic/authorization 'Token Handling')", () => {
  let key: SigningKey
  let jwt: ReturnType<typeof Jwt.make>
  beforeAll(async () => {
    key = await generateSigningKey("ES256")
    jwt = Jwt.make({ issuer: ISS, audience: [AUD, "api://other"], publicKey: key.publicJwk })
  })

  it("the audience is matched exactly: no trailing-slash normalisation", async () => {
    expect((await ok(jwt.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a" })))).subject).toBe("a")
    expect((await ok(jwt.verify(await sign(key, { iss: ISS, aud: ["x", "api://other"], sub: "a" })))).subject).toBe("a")
    expect(await refused(jwt.verify(await sign(key, { iss: ISS, aud: `${AUD}/`, sub: "a" })))).toEqual({
      reason: "invalid",
      description: "The token's audience is not this server"
    })
    expect((await refused(jwt.verify(await sign(key, { iss: ISS, sub: "a" })))).description).toBe("The token lacks the \"aud\" claim")
  })

  it("issuer, exp, nbf and iat, with the clock tolerance", async () => {
    expect((await refused(jwt.verify(await sign(key, { iss: `${ISS}/`, aud: AUD, sub: "a" })))).description).toBe("The token's issuer is not trusted")
    expect(await refused(jwt.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a", exp: now() - 31 })))).toEqual({
      reason: "expired",
      description: "The token has expired"
    })
    // Within the default 30 s tolerance.
    await ok(jwt.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a", exp: now() - 10, nbf: now() + 10 })))
    expect((await refused(jwt.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a", nbf: now() + 120 })))).description).toBe("The token is not valid yet")
    expect((await refused(jwt.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a", iat: now() + 120 })))).description).toBe("The token's issue time is invalid")
    expect((await refused(jwt.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a", exp: null })))).description).toBe("The token lacks the \"exp\" claim")
    const strict = Jwt.make({ issuer: ISS, audience: AUD, publicKey: key.publicJwk, clockToleranceSeconds: 0, maxTokenAgeSeconds: 60, requiredClaims: ["jti"] })
    expect((await refused(strict.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a", exp: now() - 5, jti: "1" })))).reason).toBe("expired")
    expect((await refused(strict.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a", iat: now() - 120, jti: "1" })))).reason).toBe("expired")
    expect((await refused(strict.verify(await sign(key, { iss: ISS, aud: AUD, sub: "a" })))).description).toBe("The token lacks the \"jti\" claim")
    const anyIssuer = Jwt.make({ issuer: false, audience: AUD, publicKey: key.publicJwk, requireExpiration: false })
    expect((await ok(anyIssuer.verify(await sign(key, { iss: "https://elsewhere", aud: AUD, sub: "z", exp: null })))).expiresAt).toBeUndefined()
  })

  it("maps subject, tenant, roles (dot path and dotted claim names) and scopes (scope, scp, permissions)", async () => {
    const mapped = Jwt.make({
      issuer: ISS,
      audience: AUD,
      publicKey: key.publicJwk,
      claims: { subject: ["client_id", "sub"], tenant: "tid", roles: ["realm_access.roles", "https://example.com/roles"] }
    })
    const identity = await ok(mapped.verify(await sign(key, {
      iss: ISS,
      aud: AUD,
      sub: "user-1",
      client_id: "app-7",
      tid: "acme",
      realm_access: { roles: ["admin", "user"] },
      "https://example.com/roles": ["editor"],
      scope: "a b",
      scp: ["c"],
      permissions: ["d:e"]
    })))
    expect(identity.subject).toBe("app-7")
    expect(identity.tenant).toBe("acme")
    expect([...identity.roles].sort()).toEqual(["admin", "editor", "user"])
    expect([...identity.scopes].sort()).toEqual(["a", "b", "c", "d:e"])
    expect(identity.claims["tid"]).toBe("acme")

    const custom = Jwt.make({
      issuer: ISS,
      audience: AUD,
      publicKey: key.publicJwk,
      claims: { map: (claims) => ({ roles: Jwt.scopesOf(claims["grp"]).map((g) => `g:${g}`), tenant: "fixed" }) }
    })
    const other = await ok(custom.verify(await sign(key, { iss: ISS, aud: AUD, sub: "u", grp: "x y", scope: "s" })))
    expect([...other.roles]).toEqual(["g:x", "g:y"])
    expect(other.tenant).toBe("fixed")
    expect([...other.scopes]).toEqual(["s"])
    expect((await refused(jwt.verify(await sign(key, { iss: ISS, aud: AUD })))).description).toBe("The token names no subject")
    // Prototype keys never resolve as claims.
    const proto = Jwt.make({ issuer: ISS, audience: AUD, publicKey: key.publicJwk, claims: { tenant: "__proto__.polluted" } })
    expect((await ok(proto.verify(await sign(key, { iss: ISS, aud: AUD, sub: "p" })))).tenant).toBeUndefined()
  })
})

describe("Jwt: JWKS URL", () => {
  let server: JwksServer
  let k1: SigningKey
  let k2: SigningKey
  beforeAll(async () => {
    k1 = await generateSigningKey("RS256", "k1")
    k2 = await generateSigningKey("ES256", "k2")
    server = await startJwksServer([k1])
  })
  afterAll(() => server.close())

  it("caches keys, picks up a rotated key with one refetch, and refetches at most once per cooldown on unknown kids", async () => {
    // Forged tokens naming kids the issuer never published, made up front so the storms below are quick.
    const forged = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const k = await generateSigningKey("ES256", `unknown-${i}`)
      return sign(k, { iss: ISS, aud: AUD, sub: "mallory" })
    }))
    const t1 = await sign(k1, { iss: ISS, aud: AUD, sub: "one" })
    const t2 = await sign(k2, { iss: ISS, aud: AUD, sub: "two" })
    const jwt = Jwt.make({ issuer: ISS, audience: AUD, jwksUrl: server.url, jwksCooldownSeconds: 1 })
    const start = server.requests()
    expect((await ok(jwt.verify(t1))).subject).toBe("one")
    await ok(jwt.verify(t1))
    expect(server.requests() - start).toBe(1)

    // Rotation: a new kid is published; the first tokens naming it trigger exactly one refetch.
    await sleep(1100)
    server.setKeys([k1, k2])
    const both = await Promise.all([ok(jwt.verify(t2)), ok(jwt.verify(t2)), ok(jwt.verify(t1))])
    expect(both.map((i) => i.subject)).toEqual(["two", "two", "one"])
    expect(server.requests() - start).toBe(2)

    // A storm of unknown kids inside the cooldown: no fetch at all.
    const storm1 = await Promise.all(forged.map((t) => refused(jwt.verify(t))))
    expect(new Set(storm1.map((r) => r.description))).toEqual(new Set(["The token's signing key is not known"]))
    expect(server.requests() - start).toBe(2)

    // After the cooldown, the next storm causes one fetch (concurrent refetches are shared).
    await sleep(1100)
    await Promise.all(forged.map((t) => refused(jwt.verify(t))))
    expect(server.requests() - start).toBe(3)
    await Promise.all(forged.map((t) => refused(jwt.verify(t))))
    expect(server.requests() - start).toBe(3)
  })

  it("an unreachable or failing JWKS endpoint is 'unavailable', not the token's fault", async () => {
    const t1 = await sign(k1, { iss: ISS, aud: AUD, sub: "one" })
    server.setStatus(503)
    try {
      expect(await refused(Jwt.make({ issuer: ISS, audience: AUD, jwksUrl: server.url }).verify(t1))).toEqual({
        reason: "unavailable",
        description: "The token's signing keys could not be fetched"
      })
    } finally {
      server.setStatus(200)
    }
    const down = await startJwksServer([k1])
    const url = down.url
    await down.close()
    expect((await refused(Jwt.make({ issuer: ISS, audience: AUD, jwksUrl: url, jwksTimeoutMillis: 1000 }).verify(t1))).reason).toBe("unavailable")
  })
})

describe("Jwt.config", () => {
  it("reads the issuer, audience and keys from Config (ConfigProvider.fromMap)", async () => {
    const key = await generateSigningKey("ES256")
    const provider = ConfigProvider.fromMap(new Map([
      ["AUTH.ISSUER", ISS],
      ["AUTH.AUDIENCE", `${AUD}, api://x`],
      ["AUTH.PUBLIC_KEY", JSON.stringify(key.publicJwk)],
      ["AUTH.TENANT_CLAIM", "org_id"]
    ]))
    const jwt = await Effect.runPromise(Effect.withConfigProvider(Jwt.config("AUTH"), provider))
    const identity = await ok(jwt.verify(await sign(key, { iss: ISS, aud: "api://x", sub: "c", org_id: "o1" })))
    expect(identity.tenant).toBe("o1")

    const missing = await Effect.runPromise(Effect.either(Effect.withConfigProvider(
      Jwt.config("AUTH"),
      ConfigProvider.fromMap(new Map([["AUTH.ISSUER", ISS], ["AUTH.JWKS_URL", "http://127.0.0.1:1/jwks"]]))
    )))
    expect(Either.isLeft(missing) && String(missing.left)).toMatch(/audience is required/)
    const badJson = await Effect.runPromise(Effect.either(Effect.withConfigProvider(
      Jwt.config("AUTH"),
      ConfigProvider.fromMap(new Map([["AUTH.ISSUER", ISS], ["AUTH.AUDIENCE", AUD], ["AUTH.JWKS", "{nope"]]))
    )))
    expect(Either.isLeft(badJson) && String(badJson.left)).toMatch(/JWKS is not valid JSON/)
  })
})
