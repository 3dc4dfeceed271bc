/**
 * MCP 2026-07-28 served beside 2025-11-25 on one connection (spec 2026-07-28
 * basic/versioning "Backward Compatibility"): a request carrying
 * `io.modelcontextprotocol/protocolVersion` in `_meta` is served statelessly,
 * with no `initialize`; every result is checked against that revision's
 * schema.json.
 */
import { describe, expect, it } from "@effect/vitest"
import { Logging, McpServer, Resource, Tool } from "@emcee/core"
import * as SpecValidator from "@emcee/testing/SpecValidator"
import { Effect, Layer, Schema } from "effect"
import { rawSession } from "./support/spec.js"

const spec2026 = SpecValidator.fromFile(SpecValidator.schemaPath("2026-07-28"))

const expect2026 = (definition: string, value: unknown): void => {
  const outcome = spec2026.validate(definition, value)
  expect(outcome.valid ? "valid" : `${outcome.errors}\n${JSON.stringify(value)}`).toBe("valid")
}

const echo = Tool.make("echo", {
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})
const chatty = Tool.make("chatty", {
  handler: () => Effect.as(Effect.zipRight(Logging.log("debug", "a debug line"), Logging.log("warning", "a warning")), "done")
})
const readme = Resource.make({ uri: "file:///readme", name: "readme", read: () => Effect.succeed(Resource.text("hello")) })

const App = McpServer.register(echo, chatty, readme).pipe(
  Layer.provideMerge(McpServer.layer({ name: "dual", version: "1.2.3", instructions: "Use echo." }))
)

const meta = (extra: Record<string, unknown> = {}) => ({
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "modern", version: "1.0.0" },
  ...extra
})

const request = (id: number, method: string, params: Record<string, unknown> = {}, extraMeta: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method,
  params: { ...params, _meta: meta(extraMeta) }
})

describe("2026-07-28 beside 2025-11-25 (spec 2026-07-28 basic/versioning)", () => {
  it.scoped("server/discover answers without initialize: versions, capabilities, serverInfo, caching hints (server/discover)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const response = yield* raw.exchange(request(1, "server/discover"))
      expect2026("DiscoverResultResponse", response)
      expect(response.result).toMatchObject({
        resultType: "complete",
        supportedVersions: ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"],
        capabilities: { tools: {}, resources: {} },
        instructions: "Use echo.",
        ttlMs: 0,
        cacheScope: "private",
        _meta: { "io.modelcontextprotocol/serverInfo": { name: "dual", version: "1.2.3" } }
      })
    }).pipe(Effect.provide(App)))

  it.scoped("tools/list, tools/call and resources/read are served statelessly, each result complete and valid", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const list = yield* raw.exchange(request(1, "tools/list"))
      expect2026("ListToolsResultResponse", list)
      expect((list.result as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(["echo", "chatty"])
      const call = yield* raw.exchange(request(2, "tools/call", { name: "echo", arguments: { text: "hi" } }))
      expect2026("CallToolResultResponse", call)
      expect(call.result).toMatchObject({ content: [{ type: "text", text: "hi" }], resultType: "complete" })
      const read = yield* raw.exchange(request(3, "resources/read", { uri: "file:///readme" }))
      expect2026("ReadResourceResultResponse", read)
      expect(read.result).toMatchObject({ ttlMs: 0, cacheScope: "private", resultType: "complete" })
    }).pipe(Effect.provide(App)))

  it.scoped("an unsupported version is -32022 with supported and requested; missing client capabilities are -32602 (basic/index)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const unsupported = yield* raw.exchange({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
        params: { _meta: { ...meta(), "io.modelcontextprotocol/protocolVersion": "1900-01-01" } }
      })
      expect2026("UnsupportedProtocolVersionError", unsupported)
      expect(unsupported).toEqual({
        jsonrpc: "2.0",
        id: 1,
        error: { code: -32022, message: "Unsupported protocol version", data: { supported: ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"], requested: "1900-01-01" } }
      })
      const missing = yield* raw.exchange({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/list",
        params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } }
      })
      expect(missing).toMatchObject({ id: 2, error: { code: -32602 } })
      const badLevel = yield* raw.exchange(request(3, "tools/list", {}, { "io.modelcontextprotocol/logLevel": "loud" }))
      expect(badLevel).toMatchObject({ id: 3, error: { code: -32602 } })
    }).pipe(Effect.provide(App)))

  it.scoped("methods 2026-07-28 removed are -32601 under it (changelog: initialize, ping, logging/setLevel, resources/subscribe)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      let id = 0
      for (const method of ["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"]) {
        const response = yield* raw.exchange(request(++id, method, { level: "info", uri: "file:///readme" }))
        expect(response).toMatchObject({ id, error: { code: -32601 } })
      }
    }).pipe(Effect.provide(App)))

  it.scoped("resource not found is -32602 under 2026-07-28 and stays -32002 under 2025-11-25, on one connection (server/resources)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const modern = yield* raw.exchange(request(1, "resources/read", { uri: "file:///nope" }))
      expect(modern).toMatchObject({ id: 1, error: { code: -32602, data: { uri: "file:///nope" } } })
      yield* raw.initialize()
      const legacy = yield* raw.exchange({ jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri: "file:///nope" } })
      expect(legacy).toMatchObject({ id: 2, error: { code: -32002 } })
      // The legacy session did not make modern requests stateful, nor the other way round.
      const again = yield* raw.exchange(request(3, "tools/call", { name: "echo", arguments: { text: "both" } }))
      expect(again.result).toMatchObject({ resultType: "complete" })
      const legacyCall = yield* raw.exchange({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "echo", arguments: { text: "x" } } })
      expect(legacyCall.result).not.toHaveProperty("resultType")
    }).pipe(Effect.provide(App)))

  it.scoped("log messages go out only at the request's own level, none when it set none (server/utilities/logging)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const silent = yield* raw.exchange(request(1, "tools/call", { name: "chatty" }))
      expect(silent).toMatchObject({ id: 1, result: { content: [{ type: "text", text: "done" }] } })
      yield* raw.send(request(2, "tools/call", { name: "chatty" }, { "io.modelcontextprotocol/logLevel": "info" }))
      const first = yield* raw.next
      const second = yield* raw.next
      expect(first).toMatchObject({ method: "notifications/message", params: { level: "warning", data: "a warning" } })
      expect(second).toMatchObject({ id: 2, result: { resultType: "complete" } })
      expect(yield* raw.poll).toBeUndefined()
    }).pipe(Effect.provide(App)))

  it.scoped("a resource's own caching hints override the server's on its reads; ttlMs must be a non-negative integer (server/utilities/caching)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const cached = yield* raw.exchange(request(1, "resources/read", { uri: "file:///cached" }))
      expect2026("ReadResourceResultResponse", cached)
      expect(cached.result).toMatchObject({ ttlMs: 60_000, cacheScope: "public" })
      const plain = yield* raw.exchange(request(2, "resources/read", { uri: "file:///readme" }))
      expect(plain.result).toMatchObject({ ttlMs: 5_000, cacheScope: "private" })
      const list = yield* raw.exchange(request(3, "resources/list"))
      expect(list.result).toMatchObject({ ttlMs: 5_000, cacheScope: "private" })
      expect(() => Resource.make({ uri: "file:///bad", name: "bad", cache: { ttlMs: -1 }, read: () => Effect.succeed(Resource.text("")) }))
        .toThrow("cache.ttlMs must be a non-negative integer")
    }).pipe(Effect.provide(
      McpServer.register(
        readme,
        Resource.make({ uri: "file:///cached", name: "cached", cache: { ttlMs: 60_000, cacheScope: "public" }, read: () => Effect.succeed(Resource.text("c")) })
      ).pipe(Layer.provideMerge(McpServer.layer({ name: "hints", version: "1.0.0", cache: { ttlMs: 5_000 } })))
    )))
})
