/**
 * An MCP client in Effect, independent of the transport: it performs the
 * `initialize` handshake (spec 2025-11-25 basic/lifecycle), correlates
 * requests and responses by id, sends progress tokens and cancellations
 * (spec basic/utilities/progress, basic/utilities/cancellation), publishes
 * every server notification, and answers the server's own requests
 * (`sampling/createMessage`, `elicitation/create`, `roots/list`, `ping`) with
 * the handlers it was given.
 *
 * Used by `@emcee/testing`'s `TestClient` over the in-memory transport, and by
 * anything that talks to an MCP server (gateways, CLIs, HTTP clients) over its
 * own transport.
 *
 * @example
 * import { Effect } from "effect"
 * import { McpClient } from "@emcee/core"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* McpClient.make({ transport, clientInfo: { name: "demo", version: "1.0.0" } })
 *   const tools = yield* client.listAllTools()
 *   const result = yield* client.callTool("echo", { text: "hi" })
 * }).pipe(Effect.scoped)
 *
 * @since 0.1.0
 */
import type { Effect, Queue, Scope, Stream } from "effect"
import { ClientErrorCode, make as makeClient, McpClientError, TransportError } from "./internal/client.js"
import type * as JsonRpc from "./JsonRpc.js"
import type * as McpSchema from "./McpSchema.js"

export {
  /**
   * Codes of failures the client detects itself; they never travel on the wire.
   * They follow the reference TypeScript SDK (-32000 connection closed, -32001
   * request timeout); -32003 is a server result that does not match the spec.
   */
  ClientErrorCode,
  /** A request failed: a JSON-RPC error from the server (code, message, data) or a `ClientErrorCode`. */
  McpClientError,
  /** A transport could not deliver or receive a message. */
  TransportError
}

/** A way to exchange JSON-RPC messages with one server. */
export interface ClientTransport {
  /** Sends one message to the server. */
  readonly send: (message: JsonRpc.Message) => Effect.Effect<void, TransportError>
  /** Messages from the server; ends when the transport closes. */
  readonly incoming: Stream.Stream<JsonRpc.Message, TransportError>
}

/**
 * Answers to the server's requests. A handler failing with `McpClientError`
 * answers that JSON-RPC error (for example code -1 "User rejected sampling
 * request", spec client/sampling "Error Handling"); a request with no handler
 * is answered -32601.
 */
export interface Handlers {
  /** `sampling/createMessage` (spec client/sampling). */
  readonly sampling?: (params: McpSchema.CreateMessageRequestParams) => Effect.Effect<McpSchema.CreateMessageResult, McpClientError>
  /** `elicitation/create`, form or URL mode (spec client/elicitation). */
  readonly elicitation?: (params: McpSchema.ElicitRequestParams) => Effect.Effect<McpSchema.ElicitResult, McpClientError>
  /** `roots/list` (spec client/roots). */
  readonly roots?: () => Effect.Effect<McpSchema.ListRootsResult, McpClientError>
}

/** Options of `make`. */
export interface Options {
  readonly transport: ClientTransport
  /** `clientInfo` of the initialize request. */
  readonly clientInfo: McpSchema.Implementation
  /**
   * Capabilities declared at initialize. Default: derived from `handlers`
   * (`sampling: {}`, `elicitation: { form: {}, url: {} }`, `roots: { listChanged: true }`
   * for each handler given). When set, it is sent exactly as given, so a test
   * can declare a capability without a handler or a handler without the capability.
   */
  readonly capabilities?: McpSchema.ClientCapabilities
  /** The revision to request; default `McpSchema.LATEST_PROTOCOL_VERSION`. */
  readonly protocolVersion?: string
  readonly handlers?: Handlers
  /** Default timeout of every request; default 60 s (spec basic/lifecycle "Timeouts"). */
  readonly requestTimeoutMillis?: number
}

/** Options of one request. */
export interface RequestOptions {
  /** Overrides the client's `requestTimeoutMillis`. On timeout, `notifications/cancelled` is sent. */
  readonly timeoutMillis?: number
  /**
   * Asks for progress (spec basic/utilities/progress): a `progressToken` is
   * sent in `_meta`, and each `notifications/progress` for it is passed here,
   * in order, on the client's reader fiber (so keep it short).
   */
  readonly onProgress?: (progress: McpSchema.ProgressNotificationParams) => Effect.Effect<void>
}

/** Options of one list request: a page from `cursor`, or the first page. */
export interface ListOptions extends RequestOptions {
  readonly cursor?: string
}

/** A connected, initialized client. */
export interface McpClient {
  /** `serverInfo` of the initialize result. */
  readonly serverInfo: McpSchema.Implementation
  readonly serverCapabilities: McpSchema.ServerCapabilities
  /** The negotiated protocol revision (spec basic/lifecycle "Version Negotiation"). */
  readonly protocolVersion: string
  readonly instructions: string | undefined
  /** The whole initialize result, for anything not surfaced above. */
  readonly initializeResult: McpSchema.InitializeResult

  /**
   * Sends a request and waits for its result. Interrupting the caller sends
   * `notifications/cancelled` (spec basic/utilities/cancellation).
   */
  readonly request: (method: string, params?: JsonRpc.JsonObject, options?: RequestOptions) => Effect.Effect<JsonRpc.JsonObject, McpClientError>
  /** Sends a notification. */
  readonly notify: (method: string, params?: JsonRpc.JsonObject) => Effect.Effect<void, McpClientError>

  /**
   * Every notification from the server, from the moment the stream is run;
   * ends when the connection closes. To not miss one sent right after an
   * action, use `subscribeNotifications` before the action.
   */
  readonly notifications: Stream.Stream<JsonRpc.Notification>
  /** Subscribes now, for the life of the scope, to every later server notification. */
  readonly subscribeNotifications: Effect.Effect<Queue.Dequeue<JsonRpc.Notification>, never, Scope.Scope>

  /** spec basic/utilities/ping */
  readonly ping: (options?: RequestOptions) => Effect.Effect<void, McpClientError>
  /** spec server/tools "Listing Tools": one page. */
  readonly listTools: (options?: ListOptions) => Effect.Effect<McpSchema.ListToolsResult, McpClientError>
  /** Every tool, following `nextCursor` (spec server/utilities/pagination). */
  readonly listAllTools: (options?: RequestOptions) => Effect.Effect<ReadonlyArray<McpSchema.Tool>, McpClientError>
  /** spec server/tools "Calling Tools" */
  readonly callTool: (
    name: string,
    args?: JsonRpc.JsonObject,
    options?: RequestOptions
  ) => Effect.Effect<McpSchema.CallToolResult, McpClientError>
  /** spec server/resources "Listing Resources": one page. */
  readonly listResources: (options?: ListOptions) => Effect.Effect<McpSchema.ListResourcesResult, McpClientError>
  /** Every resource, following `nextCursor`. */
  readonly listAllResources: (options?: RequestOptions) => Effect.Effect<ReadonlyArray<McpSchema.Resource>, McpClientError>
  /** spec server/resources "Resource Templates": one page. */
  readonly listResourceTemplates: (options?: ListOptions) => Effect.Effect<McpSchema.ListResourceTemplatesResult, McpClientError>
  /** Every resource template, following `nextCursor`. */
  readonly listAllResourceTemplates: (options?: RequestOptions) => Effect.Effect<ReadonlyArray<McpSchema.ResourceTemplate>, McpClientError>
  /** spec server/resources "Reading Resources" */
  readonly readResource: (uri: string, options?: RequestOptions) => Effect.Effect<McpSchema.ReadResourceResult, McpClientError>
  /** spec server/resources "Subscriptions" */
  readonly subscribe: (uri: string, options?: RequestOptions) => Effect.Effect<void, McpClientError>
  readonly unsubscribe: (uri: string, options?: RequestOptions) => Effect.Effect<void, McpClientError>
  /** spec server/prompts "Listing Prompts": one page. */
  readonly listPrompts: (options?: ListOptions) => Effect.Effect<McpSchema.ListPromptsResult, McpClientError>
  /** Every prompt, following `nextCursor`. */
  readonly listAllPrompts: (options?: RequestOptions) => Effect.Effect<ReadonlyArray<McpSchema.Prompt>, McpClientError>
  /** spec server/prompts "Getting a Prompt" */
  readonly getPrompt: (
    name: string,
    args?: { readonly [key: string]: string },
    options?: RequestOptions
  ) => Effect.Effect<McpSchema.GetPromptResult, McpClientError>
  /** spec server/utilities/completion */
  readonly complete: (params: McpSchema.CompleteRequestParams, options?: RequestOptions) => Effect.Effect<McpSchema.CompleteResult, McpClientError>
  /** spec server/utilities/logging "Setting Log Level" */
  readonly setLogLevel: (level: McpSchema.LoggingLevel, options?: RequestOptions) => Effect.Effect<void, McpClientError>
  /** Tells the server the roots changed (spec client/roots "Root List Changes"). */
  readonly sendRootsListChanged: Effect.Effect<void, McpClientError>
}

/**
 * Connects: starts reading the transport in the scope, then performs
 * `initialize` and sends `notifications/initialized` (spec basic/lifecycle
 * "Initialization"). Fails when the server answers an error or a protocol
 * revision this client does not support. Closing the scope stops the client;
 * requests still waiting fail with code -32000.
 */
export const make = (options: Options): Effect.Effect<McpClient, McpClientError, Scope.Scope> => makeClient(options)
