/**
 * The deprecated HTTP+SSE transport of 2024-11-05 (spec 2025-11-25
 * basic/transports "Backwards Compatibility"; spec 2024-11-05
 * basic/transports "HTTP with SSE"): the official SDK's SSEClientTransport
 * against it, standalone and mounted next to Streamable HTTP, and raw HTTP
 * for the error paths.
 */
import { createServer, request as httpRequest } from "node:http"
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { McpClient, McpServer, Tool } from "@emcee/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { Deferred, Effect, Layer } from "effect"
import * as HttpClientTransport from "../src/HttpClientTransport.js"
import * as HttpTransport from "../src/HttpTransport.js"
import * as SseParser from "../src/internal/sseParser.js"
import * as LegacySseTransport from "../src/LegacySseTransport.js"
import { echo, slowWithProgress } from "./fixtures/httpApp.js"

const App = McpServer.register(echo, slowWithProgress).pipe(Layer.provideMerge(McpServer.layer({ name: "legacy-test", version: "1.0.0" })))

const initialize = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "raw", version: "1.0.0" } }
}

/** An SDK client over SSEClientTransport, closed with the scope. */
const sdkClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Client({ name: "sdk-sse", version: "1.0.0" })
      await client.connect(new SSEClientTransport(new URL(url)))
      return client
    }),
    (client) => Effect.promise(() => client.close())
  )

/** A raw SSE stream read with our parser: events in arrival order. */
const openSse = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const controller = new AbortController()
      const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal: controller.signal })
      const events: Array<SseParser.Event> = []
      const waiters: Array<() => void> = []
      let ended = false
      const parser = SseParser.make()
      void (async () => {
        try {
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
            events.push(...parser.push(chunk))
            for (const w of waiters.splice(0)) w()
          }
        } catch {
          // aborted
        }
        ended = true
        for (const w of waiters.splice(0)) w()
      })()
      let read = 0
      const next = () =>
        new Promise<SseParser.Event>((resolve, reject) => {
          const check = () => {
            if (read < events.length) return resolve(events[read++]!)
            if (ended) return reject(new Error("the stream ended"))
            waiters.push(check)
          }
          check()
        })
      const endedPromise = () =>
        new Promise<void>((resolve) => {
          const check = () => (ended ? resolve() : void waiters.push(check))
          check()
        })
      return { response, next, abort: () => controller.abort(), ended: endedPromise }
    }),
    ({ abort }) => Effect.sync(abort)
  )

const post = (url: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  Effect.promise(async () => {
    const response = await fetch(url, { method: "POST", headers, body })
    const text = await response.text()
    return { status: response.status, text, json: (): unknown => JSON.parse(text) }
  })

/** A raw session: the SSE stream and the absolute POST URL from its `endpoint` event. */
const rawSession = (sseUrl: string) =>
  Effect.gen(function*() {
    const stream = yield* openSse(sseUrl)
    const endpoint = yield* Effect.promise(stream.next)
    expect(endpoint.type).toBe("endpoint")
    return { stream, postUrl: new URL(endpoint.data, sseUrl).href, endpoint: endpoint.data }
  })

describe("LegacySseTransport (spec 2025-11-25 basic/transports \"Backwards Compatibility\", 2024-11-05 HTTP+SSE)", () => {
  it.scopedLive("serves the official SDK's SSEClientTransport calling a tool", () =>
    Effect.gen(function*() {
      const server = yield* LegacySseTransport.make({})
      const client = yield* sdkClient(server.url)
      const result = yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { text: "legacy" } }))
      expect(result.content).toEqual([{ type: "text", text: "legacy" }])
      expect(server.stats().sessions).toBe(1)
    }).pipe(Effect.provide(App)))

  it.scopedLive("mounts on HttpTransport's server through `routes`: one port serves Streamable HTTP and HTTP+SSE clients", () =>
    Effect.gen(function*() {
      const legacy = yield* LegacySseTransport.makeHandler({})
      const http = yield* HttpTransport.make({ routes: legacy.routes })
      const sseUrl = http.url.replace(/\/mcp$/, "/sse")
      const old = yield* sdkClient(sseUrl)
      const oldResult = yield* Effect.promise(() => old.callTool({ name: "echo", arguments: { text: "old" } }))
      expect(oldResult.content).toEqual([{ type: "text", text: "old" }])
      const transport = yield* HttpClientTransport.make({ url: http.url })
      const modern = yield* McpClient.make({ transport, clientInfo: { name: "modern", version: "1.0.0" }, protocolVersion: "2025-11-25" })
      expect((yield* modern.callTool("echo", { text: "new" })).content).toEqual([{ type: "text", text: "new" }])
      expect(legacy.stats().sessions).toBe(1)
      expect(http.stats().sessions).toBe(1)
    }).pipe(Effect.provide(App)))

  it.live("serves from a user's @effect/platform server through its `router`, next to the user's routes", () =>
    Effect.gen(function*() {
      const legacy = yield* LegacySseTransport.makeHandler({})
      const server = yield* HttpServer.HttpServer
      yield* HttpServer.serveEffect(HttpRouter.concat(legacy.router, HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello")))))
      yield* Effect.addFinalizer(() => legacy.close)
      const port = server.address._tag === "TcpAddress" ? server.address.port : 0
      const client = yield* sdkClient(`http://127.0.0.1:${port}/sse`)
      const result = yield* Effect.promise(() => client.callTool({ name: "slow", arguments: { ms: 5 } }))
      expect(result.content).toEqual([{ type: "text", text: "slept 5 ms" }])
      expect(legacy.stats().sessions).toBe(1)
      expect(yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/hello`).then((r) => r.text()))).toBe("hello")
      const wrongMethod = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/sse`, { method: "POST" }))
      expect(wrongMethod.status).toBe(405)
      // A client that goes away ends its session.
      yield* Effect.promise(() => client.close())
      const until = performance.now() + 2_000
      while (legacy.stats().sessions > 0 && performance.now() < until) yield* Effect.sleep(10)
      expect(legacy.stats().sessions).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })), Effect.provide(App)))

  it.scopedLive("sends the endpoint event first, answers POSTs 202 and every message, responses included, as an SSE message event", () =>
    Effect.gen(function*() {
      const server = yield* LegacySseTransport.make({})
      const { endpoint, postUrl, stream } = yield* rawSession(server.url)
      expect(endpoint).toMatch(/^\/messages\?sessionId=[0-9a-f-]{36}$/)
      expect(stream.response.headers.get("content-type")).toBe("text/event-stream")
      const accepted = yield* post(postUrl, JSON.stringify(initialize))
      expect(accepted.status).toBe(202)
      const response = yield* Effect.promise(stream.next)
      expect(response.type).toBe("message")
      expect(JSON.parse(response.data)).toMatchObject({ id: 0, result: { protocolVersion: "2024-11-05" } })
      expect((yield* post(postUrl, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))).status).toBe(202)
      yield* post(postUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "slow", arguments: { ms: 5 }, _meta: { progressToken: "p" } } }))
      expect(JSON.parse((yield* Effect.promise(stream.next)).data)).toMatchObject({ method: "notifications/progress", params: { progressToken: "p" } })
      expect(JSON.parse((yield* Effect.promise(stream.next)).data)).toMatchObject({ id: 1, result: { content: [{ text: "slept 5 ms" }] } })
    }).pipe(Effect.provide(App)))

  it.scopedLive("answers an unknown sessionId with 404 and a missing one with 400", () =>
    Effect.gen(function*() {
      const server = yield* LegacySseTransport.make({})
      const base = server.url.replace(/\/sse$/, "/messages")
      const unknown = yield* post(`${base}?sessionId=00000000-0000-0000-0000-000000000000`, JSON.stringify(initialize))
      expect(unknown.status).toBe(404)
      expect(unknown.json()).toMatchObject({ error: { code: -32001 } })
      expect((yield* post(base, JSON.stringify(initialize))).status).toBe(400)
    }).pipe(Effect.provide(App)))

  it.scopedLive("answers bad JSON with 400 and -32700, and a JSON value that is not a message with 400 and -32600", () =>
    Effect.gen(function*() {
      const server = yield* LegacySseTransport.make({})
      const { postUrl } = yield* rawSession(server.url)
      const bad = yield* post(postUrl, "{not json")
      expect(bad.status).toBe(400)
      expect(bad.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } })
      const invalid = yield* post(postUrl, JSON.stringify([initialize]))
      expect(invalid.status).toBe(400)
      expect(invalid.json()).toMatchObject({ error: { code: -32600 } })
    }).pipe(Effect.provide(App)))

  it.scopedLive("refuses a wrong Content-Type (415), a body over the limit (413) and a bad MCP-Protocol-Version (400)", () =>
    Effect.gen(function*() {
      const server = yield* LegacySseTransport.make({ maxBodyBytes: 1024 })
      const { postUrl } = yield* rawSession(server.url)
      expect((yield* post(postUrl, JSON.stringify(initialize), { "content-type": "text/plain" })).status).toBe(415)
      expect((yield* post(postUrl, JSON.stringify({ ...initialize, pad: "x".repeat(2048) }))).status).toBe(413)
      expect((yield* post(postUrl, JSON.stringify(initialize), { "content-type": "application/json", "mcp-protocol-version": "1999-01-01" })).status).toBe(400)
      expect((yield* post(postUrl, JSON.stringify(initialize), { "content-type": "application/json; charset=utf-8" })).status).toBe(202)
    }).pipe(Effect.provide(App)))

  it.scopedLive("refuses a foreign Origin or Host with 403 on a loopback bind (spec 2025-11-25 basic/transports \"Security Warning\" 1.)", () =>
    Effect.gen(function*() {
      const server = yield* LegacySseTransport.make({})
      const origin = yield* Effect.promise(() => fetch(server.url, { headers: { origin: "http://evil.example", accept: "text/event-stream" } }))
      expect(origin.status).toBe(403)
      // fetch cannot forge Host; node:http can (as a DNS-rebinding page's browser would send it).
      const host = yield* Effect.promise(() =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest(server.url, { headers: { host: "evil.example" } }, (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          })
          req.on("error", reject)
          req.end()
        })
      )
      expect(host).toBe(403)
    }).pipe(Effect.provide(App)))

  it.scopedLive("closing the SSE stream ends the session and cancels its in-flight requests", () =>
    Effect.gen(function*() {
      const cancelled = yield* Deferred.make<void>()
      yield* McpServer.add(Tool.make("stuck", { handler: () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(cancelled, undefined))) }))
      const server = yield* LegacySseTransport.make({})
      const mcp = yield* McpServer.McpServer
      const { postUrl, stream } = yield* rawSession(server.url)
      yield* post(postUrl, JSON.stringify(initialize))
      yield* Effect.promise(stream.next)
      yield* post(postUrl, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))
      yield* post(postUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "stuck", arguments: {} } }))
      expect(mcp.sessions()).toHaveLength(1)
      stream.abort()
      yield* Deferred.await(cancelled).pipe(Effect.timeout(2_000))
      expect(server.stats().sessions).toBe(0)
      expect(mcp.sessions()).toHaveLength(0)
      expect((yield* post(postUrl, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }))).status).toBe(404)
    }).pipe(Effect.provide(App)))

  it.scopedLive("shuts down gracefully: the in-flight response is delivered, then the stream ends; new streams get 503", () =>
    Effect.gen(function*() {
      const server = yield* LegacySseTransport.make({})
      const { postUrl, stream } = yield* rawSession(server.url)
      yield* post(postUrl, JSON.stringify(initialize))
      yield* Effect.promise(stream.next)
      yield* post(postUrl, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))
      yield* post(postUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "slow", arguments: { ms: 300 } } }))
      const closing = yield* Effect.fork(server.close)
      yield* Effect.sleep(30)
      const refused = yield* Effect.promise(() => fetch(server.url, { headers: { accept: "text/event-stream" } }))
      expect(refused.status).toBe(503)
      expect(JSON.parse((yield* Effect.promise(stream.next)).data)).toMatchObject({ id: 1, result: { content: [{ text: "slept 300 ms" }] } })
      yield* Effect.promise(stream.ended)
      yield* closing.await
    }).pipe(Effect.provide(App)))
})
