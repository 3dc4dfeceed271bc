/**
 * Authentication: authenticators in order ("the first that accepts") behind
 * one bounded cache of verified credentials, as a service, and the
 * middleware that provides the caller's `Principal` to handlers.
 *
 * Where the credential comes from depends on the transport: over HTTP the
 * guard (`BearerGuard`, or `Authentication.httpGuard`) authenticates each
 * request's headers before it is served; over stdio the credential is in the
 * environment (spec basic/authorization: "Implementations using an STDIO
 * transport SHOULD NOT follow this specification, and instead retrieve
 * credentials from the environment"), read once by `fromEnvironment`.
 *
 * @since 0.2.0
 */
import { type JsonRpc, type McpError, Middleware, RequestContext } from "@emcee/core"
import { Context, Effect, Layer, Option, Tracer } from "effect"
import { type Authenticator, AuthenticationError, type Credentials } from "./Authenticator.js"
import { increment, recordAuthentication } from "./internal/metrics.js"
import { fromContext, type Identity, key, Principal } from "./Principal.js"

/** Options of the chain's cache. */
export interface CacheOptions {
  /** Most verified credentials kept; the oldest go first. Default 10,000. 0 turns the cache off. */
  readonly maxEntries?: number
  /** Longest a verified credential is reused, in milliseconds, even when it expires later. Default 5 minutes. */
  readonly maxAgeMillis?: number
  /** How long a refused credential is refused from the cache without verifying it again. Default 5 seconds. */
  readonly refusalMillis?: number
  /**
   * Most refused credentials kept, apart from the verified ones (so a flood
   * of made-up credentials cannot push verified callers out of the cache).
   * Default 1,000.
   */
  readonly maxRefusals?: number
}

/** The authenticators of a server, in order, behind one cache. */
export interface Service {
  readonly authenticators: ReadonlyArray<Authenticator>
  /**
   * The identity of a request whose credential was verified recently and
   * has not expired, synchronously; undefined otherwise (then `authenticate`).
   */
  readonly peek: (credentials: Credentials) => Identity | undefined
  /**
   * Authenticates a request: the first authenticator whose credential the
   * request carries and that accepts it. When none accepts, fails with the
   * refusal of the first that had a credential (`missing` when none had).
   */
  readonly authenticate: (credentials: Credentials) => Effect.Effect<Identity, AuthenticationError>
}

/** Service tag of the server's authentication. */
export class Authentication extends Context.Tag("@emcee/auth/Authentication")<Authentication, Service>() {}

interface Verified {
  readonly identity: Identity
  readonly until: number
}

interface Refused {
  readonly error: AuthenticationError
  readonly until: number
}

/**
 * One map per authenticator, keyed by the credential itself, with one bound
 * over all of them: past it, the oldest entry of the largest map goes.
 */
const boundedMaps = <V extends { readonly until: number }>(count: number, max: number) => {
  const maps = Array.from({ length: count }, () => new Map<string, V>())
  let size = 0
  return {
    get: (index: number, key: string, now: number, valid?: (value: V) => boolean): V | undefined => {
      const map = maps[index]!
      const value = map.get(key)
      if (value === undefined || (value.until > now && (valid === undefined || valid(value)))) return value
      map.delete(key)
      size--
      return undefined
    },
    set: (index: number, key: string, value: V): void => {
      if (max <= 0) return
      const map = maps[index]!
      if (map.delete(key)) size--
      map.set(key, value)
      size++
      while (size > max) {
        let largest = map
        for (const m of maps) if (m.size > largest.size) largest = m
        const oldest = largest.keys().next()
        if (oldest.done === true) break
        largest.delete(oldest.value)
        size--
      }
    }
  }
}

const missing = new AuthenticationError({ reason: "missing", description: "No credential was presented" })

const unauthenticated = new AuthenticationError({
  reason: "missing",
  description: "This server requires authentication: the transport authenticated no caller for this request"
})

/** The chain of `authenticators`, in order, behind a cache. */
export const make = (authenticators: ReadonlyArray<Authenticator>, options: CacheOptions = {}): Service => {
  const maxEntries = options.maxEntries ?? 10_000
  const maxAge = options.maxAgeMillis ?? 5 * 60_000
  const refusal = options.refusalMillis ?? 5_000
  const verified = boundedMaps<Verified>(authenticators.length, maxEntries)
  const refused = boundedMaps<Refused>(authenticators.length, maxEntries <= 0 ? 0 : options.maxRefusals ?? 1_000)
  const okCounters = authenticators.map((a) => recordAuthentication.of(a.name, "ok"))
  const stillValid = authenticators.map((a) => {
    const check = a.stillValid
    return check === undefined ? undefined : (entry: Verified) => check(entry.identity)
  })

  const peek = (credentials: Credentials): Identity | undefined => {
    const now = Date.now()
    for (let i = 0; i < authenticators.length; i++) {
      const authenticator = authenticators[i]!
      const credential = authenticator.credential(credentials)
      if (credential === undefined) continue
      if (authenticator.cacheable === false) return undefined
      const known = verified.get(i, credential, now, stillValid[i])
      if (known !== undefined) {
        increment(okCounters[i]!)
        return known.identity
      }
      // Refused a moment ago: the next authenticator may accept the request.
      if (refused.get(i, credential, now) === undefined) return undefined
    }
    return undefined
  }

  const verify = (index: number, authenticator: Authenticator, credential: string) => {
    if (authenticator.cacheable === false) return authenticator.verify(credential)
    const now = Date.now()
    const known = verified.get(index, credential, now, stillValid[index])
    if (known !== undefined) return Effect.succeed(known.identity)
    const refusedBefore = refused.get(index, credential, now)
    if (refusedBefore !== undefined) return Effect.fail(refusedBefore.error)
    return authenticator.verify(credential).pipe(
      Effect.tap((identity) =>
        Effect.sync(() => {
          const now = Date.now()
          const until = Math.min(identity.expiresAt ?? Number.POSITIVE_INFINITY, now + maxAge)
          if (until > now) verified.set(index, credential, { identity, until })
        })
      ),
      Effect.tapError((error) =>
        // An unreachable verifier is not the credential's fault: ask again next time.
        error.reason === "unavailable" || refusal <= 0
          ? Effect.void
          : Effect.sync(() => refused.set(index, credential, { error, until: Date.now() + refusal }))
      )
    )
  }

  const authenticate = (credentials: Credentials): Effect.Effect<Identity, AuthenticationError> =>
    Effect.suspend(() => {
      let first: AuthenticationError | undefined
      const attempt = (i: number): Effect.Effect<Identity, AuthenticationError> => {
        for (; i < authenticators.length; i++) {
          const authenticator = authenticators[i]!
          const credential = authenticator.credential(credentials)
          if (credential === undefined) continue
          const index = i
          return Effect.matchEffect(verify(index, authenticator, credential), {
            onSuccess: (identity) => {
              increment(okCounters[index]!)
              return Effect.succeed(identity)
            },
            onFailure: (error) => {
              recordAuthentication(authenticator.name, error.reason)
              first ??= error
              return attempt(index + 1)
            }
          })
        }
        if (first === undefined) recordAuthentication("none", "missing")
        return Effect.fail(first ?? missing)
      }
      return attempt(0)
    })

  return { authenticators, peek, authenticate }
}

/** The chain as a Layer. */
export const layer = (authenticators: ReadonlyArray<Authenticator>, options?: CacheOptions): Layer.Layer<Authentication> =>
  Layer.succeed(Authentication, make(authenticators, options))

/**
 * Authenticates once from environment variables, for stdio servers: each
 * variable named in `variables` is offered as a header of the same name in
 * lower case (`{ authorization: "MCP_TOKEN" }` offers `$MCP_TOKEN` as the
 * `authorization` header; a bare token is offered as `Bearer <token>`).
 */
export const fromEnvironment = (
  variables: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> = process.env
): Effect.Effect<Identity, AuthenticationError, Authentication> =>
  Effect.flatMap(Authentication, (service) => {
    const values = new Map<string, string>()
    for (const [header, variable] of Object.entries(variables)) {
      const value = env[variable]
      if (value === undefined || value === "") continue
      values.set(header.toLowerCase(), header.toLowerCase() === "authorization" && !/^\S+\s/.test(value) ? `Bearer ${value}` : value)
    }
    return service.authenticate({ header: (name) => values.get(name) })
  })

/** The identity as an `Option`, for code that serves anonymous callers too. */
export const optional = (credentials: Credentials): Effect.Effect<Option.Option<Identity>, never, Authentication> =>
  Effect.flatMap(Authentication, (service) => Effect.option(service.authenticate(credentials)))

/**
 * The caller a transport authenticated for this request (an HTTP guard), or
 * for the whole connection (a stdio server's environment), as `Principal`.
 */
const transportPrincipal = (context: Context.Context<never>): Identity | undefined => Option.getOrUndefined(fromContext(context))

/**
 * The middleware that provides `Principal` to every handler behind it: the
 * caller the transport authenticated (`BearerGuard` over HTTP; `connect`
 * with `fromEnvironment` over stdio). A request no transport authenticated
 * never reaches a handler: it is answered -32000 with the
 * `AuthenticationError` as `data` (HTTP guards answer 401 before that).
 *
 * Register it globally (`McpServer.register(Authentication.middleware, …)`)
 * so handlers that need `Principal` compile.
 */
export const middleware: Middleware.Middleware<Principal, AuthenticationError> = Middleware.make({
  name: "authentication",
  provides: [Principal],
  failure: AuthenticationError,
  apply: (_request, next) =>
    Effect.withFiberRuntime((fiber): Effect.Effect<JsonRpc.JsonObject, McpError.ProtocolError | AuthenticationError> => {
      const context = fiber.currentContext
      const identity = transportPrincipal(context)
      if (identity === undefined) return Effect.fail(unauthenticated)
      // The request's span names the caller (OpenTelemetry `enduser.id`), never the credential.
      const span = Context.getOption(context, Tracer.ParentSpan)
      if (span._tag === "Some" && span.value._tag === "Span") {
        span.value.attribute("enduser.id", identity.subject)
        if (identity.tenant !== undefined) span.value.attribute("emcee.tenant", identity.tenant)
        span.value.attribute("emcee.credential", identity.kind)
      }
      // The caller is already in the request's context (found just above), where the handlers read it:
      // providing it again would copy the context for nothing.
      return next as Effect.Effect<JsonRpc.JsonObject, McpError.ProtocolError>
    })
})

/** The services a transport gives the requests of an authenticated caller. */
export const contextOf = (identity: Identity): Context.Context<never> =>
  Context.make(Principal, identity).pipe(Context.add(RequestContext.Caller, key(identity))) as Context.Context<never>

/**
 * The services of a stdio session whose caller is authenticated from the
 * environment (`fromEnvironment`), for `StdioTransport.run({ context })`:
 * a server started without a valid credential fails to start, naming why.
 */
export const environmentContext = (
  variables: Readonly<Record<string, string>>,
  env?: Readonly<Record<string, string | undefined>>
): Effect.Effect<Context.Context<never>, AuthenticationError, Authentication> => Effect.map(fromEnvironment(variables, env), contextOf)
