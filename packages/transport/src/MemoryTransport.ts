/**
 * The in-memory transport: a client and the app's `McpServer` in one process,
 * joined without sockets or pipes. Each message is, by default, sent through
 * `JSON.stringify`/`JSON.parse` like a wire would, so a value that would not
 * survive serialization (a `Date`, `undefined`, a class instance) fails the
 * same way it would over stdio or HTTP.
 *
 * Requests from the client run concurrently, as on a real connection;
 * notifications and responses are handled in the order they were sent
 * (cancellation and `notifications/initialized` must not overtake earlier
 * messages).
 *
 * @example
 * import { Effect } from "effect"
 * import { McpClient } from "@emcee/core"
 * import { MemoryTransport } from "@emcee/transport"
 *
 * const client = Effect.gen(function*() {
 *   const transport = yield* MemoryTransport.make()
 *   return yield* McpClient.make({ transport, clientInfo: { name: "test", version: "1.0.0" } })
 * })
 *
 * @since 0.1.0
 */
import type { JsonRpc } from "@emcee/core"
import { McpClient, McpServer } from "@emcee/core"
import { type Context, Effect, FiberSet, Queue, type Scope, Stream } from "effect"

/** Options of the in-memory transport. */
export interface Options {
  /** JSON round-trip every message in both directions, like a wire. Default true. */
  readonly serialize?: boolean
  /** Services every request of the session sees (an authenticated caller's `Principal`). */
  readonly context?: Context.Context<never>
}

const roundTrip = <A>(value: A): A => JSON.parse(JSON.stringify(value)) as A

/**
 * Connects a new client session to the `McpServer` for the life of the
 * scope. Closing the scope ends the session (cancelling its requests) and
 * ends the client's `incoming` stream.
 */
export const make = (
  options: Options = {}
): Effect.Effect<McpClient.ClientTransport, never, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const copy: <A>(value: A) => A = (options.serialize ?? true) ? roundTrip : (value) => value
    const toClient = yield* Queue.unbounded<JsonRpc.Message>()
    // Finalizers run in reverse: the session ends (and says so) before the stream ends.
    yield* Effect.addFinalizer(() => Queue.shutdown(toClient))
    const connection = yield* server.connect({
      send: (message) => Effect.asVoid(Queue.offer(toClient, copy(message))),
      ...(options.context === undefined ? {} : { context: options.context })
    })
    const requests = yield* FiberSet.make()

    const deliver = (response: JsonRpc.Response | undefined) =>
      response === undefined ? Effect.void : Effect.asVoid(Queue.offer(toClient, copy(response)))

    const send = (message: JsonRpc.Message): Effect.Effect<void, McpClient.TransportError> =>
      Effect.suspend(() => {
        const value: unknown = copy(message)
        // A request waits for its handler, so it runs on its own fiber; everything else is handled in order.
        return "id" in message && "method" in message
          ? Effect.asVoid(FiberSet.run(requests, Effect.interruptible(Effect.flatMap(connection.handle(value), deliver))))
          : Effect.flatMap(connection.handle(value), deliver)
      })

    return { send, incoming: Stream.fromQueue(toClient) } satisfies McpClient.ClientTransport
  })
