/**
 * `emcee dev`: a real temp folder served to a real `McpClient` (in memory,
 * over Streamable HTTP, and over stdio by a child process), edited while the
 * client stays connected. After each edit the client gets
 * `notifications/tools/list_changed` (spec 2025-11-25 server/tools "List
 * Changed Notification"; 2026-07-28 on a `subscriptions/listen` stream,
 * basic/patterns/subscriptions) and `tools/list` shows the change, on the
 * same connection (no new initialize). A broken file is reported with its
 * file and line and its previous definition stays served.
 */
import { Command } from "@effect/cli"
import { McpClient, McpServer, type JsonRpc } from "@emcee/core"
import { HttpClientTransport, MemoryTransport } from "@emcee/transport"
import { Duration, Effect, Fiber, Queue, type Scope, Stream } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import * as Dev from "../src/Dev.js"
import * as Inspector from "../src/internal/devInspector.js"
import { runCommand } from "./fixtures/manifest-run.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const devMain = fileURLToPath(new URL("./fixtures/dev-main.ts", import.meta.url))

const made: Array<string> = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

/** A project folder as `emcee init` makes one: package.json of type module, node_modules with @emcee/core and effect. */
const project = (files: Record<string, string>): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-dev-"))
  made.push(dir)
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir")
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "dev-demo", version: "1.0.0", type: "module" }))
  for (const [name, text] of Object.entries(files)) write(dir, name, text)
  return dir
}
const write = (dir: string, name: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
  fs.writeFileSync(path.join(dir, name), text)
}

const tool = (name: string, description: string, prefix: string) => `import { Effect, Schema } from "effect"
import { Tool } from "@emcee/core"

export default Tool.make("${name}", {
  description: "${description}",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }: { readonly text: string }) => Effect.succeed("${prefix}" + text)
})
`
const broken = `import { Tool } from "@emcee/core"\n\nconst x: number = = 3\nexport default x\n`
const greet = `import { Effect } from "effect"
import { Prompt } from "@emcee/core"

export const greet = Prompt.make({ name: "greet", render: () => Effect.succeed([Prompt.user("hello")]) })
`

/** Lines logged, and a way to wait for one. */
const logs = () => {
  const lines: Array<string> = []
  const waitFor = (pattern: RegExp, timeout = 15_000) =>
    Effect.gen(function*() {
      const deadline = Date.now() + timeout
      while (Date.now() < deadline) {
        const found = lines.find((line) => pattern.test(line))
        if (found !== undefined) return found
        yield* Effect.sleep(Duration.millis(20))
      }
      return yield* Effect.dieMessage(`no log line matching ${pattern} in:\n${lines.join("\n")}`)
    })
  return { lines, log: (line: string) => Effect.sync(() => void lines.push(line)), waitFor }
}

/**
 * The list_changed notifications a client receives: on its session (2025-11-25)
 * or on a `subscriptions/listen` stream (2026-07-28, which has no session).
 */
const listChanges = (client: McpClient.McpClient): Effect.Effect<Queue.Dequeue<JsonRpc.Notification>, unknown, Scope.Scope> =>
  client.protocolVersion === "2026-07-28"
    ? Effect.gen(function*() {
      const queue = yield* Queue.unbounded<JsonRpc.Notification>()
      const subscription = yield* client.listen({ toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true })
      yield* Effect.forkScoped(Stream.runForEach(subscription.notifications, (n) => Queue.offer(queue, n)))
      return queue
    })
    : client.subscribeNotifications

const nextChange = (queue: Queue.Dequeue<JsonRpc.Notification>, method: string) =>
  Effect.gen(function*() {
    while (true) {
      const notification = yield* Queue.take(queue)
      if (notification.method === method) return notification
    }
  }).pipe(Effect.timeoutFail({ duration: Duration.seconds(15), onTimeout: () => new Error(`no ${method} within 15 s`) }))

const toolsChanged = "notifications/tools/list_changed"

/** Edits the folder step by step while `client` stays connected; returns what it saw. */
const editSession = (dir: string, client: McpClient.McpClient, waitForLog: (pattern: RegExp) => Effect.Effect<string>) =>
  Effect.gen(function*() {
    const changes = yield* listChanges(client)
    const names = () => Effect.map(client.listAllTools(), (tools) => tools.map((t) => `${t.name}: ${t.description ?? ""}`).sort())
    const echo = (text: string) =>
      Effect.map(client.callTool("echo", { text }), (result) => result.content.map((c) => (c.type === "text" ? c.text : "")).join(""))
    const edit = (apply: () => void, method = toolsChanged) =>
      Effect.gen(function*() {
        yield* Queue.takeAll(changes)
        apply()
        yield* nextChange(changes, method)
      })

    const seen: Record<string, unknown> = {}
    seen["start"] = yield* names()
    seen["callStart"] = yield* echo("a")

    yield* edit(() => write(dir, "tools/echo.ts", tool("echo", "Echoes, version 2", "v2:")))
    seen["edited"] = yield* names()
    seen["callEdited"] = yield* echo("b")

    yield* edit(() => write(dir, "tools/math/upper.ts", tool("upper", "Upper-cases", "UP:")))
    seen["added"] = yield* names()

    yield* edit(() => fs.rmSync(path.join(dir, "tools/math/upper.ts")))
    seen["removed"] = yield* names()

    write(dir, "tools/echo.ts", broken)
    seen["brokenLog"] = yield* waitForLog(/tools\/echo\.ts:3/)
    seen["broken"] = yield* names()
    seen["callBroken"] = yield* echo("c")

    yield* edit(() => write(dir, "tools/echo.ts", tool("echo", "Echoes, version 3", "v3:")))
    seen["fixed"] = yield* names()
    seen["callFixed"] = yield* echo("d")

    yield* edit(() => write(dir, "prompts/greet.ts", greet), "notifications/prompts/list_changed")
    seen["prompts"] = (yield* client.listAllPrompts()).map((p) => p.name)
    return seen
  })

const expected = {
  start: ["echo: Echoes, version 1"],
  callStart: "v1:a",
  edited: ["echo: Echoes, version 2"],
  callEdited: "v2:b",
  added: ["echo: Echoes, version 2", "upper: Upper-cases"],
  removed: ["echo: Echoes, version 2"],
  broken: ["echo: Echoes, version 2"],
  callBroken: "v2:c",
  fixed: ["echo: Echoes, version 3"],
  callFixed: "v3:d",
  prompts: ["greet"]
}

describe("emcee dev: reload in place (Dev.layer, in memory)", () => {
  for (const protocolVersion of ["2025-11-25", "2026-07-28"]) {
    it(`edit, add, remove, break and fix a tool file: list_changed each time, same connection (${protocolVersion})`, async () => {
      const dir = project({ "tools/echo.ts": tool("echo", "Echoes, version 1", "v1:") })
      const { lines, log, waitFor } = logs()
      const seen = await Effect.runPromise(
        Effect.gen(function*() {
          const server = yield* McpServer.McpServer
          const transport = yield* MemoryTransport.make()
          const client = yield* McpClient.make({ transport, clientInfo: { name: "dev-test", version: "1.0.0" }, protocolVersion })
          const sessionsBefore = server.sessions()
          const seen = yield* editSession(dir, client, waitFor)
          // The same connection throughout: no new session, no second initialize.
          return { ...seen, brokenLog: seen["brokenLog"], sameSessions: server.sessions().length === sessionsBefore.length && server.sessions().every((s, i) => s === sessionsBefore[i]) }
        }).pipe(Effect.scoped, Effect.provide(Dev.layer(dir, { name: "dev-demo", version: "1.0.0" }, { log, debounce: Duration.millis(50) })))
      )
      expect(seen).toMatchObject({ ...expected, sameSessions: true })
      // Logs name the file, what it defines, and for a broken file the line, keeping the previous definition.
      expect(lines).toContain("reloaded tools/echo.ts (1 tool)")
      expect(lines).toContain("added tools/math/upper.ts (1 tool)")
      expect(lines).toContain("removed tools/math/upper.ts (1 tool)")
      expect(lines).toContain("added prompts/greet.ts (1 prompt)")
      expect(seen["brokenLog"]).toMatch(/^tools\/echo\.ts:3:\d+: .*; keeping the previous definitions$/)
    }, 60_000)
  }

  it("the server advertises listChanged for tools, prompts and resources, even with none yet (spec basic/lifecycle)", async () => {
    const dir = project({ "tools/echo.ts": tool("echo", "Echoes", "") })
    const { log } = logs()
    const capabilities = await Effect.runPromise(
      Effect.gen(function*() {
        const transport = yield* MemoryTransport.make()
        const client = yield* McpClient.make({ transport, clientInfo: { name: "dev-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
        return client.serverCapabilities
      }).pipe(Effect.scoped, Effect.provide(Dev.layer(dir, { name: "dev-demo", version: "1.0.0" }, { log })))
    )
    expect(capabilities.tools).toEqual({ listChanged: true })
    expect(capabilities.prompts).toEqual({ listChanged: true })
    expect(capabilities.resources).toMatchObject({ listChanged: true })
  })

  it("a broken file at start is reported and served once fixed; a name another file defines is refused naming both files", async () => {
    const dir = project({ "tools/echo.ts": tool("echo", "Echoes", "e:"), "tools/broken.ts": broken })
    const { lines, log, waitFor } = logs()
    const seen = await Effect.runPromise(
      Effect.gen(function*() {
        const transport = yield* MemoryTransport.make()
        const client = yield* McpClient.make({ transport, clientInfo: { name: "dev-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
        const changes = yield* client.subscribeNotifications
        const atStart = (yield* client.listAllTools()).map((t) => t.name)
        write(dir, "tools/broken.ts", tool("fixed", "Fixed", "f:"))
        yield* nextChange(changes, toolsChanged)
        const afterFix = (yield* client.listAllTools()).map((t) => t.name).sort()
        write(dir, "tools/again.ts", tool("echo", "Another echo", "x:"))
        const refused = yield* waitFor(/again\.ts/)
        const echo = yield* client.callTool("echo", { text: "1" })
        return { atStart, afterFix, refused, echo: echo.content }
      }).pipe(Effect.scoped, Effect.provide(Dev.layer(dir, { name: "dev-demo", version: "1.0.0" }, { log, debounce: Duration.millis(50) })))
    )
    expect(lines[0]).toMatch(/^tools\/broken\.ts:3:\d+: .*; not served until it loads$/)
    expect(seen.atStart).toEqual(["echo"])
    expect(seen.afterFix).toEqual(["echo", "fixed"])
    expect(seen.refused).toBe(`tools/again.ts: tool "echo" is already defined in tools/echo.ts; rename one; not served`)
    expect(seen.echo).toEqual([{ type: "text", text: "e:1" }])
  }, 30_000)
})

describe("emcee dev over Streamable HTTP (in process)", () => {
  it("keeps an HTTP session (2025-11-25) and a 2026-07-28 client connected across edits; both see list_changed and the change", async () => {
    const dir = project({ "tools/echo.ts": tool("echo", "Echoes, version 1", "v1:") })
    const errors: Array<string> = []
    const { log, waitFor, lines } = logs()
    const program = Effect.gen(function*() {
      const serving = yield* Effect.fork(Dev.dev(dir, { http: true, port: 0 }, { log, debounce: Duration.millis(50) }))
      const url = yield* Effect.gen(function*() {
        while (true) {
          const match = errors.map((line) => /on (http:\/\/\S+)/.exec(line)).find((m) => m !== null)
          if (match !== undefined && match !== null) return match[1]!
          yield* Effect.sleep(Duration.millis(20))
        }
      }).pipe(Effect.timeoutFail({ duration: Duration.seconds(20), onTimeout: () => new Error(`not serving: ${errors.join("\n")}`) }))
      const results: Record<string, unknown> = {}
      for (const protocolVersion of ["2025-11-25", "2026-07-28"]) {
        lines.length = 0
        write(dir, "tools/echo.ts", tool("echo", "Echoes, version 1", "v1:"))
        if (protocolVersion !== "2025-11-25") yield* waitFor(/reloaded tools\/echo\.ts/)
        lines.length = 0
        results[protocolVersion] = yield* Effect.gen(function*() {
          const transport = yield* HttpClientTransport.make({ url, openGetStream: true })
          const client = yield* McpClient.make({ transport, clientInfo: { name: "dev-http", version: "1" }, protocolVersion })
          const session = transport.sessionId()
          const seen = yield* editSession(dir, client, waitFor)
          // Reset for the next revision: remove the prompt again.
          fs.rmSync(path.join(dir, "prompts"), { recursive: true })
          return { ...seen, sameSession: transport.sessionId() === session, session: session === undefined ? "none" : "some" }
        }).pipe(Effect.scoped)
      }
      yield* Fiber.interrupt(serving)
      return results
    })
    const results = await Effect.runPromise(
      Effect.flatMap(Effect.console, (console) =>
        Effect.withConsole(program, { ...console, error: (...parts: ReadonlyArray<unknown>) => Effect.sync(() => void errors.push(parts.map(String).join(" "))) }))
    )
    expect(results["2025-11-25"]).toMatchObject({ ...expected, sameSession: true, session: "some" })
    // 2026-07-28 has no session (spec 2026-07-28 basic/transports/streamable-http): the listing changes are what counts.
    expect(results["2026-07-28"]).toMatchObject({ ...expected, sameSession: true })
  }, 90_000)
})

describe("emcee dev over stdio (a child process)", () => {
  it("keeps the stdio client connected across an edit: list_changed on stdout, the new tool, logs on stderr only", async () => {
    const dir = project({ "tools/echo.ts": tool("echo", "Echoes, version 1", "v1:") })
    const child = spawn(process.execPath, ["--conditions=@emcee/source", "--import", "tsx", devMain, dir], {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"]
    })
    const kill = setTimeout(() => child.kill("SIGKILL"), 80_000)
    let stdout = ""
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
    const messages = () => stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as { id?: unknown; method?: string; result?: Record<string, unknown> })
    let check = () => {}
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      check()
    })
    const until = (predicate: () => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`)), 40_000)
        check = () => {
          if (predicate()) {
            clearTimeout(timer)
            resolve()
          }
        }
        check()
      })
    const send = (message: object) => child.stdin.write(JSON.stringify(message) + "\n")
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    try {
      send({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } })
      await until(() => messages().some((m) => m.id === "init"), "initialize")
      send({ jsonrpc: "2.0", method: "notifications/initialized" })
      await until(() => stderr.includes("watching"), "the watcher")
      send({ jsonrpc: "2.0", id: 1, method: "tools/list" })
      await until(() => messages().some((m) => m.id === 1), "tools/list")
      write(dir, "tools/echo.ts", tool("echo", "Echoes, version 2", "v2:"))
      await until(() => messages().some((m) => m.method === toolsChanged), "list_changed")
      send({ jsonrpc: "2.0", id: 2, method: "tools/list" })
      send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { text: "x" } } })
      await until(() => messages().some((m) => m.id === 3) && messages().some((m) => m.id === 2), "the answers")
      child.stdin.end()
      expect(await exited, stderr).toBe(0)
    } finally {
      clearTimeout(kill)
      child.kill("SIGKILL")
    }
    const byId = (id: unknown) => messages().find((m) => m.id === id)?.result
    expect((byId(1) as { tools: Array<{ description: string }> }).tools.map((t) => t.description)).toEqual(["Echoes, version 1"])
    expect((byId(2) as { tools: Array<{ description: string }> }).tools.map((t) => t.description)).toEqual(["Echoes, version 2"])
    expect(byId(3)).toMatchObject({ content: [{ type: "text", text: "v2:x" }] })
    // One initialize only; every line of stdout is protocol, every log on stderr.
    expect(messages().filter((m) => m.id === "init")).toHaveLength(1)
    expect(stderr).toContain("emcee dev: reloaded tools/echo.ts (1 tool)")
  }, 90_000)
})

describe("emcee dev --inspect (the command lines, not the Inspector)", () => {
  it("over stdio the Inspector starts emcee dev itself: node, the bin, dev, the absolute folder, stdio, the flags, EMCEE_* passed with -e", () => {
    const line = Inspector.stdioCommand({
      node: "/usr/bin/node",
      bin: "/app/node_modules/@emcee/cli/dist/bin.js",
      dir: "/home/me/server",
      flags: { http: false, shutdownTimeout: "2s", set: { "middleware.timeout": "30s" } },
      env: { EMCEE_SERVER_NAME: "demo", HOME: "/home/me", PATH: "/usr/bin" }
    })
    expect(line).toEqual({
      command: "npx",
      args: [
        "--yes",
        "@modelcontextprotocol/inspector",
        "-e",
        "EMCEE_SERVER_NAME=demo",
        "--",
        "/usr/bin/node",
        "/app/node_modules/@emcee/cli/dist/bin.js",
        "dev",
        "/home/me/server",
        "--transport",
        "stdio",
        "--shutdown-timeout",
        "2s",
        "--set",
        "middleware.timeout=30s"
      ]
    })
    expect(Inspector.format(Inspector.stdioCommand({ node: "/n", bin: "/b.js", dir: "/my server", flags: {} }))).toBe(
      "npx --yes @modelcontextprotocol/inspector -- /n /b.js dev '/my server' --transport stdio"
    )
  })

  it("over HTTP the Inspector connects to the served URL with Streamable HTTP", () => {
    expect(Inspector.httpCommand("http://127.0.0.1:3000/mcp")).toEqual({
      command: "npx",
      args: ["--yes", "@modelcontextprotocol/inspector", "--transport", "http", "--server-url", "http://127.0.0.1:3000/mcp"]
    })
  })
})

describe("emcee dev: user errors", () => {
  it("an app module is refused in one line saying to use emcee serve, exit 1", async () => {
    const dir = project({ "app.mjs": "export default 1\n" })
    const ran = await runCommand(Dev.command as Command.Command<string, never, unknown, unknown>, [path.join(dir, "app.mjs")])
    expect(ran.code).toBe(1)
    expect(ran.error?.message).toMatch(/app\.mjs is an app module: emcee dev reloads a folder of tools\/, prompts\/ and resources\/; serve a module with emcee serve/)
  })

  it("a folder without the convention is refused naming it, exit 1", async () => {
    const dir = project({})
    const ran = await runCommand(Dev.command as Command.Command<string, never, unknown, unknown>, [dir, "--inspect"])
    expect(ran.code).toBe(1)
    expect(ran.error?.message).toContain("has no tools/, prompts/ or resources/ folder")
  })
})
