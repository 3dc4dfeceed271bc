/**
 * Interop with the official SDK v1 client (`@modelcontextprotocol/sdk`)
 * against the built auth example: over Streamable HTTP with a bearer token in
 * `requestInit` headers (the printed token, and minted ones), refusals that
 * surface as errors instead of hangs (401 without a token, 403 with too few
 * scopes, `UnauthorizedError` from the SDK's OAuth flow after it discovered
 * the server's metadata), and over stdio with the token in `MCP_TOKEN`.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { UnauthorizedError, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Example, mainPath, repoRoot, startExample, textOf } from "./support/example.js"

let example: Example
const clients: Array<Client> = []

beforeAll(async () => {
  example = await startExample()
}, 60_000)

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)))
  await example?.stop()
})

/** A v1 client over Streamable HTTP sending `Authorization: Bearer <token>` on every request. */
const connect = async (token: string | undefined, authProvider?: OAuthClientProvider): Promise<Client> => {
  const client = new Client({ name: "emcee-auth-interop-v1", version: "1.0.0" })
  clients.push(client)
  const transport = new StreamableHTTPClientTransport(new URL(example.url), {
    ...(token === undefined ? {} : { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
    ...(authProvider === undefined ? {} : { authProvider })
  })
  await client.connect(transport)
  return client
}

describe("the auth example with the SDK v1 client over Streamable HTTP", { timeout: 30_000 }, () => {
  it("connects with the printed token and calls permitted tools", async () => {
    const client = await connect(example.adminToken)
    expect(client.getServerVersion()?.name).toBe("emcee-example-auth")
    expect(JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })))).toMatchObject({ subject: "alice", roles: ["admin"] })
    expect(textOf(await client.callTool({ name: "read_file", arguments: { path: "readme.txt" } }))).toBe("Welcome to the emcee auth example.")
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["delete_file", "list_files", "read_file", "whoami", "write_file"])
  })

  it("a reader sees and calls only the reading tools", async () => {
    const client = await connect(example.readerToken)
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["list_files", "read_file", "whoami"])
    expect(textOf(await client.callTool({ name: "list_files", arguments: {} }))).toContain("readme.txt")
  })

  it("without a token the connection fails at once with HTTP 401 (spec basic/authorization \"Authorization Flow Steps\")", async () => {
    const error = await connect(undefined).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(StreamableHTTPError)
    expect((error as StreamableHTTPError).code).toBe(401)
  })

  it("with an OAuth provider but no token, the SDK discovers the metadata from the 401 and surfaces UnauthorizedError after asking for this resource (RFC 8707)", async () => {
    let authorizationUrl: URL | undefined
    const provider: OAuthClientProvider = {
      redirectUrl: "http://127.0.0.1:1/callback",
      clientMetadata: { client_name: "interop", redirect_uris: ["http://127.0.0.1:1/callback"] },
      clientInformation: () => ({ client_id: "interop-client" }),
      tokens: () => undefined,
      saveTokens: () => undefined,
      redirectToAuthorization: (url) => {
        authorizationUrl = url
      },
      saveCodeVerifier: () => undefined,
      codeVerifier: () => "verifier"
    }
    const error = await connect(undefined, provider).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(UnauthorizedError)
    // The SDK read resource_metadata, took the authorization server from it and asks for a token for this exact resource.
    expect(authorizationUrl?.origin).toBe(example.origin)
    expect(authorizationUrl?.searchParams.get("resource")).toBe(example.url)
    expect(authorizationUrl?.searchParams.get("scope")).toBe("files:read")
  })

  it("too few scopes: the 403 insufficient_scope surfaces as an error of the call, and the connection stays usable", async () => {
    const client = await connect(await example.mint({ subject: "nina", scopes: [] }))
    const error = await client.callTool({ name: "read_file", arguments: { path: "readme.txt" } }).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(StreamableHTTPError)
    expect((error as StreamableHTTPError).code).toBe(403)
    expect((error as Error).message).toContain("insufficient_scope")
    expect(JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })))).toMatchObject({ subject: "nina", scopes: [] })
  })
})

describe("the auth example with the SDK v1 client over stdio (token from MCP_TOKEN)", { timeout: 30_000 }, () => {
  it("authenticates from the environment and enforces scopes", async () => {
    // Over stdio the token is checked as the HTTP server on --port would check it: same issuer, same audience.
    const token = await example.mint({ subject: "olga", scopes: ["files:read"] })
    const port = new URL(example.url).port
    const client = new Client({ name: "emcee-auth-interop-stdio", version: "1.0.0" })
    clients.push(client)
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [mainPath, "--stdio", "--port", port],
        cwd: repoRoot,
        env: { ...process.env, EMCEE_AUTH_DEV_KEY_FILE: example.keyFile, MCP_TOKEN: token } as Record<string, string>,
        stderr: "pipe"
      })
    )
    expect(JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })))).toMatchObject({ subject: "olga", scopes: ["files:read"] })
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["list_files", "read_file", "whoami"])
    const refused = await client.callTool({ name: "delete_file", arguments: { path: "readme.txt" } }).then(() => undefined, (e: unknown) => e)
    expect(refused).toMatchObject({ code: -32000 })
  })
})
