/**
 * The registry of backends, in memory and in a real PostgreSQL (one
 * embedded server for this file): CRUD and filters, capability snapshots
 * and discovery, and two replicas (two connection pools) on one database
 * seeing each other's changes through LISTEN/NOTIFY within a second.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Exit, Fiber, Layer, Option, Schema, type Scope, Stream } from "effect"
import * as fc from "fast-check"
import * as Backend from "../src/Backend.js"
import * as Registry from "../src/Registry.js"
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

/** A PostgreSQL registry on a client of its own, for the scope. */
const replica = (options?: Registry.PostgresRegistryOptions) =>
  Effect.flatMap(client(), (context) => Effect.provide(Registry.makePostgres(options), context))

/** Deletes every backend (and, by cascade, snapshot); the tables exist once a registry was made. */
const emptied = Effect.gen(function*() {
  const context = yield* client()
  yield* Effect.provide(Registry.migrate, context)
  yield* Effect.provide(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM emcee_gateway_backends`), context)
})

const http = (name: string, extra: Partial<Registry.BackendInput> = {}): Registry.BackendInput => ({
  name,
  transport: "http",
  endpoint: { url: `http://127.0.0.1:9/${name}` },
  ...extra
})

const snapshot = (extra: Partial<Registry.Snapshot> = {}): Registry.Snapshot => ({
  tools: [],
  resources: [],
  resourceTemplates: [],
  prompts: [],
  capabilities: {},
  serverInfo: { name: "backend", version: "1.0.0" },
  protocolVersion: "2025-11-25",
  refreshedAt: new Date("2026-01-02T03:04:05.678Z"),
  ...extra
})

const tool = (name: string) => ({ name, inputSchema: { type: "object" as const } })

const names = (backends: ReadonlyArray<{ readonly name: string }>) => backends.map((backend) => backend.name)
const found = (discovered: ReadonlyArray<Registry.Discovered>) => discovered.map((d) => d.backend.name)

/** The same behaviour from both stores. */
const contract = (label: string, make: Effect.Effect<Registry.Service, unknown, Scope.Scope>) =>
  describe(`Registry contract: ${label}`, () => {
    it.live("upsert applies the defaults, get returns the record, a second upsert keeps createdAt", () =>
      Effect.scoped(Effect.gen(function*() {
        const registry = yield* make
        const first = yield* registry.upsert(http("weather"))
        expect(first).toMatchObject({
          name: "weather",
          version: "0.0.0",
          tags: [],
          weight: 1,
          tenant: null,
          owner: null,
          enabled: true
        })
        expect(first.createdAt).toBeInstanceOf(Date)
        yield* Effect.sleep("5 millis")
        const second = yield* registry.upsert(http("weather", { version: "2.0.0", tags: ["forecast"] }))
        expect(second.createdAt.getTime()).toBe(first.createdAt.getTime())
        expect(second.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime())
        const got = Option.getOrThrow(yield* registry.get("weather"))
        expect(got).toEqual(second)
        expect(yield* registry.get("nope")).toEqual(Option.none())
      })))

    it.live("stdio backends keep their command, args, env, cwd, instances, prefix and credentials", () =>
      Effect.scoped(Effect.gen(function*() {
        const registry = yield* make
        const input: Registry.BackendInput = {
          name: "files",
          title: "Files",
          description: "A file server",
          version: "1.2.3",
          transport: "stdio",
          endpoint: { command: "node", args: ["server.js", "--root", "/srv"], env: { LOG: "debug" }, cwd: "/opt/files" },
          instances: [
            { id: "a", endpoint: { command: "node", args: ["a.js"] }, weight: 3 },
            { id: "b", endpoint: { command: "node" } }
          ],
          prefix: "fs",
          protocolVersion: "2026-07-28",
          credentials: { kind: "client_credentials", tokenUrl: "https://auth.example/token", clientId: "gw", clientSecret: "s3cret", scope: "mcp" },
          tenant: "acme",
          owner: "alice"
        }
        const stored = yield* registry.upsert(input)
        expect(Option.getOrThrow(yield* registry.get("files"))).toEqual(stored)
        expect(stored.endpoint).toEqual(input.endpoint)
        expect(stored.instances).toEqual([
          { id: "a", endpoint: { command: "node", args: ["a.js"], env: {} }, weight: 3 },
          { id: "b", endpoint: { command: "node", args: [], env: {} }, weight: 1 }
        ])
        expect(stored.credentials).toEqual(input.credentials)
      })))

    it.live("invalid backends are refused with the reason (name charset, transport/endpoint mismatch, weights)", () =>
      Effect.scoped(Effect.gen(function*() {
        const registry = yield* make
        const bad: ReadonlyArray<unknown> = [
          http("has space"),
          http("x".repeat(65)),
          http(""),
          { name: "mismatch", transport: "stdio", endpoint: { url: "http://127.0.0.1:9/" } },
          { name: "mismatch", transport: "http", endpoint: { command: "node" } },
          http("scheme", { endpoint: { url: "file:///etc/passwd" } }),
          http("weight", { weight: -1 }),
          http("weight", { weight: Number.NaN }),
          http("dup", { instances: [{ id: "a", endpoint: { url: "http://127.0.0.1:9/" } }, { id: "a", endpoint: { url: "http://127.0.0.1:8/" } }] }),
          http("mixed", { instances: [{ id: "a", endpoint: { command: "node" } }] }),
          { ...http("extra"), surprise: true }
        ]
        for (const input of bad) {
          const exit = yield* Effect.exit(registry.upsert(input as Registry.BackendInput))
          expect(Exit.isFailure(exit), JSON.stringify(input)).toBe(true)
          if (Exit.isFailure(exit)) expect(exit.cause).toMatchObject({ error: { _tag: "RegistryError", reason: "invalid" } })
        }
        expect(yield* registry.list()).toEqual([])
      })))

    it.live("list filters by tenant (own and shared), tag, enabled and owner, ordered by name", () =>
      Effect.scoped(Effect.gen(function*() {
        const registry = yield* make
        yield* registry.upsert(http("b-shared", { tags: ["search"] }))
        yield* registry.upsert(http("a-acme", { tenant: "acme", owner: "alice", tags: ["search", "web"] }))
        yield* registry.upsert(http("c-globex", { tenant: "globex", enabled: false }))
        yield* registry.upsert(http("B-upper"))
        expect(names(yield* registry.list())).toEqual(["B-upper", "a-acme", "b-shared", "c-globex"])
        expect(names(yield* registry.list({ tenant: "acme" }))).toEqual(["B-upper", "a-acme", "b-shared"])
        expect(names(yield* registry.list({ tenant: "acme", includeShared: false }))).toEqual(["a-acme"])
        expect(names(yield* registry.list({ tenant: null }))).toEqual(["B-upper", "b-shared"])
        expect(names(yield* registry.list({ tag: "search" }))).toEqual(["a-acme", "b-shared"])
        expect(names(yield* registry.list({ tag: "web", tenant: "globex" }))).toEqual([])
        expect(names(yield* registry.list({ enabled: false }))).toEqual(["c-globex"])
        expect(names(yield* registry.list({ owner: "alice" }))).toEqual(["a-acme"])
      })))

    it.live("remove deletes the backend and its snapshot; removing twice says false", () =>
      Effect.scoped(Effect.gen(function*() {
        const registry = yield* make
        yield* registry.upsert(http("gone"))
        yield* registry.setSnapshot("gone", snapshot({ tools: [tool("t")] }))
        expect(yield* registry.remove("gone")).toBe(true)
        expect(yield* registry.remove("gone")).toBe(false)
        expect(yield* registry.get("gone")).toEqual(Option.none())
        expect(yield* registry.getSnapshot("gone")).toEqual(Option.none())
        yield* registry.upsert(http("gone"))
        expect(yield* registry.getSnapshot("gone")).toEqual(Option.none())
      })))

    it.live("snapshots round-trip and are replaced; an unknown backend's snapshot is not-found", () =>
      Effect.scoped(Effect.gen(function*() {
        const registry = yield* make
        yield* registry.upsert(http("weather"))
        const first = snapshot({
          tools: [{ ...tool("forecast"), description: "Forecast", annotations: { readOnlyHint: true }, _meta: { "x/y": 1 } }],
          resources: [{ uri: "weather://stations", name: "stations", mimeType: "application/json" }],
          resourceTemplates: [{ uriTemplate: "weather://city/{name}", name: "city" }],
          prompts: [{ name: "brief", arguments: [{ name: "city", required: true }] }],
          capabilities: { tools: { listChanged: true }, resources: { subscribe: true } },
          serverInfo: { name: "weather", version: "3.1.0", title: "Weather" },
          protocolVersion: "2026-07-28"
        })
        yield* registry.setSnapshot("weather", first)
        expect(Option.getOrThrow(yield* registry.getSnapshot("weather"))).toEqual(first)
        const second = snapshot({ tools: [tool("now")] })
        yield* registry.setSnapshot("weather", second)
        expect(Option.getOrThrow(yield* registry.getSnapshot("weather"))).toEqual(second)
        const exit = yield* Effect.exit(registry.setSnapshot("missing", second))
        expect(exit).toMatchObject({ _tag: "Failure", cause: { error: { reason: "not-found" } } })
        const invalid = yield* Effect.exit(registry.setSnapshot("weather", { ...second, tools: [{ name: 1 }] } as unknown as Registry.Snapshot))
        expect(invalid).toMatchObject({ _tag: "Failure", cause: { error: { reason: "invalid" } } })
      })))

    it.live("discovery by tool, resource (URI or template), prompt, tag, capability and tenant", () =>
      Effect.scoped(Effect.gen(function*() {
        const registry = yield* make
        yield* registry.upsert(http("weather", { tags: ["geo"] }))
        yield* registry.upsert(http("maps", { tags: ["geo"], tenant: "acme" }))
        yield* registry.upsert(http("mail"))
        yield* registry.upsert(http("fresh"))
        yield* registry.setSnapshot("weather", snapshot({
          tools: [tool("forecast"), tool("search")],
          resourceTemplates: [{ uriTemplate: "weather://city/{name}{?units}", name: "city" }],
          capabilities: { tools: { listChanged: true } }
        }))
        yield* registry.setSnapshot("maps", snapshot({
          tools: [tool("search")],
          resources: [{ uri: "maps://world", name: "world" }],
          prompts: [{ name: "route" }],
          capabilities: { tools: {}, resources: { subscribe: true } }
        }))
        yield* registry.setSnapshot("mail", snapshot({ prompts: [{ name: "compose" }], capabilities: { prompts: { listChanged: false } } }))
        expect(found(yield* registry.find({ tool: "search" }))).toEqual(["maps", "weather"])
        expect(found(yield* registry.find({ tool: "search", tenant: "globex" }))).toEqual(["weather"])
        expect(found(yield* registry.find({ tool: "forecast", tag: "geo" }))).toEqual(["weather"])
        expect(found(yield* registry.find({ tool: "nothing" }))).toEqual([])
        expect(found(yield* registry.find({ resource: "maps://world" }))).toEqual(["maps"])
        expect(found(yield* registry.find({ resource: "weather://city/paris?units=metric" }))).toEqual(["weather"])
        expect(found(yield* registry.find({ resource: "weather://town/paris" }))).toEqual([])
        expect(found(yield* registry.find({ prompt: "route" }))).toEqual(["maps"])
        expect(found(yield* registry.find({ tag: "geo" }))).toEqual(["maps", "weather"])
        expect(found(yield* registry.find({ capability: "resources.subscribe" }))).toEqual(["maps"])
        expect(found(yield* registry.find({ capability: "tools" }))).toEqual(["maps", "weather"])
        expect(found(yield* registry.find({ capability: "prompts.listChanged" }))).toEqual([])
        expect(found(yield* registry.find({ capability: "prompts" }))).toEqual(["mail"])
        // No snapshot-based criterion: every listed backend, with its snapshot when it has one.
        const all = yield* registry.find({})
        expect(found(all)).toEqual(["fresh", "mail", "maps", "weather"])
        expect(all[0]!.snapshot).toBeUndefined()
        expect(all[3]!.snapshot?.tools.map((t) => t.name)).toEqual(["forecast", "search"])
      })))

    it.live("changes announce upserts and removals made through this registry", () =>
      Effect.scoped(Effect.gen(function*() {
        const registry = yield* make
        const stream = yield* registry.subscribe
        const fiber = yield* Effect.fork(Stream.runCollect(Stream.take(stream, 3)))
        yield* registry.upsert(http("one"))
        yield* registry.remove("one")
        yield* registry.remove("one")
        yield* registry.upsert(http("two"))
        const changes = Chunk.toReadonlyArray(yield* Fiber.join(fiber).pipe(Effect.timeout("5 seconds")))
        expect(changes).toEqual([Registry.upserted("one"), Registry.removed("one"), Registry.upserted("two")])
      })))
  })

contract("memory", Registry.makeMemory)
contract("PostgreSQL", Effect.tap(replica(), () => emptied))

describe("BackendSpec", () => {
  it("decoding arbitrary input never throws, and what decodes validates", () => {
    const decode = Schema.decodeUnknownEither(Registry.BackendSpec)
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            name: fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/)),
            transport: fc.constantFrom("http", "stdio", "ws"),
            endpoint: fc.oneof(fc.record({ url: fc.webUrl() }), fc.record({ command: fc.string() }), fc.anything()),
            weight: fc.oneof(fc.double(), fc.integer())
          }, { requiredKeys: [] })
        ),
        (input) => {
          const result = decode(input)
          if (result._tag === "Right") {
            expect(Schema.is(Registry.BackendSpec)(result.right)).toBe(true)
            // What the registry takes is a name the gateway serves (one rule: `Backend.namePattern`).
            expect(result.right.name).toMatch(Backend.namePattern)
            expect(Backend.invalidName(result.right.name)).toBeUndefined()
          }
        }
      ),
      { numRuns: 500 }
    )
  })

  it("encodes to JSON for the REST API and decodes back to the same record", () => {
    const backend: Registry.Backend = {
      ...Schema.decodeUnknownSync(Registry.BackendSpec)(http("weather", { tags: ["x"] })),
      createdAt: new Date("2026-01-01T00:00:00.000Z"),
      updatedAt: new Date("2026-01-02T00:00:00.000Z")
    }
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Registry.Backend)(backend))) as unknown
    expect(json).toMatchObject({ createdAt: "2026-01-01T00:00:00.000Z", endpoint: { url: "http://127.0.0.1:9/weather" } })
    expect(Schema.decodeUnknownSync(Registry.Backend)(json)).toEqual(backend)
  })
})

describe("PostgreSQL registry", () => {
  it.live("migrate is idempotent, and a Layer on PgClient provides the service", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* client()
      yield* Effect.provide(Effect.all([Registry.migrate, Registry.migrate, Registry.migrate]), context)
      const built = yield* Layer.build(Registry.postgres.pipe(Layer.provide(Layer.succeedContext(context))))
      expect(yield* Context.get(built, Registry.Registry).list()).toBeInstanceOf(Array)
    })))

  it.live("two replicas (two pools) on one database: an upsert or removal through one reaches the other's changes within a second", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* emptied
      const one = yield* replica()
      const two = yield* replica()
      const onTwo = yield* two.subscribe
      const onOne = yield* one.subscribe
      const seenOnTwo = yield* Effect.fork(Stream.runCollect(Stream.take(onTwo, 2)))
      const seenOnOne = yield* Effect.fork(Stream.runCollect(Stream.take(onOne, 2)))
      const started = Date.now()
      yield* one.upsert(http("shared-one", { tags: ["t"] }))
      yield* two.remove("shared-one")
      const changes = Chunk.toReadonlyArray(yield* Fiber.join(seenOnTwo).pipe(Effect.timeout("1 second")))
      expect(changes).toEqual([Registry.upserted("shared-one"), Registry.removed("shared-one")])
      expect(Date.now() - started).toBeLessThan(1000)
      // The writer's own replica hears its changes too, in the same order.
      expect(Chunk.toReadonlyArray(yield* Fiber.join(seenOnOne).pipe(Effect.timeout("1 second")))).toEqual(changes)
    })))

  it.live("a registration through one replica is read by the other right after its change arrives", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* emptied
      const one = yield* replica()
      const two = yield* replica()
      const stream = yield* two.subscribe
      const next = yield* Effect.fork(Stream.runHead(stream))
      const stored = yield* one.upsert(http("visible", { tenant: "acme", weight: 5 }))
      expect(yield* Fiber.join(next).pipe(Effect.timeout("1 second"))).toEqual(Option.some(Registry.upserted("visible")))
      expect(Option.getOrThrow(yield* two.get("visible"))).toEqual(stored)
    })))

  it.live("a listener whose connection is killed listens again and announces what changed meanwhile", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* emptied
      const writer = yield* replica()
      yield* writer.upsert(http("before"))
      const reader = yield* replica({ healthInterval: "100 millis", healthTimeout: "300 millis" })
      const stream = yield* reader.subscribe
      const collected = yield* Effect.fork(Stream.runCollect(Stream.take(stream, 2)))
      const admin = yield* client()
      // Kill every LISTENing connection: the reader's (and the writer's) listener dies without a word.
      yield* Effect.provide(
        Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`),
        admin
      )
      yield* writer.upsert(http("during")).pipe(Effect.retry({ times: 3 }))
      yield* writer.remove("before").pipe(Effect.retry({ times: 3 }))
      const changes = Chunk.toReadonlyArray(yield* Fiber.join(collected).pipe(Effect.timeout("10 seconds")))
      expect([...changes].sort((a, b) => a.name.localeCompare(b.name))).toEqual([Registry.removed("before"), Registry.upserted("during")])
    })), 20_000)

  it.live("a row whose spec no longer decodes is skipped, not fatal", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* emptied
      const registry = yield* replica()
      yield* registry.upsert(http("good"))
      yield* registry.upsert(http("bad"))
      const admin = yield* client()
      yield* Effect.provide(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE emcee_gateway_backends SET spec = '{"name": 1}'::jsonb WHERE name = 'bad'`),
        admin
      )
      expect(names(yield* registry.list())).toEqual(["good"])
      expect(yield* registry.get("bad")).toEqual(Option.none())
      expect(found(yield* registry.find({}))).toEqual(["good"])
    })))
})
