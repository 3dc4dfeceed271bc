/**
 * What configuration selects from the library, by name, in one place:
 *
 * | config | library piece |
 * |---|---|
 * | `middleware.logging: true` | `Middleware.logging` (@emcee/core) |
 * | `middleware.timeout: 30s` | `Middleware.timeout(30s)` (@emcee/core) |
 * | `middleware.rateLimit: { perSecond, burst }` | `RateLimit.tokenBucket({ rate: perSecond, burst })` per caller, with `RateLimit.httpStatus` (429 + Retry-After) over HTTP (@emcee/auth) |
 * | `auth.jwt: { issuer, audience, jwksUrl \| secret }` | `Jwt.make` (@emcee/auth) |
 * | `auth.apiKeys: { file }` / `{ keys }` | `ApiKeys.fromFile` / `ApiKeys.fromConfig` with `ApiKeys.make` (header `x-api-key` or a bearer token) |
 * | any `auth` | `Authentication.layer` + `Authentication.middleware`; over HTTP `BearerGuard.make({ resource })`, over stdio `Authentication.environmentContext` from `auth.tokenVariable` |
 *
 * Global middleware runs in this order, outermost first: logging,
 * authentication, rate limit, timeout.
 *
 * @internal
 */
import type { Authenticator } from "@emcee/auth/Authenticator"
import type * as Jwt from "@emcee/auth/Jwt"
import { McpServer, Middleware } from "@emcee/core"
import type { HttpGuard } from "@emcee/transport"
import { ConfigProvider, type Context, Effect, Layer, Redacted } from "effect"
import * as path from "node:path"
import * as CliError from "../CliError.js"
import type { EmceeConfig } from "../Config.js"

/** The pieces a configuration selects. */
export interface Library {
  /** Global middleware, outermost first. */
  readonly middleware: ReadonlyArray<Middleware.Any>
  /** The authenticators, in order; empty when `auth` is not configured. */
  readonly authenticators: ReadonlyArray<Authenticator>
  /** HTTP statuses for JSON-RPC errors (429 for a rate limit). */
  readonly errorStatus: HttpGuard.ErrorMapper | undefined
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** The `auth` keys both `emcee serve` and `emcee gateway` read (the gateway's JWT also maps claims). */
export interface AuthSettings {
  readonly jwt: {
    readonly issuer: string
    readonly audience: ReadonlyArray<string>
    readonly jwksUrl: string | undefined
    readonly secret: Redacted.Redacted<string> | undefined
    readonly claims?: Jwt.Options["claims"]
  } | undefined
  /** `file` resolved already. */
  readonly apiKeys: { readonly file: string | undefined; readonly keys: Redacted.Redacted<string> | undefined } | undefined
}

/**
 * The authenticators of an `auth` configuration, in order: `Jwt.make` for
 * `jwt`, then a store read from `apiKeys.file` and one of the inline
 * `apiKeys.keys`; `fail` names the key in errors.
 */
export const authenticatorsOf = (
  auth: AuthSettings,
  fail: (key: string, detail: string, cause?: unknown) => CliError.CliError
): Effect.Effect<ReadonlyArray<Authenticator>, CliError.CliError> =>
  Effect.gen(function*() {
    const authenticators: Array<Authenticator> = []
    const { jwt, apiKeys } = auth
    if (jwt !== undefined) {
      const { make } = yield* Effect.promise(() => import("@emcee/auth/Jwt"))
      const authenticator = yield* Effect.try({
        try: () =>
          make({
            issuer: jwt.issuer,
            audience: jwt.audience,
            ...(jwt.jwksUrl === undefined ? {} : { jwksUrl: jwt.jwksUrl }),
            ...(jwt.secret === undefined ? {} : { secret: jwt.secret }),
            ...(jwt.claims === undefined ? {} : { claims: jwt.claims })
          }),
        catch: (error) => fail("auth.jwt", message(error).replace(/^Jwt: /, ""), error)
      })
      authenticators.push(authenticator)
    }
    if (apiKeys !== undefined) {
      const ApiKeys = yield* Effect.promise(() => import("@emcee/auth/ApiKeys"))
      if (apiKeys.file !== undefined) {
        const store = yield* Effect.mapError(ApiKeys.fromFile(apiKeys.file), (error) => fail("auth.apiKeys.file", error.message, error))
        authenticators.push(ApiKeys.make({ store, bearer: true, name: "api-key-file" }))
      }
      if (apiKeys.keys !== undefined) {
        const store = yield* Effect.withConfigProvider(
          ApiKeys.fromConfig("keys"),
          ConfigProvider.fromMap(new Map([["keys", Redacted.value(apiKeys.keys)]]))
        ).pipe(Effect.mapError((error) => fail("auth.apiKeys.keys", String(error).replace(/^.*keys: /s, ""), error)))
        authenticators.push(ApiKeys.make({ store, bearer: true }))
      }
    }
    return authenticators
  })

/**
 * Builds the pieces `config` selects. `dir` resolves relative files
 * (`auth.apiKeys.file`). A piece that refuses its options fails with a
 * `CliError` naming the key.
 */
export const build = (config: EmceeConfig, dir: string, command: string): Effect.Effect<Library, CliError.CliError> =>
  Effect.gen(function*() {
    const fail = (key: string, detail: string, cause?: unknown) => CliError.user(command, `invalid configuration: ${key}: ${detail}`, cause)
    const { apiKeys } = config.auth
    const authenticators = yield* authenticatorsOf({
      jwt: config.auth.jwt,
      apiKeys: apiKeys === undefined ? undefined : { file: apiKeys.file === undefined ? undefined : path.resolve(dir, apiKeys.file), keys: apiKeys.keys }
    }, fail)
    const middleware: Array<Middleware.Any> = []
    if (config.middleware.logging) middleware.push(Middleware.logging)
    if (authenticators.length > 0) {
      const Authentication = yield* Effect.promise(() => import("@emcee/auth/Authentication"))
      middleware.push(Authentication.middleware as Middleware.Any)
    }
    let errorStatus: HttpGuard.ErrorMapper | undefined
    const rate = config.middleware.rateLimit
    if (rate !== undefined) {
      const RateLimit = yield* Effect.promise(() => import("@emcee/auth/RateLimit"))
      const limiter = yield* Effect.try({
        try: () => RateLimit.tokenBucket({ rate: rate.perSecond, ...(rate.burst === undefined ? {} : { burst: rate.burst }) }),
        catch: (error) => fail("middleware.rateLimit", message(error), error)
      })
      middleware.push(limiter as Middleware.Any)
      errorStatus = RateLimit.httpStatus
    }
    if (config.middleware.timeout !== undefined) middleware.push(Middleware.timeout(config.middleware.timeout))
    return { middleware, authenticators, errorStatus }
  })

/**
 * The app with the library's global middleware registered on it (inside
 * the app's own global middleware, which was registered first).
 */
export const wrap = <E>(app: Layer.Layer<McpServer.McpServer, E>, library: Library): Layer.Layer<McpServer.McpServer, E> =>
  library.middleware.length === 0
    ? app
    : (McpServer.register(...(library.middleware as ReadonlyArray<Middleware.Middleware<never, never, never>>)) as Layer.Layer<never, never, McpServer.McpServer>)
      .pipe(Layer.provideMerge(app))

/** The guard of HTTP requests (`BearerGuard`), when auth is configured. */
export const httpGuard = (library: Library, config: EmceeConfig): Effect.Effect<HttpGuard.HttpGuard | undefined> =>
  library.authenticators.length === 0 ? Effect.succeed(undefined) : Effect.gen(function*() {
    const Authentication = yield* Effect.promise(() => import("@emcee/auth/Authentication"))
    const BearerGuard = yield* Effect.promise(() => import("@emcee/auth/BearerGuard"))
    return yield* BearerGuard.make(config.auth.resource === undefined ? {} : { resource: config.auth.resource }).pipe(
      Effect.provide(Authentication.layer(library.authenticators))
    )
  })

/**
 * The services of a stdio session when auth is configured: the caller
 * authenticated once from `auth.tokenVariable` (spec basic/authorization:
 * stdio servers retrieve credentials from the environment). A missing or
 * refused credential fails naming the variable.
 */
export const stdioContext = (library: Library, config: EmceeConfig, command: string): Effect.Effect<Context.Context<never> | undefined, CliError.CliError> =>
  library.authenticators.length === 0 ? Effect.succeed(undefined) : Effect.gen(function*() {
    const Authentication = yield* Effect.promise(() => import("@emcee/auth/Authentication"))
    const variable = config.auth.tokenVariable
    return yield* Authentication.environmentContext({ authorization: variable }).pipe(
      Effect.provide(Authentication.layer(library.authenticators)),
      Effect.mapError((error) =>
        CliError.user(command, `auth is configured but $${variable} holds no valid credential (${error.description}); set ${variable} to a token or API key`, error)
      )
    )
  })
