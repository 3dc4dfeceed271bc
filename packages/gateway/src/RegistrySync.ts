/**
 * A gateway that follows its registry (`Registry`): every enabled backend
 * registered is served, a backend upserted or removed (through this
 * process's admin API or another replica's: the PostgreSQL registry
 * announces changes with `LISTEN/NOTIFY`) is added to or withdrawn from the
 * gateway as it happens, and every listing of a backend's capabilities is
 * stored as its snapshot, which discovery (`Registry.find`, the admin API)
 * reads.
 *
 * @since 0.4.0
 */
import { Effect, Layer, Option, Queue, Redacted, Stream } from "effect"
import type * as Backend from "./Backend.js"
import { Gateway } from "./Gateway.js"
import * as Registry from "./Registry.js"

/**
 * How the gateway reaches a registered backend: its endpoint (the first
 * instance's when it has instances; the gateway connects to one), prefix,
 * revision, static bearer credentials and tenant.
 */
export const toBackend = (record: Registry.Backend): Backend.Backend => {
  const endpointOf = (endpoint: Registry.Backend["endpoint"]): Backend.Endpoint =>
    "url" in endpoint
      ? { _tag: "Http", url: endpoint.url }
      : {
        _tag: "Stdio",
        command: endpoint.command,
        args: endpoint.args,
        ...(Object.keys(endpoint.env).length === 0 ? {} : { env: endpoint.env }),
        ...(endpoint.cwd === undefined ? {} : { cwd: endpoint.cwd })
      }
  const credentials = record.credentials
  const instances = record.instances ?? []
  return {
    name: record.name,
    endpoint: endpointOf(instances[0]?.endpoint ?? record.endpoint),
    // Several instances are balanced (round-robin, by weight when weights differ); one is the endpoint.
    ...(instances.length < 2 ? {} : {
      instances: instances.map((instance) => ({ id: instance.id, endpoint: endpointOf(instance.endpoint), weight: instance.weight })),
      balancing: { strategy: instances.some((instance) => instance.weight !== instances[0]!.weight) ? "weighted" : "round-robin" }
    }),
    ...(record.prefix === undefined ? {} : { prefix: record.prefix }),
    ...(record.protocolVersion === undefined ? {} : { protocolVersion: record.protocolVersion }),
    ...(credentials?.kind === "bearer" ? { bearer: Redacted.make(credentials.token) } : {}),
    ...(credentials?.kind === "client_credentials"
      ? {
        credentials: {
          _tag: "ClientCredentials",
          tokenUrl: credentials.tokenUrl,
          clientId: credentials.clientId,
          clientSecret: Redacted.make(credentials.clientSecret),
          ...(credentials.scope === undefined ? {} : { scope: credentials.scope })
        }
      }
      : {}),
    // A registered backend of a tenant is that tenant's alone under a `Policy`; `null` is shared.
    ...(record.tenant === null ? {} : { tenant: record.tenant })
  }
}

/** Serves what the registry holds now and follows it for the life of the Layer (see the module comment). */
export const layer: Layer.Layer<never, never, Gateway | Registry.Registry> = Layer.scopedDiscard(
  Effect.gen(function*() {
    const gateway = yield* Gateway
    const registry = yield* Registry.Registry
    const warn = (what: string) => (error: { readonly message: string }) => Effect.logWarning(`gateway registry: ${what}: ${error.message}`)
    const follow = (name: string) =>
      registry.get(name).pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.asVoid(gateway.remove(name)),
          onSome: (record) => record.enabled ? gateway.add(toBackend(record)) : Effect.asVoid(gateway.remove(name))
        })),
        Effect.catchAll(warn(`backend "${name}"`))
      )
    // Subscribe before the first read, so no change between the two is missed.
    const changes = yield* registry.subscribe
    const listings = yield* gateway.listings
    const current = yield* registry.list({ enabled: true }).pipe(Effect.catchAll((error) => Effect.as(warn("listing backends")(error), [])))
    yield* Effect.forEach(current, (record) => gateway.add(toBackend(record)).pipe(Effect.catchAll(warn(`backend "${record.name}"`))), { discard: true })
    yield* changes.pipe(Stream.runForEach((change) => follow(change.name)), Effect.forkScoped)
    yield* Queue.take(listings).pipe(
      Effect.flatMap(({ backend, ...snapshot }) =>
        // A backend given by flags or the configuration file is not in the registry: nothing to store.
        registry.setSnapshot(backend, snapshot).pipe(Effect.catchAll((error) => error.reason === "not-found" ? Effect.void : warn(`snapshot of "${backend}"`)(error)))
      ),
      Effect.forever,
      Effect.forkScoped
    )
  })
)
