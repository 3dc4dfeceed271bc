/**
 * A backend's own OAuth client credentials (RFC 6749 §4.4) against a real
 * authorization server (`oidc-provider` on loopback, JWT access tokens for
 * the resource named with RFC 8707 `resource`) and a real backend that
 * requires them (`BearerGuard` + `Jwt` over HTTP, verifying `aud` = its own
 * URL with no clock tolerance): spec 2025-11-25 basic/authorization. The
 * gateway sends its own token, never its caller's; a token is refreshed in
 * the background before it expires, and replaced at once when the backend
 * refuses it.
 */
import { Authentication, Authenticator, BearerGuard, Jwt, Principal } from "@emcee/auth"
import { McpClient, McpServer, Tool } from "@emcee/core"
import { HttpTransport, MemoryTransport } from "@emcee/transport"
import * as jose from "jose"
import { Effect, Layer, Redacted, type Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type StartedOidcProvider, startOidcProvider } from "../../auth/test/support/oidcProvider.js"
import type * as Backend from "../src/Backend.js"
import * as Gateway from "../src/Gateway.js"
import { freePort } from "./support/backends.js"

const CLIENT_ID = "emcee-gateway"
const CLIENT_SECRET = "gateway-secret-0123456789abcdef"
/** Seconds: short, so several tokens are used in one test. */
const TOKEN_TTL = 4

/** A guarded backend: who called (as the backend's own `Principal`), and every verification of a token. */
interface ProtectedBackend {
  readonly url: string
  /** Each token verification, in order (the backend's cache is off: every request is verified). */
  readonly verifications: Array<{ readonly token: string; readonly ok: boolean; readonly reason?: string }>
  /** Tokens the backend refuses from now on (as if revoked). */
  readonly revoked: Set<string>
}

const startProtectedBackend = (issuer: string): Effect.Effect<ProtectedBackend, never, Scope.Scope> =>
  Effect.gen(function*() {
    const port = yield* Effect.promise(() => freePort())
    const url = `http://127.0.0.1:${port}/mcp`
    const verifications: ProtectedBackend["verifications"] = []
    const revoked = new Set<string>()
    // spec basic/authorization "Token Handling": the audience is this server's canonical URI; expired tokens are refused.
    const jwt = Jwt.make({ issuer, audience: url, jwksUrl: `${issuer}/jwks`, clockToleranceSeconds: 0 })
    const recording: Authenticator.Authenticator = {
      ...jwt,
      verify: (token) =>
        (revoked.has(token) ? Effect.fail(new Authenticator.AuthenticationError({ reason: "invalid", description: "The token was revoked" })) : jwt.verify(token)).pipe(
          Effect.tap(() => Effect.sync(() => void verifications.push({ token, ok: true }))),
          Effect.tapError((error) => Effect.sync(() => void verifications.push({ token, ok: false, reason: error.description })))
        )
    }
    const whoami = Tool.make("whoami", {
      handler: () => Effect.map(Principal.Principal, (caller) => JSON.stringify({ subject: caller.subject, scopes: [...caller.scopes] }))
    })
    const app = yield* Layer.build(
      McpServer.register(Authentication.middleware, whoami).pipe(
        Layer.provideMerge(McpServer.layer({ name: "protected-backend", version: "1.0.0" })),
        Layer.provideMerge(Authentication.layer([recording], { maxAgeMillis: 0 }))
      )
    )
    const guard = yield* BearerGuard.make({ resource: url, authorizationServers: [issuer] }).pipe(Effect.provide(app))
    yield* HttpTransport.make({ port, host: "127.0.0.1", guard }).pipe(Effect.provide(app), Effect.orDie)
    return { url, verifications, revoked }
  })

const serverOptions = { name: "gateway", version: "1.0.0", capabilities: { tools: { listChanged: true } } } as unknown as McpServer.Options

/** Runs `body` with a gateway in front of `backends`, once every backend was tried. */
const withGateway = <A>(options: Gateway.Options, body: Effect.Effect<A, unknown, Gateway.Gateway | McpServer.McpServer | Scope.Scope>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Gateway.layer(options).pipe(Layer.provideMerge(McpServer.layer(serverOptions))))
    return yield* Effect.provide(Effect.zipRight(Gateway.awaitSettled(), body), context)
  })

/** A caller of the gateway authenticated as `subject` (its own identity, which must never reach the backend). */
const caller = (subject: string) =>
  Effect.gen(function*() {
    const transport = yield* MemoryTransport.make({ context: Authentication.contextOf(Principal.make(subject, ["gateway:use"], { kind: "jwt" })) })
    return yield* McpClient.make({ transport, clientInfo: { name: "caller", version: "1.0.0" }, protocolVersion: "2025-11-25" })
  })

const textOf = (result: { readonly content: ReadonlyArray<unknown> }) => (result.content[0] as { readonly text: string }).text

describe("Gateway backends with OAuth client credentials (spec 2025-11-25 basic/authorization, RFC 6749 §4.4, RFC 8707)", { timeout: 60_000 }, () => {
  let op: StartedOidcProvider
  beforeAll(async () => {
    op = await startOidcProvider({
      redirectUris: [],
      configuration: {
        clients: [{
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          grant_types: ["client_credentials"],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: "client_secret_basic"
        }],
        features: {
          clientCredentials: { enabled: true },
          // RFC 8707: a token for a named resource is a JWT (RFC 9068) whose audience is that resource.
          resourceIndicators: {
            enabled: true,
            getResourceServerInfo: (_ctx: unknown, resource: string) => ({ scope: "mcp:tools", audience: resource, accessTokenTTL: TOKEN_TTL, accessTokenFormat: "jwt" }),
            useGrantedResource: () => true
          }
        }
      }
    })
  })
  afterAll(async () => {
    await op?.close()
  })

  const credentials = (overrides: Partial<Backend.ClientCredentials> = {}): Backend.ClientCredentials => ({
    _tag: "ClientCredentials",
    issuer: op.issuer,
    clientId: CLIENT_ID,
    clientSecret: Redacted.make(CLIENT_SECRET),
    scope: "mcp:tools",
    ...overrides
  })

  it("calls go through with the gateway's own token, refreshed in the background before it expires: no call fails, no expired token is sent", async () => {
    const outcome = await Effect.runPromise(Effect.gen(function*() {
      const backend = yield* startProtectedBackend(op.issuer)
      const tokenRequestsBefore = op.count("POST", "/token")
      return yield* withGateway(
        { backends: [{ name: "p", endpoint: { _tag: "Http", url: backend.url }, credentials: credentials() }] },
        Effect.gen(function*() {
          const gateway = yield* Gateway.Gateway
          const status = (yield* gateway.backends)[0]!
          const alice = yield* caller("alice")
          const results: Array<{ readonly isError: boolean; readonly text: string }> = []
          // Calls over more than two token lifetimes.
          const until = Date.now() + (TOKEN_TTL * 2 + 1) * 1000
          while (Date.now() < until) {
            const result = yield* alice.callTool("p_whoami", {})
            results.push({ isError: result.isError === true, text: textOf(result) })
            yield* Effect.sleep("200 millis")
          }
          return { status, results, url: backend.url, verifications: [...backend.verifications], tokenRequests: op.count("POST", "/token") - tokenRequestsBefore }
        })
      )
    }).pipe(Effect.scoped))
    expect(outcome.status.state).toBe("up")
    expect(outcome.results.length).toBeGreaterThan(10)
    for (const result of outcome.results) {
      expect(result.isError).toBe(false)
      // The backend sees the gateway's client (RFC 9068 `sub` of a client credentials token), never the caller.
      expect(JSON.parse(result.text)).toEqual({ subject: CLIENT_ID, scopes: ["mcp:tools"] })
    }
    // Every request the backend verified carried a valid token: none was refused (expired) on the way.
    expect(outcome.verifications.filter((v) => !v.ok)).toEqual([])
    const tokens = [...new Set(outcome.verifications.map((v) => v.token))]
    expect(tokens.length).toBeGreaterThanOrEqual(3)
    expect(outcome.tokenRequests).toBeGreaterThanOrEqual(3)
    for (const token of tokens) {
      const claims = jose.decodeJwt(token)
      // RFC 8707: the token was asked for this backend (its URL, the default `resource`).
      expect(claims.aud).toBe(outcome.url)
      expect(claims.client_id ?? claims.sub).toBe(CLIENT_ID)
    }
  })

  // 2026-07-28: forwarded over the HttpHop, which carries the token itself; 2025-11-25: through McpClient.
  for (const protocolVersion of ["2026-07-28", "2025-11-25"] as const) {
  it(`a token the backend refuses (HTTP 401) is replaced at once and the call goes through; tokenUrl instead of discovery (${protocolVersion})`, async () => {
    const outcome = await Effect.runPromise(Effect.gen(function*() {
      const backend = yield* startProtectedBackend(op.issuer)
      return yield* withGateway(
        {
          backends: [{
            name: "p",
            endpoint: { _tag: "Http", url: backend.url },
            // The token endpoint given, client_secret_post.
            credentials: {
              _tag: "ClientCredentials",
              tokenUrl: `${op.issuer}/token`,
              clientId: CLIENT_ID,
              clientSecret: Redacted.make(CLIENT_SECRET),
              scope: "mcp:tools",
              authMethod: "client_secret_post"
            },
            protocolVersion
          }]
        },
        Effect.gen(function*() {
          const alice = yield* caller("alice")
          const first = yield* alice.callTool("p_whoami", {})
          const used = backend.verifications.at(-1)!.token
          backend.revoked.add(used)
          const before = backend.verifications.length
          const second = yield* alice.callTool("p_whoami", {})
          return { first, second, used, after: backend.verifications.slice(before), audience: jose.decodeJwt(used).aud, url: backend.url }
        })
      )
    }).pipe(Effect.scoped))
    expect(outcome.audience).toBe(outcome.url)
    expect(outcome.first.isError).not.toBe(true)
    expect(outcome.second.isError).not.toBe(true)
    expect(JSON.parse(textOf(outcome.second))).toMatchObject({ subject: CLIENT_ID })
    // Refused once, then the same request went again with a new token.
    expect(outcome.after[0]).toMatchObject({ token: outcome.used, ok: false })
    expect(outcome.after.slice(1).every((v) => v.ok && v.token !== outcome.used)).toBe(true)
  })
  }

  it("a wrong client secret leaves the backend down with a message naming the token request; calls fail naming the backend", async () => {
    const outcome = await Effect.runPromise(Effect.gen(function*() {
      const backend = yield* startProtectedBackend(op.issuer)
      return yield* withGateway(
        { backends: [{ name: "p", endpoint: { _tag: "Http", url: backend.url }, credentials: credentials({ clientSecret: Redacted.make("wrong-secret") }) }] },
        Effect.map(Gateway.Gateway, (gateway) => gateway.backends).pipe(Effect.flatten)
      )
    }).pipe(Effect.scoped))
    expect(outcome[0]!.state).toBe("down")
    expect(outcome[0]!.lastError).toMatch(/getting its access token: the token request at http:\/\/127\.0\.0\.1:\d+\/token failed: HTTP 401/)
    expect(outcome[0]!.lastError).not.toContain("wrong-secret")
  })

  it("invalid credentials are refused when the backend is added, with a clear message", async () => {
    const problems = await Effect.runPromise(Effect.gen(function*() {
      return yield* withGateway(
        { backends: [] },
        Effect.gen(function*() {
          const gateway = yield* Gateway.Gateway
          const attempt = (backend: Backend.Backend) => gateway.add(backend).pipe(Effect.flip, Effect.map((error) => error.message))
          return [
            yield* attempt({ name: "a", endpoint: { _tag: "Http", url: "http://127.0.0.1:1/mcp" }, credentials: credentials({ issuer: "http://auth.example.com" }) }),
            yield* attempt({ name: "b", endpoint: { _tag: "Stdio", command: "true" }, credentials: credentials() }),
            yield* attempt({ name: "c", endpoint: { _tag: "Http", url: "http://127.0.0.1:1/mcp" }, credentials: credentials({ tokenUrl: "https://auth.example.com/token" }) })
          ]
        })
      )
    }).pipe(Effect.scoped))
    expect(problems).toEqual([
      `backend "a": issuer "http://auth.example.com" must be an https: URL (http: only on loopback)`,
      `backend "b": client credentials are for HTTP backends only`,
      `backend "c": client credentials need exactly one of tokenUrl and issuer`
    ])
  })
})
