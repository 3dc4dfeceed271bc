import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Schema } from "effect"

/**
 * A server could not bind its address (the port is taken, the address does
 * not exist here, no permission). `message` is one line:
 * `cannot listen on 127.0.0.1:3000: address already in use (EADDRINUSE)`.
 */
export class ListenError extends Schema.TaggedError<ListenError>("@emcee/transport/ListenError")("ListenError", {
  /** The interface the server tried to bind. */
  host: Schema.String,
  /** The port it tried to bind (0: any free one). */
  port: Schema.Number,
  /** What went wrong, e.g. `address already in use (EADDRINUSE)`. */
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot listen on ${urlHost(this.host)}:${this.port}: ${this.reason}`
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available on this machine",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed"
}

/** The one-line reason of a failed `listen`: a known code in words, else the error's own first line. */
const reasonOf = (error: Error): string => {
  const code = (error as NodeJS.ErrnoException).code
  const known = code === undefined ? undefined : REASONS[code]
  if (known !== undefined) return `${known} (${code})`
  const first = error.message.split("\n")[0] ?? ""
  return first === "" ? (code ?? "unknown error") : first
}

/** Listens on `host:port` (0 = any free port) and yields the bound port; a failure to bind is a `ListenError`. */
export const listen = (server: Server, host: string, port: number | undefined): Effect.Effect<number, ListenError> =>
  Effect.async<number, ListenError>((resume) => {
    const onError = (error: Error) => resume(Effect.fail(new ListenError({ host, port: port ?? 0, reason: reasonOf(error) })))
    server.once("error", onError)
    try {
      server.listen(port ?? 0, host, () => {
        server.off("error", onError)
        resume(Effect.succeed((server.address() as AddressInfo).port))
      })
    } catch (error) {
      // Synchronous failures (e.g. a port out of range: ERR_SOCKET_BAD_PORT).
      server.off("error", onError)
      resume(Effect.fail(new ListenError({ host, port: port ?? 0, reason: reasonOf(error instanceof Error ? error : new Error(String(error))) })))
    }
  })

/**
 * Shuts a server down once however often it is called: `first` (the
 * handler's graceful close: drain, then end streams), then stop listening
 * and drop the remaining connections.
 */
export const closeOnce = (server: Server, first: Effect.Effect<void>): Effect.Effect<void> =>
  Effect.zipRight(
    first,
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
      server.closeAllConnections()
    })
  ).pipe(Effect.cached, Effect.runSync)

/** `host` as it appears in a URL (IPv6 in brackets). */
export const urlHost = (host: string): string => (host.includes(":") ? `[${host}]` : host)
