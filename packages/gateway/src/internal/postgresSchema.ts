/**
 * The PostgreSQL tables of @emcee/gateway (`emcee_gateway_*`) and their
 * migrations, in the manner of @emcee/auth's: numbered steps per component,
 * the version of each in `emcee_gateway_schema`, applied in one transaction
 * under an advisory lock so replicas starting together migrate once.
 */
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"

/** One step of a component's schema; step n takes it from version n - 1 to n. */
type Step = (sql: SqlClient.SqlClient) => Effect.Effect<unknown, SqlError>

const statements = (list: ReadonlyArray<Effect.Effect<unknown, SqlError>>) =>
  Effect.forEach(list, (statement) => statement, { discard: true })

/** The migrations of each component, in order. Append steps; never edit one that shipped. */
const components = {
  registry: [
    (sql) =>
      statements([
        // The spec column holds the whole encoded BackendSpec; the others are copies for filtering.
        sql`CREATE TABLE IF NOT EXISTS emcee_gateway_backends (
          name text PRIMARY KEY,
          tenant text,
          owner text,
          enabled boolean NOT NULL,
          tags jsonb NOT NULL,
          spec jsonb NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_backends_tenant ON emcee_gateway_backends (tenant)`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_backends_tags ON emcee_gateway_backends USING gin (tags jsonb_path_ops)`,
        sql`CREATE TABLE IF NOT EXISTS emcee_gateway_snapshots (
          name text PRIMARY KEY REFERENCES emcee_gateway_backends (name) ON DELETE CASCADE,
          tools jsonb NOT NULL,
          resources jsonb NOT NULL,
          resource_templates jsonb NOT NULL,
          prompts jsonb NOT NULL,
          capabilities jsonb NOT NULL,
          server_info jsonb NOT NULL,
          protocol_version text NOT NULL,
          refreshed_at timestamptz NOT NULL
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_snapshots_tools ON emcee_gateway_snapshots USING gin (tools jsonb_path_ops)`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_snapshots_resources ON emcee_gateway_snapshots USING gin (resources jsonb_path_ops)`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_snapshots_prompts ON emcee_gateway_snapshots USING gin (prompts jsonb_path_ops)`
      ])
  ],
  audit: [
    (sql) =>
      statements([
        sql`CREATE TABLE IF NOT EXISTS emcee_gateway_audit (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL,
          request_id text NOT NULL,
          principal text,
          tenant text,
          backend text,
          method text NOT NULL,
          name text,
          outcome text NOT NULL CHECK (outcome IN ('ok', 'error', 'denied', 'rate-limited', 'unavailable')),
          error_code integer,
          latency_ms double precision NOT NULL,
          arguments jsonb
        )`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_audit_at ON emcee_gateway_audit (at DESC, id DESC)`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_audit_tenant ON emcee_gateway_audit (tenant, at DESC)`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_audit_backend ON emcee_gateway_audit (backend, at DESC)`,
        sql`CREATE INDEX IF NOT EXISTS emcee_gateway_audit_principal ON emcee_gateway_audit (principal, at DESC)`
      ])
  ]
} satisfies Record<string, ReadonlyArray<Step>>

/** The components with migrations. */
export type Component = keyof typeof components

/** Any number that names the advisory lock of the schema (the ASCII of "emgw"). */
const lockKey = 0x656d6777

/** Brings `component`'s tables to its latest version (idempotent). */
export const migrate = (component: Component): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const steps: ReadonlyArray<Step> = components[component]
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql`SELECT pg_advisory_xact_lock(${lockKey})`
      yield* sql`CREATE TABLE IF NOT EXISTS emcee_gateway_schema (component text PRIMARY KEY, version integer NOT NULL)`
      const rows = yield* sql<{ readonly version: number }>`SELECT version FROM emcee_gateway_schema WHERE component = ${component}`
      const current = rows[0]?.version ?? 0
      if (current > steps.length) {
        return yield* new SqlError({
          message: `The database's gateway ${component} schema (version ${current}) is newer than this @emcee/gateway knows (${steps.length})`
        })
      }
      if (current === steps.length) return
      for (const step of steps.slice(current)) yield* step(sql)
      yield* sql`INSERT INTO emcee_gateway_schema (component, version) VALUES (${component}, ${steps.length})
        ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version`
    }))
  })
