/**
 * The stored form of login sessions, shared by the stores (see SessionStore).
 */
import { Schema } from "effect"

/** The identity a session was opened for, without live `Set`s (what a store keeps). */
export const StoredIdentity = Schema.Struct({
  subject: Schema.String,
  tenant: Schema.optional(Schema.String),
  roles: Schema.Array(Schema.String),
  scopes: Schema.Array(Schema.String),
  claims: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  /** The kind of credential of the login that opened the session. */
  kind: Schema.Literal("api-key", "jwt", "opaque-token", "session", "environment"),
  issuer: Schema.optional(Schema.String)
})

/** The identity a session was opened for, as stored. */
export interface StoredIdentity extends Schema.Schema.Type<typeof StoredIdentity> {}

/** One login session, as stored. */
export const Session = Schema.Struct({
  /** `digest(id)`: the hex SHA-256 of the session id, the key in the store. */
  digest: Schema.String,
  identity: StoredIdentity,
  /** When it was opened. */
  createdAt: Schema.Number,
  /** When it was last used. */
  lastSeenAt: Schema.Number,
  /** When it expires unless used again (sliding; never after `absoluteExpiresAt`). */
  expiresAt: Schema.Number,
  /** When it expires however often it is used. */
  absoluteExpiresAt: Schema.Number
})

/** One login session, as stored. */
export interface Session extends Schema.Schema.Type<typeof Session> {}

/** A store could not be read or written. `description` never contains a session id. */
export class SessionStoreError extends Schema.TaggedError<SessionStoreError>()("SessionStoreError", {
  operation: Schema.String,
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message() {
    return `Session store ${this.operation} failed: ${this.description}`
  }
}

/** What `touch` needs to slide a session's expiry. */
export interface Touch {
  /** Now, in epoch milliseconds. */
  readonly now: number
  /** How far a use extends the session, in milliseconds (capped at its `absoluteExpiresAt`). */
  readonly idleMillis: number
}

/** True when `session` is expired at `now`. */
export const isExpired = (session: Session, now: number): boolean =>
  session.expiresAt <= now || session.absoluteExpiresAt <= now

/** `session` touched at `touch.now` (see `Service.touch`). */
export const touched = (session: Session, touch: Touch): Session => ({
  ...session,
  lastSeenAt: touch.now,
  expiresAt: Math.min(touch.now + touch.idleMillis, session.absoluteExpiresAt)
})

export const matches = (session: Session, subject: string, tenant: string | undefined) =>
  session.identity.subject === subject && (tenant === undefined || session.identity.tenant === tenant)

