/**
 * The example's own token issuer, for development only: an ES256 key pair
 * minted at startup (or read from `EMCEE_AUTH_DEV_KEY_FILE`), its public half
 * published as a JSON Web Key Set (RFC 7517 §5), and tokens signed with it in
 * the RFC 9068 access-token shape (`iss`, `sub`, `aud`, `exp`, `iat`, `jti`,
 * `scope`, plus a `roles` claim).
 *
 * A real deployment has an authorization server issue tokens and gives the
 * server its JWKS URL (`Jwt.make({ issuer, audience, jwksUrl })`); nothing
 * here belongs in production: whoever holds the key file can mint any token.
 *
 * @since 0.2.0
 */
import { randomUUID } from "node:crypto"
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import * as jose from "jose"

/** The signing algorithm of the dev key (RFC 7518 §3.4, ECDSA P-256 with SHA-256). */
export const ALGORITHM = "ES256"

/** The environment variable naming the dev key file: read when it exists, written otherwise. */
export const KEY_FILE_VARIABLE = "EMCEE_AUTH_DEV_KEY_FILE"

/** The dev signing key: its id, private half (for minting) and public JWK (for the JWKS). */
export interface DevKey {
  readonly kid: string
  readonly privateKey: jose.CryptoKey
  readonly publicJwk: jose.JWK
}

/** What the key file holds: `{ kid, alg, privateJwk }` (JSON, mode 0600). */
interface KeyFile {
  readonly kid: string
  readonly alg: string
  readonly privateJwk: jose.JWK
}

const isKeyFile = (u: unknown): u is KeyFile =>
  typeof u === "object" && u !== null && typeof (u as KeyFile).kid === "string" && (u as KeyFile).alg === ALGORITHM &&
  typeof (u as KeyFile).privateJwk === "object" && (u as KeyFile).privateJwk !== null

/** The public half of a private EC JWK (drops `d`), tagged for signature verification. */
const publicOf = (privateJwk: jose.JWK, kid: string): jose.JWK => {
  const { d: _d, ...rest } = privateJwk
  return { ...rest, kid, alg: ALGORITHM, use: "sig" }
}

/**
 * The dev key: read from `file` when it exists, otherwise generated (and
 * written to `file`, readable by the owner only, when one is named). A file
 * that is not a key this example wrote is an error naming the file.
 */
export const loadOrCreateKey = async (file: string | undefined): Promise<DevKey> => {
  if (file !== undefined && existsSync(file)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"))
    } catch {
      throw new Error(`${KEY_FILE_VARIABLE}: ${file} is not JSON (delete it to mint a new key)`)
    }
    if (!isKeyFile(parsed)) throw new Error(`${KEY_FILE_VARIABLE}: ${file} is not an ${ALGORITHM} dev key of this example (delete it to mint a new key)`)
    const privateKey = await jose.importJWK(parsed.privateJwk, ALGORITHM)
    if (privateKey instanceof Uint8Array) throw new Error(`${KEY_FILE_VARIABLE}: ${file} does not hold an EC private key`)
    return { kid: parsed.kid, privateKey, publicJwk: publicOf(parsed.privateJwk, parsed.kid) }
  }
  const { privateKey } = await jose.generateKeyPair(ALGORITHM, { extractable: true })
  const privateJwk = await jose.exportJWK(privateKey)
  const kid = `dev-${randomUUID().slice(0, 8)}`
  if (file !== undefined) {
    const content: KeyFile = { kid, alg: ALGORITHM, privateJwk }
    writeFileSync(file, JSON.stringify(content), { mode: 0o600 })
    chmodSync(file, 0o600)
  }
  return { kid, privateKey, publicJwk: publicOf(privateJwk, kid) }
}

/** The JSON Web Key Set publishing the key (RFC 7517 §5). */
export const jwks = (key: DevKey): jose.JSONWebKeySet => ({ keys: [key.publicJwk] })

/** What a minted token says about its holder. */
export interface Grant {
  readonly subject: string
  readonly scopes: ReadonlyArray<string>
  readonly roles?: ReadonlyArray<string>
  /** Lifetime in seconds. Default 3600. */
  readonly ttlSeconds?: number
}

/**
 * Signs an access token for `audience` (the server's canonical resource URI,
 * spec basic/authorization "Token Audience Binding and Validation") issued
 * by `issuer` (RFC 9068 §2.2: `iss`, `exp`, `aud`, `sub`, `iat`, `jti`, and
 * `scope` as a space-separated string, §2.2.3).
 */
export const mint = (key: DevKey, issuer: string, audience: string, grant: Grant): Promise<string> => {
  const claims: jose.JWTPayload = { scope: grant.scopes.join(" ") }
  if (grant.roles !== undefined && grant.roles.length > 0) claims.roles = [...grant.roles]
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: "at+jwt" })
    .setIssuer(issuer)
    .setSubject(grant.subject)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${grant.ttlSeconds ?? 3600}s`)
    .setJti(randomUUID())
    .sign(key.privateKey)
}
