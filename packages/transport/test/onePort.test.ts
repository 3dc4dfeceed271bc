/**
 * Everything on one port (HttpTransport `app`, `webSocket`, `legacySse`):
 * Streamable HTTP on /mcp, MCP over WebSocket (upgrades on /mcp), the legacy
 * HTTP+SSE endpoints, /health, /health/ready, /metrics and a route of the
 * app's own from an @effect/platform `HttpRouter`, each exercised by a real
 * client over real HTTP, and the whole of it shut down under one deadline.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { McpClient, McpServer } from "@emcee/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Context, Effect, type Layer } from "effect"
import * as HttpClientTransport from "../src/HttpClientTransport.js"
import * as HttpTransport from "../src/HttpTransport.js"
import * as WebSocketClientTransport from "../src/WebSocketClientTransport.js"
import { App } from "./fixtures/httpApp.js"

/** A service the app's own route needs: its requirement shows in the transport's type. */
class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}

const hello = HttpRouter.empty.pipe(
  HttpRouter.get("/hello", Effect.map(Greeting, (greeting) => HttpServerResponse.text(`${greeting}, world`)))
)

const routes = HttpRouter.concat(HttpTransport.operationalRoutes, hello)

const clientInfo = { name: "one-port", version: "1.0.0" }

const textOf = (result: { readonly content: ReadonlyArray<unknown> }) => (result.content[0] as { text: string }).text

/** An official SDK client, closed with the scope. */
const sdk = (connect: (client: Client) => Promise<void>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Client({ name: "sdk", version: "1.0.0" })
      await connect(client)
      return client
    }),
    (client) => Effect.promise(() => client.close())
  )

describe("HttpTransport: everything on one port", () => {
  it("has the requirements of its app in its type", () => {
    expectTypeOf(HttpTransport.layer({ app: routes })).toEqualTypeOf<Layer.Layer<never, HttpTransport.ListenError, McpServer.McpServer | Greeting>>()
    expectTypeOf(HttpTransport.layer({ webSocket: true, legacySse: true })).toEqualTypeOf<Layer.Layer<never, HttpTransport.ListenError, McpServer.McpServer>>()
  })

  it.scopedLive("serves Streamable HTTP, WebSocket, legacy SSE, health, metrics and a user HttpRouter route on one port", () =>
    Effect.gen(function*() {
      const http = yield* HttpTransport.make({ app: routes, webSocket: true, legacySse: true })
      const base = `http://127.0.0.1:${http.port}`

      // Streamable HTTP: the repo's client and the official SDK's, with progress streamed over SSE.
      const transport = yield* HttpClientTransport.make({ url: http.url })
      const modern = yield* McpClient.make({ transport, clientInfo, protocolVersion: "2025-11-25" })
      expect(textOf(yield* modern.callTool("echo", { text: "streamable" }))).toBe("streamable")
      const sdkHttp = yield* sdk((client) => client.connect(new StreamableHTTPClientTransport(new URL(http.url))))
      const progress: Array<number> = []
      const worked = yield* Effect.promise(() =>
        sdkHttp.callTool({ name: "work", arguments: { ms: 5 } }, undefined, { onprogress: (p) => progress.push(p.progress) })
      )
      expect(worked.content).toEqual([{ type: "text", text: "worked" }])
      expect(progress).toEqual([1, 2])

      // WebSocket: an upgrade on the MCP path.
      const wsTransport = yield* WebSocketClientTransport.make(`ws://127.0.0.1:${http.port}/mcp`)
      const ws = yield* McpClient.make({ transport: wsTransport, clientInfo, protocolVersion: "2025-11-25" })
      expect(textOf(yield* ws.callTool("echo", { text: "websocket" }))).toBe("websocket")

      // Legacy HTTP+SSE (2024-11-05): the official SDK's SSEClientTransport.
      const old = yield* sdk((client) => client.connect(new SSEClientTransport(new URL(`${base}/sse`))))
      const oldResult = yield* Effect.promise(() => old.callTool({ name: "echo", arguments: { text: "legacy" } }))
      expect(oldResult.content).toEqual([{ type: "text", text: "legacy" }])

      // The app: operational routes and the user's own.
      const fetched = (path: string, init?: RequestInit) => Effect.promise(() => fetch(`${base}${path}`, init))
      const health = yield* fetched("/health")
      expect(health.status).toBe(200)
      expect(yield* Effect.promise(() => health.json())).toEqual({ status: "ok" })
      const ready = yield* fetched("/health/ready")
      expect(ready.status).toBe(200)
      expect(yield* Effect.promise(() => ready.json())).toEqual({ status: "healthy", draining: false, checks: {} })
      const metrics = yield* fetched("/metrics")
      expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
      expect(yield* Effect.promise(() => metrics.text())).toContain("mcp_sessions_active")
      const greeting = yield* fetched("/hello")
      expect(greeting.status).toBe(200)
      expect(yield* Effect.promise(() => greeting.text())).toBe("hi, world")
      const head = yield* fetched("/health", { method: "HEAD" })
      expect(head.status).toBe(200)
      const missing = yield* fetched("/nope")
      expect(missing.status).toBe(404)
      expect(yield* Effect.promise(() => missing.json())).toEqual({ error: "not found" })
      // Not a route of the app: POST /hello.
      expect((yield* fetched("/hello", { method: "POST", body: "x" })).status).toBe(404)

      // One session per client kind, each in its own transport.
      const mcp = yield* McpServer.McpServer
      expect(http.stats().sessions).toBe(2)
      expect(mcp.sessions()).toHaveLength(4)
    }).pipe(Effect.provideService(Greeting, "hi"), Effect.provide(App)))

  it.scopedLive("shuts Streamable HTTP, WebSocket and legacy SSE down together, well within the deadline", () =>
    Effect.gen(function*() {
      const http = yield* HttpTransport.make({ app: routes, webSocket: true, legacySse: true, shutdownTimeout: "5 seconds" })
      const base = `http://127.0.0.1:${http.port}`
      const wsTransport = yield* WebSocketClientTransport.make(`ws://127.0.0.1:${http.port}/mcp`)
      const ws = yield* McpClient.make({ transport: wsTransport, clientInfo, protocolVersion: "2025-11-25" })
      expect(textOf(yield* ws.callTool("echo", { text: "before" }))).toBe("before")
      const old = yield* sdk((client) => client.connect(new SSEClientTransport(new URL(`${base}/sse`))))
      // A raw legacy stream too: its body must end when shutdown closes its session.
      const rawStream = yield* Effect.promise(() => fetch(`${base}/sse`, { headers: { accept: "text/event-stream" } }))
      const ended = (async () => {
        for await (const _ of rawStream.body as unknown as AsyncIterable<Uint8Array>) {
          // read until the server ends the stream
        }
      })()
      const streamable = yield* sdk((client) => client.connect(new StreamableHTTPClientTransport(new URL(http.url))))
      // A call in flight on each transport: each is answered before its connection closes.
      const calls = Effect.all([
        ws.callTool("slow", { ms: 1_500 }),
        Effect.promise(() => old.callTool({ name: "slow", arguments: { ms: 1_500 } })),
        Effect.promise(() => streamable.callTool({ name: "slow", arguments: { ms: 1_500 } }))
      ], { concurrency: "unbounded" })
      const running = yield* Effect.fork(calls)
      // Time for all three to reach the server on a busy machine (a request arriving after close is
      // rightly refused with 503); each still has ~1 s to run when the shutdown starts.
      yield* Effect.sleep(500)
      const started = performance.now()
      yield* http.close
      const elapsed = performance.now() - started
      const [viaWs, viaLegacy, viaStreamable] = yield* running.await.pipe(Effect.flatten)
      expect(textOf(viaWs)).toBe("slept 1500")
      expect(viaLegacy.content).toEqual([{ type: "text", text: "slept 1500" }])
      expect(viaStreamable.content).toEqual([{ type: "text", text: "slept 1500" }])
      // The legacy SSE stream (a response the app is writing) ended with its session, not at the deadline.
      yield* Effect.promise(() => ended)
      expect(elapsed).toBeLessThan(2_000)
    }).pipe(Effect.provideService(Greeting, "hi"), Effect.provide(App)))

  it.scopedLive("keeps the raw node:http `routes` working ahead of the app", () =>
    Effect.gen(function*() {
      const http = yield* HttpTransport.make({
        app: routes,
        routes: (req, res) => {
          if (req.url !== "/raw") return false
          res.writeHead(200, { "content-type": "text/plain" })
          res.end("raw")
          return true
        }
      })
      const raw = yield* Effect.promise(() => fetch(`http://127.0.0.1:${http.port}/raw`).then((r) => r.text()))
      expect(raw).toBe("raw")
      const greeting = yield* Effect.promise(() => fetch(`http://127.0.0.1:${http.port}/hello`).then((r) => r.text()))
      expect(greeting).toBe("hi, world")
    }).pipe(Effect.provideService(Greeting, "hi"), Effect.provide(App)))
})
