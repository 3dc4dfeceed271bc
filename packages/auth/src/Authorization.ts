/**
 * What a primitive needs of its caller: roles, permissions (through the
 * `Rbac` policy) and OAuth scopes (through the scope hierarchy). `require`
 * makes a middleware that checks the caller's `Principal` before the handler
 * runs, and refuses without running it when something is missing.
 *
 * A refusal is the declared failure `Forbidden`, answered as a JSON-RPC
 * error -32000 whose `data` is the encoded `Forbidden`: its `reason` is
 * `insufficient_scope` when more scopes would let the caller in (spec
 * 2026-07-28 basic/authorization "Runtime Insufficient Scope Errors", RFC
 * 6750 §3.1) and `forbidden` otherwise; `requiredScopes` names every scope
 * the operation needs, not only the missing ones, so one step-up suffices
 * ("servers SHOULD include all scopes required for the current operation in
 * a single challenge").
 *
 * The middleware needs `Principal`, which an authenticating middleware (the
 * global `Authentication` middleware) provides; and `Rbac` when it checks
 * permissions and no `policy` is given. It carries what it requires in
 * `requirement`, for code that wants to know what a primitive needs (an HTTP
 * guard answering 403 with `WWW-Authenticate` before the MCP request runs):
 * see `requirementOf`.
 *
 * It is meant for a primitive's `middleware` option; registered globally it
 * guards every request, `initialize` and lists included.
 *
 * With `hide: true` the primitive is also left out of `tools/list`,
 * `prompts/list` and `resources/list` for callers who may not use it (see
 * `Middleware.visible`).
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Tool } from "@emcee/core"
 * import { Authorization } from "@emcee/auth"
 *
 * const remove = Tool.make("delete", {
 *   input: Schema.Struct({ path: Schema.String }),
 *   middleware: [Authorization.require({ scopes: ["files:write"], hide: true })],
 *   handler: ({ path }) => Effect.succeed(`deleted ${path}`)
 * })
 *
 * @since 0.2.0
 */
import { recordDenial } from "./internal/metrics.js"
import { Middleware } from "@emcee/core"
import { Context, Effect, Option, Schema } from "effect"
import { fromContext, type Identity, Principal } from "./Principal.js"
import { type Policy, Rbac } from "./Rbac.js"
import * as Scopes from "./Scopes.js"

/**
 * What an operation needs. By default the caller needs every listed role,
 * permission and scope; with `any: true`, one of them (any single listed
 * role, permission or scope) is enough. Nothing listed: everyone may.
 */
export interface Requirement {
  /** Roles the caller must hold, directly or (with a policy) through inheritance. */
  readonly roles?: ReadonlyArray<string> | undefined
  /** Permissions the caller's grants must cover (see `Rbac` for wildcards). */
  readonly permissions?: ReadonlyArray<string> | undefined
  /** OAuth scopes the caller's token must cover, through the scope hierarchy. */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** One listed item suffices (default false: all are needed). */
  readonly any?: boolean | undefined
}

/** A requirement with its lists filled in (deduplicated). */
export interface NormalizedRequirement {
  readonly roles: ReadonlyArray<string>
  readonly permissions: ReadonlyArray<string>
  readonly scopes: ReadonlyArray<string>
  readonly any: boolean
}

/** The options of `require`: the requirement and how to check it. */
export interface RequireOptions extends Requirement {
  /**
   * Leave the primitive out of list results for callers who do not meet the
   * requirement (and for unauthenticated ones); default false.
   */
  readonly hide?: boolean | undefined
  /** The RBAC policy to check against; without it, roles and permissions use the `Rbac` service. */
  readonly policy?: Policy | undefined
  /** The scope hierarchy; without it, the `Scopes.ScopeHierarchy` service (the spec's default unless provided). */
  readonly hierarchy?: Scopes.Hierarchy | undefined
  /** The middleware's name (default `"authorization"`). */
  readonly name?: string | undefined
}

/**
 * The caller may not do this. Answered as JSON-RPC error -32000 with the
 * encoded value as `data`. It never contains the caller's credential.
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  /** `insufficient_scope`: more scopes would let the caller in (RFC 6750 §3.1); `forbidden`: they would not. */
  reason: Schema.Literal("insufficient_scope", "forbidden"),
  /** Every scope the operation needs, granted or not (spec 2026-07-28 basic/authorization "Runtime Insufficient Scope Errors"). */
  requiredScopes: Schema.Array(Schema.String),
  /** The required scopes the caller's token does not cover. */
  missingScopes: Schema.optional(Schema.Array(Schema.String)),
  /** The required roles the caller does not hold. */
  missingRoles: Schema.optional(Schema.Array(Schema.String)),
  /** The required permissions the caller's grants do not cover. */
  missingPermissions: Schema.optional(Schema.Array(Schema.String)),
  /** Readable text, for the `error_description` of a challenge. */
  description: Schema.String
}) {
  override get message() {
    return this.description
  }
}

/** The middleware `require` makes: a middleware that says what it requires. */
export interface Guard<R> extends Middleware.Middleware<never, Forbidden, R> {
  readonly requirement: NormalizedRequirement
}

/** `Rbac` when the options check permissions without a `policy` (widened options: assumed to). */
export type NeedsRbac<O> = O extends { readonly policy: Policy } ? never
  : "permissions" extends keyof O ? ([O["permissions" & keyof O]] extends [undefined] ? never : Rbac)
  : never

const unique = (items: ReadonlyArray<string> | undefined): ReadonlyArray<string> => Array.from(new Set(items ?? []))

/** Fills in a requirement's lists. */
export const normalize = (requirement: Requirement): NormalizedRequirement => ({
  roles: unique(requirement.roles),
  permissions: unique(requirement.permissions),
  scopes: unique(requirement.scopes),
  any: requirement.any ?? false
})

const isEmpty = (r: NormalizedRequirement): boolean => r.roles.length === 0 && r.permissions.length === 0 && r.scopes.length === 0

/** How to check a requirement: the policy (roles and permissions) and the scope hierarchy. */
export interface CheckOptions {
  readonly policy?: Policy | undefined
  readonly hierarchy?: Scopes.Hierarchy | undefined
}

const listed = (kind: string, items: ReadonlyArray<string>): string =>
  `${kind}${items.length === 1 ? "" : "s"} ${items.join(", ")}`

/**
 * Decides: undefined when the identity meets the requirement, else the
 * `Forbidden` to answer. Roles are the identity's own, closed under
 * inheritance when a policy is given; permissions need a policy (without
 * one none is covered); scopes go through the hierarchy (default: the
 * spec's, `Scopes.defaultHierarchy`).
 */
export const check = (identity: Identity, requirement: Requirement, options: CheckOptions = {}): Forbidden | undefined => {
  const r = normalize(requirement)
  if (isEmpty(r)) return undefined
  const policy = options.policy
  const missingScopes = Scopes.missing(identity.scopes, r.scopes, options.hierarchy ?? Scopes.defaultHierarchy)
  const held = r.roles.length === 0 ? undefined : policy === undefined ? identity.roles : policy.rolesOf(identity)
  const missingRoles = r.roles.filter((role) => held?.has(role) !== true)
  const missingPermissions = r.permissions.filter((permission) => policy?.can(identity, permission) !== true)
  const allowed = r.any
    ? missingScopes.length < r.scopes.length || missingRoles.length < r.roles.length || missingPermissions.length < r.permissions.length
    : missingScopes.length === 0 && missingRoles.length === 0 && missingPermissions.length === 0
  if (allowed) return undefined
  // More scopes help only when scopes alone would let the caller in (RFC 6750 §3.1 "insufficient_scope").
  const reason = r.any
    ? (r.scopes.length > 0 ? "insufficient_scope" : "forbidden")
    : (missingRoles.length === 0 && missingPermissions.length === 0 ? "insufficient_scope" : "forbidden")
  const description = r.any
    ? `The operation requires one of: ${
      [
        ...(r.scopes.length > 0 ? [listed("scope", r.scopes)] : []),
        ...(r.roles.length > 0 ? [listed("role", r.roles)] : []),
        ...(r.permissions.length > 0 ? [listed("permission", r.permissions)] : [])
      ].join("; ")
    }`
    : `The caller lacks ${
      [
        ...(missingScopes.length > 0 ? [listed("scope", missingScopes)] : []),
        ...(missingRoles.length > 0 ? [listed("role", missingRoles)] : []),
        ...(missingPermissions.length > 0 ? [listed("permission", missingPermissions)] : [])
      ].join("; ")
    }${r.scopes.length > 0 ? ` (the operation requires ${listed("scope", r.scopes)})` : ""}`
  return new Forbidden({
    reason,
    requiredScopes: r.scopes,
    ...(missingScopes.length > 0 ? { missingScopes } : {}),
    ...(missingRoles.length > 0 ? { missingRoles } : {}),
    ...(missingPermissions.length > 0 ? { missingPermissions } : {}),
    description
  })
}

/**
 * The list-visibility predicate of a requirement (`Middleware.visible`):
 * given a list request's context, true when the `Principal` in it meets the
 * requirement. No `Principal` (an unauthenticated caller) sees only what
 * requires nothing; permissions checked without a policy (neither given nor
 * in the context as `Rbac`) are not met.
 */
export const visible = (requirement: Requirement, options: CheckOptions = {}) => {
  const r = normalize(requirement)
  return (context: Context.Context<never>): boolean => {
    if (isEmpty(r)) return true
    const identity = fromContext(context)
    if (Option.isNone(identity)) return false
    const policy = options.policy ?? Option.getOrUndefined(Context.getOption(context, Rbac))
    const hierarchy = options.hierarchy ?? Context.get(context, Scopes.ScopeHierarchy)
    return check(identity.value, r, { policy, hierarchy }) === undefined
  }
}

/**
 * A middleware that lets the request through to the handler only when the
 * caller (`Principal`) meets the requirement, and otherwise fails with
 * `Forbidden` without running it.
 *
 * Typing: it needs `Principal`, plus `Rbac` when it checks permissions and
 * no `policy` is given, so an app that forgets the policy does not compile.
 * Roles alone need no policy: they are the caller's own roles, closed under
 * inheritance when a policy is known (`policy`, or `Rbac` if the app
 * provides it). Give `policy` to check against a policy value without a
 * service. Scopes use `hierarchy`, or the `Scopes.ScopeHierarchy` reference
 * (the spec's default unless a Layer provides another), which adds no
 * requirement.
 */
const require_ = <const O extends RequireOptions>(options: O): Guard<Principal | NeedsRbac<O>> => {
  const requirement = normalize(options)
  const needsPolicy = requirement.permissions.length > 0 && options.policy === undefined
  const middleware = Middleware.make({
    name: options.name ?? "authorization",
    failure: Forbidden,
    // One synchronous step on the request path: the services are read from the fiber's context.
    apply: (_request, next) =>
      Effect.withFiberRuntime((fiber) => {
        const context = fiber.currentContext
        const identity = Context.get(context as Context.Context<Principal>, Principal)
        const policy = options.policy ??
          (needsPolicy
            ? Context.get(context as Context.Context<Rbac>, Rbac)
            : requirement.roles.length > 0
            ? Option.getOrUndefined(Context.getOption(context, Rbac))
            : undefined)
        const hierarchy = options.hierarchy ?? Context.get(context, Scopes.ScopeHierarchy)
        const refused = check(identity, requirement, { policy, hierarchy })
        if (refused === undefined) return next
        recordDenial(refused.reason)
        return Effect.fail(refused)
      }),
    ...(options.hide === true ? { visible: visible(requirement, options) } : {})
  })
  return { ...middleware, requirement } as Guard<Principal | NeedsRbac<O>>
}

export {
  /**
   * A middleware that lets the request through to the handler only when the
   * caller (`Principal`) meets the requirement, and otherwise fails with
   * `Forbidden` without running it: see `require_`.
   */
  require_ as require
}

/** What a middleware made by `require` requires; undefined for any other middleware. */
export const requirementOf = (middleware: Middleware.Any): NormalizedRequirement | undefined => {
  const requirement = (middleware as Partial<Guard<unknown>>).requirement
  return typeof requirement === "object" && requirement !== null && Array.isArray(requirement.scopes) ? requirement : undefined
}

/** Every scope a chain of middleware requires (the union over its `require` middleware, in order), for a challenge. */
export const requiredScopes = (middleware: Iterable<Middleware.Any>): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const m of middleware) for (const scope of requirementOf(m)?.scopes ?? []) out.add(scope)
  return Array.from(out)
}
