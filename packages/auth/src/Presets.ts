/**
 * JWT options for well-known identity providers: the issuer, the JWKS URL,
 * and how each provider writes subject, tenant, roles and scopes in its
 * access tokens. Pass the result to `Jwt.make`:
 *
 * @example
 * import { Jwt, Presets } from "@emcee/auth"
 *
 * const jwt = Jwt.make(Presets.auth0({ domain: "acme.eu.auth0.com", audience: "https://mcp.acme.com/mcp" }))
 *
 * Each preset also carries `authorizationRequest`: what a client (or this
 * server acting as one) must know about the provider's authorization
 * requests. The MCP spec (2025-11-25 basic/authorization "Resource
 * Parameter Implementation") has clients send the RFC 8707 `resource`
 * parameter; some providers reject it, and some need a proprietary
 * `audience` parameter instead to issue a JWT for an API.
 *
 * Any option can be overridden with the second argument (another issuer for
 * a sovereign cloud, a JWKS URL on loopback in tests, a custom claim map).
 *
 * @since 0.2.0
 */
import type * as Jwt from "./Jwt.js"

/** What an authorization request to the provider needs. */
export interface AuthorizationRequest {
  /** Whether to send the RFC 8707 `resource` parameter (false: the provider rejects or ignores it). */
  readonly resourceParameter: boolean
  /** Whether the provider needs an `audience` parameter naming the API to issue a JWT access token for it. */
  readonly audienceParameter: boolean
  /** The quirk, for people. */
  readonly note: string
}

/** The provider a preset is for. */
export type Provider = "entra" | "auth0" | "okta" | "keycloak" | "google"

/** `Jwt.Options` for a provider, with its authorization-request quirks. */
export interface Preset extends Jwt.Options {
  readonly provider: Provider
  readonly authorizationRequest: AuthorizationRequest
}

const trimSlash = (s: string) => s.replace(/\/+$/, "")

/** The preset with `overrides`; a key given there (`publicKey`, `jwks`, `secret`) replaces the JWKS URL. */
const preset = (base: Preset, overrides: Partial<Jwt.Options> | undefined): Preset => {
  if (overrides === undefined) return base
  const { jwksUrl, ...rest } = base
  const ownKey = overrides.publicKey !== undefined || overrides.jwks !== undefined || overrides.secret !== undefined
  return { ...(ownKey ? rest : { ...rest, jwksUrl: jwksUrl! }), ...overrides }
}

/**
 * Microsoft Entra ID (v2.0 tokens): issuer
 * `https://login.microsoftonline.com/{tenantId}/v2.0`; delegated scopes in
 * `scp` (space-separated), app roles in `roles` (an array; app-only tokens
 * carry their permissions there), tenant in `tid`, subject `oid` (the
 * object id, the same across applications; `sub` is per application). The
 * audience of a v2.0 token is the API's application (client) id. The app
 * registration must set `accessTokenAcceptedVersion: 2`, or tokens come with
 * the v1 issuer `https://sts.windows.net/{tenantId}/`.
 */
export const entra = (
  options: { readonly tenantId: string; readonly audience: string | ReadonlyArray<string> },
  overrides?: Partial<Jwt.Options>
): Preset =>
  preset({
    provider: "entra",
    issuer: `https://login.microsoftonline.com/${options.tenantId}/v2.0`,
    audience: options.audience,
    jwksUrl: `https://login.microsoftonline.com/${options.tenantId}/discovery/v2.0/keys`,
    algorithms: ["RS256"],
    claims: { subject: ["oid", "sub"], tenant: "tid", roles: "roles", scopes: "scp" },
    authorizationRequest: {
      // Entra v2 rejects `resource` alongside v2 scopes (AADSTS9010010): the API is named by
      // prefixing each scope with its App ID URI (`api://{client-id}/tools.call`, or `/.default`).
      resourceParameter: false,
      audienceParameter: false,
      note: "Entra v2.0 rejects the RFC 8707 resource parameter; name the API through the scope prefix (api://<client-id>/<scope>)."
    }
  }, overrides)

/**
 * Auth0: issuer `https://{domain}/` (with the trailing slash), scopes in
 * `scope` (space-separated) and, with RBAC's "Add Permissions in the Access
 * Token", in `permissions` (an array); organization in `org_id`.
 */
export const auth0 = (
  options: { readonly domain: string; readonly audience: string | ReadonlyArray<string> },
  overrides?: Partial<Jwt.Options>
): Preset => {
  const domain = trimSlash(options.domain.replace(/^https?:\/\//, ""))
  return preset({
    provider: "auth0",
    issuer: `https://${domain}/`,
    audience: options.audience,
    jwksUrl: `https://${domain}/.well-known/jwks.json`,
    claims: { tenant: "org_id", scopes: ["scope", "permissions"] },
    authorizationRequest: {
      // Without `audience`, Auth0 issues an opaque token for its userinfo endpoint, not a JWT for the API;
      // `resource` is only honoured when the tenant's resource parameter profile is "compatibility".
      resourceParameter: true,
      audienceParameter: true,
      note: "Auth0 needs audience=<API identifier> to issue a JWT for the API; resource is ignored unless the tenant's resource parameter profile is \"compatibility\"."
    }
  }, overrides)
}

/**
 * Okta (a custom authorization server, e.g. `https://{org}.okta.com/oauth2/default`):
 * scopes in `scp` (an array), groups (as roles) in `groups` when a groups
 * claim is configured, the JWKS at `{issuer}/v1/keys`.
 */
export const okta = (
  options: { readonly issuer: string; readonly audience: string | ReadonlyArray<string> },
  overrides?: Partial<Jwt.Options>
): Preset => {
  const issuer = trimSlash(options.issuer)
  return preset({
    provider: "okta",
    issuer,
    audience: options.audience,
    // The org authorization server publishes its keys under /oauth2/v1/keys, custom ones under {issuer}/v1/keys.
    jwksUrl: issuer.includes("/oauth2/") ? `${issuer}/v1/keys` : `${issuer}/oauth2/v1/keys`,
    claims: { scopes: "scp", roles: "groups" },
    authorizationRequest: {
      // Okta fixes the audience per authorization server (its "audiences" setting): the issuer picks the API,
      // and neither `audience` nor RFC 8707 `resource` changes `aud`.
      resourceParameter: false,
      audienceParameter: false,
      note: "Okta sets aud from the custom authorization server's configured audience; choose the API by choosing the authorization server."
    }
  }, overrides)
}

/**
 * Keycloak: issuer `{url}/realms/{realm}`, realm roles in
 * `realm_access.roles` and, given `clientId`, that client's roles in
 * `resource_access.{clientId}.roles`; scopes in `scope`. Keycloak adds this
 * server to `aud` only through an "Audience" protocol mapper on a client
 * scope.
 */
export const keycloak = (
  options: { readonly url: string; readonly realm: string; readonly audience: string | ReadonlyArray<string>; readonly clientId?: string },
  overrides?: Partial<Jwt.Options>
): Preset => {
  const issuer = `${trimSlash(options.url)}/realms/${options.realm}`
  return preset({
    provider: "keycloak",
    issuer,
    audience: options.audience,
    jwksUrl: `${issuer}/protocol/openid-connect/certs`,
    claims: {
      scopes: "scope",
      roles: ["realm_access.roles", ...(options.clientId === undefined ? [] : [`resource_access.${options.clientId}.roles`])]
    },
    authorizationRequest: {
      // Keycloak ignores RFC 8707 `resource`: `aud` comes from Audience mappers on the client's scopes.
      resourceParameter: false,
      audienceParameter: false,
      note: "Keycloak ignores the resource parameter; add an Audience mapper (a client scope) that puts this server in aud."
    }
  }, overrides)
}

/**
 * Google: verifies Google ID tokens (Google's access tokens are opaque):
 * issuer `https://accounts.google.com` (or `accounts.google.com`, both are
 * issued), audience the OAuth client id, the Workspace domain (`hd`) as
 * tenant. ID tokens carry no scopes.
 */
export const google = (options: { readonly clientId: string }, overrides?: Partial<Jwt.Options>): Preset =>
  preset({
    provider: "google",
    issuer: ["https://accounts.google.com", "accounts.google.com"],
    audience: options.clientId,
    jwksUrl: "https://www.googleapis.com/oauth2/v3/certs",
    algorithms: ["RS256"],
    claims: { tenant: "hd" },
    authorizationRequest: {
      // Google issues opaque access tokens for its own APIs only; a third-party server can verify the ID token.
      resourceParameter: false,
      audienceParameter: false,
      note: "Google's access tokens are opaque and for Google APIs; verify the ID token, whose aud is the OAuth client id."
    }
  }, overrides)
