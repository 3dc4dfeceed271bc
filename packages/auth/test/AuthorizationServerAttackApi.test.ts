/**
 * A hostile review of the authorization server's machine-facing endpoints
 * (/token, /revoke, /introspect, /device_authorization, /register, Client ID
 * Metadata Documents, client authentication, the access tokens), each
 * attack run against real servers on loopback and, for races across
 * replicas, a real PostgreSQL. Tests state the correct behaviour: a failing
 * one is a weakness still open (see the review report).
 */
import { createServer, request as httpRequest, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Exit, Layer } from "effect"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as OAuthClients from "../src/OAuthClients.js"
import * as OAuthStore from "../src/OAuthStore.js"
import * as Postgres from "../src/Postgres.js"
import {
  authorizeAs,
  basic,
  baseOptions,
  Browser,
  inputValue,
  OTHER_RESOURCE,
  pkce,
  postForm,
  RESOURCE,
  startAuthorizationServer,
  type StartedAuthorizationServer
} from "./support/authorizationServer.js"
import { clientLayer, type StartedPostgres, startPostgres } from "./support/postgres.js"

const REDIRECT = "http://127.0.0.1:9999/callback"
const DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
const SERVICE = basic("service", "service-secret-0123456789")
const RS = basic("resource-server", "resource-server-secret-0123456789")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// --- Fault injection: the real memory store, with operations made to fail on demand -------------
const failing = new Set<string>()
/** Operations made slow (milliseconds), as a loaded database would be. */
const slow = new Map<string, number>()
const faultyStore: Layer.Layer<OAuthStore.OAuthStore> = Layer.effect(
  OAuthStore.OAuthStore,
  Effect.map(OAuthStore.makeMemory, (inner) => {
    const injected = (operation: string) => new OAuthStore.OAuthStoreError({ operation, description: "injected failure" })
    const wrapped: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(inner)) {
      wrapped[name] = typeof value === "function"
        ? (...args: Array<unknown>) =>
          Effect.suspend(() =>
            failing.has(name)
              ? Effect.fail(injected(name))
              : Effect.zipRight(Effect.sleep(slow.get(name) ?? 0), (value as (...a: Array<unknown>) => Effect.Effect<unknown>)(...args))
          )
        : Effect.suspend(() => failing.has(name) ? Effect.fail(injected(name)) : value as Effect.Effect<unknown>)
    }
    return wrapped as unknown as OAuthStore.Service
  })
)

// --- A small HTTP server for Client ID Metadata Documents -----------------------------------
interface DocServer {
  readonly base: string
  readonly hits: Map<string, number>
  route: (path: string) => ((res: import("node:http").ServerResponse) => void) | undefined
  readonly close: () => Promise<void>
}
const startDocServer = async (): Promise<DocServer> => {
  const hits = new Map<string, number>()
  const state: { route: DocServer["route"] } = { route: () => undefined }
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/"
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const handler = state.route(path)
    if (handler === undefined) {
      res.writeHead(404).end()
      return
    }
    handler(res)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    get route() {
      return state.route
    },
    set route(value) {
      state.route = value
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
const jsonDoc = (body: unknown, headers: Record<string, string> = {}) => (res: import("node:http").ServerResponse) =>
  res.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))

// --- Servers -------------------------------------------------------------------------------
let server: StartedAuthorizationServer // memory store, dynamic registration on, short grace
let other: StartedAuthorizationServer // another issuer with the same resources
let short: StartedAuthorizationServer // 1 s access tokens, 100 ms client secrets
let faulty: StartedAuthorizationServer // fault-injecting store
let cimd: StartedAuthorizationServer // metadata documents over http from loopback (to test the fetcher's other guards)
let cimdGuarded: StartedAuthorizationServer // metadata documents over http, SSRF guard on
let docs: DocServer

beforeAll(async () => {
  docs = await startDocServer()
  ;[server, other, short, faulty, cimd, cimdGuarded] = await Promise.all([
    startAuthorizationServer((issuer) => ({
      ...baseOptions(issuer),
      refreshGrace: "300 millis",
      clients: { ...baseOptions(issuer).clients, dynamicRegistration: { perAddressPerMinute: 100 } }
    })),
    startAuthorizationServer(),
    startAuthorizationServer((issuer) => ({
      ...baseOptions(issuer),
      lifetimes: { accessToken: "1 second" },
      clients: { ...baseOptions(issuer).clients, dynamicRegistration: { perAddressPerMinute: 100, secretTtl: "100 millis" } }
    })),
    startAuthorizationServer(baseOptions, faultyStore),
    startAuthorizationServer((issuer) => ({
      ...baseOptions(issuer),
      clients: {
        ...baseOptions(issuer).clients,
        metadataDocuments: { allowHttp: true, allowPrivateNetworks: true, timeout: "500 millis", failureCacheTtl: "1 millis", minCacheTtl: "0 millis" }
      }
    })),
    startAuthorizationServer((issuer) => ({
      ...baseOptions(issuer),
      clients: { ...baseOptions(issuer).clients, metadataDocuments: { allowHttp: true } }
    }))
  ])
}, 60_000)
afterAll(async () => {
  await Promise.all([server, other, short, faulty, cimd, cimdGuarded].map((s) => s?.close()))
  await docs?.close()
})

// --- Helpers ---------------------------------------------------------------------------------
const verifyAt = (s: StartedAuthorizationServer, accessToken: string, resource = RESOURCE) =>
  Effect.runPromiseExit(s.service.authenticator(resource).verify(accessToken))

const codeOn = async (s: StartedAuthorizationServer, scope = "files:read", clientId = "public-app", redirect = REDIRECT) => {
  const { challenge, verifier } = pkce()
  const back = await authorizeAs(s, new Browser(), {
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirect,
    scope,
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: RESOURCE
  })
  const code = back.searchParams.get("code")
  if (code === null) throw new Error(`no code: ${back.toString()}`)
  return { code, verifier }
}

const exchangeOn = (s: StartedAuthorizationServer, code: string, verifier: string, extra: Readonly<Record<string, string>> = {}, headers: Record<string, string> = {}) =>
  postForm(s.url("/token"), { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: "public-app", code_verifier: verifier, ...extra }, headers)

const tokensOn = async (s: StartedAuthorizationServer, scope = "files:read") => {
  const { code, verifier } = await codeOn(s, scope)
  const tokens = await exchangeOn(s, code, verifier)
  expect(tokens.status).toBe(200)
  return tokens.body as Record<string, string>
}

const refreshOn = (s: StartedAuthorizationServer, refreshToken: string, clientId = "public-app", extra: Readonly<Record<string, string>> = {}) =>
  postForm(s.url("/token"), { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, ...extra })

const register = (s: StartedAuthorizationServer, body: unknown) =>
  fetch(s.url("/register"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    headers: r.headers,
    body: (await r.json()) as Record<string, string>
  }))

const manage = (s: StartedAuthorizationServer, method: "GET" | "PUT" | "DELETE", clientId: string, token: string | undefined, body?: unknown) =>
  fetch(s.url(`/register/${encodeURIComponent(clientId)}`), {
    method,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  }).then(async (r) => {
    const text = await r.text()
    return { status: r.status, body: (text === "" ? {} : JSON.parse(text)) as Record<string, string> }
  })

/** The device flow up to the user's approval; returns the device code. */
const approvedDevice = async (s: StartedAuthorizationServer) => {
  const started = await postForm(s.url("/device_authorization"), { client_id: "public-app", resource: RESOURCE, scope: "files:read" })
  expect(started.status).toBe(200)
  const { device_code, user_code, verification_uri_complete } = started.body as Record<string, string>
  const browser = new Browser()
  const login = await browser.follow(verification_uri_complete!.replace(s.issuer, s.origin), s.origin)
  const posted = await browser.post(s.url("/login"), {
    interaction: inputValue(login.body, "interaction")!,
    csrf_token: inputValue(login.body, "csrf_token")!,
    username: "alice",
    password: "wonderland"
  })
  const entry = await browser.follow(new URL(posted.location!, s.origin).toString(), s.origin)
  const csrf = inputValue(entry.body, "csrf_token")!
  const approved = await browser.post(s.url("/device"), { csrf_token: csrf, user_code: user_code!, decision: "allow" })
  expect(approved.status).toBe(200)
  return device_code!
}
const pollOn = (s: StartedAuthorizationServer, deviceCode: string, clientId = "public-app") =>
  postForm(s.url("/token"), { grant_type: DEVICE, device_code: deviceCode, client_id: clientId })

/** An OAuthClients service on the server's own store: the code the RFC 7592 endpoints run, reached directly. */
const managerOn = (s: StartedAuthorizationServer) =>
  OAuthClients.make({ registrationEndpoint: s.url("/register"), dynamicRegistration: {} }).pipe(Effect.provideService(OAuthStore.OAuthStore, s.store))

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const jwksOf = async (s: StartedAuthorizationServer) => ((await (await fetch(s.url("/jwks.json"))).json()) as { keys: Array<jose.JWK & { kid: string }> }).keys

// =============================================================================================
describe("token endpoint: authorization_code (OAuth 2.1 §4.1.3)", () => {
  it("two parallel exchanges of one code (memory store): exactly one wins, and the replay revokes the winner's tokens", async () => {
    const { code, verifier } = await codeOn(server)
    const results = await Promise.all([exchangeOn(server, code, verifier), exchangeOn(server, code, verifier)])
    const winners = results.filter((r) => r.status === 200)
    expect(winners).toHaveLength(1)
    expect(results.find((r) => r.status !== 200)!.body.error).toBe("invalid_grant")
    const winner = winners[0]!.body as Record<string, string>
    expect(Exit.isFailure(await verifyAt(server, winner.access_token!))).toBe(true)
    expect((await refreshOn(server, winner.refresh_token!)).body.error).toBe("invalid_grant")
  })

  it("a code presented by another client is refused and issues nothing (OAuth 2.1 §4.1.3)", async () => {
    const { code, verifier } = await codeOn(server)
    const stolen = await exchangeOn(server, code, verifier, { client_id: "second-app" })
    expect(stolen.body.error).toBe("invalid_grant")
    expect(stolen.body.access_token).toBeUndefined()
  })

  it("an expired code is refused (OAuth 2.1 §4.1.2)", async () => {
    const { challenge, verifier } = pkce()
    const code = "expired-code-0123456789abcdefghijklmnop"
    const t = Date.now()
    await Effect.runPromise(server.store.putCode({
      digest: OAuthStore.digest(code),
      clientId: "public-app",
      redirectUri: REDIRECT,
      codeChallenge: challenge,
      grant: { grantId: "expired-grant", clientId: "public-app", identity: { subject: "alice", roles: [], scopes: [], claims: {}, kind: "session" }, scopes: ["files:read"], resources: [RESOURCE], authTime: t, createdAt: t, expiresAt: t + 60_000 },
      expiresAt: t - 1
    }))
    const r = await exchangeOn(server, code, verifier)
    expect(r.body.error).toBe("invalid_grant")
    expect(r.body.access_token).toBeUndefined()
  })
})

describe("token endpoint: a code replayed while the first exchange is still writing (OAuth 2.1 §4.1.3)", () => {
  it("the replay's revocation is not lost when it lands before the winner's grant is written", async () => {
    const { code, verifier } = await codeOn(faulty)
    // The winner's grant write takes 300 ms (a loaded database); the replay arrives meanwhile.
    slow.set("putGrant", 300)
    let results: Array<Awaited<ReturnType<typeof exchangeOn>>>
    try {
      const first = exchangeOn(faulty, code, verifier)
      await sleep(50)
      const replay = exchangeOn(faulty, code, verifier)
      results = await Promise.all([first, replay])
    } finally {
      slow.delete("putGrant")
    }
    expect(results.map((r) => r.status).sort()).toEqual([200, 400])
    const winner = results.find((r) => r.status === 200)!.body as Record<string, string>
    // Expected: the grant is revoked in the store (what every replica reads): refresh and introspection refuse it.
    expect((await postForm(faulty.url("/introspect"), { token: winner.refresh_token! }, RS)).body.active).toBe(false)
    expect((await refreshOn(faulty, winner.refresh_token!)).body.error).toBe("invalid_grant")
  })
})

describe("token endpoint: refresh_token (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2)", () => {
  it("parallel refreshes within the grace window all get tokens of the same family", async () => {
    const tokens = await tokensOn(server)
    const results = await Promise.all([1, 2, 3].map(() => refreshOn(server, tokens.refresh_token!)))
    expect(results.map((r) => r.status)).toEqual([200, 200, 200])
  })

  it("a refresh token used by another client is refused and issues nothing", async () => {
    const tokens = await tokensOn(server)
    const stolen = await refreshOn(server, tokens.refresh_token!, "second-app")
    expect(stolen.body.error).toBe("invalid_grant")
    expect(stolen.body.access_token).toBeUndefined()
  })

  it("a refresh cannot widen the scope or add a resource (RFC 6749 §6, RFC 8707 §2.2)", async () => {
    const tokens = await tokensOn(server, "files:read")
    expect((await refreshOn(server, tokens.refresh_token!, "public-app", { scope: "files:read files:write" })).body.error).toBe("invalid_scope")
    const t2 = await tokensOn(server, "files:read")
    expect((await refreshOn(server, t2.refresh_token!, "public-app", { resource: OTHER_RESOURCE })).body.error).toBe("invalid_target")
  })

  it("reuse after the grace window revokes the whole family, including the newest refresh token", async () => {
    const tokens = await tokensOn(server)
    const next = await refreshOn(server, tokens.refresh_token!)
    expect(next.status).toBe(200)
    await sleep(400)
    expect((await refreshOn(server, tokens.refresh_token!)).body.error).toBe("invalid_grant")
    expect((await refreshOn(server, next.body.refresh_token as string)).body.error).toBe("invalid_grant")
    expect(Exit.isFailure(await verifyAt(server, next.body.access_token as string))).toBe(true)
  })
})

describe("token endpoint: client_credentials (OAuth 2.1 §4.2)", () => {
  it("a confidential client gets a token for one resource only, within its registered scope", async () => {
    const ok = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE }, SERVICE)
    expect(ok.status).toBe(200)
    expect(ok.body.refresh_token).toBeUndefined()
    const denied = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, scope: "files:write" }, SERVICE)
    expect(denied.body.error).toBe("invalid_scope")
  })

  it("a public client cannot use client_credentials", async () => {
    const r = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, client_id: "public-app" })
    expect(r.body.access_token).toBeUndefined()
    expect(["unauthorized_client", "invalid_client"]).toContain(r.body.error)
  })

  it("a self-registered (RFC 7591) client cannot mint user-less tokens with client_credentials for any resource and scope", async () => {
    // Anyone on the network may register when dynamic registration is on (no initial access token).
    const registered = await register(server, {
      client_name: "attacker",
      grant_types: ["client_credentials"],
      response_types: [],
      token_endpoint_auth_method: "client_secret_basic"
    })
    const minted = registered.status === 201
      ? await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, scope: "files:read files:write" }, basic(registered.body.client_id!, registered.body.client_secret!))
      : undefined
    // Expected: the registration is refused (client_credentials is for clients the operator configured), or no token is issued.
    expect(minted?.body.access_token).toBeUndefined()
  })
})

describe("token endpoint: device_code (RFC 8628 §3.4, §3.5)", () => {
  it("polling too fast gets slow_down, and the interval keeps growing while the client keeps polling too fast", async () => {
    const started = await postForm(server.url("/device_authorization"), { client_id: "public-app", resource: RESOURCE })
    const code = started.body.device_code as string
    expect((await pollOn(server, code)).body.error).toBe("authorization_pending")
    expect((await pollOn(server, code)).body.error).toBe("slow_down")
    expect((await pollOn(server, code)).body.error).toBe("slow_down")
  })

  it("a device code polled by another client is refused", async () => {
    const started = await postForm(server.url("/device_authorization"), { client_id: "public-app", resource: RESOURCE })
    const r = await pollOn(server, started.body.device_code as string, "second-app")
    expect(r.body.error).toBe("invalid_grant")
  })

  it("parallel redemptions of an approved device code: exactly one gets tokens; later polls invalid_grant", async () => {
    const code = await approvedDevice(server)
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => pollOn(server, code)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    for (const r of results.filter((r) => r.status !== 200)) expect(r.body.access_token).toBeUndefined()
    expect((await pollOn(server, code)).body.error).toBe("invalid_grant")
  })

  it("a client not registered for the device grant cannot start one", async () => {
    const r = await postForm(server.url("/device_authorization"), { client_id: "second-app", resource: RESOURCE })
    expect(r.body.error).toBe("unauthorized_client")
  })
})

describe("client authentication (RFC 6749 §2.3, §5.2)", () => {
  const cc = (headers: Record<string, string>, extra: Record<string, string> = {}) =>
    postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, ...extra }, headers)

  it("refuses a secret in both the header and the body", async () => {
    const r = await cc(SERVICE, { client_secret: "service-secret-0123456789" })
    expect(r.body.error).toBe("invalid_request")
    expect(r.body.access_token).toBeUndefined()
  })

  it("refuses a body client_id differing from the Basic one", async () => {
    expect((await cc(SERVICE, { client_id: "resource-server" })).body.error).toBe("invalid_request")
  })

  it("refuses a confidential client's id presented without a secret (a public client claiming it)", async () => {
    const r = await cc({}, { client_id: "service" })
    expect(r.status).toBe(401)
    expect(r.body.error).toBe("invalid_client")
  })

  it("refuses client_secret_post for a client registered for client_secret_basic", async () => {
    const r = await cc({}, { client_id: "service", client_secret: "service-secret-0123456789" })
    expect(r.body.error).toBe("invalid_client")
  })

  it("refuses Basic credentials for a public client (method mismatch)", async () => {
    const r = await postForm(server.url("/device_authorization"), { resource: RESOURCE }, basic("public-app", "anything-at-all-123"))
    expect(r.body.error).toBe("invalid_client")
  })

  it("a wrong secret is 401 with WWW-Authenticate Basic, no-store, and the secret is not echoed", async () => {
    const r = await cc(basic("service", "guess-guess-guess-guess"))
    expect(r.status).toBe(401)
    expect(r.headers.get("www-authenticate")).toMatch(/^Basic/)
    expect(r.headers.get("cache-control")).toBe("no-store")
    expect(JSON.stringify(r.body)).not.toContain("guess-guess")
  })

  it("malformed Basic headers are invalid_client, never a crash", async () => {
    for (const header of ["Basic", "Basic !!!", `Basic ${Buffer.from("nocolon").toString("base64")}`, `Basic ${Buffer.from(":secret").toString("base64")}`, `Basic ${Buffer.from("%E0%A4%A:x").toString("base64")}`]) {
      const r = await cc({ authorization: header })
      expect(r.status).toBe(401)
      expect(r.body.error).toBe("invalid_client")
    }
  })

  it("an expired dynamic client secret is refused (RFC 7591 §3.2.1 client_secret_expires_at)", async () => {
    const registered = await register(short, { client_name: "c", redirect_uris: ["https://app.test/cb"], token_endpoint_auth_method: "client_secret_basic" })
    expect(registered.status).toBe(201)
    await sleep(200)
    const r = await postForm(short.url("/revoke"), { token: "x" }, basic(registered.body.client_id!, registered.body.client_secret!))
    expect(r.status).toBe(401)
    expect(r.body.error).toBe("invalid_client")
  })
})

describe("access tokens (RFC 9068)", () => {
  const realToken = async () => {
    const ok = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE }, SERVICE)
    expect(ok.status).toBe(200)
    const token = ok.body.access_token as string
    return { token, header: jose.decodeProtectedHeader(token), payload: jose.decodeJwt(token) }
  }

  it("alg none with the server's kid and real claims is refused", async () => {
    const { header, payload } = await realToken()
    const forged = `${b64url({ alg: "none", typ: "at+jwt", kid: header.kid })}.${b64url(payload)}.`
    expect(Exit.isFailure(await verifyAt(server, forged))).toBe(true)
    const introspected = await postForm(server.url("/introspect"), { token: forged }, RS)
    expect(introspected.body.active).toBe(false)
  })

  it("HS256 keyed with the published public key (algorithm confusion) is refused", async () => {
    const { header, payload } = await realToken()
    const jwk = (await jwksOf(server)).find((k) => k.kid === header.kid)!
    for (const secret of [JSON.stringify(jwk), jwk.x!]) {
      const forged = await new jose.SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: header.kid! }).sign(new TextEncoder().encode(secret))
      expect(Exit.isFailure(await verifyAt(server, forged))).toBe(true)
    }
  })

  it("real claims re-signed by a foreign key under the server's kid are refused", async () => {
    const { header, payload } = await realToken()
    const { privateKey } = await jose.generateKeyPair("ES256")
    const forged = await new jose.SignJWT(payload).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: header.kid! }).sign(privateKey)
    expect(Exit.isFailure(await verifyAt(server, forged))).toBe(true)
  })

  it("a token of another issuer (same resource URIs) is refused, and introspects inactive", async () => {
    const foreign = await postForm(other.url("/token"), { grant_type: "client_credentials", resource: RESOURCE }, SERVICE)
    expect(foreign.status).toBe(200)
    expect(Exit.isFailure(await verifyAt(server, foreign.body.access_token as string))).toBe(true)
    expect((await postForm(server.url("/introspect"), { token: foreign.body.access_token as string }, RS)).body.active).toBe(false)
  })

  it("a token for one resource is refused at another (RFC 8707, MCP audience binding)", async () => {
    const { token } = await realToken()
    expect(Exit.isSuccess(await verifyAt(server, token, RESOURCE))).toBe(true)
    expect(Exit.isFailure(await verifyAt(server, token, OTHER_RESOURCE))).toBe(true)
  })

  it("a token with the typ header changed (not at+jwt) fails its signature, and typ is required", async () => {
    const { token } = await realToken()
    const [, payload, signature] = token.split(".")
    const header = jose.decodeProtectedHeader(token)
    const retyped = `${b64url({ ...header, typ: "JWT" })}.${payload}.${signature}`
    expect(Exit.isFailure(await verifyAt(server, retyped))).toBe(true)
  })

  it("an expired token is refused past the 5 s clock tolerance, and introspects inactive", async () => {
    const ok = await postForm(short.url("/token"), { grant_type: "client_credentials", resource: RESOURCE }, SERVICE)
    const token = ok.body.access_token as string
    expect(Exit.isSuccess(await verifyAt(short, token))).toBe(true)
    await sleep(7_000)
    expect(Exit.isFailure(await verifyAt(short, token))).toBe(true)
    expect((await postForm(short.url("/introspect"), { token }, RS)).body.active).toBe(false)
  }, 15_000)
})

describe("revocation (RFC 7009)", () => {
  it("an unknown token is 200 with no-store; a missing token is invalid_request", async () => {
    const r = await postForm(server.url("/revoke"), { token: "nope", client_id: "public-app" })
    expect(r.status).toBe(200)
    expect(r.headers.get("cache-control")).toBe("no-store")
    expect((await postForm(server.url("/revoke"), { client_id: "public-app" })).body.error).toBe("invalid_request")
  })

  it("another client's refresh and access tokens are not revoked (RFC 7009 §2.1)", async () => {
    const tokens = await tokensOn(server)
    expect((await postForm(server.url("/revoke"), { token: tokens.refresh_token!, client_id: "second-app" })).status).toBe(200)
    expect((await postForm(server.url("/revoke"), { token: tokens.access_token!, client_id: "second-app" })).status).toBe(200)
    expect(Exit.isSuccess(await verifyAt(server, tokens.access_token!))).toBe(true)
    expect((await refreshOn(server, tokens.refresh_token!)).status).toBe(200)
  })

  it("the owner's access-token revocation takes effect at once", async () => {
    const tokens = await tokensOn(server)
    expect((await postForm(server.url("/revoke"), { token: tokens.access_token!, client_id: "public-app" })).status).toBe(200)
    expect(Exit.isFailure(await verifyAt(server, tokens.access_token!))).toBe(true)
    expect((await postForm(server.url("/introspect"), { token: tokens.access_token! }, RS)).body.active).toBe(false)
  })
})

describe("introspection (RFC 7662)", () => {
  it("a public client may not introspect", async () => {
    const tokens = await tokensOn(server)
    const r = await postForm(server.url("/introspect"), { token: tokens.access_token!, client_id: "public-app" })
    expect(r.status).toBe(401)
    expect(r.body.active).toBeUndefined()
  })

  it("a configured confidential client introspects with no-store", async () => {
    const tokens = await tokensOn(server)
    const r = await postForm(server.url("/introspect"), { token: tokens.access_token! }, RS)
    expect(r.body).toMatchObject({ active: true, sub: "alice", client_id: "public-app" })
    expect(r.headers.get("cache-control")).toBe("no-store")
  })

  it("a self-registered client cannot introspect other clients' tokens (RFC 7662 §4: token scanning, user data)", async () => {
    const tokens = await tokensOn(server)
    const registered = await register(server, { client_name: "scanner", redirect_uris: ["https://scanner.test/cb"], token_endpoint_auth_method: "client_secret_basic" })
    expect(registered.status).toBe(201)
    const creds = basic(registered.body.client_id!, registered.body.client_secret!)
    const access = await postForm(server.url("/introspect"), { token: tokens.access_token! }, creds)
    const refresh = await postForm(server.url("/introspect"), { token: tokens.refresh_token! }, creds)
    expect(access.body.active).not.toBe(true)
    expect(refresh.body.active).not.toBe(true)
    expect(JSON.stringify([access.body, refresh.body])).not.toContain("alice")
  })
})

describe("registration (RFC 7591, RFC 7592)", () => {
  it("ignores client-chosen client_id and client_secret, and the response is no-store", async () => {
    const r = await register(server, { client_id: "service", client_secret: "x".repeat(40), client_name: "c", redirect_uris: ["https://a.test/cb"] })
    expect(r.status).toBe(201)
    expect(r.body.client_id).not.toBe("service")
    expect(r.body.client_secret).not.toBe("x".repeat(40))
    expect(r.headers.get("cache-control")).toBe("no-store")
  })

  it("read/update/delete need the client's own registration access token; a static client is not manageable", async () => {
    const a = await register(server, { client_name: "a", redirect_uris: ["https://a.test/cb"] })
    const b = await register(server, { client_name: "b", redirect_uris: ["https://b.test/cb"] })
    expect((await manage(server, "GET", a.body.client_id!, b.body.registration_access_token)).status).toBe(401)
    expect((await manage(server, "GET", a.body.client_id!, undefined)).status).toBe(401)
    expect((await manage(server, "DELETE", a.body.client_id!, b.body.registration_access_token)).status).toBe(401)
    expect((await manage(server, "GET", "service", b.body.registration_access_token)).status).toBe(401)
    expect((await manage(server, "PUT", a.body.client_id!, b.body.registration_access_token, { client_id: a.body.client_id, redirect_uris: ["https://evil.test/cb"] })).status).toBe(401)
    expect((await manage(server, "GET", a.body.client_id!, a.body.registration_access_token)).status).toBe(200)
  })

  it("an update naming another client_id, or a wrong current secret, is refused", async () => {
    const a = await register(server, { client_name: "a", redirect_uris: ["https://a.test/cb"] })
    const wrongId = await manage(server, "PUT", a.body.client_id!, a.body.registration_access_token, { client_id: "service", redirect_uris: ["https://a.test/cb"] })
    expect(wrongId.status).toBe(400)
    const wrongSecret = await manage(server, "PUT", a.body.client_id!, a.body.registration_access_token, {
      client_id: a.body.client_id,
      client_secret: "not-the-secret",
      redirect_uris: ["https://a.test/cb"]
    })
    expect(wrongSecret.status).toBe(400)
  })

  it("deleting a client ends its grants: access tokens, refresh tokens and introspection (RFC 7592 §2.3)", async () => {
    const registered = await register(server, { client_name: "doomed", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], token_endpoint_auth_method: "none" })
    expect(registered.status).toBe(201)
    const clientId = registered.body.client_id!
    const { code, verifier } = await codeOn(server, "files:read", clientId)
    const tokens = await exchangeOn(server, code, verifier, { client_id: clientId })
    expect(tokens.status).toBe(200)
    expect((await manage(server, "DELETE", clientId, registered.body.registration_access_token)).status).toBe(204)
    // RFC 7592 §2.3: "SHOULD immediately invalidate all existing authorization grants and currently-active tokens".
    expect((await postForm(server.url("/introspect"), { token: tokens.body.refresh_token as string }, RS)).body.active).toBe(false)
    expect((await postForm(server.url("/introspect"), { token: tokens.body.access_token as string }, RS)).body.active).toBe(false)
    expect(Exit.isFailure(await verifyAt(server, tokens.body.access_token as string))).toBe(true)
  })

  it("RFC 7592 management works with the client's own registration access token (Authorization: Bearer)", async () => {
    const a = await register(server, { client_name: "a", redirect_uris: ["https://a.test/cb"] })
    const read = await manage(server, "GET", a.body.client_id!, a.body.registration_access_token)
    expect(read.status).toBe(200)
    expect(read.body.client_id).toBe(a.body.client_id)
  })

  it("deleting a client through OAuthClients.remove (what DELETE /register/:id runs) ends its grants (RFC 7592 §2.3)", async () => {
    const registered = await register(server, { client_name: "doomed2", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], token_endpoint_auth_method: "none" })
    const clientId = registered.body.client_id!
    const { code, verifier } = await codeOn(server, "files:read", clientId)
    const tokens = await exchangeOn(server, code, verifier, { client_id: clientId })
    expect(tokens.status).toBe(200)
    await Effect.runPromise(managerOn(server).pipe(Effect.flatMap((clients) => clients.remove(clientId, `Bearer ${registered.body.registration_access_token}`, Date.now()))))
    expect((await postForm(server.url("/introspect"), { token: tokens.body.refresh_token as string }, RS)).body.active).toBe(false)
    expect((await postForm(server.url("/introspect"), { token: tokens.body.access_token as string }, RS)).body.active).toBe(false)
    expect(Exit.isFailure(await verifyAt(server, tokens.body.access_token as string))).toBe(true)
  })

  it("an update through OAuthClients.update (what PUT /register/:id runs) cannot turn a public client into a client_credentials one", async () => {
    const registered = await register(server, { client_name: "app", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" })
    const updated = await Effect.runPromise(Effect.either(managerOn(server).pipe(Effect.flatMap((clients) =>
      clients.update(registered.body.client_id!, `Bearer ${registered.body.registration_access_token}`, {
        client_id: registered.body.client_id,
        client_name: "app",
        redirect_uris: [REDIRECT],
        grant_types: ["authorization_code", "client_credentials"],
        token_endpoint_auth_method: "client_secret_basic"
      }, Date.now())
    ))))
    const minted = updated._tag === "Right"
      ? await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, scope: "files:write" }, basic(updated.right.client_id, updated.right.client_secret!))
      : undefined
    expect(minted?.body.access_token).toBeUndefined()
  })

  it("a registration body is bounded before it is read, and not read at all with registration off (no 10 MB JSON parse per request)", async () => {
    const huge = JSON.stringify({ client_name: "x", padding: "a".repeat(2 * 1024 * 1024) })
    const put = await fetch(other.url("/register/whatever"), { method: "PUT", headers: { "content-type": "application/json", authorization: "Bearer x" }, body: huge })
    expect(put.status).toBe(404)
    // Refused at 16 KiB: 413, or the connection reset under the client still sending the rest.
    const post = await fetch(server.url("/register"), { method: "POST", headers: { "content-type": "application/json" }, body: huge }).then(
      (r) => r.status,
      () => "reset"
    )
    expect([413, "reset"]).toContain(post)
  })
})

describe("Client ID Metadata Documents: SSRF guard", () => {
  /** Resolves a client id through /revoke: 200 when the client resolves, 401 (with why) when not. */
  const probe = (s: StartedAuthorizationServer, clientId: string) => postForm(s.url("/revoke"), { token: "x", client_id: clientId })

  it("refuses private, loopback, link-local and IPv6-embedded IPv4 literals without any connection", async () => {
    for (
      const clientId of [
        "https://127.0.0.1/c.json",
        "https://[::1]/c.json",
        "https://[::ffff:7f00:1]/c.json",
        "https://[::ffff:a9fe:a9fe]/latest",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/c.json",
        "https://[fe80::1]/c.json",
        "https://[64:ff9b::a9fe:a9fe]/c.json",
        "https://[2002:a00:1::]/c.json",
        "https://[::a00:1]/c.json",
        "https://100.64.0.1/c.json",
        "https://0.0.0.0/c.json"
      ]
    ) {
      const r = await probe(server, clientId)
      expect(r.status, clientId).toBe(401)
      expect(r.body.error_description, clientId).toContain("not a public address")
    }
  })

  it("refuses a DNS name resolving to loopback at connect time: the document server is never reached", async () => {
    docs.route = () => jsonDoc({})
    const port = new URL(docs.base).port
    const r = await probe(cimdGuarded, `http://localhost:${port}/dns.json`)
    expect(r.status).toBe(401)
    expect(r.body.error_description).toContain("not a public address")
    expect(docs.hits.get("/dns.json")).toBeUndefined()
  })

  it("does not disclose what an internal name resolves to (DNS oracle)", async () => {
    const r = await probe(cimdGuarded, `http://localhost:${new URL(docs.base).port}/oracle.json`)
    expect(r.status).toBe(401)
    expect(r.body.error_description).not.toMatch(/127\.0\.0\.1|::1/)
  })

  it("refuses client ids that are not in normalised form, with dot segments, user info, fragments or no path", async () => {
    for (
      const clientId of [
        "https://EXAMPLE.com/c.json",
        "https://example.com:443/c.json",
        "https://example.com/a/../c.json",
        "https://example.com/%2e%2e/c.json",
        "https://user@example.com/c.json",
        "https://example.com/c.json#x",
        "https://example.com",
        "https://example.com/",
        "https://2130706433/c.json",
        "https://127.1/c.json",
        `https://example.com/${"a".repeat(2100)}`
      ]
    ) {
      const r = await probe(server, clientId)
      expect(r.status, clientId).toBe(401)
      expect(r.body.error, clientId).toBe("invalid_client")
    }
  })
})

describe("Client ID Metadata Documents: the fetch (redirects, size, time, content, caching)", () => {
  const probe = (clientId: string) => postForm(cimd.url("/revoke"), { token: "x", client_id: clientId })
  const doc = (path: string, extra: Record<string, unknown> = {}) => ({ client_id: `${docs.base}${path}`, client_name: "Doc", redirect_uris: ["https://doc.test/cb"], ...extra })

  it("accepts a valid document (control)", async () => {
    docs.route = (p) => (p === "/ok.json" ? jsonDoc(doc("/ok.json")) : undefined)
    expect((await probe(`${docs.base}/ok.json`)).status).toBe(200)
  })

  it("does not follow a redirect (to an internal address or anywhere)", async () => {
    docs.route = (p) =>
      p === "/redir.json"
        ? (res) => res.writeHead(302, { location: `${docs.base}/target.json` }).end()
        : p === "/target.json"
        ? jsonDoc(doc("/redir.json"))
        : undefined
    const r = await probe(`${docs.base}/redir.json`)
    expect(r.status).toBe(401)
    expect(docs.hits.get("/target.json")).toBeUndefined()
  })

  it("refuses a document over 5 KiB, declared or streamed", async () => {
    docs.route = (p) =>
      p === "/big.json"
        ? jsonDoc(doc("/big.json", { client_uri: "https://doc.test/", padding: "x".repeat(10_000) }))
        : p === "/stream.json"
        ? (res) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.write(`{"client_id":"${docs.base}/stream.json","pad":"`)
          for (let i = 0; i < 100; i++) res.write("x".repeat(1024))
          res.end(`"}`)
        }
        : undefined
    expect((await probe(`${docs.base}/big.json`)).body.error_description).toMatch(/larger than/)
    expect((await probe(`${docs.base}/stream.json`)).body.error_description).toMatch(/larger than/)
  })

  it("gives up on a server that never answers, within the timeout", async () => {
    docs.route = (p) => (p === "/slow.json" ? () => {} : undefined)
    const started = Date.now()
    const r = await probe(`${docs.base}/slow.json`)
    expect(r.status).toBe(401)
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it("refuses a document naming another client_id (cache poisoning across ids), a secret, or a confidential method", async () => {
    docs.route = (p) =>
      p === "/a.json?x=1"
        ? jsonDoc(doc("/a.json"))
        : p === "/secret.json"
        ? jsonDoc(doc("/secret.json", { client_secret: "s" }))
        : p === "/basic.json"
        ? jsonDoc(doc("/basic.json", { token_endpoint_auth_method: "client_secret_basic", grant_types: ["client_credentials"] }))
        : p === "/html.json"
        ? (res) => res.writeHead(200, { "content-type": "text/html" }).end(JSON.stringify(doc("/html.json")))
        : p === "/gzip.json"
        ? (res) => res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end("xx")
        : undefined
    for (const path of ["/a.json?x=1", "/secret.json", "/basic.json", "/html.json", "/gzip.json"]) {
      const r = await probe(`${docs.base}${path}`)
      expect(r.status, path).toBeGreaterThanOrEqual(400)
      expect(r.body.access_token, path).toBeUndefined()
    }
  })

  it("an unacceptable document is invalid_client (401) at the token, revocation and device endpoints, not a registration error (RFC 6749 §5.2)", async () => {
    docs.route = (p) => (p === "/wrong-id.json" ? jsonDoc(doc("/other.json")) : undefined)
    const r = await probe(`${docs.base}/wrong-id.json`)
    expect(r.body.error).toBe("invalid_client")
    expect(r.status).toBe(401)
  })

  it("a document served no-store is re-read: a redirect URI it drops is refused at once", async () => {
    let uris = ["https://doc.test/cb", "https://doc.test/old"]
    docs.route = (p) => (p === "/moving.json" ? (res) => jsonDoc(doc("/moving.json", { redirect_uris: uris }), { "cache-control": "no-store" })(res) : undefined)
    const clientId = `${docs.base}/moving.json`
    const at = (redirect: string) =>
      new Browser().get(cimd.url(`/authorize?${new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: redirect, code_challenge: pkce().challenge, code_challenge_method: "S256", resource: RESOURCE })}`))
    expect((await at("https://doc.test/old")).status).toBe(302)
    uris = ["https://doc.test/cb"]
    const after = await at("https://doc.test/old")
    expect(after.status).toBe(400)
    expect(after.location).toBeUndefined()
  })
})

describe("store failures: nothing issued when the store fails mid-way", () => {
  it("a failing refresh-token write during a code exchange issues no access token (503, no-store)", async () => {
    const { code, verifier } = await codeOn(faulty)
    failing.add("putRefresh")
    try {
      const r = await exchangeOn(faulty, code, verifier)
      expect(r.status).toBe(503)
      expect(r.body.error).toBe("temporarily_unavailable")
      expect(r.body.access_token).toBeUndefined()
      expect(r.headers.get("cache-control")).toBe("no-store")
    } finally {
      failing.delete("putRefresh")
    }
  })

  it("a failing grant write during client_credentials issues nothing", async () => {
    failing.add("putGrant")
    try {
      const r = await postForm(faulty.url("/token"), { grant_type: "client_credentials", resource: RESOURCE }, SERVICE)
      expect(r.status).toBe(503)
      expect(r.body.access_token).toBeUndefined()
    } finally {
      failing.delete("putGrant")
    }
  })

  it("a failing rotation issues nothing and the refresh token still works afterwards", async () => {
    const tokens = await tokensOn(faulty)
    failing.add("rotateRefresh")
    try {
      const r = await refreshOn(faulty, tokens.refresh_token!)
      expect(r.status).toBe(503)
      expect(r.body.access_token).toBeUndefined()
    } finally {
      failing.delete("rotateRefresh")
    }
    expect((await refreshOn(faulty, tokens.refresh_token!)).status).toBe(200)
  })

  it("verification fails closed when the revocation list cannot be read", async () => {
    const tokens = await tokensOn(faulty)
    failing.add("isAccessTokenRevoked")
    try {
      expect(Exit.isFailure(await verifyAt(faulty, tokens.access_token!))).toBe(true)
    } finally {
      failing.delete("isAccessTokenRevoked")
    }
  })
})

describe("resource exhaustion and reflection", () => {
  it("refuses a declared body over 64 KiB with 413 before reading it", async () => {
    const r = await postForm(server.url("/token"), { grant_type: "client_credentials", padding: "x".repeat(70_000) }, SERVICE)
    expect(r.status).toBe(413)
    expect(r.headers.get("cache-control")).toBe("no-store")
  })

  it("answers a streamed (chunked) body that exceeds 64 KiB without waiting for it to end", async () => {
    const status = await new Promise<number | string>((resolve) => {
      const url = new URL(server.url("/token"))
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "transfer-encoding": "chunked" } }, (res) => {
        resolve(res.statusCode ?? 0)
        res.resume()
      })
      req.on("error", () => resolve("error"))
      req.write(`grant_type=client_credentials&padding=${"x".repeat(100_000)}`)
      // The body never ends: a server that buffers to the end would hang until its request timeout.
      setTimeout(() => {
        resolve("no answer within 3 s")
        req.destroy()
      }, 3_000)
    })
    // 413, or the connection closed under the writer once the server stopped reading: either way, no hang.
    expect([413, "error"]).toContain(status)
  })

  it("many resources and long scope strings are answered quickly with a bounded error description", async () => {
    const resources = Array.from({ length: 1_500 }, (_, i) => `https://r${i}.test/mcp`)
    const many = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: resources }, SERVICE)
    expect(many.body.error).toBe("invalid_target")
    expect(String(many.body.error_description).length).toBeLessThan(1_000)
    const unknown = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, scope: Array(8_000).fill("nope").join(" ") }, SERVICE)
    expect(unknown.body.error).toBe("invalid_scope")
    expect(String(unknown.body.error_description).length).toBeLessThan(1_000)
  })

  it("a scope the client may not ask for, repeated, is not reflected unbounded in error_description", async () => {
    const denied = await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE, scope: Array(4_000).fill("files:write").join(" ") }, SERVICE)
    expect(denied.body.error).toBe("invalid_scope")
    expect(String(denied.body.error_description).length).toBeLessThan(1_000)
  })
})

describe("response headers (RFC 6749 §5.1: no-store on every token response)", () => {
  it("token success and error, device authorization, introspection and registration are no-store", async () => {
    const responses = [
      await postForm(server.url("/token"), { grant_type: "client_credentials", resource: RESOURCE }, SERVICE),
      await postForm(server.url("/token"), { grant_type: "authorization_code", code: "x", client_id: "public-app", code_verifier: "y".repeat(43) }),
      await postForm(server.url("/token"), { grant_type: "password", client_id: "public-app" }),
      await postForm(server.url("/device_authorization"), { client_id: "public-app", resource: RESOURCE }),
      await postForm(server.url("/introspect"), { token: "x" }, RS)
    ]
    for (const r of responses) expect(r.headers.get("cache-control")).toBe("no-store")
    expect((await register(server, { client_name: "h", redirect_uris: ["https://h.test/cb"] })).headers.get("cache-control")).toBe("no-store")
  })

  it("error descriptions never echo the code, refresh token or device code presented", async () => {
    const secretish = "SECRET-VALUE-0123456789abcdef"
    for (
      const form of [
        { grant_type: "authorization_code", code: secretish, client_id: "public-app", code_verifier: "y".repeat(43) },
        { grant_type: "refresh_token", refresh_token: secretish, client_id: "public-app" },
        { grant_type: DEVICE, device_code: secretish, client_id: "public-app" }
      ]
    ) {
      const r = await postForm(server.url("/token"), form)
      expect(r.status).toBe(400)
      expect(JSON.stringify(r.body)).not.toContain(secretish)
    }
  })
})

// =============================================================================================
describe("races across two replicas on one PostgreSQL", () => {
  let pg: StartedPostgres
  let a: StartedAuthorizationServer
  let b: StartedAuthorizationServer
  beforeAll(async () => {
    pg = await startPostgres()
    const store = () => Postgres.oauthStore.pipe(Layer.provide(clientLayer(pg.url)))
    const publicUrl = "http://127.0.0.1:8444"
    ;[a, b] = await Promise.all([
      startAuthorizationServer((issuer) => ({ ...baseOptions(issuer), refreshGrace: "300 millis" }), store(), publicUrl),
      startAuthorizationServer((issuer) => ({ ...baseOptions(issuer), refreshGrace: "300 millis" }), store(), publicUrl)
    ])
  }, 60_000)
  afterAll(async () => {
    await a?.close()
    await b?.close()
    await pg?.stop()
  })

  it("a code replayed in parallel at the other replica: exactly one wins and the replay always revokes the winner's grant", async () => {
    const lost: Array<number> = []
    for (let round = 0; round < 8; round++) {
      const { code, verifier } = await codeOn(a)
      const results = await Promise.all([exchangeOn(a, code, verifier), exchangeOn(b, code, verifier)])
      const winners = results.filter((r) => r.status === 200)
      expect(winners).toHaveLength(1)
      const winner = winners[0]!.body as Record<string, string>
      // The refresh token of the winner must be dead, whichever replica asks.
      const refreshed = await refreshOn(a, winner.refresh_token!)
      if (refreshed.status === 200) lost.push(round)
    }
    expect(lost, `rounds whose replay revocation was lost: ${lost.join(", ")}`).toEqual([])
  }, 60_000)

  it("parallel redemptions of one approved device code across replicas: exactly one gets tokens", async () => {
    const code = await approvedDevice(a)
    const results = await Promise.all([a, b, a, b].map((s) => pollOn(s, code)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
  }, 30_000)

  it("reuse after the grace window at one replica revokes the family at the other", async () => {
    const tokens = await tokensOn(a)
    const next = await refreshOn(b, tokens.refresh_token!)
    expect(next.status).toBe(200)
    await sleep(400)
    expect((await refreshOn(a, tokens.refresh_token!)).body.error).toBe("invalid_grant")
    expect((await refreshOn(b, next.body.refresh_token as string)).body.error).toBe("invalid_grant")
    expect(Exit.isFailure(await verifyAt(b, next.body.access_token as string))).toBe(true)
  }, 30_000)
})
