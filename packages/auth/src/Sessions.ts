/**
 * Server-side login sessions: after a caller has proved who they are once
 * (a login form, an OAuth callback, an API key exchanged for a session), the
 * server opens a session in a `SessionStore` and hands back an opaque id that
 * later requests present in a header (default `x-session-id`) or a cookie
 * (default `emcee_session`).
 *
 * - Ids are 256 random bits, base64url; stores keep only their SHA-256
 *   (OWASP Session Management Cheat Sheet, "Session ID Entropy"), and
 *   look sessions up by that digest, so how long a lookup takes says nothing
 *   about how close a guessed id is.
 * - Expiry slides: each use extends a session by `idleTtl`, never past
 *   `absoluteTtl` after login (OWASP, "Idle Timeout" and "Absolute Timeout").
 * - Every use reaches the store (`cacheable: false`), so `logout` and
 *   `logoutAll` take effect on the next request, on every replica sharing
 *   the store.
 * - The cookie is `HttpOnly; Secure; SameSite=Lax; Path=/` by default
 *   (RFC 6265 §4.1.2.5, §4.1.2.6; SameSite: RFC 6265bis §4.1.2.7).
 *
 * `Sessions.layer` runs a fiber that removes expired sessions every
 * `cleanupInterval` for as long as the Layer lives.
 *
 * @example
 * import { Effect, Layer } from "effect"
 * import { Authentication, Principal, SessionStore, Sessions } from "@emcee/auth"
 *
 * const SessionsLive = Sessions.layer({ idleTtl: "30 minutes" }).pipe(Layer.provide(SessionStore.memory))
 * const AuthLive = Layer.effect(
 *   Authentication.Authentication,
 *   Effect.map(Sessions.authenticator, (sessions) => Authentication.make([sessions]))
 * ).pipe(Layer.provide(SessionsLive))
 *
 * // after checking a password:
 * const opened = Sessions.login(Principal.make("alice", ["tools:*"], { kind: "environment" }))
 * // opened.id for an `x-session-id` header, opened.setCookie for a `Set-Cookie` header
 *
 * @since 0.2.0
 */
import * as Cookies from "@effect/platform/Cookies"
import { Clock, Context, Duration, Effect, Layer, Option, Schedule } from "effect"
import { type Authenticator, AuthenticationError, type Credentials } from "./Authenticator.js"
import type { Identity } from "./Principal.js"
import {
  digest,
  isId,
  loadIdentity,
  newId,
  type Session,
  SessionStore,
  type SessionStoreError,
  storeIdentity
} from "./SessionStore.js"

/** The session cookie's attributes (RFC 6265 §4.1.2). */
export interface CookieOptions {
  /** Default `emcee_session`. */
  readonly name?: string
  /** Default `/`. */
  readonly path?: string
  /** Default: none (the cookie goes back to the host that set it only). */
  readonly domain?: string
  /** Default true; only false for plain-HTTP development servers. */
  readonly secure?: boolean
  /** Default `"lax"`; `"none"` requires `secure`. */
  readonly sameSite?: "lax" | "strict" | "none"
}

/** Options of `make` and `layer`. */
export interface Options {
  /** How long an unused session lives; each use extends it by as much. Default 30 minutes. */
  readonly idleTtl?: Duration.DurationInput
  /** How long a session lives after login, however often it is used. Default 12 hours. */
  readonly absoluteTtl?: Duration.DurationInput
  /** The header carrying the session id (read before the cookie). Default `x-session-id`; false: none. */
  readonly header?: string | false
  /** The cookie carrying the session id. Default `emcee_session`; false: none. */
  readonly cookie?: CookieOptions | false
  /** How often `layer` removes expired sessions from the store. Default 1 minute. */
  readonly cleanupInterval?: Duration.DurationInput
}

/** A session just opened. */
export interface Login {
  /** The session id: the credential; hand it to the caller only. */
  readonly id: string
  /** When it expires unless used (epoch milliseconds). */
  readonly expiresAt: number
  /** When it expires however often it is used (epoch milliseconds). */
  readonly absoluteExpiresAt: number
  /** A `Set-Cookie` header value carrying it (see `Service.setCookie`). */
  readonly setCookie: string
}

/**
 * Login sessions on a store. It is itself the `Authenticator` of session
 * ids (name and kind `"session"`, `cacheable: false`): pass it to
 * `Authentication.make`.
 */
export interface Service extends Authenticator {
  /** Opens a session for an identity the caller has proved. */
  readonly login: (identity: Identity) => Effect.Effect<Login, SessionStoreError>
  /** Ends a session; true when there was one. A malformed id is no session. */
  readonly logout: (id: string) => Effect.Effect<boolean, SessionStoreError>
  /**
   * Ends every session of `subject` (of `tenant` only, when given; of every
   * tenant otherwise), returning how many.
   */
  readonly logoutAll: (subject: string, tenant?: string) => Effect.Effect<number, SessionStoreError>
  /** A `Set-Cookie` value carrying `id`, for `absoluteTtl`. */
  readonly setCookie: (id: string) => string
  /** A `Set-Cookie` value removing the cookie (RFC 6265 §3.1: an expiry in the past), for logout responses. */
  readonly clearCookie: string
  /** Removes the expired sessions from the store, returning how many (what `layer`'s fiber runs). */
  readonly cleanup: Effect.Effect<number, SessionStoreError>
}

/** Service tag of the login sessions. */
export class Sessions extends Context.Tag("@emcee/auth/Sessions")<Sessions, Service>() {}

const defaults = {
  idleTtl: Duration.minutes(30),
  absoluteTtl: Duration.hours(12),
  header: "x-session-id",
  cookie: "emcee_session",
  cleanupInterval: Duration.minutes(1)
} as const

const invalid = new AuthenticationError({ reason: "invalid", description: "The session is not known" })
const malformed = new AuthenticationError({ reason: "invalid", description: "The session id is malformed" })
const expired = new AuthenticationError({ reason: "expired", description: "The session has expired" })
const unavailable = new AuthenticationError({ reason: "unavailable", description: "The session store is unavailable" })

/** Login sessions on the `SessionStore`, without the cleanup fiber (see `layer`). */
export const make = (options: Options = {}): Effect.Effect<Service, never, SessionStore> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const idleMillis = Duration.toMillis(Duration.decode(options.idleTtl ?? defaults.idleTtl))
    const absoluteMillis = Duration.toMillis(Duration.decode(options.absoluteTtl ?? defaults.absoluteTtl))
    if (!(idleMillis > 0) || !(absoluteMillis > 0)) {
      return yield* Effect.dieMessage("Sessions: idleTtl and absoluteTtl must be positive")
    }
    const header = options.header === false ? undefined : (options.header ?? defaults.header).toLowerCase()
    const cookie = options.cookie === false ? undefined : { name: defaults.cookie, ...options.cookie }
    const cookieAttributes = cookie && {
      path: cookie.path ?? "/",
      domain: cookie.domain,
      secure: cookie.secure ?? true,
      httpOnly: true,
      sameSite: cookie.sameSite ?? "lax"
    }
    const cookieName = cookie?.name ?? defaults.cookie
    // Fails here, once, on a cookie name RFC 6265 §4.1.1 does not allow.
    if (cookie !== undefined) yield* Effect.orDie(Cookies.makeCookie(cookieName, "x", cookieAttributes))

    const setCookie = (id: string) =>
      Cookies.serializeCookie(Cookies.unsafeMakeCookie(cookieName, id, { ...cookieAttributes, maxAge: Duration.millis(absoluteMillis) }))
    const clearCookie = Cookies.serializeCookie(
      Cookies.unsafeMakeCookie(cookieName, "", { ...cookieAttributes, maxAge: Duration.zero, expires: new Date(0) })
    )

    const credential = (credentials: Credentials): string | undefined => {
      if (header !== undefined) {
        const value = credentials.header(header)?.trim()
        if (value) return value
      }
      if (cookie !== undefined) {
        const value = credentials.header("cookie")
        if (value !== undefined) {
          const id = Cookies.parseHeader(value)[cookieName]
          if (id) return id
        }
      }
      return undefined
    }

    const storeFailed = (error: SessionStoreError) =>
      Effect.zipRight(
        Effect.logWarning("Session store unavailable").pipe(Effect.annotateLogs({ operation: error.operation, reason: error.description })),
        Effect.fail(unavailable)
      )

    const verify = (id: string): Effect.Effect<Identity, AuthenticationError> => {
      if (!isId(id)) return Effect.fail(malformed)
      const key = digest(id)
      return Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const live = yield* store.touch(key, { now, idleMillis })
        if (Option.isSome(live)) return loadIdentity(live.value)
        const stale = yield* store.get(key)
        return yield* Effect.fail(Option.isSome(stale) ? expired : invalid)
      }).pipe(Effect.catchTag("SessionStoreError", storeFailed))
    }

    const login = (identity: Identity): Effect.Effect<Login, SessionStoreError> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const id = newId()
        const absoluteExpiresAt = now + absoluteMillis
        const session: Session = {
          digest: digest(id),
          identity: storeIdentity(identity),
          createdAt: now,
          lastSeenAt: now,
          expiresAt: Math.min(now + idleMillis, absoluteExpiresAt),
          absoluteExpiresAt
        }
        yield* store.create(session)
        return { id, expiresAt: session.expiresAt, absoluteExpiresAt, setCookie: setCookie(id) }
      })

    const service: Service = {
      name: "session",
      kind: "session",
      cacheable: false,
      credential,
      verify,
      login,
      logout: (id) => (isId(id) ? store.delete(digest(id)) : Effect.succeed(false)),
      logoutAll: (subject, tenant) => store.deleteBySubject(subject, tenant),
      setCookie,
      clearCookie,
      cleanup: Effect.flatMap(Clock.currentTimeMillis, store.deleteExpired)
    }
    return service
  })

/**
 * Login sessions on the `SessionStore` as a Layer, with a fiber removing
 * expired sessions every `cleanupInterval` while the Layer lives (a failed
 * run is logged and retried at the next interval).
 */
export const layer = (options: Options = {}): Layer.Layer<Sessions, never, SessionStore> =>
  Layer.scoped(
    Sessions,
    Effect.tap(make(options), (service) =>
      service.cleanup.pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("Removing expired sessions failed", cause)),
        Effect.repeat(Schedule.spaced(options.cleanupInterval ?? defaults.cleanupInterval)),
        Effect.forkScoped
      ))
  )

/** The sessions' authenticator, for `Authentication.make`. */
export const authenticator: Effect.Effect<Authenticator, never, Sessions> = Sessions

/** Opens a session for an identity the caller has proved (see `Service.login`). */
export const login = (identity: Identity): Effect.Effect<Login, SessionStoreError, Sessions> =>
  Effect.flatMap(Sessions, (sessions) => sessions.login(identity))

/** Ends a session (see `Service.logout`). */
export const logout = (id: string): Effect.Effect<boolean, SessionStoreError, Sessions> =>
  Effect.flatMap(Sessions, (sessions) => sessions.logout(id))

/** Ends every session of a subject (see `Service.logoutAll`). */
export const logoutAll = (subject: string, tenant?: string): Effect.Effect<number, SessionStoreError, Sessions> =>
  Effect.flatMap(Sessions, (sessions) => sessions.logoutAll(subject, tenant))
