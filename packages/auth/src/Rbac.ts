/**
 * Role-based access control: a policy maps roles to permissions, roles
 * inherit other roles, and a caller may do what the roles it holds grant.
 *
 * A policy is written in YAML or JSON (or given as a value):
 *
 * ```yaml
 * roles:
 *   viewer:
 *     permissions: ["files:read:*", "prompts:get:*"]
 *   editor:
 *     inherits: [viewer]
 *     permissions: ["files:write:*", "files:*:own"]
 *   admin:
 *     permissions: ["*"]
 * # Optional: the caller's scopes are also grants (default false).
 * scopesAsPermissions: false
 * ```
 *
 * **Permissions** are colon-separated, non-empty segments (`files:read:report`),
 * compared exactly and case-sensitively. **Grants** (what a role lists) are
 * permissions in which a segment may be the wildcard `*`:
 *
 * - a `*` that is the **last** segment matches **one or more** segments, any
 *   values: `admin:*` covers `admin:users` and `admin:users:delete` (everything
 *   under `admin`, at any depth) but not `admin` itself; `files:read:*` covers
 *   `files:read:a` and `files:read:a:b`, not `files:read`;
 * - `*` alone is that rule with no prefix: it covers every permission;
 * - a `*` that is **not** the last segment matches **exactly one** segment:
 *   `files:*:own` covers `files:read:own` and `files:write:own`, not
 *   `files:own` nor `files:a:b:own`;
 * - a grant without `*` covers exactly itself (`files` does not cover
 *   `files:read`: write `files:*` for that).
 *
 * `*` must be a whole segment (`fi*` is refused), and no segment may be
 * empty (`files::read`, `:x` and `` are refused). A malformed permission
 * (empty, or with an empty segment) is never granted. A `*` in a checked
 * permission is an ordinary segment value: only a wildcard grant covers it.
 *
 * **Inheritance**: a role has the grants of every role it `inherits`,
 * directly or not. An unknown role in `inherits` and a cycle are refused
 * when the policy is loaded, naming the cycle (`editor -> writer -> editor`).
 * Roles an identity holds that the policy does not define grant nothing.
 *
 * Grants are compiled when the policy is loaded into a trie per role (one
 * step per segment of the checked permission, no regular expression), and
 * once per identity for callers holding several roles.
 *
 * @example
 * import { Effect } from "effect"
 * import { Principal, Rbac } from "@emcee/auth"
 *
 * const policy = Rbac.unsafeMake({ roles: { viewer: { permissions: ["files:read:*"] } } })
 * policy.can(Principal.make("alice", [], { roles: ["viewer"] }), "files:read:report") // true
 *
 * // As a service, loaded from the environment at startup:
 * const RbacLive = Rbac.layerConfig("RBAC_POLICY")
 *
 * @since 0.2.0
 */
import { FileSystem } from "@effect/platform"
import { Config, ConfigError, Context, Effect, Either, Layer, Schema } from "effect"
import { compile } from "./internal/permission.js"
import { build, type Compiled, DefinitionSchema, formatPath, parseText, type Problem } from "./internal/rbacPolicy.js"
import type { Identity } from "./Principal.js"

/** One role as written: its own grants and the roles it inherits. */
export interface RoleDefinition {
  readonly description?: string | undefined
  readonly permissions?: ReadonlyArray<string> | undefined
  readonly inherits?: ReadonlyArray<string> | undefined
}

/** A policy as written. */
export interface Definition {
  readonly roles: Readonly<Record<string, RoleDefinition>>
  /** The caller's scopes are grants too, with the same wildcards (default false). */
  readonly scopesAsPermissions?: boolean | undefined
}

/** The Schema a definition is decoded with (unknown fields are refused). */
export const Definition: Schema.Schema<Definition, Definition> = DefinitionSchema as Schema.Schema<Definition, Definition>

/** A loaded, checked and compiled policy. */
export interface Policy {
  /** The roles it defines, in the order written. */
  readonly roles: ReadonlyArray<string>
  /** Whether the caller's scopes are grants too. */
  readonly scopesAsPermissions: boolean
  /** The roles the identity holds, directly or through inheritance. */
  readonly rolesOf: (identity: Identity) => ReadonlySet<string>
  /** The grants the identity holds (as written, wildcards included): its roles' and, when enabled, its scopes. */
  readonly permissionsOf: (identity: Identity) => ReadonlySet<string>
  /** True when a grant the identity holds covers `permission`. */
  readonly can: (identity: Identity, permission: string) => boolean
}

/** A policy that does not load: where (source and path inside it) and why. */
export class RbacError extends Schema.TaggedError<RbacError>()("RbacError", {
  /** The file (or config name) the policy came from, when it came from one. */
  source: Schema.optional(Schema.String),
  /** Where in the policy, as `roles.editor.inherits[1]`; empty for the whole. */
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return [this.source, this.path, this.reason].filter((part) => part !== undefined && part.length > 0).join(": ")
  }
}

/** Service tag of the app's policy. */
export class Rbac extends Context.Tag("@emcee/auth/Rbac")<Rbac, Policy>() {}

const toPolicy = (compiled: Compiled): Policy => ({
  roles: compiled.roles,
  scopesAsPermissions: compiled.scopesAsPermissions,
  rolesOf: compiled.rolesOf,
  permissionsOf: (identity) => new Set(compiled.matcherOf(identity).grants),
  can: (identity, permission) => compiled.matcherOf(identity).matches(permission)
})

const errorOf = (problem: Problem, source: string | undefined): RbacError =>
  new RbacError({ ...(source === undefined ? {} : { source }), path: formatPath(problem.path), reason: problem.reason })

const fromValue = (input: unknown, source: string | undefined): Either.Either<Policy, RbacError> =>
  Either.mapBoth(build(input), { onLeft: (problem) => errorOf(problem, source), onRight: toPolicy })

const fromText = (text: string, source: string | undefined): Either.Either<Policy, RbacError> =>
  Either.flatMap(Either.mapLeft(parseText(text), (problem) => errorOf(problem, source)), (value) => fromValue(value, source))

/** Checks and compiles a policy given as a value (decoded with `Definition`, so it may come from anywhere). */
export const make = (definition: Definition): Effect.Effect<Policy, RbacError> => fromValue(definition, undefined)

/** `make`, throwing the `RbacError`: for policies written in the code. */
export const unsafeMake = (definition: Definition): Policy =>
  Either.getOrThrowWith(fromValue(definition, undefined), (error) => error)

/**
 * Loads a policy from YAML (or JSON) text. Errors name `source` (a file
 * name, say) and the path inside the document:
 * `rbac.yaml: roles.editor.inherits[1]: unknown role "writer"`.
 */
export const fromYaml = (text: string, source?: string): Effect.Effect<Policy, RbacError> => fromText(text, source)

/** Loads a policy from a YAML or JSON file; errors name the file. */
export const fromFile = (path: string): Effect.Effect<Policy, RbacError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.readFileString(path).pipe(
      Effect.mapError((e) => new RbacError({ source: path, path: "", reason: `cannot read the policy: ${e.message}` })),
      Effect.flatMap((text) => fromText(text, path))
    ))

/**
 * A policy read from the config value `name` (YAML or JSON text, an
 * environment variable say); a policy that does not load is an
 * `InvalidData` config error naming the path inside it.
 */
export const config = (name: string): Config.Config<Policy> =>
  Config.mapOrFail(Config.string(name), (text) =>
    Either.mapLeft(fromText(text, undefined), (error) =>
      ConfigError.InvalidData([name], error.path.length > 0 ? `${error.path}: ${error.reason}` : error.reason)))

/** The policy as a Layer. */
export const layer = (definition: Definition): Layer.Layer<Rbac, RbacError> => Layer.effect(Rbac, make(definition))

/** The policy of a YAML or JSON file as a Layer. */
export const layerFile = (path: string): Layer.Layer<Rbac, RbacError, FileSystem.FileSystem> => Layer.effect(Rbac, fromFile(path))

/** The policy of the config value `name` as a Layer. */
export const layerConfig = (name: string): Layer.Layer<Rbac, ConfigError.ConfigError> => Layer.effect(Rbac, config(name))

/** The grants the identity holds under the app's policy. */
export const permissionsOf = (identity: Identity): Effect.Effect<ReadonlySet<string>, never, Rbac> =>
  Effect.map(Rbac, (policy) => policy.permissionsOf(identity))

/** True when the app's policy lets the identity do `permission`. */
export const can = (identity: Identity, permission: string): Effect.Effect<boolean, never, Rbac> =>
  Effect.map(Rbac, (policy) => policy.can(identity, permission))

/**
 * True when one of `grants` covers `permission`, by the rules above (a
 * malformed grant covers nothing). For one-off checks; a policy compiles its
 * grants once.
 */
export const matches = (grants: Iterable<string>, permission: string): boolean => compile(grants).matches(permission)
