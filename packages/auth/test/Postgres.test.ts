import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option } from "effect"
import * as ApiKeys from "../src/ApiKeys.js"
import * as Authentication from "../src/Authentication.js"
import { fromHeaders } from "../src/Authenticator.js"
import * as Postgres from "../src/Postgres.js"
import * as Principal from "../src/Principal.js"
import * as SessionStore from "../src/SessionStore.js"
import * as Sessions from "../src/Sessions.js"
import { clientLayer, type StartedPostgres, startPostgres } from "./support/postgres.js"
import { sessionOf, sessionStoreContract } from "./support/sessionStoreContract.js"

let pg: StartedPostgres | undefined
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg?.stop()
})

const url = () => {
  if (pg === undefined) throw new Error("PostgreSQL did not start")
  return pg.url
}

/** A client of its own (its own pool: a replica), for the scope. */
const client = (databaseUrl = url()) => Layer.build(clientLayer(databaseUrl))

/** Runs `effect` on a client of its own. */
const onReplica = <A, E, R>(context: Context.Context<SqlClient.SqlClient>, effect: Effect.Effect<A, E, R>) =>
  Effect.provide(effect, context)

describe("SessionStore contract: PostgreSQL", () => {
  sessionStoreContract(Effect.gen(function*() {
    const context = yield* client()
    return yield* onReplica(context, Effect.gen(function*() {
      const store = yield* Postgres.makeSessionStore
      const sql = yield* SqlClient.SqlClient
      yield* sql`DELETE FROM emcee_auth_sessions`
      return store
    }))
  }))
})

describe("PostgreSQL sessions", () => {
  const alice = Principal.make("alice", ["tools:call"], { tenant: "acme", roles: ["editor"], kind: "jwt" })

  const replica = (context: Context.Context<SqlClient.SqlClient>) =>
    Layer.build(Sessions.layer({ idleTtl: "10 minutes" }).pipe(Layer.provide(Postgres.sessionStore), Layer.provide(Layer.succeedContext(context))))

  const authenticate = (sessions: Context.Context<Sessions.Sessions>, id: string) =>
    Effect.map(
      Effect.either(Authentication.make([Context.get(sessions, Sessions.Sessions)]).authenticate(fromHeaders({ "x-session-id": id }))),
      (either) => (either._tag === "Right" ? either.right.subject : either.left.reason)
    )

  it.live("two replicas on one database share sessions: a login on one, a logout on the other", () =>
    Effect.scoped(Effect.gen(function*() {
      const one = yield* replica(yield* client())
      const two = yield* replica(yield* client())
      const opened = yield* Context.get(one, Sessions.Sessions).login(alice)
      expect(yield* authenticate(two, opened.id)).toBe("alice")
      expect(yield* authenticate(one, opened.id)).toBe("alice")
      expect(yield* Context.get(two, Sessions.Sessions).logout(opened.id)).toBe(true)
      expect(yield* authenticate(one, opened.id)).toBe("invalid")
      const again = yield* Context.get(two, Sessions.Sessions).login(alice)
      expect(yield* Context.get(one, Sessions.Sessions).logoutAll("alice", "acme")).toBe(1)
      expect(yield* authenticate(two, again.id)).toBe("invalid")
    })))

  it.live("the table holds digests, never a session id", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* client()
      const sessions = yield* replica(context)
      const opened = yield* Context.get(sessions, Sessions.Sessions).login(alice)
      const rows = yield* onReplica(context, Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT * FROM emcee_auth_sessions`))
      expect(JSON.stringify(rows)).not.toContain(opened.id)
      expect(JSON.stringify(rows)).toContain(SessionStore.digest(opened.id))
    })))

  it.live("a row whose identity is not valid is refused as an unknown session, not a crash", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* client()
      const sessions = yield* replica(context)
      const opened = yield* Context.get(sessions, Sessions.Sessions).login(alice)
      yield* onReplica(context, Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql`UPDATE emcee_auth_sessions SET identity = '{"subject": 42}'::jsonb WHERE digest = ${SessionStore.digest(opened.id)}`))
      expect(yield* authenticate(sessions, opened.id)).toBe("invalid")
    })))

  it.live("an unreachable database refuses as unavailable", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* client()
      const store = yield* onReplica(context, Postgres.makeSessionStore)
      const sessions = yield* Layer.build(Sessions.layer().pipe(Layer.provide(Layer.succeed(SessionStore.SessionStore, store))))
      const opened = yield* Context.get(sessions, Sessions.Sessions).login(alice)
      yield* onReplica(context, Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ALTER TABLE emcee_auth_sessions RENAME TO emcee_auth_sessions_away`))
      const result = yield* authenticate(sessions, opened.id).pipe(
        Effect.ensuring(onReplica(context, Effect.orDie(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ALTER TABLE emcee_auth_sessions_away RENAME TO emcee_auth_sessions`))))
      )
      expect(result).toBe("unavailable")
      expect(yield* authenticate(sessions, opened.id)).toBe("alice")
    })))

  it.live("replicas starting together on an empty database migrate once", () =>
    Effect.scoped(Effect.gen(function*() {
      const fresh = yield* Effect.promise(() => pg!.createDatabase("migrations"))
      const contexts = yield* Effect.all(Array.from({ length: 4 }, () => client(fresh)))
      yield* Effect.all(contexts.map((context) => onReplica(context, Postgres.migrate)), { concurrency: "unbounded" })
      const versions = yield* onReplica(contexts[0]!, Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ readonly component: string; readonly version: number }>`SELECT component, version FROM emcee_auth_schema ORDER BY component`))
      expect(versions).toEqual([{ component: "api_keys", version: 1 }, { component: "oauth", version: 1 }, { component: "sessions", version: 1 }])
      // and again: nothing to do
      yield* onReplica(contexts[1]!, Postgres.migrate)
      const store = yield* onReplica(contexts[2]!, Postgres.makeSessionStore)
      const session = sessionOf("alice")
      yield* store.create(session)
      expect(Option.isSome(yield* store.get(session.digest))).toBe(true)
    })))
})

describe("PostgreSQL API keys", () => {
  const withStore = <A, E>(body: (store: Postgres.ApiKeyStore, sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* client()
      return yield* onReplica(context, Effect.gen(function*() {
        const store = yield* Postgres.makeApiKeyStore
        const sql = yield* SqlClient.SqlClient
        yield* sql`DELETE FROM emcee_auth_api_keys`
        return yield* body(store, sql)
      }))
    }))

  const entry = (key: string, overrides: Partial<ApiKeys.Entry> = {}): ApiKeys.Entry => ({
    id: `key-${key.slice(-6)}`,
    digest: ApiKeys.hash(key),
    subject: "ci-bot",
    tenant: "acme",
    roles: ["deployer"],
    scopes: ["tools:call", "tools:list"],
    expiresAt: undefined,
    label: "CI pipeline",
    ...overrides
  })

  /** Authenticates `key` against `store`, without the chain's cache. */
  const check = (store: ApiKeys.ApiKeyStore, key: string) =>
    Effect.map(
      Effect.either(Authentication.make([ApiKeys.make({ store })], { maxEntries: 0 }).authenticate(fromHeaders({ "x-api-key": key }))),
      (either) => (either._tag === "Right" ? either.right.subject : either.left.reason)
    )

  it.live("finds an entry by the digest of its key, and authenticates the key", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const key = ApiKeys.generate()
        const expiresAt = Date.now() + 3_600_000
        const put = entry(key, { expiresAt })
        yield* store.put(put)
        expect(Option.getOrThrow(yield* store.find(ApiKeys.hash(key)))).toEqual(put)
        expect(Option.getOrThrow(yield* store.find(ApiKeys.hash(key).toUpperCase().replace("SHA256", "sha256")))).toEqual(put)
        expect(Option.isNone(yield* store.find(ApiKeys.hash(ApiKeys.generate())))).toBe(true)
        const identity = yield* Authentication.make([ApiKeys.make({ store })]).authenticate(fromHeaders({ "x-api-key": key }))
        expect(identity.subject).toBe("ci-bot")
        expect(identity.tenant).toBe("acme")
        expect([...identity.scopes]).toEqual(["tools:call", "tools:list"])
        expect(identity.expiresAt).toBe(expiresAt)
        // an entry without the optional fields comes back without them
        const bare = ApiKeys.generate()
        yield* store.put({ id: "bare", digest: ApiKeys.hash(bare), subject: "svc", roles: [], scopes: [] })
        expect(Option.getOrThrow(yield* store.find(ApiKeys.hash(bare)))).toEqual({
          id: "bare", digest: ApiKeys.hash(bare), subject: "svc", tenant: undefined, roles: [], scopes: [], expiresAt: undefined, label: undefined
        })
      })))

  it.live("an expired key is refused as expired, and deleteExpired removes it", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const old = ApiKeys.generate()
        const live = ApiKeys.generate()
        yield* store.put(entry(old, { expiresAt: Date.now() - 1_000 }))
        yield* store.put(entry(live, { expiresAt: Date.now() + 60_000 }))
        expect(yield* check(store, old)).toBe("expired")
        expect(yield* check(store, live)).toBe("ci-bot")
        expect(yield* store.deleteExpired(Date.now())).toBe(1)
        expect(yield* check(store, old)).toBe("invalid")
        expect(yield* check(store, live)).toBe("ci-bot")
      })))

  it.live("revoke removes a key; put under the same id rotates it", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const first = ApiKeys.generate()
        const second = ApiKeys.generate()
        yield* store.put(entry(first, { id: "ci" }))
        yield* store.put(entry(second, { id: "ci" }))
        expect(yield* check(store, first)).toBe("invalid")
        expect(yield* check(store, second)).toBe("ci-bot")
        expect(yield* store.revoke("ci")).toBe(true)
        expect(yield* store.revoke("ci")).toBe(false)
        expect(yield* check(store, second)).toBe("invalid")
      })))

  it.live("lists keys by subject and revokes a subject's keys", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const keys = [ApiKeys.generate(), ApiKeys.generate(), ApiKeys.generate()]
        yield* store.put(entry(keys[0]!, { id: "a", subject: "alice" }))
        yield* store.put(entry(keys[1]!, { id: "b", subject: "alice", tenant: "other" }))
        yield* store.put(entry(keys[2]!, { id: "c", subject: "bob" }))
        expect((yield* store.list("alice")).map((e) => e.id)).toEqual(["a", "b"])
        expect((yield* store.list()).map((e) => e.id)).toEqual(["a", "b", "c"])
        expect(yield* store.revokeBySubject("alice", "acme")).toBe(1)
        expect((yield* store.list("alice")).map((e) => e.id)).toEqual(["b"])
        expect(yield* store.revokeBySubject("alice")).toBe(1)
        expect((yield* store.list()).map((e) => e.id)).toEqual(["c"])
      })))

  it.live("refuses a malformed digest, and a digest another entry holds, with a clear error", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const key = ApiKeys.generate()
        const bad = yield* Effect.flip(store.put(entry(key, { digest: "md5:abc" })))
        expect(bad.message).toContain("sha256")
        yield* store.put(entry(key, { id: "one" }))
        const taken = yield* Effect.flip(store.put(entry(key, { id: "two" })))
        expect(taken.message).toContain("another key already has this digest")
        expect(taken.message).not.toContain(key)
        expect((yield* store.list()).map((e) => e.id)).toEqual(["one"])
      })))

  it.live("the table holds digests, never a key; a row with malformed scopes is no key", () =>
    withStore((store, sql) =>
      Effect.gen(function*() {
        const key = ApiKeys.generate()
        yield* store.put(entry(key, { id: "k" }))
        expect(JSON.stringify(yield* sql`SELECT * FROM emcee_auth_api_keys`)).not.toContain(key)
        yield* sql`UPDATE emcee_auth_api_keys SET scopes = '"tools:call"'::jsonb WHERE id = 'k'`
        expect(yield* check(store, key)).toBe("invalid")
      })))

  it.live("two Layers on one database share keys (two replicas)", () =>
    Effect.scoped(Effect.gen(function*() {
      const one = Context.get(yield* Layer.build(Postgres.apiKeyStore.pipe(Layer.provide(Layer.succeedContext(yield* client())))), ApiKeys.Store)
      const two = Context.get(yield* Layer.build(Postgres.apiKeyStore.pipe(Layer.provide(Layer.succeedContext(yield* client())))), ApiKeys.Store)
      const key = ApiKeys.generate()
      yield* one.put!(entry(key, { id: "shared" }))
      expect(yield* check(two, key)).toBe("ci-bot")
      expect(yield* two.revoke!("shared")).toBe(true)
      expect(yield* check(one, key)).toBe("invalid")
      expect(yield* check(two, key)).toBe("invalid")
    })))

  it.live("an unreachable database makes verification unavailable, not a refusal", () =>
    withStore((store, sql) =>
      Effect.gen(function*() {
        const key = ApiKeys.generate()
        yield* store.put(entry(key))
        yield* sql`ALTER TABLE emcee_auth_api_keys RENAME TO emcee_auth_api_keys_away`
        const result = yield* check(store, key).pipe(
          Effect.ensuring(Effect.orDie(sql`ALTER TABLE emcee_auth_api_keys_away RENAME TO emcee_auth_api_keys`))
        )
        expect(result).toBe("unavailable")
        expect(yield* check(store, key)).toBe("ci-bot")
      })))
})
