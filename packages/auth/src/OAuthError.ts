/**
 * The errors of the authorization server, as the OAuth RFCs name them: a
 * registered `error` code, a human-readable `description` that never
 * contains a credential, and the HTTP status the endpoint answers with.
 *
 * - Token, revocation and introspection endpoints answer a JSON body
 *   `{ error, error_description }` (RFC 6749 §5.2, RFC 7009 §2.2.1), with
 *   `WWW-Authenticate` for a failed client authentication (RFC 6749 §5.2
 *   `invalid_client`: 401).
 * - The authorization endpoint redirects the error to the client's
 *   redirect URI with `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207 §2),
 *   except when the client or its redirect URI cannot be trusted, which is
 *   shown to the user instead (RFC 6749 §4.1.2.1 first paragraph).
 * - Registration errors are RFC 7591 §3.2.2 (`invalid_redirect_uri`,
 *   `invalid_client_metadata`).
 *
 * @since 0.3.0
 */
import { Schema } from "effect"

/** An OAuth error, with the code, description and HTTP status an endpoint answers with. */
export class OAuthError extends Schema.TaggedError<OAuthError>()("OAuthError", {
  /** The registered error code (`invalid_request`, `invalid_grant`, `invalid_client`…). */
  error: Schema.String,
  /** For the developer reading it; never contains a credential. */
  description: Schema.String,
  /** The HTTP status. */
  status: Schema.Number
}) {
  override get message() {
    return `${this.error}: ${this.description}`
  }

  /** The JSON body of an error response (RFC 6749 §5.2). */
  get body(): { readonly error: string; readonly error_description: string } {
    return { error: this.error, error_description: this.description }
  }
}

const make = (error: string, status: number) => (description: string): OAuthError => new OAuthError({ error, description, status })

/** RFC 6749 §5.2: a missing, repeated or malformed parameter. */
export const invalidRequest = make("invalid_request", 400)
/** RFC 6749 §5.2: client authentication failed (unknown client, wrong secret, unsupported method). */
export const invalidClient = make("invalid_client", 401)
/** RFC 6749 §5.2: the code, refresh token or device code is invalid, expired, revoked, reused or not the client's; or the PKCE verifier does not match. */
export const invalidGrant = make("invalid_grant", 400)
/** RFC 6749 §5.2: the client may not use this grant type. */
export const unauthorizedClient = make("unauthorized_client", 400)
/** RFC 6749 §5.2: the server does not support the grant type. */
export const unsupportedGrantType = make("unsupported_grant_type", 400)
/** RFC 6749 §4.1.2.1: the server does not support the response type. */
export const unsupportedResponseType = make("unsupported_response_type", 400)
/** RFC 6749 §5.2: the scope is invalid, unknown or beyond what the client may ask for. */
export const invalidScope = make("invalid_scope", 400)
/** RFC 8707 §2: the resource is unknown, malformed or not allowed to the client. */
export const invalidTarget = make("invalid_target", 400)
/** RFC 6749 §4.1.2.1: the user or the server refused the request. */
export const accessDenied = make("access_denied", 400)
/** RFC 6749 §4.1.2.1: the server failed unexpectedly (nothing secret in the description). */
export const serverError = make("server_error", 500)
/** RFC 6749 §4.1.2.1: the server cannot handle the request now (a store or upstream down). */
export const temporarilyUnavailable = make("temporarily_unavailable", 503)
/** RFC 7591 §3.2.2: a redirect URI is not acceptable. */
export const invalidRedirectUri = make("invalid_redirect_uri", 400)
/** RFC 7591 §3.2.2: a metadata field is invalid (also a Client ID Metadata Document that cannot be used). */
export const invalidClientMetadata = make("invalid_client_metadata", 400)
/** RFC 7009 §2.2.1: the server does not revoke this type of token. */
export const unsupportedTokenType = make("unsupported_token_type", 400)
/** RFC 8628 §3.5: the user has not finished yet; poll again. */
export const authorizationPending = make("authorization_pending", 400)
/** RFC 8628 §3.5: polling too fast; the interval grows by 5 seconds. */
export const slowDown = make("slow_down", 400)
/** RFC 8628 §3.5: the device code expired. */
export const expiredToken = make("expired_token", 400)
/** RFC 6585 §4 (used for the registration rate limit): too many requests. */
export const tooManyRequests = make("too_many_requests", 429)
