/**
 * `emcee manifest`: a real app module built in-process (the lint fixture, with
 * pages of 2 so every list is paginated, spec server/utilities/pagination), the
 * everything example as a module and as a stdio command, written to a file
 * and read back through the schema.
 */
import { Command } from "@effect/cli"
import { Either } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ExitCode } from "../src/CliError.js"
import * as Manifest from "../src/Manifest.js"
import { runCommand } from "./fixtures/manifest-run.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const fixture = fileURLToPath(new URL("./fixtures/lint-app.mjs", import.meta.url))
const failingApp = fileURLToPath(new URL("./fixtures/failing-app.mjs", import.meta.url))
const everythingServer = join(root, "examples/everything/dist/server.js")
const everythingMain = join(root, "examples/everything/dist/main.js")
const manifest = (args: ReadonlyArray<string>) => runCommand(Manifest.command as Command.Command<string, never, unknown, unknown>, args)

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "emcee-manifest-"))
  if (!existsSync(everythingServer)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" })
}, 600_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const parse = (text: string): Manifest.Manifest => {
  const decoded = Manifest.decode(text)
  if (Either.isLeft(decoded)) throw new Error(decoded.left)
  return decoded.right
}

describe("emcee manifest", () => {
  it("lists every page of an app module's tools, prompts, resources and templates, sorted by name", async () => {
    const out = join(dir, "fixture.json")
    const ran = await manifest([fixture, "--out", out])
    expect(ran.code).toBe(0)
    expect(ran.stdout).toBe("")
    const m = parse(readFileSync(out, "utf8"))
    expect(m.manifestVersion).toBe(1)
    expect(m.generator).toEqual({ name: "emcee", version: Manifest.GENERATOR_VERSION })
    expect(m.serverInfo).toMatchObject({ name: "lint-fixture", version: "1.2.3" })
    expect(m.instructions).toBe("Use search before note.")
    expect(m.capabilities.tools).toBeDefined()
    // 6 tools in pages of 2: the manifest followed nextCursor to the end.
    expect(m.tools.map((t) => t.name)).toEqual(["delete_file", "get weather!", "grant_role", "note", "revoke_role", "search"])
    const search = m.tools.find((t) => t.name === "search")!
    expect(search.annotations).toEqual({ readOnlyHint: true })
    expect(search.outputSchema).toMatchObject({ type: "object", properties: { hits: { type: "array" } } })
    expect(m.tools.find((t) => t.name === "revoke_role")!._meta).toEqual({ scopes: ["admin"] })
    expect(m.prompts).toEqual([
      {
        name: "summarize",
        description: "Summarize a document",
        arguments: [{ name: "topic", required: true }, { name: "style", required: false }]
      }
    ])
    expect(m.resources.map((r) => r.uri)).toEqual(["docs://readme"])
    expect(m.resourceTemplates.map((t) => t.uriTemplate)).toEqual(["notes://{id}"])
    expect(Date.parse(m.generatedAt)).not.toBeNaN()
  })

  it("prints to stdout without --out, and round-trips through the schema", async () => {
    const ran = await manifest([fixture])
    expect(ran.code).toBe(0)
    const m = parse(ran.stdout)
    expect(Manifest.encode(m)).toBe(ran.stdout)
    expect(parse(Manifest.encode(m))).toEqual(m)
  })

  it("is reproducible with SOURCE_DATE_EPOCH", async () => {
    process.env["SOURCE_DATE_EPOCH"] = "1700000000"
    try {
      const [a, b] = [await manifest([fixture]), await manifest([fixture])]
      expect(a.stdout).toBe(b.stdout)
      expect(parse(a.stdout).generatedAt).toBe("2023-11-14T22:13:20.000Z")
    } finally {
      delete process.env["SOURCE_DATE_EPOCH"]
    }
  })

  it("speaks the revision asked for with --protocol (auto picks 2026-07-28 from an emcee server)", async () => {
    expect(parse((await manifest([fixture])).stdout).protocolVersion).toBe("2026-07-28")
    expect(parse((await manifest([fixture, "--protocol", "2025-11-25"])).stdout).protocolVersion).toBe("2025-11-25")
  })

  it("describes the everything example from its module and from its stdio command alike", async () => {
    const fromModule = parse((await manifest([everythingServer, "--protocol", "2025-11-25"])).stdout)
    expect(fromModule.serverInfo.name).toBe("emcee-everything")
    expect(fromModule.tools.length).toBeGreaterThan(10)
    expect(fromModule.tools.map((t) => t.name)).toEqual([...fromModule.tools.map((t) => t.name)].sort())
    expect(fromModule.resourceTemplates.map((t) => t.uriTemplate)).toContain("test://template/{id}/data")
    expect(fromModule.prompts.length).toBeGreaterThan(0)

    const fromCommand = await manifest(["--protocol", "2025-11-25", "--", "node", everythingMain])
    expect(fromCommand.code).toBe(0)
    const m = parse(fromCommand.stdout)
    expect(m.tools.map((t) => t.name)).toEqual(fromModule.tools.map((t) => t.name))
    expect(m.serverInfo).toEqual(fromModule.serverInfo)
  }, 60_000)

  describe("errors are one line with a distinct exit code", () => {
    it("no server given", async () => {
      const ran = await manifest([])
      expect(ran.code).toBe(ExitCode.user)
      expect(ran.error!.message).toContain("no server given")
      expect(ran.error!.message).not.toContain("\n")
    })

    it("a module that does not exist, naming it", async () => {
      const ran = await manifest([join(dir, "nope.mjs")])
      expect(ran.code).toBe(ExitCode.user)
      expect(ran.error!.message).toContain("nope.mjs does not exist")
    })

    it("a folder that is no server, saying what to give instead", async () => {
      const ran = await manifest([dir])
      expect(ran.code).toBe(ExitCode.user)
      expect(ran.error!.message).toContain(`${dir} has no tools/, prompts/ or resources/ folder`)
    })

    it("a folder server (tools/ by convention) is built like emcee serve builds it", async () => {
      const folder = mkdtempSync(join(tmpdir(), "emcee-manifest-folder-"))
      try {
        symlinkSync(join(root, "node_modules"), join(folder, "node_modules"), "dir")
        writeFileSync(join(folder, "package.json"), JSON.stringify({ name: "folder-demo", version: "1.0.0", type: "module" }))
        mkdirSync(join(folder, "tools"))
        writeFileSync(
          join(folder, "tools", "hello.mjs"),
          `import { Effect, Schema } from "effect"\nimport { Tool } from "@emcee/core"\nexport const hello = Tool.make("hello", { description: "Says hello", input: Schema.Struct({ name: Schema.String }), handler: ({ name }) => Effect.succeed("hello " + name) })\n`
        )
        const ran = await manifest([folder])
        expect(ran.code).toBe(0)
        const document = JSON.parse(ran.stdout) as { serverInfo: { name: string }; tools: Array<{ name: string }> }
        expect(document.serverInfo.name).toBe("folder-demo")
        expect(document.tools.map((t) => t.name)).toEqual(["hello"])
      } finally {
        rmSync(folder, { recursive: true, force: true })
      }
    })

    it("an app that fails to start, naming the file", async () => {
      const ran = await manifest([failingApp])
      expect(ran.code).toBe(ExitCode.user)
      expect(ran.error!.message).toContain("failing-app.mjs failed to start")
      expect(ran.error!.message).toContain("no database")
    })

    it("an unreachable URL exits 3", async () => {
      const ran = await manifest(["--url", "http://127.0.0.1:9/mcp"])
      expect(ran.code).toBe(ExitCode.connection)
      expect(ran.error!.message).toContain("cannot reach http://127.0.0.1:9/mcp")
    })

    it("a command that cannot start exits 3", async () => {
      const ran = await manifest(["--", "emcee-no-such-binary-xyz"])
      expect(ran.code).toBe(ExitCode.connection)
      expect(ran.error!.message).toContain("emcee-no-such-binary-xyz")
    })

    it("a URL that is not http(s), and --url with a module", async () => {
      expect((await manifest(["--url", "ftp://x"])).error!.message).toContain("--url ftp://x is not an http(s) URL")
      expect((await manifest(["--url", "http://127.0.0.1:9/mcp", fixture])).error!.message).toContain("more than one server given")
    })

    it("--out in a folder that does not exist names the flag", async () => {
      const ran = await manifest([fixture, "--out", join(dir, "missing", "m.json")])
      expect(ran.code).toBe(ExitCode.user)
      expect(ran.error!.message).toContain("--out")
    })
  })
})
