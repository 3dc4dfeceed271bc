/**
 * `emcee install`: real files in a temporary HOME and project folder, each
 * client's documented shape (see the sources cited in
 * src/internal/installClients.ts), the merge that keeps everything else, the
 * refusals (a different server without --force, a broken file, bad flags) and
 * dry runs. The command runs in-process with its output captured.
 */
import { Command } from "@effect/cli"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import * as Install from "../src/Install.js"
import { unifiedDiff } from "../src/internal/diff.js"
import { detectIndent, jsonEqual, parse, setMember } from "../src/internal/installJson.js"
import fc from "fast-check"
import { runner } from "./support/runCommand.js"

let root: string
let home: string
let project: string
let server: string
const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, cwd: process.cwd() }

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "emcee-install-")))
  home = path.join(root, "home")
  project = path.join(root, "project")
  server = path.join(root, "notes")
  for (const dir of [home, project, server]) fs.mkdirSync(dir)
  fs.writeFileSync(path.join(server, "package.json"), JSON.stringify({ name: "@acme/notes-server", version: "1.0.0" }))
  process.env.HOME = home
  delete process.env.XDG_CONFIG_HOME
})

afterEach(() => {
  process.env.HOME = saved.HOME
  if (saved.XDG_CONFIG_HOME === undefined) delete process.env.XDG_CONFIG_HOME
  else process.env.XDG_CONFIG_HOME = saved.XDG_CONFIG_HOME
  fs.rmSync(root, { recursive: true, force: true })
})

/** Runs `emcee install ...args` in-process as bin.ts does: stdout, stderr and the exit code. */
const emcee = runner(Command.make("emcee").pipe(Command.withSubcommands([Install.command])), "install")

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, Record<string, unknown>>>
const bin = Install.defaultEmceeBin()
const stdio = (target: string) => ({ command: process.execPath, args: [bin, "serve", target] })

describe("emcee install: each client's documented format", () => {
  const cases = [
    { client: "claude-desktop", user: ".config/Claude/claude_desktop_config.json", key: "mcpServers", extra: {} },
    { client: "claude-code", project: ".mcp.json", user: ".claude.json", key: "mcpServers", extra: { type: "stdio" } },
    { client: "vscode", project: ".vscode/mcp.json", user: ".config/Code/User/mcp.json", key: "servers", extra: { type: "stdio" } },
    { client: "cursor", project: ".cursor/mcp.json", user: ".cursor/mcp.json", key: "mcpServers", extra: {} },
    { client: "gemini", project: ".gemini/settings.json", user: ".gemini/settings.json", key: "mcpServers", extra: {} },
    { client: "mcp-json", project: "mcp.json", key: "mcpServers", extra: {} }
  ] as const

  for (const c of cases) {
    if ("project" in c) {
      it(`${c.client}: project scope writes ${c.project} in the working directory`, async () => {
        const result = await Effect.runPromise(Install.install({ client: c.client, path: server, cwd: project, platform: "linux", environment: { HOME: home } }))
        const file = path.join(project, c.project)
        expect(result.file).toBe(file)
        expect(result.outcome).toBe("created")
        expect(readJson(file)).toEqual({ [c.key]: { "notes-server": { ...c.extra, ...stdio(server) } } })
        expect(fs.readFileSync(file, "utf8")).toMatch(/^\{\n {2}"/)
        expect(fs.readFileSync(file, "utf8").endsWith("}\n")).toBe(true)
      })
    }
    if ("user" in c) {
      it(`${c.client}: user scope writes ~/${c.user} under HOME (from the environment, through the command)`, async () => {
        const { code, stdout, stderr } = await emcee(c.client, "--scope", "user", server)
        expect(code, stderr).toBe(0)
        const file = path.join(home, c.user)
        expect(stdout).toContain(`Installed "notes-server"`)
        expect(stdout).toContain(file)
        expect(readJson(file)).toEqual({ [c.key]: { "notes-server": { ...c.extra, ...stdio(server) } } })
      })
    }
  }

  it("computes Windows and macOS locations from APPDATA, USERPROFILE and HOME", () => {
    const windows = Install.listClients({ cwd: "C:\\work", env: { USERPROFILE: "C:\\Users\\ada", APPDATA: "C:\\Users\\ada\\AppData\\Roaming" }, platform: "win32" })
    expect(windows.find((r) => r.client === "claude-desktop")?.file).toBe("C:\\Users\\ada\\AppData\\Roaming\\Claude\\claude_desktop_config.json")
    expect(windows.find((r) => r.client === "claude-code" && r.scope === "user")?.file).toBe("C:\\Users\\ada\\.claude.json")
    expect(windows.find((r) => r.client === "vscode" && r.scope === "project")?.file).toBe("C:\\work\\.vscode\\mcp.json")
    const mac = Install.listClients({ cwd: "/w", env: { HOME: "/Users/ada" }, platform: "darwin" })
    expect(mac.find((r) => r.client === "claude-desktop")?.file).toBe("/Users/ada/Library/Application Support/Claude/claude_desktop_config.json")
    expect(mac.find((r) => r.client === "vscode" && r.scope === "user")?.file).toBe("/Users/ada/Library/Application Support/Code/User/mcp.json")
  })

  it("--http writes each client's remote entry; Claude Desktop's file cannot hold one", async () => {
    const url = "https://mcp.example.com/mcp"
    const shapes = {
      "claude-code": { type: "http", url },
      vscode: { type: "http", url },
      cursor: { url },
      gemini: { httpUrl: url },
      "mcp-json": { type: "http", url }
    } as const
    for (const [client, entry] of Object.entries(shapes)) {
      const file = path.join(root, `${client}.json`)
      const { code, stderr } = await emcee(client, "--http", url, "--name", "remote", "--config-file", file)
      expect(code, stderr).toBe(0)
      expect(Object.values(readJson(file))[0]).toEqual({ remote: entry })
    }
    const refused = await emcee("claude-desktop", "--http", url, "--config-file", path.join(root, "desktop.json"))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("Settings > Connectors")
    expect(fs.existsSync(path.join(root, "desktop.json"))).toBe(false)
    const bad = await emcee("cursor", "--http", "ftp://x", "--config-file", path.join(root, "c.json"))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("--http")
  })

  it("lists the clients and their files on this machine (--list-clients, or no arguments)", async () => {
    for (const args of [["--list-clients"], []]) {
      const { code, stdout } = await emcee(...args)
      expect(code).toBe(0)
      for (const id of ["claude-desktop", "claude-code", "vscode", "cursor", "gemini", "mcp-json"]) expect(stdout).toContain(id)
      expect(stdout).toContain(path.join(home, ".claude.json"))
    }
  })
})

describe("emcee install: paths and flags", () => {
  it("writes absolute paths: the node binary, emcee's bin.js and the served path, even when given relative", async () => {
    process.chdir(root)
    try {
      const file = path.join(root, "mcp.json")
      const { code, stderr } = await emcee("mcp-json", "--file", "mcp.json", "notes")
      expect(code, stderr).toBe(0)
      const entry = readJson(file).mcpServers!["notes-server"]!
      expect(entry.command).toBe(process.execPath)
      const args = entry.args as Array<string>
      expect(args.every((a) => a === "serve" || path.isAbsolute(a))).toBe(true)
      expect(args).toEqual([bin, "serve", server])
      expect(bin).toBe(fileURLToPath(new URL("../dist/bin.js", import.meta.url)))
    } finally {
      process.chdir(saved.cwd)
    }
  })

  it("--env KEY=VALUE (repeatable; the value may hold '=') fills env; a malformed one is refused naming --env", async () => {
    const file = path.join(root, "mcp.json")
    const ok = await emcee("mcp-json", "--file", file, "--env", "API_KEY=s3cret", "--env", "QUERY=a=b", server)
    expect(ok.code, ok.stderr).toBe(0)
    expect(readJson(file).mcpServers!["notes-server"]!.env).toEqual({ API_KEY: "s3cret", QUERY: "a=b" })
    for (const bad of ["NOEQUALS", "1BAD=x", "=x"]) {
      const { code, stderr } = await emcee("mcp-json", "--file", path.join(root, "other.json"), "--env", bad, server)
      expect(code).toBe(1)
      expect(stderr.split("\n")).toHaveLength(1)
      expect(stderr).toContain("--env")
      expect(stderr).toContain(JSON.stringify(bad))
    }
    expect(fs.existsSync(path.join(root, "other.json"))).toBe(false)
  })

  it("--name sets the name; an invalid one is refused naming --name", async () => {
    const file = path.join(root, "mcp.json")
    expect((await emcee("mcp-json", "--file", file, "--name", "my_notes-2", server)).code).toBe(0)
    expect(Object.keys(readJson(file).mcpServers!)).toEqual(["my_notes-2"])
    for (const bad of ["my notes", "a/b", "ü", "x".repeat(65)]) {
      const { code, stderr } = await emcee("mcp-json", "--file", file, "--name", bad, server)
      expect(code).toBe(1)
      expect(stderr).toContain("--name")
      expect(stderr.split("\n")).toHaveLength(1)
    }
  })

  it("defaults the name to the folder name when there is no package.json", async () => {
    const plain = path.join(root, "Plain Folder")
    fs.mkdirSync(plain)
    const result = await Effect.runPromise(Install.install({ client: "mcp-json", path: plain, cwd: root, dryRun: true }))
    expect(result.name).toBe("Plain-Folder")
  })

  it("refuses a path that does not exist, naming it", async () => {
    const { code, stderr } = await emcee("mcp-json", "--file", path.join(root, "mcp.json"), path.join(root, "nope"))
    expect(code).toBe(1)
    expect(stderr).toContain(path.join(root, "nope"))
    expect(stderr.split("\n")).toHaveLength(1)
    expect(fs.existsSync(path.join(root, "mcp.json"))).toBe(false)
  })

  it("refuses an unknown client and a scope the client does not have", async () => {
    const unknown = await emcee("notepad", server)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain(`unknown client "notepad"`)
    const scope = await emcee("claude-desktop", "--scope", "project", server)
    expect(scope.code).toBe(1)
    expect(scope.stderr).toContain("--scope")
  })

  it("refuses an --emcee-bin that does not exist, and writes one that does", async () => {
    const file = path.join(root, "mcp.json")
    const missing = await emcee("mcp-json", "--file", file, "--emcee-bin", "nope.js", server)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("--emcee-bin")
    const custom = path.join(root, "bin.js")
    fs.writeFileSync(custom, "")
    expect((await emcee("mcp-json", "--file", file, "--emcee-bin", custom, server)).code).toBe(0)
    expect(readJson(file).mcpServers!["notes-server"]!.args).toEqual([custom, "serve", server])
  })
})

describe("emcee install: editing an existing file", () => {
  const existing = [
    "{",
    '    "globalShortcut": "Ctrl+Space",',
    '    "mcpServers": {',
    '        "files": {',
    '            "command": "npx",',
    '            "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]',
    "        }",
    "    },",
    '    "theme": "dark"',
    "}",
    ""
  ].join("\n")

  it("adds the server and keeps every other key, server, order and formatting", async () => {
    const file = path.join(root, "claude_desktop_config.json")
    fs.writeFileSync(file, existing)
    const { code, stdout } = await emcee("claude-desktop", "--config-file", file, server)
    expect(code).toBe(0)
    expect(stdout).toContain("Restart Claude Desktop")
    const text = fs.readFileSync(file, "utf8")
    const json = readJson(file)
    expect(json.globalShortcut).toBe("Ctrl+Space")
    expect(json.theme).toBe("dark")
    expect(Object.keys(json.mcpServers!)).toEqual(["files", "notes-server"])
    expect(json.mcpServers!["notes-server"]).toEqual(stdio(server))
    // Only lines were added (plus a comma after the previous server); the rest is byte for byte.
    const lines = text.split("\n")
    expect(lines.slice(0, 6)).toEqual(existing.split("\n").slice(0, 6))
    expect(lines).toContain('        "notes-server": {')
    expect(lines).toContain('            "command": ' + JSON.stringify(process.execPath) + ",")
    expect(text.endsWith('    "theme": "dark"\n}\n')).toBe(true)
  })

  it("adds the container when the file has none, and keeps VS Code's comments", async () => {
    const file = path.join(root, "mcp.json")
    fs.writeFileSync(file, '{\n  // my inputs\n  "inputs": [],\n}\n')
    const { code, stderr } = await emcee("vscode", "--config-file", file, server)
    expect(code, stderr).toBe(0)
    const text = fs.readFileSync(file, "utf8")
    expect(text).toContain("// my inputs")
    expect(text).toContain('  "servers": {\n    "notes-server": {\n      "type": "stdio",')
  })

  it("refuses a different server of the same name without --force, naming --force, and leaves the file untouched", async () => {
    const file = path.join(root, "mcp.json")
    fs.writeFileSync(file, existing)
    const { code, stderr } = await emcee("mcp-json", "--file", file, "--name", "files", server)
    expect(code).toBe(1)
    expect(stderr.split("\n")).toHaveLength(1)
    expect(stderr).toContain("--force")
    expect(stderr).toContain(file)
    expect(fs.readFileSync(file, "utf8")).toBe(existing)
  })

  it("--force replaces it, keeping the rest", async () => {
    const file = path.join(root, "mcp.json")
    fs.writeFileSync(file, existing)
    const { code, stdout } = await emcee("mcp-json", "--file", file, "--name", "files", "--force", server)
    expect(code).toBe(0)
    expect(stdout).toContain(`Replaced "files"`)
    const json = readJson(file)
    expect(json.mcpServers).toEqual({ files: stdio(server) })
    expect(json.theme).toBe("dark")
  })

  it("an identical entry is 'already installed': exit 0, the file not rewritten", async () => {
    const file = path.join(root, "mcp.json")
    expect((await emcee("mcp-json", "--file", file, server)).code).toBe(0)
    const before = fs.statSync(file)
    const text = fs.readFileSync(file, "utf8")
    const { code, stdout } = await emcee("mcp-json", "--file", file, server)
    expect(code).toBe(0)
    expect(stdout).toContain("already installed")
    expect(fs.readFileSync(file, "utf8")).toBe(text)
    expect(fs.statSync(file).ino).toBe(before.ino)
  })

  it("--dry-run prints a unified diff with context and writes nothing", async () => {
    const file = path.join(root, "mcp.json")
    fs.writeFileSync(file, existing)
    const { code, stdout } = await emcee("mcp-json", "--file", file, "--dry-run", "--env", "A=1", server)
    expect(code).toBe(0)
    expect(fs.readFileSync(file, "utf8")).toBe(existing)
    // Three lines of context around the change, nothing else of the file.
    expect(stdout).toContain(`--- ${file}\n+++ ${file}\n@@ -4,6 +4,17 @@\n         "files": {\n`)
    expect(stdout).toContain('+        },\n')
    expect(stdout).toContain('+        "notes-server": {')
    expect(stdout).toContain('+                "A": "1"')
    expect(stdout).not.toContain("globalShortcut") // outside the context
    expect(stdout).toContain("nothing written")
    const created = await emcee("mcp-json", "--file", path.join(root, "new", "mcp.json"), "--dry-run", server)
    expect(created.stdout).toContain("--- /dev/null")
    expect(fs.existsSync(path.join(root, "new"))).toBe(false)
  })

  it("refuses a file that is not valid JSON, naming it and the position, and leaves it untouched", async () => {
    const file = path.join(root, "claude_desktop_config.json")
    const broken = '{\n  "mcpServers": {\n    "a": { "command": "x" },\n  }\n}\n'
    fs.writeFileSync(file, broken)
    const { code, stderr } = await emcee("claude-desktop", "--config-file", file, server)
    expect(code).toBe(1)
    expect(stderr.split("\n")).toHaveLength(1)
    expect(stderr).toContain(`${file} is not valid JSON`)
    expect(stderr).toContain("line 4, column 3")
    expect(fs.readFileSync(file, "utf8")).toBe(broken)
    fs.writeFileSync(file, "[1, 2]\n")
    expect((await emcee("claude-desktop", "--config-file", file, server)).stderr).toContain("not a JSON object")
    fs.writeFileSync(file, '{"mcpServers": []}')
    expect((await emcee("claude-desktop", "--config-file", file, server)).stderr).toContain(`"mcpServers" is not a JSON object`)
    expect(fs.readFileSync(file, "utf8")).toBe('{"mcpServers": []}')
  })

  it("keeps a one-line file on one line, CRLF line endings, and an empty file becomes a fresh one", async () => {
    const file = path.join(root, "mcp.json")
    fs.writeFileSync(file, '{"mcpServers": {"a": {"command": "x"}}}')
    expect((await emcee("mcp-json", "--file", file, server)).code).toBe(0)
    expect(fs.readFileSync(file, "utf8")).toBe(`{"mcpServers": {"a": {"command": "x"}, "notes-server": ${JSON.stringify(stdio(server))}}}`)
    fs.writeFileSync(file, '{\r\n  "mcpServers": {\r\n    "a": {"command": "x"}\r\n  }\r\n}\r\n')
    expect((await emcee("mcp-json", "--file", file, server)).code).toBe(0)
    expect(fs.readFileSync(file, "utf8").replaceAll("\r\n", "")).not.toContain("\n")
    fs.writeFileSync(file, "\n")
    expect((await emcee("mcp-json", "--file", file, server)).code).toBe(0)
    expect(readJson(file)).toEqual({ mcpServers: { "notes-server": stdio(server) } })
  })

  it("writes through a symlink and keeps the file's permissions", async () => {
    const real = path.join(root, "dotfiles", "claude.json")
    fs.mkdirSync(path.dirname(real))
    fs.writeFileSync(real, '{\n  "numStartups": 3\n}\n', { mode: 0o600 })
    fs.symlinkSync(real, path.join(home, ".claude.json"))
    const { code, stderr } = await emcee("claude-code", "--scope", "user", server)
    expect(code, stderr).toBe(0)
    expect(fs.lstatSync(path.join(home, ".claude.json")).isSymbolicLink()).toBe(true)
    expect(readJson(real).numStartups).toBe(3)
    expect(readJson(real).mcpServers).toEqual({ "notes-server": { type: "stdio", ...stdio(server) } })
    expect(fs.statSync(real).mode & 0o777).toBe(0o600)
    expect(fs.readdirSync(path.dirname(real))).toEqual(["claude.json"]) // no temporary file left behind
  })
})

describe("the in-place JSON edit", () => {
  it("reads what JSON.parse reads, and setting a member yields exactly the expected document, whatever the formatting", () => {
    const key = fc.string({ maxLength: 6 }).filter((k) => k !== "__proto__")
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.jsonValue({ maxDepth: 3 })),
        fc.constantFrom<number | string>(0, 2, 4, "\t"),
        key,
        fc.jsonValue({ maxDepth: 2 }),
        (doc, indent, name, value) => {
          const text = JSON.stringify(doc, null, indent)
          const node = parse(text, { jsonc: false })
          expect(jsonEqual(node.value, JSON.parse(text))).toBe(true)
          if (node.kind !== "object") throw new Error("not an object")
          const after = setMember(text, node, name, value, { indent: detectIndent(text), eol: "\n" })
          const expected = JSON.parse(text) as Record<string, unknown>
          Object.defineProperty(expected, name, { value: JSON.parse(JSON.stringify(value)), enumerable: true, writable: true, configurable: true })
          expect(jsonEqual(JSON.parse(after), expected)).toBe(true)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("reports the line and column of a syntax error, and accepts comments and trailing commas only as JSONC", () => {
    expect(() => parse('{\n  "a": 1,\n  "b" 2\n}', { jsonc: false })).toThrow("line 3, column 7")
    expect(() => parse('{"a": 1} x', { jsonc: false })).toThrow("line 1, column 10")
    expect(() => parse('{"a": [1,]}', { jsonc: false })).toThrow()
    expect(parse('{"a": [1,], /* c */ "b": 2, // d\n}', { jsonc: true }).value).toEqual({ a: [1], b: 2 })
  })
})

describe("unifiedDiff", () => {
  it("is empty for equal texts and numbers hunks like diff -u", () => {
    expect(unifiedDiff("a\nb\n", "a\nb\n", { fromLabel: "x", toLabel: "x" })).toBe("")
    const before = Array.from({ length: 20 }, (_, i) => `l${i + 1}`).join("\n") + "\n"
    const after = before.replace("l10\n", "l10\nnew\n").replace("l2\n", "")
    expect(unifiedDiff(before, after, { fromLabel: "a", toLabel: "b" })).toBe(
      ["--- a", "+++ b", "@@ -1,5 +1,4 @@", " l1", "-l2", " l3", " l4", " l5", "@@ -8,6 +7,7 @@", " l8", " l9", " l10", "+new", " l11", " l12", " l13", ""].join("\n")
    )
    expect(unifiedDiff("", "x\n", { fromLabel: "/dev/null", toLabel: "f" })).toBe("--- /dev/null\n+++ f\n@@ -0,0 +1,1 @@\n+x\n")
  })
})

// The written entry starts the server from anywhere: another working directory and no PATH (the
// `spawn node ENOENT` that relative entries cause). Needs `npm run build` (dist/bin.js and the example).
const everything = fileURLToPath(new URL("../../../examples/everything/dist/server.js", import.meta.url))
describe.runIf(fs.existsSync(bin) && fs.existsSync(everything))("emcee install: the entry runs", () => {
  it("a client started with the written command and args, from another folder and without PATH, answers initialize", async () => {
    const file = path.join(root, "mcp.json")
    expect((await emcee("mcp-json", "--file", file, "--name", "everything", everything)).code).toBe(0)
    const entry = readJson(file).mcpServers!.everything! as { command: string; args: Array<string> }
    const child = spawn(entry.command, entry.args, { cwd: os.tmpdir(), env: {}, stdio: ["pipe", "pipe", "pipe"] })
    const answer = await new Promise<string>((resolve, reject) => {
      let out = ""
      const timer = setTimeout(() => reject(new Error("no answer")), 20_000)
      child.on("error", reject)
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes("\n")) {
          clearTimeout(timer)
          resolve(out.split("\n")[0]!)
        }
      })
      // MCP 2025-11-25 basic/lifecycle: the client opens with initialize.
      child.stdin.write(JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "install-test", version: "1.0.0" } }
      }) + "\n")
    }).finally(() => child.kill())
    expect(JSON.parse(answer)).toMatchObject({ id: 1, result: { protocolVersion: "2025-11-25" } })
  }, 30_000)
})

describe("emcee install --help", () => {
  it("shows examples", async () => {
    const { code, stdout } = await emcee("--help")
    expect(code).toBe(0)
    expect(stdout).toContain("Examples:")
    expect(stdout).toContain("emcee install claude-desktop")
    expect(stdout).toContain("--dry-run")
  })
})
