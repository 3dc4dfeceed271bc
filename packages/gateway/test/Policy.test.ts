/**
 * The gateway's `Policy` in front of two real backends (the everything
 * example: `acme`, of tenant acme, over stdio; `shared`, of no tenant, over
 * Streamable HTTP), seen by real `McpClient`s whose callers are
 * authenticated from real JWTs (`Jwt` + `Authentication`, tenant and roles
 * from claims): tenant isolation, RBAC, hidden primitives refused as unknown
 * (spec 2025-11-25 server/tools "Error Handling": -32602), and rate limits
 * with fairness between tenants.
 */
import { Authentication, Jwt, Principal, Rbac } from "@emcee/auth"
import { McpClient, McpServer } from "@emcee/core"
import { MemoryTransport } from "@emcee/transport"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Gateway from "../src/Gateway.js"
import * as Policy from "../src/Policy.js"
import * as Registry from "../src/Registry.js"
import * as RegistrySync from "../src/RegistrySync.js"
import { built, everythingMain, type HttpBackend, startEverythingHttp } from "./support/backends.js"

const secret = "a-shared-secret-of-at-least-32-bytes!!"
const issuer = "https://issuer.test/"
const audience = "https://gateway.test/mcp"
const jwt = Jwt.make({ issuer, audience, secret, claims: { tenant: "org", roles: "roles" } })
const authentication = Authentication.make([jwt])

/** A caller authenticated from a signed JWT, as an HTTP guard would: the services of its session. */
const caller = (subject: string, org: string | undefined, roles: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const token = yield* Effect.promise(() =>
      new jose.SignJWT({ ...(org === undefined ? {} : { org }), roles: [...roles] })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(new TextEncoder().encode(secret))
    )
    const identity = yield* authentication.authenticate({ header: (name) => (name === "authorization" ? `Bearer ${token}` : undefined) })
    return Authentication.contextOf(identity)
  })

const serverOptions = {
  name: "gateway",
  version: "1.0.0",
  capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true }, completions: {} }
} as unknown as McpServer.Options

const rbac = Rbac.unsafeMake({
  roles: {
    member: { permissions: ["gateway:*"] },
    // Only the shared backend's echo tool and its prompts.
    echoer: { permissions: ["gateway:shared:tools:echo", "gateway:shared:prompts:*"] }
  }
})

// Budgets for the whole gateway: 8 calls a principal, 12 a tenant, refilled once an hour (never during the test).
const policy = Policy.make({
  rbac,
  rateLimits: { perPrincipal: { rate: 8, per: "1 hour" }, perTenant: { rate: 12, per: "1 hour" } }
})

const codeOf = (exit: Exit.Exit<unknown, McpClient.McpClientError>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? { code: exit.cause.error.code, message: exit.cause.error.message, data: exit.cause.error.data } : undefined

describe.runIf(built)("Policy in front of two backends of two tenants", { timeout: 60_000 }, () => {
  let http: HttpBackend
  let scope: Scope.CloseableScope
  let services: Context.Context<Gateway.Gateway | McpServer.McpServer>

  beforeAll(async () => {
    http = await startEverythingHttp()
    const app = Gateway.layer({
      backends: [
        { name: "acme", endpoint: { _tag: "Stdio", command: process.execPath, args: [everythingMain] }, tenant: "acme" },
        { name: "shared", endpoint: { _tag: "Http", url: http.url } }
      ],
      middleware: policy.middleware
    }).pipe(
      Layer.provideMerge(McpServer.register(Authentication.middleware).pipe(Layer.provideMerge(McpServer.layer(serverOptions))))
    )
    scope = Effect.runSync(Scope.make())
    services = await Effect.runPromise(Layer.buildWithScope(app, scope))
    const settled = await Effect.runPromise(Gateway.awaitSettled().pipe(Effect.provide(services)))
    expect(settled.map((b) => [b.name, b.state])).toEqual([["acme", "up"], ["shared", "up"]])
  }, 90_000)
  afterAll(async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    await http?.kill()
  }, 30_000)

  /** Runs `f` with a client of the caller, under `protocolVersion`. */
  const as = <A>(
    who: Effect.Effect<Context.Context<never>, unknown>,
    f: (client: McpClient.McpClient) => Effect.Effect<A, unknown>,
    protocolVersion = "2025-11-25"
  ) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const context = yield* who
        const transport = yield* MemoryTransport.make({ context })
        const client = yield* McpClient.make({ transport, clientInfo: { name: "policy-test", version: "1.0.0" }, protocolVersion })
        return yield* f(client)
      }).pipe(Effect.scoped, Effect.provide(services)) as Effect.Effect<A>
    )

  const acmeMember = caller("alice", "acme", ["member"])
  const globexMember = caller("gina", "globex", ["member"])

  for (const protocolVersion of ["2025-11-25", "2026-07-28"]) {
    it(`a tenant's caller sees its backends and the shared ones; another tenant's only the shared ones (${protocolVersion})`, async () => {
      const acme = await as(acmeMember, (client) => client.listAllTools(), protocolVersion)
      const globex = await as(globexMember, (client) => client.listAllTools(), protocolVersion)
      const acmeNames = acme.map((tool) => tool.name)
      const globexNames = globex.map((tool) => tool.name)
      expect(acmeNames).toContain("acme_echo")
      expect(acmeNames).toContain("shared_echo")
      expect(globexNames).toContain("shared_echo")
      expect(globexNames.filter((name) => name.startsWith("acme_"))).toEqual([])
      expect(globexNames.length).toBeLessThan(acmeNames.length)
    })
  }

  it("prompts and resources of a tenant's backend are hidden from other tenants, and refused when asked for directly", async () => {
    const globex = await as(globexMember, (client) =>
      Effect.all({
        prompts: client.listAllPrompts(),
        resources: client.listAllResources(),
        // The URI of both backends is served by "acme" (the first by name), so it is acme's alone.
        read: Effect.exit(client.readResource("test://static-text")),
        prompt: Effect.exit(client.getPrompt("acme_test_simple_prompt", {})),
        complete: Effect.exit(client.complete({ ref: { type: "ref/prompt", name: "acme_test_prompt_with_arguments" }, argument: { name: "arg1", value: "" } })),
        // spec server/resources "Subscriptions": not subscribable either.
        subscribe: Effect.exit(client.subscribe("test://static-text"))
      }))
    expect(globex.prompts.map((p) => p.name)).toContain("shared_test_simple_prompt")
    expect(globex.prompts.filter((p) => p.name.startsWith("acme_"))).toEqual([])
    expect(globex.resources.map((r) => r.uri)).not.toContain("test://static-text")
    // spec server/resources "Error Handling": -32002 for a resource that is not found.
    expect(codeOf(globex.read)?.code).toBe(-32002)
    // spec server/prompts "Error Handling": an unknown prompt is -32602.
    expect(codeOf(globex.prompt)).toMatchObject({ code: -32602, message: "Unknown prompt: acme_test_simple_prompt" })
    expect(codeOf(globex.complete)).toMatchObject({ code: -32602, message: "Unknown prompt: acme_test_prompt_with_arguments" })
    expect(codeOf(globex.subscribe)?.code).toBe(-32002)
    const globexListen = await as(globexMember, (client) => Effect.scoped(Effect.map(client.listen({ resourceSubscriptions: ["test://static-text"] }), (s) => s.acknowledged)), "2026-07-28")
    expect(globexListen).toEqual({ resourceSubscriptions: [] })
    const acme = await as(acmeMember, (client) => client.readResource("test://static-text"))
    expect(acme.contents[0]).toMatchObject({ uri: "test://static-text" })
    const acmeListen = await as(acmeMember, (client) => Effect.scoped(Effect.map(client.listen({ resourceSubscriptions: ["test://static-text"] }), (s) => s.acknowledged)), "2026-07-28")
    expect(acmeListen).toEqual({ resourceSubscriptions: ["test://static-text"] })
  })

  it("a hidden tool called directly gets the very answer of a tool that does not exist (spec 2025-11-25 server/tools \"Error Handling\": -32602)", async () => {
    const seen = await as(globexMember, (client) =>
      Effect.all({
        hidden: Effect.exit(client.callTool("acme_echo", { message: "hi" })),
        missing: Effect.exit(client.callTool("acme_no_such_tool", { message: "hi" })),
        shared: client.callTool("shared_echo", { message: "hi" })
      }))
    expect(codeOf(seen.hidden)).toEqual({ code: -32602, message: "Unknown tool: acme_echo", data: undefined })
    expect(codeOf(seen.missing)).toEqual({ code: -32602, message: "Unknown tool: acme_no_such_tool", data: undefined })
    expect(seen.shared.content).toEqual([{ type: "text", text: "Echo: hi" }])
    const own = await as(acmeMember, (client) => client.callTool("acme_echo", { message: "mine" }))
    expect(own.content).toEqual([{ type: "text", text: "Echo: mine" }])
  })

  it("RBAC: a caller sees and reaches only what its roles grant, in its own tenant too", async () => {
    const seen = await as(caller("carol", "acme", ["echoer"]), (client) =>
      Effect.all({
        tools: client.listAllTools(),
        prompts: client.listAllPrompts(),
        echo: client.callTool("shared_echo", { message: "granted" }),
        own: Effect.exit(client.callTool("acme_echo", { message: "not granted" })),
        other: Effect.exit(client.callTool("shared_test_simple_text", {}))
      }))
    expect(seen.tools.map((tool) => tool.name)).toEqual(["shared_echo"])
    expect(seen.prompts.length).toBeGreaterThan(0)
    expect(seen.prompts.every((p) => p.name.startsWith("shared_"))).toBe(true)
    expect(seen.echo.content).toEqual([{ type: "text", text: "Echo: granted" }])
    expect(codeOf(seen.own)).toMatchObject({ code: -32602, message: "Unknown tool: acme_echo" })
    expect(codeOf(seen.other)).toMatchObject({ code: -32602, message: "Unknown tool: shared_test_simple_text" })
    // No role, no grant: nothing at all.
    const none = await as(caller("dave", "acme", []), (client) => client.listAllTools())
    expect(none).toEqual([])
  })

  it("rate limits are fair: a noisy tenant is refused once its budget is spent, another tenant's calls go through at once", async () => {
    const outcome = (client: McpClient.McpClient) =>
      Effect.map(Effect.exit(client.callTool("shared_echo", { message: "x" })), (exit) => (Exit.isSuccess(exit) ? "ok" : codeOf(exit)))
    const calls = (client: McpClient.McpClient, n: number) => Effect.forEach(Array.from({ length: n }), () => outcome(client))
    // Two callers of tenant initech: the first spends its own budget (8), the second the rest of the tenant's (12).
    const first = await as(caller("ivan", "initech", ["member"]), (client) => calls(client, 9))
    expect(first.slice(0, 8)).toEqual(Array(8).fill("ok"))
    expect(first[8]).toMatchObject({ code: -32000, data: { _tag: "RateLimited", limit: "gateway-principal" } })
    const second = await as(caller("irene", "initech", ["member"]), (client) => calls(client, 5))
    expect(second.slice(0, 4)).toEqual(Array(4).fill("ok"))
    expect(second[4]).toMatchObject({ code: -32000, data: { _tag: "RateLimited", limit: "gateway-tenant" } })
    // Tenant umbrella is untouched by initech's noise, and initech is still refused.
    const other = await as(caller("uma", "umbrella", ["member"]), (client) => calls(client, 3))
    expect(other).toEqual(["ok", "ok", "ok"])
    const still = await as(caller("ike", "initech", ["member"]), (client) => calls(client, 1))
    expect(still[0]).toMatchObject({ code: -32000, data: { _tag: "RateLimited", limit: "gateway-tenant" } })
    // Lists are not counted.
    const listed = await as(caller("ivan", "initech", ["member"]), (client) => client.listAllTools())
    expect(listed.map((tool) => tool.name)).toContain("shared_echo")
  })
})

describe("Policy decisions", () => {
  const acme = { name: "files", endpoint: { _tag: "Http", url: "http://127.0.0.1:1/mcp" }, tenant: "acme" } as const
  const shared = { name: "search", endpoint: { _tag: "Http", url: "http://127.0.0.1:2/mcp" } } as const
  const tool = { kind: "tool", name: "read" } as const

  it("tenant isolation: own and shared backends; no tenant, shared only; no principal, everything unless unauthenticated: shared", () => {
    const policy = Policy.make()
    expect(policy.reaches(Principal.make("a", [], "acme"), acme)).toBe(true)
    expect(policy.reaches(Principal.make("g", [], "globex"), acme)).toBe(false)
    expect(policy.reaches(Principal.make("g", [], "globex"), shared)).toBe(true)
    expect(policy.reaches(Principal.make("n"), acme)).toBe(false)
    expect(policy.reaches(Principal.make("n"), shared)).toBe(true)
    expect(policy.reaches(undefined, acme)).toBe(true)
    expect(Policy.make({ unauthenticated: "shared" }).reaches(undefined, acme)).toBe(false)
    expect(Policy.make({ unauthenticated: "shared" }).reaches(undefined, shared)).toBe(true)
    // A shared backend without RBAC or limits gets no middleware: lists stay cached for everyone.
    expect(policy.middleware(shared, tool)).toEqual([])
    expect(policy.middleware(acme, tool).length).toBe(1)
  })

  it("permissions: gateway:<backend>:<kind>:<name>, with : and % encoded so a URI is one segment", () => {
    expect(Policy.permission("files", tool)).toBe("gateway:files:tools:read")
    expect(Policy.permission("files", { kind: "prompt", name: "summarize" })).toBe("gateway:files:prompts:summarize")
    expect(Policy.permission("files", { kind: "resource", name: "file:///a%20b.txt" })).toBe("gateway:files:resources:file%3A///a%2520b.txt")
    expect(Policy.permission("files", { kind: "resourceTemplate", name: "file:///{path}" })).toBe("gateway:files:resources:file%3A///{path}")
    const policy = Policy.make({ rbac: Rbac.unsafeMake({ roles: { reader: { permissions: ["gateway:files:resources:file%3A///readme.md", "gateway:*:tools:read"] } } }) })
    const reader = Principal.make("r", [], { tenant: "acme", roles: ["reader"] })
    expect(policy.allows(reader, acme, { kind: "resource", name: "file:///readme.md" })).toBe(true)
    expect(policy.allows(reader, acme, { kind: "resource", name: "file:///other.md" })).toBe(false)
    expect(policy.allows(reader, acme, tool)).toBe(true)
    expect(policy.allows(reader, shared, tool)).toBe(true)
    expect(policy.allows(reader, shared, { kind: "tool", name: "write" })).toBe(false)
    // RBAC grants nothing to a caller without a principal, and the tenant still applies.
    expect(policy.allows(undefined, shared, tool)).toBe(false)
    expect(policy.allows(Principal.make("g", [], { tenant: "globex", roles: ["reader"] }), acme, tool)).toBe(false)
  })
})

describe("RegistrySync carries a registered backend's tenant", () => {
  it("a tenant's registered backend is that tenant's; one without a tenant is shared", async () => {
    const [owned, open] = await Effect.runPromise(Effect.gen(function*() {
      const registry = yield* Registry.makeMemory
      const owned = yield* registry.upsert({ name: "files", transport: "http", endpoint: { url: "http://127.0.0.1:1/mcp" }, tenant: "acme" })
      const open = yield* registry.upsert({ name: "search", transport: "http", endpoint: { url: "http://127.0.0.1:2/mcp" } })
      return [RegistrySync.toBackend(owned), RegistrySync.toBackend(open)] as const
    }))
    expect(owned.tenant).toBe("acme")
    expect(open.tenant).toBeUndefined()
    expect(Policy.make().reaches(Principal.make("g", [], "globex"), owned)).toBe(false)
  })
})
