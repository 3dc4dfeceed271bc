import { Cause, Deferred, Effect, FiberMap, PubSub, Schema, type Scope, Stream } from "effect"
import * as JsonRpc from "../JsonRpc.js"
import type * as McpClient from "../McpClient.js"
import * as McpSchema from "../McpSchema.js"
import { formatIssues } from "../Tool.js"

type JsonObject = JsonRpc.JsonObject

/** A transport could not deliver or receive a message. */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", { message: Schema.String }) {}

/**
 * A request failed: the server answered a JSON-RPC error (its code, message
 * and data), or the client gave up (`ClientErrorCode`: connection closed,
 * timeout, a result that does not match the spec).
 */
export class McpClientError extends Schema.TaggedError<McpClientError>()("McpClientError", {
  code: Schema.Number,
  message: Schema.String,
  data: Schema.optional(Schema.Unknown)
}) {}

/** See `McpClient.ClientErrorCode`. */
export const ClientErrorCode = {
  ConnectionClosed: -32000,
  RequestTimeout: -32001,
  InvalidResult: -32003
} as const

const isObject = (u: unknown): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

const decoder = <A, I>(schema: Schema.Schema<A, I, never>, method: string) => {
  const decode = Schema.decodeUnknown(schema)
  return (raw: unknown): Effect.Effect<A, McpClientError> =>
    Effect.mapError(
      decode(raw),
      (error) => new McpClientError({ code: ClientErrorCode.InvalidResult, message: `Invalid ${method} result: ${formatIssues(error)}` })
    )
}

const decodeInitialize = decoder(McpSchema.InitializeResult, "initialize")
const decodeListTools = decoder(McpSchema.ListToolsResult, "tools/list")
const decodeCallTool = decoder(McpSchema.CallToolResult, "tools/call")
const decodeListResources = decoder(McpSchema.ListResourcesResult, "resources/list")
const decodeListTemplates = decoder(McpSchema.ListResourceTemplatesResult, "resources/templates/list")
const decodeReadResource = decoder(McpSchema.ReadResourceResult, "resources/read")
const decodeListPrompts = decoder(McpSchema.ListPromptsResult, "prompts/list")
const decodeGetPrompt = decoder(McpSchema.GetPromptResult, "prompts/get")
const decodeComplete = decoder(McpSchema.CompleteResult, "completion/complete")

const decodeSamplingParams = Schema.decodeUnknownEither(McpSchema.CreateMessageRequestParams)
const decodeElicitParams = Schema.decodeUnknownEither(McpSchema.ElicitRequestParams)

const methodNotFound = (method: string) =>
  new McpClientError({ code: JsonRpc.ErrorCode.MethodNotFound, message: `Method not found: ${method}` })

/** Adds `_meta.progressToken` to request params (spec basic/utilities/progress). */
const withProgressToken = (params: JsonObject | undefined, token: McpSchema.ProgressToken): JsonObject => {
  const meta = params?._meta
  return { ...params, _meta: { ...(isObject(meta) ? meta : {}), progressToken: token } }
}

interface Pending {
  readonly method: string
  readonly deferred: Deferred.Deferred<JsonObject, McpClientError>
}

export const make = (options: McpClient.Options): Effect.Effect<McpClient.McpClient, McpClientError, Scope.Scope> =>
  Effect.gen(function*() {
    const transport = options.transport
    const handlers = options.handlers ?? {}
    const defaultTimeout = options.requestTimeoutMillis ?? 60_000
    const pending = new Map<JsonRpc.RequestId, Pending>()
    const progress = new Map<McpSchema.ProgressToken, NonNullable<McpClient.RequestOptions["onProgress"]>>()
    let nextId = 0
    /** Set once the transport ended; later requests fail with it at once. */
    let closed: McpClientError | undefined

    // Created before the reader runs, so a subscriber taken right after `make` misses nothing.
    const notifications = yield* PubSub.unbounded<JsonRpc.Notification>()
    const serverRequests = yield* FiberMap.make<JsonRpc.RequestId>()

    const send = (message: JsonRpc.Message): Effect.Effect<void, McpClientError> =>
      closed !== undefined
        ? Effect.fail(closed)
        : Effect.mapError(
          transport.send(message),
          (error) => new McpClientError({ code: ClientErrorCode.ConnectionClosed, message: `Transport failed: ${error.message}` })
        )

    const notify = (method: string, params?: JsonObject): Effect.Effect<void, McpClientError> =>
      Effect.suspend(() => send(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }))

    const request = (method: string, params?: JsonObject, requestOptions?: McpClient.RequestOptions): Effect.Effect<JsonObject, McpClientError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          if (closed !== undefined) return yield* Effect.fail(closed)
          const id = nextId++
          const deferred = yield* Deferred.make<JsonObject, McpClientError>()
          pending.set(id, { method, deferred })
          let sentParams = params
          const onProgress = requestOptions?.onProgress
          if (onProgress !== undefined) {
            // The request id is unique among active requests, as a progress token must be.
            progress.set(id, onProgress)
            sentParams = withProgressToken(params, id)
          }
          const millis = requestOptions?.timeoutMillis ?? defaultTimeout
          // spec basic/utilities/cancellation: tell the server we stopped waiting; never for initialize.
          const cancel = (reason: string) =>
            Effect.suspend(() =>
              pending.has(id) && method !== "initialize" && closed === undefined
                ? Effect.ignore(notify("notifications/cancelled", { requestId: id, reason }))
                : Effect.void
            )
          const cleanup = Effect.sync(() => {
            pending.delete(id)
            progress.delete(id)
          })
          // Sent interruptibly: whatever the transport forks to deliver it must stay cancellable.
          return yield* restore(send(sentParams === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params: sentParams })).pipe(
            Effect.zipRight(restore(
              Deferred.await(deferred).pipe(
                // spec basic/lifecycle "Timeouts": stop waiting, then cancel.
                Effect.timeoutFail({
                  duration: millis,
                  onTimeout: () =>
                    new McpClientError({ code: ClientErrorCode.RequestTimeout, message: `${method} got no response within ${millis} ms`, data: { timeout: millis } })
                })
              )
            )),
            Effect.tapError((error) => (error.code === ClientErrorCode.RequestTimeout ? cancel("timeout") : Effect.void)),
            Effect.onInterrupt(() => cancel("The client cancelled the request")),
            Effect.ensuring(cleanup)
          )
        })
      )

    // --- what the server sends

    const onResponse = (response: JsonRpc.Response): Effect.Effect<void> =>
      Effect.suspend(() => {
        const id = response.id
        // A response with id null (an unreadable request) belongs to no request.
        const entry = id === undefined ? undefined : pending.get(id)
        if (entry === undefined || id === undefined) return Effect.void
        pending.delete(id)
        return "result" in response
          ? Deferred.succeed(entry.deferred, response.result)
          : Deferred.fail(
            entry.deferred,
            response.error.data === undefined
              ? new McpClientError({ code: response.error.code, message: response.error.message })
              : new McpClientError({ code: response.error.code, message: response.error.message, data: response.error.data })
          )
      })

    /** The result of one server-to-client request (spec client/sampling, client/elicitation, client/roots). */
    const serve = (message: JsonRpc.Request): Effect.Effect<JsonObject, McpClientError> => {
      switch (message.method) {
        // spec basic/utilities/ping: either side may ping; answer promptly with an empty result.
        case "ping":
          return Effect.succeed({})
        case "sampling/createMessage": {
          const handler = handlers.sampling
          if (handler === undefined) return Effect.fail(methodNotFound(message.method))
          const params = decodeSamplingParams(message.params ?? {})
          if (params._tag === "Left") {
            return Effect.fail(new McpClientError({ code: JsonRpc.ErrorCode.InvalidParams, message: `Invalid sampling/createMessage params: ${formatIssues(params.left)}` }))
          }
          return handler(params.right) as Effect.Effect<JsonObject, McpClientError>
        }
        case "elicitation/create": {
          const handler = handlers.elicitation
          if (handler === undefined) return Effect.fail(methodNotFound(message.method))
          const params = decodeElicitParams(message.params ?? {})
          if (params._tag === "Left") {
            return Effect.fail(new McpClientError({ code: JsonRpc.ErrorCode.InvalidParams, message: `Invalid elicitation/create params: ${formatIssues(params.left)}` }))
          }
          return handler(params.right) as Effect.Effect<JsonObject, McpClientError>
        }
        case "roots/list": {
          const handler = handlers.roots
          return handler === undefined ? Effect.fail(methodNotFound(message.method)) : (handler() as Effect.Effect<JsonObject, McpClientError>)
        }
        default:
          return Effect.fail(methodNotFound(message.method))
      }
    }

    const onRequest = (message: JsonRpc.Request): Effect.Effect<void> =>
      FiberMap.run(
        serverRequests,
        message.id,
        serve(message).pipe(
          Effect.matchCauseEffect({
            onSuccess: (result) => Effect.succeed<JsonRpc.Response>(JsonRpc.success(message.id, result)),
            onFailure: (cause): Effect.Effect<JsonRpc.Response> => {
              // Cancelled by the server (spec basic/utilities/cancellation): no response.
              if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
              const failure = Cause.failureOption(cause)
              if (failure._tag === "Some") {
                const { code, data, message: text } = failure.value
                return Effect.succeed(JsonRpc.failure(message.id, code, text, data))
              }
              return Effect.as(
                Effect.logError(`${message.method} handler died`, cause),
                JsonRpc.failure(message.id, JsonRpc.ErrorCode.InternalError, "Internal error")
              )
            }
          }),
          Effect.flatMap((response) => Effect.ignore(send(response)))
        )
      ).pipe(Effect.asVoid)

    const onNotification = (notification: JsonRpc.Notification): Effect.Effect<void> =>
      Effect.gen(function*() {
        const params = notification.params
        switch (notification.method) {
          case "notifications/progress": {
            const token = params?.progressToken
            const callback = typeof token === "string" || typeof token === "number" ? progress.get(token) : undefined
            if (callback !== undefined) {
              yield* Effect.catchAllCause(callback(params as McpSchema.ProgressNotificationParams), (cause) =>
                Effect.logWarning("onProgress failed", cause))
            }
            break
          }
          // spec basic/utilities/cancellation: stop serving the server's request; send no response.
          case "notifications/cancelled": {
            const id = params?.requestId
            if (typeof id === "string" || typeof id === "number") yield* FiberMap.remove(serverRequests, id)
            break
          }
        }
        yield* PubSub.publish(notifications, notification)
      })

    const onMessage = (message: JsonRpc.Message): Effect.Effect<void> => {
      const classified = JsonRpc.classify(message)
      switch (classified._tag) {
        case "Request":
          return onRequest(classified.message)
        case "Notification":
          return onNotification(classified.message)
        case "Response":
          return onResponse(classified.message)
        case "Invalid":
          return Effect.logDebug("Ignored an invalid message from the server", classified.response.error.message)
      }
    }

    const close = (reason: string) =>
      Effect.suspend(() => {
        if (closed !== undefined) return Effect.void
        closed = new McpClientError({ code: ClientErrorCode.ConnectionClosed, message: reason })
        const error = closed
        const waiting = [...pending.values()]
        pending.clear()
        return Effect.zipRight(
          Effect.forEach(waiting, ({ deferred }) => Deferred.fail(deferred, error), { discard: true }),
          PubSub.shutdown(notifications)
        )
      })

    yield* Stream.runForEach(transport.incoming, onMessage).pipe(
      Effect.matchCauseEffect({
        onSuccess: () => close("Connection closed"),
        onFailure: (cause) => {
          const failure = Cause.failureOption(cause)
          return close(
            Cause.isInterruptedOnly(cause)
              ? "Client closed"
              : `Connection closed: ${failure._tag === "Some" ? failure.value.message : "the transport died"}`
          )
        }
      }),
      Effect.onInterrupt(() => close("Client closed")),
      Effect.forkScoped
    )

    // spec basic/lifecycle "Initialization"
    const protocolVersion = options.protocolVersion ?? McpSchema.LATEST_PROTOCOL_VERSION
    const capabilities: McpSchema.ClientCapabilities = options.capabilities ?? {
      ...(handlers.roots === undefined ? {} : { roots: { listChanged: true } }),
      ...(handlers.sampling === undefined ? {} : { sampling: {} }),
      ...(handlers.elicitation === undefined ? {} : { elicitation: { form: {}, url: {} } })
    }
    const initializeResult = yield* request("initialize", {
      protocolVersion,
      capabilities,
      clientInfo: options.clientInfo
    }).pipe(Effect.flatMap(decodeInitialize))
    // spec basic/lifecycle "Version Negotiation": a client that does not support the answered revision SHOULD disconnect.
    if (!(McpSchema.SUPPORTED_PROTOCOL_VERSIONS as ReadonlyArray<string>).includes(initializeResult.protocolVersion)) {
      return yield* Effect.fail(
        new McpClientError({
          code: ClientErrorCode.InvalidResult,
          message: `The server chose protocol version ${initializeResult.protocolVersion}, which this client does not support`,
          data: { supported: McpSchema.SUPPORTED_PROTOCOL_VERSIONS, requested: protocolVersion }
        })
      )
    }
    yield* notify("notifications/initialized")

    const listRequest = <A>(method: string, decode: (raw: unknown) => Effect.Effect<A, McpClientError>) =>
    (listOptions?: McpClient.ListOptions): Effect.Effect<A, McpClientError> =>
      Effect.flatMap(request(method, listOptions?.cursor === undefined ? undefined : { cursor: listOptions.cursor }, listOptions), decode)

    /** Follows `nextCursor` to the end (spec server/utilities/pagination), refusing a cursor seen before. */
    const listAll = <A, Item>(
      list: (listOptions?: McpClient.ListOptions) => Effect.Effect<A, McpClientError>,
      items: (page: A) => ReadonlyArray<Item>,
      next: (page: A) => string | undefined
    ) =>
    (requestOptions?: McpClient.RequestOptions): Effect.Effect<ReadonlyArray<Item>, McpClientError> =>
      Effect.gen(function*() {
        const all: Array<Item> = []
        const seen = new Set<string>()
        let cursor: string | undefined
        do {
          const page: A = yield* list(cursor === undefined ? requestOptions : { ...requestOptions, cursor })
          all.push(...items(page))
          cursor = next(page)
          if (cursor !== undefined && seen.has(cursor)) {
            return yield* Effect.fail(new McpClientError({ code: ClientErrorCode.InvalidResult, message: `The server repeated cursor ${cursor}` }))
          }
          if (cursor !== undefined) seen.add(cursor)
        } while (cursor !== undefined)
        return all
      })

    const listTools = listRequest("tools/list", decodeListTools)
    const listResources = listRequest("resources/list", decodeListResources)
    const listResourceTemplates = listRequest("resources/templates/list", decodeListTemplates)
    const listPrompts = listRequest("prompts/list", decodeListPrompts)

    const client: McpClient.McpClient = {
      serverInfo: initializeResult.serverInfo,
      serverCapabilities: initializeResult.capabilities,
      protocolVersion: initializeResult.protocolVersion,
      instructions: initializeResult.instructions,
      initializeResult,
      request,
      notify,
      notifications: Stream.fromPubSub(notifications),
      subscribeNotifications: PubSub.subscribe(notifications),
      ping: (requestOptions) => Effect.asVoid(request("ping", undefined, requestOptions)),
      listTools,
      listAllTools: listAll(listTools, (page) => page.tools, (page) => page.nextCursor),
      callTool: (name, args, requestOptions) =>
        Effect.flatMap(request("tools/call", args === undefined ? { name } : { name, arguments: args }, requestOptions), decodeCallTool),
      listResources,
      listAllResources: listAll(listResources, (page) => page.resources, (page) => page.nextCursor),
      listResourceTemplates,
      listAllResourceTemplates: listAll(listResourceTemplates, (page) => page.resourceTemplates, (page) => page.nextCursor),
      readResource: (uri, requestOptions) => Effect.flatMap(request("resources/read", { uri }, requestOptions), decodeReadResource),
      subscribe: (uri, requestOptions) => Effect.asVoid(request("resources/subscribe", { uri }, requestOptions)),
      unsubscribe: (uri, requestOptions) => Effect.asVoid(request("resources/unsubscribe", { uri }, requestOptions)),
      listPrompts,
      listAllPrompts: listAll(listPrompts, (page) => page.prompts, (page) => page.nextCursor),
      getPrompt: (name, args, requestOptions) =>
        Effect.flatMap(request("prompts/get", args === undefined ? { name } : { name, arguments: args }, requestOptions), decodeGetPrompt),
      complete: (params, requestOptions) => Effect.flatMap(request("completion/complete", params as unknown as JsonObject, requestOptions), decodeComplete),
      setLogLevel: (level, requestOptions) => Effect.asVoid(request("logging/setLevel", { level }, requestOptions)),
      sendRootsListChanged: notify("notifications/roots/list_changed")
    }
    return client
  })
