/**
 * Starting the built auth example wrong: a clear line on stderr and an exit
 * code (2 for a bad argument, 1 for a server that cannot start), never a
 * hang; and `--print-token`, the dev-only way to get a token for a server
 * started with the same key file.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { assertBuilt, mainPath, repoRoot } from "./support/example.js"

const dir = mkdtempSync(join(tmpdir(), "emcee-example-auth-startup-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const run = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) => {
  assertBuilt()
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [mainPath, ...args], { cwd: repoRoot, env: { ...process.env, MCP_TOKEN: "", EMCEE_AUTH_DEV_KEY_FILE: "", ...env }, timeout: 15_000 }, (_error, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }))
    child.stdin?.end()
  })
}

describe("starting the auth example", { timeout: 30_000 }, () => {
  it("an unknown argument: usage and exit code 2", async () => {
    const { code, stderr } = await run(["--bogus"])
    expect(code).toBe(2)
    expect(stderr).toMatch(/^unknown argument: --bogus\nusage:/)
  })

  it("stdio without a key file: one line naming EMCEE_AUTH_DEV_KEY_FILE, exit code 1", async () => {
    const { code, stdout, stderr } = await run(["--stdio"])
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toMatch(/^emcee auth example: .*EMCEE_AUTH_DEV_KEY_FILE/)
  })

  it("--print-token writes the key file (mode 0600) and prints a token for the default server (127.0.0.1:3001); a bad or missing MCP_TOKEN stops the stdio server", async () => {
    const keyFile = join(dir, "key.json")
    const printed = await run(["--print-token", "--subject", "pat", "--scopes", "files:read files:write"], { EMCEE_AUTH_DEV_KEY_FILE: keyFile })
    expect(printed.code).toBe(0)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    const token = printed.stdout.trim()
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>
    expect(payload).toMatchObject({ sub: "pat", scope: "files:read files:write", iss: "http://127.0.0.1:3001", aud: "http://127.0.0.1:3001/mcp" })

    const refused = await run(["--stdio"], { EMCEE_AUTH_DEV_KEY_FILE: keyFile, MCP_TOKEN: `${token.slice(0, -4)}AAAA` })
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe("")
    expect(refused.stderr).toMatch(/^emcee auth example: MCP_TOKEN refused \(invalid\): /)
    expect(refused.stderr).not.toContain(token.slice(0, -4))

    const missing = await run(["--stdio"], { EMCEE_AUTH_DEV_KEY_FILE: keyFile })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^emcee auth example: MCP_TOKEN refused \(missing\)/)
  })
})
