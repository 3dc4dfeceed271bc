/**
 * Encryption at rest for the authorization server's secrets (upstream
 * tokens, private signing keys): AES-256-GCM with a 96-bit random IV
 * (NIST SP 800-38D §8.2.2), the key derived from each configured secret with
 * HKDF-SHA-256 (RFC 5869), and a caller-chosen `context` bound as additional
 * authenticated data, so a ciphertext copied to another row or purpose does
 * not open.
 *
 * Sealed form: `v1.<keyId>.<iv>.<ciphertext+tag>`, each part base64url;
 * `keyId` is a short hash of the derived key, so the right key is picked
 * among several. The first key seals; every key opens (rotation: put the new
 * secret first, keep the old one until everything was re-sealed).
 *
 * @internal
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto"
import { Config, ConfigError, Either, Redacted } from "effect"

/** Seals and opens strings bound to a context. */
export interface Sealer {
  /** Encrypts `plaintext`, bound to `context`. */
  readonly seal: (plaintext: string, context: string) => string
  /** Decrypts what `seal` made with the same `context` and a known key; undefined for anything else (never throws). */
  readonly open: (sealed: string, context: string) => string | undefined
}

/** The shortest secret accepted, in characters. */
export const minimumSecretLength = 32

const VERSION = "v1"
const IV_BYTES = 12
const TAG_BYTES = 16
const SALT = Buffer.from("emcee/oauth/seal", "utf8")
const INFO = Buffer.from("aes-256-gcm key v1", "utf8")

interface DerivedKey {
  readonly id: string
  readonly key: Buffer
}

const derive = (secret: string): DerivedKey => {
  if (secret.length < minimumSecretLength) {
    throw new TypeError(
      `Sealer: an encryption key must be at least ${minimumSecretLength} characters long (generate one with \`openssl rand -base64 48\`)`
    )
  }
  const key = Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), SALT, INFO, 32))
  // A short, non-secret name of the key: 8 bytes of a hash of the derived key.
  const id = createHash("sha256").update("emcee/oauth/seal key id\u0000").update(key).digest().subarray(0, 8).toString("base64url")
  return { id, key }
}

/**
 * A sealer over one secret or several (the first seals, all open). Throws a
 * `TypeError` when there is no secret or one is shorter than 32 characters.
 */
export const makeSealer = (keys: Redacted.Redacted<string> | ReadonlyArray<Redacted.Redacted<string>>): Sealer => {
  const secrets: ReadonlyArray<Redacted.Redacted<string>> = Redacted.isRedacted(keys) ? [keys] : keys
  if (secrets.length === 0) throw new TypeError("Sealer: no encryption key given")
  const derived = secrets.map((secret) => derive(Redacted.value(secret)))
  const current = derived[0]!
  const byId = new Map<string, Buffer>()
  for (const { id, key } of derived) if (!byId.has(id)) byId.set(id, key)

  const seal = (plaintext: string, context: string): string => {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv("aes-256-gcm", current.key, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(context, "utf8"))
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}.${current.id}.${iv.toString("base64url")}.${body.toString("base64url")}`
  }

  const open = (sealed: string, context: string): string | undefined => {
    if (typeof sealed !== "string") return undefined
    const parts = sealed.split(".")
    if (parts.length !== 4 || parts[0] !== VERSION) return undefined
    const key = byId.get(parts[1]!)
    if (key === undefined) return undefined
    const iv = Buffer.from(parts[2]!, "base64url")
    const body = Buffer.from(parts[3]!, "base64url")
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return undefined
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(context, "utf8"))
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8")
    } catch {
      return undefined
    }
  }

  return { seal, open }
}

/**
 * A sealer from configuration: a Redacted secret, several separated by
 * commas for rotation (the first seals). Fails with a `ConfigError` when it
 * is missing or a secret is shorter than 32 characters; the error never
 * contains the secret.
 */
export const sealerConfig = (name = "OAUTH_ENCRYPTION_KEY"): Config.Config<Sealer> =>
  Config.redacted(name).pipe(
    Config.mapOrFail((value) => {
      const keys = Redacted.value(value).split(",").map((s) => s.trim()).filter((s) => s.length > 0)
      if (keys.length === 0) return Either.left(ConfigError.InvalidData([name], "no encryption key given"))
      if (keys.some((k) => k.length < minimumSecretLength)) {
        return Either.left(ConfigError.InvalidData([name], `each encryption key must be at least ${minimumSecretLength} characters long`))
      }
      return Either.right(makeSealer(keys.map((k) => Redacted.make(k))))
    })
  )
