/**
 * The registry in PostgreSQL (see `Registry.postgres`). Every write and its
 * `pg_notify` commit in one transaction; each Registry LISTENs on the
 * channel through its own connection, so a change through any process on
 * the database reaches every process's `changes`.
 *
 * The listening connection is watched: a ping (a notification of its own)
 * goes out every `healthInterval` and must come back within `healthTimeout`;
 * when it does not (the connection died silently), the listener is started
 * again with backoff and the registry re-read, announcing what changed while
 * nobody listened.
 */
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Cause, Deferred, Duration, Effect, Fiber, Option, type ParseResult, PubSub, Ref, Schedule, Schema, type Scope, Stream } from "effect"
import { migrate } from "./postgresSchema.js"
import {
  type Backend,
  BackendSpec,
  checkSnapshot,
  type Discovered,
  type FindQuery,
  type ListQuery,
  matches,
  notFound,
  parseSpec,
  type RegistryChange,
  RegistryError,
  removed,
  upserted,
  type Service,
  Snapshot
} from "./registryModel.js"

/** Options of the PostgreSQL registry. */
export interface PostgresRegistryOptions {
  /** The LISTEN/NOTIFY channel (default `emcee_gateway_registry`); every replica of one gateway uses the same. */
  readonly channel?: string | undefined
  /** How often the listening connection is checked (default 5 seconds). */
  readonly healthInterval?: Duration.DurationInput | undefined
  /** How long a check waits for its ping to come back (default 2 seconds). */
  readonly healthTimeout?: Duration.DurationInput | undefined
}

interface BackendRow {
  readonly name: string
  readonly spec: unknown
  readonly created_at: Date
  readonly updated_at: Date
}

interface SnapshotRow {
  readonly tools: unknown
  readonly resources: unknown
  readonly resource_templates: unknown
  readonly prompts: unknown
  readonly capabilities: unknown
  readonly server_info: unknown
  readonly protocol_version: string
  readonly refreshed_at: Date
}

/** What goes through the channel (a NOTIFY payload is at most 8000 bytes: names are at most 64). */
const Payload = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("Upserted"), name: Schema.String, at: Schema.Number }),
  Schema.Struct({ _tag: Schema.Literal("Removed"), name: Schema.String }),
  Schema.Struct({ _tag: Schema.Literal("Ping"), id: Schema.String })
)
type Payload = typeof Payload.Type
const decodePayload = Schema.decodeUnknownOption(Schema.parseJson(Payload))

const decodeSpec = Schema.decodeUnknown(BackendSpec)
const encodeSpec = Schema.encode(BackendSpec)
const decodeSnapshot = Schema.decodeUnknown(Snapshot)
const encodeSnapshot = Schema.encode(Snapshot)

const storage = (operation: string) => (error: SqlError | ParseResult.ParseError) =>
  new RegistryError({ reason: "storage", message: `Registry ${operation} failed: ${error.message}`, cause: error })

const backendColumns = "b.name, b.spec, b.created_at, b.updated_at"
const snapshotColumns =
  "s.tools, s.resources, s.resource_templates, s.prompts, s.capabilities, s.server_info, s.protocol_version, s.refreshed_at"

export const makePostgresRegistry = (
  options: PostgresRegistryOptions = {}
): Effect.Effect<Service, SqlError, PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function*() {
    const pg = yield* PgClient.PgClient
    const sql: SqlClient.SqlClient = pg
    yield* Effect.provideService(migrate("registry"), SqlClient.SqlClient, sql)
    const channel = options.channel ?? "emcee_gateway_registry"
    const healthInterval = Duration.decode(options.healthInterval ?? "5 seconds")
    const healthTimeout = Duration.decode(options.healthTimeout ?? "2 seconds")
    const hub = yield* PubSub.unbounded<RegistryChange>()

    const notify = (payload: Payload) => sql`SELECT pg_notify(${channel}, ${JSON.stringify(payload)})`

    /** The backend of a row; None (reported) when its spec no longer decodes (edited by hand, or a newer gateway's). */
    const backendOf = (row: BackendRow): Effect.Effect<Option.Option<Backend>> =>
      decodeSpec(row.spec).pipe(
        Effect.map((spec) => Option.some<Backend>({ ...spec, createdAt: row.created_at, updatedAt: row.updated_at })),
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logWarning("Ignoring a registry row whose spec does not decode").pipe(
              Effect.annotateLogs({ table: "emcee_gateway_backends", name: row.name, reason: error.message })
            ),
            Option.none()
          )
        )
      )

    const snapshotOf = (name: string, row: SnapshotRow): Effect.Effect<Option.Option<Snapshot>> =>
      decodeSnapshot({
        tools: row.tools,
        resources: row.resources,
        resourceTemplates: row.resource_templates,
        prompts: row.prompts,
        capabilities: row.capabilities,
        serverInfo: row.server_info,
        protocolVersion: row.protocol_version,
        refreshedAt: row.refreshed_at.toISOString()
      }).pipe(
        Effect.map(Option.some),
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logWarning("Ignoring a capability snapshot that does not decode").pipe(
              Effect.annotateLogs({ table: "emcee_gateway_snapshots", name, reason: error.message })
            ),
            Option.none()
          )
        )
      )

    const listConditions = (query: ListQuery) => {
      const conditions = []
      if (query.tenant !== undefined) {
        conditions.push(
          query.tenant === null
            ? sql`b.tenant IS NULL`
            : query.includeShared === false
            ? sql`b.tenant = ${query.tenant}`
            : sql`(b.tenant = ${query.tenant} OR b.tenant IS NULL)`
        )
      }
      if (query.tag !== undefined) conditions.push(sql`b.tags @> ${JSON.stringify([query.tag])}::jsonb`)
      if (query.enabled !== undefined) conditions.push(sql`b.enabled = ${query.enabled}`)
      if (query.owner !== undefined) conditions.push(sql`b.owner = ${query.owner}`)
      return conditions
    }

    const upsert: Service["upsert"] = (input) =>
      Effect.gen(function*() {
        const spec = yield* parseSpec(input)
        const encoded = yield* Effect.mapError(encodeSpec(spec), storage("upsert"))
        const rows = yield* sql.withTransaction(Effect.gen(function*() {
          const rows = yield* sql<{ readonly created_at: Date; readonly updated_at: Date }>`
            INSERT INTO emcee_gateway_backends (name, tenant, owner, enabled, tags, spec, created_at, updated_at)
            VALUES (${spec.name}, ${spec.tenant}, ${spec.owner}, ${spec.enabled}, ${JSON.stringify(spec.tags)}::jsonb,
              ${JSON.stringify(encoded)}::jsonb, now(), now())
            ON CONFLICT (name) DO UPDATE SET tenant = EXCLUDED.tenant, owner = EXCLUDED.owner, enabled = EXCLUDED.enabled,
              tags = EXCLUDED.tags, spec = EXCLUDED.spec, updated_at = EXCLUDED.updated_at
            RETURNING created_at, updated_at`
          const row = rows[0]
          if (row !== undefined) yield* notify({ _tag: "Upserted", name: spec.name, at: row.updated_at.getTime() })
          return rows
        })).pipe(Effect.mapError(storage("upsert")))
        const row = rows[0]
        if (row === undefined) return yield* new RegistryError({ reason: "storage", message: "Registry upsert returned no row" })
        return { ...spec, createdAt: row.created_at, updatedAt: row.updated_at }
      })

    const remove: Service["remove"] = (name) =>
      sql.withTransaction(Effect.gen(function*() {
        const rows = yield* sql<{ readonly name: string }>`DELETE FROM emcee_gateway_backends WHERE name = ${name} RETURNING name`
        if (rows.length > 0) yield* notify({ _tag: "Removed", name })
        return rows.length > 0
      })).pipe(Effect.mapError(storage("remove")))

    const backends = (rows: ReadonlyArray<BackendRow>) =>
      Effect.map(Effect.forEach(rows, backendOf), (all) => all.filter(Option.isSome).map((o) => o.value))

    const find: Service["find"] = (query: FindQuery) =>
      Effect.gen(function*() {
        const conditions = listConditions(query)
        if (query.tool !== undefined) conditions.push(sql`s.tools @> ${JSON.stringify([{ name: query.tool }])}::jsonb`)
        if (query.prompt !== undefined) conditions.push(sql`s.prompts @> ${JSON.stringify([{ name: query.prompt }])}::jsonb`)
        if (query.resource !== undefined) {
          // Exact URIs through the index; templates are matched below.
          conditions.push(
            sql`(s.resources @> ${JSON.stringify([{ uri: query.resource }])}::jsonb OR jsonb_array_length(s.resource_templates) > 0)`
          )
        }
        if (query.capability !== undefined) conditions.push(sql`s.name IS NOT NULL`)
        const rows = yield* sql<BackendRow & SnapshotRow & { readonly snapshot_name: string | null }>`
          SELECT ${sql.unsafe(backendColumns)}, s.name AS snapshot_name, ${sql.unsafe(snapshotColumns)}
          FROM emcee_gateway_backends b LEFT JOIN emcee_gateway_snapshots s ON s.name = b.name
          WHERE ${sql.and(conditions)} ORDER BY b.name COLLATE "C"`.pipe(Effect.mapError(storage("find")))
        const found: Array<Discovered> = []
        for (const row of rows) {
          const backend = yield* backendOf(row)
          if (Option.isNone(backend)) continue
          const snapshot = row.snapshot_name === null ? Option.none<Snapshot>() : yield* snapshotOf(row.name, row)
          const entry = { backend: backend.value, snapshot: Option.getOrUndefined(snapshot) }
          if (matches(entry.backend, entry.snapshot, query)) found.push(entry)
        }
        return found
      })

    // --- changes: LISTEN, watched -------------------------------------------------------------

    const known = yield* Ref.make(new Map<string, number>())
    const pings = new Map<string, Deferred.Deferred<void>>()
    const ready = yield* Deferred.make<void>()
    const synced = yield* Ref.make(false)

    const handle = (raw: string): Effect.Effect<void> => {
      const payload = decodePayload(raw)
      if (Option.isNone(payload)) return Effect.void
      const message = payload.value
      switch (message._tag) {
        case "Ping": {
          const waiting = pings.get(message.id)
          return waiting === undefined ? Effect.void : Deferred.succeed(waiting, undefined)
        }
        case "Upserted":
          return Effect.zipRight(
            Ref.update(known, (names) => new Map(names).set(message.name, message.at)),
            PubSub.publish(hub, upserted(message.name))
          )
        case "Removed":
          return Effect.zipRight(
            Ref.update(known, (names) => {
              const next = new Map(names)
              next.delete(message.name)
              return next
            }),
            PubSub.publish(hub, removed(message.name))
          )
      }
    }

    /** Waits for a ping of its own to come back through the channel, sending it every `every` until then. */
    const ping = (timeout: Duration.Duration, every: Duration.Duration) =>
      Effect.gen(function*() {
        const id = crypto.randomUUID()
        const echoed = yield* Deferred.make<void>()
        pings.set(id, echoed)
        yield* notify({ _tag: "Ping", id }).pipe(
          Effect.ignore,
          Effect.repeat(Schedule.spaced(every)),
          Effect.fork,
          Effect.flatMap((sender) =>
            Effect.ensuring(
              Effect.timeoutFail(Deferred.await(echoed), {
                duration: timeout,
                onTimeout: () => new SqlError({ message: `No notification came back on channel ${channel} within ${Duration.format(timeout)}` })
              }),
              Effect.zipRight(Effect.sync(() => pings.delete(id)), Fiber.interrupt(sender))
            )
          )
        )
      })

    /** Re-reads the registry and announces what differs from what was last known. */
    const resync = (announce: boolean) =>
      Effect.gen(function*() {
        const rows = yield* sql<{ readonly name: string; readonly updated_at: Date }>`
          SELECT name, updated_at FROM emcee_gateway_backends`
        const current = new Map(rows.map((row) => [row.name, row.updated_at.getTime()] as const))
        const previous = yield* Ref.getAndSet(known, current)
        if (!announce) return
        for (const [name, at] of current) {
          if (previous.get(name) !== at) yield* PubSub.publish(hub, upserted(name))
        }
        for (const name of previous.keys()) {
          if (!current.has(name)) yield* PubSub.publish(hub, removed(name))
        }
      })

    const listening = Stream.runForEach(pg.listen(channel), handle).pipe(
      Effect.zipRight(Effect.fail(new SqlError({ message: `Listening on ${channel} ended` })))
    )
    const watching = Effect.gen(function*() {
      yield* ping(Duration.seconds(10), Duration.millis(100))
      yield* resync(yield* Ref.getAndSet(synced, true))
      yield* Deferred.succeed(ready, undefined)
      yield* Effect.forever(Effect.zipRight(Effect.sleep(healthInterval), ping(healthTimeout, healthTimeout)))
    })
    const session = Effect.raceFirst(listening, watching).pipe(
      // A dead connection can make the listener's finalizer die: a failure like any other here.
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.fail(Cause.squash(cause))
      ),
      Effect.tapError((error) =>
        Effect.logWarning("The registry's LISTEN connection failed; listening again").pipe(
          Effect.annotateLogs({ channel, reason: error instanceof Error ? error.message : String(error) })
        )
      )
    )
    yield* session.pipe(
      Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")), Schedule.jittered)),
      Effect.forkScoped
    )
    yield* Effect.timeoutFail(Deferred.await(ready), {
      duration: Duration.seconds(15),
      onTimeout: () => new SqlError({ message: `The registry could not LISTEN on channel ${channel}` })
    })

    const service: Service = {
      upsert,
      remove,
      get: (name) =>
        sql<BackendRow>`SELECT ${sql.unsafe(backendColumns)} FROM emcee_gateway_backends b WHERE b.name = ${name}`.pipe(
          Effect.mapError(storage("get")),
          Effect.flatMap((rows) => (rows[0] === undefined ? Effect.succeed(Option.none<Backend>()) : backendOf(rows[0])))
        ),
      list: (query = {}) =>
        sql<BackendRow>`SELECT ${sql.unsafe(backendColumns)} FROM emcee_gateway_backends b
          WHERE ${sql.and(listConditions(query))} ORDER BY b.name COLLATE "C"`.pipe(
          Effect.mapError(storage("list")),
          Effect.flatMap(backends)
        ),
      setSnapshot: (name, snapshot) =>
        Effect.gen(function*() {
          const checked = yield* checkSnapshot(snapshot)
          const encoded = yield* Effect.mapError(encodeSnapshot(checked), storage("setSnapshot"))
          const rows = yield* sql<{ readonly name: string }>`
            INSERT INTO emcee_gateway_snapshots
              (name, tools, resources, resource_templates, prompts, capabilities, server_info, protocol_version, refreshed_at)
            SELECT name, ${JSON.stringify(encoded.tools)}::jsonb, ${JSON.stringify(encoded.resources)}::jsonb,
              ${JSON.stringify(encoded.resourceTemplates)}::jsonb, ${JSON.stringify(encoded.prompts)}::jsonb,
              ${JSON.stringify(encoded.capabilities)}::jsonb, ${JSON.stringify(encoded.serverInfo)}::jsonb,
              ${checked.protocolVersion}, ${checked.refreshedAt}
            FROM emcee_gateway_backends WHERE name = ${name}
            ON CONFLICT (name) DO UPDATE SET tools = EXCLUDED.tools, resources = EXCLUDED.resources,
              resource_templates = EXCLUDED.resource_templates, prompts = EXCLUDED.prompts,
              capabilities = EXCLUDED.capabilities, server_info = EXCLUDED.server_info,
              protocol_version = EXCLUDED.protocol_version, refreshed_at = EXCLUDED.refreshed_at
            RETURNING name`.pipe(Effect.mapError(storage("setSnapshot")))
          if (rows.length === 0) return yield* notFound(name)
        }),
      getSnapshot: (name) =>
        sql<SnapshotRow>`SELECT ${sql.unsafe(snapshotColumns)} FROM emcee_gateway_snapshots s WHERE s.name = ${name}`.pipe(
          Effect.mapError(storage("getSnapshot")),
          Effect.flatMap((rows) => (rows[0] === undefined ? Effect.succeed(Option.none<Snapshot>()) : snapshotOf(name, rows[0])))
        ),
      find,
      changes: Stream.fromPubSub(hub),
      subscribe: Stream.fromPubSub(hub, { scoped: true })
    }
    return service
  })
