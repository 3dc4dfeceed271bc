/**
 * The gateway's backends as the official MCP registry shows servers: names,
 * `server.json` details, the official `_meta`, paging, and the rewriting of
 * plain (unencoded) server names in paths.
 *
 * @see modelcontextprotocol/registry docs/reference/api/openapi.yaml (2025-12-01) —
 *   `GET /v0.1/servers`, `/v0.1/servers/{serverName}/versions`, `/versions/{version}`;
 *   components.schemas.ServerList, ServerResponse, ServerDetail, StreamableHttpTransport
 */
import type { ServerDetail, ServerList, ServerResponse } from "./adminApiDefinition.js"
import type { Backend } from "./registryModel.js"

/** The `$schema` of the `server.json` the registry returns (the official OpenAPI's example). */
export const SERVER_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

/** Default namespace of backends' registry names. */
export const DEFAULT_NAMESPACE = "io.emcee.gateway"

/** Official registry page size: 30 by default (as the official registry), 100 at most. */
export const DEFAULT_LIMIT = 30

/** A namespace of the official name pattern's left part (`^[a-zA-Z0-9.-]+`). */
export const validNamespace = (namespace: string): boolean => /^[a-zA-Z0-9.-]+$/.test(namespace)

/** The registry name of a backend: `namespace/name`, or its name when it already has a `/`. */
export const registryName = (backend: { readonly name: string }, namespace: string): string =>
  backend.name.includes("/") ? backend.name : `${namespace}/${backend.name}`

/** At most `max` characters (ServerDetail's description and title are 1 to 100). */
const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

export interface MappingOptions {
  readonly namespace: string
  readonly publicUrl: ((backend: Backend) => string | undefined) | undefined
}

/** A backend as `ServerDetail`. */
export const serverDetail = (backend: Backend, options: MappingOptions): ServerDetail => {
  const title = backend.title?.trim()
  const description = backend.description?.trim() || title || `MCP server ${backend.name} behind the emcee gateway`
  const url = options.publicUrl?.(backend)
  return {
    $schema: SERVER_SCHEMA,
    name: registryName(backend, options.namespace),
    description: clip(description, 100),
    version: backend.version,
    ...(title ? { title: clip(title, 100) } : {}),
    ...(url === undefined ? {} : { remotes: [{ type: "streamable-http" as const, url }] })
  }
}

/** A backend as `ServerResponse`: its one version is the latest. */
export const serverResponse = (backend: Backend, options: MappingOptions): ServerResponse => ({
  server: serverDetail(backend, options),
  _meta: {
    "io.modelcontextprotocol.registry/official": {
      status: "active",
      publishedAt: backend.createdAt.toISOString(),
      updatedAt: backend.updatedAt.toISOString(),
      isLatest: true
    }
  }
})

export interface ListOptions {
  readonly cursor?: string | undefined
  readonly limit?: number | undefined
  readonly search?: string | undefined
  readonly updatedSince?: Date | undefined
  readonly version?: string | undefined
}

const encodeCursor = (name: string): string => Buffer.from(name, "utf8").toString("base64url")
const decodeCursor = (cursor: string): string => Buffer.from(cursor, "base64url").toString("utf8")

/**
 * A page of servers in name order: `search` a case-insensitive substring of
 * the name, `version` `latest` (every backend has one version, the latest)
 * or an exact version, `updatedSince` inclusive; `cursor` an opaque
 * `nextCursor` (the last name of the previous page).
 */
export const page = (backends: ReadonlyArray<Backend>, options: MappingOptions, query: ListOptions): ServerList => {
  const search = query.search?.toLowerCase()
  const after = query.cursor === undefined || query.cursor === "" ? undefined : decodeCursor(query.cursor)
  const limit = query.limit ?? DEFAULT_LIMIT
  const all = backends
    .map((backend) => ({ name: registryName(backend, options.namespace), backend }))
    .filter(({ backend, name }) =>
      (search === undefined || name.toLowerCase().includes(search)) &&
      (query.version === undefined || query.version === "latest" || query.version === backend.version) &&
      (query.updatedSince === undefined || backend.updatedAt.getTime() >= query.updatedSince.getTime()) &&
      (after === undefined || name > after)
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const slice = all.slice(0, limit)
  const last = slice[slice.length - 1]
  return {
    servers: slice.map(({ backend }) => serverResponse(backend, options)),
    metadata: {
      count: slice.length,
      ...(all.length > limit && last !== undefined ? { nextCursor: encodeCursor(last.name) } : {})
    }
  }
}

const versionsPath = /^\/v0\.1\/servers\/([^/?#]+)\/([^/?#]+)(\/versions(?:\/[^/?#]*)?\/?)(\?[^#]*)?$/

/**
 * The request URL with a plain server name (`io.example/weather`, whose `/`
 * would split the path) percent-encoded as the official API expects
 * (`io.example%2Fweather`), or undefined when there is nothing to rewrite.
 * Names hold exactly one `/` (ServerDetail's `^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`).
 */
export const encodePlainServerName = (url: string): string | undefined => {
  const match = versionsPath.exec(url)
  if (match === null) return undefined
  const [, namespace, name, rest, search] = match
  if (namespace === undefined || name === undefined || rest === undefined) return undefined
  // Already the encoded form: /v0.1/servers/{encoded}/versions/{version}.
  if (/%2f/i.test(namespace) || name === "versions") return undefined
  return `/v0.1/servers/${namespace}%2F${name}${rest}${search ?? ""}`
}
