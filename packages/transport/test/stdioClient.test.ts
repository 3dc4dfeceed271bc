/**
 * The stdio client transport (spec 2025-11-25 basic/transports "stdio")
 * against the real fixture server process, through McpClient.
 */
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { McpClient } from "@emcee/core"
import { Effect, Schedule } from "effect"
import * as StdioClientTransport from "../src/StdioClientTransport.js"
import { bundled } from "./fixtures/bundled.js"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const fixture = fileURLToPath(new URL("./fixtures/stdio-server.ts", import.meta.url))

const spawnFixture = StdioClientTransport.make({
  command: process.execPath,
  args: [bundled(fixture)],
  cwd: packageDir,
  stderr: "pipe"
})

describe("StdioClientTransport (spec 2025-11-25 basic/transports \"stdio\")", () => {
  it.scopedLive("spawns the server, calls a tool over newline-delimited JSON, and keeps stderr apart", () =>
    Effect.gen(function*() {
      const transport = yield* spawnFixture
      const client = yield* McpClient.make({ transport, clientInfo: { name: "stdio-client", version: "1.0.0" } })
      expect((yield* client.callTool("echo", { text: "over stdio" })).content).toEqual([{ type: "text", text: "over stdio" }])
      expect((yield* client.callTool("chatty", { text: "x" })).content).toEqual([{ type: "text", text: "logged" }])
      // stderr is its own pipe: its bytes may arrive after the response on stdout.
      const stderr = yield* Effect.sync(() => transport.stderr()).pipe(
        Effect.filterOrFail((text) => text.includes("console.log from a tool"), () => "not yet"),
        Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("5 seconds"))),
        Effect.orElseSucceed(() => transport.stderr())
      )
      expect(stderr).toContain("console.log from a tool")
    }), 30_000)

  it.scopedLive("closing the scope closes stdin and the server exits (spec basic/lifecycle \"Shutdown\")", () =>
    Effect.gen(function*() {
      let pid: number | undefined
      yield* Effect.scoped(Effect.gen(function*() {
        const transport = yield* spawnFixture
        pid = transport.pid
        const client = yield* McpClient.make({ transport, clientInfo: { name: "stdio-client", version: "1.0.0" } })
        yield* client.ping()
      }))
      expect(pid).toBeTypeOf("number")
      expect(() => process.kill(pid!, 0)).toThrow()
    }), 30_000)

  it.scopedLive("fails with TransportError when the command cannot be started", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(StdioClientTransport.make({ command: "/nonexistent/mcp-server" }))
      expect(error).toBeInstanceOf(McpClient.TransportError)
    }))
})
