/**
 * DNS-rebinding protection for the node:http transports that are not
 * Streamable HTTP (legacy HTTP+SSE, WebSocket): spec 2025-11-25
 * basic/transports "Security Warning" 1. (validate `Origin`, invalid -> 403)
 * and 2. (bind to localhost when running locally).
 *
 * These handlers can be mounted on someone else's server, so "bound to
 * loopback" is read per connection from the socket's local address: a
 * request that reached a loopback address must name a loopback Host and, if
 * it has an Origin, a loopback Origin. That is the same rule HttpTransport
 * applies to a loopback bind, and it also protects a 0.0.0.0 bind against a
 * page that rebinds a name to 127.0.0.1.
 */
import type { IncomingMessage } from "node:http"

/** Options shared by the transports using the guard. */
export interface Options {
  /** Accepted `Origin` values; default: when reached on loopback, http(s) origins on localhost, 127.0.0.1 or [::1]. */
  readonly allowedOrigins?: ReadonlyArray<string>
  /** Accepted `Host` values; default: when reached on loopback, localhost, 127.0.0.1 and [::1] with the local port. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Turn the checks off (false) or on (true). Default: on for loopback connections and whenever lists are given. */
  readonly dnsRebindingProtection?: boolean
}

/** Host names of the loopback interface as they appear in URLs and Host headers. */
const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"])

const isLoopbackAddress = (address: string | undefined): boolean =>
  address !== undefined && (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."))

/** True for an http(s) origin on localhost, 127.0.0.1 or [::1]. */
export const loopbackOrigin = (origin: string): boolean => {
  try {
    const url = new URL(origin)
    return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK_HOSTNAMES.has(url.hostname)
  } catch {
    return false
  }
}

const loopbackHost = (host: string, port: number | undefined): boolean => {
  for (const name of LOOPBACK_HOSTNAMES) {
    if (host === `${name}:${port}`) return true
    if (port === 80 && host === name) return true
  }
  return false
}

/** Returns a check: undefined when the request may proceed, otherwise the reason for a 403. */
export const make = (options: Options): (req: IncomingMessage) => string | undefined => {
  if (options.dnsRebindingProtection === false) return () => undefined
  const origins = options.allowedOrigins === undefined ? undefined : new Set(options.allowedOrigins)
  const hosts = options.allowedHosts === undefined ? undefined : new Set(options.allowedHosts)
  return (req) => {
    const loopback = isLoopbackAddress(req.socket.localAddress)
    const origin = req.headers.origin
    if (origin !== undefined) {
      const ok = origins !== undefined ? origins.has(origin) : loopback ? loopbackOrigin(origin) : true
      if (!ok) return `Forbidden: Origin not allowed: ${origin}`
    }
    const host = req.headers.host
    const hostOk = hosts !== undefined
      ? host !== undefined && hosts.has(host)
      : loopback
      ? host !== undefined && loopbackHost(host, req.socket.localPort)
      : true
    if (!hostOk) return `Forbidden: Host not allowed: ${host ?? "(none)"}`
    return undefined
  }
}
