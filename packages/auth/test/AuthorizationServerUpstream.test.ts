/**
 * Federated login through a real OpenID Connect provider on loopback
 * (oidc-provider): the authorization server sends the user upstream, maps
 * the upstream claims to its own identity, asks consent even though the
 * upstream session exists (confused deputy), and issues its own tokens;
 * the upstream tokens stay in the store, sealed, for `UpstreamTokens`.
 */
import { Effect, Redacted } from "effect"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Authentication from "../src/Authentication.js"
import { fromHeaders } from "../src/Authenticator.js"
import * as OAuthStore from "../src/OAuthStore.js"
import * as Principal from "../src/Principal.js"
import * as Upstream from "../src/Upstream.js"
import { baseOptions, Browser, inputValue, pkce, postForm, RESOURCE, startAuthorizationServer, type StartedAuthorizationServer } from "./support/authorizationServer.js"
import { startOidcProvider, type StartedOidcProvider } from "./support/oidcProvider.js"
import { freePort } from "./support/postgres.js"

const REDIRECT = "http://127.0.0.1:9999/callback"

let op: StartedOidcProvider
let server: StartedAuthorizationServer

beforeAll(async () => {
  // The issuer is fixed first: the upstream must know our callback URL before either starts.
  const issuer = `http://127.0.0.1:${await freePort()}`
  op = await startOidcProvider({
    redirectUris: [`${issuer}/callback/local`],
    accounts: (username) => ({ sub: username, name: username, email: `${username}@example.com`, email_verified: true, groups: username === "alice" ? ["editors"] : [] }),
    scopeClaims: { profile: ["name", "groups"] }
  })
  const upstream = Upstream.oidc({
    name: "local",
    label: "Sign in with Local OIDC",
    issuer: op.issuer,
    clientId: op.clientId,
    clientSecret: Redacted.make(op.clientSecret),
    scopes: ["openid", "profile", "email", "offline_access"],
    authorizationParameters: { prompt: "consent" },
    allowInsecureHttp: true,
    mapping: {
      roles: { claim: "groups", values: { editors: ["editor"] } },
      scopes: { claim: "groups", values: { editors: ["files:read", "files:write"] } },
      defaultScopes: ["files:read"]
    }
  })
  server = await startAuthorizationServer((i) => {
    const { localLogin: _, ...options } = baseOptions(i)
    return { ...options, upstreams: [upstream] }
  }, OAuthStore.memory, issuer)
}, 60_000)
afterAll(async () => {
  await server?.close()
  await op?.close()
})

/** Runs the authorization request through the upstream login; returns the browser and the consent page. */
const throughUpstream = async (username: string, browser = new Browser(), scope = "files:read files:write") => {
  const { challenge, verifier } = pkce()
  const query = new URLSearchParams({
    response_type: "code",
    client_id: "public-app",
    redirect_uri: REDIRECT,
    scope,
    state: "s",
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: RESOURCE
  })
  const login = await browser.follow(server.url(`/authorize?${query}`), server.origin)
  expect(login.url).toContain("/login")
  expect(login.body).toContain("Sign in with Local OIDC")
  const link = /href="([^"]*\/login\/local[^"]*)"/.exec(login.body)![1]!.replace(/&amp;/g, "&")
  const toUpstream = await browser.get(server.url(link))
  expect(toUpstream.status).toBe(302)
  const callback = await op.login(toUpstream.location!, username)
  // Back at our callback (on this replica's address), with the browser that started.
  const consent = await browser.follow(server.url(callback.pathname + callback.search), server.origin)
  return { browser, consent, verifier }
}

const exchange = (code: string, verifier: string) =>
  postForm(server.url("/token"), { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: "public-app", code_verifier: verifier })

describe("upstream OpenID Connect login", () => {
  it("maps upstream claims, asks consent, issues its own token (never the upstream's), and keeps the upstream tokens sealed", async () => {
    const { browser, consent, verifier } = await throughUpstream("alice")
    expect(consent.url).toContain("/consent")
    const answered = await browser.post(server.url("/consent"), {
      interaction: inputValue(consent.body, "interaction")!,
      csrf_token: inputValue(consent.body, "csrf_token")!,
      decision: "allow"
    })
    const back = new URL(answered.location!)
    expect(back.searchParams.get("iss")).toBe(server.issuer)
    const tokens = await exchange(back.searchParams.get("code")!, verifier)
    expect(tokens.status).toBe(200)
    const claims = jose.decodeJwt(tokens.body.access_token as string)
    expect(claims.iss).toBe(server.issuer)
    expect(claims.sub).toBe("local:alice")
    expect(claims.roles).toEqual(["editor"])
    expect(claims.scope).toBe("files:read files:write")

    const identity = await Effect.runPromise(
      Authentication.make([server.service.authenticator(RESOURCE)]).authenticate(fromHeaders({ authorization: `Bearer ${tokens.body.access_token as string}` }))
    )
    // The upstream tokens: sealed in the store, opened only through UpstreamTokens for this principal.
    const stored = await Effect.runPromise(server.store.getUpstreamTokens("local", "local:alice"))
    expect(stored._tag).toBe("Some")
    if (stored._tag === "Some") expect(stored.value.sealedAccessToken.startsWith("v1.")).toBe(true)
    const upstreamToken = await Effect.runPromise(
      server.upstreamTokens.accessToken("local").pipe(Effect.provideService(Principal.Principal, identity), Effect.either)
    )
    expect(upstreamToken._tag).toBe("Right")
    if (upstreamToken._tag === "Right") {
      const userinfo = await fetch(`${op.origin}/me`, { headers: { authorization: `Bearer ${Redacted.value(upstreamToken.right)}` } })
      expect(userinfo.status).toBe(200)
      expect(Redacted.value(upstreamToken.right)).not.toBe(tokens.body.access_token)
    }
  })

  it("limits scopes to what the upstream mapping grants", async () => {
    const { browser, consent, verifier } = await throughUpstream("bob")
    const answered = await browser.post(server.url("/consent"), {
      interaction: inputValue(consent.body, "interaction")!,
      csrf_token: inputValue(consent.body, "csrf_token")!,
      decision: "allow"
    })
    const tokens = await exchange(new URL(answered.location!).searchParams.get("code")!, verifier)
    expect(jose.decodeJwt(tokens.body.access_token as string).scope).toBe("files:read")
  })

  it("shows the consent screen for a new client even though the user is signed in (confused deputy)", async () => {
    const { browser, consent } = await throughUpstream("carol")
    await browser.post(server.url("/consent"), {
      interaction: inputValue(consent.body, "interaction")!,
      csrf_token: inputValue(consent.body, "csrf_token")!,
      decision: "allow"
    })
    // Same browser, signed in, another client: the consent page again, never a silent code.
    const { challenge } = pkce()
    const other = await browser.follow(server.url(`/authorize?${new URLSearchParams({
      response_type: "code",
      client_id: "second-app",
      redirect_uri: "http://127.0.0.1:9998/callback",
      scope: "files:read",
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: RESOURCE
    })}`), server.origin)
    expect(other.location).toBeUndefined()
    expect(other.url).toContain("/consent")
    expect(other.body).toContain("Second App")
  })

  it("refuses a replayed callback (the upstream state is single-use)", async () => {
    const browser = new Browser()
    const { challenge } = pkce()
    const login = await browser.follow(server.url(`/authorize?${new URLSearchParams({
      response_type: "code",
      client_id: "public-app",
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: RESOURCE
    })}`), server.origin)
    const link = /href="([^"]*\/login\/local[^"]*)"/.exec(login.body)![1]!.replace(/&amp;/g, "&")
    const toUpstream = await browser.get(server.url(link))
    const callback = await op.login(toUpstream.location!, "dave")
    const first = await browser.get(server.url(callback.pathname + callback.search))
    expect(first.status).toBe(302)
    const replay = await browser.get(server.url(callback.pathname + callback.search))
    expect(replay.status).toBe(400)
    expect(replay.body).toContain("already used")
  })
})
