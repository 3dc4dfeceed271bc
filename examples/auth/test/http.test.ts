/**
 * The auth example over raw HTTP (the built `dist/main.js --http --port 0`):
 * what any client sees on the wire. 401 challenges pointing at RFC 9728
 * metadata that resolves and names this server exactly, tokens bound to this
 * server's audience, 403 `insufficient_scope` for too few scopes, lists that
 * show a caller only what they may call, and 429 + `Retry-After` over the
 * per-caller rate limit.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { callTool, type Example, postHeaders, startExample, textOf } from "./support/example.js"

let example: Example

beforeAll(async () => {
  example = await startExample()
}, 60_000)

afterAll(() => example?.stop())

/** `WWW-Authenticate: Bearer k="v", …` as a record (RFC 9110 §11.6.1 auth-params, quoted strings). */
const challengeOf = (header: string | null): Record<string, string> => {
  expect(header).toMatch(/^Bearer /)
  const params: Record<string, string> = {}
  for (const match of header!.slice("Bearer ".length).matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) params[match[1]!] = match[2]!.replace(/\\(.)/g, "$1")
  return params
}

const curlAvailable = await promisify(execFile)("curl", ["--version"]).then(() => true, () => false)

describe("the auth example over HTTP (spec 2025-11-25 / 2026-07-28 basic/authorization)", { timeout: 30_000 }, () => {
  it("listens on loopback; the printed tokens are JWTs for this server", () => {
    expect(example.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    for (const token of [example.adminToken, example.readerToken]) {
      const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>
      expect(payload).toMatchObject({ iss: example.origin, aud: example.url })
    }
  })

  it("401 without a token: WWW-Authenticate names resource_metadata and scope (\"Protected Resource Metadata Discovery Requirements\"), and the metadata resolves (RFC 9728 §3)", async () => {
    const res = await fetch(example.url, {
      method: "POST",
      headers: postHeaders(),
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } })
    })
    expect(res.status).toBe(401)
    const challenge = challengeOf(res.headers.get("www-authenticate"))
    expect(challenge.scope).toBe("files:read")
    // RFC 9728 §3.1: the well-known path inserted between the host and the resource's path.
    expect(challenge.resource_metadata).toBe(`${example.origin}/.well-known/oauth-protected-resource/mcp`)
    const metadata = await fetch(challenge.resource_metadata!)
    expect(metadata.status).toBe(200)
    expect(metadata.headers.get("content-type")).toBe("application/json")
    const document = await metadata.json() as Record<string, unknown>
    // RFC 9728 §3.3: `resource` MUST be identical to the resource the metadata was fetched for.
    expect(document.resource).toBe(example.url)
    expect(document.authorization_servers).toEqual([example.origin])
    expect(document.bearer_methods_supported).toEqual(["header"])
    expect(document.scopes_supported).toEqual(["files:read", "files:write"])
    // And at the root well-known URL (2026-07-28 "Authorization Server Discovery": clients try both).
    expect(await (await fetch(`${example.origin}/.well-known/oauth-protected-resource`)).json()).toEqual(document)
  })

  it("publishes the dev issuer's keys as a JWKS (RFC 7517 §5): public EC keys only", async () => {
    const res = await fetch(`${example.origin}/.well-known/jwks.json`)
    expect(res.status).toBe(200)
    const { keys } = await res.json() as { keys: Array<Record<string, unknown>> }
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" })
    expect(keys[0]).not.toHaveProperty("d")
  })

  it("the printed admin token works: whoami names alice with her scopes and role", async () => {
    const res = await callTool(example.url, example.adminToken, "whoami")
    expect(res.status).toBe(200)
    const body = await res.json() as { result: unknown }
    expect(JSON.parse(textOf(body.result))).toMatchObject({ subject: "alice", scopes: ["files:read", "files:write"], roles: ["admin"], credential: "jwt" })
  })

  it.skipIf(!curlAvailable)("the printed curl line works as printed", async () => {
    const { stdout } = await promisify(execFile)("sh", ["-c", example.curl], { env: { ...process.env, MCP_TOKEN: example.adminToken } })
    const body = JSON.parse(stdout) as { result: unknown }
    expect(JSON.parse(textOf(body.result))).toMatchObject({ subject: "alice" })
  })

  it("401 invalid_token for tokens not meant for this server (\"Token Audience Binding and Validation\", RFC 6750 §3.1)", async () => {
    const cases = [
      await example.mint({ subject: "eve", scopes: ["files:read"], claims: { aud: "http://127.0.0.1:1/mcp" } }),
      await example.mint({ subject: "eve", scopes: ["files:read"], claims: { aud: `${example.url}/` } }),
      await example.mint({ subject: "eve", scopes: ["files:read"], claims: { iss: "https://elsewhere.example" } }),
      await example.mint({ subject: "eve", scopes: ["files:read"], claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }),
      `${example.readerToken.slice(0, -4)}AAAA`
    ]
    for (const token of cases) {
      const res = await callTool(example.url, token, "whoami")
      expect(res.status).toBe(401)
      const challenge = challengeOf(res.headers.get("www-authenticate"))
      expect(challenge.error).toBe("invalid_token")
      expect(challenge.resource_metadata).toBe(`${example.origin}/.well-known/oauth-protected-resource/mcp`)
      // The credential is never echoed.
      expect(await res.text()).not.toContain(token)
    }
  })

  it("403 insufficient_scope naming every scope the tool needs (2026-07-28 \"Runtime Insufficient Scope Errors\")", async () => {
    const nothing = await example.mint({ subject: "dave", scopes: [] })
    const res = await callTool(example.url, nothing, "read_file", { path: "readme.txt" })
    expect(res.status).toBe(403)
    const challenge = challengeOf(res.headers.get("www-authenticate"))
    expect(challenge).toMatchObject({ error: "insufficient_scope", scope: "files:read", resource_metadata: `${example.origin}/.well-known/oauth-protected-resource/mcp` })
    expect(await res.json()).toMatchObject({ error: { code: -32000, data: { _tag: "Forbidden", reason: "insufficient_scope", requiredScopes: ["files:read"] } } })
    // An editor whose token lacks files:write: the role is there, more scopes would help, so insufficient_scope again.
    const editor = await example.mint({ subject: "ed", scopes: ["files:read"], roles: ["editor"] })
    const step = await callTool(example.url, editor, "write_file", { path: "ed.txt", content: "" })
    expect(step.status).toBe(403)
    expect(challengeOf(step.headers.get("www-authenticate"))).toMatchObject({ error: "insufficient_scope", scope: "files:write" })
    // The reader lacks the admin role too: no scope would help (RFC 6750 §3.1), so a plain 403 without a challenge.
    const reader = await callTool(example.url, example.readerToken, "delete_file", { path: "readme.txt" })
    expect(reader.status).toBe(403)
    expect(reader.headers.get("www-authenticate")).toBeNull()
    expect(await reader.json()).toMatchObject({ error: { data: { reason: "forbidden", missingScopes: ["files:write"], missingRoles: ["admin"] } } })
  })

  it("RBAC: files:write without the admin role may write (editor) but not delete: 403 without insufficient_scope", async () => {
    const editor = await example.mint({ subject: "erin", scopes: ["files:read", "files:write"], roles: ["editor"] })
    const wrote = await callTool(example.url, editor, "write_file", { path: "erin.txt", content: "hi" })
    expect(wrote.status).toBe(200)
    expect(textOf((await wrote.json() as { result: unknown }).result)).toBe("Wrote erin.txt (2 characters)")
    const refused = await callTool(example.url, editor, "delete_file", { path: "erin.txt" })
    expect(refused.status).toBe(403)
    expect(refused.headers.get("www-authenticate")).toBeNull()
    expect(await refused.json()).toMatchObject({ error: { data: { _tag: "Forbidden", reason: "forbidden", missingRoles: ["admin"] } } })
    // A token with the scope but no role at all cannot write either (the policy grants files:write to editor and admin).
    const scoped = await example.mint({ subject: "frank", scopes: ["files:write"] })
    expect((await callTool(example.url, scoped, "write_file", { path: "x", content: "" })).status).toBe(403)
    const admin = await callTool(example.url, example.adminToken, "delete_file", { path: "erin.txt" })
    expect(textOf((await admin.json() as { result: unknown }).result)).toBe("Deleted erin.txt")
  })

  it("tools/list shows each caller only the tools they may call (Middleware.visible)", async () => {
    const list = async (token: string) => {
      const res = await fetch(example.url, {
        method: "POST",
        headers: { ...postHeaders(token), "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/list",
          params: {
            _meta: {
              "io.modelcontextprotocol/protocolVersion": "2026-07-28",
              "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
              "io.modelcontextprotocol/clientCapabilities": {}
            }
          }
        })
      })
      const body = await res.json() as { result: { tools: Array<{ name: string }>; cacheScope?: string } }
      return body.result.tools.map((t) => t.name).sort()
    }
    expect(await list(await example.mint({ subject: "gina", scopes: [] }))).toEqual(["whoami"])
    expect(await list(example.readerToken)).toEqual(["list_files", "read_file", "whoami"])
    expect(await list(await example.mint({ subject: "hank", scopes: ["files:read", "files:write"], roles: ["editor"] })))
      .toEqual(["list_files", "read_file", "whoami", "write_file"])
    expect(await list(example.adminToken)).toEqual(["delete_file", "list_files", "read_file", "whoami", "write_file"])
  })

  it("429 with Retry-After past the per-caller token bucket (RFC 6585 §4); other callers are not limited", async () => {
    const token = await example.mint({ subject: "burst", scopes: ["files:read"] })
    // Default: 5 calls a second, bursts of 10.
    // 30 at once: the burst of 10 passes, plus what refills (5 a second) while the rest arrive; the others are refused.
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => callTool(example.url, token, "whoami", {}, i)))
    const statuses = responses.map((r) => r.status)
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10)
    const limited = responses.filter((r) => r.status === 429)
    expect(limited.length).toBeGreaterThanOrEqual(5)
    for (const res of limited) {
      // RFC 9110 §10.2.3: delay-seconds, a whole number.
      expect(res.headers.get("retry-after")).toMatch(/^[1-9]\d*$/)
      expect(await res.json()).toMatchObject({ error: { code: -32000, data: { _tag: "RateLimited", limit: "calls-per-caller" } } })
    }
    expect((await callTool(example.url, example.readerToken, "whoami")).status).toBe(200)
  })

  it("writes an audit record per request to stderr, naming the caller but never a token", async () => {
    await callTool(example.url, example.readerToken, "list_files")
    await new Promise((resolve) => setTimeout(resolve, 200))
    const log = example.stderr().split("\n").filter((line) => line.includes("message=audit"))
    expect(log.some((line) => line.includes("subject=bob") && line.includes("primitive=list_files") && line.includes("outcome=ok"))).toBe(true)
    expect(log.some((line) => line.includes("outcome=denied"))).toBe(true)
    const banner = example.stderr().indexOf("\ncurl ")
    expect(example.stderr().slice(example.stderr().indexOf("\n", banner + 1))).not.toContain(example.adminToken)
  })
})
