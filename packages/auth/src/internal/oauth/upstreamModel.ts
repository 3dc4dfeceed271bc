/**
 * The data of upstream identity providers (re-exported by `Upstream`).
 *
 * @internal
 */
import { type Effect, Schema } from "effect"
import type { ClaimPath } from "../claims.js"

/** Why an upstream login or refresh failed. */
export type UpstreamFailure = "configuration" | "unavailable" | "denied" | "invalid_response"

/**
 * An upstream login or refresh failed. `reason`: `configuration` (the
 * provider or this server is set up wrong: unknown client, missing
 * endpoint, no PKCE S256), `unavailable` (the provider cannot be reached,
 * timed out or answered 5xx: try again later), `denied` (the user refused,
 * the account is not allowed here, or a refresh token was revoked: log in
 * again), `invalid_response` (a check failed: state, issuer, nonce, ID
 * token, a refused code; possibly an attack). `description` never contains a
 * token, code or secret.
 */
export class UpstreamError extends Schema.TaggedError<UpstreamError>()("UpstreamError", {
  provider: Schema.String,
  reason: Schema.Literal("configuration", "unavailable", "denied", "invalid_response"),
  description: Schema.String
}) {
  override get message() {
    return `Upstream login with ${this.provider} failed (${this.reason}): ${this.description}`
  }
}

/** Tokens an upstream provider issued. */
export interface TokenSet {
  readonly accessToken: string
  readonly refreshToken?: string | undefined
  /** When the access token expires, epoch ms; undefined when the provider did not say. */
  readonly expiresAt?: number | undefined
  /** The scopes the provider granted (as it reported them, else as requested). */
  readonly scopes: ReadonlyArray<string>
  /** `bearer` (lower case), or what the provider said. */
  readonly tokenType: string
}

/** A completed upstream login, mapped to an emcee identity. */
export interface Login {
  /** The emcee subject, after mapping (`github:583231` by default). */
  readonly subject: string
  readonly tenant?: string | undefined
  readonly roles: ReadonlyArray<string>
  readonly scopes: ReadonlyArray<string>
  /** The upstream claims (ID token, userinfo or the provider's user API), never a token. */
  readonly claims: Readonly<Record<string, unknown>>
  /** What the upstream provider issued: store them (`UpstreamTokens.store`), never hand them to an MCP client. */
  readonly tokens: TokenSet
  /** The user's identifier at the provider (`sub`, GitHub's numeric `id`). */
  readonly upstreamSubject: string
}

/** What one login attempt carries from the authorization URL to the callback (kept server-side, e.g. in an `Interaction`). */
export interface Attempt {
  /** The OAuth `state` (RFC 6749 §10.12), compared exactly at the callback. */
  readonly state: string
  /** The OIDC `nonce` (OIDC Core §3.1.2.1), compared with the ID token's. */
  readonly nonce: string
  /** The PKCE code verifier (RFC 7636 §4.1); its S256 challenge goes in the authorization URL. */
  readonly codeVerifier: string
}

/** An upstream identity provider: data plus the operations of a login. */
export interface Provider {
  /** `github`, `google`, `entra`, or the operator's name; `[a-z0-9-]+`. Prefixes subjects and keys stored tokens. */
  readonly name: string
  /** For the login page: `Sign in with GitHub`. */
  readonly label: string
  /** The URL to send the browser to (authorization request, RFC 6749 §4.1.1, with PKCE S256 and, for OIDC, a nonce). */
  readonly authorizationUrl: (input: {
    readonly redirectUri: string
    readonly state: string
    readonly nonce: string
    readonly codeVerifier: string
  }) => Effect.Effect<URL, UpstreamError>
  /** Validates the callback, exchanges the code and maps the user to a `Login`. */
  readonly callback: (input: {
    readonly callbackUrl: URL
    readonly redirectUri: string
    readonly state: string
    readonly nonce: string
    readonly codeVerifier: string
  }) => Effect.Effect<Login, UpstreamError>
  /** Exchanges a refresh token (RFC 6749 §6); the result keeps the old refresh token when the provider did not rotate it. */
  readonly refresh: (refreshToken: string) => Effect.Effect<TokenSet, UpstreamError>
}

/**
 * How a claim's values become emcee roles or scopes: the values of `claim`
 * (an array, or a space-separated string), each translated through `values`
 * (upstream value → emcee values; a value not listed there is dropped), or
 * taken as they are when `values` is absent.
 */
export interface ValueMapping {
  readonly claim: ClaimPath
  readonly values?: Readonly<Record<string, ReadonlyArray<string>>>
}

/** What a custom `map` returns: each field given replaces the one the paths produce; `deny` refuses the login with that description. */
export interface MappedLogin {
  /** The emcee subject, used as is (not prefixed). */
  readonly subject?: string | undefined
  readonly tenant?: string | undefined
  readonly roles?: Iterable<string> | undefined
  readonly scopes?: Iterable<string> | undefined
  readonly deny?: string | undefined
}

/**
 * How upstream claims become the emcee identity of a `Login`: configuration,
 * with `map` as the escape hatch.
 *
 * @example
 * const mapping: Mapping = {
 *   roles: { claim: "groups", values: { "mcp-admins": ["admin"], "mcp-users": ["user"] } },
 *   defaultScopes: ["tools:read"],
 *   allowedDomains: ["acme.com"]
 * }
 */
export interface Mapping {
  /** Claims naming the user, the first present wins. Default `sub` (GitHub: `id`; Entra: `oid`, then `sub`). */
  readonly subject?: ClaimPath | ReadonlyArray<ClaimPath>
  /** Whether the emcee subject is `${provider}:${value}` (default true: subjects of two providers never collide). */
  readonly prefixSubject?: boolean
  /** The claim naming the tenant (Entra default `tid`, Google `hd`). */
  readonly tenant?: ClaimPath
  readonly roles?: ValueMapping
  readonly scopes?: ValueMapping
  /** Roles every login from this provider gets. */
  readonly defaultRoles?: ReadonlyArray<string>
  /** Scopes every login from this provider gets. */
  readonly defaultScopes?: ReadonlyArray<string>
  /** Only users whose verified `email` (`email_verified: true`) is in one of these domains may log in. */
  readonly allowedDomains?: ReadonlyArray<string>
  /** Claims that must have a value (equal, or contained in an array claim): `{ email_verified: true }`, `{ groups: "mcp" }`. */
  readonly require?: Readonly<Record<ClaimPath, string | number | boolean>>
  /** A custom mapping, applied after the checks above; its fields replace the ones the paths produce. */
  readonly map?: (claims: Readonly<Record<string, unknown>>) => MappedLogin
}
