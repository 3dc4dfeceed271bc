/**
 * The primitives a gateway serves for a backend's: each one forwards its
 * request to the backend under the backend's own name (so the upstream hop
 * carries the right `Mcp-Method`/`Mcp-Name` under 2026-07-28), passes
 * progress back (spec basic/utilities/progress: the downstream token is
 * reported for each upstream notification), and cancels upstream when the
 * downstream request ends (interrupting the client's request sends
 * `notifications/cancelled` with the upstream id; spec
 * basic/utilities/cancellation).
 *
 * @internal
 */
import {
  type Completion,
  JsonRpc,
  Logging,
  McpClient,
  McpError,
  McpSchema,
  type Middleware,
  Progress,
  type Prompt,
  RequestContext,
  RequestState,
  type Resource,
  ResourceTemplate,
  Task,
  Tool
} from "@emcee/core"
import type { HttpHop } from "@emcee/transport"
import { Context, Effect, FiberRef, Option, Schema, Tracer } from "effect"
import * as JsonDepth from "./jsonDepth.js"
import * as Tasks from "./tasks.js"

/** A connection to the backend, as a forwarded request goes over it. */
export interface Link {
  readonly client: McpClient.McpClient
  /**
   * The cheap path of a 2026-07-28 backend over HTTP (see `HttpHop`): a
   * request goes out as one POST, its result comes back undecoded. What it
   * cannot carry (an `input_required` round, `x-mcp-header` parameters) goes
   * through `client`.
   */
  readonly hop: HttpHop.HttpHop | undefined
}

/** What a proxy needs of its backend at call time. */
export interface Upstream {
  readonly backend: string
  /** The connected client, or why there is none. */
  readonly client: () => McpClient.McpClient | string
  /** The gateway's `clientInfo`, stamped on requests sent by a `Link`'s hop. */
  readonly clientInfo: McpSchema.Implementation
  /**
   * Runs a forwarded request, `send` on the connection it goes over (the
   * caller's session; a new one when that is lost and the request may be
   * sent again): the circuit breaker, in-flight tracking, the relay of server requests.
   */
  readonly run: <A>(
    send: (link: Link) => Effect.Effect<A, McpClient.McpClientError>,
    caller: Context.Context<RequestContext.RequestContext>
  ) => Effect.Effect<A, McpClient.McpClientError | Unavailable>
  /**
   * A `run` that sends every request where the first one went: for a backend
   * with instances, that instance (a task and its follow-ups, `tasks/get`,
   * `tasks/update`, `tasks/cancel`, `tasks/result`, belong to the instance
   * that created it); otherwise `run` itself.
   */
  readonly pinned: () => Pinned
  readonly timeoutMillis: number | undefined
  /** Whether the backend offers completion (spec server/utilities/completion). */
  readonly completions: boolean
}

/** A `run` keeping a request's exchanges on one instance (see `Upstream.pinned`). */
export interface Pinned {
  readonly run: Upstream["run"]
  /** The instance the exchanges went to, once one did (a backend with instances). */
  readonly instance: () => string | undefined
  /** Sends the exchanges to this instance: a relayed round's retry goes where the round came from. */
  readonly pinTo: (instance: string) => void
}

/** The backend cannot take the request now (not connected, circuit open). */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", { backend: Schema.String, message: Schema.String }) {}

/**
 * The downstream request a forwarded request serves, for relaying the
 * backend's own requests (sampling, elicitation, roots) to the right
 * client. Under 2026-07-28 the backend's input requests are answered in the
 * forwarding fiber, which sees it; under 2025-11-25 they arrive on the
 * client's reader fiber, and the relay falls back to the backend's only
 * request in flight.
 */
export const currentCaller = FiberRef.unsafeMake<Option.Option<Context.Context<RequestContext.RequestContext>>>(Option.none())

const unavailableText = (error: Unavailable) => `The backend "${error.backend}" is unavailable: ${error.message}`

/** A JSON-RPC error of the backend goes to the caller as it is; a failure of the hop is named after the backend. */
const toProtocolError = (backend: string, error: McpClient.McpClientError | Unavailable): McpError.ProtocolError =>
  error._tag === "Unavailable"
    ? new McpError.InternalError({ message: unavailableText(error) })
    : error.code === McpClient.ClientErrorCode.ConnectionClosed || error.code === McpClient.ClientErrorCode.RequestTimeout ||
        error.code === McpClient.ClientErrorCode.InvalidResult
    ? new McpError.InternalError({ message: `The backend "${backend}" failed: ${error.message}` })
    : new McpError.ServerError({ code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) })

/**
 * A backend's result as the gateway's own: without the fields a 2026-07-28
 * backend puts on every result (`resultType`, spec 2026-07-28 basic/index
 * "ResultType"; `_meta` `io.modelcontextprotocol/serverInfo`), which the
 * gateway's server sets for its own clients as their revision has it.
 */
export const ownResult = <A extends object>(result: A): A => {
  const { resultType: _resultType, _meta, ...rest } = result as A & { readonly resultType?: unknown; readonly _meta?: Record<string, unknown> }
  if (_meta === undefined) return rest as A
  // A 2025-11-25 backend's `tasks/result` relates its result to its own task (spec 2025-11-25 "Related Task Metadata").
  const { "io.modelcontextprotocol/serverInfo": _serverInfo, "io.modelcontextprotocol/related-task": _related, ...meta } = _meta
  return (Object.keys(meta).length === 0 ? rest : { ...rest, _meta: meta }) as A
}

/**
 * The W3C trace context for the upstream hop (spec 2026-07-28 basic/index
 * "OpenTelemetry trace context"): the gateway's own span when it traces,
 * else the caller's `traceparent`/`tracestate` as they came.
 */
const traceContext = (caller: Context.Context<RequestContext.RequestContext>, params: JsonRpc.JsonObject): JsonRpc.JsonObject | undefined => {
  const span = Option.getOrUndefined(Context.getOption(caller, Tracer.ParentSpan))
  if (span !== undefined && span._tag === "Span") {
    return { traceparent: `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}` }
  }
  const meta = params._meta
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return undefined
  const { traceparent, tracestate } = meta as { readonly traceparent?: unknown; readonly tracestate?: unknown }
  if (typeof traceparent !== "string") return undefined
  return typeof tracestate === "string" ? { traceparent, tracestate } : { traceparent }
}

/** Ids of requests sent by hops: unique for the life of the process (each one is its own POST). */
let nextHopId = 0

/** A backend's notification about a request sent by a hop, passed on to that request's caller. */
const passOn = (caller: Context.Context<RequestContext.RequestContext>, progressToken: string | undefined) => (notification: JsonRpc.Notification) => {
  const params = (notification.params ?? {}) as Record<string, unknown>
  if (notification.method === "notifications/progress" && progressToken !== undefined && params.progressToken === progressToken) {
    // spec basic/utilities/progress: reported under the caller's own token.
    if (typeof params.progress !== "number") return Effect.void
    return Progress.report(params.progress, {
      ...(typeof params.total === "number" ? { total: params.total } : {}),
      ...(typeof params.message === "string" ? { message: params.message } : {})
    }).pipe(Effect.provide(caller))
  }
  // spec server/utilities/logging: at the caller's own level.
  if (notification.method === "notifications/message" && Logging.isLevel(params.level)) {
    return Logging.log(params.level, params.data, typeof params.logger === "string" ? params.logger : undefined).pipe(Effect.provide(caller))
  }
  return Effect.void
}

/** What `forward` sends: the backend's method and params, and the same through `McpClient` (a 2025-11-25 backend). */
interface Forwarded<A> {
  readonly method: string
  readonly params: JsonRpc.JsonObject
  /** Whether `hop` can carry it (a tool with `x-mcp-header` parameters cannot). */
  readonly hoppable: boolean
  readonly send: (client: McpClient.McpClient, options: McpClient.RequestOptions) => Effect.Effect<A, McpClient.McpClientError>
}

/** A call the gateway's server runs as a task (see `Tasks`): the backend tool's task support. */
interface AsTask {
  readonly support: "optional" | "required"
}

/** Rounds of one request a backend may ask for before the gateway gives up (as `McpClient`'s `maxInputRounds`). */
const maxInputRounds = 10

/**
 * What a relayed round carries to its retry (see `RequestState.relay`): the
 * backend's own `requestState`, and the instance that asked (its
 * `requestState` and the state behind it are that instance's).
 */
const Carried = Schema.Struct({ requestState: Schema.optional(Schema.String), instance: Schema.optional(Schema.String) })
const decodeCarried = Schema.decodeUnknownOption(Carried)

/** The params of a retry: the original ones, the answers and exactly the `requestState` given (spec mrtr "Client Requirements" 1.-3.). */
const retried = (params: JsonRpc.JsonObject, inputResponses: JsonRpc.JsonObject | undefined, requestState: string | undefined): JsonRpc.JsonObject => ({
  ...params,
  ...(inputResponses === undefined ? {} : { inputResponses }),
  ...(requestState === undefined ? {} : { requestState })
})

/**
 * A request to a 2026-07-28 backend to its end. An `input_required` round
 * (spec 2026-07-28 basic/patterns/mrtr) goes to the caller: under
 * 2026-07-28 passed on whole, every input request in one round under the
 * backend's keys, the backend's `requestState` carried inside the gateway's
 * own (`RequestState.relay`), so the caller's retry is sent on with the
 * caller's `inputResponses` and the backend's `requestState`; where the
 * caller has no rounds (2025-11-25, a task) the gateway asks each input of
 * the caller at once and retries itself (the translation between
 * revisions). A task the backend creates for a call the gateway runs as a
 * task (`asTask`) becomes the gateway's task, followed to its end (see
 * `Tasks.follow`).
 */
const converse = (
  backend: string,
  pinned: Pinned,
  send: (method: string, params: JsonRpc.JsonObject, primary: boolean) => Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError | Unavailable>,
  method: string,
  params: JsonRpc.JsonObject,
  asTask: boolean,
  retrying: boolean
): Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError | Unavailable, RequestContext.RequestContext> => {
  const invalid = (message: string) => new McpClient.McpClientError({ code: McpClient.ClientErrorCode.InvalidResult, message: `Invalid ${method} result: ${message}` })
  const step = (attempt: JsonRpc.JsonObject, round: number): Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError | Unavailable, RequestContext.RequestContext> =>
    Effect.flatMap(send(method, attempt, true), (result) => {
      const resultType = result.resultType
      // The plain case: one exchange.
      if (resultType === undefined || resultType === "complete") return Effect.succeed(ownResult(result))
      if (resultType === "task" && asTask) {
        // spec 2026-07-28 tasks "Task Creation": the backend made a task of the call; the gateway's task is created
        // now (the caller gets its CreateTaskResult) and follows the backend's to its end.
        return Effect.zipRight(Task.escalate, Effect.map(Tasks.follow(backend, (next, nextParams) => send(next, nextParams, false), result), ownResult))
      }
      if (resultType !== "input_required") return Effect.fail(invalid(`unknown resultType ${JSON.stringify(resultType)}`))
      const requests = Tasks.inputRequestsOf(result.inputRequests)
      if (typeof requests === "string") return Effect.fail(invalid(requests))
      const requestState = typeof result.requestState === "string" ? result.requestState : undefined
      if (round >= maxInputRounds) {
        return Effect.fail(
          new McpClient.McpClientError({ code: McpClient.ClientErrorCode.TooManyInputRounds, message: `${method} still asked for input after ${maxInputRounds} rounds; giving up` })
        )
      }
      // spec mrtr "Client Requirements" 1.: with no inputRequests the request may be retried at once.
      if (Object.keys(requests).length === 0) return step(retried(params, undefined, requestState), round + 1)
      return Effect.flatMap(RequestState.relaying, (relaying) =>
        relaying
          ? Effect.suspend(() => {
            const instance = pinned.instance()
            return RequestState.relay(requests, {
              ...(requestState === undefined ? {} : { requestState }),
              ...(instance === undefined ? {} : { instance })
            })
          })
          : Effect.flatMap(Tasks.answerAll(requests), (answers) => step(retried(params, answers, requestState), round + 1)))
    })
  if (!retrying) return step(params, 0)
  // The caller's retry of a round passed on: its answers and the backend's requestState go on.
  return Effect.flatMap(RequestState.relayed, (retry) => {
    if (Option.isNone(retry)) return step(params, 0)
    const carried = Option.getOrUndefined(decodeCarried(retry.value.carried))
    if (carried?.instance !== undefined) pinned.pinTo(carried.instance)
    return step(retried(params, retry.value.inputResponses, carried?.requestState), 0)
  })
}

/**
 * Forwards one request with the caller's progress token and the relay
 * context: to a 2026-07-28 backend as it came (the hop when it can carry it,
 * see `converse`), to a 2025-11-25 backend through `McpClient`.
 */
const forward = <A extends object>(
  upstream: Upstream,
  forwarded: Forwarded<A>,
  asTask?: (caller: Context.Context<never>) => AsTask | undefined
): Effect.Effect<A, McpClient.McpClientError | Unavailable, RequestContext.RequestContext> =>
  Effect.contextWithEffect((caller: Context.Context<RequestContext.RequestContext>) => {
    const client = upstream.client()
    if (typeof client === "string") return Effect.fail(new Unavailable({ backend: upstream.backend, message: client }))
    const request = Context.get(caller, RequestContext.RequestContext)
    if (JsonDepth.deeperThan(request.params, JsonDepth.MAX_DEPTH)) return Effect.fail(JsonDepth.tooDeep(upstream.backend))
    const trace = traceContext(caller, request.params)
    const task = asTask?.(caller as Context.Context<never>)
    // The backend asks only for what the caller can answer (spec 2026-07-28 basic/patterns/mrtr "Server Requirements"),
    // and makes a task only of a call the gateway runs as one (spec 2026-07-28 tasks "Capability Negotiation").
    const capabilities = task === undefined ? Tasks.withoutTasks(request.session.clientCapabilities) : Tasks.withTasks(request.session.clientCapabilities)
    // For `McpClient`; built only when used: the hop carries nearly every request.
    const options = (): McpClient.RequestOptions => ({
      ...(trace === undefined ? {} : { meta: trace }),
      ...(upstream.timeoutMillis === undefined ? {} : { timeoutMillis: upstream.timeoutMillis }),
      ...(capabilities === undefined ? {} : { clientCapabilities: capabilities }),
      ...(request.progressToken === undefined ? {} : {
        onProgress: (progress: McpSchema.ProgressNotificationParams) =>
          Progress.report(progress.progress, {
            ...(progress.total === undefined ? {} : { total: progress.total }),
            ...(progress.message === undefined ? {} : { message: progress.message })
          }).pipe(Effect.provide(caller))
      })
    })
    const viaClient = <B>(effect: Effect.Effect<B, McpClient.McpClientError>) => Effect.locally(effect, currentCaller, Option.some(caller))
    if (!McpSchema.isStateless(client.protocolVersion)) {
      // A 2025-11-25 backend: its own requests (sampling, elicitation, roots) come as server-to-client requests,
      // relayed to the caller by the gateway's handlers.
      const full = upstream.run((link) => viaClient(Effect.map(forwarded.send(link.client, options()), ownResult)), caller)
      if (task === undefined) return full
      // spec 2025-11-25 basic/utilities/tasks: the gateway's task exists at once; a tool that must run as a task
      // runs as one upstream too ("Tool-Level Negotiation"), any other is a plain call the task waits on.
      if (task.support === "optional") return Effect.zipRight(Task.escalate, full)
      // The task and its follow-ups on one instance.
      const run = upstream.pinned().run
      const legacySend = (method: string, params: JsonRpc.JsonObject, timeoutMillis?: number) =>
        run((link) => viaClient(link.client.request(method, params, timeoutMillis === undefined ? options() : { ...options(), timeoutMillis })), caller)
      return Effect.zipRight(Task.escalate, Effect.map(Tasks.legacy(legacySend, forwarded.params), (result) => ownResult(result) as unknown as A))
    }
    // Every exchange of the request (its rounds, a task's follow-ups) on the instance the first went to: a
    // backend's requestState and tasks are its own.
    const pinned = upstream.pinned()
    const run = pinned.run
    const send = (method: string, params: JsonRpc.JsonObject, primary: boolean): Effect.Effect<JsonRpc.JsonObject, McpClient.McpClientError | Unavailable> =>
      run((link) => {
      // The result as it came: `converse` reads its `resultType`.
      const full = () =>
        viaClient(link.client.request(method, params, primary ? { ...options(), returnInputRequired: true } : {
          ...(upstream.timeoutMillis === undefined ? {} : { timeoutMillis: upstream.timeoutMillis }),
          ...(capabilities === undefined ? {} : { clientCapabilities: capabilities }),
          returnInputRequired: true
        }))
      const hop = link.hop
      if (hop === undefined || (primary && !forwarded.hoppable)) return full()
      const id = ++nextHopId
      const progressToken = primary && request.progressToken !== undefined ? `gateway-${id}` : undefined
      const message: JsonRpc.Request = {
        jsonrpc: "2.0",
        id,
        method,
        params: {
          ...params,
          // spec 2026-07-28 basic/index "Request Metadata", as `McpClient` stamps it.
          _meta: {
            ...(primary ? trace : undefined),
            ...(progressToken === undefined ? {} : { progressToken }),
            [McpSchema.MetaKey.protocolVersion]: McpSchema.STATELESS_PROTOCOL_VERSION,
            [McpSchema.MetaKey.clientInfo]: upstream.clientInfo as unknown as JsonRpc.JsonObject,
            [McpSchema.MetaKey.clientCapabilities]: (capabilities ?? {}) as JsonRpc.JsonObject,
            // Every level: the caller's own level filters (spec server/utilities/logging).
            [McpSchema.MetaKey.logLevel]: "debug"
          }
        }
      }
      return Effect.catchIf(
        hop.send({ message, timeoutMillis: upstream.timeoutMillis, onNotification: passOn(caller, progressToken) }),
        // A tool whose headers the backend refused is listed again by the client, then retried (spec 2026-07-28
        // basic/transports/streamable-http "Client Behavior").
        (error) => error.code === JsonRpc.ErrorCode.HeaderMismatch,
        full
      )
    }, caller)
    // Only a retry carries a requestState (a round the gateway passed on has its own sealed in it).
    const retrying = request.params.requestState !== undefined
    // `converse` answers the backend's result for the method `forwarded` names: an `A`.
    return converse(upstream.backend, pinned, send, forwarded.method, forwarded.params, task !== undefined, retrying) as unknown as Effect.Effect<
      A,
      McpClient.McpClientError | Unavailable,
      RequestContext.RequestContext
    >
  })

/**
 * A completer refused, as if its prompt or template were unknown, to a
 * caller a middleware of the primitive hides it from (`Middleware.visible`):
 * completion runs outside the primitive's own middleware.
 */
const guarded = (completer: Completion.Completer, middleware: ReadonlyArray<Middleware.Any>, unknown: () => McpError.ProtocolError): Completion.Completer =>
  middleware.every((m) => m.visible === undefined) ? completer : (input) =>
    Effect.flatMap(Effect.context<never>(), (context) =>
      middleware.every((m) => m.visible === undefined || m.visible(context)) ? completer(input) : Effect.fail(unknown()))

/**
 * An answer over the gateway's `maxResponseBytes` (`data.maxMessageBytes`): like a request the backend
 * refused as too large (HTTP 413), a failure of this call the model can act on (asking for less).
 */
const tooLarge = (error: McpClient.McpClientError): boolean =>
  error.code === McpClient.ClientErrorCode.InvalidResult && typeof error.data === "object" && error.data !== null &&
  typeof (error.data as { readonly maxMessageBytes?: unknown }).maxMessageBytes === "number"

/**
 * The backend's tool under `advertised`, its `execution` kept: a tool that
 * may run as a task upstream may run as one through the gateway (see
 * `Tasks`). The gateway's server decides as for any tool of its own (spec
 * 2025-11-25 basic/utilities/tasks "Tool-Level Negotiation", 2026-07-28
 * tasks "Capability Negotiation"); its task is created when the backend's
 * is (`creation: "escalate"`), so a call the backend answers at once, or
 * after input rounds, is answered the same way.
 */
export const tool = (upstream: Upstream, original: McpSchema.Tool, advertised: string, middleware: ReadonlyArray<Middleware.Any> = []): Tool.Any => {
  const hoppable = Tool.headerParameters(original).length === 0
  const taskSupport = original.execution?.taskSupport
  const support = taskSupport === "optional" || taskSupport === "required" ? taskSupport : undefined
  // Run as a task when the gateway's server runs the call as one.
  const asTask = support === undefined ? undefined : (caller: Context.Context<never>): AsTask | undefined =>
    Option.isSome(Context.getOption(caller, Task.Current)) ? { support } : undefined
  return {
    _tag: "Tool",
    name: advertised,
    definition: { ...original, name: advertised },
    middleware,
    ...(support === undefined ? {} : { task: { support, creation: "escalate" } }),
    call: (args) =>
      forward(upstream, {
        method: "tools/call",
        params: { name: original.name, arguments: (args ?? {}) as JsonRpc.JsonObject },
        hoppable,
        send: (client, options) => client.callTool(original.name, (args ?? {}) as JsonRpc.JsonObject, options)
      }, asTask).pipe(
          Effect.catchAll((error) =>
            // spec server/tools "Error Handling": an unreachable backend is a tool execution error the model can act on.
            error._tag === "Unavailable"
              ? Effect.succeed({ content: [{ type: "text", text: unavailableText(error) }], isError: true } as McpSchema.CallToolResult)
              : error.code === McpClient.ClientErrorCode.ConnectionClosed || error.code === McpClient.ClientErrorCode.RequestTimeout || tooLarge(error)
              ? Effect.succeed({ content: [{ type: "text", text: `The backend "${upstream.backend}" failed: ${error.message}` }], isError: true } as McpSchema.CallToolResult)
              : Effect.fail(toProtocolError(upstream.backend, error))
          )
        )
  }
}

const completer = (upstream: Upstream, ref: McpSchema.CompleteRequestParams["ref"], argument: string): Completion.Completer => (input) =>
  forward(upstream, {
    method: "completion/complete",
    params: { ref, argument: { name: argument, value: input.value }, context: { arguments: input.arguments } } as unknown as JsonRpc.JsonObject,
    hoppable: true,
    send: (client, options) => client.complete({ ref, argument: { name: argument, value: input.value }, context: { arguments: input.arguments } }, options)
  }).pipe(
      Effect.map((result) => result.completion.values),
      Effect.mapError((error) => toProtocolError(upstream.backend, error))
    )

/** The backend's prompt under `advertised`, with completion of its arguments forwarded (spec server/utilities/completion). */
export const prompt = (upstream: Upstream, original: McpSchema.Prompt, advertised: string, middleware: ReadonlyArray<Middleware.Any> = []): Prompt.Any => ({
  _tag: "Prompt",
  name: advertised,
  definition: { ...original, name: advertised },
  middleware,
  completers: !upstream.completions ? {} : Object.fromEntries(
    (original.arguments ?? []).map((argument) => [
      argument.name,
      guarded(completer(upstream, { type: "ref/prompt", name: original.name }, argument.name), middleware, () =>
        new McpError.InvalidParams({ message: `Unknown prompt: ${McpError.clip(advertised)}` }))
    ])
  ),
  get: (args) =>
    forward(upstream, {
      method: "prompts/get",
      params: { name: original.name, arguments: (args ?? {}) as JsonRpc.JsonObject },
      hoppable: true,
      send: (client, options) => client.getPrompt(original.name, (args ?? {}) as Record<string, string>, options)
    }).pipe(
      Effect.mapError((error) => toProtocolError(upstream.backend, error))
    )
})

const readOf = (uri: string): Forwarded<McpSchema.ReadResourceResult> => ({
  method: "resources/read",
  params: { uri },
  hoppable: true,
  send: (client, options) => client.readResource(uri, options)
})

/** The backend's resource, under its own URI. */
export const resource = (upstream: Upstream, original: McpSchema.Resource, middleware: ReadonlyArray<Middleware.Any> = []): Resource.Any => ({
  _tag: "Resource",
  uri: original.uri,
  definition: original,
  middleware,
  cache: undefined,
  read: (uri) =>
    forward(upstream, readOf(uri)).pipe(Effect.mapError((error) => toProtocolError(upstream.backend, error)))
})

const Variables = Schema.Record({ key: Schema.String, value: Schema.String })

/** `make` compiles the template (match, expand); reads go to the backend whole, `_meta` included. */
const compiled = (original: McpSchema.ResourceTemplate): ResourceTemplate.Any =>
  ResourceTemplate.make({ ...original, params: Variables, read: () => Effect.succeed([]) }) as ResourceTemplate.Any

/** Whether a URI is one of a URI template's (RFC 6570, as the gateway's server matches it for `resources/read`). */
export const matcher = (uriTemplate: string): (uri: string) => boolean => {
  const made = compiled({ uriTemplate, name: uriTemplate })
  return (uri) => made.match(uri) !== undefined
}

/** The backend's resource template, reads and completion forwarded. */
export const resourceTemplate = (upstream: Upstream, original: McpSchema.ResourceTemplate, middleware: ReadonlyArray<Middleware.Any> = []): ResourceTemplate.Any => {
  const made = compiled(original)
  const variables = [...original.uriTemplate.matchAll(/\{[+#./;?&]?([^}]+)\}/g)].flatMap((match) => match[1]!.split(",").map((v) => v.replace(/[*]|:\d+$/g, "")))
  return {
    ...made,
    middleware,
    read: (uri) =>
      forward(upstream, readOf(uri)).pipe(Effect.mapError((error) => toProtocolError(upstream.backend, error))),
    completers: !upstream.completions ? {} : Object.fromEntries(
      variables.map((variable) => [
        variable,
        guarded(completer(upstream, { type: "ref/resource", uri: original.uriTemplate }, variable), middleware, () =>
          new McpError.InvalidParams({ message: `Unknown resource template: ${McpError.clip(original.uriTemplate)}` }))
      ])
    )
  }
}
