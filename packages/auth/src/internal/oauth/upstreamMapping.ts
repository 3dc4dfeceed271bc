/**
 * Upstream claims to a `Login`: the checks (`require`, `allowedDomains`),
 * then subject, tenant, roles and scopes from claim paths or a custom `map`.
 *
 * @internal
 */
import { Either } from "effect"
import { type ClaimPath, read, strings } from "../claims.js"
import { type Login, type Mapping, type MappedLogin, type TokenSet, UpstreamError, type ValueMapping } from "./upstreamModel.js"

/** What a provider kind maps by default (overridden field by field by the operator's `Mapping`). */
export interface MappingDefaults {
  readonly subject: ClaimPath | ReadonlyArray<ClaimPath>
  readonly tenant?: ClaimPath | undefined
  readonly roles?: ValueMapping | undefined
  readonly scopes?: ValueMapping | undefined
}

const paths = (p: ClaimPath | ReadonlyArray<ClaimPath>): ReadonlyArray<ClaimPath> => (typeof p === "string" ? [p] : p)

const firstString = (claims: Readonly<Record<string, unknown>>, candidates: ReadonlyArray<ClaimPath>): string | undefined => {
  for (const path of candidates) {
    const value = read(claims, path)
    if (typeof value === "string" && value.length > 0) return value
    if (typeof value === "number" && Number.isFinite(value)) return String(value)
  }
  return undefined
}

const mapValues = (claims: Readonly<Record<string, unknown>>, mapping: ValueMapping | undefined, into: Set<string>): void => {
  if (mapping === undefined) return
  for (const value of strings(read(claims, mapping.claim))) {
    if (mapping.values === undefined) into.add(value)
    else if (Object.hasOwn(mapping.values, value)) for (const v of mapping.values[value]!) into.add(v)
  }
}

const satisfies = (value: unknown, expected: string | number | boolean): boolean =>
  value === expected || (Array.isArray(value) && value.includes(expected))

/** The login the claims describe, or why there is none. */
export const toLogin = (input: {
  readonly provider: string
  readonly mapping: Mapping | undefined
  readonly defaults: MappingDefaults
  readonly claims: Readonly<Record<string, unknown>>
  readonly tokens: TokenSet
  readonly upstreamSubject: string
}): Either.Either<Login, UpstreamError> => {
  const { claims, provider } = input
  const mapping = input.mapping ?? {}
  const denied = (description: string) => Either.left(new UpstreamError({ provider, reason: "denied", description }))

  for (const [path, expected] of Object.entries(mapping.require ?? {})) {
    if (!satisfies(read(claims, path), expected)) return denied(`The ${provider} account does not have the required claim "${path}"`)
  }
  if (mapping.allowedDomains !== undefined) {
    const email = read(claims, "email")
    const domain = typeof email === "string" && email.includes("@") ? email.slice(email.lastIndexOf("@") + 1).toLowerCase() : undefined
    const allowed = new Set(mapping.allowedDomains.map((d) => d.toLowerCase()))
    if (domain === undefined || read(claims, "email_verified") !== true || !allowed.has(domain)) {
      return denied(`The ${provider} account has no verified email address in an allowed domain`)
    }
  }

  let mapped: MappedLogin = {}
  if (mapping.map !== undefined) {
    try {
      mapped = mapping.map(claims)
    } catch {
      return Either.left(new UpstreamError({ provider, reason: "configuration", description: "The custom claim mapping (map) threw" }))
    }
    if (mapped.deny !== undefined) return denied(mapped.deny)
  }

  let subject = mapped.subject
  if (subject === undefined) {
    const found = firstString(claims, paths(mapping.subject ?? input.defaults.subject))
    if (found === undefined) {
      return Either.left(new UpstreamError({ provider, reason: "invalid_response", description: `The ${provider} identity names no subject` }))
    }
    subject = mapping.prefixSubject === false ? found : `${provider}:${found}`
  }
  if (subject.length === 0) {
    return Either.left(new UpstreamError({ provider, reason: "invalid_response", description: `The ${provider} identity names no subject` }))
  }
  const tenantPath = mapping.tenant ?? input.defaults.tenant
  const tenant = mapped.tenant ?? (tenantPath === undefined ? undefined : firstString(claims, [tenantPath]))

  const roles = new Set<string>(mapping.defaultRoles ?? [])
  if (mapped.roles !== undefined) for (const r of mapped.roles) roles.add(r)
  else mapValues(claims, mapping.roles ?? input.defaults.roles, roles)
  const scopes = new Set<string>(mapping.defaultScopes ?? [])
  if (mapped.scopes !== undefined) for (const s of mapped.scopes) scopes.add(s)
  else mapValues(claims, mapping.scopes ?? input.defaults.scopes, scopes)

  return Either.right({
    subject,
    tenant,
    roles: [...roles],
    scopes: [...scopes],
    claims,
    tokens: input.tokens,
    upstreamSubject: input.upstreamSubject
  })
}
