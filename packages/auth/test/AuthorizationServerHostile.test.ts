/**
 * The hostile battery: every attack the issue names, each refused with the
 * RFC's error code and nothing issued.
 */
import { Exit } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  authorizeAs,
  authorizeUrl,
  baseOptions,
  Browser,
  inputValue,
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
  server = await startAuthorizationServer((issuer) => ({
    ...baseOptions(issuer),
    refreshGrace: "200 millis",
    clients: { ...baseOptions(issuer).clients, dynamicRegistration: { perAddressPerMinute: 3 } }
  }))
})
afterAll(() => server?.close())

const verify = (accessToken: string) => verifyToken(server, accessToken)

const request = (overrides: Readonly<Record<string, string | undefined>> = {}) => {
  const { challenge } = pkce()
  return {
    response_type: "code",
    client_id: "public-app",
    redirect_uri: REDIRECT,
    state: "st",
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: RESOURCE,
    ...overrides
  }
}

/** An authorization request whose error goes back to the client's redirect URI (no login needed: it is checked first). */
const refusedAtAuthorize = async (params: Readonly<Record<string, string | undefined>>) => {
  const seen = await new Browser().get(authorizeUrl(server, params))
  expect(seen.status).toBe(302)
  const back = new URL(seen.location!)
  expect(back.origin + back.pathname).toBe(REDIRECT)
  // Nothing issued; the error carries state and iss (RFC 6749 §4.1.2.1, RFC 9207 §2).
  expect(back.searchParams.get("code")).toBeNull()
  expect(back.searchParams.get("state")).toBe("st")
  expect(back.searchParams.get("iss")).toBe(server.issuer)
  return back.searchParams.get("error")
}

const exchange = (code: string, verifier: string, extra: Readonly<Record<string, string>> = {}) =>
  postForm(server.url("/token"), { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: "public-app", code_verifier: verifier, ...extra })

const codeFor = async (scope = "files:read") => {
  const { challenge, verifier } = pkce()
  const back = await authorizeAs(server, new Browser(), { ...request({ code_challenge: challenge, scope }) })
  return { code: back.searchParams.get("code")!, verifier }
}

describe("PKCE (OAuth 2.1 §4.1.1, RFC 7636)", () => {
  it("refuses a request without code_challenge: invalid_request", async () => {
    expect(await refusedAtAuthorize(request({ code_challenge: undefined }))).toBe("invalid_request")
  })

  it("refuses the plain method: invalid_request", async () => {
    expect(await refusedAtAuthorize(request({ code_challenge_method: "plain" }))).toBe("invalid_request")
    expect(await refusedAtAuthorize(request({ code_challenge_method: undefined }))).toBe("invalid_request")
  })

  it("refuses a wrong verifier: invalid_grant, and the code is spent", async () => {
    const { code, verifier } = await codeFor()
    const wrong = await exchange(code, "w".repeat(43))
    expect(wrong.status).toBe(400)
    expect(wrong.body.error).toBe("invalid_grant")
    expect(wrong.body.access_token).toBeUndefined()
    const right = await exchange(code, verifier)
    expect(right.body.error).toBe("invalid_grant")
    expect(right.body.access_token).toBeUndefined()
  })

  it("refuses a token request without a verifier: invalid_request", async () => {
    const { code } = await codeFor()
    const missing = await postForm(server.url("/token"), { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: "public-app" })
    expect(missing.body.error).toBe("invalid_request")
  })
})

describe("redirect URIs (OAuth 2.1 §4.1.1: exact match)", () => {
  it("shows an error page, never redirects, for a redirect URI differing in one character", async () => {
    for (const redirect of ["http://127.0.0.1:9999/callbacK", "http://127.0.0.1:9999/callback/", "http://127.0.0.1:9999/callback?x=1", "http://127.0.0.2:9999/callback"]) {
      const seen = await new Browser().get(authorizeUrl(server, request({ redirect_uri: redirect })))
      expect(seen.status).toBe(400)
      expect(seen.location).toBeUndefined()
      expect(seen.body).toContain("did not register")
    }
  })

  it("refuses a token request whose redirect_uri differs from the authorization request's: invalid_grant", async () => {
    const { code, verifier } = await codeFor()
    const other = await exchange(code, verifier, { redirect_uri: "http://127.0.0.1:9999/callbacK" })
    expect(other.body.error).toBe("invalid_grant")
  })
})

describe("authorization codes (OAuth 2.1 §4.1.3)", () => {
  it("a reused code is refused and revokes the tokens it issued", async () => {
    const { code, verifier } = await codeFor()
    const first = await exchange(code, verifier)
    expect(first.status).toBe(200)
    expect(Exit.isSuccess(await verify(first.body.access_token as string))).toBe(true)
    const second = await exchange(code, verifier)
    expect(second.body.error).toBe("invalid_grant")
    expect(second.body.access_token).toBeUndefined()
    expect(Exit.isFailure(await verify(first.body.access_token as string))).toBe(true)
    const refresh = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: first.body.refresh_token as string, client_id: "public-app" })
    expect(refresh.body.error).toBe("invalid_grant")
  })

  it("a code issued to one client is refused for another", async () => {
    const { code, verifier } = await codeFor()
    const stolen = await postForm(server.url("/token"), {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier
    }, { authorization: `Basic ${Buffer.from("service:service-secret-0123456789").toString("base64")}` })
    expect(stolen.body.error).toBe("invalid_grant")
  })

  it("a made-up code is invalid_grant", async () => {
    expect((await exchange("not-a-code", pkce().verifier)).body.error).toBe("invalid_grant")
  })
})

describe("refresh token reuse (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2)", () => {
  it("a rotated token used after the grace window revokes the whole family", async () => {
    const { code, verifier } = await codeFor()
    const tokens = await exchange(code, verifier)
    const first = tokens.body.refresh_token as string
    const rotated = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: first, client_id: "public-app" })
    expect(rotated.status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 400))
    const replay = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: first, client_id: "public-app" })
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe("invalid_grant")
    expect(replay.body.access_token).toBeUndefined()
    // The family is gone: the successor and its access token too.
    const successor = await postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: rotated.body.refresh_token as string, client_id: "public-app" })
    expect(successor.body.error).toBe("invalid_grant")
    expect(Exit.isFailure(await verify(rotated.body.access_token as string))).toBe(true)
  })
})

describe("resources (RFC 8707)", () => {
  it("refuses an unknown resource at the authorization endpoint: invalid_target", async () => {
    expect(await refusedAtAuthorize(request({ resource: "https://evil.test/mcp" }))).toBe("invalid_target")
    expect(await refusedAtAuthorize(request({ resource: `${RESOURCE}/` }))).toBe("invalid_target")
  })

  it("refuses a request naming no resource: invalid_target", async () => {
    expect(await refusedAtAuthorize(request({ resource: undefined }))).toBe("invalid_target")
  })

  it("refuses a token request for a resource the user did not authorize", async () => {
    const { code, verifier } = await codeFor()
    const other = await exchange(code, verifier, { resource: "https://other.test/mcp" })
    expect(other.body.error).toBe("invalid_target")
    expect(other.body.access_token).toBeUndefined()
  })

  it("refuses client credentials for an unknown resource", async () => {
    const tokens = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: "https://evil.test/mcp" }, {
      authorization: `Basic ${Buffer.from("service:service-secret-0123456789").toString("base64")}`
    })
    expect(tokens.status).toBe(400)
    expect(tokens.body.error).toBe("invalid_target")
  })
})

describe("client ID metadata documents (SSRF guard)", () => {
  it("refuses a client_id URL pointing at a private or loopback address, without fetching it", async () => {
    for (const clientId of ["https://127.0.0.1/client.json", "https://localhost/client.json", "https://169.254.169.254/latest/meta-data", "https://[::1]/c.json", "https://10.0.0.8/c.json"]) {
      const seen = await new Browser().get(authorizeUrl(server, request({ client_id: clientId, redirect_uri: "https://app.test/cb" })))
      expect(seen.status).toBe(400)
      expect(seen.location).toBeUndefined()
      expect(seen.body).toContain("cannot sign in here")
    }
  })
})

describe("dynamic registration (RFC 7591)", () => {
  it("a registration flood is refused with 429 after the limit, and the refused requests get no client", async () => {
    const register = () =>
      fetch(server.url("/register"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:7777/cb"], token_endpoint_auth_method: "none", application_type: "native", client_name: "flood" })
      }).then(async (r) => ({ status: r.status, body: await r.json() as Record<string, unknown> }))
    const results = await Promise.all(Array.from({ length: 8 }, register))
    const created = results.filter((r) => r.status === 201)
    const refused = results.filter((r) => r.status === 429)
    expect(created).toHaveLength(3)
    expect(refused).toHaveLength(5)
    for (const r of refused) {
      expect(r.body.error).toBe("too_many_requests")
      expect(r.body.client_id).toBeUndefined()
    }
    // What was registered works; nothing else exists.
    for (const r of created) expect(typeof r.body.registration_client_uri).toBe("string")
  })

  it("refuses invalid metadata with the RFC 7591 §3.2.2 codes, registering nothing", async () => {
    const fresh = await startAuthorizationServer((issuer) => ({
      ...baseOptions(issuer),
      clients: { ...baseOptions(issuer).clients, dynamicRegistration: { perAddressPerMinute: 100 } }
    }))
    try {
      const send = (body: unknown) =>
        fetch(fresh.url("/register"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
          .then(async (r) => ({ status: r.status, body: await r.json() as Record<string, unknown> }))
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ redirect_uris: ["javascript:alert(1)"], client_name: "x" }, "invalid_redirect_uri"],
        [{ redirect_uris: ["https://app.test/cb#fragment"], client_name: "x" }, "invalid_redirect_uri"],
        [{ redirect_uris: ["https://app.test/cb"], grant_types: ["implicit"], client_name: "x" }, "invalid_client_metadata"],
        [{ redirect_uris: ["https://app.test/cb"], token_endpoint_auth_method: "private_key_jwt", client_name: "x" }, "invalid_client_metadata"],
        [["not", "an", "object"], "invalid_client_metadata"]
      ]
      for (const [body, error] of cases) {
        const result = await send(body)
        expect(result.status).toBe(400)
        expect(result.body.error).toBe(error)
        expect(result.body.client_id).toBeUndefined()
      }
    } finally {
      await fresh.close()
    }
  })
})

describe("protocol abuse", () => {
  it("refuses a repeated parameter (RFC 6749 §3.1)", async () => {
    const url = `${authorizeUrl(server, request())}&scope=a&scope=b`
    const seen = await new Browser().get(url)
    expect(seen.status).toBe(400)
    expect(seen.body).toContain("repeated")
    const token = await postForm(server.url("/token"), { grant_type: ["authorization_code", "refresh_token"], client_id: "public-app" })
    expect(token.body.error).toBe("invalid_request")
  })

  it("refuses response_type=token: unsupported_response_type", async () => {
    expect(await refusedAtAuthorize(request({ response_type: "token" }))).toBe("unsupported_response_type")
  })

  it("refuses an unknown scope: invalid_scope", async () => {
    expect(await refusedAtAuthorize(request({ scope: "files:read root" }))).toBe("invalid_scope")
  })

  it("refuses an unknown client with a page, never a redirect", async () => {
    const seen = await new Browser().get(authorizeUrl(server, request({ client_id: "nobody" })))
    expect(seen.status).toBe(400)
    expect(seen.location).toBeUndefined()
  })

  it("refuses a consent posted from another browser or without the CSRF token", async () => {
    const victim = new Browser()
    const seen = await victim.follow(authorizeUrl(server, request({ scope: "other", resource: "https://other.test/mcp" })), server.issuer)
    const posted = await victim.post(server.url("/login"), {
      interaction: inputValue(seen.body, "interaction")!,
      csrf_token: inputValue(seen.body, "csrf_token")!,
      username: "alice",
      password: "wonderland"
    })
    const consent = await victim.follow(new URL(posted.location!, server.issuer).toString(), server.issuer)
    const interaction = inputValue(consent.body, "interaction")!
    const csrf = inputValue(consent.body, "csrf_token")!
    // Without the CSRF token.
    const forged = await victim.post(server.url("/consent"), { interaction, csrf_token: "guess", decision: "allow" })
    expect(forged.status).toBe(403)
    expect(forged.location).toBeUndefined()
    // From a browser that did not start the request (an attacker's page posting the victim's interaction).
    const attacker = new Browser()
    attacker.cookies.set("emcee_oauth_session", victim.cookies.get("emcee_oauth_session")!)
    const elsewhere = await attacker.post(server.url("/consent"), { interaction, csrf_token: csrf, decision: "allow" })
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.location).toBeUndefined()
  })

  it("refuses a form body that is not form-encoded", async () => {
    const response = await fetch(server.url("/token"), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
    expect(response.status).toBe(400)
    expect(((await response.json()) as Record<string, unknown>).error).toBe("invalid_request")
  })

  it("refuses an oversized body with 413", async () => {
    const response = await fetch(server.url("/token"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=${"x".repeat(70_000)}`
    })
    expect(response.status).toBe(413)
  })

  it("refuses an upstream callback with an unknown state", async () => {
    const seen = await new Browser().get(server.url("/callback/local?code=abc&state=forged"))
    expect([400, 404]).toContain(seen.status)
  })
})

describe("guessing", () => {
  it("throttles password guessing per username (OWASP login throttling) with 429 and Retry-After", async () => {
    const browser = new Browser()
    const page = await browser.follow(authorizeUrl(server, request()), server.origin)
    const form = { interaction: inputValue(page.body, "interaction")!, csrf_token: inputValue(page.body, "csrf_token")! }
    const statuses: Array<number> = []
    for (let i = 0; i < 11; i++) statuses.push((await browser.post(server.url("/login"), { ...form, username: "Mallory", password: `guess-${i}` })).status)
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true)
    const limited = await browser.post(server.url("/login"), { ...form, username: "mallory", password: "wonderland" })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
  })
})

describe("dynamic registration of native apps (RFC 8252)", () => {
  it("takes a client with loopback redirect URIs and no application_type as native, as the SDKs register", async () => {
    const fresh = await startAuthorizationServer((issuer) => ({
      ...baseOptions(issuer),
      clients: { ...baseOptions(issuer).clients, dynamicRegistration: {} }
    }))
    try {
      const response = await fetch(fresh.url("/register"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: ["http://localhost:6274/oauth/callback"], token_endpoint_auth_method: "none", client_name: "SDK", grant_types: ["authorization_code", "refresh_token"] })
      })
      expect(response.status).toBe(201)
      expect(((await response.json()) as Record<string, unknown>).application_type).toBe("native")
      const web = await fetch(fresh.url("/register"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: ["http://localhost:6274/cb"], application_type: "web", client_name: "Web" })
      })
      expect(web.status).toBe(400)
    } finally {
      await fresh.close()
    }
  })
})
