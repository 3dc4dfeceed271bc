/**
 * The file system session store (see `SessionStore.file`).
 */
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { Service } from "../SessionStore.js"
import { isExpired, matches, Session, SessionStoreError, touched } from "./sessionModel.js"

const sessionFile = /^[0-9a-f]{64}\.json$/
const tempFile = /^\.[0-9a-f]{64}\.[0-9a-f]+\.tmp$/
const isDigest = (value: string) => /^[0-9a-f]{64}$/.test(value)
/** A temporary file older than this was left by a crash mid-write. */
const staleTempMillis = 60_000

const decode = Schema.decodeUnknownEither(Schema.parseJson(Session))

const code = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))

export const makeFileStore = (directory: string): Effect.Effect<Service, SessionStoreError> =>
  Effect.gen(function*() {
    const io = <A>(operation: string, run: () => Promise<A>) =>
      Effect.tryPromise({
        try: run,
        catch: (cause) => new SessionStoreError({ operation, description: describe(cause), cause })
      })

    yield* io("open", () => mkdir(directory, { recursive: true, mode: 0o700 }))
    // Mutations are serialised, so a touch racing a delete never revives the session.
    const lock = yield* Effect.makeSemaphore(1)
    const pathOf = (digest: string) => join(directory, `${digest}.json`)

    const removeCorrupt = (path: string, reason: string) =>
      Effect.logWarning("Removing a session file that is not a valid session").pipe(
        Effect.annotateLogs({ path, reason }),
        Effect.zipRight(io("remove", () => rm(path, { force: true }))),
        Effect.catchAll((error) =>
          Effect.logWarning("Could not remove a corrupt session file").pipe(
            Effect.annotateLogs({ path, reason: error.description })
          )
        )
      )

    /** The session in the file, None when missing or corrupt (which is reported and removed). */
    const read = (digest: string): Effect.Effect<Option.Option<Session>, SessionStoreError> => {
      const path = pathOf(digest)
      return Effect.tryPromise({
        try: () => readFile(path, "utf8"),
        catch: (cause) => cause
      }).pipe(
        Effect.map(Option.some<string>),
        Effect.catchAll((cause) =>
          code(cause) === "ENOENT"
            ? Effect.succeed(Option.none<string>())
            : Effect.fail(new SessionStoreError({ operation: "read", description: `${path}: ${describe(cause)}`, cause }))
        ),
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeed(Option.none<Session>()),
          onSome: (text) => {
            const decoded = decode(text)
            if (Either.isLeft(decoded)) {
              return Effect.as(removeCorrupt(path, ParseResult.TreeFormatter.formatErrorSync(decoded.left)), Option.none<Session>())
            }
            if (decoded.right.digest !== digest) {
              return Effect.as(removeCorrupt(path, "its digest does not match its name"), Option.none<Session>())
            }
            return Effect.succeed(Option.some(decoded.right))
          }
        }))
      )
    }

    const write = (session: Session) => {
      const temp = join(directory, `.${session.digest}.${randomBytes(6).toString("hex")}.tmp`)
      return io("write", async () => {
        try {
          await writeFile(temp, JSON.stringify(session), { mode: 0o600 })
          await rename(temp, pathOf(session.digest))
        } catch (error) {
          await rm(temp, { force: true })
          throw error
        }
      })
    }

    const remove = (digest: string) =>
      io("delete", () => rm(pathOf(digest))).pipe(
        Effect.as(true),
        Effect.catchAll((error) => (code(error.cause) === "ENOENT" ? Effect.succeed(false) : Effect.fail(error)))
      )

    /** Every session of the directory; corrupt files are reported and removed. */
    const each = <A>(f: (session: Session) => Effect.Effect<A, SessionStoreError>) =>
      io("list", () => readdir(directory)).pipe(
        Effect.flatMap((names) =>
          Effect.forEach(
            names.filter((name) => sessionFile.test(name)),
            (name) => Effect.flatMap(read(name.slice(0, -5)), Option.match({ onNone: () => Effect.succeed(Option.none<A>()), onSome: (s) => Effect.map(f(s), Option.some) })),
            { concurrency: 8 }
          )
        ),
        Effect.map((results) => results.filter(Option.isSome).map((o) => o.value))
      )

    const removeStaleTemps = io("list", () => readdir(directory)).pipe(
      Effect.flatMap((names) =>
        Effect.forEach(
          names.filter((name) => tempFile.test(name)),
          (name) =>
            io("remove", async () => {
              const path = join(directory, name)
              const info = await stat(path)
              if (Date.now() - info.mtimeMs > staleTempMillis) await rm(path, { force: true })
            }).pipe(Effect.ignore),
          { discard: true }
        )
      )
    )

    const service: Service = {
      create: (session) =>
        isDigest(session.digest)
          ? lock.withPermits(1)(write(session))
          : Effect.fail(new SessionStoreError({ operation: "create", description: "The session's digest is not a SHA-256 hex digest" })),
      get: (digest) => (isDigest(digest) ? read(digest) : Effect.succeed(Option.none())),
      touch: (digest, touch) =>
        isDigest(digest)
          ? lock.withPermits(1)(
            Effect.flatMap(read(digest), (found) => {
              if (Option.isNone(found) || isExpired(found.value, touch.now)) return Effect.succeed(Option.none<Session>())
              const next = touched(found.value, touch)
              return Effect.as(write(next), Option.some(next))
            })
          )
          : Effect.succeed(Option.none()),
      delete: (digest) => (isDigest(digest) ? lock.withPermits(1)(remove(digest)) : Effect.succeed(false)),
      deleteExpired: (now) =>
        lock.withPermits(1)(
          each((session) => (isExpired(session, now) ? remove(session.digest) : Effect.succeed(false))).pipe(
            Effect.map((removed) => removed.filter(Boolean).length),
            Effect.zipLeft(removeStaleTemps)
          )
        ),
      deleteBySubject: (subject, tenant) =>
        lock.withPermits(1)(
          each((session) => (matches(session, subject, tenant) ? remove(session.digest) : Effect.succeed(false))).pipe(
            Effect.map((removed) => removed.filter(Boolean).length)
          )
        )
    }
    return service
  })
