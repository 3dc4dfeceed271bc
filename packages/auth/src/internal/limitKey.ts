/**
 * Keys of the policy middleware (`RateLimit`, `Concurrency`, `ResultCache`):
 * which requests share a bucket, a window or a set of permits.
 *
 * @internal
 */
import type { Middleware } from "@emcee/core"
import type { Option } from "effect"
import { type Identity, key as principalKey } from "../Principal.js"

/**
 * Names the bucket a request counts against, from the request and its caller
 * (`None` when no authentication middleware runs before the policy, or it
 * let the request through anonymously). Requests with equal keys share one
 * limit. Must be cheap and pure: it runs on every request the policy wraps.
 */
export type Key = (request: Middleware.Request, principal: Option.Option<Identity>) => string

/** The key of callers nobody authenticated. */
export const anonymous = "anonymous"

/** One key per caller (`Principal.key`: issuer, tenant and subject); unauthenticated callers share `"anonymous"`. */
export const byPrincipal: Key = (_request, principal) => principal._tag === "Some" ? principalKey(principal.value) : anonymous

/**
 * One key per tenant. Callers without a tenant, and unauthenticated ones,
 * share one key of their own (never equal to a tenant's).
 */
export const byTenant: Key = (_request, principal) =>
  principal._tag === "Some" && principal.value.tenant !== undefined ? `tenant:${principal.value.tenant}` : "\u0000no-tenant"

/**
 * One key per primitive (`tool:search`, `prompt:greet`, `resource:file:///x`);
 * requests that address none (lists, `ping`, `initialize`) are keyed by
 * method (`method:tools/list`).
 */
export const byTool: Key = (request) =>
  request.primitive === undefined ? `method:${request.method}` : `${request.primitive.kind}:${request.primitive.name}`

/**
 * One key per client address: by default the TCP peer's address the network
 * transports put in the request (`Middleware.Request.clientAddress`; none over
 * stdio or in memory), or what `address` reads. Behind a proxy you run, the
 * peer is the proxy: read the first untrusted hop of `X-Forwarded-For` from
 * where your front end put it, never the header as sent.
 * IPv4-mapped IPv6 addresses count as their IPv4 address (RFC 4291
 * §2.5.5.2), and IPv6 addresses are keyed by their /64 prefix (one site
 * usually holds a whole /64 or more, RFC 6177 §2, so a per-address limit
 * would be trivially evaded). Requests without an address share one key.
 */
export const byIp = (address: (request: Middleware.Request) => string | undefined = (request) => request.clientAddress): Key => (request) => {
  const value = address(request)
  return value === undefined || value.length === 0 ? "ip:unknown" : `ip:${normalizeIp(value)}`
}

/**
 * Requests share a key when every one of `keys` agrees (e.g. per tenant and
 * tool). The parts are length-prefixed, so no two lists of parts make the
 * same key.
 */
export const combine = (...keys: ReadonlyArray<Key>): Key => {
  if (keys.length === 1) return keys[0]!
  return (request, principal) => {
    let out = ""
    for (const key of keys) {
      const part = key(request, principal)
      out += `${part.length}:${part}`
    }
    return out
  }
}

/** Everything keyed as one: a global limit. */
export const global: Key = () => "global"

/**
 * An address as a key: trimmed and lower-cased, IPv4-mapped IPv6 as IPv4, a
 * bracketed or zoned IPv6 bare, an IPv6 address cut to its first 64 bits.
 * Anything that is not an address is kept as given (bounded to 100 chars).
 */
export const normalizeIp = (raw: string): string => {
  let value = raw.trim().toLowerCase()
  if (value.startsWith("[")) value = value.slice(1, value.indexOf("]") === -1 ? undefined : value.indexOf("]"))
  const zone = value.indexOf("%")
  if (zone !== -1) value = value.slice(0, zone)
  if (!value.includes(":")) return value.slice(0, 100)
  // An IPv4 tail (`::ffff:192.0.2.1`) as its two groups, so the address parses as eight groups.
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value)
  const hex = dotted === null
    ? value
    : `${dotted[1]}${((Number(dotted[2]) << 8) | Number(dotted[3])).toString(16)}:${((Number(dotted[4]) << 8) | Number(dotted[5])).toString(16)}`
  const groups = expandIpv6(hex)
  if (groups === undefined) return value.slice(0, 100)
  // RFC 4291 §2.5.5.2: an IPv4-mapped IPv6 address is the IPv4 host.
  if (dotted !== null && groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff") {
    return `${dotted[2]}.${dotted[3]}.${dotted[4]}.${dotted[5]}`
  }
  return `${groups.slice(0, 4).join(":")}::/64`
}

/** The eight groups of an IPv6 address (without leading zeros), or undefined when it is not one. */
const expandIpv6 = (value: string): ReadonlyArray<string> | undefined => {
  const halves = value.split("::")
  if (halves.length > 2) return undefined
  const parse = (part: string): Array<string> | undefined => {
    if (part.length === 0) return []
    const groups = part.split(":")
    for (const g of groups) if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined
    return groups.map((g) => g.replace(/^0+(?=.)/, ""))
  }
  const head = parse(halves[0]!)
  const tail = halves.length === 2 ? parse(halves[1]!) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  return [...head, ...Array.from({ length: missing }, () => "0"), ...tail]
}
