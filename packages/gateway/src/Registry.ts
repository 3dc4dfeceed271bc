/**
 * The gateway's registry of backends: what each backend is (transport and
 * endpoint, instances for load balancing, tags, weight, tenant and owner,
 * its own credentials), the capability snapshot the gateway last took of it,
 * discovery over those snapshots (which backends offer a tool, a resource, a
 * prompt, a tag or a capability), and a stream of changes.
 *
 * Two implementations of the `Registry` service:
 * - `memory`: in the process, for one gateway without a database.
 * - `postgres`: tables `emcee_gateway_backends` and
 *   `emcee_gateway_snapshots` (created when building, see `migrate`);
 *   every write announces itself with `pg_notify` in its own transaction and
 *   every Registry LISTENs, so a registration or removal through one gateway
 *   replica reaches every replica's `changes` within moments. Needs a
 *   `PgClient` from `@effect/sql-pg` (`PgClient.layer` provides it and the
 *   `SqlClient`).
 *
 * `BackendSpec` (the input of `upsert`, an entry of the REST API and of the
 * YAML config) and `Backend` are Effect Schemas. A backend's `credentials`
 * are stored as given: in PostgreSQL, secrets at rest are as protected as
 * the operator's database is.
 *
 * @example
 * import { PgClient } from "@effect/sql-pg"
 * import { Config, Effect, Layer } from "effect"
 * import { Registry } from "@emcee/gateway"
 *
 * const RegistryLive = Registry.postgres.pipe(
 *   Layer.provide(PgClient.layerConfig({ url: Config.redacted("DATABASE_URL") }))
 * )
 * const program = Effect.gen(function*() {
 *   const registry = yield* Registry.Registry
 *   yield* registry.upsert({ name: "weather", transport: "http", endpoint: { url: "http://127.0.0.1:3001/mcp" } })
 *   const offering = yield* registry.find({ tool: "forecast" })
 * })
 *
 * @since 0.4.0
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { PgClient } from "@effect/sql-pg"
import { Context, type Effect, Layer } from "effect"
import { migrate as migrateComponent } from "./internal/postgresSchema.js"
import { makeMemoryRegistry } from "./internal/registryMemory.js"
import { makePostgresRegistry, type PostgresRegistryOptions } from "./internal/registryPostgres.js"
import type { Service } from "./internal/registryModel.js"

export {
  Backend,
  BackendName,
  BackendProtocolVersion,
  BackendSpec,
  BackendTag,
  Credentials,
  Endpoint,
  HttpEndpoint,
  Instance,
  matches,
  Prefix,
  RegistryError,
  removed,
  Snapshot,
  StdioEndpoint,
  Transport,
  upserted,
  Weight
} from "./internal/registryModel.js"
export type { BackendInput, Discovered, FindQuery, ListQuery, RegistryChange } from "./internal/registryModel.js"


/** The registry's operations: see `Service` in the members below. */
export type { Service }
export type { PostgresRegistryOptions }

/** The registry service. */
export class Registry extends Context.Tag("Registry")<Registry, Service>() {}

/** A registry in memory. */
export const makeMemory: Effect.Effect<Service> = makeMemoryRegistry

/** The registry in memory, as a Layer: one process, nothing persisted. */
export const memory: Layer.Layer<Registry> = Layer.effect(Registry, makeMemoryRegistry)

/**
 * A registry in PostgreSQL, its tables created when missing and its
 * listener running for the scope; `options` name the NOTIFY channel and how
 * often the listening connection is checked.
 */
export const makePostgres = (options?: PostgresRegistryOptions) => makePostgresRegistry(options)

/** The registry in PostgreSQL with `options`, as a Layer. */
export const layerPostgres = (options?: PostgresRegistryOptions): Layer.Layer<Registry, SqlError, PgClient.PgClient> =>
  Layer.scoped(Registry, makePostgresRegistry(options))

/** The registry in PostgreSQL with the default options, as a Layer. */
export const postgres: Layer.Layer<Registry, SqlError, PgClient.PgClient> = layerPostgres()

/** Creates or upgrades the registry's tables, for a deployment step that migrates ahead of the gateways. */
export const migrate: Effect.Effect<void, SqlError, SqlClient.SqlClient> = migrateComponent("registry")
