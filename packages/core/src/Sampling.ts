/**
 * `sampling/createMessage` from inside a handler: ask the client's model for
 * a completion (spec 2025-11-25 client/sampling). Fails with
 * `ClientCapabilityMissing` when the client did not declare `sampling`.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { RequestOptions } from "./ClientSession.js"
import { clientRequest } from "./internal/clientRequest.js"
import type { ClientRequestError } from "./McpError.js"
import * as McpSchema from "./McpSchema.js"
import type { RequestContext } from "./RequestContext.js"

/** Asks the client to sample an LLM completion. */
export const createMessage = (
  params: McpSchema.CreateMessageRequestParams,
  options?: Pick<RequestOptions, "timeoutMillis" | "inputKey">
): Effect.Effect<McpSchema.CreateMessageResult, ClientRequestError, RequestContext> =>
  clientRequest(
    "sampling/createMessage",
    "sampling",
    (c) => c.sampling !== undefined && (params.tools === undefined || c.sampling.tools !== undefined),
    params as unknown as { readonly [key: string]: unknown },
    McpSchema.CreateMessageResult,
    options
  )
