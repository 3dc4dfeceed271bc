/**
 * The bearer guard over a real HttpTransport (spec 2025-11-25 and 2026-07-28
 * basic/authorization): RFC 9728 metadata at both well-known URLs, 401
 * challenges, sessions bound to their creator, and no handler ever run for
 * an unauthenticated request.
 */
import { McpServer, Tool } from "@emcee/core"
import { HttpTransport } from "@emcee/transport"
import { Effect, Exit, Layer, ManagedRuntime, Schema, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Authentication from "../src/Authentication.js"
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

const App = McpServer.register(Authentication.middleware, whoami).pipe(
  Layer.provideMerge(McpServer.layer({ name: "guarded", version: "1.0.0" })),
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
})
