// The floor of any gateway written for Node: a hand-written `node:http` reverse proxy, no MCP
// logic at all. Each `POST` body is forwarded as it came to $BACKEND (a kept-alive
// `http.Agent`, as a gateway's hop would hold its connections), with the MCP headers a request
// carries (so a session made through it is the backend's own), and the backend's answer goes
// back as it came. What the gateway mode of bench/run.mjs measures beside `emcee gateway`: the
// part of a hop's cost that is Node's HTTP server and client and the machine's (syscalls, a
// second process, wake-ups across cores), which no gateway on Node goes below. Prints
// `listening <port>` when ready.
import http from "node:http"
import { portFromEnv } from "./mem.mjs"

const backend = new URL(process.env.BACKEND ?? "")
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
/** Request headers passed on (spec 2025-11-25 / 2026-07-28 basic/transports/streamable-http). */
const forwarded = ["content-type", "accept", "mcp-protocol-version", "mcp-session-id", "mcp-method", "mcp-name", "last-event-id"]

const server = http.createServer((req, res) => {
  const chunks = []
  req.on("data", (chunk) => chunks.push(chunk))
  req.on("end", () => {
    const body = Buffer.concat(chunks)
    const headers = { "content-length": body.length }
    for (const name of forwarded) if (req.headers[name] !== undefined) headers[name] = req.headers[name]
    const upstream = http.request({ hostname: backend.hostname, port: backend.port, path: backend.pathname, method: req.method, agent, headers }, (answer) => {
      const parts = []
      answer.on("data", (chunk) => parts.push(chunk))
      answer.on("end", () => {
        const out = Buffer.concat(parts)
        const back = { "content-type": answer.headers["content-type"] ?? "application/json", "content-length": out.length }
        if (answer.headers["mcp-session-id"] !== undefined) back["mcp-session-id"] = answer.headers["mcp-session-id"]
        res.writeHead(answer.statusCode ?? 502, back).end(out)
      })
    })
    upstream.on("error", (error) => res.writeHead(502, { "content-type": "text/plain" }).end(String(error)))
    upstream.end(body)
  })
})
server.listen(portFromEnv(), "127.0.0.1", () => console.log(`listening ${server.address().port}`))
