/**
 * Reading OAuth requests and writing OAuth responses with @effect/platform.
 */
import { HttpIncomingMessage, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { parseBasicAuthorization } from "../../OAuthClients.js"
import * as OAuthError from "../../OAuthError.js"

/** Parameters of a request, each named once (RFC 6749 §3.1), except those allowed to repeat. */
export interface Parameters {
  readonly get: (name: string) => string | undefined
  readonly all: (name: string) => ReadonlyArray<string>
}

/** The largest form body read, in bytes: OAuth requests are small. */
const MAX_FORM_BYTES = 64 * 1024

/** Parameters that may appear more than once: RFC 8707 §2 `resource`. */
const REPEATABLE = new Set(["resource"])

/**
 * Parameters from name/value pairs. RFC 6749 §3.1: "Request and response
 * parameters MUST NOT be included more than once" (`resource` may, RFC 8707
 * §2); parameters sent without a value are treated as omitted.
 */
export const parameters = (pairs: Iterable<readonly [string, string]>): Effect.Effect<Parameters, OAuthError.OAuthError> => {
  const values = new Map<string, Array<string>>()
  for (const [name, value] of pairs) {
    if (value === "") continue
    const list = values.get(name)
    if (list === undefined) values.set(name, [value])
    else if (REPEATABLE.has(name)) list.push(value)
    else return Effect.fail(OAuthError.invalidRequest(`The parameter "${name.slice(0, 64)}" is repeated (RFC 6749 §3.1)`))
  }
  return Effect.succeed({ get: (name) => values.get(name)?.[0], all: (name) => values.get(name) ?? [] })
}

/** The query parameters of a request. */
export const queryParameters = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Parameters, OAuthError.OAuthError> => {
  const index = request.url.indexOf("?")
  return parameters(index < 0 ? [] : new URLSearchParams(request.url.slice(index + 1)))
}

/** The form body of a POST (`application/x-www-form-urlencoded`, RFC 6749 §3.2 and Appendix B). */
export const formParameters = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Parameters, OAuthError.OAuthError> => {
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
  if (type !== "application/x-www-form-urlencoded") {
    return Effect.fail(OAuthError.invalidRequest("The body must be application/x-www-form-urlencoded (RFC 6749 §3.2)"))
  }
  return boundedText(request, MAX_FORM_BYTES).pipe(Effect.flatMap((text) => parameters(new URLSearchParams(text))))
}

const tooLarge = new OAuthError.OAuthError({ error: "invalid_request", description: "The body is too large or could not be read", status: 413 })

/** The body as text, refused with 413 past `maxBytes` while it streams (a body that never ends holds no more than that). */
const boundedText = (request: HttpServerRequest.HttpServerRequest, maxBytes: number): Effect.Effect<string, OAuthError.OAuthError> =>
  Number(request.headers["content-length"] ?? "0") > maxBytes ? Effect.fail(tooLarge) : request.text.pipe(
    HttpIncomingMessage.withMaxBodySize(Option.some(maxBytes)),
    // Past maxBytes the platform stops reading and fails; a body that could not be read otherwise has no one left to answer.
    Effect.mapError(() => tooLarge),
    Effect.flatMap((text) => text.length > maxBytes ? Effect.fail(tooLarge) : Effect.succeed(text))
  )

/** The largest registration body read, in bytes (RFC 7591 metadata is small). */
const MAX_JSON_BYTES = 16 * 1024

/** A JSON body (registration), bounded; `invalid_client_metadata` when it is not JSON (RFC 7591 §3.2.2). */
export const jsonBody = (request: HttpServerRequest.HttpServerRequest, notJson: string): Effect.Effect<unknown, OAuthError.OAuthError> =>
  Effect.flatMap(boundedText(request, MAX_JSON_BYTES), (text) =>
    Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => OAuthError.invalidClientMetadata(notJson) }))

/** Headers of every token, registration, revocation and introspection response (RFC 6749 §5.1: no caching). */
export const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const

/** A JSON response that is never cached. */
export const json = (body: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(body, { status, headers: { ...NO_STORE, ...headers } })

/**
 * The JSON error response (RFC 6749 §5.2). A failed client authentication
 * with credentials in the `Authorization` header also carries
 * `WWW-Authenticate` (RFC 6749 §5.2 `invalid_client`).
 */
export const errorResponse = (error: OAuthError.OAuthError, basic = false): HttpServerResponse.HttpServerResponse =>
  json(
    error.body,
    error.status,
    error.status === 401 ? { "www-authenticate": basic ? `Basic realm="oauth"` : `Bearer error="${error.error}"` } : {}
  )

/** Client credentials presented to an endpoint (RFC 6749 §2.3.1). */
export interface ClientCredentials {
  readonly clientId: string | undefined
  readonly secret: string | undefined
  readonly method: "client_secret_basic" | "client_secret_post" | "none"
}

/** The client's credentials: HTTP Basic or the body, never both (RFC 6749 §2.3: one method per request). */
export const clientCredentials = (
  request: HttpServerRequest.HttpServerRequest,
  form: Parameters
): Effect.Effect<ClientCredentials, OAuthError.OAuthError> => {
  const authorization = request.headers.authorization
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    if (form.get("client_secret") !== undefined) {
      return Effect.fail(OAuthError.invalidRequest("The client authenticated with more than one method (RFC 6749 §2.3)"))
    }
    const parsed = parseBasicAuthorization(authorization)
    if (Option.isNone(parsed)) return Effect.fail(OAuthError.invalidClient("The Basic credentials are malformed (RFC 6749 §2.3.1)"))
    const { clientId, secret } = parsed.value
    const bodyId = form.get("client_id")
    if (bodyId !== undefined && bodyId !== clientId) {
      return Effect.fail(OAuthError.invalidRequest("client_id differs from the authenticated client"))
    }
    return Effect.succeed({ clientId, secret, method: "client_secret_basic" })
  }
  const secret = form.get("client_secret")
  return Effect.succeed({ clientId: form.get("client_id"), secret, method: secret === undefined ? "none" : "client_secret_post" })
}

/** A redirect (302 Found) that is never cached. */
export const redirect = (location: string, headers: Readonly<Record<string, string>> = {}): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.empty({ status: 302, headers: { location, ...NO_STORE, ...headers } })

/** A `Set-Cookie` value (RFC 6265 §4.1): HttpOnly, SameSite=Lax, on `path`. `maxAgeSeconds` 0 removes it. */
export const cookie = (name: string, value: string, options: { readonly path: string; readonly secure: boolean; readonly maxAgeSeconds?: number }): string =>
  [
    `${name}=${value}`,
    `Path=${options.path}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(options.secure ? ["Secure"] : []),
    ...(options.maxAgeSeconds === undefined ? [] : [`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`])
  ].join("; ")

/** The client address of a request, for rate limits. */
export const clientAddress = (request: HttpServerRequest.HttpServerRequest): string | undefined =>
  request.remoteAddress._tag === "Some" ? request.remoteAddress.value : undefined
