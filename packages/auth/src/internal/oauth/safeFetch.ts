/**
 * A GET for documents named by someone else (a Client ID Metadata Document
 * at a client's URL), guarded against server-side request forgery
 * (draft-ietf-oauth-client-id-metadata-document §6.5, OWASP SSRF
 * Prevention Cheat Sheet):
 *
 * - https only (http only when allowed, for development); no user info in
 *   the URL;
 * - the host's addresses are resolved with `node:dns` inside the socket's
 *   own `lookup`, and every one of them must be public (not private,
 *   loopback, link-local, CGNAT, multicast, reserved, unspecified, unique
 *   local, nor an IPv4 address of those kinds mapped or embedded in IPv6).
 *   The connection goes to the address that was checked, so a DNS answer
 *   changing between check and connect (rebinding) cannot redirect it. An
 *   IP literal is checked before any socket opens;
 * - redirects are refused, not followed;
 * - the body is read up to `maxBytes` (the declared `content-length` is
 *   checked first, and the stream is aborted as soon as it exceeds it);
 * - everything (lookup, connect, TLS, headers, body) ends within
 *   `timeoutMillis`, and the socket is destroyed when it does not.
 *
 * @internal
 */
import { lookup as dnsLookup } from "node:dns"
import type { IncomingHttpHeaders, IncomingMessage } from "node:http"
import { request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import { BlockList, isIP, type LookupFunction } from "node:net"
import { rootCertificates } from "node:tls"
import { Duration, Effect, Schema } from "effect"

/** Why a fetch was refused or failed. */
export class SafeFetchError extends Schema.TaggedError<SafeFetchError>()("SafeFetchError", {
  reason: Schema.Literal("url", "address", "dns", "network", "timeout", "redirect", "status", "size", "content-type"),
  /** What went wrong, for a developer; it names the URL's host at most, never a credential. */
  description: Schema.String
}) {}

/** Options of `safeFetch`. */
export interface SafeFetchOptions {
  /** Allow `http:` URLs (development only). */
  readonly allowHttp: boolean
  /** Allow any address, private ones included (development, or a trusted internal network). */
  readonly allowPrivateNetworks: boolean
  /** Hosts (lower-case names or IP literals, IPv6 without brackets) exempt from the address check. */
  readonly allowedHosts: ReadonlyArray<string>
  /** The largest body read, in bytes. */
  readonly maxBytes: number
  /** The time the whole exchange may take. */
  readonly timeoutMillis: number
  /** Certificates (PEM) trusted in addition to the system's. */
  readonly ca?: string | ReadonlyArray<string> | undefined
  /** The `accept` header. */
  readonly accept: string
  /** Whether a `content-type` is acceptable. */
  readonly contentType: (mediaType: string) => boolean
}

/** A successful (200) response. */
export interface SafeResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

// Address ranges that are not the public Internet (IANA IPv4 and IPv6
// Special-Purpose Address Registries, RFC 6890 and updates). `BlockList`
// also matches IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) against the IPv4
// rules.
const blocked = new BlockList()
for (
  const [network, prefix] of [
    ["0.0.0.0", 8], // "this network", unspecified (RFC 791)
    ["10.0.0.0", 8], // private (RFC 1918)
    ["100.64.0.0", 10], // shared address space, CGNAT (RFC 6598)
    ["127.0.0.0", 8], // loopback (RFC 1122)
    ["169.254.0.0", 16], // link-local, cloud metadata services (RFC 3927)
    ["172.16.0.0", 12], // private (RFC 1918)
    ["192.0.0.0", 24], // IETF protocol assignments (RFC 6890)
    ["192.0.2.0", 24], // documentation (RFC 5737)
    ["192.88.99.0", 24], // 6to4 relay anycast (RFC 7526)
    ["192.168.0.0", 16], // private (RFC 1918)
    ["198.18.0.0", 15], // benchmarking (RFC 2544)
    ["198.51.100.0", 24], // documentation (RFC 5737)
    ["203.0.113.0", 24], // documentation (RFC 5737)
    ["224.0.0.0", 4], // multicast (RFC 5771)
    ["240.0.0.0", 4] // reserved, limited broadcast (RFC 1112, RFC 919)
  ] as const
) blocked.addSubnet(network, prefix, "ipv4")
for (
  const [network, prefix] of [
    ["::", 96], // unspecified, loopback, IPv4-compatible (RFC 4291 §2.5.2, §2.5.3, §2.5.5.1)
    ["64:ff9b:1::", 48], // local-use IPv4/IPv6 translation (RFC 8215)
    ["100::", 64], // discard-only (RFC 6666)
    ["2001::", 23], // IETF protocol assignments, Teredo (RFC 2928, RFC 4380)
    ["2001:db8::", 32], // documentation (RFC 3849)
    ["fc00::", 7], // unique local (RFC 4193)
    ["fe80::", 10], // link-local (RFC 4291 §2.5.6)
    ["fec0::", 10], // site-local, deprecated (RFC 3879)
    ["ff00::", 8] // multicast (RFC 4291 §2.7)
  ] as const
) blocked.addSubnet(network, prefix, "ipv6")

/** The 16 bytes of an IPv6 address (already validated by `isIP`), or undefined. */
const ipv6Bytes = (address: string): Uint8Array | undefined => {
  let text = address
  const bytes = new Uint8Array(16)
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) becomes two hex groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split("::") as [string, string | undefined]
  const groups = (part: string | undefined) => (part === undefined || part === "" ? [] : part.split(":"))
  const left = groups(head)
  const right = groups(tail)
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right]
  if (all.length !== 8) return undefined
  all.forEach((group, i) => {
    const value = parseInt(group, 16)
    bytes[2 * i] = value >> 8
    bytes[2 * i + 1] = value & 0xff
  })
  return bytes
}

/** The IPv4 address an IPv6 address embeds by translation (NAT64 64:ff9b::/96, RFC 6052; 6to4 2002::/16, RFC 3056), if any. */
const embeddedIpv4 = (address: string): string | undefined => {
  const bytes = ipv6Bytes(address)
  if (bytes === undefined) return undefined
  const quad = (offset: number) => `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return quad(2)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && bytes.subarray(4, 12).every((b) => b === 0)) {
    return quad(12)
  }
  return undefined
}

/** Whether an IP address is outside the public Internet (see `blocked`); anything that is not an IP address counts as not public. */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, "ipv4")
  if (family !== 6) return true
  const unscoped = address.split("%")[0]!
  if (blocked.check(unscoped, "ipv6")) return true
  const embedded = embeddedIpv4(unscoped)
  return embedded !== undefined && blocked.check(embedded, "ipv4")
}

const fail = (reason: SafeFetchError["reason"], description: string) => new SafeFetchError({ reason, description })

/** A socket `lookup` resolving every address of a host and refusing the host when any of them is private. */
const guardedLookup = (check: boolean): LookupFunction => (hostname, options, callback) => {
  dnsLookup(hostname, { all: true, verbatim: true, ...(options.family ? { family: options.family } : {}) }, (error, addresses) => {
    if (error) return callback(error, "", 4)
    const refused = check ? addresses.find((entry) => isPrivateAddress(entry.address)) : undefined
    if (refused !== undefined || addresses.length === 0) {
      const failure = Object.assign(
        new Error(
          addresses.length === 0
            ? `${hostname} has no address`
            // The address itself is not said: the answer would make this a DNS oracle for internal names.
            : `${hostname} is not a public address`
        ),
        { code: addresses.length === 0 ? "ENOTFOUND" : "EADDRREFUSED" }
      )
      return callback(failure, "", 4)
    }
    if (options.all) return (callback as unknown as (error: null, addresses: ReadonlyArray<{ address: string; family: number }>) => void)(null, addresses)
    return callback(null, addresses[0]!.address, addresses[0]!.family)
  })
}

const describeNetworkError = (error: Error & { code?: string }): SafeFetchError => {
  if (error.code === "EADDRREFUSED") return fail("address", error.message)
  if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") return fail("dns", `The host could not be resolved (${error.code})`)
  // Node's messages for TLS and socket errors name hosts and causes, no credentials.
  return fail("network", error.code ? `${error.code}: ${error.message}` : error.message)
}

/** Parses and vets a URL before any network traffic. */
const vetUrl = (raw: string, options: SafeFetchOptions): Effect.Effect<URL, SafeFetchError> =>
  Effect.gen(function*() {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      return yield* Effect.fail(fail("url", "The URL is not valid"))
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && options.allowHttp)) {
      return yield* Effect.fail(fail("url", `The URL scheme must be https (got ${url.protocol.slice(0, 20)})`))
    }
    if (url.username !== "" || url.password !== "") return yield* Effect.fail(fail("url", "The URL must not contain a user name or password"))
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname
    if (options.allowPrivateNetworks || options.allowedHosts.includes(host.toLowerCase())) return url
    if (isIP(host) !== 0 && isPrivateAddress(host)) {
      return yield* Effect.fail(fail("address", `${host} is not a public address`))
    }
    return url
  })

/** The media type of a `content-type` header, lower case, without parameters. */
const mediaType = (header: string | undefined): string => (header ?? "").split(";")[0]!.trim().toLowerCase()

/**
 * Fetches `raw` with a GET under the guards above; succeeds with a 200
 * response whose body is within `maxBytes` and whose media type is
 * acceptable.
 */
export const safeFetch = (raw: string, options: SafeFetchOptions): Effect.Effect<SafeResponse, SafeFetchError> =>
  Effect.flatMap(vetUrl(raw, options), (url) => {
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname
    const check = !(options.allowPrivateNetworks || options.allowedHosts.includes(host.toLowerCase()))
    const extraCa = options.ca === undefined ? [] : typeof options.ca === "string" ? [options.ca] : options.ca
    const exchange = Effect.async<SafeResponse, SafeFetchError>((resume) => {
      let done = false
      const finish = (result: Effect.Effect<SafeResponse, SafeFetchError>) => {
        if (done) return
        done = true
        resume(result)
      }
      const onResponse = (response: IncomingMessage) => {
        const status = response.statusCode ?? 0
        const refuse = (error: SafeFetchError) => {
          finish(Effect.fail(error))
          request.destroy()
        }
        if (status >= 300 && status < 400) return refuse(fail("redirect", `The server answered ${status} (a redirect, which is not followed)`))
        if (status !== 200) return refuse(fail("status", `The server answered ${status}`))
        const type = mediaType(response.headers["content-type"])
        if (!options.contentType(type)) {
          return refuse(fail("content-type", `The response is ${type === "" ? "without a content type" : type.slice(0, 100)}, not JSON`))
        }
        const encoding = (response.headers["content-encoding"] ?? "identity").toLowerCase()
        if (encoding !== "identity") return refuse(fail("content-type", `The response is encoded (${encoding.slice(0, 50)}); it must not be`))
        const declared = Number(response.headers["content-length"])
        const tooBig = fail("size", `The response is larger than ${options.maxBytes} bytes`)
        if (Number.isFinite(declared) && declared > options.maxBytes) return refuse(tooBig)
        const chunks: Array<Buffer> = []
        let size = 0
        response.on("data", (chunk: Buffer) => {
          size += chunk.length
          if (size > options.maxBytes) return refuse(tooBig)
          chunks.push(chunk)
        })
        response.on("end", () => finish(Effect.succeed({ status, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") })))
        response.on("error", (error) => finish(Effect.fail(describeNetworkError(error))))
        response.on("aborted", () => finish(Effect.fail(fail("network", "The response was cut short"))))
      }
      const common = {
        method: "GET",
        headers: { accept: options.accept, "accept-encoding": "identity", "user-agent": "emcee-auth" },
        lookup: guardedLookup(check),
        agent: false as const
      }
      const request = url.protocol === "https:"
        ? httpsRequest(url, { ...common, ...(extraCa.length > 0 ? { ca: [...rootCertificates, ...extraCa] } : {}) }, onResponse)
        : httpRequest(url, common, onResponse)
      request.on("error", (error) => finish(Effect.fail(describeNetworkError(error))))
      request.end()
      return Effect.sync(() => {
        done = true
        request.destroy()
      })
    })
    return exchange.pipe(
      Effect.timeoutFail({
        duration: Duration.millis(options.timeoutMillis),
        onTimeout: () => fail("timeout", `No complete response within ${options.timeoutMillis} ms`)
      })
    )
  })
