/**
 * The "everything" example: one server exposing every MCP 2025-11-25 feature
 * emcee supports, with the exact names and payloads the official conformance
 * suite (`@modelcontextprotocol/conformance`, `--suite active`) expects, plus
 * a few extras for interop tests (roots, cancellation, dynamic tools,
 * structured output, URL elicitation).
 *
 * Built only with the public `@emcee/core` API; `main.ts` serves it over
 * stdio or Streamable HTTP.
 *
 * @since 0.1.0
 */
import {
  Completion,
  Content,
  Elicitation,
  Logging,
  McpServer,
  Progress,
  Prompt,
  RequestContext,
  Resource,
  ResourceTemplate,
  Roots,
  Sampling,
  Tool
} from "@emcee/core"
import type { McpSchema } from "@emcee/core"
import { randomUUID } from "node:crypto"
import { Effect, Layer, Queue, Ref, Schema } from "effect"
import { CustomHeaders } from "./customHeaders.js"
import { Stateless } from "./stateless.js"
import { Tasks } from "./tasks.js"

/** A 1x1 red PNG (the conformance suite's test image). */
export const TEST_IMAGE_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="

/** A minimal WAV file (the conformance suite's test audio). */
export const TEST_AUDIO_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

/** URIs of the example's resources. */
export const Uris = {
  staticText: "test://static-text",
  staticBinary: "test://static-binary",
  watched: "test://watched-resource",
  longRunningStats: "test://long-running/stats",
  template: "test://template/{id}/data"
} as const

/** The name of the tool `test_dynamic_tool` adds and removes. */
export const DYNAMIC_TOOL_NAME = "test_dynamic_tool_added"

/** What `initialize` says about this server (spec basic/lifecycle "Initialization"). */
export const serverOptions: McpServer.Options = {
  name: "emcee-everything",
  version: "0.1.0",
  title: "emcee Everything",
  description: "Exercises every MCP 2025-11-25 server feature",
  icons: [{ src: `data:image/png;base64,${TEST_IMAGE_BASE64}`, mimeType: "image/png", sizes: ["1x1"] }],
  websiteUrl: "https://github.com/emcee/emcee",
  instructions:
    "A test server: every tool, resource and prompt is named test_* or test://... and returns fixed data for conformance and interop tests.",
  // Tools are added at runtime by test_dynamic_tool, so list_changed is always advertised.
  capabilities: { tools: true, resources: true, prompts: true, completions: true }
}

/** Counters of `test_long_running`, readable as the `test://long-running/stats` resource (a side channel for cancellation tests). */
interface LongRunningStats {
  readonly started: number
  readonly completed: number
  readonly cancelled: number
}

/** Mutable state shared by the handlers of one App instance. */
interface State {
  readonly watched: Ref.Ref<string>
  readonly watchedVersion: Ref.Ref<number>
  readonly longRunning: Ref.Ref<LongRunningStats>
  readonly dynamicToolPresent: Ref.Ref<boolean>
}

/** The text of a sampling result, whatever shape its content has (spec client/sampling "Creating Messages"). */
const samplingText = (result: McpSchema.CreateMessageResult): string => {
  const blocks: ReadonlyArray<unknown> = Array.isArray(result.content) ? result.content : [result.content]
  return blocks
    .map((block) =>
      typeof block === "object" && block !== null && "type" in block && block.type === "text" && "text" in block
        ? String(block.text)
        : `[${typeof block === "object" && block !== null && "type" in block ? String(block.type) : "unknown"} content]`
    )
    .join("\n")
}

const elicitationSummary = (prefix: string, result: McpSchema.ElicitResult): string =>
  `${prefix}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`

// --- tools (spec 2025-11-25 server/tools) -----------------------------------------------------------

const simpleText = Tool.make("test_simple_text", {
  description: "Tests simple text content response",
  handler: () => Effect.succeed("This is a simple text response for testing.")
})

const imageContent = Tool.make("test_image_content", {
  description: "Tests image content response",
  handler: () => Effect.succeed([Content.image(TEST_IMAGE_BASE64, "image/png")])
})

const audioContent = Tool.make("test_audio_content", {
  description: "Tests audio content response",
  handler: () => Effect.succeed([Content.audio(TEST_AUDIO_BASE64, "audio/wav")])
})

const embeddedResource = Tool.make("test_embedded_resource", {
  description: "Tests embedded resource content response",
  handler: () =>
    Effect.succeed([
      Content.embedded({ uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." })
    ])
})

const multipleContentTypes = Tool.make("test_multiple_content_types", {
  description: "Tests response with multiple content types (text, image, resource)",
  handler: () =>
    Effect.succeed([
      Content.text("Multiple content types test:"),
      Content.image(TEST_IMAGE_BASE64, "image/png"),
      Content.embedded({
        uri: "test://mixed-content-resource",
        mimeType: "application/json",
        text: JSON.stringify({ test: "data", value: 123 })
      })
    ])
})

// spec server/utilities/logging: messages go to the client of this request, filtered by its level.
const toolWithLogging = Tool.make("test_tool_with_logging", {
  description: "Tests tool that emits log messages during execution",
  handler: () =>
    Effect.gen(function*() {
      yield* Logging.log("info", "Tool execution started")
      yield* Effect.sleep("50 millis")
      yield* Logging.log("info", "Tool processing data")
      yield* Effect.sleep("50 millis")
      yield* Logging.log("info", "Tool execution completed")
      return "Tool with logging executed successfully"
    })
})

// spec 2026-07-28 server/utilities/logging: log messages only when the request set
// `io.modelcontextprotocol/logLevel` (the 2026-07-28 conformance scenarios call this tool without it).
const loggingTool = Tool.make("test_logging_tool", {
  description: "Emits log messages at info and warning; under 2026-07-28 only requests that set a log level get them",
  handler: () =>
    Effect.gen(function*() {
      yield* Logging.log("info", "test_logging_tool ran", "test_logging_tool")
      yield* Logging.log("warning", "test_logging_tool warns", "test_logging_tool")
      return "Logged at info and warning"
    })
})

const logAllLevels = Tool.make("test_log_all_levels", {
  description: "Emits one log message at each of the eight syslog levels, so clients can check logging/setLevel filtering",
  handler: () =>
    Effect.gen(function*() {
      for (const level of Logging.levels) yield* Logging.log(level, `A ${level} message`, "test_log_all_levels")
      return `Logged one message at each level: ${Logging.levels.join(", ")}`
    })
})

// spec basic/utilities/progress: the token is echoed exactly as the client sent it.
const toolWithProgress = Tool.make("test_tool_with_progress", {
  description: "Tests tool that reports progress notifications",
  handler: () =>
    Effect.gen(function*() {
      const { progressToken } = yield* RequestContext.RequestContext
      for (const step of [0, 50, 100]) {
        if (step > 0) yield* Effect.sleep("50 millis")
        yield* Progress.report(step, { total: 100, message: `Completed step ${step} of 100` })
      }
      return progressToken === undefined ? "No progress token was sent" : String(progressToken)
    })
})

// spec server/tools "Error Handling": a failing handler is a tool execution error, not a protocol error.
const errorHandling = Tool.make("test_error_handling", {
  description: "Tests error response handling",
  handler: () => Effect.fail(new Error("This tool intentionally returns an error for testing"))
})

// spec client/sampling
const sampling = Tool.make("test_sampling", {
  description: "Tests server-initiated sampling (LLM completion request)",
  input: Schema.Struct({ prompt: Schema.String.annotations({ description: "The prompt to send to the LLM" }) }),
  handler: ({ prompt }) =>
    Sampling.createMessage({
      messages: [{ role: "user", content: { type: "text", text: prompt } }],
      maxTokens: 100
    }).pipe(Effect.map((result) => `LLM response: ${samplingText(result)}`))
})

// spec client/elicitation "Form Mode"
const elicitation = Tool.make("test_elicitation", {
  description: "Tests server-initiated elicitation (user input request)",
  input: Schema.Struct({ message: Schema.String.annotations({ description: "The message to show the user" }) }),
  handler: ({ message }) =>
    Elicitation.form(message, {
      type: "object",
      properties: {
        username: { type: "string", description: "User's response" },
        email: { type: "string", description: "User's email address" }
      },
      required: ["username", "email"]
    }).pipe(Effect.map((result) => elicitationSummary("User response", result)))
})

// SEP-1034: defaults for every primitive kind.
const elicitationDefaults = Tool.make("test_elicitation_sep1034_defaults", {
  description: "Tests elicitation with default values per SEP-1034",
  handler: () =>
    Elicitation.form("Please review and update the form fields with defaults", {
      type: "object",
      properties: {
        name: { type: "string", description: "User name", default: "John Doe" },
        age: { type: "integer", description: "User age", default: 30 },
        score: { type: "number", description: "User score", default: 95.5 },
        status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
        verified: { type: "boolean", description: "Verification status", default: true }
      },
      required: []
    }).pipe(Effect.map((result) => elicitationSummary("Elicitation completed", result)))
})

// SEP-1330: the five enum shapes (untitled/titled single and multi select, legacy enumNames).
const elicitationEnums = Tool.make("test_elicitation_sep1330_enums", {
  description: "Tests elicitation with enum schema improvements per SEP-1330",
  handler: () =>
    Elicitation.form("Please select options from the enum fields", {
      type: "object",
      properties: {
        untitledSingle: { type: "string", description: "Select one option", enum: ["option1", "option2", "option3"] },
        titledSingle: {
          type: "string",
          description: "Select one option with titles",
          oneOf: [
            { const: "value1", title: "First Option" },
            { const: "value2", title: "Second Option" },
            { const: "value3", title: "Third Option" }
          ]
        },
        legacyEnum: {
          type: "string",
          description: "Select one option (legacy)",
          enum: ["opt1", "opt2", "opt3"],
          enumNames: ["Option One", "Option Two", "Option Three"]
        },
        untitledMulti: {
          type: "array",
          description: "Select multiple options",
          minItems: 1,
          maxItems: 3,
          items: { type: "string", enum: ["option1", "option2", "option3"] }
        },
        titledMulti: {
          type: "array",
          description: "Select multiple options with titles",
          minItems: 1,
          maxItems: 3,
          items: {
            anyOf: [
              { const: "value1", title: "First Choice" },
              { const: "value2", title: "Second Choice" },
              { const: "value3", title: "Third Choice" }
            ]
          }
        }
      },
      required: []
    }).pipe(Effect.map((result) => elicitationSummary("Elicitation completed", result)))
})

// spec client/elicitation "URL Mode": the user completes the interaction out of band;
// the server then says so with notifications/elicitation/complete.
const elicitationUrl = Tool.make("test_elicitation_url", {
  description: "Tests URL-mode elicitation: asks the user to visit a URL, then reports completion",
  handler: () =>
    Effect.gen(function*() {
      const elicitationId = randomUUID()
      const result = yield* Elicitation.url({
        message: "Please authorize the example integration",
        url: `https://example.com/authorize?elicitation=${elicitationId}`,
        elicitationId
      })
      if (result.action === "accept") {
        const { requestId, session } = yield* RequestContext.RequestContext
        yield* session.notify("notifications/elicitation/complete", { elicitationId }, requestId)
      }
      return `URL elicitation ${elicitationId}: action=${result.action}`
    })
})

// spec client/roots
const roots = Tool.make("test_roots", {
  description: "Lists the client's roots (roots/list)",
  handler: () =>
    Roots.list().pipe(
      Effect.map(({ roots }) => ({
        content: [Content.text(roots.length === 0 ? "The client has no roots" : roots.map((r) => `${r.name ?? "(unnamed)"}: ${r.uri}`).join("\n"))],
        structuredContent: { roots }
      }))
    )
})

const echo = Tool.make("echo", {
  title: "Echo",
  description: "Echoes its input back",
  input: Schema.Struct({ message: Schema.String.annotations({ description: "The text to echo" }) }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: ({ message }) => Effect.succeed(`Echo: ${message}`)
})

// spec server/tools "Output Schema" / "Structured Content"
const structuredOutput = Tool.make("test_structured_output", {
  title: "Add numbers",
  description: "Tests structured output: adds two numbers and returns structuredContent matching its outputSchema",
  input: Schema.Struct({
    a: Schema.Number.annotations({ description: "First addend" }),
    b: Schema.Number.annotations({ description: "Second addend" })
  }),
  output: Schema.Struct({ sum: Schema.Number.annotations({ description: "a + b" }) }),
  annotations: { readOnlyHint: true },
  handler: ({ a, b }) => Effect.succeed({ sum: a + b })
})

// SEP-1699 (pending conformance scenario server-sse-polling): the result itself is all a client can check here.
const reconnection = Tool.make("test_reconnection", {
  description: "Tests SSE stream reconnection (SEP-1699): answers after a short pause",
  handler: () =>
    Effect.as(
      Effect.sleep("100 millis"),
      "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure."
    )
})

const Address = Schema.Struct({ street: Schema.optional(Schema.String), city: Schema.optional(Schema.String) })

/**
 * SEP-1613 (pending conformance scenario json-schema-2020-12): a tool whose
 * `inputSchema` is handwritten JSON Schema 2020-12 with `$schema`, `$defs` and
 * `$ref`, sent verbatim. Arguments are still checked by the equivalent Effect
 * Schema (excess properties are rejected, as `additionalProperties: false` says).
 */
const jsonSchema2020 = ((tool) => ({
  ...tool,
  definition: {
    ...tool.definition,
    inputSchema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: { address: { $anchor: "addressDef", type: "object", properties: { street: { type: "string" }, city: { type: "string" } } } },
      properties: {
        name: { type: "string" },
        address: { $ref: "#/$defs/address" },
        contactMethod: { type: "string", enum: ["phone", "email"] },
        phone: { type: "string" },
        email: { type: "string" }
      },
      // Composition, conditional and anchor keywords pass through as written (SEP-2106, 2026-07-28 server/tools).
      allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
      if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
      then: { required: ["phone"] },
      else: { required: ["email"] },
      additionalProperties: false
    }
  }
}))(
  Tool.make("json_schema_2020_12_tool", {
    description: "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
    // The same constraints as the inputSchema above, checked when the tool is called.
    input: Schema.Struct({
      name: Schema.optional(Schema.String),
      address: Schema.optional(Address),
      contactMethod: Schema.optional(Schema.Literal("phone", "email")),
      phone: Schema.optional(Schema.String),
      email: Schema.optional(Schema.String)
    }).pipe(
      Schema.filter((a) =>
        a.phone === undefined && a.email === undefined
          ? "phone or email is required"
          : a.contactMethod === "phone"
          ? a.phone !== undefined || "phone is required when contactMethod is phone"
          : a.email !== undefined || "email is required unless contactMethod is phone"
      )
    ),
    handler: (args) => Effect.succeed(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`)
  })
) satisfies Tool.Tool<"json_schema_2020_12_tool">

const makeLongRunning = (state: State) =>
  Tool.make("test_long_running", {
    description: "Sleeps in steps, reporting progress after each; cancellable (notifications/cancelled interrupts it)",
    input: Schema.Struct({
      steps: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1000)), { default: () => 10 }).annotations({
        description: "How many steps (default 10)"
      }),
      stepMillis: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 60_000)), { default: () => 100 }).annotations({
        description: "Milliseconds per step (default 100)"
      })
    }),
    handler: ({ stepMillis, steps }) =>
      Effect.gen(function*() {
        yield* Ref.update(state.longRunning, (s) => ({ ...s, started: s.started + 1 }))
        for (let step = 1; step <= steps; step++) {
          yield* Effect.sleep(`${stepMillis} millis`)
          yield* Progress.report(step, { total: steps, message: `Step ${step} of ${steps}` })
        }
        yield* Ref.update(state.longRunning, (s) => ({ ...s, completed: s.completed + 1 }))
        return `Completed ${steps} steps`
      }).pipe(
        // spec basic/utilities/cancellation: the server stops work on notifications/cancelled.
        Effect.onInterrupt(() => Ref.update(state.longRunning, (s) => ({ ...s, cancelled: s.cancelled + 1 })))
      )
  })

// spec server/resources "Subscriptions": changing the content notifies subscribed clients.
const makeUpdateWatched = (state: State) =>
  Tool.make("test_update_watched_resource", {
    description: "Changes test://watched-resource and sends notifications/resources/updated to subscribers",
    input: Schema.Struct({
      content: Schema.optional(Schema.String).annotations({ description: "The new content (default: a numbered update)" })
    }),
    handler: ({ content }) =>
      Effect.gen(function*() {
        const version = yield* Ref.updateAndGet(state.watchedVersion, (n) => n + 1)
        const text = content ?? `Watched resource content (update ${version})`
        yield* Ref.set(state.watched, text)
        yield* McpServer.notifyResourceUpdated(Uris.watched)
        return `Updated ${Uris.watched}: ${text}`
      })
  })

const dynamicTool = Tool.make(DYNAMIC_TOOL_NAME, {
  description: "A tool added at runtime by test_dynamic_tool",
  handler: () => Effect.succeed("This tool was added at runtime")
})

// spec server/tools "List Changed Notification"
const makeDynamic = (state: State) =>
  Tool.make("test_dynamic_tool", {
    description: `Adds the tool ${DYNAMIC_TOOL_NAME} if absent, removes it if present; clients get notifications/tools/list_changed`,
    handler: () =>
      Effect.gen(function*() {
        const present = yield* Ref.get(state.dynamicToolPresent)
        if (present) yield* McpServer.removeTool(DYNAMIC_TOOL_NAME)
        else yield* McpServer.add(dynamicTool)
        yield* Ref.set(state.dynamicToolPresent, !present)
        return present ? `Removed tool ${DYNAMIC_TOOL_NAME}` : `Added tool ${DYNAMIC_TOOL_NAME}`
      })
  })

// --- resources (spec 2025-11-25 server/resources) ---------------------------------------------------

const staticText = Resource.make({
  uri: Uris.staticText,
  name: "static-text",
  title: "Static Text Resource",
  description: "A static text resource for testing",
  mimeType: "text/plain",
  read: () => Effect.succeed(Resource.text("This is the content of the static text resource."))
})

const staticBinary = Resource.make({
  uri: Uris.staticBinary,
  name: "static-binary",
  title: "Static Binary Resource",
  description: "A static binary resource (image) for testing",
  mimeType: "image/png",
  read: () => Effect.succeed(Resource.blob(TEST_IMAGE_BASE64))
})

const makeWatched = (state: State) =>
  Resource.make({
    uri: Uris.watched,
    name: "watched-resource",
    title: "Watched Resource",
    description: "A subscribable resource that changes when test_update_watched_resource is called",
    mimeType: "text/plain",
    read: () => Effect.map(Ref.get(state.watched), (text) => Resource.text(text))
  })

const makeLongRunningStats = (state: State) =>
  Resource.make({
    uri: Uris.longRunningStats,
    name: "long-running-stats",
    title: "Long-running Tool Statistics",
    description: "How many test_long_running calls started, completed and were cancelled",
    mimeType: "application/json",
    read: () => Effect.map(Ref.get(state.longRunning), (stats) => Resource.text(JSON.stringify(stats)))
  })

const template = ResourceTemplate.make({
  uriTemplate: Uris.template,
  name: "template",
  title: "Resource Template",
  description: "A resource template with parameter substitution",
  mimeType: "application/json",
  params: Schema.Struct({ id: Schema.String }),
  read: ({ id }) => Effect.succeed(Resource.text(JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }))),
  // spec server/utilities/completion: template variables complete like prompt arguments.
  complete: { id: Completion.fromValues(["1", "2", "3", "123", "42"]) }
})

// --- prompts (spec 2025-11-25 server/prompts) -------------------------------------------------------

const simplePrompt = Prompt.make({
  name: "test_simple_prompt",
  title: "Simple Test Prompt",
  description: "A simple prompt without arguments",
  render: () => Effect.succeed([Prompt.user("This is a simple prompt for testing.")])
})

const promptWithArguments = Prompt.make({
  name: "test_prompt_with_arguments",
  title: "Prompt With Arguments",
  description: "A prompt with required arguments",
  args: Schema.Struct({
    arg1: Schema.String.annotations({ description: "First test argument" }),
    arg2: Schema.String.annotations({ description: "Second test argument" })
  }),
  render: ({ arg1, arg2 }) => Effect.succeed([Prompt.user(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`)]),
  complete: {
    arg1: Completion.fromValues(["testValue1", "testValue2", "other"]),
    // Completion context (spec server/utilities/completion "Context"): suggestions depend on arg1.
    arg2: ({ arguments: resolved, value }) =>
      Effect.succeed(
        (resolved.arg1 === undefined ? ["testValue2"] : [`${resolved.arg1}-a`, `${resolved.arg1}-b`]).filter((v) => v.startsWith(value))
      )
  }
})

const promptWithEmbeddedResource = Prompt.make({
  name: "test_prompt_with_embedded_resource",
  title: "Prompt With Embedded Resource",
  description: "A prompt that includes an embedded resource",
  args: Schema.Struct({ resourceUri: Schema.String.annotations({ description: "URI of the resource to embed" }) }),
  render: ({ resourceUri }) =>
    Effect.succeed([
      Prompt.user(Content.embedded({ uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." })),
      Prompt.user("Please process the embedded resource above.")
    ]),
  complete: { resourceUri: Completion.fromValues([Uris.staticText, Uris.staticBinary, Uris.watched]) }
})

const promptWithImage = Prompt.make({
  name: "test_prompt_with_image",
  title: "Prompt With Image",
  description: "A prompt that includes image content",
  render: () =>
    Effect.succeed([
      Prompt.user(Content.image(TEST_IMAGE_BASE64, "image/png")),
      Prompt.user("Please analyze the image above.")
    ])
})

// --- roots changes (spec client/roots "Root List Changes") -------------------------------------------

/**
 * On `notifications/roots/list_changed`, asks that client for its roots again
 * and tells it what it got as a log message: the server-side reaction the
 * spec expects, observable by interop tests.
 */
const RootsWatcher = Layer.scopedDiscard(
  Effect.gen(function*() {
    const events = yield* McpServer.subscribe
    yield* Queue.take(events).pipe(
      Effect.flatMap((event) => {
        if (event._tag !== "RootsListChanged" || event.session.clientCapabilities.roots === undefined) return Effect.void
        const session = event.session
        return session.request("roots/list", {}, { timeoutMillis: 10_000 }).pipe(
          Effect.flatMap((result) => {
            const count = Array.isArray(result.roots) ? result.roots.length : 0
            // Outside any request, so the level filter of spec server/utilities/logging is applied here.
            return Logging.passes("info", session.logLevel)
              ? session.notify("notifications/message", { level: "info", logger: "roots", data: `Roots changed: the client now has ${count} root(s)` })
              : Effect.void
          }),
          Effect.catchAll((error) => Effect.logWarning("roots/list after list_changed failed", error)),
          Effect.fork
        )
      }),
      Effect.forever,
      Effect.forkScoped
    )
  })
)

// --- the app ----------------------------------------------------------------------------------------

const Registrations = Layer.unwrapEffect(
  Effect.gen(function*() {
    const state: State = {
      watched: yield* Ref.make("Watched resource content"),
      watchedVersion: yield* Ref.make(0),
      longRunning: yield* Ref.make<LongRunningStats>({ started: 0, completed: 0, cancelled: 0 }),
      dynamicToolPresent: yield* Ref.make(false)
    }
    return McpServer.register(
      simpleText,
      imageContent,
      audioContent,
      embeddedResource,
      multipleContentTypes,
      toolWithLogging,
      toolWithProgress,
      errorHandling,
      sampling,
      elicitation,
      elicitationDefaults,
      elicitationEnums,
      elicitationUrl,
      reconnection,
      jsonSchema2020,
      roots,
      echo,
      structuredOutput,
      logAllLevels,
      loggingTool,
      makeLongRunning(state),
      makeUpdateWatched(state),
      makeDynamic(state),
      staticText,
      staticBinary,
      makeWatched(state),
      makeLongRunningStats(state),
      template,
      simplePrompt,
      promptWithArguments,
      promptWithEmbeddedResource,
      promptWithImage
    )
  })
)

/** The whole example: the server with everything registered. Add a transport to serve it. */
export const App: Layer.Layer<McpServer.McpServer> = Layer.mergeAll(Registrations, RootsWatcher, Stateless, CustomHeaders, Tasks).pipe(
  Layer.provideMerge(McpServer.layer(serverOptions))
)

export default App
