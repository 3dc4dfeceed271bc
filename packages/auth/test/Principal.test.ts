import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Principal } from "../src/index.js"

describe("Principal", () => {
  it("a wildcard grant covers every scope under its prefix", () => {
    const id = Principal.make("alice", ["tools:*"])
    expect(Principal.hasScope(id, "tools:call")).toBe(true)
    expect(Principal.hasScope(id, "tools:admin:delete")).toBe(true)
    expect(Principal.hasScope(id, "prompts:get")).toBe(false)
    expect(Principal.hasScope(Principal.make("root", ["*"]), "anything")).toBe(true)
  })

  it.effect("requireScope fails with InsufficientScope when the grant is missing", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Principal.requireScope("admin").pipe(
        Effect.provideService(Principal.Principal, Principal.make("bob", ["read"]))
      ))
      expect(Exit.isFailure(exit)).toBe(true)
      const ok = yield* Principal.requireScope("read").pipe(
        Effect.provideService(Principal.Principal, Principal.make("bob", ["read"]))
      )
      expect(ok.subject).toBe("bob")
    }))
})
