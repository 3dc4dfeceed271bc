/**
 * The server's view of one connected client: what it declared at
 * `initialize`, its log level and subscriptions, and the way back to it.
 *
 * Under the stateful 2025-11-25 revision one session lives as long as the
 * connection (stdio, WebSocket) or the `Mcp-Session-Id` (Streamable HTTP).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { JsonObject, RequestId } from "./JsonRpc.js"
import type { ClientRequestError } from "./McpError.js"
import type * as McpSchema from "./McpSchema.js"

/** Options of a server-to-client request. */
export interface RequestOptions {
  /** How long to wait for the answer; the default is the server's `clientRequestTimeout`. */
  readonly timeoutMillis?: number
  /** The client request this one serves, so HTTP transports send it on that request's stream. */
  readonly relatedRequestId?: RequestId
  /**
   * Under 2026-07-28, the key of this ask in the `inputRequests` of the
   * `input_required` result and in the client's `inputResponses` (spec
   * 2026-07-28 basic/patterns/mrtr "InputRequests"). Unique within the
   * request; by default the asks of a handler are keyed by their order
   * (`input-1`, `input-2`, …), which is stable as long as the handler asks in
   * the same order on every round.
   */
  readonly inputKey?: string
}

/** A connected client. */
export interface ClientSession {
  /** The transport's session id (`Mcp-Session-Id`), if it has one. */
  readonly sessionId: string | undefined
  /** The negotiated protocol revision (spec basic/lifecycle "Version Negotiation"). */
  readonly protocolVersion: string
  readonly clientInfo: McpSchema.Implementation | undefined
  readonly clientCapabilities: McpSchema.ClientCapabilities
  /** Set by `logging/setLevel`; undefined until then (every level is sent). */
  readonly logLevel: McpSchema.LoggingLevel | undefined
  /** URIs this client subscribed to with `resources/subscribe`. */
  readonly subscriptions: ReadonlySet<string>
  /** True once `notifications/initialized` arrived. */
  readonly initialized: boolean
  /** Sends a notification to this client. */
  readonly notify: (method: string, params?: JsonObject, relatedRequestId?: RequestId) => Effect.Effect<void>
  /** Sends a request to this client and waits for its result. */
  readonly request: (method: string, params: JsonObject, options?: RequestOptions) => Effect.Effect<JsonObject, ClientRequestError>
}
