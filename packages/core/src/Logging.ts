/**
 * Log messages to the client (spec 2025-11-25 server/utilities/logging):
 * `notifications/message`, filtered by the level the client set with
 * `logging/setLevel`, or under 2026-07-28 by the request's own
 * `io.modelcontextprotocol/logLevel` (none sent when it set none).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { isStateless } from "./McpSchema.js"
import type * as McpSchema from "./McpSchema.js"
import { RequestContext } from "./RequestContext.js"

/** Syslog severities in rising order (RFC 5424 §6.2.1), as MCP names them. */
export const levels: ReadonlyArray<McpSchema.LoggingLevel> = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency"
]

const rank = new Map(levels.map((level, i) => [level, i]))

/** True when a message at `level` passes a client's minimum level. */
export const passes = (level: McpSchema.LoggingLevel, minimum: McpSchema.LoggingLevel | undefined): boolean =>
  minimum === undefined || (rank.get(level) ?? 0) >= (rank.get(minimum) ?? 0)

/** True for a valid level name. */
export const isLevel = (u: unknown): u is McpSchema.LoggingLevel => typeof u === "string" && rank.has(u as McpSchema.LoggingLevel)

/**
 * Sends a log message to the client whose request is being served, if its
 * level passes the client's minimum. `data` is any JSON value.
 */
export const log = (
  level: McpSchema.LoggingLevel,
  data: unknown,
  logger?: string
): Effect.Effect<void, never, RequestContext> =>
  Effect.flatMap(RequestContext, ({ requestId, session }) =>
    // spec 2026-07-28 server/utilities/logging: no `notifications/message` for a request that set no level.
    (session.logLevel === undefined && isStateless(session.protocolVersion) ? false : passes(level, session.logLevel))
      ? session.notify("notifications/message", logger === undefined ? { level, data } : { level, logger, data }, requestId)
      : Effect.void)
