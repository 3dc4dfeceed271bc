/**
 * Authenticators: each reads one kind of credential from a request (a bearer
 * token, an API key header, a session id) and verifies it into an
 * `Identity`. `Authentication.layer` puts several in order ("the first that
 * accepts") behind one cache, and the `Authentication` middleware provides
 * the caller's `Principal` to handlers.
 *
 * @since 0.2.0
 */
import { type Effect, Schema } from "effect"
import type { CredentialKind, Identity } from "./Principal.js"

/** What an authenticator reads of a request: its headers (names in lower case). */
export interface Credentials {
  readonly header: (name: string) => string | undefined
}

/** Credentials from a plain header record (names matched case-insensitively) or a Fetch `Headers`. */
export const fromHeaders = (headers: Readonly<Record<string, string | undefined>> | { readonly get: (name: string) => string | null }): Credentials => {
  if (typeof headers.get === "function") {
    const h = headers as { readonly get: (name: string) => string | null }
    return { header: (name) => h.get(name) ?? undefined }
  }
  const lower = new Map<string, string>()
  for (const [name, value] of Object.entries(headers as Readonly<Record<string, string | undefined>>)) {
    if (value !== undefined) lower.set(name.toLowerCase(), value)
  }
  return { header: (name) => lower.get(name) }
}

/**
 * Why a request was not authenticated:
 * - `missing`: it carries no credential any authenticator reads;
 * - `invalid`: a credential was present and refused (bad signature, wrong audience, unknown key…);
 * - `expired`: a credential that was valid once;
 * - `unavailable`: the verifier could not be reached (JWKS or introspection endpoint down).
 *
 * `description` is safe to show the caller: it never contains the credential.
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", {
  reason: Schema.Literal("missing", "invalid", "expired", "unavailable"),
  description: Schema.String
}) {
  override get message() {
    return this.description
  }
}

/** One way of proving who the caller is. */
export interface Authenticator {
  /** Names it in metrics, logs and errors (`jwt`, `api-key`…). */
  readonly name: string
  /** The kind of credential it verifies. */
  readonly kind: CredentialKind
  /** Reads its credential from a request; undefined when the request carries none. */
  readonly credential: (credentials: Credentials) => string | undefined
  /** Verifies a credential. Never gets one `credential` returned undefined for. */
  readonly verify: (credential: string) => Effect.Effect<Identity, AuthenticationError>
  /**
   * Whether a verified identity may be reused for the same credential until
   * it expires (default true). Session stores with sliding expiry say false:
   * each use must reach the store.
   */
  readonly cacheable?: boolean
  /**
   * A cheap synchronous check of an identity the cache holds, made on every
   * cache hit: false drops it and verifies the credential again (e.g. a
   * token this process saw revoked). Default: always still valid.
   */
  readonly stillValid?: (identity: Identity) => boolean
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1: the
 * scheme is case-insensitive), or undefined.
 */
export const bearerToken = (credentials: Credentials): string | undefined => {
  const value = credentials.header("authorization")
  if (value === undefined || value.length < 8) return undefined
  if (value.charCodeAt(6) !== 32 || value.slice(0, 6).toLowerCase() !== "bearer") return undefined
  const token = value.slice(7).trim()
  return token.length === 0 ? undefined : token
}
