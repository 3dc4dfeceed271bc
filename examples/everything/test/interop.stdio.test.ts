/**
 * Interop: the official TypeScript SDK client (@modelcontextprotocol/sdk)
 * spawns the everything example over stdio and drives every feature.
 * Results are also checked against the 2025-11-25 schema.json.
 */
import * as SpecValidator from "@emcee/testing/SpecValidator"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  type CreateMessageRequest,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  EmptyResultSchema,
  type ElicitRequest,
  ErrorCode,
  type JSONRPCMessage,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  type LoggingMessageNotification,
  McpError,
  type Progress,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema
} from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TEST_AUDIO_BASE64, TEST_IMAGE_BASE64 } from "../src/server.js"
import { assertBuilt, mainPath, repoRoot } from "./support/built.js"

const spec = SpecValidator.fromFile(SpecValidator.defaultSchemaPath)

/** Asserts `value` is a valid instance of the schema.json definition `name`. */
const expectSpec = (name: string, value: unknown) => {
  const outcome = spec.validate(name, value)
  expect(outcome.valid ? "valid" : outcome.errors, `${name} per schema.json`).toBe("valid")
}

/** The server's messages for the client request `id`: its notifications, then its response last. */
const exchangeOf = (wire: ReadonlyArray<JSONRPCMessage>, id: number) =>
  wire.filter((m) =>
    ("id" in m && m.id === id && !("method" in m)) ||
    ("method" in m && m.method === "notifications/progress" && (m.params as { progressToken?: unknown }).progressToken === id)
  )

/** The progress notifications (without token) the server sent for request `id`, checked to precede its response. */
const progressOnWire = (wire: ReadonlyArray<JSONRPCMessage>, id: number) => {
  const exchange = exchangeOf(wire, id)
  expect("result" in exchange[exchange.length - 1]!, "the response comes last").toBe(true)
  return exchange.slice(0, -1).map((m) => {
    const { progressToken: _token, ...rest } = (m as { params: Record<string, unknown> }).params
    return rest
  })
}

/** The id of the last request the client sent that got a response. */
const lastResponseId = (wire: ReadonlyArray<JSONRPCMessage>): number => {
  const responses = wire.filter((m) => "id" in m && !("method" in m))
  return Number((responses[responses.length - 1] as { id: number }).id)
}

/** The requested schema of a form-mode elicitation the client received. */
const requestedSchemaOf = (params: ElicitRequest["params"] | undefined): unknown =>
  params !== undefined && "requestedSchema" in params ? params.requestedSchema : undefined

/** Polls `check` until it returns true (for effects observed through side channels). */
const waitFor = async (check: () => boolean | Promise<boolean>, what: string, millis = 5_000): Promise<void> => {
  const deadline = Date.now() + millis
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const errorCode = async (promise: Promise<unknown>): Promise<number> => {
  try {
    await promise
  } catch (error) {
    if (error instanceof McpError) return error.code
    throw error
  }
  throw new Error("expected a JSON-RPC error")
}

const textOf = (result: unknown): string => {
  const content = (result as { content: ReadonlyArray<{ type: string; text?: string }> }).content
  return content.filter((c) => c.type === "text").map((c) => c.text).join("\n")
}

interface Spawned {
  readonly client: Client
  readonly stderr: () => string
  /** Every message the server sent, in wire order. */
  readonly wire: Array<JSONRPCMessage>
}

/** Spawns the example over stdio and connects an SDK client with `capabilities`. */
const spawn = async (capabilities: ClientCapabilities, setup?: (client: Client) => void): Promise<Spawned> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [mainPath],
    cwd: repoRoot,
    stderr: "pipe"
  })
  let stderr = ""
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const client = new Client({ name: "emcee-interop", version: "1.0.0" }, { capabilities })
  setup?.(client)
  await client.connect(transport)
  // The SDK runs notification handlers in a microtask but responses synchronously, so a
  // notification read in the same chunk as the response may reach `onprogress` too late.
  // Recording what arrives at the transport checks the server's ordering itself.
  const wire: Array<JSONRPCMessage> = []
  const deliver = transport.onmessage
  transport.onmessage = (message: JSONRPCMessage) => {
    wire.push(message)
    deliver?.(message)
  }
  return { client, stderr: () => stderr, wire }
}

// What the full client observes, filled by its handlers.
const logs: Array<LoggingMessageNotification["params"]> = []
const samplingRequests: Array<CreateMessageRequest["params"]> = []
const elicitations: Array<ElicitRequest["params"]> = []
const completedElicitations: Array<string> = []
const updatedUris: Array<string> = []
let toolListChanges = 0
let rootsRequests = 0
let roots = [{ uri: "file:///tmp/project", name: "project" }]

let full: Spawned

const answerElicitation = (params: ElicitRequest["params"]) => {
  if (params.mode === "url") return { action: "accept" as const }
  switch (params.message) {
    case "Please review and update the form fields with defaults":
      return { action: "accept" as const, content: { name: "Jane Smith", age: 25, score: 88, status: "inactive", verified: false } }
    case "Please select options from the enum fields":
      return {
        action: "accept" as const,
        content: { untitledSingle: "option1", titledSingle: "value1", legacyEnum: "opt1", untitledMulti: ["option1", "option2"], titledMulti: ["value1", "value2"] }
      }
    case "Decline please":
      return { action: "decline" as const }
    default:
      return { action: "accept" as const, content: { username: "testuser", email: "test@example.com" } }
  }
}

beforeAll(async () => {
  assertBuilt()
  full = await spawn(
    { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } },
    (client) => {
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        logs.push(n.params)
      })
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        toolListChanges++
      })
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        updatedUris.push(n.params.uri)
      })
      client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
        completedElicitations.push(n.params.elicitationId)
      })
      client.setRequestHandler(CreateMessageRequestSchema, (request) => {
        samplingRequests.push(request.params)
        return Promise.resolve({
          model: "test-model",
          role: "assistant" as const,
          stopReason: "endTurn",
          content: { type: "text" as const, text: "This is a test response from the client" }
        })
      })
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        elicitations.push(request.params)
        return Promise.resolve(answerElicitation(request.params))
      })
      client.setRequestHandler(ListRootsRequestSchema, () => {
        rootsRequests++
        return Promise.resolve({ roots })
      })
    }
  )
}, 60_000)

afterAll(async () => {
  await full?.client.close()
})

describe("everything over stdio with the official SDK client", { timeout: 30_000 }, () => {
  describe("basic/lifecycle", () => {
    it("initialize returns serverInfo (name, version, title, icons, websiteUrl) and instructions (Initialization)", () => {
      const info = full.client.getServerVersion()
      expect(info).toMatchObject({
        name: "emcee-everything",
        version: "0.1.0",
        title: "emcee Everything",
        websiteUrl: "https://github.com/emcee/emcee",
        icons: [{ src: `data:image/png;base64,${TEST_IMAGE_BASE64}`, mimeType: "image/png", sizes: ["1x1"] }]
      })
      expectSpec("Implementation", info)
      expect(full.client.getInstructions()).toMatch(/test server/)
    })

    it("the server declares tools, resources (subscribe), prompts, logging, completions and tasks (Capability Negotiation, basic/utilities/tasks)", () => {
      expect(full.client.getServerCapabilities()).toEqual({
        logging: {},
        completions: {},
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        tools: { listChanged: true },
        tasks: { cancel: {}, requests: { tools: { call: {} } } }
      })
    })
  })

  describe("basic/utilities/ping", () => {
    it("ping answers an empty result", async () => {
      expect(await full.client.ping()).toEqual({})
    })
  })

  describe("server/tools", () => {
    it("tools/list names every conformance tool, each with a description and an object inputSchema (Listing Tools)", async () => {
      const result = await full.client.listTools()
      expectSpec("ListToolsResult", result)
      const names = result.tools.map((t) => t.name)
      expect(names).toEqual(expect.arrayContaining([
        "test_simple_text",
        "test_image_content",
        "test_audio_content",
        "test_embedded_resource",
        "test_multiple_content_types",
        "test_tool_with_logging",
        "test_tool_with_progress",
        "test_error_handling",
        "test_sampling",
        "test_elicitation",
        "test_elicitation_sep1034_defaults",
        "test_elicitation_sep1330_enums",
        "test_elicitation_url",
        "test_reconnection",
        "test_dynamic_tool",
        "test_roots",
        "test_long_running",
        "test_update_watched_resource",
        "test_structured_output",
        "json_schema_2020_12_tool",
        "echo"
      ]))
      expect(names).not.toContain("test_dynamic_tool_added")
      for (const tool of result.tools) {
        expect(tool.description, tool.name).toBeTruthy()
        expect(tool.inputSchema.type, tool.name).toBe("object")
      }
      const sampling = result.tools.find((t) => t.name === "test_sampling")!
      expect(sampling.inputSchema.properties).toEqual({ prompt: { type: "string", description: "The prompt to send to the LLM" } })
      expect(sampling.inputSchema.required).toEqual(["prompt"])
      const structured = result.tools.find((t) => t.name === "test_structured_output")!
      expect(structured.outputSchema).toMatchObject({ type: "object", properties: { sum: { type: "number" } }, required: ["sum"] })
    })

    it("a handwritten JSON Schema 2020-12 inputSchema is listed verbatim and still validates arguments (SEP-1613, SEP-2106)", async () => {
      const tool = (await full.client.listTools()).tools.find((t) => t.name === "json_schema_2020_12_tool")!
      expect(tool.inputSchema).toEqual({
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
        allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
        if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
        then: { required: ["phone"] },
        else: { required: ["email"] },
        additionalProperties: false
      })
      const ok = await full.client.callTool({ name: "json_schema_2020_12_tool", arguments: { name: "x", address: { city: "Oslo" }, email: "x@example.com" } })
      expect(textOf(ok)).toBe("JSON Schema 2020-12 tool called with: {\"name\":\"x\",\"address\":{\"city\":\"Oslo\"},\"email\":\"x@example.com\"}")
      const extra = await full.client.callTool({ name: "json_schema_2020_12_tool", arguments: { nickname: "x" } })
      expect(extra.isError).toBe(true)
      // The conditional: contactMethod phone needs a phone.
      const conditional = await full.client.callTool({ name: "json_schema_2020_12_tool", arguments: { contactMethod: "phone", email: "x@example.com" } })
      expect(conditional.isError).toBe(true)
    })

    it("test_simple_text returns one text block, even without an arguments key (Calling Tools)", async () => {
      const result = await full.client.callTool({ name: "test_simple_text" })
      expect(result).toEqual({ content: [{ type: "text", text: "This is a simple text response for testing." }] })
      expectSpec("CallToolResult", result)
    })

    it("test_image_content returns a base64 PNG image block (Image Content)", async () => {
      const result = await full.client.callTool({ name: "test_image_content", arguments: {} })
      expect(result).toEqual({ content: [{ type: "image", data: TEST_IMAGE_BASE64, mimeType: "image/png" }] })
      expectSpec("CallToolResult", result)
    })

    it("test_audio_content returns a base64 audio/wav block (Audio Content)", async () => {
      const result = await full.client.callTool({ name: "test_audio_content", arguments: {} })
      expect(result).toEqual({ content: [{ type: "audio", data: TEST_AUDIO_BASE64, mimeType: "audio/wav" }] })
      expectSpec("CallToolResult", result)
    })

    it("test_embedded_resource returns an embedded text resource (Embedded Resources)", async () => {
      const result = await full.client.callTool({ name: "test_embedded_resource", arguments: {} })
      expect(result).toEqual({
        content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }]
      })
      expectSpec("CallToolResult", result)
    })

    it("test_multiple_content_types returns text, image and resource blocks in order (Tool Result)", async () => {
      const result = await full.client.callTool({ name: "test_multiple_content_types", arguments: {} })
      expect(result).toEqual({
        content: [
          { type: "text", text: "Multiple content types test:" },
          { type: "image", data: TEST_IMAGE_BASE64, mimeType: "image/png" },
          { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: "{\"test\":\"data\",\"value\":123}" } }
        ]
      })
      expectSpec("CallToolResult", result)
    })

    it("test_error_handling is a tool execution error: isError with the message, not a JSON-RPC error (Error Handling)", async () => {
      const result = await full.client.callTool({ name: "test_error_handling", arguments: {} })
      expect(result).toEqual({ isError: true, content: [{ type: "text", text: "This tool intentionally returns an error for testing" }] })
      expectSpec("CallToolResult", result)
    })

    it("invalid arguments are a tool execution error naming the field (Error Handling, SEP-1303)", async () => {
      const result = await full.client.callTool({ name: "echo", arguments: { message: 42 } })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toMatch(/message/)
      expectSpec("CallToolResult", result)
    })

    it("an unknown tool is a protocol error -32602 (Error Handling)", async () => {
      expect(await errorCode(full.client.callTool({ name: "no_such_tool", arguments: {} }))).toBe(ErrorCode.InvalidParams)
    })

    it("echo echoes its input", async () => {
      const result = await full.client.callTool({ name: "echo", arguments: { message: "hi" } })
      expect(result).toEqual({ content: [{ type: "text", text: "Echo: hi" }] })
    })

    it("a tool with an outputSchema returns structuredContent and its JSON as text (Structured Content)", async () => {
      const result = await full.client.callTool({ name: "test_structured_output", arguments: { a: 2, b: 3 } })
      expect(result.structuredContent).toEqual({ sum: 5 })
      expect(JSON.parse(textOf(result))).toEqual({ sum: 5 })
      expectSpec("CallToolResult", result)
    })

    it("test_reconnection answers with its fixed text", async () => {
      const result = await full.client.callTool({ name: "test_reconnection", arguments: {} })
      expect(textOf(result)).toMatch(/^Reconnection test completed successfully/)
    })

    it("test_dynamic_tool adds and removes a tool, and the client gets notifications/tools/list_changed (List Changed Notification)", async () => {
      const before = toolListChanges
      const added = await full.client.callTool({ name: "test_dynamic_tool", arguments: {} })
      expect(textOf(added)).toBe("Added tool test_dynamic_tool_added")
      await waitFor(() => toolListChanges === before + 1, "tools/list_changed after adding")
      expect((await full.client.listTools()).tools.map((t) => t.name)).toContain("test_dynamic_tool_added")
      expect(textOf(await full.client.callTool({ name: "test_dynamic_tool_added", arguments: {} }))).toBe("This tool was added at runtime")

      const removed = await full.client.callTool({ name: "test_dynamic_tool", arguments: {} })
      expect(textOf(removed)).toBe("Removed tool test_dynamic_tool_added")
      await waitFor(() => toolListChanges === before + 2, "tools/list_changed after removing")
      expect((await full.client.listTools()).tools.map((t) => t.name)).not.toContain("test_dynamic_tool_added")
      expect(await errorCode(full.client.callTool({ name: "test_dynamic_tool_added", arguments: {} }))).toBe(ErrorCode.InvalidParams)
    })
  })

  describe("server/utilities/logging", () => {
    it("after logging/setLevel debug, test_tool_with_logging's three messages arrive before its result (Log Message Notifications)", async () => {
      expect(await full.client.setLoggingLevel("debug")).toEqual({})
      logs.length = 0
      const result = await full.client.callTool({ name: "test_tool_with_logging", arguments: {} })
      expect(textOf(result)).toBe("Tool with logging executed successfully")
      expect(logs).toEqual([
        { level: "info", data: "Tool execution started" },
        { level: "info", data: "Tool processing data" },
        { level: "info", data: "Tool execution completed" }
      ])
      for (const params of logs) expectSpec("LoggingMessageNotificationParams", params)
    })

    it("messages below the level set with logging/setLevel are not sent (Setting Log Level)", async () => {
      await full.client.setLoggingLevel("warning")
      logs.length = 0
      await full.client.callTool({ name: "test_log_all_levels", arguments: {} })
      expect(logs.map((l) => l.level)).toEqual(["warning", "error", "critical", "alert", "emergency"])
      expect(logs.every((l) => l.logger === "test_log_all_levels")).toBe(true)

      logs.length = 0
      await full.client.callTool({ name: "test_tool_with_logging", arguments: {} })
      expect(logs).toEqual([])
      await full.client.setLoggingLevel("debug")
    })

    it("an invalid level is -32602", async () => {
      const request = full.client.request(
        { method: "logging/setLevel", params: { level: "loud" as "info" } },
        EmptyResultSchema
      )
      expect(await errorCode(request)).toBe(ErrorCode.InvalidParams)
    })
  })

  describe("basic/utilities/progress", () => {
    it("test_tool_with_progress sends increasing progress 0, 50, 100 of 100 with the client's token before its result", async () => {
      const progress: Array<Progress> = []
      const result = await full.client.callTool({ name: "test_tool_with_progress", arguments: {} }, undefined, {
        onprogress: (p) => progress.push(p)
      })
      const id = lastResponseId(full.wire)
      // The tool echoes the token it got; the SDK uses the request id as the token.
      expect(textOf(result)).toBe(String(id))
      // What reached onprogress is a prefix of what was sent (see `spawn` on the SDK's ordering).
      expect(progressOnWire(full.wire, id).slice(0, progress.length)).toEqual(progress)
      expect(progressOnWire(full.wire, id)).toEqual([
        { progress: 0, total: 100, message: "Completed step 0 of 100" },
        { progress: 50, total: 100, message: "Completed step 50 of 100" },
        { progress: 100, total: 100, message: "Completed step 100 of 100" }
      ])
    })
  })

  describe("basic/utilities/cancellation", () => {
    it("aborting a long call sends notifications/cancelled; the tool is interrupted and the server stays healthy", async () => {
      const controller = new AbortController()
      const progress: Array<number> = []
      const call = full.client.callTool({ name: "test_long_running", arguments: { steps: 100, stepMillis: 50 } }, undefined, {
        signal: controller.signal,
        onprogress: (p) => {
          progress.push(p.progress)
          if (p.progress >= 2) controller.abort("the user gave up")
        }
      })
      await expect(call).rejects.toThrow()
      expect(progress.slice(0, 2)).toEqual([1, 2])

      const stats = async () => {
        const read = await full.client.readResource({ uri: "test://long-running/stats" })
        return JSON.parse((read.contents[0] as { text: string }).text) as { started: number; completed: number; cancelled: number }
      }
      await waitFor(async () => (await stats()).cancelled === 1, "the long-running tool to observe cancellation")
      expect(await stats()).toEqual({ started: 1, completed: 0, cancelled: 1 })
      expect(textOf(await full.client.callTool({ name: "echo", arguments: { message: "still here" } }))).toBe("Echo: still here")
    })

    it("a long call that is not cancelled completes and reports every step", async () => {
      const result = await full.client.callTool({ name: "test_long_running", arguments: { steps: 3, stepMillis: 10 } }, undefined, {
        onprogress: () => {}
      })
      expect(textOf(result)).toBe("Completed 3 steps")
      expect(progressOnWire(full.wire, lastResponseId(full.wire)).map((p) => p.progress)).toEqual([1, 2, 3])
    })
  })

  describe("server/resources", () => {
    it("resources/list lists the static, binary, watched and stats resources with names and descriptions (Listing Resources)", async () => {
      const result = await full.client.listResources()
      expectSpec("ListResourcesResult", result)
      expect(result.resources).toEqual(expect.arrayContaining([
        { uri: "test://static-text", name: "static-text", title: "Static Text Resource", description: "A static text resource for testing", mimeType: "text/plain" },
        {
          uri: "test://static-binary",
          name: "static-binary",
          title: "Static Binary Resource",
          description: "A static binary resource (image) for testing",
          mimeType: "image/png"
        },
        expect.objectContaining({ uri: "test://watched-resource", name: "watched-resource", mimeType: "text/plain" })
      ]))
      for (const resource of result.resources) expect(resource.description, resource.uri).toBeTruthy()
    })

    it("resources/read of a text resource returns its text (Reading Resources)", async () => {
      const result = await full.client.readResource({ uri: "test://static-text" })
      expect(result).toEqual({ contents: [{ uri: "test://static-text", mimeType: "text/plain", text: "This is the content of the static text resource." }] })
      expectSpec("ReadResourceResult", result)
    })

    it("resources/read of a binary resource returns a base64 blob (Reading Resources)", async () => {
      const result = await full.client.readResource({ uri: "test://static-binary" })
      expect(result).toEqual({ contents: [{ uri: "test://static-binary", mimeType: "image/png", blob: TEST_IMAGE_BASE64 }] })
      expectSpec("ReadResourceResult", result)
    })

    it("resources/templates/list lists the parameterised template (Resource Templates)", async () => {
      const result = await full.client.listResourceTemplates()
      expectSpec("ListResourceTemplatesResult", result)
      expect(result.resourceTemplates).toEqual([{
        uriTemplate: "test://template/{id}/data",
        name: "template",
        title: "Resource Template",
        description: "A resource template with parameter substitution",
        mimeType: "application/json"
      }])
    })

    it("resources/read of a URI matching the template substitutes its parameter (Resource Templates)", async () => {
      const result = await full.client.readResource({ uri: "test://template/123/data" })
      expect(result).toEqual({
        contents: [{ uri: "test://template/123/data", mimeType: "application/json", text: "{\"id\":\"123\",\"templateTest\":true,\"data\":\"Data for ID: 123\"}" }]
      })
      expectSpec("ReadResourceResult", result)
    })

    it("resources/read of an unknown URI is -32002 (Error Handling)", async () => {
      expect(await errorCode(full.client.readResource({ uri: "test://no-such-resource" }))).toBe(-32002)
    })

    it("after resources/subscribe a change sends notifications/resources/updated; after unsubscribe it does not (Subscriptions)", async () => {
      const initial = await full.client.readResource({ uri: "test://watched-resource" })
      expect(initial.contents).toEqual([{ uri: "test://watched-resource", mimeType: "text/plain", text: "Watched resource content" }])

      expect(await full.client.subscribeResource({ uri: "test://watched-resource" })).toEqual({})
      updatedUris.length = 0
      await full.client.callTool({ name: "test_update_watched_resource", arguments: { content: "second version" } })
      await waitFor(() => updatedUris.length === 1, "notifications/resources/updated")
      expect(updatedUris).toEqual(["test://watched-resource"])
      const changed = await full.client.readResource({ uri: "test://watched-resource" })
      expect(changed.contents).toEqual([{ uri: "test://watched-resource", mimeType: "text/plain", text: "second version" }])

      expect(await full.client.unsubscribeResource({ uri: "test://watched-resource" })).toEqual({})
      await full.client.callTool({ name: "test_update_watched_resource", arguments: {} })
      // stdio is ordered: a notification sent during the call would have arrived before its result and this ping.
      await full.client.ping()
      expect(updatedUris).toEqual(["test://watched-resource"])
    })
  })

  describe("server/prompts", () => {
    it("prompts/list lists the five prompts with descriptions and arguments (Listing Prompts)", async () => {
      const result = await full.client.listPrompts()
      expectSpec("ListPromptsResult", result)
      expect(result.prompts).toEqual([
        { name: "test_simple_prompt", title: "Simple Test Prompt", description: "A simple prompt without arguments" },
        {
          name: "test_prompt_with_arguments",
          title: "Prompt With Arguments",
          description: "A prompt with required arguments",
          arguments: [
            { name: "arg1", description: "First test argument", required: true },
            { name: "arg2", description: "Second test argument", required: true }
          ]
        },
        {
          name: "test_prompt_with_embedded_resource",
          title: "Prompt With Embedded Resource",
          description: "A prompt that includes an embedded resource",
          arguments: [{ name: "resourceUri", description: "URI of the resource to embed", required: true }]
        },
        { name: "test_prompt_with_image", title: "Prompt With Image", description: "A prompt that includes image content" },
        { name: "test_input_required_result_prompt", description: "Asks what context to use, then renders a prompt with it" }
      ])
    })

    it("prompts/get test_simple_prompt without arguments (Getting a Prompt)", async () => {
      const result = await full.client.getPrompt({ name: "test_simple_prompt" })
      expect(result.messages).toEqual([{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }])
      expectSpec("GetPromptResult", result)
    })

    it("prompts/get test_prompt_with_arguments substitutes both arguments (Getting a Prompt)", async () => {
      const result = await full.client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "testValue1", arg2: "testValue2" } })
      expect(result.messages).toEqual([{ role: "user", content: { type: "text", text: "Prompt with arguments: arg1='testValue1', arg2='testValue2'" } }])
      expectSpec("GetPromptResult", result)
    })

    it("prompts/get with a missing required argument is -32602 (Error Handling)", async () => {
      expect(await errorCode(full.client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "only one" } }))).toBe(ErrorCode.InvalidParams)
    })

    it("prompts/get test_prompt_with_embedded_resource embeds the given URI (Embedded Resources)", async () => {
      const result = await full.client.getPrompt({ name: "test_prompt_with_embedded_resource", arguments: { resourceUri: "test://example-resource" } })
      expect(result.messages).toEqual([
        { role: "user", content: { type: "resource", resource: { uri: "test://example-resource", mimeType: "text/plain", text: "Embedded resource content for testing." } } },
        { role: "user", content: { type: "text", text: "Please process the embedded resource above." } }
      ])
      expectSpec("GetPromptResult", result)
    })

    it("prompts/get test_prompt_with_image returns an image message (Image Content)", async () => {
      const result = await full.client.getPrompt({ name: "test_prompt_with_image" })
      expect(result.messages).toEqual([
        { role: "user", content: { type: "image", data: TEST_IMAGE_BASE64, mimeType: "image/png" } },
        { role: "user", content: { type: "text", text: "Please analyze the image above." } }
      ])
      expectSpec("GetPromptResult", result)
    })
  })

  describe("server/utilities/completion", () => {
    it("completes a prompt argument from what was typed", async () => {
      const result = await full.client.complete({
        ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
        argument: { name: "arg1", value: "test" }
      })
      expect(result.completion).toEqual({ values: ["testValue1", "testValue2"], total: 2, hasMore: false })
      expectSpec("CompleteResult", result)
    })

    it("completes a prompt argument using the arguments already resolved (Context)", async () => {
      const result = await full.client.complete({
        ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
        argument: { name: "arg2", value: "" },
        context: { arguments: { arg1: "alpha" } }
      })
      expect(result.completion.values).toEqual(["alpha-a", "alpha-b"])
    })

    it("completes a resource template parameter", async () => {
      const result = await full.client.complete({
        ref: { type: "ref/resource", uri: "test://template/{id}/data" },
        argument: { name: "id", value: "1" }
      })
      expect(result.completion.values).toEqual(["1", "123"])
      expectSpec("CompleteResult", result)
    })
  })

  describe("client/sampling", () => {
    it("test_sampling sends sampling/createMessage and returns the client's answer (Creating Messages)", async () => {
      samplingRequests.length = 0
      const result = await full.client.callTool({ name: "test_sampling", arguments: { prompt: "Test prompt for sampling" } })
      expect(samplingRequests).toEqual([{ messages: [{ role: "user", content: { type: "text", text: "Test prompt for sampling" } }], maxTokens: 100 }])
      expect(result).toEqual({ content: [{ type: "text", text: "LLM response: This is a test response from the client" }] })
    })

    it("a client that did not declare sampling gets an isError result naming the capability, not a hang (Capabilities)", async () => {
      const bare = await spawn({})
      try {
        const result = await bare.client.callTool({ name: "test_sampling", arguments: { prompt: "anyone?" } })
        expect(result.isError).toBe(true)
        expect(textOf(result)).toMatch(/did not declare the "sampling" capability/)
        const elicit = await bare.client.callTool({ name: "test_elicitation", arguments: { message: "hello?" } })
        expect(elicit.isError).toBe(true)
        expect(textOf(elicit)).toMatch(/elicitation/)
        const rootsResult = await bare.client.callTool({ name: "test_roots", arguments: {} })
        expect(rootsResult.isError).toBe(true)
        expect(textOf(rootsResult)).toMatch(/"roots" capability/)
      } finally {
        await bare.client.close()
      }
    }, 60_000)
  })

  describe("client/elicitation", () => {
    it("test_elicitation sends a form-mode elicitation/create and reports the user's answer (Form Mode)", async () => {
      elicitations.length = 0
      const result = await full.client.callTool({ name: "test_elicitation", arguments: { message: "Please provide your information" } })
      expect(elicitations).toEqual([{
        mode: "form",
        message: "Please provide your information",
        requestedSchema: {
          type: "object",
          properties: { username: { type: "string", description: "User's response" }, email: { type: "string", description: "User's email address" } },
          required: ["username", "email"]
        }
      }])
      expect(textOf(result)).toBe("User response: action=accept, content={\"username\":\"testuser\",\"email\":\"test@example.com\"}")
    })

    it("a declined elicitation is reported as such", async () => {
      const result = await full.client.callTool({ name: "test_elicitation", arguments: { message: "Decline please" } })
      expect(textOf(result)).toBe("User response: action=decline, content={}")
    })

    it("test_elicitation_sep1034_defaults requests a default for every primitive type (SEP-1034)", async () => {
      elicitations.length = 0
      const result = await full.client.callTool({ name: "test_elicitation_sep1034_defaults", arguments: {} })
      expect(requestedSchemaOf(elicitations[0])).toEqual({
        type: "object",
        properties: {
          name: { type: "string", description: "User name", default: "John Doe" },
          age: { type: "integer", description: "User age", default: 30 },
          score: { type: "number", description: "User score", default: 95.5 },
          status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
          verified: { type: "boolean", description: "Verification status", default: true }
        },
        required: []
      })
      expectSpec("ElicitRequestFormParams", elicitations[0])
      expect(textOf(result)).toBe(
        "Elicitation completed: action=accept, content={\"name\":\"Jane Smith\",\"age\":25,\"score\":88,\"status\":\"inactive\",\"verified\":false}"
      )
    })

    it("test_elicitation_sep1330_enums requests all five enum shapes (SEP-1330)", async () => {
      elicitations.length = 0
      const result = await full.client.callTool({ name: "test_elicitation_sep1330_enums", arguments: {} })
      const properties = requestedSchemaOf(elicitations[0]) as { properties: Record<string, Record<string, unknown>> } | undefined
      expect(properties?.properties).toEqual({
        untitledSingle: { type: "string", description: "Select one option", enum: ["option1", "option2", "option3"] },
        titledSingle: {
          type: "string",
          description: "Select one option with titles",
          oneOf: [{ const: "value1", title: "First Option" }, { const: "value2", title: "Second Option" }, { const: "value3", title: "Third Option" }]
        },
        legacyEnum: { type: "string", description: "Select one option (legacy)", enum: ["opt1", "opt2", "opt3"], enumNames: ["Option One", "Option Two", "Option Three"] },
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
          items: { anyOf: [{ const: "value1", title: "First Choice" }, { const: "value2", title: "Second Choice" }, { const: "value3", title: "Third Choice" }] }
        }
      })
      expectSpec("ElicitRequestFormParams", elicitations[0])
      expect(textOf(result)).toMatch(/^Elicitation completed: action=accept, content=\{"untitledSingle":"option1"/)
    })

    it("test_elicitation_url sends a URL-mode elicitation, then notifications/elicitation/complete (URL Mode)", async () => {
      elicitations.length = 0
      completedElicitations.length = 0
      const result = await full.client.callTool({ name: "test_elicitation_url", arguments: {} })
      const request = elicitations[0] as { mode: string; url: string; elicitationId: string; message: string }
      expect(request.mode).toBe("url")
      expect(request.url).toBe(`https://example.com/authorize?elicitation=${request.elicitationId}`)
      expectSpec("ElicitRequestURLParams", request)
      await waitFor(() => completedElicitations.length === 1, "notifications/elicitation/complete")
      expect(completedElicitations).toEqual([request.elicitationId])
      expect(textOf(result)).toBe(`URL elicitation ${request.elicitationId}: action=accept`)
    })
  })

  describe("client/roots", () => {
    it("test_roots lists the client's roots with roots/list (Listing Roots)", async () => {
      const result = await full.client.callTool({ name: "test_roots", arguments: {} })
      expect(textOf(result)).toBe("project: file:///tmp/project")
      expect(result.structuredContent).toEqual({ roots: [{ uri: "file:///tmp/project", name: "project" }] })
    })

    it("after notifications/roots/list_changed the server asks for the roots again (Root List Changes)", async () => {
      roots = [...roots, { uri: "file:///tmp/other", name: "other" }]
      const before = rootsRequests
      logs.length = 0
      await full.client.sendRootsListChanged()
      await waitFor(() => rootsRequests === before + 1, "roots/list after list_changed")
      await waitFor(() => logs.some((l) => l.logger === "roots"), "the server's roots log message")
      expect(logs.find((l) => l.logger === "roots")?.data).toBe("Roots changed: the client now has 2 root(s)")
    })
  })

  it("the server wrote nothing unexpected to stderr", () => {
    expect(full.stderr()).not.toMatch(/Error|died/)
  })
})
