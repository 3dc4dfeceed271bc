/**
 * An OpenID Connect upstream provider on oauth4webapi: discovery (OIDC
 * Discovery §4, cached), the authorization URL with PKCE S256 (RFC 7636
 * §4.2) and a nonce (OIDC Core §3.1.2.1), the callback checked (state,
 * RFC 9207 `iss` when advertised), the code exchanged, the ID token
 * validated (OIDC Core §3.1.3.7: `iss`, `aud`, `azp`, `exp`, `iat`,
 * `nonce`; the signature is not checked because the token came straight from
 * the token endpoint over TLS, §3.1.3.7 item 6), userinfo merged (OIDC Core
 * §5.3, its `sub` checked against the ID token's), and refresh (RFC 6749 §6).
 *
 * Multi-tenant issuers (Microsoft Entra `common`/`organizations`) publish
 * the issuer as a template, `https://login.microsoftonline.com/{tenantid}/v2.0`,
 * and each ID token carries its tenant's issuer: the expected `iss` is the
 * template with the token's `tid` (a GUID), and the callback's RFC 9207 `iss`,
 * when sent, must be that same issuer.
 *
 * @internal
 */
import { Cache, Duration, Effect, Either, Exit, Redacted, Schedule } from "effect"
import * as oauth from "oauth4webapi"
import { call, tokenSet, translate } from "./upstreamHttp.js"
import { toLogin, type MappingDefaults } from "./upstreamMapping.js"
import { type Login, type Mapping, type Provider, type TokenSet, UpstreamError } from "./upstreamModel.js"

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1, OIDC Core §9). */
export type TokenEndpointAuthMethod = "client_secret_basic" | "client_secret_post" | "none"

/** Everything an OIDC provider needs, defaults applied by the public constructors. */
export interface OidcConfig {
  readonly name: string
  readonly label: string
  /** The issuer identifier; its discovery document is `{issuer}/.well-known/openid-configuration`. */
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  readonly scopes: ReadonlyArray<string>
  readonly authorizationParameters: Readonly<Record<string, string>>
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined
  readonly mapping?: Mapping | undefined
  readonly defaults: MappingDefaults
  readonly allowInsecureHttp: boolean
  /** Whether to call the userinfo endpoint when there is one. */
  readonly userinfo: boolean
  readonly timeout: Duration.DurationInput
  /** A multi-tenant issuer: the template (with `{tenantid}`) and, optionally, the tenants allowed in. */
  readonly tenantIssuer?: { readonly template: string; readonly allowedTenants?: ReadonlyArray<string> | undefined } | undefined
}

/** Parameters the provider sets itself; `authorizationParameters` may not override them. */
export const reservedParameters: ReadonlySet<string> = new Set([
  "client_id", "response_type", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"
])

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

interface Metadata {
  readonly as: oauth.AuthorizationServer
  /** The issuer is a `{tenantid}` template: each token names its tenant's. */
  readonly templated: boolean
}

/** Builds the provider; throws a `TypeError` on invalid static configuration. */
export const makeOidcProvider = (config: OidcConfig): Provider => {
  const { name } = config
  const error = (reason: UpstreamError["reason"], description: string) => new UpstreamError({ provider: name, reason, description })
  for (const key of Object.keys(config.authorizationParameters)) {
    if (reservedParameters.has(key)) throw new TypeError(`Upstream ${name}: authorizationParameters may not set "${key}"`)
  }
  let issuerUrl: URL
  try {
    issuerUrl = new URL(config.issuer)
  } catch {
    throw new TypeError(`Upstream ${name}: the issuer is not a URL`)
  }
  const insecure = config.allowInsecureHttp
  const client: oauth.Client = { client_id: config.clientId }
  const http = (signal: AbortSignal) => ({ signal, [oauth.allowInsecureRequests]: insecure })
  const tenantPattern = config.tenantIssuer === undefined
    ? undefined
    : new RegExp(`^${escape(config.tenantIssuer.template).replace(escape("{tenantid}"), `(${GUID})`)}$`)

  // Discovery (OIDC Discovery §4.3: the document's issuer must be the one asked for).
  const discover: Effect.Effect<Metadata, UpstreamError> = call(name, "discovery", config.timeout, async (signal) => {
    const response = await oauth.discoveryRequest(issuerUrl, { algorithm: "oidc", ...http(signal) })
    if (config.tenantIssuer === undefined) return { as: await oauth.processDiscoveryResponse(issuerUrl, response), templated: false }
    if (response.status !== 200) throw new oauth.OperationProcessingError("unexpected discovery status", { code: oauth.RESPONSE_IS_NOT_CONFORM, cause: response })
    const json: unknown = await response.json()
    const issuer = typeof json === "object" && json !== null ? (json as { readonly issuer?: unknown }).issuer : undefined
    if (typeof issuer !== "string") throw error("invalid_response", "The discovery document names no issuer")
    if (issuer === config.tenantIssuer.template) return { as: json as oauth.AuthorizationServer, templated: true }
    // A tenant named by domain, or `consumers`, publishes one tenant's issuer.
    if (tenantPattern!.test(issuer)) return { as: json as oauth.AuthorizationServer, templated: false }
    throw error("invalid_response", "The discovery document's issuer does not match the configured tenant")
  }).pipe(
    Effect.flatMap((metadata) => {
      const { as } = metadata
      if (typeof as.authorization_endpoint !== "string" || typeof as.token_endpoint !== "string") {
        return Effect.fail(error("configuration", "The provider's metadata lacks an authorization or token endpoint"))
      }
      // RFC 7636 §4.2 / RFC 8414 §2: PKCE S256 is always used, so a provider advertising other methods only is refused.
      const methods = as.code_challenge_methods_supported
      if (Array.isArray(methods) && !methods.includes("S256")) {
        return Effect.fail(error("configuration", "The provider does not support PKCE S256"))
      }
      return Effect.succeed(metadata)
    }),
    Effect.retry({
      schedule: Schedule.exponential("200 millis").pipe(Schedule.intersect(Schedule.recurs(2))),
      while: (e) => e.reason === "unavailable"
    })
  )
  // One fetch per provider, shared by concurrent callers; a failure is not kept (the next login tries again).
  const cache = Effect.runSync(
    Cache.makeWith({
      capacity: 1,
      lookup: (_: "metadata") => discover,
      timeToLive: (exit) => (Exit.isSuccess(exit) ? Duration.infinity : Duration.zero)
    })
  )
  const metadata = cache.get("metadata")

  const clientAuth = (as: oauth.AuthorizationServer): oauth.ClientAuth => {
    const secret = config.clientSecret
    const method = config.tokenEndpointAuthMethod ?? (secret === undefined
      ? "none"
      : Array.isArray(as.token_endpoint_auth_methods_supported) &&
          !as.token_endpoint_auth_methods_supported.includes("client_secret_basic") &&
          as.token_endpoint_auth_methods_supported.includes("client_secret_post")
      ? "client_secret_post"
      : "client_secret_basic")
    if (method === "none") return oauth.None()
    if (secret === undefined) throw error("configuration", `${method} needs a client secret`)
    return method === "client_secret_post" ? oauth.ClientSecretPost(Redacted.value(secret)) : oauth.ClientSecretBasic(Redacted.value(secret))
  }

  /** The metadata to validate a token response with: for a template issuer, the issuer of the ID token's tenant. */
  const forTenant = (metadata: Metadata, response: Response): Effect.Effect<{ as: oauth.AuthorizationServer; tid?: string }> => {
    if (!metadata.templated) return Effect.succeed({ as: metadata.as })
    return Effect.promise(async () => {
      try {
        const body = (await response.clone().json()) as { readonly id_token?: unknown }
        if (typeof body.id_token !== "string") return undefined
        const payload = JSON.parse(Buffer.from(body.id_token.split(".")[1] ?? "", "base64url").toString("utf8")) as { readonly tid?: unknown }
        return typeof payload.tid === "string" && new RegExp(`^${GUID}$`).test(payload.tid) ? payload.tid : undefined
      } catch {
        return undefined
      }
    }).pipe(
      Effect.map((tid) =>
        tid === undefined
          ? { as: metadata.as }
          : { as: { ...metadata.as, issuer: config.tenantIssuer!.template.replace("{tenantid}", tid) }, tid }
      )
    )
  }

  const checkTenant = (tid: string | undefined): Effect.Effect<void, UpstreamError> => {
    const allowed = config.tenantIssuer?.allowedTenants
    if (allowed === undefined || (tid !== undefined && allowed.map((t) => t.toLowerCase()).includes(tid.toLowerCase()))) return Effect.void
    return Effect.fail(error("denied", "The account's tenant is not allowed to log in here"))
  }

  const authorizationUrl: Provider["authorizationUrl"] = (input) =>
    Effect.gen(function*() {
      // RFC 7636 §4.1: 43 to 128 characters of the unreserved set.
      if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(input.codeVerifier)) {
        return yield* Effect.fail(error("configuration", "The PKCE code verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)"))
      }
      if (input.state.length === 0 || input.nonce.length === 0) return yield* Effect.fail(error("configuration", "state and nonce must not be empty"))
      const { as } = yield* metadata
      const challenge = yield* call(name, "authorize", config.timeout, () => oauth.calculatePKCECodeChallenge(input.codeVerifier))
      const url = new URL(as.authorization_endpoint!)
      for (const [key, value] of Object.entries(config.authorizationParameters)) url.searchParams.set(key, value)
      url.searchParams.set("client_id", config.clientId)
      url.searchParams.set("response_type", "code")
      url.searchParams.set("redirect_uri", input.redirectUri)
      url.searchParams.set("scope", config.scopes.join(" "))
      url.searchParams.set("state", input.state)
      url.searchParams.set("nonce", input.nonce)
      url.searchParams.set("code_challenge", challenge)
      url.searchParams.set("code_challenge_method", "S256")
      return url
    })

  const callback: Provider["callback"] = (input) =>
    Effect.gen(function*() {
      const meta = yield* metadata
      let asForResponse = meta.as
      const iss = input.callbackUrl.searchParams.get("iss")
      if (meta.templated && iss !== null) {
        // RFC 9207 §2.4 with a template issuer: the iss must be a tenant's issuer, and later the ID token's.
        if (!tenantPattern!.test(iss)) return yield* Effect.fail(error("invalid_response", 'unexpected "iss" (issuer) response parameter value'))
        asForResponse = { ...meta.as, issuer: iss }
      }
      // RFC 6749 §4.1.2 / §10.12 state, RFC 9207 §2.4 iss, RFC 6749 §4.1.2.1 error responses.
      const params = yield* Effect.try({
        try: () => oauth.validateAuthResponse(asForResponse, client, input.callbackUrl, input.state),
        catch: translate(name, "callback")
      })
      const auth = yield* Effect.try({ try: () => clientAuth(meta.as), catch: translate(name, "callback") })
      const response = yield* call(name, "callback", config.timeout, (signal) =>
        oauth.authorizationCodeGrantRequest(meta.as, client, auth, params, input.redirectUri, input.codeVerifier, http(signal)))
      const { as, tid } = yield* forTenant(meta, response)
      if (meta.templated && iss !== null && as.issuer !== iss) {
        return yield* Effect.fail(error("invalid_response", "The ID token's issuer is not the one of the authorization response"))
      }
      const result = yield* call(name, "callback", config.timeout, () =>
        oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: input.nonce, requireIdToken: true }))
      const idClaims = oauth.getValidatedIdTokenClaims(result)
      if (idClaims === undefined) return yield* Effect.fail(error("invalid_response", "The provider returned no ID token"))
      if (meta.templated) yield* checkTenant(tid)
      let userinfo: Readonly<Record<string, unknown>> = {}
      if (config.userinfo && typeof as.userinfo_endpoint === "string") {
        userinfo = yield* call(name, "userinfo", config.timeout, async (signal) =>
          oauth.processUserInfoResponse(as, client, idClaims.sub, await oauth.userInfoRequest(as, client, result.access_token, http(signal))))
      }
      const tokens = yield* tokenSet(result, config.scopes)
      const login = toLogin({
        provider: name,
        mapping: config.mapping,
        defaults: config.defaults,
        claims: { ...userinfo, ...idClaims },
        tokens,
        upstreamSubject: idClaims.sub
      })
      return yield* Either.isRight(login) ? Effect.succeed<Login>(login.right) : Effect.fail(login.left)
    })

  const refresh = (refreshToken: string): Effect.Effect<TokenSet, UpstreamError> =>
    Effect.gen(function*() {
      const meta = yield* metadata
      const auth = yield* Effect.try({ try: () => clientAuth(meta.as), catch: translate(name, "refresh") })
      const response = yield* call(name, "refresh", config.timeout, (signal) =>
        oauth.refreshTokenGrantRequest(meta.as, client, auth, refreshToken, http(signal)))
      const { as } = yield* forTenant(meta, response)
      const result = yield* call(name, "refresh", config.timeout, () => oauth.processRefreshTokenResponse(as, client, response))
      return yield* tokenSet(result, config.scopes, refreshToken)
    })

  return { name, label: config.label, authorizationUrl, callback, refresh }
}
