/**
 * The caller's upstream tokens, for tools that call an upstream API (GitHub,
 * Microsoft Graph, Google APIs) on the user's behalf. A tool that needs one
 * has `UpstreamTokens` in its requirements, so the dependency is explicit and
 * typed; the MCP client's own token is never passed through (spec
 * 2025-11-25 basic/authorization "Access Token Privilege Restriction": an MCP
 * server MUST NOT pass through the token it received to upstream APIs).
 *
 * The authorization server stores the tokens of each upstream login
 * (`store`); they are sealed (AES-256-GCM, bound to provider, subject and
 * purpose) before they reach the `OAuthStore`, so the store holds no
 * plaintext token. `accessToken` answers the caller's access token, refreshed
 * through the provider (RFC 6749 §6) when it expires within a minute;
 * concurrent refreshes for one user and provider in one process make one
 * upstream call.
 *
 * @example
 * import { Effect, Redacted } from "effect"
 * import { UpstreamTokens } from "@emcee/auth"
 *
 * // Effect<Response, UpstreamTokenError, UpstreamTokens | Principal>
 * const listRepos = Effect.gen(function*() {
 *   const tokens = yield* UpstreamTokens.UpstreamTokens
 *   const token = yield* tokens.accessToken("github")
 *   return yield* Effect.promise(() =>
 *     fetch("https://api.github.com/user/repos", { headers: { authorization: `Bearer ${Redacted.value(token)}` } }))
 * })
 *
 * // The server: UpstreamTokens.layer({ providers, encryptionKey }) over an OAuthStore.
 *
 * @since 0.3.0
 */
import { Clock, Context, Deferred, Duration, Effect, FiberId, Layer, Option, Redacted, Schema, type Scope } from "effect"
import { makeSealer, type Sealer } from "./internal/oauth/seal.js"
import type { Provider, TokenSet, UpstreamError } from "./internal/oauth/upstreamModel.js"
import { OAuthStore, type OAuthStoreError, type UpstreamTokens as StoredTokens } from "./OAuthStore.js"
import { Principal } from "./Principal.js"

export type { Sealer }

/**
 * The caller's upstream token cannot be had. `reason`: `not_logged_in` (the
 * caller never logged in with the provider, or the stored tokens cannot be
 * opened any more), `expired` (expired and not refreshable: log in again),
 * `unknown_provider`, `unavailable` (the provider failed to refresh now),
 * `configuration`, `store`. `description` never contains a token.
 */
export class UpstreamTokenError extends Schema.TaggedError<UpstreamTokenError>()("UpstreamTokenError", {
  provider: Schema.String,
  reason: Schema.Literal("not_logged_in", "expired", "unknown_provider", "unavailable", "configuration", "store"),
  description: Schema.String
}) {
  override get message() {
    return `No upstream token for ${this.provider} (${this.reason}): ${this.description}`
  }
}

/** The upstream tokens service. */
export interface Service {
  /** The caller's upstream access token for `provider`, refreshed when it expires within a minute; fails when the caller never logged in there. */
  readonly accessToken: (provider: string) => Effect.Effect<Redacted.Redacted<string>, UpstreamTokenError, Principal>
  /** Stores (sealed) the tokens of a login: the authorization server calls this after an upstream login. */
  readonly store: (subject: string, provider: string, tokens: TokenSet) => Effect.Effect<void, UpstreamTokenError>
  /** Forgets a user's tokens for a provider (logout, account unlinking). */
  readonly forget: (subject: string, provider: string) => Effect.Effect<void, UpstreamTokenError>
}

/** Service tag of the caller's upstream tokens. */
export class UpstreamTokens extends Context.Tag("@emcee/auth/UpstreamTokens")<UpstreamTokens, Service>() {}

/** Options of `make` and `layer`: the providers, and a sealer or the encryption key(s) to make one. */
export type Options = {
  /** The upstream providers, by `name` (the same the authorization server logs in with). */
  readonly providers: ReadonlyArray<Provider>
  /** Refresh when the access token expires within this. Default 1 minute. */
  readonly refreshWindow?: Duration.DurationInput
} & (
  | { readonly sealer: Sealer }
  /** At least 32 characters each; the first seals, all open (rotation). */
  | { readonly encryptionKey: Redacted.Redacted<string> | ReadonlyArray<Redacted.Redacted<string>> }
)

/** Additional authenticated data of a sealed token: which provider, subject and purpose it belongs to. */
const contextOf = (provider: string, subject: string, purpose: "access" | "refresh"): string =>
  JSON.stringify(["emcee/upstream-tokens", provider, subject, purpose])

/** The service over the `OAuthStore` in context; its refreshes run in the scope. */
export const make = (options: Options): Effect.Effect<Service, UpstreamTokenError, OAuthStore | Scope.Scope> =>
  Effect.gen(function*() {
    const sealer = "sealer" in options
      ? options.sealer
      : yield* Effect.try({
        try: () => makeSealer(options.encryptionKey),
        catch: (e) =>
          new UpstreamTokenError({ provider: "*", reason: "configuration", description: e instanceof Error ? e.message : "invalid encryption key" })
      })
    const oauthStore = yield* OAuthStore
    const scope = yield* Effect.scope
    const providers = new Map<string, Provider>()
    for (const p of options.providers) providers.set(p.name, p)
    const windowMillis = Duration.toMillis(Duration.decode(options.refreshWindow ?? "1 minute"))

    const fail = (provider: string, reason: UpstreamTokenError["reason"], description: string) =>
      Effect.fail(new UpstreamTokenError({ provider, reason, description }))
    const storeFailed = (provider: string) => (e: OAuthStoreError) => new UpstreamTokenError({ provider, reason: "store", description: e.description })

    const providerOf = (name: string): Effect.Effect<Provider, UpstreamTokenError> => {
      const p = providers.get(name)
      return p === undefined ? fail(name, "unknown_provider", `No upstream provider is named "${name}"`) : Effect.succeed(p)
    }

    const put = (subject: string, provider: string, tokens: TokenSet) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const record: StoredTokens = {
          provider,
          subject,
          sealedAccessToken: sealer.seal(tokens.accessToken, contextOf(provider, subject, "access")),
          ...(tokens.refreshToken === undefined ? {} : { sealedRefreshToken: sealer.seal(tokens.refreshToken, contextOf(provider, subject, "refresh")) }),
          ...(tokens.expiresAt === undefined ? {} : { expiresAt: tokens.expiresAt }),
          scopes: tokens.scopes,
          updatedAt: now
        }
        return oauthStore.putUpstreamTokens(record).pipe(Effect.mapError(storeFailed(provider)))
      })

    const load = (provider: string, subject: string) =>
      oauthStore.getUpstreamTokens(provider, subject).pipe(
        Effect.mapError(storeFailed(provider)),
        Effect.flatMap(Option.match({
          onNone: () => fail(provider, "not_logged_in", `The caller has not logged in with ${provider}; sign in with ${provider} to use this tool`),
          onSome: Effect.succeed
        }))
      )

    const openAccess = (record: StoredTokens): Effect.Effect<Redacted.Redacted<string>, UpstreamTokenError> => {
      const token = sealer.open(record.sealedAccessToken, contextOf(record.provider, record.subject, "access"))
      return token === undefined
        ? fail(record.provider, "not_logged_in", `The stored ${record.provider} tokens cannot be opened (was the encryption key changed?); sign in with ${record.provider} again`)
        : Effect.succeed(Redacted.make(token))
    }

    const fresh = (record: StoredTokens, now: number) => record.expiresAt === undefined || record.expiresAt - now > windowMillis

    const refreshFailed = (provider: string, subject: string) => (e: UpstreamError) => {
      switch (e.reason) {
        case "denied":
          // The refresh token was revoked or expired: the stored tokens are of no use any more.
          return oauthStore.deleteUpstreamTokens(provider, subject).pipe(
            Effect.mapError(storeFailed(provider)),
            Effect.zipRight(fail(provider, "expired", `The ${provider} session ended (${e.description}); sign in with ${provider} again`))
          )
        case "configuration":
          return fail(provider, "configuration", e.description)
        default:
          return fail(provider, "unavailable", e.description)
      }
    }

    const refresh = (provider: Provider, subject: string): Effect.Effect<Redacted.Redacted<string>, UpstreamTokenError> =>
      Effect.gen(function*() {
        // Read again: a refresh that finished since (here, or on another replica) may have renewed it.
        const record = yield* load(provider.name, subject)
        if (fresh(record, yield* Clock.currentTimeMillis)) return yield* openAccess(record)
        const refreshToken = record.sealedRefreshToken === undefined
          ? undefined
          : sealer.open(record.sealedRefreshToken, contextOf(provider.name, subject, "refresh"))
        if (refreshToken === undefined) {
          return yield* fail(provider.name, "expired", `The ${provider.name} access token expired and cannot be refreshed; sign in with ${provider.name} again`)
        }
        const tokens = yield* provider.refresh(refreshToken).pipe(Effect.catchAll(refreshFailed(provider.name, subject)))
        yield* put(subject, provider.name, tokens)
        return Redacted.make(tokens.accessToken)
      })

    // One refresh per (provider, subject) at a time in this process; the others wait for its result.
    const inflight = new Map<string, Deferred.Deferred<Redacted.Redacted<string>, UpstreamTokenError>>()
    const coalesced = (provider: Provider, subject: string): Effect.Effect<Redacted.Redacted<string>, UpstreamTokenError> =>
      Effect.suspend(() => {
        const key = JSON.stringify([provider.name, subject])
        const pending = inflight.get(key)
        if (pending !== undefined) return Deferred.await(pending)
        const deferred = Deferred.unsafeMake<Redacted.Redacted<string>, UpstreamTokenError>(FiberId.none)
        inflight.set(key, deferred)
        // Forked into the layer's scope: a caller that gives up does not cancel the refresh the others wait for.
        return refresh(provider, subject).pipe(
          Effect.exit,
          Effect.flatMap((exit) => Deferred.done(deferred, exit)),
          Effect.onInterrupt(() => Deferred.interrupt(deferred)),
          Effect.ensuring(Effect.sync(() => inflight.delete(key))),
          Effect.forkIn(scope),
          Effect.zipRight(Deferred.await(deferred))
        )
      })

    const accessToken = (name: string): Effect.Effect<Redacted.Redacted<string>, UpstreamTokenError, Principal> =>
      Effect.gen(function*() {
        const identity = yield* Principal
        const provider = yield* providerOf(name)
        const record = yield* load(name, identity.subject)
        if (fresh(record, yield* Clock.currentTimeMillis)) return yield* openAccess(record)
        return yield* coalesced(provider, identity.subject)
      })

    const store = (subject: string, provider: string, tokens: TokenSet) =>
      Effect.zipRight(providerOf(provider), put(subject, provider, tokens))

    const forget = (subject: string, provider: string) =>
      oauthStore.deleteUpstreamTokens(provider, subject).pipe(Effect.mapError(storeFailed(provider)), Effect.asVoid)

    return { accessToken, store, forget } satisfies Service
  })

/** The service as a Layer over the `OAuthStore`. */
export const layer = (options: Options): Layer.Layer<UpstreamTokens, UpstreamTokenError, OAuthStore> =>
  Layer.scoped(UpstreamTokens, make(options))
