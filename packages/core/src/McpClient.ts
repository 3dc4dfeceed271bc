/**
 * An MCP client in Effect, independent of the transport, speaking both
 * revisions:
 *
 * - 2025-11-25 (`protocolVersion: "2025-11-25"` or an older one): it performs the `initialize` handshake (spec
 *   2025-11-25 basic/lifecycle), and answers the server's own requests
 *   (`sampling/createMessage`, `elicitation/create`, `roots/list`, `ping`)
 *   with the handlers it was given;
 * - 2026-07-28 (`protocolVersion: "2026-07-28"`): no handshake; it calls
 *   `server/discover`, stamps every request's `_meta` with the protocol
 *   version, `clientInfo`, `clientCapabilities` and the log level (spec
 *   2026-07-28 basic/index "Per-request protocol fields"), answers
 *   `input_required` results with the same handlers and retries (spec
 *   2026-07-28 basic/patterns/mrtr), opens `subscriptions/listen` streams
 *   (`listen`, spec basic/patterns/subscriptions) and keeps cacheable results
 *   for their `ttlMs` (spec server/utilities/caching);
 * - `protocolVersion: "auto"` (the default): probes with `server/discover` and
 *   falls back to `initialize` when the server turns out to be a 2025-11-25
 *   one (spec 2026-07-28 basic/versioning "Backward Compatibility").
 *
 * In both it correlates requests and responses by id, sends progress tokens
 * and cancellations (spec basic/utilities/progress,
 * basic/utilities/cancellation) and publishes every server notification.
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
import { AUTO, ClientErrorCode, make as makeClient, McpClientError, notProcessed, TransportError } from "./internal/client.js"
import type * as JsonRpc from "./JsonRpc.js"
import type * as McpSchema from "./McpSchema.js"

export {
  /**
   * `protocolVersion: AUTO` ("auto"): probe the server with `server/discover`
   * and speak 2026-07-28 when it answers, 2025-11-25 otherwise (spec
   * 2026-07-28 basic/versioning "Backward Compatibility").
   */
  AUTO,
  /**
   * Codes of failures the client detects itself; they never travel on the wire.
   * They follow the reference TypeScript SDK (-32000 connection closed, -32001
   * request timeout); -32003 is a server result that does not match the spec;
   * -32004 is a 2026-07-28 request still asking for input after
   * `maxInputRounds` rounds (spec 2026-07-28 basic/patterns/mrtr).
   *
   * A transport that fails a request locally answers it with -32000; when the
   * failure is an HTTP status without a JSON-RPC error body, `data.httpStatus`
   * carries the status.
   */
  ClientErrorCode,
  /** A request failed: a JSON-RPC error from the server (code, message, data) or a `ClientErrorCode`. */
  McpClientError,
  /** A transport could not deliver or receive a message. */
  TransportError
}

/**
 * Whether the server is known never to have processed the failed request
 * (`data.processed` is `false`): the client had closed before sending it, the
 * transport could not send it, or the server refused its session before
 * reading it (HTTP 404, spec 2025-11-25 basic/transports "Session Management"
 * 4.). Such a request can be sent again on a new connection whatever it does;
 * a request lost any other way (a connection dropped while the server ran
 * it) may have taken effect.
 */
export { notProcessed }

/**
 * A way to exchange JSON-RPC messages with one server.
 *
 * Under 2026-07-28 a transport that cancels requests by other means (HTTP
 * closes the request's response stream, spec 2026-07-28
 * basic/patterns/cancellation "Transport-Specific Cancellation") turns the
 * `notifications/cancelled` the client sends into that.
 */
export interface ClientTransport {
  /** Sends one message to the server; fails only when the message was not delivered (see `notProcessed`). */
  readonly send: (message: JsonRpc.Message) => Effect.Effect<void, TransportError>
  /** Messages from the server; ends when the transport closes. */
  readonly incoming: Stream.Stream<JsonRpc.Message, TransportError>
}

/**
 * Answers to the server's requests: its JSON-RPC requests under 2025-11-25,
 * the `inputRequests` of an `input_required` result under 2026-07-28 (spec
 * 2026-07-28 basic/patterns/mrtr). A handler failing with `McpClientError`
 * answers that JSON-RPC error (for example code -1 "User rejected sampling
 * request", spec client/sampling "Error Handling"); a request with no handler
 * is answered -32601. Under 2026-07-28 there is no way to send an error for
 * an input, so a failing handler fails the request that asked for it, with
 * the handler's code and a message naming the input.
 */
/**
 * What a handler is told about the request besides its params: under
 * 2026-07-28, the key of the `inputRequests` entry it answers (a gateway
 * asks its own client under the same key).
 */
export interface HandlerRequest {
  readonly inputKey?: string
}

export interface Handlers {
  /** `sampling/createMessage` (spec client/sampling). */
  readonly sampling?: (params: McpSchema.CreateMessageRequestParams, request?: HandlerRequest) => Effect.Effect<McpSchema.CreateMessageResult, McpClientError>
  /** `elicitation/create`, form or URL mode (spec client/elicitation). */
  readonly elicitation?: (params: McpSchema.ElicitRequestParams, request?: HandlerRequest) => Effect.Effect<McpSchema.ElicitResult, McpClientError>
  /** `roots/list` (spec client/roots). */
  readonly roots?: (request?: HandlerRequest) => Effect.Effect<McpSchema.ListRootsResult, McpClientError>
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
  /**
   * The revision to speak:
   * - a 2025-11-25-era version (`McpSchema.LATEST_PROTOCOL_VERSION` and older):
   *   `initialize` with it;
   * - `"2026-07-28"` (`McpSchema.STATELESS_PROTOCOL_VERSION`): no handshake,
   *   `server/discover` then per-request `_meta`; fails when the server does
   *   not answer it;
   * - `"auto"` (`AUTO`, the default): probe with `server/discover` carrying 2026-07-28
   *   `_meta`; a `DiscoverResult` listing 2026-07-28 selects it, and any
   *   answer that is not a recognized 2026-07-28 error (-32601, -32602, an
   *   HTTP 400/404/405 without a 2026-07-28 error body, a -32022 whose
   *   `supported` lacks 2026-07-28, no answer within `probeTimeoutMillis`,
   *   a success that is no `DiscoverResult`) falls back to `initialize`
   *   (spec 2026-07-28 basic/versioning "Backward Compatibility",
   *   basic/transports/stdio and streamable-http "Backward Compatibility").
   *   A -32020 or -32021 answer fails: the server is a 2026-07-28 one
   *   refusing the request; so does another HTTP failure (401, 403, 5xx),
   *   which says nothing of the era.
   *
   * Only the connection's first exchanges differ. `TestClient` (in
   * `@emcee/testing`) defaults to 2025-11-25 instead.
   */
  readonly protocolVersion?: string
  readonly handlers?: Handlers
  /** Default timeout of every request; default 60 s (spec basic/lifecycle "Timeouts"). */
  readonly requestTimeoutMillis?: number
  /** `"auto"` only: how long the `server/discover` probe waits before taking the server for a 2025-11-25 one. Default 10 s. */
  readonly probeTimeoutMillis?: number
  /**
   * 2026-07-28: the log level sent in every request's `_meta` from the start
   * (spec 2026-07-28 server/utilities/logging "Per-request log level"); none
   * by default, so the server sends no log messages. `setLogLevel` changes it.
   */
  readonly logLevel?: McpSchema.LoggingLevel
  /**
   * 2026-07-28: how many `input_required` results one request may answer
   * before it fails with -32004 (spec 2026-07-28 basic/patterns/mrtr). Default 10.
   */
  readonly maxInputRounds?: number
  /**
   * Keep cacheable results (`tools/list`, `prompts/list`, `resources/list`,
   * `resources/templates/list`, `resources/read`) while their `ttlMs` says
   * they are fresh (spec 2026-07-28 server/utilities/caching). Default true.
   *
   * The cache lives in this client and is never shared with another one: a
   * client has one authorization context (its transport's credentials), so
   * `cacheScope: "private"` results are kept as `"public"` ones are. A gateway
   * serving several principals through one client must not rely on it for
   * private results; it turns it off or uses one client per principal.
   */
  readonly cache?: boolean
  /**
   * Called with each server notification on the client's reader fiber, in
   * order, before later messages (a response included) are handled: a
   * gateway passes a backend's log messages on to the request still in
   * flight. Keep it short; a failure is logged and ignored.
   */
  readonly onNotification?: (notification: JsonRpc.Notification) => Effect.Effect<void>
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
  /** Ask the server even when a fresh cached result exists (and cache the new one). */
  readonly bypassCache?: boolean
  /**
   * 2026-07-28: return an `input_required` result as it is instead of
   * answering its `inputRequests` and retrying (for a gateway that passes the
   * round trip on to its own client). Default false.
   */
  readonly returnInputRequired?: boolean
  /**
   * 2026-07-28: the `clientCapabilities` this request declares in its
   * `_meta` instead of the client's own (a gateway declares its caller's,
   * so the server asks only for what the caller can answer: spec 2026-07-28
   * basic/patterns/mrtr "Server Requirements"). Only capabilities the
   * client has handlers for can be answered.
   */
  readonly clientCapabilities?: McpSchema.ClientCapabilities
  /**
   * Entries added to the request's `_meta`, e.g. W3C trace context
   * (`traceparent`, `tracestate`: spec 2026-07-28 basic/index "OpenTelemetry
   * trace context") that a gateway carries across its hop.
   */
  readonly meta?: JsonRpc.JsonObject
}

/**
 * The notifications a `subscriptions/listen` stream opts in to (spec
 * 2026-07-28 basic/patterns/subscriptions "Notification Filter").
 */
export interface SubscriptionFilter {
  /** `notifications/tools/list_changed` */
  readonly toolsListChanged?: boolean
  /** `notifications/prompts/list_changed` */
  readonly promptsListChanged?: boolean
  /** `notifications/resources/list_changed` */
  readonly resourcesListChanged?: boolean
  /** `notifications/resources/updated` for these URIs. */
  readonly resourceSubscriptions?: ReadonlyArray<string>
}

/** An open subscription (see `McpClient.listen`). */
export interface Subscription {
  /**
   * The id of its `subscriptions/listen` request, which every notification
   * of it carries as `io.modelcontextprotocol/subscriptionId`; undefined
   * under 2025-11-25.
   */
  readonly id: JsonRpc.RequestId | undefined
  /** What the server agreed to send (`notifications/subscriptions/acknowledged`). */
  readonly acknowledged: SubscriptionFilter
  /**
   * The subscription's notifications, in order. Ends when the server closes
   * the subscription gracefully (its result, or `notifications/cancelled`)
   * or the scope closes; fails when the connection drops without that (the
   * caller may listen again: spec 2026-07-28 basic/patterns/subscriptions
   * "Graceful Closure"). Under 2025-11-25 it ends with the connection.
   */
  readonly notifications: Stream.Stream<JsonRpc.Notification, McpClientError>
}

/** Options of one list request: a page from `cursor`, or the first page. */
export interface ListOptions extends RequestOptions {
  readonly cursor?: string
}

/** A connected, initialized client. */
export interface McpClient {
  /**
   * `serverInfo` of the initialize result, or under 2026-07-28 the
   * `io.modelcontextprotocol/serverInfo` of the discover result (`name` and
   * `version` "unknown" when the server sent none).
   */
  readonly serverInfo: McpSchema.Implementation
  readonly serverCapabilities: McpSchema.ServerCapabilities
  /**
   * The revision in use: the negotiated one (spec basic/lifecycle "Version
   * Negotiation"), or "2026-07-28".
   */
  readonly protocolVersion: string
  readonly instructions: string | undefined
  /**
   * The whole initialize result, for anything not surfaced above; under
   * 2026-07-28, one built from the discover result (its version, capabilities,
   * serverInfo and instructions).
   */
  readonly initializeResult: McpSchema.InitializeResult
  /** The `server/discover` result under 2026-07-28 (spec 2026-07-28 server/discover); undefined under 2025-11-25. */
  readonly discoverResult: McpSchema.DiscoverResult | undefined

  /**
   * Sends a request and waits for its result. Interrupting the caller sends
   * `notifications/cancelled` (spec basic/utilities/cancellation). Under
   * 2026-07-28 the params get the per-request `_meta`, an `input_required`
   * result is answered and the request retried until it completes, and
   * cacheable methods are served from the cache while fresh.
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

  /**
   * spec basic/utilities/ping. 2026-07-28 has no `ping`: there it sends
   * `server/discover`, which every server answers.
   */
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
  /**
   * spec 2025-11-25 server/resources "Subscriptions". 2026-07-28 removed
   * `resources/subscribe`: there it fails with -32601; use `listen`.
   */
  readonly subscribe: (uri: string, options?: RequestOptions) => Effect.Effect<void, McpClientError>
  readonly unsubscribe: (uri: string, options?: RequestOptions) => Effect.Effect<void, McpClientError>
  /**
   * Opens a subscription for the life of the scope and waits for the
   * server's acknowledgment (spec 2026-07-28 basic/patterns/subscriptions):
   * a `subscriptions/listen` request whose notifications, told apart by
   * `io.modelcontextprotocol/subscriptionId`, make the subscription's
   * stream; over HTTP its response is an SSE stream that stays open.
   * Closing the scope cancels it (`notifications/cancelled`, or on HTTP
   * closing that stream).
   *
   * Under 2025-11-25 the same is built from the session: `resources/subscribe`
   * for each URI (and `resources/unsubscribe` when the scope closes), and the
   * session's notifications of the kinds the server's capabilities allow.
   */
  readonly listen: (filter: SubscriptionFilter) => Effect.Effect<Subscription, McpClientError, Scope.Scope>
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
  /**
   * spec 2025-11-25 server/utilities/logging "Setting Log Level". Under
   * 2026-07-28 it sends nothing: the level goes in the `_meta` of every later
   * request (spec 2026-07-28 server/utilities/logging "Per-request log level").
   */
  readonly setLogLevel: (level: McpSchema.LoggingLevel, options?: RequestOptions) => Effect.Effect<void, McpClientError>
  /**
   * Tells the server the roots changed (spec 2025-11-25 client/roots "Root
   * List Changes"). Under 2026-07-28, which asks for roots per request, it
   * sends nothing.
   */
  readonly sendRootsListChanged: Effect.Effect<void, McpClientError>
  /** Forgets every cached result (see `Options.cache`). */
  readonly clearCache: Effect.Effect<void>
}

/**
 * Connects: starts reading the transport in the scope, then performs
 * `initialize` and sends `notifications/initialized` (spec basic/lifecycle
 * "Initialization"), or under 2026-07-28 calls `server/discover` (see
 * `Options.protocolVersion`). Fails when the server answers an error or a
 * protocol revision this client does not support. Closing the scope stops
 * the client; requests still waiting fail with code -32000.
 */
export const make = (options: Options): Effect.Effect<McpClient, McpClientError, Scope.Scope> => makeClient(options)
