/**
 * Opaque access tokens, verified by asking the authorization server (RFC
 * 7662 OAuth 2.0 Token Introspection): the bearer token is POSTed to the
 * introspection endpoint, with the resource server's client authentication,
 * and the answer (`active`, `scope`, `sub`, `aud`, `exp`…) becomes the
 * identity.
 *
 * The answer is checked as a JWT would be: inactive tokens are refused
 * (RFC 7662 §2.2), so are expired ones (`exp`), tokens whose `aud` does not
 * contain this server's identifier exactly (spec 2025-11-25
 * basic/authorization "Token Handling": servers MUST validate that tokens
 * were issued for them) and, when configured, tokens of another issuer.
 * The identity carries `expiresAt` from `exp`, so `Authentication`'s cache
 * reuses it without asking again until then (bounded by its `maxAgeMillis`:
 * lower that to notice revoked tokens sooner).
 *
 * The endpoint failing (unreachable, a non-200 answer, not JSON, too slow)
 * makes verification `unavailable`: the token is not refused, and the
 * refusal is not cached.
 *
 * @example
 * import { Redacted } from "effect"
 * import { Authentication, Introspection } from "@emcee/auth"
 *
 * const opaque = Introspection.make({
 *   endpoint: "https://auth.example.com/oauth2/introspect",
 *   client: { method: "client_secret_basic", clientId: "mcp-server", clientSecret: Redacted.make(process.env.SECRET!) },
 *   audience: "https://mcp.example.com/mcp"
 * })
 * const AuthLive = Authentication.layer([opaque])
 *
 * @since 0.2.0
 */
import { Clock, Config, ConfigError, Duration, Effect, Either, Option, Redacted } from "effect"
import { type Authenticator, AuthenticationError, bearerToken } from "./Authenticator.js"
import { type ClaimMapping, toIdentity } from "./internal/claims.js"
import type { Identity } from "./Principal.js"

export type { ClaimMapping }

type Secret = Redacted.Redacted<string> | string

/**
 * How the resource server authenticates to the introspection endpoint
 * (RFC 7662 §2.1: the endpoint MUST require some form of authorization):
 * - `client_secret_basic`: HTTP Basic with the form-encoded client id and secret (RFC 6749 §2.3.1), the default;
 * - `client_secret_post`: `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1);
 * - `bearer`: an access token of its own (RFC 7662 §2.1).
 */
export type ClientAuthentication =
  | { readonly method?: "client_secret_basic"; readonly clientId: string; readonly clientSecret: Secret }
  | { readonly method: "client_secret_post"; readonly clientId: string; readonly clientSecret: Secret }
  | { readonly method: "bearer"; readonly token: Secret }

/** Options of `make`. */
export interface Options {
  /** Names the authenticator (default `introspection`). */
  readonly name?: string
  /** The introspection endpoint. */
  readonly endpoint: string | URL
  /** The resource server's credentials at the endpoint. */
  readonly client: ClientAuthentication
  /**
   * This server's identifier(s), one of which `aud` must contain exactly.
   * `false` skips the check: only when the authorization server answers
   * without `aud` and only issues tokens for this server.
   */
  readonly audience: string | ReadonlyArray<string> | false
  /** The issuer `iss` must equal, when given. */
  readonly issuer?: string | ReadonlyArray<string>
  /** Timeout of an introspection request, in milliseconds. Default 5000. */
  readonly timeoutMillis?: number
  /** Clock skew tolerated on `exp` and `nbf`, in seconds. Default 30. */
  readonly clockToleranceSeconds?: number
  /** The `token_type_hint` sent (RFC 7662 §2.1). Default `access_token`. */
  readonly tokenTypeHint?: string
  /** How the answer becomes an identity. Default: subject `sub`, else `username`, else `client_id`; scopes `scope`. */
  readonly claims?: ClaimMapping
}

const invalid = (description: string) => new AuthenticationError({ reason: "invalid", description })
const unavailable = (description: string) => new AuthenticationError({ reason: "unavailable", description })

const secretValue = (secret: Secret) => (Redacted.isRedacted(secret) ? Redacted.value(secret) : secret)

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)

const fail = (message: string): never => {
  throw new TypeError(`Introspection: ${message}`)
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * An opaque-token authenticator asking `endpoint`. Throws a `TypeError`
 * naming the problem when the options are inconsistent.
 */
export const make = (options: Options): Authenticator => {
  let endpoint: URL
  try {
    endpoint = new URL(options.endpoint)
  } catch {
    return fail("endpoint is not a URL")
  }
  if (endpoint.protocol !== "https:" && endpoint.protocol !== "http:") fail("endpoint must be an http(s) URL")
  if (options.audience === undefined) fail("audience is required (spec basic/authorization \"Token Handling\"); pass false to skip the check")
  const audience = options.audience === false ? undefined : typeof options.audience === "string" ? [options.audience] : [...options.audience]
  if (audience !== undefined && (audience.length === 0 || audience.some((a) => typeof a !== "string" || a.length === 0))) {
    fail("audience must be a non-empty string or list")
  }
  const issuer = options.issuer === undefined ? undefined : typeof options.issuer === "string" ? [options.issuer] : [...options.issuer]
  const timeout = options.timeoutMillis ?? 5000
  if (!(Number.isFinite(timeout) && timeout > 0)) fail("timeoutMillis must be a positive number")
  const tolerance = (options.clockToleranceSeconds ?? 30) * 1000
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) fail("clockToleranceSeconds must be a non-negative number")
  const client = options.client
  if (client.method === "bearer" ? secretValue(client.token).length === 0 : client.clientId.length === 0) fail("the client credentials are empty")
  const mapping = options.claims ?? { scopes: "scope" }

  const request = (token: string): RequestInit => {
    const form = new URLSearchParams({ token, token_type_hint: options.tokenTypeHint ?? "access_token" })
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }
    switch (client.method) {
      case "bearer":
        headers["authorization"] = `Bearer ${secretValue(client.token)}`
        break
      case "client_secret_post":
        form.set("client_id", client.clientId)
        form.set("client_secret", secretValue(client.clientSecret))
        break
      default:
        headers["authorization"] = `Basic ${
          Buffer.from(`${formEncode(client.clientId)}:${formEncode(secretValue(client.clientSecret))}`).toString("base64")
        }`
    }
    // Credentials are never sent on to another origin: redirects are errors.
    return { method: "POST", headers, body: form.toString(), redirect: "error" }
  }

  const introspect = (token: string): Effect.Effect<Record<string, unknown>, AuthenticationError> =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(endpoint, { ...request(token), signal })
        if (response.status !== 200) {
          await response.body?.cancel()
          return Either.left(unavailable(`The introspection endpoint answered ${response.status}`))
        }
        const body: unknown = await response.json().catch(() => undefined)
        // RFC 7662 §2.2: a JSON object whose `active` member is REQUIRED.
        if (!isRecord(body) || typeof body["active"] !== "boolean") {
          return Either.left(unavailable("The introspection endpoint's answer is not an introspection response"))
        }
        return Either.right(body)
      },
      catch: () => unavailable("The introspection endpoint could not be reached")
    }).pipe(
      Effect.timeoutFail({ duration: Duration.millis(timeout), onTimeout: () => unavailable("The introspection endpoint did not answer in time") }),
      Effect.flatMap((either) => either)
    )

  const check = (claims: Record<string, unknown>, now: number): Either.Either<Identity, AuthenticationError> => {
    // RFC 7662 §2.2: "active": false for tokens that are expired, revoked, unknown or not for this client.
    if (claims["active"] !== true) return Either.left(invalid("The token is not active"))
    const exp = claims["exp"]
    if (exp !== undefined && (typeof exp !== "number" || !Number.isFinite(exp))) return Either.left(invalid("The token's expiry is invalid"))
    if (typeof exp === "number" && exp * 1000 <= now - tolerance) return Either.left(new AuthenticationError({ reason: "expired", description: "The token has expired" }))
    const nbf = claims["nbf"]
    if (typeof nbf === "number" && nbf * 1000 > now + tolerance) return Either.left(invalid("The token is not valid yet"))
    if (audience !== undefined) {
      const aud = claims["aud"]
      const auds = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : []
      if (!auds.some((a) => typeof a === "string" && audience.includes(a))) return Either.left(invalid("The token's audience is not this server"))
    }
    if (issuer !== undefined && !(typeof claims["iss"] === "string" && issuer.includes(claims["iss"]))) {
      return Either.left(invalid("The token's issuer is not trusted"))
    }
    const identity = toIdentity(claims, mapping, { kind: "opaque-token", subject: ["sub", "username", "client_id"] })
    return typeof identity === "string" ? Either.left(invalid(identity)) : Either.right(identity)
  }

  return {
    name: options.name ?? "introspection",
    kind: "opaque-token",
    credential: bearerToken,
    verify: (token) =>
      Effect.flatMap(introspect(token), (claims) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => check(claims, now)))
  }
}

const list = (value: string): Array<string> => value.split(/[\s,]+/).filter((s) => s.length > 0)

/**
 * An introspection authenticator configured from `Config`, under `prefix`
 * (default `INTROSPECTION`; with the environment provider
 * `INTROSPECTION_ENDPOINT`…): `ENDPOINT`, `AUDIENCE` (commas or spaces
 * between several), `CLIENT_ID` and `CLIENT_SECRET` (a secret), optional
 * `AUTH_METHOD` (`client_secret_basic`, the default, or
 * `client_secret_post`), `ISSUER`, `TIMEOUT_MILLIS`, `TENANT_CLAIM`.
 * `options` override what the configuration says.
 */
export const config = (prefix = "INTROSPECTION", options: Partial<Options> = {}): Config.Config<Authenticator> =>
  Config.nested(
    Config.all({
      endpoint: Config.string("ENDPOINT"),
      audience: Config.string("AUDIENCE"),
      clientId: Config.string("CLIENT_ID"),
      clientSecret: Config.redacted("CLIENT_SECRET"),
      method: Config.literal("client_secret_basic", "client_secret_post")("AUTH_METHOD").pipe(Config.withDefault("client_secret_basic" as const)),
      issuer: Config.option(Config.string("ISSUER")),
      timeoutMillis: Config.option(Config.integer("TIMEOUT_MILLIS")),
      tenant: Config.option(Config.string("TENANT_CLAIM"))
    }),
    prefix
  ).pipe(Config.mapOrFail((raw) =>
    Either.try({
      try: (): Authenticator =>
        make({
          endpoint: raw.endpoint,
          audience: list(raw.audience),
          client: { method: raw.method, clientId: raw.clientId, clientSecret: raw.clientSecret },
          ...Option.match(raw.issuer, { onNone: () => ({}), onSome: (issuer) => ({ issuer }) }),
          ...Option.match(raw.timeoutMillis, { onNone: () => ({}), onSome: (timeoutMillis) => ({ timeoutMillis }) }),
          ...Option.match(raw.tenant, { onNone: () => ({}), onSome: (tenant) => ({ claims: { scopes: "scope", tenant } }) }),
          ...options
        }),
      catch: (error) => ConfigError.InvalidData(prefix.length === 0 ? [] : [prefix], error instanceof Error ? error.message : String(error))
    })
  ))
