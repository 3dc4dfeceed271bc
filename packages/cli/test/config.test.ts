/**
 * Configuration (`Config`, `emcee config`): precedence flags > `EMCEE_*`
 * environment > `.env` > `emcee.config.yaml` > defaults through one
 * ConfigProvider chain, errors naming the key and where its value came
 * from, secrets redacted, and the middleware and auth it selects from the
 * library applied to a real server (spec 2025-11-25 basic/authorization for
 * the HTTP guard; a rate-limited call is a JSON-RPC error, -32000).
 */
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { McpClient, McpServer, Tool } from "@emcee/core"
import { HttpTransport, MemoryTransport } from "@emcee/transport"
import { Effect, Exit, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, afterEach, describe, expect, it, vi } from "vitest"
import { CliError } from "../src/CliError.js"
import * as Config from "../src/Config.js"
import * as Library from "../src/internal/configLibrary.js"

const made: Array<string> = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})
afterEach(() => void vi.restoreAllMocks())

const folder = (files: Record<string, string>): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-config-"))
  made.push(dir)
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
  return dir
}

const failure = async (effect: Effect.Effect<unknown, CliError>): Promise<CliError> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (!(error instanceof CliError)) throw new Error(`expected a CliError, got ${String(exit.cause)}`)
  return error
}

const load = (dir: string, env: Record<string, string> = {}, flags: Config.Flags = {}) => Effect.runPromise(Config.load({ dir, env, flags }))

describe("Config precedence", () => {
  it("defaults: stdio on 127.0.0.1:3000/mcp, name and version from package.json, else the folder's name and 0.0.0", async () => {
    const withPackage = folder({ "package.json": JSON.stringify({ name: "weather", version: "2.0.1" }) })
    const loaded = await load(withPackage)
    expect(loaded.config).toMatchObject({ transport: "stdio", host: "127.0.0.1", port: 3000, path: "/mcp", logLevel: "info", server: { name: "weather", version: "2.0.1" } })
    expect(loaded.sources.get("server.name")?.origin).toMatch(/package\.json name$/)
    expect(loaded.sources.get("port")?.origin).toBe("default")
    const bare = folder({})
    expect((await load(bare)).config.server).toMatchObject({ name: path.basename(bare), version: "0.0.0" })
  })

  it("yaml < .env < environment < flags, each overriding the one before, key by key", async () => {
    const dir = folder({
      "emcee.config.yaml": "server:\n  name: from-yaml\nport: 1111\nhost: 0.0.0.0\nmiddleware:\n  timeout: 5s\n"
    })
    let loaded = await load(dir)
    expect(loaded.config.port).toBe(1111)
    expect(loaded.sources.get("port")?.origin).toMatch(/emcee\.config\.yaml:3$/)
    expect(loaded.sources.get("middleware.timeout")?.origin).toMatch(/emcee\.config\.yaml:6$/)

    fs.writeFileSync(path.join(dir, ".env"), "# local\nEMCEE_PORT=2222\nEMCEE_SERVER_NAME=from-dotenv\n")
    loaded = await load(dir)
    expect(loaded.config.port).toBe(2222)
    expect(loaded.config.server.name).toBe("from-dotenv")
    expect(loaded.sources.get("port")?.origin).toMatch(/^EMCEE_PORT in .*\.env:2$/)

    loaded = await load(dir, { EMCEE_PORT: "3333" })
    expect(loaded.config.port).toBe(3333)
    expect(loaded.sources.get("port")?.origin).toBe("EMCEE_PORT (environment)")
    expect(loaded.config.server.name).toBe("from-dotenv")

    loaded = await load(dir, { EMCEE_PORT: "3333" }, { port: 4444, http: true, set: { "server.name": "from-flag" } })
    expect(loaded.config).toMatchObject({ port: 4444, transport: "http", server: { name: "from-flag" } })
    expect(loaded.sources.get("port")?.origin).toBe("--port")
    expect(loaded.sources.get("transport")?.origin).toBe("--http")
    expect(loaded.sources.get("server.name")?.origin).toBe("--set server.name")
    // Keys no higher source gives keep the file's values.
    expect(loaded.config.host).toBe("0.0.0.0")
    expect(loaded.config.middleware.timeout).toBeDefined()
  })

  it("HTTP_PORT and HTTP_HOST are read below EMCEE_PORT and EMCEE_HOST", async () => {
    const dir = folder({})
    expect((await load(dir, { HTTP_PORT: "8081" })).config.port).toBe(8081)
    expect((await load(dir, { HTTP_PORT: "8081", EMCEE_PORT: "8082" })).config.port).toBe(8082)
  })

  it("nested sections map to EMCEE_* names in constant case", async () => {
    const loaded = await load(folder({}), { EMCEE_MIDDLEWARE_RATE_LIMIT_PER_SECOND: "5", EMCEE_MIDDLEWARE_LOGGING: "true", EMCEE_LOG_LEVEL: "debug" })
    expect(loaded.config.middleware).toMatchObject({ logging: true, rateLimit: { perSecond: 5, burst: undefined } })
    expect(loaded.config.logLevel).toBe("debug")
    expect(Config.keys.map((key) => [key, key.split(".").length]).length).toBe(Config.fields.length)
  })

  it(".env never overrides the real environment", () => {
    const name = `EMCEE_TEST_VARIABLE_${process.pid}`
    process.env[name] = "real"
    try {
      Config.applyDotEnv({ [name]: "from-dotenv", [`${name}_NEW`]: "new" })
      expect(process.env[name]).toBe("real")
      expect(process.env[`${name}_NEW`]).toBe("new")
    } finally {
      delete process.env[name]
      delete process.env[`${name}_NEW`]
    }
  })

  it("a JSON config file is read the same way", async () => {
    const loaded = await load(folder({ "emcee.config.json": `{\n  "transport": "http",\n  "port": 9999\n}\n` }))
    expect(loaded.config).toMatchObject({ transport: "http", port: 9999 })
    expect(loaded.sources.get("port")?.origin).toMatch(/emcee\.config\.json:3$/)
  })
})

describe("Config errors: one line naming the key, where it came from and what is expected", () => {
  it("an unknown key in the YAML names it, with its line and the likely key", async () => {
    const dir = folder({ "emcee.config.yaml": "port: 3000\nmiddleware:\n  timout: 30s\n" })
    const error = await failure(Config.load({ dir, env: {} }))
    expect(error.exitCode).toBe(1)
    expect(error.message).toMatch(/emcee\.config\.yaml:3: unknown key "middleware\.timout" \(did you mean "middleware\.timeout"\?\)$/)
  })

  it("a YAML syntax error names the file and line", async () => {
    const error = await failure(Config.load({ dir: folder({ "emcee.config.yaml": "port: 3000\nserver: [unclosed\n" }), env: {} }))
    expect(error.message).toMatch(/emcee\.config\.yaml:\d+:\d+: /)
    expect(error.message).not.toContain("\n")
  })

  it("a section given a value, or a value given a mapping, is refused", async () => {
    expect((await failure(Config.load({ dir: folder({ "emcee.config.yaml": "middleware: true\n" }), env: {} }))).message).toContain(`"middleware" must be a mapping`)
    expect((await failure(Config.load({ dir: folder({ "emcee.config.yaml": "port:\n  value: 1\n" }), env: {} }))).message).toContain(`"port" takes a value, not a mapping`)
  })

  it("an invalid environment value names the variable, and does not fall back to the file's valid value", async () => {
    const dir = folder({ "emcee.config.yaml": "port: 3000\n" })
    const error = await failure(Config.load({ dir, env: { EMCEE_PORT: "abc" } }))
    expect(error.exitCode).toBe(1)
    expect(error.message).toBe(`invalid configuration: port = "abc" (from EMCEE_PORT (environment)): expected a port number from 0 to 65535, got "abc"`)
  })

  it("an invalid value in the file names the file and line", async () => {
    const dir = folder({ "emcee.config.yaml": "transport: stdio\nmiddleware:\n  timeout: soon\n" })
    const error = await failure(Config.load({ dir, env: {} }))
    expect(error.message).toMatch(/^invalid configuration: middleware\.timeout = "soon" \(from .*emcee\.config\.yaml:3\): expected a duration/)
  })

  it("an invalid choice lists the choices", async () => {
    const error = await failure(Config.load({ dir: folder({}), env: { EMCEE_TRANSPORT: "carrier-pigeon" } }))
    expect(error.message).toContain(`transport = "carrier-pigeon" (from EMCEE_TRANSPORT (environment)): expected one of stdio, http`)
  })

  it("a partial auth.jwt section names the missing key", async () => {
    const dir = folder({ "emcee.config.yaml": "auth:\n  jwt:\n    issuer: https://issuer.example\n    jwksUrl: https://issuer.example/jwks\n" })
    const error = await failure(Config.load({ dir, env: {} }))
    expect(error.message).toContain("auth.jwt.audience")
    expect(error.message).toContain("is required when auth.jwt is configured")
  })

  it("--set with an unknown key names the flag", async () => {
    const error = await failure(Config.load({ dir: folder({}), env: {}, flags: { set: { "middleware.rateLimt.perSecond": "1" } } }))
    expect(error.message).toMatch(/^--set middleware\.rateLimt\.perSecond: unknown key \(did you mean "middleware\.rateLimit\.perSecond"\?\)/)
  })
})

describe("emcee config", () => {
  const run = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
    const lines: Array<string> = []
    vi.spyOn(console, "log").mockImplementation((...items: Array<unknown>) => void lines.push(items.map(String).join(" ")))
    const saved = { ...process.env }
    Object.assign(process.env, env)
    try {
      const exit = await Effect.runPromiseExit(
        Command.run(Config.command, { name: "emcee", version: "0" })(["node", "emcee", ...args]).pipe(Effect.provide(NodeContext.layer))
      )
      return { exit, output: lines.join("\n") }
    } finally {
      for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key]
    }
  }

  it("prints every key with its value and source; secrets are <redacted>", async () => {
    const dir = folder({
      "package.json": JSON.stringify({ name: "secretive", version: "1.0.0" }),
      "emcee.config.yaml": "auth:\n  jwt:\n    issuer: https://issuer.example\n    audience: [https://mcp.example/mcp]\n",
      ".env": "EMCEE_AUTH_JWT_SECRET=a-very-long-shared-secret-of-at-least-32-bytes\n"
    })
    const { exit, output } = await run([dir, "--port", "8080"], { EMCEE_AUTH_API_KEYS_KEYS: "emk_topsecretkey:ci-bot" })
    expect(Exit.isSuccess(exit), String(exit)).toBe(true)
    expect(output).not.toContain("a-very-long-shared-secret")
    expect(output).not.toContain("topsecretkey")
    expect(output).toMatch(/auth\.jwt\.secret\s+<redacted>\s+\(EMCEE_AUTH_JWT_SECRET in .*\.env:1\)/)
    expect(output).toMatch(/auth\.apiKeys\.keys\s+<redacted>\s+\(EMCEE_AUTH_API_KEYS_KEYS \(environment\)\)/)
    expect(output).toMatch(/port\s+8080\s+\(--port\)/)
    expect(output).toMatch(/server\.name\s+secretive\s+\(.*package\.json name\)/)
    expect(output).toMatch(/auth\.jwt\.audience\s+\["https:\/\/mcp\.example\/mcp"\]\s+\(.*emcee\.config\.yaml:4\)/)
  })

  it("--json prints { config, sources } for scripts, secrets redacted", async () => {
    const dir = folder({ ".env": "EMCEE_AUTH_API_KEYS_KEYS=emk_topsecretkey:ci-bot\nEMCEE_MIDDLEWARE_TIMEOUT=30s\n" })
    const { exit, output } = await run([dir, "--json"])
    expect(Exit.isSuccess(exit), String(exit)).toBe(true)
    const parsed = JSON.parse(output) as { config: Record<string, unknown>; sources: Record<string, string> }
    expect(parsed.config).toMatchObject({ transport: "stdio", port: 3000, middleware: { timeout: "30s", logging: false }, auth: { apiKeys: { keys: "<redacted>" } } })
    expect(parsed.sources["middleware.timeout"]).toMatch(/^EMCEE_MIDDLEWARE_TIMEOUT in .*\.env:2$/)
    expect(output).not.toContain("topsecretkey")
  })

  it("an invalid value fails with a CliError (exit 1) naming the key and its source", async () => {
    const { exit } = await run([folder({}), "--set", "port=99999"])
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).message).toBe(`invalid configuration: port = "99999" (from --set port): expected a port number from 0 to 65535, got "99999"`)
  })
})

describe("the library pieces configuration selects", () => {
  const ping = Tool.make("ping", { handler: () => Effect.succeed("pong") })
  const app = McpServer.register(ping).pipe(Layer.provideMerge(McpServer.layer({ name: "t", version: "1" })))

  it("middleware.rateLimit: a call past the burst is refused (-32000, RateLimited)", async () => {
    const { config } = await load(folder({ "emcee.config.yaml": "middleware:\n  logging: true\n  timeout: 5s\n  rateLimit:\n    perSecond: 0.001\n    burst: 3\n" }))
    const library = await Effect.runPromise(Library.build(config, ".", "serve"))
    expect(library.middleware.map((m) => m.name)).toEqual(["logging", "rate-limit", "timeout"])
    const outcome = await Effect.runPromise(
      Effect.gen(function*() {
        const transport = yield* MemoryTransport.make()
        const client = yield* McpClient.make({ transport, clientInfo: { name: "t", version: "1" } })
        // Every request spends a token (initialize too): calls succeed until the burst is spent.
        const first = yield* client.callTool("ping")
        const refused = yield* Effect.flip(Effect.repeatN(client.callTool("ping"), 5))
        return { first, second: refused }
      }).pipe(Effect.scoped, Effect.provide(Library.wrap(app, library)))
    )
    expect(outcome.first.content).toEqual([{ type: "text", text: "pong" }])
    expect(outcome.second.code).toBe(-32000)
    expect(outcome.second.message).toContain("Rate limit")
  })

  it("auth.apiKeys over HTTP: no key is 401 with WWW-Authenticate, the configured key is served", async () => {
    const { config } = await load(folder({}), { EMCEE_AUTH_API_KEYS_KEYS: "emk_test-key-123:ci-bot" })
    const library = await Effect.runPromise(Library.build(config, ".", "serve"))
    expect(library.authenticators).toHaveLength(1)
    const guard = await Effect.runPromise(Library.httpGuard(library, config))
    const statuses = await Effect.runPromise(
      Effect.gen(function*() {
        const running = yield* HttpTransport.make({ port: 0, ...(guard === undefined ? {} : { guard }) })
        const initialize = (headers: Record<string, string>) =>
          Effect.promise(() =>
            fetch(running.url, {
              method: "POST",
              headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
              body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } })
            })
          )
        const without = yield* initialize({})
        const withKey = yield* initialize({ "x-api-key": "emk_test-key-123" })
        return { without: without.status, challenge: without.headers.get("www-authenticate"), withKey: withKey.status }
      }).pipe(Effect.scoped, Effect.provide(Library.wrap(app, library)))
    )
    expect(statuses.without).toBe(401)
    expect(statuses.challenge).toMatch(/^Bearer/)
    expect(statuses.withKey).toBe(200)
  })

  it("auth over stdio without a credential in auth.tokenVariable fails naming the variable", async () => {
    const { config } = await load(folder({}), { EMCEE_AUTH_API_KEYS_KEYS: "emk_test-key-123:ci-bot", EMCEE_AUTH_TOKEN_VARIABLE: "EMCEE_TEST_NO_SUCH_TOKEN" })
    const library = await Effect.runPromise(Library.build(config, ".", "serve"))
    const error = await failure(Library.stdioContext(library, config, "serve"))
    expect(error.message).toMatch(/^auth is configured but \$EMCEE_TEST_NO_SUCH_TOKEN holds no valid credential/)
  })

  it("invalid inline API keys name the key", async () => {
    const { config } = await load(folder({}), { EMCEE_AUTH_API_KEYS_KEYS: "[not json" })
    const error = await failure(Library.build(config, ".", "serve"))
    expect(error.message).toMatch(/^invalid configuration: auth\.apiKeys\.keys: /)
    expect(error.message).not.toContain("[not json")
  })
})
