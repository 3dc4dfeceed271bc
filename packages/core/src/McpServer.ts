/**
 * The MCP server: registries of tools, resources, resource templates, prompts
 * and middleware, the dispatcher that answers every 2025-11-25 method, and
 * the sessions of connected clients.
 *
 * An app provides `McpServer.layer(...)`, registers primitives with
 * `McpServer.register(...)` Layers (whose requirements are the handlers'
 * requirements, so a missing service is a compile error), and runs a
 * transport (`StdioTransport.run()`, `HttpTransport.layer(...)`) that calls
 * `connect` for each client.
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 * import { McpServer } from "@emcee/core"
 * import { StdioTransport } from "@emcee/transport"
 *
 * const App = McpServer.register(echo, readme).pipe(
 *   Layer.provideMerge(McpServer.layer({ name: "demo", version: "1.0.0" }))
 * )
 *
 * StdioTransport.run().pipe(Effect.provide(App), NodeRuntime.runMain)
 *
 * @since 0.1.0
 */
import {
  Config,
  ConfigError,
  Context,
  Duration,
  Effect,
  Either,
  type Exit,
  type Fiber,
  Layer,
  Option,
  PubSub,
  type Queue,
  Redacted,
  type Runtime,
  type Scope
} from "effect"
import type { ClientSession } from "./ClientSession.js"
import { make as makeServer } from "./internal/server.js"
import type * as JsonRpc from "./JsonRpc.js"
import type * as McpSchema from "./McpSchema.js"
import type * as Middleware from "./Middleware.js"
import type * as Prompt from "./Prompt.js"
import type { RequestContext } from "./RequestContext.js"
import type * as Resource from "./Resource.js"
import type * as ResourceTemplate from "./ResourceTemplate.js"
import type * as Task from "./Task.js"
import type * as Tool from "./Tool.js"

/** How the server introduces itself and behaves. */
export interface Options {
  /** `serverInfo.name` (spec basic/lifecycle "Initialization"). */
  readonly name: string
  readonly version: string
  readonly title?: string
  readonly description?: string
  readonly icons?: ReadonlyArray<McpSchema.Icon>
  readonly websiteUrl?: string
  /** Guidance for the model on how to use this server, sent in the initialize result. */
  readonly instructions?: string
  /** Items per page of every list (spec server/utilities/pagination); default 100. */
  readonly pageSize?: number
  /**
   * The most resource URIs one 2025-11-25 session, or one 2026-07-28
   * `subscriptions/listen` stream, may be subscribed to; default 10,000. One
   * more is refused with -32602 naming the limit, so no client holds the
   * server's memory without bound (spec server/resources "Subscriptions"
   * sets no limit).
   */
  readonly maxSubscriptions?: number
  /**
   * Record a span for every request and handler. Default: on when a tracer
   * other than Effect's built-in one is installed (e.g. `Tracing.layer`), off
   * otherwise, since nothing would export them.
   */
  readonly tracing?: boolean
  /**
   * Caching hints of cacheable 2026-07-28 results (`server/discover`, the
   * lists, `resources/read`; spec 2026-07-28 server/utilities/caching):
   * how long a client may consider them fresh and whether shared caches may
   * keep them. Default 0 ms (always revalidate) and `private` (safe when
   * results depend on who asks).
   */
  readonly cache?: { readonly ttlMs?: number; readonly cacheScope?: McpSchema.CacheScope }
  /** Default timeout of server-to-client requests; default 60 s. */
  readonly clientRequestTimeoutMillis?: number
  /**
   * How 2026-07-28 multi round-trip requests seal their `requestState`
   * (spec 2026-07-28 basic/patterns/mrtr "Server Requirements"): with
   * HMAC-SHA-256 under `key` (at least 16 bytes; 32 random bytes
   * recommended), valid for `ttlMillis` (default 10 minutes). Replicas that
   * serve each other's retries need the same key; without one, each process
   * draws a random key, so a retry must reach the process that asked.
   */
  readonly requestState?: {
    readonly key?: string | Uint8Array | Redacted.Redacted<string>
    readonly ttlMillis?: number
  }
  /**
   * How tools run as tasks (see `Task`): lifetimes, polling interval, the
   * limit of tasks running at once and who owns a task. The server
   * advertises `tasks` (2025-11-25) or the `io.modelcontextprotocol/tasks`
   * extension (2026-07-28) while a tool that may run as a task is registered.
   * Tasks are kept in the `Task.TaskStore` provided to the server's Layer,
   * in memory without one.
   */
  readonly tasks?: Task.Options
  /**
   * Advertise these capabilities even when nothing of the kind is registered
   * at initialize time, for servers that add primitives at runtime.
   */
  readonly capabilities?: {
    readonly tools?: boolean
    readonly resources?: boolean
    readonly prompts?: boolean
    readonly completions?: boolean
  }
}

/** A primitive or middleware with the services it needs already provided. */
export interface Registered<A> {
  readonly value: A
  readonly context: Context.Context<never>
}

/** Something `register` accepts; `R` is what it needs. */
export type Registrable<R = unknown> =
  | Tool.Tool<string, R>
  | Resource.Resource<R>
  | ResourceTemplate.ResourceTemplate<R>
  | Prompt.Prompt<string, R>
  | Middleware.Middleware<unknown, unknown, R>

/** Lifecycle events of the server, for logs, metrics and audit. */
export type Event =
  | { readonly _tag: "SessionCreated"; readonly session: ClientSession }
  | { readonly _tag: "SessionEnded"; readonly session: ClientSession }
  | { readonly _tag: "Initialized"; readonly session: ClientSession }
  | { readonly _tag: "RootsListChanged"; readonly session: ClientSession }
  | {
    readonly _tag: "ToolCalled"
    readonly session: ClientSession
    readonly tool: string
    readonly outcome: "ok" | "tool_error" | "error"
    readonly millis: number
  }
  | { readonly _tag: "Audit"; readonly record: AuditRecord }

/**
 * Who called what, when, and how it ended: published by audit middleware
 * (`@emcee/auth` `Audit`) for logs and the gateway's audit log. It names the
 * caller, never their credential.
 */
export interface AuditRecord {
  /** When the request arrived, epoch milliseconds. */
  readonly at: number
  /**
   * The JSON-RPC id the client gave the request (spec basic "Requests"):
   * unique only among that client's requests in flight, so read it with
   * `sessionId` when there is one.
   */
  readonly requestId: JsonRpc.RequestId
  readonly method: string
  readonly primitive: Middleware.Primitive | undefined
  readonly subject: string | undefined
  readonly tenant: string | undefined
  /** How the caller authenticated (`jwt`, `api-key`…), when they did. */
  readonly credential: string | undefined
  /** The transport's session (`Mcp-Session-Id`), when it has one (not under 2026-07-28, which has no sessions). */
  readonly sessionId: string | undefined
  /** `denied`: refused by authorization or a policy (rate limit, concurrency) before the handler ran. */
  readonly outcome: "ok" | "tool_error" | "error" | "denied" | "cancelled"
  readonly errorCode: number | undefined
  readonly millis: number
}

/** What a transport gives `connect`: the way to send messages to the client. */
export interface ConnectOptions {
  /**
   * Sends a message to the client. `relatedRequestId` names the client request
   * a notification or server-to-client request belongs to, so Streamable HTTP
   * can send it on that request's stream.
   */
  readonly send: (message: JsonRpc.Message, relatedRequestId?: JsonRpc.RequestId) => Effect.Effect<void>
  /** The transport's session id, e.g. `Mcp-Session-Id`. */
  readonly sessionId?: string
  /**
   * Services every request of this connection sees, over the server's (a
   * caller authenticated when the connection opened, e.g. from the
   * environment of a stdio server).
   */
  readonly context?: Context.Context<never>
  /**
   * Serve without an `initialize` handshake (stateless HTTP): the connection
   * starts initialized with these values.
   */
  readonly preinitialized?: {
    readonly protocolVersion: string
    readonly clientCapabilities?: McpSchema.ClientCapabilities
    readonly clientInfo?: McpSchema.Implementation
  }
}

/** One client's connection to the server. */
export interface Connection {
  readonly session: ClientSession
  /**
   * Handles one parsed JSON value from the client: a request yields its
   * response, a notification or a response to a server-to-client request
   * yields undefined. Never fails.
   *
   * Run each request on a fiber of its own (requests are concurrent): a
   * request the client cancels (spec basic/utilities/cancellation) interrupts
   * the fiber that called `handle` for it, so no response is sent.
   */
  readonly handle: (
    message: unknown,
    /** Services of this request alone, over the connection's (the caller an HTTP guard authenticated). */
    context?: Context.Context<never>
  ) => Effect.Effect<JsonRpc.Response | undefined>
  /**
   * Serves one request (already classified by the transport) on a fiber of
   * its own, started now on `runtime` with its final context, and calls
   * `onExit` with its response (or the interruption, when the client
   * cancelled it: no response is sent). `handle` takes the same path; this
   * is its form for transports that live in callbacks (no Effect step
   * around the request).
   */
  readonly run: (
    request: JsonRpc.Request,
    runtime: Runtime.Runtime<never>,
    onExit: (exit: Exit.Exit<JsonRpc.Response>) => void,
    /** Services of this request alone, over the connection's (the caller an HTTP guard authenticated). */
    context?: Context.Context<never>
  ) => void
  /** Requests being handled now. */
  readonly inFlight: () => number
  /**
   * Waits until no request is in flight. Interruptible: a transport that
   * drains within a deadline from a finalizer must make the wait
   * interruptible (finalizers are not, so a plain timeout around it would
   * never fire).
   */
  readonly drain: Effect.Effect<void>
  /**
   * Tells the connection the client can no longer answer: its input ended
   * (stdin closed, the stream carrying its messages is gone). Server-to-client
   * requests waiting for an answer (`elicitation/create`,
   * `sampling/createMessage`, `roots/list`) fail at once with
   * `McpError.ConnectionClosed` instead of waiting out their timeout, and
   * later ones fail the same way without being sent. Requests in flight keep
   * running (a drain can still finish them) and output still goes out.
   * Idempotent; closing the connection's scope does the same.
   */
  readonly endInput: Effect.Effect<void>
}

/** The server service. */
export interface Service {
  readonly options: Options
  readonly serverInfo: McpSchema.Implementation
  /** Opens a connection for one client; closing the scope ends the session and cancels its requests. */
  readonly connect: (options: ConnectOptions) => Effect.Effect<Connection, never, Scope.Scope>
  readonly addTool: (tool: Registered<Tool.Any>) => Effect.Effect<void>
  readonly removeTool: (name: string) => Effect.Effect<boolean>
  /**
   * Serves one 2026-07-28 request outside any connection (spec 2026-07-28
   * basic/transports/streamable-http: no session): what HTTP transports do
   * with each POST of that revision. Messages related to the request go to
   * `send`; `onExit` gets the response (or the interruption). Returns the
   * request's fiber, undefined when it was answered at once.
   */
  readonly serveStateless: (
    message: JsonRpc.Request,
    send: ConnectOptions["send"],
    runtime: Runtime.Runtime<never>,
    onExit: (exit: Exit.Exit<JsonRpc.Response>) => void,
    /** Services of this request alone (the caller an HTTP guard authenticated). */
    context?: Context.Context<never>
  ) => Fiber.RuntimeFiber<unknown, unknown> | undefined
  /**
   * The definition of the tool registered under `name` now, or undefined: a
   * synchronous lookup for transports that check a request against the tool
   * before it is served (the `Mcp-Param-{Name}` headers of spec 2026-07-28
   * basic/transports/streamable-http "Custom Headers from Tool Parameters";
   * see `Tool.headerParameters`).
   */
  readonly toolDefinition: (name: string) => McpSchema.Tool | undefined
  readonly addResource: (resource: Registered<Resource.Any>) => Effect.Effect<void>
  readonly removeResource: (uri: string) => Effect.Effect<boolean>
  readonly addResourceTemplate: (template: Registered<ResourceTemplate.Any>) => Effect.Effect<void>
  readonly removeResourceTemplate: (uriTemplate: string) => Effect.Effect<boolean>
  readonly addPrompt: (prompt: Registered<Prompt.Any>) => Effect.Effect<void>
  readonly removePrompt: (name: string) => Effect.Effect<boolean>
  /** Adds global middleware, innermost of those registered so far. */
  readonly addMiddleware: (middleware: Registered<Middleware.Any>) => Effect.Effect<void>
  /** Removes global middleware; true when it was there. */
  readonly removeMiddleware: (middleware: Middleware.Any) => Effect.Effect<boolean>
  /** Sends `notifications/resources/updated` to every session subscribed to `uri`. */
  readonly notifyResourceUpdated: (uri: string) => Effect.Effect<void>
  /**
   * Follows the resource URIs some client of this server is subscribed to
   * (spec server/resources "Subscriptions": a 2025-11-25 session's
   * `resources/subscribe` until it unsubscribes or ends; spec 2026-07-28
   * basic/patterns/subscriptions: the `resourceSubscriptions` of a
   * `subscriptions/listen` stream while it lasts): `follower` runs with the
   * set now, then with each new set, one at a time, until the scope closes.
   * A subscription is answered (its `resources/subscribe` result, its
   * stream's acknowledgment) once the followers have run with a set holding
   * its URIs, so a server relaying another's resources (a gateway) that
   * subscribes upstream in `follower` misses no update after that answer.
   * A follower bounds its own time; unsubscribing does not wait for it.
   */
  readonly followSubscriptions: (follower: (uris: ReadonlySet<string>) => Effect.Effect<void>) => Effect.Effect<void, never, Scope.Scope>
  /** Sessions connected now. */
  readonly sessions: () => ReadonlyArray<ClientSession>
  /** Subscribes to server events for the life of the scope. */
  readonly events: PubSub.PubSub<Event>
}

/** Service tag of the server. */
export class McpServer extends Context.Tag("@emcee/core/McpServer")<McpServer, Service>() {}

/** A server with the given options and nothing registered yet. */
export const make = (options: Options): Effect.Effect<Service, never, Scope.Scope> => makeServer(options)

/** The server as a Layer. */
export const layer = (options: Options): Layer.Layer<McpServer> => Layer.scoped(McpServer, make(options))

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/** `10 seconds`, `500 millis` (as `Config.duration` reads them) or the short `10s`, `500ms`, `2m`, `1h`. */
const durationConfig = (name: string): Config.Config<Duration.Duration> =>
  Config.mapOrFail(Config.string(name), (text) => {
    const short = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(text)
    const value = short !== null
      ? Option.some(Duration.millis(Number(short[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[short[2]!.toLowerCase() as "ms" | "s" | "m" | "h"]))
      : Duration.decodeUnknown(text.trim())
    return Option.isSome(value)
      ? Either.right(value.value)
      : Either.left(ConfigError.InvalidData([], `Expected a duration (e.g. 10s, 500ms, 2m or "10 seconds") but received ${text}`))
  })

const CAPABILITIES = ["tools", "resources", "prompts", "completions"] as const

/**
 * The options read from `Config` (environment variables by default), under
 * `SERVER`, itself under `prefix` when given (`config("MCP")` reads
 * `MCP_SERVER_NAME`):
 *
 * - `SERVER_NAME`, `SERVER_VERSION` (required)
 * - `SERVER_TITLE`, `SERVER_DESCRIPTION`, `SERVER_WEBSITE_URL`, `SERVER_INSTRUCTIONS`
 * - `SERVER_PAGE_SIZE` (a positive integer), `SERVER_TRACING` (true/false)
 * - `SERVER_CLIENT_REQUEST_TIMEOUT` (`30s`, `500ms`, `2m` or `30 seconds`)
 * - `SERVER_CAPABILITIES`: comma-separated, of `tools`, `resources`, `prompts`, `completions`
 * - `SERVER_REQUEST_STATE_KEY` (secret, ≥ 16 bytes), `SERVER_REQUEST_STATE_TTL` (a duration)
 *
 * The optional keys keep the defaults of `Options`. Add what config cannot
 * hold (`icons`) with `Config.map`.
 */
export const config = (prefix?: string): Config.Config<Options> => {
  const fields = Config.all({
    name: Config.nonEmptyString("NAME"),
    version: Config.nonEmptyString("VERSION"),
    title: optional(Config.string("TITLE")),
    description: optional(Config.string("DESCRIPTION")),
    websiteUrl: optional(Config.string("WEBSITE_URL")),
    instructions: optional(Config.string("INSTRUCTIONS")),
    pageSize: optional(
      Config.mapOrFail(Config.integer("PAGE_SIZE"), (n) =>
        n > 0 ? Either.right(n) : Either.left(ConfigError.InvalidData([], `Expected a positive integer but received ${n}`)))
    ),
    tracing: optional(Config.boolean("TRACING")),
    clientRequestTimeout: optional(durationConfig("CLIENT_REQUEST_TIMEOUT")),
    requestStateKey: optional(
      Config.mapOrFail(Config.redacted("REQUEST_STATE_KEY"), (key) =>
        Buffer.byteLength(Redacted.value(key)) >= 16
          ? Either.right(key)
          : Either.left(ConfigError.InvalidData([], "Expected a secret of at least 16 bytes (32 random bytes recommended)")))
    ),
    requestStateTtl: optional(durationConfig("REQUEST_STATE_TTL")),
    capabilities: optional(
      Config.map(
        Config.array(
          Config.mapOrFail(Config.string(), (item) => {
            const names = item.split(",").map((name) => name.trim()).filter((name) => name !== "")
            const unknown = names.find((name) => !(CAPABILITIES as ReadonlyArray<string>).includes(name))
            return unknown === undefined
              ? Either.right(names)
              : Either.left(ConfigError.InvalidData([], `Expected a comma-separated list of ${CAPABILITIES.join(", ")} but received ${unknown}`))
          }),
          "CAPABILITIES"
        ),
        (lists) => lists.flat()
      )
    )
  })
  const options = Config.map(fields, (f): Options => {
    const out: { -readonly [K in keyof Options]: Options[K] } = { name: f.name, version: f.version }
    if (f.title !== undefined) out.title = f.title
    if (f.description !== undefined) out.description = f.description
    if (f.websiteUrl !== undefined) out.websiteUrl = f.websiteUrl
    if (f.instructions !== undefined) out.instructions = f.instructions
    if (f.pageSize !== undefined) out.pageSize = f.pageSize
    if (f.tracing !== undefined) out.tracing = f.tracing
    if (f.clientRequestTimeout !== undefined) out.clientRequestTimeoutMillis = Duration.toMillis(f.clientRequestTimeout)
    if (f.requestStateKey !== undefined || f.requestStateTtl !== undefined) {
      out.requestState = {
        ...(f.requestStateKey === undefined ? {} : { key: f.requestStateKey }),
        ...(f.requestStateTtl === undefined ? {} : { ttlMillis: Duration.toMillis(f.requestStateTtl) })
      }
    }
    if (f.capabilities !== undefined) out.capabilities = Object.fromEntries(f.capabilities.map((c) => [c, true]))
    return out
  })
  const nested = Config.nested(options, "SERVER")
  return prefix === undefined || prefix === "" ? nested : Config.nested(nested, prefix)
}

/**
 * `layer` with its options read from `options` (default `config()`: the
 * `SERVER_*` environment variables). A missing or bad value fails the Layer
 * with a `ConfigError` naming the key.
 *
 * @example
 * // SERVER_NAME=demo SERVER_VERSION=1.0.0 node main.js
 * const App = McpServer.register(echo).pipe(Layer.provideMerge(McpServer.layerConfig()))
 */
export const layerConfig = (options: Config.Config<Options> = config()): Layer.Layer<McpServer, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(options, layer))

const registerOne = <R>(item: Registrable<R>): Effect.Effect<void, never, McpServer | R | Scope.Scope> =>
  Effect.gen(function*() {
    const server = yield* McpServer
    const context = (yield* Effect.context<R>()) as Context.Context<never>
    switch (item._tag) {
      case "Tool":
        yield* server.addTool({ value: item as Tool.Any, context })
        yield* Effect.addFinalizer(() => server.removeTool(item.name))
        return
      case "Resource":
        yield* server.addResource({ value: item as Resource.Any, context })
        yield* Effect.addFinalizer(() => server.removeResource(item.uri))
        return
      case "ResourceTemplate":
        yield* server.addResourceTemplate({ value: item as ResourceTemplate.Any, context })
        yield* Effect.addFinalizer(() => server.removeResourceTemplate(item.definition.uriTemplate))
        return
      case "Prompt":
        yield* server.addPrompt({ value: item as Prompt.Any, context })
        yield* Effect.addFinalizer(() => server.removePrompt(item.name))
        return
      case "Middleware":
        yield* server.addMiddleware({ value: item as Middleware.Any, context })
        yield* Effect.addFinalizer(() => server.removeMiddleware(item as Middleware.Any))
        return
    }
  })

/**
 * A stand-in for a service a middleware provides per request, in the
 * context `register` outputs so that Layers behind it type-check. The
 * handler never sees it (the middleware's value replaces it); reading it
 * anywhere else is a defect that says so.
 */
const placeholder = (tag: Context.Tag<unknown, unknown>, middleware: string): unknown => {
  const value = new Proxy({}, {
    get: (_, property) => {
      if (property === "then" || typeof property === "symbol") return undefined
      throw new Error(
        `${tag.key} is provided per request by the middleware "${middleware}"; it was read outside a request that middleware serves`
      )
    }
  })
  placeholders.add(value)
  return value
}

const placeholders = new WeakSet<object>()

/**
 * True for the stand-in `register` outputs for a service its middleware
 * provides per request: a middleware that finds a service in its context
 * (one a transport provided for the request) tells a real value from it.
 */
export const isPlaceholder = (value: unknown): boolean => typeof value === "object" && value !== null && placeholders.has(value)

/**
 * Registers tools, resources, resource templates, prompts and global
 * middleware for the life of the Layer; closing the Layer's scope removes
 * them.
 *
 * The Layer requires whatever the items need, less what its middleware
 * provides (a tool that needs `Principal` registered beside an
 * authentication middleware that provides it needs no Layer for it). It
 * outputs what its middleware provides, so Layers of primitives registered
 * separately can be given it: `McpServer.register(tool).pipe(Layer.provide(McpServer.register(auth)))`.
 * At run time the handlers see the values the middleware provides per
 * request.
 *
 * Global middleware runs in the order given, the first outermost;
 * middleware of a later `register` runs inside that of earlier ones. To fix
 * the order of middleware from different Layers, register them in one call.
 */
export const register = <const Items extends ReadonlyArray<Registrable>>(
  ...items: Items
): Layer.Layer<ProvidedBy<Items[number]>, never, McpServer | Remaining<Items[number]>> =>
  Layer.scopedContext(
    Effect.as(
      Effect.forEach(items, (item) => registerOne(item), { discard: true }),
      Context.unsafeMake(
        new Map(
          items.flatMap((item) =>
            item._tag === "Middleware"
              ? (item as Middleware.Any).provides.map((tag) => [tag.key, placeholder(tag, (item as Middleware.Any).name)] as const)
              : []
          )
        )
      )
    )
  ) as unknown as Layer.Layer<ProvidedBy<Items[number]>, never, McpServer | Remaining<Items[number]>>

/** What a registrable item needs (less `RequestContext`, which the server provides to every handler). */
export type RequirementsOf<I> = Exclude<
  I extends Middleware.Middleware<infer _P, infer _E, infer R> ? R : I extends Registrable<infer R> ? R : never,
  RequestContext
>

/** What a registrable item provides to the handlers behind it: the services its middleware provides. */
export type ProvidedBy<I> = I extends Middleware.Middleware<infer P, infer _E, infer _R> ? P : never

/**
 * What items registered together still need: what their primitives need
 * less what their middleware provides, and what the middleware itself needs
 * (a middleware never discharges its own requirements).
 */
export type Remaining<I> =
  | Exclude<RequirementsOf<Exclude<I, Middleware.Any>>, ProvidedBy<I>>
  | RequirementsOf<Extract<I, Middleware.Any>>

/**
 * Adds a primitive or global middleware at runtime (clients are told with
 * `list_changed`). It stays until removed with `removeTool` /
 * `removeResource` / `removePrompt` (middleware: `Service.removeMiddleware`).
 */
export const add = <R>(item: Registrable<R>): Effect.Effect<void, never, McpServer | R> =>
  Effect.gen(function*() {
    const server = yield* McpServer
    const context = (yield* Effect.context<R>()) as Context.Context<never>
    switch (item._tag) {
      case "Tool":
        return yield* server.addTool({ value: item as Tool.Any, context })
      case "Resource":
        return yield* server.addResource({ value: item as Resource.Any, context })
      case "ResourceTemplate":
        return yield* server.addResourceTemplate({ value: item as ResourceTemplate.Any, context })
      case "Prompt":
        return yield* server.addPrompt({ value: item as Prompt.Any, context })
      case "Middleware":
        return yield* server.addMiddleware({ value: item as Middleware.Any, context })
    }
  })

/** Removes a tool at runtime; true when it was there. */
export const removeTool = (name: string): Effect.Effect<boolean, never, McpServer> =>
  Effect.flatMap(McpServer, (server) => server.removeTool(name))

/** Removes a resource at runtime; true when it was there. */
export const removeResource = (uri: string): Effect.Effect<boolean, never, McpServer> =>
  Effect.flatMap(McpServer, (server) => server.removeResource(uri))

/** Removes a prompt at runtime; true when it was there. */
export const removePrompt = (name: string): Effect.Effect<boolean, never, McpServer> =>
  Effect.flatMap(McpServer, (server) => server.removePrompt(name))

/** Tells subscribed clients that a resource changed (spec server/resources "Subscriptions"). */
export const notifyResourceUpdated = (uri: string): Effect.Effect<void, never, McpServer> =>
  Effect.flatMap(McpServer, (server) => server.notifyResourceUpdated(uri))

/** A queue of server events for the life of the scope. */
export const subscribe: Effect.Effect<Queue.Dequeue<Event>, never, McpServer | Scope.Scope> = Effect.flatMap(
  McpServer,
  (server) => PubSub.subscribe(server.events)
)
