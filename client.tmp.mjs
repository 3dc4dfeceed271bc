import { spawn } from "node:child_process"
import { Effect } from "effect"
import { McpClient } from "@emcee/core"
import { HttpClientTransport } from "@emcee/transport"
const port = 47316
const child = spawn("node", ["bench/servers/emcee.mjs"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] })
await new Promise(r => child.stdout.on("data", d => String(d).includes("listening") && r()))
const { make: makeFetch } = await import("/work/main/packages/gateway/dist/internal/nodeFetch.js")
const version = process.env.V ?? "2025-11-25"
await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
  const transport = yield* HttpClientTransport.make({ url: `http://127.0.0.1:${port}/mcp`, fetch: makeFetch() })
  const client = yield* McpClient.make({ transport, clientInfo: { name: "x", version: "1" }, protocolVersion: version, cache: false })
  for (let i = 0; i < 300; i++) yield* client.callTool("echo", { text: "hi" })
  const N = +(process.env.N ?? 2000)
  const c0 = process.cpuUsage(); const t0 = performance.now()
  for (let i = 0; i < N; i++) yield* client.callTool("echo", { text: "hi" })
  const c1 = process.cpuUsage(c0); const t1 = performance.now()
  console.log(version, "wall/call ms", ((t1 - t0) / N).toFixed(3), "client cpu/call ms", ((c1.user + c1.system) / 1000 / N).toFixed(3))
})))
child.kill()
