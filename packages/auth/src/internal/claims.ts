/**
 * Claims to identity: the mapping shared by `Jwt` (a verified JWT payload)
 * and `Introspection` (an RFC 7662 introspection response).
 *
 * @internal
 */
import type { CredentialKind, Identity } from "../Principal.js"

/**
 * A claim, by name or by dot path into nested objects (`realm_access.roles`).
 * A name that itself contains dots (`https://example.com/roles`, as Auth0
 * namespaced claims are) is matched whole: at each level the longest run of
 * segments that names an own property is taken.
 */
export type ClaimPath = string

/** What a custom mapping returns; each field given replaces the one read from `ClaimMapping`'s paths. */
export interface MappedClaims {
  readonly subject?: string | undefined
  readonly tenant?: string | undefined
  readonly roles?: Iterable<string> | undefined
  readonly scopes?: Iterable<string> | undefined
}

/** How claims become an identity. */
export interface ClaimMapping {
  /** Claims naming the caller, the first present wins. Default `sub`. */
  readonly subject?: ClaimPath | ReadonlyArray<ClaimPath>
  /** Claims naming the caller's tenant (`tid`, `org_id`), the first present wins. Default: none. */
  readonly tenant?: ClaimPath | ReadonlyArray<ClaimPath>
  /** Claims listing roles (arrays, or space-separated strings), all merged. Default: none. */
  readonly roles?: ClaimPath | ReadonlyArray<ClaimPath>
  /**
   * Claims listing scopes, all merged: a space-separated string (`scope`,
   * RFC 9068 §2.2.3) or an array (`scp`, `permissions`). Default `scope`,
   * `scp` and `permissions`.
   */
  readonly scopes?: ClaimPath | ReadonlyArray<ClaimPath>
  /** A custom mapping, applied after the paths; the fields it returns replace theirs. */
  readonly map?: (claims: Readonly<Record<string, unknown>>) => MappedClaims
}

const list = (paths: ClaimPath | ReadonlyArray<ClaimPath> | undefined, fallback: ReadonlyArray<ClaimPath>): ReadonlyArray<ClaimPath> =>
  paths === undefined ? fallback : typeof paths === "string" ? [paths] : paths

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The value at `path`, or undefined (own properties only: `__proto__` and friends never resolve). */
export const read = (claims: Readonly<Record<string, unknown>>, path: ClaimPath): unknown => {
  if (Object.hasOwn(claims, path)) return claims[path]
  const segments = path.split(".")
  const walk = (value: unknown, from: number): unknown => {
    if (from === segments.length) return value
    if (!isRecord(value)) return undefined
    for (let to = segments.length; to > from; to--) {
      const name = segments.slice(from, to).join(".")
      if (!Object.hasOwn(value, name)) continue
      const found = walk(value[name], to)
      if (found !== undefined) return found
    }
    return undefined
  }
  return walk(claims, 0)
}

/** The strings of a claim: a space-separated string, or the strings of an array. */
export const strings = (value: unknown): ReadonlyArray<string> => {
  if (typeof value === "string") return value.split(/\s+/).filter((s) => s.length > 0)
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string" && s.length > 0)
  return []
}

const first = (claims: Readonly<Record<string, unknown>>, paths: ReadonlyArray<ClaimPath>): string | undefined => {
  for (const path of paths) {
    const value = read(claims, path)
    if (typeof value === "string" && value.length > 0) return value
    if (typeof value === "number" && Number.isFinite(value)) return String(value)
  }
  return undefined
}

const union = (claims: Readonly<Record<string, unknown>>, paths: ReadonlyArray<ClaimPath>): Set<string> => {
  const out = new Set<string>()
  for (const path of paths) for (const s of strings(read(claims, path))) out.add(s)
  return out
}

/** The default scope claims: `scope` (RFC 8693 §4.2, RFC 9068), `scp` (Entra, Okta), `permissions` (Auth0 RBAC). */
export const defaultScopeClaims: ReadonlyArray<ClaimPath> = ["scope", "scp", "permissions"]

/** The identity the claims describe, or a safe description of why they describe none. */
export const toIdentity = (
  claims: Readonly<Record<string, unknown>>,
  mapping: ClaimMapping,
  defaults: { readonly kind: CredentialKind; readonly subject: ReadonlyArray<ClaimPath> }
): Identity | string => {
  const mapped = mapping.map?.(claims) ?? {}
  const subject = mapped.subject ?? first(claims, list(mapping.subject, defaults.subject))
  if (subject === undefined || subject.length === 0) return "The token names no subject"
  const tenant = mapped.tenant ?? (mapping.tenant === undefined ? undefined : first(claims, list(mapping.tenant, [])))
  const roles = mapped.roles !== undefined ? new Set(mapped.roles) : union(claims, list(mapping.roles, []))
  const scopes = mapped.scopes !== undefined ? new Set(mapped.scopes) : union(claims, list(mapping.scopes, defaultScopeClaims))
  const iss = claims["iss"]
  const exp = claims["exp"]
  return {
    subject,
    tenant,
    roles,
    scopes,
    claims,
    kind: defaults.kind,
    issuer: typeof iss === "string" ? iss : undefined,
    expiresAt: typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined
  }
}
