/**
 * The authenticated caller of a request. A handler that needs to know who is
 * calling has `Principal` in its requirements, so an app whose Layers do not
 * authenticate requests does not compile.
 *
 * Authenticators (API keys, JWT, sessions, OAuth 2.1 bearer tokens) provide
 * it per request; the first of them arrives with the auth issue.
 *
 * @since 0.1.0
 */
import { Context, Effect, Schema } from "effect"

/** Who is calling, with the scopes they were granted. */
export interface Identity {
  /** A stable identifier of the caller (user id, client id, key id). */
  readonly subject: string
  /** OAuth scopes or permissions granted to this caller. */
  readonly scopes: ReadonlySet<string>
  /** The tenant the caller belongs to, for multi-tenant servers. */
  readonly tenant?: string
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

/** Builds an identity. */
export const make = (subject: string, scopes: Iterable<string> = [], tenant?: string): Identity =>
  tenant === undefined ? { subject, scopes: new Set(scopes) } : { subject, scopes: new Set(scopes), tenant }

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
