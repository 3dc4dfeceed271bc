/**
 * Compiled permission grants (see `Rbac` for the semantics): a trie of
 * segments, so a check walks the permission's segments once instead of
 * testing a pattern per grant, and never builds a regular expression.
 *
 * @internal
 */

/** A trie node: the grants whose segments spell the path to it. */
interface Node {
  /** Literal next segments. */
  readonly children: Map<string, Node>
  /** A `*` in the middle of a grant: exactly one segment, any value. */
  star: Node | undefined
  /** A grant ends here: the permission must end here too. */
  exact: boolean
  /** A grant ends here with a trailing `*`: one or more further segments, any value. */
  rest: boolean
}

const node = (): Node => ({ children: new Map(), star: undefined, exact: false, rest: false })

/** Why a grant is malformed, or undefined when it is well formed. */
export const invalidGrant = (grant: string): string | undefined => {
  if (grant.length === 0) return "a permission must not be empty"
  const segments = grant.split(":")
  for (const segment of segments) {
    if (segment.length === 0) return `"${grant}" has an empty segment`
    if (segment !== "*" && segment.includes("*")) return `"${grant}": "*" must be a whole segment`
  }
  return undefined
}

/** A permission (what is checked) is well formed: non-empty segments. */
const segmentsOf = (permission: string): ReadonlyArray<string> | undefined => {
  if (permission.length === 0) return undefined
  const segments = permission.split(":")
  for (const segment of segments) if (segment.length === 0) return undefined
  return segments
}

/** A compiled set of grants. */
export interface Matcher {
  /** The grants it was compiled from, deduplicated, in first-seen order. */
  readonly grants: ReadonlyArray<string>
  /** True when a grant covers `permission`; a malformed permission is never covered. */
  readonly matches: (permission: string) => boolean
}

/**
 * Compiles well-formed grants (check them with `invalidGrant` first; a
 * malformed one is skipped) into a matcher.
 */
export const compile = (grants: Iterable<string>): Matcher => {
  const root = node()
  const seen = new Set<string>()
  let everything = false
  for (const grant of grants) {
    if (seen.has(grant) || invalidGrant(grant) !== undefined) continue
    seen.add(grant)
    const segments = grant.split(":")
    let at = root
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!
      if (segment === "*" && i === segments.length - 1) {
        at.rest = true
        if (i === 0) everything = true
        break
      }
      if (segment === "*") {
        at.star ??= node()
        at = at.star
      } else {
        let child = at.children.get(segment)
        if (child === undefined) {
          child = node()
          at.children.set(segment, child)
        }
        at = child
      }
      if (i === segments.length - 1) at.exact = true
    }
  }
  const list = Array.from(seen)
  if (everything) return { grants: list, matches: (permission) => segmentsOf(permission) !== undefined }
  if (list.length === 0) return { grants: list, matches: () => false }
  return { grants: list, matches: (permission) => matchNodes(root, permission) }
}

/**
 * Walks the trie with the set of nodes the segments so far reach (a literal
 * child and a `*` child can both continue): one step per segment, no
 * backtracking.
 */
const matchNodes = (root: Node, permission: string): boolean => {
  const segments = segmentsOf(permission)
  if (segments === undefined) return false
  let current: Array<Node> = [root]
  for (const segment of segments) {
    const next: Array<Node> = []
    for (const at of current) {
      // A trailing `*` here covers this segment and all that follow.
      if (at.rest) return true
      const child = at.children.get(segment)
      if (child !== undefined) next.push(child)
      if (at.star !== undefined) next.push(at.star)
    }
    if (next.length === 0) return false
    current = next
  }
  for (const at of current) if (at.exact) return true
  return false
}
