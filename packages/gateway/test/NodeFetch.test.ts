/**
 * The gateway's `fetch` over node:http (src/internal/nodeFetch.ts) against a
 * real node:http server: a JSON body is read whole up to `maxBodyBytes`
 * (default 16 MiB); past it, declared or as it arrives, the request fails
 * with `HttpClientTransport.MessageTooLarge` naming the limit and the
 * connection is closed (the server's writes stop). SSE streams as it comes.
 */
import { HttpClientTransport } from "@emcee/transport"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as NodeFetch from "../src/internal/nodeFetch.js"

const chunk = Buffer.alloc(64 * 1024, "x")

interface Server {
  readonly url: string
  /** For each endless response, the bytes written when its connection closed. */
  readonly closed: Array<Promise<number>>
  readonly close: () => Promise<void>
}

/** `/small`: a short JSON body; `/endless`: a chunked body that never ends; `/declared`: a Content-Length of 1 GiB, then endless; `/sse`: two events. */
const start = (): Promise<Server> =>
  new Promise((resolve) => {
    const closed: Array<Promise<number>> = []
    const server = http.createServer((req, res) => {
      if (req.url === "/small") return void res.writeHead(200, { "content-type": "application/json", "x-test": "1" }).end(`{"ok":true}`)
      if (req.url === "/sse") {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: one\n\n")
        return void setTimeout(() => res.end("data: two\n\n"), 50)
      }
      res.writeHead(200, { "content-type": "application/json", ...(req.url === "/declared" ? { "content-length": String(1024 ** 3) } : {}) })
      let written = 0
      closed.push(new Promise((done) => res.on("close", () => done(written))))
      const pump = () => {
        while (!res.destroyed) {
          written += chunk.length
          if (!res.write(chunk)) return void res.once("drain", pump)
        }
      }
      pump()
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        closed,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })

let server: Server | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe("nodeFetch bounds a JSON body (maxBodyBytes)", { timeout: 60_000 }, () => {
  it("a body under the limit is read whole, with its status and headers; SSE streams", async () => {
    server = await start()
    const fetch = NodeFetch.make({ maxBodyBytes: 1024 })
    const small = await fetch(`${server.url}/small`)
    expect(small.status).toBe(200)
    expect(small.headers.get("x-test")).toBe("1")
    expect(await small.json()).toEqual({ ok: true })
    const sse = await fetch(`${server.url}/sse`)
    expect(await sse.text()).toBe("data: one\n\ndata: two\n\n")
  })

  it("an endless body, or one declared larger, is refused naming the limit, and its connection closed", async () => {
    server = await start()
    const limit = 256 * 1024
    const fetch = NodeFetch.make({ maxBodyBytes: limit })
    const message = `the response body is larger than maxBodyBytes (${limit} bytes); it was not read and its connection was closed`
    for (const path of ["/endless", "/declared"]) {
      const refused = await fetch(`${server.url}${path}`).then(() => undefined, (error: unknown) => error)
      expect(refused).toBeInstanceOf(HttpClientTransport.MessageTooLarge)
      expect(refused).toMatchObject({ limit, message })
    }
    const written = await Promise.all(server.closed)
    expect(written).toHaveLength(2)
    // What was in flight when it closed, not the gigabyte announced.
    for (const bytes of written) expect(bytes).toBeLessThan(64 * 1024 * 1024)
    // The agent still works after destroying those sockets.
    expect(await (await fetch(`${server.url}/small`)).json()).toEqual({ ok: true })
  })

  it("the default limit is the transport's, 16 MiB", async () => {
    server = await start()
    const refused = await NodeFetch.make()(`${server.url}/endless`).then(() => undefined, (error: unknown) => error)
    expect(refused).toMatchObject({ _tag: "MessageTooLarge", limit: 16 * 1024 * 1024, message: expect.stringContaining("(16777216 bytes)") })
    await Promise.all(server.closed)
  })
})
