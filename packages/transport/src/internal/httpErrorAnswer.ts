/**
 * How a client reads an HTTP error status answering a 2026-07-28 request
 * (spec 2026-07-28 basic/transports/streamable-http "Backward
 * Compatibility"): a JSON-RPC error body (400 for -32022, -32021, -32020,
 * -32602; 404 for -32601) is the server's answer to the request. Anything
 * else is the transport's failure, with the status; so is a code of the
 * legacy range -32000..-32019, which carries no meaning a receiver may rely
 * on (spec 2026-07-28 basic/index "Error Codes") and is what 2025-11-25
 * servers and HTTP guards answer with (400 "Server not initialized", 403
 * "Forbidden"). Shared by `HttpClientTransport` and `HttpHop`.
 *
 * @internal
 */
import { JsonRpc } from "@emcee/core"

/** The JSON-RPC error `text` carries for request `id` (or for no id), when it is the server's answer. */
export const errorOf = (text: string, id: JsonRpc.RequestId): JsonRpc.ErrorObject | undefined => {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return undefined
  }
  const classified = JsonRpc.classify(body)
  if (classified._tag !== "Response" || !("error" in classified.message)) return undefined
  const { error, id: answered } = classified.message
  if ((answered ?? id) !== id || (error.code <= -32000 && error.code >= -32019)) return undefined
  return error
}

/** The message of an HTTP error that is the transport's failure: the status and the start of the body. */
export const failureText = (where: string, status: number, text: string): string =>
  `${where} failed: HTTP ${status}${text === "" ? "" : `: ${text.slice(0, 500)}`}`
