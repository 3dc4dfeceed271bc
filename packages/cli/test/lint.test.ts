/**
 * `emcee lint` on a real app module with known problems (the lint fixture), on
 * the everything example, and on manifest files (edited to hit each rule and
 * --fail-on threshold). Tool names follow spec 2025-11-25 and 2026-07-28
 * server/tools "Tool Names" (1-128 characters of A-Z a-z 0-9 _ - .); the issue's
 * 64 characters is reported as info only.
 */
import { Command } from "@effect/cli"
import { Either } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ExitCode } from "../src/CliError.js"
import * as Lint from "../src/Lint.js"
import * as Manifest from "../src/Manifest.js"
import { words } from "../src/internal/lintRules.js"
import { runCommand } from "./fixtures/manifest-run.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const fixture = fileURLToPath(new URL("./fixtures/lint-app.mjs", import.meta.url))
const everythingServer = join(root, "examples/everything/dist/server.js")
const lint = (args: ReadonlyArray<string>) => runCommand(Lint.command as Command.Command<string, never, unknown, unknown>, args)

let dir: string
let base: Manifest.Manifest
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "emcee-lint-"))
  if (!existsSync(everythingServer)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" })
  const ran = await runCommand(Manifest.command as Command.Command<string, never, unknown, unknown>, [fixture])
  base = Either.getOrThrow(Manifest.decode(ran.stdout))
}, 600_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
const write = (content: unknown): string => {
  const file = join(dir, `m${files++}.json`)
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content))
  return file
}
const withTools = (tools: ReadonlyArray<Manifest.ManifestTool>, rest: Partial<Manifest.Manifest> = {}): Manifest.Manifest => ({
  ...base,
  prompts: [],
  resources: [],
  resourceTemplates: [],
  ...rest,
  tools
})
const tool = (name: string, extra: Partial<Manifest.ManifestTool> = {}): Manifest.ManifestTool => ({
  name,
  description: "Does one safe thing",
  inputSchema: { type: "object", properties: {} },
  ...extra
})
type Json = { findings: ReadonlyArray<Lint.Finding>; summary: Lint.Summary }

describe("emcee lint", () => {
  it("finds the fixture's problems, each with rule, severity, primitive, path, message and fix", async () => {
    const ran = await lint([fixture, "--json"])
    expect(ran.code).toBe(ExitCode.lint)
    const { findings, summary } = JSON.parse(ran.stdout) as Json
    const keys = findings.map((f) => `${f.severity} ${f.rule} ${f.path}`)
    expect(keys).toEqual([
      // spec server/tools "Tool Names": a space and "!" are outside A-Z a-z 0-9 _ - .
      "error tool-name /tools/get weather!/name",
      "warning destructive-without-hint /tools/delete_file/annotations",
      "warning unconstrained-sensitive-input /tools/delete_file/inputSchema/properties/path",
      "info missing-description /resourceTemplates/notes:~1~1{id}",
      "info admin-without-auth /tools/grant_role",
      "info missing-description /tools/note",
      "info unbounded-string /tools/note/inputSchema/properties/text"
    ])
    for (const f of findings) {
      expect(Object.keys(f).sort()).toEqual(["fix", "message", "path", "primitive", "rule", "severity"])
      expect(f.fix.length).toBeGreaterThan(0)
    }
    expect(findings.find((f) => f.rule === "admin-without-auth")!.message).toContain("cannot see authentication middleware")
    expect(findings.find((f) => f.rule === "missing-description" && f.path.startsWith("/resourceTemplates"))!.primitive).toBe("resourceTemplate")
    expect(summary).toMatchObject({ error: 1, warning: 2, info: 4, total: 7, failOn: "error", failed: true, tools: 6, prompts: 1 })
    expect(summary.note).toBe(Lint.LIMITATIONS)
    // revoke_role declares scopes in _meta and destructiveHint: nothing to say; search's query is bounded.
    expect(keys.some((k) => k.includes("revoke_role") || k.includes("search"))).toBe(false)
  })

  it("prints a table for people, the summary line and what a static check cannot prove", async () => {
    const ran = await lint([fixture])
    expect(ran.code).toBe(ExitCode.lint)
    expect(ran.error!.message).toBe("1 finding at or above error (--fail-on error)")
    const lines = ran.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^SEVERITY\s+RULE\s+PATH\s+MESSAGE$/)
    expect(lines[1]).toMatch(/^error\s+tool-name\s+\/tools\/get weather!\/name\s+tool name "get weather!" contains " " "!"/)
    expect(lines[2]).toMatch(/^\s+fix: rename the tool/)
    expect(lines.at(-2)).toBe("1 error, 2 warnings, 4 info in 6 tools, 1 prompt, 1 resource, 1 resource template — failing (--fail-on error)")
    expect(lines.at(-1)).toBe(
      "Static checks read names, descriptions and schemas only; they cannot see authentication, rate limits or what a handler actually does."
    )
  })

  it("exits 6 only when a finding is at or above --fail-on", async () => {
    const noErrors = write(withTools(base.tools.filter((t) => t.name !== "get weather!")))
    expect((await lint(["--manifest", noErrors])).code).toBe(0)
    expect((await lint(["--manifest", noErrors, "--fail-on", "error"])).code).toBe(0)
    const warning = await lint(["--manifest", noErrors, "--fail-on", "warning"])
    expect(warning.code).toBe(ExitCode.lint)
    expect(warning.error!.message).toBe("2 findings at or above warning (--fail-on warning)")
    expect((await lint(["--manifest", noErrors, "--fail-on", "info"])).error!.message).toBe("5 findings at or above info (--fail-on info)")

    const infoOnly = write(withTools([tool("note", { inputSchema: { type: "object", properties: { text: { type: "string" } } } })]))
    expect((await lint(["--manifest", infoOnly, "--fail-on", "warning"])).code).toBe(0)
    expect((await lint(["--manifest", infoOnly, "--fail-on", "info"])).code).toBe(ExitCode.lint)

    const clean = await lint(["--manifest", write(withTools([tool("ok")]))])
    expect(clean.code).toBe(0)
    expect(clean.stdout).toContain("No findings.")
    expect(clean.stdout).toContain("0 errors, 0 warnings, 0 info in 1 tool")
  })

  it("checks tool names against the spec: 1-128 characters of A-Z a-z 0-9 _ - . (server/tools \"Tool Names\")", () => {
    const names = ["admin.tools.list", "DATA_EXPORT_v2", "a".repeat(128), "a".repeat(129), "a".repeat(65), "", "has,comma", "ünïcode"]
    const findings = Lint.lint(withTools(names.map((n) => tool(n))))
    const of = (name: string) => findings.filter((f) => f.path === `/tools/${name}/name`).map((f) => `${f.severity} ${f.rule}`)
    expect(of("admin.tools.list")).toEqual([])
    expect(of("DATA_EXPORT_v2")).toEqual([])
    expect(of("a".repeat(128))).toEqual(["info tool-name-length"])
    expect(of("a".repeat(65))).toEqual(["info tool-name-length"])
    expect(of("a".repeat(129))).toEqual(["error tool-name"])
    expect(findings.find((f) => f.path === `/tools/${"a".repeat(129)}/name`)!.message).toContain("129 characters long (at most 128)")
    expect(of("")).toEqual(["error tool-name"])
    expect(of("has,comma")).toEqual(["error tool-name"])
    expect(of("ünïcode")).toEqual(["error tool-name"])
  })

  it("reports duplicates, non-object input schemas, a large surface and missing descriptions", () => {
    const findings = Lint.lint(
      withTools(
        [
          tool("twice"),
          tool("twice"),
          tool("scalar", { inputSchema: { type: "string" } }),
          tool("bad_output", { outputSchema: { type: "array" } }),
          tool("silent", { description: "  " })
        ],
        {
          prompts: [{ name: "p" }, { name: "p", description: "x" }],
          resources: [{ uri: "a://x", name: "x", description: "d" }, { uri: "a://x", name: "y", description: "d" }]
        }
      ),
      { maxTools: 3 }
    )
    const keys = findings.map((f) => `${f.severity} ${f.rule} ${f.path}`)
    expect(keys).toContain("error duplicate-name /tools/twice")
    expect(keys).toContain("error duplicate-name /prompts/p")
    expect(keys).toContain("error duplicate-name /resources/a:~1~1x")
    expect(keys).toContain("error input-schema-not-object /tools/scalar/inputSchema")
    expect(keys).toContain("error input-schema-not-object /tools/bad_output/outputSchema")
    expect(keys).toContain("warning large-surface /tools")
    expect(keys).toContain("info missing-description /tools/silent")
    expect(keys).toContain("info missing-description /prompts/p")
    // Sorted: errors, then warnings, then info.
    const ranks = findings.map((f) => ["info", "warning", "error"].indexOf(f.severity))
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a))
  })

  it("--max-tools sets the large-surface threshold", async () => {
    const file = write(withTools([tool("a"), tool("b"), tool("c")]))
    expect((await lint(["--manifest", file, "--max-tools", "2", "--json"])).stdout).toContain("large-surface")
    expect((await lint(["--manifest", file, "--max-tools", "3", "--json"])).stdout).not.toContain("large-surface")
  })

  it("reads destructive words in names and descriptions, nested and union string inputs, and auth signals", () => {
    const findings = Lint.lint(withTools([
      tool("shutDownServer"),
      tool("cleanup", { description: "Wipes the cache and truncates logs" }),
      tool("list_deleted", { description: "Lists deleted items", annotations: { readOnlyHint: true } }),
      tool("delete_user", { annotations: { readOnlyHint: true } }),
      tool("dropTable", { annotations: { destructiveHint: false } }),
      tool("sudo_run", { annotations: { destructiveHint: true }, _meta: { "example.com/requiredScopes": ["ops"] } }),
      tool("fetch_page", {
        inputSchema: {
          type: "object",
          properties: {
            target: { type: "object", properties: { url: { anyOf: [{ type: "string" }, { type: "null" }] } } },
            sql: { type: "string", maxLength: 500 },
            paths: { type: "array", items: { type: "string" } },
            files: { type: "array", items: { $ref: "#/$defs/File" } }
          },
          $defs: { File: { type: "object", properties: { path: { type: "string", format: "uri-reference" }, note: { type: "string" } } } }
        }
      })
    ]))
    const keys = findings.map((f) => `${f.rule} ${f.path}`)
    expect(keys).toContain("destructive-without-hint /tools/shutDownServer/annotations")
    expect(keys).toContain("destructive-without-hint /tools/cleanup/annotations")
    expect(findings.find((f) => f.path === "/tools/cleanup/annotations")!.message).toContain("\"wipe\", \"truncate\"")
    expect(keys).toContain("destructive-without-hint /tools/dropTable/annotations")
    expect(findings.find((f) => f.path === "/tools/dropTable/annotations")!.message).toContain("destructiveHint: false")
    // A read-only tool is flagged only when its name starts with a destructive verb.
    expect(keys.filter((k) => k.includes("list_deleted"))).toEqual([])
    expect(findings.find((f) => f.path === "/tools/delete_user/annotations")!.message).toContain("readOnlyHint: true")
    expect(keys).toContain("admin-without-auth /tools/shutDownServer")
    expect(keys.filter((k) => k.includes("sudo_run"))).toEqual([])
    expect(keys).toContain("unconstrained-sensitive-input /tools/fetch_page/inputSchema/properties/target/properties/url")
    expect(keys).toContain("unbounded-string /tools/fetch_page/inputSchema/properties/files/items/properties/note")
    expect(keys).toContain("unconstrained-sensitive-input /tools/fetch_page/inputSchema/properties/paths/items")
    expect(keys.filter((k) => k.endsWith("/properties/sql") || k.endsWith("/items/properties/path"))).toEqual([])
    expect(words("shutDownServer")).toEqual(["shut", "down", "server"])
    expect(words("HTTPRequest_id")).toEqual(["http", "request", "id"])
  })

  it("lints the everything example without crashing, the exit code agreeing with the summary", async () => {
    const ran = await lint([everythingServer, "--json", "--protocol", "2025-11-25"])
    const { findings, summary } = JSON.parse(ran.stdout) as Json
    expect(summary.tools).toBeGreaterThan(10)
    expect(summary.total).toBe(findings.length)
    expect(ran.code).toBe(summary.error > 0 ? ExitCode.lint : 0)
    expect(findings.every((f) => f.path.startsWith("/"))).toBe(true)
  }, 60_000)

  describe("a manifest file that cannot be used is one line naming the file (exit 1)", () => {
    it("a broken manifest names the file and the path in it", async () => {
      const { tools: [first, ...others] } = base
      const { name: _name, ...nameless } = first!
      const file = write({ ...base, tools: [nameless, ...others] })
      const ran = await lint(["--manifest", file])
      expect(ran.code).toBe(ExitCode.user)
      expect(ran.error!.message).toContain(`${file}: tools[0].name: is missing`)
      expect(ran.error!.message).not.toContain("\n")
    })

    it("a wrong manifestVersion and a manifest that is not JSON", async () => {
      const wrong = await lint(["--manifest", write({ ...base, manifestVersion: 2 })])
      expect(wrong.error!.message).toMatch(/manifestVersion: Expected 1, actual 2/)
      const notJson = await lint(["--manifest", write("{ nope")])
      expect(notJson.code).toBe(ExitCode.user)
      expect(notJson.error!.message).toContain("is not JSON")
    })

    it("a missing file", async () => {
      const ran = await lint(["--manifest", join(dir, "absent.json")])
      expect(ran.code).toBe(ExitCode.user)
      expect(ran.error!.message).toContain("absent.json: no such file")
    })

    it("--manifest with another source", async () => {
      const ran = await lint(["--manifest", write(base), fixture])
      expect(ran.code).toBe(ExitCode.user)
      expect(ran.error!.message).toContain("more than one server given")
    })
  })
})
