/**
 * Interop over Streamable HTTP with the official SDK v2 client
 * (`@modelcontextprotocol/client` 2.4.0, `StreamableHTTPClientTransport`):
 * one example server (`--http --port 0`) and two clients, one pinned to
 * 2026-07-28 (stateless POSTs, no session, cancellation by closing the
 * request's SSE stream) and one in the client's default 2025-11-25 mode (a
 * session, the GET stream for session notifications). See
 * interop.v2.shared.ts for the scenarios.
 */
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { type ChildProcess, spawn } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { assertBuilt, connect, type Connection, interopScenarios, mainPath, makeClient, repoRoot, type Revision, revisions } from "./interop.v2.shared.js"

let server: ChildProcess
let url: URL
let serverStderr = ""

/** Starts the example on a free port and resolves its URL from the ready line. */
const start = (): Promise<URL> =>
  new Promise((resolve, reject) => {
    server = spawn(process.execPath, [mainPath, "--http", "--port", "0"], { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] })
    server.stderr!.on("data", (chunk: Buffer) => {
      serverStderr += chunk.toString("utf8")
      const match = /emcee everything listening on (http:\/\/\S+)/.exec(serverStderr)
      if (match !== null) resolve(new URL(match[1]!))
    })
    server.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${serverStderr}`)))
  })

interface HttpConnection {
  readonly connection: Connection
  readonly transport: StreamableHTTPClientTransport
  /** Every HTTP exchange: the request method and the response's status and Mcp-Session-Id. */
  readonly exchanges: Array<{ readonly method: string; readonly status: number; readonly sessionId: string | null }>
}

const connected = new Map<Revision, HttpConnection>()

const open = async (revision: Revision): Promise<HttpConnection> => {
  const exchanges: Array<HttpConnection["exchanges"][number]> = []
  const transport = new StreamableHTTPClientTransport(url, {
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      exchanges.push({ method: init?.method ?? "GET", status: response.status, sessionId: response.headers.get("mcp-session-id") })
      return response
    }
  })
  const connection = await connect(revision, makeClient(revision), transport)
  return { connection, transport, exchanges }
}

beforeAll(async () => {
  assertBuilt()
  url = await start()
  const all = await Promise.all(revisions.map(open))
  revisions.forEach((revision, i) => connected.set(revision, all[i]!))
}, 60_000)

afterAll(async () => {
  await Promise.all([...connected.values()].map((c) => c.connection.client.close()))
  if (server !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve))
    server.kill("SIGTERM")
    await exited
  }
})

describe.each(revisions)("everything over Streamable HTTP with the SDK v2 client at %s", { timeout: 20_000 }, (revision) => {
  const get = () => connected.get(revision)!
  const modern = revision === "2026-07-28"

  it(
    modern
      ? "no session: no Mcp-Session-Id is minted (spec 2026-07-28 basic/transports/streamable-http Backward Compatibility)"
      : "initialize creates a session with an Mcp-Session-Id (spec 2025-11-25 basic/transports Session Management)",
    () => {
      const { transport, exchanges } = get()
      expect(exchanges.length).toBeGreaterThan(0)
      if (modern) {
        expect(transport.sessionId).toBeUndefined()
        expect(exchanges.filter((e) => e.sessionId !== null)).toEqual([])
      } else {
        expect(transport.sessionId).toMatch(/^[\x21-\x7e]+$/)
        expect(exchanges[0]).toEqual({ method: "POST", status: 200, sessionId: transport.sessionId })
      }
    }
  )

  // spec 2026-07-28 basic/patterns/cancellation "Transport-Specific Cancellation": closing the SSE stream;
  // spec 2025-11-25 basic/utilities/cancellation: notifications/cancelled.
  interopScenarios(revision, () => get().connection, modern ? "stream closed" : "notifications/cancelled")

  it("every HTTP exchange succeeded (2xx)", () => {
    const failed = get().exchanges.filter((e) => e.status < 200 || e.status > 299)
    expect(failed).toEqual([])
  })
})

it("the server wrote nothing unexpected to stderr", () => {
  expect(serverStderr).not.toMatch(/Error|died|level=(WARN|ERROR)/)
})
