/**
 * Upstream identity providers for the authorization server: federated login.
 * The user signs in at an upstream provider (GitHub, Google, Microsoft
 * Entra ID, any OpenID Connect provider); the authorization server maps the
 * upstream identity to an emcee identity and issues its own tokens. Upstream
 * tokens never reach MCP clients: they are stored sealed
 * (`UpstreamTokens.store`) for tools that call the upstream API on the user's
 * behalf through the `UpstreamTokens` service.
 *
 * A `Provider` is data (`name`, `label`) plus the operations of a login:
 * `authorizationUrl` (with PKCE S256, RFC 7636 §4.2, and for OIDC a nonce),
 * `callback` (state, RFC 9207 issuer, code exchange, ID token validation,
 * userinfo, mapping) and `refresh` (RFC 6749 §6). The protocol work is done
 * by oauth4webapi.
 *
 * @example
 * import { Redacted } from "effect"
 * import { Upstream } from "@emcee/auth"
 *
 * const providers = [
 *   Upstream.github({ clientId: "Iv1.abc", clientSecret: Redacted.make(process.env.GITHUB_SECRET!) }),
 *   Upstream.entra({
 *     tenant: "organizations",
 *     clientId: "7f0c…",
 *     clientSecret: Redacted.make(process.env.ENTRA_SECRET!),
 *     mapping: { roles: { claim: "roles", values: { "Mcp.Admin": ["admin"] } } }
 *   }),
 *   Upstream.oidc({ name: "okta", issuer: "https://acme.okta.com", clientId: "0oa…", clientSecret: Redacted.make("…") })
 * ]
 *
 * @since 0.3.0
 */
import type { Duration, Redacted } from "effect"
import * as oauth from "oauth4webapi"
import type { ClaimPath } from "./internal/claims.js"
import { makeGithubProvider } from "./internal/oauth/upstreamGithub.js"
import type { MappingDefaults } from "./internal/oauth/upstreamMapping.js"
import type { Attempt, Mapping, Provider } from "./internal/oauth/upstreamModel.js"
import { makeOidcProvider, type TokenEndpointAuthMethod } from "./internal/oauth/upstreamOidc.js"
import * as Presets from "./Presets.js"

export type { Attempt, Login, MappedLogin, Mapping, Provider, TokenSet, UpstreamFailure, ValueMapping } from "./internal/oauth/upstreamModel.js"
export { UpstreamError } from "./internal/oauth/upstreamModel.js"
export type { ClaimPath, TokenEndpointAuthMethod }

const NAME = /^[a-z0-9-]+$/

const checkName = (name: string): string => {
  if (!NAME.test(name)) throw new TypeError(`Upstream: the provider name "${name}" must match [a-z0-9-]+`)
  return name
}

/** A fresh `state`, `nonce` and PKCE `codeVerifier` for one login (each 256 bits of randomness, oauth4webapi's generators). */
export const makeAttempt = (): Attempt => ({
  state: oauth.generateRandomState(),
  nonce: oauth.generateRandomNonce(),
  codeVerifier: oauth.generateRandomCodeVerifier()
})

/** What every provider constructor accepts. */
export interface CommonOptions {
  /** For the login page. Default `Sign in with <Provider>`. */
  readonly label?: string
  /** How upstream claims become the emcee identity. */
  readonly mapping?: Mapping
  /** Allows `http:` endpoints (oauth4webapi's `allowInsecureRequests`): for loopback tests only. */
  readonly allowInsecureHttp?: boolean
  /** Timeout of each request to the provider. Default 10 seconds. */
  readonly timeout?: Duration.DurationInput
}

/** Options of `oidc`. */
export interface OidcOptions extends CommonOptions {
  /** `[a-z0-9-]+`: prefixes subjects (`okta:00u1…`) and keys stored tokens. */
  readonly name: string
  /** The issuer identifier; discovery reads `{issuer}/.well-known/openid-configuration` (OIDC Discovery §4) and checks its `issuer`. */
  readonly issuer: string
  readonly clientId: string
  /** Absent: a public client (`none`), relying on PKCE. */
  readonly clientSecret?: Redacted.Redacted<string>
  /** Default `openid profile email`; add `offline_access` for a refresh token. `openid` is always sent. */
  readonly scopes?: ReadonlyArray<string>
  /** Extra authorization request parameters (`prompt`, `access_type`, `audience`, `login_hint`…). */
  readonly authorizationParameters?: Readonly<Record<string, string>>
  /** Default: `client_secret_basic` with a secret (`client_secret_post` when only that is advertised), else `none`. */
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod
  /** Whether to merge the userinfo response into the claims when the provider has a userinfo endpoint. Default true. */
  readonly userinfo?: boolean
}

const withOpenid = (scopes: ReadonlyArray<string>): ReadonlyArray<string> => (scopes.includes("openid") ? scopes : ["openid", ...scopes])

const oidcWith = (options: OidcOptions, defaults: MappingDefaults, extra?: {
  readonly tenantIssuer?: { readonly template: string; readonly allowedTenants?: ReadonlyArray<string> | undefined }
}): Provider =>
  makeOidcProvider({
    name: checkName(options.name),
    label: options.label ?? `Sign in with ${options.name}`,
    issuer: options.issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: withOpenid(options.scopes ?? ["openid", "profile", "email"]),
    authorizationParameters: options.authorizationParameters ?? {},
    tokenEndpointAuthMethod: options.tokenEndpointAuthMethod,
    mapping: options.mapping,
    defaults,
    allowInsecureHttp: options.allowInsecureHttp ?? false,
    userinfo: options.userinfo ?? true,
    timeout: options.timeout ?? "10 seconds",
    tenantIssuer: extra?.tenantIssuer
  })

/**
 * Any OpenID Connect provider, found by discovery from its issuer. The
 * authorization request always carries PKCE S256 and a nonce; the callback
 * checks `state`, the RFC 9207 `iss` when the provider advertises
 * `authorization_response_iss_parameter_supported`, and the ID token (OIDC
 * Core §3.1.3.7); userinfo (OIDC Core §5.3) is merged into the claims.
 * Default subject `sub`, prefixed with the provider's name.
 */
export const oidc = (options: OidcOptions): Provider => oidcWith(options, { subject: "sub" })

/** Options of `github`. */
export interface GithubOptions extends CommonOptions {
  /** Default `github`. */
  readonly name?: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** Default `read:user user:email`. */
  readonly scopes?: ReadonlyArray<string>
  /** For GitHub Enterprise Server (and tests): the endpoints. */
  readonly endpoints?: {
    /** Default `https://github.com/login/oauth/authorize`. */
    readonly authorization?: string
    /** Default `https://github.com/login/oauth/access_token`. */
    readonly token?: string
    /** The REST API base. Default `https://api.github.com` (Enterprise Server: `https://{host}/api/v3`). */
    readonly api?: string
  }
}

/**
 * GitHub (plain OAuth 2.0, not OpenID Connect): the user from
 * `GET /user`, the subject from its numeric `id` (`github:583231`; logins
 * can be renamed, ids cannot), `email` from the primary verified address of
 * `GET /user/emails` (`email_verified: true`), so `allowedDomains` works.
 * Claims: the `/user` object (`login`, `name`, `company`…).
 */
export const github = (options: GithubOptions): Provider => {
  const name = checkName(options.name ?? "github")
  return makeGithubProvider({
    name,
    label: options.label ?? "Sign in with GitHub",
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: options.scopes ?? ["read:user", "user:email"],
    mapping: options.mapping,
    authorizationEndpoint: options.endpoints?.authorization ?? "https://github.com/login/oauth/authorize",
    tokenEndpoint: options.endpoints?.token ?? "https://github.com/login/oauth/access_token",
    apiUrl: options.endpoints?.api ?? "https://api.github.com",
    allowInsecureHttp: options.allowInsecureHttp ?? false,
    timeout: options.timeout ?? "10 seconds"
  })
}

/** Options of `google`. */
export interface GoogleOptions extends CommonOptions, Pick<OidcOptions, "scopes" | "authorizationParameters" | "userinfo"> {
  /** Default `google`. */
  readonly name?: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** Default `https://accounts.google.com` (another issuer for tests). */
  readonly issuer?: string
  /** Ask for a refresh token (`access_type=offline`, `prompt=consent`). Default true. */
  readonly offline?: boolean
}

/**
 * Google (OpenID Connect at `https://accounts.google.com`). With `offline`
 * (the default) the authorization request carries `access_type=offline` and
 * `prompt=consent`, Google's way to issue a refresh token. Tenant: the
 * Workspace domain `hd` (as `Presets.google`).
 */
export const google = (options: GoogleOptions): Provider => {
  const preset = Presets.google({ clientId: options.clientId })
  const offline = options.offline ?? true
  return oidcWith(
    {
      ...options,
      name: options.name ?? "google",
      label: options.label ?? "Sign in with Google",
      issuer: options.issuer ?? "https://accounts.google.com",
      authorizationParameters: { ...(offline ? { access_type: "offline", prompt: "consent" } : {}), ...options.authorizationParameters }
    },
    { subject: "sub", tenant: typeof preset.claims?.tenant === "string" ? preset.claims.tenant : "hd" }
  )
}

/** Options of `entra`. */
export interface EntraOptions extends CommonOptions, Pick<OidcOptions, "authorizationParameters" | "tokenEndpointAuthMethod"> {
  /** Default `entra`. */
  readonly name?: string
  /** A tenant id (GUID) or domain for a single-tenant app; `organizations` or `common` for a multi-tenant one. */
  readonly tenant: string
  readonly clientId: string
  readonly clientSecret?: Redacted.Redacted<string>
  /**
   * The API the access token is for, as an App ID URI (`api://…`): requested
   * as `{resource}/.default`. Entra v2.0 names the API through the scope and
   * rejects the RFC 8707 `resource` parameter alongside v2 scopes
   * (`Presets.entra(...).authorizationRequest`), so it is not sent.
   */
  readonly resource?: string
  /** Scopes besides `openid profile email offline_access` (`User.Read`, `api://…/tools.call`). */
  readonly scopes?: ReadonlyArray<string>
  /** For a multi-tenant app: the tenant ids allowed to log in. Default: any. */
  readonly allowedTenants?: ReadonlyArray<string>
  /** The authority host. Default `https://login.microsoftonline.com` (sovereign clouds, tests). */
  readonly authority?: string
}

const MULTI_TENANT = new Set(["common", "organizations", "consumers"])

/**
 * Microsoft Entra ID (v2.0 endpoints): OpenID Connect at
 * `{authority}/{tenant}/v2.0`. Multi-tenant (`common`, `organizations`): the
 * published issuer is the template `{authority}/{tenantid}/v2.0`, so each ID
 * token's `iss` is checked against the template filled with the token's
 * `tid`, and `tid` is the login's tenant. Default mapping as
 * `Presets.entra`: subject `oid` (then `sub`), tenant `tid`, roles `roles`
 * (app roles). The ID token carries the claims; userinfo (a Microsoft Graph
 * endpoint, refusing tokens for another API) is not called.
 */
export const entra = (options: EntraOptions): Provider => {
  if (!/^[A-Za-z0-9.-]+$/.test(options.tenant)) throw new TypeError("Upstream entra: the tenant must be a tenant id, a domain, \"organizations\" or \"common\"")
  const authority = (options.authority ?? "https://login.microsoftonline.com").replace(/\/+$/, "")
  const preset = Presets.entra({ tenantId: options.tenant, audience: options.clientId })
  const claims = preset.claims ?? {}
  const scopes = [...new Set([
    "openid",
    "profile",
    "email",
    "offline_access",
    ...(options.scopes ?? []),
    ...(options.resource === undefined ? [] : [`${options.resource.replace(/\/+$/, "")}/.default`])
  ])]
  const multiTenant = MULTI_TENANT.has(options.tenant.toLowerCase())
  const template = `${authority}/{tenantid}/v2.0`
  return oidcWith(
    {
      ...options,
      name: options.name ?? "entra",
      label: options.label ?? "Sign in with Microsoft",
      issuer: `${authority}/${options.tenant}/v2.0`,
      scopes,
      authorizationParameters: {
        ...(options.resource !== undefined && preset.authorizationRequest.resourceParameter ? { resource: options.resource } : {}),
        ...options.authorizationParameters
      },
      userinfo: false
    },
    {
      subject: claims.subject ?? ["oid", "sub"],
      tenant: typeof claims.tenant === "string" ? claims.tenant : "tid",
      roles: { claim: typeof claims.roles === "string" ? claims.roles : "roles" }
    },
    // A tenant named by domain publishes its GUID issuer: accepted through the same template.
    multiTenant || !/^[0-9a-fA-F-]{36}$/.test(options.tenant)
      ? { tenantIssuer: { template, allowedTenants: options.allowedTenants } }
      : undefined
  )
}
