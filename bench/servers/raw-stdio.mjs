// Baseline for the stdio mode: hand-written newline-delimited JSON-RPC over stdin/stdout
// answering initialize, notifications/* and tools/call `echo`. Shows the ceiling of the
// driver + pipe + JSON.parse/stringify, so framework numbers can be read against it.
const PROTOCOL_VERSION = "2025-11-25"

const handle = (msg) => {
  if (msg === null || typeof msg !== "object" || msg.jsonrpc !== "2.0" || typeof msg.method !== "string") {
    return { jsonrpc: "2.0", id: msg?.id ?? null, error: { code: -32600, message: "Invalid Request" } }
  }
  if (msg.id === undefined) return undefined
  const id = msg.id
  switch (msg.method) {
    case "initialize":
      return {
        jsonrpc: "2.0",
        id,
        result: { protocolVersion: PROTOCOL_VERSION, capabilities: { tools: {} }, serverInfo: { name: "raw-stdio", version: "0.0.0" } }
      }
    case "ping":
      return { jsonrpc: "2.0", id, result: {} }
    case "tools/call": {
      const text = msg.params?.name === "echo" ? msg.params.arguments?.text : undefined
      if (typeof text !== "string") return { jsonrpc: "2.0", id, error: { code: -32602, message: "Invalid params" } }
      return { jsonrpc: "2.0", id, result: { content: [{ type: "text", text }] } }
    }
    default:
      return { jsonrpc: "2.0", id, error: { code: -32601, message: `Method not found: ${msg.method}` } }
  }
}

let buf = ""
process.stdin.setEncoding("utf8")
process.stdin.on("data", (chunk) => {
  buf += chunk
  let out = ""
  let start = 0
  let nl
  while ((nl = buf.indexOf("\n", start)) !== -1) {
    const line = buf.slice(start, nl)
    start = nl + 1
    if (line.trim() === "") continue
    let res
    try {
      res = handle(JSON.parse(line))
    } catch {
      res = { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }
    }
    if (res !== undefined) out += `${JSON.stringify(res)}\n`
  }
  buf = buf.slice(start)
  if (out) process.stdout.write(out)
})
process.stdin.on("end", () => process.exit(0))
