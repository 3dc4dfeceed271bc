/**
 * The bearer guard over a real HttpTransport (spec 2025-11-25 and 2026-07-28
 * basic/authorization): RFC 9728 metadata at both well-known URLs, 401
 * challenges, sessions bound to their creator, and no handler ever run for
 * an unauthenticated request.
 */
import { Elicitation, McpServer, Tool } from "@emcee/core"
import { HttpTransport } from "@emcee/transport"
import { Effect, Exit, Layer, ManagedRuntime, Schema, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Authentication from "../src/Authentication.js"
import * as Authorization from "../src/Authorization.js"
import { type Authenticator, AuthenticationError, bearerToken } from "../src/Authenticator.js"
import * as BearerGuard from "../src/BearerGuard.js"
import * as Principal from "../src/Principal.js"

/** A user's own authenticator: opaque tokens looked up in a table, counting verifications. */
const tokens = new Map([
  ["alice-token", Principal.make("alice", ["files:read"], { kind: "opaque-token" })],
  ["bob-token", Principal.make("bob", ["files:read"], { kind: "opaque-token" })]
])
let verifications = 0
const table: Authenticator = {
  name: "table",
  kind: "opaque-token",
  credential: bearerToken,
  verify: (token) =>
    Effect.suspend(() => {
      verifications++
      const identity = tokens.get(token)
      return identity === undefined
        ? Effect.fail(new AuthenticationError({ reason: "invalid", description: "Unknown token" }))
        : Effect.succeed(identity)
    }).pipe(Effect.delay("5 millis"))
}

let handlerRuns = 0
const whoami = Tool.make("whoami", {
  input: Schema.Struct({}),
  handler: () =>
    Effect.map(Principal.Principal, (p) => {
      handlerRuns++
      return p.subject
    })
})

const RESOURCE_PATH = "/tenant/mcp"

const remove = Tool.make("remove", {
  input: Schema.Struct({ path: Schema.String }),
  middleware: [Authorization.require({ scopes: ["files:write", "files:delete"] })],
  handler: ({ path }) => Effect.sync(() => (handlerRuns++, `removed ${path}`))
})

const confirm = Tool.make("confirm", {
  input: Schema.Struct({}),
  handler: () =>
    Effect.map(Elicitation.form("Sure?", Schema.Struct({ yes: Schema.Boolean }), { inputKey: "sure" }), (answer) => {
      handlerRuns++
      return `answer ${JSON.stringify(answer.action === "accept" ? answer.content : null)}`
    })
})

const slow = Tool.make("slow", {
  input: Schema.Struct({}),
  task: { support: "optional" },
  handler: () => Effect.as(Effect.sleep("50 millis"), "done")
})

const App = McpServer.register(Authentication.middleware, whoami, remove, confirm, slow).pipe(
  Layer.provideMerge(McpServer.layer({ name: "guarded", version: "1.0.0", tasks: { ttlMs: 60_000 } })),
  Layer.provideMerge(Authentication.layer([table]))
)

const json = { "content-type": "application/json", accept: "application/json, text/event-stream" }
const init = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } }
})

describe("BearerGuard (spec basic/authorization)", () => {
  let url: string
  let origin: string
  let stop: () => Promise<void>
  beforeAll(async () => {
    const runtime = ManagedRuntime.make(App)
    const scope = await runtime.runPromise(Scope.make())
    const running = await runtime.runPromise(
      Effect.gen(function*() {
        const guard = yield* BearerGuard.make({
          resource: "https://mcp.example.com/tenant/mcp",
          authorizationServers: ["https://auth.example.com"],
          scopesSupported: ["files:read", "files:write"],
          challengeScopes: ["files:read"]
        })
        return yield* HttpTransport.make({ path: RESOURCE_PATH, guard })
      }).pipe(Scope.extend(scope))
    )
    url = running.url
    origin = new URL(url).origin
    stop = async () => {
      await runtime.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  })
  afterAll(() => stop())

  it("401 without a token, with resource_metadata and scope in WWW-Authenticate (\"Protected Resource Metadata Discovery\")", async () => {
    const before = handlerRuns
    const res = await fetch(url, { method: "POST", headers: json, body: JSON.stringify(init(1)) })
    expect(res.status).toBe(401)
    expect(res.headers.get("www-authenticate")).toBe(
      `Bearer scope="files:read", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/tenant/mcp"`
    )
    expect(handlerRuns).toBe(before)
  })

  it("serves RFC 9728 metadata at the path-inserted and the root well-known URL", async () => {
    for (const path of ["/.well-known/oauth-protected-resource/tenant/mcp", "/.well-known/oauth-protected-resource"]) {
      const res = await fetch(`${origin}${path}`)
      expect(res.status).toBe(200)
      expect(res.headers.get("content-type")).toBe("application/json")
      expect(await res.json()).toEqual({
        resource: "https://mcp.example.com/tenant/mcp",
        authorization_servers: ["https://auth.example.com"],
        scopes_supported: ["files:read", "files:write"],
        bearer_methods_supported: ["header"]
      })
    }
    expect((await fetch(`${origin}/.well-known/oauth-protected-resource/other`)).status).toBe(404)
  })

  it("401 invalid_token for a token the authenticators refuse (RFC 6750 §3.1), no handler run", async () => {
    const before = handlerRuns
    const res = await fetch(url, { method: "POST", headers: { ...json, authorization: "Bearer forged" }, body: JSON.stringify(init(1)) })
    expect(res.status).toBe(401)
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token", error_description="Unknown token", resource_metadata="/)
    expect(handlerRuns).toBe(before)
  })

  it("lets a valid token in; the handler sees the Principal; the second request is verified from the cache", async () => {
    const headers = { ...json, authorization: "Bearer alice-token" }
    const initialized = await fetch(url, { method: "POST", headers, body: JSON.stringify(init(1)) })
    expect(initialized.status).toBe(200)
    const session = initialized.headers.get("mcp-session-id")!
    const sessionHeaders = { ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" }
    await fetch(url, { method: "POST", headers: sessionHeaders, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })
    const counted = verifications
    const res = await fetch(url, {
      method: "POST",
      headers: sessionHeaders,
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "whoami", arguments: {} } })
    })
    expect(await res.json()).toMatchObject({ id: 2, result: { content: [{ type: "text", text: "alice" }] } })
    expect(verifications).toBe(counted)
  })

  it("a session answers only its creator: bob's token on alice's session is 403 (spec security_best_practices \"Session Hijacking\")", async () => {
    const alice = { ...json, authorization: "Bearer alice-token" }
    const initialized = await fetch(url, { method: "POST", headers: alice, body: JSON.stringify(init(1)) })
    const session = initialized.headers.get("mcp-session-id")!
    const before = handlerRuns
    const call = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "whoami", arguments: {} } })
    const bob = { ...json, authorization: "Bearer bob-token", "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" }
    const res = await fetch(url, { method: "POST", headers: bob, body: call })
    expect(res.status).toBe(403)
    const get = await fetch(url, { method: "GET", headers: { accept: "text/event-stream", authorization: "Bearer bob-token", "mcp-session-id": session } })
    expect(get.status).toBe(403)
    const del = await fetch(url, { method: "DELETE", headers: { authorization: "Bearer bob-token", "mcp-session-id": session } })
    expect(del.status).toBe(403)
    expect(handlerRuns).toBe(before)
    // Alice's session is still hers.
    const mine = await fetch(url, { method: "POST", headers: { ...alice, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" }, body: call })
    expect(mine.status).toBe(200)
  })

  it("guards 2026-07-28 requests too (no session): 401 without a token, the Principal with one", async () => {
    const meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": {}
    }
    const body = JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "whoami", arguments: {}, _meta: meta } })
    const headers = { ...json, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "whoami" }
    const refused = await fetch(url, { method: "POST", headers, body })
    expect(refused.status).toBe(401)
    const res = await fetch(url, { method: "POST", headers: { ...headers, authorization: "Bearer bob-token" }, body })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 9, result: { content: [{ type: "text", text: "bob" }] } })
  })

  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } }
  }
  const modern = (name: string, token: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    fetch(url, {
      method: "POST",
      headers: { ...json, authorization: `Bearer ${token}`, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name },
      body: JSON.stringify({ jsonrpc: "2.0", id: 21, method: "tools/call", params: { name, arguments: args, ...extra, _meta: meta } })
    })

  it("403 insufficient_scope naming every required scope, on the HTTP response (spec 2026-07-28 basic/authorization \"Runtime Insufficient Scope Errors\")", async () => {
    const before = handlerRuns
    const res = await modern("remove", "alice-token", { path: "/a" })
    expect(res.status).toBe(403)
    expect(res.headers.get("www-authenticate")).toMatch(
      /^Bearer error="insufficient_scope", scope="files:write files:delete", error_description="[^"]+", resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/tenant\/mcp"$/
    )
    expect(await res.json()).toMatchObject({ id: 21, error: { code: -32000, data: { _tag: "Forbidden", reason: "insufficient_scope", requiredScopes: ["files:write", "files:delete"] } } })
    // Under 2025-11-25 too, on a session.
    const alice = { ...json, authorization: "Bearer alice-token" }
    const initialized = await fetch(url, { method: "POST", headers: alice, body: JSON.stringify(init(1)) })
    const session = { ...alice, "mcp-session-id": initialized.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" }
    const legacy = await fetch(url, {
      method: "POST",
      headers: session,
      body: JSON.stringify({ jsonrpc: "2.0", id: 22, method: "tools/call", params: { name: "remove", arguments: { path: "/a" } } })
    })
    expect(legacy.status).toBe(403)
    expect(legacy.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="files:write files:delete"')
    expect(handlerRuns).toBe(before)
  })

  it("a requestState is bound to the caller it was issued to: another caller's token with it is -32602 (spec 2026-07-28 basic/patterns/mrtr \"Server Requirements\")", async () => {
    const first = await (await modern("confirm", "alice-token", {})).json() as { result: { resultType: string; requestState: string } }
    expect(first.result.resultType).toBe("input_required")
    const answer = { inputResponses: { sure: { action: "accept", content: { yes: true } } }, requestState: first.result.requestState }
    const before = handlerRuns
    const stolen = await (await modern("confirm", "bob-token", {}, answer)).json() as { error?: { code: number; message: string } }
    expect(stolen.error).toMatchObject({ code: -32602, message: expect.stringContaining("requestState refused") })
    expect(handlerRuns).toBe(before)
    const own = await (await modern("confirm", "alice-token", {}, answer)).json()
    expect(own).toMatchObject({ result: { resultType: "complete", content: [{ type: "text", text: 'answer {"yes":true}' }] } })
  })

  it("a task is bound to the caller that created it: another caller's tasks/get is -32602 (spec 2025-11-25 basic/utilities/tasks \"Security\")", async () => {
    const extension = "io.modelcontextprotocol/tasks"
    const taskMeta = { ...meta, "io.modelcontextprotocol/clientCapabilities": { extensions: { [extension]: {} } } }
    const send = (token: string, method: string, params: Record<string, unknown>, name: string) =>
      fetch(url, {
        method: "POST",
        headers: { ...json, authorization: `Bearer ${token}`, "mcp-protocol-version": "2026-07-28", "mcp-method": method, "mcp-name": name },
        body: JSON.stringify({ jsonrpc: "2.0", id: 31, method, params: { ...params, _meta: taskMeta } })
      }).then((res) => res.json() as Promise<{ result?: Record<string, unknown>; error?: { code: number } }>)
    const created = await send("alice-token", "tools/call", { name: "slow", arguments: {} }, "slow")
    expect(created.result).toMatchObject({ resultType: "task" })
    const taskId = created.result!.taskId as string
    expect((await send("bob-token", "tasks/get", { taskId }, taskId)).error?.code).toBe(-32602)
    expect((await send("alice-token", "tasks/get", { taskId }, taskId)).result).toMatchObject({ taskId })
  })
})
