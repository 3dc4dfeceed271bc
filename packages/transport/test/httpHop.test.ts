/**
 * `HttpHop`: one 2026-07-28 request per POST (spec 2026-07-28
 * basic/transports/streamable-http), against our own HttpTransport on a
 * real port, and against raw `node:http` servers for what a well-behaved
 * server never does (oversized bodies, wrong content types, silence).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { type JsonRpc, Logging, McpClient, McpSchema, McpServer, Progress, Tool } from "@emcee/core"
import { Deferred, Effect, Fiber, Layer, Schema } from "effect"
import * as HttpHop from "../src/HttpHop.js"
import * as HttpTransport from "../src/HttpTransport.js"
import { echo } from "./fixtures/httpApp.js"

/** Reports progress and logs before its result: the answer is an SSE stream. */
const work = Tool.make("work", {
  handler: () =>
    Effect.gen(function*() {
      yield* Progress.report(1, { total: 2 })
      yield* Logging.log("warning", "halfway")
      yield* Progress.report(2, { total: 2 })
      return "worked"
    })
})

let hangInterrupted: Deferred.Deferred<void> | undefined
const hang = Tool.make("hang", {
  handler: () => Effect.never.pipe(Effect.onInterrupt(() => (hangInterrupted === undefined ? Effect.void : Deferred.succeed(hangInterrupted, undefined))))
})

const café = Tool.make("café", { input: Schema.Struct({ text: Schema.String }), handler: ({ text }) => Effect.succeed(`☕ ${text}`) })

const App = McpServer.register(echo, work, hang, café).pipe(Layer.provideMerge(McpServer.layer({ name: "hop-backend", version: "1.0.0" })))

let nextId = 0
/** A request as a 2026-07-28 client sends it (spec 2026-07-28 basic/index "Request Metadata"). */
const stamped = (method: string, params: JsonRpc.JsonObject, meta: JsonRpc.JsonObject = {}): JsonRpc.Request => ({
  jsonrpc: "2.0",
  id: ++nextId,
  method,
  params: {
    ...params,
    _meta: {
      ...meta,
      [McpSchema.MetaKey.protocolVersion]: "2026-07-28",
      [McpSchema.MetaKey.clientInfo]: { name: "hop-test", version: "1.0.0" },
      [McpSchema.MetaKey.clientCapabilities]: {},
      [McpSchema.MetaKey.logLevel]: "debug"
    }
  }
})

/** A raw HTTP server for the life of the scope; every request it got is kept. */
const rawServer = (handle: (request: IncomingMessage, response: ServerResponse, body: string) => void) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const seen: Array<{ readonly headers: IncomingMessage["headers"]; readonly body: string }> = []
      const server = createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const body = Buffer.concat(chunks).toString()
          seen.push({ headers: request.headers, body })
          handle(request, response, body)
        })
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const { port } = server.address() as AddressInfo
      return { url: `http://127.0.0.1:${port}/mcp`, server, seen }
    }),
    ({ server }) =>
      Effect.promise(() => {
        server.closeAllConnections()
        return new Promise((resolve) => server.close(resolve))
      })
  )

describe("HttpHop against HttpTransport (spec 2026-07-28 basic/transports/streamable-http)", () => {
  it.scopedLive("a tools/call comes back as the result the server sent, on kept-alive connections", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const hop = yield* HttpHop.make({ url: server.url })
      for (let i = 0; i < 3; i++) {
        const result = yield* hop.send({ message: stamped("tools/call", { name: "echo", arguments: { text: `hi ${i}` } }) })
        expect(result.content).toEqual([{ type: "text", text: `hi ${i}` }])
      }
      // Mcp-Name is Base64-wrapped when not plain ASCII ("Value Encoding"): the server checks it against the body.
      const coffee = yield* hop.send({ message: stamped("tools/call", { name: "café", arguments: { text: "au lait" } }) })
      expect(coffee.content).toEqual([{ type: "text", text: "☕ au lait" }])
    }).pipe(Effect.provide(App)))

  it.scopedLive("an SSE answer: progress and log notifications reach onNotification in order, before the result (\"Sending Messages to the Server\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const hop = yield* HttpHop.make({ url: server.url })
      const seen: Array<string> = []
      const result = yield* hop.send({
        message: stamped("tools/call", { name: "work", arguments: {} }, { progressToken: "p1" }),
        onNotification: (notification) => Effect.sync(() => void seen.push(`${notification.method} ${JSON.stringify(notification.params?.progress ?? notification.params?.data)}`))
      })
      expect(result.content).toEqual([{ type: "text", text: "worked" }])
      expect(seen).toEqual(["notifications/progress 1", "notifications/message \"halfway\"", "notifications/progress 2"])
    }).pipe(Effect.provide(App)))

  it.scopedLive("a JSON-RPC error of the server is that error; an unknown tool is -32602 (spec server/tools \"Error Handling\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const hop = yield* HttpHop.make({ url: server.url })
      const error = yield* Effect.flip(hop.send({ message: stamped("tools/call", { name: "nope", arguments: {} }) }))
      expect(error.code).toBe(-32602)
      const unknownMethod = yield* Effect.flip(hop.send({ message: stamped("nope/nope", {}) }))
      expect(unknownMethod.code).toBe(-32601)
    }).pipe(Effect.provide(App)))

  it.scopedLive("interrupting a request closes its connection, which cancels it on the server (spec 2026-07-28 basic/patterns/cancellation)", () =>
    Effect.gen(function*() {
      hangInterrupted = yield* Deferred.make<void>()
      const server = yield* HttpTransport.make({})
      const hop = yield* HttpHop.make({ url: server.url })
      const fiber = yield* Effect.fork(hop.send({ message: stamped("tools/call", { name: "hang", arguments: {} }) }))
      yield* Effect.sleep(200)
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(hangInterrupted).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("the server's handler was not interrupted") }))
      // The hop still serves.
      const result = yield* hop.send({ message: stamped("tools/call", { name: "echo", arguments: { text: "after" } }) })
      expect(result.content).toEqual([{ type: "text", text: "after" }])
    }).pipe(Effect.provide(App)))

  it.scopedLive("past timeoutMillis the request fails with RequestTimeout (-32001) and is cancelled", () =>
    Effect.gen(function*() {
      hangInterrupted = yield* Deferred.make<void>()
      const server = yield* HttpTransport.make({})
      const hop = yield* HttpHop.make({ url: server.url })
      const error = yield* Effect.flip(hop.send({ message: stamped("tools/call", { name: "hang", arguments: {} }), timeoutMillis: 150 }))
      expect(error.code).toBe(McpClient.ClientErrorCode.RequestTimeout)
      expect(error.message).toContain("150 ms")
      yield* Deferred.await(hangInterrupted).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("not cancelled") }))
    }).pipe(Effect.provide(App)))
})

describe("HttpHop against servers that misbehave", () => {
  it.scopedLive("headers: MCP-Protocol-Version from _meta, Mcp-Method, Mcp-Name, the configured and per-request ones; one POST per request, no session", () =>
    Effect.gen(function*() {
      const raw = yield* rawServer((_request, response, body) => {
        const id = (JSON.parse(body) as { id: number }).id
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id, result: { contents: [] } }))
      })
      const hop = yield* HttpHop.make({ url: raw.url, headers: { authorization: "Bearer backend-own" } })
      yield* hop.send({ message: stamped("resources/read", { uri: "file:///a b.txt" }), headers: { "x-extra": "1" } })
      const headers = raw.seen[0]!.headers
      expect(headers["mcp-protocol-version"]).toBe("2026-07-28")
      expect(headers["mcp-method"]).toBe("resources/read")
      expect(headers["mcp-name"]).toBe("file:///a b.txt")
      expect(headers["authorization"]).toBe("Bearer backend-own")
      expect(headers["x-extra"]).toBe("1")
      expect(headers["mcp-session-id"]).toBeUndefined()
      expect(headers["accept"]).toBe("application/json, text/event-stream")
    }))

  it.scopedLive("a body larger than maxResponseBytes fails the request naming the limit; so does an endless SSE event", () =>
    Effect.gen(function*() {
      const raw = yield* rawServer((request, response) => {
        if (request.headers["mcp-method"] === "tools/call") {
          response.writeHead(200, { "content-type": "application/json" })
          response.end(`{"jsonrpc":"2.0","id":1,"result":{"x":"${"a".repeat(200_000)}"}}`)
          return
        }
        response.writeHead(200, { "content-type": "text/event-stream" })
        // An event that never ends.
        response.write("data: ")
        const timer = setInterval(() => response.write("b".repeat(16_384)), 1)
        response.on("close", () => clearInterval(timer))
      })
      const hop = yield* HttpHop.make({ url: raw.url, maxResponseBytes: 100_000 })
      const big = yield* Effect.flip(hop.send({ message: stamped("tools/call", { name: "x", arguments: {} }) }))
      expect(big.message).toContain("larger than 100000 bytes")
      expect(big.code).toBe(McpClient.ClientErrorCode.InvalidResult)
      expect(big.data).toEqual({ maxMessageBytes: 100_000 })
      const endless = yield* Effect.flip(hop.send({ message: stamped("prompts/get", { name: "x" }) }))
      expect(endless.message).toContain("larger than 100000 bytes")
    }))

  it.scopedLive("an HTTP error without a JSON-RPC error (or with a legacy-range code) is -32000 with data.httpStatus (\"Backward Compatibility\"); a 2xx that is not JSON is refused", () =>
    Effect.gen(function*() {
      const raw = yield* rawServer((request, response, body) => {
        const id = (JSON.parse(body) as { id: number }).id
        const name = request.headers["mcp-name"]
        if (name === "forbidden") return void response.writeHead(403, { "content-type": "text/plain" }).end("Forbidden")
        if (name === "legacy") {
          return void response.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32000, message: "Server not initialized" } }))
        }
        if (name === "mismatch") {
          return void response.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32020, message: "Header mismatch" } }))
        }
        response.writeHead(200, { "content-type": "text/html" }).end("<html></html>")
      })
      const hop = yield* HttpHop.make({ url: raw.url })
      const forbidden = yield* Effect.flip(hop.send({ message: stamped("tools/call", { name: "forbidden" }) }))
      expect(forbidden.code).toBe(-32000)
      expect(forbidden.data).toEqual({ httpStatus: 403 })
      const legacy = yield* Effect.flip(hop.send({ message: stamped("tools/call", { name: "legacy" }) }))
      expect(legacy.code).toBe(-32000)
      expect(legacy.data).toEqual({ httpStatus: 400 })
      const mismatch = yield* Effect.flip(hop.send({ message: stamped("tools/call", { name: "mismatch" }) }))
      expect(mismatch.code).toBe(-32020)
      const html = yield* Effect.flip(hop.send({ message: stamped("tools/call", { name: "html" }) }))
      expect(html.message).toContain("unexpected content type \"text/html\"")
    }))

  it.scopedLive("a server that never answers: the timeout fails the request; a connection refused is -32000 naming the URL", () =>
    Effect.gen(function*() {
      const raw = yield* rawServer(() => {})
      const hop = yield* HttpHop.make({ url: raw.url })
      const silent = yield* Effect.flip(hop.send({ message: stamped("tools/call", { name: "x" }), timeoutMillis: 100 }))
      expect(silent.code).toBe(McpClient.ClientErrorCode.RequestTimeout)
      const port = Number(new URL(raw.url).port)
      yield* Effect.promise(() => {
        raw.server.closeAllConnections()
        return new Promise((resolve) => raw.server.close(resolve))
      })
      const refused = yield* HttpHop.make({ url: `http://127.0.0.1:${port}/mcp` }).pipe(
        Effect.flatMap((gone) => Effect.flip(gone.send({ message: stamped("tools/call", { name: "x" }) })))
      )
      expect(refused.code).toBe(McpClient.ClientErrorCode.ConnectionClosed)
      expect(refused.message).toContain(`POST http://127.0.0.1:${port}/mcp failed`)
    }))
})
