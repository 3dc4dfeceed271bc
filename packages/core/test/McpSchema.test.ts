import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import * as SpecValidator from "@emcee/testing/SpecValidator"
import * as Mcp from "../src/McpSchema.js"

// -----------------------------------------------------------------------------
// Fixtures
// -----------------------------------------------------------------------------

const specSchemaPath = SpecValidator.defaultSchemaPath
const specDir = join(specSchemaPath, "..")
const specJson = JSON.parse(readFileSync(specSchemaPath, "utf8")) as { $defs: Record<string, unknown> }
const validator = SpecValidator.make(specJson)
const definitionNames = Object.keys(specJson.$defs)

type AnySchema = Schema.Schema<unknown, unknown>

const exported = Mcp as unknown as Record<string, unknown>
const schemaFor = (name: string): AnySchema => {
  const candidate = exported[name]
  if (!Schema.isSchema(candidate)) throw new Error(`McpSchema does not export a schema named ${name}`)
  return candidate as AnySchema
}

const roundTrip = (name: string, value: unknown): unknown => {
  const schema = schemaFor(name)
  return Schema.encodeSync(schema)(Schema.decodeUnknownSync(schema)(value))
}

const expectSpecValid = (name: string, value: unknown): void => {
  const outcome = validator.validate(name, value)
  expect(outcome.valid ? "valid" : outcome.errors).toBe("valid")
}

// -----------------------------------------------------------------------------
// Sample values (all spec-valid; they exercise optional fields and unknown keys)
// -----------------------------------------------------------------------------

const meta = { "com.example/trace-id": "t-42", "io.modelcontextprotocol/related-task": { taskId: "task-1" } }
const requestMeta = { progressToken: "progress-1", "com.example/origin": "cli" }
const icon = { src: "https://example.com/icon-48.png", mimeType: "image/png", sizes: ["48x48"], theme: "light" }
const iconDark = { src: "data:image/svg+xml;base64,PHN2Zy8+", mimeType: "image/svg+xml", sizes: ["any"], theme: "dark" }
const annotations = { audience: ["user", "assistant"], priority: 0.8, lastModified: "2025-01-12T15:00:58Z" }
const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
const wav = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA="

const implementation = {
  name: "example-server",
  title: "Example Server",
  version: "1.2.3",
  description: "Serves examples",
  websiteUrl: "https://example.com",
  icons: [icon, iconDark]
}

const textContent = { type: "text", text: "Hello, world", annotations, _meta: meta }
const imageContent = { type: "image", data: png, mimeType: "image/png", annotations: { priority: 0 }, _meta: meta }
const audioContent = { type: "audio", data: wav, mimeType: "audio/wav", annotations: { audience: ["user"] } }
const textResourceContents = { uri: "file:///project/README.md", mimeType: "text/markdown", text: "# Readme", _meta: meta }
const blobResourceContents = { uri: "file:///project/logo.png", mimeType: "image/png", blob: png }
const resourceLink = {
  type: "resource_link",
  uri: "file:///project/src/main.rs",
  name: "main.rs",
  title: "Main entry point",
  description: "Primary application entry point",
  mimeType: "text/x-rust",
  size: 1024,
  icons: [icon],
  annotations,
  _meta: meta
}
const embeddedResource = { type: "resource", resource: textResourceContents, annotations, _meta: meta }
const embeddedBlob = { type: "resource", resource: blobResourceContents }
const toolUseContent = { type: "tool_use", id: "call_123", name: "get_weather", input: { city: "Paris" }, _meta: meta }
const toolResultContent = {
  type: "tool_result",
  toolUseId: "call_123",
  content: [textContent, resourceLink],
  structuredContent: { temperature: 18.5, unit: "celsius" },
  isError: false,
  _meta: meta
}

const inputSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  properties: { city: { type: "string", description: "City name" } },
  required: ["city"],
  additionalProperties: false
}
const tool = {
  name: "get_weather",
  title: "Weather Information Provider",
  description: "Get current weather information for a location",
  inputSchema,
  outputSchema: {
    type: "object",
    properties: { temperature: { type: "number" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
    required: ["temperature"]
  },
  annotations: { title: "Weather", readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  execution: { taskSupport: "optional" },
  icons: [icon],
  _meta: meta,
  "x-future-field": { nested: [1, 2, 3] }
}
const minimalTool = { name: "ping", inputSchema: { type: "object" } }

const resource = {
  uri: "file:///project/src/main.rs",
  name: "main.rs",
  title: "Rust Software Application Main File",
  description: "Primary application entry point",
  mimeType: "text/x-rust",
  size: 2048,
  icons: [icon],
  annotations,
  _meta: meta
}
const resourceTemplate = {
  uriTemplate: "file:///{path}",
  name: "Project Files",
  title: "📁 Project Files",
  description: "Access files in the project directory",
  mimeType: "application/octet-stream",
  icons: [iconDark],
  annotations: { audience: ["assistant"] },
  _meta: meta
}
const promptArgument = { name: "code", title: "Code", description: "The code to review", required: true }
const prompt = {
  name: "code_review",
  title: "Request Code Review",
  description: "Asks the LLM to analyze code quality and suggest improvements",
  arguments: [promptArgument, { name: "language" }],
  icons: [icon],
  _meta: meta
}
const promptMessage = { role: "user", content: textContent }

const task = {
  taskId: "786512e2-9e0d-44bd-8f29-789f320fe840",
  status: "working",
  statusMessage: "The operation is now in progress.",
  createdAt: "2025-11-25T10:30:00Z",
  lastUpdatedAt: "2025-11-25T10:40:00Z",
  ttl: 60000,
  pollInterval: 5000
}
const unlimitedTask = { ...task, status: "input_required", ttl: null }
const completedTask = { ...task, status: "completed", ttl: 30000 }

const clientCapabilities = {
  roots: { listChanged: true },
  sampling: { context: {}, tools: {} },
  elicitation: { form: {}, url: {} },
  tasks: { list: {}, cancel: {}, requests: { sampling: { createMessage: {} }, elicitation: { create: {} } } },
  experimental: { "com.example/feature": { enabled: true } }
}
const serverCapabilities = {
  logging: {},
  completions: {},
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  tools: { listChanged: false },
  tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
  experimental: { "com.example/batching": {} }
}

const stringSchema = { type: "string", title: "Email", description: "Your email", minLength: 3, maxLength: 64, format: "email", default: "a@b.c" }
const numberSchema = { type: "integer", title: "Age", description: "Age in years", minimum: 0, maximum: 150, default: 30 }
const booleanSchema = { type: "boolean", title: "Subscribe", description: "Receive news", default: false }
const untitledSingle = { type: "string", title: "Color", description: "Pick one", enum: ["red", "green"], default: "red" }
const titledSingle = {
  type: "string",
  title: "Color",
  oneOf: [{ const: "#f00", title: "Red" }, { const: "#0f0", title: "Green" }],
  default: "#f00"
}
const untitledMulti = {
  type: "array",
  title: "Colors",
  minItems: 1,
  maxItems: 2,
  items: { type: "string", enum: ["red", "green", "blue"] },
  default: ["red"]
}
const titledMulti = {
  type: "array",
  title: "Colors",
  description: "Pick several",
  items: { anyOf: [{ const: "#f00", title: "Red" }, { const: "#00f", title: "Blue" }] },
  default: ["#00f"]
}
const legacyTitled = { type: "string", title: "Size", enum: ["s", "m"], enumNames: ["Small", "Medium"], default: "m" }

const formParams = {
  _meta: requestMeta,
  task: { ttl: 120000 },
  mode: "form",
  message: "Please provide your contact information",
  requestedSchema: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: { email: stringSchema, age: numberSchema, news: booleanSchema, color: titledSingle, sizes: untitledMulti },
    required: ["email"]
  }
}
const urlParams = {
  _meta: requestMeta,
  mode: "url",
  elicitationId: "550e8400-e29b-41d4-a716-446655440000",
  url: "https://mcp.example.com/ui/set_api_key",
  message: "Please provide your API key to continue."
}

const samplingMessage = { role: "user", content: { type: "text", text: "What is the capital of France?" }, _meta: meta }
const samplingToolMessage = { role: "assistant", content: [toolUseContent, { type: "text", text: "Calling a tool" }] }
const createMessageParams = {
  _meta: requestMeta,
  task: { ttl: 30000 },
  messages: [samplingMessage, samplingToolMessage, { role: "user", content: [toolResultContent] }],
  modelPreferences: {
    hints: [{ name: "claude-3-sonnet" }, {}],
    costPriority: 0.3,
    speedPriority: 0.8,
    intelligencePriority: 0.5
  },
  systemPrompt: "You are a helpful assistant.",
  includeContext: "thisServer",
  temperature: 0.7,
  maxTokens: 100,
  stopSequences: ["\n\nHuman:"],
  metadata: { requestSource: "unit-test" },
  tools: [tool, minimalTool],
  toolChoice: { mode: "auto" }
}

const completeParams = {
  _meta: requestMeta,
  ref: { type: "ref/prompt", name: "code_review", title: "Code Review" },
  argument: { name: "language", value: "py" },
  context: { arguments: { framework: "flask" } }
}

const req = (method: string, params?: unknown, id: string | number = 1): Record<string, unknown> =>
  params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params }
const note = (method: string, params?: unknown): Record<string, unknown> =>
  params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }

const paginated = { _meta: requestMeta, cursor: "eyJwYWdlIjogMn0=" }

// Result samples ---------------------------------------------------------------

const initializeResult = {
  protocolVersion: "2025-11-25",
  capabilities: serverCapabilities,
  serverInfo: implementation,
  instructions: "Use the weather tool for forecasts.",
  _meta: meta
}
const listToolsResult = { tools: [tool, minimalTool], nextCursor: "next-page", _meta: meta }
const callToolResult = {
  content: [textContent, imageContent, audioContent, resourceLink, embeddedResource, embeddedBlob],
  structuredContent: { temperature: 22.5, conditions: "Partly cloudy", humidity: 65 },
  isError: false,
  _meta: meta
}
const listResourcesResult = { resources: [resource, { uri: "https://example.com/a", name: "a" }], nextCursor: "c2", _meta: meta }
const listResourceTemplatesResult = { resourceTemplates: [resourceTemplate], nextCursor: "c3", _meta: meta }
const readResourceResult = { contents: [textResourceContents, blobResourceContents], _meta: meta }
const listPromptsResult = { prompts: [prompt, { name: "simple" }], nextCursor: "c4", _meta: meta }
const getPromptResult = {
  description: "Code review prompt",
  messages: [
    promptMessage,
    { role: "assistant", content: imageContent },
    { role: "user", content: audioContent },
    { role: "user", content: embeddedResource },
    { role: "assistant", content: resourceLink }
  ],
  _meta: meta
}
const completeResult = { completion: { values: ["python", "pytorch", "pyside"], total: 10, hasMore: true }, _meta: meta }
const createMessageResult = {
  role: "assistant",
  content: { type: "text", text: "The capital of France is Paris." },
  model: "claude-3-sonnet-20240307",
  stopReason: "endTurn",
  _meta: meta
}
const createMessageToolResult = {
  role: "assistant",
  content: [toolUseContent, { ...toolUseContent, id: "call_456", input: { city: "Berlin" } }],
  model: "claude-3-sonnet-20240307",
  stopReason: "toolUse"
}
const listRootsResult = {
  roots: [{ uri: "file:///home/user/projects/myproject", name: "My Project", _meta: meta }, { uri: "file:///tmp" }],
  _meta: meta
}
const elicitResult = {
  action: "accept",
  content: { email: "a@b.c", age: 30, news: true, sizes: ["s", "m"] },
  _meta: meta
}
const listTasksResult = { tasks: [task, unlimitedTask, completedTask], nextCursor: "c5", _meta: meta }
const emptyResult = { _meta: meta }

const errorObject = { code: -32602, message: "Unknown tool: invalid_tool_name", data: { tool: "invalid_tool_name" } }

interface Case {
  readonly section: string
  readonly values: ReadonlyArray<unknown>
}

/** One or more spec-valid sample values for every schema.json definition. */
const samples: Record<string, Case> = {
  // JSON-RPC base — basic/index
  RequestId: { section: "basic/index", values: ["abc-123", 42] },
  ProgressToken: { section: "basic/utilities/progress", values: ["progress-1", 7] },
  Cursor: { section: "server/utilities/pagination", values: ["eyJwYWdlIjogMn0="] },
  RequestParams: { section: "basic/index", values: [{ _meta: requestMeta }, {}] },
  NotificationParams: { section: "basic/index", values: [{ _meta: meta }, {}] },
  Request: { section: "basic/index", values: [{ method: "custom/thing", params: { a: 1 } }, { method: "ping" }] },
  Notification: { section: "basic/index", values: [{ method: "notifications/custom", params: { b: 2 } }] },
  Result: { section: "basic/index", values: [emptyResult, { _meta: meta, arbitrary: true }] },
  EmptyResult: { section: "basic/index", values: [emptyResult, {}] },
  Error: { section: "basic/index", values: [errorObject, { code: -32601, message: "Method not found" }] },
  JSONRPCRequest: { section: "basic/index", values: [req("tools/list", { cursor: "x" }, "r-1"), req("ping")] },
  JSONRPCNotification: { section: "basic/index", values: [note("notifications/initialized"), note("x/y", { a: [1] })] },
  JSONRPCResultResponse: { section: "basic/index", values: [{ jsonrpc: "2.0", id: 1, result: callToolResult }] },
  JSONRPCErrorResponse: {
    section: "basic/index",
    values: [{ jsonrpc: "2.0", id: 3, error: errorObject }, { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" } }]
  },
  JSONRPCResponse: {
    section: "basic/index",
    values: [{ jsonrpc: "2.0", id: "a", result: {} }, { jsonrpc: "2.0", id: "a", error: errorObject }]
  },
  JSONRPCMessage: {
    section: "basic/index",
    values: [req("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: implementation }), note("notifications/initialized"), { jsonrpc: "2.0", id: 1, result: initializeResult }, { jsonrpc: "2.0", id: 1, error: errorObject }]
  },
  // Common metadata
  BaseMetadata: { section: "basic/index", values: [{ name: "thing", title: "Thing" }] },
  Icon: { section: "basic/index", values: [icon, iconDark, { src: "https://example.com/x.svg" }] },
  Icons: { section: "basic/index", values: [{ icons: [icon, iconDark] }, {}] },
  Implementation: { section: "basic/lifecycle", values: [implementation, { name: "min", version: "0.0.1" }] },
  Role: { section: "server/prompts", values: ["user", "assistant"] },
  Annotations: { section: "server/resources", values: [annotations, {}] },
  // Pagination
  PaginatedRequestParams: { section: "server/utilities/pagination", values: [paginated, {}] },
  PaginatedRequest: { section: "server/utilities/pagination", values: [req("resources/list", paginated)] },
  PaginatedResult: { section: "server/utilities/pagination", values: [{ nextCursor: "abc", _meta: meta }] },
  // Tasks
  TaskStatus: { section: "basic/utilities/tasks", values: ["working", "input_required", "completed", "failed", "cancelled"] },
  TaskMetadata: { section: "basic/utilities/tasks", values: [{ ttl: 60000 }, {}] },
  RelatedTaskMetadata: { section: "basic/utilities/tasks", values: [{ taskId: "task-1" }] },
  Task: { section: "basic/utilities/tasks", values: [task, unlimitedTask, completedTask] },
  TaskAugmentedRequestParams: { section: "basic/utilities/tasks", values: [{ _meta: requestMeta, task: { ttl: 1000 } }] },
  CreateTaskResult: {
    section: "basic/utilities/tasks",
    values: [{ task, _meta: { "io.modelcontextprotocol/model-immediate-response": "Working on it" } }]
  },
  GetTaskRequest: { section: "basic/utilities/tasks", values: [req("tasks/get", { taskId: task.taskId }, 3)] },
  GetTaskResult: { section: "basic/utilities/tasks", values: [{ ...task, _meta: meta }, unlimitedTask] },
  GetTaskPayloadRequest: { section: "basic/utilities/tasks", values: [req("tasks/result", { taskId: task.taskId }, 4)] },
  GetTaskPayloadResult: { section: "basic/utilities/tasks", values: [{ ...callToolResult, _meta: meta }, {}] },
  CancelTaskRequest: { section: "basic/utilities/tasks", values: [req("tasks/cancel", { taskId: task.taskId }, 5)] },
  CancelTaskResult: { section: "basic/utilities/tasks", values: [{ ...task, status: "cancelled", _meta: meta }] },
  ListTasksRequest: { section: "basic/utilities/tasks", values: [req("tasks/list", paginated), req("tasks/list")] },
  ListTasksResult: { section: "basic/utilities/tasks", values: [listTasksResult, { tasks: [] }] },
  TaskStatusNotificationParams: { section: "basic/utilities/tasks", values: [{ ...completedTask, _meta: meta }] },
  TaskStatusNotification: { section: "basic/utilities/tasks", values: [note("notifications/tasks/status", completedTask)] },
  // Lifecycle
  ClientCapabilities: { section: "basic/lifecycle", values: [clientCapabilities, {}] },
  ServerCapabilities: { section: "basic/lifecycle", values: [serverCapabilities, {}] },
  InitializeRequestParams: {
    section: "basic/lifecycle",
    values: [{ _meta: requestMeta, protocolVersion: "2025-11-25", capabilities: clientCapabilities, clientInfo: implementation }]
  },
  InitializeRequest: {
    section: "basic/lifecycle",
    values: [req("initialize", { protocolVersion: "2025-11-25", capabilities: clientCapabilities, clientInfo: implementation })]
  },
  InitializeResult: { section: "basic/lifecycle", values: [initializeResult] },
  InitializedNotification: {
    section: "basic/lifecycle",
    values: [note("notifications/initialized"), note("notifications/initialized", { _meta: meta })]
  },
  // Utilities
  PingRequest: { section: "basic/utilities/ping", values: [req("ping", undefined, "123"), req("ping", { _meta: requestMeta })] },
  ProgressNotificationParams: {
    section: "basic/utilities/progress",
    values: [{ progressToken: "abc123", progress: 50, total: 100, message: "Reticulating splines...", _meta: meta }, { progressToken: 1, progress: 0.5 }]
  },
  ProgressNotification: {
    section: "basic/utilities/progress",
    values: [note("notifications/progress", { progressToken: "abc123", progress: 50, total: 100 })]
  },
  CancelledNotificationParams: {
    section: "basic/utilities/cancellation",
    values: [{ requestId: "123", reason: "User requested cancellation", _meta: meta }, {}]
  },
  CancelledNotification: {
    section: "basic/utilities/cancellation",
    values: [note("notifications/cancelled", { requestId: 123, reason: "timeout" })]
  },
  // Content
  TextContent: { section: "server/tools", values: [textContent, { type: "text", text: "" }] },
  ImageContent: { section: "server/tools", values: [imageContent] },
  AudioContent: { section: "server/tools", values: [audioContent] },
  ResourceContents: { section: "server/resources", values: [{ uri: "file:///a", mimeType: "text/plain", _meta: meta }] },
  TextResourceContents: { section: "server/resources", values: [textResourceContents] },
  BlobResourceContents: { section: "server/resources", values: [blobResourceContents] },
  ResourceLink: { section: "server/tools", values: [resourceLink, { type: "resource_link", uri: "https://x.y/z", name: "z" }] },
  EmbeddedResource: { section: "server/tools", values: [embeddedResource, embeddedBlob] },
  ContentBlock: { section: "server/tools", values: [textContent, imageContent, audioContent, resourceLink, embeddedResource] },
  ToolUseContent: { section: "client/sampling", values: [toolUseContent] },
  ToolResultContent: { section: "client/sampling", values: [toolResultContent, { type: "tool_result", toolUseId: "c", content: [] }] },
  SamplingMessageContentBlock: {
    section: "client/sampling",
    values: [textContent, imageContent, audioContent, toolUseContent, toolResultContent]
  },
  // Resources
  Resource: { section: "server/resources", values: [resource, { uri: "https://example.com/r", name: "r" }] },
  ResourceTemplate: { section: "server/resources", values: [resourceTemplate] },
  ResourceRequestParams: { section: "server/resources", values: [{ uri: "file:///a", _meta: requestMeta }] },
  ListResourcesRequest: { section: "server/resources", values: [req("resources/list", paginated), req("resources/list")] },
  ListResourcesResult: { section: "server/resources", values: [listResourcesResult] },
  ListResourceTemplatesRequest: { section: "server/resources", values: [req("resources/templates/list", paginated)] },
  ListResourceTemplatesResult: { section: "server/resources", values: [listResourceTemplatesResult] },
  ReadResourceRequestParams: { section: "server/resources", values: [{ uri: "file:///project/src/main.rs", _meta: requestMeta }] },
  ReadResourceRequest: { section: "server/resources", values: [req("resources/read", { uri: "file:///project/src/main.rs" })] },
  ReadResourceResult: { section: "server/resources", values: [readResourceResult] },
  ResourceListChangedNotification: { section: "server/resources", values: [note("notifications/resources/list_changed")] },
  SubscribeRequestParams: { section: "server/resources", values: [{ uri: "file:///a" }] },
  SubscribeRequest: { section: "server/resources", values: [req("resources/subscribe", { uri: "file:///a" })] },
  UnsubscribeRequestParams: { section: "server/resources", values: [{ uri: "file:///a", _meta: requestMeta }] },
  UnsubscribeRequest: { section: "server/resources", values: [req("resources/unsubscribe", { uri: "file:///a" })] },
  ResourceUpdatedNotificationParams: { section: "server/resources", values: [{ uri: "file:///project/src/main.rs", _meta: meta }] },
  ResourceUpdatedNotification: {
    section: "server/resources",
    values: [note("notifications/resources/updated", { uri: "file:///project/src/main.rs" })]
  },
  // Prompts
  PromptArgument: { section: "server/prompts", values: [promptArgument, { name: "x" }] },
  Prompt: { section: "server/prompts", values: [prompt] },
  PromptMessage: { section: "server/prompts", values: [promptMessage, { role: "assistant", content: embeddedResource }] },
  PromptReference: { section: "server/utilities/completion", values: [{ type: "ref/prompt", name: "code_review", title: "Review" }] },
  ListPromptsRequest: { section: "server/prompts", values: [req("prompts/list", paginated)] },
  ListPromptsResult: { section: "server/prompts", values: [listPromptsResult] },
  GetPromptRequestParams: { section: "server/prompts", values: [{ name: "code_review", arguments: { code: "def f(): pass" }, _meta: requestMeta }] },
  GetPromptRequest: { section: "server/prompts", values: [req("prompts/get", { name: "code_review", arguments: { code: "x" } })] },
  GetPromptResult: { section: "server/prompts", values: [getPromptResult] },
  PromptListChangedNotification: { section: "server/prompts", values: [note("notifications/prompts/list_changed")] },
  // Tools
  ToolAnnotations: { section: "server/tools", values: [tool.annotations, {}] },
  ToolExecution: { section: "basic/utilities/tasks", values: [{ taskSupport: "required" }, { taskSupport: "forbidden" }, {}] },
  Tool: { section: "server/tools", values: [tool, minimalTool] },
  ListToolsRequest: { section: "server/tools", values: [req("tools/list", paginated), req("tools/list")] },
  ListToolsResult: { section: "server/tools", values: [listToolsResult] },
  CallToolRequestParams: {
    section: "server/tools",
    values: [{ name: "get_weather", arguments: { location: "New York" }, task: { ttl: 60000 }, _meta: requestMeta }]
  },
  CallToolRequest: { section: "server/tools", values: [req("tools/call", { name: "get_weather", arguments: { location: "NY" } }, 2)] },
  CallToolResult: { section: "server/tools", values: [callToolResult, { content: [], isError: true }] },
  ToolListChangedNotification: { section: "server/tools", values: [note("notifications/tools/list_changed")] },
  // Logging
  LoggingLevel: {
    section: "server/utilities/logging",
    values: ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
  },
  SetLevelRequestParams: { section: "server/utilities/logging", values: [{ level: "info", _meta: requestMeta }] },
  SetLevelRequest: { section: "server/utilities/logging", values: [req("logging/setLevel", { level: "warning" })] },
  LoggingMessageNotificationParams: {
    section: "server/utilities/logging",
    values: [
      { level: "error", logger: "database", data: { error: "Connection failed", details: { host: "localhost", port: 5432 } }, _meta: meta },
      { level: "info", data: null },
      { level: "debug", data: "plain string" }
    ]
  },
  LoggingMessageNotification: {
    section: "server/utilities/logging",
    values: [note("notifications/message", { level: "error", logger: "db", data: ["a", 1] })]
  },
  // Completion
  ResourceTemplateReference: { section: "server/utilities/completion", values: [{ type: "ref/resource", uri: "file:///{path}" }] },
  CompleteRequestParams: {
    section: "server/utilities/completion",
    values: [completeParams, { ref: { type: "ref/resource", uri: "github://repos/{owner}/{repo}" }, argument: { name: "owner", value: "mod" } }]
  },
  CompleteRequest: { section: "server/utilities/completion", values: [req("completion/complete", completeParams)] },
  CompleteResult: { section: "server/utilities/completion", values: [completeResult, { completion: { values: [] } }] },
  // Sampling
  ModelHint: { section: "client/sampling", values: [{ name: "claude" }, {}] },
  ModelPreferences: { section: "client/sampling", values: [createMessageParams.modelPreferences, {}] },
  ToolChoice: { section: "client/sampling", values: [{ mode: "auto" }, { mode: "required" }, { mode: "none" }, {}] },
  SamplingMessage: { section: "client/sampling", values: [samplingMessage, samplingToolMessage] },
  CreateMessageRequestParams: { section: "client/sampling", values: [createMessageParams, { messages: [], maxTokens: 1 }] },
  CreateMessageRequest: { section: "client/sampling", values: [req("sampling/createMessage", createMessageParams)] },
  CreateMessageResult: { section: "client/sampling", values: [createMessageResult, createMessageToolResult] },
  // Roots
  Root: { section: "client/roots", values: [{ uri: "file:///home/user/projects/myproject", name: "My Project", _meta: meta }] },
  ListRootsRequest: { section: "client/roots", values: [req("roots/list"), req("roots/list", { _meta: requestMeta })] },
  ListRootsResult: { section: "client/roots", values: [listRootsResult] },
  RootsListChangedNotification: { section: "client/roots", values: [note("notifications/roots/list_changed")] },
  // Elicitation
  StringSchema: { section: "client/elicitation", values: [stringSchema, { type: "string" }] },
  NumberSchema: { section: "client/elicitation", values: [numberSchema, { type: "number", minimum: 0.5 }] },
  BooleanSchema: { section: "client/elicitation", values: [booleanSchema] },
  UntitledSingleSelectEnumSchema: { section: "client/elicitation", values: [untitledSingle] },
  TitledSingleSelectEnumSchema: { section: "client/elicitation", values: [titledSingle] },
  UntitledMultiSelectEnumSchema: { section: "client/elicitation", values: [untitledMulti] },
  TitledMultiSelectEnumSchema: { section: "client/elicitation", values: [titledMulti] },
  LegacyTitledEnumSchema: { section: "client/elicitation", values: [legacyTitled] },
  SingleSelectEnumSchema: { section: "client/elicitation", values: [untitledSingle, titledSingle] },
  MultiSelectEnumSchema: { section: "client/elicitation", values: [untitledMulti, titledMulti] },
  EnumSchema: { section: "client/elicitation", values: [untitledSingle, titledSingle, untitledMulti, titledMulti, legacyTitled] },
  PrimitiveSchemaDefinition: {
    section: "client/elicitation",
    values: [stringSchema, numberSchema, booleanSchema, untitledSingle, titledSingle, untitledMulti, titledMulti, legacyTitled]
  },
  ElicitRequestFormParams: { section: "client/elicitation", values: [formParams, { message: "m", requestedSchema: { type: "object", properties: {} } }] },
  ElicitRequestURLParams: { section: "client/elicitation", values: [urlParams] },
  ElicitRequestParams: { section: "client/elicitation", values: [formParams, urlParams] },
  ElicitRequest: { section: "client/elicitation", values: [req("elicitation/create", formParams), req("elicitation/create", urlParams)] },
  ElicitResult: { section: "client/elicitation", values: [elicitResult, { action: "decline" }, { action: "cancel", _meta: meta }] },
  ElicitationCompleteNotification: {
    section: "client/elicitation",
    values: [note("notifications/elicitation/complete", { elicitationId: urlParams.elicitationId })]
  },
  URLElicitationRequiredError: {
    section: "client/elicitation",
    values: [{
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32042, message: "This request requires more information.", data: { elicitations: [urlParams] } }
    }]
  },
  // Direction unions
  ClientRequest: {
    section: "basic/index",
    values: [req("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: implementation }), req("tools/call", { name: "t" }), req("completion/complete", completeParams)]
  },
  ClientNotification: { section: "basic/index", values: [note("notifications/initialized"), note("notifications/roots/list_changed")] },
  ClientResult: { section: "basic/index", values: [emptyResult, createMessageResult, listRootsResult, elicitResult, listTasksResult] },
  ServerRequest: { section: "basic/index", values: [req("ping"), req("sampling/createMessage", createMessageParams), req("elicitation/create", urlParams)] },
  ServerNotification: {
    section: "basic/index",
    values: [note("notifications/tools/list_changed"), note("notifications/message", { level: "info", data: 1 })]
  },
  ServerResult: { section: "basic/index", values: [initializeResult, callToolResult, readResourceResult, completeResult, emptyResult] }
}

// -----------------------------------------------------------------------------
// Tests
// -----------------------------------------------------------------------------

describe("McpSchema covers schema.json (spec 2025-11-25 schema)", () => {
  it("exports an Effect schema for every schema.json definition, under the same name", () => {
    const missing = definitionNames.filter((name) => !Schema.isSchema(exported[name]))
    expect(missing).toEqual([])
  })

  it("has at least one spec-valid sample for every schema.json definition", () => {
    expect(definitionNames.filter((name) => samples[name] === undefined)).toEqual([])
    expect(Object.keys(samples).filter((name) => !definitionNames.includes(name))).toEqual([])
  })

  it("declares 2025-11-25 as the latest protocol version and supports the older revisions (basic/lifecycle)", () => {
    expect(Mcp.LATEST_PROTOCOL_VERSION).toBe("2025-11-25")
    expect(Mcp.SUPPORTED_PROTOCOL_VERSIONS[0]).toBe(Mcp.LATEST_PROTOCOL_VERSION)
    expect(Mcp.SUPPORTED_PROTOCOL_VERSIONS).toEqual(["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"])
  })
})

describe("Decoding then encoding a spec-valid message preserves every field", () => {
  for (const [name, { section, values }] of Object.entries(samples)) {
    values.forEach((value, index) => {
      it(`${name} sample #${index + 1} is accepted by schema.json and survives decode/encode unchanged (${section})`, () => {
        expectSpecValid(name, value)
        expect(roundTrip(name, value)).toStrictEqual(value)
      })
    })
  }
})

describe("Open objects keep unknown keys (basic/index — General fields)", () => {
  it("a CallToolResult keeps unknown top-level keys and _meta entries through decode and encode (server/tools)", () => {
    const value = { ...callToolResult, "x-vendor": { a: [1, { b: null }] } }
    expectSpecValid("CallToolResult", value)
    const decoded = Schema.decodeUnknownSync(Mcp.CallToolResult)(value)
    expect(decoded["x-vendor"]).toEqual({ a: [1, { b: null }] })
    expect(decoded._meta).toEqual(meta)
    expect(Schema.encodeSync(Mcp.CallToolResult)(decoded)).toStrictEqual(value)
  })

  it("a request's _meta keeps its progressToken and vendor keys (basic/utilities/progress)", () => {
    const decoded = Schema.decodeUnknownSync(Mcp.CallToolRequest)(req("tools/call", { name: "t", _meta: requestMeta }))
    expect(decoded.params._meta?.progressToken).toBe("progress-1")
    expect(decoded.params._meta?.["com.example/origin"]).toBe("cli")
  })

  it("a direction union narrows to the specific request by its method literal (basic/index)", () => {
    const decoded = Schema.decodeUnknownSync(Mcp.ClientRequest)(req("tools/call", { name: "get_weather" }))
    expect(decoded.method).toBe("tools/call")
    if (decoded.method === "tools/call") expect(decoded.params.name).toBe("get_weather")
  })
})

/** [definition, wrongly typed value, spec section] — each must be rejected by our decoder and by schema.json. */
const negatives: ReadonlyArray<readonly [string, unknown, string]> = [
  ["CallToolResult", { content: "not an array" }, "server/tools"],
  ["CallToolResult", { content: [{ type: "video", url: "x" }] }, "server/tools"],
  ["TextContent", { type: "text", text: 42 }, "server/tools"],
  ["ImageContent", { type: "image", data: png }, "server/tools"],
  ["Tool", { name: "no-input-schema" }, "server/tools"],
  ["Tool", { name: "t", inputSchema: { type: "array" } }, "server/tools"],
  ["Resource", { uri: "file:///a", name: "a", size: 1.5 }, "server/resources"],
  ["Annotations", { priority: 2 }, "server/resources"],
  ["Annotations", { audience: ["robot"] }, "server/resources"],
  ["Task", { ...task, ttl: "forever" }, "basic/utilities/tasks"],
  ["Task", { ...task, status: "paused" }, "basic/utilities/tasks"],
  ["ProgressNotificationParams", { progressToken: "p", progress: "50%" }, "basic/utilities/progress"],
  ["LoggingMessageNotificationParams", { level: "info" }, "server/utilities/logging"],
  ["LoggingMessageNotificationParams", { level: "verbose", data: 1 }, "server/utilities/logging"],
  ["JSONRPCRequest", { jsonrpc: "1.0", id: 1, method: "ping" }, "basic/index"],
  ["JSONRPCRequest", { jsonrpc: "2.0", id: 1.5, method: "ping" }, "basic/index"],
  ["CallToolRequest", req("tools/list", { name: "t" }), "server/tools"],
  ["ElicitRequestURLParams", { message: "m", elicitationId: "e", url: "https://x.y" }, "client/elicitation"],
  ["ElicitResult", { action: "maybe" }, "client/elicitation"],
  ["CreateMessageRequestParams", { messages: [], maxTokens: 1.5 }, "client/sampling"],
  ["InitializeResult", { protocolVersion: "2025-11-25", capabilities: {} }, "basic/lifecycle"],
  ["URLElicitationRequiredError", { jsonrpc: "2.0", id: 1, error: { code: -32000, message: "m", data: { elicitations: [] } } }, "client/elicitation"]
]

describe("Wrongly typed messages are rejected", () => {
  for (const [name, value, section] of negatives) {
    it(`rejects an invalid ${name} ${JSON.stringify(value).slice(0, 60)} like schema.json does (${section})`, () => {
      expect(Either.isLeft(Schema.decodeUnknownEither(schemaFor(name))(value))).toBe(true)
      expect(validator.validate(name, value).valid).toBe(false)
    })
  }
})

// -----------------------------------------------------------------------------
// Examples shipped with the spec
// -----------------------------------------------------------------------------

const listFiles = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? listFiles(path) : [path]
  })

const specFiles = listFiles(specDir)
const exampleJsonFiles = specFiles.filter((path) => path.endsWith(".json") && path !== specSchemaPath)

/** Parses JSON, tolerating the `// comment` annotations the spec prose puts in examples. */
const parseLenient = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return JSON.parse(text.replace(/\s\/\/[^\n"]*$/gm, ""))
  }
}

/** JSON-RPC messages embedded as ```json blocks in the spec prose. */
const docExamples: ReadonlyArray<{ readonly file: string; readonly message: Record<string, unknown> }> = specFiles
  .filter((path) => path.endsWith(".mdx") || path.endsWith(".md"))
  .flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/```json[^\n]*\n([\s\S]*?)```/g)].flatMap((match) => {
      try {
        const parsed = parseLenient(match[1] ?? "")
        return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && "jsonrpc" in parsed
          ? [{ file: file.slice(specDir.length + 1), message: parsed as Record<string, unknown> }]
          : []
      } catch {
        return [] // prose snippets with comments or ellipses are not JSON
      }
    })
  )

/** Maps each request/notification method to its schema.json definition name. */
const methodDefinitions = new Map(
  Object.entries(specJson.$defs).flatMap(([name, def]) => {
    const method = (def as { properties?: { method?: { const?: unknown } } }).properties?.method?.const
    return typeof method === "string" ? [[method, name] as const] : []
  })
)

describe("Examples shipped with the spec decode (spec 2025-11-25 docs)", () => {
  it.skipIf(exampleJsonFiles.length === 0)("every example JSON file decodes as a JSONRPCMessage", () => {
    for (const file of exampleJsonFiles) {
      const value: unknown = JSON.parse(readFileSync(file, "utf8"))
      expect(roundTrip("JSONRPCMessage", value)).toStrictEqual(value)
    }
  })

  it("finds JSON-RPC examples in the spec prose", () => {
    expect(docExamples.length).toBeGreaterThan(20)
  })

  for (const { file, message } of docExamples) {
    const method = typeof message["method"] === "string" ? message["method"] : undefined
    const error = message["error"]
    const definition =
      method !== undefined
        ? (methodDefinitions.get(method) ?? "JSONRPCMessage")
        : typeof error === "object" && error !== null && (error as { code?: unknown }).code === -32042
          ? "URLElicitationRequiredError"
          : "JSONRPCMessage"
    const label = method ?? ("error" in message ? "error response" : "result response")
    it(`the ${label} example in ${file} gets the same verdict from our ${definition} decoder as from schema.json`, () => {
      const ours = Either.isRight(Schema.decodeUnknownEither(schemaFor(definition))(message))
      expect(ours).toBe(validator.validate(definition, message).valid)
      if (ours) expect(roundTrip(definition, message)).toStrictEqual(message)
    })
  }
})
