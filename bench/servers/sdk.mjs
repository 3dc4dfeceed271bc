// Reference: the official MCP TypeScript SDK in a STATEFUL Streamable HTTP setup,
// following the SDK's own examples: one McpServer + StreamableHTTPServerTransport per
// session (created by an initialize request), JSON responses (enableJsonResponse),
// plain node:http in front.
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js"
import * as z from "zod/v4"
import { portFromEnv, readBody, sendMem } from "./mem.mjs"

const makeServer = () => {
  const server = new McpServer({ name: "sdk-bench", version: "0.0.0" }, { capabilities: { tools: {} } })
  server.registerTool(
    "echo",
    { description: "Echo the input text", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] })
  )
  return server
}

// SDK 1.32.2 bug (modelcontextprotocol/typescript-sdk#2559, fix pending in #2747): in
// enableJsonResponse mode every completed POST leaves one `_streamMapping` entry behind for
// the life of the session, so a long-lived session's heap grows ~5 KB per request and GC
// pauses inflate p99. The default `sdk` entry measures the SDK as shipped. With
// SDK_LEAK_WORKAROUND=1 (entry `sdk-leakfix`, opt-in) we apply the upstream fix from the
// outside: drop the entry once its JSON response is resolved. Reaches into private fields.
const LEAK_WORKAROUND = process.env.SDK_LEAK_WORKAROUND === "1"
const releaseJsonStreams = (transport) => {
  const map = transport._webStandardTransport?._streamMapping
  if (!(map instanceof Map)) throw new Error("SDK_LEAK_WORKAROUND: SDK internals changed; remove the workaround")
  const set = map.set.bind(map)
  map.set = (id, entry) => {
    if (typeof entry?.resolveJson === "function") {
      const resolve = entry.resolveJson
      entry.resolveJson = (response) => {
        map.delete(id)
        resolve(response)
      }
    }
    return set(id, entry)
  }
}

/** @type {Map<string, StreamableHTTPServerTransport>} */
const transports = new Map()

const sendJson = (res, status, payload) => {
  const body = JSON.stringify(payload)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

const badSession = (res) =>
  sendJson(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32000, message: "Bad Request: No valid session ID provided" } })

const http = createServer(async (req, res) => {
  try {
    if (req.url === "/__mem" && req.method === "GET") return sendMem(res, { sessions: transports.size })
    if (req.url !== "/mcp") return sendJson(res, 404, { error: "not found" })

    const sid = req.headers["mcp-session-id"]
    const existing = typeof sid === "string" ? transports.get(sid) : undefined

    if (req.method === "POST") {
      const raw = await readBody(req)
      let body
      try {
        body = JSON.parse(raw)
      } catch {
        return sendJson(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } })
      }
      if (existing) return await existing.handleRequest(req, res, body)
      if (sid === undefined && isInitializeRequest(body)) {
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: true,
          onsessioninitialized: (id) => {
            transports.set(id, transport)
          }
        })
        if (LEAK_WORKAROUND) releaseJsonStreams(transport)
        transport.onclose = () => {
          if (transport.sessionId) transports.delete(transport.sessionId)
        }
        await makeServer().connect(transport)
        return await transport.handleRequest(req, res, body)
      }
      return badSession(res)
    }
    // GET (SSE stream) and DELETE (session termination) are handled by the SDK.
    if (existing) return await existing.handleRequest(req, res)
    return badSession(res)
  } catch (err) {
    if (!res.headersSent) sendJson(res, 500, { jsonrpc: "2.0", id: null, error: { code: -32603, message: String(err) } })
    else res.destroy()
  }
})

const port = portFromEnv()
http.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${port}\n`)
})
