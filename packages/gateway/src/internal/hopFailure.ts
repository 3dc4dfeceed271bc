/**
 * Which errors of a forwarded request are failures of the hop to the
 * backend — what opens its circuit breaker, and (the connection closed)
 * what makes the gateway reconnect it — and which are the backend's answer.
 *
 * The client reports a lost connection and an HTTP error status alike as
 * `ConnectionClosed` (-32000); the latter carries `data.httpStatus`
 * (HttpClientTransport), and a connection the backend closed while the
 * request was being sent (what servers do with a body over their limit,
 * when that beats their 413 to the client) `data.closedWhileSending`.
 * Both are the backend refusing that one request — 413 for arguments over
 * its body limit, 401/403 — while it is up: neither a reason to reconnect,
 * which would fail every other caller's request in flight on the
 * connection, nor to open the breaker, which would let one caller's
 * oversized arguments take the backend away from everyone. A 5xx (a proxy
 * in front of a backend that is down) still is.
 *
 * @internal
 */
import { McpClient } from "@emcee/core"

/** The backend refused this request (a 4xx status, or the connection closed while sending it): it is up, and refused only this request. */
const refusedByBackend = (error: McpClient.McpClientError): boolean => {
  const data = error.data
  if (typeof data !== "object" || data === null) return false
  const { closedWhileSending, httpStatus } = data as { readonly httpStatus?: unknown; readonly closedWhileSending?: unknown }
  return closedWhileSending === true || (typeof httpStatus === "number" && httpStatus >= 400 && httpStatus < 500)
}

/** Whether the connection to the backend is lost (the gateway reconnects it). */
export const connectionLost = (error: McpClient.McpClientError): boolean =>
  error.code === McpClient.ClientErrorCode.ConnectionClosed && !refusedByBackend(error)

/** Whether the error is a failure of the hop, which the circuit breaker counts (a lost connection, a timeout). */
export const isHopFailure = (error: McpClient.McpClientError): boolean =>
  connectionLost(error) || error.code === McpClient.ClientErrorCode.RequestTimeout
