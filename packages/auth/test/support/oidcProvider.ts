/**
 * A real OpenID Connect provider for tests: `oidc-provider` (8.x, the
 * certified implementation by panva) on a free loopback port, with one
 * client registered for the given redirect URI(s), and a `login` that drives
 * its development login and consent forms (`features.devInteractions`) with
 * `fetch` and a small cookie jar, as a browser would.
 *
 * ```ts
 * let op: StartedOidcProvider
 * beforeAll(async () => { op = await startOidcProvider({ redirectUris: ["http://127.0.0.1:4000/callback"] }) })
 * afterAll(() => op?.close())
 *
 * // authorizationUrl: what the code under test redirects the browser to
 * const callback = await op.login(authorizationUrl, "alice")
 * // callback: http://127.0.0.1:4000/callback?code=…&state=…&iss=…
 * ```
 *
 * Defaults: any username logs in (the password is ignored) with the claims
 * `{ sub: username, name, preferred_username, email: username@example.com,
 * email_verified: true }`; `accounts` gives others (and can refuse a user by
 * returning undefined). Scopes `openid profile email offline_access`; the
 * `profile` scope carries `name`, `preferred_username` and `groups`
 * (`scopeClaims` adds more). The client is confidential
 * (`client_secret_basic`), may use `authorization_code` and `refresh_token`,
 * and PKCE is required. A refresh token is issued when the request has
 * `offline_access` and `prompt=consent`; refresh tokens rotate on use (a
 * reused one is refused and revokes its grant). The provider advertises and
 * sends the RFC 9207 `iss` authorization response parameter. Signing keys
 * and cookie keys are generated per start.
 *
 * `issuerPath` mounts the provider under a path (an issuer like
 * `http://127.0.0.1:PORT/{tenant}/v2.0`); `intercept` serves extra routes on
 * the same origin (a rewritten discovery document, say); `configuration` is
 * merged over the provider configuration above (see oidc-provider's docs).
 * `requests` logs every request's method and path, to count discovery or
 * token calls. oidc-provider prints a few development warnings on start
 * (in-memory adapter, devInteractions): expected here.
 */
import { randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as jose from "jose"
import Provider, { type Configuration } from "oidc-provider"

/** Options of `startOidcProvider`. */
export interface OidcProviderOptions {
  /** The client's registered redirect URI(s), compared exactly by the provider. */
  readonly redirectUris: ReadonlyArray<string>
  /** Default `emcee-test`. */
  readonly clientId?: string
  /** Default: random. Ignored with `tokenEndpointAuthMethod: "none"`. */
  readonly clientSecret?: string
  /** Default `client_secret_basic`. */
  readonly tokenEndpointAuthMethod?: "client_secret_basic" | "client_secret_post" | "none"
  /** The claims of the account a username logs in as (undefined: no such account, the login fails). */
  readonly accounts?: (username: string) => Record<string, unknown> | undefined
  /** Claims released per scope, merged over the defaults (`{ profile: ["name", "groups", "org"] }`). */
  readonly scopeClaims?: Readonly<Record<string, ReadonlyArray<string>>>
  /** Mounts the provider under this path: the issuer is `http://127.0.0.1:PORT{issuerPath}`. */
  readonly issuerPath?: string
  /** Handles a request before the provider does; true when it answered. */
  readonly intercept?: (request: IncomingMessage, response: ServerResponse, origin: string) => boolean
  /** Merged over the provider configuration (top level; `features` and `claims` are merged one level deeper). */
  readonly configuration?: Readonly<Record<string, unknown>>
}

/** What `login` can do besides logging in. */
export interface LoginOptions {
  /** Cancel at the consent screen (the provider redirects `error=access_denied`). */
  readonly deny?: boolean
}

/** A running provider. */
export interface StartedOidcProvider {
  /** The issuer identifier (`http://127.0.0.1:PORT` plus `issuerPath`). */
  readonly issuer: string
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string
  readonly clientId: string
  readonly clientSecret: string
  /** Every request received, in order. */
  readonly requests: ReadonlyArray<{ readonly method: string; readonly path: string }>
  /** How many requests had this method and path (`count("POST", "/token")`; the path includes `issuerPath`). */
  readonly count: (method: string, path: string) => number
  /**
   * Logs `username` in from an authorization URL: follows redirects,
   * submits the login form (any password) and the consent form, and returns
   * the URL the provider finally redirects to at a registered redirect URI
   * (with `code`, `state` and `iss`, or `error`). Each call has its own
   * cookies (a fresh browser). Throws with the provider's error page text
   * when it refuses the request (bad client, bad redirect URI, no PKCE…).
   */
  readonly login: (authorizationUrl: URL | string, username?: string, options?: LoginOptions) => Promise<URL>
  /** Stops the server; safe to call twice. */
  readonly close: () => Promise<void>
}

const defaultAccount = (username: string): Record<string, unknown> => ({
  sub: username,
  name: username,
  preferred_username: username,
  email: `${username}@example.com`,
  email_verified: true
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** A text excerpt of an HTML page (for error messages). */
const textOf = (html: string): string =>
  html.replace(/<style[\s\S]*?<\/style>/gi, " ").replace(/<[^>]+>/g, " ").replace(/&[a-z#0-9]+;/gi, " ").replace(/\s+/g, " ").trim().slice(0, 400)

/** Starts the provider on a free loopback port. */
export const startOidcProvider = async (options: OidcProviderOptions): Promise<StartedOidcProvider> => {
  const clientId = options.clientId ?? "emcee-test"
  const authMethod = options.tokenEndpointAuthMethod ?? "client_secret_basic"
  const clientSecret = options.clientSecret ?? randomBytes(24).toString("base64url")
  const issuerPath = (options.issuerPath ?? "").replace(/\/+$/, "")
  if (issuerPath !== "" && !issuerPath.startsWith("/")) throw new TypeError("startOidcProvider: issuerPath must start with /")
  const accounts = options.accounts ?? defaultAccount
  const requests: Array<{ method: string; path: string }> = []

  const handlers: { handle?: (request: IncomingMessage, response: ServerResponse) => void } = {}
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1")
    requests.push({ method: request.method ?? "GET", path: url.pathname })
    if (options.intercept?.(request, response, origin) === true) return
    const handle = handlers.handle
    if (handle === undefined) {
      response.writeHead(503).end()
      return
    }
    if (issuerPath !== "") {
      const raw = request.url ?? "/"
      if (raw !== issuerPath && !raw.startsWith(`${issuerPath}/`) && !raw.startsWith(`${issuerPath}?`)) {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found")
        return
      }
      // As connect/express mount it: oidc-provider derives its mount path from originalUrl.
      ;(request as IncomingMessage & { originalUrl?: string }).originalUrl = raw
      request.url = raw.slice(issuerPath.length) || "/"
    }
    handle(request, response)
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const issuer = `${origin}${issuerPath}`

  const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true })
  const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: randomBytes(6).toString("hex"), alg: "RS256", use: "sig" }
  const extra = options.configuration ?? {}
  const defaults: Record<string, unknown> = {
    clients: [
      {
        client_id: clientId,
        ...(authMethod === "none" ? {} : { client_secret: clientSecret }),
        token_endpoint_auth_method: authMethod,
        redirect_uris: [...options.redirectUris],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"]
      }
    ],
    async findAccount(_ctx: unknown, sub: string) {
      const claims = accounts(sub)
      if (claims === undefined) return undefined
      return { accountId: sub, claims: async () => ({ ...claims, sub }) }
    },
    scopes: ["openid", "offline_access", "profile", "email"],
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    // OAuth 2.1 §4.1.1: PKCE for every client.
    pkce: { methods: ["S256"], required: () => true },
    rotateRefreshToken: true,
    // Explicit lifetimes (seconds), which also keeps oidc-provider from printing a notice for each default.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600
    }
  }
  const configuration: Record<string, unknown> = {
    ...defaults,
    ...extra,
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username", "groups"],
      ...options.scopeClaims,
      ...(isRecord(extra["claims"]) ? extra["claims"] : {})
    },
    features: { devInteractions: { enabled: true }, ...(isRecord(extra["features"]) ? extra["features"] : {}) }
  }
  // Assembled from parts typed loosely (`configuration` overrides): oidc-provider validates it on construction.
  const provider = new Provider(issuer, configuration as Configuration)
  // Keep failures out of the console but available when a test needs them.
  provider.on("server_error", () => {})
  handlers.handle = provider.callback()

  const redirectTargets = options.redirectUris.map((u) => {
    const url = new URL(u)
    return `${url.origin}${url.pathname}`
  })
  const isRedirectTarget = (url: URL) => redirectTargets.includes(`${url.origin}${url.pathname}`)

  const login = async (authorizationUrl: URL | string, username = "alice", loginOptions: LoginOptions = {}): Promise<URL> => {
    const jar = new Map<string, string>()
    const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ")
    const remember = (response: Response) => {
      for (const line of response.headers.getSetCookie()) {
        const [pair = "", ...attributes] = line.split(";")
        const eq = pair.indexOf("=")
        if (eq <= 0) continue
        const name = pair.slice(0, eq).trim()
        const value = pair.slice(eq + 1).trim()
        const expired = attributes.some((a) => {
          const [k = "", v = ""] = a.split("=")
          return k.trim().toLowerCase() === "expires" && Date.parse(v.trim()) <= Date.now()
        })
        if (expired || value === "") jar.delete(name)
        else jar.set(name, value)
      }
    }
    let next = new URL(authorizationUrl)
    let method = "GET"
    let body: URLSearchParams | undefined
    for (let step = 0; step < 25; step++) {
      if (isRedirectTarget(next)) return next
      if (next.origin !== origin) throw new Error(`login: unexpected redirect to ${next.origin}${next.pathname}`)
      const response = await fetch(next, {
        method,
        redirect: "manual",
        headers: { cookie: cookieHeader(), ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }) },
        ...(body === undefined ? {} : { body })
      })
      remember(response)
      const location = response.headers.get("location")
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel()
        next = new URL(location, next)
        method = "GET"
        body = undefined
        continue
      }
      const html = await response.text()
      const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>[\s\S]*?name="prompt" value="(login|consent)"/i.exec(html)
      if (response.status !== 200 || form === null) {
        throw new Error(`login: the provider answered HTTP ${response.status}: ${textOf(html)}`)
      }
      const [, action = "", prompt] = form
      if (prompt === "consent" && loginOptions.deny === true) {
        const abort = /href="([^"]*\/abort)"/.exec(html)
        if (abort === null) throw new Error("login: no cancel link on the consent page")
        next = new URL(abort[1]!, next)
        method = "GET"
        body = undefined
        continue
      }
      next = new URL(action, next)
      method = "POST"
      body = prompt === "login"
        ? new URLSearchParams({ prompt: "login", login: username, password: "any" })
        : new URLSearchParams({ prompt: "consent" })
    }
    throw new Error("login: too many steps (a redirect loop?)")
  }

  let closed: Promise<void> | undefined
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    return closed
  }

  return {
    issuer,
    origin,
    clientId,
    clientSecret,
    requests,
    count: (method, path) => requests.filter((r) => r.method === method && r.path === path).length,
    login,
    close
  }
}
