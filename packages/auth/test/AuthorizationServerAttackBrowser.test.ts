/**
 * A hostile review of the authorization server's browser-facing flows
 * (/authorize, /login, /login/:provider, /callback/:provider, /consent,
 * /device, cookies, interactions), against real servers on loopback: the
 * server itself, a Client ID Metadata Document host, and a real upstream
 * OpenID Connect provider (oidc-provider) offered as two upstreams.
 *
 * Each test states the behaviour a secure server must have. Those that
 * guard a defence that holds are regression tests; those that show a
 * weakness fail until it is fixed (listed in the review report).
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Layer, Option, Redacted } from "effect"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type * as AuthorizationServer from "../src/AuthorizationServer.js"
import * as OAuthStore from "../src/OAuthStore.js"
import * as Postgres from "../src/Postgres.js"
import * as Upstream from "../src/Upstream.js"
import {
  authorizeAs,
  authorizeUrl,
  baseOptions,
  Browser,
  inputValue,
  OTHER_RESOURCE,
  pkce,
  postForm,
  RESOURCE,
  type Seen,
  startAuthorizationServer,
  type StartedAuthorizationServer
} from "./support/authorizationServer.js"
import { startOidcProvider, type StartedOidcProvider } from "./support/oidcProvider.js"
import { clientLayer, freePort, startPostgres } from "./support/postgres.js"

const REDIRECT = "http://127.0.0.1:9999/callback"
const SCRIPT = `"><script>alert(1)</script><img src=x onerror=alert(2)>`

/** The usernames `localLogin` was called with (to see what reaches the application's password check). */
const seenUsernames: Array<string> = []

/** Accounts: alice@acme, bob, and a second "alice" subject in another tenant. */
const accounts: AuthorizationServer.Options["localLogin"] = (username, password) =>
  Effect.sync(() => {
    seenUsernames.push(username)
    return username === "alice" && password === "wonderland"
      ? Option.some({ subject: "alice", name: "Alice", roles: ["admin"], tenant: "acme" })
      : username === "bob" && password === "builder"
      ? Option.some({ subject: "bob", name: "Bob" })
      : username === "mallory" && password === "evil"
      ? Option.some({ subject: "alice", name: "Alice (other tenant)", tenant: "evil-corp" })
      : Option.none()
  })

let server: StartedAuthorizationServer
let documents: Server
let documentsOrigin: string
const served = new Map<string, Record<string, unknown>>()

beforeAll(async () => {
  // A Client ID Metadata Document host on loopback (the server is told to allow http and private addresses).
  documents = createServer((request, response) => {
    const document = served.get(request.url ?? "")
    if (document === undefined) return void response.writeHead(404).end()
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document))
  })
  await new Promise<void>((resolve) => documents.listen(0, "127.0.0.1", resolve))
  documentsOrigin = `http://127.0.0.1:${(documents.address() as AddressInfo).port}`
  server = await startAuthorizationServer((issuer) => {
    const options = baseOptions(issuer)
    return {
      ...options,
      localLogin: accounts,
      clients: {
        ...options.clients,
        dynamicRegistration: { perAddressPerMinute: 1000, perMinute: 1000 },
        metadataDocuments: { allowHttp: true, allowPrivateNetworks: true }
      }
    }
  })
}, 30_000)
afterAll(async () => {
  await server?.close()
  await new Promise<void>((resolve) => documents?.close(() => resolve()))
})

const request = (overrides: Readonly<Record<string, string | ReadonlyArray<string> | undefined>> = {}) => ({
  response_type: "code",
  client_id: "public-app",
  redirect_uri: REDIRECT,
  scope: "files:read",
  state: "state-1",
  code_challenge: pkce().challenge,
  code_challenge_method: "S256",
  resource: RESOURCE,
  ...overrides
})

const ALICE = { username: "alice", password: "wonderland" }
const BOB = { username: "bob", password: "builder" }

/** Starts a request in `browser` and returns the login page (and its interaction and CSRF token). */
const loginPage = async (browser: Browser, overrides: Parameters<typeof request>[0] = {}, target = server) => {
  const page = await browser.follow(authorizeUrl(target, request(overrides)), target.origin)
  return { page, interaction: inputValue(page.body, "interaction"), csrf: inputValue(page.body, "csrf_token") }
}

/** Logs in on a login page and follows to the next page (consent, or a redirect out). */
const logIn = async (browser: Browser, login: { readonly interaction: string | undefined; readonly csrf: string | undefined }, account = ALICE, target = server) => {
  const posted = await browser.post(target.url("/login"), {
    interaction: login.interaction!,
    csrf_token: login.csrf!,
    username: account.username,
    password: account.password
  })
  expect(posted.status).toBe(302)
  return browser.follow(new URL(posted.location!, target.origin).toString(), target.origin)
}

/** Redeems a code for public-app with the default verifier; the access token's claims. */
const redeem = async (code: string, target = server, clientId = "public-app") => {
  const tokens = await postForm(target.url("/token"), {
    grant_type: "authorization_code",
    code,
    code_verifier: pkce().verifier,
    client_id: clientId,
    redirect_uri: REDIRECT
  })
  expect(tokens.status).toBe(200)
  return jose.decodeJwt(tokens.body.access_token as string)
}

const expectPageHeaders = (seen: Seen) => {
  expect(seen.headers.get("x-frame-options")).toBe("DENY")
  expect(seen.headers.get("content-security-policy")).toContain("frame-ancestors 'none'")
  expect(seen.headers.get("content-security-policy")).toContain("default-src 'none'")
  expect(seen.headers.get("cache-control")).toContain("no-store")
  expect(seen.headers.get("content-type")).toContain("text/html")
}

/** A dynamic client registered with hostile metadata. */
const registerHostile = async (name: string, redirectUris: ReadonlyArray<string> = [REDIRECT]) => {
  const response = await fetch(server.url("/register"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: name, redirect_uris: redirectUris, token_endpoint_auth_method: "none", grant_types: ["authorization_code"], application_type: "native" })
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as Record<string, unknown>).client_id as string
}

// ---------------------------------------------------------------------------
describe("reflected input (OWASP XSS rules #1, #2)", () => {
  it("escapes a hostile client_name on the login and consent pages of a dynamic client", async () => {
    const clientId = await registerHostile(`Evil ${SCRIPT}`)
    const browser = new Browser()
    const login = await loginPage(browser, { client_id: clientId })
    expect(login.page.status).toBe(200)
    expect(login.page.body).not.toMatch(/<script|<img/i)
    expect(login.page.body).toContain("&lt;script&gt;")
    const consent = await logIn(browser, login)
    expect(consent.url).toContain("/consent")
    expect(consent.body).not.toMatch(/<script|<img/i)
    expect(consent.body).toContain("Registered dynamically")
    expectPageHeaders(consent)
  })

  it("escapes a hostile client_id in the unknown-client page and never redirects", async () => {
    const seen = await new Browser().get(authorizeUrl(server, request({ client_id: SCRIPT })))
    expect(seen.status).toBe(400)
    expect(seen.location).toBeUndefined()
    expect(seen.body).not.toMatch(/<script|<img/i)
    expectPageHeaders(seen)
  })

  it("escapes a hostile user_code on the device page (RFC 8628 §3.3.1 verification_uri_complete)", async () => {
    const browser = new Browser()
    await logIn(browser, await loginPage(browser))
    const seen = await browser.get(server.url(`/device?user_code=${encodeURIComponent(SCRIPT)}`))
    expect(seen.status).toBe(200)
    expect(seen.body).not.toMatch(/<script|<img/i)
    expect(seen.body).toContain("&quot;&gt;&lt;script&gt;")
    expectPageHeaders(seen)
  })

  it("escapes a hostile username echoed after a failed login", async () => {
    const browser = new Browser()
    const login = await loginPage(browser)
    const failed = await browser.post(server.url("/login"), { interaction: login.interaction!, csrf_token: login.csrf!, username: SCRIPT, password: "x" })
    expect(failed.status).toBe(401)
    expect(failed.body).not.toMatch(/<script|<img/i)
    expectPageHeaders(failed)
  })

  it("sends state back only inside the redirect URI, percent-encoded (RFC 6749 §4.1.2)", async () => {
    const url = await authorizeAs(server, new Browser(), request({ state: SCRIPT }))
    expect(url.origin + url.pathname).toBe(REDIRECT)
    expect(url.searchParams.get("state")).toBe(SCRIPT)
    expect(url.search).not.toContain("<")
  })
})

// ---------------------------------------------------------------------------
describe("clickjacking and caching (RFC 6749 §10.13)", () => {
  it("every page (login, consent, device entry, errors) forbids framing and caching", async () => {
    const browser = new Browser()
    const login = await loginPage(browser, { scope: "files:write" })
    expectPageHeaders(login.page)
    const consent = await logIn(browser, login)
    expect(consent.url).toContain("/consent")
    expectPageHeaders(consent)
    expectPageHeaders(await browser.get(server.url("/device")))
    expectPageHeaders(await browser.get(server.url("/login?interaction=nothing")))
    expectPageHeaders(await browser.get(server.url("/consent?interaction=nothing")))
  })
})

// ---------------------------------------------------------------------------
describe("cookies (RFC 6265 §4.1)", () => {
  it("the browser and session cookies are HttpOnly and SameSite=Lax, and a login issues a fresh session id", async () => {
    const browser = new Browser()
    const first = await browser.get(authorizeUrl(server, request()))
    const browserCookie = first.headers.getSetCookie().find((c) => c.startsWith("emcee_oauth_browser="))!
    expect(browserCookie).toMatch(/HttpOnly/)
    expect(browserCookie).toMatch(/SameSite=Lax/)
    const login = await browser.follow(new URL(first.location!, server.origin).toString(), server.origin)
    const posted = await browser.post(server.url("/login"), {
      interaction: inputValue(login.body, "interaction")!,
      csrf_token: inputValue(login.body, "csrf_token")!,
      ...ALICE
    })
    const session = posted.headers.getSetCookie().find((c) => c.startsWith("emcee_oauth_session="))!
    expect(session).toMatch(/HttpOnly/)
    expect(session).toMatch(/SameSite=Lax/)
    expect(session).toMatch(/Max-Age=\d+/)
    // Session fixation: a planted session id is never adopted; the login sets a new one.
    const planted = new Browser()
    planted.cookies.set("emcee_oauth_session", "A".repeat(43))
    const again = await loginPage(planted)
    await planted.post(server.url("/login"), { interaction: again.interaction!, csrf_token: again.csrf!, ...ALICE })
    expect(planted.cookies.get("emcee_oauth_session")).not.toBe("A".repeat(43))
  })
})

// ---------------------------------------------------------------------------
describe("login CSRF and session binding", () => {
  it("refuses a login posted from a browser other than the one that started the request (login CSRF)", async () => {
    // The attacker starts a request in their own browser and makes the victim's browser post their credentials.
    const attacker = new Browser()
    const login = await loginPage(attacker)
    const victim = new Browser()
    await victim.get(authorizeUrl(server, request()))
    const forged = await victim.post(server.url("/login"), { interaction: login.interaction!, csrf_token: login.csrf!, username: "bob", password: "builder" })
    expect(forged.status).toBe(403)
    expect(victim.cookies.has("emcee_oauth_session")).toBe(false)
    // Without the CSRF token, even in the right browser.
    const noCsrf = await attacker.post(server.url("/login"), { interaction: login.interaction!, csrf_token: "guess", ...ALICE })
    expect(noCsrf.status).toBe(403)
  })

  it("refuses a consent posted with the CSRF token of another interaction of the same browser", async () => {
    const browser = new Browser()
    const first = await logIn(browser, await loginPage(browser, { scope: "files:write", state: "one" }))
    expect(first.url).toContain("/consent")
    const second = await browser.follow(authorizeUrl(server, request({ scope: "files:write", state: "two", prompt: "consent" })), server.origin)
    expect(second.url).toContain("/consent")
    const forged = await browser.post(server.url("/consent"), {
      interaction: inputValue(second.body, "interaction")!,
      csrf_token: inputValue(first.body, "csrf_token")!,
      decision: "allow"
    })
    expect(forged.status).toBe(403)
    expect(forged.location).toBeUndefined()
  })

  it("refuses to show another browser's interaction on the consent page", async () => {
    const victim = new Browser()
    const consent = await logIn(victim, await loginPage(victim, { scope: "files:write" }))
    const attacker = new Browser()
    await logIn(attacker, await loginPage(attacker))
    const seen = await attacker.get(server.url(`/consent?interaction=${inputValue(consent.body, "interaction")}`))
    expect(seen.status).toBe(403)
    expect(seen.location).toBeUndefined()
  })

  it("answers a consent decision once: two concurrent Allows yield one code", async () => {
    const browser = new Browser()
    const consent = await logIn(browser, await loginPage(browser, { scope: "files:write", prompt: "consent" }))
    const form = { interaction: inputValue(consent.body, "interaction")!, csrf_token: inputValue(consent.body, "csrf_token")!, decision: "allow" }
    const answers = await Promise.all(Array.from({ length: 5 }, () => browser.post(server.url("/consent"), form)))
    expect(answers.filter((a) => a.location?.includes("code=")).length).toBe(1)
  })

  it("issues the code for the user the consent page named, not for whoever signed in since (consent TOCTOU)", async () => {
    // The consent page says "Signed in as Alice"; in another tab of the same browser Bob signs in; Alice's page is then submitted.
    const browser = new Browser()
    const consent = await logIn(browser, await loginPage(browser, { scope: "files:write", prompt: "consent", state: "alice-tab" }))
    expect(consent.body).toContain("Alice")
    const bobTab = await loginPage(browser, { prompt: "login", state: "bob-tab" })
    await logIn(browser, bobTab, BOB)
    const answered = await browser.post(server.url("/consent"), {
      interaction: inputValue(consent.body, "interaction")!,
      csrf_token: inputValue(consent.body, "csrf_token")!,
      decision: "allow"
    })
    const code = answered.location === undefined ? null : new URL(answered.location).searchParams.get("code")
    // Either refused (the session changed under the page), or a code for the user the page showed.
    if (code !== null) expect((await redeem(code)).sub).toBe("alice")
  })
})

// ---------------------------------------------------------------------------
describe("consent (spec security_best_practices: confused deputy)", () => {
  it("remembered consent does not carry over to another user, another tenant of the same subject, or another client", async () => {
    const alice = new Browser()
    const first = await authorizeAs(server, alice, request({ scope: "files:write", state: "a" }))
    expect(first.searchParams.get("code")).not.toBeNull()
    // Alice again: silent (remembered).
    const silent = await alice.follow(authorizeUrl(server, request({ scope: "files:write", state: "b" })), server.origin)
    expect(silent.location).toContain("code=")
    // Same subject "alice" in another tenant: asked again.
    const mallory = new Browser()
    const other = await logIn(mallory, await loginPage(mallory, { scope: "files:write" }), { username: "mallory", password: "evil" })
    expect(other.url).toContain("/consent")
    // Another client, same user and browser: asked again.
    const second = await alice.follow(authorizeUrl(server, request({ client_id: "second-app", redirect_uri: "http://127.0.0.1:9998/callback", scope: "files:write" })), server.origin)
    expect(second.url).toContain("/consent")
    // A wider request (another resource) from the remembered client: asked again.
    const wider = await alice.follow(authorizeUrl(server, request({ scope: "files:write other", resource: [RESOURCE, OTHER_RESOURCE] })), server.origin)
    expect(wider.url).toContain("/consent")
  })

  it("prompt=consent shows the screen even with remembered consent", async () => {
    const browser = new Browser()
    await authorizeAs(server, browser, request({ scope: "files:write" }))
    const forced = await browser.follow(authorizeUrl(server, request({ scope: "files:write", prompt: "consent" })), server.origin)
    expect(forced.url).toContain("/consent")
    expect(forced.status).toBe(200)
  })

  it("prompt=login cannot be skipped by opening the consent URL directly (OIDC Core §3.1.2.1)", async () => {
    const browser = new Browser()
    await authorizeAs(server, browser, request({ scope: "files:write" }))
    const reauth = await browser.get(authorizeUrl(server, request({ scope: "files:write", prompt: "login" })))
    expect(reauth.location).toContain("/login?interaction=")
    const id = new URL(reauth.location!, server.origin).searchParams.get("interaction")!
    // Skip the login page: go straight to the consent URL of the same interaction.
    const skipped = await browser.get(server.url(`/consent?interaction=${id}`))
    // Expected: sent back to the login page (the client asked for a fresh sign-in), no code.
    expect(skipped.location ?? "").not.toContain("code=")
    expect(skipped.status).toBe(302)
    expect(skipped.location).toMatch(/\/login\?interaction=/)
  })

  it("shows the redirect URI's host on the consent page of a metadata-document client (spec security-considerations: Localhost Redirect URI Risks, MUST)", async () => {
    const path = "/clients/impostor.json"
    const clientId = `${documentsOrigin}${path}`
    served.set(path, { client_id: clientId, client_name: "Claude Desktop", redirect_uris: ["http://localhost:47123/callback"], token_endpoint_auth_method: "none" })
    const browser = new Browser()
    const login = await loginPage(browser, { client_id: clientId, redirect_uri: "http://localhost:47123/callback" })
    expect(login.page.status).toBe(200)
    const consent = await logIn(browser, login)
    expect(consent.url).toContain("/consent")
    expect(consent.body).toContain("localhost")
  })
})

// ---------------------------------------------------------------------------
describe("redirects (OAuth 2.1 §4.1.1 exact match, §7.12.2 open redirection)", () => {
  it.each([
    ["another host", "http://evil.test/callback"],
    ["a longer path", `${REDIRECT}/../../evil`],
    ["a query added", `${REDIRECT}?next=http://evil.test`],
    ["a fragment", `${REDIRECT}#x`],
    ["userinfo", "http://127.0.0.1:9999@evil.test/callback"],
    ["https in place of the private-use scheme", "https://com.example.app/oauth"],
    ["a backslash", "http://127.0.0.1:9999\\@evil.test/callback"],
    ["javascript:", "javascript:alert(1)//"]
  ])("shows a page, never redirects, for a redirect URI with %s", async (_, redirectUri) => {
    const seen = await new Browser().get(authorizeUrl(server, request({ redirect_uri: redirectUri })))
    expect(seen.status).toBe(400)
    expect(seen.location).toBeUndefined()
  })

  it("never redirects an error for an unregistered redirect URI, even with other errors in the request", async () => {
    const seen = await new Browser().get(authorizeUrl(server, request({ redirect_uri: "http://evil.test/cb", response_type: "token", code_challenge: undefined })))
    expect(seen.status).toBe(400)
    expect(seen.location).toBeUndefined()
  })

  it("sends errors back with state and iss (RFC 9207 §2), and refuses PKCE downgrades", async () => {
    for (const overrides of [{ code_challenge_method: "plain" }, { code_challenge_method: undefined }, { code_challenge: "short" }, { response_type: "token" }]) {
      const seen = await new Browser().get(authorizeUrl(server, request({ ...overrides, state: "xyz" })))
      expect(seen.status).toBe(302)
      const url = new URL(seen.location!)
      expect(url.origin + url.pathname).toBe(REDIRECT)
      expect(url.searchParams.get("error")).toMatch(/invalid_request|unsupported_response_type/)
      expect(url.searchParams.get("state")).toBe("xyz")
      expect(url.searchParams.get("iss")).toBe(server.issuer)
      expect(url.searchParams.get("code")).toBeNull()
    }
  })
})

// ---------------------------------------------------------------------------
describe("resources (RFC 8707 §2: exact comparison)", () => {
  it.each([
    ["a trailing slash", `${RESOURCE}/`],
    ["an upper-case host", "https://MCP.TEST/mcp"],
    ["a default port", "https://mcp.test:443/mcp"],
    ["a query", `${RESOURCE}?x=1`],
    ["a prefix", "https://mcp.test/mc"],
    ["a fragment", `${RESOURCE}#f`]
  ])("refuses a resource differing by %s: invalid_target", async (_, resource) => {
    const seen = await new Browser().get(authorizeUrl(server, request({ resource })))
    expect(new URL(seen.location!).searchParams.get("error")).toBe("invalid_target")
  })

  it("refuses a scope of another resource than the one asked for: invalid_scope", async () => {
    const seen = await new Browser().get(authorizeUrl(server, request({ scope: "other" })))
    expect(new URL(seen.location!).searchParams.get("error")).toBe("invalid_scope")
  })

  it("a token narrowed to one of two authorized resources carries only that resource's scopes (RFC 8707 §2.2)", async () => {
    const url = await authorizeAs(server, new Browser(), request({ scope: "files:write other", resource: [RESOURCE, OTHER_RESOURCE], prompt: "consent" }))
    const tokens = await postForm(server.url("/token"), {
      grant_type: "authorization_code",
      code: url.searchParams.get("code")!,
      code_verifier: pkce().verifier,
      client_id: "public-app",
      resource: OTHER_RESOURCE
    })
    expect(tokens.status).toBe(200)
    const claims = jose.decodeJwt(tokens.body.access_token as string)
    expect(claims.aud).toBe(OTHER_RESOURCE)
    // files:write means nothing to OTHER_RESOURCE: a token for it should not carry it.
    expect(String(claims.scope).split(" ")).not.toContain("files:write")
  })
})

// ---------------------------------------------------------------------------
describe("malformed and huge input", () => {
  const raw = (query: string) => fetch(server.url(`/authorize?${query}`), { redirect: "manual" })
  const base = new URLSearchParams(request() as Record<string, string>).toString()

  it.each([
    ["invalid UTF-8 percent-encoding", `${base}&state=%FF%FE%C0%80`],
    ["a NUL byte in client_id", base.replace("client_id=public-app", "client_id=public%00app")],
    ["a NUL byte in state", `${base.replace("state=state-1", "state=a%00b")}`],
    ["a lone percent", `${base}&x=%`],
    ["a repeated client_id", `${base}&client_id=second-app`],
    ["a repeated redirect_uri", `${base}&redirect_uri=http%3A%2F%2Fevil.test%2F`],
    ["a 2049-character state", base.replace("state=state-1", `state=${"s".repeat(2049)}`)],
    ["ten thousand resources", `${base}${"&resource=https%3A%2F%2Fmcp.test%2Fmcp".repeat(300)}`],
    ["a huge scope", base.replace("scope=files%3Aread", `scope=${"files%3Aread+".repeat(1000)}`)]
  ])("answers %s without a server error or a redirect elsewhere", async (_, query) => {
    const response = await raw(query)
    expect(response.status).toBeLessThan(500)
    const location = response.headers.get("location")
    if (location !== null && !location.startsWith("/")) expect(location.startsWith(`${REDIRECT}?`)).toBe(true)
  })

  it("keeps a NUL byte in state from becoming a store failure on PostgreSQL (jsonb refuses \\u0000)", async () => {
    const pg = await startPostgres()
    const own = await startAuthorizationServer(baseOptions, Postgres.oauthStore.pipe(Layer.provide(clientLayer(pg.url))))
    try {
      const response = await fetch(own.url(`/authorize?${base.replace("state=state-1", "state=a%00b")}`), { redirect: "manual" })
      // A clear answer: refused back to the client (invalid_request) or accepted; never 503 "temporarily unavailable".
      expect(response.status).not.toBe(503)
      expect(response.status).toBe(302)
    } finally {
      await own.close()
      await pg.stop()
    }
  }, 60_000)

  it("answers malformed interaction ids and cookies on every page without a server error", async () => {
    const browser = new Browser()
    browser.cookies.set("emcee_oauth_browser", "%00%FF")
    browser.cookies.set("emcee_oauth_session", "x".repeat(4000))
    for (const path of ["/login?interaction=%FF", `/login?interaction=${"a".repeat(5000)}`, "/consent?interaction=%00", "/device?user_code=%FF%FE", "/login/nobody?interaction=x", "/callback/nobody?state=x"]) {
      const seen = await browser.get(server.url(path))
      expect(seen.status, path).toBeLessThan(500)
    }
    const posted = await browser.post(server.url("/consent"), { interaction: "\u0000", csrf_token: "\uFFFF", decision: "allow" })
    expect(posted.status).toBeLessThan(500)
  })

  it("refuses an overlong username before the application's password check sees it (memory per failed login)", async () => {
    // Failed logins are counted per username: a 60 KB username a request, 10 000 keys kept, is ~600 MB held.
    const browser = new Browser()
    const login = await loginPage(browser)
    const before = seenUsernames.length
    const username = `u${"x".repeat(60_000)}`
    const posted = await browser.post(server.url("/login"), { interaction: login.interaction!, csrf_token: login.csrf!, username, password: "x" })
    expect(posted.status).toBe(400)
    expect(seenUsernames.slice(before).some((u) => u.length > 1024)).toBe(false)
  })
})

// ---------------------------------------------------------------------------
describe("denial of service", () => {
  it("limits the interactions anonymous GET /authorize requests create (each is stored for 10 minutes)", async () => {
    const own = await startAuthorizationServer()
    try {
      const url = authorizeUrl(own, request())
      const statuses: Array<number> = []
      for (let batch = 0; batch < 20; batch++) {
        const responses = await Promise.all(Array.from({ length: 25 }, () => fetch(url, { redirect: "manual" })))
        statuses.push(...responses.map((r) => r.status))
      }
      // 500 fresh interactions from one address in about a second: a limit should have answered 429 by now.
      expect(statuses).toContain(429)
    } finally {
      await own.close()
    }
  }, 30_000)

  it("limits device user-code guesses per user, not per session (RFC 8628 §5.1): a new login gets no new budget", async () => {
    const own = await startAuthorizationServer()
    try {
      const guessAll = async () => {
        const browser = new Browser()
        const entry = await browser.follow(own.url("/device"), own.origin)
        const after = await logIn(browser, { interaction: inputValue(entry.body, "interaction"), csrf: inputValue(entry.body, "csrf_token") }, ALICE, own)
        const csrf = inputValue(after.body, "csrf_token")!
        const statuses: Array<number> = []
        for (let i = 0; i < 21; i++) statuses.push((await browser.post(own.url("/device"), { csrf_token: csrf, user_code: "BBBB-BBBB" })).status)
        return statuses
      }
      const first = await guessAll()
      expect(first.slice(0, 20).every((s) => s === 400)).toBe(true)
      expect(first[20]).toBe(429)
      // The same user signs in again (a new session): the guesses should still be limited.
      const second = await guessAll()
      expect(second[0]).toBe(429)
    } finally {
      await own.close()
    }
  }, 30_000)
})

// ---------------------------------------------------------------------------
describe("interactions expire", () => {
  it("an expired authorization request can no longer be logged in or consented to", async () => {
    const own = await startAuthorizationServer((issuer) => ({ ...baseOptions(issuer), lifetimes: { interaction: "1 second" } }))
    try {
      const browser = new Browser()
      const login = await loginPage(browser, {}, own)
      expect(login.page.status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      const posted = await browser.post(own.url("/login"), { interaction: login.interaction!, csrf_token: login.csrf!, ...ALICE })
      expect(posted.status).toBe(400)
      expect(posted.location).toBeUndefined()
      expect(posted.body).toContain("expired")
    } finally {
      await own.close()
    }
  })
})

// ---------------------------------------------------------------------------
describe("device flow in a browser (RFC 8628 §3.3)", () => {
  it("approves when the user submits the device consent page's own form", async () => {
    const started = await postForm(server.url("/device_authorization"), { client_id: "public-app", resource: RESOURCE, scope: "files:read" })
    const { user_code, verification_uri_complete } = started.body as Record<string, string>
    const browser = new Browser()
    const entry = await browser.follow(verification_uri_complete!, server.origin)
    const codePage = await logIn(browser, { interaction: inputValue(entry.body, "interaction"), csrf: inputValue(entry.body, "csrf_token") })
    expect(codePage.body).toContain(user_code)
    // Submit the entry form as it is (the code pre-filled), then the consent form as it is, with Allow.
    const consent = await browser.post(server.url("/device"), { csrf_token: inputValue(codePage.body, "csrf_token")!, user_code: inputValue(codePage.body, "user_code")! })
    expect(consent.status).toBe(200)
    const form = /<form[^>]*>([\s\S]*?)<\/form>/.exec(consent.body)![1]!
    const fields = Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&")]))
    const approved = await browser.post(server.url("/device"), { ...fields, decision: "allow" })
    expect(approved.status).toBe(200)
    expect(approved.body).toContain("Device connected")
  })

  it("refuses a device decision without the session's CSRF token, or without a session", async () => {
    const started = await postForm(server.url("/device_authorization"), { client_id: "public-app", resource: RESOURCE, scope: "files:read" })
    const { user_code } = started.body as Record<string, string>
    const browser = new Browser()
    await logIn(browser, await loginPage(browser))
    const forged = await browser.post(server.url("/device"), { csrf_token: "guess", user_code: user_code!, decision: "allow" })
    expect(forged.status).toBe(403)
    const anonymous = await new Browser().post(server.url("/device"), { csrf_token: "guess", user_code: user_code!, decision: "allow" })
    expect(anonymous.status).toBe(302)
    expect(anonymous.location).toContain("/login?interaction=")
  })
})

// ---------------------------------------------------------------------------
describe("upstream logins: mix-up, replay and login CSRF (RFC 9207, RFC 6749 §10.12)", () => {
  let op: StartedOidcProvider
  let federated: StartedAuthorizationServer

  beforeAll(async () => {
    const issuer = `http://127.0.0.1:${await freePort()}`
    // One real provider offered as two upstreams, "a" and "b", each with its own callback.
    op = await startOidcProvider({ redirectUris: [`${issuer}/callback/a`, `${issuer}/callback/b`] })
    const upstream = (name: string) =>
      Upstream.oidc({
        name,
        label: `Sign in with ${name.toUpperCase()}`,
        issuer: op.issuer,
        clientId: op.clientId,
        clientSecret: Redacted.make(op.clientSecret),
        scopes: ["openid", "profile", "email"],
        allowInsecureHttp: true
      })
    federated = await startAuthorizationServer((i) => {
      const { localLogin: _, ...options } = baseOptions(i)
      return { ...options, upstreams: [upstream("a"), upstream("b")] }
    }, OAuthStore.memory, issuer)
  }, 60_000)
  afterAll(async () => {
    await federated?.close()
    await op?.close()
  })

  /** Starts an upstream login with provider `name` in `browser`; the provider's callback URL for the user. */
  const upstreamCallback = async (browser: Browser, name: string, username = "alice") => {
    const login = await browser.follow(authorizeUrl(federated, request()), federated.origin)
    const link = new RegExp(`href="([^"]*/login/${name}\\?[^"]*)"`).exec(login.body)![1]!.replace(/&amp;/g, "&")
    const toUpstream = await browser.get(federated.url(link))
    expect(toUpstream.status).toBe(302)
    return op.login(toUpstream.location!, username)
  }

  it("refuses the callback of provider a delivered to provider b's callback (mix-up)", async () => {
    const browser = new Browser()
    const callback = await upstreamCallback(browser, "a")
    const mixed = await browser.get(federated.url(`/callback/b${callback.search}`))
    expect(mixed.status).toBe(403)
    expect(browser.cookies.has("emcee_oauth_session")).toBe(false)
  })

  it("refuses a callback with a forged iss (RFC 9207 §2.4)", async () => {
    const browser = new Browser()
    const callback = await upstreamCallback(browser, "a")
    callback.searchParams.set("iss", "https://evil.test")
    const forged = await browser.get(federated.url(`/callback/a${callback.search}`))
    expect(forged.status).toBe(400)
    expect(forged.body).toMatch(/issuer/)
    expect(browser.cookies.has("emcee_oauth_session")).toBe(false)
  })

  it("refuses an attacker's upstream callback opened in the victim's browser (login CSRF)", async () => {
    const attacker = new Browser()
    const callback = await upstreamCallback(attacker, "a", "mallory")
    const victim = new Browser()
    await victim.get(authorizeUrl(federated, request()))
    const planted = await victim.get(federated.url(`/callback/a${callback.search}`))
    expect(planted.status).toBe(403)
    expect(victim.cookies.has("emcee_oauth_session")).toBe(false)
  })

  it("refuses a replayed callback, and starting a provider login from another browser's interaction", async () => {
    const browser = new Browser()
    const callback = await upstreamCallback(browser, "b")
    const first = await browser.follow(federated.url(`/callback/b${callback.search}`), federated.origin)
    expect(first.url).toContain("/consent")
    const replay = await new Browser().get(federated.url(`/callback/b${callback.search}`))
    expect(replay.status).toBe(400)
    const again = await browser.get(federated.url(`/callback/b${callback.search}`))
    expect(again.status).toBe(400)
    // Another browser cannot start the upstream login of this browser's interaction.
    const login = await new Browser().follow(authorizeUrl(federated, request()), federated.origin)
    const link = /href="([^"]*\/login\/a\?[^"]*)"/.exec(login.body)![1]!.replace(/&amp;/g, "&")
    const stranger = await new Browser().get(federated.url(link))
    expect(stranger.status).toBe(403)
  })

  it("keeps the subjects of two upstreams apart (provider-prefixed)", async () => {
    const viaA = new Browser()
    const a = await viaA.follow(federated.url(`/callback/a${(await upstreamCallback(viaA, "a", "carol")).search}`), federated.origin)
    const viaB = new Browser()
    const b = await viaB.follow(federated.url(`/callback/b${(await upstreamCallback(viaB, "b", "carol")).search}`), federated.origin)
    expect(a.body).toContain("a:carol")
    expect(b.body).toContain("b:carol")
  })
})
