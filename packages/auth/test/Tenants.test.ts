/**
 * Per-token tenants over a real HttpTransport on loopback (raw fetch): each
 * tenant's own server, complete isolation, tokens and tenants changed at
 * runtime without a restart, idle servers released and rebuilt, and an
 * event for each change.
 */
import { McpServer, Tool } from "@emcee/core"
import { HttpTransport } from "@emcee/transport"
import { Effect, Exit, Layer, ManagedRuntime, PubSub, Queue, Schema, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Authentication from "../src/Authentication.js"
import { type Authenticator, AuthenticationError, bearerToken } from "../src/Authenticator.js"
import * as Principal from "../src/Principal.js"
import * as Tenants from "../src/Tenants.js"

// --- tenants: tools that say whose server answered, and a lifecycle counter per tenant

const built: Record<string, number> = {}
const released: Record<string, number> = {}
const lifecycle = (tenant: string) =>
  Layer.scopedDiscard(Effect.acquireRelease(
    Effect.sync(() => {
      built[tenant] = (built[tenant] ?? 0) + 1
    }),
    () =>
      Effect.sync(() => {
        released[tenant] = (released[tenant] ?? 0) + 1
      })
  ))

const tool = (name: string) =>
  Tool.make(name, {
    input: Schema.Struct({}),
    handler: () => Effect.map(Principal.Principal, (p) => `${name} for ${p.subject}@${p.tenant}`)
  })

const definition = (tenant: string, ...tools: ReadonlyArray<string>): Tenants.Definition => ({
  layer: Layer.merge(McpServer.register(Authentication.middleware, ...tools.map(tool)), lifecycle(tenant))
})

/** The app's own credentials beside the registry: tokens whose identity names a tenant (as a JWT tenant claim would). */
const claims = new Map([
  ["carol-jwt", Principal.make("carol", [], { tenant: "acme", kind: "jwt" })],
  ["dave-jwt", Principal.make("dave", [], { tenant: "initech", kind: "jwt" })],
  ["erin-jwt", Principal.make("erin", [], { kind: "jwt" })]
])
const chain: Authenticator = {
  name: "claims",
  kind: "jwt",
  credential: bearerToken,
  verify: (token) =>
    Effect.suspend(() => {
      const identity = claims.get(token)
      return identity === undefined
        ? Effect.fail(new AuthenticationError({ reason: "invalid", description: "Unknown token" }))
        : Effect.succeed(identity)
    })
}

// --- HTTP helpers

const base = { "content-type": "application/json", accept: "application/json, text/event-stream" }
const VERSION = "2025-11-25"

const headersOf = (token: string | undefined, session?: string): Record<string, string> => ({
  ...base,
  ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  ...(session === undefined ? {} : { "mcp-session-id": session, "mcp-protocol-version": VERSION })
})

let url: string
let nextId = 100

const post = (token: string | undefined, body: unknown, session?: string) =>
  fetch(url, { method: "POST", headers: headersOf(token, session), body: JSON.stringify(body) })

const request = (method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: "2.0", id: nextId++, method, params })

/** Opens a session; returns its id. */
const initialize = async (token: string): Promise<string> => {
  const res = await post(token, request("initialize", { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "t", version: "1" } }))
  expect(res.status).toBe(200)
  const session = res.headers.get("mcp-session-id")!
  expect((await post(token, { jsonrpc: "2.0", method: "notifications/initialized" }, session)).status).toBe(202)
  return session
}

const toolNames = async (token: string, session: string): Promise<Array<string>> => {
  const res = await post(token, request("tools/list"), session)
  expect(res.status).toBe(200)
  const body = (await res.json()) as { result: { tools: Array<{ name: string }> } }
  return body.result.tools.map((t) => t.name).sort()
}

const callTool = async (token: string, session: string, name: string) => {
  const res = await post(token, request("tools/call", { name, arguments: {} }), session)
  return (await res.json()) as { result?: { content: Array<{ text: string }>; isError?: boolean }; error?: { code: number } }
}

/** A GET stream of a session, read in the background. */
const listen = async (token: string, session: string) => {
  const res = await fetch(url, {
    headers: { accept: "text/event-stream", authorization: `Bearer ${token}`, "mcp-session-id": session, "mcp-protocol-version": VERSION }
  })
  expect(res.status).toBe(200)
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ""
  let ended = false
  const done = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }))
      if (chunk.done) break
      text += decoder.decode(chunk.value, { stream: true })
    }
    ended = true
  })()
  return {
    text: () => text,
    ended: () => ended,
    /** Waits up to `millis` for the stream to carry `needle`. */
    waitFor: async (needle: string, millis = 3_000) => {
      const until = Date.now() + millis
      while (!text.includes(needle) && Date.now() < until && !ended) await sleep(20)
      return text.includes(needle)
    },
    /** Waits up to `millis` for the server to end the stream. */
    waitEnd: (millis = 3_000) => Promise.race([done.then(() => true), sleep(millis).then(() => false)]),
    cancel: () => reader.cancel().catch(() => undefined)
  }
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

// --- the server

const IDLE_MILLIS = 300

const runtime = ManagedRuntime.make(Layer.mergeAll(
  Tenants.layer({ server: { name: "hub", version: "1.0.0" } }),
  Authentication.layer([chain])
))
let registry: Tenants.Service
let events: Queue.Dequeue<Tenants.Event>
let stats: () => HttpTransport.Stats
let stop: () => Promise<void>

const run = <A, E>(effect: Effect.Effect<A, E, Tenants.Tenants>) => runtime.runPromise(effect)
const drain = () => runtime.runPromise(Queue.takeAll(events)).then((chunk) => [...chunk])

beforeAll(async () => {
  const scope = await runtime.runPromise(Scope.make())
  await run(Effect.gen(function*() {
    registry = yield* Tenants.Tenants
    events = yield* PubSub.subscribe(registry.events).pipe(Scope.extend(scope))
    yield* registry.add("acme", definition("acme", "acme_echo"))
    yield* registry.add("globex", definition("globex", "globex_echo"))
    yield* registry.add("idle", definition("idle", "idle_echo"))
    yield* registry.addToken("acme", "acme-token", { id: "acme-1", subject: "alice" })
    yield* registry.addToken("globex", "globex-token", { id: "globex-1", subject: "bob" })
    yield* registry.addToken("idle", "idle-token", { id: "idle-1" })
    const tenancy = yield* Tenants.tenancy({ idleTimeToLive: `${IDLE_MILLIS} millis` })
    const running = yield* HttpTransport.make({ tenancy, shutdownTimeout: "1 second" }).pipe(Scope.extend(scope))
    url = running.url
    stats = running.stats
  }))
  stop = async () => {
    await runtime.runPromise(Scope.close(scope, Exit.void))
    await runtime.dispose()
  }
})
afterAll(() => stop())

describe("Tenants: a token selects its own server", () => {
  it("each token lists and calls only its tenant's tools", async () => {
    const acme = await initialize("acme-token")
    const globex = await initialize("globex-token")
    expect(await toolNames("acme-token", acme)).toEqual(["acme_echo"])
    expect(await toolNames("globex-token", globex)).toEqual(["globex_echo"])
    expect((await callTool("acme-token", acme, "acme_echo")).result?.content[0]?.text).toBe("acme_echo for alice@acme")
    // Another tenant's tool does not exist on this server.
    const foreign = await callTool("acme-token", acme, "globex_echo")
    expect(foreign.error ?? foreign.result?.isError).toBeTruthy()
  })

  it("401 without a token or with an unknown one (RFC 6750 §3.1), before any server is built", async () => {
    const before = { ...built }
    const missing = await post(undefined, request("tools/list"))
    expect(missing.status).toBe(401)
    expect(missing.headers.get("www-authenticate")).toBe("Bearer")
    const forged = await post("forged", request("tools/list"))
    expect(forged.status).toBe(401)
    expect(forged.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/)
    expect(built).toEqual(before)
  })

  it("a session of one tenant is unknown to another's token: 404 on POST, GET and DELETE; the owner keeps it", async () => {
    const acme = await initialize("acme-token")
    const post404 = await post("globex-token", request("tools/list"), acme)
    expect(post404.status).toBe(404)
    const get404 = await fetch(url, { headers: { accept: "text/event-stream", authorization: "Bearer globex-token", "mcp-session-id": acme } })
    expect(get404.status).toBe(404)
    const delete404 = await fetch(url, { method: "DELETE", headers: { authorization: "Bearer globex-token", "mcp-session-id": acme } })
    expect(delete404.status).toBe(404)
    expect(await toolNames("acme-token", acme)).toEqual(["acme_echo"])
  })

  it("within a tenant, a session answers only the token that opened it (403, spec security_best_practices \"Session Hijacking\")", async () => {
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.addToken("acme", "acme-token-2", { id: "acme-2", subject: "alex" })))
    const acme = await initialize("acme-token")
    expect((await post("acme-token-2", request("tools/list"), acme)).status).toBe(403)
    const own = await initialize("acme-token-2")
    expect((await callTool("acme-token-2", own, "acme_echo")).result?.content[0]?.text).toBe("acme_echo for alex@acme")
  })

  it("serves 2026-07-28 requests (no session) from the token's tenant too", async () => {
    const meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": {}
    }
    const call = (token: string, name: string) =>
      fetch(url, {
        method: "POST",
        headers: { ...base, authorization: `Bearer ${token}`, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name },
        body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name, arguments: {}, _meta: meta } })
      })
    const own = await call("globex-token", "globex_echo")
    expect(own.status).toBe(200)
    expect(await own.json()).toMatchObject({ result: { content: [{ text: "globex_echo for bob@globex" }] } })
    const foreign = await (await call("globex-token", "acme_echo")).json() as { error?: unknown; result?: { isError?: boolean } }
    expect(foreign.error ?? foreign.result?.isError).toBeTruthy()
  })

  it("credentials of the app's Authentication chain select the tenant their Principal names; an unregistered or absent tenant is 403", async () => {
    const carol = await initialize("carol-jwt")
    expect(await toolNames("carol-jwt", carol)).toEqual(["acme_echo"])
    expect((await callTool("carol-jwt", carol, "acme_echo")).result?.content[0]?.text).toBe("acme_echo for carol@acme")
    expect((await post("dave-jwt", request("tools/list"))).status).toBe(403)
    expect((await post("erin-jwt", request("tools/list"))).status).toBe(403)
  })
})

describe("Tenants: changes at runtime, without a restart", () => {
  it("updating a tenant moves its sessions to the new tools with tools/list_changed; other tenants' sessions hear nothing", async () => {
    const acme = await initialize("acme-token")
    const globex = await initialize("globex-token")
    const acmeStream = await listen("acme-token", acme)
    const globexStream = await listen("globex-token", globex)
    await drain()
    const releasedBefore = released.acme ?? 0
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.update("acme", definition("acme", "acme_echo", "acme_report"))))
    // spec server/tools "List Changed Notification".
    expect(await acmeStream.waitFor("notifications/tools/list_changed")).toBe(true)
    expect(await toolNames("acme-token", acme)).toEqual(["acme_echo", "acme_report"])
    expect((await callTool("acme-token", acme, "acme_report")).result?.content[0]?.text).toBe("acme_report for alice@acme")
    // The old definition's Layer was released, the new one built, in the same server.
    expect(released.acme).toBe(releasedBefore + 1)
    await sleep(200)
    expect(globexStream.text()).not.toContain("list_changed")
    expect(await toolNames("globex-token", globex)).toEqual(["globex_echo"])
    expect(await drain()).toContainEqual({ _tag: "TenantUpdated", tenant: "acme", inPlace: true })
    await acmeStream.cancel()
    await globexStream.cancel()
  })

  it("an update whose definition fails to build keeps the old one and fails with TenantError", async () => {
    const acme = await initialize("acme-token")
    const before = await toolNames("acme-token", acme)
    const broken: Tenants.Definition = { layer: Layer.fail("boom") }
    const error = await run(Effect.flip(Effect.flatMap(Tenants.Tenants, (t) => t.update("acme", broken))))
    expect(error).toMatchObject({ _tag: "TenantError", reason: "build", tenant: "acme" })
    expect(await toolNames("acme-token", acme)).toEqual(before)
  })

  it("an update of the server options ends the tenant's sessions (404: the client initializes again on the new server)", async () => {
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.add("hooli", definition("hooli", "hooli_echo"))))
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.addToken("hooli", "hooli-token")))
    const session = await initialize("hooli-token")
    await drain()
    await run(Effect.flatMap(Tenants.Tenants, (t) =>
      t.update("hooli", { ...definition("hooli", "hooli_echo"), server: { name: "hooli-2", version: "2.0.0" } })))
    await sleep(100)
    expect((await post("hooli-token", request("tools/list"), session)).status).toBe(404)
    const res = await post("hooli-token", request("initialize", { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "t", version: "1" } }))
    expect(await res.json()).toMatchObject({ result: { serverInfo: { name: "hooli-2", version: "2.0.0" } } })
    expect(await drain()).toEqual(expect.arrayContaining([
      { _tag: "TenantUpdated", tenant: "hooli", inPlace: false },
      { _tag: "ServerStopped", tenant: "hooli" },
      { _tag: "ServerStarted", tenant: "hooli" }
    ]))
  })

  it("a token added at runtime works at once", async () => {
    expect((await post("late-token", request("tools/list"))).status).toBe(401)
    await drain()
    const id = await run(Effect.flatMap(Tenants.Tenants, (t) => t.addToken("globex", "late-token", { subject: "late" })))
    expect(id).toMatch(/^tok_[0-9a-f]{12}$/)
    const session = await initialize("late-token")
    expect(await toolNames("late-token", session)).toEqual(["globex_echo"])
    const added = await drain()
    expect(added).toEqual([{ _tag: "TokenAdded", tenant: "globex", tokenId: id }])
    expect(JSON.stringify(added)).not.toContain("late-token")
  })

  it("a revoked token is refused (401) and the sessions it opened end; the tenant's other sessions go on", async () => {
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.addToken("globex", "doomed-token", { id: "doomed" })))
    const doomed = await initialize("doomed-token")
    const other = await initialize("globex-token")
    const stream = await listen("doomed-token", doomed)
    const sessionsBefore = stats().sessions
    await drain()
    expect(await run(Effect.flatMap(Tenants.Tenants, (t) => t.revokeToken("doomed-token")))).toBe(true)
    expect(await stream.waitEnd()).toBe(true)
    expect(stats().sessions).toBe(sessionsBefore - 1)
    const refused = await post("doomed-token", request("tools/list"), doomed)
    expect(refused.status).toBe(401)
    expect(refused.headers.get("www-authenticate")).toMatch(/error="invalid_token"/)
    expect(await toolNames("globex-token", other)).toEqual(["globex_echo"])
    expect(await drain()).toEqual([{ _tag: "TokenRevoked", tenant: "globex", tokenId: "doomed" }])
    expect(await run(Effect.flatMap(Tenants.Tenants, (t) => t.revokeToken("doomed-token")))).toBe(false)
  })

  it("removing a tenant revokes its tokens and ends its sessions; adding it back serves it again", async () => {
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.add("umbrella", definition("umbrella", "umbrella_echo"))))
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.addToken("umbrella", "umbrella-token", { id: "umbrella-1" })))
    const session = await initialize("umbrella-token")
    const stream = await listen("umbrella-token", session)
    const releasedBefore = released.umbrella ?? 0
    await drain()
    expect(await run(Effect.flatMap(Tenants.Tenants, (t) => t.remove("umbrella")))).toBe(true)
    expect(await stream.waitEnd()).toBe(true)
    expect((await post("umbrella-token", request("tools/list"), session)).status).toBe(401)
    await sleep(50)
    expect(released.umbrella).toBe(releasedBefore + 1)
    expect(await drain()).toEqual(expect.arrayContaining([
      { _tag: "TokenRevoked", tenant: "umbrella", tokenId: "umbrella-1" },
      { _tag: "TenantRemoved", tenant: "umbrella" },
      { _tag: "ServerStopped", tenant: "umbrella" }
    ]))
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.add("umbrella", definition("umbrella", "umbrella_echo", "umbrella_more"))))
    await run(Effect.flatMap(Tenants.Tenants, (t) => t.addToken("umbrella", "umbrella-token")))
    const again = await initialize("umbrella-token")
    expect(await toolNames("umbrella-token", again)).toEqual(["umbrella_echo", "umbrella_more"])
  })

  it("registry errors: a taken tenant id, an unknown tenant, a token registered twice", async () => {
    const t = await run(Tenants.Tenants)
    expect(await run(Effect.flip(t.add("acme", definition("acme"))))).toMatchObject({ reason: "exists" })
    expect(await run(Effect.flip(t.update("nobody", definition("nobody"))))).toMatchObject({ reason: "unknown" })
    expect(await run(Effect.flip(t.addToken("nobody", "x-token")))).toMatchObject({ reason: "unknown" })
    const twice = await run(Effect.flip(t.addToken("globex", "acme-token")))
    expect(twice).toMatchObject({ reason: "token-exists" })
    expect(twice.message).not.toContain("acme-token")
    expect(await run(t.remove("nobody"))).toBe(false)
  })
})

describe("Tenants: idle servers", () => {
  it("a tenant's server is built on first use, released when idle, and rebuilt on the next request", async () => {
    const call = () => post("idle-token", request("initialize", { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "t", version: "1" } }))
    const first = await call()
    expect(first.status).toBe(200)
    const session = first.headers.get("mcp-session-id")!
    expect(built.idle).toBe(1)
    // An open session keeps it.
    await sleep(IDLE_MILLIS * 2)
    expect(released.idle ?? 0).toBe(0)
    expect((await fetch(url, { method: "DELETE", headers: { authorization: "Bearer idle-token", "mcp-session-id": session } })).status).toBe(204)
    await drain()
    // idleTimeToLive with nothing open, then the sweep (every idleTimeToLive / 4).
    await sleep(IDLE_MILLIS * 2)
    expect(released.idle).toBe(1)
    expect(await drain()).toContainEqual({ _tag: "ServerStopped", tenant: "idle" })
    const again = await call()
    expect(again.status).toBe(200)
    expect(built.idle).toBe(2)
    expect(await drain()).toContainEqual({ _tag: "ServerStarted", tenant: "idle" })
  })
})
