/**
 * MCP 2026-07-28 judged by its own schema.json (the copy in
 * `@emcee/testing/spec/2026-07-28`):
 *
 * - every schema.json definition has an Effect Schema in
 *   `McpSchema.definitions20260728`, and every example message the
 *   specification ships (`examples/<Definition>/*.json`) decodes with it and
 *   re-encodes unchanged;
 * - the Schemas and schema.json agree on broken variants of those examples
 *   (a key removed, a value of the wrong type);
 * - a real McpServer, driven through `Connection.handle` with 2026-07-28
 *   requests, answers every method with a result (or error) schema.json
 *   accepts under the matching definition, and that the Schemas decode.
 */
import { describe, expect, it } from "@effect/vitest"
import { Completion, type JsonRpc, Logging, McpSchema, McpServer, Progress, Prompt, Resource, ResourceTemplate, Tool } from "@emcee/core"
import * as SpecValidator from "@emcee/testing/SpecValidator"
import { Effect, Either, Layer, Schema, type Scope } from "effect"
import * as fc from "fast-check"

const spec = SpecValidator.fromFile(SpecValidator.schemaPath("2026-07-28"))
const examples = SpecValidator.examples("2026-07-28")

type AnySchema = Schema.Schema<unknown, unknown>
const definitions = McpSchema.definitions20260728 as unknown as Readonly<Record<string, AnySchema>>

/** The Schema of a 2026-07-28 definition; throws for a name without one. */
const schemaOf = (definition: string): AnySchema => {
  const schema = definitions[definition]
  if (schema === undefined) throw new Error(`McpSchema.definitions20260728 has no ${definition}`)
  return schema
}

/** ajv's verdict, with its errors and the value when it rejects. */
const specVerdict = (definition: string, value: unknown): string => {
  const outcome = spec.validate(definition, value)
  return outcome.valid ? "valid" : `${outcome.errors}\n${JSON.stringify(value)}`
}

/** The Schema's verdict, worded like `specVerdict`. */
const schemaVerdict = (definition: string, value: unknown): string => {
  const decoded = Schema.decodeUnknownEither(schemaOf(definition))(value)
  return Either.isRight(decoded) ? "valid" : `${decoded.left.message}\n${JSON.stringify(value)}`
}

/** Both judges accept `value` as a `definition`. */
const expectBoth = (definition: string, value: unknown): void => {
  expect(specVerdict(definition, value)).toBe("valid")
  expect(schemaVerdict(definition, value)).toBe("valid")
}

/**
 * Example types with no emcee Schema, each with the reason. Empty: every
 * 2026-07-28 definition has one. A new example type must either get a
 * Schema (an entry in `definitions20260728`) or a reason here.
 */
const withoutSchema: Readonly<Record<string, string>> = {}

// -----------------------------------------------------------------------------
// (a) Definitions and the spec's examples
// -----------------------------------------------------------------------------

describe("McpSchema covers the 2026-07-28 schema.json (spec 2026-07-28 schema)", () => {
  it("definitions20260728 has a Schema for every schema.json definition and nothing else", () => {
    expect(Object.keys(definitions).sort()).toEqual([...spec.definitionNames].sort())
    expect(Object.entries(definitions).filter(([, schema]) => !Schema.isSchema(schema)).map(([name]) => name)).toEqual([])
  })

  it("the Schemas carry the spec's names (a decoding error names the definition)", () => {
    const unnamed = Object.entries(definitions).filter(([name, schema]) => !String(schema).includes(name)).map(([name]) => name)
    expect(unnamed).toEqual([])
  })

  it("the spec ships examples, and every example type has a Schema or a recorded reason why not", () => {
    expect(examples.length).toBeGreaterThan(100)
    const types = [...new Set(examples.map((e) => e.definition))]
    expect(types.filter((type) => definitions[type] === undefined && withoutSchema[type] === undefined)).toEqual([])
    // No stale reason: a type listed without a Schema still has examples and still lacks a Schema.
    expect(Object.keys(withoutSchema).filter((type) => !types.includes(type) || definitions[type] !== undefined)).toEqual([])
  })
})

describe("Every example shipped with spec 2026-07-28 decodes and re-encodes unchanged (spec 2026-07-28 examples/)", () => {
  for (const { definition, file, value } of examples.filter((e) => withoutSchema[e.definition] === undefined)) {
    it(`${definition}/${file}`, () => {
      // The example is what schema.json says it is...
      expect(specVerdict(definition, value)).toBe("valid")
      // ...and the Schema decodes it, then encodes exactly the original JSON.
      const schema = schemaOf(definition)
      const decoded = Schema.decodeUnknownSync(schema)(value)
      expect(Schema.encodeSync(schema)(decoded)).toStrictEqual(value)
    })
  }
})

// -----------------------------------------------------------------------------
// The Schemas and schema.json agree on broken examples
// -----------------------------------------------------------------------------

type Path = ReadonlyArray<string | number>

/** Every path to an object key or array element under `value`, depth first. */
const paths = (value: unknown, at: Path = []): Array<Path> => {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...at, i], ...paths(v, [...at, i])])
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])])
  }
  return []
}

/** A copy of `value` with the item at `path` replaced by `f(item)`, or removed when `f` returns undefined. */
const edit = (value: unknown, path: Path, f: (item: unknown) => unknown): unknown => {
  if (path.length === 0) return f(value)
  const [head, ...rest] = path
  if (Array.isArray(value)) {
    const copy = [...value]
    const next = edit(copy[head as number], rest, f)
    if (next === undefined) copy.splice(head as number, 1)
    else copy[head as number] = next
    return copy
  }
  const copy = { ...(value as Record<string, unknown>) }
  const next = edit(copy[head as string], rest, f)
  if (next === undefined) delete copy[head as string]
  else copy[head as string] = next
  return copy
}

/** A value of another JSON type than `item`. */
const retype = (item: unknown): unknown =>
  typeof item === "string" ? 42 : typeof item === "number" ? String(item) : typeof item === "boolean" ? "true" : "not-an-object"

describe("The Schemas accept exactly what schema.json accepts on broken examples (spec 2026-07-28 schema)", () => {
  it("removing any key or array item, or retyping any value, of any example gets the same verdict from both", () => {
    const disagreements: Array<string> = []
    let judged = 0
    for (const { definition, file, value } of examples.filter((e) => withoutSchema[e.definition] === undefined)) {
      const is = Schema.is(schemaOf(definition))
      for (const path of paths(value)) {
        for (const [how, broken] of [["without", edit(value, path, () => undefined)], ["retyped", edit(value, path, retype)]] as const) {
          judged++
          const ajv = spec.validate(definition, broken).valid
          const effect = is(broken)
          if (ajv === effect) continue
          disagreements.push(`${definition}/${file} ${how} ${path.join(".")}: schema.json ${ajv ? "accepts" : "rejects"}, Schema ${effect ? "accepts" : "rejects"}`)
        }
      }
    }
    expect(judged).toBeGreaterThan(1000)
    expect(disagreements).toEqual([])
  })

  it("request params without the required per-request _meta fields are rejected (basic/index \"Per-request protocol fields\")", () => {
    const meta = { [McpSchema.MetaKey.protocolVersion]: "2026-07-28", [McpSchema.MetaKey.clientCapabilities]: {} }
    expectBoth("CallToolRequestParams", { name: "t", _meta: meta })
    for (const broken of [{ name: "t" }, { name: "t", _meta: { [McpSchema.MetaKey.protocolVersion]: "2026-07-28" } }]) {
      expect(spec.validate("CallToolRequestParams", broken).valid).toBe(false)
      expect(Schema.is(McpSchema.CallToolRequestParams2026)(broken)).toBe(false)
    }
    // The 2025-11-25 Schema keeps its meaning: no _meta needed.
    expect(Schema.is(McpSchema.CallToolRequestParams)({ name: "t" })).toBe(true)
  })

  it("MetaKey names the reserved _meta keys of 2026-07-28 (basic/index \"_meta\")", () => {
    expect(McpSchema.MetaKey).toMatchObject({
      protocolVersion: "io.modelcontextprotocol/protocolVersion",
      clientInfo: "io.modelcontextprotocol/clientInfo",
      clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
      logLevel: "io.modelcontextprotocol/logLevel",
      serverInfo: "io.modelcontextprotocol/serverInfo",
      subscriptionId: "io.modelcontextprotocol/subscriptionId",
      traceparent: "traceparent",
      tracestate: "tracestate",
      baggage: "baggage"
    })
  })
})

// -----------------------------------------------------------------------------
// (b) A real server's 2026-07-28 answers
// -----------------------------------------------------------------------------

const weather = Tool.make("get_weather", {
  title: "Weather",
  description: "Current weather for a location",
  input: Schema.Struct({ location: Schema.String }),
  output: Schema.Struct({ temperature: Schema.Number, conditions: Schema.String }),
  annotations: { readOnlyHint: true },
  handler: ({ location }) => Effect.succeed({ temperature: location.length + 0.5, conditions: "Partly cloudy" })
})

const fail = Tool.make("fail", {
  description: "A tool execution error",
  handler: () => Effect.fail(new Error("the upstream API is down"))
})

const boom = Tool.make("boom", { description: "A defect", handler: () => Effect.die(new Error("kaboom")) })

const chatty = Tool.make("chatty", {
  description: "Logs and reports progress",
  handler: () =>
    Effect.gen(function*() {
      yield* Logging.log("debug", { step: "start" }, "chatty")
      yield* Progress.report(1, { total: 2, message: "half way" })
      yield* Logging.log("warning", "almost done")
      yield* Progress.report(2, { total: 2 })
      return "done"
    })
})

/** The result the `replay` tool returns next (set by the property test). */
let replayed: Tool.Result = "nothing yet"
const replay = Tool.make("replay", { description: "Returns what the test set", handler: () => Effect.sync(() => replayed) })

const review = Prompt.make({
  name: "code_review",
  title: "Request Code Review",
  description: "Asks the LLM to review code",
  args: Schema.Struct({ language: Schema.String, code: Schema.String }),
  render: ({ code, language }) => Effect.succeed([Prompt.user(`Review this ${language}:\n${code}`)]),
  complete: { language: Completion.fromValues(["python", "pytorch", "rust"]) }
})

const readme = Resource.make({
  uri: "file:///project/README.md",
  name: "README.md",
  mimeType: "text/markdown",
  read: () => Effect.succeed(Resource.text("# Project"))
})

const logo = Resource.make({
  uri: "file:///project/logo.png",
  name: "logo.png",
  mimeType: "image/png",
  read: () => Effect.succeed(Resource.blob(new Uint8Array([137, 80, 78, 71])))
})

const files = ResourceTemplate.make({
  uriTemplate: "file:///project/{path}",
  name: "Project files",
  params: Schema.Struct({ path: Schema.String }),
  read: ({ path }) => Effect.succeed(Resource.text(`contents of ${path}`, "text/plain")),
  complete: { path: Completion.fromValues(["notes.txt", "news.md", "todo.txt"]) }
})

const registered = [weather, fail, boom, replay, chatty, review, readme, logo, files] as const

const App = McpServer.register(...registered).pipe(
  Layer.provideMerge(McpServer.layer({ name: "spec-2026", version: "2.0.0", instructions: "Ask for the weather." }))
)

/** The same server, one item per page (spec 2026-07-28 server/utilities/pagination). */
const PagedApp = McpServer.register(...registered).pipe(
  Layer.provideMerge(McpServer.layer({ name: "spec-2026", version: "2.0.0", pageSize: 1 }))
)

const meta = {
  [McpSchema.MetaKey.protocolVersion]: "2026-07-28",
  [McpSchema.MetaKey.clientCapabilities]: {},
  [McpSchema.MetaKey.clientInfo]: { name: "spec-client", version: "1.0.0" }
}

let nextId = 0
const request = (method: string, params: Record<string, unknown> = {}, requestMeta: Record<string, unknown> = meta) => ({
  jsonrpc: "2.0",
  id: ++nextId,
  method,
  params: { ...params, _meta: requestMeta }
})

/** Messages the server sent on connections opened by `connect`, in order. */
const sent: Array<JsonRpc.Message> = []

/** A connection to the server (no initialize: 2026-07-28 is stateless); what it sends lands in `sent`. */
const connect = Effect.gen(function*() {
  const server = yield* McpServer.McpServer
  return yield* server.connect({ send: (message) => Effect.sync(() => void sent.push(message)) })
})

/** A test with a fresh server (by default `App`) for its whole length. */
const serverTest = <A, E>(
  name: string,
  body: () => Effect.Effect<A, E, McpServer.McpServer | Scope.Scope>,
  layer: Layer.Layer<McpServer.McpServer> = App
) => it.scoped(name, () => Effect.asVoid(Effect.zipRight(Effect.sync(() => sent.splice(0)), body())).pipe(Effect.provide(layer)))

/** Sends one message through `Connection.handle` and returns the response. */
const exchange = (message: unknown) =>
  Effect.gen(function*() {
    const connection = yield* connect
    const response = yield* connection.handle(message)
    expect(response).toBeDefined()
    return response as JsonRpc.Response & { readonly [key: string]: unknown }
  })

type Success = { readonly result: { readonly [key: string]: unknown } }

/**
 * Sends a request and checks its success against the method's
 * `*ResultResponse` and its result against `resultDefinition`, with both
 * schema.json and the Schemas; every 2026-07-28 result is `complete` and
 * carries the serverInfo (spec 2026-07-28 basic/index "Result Responses", "_meta").
 */
const succeeds = (method: string, params: Record<string, unknown>, resultDefinition: string) =>
  Effect.gen(function*() {
    const response = yield* exchange(request(method, params))
    expect(response, JSON.stringify(response)).toHaveProperty("result")
    const responseDefinition = SpecValidator.resultResponseDefinitions20260728[method]!
    expectBoth(responseDefinition, response)
    expectBoth("JSONRPCResponse", response)
    const result = (response as unknown as Success).result
    expectBoth(resultDefinition, result)
    expect(result).toMatchObject({
      resultType: "complete",
      _meta: { [McpSchema.MetaKey.serverInfo]: { name: "spec-2026", version: "2.0.0" } }
    })
    return result
  })

/**
 * Sends a message and checks the error: its `error` against the definition
 * of its code, the whole response against JSONRPCErrorResponse (or the MCP
 * code's own definition).
 */
const fails = (message: unknown, code: number) =>
  Effect.gen(function*() {
    const response = yield* exchange(message)
    expect(response).toMatchObject({ jsonrpc: "2.0", error: { code } })
    const error = (response as unknown as { readonly error: unknown }).error
    const errorDefinition = SpecValidator.errorDefinitions20260728[code]
    if (errorDefinition !== undefined) expectBoth(errorDefinition, error)
    expectBoth(SpecValidator.errorResponseDefinitions20260728[code] ?? "JSONRPCErrorResponse", response)
    expectBoth("JSONRPCResponse", response)
    return response
  })

describe("A server's 2026-07-28 results validate against schema.json (spec 2026-07-28 server/*)", () => {
  serverTest("server/discover: versions, capabilities, caching hints (server/discover)", () =>
    Effect.gen(function*() {
      const result = yield* succeeds("server/discover", {}, "DiscoverResult")
      expect(result).toMatchObject({
        supportedVersions: expect.arrayContaining(["2026-07-28"]),
        capabilities: { tools: {}, prompts: {}, resources: {}, completions: {} },
        instructions: "Ask for the weather."
      })
    }))

  serverTest("tools/list: every tool with its schemas, cacheable (server/tools \"Listing Tools\", server/utilities/caching)", () =>
    Effect.gen(function*() {
      const result = yield* succeeds("tools/list", {}, "ListToolsResult")
      expect((result.tools as ReadonlyArray<{ name: string }>).map((t) => t.name)).toEqual(["get_weather", "fail", "boom", "replay", "chatty"])
      expect(result).toMatchObject({ ttlMs: expect.any(Number), cacheScope: expect.stringMatching(/^(public|private)$/) })
      for (const tool of result.tools as ReadonlyArray<unknown>) expectBoth("Tool", tool)
    }))

  serverTest("tools/call: a success with structured content (server/tools \"Structured Content\")", () =>
    Effect.gen(function*() {
      const result = yield* succeeds("tools/call", { name: "get_weather", arguments: { location: "Paris" } }, "CallToolResult")
      expect(result).toMatchObject({ structuredContent: { temperature: 5.5, conditions: "Partly cloudy" } })
      expect(result.isError).not.toBe(true)
    }))

  serverTest("tools/call: a tool execution error is an isError result (server/tools \"Error Handling\")", () =>
    Effect.gen(function*() {
      const result = yield* succeeds("tools/call", { name: "fail" }, "CallToolResult")
      expect(result).toMatchObject({ isError: true, content: [{ type: "text", text: expect.stringContaining("upstream API is down") }] })
    }))

  serverTest("prompts/list and prompts/get (server/prompts)", () =>
    Effect.gen(function*() {
      const list = yield* succeeds("prompts/list", {}, "ListPromptsResult")
      expect(list.prompts).toEqual([expect.objectContaining({ name: "code_review", arguments: expect.any(Array) })])
      const got = yield* succeeds("prompts/get", { name: "code_review", arguments: { language: "rust", code: "fn main() {}" } }, "GetPromptResult")
      expect(got.messages).toEqual([{ role: "user", content: { type: "text", text: "Review this rust:\nfn main() {}" } }])
    }))

  serverTest("resources/list, resources/templates/list and resources/read of text and blob (server/resources)", () =>
    Effect.gen(function*() {
      const list = yield* succeeds("resources/list", {}, "ListResourcesResult")
      expect((list.resources as ReadonlyArray<{ uri: string }>).map((r) => r.uri)).toEqual(["file:///project/README.md", "file:///project/logo.png"])
      const templates = yield* succeeds("resources/templates/list", {}, "ListResourceTemplatesResult")
      expect(templates.resourceTemplates).toEqual([expect.objectContaining({ uriTemplate: "file:///project/{path}" })])
      const text = yield* succeeds("resources/read", { uri: "file:///project/README.md" }, "ReadResourceResult")
      expect(text.contents).toEqual([{ uri: "file:///project/README.md", mimeType: "text/markdown", text: "# Project" }])
      const blob = yield* succeeds("resources/read", { uri: "file:///project/logo.png" }, "ReadResourceResult")
      expect(blob.contents).toEqual([{ uri: "file:///project/logo.png", mimeType: "image/png", blob: "iVBORw==" }])
      const templated = yield* succeeds("resources/read", { uri: "file:///project/notes.txt" }, "ReadResourceResult")
      expect(templated.contents).toEqual([{ uri: "file:///project/notes.txt", mimeType: "text/plain", text: "contents of notes.txt" }])
    }))

  serverTest("completion/complete for a prompt argument and a template variable (server/utilities/completion)", () =>
    Effect.gen(function*() {
      const prompt = yield* succeeds(
        "completion/complete",
        { ref: { type: "ref/prompt", name: "code_review" }, argument: { name: "language", value: "py" } },
        "CompleteResult"
      )
      expect(prompt.completion).toMatchObject({ values: ["python", "pytorch"] })
      const template = yield* succeeds(
        "completion/complete",
        { ref: { type: "ref/resource", uri: "file:///project/{path}" }, argument: { name: "path", value: "no" } },
        "CompleteResult"
      )
      expect(template.completion).toMatchObject({ values: ["notes.txt"] })
    }))

  serverTest("a tool result carrying its own _meta keeps it beside serverInfo (basic/index \"_meta\")", () =>
    Effect.gen(function*() {
      replayed = { content: [{ type: "text", text: "hi" }], _meta: { "com.example/trace": "t-1" } }
      const result = yield* succeeds("tools/call", { name: "replay" }, "CallToolResult")
      expect(result._meta).toMatchObject({ "com.example/trace": "t-1" })
    }))
})

describe("A server's 2026-07-28 notifications and pages validate against schema.json (spec 2026-07-28)", () => {
  serverTest("progress and log notifications of a request are ServerNotifications (basic/patterns/progress, server/utilities/logging)", () =>
    Effect.gen(function*() {
      const response = yield* exchange(request("tools/call", { name: "chatty" }, {
        ...meta,
        progressToken: "p-1",
        [McpSchema.MetaKey.logLevel]: "debug"
      }))
      expectBoth("CallToolResultResponse", response)
      const notifications = sent.filter((m) => "method" in m && !("id" in m))
      expect(notifications.map((n) => (n as { method: string }).method)).toEqual([
        "notifications/message",
        "notifications/progress",
        "notifications/message",
        "notifications/progress"
      ])
      for (const notification of notifications) {
        expectBoth("ServerNotification", notification)
        expectBoth("JSONRPCNotification", notification)
        const method = (notification as { method: string }).method
        expectBoth(method === "notifications/progress" ? "ProgressNotification" : "LoggingMessageNotification", notification)
      }
      expect(notifications[1]).toMatchObject({ params: { progressToken: "p-1", progress: 1, total: 2, message: "half way" } })
    }))

  serverTest("without a logLevel in _meta a request gets no log notifications (server/utilities/logging)", () =>
    Effect.gen(function*() {
      yield* exchange(request("tools/call", { name: "chatty" }))
      expect(sent.filter((m) => "method" in m && m.method === "notifications/message")).toEqual([])
    }))

  serverTest("every page of every list is a valid cacheable result, and the cursor leads on (server/utilities/pagination)", () =>
    Effect.gen(function*() {
      for (const [method, definition, key] of [
        ["tools/list", "ListToolsResult", "tools"],
        ["prompts/list", "ListPromptsResult", "prompts"],
        ["resources/list", "ListResourcesResult", "resources"],
        ["resources/templates/list", "ListResourceTemplatesResult", "resourceTemplates"]
      ] as const) {
        const seen: Array<unknown> = []
        let cursor: string | undefined = undefined
        do {
          const page: Success["result"] = yield* succeeds(method, cursor === undefined ? {} : { cursor }, definition)
          expect((page[key] as ReadonlyArray<unknown>).length).toBeLessThanOrEqual(1)
          seen.push(...(page[key] as ReadonlyArray<unknown>))
          cursor = page.nextCursor as string | undefined
        } while (cursor !== undefined)
        expect(seen.length, method).toBe({ tools: 5, prompts: 1, resources: 2, resourceTemplates: 1 }[key])
      }
    }), PagedApp)

  serverTest("an invalid cursor is -32602 InvalidParamsError (server/utilities/pagination \"Error Handling\")", () =>
    fails(request("tools/list", { cursor: "not-a-cursor" }), -32602), PagedApp)
})

describe("A server's 2026-07-28 errors validate against schema.json (spec 2026-07-28 basic/index \"Error Codes\")", () => {
  serverTest("an unknown method is -32601 MethodNotFoundError", () => fails(request("nope/nothing"), -32601))

  serverTest("a method 2026-07-28 removed (ping) is -32601 (changelog)", () => fails(request("ping"), -32601))

  serverTest("an unknown tool is -32602 InvalidParamsError (server/tools \"Error Handling\")", () =>
    fails(request("tools/call", { name: "no_such_tool" }), -32602))

  serverTest("an unknown prompt is -32602 InvalidParamsError (server/prompts \"Error Handling\")", () =>
    fails(request("prompts/get", { name: "no_such_prompt" }), -32602))

  serverTest("an unknown resource is -32602 InvalidParamsError, not -32002 (server/resources \"Error Handling\")", () =>
    fails(request("resources/read", { uri: "file:///nowhere" }), -32602))

  serverTest("params without the required _meta clientCapabilities are -32602 (basic/index \"Per-request protocol fields\")", () =>
    fails(request("tools/list", {}, { [McpSchema.MetaKey.protocolVersion]: "2026-07-28" }), -32602))

  serverTest("an unsupported protocol version is -32022 UnsupportedProtocolVersionError with supported and requested (basic/versioning)", () =>
    Effect.gen(function*() {
      const response = yield* fails(request("tools/list", {}, { ...meta, [McpSchema.MetaKey.protocolVersion]: "1900-01-01" }), -32022)
      expect(response).toMatchObject({ error: { data: { requested: "1900-01-01", supported: expect.arrayContaining(["2026-07-28"]) } } })
    }))

  serverTest("a handler defect is -32603 InternalError without the defect's text (basic/index \"Error Codes\")", () =>
    Effect.gen(function*() {
      const response = yield* fails(request("tools/call", { name: "boom" }), -32603)
      expect(JSON.stringify(response)).not.toContain("kaboom")
    }))
})

// -----------------------------------------------------------------------------
// Property: any tool result a handler returns is a valid 2026-07-28 result
// -----------------------------------------------------------------------------

/** Base64 of arbitrary bytes (schema.json: `format: byte`). */
const base64 = fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString("base64"))
/** A URI schema.json's `format: uri` accepts. */
const uri = fc.webPath().map((p) => `https://example.com${p.startsWith("/") ? p : `/${p}`}`).filter((u) => !/\s/.test(u))
const vendorMeta = fc.dictionary(fc.constantFrom("com.example/a", "com.example/b", "org.test/c"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 })
const annotations = fc.record(
  { audience: fc.subarray(["user", "assistant"] as const), priority: fc.double({ min: 0, max: 1, noNaN: true }) },
  { requiredKeys: [] }
)
const block: fc.Arbitrary<McpSchema.ContentBlock> = fc.oneof(
  fc.record({ type: fc.constant("text" as const), text: fc.string(), annotations, _meta: vendorMeta }, { requiredKeys: ["type", "text"] }),
  fc.record({ type: fc.constant("image" as const), data: base64, mimeType: fc.constantFrom("image/png", "image/jpeg") }),
  fc.record({ type: fc.constant("audio" as const), data: base64, mimeType: fc.constant("audio/wav") }),
  fc.record(
    { type: fc.constant("resource_link" as const), uri, name: fc.string(), size: fc.nat(), description: fc.string() },
    { requiredKeys: ["type", "uri", "name"] }
  ),
  fc.record({
    type: fc.constant("resource" as const),
    resource: fc.oneof(fc.record({ uri, text: fc.string() }), fc.record({ uri, blob: base64, mimeType: fc.constant("application/octet-stream") }))
  })
)
const toolResult: fc.Arbitrary<Tool.Result> = fc.oneof(
  fc.string(),
  fc.array(block, { maxLength: 4 }),
  fc.record(
    {
      content: fc.array(block, { maxLength: 4 }),
      structuredContent: fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      isError: fc.boolean(),
      _meta: vendorMeta
    },
    { requiredKeys: ["content"] }
  )
)

describe("Property: whatever a tool handler returns, the 2026-07-28 answer is schema-valid (server/tools \"Tool Result\")", () => {
  serverTest("tools/call of generated results validates as CallToolResultResponse under schema.json and the Schema", () =>
    Effect.gen(function*() {
      const connection = yield* connect
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(toolResult, async (generated) => {
            replayed = generated
            const response = await Effect.runPromise(connection.handle(request("tools/call", { name: "replay" })))
            expectBoth("CallToolResultResponse", response)
            expect(response).toMatchObject({ result: { resultType: "complete" } })
          }),
          { numRuns: 150 }
        )
      )
    }))
})
