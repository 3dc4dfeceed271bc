import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type Context, Effect, Either, Layer, Option } from "effect"
import { makePostgresOAuthStore } from "../src/internal/oauth/postgresStore.js"
import * as OAuthStore from "../src/OAuthStore.js"
import { clientLayer, type StartedPostgres, startPostgres } from "./support/postgres.js"
import { codeOf, grantOf, oauthStoreContract, refreshOf } from "./support/oauthStoreContract.js"

describe("OAuthStore contract: memory", () => {
  oauthStoreContract(OAuthStore.makeMemory)
})

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

/** A client with a pool of its own (a replica), for the scope. */
const client = (databaseUrl = url()) => Layer.build(clientLayer(databaseUrl))

/** A store on a client of its own: one replica. */
const replica = (context: Context.Context<SqlClient.SqlClient>) => Effect.provide(makePostgresOAuthStore, context)

const tables = [
  "emcee_oauth_clients",
  "emcee_oauth_codes",
  "emcee_oauth_grants",
  "emcee_oauth_refresh_tokens",
  "emcee_oauth_revoked_access_tokens",
  "emcee_oauth_consents",
  "emcee_oauth_device_codes",
  "emcee_oauth_interactions",
  "emcee_oauth_upstream_tokens",
  "emcee_oauth_signing_keys"
]

/** Runs `effect` with `context`'s SqlClient. */
const withSql = <A, E>(context: Context.Context<SqlClient.SqlClient>, effect: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.provide(Effect.flatMap(SqlClient.SqlClient, effect), context)

const t0 = 1_750_000_000_000

describe("OAuthStore contract: PostgreSQL", () => {
  oauthStoreContract(Effect.gen(function*() {
    const context = yield* client()
    const store = yield* replica(context)
    yield* withSql(context, (sql) => sql`TRUNCATE ${sql.literal(tables.join(", "))}`)
    return store
  }))
})

describe("PostgreSQL OAuth store", () => {
  it.live("two replicas on one database: a code or refresh token written by one is consumed or rotated by the other", () =>
    Effect.scoped(Effect.gen(function*() {
      const one = yield* replica(yield* client())
      const two = yield* replica(yield* client())
      const grant = grantOf("alice", { tenant: "acme" })
      const code = codeOf(grant)
      yield* one.putCode(code)
      expect(Option.getOrThrow(yield* two.consumeCode(code.digest, t0 + 1)).usedAt).toBeUndefined()
      expect(Option.getOrThrow(yield* one.consumeCode(code.digest, t0 + 2)).usedAt).toBe(t0 + 1)

      yield* two.putGrant(grant)
      const token = refreshOf(grant)
      yield* two.putRefresh(token)
      expect(Option.getOrThrow(yield* one.rotateRefresh(token.digest, t0 + 3)).previouslyRotatedAt).toBeUndefined()
      expect(Option.getOrThrow(yield* two.rotateRefresh(token.digest, t0 + 4)).previouslyRotatedAt).toBe(t0 + 3)
      // a reuse seen by one replica revokes the grant for both
      expect(yield* two.revokeGrant(grant.grantId, t0 + 4, "refresh_reuse")).toBe(true)
      expect(Option.getOrThrow(yield* one.getGrant(grant.grantId)).revokedReason).toBe("refresh_reuse")
    })))

  it.live("rotations and consumptions racing across two replicas have exactly one winner", () =>
    Effect.scoped(Effect.gen(function*() {
      const one = yield* replica(yield* client())
      const two = yield* replica(yield* client())
      for (let round = 0; round < 5; round++) {
        const grant = grantOf("alice")
        const token = refreshOf(grant)
        const code = codeOf(grant)
        yield* one.putRefresh(token)
        yield* two.putCode(code)
        const rotations = yield* Effect.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).rotateRefresh(token.digest, t0 + i)),
          { concurrency: "unbounded" }
        )
        expect(rotations.filter((r) => Option.isSome(r) && r.value.previouslyRotatedAt === undefined)).toHaveLength(1)
        const consumptions = yield* Effect.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? two : one).consumeCode(code.digest, t0 + i)),
          { concurrency: "unbounded" }
        )
        expect(consumptions.filter((c) => Option.isSome(c) && c.value.usedAt === undefined)).toHaveLength(1)
      }
    })))

  it.live("two replicas migrating a fresh database at once both start, and the schema is migrated once", () =>
    Effect.scoped(Effect.gen(function*() {
      const databaseUrl = yield* Effect.promise(() => pg!.createDatabase("oauth_migrate"))
      const first = yield* client(databaseUrl)
      const second = yield* client(databaseUrl)
      const [one, two] = yield* Effect.all([replica(first), replica(second)], { concurrency: "unbounded" })
      const code = codeOf(grantOf("alice"))
      yield* one.putCode(code)
      expect(Option.isSome(yield* two.consumeCode(code.digest, t0))).toBe(true)
      const versions = yield* withSql(first, (sql) => sql<{ readonly version: number }>`SELECT version FROM emcee_auth_schema WHERE component = 'oauth'`)
      expect(versions).toEqual([{ version: 1 }])
      // a restart migrates nothing
      yield* replica(second)
    })))

  it.live("a row that is not a valid record is a store error naming the table, never a crash", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* client()
      const store = yield* replica(context)
      const grant = grantOf("mallory")
      yield* store.putGrant(grant)
      yield* withSql(context, (sql) => sql`UPDATE emcee_oauth_grants SET identity = '{"subject": 5}'::jsonb WHERE grant_id = ${grant.grantId}`)
      const result = yield* Effect.either(store.getGrant(grant.grantId))
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left).toBeInstanceOf(OAuthStore.OAuthStoreError)
        expect(result.left.message).toContain("emcee_oauth_grants")
      }
    })))

  it.live("a signing key row that is not valid is left out of the list; the others still sign", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* client()
      const store = yield* replica(context)
      yield* withSql(context, (sql) => sql`TRUNCATE emcee_oauth_signing_keys`)
      const key: OAuthStore.SigningKey = {
        kid: "good",
        alg: "ES256",
        publicJwk: { kty: "EC" },
        sealedPrivateJwk: "sealed",
        createdAt: t0,
        activeAt: t0,
        retiresAt: t0 + 1,
        expiresAt: t0 + 2
      }
      yield* store.putSigningKey(key)
      yield* store.putSigningKey({ ...key, kid: "bad" })
      yield* withSql(context, (sql) => sql`UPDATE emcee_oauth_signing_keys SET public_jwk = '[1]'::jsonb WHERE kid = 'bad'`)
      expect(yield* store.listSigningKeys).toEqual([key])
    })))

  it.live("a value JSON cannot hold is a store error, not a throw", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = yield* replica(yield* client())
      const result = yield* Effect.either(store.putInteraction({ digest: OAuthStore.digest("x"), kind: "authorize", data: { n: 1n }, expiresAt: t0 }))
      expect(Either.isLeft(result) && result.left._tag === "OAuthStoreError").toBe(true)
    })))
})
