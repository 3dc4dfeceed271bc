/**
 * The hostile battery: credentials an attacker would try, each refused with
 * the right reason through `Authentication.make([...]).authenticate`.
 */
import { createPublicKey } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as jose from "jose"
import * as ApiKeys from "../src/ApiKeys.js"
import * as Authentication from "../src/Authentication.js"
import { fromHeaders } from "../src/Authenticator.js"
import * as Jwt from "../src/Jwt.js"
import { craft, generateSigningKey, type JwksServer, sign, type SigningKey, startJwksServer } from "./support/jwks.js"

const ISS = "https://issuer.test"
const AUD = "https://mcp.example.com/mcp"
const now = () => Math.floor(Date.now() / 1000)

let server: JwksServer
let rsa: SigningKey
let pem: string
let auth: Authentication.Service
let apiKey: string
let expiredKey: string
const recordedLookups: Array<string> = []

beforeAll(async () => {
  rsa = await generateSigningKey("RS256", "rsa-1")
  pem = createPublicKey({ key: rsa.publicJwk as jose.JWK & { kty: string }, format: "jwk" }).export({ type: "spki", format: "pem" }) as string
  server = await startJwksServer([rsa])
  apiKey = ApiKeys.generate()
  expiredKey = ApiKeys.generate()
  const memory = ApiKeys.memory([
    { id: "live", key: apiKey, subject: "svc", scopes: ["tools:call"] },
    { id: "gone", key: expiredKey, subject: "svc", expiresAt: Date.now() - 60_000 }
  ])
  auth = Authentication.make([
    Jwt.make({ name: "jwt-static", issuer: ISS, audience: AUD, publicKey: pem }),
    Jwt.make({ name: "jwt-jwks", issuer: ISS, audience: AUD, jwksUrl: server.url }),
    ApiKeys.make({ store: { find: (digest) => Effect.zipRight(Effect.sync(() => recordedLookups.push(digest)), memory.find(digest)) } })
  ])
})
afterAll(() => server.close())

const refusal = async (headers: Record<string, string>) => {
  const result = await Effect.runPromise(Effect.either(auth.authenticate(fromHeaders(headers))))
  if (Either.isRight(result)) throw new Error(`accepted ${result.right.subject}`)
  return { reason: result.left.reason, description: result.left.description }
}
const bearer = (token: string) => refusal({ authorization: `Bearer ${token}` })
const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISS, aud: AUD, sub: "mallory", ...extra })

describe("hostile credentials are refused", () => {
  it("control: a good token and a good key are accepted", async () => {
    const identity = await Effect.runPromise(auth.authenticate(fromHeaders({ authorization: `Bearer ${await sign(rsa, claims({ sub: "alice" }))}` })))
    expect(identity.subject).toBe("alice")
    expect((await Effect.runPromise(auth.authenticate(fromHeaders({ "x-api-key": apiKey })))).subject).toBe("svc")
  })

  it("a token for another audience (spec 2025-11-25 basic/authorization 'Access Token Privilege Restriction')", async () => {
    expect(await bearer(await sign(rsa, claims({ aud: "https://other.example.com/mcp" })))).toEqual({
      reason: "invalid",
      description: "The token's audience is not this server"
    })
    expect((await bearer(await sign(rsa, claims({ aud: `${AUD}/` })))).reason).toBe("invalid")
  })

  it("an expired token", async () => {
    expect(await bearer(await sign(rsa, claims({ iat: now() - 7200, exp: now() - 3600 })))).toEqual({ reason: "expired", description: "The token has expired" })
  })

  it("an alg:none token (RFC 8725 §3.1), with and without a signature", async () => {
    const payload = claims({ iat: now(), exp: now() + 600 })
    for (const token of [craft({ alg: "none", typ: "JWT" }, payload), craft({ alg: "none" }, payload, "c2ln"), craft({ alg: "None", kid: "rsa-1" }, payload)]) {
      expect(await bearer(token)).toEqual({ reason: "invalid", description: "The token's signing algorithm is not accepted" })
    }
  })

  it("a token signed with the wrong key (same kid)", async () => {
    const impostor = await generateSigningKey("RS256", "rsa-1")
    expect(await bearer(await sign(impostor, claims()))).toEqual({ reason: "invalid", description: "The token's signature is invalid" })
  })

  it("algorithm confusion: HS256 signed with the RSA public key's PEM or JWK bytes (RFC 8725 §2.1)", async () => {
    for (const secret of [pem, JSON.stringify(rsa.publicJwk), Buffer.from(createPublicKey(pem).export({ type: "spki", format: "der" }))]) {
      const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : new Uint8Array(secret)
      const token = await new jose.SignJWT({ ...claims(), exp: now() + 600 }).setProtectedHeader({ alg: "HS256", kid: "rsa-1" }).sign(bytes)
      expect(await bearer(token)).toEqual({ reason: "invalid", description: "The token's signing algorithm is not accepted" })
    }
  })

  it("a token not valid before a time beyond the clock skew", async () => {
    expect(await bearer(await sign(rsa, claims({ nbf: now() + 300 })))).toEqual({ reason: "invalid", description: "The token is not valid yet" })
  })

  it("a token from the wrong issuer", async () => {
    expect(await bearer(await sign(rsa, claims({ iss: "https://evil.example" })))).toEqual({ reason: "invalid", description: "The token's issuer is not trusted" })
  })

  it("garbage tokens", async () => {
    for (const token of ["garbage", "a.b.c", "....", "eyJ.eyJ.x", `${"A".repeat(100_000)}.x.y`, craft({ alg: "RS256" }, {}).slice(0, -1) + "!"]) {
      const r = await bearer(token)
      expect(r.reason).toBe("invalid")
      expect(r.description).not.toContain(token.slice(0, 20))
    }
  })

  it("an API key differing in the last character", async () => {
    const last = apiKey.at(-1) === "A" ? "B" : "A"
    expect(await refusal({ "x-api-key": apiKey.slice(0, -1) + last })).toEqual({ reason: "invalid", description: "The API key is not known" })
  })

  it("an expired API key", async () => {
    expect(await refusal({ "x-api-key": expiredKey })).toEqual({ reason: "expired", description: "The API key has expired" })
  })
})

describe("API key verification does not leak how close a guess is", () => {
  it("the store is asked by digest, never by key", async () => {
    recordedLookups.length = 0
    const guess = apiKey.slice(0, -2) + "zz"
    await refusal({ "x-api-key": guess })
    expect(recordedLookups).toEqual([ApiKeys.hash(guess)])
    expect(recordedLookups.some((d) => d.includes(guess) || d.includes(apiKey))).toBe(false)
  })

  it("a wrong key sharing a long prefix takes no distinguishably longer than one sharing none (loose statistical check)", () => {
    const store = ApiKeys.memory([{ key: apiKey, subject: "svc" }])
    const authenticator = ApiKeys.make({ store })
    const close = apiKey.slice(0, -1) + (apiKey.at(-1) === "A" ? "B" : "A")
    let far = ApiKeys.generate()
    while (far[4] === apiKey[4]) far = ApiKeys.generate()
    const time = (key: string) => {
      const start = process.hrtime.bigint()
      Effect.runSync(Effect.either(authenticator.verify(key)))
      return Number(process.hrtime.bigint() - start)
    }
    for (let i = 0; i < 500; i++) {
      time(close)
      time(far)
    }
    const closeTimes: Array<number> = []
    const farTimes: Array<number> = []
    for (let i = 0; i < 3000; i++) {
      // Interleaved, alternating which goes first, so drift and GC hit both alike.
      if (i % 2 === 0) {
        closeTimes.push(time(close))
        farTimes.push(time(far))
      } else {
        farTimes.push(time(far))
        closeTimes.push(time(close))
      }
    }
    const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const ratio = median(closeTimes) / median(farTimes)
    expect(ratio).toBeGreaterThan(1 / 3)
    expect(ratio).toBeLessThan(3)
  })
})
