/**
 * Starts the BUILT auth example (`dist/main.js`, run `npm run build` first)
 * as a child process and reads what it prints: the endpoint, the two tokens
 * and the curl line. Tokens with other scopes and roles are minted here with
 * jose from the dev key the example wrote to `EMCEE_AUTH_DEV_KEY_FILE` (a
 * temporary directory of the test), exactly as the example signs its own.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as jose from "jose"

/** The repository root (the working directory of the spawned server). */
export const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url))

/** The built example. */
export const mainPath = fileURLToPath(new URL("../../dist/main.js", import.meta.url))

/** Fails early with a clear message when the example was not built. */
export const assertBuilt = (): void => {
  if (!existsSync(mainPath)) throw new Error(`${mainPath} is missing: run \`npm run build\` before these tests`)
}

/** What a minted token grants. */
export interface Grant {
  readonly subject: string
  readonly scopes: ReadonlyArray<string>
  readonly roles?: ReadonlyArray<string>
  /** Overrides of the standard claims (a wrong `aud`, an `exp` in the past). */
  readonly claims?: jose.JWTPayload
}

/** A running example. */
export interface Example {
  /** The MCP endpoint, `http://127.0.0.1:N/mcp`: the canonical resource URI. */
  readonly url: string
  readonly origin: string
  /** The admin token the example printed (alice: files:read files:write, role admin). */
  readonly adminToken: string
  /** The reader token the example printed (bob: files:read). */
  readonly readerToken: string
  /** The curl line the example printed. */
  readonly curl: string
  /** The key file the example wrote. */
  readonly keyFile: string
  /** Everything the example wrote to stderr so far. */
  readonly stderr: () => string
  /** Signs a token as the example's dev issuer would. */
  readonly mint: (grant: Grant) => Promise<string>
  readonly stop: () => Promise<void>
}

/** Starts `dist/main.js --http --port 0 …args` and resolves once it printed its banner. */
export const startExample = async (args: ReadonlyArray<string> = []): Promise<Example> => {
  assertBuilt()
  const dir = mkdtempSync(join(tmpdir(), "emcee-example-auth-"))
  const keyFile = join(dir, "dev-key.json")
  const child: ChildProcess = spawn(process.execPath, [mainPath, "--http", "--port", "0", ...args], {
    cwd: repoRoot,
    env: { ...process.env, EMCEE_AUTH_DEV_KEY_FILE: keyFile },
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  const banner = await new Promise<{ url: string; adminToken: string; readerToken: string; curl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example printed no banner in 20 s: ${stderr}`)), 20_000)
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      const url = /emcee auth example listening on (http:\/\/\S+)/.exec(stderr)?.[1]
      const adminToken = /^MCP_TOKEN=(\S+)$/m.exec(stderr)?.[1]
      const readerToken = /^READER_TOKEN=(\S+)$/m.exec(stderr)?.[1]
      const curl = /^curl .*$/m.exec(stderr)?.[0]
      if (url !== undefined && adminToken !== undefined && readerToken !== undefined && curl !== undefined) {
        clearTimeout(timer)
        resolve({ url, adminToken, readerToken, curl })
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the example exited with ${code}: ${stderr}`))
    })
  })
  const origin = new URL(banner.url).origin
  const file = JSON.parse(readFileSync(keyFile, "utf8")) as { kid: string; alg: string; privateJwk: jose.JWK }
  const privateKey = await jose.importJWK(file.privateJwk, file.alg)
  const mint = (grant: Grant) => {
    const now = Math.floor(Date.now() / 1000)
    const payload: jose.JWTPayload = {
      iss: origin,
      aud: banner.url,
      sub: grant.subject,
      iat: now,
      exp: now + 600,
      jti: crypto.randomUUID(),
      scope: grant.scopes.join(" "),
      ...(grant.roles === undefined ? {} : { roles: [...grant.roles] }),
      ...grant.claims
    }
    return new jose.SignJWT(payload).setProtectedHeader({ alg: file.alg, kid: file.kid, typ: "at+jwt" }).sign(privateKey)
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.kill("SIGTERM")
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  return { ...banner, origin, keyFile, stderr: () => stderr, mint, stop }
}

/** The headers of a Streamable HTTP POST. */
export const postHeaders = (token?: string): Record<string, string> => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
})

/** A stateless 2026-07-28 `tools/call` POST (spec 2026-07-28 basic/transports/streamable-http: headers mirror the body). */
export const callTool = (url: string, token: string | undefined, name: string, args: Record<string, unknown> = {}, id = 1) =>
  fetch(url, {
    method: "POST",
    headers: { ...postHeaders(token), "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: {
        name,
        arguments: args,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "raw-fetch", version: "1" },
          "io.modelcontextprotocol/clientCapabilities": {}
        }
      }
    })
  })

/** The text blocks of a tool result, joined. */
export const textOf = (result: unknown): string =>
  ((result as { content?: ReadonlyArray<{ type: string; text?: string }> }).content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n")
