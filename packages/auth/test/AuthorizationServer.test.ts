/**
 * The authorization server over real HTTP on loopback: metadata, the
 * authorization code flow through its login and consent pages, refresh
 * rotation, client credentials, the device flow, revocation and
 * introspection, and verification of what it issues.
 */
import { Effect, Exit, Metric } from "effect"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Authentication from "../src/Authentication.js"
import { fromHeaders } from "../src/Authenticator.js"
import {
  authorizeAs,
  basic,
  Browser,
  inputValue,
  OTHER_RESOURCE,
  pkce,
  postForm,
  RESOURCE,
  startAuthorizationServer,
  type StartedAuthorizationServer,
  verifyToken
} from "./support/authorizationServer.js"

const REDIRECT = "http://127.0.0.1:9999/callback"

let server: StartedAuthorizationServer
beforeAll(async () => {
  server = await startAuthorizationServer()
})
afterAll(() => server?.close())

const verify = (accessToken: string, resource = RESOURCE) => verifyToken(server, accessToken, resource)

/** Runs the whole code flow for the public client and returns the token response. */
const codeFlow = async (browser = new Browser(), scope = "files:read files:write") => {
  const { challenge, verifier } = pkce()
  const back = await authorizeAs(server, browser, {
    response_type: "code",
    client_id: "public-app",
    redirect_uri: REDIRECT,
    scope,
    state: "xyz",
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: RESOURCE
  })
  const code = back.searchParams.get("code")!
  const tokens = await postForm(server.url("/token"), {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    client_id: "public-app",
    code_verifier: verifier,
    resource: RESOURCE
  })
  return { back, code, verifier, tokens }
}

describe("metadata (RFC 8414 §3, OIDC Discovery §4)", () => {
  it("serves the authorization server metadata with S256 only, iss in responses and CIMD support", async () => {
    const response = await fetch(server.url("/.well-known/oauth-authorization-server"))
    expect(response.status).toBe(200)
    const metadata = await response.json() as Record<string, unknown>
    expect(metadata.issuer).toBe(server.issuer)
    expect(metadata.authorization_endpoint).toBe(server.url("/authorize"))
    expect(metadata.token_endpoint).toBe(server.url("/token"))
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"])
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true)
    expect(metadata.client_id_metadata_document_supported).toBe(true)
    // Dynamic registration is off by default: no registration endpoint advertised.
    expect(metadata.registration_endpoint).toBeUndefined()
    expect(metadata.scopes_supported).toEqual(["files:read", "files:write", "other"])
    const oidc = await (await fetch(server.url("/.well-known/openid-configuration"))).json() as Record<string, unknown>
    expect(oidc.issuer).toBe(server.issuer)
    expect(oidc.code_challenge_methods_supported).toEqual(["S256"])
  })

  it("publishes the signing keys (RFC 7517) without private parts", async () => {
    const jwks = await (await fetch(server.url("/jwks.json"))).json() as { keys: Array<Record<string, unknown>> }
    expect(jwks.keys.length).toBeGreaterThan(0)
    for (const key of jwks.keys) expect(key.d).toBeUndefined()
  })
})

describe("authorization code flow (OAuth 2.1 §4.1)", () => {
  it("logs in, asks consent, redirects with code, state and iss (RFC 9207 §2), and issues an audience-bound access token", async () => {
    const { back, tokens } = await codeFlow()
    expect(back.origin + back.pathname).toBe(REDIRECT)
    expect(back.searchParams.get("state")).toBe("xyz")
    expect(back.searchParams.get("iss")).toBe(server.issuer)
    expect(tokens.status).toBe(200)
    expect(tokens.headers.get("cache-control")).toBe("no-store")
    expect(tokens.body.token_type).toBe("Bearer")
    expect(typeof tokens.body.refresh_token).toBe("string")
    expect(tokens.body.scope).toBe("files:read files:write")
    const claims = jose.decodeJwt(tokens.body.access_token as string)
    expect(jose.decodeProtectedHeader(tokens.body.access_token as string).typ).toBe("at+jwt")
    expect(claims.aud).toBe(RESOURCE)
    expect(claims.sub).toBe("alice")
    expect(claims.client_id).toBe("public-app")
    expect(claims.tenant).toBe("acme")
    const exit = await verify(tokens.body.access_token as string)
    expect(Exit.isSuccess(exit)).toBe(true)
    if (Exit.isSuccess(exit)) {
      expect(exit.value.subject).toBe("alice")
      expect([...exit.value.scopes]).toEqual(["files:read", "files:write"])
      expect([...exit.value.roles]).toEqual(["admin"])
      expect(exit.value.tenant).toBe("acme")
    }
    // RFC 8707: a token for one resource is refused by another.
    expect(Exit.isFailure(await verify(tokens.body.access_token as string, "https://other.test/mcp"))).toBe(true)
  })

  it("remembers consent per client and scope set, and asks again for a new scope", async () => {
    const browser = new Browser()
    await codeFlow(browser, "files:read")
    const { challenge } = pkce()
    const params = {
      response_type: "code",
      client_id: "public-app",
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: RESOURCE
    }
    // Same scopes: straight back with a code.
    const again = await browser.follow(`${server.url("/authorize")}?${new URLSearchParams({ ...params, scope: "files:read" })}`, server.issuer)
    expect(again.location).toContain("code=")
    // A new scope (of another resource): the consent page again.
    const query = new URLSearchParams({ ...params, scope: "files:read other" })
    query.append("resource", OTHER_RESOURCE)
    const wider = await browser.follow(`${server.url("/authorize")}?${query}`, server.issuer)
    expect(wider.location).toBeUndefined()
    expect(wider.url).toContain("/consent")
  })

  it("limits a user's tokens to the scopes the login allows", async () => {
    const { challenge, verifier } = pkce()
    const back = await authorizeAs(server, new Browser(), {
      response_type: "code",
      client_id: "public-app",
      redirect_uri: REDIRECT,
      scope: "files:read files:write",
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: RESOURCE
    }, { username: "bob", password: "builder" })
    const tokens = await postForm(server.url("/token"), {
      grant_type: "authorization_code",
      code: back.searchParams.get("code")!,
      redirect_uri: REDIRECT,
      client_id: "public-app",
      code_verifier: verifier
    })
    expect(tokens.body.scope).toBe("files:read")
  })

  it("sends a denial back as access_denied with state and iss", async () => {
    const { challenge } = pkce()
    const back = await authorizeAs(server, new Browser(), {
      response_type: "code",
      client_id: "public-app",
      redirect_uri: REDIRECT,
      state: "s1",
      scope: "other",
      code_challenge: challenge,
      code_challenge_method: "S256",
      // Never consented to before by anyone, so the consent page is shown.
      resource: OTHER_RESOURCE
    }, { username: "bob", password: "builder" }, "deny")
    expect(back.searchParams.get("error")).toBe("access_denied")
    expect(back.searchParams.get("state")).toBe("s1")
    expect(back.searchParams.get("iss")).toBe(server.issuer)
  })

  it("refuses a wrong password without saying which part was wrong", async () => {
    const browser = new Browser()
    const { challenge } = pkce()
    const page = await browser.follow(`${server.url("/authorize")}?${new URLSearchParams({
      response_type: "code",
      client_id: "public-app",
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: RESOURCE
    })}`, server.issuer)
    const refused = await browser.post(server.url("/login"), {
      interaction: inputValue(page.body, "interaction")!,
      csrf_token: inputValue(page.body, "csrf_token")!,
      username: "alice",
      password: "nope"
    })
    expect(refused.status).toBe(401)
    expect(refused.body).toContain("username or password is not right")
  })
})

describe("refresh tokens (OAuth 2.1 §4.3)", () => {
  it("rotates on use; the previous token works within the grace window; the new one works", async () => {
    const { tokens } = await codeFlow()
    const first = tokens.body.refresh_token as string
    const refreshed = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: first, client_id: "public-app" })
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.refresh_token).not.toBe(first)
    // A client refreshing twice in a race: the old token is still good within the grace window.
    const raced = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: first, client_id: "public-app" })
    expect(raced.status).toBe(200)
    const next = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: refreshed.body.refresh_token as string, client_id: "public-app" })
    expect(next.status).toBe(200)
    expect(Exit.isSuccess(await verify(next.body.access_token as string))).toBe(true)
  })

  it("narrows scope on request and refuses a wider one (RFC 6749 §6)", async () => {
    const { tokens } = await codeFlow(new Browser(), "files:read")
    const wider = await postForm(server.url("/token"), {
      grant_type: "refresh_token",
      refresh_token: tokens.body.refresh_token as string,
      client_id: "public-app",
      scope: "files:read files:write"
    })
    expect(wider.status).toBe(400)
    expect(wider.body.error).toBe("invalid_scope")
  })

  it("is bound to its client (OAuth 2.1 §4.3.1)", async () => {
    const { tokens } = await codeFlow()
    const stolen = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: tokens.body.refresh_token as string }, basic("service", "service-secret-0123456789"))
    expect(stolen.status).toBe(400)
    expect(stolen.body.error).toBe("unauthorized_client")
  })
})

describe("client credentials (OAuth 2.1 §4.2)", () => {
  it("issues a token to a confidential client for its own scopes, without a refresh token", async () => {
    const tokens = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, scope: "files:read" }, basic("service", "service-secret-0123456789"))
    expect(tokens.status).toBe(200)
    expect(tokens.body.refresh_token).toBeUndefined()
    expect(jose.decodeJwt(tokens.body.access_token as string).sub).toBe("service")
    const exit = await verify(tokens.body.access_token as string)
    expect(Exit.isSuccess(exit)).toBe(true)
  })

  it("refuses a wrong secret with 401 invalid_client and WWW-Authenticate (RFC 6749 §5.2)", async () => {
    const tokens = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE }, basic("service", "wrong"))
    expect(tokens.status).toBe(401)
    expect(tokens.body.error).toBe("invalid_client")
    expect(tokens.headers.get("www-authenticate")).toMatch(/^Basic/)
  })

  it("refuses a scope outside the client's registration", async () => {
    const tokens = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, scope: "files:write" }, basic("service", "service-secret-0123456789"))
    expect(tokens.body.error).toBe("invalid_scope")
  })
})

describe("device authorization (RFC 8628)", () => {
  it("runs the whole flow: device code, pending, slow_down, the user's approval, tokens, single redemption", async () => {
    const started = await postForm(server.url("/device_authorization"), { client_id: "public-app", resource: RESOURCE, scope: "files:read" })
    expect(started.status).toBe(200)
    const { device_code, user_code, verification_uri, verification_uri_complete } = started.body as Record<string, string>
    expect(user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    expect(verification_uri).toBe(server.url("/device"))
    const poll = () => postForm(server.url("/token"), { grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: device_code!, client_id: "public-app" })
    expect((await poll()).body.error).toBe("authorization_pending")
    expect((await poll()).body.error).toBe("slow_down")

    // The user opens the verification URI, signs in, confirms the code and allows.
    const browser = new Browser()
    const login = await browser.follow(verification_uri_complete!, server.issuer)
    expect(login.url).toContain("/login")
    const posted = await browser.post(server.url("/login"), {
      interaction: inputValue(login.body, "interaction")!,
      csrf_token: inputValue(login.body, "csrf_token")!,
      username: "alice",
      password: "wonderland"
    })
    const entry = await browser.follow(new URL(posted.location!, server.issuer).toString(), server.issuer)
    expect(entry.url).toContain("/device")
    const csrf = inputValue(entry.body, "csrf_token")!
    const confirm = await browser.post(server.url("/device"), { csrf_token: csrf, user_code: user_code!.toLowerCase() })
    expect(confirm.status).toBe(200)
    expect(confirm.body).toContain(user_code)
    const approved = await browser.post(server.url("/device"), { csrf_token: csrf, user_code: user_code!, decision: "allow" })
    expect(approved.status).toBe(200)

    await new Promise((resolve) => setTimeout(resolve, 100))
    // Still too fast after slow_down (interval 10 s now)… the server says so rather than issuing twice.
    const early = await poll()
    expect(["slow_down", undefined]).toContain(early.body.error)
    if (early.status === 200) {
      expect(Exit.isSuccess(await verify(early.body.access_token as string))).toBe(true)
      expect((await poll()).body.error).toBe("invalid_grant")
    }
  })
})

describe("revocation (RFC 7009) and introspection (RFC 7662)", () => {
  it("revoking a refresh token ends its grant's access tokens at once", async () => {
    const { tokens } = await codeFlow()
    const access = tokens.body.access_token as string
    expect(Exit.isSuccess(await verify(access))).toBe(true)
    const revoked = await postForm(server.url("/revoke"), { token: tokens.body.refresh_token as string, client_id: "public-app" })
    expect(revoked.status).toBe(200)
    expect(Exit.isFailure(await verify(access))).toBe(true)
    const refresh = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: tokens.body.refresh_token as string, client_id: "public-app" })
    expect(refresh.body.error).toBe("invalid_grant")
  })

  it("revoking an access token ends it, even for a cache that verified it before", async () => {
    const { tokens } = await codeFlow()
    const access = tokens.body.access_token as string
    const authentication = Authentication.make([server.service.authenticator(RESOURCE)])
    const credentials = fromHeaders({ authorization: `Bearer ${access}` })
    expect(Exit.isSuccess(await Effect.runPromiseExit(authentication.authenticate(credentials)))).toBe(true)
    await postForm(server.url("/revoke"), { token: access, token_type_hint: "access_token", client_id: "public-app" })
    expect(authentication.peek(credentials)).toBeUndefined()
    expect(Exit.isFailure(await Effect.runPromiseExit(authentication.authenticate(credentials)))).toBe(true)
  })

  it("answers 200 for an unknown token (RFC 7009 §2.2) and does not let another client revoke", async () => {
    expect((await postForm(server.url("/revoke"), { token: "nothing-like-a-token", client_id: "public-app" })).status).toBe(200)
    const { tokens } = await codeFlow()
    await postForm(server.url("/revoke"), { token: tokens.body.refresh_token as string }, basic("service", "service-secret-0123456789"))
    expect(Exit.isSuccess(await verify(tokens.body.access_token as string))).toBe(true)
  })

  it("introspects for confidential clients only", async () => {
    const { tokens } = await codeFlow()
    const active = await postForm(server.url("/introspect"), { token: tokens.body.access_token as string }, basic("resource-server", "resource-server-secret-0123456789"))
    expect(active.body.active).toBe(true)
    expect(active.body.sub).toBe("alice")
    expect(active.body.aud).toBe(RESOURCE)
    const refresh = await postForm(server.url("/introspect"), { token: tokens.body.refresh_token as string }, basic("resource-server", "resource-server-secret-0123456789"))
    expect(refresh.body).toMatchObject({ active: true, token_type: "refresh_token", client_id: "public-app" })
    const unknown = await postForm(server.url("/introspect"), { token: "garbage" }, basic("resource-server", "resource-server-secret-0123456789"))
    expect(unknown.body).toEqual({ active: false })
    const publicCaller = await postForm(server.url("/introspect"), { token: tokens.body.access_token as string, client_id: "public-app" })
    expect(publicCaller.status).toBe(401)
  })
})

describe("browser-based clients (CORS)", () => {
  it("answers the preflight of the token and registration endpoints and the metadata, and marks their responses", async () => {
    for (const path of ["/token", "/register", "/revoke", "/.well-known/oauth-authorization-server"]) {
      const preflight = await fetch(server.url(path), {
        method: "OPTIONS",
        headers: { origin: "http://localhost:6274", "access-control-request-method": "POST", "access-control-request-headers": "content-type, mcp-protocol-version" }
      })
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*")
      expect(preflight.headers.get("access-control-allow-headers")).toMatch(/MCP-Protocol-Version/i)
    }
    const refused = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: "x", client_id: "public-app" })
    expect(refused.headers.get("access-control-allow-origin")).toBe("*")
    // The browser pages are not readable across origins.
    const page = await fetch(server.url("/login?interaction=x"))
    expect(page.headers.get("access-control-allow-origin")).toBeNull()
  })
})

describe("OpenID Connect (OIDC Core §3.1)", () => {
  it("adds an ID token for openid, with the nonce, audience the client, signed by the published keys", async () => {
    const { challenge, verifier } = pkce()
    const back = await authorizeAs(server, new Browser(), {
      response_type: "code",
      client_id: "public-app",
      redirect_uri: REDIRECT,
      scope: "openid files:read",
      nonce: "n-0S6_WzA2Mj",
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: RESOURCE
    })
    const tokens = await postForm(server.url("/token"), {
      grant_type: "authorization_code",
      code: back.searchParams.get("code")!,
      redirect_uri: REDIRECT,
      client_id: "public-app",
      code_verifier: verifier
    })
    expect(tokens.body.scope).toBe("files:read")
    const jwks = jose.createRemoteJWKSet(new URL(server.url("/jwks.json")))
    const { payload } = await jose.jwtVerify(tokens.body.id_token as string, jwks, { issuer: server.issuer, audience: "public-app" })
    expect(payload.sub).toBe("alice")
    expect(payload.nonce).toBe("n-0S6_WzA2Mj")
    expect(payload.name).toBe("Alice")
    // Without openid, no ID token.
    const { tokens: plain } = await codeFlow()
    expect(plain.body.id_token).toBeUndefined()
  })
})

describe("metrics", () => {
  it("counts tokens issued by grant and errors by endpoint and code", async () => {
    const snapshot = async () =>
      (await Effect.runPromise(Metric.snapshot)).flatMap((pair) => {
        const name = pair.metricKey.name
        if (!name.startsWith("mcp_oauth_")) return []
        const labels = pair.metricKey.tags.map((t) => `${t.key}=${t.value}`).join(",")
        return [[`${name}{${labels}}`, (pair.metricState as unknown as { count: number }).count] as const]
      })
    await codeFlow()
    await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: "nope", client_id: "public-app" })
    const metrics = new Map(await snapshot())
    expect(metrics.get("mcp_oauth_tokens_issued_total{grant=authorization_code}")).toBeGreaterThan(0)
    expect(metrics.get("mcp_oauth_errors_total{endpoint=token,error=invalid_grant}")).toBeGreaterThan(0)
  })
})
