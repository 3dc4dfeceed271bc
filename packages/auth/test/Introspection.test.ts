import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import * as Authentication from "../src/Authentication.js"
import { type AuthenticationError, fromHeaders } from "../src/Authenticator.js"
import * as Introspection from "../src/Introspection.js"
import type { Identity } from "../src/Principal.js"
import { type IntrospectionServer, startIntrospectionServer } from "./support/jwks.js"

const AUD = "https://mcp.example.com/mcp"
const ISS = "https://as.example.com"
const now = () => Math.floor(Date.now() / 1000)

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

/** The authorization server's view of its tokens. */
const tokens = new Map<string, Record<string, unknown>>()
let server: IntrospectionServer

beforeAll(async () => {
  server = await startIntrospectionServer((request) => {
    // RFC 7662 §2.1: the endpoint requires client authentication.
    const basic = `Basic ${Buffer.from("mcp%3Aserver:s%C3%A9cret+%26").toString("base64")}`
    const authorized = request.authorization === basic || request.authorization === "Bearer rs-token" ||
      (request.form.get("client_id") === "mcp:server" && request.form.get("client_secret") === "sécret &")
    if (!authorized) return { status: 401, body: { error: "invalid_client" } }
    const token = request.form.get("token") ?? ""
    if (token === "slow") return { body: { active: true, sub: "s", aud: AUD }, delayMillis: 2000 }
    if (token === "broken") return { body: "<html>oops" }
    if (token === "weird") return { body: { sub: "no-active-member" } }
    if (token === "boom") return { status: 500, body: { error: "server_error" } }
    return { body: tokens.get(token) ?? { active: false } }
  })
})
afterAll(() => server.close())

const client = { clientId: "mcp:server", clientSecret: Redacted.make("sécret &") }
const make = (options: Partial<Introspection.Options> = {}) =>
  Introspection.make({ endpoint: server.url, client, audience: AUD, ...options })

describe("Introspection (RFC 7662)", () => {
  it("an active token becomes an identity; the request is a form POST with token_type_hint and client_secret_basic (RFC 7662 §2.1)", async () => {
    tokens.set("t-alice", { active: true, sub: "alice", scope: "tools:call prompts:get", aud: ["x", AUD], iss: ISS, exp: now() + 600, org: "acme" })
    const before = server.requests().length
    const auth = make({ issuer: ISS, claims: { tenant: "org" } })
    expect(auth.credential(fromHeaders({ authorization: "Bearer t-alice" }))).toBe("t-alice")
    const identity = await ok(auth.verify("t-alice"))
    expect(identity).toMatchObject({ subject: "alice", tenant: "acme", kind: "opaque-token", issuer: ISS })
    expect([...identity.scopes]).toEqual(["tools:call", "prompts:get"])
    expect(identity.expiresAt).toBe((tokens.get("t-alice")!["exp"] as number) * 1000)
    const request = server.requests()[before]!
    expect(request.contentType).toBe("application/x-www-form-urlencoded")
    expect(request.form.get("token")).toBe("t-alice")
    expect(request.form.get("token_type_hint")).toBe("access_token")
    expect(request.form.has("client_secret")).toBe(false)
  })

  it("client_secret_post and bearer client authentication", async () => {
    tokens.set("t-bob", { active: true, username: "bob", aud: AUD })
    expect((await ok(make({ client: { method: "client_secret_post", ...client } }).verify("t-bob"))).subject).toBe("bob")
    expect((await ok(make({ client: { method: "bearer", token: "rs-token" } }).verify("t-bob"))).subject).toBe("bob")
    // Wrong client credentials: the endpoint answers 401, which is the server's misconfiguration, not the token's fault.
    expect((await refused(make({ client: { clientId: "mcp:server", clientSecret: "wrong" } }).verify("t-bob"))).reason).toBe("unavailable")
  })

  it("the subject falls back to username, then client_id", async () => {
    tokens.set("t-svc", { active: true, client_id: "svc-app", aud: AUD, scope: "a" })
    expect((await ok(make().verify("t-svc"))).subject).toBe("svc-app")
    tokens.set("t-none", { active: true, aud: AUD })
    expect(await refused(make().verify("t-none"))).toEqual({ reason: "invalid", description: "The token names no subject" })
  })

  it("inactive, expired, not-yet-valid, wrong-audience and wrong-issuer tokens are refused (RFC 7662 §2.2, spec basic/authorization 'Token Handling')", async () => {
    expect(await refused(make().verify("unknown"))).toEqual({ reason: "invalid", description: "The token is not active" })
    tokens.set("t-old", { active: true, sub: "a", aud: AUD, exp: now() - 120 })
    expect(await refused(make().verify("t-old"))).toEqual({ reason: "expired", description: "The token has expired" })
    tokens.set("t-later", { active: true, sub: "a", aud: AUD, nbf: now() + 600 })
    expect((await refused(make().verify("t-later"))).description).toBe("The token is not valid yet")
    tokens.set("t-other", { active: true, sub: "a", aud: "https://other.example.com/mcp" })
    expect(await refused(make().verify("t-other"))).toEqual({ reason: "invalid", description: "The token's audience is not this server" })
    tokens.set("t-slash", { active: true, sub: "a", aud: `${AUD}/` })
    expect((await refused(make().verify("t-slash"))).description).toBe("The token's audience is not this server")
    tokens.set("t-noaud", { active: true, sub: "a" })
    expect((await refused(make().verify("t-noaud"))).description).toBe("The token's audience is not this server")
    expect((await ok(make({ audience: false }).verify("t-noaud"))).subject).toBe("a")
    tokens.set("t-iss", { active: true, sub: "a", aud: AUD, iss: "https://evil.example" })
    expect((await refused(make({ issuer: ISS }).verify("t-iss"))).description).toBe("The token's issuer is not trusted")
  })

  it("an endpoint that fails, answers garbage, is too slow or is down makes verification 'unavailable'", async () => {
    expect(await refused(make().verify("boom"))).toEqual({ reason: "unavailable", description: "The introspection endpoint answered 500" })
    expect((await refused(make().verify("broken"))).reason).toBe("unavailable")
    expect((await refused(make().verify("weird"))).reason).toBe("unavailable")
    const started = Date.now()
    expect(await refused(make({ timeoutMillis: 200 }).verify("slow"))).toEqual({
      reason: "unavailable",
      description: "The introspection endpoint did not answer in time"
    })
    expect(Date.now() - started).toBeLessThan(1500)
    const gone = await startIntrospectionServer(() => ({ body: {} }))
    await gone.close()
    expect(await refused(Introspection.make({ endpoint: gone.url, client, audience: AUD }).verify("t-alice"))).toEqual({
      reason: "unavailable",
      description: "The introspection endpoint could not be reached"
    })
  })

  it("through Authentication.make, the identity is cached until exp, then the endpoint is asked again", async () => {
    const exp = now() + 2
    tokens.set("t-cached", { active: true, sub: "carol", aud: AUD, exp })
    const auth = Authentication.make([make({ clockToleranceSeconds: 0 })])
    const headers = fromHeaders({ authorization: "Bearer t-cached" })
    const count = () => server.requests().filter((r) => r.form.get("token") === "t-cached").length
    expect((await Effect.runPromise(auth.authenticate(headers))).subject).toBe("carol")
    expect(count()).toBe(1)
    expect((await Effect.runPromise(auth.authenticate(headers))).subject).toBe("carol")
    expect(auth.peek(headers)?.subject).toBe("carol")
    expect(count()).toBe(1)
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 100))
    expect(auth.peek(headers)).toBeUndefined()
    const after = await Effect.runPromise(Effect.either(auth.authenticate(headers)))
    expect(count()).toBe(2)
    expect(Either.isLeft(after) && after.left.reason).toBe("expired")
  })

  it("Introspection.config reads the endpoint and client from Config", async () => {
    tokens.set("t-cfg", { active: true, sub: "dave", aud: AUD, tid: "t9" })
    const provider = ConfigProvider.fromMap(new Map([
      ["INTROSPECTION.ENDPOINT", server.url],
      ["INTROSPECTION.AUDIENCE", AUD],
      ["INTROSPECTION.CLIENT_ID", "mcp:server"],
      ["INTROSPECTION.CLIENT_SECRET", "sécret &"],
      ["INTROSPECTION.AUTH_METHOD", "client_secret_post"],
      ["INTROSPECTION.TENANT_CLAIM", "tid"]
    ]))
    const auth = await Effect.runPromise(Effect.withConfigProvider(Introspection.config(), provider))
    expect(await ok(auth.verify("t-cfg"))).toMatchObject({ subject: "dave", tenant: "t9" })
    expect(() => Introspection.make({ endpoint: "not a url", client, audience: AUD })).toThrow(/endpoint is not a URL/)
  })
})
