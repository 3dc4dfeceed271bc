/**
 * Starts the BUILT oauth example (`dist/main.js`, run `npm run build`
 * first) as a child process and reads its banner (the MCP endpoint, the
 * issuer, the upstream issuer); and serves a client's Client ID Metadata
 * Document over https on loopback, with a self-signed certificate the
 * example is told to trust (`--cimd-ca`), as a real client would host it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:https"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { generate } from "selfsigned"

/** The repository root (the working directory of the spawned server). */
export const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url))

/** The built example. */
export const mainPath = fileURLToPath(new URL("../../dist/main.js", import.meta.url))

/** Fails early with a clear message when the example was not built. */
export const assertBuilt = (): void => {
  if (!existsSync(mainPath)) throw new Error(`${mainPath} is missing: run \`npm run build\` before these tests`)
}

/** A running example. */
export interface Example {
  /** The MCP endpoint, `http://127.0.0.1:N/mcp`: the canonical resource URI. */
  readonly url: string
  /** The authorization server's issuer (the same origin). */
  readonly issuer: string
  /** The upstream OIDC provider's issuer. */
  readonly upstreamIssuer: string
  /** Everything the example wrote to stderr so far. */
  readonly stderr: () => string
  readonly stop: () => Promise<void>
}

/** Starts `dist/main.js --http --port 0 …args` and resolves once it printed its banner. */
export const startExample = async (args: ReadonlyArray<string> = [], env: Record<string, string> = {}): Promise<Example> => {
  assertBuilt()
  const child: ChildProcess = spawn(process.execPath, [mainPath, "--http", "--port", "0", ...args], {
    cwd: repoRoot,
    env: { ...process.env, OAUTH_ENCRYPTION_KEY: "", ...env },
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
  try {
    const banner = await new Promise<{ url: string; issuer: string; upstreamIssuer: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the example printed no banner in 30 s: ${stderr}`)), 30_000)
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
        const url = /emcee oauth example listening on (http:\/\/\S+)/.exec(stderr)?.[1]
        const issuer = /authorization server \(issuer\): (http:\/\/\S+)/.exec(stderr)?.[1]
        const upstreamIssuer = /upstream OIDC provider: (http:\/\/\S+)/.exec(stderr)?.[1]
        if (url !== undefined && issuer !== undefined && upstreamIssuer !== undefined) {
          clearTimeout(timer)
          resolve({ url, issuer, upstreamIssuer })
        }
      })
      child.once("exit", (code) => {
        clearTimeout(timer)
        reject(new Error(`the example exited with ${code}: ${stderr}`))
      })
    })
    return { ...banner, stderr: () => stderr, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** An https server on loopback publishing one Client ID Metadata Document. */
export interface MetadataHost {
  /** The document's URL, `https://localhost:N/oauth/client.json`: the client id. */
  readonly clientId: string
  /** The PEM file of its self-signed certificate (give it to the example as `--cimd-ca`). */
  readonly caFile: string
  /** How often the document was fetched. */
  readonly fetches: () => number
  readonly stop: () => Promise<void>
}

/**
 * Serves `document(clientId)` at `https://localhost:N/oauth/client.json`
 * with a fresh self-signed certificate for `localhost` and `127.0.0.1`.
 */
export const serveMetadataDocument = async (document: (clientId: string) => Record<string, unknown>): Promise<MetadataHost> => {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    keyType: "ec",
    curve: "P-256",
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }
    ]
  })
  const dir = mkdtempSync(join(tmpdir(), "emcee-example-oauth-cimd-"))
  const caFile = join(dir, "ca.pem")
  writeFileSync(caFile, pems.cert)
  let fetches = 0
  let clientId = ""
  const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    if (req.method === "GET" && req.url === "/oauth/client.json") {
      fetches++
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" }).end(JSON.stringify(document(clientId)))
      return
    }
    res.writeHead(404).end()
  })
  // Every loopback address (no host: dual stack), since "localhost" may resolve to ::1 or 127.0.0.1 first.
  await new Promise<void>((resolve) => server.listen(0, resolve))
  clientId = `https://localhost:${(server.address() as AddressInfo).port}/oauth/client.json`
  return {
    clientId,
    caFile,
    fetches: () => fetches,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        rmSync(dir, { recursive: true, force: true })
      })
  }
}
