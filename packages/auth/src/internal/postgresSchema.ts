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
  ],
  // The authorization server's state (see OAuthStore). No column holds a live credential: codes, tokens,
  // device codes and secrets are kept by digest; private keys and upstream tokens sealed.
  oauth: [
    (sql) =>
      Effect.forEach([
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_clients (
          client_id text PRIMARY KEY,
          origin text NOT NULL CHECK (origin IN ('static', 'dynamic')),
          metadata jsonb NOT NULL,
          secret_digest text,
          secret_expires_at timestamptz,
          registration_token_digest text,
          created_at timestamptz NOT NULL,
          last_used_at timestamptz,
          unused_expires_at timestamptz
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_clients_unused ON emcee_oauth_clients (unused_expires_at)
          WHERE unused_expires_at IS NOT NULL`,
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_grants (
          grant_id text PRIMARY KEY,
          client_id text NOT NULL,
          subject text NOT NULL,
          tenant text,
          identity jsonb NOT NULL,
          scopes jsonb NOT NULL,
          resources jsonb NOT NULL,
          auth_time timestamptz NOT NULL,
          upstream text,
          created_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL,
          revoked_at timestamptz,
          revoked_reason text
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_grants_subject ON emcee_oauth_grants (subject, client_id)`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_grants_expires ON emcee_oauth_grants (expires_at)`,
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_codes (
          digest text PRIMARY KEY,
          client_id text NOT NULL,
          redirect_uri text NOT NULL,
          code_challenge text NOT NULL,
          grant_record jsonb NOT NULL,
          expires_at timestamptz NOT NULL,
          used_at timestamptz
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_codes_expires ON emcee_oauth_codes (expires_at)`,
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_refresh_tokens (
          digest text PRIMARY KEY,
          grant_id text NOT NULL,
          created_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL,
          rotated_at timestamptz
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_refresh_tokens_grant ON emcee_oauth_refresh_tokens (grant_id)`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_refresh_tokens_expires ON emcee_oauth_refresh_tokens (expires_at)`,
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_revoked_access_tokens (
          jti text PRIMARY KEY,
          expires_at timestamptz NOT NULL
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_revoked_access_tokens_expires ON emcee_oauth_revoked_access_tokens (expires_at)`,
        // tenant_key tells "no tenant" from every tenant (a primary key cannot hold NULL).
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_consents (
          subject text NOT NULL,
          tenant text,
          tenant_key text GENERATED ALWAYS AS (coalesce('=' || tenant, '')) STORED,
          client_id text NOT NULL,
          scopes jsonb NOT NULL,
          resources jsonb NOT NULL,
          granted_at timestamptz NOT NULL,
          PRIMARY KEY (subject, client_id, tenant_key)
        )`,
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_device_codes (
          digest text PRIMARY KEY,
          user_code text NOT NULL UNIQUE,
          client_id text NOT NULL,
          scopes jsonb NOT NULL,
          resources jsonb NOT NULL,
          expires_at timestamptz NOT NULL,
          interval_seconds integer NOT NULL,
          last_polled_at timestamptz,
          status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'redeemed')),
          grant_record jsonb
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_device_codes_expires ON emcee_oauth_device_codes (expires_at)`,
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_interactions (
          digest text PRIMARY KEY,
          kind text NOT NULL,
          data jsonb NOT NULL,
          expires_at timestamptz NOT NULL
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_interactions_expires ON emcee_oauth_interactions (expires_at)`,
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_upstream_tokens (
          provider text NOT NULL,
          subject text NOT NULL,
          sealed_access_token text NOT NULL,
          sealed_refresh_token text,
          expires_at timestamptz,
          scopes jsonb NOT NULL,
          updated_at timestamptz NOT NULL,
          PRIMARY KEY (provider, subject)
        )`,
        sql`CREATE TABLE IF NOT EXISTS emcee_oauth_signing_keys (
          kid text PRIMARY KEY,
          alg text NOT NULL,
          public_jwk jsonb NOT NULL,
          sealed_private_jwk text NOT NULL,
          created_at timestamptz NOT NULL,
          active_at timestamptz NOT NULL,
          retires_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_oauth_signing_keys_expires ON emcee_oauth_signing_keys (expires_at)`
      ], (statement) => statement, { discard: true })
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
