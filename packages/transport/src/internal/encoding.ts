/**
 * Response compression for the Streamable HTTP endpoint: the option resolved
 * once at startup, which responses qualify, and the content coding chosen
 * from a request's `Accept-Encoding` (RFC 9110 §12.5.3). No Node.js imports:
 * the web-standard handler uses it too; the bytes are compressed by each
 * adapter (node:zlib, or `CompressionStream` on the web).
 */

/** A content coding the endpoint can apply (RFC 9110 §8.4.1; `br` is RFC 7932). */
export type Coding = "br" | "gzip" | "deflate"

/** `compression` as given by the user (see HttpTransport `CompressionOptions`). */
export interface Input {
  readonly threshold?: number | undefined
  readonly encodings?: ReadonlyArray<Coding> | undefined
}

/** The resolved option: what qualifies, and the codings offered in the server's order of preference. */
export interface Compression {
  /** Smallest body (bytes) worth compressing. */
  readonly threshold: number
  /** Codings offered, most preferred first; never empty. */
  readonly encodings: ReadonlyArray<Coding>
}

/** Default threshold: below about 1 KiB compression saves little and costs a round of CPU. */
export const DEFAULT_THRESHOLD = 1024

/** Default preference: brotli compresses JSON best, then gzip, then deflate (zlib). */
export const DEFAULT_ENCODINGS: ReadonlyArray<Coding> = ["br", "gzip", "deflate"]

const KNOWN: ReadonlySet<string> = new Set(DEFAULT_ENCODINGS)

/**
 * `compression` resolved once: undefined when off (the default), so the hot
 * path only tests one variable. `supported` keeps the codings the platform
 * can produce (the web handler has no brotli where `CompressionStream` lacks
 * it). Bad input (a negative or non-finite threshold, an unknown coding) is a
 * clear error at startup.
 */
export const resolve = (
  option: boolean | Input | undefined,
  supported: (coding: Coding) => boolean = () => true
): Compression | undefined => {
  if (option === undefined || option === false) return undefined
  const input: Input = option === true ? {} : option
  const threshold = input.threshold ?? DEFAULT_THRESHOLD
  if (!Number.isFinite(threshold) || threshold < 0) {
    throw new RangeError(`compression.threshold must be a finite number of bytes >= 0, got ${threshold}`)
  }
  const wanted = input.encodings ?? DEFAULT_ENCODINGS
  for (const coding of wanted) {
    if (!KNOWN.has(coding)) throw new RangeError(`compression.encodings: unknown coding ${JSON.stringify(coding)} (use "br", "gzip" or "deflate")`)
  }
  const encodings = [...new Set(wanted)].filter(supported)
  return encodings.length === 0 ? undefined : { threshold, encodings }
}

/**
 * Whether a complete response may be compressed: a JSON body at or above the
 * threshold that carries no coding yet. SSE streams never reach this (they
 * are written event by event and flushed each time; compressing them would
 * either buffer events or gain nothing, and proxies buffer compressed streams).
 */
export const eligible = (compression: Compression, headers: Readonly<Record<string, string>>, body: string): boolean => {
  // Cheap first: UTF-8 takes at most 3 bytes per UTF-16 unit, so a short string is below the threshold.
  if (body.length * 3 < compression.threshold) return false
  if (headers["content-encoding"] !== undefined) return false
  const type = headers["content-type"]
  if (type === undefined || !type.startsWith("application/json")) return false
  const declared = headers["content-length"]
  const size = declared === undefined ? new TextEncoder().encode(body).byteLength : Number(declared)
  return size >= compression.threshold
}

/** `Vary` with `Accept-Encoding` added (RFC 9110 §12.5.5): the choice of coding depended on it. */
export const varyWith = (vary: string | undefined): string =>
  vary === undefined || vary === "" ? "Accept-Encoding" : `${vary}, Accept-Encoding`

/** Weight of each coding named in an `Accept-Encoding` value; `*` under "*". */
type Weights = Map<string, number>

const OWS = /^[ \t]+|[ \t]+$/g

/**
 * RFC 9110 §12.4.2 `weight = OWS ";" OWS "q=" qvalue`, qvalue `0(.ddd)` or
 * `1(.000)`. Leniently read (any number in [0, 1]); a malformed one gives
 * undefined and its coding is ignored, as if not listed.
 */
const qvalue = (params: ReadonlyArray<string>): number | undefined => {
  let q = 1
  for (const param of params) {
    const eq = param.indexOf("=")
    if (eq === -1) continue
    if (param.slice(0, eq).replace(OWS, "").toLowerCase() !== "q") continue
    const text = param.slice(eq + 1).replace(OWS, "")
    if (!/^\d+(\.\d*)?$|^\.\d+$/.test(text)) return undefined
    q = Number(text)
    if (!(q >= 0 && q <= 1)) return undefined
  }
  return q
}

/**
 * Parses `Accept-Encoding` (RFC 9110 §12.5.3): `codings *( OWS "," OWS
 * codings )`, each `content-coding / "identity" / "*"` with an optional
 * weight. Names are case-insensitive; `x-gzip` is `gzip` (§8.4.1.3). A coding
 * listed twice keeps its lowest weight (the cautious reading). Never throws.
 */
export const parse = (header: string): Weights => {
  const weights: Weights = new Map()
  for (const element of header.split(",")) {
    const parts = element.split(";")
    let name = parts[0]!.replace(OWS, "").toLowerCase()
    if (name === "") continue
    if (name === "x-gzip") name = "gzip"
    const q = qvalue(parts.slice(1))
    if (q === undefined) continue
    const before = weights.get(name)
    weights.set(name, before === undefined ? q : Math.min(before, q))
  }
  return weights
}

/**
 * The coding to apply, or undefined for none (identity), given a request's
 * `Accept-Encoding` (RFC 9110 §12.5.3) and the codings offered, most
 * preferred first:
 *
 * - no header: none. Any coding would be acceptable, but a client that says
 *   nothing may not decode one, so the body goes as is.
 * - an empty value: none ("the user agent does not want any content coding").
 * - otherwise the offered coding with the highest weight above 0, a coding
 *   not listed taking the weight of `*` (0 without one); ties go to the
 *   server's preference. `q=0` excludes a coding.
 *
 * When nothing offered is acceptable the body goes uncompressed, even if
 * `identity;q=0` or `*;q=0` refused that: RFC 9110 §12.5.3 lets the server
 * send it anyway rather than fail with 415, which would break the client.
 */
export const negotiate = (header: string | undefined, offered: ReadonlyArray<Coding>): Coding | undefined => {
  if (header === undefined) return undefined
  const weights = parse(header)
  if (weights.size === 0) return undefined
  const star = weights.get("*") ?? 0
  let best: Coding | undefined
  let bestQ = 0
  for (const coding of offered) {
    const q = weights.get(coding) ?? star
    if (q > bestQ) {
      best = coding
      bestQ = q
    }
  }
  return best
}
