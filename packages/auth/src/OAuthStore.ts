/**
 * Where the authorization server (`AuthorizationServer`) keeps its state:
 * registered clients, authorization codes, grants and their refresh tokens,
 * consents, device codes, pending interactions, upstream tokens and signing
 * keys. `memory` keeps it in one process; `Postgres.oauthStore` in
 * PostgreSQL, shared by every replica on the database, so a token issued by
 * one replica is refreshed, introspected or revoked by another.
 *
 * Stores never see a live credential. Codes, refresh tokens, device codes,
 * client secrets and registration access tokens are keyed or kept by their
 * SHA-256 digest (`digest`); private signing keys and upstream tokens arrive
 * sealed (AES-256-GCM with the server's encryption key) and are stored as
 * given. A leaked database or backup hands out nothing usable.
 *
 * Every operation that decides a security outcome is atomic in each store:
 * a code is consumed once (`consumeCode`), a refresh token is rotated once
 * (`rotateRefresh`), a device code is redeemed once (`redeemDevice`), an
 * interaction is taken once (`takeInteraction`). Times are epoch
 * milliseconds taken by the caller from Effect's `Clock`.
 *
 * @since 0.3.0
 */
import { createHash } from "node:crypto"
import { Context, Effect, Layer, type Option, Schema } from "effect"
import { makeMemoryOAuthStore } from "./internal/oauth/memoryStore.js"
import { StoredIdentity } from "./internal/sessionModel.js"

export {
  /** The identity a grant was made for, without live `Set`s (what a store keeps). */
  StoredIdentity
} from "./internal/sessionModel.js"

/** The store could not be read or written. `description` never contains a credential. */
export class OAuthStoreError extends Schema.TaggedError<OAuthStoreError>()("OAuthStoreError", {
  operation: Schema.String,
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message() {
    return `OAuth store ${this.operation} failed: ${this.description}`
  }
}

/** The hex SHA-256 of a credential: how stores key codes, tokens and secrets. */
export const digest = (credential: string): string => createHash("sha256").update(credential).digest("hex")

/**
 * A client's registered metadata (RFC 7591 §2, OpenID Connect Dynamic
 * Client Registration `application_type`), as the server validated it. Any
 * other field the client sent and the server kept is carried through.
 */
export const ClientMetadata = Schema.Struct(
  {
    redirect_uris: Schema.Array(Schema.String),
    token_endpoint_auth_method: Schema.String,
    grant_types: Schema.Array(Schema.String),
    response_types: Schema.Array(Schema.String),
    client_name: Schema.optional(Schema.String),
    client_uri: Schema.optional(Schema.String),
    logo_uri: Schema.optional(Schema.String),
    scope: Schema.optional(Schema.String),
    contacts: Schema.optional(Schema.Array(Schema.String)),
    tos_uri: Schema.optional(Schema.String),
    policy_uri: Schema.optional(Schema.String),
    jwks_uri: Schema.optional(Schema.String),
    software_id: Schema.optional(Schema.String),
    software_version: Schema.optional(Schema.String),
    application_type: Schema.optional(Schema.Literal("web", "native"))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/** A client's registered metadata. */
export type ClientMetadata = Schema.Schema.Type<typeof ClientMetadata>

/** A client registered with the server: from configuration (`static`) or RFC 7591 dynamic registration (`dynamic`). */
export const Client = Schema.Struct({
  clientId: Schema.String,
  origin: Schema.Literal("static", "dynamic"),
  metadata: ClientMetadata,
  /** `digest(client_secret)` of a confidential client. */
  secretDigest: Schema.optional(Schema.String),
  /** When the secret expires (RFC 7591 `client_secret_expires_at`, in epoch ms); undefined: never. */
  secretExpiresAt: Schema.optional(Schema.Number),
  /** `digest(registration_access_token)` (RFC 7592) of a dynamically registered client. */
  registrationTokenDigest: Schema.optional(Schema.String),
  createdAt: Schema.Number,
  /** The last time it was used at the authorization or token endpoint. */
  lastUsedAt: Schema.optional(Schema.Number),
  /**
   * A dynamic client never used by then is removed (`deleteExpired`); the
   * first use clears it (`touchClient`).
   */
  unusedExpiresAt: Schema.optional(Schema.Number)
})

/** A registered client. */
export interface Client extends Schema.Schema.Type<typeof Client> {}

/**
 * What the user authorized, once: the grant a code, a device code or a
 * refresh-token family belongs to. Revoking it (reuse of a code or of a
 * rotated refresh token, RFC 7009 revocation of a refresh token, logout)
 * ends every token issued under it.
 */
export const Grant = Schema.Struct({
  grantId: Schema.String,
  clientId: Schema.String,
  /** Who authorized it (the subject the server issues tokens for). */
  identity: StoredIdentity,
  scopes: Schema.Array(Schema.String),
  /** RFC 8707 resources the tokens are for (their audiences). */
  resources: Schema.Array(Schema.String),
  /** When the user authenticated (OIDC `auth_time`), epoch ms. */
  authTime: Schema.Number,
  /** The upstream identity provider the user logged in with, when any. */
  upstream: Schema.optional(Schema.String),
  /**
   * Set when the authorization request asked for `openid` (OIDC Core
   * §3.1.2.1): the code exchange adds an ID token carrying `nonce`. Kept
   * with the code only; a store may drop it from the grant itself.
   */
  oidc: Schema.optional(Schema.Struct({ nonce: Schema.optional(Schema.String) })),
  createdAt: Schema.Number,
  /** No refresh beyond this point, however often rotated. */
  expiresAt: Schema.Number,
  revokedAt: Schema.optional(Schema.Number),
  /** Why: `code_reuse`, `refresh_reuse`, `revocation`, `logout`, `client_deleted`… */
  revokedReason: Schema.optional(Schema.String)
})

/** A grant. */
export interface Grant extends Schema.Schema.Type<typeof Grant> {}

/** An authorization code (RFC 6749 §4.1.2), before and after its single use. */
export const Code = Schema.Struct({
  /** `digest(code)`. */
  digest: Schema.String,
  clientId: Schema.String,
  /** The `redirect_uri` of the authorization request, compared exactly at the token endpoint. */
  redirectUri: Schema.String,
  /** The PKCE S256 challenge (RFC 7636 §4.2). */
  codeChallenge: Schema.String,
  /** The grant the exchange creates (and that a second use revokes). */
  grant: Grant,
  expiresAt: Schema.Number,
  /** When it was exchanged. */
  usedAt: Schema.optional(Schema.Number)
})

/** An authorization code. */
export interface Code extends Schema.Schema.Type<typeof Code> {}

/** A refresh token of a grant's family (OAuth 2.1 §4.3.1: rotated on every use). */
export const RefreshToken = Schema.Struct({
  /** `digest(refresh_token)`. */
  digest: Schema.String,
  grantId: Schema.String,
  createdAt: Schema.Number,
  expiresAt: Schema.Number,
  /** When it was exchanged for its successor; undefined while it is the current one. */
  rotatedAt: Schema.optional(Schema.Number)
})

/** A refresh token. */
export interface RefreshToken extends Schema.Schema.Type<typeof RefreshToken> {}

/** What a user consented to for a client (remembered so the consent screen is shown once per client and scope set). */
export const Consent = Schema.Struct({
  subject: Schema.String,
  tenant: Schema.optional(Schema.String),
  clientId: Schema.String,
  scopes: Schema.Array(Schema.String),
  resources: Schema.Array(Schema.String),
  grantedAt: Schema.Number
})

/** A remembered consent. */
export interface Consent extends Schema.Schema.Type<typeof Consent> {}

/** A device authorization (RFC 8628 §3.2) from request to redemption. */
export const DeviceCode = Schema.Struct({
  /** `digest(device_code)`. */
  digest: Schema.String,
  /** The code the user types (stored normalised: upper case, no separators). */
  userCode: Schema.String,
  clientId: Schema.String,
  scopes: Schema.Array(Schema.String),
  resources: Schema.Array(Schema.String),
  expiresAt: Schema.Number,
  /** The polling interval the client was told, in seconds (raised by `slow_down`). */
  intervalSeconds: Schema.Number,
  lastPolledAt: Schema.optional(Schema.Number),
  status: Schema.Literal("pending", "approved", "denied", "redeemed"),
  /** The grant approval made (set with `approved`). */
  grant: Schema.optional(Grant)
})

/** A device authorization. */
export interface DeviceCode extends Schema.Schema.Type<typeof DeviceCode> {}

/** A pending browser interaction (an authorization request waiting for login and consent, an upstream login in flight). */
export const Interaction = Schema.Struct({
  /** `digest(id)` of the id the browser carries. */
  digest: Schema.String,
  kind: Schema.String,
  data: Schema.Unknown,
  expiresAt: Schema.Number
})

/** A pending interaction. */
export interface Interaction extends Schema.Schema.Type<typeof Interaction> {}

/** Tokens an upstream identity provider issued for a user, sealed, for tools that call the upstream API on the user's behalf. */
export const UpstreamTokens = Schema.Struct({
  provider: Schema.String,
  /** The subject the authorization server knows the user by. */
  subject: Schema.String,
  sealedAccessToken: Schema.String,
  sealedRefreshToken: Schema.optional(Schema.String),
  /** When the access token expires, epoch ms; undefined when the provider did not say. */
  expiresAt: Schema.optional(Schema.Number),
  scopes: Schema.Array(Schema.String),
  updatedAt: Schema.Number
})

/** Sealed upstream tokens. */
export interface UpstreamTokens extends Schema.Schema.Type<typeof UpstreamTokens> {}

/** A key the server signs access tokens with, shared by replicas. */
export const SigningKey = Schema.Struct({
  kid: Schema.String,
  alg: Schema.String,
  /** The public JWK published in the JWKS. */
  publicJwk: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  /** The private JWK, sealed. */
  sealedPrivateJwk: Schema.String,
  createdAt: Schema.Number,
  /** From then on, it signs (the newest active key signs). */
  activeAt: Schema.Number,
  /** From then on, it no longer signs (still published, so tokens it signed verify). */
  retiresAt: Schema.Number,
  /** From then on, it is removed from the JWKS (after the longest-lived token it signed expired). */
  expiresAt: Schema.Number
})

/** A signing key. */
export interface SigningKey extends Schema.Schema.Type<typeof SigningKey> {}

/** What `rotateRefresh` found. */
export interface Rotation {
  readonly token: RefreshToken
  /** When it had already been rotated before this call; undefined when this call rotated it. */
  readonly previouslyRotatedAt: number | undefined
}

/** A store of the authorization server's state. */
export interface Service {
  // Clients
  readonly getClient: (clientId: string) => Effect.Effect<Option.Option<Client>, OAuthStoreError>
  /** Adds or replaces a client. */
  readonly putClient: (client: Client) => Effect.Effect<void, OAuthStoreError>
  /** Removes a client; true when there was one. */
  readonly deleteClient: (clientId: string) => Effect.Effect<boolean, OAuthStoreError>
  /** Records a use: sets `lastUsedAt` and clears `unusedExpiresAt`. */
  readonly touchClient: (clientId: string, now: number) => Effect.Effect<void, OAuthStoreError>

  // Authorization codes
  readonly putCode: (code: Code) => Effect.Effect<void, OAuthStoreError>
  /**
   * Marks a code used, atomically, and returns it as it was before this
   * call: `usedAt` undefined means this call consumed it; set, that it had
   * been consumed already (a replay). `None` when there is no such code.
   */
  readonly consumeCode: (digest: string, now: number) => Effect.Effect<Option.Option<Code>, OAuthStoreError>

  // Grants and refresh tokens
  readonly putGrant: (grant: Grant) => Effect.Effect<void, OAuthStoreError>
  readonly getGrant: (grantId: string) => Effect.Effect<Option.Option<Grant>, OAuthStoreError>
  /** Revokes a grant (first revocation wins: its time and reason are kept) and deletes its refresh tokens; true when it was live. */
  readonly revokeGrant: (grantId: string, now: number, reason: string) => Effect.Effect<boolean, OAuthStoreError>
  /** Revokes every live grant of a subject (of `clientId` only, when given), returning how many. */
  readonly revokeGrantsOf: (subject: string, now: number, reason: string, clientId?: string) => Effect.Effect<number, OAuthStoreError>
  /** Revokes every live grant of a client (a deleted client, RFC 7592 §2.3), returning their ids. */
  readonly revokeGrantsOfClient: (clientId: string, now: number, reason: string) => Effect.Effect<ReadonlyArray<string>, OAuthStoreError>
  readonly putRefresh: (token: RefreshToken) => Effect.Effect<void, OAuthStoreError>
  readonly getRefresh: (digest: string) => Effect.Effect<Option.Option<RefreshToken>, OAuthStoreError>
  /**
   * Marks a refresh token rotated at `now` when it was not yet, atomically,
   * and says whether it had been (see `Rotation`). `None` when there is no
   * such token.
   */
  readonly rotateRefresh: (digest: string, now: number) => Effect.Effect<Option.Option<Rotation>, OAuthStoreError>

  // Access tokens revoked one by one (RFC 7009) before they expire
  readonly revokeAccessToken: (jti: string, expiresAt: number) => Effect.Effect<void, OAuthStoreError>
  readonly isAccessTokenRevoked: (jti: string) => Effect.Effect<boolean, OAuthStoreError>

  // Consents
  readonly getConsent: (subject: string, tenant: string | undefined, clientId: string) => Effect.Effect<Option.Option<Consent>, OAuthStoreError>
  readonly putConsent: (consent: Consent) => Effect.Effect<void, OAuthStoreError>
  readonly deleteConsent: (subject: string, tenant: string | undefined, clientId: string) => Effect.Effect<boolean, OAuthStoreError>

  // Device authorizations
  /** Adds a device authorization; false (nothing added) when its user code is taken by a live one: the caller draws another. */
  readonly putDevice: (device: DeviceCode) => Effect.Effect<boolean, OAuthStoreError>
  readonly getDeviceByUserCode: (userCode: string) => Effect.Effect<Option.Option<DeviceCode>, OAuthStoreError>
  /** Approves (with its grant) or denies a pending device authorization; false when it is not pending any more. */
  readonly decideDevice: (
    userCode: string,
    decision: { readonly approved: true; readonly grant: Grant } | { readonly approved: false }
  ) => Effect.Effect<boolean, OAuthStoreError>
  /** Records a poll at `now` and returns the authorization as it was before (its previous `lastPolledAt`), atomically. */
  readonly pollDevice: (digest: string, now: number) => Effect.Effect<Option.Option<DeviceCode>, OAuthStoreError>
  /** Raises a device authorization's polling interval (RFC 8628 §3.5 `slow_down`). */
  readonly slowDownDevice: (digest: string, intervalSeconds: number) => Effect.Effect<void, OAuthStoreError>
  /** Moves an approved authorization to `redeemed`, atomically; `None` unless this call did. */
  readonly redeemDevice: (digest: string) => Effect.Effect<Option.Option<DeviceCode>, OAuthStoreError>

  // Interactions
  readonly putInteraction: (interaction: Interaction) => Effect.Effect<void, OAuthStoreError>
  readonly getInteraction: (digest: string) => Effect.Effect<Option.Option<Interaction>, OAuthStoreError>
  /** Removes and returns an interaction, atomically (one callback wins). */
  readonly takeInteraction: (digest: string) => Effect.Effect<Option.Option<Interaction>, OAuthStoreError>

  // Upstream tokens
  readonly putUpstreamTokens: (tokens: UpstreamTokens) => Effect.Effect<void, OAuthStoreError>
  readonly getUpstreamTokens: (provider: string, subject: string) => Effect.Effect<Option.Option<UpstreamTokens>, OAuthStoreError>
  readonly deleteUpstreamTokens: (provider: string, subject: string) => Effect.Effect<boolean, OAuthStoreError>

  // Signing keys
  readonly listSigningKeys: Effect.Effect<ReadonlyArray<SigningKey>, OAuthStoreError>
  /** Adds a key unless one with its `kid` exists (replicas racing to rotate add one each; both are valid). */
  readonly putSigningKey: (key: SigningKey) => Effect.Effect<void, OAuthStoreError>

  /**
   * Removes what expired at `now` (codes, refresh tokens, grants, device
   * codes, interactions, revoked access-token ids, signing keys, dynamic
   * clients never used), returning how many rows.
   */
  readonly deleteExpired: (now: number) => Effect.Effect<number, OAuthStoreError>
}

/** Service tag of the authorization server's store. */
export class OAuthStore extends Context.Tag("@emcee/auth/OAuthStore")<OAuthStore, Service>() {}

/** A store in this process's memory: for one replica, development and tests. */
export const makeMemory: Effect.Effect<Service> = Effect.sync(makeMemoryOAuthStore)

/** A store in memory (`makeMemory`), as a Layer. */
export const memory: Layer.Layer<OAuthStore> = Layer.effect(OAuthStore, makeMemory)
