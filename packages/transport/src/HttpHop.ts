/**
 * One 2026-07-28 request over Streamable HTTP at the least cost, for
 * proxies that forward requests they already hold as JSON: a gateway's hop
 * to its backend. Where `HttpClientTransport` feeds a full `McpClient`
 * (sessions, server streams, resumption), a hop POSTs one request on a
 * kept-alive `node:http` connection and returns the response's `result` as
 * it came, undecoded:
 *
 * - headers as spec 2026-07-28 basic/transports/streamable-http "Request
 *   Metadata" says: `MCP-Protocol-Version` from the request's `_meta`,
 *   `Mcp-Method`, and `Mcp-Name` for `tools/call`, `prompts/get` and
 *   `resources/read` ("Value Encoding" applied); no `Mcp-Session-Id`;
 * - a JSON body or an SSE stream answers it ("Sending Messages to the
 *   Server"): the stream's notifications (progress, log messages) go to
 *   `onNotification` in order, before the result;
 * - an HTTP error carrying a JSON-RPC error is that error; any other failure
 *   is `-32000` with `data.httpStatus` (`data.closedWhileSending` when the
 *   server closed the connection on a body it would not take), as
 *   `HttpClientTransport` reads it
 *   ("Backward Compatibility"; the legacy range -32000..-32019 carries no
 *   meaning, spec 2026-07-28 basic/index "Error Codes");
 * - interrupting the request closes its connection, which cancels it
 *   (spec 2026-07-28 basic/patterns/cancellation "Transport-Specific
 *   Cancellation"); past `timeoutMillis` it fails with `RequestTimeout`;
 * - a body or an event larger than `maxResponseBytes` fails the request
 *   with `InvalidResult` (-32003, `data.maxMessageBytes`; the connection
 *   is dropped) rather than filling memory.
 *
 * The request must already carry its `_meta` (protocol version, client
 * information and capabilities: spec 2026-07-28 basic/index "Request
 * Metadata"). Multi-round requests (`input_required`) and `x-mcp-header`
 * parameters are the caller's to handle, with `McpClient`.
 *
 * @example
 * import { Effect } from "effect"
 * import { HttpHop } from "@emcee/transport"
 *
 * const program = Effect.gen(function*() {
 *   const hop = yield* HttpHop.make({ url: "http://127.0.0.1:3000/mcp" })
 *   return yield* hop.send({
 *     message: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "hi" }, _meta: stamped } }
 *   })
 * }).pipe(Effect.scoped)
 *
 * @since 0.4.0
 */
import { JsonRpc, McpClient, McpSchema } from "@emcee/core"
import * as http from "node:http"
import * as https from "node:https"
import { Effect, type Scope } from "effect"
import { DEFAULT_MAX_MESSAGE_BYTES } from "./HttpClientTransport.js"
import * as ClosedWhileSending from "./internal/closedWhileSending.js"
import * as HttpErrorAnswer from "./internal/httpErrorAnswer.js"
import * as RequestHeaders from "./internal/requestHeaders.js"
import * as SseParser from "./internal/sseParser.js"

/** Options of `make`. */
export interface Options {
  /** The MCP endpoint. */
  readonly url: string
  /** Sent with every request (the backend's own `authorization`, say). */
  readonly headers?: Readonly<Record<string, string>>
  /** The largest JSON body or SSE event accepted; default 16 MiB. */
  readonly maxResponseBytes?: number
  /** Connections kept open to the endpoint at most; default 256. */
  readonly maxSockets?: number
}

/** One request to send. */
export interface Request {
  /** The JSON-RPC request, its `_meta` stamped for 2026-07-28. */
  readonly message: JsonRpc.Request
  /** Fails with `RequestTimeout` (-32001) when the answer takes longer. */
  readonly timeoutMillis?: number | undefined
  /** Headers of this request only (an `authorization` refreshed since `make`, say). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Each notification the response stream carries before the result, in order. */
  readonly onNotification?: ((notification: JsonRpc.Notification) => Effect.Effect<void>) | undefined
}

/** A hop to one endpoint. */
export interface HttpHop {
  /** The request's `result`, or its JSON-RPC error (or the hop's failure) as a `McpClientError`. */
  readonly send: (request: Request) => Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError>
}

const TRANSPORT_ERROR = McpClient.ClientErrorCode.ConnectionClosed

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

const failure = (code: number, message: string, data?: unknown) =>
  new McpClient.McpClientError({ code, message, ...(data === undefined ? {} : { data }) })

/** A JSON-RPC response's outcome: its result, or its error. */
const outcome = (response: Record<string, unknown>): Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError> => {
  if (isObject(response.result)) return Effect.succeed(response.result as JsonRpc.JsonObject)
  const error = response.error
  if (isObject(error) && typeof error.code === "number" && typeof error.message === "string") {
    return Effect.fail(failure(error.code, error.message, error.data))
  }
  return Effect.fail(failure(McpClient.ClientErrorCode.InvalidResult, "The response is neither a result nor an error"))
}

/** Opens a hop to `options.url` for the life of the scope (its idle connections close with it). */
export const make = (options: Options): Effect.Effect<HttpHop, never, Scope.Scope> =>
  Effect.gen(function*() {
    const url = new URL(options.url)
    const secure = url.protocol === "https:"
    const agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 })
      : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 })
    yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
    const requestOf = secure ? https.request : http.request
    const target = {
      protocol: url.protocol,
      hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: "POST",
      agent
    }
    const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    const where = `POST ${url.href}`
    // An answer too large is the answer's fault, not the connection's (as `HttpClientTransport` reports it).
    const tooLarge = (message: string) => failure(McpClient.ClientErrorCode.InvalidResult, message, { maxMessageBytes: maxBytes })

    const parseJson = (text: string): unknown => {
      try {
        return JSON.parse(text)
      } catch {
        return undefined
      }
    }

    // One request's exchange, in callbacks: a JSON answer is read and decided without leaving them (the
    // common case, and a gateway's hot path); an SSE answer goes on in `readStream`.
    const send = (request: Request): Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError> =>
      Effect.async<JsonRpc.JsonObject, McpClient.McpClientError>((resume) => {
        const message = request.message
        const body = JSON.stringify(message)
        const meta = message.params?._meta
        const version = isObject(meta) ? meta[McpSchema.MetaKey.protocolVersion] : undefined
        // `options.headers`, the request's own, then the request's metadata over them.
        const { headers } = RequestHeaders.metadata<Record<string, string | number>>(
          message,
          typeof version === "string" ? version : undefined,
          { ...options.headers, ...request.headers }
        )
        headers["content-length"] = Buffer.byteLength(body)

        const millis = request.timeoutMillis
        let timer: ReturnType<typeof setTimeout> | undefined
        let timedOut = false
        // The response was read to its end: the connection goes back to the pool.
        let complete = false
        let settled = false
        const lost = (error: unknown) =>
          timedOut
            ? failure(McpClient.ClientErrorCode.RequestTimeout, `${message.method} got no response within ${millis} ms`, { timeout: millis })
            : ClosedWhileSending.isBrokenPipe(error)
            // The backend refused this request's body, not the connection (as `HttpClientTransport` reads it).
            ? failure(TRANSPORT_ERROR, ClosedWhileSending.message(where, body.length, error), ClosedWhileSending.data)
            : failure(TRANSPORT_ERROR, `${where} failed: ${error instanceof Error ? error.message : String(error)}`)
        // Done or not, a request still open is closed: over HTTP that is its cancellation.
        const finish = () => {
          if (timer !== undefined) clearTimeout(timer)
          if (!complete) sent.destroy()
        }
        const settle = (effect: Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError>) => {
          if (settled) return
          settled = true
          finish()
          resume(effect)
        }

        const sent = requestOf({ ...target, headers })
        sent.on("error", (error) => settle(Effect.fail(lost(error))))
        sent.once("response", (response) => {
          const status = response.statusCode ?? 502
          const contentType = response.headers["content-type"] ?? ""
          if (status >= 200 && status < 300 && contentType.startsWith("text/event-stream")) {
            settled = true
            return resume(Effect.ensuring(readStream(request, response, lost, () => (complete = true)), Effect.sync(finish)))
          }
          // A whole body, at most `maxBytes`.
          const chunks: Array<Buffer> = []
          let size = 0
          response.on("data", (chunk: Buffer) => {
            size += chunk.length
            if (size > maxBytes) return settle(Effect.fail(tooLarge(`${where}: the response is larger than ${maxBytes} bytes`)))
            chunks.push(chunk)
          })
          response.once("end", () => {
            complete = true
            if (settled) return
            const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString("utf8")
            settle(answer(message, status, contentType, text))
          })
          response.once("error", (error) => settle(Effect.fail(lost(error))))
          // After "end" too: the error is built only when it is the answer.
          response.once("close", () => {
            if (!settled) settle(Effect.fail(lost(new Error("the connection closed before the response ended"))))
          })
        })
        if (millis !== undefined) {
          timer = setTimeout(() => {
            timedOut = true
            sent.destroy(new Error("timeout"))
          }, millis)
        }
        // Written once the connection is assigned, the head and the body leave in one write; written before,
        // node:http queues them and flushes them as separate chunks.
        sent.once("socket", () => sent.end(body))
        // Interrupted: the request is closed.
        return Effect.sync(() => {
          settled = true
          finish()
        })
      })

    /** What a whole (non-stream) response says: the request's result, or its failure. */
    const answer = (message: JsonRpc.Request, status: number, contentType: string, text: string): Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError> => {
      if (status >= 200 && status < 300) {
        const classified = JsonRpc.classify(parseJson(text))
        if (!contentType.includes("application/json")) {
          return Effect.fail(failure(McpClient.ClientErrorCode.InvalidResult, `${where}: unexpected content type "${contentType}"`))
        }
        if (classified._tag !== "Response" || (classified.message.id !== message.id && classified.message.id !== null)) {
          return Effect.fail(failure(McpClient.ClientErrorCode.InvalidResult, `${where}: the response is not the JSON-RPC response to request ${message.id}`))
        }
        return outcome(classified.message as unknown as Record<string, unknown>)
      }
      // spec 2026-07-28 streamable-http "Backward Compatibility" (see `HttpErrorAnswer`).
      const error = HttpErrorAnswer.errorOf(text, message.id)
      if (error !== undefined) return Effect.fail(failure(error.code, error.message, error.data))
      return Effect.fail(failure(TRANSPORT_ERROR, HttpErrorAnswer.failureText(where, status, text), { httpStatus: status }))
    }

    // The next chunk of a stream, or null at its end.
    const nextChunk = (response: http.IncomingMessage, lost: (error: unknown) => McpClient.McpClientError, ended: () => void) =>
      Effect.async<Buffer | null, McpClient.McpClientError>((resume) => {
        const ready = response.read() as Buffer | null
        if (ready !== null) return resume(Effect.succeed(ready))
        if (response.readableEnded) {
          ended()
          return resume(Effect.succeed(null))
        }
        const done = () => {
          response.off("readable", onReadable)
          response.off("end", onEnd)
          response.off("error", onError)
          response.off("close", onClose)
        }
        const onReadable = () => {
          const chunk = response.read() as Buffer | null
          if (chunk === null && !response.readableEnded) return
          done()
          resume(Effect.succeed(chunk))
        }
        const onEnd = () => {
          done()
          ended()
          resume(Effect.succeed(null))
        }
        const onError = (error: Error) => {
          done()
          resume(Effect.fail(lost(error)))
        }
        const onClose = () => {
          if (response.readableEnded) return onEnd()
          done()
          resume(Effect.fail(lost(new Error("the connection closed before the response ended"))))
        }
        response.on("readable", onReadable)
        response.once("end", onEnd)
        response.once("error", onError)
        response.once("close", onClose)
      })

    // An SSE response: notifications to `onNotification`, until the response to this request.
    const readStream = (request: Request, response: http.IncomingMessage, lost: (error: unknown) => McpClient.McpClientError, ended: () => void) =>
      Effect.gen(function*() {
        const message = request.message
        const parser = SseParser.make()
        let pending = 0
        for (;;) {
          const chunk = yield* nextChunk(response, lost, ended)
          const events = chunk === null ? parser.end() : parser.push(chunk)
          pending = chunk === null ? 0 : pending + chunk.length
          for (const event of events) {
            pending = 0
            // Empty data: a priming event, only a cursor (spec "Sending Messages to the Server").
            if (event.type !== "message" || event.data === "") continue
            const value = parseJson(event.data)
            if (!isObject(value)) continue
            if ("method" in value) {
              if (!("id" in value) && request.onNotification !== undefined) {
                yield* request.onNotification(value as unknown as JsonRpc.Notification)
              }
              continue
            }
            if (value.id === message.id) return yield* outcome(value)
          }
          if (pending > maxBytes) {
            return yield* Effect.fail(tooLarge(`${where}: an event of the response stream is larger than ${maxBytes} bytes`))
          }
          if (chunk === null) {
            return yield* Effect.fail(failure(TRANSPORT_ERROR, `${where}: the response stream ended before the response`))
          }
        }
      })

    return { send }
  })
