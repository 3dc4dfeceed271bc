/**
 * The audit log's batching, shared by both stores: `record` offers to a
 * bounded dropping queue and returns (it never waits: a full queue drops
 * and counts); a writer fiber wakes when a batch is full or every
 * `flushInterval`, and writes what waits in batches; closing the scope
 * writes everything still queued.
 */
import { Clock, Effect, Metric, Queue, Schedule } from "effect"
import {
  type AuditLogError,
  type AuditLogOptions,
  type AuditPage,
  type AuditQuery,
  flushIntervalOf,
  prepare,
  type PreparedRecord,
  redactor,
  type Service
} from "./auditModel.js"

/** Where batches go and where queries are answered. */
export interface Sink {
  readonly write: (records: ReadonlyArray<PreparedRecord>) => Effect.Effect<void, unknown>
  readonly query: (query: AuditQuery) => Effect.Effect<AuditPage, AuditLogError>
}

const dropped = Metric.counter("mcp_gateway_audit_dropped_total", {
  description: "Audit records dropped because the audit log's queue was full",
  incremental: true
})
const failed = Metric.counter("mcp_gateway_audit_failed_total", {
  description: "Audit records the audit log's store refused",
  incremental: true
})

export const makeBatched = (sink: Sink, options: AuditLogOptions = {}) =>
  Effect.gen(function*() {
    const capacity = Math.max(1, Math.floor(options.capacity ?? 10_000))
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500))
    const interval = flushIntervalOf(options)
    const preparing = {
      recordArguments: options.recordArguments === true,
      redacted: redactor(options.redact),
      maxArgumentsBytes: Math.max(0, options.maxArgumentsBytes ?? 16_384)
    }
    const queue = yield* Queue.dropping<Parameters<Service["record"]>[0] & { readonly at: Date }>(capacity)
    const wake = yield* Queue.sliding<void>(1)
    const lock = yield* Effect.makeSemaphore(1)
    const counts = { recorded: 0, written: 0, dropped: 0, failed: 0 }

    const writeOne = (records: ReadonlyArray<PreparedRecord>) =>
      sink.write(records).pipe(Effect.timeout("30 seconds"))

    /** Writes a batch; when the store refuses it (after retries), each record alone, so one bad record loses only itself. */
    const write = (records: ReadonlyArray<PreparedRecord>) =>
      writeOne(records).pipe(
        Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2)))),
        Effect.matchEffect({
          onSuccess: () => Effect.sync(() => void (counts.written += records.length)),
          onFailure: (error) =>
            Effect.zipRight(
              Effect.logWarning("The audit log could not write a batch; writing its records one by one").pipe(
                Effect.annotateLogs({ records: records.length, reason: error instanceof Error ? error.message : String(error) })
              ),
              Effect.forEach(records, (record) =>
                Effect.match(writeOne([record]), {
                  onSuccess: () => void (counts.written += 1),
                  onFailure: () => {
                    counts.failed += 1
                    failed.unsafeUpdate(1, [])
                  }
                }), { discard: true })
            )
        })
      )

    /** Writes everything queued now, in batches; never interrupted halfway (what was taken is written). */
    const drain = lock.withPermits(1)(Effect.gen(function*() {
      while (true) {
        const batch = yield* Queue.takeUpTo(queue, batchSize)
        if (batch.length === 0) return
        const prepared: Array<PreparedRecord> = []
        for (const record of batch) prepared.push(prepare(record, preparing))
        yield* write(prepared)
      }
    })).pipe(Effect.uninterruptible)

    yield* Effect.forever(Effect.zipRight(Effect.raceFirst(Queue.take(wake), Effect.sleep(interval)), drain)).pipe(
      Effect.forkScoped
    )
    // Runs before the writer is interrupted (finalizers run in reverse order): nothing recorded is lost.
    yield* Effect.addFinalizer(() => drain)

    const service: Service = {
      record: (record) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const queued = { ...record, at: record.at ?? new Date(now) }
          if (queue.unsafeOffer(queued)) {
            counts.recorded += 1
            const size = queue.unsafeSize()
            if (size._tag === "Some" && size.value >= batchSize) wake.unsafeOffer(undefined)
          } else {
            counts.dropped += 1
            dropped.unsafeUpdate(1, [])
          }
        }),
      flush: drain,
      query: sink.query,
      stats: Effect.sync(() => {
        const size = queue.unsafeSize()
        return { ...counts, pending: size._tag === "Some" ? size.value : 0 }
      })
    }
    return service
  })
