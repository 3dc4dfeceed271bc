/**
 * An OAuth 2.1 authorization server for MCP servers, embedded beside `/mcp`
 * or standalone (spec 2025-11-25 and 2026-07-28 basic/authorization; OAuth
 * 2.1 draft; RFC 8414, 8707, 9207, 7009, 7662, 7591/7592, 8628, 9068).
 *
 * It federates login to upstream identity providers (`Upstream`: any OIDC
 * provider, GitHub, Google, Microsoft Entra) or checks local accounts, asks
 * the user's consent on its own page, and issues its **own** tokens: short
 * JWT access tokens bound to one MCP server (RFC 8707 `resource` → `aud`)
 * and opaque refresh tokens rotated on every use. Upstream tokens never
 * reach MCP clients; tools that call an upstream API on the user's behalf
 * get them through `UpstreamTokens`.
 *
 * - `layer(options)` builds it on an `OAuthStore` (`OAuthStore.memory`, or
 *   `Postgres.oauthStore` for replicas sharing one database).
 * - `AuthorizationServer.app` is an `@effect/platform` `HttpApp` serving
 *   every endpoint: give it to `HttpTransport.layer({ app })` to serve it on
 *   the MCP server's port, or serve it alone.
 * - `authenticator(resource)` verifies the access tokens it issued for one
 *   MCP server (signature with the rotating keys, issuer, audience, `typ`
 *   `at+jwt`, expiry, revocation); `guardOptions(resource)` is what
 *   `BearerGuard` needs to point clients at this server (RFC 9728).
 *
 * @example
 * import { Layer, Redacted } from "effect"
 * import { AuthorizationServer, OAuthStore, Upstream } from "@emcee/auth"
 *
 * const Oauth = AuthorizationServer.layer({
 *   issuer: "https://mcp.example.com",
 *   resources: [{ uri: "https://mcp.example.com/mcp", scopes: ["files:read", "files:write"] }],
 *   upstreams: [Upstream.github({ clientId: "…", clientSecret: Redacted.make("…") })],
 *   encryptionKey: Redacted.make(process.env.OAUTH_ENCRYPTION_KEY!)
 * }).pipe(Layer.provide(OAuthStore.memory))
 *
 * @since 0.3.0
 */
import type { HttpApp } from "@effect/platform"
import { Config, ConfigError, Context, type Duration, Effect, Either, Layer, type Option, Redacted, type Scope } from "effect"
import type { Authenticator } from "./Authenticator.js"
import type * as BearerGuard from "./BearerGuard.js"
import { makeAuthorizationServer } from "./internal/oauth/server.js"
import type * as OAuthClients from "./OAuthClients.js"
import type { OAuthStore, OAuthStoreError } from "./OAuthStore.js"
import type * as SigningKeys from "./SigningKeys.js"
import type * as Upstream from "./Upstream.js"
import * as UpstreamTokens from "./UpstreamTokens.js"

/** A scope a resource understands, with the text the consent page shows for it. */
export interface ScopeDescription {
  readonly name: string
  readonly description?: string
}

/** An MCP server (a protected resource) this authorization server issues tokens for. */
export interface Resource {
  /**
   * Its canonical URI (RFC 8707 §2, spec "Canonical Server URI"), e.g.
   * `https://mcp.example.com/mcp`: clients ask for tokens with it as
   * `resource`, and it becomes the tokens' `aud`. Compared exactly.
   */
  readonly uri: string
  /** Its name on the consent page. Default the URI. */
  readonly name?: string
  /** The scopes it understands; a request for any other is `invalid_scope`. */
  readonly scopes: ReadonlyArray<string | ScopeDescription>
  /** Scopes granted when a request names none. Default: every scope of `scopes`. */
  readonly defaultScopes?: ReadonlyArray<string>
}

/** A local account, for servers that check passwords themselves (development, small deployments). */
export interface LocalAccount {
  readonly subject: string
  readonly name?: string
  readonly tenant?: string
  readonly roles?: ReadonlyArray<string>
  /** The scopes the account may be granted; undefined: whatever the client asks for and the user consents to. */
  readonly scopes?: ReadonlyArray<string>
  readonly claims?: Readonly<Record<string, unknown>>
}

/** How long things live. */
export interface Lifetimes {
  /** Access tokens (RFC 9068). Default 10 minutes. */
  readonly accessToken?: Duration.DurationInput
  /** A refresh token unused this long expires. Default 14 days. */
  readonly refreshToken?: Duration.DurationInput
  /** A grant (a refresh-token family) ends this long after the user authorized it, however often refreshed. Default 90 days. */
  readonly grant?: Duration.DurationInput
  /** Authorization codes (OAuth 2.1 §4.1.2: short). Default 60 seconds. */
  readonly code?: Duration.DurationInput
  /** Device codes (RFC 8628 §3.2 `expires_in`). Default 10 minutes. */
  readonly deviceCode?: Duration.DurationInput
  /** A login at this server (its browser session). Default 1 hour. */
  readonly login?: Duration.DurationInput
  /** An authorization request waiting for login and consent. Default 10 minutes. */
  readonly interaction?: Duration.DurationInput
}

/** Options of `layer`. */
export interface Options {
  /**
   * The issuer identifier (RFC 8414 §2): an https URL without query or
   * fragment (http only on loopback, for development), e.g.
   * `https://mcp.example.com` or `https://example.com/oauth`. Every endpoint
   * is under it; its metadata is at
   * `/.well-known/oauth-authorization-server` (path-inserted, RFC 8414 §3.1)
   * and `/.well-known/openid-configuration`.
   */
  readonly issuer: string
  /** A display name for pages. Default the issuer's host. */
  readonly name?: string
  /** The MCP servers tokens are issued for. */
  readonly resources: ReadonlyArray<Resource>
  /** Upstream identity providers users sign in with (buttons on the login page). */
  readonly upstreams?: ReadonlyArray<Upstream.Provider>
  /**
   * Checks a username and password typed on the login page, for local
   * accounts; `None` refuses them. Without it, the page offers the
   * upstream providers only.
   */
  readonly localLogin?: (username: string, password: string) => Effect.Effect<Option.Option<LocalAccount>>
  /** Client registration: pre-registered clients, Client ID Metadata Documents (on by default), dynamic registration (off by default). */
  readonly clients?: Omit<OAuthClients.Options, "registrationEndpoint">
  /**
   * The key(s) sealing what the store keeps secret (private signing keys,
   * upstream tokens), at least 32 characters; the first seals, all open
   * (rotation). From `Config` with `encryptionKeyConfig`.
   */
  readonly encryptionKey: Redacted.Redacted<string> | ReadonlyArray<Redacted.Redacted<string>>
  /** Signing keys and their rotation. */
  readonly signing?: SigningKeys.Options
  /** Lifetimes of codes, tokens and logins. */
  readonly lifetimes?: Lifetimes
  /**
   * How long a rotated refresh token is still accepted, for clients that
   * refresh twice in a race (each use gets fresh tokens of the same
   * family). Past it, a reuse revokes the whole family. Default 30
   * seconds; 0 turns the grace off.
   */
  readonly refreshGrace?: Duration.DurationInput
  /** Remember consent per user, client and scope set (the screen is shown again for new scopes or resources). Default true. */
  readonly rememberConsent?: boolean
  /**
   * Whether cookies carry `Secure`. Default: when the issuer is https.
   */
  readonly secureCookies?: boolean
  /** How often expired codes, tokens, clients and interactions are removed from the store. Default 1 minute. */
  readonly cleanupInterval?: Duration.DurationInput
}

/** A running authorization server. */
export interface Service {
  /** The issuer identifier. */
  readonly issuer: string
  /** The authorization server metadata (RFC 8414 §2). */
  readonly metadata: Readonly<Record<string, unknown>>
  /** Every endpoint, as one `@effect/platform` app (answers 404 outside its paths). */
  readonly app: HttpApp.Default
  /** Whether a request path is one of the server's (for routing beside other apps). */
  readonly handles: (pathname: string) => boolean
  /** Verifies the access tokens this server issued for `resource` (which must be one of `resources`). */
  readonly authenticator: (resource: string) => Authenticator
  /** `BearerGuard` options pointing clients at this server for `resource` (RFC 9728 `authorization_servers`, `scopes_supported`). */
  readonly guardOptions: (resource: string) => BearerGuard.Options
  /** Removes what expired from the store now (the Layer does it every `cleanupInterval`). */
  readonly cleanup: Effect.Effect<number, OAuthStoreError>
}

/** Service tag of the authorization server. */
export class AuthorizationServer extends Context.Tag("@emcee/auth/AuthorizationServer")<AuthorizationServer, Service>() {}

/**
 * Builds the server in a scope (its cleanup fiber stops with it). Fails
 * with a `ConfigError` naming the option when the options are inconsistent
 * (an issuer that is not https, a resource scope listed twice, an
 * encryption key shorter than 32 characters…).
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError.ConfigError | OAuthStoreError, OAuthStore | Scope.Scope> =>
  Effect.map(makeAuthorizationServer(options), ({ service }) => service)

/**
 * The server as a Layer, with the `UpstreamTokens` of its upstream logins
 * (for tools that call an upstream API on the user's behalf).
 */
export const layer = (
  options: Options
): Layer.Layer<AuthorizationServer | UpstreamTokens.UpstreamTokens, ConfigError.ConfigError | OAuthStoreError, OAuthStore> =>
  Layer.scopedContext(
    Effect.map(makeAuthorizationServer(options), ({ service, upstreamTokens }) =>
      Context.make(AuthorizationServer, service).pipe(Context.add(UpstreamTokens.UpstreamTokens, upstreamTokens)))
  )

/**
 * The encryption key(s) from `Config` (default `OAUTH_ENCRYPTION_KEY`): one
 * key, or several separated by commas (the first seals, all open), each at
 * least 32 characters.
 */
export const encryptionKeyConfig = (name = "OAUTH_ENCRYPTION_KEY"): Config.Config<ReadonlyArray<Redacted.Redacted<string>>> =>
  Config.redacted(name).pipe(
    Config.mapOrFail((value) => {
      const keys = Redacted.value(value).split(",").map((k) => k.trim()).filter((k) => k.length > 0)
      return keys.length > 0 && keys.every((k) => k.length >= 32)
        ? Either.right(keys.map((k) => Redacted.make(k)))
        : Either.left(ConfigError.InvalidData([name], "each key must have at least 32 characters"))
    })
  )
