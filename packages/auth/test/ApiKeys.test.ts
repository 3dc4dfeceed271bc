import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option } from "effect"
import * as ApiKeys from "../src/ApiKeys.js"
import { type AuthenticationError, fromHeaders } from "../src/Authenticator.js"
import type { Identity } from "../src/Principal.js"

const run = (effect: Effect.Effect<Identity, AuthenticationError>) => Effect.runPromise(Effect.either(effect))
const ok = async (effect: Effect.Effect<Identity, AuthenticationError>) => {
  const result = await run(effect)
  if (Either.isLeft(result)) throw new Error(`refused: ${result.left.reason}: ${result.left.description}`)
  return result.right
}
const refused = async (effect: Effect.Effect<Identity, AuthenticationError>) => {
  const result = await run(effect)
  if (Either.isRight(result)) throw new Error(`accepted ${result.right.subject}`)
  return { reason: result.left.reason, description: result.left.description }
}

const dir = mkdtempSync(join(tmpdir(), "emcee-apikeys-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe("ApiKeys: keys and digests", () => {
  it("generate makes prefixed 256-bit keys; hash is sha256:<hex>", () => {
    const key = ApiKeys.generate()
    expect(key).toMatch(/^emk_[A-Za-z0-9_-]{43}$/)
    expect(ApiKeys.generate()).not.toBe(key)
    expect(ApiKeys.hash("test")).toBe("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    expect(ApiKeys.isDigest(ApiKeys.hash(key))).toBe(true)
  })
})

describe("ApiKeys: memory store", () => {
  const alice1 = ApiKeys.generate()
  const alice2 = ApiKeys.generate()
  const old = ApiKeys.generate()
  const store = ApiKeys.memory([
    { id: "alice-1", key: alice1, subject: "alice", tenant: "acme", roles: ["admin"], scopes: ["tools:call"], label: "laptop" },
    { id: "alice-2", digest: ApiKeys.hash(alice2), subject: "alice", scopes: ["tools:list"] },
    { id: "old", key: old, subject: "carol", expiresAt: new Date(Date.now() - 1000) }
  ])
  const auth = ApiKeys.make({ store })

  it("reads X-API-Key and verifies into an identity (kind api-key)", async () => {
    expect(auth.credential(fromHeaders({ "X-API-Key": alice1 }))).toBe(alice1)
    expect(auth.credential(fromHeaders({ authorization: `Bearer ${alice1}` }))).toBeUndefined()
    const identity = await ok(auth.verify(alice1))
    expect(identity).toMatchObject({ subject: "alice", tenant: "acme", kind: "api-key", claims: { key_id: "alice-1", label: "laptop" } })
    expect([...identity.roles]).toEqual(["admin"])
    expect([...identity.scopes]).toEqual(["tools:call"])
    expect(JSON.stringify(identity)).not.toContain(alice1)
  })

  it("several keys per principal: rotate by adding a key and revoking the old one", async () => {
    expect((await ok(auth.verify(alice2))).scopes.has("tools:list")).toBe(true)
    const next = ApiKeys.generate()
    await Effect.runPromise(store.put!({ id: "alice-3", digest: ApiKeys.hash(next), subject: "alice", roles: [], scopes: [] }))
    expect((await ok(auth.verify(next))).subject).toBe("alice")
    expect(await Effect.runPromise(store.revoke!("alice-2"))).toBe(true)
    expect(await refused(auth.verify(alice2))).toEqual({ reason: "invalid", description: "The API key is not known" })
    expect((await Effect.runPromise(store.list!("alice"))).map((e) => e.id).sort()).toEqual(["alice-1", "alice-3"])
  })

  it("an expired key is 'expired'; an unknown one 'invalid'", async () => {
    expect(await refused(auth.verify(old))).toEqual({ reason: "expired", description: "The API key has expired" })
    expect((await refused(auth.verify("emk_nope"))).reason).toBe("invalid")
  })

  it("bearer and prefix options", async () => {
    const bearer = ApiKeys.make({ store, bearer: true, prefix: "emk_" })
    expect(bearer.credential(fromHeaders({ authorization: `Bearer ${alice1}` }))).toBe(alice1)
    expect(bearer.credential(fromHeaders({ authorization: "Bearer eyJhbGciOi.x.y" }))).toBeUndefined()
    const custom = ApiKeys.make({ store, header: "X-Service-Key" })
    expect(custom.credential(fromHeaders({ "x-service-key": alice1 }))).toBe(alice1)
  })

  it("a store that cannot answer makes verification 'unavailable'", async () => {
    const down = ApiKeys.make({ store: { find: () => Effect.fail(new ApiKeys.ApiKeyStoreError({ message: "connection refused" })) } })
    expect(await refused(down.verify(alice1))).toEqual({ reason: "unavailable", description: "The API key store could not be reached" })
  })

  it("a store returning an entry for another digest is refused (the digest is confirmed)", async () => {
    const sloppy = ApiKeys.make({
      store: { find: () => Effect.succeed(Option.some({ id: "x", digest: ApiKeys.hash(alice1), subject: "alice", roles: [], scopes: [] })) }
    })
    expect((await refused(sloppy.verify(alice2))).reason).toBe("invalid")
    expect((await ok(sloppy.verify(alice1))).subject).toBe("alice")
  })

  it("malformed entries are refused with the entry named", () => {
    expect(() => ApiKeys.memory([{ id: "a", subject: "x" }])).toThrow(/entry 1 \(id "a"\): give exactly one of key and digest/)
    expect(() => ApiKeys.memory([{ digest: "md5:abc", subject: "x" }])).toThrow(/entry 1: the digest is not/)
    expect(() => ApiKeys.memory([{ key: "k", subject: "x" }, { key: "k", subject: "y" }])).toThrow(/entry 2: the same key appears twice/)
  })
})

describe("ApiKeys.fromConfig (ConfigProvider.fromMap)", () => {
  const k1 = ApiKeys.generate()
  const k2 = ApiKeys.generate()
  const load = (value: string) =>
    Effect.runPromise(Effect.either(Effect.withConfigProvider(ApiKeys.config(), ConfigProvider.fromMap(new Map([["API_KEYS", value]])))))

  it("compact entries: key:subject:scopes, plain or as digests, separated by commas or newlines", async () => {
    const result = await load(`${k1}:alice:tools:call tools:list,\n${ApiKeys.hash(k2)}:bob`)
    const auth = Either.getOrThrow(result)
    const alice = await ok(auth.verify(k1))
    expect(alice.subject).toBe("alice")
    expect([...alice.scopes]).toEqual(["tools:call", "tools:list"])
    expect((await ok(auth.verify(k2))).subject).toBe("bob")
  })

  it("a JSON array of entries", async () => {
    const auth = Either.getOrThrow(await load(JSON.stringify([
      { key: k1, subject: "alice", roles: "a b", tenant: "t1", expiresAt: "2999-01-01T00:00:00Z" },
      { digest: ApiKeys.hash(k2), subject: "bob", expiresAt: "2000-01-01T00:00:00Z" }
    ])))
    const alice = await ok(auth.verify(k1))
    expect([...alice.roles]).toEqual(["a", "b"])
    expect(alice.expiresAt).toBe(Date.parse("2999-01-01T00:00:00Z"))
    expect((await refused(auth.verify(k2))).reason).toBe("expired")
  })

  it("malformed values fail with a ConfigError that does not quote the key", async () => {
    const bad = await load(`${k1}:alice,${k2}`)
    expect(Either.isLeft(bad)).toBe(true)
    const message = Either.isLeft(bad) ? String(bad.left) : ""
    expect(message).toMatch(/API_KEYS: entry 2: expected key:subject/)
    expect(message).not.toContain(k2)
    expect(String(Either.flip(await load("[{\"subject\": 1}]")).pipe(Either.getOrThrow))).toMatch(/entry 1/)
  })
})

describe("ApiKeys.fromFile", () => {
  const key = ApiKeys.generate()
  const yaml = `keys:
  - id: ci-2025
    digest: ${ApiKeys.hash(key)}
    subject: ci-bot
    tenant: acme
    roles: [deployer]
    scopes: [tools:call, "resources:read"]
    expiresAt: 2999-06-30T00:00:00Z
    label: CI pipeline
  - id: retired
    digest: ${ApiKeys.hash("retired-key")}
    subject: ci-bot
    expiresAt: 2001-01-01T00:00:00Z
`

  it("reads YAML and JSON", async () => {
    for (const path of [file("keys.yaml", yaml), file("keys.json", JSON.stringify([{ id: "ci-2025", digest: ApiKeys.hash(key), subject: "ci-bot", tenant: "acme", roles: ["deployer"], scopes: ["tools:call", "resources:read"], expiresAt: "2999-06-30T00:00:00Z" }]))]) {
      const store = await Effect.runPromise(ApiKeys.fromFile(path))
      const identity = await ok(ApiKeys.make({ store }).verify(key))
      expect(identity).toMatchObject({ subject: "ci-bot", tenant: "acme", claims: { key_id: "ci-2025" } })
      expect([...identity.scopes]).toEqual(["tools:call", "resources:read"])
    }
    const store = await Effect.runPromise(ApiKeys.fromFile(file("keys2.yaml", yaml)))
    expect(await refused(ApiKeys.make({ store }).verify("retired-key"))).toEqual({ reason: "expired", description: "The API key has expired" })
  })

  const error = async (path: string) => {
    const result = await Effect.runPromise(Effect.either(ApiKeys.fromFile(path)))
    if (Either.isRight(result)) throw new Error("loaded")
    return result.left.message
  }

  it("a malformed file fails with an error naming the file and the entry", async () => {
    const noSubject = file("bad1.yaml", `keys:\n  - id: a\n    digest: ${ApiKeys.hash("x")}\n    subject: s\n  - id: broken\n    digest: ${ApiKeys.hash("y")}\n`)
    expect(await error(noSubject)).toMatch(new RegExp(`^${noSubject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: entry 2 \\(id "broken"\\): .*subject`))
    const plain = file("bad2.yaml", `- key: emk_secret\n  subject: s\n`)
    const plainMessage = await error(plain)
    expect(plainMessage).toMatch(/bad2\.yaml: entry 1: holds a plain key; store its digest/)
    expect(plainMessage).not.toContain("emk_secret")
    expect(await error(file("bad3.yaml", `- digest: sha256:1234\n  subject: s\n`))).toMatch(/bad3\.yaml: entry 1: the digest is not/)
    expect(await error(file("bad4.yaml", `- digest: ${ApiKeys.hash("x")}\n  subject: s\n  scope: [typo]\n`))).toMatch(/bad4\.yaml: entry 1: .*scope/)
    expect(await error(file("bad5.json", `{"keys": [`))).toMatch(/bad5\.json: is not valid JSON/)
    expect(await error(file("bad6.yaml", `keys: 3`))).toMatch(/bad6\.yaml: expected a list/)
    expect(await error(join(dir, "missing.yaml"))).toMatch(/missing\.yaml: cannot be read \(ENOENT\)/)
    expect(await error(file("bad7.yaml", `- digest: ${ApiKeys.hash("x")}\n  subject: s\n  expiresAt: someday\n`))).toMatch(/bad7\.yaml: entry 1: .*expiresAt/)
  })
})
