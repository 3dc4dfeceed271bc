/**
 * The server closed the connection while a request was still being sent
 * (EPIPE: a write to a closed connection). A server closes rather than reads
 * a body it will not take (over its limit), so this is that request's
 * refusal, as an HTTP 413 would be when it arrives first: a failure of that
 * request alone (-32000 with `data.closedWhileSending`), not of the
 * connection. Read the same way by `HttpClientTransport` and `HttpHop`.
 *
 * @internal
 */

/** Whether `error` is a write to a connection the server closed (its code, or its cause's as undici gives it). */
export const isBrokenPipe = (error: unknown): boolean => {
  for (let at: unknown = error, depth = 0; typeof at === "object" && at !== null && depth < 4; at = (at as { cause?: unknown }).cause, depth++) {
    if ((at as { code?: unknown }).code === "EPIPE") return true
  }
  return false
}

/** The message of such a failure, for `METHOD url` and a body of `characters`. */
export const message = (where: string, characters: number, error: unknown): string =>
  `${where}: the server closed the connection while the request (${characters} characters) was being sent (${
    error instanceof Error ? error.message : String(error)
  }); it may be larger than the server accepts`

/** The `data` such a failure carries. */
export const data = { closedWhileSending: true } as const
