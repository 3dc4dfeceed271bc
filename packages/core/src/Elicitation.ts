/**
 * `elicitation/create` from inside a handler: ask the user for input
 * (spec 2025-11-25 client/elicitation), in form mode (a flat JSON Schema the
 * client renders) or URL mode (the user completes an interaction out of band).
 *
 * A client that declared `elicitation: {}` supports form mode only; URL mode
 * needs `elicitation.url` (spec client/elicitation "Capabilities").
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { RequestOptions } from "./ClientSession.js"
import { clientRequest } from "./internal/clientRequest.js"
import type { ClientRequestError } from "./McpError.js"
import * as McpSchema from "./McpSchema.js"
import type { RequestContext } from "./RequestContext.js"

const supportsForm = (c: McpSchema.ClientCapabilities): boolean => {
  const e = c.elicitation as { readonly form?: unknown; readonly url?: unknown } | undefined
  if (e === undefined) return false
  return e.form !== undefined || e.url === undefined
}

const supportsUrl = (c: McpSchema.ClientCapabilities): boolean => {
  const e = c.elicitation as { readonly url?: unknown } | undefined
  return e !== undefined && e.url !== undefined
}

/** Asks the user to fill in a form described by `requestedSchema`. */
export const form = (
  message: string,
  requestedSchema: McpSchema.ElicitRequestFormParams["requestedSchema"],
  options?: Pick<RequestOptions, "timeoutMillis">
): Effect.Effect<McpSchema.ElicitResult, ClientRequestError, RequestContext> =>
  clientRequest(
    "elicitation/create",
    "elicitation.form",
    supportsForm,
    { mode: "form", message, requestedSchema },
    McpSchema.ElicitResult,
    options
  )

/** Asks the user to visit `url` (for example to authorize a third party) and says when they have. */
export const url = (
  params: { readonly message: string; readonly url: string; readonly elicitationId: string },
  options?: Pick<RequestOptions, "timeoutMillis">
): Effect.Effect<McpSchema.ElicitResult, ClientRequestError, RequestContext> =>
  clientRequest(
    "elicitation/create",
    "elicitation.url",
    supportsUrl,
    { mode: "url", ...params },
    McpSchema.ElicitResult,
    options
  )
