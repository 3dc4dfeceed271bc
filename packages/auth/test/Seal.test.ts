import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import { makeSealer, sealerConfig } from "../src/internal/oauth/seal.js"

const key1 = Redacted.make("k1-0123456789abcdef0123456789abcdef")
const key2 = Redacted.make("k2-fedcba9876543210fedcba9876543210")

describe("seal (AES-256-GCM, HKDF-SHA-256 keys)", () => {
  it("round-trips, with a fresh IV each time", () => {
    const sealer = makeSealer(key1)
    const a = sealer.seal("gho_secret-token", "row-1")
    const b = sealer.seal("gho_secret-token", "row-1")
    expect(a).not.toBe(b)
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    expect(a).not.toContain("gho_secret-token")
    expect(sealer.open(a, "row-1")).toBe("gho_secret-token")
    expect(sealer.open(b, "row-1")).toBe("gho_secret-token")
    expect(sealer.open(sealer.seal("", "row-1"), "row-1")).toBe("")
    expect(sealer.open(sealer.seal("ünïcødé ✓", "c"), "c")).toBe("ünïcødé ✓")
  })

  it("binds the context as additional authenticated data: another row or purpose does not open", () => {
    const sealer = makeSealer(key1)
    const sealed = sealer.seal("token", JSON.stringify(["upstream", "github", "alice", "access"]))
    expect(sealer.open(sealed, JSON.stringify(["upstream", "github", "bob", "access"]))).toBeUndefined()
    expect(sealer.open(sealed, JSON.stringify(["upstream", "github", "alice", "refresh"]))).toBeUndefined()
    expect(sealer.open(sealed, "")).toBeUndefined()
  })

  it("refuses tampered bytes, a truncated tag, a wrong version and garbage", () => {
    const sealer = makeSealer(key1)
    const sealed = sealer.seal("token", "ctx")
    const [v, kid, iv, body] = sealed.split(".") as [string, string, string, string]
    const bytes = Buffer.from(body, "base64url")
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes)
      copy[i] = copy[i]! ^ 0x01
      expect(sealer.open(`${v}.${kid}.${iv}.${copy.toString("base64url")}`, "ctx")).toBeUndefined()
    }
    const ivBytes = Buffer.from(iv, "base64url")
    ivBytes[0] = ivBytes[0]! ^ 0x80
    expect(sealer.open(`${v}.${kid}.${ivBytes.toString("base64url")}.${body}`, "ctx")).toBeUndefined()
    expect(sealer.open(`${v}.${kid}.${iv}.${bytes.subarray(0, bytes.length - 1).toString("base64url")}`, "ctx")).toBeUndefined()
    expect(sealer.open(`v2.${kid}.${iv}.${body}`, "ctx")).toBeUndefined()
    expect(sealer.open(`${v}.${kid}.${iv}`, "ctx")).toBeUndefined()
    expect(sealer.open("", "ctx")).toBeUndefined()
    expect(sealer.open("not.a.sealed.value", "ctx")).toBeUndefined()
    expect(sealer.open(`${v}.${kid}.${iv}.${body}.extra`, "ctx")).toBeUndefined()
  })

  it("rotates: the first key seals, every key opens, a removed key no longer opens", () => {
    const old = makeSealer(key1)
    const sealedWithOld = old.seal("old-token", "ctx")
    const rotated = makeSealer([key2, key1])
    expect(rotated.open(sealedWithOld, "ctx")).toBe("old-token")
    const sealedWithNew = rotated.seal("new-token", "ctx")
    expect(sealedWithNew.split(".")[1]).not.toBe(sealedWithOld.split(".")[1])
    expect(makeSealer(key2).open(sealedWithNew, "ctx")).toBe("new-token")
    expect(old.open(sealedWithNew, "ctx")).toBeUndefined()
    expect(makeSealer(key2).open(sealedWithOld, "ctx")).toBeUndefined()
  })

  it("refuses secrets shorter than 32 characters, and no secret at all", () => {
    expect(() => makeSealer(Redacted.make("too-short"))).toThrow(/at least 32 characters/)
    expect(() => makeSealer([key1, Redacted.make("x".repeat(31))])).toThrow(/at least 32 characters/)
    expect(() => makeSealer([])).toThrow(/no encryption key/)
    expect(() => makeSealer(Redacted.make("x".repeat(32)))).not.toThrow()
  })

  it.effect("sealerConfig reads a comma-separated list of keys and never echoes them", () =>
    Effect.gen(function*() {
      const withEnv = (env: Record<string, string>) =>
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      const sealer = yield* sealerConfig().pipe(withEnv({ OAUTH_ENCRYPTION_KEY: ` ${Redacted.value(key2)} , ${Redacted.value(key1)} ` }))
      expect(sealer.open(makeSealer(key1).seal("t", "c"), "c")).toBe("t")
      expect(makeSealer(key2).open(sealer.seal("t", "c"), "c")).toBe("t")

      const named = yield* sealerConfig("MY_KEY").pipe(withEnv({ MY_KEY: Redacted.value(key1) }))
      expect(named.open(makeSealer(key1).seal("t", "c"), "c")).toBe("t")

      const short = yield* Effect.either(sealerConfig().pipe(withEnv({ OAUTH_ENCRYPTION_KEY: `${Redacted.value(key1)},short-secret-value` })))
      expect(Either.isLeft(short)).toBe(true)
      const message = Either.isLeft(short) ? String(short.left) : ""
      expect(message).toMatch(/at least 32 characters/)
      expect(message).not.toContain("short-secret-value")
      expect(message).not.toContain(Redacted.value(key1))

      const missing = yield* Effect.either(sealerConfig().pipe(withEnv({})))
      expect(Either.isLeft(missing)).toBe(true)
      const empty = yield* Effect.either(sealerConfig().pipe(withEnv({ OAUTH_ENCRYPTION_KEY: " , " })))
      expect(Either.isLeft(empty)).toBe(true)
    }))
})
