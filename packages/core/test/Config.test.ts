/**
 * `McpServer.layerConfig`: the server's options read from Effect `Config`
 * (`SERVER_*` keys by default), a missing or bad value a `ConfigError`
 * naming the key, surfaced as the Layer's error.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Config, ConfigError, ConfigProvider, Effect, Exit, Option } from "effect"
import { McpServer } from "../src/index.js"

/** Environment-style keys (`SERVER_NAME`), as `ConfigProvider.fromEnv` reads them. */
const env = (entries: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(entries)), { pathDelim: "_" })

const keysOf = (error: ConfigError.ConfigError): Array<string> =>
  error._op === "And" || error._op === "Or" ? [...keysOf(error.left), ...keysOf(error.right)] : [error.path.join("_")]

const buildError = (entries: Record<string, string>) =>
  Effect.gen(function*() {
    const exit = yield* McpServer.McpServer.pipe(Effect.provide(McpServer.layerConfig()), Effect.withConfigProvider(env(entries)), Effect.exit)
    if (Exit.isSuccess(exit)) throw new Error("expected a failure")
    const error = Option.getOrUndefined(Cause.failureOption(exit.cause))
    if (!ConfigError.isConfigError(error)) throw new Error(`expected a ConfigError, got ${Cause.pretty(exit.cause)}`)
    return error
  })

describe("McpServer.layerConfig", () => {
  it.effect("reads the options from SERVER_* keys", () =>
    Effect.gen(function*() {
      const options = yield* McpServer.config().pipe(
        Effect.withConfigProvider(env({
          SERVER_NAME: "demo",
          SERVER_VERSION: "1.2.3",
          SERVER_TITLE: "Demo",
          SERVER_DESCRIPTION: "A demo",
          SERVER_WEBSITE_URL: "https://demo.example",
          SERVER_INSTRUCTIONS: "Be nice",
          SERVER_PAGE_SIZE: "10",
          SERVER_TRACING: "false",
          SERVER_CLIENT_REQUEST_TIMEOUT: "30s",
          SERVER_CAPABILITIES: "tools, prompts"
        }))
      )
      expect(options).toEqual({
        name: "demo",
        version: "1.2.3",
        title: "Demo",
        description: "A demo",
        websiteUrl: "https://demo.example",
        instructions: "Be nice",
        pageSize: 10,
        tracing: false,
        clientRequestTimeoutMillis: 30_000,
        capabilities: { tools: true, prompts: true }
      })
    }))

  it.effect("only name and version are required; a prefix nests the keys", () =>
    Effect.gen(function*() {
      const options = yield* McpServer.config("MCP").pipe(
        Effect.withConfigProvider(env({ MCP_SERVER_NAME: "demo", MCP_SERVER_VERSION: "1.0.0", SERVER_NAME: "other" }))
      )
      expect(options).toEqual({ name: "demo", version: "1.0.0" })
    }))

  it.effect("builds the server from config", () =>
    Effect.gen(function*() {
      const server = yield* McpServer.McpServer.pipe(
        Effect.provide(McpServer.layerConfig()),
        Effect.withConfigProvider(env({ SERVER_NAME: "from-config", SERVER_VERSION: "2.0.0", SERVER_TITLE: "From config" }))
      )
      expect(server.serverInfo).toMatchObject({ name: "from-config", version: "2.0.0", title: "From config" })
    }))

  it.effect("a missing name fails the Layer with a ConfigError naming SERVER_NAME", () =>
    Effect.gen(function*() {
      const error = yield* buildError({ SERVER_VERSION: "1.0.0" })
      expect(keysOf(error)).toEqual(["SERVER_NAME"])
    }))

  it.effect("a bad value fails the Layer with a ConfigError naming the key", () =>
    Effect.gen(function*() {
      for (
        const [key, value] of [
          ["SERVER_PAGE_SIZE", "0"],
          ["SERVER_PAGE_SIZE", "many"],
          ["SERVER_TRACING", "sometimes"],
          ["SERVER_CLIENT_REQUEST_TIMEOUT", "later"],
          ["SERVER_CAPABILITIES", "tools,telepathy"]
        ] as const
      ) {
        const error = yield* buildError({ SERVER_NAME: "demo", SERVER_VERSION: "1.0.0", [key]: value })
        expect(keysOf(error)).toEqual([key])
      }
    }))

  it.effect("layerConfig accepts any Config of options (e.g. with icons added)", () =>
    Effect.gen(function*() {
      const server = yield* McpServer.McpServer.pipe(
        Effect.provide(McpServer.layerConfig(
          Config.map(McpServer.config(), (options) => ({ ...options, websiteUrl: "https://x.example" }))
        )),
        Effect.withConfigProvider(env({ SERVER_NAME: "demo", SERVER_VERSION: "1.0.0" }))
      )
      expect(server.serverInfo.websiteUrl).toBe("https://x.example")
    }))
})
