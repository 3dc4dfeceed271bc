import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Exit } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Principal from "../src/Principal.js"
import * as Rbac from "../src/Rbac.js"

const who = (...roles: Array<string>) => Principal.make("alice", [], { roles })

const policyYaml = `
roles:
  viewer:
    description: Reads files
    permissions: ["files:read:*"]
  editor:
    inherits: [viewer]
    permissions:
      - "files:write:*"
      - "files:*:own"
  admin:
    inherits: [editor]
    permissions: ["admin:*"]
  root:
    permissions: ["*"]
`

/** The error text of a policy that does not load. */
const failure = (effect: Effect.Effect<Rbac.Policy, Rbac.RbacError>): string => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected the policy to be refused")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  expect(error).toBeInstanceOf(Rbac.RbacError)
  return error!.message
}

describe("Rbac: wildcard semantics", () => {
  // grant, permission, covered: the table the module documentation describes.
  const table: ReadonlyArray<readonly [string, string, boolean]> = [
    ["files:read", "files:read", true],
    ["files:read", "files:read:x", false],
    ["files", "files:read", false],
    ["files:read", "Files:read", false],
    ["*", "anything", true],
    ["*", "a:b:c:d", true],
    ["*", "", false],
    ["*", "a::b", false],
    ["admin:*", "admin:users", true],
    ["admin:*", "admin:users:delete", true],
    ["admin:*", "admin", false],
    ["admin:*", "administrator:x", false],
    ["files:read:*", "files:read:report", true],
    ["files:read:*", "files:read:a:b", true],
    ["files:read:*", "files:read", false],
    ["files:read:*", "files:write:report", false],
    ["files:*:own", "files:read:own", true],
    ["files:*:own", "files:write:own", true],
    ["files:*:own", "files:own", false],
    ["files:*:own", "files:a:b:own", false],
    ["files:*:own", "files:read:own:x", false],
    ["files:*:*", "files:a:b", true],
    ["files:*:*", "files:a:b:c", true],
    ["files:*:*", "files:a", false],
    ["*:read", "files:read", true],
    ["*:read", "read", false],
    ["files:*", "files:*", true],
    ["files:read", "files:*", false],
    ["files:read", "files::read", false]
  ]
  it.each(table)("grant %j covers %j: %s", (grant, permission, covered) => {
    expect(Rbac.matches([grant], permission)).toBe(covered)
    const policy = Rbac.unsafeMake({ roles: { r: { permissions: [grant] } } })
    expect(policy.can(who("r"), permission)).toBe(covered)
  })

  it("malformed grants are refused with the path of the grant", () => {
    expect(failure(Rbac.make({ roles: { r: { permissions: ["ok", "files::read"] } } }))).toBe(
      `roles.r.permissions[1]: "files::read" has an empty segment`
    )
    expect(failure(Rbac.make({ roles: { r: { permissions: ["fi*"] } } }))).toBe(`roles.r.permissions[0]: "fi*": "*" must be a whole segment`)
    expect(failure(Rbac.make({ roles: { r: { permissions: [""] } } }))).toBe("roles.r.permissions[0]: a permission must not be empty")
  })
})

describe("Rbac: roles and inheritance", () => {
  const policy = Effect.runSync(Rbac.fromYaml(policyYaml, "rbac.yaml"))

  it("a role has its own grants and those of every role it inherits, transitively", () => {
    expect(policy.roles).toEqual(["viewer", "editor", "admin", "root"])
    expect(policy.can(who("viewer"), "files:read:a")).toBe(true)
    expect(policy.can(who("viewer"), "files:write:a")).toBe(false)
    expect(policy.can(who("editor"), "files:read:a")).toBe(true)
    expect(policy.can(who("editor"), "files:delete:own")).toBe(true)
    expect(policy.can(who("editor"), "admin:users")).toBe(false)
    expect(policy.can(who("admin"), "files:read:a")).toBe(true)
    expect(policy.can(who("admin"), "admin:users:delete")).toBe(true)
    expect(policy.can(who("root"), "whatever:it:is")).toBe(true)
    expect([...policy.rolesOf(who("admin"))].sort()).toEqual(["admin", "editor", "viewer"])
    expect([...policy.permissionsOf(who("editor"))].sort()).toEqual(["files:*:own", "files:read:*", "files:write:*"])
  })

  it("several roles combine; unknown roles and no roles grant nothing", () => {
    const p = Rbac.unsafeMake({ roles: { a: { permissions: ["x:*"] }, b: { permissions: ["y:*:z"] } } })
    expect(p.can(who("a", "b"), "x:1")).toBe(true)
    expect(p.can(who("a", "b"), "y:1:z")).toBe(true)
    expect(p.can(who("a", "b"), "w:1")).toBe(false)
    expect(p.can(who("ghost"), "x:1")).toBe(false)
    expect(p.can(who(), "x:1")).toBe(false)
    expect([...p.rolesOf(who("ghost"))]).toEqual(["ghost"])
  })

  it("scopes are grants only when the policy says so", () => {
    const off = Rbac.unsafeMake({ roles: {} })
    const on = Rbac.unsafeMake({ roles: {}, scopesAsPermissions: true })
    const id = Principal.make("bob", ["files:read:*"])
    expect(off.can(id, "files:read:a")).toBe(false)
    expect(on.can(id, "files:read:a")).toBe(true)
    expect([...on.permissionsOf(id)]).toEqual(["files:read:*"])
  })

  it("an inheritance cycle is refused naming the cycle", () => {
    const message = failure(Rbac.make({ roles: { a: { inherits: ["b"] }, b: { inherits: ["c"] }, c: { inherits: ["a"] } } }))
    expect(message).toBe("roles.c.inherits[0]: inheritance cycle a -> b -> c -> a")
    expect(failure(Rbac.make({ roles: { self: { inherits: ["self"] } } }))).toBe("roles.self.inherits[0]: inheritance cycle self -> self")
    // A diamond is not a cycle.
    const diamond = Rbac.unsafeMake({
      roles: { top: { inherits: ["l", "r"] }, l: { inherits: ["base"] }, r: { inherits: ["base"] }, base: { permissions: ["p"] } }
    })
    expect(diamond.can(who("top"), "p")).toBe(true)
  })

  it("unsafeMake throws the RbacError", () => {
    expect(() => Rbac.unsafeMake({ roles: { a: { inherits: ["nope"] } } })).toThrow(`roles.a.inherits[0]: unknown role "nope"`)
  })

  it.effect("the service and its accessors", () =>
    Effect.gen(function*() {
      expect(yield* Rbac.can(who("viewer"), "files:read:x")).toBe(true)
      expect(yield* Rbac.can(who("viewer"), "files:write:x")).toBe(false)
      expect([...(yield* Rbac.permissionsOf(who("viewer")))]).toEqual(["files:read:*"])
    }).pipe(Effect.provide(Rbac.layer({ roles: { viewer: { permissions: ["files:read:*"] } } }))))
})

describe("Rbac: loading YAML, JSON, files and config", () => {
  it("errors name the source and the path inside it", () => {
    const bad = policyYaml.replace("inherits: [viewer]", "inherits: [viewer, writer]")
    expect(failure(Rbac.fromYaml(bad, "rbac.yaml"))).toBe(`rbac.yaml: roles.editor.inherits[1]: unknown role "writer"`)
    expect(failure(Rbac.fromYaml("roles:\n  a:\n    permissions: [1]\n", "p.yaml"))).toBe("p.yaml: roles.a.permissions[0]: Expected string, actual 1")
    expect(failure(Rbac.fromYaml("roles:\n  a:\n    inherit: [b]\n", "p.yaml"))).toMatch(/^p\.yaml: roles\.a\.inherit: unknown field/)
    expect(failure(Rbac.fromYaml("rolez: {}\n", "p.yaml"))).toMatch(/^p\.yaml: (roles: is missing|rolez: unknown field)/)
    expect(failure(Rbac.fromYaml("- 1\n", "p.yaml"))).toMatch(/^p\.yaml: Expected/)
    // Without a source, just the path.
    expect(failure(Rbac.fromYaml("roles:\n  a: { inherits: [b] }\n"))).toBe(`roles.a.inherits[0]: unknown role "b"`)
  })

  it("syntax errors name the source, line and column", () => {
    expect(failure(Rbac.fromYaml("roles:\n  a: [x\n  b: 1\n", "rbac.yaml"))).toMatch(/^rbac\.yaml: line \d+, column \d+: /)
    expect(failure(Rbac.fromYaml("roles:\n  a: {}\n  a: {}\n", "rbac.yaml"))).toMatch(/^rbac\.yaml: line 3, column 3: Map keys must be unique/)
  })

  it("a document expanding aliases without bound is refused, not expanded", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`)
    expect(failure(Rbac.fromYaml(lines.join("\n"), "bomb.yaml"))).toMatch(/^bomb\.yaml: .*alias/i)
  })

  it("JSON is read too", () => {
    const policy = Effect.runSync(Rbac.fromYaml(JSON.stringify({ roles: { v: { permissions: ["a:*"] } } }), "rbac.json"))
    expect(policy.can(who("v"), "a:b")).toBe(true)
  })

  it.effect("fromFile reads a file and names it in errors", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-rbac-"))
      try {
        const good = path.join(dir, "rbac.yaml")
        fs.writeFileSync(good, policyYaml)
        const policy = yield* Rbac.fromFile(good)
        expect(policy.can(who("editor"), "files:write:x")).toBe(true)
        const bad = path.join(dir, "bad.yaml")
        fs.writeFileSync(bad, "roles:\n  a: { inherits: [zz] }\n")
        const error = yield* Effect.flip(Rbac.fromFile(bad))
        expect(error.message).toBe(`${bad}: roles.a.inherits[0]: unknown role "zz"`)
        const absent = yield* Effect.flip(Rbac.fromFile(path.join(dir, "absent.yaml")))
        expect(absent.message).toContain(`${path.join(dir, "absent.yaml")}: cannot read the policy`)
        const fromLayer = yield* Effect.provide(Rbac.can(who("viewer"), "files:read:q"), Rbac.layerFile(good))
        expect(fromLayer).toBe(true)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("config reads YAML or JSON text; a bad policy is an InvalidData error at the path", () =>
    Effect.gen(function*() {
      const provider = (value: string) => ConfigProvider.fromMap(new Map([["RBAC_POLICY", value]]))
      const policy = yield* Effect.withConfigProvider(Rbac.config("RBAC_POLICY"), provider(policyYaml))
      expect(policy.can(who("admin"), "admin:x")).toBe(true)
      const json = yield* Effect.withConfigProvider(Rbac.config("RBAC_POLICY"), provider(`{"roles":{"v":{"permissions":["p"]}}}`))
      expect(json.can(who("v"), "p")).toBe(true)
      const bad = yield* Effect.flip(
        Effect.withConfigProvider(Rbac.config("RBAC_POLICY"), provider("roles:\n  a: { inherits: [zz] }\n"))
      )
      expect(bad._op).toBe("InvalidData")
      expect(String(bad)).toContain("RBAC_POLICY")
      expect(String(bad)).toContain(`roles.a.inherits[0]: unknown role "zz"`)
      const missing = yield* Effect.flip(Effect.withConfigProvider(Rbac.config("RBAC_POLICY"), ConfigProvider.fromMap(new Map())))
      expect(missing._op).toBe("MissingData")
      const viaLayer = yield* Effect.provide(Rbac.can(who("viewer"), "files:read:x"), Rbac.layerConfig("RBAC_POLICY")).pipe(
        Effect.withConfigProvider(provider(policyYaml))
      )
      expect(viaLayer).toBe(true)
    }))

  it("a policy value is decoded like text: bad shapes are refused", () => {
    const untyped: unknown = { roles: { a: { permissions: "x" } } }
    expect(failure(Rbac.make(untyped as Rbac.Definition))).toMatch(/^roles\.a\.permissions: Expected ReadonlyArray<string>/)
    expect(Either.isRight(Either.try(() => Rbac.unsafeMake({ roles: {} })))).toBe(true)
  })
})
