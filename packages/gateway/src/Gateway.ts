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
 *   caller (`Relay`). A client's subscription to a resource (spec
 *   server/resources "Subscriptions", 2026-07-28 `subscriptions/listen`) is
 *   made upstream on the backend serving it before the client is answered,
 *   and the backend's updates go to the subscribed clients.
 * - **Liveness.** Each backend is connected by its own fiber, reconnected
 *   with exponential backoff and jitter when it fails or its process exits;
 *   its capabilities are listed again on `list_changed` and on a schedule,
 *   and clients are told with `list_changed` when what the gateway serves
 *   changes. A backend down for longer than `withdrawAfter` has its
 *   primitives withdrawn until it is back. A call to a backend that is down
 *   fails at once with an error naming it (a tool result with `isError`,
 *   spec server/tools "Error Handling").
 * - **Sessions.** A request that loses its connection before its answer
 *   (the connection drops, the process exits, the backend restarted and
 *   answers 404 for the old session) and is safe to send again (reads,
 *   prompt gets, completions, and calls of tools annotated `readOnlyHint`
 *   or `idempotentHint`, spec 2025-11-25 schema `ToolAnnotations`) waits for
 *   a new session, within the request timeout, and goes again once; so does
 *   any request the backend never read (its 404 for the old session says so,
 *   `McpClient.notProcessed`); other calls fail naming the backend. A
 *   backend with `sessions: "perPrincipal"` gets one upstream session per
 *   caller (`Principal`), released when idle.
 *   With `probeInterval`, every connection is pinged; one that does not
 *   answer is replaced and counts against the breaker.
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
import { Elicitation, Health, type JsonRpc, Logging, McpClient, McpError, McpSchema, McpServer, type Middleware, RequestContext, Roots, Sampling } from "@emcee/core"
import { HttpHop } from "@emcee/transport"
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  ExecutionStrategy,
  Exit,
  FiberRef,
  Layer,
  Option,
  PubSub,
  Queue,
  RcMap,
  Schedule,
  Scope,
  Stream,
  SubscriptionRef
} from "effect"
import * as Backend from "./Backend.js"
import * as Balancer from "./Balancer.js"
import * as CircuitBreaker from "./CircuitBreaker.js"
import * as GatewayMetrics from "./internal/gatewayMetrics.js"
import * as HopFailure from "./internal/hopFailure.js"
import { version } from "./internal/version.js"
import * as Proxy from "./internal/proxy.js"
import * as Sessions from "./internal/sessions.js"
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
  /**
   * The largest answer taken from a backend: a JSON body or one SSE event
   * over HTTP (larger: that request fails with -32003, `data.maxMessageBytes`),
   * one line over stdio (larger: dropped, and the request times out).
   * Default 16 MiB.
   */
  readonly maxResponseBytes?: number
  /** `clientInfo` the gateway sends its backends; default `{ name: "emcee-gateway", version }`. */
  readonly clientInfo?: McpSchema.Implementation
  /**
   * The circuit breaker of each backend (`CircuitBreaker`): failures of the
   * hop (connection lost, timeout) open it, and while open calls fail at
   * once with an error naming the backend. Default: open after 5 failures
   * within a minute, for 30 s (growing on repeated openings).
   */
  readonly breaker?: Omit<CircuitBreaker.Options<McpClient.McpClientError>, "backend" | "instance" | "isFailure">
  /**
   * How often every connection to a backend (the shared one and each
   * caller's) is sent a `ping` (spec basic/utilities/ping; `server/discover`
   * under 2026-07-28). A ping that fails or gets no answer within
   * `probeTimeout` marks the connection broken (it is opened again, spec
   * basic/utilities/ping "Behavior Requirements") and counts as a failure
   * of the backend's circuit breaker; an answer counts as a success. Off by
   * default.
   */
  readonly probeInterval?: Duration.DurationInput
  /** How long a probe waits for its answer; default 5 s. */
  readonly probeTimeout?: Duration.DurationInput
  /**
   * The middleware of each primitive served for a backend, given the backend
   * and the primitive (its kind and the backend's own name, URI or URI
   * template): who may see and reach it, and how often (`Policy`: tenant
   * isolation, RBAC, rate limits). Default none.
   */
  readonly middleware?: (backend: Backend.Backend, primitive: ProxiedPrimitive) => ReadonlyArray<Middleware.Any>
}

/** A primitive of a backend, as `Options.middleware` is told of it: its kind and the backend's own name (URI, URI template). */
export interface ProxiedPrimitive {
  readonly kind: "tool" | "prompt" | "resource" | "resourceTemplate"
  readonly name: string
}

/** How a backend is doing. */
export interface BackendStatus {
  readonly name: string
  /** The instance, for a backend with `instances` (each is listed). */
  readonly instance: string | undefined
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

interface Connection extends Proxy.Link {
  /** Completed, with why, when the connection is found dead (a request lost, the client closed, a probe failed) or closed. */
  readonly broken: Deferred.Deferred<string>
  /** The downstream requests being forwarded on it, for relaying the backend's own requests under 2025-11-25. */
  readonly inFlight: Set<Context.Context<RequestContext.RequestContext>>
  /** Closed with the connection. */
  readonly scope: Scope.Scope
}

/** The upstream sessions of callers of a `perPrincipal` backend, by principal key. */
interface PrincipalSessions {
  readonly map: RcMap.RcMap<string, Connection, Backend.BackendError>
  /** The connection each key holds now (a broken one is dropped only if it is still the one held). */
  readonly current: Map<string, Connection>
}

/** A backend as served: its states, and how requests are spread over them. */
interface Group {
  /** Tells apart a backend from an earlier one of the same name: its primitives are built again when it changes. */
  readonly id: number
  readonly backend: Backend.Backend
  /** One state, or one per instance. */
  readonly members: ReadonlyArray<State>
  /** With two or more instances. */
  readonly balancer: Balancer.Balancer<Member> | undefined
}

/** An instance as its balancer sees it. */
interface Member extends Balancer.Instance {
  readonly state: State
}

interface State {
  /** Tells apart a backend from an earlier one of the same name (replaced by `add`). */
  readonly id: number
  /** Its backend; for an instance, with the instance's endpoint. */
  readonly backend: Backend.Backend
  /** The instance it is, for a backend with `instances`. */
  readonly instance: string | undefined
  readonly breaker: CircuitBreaker.CircuitBreaker<McpClient.McpClientError>
  /** The backend's access tokens (client credentials), kept across its connections. */
  readonly tokens: Backend.TokenSource | undefined
  /** Closed when the backend is removed: its supervisor, breaker and connections. */
  readonly scope: Scope.CloseableScope
  state: BackendStatus["state"]
  since: number
  /** The shared connection: listings, and the requests of callers without a session of their own. */
  connection: Connection | undefined
  /** The shared connection just lost, until the first attempt to open another ends: requests wait for that attempt. */
  lost: Connection | undefined
  /** Bumped whenever `connection` or `lost` changes: what requests waiting for a connection watch. */
  readonly changed: SubscriptionRef.SubscriptionRef<number>
  /** With `sessions: "perPrincipal"`. */
  readonly principals: PrincipalSessions | undefined
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

/** A backend or one of its instances, for messages. */
const label = (state: { readonly backend: Backend.Backend; readonly instance: string | undefined }) =>
  state.instance === undefined ? `backend "${state.backend.name}"` : `backend "${state.backend.name}" (instance "${state.instance}")`

/** The `consistent-hash` key of a request: the caller's principal, or the value of a tool call's argument. */
const hashKeyOf = (balancing: Backend.Balancing | undefined, caller: Context.Context<RequestContext.RequestContext>): string | undefined => {
  const key = balancing?.hashKey ?? "principal"
  if (key === "principal") return Sessions.principalKey(caller)
  const args = Context.get(caller, RequestContext.RequestContext).params.arguments
  const value = typeof args === "object" && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>)[key.argument] : undefined
  return value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value)
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
    const probeEvery = options.probeInterval === undefined ? undefined : Duration.decode(options.probeInterval)
    const probeTimeoutMillis = Duration.toMillis(options.probeTimeout ?? "5 seconds")
    let nextId = 0

    const gatewayScope = yield* Effect.scope
    // The backends, in the order added.
    // The backends, in the order added: each one's states (one, or one per instance).
    const groups = new Map<string, Group>()
    const all = () => [...groups.values()].flatMap((group) => group.members)

    // What the gateway registered on the server, by kind: advertised name (or URI) -> fingerprint.
    const registered = { tools: new Map<string, string>(), prompts: new Map<string, string>(), resources: new Map<string, string>(), templates: new Map<string, string>() }
    let tables = { tools: empty("tool"), prompts: empty("prompt"), resources: empty("resource") }
    // Which backend serves a resource URI, as `resources/read` resolves it (the URI's resource, else the first
    // template matching it): where a client's subscription to it goes.
    let owners: { readonly resources: ReadonlyMap<string, string>; readonly templates: ReadonlyArray<readonly [(uri: string) => boolean, string]> } = {
      resources: new Map(),
      templates: []
    }
    const ownerOf = (uri: string): string | undefined => owners.resources.get(uri) ?? owners.templates.find(([matches]) => matches(uri))?.[1]
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

    const notConnected = (state: State) =>
      new Proxy.Unavailable({ backend: state.backend.name, message: `not connected${state.lastError === undefined ? "" : ` (${state.lastError})`}` })

    /**
     * One attempt of a forwarded request on one connection: the breaker, in-flight tracking, metrics. A
     * lost connection is marked broken, and counts once against the breaker however many requests it took
     * with it. A request the backend never read (`McpClient.notProcessed`: its session expired, HTTP 404)
     * neither: the transport fails by itself once its other requests know their fate, which marks the
     * connection broken, and until then they are not cut short.
     */
    const attempt = <A>(
      state: State,
      connection: Connection,
      send: (link: Proxy.Link) => Effect.Effect<A, McpClient.McpClientError>,
      caller: Context.Context<RequestContext.RequestContext>
    ): Effect.Effect<A, McpClient.McpClientError | Proxy.Unavailable> =>
      // Written out rather than piped: every forwarded request runs it.
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          connection.inFlight.add(caller)
          const started = performance.now()
          const done = (outcome: GatewayMetrics.CallOutcome) => {
            connection.inFlight.delete(caller)
            GatewayMetrics.recordCall(state.backend.name, outcome, (performance.now() - started) / 1000)
          }
          return Effect.matchCauseEffect(restore(state.breaker.run(send(connection))), {
            onSuccess: (value) => {
              done("ok")
              return Effect.succeed(value)
            },
            onFailure: (cause): Effect.Effect<never, McpClient.McpClientError | Proxy.Unavailable> => {
              const error = Option.getOrUndefined(Cause.failureOption(cause))
              if (error?._tag === "CircuitOpenError") {
                done("unavailable")
                const retryAfter = Math.max(1, Math.ceil(Duration.toSeconds(error.retryAfter)))
                return Effect.fail(
                  new Proxy.Unavailable({ backend: state.backend.name, message: `its circuit breaker is open after repeated failures; retry in ${retryAfter} s` })
                )
              }
              done("error")
              // An open breaker refuses before the call: any other failure is the call's own.
              const failed = cause as Cause.Cause<McpClient.McpClientError>
              if (error !== undefined && HopFailure.connectionLost(error) && !McpClient.notProcessed(error)) {
                return Effect.zipRight(
                  Effect.flatMap(
                    Deferred.succeed(connection.broken, error.message),
                    (first) => (first && Sessions.isLost(error) ? state.breaker.recordFailure : Effect.void)
                  ),
                  Effect.failCause(failed)
                )
              }
              return Effect.failCause(failed)
            }
          })
        })
      )

    /** Forgets a caller's broken connection, if it is still the one held for the key (the next request opens another). */
    const dropPrincipal = (principals: PrincipalSessions, key: string, connection: Connection) =>
      Effect.suspend(() => (principals.current.get(key) === connection ? RcMap.invalidate(principals.map, key) : Effect.void))

    /** Waits until `decide`, asked now and after each change of the shared connection, answers. */
    const whenShared = <A, E>(state: State, decide: () => Option.Option<Either.Either<A, E>>): Effect.Effect<A, E> =>
      state.changed.changes.pipe(
        Stream.filterMap(decide),
        Stream.runHead,
        Effect.flatMap(Option.match({ onNone: () => Effect.never, onSome: (answer) => answer }))
      )

    /**
     * The shared connection for a request. While it is being opened again right after it was lost (a
     * backend restarting), the request waits for it, at most `waitMillis`; a backend that is down fails
     * it at once.
     */
    const sharedConnection = (state: State, waitMillis: number): Effect.Effect<Connection, Proxy.Unavailable> => {
      const connection = state.connection
      if (connection !== undefined) return Effect.succeed(connection)
      if (state.lost === undefined) return Effect.fail(notConnected(state))
      return whenShared(state, () =>
        state.connection !== undefined
          ? Option.some(Either.right(state.connection))
          : state.lost !== undefined
          ? Option.none()
          : Option.some(Either.left(notConnected(state)))).pipe(
          Effect.timeoutFail({ duration: Duration.millis(waitMillis), onTimeout: () => notConnected(state) })
        )
    }

    /** The caller's own connection (`perPrincipal`), opened on demand and held for the scope. */
    const principalConnection = (state: State, principals: PrincipalSessions, key: string): Effect.Effect<Connection, Proxy.Unavailable, Scope.Scope> =>
      RcMap.get(principals.map, key).pipe(
        // A failed opening is not kept: the next request tries again.
        Effect.tapError(() => Effect.suspend(() => (principals.current.has(key) ? Effect.void : RcMap.invalidate(principals.map, key)))),
        Effect.mapError((error) => new Proxy.Unavailable({ backend: state.backend.name, message: `opening a session for the caller failed: ${error.message}` }))
      )

    /**
     * A forwarded request on `connection`; when that is lost before the answer
     * and the request is safe to replay, once more on `next(lost)`, waited
     * for within what is left of the request timeout since `started`.
     */
    const withReplay = <A, R>(
      state: State,
      replaySafe: boolean,
      send: (link: Proxy.Link) => Effect.Effect<A, McpClient.McpClientError>,
      caller: Context.Context<RequestContext.RequestContext>,
      started: number,
      connection: Connection,
      next: (lost: Connection) => Effect.Effect<Connection, unknown, R>
    ): Effect.Effect<A, McpClient.McpClientError | Proxy.Unavailable, R> =>
      attempt(state, connection, send, caller).pipe(
        Effect.catchIf(
          (error): error is McpClient.McpClientError => error._tag === "McpClientError" && Sessions.isLost(error),
          (error) =>
            // A request the backend never read goes again whatever it does (see `McpClient.notProcessed`).
            !replaySafe && !McpClient.notProcessed(error) ? Effect.fail(Sessions.notReplayed(error)) : Effect.gen(function*() {
              const waited = Date.now() - started
              const again = yield* next(connection).pipe(Effect.timeout(Duration.millis(Math.max(0, timeoutMillis - waited))), Effect.option)
              if (Option.isNone(again)) return yield* Effect.fail(Sessions.notBack(error, Date.now() - started))
              yield* Effect.logDebug(`gateway: a request to ${label(state)} lost its connection; sending it again on a new session`)
              return yield* attempt(state, again.value, send, caller)
            })
        )
      )

    /**
     * Runs a forwarded request (see `Proxy.Upstream.run`) on the caller's own
     * connection (`perPrincipal`) or the shared one; when that is lost before
     * the answer and the request is safe to replay, once more on the next
     * connection: the next shared one the supervisor opens, or a new one of
     * the caller's (tried until it opens).
     */
    const runOn = (state: State, replaySafe: boolean): Proxy.Upstream["run"] => {
      /** The shared connection after `lost`. */
      const nextShared = (lost: Connection) =>
        whenShared(state, () => state.connection !== undefined && state.connection !== lost ? Option.some(Either.right(state.connection)) : Option.none())
      return (send, caller) =>
      Effect.suspend(() => {
        // Wall-clock time: what is left of the request timeout for a replay.
        const started = Date.now()
        const principals = state.principals
        const key = principals === undefined ? undefined : Sessions.principalKey(caller)
        if (principals === undefined || key === undefined) {
          // Connected, as nearly always: straight on.
          const connection = state.connection
          if (connection !== undefined) return withReplay(state, replaySafe, send, caller, started, connection, nextShared)
          return sharedConnection(state, timeoutMillis).pipe(
            Effect.tapError(() => Effect.sync(() => GatewayMetrics.recordUnavailable(state.backend.name))),
            Effect.flatMap((connection) => withReplay(state, replaySafe, send, caller, started, connection, nextShared))
          )
        }
        return principalConnection(state, principals, key).pipe(
          Effect.timeoutFail({ duration: Duration.millis(timeoutMillis), onTimeout: () => notConnected(state) }),
          Effect.tapError(() => Effect.sync(() => GatewayMetrics.recordUnavailable(state.backend.name))),
          Effect.flatMap((connection) =>
            withReplay(state, replaySafe, send, caller, started, connection, (lost) =>
              Effect.zipRight(
                dropPrincipal(principals, key, lost),
                Effect.retry(principalConnection(state, principals, key), Schedule.spaced("250 millis"))
              ))
          ),
          Effect.scoped
        )
      })
    }

    /** One connection: every request goes there, pinned or not. */
    const single = (run: Proxy.Upstream["run"]): Pick<Proxy.Upstream, "run" | "pinned"> => {
      const pinned: Proxy.Pinned = { run, instance: () => undefined, pinTo: () => {} }
      return { run, pinned: () => pinned }
    }

    /** The upstream of a backend as proxies see it; `replaySafe`: whether its requests may be sent again after a lost connection. */
    const upstreamOf = (state: State, snapshot: Snapshot, replaySafe = true): Proxy.Upstream => {
      const group = groups.get(state.backend.name)
      const balancer = group?.members.includes(state) === true ? group.balancer : undefined
      return {
        backend: state.backend.name,
        timeoutMillis,
        completions: snapshot.capabilities.completions !== undefined,
        // While it is being opened again, requests wait for it in `run` (see `connectionFor`).
        client: balancer === undefined
          ? () => state.connection?.client ?? state.lost?.client ?? notConnected(state).message
          : () => group!.members.find((member) => member.connection !== undefined)?.connection?.client ?? notConnected(state).message,
        clientInfo,
        ...(balancer === undefined ? single(runOn(state, replaySafe)) : spread(group!, balancer, replaySafe))
      }
    }

    /**
     * Runs each forwarded request of a backend with instances on one of them
     * (spec-neutral: each instance is a server of its own): one that is up and
     * whose breaker is not open, as the balancer picks; counted in flight
     * while it runs (`least-connections`), keyed by the caller's principal or
     * an argument (`consistent-hash`), kept on the instance a client session
     * first reached (`affinity`). With `pin`, the first request's instance
     * takes every later one (a task exists only on the instance that made it).
     */
    const spread = (group: Group, balancer: Balancer.Balancer<Member>, replaySafe: boolean): Pick<Proxy.Upstream, "run" | "pinned"> => {
      const runs = new Map(group.members.map((member) => [member, runOn(member, replaySafe)] as const))
      const balancing = group.backend.balancing
      const hashed = balancer.strategy === "consistent-hash"
      const byId = new Map(group.members.map((member) => [member.instance!, member] as const))
      const eligible = (id: string) => {
        const member = byId.get(id)
        return member !== undefined && member.state === "up" && member.breaker.unsafeState() !== "open"
      }
      const pick = <A>(
        send: (link: Proxy.Link) => Effect.Effect<A, McpClient.McpClientError>,
        caller: Context.Context<RequestContext.RequestContext>,
        pin: { member: State | undefined } | undefined
      ): Effect.Effect<A, McpClient.McpClientError | Proxy.Unavailable> =>
        pin?.member !== undefined ? runs.get(pin.member)!(send, caller) : Effect.scoped(Effect.flatMap(
          balancer.acquire({
            eligible,
            ...(hashed ? { key: hashKeyOf(balancing, caller) } : {}),
            ...(balancing?.affinity === true ? { affinity: Context.get(caller, RequestContext.RequestContext).session.sessionId } : {})
          }),
          Option.match({
            onNone: () => {
              GatewayMetrics.recordUnavailable(group.backend.name)
              return Effect.fail(
                new Proxy.Unavailable({ backend: group.backend.name, message: `none of its ${group.members.length} instances is up with its circuit breaker closed` })
              )
            },
            onSome: (member) => {
              if (pin !== undefined) pin.member = member.state
              return runs.get(member.state)!(send, caller)
            }
          })
        ))
      return {
        run: (send, caller) => pick(send, caller, undefined),
        pinned: () => {
          const pin: { member: State | undefined } = { member: undefined }
          return {
            run: (send, caller) => pick(send, caller, pin),
            instance: () => pin.member?.instance,
            pinTo: (instance) => {
              // An instance no longer there: the balancer picks (the backend will refuse the stale round).
              pin.member = byId.get(instance)
            }
          }
        }
      }
    }

    /** Brings the server's primitives in step with the backends that are served (up, or down for less than `withdrawAfter`). */
    const apply = applying.withPermits(1)(Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      // Of a backend with instances, the first served one stands for it (its capabilities are listed).
      const served = [...groups.values()].flatMap((group) => {
        const first = group.members.find((state) => state.snapshot !== undefined && (state.state === "up" || at - state.since < withdrawAfter))
        return first === undefined ? [] : [first]
      })
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
      const resourceOwners = new Map<string, string>()
      const templateOwners: Array<readonly [(uri: string) => boolean, string]> = []
      const context = Context.empty() as Context.Context<never>
      for (const state of served) {
        const snapshot = state.snapshot!
        const upstream = upstreamOf(state, snapshot)
        const name = state.backend.name
        const middleware = (kind: ProxiedPrimitive["kind"], original: string) => options.middleware?.(state.backend, { kind, name: original }) ?? []
        // Each fingerprint names the backend (a replaced backend's primitives are built again on the new one; an
        // instance standing in for another is the same backend), its tenant (a backend moved to another tenant gets
        // its new policy) and whether it completes.
        const owner = `${name}\u0000${groups.get(name)?.id ?? state.id}\u0000${state.backend.tenant ?? ""}\u0000${upstream.completions}\u0000`
        for (const tool of snapshot.tools) {
          const advertised = toolTable.advertised(name, tool.name)
          if (advertised === undefined) continue
          state.served.tools++
          nextTools.set(advertised, [
            `${owner}${JSON.stringify(tool)}`,
            () => server.addTool({ value: Proxy.tool(upstreamOf(state, snapshot, Sessions.isReplaySafe(tool)), tool, advertised, middleware("tool", tool.name)), context })
          ])
        }
        for (const prompt of snapshot.prompts) {
          const advertised = promptTable.advertised(name, prompt.name)
          if (advertised === undefined) continue
          state.served.prompts++
          nextPrompts.set(advertised, [`${owner}${JSON.stringify(prompt)}`, () => server.addPrompt({ value: Proxy.prompt(upstream, prompt, advertised, middleware("prompt", prompt.name)), context })])
        }
        for (const resource of snapshot.resources) {
          if (resourceTable.advertised(name, resource.uri) === undefined) continue
          state.served.resources++
          resourceOwners.set(resource.uri, name)
          nextResources.set(resource.uri, [`${owner}${JSON.stringify(resource)}`, () => server.addResource({ value: Proxy.resource(upstream, resource, middleware("resource", resource.uri)), context })])
        }
        for (const template of snapshot.resourceTemplates) {
          // Of two backends with one template, the first served (backends in configured order) keeps it.
          if (nextTemplates.has(template.uriTemplate)) continue
          state.served.resourceTemplates++
          templateOwners.push([Proxy.matcher(template.uriTemplate), name])
          nextTemplates.set(template.uriTemplate, [
            `${owner}${JSON.stringify(template)}`,
            () => server.addResourceTemplate({ value: Proxy.resourceTemplate(upstream, template, middleware("resourceTemplate", template.uriTemplate)), context })
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
      owners = { resources: resourceOwners, templates: templateOwners }
      yield* inStep
    }))

    // The URIs the gateway's clients are subscribed to, as last told, and each connection's subscription upstream.
    let subscribedNow: ReadonlySet<string> = new Set()
    const upstreamSubscriptions = new WeakMap<Connection, { readonly key: string; readonly scope: Scope.CloseableScope | undefined }>()

    /**
     * A shared connection's subscription to the backend's resources: the URIs the gateway's clients are
     * subscribed to that this backend serves (spec server/resources "Subscriptions"; `listen` subscribes with
     * `resources/subscribe` under 2025-11-25, a `subscriptions/listen` stream under 2026-07-28), each update
     * passed on to the subscribed clients. A new set is subscribed before the last one is let go, so no update
     * falls between; a backend that does not answer within the request timeout keeps the last one.
     */
    const subscribeUpstream = (state: State) =>
      Effect.suspend(() => {
        const connection = state.connection
        if (connection === undefined || connection.client.serverCapabilities.resources?.subscribe !== true) return Effect.void
        const uris = [...subscribedNow].filter((uri) => ownerOf(uri) === state.backend.name).sort()
        const key = uris.join("\n")
        const held = upstreamSubscriptions.get(connection)
        if ((held?.key ?? "") === key) return Effect.void
        return Effect.gen(function*() {
          let scope: Scope.CloseableScope | undefined
          if (uris.length > 0) {
            scope = yield* Scope.fork(connection.scope, ExecutionStrategy.sequential)
            const subscription = yield* connection.client.listen({ resourceSubscriptions: uris }).pipe(
              Scope.extend(scope),
              Effect.timeoutFail({ duration: Duration.millis(timeoutMillis), onTimeout: () => new Error(`no answer within ${timeoutMillis} ms`) }),
              Effect.tapError((error) => Effect.zipRight(Scope.close(scope!, Exit.void), Effect.logWarning(`gateway: subscribing to resources of ${label(state)} failed: ${error.message}`))),
              Effect.option
            )
            if (Option.isNone(subscription)) return
            yield* subscription.value.notifications.pipe(
              Stream.runForEach((notification) =>
                notification.method === "notifications/resources/updated"
                  ? server.notifyResourceUpdated(String((notification.params as { readonly uri?: unknown } | undefined)?.uri ?? ""))
                  : Effect.void
              ),
              Effect.forkIn(scope)
            )
          }
          upstreamSubscriptions.set(connection, { key, scope })
          if (held?.scope !== undefined) yield* Scope.close(held.scope, Exit.void)
        })
      })
    /**
     * Every shared connection's subscription in step with what clients subscribe to and which backend serves
     * it; run only by the fiber below, one at a time.
     */
    const syncSubscriptions = Effect.suspend(() => Effect.forEach(all(), subscribeUpstream, { discard: true }))
    // Run by one fiber of the gateway's own, not by the request that asked: nothing of a caller's request
    // (its context, its interruption) reaches the backend's subscription. Once the gateway closes, nobody
    // waits for it (a client's subscription ending as everything closes).
    let closed = false
    const syncRequests = yield* Queue.unbounded<Deferred.Deferred<void>>()
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        return Effect.flatMap(Queue.takeAll(syncRequests), Effect.forEach((done) => Deferred.succeed(done, undefined)))
      })
    )
    yield* Queue.take(syncRequests).pipe(
      Effect.flatMap((done) => Effect.ensuring(syncSubscriptions, Deferred.succeed(done, undefined))),
      Effect.forever,
      Effect.forkScoped
    )
    const inStep = Effect.suspend(() =>
      closed ? Effect.void : Effect.flatMap(Deferred.make<void>(), (done) => Effect.zipRight(Queue.offer(syncRequests, done), Deferred.await(done)))
    )
    // Told before a client's subscription is answered: the backend's subscription is in place by then.
    yield* server.followSubscriptions((uris) =>
      Effect.suspend(() => {
        subscribedNow = uris
        return inStep
      })
    )

    /** The caller a backend's own request belongs to (see `Proxy.currentCaller`), else the only request in flight on its connection. */
    const callerOf = (inFlightOnConnection: ReadonlySet<Context.Context<RequestContext.RequestContext>>) =>
      Effect.flatMap(FiberRef.get(Proxy.currentCaller), (caller) => {
        if (Option.isSome(caller)) return Effect.succeed(caller.value)
        const inFlight = [...inFlightOnConnection]
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

    const relay = <A>(inFlight: ReadonlySet<Context.Context<RequestContext.RequestContext>>, ask: Effect.Effect<A, unknown, RequestContext.RequestContext>) =>
      Effect.flatMap(callerOf(inFlight), (caller) => ask.pipe(Effect.provide(caller), Effect.mapError(relayError)))

    const keyed = (request: McpClient.HandlerRequest | undefined) => request?.inputKey === undefined ? undefined : { inputKey: request.inputKey }

    /** The backend's own requests, answered by the caller of the request that caused them. */
    const handlers = (inFlight: ReadonlySet<Context.Context<RequestContext.RequestContext>>): McpClient.Handlers => ({
      // Under 2026-07-28 the caller is asked under the backend's own input key (spec 2026-07-28 basic/patterns/mrtr).
      sampling: (params, request) => relay(inFlight, Sampling.createMessage(params, keyed(request))),
      elicitation: (params, request) =>
        relay(
          inFlight,
          params.mode === "url"
            ? Elicitation.url({ message: params.message, url: params.url, elicitationId: params.elicitationId }, keyed(request))
            : Elicitation.form(params.message, (params as McpSchema.ElicitRequestFormParams).requestedSchema, keyed(request))
        ),
      roots: (request) => relay(inFlight, Roots.list(keyed(request)))
    })

    const setState = (state: State, next: BackendStatus["state"], error?: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        Effect.sync(() => {
          if (state.state !== next) state.since = at
          state.state = next
          GatewayMetrics.recordUp(state.backend.name, state.instance, next === "up")
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
          Effect.catchAll((error) => Effect.logWarning(`gateway: listing ${label(state)} failed: ${error.message}`))
        )
      })

    const setConnection = (state: State, connection: Connection | undefined, lost: Connection | undefined = undefined) =>
      Effect.suspend(() => {
        state.connection = connection
        state.lost = lost
        return SubscriptionRef.update(state.changed, (n) => n + 1)
      })

    /**
     * A probe of `connection` every `probeInterval` (spec basic/utilities/ping): a ping that fails or
     * times out marks it broken and counts against the breaker; an answer counts for it.
     */
    const probe = (state: State, connection: Connection, every: Duration.Duration) =>
      connection.client.ping({ timeoutMillis: probeTimeoutMillis }).pipe(
        // A backend that does not answer may not take the cancellation either: the probe does not wait for it.
        Effect.disconnect,
        Effect.timeoutFail({
          duration: Duration.millis(probeTimeoutMillis),
          onTimeout: () => new McpClient.McpClientError({ code: McpClient.ClientErrorCode.RequestTimeout, message: "no answer to ping" })
        }),
        Effect.matchEffect({
          onSuccess: () => state.breaker.recordSuccess,
          onFailure: (error) =>
            Effect.all([
              state.breaker.recordFailure,
              Effect.logWarning(`gateway: a health probe of ${label(state)} failed: ${error.message}`),
              Deferred.succeed(connection.broken, `a health probe failed: ${error.message}`)
            ], { discard: true })
        }),
        Effect.delay(every),
        Effect.repeat({ until: () => Deferred.isDone(connection.broken) })
      )

    /**
     * The cheap path of a connection's forwarded requests, for a 2026-07-28
     * backend over HTTP, whose requests stand alone (spec 2026-07-28
     * basic/transports/streamable-http): they go out as they came, without
     * the client's per-request machinery. With client credentials each
     * carries the backend's current token, and a 401 gets a new one and goes
     * once more (RFC 6750 §3.1: the backend read nothing of it).
     */
    const hopOf = (state: State, client: McpClient.McpClient): Effect.Effect<HttpHop.HttpHop | undefined, never, Scope.Scope> =>
      Effect.gen(function*() {
        const endpoint = state.backend.endpoint
        if (endpoint._tag !== "Http" || client.protocolVersion !== McpSchema.STATELESS_PROTOCOL_VERSION) return undefined
        const hop = yield* HttpHop.make({
          url: endpoint.url,
          headers: Backend.headersOf(state.backend),
          ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes })
        })
        const tokens = state.tokens
        if (tokens === undefined) return hop
        const token = Effect.suspend(() => {
          const current = tokens.current()
          return current !== undefined ? Effect.succeed(current) : Effect.mapError(tokens.token, (error) => new McpClient.McpClientError({ code: McpClient.ClientErrorCode.ConnectionClosed, message: error.message }))
        })
        const send = (request: HttpHop.Request, value: string) => hop.send({ ...request, headers: { ...request.headers, authorization: `Bearer ${value}` } })
        return {
          send: (request) =>
            Effect.flatMap(token, (first) =>
              send(request, first).pipe(
                Effect.catchIf(
                  (error) => (error.data as { readonly httpStatus?: unknown } | undefined)?.httpStatus === 401,
                  (error) =>
                    Effect.flatMap(Effect.zipRight(tokens.refused(first), token), (next) => (next === first ? Effect.fail(error) : send(request, next)))
                )
              ))
        } satisfies HttpHop.HttpHop
      })

    /**
     * Opens a connection to the backend for the life of the scope: its own
     * relay of the backend's requests and log messages, marked broken when
     * the client closes (the process exited, the transport failed), probed
     * when `probeInterval` is set.
     */
    const openConnection = (state: State): Effect.Effect<Connection, Backend.BackendError, Scope.Scope> =>
      Effect.gen(function*() {
        const inFlight = new Set<Context.Context<RequestContext.RequestContext>>()
        const client = yield* Backend.connect(state.backend, {
          clientInfo,
          handlers: handlers(inFlight),
          requestTimeoutMillis: timeoutMillis,
          ...(options.maxResponseBytes === undefined ? {} : { maxMessageBytes: options.maxResponseBytes }),
          ...(state.tokens === undefined ? {} : { tokens: state.tokens }),
          // A log message of the backend goes to the caller it belongs to, at that caller's level (spec
          // server/utilities/logging). It arrives before the response it precedes, while the request is
          // still in flight; while several are in flight it cannot be told apart, and is not passed on.
          onNotification: (notification) => {
            if (notification.method !== "notifications/message" || inFlight.size !== 1) return Effect.void
            const params = (notification.params ?? {}) as { readonly level?: unknown; readonly data?: unknown; readonly logger?: unknown }
            if (!Logging.isLevel(params.level)) return Effect.void
            const [caller] = inFlight
            return Logging.log(params.level, params.data, typeof params.logger === "string" ? params.logger : undefined).pipe(Effect.provide(caller!))
          }
        })
        // Counted while open: the shared connection and each caller's own.
        yield* Effect.acquireRelease(
          Effect.sync(() => GatewayMetrics.recordConnection(state.backend.name, state.instance, 1)),
          () => Effect.sync(() => GatewayMetrics.recordConnection(state.backend.name, state.instance, -1))
        )
        const broken = yield* Deferred.make<string>()
        const connection: Connection = { client, hop: yield* hopOf(state, client), broken, inFlight, scope: yield* Effect.scope }
        // The client's notifications end when it closes; closing the scope ends them too.
        yield* client.notifications.pipe(Stream.runDrain, Effect.ensuring(Deferred.succeed(broken, "the connection closed")), Effect.forkScoped)
        if (probeEvery !== undefined) yield* Effect.forkScoped(probe(state, connection, probeEvery))
        return connection
      })

    /** A caller's own connection (`perPrincipal`), held in the backend's `RcMap` while used and `sessionIdleTimeout` after. */
    const openPrincipalConnection = (state: State, principals: () => PrincipalSessions, key: string) =>
      Effect.gen(function*() {
        const connection = yield* openConnection(state)
        const sessions = principals()
        sessions.current.set(key, connection)
        yield* Effect.addFinalizer(() =>
          Effect.suspend(() => {
            if (sessions.current.get(key) === connection) sessions.current.delete(key)
            return Deferred.succeed(connection.broken, "closed")
          })
        )
        // Found broken while held: dropped, so the next request of the caller opens another (forked outside
        // the connection's own scope, which dropping it closes).
        yield* Deferred.await(connection.broken).pipe(Effect.zipRight(dropPrincipal(sessions, key, connection)), Effect.forkIn(state.scope))
        return connection
      })

    /** The shared connection's life: connect, list, serve, follow `list_changed`; returns when the connection ends. */
    const session = (state: State) =>
      Effect.gen(function*() {
        const connection = yield* openConnection(state)
        const { broken, client } = connection
        const snapshot = yield* list(client).pipe(
          Effect.mapError((error) => new Backend.BackendError({ backend: state.backend.name, message: `listing its capabilities failed: ${error.message}`, cause: error }))
        )
        yield* setConnection(state, connection)
        state.snapshot = snapshot
        state.lastError = undefined
        yield* setState(state, "up")
        yield* publish(state, client, snapshot)
        yield* Effect.logInfo(`gateway: ${label(state)} is up (${client.protocolVersion}, ${snapshot.tools.length} tools)`)
        yield* apply
        const capabilities = client.serverCapabilities
        const filter: McpClient.SubscriptionFilter = {
          ...(capabilities.tools?.listChanged === true ? { toolsListChanged: true } : {}),
          ...(capabilities.prompts?.listChanged === true ? { promptsListChanged: true } : {}),
          ...(capabilities.resources?.listChanged === true ? { resourcesListChanged: true } : {})
        }
        const subscription = yield* client.listen(filter).pipe(Effect.option)
        if (Option.isSome(subscription)) {
          // Any list_changed lists everything again (resource updates come on the subscription of `subscribeUpstream`).
          yield* subscription.value.notifications.pipe(
            Stream.runForEach((notification: JsonRpc.Notification) => notification.method.endsWith("/list_changed") ? refreshOne(state) : Effect.void),
            Effect.exit,
            // The stream ends (2025-11-25) or fails (2026-07-28) when the connection is lost.
            Effect.zipRight(Deferred.succeed(broken, "the connection closed")),
            Effect.forkScoped
          )
        }
        yield* refreshOne(state).pipe(Effect.repeat(Schedule.spaced(refreshEvery)), Effect.delay(refreshEvery), Effect.forkScoped)
        // Down as soon as it is found broken: requests stop going to it and wait for the next one (see
        // `connectionFor`) while it closes, which can take a while for a backend that stopped answering.
        yield* down(state, yield* Deferred.await(broken), connection)
      }).pipe(Effect.scoped)

    /** The backend is down: it failed to connect, or `lost` its connection (opened again at once). */
    const down = (state: State, reason: string, lost?: Connection) =>
      Effect.gen(function*() {
        const wasUp = state.state === "up"
        yield* setConnection(state, undefined, lost)
        yield* setState(state, "down", reason)
        if (wasUp) yield* Effect.logWarning(`gateway: ${label(state)} is down: ${reason}`)
        // Its primitives stay served for `withdrawAfter`, then go unless it is back.
        yield* Effect.sleep(Duration.millis(withdrawAfter)).pipe(Effect.zipRight(apply), Effect.forkIn(gatewayScope))
      })

    const supervise = (state: State) =>
      session(state).pipe(
        Effect.tapError((error) => down(state, error.message)),
        Effect.retry(reconnect),
        Effect.zipRight(Effect.sleep("200 millis")),
        Effect.forever
      )

    /** Starts serving a backend (replacing one of the same name). */
    /** Starts one state of a backend (an instance, or the backend itself) in a scope of its own. */
    const start = (backend: Backend.Backend, instance: string | undefined): Effect.Effect<State, Backend.BackendError> =>
      Effect.gen(function*() {
        const scope = yield* Scope.fork(gatewayScope, ExecutionStrategy.sequential)
        const tokens = yield* Backend.tokenSource(backend).pipe(Scope.extend(scope))
        const breaker = yield* CircuitBreaker.make<McpClient.McpClientError>({
          ...options.breaker,
          backend: backend.name,
          ...(instance === undefined ? {} : { instance }),
          // Only failures of the hop count (`HopFailure`); a JSON-RPC error of the backend, or its refusal of one
          // request, is an answer. A lost connection counts once, not once per request it took with it (see `attempt`).
          isFailure: (error) => HopFailure.isHopFailure(error) && !Sessions.isLost(error)
        }).pipe(
          Scope.extend(scope),
          Effect.mapError((error) => new Backend.BackendError({ backend: backend.name, message: `invalid breaker options: ${error.reason}` }))
        )
        let principals: PrincipalSessions | undefined
        if (backend.sessions === "perPrincipal") {
          const current = new Map<string, Connection>()
          const map = yield* RcMap.make({
            lookup: (key: string) => openPrincipalConnection(state, () => principals!, key),
            idleTimeToLive: backend.sessionIdleTimeout ?? "5 minutes"
          }).pipe(Scope.extend(scope))
          principals = { map, current }
        }
        const state: State = {
          id: nextId++,
          backend,
          instance,
          breaker,
          tokens,
          scope,
          state: "connecting",
          since: yield* Clock.currentTimeMillis,
          connection: undefined,
          lost: undefined,
          changed: yield* SubscriptionRef.make(0),
          principals,
          snapshot: undefined,
          lastError: undefined,
          served: { tools: 0, prompts: 0, resources: 0, resourceTemplates: 0 }
        }
        yield* Effect.forkIn(supervise(state), scope)
        yield* breaker.states.pipe(
          Stream.runForEach((position) =>
            Effect.zipRight(
              Effect.sync(() => GatewayMetrics.recordBreaker(backend.name, instance, position)),
              position === "open" ? Effect.logWarning(`gateway: the circuit breaker of ${label({ backend, instance })} opened`) : Effect.void
            )
          ),
          Effect.forkIn(scope)
        )
        return state
      })

    /** Starts serving a backend (replacing one of the same name): one state, or one per instance. */
    const add = (backend: Backend.Backend): Effect.Effect<void, Backend.BackendError> =>
      Effect.gen(function*() {
        const problem = Backend.invalidName(backend.name) ?? Backend.invalidOptions(backend)
        if (problem !== undefined) return yield* new Backend.BackendError({ backend: backend.name, message: problem })
        yield* remove(backend.name, false)
        const instances = backend.instances
        if (instances === undefined) {
          groups.set(backend.name, { id: nextId++, backend, members: [yield* start(backend, undefined)], balancer: undefined })
          return
        }
        const members: Array<Member> = []
        for (const instance of instances) {
          const { balancing: _balancing, instances: _instances, ...own } = backend
          const state = yield* start({ ...own, endpoint: instance.endpoint }, instance.id).pipe(
            Effect.tapError(() => Effect.forEach(members, (member) => Scope.close(member.state.scope, Exit.void)))
          )
          members.push({ id: instance.id, weight: instance.weight, state })
        }
        const balancer = members.length < 2 ? undefined : yield* Balancer.make<Member>(backend.balancing?.strategy ?? "round-robin", { instances: members }).pipe(
          Effect.tapError(() => Effect.forEach(members, (member) => Scope.close(member.state.scope, Exit.void))),
          Effect.mapError((error) => new Backend.BackendError({ backend: backend.name, message: error.message }))
        )
        groups.set(backend.name, { id: nextId++, backend, members: members.map((member) => member.state), balancer })
      })

    /** Stops serving a backend: its connection closes and its primitives go at once. */
    const remove = (name: string, update = true): Effect.Effect<boolean> =>
      Effect.gen(function*() {
        const group = groups.get(name)
        if (group === undefined) return false
        groups.delete(name)
        for (const state of group.members) {
          yield* Scope.close(state.scope, Exit.void)
          GatewayMetrics.recordUp(name, state.instance, false)
        }
        if (update) yield* apply
        return true
      })

    for (const backend of options.backends) {
      if (groups.has(backend.name)) return yield* Effect.dieMessage(`Gateway: two backends are named "${backend.name}"`)
      yield* add(backend).pipe(Effect.catchAll((error) => Effect.dieMessage(`Gateway: ${error.message}`)))
    }

    const status = (state: State): BackendStatus => ({
      name: state.backend.name,
      instance: state.instance,
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
            const group = groups.get(name)
            return group === undefined ? Effect.void : Effect.forEach(group.members, refreshOne, { discard: true })
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
