import { Cause, Clock, Deferred, Effect, FiberMap, Mailbox, PubSub, Schema, type Scope, Stream } from "effect"
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
  InvalidResult: -32003,
  TooManyInputRounds: -32004
} as const

/** See `McpClient.AUTO`. */
export const AUTO = "auto" as const

const STATELESS = McpSchema.STATELESS_PROTOCOL_VERSION
const MetaKey = McpSchema.MetaKey

const isObject = (u: unknown): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

/** See `McpClient.notProcessed`. */
export const notProcessed = (error: McpClientError): boolean => isObject(error.data) && error.data.processed === false

/** `error` for a request the server never got: the client had closed, or the transport could not send it. */
const unprocessed = (error: McpClientError): McpClientError =>
  new McpClientError({ code: error.code, message: error.message, data: { ...(isObject(error.data) ? error.data : {}), processed: false } })

const decoder = <A, I>(schema: Schema.Schema<A, I, never>, method: string) => {
  const decode = Schema.decodeUnknown(schema)
  return (raw: unknown): Effect.Effect<A, McpClientError> =>
    Effect.mapError(
      decode(raw),
      (error) => new McpClientError({ code: ClientErrorCode.InvalidResult, message: `Invalid ${method} result: ${formatIssues(error)}` })
    )
}

const decodeInitialize = decoder(McpSchema.InitializeResult, "initialize")
const decodeDiscover = decoder(McpSchema.DiscoverResult, "server/discover")
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
const isImplementation = Schema.is(McpSchema.Implementation)

/**
 * An `input_required` result (spec 2026-07-28 basic/patterns/mrtr
 * "InputRequiredResult"): `inputRequests` maps server-chosen keys to
 * `sampling/createMessage`, `elicitation/create` or `roots/list` requests;
 * `requestState` is opaque and echoed as it is.
 */
const InputRequiredResult = Schema.Struct({
  resultType: Schema.Literal("input_required"),
  inputRequests: Schema.optional(Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ method: Schema.String, params: Schema.optional(McpSchema.JsonObject) }, McpSchema.JsonObject)
  })),
  requestState: Schema.optional(Schema.String)
}, McpSchema.JsonObject)

/** The methods an `inputRequests` entry may carry (spec 2026-07-28 basic/patterns/mrtr "Server Requirements" 2). */
const inputMethods = new Set(["sampling/createMessage", "elicitation/create", "roots/list"])

/** Results that carry caching hints (spec 2026-07-28 server/utilities/caching "Cacheable Results"). */
const cacheable = new Set(["tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read"])

/** The cached methods a notification makes stale (spec 2026-07-28 server/utilities/caching "Interaction with Notifications"). */
const invalidatedBy: Readonly<Record<string, ReadonlyArray<string>>> = {
  "notifications/tools/list_changed": ["tools/list"],
  "notifications/prompts/list_changed": ["prompts/list"],
  "notifications/resources/list_changed": ["resources/list", "resources/templates/list"],
  "notifications/resources/updated": ["resources/read"]
}

/** JSON with object keys sorted: equal params make equal cache keys. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  if (isObject(value)) {
    return `{${
      Object.keys(value).sort().filter((k) => value[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")
    }}`
  }
  return JSON.stringify(value) ?? "null"
}

/** The notification method of each filter field (spec 2026-07-28 basic/patterns/subscriptions "Notification Filter"). */
const filterMethods = {
  toolsListChanged: "notifications/tools/list_changed",
  promptsListChanged: "notifications/prompts/list_changed",
  resourcesListChanged: "notifications/resources/list_changed"
} as const

/** A filter as the server acknowledged it, keeping only well-formed fields. */
const readFilter = (u: unknown): McpClient.SubscriptionFilter => {
  if (!isObject(u)) return {}
  const filter: { -readonly [K in keyof McpClient.SubscriptionFilter]: McpClient.SubscriptionFilter[K] } = {}
  for (const key of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] as const) {
    if (u[key] === true) filter[key] = true
  }
  const uris = u.resourceSubscriptions
  if (Array.isArray(uris)) filter.resourceSubscriptions = uris.filter((uri): uri is string => typeof uri === "string")
  return filter
}

/** Whether a notification is one a filter asks for. */
const matches = (filter: McpClient.SubscriptionFilter, notification: JsonRpc.Notification): boolean => {
  if (notification.method === "notifications/resources/updated") {
    const uri = notification.params?.uri
    return typeof uri === "string" && (filter.resourceSubscriptions ?? []).includes(uri)
  }
  return (Object.keys(filterMethods) as Array<keyof typeof filterMethods>).some((key) =>
    filter[key] === true && filterMethods[key] === notification.method
  )
}

const methodNotFound = (method: string) =>
  new McpClientError({ code: JsonRpc.ErrorCode.MethodNotFound, message: `Method not found: ${method}` })

/** Adds `_meta.progressToken` to request params (spec basic/utilities/progress). */
const withProgressToken = (params: JsonObject | undefined, token: McpSchema.ProgressToken): JsonObject => {
  const meta = params?._meta
  return { ...params, _meta: { ...(isObject(meta) ? meta : {}), progressToken: token } }
}

/** The HTTP status a transport put on a request it failed locally (see `McpClient.ClientErrorCode`). */
const httpStatusOf = (error: McpClientError): number | undefined => {
  const data = error.data
  return isObject(data) && typeof data.httpStatus === "number" ? data.httpStatus : undefined
}

/**
 * Whether the answer to the `server/discover` probe says the server is a
 * 2025-11-25 one, to be spoken to with `initialize` (spec 2026-07-28
 * basic/versioning "Backward Compatibility", basic/transports/stdio and
 * streamable-http "Backward Compatibility"): any error but a recognized
 * 2026-07-28 one. -32020 and -32021 come from a 2026-07-28 server refusing
 * the request; -32022 too, unless its `supported` lacks 2026-07-28 (a
 * dual-era server that does not serve it). An HTTP failure other than 400,
 * 404 or 405 (401, 403, 5xx) says nothing of the era: it fails.
 */
const isLegacyAnswer = (error: McpClientError): boolean => {
  switch (error.code) {
    case JsonRpc.ErrorCode.HeaderMismatch:
    case JsonRpc.ErrorCode.MissingRequiredClientCapability:
      return false
    case JsonRpc.ErrorCode.UnsupportedProtocolVersion: {
      const supported = isObject(error.data) ? error.data.supported : undefined
      return !(Array.isArray(supported) && supported.includes(STATELESS))
    }
    case ClientErrorCode.ConnectionClosed: {
      const status = httpStatusOf(error)
      return status === undefined || status === 400 || status === 404 || status === 405
    }
    default:
      return true
  }
}

interface Pending {
  readonly method: string
  readonly deferred: Deferred.Deferred<JsonObject, McpClientError>
}

/** A `subscriptions/listen` request in flight (2026-07-28). */
interface Listener {
  readonly acknowledged: Deferred.Deferred<McpClient.SubscriptionFilter, McpClientError>
  readonly mailbox: Mailbox.Mailbox<JsonRpc.Notification, McpClientError>
}

/** How one request goes out. */
interface ExchangeOptions {
  /** Undefined: no timeout (a `subscriptions/listen` stays open as long as wanted). */
  readonly timeoutMillis: number | undefined
  readonly onProgress?: ((progress: McpSchema.ProgressNotificationParams) => Effect.Effect<void>) | undefined
}

export const make = (options: McpClient.Options): Effect.Effect<McpClient.McpClient, McpClientError, Scope.Scope> =>
  Effect.gen(function*() {
    const transport = options.transport
    const handlers = options.handlers ?? {}
    const defaultTimeout = options.requestTimeoutMillis ?? 60_000
    const maxRounds = options.maxInputRounds ?? 10
    const caching = options.cache ?? true
    const notificationHook = options.onNotification
    const pending = new Map<JsonRpc.RequestId, Pending>()
    const progress = new Map<McpSchema.ProgressToken, NonNullable<McpClient.RequestOptions["onProgress"]>>()
    const listeners = new Map<JsonRpc.RequestId, Listener>()
    /** Cached results by method and params (spec 2026-07-28 server/utilities/caching "Cache Key"). */
    const cache = new Map<string, { readonly method: string; readonly result: JsonObject; readonly expires: number }>()
    /** Bumped when a notification invalidates a method: a result asked for before it is not cached. */
    const generations = new Map<string, number>()
    let nextId = 0
    /** Set once the transport ended; later requests fail with it at once. */
    let closed: McpClientError | undefined
    /** Whether the connection speaks 2026-07-28; decided before any request but the probe. */
    let stateless = false
    let logLevel: McpSchema.LoggingLevel | undefined = options.logLevel

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

    // --- capabilities: what `initialize` declares, or 2026-07-28 puts in every request's `_meta`

    const legacyCapabilities: McpSchema.ClientCapabilities = options.capabilities ?? {
      ...(handlers.roots === undefined ? {} : { roots: { listChanged: true } }),
      ...(handlers.sampling === undefined ? {} : { sampling: {} }),
      ...(handlers.elicitation === undefined ? {} : { elicitation: { form: {}, url: {} } })
    }
    // spec 2026-07-28 schema "ClientCapabilities": `roots` has no `listChanged` (roots are asked for per request).
    const statelessCapabilities: McpSchema.ClientCapabilities = options.capabilities ?? {
      ...(handlers.roots === undefined ? {} : { roots: {} }),
      ...(handlers.sampling === undefined ? {} : { sampling: {} }),
      ...(handlers.elicitation === undefined ? {} : { elicitation: { form: {}, url: {} } })
    }

    /**
     * The params of a 2026-07-28 request: its `_meta` carries the protocol
     * version, `clientInfo`, `clientCapabilities` and the log level when one
     * is set (spec 2026-07-28 basic/index "Per-request protocol fields");
     * other `_meta` keys (a progress token, trace context) are kept.
     */
    const stamp = (params: JsonObject | undefined, capabilities: McpSchema.ClientCapabilities = statelessCapabilities): JsonObject => {
      const meta = params?._meta
      return {
        ...params,
        _meta: {
          ...(isObject(meta) ? meta : {}),
          [MetaKey.protocolVersion]: STATELESS,
          [MetaKey.clientInfo]: options.clientInfo,
          [MetaKey.clientCapabilities]: capabilities,
          ...(logLevel === undefined ? {} : { [MetaKey.logLevel]: logLevel })
        }
      }
    }

    /** One JSON-RPC request with this id, and its response. */
    const exchange = (
      id: JsonRpc.RequestId,
      method: string,
      params: JsonObject | undefined,
      exchangeOptions: ExchangeOptions
    ): Effect.Effect<JsonObject, McpClientError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          if (closed !== undefined) return yield* Effect.fail(unprocessed(closed))
          const deferred = yield* Deferred.make<JsonObject, McpClientError>()
          pending.set(id, { method, deferred })
          let sentParams = params
          const onProgress = exchangeOptions.onProgress
          if (onProgress !== undefined) {
            // The request id is unique among active requests, as a progress token must be.
            progress.set(id, onProgress)
            sentParams = withProgressToken(params, id)
          }
          const millis = exchangeOptions.timeoutMillis
          // spec basic/utilities/cancellation: tell the server we stopped waiting; never for initialize.
          // Over HTTP under 2026-07-28 the transport closes the request's stream instead.
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
          const response = Deferred.await(deferred)
          // Sent interruptibly: whatever the transport forks to deliver it must stay cancellable.
          const message: JsonRpc.Request = sentParams === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params: sentParams }
          return yield* restore(Effect.mapError(send(message), unprocessed)).pipe(
            Effect.zipRight(restore(
              millis === undefined ? response : response.pipe(
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

    /**
     * The result of one server-to-client request (spec client/sampling,
     * client/elicitation, client/roots): a JSON-RPC request under 2025-11-25,
     * an entry of `inputRequests` under 2026-07-28.
     */
    const serve = (method: string, rawParams: JsonObject | undefined, inputKey?: string): Effect.Effect<JsonObject, McpClientError> => {
      const request = inputKey === undefined ? undefined : { inputKey }
      switch (method) {
        // spec basic/utilities/ping: either side may ping; answer promptly with an empty result.
        case "ping":
          return Effect.succeed({})
        case "sampling/createMessage": {
          const handler = handlers.sampling
          if (handler === undefined) return Effect.fail(methodNotFound(method))
          const params = decodeSamplingParams(rawParams ?? {})
          if (params._tag === "Left") {
            return Effect.fail(new McpClientError({ code: JsonRpc.ErrorCode.InvalidParams, message: `Invalid sampling/createMessage params: ${formatIssues(params.left)}` }))
          }
          return handler(params.right, request) as Effect.Effect<JsonObject, McpClientError>
        }
        case "elicitation/create": {
          const handler = handlers.elicitation
          if (handler === undefined) return Effect.fail(methodNotFound(method))
          const params = decodeElicitParams(rawParams ?? {})
          if (params._tag === "Left") {
            return Effect.fail(new McpClientError({ code: JsonRpc.ErrorCode.InvalidParams, message: `Invalid elicitation/create params: ${formatIssues(params.left)}` }))
          }
          return handler(params.right, request) as Effect.Effect<JsonObject, McpClientError>
        }
        case "roots/list": {
          const handler = handlers.roots
          return handler === undefined ? Effect.fail(methodNotFound(method)) : (handler(request) as Effect.Effect<JsonObject, McpClientError>)
        }
        default:
          return Effect.fail(methodNotFound(method))
      }
    }

    const onRequest = (message: JsonRpc.Request): Effect.Effect<void> =>
      FiberMap.run(
        serverRequests,
        message.id,
        serve(message.method, message.params).pipe(
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

    /** Forgets cached results of these methods, and any response still on its way for them. */
    const invalidate = (methods: ReadonlyArray<string>) => {
      for (const method of methods) generations.set(method, (generations.get(method) ?? 0) + 1)
      for (const [key, entry] of cache) if (methods.includes(entry.method)) cache.delete(key)
    }

    /** A subscription the server ended (its result or `notifications/cancelled`): the stream ends. */
    const endListener = (id: JsonRpc.RequestId, listener: Listener) =>
      Effect.gen(function*() {
        listeners.delete(id)
        yield* Deferred.fail(listener.acknowledged, new McpClientError({ code: ClientErrorCode.ConnectionClosed, message: "The server closed the subscription before acknowledging it" }))
        yield* listener.mailbox.end
      })

    const onNotification = (notification: JsonRpc.Notification): Effect.Effect<void> =>
      Effect.gen(function*() {
        const params = notification.params
        const stale = invalidatedBy[notification.method]
        if (stale !== undefined) invalidate(stale)
        // spec 2026-07-28 basic/patterns/subscriptions "Receiving Notifications": told apart by subscription id.
        const meta = params?._meta
        const subscription = isObject(meta) ? meta[MetaKey.subscriptionId] : undefined
        const listener = typeof subscription === "string" || typeof subscription === "number" ? listeners.get(subscription) : undefined
        if (listener !== undefined) {
          if (notification.method === "notifications/subscriptions/acknowledged") {
            yield* Deferred.succeed(listener.acknowledged, readFilter(params?.notifications))
          } else if (notification.method !== "notifications/cancelled") {
            yield* listener.mailbox.offer(notification)
          }
        }
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
          case "notifications/cancelled": {
            const id = params?.requestId
            if (typeof id !== "string" && typeof id !== "number") break
            // spec 2026-07-28 basic/patterns/cancellation: the server tore down a subscription of ours.
            const ended = listeners.get(id)
            if (ended !== undefined) {
              const entry = pending.get(id)
              pending.delete(id)
              yield* endListener(id, ended)
              if (entry !== undefined) yield* Deferred.succeed(entry.deferred, {})
              break
            }
            // spec basic/utilities/cancellation: stop serving the server's request; send no response.
            yield* FiberMap.remove(serverRequests, id)
            break
          }
        }
        if (notificationHook !== undefined) {
          yield* Effect.catchAllCause(notificationHook(notification), (cause) => Effect.logWarning("onNotification failed", cause))
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

    // --- 2026-07-28: multi round-trip requests (spec 2026-07-28 basic/patterns/mrtr)

    /**
     * Answers every input request with the client's handlers, one after the
     * other (an elicitation is a question to a person), keyed as asked (spec
     * mrtr "Client Requirements" 1.). A failing handler fails the request: there
     * is no error to send back for one input.
     */
    const answerInputs = (
      method: string,
      inputRequests: { readonly [key: string]: { readonly method: string; readonly params?: JsonObject | undefined } }
    ): Effect.Effect<JsonObject, McpClientError> =>
      Effect.map(
        Effect.forEach(Object.entries(inputRequests), ([key, input]) =>
          (inputMethods.has(input.method)
            ? serve(input.method, input.params, key)
            : Effect.fail(new McpClientError({ code: ClientErrorCode.InvalidResult, message: `it is not an input request (expected one of ${[...inputMethods].join(", ")})` }))).pipe(
              Effect.catchAllDefect((defect) =>
                Effect.fail(new McpClientError({ code: JsonRpc.ErrorCode.InternalError, message: `the handler died: ${String(defect)}` }))
              ),
              Effect.mapError((error) =>
                new McpClientError({
                  code: error.code,
                  message: `${method} needs input "${key}" (${input.method}), which could not be given: ${error.message}`,
                  data: { inputKey: key, inputMethod: input.method, ...(error.data === undefined ? {} : { cause: error.data }) }
                })
              ),
              Effect.map((result) => [key, result] as const)
            )),
        Object.fromEntries
      )

    const decodeInputRequired = decoder(InputRequiredResult, "input_required")

    /**
     * One request to its final result. Under 2026-07-28 `resultType` is read
     * (absent means complete, an unknown one is invalid: spec 2026-07-28
     * basic/index "ResultType"), and an `input_required` result is answered
     * and the request sent again with a new id, the original params, the
     * `inputResponses` and exactly the `requestState` given (none when none
     * was: spec mrtr "Client Requirements" 1.-3.). `rounds` counts the retries.
     */
    const perform = (
      method: string,
      params: JsonObject | undefined,
      requestOptions: McpClient.RequestOptions | undefined
    ): Effect.Effect<{ readonly result: JsonObject; readonly rounds: number }, McpClientError> =>
      Effect.gen(function*() {
        const exchangeOptions: ExchangeOptions = {
          timeoutMillis: requestOptions?.timeoutMillis ?? defaultTimeout,
          onProgress: requestOptions?.onProgress
        }
        if (!stateless) return { result: yield* exchange(nextId++, method, params, exchangeOptions), rounds: 0 }
        let attempt = params
        for (let rounds = 0;; rounds++) {
          const result = yield* exchange(nextId++, method, stamp(attempt, requestOptions?.clientCapabilities), exchangeOptions)
          const resultType = result.resultType
          if (resultType === undefined || resultType === "complete" || requestOptions?.returnInputRequired === true) return { result, rounds }
          if (resultType !== "input_required") {
            return yield* Effect.fail(
              new McpClientError({ code: ClientErrorCode.InvalidResult, message: `Invalid ${method} result: unknown resultType ${JSON.stringify(resultType)}` })
            )
          }
          const asked = yield* decodeInputRequired(result)
          if (asked.inputRequests === undefined && asked.requestState === undefined) {
            return yield* Effect.fail(
              new McpClientError({ code: ClientErrorCode.InvalidResult, message: `Invalid ${method} result: input_required with neither inputRequests nor requestState` })
            )
          }
          if (rounds >= maxRounds) {
            return yield* Effect.fail(
              new McpClientError({
                code: ClientErrorCode.TooManyInputRounds,
                message: `${method} still asked for input after ${maxRounds} rounds; giving up`,
                data: { rounds: maxRounds }
              })
            )
          }
          // spec mrtr "Client Requirements" 1.: with no inputRequests the client may retry at once.
          const responses = asked.inputRequests === undefined ? undefined : yield* answerInputs(method, asked.inputRequests)
          const { inputResponses: _responses, requestState: _state, ...base } = params ?? {}
          attempt = {
            ...base,
            ...(responses === undefined ? {} : { inputResponses: responses }),
            ...(asked.requestState === undefined ? {} : { requestState: asked.requestState })
          }
        }
      })

    /**
     * Sends a request and returns its final result, from the cache while it
     * is fresh (spec 2026-07-28 server/utilities/caching): the key is the
     * method and its params but `_meta` ("Cache Key"); a result is kept for
     * its `ttlMs` from when it arrived ("Freshness Calculation"), never when a
     * round trip produced it, and not when a notification made the method
     * stale while it was on its way.
     */
    const request = (method: string, given?: JsonObject, requestOptions?: McpClient.RequestOptions): Effect.Effect<JsonObject, McpClientError> =>
      Effect.gen(function*() {
        const extra = requestOptions?.meta
        const params = extra === undefined ? given : { ...given, _meta: { ...(isObject(given?._meta) ? given._meta : {}), ...extra } }
        const { _meta: _ignored, ...keyed } = params ?? {}
        const key = caching && cacheable.has(method) && keyed.inputResponses === undefined && keyed.requestState === undefined
          ? `${method}\n${canonical(keyed)}`
          : undefined
        if (key !== undefined && requestOptions?.bypassCache !== true) {
          const hit = cache.get(key)
          if (hit !== undefined && (yield* Clock.currentTimeMillis) < hit.expires) return hit.result
        }
        const generation = generations.get(method) ?? 0
        const outcome = yield* perform(method, params, requestOptions).pipe(
          Effect.catchIf(
            // spec 2026-07-28 basic/transports/streamable-http "Client Behavior": a tools/call refused for its
            // Mcp-Param headers is retried once after tools/list has shown the tool's current inputSchema.
            (error) => stateless && method === "tools/call" && error.code === JsonRpc.ErrorCode.HeaderMismatch,
            (error) =>
              Effect.zipRight(
                Effect.mapError(listAll(listTools, (page) => page.tools, (page) => page.nextCursor)({ bypassCache: true }), () => error),
                perform(method, params, requestOptions)
              )
          ),
          // spec caching "Interaction with Pagination": a cursor refused makes every cached page suspect.
          Effect.tapError(() => Effect.sync(() => key !== undefined && keyed.cursor !== undefined && invalidate([method])))
        )
        const ttl = outcome.result.ttlMs
        if (key !== undefined && outcome.rounds === 0 && typeof ttl === "number" && ttl > 0 && generation === (generations.get(method) ?? 0)) {
          cache.set(key, { method, result: outcome.result, expires: (yield* Clock.currentTimeMillis) + ttl })
        }
        return outcome.result
      })

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

    // --- the revision (spec 2026-07-28 basic/versioning "Backward Compatibility")

    // The newest revision the server speaks: 2026-07-28 when it answers `server/discover`.
    const requested = options.protocolVersion ?? AUTO
    let discoverResult: McpSchema.DiscoverResult | undefined
    if (requested === AUTO || McpSchema.isStateless(requested)) {
      const auto = requested === AUTO
      // spec 2026-07-28 basic/transports/stdio "Backward Compatibility": probe before any other request.
      const probe = yield* Effect.either(
        exchange(nextId++, "server/discover", stamp(undefined), { timeoutMillis: auto ? options.probeTimeoutMillis ?? 10_000 : defaultTimeout })
      )
      if (probe._tag === "Right") {
        // A success that is no DiscoverResult does not identify a 2026-07-28 server either ("auto" falls back).
        const decoded = yield* Effect.either(decodeDiscover(probe.right))
        if (decoded._tag === "Left") {
          if (!auto) return yield* Effect.fail(decoded.left)
        } else if (decoded.right.supportedVersions.includes(STATELESS)) discoverResult = decoded.right
        else if (!auto) {
          const discovered = decoded.right
          return yield* Effect.fail(
            new McpClientError({
              code: ClientErrorCode.InvalidResult,
              message: `The server supports ${discovered.supportedVersions.join(", ")}, not ${STATELESS}`,
              data: { supported: discovered.supportedVersions, requested: STATELESS }
            })
          )
        }
      } else if (!auto || closed !== undefined || !isLegacyAnswer(probe.left)) {
        return yield* Effect.fail(probe.left)
      }
    }

    let initializeResult: McpSchema.InitializeResult
    if (discoverResult !== undefined) {
      stateless = true
      const serverInfo = discoverResult._meta?.[MetaKey.serverInfo]
      initializeResult = {
        protocolVersion: STATELESS,
        capabilities: discoverResult.capabilities,
        serverInfo: isImplementation(serverInfo) ? serverInfo : { name: "unknown", version: "unknown" },
        ...(discoverResult.instructions === undefined ? {} : { instructions: discoverResult.instructions })
      }
    } else {
      // spec basic/lifecycle "Initialization"
      const protocolVersion = requested === AUTO ? McpSchema.LATEST_PROTOCOL_VERSION : requested
      initializeResult = yield* exchange(nextId++, "initialize", {
        protocolVersion,
        capabilities: legacyCapabilities,
        clientInfo: options.clientInfo
      }, { timeoutMillis: defaultTimeout }).pipe(Effect.flatMap(decodeInitialize))
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
    }
    const capabilities = initializeResult.capabilities

    // --- subscriptions (spec 2026-07-28 basic/patterns/subscriptions)

    /** A `subscriptions/listen` request for the life of the scope, once acknowledged. */
    const listenStateless = (filter: McpClient.SubscriptionFilter): Effect.Effect<McpClient.Subscription, McpClientError, Scope.Scope> =>
      Effect.gen(function*() {
        const id = nextId++
        const listener: Listener = {
          acknowledged: yield* Deferred.make<McpClient.SubscriptionFilter, McpClientError>(),
          mailbox: yield* Mailbox.make<JsonRpc.Notification, McpClientError>()
        }
        // Registered before the request goes out: the acknowledgment may come before `send` returns.
        listeners.set(id, listener)
        yield* Effect.addFinalizer(() => Effect.zipRight(Effect.sync(() => listeners.delete(id)), listener.mailbox.end))
        const body: JsonObject = {
          notifications: {
            ...filter,
            ...(filter.resourceSubscriptions === undefined ? {} : { resourceSubscriptions: [...filter.resourceSubscriptions] })
          }
        }
        // No timeout: the response is the end of the subscription. Closing the scope interrupts it, which
        // cancels it ("Cancellation": notifications/cancelled, or over HTTP closing the SSE stream).
        yield* exchange(id, "subscriptions/listen", stamp(body), { timeoutMillis: undefined }).pipe(
          Effect.matchCauseEffect({
            // spec subscriptions "Graceful Closure": the result ends the subscription.
            onSuccess: () => endListener(id, listener),
            onFailure: (cause) => {
              const failure = Cause.failureOption(cause)
              // Interrupted (its scope closed, the connection with it): not acknowledged now is never acknowledged.
              if (failure._tag === "None") {
                return Effect.zipRight(
                  Deferred.fail(listener.acknowledged, new McpClientError({ code: ClientErrorCode.ConnectionClosed, message: "The subscription ended before it was acknowledged" })),
                  listener.mailbox.end
                )
              }
              listeners.delete(id)
              return Effect.zipRight(Deferred.fail(listener.acknowledged, failure.value), listener.mailbox.fail(failure.value))
            }
          }),
          Effect.forkScoped
        )
        // spec subscriptions "Acknowledgment": the first message of the subscription.
        const acknowledged = yield* Deferred.await(listener.acknowledged).pipe(
          Effect.timeoutFail({
            duration: defaultTimeout,
            onTimeout: () =>
              new McpClientError({ code: ClientErrorCode.RequestTimeout, message: `subscriptions/listen was not acknowledged within ${defaultTimeout} ms` })
          })
        )
        return { id, acknowledged, notifications: Mailbox.toStream(listener.mailbox) }
      })

    /** URIs subscribed with `resources/subscribe` by the emulated `listen`, and by how many subscriptions. */
    const subscribed = new Map<string, number>()

    /**
     * The same under 2025-11-25, from the session: the kinds the server's
     * capabilities say it sends (spec 2025-11-25 server/tools, server/prompts,
     * server/resources "Capabilities"), `resources/subscribe` for each URI.
     */
    const listenLegacy = (filter: McpClient.SubscriptionFilter): Effect.Effect<McpClient.Subscription, McpClientError, Scope.Scope> =>
      Effect.gen(function*() {
        const uris = capabilities.resources?.subscribe === true ? [...new Set(filter.resourceSubscriptions ?? [])] : []
        const acknowledged: McpClient.SubscriptionFilter = {
          ...(filter.toolsListChanged === true && capabilities.tools?.listChanged === true ? { toolsListChanged: true } : {}),
          ...(filter.promptsListChanged === true && capabilities.prompts?.listChanged === true ? { promptsListChanged: true } : {}),
          ...(filter.resourcesListChanged === true && capabilities.resources?.listChanged === true ? { resourcesListChanged: true } : {}),
          ...(filter.resourceSubscriptions === undefined || capabilities.resources?.subscribe !== true ? {} : { resourceSubscriptions: uris })
        }
        const queue = yield* PubSub.subscribe(notifications)
        for (const uri of uris) {
          const count = subscribed.get(uri) ?? 0
          if (count === 0) yield* request("resources/subscribe", { uri })
          subscribed.set(uri, count + 1)
          yield* Effect.addFinalizer(() =>
            Effect.suspend(() => {
              const left = (subscribed.get(uri) ?? 1) - 1
              if (left > 0) return Effect.sync(() => subscribed.set(uri, left))
              subscribed.delete(uri)
              return closed === undefined ? Effect.ignore(request("resources/unsubscribe", { uri })) : Effect.void
            })
          )
        }
        return {
          id: undefined,
          acknowledged,
          notifications: Stream.fromQueue(queue).pipe(Stream.filter((notification) => matches(acknowledged, notification)))
        }
      })

    const removed = (method: string, instead: string) =>
      Effect.fail(new McpClientError({ code: JsonRpc.ErrorCode.MethodNotFound, message: `${method} does not exist in ${STATELESS}: ${instead}` }))

    const client: McpClient.McpClient = {
      serverInfo: initializeResult.serverInfo,
      serverCapabilities: capabilities,
      protocolVersion: initializeResult.protocolVersion,
      instructions: initializeResult.instructions,
      initializeResult,
      discoverResult,
      request,
      notify,
      notifications: Stream.fromPubSub(notifications),
      subscribeNotifications: PubSub.subscribe(notifications),
      // 2026-07-28 removed ping (spec 2026-07-28 changelog); server/discover is the request every server answers.
      ping: (requestOptions) => Effect.asVoid(request(stateless ? "server/discover" : "ping", undefined, requestOptions)),
      listTools,
      listAllTools: listAll(listTools, (page) => page.tools, (page) => page.nextCursor),
      callTool: (name, args, requestOptions) =>
        Effect.flatMap(request("tools/call", args === undefined ? { name } : { name, arguments: args }, requestOptions), decodeCallTool),
      listResources,
      listAllResources: listAll(listResources, (page) => page.resources, (page) => page.nextCursor),
      listResourceTemplates,
      listAllResourceTemplates: listAll(listResourceTemplates, (page) => page.resourceTemplates, (page) => page.nextCursor),
      readResource: (uri, requestOptions) => Effect.flatMap(request("resources/read", { uri }, requestOptions), decodeReadResource),
      subscribe: (uri, requestOptions) =>
        stateless
          ? removed("resources/subscribe", "use listen({ resourceSubscriptions: [uri] })")
          : Effect.asVoid(request("resources/subscribe", { uri }, requestOptions)),
      unsubscribe: (uri, requestOptions) =>
        stateless
          ? removed("resources/unsubscribe", "close the scope of the listen subscription")
          : Effect.asVoid(request("resources/unsubscribe", { uri }, requestOptions)),
      listen: (filter) => (stateless ? listenStateless(filter) : listenLegacy(filter)),
      listPrompts,
      listAllPrompts: listAll(listPrompts, (page) => page.prompts, (page) => page.nextCursor),
      getPrompt: (name, args, requestOptions) =>
        Effect.flatMap(request("prompts/get", args === undefined ? { name } : { name, arguments: args }, requestOptions), decodeGetPrompt),
      complete: (params, requestOptions) => Effect.flatMap(request("completion/complete", params as unknown as JsonObject, requestOptions), decodeComplete),
      setLogLevel: (level, requestOptions) =>
        stateless
          // spec 2026-07-28 server/utilities/logging "Per-request log level".
          ? Effect.sync(() => {
            logLevel = level
          })
          : Effect.asVoid(request("logging/setLevel", { level }, requestOptions)),
      sendRootsListChanged: stateless ? Effect.void : notify("notifications/roots/list_changed"),
      clearCache: Effect.sync(() => cache.clear())
    }
    return client
  })
