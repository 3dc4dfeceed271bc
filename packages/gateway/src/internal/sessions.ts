/**
 * The rules of the gateway's upstream sessions: when a forwarded request
 * failed because its connection was lost, whether it may be sent again on
 * a new one, and which caller a per-principal session belongs to.
 *
 * - **Lost.** A request that failed with the client's "connection closed"
 *   (-32000) and no HTTP status got no answer: the connection dropped, the
 *   backend's process exited, or under 2025-11-25 the backend answered 404
 *   for the session, which the client transport turns into the end of the
 *   connection (spec 2025-11-25 basic/transports "Session Management" 4.:
 *   the client MUST start a new session). An HTTP error status (500, 403…)
 *   is an answer, not a loss.
 * - **Never read.** The request the 404 answered, and a request made after
 *   the client closed, never reached the backend (`McpClient.notProcessed`):
 *   it goes again on the new session whatever it does.
 * - **Safe to replay.** The backend may have acted on any other lost
 *   request before the connection went. Reads, gets, completions and pings change
 *   nothing; `tools/call` is replayed only when the tool says so in its
 *   annotations, `readOnlyHint: true` or `idempotentHint: true` (spec
 *   2025-11-25 schema `ToolAnnotations`: "calling the tool repeatedly with
 *   the same arguments will have no additional effect"). Annotations are
 *   hints from the backend, which is trusted as the gateway's operator
 *   configured it.
 * - **Principal.** The key of the caller's `Principal` (issuer, tenant,
 *   subject), or undefined for an anonymous caller.
 *
 * @internal
 */
import { Principal } from "@emcee/auth"
import { McpClient, type McpSchema, type RequestContext } from "@emcee/core"
import { Duration, type Context } from "effect"
import * as HopFailure from "./hopFailure.js"

/** The HTTP status a transport failure carries, if any. */
const httpStatusOf = (error: McpClient.McpClientError): unknown =>
  typeof error.data === "object" && error.data !== null ? (error.data as { readonly httpStatus?: unknown }).httpStatus : undefined

/**
 * Whether `error` says the connection was lost before the request's answer
 * came (see the module comment): lost (`HopFailure.connectionLost`), with no
 * HTTP status (a 5xx is an answer, if a failed one).
 */
export const isLost = (error: McpClient.McpClientError): boolean => HopFailure.connectionLost(error) && httpStatusOf(error) === undefined

/** Whether a call of `tool` may be sent again after its connection was lost (spec 2025-11-25 schema `ToolAnnotations`). */
export const isReplaySafe = (tool: McpSchema.Tool): boolean =>
  tool.annotations?.readOnlyHint === true || tool.annotations?.idempotentHint === true

/** The per-principal session key of the request's caller; undefined when anonymous. */
export const principalKey = (caller: Context.Context<RequestContext.RequestContext>): string | undefined => {
  const identity = Principal.fromContext(caller as Context.Context<never>)
  return identity._tag === "Some" ? Principal.key(identity.value) : undefined
}

/** The error of a lost request that is not sent again, saying why. */
export const notReplayed = (error: McpClient.McpClientError): McpClient.McpClientError =>
  new McpClient.McpClientError({
    code: error.code,
    message: `${error.message}; the request was not sent again because it may have taken effect (the tool is not marked readOnlyHint or idempotentHint)`,
    ...(error.data === undefined ? {} : { data: error.data })
  })

/** The error of a lost request whose backend did not come back in time. */
export const notBack = (error: McpClient.McpClientError, waitedMillis: number): McpClient.McpClientError =>
  new McpClient.McpClientError({
    code: error.code,
    message: `${error.message}; no new session could be opened within ${Duration.format(Duration.millis(Math.max(0, Math.round(waitedMillis))))}`,
    ...(error.data === undefined ? {} : { data: error.data })
  })
