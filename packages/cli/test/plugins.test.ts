/**
 * Plugins of a served folder (`Plugins`, `Plugin` of @emcee/core): loaded
 * from `plugins/` and the `plugins` configuration key, started in the order
 * of their dependencies and stopped in reverse; every problem a user can
 * cause is one line naming the plugin's file. In memory with a real
 * `McpClient`, and over stdio by the built binary.
 */
import { McpClient, type McpServer } from "@emcee/core"
import { MemoryTransport } from "@emcee/transport"
import { Effect, Exit, type Layer } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { CliError } from "../src/CliError.js"
import * as Config from "../src/Config.js"
import * as Plugins from "../src/Plugins.js"
import * as Serve from "../src/Serve.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = path.join(root, "packages/cli/dist/bin.js")

const made: Array<string> = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

const project = (files: Record<string, string>): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-plugins-"))
  made.push(dir)
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir")
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "plugin-demo", version: "1.0.0", type: "module" }))
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), text)
  }
  return dir
}

/** A plugin file whose hooks append to `hooks.log` in the folder. */
const recording = (name: string, dependsOn: ReadonlyArray<string>, extra = "") => `import { Effect } from "effect"
import { Plugin } from "@emcee/core"
import * as fs from "node:fs"
${extra}
const note = (line: string) => Effect.sync(() => fs.appendFileSync(new URL("../hooks.log", import.meta.url), line + "\\n"))

export default Plugin.make({
  name: ${JSON.stringify(name)},
  version: "1.0.0",
  dependsOn: ${JSON.stringify(dependsOn)},
  start: note("start ${name}"),
  stop: note("stop ${name}")
})
`

/** "store" offers a service; "api" (given first by file name) depends on it and registers a tool that uses it. */
const storeTs = `import { Context, Layer } from "effect"
import { Plugin } from "@emcee/core"

export class Store extends Context.Tag("demo/Store")<Store, { readonly get: (key: string) => string }>() {}

export const store = Plugin.make({
  name: "store",
  version: "2.0.0",
  layer: Layer.succeed(Store, { get: (key: string) => "stored " + key })
})
`
const apiTs = `import { Effect, Schema } from "effect"
import { McpServer, Plugin, Tool } from "@emcee/core"
import { Store } from "./store.js"

const lookup = Tool.make("lookup", {
  input: Schema.Struct({ key: Schema.String }),
  handler: ({ key }: { readonly key: string }) => Effect.map(Store, (s) => s.get(key))
})

export default Plugin.make({ name: "api", version: "1.0.0", dependsOn: ["store"], layer: McpServer.register(lookup) })
`
const echoTs = `import { Effect, Schema } from "effect"
import { Tool } from "@emcee/core"

export default Tool.make("echo", {
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }: { readonly text: string }) => Effect.succeed(text)
})
`

const appOf = async (dir: string) => {
  const loaded = await Effect.runPromise(Config.load({ dir, env: {} }))
  const bare = await Effect.runPromise(Serve.loadTarget(dir, loaded.config))
  return { config: loaded.config, app: await Effect.runPromise(Plugins.withPlugins(bare, dir, loaded.config)) }
}

const withClient = <A>(app: Layer.Layer<McpServer.McpServer, unknown>, use: (client: McpClient.McpClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const transport = yield* MemoryTransport.make()
      const client = yield* McpClient.make({ transport, clientInfo: { name: "plugins-test", version: "1.0.0" } })
      return yield* use(client)
    }).pipe(Effect.scoped, Effect.provide(app)) as Effect.Effect<A>
  )

const failure = async (effect: Effect.Effect<unknown, CliError>): Promise<CliError> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (!(error instanceof CliError)) throw new Error(`expected a CliError, got ${String(exit.cause)}`)
  return error
}

const loadErrorOf = async (dir: string) => {
  const loaded = await Effect.runPromise(Config.load({ dir, env: {} }))
  return failure(Plugins.load(dir, loaded.config))
}

describe("Plugins", () => {
  it("loads plugins/ and the plugins key, orders them by dependency, and serves what they register", async () => {
    const dir = project({
      "tools/echo.ts": echoTs,
      "plugins/api.ts": apiTs,
      "plugins/store.ts": storeTs,
      "plugins/_helper.ts": "export const unused = 1\n",
      "plugins/api.test.ts": "throw new Error('tests are not plugins')\n",
      "extra/audit.ts": recording("audit", ["api"]),
      "emcee.config.yaml": "plugins:\n  - ./extra/audit.ts\n"
    })
    const { app, config } = await appOf(dir)
    expect(config.plugins).toEqual(["./extra/audit.ts"])
    const loaded = await Effect.runPromise(Plugins.load(dir, config))
    expect(loaded.map((entry) => [entry.plugin.name, entry.plugin.version, path.basename(entry.from)])).toEqual([
      ["store", "2.0.0", "store.ts"],
      ["api", "1.0.0", "api.ts"],
      ["audit", "1.0.0", "audit.ts"]
    ])
    const seen = await withClient(app, (client) =>
      Effect.gen(function*() {
        const tools = yield* client.listAllTools()
        const result = yield* client.callTool("lookup", { key: "k" })
        return { tools: tools.map((t) => t.name).sort(), result }
      }))
    expect(seen.tools).toEqual(["echo", "lookup"])
    expect(seen.result.content).toEqual([{ type: "text", text: "stored k" }])
    expect(fs.readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("start audit\nstop audit\n")
  })

  it("a missing dependency: one line naming the plugin, its file and the missing name", async () => {
    const dir = project({ "tools/echo.ts": echoTs, "plugins/api.ts": apiTs.replace(`from "./store.js"`, `from "./_store.js"`), "plugins/_store.ts": storeTs })
    const error = await loadErrorOf(dir)
    expect(error.exitCode).toBe(1)
    expect(error.message).toMatch(/^plugin "api" \(.*plugins\/api\.ts\) depends on "store", which is not loaded; load a plugin named "store" too$/)
  })

  it("a cycle: one line naming the plugins around it with their files", async () => {
    const dir = project({ "plugins/a.ts": recording("a", ["b"]), "plugins/b.ts": recording("b", ["a"]) })
    const error = await loadErrorOf(dir)
    expect(error.message).toMatch(/^plugins depend on each other in a cycle: "a" \(.*a\.ts\) -> "b" \(.*b\.ts\) -> "a" \(.*a\.ts\)$/)
  })

  it("two plugins with one name, a module without plugins, a broken file, a missing path or package: one line each", async () => {
    const twice = await loadErrorOf(project({ "plugins/one.ts": recording("same", []), "plugins/two.ts": recording("same", []) }))
    expect(twice.message).toMatch(/^two plugins are named "same": "same" \(.*one\.ts\) and "same" \(.*two\.ts\); rename one$/)

    const none = await loadErrorOf(project({ "plugins/empty.ts": "export const notAPlugin = 42\n" }))
    expect(none.message).toMatch(/plugins\/empty\.ts exports no plugin: export one made with Plugin\.make/)

    const broken = await loadErrorOf(project({ "plugins/broken.ts": `import { Plugin } from "@emcee/core"\n\nconst x: number = = 3\n` }))
    expect(broken.message).toMatch(/^cannot load the plugin .*plugins\/broken\.ts:3:\d+: /)
    expect(broken.message).not.toContain("\n")

    const path_ = await loadErrorOf(project({ "tools/echo.ts": echoTs, "emcee.config.yaml": "plugins: ./nowhere/plugin.ts\n" }))
    expect(path_.message).toMatch(/^plugins: \.\/nowhere\/plugin\.ts does not exist \(looked for .*nowhere\/plugin\.ts\); fix the path in the plugins key$/)

    const pkg = await loadErrorOf(project({ "tools/echo.ts": echoTs, "emcee.config.yaml": "plugins: [\"@acme/not-installed\"]\n" }))
    expect(pkg.message).toMatch(/^plugins: cannot find the package "@acme\/not-installed" from .*; install it there \(npm install @acme\/not-installed\) or fix the plugins key$/)
  })

  it("a folder with only plugins/ is a folder server", async () => {
    const dir = project({ "plugins/store.ts": storeTs })
    expect(await Effect.runPromise(Serve.resolveTarget(dir))).toEqual({ _tag: "Folder", dir })
  })
})

// The binary runs from dist/ and imports TypeScript through tsx, so this needs `npm run build`.
describe.runIf(fs.existsSync(bin))("emcee serve with plugins (built binary)", () => {
  const serve = (dir: string, messages: ReadonlyArray<object>, lastId?: number) =>
    new Promise<{ lines: Array<{ id?: unknown; result?: Record<string, unknown> }>; stdout: string; stderr: string; code: number | null }>((resolve) => {
      const child = spawn("node", [bin, "serve", dir], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] })
      const kill = setTimeout(() => child.kill("SIGKILL"), 30_000)
      let stdout = ""
      let stderr = ""
      child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString()
        if (lastId !== undefined && stdout.includes(`"id":${lastId},`)) child.stdin.end()
      })
      child.on("close", (code) => {
        clearTimeout(kill)
        const lines = stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { id?: unknown; result?: Record<string, unknown> })
        resolve({ lines, stdout, stderr, code })
      })
      child.stdin.on("error", () => {})
      for (const message of messages) child.stdin.write(JSON.stringify(message) + "\n")
      if (lastId === undefined) child.stdin.end()
    })

  it("starts plugins in dependency order, serves their tools over stdio, and stops them in reverse when stdin closes", async () => {
    const dir = project({
      "tools/echo.ts": echoTs,
      "plugins/store.ts": storeTs,
      "plugins/api.ts": apiTs,
      "plugins/z-first.ts": recording("metrics", ["audit"]),
      "plugins/audit.ts": recording("audit", ["api"])
    })
    const { code, lines, stderr } = await serve(dir, [
      { jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "lookup", arguments: { key: "x" } } }
    ], 1)
    expect(code, stderr).toBe(0)
    expect(lines.find((l) => l.id === 1)?.result).toMatchObject({ content: [{ type: "text", text: "stored x" }] })
    expect(fs.readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("start audit\nstart metrics\nstop metrics\nstop audit\n")
  }, 40_000)

  it("a plugin whose start fails: one line naming it and its file, nothing on stdout, exit 1, started plugins stopped", async () => {
    const dir = project({
      "tools/echo.ts": echoTs,
      "plugins/audit.ts": recording("audit", []),
      "plugins/queue.ts": `import { Effect } from "effect"
import { Plugin } from "@emcee/core"

export default Plugin.make({ name: "queue", version: "0.1.0", dependsOn: ["audit"], start: Effect.fail(new Error("cannot reach amqp://localhost:5672")) })
`
    })
    const { code, stderr, stdout } = await serve(dir, [])
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toMatch(/^emcee serve: plugin "queue" \(.*plugins\/queue\.ts\) failed to start: cannot reach amqp:\/\/localhost:5672\n$/)
    expect(fs.readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("start audit\nstop audit\n")
  }, 40_000)

  it("a cyclic dependency: one line, exit 1, before anything starts", async () => {
    const dir = project({ "tools/echo.ts": echoTs, "plugins/a.ts": recording("a", ["b"]), "plugins/b.ts": recording("b", ["a"]) })
    const { code, stderr, stdout } = await serve(dir, [])
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toMatch(/^emcee serve: plugins depend on each other in a cycle: "a" \(.*\) -> "b" \(.*\) -> "a" \(.*\)\n$/)
    expect(fs.existsSync(path.join(dir, "hooks.log"))).toBe(false)
  }, 40_000)
})
