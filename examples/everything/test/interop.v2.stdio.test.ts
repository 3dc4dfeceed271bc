/**
 * Interop over stdio with the official SDK v2 client
 * (`@modelcontextprotocol/client` 2.4.0): one example process per revision,
 * driven by a client pinned to 2026-07-28 (`server/discover`, stateless
 * requests carrying their `_meta`, `input_required` rounds,
 * `subscriptions/listen`) and by a client in its default 2025-11-25 mode
 * (`initialize`, server-to-client requests, `resources/subscribe`). See
 * interop.v2.shared.ts for the scenarios.
 */
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  assertBuilt,
  connect,
  type Connection,
  idOf,
  interopScenarios,
  mainPath,
  makeClient,
  methodOf,
  repoRoot,
  type Revision,
  revisions,
  sleep,
  subscriptionIdOf
} from "./interop.v2.shared.js"

interface Spawned {
  readonly connection: Connection
  readonly stderr: () => string
}

/** Spawns the example over stdio and connects a v2 client of `revision` (pinned 2026-07-28 first probes on a sibling process). */
const spawn = async (revision: Revision): Promise<Spawned> => {
  const transport = new StdioClientTransport({ command: process.execPath, args: [mainPath], cwd: repoRoot, stderr: "pipe" })
  let stderr = ""
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const connection = await connect(revision, makeClient(revision), transport)
  return { connection, stderr: () => stderr }
}

const spawned = new Map<Revision, Spawned>()

beforeAll(async () => {
  assertBuilt()
  // Both processes start together: most of the time here is node loading the example.
  const all = await Promise.all(revisions.map(spawn))
  revisions.forEach((revision, i) => spawned.set(revision, all[i]!))
}, 60_000)

afterAll(async () => {
  await Promise.all([...spawned.values()].map((s) => s.connection.client.close()))
})

describe.each(revisions)("everything over stdio with the SDK v2 client at %s", { timeout: 20_000 }, (revision) => {
  const get = () => spawned.get(revision)!
  // spec 2026-07-28 basic/transports/stdio "Cancellation"; 2025-11-25 basic/utilities/cancellation.
  interopScenarios(revision, () => get().connection, "notifications/cancelled")

  it("the server wrote nothing unexpected to stderr", () => {
    expect(get().stderr()).not.toMatch(/Error|died|level=(WARN|ERROR)/)
  })
})

describe("subscriptions/listen cancellation over stdio at 2026-07-28", () => {
  // A change made by the request right after the cancellation must not reach the cancelled stream: the
  // server drops what a cancelled request would still send while its fiber is being interrupted.
  it(
    "no message for a subscription after its notifications/cancelled, even one caused by the very next request (spec 2026-07-28 basic/transports/stdio Cancellation: MUST NOT send any further messages for it)",
    async () => {
      const { client, observed } = spawned.get("2026-07-28")!.connection
      for (let attempt = 0; attempt < 30; attempt++) {
        const sentBefore = observed.outbound.length
        const subscription = await client.listen({ toolsListChanged: true })
        const listenId = idOf(observed.outbound.slice(sentBefore).find((m) => methodOf(m) === "subscriptions/listen")!)
        // Resolves once notifications/cancelled is written; the tools/call is the next message on the pipe.
        await subscription.close()
        const closedAt = observed.inbound.length
        await client.callTool({ name: "test_trigger_tool_change" })
        await sleep(30)
        expect(observed.inbound.slice(closedAt).filter((m) => subscriptionIdOf(m) === listenId)).toEqual([])
      }
    },
    20_000
  )
})
