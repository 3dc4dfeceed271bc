/**
 * `emcee gateway`: every mistake a user can make is one line naming the
 * flag, file or key, with exit code 1; and the built binary serves two
 * backends (the everything example over stdio) behind one endpoint, over
 * Streamable HTTP (health, metrics, tools/call through `emcee call`) and
 * over stdio; with `auth:` it authenticates every call (401 otherwise, spec
 * 2025-11-25 basic/authorization) and applies the tenants of its backends;
 * without a database URL it starts an embedded PostgreSQL of its own.
 */
import { Command } from "@effect/cli"
import { McpClient } from "@emcee/core"
import { HttpClientTransport } from "@emcee/transport"
import { Effect, Exit } from "effect"
import * as jose from "jose"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import * as Gateway from "../src/Gateway.js"
import { runner } from "./support/runCommand.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = path.join(root, "packages/cli/dist/bin.js")
const everything = path.join(root, "examples/everything/dist/main.js")
const built = fs.existsSync(bin) && fs.existsSync(everything)

const emcee = runner(Command.make("emcee").pipe(Command.withSubcommands([Gateway.command])), "gateway")

const made: Array<string> = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})
const file = (name: string, text: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-gateway-"))
  made.push(dir)
  fs.writeFileSync(path.join(dir, name), text)
  return path.join(dir, name)
}

describe("emcee gateway: one-line errors", () => {
  it("no backends at all (and nothing to register them with)", async () => {
    const { code, stderr } = await emcee("--memory")
    expect(code).toBe(1)
    expect(stderr).toBe(
      "emcee gateway: no backends: give --backend NAME=URL-or-command, a configuration file with backends, a registry (--database-url, or the embedded PostgreSQL without --memory), or --admin-token to register them"
    )
  })

  it("--memory with a --database-url, or a --data-dir without the embedded PostgreSQL", async () => {
    expect((await emcee("--backend", "a=node a.js", "--memory", "--database-url", "postgres://x@127.0.0.1:1/db")).stderr).toBe(
      "emcee gateway: --memory and --database-url: give one of them"
    )
    expect((await emcee("--backend", "a=node a.js", "--memory", "--data-dir", os.tmpdir())).stderr).toBe(
      "emcee gateway: --data-dir is where the embedded PostgreSQL keeps its data: it goes with neither --memory nor --database-url"
    )
  })

  it("auth, rbac and rateLimits that are incomplete or wrong", async () => {
    const backends = "backends:\n  a:\n    command: node\n    tenant: acme\n"
    const noAuthenticator = file("gateway.yaml", `${backends}auth:\n  resource: https://gw.example/mcp\n`)
    expect((await emcee(noAuthenticator, "--memory")).stderr).toBe(`emcee gateway: ${noAuthenticator}: auth: give jwt or apiKeys (or both) to authenticate callers`)
    const twoKeys = file("gateway.yaml", `${backends}auth:\n  jwt: { issuer: i, audience: a, secret: s, jwksUrl: "https://i.example/jwks" }\n`)
    expect((await emcee(twoKeys, "--memory")).stderr).toBe(`emcee gateway: ${twoKeys}: auth.jwt: give exactly one of jwksUrl and secret`)
    const shortSecret = file("gateway.yaml", `${backends}auth:\n  jwt: { issuer: i, audience: a, secret: short }\n`)
    const short = (await emcee(shortSecret, "--memory")).stderr
    expect(short.startsWith(`emcee gateway: ${shortSecret}: auth.jwt: `), short).toBe(true)
    expect(short).toContain("32 bytes")
    const rbacAlone = file("gateway.yaml", `${backends}rbac: { roles: { viewer: { permissions: ["gateway:*"] } } }\n`)
    expect((await emcee(rbacAlone, "--memory")).stderr).toBe(
      `emcee gateway: ${rbacAlone}: rbac: needs auth (an RBAC policy grants roles of authenticated callers); configure auth.jwt or auth.apiKeys`
    )
    const auth = "auth:\n  apiKeys: { keys: \"k-0123456789abcdef:alice\" }\n"
    const unknownRole = file("gateway.yaml", `${backends}${auth}rbac: { roles: { editor: { inherits: [writer] } } }\n`)
    expect((await emcee(unknownRole, "--memory")).stderr).toBe(`emcee gateway: ${unknownRole}: rbac.roles.editor.inherits[0]: unknown role "writer"`)
    const missingPolicy = file("gateway.yaml", `${backends}${auth}rbac: no-such-rbac.yaml\n`)
    expect((await emcee(missingPolicy, "--memory")).stderr).toBe(
      `emcee gateway: ${missingPolicy}: rbac: cannot read ${path.join(path.dirname(missingPolicy), "no-such-rbac.yaml")}: no such file`
    )
    const badRate = file("gateway.yaml", `${backends}rateLimits:\n  perTenant: { rate: 0 }\n`)
    expect((await emcee(badRate, "--memory")).stderr).toBe(`emcee gateway: ${badRate}: rateLimits.perTenant.rate: Expected a positive number, actual 0`)
  })

  it("a --backend without NAME=, with a bad name, or with a bad URL", async () => {
    expect(await emcee("--backend", "node server.js")).toEqual({
      code: 1,
      stdout: "",
      stderr: `emcee gateway: --backend node server.js: expected NAME=URL or NAME=COMMAND, got "node server.js"`
    })
    const badName = await emcee("--backend", "my tools=node server.js")
    expect(badName.stderr).toBe(`emcee gateway: --backend my tools=node server.js: "my tools" is not a valid backend name: use 1 to 64 letters, digits, _, - or . (starting with a letter or digit)`)
    const badUrl = await emcee("--backend", "web=http://[::1")
    expect(badUrl.stderr).toBe(`emcee gateway: --backend web=http://[::1: backend "web": "http://[::1" is not a valid URL`)
  })

  it("a --prefix for a backend that is not there, or without =", async () => {
    const unknown = await emcee("--backend", "a=node a.js", "--prefix", "b=x")
    expect(unknown).toMatchObject({ code: 1, stderr: `emcee gateway: --prefix b=x: there is no backend "b"; backends: a` })
    const noEquals = await emcee("--backend", "a=node a.js", "--prefix", "a")
    expect(noEquals.stderr).toBe("emcee gateway: --prefix a: expected NAME=PREFIX (NAME= for none)")
  })

  it("a configuration file that is missing, not YAML, has an unknown key, a bad value, or a token variable that is not set", async () => {
    const missing = path.join(os.tmpdir(), "emcee-no-such-gateway.yaml")
    expect((await emcee(missing)).stderr).toBe(`emcee gateway: ${missing} does not exist: give a gateway configuration file`)

    const broken = file("gateway.yaml", "backends:\n  a: [unclosed\n")
    expect((await emcee(broken)).stderr).toMatch(new RegExp(`^emcee gateway: ${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: `))

    const typo = file("gateway.yaml", "backends:\n  a:\n    comand: node\n")
    expect((await emcee(typo)).stderr).toBe(`emcee gateway: ${typo}: backends.a.comand: is not a known key`)

    const both = file("gateway.yaml", "backends:\n  a:\n    command: node\n    url: http://127.0.0.1:1/mcp\n")
    expect((await emcee(both)).stderr).toBe(`emcee gateway: ${both}: backends.a: give exactly one of command (stdio) and url (Streamable HTTP), or instances`)

    const duration = file("gateway.yaml", "requestTimeout: soon\nbackends:\n  a:\n    command: node\n")
    expect((await emcee(duration)).stderr).toBe(`emcee gateway: ${duration}: requestTimeout: expected a duration such as 30s, 500ms or 2m, got "soon"`)

    const token = file("gateway.yaml", "backends:\n  s:\n    url: https://search.example/mcp\n    bearerEnv: EMCEE_TEST_UNSET_TOKEN\n")
    expect((await emcee(token)).stderr).toBe(
      `emcee gateway: ${token}: backends.s.bearerEnv: the variable EMCEE_TEST_UNSET_TOKEN is not set; set it to the backend's token`
    )
  })
})

const run = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }))
  })

/** The gateway's MCP URL once it listens (from its stderr). */
const listening = (child: ChildProcess) =>
  new Promise<string>((resolve, reject) => {
    let stderr = ""
    const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${stderr}`)), 60_000)
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      const found = /on (http:\/\/\S+\/mcp)/.exec(stderr)
      if (found !== null) {
        clearTimeout(timer)
        resolve(found[1]!)
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the gateway exited (${code}):\n${stderr}`))
    })
  })

/** Stops the gateway with SIGTERM and waits for it to exit. */
const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode)
    child.once("exit", (code) => resolve(code))
    child.kill("SIGTERM")
  })

// The binary runs from dist/, so these need `npm run build`.
describe.runIf(built)("emcee gateway (built binary)", { timeout: 120_000 }, () => {
  it("serves two backends from a configuration file over Streamable HTTP: names, calls, health and metrics", async () => {
    const config = file(
      "gateway.yaml",
      [
        "name: test-gateway",
        "maxRequestBytes: 65536",
        "backends:",
        "  every:",
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(everything)}]`,
        "  plain:",
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(everything)}]`,
        "    prefix: ''",
        ""
      ].join("\n")
    )
    const child = spawn(process.execPath, [bin, "gateway", config, "--port", "0", "--memory"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    try {
      const url = await listening(child)
      expect((await run(["call", url, "every_echo", "--arg", "message=through the gateway"])).stdout).toBe("Echo: through the gateway\n")
      expect((await run(["call", url, "echo", "--arg", "message=unprefixed"])).stdout).toBe("Echo: unprefixed\n")
      const listed = JSON.parse((await run(["list", url, "tools", "--json"])).stdout) as { readonly tools: ReadonlyArray<{ readonly name: string }> }
      const names = listed.tools.map((tool) => tool.name)
      expect(names).toContain("every_test_simple_text")
      expect(names).toContain("test_simple_text")
      const base = url.replace(/\/mcp$/, "")
      const ready = (await (await fetch(`${base}/health/ready`)).json()) as { readonly status: string }
      expect(ready.status).toBe("healthy")
      const metrics = await (await fetch(`${base}/metrics`)).text()
      expect(metrics).toMatch(/mcp_gateway_backend_calls_total\{[^}]*backend="every"[^}]*outcome="ok"[^}]*\} [1-9]/)
      expect(metrics).toContain(`mcp_gateway_backend_up{backend="plain"} 1`)
      // maxRequestBytes: a larger body is refused at the door, naming the limit.
      const tooLarge = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "server/discover", params: { padding: "z".repeat(70_000) } })
      })
      expect(tooLarge.status).toBe(413)
      expect(await tooLarge.text()).toContain("65536")
    } finally {
      child.kill("SIGTERM")
    }
  })

  it("reports the version of @emcee/gateway's package.json as its serverInfo when the configuration gives none (spec basic/lifecycle \"Initialization\")", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "packages/gateway/package.json"), "utf8")) as { version: string }
    const { code, stdout, stderr } = await run(["inspect", "--json", "--", process.execPath, bin, "gateway", "--stdio", "--memory", "--backend", `a=${process.execPath} ${everything}`])
    expect(code, stderr).toBe(0)
    expect((JSON.parse(stdout) as { serverInfo: { name: string; version: string } }).serverInfo).toMatchObject({ name: "emcee-gateway", version: pkg.version })
  })

  it("serves over stdio: emcee call starts the gateway as its server", async () => {
    const { code, stdout, stderr } = await run([
      "call",
      "a_echo",
      "--arg",
      "message=over stdio",
      "--",
      process.execPath,
      bin,
      "gateway",
      "--stdio",
      "--memory",
      "--backend",
      `a=${process.execPath} ${everything}`
    ])
    expect(code, stderr).toBe(0)
    expect(stdout).toBe("Echo: over stdio\n")
  })

  it("with auth: in its configuration every /mcp request is authenticated (401 and an RFC 6750 challenge otherwise) and tenants see their backends only", async () => {
    const secret = "a-shared-secret-of-at-least-32-bytes!!"
    const config = file(
      "gateway.yaml",
      [
        "auth:",
        "  jwt:",
        "    issuer: https://issuer.test/",
        "    audience: https://gateway.test/mcp",
        `    secret: ${JSON.stringify(secret)}`,
        "    claims: { tenant: org }",
        "rateLimits:",
        "  perPrincipal: { rate: 100, burst: 100 }",
        "backends:",
        "  acme:",
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(everything)}]`,
        "    tenant: acme",
        "  open:",
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(everything)}]`,
        ""
      ].join("\n")
    )
    const token = (org: string) =>
      new jose.SignJWT({ org })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer("https://issuer.test/")
        .setAudience("https://gateway.test/mcp")
        .setSubject(`someone-of-${org}`)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(new TextEncoder().encode(secret))
    const child = spawn(process.execPath, [bin, "gateway", config, "--port", "0", "--memory"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    try {
      const url = await listening(child)
      const initialize = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } }
      })
      const post = (headers: Record<string, string>) =>
        fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: initialize })
      const anonymous = await post({})
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer\b/)
      const forged = await post({ authorization: "Bearer not-a-jwt" })
      expect(forged.status).toBe(401)
      expect(forged.headers.get("www-authenticate")).toContain(`error="invalid_token"`)

      const session = (org: string, f: (client: McpClient.McpClient) => Effect.Effect<unknown, McpClient.McpClientError>) =>
        Effect.runPromise(
          Effect.gen(function*() {
            const transport = yield* HttpClientTransport.make({ url, headers: { authorization: `Bearer ${yield* Effect.promise(() => token(org))}` } })
            const client = yield* McpClient.make({ transport, clientInfo: { name: "t", version: "1" }, protocolVersion: "2025-11-25" })
            return yield* f(client)
          }).pipe(Effect.scoped)
        )
      const acme = await session("acme", (client) =>
        Effect.all({ tools: client.listAllTools(), echo: client.callTool("acme_echo", { message: "mine" }) })) as {
          readonly tools: ReadonlyArray<{ readonly name: string }>
          readonly echo: { readonly content: unknown }
        }
      expect(acme.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["acme_echo", "open_echo"]))
      expect(acme.echo.content).toEqual([{ type: "text", text: "Echo: mine" }])
      const globex = await session("globex", (client) =>
        Effect.all({ tools: client.listAllTools(), hidden: Effect.exit(client.callTool("acme_echo", { message: "theirs" })) })) as {
          readonly tools: ReadonlyArray<{ readonly name: string }>
          readonly hidden: Exit.Exit<unknown, McpClient.McpClientError>
        }
      expect(globex.tools.map((t) => t.name)).toContain("open_echo")
      expect(globex.tools.some((t) => t.name.startsWith("acme_"))).toBe(false)
      // spec 2025-11-25 server/tools "Error Handling": as for a tool that does not exist.
      expect(Exit.isFailure(globex.hidden) && globex.hidden.cause._tag === "Fail" ? globex.hidden.cause.error.code : undefined).toBe(-32602)
      // `emcee call` with the caller's token goes through.
      const called = await run(["call", url, "open_echo", "--arg", "message=authenticated", "--bearer", await token("globex")])
      expect(called.stdout, called.stderr).toBe("Echo: authenticated\n")
    } finally {
      await stop(child)
    }
  })

  it("without a database URL it starts an embedded PostgreSQL in --data-dir, keeps the registry there between runs, and stops it on exit", async () => {
    // As root PostgreSQL runs as the `postgres` user, which must reach the data directory.
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-gateway-pg-"))
    made.push(parent)
    fs.chmodSync(parent, 0o777)
    const dataDir = path.join(parent, "pg")
    const gateway = () => {
      // No backends given: the registry (with the admin API to fill it) is enough.
      const child = spawn(process.execPath, [bin, "gateway", "--port", "0", "--data-dir", dataDir, "--admin-token", "admin-secret"], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stderr = ""
      child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
      return { child, stderr: () => stderr }
    }
    const first = gateway()
    try {
      const url = await listening(first.child)
      expect(first.stderr()).toContain(`created the embedded PostgreSQL in ${dataDir}`)
      expect(fs.existsSync(path.join(dataDir, "pgdata", "PG_VERSION"))).toBe(true)
      const put = await fetch(url.replace(/\/mcp$/, "/admin/v1/backends/kept"), {
        method: "PUT",
        headers: { authorization: "Bearer admin-secret", "content-type": "application/json" },
        body: JSON.stringify({ transport: "stdio", endpoint: { command: process.execPath, args: [everything] } })
      })
      expect(put.status).toBe(200)
    } finally {
      expect(await stop(first.child)).toBe(0)
    }
    // PostgreSQL was stopped with the gateway: its lock file is gone.
    expect(fs.existsSync(path.join(dataDir, "pgdata", "postmaster.pid"))).toBe(false)
    // The next run opens the same cluster and serves what was registered.
    const second = gateway()
    try {
      const url = await listening(second.child)
      expect(second.stderr()).toContain(`started the embedded PostgreSQL in ${dataDir}`)
      expect((await run(["call", url, "kept_echo", "--arg", "message=kept in postgres"])).stdout).toBe("Echo: kept in postgres\n")
    } finally {
      expect(await stop(second.child)).toBe(0)
    }
  })

})
