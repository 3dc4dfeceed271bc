/**
 * The authorization server's signing keys for its JWT access tokens
 * (RFC 9068), kept in the `OAuthStore` so every replica signs with, and
 * publishes, the same set, and rotated on a schedule:
 *
 * - A key signs for `rotateAfterMillis` (default 30 days). Its successor is
 *   created and published in the JWKS `publishAheadMillis` (default 1 hour)
 *   before it starts signing, so resource servers caching the JWKS already
 *   know it when the first token it signs arrives (RFC 7517 §5; the
 *   rotation pattern of OpenID Connect Core §10.1.1).
 * - A retired key stays in the JWKS for `retainAfterMillis` (default 1 day,
 *   which must exceed the longest access-token lifetime) so the tokens it
 *   signed keep verifying, then disappears.
 * - The newest active key signs. Replicas racing to create a key each add
 *   one (`putSigningKey` ignores a duplicate `kid`): both are valid, both
 *   are published, and every replica agrees which one signs.
 * - The `kid` is the key's RFC 7638 JWK thumbprint (SHA-256). The private
 *   key is stored sealed (AES-256-GCM, bound to `signing-key:<kid>`), so a
 *   leaked database hands out no signing key; a key that does not open
 *   (sealed with another encryption key, tampered with) is never used to
 *   sign, and a usable one is created instead.
 *
 * Each replica keeps the keys in memory and re-reads the store every
 * `refreshMillis` (default 60 s), and at once (at most once per
 * `unknownKidCooldownMillis`) when asked for a `kid` it does not know: a
 * key another replica just added.
 *
 * @example
 * import { Effect, Redacted } from "effect"
 * import { OAuthStore, SigningKeys } from "@emcee/auth"
 *
 * const program = Effect.gen(function*() {
 *   const ring = yield* SigningKeys.make({ alg: "ES256" }, sealer)
 *   const { kid, alg, key } = yield* ring.signer // sign with jose's SignJWT
 *   const jwks = yield* ring.jwks                // serve at /.well-known/jwks.json
 * }).pipe(Effect.provide(OAuthStore.memory))
 *
 * @since 0.3.0
 */
import type { KeyObject } from "node:crypto"
import { Clock, Duration, Effect, Option, Ref } from "effect"
import * as jose from "jose"
import type { Sealer } from "./internal/oauth/seal.js"
import { OAuthStore, type OAuthStoreError, type SigningKey } from "./OAuthStore.js"

export type {
  /** Seals and opens the private keys (`seal(plaintext, context)`, `open(sealed, context)`). */
  Sealer
} from "./internal/oauth/seal.js"

/** The JWS algorithms new keys can be made for (RFC 7518 §3.1, RFC 8037 §3.1). */
export type Algorithm = "ES256" | "RS256" | "PS256" | "EdDSA"

/** Options of `make`. */
export interface Options {
  /** The algorithm of new keys. Default `ES256`. Keys already in the store keep theirs. */
  readonly alg?: Algorithm
  /** How long a key signs. Default 30 days. */
  readonly rotateAfterMillis?: number
  /** How long before it starts signing a new key is published, so caches of the JWKS have it. Default 1 hour. */
  readonly publishAheadMillis?: number
  /** How long a retired key stays in the JWKS: must exceed the longest access-token lifetime. Default 1 day. */
  readonly retainAfterMillis?: number
  /** How often the in-memory view re-reads the store. Default 60 seconds. */
  readonly refreshMillis?: number
  /** After re-reading the store for an unknown `kid`, how long another unknown `kid` waits before it may. Default 10 seconds. */
  readonly unknownKidCooldownMillis?: number
}

/** The key to sign with now. */
export interface Signer {
  readonly kid: string
  /** Its JWS `alg`, for the token's header. */
  readonly alg: string
  /** The private key, for jose's `SignJWT.sign`. */
  readonly key: CryptoKey | KeyObject
}

/** A public JWK as published (`kid`, `alg`, `use: "sig"`, and the key's public members only). */
export type PublicJwk = jose.JWK

/** The server's signing keys on the store. */
export interface KeyRing {
  /**
   * The newest key active now. Creates one when there is none, and the
   * successor of the current one once its retirement is `publishAheadMillis`
   * away.
   */
  readonly signer: Effect.Effect<Signer, OAuthStoreError>
  /**
   * The public keys not expired: published ahead, active, and retired but
   * retained (RFC 7517 §5 JWK Set), newest first. Creates keys as `signer`
   * does, so a JWKS fetched just before a rotation already has the successor.
   */
  readonly jwks: Effect.Effect<{ readonly keys: ReadonlyArray<PublicJwk> }, OAuthStoreError>
  /**
   * The public key with this `kid`, while it is in the JWKS. An unknown
   * `kid` re-reads the store once (another replica may just have added it),
   * at most once per `unknownKidCooldownMillis`.
   */
  readonly verificationKey: (kid: string) => Effect.Effect<Option.Option<CryptoKey | KeyObject>, OAuthStoreError>
  /**
   * Adds a key active now, which signs from now on (emergency rotation,
   * e.g. when a key may have leaked). The previous keys stay published until
   * they expire; a successor already published ahead still takes over when
   * it becomes active.
   */
  readonly rotate: Effect.Effect<void, OAuthStoreError>
}

const defaults = {
  alg: "ES256",
  rotateAfterMillis: Duration.toMillis(Duration.days(30)),
  publishAheadMillis: Duration.toMillis(Duration.hours(1)),
  retainAfterMillis: Duration.toMillis(Duration.days(1)),
  refreshMillis: Duration.toMillis(Duration.seconds(60)),
  unknownKidCooldownMillis: Duration.toMillis(Duration.seconds(10))
} as const

const algorithms: ReadonlySet<string> = new Set<Algorithm>(["ES256", "RS256", "PS256", "EdDSA"])

/** The context a private key is sealed under: a sealed key copied to another `kid` does not open. */
export const sealContext = (kid: string): string => `signing-key:${kid}`

/** The public members of each key type (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2): nothing else is ever published. */
const publicMembers: Readonly<Record<string, ReadonlyArray<string>>> = {
  EC: ["crv", "x", "y"],
  RSA: ["n", "e"],
  OKP: ["crv", "x"]
}

/** The key's published form, or undefined when it is not an asymmetric public key. */
const publishable = (record: SigningKey): PublicJwk | undefined => {
  const kty = record.publicJwk["kty"]
  const members = typeof kty === "string" ? publicMembers[kty] : undefined
  if (members === undefined) return undefined
  const jwk: Record<string, string> = { kty: kty as string, kid: record.kid, alg: record.alg, use: "sig" }
  for (const member of members) {
    const value = record.publicJwk[member]
    if (typeof value !== "string") return undefined
    jwk[member] = value
  }
  return jwk
}

/** The private JWK's public members are the record's: a record whose halves do not belong together never signs. */
const matches = (privateJwk: jose.JWK, published: PublicJwk): boolean =>
  privateJwk.kty === published.kty && (publicMembers[published.kty ?? ""] ?? []).every((m) => privateJwk[m as keyof jose.JWK] === published[m as keyof jose.JWK]) &&
  typeof privateJwk.d === "string"

const isAsymmetric = (key: CryptoKey | Uint8Array): key is CryptoKey => !(key instanceof Uint8Array)

/** A key read from the store, with its public key imported (undefined when it could not be). */
interface Entry {
  readonly record: SigningKey
  readonly jwk: PublicJwk | undefined
  readonly publicKey: CryptoKey | undefined
}

interface View {
  readonly entries: ReadonlyArray<Entry>
  readonly readAt: number
}

/** Newest first: latest `activeAt`, then latest `createdAt`, then `kid` (so every replica orders a race's keys alike). */
const newestFirst = (a: Entry, b: Entry): number =>
  b.record.activeAt - a.record.activeAt || b.record.createdAt - a.record.createdAt || (a.record.kid < b.record.kid ? 1 : a.record.kid > b.record.kid ? -1 : 0)

const positive = (value: number | undefined, fallback: number, name: string): Effect.Effect<number> => {
  const v = value ?? fallback
  return Number.isFinite(v) && v > 0 ? Effect.succeed(v) : Effect.dieMessage(`SigningKeys: ${name} must be a positive number of milliseconds`)
}

/**
 * The server's signing keys on the `OAuthStore`, private keys sealed with
 * `sealer`. Dies with a clear message on invalid options.
 */
export const make = (options: Options, sealer: Sealer): Effect.Effect<KeyRing, OAuthStoreError, OAuthStore> =>
  Effect.gen(function*() {
    const store = yield* OAuthStore
    const alg = options.alg ?? defaults.alg
    if (!algorithms.has(alg)) return yield* Effect.dieMessage(`SigningKeys: alg must be one of ${[...algorithms].join(", ")}`)
    const rotateAfter = yield* positive(options.rotateAfterMillis, defaults.rotateAfterMillis, "rotateAfterMillis")
    const publishAhead = yield* positive(options.publishAheadMillis, defaults.publishAheadMillis, "publishAheadMillis")
    const retainAfter = yield* positive(options.retainAfterMillis, defaults.retainAfterMillis, "retainAfterMillis")
    const refreshEvery = yield* positive(options.refreshMillis, defaults.refreshMillis, "refreshMillis")
    const cooldown = yield* positive(options.unknownKidCooldownMillis, defaults.unknownKidCooldownMillis, "unknownKidCooldownMillis")

    /** Imported keys by `kid` (a `kid` is a thumbprint: its key never changes). `null`: unusable. */
    const publicKeys = new Map<string, CryptoKey | null>()
    const privateKeys = new Map<string, CryptoKey | null>()
    const view = yield* Ref.make<View | undefined>(undefined)
    const lastUnknownReadAt = yield* Ref.make(Number.NEGATIVE_INFINITY)
    const lock = yield* Effect.makeSemaphore(1)

    const importPublic = (record: SigningKey, jwk: PublicJwk | undefined): Effect.Effect<CryptoKey | undefined> => {
      const cached = publicKeys.get(record.kid)
      if (cached !== undefined) return Effect.succeed(cached ?? undefined)
      return Effect.tryPromise(() => (jwk === undefined ? Promise.reject(new Error("not a public key")) : jose.importJWK(jwk, record.alg))).pipe(
        Effect.flatMap((key) => (isAsymmetric(key) && key.type === "public" ? Effect.succeed(key) : Effect.fail("not a public key"))),
        Effect.catchAll(() =>
          Effect.as(Effect.logWarning("A signing key in the store is not a usable public key; it is ignored").pipe(Effect.annotateLogs({ kid: record.kid })), undefined)
        ),
        Effect.tap((key) => Effect.sync(() => publicKeys.set(record.kid, key ?? null)))
      )
    }

    /** The private key of an entry, or undefined when it does not open, parse or match its public half. */
    const importPrivate = (entry: Entry): Effect.Effect<CryptoKey | undefined> => {
      const { kid } = entry.record
      const cached = privateKeys.get(kid)
      if (cached !== undefined) return Effect.succeed(cached ?? undefined)
      return Effect.tryPromise(async () => {
        const opened = sealer.open(entry.record.sealedPrivateJwk, sealContext(kid))
        if (opened === undefined) throw new Error("does not open")
        const jwk = JSON.parse(opened) as jose.JWK
        if (entry.jwk === undefined || typeof jwk !== "object" || jwk === null || !matches(jwk, entry.jwk)) throw new Error("mismatch")
        const key = await jose.importJWK(jwk, entry.record.alg)
        if (!isAsymmetric(key) || key.type !== "private") throw new Error("not a private key")
        return key
      }).pipe(
        Effect.catchAll(() =>
          Effect.as(
            Effect.logWarning("A signing key's private key does not open with this server's encryption keys; it is not used to sign").pipe(
              Effect.annotateLogs({ kid })
            ),
            undefined
          )
        ),
        Effect.tap((key) => Effect.sync(() => privateKeys.set(kid, key ?? null)))
      )
    }

    const read = (now: number): Effect.Effect<View, OAuthStoreError> =>
      Effect.gen(function*() {
        const records = yield* store.listSigningKeys
        const entries = yield* Effect.forEach(records, (record) => {
          const jwk = algorithms.has(record.alg) ? publishable(record) : undefined
          return Effect.map(importPublic(record, jwk), (publicKey): Entry => ({ record, jwk, publicKey }))
        })
        const fresh: View = { entries: [...entries].sort(newestFirst), readAt: now }
        yield* Ref.set(view, fresh)
        return fresh
      })

    const current = (now: number): Effect.Effect<View, OAuthStoreError> =>
      Effect.flatMap(Ref.get(view), (v) => (v !== undefined && now - v.readAt < refreshEvery && now >= v.readAt ? Effect.succeed(v) : read(now)))

    const live = (entry: Entry, now: number) => entry.publicKey !== undefined && now < entry.record.expiresAt

    /** The newest key active at `now` whose private key opens. */
    const pick = (v: View, now: number): Effect.Effect<Option.Option<{ readonly entry: Entry; readonly key: CryptoKey }>> =>
      Effect.gen(function*() {
        for (const entry of v.entries) {
          if (!(live(entry, now) && entry.record.activeAt <= now && now < entry.record.retiresAt)) continue
          const key = yield* importPrivate(entry)
          if (key !== undefined) return Option.some({ entry, key })
        }
        return Option.none()
      })

    /** Whether `signer` is within `publishAhead` of retiring with no newer key published to take over. */
    const successorDue = (v: View, signer: Entry, now: number): boolean =>
      now >= signer.record.retiresAt - publishAhead &&
      !v.entries.some((e) => live(e, now) && e.record.activeAt > signer.record.activeAt)

    const create = (now: number, activeAt: number): Effect.Effect<void, OAuthStoreError> =>
      Effect.gen(function*() {
        const generated = yield* Effect.orDie(Effect.tryPromise(async () => {
          const pair = await jose.generateKeyPair(alg, { extractable: true })
          const publicJwk = await jose.exportJWK(pair.publicKey)
          const privateJwk = await jose.exportJWK(pair.privateKey)
          // RFC 7638 §3: the thumbprint of the required public members.
          const kid = await jose.calculateJwkThumbprint(publicJwk, "sha256")
          return { kid, publicJwk, privateJwk }
        }))
        const { kid, publicJwk, privateJwk } = generated
        // A key created in the millisecond of the newest one still sorts after it (`createdAt` breaks the tie).
        const latest = (yield* Ref.get(view))?.entries.reduce((max, e) => Math.max(max, e.record.createdAt), Number.NEGATIVE_INFINITY)
        const createdAt = latest !== undefined && latest >= now && activeAt === now ? latest + 1 : now
        const retiresAt = activeAt + rotateAfter
        const record: SigningKey = {
          kid,
          alg,
          publicJwk: { ...publicJwk, kid, alg, use: "sig" },
          sealedPrivateJwk: sealer.seal(JSON.stringify({ ...privateJwk, kid, alg }), sealContext(kid)),
          createdAt,
          activeAt,
          retiresAt,
          expiresAt: retiresAt + retainAfter
        }
        yield* store.putSigningKey(record)
        yield* Effect.logInfo("Signing key created").pipe(Effect.annotateLogs({ kid, alg, activeAt: new Date(activeAt).toISOString() }))
      })

    /** The signer at `now`, creating it (and its successor, when due) as needed, once per replica at a time. */
    const ensure: Effect.Effect<{ readonly entry: Entry; readonly key: CryptoKey }, OAuthStoreError> = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const v = yield* current(now)
      const found = yield* pick(v, now)
      if (Option.isSome(found) && !successorDue(v, found.value.entry, now)) return found.value
      return yield* lock.withPermits(1)(Effect.gen(function*() {
        // Again with the store's latest state: another fiber or replica may have done it meanwhile.
        const at = yield* Clock.currentTimeMillis
        let fresh = yield* read(at)
        let signer = yield* pick(fresh, at)
        if (Option.isNone(signer)) {
          yield* create(at, at)
          fresh = yield* read(at)
          signer = yield* pick(fresh, at)
          if (Option.isNone(signer)) return yield* Effect.dieMessage("SigningKeys: a key just created cannot be used to sign")
        }
        if (successorDue(fresh, signer.value.entry, at)) {
          yield* create(at, signer.value.entry.record.retiresAt)
          yield* read(at)
        }
        return signer.value
      }))
    })

    const signer: Effect.Effect<Signer, OAuthStoreError> = Effect.map(ensure, ({ entry, key }) => ({ kid: entry.record.kid, alg: entry.record.alg, key }))

    const jwks: KeyRing["jwks"] = Effect.gen(function*() {
      yield* ensure
      const now = yield* Clock.currentTimeMillis
      const v = yield* current(now)
      return { keys: v.entries.flatMap((e) => (live(e, now) && e.jwk !== undefined ? [e.jwk] : [])) }
    })

    const verificationKey = (kid: string): Effect.Effect<Option.Option<CryptoKey | KeyObject>, OAuthStoreError> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const lookup = (v: View) => Option.fromNullable(v.entries.find((e) => e.record.kid === kid && live(e, now))?.publicKey)
        const found = lookup(yield* current(now))
        if (Option.isSome(found)) return found
        // An unknown kid: maybe another replica rotated. Re-read, at most once per cooldown (forged kids cannot hammer the store).
        const mayRead = yield* Ref.modify(lastUnknownReadAt, (last) => (now - last >= cooldown || now < last ? [true, now] : [false, last]))
        return mayRead ? lookup(yield* read(now)) : Option.none()
      })

    const rotate: Effect.Effect<void, OAuthStoreError> = lock.withPermits(1)(
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* read(now)
        yield* create(now, now)
        yield* read(now)
      })
    )

    const ring: KeyRing = { signer, jwks, verificationKey, rotate }
    return ring
  })
