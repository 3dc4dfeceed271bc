/**
 * A backend for the gateway's session tests, as its own process (so a test
 * can kill it mid-call and start another on the same port):
 * `node packages/gateway/test/support/sessionBackend.mjs --port N` serves
 * Streamable HTTP (both revisions) on `http://127.0.0.1:N/mcp` and writes
 * `listening on <url>` to stderr once it accepts connections. Plain
 * JavaScript on the built packages, so it needs `npm run build`.
 *
 * Every tool answers the JSON `{ pid, session, calls }`: this process, the
 * MCP session of the request (`Mcp-Session-Id`; null under 2026-07-28) and
 * how many tool calls this process has started.
 *
 * - `whoami`: at once; `readOnlyHint` (spec 2025-11-25 schema ToolAnnotations).
 * - `slow_read` { millis }: after `millis`; `readOnlyHint`.
 * - `slow_write` { millis }: after `millis`; neither read-only nor idempotent
 *   (`destructiveHint`): a call that may take effect.
 */
import { McpServer, RequestContext, Tool } from "@emcee/core"
import { HttpTransport } from "@emcee/transport"
import { Effect, Layer, Schema } from "effect"

const at = process.argv.indexOf("--port")
const port = at === -1 ? 0 : Number(process.argv[at + 1])
let calls = 0

const report = Effect.map(RequestContext.RequestContext, (request) =>
  JSON.stringify({ pid: process.pid, session: request.session.sessionId ?? null, calls }))

const counted = (effect) => Effect.zipRight(Effect.sync(() => void calls++), effect)

const whoami = Tool.make("whoami", {
  annotations: { readOnlyHint: true },
  handler: () => counted(report)
})

const Millis = Schema.Struct({ millis: Schema.Int.pipe(Schema.between(0, 60_000)) })

const slowRead = Tool.make("slow_read", {
  input: Millis,
  annotations: { readOnlyHint: true },
  handler: ({ millis }) => counted(Effect.zipRight(Effect.sleep(millis), report))
})

const slowWrite = Tool.make("slow_write", {
  input: Millis,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  handler: ({ millis }) => counted(Effect.zipRight(Effect.sleep(millis), report))
})

const App = McpServer.register(whoami, slowRead, slowWrite).pipe(
  Layer.provideMerge(McpServer.layer({ name: "session-backend", version: "1.0.0" }))
)

const main = Effect.gen(function*() {
  const endpoint = yield* HttpTransport.make({ port, host: "127.0.0.1" })
  process.stderr.write(`session backend listening on ${endpoint.url}\n`)
  return yield* Effect.never
}).pipe(Effect.scoped, Effect.provide(App))

Effect.runFork(main)
