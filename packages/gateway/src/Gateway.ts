/**
 * A gateway: an emcee server whose tools, prompts, resources and resource
 * templates come from backends (`Backend`: stdio commands and Streamable
 * HTTP URLs, either revision), beside any registered locally.
 *
 * - **Names.** A backend's tools and prompts are advertised as
 *   `prefix + separator + name` through a routing table (`Names`), never by
 *   splitting names on the separator; names stay within the spec's
 *   characters and 64 characters (spec 2025-11-25 server/tools "Tool
 *   Names"), and stay the same when other backends come and go. Resource
 *   URIs are served as they are; of two backends with one URI, the one
 *   whose name sorts first serves it. A local tool always keeps its name.
 * - **Forwarding.** Calls, reads, prompt gets and completions go to the
 *   backend under its own names; progress comes back to the caller's token;
 *   a caller that cancels or disconnects cancels the upstream request; the
 *   backend's own requests (sampling, elicitation, roots) are relayed to the
 *   caller (`Relay`).
 * - **Liveness.** Each backend is connected by its own fiber, reconnected
 *   with exponential backoff and jitter when it fails or its process exits;
 *   its capabilities are listed again on `list_changed` and on a schedule,
 *   and clients are told with `list_changed` when what the gateway serves
 *   changes. A backend down for longer than `withdrawAfter` has its
 *   primitives withdrawn until it is back. A call to a backend that is down
 *   fails at once with an error naming it (a tool result with `isError`,
 *   spec server/tools "Error Handling").
 *
 * @example
 * import { McpServer } from "@emcee/core"
 * import { Gateway } from "@emcee/gateway"
 *
 * const App = Gateway.layer({
 *   backends: [
 *     { name: "files", endpoint: { _tag: "Stdio", command: "node", args: ["files-server.js"] } },
 *     { name: "search", endpoint: { _tag: "Http", url: "https://search.internal/mcp" }, prefix: "web" }
 *   ]
 * }).pipe(Layer.provideMerge(McpServer.layer({ name: "gateway", version: "1.0.0", capabilities: { tools: true, prompts: true, resources: true } })))
 *
 * @since 0.4.0
 */
import { Elicitation, Health, type JsonRpc, Logging, McpClient, McpError, type McpSchema, McpServer, type RequestContext, Roots, Sampling } from "@emcee/core"
import { Clock, Context, Deferred, Duration, Effect, ExecutionStrategy, Exit, FiberRef, Layer, Option, PubSub, type Queue, Schedule, Scope, Stream } from "effect"
import * as Backend from "./Backend.js"
import * as CircuitBreaker from "./CircuitBreaker.js"
import * as GatewayMetrics from "./internal/gatewayMetrics.js"
import * as HopFailure from "./internal/hopFailure.js"
import { version } from "./internal/version.js"
import * as Proxy from "./internal/proxy.js"
import * as Names from "./Names.js"

/** Options of `layer`. */
export interface Options {
  readonly backends: ReadonlyArray<Backend.Backend>
  /** Between a backend's prefix and its names; default `_`. */
  readonly separator?: string
  /** Longest advertised tool or prompt name; default 64. */
  readonly maxNameLength?: number
  /** How long a request to a backend may take; default 60 s. */
  readonly requestTimeout?: Duration.DurationInput
  /** How long a backend may be down before its primitives are withdrawn; default 10 s. */
  readonly withdrawAfter?: Duration.DurationInput
  /** How often each backend's capabilities are listed again besides `list_changed`; default 5 minutes. */
  readonly refreshInterval?: Duration.DurationInput
  /** Delays between connection attempts; default exponential from 200 ms, jittered, at most 30 s apart. */
  readonly reconnect?: Schedule.Schedule<unknown, Backend.BackendError>
  /** `clientInfo` the gateway sends its backends; default `{ name: "emcee-gateway", version }`. */
  readonly clientInfo?: McpSchema.Implementation
  /**
   * The circuit breaker of each backend (`CircuitBreaker`): failures of the
   * hop (connection lost, timeout) open it, and while open calls fail at
   * once with an error naming the backend. Default: open after 5 failures
   * within a minute, for 30 s (growing on repeated openings).
   */
  readonly breaker?: Omit<CircuitBreaker.Options<McpClient.McpClientError>, "backend" | "instance" | "isFailure">
}

/** How a backend is doing. */
export interface BackendStatus {
  readonly name: string
  /** The URL, or the command. */
  readonly endpoint: string
  readonly state: "connecting" | "up" | "down"
  /** The revision spoken with it, once connected. */
  readonly protocolVersion: string | undefined
  readonly serverInfo: McpSchema.Implementation | undefined
  /** What the gateway serves of it now (zero once withdrawn). */
  readonly served: { readonly tools: number; readonly prompts: number; readonly resources: number; readonly resourceTemplates: number }
  /** Why it is down, when it is. */
  readonly lastError: string | undefined
  /** When it entered its state (epoch milliseconds). */
  readonly since: number
  /** The state of its circuit breaker. */
  readonly breaker: CircuitBreaker.State
}

/** The gateway service. */
export interface Service {
  /** Every backend's status, in the order added. */
  readonly backends: Effect.Effect<ReadonlyArray<BackendStatus>>
  /** Starts serving a backend, replacing one of the same name (registry changes, admin API). */
  readonly add: (backend: Backend.Backend) => Effect.Effect<void, Backend.BackendError>
  /** Stops serving a backend; its primitives are withdrawn at once (clients get `list_changed`). False when unknown. */
  readonly remove: (name: string) => Effect.Effect<boolean>
  /** Lists the capabilities of one backend (or every backend) again now. */
  readonly refresh: (backend?: string) => Effect.Effect<void>
  /**
   * Each listing of a backend's capabilities from now on (at connect, on
   * `list_changed`, on the schedule), for the life of the scope: what
   * `RegistrySync` stores as the backend's snapshot for discovery.
   */
  readonly listings: Effect.Effect<Queue.Dequeue<Listing>, never, Scope.Scope>
  /** The routing tables in force: advertised tool and prompt names to backends. */
  readonly routes: Effect.Effect<{ readonly tools: Names.RoutingTable; readonly prompts: Names.RoutingTable; readonly resources: Names.RoutingTable }>
}

/** Service tag of the gateway. */
export class Gateway extends Context.Tag("@emcee/gateway/Gateway")<Gateway, Service>() {}

/** A listing of a backend: what it offered, its implementation and revision, and when. */
export interface Listing extends Snapshot {
  readonly backend: string
  readonly serverInfo: McpSchema.Implementation
  readonly protocolVersion: string
  readonly refreshedAt: Date
}

/** What a backend offers, as last listed. */
interface Snapshot {
  readonly tools: ReadonlyArray<McpSchema.Tool>
  readonly prompts: ReadonlyArray<McpSchema.Prompt>
  readonly resources: ReadonlyArray<McpSchema.Resource>
  readonly resourceTemplates: ReadonlyArray<McpSchema.ResourceTemplate>
  readonly capabilities: McpSchema.ServerCapabilities
}

interface Connection {
  readonly client: McpClient.McpClient
  /** Completed when the connection is found dead (a request failed with connection closed). */
  readonly broken: Deferred.Deferred<void>
  /** The downstream requests being forwarded on it, for relaying the backend's own requests under 2025-11-25. */
  readonly inFlight: Set<Context.Context<RequestContext.RequestContext>>
}

interface State {
  readonly backend: Backend.Backend
  readonly breaker: CircuitBreaker.CircuitBreaker<McpClient.McpClientError>
  /** Closed when the backend is removed: its supervisor, breaker and connection. */
  readonly scope: Scope.CloseableScope
  state: BackendStatus["state"]
  since: number
  connection: Connection | undefined
  snapshot: Snapshot | undefined
  lastError: string | undefined
  served: { tools: number; prompts: number; resources: number; resourceTemplates: number }
}

const empty = (kind: string) => Names.table([], { kind })

/** Lists everything a backend offers that its capabilities declare. */
const list = (client: McpClient.McpClient): Effect.Effect<Snapshot, McpClient.McpClientError> => {
  const capabilities = client.serverCapabilities
  return Effect.all({
    tools: capabilities.tools === undefined ? Effect.succeed([]) : client.listAllTools({ bypassCache: true }),
    prompts: capabilities.prompts === undefined ? Effect.succeed([]) : client.listAllPrompts({ bypassCache: true }),
    resources: capabilities.resources === undefined ? Effect.succeed([]) : client.listAllResources({ bypassCache: true }),
    resourceTemplates: capabilities.resources === undefined ? Effect.succeed([]) : client.listAllResourceTemplates({ bypassCache: true }),
    capabilities: Effect.succeed(capabilities)
  }, { concurrency: "unbounded" })
}

/** A relayed request failed downstream: answer the backend with the same error. */
const relayError = (error: unknown): McpClient.McpClientError => {
  if (McpError.isProtocolError(error)) {
    const wire = McpError.toJsonRpc(error)
    return new McpClient.McpClientError({ code: wire.code, message: wire.message, ...(wire.data === undefined ? {} : { data: wire.data }) })
  }
  const tagged = error as { readonly _tag?: unknown; readonly code?: unknown; readonly message?: unknown }
  return new McpClient.McpClientError({
    code: typeof tagged.code === "number" ? tagged.code : -32603,
    message: typeof tagged.message === "string" ? tagged.message : String(error)
  })
}

/**
 * The gateway on the server of the context: connects every backend and
 * keeps the server's primitives in step with them for the life of the
 * Layer. The server should advertise `listChanged` for tools, prompts and
 * resources (any of them may appear later).
 */
export const layer = (options: Options): Layer.Layer<Gateway, never, McpServer.McpServer> =>
  Layer.scoped(Gateway, make(options))

/** The gateway as a scoped effect (see `layer`). */
export const make = (options: Options): Effect.Effect<Service, never, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const separator = options.separator ?? "_"
    const maxLength = options.maxNameLength ?? 64
    const timeoutMillis = Duration.toMillis(options.requestTimeout ?? "60 seconds")
    const withdrawAfter = Duration.toMillis(options.withdrawAfter ?? "10 seconds")
    const refreshEvery = options.refreshInterval ?? "5 minutes"
    const reconnect = options.reconnect ??
      Schedule.exponential("200 millis", 2).pipe(Schedule.jittered, Schedule.either(Schedule.spaced("30 seconds")))
    const clientInfo = options.clientInfo ?? { name: "emcee-gateway", version }

    const gatewayScope = yield* Effect.scope
    // The backends, in the order added.
    const states = new Map<string, State>()
    const all = () => [...states.values()]

    // What the gateway registered on the server, by kind: advertised name (or URI) -> fingerprint.
    const registered = { tools: new Map<string, string>(), prompts: new Map<string, string>(), resources: new Map<string, string>(), templates: new Map<string, string>() }
    let tables = { tools: empty("tool"), prompts: empty("prompt"), resources: empty("resource") }
    const applying = yield* Effect.makeSemaphore(1)
    const listed = yield* PubSub.sliding<Listing>(64)
    const publish = (state: State, client: McpClient.McpClient, snapshot: Snapshot) =>
      PubSub.publish(listed, {
        ...snapshot,
        backend: state.backend.name,
        serverInfo: client.serverInfo,
        protocolVersion: client.protocolVersion,
        refreshedAt: new Date()
      })

    /** The upstream of a backend as proxies see it. */
    const upstreamOf = (state: State, snapshot: Snapshot): Proxy.Upstream => ({
      backend: state.backend.name,
      timeoutMillis,
      completions: snapshot.capabilities.completions !== undefined,
      client: () => state.connection?.client ?? `not connected${state.lastError === undefined ? "" : ` (${state.lastError})`}`,
      run: <A>(effect: Effect.Effect<A, McpClient.McpClientError>, caller: Context.Context<RequestContext.RequestContext>) =>
        Effect.suspend((): Effect.Effect<A, McpClient.McpClientError | Proxy.Unavailable> => {
          const connection = state.connection
          if (connection === undefined) {
            GatewayMetrics.recordUnavailable(state.backend.name)
            return Effect.fail(new Proxy.Unavailable({ backend: state.backend.name, message: `not connected${state.lastError === undefined ? "" : ` (${state.lastError})`}` }))
          }
          connection.inFlight.add(caller)
          const started = performance.now()
          return state.breaker.run(effect).pipe(
            Effect.tapError((error) =>
              error._tag === "McpClientError" && HopFailure.connectionLost(error)
                ? Deferred.succeed(connection.broken, undefined)
                : Effect.void
            ),
            Effect.onExit((exit) =>
              Effect.sync(() => {
                connection.inFlight.delete(caller)
                GatewayMetrics.recordCall(state.backend.name, exit, (performance.now() - started) / 1000)
              })
            ),
            Effect.catchTag("CircuitOpenError", (error) =>
              Effect.fail(
                new Proxy.Unavailable({
                  backend: state.backend.name,
                  message: `its circuit breaker is open after repeated failures; retry in ${Math.max(1, Math.ceil(Duration.toSeconds(error.retryAfter)))} s`
                })
              ))
          )
        })
    })

    /** Brings the server's primitives in step with the backends that are served (up, or down for less than `withdrawAfter`). */
    const apply = applying.withPermits(1)(Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      const served = all().filter((state) =>
        state.snapshot !== undefined && (state.state === "up" || at - state.since < withdrawAfter)
      )
      const prefixOf = (state: State) => state.backend.prefix ?? state.backend.name
      const toolTable = Names.table(
        served.map((state) => ({ backend: state.backend.name, prefix: prefixOf(state), items: state.snapshot!.tools.map((tool) => tool.name) })),
        { separator, maxLength, kind: "tool" }
      )
      const promptTable = Names.table(
        served.map((state) => ({ backend: state.backend.name, prefix: prefixOf(state), items: state.snapshot!.prompts.map((prompt) => prompt.name) })),
        { separator, maxLength, kind: "prompt" }
      )
      const resourceTable = Names.resourceTable(
        served.map((state) => ({ backend: state.backend.name, items: state.snapshot!.resources.map((resource) => resource.uri) }))
      )
      for (const conflict of [...toolTable.conflicts, ...promptTable.conflicts, ...resourceTable.conflicts]) {
        yield* Effect.logDebug(`gateway: ${conflict.message}`)
      }
      for (const state of all()) state.served = { tools: 0, prompts: 0, resources: 0, resourceTemplates: 0 }

      const nextTools = new Map<string, readonly [string, () => Effect.Effect<void>]>()
      const nextPrompts = new Map<string, readonly [string, () => Effect.Effect<void>]>()
      const nextResources = new Map<string, readonly [string, () => Effect.Effect<void>]>()
      const nextTemplates = new Map<string, readonly [string, () => Effect.Effect<void>]>()
      const context = Context.empty() as Context.Context<never>
      for (const state of served) {
        const snapshot = state.snapshot!
        const upstream = upstreamOf(state, snapshot)
        const name = state.backend.name
        for (const tool of snapshot.tools) {
          const advertised = toolTable.advertised(name, tool.name)
          if (advertised === undefined) continue
          state.served.tools++
          nextTools.set(advertised, [`${name}\u0000${JSON.stringify(tool)}`, () => server.addTool({ value: Proxy.tool(upstream, tool, advertised), context })])
        }
        for (const prompt of snapshot.prompts) {
          const advertised = promptTable.advertised(name, prompt.name)
          if (advertised === undefined) continue
          state.served.prompts++
          nextPrompts.set(advertised, [`${name}\u0000${JSON.stringify(prompt)}`, () => server.addPrompt({ value: Proxy.prompt(upstream, prompt, advertised), context })])
        }
        for (const resource of snapshot.resources) {
          if (resourceTable.advertised(name, resource.uri) === undefined) continue
          state.served.resources++
          nextResources.set(resource.uri, [`${name}\u0000${JSON.stringify(resource)}`, () => server.addResource({ value: Proxy.resource(upstream, resource), context })])
        }
        for (const template of snapshot.resourceTemplates) {
          // Of two backends with one template, the first served (backends in configured order) keeps it.
          if (nextTemplates.has(template.uriTemplate)) continue
          state.served.resourceTemplates++
          nextTemplates.set(template.uriTemplate, [
            `${name}\u0000${JSON.stringify(template)}`,
            () => server.addResourceTemplate({ value: Proxy.resourceTemplate(upstream, template), context })
          ])
        }
      }
      const sync = (
        current: Map<string, string>,
        next: Map<string, readonly [string, () => Effect.Effect<void>]>,
        remove: (key: string) => Effect.Effect<boolean>
      ) =>
        Effect.gen(function*() {
          for (const key of [...current.keys()]) {
            if (!next.has(key)) {
              yield* remove(key)
              current.delete(key)
            }
          }
          for (const [key, [fingerprint, add]] of next) {
            if (current.get(key) === fingerprint) continue
            yield* add()
            current.set(key, fingerprint)
          }
        })
      yield* sync(registered.tools, nextTools, server.removeTool)
      yield* sync(registered.prompts, nextPrompts, server.removePrompt)
      yield* sync(registered.resources, nextResources, server.removeResource)
      yield* sync(registered.templates, nextTemplates, server.removeResourceTemplate)
      tables = { tools: toolTable, prompts: promptTable, resources: resourceTable }
    }))

    /** The caller a backend's own request belongs to (see `Proxy.currentCaller`). */
    const callerOf = (state: State) =>
      Effect.flatMap(FiberRef.get(Proxy.currentCaller), (caller) => {
        if (Option.isSome(caller)) return Effect.succeed(caller.value)
        const inFlight = [...(state.connection?.inFlight ?? [])]
        return inFlight.length === 1
          ? Effect.succeed(inFlight[0]!)
          : Effect.fail(
            new McpClient.McpClientError({
              code: -32603,
              message: inFlight.length === 0
                ? "The gateway has no request in progress to relay this request to"
                : "The gateway cannot tell which of several requests in progress this request belongs to"
            })
          )
      })

    const relay = <A>(state: State, ask: Effect.Effect<A, unknown, RequestContext.RequestContext>) =>
      Effect.flatMap(callerOf(state), (caller) => ask.pipe(Effect.provide(caller), Effect.mapError(relayError)))

    const keyed = (request: McpClient.HandlerRequest | undefined) => request?.inputKey === undefined ? undefined : { inputKey: request.inputKey }

    /** The backend's own requests, answered by the caller of the request that caused them. */
    const handlers = (state: State): McpClient.Handlers => ({
      // Under 2026-07-28 the caller is asked under the backend's own input key (spec 2026-07-28 basic/patterns/mrtr).
      sampling: (params, request) => relay(state, Sampling.createMessage(params, keyed(request))),
      elicitation: (params, request) =>
        relay(
          state,
          params.mode === "url"
            ? Elicitation.url({ message: params.message, url: params.url, elicitationId: params.elicitationId }, keyed(request))
            : Elicitation.form(params.message, (params as McpSchema.ElicitRequestFormParams).requestedSchema, keyed(request))
        ),
      roots: (request) => relay(state, Roots.list(keyed(request)))
    })

    const setState = (state: State, next: BackendStatus["state"], error?: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        Effect.sync(() => {
          if (state.state !== next) state.since = at
          state.state = next
          GatewayMetrics.recordUp(state.backend.name, next === "up")
          if (error !== undefined) state.lastError = error
        }))

    const refreshOne = (state: State) =>
      Effect.suspend(() => {
        const connection = state.connection
        if (connection === undefined) return Effect.void
        return list(connection.client).pipe(
          Effect.tap((snapshot) => Effect.sync(() => void (state.snapshot = snapshot))),
          Effect.flatMap((snapshot) => publish(state, connection.client, snapshot)),
          Effect.zipRight(apply),
          Effect.catchAll((error) => Effect.logWarning(`gateway: listing backend "${state.backend.name}" failed: ${error.message}`))
        )
      })

    /** One connection's life: connect, list, serve, follow `list_changed`; returns when the connection ends. */
    const session = (state: State) =>
      Effect.gen(function*() {
        const client = yield* Backend.connect(state.backend, {
          clientInfo,
          handlers: handlers(state),
          requestTimeoutMillis: timeoutMillis,
          // A log message of the backend goes to the caller it belongs to, at that caller's level (spec
          // server/utilities/logging). It arrives before the response it precedes, while the request is
          // still in flight; while several are in flight it cannot be told apart, and is not passed on.
          onNotification: (notification) => {
            const callers = [...(state.connection?.inFlight ?? [])]
            if (notification.method !== "notifications/message" || callers.length !== 1) return Effect.void
            const params = (notification.params ?? {}) as { readonly level?: unknown; readonly data?: unknown; readonly logger?: unknown }
            if (!Logging.isLevel(params.level)) return Effect.void
            return Logging.log(params.level, params.data, typeof params.logger === "string" ? params.logger : undefined).pipe(Effect.provide(callers[0]!))
          }
        })
        const snapshot = yield* list(client).pipe(
          Effect.mapError((error) => new Backend.BackendError({ backend: state.backend.name, message: `listing its capabilities failed: ${error.message}`, cause: error }))
        )
        const broken = yield* Deferred.make<void>()
        const connection: Connection = { client, broken, inFlight: new Set() }
        state.connection = connection
        state.snapshot = snapshot
        state.lastError = undefined
        yield* setState(state, "up")
        yield* publish(state, client, snapshot)
        yield* Effect.logInfo(`gateway: backend "${state.backend.name}" is up (${client.protocolVersion}, ${snapshot.tools.length} tools)`)
        yield* apply
        const capabilities = client.serverCapabilities
        const filter: McpClient.SubscriptionFilter = {
          ...(capabilities.tools?.listChanged === true ? { toolsListChanged: true } : {}),
          ...(capabilities.prompts?.listChanged === true ? { promptsListChanged: true } : {}),
          ...(capabilities.resources?.listChanged === true ? { resourcesListChanged: true } : {})
        }
        const subscription = yield* client.listen(filter).pipe(Effect.option)
        if (Option.isSome(subscription)) {
          // Any list_changed lists everything again; a resource update is passed on to subscribed clients.
          yield* subscription.value.notifications.pipe(
            Stream.runForEach((notification: JsonRpc.Notification) =>
              notification.method === "notifications/resources/updated"
                ? server.notifyResourceUpdated(String((notification.params as { readonly uri?: unknown } | undefined)?.uri ?? ""))
                : notification.method.endsWith("/list_changed")
                ? refreshOne(state)
                : Effect.void
            ),
            Effect.exit,
            // The stream ends (2025-11-25) or fails (2026-07-28) when the connection is lost.
            Effect.zipRight(Deferred.succeed(broken, undefined)),
            Effect.forkScoped
          )
        }
        yield* refreshOne(state).pipe(Effect.repeat(Schedule.spaced(refreshEvery)), Effect.delay(refreshEvery), Effect.forkScoped)
        yield* Deferred.await(broken)
      }).pipe(Effect.scoped)

    const down = (state: State, reason: string) =>
      Effect.gen(function*() {
        const wasUp = state.state === "up"
        state.connection = undefined
        yield* setState(state, "down", reason)
        if (wasUp) yield* Effect.logWarning(`gateway: backend "${state.backend.name}" is down: ${reason}`)
        // Its primitives stay served for `withdrawAfter`, then go unless it is back.
        yield* Effect.sleep(Duration.millis(withdrawAfter)).pipe(Effect.zipRight(apply), Effect.forkIn(gatewayScope))
      })

    const supervise = (state: State) =>
      session(state).pipe(
        Effect.tapError((error) => down(state, error.message)),
        Effect.retry(reconnect),
        Effect.zipRight(Effect.suspend(() => down(state, "the connection closed"))),
        Effect.zipRight(Effect.sleep("200 millis")),
        Effect.forever
      )

    /** Starts serving a backend (replacing one of the same name). */
    const add = (backend: Backend.Backend): Effect.Effect<void, Backend.BackendError> =>
      Effect.gen(function*() {
        const problem = Backend.invalidName(backend.name)
        if (problem !== undefined) return yield* new Backend.BackendError({ backend: backend.name, message: problem })
        yield* remove(backend.name, false)
        const scope = yield* Scope.fork(gatewayScope, ExecutionStrategy.sequential)
        const breaker = yield* CircuitBreaker.make<McpClient.McpClientError>({
          ...options.breaker,
          backend: backend.name,
          // Only failures of the hop count; a JSON-RPC error of the backend is an answer.
          isFailure: HopFailure.isHopFailure
        }).pipe(
          Scope.extend(scope),
          Effect.mapError((error) => new Backend.BackendError({ backend: backend.name, message: `invalid breaker options: ${error.reason}` }))
        )
        const state: State = {
          backend,
          breaker,
          scope,
          state: "connecting",
          since: yield* Clock.currentTimeMillis,
          connection: undefined,
          snapshot: undefined,
          lastError: undefined,
          served: { tools: 0, prompts: 0, resources: 0, resourceTemplates: 0 }
        }
        states.set(backend.name, state)
        yield* Effect.forkIn(supervise(state), scope)
        yield* breaker.states.pipe(
          Stream.runForEach((position) =>
            Effect.zipRight(
              Effect.sync(() => GatewayMetrics.recordBreaker(backend.name, position)),
              position === "open" ? Effect.logWarning(`gateway: the circuit breaker of backend "${backend.name}" opened`) : Effect.void
            )
          ),
          Effect.forkIn(scope)
        )
      })

    /** Stops serving a backend: its connection closes and its primitives go at once. */
    const remove = (name: string, update = true): Effect.Effect<boolean> =>
      Effect.gen(function*() {
        const state = states.get(name)
        if (state === undefined) return false
        states.delete(name)
        yield* Scope.close(state.scope, Exit.void)
        GatewayMetrics.recordUp(name, false)
        if (update) yield* apply
        return true
      })

    for (const backend of options.backends) {
      if (states.has(backend.name)) return yield* Effect.dieMessage(`Gateway: two backends are named "${backend.name}"`)
      yield* add(backend).pipe(Effect.catchAll((error) => Effect.dieMessage(`Gateway: ${error.message}`)))
    }

    const status = (state: State): BackendStatus => ({
      name: state.backend.name,
      endpoint: Backend.describeEndpoint(state.backend.endpoint),
      state: state.state,
      protocolVersion: state.connection?.client.protocolVersion,
      serverInfo: state.connection?.client.serverInfo,
      served: { ...state.served },
      lastError: state.lastError,
      since: state.since,
      breaker: state.breaker.unsafeState()
    })

    return {
      backends: Effect.sync(() => all().map(status)),
      add,
      remove: (name) => remove(name),
      refresh: (name) =>
        name === undefined
          ? Effect.forEach(all(), refreshOne, { discard: true })
          : Effect.suspend(() => {
            const state = states.get(name)
            return state === undefined ? Effect.void : refreshOne(state)
          }),
      listings: PubSub.subscribe(listed),
      routes: Effect.sync(() => tables)
    }
  })

/**
 * A readiness check named `backends` (`Health`; the HTTP transport serves
 * it on `GET /health/ready`): healthy when every backend is up, degraded
 * when some are down, unhealthy when none is up (or, with `required`, when
 * one of those is down).
 */
export const healthCheck = (options: { readonly required?: ReadonlyArray<string> } = {}): Layer.Layer<never, never, Gateway | Health.Health> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const gateway = yield* Gateway
    const health = yield* Health.Health
    yield* health.register(
      "backends",
      Effect.map(gateway.backends, (backends): Health.CheckResult => {
        const down = backends.filter((backend) => backend.state !== "up")
        if (down.length === 0) return "healthy"
        const detail = `down: ${down.map((backend) => `${backend.name}${backend.lastError === undefined ? "" : ` (${backend.lastError})`}`).join(", ")}`
        const requiredDown = down.some((backend) => options.required?.includes(backend.name) === true)
        return { status: requiredDown || down.length === backends.length ? "unhealthy" : "degraded", detail }
      })
    )
  }))

/** Waits until every backend has been tried once (up, or down after a first failure): for start-up and tests. */
export const awaitSettled = (options: { readonly timeout?: Duration.DurationInput } = {}): Effect.Effect<ReadonlyArray<BackendStatus>, never, Gateway> =>
  Effect.flatMap(Gateway, (gateway) =>
    gateway.backends.pipe(
      Effect.repeat({ until: (backends) => backends.every((backend) => backend.state !== "connecting"), schedule: Schedule.spaced("20 millis") }),
      Effect.timeout(options.timeout ?? "30 seconds"),
      Effect.ignore,
      Effect.zipRight(gateway.backends)
    ))
