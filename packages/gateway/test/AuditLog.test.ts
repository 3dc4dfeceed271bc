/**
 * The audit log, in memory and in a real PostgreSQL (one embedded server
 * for this file): batching (a burst lands, newest first, everything
 * recorded before close is written), `record` never waiting (a full queue
 * drops and counts; a locked table does not slow callers), query filters
 * and paging, redaction of arguments, two replicas writing one table.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, type Scope } from "effect"
import * as fc from "fast-check"
import * as AuditLog from "../src/AuditLog.js"
import { clientLayer, type StartedPostgres, startPostgres } from "../../auth/test/support/postgres.js"

let pg: StartedPostgres | undefined
beforeAll(async () => {
  pg = await startPostgres()
}, 60_000)
afterAll(async () => {
  await pg?.stop()
})

const url = () => {
  if (pg === undefined) throw new Error("PostgreSQL did not start")
  return pg.url
}

/** A client with a pool of its own (a replica), for the scope. */
const client = () => Effect.suspend(() => Layer.build(clientLayer(url())))

const onClient = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
  Effect.flatMap(client(), (context) => Effect.provide(effect, context))

const emptied = onClient(Effect.gen(function*() {
  yield* AuditLog.migrate
  const sql = yield* SqlClient.SqlClient
  yield* sql`DELETE FROM emcee_gateway_audit`
}))

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second))

const record = (n: number, extra: Partial<AuditLog.AuditRecord> = {}): AuditLog.AuditRecord => ({
  at: at(n),
  requestId: `r${n}`,
  principal: n % 2 === 0 ? "alice" : "bob",
  tenant: n % 3 === 0 ? "acme" : "globex",
  backend: n % 5 === 0 ? "weather" : "maps",
  method: "tools/call",
  name: "search",
  outcome: n % 7 === 0 ? "denied" : "ok",
  latencyMs: n / 10,
  ...extra
})

/** Every entry of a query, page by page. */
const all = (log: AuditLog.Service, query: AuditLog.AuditQuery) =>
  Effect.gen(function*() {
    const entries: Array<AuditLog.AuditEntry> = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = yield* log.query({ ...query, cursor })
      entries.push(...page.entries)
      cursor = page.nextCursor
      pages += 1
    } while (cursor !== undefined && pages < 10_000)
    return { entries, pages }
  })

type Make = (options?: AuditLog.AuditLogOptions) => Effect.Effect<AuditLog.Service, unknown, Scope.Scope>

const contract = (label: string, make: Make, reset: Effect.Effect<void, unknown, Scope.Scope>) =>
  describe(`AuditLog contract: ${label}`, () => {
    it.live("a burst of records lands in batches, newest first, and is paged without gaps or repeats", () =>
      Effect.scoped(Effect.gen(function*() {
        yield* reset
        const log = yield* make({ batchSize: 100, flushInterval: "20 millis" })
        // Recorded out of order: the log orders by time, not by arrival.
        const order = Array.from({ length: 1500 }, (_, i) => (i * 7919) % 1500)
        yield* Effect.forEach(order, (n) => log.record(record(n)), { discard: true })
        yield* log.flush
        const { entries, pages } = yield* all(log, { limit: 200 })
        expect(entries).toHaveLength(1500)
        expect(pages).toBe(8)
        expect(entries.map((entry) => entry.requestId)).toEqual(Array.from({ length: 1500 }, (_, i) => `r${1499 - i}`))
        expect(new Set(entries.map((entry) => entry.id)).size).toBe(1500)
        expect(entries[0]).toMatchObject({
          at: at(1499),
          requestId: "r1499",
          principal: "bob",
          tenant: "globex",
          backend: "maps",
          method: "tools/call",
          name: "search",
          outcome: "ok",
          latencyMs: 149.9
        })
        expect(entries[0]).not.toHaveProperty("arguments")
        expect(yield* log.stats).toMatchObject({ recorded: 1500, written: 1500, dropped: 0, failed: 0, pending: 0 })
      })))

    it.live("records are written on the time threshold without a flush", () =>
      Effect.scoped(Effect.gen(function*() {
        yield* reset
        const log = yield* make({ batchSize: 1000, flushInterval: "50 millis" })
        yield* log.record(record(1))
        yield* Effect.sleep("400 millis")
        expect((yield* log.query({})).entries.map((entry) => entry.requestId)).toEqual(["r1"])
      })))

    it.live("closing the scope writes everything recorded before it", () =>
      Effect.gen(function*() {
        yield* Effect.scoped(reset)
        const log = yield* Effect.scoped(Effect.gen(function*() {
          const log = yield* make({ batchSize: 10_000, flushInterval: "1 hour" })
          yield* Effect.forEach(Array.from({ length: 250 }, (_, i) => i), (n) => log.record(record(n)), { discard: true })
          expect((yield* log.stats).pending).toBe(250)
          return log
        }))
        // The store outlives the log's writer: in PostgreSQL, a new log on the same database reads the same.
        const entries = yield* Effect.scoped(Effect.gen(function*() {
          const reader = label === "memory" ? log : yield* make()
          return (yield* all(reader, { limit: 1000 })).entries
        }))
        expect(entries).toHaveLength(250)
      }))

    it.live("record never waits: past capacity it drops and counts", () =>
      Effect.scoped(Effect.gen(function*() {
        yield* reset
        const log = yield* make({ capacity: 10, batchSize: 1000, flushInterval: "1 hour" })
        const started = performance.now()
        yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (n) => log.record(record(n)), { discard: true })
        expect(performance.now() - started).toBeLessThan(500)
        expect(yield* log.stats).toMatchObject({ recorded: 10, dropped: 90, pending: 10 })
        yield* log.flush
        expect((yield* log.query({ limit: 1000 })).entries.map((entry) => entry.requestId)).toEqual(
          Array.from({ length: 10 }, (_, i) => `r${9 - i}`)
        )
      })))

    it.live("query filters by tenant, backend, principal, outcome, method and time range", () =>
      Effect.scoped(Effect.gen(function*() {
        yield* reset
        const log = yield* make()
        yield* Effect.forEach(Array.from({ length: 60 }, (_, i) => i), (n) =>
          log.record(record(n, n === 59 ? { method: "resources/read", name: "maps://world" } : {})), { discard: true })
        yield* log.flush
        const ids = (entries: ReadonlyArray<AuditLog.AuditEntry>) => entries.map((entry) => Number(entry.requestId.slice(1)))
        const expected = (keep: (n: number) => boolean) => Array.from({ length: 60 }, (_, i) => 59 - i).filter(keep)
        expect(ids((yield* all(log, { tenant: "acme", limit: 7 })).entries)).toEqual(expected((n) => n % 3 === 0))
        expect(ids((yield* log.query({ backend: "weather" })).entries)).toEqual(expected((n) => n % 5 === 0))
        expect(ids((yield* log.query({ principal: "alice", outcome: "denied" })).entries)).toEqual(expected((n) => n % 14 === 0))
        expect(ids((yield* log.query({ method: "resources/read" })).entries)).toEqual([59])
        expect(ids((yield* log.query({ since: at(10), until: at(13) })).entries)).toEqual([12, 11, 10])
        expect(ids((yield* log.query({ tenant: "nobody" })).entries)).toEqual([])
        expect((yield* log.query({ limit: 0 })).entries).toHaveLength(1)
        expect((yield* log.query({ limit: Number.NaN })).entries).toHaveLength(60)
        const invalid = yield* Effect.exit(log.query({ cursor: "not-a-cursor" }))
        expect(invalid).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "AuditLogError", reason: "invalid-cursor" } } })
        expect(Exit.isFailure(yield* Effect.exit(log.query({ cursor: Buffer.from("[\"x\",\"1\"]").toString("base64url") })))).toBe(true)
      })))

    it.live("arguments are kept only when configured, with the values of sensitive keys redacted at any depth", () =>
      Effect.scoped(Effect.gen(function*() {
        yield* reset
        const args = {
          city: "Paris",
          password: "hunter2",
          nested: { apiKey: "k-123", list: [{ accessToken: "t-1", keep: 1 }, "plain"], Authorization: "Bearer x" },
          client_secret: "s",
          count: 3
        }
        const off = yield* make()
        yield* off.record(record(1, { arguments: args }))
        yield* off.flush
        const [plain] = (yield* off.query({})).entries
        expect(plain).not.toHaveProperty("arguments")
        yield* reset
        const on = yield* make({ recordArguments: true })
        yield* on.record(record(2, { arguments: args }))
        yield* on.record(record(3, { arguments: { big: "x".repeat(20_000) } }))
        yield* on.record(record(4, { arguments: { "bad\u0000city": "nul\u0000inside", n: Number.POSITIVE_INFINITY }, name: "na\u0000me" }))
        yield* on.flush
        const entries = (yield* on.query({})).entries
        const byId = (id: string) => entries.find((entry) => entry.requestId === id)
        expect(byId("r2")?.arguments).toEqual({
          city: "Paris",
          password: AuditLog.REDACTED,
          nested: { apiKey: AuditLog.REDACTED, list: [{ accessToken: AuditLog.REDACTED, keep: 1 }, "plain"], Authorization: AuditLog.REDACTED },
          client_secret: AuditLog.REDACTED,
          count: 3
        })
        expect(JSON.stringify(entries)).not.toMatch(/hunter2|k-123|t-1|Bearer x/)
        expect(byId("r3")?.arguments).toEqual({ "[truncated]": true, length: 20_010 })
        expect(byId("r4")).toMatchObject({ name: "name", arguments: { badcity: "nulinside", n: null } })
        yield* reset
        const custom = yield* make({ recordArguments: true, redact: ["city", /^n/] })
        yield* custom.record(record(5, { arguments: { city: "Paris", name: "x", password: "kept" } }))
        yield* custom.flush
        expect((yield* custom.query({})).entries[0]?.arguments).toEqual({ city: AuditLog.REDACTED, name: AuditLog.REDACTED, password: "kept" })
      })))
  })

contract("memory", AuditLog.makeMemory, Effect.void)
contract("PostgreSQL", (options) => Effect.flatMap(client(), (context) => Effect.provide(AuditLog.makePostgres(options), context)), emptied)

describe("PostgreSQL audit log", () => {
  const log = (options?: AuditLog.AuditLogOptions) =>
    Effect.flatMap(client(), (context) => Effect.provide(AuditLog.makePostgres(options), context))

  it.live("a locked table does not slow callers: records wait in the queue and land once it is free", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* emptied
      const audit = yield* log({ batchSize: 50, flushInterval: "10 millis" })
      const release = yield* Deferred.make<void>()
      const locked = yield* Deferred.make<void>()
      const holder = yield* onClient(Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(Effect.gen(function*() {
          yield* sql`LOCK TABLE emcee_gateway_audit IN ACCESS EXCLUSIVE MODE`
          yield* Deferred.succeed(locked, undefined)
          yield* Deferred.await(release)
        })))).pipe(Effect.scoped, Effect.fork)
      yield* Deferred.await(locked)
      const started = performance.now()
      yield* Effect.forEach(Array.from({ length: 1000 }, (_, i) => i), (n) => audit.record(record(n)), { discard: true })
      expect(performance.now() - started).toBeLessThan(300)
      yield* Effect.sleep("200 millis")
      expect((yield* audit.stats).written).toBe(0)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      yield* audit.flush
      expect(yield* audit.stats).toMatchObject({ recorded: 1000, written: 1000, failed: 0, pending: 0 })
      expect((yield* all(audit, { limit: 1000 })).entries).toHaveLength(1000)
    })), 20_000)

  it.live("two replicas write into one table; each reads both", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* emptied
      const one = yield* log()
      const two = yield* log()
      yield* one.record(record(1, { backend: "one" }))
      yield* two.record(record(2, { backend: "two" }))
      yield* Effect.all([one.flush, two.flush])
      expect((yield* one.query({})).entries.map((entry) => entry.backend)).toEqual(["two", "one"])
      expect((yield* two.query({})).entries.map((entry) => entry.backend)).toEqual(["two", "one"])
    })))

  it.live("a Layer provides the service and migrate is idempotent", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* client()
      yield* Effect.provide(Effect.all([AuditLog.migrate, AuditLog.migrate]), context)
      const built = yield* Layer.build(AuditLog.postgres().pipe(Layer.provide(Layer.succeedContext(context))))
      expect(built).toBeDefined()
    })))
})

describe("redaction", () => {
  it("no value under a redacted key survives, at any depth, and the result is JSON", () => {
    const secret = "SECRET-VALUE"
    const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("password", "Token", "apiKey", "x_secret"))
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom<unknown>(secret, 1, null, true, "text"),
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(key, tie("node"), { maxKeys: 4 })
      )
    })).node
    fc.assert(
      fc.property(tree, (value) => {
        const redacted = AuditLog.redactValue(value, (k) => AuditLog.defaultRedact.test(k))
        expect(JSON.parse(JSON.stringify(redacted ?? null))).toEqual(redacted ?? null)
        const walk = (node: unknown, underSecretKey: boolean): void => {
          if (underSecretKey) expect(node).toBe(AuditLog.REDACTED)
          else if (Array.isArray(node)) node.forEach((item) => walk(item, false))
          else if (typeof node === "object" && node !== null) {
            for (const [k, v] of Object.entries(node)) walk(v, AuditLog.defaultRedact.test(k))
          }
        }
        walk(redacted, false)
      }),
      { numRuns: 300 }
    )
  })
})
