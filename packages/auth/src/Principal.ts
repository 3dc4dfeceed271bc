/**
 * The authenticated caller of a request. A handler that needs to know who is
 * calling has `Principal` in its requirements, so an app whose Layers do not
 * authenticate requests does not compile.
 *
 * Authenticators (`Jwt`, `ApiKeys`, `Introspection`, `Sessions`, the
 * environment for stdio) make an `Identity`; the `Authentication` middleware
 * provides it per request.
 *
 * @since 0.1.0
 */
import { McpServer } from "@emcee/core"
import { Context, Effect, Option, Schema } from "effect"

/** How the caller proved who they are. */
export type CredentialKind = "api-key" | "jwt" | "opaque-token" | "session" | "environment"

/** Who is calling, with what they were granted. */
export interface Identity {
  /** A stable identifier of the caller (user id, client id, key id). */
  readonly subject: string
  /** The tenant the caller belongs to, for multi-tenant servers. */
  readonly tenant?: string | undefined
  /** Roles granted to the caller (RBAC, see `Rbac`). */
  readonly roles: ReadonlySet<string>
  /** OAuth scopes (or permissions) granted to the caller. */
  readonly scopes: ReadonlySet<string>
  /** The verified claims or attributes the identity was made from (never the credential itself). */
  readonly claims: Readonly<Record<string, unknown>>
  /** The kind of credential that proved it. */
  readonly kind: CredentialKind
  /** The issuer of the credential, when it has one (JWT `iss`, introspection `iss`). */
  readonly issuer?: string | undefined
  /** When the credential stops being valid, in epoch milliseconds; undefined: it does not expire. */
  readonly expiresAt?: number | undefined
}

/** Service tag of the caller. */
export class Principal extends Context.Tag("@emcee/auth/Principal")<Principal, Identity>() {}

/** The caller lacks a scope a handler requires. */
export class InsufficientScope extends Schema.TaggedError<InsufficientScope>()("InsufficientScope", {
  scope: Schema.String
}) {
  override get message() {
    return `The caller lacks the "${this.scope}" scope`
  }
}

/**
 * The caller in a request's context, when one was authenticated: the
 * `Principal` a transport (HTTP guard, stdio environment) or a middleware put
 * there, never the stand-in `McpServer.register` outputs for Layers to
 * type-check (reading that one is a defect). For policies that serve
 * anonymous callers too.
 */
export const fromContext = (context: Context.Context<never>): Option.Option<Identity> => {
  const found = Context.getOption(context, Principal)
  return Option.isSome(found) && McpServer.isPlaceholder(found.value) ? Option.none() : found
}

/** The optional parts of an identity, for `make`. */
export interface MakeOptions {
  readonly tenant?: string | undefined
  readonly roles?: Iterable<string>
  readonly claims?: Readonly<Record<string, unknown>>
  readonly kind?: CredentialKind
  readonly issuer?: string | undefined
  readonly expiresAt?: number | undefined
}

/**
 * Builds an identity. The third argument is the tenant (a string) or the
 * other fields; `kind` defaults to `"environment"`.
 */
export const make = (subject: string, scopes: Iterable<string> = [], options?: string | MakeOptions): Identity => {
  const o: MakeOptions = typeof options === "string" ? { tenant: options } : options ?? {}
  return {
    subject,
    tenant: o.tenant,
    roles: new Set(o.roles ?? []),
    scopes: new Set(scopes),
    claims: o.claims ?? {},
    kind: o.kind ?? "environment",
    issuer: o.issuer,
    expiresAt: o.expiresAt
  }
}

/** A key naming the caller across requests (issuer, tenant and subject), for binding sessions to who created them. */
export const key = (identity: Identity): string =>
  `${identity.issuer ?? ""}\u0000${identity.tenant ?? ""}\u0000${identity.subject}`

/**
 * Succeeds with the caller when it has `scope`; `*` and `prefix:*` grants
 * cover every scope and every scope under the prefix.
 */
export const requireScope = (scope: string): Effect.Effect<Identity, InsufficientScope, Principal> =>
  Effect.flatMap(Principal, (identity) => (hasScope(identity, scope) ? Effect.succeed(identity) : Effect.fail(new InsufficientScope({ scope }))))

/** True when the identity's grants cover `scope`. */
export const hasScope = (identity: Identity, scope: string): boolean => {
  if (identity.scopes.has(scope) || identity.scopes.has("*")) return true
  for (let i = scope.indexOf(":"); i !== -1; i = scope.indexOf(":", i + 1)) {
    if (identity.scopes.has(`${scope.slice(0, i)}:*`)) return true
  }
  return false
}
