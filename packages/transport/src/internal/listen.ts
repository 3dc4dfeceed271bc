import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

/** Listens on `host:port` (0 = any free port) and yields the bound port; a failure to bind is a defect naming the transport. */
export const listen = (server: Server, transport: string, host: string, port: number | undefined): Effect.Effect<number> =>
  Effect.async<number>((resume) => {
    const onError = (error: Error) => resume(Effect.dieMessage(`${transport}: cannot listen on ${host}:${port ?? 0}: ${error.message}`))
    server.once("error", onError)
    server.listen(port ?? 0, host, () => {
      server.off("error", onError)
      resume(Effect.succeed((server.address() as AddressInfo).port))
    })
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
