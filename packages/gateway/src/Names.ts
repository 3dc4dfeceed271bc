/**
 * Names: the routing table from the names a gateway advertises to the
 * backend (and the backend's own name) that serves them. Tools and prompts
 * are namespaced with a per-backend prefix; resource URIs are kept as they
 * are by default. A call is routed by looking its name up in the table,
 * never by splitting it on the separator (prefixes and names may contain
 * the separator themselves).
 *
 * **Tool and prompt names** (`table`): an item `original` of a backend with
 * prefix `p` is advertised as `p + separator + original` (default separator
 * `_`, default prefix the backend id; the prefix `""` passes names through
 * unchanged). spec 2025-11-25 server/tools "Tool Names": names SHOULD use
 * only `A-Z a-z 0-9 _ - .`, are case-sensitive, SHOULD be unique within a
 * server; and many clients refuse names over 64 characters, so:
 *
 * - characters outside that set in the prefix or separator become `_`;
 * - an original name with such characters (or empty), or a result longer
 *   than `maxLength` (default 64), is advertised as a readable head
 *   (sanitized, truncated) + `-` + 8 hex characters of SHA-256 over
 *   (backend, original): two different originals never share a name;
 * - an item's name depends only on its own backend, prefix and original,
 *   never on which other backends are present, except on a true collision
 *   (two items wanting the same name, e.g. two backends with prefix `""`
 *   and a same tool): then the item whose (backend id, original) sorts first
 *   (by code units) keeps the name and the other takes its next hashed name,
 *   independent of input order; a local name (the gateway's own) always
 *   wins and is never renamed. Every item not advertised as
 *   `prefix + separator + original` is listed in `conflicts`, with why.
 *
 * **Resource URIs** (`resourceTable`) are not renamed: a URI offered by two
 * backends is served by the backend whose id sorts first, the other is
 * reported. An optional `rewrite` maps (backend, uri) to the advertised
 * URI (e.g. a scheme or host prefix); the table reverses it by lookup.
 *
 * `diff` compares two tables so a change of names can trigger
 * `notifications/tools/list_changed` (spec 2025-11-25 server/tools "List
 * Changed Notification").
 *
 * @example
 * import { Names } from "@emcee/gateway"
 *
 * const tools = Names.table(
 *   [{ backend: "github", items: ["search"] }, { backend: "fs", prefix: "", items: ["read file"] }],
 *   { locals: ["status"], kind: "tool" }
 * )
 * tools.advertised("github", "search") // "github_search"
 * tools.resolve("github_search") // { backend: "github", name: "search" }
 * tools.advertised("fs", "read file") // "read_file-xxxxxxxx" (8 hex digits; reported in tools.conflicts)
 *
 * @since 0.4.0
 */
import { createHash } from "node:crypto"
import { assign, compare, type Claim, type Outcome } from "./internal/assign.js"

/** Where an advertised name goes: a backend and the name it knows. */
export interface Route {
  readonly backend: string
  readonly name: string
}

/** One row of a table: an advertised name and its route. */
export interface Entry extends Route {
  readonly advertised: string
}

/** The items (tool or prompt names, resource URIs) one backend offers. */
export interface Source {
  /** The backend id. */
  readonly backend: string
  /** The backend's own names (or URIs). */
  readonly items: ReadonlyArray<string>
}

/** A backend's tool or prompt names with its prefix. */
export interface Backend extends Source {
  /** Default: the backend id. `""` advertises names unchanged (no separator). */
  readonly prefix?: string | undefined
}

/** Why an item is not advertised under its plain name. */
export type Reason =
  /** The original name is empty or has characters outside `A-Z a-z 0-9 _ - .`. */
  | "invalid"
  /** The prefixed name is longer than `maxLength`. */
  | "too-long"
  /** Another backend's item or a local name holds the name. */
  | "taken"
  /** The resource `rewrite` threw or returned no string. */
  | "rewrite"

/** An item renamed or dropped. */
export interface Conflict extends Route {
  /** What it is advertised as, or undefined when it was dropped. */
  readonly advertised: string | undefined
  readonly reason: Reason
  /** Who holds the name it first wanted, when it did not get it. */
  readonly takenBy?: Route | "local" | undefined
  /** A sentence for logs. */
  readonly message: string
}

/** Advertised names to routes, and back. */
export interface RoutingTable {
  /** What the table names ("tool", "prompt", "resource"…), for messages. */
  readonly kind: string
  /** The route of an advertised name; undefined for local and unknown names. */
  readonly resolve: (advertised: string) => Route | undefined
  /** The advertised name of a backend's item; undefined when not advertised. */
  readonly advertised: (backend: string, name: string) => string | undefined
  /** Whether an advertised name is one of the gateway's own. */
  readonly isLocal: (advertised: string) => boolean
  /** The local names, sorted. */
  readonly locals: ReadonlyArray<string>
  /** The backend routes, sorted by advertised name. */
  readonly entries: ReadonlyArray<Entry>
  /** Items renamed or dropped, sorted by backend then name. */
  readonly conflicts: ReadonlyArray<Conflict>
}

/** The options of `table`. */
export interface Options {
  /** Between prefix and name (default `_`). */
  readonly separator?: string | undefined
  /** Longest advertised name (default 64, at least 16). Local names are not checked. */
  readonly maxLength?: number | undefined
  /** For messages (default "tool"). */
  readonly kind?: string | undefined
  /** The gateway's own names: always advertised as they are, never renamed. */
  readonly locals?: Iterable<string> | undefined
}

/** The options of `resourceTable`. */
export interface ResourceOptions {
  /** The advertised URI of a backend's URI (default: the URI itself). */
  readonly rewrite?: ((backend: string, uri: string) => string) | undefined
  /** For messages (default "resource"). */
  readonly kind?: string | undefined
  /** The gateway's own URIs: always win. */
  readonly locals?: Iterable<string> | undefined
}

/** How advertised names changed between two tables. */
export interface Diff {
  readonly added: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  /** Names in both tables that now route elsewhere (another backend or name, or local ↔ backend). */
  readonly rerouted: ReadonlyArray<string>
  /** Whether anything changed (send `list_changed`). */
  readonly changed: boolean
}

const ALLOWED = /^[A-Za-z0-9_.-]+$/
const HASHED_NAMES = 4

const sanitize = (s: string): string => {
  let out = ""
  for (const ch of s) out += /^[A-Za-z0-9_.-]$/.test(ch) ? ch : "_"
  return out
}

const hash = (backend: string, name: string, salt: number): string =>
  createHash("sha256")
    .update(JSON.stringify(salt === 0 ? [backend, name] : [backend, name, salt]), "utf8")
    .digest("hex")
    .slice(0, 8)

/** Groups sources by backend id (a repeated id merges items; the smallest prefix is kept). */
const normalize = <S extends Source>(sources: ReadonlyArray<S>, prefixOf: (s: S) => string) => {
  const byId = new Map<string, { prefix: string; items: Set<string> }>()
  for (const source of sources) {
    if (typeof source?.backend !== "string" || !Array.isArray(source.items)) continue
    const prefix = prefixOf(source)
    const seen = byId.get(source.backend)
    const group = seen ?? { prefix, items: new Set<string>() }
    if (compare(prefix, group.prefix) < 0) group.prefix = prefix
    for (const item of source.items) if (typeof item === "string") group.items.add(item)
    byId.set(source.backend, group)
  }
  return byId
}

const quote = (s: string): string => JSON.stringify(s)

const build = (
  kind: string,
  localsIn: Iterable<string> | undefined,
  claims: ReadonlyArray<Claim>,
  reasonOf: (outcome: Outcome) => Reason | undefined
): RoutingTable => {
  const locals = new Set<string>()
  for (const local of localsIn ?? []) if (typeof local === "string") locals.add(local)
  const forward = new Map<string, Entry>()
  const backward = new Map<string, Map<string, string>>()
  const conflicts: Array<Conflict> = []
  for (const outcome of assign(claims, locals)) {
    const { backend, name } = outcome.claim
    const { advertised } = outcome
    if (advertised !== undefined) {
      forward.set(advertised, { advertised, backend, name })
      const names = backward.get(backend) ?? new Map<string, string>()
      names.set(name, advertised)
      backward.set(backend, names)
    }
    const reason = reasonOf(outcome)
    if (reason === undefined) continue
    const holder = outcome.takenBy
    const takenBy = holder === undefined ? undefined : holder === "local" ? "local" : { backend: holder.backend, name: holder.name }
    const why =
      reason === "invalid" ? "the name is empty or has characters outside A-Z a-z 0-9 _ - ." :
      reason === "too-long" ? "the prefixed name is too long" :
      reason === "rewrite" ? "rewriting its URI failed" :
      takenBy === "local" ? `${quote(outcome.claim.candidates[0] ?? "")} is a local ${kind}` :
      `${quote(outcome.claim.candidates[0] ?? "")} is taken by ${kind} ${quote(takenBy?.name ?? "")} of backend ${quote(takenBy?.backend ?? "")}`
    const what = advertised === undefined ? "is not advertised" : `is advertised as ${quote(advertised)}`
    conflicts.push({
      backend, name, advertised, reason, ...(takenBy === undefined ? {} : { takenBy }),
      message: `${kind} ${quote(name)} of backend ${quote(backend)} ${what}: ${why}`
    })
  }
  const entries = [...forward.values()].sort((a, b) => compare(a.advertised, b.advertised))
  conflicts.sort((a, b) => compare(a.backend, b.backend) || compare(a.name, b.name))
  return {
    kind,
    resolve: (advertised) => {
      const entry = forward.get(advertised)
      return entry === undefined ? undefined : { backend: entry.backend, name: entry.name }
    },
    advertised: (backend, name) => backward.get(backend)?.get(name),
    isLocal: (advertised) => locals.has(advertised),
    locals: [...locals].sort(compare),
    entries,
    conflicts
  }
}

/**
 * The routing table of tool (or prompt) names: see the module documentation.
 * Deterministic: the same backends, items and options (in any order) give
 * the same table, on every replica.
 */
export const table = (backends: ReadonlyArray<Backend>, options: Options = {}): RoutingTable => {
  const separator = options.separator ?? "_"
  const maxLength = Number.isFinite(options.maxLength) ? Math.max(16, Math.floor(options.maxLength as number)) : 64
  const plainOk = new Set<Claim>()
  const claims: Array<Claim> = []
  for (const [backend, { prefix, items }] of normalize(backends, (b) => (typeof b.prefix === "string" ? b.prefix : b.backend))) {
    const head = prefix === "" ? "" : sanitize(prefix + separator)
    for (const original of items) {
      const plain = head + original
      const valid = ALLOWED.test(original)
      const readable = head + sanitize(original)
      const hashed = Array.from({ length: HASHED_NAMES }, (_, salt) => {
        const h = hash(backend, original, salt)
        const keep = readable.slice(0, maxLength - h.length - 1)
        return keep === "" ? h : `${keep}-${h}`
      })
      const ok = valid && plain.length <= maxLength
      const claim: Claim = { backend, name: original, candidates: ok ? [plain, ...hashed] : hashed }
      if (ok) plainOk.add(claim)
      claims.push(claim)
    }
  }
  return build(options.kind ?? "tool", options.locals, claims, (outcome) => {
    const { claim } = outcome
    if (!plainOk.has(claim)) return ALLOWED.test(claim.name) ? "too-long" : "invalid"
    return outcome.advertised === claim.candidates[0] ? undefined : "taken"
  })
}

/**
 * The routing table of resource URIs: URIs are kept (or `rewrite`n), a URI
 * offered twice is served by the backend whose id sorts first and the other
 * is reported (`taken`); a local URI always wins.
 */
export const resourceTable = (backends: ReadonlyArray<Source>, options: ResourceOptions = {}): RoutingTable => {
  const failed = new Set<Claim>()
  const claims: Array<Claim> = []
  for (const [backend, { items }] of normalize(backends, () => "")) {
    for (const uri of items) {
      let advertised: unknown = uri
      try {
        if (options.rewrite !== undefined) advertised = options.rewrite(backend, uri)
      } catch {
        advertised = undefined
      }
      const claim: Claim = { backend, name: uri, candidates: typeof advertised === "string" ? [advertised] : [] }
      if (typeof advertised !== "string") failed.add(claim)
      claims.push(claim)
    }
  }
  return build(options.kind ?? "resource", options.locals, claims, (outcome) =>
    failed.has(outcome.claim) ? "rewrite" : outcome.advertised === undefined ? "taken" : undefined
  )
}

/** Which advertised names (local ones included) appeared, disappeared or now route elsewhere. */
export const diff = (previous: RoutingTable | undefined, next: RoutingTable): Diff => {
  const routes = (t: RoutingTable | undefined): Map<string, string> => {
    const m = new Map<string, string>()
    for (const local of t?.locals ?? []) m.set(local, "local")
    for (const e of t?.entries ?? []) m.set(e.advertised, JSON.stringify([e.backend, e.name]))
    return m
  }
  const before = routes(previous)
  const after = routes(next)
  const added: Array<string> = []
  const removed: Array<string> = []
  const rerouted: Array<string> = []
  for (const [name, route] of after) {
    const was = before.get(name)
    if (was === undefined) added.push(name)
    else if (was !== route) rerouted.push(name)
  }
  for (const name of before.keys()) if (!after.has(name)) removed.push(name)
  added.sort(compare)
  removed.sort(compare)
  rerouted.sort(compare)
  return { added, removed, rerouted, changed: added.length + removed.length + rerouted.length > 0 }
}
