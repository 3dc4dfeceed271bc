/**
 * A tool's failures (spec 2025-11-25 server/tools "Error Handling"): declared
 * ones are typed by a Schema and reach the model encoded; undeclared ones say
 * what they say about themselves and no more; protocol errors are recognised
 * by a brand, not by a `_tag` string.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpError, Tool } from "@emcee/core"
import type { McpSchema } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Data, Effect, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { path: Schema.String, message: Schema.String }) {}
class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", { path: Schema.String }) {}
class Quota extends Data.TaggedError("Quota")<{ readonly message: string; readonly secretHost: string }> {}
class Silent extends Data.TaggedError("Silent")<{ readonly secretHost: string }> {}
/** A user's own error whose tag reads like a protocol error's. */
class InvalidParams extends Data.TaggedError("InvalidParams")<{ readonly message: string }> {}

const ReadFailure = Schema.Union(NotFound, Forbidden)

const read = Tool.make("read", {
  input: Schema.Struct({ path: Schema.String }),
  failure: ReadFailure,
  handler: ({ path }) =>
    path === "/secret" ? Effect.fail(new Forbidden({ path })) : Effect.fail(new NotFound({ path, message: "no such file" }))
})

const stat = Tool.make("stat", {
  input: Schema.Struct({ path: Schema.String }),
  output: Schema.Struct({ size: Schema.Number }),
  failure: NotFound,
  handler: ({ path }) => path === "/" ? Effect.succeed({ size: 0 }) : Effect.fail(new NotFound({ path, message: "no such file" }))
})

const declaredButProtocol = Tool.make("declared_protocol", {
  failure: NotFound,
  handler: () => Effect.fail(new McpError.InvalidParams({ message: "bad cursor" }))
})

/** A declared failure that is a plain struct, and one whose encoding is not an object. */
const coded = Tool.make("coded", {
  failure: Schema.Struct({ code: Schema.Number, message: Schema.String }),
  handler: () => Effect.fail({ code: 7, message: "rate limited" })
})
const stringly = Tool.make("stringly", {
  failure: Schema.Literal("busy", "offline"),
  handler: () => Effect.fail("busy" as const)
})

const undeclared = Tool.make("undeclared", {
  input: Schema.Struct({ kind: Schema.String }),
  handler: ({ kind }): Effect.Effect<string, unknown> => {
    switch (kind) {
      case "schema-tagged":
        return Effect.fail(new Forbidden({ path: "/etc/shadow" }))
      case "data-tagged":
        return Effect.fail(new Quota({ message: "quota exceeded", secretHost: "10.0.0.7" }))
      case "data-tagged-silent":
        return Effect.fail(new Silent({ secretHost: "10.0.0.7" }))
      case "error":
        return Effect.fail(new Error("the disk is full"))
      case "string":
        return Effect.fail("try again later")
      case "object":
        return Effect.fail({ host: "10.0.0.7", password: "hunter2" })
      case "number":
        return Effect.fail(42)
      case "long":
        return Effect.fail(new Error("x".repeat(100_000)))
      case "fake-protocol":
        return Effect.fail(new InvalidParams({ message: "my own invalid params" }))
      case "fake-protocol-object":
        return Effect.fail({ _tag: "InvalidParams", message: "looks like a protocol error" })
      default:
        return Effect.die(new Error("cannot connect to postgres://admin:hunter2@10.0.0.7/prod"))
    }
  }
})

const TestLayer = TestClient.layerWith({ name: "tool-failures", version: "1" }, read, stat, declaredButProtocol, coded, stringly, undeclared)

const texts = (result: McpSchema.CallToolResult): Array<string> => result.content.map((block) => block.type === "text" ? block.text : "")

describe("Declared failures (spec server/tools \"Error Handling\", \"Structured Content\", \"Output Schema\")", () => {
  it.scoped("a failure of the declared Schema is an isError result: readable text, the encoded failure as JSON text and structuredContent", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const notFound = yield* client.callTool("read", { path: "/nope" })
      expectSpec("CallToolResult", notFound)
      expect(notFound).toEqual({
        content: [
          { type: "text", text: "NotFound: no such file" },
          { type: "text", text: JSON.stringify({ path: "/nope", message: "no such file", _tag: "NotFound" }) }
        ],
        structuredContent: { path: "/nope", message: "no such file", _tag: "NotFound" },
        isError: true
      })
      const forbidden = yield* client.callTool("read", { path: "/secret" })
      expect(texts(forbidden)[0]).toBe("Forbidden")
      expect(forbidden.structuredContent).toEqual({ path: "/secret", _tag: "Forbidden" })
      expect(JSON.parse(texts(forbidden)[1]!)).toEqual(forbidden.structuredContent)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("with an outputSchema the failure is not structuredContent, which MUST conform to the outputSchema (Output Schema)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const listed = yield* client.listTools()
      expect(listed.tools.find((t) => t.name === "stat")?.outputSchema).toBeDefined()
      const result = yield* client.callTool("stat", { path: "/nope" })
      expectSpec("CallToolResult", result)
      expect(result.isError).toBe(true)
      expect(result.structuredContent).toBeUndefined()
      expect(texts(result)).toEqual(["NotFound: no such file", JSON.stringify({ path: "/nope", message: "no such file", _tag: "NotFound" })])
      expect(yield* client.callTool("stat", { path: "/" })).toEqual({ content: [{ type: "text", text: "{\"size\":0}" }], structuredContent: { size: 0 } })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a declared struct failure is structuredContent; one that does not encode to an object is JSON text only (schema.json CallToolResult.structuredContent is an object)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const structured = yield* client.callTool("coded")
      expectSpec("CallToolResult", structured)
      expect(structured).toEqual({
        content: [{ type: "text", text: "rate limited" }, { type: "text", text: "{\"code\":7,\"message\":\"rate limited\"}" }],
        structuredContent: { code: 7, message: "rate limited" },
        isError: true
      })
      const literal = yield* client.callTool("stringly")
      expectSpec("CallToolResult", literal)
      expect(literal).toEqual({ content: [{ type: "text", text: "busy" }, { type: "text", text: "\"busy\"" }], isError: true })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a protocol error from a tool with a declared failure stays a JSON-RPC error", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.callTool("declared_protocol"))
      expect(error.code).toBe(-32602)
      expect(error.message).toBe("bad cursor")
    }).pipe(Effect.provide(TestLayer)))
})

describe("Undeclared failures reach the model without internals (spec server/tools \"Error Handling\")", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["schema-tagged", "Forbidden"],
    ["data-tagged", "Quota: quota exceeded"],
    ["data-tagged-silent", "Silent"],
    ["error", "the disk is full"],
    ["string", "try again later"],
    ["object", McpError.genericFailureText],
    ["number", McpError.genericFailureText]
  ]
  for (const [kind, text] of cases) {
    it.scoped(`${kind}: an isError result saying "${text}"`, () =>
      Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const result = yield* client.callTool("undeclared", { kind })
        expectSpec("CallToolResult", result)
        expect(result).toEqual({ content: [{ type: "text", text }], isError: true })
        expect(JSON.stringify(result)).not.toContain("10.0.0.7")
        expect(JSON.stringify(result)).not.toContain("/etc/shadow")
      }).pipe(Effect.provide(TestLayer)))
  }

  it.scoped("a long message is clipped", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const [text] = texts(yield* client.callTool("undeclared", { kind: "long" }))
      expect(text!.length).toBe(1000)
      expect(text!.endsWith("…")).toBe(true)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a defect is -32603 \"Internal error\", never its text (basic/index \"Responses\")", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.callTool("undeclared", { kind: "defect" }))
      expect(error.code).toBe(-32603)
      expect(error.message).toBe("Internal error")
      expect(JSON.stringify(error)).not.toContain("hunter2")
    }).pipe(Effect.provide(TestLayer)))

  it("describe: tag and message, never a dump of a Schema.TaggedError's fields", () => {
    expect(new Forbidden({ path: "/x" }).message).toContain("/x") // what Schema makes up, and describe leaves out
    expect(McpError.describe(new Forbidden({ path: "/x" }))).toBe("Forbidden")
    expect(McpError.describe(new NotFound({ path: "/x", message: "no such file" }))).toBe("NotFound: no such file")
    expect(McpError.describe(new McpError.MethodNotFound({ method: "x/y" }))).toBe("MethodNotFound: Method not found: x/y")
    expect(McpError.describe(new TypeError("bad"))).toBe("bad")
    expect(McpError.describe(new Error(""))).toBe("Error")
    expect(McpError.describe(undefined)).toBe(McpError.genericFailureText)
    expect(McpError.describe({ get _tag(): string { throw new Error("getter") } })).toBe(McpError.genericFailureText)
  })
})

describe("Protocol errors are recognised by a brand, not a _tag (spec server/tools \"Error Handling\": protocol vs tool execution errors)", () => {
  it("isProtocolError holds for the protocol error classes and not for look-alikes", () => {
    expect(McpError.isProtocolError(new McpError.InvalidParams({ message: "x" }))).toBe(true)
    expect(McpError.isProtocolError(new McpError.ResourceNotFound({ uri: "file:///x" }))).toBe(true)
    expect(McpError.isProtocolError(new McpError.UrlElicitationRequired({ message: "x", elicitations: [] }))).toBe(true)
    expect(McpError.isProtocolError(new InvalidParams({ message: "x" }))).toBe(false)
    expect(McpError.isProtocolError({ _tag: "InternalError", message: "x" })).toBe(false)
    expect(McpError.isProtocolError(new McpError.ClientError({ method: "m", code: 1, message: "x" }))).toBe(false)
  })

  it("fromCause maps only branded failures to their code", () => {
    expect(McpError.fromCause(Effect.runSync(Effect.cause(Effect.fail(new InvalidParams({ message: "leak" })))))).toEqual({
      code: -32603,
      message: "Internal error"
    })
  })

  for (const kind of ["fake-protocol", "fake-protocol-object"]) {
    it.scoped(`a tool failing with a user's error tagged "InvalidParams" (${kind}) gets an isError result, not -32602`, () =>
      Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        const result = yield* client.callTool("undeclared", { kind })
        expect(result.isError).toBe(true)
        expect(texts(result)[0]).toMatch(/^InvalidParams: /)
      }).pipe(Effect.provide(TestLayer)))
  }
})
