import { describe, expect, it } from "@effect/vitest"
import { McpError, Middleware, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Context, Effect, Layer, Logger, LogLevel, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

class Audit extends Context.Tag("test/Audit")<Audit, { readonly entries: Array<string> }>() {}

/** Records every request it sees, from a service the app provides. */
const audit = Middleware.make<Audit>("audit", (request, next) =>
  Effect.flatMap(Audit, ({ entries }) => {
    entries.push(`> ${request.method}${request.primitive === undefined ? "" : ` ${request.primitive.kind}:${request.primitive.name}`}`)
    return Effect.tap(next, () => Effect.sync(() => entries.push(`< ${request.method}`)))
  }))

/** Alters results: stamps `_meta` on every tools/call result. */
const stamp = Middleware.make("stamp", (request, next) =>
  request.method === "tools/call" ? Effect.map(next, (result) => ({ ...result, _meta: { "example.com/stamped": true } })) : next)

/** Short-circuits: answers tools/call of "blocked" without running it. */
const block = Middleware.make("block", (request, next) =>
  request.primitive?.name === "blocked"
    ? Effect.succeed({ content: [{ type: "text", text: "blocked by policy" }], isError: true })
    : next)

let blockedRan = false
const blocked = Tool.make("blocked", { handler: () => Effect.sync(() => (blockedRan = true)).pipe(Effect.as("ran")) })

const echo = Tool.make("echo", {
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

/** Per-tool middleware: upper-cases the text result of this tool only. */
const shout = Tool.make("shout", {
  input: Schema.Struct({ text: Schema.String }),
  middleware: [
    Middleware.make("upper", (request, next) =>
      Effect.flatMap(Audit, ({ entries }) => {
        entries.push(`  per-tool ${request.primitive?.name}`)
        return Effect.map(next, (result) => ({
          ...result,
          content: (result.content as Array<{ type: string; text: string }>).map((b) => ({ ...b, text: b.text.toUpperCase() }))
        }))
      }))
  ],
  handler: ({ text }) => Effect.succeed(text)
})

const slow = Tool.make("slow", {
  middleware: [Middleware.timeout("20 millis")],
  handler: () => Effect.sleep("5 seconds").pipe(Effect.as("late"))
})

const makeAudit = () => {
  const entries: Array<string> = []
  return { entries, layer: Layer.succeed(Audit, { entries }) }
}

describe("Middleware (global and per tool)", () => {
  it.scoped("global middleware observes every request, outermost, with the primitive it addresses", () => {
    const { entries, layer } = makeAudit()
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.listTools()
      yield* client.callTool("shout", { text: "hi" })
      expect(entries).toEqual([
        "> initialize",
        "< initialize",
        "> tools/list",
        "< tools/list",
        "> tools/call tool:shout",
        "  per-tool shout",
        "< tools/call"
      ])
    }).pipe(Effect.provide(TestClient.layerWith({ name: "mw", version: "1" }, audit, echo, shout).pipe(Layer.provide(layer))))
  })

  it.scoped("middleware can alter the result", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.callTool("echo", { text: "hi" })
      expectSpec("CallToolResult", result)
      expect(result).toEqual({ content: [{ type: "text", text: "hi" }], _meta: { "example.com/stamped": true } })
    }).pipe(Effect.provide(TestClient.layerWith({ name: "mw", version: "1" }, stamp, echo))))

  it.scoped("middleware can short-circuit: the handler never runs", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.callTool("blocked")
      expectSpec("CallToolResult", result)
      expect(result).toEqual({ content: [{ type: "text", text: "blocked by policy" }], isError: true })
      expect(blockedRan).toBe(false)
      expect((yield* client.callTool("echo", { text: "ok" })).content).toEqual([{ type: "text", text: "ok" }])
    }).pipe(Effect.provide(TestClient.layerWith({ name: "mw", version: "1" }, block, blocked, echo))))

  it.scoped("per-tool middleware wraps only its tool", () => {
    const { layer } = makeAudit()
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* client.callTool("shout", { text: "hi" })).content).toEqual([{ type: "text", text: "HI" }])
      expect((yield* client.callTool("echo", { text: "hi" })).content).toEqual([{ type: "text", text: "hi" }])
    }).pipe(Effect.provide(TestClient.layerWith({ name: "mw", version: "1" }, echo, shout).pipe(Layer.provide(layer))))
  })

  it.scopedLive("Middleware.timeout interrupts a slow handler and answers -32603 saying so", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.callTool("slow"))
      expect(error).toMatchObject({ code: -32603, message: "tools/call slow timed out after 20 ms" })
    }).pipe(Effect.provide(TestClient.layerWith({ name: "mw", version: "1" }, slow))))

  it.scoped("Middleware.mapError rewrites protocol errors on their way out, or recovers with a result", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const rewritten = yield* Effect.flip(client.callTool("nope"))
      expect(rewritten).toMatchObject({ code: -32602, message: "No tool named that here" })
      const recovered = yield* client.request("prompts/get", { name: "nope" })
      expect(recovered).toEqual({ messages: [] })
    }).pipe(Effect.provide(TestClient.layerWith(
      { name: "mw", version: "1", capabilities: { prompts: true } },
      echo,
      Middleware.mapError((error, request) =>
        request.method === "prompts/get"
          ? Effect.succeed({ messages: [] })
          : error._tag === "InvalidParams"
          ? Effect.fail(new McpError.InvalidParams({ message: "No tool named that here" }))
          : Effect.fail(error))
    ))))

  it.scoped("Middleware.logging logs each request with its outcome through Effect's logger", () => {
    const lines: Array<string> = []
    const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${String(message)}`)))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.callTool("echo", { text: "hi" })
      yield* Effect.flip(client.callTool("nope"))
      expect(lines.some((l) => /^DEBUG tools\/call echo ok in [\d.]+ms$/.test(l))).toBe(true)
      expect(lines.some((l) => /^WARN tools\/call nope failed in [\d.]+ms/.test(l))).toBe(true)
    }).pipe(
      Effect.provide(TestClient.layerWith({ name: "mw", version: "1" }, Middleware.logging, echo)),
      Effect.provide(capture),
      Logger.withMinimumLogLevel(LogLevel.Debug)
    )
  })
})
