import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, HashMap, Layer, List, Logger, Option, Ref, TestClock } from "effect"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Authentication from "../src/Authentication.js"
import { fromHeaders } from "../src/Authenticator.js"
import * as Principal from "../src/Principal.js"
import * as SessionStore from "../src/SessionStore.js"
import * as Sessions from "../src/Sessions.js"
import { sessionOf, sessionStoreContract } from "./support/sessionStoreContract.js"

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "emcee-sessions-"))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})
let dirs = 0
const freshDir = () => join(root, `store-${++dirs}`)

const alice = Principal.make("alice", ["tools:call", "prompts:*"], {
  tenant: "acme",
  roles: ["editor"],
  claims: { email: "alice@example.com" },
  kind: "jwt",
  issuer: "https://issuer.example"
})

/** Authenticates a request with `headers` through the chain `[sessions]`. */
const authenticate = (headers: Record<string, string>) =>
  Effect.flatMap(Sessions.authenticator, (sessions) => Authentication.make([sessions]).authenticate(fromHeaders(headers)))

const reasonOf = (headers: Record<string, string>) =>
  Effect.map(Effect.either(authenticate(headers)), (either) => (either._tag === "Right" ? "ok" : either.left.reason))

const stores = [
  { name: "memory", layer: () => SessionStore.memory },
  { name: "file", layer: () => SessionStore.file(freshDir()) }
] as const

describe.each(stores)("Sessions on the $name store", ({ layer: storeLayer }) => {
  const provide = (options: Sessions.Options = {}) => {
    const store = storeLayer()
    return Effect.provide(Layer.provideMerge(Sessions.layer(options), store))
  }

  it.effect("login opens a session the header and the cookie authenticate", () =>
    Effect.gen(function*() {
      const opened = yield* Sessions.login(alice)
      expect(opened.id).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const byHeader = yield* authenticate({ "X-Session-Id": opened.id })
      expect(byHeader.subject).toBe("alice")
      expect(byHeader.tenant).toBe("acme")
      expect(byHeader.kind).toBe("session")
      expect([...byHeader.roles]).toEqual(["editor"])
      expect(Principal.hasScope(byHeader, "prompts:get")).toBe(true)
      expect(byHeader.claims).toEqual({ email: "alice@example.com", loginKind: "jwt" })
      expect(byHeader.issuer).toBe("https://issuer.example")
      expect(byHeader.expiresAt).toBe(opened.expiresAt)
      const byCookie = yield* authenticate({ cookie: `theme=dark; emcee_session=${opened.id}; other=1` })
      expect(byCookie.subject).toBe("alice")
      // RFC 6265 §4.1.1: a cookie value may be quoted
      expect((yield* authenticate({ cookie: `emcee_session="${opened.id}"` })).subject).toBe("alice")
      expect(yield* reasonOf({})).toBe("missing")
      expect(yield* reasonOf({ cookie: "theme=dark" })).toBe("missing")
    }).pipe(provide()))

  it.effect("the Set-Cookie value is HttpOnly, Secure, SameSite=Lax, Path=/ and lasts absoluteTtl (RFC 6265 §4.1.2)", () =>
    Effect.gen(function*() {
      const opened = yield* Sessions.login(alice)
      const attributes = opened.setCookie.split("; ")
      expect(attributes[0]).toBe(`emcee_session=${opened.id}`)
      expect(attributes).toEqual(expect.arrayContaining(["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=7200"]))
      const sessions = yield* Sessions.Sessions
      expect(sessions.clearCookie).toMatch(/^emcee_session=; /)
      expect(sessions.clearCookie).toContain("Max-Age=0")
    }).pipe(provide({ absoluteTtl: "2 hours" })))

  it.effect("a configured header and cookie name are read; the header wins over the cookie", () =>
    Effect.gen(function*() {
      const one = yield* Sessions.login(alice)
      const two = yield* Sessions.login(Principal.make("bob"))
      expect((yield* authenticate({ "x-app-session": one.id })).subject).toBe("alice")
      expect((yield* authenticate({ cookie: `sid=${two.id}` })).subject).toBe("bob")
      expect((yield* authenticate({ "x-app-session": one.id, cookie: `sid=${two.id}` })).subject).toBe("alice")
      expect(yield* reasonOf({ "x-session-id": one.id, cookie: `emcee_session=${one.id}` })).toBe("missing")
      expect(two.setCookie).toMatch(/^sid=/)
      expect(two.setCookie).toContain("SameSite=Strict")
    }).pipe(provide({ header: "X-App-Session", cookie: { name: "sid", sameSite: "strict" } })))

  // (the cleanup fiber is held off: a session it removed is no longer "expired" but unknown)
  it.effect("each use slides the expiry by idleTtl (OWASP Session Management 'Idle Timeout')", () =>
    Effect.gen(function*() {
      const { id } = yield* Sessions.login(alice)
      for (let i = 0; i < 5; i++) {
        yield* TestClock.adjust("50 seconds")
        expect((yield* authenticate({ "x-session-id": id })).expiresAt).toBe((i + 1) * 50_000 + 60_000)
      }
      yield* TestClock.adjust("60 seconds")
      expect(yield* reasonOf({ "x-session-id": id })).toBe("expired")
    }).pipe(provide({ idleTtl: "1 minute", absoluteTtl: "1 hour", cleanupInterval: "1 day" })))

  it.effect("a session used all the time still ends at absoluteTtl (OWASP 'Absolute Timeout')", () =>
    Effect.gen(function*() {
      const { id, absoluteExpiresAt } = yield* Sessions.login(alice)
      expect(absoluteExpiresAt).toBe(5 * 60_000)
      for (let i = 0; i < 5; i++) {
        yield* TestClock.adjust("50 seconds")
        yield* authenticate({ "x-session-id": id })
      }
      yield* TestClock.adjust("40 seconds") // 290 s
      const last = yield* authenticate({ "x-session-id": id })
      expect(last.expiresAt).toBe(absoluteExpiresAt)
      yield* TestClock.adjust("10 seconds") // 300 s
      expect(yield* reasonOf({ "x-session-id": id })).toBe("expired")
    }).pipe(provide({ idleTtl: "1 minute", absoluteTtl: "5 minutes", cleanupInterval: "1 day" })))

  it.effect("logout ends the session; its id replayed afterwards is refused", () =>
    Effect.gen(function*() {
      const { id } = yield* Sessions.login(alice)
      const other = yield* Sessions.login(alice)
      expect((yield* authenticate({ "x-session-id": id })).subject).toBe("alice")
      expect(yield* Sessions.logout(id)).toBe(true)
      expect(yield* reasonOf({ "x-session-id": id })).toBe("invalid")
      expect(yield* reasonOf({ cookie: `emcee_session=${id}` })).toBe("invalid")
      expect(yield* Sessions.logout(id)).toBe(false)
      expect((yield* authenticate({ "x-session-id": other.id })).subject).toBe("alice")
    }).pipe(provide()))

  it.effect("logoutAll ends every session of a subject and no other", () =>
    Effect.gen(function*() {
      const a1 = yield* Sessions.login(alice)
      const a2 = yield* Sessions.login(alice)
      const aOther = yield* Sessions.login(Principal.make("alice", [], "other"))
      const bob = yield* Sessions.login(Principal.make("bob", [], "acme"))
      expect(yield* Sessions.logoutAll("alice", "acme")).toBe(2)
      expect(yield* reasonOf({ "x-session-id": a1.id })).toBe("invalid")
      expect(yield* reasonOf({ "x-session-id": a2.id })).toBe("invalid")
      expect(yield* reasonOf({ "x-session-id": aOther.id })).toBe("ok")
      expect(yield* Sessions.logoutAll("alice")).toBe(1)
      expect(yield* reasonOf({ "x-session-id": aOther.id })).toBe("invalid")
      expect(yield* reasonOf({ "x-session-id": bob.id })).toBe("ok")
    }).pipe(provide()))

  it.effect("an unknown, malformed or oversized id is refused as invalid", () =>
    Effect.gen(function*() {
      expect(yield* reasonOf({ "x-session-id": SessionStore.newId() })).toBe("invalid")
      expect(yield* reasonOf({ "x-session-id": "../../etc/passwd" })).toBe("invalid")
      expect(yield* reasonOf({ "x-session-id": "x".repeat(1_000_000) })).toBe("invalid")
      const error = yield* Effect.flip(authenticate({ "x-session-id": "not-a-session-id-but-a-secret" }))
      expect(error.description).not.toContain("secret")
    }).pipe(provide()))

  it.live("the cleanup fiber removes expired sessions from the store", () =>
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const short = yield* Sessions.login(alice)
      const expired = sessionOf("old", { now: Date.now() - 10_000, idle: 1_000 })
      yield* store.create(expired)
      const waitUntilGone = (digest: string) =>
        Effect.gen(function*() {
          for (let i = 0; i < 100; i++) {
            if (Option.isNone(yield* store.get(digest))) return true
            yield* Effect.sleep("25 millis")
          }
          return false
        })
      expect(yield* waitUntilGone(expired.digest)).toBe(true)
      expect(Option.isSome(yield* store.get(SessionStore.digest(short.id)))).toBe(true)
      expect(yield* waitUntilGone(SessionStore.digest(short.id))).toBe(true)
    }).pipe(provide({ idleTtl: "300 millis", absoluteTtl: "1 hour", cleanupInterval: "50 millis" })))
})

describe("Sessions on the file store", () => {
  const captureLogs = Effect.gen(function*() {
    const lines = yield* Ref.make<ReadonlyArray<{ readonly message: string; readonly annotations: Record<string, unknown> }>>([])
    const logger = Logger.make(({ annotations, message }) => {
      const entry = {
        message: List.toArray(List.fromIterable(Array.isArray(message) ? message : [message])).map(String).join(" "),
        annotations: Object.fromEntries(HashMap.toEntries(annotations))
      }
      Effect.runSync(Ref.update(lines, (all) => [...all, entry]))
    })
    return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
  })

  it.effect("stores one file per session, named by a digest and never containing the id", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const ids = yield* Effect.forEach([1, 2, 3], () => Sessions.login(alice)).pipe(
        Effect.provide(Layer.provideMerge(Sessions.layer(), SessionStore.file(dir)))
      )
      const names = readdirSync(dir)
      expect(names.sort()).toEqual(ids.map(({ id }) => `${SessionStore.digest(id)}.json`).sort())
      for (const name of names) {
        const text = readFileSync(join(dir, name), "utf8")
        for (const { id } of ids) {
          expect(name).not.toContain(id)
          expect(text).not.toContain(id)
        }
      }
    }))

  it.effect("a corrupt session file is reported with its path and removed, and its session refused", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const { lines, layer: logs } = yield* captureLogs
      yield* Effect.gen(function*() {
        const broken = yield* Sessions.login(alice)
        const wrong = yield* Sessions.login(alice)
        const fine = yield* Sessions.login(alice)
        const brokenPath = join(dir, `${SessionStore.digest(broken.id)}.json`)
        writeFileSync(brokenPath, "{ not json")
        // a valid session under another session's name is not that session
        const wrongPath = join(dir, `${SessionStore.digest(wrong.id)}.json`)
        writeFileSync(wrongPath, readFileSync(join(dir, `${SessionStore.digest(fine.id)}.json`)))
        const emptyPath = join(dir, `${SessionStore.digest(SessionStore.newId())}.json`)
        writeFileSync(emptyPath, "")
        writeFileSync(join(dir, "README.txt"), "not a session")

        expect(yield* reasonOf({ "x-session-id": broken.id })).toBe("invalid")
        expect(yield* reasonOf({ "x-session-id": wrong.id })).toBe("invalid")
        expect(yield* reasonOf({ "x-session-id": fine.id })).toBe("ok")
        const sessions = yield* Sessions.Sessions
        expect(yield* sessions.cleanup).toBe(0)
        expect(yield* Sessions.logoutAll("alice")).toBe(1)

        const logged = yield* Ref.get(lines)
        for (const path of [brokenPath, wrongPath, emptyPath]) {
          expect(logged.some((line) => line.annotations["path"] === path)).toBe(true)
        }
        expect(readdirSync(dir)).toEqual(["README.txt"])
        for (const line of logged) {
          for (const id of [broken.id, wrong.id, fine.id]) expect(JSON.stringify(line)).not.toContain(id)
        }
      }).pipe(Effect.provide(Layer.provideMerge(Sessions.layer(), SessionStore.file(dir))), Effect.provide(logs))
    }))

  it.effect("an unreadable store refuses as unavailable, never crashes, and logs no id", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const { lines, layer: logs } = yield* captureLogs
      yield* Effect.gen(function*() {
        const { id } = yield* Sessions.login(alice)
        rmSync(dir, { recursive: true })
        writeFileSync(dir, "a file where the directory was")
        expect(yield* reasonOf({ "x-session-id": id })).toBe("unavailable")
        const logged = yield* Ref.get(lines)
        expect(logged.length).toBeGreaterThan(0)
        expect(JSON.stringify(logged)).not.toContain(id)
        rmSync(dir)
      }).pipe(Effect.provide(Layer.provideMerge(Sessions.layer(), SessionStore.file(dir))), Effect.provide(logs))
    }))

  it.effect("a stray temporary file of a crashed write is no session", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const store = yield* SessionStore.makeFile(dir)
      const session = sessionOf("alice")
      writeFileSync(join(dir, `.${session.digest}.abcdef.tmp`), JSON.stringify(session))
      expect(Option.isNone(yield* store.get(session.digest))).toBe(true)
      expect(yield* store.deleteBySubject("alice")).toBe(0)
    }))
})

describe("SessionStore contract: memory", () => {
  sessionStoreContract(SessionStore.makeMemory)
})

describe("SessionStore contract: file", () => {
  sessionStoreContract(Effect.suspend(() => SessionStore.makeFile(freshDir())))
})
