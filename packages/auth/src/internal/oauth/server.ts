/**
 * The authorization server's endpoints and flows (see AuthorizationServer).
 */
import { randomBytes, randomInt } from "node:crypto"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, ConfigError, Duration, Effect, Option, Redacted, Schedule, type Scope } from "effect"
import * as jose from "jose"
import type * as AS from "../../AuthorizationServer.js"
import { type Authenticator, AuthenticationError } from "../../Authenticator.js"
import type * as BearerGuard from "../../BearerGuard.js"
import * as Jwt from "../../Jwt.js"
import * as OAuthClients from "../../OAuthClients.js"
import * as OAuthError from "../../OAuthError.js"
import { digest, type Grant, type Interaction, OAuthStore, type OAuthStoreError, type StoredIdentity } from "../../OAuthStore.js"
import * as SigningKeys from "../../SigningKeys.js"
import * as UpstreamTokens from "../../UpstreamTokens.js"
import * as Http from "./http.js"
import * as Pages from "./pages.js"
import * as Pkce from "./pkce.js"
import { makeSealer } from "./seal.js"
import { slidingWindow } from "../limit.js"
import { recordGrantRevocation, recordOAuthError, recordTokensIssued } from "../metrics.js"

const GRANT_DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
/** Control characters (a NUL cannot even be stored in PostgreSQL's jsonb). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
const CORS = { "access-control-allow-origin": "*", "access-control-expose-headers": "WWW-Authenticate, Retry-After" } as const
const PREFLIGHT = {
  "access-control-allow-methods": "GET, POST, PUT, DELETE",
  "access-control-allow-headers": "Authorization, Content-Type, MCP-Protocol-Version",
  "access-control-max-age": "86400"
} as const
const SESSION_COOKIE = "emcee_oauth_session"
const BROWSER_COOKIE = "emcee_oauth_browser"
/** RFC 8628 §6.1: a user code from 20 consonants, 8 characters (about 34.6 bits), shown as XXXX-XXXX. */
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"

const token = (bytes = 32): string => randomBytes(bytes).toString("base64url")

const ms = (value: Duration.DurationInput | undefined, fallback: Duration.DurationInput): number =>
  Duration.toMillis(Duration.decode(value ?? fallback))

const configError = (path: string, message: string) => ConfigError.InvalidData([path], message)

/** What an authorization request waiting for login and consent keeps (interaction kind `authorize`). */
interface PendingAuthorization {
  readonly clientId: string
  readonly redirectUri: string
  readonly scopes: ReadonlyArray<string>
  readonly resources: ReadonlyArray<string>
  readonly state: string | undefined
  readonly codeChallenge: string
  readonly browser: string
  readonly csrf: string
  readonly forceConsent: boolean
  /** `prompt=login`: a login at or after `createdAt` is required. */
  readonly forceLogin: boolean
  readonly createdAt: number
  /** OIDC Core §3.1.2.1: `openid` was asked for: an ID token comes with the tokens, carrying `nonce`. */
  readonly oidc: { readonly nonce?: string } | undefined
}

/** A login at this server (interaction kind `session`, keyed by the digest of the session cookie). */
interface LoginSession {
  readonly identity: StoredIdentity
  readonly name: string | undefined
  readonly authTime: number
  readonly upstream: string | undefined
}

/** An upstream login in flight (interaction kind `upstream`, keyed by the digest of `state`). */
interface UpstreamLoginState {
  readonly provider: string
  readonly nonce: string
  readonly codeVerifier: string
  /** The interaction the login is for (its id, not its digest). */
  readonly returnTo: string
  readonly browser: string
}

/** A login started from the device page (interaction kind `device-login`). */
interface DeviceLogin {
  readonly userCode: string | undefined
  readonly browser: string
  readonly csrf: string
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Builds the server (see `AuthorizationServer.make`). */
export const makeAuthorizationServer = (
  options: AS.Options
): Effect.Effect<
  { readonly service: AS.Service; readonly upstreamTokens: UpstreamTokens.Service },
  ConfigError.ConfigError | OAuthStoreError,
  OAuthStore | Scope.Scope
> =>
  Effect.gen(function*() {
    const store = yield* OAuthStore

    // --- Options ------------------------------------------------------------
    let issuerUrl: URL
    try {
      issuerUrl = new URL(options.issuer)
    } catch {
      return yield* Effect.fail(configError("issuer", `"${options.issuer}" is not a URL`))
    }
    const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(issuerUrl.hostname)
    if (issuerUrl.protocol !== "https:" && !(issuerUrl.protocol === "http:" && loopback)) {
      return yield* Effect.fail(configError("issuer", "must be an https URL (RFC 8414 §2; http only on loopback, for development)"))
    }
    if (issuerUrl.search !== "" || issuerUrl.hash !== "") {
      return yield* Effect.fail(configError("issuer", "must have no query or fragment (RFC 8414 §2)"))
    }
    const issuer = options.issuer.replace(/\/$/, "")
    const base = issuerUrl.pathname.replace(/\/$/, "")
    const origin = issuerUrl.origin
    const serverName = options.name ?? issuerUrl.host
    const secure = options.secureCookies ?? issuerUrl.protocol === "https:"
    const cookiePath = base === "" ? "/" : base

    const resources = new Map<string, { readonly resource: AS.Resource; readonly scopes: Map<string, string | undefined> }>()
    if (options.resources.length === 0) return yield* Effect.fail(configError("resources", "name at least one MCP server"))
    for (const resource of options.resources) {
      if (!URL.canParse(resource.uri) || new URL(resource.uri).hash !== "") {
        return yield* Effect.fail(configError("resources", `"${resource.uri}" is not an absolute URI without a fragment (RFC 8707 §2)`))
      }
      const scopes = new Map<string, string | undefined>()
      for (const scope of resource.scopes) {
        const name = typeof scope === "string" ? scope : scope.name
        if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(name)) {
          return yield* Effect.fail(configError("resources", `"${name}" is not a valid scope token (RFC 6749 §3.3)`))
        }
        scopes.set(name, typeof scope === "string" ? undefined : scope.description)
      }
      resources.set(resource.uri, { resource, scopes })
    }
    const upstreams = new Map((options.upstreams ?? []).map((p) => [p.name, p] as const))

    const keys: ReadonlyArray<Redacted.Redacted<string>> = Redacted.isRedacted(options.encryptionKey)
      ? [options.encryptionKey]
      : options.encryptionKey
    if (keys.length === 0 || keys.some((k) => Redacted.value(k).length < 32)) {
      return yield* Effect.fail(configError("encryptionKey", "needs at least 32 characters"))
    }
    const sealer = makeSealer(keys)
    const upstreamTokens = yield* UpstreamTokens.make({ providers: options.upstreams ?? [], sealer }).pipe(
      Effect.mapError((e) => configError("upstreams", e.description))
    )

    const lifetimes = {
      accessToken: ms(options.lifetimes?.accessToken, "10 minutes"),
      refreshToken: ms(options.lifetimes?.refreshToken, "14 days"),
      grant: ms(options.lifetimes?.grant, "90 days"),
      code: ms(options.lifetimes?.code, "60 seconds"),
      deviceCode: ms(options.lifetimes?.deviceCode, "10 minutes"),
      login: ms(options.lifetimes?.login, "1 hour"),
      interaction: ms(options.lifetimes?.interaction, "10 minutes")
    }
    const grace = ms(options.refreshGrace, "30 seconds")
    const rememberConsent = options.rememberConsent ?? true

    const path = (suffix: string) => `${base}${suffix}`
    const url = (suffix: string) => `${origin}${path(suffix)}`
    const endpoints = {
      authorization: url("/authorize"),
      token: url("/token"),
      registration: url("/register"),
      revocation: url("/revoke"),
      introspection: url("/introspect"),
      deviceAuthorization: url("/device_authorization"),
      device: url("/device"),
      jwks: url("/jwks.json")
    }

    const ring = yield* SigningKeys.make(options.signing ?? {}, sealer)
    const clients = yield* OAuthClients.make({ ...options.clients, registrationEndpoint: endpoints.registration })
    const dynamicRegistration = options.clients?.dynamicRegistration !== undefined && options.clients.dynamicRegistration !== false
    const metadataDocuments = options.clients?.metadataDocuments !== false

    // --- Metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3) -----------
    const allScopes = [...new Set([...resources.values()].flatMap((r) => [...r.scopes.keys()]))]
    const metadata: Record<string, unknown> = {
      issuer,
      authorization_endpoint: endpoints.authorization,
      token_endpoint: endpoints.token,
      jwks_uri: endpoints.jwks,
      ...(dynamicRegistration ? { registration_endpoint: endpoints.registration } : {}),
      scopes_supported: allScopes,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials", GRANT_DEVICE],
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
      revocation_endpoint: endpoints.revocation,
      revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
      introspection_endpoint: endpoints.introspection,
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      device_authorization_endpoint: endpoints.deviceAuthorization,
      // OAuth 2.1 §4.1.1 and the MCP spec: PKCE with S256, nothing else.
      code_challenge_methods_supported: ["S256"],
      // RFC 9207 §3: `iss` in every authorization response.
      authorization_response_iss_parameter_supported: true,
      // Client ID Metadata Documents (spec 2026-07-28 basic/authorization "Client Registration").
      client_id_metadata_document_supported: metadataDocuments,
      // RFC 8707 resource indicators are required.
      resource_indicators_supported: true
    }
    // OpenID Connect Discovery §3: ID tokens for code flows asking for `openid`; no userinfo endpoint.
    const oidcMetadata = {
      ...metadata,
      scopes_supported: ["openid", ...allScopes],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: [options.signing?.alg ?? "ES256"],
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "email", "email_verified", "preferred_username"]
    }

    // --- Access tokens (RFC 9068) --------------------------------------------
    const revokedGrants = new Set<string>()
    const revokedJtis = new Set<string>()
    const forgetLater = (set: Set<string>, value: string, afterMillis: number) => {
      set.add(value)
      setTimeout(() => set.delete(value), Math.min(afterMillis, 2 ** 31 - 1)).unref()
    }

    /** The scopes of a grant that mean something to its resources (RFC 8707 §2.2: a token narrowed to one resource carries that resource's scopes). */
    const scopesFor = (grant: Grant): ReadonlyArray<string> =>
      grant.scopes.filter((scope) => grant.resources.some((r) => resources.get(r)?.scopes.has(scope) === true))

    const issueAccessToken = (grant: Grant, clientId: string, now: number) =>
      Effect.gen(function*() {
        const signer = yield* ring.signer
        const jti = token(16)
        const iat = Math.floor(now / 1000)
        const claims: Record<string, unknown> = {
          client_id: clientId,
          scope: scopesFor(grant).join(" "),
          jti,
          gid: grant.grantId,
          auth_time: Math.floor(grant.authTime / 1000),
          ...(grant.identity.tenant === undefined ? {} : { tenant: grant.identity.tenant }),
          ...(grant.identity.roles.length === 0 ? {} : { roles: grant.identity.roles })
        }
        const accessToken = yield* Effect.promise(() =>
          new jose.SignJWT(claims)
            .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" })
            .setIssuer(issuer)
            .setSubject(grant.identity.subject)
            .setAudience(grant.resources.length === 1 ? grant.resources[0]! : [...grant.resources])
            .setIssuedAt(iat)
            .setExpirationTime(iat + Math.floor(lifetimes.accessToken / 1000))
            .sign(signer.key)
        )
        return accessToken
      })

    /** An ID token (OIDC Core §2, §3.1.3.6) for a code flow that asked for `openid`. */
    const issueIdToken = (grant: Grant, clientId: string, now: number) =>
      Effect.gen(function*() {
        const signer = yield* ring.signer
        const iat = Math.floor(now / 1000)
        const profile = Object.fromEntries(
          ["name", "email", "email_verified", "preferred_username"].flatMap((k) => grant.identity.claims[k] === undefined ? [] : [[k, grant.identity.claims[k]]])
        )
        return yield* Effect.promise(() =>
          new jose.SignJWT({
            ...profile,
            auth_time: Math.floor(grant.authTime / 1000),
            ...(grant.oidc?.nonce === undefined ? {} : { nonce: grant.oidc.nonce })
          })
            .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "JWT" })
            .setIssuer(issuer)
            .setSubject(grant.identity.subject)
            .setAudience(clientId)
            .setIssuedAt(iat)
            .setExpirationTime(iat + Math.floor(lifetimes.accessToken / 1000))
            .sign(signer.key)
        )
      })

    /** Issues tokens for a grant: an access token, and a refresh token when the client may refresh. */
    const issueTokens = (grant: Grant, client: OAuthClients.ResolvedClient, now: number, withRefresh: boolean) =>
      Effect.gen(function*() {
        const accessToken = yield* issueAccessToken(grant, client.clientId, now)
        const body: Record<string, unknown> = {
          access_token: accessToken,
          token_type: "Bearer",
          expires_in: Math.floor(lifetimes.accessToken / 1000),
          scope: scopesFor(grant).join(" ")
        }
        if (withRefresh && client.metadata.grant_types.includes("refresh_token")) {
          const refreshToken = token()
          yield* store.putRefresh({
            digest: digest(refreshToken),
            grantId: grant.grantId,
            createdAt: now,
            expiresAt: Math.min(now + lifetimes.refreshToken, grant.expiresAt)
          })
          body.refresh_token = refreshToken
        }
        return body
      })

    // --- Verification of issued tokens ---------------------------------------
    const getKey: jose.JWTVerifyGetKey = async (header) => {
      const key = header.kid === undefined ? Option.none() : await Effect.runPromise(ring.verificationKey(header.kid))
      if (Option.isNone(key)) throw new jose.errors.JWKSNoMatchingKey()
      return key.value
    }
    const jwtOf = (audience: string | ReadonlyArray<string>) =>
      // Its own tokens on its own clock (replicas' clocks agree within seconds): 5 s of skew, not the default 30.
      Jwt.make({ name: "oauth", issuer, audience, typ: "at+jwt", keys: getKey, clockToleranceSeconds: 5, claims: { tenant: "tenant", roles: "roles" } })
    /** Any of this server's access tokens, whatever its audience (for revocation and introspection). */
    const anyAudience = jwtOf([...resources.keys()])

    const revokedError = new AuthenticationError({ reason: "invalid", description: "The token has been revoked" })
    const checkRevocation = (claims: Readonly<Record<string, unknown>>) =>
      Effect.gen(function*() {
        const jti = typeof claims.jti === "string" ? claims.jti : undefined
        const gid = typeof claims.gid === "string" ? claims.gid : undefined
        if (jti === undefined || gid === undefined) return yield* Effect.fail(revokedError)
        if (revokedJtis.has(jti) || revokedGrants.has(gid)) return yield* Effect.fail(revokedError)
        const [jtiRevoked, grant] = yield* Effect.all([store.isAccessTokenRevoked(jti), store.getGrant(gid)], { concurrency: 2 }).pipe(
          Effect.mapError(() => new AuthenticationError({ reason: "unavailable", description: "The authorization server's store is unavailable" }))
        )
        // A grant removed by cleanup has expired; one with revokedAt was revoked.
        if (jtiRevoked || Option.isNone(grant) || grant.value.revokedAt !== undefined) return yield* Effect.fail(revokedError)
      })

    const authenticator = (resource: string): Authenticator => {
      if (!resources.has(resource)) throw new TypeError(`AuthorizationServer: "${resource}" is not one of the resources`)
      const jwt = jwtOf(resource)
      return {
        ...jwt,
        name: "oauth",
        verify: (credential) => Effect.tap(jwt.verify(credential), (identity) => checkRevocation(identity.claims)),
        // Revocations seen by this process end cached identities at once; other replicas' within the cache's maxAge.
        stillValid: (identity) =>
          !revokedJtis.has(identity.claims.jti as string) && !revokedGrants.has(identity.claims.gid as string)
      }
    }

    const guardOptions = (resource: string): BearerGuard.Options => {
      const entry = resources.get(resource)
      if (entry === undefined) throw new TypeError(`AuthorizationServer: "${resource}" is not one of the resources`)
      return {
        resource,
        authorizationServers: [issuer],
        scopesSupported: [...entry.scopes.keys()],
        ...(entry.resource.name === undefined ? {} : { resourceName: entry.resource.name })
      }
    }

    const revokeGrant = (grantId: string, now: number, reason: "code_reuse" | "refresh_reuse" | "revocation") =>
      Effect.tap(store.revokeGrant(grantId, now, reason), (live) =>
        Effect.sync(() => {
          forgetLater(revokedGrants, grantId, lifetimes.accessToken + 60_000)
          if (live) recordGrantRevocation(reason)
        }))

    // --- Scopes and resources --------------------------------------------------
    /** RFC 8707 §2: every resource must be known; at least one is required. */
    const checkResources = (requested: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, OAuthError.OAuthError> => {
      if (requested.length === 0) {
        return Effect.fail(OAuthError.invalidTarget("The resource parameter is required: name the MCP server the token is for (RFC 8707 §2)"))
      }
      for (const resource of requested) {
        if (!resources.has(resource)) return Effect.fail(OAuthError.invalidTarget(`The resource "${resource.slice(0, 200)}" is not served by this authorization server`))
      }
      return Effect.succeed([...new Set(requested)])
    }

    /** RFC 6749 §3.3: every scope must be known to one of the resources and allowed to the client; none asked: the defaults. */
    const checkScopes = (
      scope: string | undefined,
      forResources: ReadonlyArray<string>,
      client: OAuthClients.ResolvedClient
    ): Effect.Effect<ReadonlyArray<string>, OAuthError.OAuthError> => {
      const known = new Set(forResources.flatMap((r) => [...resources.get(r)!.scopes.keys()]))
      // `offline_access` asks for a refresh token (OIDC Core §11); refresh tokens follow the client's grant types here.
      // `openid` asks for an ID token (OIDC Core §3.1.2.1), not for access to a resource.
      const requested = (scope ?? "").split(" ").filter((s) => s !== "" && s !== "offline_access" && s !== "openid")
      if (requested.length === 0) {
        const defaults = forResources.flatMap((r) => {
          const entry = resources.get(r)!
          return entry.resource.defaultScopes ?? [...entry.scopes.keys()]
        })
        const allowed = client.metadata.scope === undefined ? undefined : new Set(client.metadata.scope.split(" "))
        return Effect.succeed([...new Set(defaults)].filter((s) => allowed === undefined || allowed.has(s)))
      }
      const unknown = requested.filter((s) => !known.has(s))
      if (unknown.length > 0) return Effect.fail(OAuthError.invalidScope(`Unknown scope: ${[...new Set(unknown)].join(" ").slice(0, 200)}`))
      if (client.metadata.scope !== undefined) {
        const allowed = new Set(client.metadata.scope.split(" "))
        const denied = requested.filter((s) => !allowed.has(s))
        if (denied.length > 0) return Effect.fail(OAuthError.invalidScope(`The client may not ask for: ${[...new Set(denied)].join(" ").slice(0, 200)}`))
      }
      return Effect.succeed([...new Set(requested)])
    }

    /** The scopes a user may be granted: what they asked for, within what their login allows when it says. */
    const scopesForUser = (requested: ReadonlyArray<string>, identity: StoredIdentity) =>
      identity.scopes.length === 0 ? requested : requested.filter((s) => identity.scopes.includes(s))

    // --- Interactions ------------------------------------------------------------
    const now = Clock.currentTimeMillis
    const putInteraction = (kind: string, data: unknown, ttl: number, id = token()) =>
      Effect.map(Effect.flatMap(now, (t) => store.putInteraction({ digest: digest(id), kind, data, expiresAt: t + ttl })), () => id)
    const getInteraction = <A>(id: string | undefined, kind: string) =>
      id === undefined || id.length > 128
        ? Effect.succeed(Option.none<A>())
        : Effect.flatMap(Effect.zip(store.getInteraction(digest(id)), now), ([found, t]) =>
          Effect.succeed(
            Option.flatMap(found, (i: Interaction) => i.kind === kind && i.expiresAt > t && isRecord(i.data) ? Option.some(i.data as A) : Option.none())
          )
        )

    // Anonymous requests that store an interaction (authorize, device login, upstream login) are limited per address.
    const interactionsPerAddress = slidingWindow({ limit: 120, windowMillis: 60_000, maxKeys: 10_000 })
    const interactionLimit = (request: HttpServerRequest.HttpServerRequest, at: number) => {
      const wait = interactionsPerAddress.take(Http.clientAddress(request) ?? "", at)
      return wait <= 0 ? undefined : message("Too many requests", `Too many sign-in attempts from this address. Try again in ${Math.ceil(wait / 1000)} seconds.`, 429)
    }

    const session = (request: HttpServerRequest.HttpServerRequest) =>
      getInteraction<LoginSession>(request.cookies[SESSION_COOKIE], "session")

    /** The browser's binding cookie (created when missing), so a flow started in one browser cannot be finished in another. */
    const browserOf = (request: HttpServerRequest.HttpServerRequest): { readonly id: string; readonly setCookie: string | undefined } => {
      const existing = request.cookies[BROWSER_COOKIE]
      if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { id: existing, setCookie: undefined }
      const id = token()
      return { id, setCookie: Http.cookie(BROWSER_COOKIE, id, { path: cookiePath, secure }) }
    }

    const page = (html: string, status = 200, extra: Readonly<Record<string, string>> = {}, formActions: ReadonlyArray<string> = []) =>
      HttpServerResponse.text(html, { status, headers: { ...Pages.pageHeaders(Pages.styleHash, formActions), ...extra } })
    const message = (title: string, text: string, status = 400) => page(Pages.messagePage({ title, message: text, status: "error" }), status)
    const withCookies = (response: HttpServerResponse.HttpServerResponse, cookies: ReadonlyArray<string | undefined>) => {
      const values = cookies.filter((c): c is string => c !== undefined)
      return values.length === 0 ? response : HttpServerResponse.setHeader(response, "set-cookie", values.length === 1 ? values[0]! : values as unknown as string)
    }

    /** RFC 6749 §4.1.2.1 and RFC 9207 §2: an error sent back to the client's redirect URI, with `state` and `iss`. */
    const redirectError = (redirectUri: string, state: string | undefined, error: OAuthError.OAuthError) => {
      recordOAuthError("authorize", error.error)
      const target = new URL(redirectUri)
      target.searchParams.set("error", error.error)
      target.searchParams.set("error_description", error.description)
      if (state !== undefined) target.searchParams.set("state", state)
      target.searchParams.set("iss", issuer)
      return Http.redirect(target.toString())
    }

    const clientSummary = (client: OAuthClients.ResolvedClient): Pages.ConsentClient => ({
      name: client.metadata.client_name ?? client.clientId,
      id: client.clientId,
      kind: client.kind,
      ...(client.metadata.client_uri === undefined ? {} : { uri: client.metadata.client_uri })
    })

    const scopeItems = (scopes: ReadonlyArray<string>, forResources: ReadonlyArray<string>): ReadonlyArray<Pages.ScopeItem> =>
      scopes.map((name) => {
        const description = forResources.map((r) => resources.get(r)?.scopes.get(name)).find((d) => d !== undefined)
        return description === undefined ? { name } : { name, description }
      })

    // --- Authorization endpoint (OAuth 2.1 §4.1.1) ----------------------------
    const authorize = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const params = yield* (request.method === "POST" ? Http.formParameters(request) : Http.queryParameters(request)).pipe(
          Effect.either
        )
        if (params._tag === "Left") return message("Invalid authorization request", params.left.description)
        const p = params.right
        const clientId = p.get("client_id")
        if (clientId === undefined) return message("Invalid authorization request", "The request names no client (client_id is required).")
        const t = yield* now
        const resolved = yield* Effect.either(clients.resolve(clientId, t))
        // RFC 6749 §4.1.2.1: with an unknown client or redirect URI, tell the user, never redirect.
        if (resolved._tag === "Left") return message("Unknown application", `This application cannot sign in here: ${resolved.left.description}`)
        const client = resolved.right
        const redirectUri = p.get("redirect_uri") ?? (client.metadata.redirect_uris.length === 1 ? client.metadata.redirect_uris[0] : undefined)
        if (redirectUri === undefined || !clients.redirectUriAllowed(client, redirectUri)) {
          return message("Invalid redirect", "The application asked to return to an address it did not register (OAuth 2.1 §4.1.1: exact match).")
        }
        const given = p.get("state")
        // A state is echoed back: a huge one, or one with control characters, is refused rather than stored and reflected.
        const state = given !== undefined && (given.length > 2048 || CONTROL.test(given)) ? undefined : given
        const fail = (error: OAuthError.OAuthError) => redirectError(redirectUri, state, error)
        if (given !== undefined && state === undefined) {
          return fail(OAuthError.invalidRequest("state must be at most 2048 characters, without control characters"))
        }
        if (p.get("response_type") !== "code") {
          return fail(OAuthError.unsupportedResponseType("response_type must be \"code\" (OAuth 2.1 §4.1.1)"))
        }
        if (!client.metadata.grant_types.includes("authorization_code")) {
          return fail(OAuthError.unauthorizedClient("The client is not registered for the authorization_code grant"))
        }
        const challenge = p.get("code_challenge")
        const method = p.get("code_challenge_method")
        if (challenge === undefined) return fail(OAuthError.invalidRequest("code_challenge is required (PKCE, OAuth 2.1 §4.1.1)"))
        if (method !== "S256") return fail(OAuthError.invalidRequest("code_challenge_method must be S256 (the MCP spec requires it; plain is refused)"))
        if (!Pkce.isChallenge(challenge)) return fail(OAuthError.invalidRequest("code_challenge is not a BASE64URL SHA-256 (RFC 7636 §4.2)"))
        const nonce = p.get("nonce")
        if (nonce !== undefined && (nonce.length > 512 || CONTROL.test(nonce))) {
          return fail(OAuthError.invalidRequest("nonce must be at most 512 characters, without control characters"))
        }
        const checked = yield* Effect.either(Effect.flatMap(checkResources(p.all("resource")), (rs) => Effect.map(checkScopes(p.get("scope"), rs, client), (scopes) => ({ rs, scopes }))))
        if (checked._tag === "Left") return fail(checked.left)
        const browser = browserOf(request)
        const pending: PendingAuthorization = {
          clientId: client.clientId,
          redirectUri,
          scopes: checked.right.scopes,
          resources: checked.right.rs,
          state,
          codeChallenge: challenge,
          browser: browser.id,
          csrf: token(),
          forceConsent: (p.get("prompt") ?? "").split(" ").includes("consent"),
          forceLogin: (p.get("prompt") ?? "").split(" ").includes("login"),
          createdAt: t,
          oidc: (p.get("scope") ?? "").split(" ").includes("openid") ? (nonce === undefined ? {} : { nonce }) : undefined
        }
        const limited = interactionLimit(request, t)
        if (limited !== undefined) return limited
        const id = yield* putInteraction("authorize", pending, lifetimes.interaction)
        const login = yield* session(request)
        const location = Option.isSome(login) && !pending.forceLogin
          ? path(`/consent?interaction=${id}`)
          : path(`/login?interaction=${id}`)
        return withCookies(Http.redirect(location), [browser.setCookie])
      })

    // --- Login -----------------------------------------------------------------
    /** The interaction a login page is for: an authorization request or a device login. */
    const loginTarget = (id: string | undefined) =>
      Effect.gen(function*() {
        const authorization = yield* getInteraction<PendingAuthorization>(id, "authorize")
        if (Option.isSome(authorization)) {
          return Option.some({ browser: authorization.value.browser, csrf: authorization.value.csrf, clientId: authorization.value.clientId as string | undefined, next: path(`/consent?interaction=${id}`) })
        }
        const device = yield* getInteraction<DeviceLogin>(id, "device-login")
        return Option.map(device, (d) => ({
          browser: d.browser,
          csrf: d.csrf,
          clientId: undefined as string | undefined,
          next: path(`/device${d.userCode === undefined ? "" : `?user_code=${encodeURIComponent(d.userCode)}`}`)
        }))
      })

    const loginPage = (id: string, csrf: string, clientName: string | undefined, error?: string, username?: string) =>
      Pages.loginPage({
        title: `Sign in to ${serverName}`,
        ...(clientName === undefined ? {} : { clientName }),
        providers: [...upstreams.values()].map((p) => ({ label: p.label, href: path(`/login/${p.name}?interaction=${id}`) })),
        ...(options.localLogin === undefined
          ? {}
          : { local: { action: path("/login"), csrfToken: csrf, interaction: id, ...(error === undefined ? {} : { error }), ...(username === undefined ? {} : { username }) } })
      })

    const showLogin = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const p = yield* Http.queryParameters(request)
        const id = p.get("interaction")
        const target = yield* loginTarget(id)
        if (Option.isNone(target)) return message("Sign-in expired", "This sign-in has expired or is unknown. Start again from your application.")
        const t = yield* now
        const client = target.value.clientId === undefined ? undefined : yield* Effect.option(clients.resolve(target.value.clientId, t))
        const name = client === undefined ? undefined : Option.getOrUndefined(Option.map(client, (c) => c.metadata.client_name ?? c.clientId))
        return page(loginPage(id!, target.value.csrf, name))
      })

    const openSession = (login: LoginSession) =>
      Effect.map(putInteraction("session", login, lifetimes.login), (id) =>
        Http.cookie(SESSION_COOKIE, id, { path: cookiePath, secure, maxAgeSeconds: lifetimes.login / 1000 }))

    // Password guessing: failed attempts per username and per address (OWASP Authentication Cheat Sheet "Login Throttling").
    const failuresPerUser = slidingWindow({ limit: 10, windowMillis: 60_000, maxKeys: 10_000 })
    const failuresPerAddress = slidingWindow({ limit: 50, windowMillis: 60_000, maxKeys: 10_000 })
    const blocked = new Map<string, number>()
    const failedLogin = (keys: ReadonlyArray<string>, at: number) => {
      for (const key of keys) {
        const wait = (key.startsWith("user:") ? failuresPerUser : failuresPerAddress).take(key, at)
        if (wait <= 0) continue
        blocked.delete(key)
        blocked.set(key, at + wait)
        if (blocked.size > 10_000) blocked.delete(blocked.keys().next().value!)
      }
    }
    const localLogin = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const form = yield* Http.formParameters(request)
        const id = form.get(Pages.fields.interaction)
        const target = yield* loginTarget(id)
        if (Option.isNone(target) || options.localLogin === undefined) {
          return message("Sign-in expired", "This sign-in has expired or is unknown. Start again from your application.")
        }
        if (form.get(Pages.fields.csrf) !== target.value.csrf || request.cookies[BROWSER_COOKIE] !== target.value.browser) {
          return message("Sign-in refused", "The form did not come from this browser's sign-in. Start again from your application.", 403)
        }
        const username = form.get(Pages.fields.username) ?? ""
        const password = form.get(Pages.fields.password) ?? ""
        if (username.length > 256 || password.length > 1024) {
          return page(loginPage(id!, target.value.csrf, undefined, "The username or password is too long."), 400)
        }
        const attempt = yield* now
        const keys = [`user:${digest(username.toLowerCase())}`, `address:${Http.clientAddress(request) ?? ""}`]
        const wait = Math.max(...keys.map((key) => (blocked.get(key) ?? 0) - attempt))
        if (wait > 0) {
          return page(loginPage(id!, target.value.csrf, undefined, `Too many failed attempts. Try again in ${Math.ceil(wait / 1000)} seconds.`, username), 429, {
            "retry-after": String(Math.ceil(wait / 1000))
          })
        }
        const account = yield* options.localLogin(username, password)
        if (Option.isNone(account)) {
          failedLogin(keys, attempt)
          return page(loginPage(id!, target.value.csrf, undefined, "The username or password is not right.", username), 401)
        }
        const a = account.value
        const t = yield* now
        const setCookie = yield* openSession({
          identity: {
            subject: a.subject,
            ...(a.tenant === undefined ? {} : { tenant: a.tenant }),
            roles: [...(a.roles ?? [])],
            scopes: [...(a.scopes ?? [])],
            claims: { ...a.claims, ...(a.name === undefined ? {} : { name: a.name }) },
            kind: "session",
            issuer
          },
          name: a.name,
          authTime: t,
          upstream: undefined
        })
        return withCookies(Http.redirect(target.value.next), [setCookie])
      })

    // --- Upstream login ------------------------------------------------------------
    const callbackUrl = (provider: string) => url(`/callback/${provider}`)

    const startUpstream = (request: HttpServerRequest.HttpServerRequest, providerName: string) =>
      Effect.gen(function*() {
        const provider = upstreams.get(providerName)
        if (provider === undefined) return message("Unknown sign-in provider", "This server does not offer that sign-in.", 404)
        const p = yield* Http.queryParameters(request)
        const id = p.get("interaction")
        const target = yield* loginTarget(id)
        if (Option.isNone(target)) return message("Sign-in expired", "This sign-in has expired or is unknown. Start again from your application.")
        if (request.cookies[BROWSER_COOKIE] !== target.value.browser) {
          return message("Sign-in refused", "This sign-in was started in another browser. Start again from your application.", 403)
        }
        const limited = interactionLimit(request, yield* now)
        if (limited !== undefined) return limited
        const state = token()
        const flow: UpstreamLoginState = {
          provider: provider.name,
          nonce: token(),
          codeVerifier: token(48),
          returnTo: id!,
          browser: target.value.browser
        }
        yield* putInteraction("upstream", flow, lifetimes.interaction, state)
        const location = yield* provider.authorizationUrl({ redirectUri: callbackUrl(provider.name), state, nonce: flow.nonce, codeVerifier: flow.codeVerifier }).pipe(
          Effect.either
        )
        if (location._tag === "Left") return message("Sign-in unavailable", `${provider.label} cannot be reached now. Try again later.`, 503)
        return Http.redirect(location.right.toString())
      })

    const upstreamCallback = (request: HttpServerRequest.HttpServerRequest, providerName: string) =>
      Effect.gen(function*() {
        const provider = upstreams.get(providerName)
        if (provider === undefined) return message("Unknown sign-in provider", "This server does not offer that sign-in.", 404)
        const p = yield* Http.queryParameters(request)
        const state = p.get("state")
        // One callback per login: the state is taken, so a replayed callback finds nothing.
        const taken = state === undefined ? Option.none() : yield* store.takeInteraction(digest(state))
        const t = yield* now
        if (Option.isNone(taken) || taken.value.kind !== "upstream" || taken.value.expiresAt <= t || !isRecord(taken.value.data)) {
          return message("Sign-in expired", "This sign-in has expired or was already used. Start again from your application.")
        }
        const flow = taken.value.data as unknown as UpstreamLoginState
        if (flow.provider !== provider.name || request.cookies[BROWSER_COOKIE] !== flow.browser) {
          return message("Sign-in refused", "This sign-in was started in another browser. Start again from your application.", 403)
        }
        const callback = new URL(request.url, origin)
        const login = yield* Effect.either(provider.callback({
          callbackUrl: callback,
          redirectUri: callbackUrl(provider.name),
          state: state!,
          nonce: flow.nonce,
          codeVerifier: flow.codeVerifier
        }))
        if (login._tag === "Left") {
          const target = yield* loginTarget(flow.returnTo)
          return Option.isNone(target)
            ? message("Sign-in failed", `${provider.label} did not sign you in: ${login.left.description}`)
            : page(Pages.loginPage({
              title: `Sign in to ${serverName}`,
              providers: [...upstreams.values()].map((u) => ({ label: u.label, href: path(`/login/${u.name}?interaction=${flow.returnTo}`) })),
              error: `${provider.label} did not sign you in: ${login.left.description}`
            }), 400)
        }
        const l = login.right
        const stored = yield* Effect.either(upstreamTokens.store(l.subject, provider.name, l.tokens))
        if (stored._tag === "Left") return message("Temporarily unavailable", "The server cannot complete the sign-in now. Try again in a moment.", 503)
        const setCookie = yield* openSession({
          identity: {
            subject: l.subject,
            ...(l.tenant === undefined ? {} : { tenant: l.tenant }),
            roles: [...l.roles],
            scopes: [...l.scopes],
            claims: l.claims,
            kind: "session",
            issuer
          },
          name: typeof l.claims.name === "string" ? l.claims.name : typeof l.claims.email === "string" ? l.claims.email : undefined,
          authTime: t,
          upstream: provider.name
        })
        const target = yield* loginTarget(flow.returnTo)
        if (Option.isNone(target)) return withCookies(message("Signed in", "You are signed in. Start again from your application.", 200), [setCookie])
        return withCookies(Http.redirect(target.value.next), [setCookie])
      })

    // --- Consent -----------------------------------------------------------------
    const consentContext = (request: HttpServerRequest.HttpServerRequest, id: string | undefined) =>
      Effect.gen(function*() {
        const pending = yield* getInteraction<PendingAuthorization>(id, "authorize")
        if (Option.isNone(pending)) return { _tag: "expired" as const }
        if (request.cookies[BROWSER_COOKIE] !== pending.value.browser) return { _tag: "browser" as const }
        const login = yield* session(request)
        if (Option.isNone(login)) return { _tag: "login" as const }
        // prompt=login: a login from before the request does not do (OIDC Core §3.1.2.1).
        if (pending.value.forceLogin && login.value.authTime < pending.value.createdAt) return { _tag: "login" as const }
        const t = yield* now
        const client = yield* Effect.either(clients.resolve(pending.value.clientId, t))
        if (client._tag === "Left") return { _tag: "expired" as const }
        // The consent form's token is bound to the login it was shown for: a decision posted after another user signed in
        // in the same browser is refused rather than given to that user.
        const csrf = digest(`consent:${pending.value.csrf}:${request.cookies[SESSION_COOKIE] ?? ""}`)
        return { _tag: "ok" as const, pending: pending.value, login: login.value, client: client.right, now: t, csrf }
      })

    /** Issues the code and sends the browser back to the client (OAuth 2.1 §4.1.2, RFC 9207 §2). */
    const issueCode = (id: string, pending: PendingAuthorization, login: LoginSession, client: OAuthClients.ResolvedClient, t: number) =>
      Effect.gen(function*() {
        // One decision per request: the interaction is taken.
        const taken = yield* store.takeInteraction(digest(id))
        if (Option.isNone(taken)) return message("Already answered", "This request was already answered. Start again from your application.")
        const code = token()
        const grant: Grant = {
          grantId: token(16),
          clientId: client.clientId,
          identity: login.identity,
          scopes: [...scopesForUser(pending.scopes, login.identity)],
          resources: [...pending.resources],
          authTime: login.authTime,
          ...(login.upstream === undefined ? {} : { upstream: login.upstream }),
          ...(pending.oidc === undefined ? {} : { oidc: pending.oidc }),
          createdAt: t,
          expiresAt: t + lifetimes.grant
        }
        yield* store.putCode({
          digest: digest(code),
          clientId: client.clientId,
          redirectUri: pending.redirectUri,
          codeChallenge: pending.codeChallenge,
          grant,
          expiresAt: t + lifetimes.code
        })
        yield* clients.touch(client, t)
        const target = new URL(pending.redirectUri)
        target.searchParams.set("code", code)
        if (pending.state !== undefined) target.searchParams.set("state", pending.state)
        target.searchParams.set("iss", issuer)
        return Http.redirect(target.toString())
      })

    const coveredBy = (consent: { readonly scopes: ReadonlyArray<string>; readonly resources: ReadonlyArray<string> }, pending: PendingAuthorization) =>
      pending.scopes.every((s) => consent.scopes.includes(s)) && pending.resources.every((r) => consent.resources.includes(r))

    const showConsent = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const id = (yield* Http.queryParameters(request)).get("interaction")
        const context = yield* consentContext(request, id)
        switch (context._tag) {
          case "expired":
            return message("Request expired", "This request has expired or is unknown. Start again from your application.")
          case "browser":
            return message("Request refused", "This request was started in another browser. Start again from your application.", 403)
          case "login":
            return Http.redirect(path(`/login?interaction=${id}`))
        }
        const { client, login, pending } = context
        if (rememberConsent && !pending.forceConsent) {
          const consent = yield* store.getConsent(login.identity.subject, login.identity.tenant, client.clientId)
          if (Option.isSome(consent) && coveredBy(consent.value, pending)) return yield* issueCode(id!, pending, login, client, context.now)
        }
        const scopes = scopesForUser(pending.scopes, login.identity)
        if (scopes.length === 0 && pending.scopes.length > 0) {
          yield* store.takeInteraction(digest(id!))
          return redirectError(pending.redirectUri, pending.state, OAuthError.accessDenied("The user may not grant any of the requested scopes"))
        }
        return page(
          Pages.consentPage({
            serverName,
            client: clientSummary(client),
            user: { subject: login.identity.subject, ...(login.name === undefined ? {} : { name: login.name }) },
            scopes: scopeItems(scopes, pending.resources),
            resources: pending.resources.map((r) => resources.get(r)?.resource.name ?? r),
            action: path("/consent"),
            csrfToken: context.csrf,
            interaction: id!,
            redirectUri: pending.redirectUri
          }),
          200,
          {},
          [pending.redirectUri]
        )
      })

    const decideConsent = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const form = yield* Http.formParameters(request)
        const id = form.get(Pages.fields.interaction)
        const context = yield* consentContext(request, id)
        if (context._tag === "expired") return message("Request expired", "This request has expired or is unknown. Start again from your application.")
        if (context._tag !== "ok" || form.get(Pages.fields.csrf) !== context.csrf) {
          return message("Request refused", "The form did not come from this browser's request. Start again from your application.", 403)
        }
        const { client, login, pending } = context
        if (form.get(Pages.fields.decision) !== "allow") {
          yield* store.takeInteraction(digest(id!))
          return redirectError(pending.redirectUri, pending.state, OAuthError.accessDenied("The user denied the request"))
        }
        if (rememberConsent) {
          yield* store.putConsent({
            subject: login.identity.subject,
            ...(login.identity.tenant === undefined ? {} : { tenant: login.identity.tenant }),
            clientId: client.clientId,
            scopes: [...pending.scopes],
            resources: [...pending.resources],
            grantedAt: context.now
          })
        }
        return yield* issueCode(id!, pending, login, client, context.now)
      })

    // --- Token endpoint (OAuth 2.1 §3.2, §4) -----------------------------------------
    const authenticateClient = (request: HttpServerRequest.HttpServerRequest, form: Http.Parameters, t: number) =>
      Effect.flatMap(Http.clientCredentials(request, form), (credentials) =>
        credentials.clientId === undefined
          ? Effect.fail(OAuthError.invalidClient("The request names no client (client_id or HTTP Basic authentication)"))
          : clients.authenticate({ clientId: credentials.clientId, method: credentials.method, ...(credentials.secret === undefined ? {} : { secret: credentials.secret }) }, t))

    const authorizationCodeGrant = (form: Http.Parameters, client: OAuthClients.ResolvedClient, t: number) =>
      Effect.gen(function*() {
        const code = form.get("code")
        if (code === undefined) return yield* Effect.fail(OAuthError.invalidRequest("code is required"))
        const found = yield* store.consumeCode(digest(code), t)
        if (Option.isNone(found)) return yield* Effect.fail(OAuthError.invalidGrant("The authorization code is invalid"))
        const record = found.value
        if (record.usedAt !== undefined) {
          // OAuth 2.1 §4.1.3: a code used twice revokes what it issued. The grant is written revoked too, in case the
          // first exchange has not written it yet: a store never undoes a revocation, so its later write stays revoked.
          yield* store.putGrant({ ...record.grant, revokedAt: t, revokedReason: "code_reuse" })
          yield* revokeGrant(record.grant.grantId, t, "code_reuse")
          return yield* Effect.fail(OAuthError.invalidGrant("The authorization code was already used; the tokens it issued are revoked"))
        }
        if (record.expiresAt <= t) return yield* Effect.fail(OAuthError.invalidGrant("The authorization code has expired"))
        if (record.clientId !== client.clientId) return yield* Effect.fail(OAuthError.invalidGrant("The authorization code was issued to another client"))
        if (form.get("redirect_uri") !== undefined && form.get("redirect_uri") !== record.redirectUri) {
          return yield* Effect.fail(OAuthError.invalidGrant("redirect_uri differs from the authorization request's"))
        }
        const verifier = form.get("code_verifier")
        if (verifier === undefined) return yield* Effect.fail(OAuthError.invalidRequest("code_verifier is required (PKCE, OAuth 2.1 §4.1.3)"))
        if (!Pkce.verifies(verifier, record.codeChallenge)) return yield* Effect.fail(OAuthError.invalidGrant("The code_verifier does not match the code_challenge (RFC 7636 §4.6)"))
        // RFC 8707 §2.2: a resource in the token request must be one the user authorized.
        const asked = form.all("resource")
        const grantResources = asked.length === 0 ? record.grant.resources : asked
        if (asked.some((r) => !record.grant.resources.includes(r))) {
          return yield* Effect.fail(OAuthError.invalidTarget("The resource was not part of the authorization request"))
        }
        const grant: Grant = { ...record.grant, resources: [...new Set(grantResources)] }
        yield* store.putGrant({ ...record.grant })
        const body = yield* issueTokens(grant, client, t, true)
        return record.grant.oidc === undefined ? body : { ...body, id_token: yield* issueIdToken(record.grant, client.clientId, t) }
      })

    const refreshTokenGrant = (form: Http.Parameters, client: OAuthClients.ResolvedClient, t: number) =>
      Effect.gen(function*() {
        const refresh = form.get("refresh_token")
        if (refresh === undefined) return yield* Effect.fail(OAuthError.invalidRequest("refresh_token is required"))
        if (!client.metadata.grant_types.includes("refresh_token")) {
          return yield* Effect.fail(OAuthError.unauthorizedClient("The client is not registered for the refresh_token grant"))
        }
        const rotation = yield* store.rotateRefresh(digest(refresh), t)
        if (Option.isNone(rotation)) return yield* Effect.fail(OAuthError.invalidGrant("The refresh token is invalid"))
        const { previouslyRotatedAt, token: record } = rotation.value
        const grant = yield* store.getGrant(record.grantId)
        if (Option.isNone(grant) || grant.value.revokedAt !== undefined) return yield* Effect.fail(OAuthError.invalidGrant("The refresh token has been revoked"))
        // OAuth 2.1 §4.3.1: refresh tokens are bound to the client they were issued to.
        if (grant.value.clientId !== client.clientId) return yield* Effect.fail(OAuthError.invalidGrant("The refresh token was issued to another client"))
        if (previouslyRotatedAt !== undefined && t - previouslyRotatedAt > grace) {
          // OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: a rotated token used again is a sign of theft: end the family.
          yield* revokeGrant(record.grantId, t, "refresh_reuse")
          return yield* Effect.fail(OAuthError.invalidGrant("The refresh token was already used; its grant is revoked"))
        }
        if (record.expiresAt <= t || grant.value.expiresAt <= t) return yield* Effect.fail(OAuthError.invalidGrant("The refresh token has expired"))
        // RFC 6749 §6: a narrower scope may be asked for, never a wider one; RFC 8707 §2.2 likewise for resources.
        const scope = form.get("scope")
        const scopes = scope === undefined ? grant.value.scopes : scope.split(" ").filter((s) => s !== "" && s !== "offline_access")
        if (scopes.some((s) => !grant.value.scopes.includes(s))) return yield* Effect.fail(OAuthError.invalidScope("The scope exceeds what was granted"))
        const asked = form.all("resource")
        if (asked.some((r) => !grant.value.resources.includes(r))) return yield* Effect.fail(OAuthError.invalidTarget("The resource was not part of the grant"))
        const issued: Grant = { ...grant.value, scopes: [...scopes], resources: asked.length === 0 ? grant.value.resources : [...new Set(asked)] }
        return yield* issueTokens(issued, client, t, true)
      })

    const clientCredentialsGrant = (form: Http.Parameters, client: OAuthClients.ResolvedClient, t: number) =>
      Effect.gen(function*() {
        // OAuth 2.1 §4.2: confidential clients only; and only those the operator registered: a self-registered
        // client would otherwise mint tokens with no user behind them.
        if (!client.confidential) return yield* Effect.fail(OAuthError.unauthorizedClient("client_credentials needs a confidential client"))
        if (client.kind !== "static") {
          return yield* Effect.fail(OAuthError.unauthorizedClient("client_credentials is for pre-registered clients only"))
        }
        if (!client.metadata.grant_types.includes("client_credentials")) {
          return yield* Effect.fail(OAuthError.unauthorizedClient("The client is not registered for the client_credentials grant"))
        }
        const rs = yield* checkResources(form.all("resource"))
        const scopes = yield* checkScopes(form.get("scope"), rs, client)
        const grant: Grant = {
          grantId: token(16),
          clientId: client.clientId,
          identity: { subject: client.clientId, roles: [], scopes: [...scopes], claims: {}, kind: "session" },
          scopes: [...scopes],
          resources: [...rs],
          authTime: t,
          createdAt: t,
          expiresAt: t + lifetimes.accessToken
        }
        yield* store.putGrant(grant)
        return yield* issueTokens(grant, client, t, false)
      })

    const deviceCodeGrant = (form: Http.Parameters, client: OAuthClients.ResolvedClient, t: number) =>
      Effect.gen(function*() {
        const deviceCode = form.get("device_code")
        if (deviceCode === undefined) return yield* Effect.fail(OAuthError.invalidRequest("device_code is required (RFC 8628 §3.4)"))
        const polled = yield* store.pollDevice(digest(deviceCode), t)
        if (Option.isNone(polled)) return yield* Effect.fail(OAuthError.invalidGrant("The device code is invalid"))
        const device = polled.value
        if (device.clientId !== client.clientId) return yield* Effect.fail(OAuthError.invalidGrant("The device code was issued to another client"))
        if (device.expiresAt <= t) return yield* Effect.fail(OAuthError.expiredToken("The device code has expired (RFC 8628 §3.5)"))
        switch (device.status) {
          case "denied":
            return yield* Effect.fail(OAuthError.accessDenied("The user denied the request (RFC 8628 §3.5)"))
          case "redeemed":
            return yield* Effect.fail(OAuthError.invalidGrant("The device code was already used"))
          case "pending": {
            if (device.lastPolledAt !== undefined && t - device.lastPolledAt < device.intervalSeconds * 1000) {
              // RFC 8628 §3.5: polling too fast adds 5 seconds to the interval.
              yield* store.slowDownDevice(device.digest, device.intervalSeconds + 5)
              return yield* Effect.fail(OAuthError.slowDown("Polling too fast; wait 5 more seconds between polls (RFC 8628 §3.5)"))
            }
            return yield* Effect.fail(OAuthError.authorizationPending("The user has not finished yet (RFC 8628 §3.5)"))
          }
          case "approved": {
            const redeemed = yield* store.redeemDevice(device.digest)
            if (Option.isNone(redeemed) || redeemed.value.grant === undefined) return yield* Effect.fail(OAuthError.invalidGrant("The device code was already used"))
            const grant = redeemed.value.grant
            yield* store.putGrant(grant)
            return yield* issueTokens(grant, client, t, true)
          }
        }
      })

    const tokenEndpoint = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const form = yield* Http.formParameters(request)
        const t = yield* now
        const grantType = form.get("grant_type")
        if (grantType === undefined) return yield* Effect.fail(OAuthError.invalidRequest("grant_type is required"))
        const client = yield* authenticateClient(request, form, t)
        const body = yield* (
          grantType === "authorization_code"
            ? authorizationCodeGrant(form, client, t)
            : grantType === "refresh_token"
            ? refreshTokenGrant(form, client, t)
            : grantType === "client_credentials"
            ? clientCredentialsGrant(form, client, t)
            : grantType === GRANT_DEVICE
            ? deviceCodeGrant(form, client, t)
            : Effect.fail(OAuthError.unsupportedGrantType(`The grant type "${grantType.slice(0, 100)}" is not supported`))
        )
        yield* clients.touch(client, t)
        recordTokensIssued(grantType === GRANT_DEVICE ? "device_code" : grantType)
        return Http.json(body)
      })

    // --- Revocation (RFC 7009) and introspection (RFC 7662) ------------------------------
    /** What a token presented to revocation or introspection is: one of our refresh tokens, or one of our access tokens. */
    const identify = (value: string, t: number) =>
      Effect.gen(function*() {
        const refresh = yield* store.getRefresh(digest(value))
        if (Option.isSome(refresh)) {
          const grant = yield* store.getGrant(refresh.value.grantId)
          return { _tag: "refresh" as const, record: refresh.value, grant: Option.getOrUndefined(grant) }
        }
        const verified = yield* Effect.either(anyAudience.verify(value))
        if (verified._tag === "Right") {
          const claims = verified.right.claims
          const gid = typeof claims.gid === "string" ? claims.gid : undefined
          const grant = gid === undefined ? undefined : Option.getOrUndefined(yield* store.getGrant(gid))
          const revoked = typeof claims.jti !== "string" || (yield* store.isAccessTokenRevoked(claims.jti))
          return { _tag: "access" as const, claims, grant, revoked, now: t }
        }
        return { _tag: "unknown" as const }
      })

    const revocationEndpoint = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const form = yield* Http.formParameters(request)
        const t = yield* now
        const client = yield* authenticateClient(request, form, t)
        const value = form.get("token")
        if (value === undefined) return yield* Effect.fail(OAuthError.invalidRequest("token is required (RFC 7009 §2.1)"))
        const found = yield* identify(value, t)
        // RFC 7009 §2.1: only the client the token was issued to may revoke it; §2.2: unknown tokens get 200 too.
        if (found._tag === "refresh" && found.grant !== undefined && found.grant.clientId === client.clientId) {
          // RFC 7009 §2.1: revoking a refresh token ends the access tokens of the same grant.
          yield* revokeGrant(found.grant.grantId, t, "revocation")
        } else if (found._tag === "access" && found.claims.client_id === client.clientId) {
          const jti = found.claims.jti as string
          const exp = typeof found.claims.exp === "number" ? found.claims.exp * 1000 : t + lifetimes.accessToken
          yield* store.revokeAccessToken(jti, exp)
          forgetLater(revokedJtis, jti, exp - t + 60_000)
        }
        return HttpServerResponse.empty({ status: 200, headers: Http.NO_STORE })
      })

    const introspectionEndpoint = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const form = yield* Http.formParameters(request)
        const t = yield* now
        const caller = yield* authenticateClient(request, form, t)
        // RFC 7662 §2.1: the endpoint requires authorization; here, a confidential client.
        if (!caller.confidential) return yield* Effect.fail(OAuthError.invalidClient("Introspection needs a confidential client (RFC 7662 §2.1)"))
        const value = form.get("token")
        if (value === undefined) return yield* Effect.fail(OAuthError.invalidRequest("token is required (RFC 7662 §2.1)"))
        const found = yield* identify(value, t)
        const inactive = Http.json({ active: false })
        // RFC 7662 §4: pre-registered clients (resource servers) introspect any token; any other client only its own.
        const owner = found._tag === "refresh" ? found.grant?.clientId : found._tag === "access" ? found.claims.client_id : undefined
        if (caller.kind !== "static" && owner !== caller.clientId) return inactive
        if (found._tag === "refresh") {
          const grant = found.grant
          const live = grant !== undefined && grant.revokedAt === undefined && grant.expiresAt > t && found.record.expiresAt > t &&
            (found.record.rotatedAt === undefined || t - found.record.rotatedAt <= grace)
          if (!live) return inactive
          return Http.json({
            active: true,
            token_type: "refresh_token",
            client_id: grant.clientId,
            sub: grant.identity.subject,
            scope: grant.scopes.join(" "),
            aud: grant.resources.length === 1 ? grant.resources[0] : grant.resources,
            iss: issuer,
            exp: Math.floor(Math.min(found.record.expiresAt, grant.expiresAt) / 1000),
            iat: Math.floor(found.record.createdAt / 1000)
          })
        }
        if (found._tag === "access") {
          if (found.revoked || found.grant === undefined || found.grant.revokedAt !== undefined) return inactive
          const c = found.claims
          return Http.json({
            active: true,
            token_type: "Bearer",
            ...Object.fromEntries(["scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "tenant", "roles"].flatMap((k) => c[k] === undefined ? [] : [[k, c[k]]]))
          })
        }
        return inactive
      })

    // --- Device authorization (RFC 8628) -------------------------------------------------
    const userCode = () => Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join("")
    const normaliseUserCode = (value: string) => value.toUpperCase().replace(/[^A-Z]/g, "")
    const showUserCode = (value: string) => `${value.slice(0, 4)}-${value.slice(4)}`

    const deviceAuthorizationEndpoint = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const form = yield* Http.formParameters(request)
        const t = yield* now
        const client = yield* authenticateClient(request, form, t)
        if (!client.metadata.grant_types.includes(GRANT_DEVICE)) {
          return yield* Effect.fail(OAuthError.unauthorizedClient("The client is not registered for the device_code grant"))
        }
        const rs = yield* checkResources(form.all("resource"))
        const scopes = yield* checkScopes(form.get("scope"), rs, client)
        const deviceCode = token()
        let code = userCode()
        for (let attempt = 0;; attempt++) {
          const added = yield* store.putDevice({
            digest: digest(deviceCode),
            userCode: code,
            clientId: client.clientId,
            scopes: [...scopes],
            resources: [...rs],
            expiresAt: t + lifetimes.deviceCode,
            intervalSeconds: 5,
            status: "pending"
          })
          if (added) break
          if (attempt >= 5) return yield* Effect.fail(OAuthError.temporarilyUnavailable("No free user code; try again"))
          code = userCode()
        }
        return Http.json({
          device_code: deviceCode,
          user_code: showUserCode(code),
          verification_uri: endpoints.device,
          verification_uri_complete: `${endpoints.device}?user_code=${showUserCode(code)}`,
          expires_in: Math.floor(lifetimes.deviceCode / 1000),
          interval: 5
        })
      })

    const codeEntries = slidingWindow({ limit: 20, windowMillis: 60_000, maxKeys: 10_000 })
    const sessionCsrf = (request: HttpServerRequest.HttpServerRequest) => digest(`csrf:${request.cookies[SESSION_COOKIE] ?? ""}`)

    const deviceLogin = (request: HttpServerRequest.HttpServerRequest, entered: string | undefined) =>
      Effect.gen(function*() {
        const limited = interactionLimit(request, yield* now)
        if (limited !== undefined) return limited
        const normalised = entered === undefined ? undefined : normaliseUserCode(entered)
        const code = normalised === undefined || normalised.length !== 8 ? undefined : showUserCode(normalised)
        const browser = browserOf(request)
        const id = yield* putInteraction("device-login", { userCode: code, browser: browser.id, csrf: token() } satisfies DeviceLogin, lifetimes.interaction)
        return withCookies(Http.redirect(path(`/login?interaction=${id}`)), [browser.setCookie])
      })

    const showDevice = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const p = yield* Http.queryParameters(request)
        const code = p.get("user_code")
        const login = yield* session(request)
        if (Option.isNone(login)) return yield* deviceLogin(request, code)
        return page(Pages.devicePage({ action: path("/device"), csrfToken: sessionCsrf(request), ...(code === undefined ? {} : { userCode: code }) }))
      })

    const pendingDevice = (value: string | undefined) =>
      Effect.gen(function*() {
        const code = normaliseUserCode(value ?? "")
        if (code.length !== 8) return Option.none()
        const t = yield* now
        const device = yield* store.getDeviceByUserCode(code)
        return Option.filter(device, (d) => d.status === "pending" && d.expiresAt > t)
      })

    const submitDevice = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const form = yield* Http.formParameters(request)
        const login = yield* session(request)
        if (Option.isNone(login)) return yield* deviceLogin(request, form.get(Pages.fields.userCode))
        const csrf = sessionCsrf(request)
        if (form.get(Pages.fields.csrf) !== csrf) return message("Request refused", "The form did not come from this page. Open the device page again.", 403)
        // RFC 8628 §5.1: user codes are short, so guessing them is rate-limited, per user and per address.
        const at = yield* now
        const wait = Math.max(
          codeEntries.take(`user:${login.value.identity.subject}`, at),
          codeEntries.take(`address:${Http.clientAddress(request) ?? ""}`, at)
        )
        if (wait > 0) {
          return page(Pages.devicePage({ action: path("/device"), csrfToken: csrf, error: `Too many attempts. Try again in ${Math.ceil(wait / 1000)} seconds.` }), 429, {
            "retry-after": String(Math.ceil(wait / 1000))
          })
        }
        const entered = form.get(Pages.fields.userCode)
        const device = yield* pendingDevice(entered)
        if (Option.isNone(device)) {
          return page(Pages.devicePage({ action: path("/device"), csrfToken: csrf, ...(entered === undefined ? {} : { userCode: entered }), error: "That code is not valid or has expired. Check it and try again." }), 400)
        }
        const decision = form.get(Pages.fields.decision)
        const t = yield* now
        const client = yield* Effect.either(clients.resolve(device.value.clientId, t))
        if (client._tag === "Left") return message("Unknown application", "The application that asked is no longer registered.")
        if (decision === undefined) {
          return page(Pages.deviceConsentPage({
            serverName,
            client: clientSummary(client.right),
            user: { subject: login.value.identity.subject, ...(login.value.name === undefined ? {} : { name: login.value.name }) },
            scopes: scopeItems(scopesForUser(device.value.scopes, login.value.identity), device.value.resources),
            resources: device.value.resources.map((r) => resources.get(r)?.resource.name ?? r),
            action: path("/device"),
            csrfToken: csrf,
            interaction: "device",
            userCode: showUserCode(device.value.userCode)
          }))
        }
        const identity = login.value.identity
        const decided = yield* store.decideDevice(
          device.value.userCode,
          decision === "allow"
            ? {
              approved: true,
              grant: {
                grantId: token(16),
                clientId: device.value.clientId,
                identity,
                scopes: [...scopesForUser(device.value.scopes, identity)],
                resources: [...device.value.resources],
                authTime: login.value.authTime,
                ...(login.value.upstream === undefined ? {} : { upstream: login.value.upstream }),
                createdAt: t,
                expiresAt: t + lifetimes.grant
              }
            }
            : { approved: false }
        )
        if (!decided) return message("Already answered", "This code was already answered or has expired.")
        return page(Pages.messagePage({
          title: decision === "allow" ? "Device connected" : "Request denied",
          message: decision === "allow" ? "You may close this window and return to your device." : "The device was not given access. You may close this window.",
          status: "success"
        }))
      })

    // --- Registration (RFC 7591, RFC 7592) -------------------------------------------------
    /** The registration access token's header (RFC 7592 §2), as `OAuthClients` reads it. */
    const registrationToken = (request: HttpServerRequest.HttpServerRequest) => request.headers.authorization
    const register = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        if (!clients.dynamicRegistration) return yield* Effect.fail(new OAuthError.OAuthError({ error: "invalid_request", description: "Dynamic registration is not enabled", status: 404 }))
        const body = yield* Http.jsonBody(request, "The body must be a JSON object (RFC 7591 §3.1)")
        const t = yield* now
        const authorization = request.headers.authorization
        const registered = yield* clients.register(body, {
          ...(Http.clientAddress(request) === undefined ? {} : { clientAddress: Http.clientAddress(request)! }),
          ...(authorization === undefined ? {} : { authorization }),
          now: t
        })
        return Http.json(registered, 201)
      })
    const clientIdParam = Effect.map(HttpRouter.params, (p) => p.clientId ?? "")
    const readRegistration = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const clientId = yield* clientIdParam
        const t = yield* now
        return Http.json(yield* clients.read(clientId, registrationToken(request), t))
      })
    const updateRegistration = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const clientId = yield* clientIdParam
        if (!clients.dynamicRegistration) return yield* Effect.fail(new OAuthError.OAuthError({ error: "invalid_request", description: "Dynamic registration is not enabled", status: 404 }))
        const body = yield* Http.jsonBody(request, "The body must be a JSON object (RFC 7592 §2.2)")
        const t = yield* now
        return Http.json(yield* clients.update(clientId, registrationToken(request), body, t))
      })
    const deleteRegistration = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const clientId = yield* clientIdParam
        const t = yield* now
        // RFC 7592 §2.3: the client's grants end with it (OAuthClients.remove revokes them).
        yield* clients.remove(clientId, registrationToken(request), t)
        return HttpServerResponse.empty({ status: 204, headers: Http.NO_STORE })
      })

    // --- Routing -----------------------------------------------------------------------
    type Handler = (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse, OAuthError.OAuthError | OAuthStoreError, HttpRouter.RouteContext>
    /**
     * JSON endpoints: OAuth errors as RFC 6749 §5.2 bodies; store failures as 503
     * `temporarily_unavailable`. Browser-based clients (the MCP Inspector) call them across
     * origins: they carry CORS headers for any origin, which is safe as they use no cookies
     * (clients authenticate in the request itself).
     */
    const api = (endpoint: string, handler: Handler) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        handler(request).pipe(
          Effect.catchTags({
            OAuthError: (error) => {
              recordOAuthError(endpoint, error.error)
              return Effect.succeed(Http.errorResponse(error, /^basic /i.test(request.headers.authorization ?? "")))
            },
            OAuthStoreError: (error) =>
              Effect.as(Effect.logWarning(error.message), Http.errorResponse(OAuthError.temporarilyUnavailable("The authorization server's store is unavailable")))
          }),
          Effect.map(HttpServerResponse.setHeaders(CORS))
        ))
    /** The CORS preflight of the JSON endpoints (Fetch Standard §3.2.2). */
    const preflight = Effect.succeed(HttpServerResponse.empty({ status: 204, headers: { ...CORS, ...PREFLIGHT } }))
    /** Browser endpoints: errors as pages. */
    const browser = (handler: Handler) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        handler(request).pipe(
          Effect.catchTags({
            OAuthError: (error) => Effect.succeed(message("Request refused", error.description, error.status)),
            OAuthStoreError: (error) =>
              Effect.as(Effect.logWarning(error.message), message("Temporarily unavailable", "The server cannot handle this now. Try again in a moment.", 503))
          })
        ))
    const provider = (handler: (request: HttpServerRequest.HttpServerRequest, name: string) => ReturnType<Handler>) => (request: HttpServerRequest.HttpServerRequest) =>
      Effect.flatMap(HttpRouter.params, (p) => handler(request, p.provider ?? ""))

    const metadataResponse = (document: Record<string, unknown>) =>
      Effect.succeed(HttpServerResponse.unsafeJson(document, { headers: { "cache-control": "public, max-age=3600", "access-control-allow-origin": "*" } }))
    const jwksResponse = Effect.map(ring.jwks, (jwks) =>
      HttpServerResponse.unsafeJson(jwks, { headers: { "cache-control": "public, max-age=300", "access-control-allow-origin": "*" } })).pipe(
        Effect.catchTag("OAuthStoreError", () => Effect.succeed(Http.errorResponse(OAuthError.temporarilyUnavailable("The keys cannot be read now"))))
      )

    const wellKnown = base === "" ? "" : base
    const discovery = HttpRouter.empty.pipe(
      // RFC 8414 §3.1 (path-inserted) and OIDC Discovery §4 (path-appended) locations.
      HttpRouter.get(`/.well-known/oauth-authorization-server${wellKnown}` as HttpRouter.PathInput, metadataResponse(metadata)),
      HttpRouter.get(`/.well-known/openid-configuration${wellKnown}` as HttpRouter.PathInput, metadataResponse(oidcMetadata)),
      (router) => base === "" ? router : HttpRouter.get(router, `${base}/.well-known/openid-configuration` as HttpRouter.PathInput, metadataResponse(oidcMetadata)),
      HttpRouter.get(path("/jwks.json") as HttpRouter.PathInput, jwksResponse),
      HttpRouter.options(`/.well-known/oauth-authorization-server${wellKnown}` as HttpRouter.PathInput, preflight),
      HttpRouter.options(`/.well-known/openid-configuration${wellKnown}` as HttpRouter.PathInput, preflight)
    )
    const router = discovery.pipe(
      HttpRouter.get(path("/authorize") as HttpRouter.PathInput, browser(authorize)),
      HttpRouter.post(path("/authorize") as HttpRouter.PathInput, browser(authorize)),
      HttpRouter.get(path("/login") as HttpRouter.PathInput, browser(showLogin)),
      HttpRouter.post(path("/login") as HttpRouter.PathInput, browser(localLogin)),
      HttpRouter.get(path("/login/:provider") as HttpRouter.PathInput, browser(provider(startUpstream))),
      HttpRouter.get(path("/callback/:provider") as HttpRouter.PathInput, browser(provider(upstreamCallback))),
      HttpRouter.get(path("/consent") as HttpRouter.PathInput, browser(showConsent)),
      HttpRouter.post(path("/consent") as HttpRouter.PathInput, browser(decideConsent)),
      HttpRouter.get(path("/device") as HttpRouter.PathInput, browser(showDevice)),
      HttpRouter.post(path("/device") as HttpRouter.PathInput, browser(submitDevice)),
      HttpRouter.post(path("/token") as HttpRouter.PathInput, api("token", tokenEndpoint)),
      HttpRouter.post(path("/revoke") as HttpRouter.PathInput, api("revocation", revocationEndpoint)),
      HttpRouter.post(path("/introspect") as HttpRouter.PathInput, api("introspection", introspectionEndpoint)),
      HttpRouter.post(path("/device_authorization") as HttpRouter.PathInput, api("device_authorization", deviceAuthorizationEndpoint)),
      HttpRouter.post(path("/register") as HttpRouter.PathInput, api("registration", register)),
      HttpRouter.get(path("/register/:clientId") as HttpRouter.PathInput, api("registration", readRegistration)),
      HttpRouter.put(path("/register/:clientId") as HttpRouter.PathInput, api("registration", updateRegistration)),
      HttpRouter.del(path("/register/:clientId") as HttpRouter.PathInput, api("registration", deleteRegistration)),
      (router) =>
        ["/token", "/revoke", "/introspect", "/device_authorization", "/register", "/register/:clientId", "/jwks.json"].reduce(
          (r, p) => HttpRouter.options(r, path(p) as HttpRouter.PathInput, preflight),
          router
        )
    )
    const routed = yield* HttpRouter.toHttpApp(router)
    const app = Effect.catchTag(routed, "RouteNotFound", () => Effect.succeed(HttpServerResponse.text("Not Found", { status: 404 })))
    const prefixes = ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", ...(base === "" ? [] : [`${base}/`])]
    const ownPaths = new Set(["/jwks.json", "/authorize", "/login", "/consent", "/device", "/token", "/revoke", "/introspect", "/device_authorization", "/register"].map(path))
    const handles = (pathname: string) =>
      ownPaths.has(pathname) || prefixes.some((p) => pathname.startsWith(p)) ||
      pathname.startsWith(path("/login/")) || pathname.startsWith(path("/callback/")) || pathname.startsWith(path("/register/"))

    const cleanup = Effect.flatMap(now, (t) => store.deleteExpired(t))
    // Also keeps the signing keys rotating ahead of time (a successor published before it signs).
    yield* Effect.zipRight(cleanup, ring.signer).pipe(
      Effect.catchAll((error) => Effect.logWarning(error.message)),
      Effect.repeat(Schedule.spaced(Duration.millis(ms(options.cleanupInterval, "1 minute")))),
      Effect.delay(Duration.millis(ms(options.cleanupInterval, "1 minute"))),
      Effect.interruptible,
      Effect.forkScoped
    )

    const service: AS.Service = {
      issuer,
      metadata,
      app,
      handles,
      authenticator,
      guardOptions,
      cleanup
    }
    return { service, upstreamTokens }
  })
