/**
 * The hook by which an HTTP endpoint authenticates requests before they are
 * served (every Streamable HTTP front end: `HttpTransport`, the mounted
 * endpoint, `WebHandler`, `Lambda`). `@emcee/auth` implements it
 * (`BearerGuard`: spec basic/authorization with RFC 9728 metadata and
 * `WWW-Authenticate` challenges); this module is only its shape.
 *
 * A guard sees each request's method and headers. It refuses it (401 with a
 * challenge) or lets it in with the services its handlers should see (the
 * caller's `Principal`) and an owner key: a session is bound to the owner
 * that created it, and a request of another owner on it is refused with 403
 * (spec basic/security_best_practices "Session Hijacking": bind session ids
 * to user-specific information).
 *
 * @since 0.2.0
 */
import type { Context } from "effect"

/** What a guard reads of a request: its HTTP method and headers (names in lower case). */
export interface Request {
  readonly method: string
  readonly header: (name: string) => string | undefined
}

/** The request may proceed, with these services for its handlers. */
export interface Allow {
  readonly _tag: "Allow"
  /** Services every handler of this request sees (e.g. the caller's `Principal`). */
  readonly context: Context.Context<never>
  /** Who the caller is, for binding sessions: a session answers only requests of the owner that created it. */
  readonly owner: string
  /**
   * The tenant whose server answers the request, when the endpoint serves
   * several (`HttpTransport` with `tenancy`, see `HttpTenancy`); ignored by a
   * single-server endpoint.
   */
  readonly tenant?: string | undefined
}

/** The request is refused with this answer (401 with `WWW-Authenticate`, 503 when the verifier is down). */
export interface Deny {
  readonly _tag: "Deny"
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** A JSON-RPC error body, or undefined for none. */
  readonly body: string | undefined
}

/** A guard's decision. */
export type Verdict = Allow | Deny

/** An HTTP status (and headers) for a JSON-RPC error answer, e.g. 403 `insufficient_scope` or 429. */
export interface ErrorStatus {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
}

/** A JSON-RPC error as the endpoint is about to answer it. */
export interface ErrorObject {
  readonly code: number
  readonly message: string
  readonly data?: unknown
}

/**
 * Maps the JSON-RPC error answering a single request to an HTTP status,
 * when the response is still one JSON body (nothing streamed yet);
 * undefined keeps the usual status (200 under 2025-11-25).
 */
export type ErrorMapper = (error: ErrorObject) => ErrorStatus | undefined

/** A document served by the guard beside the endpoint (RFC 9728 protected-resource metadata). */
export interface Document {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** The hook. */
export interface HttpGuard {
  /**
   * Decides on a request to the MCP endpoint (every method but OPTIONS).
   * Synchronous when it can decide at once (a credential verified
   * recently), a promise otherwise.
   */
  readonly check: (request: Request) => Verdict | PromiseLike<Verdict>
  /** HTTP statuses for errors the guard's authorization answers with (403 `insufficient_scope`). */
  readonly errorStatus?: ErrorMapper | undefined
  /**
   * Answers a GET of `pathname` outside the endpoint when the guard serves
   * it (RFC 9728 §3 `/.well-known/oauth-protected-resource…`), else undefined.
   */
  readonly document?: ((pathname: string) => Document | undefined) | undefined
}

/** The first mapper that has a status for an error. */
export const firstStatus = (mappers: ReadonlyArray<ErrorMapper | undefined>): ErrorMapper | undefined => {
  const defined = mappers.filter((m): m is ErrorMapper => m !== undefined)
  if (defined.length === 0) return undefined
  if (defined.length === 1) return defined[0]
  return (error) => {
    for (const mapper of defined) {
      const status = mapper(error)
      if (status !== undefined) return status
    }
    return undefined
  }
}

/** True when a verdict is still to come. */
export const isPending = (verdict: Verdict | PromiseLike<Verdict>): verdict is PromiseLike<Verdict> =>
  typeof (verdict as PromiseLike<Verdict>).then === "function"
