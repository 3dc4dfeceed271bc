/**
 * The gateway's audit log: a row per operation — when, the request id, who
 * (subject) and which tenant, which backend, the method and the tool or
 * prompt name or resource URI, how it ended (`ok`, `error`, `denied`,
 * `rate-limited`, `unavailable`), the JSON-RPC error code, the latency, and
 * the arguments only when configured (`recordArguments`), with the values
 * of keys like `password`, `secret`, `token` or `key` redacted at any depth.
 *
 * `record` never blocks nor slows the caller: it puts the record on a
 * bounded queue and returns; when the queue is full the record is dropped
 * and counted (`stats`, metric `mcp_gateway_audit_dropped_total`). A
 * background fiber writes what waits in batches, when a batch is full or
 * every `flushInterval`, and closing the Layer's scope writes everything
 * still queued. A batch the store refuses is retried, then written record by
 * record so that one bad record loses only itself
 * (`mcp_gateway_audit_failed_total`).
 *
 * Two stores: `memory` and `postgres` (table `emcee_gateway_audit`, created
 * when building; every gateway replica on the database writes to it, and
 * `query` reads them all). `query` pages newest first for the admin API.
 *
 * @example
 * import { Effect } from "effect"
 * import { AuditLog } from "@emcee/gateway"
 *
 * const program = Effect.gen(function*() {
 *   const audit = yield* AuditLog.AuditLog
 *   yield* audit.record({
 *     requestId: "1", principal: "alice", tenant: "acme", backend: "weather",
 *     method: "tools/call", name: "forecast", outcome: "ok", latencyMs: 12
 *   })
 *   const page = yield* audit.query({ tenant: "acme", limit: 50 })
 * })
 *
 * @since 0.4.0
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer, type Scope } from "effect"
import { makeBatched } from "./internal/auditBatcher.js"
import type { AuditLogOptions, Service } from "./internal/auditModel.js"
import { memorySink, postgresSink } from "./internal/auditStores.js"
import { migrate as migrateComponent } from "./internal/postgresSchema.js"

export { AuditEntry, AuditLogError, defaultRedact, Outcome, REDACTED, redactValue } from "./internal/auditModel.js"
export type { AuditLogOptions, AuditPage, AuditQuery, AuditRecord, AuditStats, Service } from "./internal/auditModel.js"

/** The audit log service. */
export class AuditLog extends Context.Tag("AuditLog")<AuditLog, Service>() {}

/** An audit log in memory, its writer running for the scope. */
export const makeMemory = (options?: AuditLogOptions): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.flatMap(memorySink, (sink) => makeBatched(sink, options))

/** An audit log in memory, as a Layer. */
export const memory = (options?: AuditLogOptions): Layer.Layer<AuditLog> => Layer.scoped(AuditLog, makeMemory(options))

/** An audit log in PostgreSQL (its table created when missing), its writer running for the scope. */
export const makePostgres = (options?: AuditLogOptions): Effect.Effect<Service, SqlError, SqlClient.SqlClient | Scope.Scope> =>
  Effect.flatMap(postgresSink, (sink) => makeBatched(sink, options))

/** An audit log in PostgreSQL, as a Layer. */
export const postgres = (options?: AuditLogOptions): Layer.Layer<AuditLog, SqlError, SqlClient.SqlClient> =>
  Layer.scoped(AuditLog, makePostgres(options))

/** Creates or upgrades the audit log's table, for a deployment step that migrates ahead of the gateways. */
export const migrate: Effect.Effect<void, SqlError, SqlClient.SqlClient> = migrateComponent("audit")
