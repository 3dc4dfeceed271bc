/**
 * Tenants: one MCP server per tenant behind one HTTP endpoint, the tenant
 * chosen by the caller's credential, with tenants and their tokens added,
 * updated and removed while the server runs.
 *
 * - A registry maps tenant ids to their definitions (a Layer registering the
 *   tenant's tools, resources, prompts and middleware) and bearer tokens to
 *   tenants ("each bearer token is a tenant": give each its own tenant, or
 *   several tokens one). Tokens are kept as SHA-256 digests only
 *   (`ApiKeys.hash`), never in events or logs.
 * - `tenancy()` is the `HttpTenancy` for `HttpTransport.make({ tenancy })`:
 *   a token of the registry selects its tenant synchronously; any other
 *   credential goes to the app's `Authentication` chain when there is one
 *   (`BearerGuard` rules: spec basic/authorization, RFC 9728 metadata, RFC
 *   6750 challenges), and its `Principal`'s `tenant` selects the server (a
 *   JWT tenant claim). A caller whose tenant is not registered gets 403.
 * - Isolation is the transport's: each tenant has its own server and its own
 *   sessions, so a session id, list or notification of one tenant never
 *   reaches another (a foreign session id is 404).
 * - A tenant's server is built on its first request and released when idle
 *   (`idleTimeToLive`; `ServerStarted` / `ServerStopped` events).
 *
 * Changes at runtime, each published on `events`:
 *
 * - `add` / `addToken`: usable by the next request, no restart.
 * - `revokeToken`: the token is refused (401) from then on, and the sessions
 *   it opened end (their streams close; later requests on them get 404).
 * - `remove`: the tenant's tokens are revoked and its server released: its
 *   sessions end (in-flight requests get `shutdownTimeout` to finish).
 * - `update`: the running server's sessions move to the new definition in
 *   place: the old registrations are removed and the new ones added, and each
 *   session is told with `notifications/tools/list_changed` (prompts,
 *   resources alike; spec server/tools "List Changed Notification"). Between
 *   the two (the time the new Layer takes to build) the tenant lists nothing.
 *   If the new definition fails to build, the old one is restored and
 *   `update` fails. An update that changes the tenant's `server` options
 *   (name, version, instructions: what a session negotiated at initialize)
 *   ends the tenant's sessions instead, as `remove` does, and clients
 *   initialize again on the new server.
 *
 * @example
 * import { McpServer } from "@emcee/core"
 * import { HttpTransport } from "@emcee/transport"
 * import { Effect, Layer } from "effect"
 * const Main = Layer.unwrapScoped(Effect.gen(function*() {
 *   const tenants = yield* Tenants.Tenants
 *   yield* tenants.add("acme", { layer: McpServer.register(Authentication.middleware, acmeSearch) })
 *   yield* tenants.addToken("acme", process.env.ACME_TOKEN!)
 *   return HttpTransport.layer({ port: 3000, tenancy: yield* Tenants.tenancy() })
 * })).pipe(Layer.provide(Tenants.layer({ server: { name: "hub", version: "1.0.0" } })))
 *
 * @since 0.2.0
 */
import { McpServer } from "@emcee/core"
import type { HttpGuard, HttpTenancy } from "@emcee/transport"
import {
  Context,
  type Duration,
  Effect,
  Exit,
  Layer,
  Option,
  PubSub,
  type Redacted,
  Schema,
  Scope,
  Stream
} from "effect"
import { hash } from "./ApiKeys.js"
import { Authentication, contextOf, make as makeAuthentication } from "./Authentication.js"
import { type Authenticator, AuthenticationError, bearerToken } from "./Authenticator.js"
import * as BearerGuard from "./BearerGuard.js"
import { type Identity, make as makeIdentity, Principal } from "./Principal.js"

/** What a tenant serves. */
export interface Definition {
  /**
   * The tenant's tools, resources, prompts and middleware, registered on the
   * `McpServer` it is given: `McpServer.register(search, fetch)`, with
   * whatever they need provided. Built when the tenant's server starts (and
   * again on `update`), released with it.
   */
  readonly layer: Layer.Layer<never, unknown, McpServer.McpServer>
  /** The tenant's server options (name, version, instructions…). Default: the registry's `server`. */
  readonly server?: McpServer.Options
}

/** What a token grants besides its tenant. */
export interface TokenOptions {
  /** Names the token in events and audit records (never secret). Default: `tok_` and 12 hex digits of its digest. */
  readonly id?: string
  /** The `Principal`'s subject. Default: the token's id. */
  readonly subject?: string
  readonly scopes?: Iterable<string>
  readonly roles?: Iterable<string>
  readonly claims?: Readonly<Record<string, unknown>>
  /** When the token stops being accepted, in epoch milliseconds. Default: never. */
  readonly expiresAt?: number
}

/** A change of the registry, or of a tenant's server. Token events name the token's id, never the token. */
export type Event =
  | { readonly _tag: "TenantAdded"; readonly tenant: string }
  /** `inPlace`: the running servers took the new definition; false: their sessions were ended. */
  | { readonly _tag: "TenantUpdated"; readonly tenant: string; readonly inPlace: boolean }
  | { readonly _tag: "TenantRemoved"; readonly tenant: string }
  | { readonly _tag: "TokenAdded"; readonly tenant: string; readonly tokenId: string }
  | { readonly _tag: "TokenRevoked"; readonly tenant: string; readonly tokenId: string }
  /** The tenant's server was built (its first request since it was idle). */
  | { readonly _tag: "ServerStarted"; readonly tenant: string }
  /** The tenant's server was released (idle, removed, ended by an update, or the endpoint shut down). */
  | { readonly _tag: "ServerStopped"; readonly tenant: string }

/** A registry operation that cannot be done; `message` never contains a token. */
export class TenantError extends Schema.TaggedError<TenantError>()("TenantError", {
  reason: Schema.Literal("exists", "unknown", "token-exists", "build"),
  tenant: Schema.String,
  message: Schema.String
}) {}

/** The registry. */
export interface Service {
  /** Adds a tenant; fails with `exists` when the id is taken. */
  readonly add: (tenant: string, definition: Definition) => Effect.Effect<void, TenantError>
  /**
   * Replaces a tenant's definition; running servers take it in place (see
   * the module comment). Fails with `unknown`, or `build` when the new
   * definition could not be built (the old one is kept).
   */
  readonly update: (tenant: string, definition: Definition) => Effect.Effect<void, TenantError>
  /** Removes a tenant and revokes its tokens, ending its sessions; false when it was not there. */
  readonly remove: (tenant: string) => Effect.Effect<boolean>
  /**
   * Lets a bearer token in as a caller of `tenant`; returns its id. Fails with
   * `unknown` for an unknown tenant, `token-exists` when the token (or id) is
   * registered already.
   */
  readonly addToken: (tenant: string, token: string | Redacted.Redacted<string>, options?: TokenOptions) => Effect.Effect<string, TenantError>
  /** Refuses a token from now on and ends the sessions it opened; false when it was not registered. */
  readonly revokeToken: (token: string | Redacted.Redacted<string>) => Effect.Effect<boolean>
  /** `revokeToken` by the token's id. */
  readonly revokeTokenById: (id: string) => Effect.Effect<boolean>
  /** The registered tenant ids. */
  readonly tenants: () => ReadonlyArray<string>
  /** Every change, for logs, metrics and audit: subscribe with `PubSub.subscribe` or `Stream.fromPubSub`. */
  readonly events: PubSub.PubSub<Event>
  /**
   * The registry's tokens as an authenticator (not cached: a revoked token is
   * refused at once), for an `Authentication` chain of another transport.
   */
  readonly authenticator: Authenticator
  /** The tenant's server as `HttpTenancy.server` builds it. */
  readonly server: (tenant: string) => Layer.Layer<McpServer.McpServer, TenantError>
  /** What the endpoints serving the registry must apply (`HttpTenancy.changes`). */
  readonly changes: Stream.Stream<HttpTenancy.Change>
  /**
   * The guard of `tenancy`: registry tokens first, then `fallback` (a
   * `BearerGuard`) with the tenant read from its `Principal`.
   */
  readonly guard: (fallback: HttpGuard.HttpGuard) => HttpGuard.HttpGuard
}

/** Service tag of the registry. */
export class Tenants extends Context.Tag("@emcee/auth/Tenants")<Tenants, Service>() {}

/** Options of the registry. */
export interface Options {
  /** Server options of tenants whose definition has none. */
  readonly server: McpServer.Options
}

interface TokenEntry {
  readonly id: string
  readonly digest: string
  readonly tenant: string
  readonly identity: Identity
  readonly allow: HttpGuard.Allow
}

/** A tenant's server running in some endpoint, whose definitions can be swapped in place. */
interface Instance {
  readonly server: McpServer.Service
  /** The scope of the definitions now registered on it. */
  scope: Scope.CloseableScope
}

const REFUSAL_CODE = -32000

const forbidden = (message: string): HttpGuard.Deny => {
  const body = JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: REFUSAL_CODE, message } })
  return { _tag: "Deny", status: 403, headers: {}, body }
}

const noTenant = forbidden("Forbidden: the credential names no tenant of this server")
const unknownTenant = forbidden("Forbidden: the credential's tenant is not served here")

const isPending = (verdict: HttpGuard.Verdict | PromiseLike<HttpGuard.Verdict>): verdict is PromiseLike<HttpGuard.Verdict> =>
  typeof (verdict as PromiseLike<HttpGuard.Verdict>).then === "function"

/** The registry for the life of the scope. */
export const make = (options: Options): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const events = yield* Effect.acquireRelease(PubSub.unbounded<Event>(), PubSub.shutdown)
    const changesHub = yield* Effect.acquireRelease(PubSub.unbounded<HttpTenancy.Change>(), PubSub.shutdown)
    const definitions = new Map<string, Definition>()
    const byDigest = new Map<string, TokenEntry>()
    const byId = new Map<string, TokenEntry>()
    const live = new Map<string, Set<Instance>>()
    // Registry changes one at a time, so an update and a removal of the same tenant cannot interleave.
    const lock = yield* Effect.makeSemaphore(1)
    const serialized = <A, E, R>(effect: Effect.Effect<A, E, R>) => lock.withPermits(1)(effect)

    const publish = (event: Event) => PubSub.publish(events, event)
    const change = (c: HttpTenancy.Change) => PubSub.publish(changesHub, c)

    const ownerOf = (tenant: string, id: string) => `tenants\u0000${tenant}\u0000${id}`

    const dropToken = (entry: TokenEntry): Effect.Effect<void> =>
      Effect.suspend(() => {
        byDigest.delete(entry.digest)
        byId.delete(entry.id)
        return Effect.zipRight(
          publish({ _tag: "TokenRevoked", tenant: entry.tenant, tokenId: entry.id }),
          change({ _tag: "EndSessions", tenant: entry.tenant, owner: entry.allow.owner })
        )
      })

    /** Builds definitions on a running server, in a scope of their own. */
    const register = (server: McpServer.Service, definition: Definition): Effect.Effect<Scope.CloseableScope, unknown> =>
      Effect.flatMap(Scope.make(), (scope) =>
        Layer.buildWithScope(Layer.provide(definition.layer, Layer.succeed(McpServer.McpServer, server)), scope).pipe(
          Effect.as(scope),
          Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
        ))

    /** Moves a running server to `next`; on failure puts `previous` back, and fails. */
    const swap = (tenant: string, instance: Instance, previous: Definition, next: Definition): Effect.Effect<void, unknown> =>
      Effect.gen(function*() {
        // Removal is by name, so the old registrations go before the new ones come.
        yield* Scope.close(instance.scope, Exit.void)
        const built = yield* Effect.either(register(instance.server, next))
        if (built._tag === "Right") {
          instance.scope = built.right
          return
        }
        const restored = yield* Effect.either(register(instance.server, previous))
        if (restored._tag === "Right") instance.scope = restored.right
        else {
          // Neither builds any more: the tenant's sessions end rather than see an empty server.
          instance.scope = yield* Scope.make()
          yield* change({ _tag: "Release", tenant })
        }
        return yield* Effect.fail(built.left)
      })

    const server = (tenant: string): Layer.Layer<McpServer.McpServer, TenantError> =>
      Layer.scoped(
        McpServer.McpServer,
        Effect.gen(function*() {
          // Under the registry's lock, so an update cannot slip between reading the definition and
          // registering the instance it would have to swap.
          const { instance, running } = yield* serialized(Effect.gen(function*() {
            const definition = definitions.get(tenant)
            if (definition === undefined) {
              return yield* new TenantError({ reason: "unknown", tenant, message: `No tenant "${tenant}"` })
            }
            const running = yield* McpServer.make(definition.server ?? options.server)
            const scope = yield* register(running, definition).pipe(
              Effect.mapError(() => new TenantError({ reason: "build", tenant, message: `The definition of tenant "${tenant}" failed to build` }))
            )
            const instance: Instance = { server: running, scope }
            let instances = live.get(tenant)
            if (instances === undefined) live.set(tenant, instances = new Set())
            instances.add(instance)
            return { instance, running }
          }))
          // Runs before the server's own finalizers: the definitions go first (not while a swap runs).
          yield* Effect.addFinalizer(() =>
            serialized(Effect.suspend(() => {
              const set = live.get(tenant)
              set?.delete(instance)
              if (set !== undefined && set.size === 0) live.delete(tenant)
              return Effect.zipRight(Scope.close(instance.scope, Exit.void), publish({ _tag: "ServerStopped", tenant }))
            }))
          )
          yield* publish({ _tag: "ServerStarted", tenant })
          return running
        })
      )

    const add = (tenant: string, definition: Definition) =>
      serialized(Effect.suspend(() => {
        if (definitions.has(tenant)) return Effect.fail(new TenantError({ reason: "exists", tenant, message: `Tenant "${tenant}" exists` }))
        definitions.set(tenant, definition)
        return publish({ _tag: "TenantAdded", tenant })
      }))

    const update = (tenant: string, definition: Definition) =>
      serialized(Effect.gen(function*() {
        const previous = definitions.get(tenant)
        if (previous === undefined) return yield* new TenantError({ reason: "unknown", tenant, message: `No tenant "${tenant}"` })
        definitions.set(tenant, definition)
        const instances = [...(live.get(tenant) ?? [])]
        if ((definition.server ?? options.server) !== (previous.server ?? options.server)) {
          // A session negotiated its server's info at initialize: it cannot follow, so it ends.
          yield* change({ _tag: "Release", tenant })
          yield* publish({ _tag: "TenantUpdated", tenant, inPlace: false })
          return
        }
        const failed = yield* Effect.forEach(instances, (instance) => Effect.either(swap(tenant, instance, previous, definition)))
        if (failed.some((result) => result._tag === "Left")) {
          definitions.set(tenant, previous)
          return yield* new TenantError({ reason: "build", tenant, message: `The new definition of tenant "${tenant}" failed to build; the old one is kept` })
        }
        yield* publish({ _tag: "TenantUpdated", tenant, inPlace: true })
      }))

    const remove = (tenant: string) =>
      serialized(Effect.gen(function*() {
        if (!definitions.delete(tenant)) return false
        for (const entry of [...byId.values()]) if (entry.tenant === tenant) yield* dropToken(entry)
        yield* change({ _tag: "Release", tenant })
        yield* publish({ _tag: "TenantRemoved", tenant })
        return true
      }))

    const addToken = (tenant: string, token: string | Redacted.Redacted<string>, tokenOptions: TokenOptions = {}) =>
      serialized(Effect.suspend(() => {
        if (!definitions.has(tenant)) return Effect.fail(new TenantError({ reason: "unknown", tenant, message: `No tenant "${tenant}"` }))
        const digest = hash(token)
        const id = tokenOptions.id ?? `tok_${digest.slice(7, 19)}`
        if (byDigest.has(digest) || byId.has(id)) {
          return Effect.fail(new TenantError({ reason: "token-exists", tenant, message: `A token with id "${id}" (or the same secret) is registered` }))
        }
        const identity = makeIdentity(tokenOptions.subject ?? id, tokenOptions.scopes ?? [], {
          tenant,
          roles: tokenOptions.roles ?? [],
          claims: { ...tokenOptions.claims, token_id: id },
          kind: "opaque-token",
          expiresAt: tokenOptions.expiresAt
        })
        const entry: TokenEntry = {
          id,
          digest,
          tenant,
          identity,
          allow: { _tag: "Allow", context: contextOf(identity), owner: ownerOf(tenant, id), tenant }
        }
        byDigest.set(digest, entry)
        byId.set(id, entry)
        return Effect.as(publish({ _tag: "TokenAdded", tenant, tokenId: id }), id)
      }))

    const revokeEntry = (entry: TokenEntry | undefined) =>
      entry === undefined ? Effect.succeed(false) : Effect.as(dropToken(entry), true)

    const revokeToken = (token: string | Redacted.Redacted<string>) =>
      serialized(Effect.suspend(() => revokeEntry(byDigest.get(hash(token)))))

    const revokeTokenById = (id: string) => serialized(Effect.suspend(() => revokeEntry(byId.get(id))))

    /** A registry token in force, or undefined. */
    const lookup = (token: string): TokenEntry | undefined => {
      const entry = byDigest.get(hash(token))
      if (entry === undefined) return undefined
      const expiresAt = entry.identity.expiresAt
      return expiresAt !== undefined && expiresAt <= Date.now() ? undefined : entry
    }

    const authenticator: Authenticator = {
      name: "tenants",
      kind: "opaque-token",
      credential: bearerToken,
      cacheable: false,
      verify: (token) =>
        Effect.suspend(() => {
          const entry = byDigest.get(hash(token))
          if (entry === undefined) return Effect.fail(new AuthenticationError({ reason: "invalid", description: "Unknown token" }))
          const expiresAt = entry.identity.expiresAt
          if (expiresAt !== undefined && expiresAt <= Date.now()) {
            return Effect.fail(new AuthenticationError({ reason: "expired", description: "The token has expired" }))
          }
          return Effect.succeed(entry.identity)
        })
    }

    const guard = (fallback: HttpGuard.HttpGuard): HttpGuard.HttpGuard => {
      // The fallback's Allow (one per identity) with its Principal's tenant, made once.
      const withTenant = new WeakMap<HttpGuard.Allow, HttpGuard.Allow>()
      const tenantOf = (verdict: HttpGuard.Verdict): HttpGuard.Verdict => {
        if (verdict._tag === "Deny") return verdict
        let allow = withTenant.get(verdict)
        if (allow === undefined) {
          const tenant = verdict.tenant ?? Option.getOrUndefined(Context.getOption(verdict.context, Principal))?.tenant
          if (tenant === undefined) return noTenant
          allow = { ...verdict, tenant }
          withTenant.set(verdict, allow)
        }
        // Checked on every request: a removed tenant's callers are refused at once.
        return definitions.has(allow.tenant!) ? allow : unknownTenant
      }
      const check = (request: HttpGuard.Request): HttpGuard.Verdict | PromiseLike<HttpGuard.Verdict> => {
        // spec basic/authorization "Token Handling": the token is validated on every request; revocation holds at once.
        const token = bearerToken(request)
        if (token !== undefined) {
          const entry = lookup(token)
          if (entry !== undefined) return entry.allow
        }
        const verdict = fallback.check(request)
        return isPending(verdict) ? verdict.then(tenantOf) : tenantOf(verdict)
      }
      return { check, errorStatus: fallback.errorStatus, document: fallback.document }
    }

    return {
      add,
      update,
      remove,
      addToken,
      revokeToken,
      revokeTokenById,
      tenants: () => [...definitions.keys()],
      events,
      authenticator,
      server,
      changes: Stream.fromPubSub(changesHub),
      guard
    } satisfies Service
  })

/** The registry as a Layer. */
export const layer = (options: Options): Layer.Layer<Tenants> => Layer.scoped(Tenants, make(options))

/** Options of `tenancy`: the bearer guard's (RFC 9728 metadata, challenges) and the idle time of tenant servers. */
export interface TenancyOptions extends BearerGuard.Options {
  /** How long a tenant's server is kept with nothing open before it is released. Default 5 minutes. */
  readonly idleTimeToLive?: Duration.DurationInput
}

/**
 * The `HttpTenancy` of the registry, for `HttpTransport.make({ tenancy })`.
 * Registry tokens are checked first; other credentials go to the app's
 * `Authentication` chain when one is in context (their `Principal`'s
 * `tenant` selects the server), else are refused with 401.
 */
export const tenancy = (options: TenancyOptions = {}): Effect.Effect<HttpTenancy.HttpTenancy, never, Tenants> =>
  Effect.gen(function*() {
    const tenants = yield* Tenants
    const chain = Option.getOrElse(yield* Effect.serviceOption(Authentication), () => makeAuthentication([tenants.authenticator]))
    const runtime = yield* Effect.runtime<never>()
    const { idleTimeToLive, ...bearer } = options
    const fallback = BearerGuard.fromService(chain, runtime, bearer)
    return {
      guard: tenants.guard(fallback),
      server: tenants.server,
      changes: tenants.changes,
      ...(idleTimeToLive === undefined ? {} : { idleTimeToLive })
    }
  })

