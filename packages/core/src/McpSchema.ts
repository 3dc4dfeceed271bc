/**
 * Effect Schema definitions for every definition (`$defs`) of the Model Context
 * Protocol JSON schema, revision 2025-11-25, and (section "2026-07-28" at the
 * end, all of them by name in `definitions20260728`) revision 2026-07-28.
 *
 * Conventions:
 * - Every export carries exactly the name of its `schema.json` definition and a
 *   matching `type X = typeof X.Type`; a 2026-07-28 definition whose name
 *   2025-11-25 already uses for another shape takes the suffix `2026`.
 * - MCP objects are open (no `schema.json` definition sets
 *   `additionalProperties: false`), so every object schema is a
 *   `Schema.Struct(fields, Schema.Record({ key: Schema.String, value: Schema.Unknown }))`:
 *   unknown keys (`_meta` entries, future fields) survive decode AND encode.
 * - `"type": "integer"` maps to `Schema.Int`, `"type": "number"` to `Schema.Number`.
 * - No schema in this module contains a transformation, so `Type` and `Encoded`
 *   coincide and `encode(decode(x))` reproduces `x`.
 *
 * All schemas are built once, at module load time.
 *
 * @see spec 2025-11-25 schema — https://modelcontextprotocol.io/specification/2025-11-25/schema
 * @see spec 2026-07-28 schema — https://modelcontextprotocol.io/specification/2026-07-28/schema
 */
import { Schema } from "effect"

// =============================================================================
// Protocol versions
// =============================================================================

/** @see spec 2025-11-25 basic/lifecycle — "Version Negotiation" */
export const LATEST_PROTOCOL_VERSION = "2025-11-25" as const

/** @see spec 2025-11-25 basic/lifecycle — "Version Negotiation" (newest first) */
export const SUPPORTED_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] as const

/**
 * The stateless revision: no `initialize`, every request carries its version
 * and client capabilities in `_meta` (spec 2026-07-28 basic/versioning).
 */
export const STATELESS_PROTOCOL_VERSION = "2026-07-28" as const

/** Every revision this server speaks, newest first: what `server/discover` and -32022 list. */
export const ALL_PROTOCOL_VERSIONS = [STATELESS_PROTOCOL_VERSION, ...SUPPORTED_PROTOCOL_VERSIONS] as const

/** True for a revision served statelessly, per request (2026-07-28). */
export const isStateless = (protocolVersion: string): boolean => protocolVersion === STATELESS_PROTOCOL_VERSION

/** The `_meta` keys of the 2026-07-28 per-request and per-result protocol fields (spec 2026-07-28 basic/index "_meta"). */
export const MetaKey = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
  subscriptionId: "io.modelcontextprotocol/subscriptionId",
  /** W3C Trace Context, reserved outside the prefix rule (spec 2026-07-28 basic/index "OpenTelemetry trace context"). */
  traceparent: "traceparent",
  /** W3C Trace Context vendor state (spec 2026-07-28 basic/index "OpenTelemetry trace context"). */
  tracestate: "tracestate",
  /** W3C Baggage (spec 2026-07-28 basic/index "OpenTelemetry trace context"). */
  baggage: "baggage"
} as const

// =============================================================================
// Building blocks (not spec definitions themselves)
// =============================================================================

/** Index signature that keeps unknown keys of an open MCP object. */
const Rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * An open struct: the given fields plus any additional properties. Called only
 * at module load time, so every schema is constructed exactly once.
 */
const open = <Fields extends Schema.Struct.Fields>(fields: Fields) => Schema.Struct(fields, Rest)

/**
 * Any JSON object (`{"type": "object", "additionalProperties": {}}`).
 * @see spec 2025-11-25 basic/index — "General fields"
 */
export const JsonObject = Rest.annotations({ identifier: "JsonObject" })
export type JsonObject = typeof JsonObject.Type

/**
 * A required property whose schema is `{}` (any JSON value). `Schema.Unknown`
 * alone would accept a missing key, so `undefined` is rejected explicitly.
 */
const AnyJsonValue = Schema.Unknown.pipe(
  Schema.filter((u) => u !== undefined, { message: () => "Expected a JSON value" })
)

/** A number in [0, 1] (`"minimum": 0, "maximum": 1`). */
const UnitInterval = Schema.Number.pipe(Schema.between(0, 1))

/** `_meta` on results, notifications and data objects. */
const Meta = Schema.optional(JsonObject)

/** The JSON-RPC version tag. */
const JsonRpc = Schema.Literal("2.0")

// =============================================================================
// JSON-RPC base types — basic/index
// =============================================================================

/** @see spec 2025-11-25 basic/index — "Requests" ("RequestId": string | integer) */
export const RequestId = Schema.Union(Schema.String, Schema.Int).annotations({ identifier: "RequestId" })
export type RequestId = typeof RequestId.Type

/** @see spec 2025-11-25 basic/utilities/progress — "ProgressToken" */
export const ProgressToken = Schema.Union(Schema.String, Schema.Int).annotations({ identifier: "ProgressToken" })
export type ProgressToken = typeof ProgressToken.Type

/** @see spec 2025-11-25 server/utilities/pagination — "Cursor" */
export const Cursor = Schema.String.annotations({ identifier: "Cursor" })
export type Cursor = typeof Cursor.Type

/** `_meta` on request params: may carry a `progressToken`. */
const RequestMeta = Schema.optional(open({ progressToken: Schema.optional(ProgressToken) }))

/** @see spec 2025-11-25 basic/index — "Requests" ("RequestParams") */
export const RequestParams = open({ _meta: RequestMeta }).annotations({ identifier: "RequestParams" })
export type RequestParams = typeof RequestParams.Type

/** @see spec 2025-11-25 basic/index — "Notifications" ("NotificationParams") */
export const NotificationParams = open({ _meta: Meta }).annotations({ identifier: "NotificationParams" })
export type NotificationParams = typeof NotificationParams.Type

/** @see spec 2025-11-25 basic/index — "Requests" ("Request") */
export const Request = open({
  method: Schema.String,
  params: Schema.optional(JsonObject)
}).annotations({ identifier: "Request" })
export type Request = typeof Request.Type

/** @see spec 2025-11-25 basic/index — "Notifications" ("Notification") */
export const Notification = open({
  method: Schema.String,
  params: Schema.optional(JsonObject)
}).annotations({ identifier: "Notification" })
export type Notification = typeof Notification.Type

/** @see spec 2025-11-25 basic/index — "Result Responses" ("Result") */
export const Result = open({ _meta: Meta }).annotations({ identifier: "Result" })
export type Result = typeof Result.Type

/** @see spec 2025-11-25 basic/index — "Result Responses" ("EmptyResult": a Result with no payload) */
export const EmptyResult = Result.annotations({ identifier: "EmptyResult" })
export type EmptyResult = typeof EmptyResult.Type

/** @see spec 2025-11-25 basic/index — "Error Responses" ("Error") */
export const Error = open({
  code: Schema.Int,
  message: Schema.String,
  data: Schema.optional(Schema.Unknown)
}).annotations({ identifier: "Error" })
export type Error = typeof Error.Type

/** @see spec 2025-11-25 basic/index — "Requests" ("JSONRPCRequest") */
export const JSONRPCRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.String,
  params: Schema.optional(JsonObject)
}).annotations({ identifier: "JSONRPCRequest" })
export type JSONRPCRequest = typeof JSONRPCRequest.Type

/** @see spec 2025-11-25 basic/index — "Notifications" ("JSONRPCNotification") */
export const JSONRPCNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.String,
  params: Schema.optional(JsonObject)
}).annotations({ identifier: "JSONRPCNotification" })
export type JSONRPCNotification = typeof JSONRPCNotification.Type

/** @see spec 2025-11-25 basic/index — "Result Responses" ("JSONRPCResultResponse") */
export const JSONRPCResultResponse = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  result: Result
}).annotations({ identifier: "JSONRPCResultResponse" })
export type JSONRPCResultResponse = typeof JSONRPCResultResponse.Type

/** @see spec 2025-11-25 basic/index — "Error Responses" ("JSONRPCErrorResponse"; `id` may be absent) */
export const JSONRPCErrorResponse = open({
  jsonrpc: JsonRpc,
  id: Schema.optional(RequestId),
  error: Error
}).annotations({ identifier: "JSONRPCErrorResponse" })
export type JSONRPCErrorResponse = typeof JSONRPCErrorResponse.Type

/** @see spec 2025-11-25 basic/index — "Responses" ("JSONRPCResponse") */
export const JSONRPCResponse = Schema.Union(JSONRPCResultResponse, JSONRPCErrorResponse).annotations({
  identifier: "JSONRPCResponse"
})
export type JSONRPCResponse = typeof JSONRPCResponse.Type

/** @see spec 2025-11-25 basic/index — "Messages" ("JSONRPCMessage") */
export const JSONRPCMessage = Schema.Union(
  JSONRPCRequest,
  JSONRPCNotification,
  JSONRPCResultResponse,
  JSONRPCErrorResponse
).annotations({ identifier: "JSONRPCMessage" })
export type JSONRPCMessage = typeof JSONRPCMessage.Type

// =============================================================================
// Common metadata — basic/index "General fields", server/resources "Annotations"
// =============================================================================

/** @see spec 2025-11-25 basic/index — "General fields" ("BaseMetadata": name + display title) */
export const BaseMetadata = open({
  name: Schema.String,
  title: Schema.optional(Schema.String)
}).annotations({ identifier: "BaseMetadata" })
export type BaseMetadata = typeof BaseMetadata.Type

/** @see spec 2025-11-25 basic/index — "icons" ("Icon") */
export const Icon = open({
  src: Schema.String,
  mimeType: Schema.optional(Schema.String),
  sizes: Schema.optional(Schema.Array(Schema.String)),
  theme: Schema.optional(Schema.Literal("light", "dark"))
}).annotations({ identifier: "Icon" })
export type Icon = typeof Icon.Type

/** @see spec 2025-11-25 basic/index — "icons" ("Icons") */
export const Icons = open({
  icons: Schema.optional(Schema.Array(Icon))
}).annotations({ identifier: "Icons" })
export type Icons = typeof Icons.Type

/** @see spec 2025-11-25 basic/lifecycle — "Initialization" ("Implementation": clientInfo / serverInfo) */
export const Implementation = open({
  name: Schema.String,
  title: Schema.optional(Schema.String),
  version: Schema.String,
  description: Schema.optional(Schema.String),
  websiteUrl: Schema.optional(Schema.String),
  icons: Schema.optional(Schema.Array(Icon))
}).annotations({ identifier: "Implementation" })
export type Implementation = typeof Implementation.Type

/** @see spec 2025-11-25 server/prompts — "PromptMessage" ("Role") */
export const Role = Schema.Literal("user", "assistant").annotations({ identifier: "Role" })
export type Role = typeof Role.Type

/** @see spec 2025-11-25 server/resources — "Annotations" */
export const Annotations = open({
  audience: Schema.optional(Schema.Array(Role)),
  priority: Schema.optional(UnitInterval),
  lastModified: Schema.optional(Schema.String)
}).annotations({ identifier: "Annotations" })
export type Annotations = typeof Annotations.Type

// =============================================================================
// Pagination — server/utilities/pagination
// =============================================================================

/** @see spec 2025-11-25 server/utilities/pagination — "Request Format" ("PaginatedRequestParams") */
export const PaginatedRequestParams = open({
  _meta: RequestMeta,
  cursor: Schema.optional(Cursor)
}).annotations({ identifier: "PaginatedRequestParams" })
export type PaginatedRequestParams = typeof PaginatedRequestParams.Type

/** @see spec 2025-11-25 server/utilities/pagination — "Request Format" ("PaginatedRequest") */
export const PaginatedRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.String,
  params: Schema.optional(PaginatedRequestParams)
}).annotations({ identifier: "PaginatedRequest" })
export type PaginatedRequest = typeof PaginatedRequest.Type

/** @see spec 2025-11-25 server/utilities/pagination — "Response Format" ("PaginatedResult") */
export const PaginatedResult = open({
  _meta: Meta,
  nextCursor: Schema.optional(Cursor)
}).annotations({ identifier: "PaginatedResult" })
export type PaginatedResult = typeof PaginatedResult.Type

// =============================================================================
// Tasks — basic/utilities/tasks
// =============================================================================

/** @see spec 2025-11-25 basic/utilities/tasks — "Task Status Lifecycle" ("TaskStatus") */
export const TaskStatus = Schema.Literal("working", "input_required", "completed", "failed", "cancelled").annotations({
  identifier: "TaskStatus"
})
export type TaskStatus = typeof TaskStatus.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Creating Tasks" ("TaskMetadata": the `task` request param) */
export const TaskMetadata = open({
  ttl: Schema.optional(Schema.Int)
}).annotations({ identifier: "TaskMetadata" })
export type TaskMetadata = typeof TaskMetadata.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Associating Task-Related Messages" ("RelatedTaskMetadata") */
export const RelatedTaskMetadata = open({
  taskId: Schema.String
}).annotations({ identifier: "RelatedTaskMetadata" })
export type RelatedTaskMetadata = typeof RelatedTaskMetadata.Type

const TaskFields = {
  taskId: Schema.String,
  status: TaskStatus,
  statusMessage: Schema.optional(Schema.String),
  createdAt: Schema.String,
  lastUpdatedAt: Schema.String,
  ttl: Schema.NullOr(Schema.Int),
  pollInterval: Schema.optional(Schema.Int)
}

/** @see spec 2025-11-25 basic/utilities/tasks — "Definitions" ("Task") */
export const Task = open(TaskFields).annotations({ identifier: "Task" })
export type Task = typeof Task.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Creating Tasks" ("TaskAugmentedRequestParams") */
export const TaskAugmentedRequestParams = open({
  _meta: RequestMeta,
  task: Schema.optional(TaskMetadata)
}).annotations({ identifier: "TaskAugmentedRequestParams" })
export type TaskAugmentedRequestParams = typeof TaskAugmentedRequestParams.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Creating Tasks" ("CreateTaskResult") */
export const CreateTaskResult = open({
  _meta: Meta,
  task: Task
}).annotations({ identifier: "CreateTaskResult" })
export type CreateTaskResult = typeof CreateTaskResult.Type

const TaskIdParams = open({ taskId: Schema.String })

/** @see spec 2025-11-25 basic/utilities/tasks — "Getting Tasks" ("GetTaskRequest", `tasks/get`) */
export const GetTaskRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("tasks/get"),
  params: TaskIdParams
}).annotations({ identifier: "GetTaskRequest" })
export type GetTaskRequest = typeof GetTaskRequest.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Getting Tasks" ("GetTaskResult" = Result & Task) */
export const GetTaskResult = open({ _meta: Meta, ...TaskFields }).annotations({ identifier: "GetTaskResult" })
export type GetTaskResult = typeof GetTaskResult.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Retrieving Task Results" ("GetTaskPayloadRequest", `tasks/result`) */
export const GetTaskPayloadRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("tasks/result"),
  params: TaskIdParams
}).annotations({ identifier: "GetTaskPayloadRequest" })
export type GetTaskPayloadRequest = typeof GetTaskPayloadRequest.Type

/**
 * The payload has the shape of the original request's result (e.g. a `CallToolResult`).
 * @see spec 2025-11-25 basic/utilities/tasks — "Retrieving Task Results" ("GetTaskPayloadResult")
 */
export const GetTaskPayloadResult = open({ _meta: Meta }).annotations({ identifier: "GetTaskPayloadResult" })
export type GetTaskPayloadResult = typeof GetTaskPayloadResult.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Cancelling Tasks" ("CancelTaskRequest", `tasks/cancel`) */
export const CancelTaskRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("tasks/cancel"),
  params: TaskIdParams
}).annotations({ identifier: "CancelTaskRequest" })
export type CancelTaskRequest = typeof CancelTaskRequest.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Cancelling Tasks" ("CancelTaskResult" = Result & Task) */
export const CancelTaskResult = open({ _meta: Meta, ...TaskFields }).annotations({ identifier: "CancelTaskResult" })
export type CancelTaskResult = typeof CancelTaskResult.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Listing Tasks" ("ListTasksRequest", `tasks/list`) */
export const ListTasksRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("tasks/list"),
  params: Schema.optional(PaginatedRequestParams)
}).annotations({ identifier: "ListTasksRequest" })
export type ListTasksRequest = typeof ListTasksRequest.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Listing Tasks" ("ListTasksResult") */
export const ListTasksResult = open({
  _meta: Meta,
  nextCursor: Schema.optional(Cursor),
  tasks: Schema.Array(Task)
}).annotations({ identifier: "ListTasksResult" })
export type ListTasksResult = typeof ListTasksResult.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Task Status Notification" ("TaskStatusNotificationParams" = NotificationParams & Task) */
export const TaskStatusNotificationParams = open({ _meta: Meta, ...TaskFields }).annotations({
  identifier: "TaskStatusNotificationParams"
})
export type TaskStatusNotificationParams = typeof TaskStatusNotificationParams.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Task Status Notification" (`notifications/tasks/status`) */
export const TaskStatusNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/tasks/status"),
  params: TaskStatusNotificationParams
}).annotations({ identifier: "TaskStatusNotification" })
export type TaskStatusNotification = typeof TaskStatusNotification.Type

// =============================================================================
// Lifecycle — basic/lifecycle
// =============================================================================

/** @see spec 2025-11-25 basic/lifecycle — "Capability Negotiation" ("ClientCapabilities") */
export const ClientCapabilities = open({
  experimental: Schema.optional(Schema.Record({ key: Schema.String, value: JsonObject })),
  roots: Schema.optional(open({ listChanged: Schema.optional(Schema.Boolean) })),
  sampling: Schema.optional(
    open({
      context: Schema.optional(JsonObject),
      tools: Schema.optional(JsonObject)
    })
  ),
  elicitation: Schema.optional(
    open({
      form: Schema.optional(JsonObject),
      url: Schema.optional(JsonObject)
    })
  ),
  tasks: Schema.optional(
    open({
      list: Schema.optional(JsonObject),
      cancel: Schema.optional(JsonObject),
      requests: Schema.optional(
        open({
          sampling: Schema.optional(open({ createMessage: Schema.optional(JsonObject) })),
          elicitation: Schema.optional(open({ create: Schema.optional(JsonObject) }))
        })
      )
    })
  )
}).annotations({ identifier: "ClientCapabilities" })
export type ClientCapabilities = typeof ClientCapabilities.Type

/** @see spec 2025-11-25 basic/lifecycle — "Capability Negotiation" ("ServerCapabilities") */
export const ServerCapabilities = open({
  experimental: Schema.optional(Schema.Record({ key: Schema.String, value: JsonObject })),
  logging: Schema.optional(JsonObject),
  completions: Schema.optional(JsonObject),
  prompts: Schema.optional(open({ listChanged: Schema.optional(Schema.Boolean) })),
  resources: Schema.optional(
    open({
      subscribe: Schema.optional(Schema.Boolean),
      listChanged: Schema.optional(Schema.Boolean)
    })
  ),
  tools: Schema.optional(open({ listChanged: Schema.optional(Schema.Boolean) })),
  tasks: Schema.optional(
    open({
      list: Schema.optional(JsonObject),
      cancel: Schema.optional(JsonObject),
      requests: Schema.optional(
        open({
          tools: Schema.optional(open({ call: Schema.optional(JsonObject) }))
        })
      )
    })
  )
}).annotations({ identifier: "ServerCapabilities" })
export type ServerCapabilities = typeof ServerCapabilities.Type

/** @see spec 2025-11-25 basic/lifecycle — "Initialization" ("InitializeRequestParams") */
export const InitializeRequestParams = open({
  _meta: RequestMeta,
  protocolVersion: Schema.String,
  capabilities: ClientCapabilities,
  clientInfo: Implementation
}).annotations({ identifier: "InitializeRequestParams" })
export type InitializeRequestParams = typeof InitializeRequestParams.Type

/** @see spec 2025-11-25 basic/lifecycle — "Initialization" ("InitializeRequest", `initialize`) */
export const InitializeRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("initialize"),
  params: InitializeRequestParams
}).annotations({ identifier: "InitializeRequest" })
export type InitializeRequest = typeof InitializeRequest.Type

/** @see spec 2025-11-25 basic/lifecycle — "Initialization" ("InitializeResult") */
export const InitializeResult = open({
  _meta: Meta,
  protocolVersion: Schema.String,
  capabilities: ServerCapabilities,
  serverInfo: Implementation,
  instructions: Schema.optional(Schema.String)
}).annotations({ identifier: "InitializeResult" })
export type InitializeResult = typeof InitializeResult.Type

/** @see spec 2025-11-25 basic/lifecycle — "Initialization" ("InitializedNotification", `notifications/initialized`) */
export const InitializedNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/initialized"),
  params: Schema.optional(NotificationParams)
}).annotations({ identifier: "InitializedNotification" })
export type InitializedNotification = typeof InitializedNotification.Type

// =============================================================================
// Utilities — basic/utilities/{ping,progress,cancellation}
// =============================================================================

/** @see spec 2025-11-25 basic/utilities/ping — "Message Format" ("PingRequest", `ping`) */
export const PingRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("ping"),
  params: Schema.optional(RequestParams)
}).annotations({ identifier: "PingRequest" })
export type PingRequest = typeof PingRequest.Type

/** @see spec 2025-11-25 basic/utilities/progress — "Progress Flow" ("ProgressNotificationParams") */
export const ProgressNotificationParams = open({
  _meta: Meta,
  progressToken: ProgressToken,
  progress: Schema.Number,
  total: Schema.optional(Schema.Number),
  message: Schema.optional(Schema.String)
}).annotations({ identifier: "ProgressNotificationParams" })
export type ProgressNotificationParams = typeof ProgressNotificationParams.Type

/** @see spec 2025-11-25 basic/utilities/progress — "Progress Flow" ("ProgressNotification", `notifications/progress`) */
export const ProgressNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/progress"),
  params: ProgressNotificationParams
}).annotations({ identifier: "ProgressNotification" })
export type ProgressNotification = typeof ProgressNotification.Type

/**
 * `requestId` is optional in schema.json (it MUST be given unless cancelling a task-augmented request).
 * @see spec 2025-11-25 basic/utilities/cancellation — "Cancellation Flow" ("CancelledNotificationParams")
 */
export const CancelledNotificationParams = open({
  _meta: Meta,
  requestId: Schema.optional(RequestId),
  reason: Schema.optional(Schema.String)
}).annotations({ identifier: "CancelledNotificationParams" })
export type CancelledNotificationParams = typeof CancelledNotificationParams.Type

/** @see spec 2025-11-25 basic/utilities/cancellation — "Cancellation Flow" ("CancelledNotification", `notifications/cancelled`) */
export const CancelledNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/cancelled"),
  params: CancelledNotificationParams
}).annotations({ identifier: "CancelledNotification" })
export type CancelledNotification = typeof CancelledNotification.Type

// =============================================================================
// Content — server/tools "Tool Result", server/resources "Resource Contents", client/sampling
// =============================================================================

/** @see spec 2025-11-25 server/tools — "Text Content" ("TextContent") */
export const TextContent = open({
  type: Schema.Literal("text"),
  text: Schema.String,
  annotations: Schema.optional(Annotations),
  _meta: Meta
}).annotations({ identifier: "TextContent" })
export type TextContent = typeof TextContent.Type

/** @see spec 2025-11-25 server/tools — "Image Content" ("ImageContent", base64 `data`) */
export const ImageContent = open({
  type: Schema.Literal("image"),
  data: Schema.String,
  mimeType: Schema.String,
  annotations: Schema.optional(Annotations),
  _meta: Meta
}).annotations({ identifier: "ImageContent" })
export type ImageContent = typeof ImageContent.Type

/** @see spec 2025-11-25 server/tools — "Audio Content" ("AudioContent", base64 `data`) */
export const AudioContent = open({
  type: Schema.Literal("audio"),
  data: Schema.String,
  mimeType: Schema.String,
  annotations: Schema.optional(Annotations),
  _meta: Meta
}).annotations({ identifier: "AudioContent" })
export type AudioContent = typeof AudioContent.Type

/** @see spec 2025-11-25 server/resources — "Resource Contents" ("ResourceContents") */
export const ResourceContents = open({
  uri: Schema.String,
  mimeType: Schema.optional(Schema.String),
  _meta: Meta
}).annotations({ identifier: "ResourceContents" })
export type ResourceContents = typeof ResourceContents.Type

/** @see spec 2025-11-25 server/resources — "Text Content" ("TextResourceContents") */
export const TextResourceContents = open({
  uri: Schema.String,
  mimeType: Schema.optional(Schema.String),
  text: Schema.String,
  _meta: Meta
}).annotations({ identifier: "TextResourceContents" })
export type TextResourceContents = typeof TextResourceContents.Type

/** @see spec 2025-11-25 server/resources — "Binary Content" ("BlobResourceContents", base64 `blob`) */
export const BlobResourceContents = open({
  uri: Schema.String,
  mimeType: Schema.optional(Schema.String),
  blob: Schema.String,
  _meta: Meta
}).annotations({ identifier: "BlobResourceContents" })
export type BlobResourceContents = typeof BlobResourceContents.Type

/** Text or blob resource contents (schema.json inlines this `anyOf`). */
const TextOrBlobResourceContents = Schema.Union(TextResourceContents, BlobResourceContents)

/** @see spec 2025-11-25 server/tools — "Resource Links" ("ResourceLink") */
export const ResourceLink = open({
  type: Schema.Literal("resource_link"),
  uri: Schema.String,
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  mimeType: Schema.optional(Schema.String),
  size: Schema.optional(Schema.Int),
  icons: Schema.optional(Schema.Array(Icon)),
  annotations: Schema.optional(Annotations),
  _meta: Meta
}).annotations({ identifier: "ResourceLink" })
export type ResourceLink = typeof ResourceLink.Type

/** @see spec 2025-11-25 server/tools — "Embedded Resources" ("EmbeddedResource") */
export const EmbeddedResource = open({
  type: Schema.Literal("resource"),
  resource: TextOrBlobResourceContents,
  annotations: Schema.optional(Annotations),
  _meta: Meta
}).annotations({ identifier: "EmbeddedResource" })
export type EmbeddedResource = typeof EmbeddedResource.Type

/** @see spec 2025-11-25 server/tools — "Tool Result" ("ContentBlock") */
export const ContentBlock = Schema.Union(
  TextContent,
  ImageContent,
  AudioContent,
  ResourceLink,
  EmbeddedResource
).annotations({ identifier: "ContentBlock" })
export type ContentBlock = typeof ContentBlock.Type

/** @see spec 2025-11-25 client/sampling — "Sampling with Tools" ("ToolUseContent") */
export const ToolUseContent = open({
  type: Schema.Literal("tool_use"),
  id: Schema.String,
  name: Schema.String,
  input: JsonObject,
  _meta: Meta
}).annotations({ identifier: "ToolUseContent" })
export type ToolUseContent = typeof ToolUseContent.Type

/** @see spec 2025-11-25 client/sampling — "Tool Result Messages" ("ToolResultContent") */
export const ToolResultContent = open({
  type: Schema.Literal("tool_result"),
  toolUseId: Schema.String,
  content: Schema.Array(ContentBlock),
  structuredContent: Schema.optional(JsonObject),
  isError: Schema.optional(Schema.Boolean),
  _meta: Meta
}).annotations({ identifier: "ToolResultContent" })
export type ToolResultContent = typeof ToolResultContent.Type

/** @see spec 2025-11-25 client/sampling — "Messages" ("SamplingMessageContentBlock") */
export const SamplingMessageContentBlock = Schema.Union(
  TextContent,
  ImageContent,
  AudioContent,
  ToolUseContent,
  ToolResultContent
).annotations({ identifier: "SamplingMessageContentBlock" })
export type SamplingMessageContentBlock = typeof SamplingMessageContentBlock.Type

// =============================================================================
// Resources — server/resources
// =============================================================================

/** @see spec 2025-11-25 server/resources — "Resource" */
export const Resource = open({
  uri: Schema.String,
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  mimeType: Schema.optional(Schema.String),
  size: Schema.optional(Schema.Int),
  icons: Schema.optional(Schema.Array(Icon)),
  annotations: Schema.optional(Annotations),
  _meta: Meta
}).annotations({ identifier: "Resource" })
export type Resource = typeof Resource.Type

/** @see spec 2025-11-25 server/resources — "Resource Templates" ("ResourceTemplate") */
export const ResourceTemplate = open({
  uriTemplate: Schema.String,
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  mimeType: Schema.optional(Schema.String),
  icons: Schema.optional(Schema.Array(Icon)),
  annotations: Schema.optional(Annotations),
  _meta: Meta
}).annotations({ identifier: "ResourceTemplate" })
export type ResourceTemplate = typeof ResourceTemplate.Type

/** @see spec 2025-11-25 server/resources — "Reading Resources" ("ResourceRequestParams": base of uri-taking params) */
export const ResourceRequestParams = open({
  _meta: RequestMeta,
  uri: Schema.String
}).annotations({ identifier: "ResourceRequestParams" })
export type ResourceRequestParams = typeof ResourceRequestParams.Type

/** @see spec 2025-11-25 server/resources — "Listing Resources" ("ListResourcesRequest", `resources/list`) */
export const ListResourcesRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("resources/list"),
  params: Schema.optional(PaginatedRequestParams)
}).annotations({ identifier: "ListResourcesRequest" })
export type ListResourcesRequest = typeof ListResourcesRequest.Type

/** @see spec 2025-11-25 server/resources — "Listing Resources" ("ListResourcesResult") */
export const ListResourcesResult = open({
  _meta: Meta,
  nextCursor: Schema.optional(Cursor),
  resources: Schema.Array(Resource)
}).annotations({ identifier: "ListResourcesResult" })
export type ListResourcesResult = typeof ListResourcesResult.Type

/** @see spec 2025-11-25 server/resources — "Resource Templates" ("ListResourceTemplatesRequest", `resources/templates/list`) */
export const ListResourceTemplatesRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("resources/templates/list"),
  params: Schema.optional(PaginatedRequestParams)
}).annotations({ identifier: "ListResourceTemplatesRequest" })
export type ListResourceTemplatesRequest = typeof ListResourceTemplatesRequest.Type

/** @see spec 2025-11-25 server/resources — "Resource Templates" ("ListResourceTemplatesResult") */
export const ListResourceTemplatesResult = open({
  _meta: Meta,
  nextCursor: Schema.optional(Cursor),
  resourceTemplates: Schema.Array(ResourceTemplate)
}).annotations({ identifier: "ListResourceTemplatesResult" })
export type ListResourceTemplatesResult = typeof ListResourceTemplatesResult.Type

/** @see spec 2025-11-25 server/resources — "Reading Resources" ("ReadResourceRequestParams") */
export const ReadResourceRequestParams = open({
  _meta: RequestMeta,
  uri: Schema.String
}).annotations({ identifier: "ReadResourceRequestParams" })
export type ReadResourceRequestParams = typeof ReadResourceRequestParams.Type

/** @see spec 2025-11-25 server/resources — "Reading Resources" ("ReadResourceRequest", `resources/read`) */
export const ReadResourceRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("resources/read"),
  params: ReadResourceRequestParams
}).annotations({ identifier: "ReadResourceRequest" })
export type ReadResourceRequest = typeof ReadResourceRequest.Type

/** @see spec 2025-11-25 server/resources — "Reading Resources" ("ReadResourceResult") */
export const ReadResourceResult = open({
  _meta: Meta,
  contents: Schema.Array(TextOrBlobResourceContents)
}).annotations({ identifier: "ReadResourceResult" })
export type ReadResourceResult = typeof ReadResourceResult.Type

/** @see spec 2025-11-25 server/resources — "List Changed Notification" (`notifications/resources/list_changed`) */
export const ResourceListChangedNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/resources/list_changed"),
  params: Schema.optional(NotificationParams)
}).annotations({ identifier: "ResourceListChangedNotification" })
export type ResourceListChangedNotification = typeof ResourceListChangedNotification.Type

/** @see spec 2025-11-25 server/resources — "Subscriptions" ("SubscribeRequestParams") */
export const SubscribeRequestParams = open({
  _meta: RequestMeta,
  uri: Schema.String
}).annotations({ identifier: "SubscribeRequestParams" })
export type SubscribeRequestParams = typeof SubscribeRequestParams.Type

/** @see spec 2025-11-25 server/resources — "Subscriptions" ("SubscribeRequest", `resources/subscribe`) */
export const SubscribeRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("resources/subscribe"),
  params: SubscribeRequestParams
}).annotations({ identifier: "SubscribeRequest" })
export type SubscribeRequest = typeof SubscribeRequest.Type

/** @see spec 2025-11-25 server/resources — "Subscriptions" ("UnsubscribeRequestParams") */
export const UnsubscribeRequestParams = open({
  _meta: RequestMeta,
  uri: Schema.String
}).annotations({ identifier: "UnsubscribeRequestParams" })
export type UnsubscribeRequestParams = typeof UnsubscribeRequestParams.Type

/** @see spec 2025-11-25 server/resources — "Subscriptions" ("UnsubscribeRequest", `resources/unsubscribe`) */
export const UnsubscribeRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("resources/unsubscribe"),
  params: UnsubscribeRequestParams
}).annotations({ identifier: "UnsubscribeRequest" })
export type UnsubscribeRequest = typeof UnsubscribeRequest.Type

/** @see spec 2025-11-25 server/resources — "Subscriptions" ("ResourceUpdatedNotificationParams") */
export const ResourceUpdatedNotificationParams = open({
  _meta: Meta,
  uri: Schema.String
}).annotations({ identifier: "ResourceUpdatedNotificationParams" })
export type ResourceUpdatedNotificationParams = typeof ResourceUpdatedNotificationParams.Type

/** @see spec 2025-11-25 server/resources — "Subscriptions" ("ResourceUpdatedNotification", `notifications/resources/updated`) */
export const ResourceUpdatedNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/resources/updated"),
  params: ResourceUpdatedNotificationParams
}).annotations({ identifier: "ResourceUpdatedNotification" })
export type ResourceUpdatedNotification = typeof ResourceUpdatedNotification.Type

// =============================================================================
// Prompts — server/prompts
// =============================================================================

/** @see spec 2025-11-25 server/prompts — "Prompt" ("PromptArgument") */
export const PromptArgument = open({
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  required: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "PromptArgument" })
export type PromptArgument = typeof PromptArgument.Type

/** @see spec 2025-11-25 server/prompts — "Prompt" */
export const Prompt = open({
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  arguments: Schema.optional(Schema.Array(PromptArgument)),
  icons: Schema.optional(Schema.Array(Icon)),
  _meta: Meta
}).annotations({ identifier: "Prompt" })
export type Prompt = typeof Prompt.Type

/** @see spec 2025-11-25 server/prompts — "PromptMessage" */
export const PromptMessage = open({
  role: Role,
  content: ContentBlock
}).annotations({ identifier: "PromptMessage" })
export type PromptMessage = typeof PromptMessage.Type

/** @see spec 2025-11-25 server/utilities/completion — "Reference Types" ("PromptReference", `ref/prompt`) */
export const PromptReference = open({
  type: Schema.Literal("ref/prompt"),
  name: Schema.String,
  title: Schema.optional(Schema.String)
}).annotations({ identifier: "PromptReference" })
export type PromptReference = typeof PromptReference.Type

/** @see spec 2025-11-25 server/prompts — "Listing Prompts" ("ListPromptsRequest", `prompts/list`) */
export const ListPromptsRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("prompts/list"),
  params: Schema.optional(PaginatedRequestParams)
}).annotations({ identifier: "ListPromptsRequest" })
export type ListPromptsRequest = typeof ListPromptsRequest.Type

/** @see spec 2025-11-25 server/prompts — "Listing Prompts" ("ListPromptsResult") */
export const ListPromptsResult = open({
  _meta: Meta,
  nextCursor: Schema.optional(Cursor),
  prompts: Schema.Array(Prompt)
}).annotations({ identifier: "ListPromptsResult" })
export type ListPromptsResult = typeof ListPromptsResult.Type

/** @see spec 2025-11-25 server/prompts — "Getting a Prompt" ("GetPromptRequestParams") */
export const GetPromptRequestParams = open({
  _meta: RequestMeta,
  name: Schema.String,
  arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
}).annotations({ identifier: "GetPromptRequestParams" })
export type GetPromptRequestParams = typeof GetPromptRequestParams.Type

/** @see spec 2025-11-25 server/prompts — "Getting a Prompt" ("GetPromptRequest", `prompts/get`) */
export const GetPromptRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("prompts/get"),
  params: GetPromptRequestParams
}).annotations({ identifier: "GetPromptRequest" })
export type GetPromptRequest = typeof GetPromptRequest.Type

/** @see spec 2025-11-25 server/prompts — "Getting a Prompt" ("GetPromptResult") */
export const GetPromptResult = open({
  _meta: Meta,
  description: Schema.optional(Schema.String),
  messages: Schema.Array(PromptMessage)
}).annotations({ identifier: "GetPromptResult" })
export type GetPromptResult = typeof GetPromptResult.Type

/** @see spec 2025-11-25 server/prompts — "List Changed Notification" (`notifications/prompts/list_changed`) */
export const PromptListChangedNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/prompts/list_changed"),
  params: Schema.optional(NotificationParams)
}).annotations({ identifier: "PromptListChangedNotification" })
export type PromptListChangedNotification = typeof PromptListChangedNotification.Type

// =============================================================================
// Tools — server/tools
// =============================================================================

/** @see spec 2025-11-25 server/tools — "Tool" ("ToolAnnotations": untrusted hints) */
export const ToolAnnotations = open({
  title: Schema.optional(Schema.String),
  readOnlyHint: Schema.optional(Schema.Boolean),
  destructiveHint: Schema.optional(Schema.Boolean),
  idempotentHint: Schema.optional(Schema.Boolean),
  openWorldHint: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "ToolAnnotations" })
export type ToolAnnotations = typeof ToolAnnotations.Type

/** @see spec 2025-11-25 basic/utilities/tasks — "Tool-Level Negotiation" ("ToolExecution") */
export const ToolExecution = open({
  taskSupport: Schema.optional(Schema.Literal("forbidden", "optional", "required"))
}).annotations({ identifier: "ToolExecution" })
export type ToolExecution = typeof ToolExecution.Type

/** A tool's `inputSchema` / `outputSchema`: a JSON Schema object whose root `type` is `"object"`. */
const ToolObjectSchema = open({
  $schema: Schema.optional(Schema.String),
  type: Schema.Literal("object"),
  properties: Schema.optional(Schema.Record({ key: Schema.String, value: JsonObject })),
  required: Schema.optional(Schema.Array(Schema.String))
})

/** @see spec 2025-11-25 server/tools — "Tool" */
export const Tool = open({
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  inputSchema: ToolObjectSchema,
  outputSchema: Schema.optional(ToolObjectSchema),
  annotations: Schema.optional(ToolAnnotations),
  execution: Schema.optional(ToolExecution),
  icons: Schema.optional(Schema.Array(Icon)),
  _meta: Meta
}).annotations({ identifier: "Tool" })
export type Tool = typeof Tool.Type

/** @see spec 2025-11-25 server/tools — "Listing Tools" ("ListToolsRequest", `tools/list`) */
export const ListToolsRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("tools/list"),
  params: Schema.optional(PaginatedRequestParams)
}).annotations({ identifier: "ListToolsRequest" })
export type ListToolsRequest = typeof ListToolsRequest.Type

/** @see spec 2025-11-25 server/tools — "Listing Tools" ("ListToolsResult") */
export const ListToolsResult = open({
  _meta: Meta,
  nextCursor: Schema.optional(Cursor),
  tools: Schema.Array(Tool)
}).annotations({ identifier: "ListToolsResult" })
export type ListToolsResult = typeof ListToolsResult.Type

/** @see spec 2025-11-25 server/tools — "Calling Tools" ("CallToolRequestParams") */
export const CallToolRequestParams = open({
  _meta: RequestMeta,
  name: Schema.String,
  arguments: Schema.optional(JsonObject),
  task: Schema.optional(TaskMetadata)
}).annotations({ identifier: "CallToolRequestParams" })
export type CallToolRequestParams = typeof CallToolRequestParams.Type

/** @see spec 2025-11-25 server/tools — "Calling Tools" ("CallToolRequest", `tools/call`) */
export const CallToolRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("tools/call"),
  params: CallToolRequestParams
}).annotations({ identifier: "CallToolRequest" })
export type CallToolRequest = typeof CallToolRequest.Type

/** @see spec 2025-11-25 server/tools — "Tool Result" ("CallToolResult") */
export const CallToolResult = open({
  _meta: Meta,
  content: Schema.Array(ContentBlock),
  structuredContent: Schema.optional(JsonObject),
  isError: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "CallToolResult" })
export type CallToolResult = typeof CallToolResult.Type

/** @see spec 2025-11-25 server/tools — "List Changed Notification" (`notifications/tools/list_changed`) */
export const ToolListChangedNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/tools/list_changed"),
  params: Schema.optional(NotificationParams)
}).annotations({ identifier: "ToolListChangedNotification" })
export type ToolListChangedNotification = typeof ToolListChangedNotification.Type

// =============================================================================
// Logging — server/utilities/logging
// =============================================================================

/** @see spec 2025-11-25 server/utilities/logging — "Log Levels" (RFC 5424 severities) */
export const LoggingLevel = Schema.Literal(
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency"
).annotations({ identifier: "LoggingLevel" })
export type LoggingLevel = typeof LoggingLevel.Type

/** @see spec 2025-11-25 server/utilities/logging — "Setting Log Level" ("SetLevelRequestParams") */
export const SetLevelRequestParams = open({
  _meta: RequestMeta,
  level: LoggingLevel
}).annotations({ identifier: "SetLevelRequestParams" })
export type SetLevelRequestParams = typeof SetLevelRequestParams.Type

/** @see spec 2025-11-25 server/utilities/logging — "Setting Log Level" ("SetLevelRequest", `logging/setLevel`) */
export const SetLevelRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("logging/setLevel"),
  params: SetLevelRequestParams
}).annotations({ identifier: "SetLevelRequest" })
export type SetLevelRequest = typeof SetLevelRequest.Type

/** @see spec 2025-11-25 server/utilities/logging — "Log Message Notifications" ("LoggingMessageNotificationParams") */
export const LoggingMessageNotificationParams = open({
  _meta: Meta,
  level: LoggingLevel,
  logger: Schema.optional(Schema.String),
  data: AnyJsonValue
}).annotations({ identifier: "LoggingMessageNotificationParams" })
export type LoggingMessageNotificationParams = typeof LoggingMessageNotificationParams.Type

/** @see spec 2025-11-25 server/utilities/logging — "Log Message Notifications" (`notifications/message`) */
export const LoggingMessageNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/message"),
  params: LoggingMessageNotificationParams
}).annotations({ identifier: "LoggingMessageNotification" })
export type LoggingMessageNotification = typeof LoggingMessageNotification.Type

// =============================================================================
// Completion — server/utilities/completion
// =============================================================================

/** @see spec 2025-11-25 server/utilities/completion — "Reference Types" ("ResourceTemplateReference", `ref/resource`) */
export const ResourceTemplateReference = open({
  type: Schema.Literal("ref/resource"),
  uri: Schema.String
}).annotations({ identifier: "ResourceTemplateReference" })
export type ResourceTemplateReference = typeof ResourceTemplateReference.Type

/** @see spec 2025-11-25 server/utilities/completion — "Requesting Completions" ("CompleteRequestParams") */
export const CompleteRequestParams = open({
  _meta: RequestMeta,
  ref: Schema.Union(PromptReference, ResourceTemplateReference),
  argument: open({ name: Schema.String, value: Schema.String }),
  context: Schema.optional(
    open({
      arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
    })
  )
}).annotations({ identifier: "CompleteRequestParams" })
export type CompleteRequestParams = typeof CompleteRequestParams.Type

/** @see spec 2025-11-25 server/utilities/completion — "Requesting Completions" ("CompleteRequest", `completion/complete`) */
export const CompleteRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("completion/complete"),
  params: CompleteRequestParams
}).annotations({ identifier: "CompleteRequest" })
export type CompleteRequest = typeof CompleteRequest.Type

/** @see spec 2025-11-25 server/utilities/completion — "Completion Results" ("CompleteResult"; at most 100 values) */
export const CompleteResult = open({
  _meta: Meta,
  completion: open({
    values: Schema.Array(Schema.String),
    total: Schema.optional(Schema.Int),
    hasMore: Schema.optional(Schema.Boolean)
  })
}).annotations({ identifier: "CompleteResult" })
export type CompleteResult = typeof CompleteResult.Type

// =============================================================================
// Sampling — client/sampling
// =============================================================================

/** @see spec 2025-11-25 client/sampling — "Model Hints" ("ModelHint") */
export const ModelHint = open({
  name: Schema.optional(Schema.String)
}).annotations({ identifier: "ModelHint" })
export type ModelHint = typeof ModelHint.Type

/** @see spec 2025-11-25 client/sampling — "Model Preferences" ("ModelPreferences") */
export const ModelPreferences = open({
  hints: Schema.optional(Schema.Array(ModelHint)),
  costPriority: Schema.optional(UnitInterval),
  speedPriority: Schema.optional(UnitInterval),
  intelligencePriority: Schema.optional(UnitInterval)
}).annotations({ identifier: "ModelPreferences" })
export type ModelPreferences = typeof ModelPreferences.Type

/** @see spec 2025-11-25 client/sampling — "Tool Choice Modes" ("ToolChoice") */
export const ToolChoice = open({
  mode: Schema.optional(Schema.Literal("auto", "required", "none"))
}).annotations({ identifier: "ToolChoice" })
export type ToolChoice = typeof ToolChoice.Type

/** A single sampling content block or an array of them (schema.json inlines this `anyOf`). */
const SamplingContent = Schema.Union(
  TextContent,
  ImageContent,
  AudioContent,
  ToolUseContent,
  ToolResultContent,
  Schema.Array(SamplingMessageContentBlock)
)

/** @see spec 2025-11-25 client/sampling — "Messages" ("SamplingMessage") */
export const SamplingMessage = open({
  role: Role,
  content: SamplingContent,
  _meta: Meta
}).annotations({ identifier: "SamplingMessage" })
export type SamplingMessage = typeof SamplingMessage.Type

/** @see spec 2025-11-25 client/sampling — "Creating Messages" ("CreateMessageRequestParams") */
export const CreateMessageRequestParams = open({
  _meta: RequestMeta,
  task: Schema.optional(TaskMetadata),
  messages: Schema.Array(SamplingMessage),
  modelPreferences: Schema.optional(ModelPreferences),
  systemPrompt: Schema.optional(Schema.String),
  includeContext: Schema.optional(Schema.Literal("none", "thisServer", "allServers")),
  temperature: Schema.optional(Schema.Number),
  maxTokens: Schema.Int,
  stopSequences: Schema.optional(Schema.Array(Schema.String)),
  metadata: Schema.optional(JsonObject),
  tools: Schema.optional(Schema.Array(Tool)),
  toolChoice: Schema.optional(ToolChoice)
}).annotations({ identifier: "CreateMessageRequestParams" })
export type CreateMessageRequestParams = typeof CreateMessageRequestParams.Type

/** @see spec 2025-11-25 client/sampling — "Creating Messages" ("CreateMessageRequest", `sampling/createMessage`) */
export const CreateMessageRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("sampling/createMessage"),
  params: CreateMessageRequestParams
}).annotations({ identifier: "CreateMessageRequest" })
export type CreateMessageRequest = typeof CreateMessageRequest.Type

/**
 * `stopReason` is an open string ("endTurn" | "stopSequence" | "maxTokens" | "toolUse" | ...).
 * @see spec 2025-11-25 client/sampling — "Creating Messages" ("CreateMessageResult")
 */
export const CreateMessageResult = open({
  _meta: Meta,
  role: Role,
  content: SamplingContent,
  model: Schema.String,
  stopReason: Schema.optional(Schema.String)
}).annotations({ identifier: "CreateMessageResult" })
export type CreateMessageResult = typeof CreateMessageResult.Type

// =============================================================================
// Roots — client/roots
// =============================================================================

/** @see spec 2025-11-25 client/roots — "Root" (a `file://` URI) */
export const Root = open({
  uri: Schema.String,
  name: Schema.optional(Schema.String),
  _meta: Meta
}).annotations({ identifier: "Root" })
export type Root = typeof Root.Type

/** @see spec 2025-11-25 client/roots — "Listing Roots" ("ListRootsRequest", `roots/list`) */
export const ListRootsRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("roots/list"),
  params: Schema.optional(RequestParams)
}).annotations({ identifier: "ListRootsRequest" })
export type ListRootsRequest = typeof ListRootsRequest.Type

/** @see spec 2025-11-25 client/roots — "Listing Roots" ("ListRootsResult") */
export const ListRootsResult = open({
  _meta: Meta,
  roots: Schema.Array(Root)
}).annotations({ identifier: "ListRootsResult" })
export type ListRootsResult = typeof ListRootsResult.Type

/** @see spec 2025-11-25 client/roots — "Root List Changes" (`notifications/roots/list_changed`) */
export const RootsListChangedNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/roots/list_changed"),
  params: Schema.optional(NotificationParams)
}).annotations({ identifier: "RootsListChangedNotification" })
export type RootsListChangedNotification = typeof RootsListChangedNotification.Type

// =============================================================================
// Elicitation — client/elicitation
// =============================================================================

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("StringSchema") */
export const StringSchema = open({
  type: Schema.Literal("string"),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  minLength: Schema.optional(Schema.Int),
  maxLength: Schema.optional(Schema.Int),
  format: Schema.optional(Schema.Literal("email", "uri", "date", "date-time")),
  default: Schema.optional(Schema.String)
}).annotations({ identifier: "StringSchema" })
export type StringSchema = typeof StringSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("NumberSchema") */
export const NumberSchema = open({
  type: Schema.Literal("number", "integer"),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  minimum: Schema.optional(Schema.Number),
  maximum: Schema.optional(Schema.Number),
  default: Schema.optional(Schema.Number)
}).annotations({ identifier: "NumberSchema" })
export type NumberSchema = typeof NumberSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("BooleanSchema") */
export const BooleanSchema = open({
  type: Schema.Literal("boolean"),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  default: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "BooleanSchema" })
export type BooleanSchema = typeof BooleanSchema.Type

/** `{ const, title }` option of a titled enum. */
const TitledOption = open({ const: Schema.String, title: Schema.String })

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("UntitledSingleSelectEnumSchema") */
export const UntitledSingleSelectEnumSchema = open({
  type: Schema.Literal("string"),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  enum: Schema.Array(Schema.String),
  default: Schema.optional(Schema.String)
}).annotations({ identifier: "UntitledSingleSelectEnumSchema" })
export type UntitledSingleSelectEnumSchema = typeof UntitledSingleSelectEnumSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("TitledSingleSelectEnumSchema") */
export const TitledSingleSelectEnumSchema = open({
  type: Schema.Literal("string"),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  oneOf: Schema.Array(TitledOption),
  default: Schema.optional(Schema.String)
}).annotations({ identifier: "TitledSingleSelectEnumSchema" })
export type TitledSingleSelectEnumSchema = typeof TitledSingleSelectEnumSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("UntitledMultiSelectEnumSchema") */
export const UntitledMultiSelectEnumSchema = open({
  type: Schema.Literal("array"),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  minItems: Schema.optional(Schema.Int),
  maxItems: Schema.optional(Schema.Int),
  items: open({ type: Schema.Literal("string"), enum: Schema.Array(Schema.String) }),
  default: Schema.optional(Schema.Array(Schema.String))
}).annotations({ identifier: "UntitledMultiSelectEnumSchema" })
export type UntitledMultiSelectEnumSchema = typeof UntitledMultiSelectEnumSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("TitledMultiSelectEnumSchema") */
export const TitledMultiSelectEnumSchema = open({
  type: Schema.Literal("array"),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  minItems: Schema.optional(Schema.Int),
  maxItems: Schema.optional(Schema.Int),
  items: open({ anyOf: Schema.Array(TitledOption) }),
  default: Schema.optional(Schema.Array(Schema.String))
}).annotations({ identifier: "TitledMultiSelectEnumSchema" })
export type TitledMultiSelectEnumSchema = typeof TitledMultiSelectEnumSchema.Type

/**
 * Deprecated (`enumNames` is non-standard JSON Schema); prefer TitledSingleSelectEnumSchema.
 * @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("LegacyTitledEnumSchema")
 */
export const LegacyTitledEnumSchema = open({
  type: Schema.Literal("string"),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  enum: Schema.Array(Schema.String),
  enumNames: Schema.optional(Schema.Array(Schema.String)),
  default: Schema.optional(Schema.String)
}).annotations({ identifier: "LegacyTitledEnumSchema" })
export type LegacyTitledEnumSchema = typeof LegacyTitledEnumSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("SingleSelectEnumSchema") */
export const SingleSelectEnumSchema = Schema.Union(UntitledSingleSelectEnumSchema, TitledSingleSelectEnumSchema).annotations({
  identifier: "SingleSelectEnumSchema"
})
export type SingleSelectEnumSchema = typeof SingleSelectEnumSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("MultiSelectEnumSchema") */
export const MultiSelectEnumSchema = Schema.Union(UntitledMultiSelectEnumSchema, TitledMultiSelectEnumSchema).annotations({
  identifier: "MultiSelectEnumSchema"
})
export type MultiSelectEnumSchema = typeof MultiSelectEnumSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("EnumSchema") */
export const EnumSchema = Schema.Union(
  UntitledSingleSelectEnumSchema,
  TitledSingleSelectEnumSchema,
  UntitledMultiSelectEnumSchema,
  TitledMultiSelectEnumSchema,
  LegacyTitledEnumSchema
).annotations({ identifier: "EnumSchema" })
export type EnumSchema = typeof EnumSchema.Type

/** @see spec 2025-11-25 client/elicitation — "Supported Schema Types" ("PrimitiveSchemaDefinition") */
export const PrimitiveSchemaDefinition = Schema.Union(
  StringSchema,
  NumberSchema,
  BooleanSchema,
  UntitledSingleSelectEnumSchema,
  TitledSingleSelectEnumSchema,
  UntitledMultiSelectEnumSchema,
  TitledMultiSelectEnumSchema,
  LegacyTitledEnumSchema
).annotations({ identifier: "PrimitiveSchemaDefinition" })
export type PrimitiveSchemaDefinition = typeof PrimitiveSchemaDefinition.Type

/**
 * `mode` is optional and defaults to `"form"`.
 * @see spec 2025-11-25 client/elicitation — "Form Mode Elicitation Requests" ("ElicitRequestFormParams")
 */
export const ElicitRequestFormParams = open({
  _meta: RequestMeta,
  task: Schema.optional(TaskMetadata),
  mode: Schema.optional(Schema.Literal("form")),
  message: Schema.String,
  requestedSchema: open({
    $schema: Schema.optional(Schema.String),
    type: Schema.Literal("object"),
    properties: Schema.Record({ key: Schema.String, value: PrimitiveSchemaDefinition }),
    required: Schema.optional(Schema.Array(Schema.String))
  })
}).annotations({ identifier: "ElicitRequestFormParams" })
export type ElicitRequestFormParams = typeof ElicitRequestFormParams.Type

/** @see spec 2025-11-25 client/elicitation — "URL Mode Elicitation Requests" ("ElicitRequestURLParams") */
export const ElicitRequestURLParams = open({
  _meta: RequestMeta,
  task: Schema.optional(TaskMetadata),
  mode: Schema.Literal("url"),
  message: Schema.String,
  elicitationId: Schema.String,
  url: Schema.String
}).annotations({ identifier: "ElicitRequestURLParams" })
export type ElicitRequestURLParams = typeof ElicitRequestURLParams.Type

/** @see spec 2025-11-25 client/elicitation — "Protocol Messages" ("ElicitRequestParams": url | form) */
export const ElicitRequestParams = Schema.Union(ElicitRequestURLParams, ElicitRequestFormParams).annotations({
  identifier: "ElicitRequestParams"
})
export type ElicitRequestParams = typeof ElicitRequestParams.Type

/** @see spec 2025-11-25 client/elicitation — "Protocol Messages" ("ElicitRequest", `elicitation/create`) */
export const ElicitRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("elicitation/create"),
  params: ElicitRequestParams
}).annotations({ identifier: "ElicitRequest" })
export type ElicitRequest = typeof ElicitRequest.Type

/**
 * Content values follow schema.json: `string | integer | boolean | string[]`
 * (the TypeScript schema says `number`, schema.json says `integer`).
 * @see spec 2025-11-25 client/elicitation — "Response Actions" ("ElicitResult")
 */
export const ElicitResult = open({
  _meta: Meta,
  action: Schema.Literal("accept", "decline", "cancel"),
  content: Schema.optional(
    Schema.Record({
      key: Schema.String,
      value: Schema.Union(Schema.Array(Schema.String), Schema.String, Schema.Int, Schema.Boolean)
    })
  )
}).annotations({ identifier: "ElicitResult" })
export type ElicitResult = typeof ElicitResult.Type

/** @see spec 2025-11-25 client/elicitation — "Completion Notifications for URL Mode Elicitation" (`notifications/elicitation/complete`) */
export const ElicitationCompleteNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/elicitation/complete"),
  params: open({ elicitationId: Schema.String })
}).annotations({ identifier: "ElicitationCompleteNotification" })
export type ElicitationCompleteNotification = typeof ElicitationCompleteNotification.Type

/** @see spec 2025-11-25 client/elicitation — "URL Elicitation Required Error" (code -32042) */
export const URLElicitationRequiredError = open({
  jsonrpc: JsonRpc,
  id: Schema.optional(RequestId),
  error: open({
    code: Schema.Literal(-32042),
    message: Schema.String,
    data: open({ elicitations: Schema.Array(ElicitRequestURLParams) })
  })
}).annotations({ identifier: "URLElicitationRequiredError" })
export type URLElicitationRequiredError = typeof URLElicitationRequiredError.Type

// =============================================================================
// Message unions by direction — basic/index "Messages"
// =============================================================================

/** @see spec 2025-11-25 basic/index — "Messages" (requests a client may send: "ClientRequest") */
export const ClientRequest = Schema.Union(
  InitializeRequest,
  PingRequest,
  ListResourcesRequest,
  ListResourceTemplatesRequest,
  ReadResourceRequest,
  SubscribeRequest,
  UnsubscribeRequest,
  ListPromptsRequest,
  GetPromptRequest,
  ListToolsRequest,
  CallToolRequest,
  GetTaskRequest,
  GetTaskPayloadRequest,
  CancelTaskRequest,
  ListTasksRequest,
  SetLevelRequest,
  CompleteRequest
).annotations({ identifier: "ClientRequest" })
export type ClientRequest = typeof ClientRequest.Type

/** @see spec 2025-11-25 basic/index — "Messages" (notifications a client may send: "ClientNotification") */
export const ClientNotification = Schema.Union(
  CancelledNotification,
  InitializedNotification,
  ProgressNotification,
  TaskStatusNotification,
  RootsListChangedNotification
).annotations({ identifier: "ClientNotification" })
export type ClientNotification = typeof ClientNotification.Type

/**
 * The catch-all `Result` member is tried last so the most specific member wins;
 * the accepted set equals schema.json's `anyOf`.
 * @see spec 2025-11-25 basic/index — "Messages" (results a client may send: "ClientResult")
 */
export const ClientResult = Schema.Union(
  GetTaskResult,
  CancelTaskResult,
  ListTasksResult,
  CreateMessageResult,
  ListRootsResult,
  ElicitResult,
  GetTaskPayloadResult,
  Result
).annotations({ identifier: "ClientResult" })
export type ClientResult = typeof ClientResult.Type

/** @see spec 2025-11-25 basic/index — "Messages" (requests a server may send: "ServerRequest") */
export const ServerRequest = Schema.Union(
  PingRequest,
  GetTaskRequest,
  GetTaskPayloadRequest,
  CancelTaskRequest,
  ListTasksRequest,
  CreateMessageRequest,
  ListRootsRequest,
  ElicitRequest
).annotations({ identifier: "ServerRequest" })
export type ServerRequest = typeof ServerRequest.Type

/** @see spec 2025-11-25 basic/index — "Messages" (notifications a server may send: "ServerNotification") */
export const ServerNotification = Schema.Union(
  CancelledNotification,
  ProgressNotification,
  ResourceListChangedNotification,
  ResourceUpdatedNotification,
  PromptListChangedNotification,
  ToolListChangedNotification,
  TaskStatusNotification,
  LoggingMessageNotification,
  ElicitationCompleteNotification
).annotations({ identifier: "ServerNotification" })
export type ServerNotification = typeof ServerNotification.Type

/**
 * The catch-all `Result` member is tried last so the most specific member wins;
 * the accepted set equals schema.json's `anyOf`.
 * @see spec 2025-11-25 basic/index — "Messages" (results a server may send: "ServerResult")
 */
export const ServerResult = Schema.Union(
  InitializeResult,
  ListResourcesResult,
  ListResourceTemplatesResult,
  ReadResourceResult,
  ListPromptsResult,
  GetPromptResult,
  ListToolsResult,
  CallToolResult,
  GetTaskResult,
  CancelTaskResult,
  ListTasksResult,
  CompleteResult,
  GetTaskPayloadResult,
  Result
).annotations({ identifier: "ServerResult" })
export type ServerResult = typeof ServerResult.Type

// =============================================================================
// 2026-07-28 — the stateless revision
// =============================================================================
//
// Definitions new in 2026-07-28 carry their exact schema.json name. A
// definition whose name 2025-11-25 already uses, and whose meaning changed
// (e.g. `Result` now requires `resultType`, request params require `_meta`),
// is exported with the suffix `2026` (`CallToolResult2026`) so the 2025-11-25
// export keeps its meaning. Definitions 2026-07-28 left unchanged (content
// blocks, `Implementation`, elicitation schemas, ...) are the 2025-11-25
// exports themselves. `definitions20260728` maps every 2026-07-28 definition
// name to its schema.
//
// Conventions as above: open objects, no transformations (encode(decode(x))
// reproduces x). String formats (`uri`, `byte`) are not checked, as in
// 2025-11-25. Where the prose adds a MUST that schema.json cannot state, the
// doc comment says whether the schema enforces it.

/** @see spec 2026-07-28 server/utilities/caching — "Cache Scope Field" */
export const CacheScope = Schema.Literal("public", "private").annotations({ identifier: "CacheScope" })
export type CacheScope = typeof CacheScope.Type

// --- JSON values and `_meta` objects — basic/index "General fields" ---------

/**
 * A JSON value as 2026-07-28's schema.json defines it: object, array, string,
 * integer or boolean. schema.json leaves out `null` and non-integer numbers
 * (the TypeScript schema says `string | number | boolean | null | ...`); this
 * follows schema.json, as the 2025-11-25 `ElicitResult` does.
 * @see spec 2026-07-28 schema — "JSONValue"
 */
export type JSONValue = string | number | boolean | JSONObject | JSONArray
/** @see spec 2026-07-28 schema — "JSONObject" */
export interface JSONObject {
  readonly [key: string]: JSONValue
}
/** @see spec 2026-07-28 schema — "JSONArray" */
export interface JSONArray extends ReadonlyArray<JSONValue> {}

/** @see spec 2026-07-28 schema — "JSONValue" */
export const JSONValue: Schema.Schema<JSONValue> = Schema.Union(
  Schema.suspend((): Schema.Schema<JSONObject> => JSONObject),
  Schema.Array(Schema.suspend((): Schema.Schema<JSONValue> => JSONValue)),
  Schema.String,
  Schema.Int,
  Schema.Boolean
).annotations({ identifier: "JSONValue" })

/** @see spec 2026-07-28 schema — "JSONObject" (`ClientCapabilities` / `ServerCapabilities` entries, sampling `metadata`) */
export const JSONObject: Schema.Schema<JSONObject> = Schema.Record({ key: Schema.String, value: JSONValue }).annotations({
  identifier: "JSONObject"
})

/** @see spec 2026-07-28 schema — "JSONArray" */
export const JSONArray: Schema.Schema<JSONArray> = Schema.Array(JSONValue).annotations({ identifier: "JSONArray" })

/**
 * Any `_meta` object (key naming rules are prose only, not enforced).
 * @see spec 2026-07-28 basic/index — "_meta" ("MetaObject")
 */
export const MetaObject = Rest.annotations({ identifier: "MetaObject" })
export type MetaObject = typeof MetaObject.Type

/**
 * `resultType`: `"complete"`, `"input_required"` or an extension's value
 * (schema.json: any string; a client MUST treat an absent one as `"complete"`).
 * @see spec 2026-07-28 basic/index — "ResultType"
 */
export const ResultType = Schema.String.annotations({ identifier: "ResultType" })
export type ResultType = typeof ResultType.Type

/** @see spec 2026-07-28 schema — "ResultMetaObject" (`io.modelcontextprotocol/serverInfo` on every result) */
export const ResultMetaObject = open({
  [MetaKey.serverInfo]: Schema.optional(Implementation)
}).annotations({ identifier: "ResultMetaObject" })
export type ResultMetaObject = typeof ResultMetaObject.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Receiving Notifications" ("NotificationMetaObject") */
export const NotificationMetaObject = open({
  [MetaKey.subscriptionId]: Schema.optional(RequestId)
}).annotations({ identifier: "NotificationMetaObject" })
export type NotificationMetaObject = typeof NotificationMetaObject.Type

// --- Capabilities — basic/versioning, schema "ClientCapabilities" ----------

/** A map of capability objects by name (`experimental`, `extensions`). */
const CapabilityMap = Schema.Record({ key: Schema.String, value: JSONObject })

/**
 * 2026-07-28 drops `tasks` and `roots.listChanged` and adds `extensions`.
 * @see spec 2026-07-28 basic/versioning — "Extension Negotiation" ("ClientCapabilities")
 */
export const ClientCapabilities2026 = open({
  elicitation: Schema.optional(open({ form: Schema.optional(JSONObject), url: Schema.optional(JSONObject) })),
  experimental: Schema.optional(CapabilityMap),
  extensions: Schema.optional(CapabilityMap),
  roots: Schema.optional(JsonObject),
  sampling: Schema.optional(open({ context: Schema.optional(JSONObject), tools: Schema.optional(JSONObject) }))
}).annotations({ identifier: "ClientCapabilities" })
export type ClientCapabilities2026 = typeof ClientCapabilities2026.Type

/**
 * 2026-07-28 drops `tasks` and adds `extensions`.
 * @see spec 2026-07-28 server/discover — "Response" ("ServerCapabilities")
 */
export const ServerCapabilities2026 = open({
  completions: Schema.optional(JSONObject),
  experimental: Schema.optional(CapabilityMap),
  extensions: Schema.optional(CapabilityMap),
  logging: Schema.optional(JSONObject),
  prompts: Schema.optional(open({ listChanged: Schema.optional(Schema.Boolean) })),
  resources: Schema.optional(open({ listChanged: Schema.optional(Schema.Boolean), subscribe: Schema.optional(Schema.Boolean) })),
  tools: Schema.optional(open({ listChanged: Schema.optional(Schema.Boolean) }))
}).annotations({ identifier: "ServerCapabilities" })
export type ServerCapabilities2026 = typeof ServerCapabilities2026.Type

/**
 * The per-request protocol fields: `protocolVersion` and `clientCapabilities`
 * are required (a request without them is -32602), `clientInfo` and
 * `logLevel` optional.
 * @see spec 2026-07-28 basic/index — "_meta" ("Per-request protocol fields", "RequestMetaObject")
 */
export const RequestMetaObject = open({
  progressToken: Schema.optional(ProgressToken),
  [MetaKey.protocolVersion]: Schema.String,
  [MetaKey.clientInfo]: Schema.optional(Implementation),
  [MetaKey.clientCapabilities]: ClientCapabilities2026,
  [MetaKey.logLevel]: Schema.optional(LoggingLevel)
}).annotations({ identifier: "RequestMetaObject" })
export type RequestMetaObject = typeof RequestMetaObject.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Receiving Notifications" ("SubscriptionsListenResultMetaObject": `subscriptionId` required) */
export const SubscriptionsListenResultMetaObject = open({
  [MetaKey.serverInfo]: Schema.optional(Implementation),
  [MetaKey.subscriptionId]: RequestId
}).annotations({ identifier: "SubscriptionsListenResultMetaObject" })
export type SubscriptionsListenResultMetaObject = typeof SubscriptionsListenResultMetaObject.Type

// --- Base messages — basic/index "Messages" --------------------------------

const ResultMeta = Schema.optional(ResultMetaObject)
const NotificationMeta = Schema.optional(NotificationMetaObject)

/** @see spec 2026-07-28 basic/index — "Requests" ("RequestParams": `_meta` is required) */
export const RequestParams2026 = open({ _meta: RequestMetaObject }).annotations({ identifier: "RequestParams" })
export type RequestParams2026 = typeof RequestParams2026.Type

/** @see spec 2026-07-28 basic/index — "Notifications" ("NotificationParams") */
export const NotificationParams2026 = open({ _meta: NotificationMeta }).annotations({ identifier: "NotificationParams" })
export type NotificationParams2026 = typeof NotificationParams2026.Type

/** @see spec 2026-07-28 basic/index — "Result Responses" ("Result": `resultType` is required) */
export const Result2026 = open({ _meta: ResultMeta, resultType: ResultType }).annotations({ identifier: "Result" })
export type Result2026 = typeof Result2026.Type

/** @see spec 2026-07-28 basic/index — "Result Responses" ("EmptyResult" = Result) */
export const EmptyResult2026 = Result2026.annotations({ identifier: "EmptyResult" })
export type EmptyResult2026 = typeof EmptyResult2026.Type

/** `ttlMs` and `cacheScope`: spec 2026-07-28 server/utilities/caching "Cacheable Model". */
const CacheFields = {
  ttlMs: Schema.Int.pipe(Schema.nonNegative()),
  cacheScope: CacheScope
}

/** @see spec 2026-07-28 server/utilities/caching — "Cacheable Results" ("CacheableResult") */
export const CacheableResult = open({ _meta: ResultMeta, resultType: ResultType, ...CacheFields }).annotations({
  identifier: "CacheableResult"
})
export type CacheableResult = typeof CacheableResult.Type

/** @see spec 2026-07-28 basic/index — "Result Responses" ("JSONRPCResultResponse") */
export const JSONRPCResultResponse2026 = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  result: Result2026
}).annotations({ identifier: "JSONRPCResultResponse" })
export type JSONRPCResultResponse2026 = typeof JSONRPCResultResponse2026.Type

/** @see spec 2026-07-28 basic/index — "Responses" ("JSONRPCResponse") */
export const JSONRPCResponse2026 = Schema.Union(JSONRPCResultResponse2026, JSONRPCErrorResponse).annotations({
  identifier: "JSONRPCResponse"
})
export type JSONRPCResponse2026 = typeof JSONRPCResponse2026.Type

/** @see spec 2026-07-28 basic/index — "Messages" ("JSONRPCMessage") */
export const JSONRPCMessage2026 = Schema.Union(
  JSONRPCRequest,
  JSONRPCNotification,
  JSONRPCResultResponse2026,
  JSONRPCErrorResponse
).annotations({ identifier: "JSONRPCMessage" })
export type JSONRPCMessage2026 = typeof JSONRPCMessage2026.Type

/** A result response: `{ jsonrpc, id, result }` (the `*ResultResponse` definitions). */
const resultResponse = <A, I>(result: Schema.Schema<A, I>) => open({ jsonrpc: JsonRpc, id: RequestId, result })

// --- Errors — basic/index "Error Codes" ------------------------------------

/** A JSON-RPC error object with a fixed code (`ParseError`, `InvalidParamsError`, ...). */
const errorObject = <const Code extends number>(code: Code) =>
  open({ code: Schema.Literal(code), message: Schema.String, data: Schema.optional(Schema.Unknown) })

/** @see spec 2026-07-28 basic/index — "Error Codes" ("ParseError", -32700) */
export const ParseError = errorObject(-32700).annotations({ identifier: "ParseError" })
export type ParseError = typeof ParseError.Type

/** @see spec 2026-07-28 basic/index — "Error Codes" ("InvalidRequestError", -32600) */
export const InvalidRequestError = errorObject(-32600).annotations({ identifier: "InvalidRequestError" })
export type InvalidRequestError = typeof InvalidRequestError.Type

/** @see spec 2026-07-28 basic/index — "Error Codes" ("MethodNotFoundError", -32601) */
export const MethodNotFoundError = errorObject(-32601).annotations({ identifier: "MethodNotFoundError" })
export type MethodNotFoundError = typeof MethodNotFoundError.Type

/** @see spec 2026-07-28 basic/index — "Error Codes" ("InvalidParamsError", -32602; also resource not found) */
export const InvalidParamsError = errorObject(-32602).annotations({ identifier: "InvalidParamsError" })
export type InvalidParamsError = typeof InvalidParamsError.Type

/** @see spec 2026-07-28 basic/index — "Error Codes" ("InternalError", -32603) */
export const InternalError = errorObject(-32603).annotations({ identifier: "InternalError" })
export type InternalError = typeof InternalError.Type

/** An error response `{ jsonrpc, id?, error }` whose error has the given shape. */
const errorResponse = <A, I>(error: Schema.Schema<A, I>) => open({ jsonrpc: JsonRpc, id: Schema.optional(RequestId), error })

/**
 * An HTTP header (`Mcp-Method`, `Mcp-Name`, `MCP-Protocol-Version`) disagrees with the body.
 * @see spec 2026-07-28 basic/transports/streamable-http — "Server Validation" ("HeaderMismatchError", -32020)
 */
export const HeaderMismatchError = errorResponse(errorObject(-32020)).annotations({ identifier: "HeaderMismatchError" })
export type HeaderMismatchError = typeof HeaderMismatchError.Type

/**
 * The `data` of -32021: the capabilities the request needs that the client did not declare.
 * @see spec 2026-07-28 schema — "MissingRequiredClientCapabilityError" (`error.data`)
 */
export const MissingRequiredClientCapabilityErrorData = open({
  requiredCapabilities: ClientCapabilities2026
}).annotations({ identifier: "MissingRequiredClientCapabilityErrorData" })
export type MissingRequiredClientCapabilityErrorData = typeof MissingRequiredClientCapabilityErrorData.Type

/** @see spec 2026-07-28 basic/index — "Error Codes" ("MissingRequiredClientCapabilityError", -32021; `data` required) */
export const MissingRequiredClientCapabilityError = errorResponse(
  open({ code: Schema.Literal(-32021), message: Schema.String, data: MissingRequiredClientCapabilityErrorData })
).annotations({ identifier: "MissingRequiredClientCapabilityError" })
export type MissingRequiredClientCapabilityError = typeof MissingRequiredClientCapabilityError.Type

/**
 * The `data` of -32022: the versions the server supports and the one the request asked for.
 * @see spec 2026-07-28 basic/versioning — "Protocol Version Negotiation" (`UnsupportedProtocolVersionError.error.data`)
 */
export const UnsupportedProtocolVersionErrorData = open({
  supported: Schema.Array(Schema.String),
  requested: Schema.String
}).annotations({ identifier: "UnsupportedProtocolVersionErrorData" })
export type UnsupportedProtocolVersionErrorData = typeof UnsupportedProtocolVersionErrorData.Type

/** @see spec 2026-07-28 basic/versioning — "Protocol Version Negotiation" ("UnsupportedProtocolVersionError", -32022; `data` required) */
export const UnsupportedProtocolVersionError = errorResponse(
  open({ code: Schema.Literal(-32022), message: Schema.String, data: UnsupportedProtocolVersionErrorData })
).annotations({ identifier: "UnsupportedProtocolVersionError" })
export type UnsupportedProtocolVersionError = typeof UnsupportedProtocolVersionError.Type

// --- Pagination — server/utilities/pagination ------------------------------

/** @see spec 2026-07-28 server/utilities/pagination — "Request Format" ("PaginatedRequestParams": `_meta` required) */
export const PaginatedRequestParams2026 = open({
  _meta: RequestMetaObject,
  cursor: Schema.optional(Cursor)
}).annotations({ identifier: "PaginatedRequestParams" })
export type PaginatedRequestParams2026 = typeof PaginatedRequestParams2026.Type

/** @see spec 2026-07-28 server/utilities/pagination — "Request Format" ("PaginatedRequest": `params` required) */
export const PaginatedRequest2026 = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.String,
  params: PaginatedRequestParams2026
}).annotations({ identifier: "PaginatedRequest" })
export type PaginatedRequest2026 = typeof PaginatedRequest2026.Type

/** @see spec 2026-07-28 server/utilities/pagination — "Response Format" ("PaginatedResult") */
export const PaginatedResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  nextCursor: Schema.optional(Cursor)
}).annotations({ identifier: "PaginatedResult" })
export type PaginatedResult2026 = typeof PaginatedResult2026.Type

/** A paginated list request of `method` (`params` required, carrying `_meta`). */
const listRequest = <const M extends string>(method: M) =>
  open({ jsonrpc: JsonRpc, id: RequestId, method: Schema.Literal(method), params: PaginatedRequestParams2026 })

/** A notification of `method` whose params are optional `NotificationParams`. */
const listChanged = <const M extends string>(method: M) =>
  open({ jsonrpc: JsonRpc, method: Schema.Literal(method), params: Schema.optional(NotificationParams2026) })

// --- Utilities — basic/patterns/{cancellation,progress} --------------------

/** @see spec 2026-07-28 basic/patterns/cancellation ("CancelledNotificationParams": `requestId` is required) */
export const CancelledNotificationParams2026 = open({
  _meta: NotificationMeta,
  requestId: RequestId,
  reason: Schema.optional(Schema.String)
}).annotations({ identifier: "CancelledNotificationParams" })
export type CancelledNotificationParams2026 = typeof CancelledNotificationParams2026.Type

/** @see spec 2026-07-28 basic/patterns/cancellation ("CancelledNotification", `notifications/cancelled`) */
export const CancelledNotification2026 = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/cancelled"),
  params: CancelledNotificationParams2026
}).annotations({ identifier: "CancelledNotification" })
export type CancelledNotification2026 = typeof CancelledNotification2026.Type

/** @see spec 2026-07-28 basic/patterns/progress ("ProgressNotificationParams") */
export const ProgressNotificationParams2026 = open({
  _meta: NotificationMeta,
  progressToken: ProgressToken,
  progress: Schema.Number,
  total: Schema.optional(Schema.Number),
  message: Schema.optional(Schema.String)
}).annotations({ identifier: "ProgressNotificationParams" })
export type ProgressNotificationParams2026 = typeof ProgressNotificationParams2026.Type

/** @see spec 2026-07-28 basic/patterns/progress ("ProgressNotification", `notifications/progress`) */
export const ProgressNotification2026 = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/progress"),
  params: ProgressNotificationParams2026
}).annotations({ identifier: "ProgressNotification" })
export type ProgressNotification2026 = typeof ProgressNotification2026.Type

// --- Logging — server/utilities/logging ------------------------------------

/** @see spec 2026-07-28 server/utilities/logging ("LoggingMessageNotificationParams") */
export const LoggingMessageNotificationParams2026 = open({
  _meta: NotificationMeta,
  level: LoggingLevel,
  logger: Schema.optional(Schema.String),
  data: AnyJsonValue
}).annotations({ identifier: "LoggingMessageNotificationParams" })
export type LoggingMessageNotificationParams2026 = typeof LoggingMessageNotificationParams2026.Type

/** @see spec 2026-07-28 server/utilities/logging ("LoggingMessageNotification", `notifications/message`) */
export const LoggingMessageNotification2026 = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/message"),
  params: LoggingMessageNotificationParams2026
}).annotations({ identifier: "LoggingMessageNotification" })
export type LoggingMessageNotification2026 = typeof LoggingMessageNotification2026.Type

// --- Content and sampling — client/sampling --------------------------------

/** @see spec 2026-07-28 client/sampling — "Tool Result Messages" ("ToolResultContent": `structuredContent` is any JSON value) */
export const ToolResultContent2026 = open({
  type: Schema.Literal("tool_result"),
  toolUseId: Schema.String,
  content: Schema.Array(ContentBlock),
  structuredContent: Schema.optional(Schema.Unknown),
  isError: Schema.optional(Schema.Boolean),
  _meta: Meta
}).annotations({ identifier: "ToolResultContent" })
export type ToolResultContent2026 = typeof ToolResultContent2026.Type

/** @see spec 2026-07-28 client/sampling — "Messages" ("SamplingMessageContentBlock") */
export const SamplingMessageContentBlock2026 = Schema.Union(
  TextContent,
  ImageContent,
  AudioContent,
  ToolUseContent,
  ToolResultContent2026
).annotations({ identifier: "SamplingMessageContentBlock" })
export type SamplingMessageContentBlock2026 = typeof SamplingMessageContentBlock2026.Type

/** A single sampling content block or an array of them (schema.json inlines this `anyOf`). */
const SamplingContent2026 = Schema.Union(
  TextContent,
  ImageContent,
  AudioContent,
  ToolUseContent,
  ToolResultContent2026,
  Schema.Array(SamplingMessageContentBlock2026)
)

/** @see spec 2026-07-28 client/sampling — "Messages" ("SamplingMessage") */
export const SamplingMessage2026 = open({
  role: Role,
  content: SamplingContent2026,
  _meta: Meta
}).annotations({ identifier: "SamplingMessage" })
export type SamplingMessage2026 = typeof SamplingMessage2026.Type

// --- Tools — server/tools --------------------------------------------------

/**
 * 2026-07-28 drops `execution` (tasks); `inputSchema` needs only
 * `type: "object"` and `outputSchema` may be any JSON Schema object.
 * @see spec 2026-07-28 server/tools — "Tool"
 */
export const Tool2026 = open({
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  inputSchema: open({ $schema: Schema.optional(Schema.String), type: Schema.Literal("object") }),
  outputSchema: Schema.optional(open({ $schema: Schema.optional(Schema.String) })),
  annotations: Schema.optional(ToolAnnotations),
  icons: Schema.optional(Schema.Array(Icon)),
  _meta: Meta
}).annotations({ identifier: "Tool" })
export type Tool2026 = typeof Tool2026.Type

// --- Multi round-trip requests — basic/patterns/mrtr -----------------------

/**
 * A sampling request inside `inputRequests`: no `jsonrpc`/`id`, and no `task`.
 * @see spec 2026-07-28 client/sampling — "Creating Messages" ("CreateMessageRequestParams")
 */
export const CreateMessageRequestParams2026 = open({
  messages: Schema.Array(SamplingMessage2026),
  modelPreferences: Schema.optional(ModelPreferences),
  systemPrompt: Schema.optional(Schema.String),
  includeContext: Schema.optional(Schema.Literal("none", "thisServer", "allServers")),
  temperature: Schema.optional(Schema.Number),
  maxTokens: Schema.Int,
  stopSequences: Schema.optional(Schema.Array(Schema.String)),
  metadata: Schema.optional(JSONObject),
  tools: Schema.optional(Schema.Array(Tool2026)),
  toolChoice: Schema.optional(ToolChoice)
}).annotations({ identifier: "CreateMessageRequestParams" })
export type CreateMessageRequestParams2026 = typeof CreateMessageRequestParams2026.Type

/** @see spec 2026-07-28 client/sampling — "Creating Messages" ("CreateMessageRequest": `method` + `params`, an `InputRequest`) */
export const CreateMessageRequest2026 = open({
  method: Schema.Literal("sampling/createMessage"),
  params: CreateMessageRequestParams2026
}).annotations({ identifier: "CreateMessageRequest" })
export type CreateMessageRequest2026 = typeof CreateMessageRequest2026.Type

/** @see spec 2026-07-28 client/sampling — "Creating Messages" ("CreateMessageResult", an `InputResponse`: no `resultType`) */
export const CreateMessageResult2026 = open({
  _meta: Meta,
  role: Role,
  content: SamplingContent2026,
  model: Schema.String,
  stopReason: Schema.optional(Schema.String)
}).annotations({ identifier: "CreateMessageResult" })
export type CreateMessageResult2026 = typeof CreateMessageResult2026.Type

/** @see spec 2026-07-28 client/roots — "Listing Roots" ("ListRootsRequest": `method` + optional `params`, an `InputRequest`) */
export const ListRootsRequest2026 = open({
  method: Schema.Literal("roots/list"),
  params: Schema.optional(open({ _meta: Schema.optional(MetaObject) }))
}).annotations({ identifier: "ListRootsRequest" })
export type ListRootsRequest2026 = typeof ListRootsRequest2026.Type

/** @see spec 2026-07-28 client/roots — "Listing Roots" ("ListRootsResult", an `InputResponse`) */
export const ListRootsResult2026 = open({
  roots: Schema.Array(Root)
}).annotations({ identifier: "ListRootsResult" })
export type ListRootsResult2026 = typeof ListRootsResult2026.Type

/** @see spec 2026-07-28 client/elicitation — "Form Mode Elicitation Requests" ("ElicitRequestFormParams"; `mode` defaults to `"form"`) */
export const ElicitRequestFormParams2026 = open({
  mode: Schema.optional(Schema.Literal("form")),
  message: Schema.String,
  requestedSchema: open({
    $schema: Schema.optional(Schema.String),
    type: Schema.Literal("object"),
    properties: Schema.Record({ key: Schema.String, value: PrimitiveSchemaDefinition }),
    required: Schema.optional(Schema.Array(Schema.String))
  })
}).annotations({ identifier: "ElicitRequestFormParams" })
export type ElicitRequestFormParams2026 = typeof ElicitRequestFormParams2026.Type

/** @see spec 2026-07-28 client/elicitation — "URL Mode Elicitation Requests" ("ElicitRequestURLParams": no `elicitationId`) */
export const ElicitRequestURLParams2026 = open({
  mode: Schema.Literal("url"),
  message: Schema.String,
  url: Schema.String
}).annotations({ identifier: "ElicitRequestURLParams" })
export type ElicitRequestURLParams2026 = typeof ElicitRequestURLParams2026.Type

/** @see spec 2026-07-28 client/elicitation — "Protocol Messages" ("ElicitRequestParams": form | url) */
export const ElicitRequestParams2026 = Schema.Union(ElicitRequestFormParams2026, ElicitRequestURLParams2026).annotations({
  identifier: "ElicitRequestParams"
})
export type ElicitRequestParams2026 = typeof ElicitRequestParams2026.Type

/** @see spec 2026-07-28 client/elicitation — "Protocol Messages" ("ElicitRequest": `method` + `params`, an `InputRequest`) */
export const ElicitRequest2026 = open({
  method: Schema.Literal("elicitation/create"),
  params: ElicitRequestParams2026
}).annotations({ identifier: "ElicitRequest" })
export type ElicitRequest2026 = typeof ElicitRequest2026.Type

/** @see spec 2026-07-28 client/elicitation — "Response Actions" ("ElicitResult", an `InputResponse`) */
export const ElicitResult2026 = open({
  action: Schema.Literal("accept", "decline", "cancel"),
  content: Schema.optional(
    Schema.Record({
      key: Schema.String,
      value: Schema.Union(Schema.Array(Schema.String), Schema.String, Schema.Int, Schema.Boolean)
    })
  )
}).annotations({ identifier: "ElicitResult" })
export type ElicitResult2026 = typeof ElicitResult2026.Type

/** @see spec 2026-07-28 basic/patterns/mrtr — "InputRequests" ("InputRequest": a server-to-client request without `jsonrpc`/`id`) */
export const InputRequest = Schema.Union(CreateMessageRequest2026, ListRootsRequest2026, ElicitRequest2026).annotations({
  identifier: "InputRequest"
})
export type InputRequest = typeof InputRequest.Type

/** @see spec 2026-07-28 basic/patterns/mrtr — "InputRequests" (server-assigned keys to requests) */
export const InputRequests = Schema.Record({ key: Schema.String, value: InputRequest }).annotations({
  identifier: "InputRequests"
})
export type InputRequests = typeof InputRequests.Type

/** @see spec 2026-07-28 basic/patterns/mrtr — "InputResponses" ("InputResponse": the client's result for one request) */
export const InputResponse = Schema.Union(CreateMessageResult2026, ListRootsResult2026, ElicitResult2026).annotations({
  identifier: "InputResponse"
})
export type InputResponse = typeof InputResponse.Type

/** @see spec 2026-07-28 basic/patterns/mrtr — "InputResponses" (keys of `InputRequests` to results) */
export const InputResponses = Schema.Record({ key: Schema.String, value: InputResponse }).annotations({
  identifier: "InputResponses"
})
export type InputResponses = typeof InputResponses.Type

/**
 * `resultType` is `"input_required"`; the prose's "at least one of
 * `inputRequests` or `requestState` MUST be present" is not enforced, as
 * schema.json does not state it (so `{ resultType }` alone is accepted, and
 * the `*ResultResponse` unions accept any result with a `resultType`, as
 * schema.json's `anyOf` does).
 * @see spec 2026-07-28 basic/patterns/mrtr — "InputRequiredResult"
 */
export const InputRequiredResult = open({
  _meta: ResultMeta,
  resultType: ResultType,
  inputRequests: Schema.optional(InputRequests),
  requestState: Schema.optional(Schema.String)
}).annotations({ identifier: "InputRequiredResult" })
export type InputRequiredResult = typeof InputRequiredResult.Type

/** The params a retried request adds: `inputResponses` and `requestState` (spec 2026-07-28 basic/patterns/mrtr "Basic Workflow"). */
const RetryFields = {
  inputResponses: Schema.optional(InputResponses),
  requestState: Schema.optional(Schema.String)
}

/** @see spec 2026-07-28 basic/patterns/mrtr — "Basic Workflow" ("InputResponseRequestParams") */
export const InputResponseRequestParams = open({ _meta: RequestMetaObject, ...RetryFields }).annotations({
  identifier: "InputResponseRequestParams"
})
export type InputResponseRequestParams = typeof InputResponseRequestParams.Type

// --- Discovery — server/discover -------------------------------------------

/** @see spec 2026-07-28 server/discover — "Request" ("DiscoverRequest", `server/discover`) */
export const DiscoverRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("server/discover"),
  params: RequestParams2026
}).annotations({ identifier: "DiscoverRequest" })
export type DiscoverRequest = typeof DiscoverRequest.Type

/** @see spec 2026-07-28 server/discover — "DiscoverResult" */
export const DiscoverResult = open({
  _meta: ResultMeta,
  resultType: ResultType,
  supportedVersions: Schema.Array(Schema.String),
  capabilities: ServerCapabilities2026,
  instructions: Schema.optional(Schema.String),
  ...CacheFields
}).annotations({ identifier: "DiscoverResult" })
export type DiscoverResult = typeof DiscoverResult.Type

/** @see spec 2026-07-28 server/discover — "Response" ("DiscoverResultResponse") */
export const DiscoverResultResponse = resultResponse(DiscoverResult).annotations({ identifier: "DiscoverResultResponse" })
export type DiscoverResultResponse = typeof DiscoverResultResponse.Type

// --- Resources — server/resources ------------------------------------------

/** @see spec 2026-07-28 server/resources — "Reading Resources" ("ResourceRequestParams") */
export const ResourceRequestParams2026 = open({
  _meta: RequestMetaObject,
  uri: Schema.String
}).annotations({ identifier: "ResourceRequestParams" })
export type ResourceRequestParams2026 = typeof ResourceRequestParams2026.Type

/** @see spec 2026-07-28 server/resources — "Listing Resources" ("ListResourcesRequest", `resources/list`) */
export const ListResourcesRequest2026 = listRequest("resources/list").annotations({ identifier: "ListResourcesRequest" })
export type ListResourcesRequest2026 = typeof ListResourcesRequest2026.Type

/** @see spec 2026-07-28 server/resources — "Listing Resources" ("ListResourcesResult", cacheable) */
export const ListResourcesResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  ...CacheFields,
  nextCursor: Schema.optional(Cursor),
  resources: Schema.Array(Resource)
}).annotations({ identifier: "ListResourcesResult" })
export type ListResourcesResult2026 = typeof ListResourcesResult2026.Type

/** @see spec 2026-07-28 server/resources — "Listing Resources" ("ListResourcesResultResponse") */
export const ListResourcesResultResponse = resultResponse(ListResourcesResult2026).annotations({
  identifier: "ListResourcesResultResponse"
})
export type ListResourcesResultResponse = typeof ListResourcesResultResponse.Type

/** @see spec 2026-07-28 server/resources — "Resource Templates" ("ListResourceTemplatesRequest", `resources/templates/list`) */
export const ListResourceTemplatesRequest2026 = listRequest("resources/templates/list").annotations({
  identifier: "ListResourceTemplatesRequest"
})
export type ListResourceTemplatesRequest2026 = typeof ListResourceTemplatesRequest2026.Type

/** @see spec 2026-07-28 server/resources — "Resource Templates" ("ListResourceTemplatesResult", cacheable) */
export const ListResourceTemplatesResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  ...CacheFields,
  nextCursor: Schema.optional(Cursor),
  resourceTemplates: Schema.Array(ResourceTemplate)
}).annotations({ identifier: "ListResourceTemplatesResult" })
export type ListResourceTemplatesResult2026 = typeof ListResourceTemplatesResult2026.Type

/** @see spec 2026-07-28 server/resources — "Resource Templates" ("ListResourceTemplatesResultResponse") */
export const ListResourceTemplatesResultResponse = resultResponse(ListResourceTemplatesResult2026).annotations({
  identifier: "ListResourceTemplatesResultResponse"
})
export type ListResourceTemplatesResultResponse = typeof ListResourceTemplatesResultResponse.Type

/** @see spec 2026-07-28 server/resources — "Reading Resources" ("ReadResourceRequestParams": `_meta`, `uri`, MRTR retry fields) */
export const ReadResourceRequestParams2026 = open({
  _meta: RequestMetaObject,
  uri: Schema.String,
  ...RetryFields
}).annotations({ identifier: "ReadResourceRequestParams" })
export type ReadResourceRequestParams2026 = typeof ReadResourceRequestParams2026.Type

/** @see spec 2026-07-28 server/resources — "Reading Resources" ("ReadResourceRequest", `resources/read`) */
export const ReadResourceRequest2026 = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("resources/read"),
  params: ReadResourceRequestParams2026
}).annotations({ identifier: "ReadResourceRequest" })
export type ReadResourceRequest2026 = typeof ReadResourceRequest2026.Type

/** @see spec 2026-07-28 server/resources — "Reading Resources" ("ReadResourceResult", cacheable) */
export const ReadResourceResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  ...CacheFields,
  contents: Schema.Array(TextOrBlobResourceContents)
}).annotations({ identifier: "ReadResourceResult" })
export type ReadResourceResult2026 = typeof ReadResourceResult2026.Type

/** @see spec 2026-07-28 basic/patterns/mrtr — "Supported Requests" ("ReadResourceResultResponse": complete or input_required) */
export const ReadResourceResultResponse = resultResponse(Schema.Union(ReadResourceResult2026, InputRequiredResult)).annotations({
  identifier: "ReadResourceResultResponse"
})
export type ReadResourceResultResponse = typeof ReadResourceResultResponse.Type

/** @see spec 2026-07-28 server/resources — "List Changed Notification" (`notifications/resources/list_changed`) */
export const ResourceListChangedNotification2026 = listChanged("notifications/resources/list_changed").annotations({
  identifier: "ResourceListChangedNotification"
})
export type ResourceListChangedNotification2026 = typeof ResourceListChangedNotification2026.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Receiving Notifications" ("ResourceUpdatedNotificationParams") */
export const ResourceUpdatedNotificationParams2026 = open({
  _meta: NotificationMeta,
  uri: Schema.String
}).annotations({ identifier: "ResourceUpdatedNotificationParams" })
export type ResourceUpdatedNotificationParams2026 = typeof ResourceUpdatedNotificationParams2026.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Receiving Notifications" (`notifications/resources/updated`) */
export const ResourceUpdatedNotification2026 = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/resources/updated"),
  params: ResourceUpdatedNotificationParams2026
}).annotations({ identifier: "ResourceUpdatedNotification" })
export type ResourceUpdatedNotification2026 = typeof ResourceUpdatedNotification2026.Type

// --- Prompts — server/prompts ----------------------------------------------

/** @see spec 2026-07-28 server/prompts — "Listing Prompts" ("ListPromptsRequest", `prompts/list`) */
export const ListPromptsRequest2026 = listRequest("prompts/list").annotations({ identifier: "ListPromptsRequest" })
export type ListPromptsRequest2026 = typeof ListPromptsRequest2026.Type

/** @see spec 2026-07-28 server/prompts — "Listing Prompts" ("ListPromptsResult", cacheable) */
export const ListPromptsResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  ...CacheFields,
  nextCursor: Schema.optional(Cursor),
  prompts: Schema.Array(Prompt)
}).annotations({ identifier: "ListPromptsResult" })
export type ListPromptsResult2026 = typeof ListPromptsResult2026.Type

/** @see spec 2026-07-28 server/prompts — "Listing Prompts" ("ListPromptsResultResponse") */
export const ListPromptsResultResponse = resultResponse(ListPromptsResult2026).annotations({
  identifier: "ListPromptsResultResponse"
})
export type ListPromptsResultResponse = typeof ListPromptsResultResponse.Type

/** @see spec 2026-07-28 server/prompts — "Getting a Prompt" ("GetPromptRequestParams": `_meta`, MRTR retry fields) */
export const GetPromptRequestParams2026 = open({
  _meta: RequestMetaObject,
  name: Schema.String,
  arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  ...RetryFields
}).annotations({ identifier: "GetPromptRequestParams" })
export type GetPromptRequestParams2026 = typeof GetPromptRequestParams2026.Type

/** @see spec 2026-07-28 server/prompts — "Getting a Prompt" ("GetPromptRequest", `prompts/get`) */
export const GetPromptRequest2026 = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("prompts/get"),
  params: GetPromptRequestParams2026
}).annotations({ identifier: "GetPromptRequest" })
export type GetPromptRequest2026 = typeof GetPromptRequest2026.Type

/** @see spec 2026-07-28 server/prompts — "Getting a Prompt" ("GetPromptResult") */
export const GetPromptResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  description: Schema.optional(Schema.String),
  messages: Schema.Array(PromptMessage)
}).annotations({ identifier: "GetPromptResult" })
export type GetPromptResult2026 = typeof GetPromptResult2026.Type

/** @see spec 2026-07-28 basic/patterns/mrtr — "Supported Requests" ("GetPromptResultResponse": complete or input_required) */
export const GetPromptResultResponse = resultResponse(Schema.Union(GetPromptResult2026, InputRequiredResult)).annotations({
  identifier: "GetPromptResultResponse"
})
export type GetPromptResultResponse = typeof GetPromptResultResponse.Type

/** @see spec 2026-07-28 server/prompts — "List Changed Notification" (`notifications/prompts/list_changed`) */
export const PromptListChangedNotification2026 = listChanged("notifications/prompts/list_changed").annotations({
  identifier: "PromptListChangedNotification"
})
export type PromptListChangedNotification2026 = typeof PromptListChangedNotification2026.Type

// --- Tools — server/tools --------------------------------------------------

/** @see spec 2026-07-28 server/tools — "Listing Tools" ("ListToolsRequest", `tools/list`) */
export const ListToolsRequest2026 = listRequest("tools/list").annotations({ identifier: "ListToolsRequest" })
export type ListToolsRequest2026 = typeof ListToolsRequest2026.Type

/** @see spec 2026-07-28 server/tools — "Listing Tools" ("ListToolsResult", cacheable) */
export const ListToolsResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  ...CacheFields,
  nextCursor: Schema.optional(Cursor),
  tools: Schema.Array(Tool2026)
}).annotations({ identifier: "ListToolsResult" })
export type ListToolsResult2026 = typeof ListToolsResult2026.Type

/** @see spec 2026-07-28 server/tools — "Listing Tools" ("ListToolsResultResponse") */
export const ListToolsResultResponse = resultResponse(ListToolsResult2026).annotations({
  identifier: "ListToolsResultResponse"
})
export type ListToolsResultResponse = typeof ListToolsResultResponse.Type

/** @see spec 2026-07-28 server/tools — "Calling Tools" ("CallToolRequestParams": `_meta`, MRTR retry fields, no `task`) */
export const CallToolRequestParams2026 = open({
  _meta: RequestMetaObject,
  name: Schema.String,
  arguments: Schema.optional(JsonObject),
  ...RetryFields
}).annotations({ identifier: "CallToolRequestParams" })
export type CallToolRequestParams2026 = typeof CallToolRequestParams2026.Type

/** @see spec 2026-07-28 server/tools — "Calling Tools" ("CallToolRequest", `tools/call`) */
export const CallToolRequest2026 = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("tools/call"),
  params: CallToolRequestParams2026
}).annotations({ identifier: "CallToolRequest" })
export type CallToolRequest2026 = typeof CallToolRequest2026.Type

/** @see spec 2026-07-28 server/tools — "Structured Content" ("CallToolResult": `structuredContent` is any JSON value) */
export const CallToolResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  content: Schema.Array(ContentBlock),
  structuredContent: Schema.optional(Schema.Unknown),
  isError: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "CallToolResult" })
export type CallToolResult2026 = typeof CallToolResult2026.Type

/** @see spec 2026-07-28 basic/patterns/mrtr — "Supported Requests" ("CallToolResultResponse": complete or input_required) */
export const CallToolResultResponse = resultResponse(Schema.Union(CallToolResult2026, InputRequiredResult)).annotations({
  identifier: "CallToolResultResponse"
})
export type CallToolResultResponse = typeof CallToolResultResponse.Type

/** @see spec 2026-07-28 server/tools — "List Changed Notification" (`notifications/tools/list_changed`) */
export const ToolListChangedNotification2026 = listChanged("notifications/tools/list_changed").annotations({
  identifier: "ToolListChangedNotification"
})
export type ToolListChangedNotification2026 = typeof ToolListChangedNotification2026.Type

// --- Completion — server/utilities/completion ------------------------------

/** @see spec 2026-07-28 server/utilities/completion — "Requesting Completions" ("CompleteRequestParams": `_meta` required) */
export const CompleteRequestParams2026 = open({
  _meta: RequestMetaObject,
  ref: Schema.Union(PromptReference, ResourceTemplateReference),
  argument: open({ name: Schema.String, value: Schema.String }),
  context: Schema.optional(
    open({
      arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
    })
  )
}).annotations({ identifier: "CompleteRequestParams" })
export type CompleteRequestParams2026 = typeof CompleteRequestParams2026.Type

/** @see spec 2026-07-28 server/utilities/completion — "Requesting Completions" ("CompleteRequest", `completion/complete`) */
export const CompleteRequest2026 = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("completion/complete"),
  params: CompleteRequestParams2026
}).annotations({ identifier: "CompleteRequest" })
export type CompleteRequest2026 = typeof CompleteRequest2026.Type

/** @see spec 2026-07-28 server/utilities/completion — "Completion Results" ("CompleteResult"; at most 100 values) */
export const CompleteResult2026 = open({
  _meta: ResultMeta,
  resultType: ResultType,
  completion: open({
    values: Schema.Array(Schema.String).pipe(Schema.maxItems(100)),
    total: Schema.optional(Schema.Int),
    hasMore: Schema.optional(Schema.Boolean)
  })
}).annotations({ identifier: "CompleteResult" })
export type CompleteResult2026 = typeof CompleteResult2026.Type

/** @see spec 2026-07-28 server/utilities/completion — "Completion Results" ("CompleteResultResponse") */
export const CompleteResultResponse = resultResponse(CompleteResult2026).annotations({ identifier: "CompleteResultResponse" })
export type CompleteResultResponse = typeof CompleteResultResponse.Type

// --- Subscriptions — basic/patterns/subscriptions --------------------------

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Notification Filter" ("SubscriptionFilter"; every field optional) */
export const SubscriptionFilter = open({
  toolsListChanged: Schema.optional(Schema.Boolean),
  promptsListChanged: Schema.optional(Schema.Boolean),
  resourcesListChanged: Schema.optional(Schema.Boolean),
  resourceSubscriptions: Schema.optional(Schema.Array(Schema.String))
}).annotations({ identifier: "SubscriptionFilter" })
export type SubscriptionFilter = typeof SubscriptionFilter.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Opening a Stream" ("SubscriptionsListenRequestParams") */
export const SubscriptionsListenRequestParams = open({
  _meta: RequestMetaObject,
  notifications: SubscriptionFilter
}).annotations({ identifier: "SubscriptionsListenRequestParams" })
export type SubscriptionsListenRequestParams = typeof SubscriptionsListenRequestParams.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Opening a Stream" ("SubscriptionsListenRequest", `subscriptions/listen`) */
export const SubscriptionsListenRequest = open({
  jsonrpc: JsonRpc,
  id: RequestId,
  method: Schema.Literal("subscriptions/listen"),
  params: SubscriptionsListenRequestParams
}).annotations({ identifier: "SubscriptionsListenRequest" })
export type SubscriptionsListenRequest = typeof SubscriptionsListenRequest.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Graceful Closure" ("SubscriptionsListenResult": `_meta` with the subscription id) */
export const SubscriptionsListenResult = open({
  _meta: SubscriptionsListenResultMetaObject,
  resultType: ResultType
}).annotations({ identifier: "SubscriptionsListenResult" })
export type SubscriptionsListenResult = typeof SubscriptionsListenResult.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Graceful Closure" ("SubscriptionsListenResultResponse") */
export const SubscriptionsListenResultResponse = resultResponse(SubscriptionsListenResult).annotations({
  identifier: "SubscriptionsListenResultResponse"
})
export type SubscriptionsListenResultResponse = typeof SubscriptionsListenResultResponse.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Acknowledgment" ("SubscriptionsAcknowledgedNotificationParams": the honored filter) */
export const SubscriptionsAcknowledgedNotificationParams = open({
  _meta: NotificationMeta,
  notifications: SubscriptionFilter
}).annotations({ identifier: "SubscriptionsAcknowledgedNotificationParams" })
export type SubscriptionsAcknowledgedNotificationParams = typeof SubscriptionsAcknowledgedNotificationParams.Type

/** @see spec 2026-07-28 basic/patterns/subscriptions — "Acknowledgment" (`notifications/subscriptions/acknowledged`) */
export const SubscriptionsAcknowledgedNotification = open({
  jsonrpc: JsonRpc,
  method: Schema.Literal("notifications/subscriptions/acknowledged"),
  params: SubscriptionsAcknowledgedNotificationParams
}).annotations({ identifier: "SubscriptionsAcknowledgedNotification" })
export type SubscriptionsAcknowledgedNotification = typeof SubscriptionsAcknowledgedNotification.Type

// --- Message unions by direction — basic/index "Messages" ------------------

/** @see spec 2026-07-28 basic/index — "Messages" ("ClientRequest": no initialize, ping, setLevel, subscribe or tasks) */
export const ClientRequest2026 = Schema.Union(
  DiscoverRequest,
  ListResourcesRequest2026,
  ListResourceTemplatesRequest2026,
  ReadResourceRequest2026,
  SubscriptionsListenRequest,
  ListPromptsRequest2026,
  GetPromptRequest2026,
  ListToolsRequest2026,
  CallToolRequest2026,
  CompleteRequest2026
).annotations({ identifier: "ClientRequest" })
export type ClientRequest2026 = typeof ClientRequest2026.Type

/** @see spec 2026-07-28 basic/index — "Messages" ("ClientNotification": only `notifications/cancelled`) */
export const ClientNotification2026 = CancelledNotification2026.annotations({ identifier: "ClientNotification" })
export type ClientNotification2026 = typeof ClientNotification2026.Type

/** @see spec 2026-07-28 basic/index — "Messages" ("ClientResult" = Result: clients answer through `inputResponses`) */
export const ClientResult2026 = Result2026.annotations({ identifier: "ClientResult" })
export type ClientResult2026 = typeof ClientResult2026.Type

/** @see spec 2026-07-28 basic/index — "Messages" ("ServerNotification") */
export const ServerNotification2026 = Schema.Union(
  CancelledNotification2026,
  ProgressNotification2026,
  ResourceListChangedNotification2026,
  SubscriptionsAcknowledgedNotification,
  ResourceUpdatedNotification2026,
  PromptListChangedNotification2026,
  ToolListChangedNotification2026,
  LoggingMessageNotification2026
).annotations({ identifier: "ServerNotification" })
export type ServerNotification2026 = typeof ServerNotification2026.Type

/**
 * The catch-all `Result` member is tried last so the most specific member
 * wins; the accepted set equals schema.json's `anyOf`.
 * @see spec 2026-07-28 basic/index — "Messages" ("ServerResult")
 */
export const ServerResult2026 = Schema.Union(
  InputRequiredResult,
  DiscoverResult,
  ListResourcesResult2026,
  ListResourceTemplatesResult2026,
  ReadResourceResult2026,
  SubscriptionsListenResult,
  ListPromptsResult2026,
  GetPromptResult2026,
  ListToolsResult2026,
  CallToolResult2026,
  CompleteResult2026,
  Result2026
).annotations({ identifier: "ServerResult" })
export type ServerResult2026 = typeof ServerResult2026.Type

// --- Every definition, by name ---------------------------------------------

/**
 * Every definition (`$defs`) of the 2026-07-28 schema.json, by its exact
 * name: the `2026` variants under their spec names, and the 2025-11-25
 * schemas of the definitions 2026-07-28 did not change.
 * @see spec 2026-07-28 schema — https://modelcontextprotocol.io/specification/2026-07-28/schema
 */
export const definitions20260728 = {
  Annotations,
  AudioContent,
  BaseMetadata,
  BlobResourceContents,
  BooleanSchema,
  CacheableResult,
  CallToolRequest: CallToolRequest2026,
  CallToolRequestParams: CallToolRequestParams2026,
  CallToolResult: CallToolResult2026,
  CallToolResultResponse,
  CancelledNotification: CancelledNotification2026,
  CancelledNotificationParams: CancelledNotificationParams2026,
  ClientCapabilities: ClientCapabilities2026,
  ClientNotification: ClientNotification2026,
  ClientRequest: ClientRequest2026,
  ClientResult: ClientResult2026,
  CompleteRequest: CompleteRequest2026,
  CompleteRequestParams: CompleteRequestParams2026,
  CompleteResult: CompleteResult2026,
  CompleteResultResponse,
  ContentBlock,
  CreateMessageRequest: CreateMessageRequest2026,
  CreateMessageRequestParams: CreateMessageRequestParams2026,
  CreateMessageResult: CreateMessageResult2026,
  Cursor,
  DiscoverRequest,
  DiscoverResult,
  DiscoverResultResponse,
  ElicitRequest: ElicitRequest2026,
  ElicitRequestFormParams: ElicitRequestFormParams2026,
  ElicitRequestParams: ElicitRequestParams2026,
  ElicitRequestURLParams: ElicitRequestURLParams2026,
  ElicitResult: ElicitResult2026,
  EmbeddedResource,
  EmptyResult: EmptyResult2026,
  EnumSchema,
  Error,
  GetPromptRequest: GetPromptRequest2026,
  GetPromptRequestParams: GetPromptRequestParams2026,
  GetPromptResult: GetPromptResult2026,
  GetPromptResultResponse,
  HeaderMismatchError,
  Icon,
  Icons,
  ImageContent,
  Implementation,
  InputRequest,
  InputRequests,
  InputRequiredResult,
  InputResponse,
  InputResponseRequestParams,
  InputResponses,
  InternalError,
  InvalidParamsError,
  InvalidRequestError,
  JSONArray,
  JSONObject,
  JSONRPCErrorResponse,
  JSONRPCMessage: JSONRPCMessage2026,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResponse: JSONRPCResponse2026,
  JSONRPCResultResponse: JSONRPCResultResponse2026,
  JSONValue,
  LegacyTitledEnumSchema,
  ListPromptsRequest: ListPromptsRequest2026,
  ListPromptsResult: ListPromptsResult2026,
  ListPromptsResultResponse,
  ListResourceTemplatesRequest: ListResourceTemplatesRequest2026,
  ListResourceTemplatesResult: ListResourceTemplatesResult2026,
  ListResourceTemplatesResultResponse,
  ListResourcesRequest: ListResourcesRequest2026,
  ListResourcesResult: ListResourcesResult2026,
  ListResourcesResultResponse,
  ListRootsRequest: ListRootsRequest2026,
  ListRootsResult: ListRootsResult2026,
  ListToolsRequest: ListToolsRequest2026,
  ListToolsResult: ListToolsResult2026,
  ListToolsResultResponse,
  LoggingLevel,
  LoggingMessageNotification: LoggingMessageNotification2026,
  LoggingMessageNotificationParams: LoggingMessageNotificationParams2026,
  MetaObject,
  MethodNotFoundError,
  MissingRequiredClientCapabilityError,
  ModelHint,
  ModelPreferences,
  MultiSelectEnumSchema,
  Notification,
  NotificationMetaObject,
  NotificationParams: NotificationParams2026,
  NumberSchema,
  PaginatedRequest: PaginatedRequest2026,
  PaginatedRequestParams: PaginatedRequestParams2026,
  PaginatedResult: PaginatedResult2026,
  ParseError,
  PrimitiveSchemaDefinition,
  ProgressNotification: ProgressNotification2026,
  ProgressNotificationParams: ProgressNotificationParams2026,
  ProgressToken,
  Prompt,
  PromptArgument,
  PromptListChangedNotification: PromptListChangedNotification2026,
  PromptMessage,
  PromptReference,
  ReadResourceRequest: ReadResourceRequest2026,
  ReadResourceRequestParams: ReadResourceRequestParams2026,
  ReadResourceResult: ReadResourceResult2026,
  ReadResourceResultResponse,
  Request,
  RequestId,
  RequestMetaObject,
  RequestParams: RequestParams2026,
  Resource,
  ResourceContents,
  ResourceLink,
  ResourceListChangedNotification: ResourceListChangedNotification2026,
  ResourceRequestParams: ResourceRequestParams2026,
  ResourceTemplate,
  ResourceTemplateReference,
  ResourceUpdatedNotification: ResourceUpdatedNotification2026,
  ResourceUpdatedNotificationParams: ResourceUpdatedNotificationParams2026,
  Result: Result2026,
  ResultMetaObject,
  ResultType,
  Role,
  Root,
  SamplingMessage: SamplingMessage2026,
  SamplingMessageContentBlock: SamplingMessageContentBlock2026,
  ServerCapabilities: ServerCapabilities2026,
  ServerNotification: ServerNotification2026,
  ServerResult: ServerResult2026,
  SingleSelectEnumSchema,
  StringSchema,
  SubscriptionFilter,
  SubscriptionsAcknowledgedNotification,
  SubscriptionsAcknowledgedNotificationParams,
  SubscriptionsListenRequest,
  SubscriptionsListenRequestParams,
  SubscriptionsListenResult,
  SubscriptionsListenResultMetaObject,
  SubscriptionsListenResultResponse,
  TextContent,
  TextResourceContents,
  TitledMultiSelectEnumSchema,
  TitledSingleSelectEnumSchema,
  Tool: Tool2026,
  ToolAnnotations,
  ToolChoice,
  ToolListChangedNotification: ToolListChangedNotification2026,
  ToolResultContent: ToolResultContent2026,
  ToolUseContent,
  UnsupportedProtocolVersionError,
  UntitledMultiSelectEnumSchema,
  UntitledSingleSelectEnumSchema
} as const
