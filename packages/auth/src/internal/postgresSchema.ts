/**
 * The PostgreSQL tables of @emcee/auth and their migrations (see Postgres).
 */
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"

/** One step of a component's schema; step n takes it from version n - 1 to n. */
type Step = (sql: SqlClient.SqlClient) => Effect.Effect<unknown, SqlError>

/** The migrations of each component, in order. Append steps; never edit one that shipped. */
const components: Readonly<Record<string, ReadonlyArray<Step>>> = {
  sessions: [
    (sql) =>
      Effect.zipRight(
        sql`CREATE TABLE IF NOT EXISTS emcee_auth_sessions (
          digest text PRIMARY KEY,
          subject text NOT NULL,
          tenant text,
          identity jsonb NOT NULL,
          created_at timestamptz NOT NULL,
          last_seen_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL,
          absolute_expires_at timestamptz NOT NULL
        )`,
        Effect.all([
          sql`CREATE INDEX IF NOT EXISTS emcee_auth_sessions_subject ON emcee_auth_sessions (subject, tenant)`,
          sql`CREATE INDEX IF NOT EXISTS emcee_auth_sessions_expires ON emcee_auth_sessions (expires_at)`
        ])
      )
  ],
  api_keys: [
    (sql) =>
      Effect.zipRight(
        sql`CREATE TABLE IF NOT EXISTS emcee_auth_api_keys (
          id text PRIMARY KEY,
          digest text NOT NULL UNIQUE,
          subject text NOT NULL,
          tenant text,
          roles jsonb NOT NULL,
          scopes jsonb NOT NULL,
          label text,
          expires_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`,
        Effect.all([
          sql`CREATE INDEX IF NOT EXISTS emcee_auth_api_keys_subject ON emcee_auth_api_keys (subject, tenant)`,
          sql`CREATE INDEX IF NOT EXISTS emcee_auth_api_keys_expires ON emcee_auth_api_keys (expires_at) WHERE expires_at IS NOT NULL`
        ])
      )
  ]
}

/** Any number that names the advisory lock of the schema (the ASCII of "emcee"). */
const lockKey = 0x656d636565

/**
 * Brings `component`'s tables to its latest version, in one transaction
 * holding an advisory lock, so replicas starting together migrate once
 * (concurrent `CREATE TABLE IF NOT EXISTS` can otherwise fail).
 */
export const migrate = (component: keyof typeof components & string): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const steps = components[component]!
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql`SELECT pg_advisory_xact_lock(${lockKey})`
      yield* sql`CREATE TABLE IF NOT EXISTS emcee_auth_schema (component text PRIMARY KEY, version integer NOT NULL)`
      const rows = yield* sql<{ readonly version: number }>`SELECT version FROM emcee_auth_schema WHERE component = ${component}`
      const current = rows[0]?.version ?? 0
      if (current > steps.length) {
        return yield* new SqlError({
          message: `The database's ${component} schema (version ${current}) is newer than this @emcee/auth knows (${steps.length})`
        })
      }
      if (current === steps.length) return
      for (const step of steps.slice(current)) yield* step(sql)
      yield* sql`INSERT INTO emcee_auth_schema (component, version) VALUES (${component}, ${steps.length})
        ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version`
    }))
  })

/** The components with migrations. */
export type Component = keyof typeof components

/** Deletes the rows of `table` that `where` selects, in one statement; how many went. */
const deleteCounted = (sql: SqlClient.SqlClient, table: string, where: ReturnType<SqlClient.SqlClient["and"]>) =>
  Effect.map(
    sql<{ readonly count: string }>`WITH deleted AS (DELETE FROM ${sql(table)} WHERE ${where} RETURNING 1) SELECT count(*) AS count FROM deleted`,
    (rows) => Number(rows[0]?.count ?? 0)
  )

/** Deletes the rows of `table` whose `expires_at` is past (one indexed condition); how many went. */
export const deleteExpired = (sql: SqlClient.SqlClient, table: string, now: number): Effect.Effect<number, SqlError> =>
  deleteCounted(sql, table, sql.and([sql`expires_at <= ${new Date(now)}`]))

/** Deletes the rows of `table` that belong to `subject` (of `tenant` when given); how many went. */
export const deleteBySubject = (sql: SqlClient.SqlClient, table: string, subject: string, tenant: string | undefined): Effect.Effect<number, SqlError> =>
  deleteCounted(sql, table, sql.and(tenant === undefined ? [sql`subject = ${subject}`] : [sql`subject = ${subject}`, sql`tenant = ${tenant}`]))
