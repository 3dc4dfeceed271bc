/**
 * Security headers of the Streamable HTTP endpoint (`HttpTransport`, its
 * mounted `makeEndpoint`, `WebHandler`, `Lambda`): the `securityHeaders`
 * option. The headers are computed once, when the endpoint starts, and added
 * to every response it writes (JSON answers, SSE streams, errors, CORS
 * preflights, the guard's RFC 9728 documents). Headers the endpoint sets
 * itself win over them.
 *
 * By default the endpoint sends `X-Content-Type-Options: nosniff` alone:
 * the one header that changes what a browser does with a JSON or SSE
 * response. `securityHeaders: true` (or options) sends the recommended set
 * for an API whose responses are never HTML, each header adjustable:
 *
 * - `X-Content-Type-Options: nosniff`: a browser must not guess another type
 *   (e.g. run a JSON body as a script).
 * - `Referrer-Policy: no-referrer`.
 * - `X-Frame-Options: DENY` and `Content-Security-Policy: default-src 'none';
 *   frame-ancestors 'none'`: nothing loads from a response, which no page may
 *   frame (CSP `frame-ancestors` for current browsers, `X-Frame-Options` for
 *   older ones).
 * - `Cross-Origin-Resource-Policy: same-origin`: other sites cannot load a
 *   response as a `no-cors` subresource (`<script>`, `<img>`), which is what
 *   side-channel attacks read. It does not restrict browser MCP clients: the
 *   Fetch standard applies the policy to `no-cors` requests only ("Cross-
 *   Origin-Resource-Policy header"; a `fetch` in `cors` mode is governed by
 *   CORS, i.e. the endpoint's `allowedOrigins`).
 *
 * Why not the whole set by default: each header costs node:http a
 * validation and a copy on every response, and the four beyond `nosniff`
 * measured ~15k more instructions per `tools/call` on the bench (~10% of a
 * bare request: `npm run bench` with `emcee` and a copy with the full set)
 * for protections that apply to documents a browser renders, which these
 * responses never are.
 *
 * `Strict-Transport-Security` is sent only when `hsts` is given: the endpoint
 * often runs on plain HTTP (loopback, or behind a proxy that terminates TLS),
 * and RFC 6797 §7.2 forbids the header on a non-secure transport. Give it when
 * clients reach the server over HTTPS only.
 *
 * Routes of your own beside the endpoint (`HttpTransport`'s `app`, which may
 * serve HTML) do not get these headers; add them there with an
 * `HttpMiddleware` of yours, e.g. from `SecurityHeaders.headers(...)`.
 *
 * @example
 * HttpTransport.layer({
 *   port: 3000,
 *   securityHeaders: { hsts: { maxAge: "365 days", includeSubDomains: true }, referrerPolicy: "same-origin" }
 * })
 *
 * @since 0.2.0
 */
import { Duration } from "effect"

/** `Strict-Transport-Security` (RFC 6797 §6.1). */
export interface Hsts {
  /** How long a browser keeps to HTTPS for this host (`max-age`, §6.1.1). Default 365 days. */
  readonly maxAge?: Duration.DurationInput
  /** Apply to every subdomain too (`includeSubDomains`, §6.1.2). Default false. */
  readonly includeSubDomains?: boolean
  /**
   * Ask for inclusion in the browsers' preload list (`preload`, not part of
   * RFC 6797: hstspreload.org requires `includeSubDomains` and a `maxAge` of
   * at least one year, checked here). Default false.
   */
  readonly preload?: boolean
}

/**
 * Each header: a value of yours instead of the default, or `false` to leave
 * it out.
 */
export interface Options {
  /** `X-Content-Type-Options: nosniff` (Fetch standard "X-Content-Type-Options header"). Default true. */
  readonly contentTypeOptions?: boolean
  /** `Referrer-Policy` (W3C Referrer Policy). Default `no-referrer`. */
  readonly referrerPolicy?: string | false
  /** `X-Frame-Options` (RFC 7034). Default `DENY`. */
  readonly frameOptions?: "DENY" | "SAMEORIGIN" | false
  /** `Content-Security-Policy` (W3C CSP 3). Default `default-src 'none'; frame-ancestors 'none'`. */
  readonly contentSecurityPolicy?: string | false
  /** `Cross-Origin-Resource-Policy` (Fetch standard). Default `same-origin`. */
  readonly crossOriginResourcePolicy?: "same-origin" | "same-site" | "cross-origin" | false
  /** `Strict-Transport-Security` (RFC 6797): off unless given; `true` is `max-age` of one year. */
  readonly hsts?: boolean | Hsts
  /** Further headers to send on every response (e.g. `Permissions-Policy`), names in any case. */
  readonly additional?: Readonly<Record<string, string>>
}

/** One year in seconds: the default `max-age`, and the least hstspreload.org accepts. */
const ONE_YEAR_SECONDS = 31_536_000

/** RFC 9110 §5.1 field name (a token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** RFC 9110 §5.5 field value: visible characters, spaces and tabs; never CR, LF or NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

const hstsValue = (hsts: true | Hsts): string => {
  const options: Hsts = hsts === true ? {} : hsts
  const duration = Duration.decode(options.maxAge ?? Duration.seconds(ONE_YEAR_SECONDS))
  if (!Duration.isFinite(duration)) throw new RangeError("SecurityHeaders: hsts.maxAge must be finite")
  const seconds = Math.floor(Duration.toMillis(duration) / 1000)
  if (options.preload === true && (options.includeSubDomains !== true || seconds < ONE_YEAR_SECONDS)) {
    throw new RangeError("SecurityHeaders: hsts.preload needs includeSubDomains and a maxAge of at least one year (hstspreload.org)")
  }
  return `max-age=${seconds}${options.includeSubDomains === true ? "; includeSubDomains" : ""}${options.preload === true ? "; preload" : ""}`
}

/**
 * The headers to send, names in lower case: `true` or no argument gives the
 * defaults, `false` none, options adjust them. Meant to be computed once at
 * startup. A name or value that HTTP cannot carry (a line break) throws a
 * `TypeError`, so a mistake fails at startup rather than on each response.
 */
export const headers = (options: boolean | Options = true): Readonly<Record<string, string>> => {
  if (options === false) return {}
  const o: Options = options === true ? {} : options
  const out: Record<string, string> = {}
  if (o.contentTypeOptions !== false) out["x-content-type-options"] = "nosniff"
  if (o.referrerPolicy !== false) out["referrer-policy"] = o.referrerPolicy ?? "no-referrer"
  if (o.frameOptions !== false) out["x-frame-options"] = o.frameOptions ?? "DENY"
  if (o.contentSecurityPolicy !== false) out["content-security-policy"] = o.contentSecurityPolicy ?? "default-src 'none'; frame-ancestors 'none'"
  if (o.crossOriginResourcePolicy !== false) out["cross-origin-resource-policy"] = o.crossOriginResourcePolicy ?? "same-origin"
  if (o.hsts !== undefined && o.hsts !== false) out["strict-transport-security"] = hstsValue(o.hsts)
  for (const [name, value] of Object.entries(o.additional ?? {})) out[name.toLowerCase()] = value
  for (const [name, value] of Object.entries(out)) {
    if (!TOKEN.test(name)) throw new TypeError(`SecurityHeaders: invalid header name ${JSON.stringify(name)}`)
    if (!FIELD_VALUE.test(value)) throw new TypeError(`SecurityHeaders: invalid value for ${name}: ${JSON.stringify(value)}`)
  }
  return out
}

/** The recommended set (`headers()`, `securityHeaders: true`). */
export const defaults: Readonly<Record<string, string>> = headers()

/** What an endpoint sends when `securityHeaders` is not given: `X-Content-Type-Options: nosniff` alone. */
export const minimal: Options = { referrerPolicy: false, frameOptions: false, contentSecurityPolicy: false, crossOriginResourcePolicy: false }
