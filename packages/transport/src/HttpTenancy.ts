/**
 * Several MCP servers behind one Streamable HTTP endpoint, one per tenant
 * (`HttpTransport.make({ tenancy })`): the caller's credential selects the
 * tenant, and the tenant's own server (its tools, resources and prompts,
 * built from a Layer) answers. `@emcee/auth` `Tenants` builds one from a
 * runtime-mutable registry; this module is only its shape.
 *
 * How a request is served:
 *
 * 1. The endpoint's own checks (Origin, Host, CORS preflight) run first.
 * 2. `guard` decides (401 for a refused credential); its `Allow` names the
 *    `tenant` (a verdict without one is answered 403).
 * 3. The tenant's protocol engine serves it: each tenant has its own
 *    sessions, SSE streams and server, so a session id of one tenant is
 *    unknown to every other (404), lists are the tenant's own, and its
 *    notifications (`list_changed`, logs, progress) reach only its sessions.
 *    Within a tenant, sessions stay bound to the owner that created them
 *    (403 otherwise), as with a single-server guard.
 *
 * Lifecycle: a tenant's server is built from `server(tenant)` when its first
 * request arrives (requests wait for it; a build that fails is answered 500
 * and tried again on the next request), and released once it has had no
 * session, no request in flight and no open stream for `idleTimeToLive`.
 * `changes` releases a tenant at once (its sessions end: in-flight requests
 * get `shutdownTimeout` to finish, later requests on its sessions get 404, so
 * clients initialize again, on the tenant's new definition) or ends the
 * sessions of one owner (a revoked credential).
 *
 * @example
 * import { McpServer } from "@emcee/core"
 * import { Effect, Layer, Stream } from "effect"
 * const tenancy: HttpTenancy.HttpTenancy = {
 *   guard: myGuard, // its Allow carries `tenant`
 *   server: (tenant) => McpServer.register(...toolsOf(tenant)).pipe(Layer.provideMerge(McpServer.layer({ name: tenant, version: "1.0.0" }))),
 *   idleTimeToLive: "5 minutes"
 * }
 * const Main = HttpTransport.layer({ port: 3000, tenancy })
 *
 * @since 0.2.0
 */
import type { McpServer } from "@emcee/core"
import type { Duration, Layer, Stream } from "effect"
import type * as HttpGuard from "./HttpGuard.js"

/** A change of the tenants an endpoint serves, applied by the endpoint as it comes. */
export type Change =
  /**
   * Release the tenant's server now, ending its sessions (in-flight requests
   * first get `shutdownTimeout` to finish): the tenant was removed, or its
   * definition changed in a way its open sessions cannot follow. Its next
   * request builds it again from `server(tenant)`.
   */
  | { readonly _tag: "Release"; readonly tenant: string }
  /** End the sessions a guard owner (`HttpGuard.Allow.owner`) opened on the tenant: its credential was revoked. */
  | { readonly _tag: "EndSessions"; readonly tenant: string; readonly owner: string }

/** One MCP server per tenant behind one endpoint. */
export interface HttpTenancy {
  /**
   * Authenticates every request (in place of the endpoint's `guard`); its
   * `Allow` names the `tenant` whose server answers. Its documents (RFC 9728
   * metadata) are served beside the endpoint.
   */
  readonly guard: HttpGuard.HttpGuard
  /**
   * The tenant's server: a Layer providing its `McpServer` with the tenant's
   * tools, resources and prompts registered. Built when the tenant's first
   * request arrives, in a scope of its own, and released (its finalizers
   * run) when the tenant goes idle, is released by `changes`, or the
   * endpoint shuts down.
   */
  readonly server: (tenant: string) => Layer.Layer<McpServer.McpServer, unknown>
  /**
   * How long a tenant's server is kept with no session, no request in
   * flight and no open stream before it is released. Default 5 minutes.
   */
  readonly idleTimeToLive?: Duration.DurationInput
  /** Changes to apply while the endpoint runs (tenants removed, credentials revoked). */
  readonly changes?: Stream.Stream<Change>
}
