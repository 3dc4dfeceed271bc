/**
 * The MCP endpoint as an @effect/platform `HttpApp` (HttpTransport
 * `makeEndpoint` / `toHttpApp`), mounted on /mcp of a user's own
 * `NodeHttpServer` with an `HttpRouter`: the official SDK client over real
 * HTTP, SSE-streamed responses, cancellation, a client going away mid-stream
 * (and resuming), the DNS-rebinding defaults, limits and graceful shutdown.
 */
import { createServer, request as httpRequest } from "node:http"
import { HttpApp, HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { McpServer, Tool } from "@emcee/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Deferred, Effect, Fiber, type Scope, Stream } from "effect"
import * as HttpTransport from "../src/HttpTransport.js"
import * as PlatformAdapter from "../src/internal/httpPlatform.js"
import { App, baseHeaders, call, initializeRequest, openSession, post, sseReader } from "./fixtures/httpApp.js"

/** A user's platform server: the endpoint on /mcp, next to routes of its own. */
const mounted = (options: HttpTransport.EndpointOptions = {}) =>
  Effect.gen(function*() {
    const server = yield* HttpServer.HttpServer
    const endpoint = yield* HttpTransport.makeEndpoint(options)
    yield* HttpServer.serveEffect(HttpRouter.empty.pipe(
      HttpRouter.all("/mcp", endpoint.app),
      HttpRouter.get("/hello", HttpServerResponse.text("hello")),
      HttpRouter.concat(HttpTransport.operationalRoutes)
    ))
    // Added last, so it runs first: the endpoint drains while the router still serves.
    yield* Effect.addFinalizer(() => endpoint.close)
    const address = server.address
    if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
    const base = `http://127.0.0.1:${address.port}`
    return { endpoint, base, url: `${base}/mcp` }
  })

/** Runs `test` with a NodeHttpServer on 127.0.0.1; its scope closes before the server does. */
const withServer = <A, E>(test: Effect.Effect<A, E, HttpServer.HttpServer | McpServer.McpServer | Scope.Scope>) =>
  test.pipe(
    Effect.scoped,
    Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Effect.provide(App)
  )

/** An official SDK client over Streamable HTTP, closed with the scope. */
const sdkClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Client({ name: "sdk-mounted", version: "1.0.0" })
      const transport = new StreamableHTTPClientTransport(new URL(url))
      await client.connect(transport)
      return { client, transport }
    }),
    ({ client }) => Effect.promise(() => client.close())
  )

/** Polls `predicate` every 10 ms, up to `millis`. */
const eventually = (predicate: () => boolean, millis = 2_000) =>
  Effect.promise(async () => {
    const until = performance.now() + millis
    while (!predicate() && performance.now() < until) await new Promise((r) => setTimeout(r, 10))
    return predicate()
  })

describe("HttpTransport.makeEndpoint: the MCP endpoint mounted in a user's @effect/platform server", () => {
  it.live("serves the official SDK client on /mcp of the user's HttpRouter, next to the router's own routes", () =>
    withServer(Effect.gen(function*() {
      const { base, endpoint, url } = yield* mounted()
      const { client, transport } = yield* sdkClient(url)
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/)
      const tools = yield* Effect.promise(() => client.listTools())
      expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["echo", "work"]))
      const echoed = yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { text: "mounted" } }))
      expect(echoed.content).toEqual([{ type: "text", text: "mounted" }])
      // Progress and a log message before the result: the answer is an SSE stream the platform writes.
      const progress: Array<number> = []
      const worked = yield* Effect.promise(() =>
        client.callTool({ name: "work", arguments: { ms: 10 } }, undefined, { onprogress: (p) => progress.push(p.progress) })
      )
      expect(worked.content).toEqual([{ type: "text", text: "worked" }])
      expect(progress).toEqual([1, 2])
      expect(endpoint.stats().sessions).toBe(1)
      const hello = yield* Effect.promise(() => fetch(`${base}/hello`).then((r) => r.text()))
      expect(hello).toBe("hello")
      const health = yield* Effect.promise(() => fetch(`${base}/health/ready`))
      expect(health.status).toBe(200)
      yield* Effect.promise(() => transport.terminateSession())
      expect(endpoint.stats().sessions).toBe(0)
    })))

  it.live("cancels a tool call the SDK client aborts (notifications/cancelled)", () =>
    withServer(Effect.gen(function*() {
      const cancelled = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      yield* McpServer.add(Tool.make("stuck", {
        handler: () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Deferred.succeed(cancelled, undefined))
          )
      }))
      const { endpoint, url } = yield* mounted()
      const { client } = yield* sdkClient(url)
      const controller = new AbortController()
      const call = Effect.promise(() =>
        client.callTool({ name: "stuck", arguments: {} }, undefined, { signal: controller.signal }).then(() => "answered", () => "rejected")
      )
      const fiber = yield* Effect.fork(call)
      yield* Deferred.await(started)
      expect(endpoint.stats().inFlight).toBe(1)
      controller.abort()
      yield* Deferred.await(cancelled).pipe(Effect.timeout(2_000))
      expect(yield* Fiber.join(fiber)).toBe("rejected")
      expect(yield* eventually(() => endpoint.stats().inFlight === 0)).toBe(true)
    })))

  it.live("a 2026-07-28 request whose client closes the connection before its JSON answer is cancelled (spec 2026-07-28 \"Cancellation\")", () =>
    withServer(Effect.gen(function*() {
      const { endpoint, url } = yield* mounted()
      const controller = new AbortController()
      const pending = fetch(url, {
        method: "POST",
        signal: controller.signal,
        headers: { ...baseHeaders, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "work" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 21,
          method: "tools/call",
          params: {
            name: "work",
            arguments: { ms: 60_000 },
            _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} }
          }
        })
      }).catch((e: unknown) => e)
      expect(yield* eventually(() => endpoint.stats().inFlight === 1)).toBe(true)
      controller.abort()
      expect(yield* Effect.promise(() => pending)).toBeInstanceOf(Error)
      expect(yield* eventually(() => endpoint.stats().inFlight === 0, 5_000)).toBe(true)
    })))

  it.live("lets go of an SSE response whose client went away, and replays the rest on GET with Last-Event-ID", () =>
    withServer(Effect.gen(function*() {
      const { endpoint, url } = yield* mounted()
      const sid = yield* Effect.promise(() => openSession(url))
      const res = yield* Effect.promise(() => post(url, call(11, "work", { ms: 300 }, { progressToken: "r" }), { "mcp-session-id": sid }))
      expect(res.headers.get("content-type")).toBe("text/event-stream")
      const sse = sseReader(res)
      const priming = (yield* Effect.promise(() => sse.next()))!
      expect(priming.id).toBeDefined()
      const first = (yield* Effect.promise(() => sse.next()))!
      expect(first.message).toMatchObject({ method: "notifications/progress", params: { progress: 1 } })
      expect(endpoint.stats().streams).toBe(1)
      // The client goes away: the platform stops the response, the stream is detached, the request goes on.
      yield* Effect.promise(() => sse.cancel())
      expect(yield* eventually(() => endpoint.stats().streams === 0)).toBe(true)
      expect(endpoint.stats().inFlight).toBe(1)
      const resumed = yield* Effect.promise(() =>
        fetch(url, { headers: { accept: "text/event-stream", "mcp-session-id": sid, "mcp-protocol-version": baseHeaders["mcp-protocol-version"], "last-event-id": first.id! } })
      )
      expect(resumed.status).toBe(200)
      const rest = yield* Effect.promise(() => sseReader(resumed).rest())
      expect(rest.map((e) => e.message)).toEqual([
        { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "working" } },
        { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "r", progress: 2, total: 2, message: "done" } },
        { jsonrpc: "2.0", id: 11, result: { content: [{ type: "text", text: "worked" }] } }
      ])
      expect(yield* eventually(() => endpoint.stats().streams === 0 && endpoint.stats().inFlight === 0)).toBe(true)
    })))

  it.live("applies the loopback DNS-rebinding defaults of the server's address, and the body limit", () =>
    withServer(Effect.gen(function*() {
      const { url } = yield* mounted({ maxBodyBytes: 1024 })
      const forged = yield* Effect.promise(() =>
        new Promise<number>((resolve, reject) => {
          const body = JSON.stringify(initializeRequest())
          const req = httpRequest(url, { method: "POST", headers: { ...baseHeaders, host: "evil.example", "content-length": String(body.length) } }, (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          })
          req.on("error", reject)
          req.end(body)
        })
      )
      expect(forged).toBe(403)
      const origin = yield* Effect.promise(() => post(url, initializeRequest(), { origin: "http://evil.example" }))
      expect(origin.status).toBe(403)
      const big = yield* Effect.promise(() => post(url, { ...initializeRequest(), pad: "x".repeat(2048) }))
      expect(big.status).toBe(413)
      expect(yield* Effect.promise(() => big.json())).toMatchObject({ error: { code: -32000 } })
      const ok = yield* Effect.promise(() => post(url, initializeRequest()))
      expect(ok.status).toBe(200)
    })))

  it.live("shuts down gracefully: the call in flight is answered, new requests get 503, the GET stream ends", () =>
    withServer(Effect.gen(function*() {
      const { endpoint, url } = yield* mounted({ shutdownTimeout: "5 seconds" })
      const sid = yield* Effect.promise(() => openSession(url))
      const get = yield* Effect.promise(() => fetch(url, { headers: { ...baseHeaders, accept: "text/event-stream", "mcp-session-id": sid } }))
      expect(get.status).toBe(200)
      const stream = sseReader(get)
      const inFlight = yield* Effect.fork(Effect.promise(() => post(url, call(5, "slow", { ms: 300 }), { "mcp-session-id": sid }).then((r) => r.json())))
      yield* eventually(() => endpoint.stats().inFlight === 1)
      const closing = yield* Effect.fork(endpoint.close)
      yield* Effect.sleep(30)
      const refused = yield* Effect.promise(() => post(url, call(6, "echo", { text: "late" }), { "mcp-session-id": sid }))
      expect(refused.status).toBe(503)
      expect(yield* Fiber.join(inFlight)).toMatchObject({ id: 5, result: { content: [{ text: "slept 300" }] } })
      yield* Effect.promise(() => stream.rest())
      yield* Fiber.join(closing)
      expect(endpoint.stats().streams).toBe(0)
    })))

  it.live("runs on a web-standard handler too (HttpApp.toWebHandler): no node:http object is needed", () =>
    Effect.gen(function*() {
      const app = yield* HttpTransport.toHttpApp()
      const handler = HttpApp.toWebHandler(app)
      const init = yield* Effect.promise(() =>
        handler(new Request("http://localhost/mcp", { method: "POST", headers: baseHeaders, body: JSON.stringify(initializeRequest()) }))
      )
      expect(init.status).toBe(200)
      expect(init.headers.get("mcp-session-id")).toMatch(/^[0-9a-f-]{36}$/)
      expect(yield* Effect.promise(() => init.json())).toMatchObject({ id: 0, result: { protocolVersion: "2025-11-25" } })
    }).pipe(Effect.scoped, Effect.provide(App)))
})

describe("the platform Reply (internal/httpPlatform)", () => {
  it.effect("ends an SSE response once more than maxBufferedBytes are left unread, and still delivers what was queued", () =>
    Effect.gen(function*() {
      let response: HttpServerResponse.HttpServerResponse | undefined
      let closes = 0
      const reply = PlatformAdapter.reply((r) => {
        response = r
      }, 100)
      const sink = reply.stream({ "content-type": "text/event-stream" }, () => closes++)
      const accepted = Array.from({ length: 6 }, () => sink.write("x".repeat(40)))
      // 0, 40 and 80 bytes were waiting: taken; 120 waiting is past the bound: the response ends.
      expect(accepted).toEqual([true, true, true, false, false, false])
      expect(closes).toBe(1)
      expect(sink.closed()).toBe(true)
      const body = response!.body
      if (body._tag !== "Stream") throw new Error(`expected a stream body, got ${body._tag}`)
      const chunks = yield* Stream.runCollect(body.stream)
      const text = new TextDecoder().decode(Buffer.concat([...chunks]))
      expect(text).toBe("x".repeat(120))
      expect(closes).toBe(1)
    }))

  it.effect("abandon (the handler was interrupted: the client left) closes a started stream and drops later sends", () =>
    Effect.gen(function*() {
      const responses: Array<HttpServerResponse.HttpServerResponse> = []
      let closes = 0
      const reply = PlatformAdapter.reply((r) => responses.push(r), 1024)
      const sink = reply.stream({}, () => closes++)
      expect(sink.write("data: 1\n\n")).toBe(true)
      reply.abandon()
      expect(closes).toBe(1)
      expect(sink.write("data: 2\n\n")).toBe(false)
      reply.send(200, {}, "late")
      expect(responses).toHaveLength(1)
      // A stream started after abandon is closed at once (its onClose runs once the caller holds it).
      const later = PlatformAdapter.reply((r) => responses.push(r), 1024)
      later.abandon()
      let laterCloses = 0
      expect(later.stream({}, () => laterCloses++).closed()).toBe(true)
      yield* Effect.promise(() => Promise.resolve())
      expect(laterCloses).toBe(1)
      expect(responses).toHaveLength(1)
    }))
})
