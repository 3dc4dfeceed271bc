/**
 * Where server-side login sessions live (`Sessions` issues and checks them):
 * in memory (`memory`, one process), in a directory (`file`, one process,
 * survives restarts) or in PostgreSQL (`Postgres.sessionStore`, shared by
 * replicas).
 *
 * Stores never see a session id. They are keyed by `digest(id)`, the
 * SHA-256 of the id, so a leaked store (a backup, a directory listing, a
 * database dump) does not hand out live sessions (OWASP Session Management
 * Cheat Sheet, "Session ID Storage"). A session's identity is kept in a
 * serialisable form (`StoredIdentity`: arrays instead of sets).
 *
 * Times are epoch milliseconds taken by the caller from Effect's `Clock`,
 * so every replica and the tests agree on one notion of "now".
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer, Option } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { makeFileStore } from "./internal/sessionFileStore.js"
import { isExpired, matches, type Session, type SessionStoreError, type StoredIdentity, type Touch, touched } from "./internal/sessionModel.js"
import type { CredentialKind, Identity } from "./Principal.js"

export {
  /** True when a session is expired at `now`. */
  isExpired,
  /** One login session, as stored: its digest, identity and times. */
  Session,
  /** A store could not be read or written. */
  SessionStoreError,
  /** The identity a session was opened for, without live `Set`s (what a store keeps). */
  StoredIdentity,
  /** What `touch` needs to slide a session's expiry. */
  type Touch,
  /** A session touched at `touch.now` (see `Service.touch`). */
  touched
} from "./internal/sessionModel.js"

/** A store of login sessions, keyed by the digest of their ids. */
export interface Service {
  /** Adds a session (replacing one with the same digest). */
  readonly create: (session: Session) => Effect.Effect<void, SessionStoreError>
  /** The session, expired or not. */
  readonly get: (digest: string) => Effect.Effect<Option.Option<Session>, SessionStoreError>
  /**
   * Marks a use of a live session, atomically: when it has not expired at
   * `now`, sets `lastSeenAt` to `now` and `expiresAt` to
   * `min(now + idleMillis, absoluteExpiresAt)` and returns it; `None` when it
   * is missing or expired (a session deleted concurrently is never revived).
   */
  readonly touch: (digest: string, touch: Touch) => Effect.Effect<Option.Option<Session>, SessionStoreError>
  /** Removes a session; true when there was one. */
  readonly delete: (digest: string) => Effect.Effect<boolean, SessionStoreError>
  /** Removes the sessions expired at `now`, returning how many. */
  readonly deleteExpired: (now: number) => Effect.Effect<number, SessionStoreError>
  /**
   * Removes the sessions of `subject` (of `tenant` only, when given; of every
   * tenant otherwise), returning how many.
   */
  readonly deleteBySubject: (subject: string, tenant?: string) => Effect.Effect<number, SessionStoreError>
}

/** Service tag of the session store. */
export class SessionStore extends Context.Tag("@emcee/auth/SessionStore")<SessionStore, Service>() {}

/** A new session id: 256 random bits, base64url (43 characters). */
export const newId = (): string => randomBytes(32).toString("base64url")

/** True when `id` has the shape of a session id `newId` makes. */
export const isId = (id: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(id)

/** The key of a session in a store: the hex SHA-256 of its id. */
export const digest = (id: string): string => createHash("sha256").update(id, "utf8").digest("hex")

/** True when `value` is a digest `digest` makes (64 lower-case hex digits). */
export const isDigest = (value: string): boolean => /^[0-9a-f]{64}$/.test(value)

/** The serialisable form of an identity (its `expiresAt` is the session's business, not kept). */
export const storeIdentity = (identity: Identity): StoredIdentity => ({
  subject: identity.subject,
  ...(identity.tenant === undefined ? {} : { tenant: identity.tenant }),
  roles: Array.from(identity.roles),
  scopes: Array.from(identity.scopes),
  claims: { ...identity.claims },
  kind: identity.kind,
  ...(identity.issuer === undefined ? {} : { issuer: identity.issuer })
})

/**
 * The identity of a session, as `Sessions` authenticates it: the stored one
 * with `kind: "session"`, the original kind in `claims.loginKind`, and the
 * session's current `expiresAt`.
 */
export const loadIdentity = (session: Session): Identity => ({
  subject: session.identity.subject,
  tenant: session.identity.tenant,
  roles: new Set(session.identity.roles),
  scopes: new Set(session.identity.scopes),
  claims: { ...session.identity.claims, loginKind: session.identity.kind satisfies CredentialKind },
  kind: "session",
  issuer: session.identity.issuer,
  expiresAt: session.expiresAt
})

/** A store in this process's memory, lost on restart. */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  const sessions = new Map<string, Session>()
  return {
    create: (session) => Effect.sync(() => void sessions.set(session.digest, session)),
    get: (key) => Effect.sync(() => Option.fromNullable(sessions.get(key))),
    touch: (key, touch) =>
      Effect.sync(() => {
        const session = sessions.get(key)
        if (session === undefined || isExpired(session, touch.now)) return Option.none()
        const next = touched(session, touch)
        sessions.set(key, next)
        return Option.some(next)
      }),
    delete: (key) => Effect.sync(() => sessions.delete(key)),
    deleteExpired: (now) =>
      Effect.sync(() => {
        let count = 0
        for (const [key, session] of sessions) {
          if (isExpired(session, now)) {
            sessions.delete(key)
            count++
          }
        }
        return count
      }),
    deleteBySubject: (subject, tenant) =>
      Effect.sync(() => {
        let count = 0
        for (const [key, session] of sessions) {
          if (matches(session, subject, tenant)) {
            sessions.delete(key)
            count++
          }
        }
        return count
      })
  }
})

/** A store in this process's memory (`makeMemory`), as a Layer. */
export const memory: Layer.Layer<SessionStore> = Layer.effect(SessionStore, makeMemory)

/**
 * A store in `directory` (created when missing), for one process: one JSON
 * file per session named by its digest, written atomically (a temporary
 * file renamed over it). A file that cannot be read as a session is
 * reported (a warning with its path) and removed, never a failure.
 * Writes are serialised within the process; several processes sharing the
 * directory may lose a `touch`, so replicas use `Postgres.sessionStore`.
 */
export const makeFile = (directory: string): Effect.Effect<Service, SessionStoreError> => makeFileStore(directory)

/** A store in `directory` (`makeFile`), as a Layer. */
export const file = (directory: string): Layer.Layer<SessionStore, SessionStoreError> =>
  Layer.effect(SessionStore, makeFile(directory))
