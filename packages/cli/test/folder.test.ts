/**
 * Folder servers (`Folder`, `emcee serve <folder>`): real temp folders with
 * tools/, prompts/ and resources/, served to a real `McpClient` in memory
 * under both protocol revisions (spec 2025-11-25 server/tools, server/prompts,
 * server/resources; 2026-07-28 the same, without the handshake), and over
 * stdio by the built binary (where TypeScript goes through tsx).
 */
import { McpClient, type McpServer } from "@emcee/core"
import { HttpClientTransport, MemoryTransport } from "@emcee/transport"
import { Effect, Exit, type Layer } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { CliError } from "../src/CliError.js"
import * as Folder from "../src/Folder.js"
import * as Serve from "../src/Serve.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = path.join(root, "packages/cli/dist/bin.js")

const made: Array<string> = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

/** A project folder as `emcee init` makes one: package.json of type module, node_modules with @emcee/core and effect. */
const project = (files: Record<string, string>, pkg: Record<string, unknown> = { name: "folder-demo", version: "1.2.3", type: "module" }): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-folder-"))
  made.push(dir)
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir")
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg))
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), text)
  }
  return dir
}

const echoTs = `import { Effect, Schema } from "effect"
import { Tool } from "@emcee/core"
import { shout } from "./_shout.js"

export default Tool.make("echo", {
  description: "Echoes its input, loudly",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }: { readonly text: string }) => Effect.succeed(shout(text))
})
`
const shoutTs = `export const shout = (text: string): string => text.toUpperCase()\n`
const addJs = `import { Effect, Schema } from "effect"
import { Tool } from "@emcee/core"

export const add = Tool.make("add", {
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(String(a + b))
})
export const notATool = 42
`
const greetTs = `import { Effect, Schema } from "effect"
import { Prompt } from "@emcee/core"

export const greet = Prompt.make({
  name: "greet",
  args: Schema.Struct({ who: Schema.String }),
  render: ({ who }: { readonly who: string }) => Effect.succeed([Prompt.user(\`Say hello to \${who}\`)])
})
`
const docsMjs = `import { Effect, Schema } from "effect"
import { Resource, ResourceTemplate } from "@emcee/core"

export const readme = Resource.make({ uri: "docs://readme", name: "readme", read: () => Effect.succeed(Resource.text("# Hello")) })
export const page = ResourceTemplate.make({
  uriTemplate: "docs://pages/{name}",
  name: "page",
  params: Schema.Struct({ name: Schema.String }),
  read: ({ name }) => Effect.succeed(Resource.text("page " + name))
})
`

const standard = {
  "tools/echo.ts": echoTs,
  "tools/_shout.ts": shoutTs,
  "tools/math/add.js": addJs,
  // Skipped: a test (importing it would throw), a README, a declaration, a dot-file.
  "tools/echo.test.ts": `throw new Error("a test file was imported")\n`,
  "tools/math/add.spec.js": `throw new Error("a spec file was imported")\n`,
  "tools/README.md": "# Tools\n",
  "tools/types.d.ts": "export type X = string\n",
  "tools/.hidden.ts": `throw new Error("a dot-file was imported")\n`,
  "tools/constants.ts": "export const limit = 10\n",
  "prompts/greet.ts": greetTs,
  "resources/docs.mjs": docsMjs
}

const withClient = <A>(
  app: Layer.Layer<McpServer.McpServer>,
  protocolVersion: string,
  use: (client: McpClient.McpClient) => Effect.Effect<A, unknown>
) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const transport = yield* MemoryTransport.make()
      const client = yield* McpClient.make({ transport, clientInfo: { name: "folder-test", version: "1.0.0" }, protocolVersion })
      return yield* use(client)
    }).pipe(Effect.scoped, Effect.provide(app))
  )

const failure = async (effect: Effect.Effect<unknown, CliError>): Promise<CliError> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (!(error instanceof CliError)) throw new Error(`expected a CliError, got ${String(exit.cause)}`)
  return error
}

describe("Folder", () => {
  it("finds the source files of tools/, prompts/ and resources/, subfolders too, skipping tests, helpers and non-source files", () => {
    const dir = project(standard)
    expect(Folder.files(dir).map((file) => path.relative(dir, file))).toEqual([
      "tools/constants.ts",
      "tools/echo.ts",
      "tools/math/add.js",
      "prompts/greet.ts",
      "resources/docs.mjs"
    ])
    expect(Folder.isFolderServer(dir)).toBe(true)
    expect(Folder.isFolderServer(os.tmpdir())).toBe(false)
  })

  it("recognises primitives by shape and nothing else", () => {
    expect(Folder.isPrimitive({ _tag: "Tool", name: "x" })).toBe(false)
    expect(Folder.isPrimitive(42)).toBe(false)
    expect(Folder.isPrimitive(null)).toBe(false)
  })

  it("loads a .ts and a .js tool, a prompt, a resource and a template; a file without primitives is a warning naming it", async () => {
    const dir = project(standard)
    const contents = await Effect.runPromise(Folder.load(dir))
    expect(contents.definitions.map((d) => [path.relative(dir, d.file), d.exportName, d.kind, d.name])).toEqual([
      ["tools/echo.ts", "default", "tool", "echo"],
      ["tools/math/add.js", "add", "tool", "add"],
      ["prompts/greet.ts", "greet", "prompt", "greet"],
      ["resources/docs.mjs", "page", "resource template", "docs://pages/{name}"],
      ["resources/docs.mjs", "readme", "resource", "docs://readme"]
    ])
    expect(contents.warnings).toHaveLength(1)
    expect(contents.warnings[0]).toContain("constants.ts exports no tool, prompt or resource")
  })

  for (const protocolVersion of ["2025-11-25", "2026-07-28"]) {
    it(`serves the folder to a real client (${protocolVersion}): lists and calls every kind`, async () => {
      const dir = project(standard)
      const app = await Effect.runPromise(Folder.layer(dir, { name: "folder-demo", version: "1.2.3" }))
      const seen = await withClient(app, protocolVersion, (client) =>
        Effect.gen(function*() {
          const tools = yield* client.listAllTools()
          const echo = yield* client.callTool("echo", { text: "hi" })
          const add = yield* client.callTool("add", { a: 2, b: 3 })
          const prompts = yield* client.listAllPrompts()
          const prompt = yield* client.getPrompt("greet", { who: "Ada" })
          const resources = yield* client.listAllResources()
          const templates = yield* client.listAllResourceTemplates()
          const page = yield* client.readResource("docs://pages/intro")
          return { serverInfo: client.serverInfo, tools, echo, add, prompts, prompt, resources, templates, page }
        }))
      expect(seen.serverInfo).toMatchObject({ name: "folder-demo", version: "1.2.3" })
      expect(seen.tools.map((t) => t.name).sort()).toEqual(["add", "echo"])
      expect(seen.echo.content).toEqual([{ type: "text", text: "HI" }])
      expect(seen.add.content).toEqual([{ type: "text", text: "5" }])
      expect(seen.prompts.map((p) => p.name)).toEqual(["greet"])
      expect(seen.prompt.messages[0]?.content).toEqual({ type: "text", text: "Say hello to Ada" })
      expect(seen.resources.map((r) => r.uri)).toEqual(["docs://readme"])
      expect(seen.templates.map((t) => t.uriTemplate)).toEqual(["docs://pages/{name}"])
      expect(seen.page.contents[0]).toMatchObject({ uri: "docs://pages/intro", text: "page intro" })
    })
  }

  it("two tools with the same name: one line naming both files, exit 1", async () => {
    const dir = project({
      "tools/echo.ts": echoTs,
      "tools/_shout.ts": shoutTs,
      "tools/again/echo2.ts": echoTs.replace("./_shout.js", "../_shout.js")
    })
    const error = await failure(Folder.load(dir))
    expect(error.exitCode).toBe(1)
    expect(error.message).toMatch(/^tool "echo" is defined twice: in .*tools\/again\/echo2\.ts and in .*tools\/echo\.ts; rename one$/)
  })

  it("a file that fails to load: one line naming the file and the line", async () => {
    const dir = project({ "tools/broken.ts": `import { Tool } from "@emcee/core"\n\nconst x: number = = 3\nexport default x\n` })
    const error = await failure(Folder.load(dir))
    expect(error.exitCode).toBe(1)
    expect(error.message).not.toContain("\n")
    expect(error.message).toMatch(/^cannot load .*tools\/broken\.ts:3(:\d+)?: /)
  })

  it("a file that throws while loading: the file and the line of the throw", async () => {
    const dir = project({ "tools/throws.js": `export const a = 1\n\nthrow new Error("no database")\n` })
    const error = await failure(Folder.load(dir))
    expect(error.message).toMatch(/^cannot load .*tools\/throws\.js:3(:\d+)?: no database$/)
  })

  it("serve resolves a folder, a module, and refuses a folder without the convention naming it", async () => {
    const dir = project(standard)
    expect(await Effect.runPromise(Serve.resolveTarget(dir))).toEqual({ _tag: "Folder", dir })
    const file = path.join(dir, "tools/echo.ts")
    expect(await Effect.runPromise(Serve.resolveTarget(file))).toEqual({ _tag: "Module", file })
    const empty = project({})
    const error = await failure(Serve.resolveTarget(empty))
    expect(error.message).toContain("has no tools/, prompts/ or resources/ folder")
    const missing = await failure(Serve.resolveTarget(path.join(empty, "nope")))
    expect(missing.message).toContain("does not exist")
  })
})

// The binary runs from dist/ and imports TypeScript through tsx, so this needs `npm run build`.
describe.runIf(fs.existsSync(bin))("emcee serve <folder> (built binary)", () => {
  const talk = (dir: string, extraArgs: ReadonlyArray<string> = []) =>
    new Promise<{ lines: Array<{ id?: unknown; result?: Record<string, unknown> }>; stderr: string; code: number | null }>((resolve) => {
      const child = spawn("node", [bin, "serve", dir, ...extraArgs], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] })
      const kill = setTimeout(() => child.kill("SIGKILL"), 30_000)
      let stdout = ""
      let stderr = ""
      child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
      const send = (message: object) => child.stdin.write(JSON.stringify(message) + "\n")
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString()
        // The last answer is in: closing stdin shuts the server down.
        if (stdout.includes(`"id":2,`)) child.stdin.end()
      })
      child.on("close", (code) => {
        clearTimeout(kill)
        const lines = stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { id?: unknown; result?: Record<string, unknown> })
        resolve({ lines, stderr, code })
      })
      send({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } })
      send({ jsonrpc: "2.0", method: "notifications/initialized" })
      send({ jsonrpc: "2.0", id: 1, method: "tools/list" })
      send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "over stdio" } } })
    })

  it("serves TypeScript without a build step: tools/list and tools/call over stdio, warnings on stderr only", async () => {
    const dir = project(standard)
    const { code, lines, stderr } = await talk(dir)
    expect(code, stderr).toBe(0)
    const init = lines.find((l) => l.id === "init")
    expect(init?.result?.["serverInfo"]).toMatchObject({ name: "folder-demo", version: "1.2.3" })
    const list = lines.find((l) => l.id === 1)?.result as { tools: Array<{ name: string }> }
    expect(list.tools.map((t) => t.name).sort()).toEqual(["add", "echo"])
    expect(lines.find((l) => l.id === 2)?.result).toMatchObject({ content: [{ type: "text", text: "OVER STDIO" }] })
    expect(stderr).toContain("constants.ts exports no tool, prompt or resource")
  }, 40_000)

  it("a broken .ts file: one line naming file:line on stderr, nothing on stdout, exit 1", async () => {
    const dir = project({ "tools/broken.ts": `import { Tool } from "@emcee/core"\n\nconst x: number = = 3\nexport default x\n` })
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("node", [bin, "serve", dir], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk: Buffer) => void (stdout += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toMatch(/^emcee serve: cannot load .*tools\/broken\.ts:3:\d+: Unexpected "="\n$/)
  }, 40_000)

  it("--http after the path, with emcee.config.yaml: Streamable HTTP under both revisions, the configured name and path", async () => {
    const dir = project({
      ...standard,
      "emcee.config.yaml": "server:\n  name: from-config\n  instructions: Use echo.\npath: /api/mcp\nmiddleware:\n  timeout: 10s\n"
    })
    const child = spawn("node", [bin, "serve", dir, "--http", "--port", "0"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
    const kill = setTimeout(() => child.kill("SIGKILL"), 35_000)
    try {
      let stderr = ""
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString()
          const match = /on (http:\/\/\S+)/.exec(stderr)
          if (match !== null) resolve(match[1]!)
        })
        child.on("close", () => reject(new Error(`exited: ${stderr}`)))
      })
      expect(new URL(url).pathname).toBe("/api/mcp")
      for (const protocolVersion of ["2025-11-25", "2026-07-28"]) {
        const seen = await Effect.runPromise(
          Effect.gen(function*() {
            const transport = yield* HttpClientTransport.make({ url, openGetStream: false })
            const client = yield* McpClient.make({ transport, clientInfo: { name: "t", version: "1" }, protocolVersion })
            const tools = yield* client.listAllTools()
            const echo = yield* client.callTool("echo", { text: "http" })
            return { info: client.serverInfo, instructions: client.instructions, tools: tools.map((t) => t.name).sort(), echo: echo.content }
          }).pipe(Effect.scoped)
        )
        expect(seen).toEqual({
          info: expect.objectContaining({ name: "from-config", version: "1.2.3" }),
          instructions: "Use echo.",
          tools: ["add", "echo"],
          echo: [{ type: "text", text: "HTTP" }]
        })
      }
    } finally {
      clearTimeout(kill)
      child.kill("SIGTERM")
    }
  }, 40_000)
})
