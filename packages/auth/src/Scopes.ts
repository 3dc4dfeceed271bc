/**
 * OAuth scope hierarchies: deciding whether the scopes a token was granted
 * are sufficient for an operation, and which required scopes are missing.
 *
 * spec 2026-07-28 basic/authorization "Step-Up Authorization Flow": "Servers
 * MUST account for scope hierarchies, where a broader scope implies narrower
 * ones, when deciding whether a token is sufficient for an operation." The
 * spec does not say how scopes are arranged; its examples use colon-separated
 * names (`files:read`, `files:write`, `user:profile`), so by default a scope
 * implies the scopes it is a colon-separated prefix of. (The 2025-11-25
 * revision has no such requirement; the rule is the same for both.)
 *
 * A granted scope `g` covers a required scope `r` (`g` implies `r`) when:
 *
 * - `g` is `r`;
 * - **prefix** (on by default): `g` is a colon-segment prefix of `r`:
 *   `files` covers `files:read` and `files:read:own`, not `filesystem`;
 * - **wildcards** (on by default, as `Principal.hasScope`): `g` is `*`
 *   (every scope), or `p:*` and `r` starts with `p:` (`files:*` covers
 *   `files:read` and `files:read:own`, not `files`);
 * - **implies** (empty by default, the app's own graph): an edge `g -> s`
 *   (`admin -> [files, users]`, `files:write -> [files:read]`), followed
 *   transitively, and `s` covers `r` by the rules above. Edges leave the
 *   granted scopes and the scopes edges reach, not scopes implied by prefix
 *   or wildcard (`files` does not follow an edge out of `files:write`).
 *
 * When a token is insufficient the server names every scope the operation
 * needs in one challenge, not one missing scope at a time (spec 2026-07-28
 * basic/authorization "Runtime Insufficient Scope Errors": "servers SHOULD
 * include all scopes required for the current operation in a single
 * challenge"); `missing` lists every required scope not covered.
 *
 * @example
 * import { Scopes } from "@emcee/auth"
 *
 * const hierarchy = Scopes.hierarchy({ implies: { "files:write": ["files:read"], admin: ["files", "users"] } })
 * Scopes.satisfies(["files:write"], ["files:read"], hierarchy) // true
 * Scopes.missing(["files:read"], ["files:read", "files:write", "users:list"], hierarchy) // ["files:write", "users:list"]
 *
 * @since 0.2.0
 */
import { Context, Layer } from "effect"

/** How scopes imply one another. */
export interface Hierarchy {
  /** A scope implies the scopes it is a colon-segment prefix of (`files` ⊇ `files:read`). */
  readonly prefix: boolean
  /** `*` implies every scope and `p:*` every scope under `p:`. */
  readonly wildcards: boolean
  /** Explicit implications, closed transitively: each scope with every scope it implies through edges (itself included). */
  readonly implies: ReadonlyMap<string, ReadonlySet<string>>
}

/** The options of `hierarchy`. */
export interface HierarchyOptions {
  /** Colon-prefix implication (default true). */
  readonly prefix?: boolean | undefined
  /** `*` and `p:*` grants (default true). */
  readonly wildcards?: boolean | undefined
  /** Explicit edges: a scope and the scopes it implies (cycles make the scopes equivalent). */
  readonly implies?: Readonly<Record<string, ReadonlyArray<string>>> | ReadonlyMap<string, Iterable<string>> | undefined
}

/** Builds a hierarchy; the transitive closure of `implies` is computed once, here. */
export const hierarchy = (options: HierarchyOptions = {}): Hierarchy => {
  const edges = new Map<string, ReadonlyArray<string>>()
  const given = options.implies
  if (given instanceof Map) for (const [from, to] of given) edges.set(from, Array.from(to))
  else if (given !== undefined) for (const [from, to] of Object.entries(given as Record<string, ReadonlyArray<string>>)) edges.set(from, to)
  const implies = new Map<string, ReadonlySet<string>>()
  for (const from of edges.keys()) {
    const reached = new Set<string>()
    const stack = [from]
    while (stack.length > 0) {
      const scope = stack.pop()!
      if (reached.has(scope)) continue
      reached.add(scope)
      for (const next of edges.get(scope) ?? []) stack.push(next)
    }
    implies.set(from, reached)
  }
  return { prefix: options.prefix ?? true, wildcards: options.wildcards ?? true, implies }
}

/**
 * The default hierarchy, what the spec describes: a broader scope implies
 * narrower ones, by colon prefix and `*` wildcards, with no explicit edges.
 */
export const defaultHierarchy: Hierarchy = hierarchy()

/** Exact matching only: no prefix, no wildcards, no edges. */
export const flat: Hierarchy = hierarchy({ prefix: false, wildcards: false })

/**
 * The app's scope hierarchy, `defaultHierarchy` unless a Layer provides
 * another (`Scopes.layer`); needing it adds nothing to an effect's
 * requirements.
 */
export class ScopeHierarchy extends Context.Reference<ScopeHierarchy>()("@emcee/auth/ScopeHierarchy", {
  defaultValue: (): Hierarchy => defaultHierarchy
}) {}

/** Provides a hierarchy built from `options` (or a hierarchy, rebuilt unchanged) as the app's. */
export const layer = (options: HierarchyOptions | Hierarchy): Layer.Layer<ScopeHierarchy> => Layer.succeed(ScopeHierarchy, hierarchy(options))

/** Every scope the granted scopes reach through the explicit edges (themselves included). */
const expand = (granted: Iterable<string>, h: Hierarchy): ReadonlySet<string> => {
  const out = new Set<string>()
  for (const scope of granted) {
    const reached = h.implies.get(scope)
    if (reached === undefined) out.add(scope)
    else for (const s of reached) out.add(s)
  }
  return out
}

/** True when `expanded` (granted scopes closed under the edges) covers `scope`: one look-up per colon prefix. */
const coveredBy = (expanded: ReadonlySet<string>, scope: string, h: Hierarchy): boolean => {
  if (expanded.has(scope)) return true
  if (!h.prefix && !h.wildcards) return false
  if (h.wildcards && expanded.has("*")) return true
  for (let i = scope.indexOf(":"); i !== -1; i = scope.indexOf(":", i + 1)) {
    const prefix = scope.slice(0, i)
    if (h.prefix && expanded.has(prefix)) return true
    if (h.wildcards && expanded.has(`${prefix}:*`)) return true
  }
  return false
}

/** True when the granted scopes cover `scope`. */
export const covers = (granted: Iterable<string>, scope: string, h: Hierarchy = defaultHierarchy): boolean =>
  coveredBy(expand(granted, h), scope, h)

/** Every required scope the granted ones do not cover, in the order required, without repeats. */
export const missing = (granted: Iterable<string>, required: Iterable<string>, h: Hierarchy = defaultHierarchy): ReadonlyArray<string> => {
  const expanded = expand(granted, h)
  const out: Array<string> = []
  const seen = new Set<string>()
  for (const scope of required) {
    if (seen.has(scope)) continue
    seen.add(scope)
    if (!coveredBy(expanded, scope, h)) out.push(scope)
  }
  return out
}

/** True when the granted scopes cover every required one. */
export const satisfies = (granted: Iterable<string>, required: Iterable<string>, h: Hierarchy = defaultHierarchy): boolean =>
  missing(granted, required, h).length === 0
