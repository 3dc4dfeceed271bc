import { execFile } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = `${root}packages/cli/dist/bin.js`
const everything = `${root}examples/everything/dist/main.js`
const built = existsSync(bin) && existsSync(everything)

const run = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile("node", [bin, ...args], { cwd: root, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }))
  })

// The binary runs from dist/, so these tests need `npm run build` (the README's test command builds first).
describe.runIf(built)("the emcee binary", { timeout: 60_000 }, () => {
  it("inspect lists what a stdio server offers (spec basic/lifecycle initialize, then every */list)", async () => {
    const { code, stdout } = await run(["inspect", "--", "node", everything])
    expect(code).toBe(0)
    expect(stdout).toContain("emcee Everything")
    expect(stdout).toMatch(/tools \(\d+\)/)
    expect(stdout).toContain("test_simple_text")
    expect(stdout).toContain("test://template/{id}/data")
    expect(stdout).toContain("test_prompt_with_arguments")
  })

  it("serve runs an app module's default Layer over stdio, and inspect reads it through the binary", async () => {
    const { code, stdout } = await run(["inspect", "--", "node", bin, "serve", `${root}examples/everything/dist/server.js`])
    expect(code).toBe(0)
    expect(stdout).toContain("emcee Everything")
    expect(stdout).toContain("test_dynamic_tool")
  })

  it("inspect --json prints a machine-readable report", async () => {
    const { code, stdout } = await run(["inspect", "--json", "--", "node", everything])
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as { serverInfo: { name: string }; tools: Array<{ name: string }> }
    expect(report.tools.map((t) => t.name)).toContain("echo")
  })

  it("inspect without a server says how to name one and exits 1", async () => {
    const { code, stderr } = await run(["inspect"])
    expect(code).toBe(1)
    expect(stderr).toContain("give either --url")
  })

  it("--version prints the version of package.json (one source: src/internal/version.ts)", async () => {
    const pkg = JSON.parse(readFileSync(`${root}packages/cli/package.json`, "utf8")) as { version: string }
    const { code, stdout } = await run(["--version"])
    expect(code).toBe(0)
    expect(stdout.trim()).toBe(pkg.version)
  })

  it("serve names the file that does not exist and exits 1", async () => {
    const { code, stderr } = await run(["serve", "no/such/app.js"])
    expect(code).toBe(1)
    expect(stderr).toContain("no/such/app.js")
  })
})
