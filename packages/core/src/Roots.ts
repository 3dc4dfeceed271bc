/**
 * `roots/list` from inside a handler: the filesystem roots the client exposes
 * (spec 2025-11-25 client/roots). Fails with `ClientCapabilityMissing` when
 * the client did not declare `roots`.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { RequestOptions } from "./ClientSession.js"
import { clientRequest } from "./internal/clientRequest.js"
import type { ClientRequestError } from "./McpError.js"
import * as McpSchema from "./McpSchema.js"
import type { RequestContext } from "./RequestContext.js"

/** Lists the client's roots. */
export const list = (
  options?: Pick<RequestOptions, "timeoutMillis" | "inputKey">
): Effect.Effect<McpSchema.ListRootsResult, ClientRequestError, RequestContext> =>
  clientRequest("roots/list", "roots", (c) => c.roots !== undefined, {}, McpSchema.ListRootsResult, options)
