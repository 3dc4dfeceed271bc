/**
 * The Streamable HTTP client transport (spec 2025-11-25 basic/transports
 * "Streamable HTTP") against our own HttpTransport on a real port, through
 * McpClient. Disconnects are real: the test's fetch cancels the response body,
 * which closes the TCP connection the server is writing to.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpClient, McpServer, Tool } from "@emcee/core"
import { Effect, Layer, Option, Queue, Stream } from "effect"
import * as HttpClientTransport from "../src/HttpClientTransport.js"
import * as HttpTransport from "../src/HttpTransport.js"
import { echo, work } from "./fixtures/httpApp.js"

const later = (name: string) => Tool.make(name, { handler: () => Effect.succeed(name) })

const App = McpServer.register(echo, work).pipe(Layer.provideMerge(McpServer.layer({ name: "http-client-test", version: "1.0.0" })))

interface Seen {
  readonly method: string
  readonly headers: Record<string, string>
  readonly status: number
  readonly contentType: string
}

/**
 * A real fetch that records every exchange, and cuts the first SSE response
 * body matching `cutAfter` right after the chunk that contains it.
 */
const recorder = (cutAfter?: { readonly method: string; readonly text: string }) => {
  const seen: Array<Seen> = []
  let cut = false
  const fetchFn: typeof globalThis.fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init)
    const method = init?.method ?? "GET"
    const contentType = response.headers.get("content-type") ?? ""
    seen.push({ method, headers: { ...(init?.headers as Record<string, string>) }, status: response.status, contentType })
    if (cutAfter === undefined || cut || method !== cutAfter.method || !contentType.includes("text/event-stream") || response.body === null) {
      return response
    }
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    let text = ""
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read()
        if (done) return controller.close()
        controller.enqueue(value)
        text += decoder.decode(value, { stream: true })
        if (!cut && text.includes(cutAfter.text)) {
          cut = true
          // Closes the connection under the server's feet.
          await reader.cancel()
          controller.error(new Error("connection dropped"))
        }
      },
      cancel: () => reader.cancel()
    })
    return new Response(body, { status: response.status, headers: response.headers })
  }
  return { seen, fetch: fetchFn, wasCut: () => cut }
}

const connect = (options: HttpClientTransport.Options) =>
  Effect.gen(function*() {
    const transport = yield* HttpClientTransport.make(options)
    const client = yield* McpClient.make({ transport, clientInfo: { name: "http-client-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
    return { transport, client }
  })

/** A client whose session the server ended (as an idle timeout or a restart would): its next request gets 404. */
const expiredSession = Effect.gen(function*() {
  const server = yield* HttpTransport.make({})
  const connected = yield* connect({ url: server.url })
  const ended = yield* Effect.promise(() => fetch(server.url, { method: "DELETE", headers: { "mcp-session-id": connected.transport.sessionId()! } }))
  expect(ended.status).toBe(204)
  return connected
})

const eventually = (check: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      if (check()) return
      yield* Effect.sleep(10)
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })

const textOf = (result: { readonly content: ReadonlyArray<unknown> }) => (result.content[0] as { text: string }).text

describe("HttpClientTransport (spec 2025-11-25 basic/transports \"Streamable HTTP\")", () => {
  it.scopedLive("calls tools through McpClient, sending Mcp-Session-Id and MCP-Protocol-Version after initialize (\"Session Management\", \"Protocol Version Header\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const rec = recorder()
      const { client, transport } = yield* connect({ url: server.url, fetch: rec.fetch })
      expect(textOf(yield* client.callTool("echo", { text: "hi" }))).toBe("hi")
      expect(transport.sessionId()).toMatch(/^[\x21-\x7e]+$/)
      expect(transport.protocolVersion()).toBe("2025-11-25")
      const posts = rec.seen.filter((s) => s.method === "POST")
      expect(posts[0]!.headers["mcp-session-id"]).toBeUndefined()
      expect(posts[0]!.headers["accept"]).toBe("application/json, text/event-stream")
      expect(posts[0]!.headers["content-type"]).toBe("application/json")
      for (const later of posts.slice(1)) {
        expect(later.headers["mcp-session-id"]).toBe(transport.sessionId())
        expect(later.headers["mcp-protocol-version"]).toBe("2025-11-25")
      }
    }).pipe(Effect.provide(App)))

  it.scopedLive("receives progress and log notifications on the POST's SSE stream (\"Sending Messages to the Server\" 5.)", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const rec = recorder()
      const { client } = yield* connect({ url: server.url, fetch: rec.fetch })
      const notifications = yield* client.subscribeNotifications
      const progress: Array<number> = []
      const result = yield* client.callTool("work", { ms: 10 }, { onProgress: (p) => Effect.sync(() => progress.push(p.progress)) })
      expect(textOf(result)).toBe("worked")
      expect(progress).toEqual([1, 2])
      const methods = [...(yield* Queue.takeAll(notifications))].map((n) => n.method)
      expect(methods).toContain("notifications/message")
      expect(rec.seen.some((s) => s.method === "POST" && s.contentType.includes("text/event-stream"))).toBe(true)
    }).pipe(Effect.provide(App)))

  it.scopedLive("opens the GET stream after initialization and receives list_changed on it (\"Listening for Messages from the Server\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const rec = recorder()
      const { client } = yield* connect({ url: server.url, fetch: rec.fetch })
      const notifications = yield* client.subscribeNotifications
      yield* eventually(() => rec.seen.some((s) => s.method === "GET" && s.status === 200), "the GET stream")
      yield* McpServer.add(later("late"))
      const notification = yield* Queue.take(notifications)
      expect(notification.method).toBe("notifications/tools/list_changed")
      expect((yield* client.listAllTools()).map((t) => t.name)).toContain("late")
    }).pipe(Effect.provide(App)))

  it.scopedLive("resumes a POST stream dropped mid-request with GET + Last-Event-ID after the server's retry (\"Resumability and Redelivery\")", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({ retryInterval: 50 })
      const rec = recorder({ method: "POST", text: "notifications/progress" })
      // Without honouring the server's retry (50 ms), the first reconnection would wait 20 s.
      const { client } = yield* connect({ url: server.url, fetch: rec.fetch, openGetStream: false, reconnect: { initialDelayMillis: 20_000 } })
      const progress: Array<number> = []
      const result = yield* client.callTool("work", { ms: 200 }, { onProgress: (p) => Effect.sync(() => progress.push(p.progress)) }).pipe(
        Effect.timeout(5_000)
      )
      expect(rec.wasCut()).toBe(true)
      expect(textOf(result)).toBe("worked")
      expect(progress).toEqual([1, 2])
      const resumes = rec.seen.filter((s) => s.method === "GET")
      expect(resumes).toHaveLength(1)
      expect(resumes[0]!.headers["last-event-id"]).toBeTruthy()
      expect(resumes[0]!.status).toBe(200)
    }).pipe(Effect.provide(App)))

  it.scopedLive("resumes a dropped GET stream with Last-Event-ID and gets what was sent meanwhile, exactly once (\"Resumability and Redelivery\" 2.)", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({ retryInterval: 50 })
      const rec = recorder({ method: "GET", text: "list_changed" })
      const { client } = yield* connect({ url: server.url, fetch: rec.fetch })
      const notifications = yield* client.subscribeNotifications
      yield* eventually(() => rec.seen.some((s) => s.method === "GET" && s.status === 200), "the GET stream")
      yield* McpServer.add(later("first"))
      expect((yield* Queue.take(notifications)).method).toBe("notifications/tools/list_changed")
      yield* eventually(rec.wasCut, "the cut")
      yield* McpServer.add(later("second"))
      expect((yield* Queue.take(notifications).pipe(Effect.timeout(5_000))).method).toBe("notifications/tools/list_changed")
      yield* client.ping()
      expect(yield* Queue.size(notifications)).toBe(0)
      const gets = rec.seen.filter((s) => s.method === "GET")
      expect(gets.length).toBeGreaterThanOrEqual(2)
      expect(gets[1]!.headers["last-event-id"]).toBeTruthy()
    }).pipe(Effect.provide(App)))

  it.scopedLive("DELETEs the session when its scope closes (\"Session Management\" 5.)", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const rec = recorder()
      yield* Effect.scoped(Effect.gen(function*() {
        const { client } = yield* connect({ url: server.url, fetch: rec.fetch })
        yield* client.ping()
        expect(server.stats().sessions).toBe(1)
      }))
      const deleted = rec.seen.find((s) => s.method === "DELETE")
      expect(deleted?.status).toBe(204)
      expect(server.stats().sessions).toBe(0)
    }).pipe(Effect.provide(App)))

  it.scopedLive("fails with a TransportError saying the session expired when the server answers 404 (\"Session Management\" 4.)", () =>
    Effect.gen(function*() {
      const { client, transport } = yield* expiredSession
      const error = yield* Effect.flip(client.callTool("echo", { text: "hi" }))
      expect(error.message).toMatch(/session expired/i)
      const again = yield* Effect.flip(transport.send({ jsonrpc: "2.0", method: "notifications/initialized" }))
      expect(again).toBeInstanceOf(McpClient.TransportError)
      expect(again.message).toMatch(/session expired/i)
    }).pipe(Effect.provide(App)))

  it.scopedLive("answers each request the 404 refused as never processed, and so every request made after (\"Session Management\" 4.)", () =>
    Effect.gen(function*() {
      const { client } = yield* expiredSession
      // Sent together: each POST gets its own 404, and each request learns that the server never read it.
      const errors = yield* Effect.forEach([1, 2, 3], (n) => Effect.flip(client.callTool("echo", { text: `hi ${n}` })), { concurrency: "unbounded" })
      for (const error of errors) {
        expect(error.code).toBe(McpClient.ClientErrorCode.ConnectionClosed)
        expect(error.message).toMatch(/session expired/i)
        expect(McpClient.notProcessed(error)).toBe(true)
      }
      // The transport failed: a request now is never sent.
      const after = yield* Effect.flip(client.callTool("echo", { text: "later" }))
      expect(McpClient.notProcessed(after)).toBe(true)
    }).pipe(Effect.provide(App)))

  it.scopedLive("tolerates a server without a GET stream (405, \"Listening for Messages from the Server\" 3.)", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({ stateless: true })
      const rec = recorder()
      const { client } = yield* connect({ url: server.url, fetch: rec.fetch })
      yield* eventually(() => rec.seen.some((s) => s.method === "GET"), "the GET attempt")
      expect(rec.seen.find((s) => s.method === "GET")!.status).toBe(405)
      expect(textOf(yield* client.callTool("echo", { text: "stateless" }))).toBe("stateless")
      expect(rec.seen.filter((s) => s.method === "GET")).toHaveLength(1)
    }).pipe(Effect.provide(App)))

  it.scopedLive("answers a request the server rejects with a local -32000 error at once, not at the client's timeout", () =>
    Effect.gen(function*() {
      const server = yield* HttpTransport.make({})
      const transport = yield* HttpClientTransport.make({ url: server.url })
      // No initialize first: the server answers 400 (spec "Session Management" 2.).
      yield* transport.send({ jsonrpc: "2.0", id: 7, method: "ping" })
      const answer = yield* Stream.runHead(transport.incoming)
      expect(Option.getOrThrow(answer)).toMatchObject({ id: 7, error: { code: -32000, message: expect.stringMatching(/HTTP 400/) } })
    }).pipe(Effect.provide(App)))
})
