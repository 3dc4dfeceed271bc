/**
 * The audit log's stores (see AuditLog): an array in memory, and the table
 * `emcee_gateway_audit` in PostgreSQL (one multi-row INSERT per batch).
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Either, Option, Schema } from "effect"
import type { Sink } from "./auditBatcher.js"
import {
  type AuditEntry,
  AuditLogError,
  type AuditQuery,
  decodeCursor,
  encodeCursor,
  entryOf,
  limitOf,
  Outcome,
  type Position,
  type PreparedRecord
} from "./auditModel.js"
import { migrate } from "./postgresSchema.js"

/** The page of `entries` (newest first, one more than the limit when there are more). */
const page = (entries: ReadonlyArray<AuditEntry>, limit: number) => {
  const shown = entries.slice(0, limit)
  const last = shown[shown.length - 1]
  return {
    entries: shown,
    nextCursor: entries.length > limit && last !== undefined ? encodeCursor({ at: last.at, id: BigInt(last.id) }) : undefined
  }
}

const cursorOf = (query: AuditQuery): Either.Either<Option.Option<Position>, AuditLogError> =>
  query.cursor === undefined ? Either.right(Option.none()) : Either.map(decodeCursor(query.cursor), Option.some)

/** Whether `entry` comes after `position` in the order newest first. */
const after = (entry: { readonly at: Date; readonly id: bigint }, position: Position): boolean =>
  entry.at.getTime() < position.at.getTime() || (entry.at.getTime() === position.at.getTime() && entry.id < position.id)

export const memorySink: Effect.Effect<Sink> = Effect.sync(() => {
  const rows: Array<{ readonly id: bigint; readonly entry: AuditEntry }> = []
  let next = 1n
  return {
    write: (records) =>
      Effect.sync(() => {
        for (const record of records) {
          const id = next++
          rows.push({ id, entry: entryOf(id.toString(), record) })
        }
      }),
    query: (query) =>
      Effect.gen(function*() {
        const cursor = yield* cursorOf(query)
        const limit = limitOf(query)
        const matching = rows.filter(({ entry, id }) =>
          (query.tenant === undefined || entry.tenant === query.tenant) &&
          (query.backend === undefined || entry.backend === query.backend) &&
          (query.principal === undefined || entry.principal === query.principal) &&
          (query.outcome === undefined || entry.outcome === query.outcome) &&
          (query.method === undefined || entry.method === query.method) &&
          (query.since === undefined || entry.at.getTime() >= query.since.getTime()) &&
          (query.until === undefined || entry.at.getTime() < query.until.getTime()) &&
          (Option.isNone(cursor) || after({ at: entry.at, id }, cursor.value))
        )
        matching.sort((a, b) => b.entry.at.getTime() - a.entry.at.getTime() || (b.id > a.id ? 1 : b.id < a.id ? -1 : 0))
        return page(matching.slice(0, limit + 1).map((row) => row.entry), limit)
      })
  }
})

interface Row {
  readonly id: string
  readonly at: Date
  readonly request_id: string
  readonly principal: string | null
  readonly tenant: string | null
  readonly backend: string | null
  readonly method: string
  readonly name: string | null
  readonly outcome: string
  readonly error_code: number | null
  readonly latency_ms: number
  readonly arguments: unknown
}

const isOutcome = Schema.is(Outcome)

export const postgresSink: Effect.Effect<Sink, SqlError, SqlClient.SqlClient> = Effect.gen(function*() {
  yield* migrate("audit")
  const sql = yield* SqlClient.SqlClient
  const storage = (error: SqlError) => new AuditLogError({ reason: "storage", message: `Audit log query failed: ${error.message}`, cause: error })

  const toRow = (record: PreparedRecord) => ({
    at: record.at,
    request_id: record.requestId,
    principal: record.principal,
    tenant: record.tenant,
    backend: record.backend,
    method: record.method,
    name: record.name,
    outcome: record.outcome,
    error_code: record.errorCode,
    latency_ms: record.latencyMs,
    arguments: record.arguments === undefined ? null : JSON.stringify(record.arguments)
  })

  const sink: Sink = {
    write: (records) => (records.length === 0 ? Effect.void : Effect.asVoid(sql`INSERT INTO emcee_gateway_audit ${sql.insert(records.map(toRow))}`)),
    query: (query) =>
      Effect.gen(function*() {
        const cursor = yield* cursorOf(query)
        const limit = limitOf(query)
        const conditions = []
        if (query.tenant !== undefined) conditions.push(sql`tenant = ${query.tenant}`)
        if (query.backend !== undefined) conditions.push(sql`backend = ${query.backend}`)
        if (query.principal !== undefined) conditions.push(sql`principal = ${query.principal}`)
        if (query.outcome !== undefined) conditions.push(sql`outcome = ${query.outcome}`)
        if (query.method !== undefined) conditions.push(sql`method = ${query.method}`)
        if (query.since !== undefined) conditions.push(sql`at >= ${query.since}`)
        if (query.until !== undefined) conditions.push(sql`at < ${query.until}`)
        if (Option.isSome(cursor)) conditions.push(sql`(at, id) < (${cursor.value.at}, ${cursor.value.id.toString()}::bigint)`)
        const rows = yield* sql<Row>`SELECT id::text AS id, at, request_id, principal, tenant, backend, method, name, outcome,
            error_code, latency_ms, arguments
          FROM emcee_gateway_audit WHERE ${sql.and(conditions)} ORDER BY at DESC, id DESC LIMIT ${limit + 1}`.pipe(
          Effect.mapError(storage)
        )
        const entries = rows.map((row): AuditEntry => ({
          id: row.id,
          at: row.at,
          requestId: row.request_id,
          principal: row.principal,
          tenant: row.tenant,
          backend: row.backend,
          method: row.method,
          name: row.name,
          outcome: isOutcome(row.outcome) ? row.outcome : "error",
          latencyMs: Number(row.latency_ms),
          ...(row.error_code === null ? {} : { errorCode: row.error_code }),
          ...(row.arguments === null || row.arguments === undefined ? {} : { arguments: row.arguments })
        }))
        return page(entries, limit)
      })
  }
  return sink
})
