/**
 * Starting the built oauth example: bad arguments are a usage message and
 * exit code 2, a server that cannot start one line and exit code 1, never a
 * hang; a good start prints the endpoint, the issuer and the upstream
 * provider, and serves the authorization server beside `/mcp`.
 */
import { execFile } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { assertBuilt, type Example, mainPath, repoRoot, startExample } from "./support/example.js"

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  assertBuilt()
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [mainPath, ...args], { cwd: repoRoot, env: { ...process.env, OAUTH_ENCRYPTION_KEY: "", ...env }, timeout: 20_000 }, (_error, _stdout, stderr) =>
      resolve({ code: child.exitCode, stderr }))
  })
}

describe.concurrent("bad arguments: usage and exit code 2", { timeout: 30_000 }, () => {
  it.each([
    [["--http", "--bogus"], /^unknown argument: --bogus\nusage:/],
    [[], /^missing --http: this example runs over HTTP only\nusage:/],
    [["--stdio"], /^--stdio is not supported: an OAuth authorization server needs an HTTP endpoint/],
    [["--http", "--port", "70000"], /^invalid --port: "70000" is not a port/],
    [["--http", "--access-token-ttl", "soon"], /^invalid --access-token-ttl: "soon" is not a duration/],
    [["--http", "--cimd-allow-host", ""], /^--cimd-allow-host needs a host name/]
  ] as const)("%j", async (args, message) => {
    const { code, stderr } = await run(args)
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stderr).toContain("usage: main --http")
  })
})

describe.concurrent("a server that cannot start: one line and exit code 1", { timeout: 30_000 }, () => {
  it("an unreadable --cimd-ca file", async () => {
    const { code, stderr } = await run(["--http", "--port", "0", "--cimd-ca", "/nonexistent/ca.pem"], { OAUTH_ENCRYPTION_KEY: "k".repeat(32) })
    expect(code).toBe(1)
    expect(stderr).toMatch(/^emcee oauth example: cannot read --cimd-ca \/nonexistent\/ca\.pem/)
  })

  it("an OAUTH_ENCRYPTION_KEY shorter than 32 characters, named without its value", async () => {
    const { code, stderr } = await run(["--http", "--port", "0"], { OAUTH_ENCRYPTION_KEY: "short-secret-key" })
    expect(code).toBe(1)
    expect(stderr).toContain("OAUTH_ENCRYPTION_KEY")
    expect(stderr).not.toContain("short-secret-key")
  })
})

describe("a good start", { timeout: 30_000 }, () => {
  let example: Example
  beforeAll(async () => {
    example = await startExample()
  }, 60_000)
  afterAll(() => example?.stop())

  it("prints the endpoint, the issuer, the upstream provider and the demo accounts, and warns about the per-process key", () => {
    const url = new URL(example.url)
    expect(url.hostname).toBe("127.0.0.1")
    expect(url.pathname).toBe("/mcp")
    expect(example.issuer).toBe(url.origin)
    expect(example.upstreamIssuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(example.stderr()).toContain("alice: group editors")
    expect(example.stderr()).toContain("bob: scope notes:read")
    expect(example.stderr()).toContain("OAUTH_ENCRYPTION_KEY is not set; using a random key for this process")
  })

  it("serves the authorization server, the upstream provider and /health; without --dcr there is no registration endpoint", async () => {
    expect((await fetch(`${example.issuer}/health`)).status).toBe(200)
    const metadata = (await (await fetch(`${example.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>
    expect(metadata.issuer).toBe(example.issuer)
    expect(metadata.registration_endpoint).toBeUndefined()
    expect(metadata.client_id_metadata_document_supported).toBe(true)
    const register = await fetch(`${example.issuer}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:1/cb"], client_name: "x" })
    })
    expect(register.status).toBeGreaterThanOrEqual(400)
    const upstream = (await (await fetch(`${example.upstreamIssuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    expect(upstream).toMatchObject({ issuer: example.upstreamIssuer, code_challenge_methods_supported: ["S256"] })
  })
})
