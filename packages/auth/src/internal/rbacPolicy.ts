/**
 * Building an RBAC policy from untrusted text or values: decoding, validation
 * (unknown roles, malformed grants, inheritance cycles) with errors naming the
 * source and the path inside it, and compilation of each role's grants.
 *
 * @internal
 */
import { Either, ParseResult, Schema } from "effect"
import * as YAML from "yaml"
import type { Identity } from "../Principal.js"
import { compile, invalidGrant, type Matcher } from "./permission.js"

/** One role as written. */
export const RoleSchema = Schema.Struct({
  description: Schema.optional(Schema.String),
  permissions: Schema.optional(Schema.Array(Schema.String)),
  inherits: Schema.optional(Schema.Array(Schema.String))
})

/** A policy as written. */
export const DefinitionSchema = Schema.Struct({
  roles: Schema.Record({ key: Schema.String, value: RoleSchema }),
  scopesAsPermissions: Schema.optional(Schema.Boolean)
})

/** A policy as written. */
export type Definition = Schema.Schema.Type<typeof DefinitionSchema>

/** A problem in a definition: where it is and what is wrong. */
export interface Problem {
  readonly path: ReadonlyArray<PropertyKey>
  readonly reason: string
}

/** A compiled policy. */
export interface Compiled {
  readonly roles: ReadonlyArray<string>
  /** Each role with every role it inherits, directly or not (itself first). */
  readonly closure: ReadonlyMap<string, ReadonlyArray<string>>
  /** Each role's grants, its own and inherited, deduplicated. */
  readonly grants: ReadonlyMap<string, Matcher>
  readonly scopesAsPermissions: boolean
  readonly rolesOf: (identity: Identity) => ReadonlySet<string>
  readonly matcherOf: (identity: Identity) => Matcher
}

/** Renders a path as `roles.editor.inherits[1]`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else if (typeof key === "string" && /^[A-Za-z0-9_$:*-]+$/.test(key)) out += out.length === 0 ? key : `.${key}`
    else out += `[${JSON.stringify(String(key))}]`
  }
  return out
}

const decode = Schema.decodeUnknownEither(DefinitionSchema, { errors: "all", onExcessProperty: "error" })

/** Decodes and checks a definition: the first problem, or the compiled policy. */
export const build = (input: unknown): Either.Either<Compiled, Problem> => {
  const decoded = decode(input)
  if (Either.isLeft(decoded)) {
    const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
    const first = issues[0]
    return Either.left(first === undefined ? { path: [], reason: "not a policy" } : { path: first.path, reason: reasonOf(first) })
  }
  const definition = decoded.right
  const names = Object.keys(definition.roles)
  for (const name of names) {
    const role = definition.roles[name]!
    for (const [i, grant] of (role.permissions ?? []).entries()) {
      const invalid = invalidGrant(grant)
      if (invalid !== undefined) return Either.left({ path: ["roles", name, "permissions", i], reason: invalid })
    }
    for (const [i, parent] of (role.inherits ?? []).entries()) {
      if (!Object.hasOwn(definition.roles, parent)) {
        return Either.left({ path: ["roles", name, "inherits", i], reason: `unknown role ${JSON.stringify(parent)}` })
      }
    }
  }
  const cycle = findCycle(definition)
  if (cycle !== undefined) return Either.left(cycle)
  const closure = new Map<string, ReadonlyArray<string>>()
  const grants = new Map<string, Matcher>()
  for (const name of names) {
    const reached = new Set<string>()
    const stack = [name]
    while (stack.length > 0) {
      const role = stack.pop()!
      if (reached.has(role)) continue
      reached.add(role)
      for (const parent of definition.roles[role]?.inherits ?? []) stack.push(parent)
    }
    const all = Array.from(reached)
    closure.set(name, all)
    grants.set(name, compile(all.flatMap((role) => definition.roles[role]?.permissions ?? [])))
  }
  const scopesAsPermissions = definition.scopesAsPermissions ?? false
  const rolesOf = (identity: Identity): ReadonlySet<string> => {
    const out = new Set<string>()
    for (const role of identity.roles) {
      out.add(role)
      for (const inherited of closure.get(role) ?? []) out.add(inherited)
    }
    return out
  }
  // Identities are reused across requests (the authentication cache): each is compiled once.
  const matchers = new WeakMap<Identity, Matcher>()
  const matcherOf = (identity: Identity): Matcher => {
    let matcher = matchers.get(identity)
    if (matcher === undefined) {
      const own: Array<string> = []
      for (const role of identity.roles) own.push(...(grants.get(role)?.grants ?? []))
      if (scopesAsPermissions) own.push(...identity.scopes)
      matcher = identity.roles.size === 1 && !scopesAsPermissions
        ? grants.get(identity.roles.values().next().value!) ?? compile([])
        : compile(own)
      matchers.set(identity, matcher)
    }
    return matcher
  }
  return Either.right({ roles: names, closure, grants, scopesAsPermissions, rolesOf, matcherOf })
}

const reasonOf = (issue: ParseResult.ArrayFormatterIssue): string => {
  if (issue._tag === "Unexpected") return "unknown field (a role has description, permissions and inherits)"
  if (issue._tag === "Missing") return "is missing"
  return issue.message
}

/** Depth first over `inherits`, in the order written: the first cycle found, named role by role. */
const findCycle = (definition: Definition): Problem | undefined => {
  const done = new Set<string>()
  const onPath: Array<string> = []
  const visit = (role: string): Problem | undefined => {
    onPath.push(role)
    const parents = definition.roles[role]?.inherits ?? []
    for (const [i, parent] of parents.entries()) {
      if (done.has(parent)) continue
      const at = onPath.indexOf(parent)
      if (at !== -1) {
        const cycle = [...onPath.slice(at), parent].join(" -> ")
        return { path: ["roles", role, "inherits", i], reason: `inheritance cycle ${cycle}` }
      }
      const found = visit(parent)
      if (found !== undefined) return found
    }
    onPath.pop()
    done.add(role)
    return undefined
  }
  for (const role of Object.keys(definition.roles)) {
    if (done.has(role)) continue
    const found = visit(role)
    if (found !== undefined) return found
  }
  return undefined
}

/** A problem in text: YAML (or JSON, which YAML reads) that does not parse. */
export interface TextProblem extends Problem {
  readonly line?: number | undefined
}

/** Parses YAML or JSON text into a value, or the first syntax problem with its line and column. */
export const parseText = (text: string): Either.Either<unknown, TextProblem> => {
  const lineCounter = new YAML.LineCounter()
  let document: YAML.Document.Parsed
  try {
    document = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  } catch (e) {
    return Either.left({ path: [], reason: `not YAML or JSON: ${e instanceof Error ? e.message : String(e)}` })
  }
  const error = document.errors[0]
  if (error !== undefined) {
    const { line, col } = lineCounter.linePos(error.pos[0])
    return Either.left({ path: [], reason: `line ${line}, column ${col}: ${error.message}`, line })
  }
  try {
    // Bounded alias expansion: a "billion laughs" document is refused, not expanded.
    return Either.right(document.toJS({ maxAliasCount: 100 }))
  } catch (e) {
    return Either.left({ path: [], reason: e instanceof Error ? e.message : String(e) })
  }
}
