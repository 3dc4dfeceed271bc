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
 *
 * `streamable` is the Streamable HTTP endpoint's rule, decided once from the
 * address the server is bound to (HttpTransport and its platform endpoint).
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

/** What the check reads from a request, whatever server it reached. */
export interface View {
  readonly origin: string | undefined
  readonly host: string | undefined
  /** The local address the connection reached; undefined when the server does not say (web runtimes). */
  readonly localAddress: string | undefined
  readonly localPort: number | undefined
}

/** A node:http request as the check reads it. */
export const nodeView = (req: IncomingMessage): View => ({
  origin: req.headers.origin,
  host: req.headers.host,
  localAddress: req.socket.localAddress,
  localPort: req.socket.localPort
})

/**
 * Returns a check of a request's view: undefined when the request may
 * proceed, otherwise the reason for a 403. A request whose local address is
 * unknown is not treated as loopback: only the given lists apply to it.
 */
export const makeCheck = (options: Options): (view: View) => string | undefined => {
  if (options.dnsRebindingProtection === false) return () => undefined
  const origins = options.allowedOrigins === undefined ? undefined : new Set(options.allowedOrigins)
  const hosts = options.allowedHosts === undefined ? undefined : new Set(options.allowedHosts)
  return (view) => {
    const loopback = isLoopbackAddress(view.localAddress)
    const origin = view.origin
    if (origin !== undefined) {
      const ok = origins !== undefined ? origins.has(origin) : loopback ? loopbackOrigin(origin) : true
      if (!ok) return `Forbidden: Origin not allowed: ${origin}`
    }
    const host = view.host
    const hostOk = hosts !== undefined
      ? host !== undefined && hosts.has(host)
      : loopback
      ? host !== undefined && loopbackHost(host, view.localPort)
      : true
    if (!hostOk) return `Forbidden: Host not allowed: ${host ?? "(none)"}`
    return undefined
  }
}

/** Returns a check of node:http requests: undefined when the request may proceed, otherwise the reason for a 403. */
export const make = (options: Options): (req: IncomingMessage) => string | undefined => {
  const check = makeCheck(options)
  return (req) => check(nodeView(req))
}

/** What the Streamable HTTP endpoint checks (HttpTransport's rule: on by default when bound to loopback). */
export interface StreamableChecks {
  /** Exact `Host` values accepted; undefined: any. Filled with the loopback names once the port is known (`bound`). */
  readonly allowedHosts: Set<string> | undefined
  readonly allowOrigin: ((origin: string) => boolean) | undefined
  /** Adds the loopback Host values with the bound port, when those are the default. */
  readonly bound: (port: number) => void
}

const LOOPBACK_BINDS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "::1", "[::1]"])

/** True when a server bound to `host` is reachable only from this machine. */
export const isLoopbackBind = (host: string | undefined): boolean => host !== undefined && LOOPBACK_BINDS.has(host)

/**
 * The Origin/Host checks of a Streamable HTTP endpoint on a server bound to
 * `host` (undefined: unknown, so not loopback): on when bound to loopback or
 * when lists are given, unless `dnsRebindingProtection` says otherwise.
 */
export const streamable = (options: Options, host: string | undefined): StreamableChecks => {
  const loopback = isLoopbackBind(host)
  const allowedHosts = new Set<string>(options.allowedHosts ?? [])
  const protect = options.dnsRebindingProtection ??
    (loopback || options.allowedHosts !== undefined || options.allowedOrigins !== undefined)
  const origins = options.allowedOrigins === undefined ? undefined : new Set(options.allowedOrigins)
  const allowOrigin = !protect
    ? undefined
    : origins !== undefined
    ? (origins.has("*") ? () => true : (origin: string) => origins.has(origin))
    : loopback
    ? loopbackOrigin
    : undefined
  const checkHosts = protect && (options.allowedHosts !== undefined || loopback)
  return {
    allowedHosts: checkHosts ? allowedHosts : undefined,
    allowOrigin,
    bound: (port) => {
      if (!checkHosts || options.allowedHosts !== undefined) return
      for (const name of ["127.0.0.1", "localhost", "[::1]"]) {
        allowedHosts.add(`${name}:${port}`)
        if (port === 80) allowedHosts.add(name)
      }
    }
  }
}
