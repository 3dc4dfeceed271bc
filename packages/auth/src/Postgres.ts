/**
 * @emcee/auth's stores in PostgreSQL, for servers running as several
 * replicas: login sessions (`sessionStore`), API keys (`apiKeyStore`) and
 * the authorization server's state (`oauthStore`, tables `emcee_oauth_*`).
 * Every replica's Layer on one database shares the same state: a logout
 * takes effect everywhere on the next request (sessions are never cached),
 * a revoked API key once each replica's `Authentication` cache lets go of
 * it (its `maxAgeMillis`).
 *
 * The Layers need a `SqlClient` (from `@effect/sql-pg`: `PgClient.layer({ url })`
 * or `PgClient.layerConfig`) and create their tables when building
 * (`emcee_auth_sessions`, `emcee_auth_api_keys`; versions in
 * `emcee_auth_schema`), under an advisory lock so replicas starting together
 * migrate once.
 *
 * Neither table holds a credential: sessions are keyed by the SHA-256 of
 * their ids and API keys by their digests.
 *
 * @example
 * import { PgClient } from "@effect/sql-pg"
 * import { Config, Effect, Layer } from "effect"
 * import { ApiKeys, Authentication, Postgres, Sessions } from "@emcee/auth"
 *
 * const Database = PgClient.layerConfig({ url: Config.redacted("DATABASE_URL") })
 * const SessionsLive = Sessions.layer().pipe(Layer.provide(Postgres.sessionStore), Layer.provide(Database))
 * const ApiKeysLive = Layer.effect(
 *   Authentication.Authentication,
 *   Effect.map(ApiKeys.fromStore(), (apiKeys) => Authentication.make([apiKeys]))
 * ).pipe(Layer.provide(Postgres.apiKeyStore), Layer.provide(Database))
 *
 * @since 0.2.0
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer } from "effect"
import * as ApiKeys from "./ApiKeys.js"
import { makePostgresOAuthStore } from "./internal/oauth/postgresStore.js"
import { makePostgresApiKeyStore, type PostgresApiKeyStore } from "./internal/postgresApiKeys.js"
import { migrate as migrateComponent } from "./internal/postgresSchema.js"
import { makePostgresSessionStore } from "./internal/postgresSessions.js"
import * as OAuthStore from "./OAuthStore.js"
import * as SessionStore from "./SessionStore.js"

/**
 * Creates or upgrades every table of @emcee/auth (what the Layers do for
 * their own tables), for a deployment step that migrates ahead of the servers.
 */
export const migrate: Effect.Effect<void, SqlError, SqlClient.SqlClient> = Effect.all(
  [migrateComponent("sessions"), migrateComponent("api_keys"), migrateComponent("oauth")],
  { discard: true }
)

/** A session store in PostgreSQL (table `emcee_auth_sessions`), created when missing. */
export const makeSessionStore: Effect.Effect<SessionStore.Service, SqlError, SqlClient.SqlClient> = makePostgresSessionStore

/** A session store in PostgreSQL (`makeSessionStore`), as a Layer. */
export const sessionStore: Layer.Layer<SessionStore.SessionStore, SqlError, SqlClient.SqlClient> = Layer.effect(
  SessionStore.SessionStore,
  makePostgresSessionStore
)

/**
 * An API key store in PostgreSQL: every operation of `ApiKeys.ApiKeyStore`
 * (`find`, and `list`, `put`, `revoke` for administration), and
 * `revokeBySubject` and `deleteExpired`. `put` replaces the entry of the
 * same `id` (rotating its key) and fails when another entry has the digest.
 * `find` returns expired entries too, so the authenticator can say `expired`;
 * `deleteExpired` removes them in one statement.
 */
export interface ApiKeyStore extends PostgresApiKeyStore {}

/** An API key store in PostgreSQL (table `emcee_auth_api_keys`), created when missing. */
export const makeApiKeyStore: Effect.Effect<ApiKeyStore, SqlError, SqlClient.SqlClient> = makePostgresApiKeyStore

/** An API key store in PostgreSQL (`makeApiKeyStore`), as the `ApiKeys.Store` service (see `ApiKeys.fromStore`). */
export const apiKeyStore: Layer.Layer<ApiKeys.Store, SqlError, SqlClient.SqlClient> = Layer.effect(ApiKeys.Store, makePostgresApiKeyStore)

/**
 * The authorization server's store in PostgreSQL (tables `emcee_oauth_*`),
 * created when missing; shared by every replica on the database, so a token
 * issued by one replica is refreshed, introspected or revoked by another.
 *
 * @since 0.3.0
 */
export const makeOAuthStore: Effect.Effect<OAuthStore.Service, SqlError, SqlClient.SqlClient> = makePostgresOAuthStore

/** The authorization server's store in PostgreSQL (`makeOAuthStore`), as a Layer. @since 0.3.0 */
export const oauthStore: Layer.Layer<OAuthStore.OAuthStore, SqlError, SqlClient.SqlClient> = Layer.effect(
  OAuthStore.OAuthStore,
  makePostgresOAuthStore
)
