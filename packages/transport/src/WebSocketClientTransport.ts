/**
 * The client side of MCP over WebSocket (see `WebSocketTransport`), as a
 * `McpClient.ClientTransport`: one JSON-RPC message per text frame,
 * subprotocol `mcp`.
 *
 * @example
 * import { Effect } from "effect"
 * import { McpClient } from "@emcee/core"
 * import { WebSocketClientTransport } from "@emcee/transport"
 *
 * const program = Effect.gen(function*() {
 *   const transport = yield* WebSocketClientTransport.make("ws://127.0.0.1:3001/mcp")
 *   const client = yield* McpClient.make({ transport, clientInfo: { name: "demo", version: "1.0.0" } })
 *   return yield* client.callTool("echo", { text: "hi" })
 * }).pipe(Effect.scoped)
 *
 * @since 0.1.0
 */
import { JsonRpc, McpClient } from "@emcee/core"
import { Effect, Exit, Mailbox, type Scope } from "effect"
import { WebSocket } from "ws"

/** Options of `make`. */
export interface Options {
  /** Extra headers on the upgrade request (for example `Authorization` or `Origin`). */
  readonly headers?: Readonly<Record<string, string>>
  /** Subprotocols offered; default `["mcp"]`. */
  readonly protocols?: ReadonlyArray<string>
  /** Largest frame accepted from the server. Default 64 MiB. */
  readonly maxPayloadBytes?: number
  /** Time to open the connection. Default 10 seconds. */
  readonly connectTimeoutMillis?: number
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Opens the connection (failing with `TransportError` when it cannot) and
 * keeps it for the life of the scope; closing the scope closes it with 1000.
 * `incoming` ends when the server closes normally (1000, 1001) and fails with
 * the close code otherwise.
 */
export const make = (url: string | URL, options: Options = {}): Effect.Effect<McpClient.ClientTransport, McpClient.TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const mailbox = yield* Mailbox.make<JsonRpc.Message, McpClient.TransportError>()
    const ws = yield* Effect.acquireRelease(
      Effect.async<WebSocket, McpClient.TransportError>((resume) => {
        const socket = new WebSocket(url, [...(options.protocols ?? ["mcp"])], {
          ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
          maxPayload: options.maxPayloadBytes ?? 64 * 1024 * 1024,
          handshakeTimeout: options.connectTimeoutMillis ?? 10_000,
          perMessageDeflate: false
        })
        const onError = (error: Error) => {
          socket.off("open", onOpen)
          resume(Effect.fail(new McpClient.TransportError({ message: `WebSocket connection to ${String(url)} failed: ${describe(error)}` })))
        }
        const onOpen = () => {
          socket.off("error", onError)
          resume(Effect.succeed(socket))
        }
        socket.once("error", onError)
        socket.once("open", onOpen)
        socket.on("message", (data, binary) => {
          if (binary) return
          const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8")
          const parsed = JsonRpc.parse(text)
          if (!parsed.ok) return
          const classified = JsonRpc.classify(parsed.value)
          if (classified._tag !== "Invalid") mailbox.unsafeOffer(classified.message)
        })
        socket.on("close", (code, reason) => {
          if (code === 1000 || code === 1001 || code === 1005) mailbox.unsafeDone(Exit.void)
          else {
            const why = reason.length > 0 ? `: ${reason.toString("utf8")}` : ""
            mailbox.unsafeDone(Exit.fail(new McpClient.TransportError({ message: `The WebSocket closed with code ${code}${why}` })))
          }
        })
        return Effect.sync(() => socket.terminate())
      }),
      (socket) =>
        Effect.async<void>((resume) => {
          if (socket.readyState === socket.CLOSED) return resume(Effect.void)
          const timer = setTimeout(() => {
            socket.terminate()
            resume(Effect.void)
          }, 2_000)
          socket.once("close", () => {
            clearTimeout(timer)
            resume(Effect.void)
          })
          socket.close(1000)
        }).pipe(Effect.zipRight(mailbox.end))
    )
    // After open, errors are followed by close, which ends `incoming`.
    ws.on("error", () => {})

    const send = (message: JsonRpc.Message): Effect.Effect<void, McpClient.TransportError> =>
      Effect.async<void, McpClient.TransportError>((resume) => {
        if (ws.readyState !== ws.OPEN) {
          return resume(Effect.fail(new McpClient.TransportError({ message: "The WebSocket is not open" })))
        }
        ws.send(JSON.stringify(message), (error) =>
          resume(error === undefined || error === null ? Effect.void : Effect.fail(new McpClient.TransportError({ message: `WebSocket send failed: ${describe(error)}` }))))
      })

    return { send, incoming: Mailbox.toStream(mailbox) } satisfies McpClient.ClientTransport
  })
