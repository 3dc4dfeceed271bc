/**
 * The bearer guard: MCP authorization over HTTP as the spec has it (spec
 * 2025-11-25 basic/authorization and 2026-07-28 basic/authorization), for
 * `HttpTransport`, `WebHandler` and `Lambda` (option `guard`).
 *
 * - The server is an OAuth 2.1 resource server. It serves its RFC 9728
 *   protected-resource metadata at the path-inserted well-known URL
 *   (`/.well-known/oauth-protected-resource/mcp` for an endpoint at `/mcp`)
 *   and at the root one (`/.well-known/oauth-protected-resource`): clients
 *   try both, in that order (2026-07-28 basic/authorization
 *   "Authorization Server Discovery").
 * - A request without a credential gets 401 with
 *   `WWW-Authenticate: Bearer resource_metadata="…", scope="…"`; an invalid
 *   or expired one, 401 with `error="invalid_token"` (RFC 6750 §3.1).
 * - Tokens are verified by the `Authentication` chain (`Jwt` with the
 *   audience set to this server's canonical resource URI, exactly as
 *   configured, or `Introspection`), cached per credential, so a request
 *   with a token seen before is let in synchronously.
 * - A caller without a scope a primitive requires (`Authorization.require`)
 *   gets 403 with `error="insufficient_scope"` naming every scope the
 *   operation needs (2026-07-28 basic/authorization "Scope Challenge
 *   Handling"), while the response is still one JSON body; a JSON-RPC error
 *   with the same data otherwise.
 * - The caller's token goes nowhere: handlers see the `Principal` (subject,
 *   scopes, claims), never the credential ("Token Passthrough" is forbidden,
 *   basic/security_best_practices).
 * - Sessions are bound to the caller that created them (`HttpGuard`).
 *
 * @since 0.2.0
 */
import type { HttpGuard } from "@emcee/transport"
import { Effect, Runtime } from "effect"
import { Authentication, contextOf, type Service as AuthenticationService } from "./Authentication.js"
import type { AuthenticationError, Authenticator } from "./Authenticator.js"
import { type Identity, key } from "./Principal.js"

/** Options of the guard. */
export interface Options {
  /**
   * The canonical URI of this MCP server (RFC 8707 §2, RFC 9728 `resource`),
   * e.g. `https://mcp.example.com/mcp`: what clients ask tokens for and what
   * the `Jwt` authenticator's `audience` must be, exactly as written here
   * (no trailing-slash normalisation). Undefined: no metadata is served and
   * challenges carry no `resource_metadata` (API keys, sessions).
   */
  readonly resource?: string
  /** Issuer identifiers of the authorization servers tokens come from (RFC 9728 `authorization_servers`). */
  readonly authorizationServers?: ReadonlyArray<string>
  /** Scopes this server understands (RFC 9728 `scopes_supported`); never `offline_access` (spec "Refresh Tokens"). */
  readonly scopesSupported?: ReadonlyArray<string>
  /**
   * Scopes named in 401 challenges (spec "Protected Resource Metadata
   * Discovery Requirements": what a client should ask for first). Default
   * `scopesSupported`.
   */
  readonly challengeScopes?: ReadonlyArray<string>
  /** Human-readable name of the resource (RFC 9728 `resource_name`). */
  readonly resourceName?: string
  /** Where people read about it (RFC 9728 `resource_documentation`). */
  readonly resourceDocumentation?: string
  /** More metadata fields, e.g. `jwks_uri` or signed metadata. */
  readonly metadata?: Readonly<Record<string, unknown>>
  /** The authentication scheme named in challenges. Default `Bearer`. */
  readonly scheme?: string
  /** `max-age` of the metadata documents, in seconds. Default 3600. */
  readonly metadataMaxAgeSeconds?: number
}

/** The JSON-RPC code the guard's refusals carry in their body (the middleware failure range). */
const REFUSAL_CODE = -32000

const quote = (value: string) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`

/** The well-known metadata path of an endpoint at `pathname` (RFC 9728 §3.1: inserted between host and path). */
export const metadataPath = (pathname: string): string =>
  pathname === "/" || pathname === "" ? "/.well-known/oauth-protected-resource" : `/.well-known/oauth-protected-resource${pathname.replace(/\/$/, "")}`

/** The protected-resource metadata document (RFC 9728 §2). */
export const metadata = (options: Options): Record<string, unknown> => ({
  resource: options.resource,
  ...(options.authorizationServers === undefined ? {} : { authorization_servers: options.authorizationServers }),
  ...(options.scopesSupported === undefined ? {} : { scopes_supported: options.scopesSupported }),
  // spec "Token Requirements": the Authorization header only, never the query string.
  bearer_methods_supported: ["header"],
  ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
  ...(options.resourceDocumentation === undefined ? {} : { resource_documentation: options.resourceDocumentation }),
  ...options.metadata
})

/** What the guard reads of a 403 `Forbidden` failure of `Authorization` (its encoded `data`). */
interface ForbiddenData {
  readonly _tag: "Forbidden"
  readonly reason: string
  readonly requiredScopes?: ReadonlyArray<string>
  readonly description?: string
}

const isForbidden = (data: unknown): data is ForbiddenData =>
  typeof data === "object" && data !== null && (data as { _tag?: unknown })._tag === "Forbidden"

const isAuthenticationFailure = (data: unknown): data is { readonly _tag: "AuthenticationError"; readonly reason: string; readonly description: string } =>
  typeof data === "object" && data !== null && (data as { _tag?: unknown })._tag === "AuthenticationError"

/** Builds the guard over an authentication chain. */
export const fromService = (authentication: AuthenticationService, runtime: Runtime.Runtime<never>, options: Options = {}): HttpGuard.HttpGuard => {
  const scheme = options.scheme ?? "Bearer"
  const resourceUrl = options.resource === undefined ? undefined : new URL(options.resource)
  const documentPath = resourceUrl === undefined ? undefined : metadataPath(resourceUrl.pathname)
  const rootPath = "/.well-known/oauth-protected-resource"
  const metadataUrl = resourceUrl === undefined ? undefined : `${resourceUrl.origin}${documentPath}`
  const challengeScopes = options.challengeScopes ?? options.scopesSupported ?? []

  const challenge = (params: ReadonlyArray<readonly [string, string]>): string => {
    const all: Array<readonly [string, string]> = [...params]
    if (metadataUrl !== undefined) all.push(["resource_metadata", metadataUrl])
    return all.length === 0 ? scheme : `${scheme} ${all.map(([name, value]) => `${name}=${quote(value)}`).join(", ")}`
  }

  const body = (message: string, data?: unknown) =>
    JSON.stringify({ jsonrpc: "2.0", id: null, error: data === undefined ? { code: REFUSAL_CODE, message } : { code: REFUSAL_CODE, message, data } })

  // RFC 6750 §3.1: no error code when the request carried no credential; invalid_token otherwise.
  const missingVerdict: HttpGuard.Deny = {
    _tag: "Deny",
    status: 401,
    headers: { "www-authenticate": challenge(challengeScopes.length === 0 ? [] : [["scope", challengeScopes.join(" ")]]) },
    body: body("Unauthorized: this server requires an access token")
  }

  const refused = (error: AuthenticationError): HttpGuard.Deny => {
    if (error.reason === "missing") return missingVerdict
    if (error.reason === "unavailable") {
      return { _tag: "Deny", status: 503, headers: { "retry-after": "5" }, body: body(`Service Unavailable: ${error.description}`) }
    }
    return {
      _tag: "Deny",
      status: 401,
      headers: { "www-authenticate": challenge([["error", "invalid_token"], ["error_description", error.description]]) },
      body: body(`Unauthorized: ${error.description}`)
    }
  }

  // One Allow per verified identity (the cache hands back the same object), so a request costs a lookup.
  const allowed = new WeakMap<Identity, HttpGuard.Allow>()
  const allow = (identity: Identity): HttpGuard.Allow => {
    let verdict = allowed.get(identity)
    if (verdict === undefined) {
      // The caller's tenant selects its server when the endpoint serves several (`HttpTenancy`).
      verdict = identity.tenant === undefined
        ? { _tag: "Allow", context: contextOf(identity), owner: key(identity) }
        : { _tag: "Allow", context: contextOf(identity), owner: key(identity), tenant: identity.tenant }
      allowed.set(identity, verdict)
    }
    return verdict
  }

  const carries = (request: HttpGuard.Request, authenticators: ReadonlyArray<Authenticator>) =>
    authenticators.some((authenticator) => authenticator.credential(request) !== undefined)

  const runPromise = Runtime.runPromise(runtime)

  const check = (request: HttpGuard.Request): HttpGuard.Verdict | Promise<HttpGuard.Verdict> => {
    const known = authentication.peek(request)
    if (known !== undefined) return allow(known)
    if (!carries(request, authentication.authenticators)) return missingVerdict
    return runPromise(
      Effect.match(authentication.authenticate(request), { onFailure: refused, onSuccess: allow })
    )
  }

  const errorStatus: HttpGuard.ErrorMapper = (error) => {
    if (error.code !== REFUSAL_CODE) return undefined
    const data = error.data
    if (isForbidden(data)) {
      if (data.reason !== "insufficient_scope") return { status: 403, headers: {} }
      // spec 2026-07-28 basic/authorization "Runtime Insufficient Scope Errors": every scope the operation needs, in one challenge.
      const params: Array<readonly [string, string]> = [["error", "insufficient_scope"], ["scope", (data.requiredScopes ?? []).join(" ")]]
      if (data.description !== undefined) params.push(["error_description", data.description])
      return { status: 403, headers: { "www-authenticate": challenge(params) } }
    }
    if (isAuthenticationFailure(data)) {
      return { status: 401, headers: { "www-authenticate": challenge(challengeScopes.length === 0 ? [] : [["scope", challengeScopes.join(" ")]]) } }
    }
    return undefined
  }

  const documentBody = resourceUrl === undefined ? undefined : JSON.stringify(metadata(options))
  const documentHeaders = {
    "content-type": "application/json",
    "cache-control": `public, max-age=${options.metadataMaxAgeSeconds ?? 3600}`,
    // Browser-based clients read it cross-origin.
    "access-control-allow-origin": "*"
  }
  const document = documentBody === undefined
    ? undefined
    : (pathname: string): HttpGuard.Document | undefined =>
      pathname === documentPath || pathname === rootPath ? { status: 200, headers: documentHeaders, body: documentBody } : undefined

  return { check, errorStatus, document }
}

/** The guard over the app's `Authentication`. */
export const make = (options: Options = {}): Effect.Effect<HttpGuard.HttpGuard, never, Authentication> =>
  Effect.flatMap(Authentication, (authentication) =>
    Effect.map(Effect.runtime<never>(), (runtime) => fromService(authentication, runtime, options)))
