/**
 * The gateway's REST surface, an @effect/platform `HttpApi` served as one
 * `HttpApp` beside the MCP endpoint (HttpTransport's `app` option):
 *
 * - **Admin API** under `/admin/v1` (bearer `adminToken`, compared in
 *   constant time; 401 with `WWW-Authenticate: Bearer` without it):
 *   `GET /backends?tenant=&tag=&enabled=&owner=`, `GET|PUT|DELETE
 *   /backends/{name}` (PUT: a `Registry.BackendSpec`, `name` optional; 400
 *   naming the field on invalid input; 404 for an unknown backend),
 *   `GET /backends/{name}/snapshot`, discovery `GET
 *   /discover?tool=&resource=&prompt=&tag=&capability=&tenant=`, `GET /stats`
 *   (registry counts, snapshot counts, live status with a `Gateway`, the
 *   audit log's counters), `GET /audit?tenant=&backend=&principal=&method=&outcome=&since=&until=&limit=&cursor=`.
 *   Responses never carry a backend's secrets (credentials show their kind;
 *   secret-looking stdio environment values are redacted).
 * - `GET /admin/v1/openapi.json`: the OpenAPI document of all of it (public).
 * - **The official MCP registry read API** (public), so IDEs can use the
 *   gateway as a private registry: `GET /v0.1/servers?cursor=&limit=&search=&version=&updated_since=`,
 *   `GET /v0.1/servers/{serverName}/versions`, `GET
 *   /v0.1/servers/{serverName}/versions/{version}` (`latest` included).
 *   Server names are reverse-DNS (`io.emcee.gateway/search`: a backend's
 *   name under `namespace`) and are URL-encoded in paths
 *   (`io.emcee.gateway%2Fsearch`); the plain form is accepted too. Each
 *   server's remote is the gateway's own endpoint (`publicUrl`): a backend
 *   is reached through the gateway. Only what `registryQuery` selects is
 *   listed (default: the shared, enabled backends).
 *   See modelcontextprotocol/registry docs/reference/api/openapi.yaml.
 *
 * Paths the app does not serve fail with `RouteNotFound`, so it composes
 * with other apps (`Effect.catchTag("RouteNotFound", …)`), and HttpTransport
 * answers them 404.
 *
 * @example
 * import { Effect, Layer, Redacted } from "effect"
 * import { HttpTransport } from "@emcee/transport"
 * import { AdminApi } from "@emcee/gateway"
 *
 * const Http = Layer.unwrapScoped(Effect.map(
 *   AdminApi.app({ adminToken: Redacted.make(process.env.ADMIN_TOKEN!), publicUrl: "https://gw.example/mcp" }),
 *   (app) => HttpTransport.layer({ port: 3000, app })
 * ))
 *
 * @since 0.4.0
 */
import {
  HttpApiBuilder,
  type HttpApp,
  HttpServer,
  HttpServerRequest,
  HttpServerResponse,
  OpenApi
} from "@effect/platform"
import type { HttpServerError } from "@effect/platform"
import { Effect, Layer, Option, Redacted, type Scope } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import * as AuditLog from "./AuditLog.js"
import * as Backend from "./Backend.js"
import * as Gateway from "./Gateway.js"
import * as Definition from "./internal/adminApiDefinition.js"
import * as Official from "./internal/officialRegistry.js"
import * as Registry from "./Registry.js"

export {
  BackendPayload,
  BackendStats,
  BackendView,
  BadRequest,
  CredentialsView,
  NotFound,
  RegistryNotFound,
  ServerDetail,
  ServerList,
  ServerResponse,
  SnapshotSummary,
  Stats,
  Unauthorized,
  Unavailable
} from "./internal/adminApiDefinition.js"

/** The `HttpApi` definition: groups `admin`, `document` and `registry`. */
export const api = Definition.api

/** The OpenAPI 3.1 document of `api`, as served at `/admin/v1/openapi.json`. */
export const openApi: OpenApi.OpenAPISpec = OpenApi.fromApi(Definition.api)

/** Options shared by every way of securing the admin API. */
export interface CommonOptions {
  /**
   * The namespace of backends' names in the registry API (the left part of
   * a reverse-DNS name, `[a-zA-Z0-9.-]+`): backend `search` is
   * `io.emcee.gateway/search` by default.
   */
  readonly namespace?: string | undefined
  /**
   * Where clients reach a backend through the gateway: the gateway's own
   * MCP endpoint URL (e.g. `https://gw.example/mcp`), or a function of the
   * backend (undefined: no remote). Without it servers have no `remotes`.
   */
  readonly publicUrl?: string | ((backend: Registry.Backend) => string | undefined) | undefined
  /** Which backends the public registry API lists; default `{ tenant: null, enabled: true }` (shared and enabled). */
  readonly registryQuery?: Registry.ListQuery | undefined
  /** Names of stdio environment variables whose values are redacted in responses; default `AuditLog.defaultRedact`. */
  readonly redactEnv?: RegExp | undefined
}

/**
 * Options of `app`: an admin bearer token is required, unless
 * `allowUnauthenticated: true` opens the admin API to anyone who reaches
 * it (for a gateway bound to loopback only).
 */
export type Options =
  & CommonOptions
  & (
    | { readonly adminToken: Redacted.Redacted<string>; readonly allowUnauthenticated?: boolean | undefined }
    | { readonly adminToken?: undefined; readonly allowUnauthenticated: true }
  )

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest()

/** Whether `given` is `expected`, in time independent of where they differ (and of their lengths). */
const sameSecret = (given: string, expected: Buffer): boolean => timingSafeEqual(sha256(given), expected)

/** The token of an `Authorization: Bearer …` header (scheme case-insensitive, RFC 6750 §2.1), or undefined. */
const bearerToken = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const match = /^Bearer +(\S+) *$/i.exec(header)
  return match?.[1]
}

const redactedEnv = (env: Readonly<Record<string, string>>, redact: RegExp): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) out[key] = redact.test(key) ? AuditLog.REDACTED : value
  return out
}

const endpointView = (endpoint: Registry.Endpoint, redact: RegExp): Registry.Endpoint =>
  "command" in endpoint ? { ...endpoint, env: redactedEnv(endpoint.env, redact) } : endpoint

/** A backend without its secrets. */
const view = (backend: Registry.Backend, redact: RegExp): Definition.BackendView => {
  const { credentials, ...rest } = backend
  return {
    ...rest,
    endpoint: endpointView(backend.endpoint, redact),
    ...(backend.instances === undefined
      ? {}
      : { instances: backend.instances.map((instance) => ({ ...instance, endpoint: endpointView(instance.endpoint, redact) })) }),
    ...(credentials === undefined
      ? {}
      : {
        credentials: credentials.kind === "bearer"
          ? { kind: "bearer" as const }
          : {
            kind: "client_credentials" as const,
            tokenUrl: credentials.tokenUrl,
            clientId: credentials.clientId,
            ...(credentials.scope === undefined ? {} : { scope: credentials.scope })
          }
      })
  }
}

/** The capabilities as dotted paths: each top-level one, and each of its flags that is true. */
const capabilityPaths = (capabilities: Readonly<Record<string, unknown>>): Array<string> => {
  const out: Array<string> = []
  for (const [key, value] of Object.entries(capabilities)) {
    if (value === undefined || value === null || value === false) continue
    out.push(key)
    if (typeof value === "object") {
      for (const [sub, flag] of Object.entries(value)) if (flag === true) out.push(`${key}.${sub}`)
    }
  }
  return out.sort()
}

const summary = (snapshot: Registry.Snapshot): Definition.SnapshotSummary => ({
  tools: snapshot.tools.map((tool) => tool.name),
  prompts: snapshot.prompts.map((prompt) => prompt.name),
  resources: snapshot.resources.map((resource) => resource.uri),
  resourceTemplates: snapshot.resourceTemplates.map((template) => template.uriTemplate),
  capabilities: capabilityPaths(snapshot.capabilities),
  protocolVersion: snapshot.protocolVersion,
  refreshedAt: snapshot.refreshedAt
})

const invalidOrStorage = (error: Registry.RegistryError): Definition.BadRequest | Definition.Unavailable =>
  error.reason === "invalid"
    ? new Definition.BadRequest({ message: error.message })
    : new Definition.Unavailable({ message: `The registry is unavailable: ${error.message}` })

const storageOnly = (error: Registry.RegistryError): Definition.Unavailable =>
  new Definition.Unavailable({ message: `The registry is unavailable: ${error.message}` })

const noBackend = (name: string) => new Definition.NotFound({ message: `No backend named ${JSON.stringify(name)}` })

const serverNotFound: Definition.RegistryNotFound = { error: "Server not found" }
const versionNotFound: Definition.RegistryNotFound = { error: "Server version not found" }

const adminPrefix = "/admin/v1/"

/**
 * The URL with the slashes of its query percent-encoded (same parameters),
 * or undefined when its query has no "//": the router collapses duplicate
 * slashes anywhere in the URL, which would turn `?resource=file:///a` into
 * `file:/a`.
 */
const encodeQuerySlashes = (url: string): string | undefined => {
  const question = url.indexOf("?")
  if (question === -1 || !url.includes("//", question)) return undefined
  return url.slice(0, question + 1) + url.slice(question + 1).replaceAll("/", "%2F")
}

/**
 * The admin API and the registry API as one `HttpApp` for the scope, on
 * the `Registry` and `AuditLog` of the context (and the `Gateway`, when
 * there is one, for live status in `/admin/v1/stats`). Dies on invalid
 * options (no `adminToken` without `allowUnauthenticated`, a bad `namespace`).
 */
export const app = (
  options: Options
): Effect.Effect<HttpApp.Default<HttpServerError.RouteNotFound>, never, Registry.Registry | AuditLog.AuditLog | Scope.Scope> =>
  Effect.gen(function*() {
    const adminToken = options.adminToken
    if (adminToken === undefined && options.allowUnauthenticated !== true) {
      return yield* Effect.dieMessage("AdminApi: `adminToken` is required unless `allowUnauthenticated: true`")
    }
    const namespace = options.namespace ?? Official.DEFAULT_NAMESPACE
    if (!Official.validNamespace(namespace)) {
      return yield* Effect.dieMessage(`AdminApi: the namespace ${JSON.stringify(namespace)} is not of [a-zA-Z0-9.-]+`)
    }
    const publicUrl = options.publicUrl
    const mapping: Official.MappingOptions = {
      namespace,
      publicUrl: publicUrl === undefined ? undefined : typeof publicUrl === "string" ? () => publicUrl : publicUrl
    }
    const registryQuery = options.registryQuery ?? { tenant: null, enabled: true }
    const redact = options.redactEnv === undefined
      ? AuditLog.defaultRedact
      : new RegExp(options.redactEnv.source, options.redactEnv.flags.replace(/[gy]/g, ""))
    const expected = adminToken === undefined ? undefined : sha256(Redacted.value(adminToken))

    const registry = yield* Registry.Registry
    const audit = yield* AuditLog.AuditLog
    const gateway = yield* Effect.serviceOption(Gateway.Gateway)

    const AuthLive = Layer.succeed(Definition.AdminAuth, {
      adminToken: () =>
        Effect.gen(function*() {
          if (expected === undefined) return
          // The middleware's own decoding takes any 7 characters for "Bearer ": read the header itself.
          const request = yield* Effect.serviceOption(HttpServerRequest.HttpServerRequest)
          const token = bearerToken(Option.getOrUndefined(request)?.headers.authorization)
          if (token === undefined) {
            return yield* new Definition.Unauthorized({ message: "A bearer token is required (Authorization: Bearer <admin token>)" })
          }
          if (!sameSecret(token, expected)) return yield* new Definition.Unauthorized({ message: "The bearer token is not the admin token" })
        })
    })

    const AdminLive = HttpApiBuilder.group(Definition.api, "admin", (handlers) =>
      handlers
        .handle("listBackends", ({ urlParams }) =>
          registry.list(urlParams).pipe(
            Effect.mapError(storageOnly),
            Effect.map((backends) => ({ backends: backends.map((backend) => view(backend, redact)) }))
          ))
        .handle("getBackend", ({ path }) =>
          registry.get(path.name).pipe(
            Effect.mapError(storageOnly),
            Effect.flatMap(Option.match({ onNone: () => Effect.fail(noBackend(path.name)), onSome: (backend) => Effect.succeed(view(backend, redact)) }))
          ))
        .handle("putBackend", ({ path, payload }) =>
          Effect.gen(function*() {
            // The gateway's own rule (`Backend.invalidName`): a name the registry takes is one the gateway serves.
            const problem = Backend.invalidName(path.name)
            if (problem !== undefined) return yield* new Definition.BadRequest({ message: `name: ${problem}` })
            if (payload.name !== undefined && payload.name !== path.name) {
              return yield* new Definition.BadRequest({
                message: `name: the body's name ${JSON.stringify(payload.name)} differs from the path's ${JSON.stringify(path.name)}`
              })
            }
            const backend = yield* registry.upsert({ ...payload, name: path.name }).pipe(
              Effect.mapError(invalidOrStorage)
            )
            return view(backend, redact)
          }))
        .handle("deleteBackend", ({ path }) =>
          registry.remove(path.name).pipe(
            Effect.mapError(storageOnly),
            Effect.flatMap((removed) => (removed ? Effect.void : Effect.fail(noBackend(path.name))))
          ))
        .handle("getSnapshot", ({ path }) =>
          Effect.gen(function*() {
            const backend = yield* Effect.mapError(registry.get(path.name), storageOnly)
            if (Option.isNone(backend)) return yield* noBackend(path.name)
            const snapshot = yield* Effect.mapError(registry.getSnapshot(path.name), storageOnly)
            if (Option.isNone(snapshot)) {
              return yield* new Definition.NotFound({ message: `The backend ${JSON.stringify(path.name)} has no capability snapshot yet` })
            }
            return snapshot.value
          }))
        .handle("discover", ({ urlParams }) =>
          registry.find(urlParams).pipe(
            Effect.mapError(invalidOrStorage),
            Effect.map((found) => ({
              backends: found.map(({ backend, snapshot }) => ({
                backend: view(backend, redact),
                ...(snapshot === undefined ? {} : { snapshot: summary(snapshot) })
              }))
            }))
          ))
        .handle("stats", () =>
          Effect.gen(function*() {
            const found = yield* Effect.mapError(registry.find({}), storageOnly)
            const statuses = Option.isSome(gateway) ? yield* gateway.value.backends : undefined
            const auditStats = yield* audit.stats
            const byName = new Map<string, Definition.BackendStats>()
            for (const { backend, snapshot } of found) {
              byName.set(backend.name, {
                name: backend.name,
                registered: true,
                enabled: backend.enabled,
                tenant: backend.tenant,
                ...(snapshot === undefined ? {} : {
                  snapshot: {
                    tools: snapshot.tools.length,
                    prompts: snapshot.prompts.length,
                    resources: snapshot.resources.length,
                    resourceTemplates: snapshot.resourceTemplates.length,
                    protocolVersion: snapshot.protocolVersion,
                    refreshedAt: snapshot.refreshedAt
                  }
                })
              })
            }
            for (const status of statuses ?? []) {
              const entry = byName.get(status.name) ?? { name: status.name, registered: false }
              byName.set(status.name, {
                ...entry,
                status: {
                  state: status.state,
                  endpoint: status.endpoint,
                  served: status.served,
                  since: new Date(status.since),
                  ...(status.protocolVersion === undefined ? {} : { protocolVersion: status.protocolVersion }),
                  ...(status.lastError === undefined ? {} : { lastError: status.lastError })
                }
              })
            }
            const count = (state: Gateway.BackendStatus["state"]) => (statuses ?? []).filter((status) => status.state === state).length
            return {
              backends: {
                registered: found.length,
                enabled: found.filter(({ backend }) => backend.enabled).length,
                withSnapshot: found.filter(({ snapshot }) => snapshot !== undefined).length,
                ...(statuses === undefined ? {} : { up: count("up"), down: count("down"), connecting: count("connecting") })
              },
              perBackend: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
              audit: auditStats
            }
          }))
        .handle("audit", ({ urlParams }) =>
          audit.query(urlParams).pipe(
            Effect.mapError((error) =>
              error.reason === "invalid-cursor"
                ? new Definition.BadRequest({ message: `cursor: ${error.message}` })
                : new Definition.Unavailable({ message: `The audit log is unavailable: ${error.message}` })
            ),
            Effect.map((page) => ({ entries: page.entries, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) }))
          ))
    )

    const DocumentLive = HttpApiBuilder.group(Definition.api, "document", (handlers) => handlers.handle("openapi", () => Effect.succeed(openApi)))

    /** The registry API's server of a (decoded) name, among those it lists. */
    const findServer = (serverName: string) =>
      Effect.map(
        Effect.orElseSucceed(registry.list(registryQuery), () => []),
        (backends) => backends.find((backend) => Official.registryName(backend, namespace) === serverName)
      )

    const RegistryLive = HttpApiBuilder.group(Definition.api, "registry", (handlers) =>
      handlers
        .handle("listServers", ({ urlParams }) =>
          Effect.map(Effect.orElseSucceed(registry.list(registryQuery), () => []), (backends) =>
            Official.page(backends, mapping, {
              cursor: urlParams.cursor,
              limit: urlParams.limit,
              search: urlParams.search,
              updatedSince: urlParams.updated_since,
              version: urlParams.version
            })))
        .handle("listVersions", ({ path }) =>
          Effect.flatMap(findServer(path.serverName), (backend) =>
            backend === undefined
              ? Effect.fail(serverNotFound)
              : Effect.succeed({ servers: [Official.serverResponse(backend, mapping)], metadata: { count: 1 } })))
        .handle("getVersion", ({ path }) =>
          Effect.flatMap(findServer(path.serverName), (backend) =>
            backend === undefined
              ? Effect.fail(serverNotFound)
              : path.version === "latest" || path.version === backend.version
              ? Effect.succeed(Official.serverResponse(backend, mapping))
              : Effect.fail(versionNotFound)))
    )

    const ApiLive = HttpApiBuilder.api(Definition.api).pipe(
      Layer.provide(Layer.mergeAll(AdminLive, DocumentLive, RegistryLive)),
      Layer.provide(AuthLive)
    )
    const Live = Layer.mergeAll(ApiLive, HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer, HttpServer.layerContext)
    const context = yield* Layer.build(Live)
    const built = yield* Effect.provide(HttpApiBuilder.httpApp, context)
    const inner = Effect.provide(built, context)

    const served: HttpApp.Default<HttpServerError.RouteNotFound> = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const named = Official.encodePlainServerName(request.url) ?? request.url
      const url = encodeQuerySlashes(named) ?? named
      const rewritten = url === request.url ? undefined : url
      const response = yield* (rewritten === undefined
        ? inner
        : Effect.provideService(inner, HttpServerRequest.HttpServerRequest, request.modify({ url: rewritten })))
      if (response.status !== 401 || !request.url.startsWith(adminPrefix)) return response
      // RFC 6750 §3: the challenge, with error="invalid_token" when a token was presented.
      const presented = request.headers.authorization !== undefined
      return HttpServerResponse.setHeader(
        response,
        "www-authenticate",
        presented ? `Bearer realm="emcee-gateway", error="invalid_token"` : `Bearer realm="emcee-gateway"`
      )
    }) as HttpApp.Default<HttpServerError.RouteNotFound>
    return served
  })
