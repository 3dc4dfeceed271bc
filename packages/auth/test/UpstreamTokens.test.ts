import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Redacted } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as OAuthStore from "../src/OAuthStore.js"
import * as Principal from "../src/Principal.js"
import * as Upstream from "../src/Upstream.js"
import * as UpstreamTokens from "../src/UpstreamTokens.js"
import { type StartedOidcProvider, startOidcProvider } from "./support/oidcProvider.js"

const redirectUri = "http://127.0.0.1:9/upstream/callback/acme"
const encryptionKey = Redacted.make("test-encryption-key-0123456789abcdefghij")

describe("UpstreamTokens over the memory OAuthStore, against oidc-provider on loopback", () => {
  let op: StartedOidcProvider
  let provider: Upstream.Provider
  let down: Upstream.Provider

  beforeAll(async () => {
    op = await startOidcProvider({ redirectUris: [redirectUri] })
    provider = Upstream.oidc({
      name: "acme",
      issuer: op.issuer,
      clientId: op.clientId,
      clientSecret: Redacted.make(op.clientSecret),
      scopes: ["openid", "profile", "email", "offline_access"],
      authorizationParameters: { prompt: "consent" },
      allowInsecureHttp: true
    })
    // A provider whose issuer does not answer (a port that was free a moment ago).
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as AddressInfo).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    down = Upstream.oidc({ name: "down", issuer: `http://127.0.0.1:${port}`, clientId: "c", clientSecret: Redacted.make("s"), allowInsecureHttp: true })
  })
  afterAll(() => op?.close())

  /** A real upstream login of `username`. */
  const login = (username: string) =>
    Effect.gen(function*() {
      const attempt = Upstream.makeAttempt()
      const url = yield* provider.authorizationUrl({ redirectUri, ...attempt })
      const callbackUrl = yield* Effect.promise(() => op.login(url, username))
      return yield* provider.callback({ callbackUrl, redirectUri, ...attempt })
    })

  /** The service and the store it writes to. */
  const env = () => UpstreamTokens.layer({ providers: [provider, down], encryptionKey }).pipe(Layer.provideMerge(OAuthStore.memory))

  const as = (subject: string) => Effect.provideService(Principal.Principal, Principal.make(subject, [], { kind: "jwt" }))

  /** Calls the upstream userinfo endpoint with a token: the token is live at the provider. */
  const userinfoStatus = (token: Redacted.Redacted<string>) =>
    Effect.promise(() => fetch(`${op.issuer}/me`, { headers: { authorization: `Bearer ${Redacted.value(token)}` } }).then((r) => r.status))

  it.live("stores tokens sealed: the store holds no plaintext token, and a sealed token moved to another user does not open", () =>
    Effect.gen(function*() {
      const l = yield* login("alice")
      const tokens = yield* UpstreamTokens.UpstreamTokens
      const store = yield* OAuthStore.OAuthStore
      yield* tokens.store(l.subject, "acme", l.tokens)
      const row = Option.getOrThrow(yield* store.getUpstreamTokens("acme", l.subject))
      const raw = JSON.stringify(row)
      expect(raw).not.toContain(l.tokens.accessToken)
      expect(raw).not.toContain(l.tokens.refreshToken!)
      expect(row.sealedAccessToken).toMatch(/^v1\./)
      expect(row.sealedRefreshToken).toMatch(/^v1\./)
      expect(row).toMatchObject({ provider: "acme", subject: l.subject, expiresAt: l.tokens.expiresAt, scopes: l.tokens.scopes })

      const token = yield* tokens.accessToken("acme").pipe(as(l.subject))
      expect(Redacted.value(token)).toBe(l.tokens.accessToken)
      expect(yield* userinfoStatus(token)).toBe(200)

      // The same ciphertexts under another subject: bound to provider + subject, they do not open.
      yield* store.putUpstreamTokens({ ...row, subject: "acme:mallory" })
      const e = yield* Effect.flip(tokens.accessToken("acme").pipe(as("acme:mallory")))
      expect(e).toMatchObject({ _tag: "UpstreamTokenError", reason: "not_logged_in" })
    }).pipe(Effect.provide(env())))

  it.live("answers a fresh token without calling the provider", () =>
    Effect.gen(function*() {
      const l = yield* login("bob")
      const tokens = yield* UpstreamTokens.UpstreamTokens
      yield* tokens.store(l.subject, "acme", l.tokens)
      const before = op.count("POST", "/token")
      for (let i = 0; i < 3; i++) expect(Redacted.value(yield* tokens.accessToken("acme").pipe(as(l.subject)))).toBe(l.tokens.accessToken)
      expect(op.count("POST", "/token")).toBe(before)
    }).pipe(Effect.provide(env())))

  it.live("refreshes a token expiring within a minute (RFC 6749 §6) and keeps the new tokens, sealed", () =>
    Effect.gen(function*() {
      const l = yield* login("carol")
      const tokens = yield* UpstreamTokens.UpstreamTokens
      const store = yield* OAuthStore.OAuthStore
      yield* tokens.store(l.subject, "acme", { ...l.tokens, expiresAt: Date.now() + 30_000 })
      const before = op.count("POST", "/token")
      const fresh = yield* tokens.accessToken("acme").pipe(as(l.subject))
      expect(Redacted.value(fresh)).not.toBe(l.tokens.accessToken)
      expect(op.count("POST", "/token")).toBe(before + 1)
      expect(yield* userinfoStatus(fresh)).toBe(200)
      const row = Option.getOrThrow(yield* store.getUpstreamTokens("acme", l.subject))
      expect(row.expiresAt).toBeGreaterThan(Date.now() + 60_000)
      expect(JSON.stringify(row)).not.toContain(Redacted.value(fresh))
      // Now fresh: no second refresh.
      expect(Redacted.value(yield* tokens.accessToken("acme").pipe(as(l.subject)))).toBe(Redacted.value(fresh))
      expect(op.count("POST", "/token")).toBe(before + 1)
    }).pipe(Effect.provide(env())))

  it.live("coalesces 10 concurrent calls into one refresh", () =>
    Effect.gen(function*() {
      const l = yield* login("dave")
      const tokens = yield* UpstreamTokens.UpstreamTokens
      yield* tokens.store(l.subject, "acme", { ...l.tokens, expiresAt: Date.now() - 1_000 })
      const before = op.count("POST", "/token")
      const results = yield* Effect.all(
        Array.from({ length: 10 }, () => tokens.accessToken("acme").pipe(as(l.subject))),
        { concurrency: "unbounded" }
      )
      const values = new Set(results.map(Redacted.value))
      expect(values.size).toBe(1)
      expect(values.has(l.tokens.accessToken)).toBe(false)
      // oidc-provider rotates refresh tokens: a second refresh with the old one would have failed and revoked the grant.
      expect(op.count("POST", "/token")).toBe(before + 1)
      expect(yield* userinfoStatus(results[0]!)).toBe(200)
    }).pipe(Effect.provide(env())))

  it.live("fails clearly when the caller never logged in, or names an unknown provider", () =>
    Effect.gen(function*() {
      const tokens = yield* UpstreamTokens.UpstreamTokens
      const e1 = yield* Effect.flip(tokens.accessToken("acme").pipe(as("acme:nobody")))
      expect(e1).toMatchObject({ _tag: "UpstreamTokenError", provider: "acme", reason: "not_logged_in" })
      expect(e1.message).toMatch(/has not logged in with acme/)
      const e2 = yield* Effect.flip(tokens.accessToken("gitlab").pipe(as("acme:nobody")))
      expect(e2.reason).toBe("unknown_provider")
      const e3 = yield* Effect.flip(tokens.store("acme:x", "gitlab", { accessToken: "t", scopes: [], tokenType: "bearer" }))
      expect(e3.reason).toBe("unknown_provider")
    }).pipe(Effect.provide(env())))

  it.live("an expired token without a refresh token, or with a revoked one, needs a new login (and a revoked one is forgotten)", () =>
    Effect.gen(function*() {
      const tokens = yield* UpstreamTokens.UpstreamTokens
      const store = yield* OAuthStore.OAuthStore
      yield* tokens.store("acme:erin", "acme", { accessToken: "expired-token", expiresAt: Date.now() - 1, scopes: [], tokenType: "bearer" })
      const e1 = yield* Effect.flip(tokens.accessToken("acme").pipe(as("acme:erin")))
      expect(e1.reason).toBe("expired")

      const l = yield* login("frank")
      yield* provider.refresh(l.tokens.refreshToken!) // rotates: the login's refresh token is spent
      yield* tokens.store(l.subject, "acme", { ...l.tokens, expiresAt: Date.now() - 1 })
      const e2 = yield* Effect.flip(tokens.accessToken("acme").pipe(as(l.subject)))
      expect(e2.reason).toBe("expired")
      expect(e2.description).not.toContain(l.tokens.refreshToken!)
      expect(Option.isNone(yield* store.getUpstreamTokens("acme", l.subject))).toBe(true)
    }).pipe(Effect.provide(env())))

  it.live("reports a provider that cannot refresh now as unavailable, keeping the tokens", () =>
    Effect.gen(function*() {
      const tokens = yield* UpstreamTokens.UpstreamTokens
      const store = yield* OAuthStore.OAuthStore
      yield* tokens.store("down:gina", "down", { accessToken: "a", refreshToken: "r", expiresAt: Date.now() - 1, scopes: [], tokenType: "bearer" })
      const e = yield* Effect.flip(tokens.accessToken("down").pipe(as("down:gina")))
      expect(e.reason).toBe("unavailable")
      expect(Option.isSome(yield* store.getUpstreamTokens("down", "down:gina"))).toBe(true)
    }).pipe(Effect.provide(env())))

  it.live("forget removes a user's tokens", () =>
    Effect.gen(function*() {
      const tokens = yield* UpstreamTokens.UpstreamTokens
      yield* tokens.store("acme:hank", "acme", { accessToken: "t", scopes: [], tokenType: "bearer" })
      expect(Redacted.value(yield* tokens.accessToken("acme").pipe(as("acme:hank")))).toBe("t")
      yield* tokens.forget("acme:hank", "acme")
      expect((yield* Effect.flip(tokens.accessToken("acme").pipe(as("acme:hank")))).reason).toBe("not_logged_in")
    }).pipe(Effect.provide(env())))

  it.live("opens tokens sealed under a previous key after rotation; refuses a short key", () =>
    Effect.gen(function*() {
      const newKey = Redacted.make("rotated-encryption-key-abcdefghij0123456789")
      const store = yield* OAuthStore.makeMemory
      const storeLayer = Layer.succeed(OAuthStore.OAuthStore, store)
      yield* Effect.gen(function*() {
        yield* (yield* UpstreamTokens.UpstreamTokens).store("acme:ivy", "acme", { accessToken: "old-key-token", scopes: [], tokenType: "bearer" })
      }).pipe(Effect.provide(UpstreamTokens.layer({ providers: [provider], encryptionKey }).pipe(Layer.provide(storeLayer))))
      const token = yield* Effect.gen(function*() {
        return yield* (yield* UpstreamTokens.UpstreamTokens).accessToken("acme").pipe(as("acme:ivy"))
      }).pipe(Effect.provide(UpstreamTokens.layer({ providers: [provider], encryptionKey: [newKey, encryptionKey] }).pipe(Layer.provide(storeLayer))))
      expect(Redacted.value(token)).toBe("old-key-token")

      const exit = yield* Effect.exit(Effect.provide(
        UpstreamTokens.UpstreamTokens,
        UpstreamTokens.layer({ providers: [provider], encryptionKey: Redacted.make("short") }).pipe(Layer.provide(storeLayer))
      ))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toMatch(/at least 32 characters/)
    }))
})
