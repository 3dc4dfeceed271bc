/**
 * The middleware of `Policy`: the access check (tenant, RBAC) that hides a
 * primitive and refuses it as unknown, and the shared rate limiters.
 *
 * @internal
 */
import { fromContext, type Identity } from "@emcee/auth/Principal"
import * as RateLimit from "@emcee/auth/RateLimit"
import { type JsonRpc, McpError, Middleware } from "@emcee/core"
import { type Context, Effect } from "effect"
import type * as Backend from "../Backend.js"
import type { Limit, Options, Policy, Primitive } from "../Policy.js"

const kinds: Readonly<Record<Primitive["kind"], string>> = {
  tool: "tools",
  prompt: "prompts",
  resource: "resources",
  resourceTemplate: "resources"
}

/** One Rbac segment of a name: `%` and `:` percent-encoded. */
const segment = (name: string): string => name.replace(/%/g, "%25").replace(/:/g, "%3A")

export const permission = (backend: string, primitive: Primitive): string =>
  `gateway:${segment(backend)}:${kinds[primitive.kind]}:${segment(primitive.name)}`

const callerIn = (context: Context.Context<never>): Identity | undefined => {
  const found = fromContext(context)
  return found._tag === "Some" ? found.value : undefined
}

/**
 * What the server answers for a primitive it does not have, for the
 * request's primitive: spec 2025-11-25 server/tools "Error Handling"
 * (unknown tool: -32602), server/prompts "Error Handling" (-32602),
 * server/resources "Error Handling" (-32002).
 */
export const unknown = (primitive: Middleware.Primitive | undefined, fallback: Primitive): McpError.ProtocolError => {
  const kind = primitive?.kind ?? (fallback.kind === "resourceTemplate" ? "resource" : fallback.kind)
  const name = primitive?.name ?? fallback.name
  return kind === "tool"
    ? new McpError.InvalidParams({ message: `Unknown tool: ${McpError.clip(name)}` })
    : kind === "prompt"
    ? new McpError.InvalidParams({ message: `Unknown prompt: ${McpError.clip(name)}` })
    : new McpError.ResourceNotFound({ uri: name })
}

const limiter = (name: string, key: RateLimit.Key, limit: Limit): Middleware.Any =>
  RateLimit.tokenBucket({
    name,
    key,
    rate: limit.rate,
    ...(limit.per === undefined ? {} : { per: limit.per }),
    ...(limit.burst === undefined ? {} : { burst: limit.burst })
  }) as Middleware.Any

export const make = (options: Options): Policy => {
  const rbac = options.rbac
  const sharedOnly = options.unauthenticated === "shared"
  // One limiter each for the whole gateway: every primitive counts against the same buckets.
  const limiters: ReadonlyArray<Middleware.Any> = [
    ...(options.rateLimits?.perPrincipal === undefined ? [] : [limiter("gateway-principal", RateLimit.byPrincipal, options.rateLimits.perPrincipal)]),
    ...(options.rateLimits?.perTenant === undefined ? [] : [limiter("gateway-tenant", RateLimit.byTenant, options.rateLimits.perTenant)])
  ]

  const reaches = (identity: Identity | undefined, backend: Backend.Backend): boolean =>
    backend.tenant === undefined || (identity === undefined ? !sharedOnly : identity.tenant === backend.tenant)

  const allows = (identity: Identity | undefined, backend: Backend.Backend, primitive: Primitive): boolean =>
    reaches(identity, backend) && (rbac === undefined || (identity !== undefined && rbac.can(identity, permission(backend.name, primitive))))

  const access = (backend: Backend.Backend, primitive: Primitive): Middleware.Any => {
    const needed = rbac === undefined ? undefined : permission(backend.name, primitive)
    const allowed = (identity: Identity | undefined) =>
      reaches(identity, backend) && (needed === undefined || (identity !== undefined && rbac!.can(identity, needed)))
    return Middleware.make({
      name: "gateway-policy",
      visible: (context) => allowed(callerIn(context)),
      apply: (request, next) =>
        Effect.withFiberRuntime<JsonRpc.JsonObject, McpError.ProtocolError>((fiber) =>
          allowed(callerIn(fiber.currentContext)) ? next : Effect.fail(unknown(request.primitive, primitive))
        )
    }) as Middleware.Any
  }

  const middleware = (backend: Backend.Backend, primitive: Primitive): ReadonlyArray<Middleware.Any> => {
    // A shared backend hides nothing from anyone without RBAC: no check, and lists stay cached.
    const hides = rbac !== undefined || backend.tenant !== undefined
    return hides ? [access(backend, primitive), ...limiters] : limiters
  }

  return { middleware, reaches, allows }
}
