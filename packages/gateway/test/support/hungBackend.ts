/**
 * A hostile backend for gateway tests: a raw node:http server speaking just
 * enough Streamable HTTP (spec 2025-11-25 basic/transports) to be connected
 * — `initialize`, `notifications/initialized`, `tools/list` with one tool
 * `hang`, `ping`; 405 for GET — that then never answers: a `tools/call` is
 * read and left without a response, a request whose body is over 256 KiB is
 * not even read (the sender's writes back up), and a
 * `notifications/cancelled` is left unanswered too. Every request left
 * hanging is recorded, with a promise of when its connection closed (for a
 * body not read, once `drain` reads again: a socket that is not read does
 * not see its peer close).
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** A request the server left without an answer. */
export interface Hung {
  /** `tools/call`, `notifications/cancelled`, or `unread` for a body never read. */
  readonly kind: string
  /** Resolves when its connection closed (the sender gave up). */
  readonly closed: Promise<void>
}

export interface HungBackend {
  readonly url: string
  readonly hung: Array<Hung>
  /** Reads (and drops) the bodies left unread, so their connections see the sender close them. */
  readonly drain: () => void
  readonly close: () => Promise<void>
}

const UNREAD_OVER = 256 * 1024

export const startHungBackend = (): Promise<HungBackend> =>
  new Promise((resolve) => {
    const hung: Array<Hung> = []
    const unread: Array<http.IncomingMessage> = []
    const hang = (kind: string, req: http.IncomingMessage) =>
      hung.push({ kind, closed: new Promise((done) => req.socket.once("close", () => done())) })
    const server = http.createServer((req, res) => {
      if (req.method === "GET") return void res.writeHead(405).end()
      if (req.method === "DELETE") return void res.writeHead(200).end()
      // Stops reading: the body stays in the socket, and the sender's writes block once the buffers are full.
      if (Number(req.headers["content-length"] ?? 0) > UNREAD_OVER) {
        unread.push(req)
        return void hang("unread", req)
      }
      let body = ""
      req.setEncoding("utf8")
      req.on("data", (text: string) => (body += text))
      req.on("end", () => {
        const message = JSON.parse(body) as { readonly id?: number | string; readonly method: string }
        if (message.method === "notifications/cancelled") return void hang(message.method, req)
        if (message.id === undefined) return void res.writeHead(202).end()
        const answer = (result: object) => {
          const headers: Record<string, string> = { "content-type": "application/json" }
          if (message.method === "initialize") headers["mcp-session-id"] = "hung-session"
          res.writeHead(200, headers).end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }))
        }
        if (message.method === "initialize") {
          return answer({ protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "hung", version: "1.0.0" } })
        }
        if (message.method === "tools/list") return answer({ tools: [{ name: "hang", inputSchema: { type: "object" } }] })
        if (message.method === "ping") return answer({})
        if (message.method === "tools/call") return void hang(message.method, req)
        res.writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found" } }))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/mcp`,
        hung,
        drain: () => {
          for (const req of unread) req.resume()
        },
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
