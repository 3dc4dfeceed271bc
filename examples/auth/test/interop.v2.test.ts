/**
 * Interop with the official SDK v2 client (`@modelcontextprotocol/client`
 * 2.4.0) against the built auth example, under both revisions: pinned to
 * 2026-07-28 (`server/discover`, stateless POSTs) and in its default
 * 2025-11-25 mode (`initialize`, a session). The bearer token comes from an
 * `AuthProvider` (`token()`, the v2 client's way for tokens obtained
 * elsewhere); refusals surface as the client's typed errors:
 * `UnauthorizedError` on 401, `InsufficientScopeError` (with the scope the
 * server named) on 403 `insufficient_scope`.
 */
import { Client, InsufficientScopeError, StreamableHTTPClientTransport, UnauthorizedError } from "@modelcontextprotocol/client"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Example, startExample, textOf } from "./support/example.js"

type Revision = "2026-07-28" | "2025-11-25"
const revisions: ReadonlyArray<Revision> = ["2026-07-28", "2025-11-25"]

let example: Example
const clients: Array<Client> = []

beforeAll(async () => {
  example = await startExample()
}, 60_000)

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)))
  await example?.stop()
})

/** A v2 client of `revision` whose transport sends `token` (none: no Authorization header). */
const connect = async (revision: Revision, token: string | undefined): Promise<Client> => {
  const client = new Client(
    { name: "emcee-auth-interop-v2", version: "1.0.0" },
    revision === "2026-07-28" ? { versionNegotiation: { mode: { pin: revision } } } : {}
  )
  clients.push(client)
  const transport = new StreamableHTTPClientTransport(new URL(example.url), { authProvider: { token: () => Promise.resolve(token) } })
  await client.connect(transport)
  return client
}

describe.each(revisions)("the auth example with the SDK v2 client at %s", { timeout: 30_000 }, (revision) => {
  it("connects with the printed admin token and calls permitted tools", async () => {
    const client = await connect(revision, example.adminToken)
    expect(client.getNegotiatedProtocolVersion()).toBe(revision)
    expect(JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })))).toMatchObject({ subject: "alice", roles: ["admin"] })
    expect(textOf(await client.callTool({ name: "read_file", arguments: { path: "notes/todo.txt" } }))).toContain("rotate the dev key")
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["delete_file", "list_files", "read_file", "whoami", "write_file"])
  })

  it("a reader (minted token) sees only the reading tools", async () => {
    const client = await connect(revision, await example.mint({ subject: `reader-${revision}`, scopes: ["files:read"] }))
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["list_files", "read_file", "whoami"])
    expect(textOf(await client.callTool({ name: "list_files", arguments: {} }))).toContain("readme.txt")
  })

  it("without a token: UnauthorizedError, not a hang (spec basic/authorization \"Authorization Flow Steps\")", async () => {
    const error = await connect(revision, undefined).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(UnauthorizedError)
  })

  it("too few scopes: InsufficientScopeError naming the scope and the metadata URL (2026-07-28 \"Scope Challenge Handling\")", async () => {
    const client = await connect(revision, await example.mint({ subject: `nobody-${revision}`, scopes: [] }))
    const error = await client.callTool({ name: "read_file", arguments: { path: "readme.txt" } }).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(InsufficientScopeError)
    expect((error as InsufficientScopeError).requiredScope).toBe("files:read")
    expect((error as InsufficientScopeError).resourceMetadataUrl?.href).toBe(`${example.origin}/.well-known/oauth-protected-resource/mcp`)
    // The connection stays usable for what the token allows.
    expect(JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })))).toMatchObject({ subject: `nobody-${revision}` })
  })
})
