import { Cause, Context, DefaultServices, Deferred, Effect, Either, Exit, Fiber, FiberRef, PubSub, Runtime, RuntimeFlags, Schema, type Scope, Tracer } from "effect"
import type { ClientSession, RequestOptions } from "../ClientSession.js"
import type { Completer } from "../Completion.js"
import * as JsonRpc from "../JsonRpc.js"
import * as Logging from "../Logging.js"
import type * as McpServer from "../McpServer.js"
import * as McpError from "../McpError.js"
import * as McpSchema from "../McpSchema.js"
import * as Metrics from "../Metrics.js"
import * as Middleware from "../Middleware.js"
import type * as Prompt from "../Prompt.js"
import { RequestContext, type Request as RequestInfo } from "../RequestContext.js"
import type * as Resource from "../Resource.js"
import type * as ResourceTemplate from "../ResourceTemplate.js"
import type * as Tool from "../Tool.js"
import { formatIssues } from "../Tool.js"

type JsonObject = JsonRpc.JsonObject
type Handler = (request: JsonRpc.Request, session: Session, info: RequestInfo) => Effect.Effect<JsonObject, McpError.ProtocolError>

/** Mutable state of one client session; the public view is `ClientSession`. */
interface Session extends ClientSession {
  protocolVersion: string
  clientInfo: McpSchema.Implementation | undefined
  clientCapabilities: McpSchema.ClientCapabilities
  logLevel: McpSchema.LoggingLevel | undefined
  initialized: boolean
  /** The initialize request was answered (spec basic/lifecycle "Initialization"). */
  initializeAnswered: boolean
  readonly subscriptions: Set<string>
  /** Spans are recorded: a tracer other than Effect's built-in one was installed when the session began. */
  readonly traced: boolean
}

/**
 * Effect's built-in tracer, whose spans nobody exports: when it is the tracer, no spans are made.
 * Read from the default services (what `Effect.tracer` yields when nothing replaced it), so that
 * importing this module runs no effect.
 */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** `Effect.withSpan` when the session is traced, else nothing: an unexported span costs ~10 µs. */
const traced = <A, E, R>(
  session: Session,
  name: string,
  options: { readonly attributes?: Record<string, unknown>; readonly kind?: "server" | "internal" }
) =>
(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  session.traced ? Effect.withSpan(effect, name, { ...options, captureStackTrace: false }) : effect

const decodeInitialize = Schema.decodeUnknownEither(McpSchema.InitializeRequestParams)
const decodeComplete = Schema.decodeUnknownEither(McpSchema.CompleteRequestParams)

/** spec basic/utilities/pagination: cursors are opaque; ours are base64url of an offset. */
const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString("base64url")
const decodeCursor = (cursor: unknown): number | undefined => {
  if (cursor === undefined) return 0
  if (typeof cursor !== "string") return undefined
  const text = Buffer.from(cursor, "base64url").toString("utf8")
  if (!text.startsWith("o:")) return undefined
  const offset = Number(text.slice(2))
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined
}

const metaOf = (params: JsonObject | undefined): JsonObject | undefined => {
  const meta = params?._meta
  return typeof meta === "object" && meta !== null && !Array.isArray(meta) ? (meta as JsonObject) : undefined
}

const progressTokenOf = (params: JsonObject | undefined): McpSchema.ProgressToken | undefined => {
  const token = metaOf(params)?.progressToken
  return typeof token === "string" || typeof token === "number" ? token : undefined
}

const stringParam = (params: JsonObject | undefined, key: string): string | undefined => {
  const value = params?.[key]
  return typeof value === "string" ? value : undefined
}

const requireString = (params: JsonObject | undefined, key: string): Effect.Effect<string, McpError.InvalidParams> => {
  const value = stringParam(params, key)
  return value === undefined
    ? Effect.fail(new McpError.InvalidParams({ message: `"params.${key}" must be a string` }))
    : Effect.succeed(value)
}

/** spec 2025-11-25 schema.json CallToolRequestParams: `arguments` is absent or a JSON object (null, arrays and scalars are not). */
const isArguments = (u: unknown): boolean => u === undefined || (typeof u === "object" && u !== null && !Array.isArray(u))

const argumentsNotAnObject = () => new McpError.InvalidParams({ message: `"params.arguments" must be an object` })

/**
 * `tool.call(args)`, which never throws: a `Tool` need not come from
 * `Tool.make`, and a throw here would escape the request's fiber (on the fast
 * path, into the transport's callback). A throw is a defect, answered -32603.
 */
const callTool = (tool: Tool.Any, args: unknown): Effect.Effect<JsonObject, McpError.ProtocolError> => {
  try {
    return tool.call(args) as unknown as Effect.Effect<JsonObject, McpError.ProtocolError>
  } catch (e) {
    return Effect.die(e)
  }
}

/** Failures that are not protocol errors become -32603; the cause is logged, never sent. */
const orInternal = <A, R>(effect: Effect.Effect<A, unknown, R>, what: string): Effect.Effect<A, McpError.ProtocolError, R> =>
  Effect.catchAll(effect, (error) =>
    McpError.isProtocolError(error)
      ? Effect.fail(error)
      : Effect.zipRight(
        Effect.logError(`${what} failed`, error),
        // The error's own message may carry internals (hosts, credentials, paths): it is logged, not sent.
        Effect.fail(new McpError.InternalError({ message: `${what} failed` }))
      ))

/**
 * The fiber's context with a registered item's services over it, per
 * registered context: the last parent it was merged with and the result.
 * Contexts are immutable, so a hit is exact; one transport runtime means
 * nearly every request hits, leaving one copy (adding `RequestContext`).
 */
const mergedContexts = new WeakMap<Context.Context<never>, { parent: Context.Context<never>; merged: Context.Context<never> }>()

const registeredContext = (parent: Context.Context<never>, context: Context.Context<never>, info: RequestInfo): Context.Context<never> => {
  let entry = mergedContexts.get(context)
  if (entry === undefined || entry.parent !== parent) {
    entry = { parent, merged: Context.merge(parent, context) }
    mergedContexts.set(context, entry)
  }
  return Context.add(entry.merged, RequestContext, info) as Context.Context<never>
}

/**
 * Runs a registered handler with the services captured when it was
 * registered and the request's `RequestContext` over the fiber's own (what
 * `Effect.provide` does, in fewer steps: this is the per-request hot path).
 * `after` runs once the fiber's context is back, whatever the outcome, as
 * `Effect.onExit` would; it returns undefined when it has nothing to run.
 */
const withRegistered = <A, E>(
  effect: Effect.Effect<A, E, unknown>,
  context: Context.Context<never>,
  info: RequestInfo,
  after?: (exit: Exit.Exit<A, E>) => Effect.Effect<unknown> | undefined
): Effect.Effect<A, E> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<A, E>((fiber) => {
      const parent = fiber.currentContext
      const back = (exit: Exit.Exit<A, E>): Effect.Effect<A, E> =>
        Effect.flatMap(FiberRef.set(FiberRef.currentContext, parent), () => {
          const then = after?.(exit)
          return then === undefined ? exit : Effect.onExit(exit, () => then)
        })
      return Effect.zipRight(
        FiberRef.set(FiberRef.currentContext, registeredContext(parent, context, info)),
        Effect.matchCauseEffect(restore(effect as Effect.Effect<A, E>), {
          onSuccess: (value) => back(Exit.succeed(value)),
          onFailure: (cause) => back(Exit.failCause(cause))
        })
      )
    })
  )

const methodsBeforeInitialize = new Set(["initialize", "ping"])

/** The span attribute naming a request's target (OpenTelemetry semantic conventions for MCP). */
const primitiveAttribute = { tool: "gen_ai.tool.name", prompt: "gen_ai.prompt.name", resource: "mcp.resource.uri" } as const

export const make = (options: McpServer.Options): Effect.Effect<McpServer.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Not shut down with the server: sessions that outlive it may still publish their end.
    const events = yield* PubSub.unbounded<McpServer.Event>()
    /**
     * Publishes an event: `unsafeOffer` on the unbounded PubSub never fails
     * unless it was shut down, and then `PubSub.publish` does what it always
     * did (interrupts). Undefined: nothing left to run.
     */
    const publish = (event: McpServer.Event): Effect.Effect<boolean> | undefined =>
      events.unsafeOffer(event) ? undefined : PubSub.publish(events, event)
    const pageSize = options.pageSize ?? 100
    const defaultTimeout = options.clientRequestTimeoutMillis ?? 60_000
    const serverInfo = {
      name: options.name,
      version: options.version,
      ...(options.title === undefined ? {} : { title: options.title }),
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.icons === undefined ? {} : { icons: options.icons }),
      ...(options.websiteUrl === undefined ? {} : { websiteUrl: options.websiteUrl })
    } as McpSchema.Implementation

    const tools = new Map<string, McpServer.Registered<Tool.Any>>()
    const resources = new Map<string, McpServer.Registered<Resource.Any>>()
    const templates = new Map<string, McpServer.Registered<ResourceTemplate.Any>>()
    const prompts = new Map<string, McpServer.Registered<Prompt.Any>>()
    const middleware: Array<Middleware.Middleware<never>> = []
    const sessions = new Set<Session>()
    /** Encoded list pages, dropped whenever the registry they list changes. */
    const listCache = new Map<string, JsonObject>()

    // --- registry changes (spec server/tools, server/resources, server/prompts "List Changed Notification")

    const listChanged = (kind: "tools" | "resources" | "prompts"): Effect.Effect<void> =>
      Effect.suspend(() => {
        for (const key of [...listCache.keys()]) if (key.startsWith(kind)) listCache.delete(key)
        const method = `notifications/${kind}/list_changed`
        return Effect.forEach(sessions, (s) => (s.initialized ? s.notify(method) : Effect.void), { discard: true })
      })

    const put = <A>(map: Map<string, A>, key: string, value: A, kind: "tools" | "resources" | "prompts") =>
      Effect.suspend(() => {
        map.set(key, value)
        return listChanged(kind)
      })
    const remove = <A>(map: Map<string, A>, key: string, kind: "tools" | "resources" | "prompts") =>
      Effect.suspend(() => (map.delete(key) ? Effect.as(listChanged(kind), true) : Effect.succeed(false)))

    // --- capabilities (spec basic/lifecycle "Capability Negotiation")

    const hasCompleters = () =>
      [...prompts.values()].some((p) => Object.keys(p.value.completers).length > 0) ||
      [...templates.values()].some((t) => Object.keys(t.value.completers).length > 0)

    const capabilities = (): McpSchema.ServerCapabilities => {
      const forced = options.capabilities ?? {}
      return {
        logging: {},
        ...(forced.completions || hasCompleters() ? { completions: {} } : {}),
        ...(forced.prompts || prompts.size > 0 ? { prompts: { listChanged: true } } : {}),
        ...(forced.resources || resources.size > 0 || templates.size > 0 ? { resources: { subscribe: true, listChanged: true } } : {}),
        ...(forced.tools || tools.size > 0 ? { tools: { listChanged: true } } : {})
      } as McpSchema.ServerCapabilities
    }

    // --- lists with opaque cursors (spec server/utilities/pagination)

    const page = (kind: string, field: string, items: () => ReadonlyArray<unknown>, params: JsonObject | undefined) =>
      Effect.suspend((): Effect.Effect<JsonObject, McpError.InvalidParams> => {
        const offset = decodeCursor(params?.cursor)
        if (offset === undefined) return Effect.fail(new McpError.InvalidParams({ message: "Invalid cursor" }))
        const key = `${kind}:${offset}`
        const cached = listCache.get(key)
        if (cached !== undefined) return Effect.succeed(cached)
        const all = items()
        const slice = all.slice(offset, offset + pageSize)
        const result: JsonObject = offset + pageSize < all.length
          ? { [field]: slice, nextCursor: encodeCursor(offset + pageSize) }
          : { [field]: slice }
        listCache.set(key, result)
        return Effect.succeed(result)
      })

    // --- completion (spec server/utilities/completion)

    const complete = (params: JsonObject | undefined, info: RequestInfo): Effect.Effect<JsonObject, McpError.ProtocolError> =>
      Effect.gen(function*() {
        const decoded = decodeComplete(params ?? {})
        if (Either.isLeft(decoded)) {
          return yield* Effect.fail(new McpError.InvalidParams({ message: `Invalid completion/complete params: ${formatIssues(decoded.left)}` }))
        }
        const { argument, context, ref } = decoded.right
        let completer: Completer<unknown> | undefined
        let registered: McpServer.Registered<unknown> | undefined
        if (ref.type === "ref/prompt") {
          const prompt = prompts.get(ref.name)
          if (prompt === undefined) return yield* Effect.fail(new McpError.InvalidParams({ message: `Unknown prompt: ${ref.name}` }))
          completer = prompt.value.completers[argument.name]
          registered = prompt
        } else {
          const template = templates.get(ref.uri)
          if (template === undefined) {
            return yield* Effect.fail(new McpError.InvalidParams({ message: `Unknown resource template: ${ref.uri}` }))
          }
          completer = template.value.completers[argument.name]
          registered = template
        }
        if (completer === undefined) return { completion: { values: [], total: 0, hasMore: false } }
        const values = yield* orInternal(
          withRegistered(completer({ value: argument.value, arguments: context?.arguments ?? {} }), registered.context, info),
          "completion"
        )
        return {
          completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 }
        }
      })

    // --- the method table

    const methods = new Map<string, Handler>()

    // spec basic/lifecycle "Initialization" and "Version Negotiation"
    methods.set("initialize", (request, session) =>
      Effect.suspend((): Effect.Effect<JsonObject, McpError.ProtocolError> => {
        if (session.initializeAnswered) return Effect.fail(new McpError.InvalidRequest({ message: "The session is already initialized" }))
        const decoded = decodeInitialize(request.params ?? {})
        if (Either.isLeft(decoded)) {
          return Effect.fail(new McpError.InvalidParams({ message: `Invalid initialize params: ${formatIssues(decoded.left)}` }))
        }
        const requested = decoded.right.protocolVersion
        session.protocolVersion = (McpSchema.SUPPORTED_PROTOCOL_VERSIONS as ReadonlyArray<string>).includes(requested)
          ? requested
          : McpSchema.LATEST_PROTOCOL_VERSION
        session.clientCapabilities = decoded.right.capabilities
        session.clientInfo = decoded.right.clientInfo
        session.initializeAnswered = true
        return Effect.succeed({
          protocolVersion: session.protocolVersion,
          capabilities: capabilities(),
          serverInfo,
          ...(options.instructions === undefined ? {} : { instructions: options.instructions })
        })
      }))

    // spec basic/utilities/ping
    methods.set("ping", () => Effect.succeed({}))

    // spec server/tools "Listing Tools"
    methods.set("tools/list", (request) => page("tools", "tools", () => [...tools.values()].map((t) => t.value.definition), request.params))

    // spec server/tools "Calling Tools"
    methods.set("tools/call", (request, session, info) => {
      // Plain code, no generator: this is the hot path of a tool server.
      const name = stringParam(request.params, "name")
      if (name === undefined) return Effect.fail(new McpError.InvalidParams({ message: `"params.name" must be a string` }))
      const tool = tools.get(name)
      if (tool === undefined) return Effect.fail(new McpError.InvalidParams({ message: `Unknown tool: ${McpError.clip(name)}` }))
      const args = request.params?.arguments
      // A malformed request is a protocol error (spec 2025-11-25 server/tools "Error Handling"), before any middleware.
      if (!isArguments(args)) return Effect.fail(argumentsNotAnObject())
      const start = performance.now()
      const call = callTool(tool.value, args)
      const run = tool.value.middleware.length === 0 ? call : Middleware.compose(tool.value.middleware, {
        id: request.id,
        method: request.method,
        params: request.params ?? {},
        primitive: { kind: "tool", name },
        session
      }, call)
      const record = (exit: Exit.Exit<JsonObject, McpError.ProtocolError>) => {
        const outcome = Exit.isSuccess(exit) ? (exit.value.isError === true ? "tool_error" : "ok") : "error"
        Metrics.unsafeRecordToolCall(name, outcome)
        return publish({ _tag: "ToolCalled", session, tool: name, outcome, millis: performance.now() - start })
      }
      if (!session.traced) return withRegistered(run, tool.context, info, record)
      return withRegistered(run, tool.context, info).pipe(
        traced(session, `tool ${name}`, { attributes: { "gen_ai.tool.name": name } }),
        Effect.onExit((exit) => record(exit) ?? Effect.void)
      )
    })

    // spec server/resources "Listing Resources", "Resource Templates", "Reading Resources"
    methods.set("resources/list", (request) =>
      page("resources", "resources", () => [...resources.values()].map((r) => r.value.definition), request.params))
    methods.set("resources/templates/list", (request) =>
      page("resources/templates", "resourceTemplates", () => [...templates.values()].map((t) => t.value.definition), request.params))
    methods.set("resources/read", (request, session, info) =>
      Effect.gen(function*() {
        const uri = yield* requireString(request.params, "uri")
        const resource = resources.get(uri)
        if (resource !== undefined) {
          return yield* withRegistered(orInternal(resource.value.read(uri), `resources/read ${uri}`), resource.context, info).pipe(
            traced(session, `resource ${uri}`, { attributes: { "mcp.resource.uri": uri } })
          )
        }
        for (const template of templates.values()) {
          const variables = template.value.match(uri)
          if (variables === undefined) continue
          return yield* withRegistered(orInternal(template.value.read(uri, variables), `resources/read ${uri}`), template.context, info).pipe(
            traced(session, `resource ${template.value.definition.uriTemplate}`, { attributes: { "mcp.resource.uri": uri } })
          )
        }
        return yield* Effect.fail(new McpError.ResourceNotFound({ uri }))
      }))

    // spec server/resources "Subscriptions"
    methods.set("resources/subscribe", (request, session) =>
      Effect.map(requireString(request.params, "uri"), (uri) => {
        session.subscriptions.add(uri)
        return {}
      }))
    methods.set("resources/unsubscribe", (request, session) =>
      Effect.map(requireString(request.params, "uri"), (uri) => {
        session.subscriptions.delete(uri)
        return {}
      }))

    // spec server/prompts "Listing Prompts", "Getting a Prompt"
    methods.set("prompts/list", (request) => page("prompts", "prompts", () => [...prompts.values()].map((p) => p.value.definition), request.params))
    methods.set("prompts/get", (request, session, info) =>
      Effect.gen(function*() {
        const name = yield* requireString(request.params, "name")
        const prompt = prompts.get(name)
        if (prompt === undefined) return yield* Effect.fail(new McpError.InvalidParams({ message: `Unknown prompt: ${name}` }))
        const mwRequest: Middleware.Request = {
          id: request.id,
          method: request.method,
          params: request.params ?? {},
          primitive: { kind: "prompt", name },
          session
        }
        return yield* withRegistered(
          Middleware.compose(
            prompt.value.middleware,
            mwRequest,
            orInternal(prompt.value.get(request.params?.arguments), `prompts/get ${name}`) as unknown as Effect.Effect<JsonObject, McpError.ProtocolError>
          ),
          prompt.context,
          info
        ).pipe(traced(session, `prompt ${name}`, { attributes: { "gen_ai.prompt.name": name } }))
      }))

    // spec server/utilities/completion
    methods.set("completion/complete", (request, _session, info) => complete(request.params, info))

    // spec server/utilities/logging "Setting Log Level"
    methods.set("logging/setLevel", (request, session) => {
      const level = request.params?.level
      if (!Logging.isLevel(level)) {
        return Effect.fail(new McpError.InvalidParams({ message: `"params.level" must be one of ${Logging.levels.join(", ")}` }))
      }
      session.logLevel = level
      return Effect.succeed({})
    })

    // --- dispatch

    const primitiveOf = (request: JsonRpc.Request): Middleware.Primitive | undefined => {
      switch (request.method) {
        case "tools/call": {
          const name = stringParam(request.params, "name")
          return name === undefined ? undefined : { kind: "tool", name }
        }
        case "prompts/get": {
          const name = stringParam(request.params, "name")
          return name === undefined ? undefined : { kind: "prompt", name }
        }
        case "resources/read": {
          const uri = stringParam(request.params, "uri")
          return uri === undefined ? undefined : { kind: "resource", name: uri }
        }
        default:
          return undefined
      }
    }

    const withGlobalMiddleware = (mwRequest: Middleware.Request, effect: Effect.Effect<JsonObject, McpError.ProtocolError>) =>
      middleware.length === 0 ? effect : Middleware.compose(middleware, mwRequest, effect)

    /**
     * Serves one request. `onEnd` (synchronous) runs once it is over, whatever
     * the outcome, after the request metrics; `interruptible` makes the
     * handling interruptible (a request on a fiber of its own).
     */
    const dispatch = (
      request: JsonRpc.Request,
      session: Session,
      onEnd?: () => void,
      interruptible = false
    ): Effect.Effect<JsonRpc.Response> => {
      const handler = methods.get(request.method)
      const metricMethod = handler === undefined ? "unknown" : request.method
      const primitive = primitiveOf(request)
      const start = performance.now()
      let effect: Effect.Effect<JsonObject, McpError.ProtocolError, RequestContext>
      if (handler === undefined) {
        effect = Effect.fail(new McpError.MethodNotFound({ method: request.method }))
      } else if (!session.initializeAnswered && !methodsBeforeInitialize.has(request.method)) {
        effect = Effect.fail(new McpError.InvalidRequest({ message: `Send initialize before ${request.method} (spec basic/lifecycle)` }))
      } else {
        const context: RequestInfo = {
          requestId: request.id,
          method: request.method,
          params: request.params ?? {},
          session,
          progressToken: progressTokenOf(request.params)
        }
        const handled = handler(request, session, context)
        effect = middleware.length === 0 ? handled : withGlobalMiddleware({
          id: request.id,
          method: request.method,
          params: request.params ?? {},
          primitive,
          session
        }, handled)
      }
      const responded = effect.pipe(
        Effect.matchCauseEffect({
          onSuccess: (result) => {
            const response = JsonRpc.success(request.id, result) as JsonRpc.Response
            return session.traced ? Effect.as(Effect.annotateCurrentSpan("mcp.outcome", "ok"), response) : Effect.succeed(response)
          },
          onFailure: (cause) => {
            if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
            const error = McpError.fromCause(cause)
            const log = Cause.failureOption(cause)._tag === "None"
              ? Effect.logError(`${request.method} died`, cause)
              : Effect.void
            return log.pipe(
              Effect.zipRight(Effect.annotateCurrentSpan({ "mcp.outcome": "error", "rpc.jsonrpc.error_code": error.code })),
              Effect.as(JsonRpc.failure(request.id, error.code, error.message, error.data))
            )
          }
        })
      ) as Effect.Effect<JsonRpc.Response, never, RequestContext>
      const record = (outcome: string) => Metrics.unsafeRecordRequest(metricMethod, outcome, (performance.now() - start) / 1000)
      if (!session.traced) {
        // One uninterruptible step for metrics and `onEnd` (what `Effect.onExit` + `Effect.ensuring` did in three).
        return Effect.uninterruptibleMask((restore) =>
          Effect.matchCauseEffect(interruptible ? Effect.interruptible(responded) : restore(responded), {
            onSuccess: (response) => {
              record("error" in response ? "error" : "ok")
              onEnd?.()
              return Effect.succeed(response)
            },
            onFailure: (cause) => {
              record("cancelled")
              onEnd?.()
              return Effect.failCause(cause)
            }
          })
        ) as Effect.Effect<JsonRpc.Response>
      }
      const tracedDispatch = responded.pipe(
        traced(session, primitive === undefined ? request.method : `${request.method} ${primitive.name}`, {
          kind: "server",
          attributes: {
            "mcp.method.name": request.method,
            "jsonrpc.request.id": String(request.id),
            ...(session.sessionId === undefined ? {} : { "mcp.session.id": session.sessionId }),
            ...(primitive === undefined ? {} : { [primitiveAttribute[primitive.kind]]: primitive.name })
          }
        }),
        Effect.onExit((exit) => Effect.sync(() => record(Exit.isSuccess(exit) ? ("error" in exit.value ? "error" : "ok") : "cancelled")))
      ) as Effect.Effect<JsonRpc.Response>
      if (onEnd === undefined) return tracedDispatch
      return Effect.ensuring(interruptible ? Effect.interruptible(tracedDispatch) : tracedDispatch, Effect.sync(onEnd))
    }

    /**
     * A tool call on a fiber of its own that starts with the tool's final
     * context (its services and the `RequestContext` over the runtime's), so
     * no Effect step of the server runs around the handler: metrics, the
     * ToolCalled event and the response are made by the fiber's observer.
     * Only for what needs nothing more (no middleware, no tracing, an
     * initialized session and a known tool); undefined otherwise, and the
     * caller takes the general path, which gives the same results.
     */
    const runToolCall = (
      request: JsonRpc.Request,
      session: Session,
      runtime: Runtime.Runtime<never>,
      onEnd: () => void,
      onExit: (exit: Exit.Exit<JsonRpc.Response>) => void
    ): Fiber.RuntimeFiber<JsonObject, McpError.ProtocolError> | undefined => {
      if (session.traced || middleware.length > 0 || !session.initializeAnswered) return undefined
      const name = stringParam(request.params, "name")
      const tool = name === undefined ? undefined : tools.get(name)
      if (tool === undefined || tool.value.middleware.length > 0) return undefined
      const params = request.params ?? {}
      // Not an object: the general path answers -32602.
      if (!isArguments(params.arguments)) return undefined
      const info: RequestInfo = { requestId: request.id, method: request.method, params, session, progressToken: progressTokenOf(params) }
      const start = performance.now()
      Metrics.unsafeAdd(Metrics.inFlight, 1)
      const fiber = Runtime.runFork(
        Runtime.make({
          context: registeredContext(runtime.context, tool.context, info),
          fiberRefs: runtime.fiberRefs,
          // A request is cancellable even when the transport's runtime was captured in an uninterruptible region.
          runtimeFlags: RuntimeFlags.enable(runtime.runtimeFlags, RuntimeFlags.Interruption)
        }),
        callTool(tool.value, params.arguments)
      )
      fiber.addObserver((exit) => {
        let response: Exit.Exit<JsonRpc.Response>
        let toolOutcome: "ok" | "tool_error" | "error"
        let outcome: string
        if (Exit.isSuccess(exit)) {
          toolOutcome = exit.value.isError === true ? "tool_error" : "ok"
          outcome = "ok"
          response = Exit.succeed(JsonRpc.success(request.id, exit.value) as JsonRpc.Response)
        } else if (Cause.isInterruptedOnly(exit.cause)) {
          toolOutcome = "error"
          outcome = "cancelled"
          response = exit as Exit.Exit<never>
        } else {
          toolOutcome = "error"
          outcome = "error"
          const error = McpError.fromCause(exit.cause)
          if (Cause.failureOption(exit.cause)._tag === "None") {
            Runtime.runFork(runtime, Effect.logError(`${request.method} died`, exit.cause))
          }
          response = Exit.succeed(JsonRpc.failure(request.id, error.code, error.message, error.data))
        }
        const millis = performance.now() - start
        Metrics.unsafeRecordToolCall(name!, toolOutcome)
        const published = publish({ _tag: "ToolCalled", session, tool: name!, outcome: toolOutcome, millis })
        if (published !== undefined) Runtime.runFork(runtime, published)
        Metrics.unsafeRecordRequest(request.method, outcome, millis / 1000)
        onEnd()
        onExit(response)
      })
      return fiber
    }

    // --- connections

    const connect = (connectOptions: McpServer.ConnectOptions): Effect.Effect<McpServer.Connection, never, Scope.Scope> =>
      Effect.gen(function*() {
        const inFlight = new Map<JsonRpc.RequestId, Fiber.RuntimeFiber<unknown, unknown>>()
        const pending = new Map<JsonRpc.RequestId, { readonly method: string; readonly deferred: Deferred.Deferred<JsonObject, McpError.ClientRequestError> }>()
        let nextId = 0
        // False once the client can no longer answer (`endInput`) or the connection closed:
        // server-to-client requests then fail at once instead of waiting out their timeout.
        let answerable = true
        const send = connectOptions.send
        const pre = connectOptions.preinitialized

        const notify = (method: string, params?: JsonObject, relatedRequestId?: JsonRpc.RequestId) =>
          send(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }, relatedRequestId)

        const request = (method: string, params: JsonObject, requestOptions?: RequestOptions) =>
          Effect.gen(function*() {
            if (!answerable) return yield* new McpError.ConnectionClosed({ method })
            const id = nextId++
            const deferred = yield* Deferred.make<JsonObject, McpError.ClientRequestError>()
            pending.set(id, { method, deferred })
            const millis = requestOptions?.timeoutMillis ?? defaultTimeout
            const cancel = (reason: string) =>
              pending.delete(id)
                ? notify("notifications/cancelled", { requestId: id, reason }, requestOptions?.relatedRequestId)
                : Effect.void
            yield* send({ jsonrpc: "2.0", id, method, params }, requestOptions?.relatedRequestId)
            // spec basic/lifecycle "Timeouts": on timeout, cancel the request and stop waiting.
            return yield* Deferred.await(deferred).pipe(
              Effect.timeoutFail({ duration: millis, onTimeout: () => new McpError.RequestTimeout({ method, millis }) }),
              Effect.tapErrorTag("RequestTimeout", () => cancel("timeout")),
              Effect.onInterrupt(() => cancel("The request that needed this answer was cancelled")),
              Effect.ensuring(Effect.sync(() => pending.delete(id)))
            )
          })

        const failPending = Effect.suspend(() => {
          const waiting = [...pending.values()]
          pending.clear()
          return Effect.forEach(waiting, ({ deferred, method }) => Deferred.fail(deferred, new McpError.ConnectionClosed({ method })), {
            discard: true
          })
        })

        const endInput = Effect.suspend(() => {
          answerable = false
          return failPending
        })

        const session: Session = {
          sessionId: connectOptions.sessionId,
          protocolVersion: pre?.protocolVersion ?? McpSchema.LATEST_PROTOCOL_VERSION,
          clientInfo: pre?.clientInfo,
          clientCapabilities: pre?.clientCapabilities ?? {},
          logLevel: undefined,
          initialized: pre !== undefined,
          initializeAnswered: pre !== undefined,
          subscriptions: new Set(),
          traced: options.tracing ?? (yield* Effect.tracer) !== nativeTracer,
          notify,
          request
        }
        sessions.add(session)
        Metrics.unsafeAdd(Metrics.activeSessions, 1)
        yield* PubSub.publish(events, { _tag: "SessionCreated", session })
        yield* Effect.addFinalizer(() =>
          Effect.gen(function*() {
            sessions.delete(session)
            // Closing the connection cancels what is still running (drain first to let it finish);
            // never the fiber closing it, which may itself be serving a request.
            const self = yield* Effect.fiberId
            answerable = false
            yield* Fiber.interruptAll([...inFlight.values()].filter((fiber) => fiber.id() !== self))
            yield* failPending
            Metrics.unsafeAdd(Metrics.activeSessions, -1)
            yield* PubSub.publish(events, { _tag: "SessionEnded", session })
          })
        )

        const onNotification = (notification: JsonRpc.Notification): Effect.Effect<void> => {
          switch (notification.method) {
            case "notifications/initialized":
              if (!session.initialized && session.initializeAnswered) {
                session.initialized = true
                return PubSub.publish(events, { _tag: "Initialized", session })
              }
              return Effect.void
            // spec basic/utilities/cancellation: cancel the request's fiber; no response is sent.
            case "notifications/cancelled": {
              const id = notification.params?.requestId
              const fiber = typeof id === "string" || typeof id === "number" ? inFlight.get(id) : undefined
              return fiber === undefined ? Effect.void : Fiber.interruptFork(fiber)
            }
            case "notifications/roots/list_changed":
              return PubSub.publish(events, { _tag: "RootsListChanged", session })
            default:
              // spec basic/index "Notifications": unknown notifications are ignored.
              return Effect.void
          }
        }

        const onResponse = (response: JsonRpc.Response): Effect.Effect<void> =>
          Effect.suspend(() => {
            const id = response.id
            const entry = id === undefined ? undefined : pending.get(id)
            if (entry === undefined) return Effect.void
            pending.delete(id!)
            return "result" in response
              ? Deferred.succeed(entry.deferred, response.result)
              : Deferred.fail(
                entry.deferred,
                new McpError.ClientError({
                  method: entry.method,
                  code: response.error.code,
                  message: response.error.message,
                  data: response.error.data
                })
              )
          })

        const onRequest = (message: JsonRpc.Request): Effect.Effect<JsonRpc.Response | undefined> =>
          Effect.suspend(() => {
            if (inFlight.has(message.id)) {
              return Effect.succeed(
                JsonRpc.failure(message.id, JsonRpc.ErrorCode.InvalidRequest, `Invalid Request: id ${McpError.preview(message.id)} is already in use`)
              )
            }
            // initialize runs inline: it must not be cancelled (spec basic/utilities/cancellation), and
            // a client that pipelines notifications/initialized right behind it must find it answered.
            if (message.method === "initialize") return dispatch(message, session)
            // Transports run every request on a fiber of its own, so that fiber is the request:
            // `notifications/cancelled` interrupts it (and no response is sent). No extra fork per
            // request. It is interruptible even when the transport called from an uninterruptible region.
            return Effect.withFiberRuntime<JsonRpc.Response | undefined>((fiber) => {
              inFlight.set(message.id, fiber)
              Metrics.unsafeAdd(Metrics.inFlight, 1)
              return dispatch(message, session, () => {
                inFlight.delete(message.id)
                Metrics.unsafeAdd(Metrics.inFlight, -1)
              }, true)
            })
          })

        const endRequest = (id: JsonRpc.RequestId) => {
          inFlight.delete(id)
          Metrics.unsafeAdd(Metrics.inFlight, -1)
        }

        const run = (message: JsonRpc.Request, runtime: Runtime.Runtime<never>, onExit: (exit: Exit.Exit<JsonRpc.Response>) => void): void => {
          if (message.method === "tools/call" && !inFlight.has(message.id)) {
            const fiber = runToolCall(message, session, runtime, () => endRequest(message.id), onExit)
            if (fiber !== undefined) {
              // spec basic/utilities/cancellation: registered while it runs, so `notifications/cancelled`
              // interrupts it; a synchronous handler's fiber has already ended (and unregistered) here.
              if (fiber.unsafePoll() === null) inFlight.set(message.id, fiber)
              return
            }
          }
          // `onRequest` answers every request (its `undefined` is only in its type).
          Runtime.runFork(runtime, onRequest(message)).addObserver(onExit as (exit: Exit.Exit<JsonRpc.Response | undefined>) => void)
        }

        const handle = (message: unknown): Effect.Effect<JsonRpc.Response | undefined> => {
          const classified = JsonRpc.classify(message)
          switch (classified._tag) {
            case "Request":
              return onRequest(classified.message)
            case "Notification":
              return Effect.as(onNotification(classified.message), undefined)
            case "Response":
              return Effect.as(onResponse(classified.message), undefined)
            case "Invalid":
              return Effect.succeed(classified.response)
          }
        }

        // Waits for what is in flight now, then looks again (requests may arrive meanwhile). The
        // recursion is suspended: building `loop()` eagerly overflowed the stack whenever anything
        // was in flight. `yieldNow` lets `onRequest` remove finished fibers before the next look.
        const drain = Effect.suspend(function loop(): Effect.Effect<void> {
          const fibers = [...inFlight.values()]
          return fibers.length === 0
            ? Effect.void
            : Fiber.awaitAll(fibers).pipe(Effect.zipRight(Effect.yieldNow()), Effect.zipRight(Effect.suspend(loop)))
        })

        return { session, handle, run, inFlight: () => inFlight.size, drain, endInput } satisfies McpServer.Connection
      })

    const notifyResourceUpdated = (uri: string) =>
      Effect.forEach(
        sessions,
        (s) => (s.subscriptions.has(uri) ? s.notify("notifications/resources/updated", { uri }) : Effect.void),
        { discard: true }
      )

    return {
      options,
      serverInfo,
      connect,
      addTool: (tool) => put(tools, tool.value.name, tool, "tools"),
      removeTool: (name) => remove(tools, name, "tools"),
      addResource: (resource) => put(resources, resource.value.uri, resource, "resources"),
      removeResource: (uri) => remove(resources, uri, "resources"),
      addResourceTemplate: (template) => put(templates, template.value.definition.uriTemplate, template, "resources"),
      removeResourceTemplate: (uriTemplate) => remove(templates, uriTemplate, "resources"),
      addPrompt: (prompt) => put(prompts, prompt.value.name, prompt, "prompts"),
      removePrompt: (name) => remove(prompts, name, "prompts"),
      addMiddleware: (registered) =>
        Effect.sync(() => {
          const { context, value } = registered
          middleware.push(
            Middleware.make(value.name, (request, next) => Effect.provide(value.apply(request, next), context) as Effect.Effect<JsonObject, McpError.ProtocolError>)
          )
        }),
      notifyResourceUpdated,
      sessions: () => [...sessions],
      events
    } satisfies McpServer.Service
  })
