/**
 * API keys: a static secret in the `X-API-Key` header (or, optionally, an
 * `Authorization: Bearer` token), verified against a store of digests.
 *
 * Keys are never stored: a store holds the SHA-256 digest of each key
 * (`sha256:<hex>`, see `hash`). A fast hash is right here, unlike for
 * passwords: keys made by `generate` carry 256 bits of randomness, so no
 * dictionary or brute force can invert the digest, and a slow hash would only
 * make every request slower. A key is looked up by its digest (so the time a
 * lookup takes says nothing about how much of a guessed key is right), and
 * the entry found is confirmed with `crypto.timingSafeEqual` on the digests.
 *
 * A principal may hold several keys (each entry has its own `id`), which is
 * how keys rotate: add the new key, move clients over, revoke the old one.
 * Entries may expire.
 *
 * Stores: `memory`, `fromConfig` (an environment variable or other `Config`),
 * `fromFile` (YAML or JSON), and any `ApiKeyStore` (a database: only `find`
 * is needed).
 *
 * @example
 * import { Effect, Layer } from "effect"
 * import { Authentication, ApiKeys } from "@emcee/auth"
 *
 * // keys.yaml:
 * //   keys:
 * //     - id: ci-2025
 * //       digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 * //       subject: ci-bot
 * //       scopes: [tools:call]
 * //       expiresAt: 2026-06-30T00:00:00Z
 * const AuthLive = ApiKeys.fromFile("keys.yaml").pipe(
 *   Effect.map((store) => Authentication.layer([ApiKeys.make({ store })])),
 *   Layer.unwrapEffect
 * )
 *
 * @since 0.2.0
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { readFile } from "node:fs/promises"
import { Clock, Config, ConfigError, Context, Effect, Either, Option, ParseResult, Redacted, Schema } from "effect"
import * as Yaml from "yaml"
import { type Authenticator, AuthenticationError, bearerToken, type Credentials } from "./Authenticator.js"
import type { Identity } from "./Principal.js"

/** One key of a principal, as a store holds it: its digest, never the key. */
export interface Entry {
  /** Names the key (in audit logs, to revoke it); not secret. */
  readonly id: string
  /** `sha256:<64 lower-case hex digits>`, see `hash`. */
  readonly digest: string
  /** The principal the key belongs to. */
  readonly subject: string
  readonly tenant?: string | undefined
  readonly roles: ReadonlyArray<string>
  readonly scopes: ReadonlyArray<string>
  /** When the key stops being accepted, in epoch milliseconds; undefined: never. */
  readonly expiresAt?: number | undefined
  /** A note for people ("CI pipeline", "Alice's laptop"). */
  readonly label?: string | undefined
}

/** A store could not answer (a database down): the key is not refused, verification is `unavailable`. */
export class ApiKeyStoreError extends Schema.TaggedError<ApiKeyStoreError>()("ApiKeyStoreError", {
  message: Schema.String
}) {}

/**
 * Where keys are kept. `find` is all verification needs; `list`, `put` and
 * `revoke` are for administration and may be absent.
 */
export interface ApiKeyStore {
  /** The entry whose digest is `digest` (`sha256:<hex>`), if any. */
  readonly find: (digest: string) => Effect.Effect<Option.Option<Entry>, ApiKeyStoreError>
  /** The entries, of one subject when given. */
  readonly list?: (subject?: string) => Effect.Effect<ReadonlyArray<Entry>, ApiKeyStoreError>
  /** Adds an entry, or replaces the one with the same `id`. */
  readonly put?: (entry: Entry) => Effect.Effect<void, ApiKeyStoreError>
  /** Removes the entry with this `id`; false when there was none. */
  readonly revoke?: (id: string) => Effect.Effect<boolean, ApiKeyStoreError>
}

/** Service tag of an `ApiKeyStore`, for stores built from Layers (a database). */
export class Store extends Context.Tag("@emcee/auth/ApiKeys/Store")<Store, ApiKeyStore>() {}

const digestPattern = /^sha256:[0-9a-f]{64}$/

/** The digest a store keeps for `key`: `sha256:` and the SHA-256 of its UTF-8 bytes in hex. */
export const hash = (key: string | Redacted.Redacted<string>): string =>
  `sha256:${createHash("sha256").update(Redacted.isRedacted(key) ? Redacted.value(key) : key, "utf8").digest("hex")}`

/** A new random key: `prefix` and 32 random bytes in base64url (256 bits of entropy). */
export const generate = (prefix = "emk_"): string => `${prefix}${randomBytes(32).toString("base64url")}`

/** True when `digest` is a well-formed digest (`sha256:` and 64 lower-case hex digits). */
export const isDigest = (digest: string): boolean => digestPattern.test(digest)

const digestBytes = (digest: string): Buffer | undefined => {
  const normal = digest.toLowerCase()
  return digestPattern.test(normal) ? Buffer.from(normal.slice(7), "hex") : undefined
}

/** Constant-time comparison of two digests; false when either is malformed. */
const sameDigest = (a: string, b: string): boolean => {
  const x = digestBytes(a)
  const y = digestBytes(b)
  return x !== undefined && y !== undefined && x.length === y.length && timingSafeEqual(x, y)
}

/** An entry as written by people: the key itself (hashed at once) or its digest, and optional fields. */
export interface EntryInput {
  readonly id?: string | undefined
  /** The key; it is hashed and dropped. Give this or `digest`. */
  readonly key?: string | Redacted.Redacted<string> | undefined
  readonly digest?: string | undefined
  readonly subject: string
  readonly tenant?: string | undefined
  readonly roles?: Iterable<string> | undefined
  readonly scopes?: Iterable<string> | undefined
  /** Epoch milliseconds or a `Date`. */
  readonly expiresAt?: number | Date | undefined
  readonly label?: string | undefined
}

/** An entry from its input, or why it is not one (never quoting the key). */
const toEntry = (input: EntryInput): Entry | string => {
  if (typeof input.subject !== "string" || input.subject.length === 0) return "the subject is missing"
  if ((input.key === undefined) === (input.digest === undefined)) return "give exactly one of key and digest"
  const digest = input.key !== undefined ? hash(input.key) : input.digest!.toLowerCase()
  if (!digestPattern.test(digest)) return "the digest is not sha256:<64 hex digits>"
  const expiresAt = input.expiresAt instanceof Date ? input.expiresAt.getTime() : input.expiresAt
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) return "expiresAt is not a valid time"
  return {
    id: input.id ?? digest.slice(7, 19),
    digest,
    subject: input.subject,
    tenant: input.tenant,
    roles: [...(input.roles ?? [])],
    scopes: [...(input.scopes ?? [])],
    expiresAt,
    label: input.label
  }
}

const entries = (inputs: Iterable<EntryInput>): Either.Either<Array<Entry>, string> => {
  const out: Array<Entry> = []
  const digests = new Set<string>()
  const ids = new Set<string>()
  let index = 0
  for (const input of inputs) {
    index++
    const where = `entry ${index}${typeof input.id === "string" ? ` (id "${input.id}")` : ""}`
    const entry = toEntry(input)
    if (typeof entry === "string") return Either.left(`${where}: ${entry}`)
    if (digests.has(entry.digest)) return Either.left(`${where}: the same key appears twice`)
    if (ids.has(entry.id)) return Either.left(`${where}: the id "${entry.id}" appears twice`)
    digests.add(entry.digest)
    ids.add(entry.id)
    out.push(entry)
  }
  return Either.right(out)
}

const storeOf = (initial: ReadonlyArray<Entry>): ApiKeyStore => {
  const byDigest = new Map<string, Entry>(initial.map((e) => [e.digest, e]))
  return {
    find: (digest) => Effect.sync(() => Option.fromNullable(byDigest.get(digest.toLowerCase()))),
    list: (subject) => Effect.sync(() => [...byDigest.values()].filter((e) => subject === undefined || e.subject === subject)),
    put: (entry) =>
      Effect.suspend(() => {
        if (!digestPattern.test(entry.digest)) return Effect.fail(new ApiKeyStoreError({ message: "The digest is not sha256:<64 hex digits>" }))
        for (const [digest, e] of byDigest) if (e.id === entry.id) byDigest.delete(digest)
        byDigest.set(entry.digest, entry)
        return Effect.void
      }),
    revoke: (id) =>
      Effect.sync(() => {
        for (const [digest, e] of byDigest) {
          if (e.id === id) return byDigest.delete(digest)
        }
        return false
      })
  }
}

/**
 * A store in memory, with `list`, `put` and `revoke`. Throws a `TypeError`
 * naming the entry when one is malformed.
 */
export const memory = (inputs: Iterable<EntryInput> = []): ApiKeyStore =>
  Either.match(entries(inputs), {
    onLeft: (message) => {
      throw new TypeError(`ApiKeys.memory: ${message}`)
    },
    onRight: storeOf
  })

// --- Config -----------------------------------------------------------------

const JsonEntry = Schema.Struct({
  id: Schema.optional(Schema.String),
  key: Schema.optional(Schema.String),
  digest: Schema.optional(Schema.String),
  subject: Schema.String,
  tenant: Schema.optional(Schema.String),
  roles: Schema.optional(Schema.Union(Schema.Array(Schema.String), Schema.String)),
  scopes: Schema.optional(Schema.Union(Schema.Array(Schema.String), Schema.String)),
  expiresAt: Schema.optional(Schema.Union(Schema.Date, Schema.DateFromSelf)),
  label: Schema.optional(Schema.String)
})
type JsonEntry = typeof JsonEntry.Type

const words = (value: ReadonlyArray<string> | string | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : typeof value === "string" ? value.split(/\s+/).filter((s) => s.length > 0) : value

const fromJson = (entry: JsonEntry): EntryInput => ({
  ...entry,
  roles: words(entry.roles),
  scopes: words(entry.scopes)
})

const decodeEntry = (input: unknown, where: string, allowKey: boolean): Either.Either<EntryInput, string> => {
  if (typeof input === "object" && input !== null && !allowKey && "key" in input) {
    return Either.left(`${where}: holds a plain key; store its digest instead (ApiKeys.hash(key), "sha256:<hex>")`)
  }
  return Schema.decodeUnknownEither(JsonEntry, { onExcessProperty: "error", errors: "first" })(input).pipe(
    Either.mapBoth({
      onLeft: (error) =>
        `${where}: ${
          ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => `${issue.path.map(String).join(".") || "the entry"}: ${issue.message}`).join("; ")
        }`,
      onRight: fromJson
    })
  )
}

/** One `key:subject[:scope scope…]` entry (the key may be a `sha256:` digest), without ever quoting the key. */
const compactEntry = (text: string, where: string): Either.Either<EntryInput, string> => {
  let keyPart: string
  let rest: string
  if (text.toLowerCase().startsWith("sha256:")) {
    keyPart = text.slice(0, 71)
    rest = text.slice(71)
  } else {
    const colon = text.indexOf(":")
    keyPart = colon === -1 ? text : text.slice(0, colon)
    rest = colon === -1 ? "" : text.slice(colon)
  }
  if (!rest.startsWith(":") || rest.length < 2) return Either.left(`${where}: expected key:subject[:scopes]`)
  const colon = rest.indexOf(":", 1)
  const subject = colon === -1 ? rest.slice(1) : rest.slice(1, colon)
  const scopes = colon === -1 ? [] : words(rest.slice(colon + 1))
  if (subject.length === 0) return Either.left(`${where}: the subject is missing`)
  if (keyPart.length === 0) return Either.left(`${where}: the key is missing`)
  return Either.right(keyPart.toLowerCase().startsWith("sha256:") ? { digest: keyPart, subject, scopes } : { key: keyPart, subject, scopes })
}

const parseConfigValue = (text: string): Either.Either<Array<Entry>, string> => {
  const trimmed = text.trim()
  const inputs: Array<EntryInput> = []
  if (trimmed.startsWith("[")) {
    let json: unknown
    try {
      json = JSON.parse(trimmed)
    } catch {
      return Either.left("not valid JSON")
    }
    if (!Array.isArray(json)) return Either.left("not a JSON array")
    for (const [i, item] of json.entries()) {
      const decoded = decodeEntry(item, `entry ${i + 1}`, true)
      if (Either.isLeft(decoded)) return Either.left(decoded.left)
      inputs.push(decoded.right)
    }
  } else {
    const parts = trimmed.split(/[,\n]/).map((s) => s.trim()).filter((s) => s.length > 0)
    for (const [i, part] of parts.entries()) {
      const decoded = compactEntry(part, `entry ${i + 1}`)
      if (Either.isLeft(decoded)) return Either.left(decoded.left)
      inputs.push(decoded.right)
    }
  }
  return entries(inputs)
}

/**
 * A store read from the `Config` value `name` (default `API_KEYS`, a secret),
 * in one of two forms:
 *
 * - a JSON array of entries: `[{"digest": "sha256:…", "subject": "ci-bot",
 *   "scopes": ["tools:call"], "roles": ["deployer"], "tenant": "acme",
 *   "expiresAt": "2026-06-30T00:00:00Z", "id": "ci-2025", "label": "CI"}]`
 *   (`key` may stand for `digest`; `scopes` and `roles` may be space-separated strings);
 * - entries separated by commas or newlines, each `key:subject[:scope scope…]`,
 *   where `key` is the key or its `sha256:<hex>` digest, and the subject
 *   holds no colon: `sha256:9f86…:ci-bot:tools:call tools:list`.
 *
 * Prefer digests: a key written in plain text is hashed when read, but it
 * still sits in the environment.
 */
export const fromConfig = (name = "API_KEYS"): Config.Config<ApiKeyStore> =>
  Config.redacted(name).pipe(Config.mapOrFail((value) =>
    Either.mapBoth(parseConfigValue(Redacted.value(value)), {
      onLeft: (message) => ConfigError.InvalidData([name], `${name}: ${message}`),
      onRight: storeOf
    })
  ))

// --- File -------------------------------------------------------------------

/** A key file could not be read or is malformed; the message names the file and the entry. */
export class ApiKeyFileError extends Schema.TaggedError<ApiKeyFileError>()("ApiKeyFileError", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `${this.path}: ${this.detail}`
  }
}

/**
 * A store read from a YAML or JSON file (by extension: `.json` is JSON,
 * anything else YAML): `{ keys: [entry…] }` or a bare list of entries, each
 * `{ id?, digest, subject, tenant?, roles?, scopes?, expiresAt?, label? }`,
 * `digest` being `sha256:<hex>` (see `hash`; plain keys are refused in
 * files), `expiresAt` an ISO 8601 time. Read once; the store then has
 * `list`, `put` and `revoke` in memory (not written back).
 */
export const fromFile = (path: string): Effect.Effect<ApiKeyStore, ApiKeyFileError> =>
  Effect.gen(function*() {
    const failWith = (detail: string) => new ApiKeyFileError({ path, detail })
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (error) => failWith(`cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`)
    })
    const document = yield* Effect.try({
      try: (): unknown => (path.toLowerCase().endsWith(".json") ? JSON.parse(text) : Yaml.parse(text)),
      catch: (error) => failWith(`is not valid ${path.toLowerCase().endsWith(".json") ? "JSON" : "YAML"}: ${error instanceof Error ? error.message.split("\n")[0] : ""}`)
    })
    const list = Array.isArray(document)
      ? document
      : typeof document === "object" && document !== null && Array.isArray((document as { keys?: unknown }).keys)
      ? (document as { keys: Array<unknown> }).keys
      : undefined
    if (list === undefined) return yield* Effect.fail(failWith("expected a list of entries, or an object with a `keys` list"))
    const inputs: Array<EntryInput> = []
    for (const [i, item] of list.entries()) {
      const id = typeof item === "object" && item !== null && typeof (item as { id?: unknown }).id === "string" ? ` (id "${(item as { id: string }).id}")` : ""
      const decoded = decodeEntry(item, `entry ${i + 1}${id}`, false)
      if (Either.isLeft(decoded)) return yield* Effect.fail(failWith(decoded.left))
      inputs.push(decoded.right)
    }
    return yield* Either.match(entries(inputs), { onLeft: (m) => Effect.fail(failWith(m)), onRight: (e) => Effect.succeed(storeOf(e)) })
  })

// --- Authenticator ----------------------------------------------------------

/** Options of `make`. */
export interface Options {
  readonly store: ApiKeyStore
  /** Names the authenticator (default `api-key`). */
  readonly name?: string
  /** The header carrying the key (default `x-api-key`). */
  readonly header?: string
  /** Also accept the key as an `Authorization: Bearer` token (default false). */
  readonly bearer?: boolean
  /** Only read credentials starting with this prefix (e.g. `emk_`), leaving other bearer tokens to other authenticators. */
  readonly prefix?: string
}

const notKnown = new AuthenticationError({ reason: "invalid", description: "The API key is not known" })
const expired = new AuthenticationError({ reason: "expired", description: "The API key has expired" })
const unavailable = new AuthenticationError({ reason: "unavailable", description: "The API key store could not be reached" })

/** An API key authenticator over `store`. */
export const make = (options: Options): Authenticator => {
  const header = (options.header ?? "x-api-key").toLowerCase()
  const credential = (credentials: Credentials): string | undefined => {
    let value = credentials.header(header)?.trim()
    if ((value === undefined || value.length === 0) && options.bearer === true) value = bearerToken(credentials)
    if (value === undefined || value.length === 0) return undefined
    if (options.prefix !== undefined && !value.startsWith(options.prefix)) return undefined
    return value
  }
  const verify = (key: string): Effect.Effect<Identity, AuthenticationError> =>
    Effect.suspend(() => {
      // Looked up by digest: the store never sees the key, and how long the lookup
      // takes depends on the digest, which says nothing about how close a guess is.
      const digest = hash(key)
      return options.store.find(digest).pipe(
        Effect.mapError(() => unavailable),
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(notKnown),
          onSome: (entry) =>
            !sameDigest(entry.digest, digest)
              ? Effect.fail(notKnown)
              : Effect.flatMap(Clock.currentTimeMillis, (now) =>
                entry.expiresAt !== undefined && entry.expiresAt <= now
                  ? Effect.fail(expired)
                  : Effect.succeed<Identity>({
                    subject: entry.subject,
                    tenant: entry.tenant,
                    roles: new Set(entry.roles),
                    scopes: new Set(entry.scopes),
                    claims: { key_id: entry.id, ...(entry.label === undefined ? {} : { label: entry.label }) },
                    kind: "api-key",
                    expiresAt: entry.expiresAt
                  }))
        }))
      )
    })
  return { name: options.name ?? "api-key", kind: "api-key", credential, verify }
}

/** An API key authenticator over the `Store` service. */
export const fromStore = (options: Omit<Options, "store"> = {}): Effect.Effect<Authenticator, never, Store> =>
  Effect.map(Store, (store) => make({ ...options, store }))

/** An API key authenticator over the keys of the `Config` value `name` (see `fromConfig`). */
export const config = (name = "API_KEYS", options: Omit<Options, "store"> = {}): Config.Config<Authenticator> =>
  Config.map(fromConfig(name), (store) => make({ ...options, store }))
