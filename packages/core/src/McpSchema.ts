/**
 * Effect Schema definitions for every definition (`$defs`) of the Model Context
 * Protocol JSON schema, revision 2025-11-25.
 *
 * Conventions:
 * - Every export carries exactly the name of its `schema.json` definition and a
 *   matching `type X = typeof X.Type`.
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
  subscriptionId: "io.modelcontextprotocol/subscriptionId"
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
const JsonValue = Schema.Unknown.pipe(
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
  data: JsonValue
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
// 2026-07-28 — the stateless revision (definitions new in it)
// =============================================================================

/** @see spec 2026-07-28 server/utilities/caching — "Cache Scope Field" */
export const CacheScope = Schema.Literal("public", "private").annotations({ identifier: "CacheScope" })
export type CacheScope = typeof CacheScope.Type

/** @see spec 2026-07-28 server/discover — "DiscoverResult" */
export const DiscoverResult = open({
  _meta: Meta,
  resultType: Schema.String,
  supportedVersions: Schema.Array(Schema.String),
  capabilities: ServerCapabilities,
  instructions: Schema.optional(Schema.String),
  ttlMs: Schema.Int.pipe(Schema.nonNegative()),
  cacheScope: CacheScope
}).annotations({ identifier: "DiscoverResult" })
export type DiscoverResult = typeof DiscoverResult.Type
