/**
 * MCP over WebSocket (spec 2025-11-25 basic/transports "Custom Transports"):
 * our server against our McpClient, the official SDK's
 * `WebSocketClientTransport`, and raw `ws` sockets sending hostile frames.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpClient, McpServer, Tool } from "@emcee/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { WebSocketClientTransport as SdkWebSocketClientTransport } from "@modelcontextprotocol/sdk/client/websocket.js"
import { Deferred, Effect, Layer, Queue } from "effect"
import { WebSocket } from "ws"
import * as HttpTransport from "../src/HttpTransport.js"
import * as WebSocketClientTransport from "../src/WebSocketClientTransport.js"
import * as WebSocketTransport from "../src/WebSocketTransport.js"
import { echo, slowWithProgress } from "./fixtures/httpApp.js"

const App = McpServer.register(echo, slowWithProgress).pipe(Layer.provideMerge(McpServer.layer({ name: "ws-test", version: "1.0.0" })))

const clientInfo = { name: "ws-test", version: "1.0.0" }

const textOf = (result: { readonly content: ReadonlyArray<unknown> }) => (result.content[0] as { text: string }).text

/** A raw socket that collects parsed messages and its close code. */
const raw = (url: string, options: { protocols?: Array<string>; origin?: string; autoPong?: boolean } = {}) =>
  Effect.acquireRelease(
    Effect.async<{
      readonly ws: WebSocket
      readonly messages: Array<Record<string, unknown>>
      readonly closed: Promise<number>
      readonly next: () => Promise<Record<string, unknown>>
    }, Error>((resume) => {
      const ws = new WebSocket(url, options.protocols ?? ["mcp"], {
        ...(options.origin === undefined ? {} : { origin: options.origin }),
        autoPong: options.autoPong ?? true
      })
      const messages: Array<Record<string, unknown>> = []
      const waiters: Array<() => void> = []
      let read = 0
      ws.on("message", (data) => {
        messages.push(JSON.parse(String(data)) as Record<string, unknown>)
        for (const w of waiters.splice(0)) w()
      })
      const closed = new Promise<number>((resolve) => ws.on("close", (code) => {
        resolve(code)
        for (const w of waiters.splice(0)) w()
      }))
      const next = () =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const check = () => {
            if (read < messages.length) return resolve(messages[read++]!)
            if (ws.readyState === ws.CLOSED) return reject(new Error("closed"))
            waiters.push(check)
          }
          check()
        })
      ws.once("open", () => resume(Effect.succeed({ ws, messages, closed, next })))
      ws.once("error", (error) => resume(Effect.fail(error)))
    }),
    ({ ws }) => Effect.sync(() => ws.terminate())
  )

/** The status of a refused upgrade. */
const refusedStatus = (url: string, options: { origin?: string; protocols?: Array<string> } = {}) =>
  Effect.promise(() =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, options.protocols ?? ["mcp"], options.origin === undefined ? {} : { origin: options.origin })
      ws.on("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0)
        ws.terminate()
      })
      ws.on("open", () => {
        resolve(101)
        ws.terminate()
      })
      ws.on("error", () => {})
    })
  )

const initialize = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo } }

describe("WebSocketTransport (spec 2025-11-25 basic/transports \"Custom Transports\")", () => {
  it.scopedLive("serves our McpClient: tools, progress and server-initiated list_changed over one socket", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({})
      const transport = yield* WebSocketClientTransport.make(server.url)
      const client = yield* McpClient.make({ transport, clientInfo, protocolVersion: "2025-11-25" })
      expect(textOf(yield* client.callTool("echo", { text: "hi" }))).toBe("hi")
      const progress: Array<number> = []
      expect(textOf(yield* client.callTool("slow", { ms: 5 }, { onProgress: (p) => Effect.sync(() => progress.push(p.progress)) }))).toBe("slept 5 ms")
      expect(progress).toEqual([1])
      const notifications = yield* client.subscribeNotifications
      yield* McpServer.add(Tool.make("late", { handler: () => Effect.succeed("late") }))
      expect((yield* Queue.take(notifications)).method).toBe("notifications/tools/list_changed")
      expect(server.stats().connections).toBe(1)
    }).pipe(Effect.provide(App)))

  it.scopedLive("shares the Streamable HTTP transport's port through its upgrade hook", () =>
    Effect.gen(function*() {
      const ws = yield* WebSocketTransport.makeHandler({ path: "/ws" })
      const http = yield* HttpTransport.make({ upgrade: ws.upgrade })
      const transport = yield* WebSocketClientTransport.make(`ws://127.0.0.1:${http.port}/ws`)
      const client = yield* McpClient.make({ transport, clientInfo, protocolVersion: "2025-11-25" })
      expect(textOf(yield* client.callTool("echo", { text: "same port" }))).toBe("same port")
      // Streamable HTTP still answers on /mcp of the same server.
      const res = yield* Effect.promise(() => fetch(`http://127.0.0.1:${http.port}/health`))
      expect(res.status).toBe(200)
    }).pipe(Effect.provide(App)))

  it.scopedLive("serves the official SDK's WebSocketClientTransport (subprotocol \"mcp\")", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({})
      // Node 20 has no global WebSocket; the SDK's transport uses the WHATWG API, which ws implements.
      const saved = (globalThis as { WebSocket?: unknown }).WebSocket
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          ;(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket
        }),
        () => Effect.sync(() => void ((globalThis as { WebSocket?: unknown }).WebSocket = saved))
      )
      const sdk = new Client({ name: "sdk", version: "1.0.0" })
      yield* Effect.acquireRelease(Effect.promise(() => sdk.connect(new SdkWebSocketClientTransport(new URL(server.url)))), () => Effect.promise(() => sdk.close()))
      const result = yield* Effect.promise(() => sdk.callTool({ name: "echo", arguments: { text: "from the sdk" } }))
      expect(result.content).toEqual([{ type: "text", text: "from the sdk" }])
      const tools = yield* Effect.promise(() => sdk.listTools())
      expect(tools.tools.map((t) => t.name)).toEqual(["echo", "slow"])
    }).pipe(Effect.provide(App)))

  it.scopedLive("chooses the \"mcp\" subprotocol when offered and accepts clients offering none", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({})
      expect((yield* raw(server.url)).ws.protocol).toBe("mcp")
      const bare = yield* raw(server.url, { protocols: [] })
      expect(bare.ws.protocol).toBe("")
      bare.ws.send(JSON.stringify(initialize))
      expect((yield* Effect.promise(bare.next)).result).toBeDefined()
    }).pipe(Effect.provide(App)))

  it.scopedLive("answers a binary frame and a text frame that is not JSON with -32700 and keeps the connection", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({})
      const socket = yield* raw(server.url)
      socket.ws.send(Buffer.from(JSON.stringify(initialize)), { binary: true })
      expect(yield* Effect.promise(socket.next)).toMatchObject({ error: { code: -32700 } })
      socket.ws.send("{not json")
      expect(yield* Effect.promise(socket.next)).toMatchObject({ error: { code: -32700 } })
      socket.ws.send("   ")
      expect(yield* Effect.promise(socket.next)).toMatchObject({ error: { code: -32700 } })
      socket.ws.send(JSON.stringify([initialize]))
      expect(yield* Effect.promise(socket.next)).toMatchObject({ error: { code: -32600 } })
      socket.ws.send(JSON.stringify(initialize))
      expect(yield* Effect.promise(socket.next)).toMatchObject({ id: 0, result: { protocolVersion: "2025-11-25" } })
    }).pipe(Effect.provide(App)))

  it.scopedLive("answers a text frame that is not UTF-8 with -32700, then fails the connection with 1007 (RFC 6455 §8.1)", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({})
      const socket = yield* raw(server.url)
      socket.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })
      expect(yield* Effect.promise(socket.next)).toMatchObject({ error: { code: -32700, message: expect.stringContaining("UTF-8") } })
      expect(yield* Effect.promise(() => socket.closed)).toBe(1007)
    }).pipe(Effect.provide(App)))

  it.scopedLive("closes the connection with 1009 when a frame exceeds maxPayloadBytes", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({ maxPayloadBytes: 1024 })
      const socket = yield* raw(server.url)
      socket.ws.send(JSON.stringify({ ...initialize, params: { ...initialize.params, padding: "x".repeat(2048) } }))
      expect(yield* Effect.promise(() => socket.closed)).toBe(1009)
    }).pipe(Effect.provide(App)))

  it.scopedLive("refuses a foreign Origin with 403 on a loopback bind and accepts a loopback one (spec \"Security Warning\" 1.)", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({})
      expect(yield* refusedStatus(server.url, { origin: "http://evil.example" })).toBe(403)
      expect(yield* refusedStatus(server.url, { origin: `http://localhost:${server.port}` })).toBe(101)
      expect(yield* refusedStatus(server.url.replace("/mcp", "/elsewhere"))).toBe(404)
    }).pipe(Effect.provide(App)))

  it.scopedLive("drops a client that does not answer pings, and keeps one that does", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({ pingInterval: 50 })
      const silent = yield* raw(server.url, { autoPong: false })
      const polite = yield* raw(server.url)
      expect(yield* Effect.promise(() => silent.closed)).toBe(1006)
      yield* Effect.sleep(200)
      expect(polite.ws.readyState).toBe(WebSocket.OPEN)
    }).pipe(Effect.provide(App)))

  it.scopedLive("closing the socket ends the session and cancels its in-flight requests", () =>
    Effect.gen(function*() {
      const cancelled = yield* Deferred.make<void>()
      const stuck = Tool.make("stuck", {
        handler: () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(cancelled, undefined)))
      })
      yield* McpServer.add(stuck)
      const server = yield* WebSocketTransport.make({})
      const mcp = yield* McpServer.McpServer
      const socket = yield* raw(server.url)
      socket.ws.send(JSON.stringify(initialize))
      yield* Effect.promise(socket.next)
      socket.ws.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))
      socket.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "stuck", arguments: {} } }))
      yield* Effect.sleep(50)
      expect(mcp.sessions()).toHaveLength(1)
      socket.ws.close(1000)
      yield* Deferred.await(cancelled).pipe(Effect.timeout(2_000))
      yield* Effect.sleep(20)
      expect(mcp.sessions()).toHaveLength(0)
      expect(server.stats().connections).toBe(0)
    }).pipe(Effect.provide(App)))

  it.scopedLive("shuts down gracefully: in-flight requests finish, then sockets close with 1001 and new connections get 503", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({})
      const socket = yield* raw(server.url)
      socket.ws.send(JSON.stringify(initialize))
      yield* Effect.promise(socket.next)
      socket.ws.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))
      socket.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "slow", arguments: { ms: 300 } } }))
      yield* Effect.sleep(50)
      const closing = yield* Effect.fork(server.close)
      yield* Effect.sleep(20)
      expect(yield* refusedStatus(server.url)).toBe(503)
      const response = yield* Effect.promise(socket.next)
      expect(response).toMatchObject({ id: 1, result: { content: [{ type: "text", text: "slept 300 ms" }] } })
      expect(yield* Effect.promise(() => socket.closed)).toBe(1001)
      yield* closing.await
    }).pipe(Effect.provide(App)))

  it.scopedLive("the client transport fails with TransportError when it cannot connect, and ends incoming when the server goes away", () =>
    Effect.gen(function*() {
      const server = yield* WebSocketTransport.make({})
      const refused = yield* Effect.flip(WebSocketClientTransport.make(server.url.replace("/mcp", "/nope")))
      expect(refused).toBeInstanceOf(McpClient.TransportError)
      const transport = yield* WebSocketClientTransport.make(server.url)
      const client = yield* McpClient.make({ transport, clientInfo, protocolVersion: "2025-11-25" })
      yield* server.close
      const error = yield* Effect.flip(client.ping())
      expect(error.code).toBe(McpClient.ClientErrorCode.ConnectionClosed)
    }).pipe(Effect.provide(App)))
})
