/**
 * The admin REST API and the official MCP registry read API of the gateway,
 * as an @effect/platform `HttpApi` (see AdminApi): schemas of requests,
 * responses and errors, the groups and their endpoints. No handlers here.
 */
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { AuditEntry, Outcome } from "./auditModel.js"
import { Backend, BackendName, BackendSpec, Snapshot } from "./registryModel.js"
import { version } from "./version.js"

// -----------------------------------------------------------------------------
// Errors
// -----------------------------------------------------------------------------

/** 400: the request is malformed; `message` names the field. */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 400, description: "The request is invalid; the message names the field" })
) {}

/** 401: no admin token, or a wrong one (with `WWW-Authenticate: Bearer`). */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401, description: "A valid admin bearer token is required" })
) {}

/** 404: no such backend (or snapshot). */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 404, description: "No such backend" })
) {}

/** 503: the store behind the registry or the audit log failed. */
export class Unavailable extends Schema.TaggedError<Unavailable>()(
  "Unavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503, description: "The registry or audit store is unavailable" })
) {}

/**
 * 404 of the official registry API: `{ "error": "Server not found" }`.
 * @see modelcontextprotocol/registry docs/reference/api/openapi.yaml — `/v0.1/servers/{serverName}/versions` 404
 */
export const RegistryNotFound = Schema.Struct({ error: Schema.String }).annotations(
  HttpApiSchema.annotations({ status: 404, description: "Server or version not found", identifier: "RegistryNotFound" })
)
export type RegistryNotFound = typeof RegistryNotFound.Type

// -----------------------------------------------------------------------------
// Authentication
// -----------------------------------------------------------------------------

/** Bearer authentication of the admin endpoints (the admin token). */
export class AdminAuth extends HttpApiMiddleware.Tag<AdminAuth>()("@emcee/gateway/AdminApi/AdminAuth", {
  failure: Unauthorized,
  security: { adminToken: HttpApiSecurity.bearer }
}) {}

// -----------------------------------------------------------------------------
// Backends
// -----------------------------------------------------------------------------

const specFields = BackendSpec.from.fields

/**
 * The body of `PUT /admin/v1/backends/{name}`: a backend's spec (see
 * `Registry.BackendSpec`); `name` may be left out (the path's), and a field
 * the spec does not know is an error, not silently dropped.
 */
export const BackendPayload = Schema.Struct({ ...specFields, name: Schema.optional(BackendName) }).annotations({
  identifier: "BackendPayload",
  parseOptions: { onExcessProperty: "error" }
})
export type BackendPayload = typeof BackendPayload.Type

/** The credentials of a backend as the API shows them: their kind and non-secret fields, never a secret. */
export const CredentialsView = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("bearer") }),
  Schema.Struct({
    kind: Schema.Literal("client_credentials"),
    tokenUrl: Schema.String,
    clientId: Schema.String,
    scope: Schema.optional(Schema.String)
  })
).annotations({ identifier: "CredentialsView" })

const { credentials: _credentials, ...backendFields } = Backend.from.fields

/**
 * A registered backend as the API returns it: secrets left out (the
 * credentials' token or client secret; the values of stdio environment
 * variables whose names look secret are `"[REDACTED]"`).
 */
export const BackendView = Schema.Struct({ ...backendFields, credentials: Schema.optional(CredentialsView) }).annotations({
  identifier: "BackendView"
})
export type BackendView = typeof BackendView.Type

/** What discovery returns of a backend's snapshot: the names it offers. */
export const SnapshotSummary = Schema.Struct({
  tools: Schema.Array(Schema.String),
  prompts: Schema.Array(Schema.String),
  resources: Schema.Array(Schema.String),
  resourceTemplates: Schema.Array(Schema.String),
  capabilities: Schema.Array(Schema.String),
  protocolVersion: Schema.String,
  refreshedAt: Schema.Date
}).annotations({ identifier: "SnapshotSummary" })
export type SnapshotSummary = typeof SnapshotSummary.Type

const BooleanParam = Schema.Literal("true", "false").pipe(
  Schema.transform(Schema.Boolean, { strict: true, decode: (s) => s === "true", encode: (b) => (b ? "true" : "false") })
)

const NamePath = Schema.Struct({ name: Schema.String })

export const ListParams = Schema.Struct({
  tenant: Schema.optional(Schema.String),
  tag: Schema.optional(Schema.String),
  enabled: Schema.optional(BooleanParam),
  owner: Schema.optional(Schema.String)
})

export const DiscoverParams = Schema.Struct({
  ...ListParams.fields,
  tool: Schema.optional(Schema.String),
  resource: Schema.optional(Schema.String),
  prompt: Schema.optional(Schema.String),
  capability: Schema.optional(Schema.String)
})

const Limit = (max: number) =>
  Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, max, { message: () => `limit is an integer from 1 to ${max}` }))

export const AuditParams = Schema.Struct({
  tenant: Schema.optional(Schema.String),
  backend: Schema.optional(Schema.String),
  principal: Schema.optional(Schema.String),
  method: Schema.optional(Schema.String),
  outcome: Schema.optional(Outcome),
  since: Schema.optional(Schema.Date),
  until: Schema.optional(Schema.Date),
  limit: Schema.optional(Limit(1000)),
  cursor: Schema.optional(Schema.String)
})

export const AuditStatsSchema = Schema.Struct({
  recorded: Schema.Number,
  written: Schema.Number,
  dropped: Schema.Number,
  failed: Schema.Number,
  pending: Schema.Number
}).annotations({ identifier: "AuditStats" })

const Counts = Schema.Struct({
  tools: Schema.Number,
  prompts: Schema.Number,
  resources: Schema.Number,
  resourceTemplates: Schema.Number
})

/** The statistics of one backend: what is registered, last listed, and (with a Gateway) live. */
export const BackendStats = Schema.Struct({
  name: Schema.String,
  registered: Schema.Boolean,
  enabled: Schema.optional(Schema.Boolean),
  tenant: Schema.optional(Schema.NullOr(Schema.String)),
  snapshot: Schema.optional(Schema.Struct({ ...Counts.fields, protocolVersion: Schema.String, refreshedAt: Schema.Date })),
  status: Schema.optional(Schema.Struct({
    state: Schema.Literal("connecting", "up", "down"),
    endpoint: Schema.String,
    protocolVersion: Schema.optional(Schema.String),
    served: Counts,
    lastError: Schema.optional(Schema.String),
    since: Schema.Date
  }))
}).annotations({ identifier: "BackendStats" })
export type BackendStats = typeof BackendStats.Type

export const Stats = Schema.Struct({
  backends: Schema.Struct({
    registered: Schema.Number,
    enabled: Schema.Number,
    withSnapshot: Schema.Number,
    /** Present with a Gateway: backends connected now. */
    up: Schema.optional(Schema.Number),
    down: Schema.optional(Schema.Number),
    connecting: Schema.optional(Schema.Number)
  }),
  perBackend: Schema.Array(BackendStats),
  audit: AuditStatsSchema
}).annotations({ identifier: "GatewayStats" })
export type Stats = typeof Stats.Type

// -----------------------------------------------------------------------------
// The official MCP registry's shapes
// -----------------------------------------------------------------------------

/**
 * A remote of a server: the gateway's Streamable HTTP endpoint.
 * @see modelcontextprotocol/registry docs/reference/api/openapi.yaml — components.schemas.StreamableHttpTransport
 */
export const RemoteTransport = Schema.Struct({
  type: Schema.Literal("streamable-http"),
  url: Schema.String
}).annotations({ identifier: "RemoteTransport" })

/**
 * `server.json`, as much of it as the gateway knows of a backend.
 * @see modelcontextprotocol/registry docs/reference/api/openapi.yaml — components.schemas.ServerDetail
 * (name reverse-DNS with exactly one `/`, description 1 to 100 characters, version, title, remotes)
 */
export const ServerDetail = Schema.Struct({
  $schema: Schema.optional(Schema.String),
  name: Schema.String,
  description: Schema.String,
  version: Schema.String,
  title: Schema.optional(Schema.String),
  websiteUrl: Schema.optional(Schema.String),
  remotes: Schema.optional(Schema.Array(RemoteTransport))
}).annotations({ identifier: "ServerDetail" })
export type ServerDetail = typeof ServerDetail.Type

/** @see modelcontextprotocol/registry docs/reference/api/openapi.yaml — components.schemas.ServerResponse `_meta` */
export const OfficialMeta = Schema.Struct({
  status: Schema.Literal("active", "deprecated", "deleted"),
  publishedAt: Schema.String,
  updatedAt: Schema.String,
  isLatest: Schema.Boolean
}).annotations({ identifier: "OfficialMeta" })

/** @see modelcontextprotocol/registry docs/reference/api/openapi.yaml — components.schemas.ServerResponse */
export const ServerResponse = Schema.Struct({
  server: ServerDetail,
  _meta: Schema.Struct({ "io.modelcontextprotocol.registry/official": OfficialMeta })
}).annotations({ identifier: "ServerResponse" })
export type ServerResponse = typeof ServerResponse.Type

/** @see modelcontextprotocol/registry docs/reference/api/openapi.yaml — components.schemas.ServerList */
export const ServerList = Schema.Struct({
  servers: Schema.Array(ServerResponse),
  metadata: Schema.Struct({ nextCursor: Schema.optional(Schema.String), count: Schema.Number })
}).annotations({ identifier: "ServerList" })
export type ServerList = typeof ServerList.Type

/** @see modelcontextprotocol/registry docs/reference/api/openapi.yaml — `GET /v0.1/servers` parameters */
export const ServerListParams = Schema.Struct({
  cursor: Schema.optional(Schema.String),
  limit: Schema.optional(Limit(100)),
  search: Schema.optional(Schema.String),
  updated_since: Schema.optional(Schema.Date),
  version: Schema.optional(Schema.String),
  include_deleted: Schema.optional(BooleanParam)
})

const ServerNamePath = Schema.Struct({ serverName: Schema.String })
const VersionPath = Schema.Struct({ serverName: Schema.String, version: Schema.String })

// -----------------------------------------------------------------------------
// The API
// -----------------------------------------------------------------------------

export const adminGroup = HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.get("listBackends", "/backends")
      .setUrlParams(ListParams)
      .addSuccess(Schema.Struct({ backends: Schema.Array(BackendView) }))
      .annotate(OpenApi.Description, "The registered backends, filtered by tenant (its own and the shared ones), tag, enabled and owner")
  )
  .add(
    HttpApiEndpoint.get("getBackend", "/backends/:name")
      .setPath(NamePath)
      .addSuccess(BackendView)
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.put("putBackend", "/backends/:name")
      .setPath(NamePath)
      .setPayload(BackendPayload)
      .addSuccess(BackendView)
      .addError(BadRequest)
      .annotate(OpenApi.Description, "Registers the backend or replaces it (keeping its createdAt)")
  )
  .add(
    HttpApiEndpoint.del("deleteBackend", "/backends/:name")
      .setPath(NamePath)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.get("getSnapshot", "/backends/:name/snapshot")
      .setPath(NamePath)
      .addSuccess(Snapshot)
      .addError(NotFound)
      .annotate(OpenApi.Description, "The capability snapshot the gateway last took of the backend")
  )
  .add(
    HttpApiEndpoint.get("discover", "/discover")
      .setUrlParams(DiscoverParams)
      .addSuccess(Schema.Struct({ backends: Schema.Array(Schema.Struct({ backend: BackendView, snapshot: Schema.optional(SnapshotSummary) })) }))
      .addError(BadRequest)
      .annotate(
        OpenApi.Description,
        "The backends offering all the given criteria: a tool or prompt name, a resource URI (listed, or matched by a template), a tag, a capability (dotted path such as resources.subscribe)"
      )
  )
  .add(HttpApiEndpoint.get("stats", "/stats").addSuccess(Stats))
  .add(
    HttpApiEndpoint.get("audit", "/audit")
      .setUrlParams(AuditParams)
      .addSuccess(Schema.Struct({ entries: Schema.Array(AuditEntry), nextCursor: Schema.optional(Schema.String) }))
      .addError(BadRequest)
      .annotate(OpenApi.Description, "Audit log entries, newest first; pass nextCursor as cursor for the next page")
  )
  .addError(Unavailable)
  .middleware(AdminAuth)
  .prefix("/admin/v1")
  .annotate(OpenApi.Description, "Administration of the gateway (bearer token)")

export const documentGroup = HttpApiGroup.make("document")
  .add(
    HttpApiEndpoint.get("openapi", "/admin/v1/openapi.json")
      .addSuccess(Schema.Unknown)
      .annotate(OpenApi.Description, "This OpenAPI document")
  )

export const registryGroup = HttpApiGroup.make("registry")
  .add(
    HttpApiEndpoint.get("listServers", "/v0.1/servers")
      .setUrlParams(ServerListParams)
      .addSuccess(ServerList)
      .annotate(OpenApi.Description, "The servers of this private registry (official MCP registry API)")
  )
  .add(
    HttpApiEndpoint.get("listVersions", "/v0.1/servers/:serverName/versions")
      .setPath(ServerNamePath)
      .addSuccess(ServerList)
      .addError(RegistryNotFound)
  )
  .add(
    HttpApiEndpoint.get("getVersion", "/v0.1/servers/:serverName/versions/:version")
      .setPath(VersionPath)
      .addSuccess(ServerResponse)
      .addError(RegistryNotFound)
      .annotate(OpenApi.Description, "One version of a server; the special version `latest` is the latest")
  )
  .annotate(OpenApi.Description, "The official MCP registry read API (public)")

export const api = HttpApi.make("emcee-gateway")
  .add(adminGroup)
  .add(documentGroup)
  .add(registryGroup)
  .annotate(OpenApi.Title, "emcee gateway")
  .annotate(OpenApi.Version, version)
  .annotate(
    OpenApi.Description,
    "Admin REST API of the emcee MCP gateway (registry CRUD, discovery, statistics, audit) and the official MCP registry read API"
  )
