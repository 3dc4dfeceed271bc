/**
 * Who may see and reach what a gateway serves, and how often: the
 * middleware `Gateway.Options.middleware` puts on every primitive of every
 * backend, given the caller's `Principal` (from `@emcee/auth`'s
 * `Authentication` middleware, or the transport that authenticated it).
 *
 * - **Tenant isolation.** A backend with a `tenant` is that tenant's alone:
 *   a caller whose principal has the same tenant sees and reaches it, no
 *   other. A backend without one is shared with everyone. A principal
 *   without a tenant sees the shared backends only. A caller with no
 *   principal at all (the gateway authenticates nobody) sees everything,
 *   unless `unauthenticated: "shared"`.
 * - **RBAC** (`Rbac` of `@emcee/auth`, when `rbac` is given): each primitive
 *   needs a permission, `gateway:<backend>:<kind>:<name>` with `<kind>` one
 *   of `tools`, `prompts` and `resources` (resource templates too) and
 *   `<name>` the backend's own name for it (not the advertised, prefixed
 *   one), its URI or its URI template, every `%` written `%25` and every
 *   `:` written `%3A` so the name stays one segment (`permission`). Grants
 *   use Rbac's wildcards: `gateway:*` everything, `gateway:files:*` all of
 *   backend `files`, `gateway:files:tools:*` its tools,
 *   `gateway:*:prompts:*` every backend's prompts. A caller without a
 *   principal holds no grant.
 * - **Hidden means unknown.** A primitive the caller may not use is left
 *   out of `tools/list`, `prompts/list`, `resources/list` and
 *   `resources/templates/list` (`Middleware.visible`), and a direct call,
 *   get, read or completion is answered exactly as for a primitive that
 *   does not exist, so its existence is not leaked: -32602 `Unknown tool`
 *   (spec 2025-11-25 server/tools "Error Handling"), -32602 `Unknown
 *   prompt` (server/prompts "Error Handling"), -32002 resource not found
 *   (server/resources "Error Handling"; -32602 under 2026-07-28).
 * - **Rate limits with fairness** (`RateLimit` of `@emcee/auth`, token
 *   buckets): `perPrincipal` and `perTenant` budgets of calls, gets and
 *   reads, over every backend of the gateway. Each principal and each
 *   tenant has its own bucket, so a noisy tenant that spends its budget is
 *   refused at once (JSON-RPC -32000 `RateLimited` with `retryAfterSeconds`;
 *   HTTP 429 with `Retry-After` through `RateLimit.httpStatus`) while other
 *   tenants go on untouched: nothing is queued, nothing is shared. The
 *   principal's budget is checked first, so one noisy caller cannot spend
 *   its whole tenant's. Lists are not counted. Without authentication
 *   every caller shares one `anonymous` budget.
 *
 * Only what can hide or limit is added: a shared backend without RBAC or
 * limits gets no middleware (and lists stay cached for every caller).
 *
 * A resource hidden from a caller cannot be subscribed to either: its
 * `resources/subscribe` is -32002 and a `subscriptions/listen` stream does
 * not acknowledge its URI (the server's check, `Middleware.visible`).
 *
 * Not covered: two backends serving one resource URI or URI template are
 * served by one of them only (`Gateway`), whatever the tenants: give such
 * backends distinct URIs.
 *
 * @example
 * import { Authentication, Rbac } from "@emcee/auth"
 * import { McpServer } from "@emcee/core"
 * import { Gateway, Policy } from "@emcee/gateway"
 * import { Layer } from "effect"
 *
 * const policy = Policy.make({
 *   rbac: Rbac.unsafeMake({ roles: { analyst: { permissions: ["gateway:search:*", "gateway:files:tools:read_file"] } } }),
 *   rateLimits: { perTenant: { rate: 100, burst: 200 }, perPrincipal: { rate: 10 } }
 * })
 * const App = Gateway.layer({
 *   backends: [
 *     { name: "files", endpoint: { _tag: "Http", url: "https://files.acme.internal/mcp" }, tenant: "acme" },
 *     { name: "search", endpoint: { _tag: "Http", url: "https://search.internal/mcp" } }
 *   ],
 *   middleware: policy.middleware
 * }).pipe(
 *   // Every request authenticated (serve it with `BearerGuard` over HTTP): the policy reads its `Principal`.
 *   Layer.provideMerge(McpServer.register(Authentication.middleware)),
 *   Layer.provideMerge(McpServer.layer({ name: "gateway", version: "1.0.0", capabilities: { tools: true, prompts: true, resources: true } }))
 * )
 *
 * @since 0.4.0
 */
import type { Principal, Rbac } from "@emcee/auth"
import type { Middleware } from "@emcee/core"
import type { Duration } from "effect"
import type * as Backend from "./Backend.js"
import type * as Gateway from "./Gateway.js"
import * as Internal from "./internal/policyMiddleware.js"

/** A budget: `rate` calls per `per` (default 1 second), at most `burst` at once (default `rate`). */
export interface Limit {
  readonly rate: number
  readonly per?: Duration.DurationInput
  readonly burst?: number
}

/** Options of `make`. */
export interface Options {
  /** The role policy primitives are checked against (see the module comment for the permissions). Default: no RBAC. */
  readonly rbac?: Rbac.Policy | undefined
  /** Budgets per principal (`Principal.key`) and per tenant, over the whole gateway. Default: none. */
  readonly rateLimits?: {
    readonly perPrincipal?: Limit | undefined
    readonly perTenant?: Limit | undefined
  } | undefined
  /**
   * What a caller without a principal sees (a gateway that authenticates
   * nobody): `everything` (the default) or the `shared` backends only.
   */
  readonly unauthenticated?: "everything" | "shared"
}

/** A primitive of a backend: its kind and the backend's own name, URI or URI template. */
export type Primitive = Gateway.ProxiedPrimitive

/** A policy: its decisions, and the middleware that enforces them. */
export interface Policy {
  /** The middleware of one primitive of a backend, for `Gateway.Options.middleware`. */
  readonly middleware: (backend: Backend.Backend, primitive: Primitive) => ReadonlyArray<Middleware.Any>
  /** Whether the caller (undefined: no principal) sees and reaches the backend at all (tenant isolation). */
  readonly reaches: (identity: Principal.Identity | undefined, backend: Backend.Backend) => boolean
  /** Whether the caller may see and use the primitive: it reaches the backend and, with RBAC, holds a grant covering the primitive's permission. */
  readonly allows: (identity: Principal.Identity | undefined, backend: Backend.Backend, primitive: Primitive) => boolean
}

/**
 * The permission a primitive needs under RBAC:
 * `gateway:<backend>:<tools|prompts|resources>:<name>`, the name with `%`
 * as `%25` and `:` as `%3A` (`gateway:docs:resources:file%3A///readme.md`).
 */
export const permission = (backend: string, primitive: Primitive): string => Internal.permission(backend, primitive)

/**
 * A policy (see the module comment). Its rate limiters are made here, once:
 * every primitive it is given to shares them.
 *
 * @throws Error when a limit is not a positive rate, burst or period (naming it).
 */
export const make = (options: Options = {}): Policy => Internal.make(options)

