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
  type JsonRpc,
  McpClient,
  McpError,
  type McpSchema,
  Progress,
  type Prompt,
  RequestContext,
  type Resource,
  ResourceTemplate,
  type Tool
} from "@emcee/core"
import { Context, Effect, FiberRef, Option, Schema, Tracer } from "effect"
import * as JsonDepth from "./jsonDepth.js"

/** What a proxy needs of its backend at call time. */
export interface Upstream {
  readonly backend: string
  /** The connected client, or why there is none. */
  readonly client: () => McpClient.McpClient | string
  /** Runs a forwarded request: the circuit breaker, in-flight tracking, the relay of server requests. */
  readonly run: <A>(effect: Effect.Effect<A, McpClient.McpClientError>, caller: Context.Context<RequestContext.RequestContext>) => Effect.Effect<A, McpClient.McpClientError | Unavailable>
  readonly timeoutMillis: number | undefined
  /** Whether the backend offers completion (spec server/utilities/completion). */
  readonly completions: boolean
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
  const { "io.modelcontextprotocol/serverInfo": _serverInfo, ...meta } = _meta
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

/** Forwards one request with the caller's progress token and the relay context. */
const forward = <A extends object>(
  upstream: Upstream,
  send: (client: McpClient.McpClient, options: McpClient.RequestOptions) => Effect.Effect<A, McpClient.McpClientError>
): Effect.Effect<A, McpClient.McpClientError | Unavailable, RequestContext.RequestContext> =>
  Effect.flatMap(Effect.context<RequestContext.RequestContext>(), (caller) => {
    const client = upstream.client()
    if (typeof client === "string") return Effect.fail(new Unavailable({ backend: upstream.backend, message: client }))
    const request = Context.get(caller, RequestContext.RequestContext)
    if (JsonDepth.deeperThan(request.params, JsonDepth.MAX_DEPTH)) return Effect.fail(JsonDepth.tooDeep(upstream.backend))
    const trace = traceContext(caller, request.params)
    const options: McpClient.RequestOptions = {
      ...(trace === undefined ? {} : { meta: trace }),
      ...(upstream.timeoutMillis === undefined ? {} : { timeoutMillis: upstream.timeoutMillis }),
      // The backend asks only for what the caller can answer (spec 2026-07-28 basic/patterns/mrtr "Server Requirements").
      clientCapabilities: request.session.clientCapabilities,
      ...(request.progressToken === undefined ? {} : {
        onProgress: (progress: McpSchema.ProgressNotificationParams) =>
          Progress.report(progress.progress, {
            ...(progress.total === undefined ? {} : { total: progress.total }),
            ...(progress.message === undefined ? {} : { message: progress.message })
          }).pipe(Effect.provide(caller))
      })
    }
    return upstream.run(Effect.locally(Effect.map(send(client, options), ownResult), currentCaller, Option.some(caller)), caller)
  })

/** The backend's tool under `advertised`. Its `execution` (tasks) is not passed on: the gateway forwards plain calls. */
export const tool = (upstream: Upstream, original: McpSchema.Tool, advertised: string): Tool.Any => {
  const { execution: _execution, ...definition } = original as McpSchema.Tool & { readonly execution?: unknown }
  return {
    _tag: "Tool",
    name: advertised,
    definition: { ...definition, name: advertised } as McpSchema.Tool,
    middleware: [],
    call: (args) =>
      forward(upstream, (client, options) => client.callTool(original.name, (args ?? {}) as JsonRpc.JsonObject, options)).pipe(
        Effect.catchAll((error) =>
          // spec server/tools "Error Handling": an unreachable backend is a tool execution error the model can act on.
          error._tag === "Unavailable"
            ? Effect.succeed({ content: [{ type: "text", text: unavailableText(error) }], isError: true } as McpSchema.CallToolResult)
            : error.code === McpClient.ClientErrorCode.ConnectionClosed || error.code === McpClient.ClientErrorCode.RequestTimeout
            ? Effect.succeed({ content: [{ type: "text", text: `The backend "${upstream.backend}" failed: ${error.message}` }], isError: true } as McpSchema.CallToolResult)
            : Effect.fail(toProtocolError(upstream.backend, error))
        )
      )
  }
}

const completer = (upstream: Upstream, ref: McpSchema.CompleteRequestParams["ref"], argument: string): Completion.Completer => (input) =>
  forward(upstream, (client, options) =>
    client.complete({ ref, argument: { name: argument, value: input.value }, context: { arguments: input.arguments } }, options)).pipe(
      Effect.map((result) => result.completion.values),
      Effect.mapError((error) => toProtocolError(upstream.backend, error))
    )

/** The backend's prompt under `advertised`, with completion of its arguments forwarded (spec server/utilities/completion). */
export const prompt = (upstream: Upstream, original: McpSchema.Prompt, advertised: string): Prompt.Any => ({
  _tag: "Prompt",
  name: advertised,
  definition: { ...original, name: advertised },
  middleware: [],
  completers: !upstream.completions ? {} : Object.fromEntries(
    (original.arguments ?? []).map((argument) => [argument.name, completer(upstream, { type: "ref/prompt", name: original.name }, argument.name)])
  ),
  get: (args) =>
    forward(upstream, (client, options) => client.getPrompt(original.name, (args ?? {}) as Record<string, string>, options)).pipe(
      Effect.mapError((error) => toProtocolError(upstream.backend, error))
    )
})

/** The backend's resource, under its own URI. */
export const resource = (upstream: Upstream, original: McpSchema.Resource): Resource.Any => ({
  _tag: "Resource",
  uri: original.uri,
  definition: original,
  middleware: [],
  cache: undefined,
  read: (uri) =>
    forward(upstream, (client, options) => client.readResource(uri, options)).pipe(Effect.mapError((error) => toProtocolError(upstream.backend, error)))
})

const Variables = Schema.Record({ key: Schema.String, value: Schema.String })

/** The backend's resource template, reads and completion forwarded. */
export const resourceTemplate = (upstream: Upstream, original: McpSchema.ResourceTemplate): ResourceTemplate.Any => {
  // `make` compiles the template (match, expand); reads go to the backend whole, `_meta` included.
  const made = ResourceTemplate.make({ ...original, params: Variables, read: () => Effect.succeed([]) }) as ResourceTemplate.Any
  const variables = [...original.uriTemplate.matchAll(/\{[+#./;?&]?([^}]+)\}/g)].flatMap((match) => match[1]!.split(",").map((v) => v.replace(/[*]|:\d+$/g, "")))
  return {
    ...made,
    read: (uri) =>
      forward(upstream, (client, options) => client.readResource(uri, options)).pipe(Effect.mapError((error) => toProtocolError(upstream.backend, error))),
    completers: !upstream.completions ? {} : Object.fromEntries(
      variables.map((variable) => [variable, completer(upstream, { type: "ref/resource", uri: original.uriTemplate }, variable)])
    )
  }
}
