import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { McpServer, Tool } from "../src/index.js"

describe("McpServer smoke", () => {
  it.scoped("initializes and calls a tool (spec basic/lifecycle, server/tools)", () =>
    Effect.gen(function*() {
      const echo = Tool.make("echo", {
        input: Schema.Struct({ text: Schema.String }),
        handler: ({ text }) => Effect.succeed(text)
      })
      const sent: Array<unknown> = []
      const server = yield* McpServer.McpServer
      const conn = yield* server.connect({ send: (m) => Effect.sync(() => void sent.push(m)) })
      const init = yield* conn.handle({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } })
      expect(init).toMatchObject({ id: 1, result: { protocolVersion: "2025-11-25", serverInfo: { name: "smoke" } } })
      yield* conn.handle({ jsonrpc: "2.0", method: "notifications/initialized" })
      const list = yield* conn.handle({ jsonrpc: "2.0", id: 2, method: "tools/list" })
      expect(list).toMatchObject({ result: { tools: [{ name: "echo", inputSchema: { type: "object" } }] } })
      const call = yield* conn.handle({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } })
      expect(call).toEqual({ jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: "hi" }] } })
      const bad = yield* conn.handle({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "echo", arguments: { text: 5 } } })
      expect(bad).toMatchObject({ id: 4, result: { isError: true } })
      const unknown = yield* conn.handle({ jsonrpc: "2.0", id: 5, method: "nope" })
      expect(unknown).toMatchObject({ id: 5, error: { code: -32601 } })
      void echo
    }).pipe(Effect.provide(McpServer.register(Tool.make("echo", {
      input: Schema.Struct({ text: Schema.String }),
      handler: ({ text }) => Effect.succeed(text)
    }))), Effect.provide(McpServer.layer({ name: "smoke", version: "0.0.0" }))))
})
