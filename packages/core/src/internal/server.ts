import {
  Cause,
  Clock,
  Context,
  DefaultServices,
  Deferred,
  Effect,
  Exit,
  Fiber,
  FiberRef,
  FiberRefs,
  Option,
  PubSub,
  Redacted,
  Runtime,
  RuntimeFlags,
  type Scope,
  Tracer
} from "effect"
import * as ChangeFeed from "../ChangeFeed.js"
import type { RequestOptions } from "../ClientSession.js"
import * as JsonRpc from "../JsonRpc.js"
import type * as McpServer from "../McpServer.js"
import * as McpError from "../McpError.js"
import * as McpSchema from "../McpSchema.js"
import * as Metrics from "../Metrics.js"
import type * as Middleware from "../Middleware.js"
import type * as Prompt from "../Prompt.js"
import { Caller, ClientAddress, RequestContext } from "../RequestContext.js"
import type * as Resource from "../Resource.js"
import type * as ResourceTemplate from "../ResourceTemplate.js"
import type * as Tool from "../Tool.js"
import { isRecord, type Revision, runChain, type Route, type Session, type Target } from "./dispatch.js"
import * as Protocol20251125 from "./protocol20251125.js"
import * as Protocol20260728 from "./protocol20260728.js"
import * as Rounds from "./rounds.js"
import * as SubscribedUris from "./subscribedUris.js"
import { checkCache } from "../Resource.js"
import * as Tasks from "./tasks.js"
import * as Logging from "../Logging.js"

type JsonObject = JsonRpc.JsonObject

/**
 * Effect's built-in tracer, whose spans nobody exports: when it is the tracer, no spans are made.
 * Read from the default services (what `Effect.tracer` yields when nothing replaced it), so that
 * importing this module runs no effect.
 */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** spec basic/utilities/pagination: cursors are opaque; ours are base64url of an offset. */
const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString("base64url")
const decodeCursor = (cursor: string | undefined): number | undefined => {
  if (cursor === undefined) return 0
  const text = Buffer.from(cursor, "base64url").toString("utf8")
  if (!text.startsWith("o:")) return undefined
  const offset = Number(text.slice(2))
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined
}

const progressTokenOf = (params: JsonObject | undefined): McpSchema.ProgressToken | undefined => {
  const meta = params?._meta
  if (typeof meta !== "object" || meta === null) return undefined
  const token = (meta as JsonObject).progressToken
  return typeof token === "string" || typeof token === "number" ? token : undefined
}

/** The span attribute naming a request's target (OpenTelemetry semantic conventions for MCP). */
const traceparent = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/**
 * The caller's span from W3C trace context in `_meta` (spec 2026-07-28
 * basic/index "OpenTelemetry trace context"; the same keys are honoured under
 * 2025-11-25): the parent of the request's span. A malformed or all-zero
 * `traceparent` is ignored (W3C Trace Context "traceparent Header").
 */
const remoteParent = (params: JsonObject): Option.Option<Tracer.AnySpan> | undefined => {
  const meta = params._meta
  if (typeof meta !== "object" || meta === null) return undefined
  const header = (meta as JsonObject).traceparent
  if (typeof header !== "string") return undefined
  const match = traceparent.exec(header.trim())
  if (match === null || match[1] === "ff" || /^0+$/.test(match[2]!) || /^0+$/.test(match[3]!)) return undefined
  return Option.some(Tracer.externalSpan({ traceId: match[2]!, spanId: match[3]!, sampled: (parseInt(match[4]!, 16) & 1) === 1 }))
}

const primitiveAttribute = { tool: "gen_ai.tool.name", prompt: "gen_ai.prompt.name", resource: "mcp.resource.uri" } as const

/** A target with no middleware and no services: where requests refused before any handler run. */
const bareTarget: Target = { context: Context.empty(), middleware: [], span: undefined, tool: undefined }

/**
 * The request fiber's context: the transport's, under the target's composed
 * services (merged once per transport runtime and target: contexts are
 * immutable, so a cache hit is exact), plus `RequestContext` and the
 * request's span. One copy per request.
 */
const mergedContexts = new WeakMap<Context.Context<never>, { parent: Context.Context<never>; merged: Context.Context<never> }>()

const requestContext = (
  parent: Context.Context<never>,
  target: Context.Context<never>,
  info: Middleware.Request,
  span: Tracer.Span | undefined,
  extra: Context.Context<never> | undefined
): Context.Context<never> => {
  let entry = mergedContexts.get(target)
  if (entry === undefined || entry.parent !== parent) {
    entry = { parent, merged: Context.merge(parent, target) }
    mergedContexts.set(target, entry)
  }
  const map = new Map(entry.merged.unsafeMap)
  if (extra !== undefined) for (const [key, value] of extra.unsafeMap) map.set(key, value)
  map.set(RequestContext.key, info)
  if (span !== undefined) map.set(Tracer.ParentSpan.key, span)
  return Context.unsafeMake(map)
}

const definitionOf = (entry: Protocol20251125.Listed): unknown => entry.definition

const hasVisibility = (entry: Protocol20251125.Listed): boolean => entry.target.middleware.some((m) => m.visible !== undefined)

/** The tracer and clock of a runtime, when its spans are enabled. */
const tracing = (runtime: Runtime.Runtime<never>): { readonly tracer: Tracer.Tracer; readonly clock: Clock.Clock } | undefined => {
  if (!FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentTracerEnabled)) return undefined
  const services = FiberRefs.getOrDefault(runtime.fiberRefs, DefaultServices.currentServices)
  return { tracer: Context.get(services, Tracer.Tracer), clock: Context.get(services, Clock.Clock) }
}

const tracedRuntimes = new WeakMap<Runtime.Runtime<never>, boolean>()

/** A tracer other than Effect's built-in one is installed in `runtime` (what `Session.traced` records). */
const tracedIn = (runtime: Runtime.Runtime<never>): boolean => {
  let traced = tracedRuntimes.get(runtime)
  if (traced === undefined) {
    const services = FiberRefs.getOrDefault(runtime.fiberRefs, DefaultServices.currentServices)
    traced = Context.get(services, Tracer.Tracer) !== nativeTracer
    tracedRuntimes.set(runtime, traced)
  }
  return traced
}

const spanOptions: Tracer.SpanOptions = { captureStackTrace: false }

/** A span made without an Effect step (the request fiber starts inside it and its observer ends it). */
const startSpan = (
  tracer: Tracer.Tracer,
  clock: Clock.Clock,
  name: string,
  parent: Option.Option<Tracer.AnySpan>,
  kind: Tracer.SpanKind,
  attributes: Iterable<readonly [string, unknown]>
): Tracer.Span => {
  const span = tracer.span(name, parent, Context.empty(), [], clock.unsafeCurrentTimeNanos(), kind, spanOptions)
  for (const [key, value] of attributes) span.attribute(key, value)
  return span
}

/**
 * `effect` in a child span of the current one, for a handler behind
 * middleware (which runs first, so the span starts when the handler does).
 */
const inSpan = <A, E>(
  effect: Effect.Effect<A, E>,
  tracer: Tracer.Tracer,
  clock: Clock.Clock,
  name: string,
  attributes: Record<string, unknown>
): Effect.Effect<A, E> =>
  // What `Effect.withSpan` does, in a third of the steps: this runs on every traced request behind middleware.
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<A, E>((fiber) => {
      const parent = fiber.currentContext
      const span = startSpan(tracer, clock, name, Context.getOption(parent, Tracer.ParentSpan), "internal", Object.entries(attributes))
      const end = (exit: Exit.Exit<A, E>): Effect.Effect<A, E> =>
        Effect.zipRight(
          FiberRef.set(FiberRef.currentContext, parent),
          Effect.suspend(() => {
            span.end(clock.unsafeCurrentTimeNanos(), exit)
            return exit
          })
        )
      return Effect.zipRight(
        FiberRef.set(FiberRef.currentContext, Context.add(parent, Tracer.ParentSpan, span)),
        Effect.matchCauseEffect(restore(effect), {
          onSuccess: (value) => end(Exit.succeed(value)),
          onFailure: (cause) => end(Exit.failCause(cause))
        })
      )
    })
  )

export const make = (options: McpServer.Options): Effect.Effect<McpServer.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const providedFeed = yield* Effect.serviceOption(ChangeFeed.ChangeFeed)
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
    const maxSubscriptions = options.maxSubscriptions ?? 10_000
    const defaultTimeout = options.clientRequestTimeoutMillis ?? 60_000
    // spec 2026-07-28 basic/patterns/subscriptions: what listen streams read; a provided feed may span replicas.
    const feed = Option.isSome(providedFeed) ? providedFeed.value : yield* ChangeFeed.memory()
    const subscribed = yield* SubscribedUris.make
    // Set when the server's scope closes: listen streams end with their graceful result ("Graceful Closure").
    const closing = yield* Deferred.make<void>()
    yield* Effect.addFinalizer(() => Deferred.succeed(closing, undefined))
    checkCache("McpServer", options.cache)
    const stateKey = options.requestState?.key
    const sealer = Rounds.makeSealer(
      stateKey === undefined
        ? undefined
        : typeof stateKey === "string"
        ? Buffer.from(stateKey)
        : stateKey instanceof Uint8Array
        ? stateKey
        : Buffer.from(Redacted.value(stateKey)),
      options.requestState?.ttlMillis ?? 600_000
    )
    const serverInfo = {
      name: options.name,
      version: options.version,
      ...(options.title === undefined ? {} : { title: options.title }),
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.icons === undefined ? {} : { icons: options.icons }),
      ...(options.websiteUrl === undefined ? {} : { websiteUrl: options.websiteUrl })
    } as McpSchema.Implementation

    // spec 2025-11-25 basic/utilities/tasks and the 2026-07-28 tasks extension: handlers run as tasks in this scope.
    const tasks = yield* Tasks.make({ settings: options.tasks, pageSize, global: () => globalTarget })

    // --- registries: what was registered, and its composed target

    const tools = new Map<string, McpServer.Registered<Tool.Any>>()
    const resources = new Map<string, McpServer.Registered<Resource.Any>>()
    const templates = new Map<string, McpServer.Registered<ResourceTemplate.Any>>()
    const prompts = new Map<string, McpServer.Registered<Prompt.Any>>()
    const compiledTools = new Map<string, Protocol20251125.Compiled<Tool.Any>>()
    const compiledResources = new Map<string, Protocol20251125.Compiled<Resource.Any>>()
    const compiledTemplates = new Map<string, Protocol20251125.Compiled<ResourceTemplate.Any>>()
    const compiledPrompts = new Map<string, Protocol20251125.Compiled<Prompt.Any>>()
    /** Global middleware, outermost first, in the order registered. */
    const middleware: Array<McpServer.Registered<Middleware.Any>> = []
    const sessions = new Set<Session>()
    /** Encoded list pages, dropped whenever the registry they list changes. */
    const listCache = new Map<string, JsonObject>()

    // --- composition, once per registration (spec-independent)

    /** The global chain: its middleware, the services they were registered with, and what they provide. */
    let global = { middleware: [] as ReadonlyArray<Middleware.Any>, context: Context.empty(), provides: [] as ReadonlyArray<Context.Tag<unknown, unknown>> }
    let globalTarget: Target = bareTarget

    const withoutTags = (context: Context.Context<never>, tags: ReadonlyArray<Context.Tag<unknown, unknown>>) =>
      tags.length === 0 ? context : Context.omit(...tags)(context) as Context.Context<never>

    const compile = <A extends { readonly middleware: ReadonlyArray<Middleware.Any> }>(
      registered: McpServer.Registered<A>,
      span: Target["span"],
      tool: string | undefined,
      cache?: Target["cache"]
    ): Protocol20251125.Compiled<A> => {
      const own = registered.value.middleware
      const services = Context.merge(global.context, registered.context)
      return {
        value: registered.value,
        target: {
          context: withoutTags(services, [...global.provides, ...own.flatMap((m) => m.provides)]),
          middleware: own.length === 0 ? global.middleware : [...global.middleware, ...own],
          span,
          tool,
          cache
        },
        completion: { context: withoutTags(services, global.provides), middleware: global.middleware, span: undefined, tool: undefined }
      }
    }

    const compileTool = (t: McpServer.Registered<Tool.Any>) =>
      compile(t, { name: `tool ${t.value.name}`, attributes: { "gen_ai.tool.name": t.value.name } }, t.value.name)
    const compileResource = (r: McpServer.Registered<Resource.Any>) =>
      compile(r, { name: `resource ${r.value.uri}`, attributes: { "mcp.resource.uri": r.value.uri } }, undefined, r.value.cache)
    const compileTemplate = (t: McpServer.Registered<ResourceTemplate.Any>) =>
      compile(t, { name: `resource ${t.value.definition.uriTemplate}`, attributes: { "mcp.resource.uri": t.value.definition.uriTemplate } }, undefined, t.value.cache)
    const compilePrompt = (p: McpServer.Registered<Prompt.Any>) =>
      compile(p, { name: `prompt ${p.value.name}`, attributes: { "gen_ai.prompt.name": p.value.name } }, undefined)

    /** Composes every target again: the global middleware changed. */
    const recompileAll = () => {
      const values = middleware.map((m) => m.value)
      global = {
        middleware: values,
        context: middleware.reduce((context, m) => Context.merge(context, m.context), Context.empty() as Context.Context<never>),
        provides: values.flatMap((m) => m.provides)
      }
      globalTarget = { context: withoutTags(global.context, global.provides), middleware: global.middleware, span: undefined, tool: undefined }
      for (const [name, t] of tools) compiledTools.set(name, compileTool(t))
      for (const [uri, r] of resources) compiledResources.set(uri, compileResource(r))
      for (const [uri, t] of templates) compiledTemplates.set(uri, compileTemplate(t))
      for (const [name, p] of prompts) compiledPrompts.set(name, compilePrompt(p))
    }

    // --- registry changes (spec server/tools, server/resources, server/prompts "List Changed Notification")

    const changeOf = { tools: "ToolsListChanged", resources: "ResourcesListChanged", prompts: "PromptsListChanged" } as const
    const listChanged = (kind: "tools" | "resources" | "prompts"): Effect.Effect<void> =>
      Effect.suspend(() => {
        for (const key of [...listCache.keys()]) if (key.startsWith(kind)) listCache.delete(key)
        const method = `notifications/${kind}/list_changed`
        return Effect.zipRight(
          Effect.forEach(sessions, (s) => (s.initialized ? s.notify(method) : Effect.void), { discard: true }),
          feed.publish({ _tag: changeOf[kind] })
        )
      })

    const put = <A>(
      map: Map<string, McpServer.Registered<A>>,
      compiled: Map<string, Protocol20251125.Compiled<A>>,
      compileOne: (registered: McpServer.Registered<A>) => Protocol20251125.Compiled<A>,
      key: string,
      value: McpServer.Registered<A>,
      kind: "tools" | "resources" | "prompts"
    ) =>
      Effect.suspend(() => {
        map.set(key, value)
        compiled.set(key, compileOne(value))
        return listChanged(kind)
      })
    const remove = <A>(
      map: Map<string, McpServer.Registered<A>>,
      compiled: Map<string, Protocol20251125.Compiled<A>>,
      key: string,
      kind: "tools" | "resources" | "prompts"
    ) =>
      Effect.suspend(() => {
        compiled.delete(key)
        return map.delete(key) ? Effect.as(listChanged(kind), true) : Effect.succeed(false)
      })

    // --- capabilities (spec basic/lifecycle "Capability Negotiation")

    const hasCompleters = () =>
      [...prompts.values()].some((p) => Object.keys(p.value.completers).length > 0) ||
      [...templates.values()].some((t) => Object.keys(t.value.completers).length > 0)

    const capabilities = (): McpSchema.ServerCapabilities => {
      const forced = options.capabilities ?? {}
      // spec 2025-11-25 basic/utilities/tasks "Server Capabilities": while a tool may run as a task.
      let taskTools = false
      for (const tool of tools.values()) {
        if (Tasks.supportOf(tool.value) !== undefined) {
          taskTools = true
          break
        }
      }
      return {
        ...(taskTools ? { tasks: tasks.capability } : {}),
        logging: {},
        ...(forced.completions || hasCompleters() ? { completions: {} } : {}),
        ...(forced.prompts || prompts.size > 0 ? { prompts: { listChanged: true } } : {}),
        ...(forced.resources || resources.size > 0 || templates.size > 0 ? { resources: { subscribe: true, listChanged: true } } : {}),
        ...(forced.tools || tools.size > 0 ? { tools: { listChanged: true } } : {})
      } as McpSchema.ServerCapabilities
    }

    // --- lists with opaque cursors (spec server/utilities/pagination)

    const slicePage = (all: ReadonlyArray<unknown>, field: string, offset: number): { [key: string]: unknown } =>
      offset + pageSize < all.length
        ? { [field]: all.slice(offset, offset + pageSize), nextCursor: encodeCursor(offset + pageSize) }
        : { [field]: all.slice(offset, offset + pageSize) }

    const page = (
      kind: string,
      field: string,
      entries: () => ReadonlyArray<Protocol20251125.Listed>,
      cursor: string | undefined,
      session: Session
    ) =>
      Effect.suspend((): Effect.Effect<JsonObject, McpError.InvalidParams> => {
        const offset = decodeCursor(cursor)
        if (offset === undefined) return Effect.fail(new McpError.InvalidParams({ message: "Invalid cursor" }))
        const key = `${kind}:${offset}`
        const cached = listCache.get(key)
        if (cached !== undefined) return Effect.succeed(cached)
        const all = entries()
        if (!all.some(hasVisibility)) {
          const result = slicePage(all.map(definitionOf), field, offset) as JsonObject
          listCache.set(key, result)
          return Effect.succeed(result)
        }
        // Some primitives are shown only to some callers: this caller's list, never cached for others.
        return Effect.map(Effect.context<never>(), (context) => {
          const result = slicePage(all.filter((entry) => Protocol20251125.visibleIn(entry.target, context)).map(definitionOf), field, offset)
          // spec 2026-07-28 server/utilities/caching "cacheScope": the answer depends on the authorization context.
          if (McpSchema.isStateless(session.protocolVersion)) result.cacheScope = "private"
          return result as JsonObject
        })
      })

    // --- the revisions: 2025-11-25 (and what it negotiates) with sessions, 2026-07-28 per request

    const methods = Protocol20251125.make({
      tasks,
      tools: compiledTools,
      resources: compiledResources,
      templates: compiledTemplates,
      prompts: compiledPrompts,
      global: () => globalTarget,
      capabilities,
      serverInfo,
      instructions: options.instructions,
      page,
      subscribed,
      maxSubscriptions
    })
    const legacy: Revision = { methods }
    const stateless: Revision = Protocol20260728.make({
      legacy: methods,
      global: () => globalTarget,
      // `listChanged` and `subscribe` are delivered on `subscriptions/listen` streams (spec 2026-07-28 basic/patterns/subscriptions);
      // tasks are the io.modelcontextprotocol/tasks extension.
      capabilities: () => tasks.stateless(capabilities()),
      tasks,
      feed,
      closing,
      subscribed,
      maxSubscriptions,
      hidden: (uri, context) => Protocol20251125.hiddenUri(compiledResources, compiledTemplates, uri, context),
      serverInfo,
      instructions: options.instructions,
      cache: { ttlMs: options.cache?.ttlMs ?? 0, cacheScope: options.cache?.cacheScope ?? "private" }
    })

    // --- the one dispatch path

    /**
     * Serves one request on a fiber of its own, started now on `runtime`
     * with its final context (the transport's, the target's composed
     * services, `RequestContext`, the request's span): look up the method,
     * decode its params, route it to its target, run the target's middleware
     * chain around the handler. The fiber's observer makes the response,
     * metrics, events and span ends, so no Effect step of the server runs
     * around the chain. Every request of every transport comes here.
     *
     * `onEnd` runs once it is over, whatever the outcome, before `onExit`.
     * Returns the fiber (already done when the handler was synchronous).
     */
    const serve = (
      request: JsonRpc.Request,
      session: Session,
      runtime: Runtime.Runtime<never>,
      onEnd: (() => void) | undefined,
      onExit: (exit: Exit.Exit<JsonRpc.Response>) => void,
      revision: Revision = legacy,
      extra?: Context.Context<never>
    ): Fiber.RuntimeFiber<JsonObject, McpError.ProtocolError> => {
      const start = performance.now()
      const entry = revision.methods.get(request.method)
      const params = request.params ?? {}
      let route: Route
      if (entry === undefined) {
        route = { target: bareTarget, primitive: undefined, effect: Effect.fail(new McpError.MethodNotFound({ method: request.method })) }
      } else if (!session.initializeAnswered && !entry.beforeInitialize) {
        const error = new McpError.InvalidRequest({ message: `Send initialize before ${request.method} (spec basic/lifecycle)` })
        route = { target: bareTarget, primitive: undefined, effect: Effect.fail(error) }
      } else {
        const decoded = entry.decode(params)
        if (decoded._tag === "Left") {
          route = { target: bareTarget, primitive: undefined, effect: Effect.fail(new McpError.InvalidParams({ message: decoded.left })) }
        } else {
          try {
            route = entry.handle(decoded.right as never, session)
          } catch (e) {
            route = { target: bareTarget, primitive: undefined, effect: Effect.die(e) }
          }
        }
      }
      const { primitive, target } = route
      const info: Middleware.Request = {
        id: request.id,
        requestId: request.id,
        method: request.method,
        params,
        session,
        progressToken: progressTokenOf(params),
        primitive,
        clientAddress: extra === undefined ? undefined : extra.unsafeMap.get(ClientAddress.key) as string | undefined
      }
      // spec-independent tracing: the request's span (kind server) and its handler's (a child),
      // made directly; with no middleware in between both start now and the observer ends them.
      const spans = session.traced ? tracing(runtime) : undefined
      let requestSpan: Tracer.Span | undefined
      let handlerSpan: Tracer.Span | undefined
      let handler = route.effect
      if (spans !== undefined) {
        const attributes: Array<readonly [string, unknown]> = [["mcp.method.name", request.method], ["jsonrpc.request.id", String(request.id)]]
        if (session.sessionId !== undefined) attributes.push(["mcp.session.id", session.sessionId])
        if (primitive !== undefined) attributes.push([primitiveAttribute[primitive.kind], primitive.name])
        const name = primitive === undefined ? request.method : `${request.method} ${primitive.name}`
        const remote = remoteParent(params)
        requestSpan = startSpan(spans.tracer, spans.clock, name, remote ?? Context.getOption(runtime.context, Tracer.ParentSpan), "server", attributes)
        if (target.span !== undefined) {
          if (target.middleware.length === 0) {
            const { attributes: handlerAttributes, name: handlerName } = target.span
            handlerSpan = startSpan(spans.tracer, spans.clock, handlerName, Option.some(requestSpan), "internal", Object.entries(handlerAttributes))
          } else {
            handler = inSpan(handler, spans.tracer, spans.clock, target.span.name, target.span.attributes)
          }
        }
      }
      const inline = entry?.inline === true
      const fiber = Runtime.runFork(
        Runtime.make({
          context: requestContext(runtime.context, target.context, info, handlerSpan ?? requestSpan, extra),
          fiberRefs: runtime.fiberRefs,
          // A request is cancellable even when the transport's runtime was captured in an uninterruptible
          // region; `initialize` never is (spec basic/utilities/cancellation).
          runtimeFlags: inline
            ? RuntimeFlags.disable(runtime.runtimeFlags, RuntimeFlags.Interruption)
            : RuntimeFlags.enable(runtime.runtimeFlags, RuntimeFlags.Interruption)
        }),
        target.middleware.length === 0 ? handler : runChain(target.middleware, info, handler)
      )
      // An ask ends the attempt by interrupting this fiber: a plain field, dropped when the fiber ends (a
      // closure here would hold this function's whole scope and kept finished requests alive through GC).
      const rounds = session.rounds
      if (rounds !== undefined) rounds.fiber = fiber
      fiber.addObserver((exit) => {
        if (rounds !== undefined) rounds.fiber = undefined
        let response: Exit.Exit<JsonRpc.Response>
        let outcome: "ok" | "error" | "cancelled"
        let errorCode: number | undefined
        const ended = session.rounds?.outcome
        if (ended !== undefined) {
          // The attempt ended asking the client (spec 2026-07-28 basic/patterns/mrtr), or needing a capability it lacks.
          const concluded = ended._tag === "InputRequired" ? session.rounds!.inputRequired(Date.now()) : { error: ended.error }
          if ("result" in concluded) {
            outcome = "ok"
            const result = concluded.result
            response = Exit.succeed(JsonRpc.success(request.id, revision.complete === undefined ? result : revision.complete(request.method, result, target)) as JsonRpc.Response)
          } else {
            outcome = "error"
            errorCode = concluded.error.code
            response = Exit.succeed(JsonRpc.failure(request.id, concluded.error.code, concluded.error.message, concluded.error.data))
          }
        } else if (Exit.isSuccess(exit)) {
          outcome = "ok"
          const result = revision.complete === undefined ? exit.value : revision.complete(request.method, exit.value, target)
          response = Exit.succeed(JsonRpc.success(request.id, result) as JsonRpc.Response)
        } else if (Cause.isInterruptedOnly(exit.cause)) {
          outcome = "cancelled"
          response = exit as Exit.Exit<never>
        } else {
          outcome = "error"
          const error = McpError.fromCause(exit.cause)
          errorCode = revision.errorCode === undefined ? error.code : revision.errorCode(error.code)
          if (Cause.failureOption(exit.cause)._tag === "None") {
            Runtime.runFork(runtime, Effect.logError(`${request.method} died`, exit.cause))
          }
          response = Exit.succeed(JsonRpc.failure(request.id, errorCode, error.message, error.data))
        }
        const millis = performance.now() - start
        Metrics.unsafeRecordRequest(entry === undefined ? "unknown" : request.method, outcome, millis / 1000)
        const tool = target.tool
        if (tool !== undefined) {
          const toolOutcome = outcome !== "ok" ? "error" : Exit.isSuccess(exit) && exit.value.isError === true ? "tool_error" : "ok"
          Metrics.unsafeRecordToolCall(tool, toolOutcome)
          const published = publish({ _tag: "ToolCalled", session, tool, outcome: toolOutcome, millis })
          if (published !== undefined) Runtime.runFork(runtime, published)
        }
        if (requestSpan !== undefined) {
          const now = spans!.clock.unsafeCurrentTimeNanos()
          handlerSpan?.end(now, exit)
          if (outcome !== "cancelled") requestSpan.attribute("mcp.outcome", outcome)
          if (errorCode !== undefined) requestSpan.attribute("rpc.jsonrpc.error_code", errorCode)
          requestSpan.end(now, response)
        }
        onEnd?.()
        onExit(response)
      })
      return fiber
    }

    /**
     * The session of one 2026-07-28 request, from its `_meta` (spec 2026-07-28 basic/index
     * "Per-request protocol fields"), or the error that refuses it: -32022 for a version this
     * server does not serve statelessly, -32602 for missing or malformed fields.
     */
    const statelessSession = (
      version: unknown,
      meta: JsonObject,
      message: JsonRpc.Request,
      notify: Session["notify"],
      traced: boolean,
      context: Context.Context<never> | undefined
    ): Session | JsonRpc.ErrorObject => {
      if (typeof version !== "string" || !McpSchema.isStateless(version)) {
        return McpError.toJsonRpc(
          new McpError.UnsupportedProtocolVersion({ supported: McpSchema.ALL_PROTOCOL_VERSIONS, requested: String(version) })
        )
      }
      const capabilities = meta[McpSchema.MetaKey.clientCapabilities]
      const clientInfo = meta[McpSchema.MetaKey.clientInfo]
      const logLevel = meta[McpSchema.MetaKey.logLevel]
      const invalid = !isRecord(capabilities)
        ? `"_meta.${McpSchema.MetaKey.clientCapabilities}" must be an object`
        : clientInfo !== undefined && !(isRecord(clientInfo) && typeof clientInfo.name === "string" && typeof clientInfo.version === "string")
        ? `"_meta.${McpSchema.MetaKey.clientInfo}" must be an Implementation (name and version)`
        : logLevel !== undefined && !Logging.isLevel(logLevel)
        ? `"_meta.${McpSchema.MetaKey.logLevel}" must be one of ${Logging.levels.join(", ")}`
        : undefined
      if (invalid !== undefined) return { code: JsonRpc.ErrorCode.InvalidParams, message: `Invalid params: ${invalid}` }
      let rounds: Rounds.Rounds | undefined
      if (Rounds.supports(message.method)) {
        const caller = context === undefined ? undefined : Option.getOrUndefined(Context.getOption(context, Caller))
        const begun = Rounds.Rounds.begin(sealer, message.method, message.params ?? {}, Date.now(), caller)
        if (!(begun instanceof Rounds.Rounds)) return begun
        rounds = begun
      }
      return {
        rounds,
        sessionId: undefined,
        protocolVersion: version,
        clientInfo: clientInfo as McpSchema.Implementation | undefined,
        clientCapabilities: capabilities as McpSchema.ClientCapabilities,
        logLevel: logLevel as McpSchema.LoggingLevel | undefined,
        initialized: true,
        initializeAnswered: true,
        subscriptions: new Set(),
        traced,
        notify,
        // Multi round-trip requests (spec 2026-07-28 basic/patterns/mrtr) replace server-to-client requests:
        // `clientRequest` asks through `rounds`; only the supported requests have them.
        request: (method) =>
          Effect.fail(
            new McpError.ClientError({
              method,
              code: JsonRpc.ErrorCode.MethodNotFound,
              message: `${method} cannot be asked while serving ${message.method} under ${version}: only tools/call, prompts/get and resources/read may ask the client for input (spec basic/patterns/mrtr "Supported Requests")`
            })
          )
      }
    }

    /**
     * Serves one 2026-07-28 request outside any connection: what Streamable HTTP does with each
     * POST of that revision (no session, spec 2026-07-28 basic/transports/streamable-http), at the
     * cost of the request alone. Messages related to the request go to `send`.
     */
    const serveStateless = (
      message: JsonRpc.Request,
      send: McpServer.ConnectOptions["send"],
      runtime: Runtime.Runtime<never>,
      onExit: (exit: Exit.Exit<JsonRpc.Response>) => void,
      context?: Context.Context<never>
    ): Fiber.RuntimeFiber<unknown, unknown> | undefined => {
      const meta = message.params?._meta
      const version = isRecord(meta) ? meta[McpSchema.MetaKey.protocolVersion] : undefined
      const notify = (method: string, params?: JsonObject, relatedRequestId?: JsonRpc.RequestId) =>
        send(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }, relatedRequestId)
      const traced = options.tracing ?? tracedIn(runtime)
      const perRequest = statelessSession(version, isRecord(meta) ? meta as JsonObject : {}, message, notify, traced, context)
      if (!("sessionId" in perRequest)) {
        onExit(Exit.succeed(JsonRpc.failure(message.id, perRequest.code, perRequest.message, perRequest.data)))
        return undefined
      }
      Metrics.unsafeAdd(Metrics.inFlight, 1)
      return serve(message, perRequest, runtime, () => Metrics.unsafeAdd(Metrics.inFlight, -1), onExit, stateless, context)
    }

    // --- connections: sessions over the dispatch path (spec basic/lifecycle)

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
        const connectionContext = connectOptions.context
        // A guard hands back one services object per caller: the merge is made once per caller, not per request.
        const merged = new WeakMap<Context.Context<never>, Context.Context<never>>()
        const withConnection = (context: Context.Context<never> | undefined) => {
          if (context === undefined) return connectionContext
          if (connectionContext === undefined || context === connectionContext) return context
          let both = merged.get(context)
          if (both === undefined) {
            both = Context.merge(connectionContext, context)
            merged.set(context, both)
          }
          return both
        }

        // Requests the client cancelled, until their fibers end: nothing more is sent for them (spec 2026-07-28
        // basic/patterns/cancellation; interruption is asynchronous, a listen stream could otherwise send one more).
        const cancelled = new Set<JsonRpc.RequestId>()
        const notify = (method: string, params?: JsonObject, relatedRequestId?: JsonRpc.RequestId) =>
          relatedRequestId !== undefined && cancelled.size > 0 && cancelled.has(relatedRequestId)
            ? Effect.void
            : send(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }, relatedRequestId)

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
            yield* subscribed.remove(session.subscriptions)
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
              if (fiber === undefined) return Effect.void
              cancelled.add(id as JsonRpc.RequestId)
              fiber.addObserver(() => cancelled.delete(id as JsonRpc.RequestId))
              return Fiber.interruptFork(fiber)
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

        /**
         * Starts serving a request; undefined when it was answered at once
         * (a duplicate id). A request is registered in `inFlight` while it
         * runs, so `notifications/cancelled` interrupts its fiber (and no
         * response is sent); `initialize` runs inline and is never
         * registered: it must not be cancelled (spec
         * basic/utilities/cancellation), and a client that pipelines
         * `notifications/initialized` right behind it must find it answered.
         */
        const start = (
          message: JsonRpc.Request,
          runtime: Runtime.Runtime<never>,
          onExit: (exit: Exit.Exit<JsonRpc.Response>) => void,
          context?: Context.Context<never>
        ): Fiber.RuntimeFiber<unknown, unknown> | undefined => {
          const extra = withConnection(context)
          const id = message.id
          if (inFlight.has(id)) {
            onExit(Exit.succeed(JsonRpc.failure(id, JsonRpc.ErrorCode.InvalidRequest, `Invalid Request: id ${McpError.preview(id)} is already in use`)))
            return undefined
          }
          // spec 2026-07-28 basic/versioning "Backward Compatibility": a request carrying the per-request
          // protocol version is served statelessly under that revision; one without it, by the session.
          const meta = message.params?._meta
          const version = isRecord(meta) ? meta[McpSchema.MetaKey.protocolVersion] : undefined
          let served: Session = session
          let revision = legacy
          if (version !== undefined) {
            const perRequest = statelessSession(version, meta as JsonObject, message, notify, session.traced, extra)
            if (!("sessionId" in perRequest)) {
              onExit(Exit.succeed(JsonRpc.failure(id, perRequest.code, perRequest.message, perRequest.data)))
              return undefined
            }
            served = perRequest
            revision = stateless
          } else if (message.method === "initialize") {
            return serve(message, session, runtime, undefined, onExit, legacy, extra)
          }
          Metrics.unsafeAdd(Metrics.inFlight, 1)
          let done = false
          // Read by `onEnd`, which runs before `serve` returns when the handler was synchronous.
          const started: { fiber?: Fiber.RuntimeFiber<unknown, unknown> } = {}
          const fiber = serve(message, served, runtime, () => {
            done = true
            if (started.fiber !== undefined && inFlight.get(id) === started.fiber) inFlight.delete(id)
            Metrics.unsafeAdd(Metrics.inFlight, -1)
          }, onExit, revision, extra)
          started.fiber = fiber
          // A synchronous handler's fiber has already ended (and reported) here.
          if (!done) inFlight.set(id, fiber)
          return fiber
        }

        const run = (
          message: JsonRpc.Request,
          runtime: Runtime.Runtime<never>,
          onExit: (exit: Exit.Exit<JsonRpc.Response>) => void,
          context?: Context.Context<never>
        ): void => {
          start(message, runtime, onExit, context)
        }

        const handle = (message: unknown, context?: Context.Context<never>): Effect.Effect<JsonRpc.Response | undefined> => {
          const classified = JsonRpc.classify(message)
          switch (classified._tag) {
            case "Request":
              // The same path as `run`, on the caller's runtime; interrupting the caller cancels the request.
              return Effect.flatMap(Effect.runtime<never>(), (runtime) =>
                Effect.async<JsonRpc.Response>((resume) => {
                  const fiber = start(classified.message, runtime, resume, context)
                  return fiber === undefined ? undefined : Effect.sync(() => fiber.unsafeInterruptAsFork(fiber.id()))
                }))
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
        // was in flight. `yieldNow` lets finished fibers leave `inFlight` before the next look.
        const drain = Effect.suspend(function loop(): Effect.Effect<void> {
          const fibers = [...inFlight.values()]
          return fibers.length === 0
            ? Effect.void
            : Fiber.awaitAll(fibers).pipe(Effect.zipRight(Effect.yieldNow()), Effect.zipRight(Effect.suspend(loop)))
        })

        return { session, handle, run, inFlight: () => inFlight.size, drain, endInput } satisfies McpServer.Connection
      })

    const notifyResourceUpdated = (uri: string) =>
      Effect.zipRight(
        Effect.forEach(
          sessions,
          (s) => (s.subscriptions.has(uri) ? s.notify("notifications/resources/updated", { uri }) : Effect.void),
          { discard: true }
        ),
        feed.publish({ _tag: "ResourceUpdated", uri })
      )

    return {
      options,
      serverInfo,
      connect,
      addTool: (tool) => put(tools, compiledTools, compileTool, tool.value.name, tool, "tools"),
      removeTool: (name) => remove(tools, compiledTools, name, "tools"),
      addResource: (resource) => put(resources, compiledResources, compileResource, resource.value.uri, resource, "resources"),
      removeResource: (uri) => remove(resources, compiledResources, uri, "resources"),
      addResourceTemplate: (template) =>
        put(templates, compiledTemplates, compileTemplate, template.value.definition.uriTemplate, template, "resources"),
      removeResourceTemplate: (uriTemplate) => remove(templates, compiledTemplates, uriTemplate, "resources"),
      addPrompt: (prompt) => put(prompts, compiledPrompts, compilePrompt, prompt.value.name, prompt, "prompts"),
      removePrompt: (name) => remove(prompts, compiledPrompts, name, "prompts"),
      addMiddleware: (registered) =>
        Effect.sync(() => {
          middleware.push(registered)
          recompileAll()
        }),
      removeMiddleware: (value) =>
        Effect.sync(() => {
          const index = middleware.findIndex((m) => m.value === value)
          if (index === -1) return false
          middleware.splice(index, 1)
          recompileAll()
          return true
        }),
      notifyResourceUpdated,
      serveStateless,
      toolDefinition: (name) => tools.get(name)?.value.definition,
      sessions: () => [...sessions],
      followSubscriptions: subscribed.follow,
      events
    } satisfies McpServer.Service
  })
