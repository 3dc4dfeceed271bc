import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { createHash, randomBytes, randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as Upstream from "../src/Upstream.js"
import { type StartedOidcProvider, startOidcProvider } from "./support/oidcProvider.js"

const redirectUri = "http://127.0.0.1:9/upstream/callback/acme"

const withParam = (url: URL, name: string, value: string | undefined): URL => {
  const copy = new URL(url)
  if (value === undefined) copy.searchParams.delete(name)
  else copy.searchParams.set(name, value)
  return copy
}

const fails = <A>(effect: Effect.Effect<A, Upstream.UpstreamError>) =>
  Effect.flip(effect).pipe(Effect.tap((e) => expect(e._tag).toBe("UpstreamError")))

describe("Upstream.oidc against oidc-provider on loopback", () => {
  let op: StartedOidcProvider
  let provider: Upstream.Provider

  const makeProvider = (overrides: Partial<Upstream.OidcOptions> = {}) =>
    Upstream.oidc({
      name: "acme",
      issuer: op.issuer,
      clientId: op.clientId,
      clientSecret: Redacted.make(op.clientSecret),
      scopes: ["openid", "profile", "email", "offline_access"],
      // oidc-provider issues a refresh token for offline_access only with prompt=consent.
      authorizationParameters: { prompt: "consent" },
      allowInsecureHttp: true,
      mapping: {
        tenant: "org",
        roles: { claim: "groups", values: { "mcp-admins": ["admin"], staff: ["user"] } },
        defaultScopes: ["tools:read"]
      },
      ...overrides
    })

  /** Runs a whole login: authorization URL, the user at the provider, then the redirect back. */
  const authorize = (p: Upstream.Provider, username: string, options?: { deny?: boolean }) =>
    Effect.gen(function*() {
      const attempt = Upstream.makeAttempt()
      const url = yield* p.authorizationUrl({ redirectUri, ...attempt })
      const callbackUrl = yield* Effect.promise(() => op.login(url, username, options))
      return { attempt, url, callbackUrl }
    })

  beforeAll(async () => {
    op = await startOidcProvider({
      redirectUris: [redirectUri],
      accounts: (username) =>
        username === "nobody"
          ? undefined
          : {
            name: username,
            email: `${username}@${username === "carol" ? "acme.com" : "example.com"}`,
            email_verified: true,
            groups: username === "alice" ? ["mcp-admins", "staff"] : ["staff", "other"],
            org: "acme-corp"
          },
      scopeClaims: { profile: ["name", "groups", "org"] }
    })
    provider = makeProvider()
  })
  afterAll(() => op?.close())

  it.live("logs in: PKCE S256, nonce, RFC 9207 iss, code exchange, ID token, userinfo, mapping (RFC 6749 §4.1, OIDC Core §3.1)", () =>
    Effect.gen(function*() {
      const { attempt, url, callbackUrl } = yield* authorize(provider, "alice")
      expect(url.searchParams.get("code_challenge_method")).toBe("S256")
      expect(url.searchParams.get("code_challenge")).toBe(createHash("sha256").update(attempt.codeVerifier).digest("base64url"))
      expect(url.searchParams.get("nonce")).toBe(attempt.nonce)
      expect(url.searchParams.get("state")).toBe(attempt.state)
      expect(url.searchParams.get("scope")).toBe("openid profile email offline_access")
      expect(url.searchParams.get("prompt")).toBe("consent")
      expect(callbackUrl.searchParams.get("iss")).toBe(op.issuer)

      const login = yield* provider.callback({ callbackUrl, redirectUri, ...attempt })
      expect(login.subject).toBe("acme:alice")
      expect(login.upstreamSubject).toBe("alice")
      expect(login.tenant).toBe("acme-corp")
      expect([...login.roles].sort()).toEqual(["admin", "user"])
      expect(login.scopes).toEqual(["tools:read"])
      // The ID token carries no profile claims (conformIdTokenClaims): these came from userinfo.
      expect(login.claims["email"]).toBe("alice@example.com")
      expect(login.claims["groups"]).toEqual(["mcp-admins", "staff"])
      expect(login.claims["iss"]).toBe(op.issuer)
      expect(login.tokens.tokenType).toBe("bearer")
      expect(login.tokens.accessToken.length).toBeGreaterThan(10)
      expect(login.tokens.refreshToken).toBeDefined()
      expect(login.tokens.expiresAt).toBeGreaterThan(Date.now())
      expect(login.tokens.scopes).toContain("offline_access")
      const claimsText = JSON.stringify(login.claims)
      expect(claimsText).not.toContain(login.tokens.accessToken)
      expect(claimsText).not.toContain(login.tokens.refreshToken!)
    }))

  it.live("maps another user with other groups: unmapped values dropped, prefixSubject false", () =>
    Effect.gen(function*() {
      const p = makeProvider({ mapping: { subject: "email", prefixSubject: false, roles: { claim: "groups", values: { staff: ["user"] } } } })
      const { attempt, callbackUrl } = yield* authorize(p, "bob")
      const login = yield* p.callback({ callbackUrl, redirectUri, ...attempt })
      expect(login.subject).toBe("bob@example.com")
      expect(login.roles).toEqual(["user"])
      expect(login.tenant).toBeUndefined()
    }))

  it.live("takes claim values as they are without a values table, and a custom map overrides", () =>
    Effect.gen(function*() {
      const p = makeProvider({
        mapping: {
          roles: { claim: "groups" },
          map: (claims) => ({ scopes: [`org:${String(claims["org"])}`] })
        }
      })
      const { attempt, callbackUrl } = yield* authorize(p, "bob")
      const login = yield* p.callback({ callbackUrl, redirectUri, ...attempt })
      expect(login.roles).toEqual(["staff", "other"])
      expect(login.scopes).toEqual(["org:acme-corp"])
    }))

  it.live("denies users outside allowedDomains, failing a require, or refused by map", () =>
    Effect.gen(function*() {
      const domains = makeProvider({ mapping: { allowedDomains: ["ACME.com"] } })
      const bob = yield* authorize(domains, "bob")
      const e1 = yield* fails(domains.callback({ callbackUrl: bob.callbackUrl, redirectUri, ...bob.attempt }))
      expect(e1.reason).toBe("denied")
      const carol = yield* authorize(domains, "carol")
      const ok = yield* domains.callback({ callbackUrl: carol.callbackUrl, redirectUri, ...carol.attempt })
      expect(ok.subject).toBe("acme:carol")

      const required = makeProvider({ mapping: { require: { groups: "mcp-admins", email_verified: true } } })
      const bob2 = yield* authorize(required, "bob")
      const e2 = yield* fails(required.callback({ callbackUrl: bob2.callbackUrl, redirectUri, ...bob2.attempt }))
      expect(e2.reason).toBe("denied")
      expect(e2.description).toContain("groups")
      const alice = yield* authorize(required, "alice")
      expect((yield* required.callback({ callbackUrl: alice.callbackUrl, redirectUri, ...alice.attempt })).subject).toBe("acme:alice")

      const mapped = makeProvider({ mapping: { map: () => ({ deny: "Contractors may not use this server" }) } })
      const bob3 = yield* authorize(mapped, "bob")
      const e3 = yield* fails(mapped.callback({ callbackUrl: bob3.callbackUrl, redirectUri, ...bob3.attempt }))
      expect(e3).toMatchObject({ reason: "denied", description: "Contractors may not use this server" })
    }))

  it.live("refuses a wrong state (RFC 6749 §10.12)", () =>
    Effect.gen(function*() {
      const { attempt, callbackUrl } = yield* authorize(provider, "alice")
      const e = yield* fails(provider.callback({ callbackUrl, redirectUri, ...attempt, state: Upstream.makeAttempt().state }))
      expect(e.reason).toBe("invalid_response")
      expect(e.description).toMatch(/state/)
      // The attempt is still good with the right state: the check happened before the code was used.
      const login = yield* provider.callback({ callbackUrl, redirectUri, ...attempt })
      expect(login.subject).toBe("acme:alice")
    }))

  it.live("refuses a wrong nonce (OIDC Core §3.1.3.7 item 11)", () =>
    Effect.gen(function*() {
      const { attempt, callbackUrl } = yield* authorize(provider, "alice")
      const e = yield* fails(provider.callback({ callbackUrl, redirectUri, ...attempt, nonce: Upstream.makeAttempt().nonce }))
      expect(e.reason).toBe("invalid_response")
      expect(e.description).toMatch(/nonce/)
    }))

  it.live("refuses a wrong code verifier (RFC 7636 §4.6) and a tampered code", () =>
    Effect.gen(function*() {
      const first = yield* authorize(provider, "alice")
      const e1 = yield* fails(provider.callback({ callbackUrl: first.callbackUrl, redirectUri, ...first.attempt, codeVerifier: Upstream.makeAttempt().codeVerifier }))
      expect(e1.reason).toBe("invalid_response")
      expect(e1.description).toContain("invalid_grant")

      const second = yield* authorize(provider, "alice")
      const tampered = withParam(second.callbackUrl, "code", `${second.callbackUrl.searchParams.get("code")}x`)
      const e2 = yield* fails(provider.callback({ callbackUrl: tampered, redirectUri, ...second.attempt }))
      expect(e2.reason).toBe("invalid_response")
      expect(e2.description).toContain("invalid_grant")
      expect(e2.description).not.toContain(second.callbackUrl.searchParams.get("code")!)
    }))

  it.live("refuses a replayed code (RFC 6749 §4.1.2: single use)", () =>
    Effect.gen(function*() {
      const { attempt, callbackUrl } = yield* authorize(provider, "alice")
      yield* provider.callback({ callbackUrl, redirectUri, ...attempt })
      const e = yield* fails(provider.callback({ callbackUrl, redirectUri, ...attempt }))
      expect(e.reason).toBe("invalid_response")
    }))

  it.live("refuses a tampered or missing iss when the provider advertises RFC 9207 (§2.4)", () =>
    Effect.gen(function*() {
      const { attempt, callbackUrl } = yield* authorize(provider, "alice")
      const e1 = yield* fails(provider.callback({ callbackUrl: withParam(callbackUrl, "iss", "https://evil.example"), redirectUri, ...attempt }))
      expect(e1.reason).toBe("invalid_response")
      expect(e1.description).toMatch(/iss/)
      const e2 = yield* fails(provider.callback({ callbackUrl: withParam(callbackUrl, "iss", undefined), redirectUri, ...attempt }))
      expect(e2.reason).toBe("invalid_response")
      expect(e2.description).toMatch(/iss/)
    }))

  it.live("reports the user's refusal as denied (RFC 6749 §4.1.2.1 access_denied)", () =>
    Effect.gen(function*() {
      const { attempt, callbackUrl } = yield* authorize(provider, "alice", { deny: true })
      expect(callbackUrl.searchParams.get("error")).toBe("access_denied")
      const e = yield* fails(provider.callback({ callbackUrl, redirectUri, ...attempt }))
      expect(e.reason).toBe("denied")
      expect(e.description).toContain("access_denied")
    }))

  it.live("refreshes with the refresh token; the rotated-out one is refused as denied (RFC 6749 §6)", () =>
    Effect.gen(function*() {
      const { attempt, callbackUrl } = yield* authorize(provider, "alice")
      const login = yield* provider.callback({ callbackUrl, redirectUri, ...attempt })
      const refreshed = yield* provider.refresh(login.tokens.refreshToken!)
      expect(refreshed.accessToken).not.toBe(login.tokens.accessToken)
      expect(refreshed.refreshToken).toBeDefined()
      expect(refreshed.refreshToken).not.toBe(login.tokens.refreshToken)
      expect(refreshed.expiresAt).toBeGreaterThan(Date.now())
      const again = yield* provider.refresh(refreshed.refreshToken!)
      expect(again.accessToken).not.toBe(refreshed.accessToken)
      // oidc-provider rotates refresh tokens and refuses a reused one.
      const e = yield* fails(provider.refresh(login.tokens.refreshToken!))
      expect(e.reason).toBe("denied")
      expect(e.description).toContain("invalid_grant")
      expect(e.description).not.toContain(login.tokens.refreshToken!)
    }))

  it.live("fetches the discovery document once per provider (OIDC Discovery §4)", () =>
    Effect.gen(function*() {
      const before = op.count("GET", "/.well-known/openid-configuration")
      const p = makeProvider()
      yield* Effect.all([1, 2, 3, 4].map(() => p.authorizationUrl({ redirectUri, ...Upstream.makeAttempt() })), { concurrency: "unbounded" })
      const { attempt, callbackUrl } = yield* authorize(p, "alice")
      yield* p.callback({ callbackUrl, redirectUri, ...attempt })
      expect(op.count("GET", "/.well-known/openid-configuration") - before).toBe(1)
    }))

  it.live("refuses a discovery document naming another issuer (OIDC Discovery §4.3)", () =>
    Effect.gen(function*() {
      const p = makeProvider({ issuer: op.issuer.replace("127.0.0.1", "localhost") })
      const e = yield* fails(p.authorizationUrl({ redirectUri, ...Upstream.makeAttempt() }))
      expect(e.reason).toBe("invalid_response")
      expect(e.description).toMatch(/issuer/)
    }))

  it.live("refuses http endpoints unless allowInsecureHttp, and reports an unreachable provider as unavailable", () =>
    Effect.gen(function*() {
      const e1 = yield* fails(makeProvider({ allowInsecureHttp: false }).authorizationUrl({ redirectUri, ...Upstream.makeAttempt() }))
      expect(e1.reason).toBe("configuration")
      const server = createServer()
      yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)))
      const port = (server.address() as AddressInfo).port
      yield* Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      const started = Date.now()
      const e2 = yield* fails(makeProvider({ issuer: `http://127.0.0.1:${port}` }).authorizationUrl({ redirectUri, ...Upstream.makeAttempt() }))
      expect(e2.reason).toBe("unavailable")
      expect(Date.now() - started).toBeLessThan(5_000)
    }))

  it.live("refuses a wrong client secret as configuration, and a bad code verifier format up front", () =>
    Effect.gen(function*() {
      const wrong = makeProvider({ clientSecret: Redacted.make("not-the-secret") })
      const { attempt, callbackUrl } = yield* authorize(wrong, "alice")
      const e = yield* fails(wrong.callback({ callbackUrl, redirectUri, ...attempt }))
      expect(e.reason).toBe("configuration")
      expect(e.description).toContain("invalid_client")
      expect(e.description).not.toContain("not-the-secret")
      const short = yield* fails(provider.authorizationUrl({ redirectUri, state: "s", nonce: "n", codeVerifier: "short" }))
      expect(short.reason).toBe("configuration")
    }))

  it("validates static configuration when constructed", () => {
    expect(() => Upstream.oidc({ name: "Bad Name", issuer: "https://x.example", clientId: "c" })).toThrow(/\[a-z0-9-\]/)
    expect(() => Upstream.oidc({ name: "x", issuer: "not a url", clientId: "c" })).toThrow(/not a URL/)
    expect(() => Upstream.oidc({ name: "x", issuer: "https://x.example", clientId: "c", authorizationParameters: { state: "fixed" } })).toThrow(/state/)
  })
})

// --- GitHub ------------------------------------------------------------------------

interface FakeGithub {
  readonly url: string
  readonly tokenRequests: Array<URLSearchParams>
  close(): Promise<void>
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let body = ""
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")))
    request.on("end", () => resolve(body))
  })

/**
 * GitHub's three endpoints as a protocol peer on loopback (github.com is not
 * reachable from CI): authorize (approving at once), access_token (errors as
 * HTTP 200 + `error`, as GitHub answers), and the REST API's /user and
 * /user/emails. Tokens expire (a GitHub App with expiring user tokens) when
 * `expiring` is set.
 */
const startFakeGithub = async (options: { clientId: string; clientSecret: string; expiring: boolean }): Promise<FakeGithub> => {
  const codes = new Map<string, { challenge: string; redirectUri: string }>()
  const accessTokens = new Set<string>()
  const refreshTokens = new Set<string>()
  const tokenRequests: Array<URLSearchParams> = []
  const issue = () => {
    const access = `ghu_${randomBytes(12).toString("hex")}`
    accessTokens.add(access)
    const refresh = `ghr_${randomBytes(12).toString("hex")}`
    if (options.expiring) refreshTokens.add(refresh)
    return {
      access_token: access,
      token_type: "bearer",
      scope: "read:user,user:email",
      ...(options.expiring ? { expires_in: 28800, refresh_token: refresh, refresh_token_expires_in: 15897600 } : {})
    }
  }
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1")
    const json = (status: number, body: unknown) => response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
    void (async () => {
      if (request.method === "GET" && url.pathname === "/login/oauth/authorize") {
        const q = url.searchParams
        if (q.get("client_id") !== options.clientId || q.get("code_challenge_method") !== "S256") return json(400, { error: "bad request" })
        const code = randomBytes(10).toString("hex")
        codes.set(code, { challenge: q.get("code_challenge")!, redirectUri: q.get("redirect_uri")! })
        const back = new URL(q.get("redirect_uri")!)
        back.searchParams.set("code", code)
        back.searchParams.set("state", q.get("state")!)
        return response.writeHead(302, { location: back.href }).end()
      }
      if (request.method === "POST" && url.pathname === "/login/oauth/access_token") {
        const form = new URLSearchParams(await readBody(request))
        tokenRequests.push(form)
        if (!(request.headers.accept ?? "").includes("application/json")) return response.writeHead(200).end("error=unsupported")
        if (form.get("client_id") !== options.clientId || form.get("client_secret") !== options.clientSecret) {
          return json(200, { error: "incorrect_client_credentials", error_description: "The client_id and/or client_secret passed are incorrect." })
        }
        if (form.get("grant_type") === "refresh_token") {
          const refresh = form.get("refresh_token") ?? ""
          if (!refreshTokens.delete(refresh)) return json(200, { error: "bad_refresh_token", error_description: "The refresh token passed is incorrect or expired." })
          return json(200, issue())
        }
        const entry = codes.get(form.get("code") ?? "")
        codes.delete(form.get("code") ?? "")
        const verifier = form.get("code_verifier") ?? ""
        if (entry === undefined || entry.redirectUri !== form.get("redirect_uri") || createHash("sha256").update(verifier).digest("base64url") !== entry.challenge) {
          return json(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." })
        }
        return json(200, issue())
      }
      const auth = request.headers.authorization ?? ""
      const authorized = auth.startsWith("Bearer ") && accessTokens.has(auth.slice(7))
      if (request.method === "GET" && url.pathname === "/api/user") {
        if (!authorized) return json(401, { message: "Bad credentials" })
        return json(200, { login: "octocat", id: 583231, node_id: "MDQ6VXNlcjU4MzIzMQ==", name: "The Octocat", company: "@github", email: "octocat@public.example" })
      }
      if (request.method === "GET" && url.pathname === "/api/user/emails") {
        if (!authorized) return json(401, { message: "Bad credentials" })
        return json(200, [
          { email: "octocat@public.example", primary: false, verified: false, visibility: "public" },
          { email: "octocat@acme.com", primary: true, verified: true, visibility: "private" }
        ])
      }
      return json(404, { message: "Not Found" })
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    tokenRequests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}

describe("Upstream.github against a loopback GitHub", () => {
  let gh: FakeGithub
  const clientId = "Iv1.0123456789abcdef"
  const secret = "gh-client-secret-0123456789"
  const githubRedirect = "http://127.0.0.1:9/upstream/callback/github"

  const makeGithub = (overrides: Partial<Upstream.GithubOptions> = {}) =>
    Upstream.github({
      clientId,
      clientSecret: Redacted.make(secret),
      endpoints: { authorization: `${gh.url}/login/oauth/authorize`, token: `${gh.url}/login/oauth/access_token`, api: `${gh.url}/api` },
      allowInsecureHttp: true,
      mapping: { roles: { claim: "login", values: { octocat: ["admin"] } }, allowedDomains: ["acme.com"] },
      ...overrides
    })

  /** The browser's trip: our authorization URL, GitHub's redirect back to the callback. */
  const authorize = (p: Upstream.Provider) =>
    Effect.gen(function*() {
      const attempt = Upstream.makeAttempt()
      const url = yield* p.authorizationUrl({ redirectUri: githubRedirect, ...attempt })
      const response = yield* Effect.promise(() => fetch(url, { redirect: "manual" }))
      expect(response.status).toBe(302)
      return { attempt, url, callbackUrl: new URL(response.headers.get("location")!) }
    })

  beforeAll(async () => {
    gh = await startFakeGithub({ clientId, clientSecret: secret, expiring: true })
  })
  afterAll(() => gh?.close())

  it.live("logs in: PKCE S256, code exchange with Accept: application/json, /user and the primary verified email", () =>
    Effect.gen(function*() {
      const github = makeGithub()
      expect(github.name).toBe("github")
      expect(github.label).toBe("Sign in with GitHub")
      const { attempt, url, callbackUrl } = yield* authorize(github)
      expect(url.origin + url.pathname).toBe(`${gh.url}/login/oauth/authorize`)
      expect(url.searchParams.get("scope")).toBe("read:user user:email")
      expect(url.searchParams.get("code_challenge_method")).toBe("S256")
      const login = yield* github.callback({ callbackUrl, redirectUri: githubRedirect, ...attempt })
      expect(login.subject).toBe("github:583231")
      expect(login.upstreamSubject).toBe("583231")
      expect(login.roles).toEqual(["admin"])
      expect(login.claims).toMatchObject({ login: "octocat", id: 583231, email: "octocat@acme.com", email_verified: true })
      expect(login.tokens.accessToken).toMatch(/^ghu_/)
      expect(login.tokens.refreshToken).toMatch(/^ghr_/)
      expect(login.tokens.scopes).toEqual(["read:user", "user:email"])
      expect(login.tokens.expiresAt).toBeGreaterThan(Date.now() + 7 * 3600_000)
      const exchange = gh.tokenRequests.at(-1)!
      expect(exchange.get("code_verifier")).toBe(attempt.codeVerifier)
      expect(exchange.get("redirect_uri")).toBe(githubRedirect)
    }))

  it.live("refreshes expiring user tokens; a spent refresh token is denied", () =>
    Effect.gen(function*() {
      const github = makeGithub()
      const { attempt, callbackUrl } = yield* authorize(github)
      const login = yield* github.callback({ callbackUrl, redirectUri: githubRedirect, ...attempt })
      const refreshed = yield* github.refresh(login.tokens.refreshToken!)
      expect(refreshed.accessToken).not.toBe(login.tokens.accessToken)
      expect(refreshed.refreshToken).not.toBe(login.tokens.refreshToken)
      const e = yield* fails(github.refresh(login.tokens.refreshToken!))
      expect(e).toMatchObject({ reason: "denied", provider: "github" })
      expect(e.description).toContain("bad_refresh_token")
    }))

  it.live("refuses a wrong state, a wrong verifier (GitHub's HTTP 200 error), a refusal, and a wrong secret", () =>
    Effect.gen(function*() {
      const github = makeGithub()
      const a = yield* authorize(github)
      const e1 = yield* fails(github.callback({ callbackUrl: a.callbackUrl, redirectUri: githubRedirect, ...a.attempt, state: "forged" }))
      expect(e1.reason).toBe("invalid_response")
      const e2 = yield* fails(github.callback({ callbackUrl: a.callbackUrl, redirectUri: githubRedirect, ...a.attempt, codeVerifier: Upstream.makeAttempt().codeVerifier }))
      expect(e2).toMatchObject({ reason: "invalid_response" })
      expect(e2.description).toContain("bad_verification_code")

      const denied = new URL(githubRedirect)
      denied.searchParams.set("error", "access_denied")
      denied.searchParams.set("error_description", "The user has denied your application access.")
      denied.searchParams.set("state", a.attempt.state)
      const e3 = yield* fails(github.callback({ callbackUrl: denied, redirectUri: githubRedirect, ...a.attempt }))
      expect(e3.reason).toBe("denied")

      const wrong = makeGithub({ clientSecret: Redacted.make("wrong-secret") })
      const b = yield* authorize(wrong)
      const e4 = yield* fails(wrong.callback({ callbackUrl: b.callbackUrl, redirectUri: githubRedirect, ...b.attempt }))
      expect(e4.reason).toBe("configuration")
      expect(e4.description).not.toContain("wrong-secret")
    }))

  it.live("denies an account without a verified email in allowedDomains", () =>
    Effect.gen(function*() {
      const github = makeGithub({ mapping: { allowedDomains: ["example.org"] } })
      const { attempt, callbackUrl } = yield* authorize(github)
      const e = yield* fails(github.callback({ callbackUrl, redirectUri: githubRedirect, ...attempt }))
      expect(e.reason).toBe("denied")
    }))

  it("refuses http endpoints without allowInsecureHttp", () => {
    expect(() => Upstream.github({ clientId, clientSecret: Redacted.make(secret), endpoints: { api: "http://ghe.example/api/v3" } })).toThrow(/https/)
  })
})

// --- Microsoft Entra ID: tenant-templated issuers ----------------------------------------

describe("Upstream.entra issuer templates against a loopback issuer", () => {
  const tid = randomUUID()
  const otherTid = randomUUID()
  const entraRedirect = "http://127.0.0.1:9/upstream/callback/entra"
  let op: StartedOidcProvider

  beforeAll(async () => {
    op = await startOidcProvider({
      redirectUris: [entraRedirect],
      issuerPath: `/${tid}/v2.0`,
      accounts: (username) => ({
        name: username,
        oid: `oid-${username}`,
        // mallory's token names another tenant than the issuer that signed it.
        tid: username === "mallory" ? otherTid : tid,
        roles: ["Mcp.Admin"]
      }),
      scopeClaims: { profile: ["name", "oid", "tid", "roles"] },
      // Entra puts the claims in the ID token (the provider does not call userinfo for Entra).
      configuration: { conformIdTokenClaims: false },
      // The multi-tenant discovery documents publish the issuer as a template, as login.microsoftonline.com does.
      intercept: (request, response, origin) => {
        const match = /^\/(common|organizations)\/v2\.0\/\.well-known\/openid-configuration$/.exec(request.url ?? "")
        if (match === null) return false
        void fetch(`${origin}/${tid}/v2.0/.well-known/openid-configuration`)
          .then((r) => r.json() as Promise<Record<string, unknown>>)
          .then((doc) => {
            const { authorization_response_iss_parameter_supported: _ignored, ...rest } = doc
            response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...rest, issuer: `${origin}/{tenantid}/v2.0` }))
          })
        return true
      }
    })
  })
  afterAll(() => op?.close())

  const makeEntra = (overrides: Partial<Upstream.EntraOptions> = {}) =>
    Upstream.entra({
      tenant: "common",
      clientId: op.clientId,
      clientSecret: Redacted.make(op.clientSecret),
      authority: op.origin,
      allowInsecureHttp: true,
      mapping: { roles: { claim: "roles", values: { "Mcp.Admin": ["admin"] } } },
      ...overrides
    })

  const authorize = (p: Upstream.Provider, username: string) =>
    Effect.gen(function*() {
      const attempt = Upstream.makeAttempt()
      const url = yield* p.authorizationUrl({ redirectUri: entraRedirect, ...attempt })
      const callbackUrl = yield* Effect.promise(() => op.login(url, username))
      return { attempt, url, callbackUrl }
    })

  it.live("multi-tenant: iss validated against {authority}/{tid}/v2.0 with the token's tid, which becomes the tenant", () =>
    Effect.gen(function*() {
      const entra = makeEntra()
      const { attempt, url, callbackUrl } = yield* authorize(entra, "alice")
      expect(url.searchParams.get("scope")).toBe("openid profile email offline_access")
      const login = yield* entra.callback({ callbackUrl, redirectUri: entraRedirect, ...attempt })
      expect(login.subject).toBe("entra:oid-alice")
      expect(login.tenant).toBe(tid)
      expect(login.roles).toEqual(["admin"])
      expect(login.claims["iss"]).toBe(`${op.origin}/${tid}/v2.0`)
    }))

  it.live("multi-tenant: a token whose tid is not its issuer's tenant is refused", () =>
    Effect.gen(function*() {
      const entra = makeEntra()
      const { attempt, callbackUrl } = yield* authorize(entra, "mallory")
      const e = yield* Effect.flip(entra.callback({ callbackUrl, redirectUri: entraRedirect, ...attempt }))
      expect(e.reason).toBe("invalid_response")
      expect(e.description).toMatch(/iss/)
    }))

  it.live("multi-tenant: a callback iss outside the template is refused (RFC 9207 §2.4)", () =>
    Effect.gen(function*() {
      const entra = makeEntra()
      const { attempt, callbackUrl } = yield* authorize(entra, "alice")
      const e1 = yield* Effect.flip(entra.callback({ callbackUrl: withParam(callbackUrl, "iss", "https://evil.example/x/v2.0"), redirectUri: entraRedirect, ...attempt }))
      expect(e1.reason).toBe("invalid_response")
      // A well-formed iss of another tenant: the ID token's issuer differs.
      const e2 = yield* Effect.flip(entra.callback({ callbackUrl: withParam(callbackUrl, "iss", `${op.origin}/${otherTid}/v2.0`), redirectUri: entraRedirect, ...attempt }))
      expect(e2.reason).toBe("invalid_response")
    }))

  it.live("multi-tenant: allowedTenants refuses other tenants", () =>
    Effect.gen(function*() {
      const entra = makeEntra({ tenant: "organizations", allowedTenants: [otherTid] })
      const { attempt, callbackUrl } = yield* authorize(entra, "alice")
      const e = yield* Effect.flip(entra.callback({ callbackUrl, redirectUri: entraRedirect, ...attempt }))
      expect(e.reason).toBe("denied")
      const allowed = makeEntra({ tenant: "organizations", allowedTenants: [tid.toUpperCase()] })
      const again = yield* authorize(allowed, "alice")
      expect((yield* allowed.callback({ callbackUrl: again.callbackUrl, redirectUri: entraRedirect, ...again.attempt })).tenant).toBe(tid)
    }))

  it.live("single tenant: the issuer is exact, discovery at {authority}/{tenant}/v2.0", () =>
    Effect.gen(function*() {
      const entra = makeEntra({ tenant: tid })
      const { attempt, callbackUrl } = yield* authorize(entra, "alice")
      const login = yield* entra.callback({ callbackUrl, redirectUri: entraRedirect, ...attempt })
      expect(login.tenant).toBe(tid)
      // Another tenant's token from this issuer cannot exist; a tampered iss is refused.
      const again = yield* authorize(entra, "alice")
      const e = yield* Effect.flip(entra.callback({ callbackUrl: withParam(again.callbackUrl, "iss", `${op.origin}/${otherTid}/v2.0`), redirectUri: entraRedirect, ...again.attempt }))
      expect(e.reason).toBe("invalid_response")
    }))

  it.live("names the API through the scope (resource → {resource}/.default), never the resource parameter", () =>
    Effect.gen(function*() {
      const entra = makeEntra({ resource: "api://mcp-server", scopes: ["User.Read"] })
      const url = yield* entra.authorizationUrl({ redirectUri: entraRedirect, ...Upstream.makeAttempt() })
      expect(url.searchParams.get("scope")).toBe("openid profile email offline_access User.Read api://mcp-server/.default")
      expect(url.searchParams.has("resource")).toBe(false)
    }))
})
