/**
 * Config everywhere: every transport's options read from Effect `Config`
 * (`layerConfig`, `config(prefix)`), a bad value a `ConfigError` naming the
 * key; and a port that is taken a typed `ListenError` with a one-line message.
 */
import { createServer } from "node:net"
import { HttpApp, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { McpClient, McpServer } from "@emcee/core"
import { Cause, Config, ConfigError, ConfigProvider, Duration, Effect, Exit, Layer, Option } from "effect"
import * as EventStore from "../src/EventStore.js"
import * as HttpTransport from "../src/HttpTransport.js"
import * as LegacySseTransport from "../src/LegacySseTransport.js"
import * as StdioTransport from "../src/StdioTransport.js"
import * as WebHandler from "../src/WebHandler.js"
import * as WebSocketClientTransport from "../src/WebSocketClientTransport.js"
import * as WebSocketTransport from "../src/WebSocketTransport.js"
import { echo } from "./fixtures/httpApp.js"

const App = McpServer.register(echo).pipe(Layer.provideMerge(McpServer.layer({ name: "config-test", version: "1.0.0" })))

/** Environment-style keys (`HTTP_PORT`), as `ConfigProvider.fromEnv` reads them. */
const env = (entries: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(entries)), { pathDelim: "_" })

/** A port that was free a moment ago. */
const freePort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** The keys a config error names, as environment variables spell them. */
const keysOf = (error: ConfigError.ConfigError): Array<string> =>
  error._op === "And" || error._op === "Or" ? [...keysOf(error.left), ...keysOf(error.right)] : [error.path.join("_")]

const configErrorOf = <A, E>(exit: Exit.Exit<A, E>): ConfigError.ConfigError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = Option.getOrUndefined(Cause.failureOption(exit.cause))
  if (!ConfigError.isConfigError(error)) throw new Error(`expected a ConfigError, got ${Cause.pretty(exit.cause)}`)
  return error
}

describe("HttpTransport config", () => {
  it.effect("reads every option from HTTP_* keys", () =>
    Effect.gen(function*() {
      const options = yield* HttpTransport.config().pipe(
        Effect.withConfigProvider(env({
          HTTP_PORT: "0",
          HTTP_HOST: "127.0.0.1",
          HTTP_PATH: "/rpc",
          HTTP_STATELESS: "true",
          HTTP_ENABLE_JSON_RESPONSE: "false",
          HTTP_MAX_BODY_BYTES: "1024",
          HTTP_ALLOWED_ORIGINS: "https://a.example, https://b.example",
          HTTP_ALLOWED_HOSTS: "a.example",
          HTTP_DNS_REBINDING_PROTECTION: "true",
          HTTP_SESSION_IDLE_TIMEOUT: "5m",
          HTTP_MAX_SESSIONS: "7",
          HTTP_KEEP_ALIVE_INTERVAL: "500ms",
          HTTP_RETRY_INTERVAL: "2 seconds",
          HTTP_SHUTDOWN_TIMEOUT: "1.5s",
          HTTP_MAX_BUFFERED_BYTES: "4096",
          HTTP_HEADERS_TIMEOUT: "3s",
          HTTP_REQUEST_TIMEOUT: "1h",
          HTTP_WEBSOCKET: "true",
          HTTP_LEGACY_SSE: "false"
        }))
      )
      expect(options).toEqual({
        port: 0,
        host: "127.0.0.1",
        path: "/rpc",
        stateless: true,
        enableJsonResponse: false,
        maxBodyBytes: 1024,
        allowedOrigins: ["https://a.example", "https://b.example"],
        allowedHosts: ["a.example"],
        dnsRebindingProtection: true,
        sessionIdleTimeout: Duration.minutes(5),
        maxSessions: 7,
        keepAliveInterval: Duration.millis(500),
        retryInterval: Duration.seconds(2),
        shutdownTimeout: Duration.millis(1500),
        maxBufferedBytes: 4096,
        headersTimeout: Duration.seconds(3),
        requestTimeout: Duration.hours(1),
        webSocket: true,
        legacySse: false
      })
    }))

  it.effect("with nothing set, sets no option (the defaults of `Options` apply)", () =>
    Effect.gen(function*() {
      expect(yield* HttpTransport.config().pipe(Effect.withConfigProvider(env({})))).toEqual({})
    }))

  it.effect("a prefix nests the keys: config(\"MCP\") reads MCP_HTTP_PORT", () =>
    Effect.gen(function*() {
      const options = yield* HttpTransport.config("MCP").pipe(Effect.withConfigProvider(env({ MCP_HTTP_PORT: "8080", HTTP_PORT: "1" })))
      expect(options).toEqual({ port: 8080 })
    }))

  it.live("layerConfig serves on the configured port and path", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* Layer.build(HttpTransport.layerConfig().pipe(Layer.provide(App))).pipe(
        Effect.withConfigProvider(env({ HTTP_PORT: String(port), HTTP_PATH: "/rpc", HTTP_ENABLE_JSON_RESPONSE: "true" }))
      )
      const response = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/rpc`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "config-test", version: "1.0.0" } }
          })
        })
      )
      expect(response.status).toBe(200)
      const body = (yield* Effect.promise(() => response.json())) as { result: { serverInfo: { name: string } } }
      expect(body.result.serverInfo.name).toBe("config-test")
    }).pipe(Effect.scoped))

  it.live("layerConfig with HTTP_WEBSOCKET and HTTP_LEGACY_SSE serves both on the one port, and an app added with Config.map", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const app = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello")))
      yield* Layer.build(HttpTransport.layerConfig(Config.map(HttpTransport.config(), (options) => ({ ...options, app }))).pipe(Layer.provide(App))).pipe(
        Effect.withConfigProvider(env({ HTTP_PORT: String(port), HTTP_WEBSOCKET: "true", HTTP_LEGACY_SSE: "true" }))
      )
      const sse = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/sse`, { headers: { accept: "text/event-stream" } }))
      expect(sse.headers.get("content-type")).toBe("text/event-stream")
      yield* Effect.promise(() => sse.body!.cancel())
      const hello = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/hello`).then((r) => r.text()))
      expect(hello).toBe("hello")
      const transport = yield* WebSocketClientTransport.make(`ws://127.0.0.1:${port}/mcp`)
      const client = yield* McpClient.make({ transport, clientInfo: { name: "config-test", version: "1.0.0" } })
      expect((yield* client.listTools()).tools.length).toBeGreaterThan(0)
    }).pipe(Effect.scoped))

  it.live("make with config() and HTTP_PORT=0 picks a free port", () =>
    Effect.gen(function*() {
      const options = yield* HttpTransport.config()
      const running = yield* HttpTransport.make(options)
      expect(running.port).toBeGreaterThan(0)
      const health = yield* Effect.promise(() => fetch(`http://127.0.0.1:${running.port}/health`))
      expect(health.status).toBe(200)
    }).pipe(Effect.provide(App), Effect.scoped, Effect.withConfigProvider(env({ HTTP_PORT: "0" }))))

  it.effect("a bad value fails the Layer with a ConfigError naming the key", () =>
    Effect.gen(function*() {
      for (
        const [key, value] of [
          ["HTTP_PORT", "eighty"],
          ["HTTP_PORT", "70000"],
          ["HTTP_MAX_SESSIONS", "0"],
          ["HTTP_STATELESS", "maybe"],
          ["HTTP_SHUTDOWN_TIMEOUT", "soon"]
        ] as const
      ) {
        const exit = yield* Layer.build(HttpTransport.layerConfig().pipe(Layer.provide(App))).pipe(
          Effect.scoped,
          Effect.withConfigProvider(env({ [key]: value })),
          Effect.exit
        )
        const error = configErrorOf(exit)
        expect(keysOf(error)).toEqual([key])
        expect(String(error)).toContain(value)
      }
    }))

  it.effect("the error is typed: catchTag-able as a failure, not a defect", () =>
    Effect.gen(function*() {
      const error = yield* Layer.build(HttpTransport.layerConfig().pipe(Layer.provide(App))).pipe(
        Effect.scoped,
        Effect.withConfigProvider(env({ HTTP_MAX_BODY_BYTES: "-1" })),
        Effect.flip
      )
      expect(ConfigError.isConfigError(error)).toBe(true)
    }))
})

describe("the other transports' config", () => {
  it.effect("WebSocketTransport reads WEBSOCKET_* keys", () =>
    Effect.gen(function*() {
      const options = yield* WebSocketTransport.config().pipe(
        Effect.withConfigProvider(env({
          WEBSOCKET_PORT: "0",
          WEBSOCKET_PATH: "/ws",
          WEBSOCKET_MAX_PAYLOAD_BYTES: "100",
          WEBSOCKET_PING_INTERVAL: "0s",
          WEBSOCKET_MAX_CONNECTIONS: "3",
          WEBSOCKET_ALLOWED_ORIGINS: "*"
        }))
      )
      expect(options).toEqual({
        port: 0,
        path: "/ws",
        maxPayloadBytes: 100,
        pingInterval: Duration.zero,
        maxConnections: 3,
        allowedOrigins: ["*"]
      })
    }))

  it.live("WebSocketTransport.layerConfig serves; a bad key names itself", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* Layer.build(WebSocketTransport.layerConfig().pipe(Layer.provide(App))).pipe(
        Effect.withConfigProvider(env({ WEBSOCKET_PORT: String(port) }))
      )
      // A plain GET on the WebSocket path is answered 426 Upgrade Required.
      const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/mcp`))
      expect(response.status).toBe(426)
      const exit = yield* Layer.build(WebSocketTransport.layerConfig().pipe(Layer.provide(App))).pipe(
        Effect.scoped,
        Effect.withConfigProvider(env({ WEBSOCKET_PING_INTERVAL: "often" })),
        Effect.exit
      )
      expect(keysOf(configErrorOf(exit))).toEqual(["WEBSOCKET_PING_INTERVAL"])
    }).pipe(Effect.scoped))

  it.live("LegacySseTransport reads LEGACY_SSE_* keys and serves", () =>
    Effect.gen(function*() {
      const options = yield* LegacySseTransport.config().pipe(
        Effect.withConfigProvider(env({ LEGACY_SSE_SSE_PATH: "/events", LEGACY_SSE_MESSAGES_PATH: "/post", LEGACY_SSE_MAX_SESSIONS: "2" }))
      )
      expect(options).toEqual({ ssePath: "/events", messagesPath: "/post", maxSessions: 2 })
      const port = yield* freePort
      yield* Layer.build(LegacySseTransport.layerConfig().pipe(Layer.provide(App))).pipe(
        Effect.withConfigProvider(env({ LEGACY_SSE_PORT: String(port), LEGACY_SSE_MESSAGES_PATH: "/post" }))
      )
      // A POST without a session id is refused by the message endpoint (it exists on the configured path).
      const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/post`, { method: "POST", body: "{}" }))
      expect(response.status).not.toBe(404)
    }).pipe(Effect.scoped))

  it.effect("StdioTransport reads STDIO_* keys; runConfig fails with a ConfigError naming a bad key", () =>
    Effect.gen(function*() {
      const options = yield* StdioTransport.config().pipe(
        Effect.withConfigProvider(env({ STDIO_MAX_MESSAGE_BYTES: "1000", STDIO_SHUTDOWN_TIMEOUT: "2s", STDIO_GUARD_CONSOLE: "false" }))
      )
      expect(options).toEqual({ maxMessageBytes: 1000, shutdownTimeout: Duration.seconds(2), guardConsole: false })
      const error = yield* StdioTransport.runConfig().pipe(
        Effect.provide(App),
        Effect.withConfigProvider(env({ STDIO_MAX_MESSAGE_BYTES: "lots" })),
        Effect.flip
      )
      expect(keysOf(error)).toEqual(["STDIO_MAX_MESSAGE_BYTES"])
    }))

  it.effect("WebHandler reads the HTTP_* keys that apply to it; makeConfig serves", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromJson({ HTTP: { STATELESS: "false", MAX_BODY_BYTES: "2048", ALLOWED_ORIGINS: ["https://a.example"] } })
      const options = yield* WebHandler.config().pipe(Effect.withConfigProvider(provider))
      expect(options).toEqual({ stateless: false, maxBodyBytes: 2048, allowedOrigins: ["https://a.example"] })
      const handler = yield* WebHandler.makeConfig().pipe(Effect.withConfigProvider(env({ HTTP_ENABLE_JSON_RESPONSE: "true" })))
      const response = yield* Effect.promise(() =>
        handler(
          new Request("http://localhost/mcp", {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" })
          })
        )
      )
      expect(response.status).toBe(200)
      const error = yield* WebHandler.makeConfig().pipe(Effect.withConfigProvider(env({ HTTP_MAX_BODY_BYTES: "big" })), Effect.flip)
      expect(keysOf(error)).toEqual(["HTTP_MAX_BODY_BYTES"])
    }).pipe(Effect.provide(App), Effect.scoped))

  it.effect("HttpTransport.toHttpAppConfig reads the HTTP_* keys of the endpoint; a bad one is a ConfigError naming it", () =>
    Effect.gen(function*() {
      const app = yield* HttpTransport.toHttpAppConfig().pipe(Effect.withConfigProvider(env({ HTTP_STATELESS: "true" })))
      const response = yield* Effect.promise(() =>
        HttpApp.toWebHandler(app)(
          new Request("http://localhost/mcp", {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" })
          })
        )
      )
      // Stateless: a ping without initialize or a session is served.
      expect(response.status).toBe(200)
      const error = yield* HttpTransport.toHttpAppConfig().pipe(Effect.withConfigProvider(env({ HTTP_MAX_SESSIONS: "none" })), Effect.flip)
      expect(keysOf(error)).toEqual(["HTTP_MAX_SESSIONS"])
    }).pipe(Effect.provide(App), Effect.scoped))

  it.effect("EventStore.memoryConfig reads EVENT_STORE_* keys", () =>
    Effect.gen(function*() {
      const options = yield* EventStore.config("MCP").pipe(
        Effect.withConfigProvider(env({ MCP_EVENT_STORE_MAX_EVENTS_PER_STREAM: "5", MCP_EVENT_STORE_MAX_BYTES: "1000" }))
      )
      expect(options).toEqual({ maxEventsPerStream: 5, maxBytes: 1000 })
      const store = yield* EventStore.EventStore.pipe(
        Effect.provide(EventStore.memoryConfig()),
        Effect.withConfigProvider(env({ EVENT_STORE_MAX_EVENTS_PER_STREAM: "1" }))
      )
      const first = yield* store.start("s.1")
      yield* store.append("s.1", "a")
      yield* store.append("s.1", "b")
      const replayed: Array<string> = []
      yield* store.replayAfter(first, (_id, data) => Effect.sync(() => void replayed.push(data)))
      expect(replayed.length).toBeLessThanOrEqual(1)
      const error = yield* EventStore.EventStore.pipe(
        Effect.provide(EventStore.memoryConfig()),
        Effect.withConfigProvider(env({ EVENT_STORE_MAX_STREAMS: "none" })),
        Effect.flip
      )
      expect(keysOf(error)).toEqual(["EVENT_STORE_MAX_STREAMS"])
    }))
})

describe("a port that is taken", () => {
  const taken = (port: number) => `cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`

  it.live("HttpTransport.make fails with a typed ListenError whose message is one line", () =>
    Effect.gen(function*() {
      const first = yield* HttpTransport.make({ port: 0 })
      const error = yield* HttpTransport.make({ port: first.port }).pipe(Effect.flip)
      expect(error).toBeInstanceOf(HttpTransport.ListenError)
      expect(error._tag).toBe("ListenError")
      expect(error.host).toBe("127.0.0.1")
      expect(error.port).toBe(first.port)
      expect(error.message).toBe(taken(first.port))
      expect(error.message).not.toContain("\n")
      // catchTag works: it is a failure, not a defect.
      const recovered = yield* HttpTransport.make({ port: first.port }).pipe(
        Effect.catchTag("ListenError", (e) => Effect.succeed(e.reason))
      )
      expect(recovered).toBe("address already in use (EADDRINUSE)")
    }).pipe(Effect.provide(App), Effect.scoped))

  it.live("HttpTransport.layer fails to build with ListenError", () =>
    Effect.gen(function*() {
      const first = yield* HttpTransport.make({ port: 0 })
      const error = yield* Layer.build(HttpTransport.layer({ port: first.port })).pipe(Effect.flip)
      expect(error.message).toBe(taken(first.port))
    }).pipe(Effect.provide(App), Effect.scoped))

  it.live("WebSocketTransport and LegacySseTransport fail with the same ListenError", () =>
    Effect.gen(function*() {
      const first = yield* HttpTransport.make({ port: 0 })
      const ws = yield* WebSocketTransport.make({ port: first.port }).pipe(Effect.flip)
      expect(ws).toBeInstanceOf(HttpTransport.ListenError)
      expect(ws.message).toBe(taken(first.port))
      const sse = yield* LegacySseTransport.make({ port: first.port }).pipe(Effect.flip)
      expect(sse).toBeInstanceOf(LegacySseTransport.ListenError)
      expect(sse.message).toBe(taken(first.port))
    }).pipe(Effect.provide(App), Effect.scoped))

  it.live("an address that is not on this machine is a ListenError too", () =>
    Effect.gen(function*() {
      const error = yield* HttpTransport.make({ port: 0, host: "192.0.2.1" }).pipe(Effect.flip)
      expect(error.message).toMatch(/^cannot listen on 192\.0\.2\.1:0: /)
      expect(error.message).not.toContain("\n")
    }).pipe(Effect.provide(App), Effect.scoped))
})
