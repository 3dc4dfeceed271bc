// Baseline: a hand-written node:http server speaking just enough stateless MCP
// (JSON-RPC over Streamable HTTP POST /mcp with a JSON response) to answer
// initialize, notifications/*, tools/list and tools/call `echo`.
// Parses and stringifies JSON-RPC by hand: the floor any framework pays.
import { createServer } from "node:http"
import { portFromEnv, readBody, sendMem } from "./mem.mjs"

const PROTOCOL_VERSION = "2025-11-25"

const ECHO_TOOL = {
  name: "echo",
  description: "Echo the input text",
  inputSchema: {
    type: "object",
    properties: { text: { type: "string" } },
    required: ["text"]
  }
}

const send = (res, status, payload) => {
  const body = JSON.stringify(payload)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

const rpcError = (id, code, message) => ({ jsonrpc: "2.0", id, error: { code, message } })

/** @returns {object | undefined} the JSON-RPC response, or undefined for notifications */
const handle = (msg) => {
  if (msg === null || typeof msg !== "object" || msg.jsonrpc !== "2.0" || typeof msg.method !== "string") {
    return rpcError(msg?.id ?? null, -32600, "Invalid Request")
  }
  if (msg.id === undefined) return undefined // notification
  const id = msg.id
  switch (msg.method) {
    case "initialize":
      return {
        jsonrpc: "2.0",
        id,
        result: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: { tools: {} },
          serverInfo: { name: "raw-node", version: "0.0.0" }
        }
      }
    case "ping":
      return { jsonrpc: "2.0", id, result: {} }
    case "tools/list":
      return { jsonrpc: "2.0", id, result: { tools: [ECHO_TOOL] } }
    case "tools/call": {
      const params = msg.params
      if (params?.name !== "echo") return rpcError(id, -32602, `Unknown tool: ${params?.name}`)
      const text = params.arguments?.text
      if (typeof text !== "string") return rpcError(id, -32602, "echo: `text` must be a string")
      return { jsonrpc: "2.0", id, result: { content: [{ type: "text", text }] } }
    }
    default:
      return rpcError(id, -32601, `Method not found: ${msg.method}`)
  }
}

const server = createServer(async (req, res) => {
  try {
    if (req.url === "/__mem" && req.method === "GET") return sendMem(res, { sessions: 0 })
    if (req.url !== "/mcp") return send(res, 404, { error: "not found" })
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" })
      return res.end()
    }
    const raw = await readBody(req)
    let msg
    try {
      msg = JSON.parse(raw)
    } catch {
      return send(res, 400, rpcError(null, -32700, "Parse error"))
    }
    const out = handle(msg)
    if (out === undefined) {
      res.writeHead(202)
      return res.end()
    }
    send(res, 200, out)
  } catch (err) {
    if (!res.headersSent) send(res, 500, rpcError(null, -32603, String(err)))
    else res.destroy()
  }
})

const port = portFromEnv()
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${port}\n`)
})
