/**
 * An `AuthorizationServer` served over real HTTP on loopback for tests, and
 * a small browser (cookie jar, manual redirects, form posts) to drive its
 * pages the way a user would.
 *
 * ```ts
 * const server = await startAuthorizationServer({ resources: [...], localLogin })
 * const browser = new Browser()
 * const page = await browser.get(server.url("/authorize?…"))
 * await server.close()
 * ```
 */
import { createServer } from "node:http"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Exit, Layer, Option, Redacted, Scope } from "effect"
import * as Authentication from "../../src/Authentication.js"
import { fromHeaders } from "../../src/Authenticator.js"
import * as AuthorizationServer from "../../src/AuthorizationServer.js"
import * as OAuthStore from "../../src/OAuthStore.js"
import * as UpstreamTokens from "../../src/UpstreamTokens.js"
import { challengeOf } from "../../src/internal/oauth/pkce.js"
import { freePort } from "./postgres.js"

/** A running server. */
export interface StartedAuthorizationServer {
  readonly issuer: string
  /** Where this server listens (the issuer's origin, unless replicas share an issuer). */
  readonly origin: string
  readonly service: AuthorizationServer.Service
  readonly store: OAuthStore.Service
  /** The upstream tokens service the server's Layer provides. */
  readonly upstreamTokens: UpstreamTokens.Service
  /** An absolute URL on the server. */
  readonly url: (path: string) => string
  readonly close: () => Promise<void>
}

/** A fixed test encryption key (tests only). */
export const TEST_KEY = Redacted.make("test-encryption-key-0123456789-abcdefghij")

/** Resource URIs the test servers protect. */
export const RESOURCE = "https://mcp.test/mcp"
export const OTHER_RESOURCE = "https://other.test/mcp"

/** Local accounts: `alice`/`wonderland` (may have every scope), `bob`/`builder` (files:read only). */
export const localLogin: AuthorizationServer.Options["localLogin"] = (username, password) =>
  Effect.succeed(
    username === "alice" && password === "wonderland"
      ? Option.some({ subject: "alice", name: "Alice", roles: ["admin"], tenant: "acme" })
      : username === "bob" && password === "builder"
      ? Option.some({ subject: "bob", scopes: ["files:read"] })
      : Option.none()
  )

/** Options most tests share: two resources, local login, a public client and a confidential one. */
export const baseOptions = (issuer: string): AuthorizationServer.Options => ({
  issuer,
  name: "Test MCP",
  resources: [
    { uri: RESOURCE, name: "Files", scopes: [{ name: "files:read", description: "Read your files" }, "files:write"], defaultScopes: ["files:read"] },
    { uri: OTHER_RESOURCE, scopes: ["other"] }
  ],
  localLogin,
  encryptionKey: TEST_KEY,
  clients: {
    clients: [
      {
        clientId: "public-app",
        redirectUris: ["http://127.0.0.1:9999/callback", "com.example.app:/oauth"],
        grantTypes: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
        tokenEndpointAuthMethod: "none",
        name: "Public App",
        applicationType: "native"
      },
      {
        clientId: "second-app",
        redirectUris: ["http://127.0.0.1:9998/callback"],
        grantTypes: ["authorization_code", "refresh_token"],
        tokenEndpointAuthMethod: "none",
        name: "Second App",
        applicationType: "native"
      },
      {
        clientId: "service",
        secret: "service-secret-0123456789",
        redirectUris: ["https://service.test/callback"],
        grantTypes: ["client_credentials"],
        tokenEndpointAuthMethod: "client_secret_basic",
        scope: "files:read other"
      },
      {
        clientId: "resource-server",
        secret: "resource-server-secret-0123456789",
        redirectUris: ["https://rs.test/callback"],
        grantTypes: ["client_credentials"],
        tokenEndpointAuthMethod: "client_secret_basic"
      }
    ]
  }
})

/**
 * Starts a server on a free loopback port (the issuer is known before it
 * listens). `options` receives the issuer; `store` defaults to a fresh
 * memory store.
 */
export const startAuthorizationServer = async (
  options: (issuer: string) => AuthorizationServer.Options = baseOptions,
  store: Layer.Layer<OAuthStore.OAuthStore, unknown> = OAuthStore.memory,
  /** The issuer, when replicas behind one public URL share it (default: this server's own URL). */
  sharedIssuer?: string
): Promise<StartedAuthorizationServer> => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const issuer = sharedIssuer ?? origin
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(AuthorizationServer.layer(options(issuer)).pipe(Layer.provideMerge(store)), scope))
  const service = Context.get(context, AuthorizationServer.AuthorizationServer)
  const storeService = Context.get(context, OAuthStore.OAuthStore)
  const upstreamTokens = Context.get(context, UpstreamTokens.UpstreamTokens)
  await Effect.runPromise(
    Layer.buildWithScope(
      HttpServer.serve(service.app).pipe(Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))),
      scope
    )
  )
  return {
    issuer,
    service,
    store: storeService,
    upstreamTokens,
    origin,
    url: (path) => `${origin}${path}`,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** A response as the browser saw it. */
export interface Seen {
  readonly status: number
  readonly headers: Headers
  readonly body: string
  readonly location: string | undefined
}

/** A browser: a cookie jar, redirects not followed (tests look at each), form posts. */
export class Browser {
  readonly cookies = new Map<string, string>()

  private remember(headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(";")
      const eq = pair!.indexOf("=")
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (/max-age=0/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") }
  }

  async get(url: string): Promise<Seen> {
    const response = await fetch(url, { redirect: "manual", headers: this.cookieHeader() })
    this.remember(response.headers)
    return { status: response.status, headers: response.headers, body: await response.text(), location: response.headers.get("location") ?? undefined }
  }

  async post(url: string, form: Readonly<Record<string, string>>): Promise<Seen> {
    const response = await fetch(url, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...this.cookieHeader() },
      body: new URLSearchParams(form).toString()
    })
    this.remember(response.headers)
    return { status: response.status, headers: response.headers, body: await response.text(), location: response.headers.get("location") ?? undefined }
  }

  /** Follows redirects on `origin` (relative or absolute), stopping at a page or at a redirect leaving it. */
  async follow(url: string, origin: string): Promise<Seen & { readonly url: string }> {
    let current = url
    for (let i = 0; i < 10; i++) {
      const seen = await this.get(current)
      if (seen.location === undefined) return { ...seen, url: current }
      const next = new URL(seen.location, current).toString()
      if (!next.startsWith(origin)) return { ...seen, url: current }
      current = next
    }
    throw new Error("too many redirects")
  }
}

/** The value of a hidden or named input on a page. */
export const inputValue = (html: string, name: string): string | undefined =>
  new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, "&")

/** A PKCE pair. */
export const pkce = (verifier = "v".repeat(20) + "-verifier-0123456789abcdefghij") => ({ verifier, challenge: challengeOf(verifier) })

/** The authorization URL of a request. */
export const authorizeUrl = (server: StartedAuthorizationServer, params: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>) => {
  const url = new URL(server.url("/authorize"))
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue
    for (const value of typeof v === "string" ? [v] : v) url.searchParams.append(k, value)
  }
  return url.toString()
}

/**
 * Runs an authorization request through login and consent as `username`,
 * returning the redirect to the client (with `code`, `state`, `iss`, or an error).
 */
export const authorizeAs = async (
  server: StartedAuthorizationServer,
  browser: Browser,
  params: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  account: { readonly username: string; readonly password: string } | undefined = { username: "alice", password: "wonderland" },
  decision: "allow" | "deny" = "allow"
): Promise<URL> => {
  let seen = await browser.follow(authorizeUrl(server, params), server.origin)
  if (seen.location !== undefined) return new URL(seen.location)
  if (seen.url.includes("/login") && account !== undefined) {
    const interaction = inputValue(seen.body, "interaction")!
    const posted = await browser.post(server.url("/login"), {
      interaction,
      csrf_token: inputValue(seen.body, "csrf_token")!,
      username: account.username,
      password: account.password
    })
    if (posted.location === undefined) throw new Error(`login refused: ${posted.status}`)
    seen = await browser.follow(new URL(posted.location, server.origin).toString(), server.origin)
    if (seen.location !== undefined) return new URL(seen.location)
  }
  if (!seen.url.includes("/consent")) throw new Error(`expected the consent page, got ${seen.url} (${seen.status})`)
  const answered = await browser.post(server.url("/consent"), {
    interaction: inputValue(seen.body, "interaction")!,
    csrf_token: inputValue(seen.body, "csrf_token")!,
    decision
  })
  if (answered.location === undefined) throw new Error(`consent answered ${answered.status}: ${answered.body.slice(0, 200)}`)
  return new URL(answered.location)
}

/** Posts a form to the token endpoint (or another API endpoint), returning status and JSON. */
export const postForm = async (
  url: string,
  form: Readonly<Record<string, string | ReadonlyArray<string>>>,
  headers: Readonly<Record<string, string>> = {}
): Promise<{ readonly status: number; readonly body: Record<string, unknown>; readonly headers: Headers }> => {
  const body = new URLSearchParams()
  for (const [k, v] of Object.entries(form)) for (const value of typeof v === "string" ? [v] : v) body.append(k, value)
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body })
  const text = await response.text()
  return { status: response.status, body: text === "" ? {} : JSON.parse(text) as Record<string, unknown>, headers: response.headers }
}

/** HTTP Basic credentials (RFC 6749 §2.3.1). */
export const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`
})

/** Verifies an access token as an MCP server for `resource` would (a fresh `Authentication` chain over the server's authenticator). */
export const verifyToken = (server: StartedAuthorizationServer, accessToken: string, resource = RESOURCE) =>
  Effect.runPromiseExit(
    Authentication.make([server.service.authenticator(resource)]).authenticate(fromHeaders({ authorization: `Bearer ${accessToken}` }))
  )
