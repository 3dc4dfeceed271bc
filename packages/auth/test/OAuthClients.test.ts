/**
 * Client registration of the authorization server: Client ID Metadata
 * Documents served over https on loopback (self-signed certificate),
 * RFC 7591 dynamic registration and RFC 7592 management on the memory
 * store, pre-registered clients, client authentication (RFC 6749 §2.3.1)
 * and redirect URI matching (OAuth 2.1 §2.3.1, RFC 8252 §7.3).
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer, type Server } from "node:https"
import type { AddressInfo } from "node:net"
import { Effect, Either, Redacted } from "effect"
import fc from "fast-check"
import * as selfsigned from "selfsigned"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as OAuthClients from "../src/OAuthClients.js"
import type { OAuthError } from "../src/OAuthError.js"
import * as OAuthStore from "../src/OAuthStore.js"

// ---------------------------------------------------------------------------
// A client's web server hosting metadata documents.

let server: Server
let cert: string
let origin: string
const hits = new Map<string, number>()
const documents = new Map<string, { readonly body: string; readonly headers?: Record<string, string> }>()

const serve = (request: IncomingMessage, response: ServerResponse) => {
  const path = request.url ?? ""
  hits.set(path, (hits.get(path) ?? 0) + 1)
  if (path === "/slow.json") return // never answers
  const document = documents.get(path)
  if (document === undefined) {
    response.writeHead(404, { "content-type": "application/json" })
    return response.end("{}")
  }
  response.writeHead(200, { "content-type": "application/json", ...document.headers })
  response.end(document.body)
}

const url = (path: string) => `${origin}${path}`

/** Publishes a document at `path` whose client_id is its own URL (unless overridden). */
const publish = (path: string, fields: Record<string, unknown> = {}, headers?: Record<string, string>) => {
  documents.set(path, {
    body: JSON.stringify({
      client_id: url(path),
      client_name: "Example MCP Client",
      redirect_uris: ["http://127.0.0.1:3000/callback", "http://localhost:3000/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      ...fields
    }),
    ...(headers !== undefined ? { headers } : {})
  })
  return url(path)
}

beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    days: 1,
    keySize: 2048,
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }]
  } as Parameters<typeof selfsigned.generate>[1])
  cert = pems.cert
  server = createServer({ key: pems.private, cert: pems.cert }, serve)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  origin = `https://localhost:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

// ---------------------------------------------------------------------------

const registrationEndpoint = "https://as.example.com/register"

const setup = async (options: Omit<OAuthClients.Options, "registrationEndpoint">) => {
  const store = await Effect.runPromise(OAuthStore.makeMemory)
  let puts = 0
  const counted: OAuthStore.Service = { ...store, putClient: (client) => Effect.suspend(() => (puts++, store.putClient(client))) }
  const clients = await Effect.runPromise(
    OAuthClients.make({ registrationEndpoint, ...options }).pipe(Effect.provideService(OAuthStore.OAuthStore, counted))
  )
  const run = <A>(effect: Effect.Effect<A, OAuthError>) => Effect.runPromise(Effect.either(effect))
  const ok = async <A>(effect: Effect.Effect<A, OAuthError>) => Either.getOrThrowWith(await run(effect), (e) => new Error(e.message))
  const fails = async <A>(effect: Effect.Effect<A, OAuthError>) => {
    const result = await run(effect)
    if (Either.isRight(result)) throw new Error("expected a failure")
    return result.left
  }
  return { store, clients, ok, fails, puts: () => puts }
}

const now = Date.UTC(2026, 0, 1)
const trusted = () => ({ ca: cert, allowedHosts: ["localhost"] })

describe("Client ID Metadata Documents", () => {
  it("resolves an https client id to its document, fetched over TLS from an allowed host", async () => {
    const { clients, ok } = await setup({ metadataDocuments: { ca: cert, allowedHosts: ["localhost"] } })
    const id = publish("/basic.json")
    const client = await ok(clients.resolve(id, now))
    expect(client).toMatchObject({
      clientId: id,
      kind: "metadata-document",
      confidential: false,
      metadata: { client_name: "Example MCP Client", token_endpoint_auth_method: "none", redirect_uris: expect.any(Array) }
    })
    expect(clients.metadataDocuments).toBe(true)
    // RFC 8252 §7.3: the loopback redirect of the document, on another port.
    expect(clients.redirectUriAllowed(client, "http://127.0.0.1:49152/callback")).toBe(true)
    expect(clients.redirectUriAllowed(client, "http://127.0.0.1:49152/callback2")).toBe(false)
    // A client authenticates with `none` only.
    expect((await ok(clients.authenticate({ clientId: id, method: "none" }, now))).clientId).toBe(id)
  })

  it("refuses a loopback document host by default (SSRF), without contacting it", async () => {
    const { clients, fails } = await setup({ metadataDocuments: { ca: cert } })
    const id = publish("/private.json")
    const error = await fails(clients.resolve(id, now))
    expect(error).toMatchObject({ error: "invalid_client", description: expect.stringContaining("is not a public address") })
    expect(hits.get("/private.json")).toBeUndefined()
    const literal = await fails(clients.resolve(id.replace("localhost", "127.0.0.1"), now))
    expect(literal.description).toContain("127.0.0.1 is not a public address")
  })

  it("caches as Cache-Control says: within max-age no refetch; no-store refetches; failures are cached briefly", async () => {
    const { clients, ok, fails } = await setup({ metadataDocuments: trusted() })
    const cached = publish("/cached.json", {}, { "cache-control": "public, max-age=600" })
    await ok(clients.resolve(cached, now))
    await ok(clients.resolve(cached, now))
    expect(hits.get("/cached.json")).toBe(1)

    const uncached = publish("/no-store.json", {}, { "cache-control": "no-store" })
    await ok(clients.resolve(uncached, now))
    await ok(clients.resolve(uncached, now))
    expect(hits.get("/no-store.json")).toBe(2)

    const missing = url("/missing.json")
    expect((await fails(clients.resolve(missing, now))).description).toContain("404")
    await fails(clients.resolve(missing, now))
    expect(hits.get("/missing.json")).toBe(1)
  })

  it("a cached document expires after its max-age (clamped by minCacheTtl)", async () => {
    const { clients, ok } = await setup({ metadataDocuments: { ...trusted(), minCacheTtl: 0 } })
    const id = publish("/short.json", {}, { "cache-control": "max-age=1" })
    await ok(clients.resolve(id, now))
    await ok(clients.resolve(id, now))
    expect(hits.get("/short.json")).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await ok(clients.resolve(id, now))
    expect(hits.get("/short.json")).toBe(2)
  })

  it("refuses documents the draft forbids, naming what is wrong", async () => {
    const { clients, fails } = await setup({ metadataDocuments: trusted() })
    const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
      ["/other-id.json", { client_id: "https://attacker.example/client.json" }, "names another client_id"],
      ["/secret.json", { client_secret: "s3cret-s3cret-s3cret" }, "must not contain client_secret"],
      ["/secret-expiry.json", { client_secret_expires_at: 0 }, "must not contain client_secret"],
      ["/basic-auth.json", { token_endpoint_auth_method: "client_secret_basic" }, "only \"none\""],
      ["/jwt.json", { token_endpoint_auth_method: "private_key_jwt" }, "private_key_jwt, which this server does not support"],
      ["/no-redirects.json", { redirect_uris: [] }, "has no redirect_uris"],
      ["/no-name.json", { client_name: undefined }, "has no client_name"],
      ["/fragment.json", { redirect_uris: ["https://app.example.com/cb#x"] }, "fragment"],
      ["/http-remote.json", { redirect_uris: ["http://app.example.com/cb"] }, "not loopback"]
    ]
    for (const [path, fields, message] of cases) {
      const error = await fails(clients.resolve(publish(path, fields), now))
      expect([path, error.description]).toEqual([path, expect.stringContaining(message)])
      // RFC 6749 §5.2: a client whose document cannot be used cannot be authenticated.
      expect(error.error).toBe("invalid_client")
      // Never a stack trace.
      expect(error.description).not.toMatch(/\n\s+at /)
    }
    documents.set("/not-json.json", { body: "{not json" })
    expect((await fails(clients.resolve(url("/not-json.json"), now))).description).toContain("is not valid JSON")
    documents.set("/array.json", { body: "[]" })
    expect((await fails(clients.resolve(url("/array.json"), now))).description).toContain("is not a JSON object")
    documents.set("/html.json", { body: "<html/>", headers: { "content-type": "text/html" } })
    expect((await fails(clients.resolve(url("/html.json"), now))).description).toContain("not JSON")
  })

  it("refuses client ids that are not usable document URLs (CIMD \"Client Identifier\")", async () => {
    const { clients, fails } = await setup({ metadataDocuments: trusted() })
    for (
      const [id, message] of [
        [origin, "must contain a path"],
        [`${origin}/`, "must contain a path"],
        [`${origin}/client.json#frag`, "fragment"],
        [`https://user:pw@localhost/client.json`, "user name or password"],
        [`${origin}/a/../client.json`, "dot segments"],
        [`https://LOCALHOST:1/client.json`, "normalised form"]
      ] as const
    ) {
      const error = await fails(clients.resolve(id, now))
      expect([id, error.error, error.description]).toEqual([id, "invalid_client", expect.stringContaining(message)])
    }
  })

  it("a large document is refused; a silent host times out", async () => {
    const { clients, fails } = await setup({ metadataDocuments: { ...trusted(), maxBytes: 300, timeout: "300 millis" } })
    const id = publish("/large.json", { client_uri: `https://example.com/${"x".repeat(400)}` })
    expect((await fails(clients.resolve(id, now))).description).toContain("larger than 300 bytes")
    const started = Date.now()
    expect(await fails(clients.resolve(url("/slow.json"), now))).toMatchObject({
      error: "invalid_client",
      description: expect.stringContaining("No complete response within 300 ms")
    })
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it("concurrent resolutions of one document share one fetch", async () => {
    const { clients, ok } = await setup({ metadataDocuments: trusted() })
    const id = publish("/concurrent.json", {}, { "cache-control": "max-age=600" })
    const all = await Promise.all(Array.from({ length: 10 }, () => ok(clients.resolve(id, now))))
    expect(all.every((client) => client.clientId === id)).toBe(true)
    expect(hits.get("/concurrent.json")).toBe(1)
  })

  it("metadata documents off: an https client id is just an unknown client", async () => {
    const { clients, fails } = await setup({ metadataDocuments: false })
    const id = publish("/off.json")
    expect(await fails(clients.resolve(id, now))).toMatchObject({ error: "invalid_client", description: "The client is not known" })
    expect(hits.get("/off.json")).toBeUndefined()
    expect(clients.metadataDocuments).toBe(false)
  })
})

// ---------------------------------------------------------------------------

const nativeBody = {
  application_type: "native",
  client_name: "CLI",
  redirect_uris: ["http://127.0.0.1/callback"],
  grant_types: ["authorization_code", "refresh_token"],
  token_endpoint_auth_method: "none"
}

describe("RFC 7591 dynamic registration", () => {
  it("is off by default", async () => {
    const { clients, fails } = await setup({})
    expect(clients.dynamicRegistration).toBe(false)
    expect(await fails(clients.register(nativeBody, { now }))).toMatchObject({ status: 404 })
  })

  it("registers a public native client (RFC 7591 §3.2.1 response)", async () => {
    const { clients, ok } = await setup({ dynamicRegistration: {} })
    const info = await ok(clients.register(nativeBody, { now, clientAddress: "192.0.2.1" }))
    expect(info).toMatchObject({
      client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      client_id_issued_at: Math.floor(now / 1000),
      client_name: "CLI",
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: ["http://127.0.0.1/callback"],
      registration_access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)
    })
    expect(info.registration_client_uri).toBe(`${registrationEndpoint}/${info.client_id}`)
    expect(info).not.toHaveProperty("client_secret")
    const client = await ok(clients.resolve(info.client_id, now))
    expect(client).toMatchObject({ kind: "dynamic", confidential: false })
  })

  it("defaults to client_secret_basic (RFC 7591 §2) and issues a 256-bit secret that never expires", async () => {
    const { clients, ok } = await setup({ dynamicRegistration: {} })
    const info = await ok(clients.register({ redirect_uris: ["https://app.example.com/cb"] }, { now }))
    expect(info).toMatchObject({
      token_endpoint_auth_method: "client_secret_basic",
      application_type: "web",
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_secret_expires_at: 0
    })
  })

  it("validates metadata (RFC 7591 §2, §2.1, §3.2.2; OIDC Registration application_type)", async () => {
    const { clients, fails, puts } = await setup({ dynamicRegistration: { perAddressPerMinute: 1000, perMinute: 1000 } })
    const cases: ReadonlyArray<readonly [string, unknown, string, string]> = [
      ["not an object", "hello", "invalid_client_metadata", "JSON object"],
      ["relative redirect", { redirect_uris: ["/cb"] }, "invalid_redirect_uri", "not an absolute URI"],
      ["fragment", { redirect_uris: ["https://app.example.com/cb#x"] }, "invalid_redirect_uri", "fragment"],
      ["javascript scheme", { application_type: "native", redirect_uris: ["javascript:alert(1)"] }, "invalid_redirect_uri", "not allowed"],
      ["no redirect for code", { redirect_uris: [] }, "invalid_redirect_uri", "required"],
      ["web with http", { redirect_uris: ["http://app.example.com/cb"] }, "invalid_redirect_uri", "web clients must use https"],
      ["web with loopback http", { application_type: "web", redirect_uris: ["http://127.0.0.1:8080/cb"] }, "invalid_redirect_uri", "application_type \"native\""],
      ["web with custom scheme", { application_type: "web", redirect_uris: ["com.example.app:/cb"] }, "invalid_redirect_uri", "web clients must use https"],
      ["no type, loopback and remote http mixed (not native)", { redirect_uris: ["http://127.0.0.1:8080/cb", "http://app.example.com/cb"] }, "invalid_redirect_uri", "web clients must use https"],
      ["native with remote http", { ...nativeBody, redirect_uris: ["http://app.example.com/cb"] }, "invalid_redirect_uri", "not loopback"],
      ["bad application_type", { ...nativeBody, application_type: "desktop" }, "invalid_client_metadata", "application_type"],
      ["code without authorization_code", { ...nativeBody, grant_types: ["refresh_token"], response_types: ["code"] }, "invalid_client_metadata", "inconsistent"],
      ["authorization_code without code", { ...nativeBody, response_types: [] }, "invalid_client_metadata", "inconsistent"],
      ["implicit", { ...nativeBody, grant_types: ["implicit"], response_types: ["token"] }, "invalid_client_metadata", "not supported"],
      ["password grant", { ...nativeBody, grant_types: ["password"] }, "invalid_client_metadata", "not supported"],
      ["client_credentials for a public client", { ...nativeBody, grant_types: ["client_credentials"] }, "invalid_client_metadata", "confidential"],
      ["unsupported auth method", { ...nativeBody, token_endpoint_auth_method: "client_secret_jwt" }, "invalid_client_metadata", "not supported"],
      ["grant_types not an array", { ...nativeBody, grant_types: "authorization_code" }, "invalid_client_metadata", "grant_types"],
      ["bad scope", { ...nativeBody, scope: "a  b" }, "invalid_client_metadata", "scope"],
      ["bad client_uri", { ...nativeBody, client_uri: "javascript:alert(1)" }, "invalid_client_metadata", "client_uri"],
      ["jwks and jwks_uri", { ...nativeBody, jwks: { keys: [] }, jwks_uri: "https://x.example/jwks" }, "invalid_client_metadata", "jwks"]
    ]
    for (const [name, body, error, message] of cases) {
      const failure = await fails(clients.register(body, { now }))
      expect([name, failure.error, failure.description]).toEqual([name, error, expect.stringContaining(message)])
      expect(failure.status).toBe(400)
    }
    expect(puts()).toBe(0)
  })

  it("accepts native private-use schemes and claimed https, device-code clients without redirects, and ignores server-issued fields", async () => {
    const { clients, ok } = await setup({ dynamicRegistration: {} })
    const native = await ok(clients.register({ ...nativeBody, redirect_uris: ["com.example.app:/oauth", "https://app.example.com/native"] }, { now }))
    expect(native.redirect_uris).toEqual(["com.example.app:/oauth", "https://app.example.com/native"])
    const device = await ok(
      clients.register(
        {
          grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
          token_endpoint_auth_method: "none",
          client_id: "chosen-by-client",
          client_secret: "chosen",
          registration_access_token: "chosen",
          unknown_field: "dropped",
          "client_name#fr": "Appareil"
        },
        { now }
      )
    )
    expect(device.client_id).not.toBe("chosen-by-client")
    expect(device).not.toHaveProperty("client_secret")
    expect(device.registration_access_token).not.toBe("chosen")
    expect(device).not.toHaveProperty("unknown_field")
    expect(device).toMatchObject({ response_types: [], redirect_uris: [], "client_name#fr": "Appareil" })
  })

  it("web clients may use loopback http when configured (development)", async () => {
    const { clients, ok } = await setup({ dynamicRegistration: { allowLoopbackHttpForWeb: true } })
    const info = await ok(clients.register({ application_type: "web", redirect_uris: ["http://localhost:8080/cb"], token_endpoint_auth_method: "none" }, { now }))
    const client = await ok(clients.resolve(info.client_id, now))
    // A web client's loopback redirect is matched exactly: no port variation.
    expect(clients.redirectUriAllowed(client, "http://localhost:8080/cb")).toBe(true)
    expect(clients.redirectUriAllowed(client, "http://localhost:8081/cb")).toBe(false)
  })

  it("is rate-limited per address and overall; a limited request stores nothing", async () => {
    const { clients, ok, fails, puts } = await setup({ dynamicRegistration: { perAddressPerMinute: 3, perMinute: 5 } })
    for (let i = 0; i < 3; i++) await ok(clients.register(nativeBody, { now, clientAddress: "198.51.100.7" }))
    const limited = await fails(clients.register(nativeBody, { now: now + 1000, clientAddress: "198.51.100.7" }))
    expect(limited).toMatchObject({ error: "too_many_requests", status: 429, description: expect.stringContaining("retry in") })
    expect(puts()).toBe(3)
    // Another address still registers, until the global cap.
    await ok(clients.register(nativeBody, { now, clientAddress: "198.51.100.8" }))
    await ok(clients.register(nativeBody, { now, clientAddress: "198.51.100.9" }))
    expect((await fails(clients.register(nativeBody, { now, clientAddress: "198.51.100.10" }))).error).toBe("too_many_requests")
    expect(puts()).toBe(5)
    // A flood: nothing more is stored.
    for (let i = 0; i < 200; i++) await fails(clients.register(nativeBody, { now, clientAddress: "198.51.100.7" }))
    expect(puts()).toBe(5)
    // Two minutes later, the address may register again.
    await ok(clients.register(nativeBody, { now: now + 120_000, clientAddress: "198.51.100.7" }))
  })

  it("requires the initial access token when configured (RFC 7591 §3)", async () => {
    const { clients, ok, fails, puts } = await setup({ dynamicRegistration: { initialAccessToken: Redacted.make("initial-token-1234") } })
    expect(await fails(clients.register(nativeBody, { now }))).toMatchObject({ error: "invalid_token", status: 401 })
    const wrong = await fails(clients.register(nativeBody, { now, authorization: "Bearer initial-token-12345" }))
    expect(wrong.error).toBe("invalid_token")
    expect(wrong.description).not.toContain("initial-token")
    expect(puts()).toBe(0)
    await ok(clients.register(nativeBody, { now, authorization: "Bearer initial-token-1234" }))
  })

  it("a client never used expires (deleteExpired); a used one stays", async () => {
    const { store, clients, ok, fails } = await setup({ dynamicRegistration: { unusedClientTtl: "1 hour" } })
    const unused = await ok(clients.register(nativeBody, { now }))
    const used = await ok(clients.register(nativeBody, { now }))
    await ok(clients.touch(await ok(clients.resolve(used.client_id, now + 1000)), now + 1000))
    const later = now + 2 * 3600_000
    // Past its expiry it is unknown even before the sweep.
    expect((await fails(clients.resolve(unused.client_id, later))).error).toBe("invalid_client")
    expect(await Effect.runPromise(store.deleteExpired(later))).toBeGreaterThanOrEqual(1)
    expect(await Effect.runPromise(store.getClient(unused.client_id))).toMatchObject({ _tag: "None" })
    expect((await ok(clients.resolve(used.client_id, later))).clientId).toBe(used.client_id)
  })
})

describe("RFC 7592 client configuration", () => {
  it("reads, updates and deletes with the registration access token; any other token gets 401", async () => {
    const { clients, ok, fails } = await setup({ dynamicRegistration: {} })
    const info = await ok(clients.register(nativeBody, { now }))
    const other = await ok(clients.register(nativeBody, { now }))
    const bearer = `Bearer ${info.registration_access_token}`

    // §2.1 read.
    const read = await ok(clients.read(info.client_id, bearer, now))
    expect(read).toMatchObject({ client_id: info.client_id, redirect_uris: nativeBody.redirect_uris, registration_client_uri: info.registration_client_uri })
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${other.registration_access_token}`, `Basic ${info.registration_access_token}`]) {
      expect(await fails(clients.read(info.client_id, authorization, now))).toMatchObject({ error: "invalid_token", status: 401 })
    }
    expect((await fails(clients.read("no-such-client", bearer, now))).status).toBe(401)

    // §2.2 update: replaces the metadata; the request names the client.
    expect((await fails(clients.update(info.client_id, bearer, { ...nativeBody, client_name: "Renamed" }, now))).error).toBe("invalid_request")
    expect((await fails(clients.update(info.client_id, "Bearer wrong", { ...nativeBody, client_id: info.client_id }, now))).status).toBe(401)
    const renamed = await ok(
      clients.update(
        info.client_id,
        bearer,
        { ...nativeBody, client_id: info.client_id, client_name: "Renamed", redirect_uris: ["http://127.0.0.1/other"] },
        now
      )
    )
    expect(renamed).toMatchObject({ client_name: "Renamed", redirect_uris: ["http://127.0.0.1/other"] })
    const resolved = await ok(clients.resolve(info.client_id, now))
    expect(clients.redirectUriAllowed(resolved, "http://127.0.0.1/callback")).toBe(false)
    expect(clients.redirectUriAllowed(resolved, "http://127.0.0.1:5000/other")).toBe(true)
    // Becoming confidential issues a secret, which then authenticates.
    const confidential = await ok(
      clients.update(info.client_id, bearer, { ...nativeBody, client_id: info.client_id, token_endpoint_auth_method: "client_secret_post" }, now)
    )
    expect(confidential.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    await ok(clients.authenticate({ clientId: info.client_id, secret: confidential.client_secret!, method: "client_secret_post" }, now))
    // A wrong client_secret in the update body is refused (§2.2).
    const mismatched = await fails(
      clients.update(info.client_id, bearer, { ...nativeBody, client_id: info.client_id, client_secret: "wrong", token_endpoint_auth_method: "client_secret_post" }, now)
    )
    expect(mismatched.error).toBe("invalid_request")

    // §2.3 delete.
    expect((await fails(clients.remove(info.client_id, `Bearer ${other.registration_access_token}`, now))).status).toBe(401)
    await ok(clients.remove(info.client_id, bearer, now))
    expect((await fails(clients.resolve(info.client_id, now))).error).toBe("invalid_client")
    expect((await fails(clients.read(info.client_id, bearer, now))).status).toBe(401)
    expect((await ok(clients.resolve(other.client_id, now))).clientId).toBe(other.client_id)
  })
})

describe("client authentication (RFC 6749 §2.3.1)", () => {
  it("checks the secret, the method and the secret's expiry", async () => {
    const { clients, ok, fails } = await setup({ dynamicRegistration: { secretTtl: "1 hour" } })
    const info = await ok(clients.register({ redirect_uris: ["https://app.example.com/cb"], client_name: "Web" }, { now }))
    expect(info.client_secret_expires_at).toBe(Math.floor((now + 3600_000) / 1000))
    const secret = info.client_secret!
    const client = await ok(clients.authenticate({ clientId: info.client_id, secret, method: "client_secret_basic" }, now))
    expect(client).toMatchObject({ kind: "dynamic", confidential: true })

    const wrong = await fails(clients.authenticate({ clientId: info.client_id, secret: `${secret}x`, method: "client_secret_basic" }, now))
    expect(wrong).toMatchObject({ error: "invalid_client", status: 401 })
    expect(wrong.description).not.toContain(secret)
    expect((await fails(clients.authenticate({ clientId: info.client_id, method: "client_secret_basic" }, now))).error).toBe("invalid_client")
    expect((await fails(clients.authenticate({ clientId: info.client_id, secret, method: "client_secret_post" }, now))).description).toContain(
      "registered for client_secret_basic"
    )
    expect((await fails(clients.authenticate({ clientId: info.client_id, method: "none" }, now))).error).toBe("invalid_client")
    expect((await fails(clients.authenticate({ clientId: info.client_id, secret, method: "client_secret_basic" }, now + 3600_000))).description).toBe(
      "The client secret has expired"
    )
    expect((await fails(clients.authenticate({ secret, method: "client_secret_basic" }, now))).error).toBe("invalid_client")
    expect((await fails(clients.authenticate({ clientId: "nobody", secret, method: "client_secret_basic" }, now))).error).toBe("invalid_client")
  })

  it("pre-registered clients: kept in memory, secret as a digest, public or confidential", async () => {
    const { clients, ok, fails, puts } = await setup({
      clients: [
        { clientId: "ci-bot", secret: Redacted.make("a-long-enough-secret"), grantTypes: ["client_credentials"], scope: "tools:read" },
        { clientId: "desktop", redirectUris: ["http://127.0.0.1/cb"], name: "Desktop", applicationType: "native" },
        { clientId: "portal", secret: "another-long-secret", redirectUris: ["https://portal.example.com/cb"], tokenEndpointAuthMethod: "client_secret_post" }
      ]
    })
    expect(puts()).toBe(0)
    const bot = await ok(clients.authenticate({ clientId: "ci-bot", secret: "a-long-enough-secret", method: "client_secret_basic" }, now))
    expect(bot).toMatchObject({ kind: "static", confidential: true, metadata: { grant_types: ["client_credentials"], redirect_uris: [], scope: "tools:read" } })
    expect((await fails(clients.authenticate({ clientId: "ci-bot", secret: "a-long-enough-secreT", method: "client_secret_basic" }, now))).error).toBe(
      "invalid_client"
    )
    await ok(clients.authenticate({ clientId: "portal", secret: "another-long-secret", method: "client_secret_post" }, now))
    const desktop = await ok(clients.authenticate({ clientId: "desktop", method: "none" }, now))
    expect(desktop.metadata).toMatchObject({ client_name: "Desktop", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] })
    await ok(clients.touch(desktop, now))
  })

  it("refuses invalid pre-registered clients with a ConfigError naming the option", async () => {
    const store = await Effect.runPromise(OAuthStore.makeMemory)
    const attempt = (options: Omit<OAuthClients.Options, "registrationEndpoint">) =>
      Effect.runPromise(
        Effect.flip(OAuthClients.make({ registrationEndpoint, ...options }).pipe(Effect.provideService(OAuthStore.OAuthStore, store)))
      )
    expect(String(await attempt({ clients: [{ clientId: "a", secret: "short" }] }))).toContain("clients.0.secret")
    expect(String(await attempt({ clients: [{ clientId: "a", redirectUris: ["/relative"] }] }))).toContain("not an absolute URI")
    const twice = { clientId: "a", redirectUris: ["https://a.example/cb"] }
    expect(String(await attempt({ clients: [twice, twice] }))).toContain("registered twice")
    expect(String(await attempt({ clients: [{ clientId: "https://x.example/c.json", redirectUris: ["https://x.example/cb"] }] }))).toContain(
      "must not be an http(s) URL"
    )
    expect(String(await attempt({ clients: [{ clientId: "a", tokenEndpointAuthMethod: "client_secret_basic" }] }))).toContain("is required")
    expect(
      String(await Effect.runPromise(Effect.flip(OAuthClients.make({ registrationEndpoint: "/register" }).pipe(Effect.provideService(OAuthStore.OAuthStore, store)))))
    ).toContain("registrationEndpoint")
  })

  it("parses Authorization: Basic per RFC 6749 §2.3.1 (form-urlencoded id and secret)", () => {
    const header = `Basic ${Buffer.from(`${encodeURIComponent("my client")}:${encodeURIComponent("p@ss:word%")}`).toString("base64")}`
    expect(OAuthClients.parseBasicAuthorization(header)).toMatchObject({ _tag: "Some", value: { clientId: "my client", secret: "p@ss:word%" } })
    expect(OAuthClients.parseBasicAuthorization("Bearer abc")).toMatchObject({ _tag: "None" })
    expect(OAuthClients.parseBasicAuthorization(`Basic ${Buffer.from("no-colon").toString("base64")}`)).toMatchObject({ _tag: "None" })
    expect(OAuthClients.parseBasicAuthorization(`Basic ${Buffer.from("%E0%A4%A:x").toString("base64")}`)).toMatchObject({ _tag: "None" })
  })
})

describe("redirect URI matching", () => {
  const webClient: OAuthClients.ResolvedClient = {
    clientId: "web",
    kind: "static",
    confidential: true,
    metadata: {
      redirect_uris: ["https://app.example.com/callback?x=1"],
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      application_type: "web"
    }
  }
  const nativeClient: OAuthClients.ResolvedClient = {
    ...webClient,
    clientId: "native",
    metadata: { ...webClient.metadata, redirect_uris: ["http://127.0.0.1/callback", "http://[::1]:8080/cb"], application_type: "native" }
  }

  it("is exact (OAuth 2.1 §2.3.1): one character of difference is refused", async () => {
    const { clients } = await setup({})
    expect(clients.redirectUriAllowed(webClient, "https://app.example.com/callback?x=1")).toBe(true)
    for (
      const uri of [
        "https://app.example.com/callback?x=2",
        "https://app.example.com/callback?x=1&y=2",
        "https://app.example.com/callback",
        "https://app.example.com/Callback?x=1",
        "https://app.example.com:443/callback?x=1",
        "https://APP.example.com/callback?x=1",
        "https://app.example.com/callback?x=1#f",
        "http://app.example.com/callback?x=1"
      ]
    ) expect([uri, clients.redirectUriAllowed(webClient, uri)]).toEqual([uri, false])
  })

  it("lets a native client's loopback redirect vary only the port (RFC 8252 §7.3)", async () => {
    const { clients } = await setup({})
    for (const uri of ["http://127.0.0.1/callback", "http://127.0.0.1:51234/callback", "http://[::1]:9/cb", "http://[::1]/cb"]) {
      expect([uri, clients.redirectUriAllowed(nativeClient, uri)]).toEqual([uri, true])
    }
    for (
      const uri of [
        "http://127.0.0.1:51234/callback/",
        "http://127.0.0.1:51234/callback?x=1",
        "http://localhost:51234/callback",
        "http://127.0.0.1:0/callback",
        "http://127.0.0.1:99999/callback",
        "http://127.0.0.1:051234/callback",
        "https://127.0.0.1:51234/callback",
        "http://127.0.0.1:51234/callback#x",
        "http://127.0.0.1:51234@evil.example/callback"
      ]
    ) expect([uri, clients.redirectUriAllowed(nativeClient, uri)]).toEqual([uri, false])
    // A web client does not get the exception.
    expect(clients.redirectUriAllowed({ ...nativeClient, metadata: { ...nativeClient.metadata, application_type: "web" } }, "http://127.0.0.1:51234/callback")).toBe(false)
  })

  it("property: any string that differs from the registered web URIs is refused", async () => {
    const { clients } = await setup({})
    fc.assert(
      fc.property(
        fc.webUrl({ validSchemes: ["https"], withQueryParameters: true }),
        fc.nat(),
        fc.oneof(fc.constant(""), fc.string({ minLength: 1, maxLength: 3 })),
        fc.nat({ max: 3 }),
        (registered, at, insert, remove) => {
          const i = at % (registered.length + 1)
          const candidate = registered.slice(0, i) + insert + registered.slice(i + remove)
          const client = { ...webClient, metadata: { ...webClient.metadata, redirect_uris: [registered] } }
          expect(clients.redirectUriAllowed(client, candidate)).toBe(candidate === registered)
        }
      ),
      // fc.webUrl is slow to generate (milliseconds each).
      { numRuns: 200 }
    )
  }, 30_000)

  it("property: a native loopback redirect that differs other than by the port is refused", async () => {
    const { clients } = await setup({})
    const registered = "http://127.0.0.1/oauth/callback"
    const client = { ...nativeClient, metadata: { ...nativeClient.metadata, redirect_uris: [registered] } }
    fc.assert(
      fc.property(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), fc.nat({ max: 3 }), (at, insert, remove) => {
        const i = at % (registered.length + 1)
        const candidate = registered.slice(0, i) + insert + registered.slice(i + remove)
        const portOnly = /^http:\/\/127\.0\.0\.1(:[1-9]\d{0,4})?\/oauth\/callback$/.test(candidate) &&
          Number(candidate.match(/:(\d+)\//)?.[1] ?? "1") <= 65535
        expect([candidate, clients.redirectUriAllowed(client, candidate)]).toEqual([candidate, candidate === registered || portOnly])
      }),
      { numRuns: 500 }
    )
  })
})
