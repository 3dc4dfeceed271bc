/**
 * GitHub as an upstream provider: plain OAuth 2.0, not OpenID Connect (no
 * discovery, no ID token). The authorization request carries PKCE S256
 * (RFC 7636 §4.2, supported by GitHub since 2025) and `state` (RFC 6749
 * §10.12); the code is exchanged with oauth4webapi at
 * `/login/oauth/access_token` (answering JSON to `Accept: application/json`;
 * GitHub reports errors there with HTTP 200 and an `error` field); the user
 * comes from the REST API: `GET /user` (the numeric `id` is the subject) and
 * `GET /user/emails` (the primary verified address, with the `user:email`
 * scope). Refresh works for GitHub Apps with expiring user tokens.
 *
 * @internal
 */
import { type Duration, Effect, Either, Redacted } from "effect"
import * as oauth from "oauth4webapi"
import { call, tokenSet, translate } from "./upstreamHttp.js"
import { toLogin } from "./upstreamMapping.js"
import { type Login, type Mapping, type Provider, type TokenSet, UpstreamError } from "./upstreamModel.js"

/** Everything the GitHub provider needs, defaults applied by `Upstream.github`. */
export interface GithubConfig {
  readonly name: string
  readonly label: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly scopes: ReadonlyArray<string>
  readonly mapping?: Mapping | undefined
  readonly authorizationEndpoint: string
  readonly tokenEndpoint: string
  /** The REST API base: `https://api.github.com`, `https://{host}/api/v3` for GitHub Enterprise Server. */
  readonly apiUrl: string
  readonly allowInsecureHttp: boolean
  readonly timeout: Duration.DurationInput
}

const errorsOfTokenEndpoint: Readonly<Record<string, UpstreamError["reason"]>> = {
  incorrect_client_credentials: "configuration",
  redirect_uri_mismatch: "configuration",
  unverified_user_email: "denied",
  bad_refresh_token: "denied",
  bad_verification_code: "invalid_response"
}

/** Builds the provider; throws a `TypeError` on invalid static configuration. */
export const makeGithubProvider = (config: GithubConfig): Provider => {
  const { name } = config
  const error = (reason: UpstreamError["reason"], description: string) => new UpstreamError({ provider: name, reason, description })
  const url = (value: string, what: string): URL => {
    let parsed: URL
    try {
      parsed = new URL(value)
    } catch {
      throw new TypeError(`Upstream ${name}: the ${what} is not a URL`)
    }
    if (parsed.protocol !== "https:" && !config.allowInsecureHttp) throw new TypeError(`Upstream ${name}: the ${what} must be https`)
    return parsed
  }
  const authorizationEndpoint = url(config.authorizationEndpoint, "authorization endpoint")
  const tokenEndpoint = url(config.tokenEndpoint, "token endpoint")
  const apiUrl = url(config.apiUrl.replace(/\/+$/, ""), "API URL")
  const as: oauth.AuthorizationServer = {
    issuer: authorizationEndpoint.origin,
    authorization_endpoint: authorizationEndpoint.href,
    token_endpoint: tokenEndpoint.href
  }
  const client: oauth.Client = { client_id: config.clientId }
  const auth = oauth.ClientSecretPost(Redacted.value(config.clientSecret))
  const http = (signal: AbortSignal) => ({ signal, [oauth.allowInsecureRequests]: config.allowInsecureHttp })

  /** GitHub's token endpoint answers errors with HTTP 200 and an `error` field. */
  const tokenResponse = async (response: Response): Promise<Response> => {
    if (response.status !== 200) return response
    let body: unknown
    try {
      body = await response.clone().json()
    } catch {
      return response
    }
    if (typeof body === "object" && body !== null && typeof (body as { readonly error?: unknown }).error === "string") {
      const { error: code } = body as { readonly error: string }
      throw error(errorsOfTokenEndpoint[code] ?? "invalid_response", `The provider answered ${code.replace(/[^\w.-]/g, "").slice(0, 64)}`)
    }
    return response
  }

  const api = (path: string, accessToken: string, signal: AbortSignal): Promise<Response> =>
    fetch(`${apiUrl.href.replace(/\/+$/, "")}${path}`, {
      signal,
      redirect: "error",
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${accessToken}`,
        "user-agent": "emcee-auth",
        "x-github-api-version": "2022-11-28"
      }
    })

  const user = (accessToken: string) =>
    call(name, "user", config.timeout, async (signal) => {
      const response = await api("/user", accessToken, signal)
      if (response.status >= 500 || response.status === 429 || response.status === 403) {
        throw error("unavailable", `The provider's user API answered HTTP ${response.status}`)
      }
      if (response.status !== 200) throw error("invalid_response", `The provider's user API answered HTTP ${response.status}`)
      const profile: unknown = await response.json()
      if (typeof profile !== "object" || profile === null || Array.isArray(profile)) throw error("invalid_response", "The provider's user API answered no user")
      const claims: Record<string, unknown> = { ...(profile as Record<string, unknown>) }
      const id = claims["id"]
      if (!(typeof id === "number" && Number.isSafeInteger(id)) && !(typeof id === "string" && /^\d+$/.test(id))) {
        throw error("invalid_response", "The provider's user has no numeric id")
      }
      // The profile's public email is not known to be verified: only /user/emails says so.
      claims["email_verified"] = false
      const emails = await api("/user/emails", accessToken, signal)
      if (emails.status === 200) {
        const list: unknown = await emails.json()
        if (Array.isArray(list)) {
          const primary = list.find((e): e is { email: string } =>
            typeof e === "object" && e !== null && e.primary === true && e.verified === true && typeof e.email === "string")
          if (primary !== undefined) {
            claims["email"] = primary.email
            claims["email_verified"] = true
          }
        }
      } else {
        // Without the user:email scope the list is refused; the profile is still good.
        await emails.body?.cancel()
      }
      return { claims, id: String(id) }
    })

  const authorizationUrl: Provider["authorizationUrl"] = (input) =>
    Effect.gen(function*() {
      if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(input.codeVerifier)) {
        return yield* Effect.fail(error("configuration", "The PKCE code verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)"))
      }
      if (input.state.length === 0) return yield* Effect.fail(error("configuration", "state must not be empty"))
      const challenge = yield* call(name, "authorize", config.timeout, () => oauth.calculatePKCECodeChallenge(input.codeVerifier))
      const url = new URL(authorizationEndpoint)
      url.searchParams.set("client_id", config.clientId)
      url.searchParams.set("redirect_uri", input.redirectUri)
      url.searchParams.set("scope", config.scopes.join(" "))
      url.searchParams.set("state", input.state)
      url.searchParams.set("code_challenge", challenge)
      url.searchParams.set("code_challenge_method", "S256")
      return url
    })

  const callback: Provider["callback"] = (input) =>
    Effect.gen(function*() {
      // RFC 6749 §4.1.2 / §10.12: state compared exactly; §4.1.2.1 error responses.
      const params = yield* Effect.try({
        try: () => oauth.validateAuthResponse(as, client, input.callbackUrl, input.state),
        catch: translate(name, "callback")
      })
      const result = yield* call(name, "callback", config.timeout, async (signal) =>
        oauth.processAuthorizationCodeResponse(
          as,
          client,
          await tokenResponse(await oauth.authorizationCodeGrantRequest(as, client, auth, params, input.redirectUri, input.codeVerifier, http(signal)))
        ))
      const tokens = yield* tokenSet(result, config.scopes)
      const { claims, id } = yield* user(result.access_token)
      const login = toLogin({ provider: name, mapping: config.mapping, defaults: { subject: "id" }, claims, tokens, upstreamSubject: id })
      return yield* Either.isRight(login) ? Effect.succeed<Login>(login.right) : Effect.fail(login.left)
    })

  const refresh = (refreshToken: string): Effect.Effect<TokenSet, UpstreamError> =>
    Effect.flatMap(
      call(name, "refresh", config.timeout, async (signal) =>
        oauth.processRefreshTokenResponse(
          as,
          client,
          await tokenResponse(await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, http(signal)))
        )),
      (result) => tokenSet(result, config.scopes, refreshToken)
    )

  return { name, label: config.label, authorizationUrl, callback, refresh }
}
