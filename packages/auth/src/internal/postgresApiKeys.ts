/**
 * The PostgreSQL API key store (see `Postgres.apiKeyStore`).
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import { ApiKeyStoreError, type Entry, isDigest } from "../ApiKeys.js"
import { deleteBySubject, deleteExpired, migrate } from "./postgresSchema.js"

/** An API key store with every administration operation. */
export interface PostgresApiKeyStore {
  readonly find: (digest: string) => Effect.Effect<Option.Option<Entry>, ApiKeyStoreError>
  readonly list: (subject?: string) => Effect.Effect<ReadonlyArray<Entry>, ApiKeyStoreError>
  readonly put: (entry: Entry) => Effect.Effect<void, ApiKeyStoreError>
  readonly revoke: (id: string) => Effect.Effect<boolean, ApiKeyStoreError>
  readonly revokeBySubject: (subject: string, tenant?: string) => Effect.Effect<number, ApiKeyStoreError>
  readonly deleteExpired: (now: number) => Effect.Effect<number, ApiKeyStoreError>
}

interface Row {
  readonly id: string
  readonly digest: string
  readonly subject: string
  readonly tenant: string | null
  readonly roles: unknown
  readonly scopes: unknown
  readonly label: string | null
  readonly expires_at: Date | null
}

const Strings = Schema.decodeUnknownEither(Schema.Array(Schema.String))

const code = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "code" in error ? error.code : undefined

const storeError = (operation: string) => (error: SqlError) =>
  new ApiKeyStoreError({
    message: code(error.cause) === "23505"
      ? `API key store ${operation} failed: another key already has this digest`
      : `API key store ${operation} failed: ${error.message}`
  })

export const makePostgresApiKeyStore: Effect.Effect<PostgresApiKeyStore, SqlError, SqlClient.SqlClient> = Effect.gen(function*() {
  yield* migrate("api_keys")
  const sql = yield* SqlClient.SqlClient

  /** The entry of a row; None (reported) when its roles or scopes are not lists of strings. */
  const fromRow = (row: Row): Effect.Effect<Option.Option<Entry>> => {
    const lists = Either.all([Strings(row.roles), Strings(row.scopes)])
    if (Either.isLeft(lists)) {
      return Effect.as(
        Effect.logWarning("Ignoring an API key row whose roles or scopes are not lists of strings").pipe(
          Effect.annotateLogs({ table: "emcee_auth_api_keys", id: row.id, reason: ParseResult.TreeFormatter.formatErrorSync(lists.left) })
        ),
        Option.none()
      )
    }
    const [roles, scopes] = lists.right
    return Effect.succeed(Option.some({
      id: row.id,
      digest: row.digest,
      subject: row.subject,
      tenant: row.tenant ?? undefined,
      roles,
      scopes,
      expiresAt: row.expires_at === null ? undefined : row.expires_at.getTime(),
      label: row.label ?? undefined
    }))
  }

  const entries = (rows: ReadonlyArray<Row>) =>
    Effect.map(Effect.forEach(rows, fromRow), (all) => all.filter(Option.isSome).map((o) => o.value))


  const store: PostgresApiKeyStore = {
    find: (digest) =>
      sql<Row>`SELECT id, digest, subject, tenant, roles, scopes, label, expires_at
        FROM emcee_auth_api_keys WHERE digest = ${digest.toLowerCase()}`.pipe(
        Effect.mapError(storeError("find")),
        Effect.flatMap((rows) => (rows.length === 0 ? Effect.succeed(Option.none<Entry>()) : fromRow(rows[0]!)))
      ),
    list: (subject) =>
      (subject === undefined
        ? sql<Row>`SELECT id, digest, subject, tenant, roles, scopes, label, expires_at FROM emcee_auth_api_keys ORDER BY id`
        : sql<Row>`SELECT id, digest, subject, tenant, roles, scopes, label, expires_at
            FROM emcee_auth_api_keys WHERE subject = ${subject} ORDER BY id`).pipe(
          Effect.mapError(storeError("list")),
          Effect.flatMap(entries)
        ),
    put: (entry) => {
      const digest = entry.digest.toLowerCase()
      if (!isDigest(digest)) return Effect.fail(new ApiKeyStoreError({ message: "The digest is not sha256:<64 hex digits>" }))
      if (entry.id.length === 0 || entry.subject.length === 0) {
        return Effect.fail(new ApiKeyStoreError({ message: "An API key entry needs an id and a subject" }))
      }
      return sql`INSERT INTO emcee_auth_api_keys (id, digest, subject, tenant, roles, scopes, label, expires_at)
        VALUES (${entry.id}, ${digest}, ${entry.subject}, ${entry.tenant ?? null},
          ${JSON.stringify(entry.roles)}::jsonb, ${JSON.stringify(entry.scopes)}::jsonb, ${entry.label ?? null},
          ${entry.expiresAt === undefined ? null : new Date(entry.expiresAt)})
        ON CONFLICT (id) DO UPDATE SET
          digest = EXCLUDED.digest, subject = EXCLUDED.subject, tenant = EXCLUDED.tenant, roles = EXCLUDED.roles,
          scopes = EXCLUDED.scopes, label = EXCLUDED.label, expires_at = EXCLUDED.expires_at, updated_at = now()`.pipe(
        Effect.asVoid,
        Effect.mapError(storeError("put"))
      )
    },
    revoke: (id) =>
      sql<{ readonly id: string }>`DELETE FROM emcee_auth_api_keys WHERE id = ${id} RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.mapError(storeError("revoke"))
      ),
    revokeBySubject: (subject, tenant) =>
      Effect.mapError(deleteBySubject(sql, "emcee_auth_api_keys", subject, tenant), storeError("revokeBySubject")),
    deleteExpired: (now) => Effect.mapError(deleteExpired(sql, "emcee_auth_api_keys", now), storeError("deleteExpired"))
  }
  return store
})
