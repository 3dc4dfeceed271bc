/**
 * A backend's own access token from the OAuth 2.0 client credentials grant
 * (RFC 6749 §4.4), by oauth4webapi: the gateway authenticates as itself
 * (`client_id` and secret), never as its caller (spec 2025-11-25
 * basic/security_best_practices "Token Passthrough").
 *
 * - The token endpoint is given (`tokenUrl`) or discovered from `issuer`:
 *   RFC 8414 metadata first, then OpenID Connect Discovery (spec 2025-11-25
 *   basic/authorization "Authorization Server Metadata Discovery").
 * - Every token request names the backend with `resource` (RFC 8707; spec
 *   2025-11-25 basic/authorization "Resource Parameter Implementation": the
 *   canonical URI of the MCP server, by default the backend's URL).
 * - The first token is fetched when first asked for (before the gateway
 *   connects); concurrent askers share one request. A token with
 *   `expires_in` is refreshed in the background before it expires (half-way
 *   through its life, at most a minute before the end), with retries and
 *   backoff when the authorization server fails, so calls never wait on it
 *   nor carry an expired token; a token the backend refuses (HTTP 401) is
 *   replaced at once.
 * - `http:` endpoints are refused except on loopback (tests, sidecars).
 * - Errors never carry the secret or a token: an OAuth error response
 *   contributes its `error` code and a bounded `error_description`.
 *
 * @internal
 */
import { Clock, Data, Duration, Effect, Queue, Redacted, type Scope } from "effect"
import * as oauth from "oauth4webapi"

/** What the grant needs (see `Backend.ClientCredentials`). */
export interface Config {
  readonly tokenUrl?: string | undefined
  readonly issuer?: string | undefined
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly scope?: string | undefined
  readonly resource?: string | undefined
  readonly authMethod?: "client_secret_basic" | "client_secret_post" | undefined
}

/** Getting a token failed; the message names the step and never a secret. */
export class TokenError extends Data.TaggedError("TokenError")<{ readonly message: string }> {}

/** The tokens of one backend. */
export interface Source {
  /** A token valid now: the one held, or a new one (concurrent callers share one request). */
  readonly token: Effect.Effect<string, TokenError>
  /** The token held, while it is valid; undefined when `token` would have to ask for one. */
  readonly current: () => string | undefined
  /** The backend refused `token` (HTTP 401): unless a newer one is held already, get another now. */
  readonly refused: (token: string) => Effect.Effect<void>
}

const loopback = new Set(["127.0.0.1", "localhost", "[::1]"])

/** Why `text` cannot be the endpoint `what`, or undefined. */
const invalidUrl = (what: string, text: string): string | undefined => {
  if (!URL.canParse(text)) return `${what} "${text}" is not a URL`
  const url = new URL(text)
  if (url.protocol === "https:") return undefined
  if (url.protocol === "http:" && loopback.has(url.hostname)) return undefined
  return `${what} "${text}" must be an https: URL (http: only on loopback)`
}

/** Why the configuration cannot work, or undefined. */
export const invalid = (config: Config): string | undefined => {
  if ((config.tokenUrl === undefined) === (config.issuer === undefined)) return "client credentials need exactly one of tokenUrl and issuer"
  if (typeof config.clientId !== "string" || config.clientId === "") return "client credentials need a clientId"
  if (!Redacted.isRedacted(config.clientSecret) || Redacted.value(config.clientSecret) === "") return "client credentials need a clientSecret"
  if (config.authMethod !== undefined && config.authMethod !== "client_secret_basic" && config.authMethod !== "client_secret_post") {
    return `client credentials: authMethod "${String(config.authMethod)}" is neither client_secret_basic nor client_secret_post`
  }
  if (config.resource !== undefined && (!URL.canParse(config.resource) || new URL(config.resource).hash !== "")) {
    // RFC 8707 §2: an absolute URI without a fragment.
    return `client credentials: resource "${config.resource}" is not an absolute URI without a fragment`
  }
  return config.tokenUrl !== undefined ? invalidUrl("tokenUrl", config.tokenUrl) : invalidUrl("issuer", config.issuer!)
}

/** No control characters, at most 200 characters (the authorization server's text is untrusted). */
const clean = (text: string | undefined): string => text === undefined ? "" : text.replace(/[\p{Cc}\p{Cf}]+/gu, " ").trim().slice(0, 200)

/** A message for whatever a step of oauth4webapi or fetch threw. */
const describe = (step: string, where: string) => (e: unknown): TokenError => {
  const fail = (what: string) => new TokenError({ message: `${step} at ${where} failed: ${what}` })
  if (e instanceof oauth.ResponseBodyError) {
    // RFC 6749 §5.2 error response.
    const description = clean(e.error_description)
    return fail(`HTTP ${e.status} ${clean(e.error)}${description === "" ? "" : ` (${description})`}`)
  }
  if (e instanceof oauth.WWWAuthenticateChallengeError) return fail(`HTTP ${e.status}: the client id or secret was refused`)
  if (e instanceof oauth.OperationProcessingError) {
    if (e.code === oauth.RESPONSE_IS_NOT_CONFORM && e.cause instanceof Response) return fail(`unexpected HTTP status ${e.cause.status}`)
    return fail(clean(e.message))
  }
  if (e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError")) return fail("no answer in time")
  if (e instanceof TypeError) return fail("the server could not be reached")
  return fail(e instanceof Error ? clean(e.message) : "unexpected failure")
}

/** Options of `make`. */
export interface Options {
  /** The backend's URL: the default `resource`. */
  readonly backendUrl: string
  /** Longest wait for the authorization server per request; default 10 s. */
  readonly timeout?: Duration.DurationInput
}

interface Held {
  readonly value: string
  readonly issuedAt: number
  /** When it stops being used (a little before it expires); undefined: no known expiry. */
  readonly usableUntil: number | undefined
  /** When the background refresh replaces it. */
  readonly refreshAt: number | undefined
}

/**
 * The token source for the life of the scope (its background refresh is a
 * fiber of the scope). Assumes `invalid(config)` is undefined.
 */
export const make = (config: Config, options: Options): Effect.Effect<Source, never, Scope.Scope> =>
  Effect.gen(function*() {
    const endpoint = config.tokenUrl ?? config.issuer!
    const insecure = new URL(endpoint).protocol === "http:"
    const timeout = options.timeout ?? "10 seconds"
    const resource = config.resource ?? options.backendUrl
    const client: oauth.Client = { client_id: config.clientId }
    const secret = Redacted.value(config.clientSecret)
    const clientAuth = config.authMethod === "client_secret_post" ? oauth.ClientSecretPost(secret) : oauth.ClientSecretBasic(secret)
    const clock = yield* Effect.clock

    const call = <A>(step: string, where: string, run: (signal: AbortSignal) => Promise<A>) =>
      Effect.tryPromise({ try: run, catch: describe(step, where) }).pipe(
        Effect.timeoutFail({ duration: timeout, onTimeout: () => new TokenError({ message: `${step} at ${where} failed: no answer within ${Duration.format(Duration.decode(timeout))}` }) })
      )

    // The authorization server's metadata, kept once known (a failure is not kept).
    let metadata: oauth.AuthorizationServer | undefined = config.tokenUrl === undefined
      ? undefined
      : { issuer: new URL(config.tokenUrl).origin, token_endpoint: config.tokenUrl }
    const discover = Effect.suspend(() => {
      if (metadata !== undefined) return Effect.succeed(metadata)
      const issuer = new URL(config.issuer!)
      const attempt = (algorithm: "oauth2" | "oidc") =>
        call("discovery", config.issuer!, async (signal) =>
          oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm, signal, [oauth.allowInsecureRequests]: insecure })))
      // RFC 8414 first, then OpenID Connect Discovery 1.0.
      return attempt("oauth2").pipe(
        Effect.orElse(() => attempt("oidc")),
        Effect.flatMap((as) =>
          typeof as.token_endpoint === "string"
            ? Effect.succeed(as)
            : Effect.fail(new TokenError({ message: `discovery at ${config.issuer!} failed: the metadata names no token_endpoint` }))
        ),
        Effect.tap((as) => Effect.sync(() => void (metadata = as)))
      )
    })

    let held: Held | undefined
    const changed = yield* Queue.sliding<void>(1)
    const lock = yield* Effect.makeSemaphore(1)
    const usable = (token: Held | undefined): token is Held =>
      token !== undefined && (token.usableUntil === undefined || clock.unsafeCurrentTimeMillis() < token.usableUntil)

    /** Asks the token endpoint (RFC 6749 §4.4.2) and holds the answer. */
    const fetchToken: Effect.Effect<string, TokenError> = Effect.gen(function*() {
      const as = yield* discover
      const parameters = new URLSearchParams({ resource })
      if (config.scope !== undefined && config.scope !== "") parameters.set("scope", config.scope)
      const response = yield* call("the token request", as.token_endpoint!, async (signal) =>
        oauth.processClientCredentialsResponse(
          as,
          client,
          await oauth.clientCredentialsGrantRequest(as, client, clientAuth, parameters, { signal, [oauth.allowInsecureRequests]: insecure })
        ))
      // RFC 6750: the token goes in `Authorization: Bearer`; another type (DPoP…) would need more than that.
      if (response.token_type !== "bearer") {
        return yield* new TokenError({ message: `the token request at ${as.token_endpoint!} failed: token type "${clean(response.token_type)}" is not bearer` })
      }
      const now = yield* Clock.currentTimeMillis
      const lifetime = typeof response.expires_in === "number" && Number.isFinite(response.expires_in) && response.expires_in > 0
        ? response.expires_in * 1000
        : undefined
      held = {
        value: response.access_token,
        issuedAt: now,
        // Not sent in its last tenth (at most 30 s): clocks differ and requests take time.
        usableUntil: lifetime === undefined ? undefined : now + lifetime - Math.min(30_000, lifetime / 10),
        // Replaced half-way through its life, and at least a minute before it ends.
        refreshAt: lifetime === undefined ? undefined : now + Math.max(lifetime / 2, lifetime - 60_000)
      }
      yield* Queue.offer(changed, undefined)
      return response.access_token
    })

    const token = Effect.suspend(() =>
      usable(held)
        ? Effect.succeed(held.value)
        : lock.withPermits(1)(Effect.suspend(() => (usable(held) ? Effect.succeed(held.value) : fetchToken)))
    )

    const refused = (refusedToken: string) =>
      lock.withPermits(1)(Effect.suspend(() => {
        if (held === undefined || held.value !== refusedToken) return Effect.void
        held = undefined
        return fetchToken.pipe(
          Effect.catchAll((error) => Effect.logWarning(`gateway: replacing the access token the backend refused failed: ${error.message}`)),
          Effect.asVoid
        )
      }))

    // The background refresh: sleeps until the token held is due, replaces it, and starts over when it changes.
    let failures = 0
    const refreshLoop: Effect.Effect<never> = Effect.gen(function*() {
      const due = held
      if (due?.refreshAt === undefined) return yield* Queue.take(changed)
      const wait = due.refreshAt - clock.unsafeCurrentTimeMillis()
      if (wait > 0) return yield* Effect.raceFirst(Effect.sleep(Duration.millis(wait)), Queue.take(changed))
      const outcome = yield* lock.withPermits(1)(Effect.suspend(() => (held === due ? fetchToken : Effect.succeed("")))).pipe(Effect.either)
      if (outcome._tag === "Right") {
        failures = 0
        return
      }
      failures++
      yield* Effect.logWarning(`gateway: refreshing a backend's access token failed (attempt ${failures}): ${outcome.left.message}`)
      // Exponential backoff from 1 s, at most 30 s apart; a caller asking once the token is unusable tries at once.
      yield* Effect.raceFirst(Effect.sleep(Duration.millis(Math.min(30_000, 1000 * 2 ** (failures - 1)))), Queue.take(changed))
    }).pipe(Effect.forever)
    yield* Effect.forkScoped(refreshLoop)

    return {
      token,
      current: () => (usable(held) ? held.value : undefined),
      refused
    }
  })
