/**
 * The PostgreSQL session store (see `Postgres.sessionStore`).
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import type { Service } from "../SessionStore.js"
import { deleteBySubject, deleteExpired, migrate } from "./postgresSchema.js"
import { type Session, SessionStoreError, StoredIdentity } from "./sessionModel.js"

interface Row {
  readonly digest: string
  readonly identity: unknown
  readonly created_at: Date
  readonly last_seen_at: Date
  readonly expires_at: Date
  readonly absolute_expires_at: Date
}

const decodeIdentity = Schema.decodeUnknownEither(StoredIdentity)

const storeError = (operation: string) => (error: SqlError) =>
  new SessionStoreError({ operation, description: error.message, cause: error })

export const makePostgresSessionStore: Effect.Effect<Service, SqlError, SqlClient.SqlClient> = Effect.gen(function*() {
  yield* migrate("sessions")
  const sql = yield* SqlClient.SqlClient

  /** The session of a row; None (reported) when the stored identity is not one. */
  const fromRow = (row: Row): Effect.Effect<Option.Option<Session>> => {
    const identity = decodeIdentity(row.identity)
    if (Either.isLeft(identity)) {
      return Effect.as(
        Effect.logWarning("Ignoring a session row whose identity is not valid").pipe(
          Effect.annotateLogs({ table: "emcee_auth_sessions", digest: row.digest, reason: ParseResult.TreeFormatter.formatErrorSync(identity.left) })
        ),
        Option.none()
      )
    }
    return Effect.succeed(Option.some({
      digest: row.digest,
      identity: identity.right,
      createdAt: row.created_at.getTime(),
      lastSeenAt: row.last_seen_at.getTime(),
      expiresAt: row.expires_at.getTime(),
      absoluteExpiresAt: row.absolute_expires_at.getTime()
    }))
  }

  const first = (rows: ReadonlyArray<Row>) => (rows.length === 0 ? Effect.succeed(Option.none<Session>()) : fromRow(rows[0]!))


  const service: Service = {
    create: (session) =>
      sql`INSERT INTO emcee_auth_sessions
          (digest, subject, tenant, identity, created_at, last_seen_at, expires_at, absolute_expires_at)
        VALUES (${session.digest}, ${session.identity.subject}, ${session.identity.tenant ?? null},
          ${JSON.stringify(session.identity)}::jsonb, ${new Date(session.createdAt)}, ${new Date(session.lastSeenAt)},
          ${new Date(Math.min(session.expiresAt, session.absoluteExpiresAt))}, ${new Date(session.absoluteExpiresAt)})
        ON CONFLICT (digest) DO UPDATE SET
          subject = EXCLUDED.subject, tenant = EXCLUDED.tenant, identity = EXCLUDED.identity,
          created_at = EXCLUDED.created_at, last_seen_at = EXCLUDED.last_seen_at,
          expires_at = EXCLUDED.expires_at, absolute_expires_at = EXCLUDED.absolute_expires_at`.pipe(
        Effect.asVoid,
        Effect.mapError(storeError("create"))
      ),
    get: (digest) =>
      sql<Row>`SELECT digest, identity, created_at, last_seen_at, expires_at, absolute_expires_at
        FROM emcee_auth_sessions WHERE digest = ${digest}`.pipe(
        Effect.mapError(storeError("get")),
        Effect.flatMap(first)
      ),
    // One statement: a concurrent delete either wins (nothing to update) or comes after.
    touch: (digest, { idleMillis, now }) =>
      sql<Row>`UPDATE emcee_auth_sessions
        SET last_seen_at = ${new Date(now)}, expires_at = LEAST(${new Date(now + idleMillis)}, absolute_expires_at)
        WHERE digest = ${digest} AND expires_at > ${new Date(now)} AND absolute_expires_at > ${new Date(now)}
        RETURNING digest, identity, created_at, last_seen_at, expires_at, absolute_expires_at`.pipe(
        Effect.mapError(storeError("touch")),
        Effect.flatMap(first)
      ),
    delete: (digest) =>
      sql<{ readonly digest: string }>`DELETE FROM emcee_auth_sessions WHERE digest = ${digest} RETURNING digest`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.mapError(storeError("delete"))
      ),
    // expires_at is never after absolute_expires_at (create and touch keep it so): one indexed condition.
    deleteExpired: (now) => Effect.mapError(deleteExpired(sql, "emcee_auth_sessions", now), storeError("deleteExpired")),
    deleteBySubject: (subject, tenant) =>
      Effect.mapError(deleteBySubject(sql, "emcee_auth_sessions", subject, tenant), storeError("deleteBySubject"))
  }
  return service
})
