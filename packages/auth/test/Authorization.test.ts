/**
 * `Authorization.require` on a real server (the in-memory transport, a real
 * McpClient, JSON round trips): a global test middleware provides a fixed
 * `Principal` per token (`_meta["example.com/token"]`), as the global
 * `Authentication` middleware does in an app.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpServer, type Middleware as CoreMiddleware, Middleware, Prompt, Resource, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Context, Effect, Layer, Schema } from "effect"
import * as Authorization from "../src/Authorization.js"
import * as Principal from "../src/Principal.js"
import * as Rbac from "../src/Rbac.js"
import * as Scopes from "../src/Scopes.js"

const identities: Record<string, Principal.Identity> = {
  anonymous: Principal.make("anonymous", []),
  reader: Principal.make("reader", ["files:read"], { kind: "jwt" }),
  writer: Principal.make("writer", ["files:read", "files:write", "files:delete"], { kind: "jwt" }),
  broad: Principal.make("broad", ["files"], { kind: "jwt" }),
  manager: Principal.make("manager", ["files:manage"], { kind: "jwt" }),
  viewer: Principal.make("viewer", [], { roles: ["viewer"], kind: "api-key" }),
  admin: Principal.make("admin", ["files:read"], { roles: ["admin"], kind: "api-key" })
}

/** Test authentication: a fixed Principal per token; no token is the anonymous caller. */
const authenticate = Middleware.provide(Principal.Principal, {
  name: "test-auth",
  get: (request) => {
    const meta = request.params._meta as { readonly "example.com/token"?: string } | undefined
    return Effect.succeed(identities[meta?.["example.com/token"] ?? "anonymous"] ?? identities.anonymous!)
  }
})

const policy: Rbac.Definition = {
  roles: {
    viewer: { permissions: ["reports:read:*"] },
    admin: { inherits: ["viewer"], permissions: ["admin:*"] }
  }
}

const asToken = (token: string) => ({ _meta: { "example.com/token": token } })

type Client = TestClient.TestClient["Type"]

const call = (client: Client, name: string, token: string) => client.request("tools/call", { name, arguments: {}, ...asToken(token) })

const toolNames = (client: Client, token: string) =>
  Effect.map(client.request("tools/list", asToken(token)), (result) => (result.tools as ReadonlyArray<{ name: string }>).map((t) => t.name))

/** Counts handler runs, to prove a refusal never runs the handler. */
const counting = () => {
  const runs = { count: 0 }
  return { runs, handler: () => Effect.sync(() => ++runs.count).pipe(Effect.as("done")) }
}

describe("Authorization.require: scopes (spec 2026-07-28 basic/authorization 'Runtime Insufficient Scope Errors')", () => {
  const remove = counting()
  const tools = [
    Tool.make("delete", {
      middleware: [Authorization.require({ scopes: ["files:write", "files:delete"] })],
      handler: remove.handler
    }),
    Tool.make("open", { handler: () => Effect.succeed("open") })
  ] as const

  it.scoped("a caller without the scopes gets -32000 naming every required scope; the handler never runs", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      remove.runs.count = 0
      const error = yield* Effect.flip(call(client, "delete", "reader"))
      expect(error).toMatchObject({
        code: -32000,
        data: {
          _tag: "Forbidden",
          reason: "insufficient_scope",
          // Every scope the operation needs, in one challenge, not only the missing ones.
          requiredScopes: ["files:write", "files:delete"],
          missingScopes: ["files:write", "files:delete"]
        }
      })
      expect(error.message).toMatch(/^Forbidden: The caller lacks scopes files:write, files:delete/)
      const anonymous = yield* Effect.flip(call(client, "delete", "nobody"))
      expect(anonymous).toMatchObject({ code: -32000, data: { reason: "insufficient_scope", requiredScopes: ["files:write", "files:delete"] } })
      expect(remove.runs.count).toBe(0)
      // Other tools are unaffected.
      expect((yield* call(client, "open", "reader")).content).toEqual([{ type: "text", text: "open" }])
    }).pipe(Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, authenticate, ...tools))))

  it.scoped("a caller with the scopes, or a broader one (the hierarchy), succeeds and the handler runs", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      remove.runs.count = 0
      expect((yield* call(client, "delete", "writer")).content).toEqual([{ type: "text", text: "done" }])
      // spec 2026-07-28 basic/authorization "Step-Up Authorization Flow": `files` implies `files:write` and `files:delete`.
      expect((yield* call(client, "delete", "broad")).content).toEqual([{ type: "text", text: "done" }])
      expect(remove.runs.count).toBe(2)
      // A scope the default hierarchy knows nothing about does not imply them.
      expect(yield* Effect.flip(call(client, "delete", "manager"))).toMatchObject({ code: -32000 })
      expect(remove.runs.count).toBe(2)
    }).pipe(Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, authenticate, ...tools))))

  it.scoped("the app's hierarchy (Scopes.layer) is the one checked", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      remove.runs.count = 0
      expect((yield* call(client, "delete", "manager")).content).toEqual([{ type: "text", text: "done" }])
      // Without prefix implication, `files` no longer implies `files:write`.
      expect(yield* Effect.flip(call(client, "delete", "broad"))).toMatchObject({ code: -32000, data: { reason: "insufficient_scope" } })
      expect(remove.runs.count).toBe(1)
    }).pipe(Effect.provide(
      TestClient.layerWith({ name: "t", version: "1" }, authenticate, ...tools).pipe(
        Layer.provide(Scopes.layer({ prefix: false, implies: { "files:manage": ["files:write", "files:delete"] } }))
      )
    )))
})

describe("Authorization.require: roles and permissions (Rbac)", () => {
  const report = counting()
  const audit = counting()
  const items = [
    authenticate,
    Tool.make("report", { middleware: [Authorization.require({ permissions: ["reports:read:q1"] })], handler: report.handler }),
    Tool.make("audit", { middleware: [Authorization.require({ roles: ["admin"], scopes: ["files:read"] })], handler: audit.handler }),
    Tool.make("either", {
      middleware: [Authorization.require({ roles: ["admin"], scopes: ["files:write"], any: true })],
      handler: () => Effect.succeed("either")
    })
  ] as const
  const App = TestClient.layerWith({ name: "t", version: "1" }, ...items).pipe(Layer.provide(Rbac.layer(policy)))

  it.scoped("permissions go through the Rbac service, inheritance included; refusals say what is missing", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      report.runs.count = 0
      expect((yield* call(client, "report", "viewer")).content).toEqual([{ type: "text", text: "done" }])
      expect((yield* call(client, "report", "admin")).content).toEqual([{ type: "text", text: "done" }])
      const error = yield* Effect.flip(call(client, "report", "writer"))
      expect(error).toMatchObject({
        code: -32000,
        data: { _tag: "Forbidden", reason: "forbidden", requiredScopes: [], missingPermissions: ["reports:read:q1"] }
      })
      expect(report.runs.count).toBe(2)
    }).pipe(Effect.provide(App)))

  it.scoped("roles and scopes together: a missing role is `forbidden` (more scopes would not help)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      audit.runs.count = 0
      expect((yield* call(client, "audit", "admin")).content).toEqual([{ type: "text", text: "done" }])
      expect(yield* Effect.flip(call(client, "audit", "viewer"))).toMatchObject({
        data: { reason: "forbidden", requiredScopes: ["files:read"], missingRoles: ["admin"], missingScopes: ["files:read"] }
      })
      expect(yield* Effect.flip(call(client, "audit", "reader"))).toMatchObject({
        data: { reason: "forbidden", requiredScopes: ["files:read"], missingRoles: ["admin"] }
      })
      expect(audit.runs.count).toBe(1)
    }).pipe(Effect.provide(App)))

  it.scoped("any: one listed role or scope is enough; a refusal is insufficient_scope since a scope would do", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* call(client, "either", "admin")).content).toEqual([{ type: "text", text: "either" }])
      expect((yield* call(client, "either", "writer")).content).toEqual([{ type: "text", text: "either" }])
      expect(yield* Effect.flip(call(client, "either", "viewer"))).toMatchObject({
        data: { reason: "insufficient_scope", requiredScopes: ["files:write"] }
      })
    }).pipe(Effect.provide(App)))

  it.scoped("a policy given as an option needs no Rbac service", () => {
    const inline = Tool.make("inline", {
      middleware: [Authorization.require({ permissions: ["admin:users"], policy: Rbac.unsafeMake(policy) })],
      handler: () => Effect.succeed("inline")
    })
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* call(client, "inline", "admin")).content).toEqual([{ type: "text", text: "inline" }])
      expect(yield* Effect.flip(call(client, "inline", "viewer"))).toMatchObject({ data: { missingPermissions: ["admin:users"] } })
    }).pipe(Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, authenticate, inline)))
  })
})

describe("Authorization.require: types", () => {
  it("needs Principal; Rbac only when it checks permissions without a policy", () => {
    const scopes: Authorization.Guard<Principal.Principal> = Authorization.require({ scopes: ["a"] })
    const roles: Authorization.Guard<Principal.Principal> = Authorization.require({ roles: ["a"] })
    const withPolicy: Authorization.Guard<Principal.Principal> = Authorization.require({
      permissions: ["a"],
      policy: Rbac.unsafeMake({ roles: {} })
    })
    const permissions: Authorization.Guard<Principal.Principal | Rbac.Rbac> = Authorization.require({ permissions: ["a"] })
    // @ts-expect-error Rbac is needed.
    const forgot: Authorization.Guard<Principal.Principal> = Authorization.require({ permissions: ["a"] })
    const widened: Authorization.RequireOptions = { scopes: ["a"] }
    // @ts-expect-error options whose type may hold permissions are assumed to.
    const unsure: Authorization.Guard<Principal.Principal> = Authorization.require(widened)
    const tool = Tool.make("x", { middleware: [Authorization.require({ scopes: ["a"] })], handler: () => Effect.succeed("x") })
    const needsPrincipal: Tool.Tool<"x", Principal.Principal> = tool
    // @ts-expect-error Principal is needed: an app that does not authenticate does not compile.
    const noPrincipal: Tool.Tool<"x", never> = tool
    const server: Layer.Layer<Principal.Principal, never, McpServer.McpServer> = McpServer.register(authenticate, tool)
    expect([scopes, roles, withPolicy, permissions, forgot, unsure].map((m) => m.name)).toEqual(Array(6).fill("authorization"))
    expect([typeof needsPrincipal, typeof noPrincipal, typeof server]).toEqual(["object", "object", "object"])
  })

  it("the requirement is readable, for an HTTP guard", () => {
    const guard = Authorization.require({ scopes: ["files:write", "files:write", "files:read"], roles: ["admin"] })
    expect(guard.requirement).toEqual({ roles: ["admin"], permissions: [], scopes: ["files:write", "files:read"], any: false })
    const chain: ReadonlyArray<CoreMiddleware.Any> = [Middleware.logging, guard, Authorization.require({ scopes: ["users:list", "files:read"] })]
    expect(Authorization.requirementOf(Middleware.logging)).toBeUndefined()
    expect(Authorization.requirementOf(guard)).toBe(guard.requirement)
    expect(Authorization.requiredScopes(chain)).toEqual(["files:write", "files:read", "users:list"])
  })

  it("Forbidden round-trips through its Schema", () => {
    const refused = Authorization.check(identities.reader!, { scopes: ["files:write"], permissions: ["x"] })!
    expect(refused).toBeInstanceOf(Authorization.Forbidden)
    const encoded = Schema.encodeSync(Authorization.Forbidden)(refused)
    expect(encoded).toEqual({
      _tag: "Forbidden",
      reason: "forbidden",
      requiredScopes: ["files:write"],
      missingScopes: ["files:write"],
      missingPermissions: ["x"],
      description: "The caller lacks scope files:write; permission x (the operation requires scope files:write)"
    })
    expect(Schema.decodeUnknownSync(Authorization.Forbidden)(encoded)).toEqual(refused)
    expect(Authorization.check(identities.writer!, { scopes: ["files:write"] })).toBeUndefined()
    expect(Authorization.check(identities.reader!, {})).toBeUndefined()
  })
})

describe("Authorization.require({ hide: true }): list visibility (Middleware.visible)", () => {
  const hidden = counting()
  const items = [
    authenticate,
    Tool.make("open", { handler: () => Effect.succeed("open") }),
    Tool.make("write", { middleware: [Authorization.require({ scopes: ["files:write"], hide: true })], handler: hidden.handler }),
    Tool.make("shown", { middleware: [Authorization.require({ scopes: ["files:write"] })], handler: hidden.handler }),
    Tool.make("admin_only", { middleware: [Authorization.require({ roles: ["admin"], hide: true })], handler: hidden.handler }),
    Tool.make("reports", { middleware: [Authorization.require({ permissions: ["reports:read:x"], hide: true })], handler: hidden.handler }),
    Prompt.make({
      name: "secret_prompt",
      middleware: [Authorization.require({ roles: ["admin"], hide: true })],
      render: () => Effect.succeed([Prompt.user("hi")])
    }),
    Resource.make({
      uri: "x://secret",
      name: "secret",
      middleware: [Authorization.require({ scopes: ["files:write"], hide: true })],
      read: () => Effect.succeed(Resource.text("s"))
    })
  ] as const
  const server = TestClient.server({ name: "t", version: "1" }, ...items).pipe(Layer.provide(Rbac.layer(policy)))

  it.scoped("a primitive is listed only for callers who meet its requirement", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(yield* toolNames(client, "nobody")).toEqual(["open", "shown"])
      expect(yield* toolNames(client, "reader")).toEqual(["open", "shown"])
      expect(yield* toolNames(client, "writer")).toEqual(["open", "write", "shown"])
      expect(yield* toolNames(client, "viewer")).toEqual(["open", "shown", "reports"])
      expect(yield* toolNames(client, "admin")).toEqual(["open", "shown", "admin_only", "reports"])
      const prompts = (token: string) =>
        Effect.map(client.request("prompts/list", asToken(token)), (r) => (r.prompts as ReadonlyArray<{ name: string }>).map((p) => p.name))
      expect(yield* prompts("reader")).toEqual([])
      expect(yield* prompts("admin")).toEqual(["secret_prompt"])
      const resources = (token: string) =>
        Effect.map(client.request("resources/list", asToken(token)), (r) => (r.resources as ReadonlyArray<{ uri: string }>).map((p) => p.uri))
      expect(yield* resources("reader")).toEqual([])
      expect(yield* resources("broad")).toEqual(["x://secret"])
      // Hiding is not the guard: calling a hidden tool is still refused, and the handler never runs.
      hidden.runs.count = 0
      expect(yield* Effect.flip(call(client, "write", "reader"))).toMatchObject({ code: -32000, data: { reason: "insufficient_scope" } })
      expect(hidden.runs.count).toBe(0)
    }).pipe(Effect.provide(TestClient.layer().pipe(Layer.provideMerge(server)))))

  it.scoped("under 2026-07-28 such lists are cacheScope private (spec 2026-07-28 server/utilities/caching)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const list = yield* client.request("tools/list", asToken("writer"))
      expect(list).toMatchObject({ cacheScope: "private" })
      expect((list.tools as ReadonlyArray<{ name: string }>).map((t) => t.name)).toEqual(["open", "write", "shown"])
    }).pipe(Effect.provide(TestClient.layer({ protocolVersion: "2026-07-28" }).pipe(Layer.provideMerge(server)))))

  it("the predicate: no Principal sees only what requires nothing; permissions need a policy", () => {
    const empty = Context.empty()
    expect(Authorization.visible({ scopes: ["a"] })(empty)).toBe(false)
    expect(Authorization.visible({})(empty)).toBe(true)
    const writer = Context.make(Principal.Principal, identities.writer!)
    expect(Authorization.visible({ scopes: ["files:write"] })(writer)).toBe(true)
    const viewer = Context.make(Principal.Principal, identities.viewer!)
    expect(Authorization.visible({ permissions: ["reports:read:x"] })(viewer)).toBe(false)
    expect(Authorization.visible({ permissions: ["reports:read:x"] }, { policy: Rbac.unsafeMake(policy) })(viewer)).toBe(true)
    expect(Authorization.visible({ permissions: ["reports:read:x"] })(Context.add(viewer, Rbac.Rbac, Rbac.unsafeMake(policy)))).toBe(true)
    const strict = Context.add(writer, Scopes.ScopeHierarchy, Scopes.flat)
    expect(Authorization.visible({ scopes: ["files:write:x"] })(writer)).toBe(true)
    expect(Authorization.visible({ scopes: ["files:write:x"] })(strict)).toBe(false)
  })
})
