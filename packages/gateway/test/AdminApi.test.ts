/**
 * The gateway's REST surface over real HTTP (HttpTransport serving the app
 * beside /mcp): the admin API's CRUD, validation, bearer authentication,
 * discovery, snapshots, statistics and audit queries; the official MCP
 * registry read API (modelcontextprotocol/registry
 * docs/reference/api/openapi.yaml: /v0.1/servers, /versions,
 * /versions/{version}); the OpenAPI document; and the same surface on the
 * PostgreSQL registry.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { McpServer } from "@emcee/core"
import * as HttpTransport from "@emcee/transport/HttpTransport"
import { Effect, Exit, Layer, Option, Redacted, type Scope } from "effect"
import * as fc from "fast-check"
import * as AdminApi from "../src/AdminApi.js"
import * as AuditLog from "../src/AuditLog.js"
import * as Gateway from "../src/Gateway.js"
import * as Registry from "../src/Registry.js"
import { encodePlainServerName } from "../src/internal/officialRegistry.js"
import { clientLayer, type StartedPostgres, startPostgres } from "../../auth/test/support/postgres.js"

const token = "s3cret-admin-token"
const auth = { authorization: `Bearer ${token}` }

const Services = Layer.mergeAll(Registry.memory, AuditLog.memory({ flushInterval: "20 millis", recordArguments: true }))

/** The app served by HttpTransport on a free port (with a trivial MCP server on /mcp), for the scope. */
const serve = (options: AdminApi.Options = { adminToken: Redacted.make(token), publicUrl: "https://gw.example/mcp" }) =>
  Effect.gen(function*() {
    const app = yield* AdminApi.app(options)
    const http = yield* HttpTransport.make({ app }).pipe(Effect.provide(McpServer.layer({ name: "gateway", version: "1.0.0" })))
    return `http://127.0.0.1:${http.port}`
  })

interface Reply {
  readonly status: number
  readonly headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, walked by the assertions
  readonly body: any
}

const request = (base: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
  Effect.promise(async (): Promise<Reply> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(options.body === undefined ? {} : { "content-type": "application/json" }), ...options.headers },
      ...(options.body === undefined ? {} : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) })
    })
    const text = await response.text()
    let body: unknown = text
    try {
      body = text === "" ? undefined : JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body }
  })

const admin = (base: string) => ({
  get: (path: string) => request(base, "GET", `/admin/v1${path}`, { headers: auth }),
  put: (path: string, body: unknown) => request(base, "PUT", `/admin/v1${path}`, { headers: auth, body }),
  del: (path: string) => request(base, "DELETE", `/admin/v1${path}`, { headers: auth })
})

const http = (name: string, extra: Partial<Registry.BackendInput> = {}): Registry.BackendInput => ({
  name,
  transport: "http",
  endpoint: { url: `http://127.0.0.1:9/${name}` },
  ...extra
})

const snapshot = (extra: Partial<Registry.Snapshot> = {}): Registry.Snapshot => ({
  tools: [],
  resources: [],
  resourceTemplates: [],
  prompts: [],
  capabilities: {},
  serverInfo: { name: "backend", version: "1.0.0" },
  protocolVersion: "2025-11-25",
  refreshedAt: new Date("2026-01-02T03:04:05.678Z"),
  ...extra
})

const tool = (name: string) => ({ name, inputSchema: { type: "object" as const } })

const scoped = <A, E>(effect: Effect.Effect<A, E, Registry.Registry | AuditLog.AuditLog | Scope.Scope>) =>
  Effect.scoped(Effect.provide(effect, Services))

describe("AdminApi: backends CRUD", () => {
  it.live("PUT registers (name from the path), GET reads, list filters, PUT replaces keeping createdAt, DELETE removes", () =>
    scoped(Effect.gen(function*() {
      const base = yield* serve()
      const api = admin(base)

      const created = yield* api.put("/backends/weather", {
        transport: "http",
        endpoint: { url: "http://127.0.0.1:3001/mcp" },
        tags: ["forecast"],
        description: "Weather forecasts"
      })
      expect(created.status).toBe(200)
      expect(created.body).toMatchObject({ name: "weather", version: "0.0.0", tags: ["forecast"], tenant: null, enabled: true, weight: 1 })
      yield* api.put("/backends/acme-crm", { ...http("acme-crm"), tenant: "acme", enabled: false })
      yield* api.put("/backends/files", { name: "files", transport: "stdio", endpoint: { command: "node", args: ["files.js"] } })

      const got = yield* api.get("/backends/weather")
      expect(got.status).toBe(200)
      expect(got.body).toEqual(created.body)

      const names = (reply: Reply) => (reply.body.backends as Array<{ name: string }>).map((backend) => backend.name)
      expect(names(yield* api.get("/backends"))).toEqual(["acme-crm", "files", "weather"])
      expect(names(yield* api.get("/backends?tag=forecast"))).toEqual(["weather"])
      expect(names(yield* api.get("/backends?enabled=false"))).toEqual(["acme-crm"])
      expect(names(yield* api.get("/backends?tenant=acme"))).toEqual(["acme-crm", "files", "weather"])
      expect(names(yield* api.get("/backends?tenant=other"))).toEqual(["files", "weather"])

      yield* Effect.sleep("5 millis")
      const updated = yield* api.put("/backends/weather", { transport: "http", endpoint: { url: "http://127.0.0.1:3002/mcp" }, version: "2.0.0" })
      expect(updated.status).toBe(200)
      expect(updated.body.version).toBe("2.0.0")
      expect(updated.body.tags).toEqual([])
      expect(updated.body.createdAt).toBe(created.body.createdAt)
      expect(updated.body.updatedAt > created.body.updatedAt).toBe(true)

      const removed = yield* api.del("/backends/weather")
      expect(removed.status).toBe(204)
      const gone = yield* api.get("/backends/weather")
      expect(gone.status).toBe(404)
      expect(gone.body).toEqual({ _tag: "NotFound", message: `No backend named "weather"` })
      expect((yield* api.del("/backends/weather")).status).toBe(404)
      expect((yield* api.get("/backends/no-such")).status).toBe(404)
    })))

  it.live("responses never carry a backend's secrets; the registry keeps them", () =>
    scoped(Effect.gen(function*() {
      const base = yield* serve()
      const api = admin(base)
      const put = yield* api.put("/backends/tools", {
        transport: "stdio",
        endpoint: { command: "node", args: ["tools.js"], env: { API_KEY: "k-123", REGION: "eu" } },
        credentials: { kind: "client_credentials", tokenUrl: "https://auth.example/token", clientId: "gw", clientSecret: "cs-456" }
      })
      expect(put.status).toBe(200)
      expect(put.body.endpoint.env).toEqual({ API_KEY: "[REDACTED]", REGION: "eu" })
      expect(put.body.credentials).toEqual({ kind: "client_credentials", tokenUrl: "https://auth.example/token", clientId: "gw" })
      const text = JSON.stringify((yield* api.get("/backends")).body)
      expect(text).not.toContain("k-123")
      expect(text).not.toContain("cs-456")

      const registry = yield* Registry.Registry
      const stored = Option.getOrThrow(yield* registry.get("tools"))
      expect(stored.credentials).toMatchObject({ clientSecret: "cs-456" })
      expect(stored.endpoint).toMatchObject({ env: { API_KEY: "k-123" } })
    })))
})

describe("AdminApi: validation (400 naming the field)", () => {
  it.live("rejects bad bodies, bad names and bad query parameters with a message naming the field", () =>
    scoped(Effect.gen(function*() {
      const base = yield* serve()
      const api = admin(base)

      const weight = yield* api.put("/backends/a", { ...http("a"), weight: -1 })
      expect(weight.status).toBe(400)
      expect(weight.body.message).toContain("weight")

      const typo = yield* api.put("/backends/a", { ...http("a"), tag: ["x"] })
      expect(typo.status).toBe(400)
      expect(typo.body.message).toContain("tag")

      const missing = yield* api.put("/backends/a", { endpoint: { url: "http://127.0.0.1:1/mcp" } })
      expect(missing.status).toBe(400)
      expect(missing.body.message).toContain("transport")

      const url = yield* api.put("/backends/a", { transport: "http", endpoint: { url: "ftp://example/mcp" } })
      expect(url.status).toBe(400)
      expect(url.body.message).toContain("url")

      const mismatch = yield* api.put("/backends/a", { transport: "stdio", endpoint: { url: "http://127.0.0.1:1/mcp" } })
      expect(mismatch.status).toBe(400)
      expect(mismatch.body.message).toContain("endpoint")

      const renamed = yield* api.put("/backends/a", http("b"))
      expect(renamed.status).toBe(400)
      expect(renamed.body).toMatchObject({ _tag: "BadRequest" })
      expect(renamed.body.message).toMatch(/^name: /)

      const badName = yield* api.put("/backends/has%20space", { transport: "http", endpoint: { url: "http://127.0.0.1:1/mcp" } })
      expect(badName.status).toBe(400)
      expect(badName.body.message).toMatch(/^name: /)

      // One rule with the gateway's (`Backend.invalidName`): a name starting with `_`, `-` or `.` is never served, so it is refused.
      for (const name of ["_x", "-x", ".x"]) {
        const refused = yield* api.put(`/backends/${name}`, { transport: "http", endpoint: { url: "http://127.0.0.1:1/mcp" } })
        expect(refused.status).toBe(400)
        expect(refused.body).toEqual({
          _tag: "BadRequest",
          message: `name: "${name}" is not a valid backend name: use 1 to 64 letters, digits, _, - or . (starting with a letter or digit)`
        })
      }
      const inBody = yield* api.put("/backends/a", { ...http("_x") })
      expect(inBody.status).toBe(400)
      expect(inBody.body.message).toContain(`"_x" is not a valid backend name`)
      const registry = yield* Registry.Registry
      const direct = yield* Effect.flip(registry.upsert(http("_x")))
      expect(direct).toMatchObject({ reason: "invalid", message: expect.stringContaining("(starting with a letter or digit)") })
      const instance = yield* Effect.flip(registry.upsert(http("a", { instances: [{ id: "_i", endpoint: { url: "http://127.0.0.1:1/mcp" } }] })))
      expect(instance.message).toContain(`"_i" is not a valid backend name`)

      const notJson = yield* request(base, "PUT", "/admin/v1/backends/a", { headers: auth, body: "{not json" })
      expect(notJson.status).toBe(400)

      const enabled = yield* api.get("/backends?enabled=maybe")
      expect(enabled.status).toBe(400)
      expect(enabled.body.message).toContain("enabled")

      const limit = yield* api.get("/audit?limit=0")
      expect(limit.status).toBe(400)
      expect(limit.body.message).toContain("limit")

      const since = yield* api.get("/audit?since=yesterday")
      expect(since.status).toBe(400)
      expect(since.body.message).toContain("since")

      // Nothing was registered by any of them.
      expect((yield* api.get("/backends")).body).toEqual({ backends: [] })
    })))
})

describe("AdminApi: authentication (RFC 6750)", () => {
  it.live("401 with WWW-Authenticate: Bearer without a token, with a wrong one, with another scheme; before any validation", () =>
    scoped(Effect.gen(function*() {
      const base = yield* serve()
      const none = yield* request(base, "GET", "/admin/v1/backends")
      expect(none.status).toBe(401)
      expect(none.headers.get("www-authenticate")).toBe(`Bearer realm="emcee-gateway"`)
      expect(none.body).toMatchObject({ _tag: "Unauthorized" })

      const wrong = yield* request(base, "GET", "/admin/v1/backends", { headers: { authorization: "Bearer nope" } })
      expect(wrong.status).toBe(401)
      expect(wrong.headers.get("www-authenticate")).toBe(`Bearer realm="emcee-gateway", error="invalid_token"`)

      const prefix = yield* request(base, "GET", "/admin/v1/backends", { headers: { authorization: `Bearer ${token}x` } })
      expect(prefix.status).toBe(401)

      const basic = yield* request(base, "GET", "/admin/v1/backends", { headers: { authorization: `Basic ${token}` } })
      expect(basic.status).toBe(401)

      const lower = yield* request(base, "GET", "/admin/v1/backends", { headers: { authorization: `bearer ${token}` } })
      expect(lower.status).toBe(200)

      // Authentication comes first: an unauthenticated bad body is a 401, and nothing is written.
      const write = yield* request(base, "PUT", "/admin/v1/backends/x", { body: { weight: -1 } })
      expect(write.status).toBe(401)
      for (const path of ["/backends/x", "/backends/x/snapshot", "/discover", "/stats", "/audit"]) {
        expect((yield* request(base, "GET", `/admin/v1${path}`)).status).toBe(401)
      }
      expect((yield* request(base, "DELETE", "/admin/v1/backends/x")).status).toBe(401)

      // The OpenAPI document and the registry API are public.
      expect((yield* request(base, "GET", "/admin/v1/openapi.json")).status).toBe(200)
      expect((yield* request(base, "GET", "/v0.1/servers")).status).toBe(200)
    })))

  it.live("allowUnauthenticated opens the admin API; a missing adminToken without it is refused", () =>
    scoped(Effect.gen(function*() {
      const base = yield* serve({ allowUnauthenticated: true })
      expect((yield* request(base, "GET", "/admin/v1/backends")).status).toBe(200)
      const refused = yield* Effect.exit(Effect.scoped(AdminApi.app({} as AdminApi.Options)))
      expect(Exit.isFailure(refused)).toBe(true)
      const badNamespace = yield* Effect.exit(Effect.scoped(AdminApi.app({ allowUnauthenticated: true, namespace: "no/slash" })))
      expect(Exit.isFailure(badNamespace)).toBe(true)
    })))
})

describe("AdminApi: snapshots, discovery, statistics", () => {
  it.live("serves snapshots and finds backends by tool, prompt, resource, tag, capability and tenant", () =>
    scoped(Effect.gen(function*() {
      const base = yield* serve()
      const api = admin(base)
      const registry = yield* Registry.Registry
      yield* registry.upsert(http("weather", { tags: ["public"] }))
      yield* registry.upsert(http("files", { tags: ["internal"] }))
      yield* registry.upsert(http("crm", { tenant: "acme" }))
      yield* registry.upsert(http("bare"))
      yield* registry.setSnapshot("weather", snapshot({
        tools: [tool("forecast")],
        prompts: [{ name: "summary" }],
        capabilities: { tools: { listChanged: true }, prompts: {} }
      }))
      yield* registry.setSnapshot("files", snapshot({
        tools: [tool("read")],
        resources: [{ uri: "file:///etc/hosts", name: "hosts" }],
        resourceTemplates: [{ uriTemplate: "file:///home/{user}/{path}", name: "home" }],
        capabilities: { resources: { subscribe: true }, tools: {} }
      }))
      yield* registry.setSnapshot("crm", snapshot({ tools: [tool("forecast")], capabilities: { tools: {} } }))

      const shot = yield* api.get("/backends/weather/snapshot")
      expect(shot.status).toBe(200)
      expect(shot.body).toMatchObject({ tools: [{ name: "forecast" }], prompts: [{ name: "summary" }], refreshedAt: "2026-01-02T03:04:05.678Z" })
      const none = yield* api.get("/backends/bare/snapshot")
      expect(none.status).toBe(404)
      expect(none.body.message).toContain("no capability snapshot")
      expect((yield* api.get("/backends/nope/snapshot")).status).toBe(404)

      const found = (reply: Reply) => (reply.body.backends as Array<{ backend: { name: string } }>).map((d) => d.backend.name)
      expect(found(yield* api.get("/discover?tool=forecast"))).toEqual(["crm", "weather"])
      expect(found(yield* api.get("/discover?tool=forecast&tenant=other"))).toEqual(["weather"])
      expect(found(yield* api.get("/discover?prompt=summary"))).toEqual(["weather"])
      expect(found(yield* api.get("/discover?resource=file%3A%2F%2F%2Fhome%2Fann%2Fnotes.txt"))).toEqual(["files"])
      // Unencoded slashes in the query survive (the router would collapse "//" anywhere in the URL).
      expect(found(yield* api.get("/discover?resource=file:///etc/hosts"))).toEqual(["files"])
      expect(found(yield* api.get("/discover?capability=resources.subscribe"))).toEqual(["files"])
      expect(found(yield* api.get("/discover?tag=public"))).toEqual(["weather"])
      expect(found(yield* api.get("/discover?tool=nothing"))).toEqual([])
      const weather = (yield* api.get("/discover?tool=forecast&tag=public")).body.backends[0]
      expect(weather.snapshot).toEqual({
        tools: ["forecast"],
        prompts: ["summary"],
        resources: [],
        resourceTemplates: [],
        capabilities: ["prompts", "tools", "tools.listChanged"],
        protocolVersion: "2025-11-25",
        refreshedAt: "2026-01-02T03:04:05.678Z"
      })
    })))

  it.live("statistics: registry and snapshot counts, the audit log's counters, and live status with a Gateway", () =>
    Effect.scoped(Effect.gen(function*() {
      const registry = yield* Registry.Registry
      const audit = yield* AuditLog.AuditLog
      yield* registry.upsert(http("weather"))
      yield* registry.upsert(http("off", { enabled: false }))
      yield* registry.setSnapshot("weather", snapshot({ tools: [tool("forecast"), tool("alerts")] }))
      yield* audit.record({ requestId: "1", principal: "ann", tenant: null, backend: "weather", method: "tools/call", name: "forecast", outcome: "ok", latencyMs: 3 })
      yield* audit.flush

      const base = yield* serve()
      const stats = (yield* admin(base).get("/stats")).body
      expect(stats.backends).toMatchObject({ registered: 2, enabled: 1, withSnapshot: 1, up: 0 })
      expect(stats.audit).toMatchObject({ recorded: 1, written: 1, dropped: 0 })
      const byName: Record<string, Reply["body"]> = Object.fromEntries((stats.perBackend as Array<{ name: string }>).map((entry) => [entry.name, entry]))
      expect(byName.weather).toMatchObject({ registered: true, enabled: true, snapshot: { tools: 2, prompts: 0 } })
      expect(byName.off).toMatchObject({ registered: true, enabled: false })
      // A backend configured on the Gateway (not in the registry), down: its live status.
      expect(byName.live).toMatchObject({ registered: false, status: { endpoint: "http://127.0.0.1:9/mcp", served: { tools: 0 } } })
      expect(["connecting", "down"]).toContain(byName.live.status.state)
    })).pipe(
      Effect.provide(Layer.mergeAll(
        Services,
        Gateway.layer({ backends: [{ name: "live", endpoint: { _tag: "Http", url: "http://127.0.0.1:9/mcp" } }] }).pipe(
          Layer.provide(McpServer.layer({ name: "gw", version: "1.0.0", capabilities: { tools: true } }))
        )
      ))
    ))
})

describe("AdminApi: audit", () => {
  it.live("queries by tenant, backend, principal, outcome and time, newest first, paged by cursor", () =>
    scoped(Effect.gen(function*() {
      const audit = yield* AuditLog.AuditLog
      const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute))
      const rows: Array<AuditLog.AuditRecord> = [
        { at: at(1), requestId: "r1", principal: "ann", tenant: "acme", backend: "weather", method: "tools/call", name: "forecast", outcome: "ok", latencyMs: 5, arguments: { city: "Oslo", apiKey: "k" } },
        { at: at(2), requestId: "r2", principal: "bob", tenant: "acme", backend: "files", method: "resources/read", name: "file:///a", outcome: "denied", errorCode: -32001, latencyMs: 1 },
        { at: at(3), requestId: "r3", principal: "ann", tenant: "globex", backend: "weather", method: "tools/call", name: "forecast", outcome: "error", errorCode: -32603, latencyMs: 9 },
        { at: at(4), requestId: "r4", principal: "ann", tenant: "acme", backend: "weather", method: "tools/call", name: "alerts", outcome: "ok", latencyMs: 2 }
      ]
      for (const row of rows) yield* audit.record(row)
      yield* audit.flush

      const base = yield* serve()
      const api = admin(base)
      const ids = (reply: Reply) => (reply.body.entries as Array<{ requestId: string }>).map((entry) => entry.requestId)
      expect(ids(yield* api.get("/audit"))).toEqual(["r4", "r3", "r2", "r1"])
      expect(ids(yield* api.get("/audit?tenant=acme"))).toEqual(["r4", "r2", "r1"])
      expect(ids(yield* api.get("/audit?backend=weather&principal=ann"))).toEqual(["r4", "r3", "r1"])
      expect(ids(yield* api.get("/audit?outcome=denied"))).toEqual(["r2"])
      expect(ids(yield* api.get(`/audit?since=${at(2).toISOString()}&until=${at(4).toISOString()}`))).toEqual(["r3", "r2"])

      const first = (yield* api.get("/audit?limit=3")).body
      expect(first.entries.map((entry: { requestId: string }) => entry.requestId)).toEqual(["r4", "r3", "r2"])
      expect(typeof first.nextCursor).toBe("string")
      const second = (yield* api.get(`/audit?limit=3&cursor=${encodeURIComponent(first.nextCursor)}`)).body
      expect(second.entries.map((entry: { requestId: string }) => entry.requestId)).toEqual(["r1"])
      expect(second.nextCursor).toBeUndefined()
      expect(second.entries[0]).toMatchObject({ at: at(1).toISOString(), outcome: "ok", arguments: { city: "Oslo", apiKey: "[REDACTED]" } })

      const denied = (yield* api.get("/audit?outcome=denied")).body.entries[0]
      expect(denied).toMatchObject({ principal: "bob", tenant: "acme", backend: "files", method: "resources/read", errorCode: -32001 })

      const badCursor = yield* api.get("/audit?cursor=garbage")
      expect(badCursor.status).toBe(400)
      expect(badCursor.body.message).toMatch(/^cursor: /)
      expect((yield* api.get("/audit?outcome=maybe")).status).toBe(400)
    })))
})

describe("AdminApi: the official MCP registry read API", () => {
  const setup = Effect.gen(function*() {
    const registry = yield* Registry.Registry
    yield* registry.upsert(http("weather", { version: "1.2.0", title: "Weather", description: "Forecasts and alerts" }))
    yield* registry.upsert(http("files", { version: "0.3.1+build.7" }))
    yield* registry.upsert(http("search", { version: "2.0.0", description: "x".repeat(150) }))
    yield* registry.upsert(http("crm", { tenant: "acme" }))
    yield* registry.upsert(http("retired", { enabled: false }))
    return yield* serve()
  })

  it.live("lists shared enabled backends as servers of server.json shape, with the gateway as their remote", () =>
    scoped(Effect.gen(function*() {
      const base = yield* setup
      const list = yield* request(base, "GET", "/v0.1/servers")
      expect(list.status).toBe(200)
      expect(list.body.metadata).toEqual({ count: 3 })
      expect(list.body.servers.map((s: { server: { name: string } }) => s.server.name)).toEqual([
        "io.emcee.gateway/files",
        "io.emcee.gateway/search",
        "io.emcee.gateway/weather"
      ])
      const weather = list.body.servers[2]
      expect(weather).toEqual({
        server: {
          $schema: "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
          name: "io.emcee.gateway/weather",
          description: "Forecasts and alerts",
          title: "Weather",
          version: "1.2.0",
          remotes: [{ type: "streamable-http", url: "https://gw.example/mcp" }]
        },
        _meta: {
          "io.modelcontextprotocol.registry/official": {
            status: "active",
            publishedAt: expect.any(String),
            updatedAt: expect.any(String),
            isLatest: true
          }
        }
      })
      // ServerDetail: the name matches the official pattern, the description is 1 to 100 characters.
      for (const { server } of list.body.servers as Array<{ server: { name: string; description: string } }>) {
        expect(server.name).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/)
        expect(server.description.length).toBeGreaterThan(0)
        expect(server.description.length).toBeLessThanOrEqual(100)
      }
    })))

  it.live("pages with cursor and limit, searches by name substring, filters by version", () =>
    scoped(Effect.gen(function*() {
      const base = yield* setup
      const names = (reply: Reply) => (reply.body.servers as Array<{ server: { name: string } }>).map((s) => s.server.name)
      const seen: Array<string> = []
      let cursor: string | undefined
      for (let i = 0; i < 5; i++) {
        const reply = yield* request(base, "GET", `/v0.1/servers?limit=1${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`)
        expect(reply.body.metadata.count).toBe(1)
        seen.push(...names(reply))
        cursor = reply.body.metadata.nextCursor
        if (cursor === undefined) break
      }
      expect(seen).toEqual(["io.emcee.gateway/files", "io.emcee.gateway/search", "io.emcee.gateway/weather"])

      expect(names(yield* request(base, "GET", "/v0.1/servers?search=EAT"))).toEqual(["io.emcee.gateway/weather"])
      expect(names(yield* request(base, "GET", "/v0.1/servers?version=latest"))).toHaveLength(3)
      expect(names(yield* request(base, "GET", "/v0.1/servers?version=2.0.0"))).toEqual(["io.emcee.gateway/search"])
      expect(names(yield* request(base, "GET", "/v0.1/servers?updated_since=2999-01-01T00:00:00Z"))).toEqual([])
      expect((yield* request(base, "GET", "/v0.1/servers?limit=0")).status).toBe(400)
      expect((yield* request(base, "GET", "/v0.1/servers?limit=101")).status).toBe(400)
    })))

  it.live("versions/latest, a given version and the versions list, by encoded or plain name; 404 { error } otherwise", () =>
    scoped(Effect.gen(function*() {
      const base = yield* setup
      for (const name of ["io.emcee.gateway%2Fweather", "io.emcee.gateway%2fweather", "io.emcee.gateway/weather"]) {
        const latest = yield* request(base, "GET", `/v0.1/servers/${name}/versions/latest`)
        expect(latest.status).toBe(200)
        expect(latest.body.server).toMatchObject({ name: "io.emcee.gateway/weather", version: "1.2.0" })
        const exact = yield* request(base, "GET", `/v0.1/servers/${name}/versions/1.2.0`)
        expect(exact.status).toBe(200)
        expect(exact.body).toEqual(latest.body)
        const versions = yield* request(base, "GET", `/v0.1/servers/${name}/versions`)
        expect(versions.status).toBe(200)
        expect(versions.body).toEqual({ servers: [latest.body], metadata: { count: 1 } })
      }
      // A version with build metadata, URL-encoded (`+` as %2B).
      const build = yield* request(base, "GET", "/v0.1/servers/io.emcee.gateway%2Ffiles/versions/0.3.1%2Bbuild.7")
      expect(build.status).toBe(200)
      expect(build.body.server.version).toBe("0.3.1+build.7")

      const wrongVersion = yield* request(base, "GET", "/v0.1/servers/io.emcee.gateway%2Fweather/versions/9.9.9")
      expect(wrongVersion.status).toBe(404)
      expect(wrongVersion.body).toEqual({ error: "Server version not found" })
      for (const path of [
        "/v0.1/servers/io.emcee.gateway%2Fnope/versions/latest",
        "/v0.1/servers/io.emcee.gateway/nope/versions",
        "/v0.1/servers/io.emcee.gateway%2Fcrm/versions/latest",
        "/v0.1/servers/io.emcee.gateway%2Fretired/versions",
        "/v0.1/servers/weather/versions/latest"
      ]) {
        const reply = yield* request(base, "GET", path)
        expect(reply.status, path).toBe(404)
        expect(reply.body, path).toEqual({ error: "Server not found" })
      }
    })))

  it.live("namespace, publicUrl as a function and registryQuery are options", () =>
    scoped(Effect.gen(function*() {
      const registry = yield* Registry.Registry
      yield* registry.upsert(http("crm", { tenant: "acme" }))
      yield* registry.upsert(http("shared"))
      const base = yield* serve({
        allowUnauthenticated: true,
        namespace: "com.acme",
        publicUrl: (backend) => `https://gw.acme.example/mcp?backend=${backend.name}`,
        registryQuery: { tenant: "acme", includeShared: false }
      })
      const list = yield* request(base, "GET", "/v0.1/servers")
      expect(list.body.servers.map((s: { server: unknown }) => s.server)).toEqual([
        expect.objectContaining({ name: "com.acme/crm", remotes: [{ type: "streamable-http", url: "https://gw.acme.example/mcp?backend=crm" }] })
      ])
    })))

  it("rewrites plain server names to the encoded form, and only them", () => {
    const namespace = fc.stringMatching(/^[a-zA-Z0-9.-]{1,20}$/)
    const name = fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/).filter((n) => n !== "versions")
    const tail = fc.constantFrom("/versions", "/versions/latest", "/versions/1.0.0%2Bb", "/versions?x=1")
    fc.assert(fc.property(namespace, name, tail, (ns, n, rest) => {
      const plain = `/v0.1/servers/${ns}/${n}${rest}`
      const encoded = `/v0.1/servers/${ns}%2F${n}${rest}`
      expect(encodePlainServerName(plain)).toBe(encoded)
      expect(encodePlainServerName(encoded)).toBeUndefined()
    }))
    expect(encodePlainServerName("/v0.1/servers")).toBeUndefined()
    expect(encodePlainServerName("/v0.1/servers/a/versions/1.0.0")).toBeUndefined()
    expect(encodePlainServerName("/admin/v1/backends/a/versions")).toBeUndefined()
  })
})

describe("AdminApi: OpenAPI document", () => {
  it.live("serves the OpenAPI 3.1 document, parseable, listing every path and the bearer scheme", () =>
    scoped(Effect.gen(function*() {
      const base = yield* serve()
      const reply = yield* request(base, "GET", "/admin/v1/openapi.json")
      expect(reply.status).toBe(200)
      expect(reply.headers.get("content-type")).toContain("application/json")
      const document = reply.body
      expect(document.openapi).toBe("3.1.0")
      expect(document).toEqual(JSON.parse(JSON.stringify(AdminApi.openApi)))
      expect(Object.keys(document.paths).sort()).toEqual([
        "/admin/v1/audit",
        "/admin/v1/backends",
        "/admin/v1/backends/{name}",
        "/admin/v1/backends/{name}/snapshot",
        "/admin/v1/discover",
        "/admin/v1/openapi.json",
        "/admin/v1/stats",
        "/v0.1/servers",
        "/v0.1/servers/{serverName}/versions",
        "/v0.1/servers/{serverName}/versions/{version}"
      ])
      expect(Object.keys(document.paths["/admin/v1/backends/{name}"]).sort()).toEqual(["delete", "get", "put"])
      expect(Object.values(document.components.securitySchemes)).toContainEqual(expect.objectContaining({ type: "http", scheme: "bearer" }))
      expect(document.paths["/admin/v1/backends/{name}"].get.security).toBeDefined()
      expect(document.paths["/v0.1/servers"].get.security ?? []).toEqual([])
      // Paths the app does not serve fall through (HttpTransport answers 404).
      expect((yield* request(base, "GET", "/admin/v1/nothing", { headers: auth })).status).toBe(404)
      expect((yield* request(base, "GET", "/elsewhere")).status).toBe(404)
    })))
})

describe("AdminApi on the PostgreSQL registry", () => {
  let pg: StartedPostgres | undefined
  beforeAll(async () => {
    pg = await startPostgres()
  }, 60_000)
  afterAll(async () => {
    await pg?.stop()
  })

  it.live("CRUD, discovery and the registry API on PostgreSQL", () =>
    Effect.suspend(() => {
      if (pg === undefined) return Effect.die("PostgreSQL did not start")
      const Pg = Layer.mergeAll(Registry.postgres, AuditLog.memory()).pipe(Layer.provide(clientLayer(pg.url)))
      return Effect.scoped(Effect.gen(function*() {
        const base = yield* serve()
        const api = admin(base)
        const put = yield* api.put("/backends/weather", { transport: "http", endpoint: { url: "http://127.0.0.1:3001/mcp" }, version: "1.0.0", tags: ["x"] })
        expect(put.status).toBe(200)
        expect((yield* api.put("/backends/weather", { transport: "http", endpoint: { url: "nope" } })).status).toBe(400)
        const registry = yield* Registry.Registry
        yield* registry.setSnapshot("weather", snapshot({ tools: [tool("forecast")] }))
        expect((yield* api.get("/discover?tool=forecast")).body.backends.map((d: { backend: { name: string } }) => d.backend.name)).toEqual(["weather"])
        expect((yield* api.get("/backends/weather")).body).toEqual(put.body)
        const latest = yield* request(base, "GET", "/v0.1/servers/io.emcee.gateway%2Fweather/versions/latest")
        expect(latest.body.server).toMatchObject({ name: "io.emcee.gateway/weather", version: "1.0.0" })
        expect((yield* api.del("/backends/weather")).status).toBe(204)
        expect((yield* api.get("/backends/weather")).status).toBe(404)
        expect((yield* request(base, "GET", "/v0.1/servers")).body).toEqual({ servers: [], metadata: { count: 0 } })
      })).pipe(Effect.provide(Pg))
    }), 60_000)
})
