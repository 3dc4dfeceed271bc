/**
 * `emcee gateway`: every mistake a user can make is one line naming the
 * flag, file or key, with exit code 1; and the built binary serves two
 * backends (the everything example over stdio) behind one endpoint, over
 * Streamable HTTP (health, metrics, tools/call through `emcee call`) and
 * over stdio.
 */
import { Command } from "@effect/cli"
import { execFile, spawn } from "node:child_process"
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
  it("no backends at all", async () => {
    const { code, stderr } = await emcee()
    expect(code).toBe(1)
    expect(stderr).toBe("emcee gateway: no backends: give --backend NAME=URL-or-command, a configuration file with backends, or --database-url with a registry")
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
    expect((await emcee(both)).stderr).toBe(`emcee gateway: ${both}: backends.a: give exactly one of command (stdio) and url (Streamable HTTP)`)

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

// The binary runs from dist/, so these need `npm run build`.
describe.runIf(built)("emcee gateway (built binary)", { timeout: 120_000 }, () => {
  it("serves two backends from a configuration file over Streamable HTTP: names, calls, health and metrics", async () => {
    const config = file(
      "gateway.yaml",
      [
        "name: test-gateway",
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
    const child = spawn(process.execPath, [bin, "gateway", config, "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = ""
        const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${stderr}`)), 60_000)
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString()
          const found = /on (http:\/\/\S+\/mcp)/.exec(stderr)
          if (found !== null) {
            clearTimeout(timer)
            resolve(found[1]!)
          }
        })
      })
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
    } finally {
      child.kill("SIGTERM")
    }
  })

  it("reports the version of @emcee/gateway's package.json as its serverInfo when the configuration gives none (spec basic/lifecycle \"Initialization\")", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "packages/gateway/package.json"), "utf8")) as { version: string }
    const { code, stdout, stderr } = await run(["inspect", "--json", "--", process.execPath, bin, "gateway", "--stdio", "--backend", `a=${process.execPath} ${everything}`])
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
      "--backend",
      `a=${process.execPath} ${everything}`
    ])
    expect(code, stderr).toBe(0)
    expect(stdout).toBe("Echo: over stdio\n")
  })
})
