/**
 * Calls to upstream providers: a promise-returning step run with an abort
 * signal and a timeout, and whatever it throws (oauth4webapi's errors, fetch
 * failures) translated to an `UpstreamError` whose description never carries
 * a token: oauth4webapi's messages are fixed strings, and an OAuth error
 * response contributes only its `error` code and a bounded, cleaned
 * `error_description`.
 *
 * @internal
 */
import { Clock, Duration, Effect } from "effect"
import * as oauth from "oauth4webapi"
import { type TokenSet, UpstreamError, type UpstreamFailure } from "./upstreamModel.js"

/** What a step does, for error classification. */
export type Phase = "discovery" | "authorize" | "callback" | "refresh" | "userinfo" | "user"

/** No control or format characters, at most 200 characters (a provider's text is untrusted). */
const clean = (text: string | undefined): string =>
  text === undefined ? "" : text.replace(/[\p{Cc}\p{Cf}]+/gu, " ").trim().slice(0, 200)

const fail = (provider: string, reason: UpstreamFailure, description: string) => new UpstreamError({ provider, reason, description })

const transient = new Set(["server_error", "temporarily_unavailable"])

/** `error` (and `error_description`) of an OAuth error response, for a description. */
const oauthError = (error: string, description: string | undefined): string => {
  const d = clean(description)
  return `${clean(error)}${d.length > 0 ? ` (${d})` : ""}`
}

/** The `UpstreamError` for whatever a step threw. */
export const translate = (provider: string, phase: Phase) => (e: unknown): UpstreamError => {
  if (e instanceof UpstreamError) return e
  if (e instanceof oauth.AuthorizationResponseError) {
    // RFC 6749 §4.1.2.1: the provider redirected an error back (access_denied when the user refused).
    return fail(provider, transient.has(e.error) ? "unavailable" : "denied", `The provider refused the authorization: ${oauthError(e.error, e.error_description)}`)
  }
  if (e instanceof oauth.ResponseBodyError) {
    // RFC 6749 §5.2 error response from the token endpoint.
    const what = `The provider answered ${oauthError(e.error, e.error_description)}`
    if (e.status >= 500 || transient.has(e.error)) return fail(provider, "unavailable", what)
    if (e.error === "invalid_client" || e.error === "unauthorized_client" || e.error === "unsupported_grant_type") {
      return fail(provider, "configuration", what)
    }
    if (phase === "refresh" && e.error === "invalid_grant") return fail(provider, "denied", `${what}: the refresh token is no longer valid`)
    return fail(provider, "invalid_response", what)
  }
  if (e instanceof oauth.WWWAuthenticateChallengeError) {
    // RFC 6749 §5.2: a failed client authentication answers 401 with a challenge (RFC 6750 §3 for userinfo).
    const error = e.cause.map((c) => c.parameters.error).find((x): x is string => typeof x === "string")
    const what = `The provider refused the request (HTTP ${e.status}${error === undefined ? "" : `, ${clean(error)}`})`
    if (e.status >= 500) return fail(provider, "unavailable", what)
    if ((phase === "callback" || phase === "refresh") && (e.status === 401 || error === "invalid_client")) {
      return fail(provider, "configuration", `${what}: check the client id and secret`)
    }
    return fail(provider, "invalid_response", what)
  }
  if (e instanceof oauth.OperationProcessingError) {
    if (e.code === oauth.RESPONSE_IS_NOT_CONFORM && e.cause instanceof Response) {
      const status = e.cause.status
      return fail(provider, status >= 500 || status === 429 ? "unavailable" : "invalid_response", `Unexpected HTTP status ${status} from the provider during ${phase}`)
    }
    if (e.code === oauth.HTTP_REQUEST_FORBIDDEN || e.code === oauth.REQUEST_PROTOCOL_FORBIDDEN) {
      return fail(provider, "configuration", "The provider's endpoint is not https (allowInsecureHttp is for loopback tests only)")
    }
    return fail(provider, "invalid_response", `${e.message} (during ${phase})`)
  }
  if (e instanceof oauth.UnsupportedOperationError) return fail(provider, "invalid_response", `${e.message} (during ${phase})`)
  if (e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError")) {
    return fail(provider, "unavailable", `The provider did not answer in time (during ${phase})`)
  }
  if (e instanceof TypeError) {
    const code = (e as { readonly code?: unknown }).code
    if (typeof code === "string" && code.startsWith("ERR_INVALID_ARG")) return fail(provider, "configuration", `${e.message} (during ${phase})`)
    // fetch rejects with a TypeError when the connection fails.
    return fail(provider, "unavailable", `The provider could not be reached (during ${phase})`)
  }
  return fail(provider, "invalid_response", `Unexpected failure during ${phase}`)
}

/** Runs `step` with an abort signal, failing with `unavailable` after `timeout`. */
export const call = <A>(
  provider: string,
  phase: Phase,
  timeout: Duration.DurationInput,
  step: (signal: AbortSignal) => Promise<A>
): Effect.Effect<A, UpstreamError> =>
  Effect.tryPromise({ try: step, catch: translate(provider, phase) }).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => fail(provider, "unavailable", `The provider did not answer within ${Duration.format(Duration.decode(timeout))} (during ${phase})`)
    })
  )

/** Scopes as a provider wrote them: space-separated (RFC 6749 §3.3) or, for GitHub, comma-separated. */
export const splitScopes = (scope: unknown): ReadonlyArray<string> =>
  typeof scope === "string" ? scope.split(/[\s,]+/).filter((s) => s.length > 0) : []

/** A `TokenSet` from a token endpoint response (RFC 6749 §5.1). */
export const tokenSet = (
  response: oauth.TokenEndpointResponse,
  requested: ReadonlyArray<string>,
  previousRefreshToken?: string
): Effect.Effect<TokenSet> =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const granted = splitScopes(response.scope)
    const expiresIn = response.expires_in
    return {
      accessToken: response.access_token,
      refreshToken: response.refresh_token ?? previousRefreshToken,
      expiresAt: typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0 ? now + expiresIn * 1000 : undefined,
      scopes: granted.length > 0 ? granted : requested,
      tokenType: response.token_type
    }
  })
