/**
 * JWT bearer tokens: verifies `Authorization: Bearer <jwt>` access tokens
 * (RFC 6750 §2.1, RFC 9068) with jose, against a shared secret, a public
 * key, a JWKS, or a JWKS URL (fetched, cached, refetched on an unknown `kid`
 * at most once per cooldown so key rotation is picked up without letting
 * forged `kid`s hammer the issuer).
 *
 * Checks (spec 2025-11-25 basic/authorization "Token Handling" and "Access
 * Token Privilege Restriction": servers MUST validate that tokens were
 * issued for them): the signature with an allow-list of algorithms (`none`
 * is never accepted, and the default list follows the key's type, so an
 * HS256 token cannot be verified with an RSA public key), `iss`, `aud`
 * (matched exactly as configured), `exp`, `nbf` and `iat` with a clock
 * tolerance, an optional maximum token age and required claims.
 *
 * @example
 * import { Authentication, Jwt } from "@emcee/auth"
 *
 * const jwt = Jwt.make({
 *   issuer: "https://auth.example.com/",
 *   audience: "https://mcp.example.com/mcp",
 *   jwksUrl: "https://auth.example.com/.well-known/jwks.json",
 *   claims: { tenant: "org_id", roles: "realm_access.roles" }
 * })
 * const AuthLive = Authentication.layer([jwt])
 *
 * @since 0.2.0
 */
import { createPublicKey, KeyObject } from "node:crypto"
import { Clock, Config, ConfigError, Effect, Either, Option, Redacted } from "effect"
import * as jose from "jose"
import { type Authenticator, AuthenticationError, bearerToken } from "./Authenticator.js"
import type { Identity } from "./Principal.js"
import { type ClaimMapping, type ClaimPath, type MappedClaims, strings, toIdentity } from "./internal/claims.js"

export type { ClaimMapping, ClaimPath, MappedClaims }

/** A JWS algorithm this module verifies (RFC 7518 §3.1, RFC 8037 §3.1). `none` is not one. */
export type Algorithm =
  | "HS256" | "HS384" | "HS512"
  | "RS256" | "RS384" | "RS512"
  | "PS256" | "PS384" | "PS512"
  | "ES256" | "ES384" | "ES512"
  | "EdDSA" | "Ed25519"

const hmac: ReadonlyArray<Algorithm> = ["HS256", "HS384", "HS512"]
const rsa: ReadonlyArray<Algorithm> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
const pss: ReadonlyArray<Algorithm> = ["PS256", "PS384", "PS512"]
const eddsa: ReadonlyArray<Algorithm> = ["EdDSA", "Ed25519"]
const ecByCurve: Readonly<Record<string, Algorithm>> = {
  "P-256": "ES256", prime256v1: "ES256",
  "P-384": "ES384", secp384r1: "ES384",
  "P-521": "ES512", secp521r1: "ES512"
}
/** Every asymmetric algorithm: the default for a JWKS URL, whose keys are not known in advance. */
const asymmetric: ReadonlyArray<Algorithm> = [...rsa, "ES256", "ES384", "ES512", ...eddsa]
const all: ReadonlySet<string> = new Set([...hmac, ...asymmetric])

/** A public key: PEM (SPKI, or a certificate), a JWK, a Node `KeyObject` or a WebCrypto `CryptoKey`. */
export type PublicKey = string | jose.JWK | KeyObject | CryptoKey

/** Options of `make`. Exactly one of `secret`, `publicKey`, `jwks`, `jwksUrl` and `keys` gives the keys. */
export interface Options {
  /** Names the authenticator (default `jwt`). */
  readonly name?: string
  /**
   * The trusted issuer(s), compared exactly with `iss`. Required: pass
   * `false` to accept any issuer (only when the key is the issuer's alone).
   */
  readonly issuer: string | ReadonlyArray<string> | false
  /**
   * This server's identifier(s) as the authorization server writes them in
   * `aud` (spec basic/authorization "Token Handling": the canonical URI of
   * the MCP server). Compared exactly, without normalising trailing slashes.
   */
  readonly audience: string | ReadonlyArray<string>
  /** The accepted algorithms. Default: those of the key's type (HMAC for a secret, RSA and RSA-PSS for an RSA key, ECDSA by curve, EdDSA). */
  readonly algorithms?: ReadonlyArray<Algorithm>
  /** A shared secret for HS256/384/512, at least 32 bytes (RFC 7518 §3.2). */
  readonly secret?: Redacted.Redacted<string> | string | Uint8Array
  /** A public key. */
  readonly publicKey?: PublicKey
  /** A JSON Web Key Set (RFC 7517 §5); the token's `kid` and `alg` pick the key. */
  readonly jwks?: jose.JSONWebKeySet
  /** The URL of a JSON Web Key Set, fetched when needed and cached. */
  readonly jwksUrl?: string | URL
  /**
   * A function picking the key of a token by its header (jose's
   * `JWTVerifyGetKey`), for a key set held in this process, e.g. the
   * rotating keys of an embedded `AuthorizationServer`. Asymmetric
   * algorithms only. A rejection with jose's `JWKSNoMatchingKey` refuses
   * the token; any other rejection means the keys are unavailable.
   */
  readonly keys?: jose.JWTVerifyGetKey
  /** After a fetch, how long an unknown `kid` waits before it may trigger another, in seconds. Default 30. */
  readonly jwksCooldownSeconds?: number
  /** How long fetched keys are used before they are fetched again, in seconds. Default 600. */
  readonly jwksCacheMaxAgeSeconds?: number
  /** Timeout of a JWKS fetch, in milliseconds. Default 5000. */
  readonly jwksTimeoutMillis?: number
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. Default 30. */
  readonly clockToleranceSeconds?: number
  /** Refuse tokens issued (`iat`) longer ago than this, in seconds. Default: no limit. */
  readonly maxTokenAgeSeconds?: number
  /** Whether `exp` must be present (RFC 9068 §2.2: it is REQUIRED in access tokens). Default true. */
  readonly requireExpiration?: boolean
  /** Claims that must be present. */
  readonly requiredClaims?: ReadonlyArray<string>
  /** The required `typ` header, e.g. `at+jwt` (RFC 9068 §2.1). Default: not checked. */
  readonly typ?: string
  /** How claims become the identity. Default: subject `sub`, scopes `scope`/`scp`/`permissions`. */
  readonly claims?: ClaimMapping
}

type Key = Uint8Array | KeyObject | jose.JWTVerifyGetKey

/** The JWKS endpoint could not be used: not the token's fault. */
class Unavailable extends Error {}

const fail = (message: string): never => {
  throw new TypeError(`Jwt: ${message}`)
}

const algorithmsOfKeyObject = (key: KeyObject): ReadonlyArray<Algorithm> => {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return rsa
    case "rsa-pss":
      return pss
    case "ec": {
      const alg = ecByCurve[key.asymmetricKeyDetails?.namedCurve ?? ""]
      return alg === undefined ? fail("the EC public key's curve is not supported") : [alg]
    }
    case "ed25519":
      return eddsa
    default:
      return fail(`a ${key.asymmetricKeyType ?? key.type} key is not a supported public key`)
  }
}

const algorithmsOfJwk = (jwk: jose.JWK): ReadonlyArray<Algorithm> => {
  if (typeof jwk.alg === "string") return all.has(jwk.alg) && !jwk.alg.startsWith("HS") ? [jwk.alg as Algorithm] : []
  switch (jwk.kty) {
    case "RSA":
      return rsa
    case "EC": {
      const alg = ecByCurve[jwk.crv ?? ""]
      return alg === undefined ? [] : [alg]
    }
    case "OKP":
      return jwk.crv === "Ed25519" ? eddsa : []
    default:
      // Symmetric ("oct") keys never verify tokens from a key set: they would let anyone who reads it sign.
      return []
  }
}

const toKeyObject = (key: PublicKey): KeyObject => {
  try {
    if (key instanceof KeyObject) return key.type === "secret" ? fail("publicKey is a secret key; use `secret`") : key
    if (typeof key === "string") return createPublicKey(key)
    if (typeof (key as CryptoKey).algorithm === "object" && typeof (key as CryptoKey).type === "string") {
      return KeyObject.from(key as CryptoKey)
    }
    return createPublicKey({ key: key as jose.JWK & { kty: string }, format: "jwk" })
  } catch (cause) {
    if (cause instanceof TypeError && cause.message.startsWith("Jwt:")) throw cause
    return fail("publicKey is not a valid PEM public key, JWK, KeyObject or CryptoKey")
  }
}

const secretBytes = (secret: Redacted.Redacted<string> | string | Uint8Array): Uint8Array =>
  secret instanceof Uint8Array ? secret : new TextEncoder().encode(Redacted.isRedacted(secret) ? Redacted.value(secret) : secret)

const nonEmpty = (value: string | ReadonlyArray<string>, what: string): Array<string> => {
  const values = typeof value === "string" ? [value] : [...value]
  if (values.length === 0 || values.some((v) => typeof v !== "string" || v.length === 0)) fail(`${what} must be a non-empty string or list`)
  return values
}

const seconds = (value: number | undefined, fallback: number, what: string): number => {
  if (value === undefined) return fallback
  return Number.isFinite(value) && value >= 0 ? value : fail(`${what} must be a non-negative number`)
}

interface Resolved {
  readonly key: Key
  readonly algorithms: ReadonlyArray<Algorithm>
}

const resolveKey = (options: Options): Resolved => {
  const given = (["secret", "publicKey", "jwks", "jwksUrl", "keys"] as const).filter((k) => options[k] !== undefined)
  if (given.length !== 1) fail(`give exactly one of secret, publicKey, jwks, jwksUrl and keys (got ${given.length === 0 ? "none" : given.join(", ")})`)
  if (options.secret !== undefined) {
    const bytes = secretBytes(options.secret)
    // RFC 7518 §3.2: "A key of the same size as the hash output ... or larger MUST be used".
    if (bytes.length < 32) fail("the secret must be at least 32 bytes (RFC 7518 §3.2)")
    return { key: bytes, algorithms: hmac.filter((a) => bytes.length * 8 >= Number(a.slice(2))) }
  }
  if (options.publicKey !== undefined) {
    const key = toKeyObject(options.publicKey)
    const jwkAlg = typeof options.publicKey === "object" && "kty" in options.publicKey ? options.publicKey.alg : undefined
    const algorithms = algorithmsOfKeyObject(key)
    return { key, algorithms: jwkAlg === undefined ? algorithms : algorithms.filter((a) => a === jwkAlg) }
  }
  if (options.jwks !== undefined) {
    let getKey: jose.JWTVerifyGetKey
    try {
      getKey = jose.createLocalJWKSet(options.jwks)
    } catch {
      return fail("jwks is not a JSON Web Key Set")
    }
    return { key: getKey, algorithms: [...new Set(options.jwks.keys.flatMap(algorithmsOfJwk))] }
  }
  if (options.keys !== undefined) return { key: guardedKeys(options.keys), algorithms: asymmetric }
  let url: URL
  try {
    url = new URL(options.jwksUrl!)
  } catch {
    return fail("jwksUrl is not a URL")
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail("jwksUrl must be an http(s) URL")
  const remote = jose.createRemoteJWKSet(url, {
    cooldownDuration: seconds(options.jwksCooldownSeconds, 30, "jwksCooldownSeconds") * 1000,
    cacheMaxAge: seconds(options.jwksCacheMaxAgeSeconds, 600, "jwksCacheMaxAgeSeconds") * 1000,
    timeoutDuration: Math.round(seconds(options.jwksTimeoutMillis, 5000, "jwksTimeoutMillis"))
  })
  return { key: guardedKeys(remote), algorithms: asymmetric }
}

/** `getKey`, with every failure that is not the token's fault (network, non-200, not a key set, timeout) made `Unavailable`. */
const guardedKeys = (getKey: jose.JWTVerifyGetKey): jose.JWTVerifyGetKey => async (header, token) => {
  try {
    return await getKey(header, token)
  } catch (error) {
    // The token names a key the set lacks (or several): the token's fault.
    if (
      error instanceof jose.errors.JWKSNoMatchingKey || error instanceof jose.errors.JWKSMultipleMatchingKeys ||
      error instanceof jose.errors.JOSENotSupported
    ) throw error
    throw new Unavailable("JWKS unavailable", { cause: error })
  }
}

const invalid = (description: string) => new AuthenticationError({ reason: "invalid", description })

const claimDescriptions: Readonly<Record<string, string>> = {
  aud: "The token's audience is not this server",
  iss: "The token's issuer is not trusted",
  nbf: "The token is not valid yet",
  iat: "The token's issue time is invalid",
  typ: "The token's type is not accepted",
  sub: "The token's subject is invalid"
}

/** A safe description of why jose refused a token (jose's messages may quote the token's claims). */
const classify = (error: unknown): AuthenticationError => {
  if (error instanceof Unavailable) {
    return new AuthenticationError({ reason: "unavailable", description: "The token's signing keys could not be fetched" })
  }
  if (error instanceof jose.errors.JWTExpired) {
    return new AuthenticationError({
      reason: "expired",
      description: error.claim === "iat" ? "The token is older than this server accepts" : "The token has expired"
    })
  }
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    if (error.reason === "missing") return invalid(`The token lacks the "${error.claim}" claim`)
    return invalid(claimDescriptions[error.claim] ?? `The token's "${error.claim}" claim is invalid`)
  }
  if (error instanceof jose.errors.JOSEAlgNotAllowed) return invalid("The token's signing algorithm is not accepted")
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) return invalid("The token's signature is invalid")
  if (error instanceof jose.errors.JWKSNoMatchingKey) return invalid("The token's signing key is not known")
  if (error instanceof jose.errors.JWKSMultipleMatchingKeys) return invalid("The token's signing key is ambiguous")
  if (error instanceof jose.errors.JWSInvalid || error instanceof jose.errors.JWTInvalid) return invalid("The token is malformed")
  return invalid("The token could not be verified")
}

/**
 * A JWT bearer-token authenticator. Throws a `TypeError` naming the problem
 * when the options are inconsistent (no key or several, an algorithm the key
 * cannot verify, a short secret, no issuer).
 */
export const make = (options: Options): Authenticator => {
  if (options.issuer === undefined) fail("issuer is required (pass false to accept any issuer)")
  const issuer = options.issuer === false ? undefined : nonEmpty(options.issuer, "issuer")
  if (options.audience === undefined) fail("audience is required (spec basic/authorization \"Token Handling\")")
  const audience = nonEmpty(options.audience, "audience")
  const { algorithms: keyAlgorithms, key } = resolveKey(options)
  let algorithms = keyAlgorithms
  if (options.algorithms !== undefined) {
    for (const alg of options.algorithms) {
      if (!all.has(alg)) fail(`"${String(alg)}" is not an accepted algorithm`)
      const symmetric = alg.startsWith("HS")
      if (symmetric !== (options.secret !== undefined)) {
        fail(`${alg} cannot be verified with ${options.secret !== undefined ? "a shared secret" : "a public key"}`)
      }
    }
    algorithms = options.algorithms
  }
  if (algorithms.length === 0) fail("no algorithm can verify tokens with this key")
  const tolerance = seconds(options.clockToleranceSeconds, 30, "clockToleranceSeconds")
  const maxTokenAge = options.maxTokenAgeSeconds === undefined ? undefined : seconds(options.maxTokenAgeSeconds, 0, "maxTokenAgeSeconds")
  const requiredClaims = [...new Set([...(options.requireExpiration === false ? [] : ["exp"]), ...(options.requiredClaims ?? [])])]
  const mapping = options.claims ?? {}

  const verify = (token: string): Effect.Effect<Identity, AuthenticationError> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.tryPromise({
        try: () =>
          jose.jwtVerify(token, key, {
            algorithms: [...algorithms],
            ...(issuer === undefined ? {} : { issuer }),
            audience,
            clockTolerance: tolerance,
            ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
            requiredClaims,
            ...(options.typ === undefined ? {} : { typ: options.typ }),
            currentDate: new Date(now)
          }),
        catch: classify
      }).pipe(
        Effect.flatMap(({ payload }) => {
          // jose checks `iat` only with maxTokenAge; a token issued in the future is refused regardless.
          if (payload.iat !== undefined && payload.iat * 1000 > now + tolerance * 1000) {
            return Effect.fail(invalid(claimDescriptions["iat"]!))
          }
          const identity = identityOf(payload)
          return typeof identity === "string" ? Effect.fail(invalid(identity)) : Effect.succeed(identity)
        })
      ))

  const identityOf = (payload: jose.JWTPayload) =>
    toIdentity(payload as Readonly<Record<string, unknown>>, mapping, { kind: "jwt", subject: ["sub"] })

  return {
    name: options.name ?? "jwt",
    kind: "jwt",
    credential: bearerToken,
    verify
  }
}

const list = (value: string): Array<string> => value.split(/[\s,]+/).filter((s) => s.length > 0)

/**
 * A JWT authenticator configured from `Config`, under `prefix` (default
 * `JWT`; with the environment provider: `JWT_ISSUER`…):
 *
 * - `ISSUER` (required unless `options.issuer` is given), `AUDIENCE`
 *   (required; several separated by commas or spaces);
 * - one of `JWKS_URL`, `SECRET`, `PUBLIC_KEY` (PEM or JWK JSON), `JWKS` (JSON);
 * - optional `ALGORITHMS`, `CLOCK_TOLERANCE_SECONDS`, `MAX_TOKEN_AGE_SECONDS`,
 *   `JWKS_COOLDOWN_SECONDS`, `SUBJECT_CLAIM`, `TENANT_CLAIM`, `ROLES_CLAIM`,
 *   `SCOPES_CLAIM`.
 *
 * `options` override what the configuration says (for a custom claim `map`).
 */
export const config = (prefix = "JWT", options: Partial<Options> = {}): Config.Config<Authenticator> => {
  const opt = <A>(c: Config.Config<A>) => Config.option(c)
  return Config.nested(
    Config.all({
      issuer: opt(Config.string("ISSUER")),
      audience: opt(Config.string("AUDIENCE")),
      jwksUrl: opt(Config.string("JWKS_URL")),
      secret: opt(Config.redacted("SECRET")),
      publicKey: opt(Config.string("PUBLIC_KEY")),
      jwks: opt(Config.string("JWKS")),
      algorithms: opt(Config.string("ALGORITHMS")),
      clockToleranceSeconds: opt(Config.number("CLOCK_TOLERANCE_SECONDS")),
      maxTokenAgeSeconds: opt(Config.number("MAX_TOKEN_AGE_SECONDS")),
      jwksCooldownSeconds: opt(Config.number("JWKS_COOLDOWN_SECONDS")),
      subject: opt(Config.string("SUBJECT_CLAIM")),
      tenant: opt(Config.string("TENANT_CLAIM")),
      roles: opt(Config.string("ROLES_CLAIM")),
      scopes: opt(Config.string("SCOPES_CLAIM"))
    }),
    prefix
  ).pipe(Config.mapOrFail((raw) => {
    const path = prefix.length === 0 ? [] : [prefix]
    const parseJson = (name: string, text: string) =>
      Either.try({ try: () => JSON.parse(text) as unknown, catch: () => ConfigError.InvalidData([...path, name], `${name} is not valid JSON`) })
    const publicKey = Option.getOrUndefined(raw.publicKey)
    const parsedKey = publicKey === undefined || !publicKey.trim().startsWith("{") ? Either.right(publicKey) : parseJson("PUBLIC_KEY", publicKey)
    const parsedJwks = Option.match(raw.jwks, { onNone: () => Either.right(undefined), onSome: (text) => parseJson("JWKS", text) })
    if (Either.isLeft(parsedKey)) return Either.left(parsedKey.left)
    if (Either.isLeft(parsedJwks)) return Either.left(parsedJwks.left)
    const claimOptions: ClaimMapping = {
      ...Option.match(raw.subject, { onNone: () => ({}), onSome: (s) => ({ subject: list(s) }) }),
      ...Option.match(raw.tenant, { onNone: () => ({}), onSome: (s) => ({ tenant: list(s) }) }),
      ...Option.match(raw.roles, { onNone: () => ({}), onSome: (s) => ({ roles: list(s) }) }),
      ...Option.match(raw.scopes, { onNone: () => ({}), onSome: (s) => ({ scopes: list(s) }) })
    }
    const fromConfig: Record<string, unknown> = {
      issuer: Option.getOrUndefined(raw.issuer),
      audience: Option.getOrUndefined(Option.map(raw.audience, list)),
      jwksUrl: Option.getOrUndefined(raw.jwksUrl),
      secret: Option.getOrUndefined(raw.secret),
      publicKey: parsedKey.right,
      jwks: parsedJwks.right,
      algorithms: Option.getOrUndefined(Option.map(raw.algorithms, list)),
      clockToleranceSeconds: Option.getOrUndefined(raw.clockToleranceSeconds),
      maxTokenAgeSeconds: Option.getOrUndefined(raw.maxTokenAgeSeconds),
      jwksCooldownSeconds: Option.getOrUndefined(raw.jwksCooldownSeconds),
      claims: Object.keys(claimOptions).length === 0 ? undefined : claimOptions
    }
    const merged = Object.fromEntries(Object.entries({ ...fromConfig, ...options }).filter(([, v]) => v !== undefined)) as unknown as Options
    return Either.try({
      try: (): Authenticator => make(merged),
      catch: (error) => ConfigError.InvalidData(path, error instanceof Error ? error.message : String(error))
    })
  }))
}

/** The scopes of a space-separated `scope` string or a `scp` array, for custom claim maps. */
export const scopesOf = (value: unknown): ReadonlyArray<string> => strings(value)
