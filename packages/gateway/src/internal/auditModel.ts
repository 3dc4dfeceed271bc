/**
 * The audit log's records, queries, options and errors (see AuditLog), and
 * what both stores share: redaction of arguments, cursors, the order of
 * entries. No import of AuditLog.ts, so the stores can import this module.
 */
import { Data, Duration, type Effect, Either, Schema } from "effect"

/** How an operation ended. */
export const Outcome = Schema.Literal("ok", "error", "denied", "rate-limited", "unavailable").annotations({ identifier: "AuditOutcome" })
export type Outcome = typeof Outcome.Type

/** What the gateway records for one operation (`at` defaults to now). */
export interface AuditRecord {
  readonly at?: Date | undefined
  readonly requestId: string
  /** The caller's subject, or null when unauthenticated. */
  readonly principal: string | null
  readonly tenant: string | null
  /** The backend the operation went to, or null (a local primitive, or refused before routing). */
  readonly backend: string | null
  /** The MCP method, e.g. `tools/call`. */
  readonly method: string
  /** The tool or prompt name, or resource URI, when the method has one. */
  readonly name: string | null
  readonly outcome: Outcome
  /** The JSON-RPC error code, for an outcome other than `ok`. */
  readonly errorCode?: number | undefined
  readonly latencyMs: number
  /** The request's arguments: kept only when the log is configured to (`recordArguments`), redacted. */
  readonly arguments?: unknown
}

/** A row of the audit log, as the admin API returns it. */
export const AuditEntry = Schema.Struct({
  id: Schema.String,
  at: Schema.Date,
  requestId: Schema.String,
  principal: Schema.NullOr(Schema.String),
  tenant: Schema.NullOr(Schema.String),
  backend: Schema.NullOr(Schema.String),
  method: Schema.String,
  name: Schema.NullOr(Schema.String),
  outcome: Outcome,
  errorCode: Schema.optional(Schema.Number),
  latencyMs: Schema.Number,
  arguments: Schema.optional(Schema.Unknown)
}).annotations({ identifier: "AuditEntry" })
export type AuditEntry = typeof AuditEntry.Type

/**
 * Which entries to read, newest first: all criteria must hold; `since`
 * inclusive, `until` exclusive; `limit` 1 to 1000 (default 100); `cursor`
 * is a page's `nextCursor`.
 */
export interface AuditQuery {
  readonly tenant?: string | undefined
  readonly backend?: string | undefined
  readonly principal?: string | undefined
  readonly outcome?: Outcome | undefined
  readonly method?: string | undefined
  readonly since?: Date | undefined
  readonly until?: Date | undefined
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
}

/** A page of entries, and the cursor of the next one when there may be more. */
export interface AuditPage {
  readonly entries: ReadonlyArray<AuditEntry>
  readonly nextCursor: string | undefined
}

/** Counts since the log started. */
export interface AuditStats {
  /** Records accepted into the queue. */
  readonly recorded: number
  /** Records written to the store. */
  readonly written: number
  /** Records dropped because the queue was full. */
  readonly dropped: number
  /** Records the store refused even one by one. */
  readonly failed: number
  /** Records waiting in the queue. */
  readonly pending: number
}

/** A query the log could not answer: a malformed cursor, or the store failed. */
export class AuditLogError extends Data.TaggedError("AuditLogError")<{
  readonly reason: "invalid-cursor" | "storage"
  readonly message: string
  readonly cause?: unknown
}> {}

/** How the log batches and what it keeps of arguments. */
export interface AuditLogOptions {
  /** Records held waiting for the writer; beyond it `record` drops (and counts). Default 10000. */
  readonly capacity?: number | undefined
  /** Records written in one statement; reaching it wakes the writer. Default 500. */
  readonly batchSize?: number | undefined
  /** The longest a record waits before it is written. Default 1 second. */
  readonly flushInterval?: Duration.DurationInput | undefined
  /** Whether `arguments` are kept (redacted). Default false. */
  readonly recordArguments?: boolean | undefined
  /**
   * The keys whose values are replaced by `"[REDACTED]"`, at any depth: a
   * regular expression, or a list of them and of strings (matched as
   * case-insensitive substrings). Default `/password|secret|token|key|authorization|cookie|credential/i`.
   */
  readonly redact?: RegExp | ReadonlyArray<string | RegExp> | undefined
  /** The largest arguments kept (as JSON, in characters); larger ones are replaced by a marker. Default 16384. */
  readonly maxArgumentsBytes?: number | undefined
}

/** A record as a store writes it: `at` set, strings free of NUL, arguments redacted (or absent). */
export interface PreparedRecord {
  readonly at: Date
  readonly requestId: string
  readonly principal: string | null
  readonly tenant: string | null
  readonly backend: string | null
  readonly method: string
  readonly name: string | null
  readonly outcome: Outcome
  readonly errorCode: number | null
  readonly latencyMs: number
  readonly arguments: unknown
}

export interface Service {
  readonly record: (record: AuditRecord) => Effect.Effect<void>
  readonly flush: Effect.Effect<void>
  readonly query: (query: AuditQuery) => Effect.Effect<AuditPage, AuditLogError>
  readonly stats: Effect.Effect<AuditStats>
}

export const REDACTED = "[REDACTED]"
export const defaultRedact = /password|secret|token|key|authorization|cookie|credential/i

/** A key predicate from the `redact` option (stateless: no global or sticky flags). */
export const redactor = (option: AuditLogOptions["redact"]): (key: string) => boolean => {
  const patterns = (option === undefined ? [defaultRedact] : option instanceof RegExp ? [option] : option).map((pattern) =>
    typeof pattern === "string"
      ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i")
      : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""))
  )
  return (key) => patterns.some((pattern) => pattern.test(key))
}

const noNul = (text: string): string => (text.includes("\u0000") ? text.replaceAll("\u0000", "") : text)

/**
 * The value with the values of redacted keys replaced, at any depth, as
 * plain JSON (NUL characters removed: PostgreSQL's jsonb refuses them;
 * non-finite numbers as null; what JSON cannot hold dropped).
 */
export const redactValue = (value: unknown, redacted: (key: string) => boolean, depth = 0): unknown => {
  if (depth > 32) return "[too deep]"
  if (typeof value === "string") return noNul(value)
  if (typeof value === "number") return Number.isFinite(value) ? value : null
  if (typeof value === "boolean" || value === null) return value
  if (typeof value === "bigint") return value.toString()
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redacted, depth + 1) ?? null)
  if (typeof value === "object") {
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const cleanKey = noNul(key)
      if (redacted(key)) out[cleanKey] = REDACTED
      else {
        const cleaned = redactValue(item, redacted, depth + 1)
        if (cleaned !== undefined) out[cleanKey] = cleaned
      }
    }
    return out
  }
  return undefined
}

/** A record ready for a store (see `PreparedRecord`). */
export const prepare = (
  record: AuditRecord & { readonly at: Date },
  options: { readonly recordArguments: boolean; readonly redacted: (key: string) => boolean; readonly maxArgumentsBytes: number }
): PreparedRecord => {
  let args: unknown = undefined
  if (options.recordArguments && record.arguments !== undefined) {
    const cleaned = redactValue(record.arguments, options.redacted)
    let json: string | undefined
    try {
      json = JSON.stringify(cleaned)
    } catch {
      json = undefined
    }
    args = json === undefined ? undefined : json.length > options.maxArgumentsBytes ? { "[truncated]": true, length: json.length } : cleaned
  }
  const text = (value: string | null): string | null => (value === null ? null : noNul(String(value)))
  return {
    at: Number.isNaN(record.at.getTime()) ? new Date(0) : record.at,
    requestId: noNul(String(record.requestId)),
    principal: text(record.principal),
    tenant: text(record.tenant),
    backend: text(record.backend),
    method: noNul(String(record.method)),
    name: text(record.name),
    outcome: record.outcome,
    errorCode: typeof record.errorCode === "number" && Number.isInteger(record.errorCode) && Math.abs(record.errorCode) <= 2 ** 31 - 1
      ? record.errorCode
      : null,
    latencyMs: Number.isFinite(record.latencyMs) ? Math.max(0, record.latencyMs) : 0,
    arguments: args
  }
}

/** A position in the order of entries (newest first: `at` descending, then `id` descending). */
export interface Position {
  readonly at: Date
  readonly id: bigint
}

const CursorJson = Schema.parseJson(Schema.Tuple(Schema.String, Schema.String.pipe(Schema.pattern(/^\d{1,19}$/))))

export const encodeCursor = (position: Position): string =>
  Buffer.from(JSON.stringify([position.at.toISOString(), position.id.toString()])).toString("base64url")

export const decodeCursor = (cursor: string): Either.Either<Position, AuditLogError> => {
  const invalid = new AuditLogError({ reason: "invalid-cursor", message: "The cursor is not one this audit log returned" })
  const decoded = Schema.decodeUnknownEither(CursorJson)(Buffer.from(cursor, "base64url").toString("utf8"))
  if (Either.isLeft(decoded)) return Either.left(invalid)
  const at = new Date(decoded.right[0])
  if (Number.isNaN(at.getTime())) return Either.left(invalid)
  return Either.right({ at, id: BigInt(decoded.right[1]) })
}

/** The page size of a query: 1 to 1000, 100 when absent or not a number. */
export const limitOf = (query: AuditQuery): number =>
  query.limit === undefined || !Number.isFinite(query.limit) ? 100 : Math.min(1000, Math.max(1, Math.floor(query.limit)))

/** The entry of a prepared record stored under `id`. */
export const entryOf = (id: string, record: PreparedRecord): AuditEntry => ({
  id,
  at: record.at,
  requestId: record.requestId,
  principal: record.principal,
  tenant: record.tenant,
  backend: record.backend,
  method: record.method,
  name: record.name,
  outcome: record.outcome,
  latencyMs: record.latencyMs,
  ...(record.errorCode === null ? {} : { errorCode: record.errorCode }),
  ...(record.arguments === undefined || record.arguments === null ? {} : { arguments: record.arguments })
})

export const flushIntervalOf = (options: AuditLogOptions): Duration.Duration => Duration.decode(options.flushInterval ?? "1 second")
