/**
 * The authorization server's store in PostgreSQL (tables `emcee_oauth_*`,
 * see the `oauth` component of postgresSchema), shared by every replica on
 * the database.
 *
 * Every operation that decides a security outcome is one statement (or one
 * transaction), so replicas racing on one row get exactly one winner: the
 * row lock an `UPDATE … WHERE used_at IS NULL` (or `rotated_at IS NULL`,
 * `status = 'approved'`) takes makes the loser re-check its condition on
 * the winner's row and find nothing to do; `DELETE … RETURNING` hands a
 * row to one caller.
 *
 * Times are epoch milliseconds in the records and `timestamptz` in the
 * tables; lists and nested records are `jsonb`, decoded with the record
 * Schemas of OAuthStore when read back.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Clock, Effect, Either, Option, ParseResult, Schema } from "effect"
import * as OAuthStore from "../../OAuthStore.js"
import { deleteExpired as deleteExpiredRows, migrate } from "../postgresSchema.js"

type Timestamp = Date | null

interface ClientRow {
  readonly client_id: string
  readonly origin: string
  readonly metadata: unknown
  readonly secret_digest: string | null
  readonly secret_expires_at: Timestamp
  readonly registration_token_digest: string | null
  readonly created_at: Date
  readonly last_used_at: Timestamp
  readonly unused_expires_at: Timestamp
}

interface GrantRow {
  readonly grant_id: string
  readonly client_id: string
  readonly identity: unknown
  readonly scopes: unknown
  readonly resources: unknown
  readonly auth_time: Date
  readonly upstream: string | null
  readonly created_at: Date
  readonly expires_at: Date
  readonly revoked_at: Timestamp
  readonly revoked_reason: string | null
}

interface CodeRow {
  readonly digest: string
  readonly client_id: string
  readonly redirect_uri: string
  readonly code_challenge: string
  readonly grant_record: unknown
  readonly expires_at: Date
  readonly used_at: Timestamp
}

interface RefreshRow {
  readonly digest: string
  readonly grant_id: string
  readonly created_at: Date
  readonly expires_at: Date
  readonly rotated_at: Timestamp
}

interface ConsentRow {
  readonly subject: string
  readonly tenant: string | null
  readonly client_id: string
  readonly scopes: unknown
  readonly resources: unknown
  readonly granted_at: Date
}

interface DeviceRow {
  readonly digest: string
  readonly user_code: string
  readonly client_id: string
  readonly scopes: unknown
  readonly resources: unknown
  readonly expires_at: Date
  readonly interval_seconds: number
  readonly last_polled_at: Timestamp
  readonly status: string
  readonly grant_record: unknown
}

interface InteractionRow {
  readonly digest: string
  readonly kind: string
  readonly data: unknown
  readonly expires_at: Date
}

interface UpstreamRow {
  readonly provider: string
  readonly subject: string
  readonly sealed_access_token: string
  readonly sealed_refresh_token: string | null
  readonly expires_at: Timestamp
  readonly scopes: unknown
  readonly updated_at: Date
}

interface SigningKeyRow {
  readonly kid: string
  readonly alg: string
  readonly public_jwk: unknown
  readonly sealed_private_jwk: string
  readonly created_at: Date
  readonly active_at: Date
  readonly retires_at: Date
  readonly expires_at: Date
}

interface Count {
  readonly count: string | number
}

/** Epoch ms of a timestamp column. */
const ms = (date: Date): number => date.getTime()

/** `{ [key]: epoch ms }`, or nothing when the column is NULL (the record's field is absent). */
const optionalTime = <K extends string>(key: K, date: Timestamp): { readonly [k in K]?: number } =>
  (date === null ? {} : { [key]: date.getTime() }) as { readonly [k in K]?: number }

/** `{ [key]: value }`, or nothing when the column is NULL. */
const optional = <K extends string, A>(key: K, value: A | null): { readonly [k in K]?: A } =>
  (value === null ? {} : { [key]: value }) as { readonly [k in K]?: A }

const time = (millis: number): Date => new Date(millis)
const optionalDate = (millis: number | undefined): Date | null => (millis === undefined ? null : new Date(millis))

/** The JSON text of a value for a `jsonb` parameter; fails (never throws) on what JSON cannot hold. */
const json = (operation: string, value: unknown): Effect.Effect<string, OAuthStore.OAuthStoreError> =>
  Effect.try({
    try: () => {
      const text = JSON.stringify(value)
      if (text === undefined) throw new TypeError("the value is not representable as JSON")
      return text
    },
    catch: (cause) => new OAuthStore.OAuthStoreError({ operation, description: "a value could not be encoded as JSON", cause })
  })

const storeError = (operation: string) => (error: SqlError) =>
  new OAuthStore.OAuthStoreError({ operation, description: error.message, cause: error })

const count = (rows: ReadonlyArray<Count>): number => Number(rows[0]?.count ?? 0)

/** Decodes `input` as `schema`, failing with a store error that names the table (never a value's credential: tables hold none). */
const decoder = <A, I>(schema: Schema.Schema<A, I>, what: string) => {
  const decode = Schema.decodeUnknownEither(schema)
  return (operation: string, input: unknown): Effect.Effect<A, OAuthStore.OAuthStoreError> =>
    Either.match(decode(input), {
      onLeft: (error) =>
        Effect.fail(
          new OAuthStore.OAuthStoreError({
            operation,
            description: `a stored ${what} is not valid: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
          })
        ),
      onRight: Effect.succeed
    })
}

const decodeClient = decoder(OAuthStore.Client, "client (emcee_oauth_clients)")
const decodeGrant = decoder(OAuthStore.Grant, "grant (emcee_oauth_grants)")
const decodeCode = decoder(OAuthStore.Code, "authorization code (emcee_oauth_codes)")
const decodeRefresh = decoder(OAuthStore.RefreshToken, "refresh token (emcee_oauth_refresh_tokens)")
const decodeConsent = decoder(OAuthStore.Consent, "consent (emcee_oauth_consents)")
const decodeDevice = decoder(OAuthStore.DeviceCode, "device authorization (emcee_oauth_device_codes)")
const decodeInteraction = decoder(OAuthStore.Interaction, "interaction (emcee_oauth_interactions)")
const decodeUpstream = decoder(OAuthStore.UpstreamTokens, "upstream token (emcee_oauth_upstream_tokens)")
const decodeSigningKey = decoder(OAuthStore.SigningKey, "signing key (emcee_oauth_signing_keys)")

const clientOf = (operation: string, row: ClientRow) =>
  decodeClient(operation, {
    clientId: row.client_id,
    origin: row.origin,
    metadata: row.metadata,
    ...optional("secretDigest", row.secret_digest),
    ...optionalTime("secretExpiresAt", row.secret_expires_at),
    ...optional("registrationTokenDigest", row.registration_token_digest),
    createdAt: ms(row.created_at),
    ...optionalTime("lastUsedAt", row.last_used_at),
    ...optionalTime("unusedExpiresAt", row.unused_expires_at)
  })

const grantOf = (operation: string, row: GrantRow) =>
  decodeGrant(operation, {
    grantId: row.grant_id,
    clientId: row.client_id,
    identity: row.identity,
    scopes: row.scopes,
    resources: row.resources,
    authTime: ms(row.auth_time),
    ...optional("upstream", row.upstream),
    createdAt: ms(row.created_at),
    expiresAt: ms(row.expires_at),
    ...optionalTime("revokedAt", row.revoked_at),
    ...optional("revokedReason", row.revoked_reason)
  })

const codeOf = (operation: string, row: CodeRow) =>
  decodeCode(operation, {
    digest: row.digest,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    grant: row.grant_record,
    expiresAt: ms(row.expires_at),
    ...optionalTime("usedAt", row.used_at)
  })

const refreshOf = (operation: string, row: RefreshRow) =>
  decodeRefresh(operation, {
    digest: row.digest,
    grantId: row.grant_id,
    createdAt: ms(row.created_at),
    expiresAt: ms(row.expires_at),
    ...optionalTime("rotatedAt", row.rotated_at)
  })

const consentOf = (operation: string, row: ConsentRow) =>
  decodeConsent(operation, {
    subject: row.subject,
    ...optional("tenant", row.tenant),
    clientId: row.client_id,
    scopes: row.scopes,
    resources: row.resources,
    grantedAt: ms(row.granted_at)
  })

const deviceOf = (operation: string, row: DeviceRow) =>
  decodeDevice(operation, {
    digest: row.digest,
    userCode: row.user_code,
    clientId: row.client_id,
    scopes: row.scopes,
    resources: row.resources,
    expiresAt: ms(row.expires_at),
    intervalSeconds: row.interval_seconds,
    ...optionalTime("lastPolledAt", row.last_polled_at),
    status: row.status,
    ...optional("grant", row.grant_record)
  })

const interactionOf = (operation: string, row: InteractionRow) =>
  decodeInteraction(operation, { digest: row.digest, kind: row.kind, data: row.data, expiresAt: ms(row.expires_at) })

const upstreamOf = (operation: string, row: UpstreamRow) =>
  decodeUpstream(operation, {
    provider: row.provider,
    subject: row.subject,
    sealedAccessToken: row.sealed_access_token,
    ...optional("sealedRefreshToken", row.sealed_refresh_token),
    ...optionalTime("expiresAt", row.expires_at),
    scopes: row.scopes,
    updatedAt: ms(row.updated_at)
  })

const signingKeyOf = (operation: string, row: SigningKeyRow) =>
  decodeSigningKey(operation, {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    sealedPrivateJwk: row.sealed_private_jwk,
    createdAt: ms(row.created_at),
    activeAt: ms(row.active_at),
    retiresAt: ms(row.retires_at),
    expiresAt: ms(row.expires_at)
  })

/** The record of the first row, or None when there is none. */
const first = <Row, A>(operation: string, of: (operation: string, row: Row) => Effect.Effect<A, OAuthStore.OAuthStoreError>) =>
(rows: ReadonlyArray<Row>): Effect.Effect<Option.Option<A>, OAuthStore.OAuthStoreError> =>
  rows.length === 0 ? Effect.succeedNone : Effect.asSome(of(operation, rows[0]!))

/** The key of a consent's tenant (the generated `tenant_key` column: "" for none). */
const tenantKey = (tenant: string | undefined): string => (tenant === undefined ? "" : `=${tenant}`)

export const makePostgresOAuthStore: Effect.Effect<OAuthStore.Service, SqlError, SqlClient.SqlClient> = Effect.gen(function*() {
  yield* migrate("oauth")
  const sql = yield* SqlClient.SqlClient

  const clientColumns = sql.literal(`client_id, origin, metadata, secret_digest, secret_expires_at, registration_token_digest,
    created_at, last_used_at, unused_expires_at`)
  const grantColumns = sql.literal(`grant_id, client_id, identity, scopes, resources, auth_time, upstream, created_at,
    expires_at, revoked_at, revoked_reason`)
  const codeColumns = sql.literal("digest, client_id, redirect_uri, code_challenge, grant_record, expires_at, used_at")
  const refreshColumns = sql.literal("digest, grant_id, created_at, expires_at, rotated_at")
  const deviceColumns = sql.literal(`digest, user_code, client_id, scopes, resources, expires_at, interval_seconds, last_polled_at,
    status, grant_record`)
  const interactionColumns = sql.literal("digest, kind, data, expires_at")
  const upstreamColumns = sql.literal("provider, subject, sealed_access_token, sealed_refresh_token, expires_at, scopes, updated_at")
  const signingKeyColumns = sql.literal("kid, alg, public_jwk, sealed_private_jwk, created_at, active_at, retires_at, expires_at")

  /** Runs a statement as `operation`, its SqlError a store error. */
  const run = <A>(operation: string, statement: Effect.Effect<A, SqlError>) => Effect.mapError(statement, storeError(operation))

  const service: OAuthStore.Service = {
    getClient: (clientId) =>
      run("getClient", sql<ClientRow>`SELECT ${clientColumns} FROM emcee_oauth_clients WHERE client_id = ${clientId}`).pipe(
        Effect.flatMap(first("getClient", clientOf))
      ),
    putClient: (client) =>
      Effect.gen(function*() {
        const metadata = yield* json("putClient", client.metadata)
        yield* run(
          "putClient",
          sql`INSERT INTO emcee_oauth_clients (client_id, origin, metadata, secret_digest, secret_expires_at,
              registration_token_digest, created_at, last_used_at, unused_expires_at)
            VALUES (${client.clientId}, ${client.origin}, ${metadata}::jsonb, ${client.secretDigest ?? null},
              ${optionalDate(client.secretExpiresAt)}, ${client.registrationTokenDigest ?? null}, ${time(client.createdAt)},
              ${optionalDate(client.lastUsedAt)}, ${optionalDate(client.unusedExpiresAt)})
            ON CONFLICT (client_id) DO UPDATE SET
              origin = EXCLUDED.origin, metadata = EXCLUDED.metadata, secret_digest = EXCLUDED.secret_digest,
              secret_expires_at = EXCLUDED.secret_expires_at, registration_token_digest = EXCLUDED.registration_token_digest,
              created_at = EXCLUDED.created_at, last_used_at = EXCLUDED.last_used_at, unused_expires_at = EXCLUDED.unused_expires_at`
        )
      }),
    deleteClient: (clientId) =>
      run("deleteClient", sql`DELETE FROM emcee_oauth_clients WHERE client_id = ${clientId} RETURNING client_id`).pipe(
        Effect.map((rows) => rows.length > 0)
      ),
    touchClient: (clientId, now) =>
      run(
        "touchClient",
        sql`UPDATE emcee_oauth_clients SET last_used_at = ${time(now)}, unused_expires_at = NULL WHERE client_id = ${clientId}`
      ).pipe(Effect.asVoid),

    // A credential is written once: a second put of the same digest changes nothing (it cannot reset used_at).
    putCode: (code) =>
      Effect.gen(function*() {
        const grant = yield* json("putCode", code.grant)
        yield* run(
          "putCode",
          sql`INSERT INTO emcee_oauth_codes (digest, client_id, redirect_uri, code_challenge, grant_record, expires_at, used_at)
            VALUES (${code.digest}, ${code.clientId}, ${code.redirectUri}, ${code.codeChallenge}, ${grant}::jsonb,
              ${time(code.expiresAt)}, ${optionalDate(code.usedAt)})
            ON CONFLICT (digest) DO NOTHING`
        )
      }),
    // RFC 6749 §4.1.2 / OAuth 2.1 §4.1.3: a code is used once. The UPDATE's row lock makes a racing
    // consumer re-check `used_at IS NULL` on the winner's row and match nothing; it then reads the replay.
    consumeCode: (digest, now) =>
      Effect.gen(function*() {
        const consumed = yield* run(
          "consumeCode",
          sql<CodeRow>`UPDATE emcee_oauth_codes SET used_at = ${time(now)} WHERE digest = ${digest} AND used_at IS NULL
            RETURNING ${codeColumns}`
        )
        if (consumed.length > 0) {
          const code = yield* codeOf("consumeCode", consumed[0]!)
          const { usedAt: _usedAt, ...before } = code
          return Option.some<OAuthStore.Code>(before)
        }
        const replayed = yield* run("consumeCode", sql<CodeRow>`SELECT ${codeColumns} FROM emcee_oauth_codes WHERE digest = ${digest}`)
        return yield* first("consumeCode", codeOf)(replayed)
      }),

    // A revocation is never undone by putting the grant again: the first revocation's time and reason stay.
    putGrant: (grant) =>
      Effect.gen(function*() {
        const [identity, scopes, resources] = yield* Effect.all([
          json("putGrant", grant.identity),
          json("putGrant", grant.scopes),
          json("putGrant", grant.resources)
        ])
        yield* run(
          "putGrant",
          sql`INSERT INTO emcee_oauth_grants (grant_id, client_id, subject, tenant, identity, scopes, resources, auth_time,
              upstream, created_at, expires_at, revoked_at, revoked_reason)
            VALUES (${grant.grantId}, ${grant.clientId}, ${grant.identity.subject}, ${grant.identity.tenant ?? null},
              ${identity}::jsonb, ${scopes}::jsonb, ${resources}::jsonb, ${time(grant.authTime)}, ${grant.upstream ?? null},
              ${time(grant.createdAt)}, ${time(grant.expiresAt)}, ${optionalDate(grant.revokedAt)}, ${grant.revokedReason ?? null})
            ON CONFLICT (grant_id) DO UPDATE SET
              client_id = EXCLUDED.client_id, subject = EXCLUDED.subject, tenant = EXCLUDED.tenant,
              identity = EXCLUDED.identity, scopes = EXCLUDED.scopes, resources = EXCLUDED.resources,
              auth_time = EXCLUDED.auth_time, upstream = EXCLUDED.upstream, created_at = EXCLUDED.created_at,
              expires_at = EXCLUDED.expires_at,
              revoked_at = coalesce(emcee_oauth_grants.revoked_at, EXCLUDED.revoked_at),
              revoked_reason = CASE WHEN emcee_oauth_grants.revoked_at IS NULL THEN EXCLUDED.revoked_reason
                ELSE emcee_oauth_grants.revoked_reason END`
        )
      }),
    getGrant: (grantId) =>
      run("getGrant", sql<GrantRow>`SELECT ${grantColumns} FROM emcee_oauth_grants WHERE grant_id = ${grantId}`).pipe(
        Effect.flatMap(first("getGrant", grantOf))
      ),
    // One statement: the revocation (first one wins: a racing one re-checks `revoked_at IS NULL` and
    // matches nothing) and the deletion of the grant's refresh tokens (OAuth 2.1 §4.3.1) commit together.
    revokeGrant: (grantId, now, reason) =>
      run(
        "revokeGrant",
        sql<Count>`WITH revoked AS (
            UPDATE emcee_oauth_grants SET revoked_at = ${time(now)}, revoked_reason = ${reason}
            WHERE grant_id = ${grantId} AND revoked_at IS NULL RETURNING grant_id
          ), ended AS (
            DELETE FROM emcee_oauth_refresh_tokens WHERE grant_id = ${grantId} RETURNING 1
          )
          SELECT count(*) AS count FROM revoked`
      ).pipe(Effect.map((rows) => count(rows) > 0)),
    revokeGrantsOf: (subject, now, reason, clientId) => {
      const of = clientId === undefined
        ? sql`subject = ${subject}`
        : sql.and([sql`subject = ${subject}`, sql`client_id = ${clientId}`])
      return run(
        "revokeGrantsOf",
        sql<Count>`WITH revoked AS (
            UPDATE emcee_oauth_grants SET revoked_at = ${time(now)}, revoked_reason = ${reason}
            WHERE ${of} AND revoked_at IS NULL RETURNING grant_id
          ), ended AS (
            DELETE FROM emcee_oauth_refresh_tokens
            WHERE grant_id IN (SELECT grant_id FROM emcee_oauth_grants WHERE ${of}) RETURNING 1
          )
          SELECT count(*) AS count FROM revoked`
      ).pipe(Effect.map(count))
    },
    revokeGrantsOfClient: (clientId, now, reason) =>
      run(
        "revokeGrantsOfClient",
        sql<{ readonly grant_id: string }>`WITH revoked AS (
            UPDATE emcee_oauth_grants SET revoked_at = ${time(now)}, revoked_reason = ${reason}
            WHERE client_id = ${clientId} AND revoked_at IS NULL RETURNING grant_id
          ), ended AS (
            DELETE FROM emcee_oauth_refresh_tokens
            WHERE grant_id IN (SELECT grant_id FROM emcee_oauth_grants WHERE client_id = ${clientId}) RETURNING 1
          )
          SELECT grant_id FROM revoked`
      ).pipe(Effect.map((rows) => rows.map((row) => row.grant_id))),
    putRefresh: (token) =>
      run(
        "putRefresh",
        sql`INSERT INTO emcee_oauth_refresh_tokens (digest, grant_id, created_at, expires_at, rotated_at)
          VALUES (${token.digest}, ${token.grantId}, ${time(token.createdAt)}, ${time(token.expiresAt)}, ${optionalDate(token.rotatedAt)})
          ON CONFLICT (digest) DO NOTHING`
      ).pipe(Effect.asVoid),
    getRefresh: (digest) =>
      run("getRefresh", sql<RefreshRow>`SELECT ${refreshColumns} FROM emcee_oauth_refresh_tokens WHERE digest = ${digest}`).pipe(
        Effect.flatMap(first("getRefresh", refreshOf))
      ),
    // OAuth 2.1 §4.3.1: a refresh token is rotated once; as consumeCode, a racing rotation matches nothing and reads the replay.
    rotateRefresh: (digest, now) =>
      Effect.gen(function*() {
        const rotated = yield* run(
          "rotateRefresh",
          sql<RefreshRow>`UPDATE emcee_oauth_refresh_tokens SET rotated_at = ${time(now)} WHERE digest = ${digest} AND rotated_at IS NULL
            RETURNING ${refreshColumns}`
        )
        if (rotated.length > 0) {
          const token = yield* refreshOf("rotateRefresh", rotated[0]!)
          return Option.some<OAuthStore.Rotation>({ token, previouslyRotatedAt: undefined })
        }
        const found = yield* run(
          "rotateRefresh",
          sql<RefreshRow>`SELECT ${refreshColumns} FROM emcee_oauth_refresh_tokens WHERE digest = ${digest}`
        )
        const token = yield* first("rotateRefresh", refreshOf)(found)
        return Option.map(token, (token): OAuthStore.Rotation => ({ token, previouslyRotatedAt: token.rotatedAt }))
      }),

    revokeAccessToken: (jti, expiresAt) =>
      run(
        "revokeAccessToken",
        sql`INSERT INTO emcee_oauth_revoked_access_tokens (jti, expires_at) VALUES (${jti}, ${time(expiresAt)})
          ON CONFLICT (jti) DO UPDATE SET expires_at = GREATEST(emcee_oauth_revoked_access_tokens.expires_at, EXCLUDED.expires_at)`
      ).pipe(Effect.asVoid),
    isAccessTokenRevoked: (jti) =>
      run("isAccessTokenRevoked", sql`SELECT 1 FROM emcee_oauth_revoked_access_tokens WHERE jti = ${jti}`).pipe(
        Effect.map((rows) => rows.length > 0)
      ),

    getConsent: (subject, tenant, clientId) =>
      run(
        "getConsent",
        sql<ConsentRow>`SELECT subject, tenant, client_id, scopes, resources, granted_at FROM emcee_oauth_consents
          WHERE subject = ${subject} AND client_id = ${clientId} AND tenant_key = ${tenantKey(tenant)}`
      ).pipe(Effect.flatMap(first("getConsent", consentOf))),
    putConsent: (consent) =>
      Effect.gen(function*() {
        const [scopes, resources] = yield* Effect.all([json("putConsent", consent.scopes), json("putConsent", consent.resources)])
        yield* run(
          "putConsent",
          sql`INSERT INTO emcee_oauth_consents (subject, tenant, client_id, scopes, resources, granted_at)
            VALUES (${consent.subject}, ${consent.tenant ?? null}, ${consent.clientId}, ${scopes}::jsonb, ${resources}::jsonb,
              ${time(consent.grantedAt)})
            ON CONFLICT (subject, client_id, tenant_key) DO UPDATE SET
              scopes = EXCLUDED.scopes, resources = EXCLUDED.resources, granted_at = EXCLUDED.granted_at`
        )
      }),
    deleteConsent: (subject, tenant, clientId) =>
      run(
        "deleteConsent",
        sql`DELETE FROM emcee_oauth_consents
          WHERE subject = ${subject} AND client_id = ${clientId} AND tenant_key = ${tenantKey(tenant)} RETURNING 1`
      ).pipe(Effect.map((rows) => rows.length > 0)),

    // RFC 8628 §6.1: a user code names one live authorization. An expired holder of the code is removed
    // first; the unique index on user_code then lets one of two racing inserts in (the other gets false).
    putDevice: (device) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const [scopes, resources, grant] = yield* Effect.all([
          json("putDevice", device.scopes),
          json("putDevice", device.resources),
          device.grant === undefined ? Effect.succeed(null) : json("putDevice", device.grant)
        ])
        const inserted = yield* run(
          "putDevice",
          sql.withTransaction(Effect.zipRight(
            sql`DELETE FROM emcee_oauth_device_codes WHERE user_code = ${device.userCode} AND expires_at <= ${time(now)}`,
            sql`INSERT INTO emcee_oauth_device_codes (digest, user_code, client_id, scopes, resources, expires_at,
                interval_seconds, last_polled_at, status, grant_record)
              VALUES (${device.digest}, ${device.userCode}, ${device.clientId}, ${scopes}::jsonb, ${resources}::jsonb,
                ${time(device.expiresAt)}, ${device.intervalSeconds}, ${optionalDate(device.lastPolledAt)}, ${device.status},
                ${grant}::jsonb)
              ON CONFLICT DO NOTHING RETURNING digest`
          ))
        )
        return inserted.length > 0
      }),
    getDeviceByUserCode: (userCode) =>
      run("getDeviceByUserCode", sql<DeviceRow>`SELECT ${deviceColumns} FROM emcee_oauth_device_codes WHERE user_code = ${userCode}`).pipe(
        Effect.flatMap(first("getDeviceByUserCode", deviceOf))
      ),
    decideDevice: (userCode, decision) =>
      Effect.gen(function*() {
        const grant = decision.approved ? yield* json("decideDevice", decision.grant) : null
        const decided = yield* run(
          "decideDevice",
          sql`UPDATE emcee_oauth_device_codes SET status = ${decision.approved ? "approved" : "denied"}, grant_record = ${grant}::jsonb
            WHERE user_code = ${userCode} AND status = 'pending' RETURNING 1`
        )
        return decided.length > 0
      }),
    // The sub-select locks the row, so the previous last_polled_at returned is the one this poll replaced.
    pollDevice: (digest, now) =>
      run(
        "pollDevice",
        sql<DeviceRow>`UPDATE emcee_oauth_device_codes AS device SET last_polled_at = ${time(now)}
          FROM (SELECT digest, last_polled_at FROM emcee_oauth_device_codes WHERE digest = ${digest} FOR UPDATE) AS before
          WHERE device.digest = before.digest
          RETURNING device.digest, device.user_code, device.client_id, device.scopes, device.resources, device.expires_at,
            device.interval_seconds, before.last_polled_at, device.status, device.grant_record`
      ).pipe(Effect.flatMap(first("pollDevice", deviceOf))),
    // RFC 8628 §3.5 slow_down: the interval only grows.
    slowDownDevice: (digest, intervalSeconds) =>
      run(
        "slowDownDevice",
        sql`UPDATE emcee_oauth_device_codes SET interval_seconds = GREATEST(interval_seconds, ${intervalSeconds})
          WHERE digest = ${digest}`
      ).pipe(Effect.asVoid),
    // RFC 8628 §3.5: an approved device code is exchanged once.
    redeemDevice: (digest) =>
      run(
        "redeemDevice",
        sql<DeviceRow>`UPDATE emcee_oauth_device_codes SET status = 'redeemed' WHERE digest = ${digest} AND status = 'approved'
          RETURNING ${deviceColumns}`
      ).pipe(Effect.flatMap(first("redeemDevice", deviceOf))),

    putInteraction: (interaction) =>
      Effect.gen(function*() {
        const data = yield* json("putInteraction", interaction.data)
        yield* run(
          "putInteraction",
          sql`INSERT INTO emcee_oauth_interactions (digest, kind, data, expires_at)
            VALUES (${interaction.digest}, ${interaction.kind}, ${data}::jsonb, ${time(interaction.expiresAt)})
            ON CONFLICT (digest) DO UPDATE SET kind = EXCLUDED.kind, data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`
        )
      }),
    getInteraction: (digest) =>
      run("getInteraction", sql<InteractionRow>`SELECT ${interactionColumns} FROM emcee_oauth_interactions WHERE digest = ${digest}`).pipe(
        Effect.flatMap(first("getInteraction", interactionOf))
      ),
    takeInteraction: (digest) =>
      run(
        "takeInteraction",
        sql<InteractionRow>`DELETE FROM emcee_oauth_interactions WHERE digest = ${digest} RETURNING ${interactionColumns}`
      ).pipe(Effect.flatMap(first("takeInteraction", interactionOf))),

    putUpstreamTokens: (tokens) =>
      Effect.gen(function*() {
        const scopes = yield* json("putUpstreamTokens", tokens.scopes)
        yield* run(
          "putUpstreamTokens",
          sql`INSERT INTO emcee_oauth_upstream_tokens (provider, subject, sealed_access_token, sealed_refresh_token, expires_at,
              scopes, updated_at)
            VALUES (${tokens.provider}, ${tokens.subject}, ${tokens.sealedAccessToken}, ${tokens.sealedRefreshToken ?? null},
              ${optionalDate(tokens.expiresAt)}, ${scopes}::jsonb, ${time(tokens.updatedAt)})
            ON CONFLICT (provider, subject) DO UPDATE SET
              sealed_access_token = EXCLUDED.sealed_access_token, sealed_refresh_token = EXCLUDED.sealed_refresh_token,
              expires_at = EXCLUDED.expires_at, scopes = EXCLUDED.scopes, updated_at = EXCLUDED.updated_at`
        )
      }),
    getUpstreamTokens: (provider, subject) =>
      run(
        "getUpstreamTokens",
        sql<UpstreamRow>`SELECT ${upstreamColumns} FROM emcee_oauth_upstream_tokens WHERE provider = ${provider} AND subject = ${subject}`
      ).pipe(Effect.flatMap(first("getUpstreamTokens", upstreamOf))),
    deleteUpstreamTokens: (provider, subject) =>
      run(
        "deleteUpstreamTokens",
        sql`DELETE FROM emcee_oauth_upstream_tokens WHERE provider = ${provider} AND subject = ${subject} RETURNING 1`
      ).pipe(Effect.map((rows) => rows.length > 0)),

    // A key that does not decode is left out (and reported) rather than taking every other key down with it.
    listSigningKeys: run(
      "listSigningKeys",
      sql<SigningKeyRow>`SELECT ${signingKeyColumns} FROM emcee_oauth_signing_keys ORDER BY created_at, kid`
    ).pipe(
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (row) =>
          signingKeyOf("listSigningKeys", row).pipe(
            Effect.asSome,
            Effect.catchAll((error) =>
              Effect.as(
                Effect.logWarning("Ignoring a signing key row that is not valid").pipe(
                  Effect.annotateLogs({ table: "emcee_oauth_signing_keys", kid: row.kid, reason: error.description })
                ),
                Option.none()
              )
            )
          ))
      ),
      Effect.map((keys) => keys.filter(Option.isSome).map((key) => key.value))
    ),
    putSigningKey: (key) =>
      Effect.gen(function*() {
        const publicJwk = yield* json("putSigningKey", key.publicJwk)
        yield* run(
          "putSigningKey",
          sql`INSERT INTO emcee_oauth_signing_keys (kid, alg, public_jwk, sealed_private_jwk, created_at, active_at, retires_at, expires_at)
            VALUES (${key.kid}, ${key.alg}, ${publicJwk}::jsonb, ${key.sealedPrivateJwk}, ${time(key.createdAt)},
              ${time(key.activeAt)}, ${time(key.retiresAt)}, ${time(key.expiresAt)})
            ON CONFLICT (kid) DO NOTHING`
        )
      }),

    // One statement per sweep of related rows: the refresh tokens of the grants that expired go with them.
    deleteExpired: (now) =>
      Effect.gen(function*() {
        const at = time(now)
        const grantsAndTokens = yield* sql<Count>`WITH grants AS (
            DELETE FROM emcee_oauth_grants WHERE expires_at <= ${at} RETURNING grant_id
          ), tokens AS (
            DELETE FROM emcee_oauth_refresh_tokens
            WHERE expires_at <= ${at} OR grant_id IN (SELECT grant_id FROM grants) RETURNING 1
          )
          SELECT (SELECT count(*) FROM grants) + (SELECT count(*) FROM tokens) AS count`
        const clients = yield* sql<Count>`WITH deleted AS (
            DELETE FROM emcee_oauth_clients WHERE unused_expires_at <= ${at} RETURNING 1
          ) SELECT count(*) AS count FROM deleted`
        const others = yield* Effect.forEach(
          [
            "emcee_oauth_codes",
            "emcee_oauth_device_codes",
            "emcee_oauth_interactions",
            "emcee_oauth_revoked_access_tokens",
            "emcee_oauth_signing_keys"
          ],
          (table) => deleteExpiredRows(sql, table, now)
        )
        return count(grantsAndTokens) + count(clients) + others.reduce((a, b) => a + b, 0)
      }).pipe(Effect.mapError(storeError("deleteExpired")))
  }
  return service
})
