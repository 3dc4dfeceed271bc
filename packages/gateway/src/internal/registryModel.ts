/**
 * The records of the gateway's registry (see Registry): schemas, types,
 * errors, the service's interface and the discovery match shared by the
 * memory and PostgreSQL stores. No import of Registry.ts (it re-exports
 * these), so the stores can import this module without a cycle.
 */
import * as McpSchema from "@emcee/core/McpSchema"
import { Data, Effect, type Option, ParseResult, Schema, type Scope, type Stream } from "effect"
import { invalidName, namePattern } from "../Backend.js"

// -----------------------------------------------------------------------------
// Backend records
// -----------------------------------------------------------------------------

/**
 * A backend's name: its unique id, 1 to 64 characters among the ones the
 * spec allows in tool names (ASCII letters, digits, `_`, `-`, `.`), starting
 * with a letter or digit, so it can be used as a prefix as it is. The
 * pattern and the message are `Backend.namePattern` and
 * `Backend.invalidName`: what the registry accepts, the gateway serves.
 * @see spec 2025-11-25 server/tools — "Tool Names"
 */
export const BackendName = Schema.String.pipe(
  Schema.pattern(namePattern, {
    message: (issue) => invalidName(String(issue.actual)) ?? "A backend name is 1 to 64 characters among A-Z a-z 0-9 _ - ., starting with a letter or digit"
  })
).annotations({ identifier: "BackendName" })

/** A prefix for a backend's names: empty (names pass through) or up to 64 characters of the tool-name set. */
export const Prefix = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_.-]{0,64}$/, { message: () => "A prefix is at most 64 characters among A-Z a-z 0-9 _ - ." })
).annotations({ identifier: "Prefix" })

/** A tag: 1 to 64 characters, no white space. */
export const BackendTag = Schema.String.pipe(
  Schema.pattern(/^\S{1,64}$/, { message: () => "A tag is 1 to 64 characters without white space" })
).annotations({ identifier: "BackendTag" })

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

/** A Streamable HTTP endpoint: its URL (`http:` or `https:`). */
export const HttpEndpoint = Schema.Struct({
  url: Schema.String.pipe(Schema.filter(isHttpUrl, { message: () => "The endpoint's url is an http: or https: URL" }))
}).annotations({ identifier: "HttpEndpoint" })
export type HttpEndpoint = typeof HttpEndpoint.Type

/** A stdio endpoint: the command the gateway starts, its arguments, environment and working directory. */
export const StdioEndpoint = Schema.Struct({
  command: Schema.NonEmptyString,
  args: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  env: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), { default: () => ({}) }),
  cwd: Schema.optional(Schema.String)
}).annotations({ identifier: "StdioEndpoint" })
export type StdioEndpoint = typeof StdioEndpoint.Type

/** Where a backend is reached: a URL (`transport: "http"`) or a command (`transport: "stdio"`). */
export const Endpoint = Schema.Union(HttpEndpoint, StdioEndpoint).annotations({ identifier: "Endpoint" })
export type Endpoint = typeof Endpoint.Type

/** How the gateway reaches a backend. */
export const Transport = Schema.Literal("stdio", "http").annotations({ identifier: "Transport" })
export type Transport = typeof Transport.Type

/** A weight for load balancing: a finite number, 0 or more (0 takes no traffic). */
export const Weight = Schema.Number.pipe(Schema.finite(), Schema.nonNegative()).annotations({ identifier: "Weight" })

/** One endpoint of a logical backend that has several (load balancing), with its own weight. */
export const Instance = Schema.Struct({
  id: BackendName,
  endpoint: Endpoint,
  weight: Schema.optionalWith(Weight, { default: () => 1 })
}).annotations({ identifier: "Instance" })
export type Instance = typeof Instance.Type

/** The protocol revision the gateway speaks to a backend; `auto` negotiates. */
export const BackendProtocolVersion = Schema.Literal("auto", "2025-11-25", "2026-07-28").annotations({ identifier: "BackendProtocolVersion" })
export type BackendProtocolVersion = typeof BackendProtocolVersion.Type

/**
 * The backend's own credentials (never the caller's): a static bearer token,
 * or OAuth client credentials the gateway exchanges for tokens.
 */
export const Credentials = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("bearer"), token: Schema.NonEmptyString }),
  Schema.Struct({
    kind: Schema.Literal("client_credentials"),
    tokenUrl: Schema.String.pipe(Schema.filter(isHttpUrl, { message: () => "The tokenUrl is an http: or https: URL" })),
    clientId: Schema.NonEmptyString,
    clientSecret: Schema.NonEmptyString,
    scope: Schema.optional(Schema.String)
  })
).annotations({ identifier: "Credentials" })
export type Credentials = typeof Credentials.Type

const specFields = {
  name: BackendName,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  version: Schema.optionalWith(Schema.NonEmptyString, { default: () => "0.0.0" }),
  transport: Transport,
  endpoint: Endpoint,
  tags: Schema.optionalWith(Schema.Array(BackendTag), { default: () => [] }),
  weight: Schema.optionalWith(Weight, { default: () => 1 }),
  tenant: Schema.optionalWith(Schema.NullOr(Schema.NonEmptyString), { default: () => null }),
  owner: Schema.optionalWith(Schema.NullOr(Schema.NonEmptyString), { default: () => null }),
  instances: Schema.optional(Schema.Array(Instance)),
  prefix: Schema.optional(Prefix),
  protocolVersion: Schema.optional(BackendProtocolVersion),
  credentials: Schema.optional(Credentials),
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true })
}

const endpointMatches = (transport: Transport, endpoint: Endpoint): boolean =>
  transport === "http" ? "url" in endpoint : "command" in endpoint

/** The checks across fields: every endpoint is of the backend's transport, instance ids are unique. */
const consistent = (spec: {
  readonly transport: Transport
  readonly endpoint: Endpoint
  readonly instances?: ReadonlyArray<{ readonly id: string; readonly endpoint: Endpoint }> | undefined
}): string | undefined => {
  if (!endpointMatches(spec.transport, spec.endpoint)) {
    return spec.transport === "http" ? "An http backend's endpoint is { url }" : "A stdio backend's endpoint is { command, args?, env?, cwd? }"
  }
  const instances = spec.instances ?? []
  if (instances.some((instance) => !endpointMatches(spec.transport, instance.endpoint))) {
    return `Every instance's endpoint is of the backend's transport (${spec.transport})`
  }
  if (new Set(instances.map((instance) => instance.id)).size !== instances.length) return "Instance ids are unique within a backend"
  return undefined
}

/**
 * What is registered for a backend (the body of an upsert, an entry of the
 * YAML config): omitted fields take their defaults (`version` "0.0.0", no
 * tags, weight 1, shared (`tenant: null`), no owner, enabled).
 *
 * `credentials` are kept as given: in PostgreSQL, secrets at rest are as safe
 * as the operator's database.
 */
export const BackendSpec = Schema.Struct(specFields).pipe(
  Schema.filter((spec) => consistent(spec)),
  Schema.annotations({ identifier: "BackendSpec" })
)
export type BackendSpec = typeof BackendSpec.Type
/** The input of an upsert: a `BackendSpec` whose defaulted fields may be left out. */
export type BackendInput = typeof BackendSpec.Encoded

/** A registered backend: its spec and when it was created and last updated. */
export const Backend = Schema.Struct({ ...specFields, createdAt: Schema.Date, updatedAt: Schema.Date }).pipe(
  Schema.filter((backend) => consistent(backend)),
  Schema.annotations({ identifier: "Backend" })
)
export type Backend = typeof Backend.Type

// -----------------------------------------------------------------------------
// Capability snapshots
// -----------------------------------------------------------------------------

/**
 * What a backend offered when the gateway last listed it: its primitives
 * under their own names, its capabilities and implementation, the revision
 * spoken and when.
 * @see spec 2025-11-25 basic/lifecycle — "Initialization"; server/tools, server/resources, server/prompts — listing
 */
export const Snapshot = Schema.Struct({
  tools: Schema.Array(McpSchema.Tool),
  resources: Schema.Array(McpSchema.Resource),
  resourceTemplates: Schema.Array(McpSchema.ResourceTemplate),
  prompts: Schema.Array(McpSchema.Prompt),
  capabilities: McpSchema.ServerCapabilities,
  serverInfo: McpSchema.Implementation,
  protocolVersion: Schema.String,
  refreshedAt: Schema.Date
}).annotations({ identifier: "Snapshot" })
export type Snapshot = typeof Snapshot.Type

// -----------------------------------------------------------------------------
// Queries, changes, errors, the service
// -----------------------------------------------------------------------------

/**
 * Which backends to list. `tenant: "acme"`: the ones `acme` sees (its own
 * and the shared ones, unless `includeShared: false`); `tenant: null`: the
 * shared ones only; no `tenant`: all.
 */
export interface ListQuery {
  readonly tenant?: string | null | undefined
  readonly includeShared?: boolean | undefined
  readonly tag?: string | undefined
  readonly enabled?: boolean | undefined
  readonly owner?: string | undefined
}

/**
 * Discovery over the capability snapshots: the backends offering all the
 * given criteria (a tool name, a resource URI — a listed resource or one a
 * resource template matches —, a prompt name, a tag, a capability as a
 * dotted path such as `tools`, `resources.subscribe`), among those `tenant`
 * sees (as in `ListQuery`). Criteria on primitives or capabilities only
 * match backends with a snapshot.
 */
export interface FindQuery extends ListQuery {
  readonly tool?: string | undefined
  readonly resource?: string | undefined
  readonly prompt?: string | undefined
  readonly capability?: string | undefined
}

/** A backend found by discovery, with its snapshot when it has one. */
export interface Discovered {
  readonly backend: Backend
  readonly snapshot: Snapshot | undefined
}

/** A change to the registry: a backend registered or updated, or removed. */
export type RegistryChange =
  | { readonly _tag: "Upserted"; readonly name: string }
  | { readonly _tag: "Removed"; readonly name: string }

/** The change announcing that `name` was registered or updated. */
export const upserted = (name: string): RegistryChange => ({ _tag: "Upserted", name })
/** The change announcing that `name` was removed. */
export const removed = (name: string): RegistryChange => ({ _tag: "Removed", name })

/** A registry operation that failed: bad input, an unknown backend, or the store. */
export class RegistryError extends Data.TaggedError("RegistryError")<{
  readonly reason: "invalid" | "not-found" | "storage"
  readonly message: string
  readonly cause?: unknown
}> {}

/** The registry's operations (see Registry). */
export interface Service {
  /** Registers a backend or replaces the one of the same name (keeping its `createdAt`); announces `Upserted`. */
  readonly upsert: (input: BackendInput) => Effect.Effect<Backend, RegistryError>
  /** Removes a backend and its snapshot; whether it was there. Announces `Removed` when it was. */
  readonly remove: (name: string) => Effect.Effect<boolean, RegistryError>
  readonly get: (name: string) => Effect.Effect<Option.Option<Backend>, RegistryError>
  /** The backends `query` selects, by name. */
  readonly list: (query?: ListQuery) => Effect.Effect<ReadonlyArray<Backend>, RegistryError>
  /** Replaces the backend's capability snapshot; fails `not-found` for an unknown backend. */
  readonly setSnapshot: (name: string, snapshot: Snapshot) => Effect.Effect<void, RegistryError>
  readonly getSnapshot: (name: string) => Effect.Effect<Option.Option<Snapshot>, RegistryError>
  /** Discovery (see `FindQuery`), by backend name. */
  readonly find: (query: FindQuery) => Effect.Effect<ReadonlyArray<Discovered>, RegistryError>
  /** Every change from now on, made through any Registry on the same store. */
  readonly changes: Stream.Stream<RegistryChange>
  /** `changes`, subscribed when this returns (no change made after it is missed), for the scope. */
  readonly subscribe: Effect.Effect<Stream.Stream<RegistryChange>, never, Scope.Scope>
}

// -----------------------------------------------------------------------------
// Shared helpers
// -----------------------------------------------------------------------------

const decodeSpec = Schema.decodeUnknown(BackendSpec, { onExcessProperty: "error" })
const validateSnapshot = Schema.validate(Snapshot)

/** The spec of an upsert's input, defaults applied, or an `invalid` error saying why. */
export const parseSpec = (input: BackendInput): Effect.Effect<BackendSpec, RegistryError> =>
  Effect.mapError(decodeSpec(input), (error) =>
    new RegistryError({ reason: "invalid", message: `Invalid backend: ${ParseResult.TreeFormatter.formatErrorSync(error)}` }))

/** The snapshot as given, checked (a caller in TypeScript can still pass a malformed one). */
export const checkSnapshot = (snapshot: Snapshot): Effect.Effect<Snapshot, RegistryError> =>
  Effect.mapError(validateSnapshot(snapshot), (error) =>
    new RegistryError({ reason: "invalid", message: `Invalid snapshot: ${ParseResult.TreeFormatter.formatErrorSync(error)}` }))

export const notFound = (name: string): RegistryError => new RegistryError({ reason: "not-found", message: `No backend named ${JSON.stringify(name)}` })

/** Whether `backend` is among those `query` lists. */
export const listed = (backend: Backend, query: ListQuery): boolean => {
  if (query.tenant !== undefined) {
    if (query.tenant === null) {
      if (backend.tenant !== null) return false
    } else if (backend.tenant !== query.tenant && !(backend.tenant === null && query.includeShared !== false)) {
      return false
    }
  }
  if (query.tag !== undefined && !backend.tags.includes(query.tag)) return false
  if (query.enabled !== undefined && backend.enabled !== query.enabled) return false
  if (query.owner !== undefined && backend.owner !== query.owner) return false
  return true
}

const templates = new Map<string, RegExp | null>()

/**
 * A regular expression for the URIs an RFC 6570 template can expand to
 * (loose: any value for each expression), or null for a malformed template.
 * Kept per template (bounded) since discovery tests every backend's templates.
 */
const templateRegex = (template: string): RegExp | null => {
  const cached = templates.get(template)
  if (cached !== undefined) return cached
  let source = "^"
  let i = 0
  let regex: RegExp | null = null
  while (i < template.length) {
    const open = template.indexOf("{", i)
    const literal = template.slice(i, open === -1 ? template.length : open)
    source += literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    if (open === -1) break
    const close = template.indexOf("}", open)
    if (close === -1) {
      source = ""
      break
    }
    const operator = template[open + 1] ?? ""
    source += operator === "+" || operator === "#"
      ? ".*"
      : operator === "/"
      ? "(?:/[^?#]*)?"
      : operator === "?" || operator === "&"
      ? "(?:[?&][^#]*)?"
      : "[^/?#]*"
    i = close + 1
  }
  if (source !== "") regex = new RegExp(source + "$")
  if (templates.size < 10_000) templates.set(template, regex)
  return regex
}

/** Whether the capabilities have `path` (dotted) set to anything but false/null. */
const hasCapability = (capabilities: McpSchema.ServerCapabilities, path: string): boolean => {
  let value: unknown = capabilities
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return false
    value = (value as Record<string, unknown>)[key]
  }
  return value !== undefined && value !== null && value !== false
}

/** Whether `backend` (with its snapshot) answers every criterion of `query`. */
export const matches = (backend: Backend, snapshot: Snapshot | undefined, query: FindQuery): boolean => {
  if (!listed(backend, query)) return false
  const needsSnapshot = query.tool !== undefined || query.resource !== undefined || query.prompt !== undefined ||
    query.capability !== undefined
  if (!needsSnapshot) return true
  if (snapshot === undefined) return false
  if (query.tool !== undefined && !snapshot.tools.some((tool) => tool.name === query.tool)) return false
  if (query.prompt !== undefined && !snapshot.prompts.some((prompt) => prompt.name === query.prompt)) return false
  if (query.capability !== undefined && !hasCapability(snapshot.capabilities, query.capability)) return false
  if (query.resource !== undefined) {
    const uri = query.resource
    const offered = snapshot.resources.some((resource) => resource.uri === uri) ||
      snapshot.resourceTemplates.some((template) => templateRegex(template.uriTemplate)?.test(uri) === true)
    if (!offered) return false
  }
  return true
}

/** By name, the order of every listing. */
export const byName = (a: { readonly name: string }, b: { readonly name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0
