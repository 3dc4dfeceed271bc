/**
 * A backend of a gateway: an MCP server reached over stdio (a command the
 * gateway starts) or Streamable HTTP (a URL), speaking either revision
 * (2025-11-25 or 2026-07-28; `auto` probes, spec 2026-07-28
 * basic/versioning "Backward Compatibility"). Its credentials are its own,
 * never the caller's (spec 2025-11-25 basic/security_best_practices "Token
 * Passthrough"): a static bearer token, or OAuth client credentials
 * (`ClientCredentials`, RFC 6749 §4.4) the gateway exchanges for access
 * tokens it refreshes in the background.
 *
 * `sessions` says whether every caller's requests share one upstream
 * session (the default) or each caller (`Principal`) gets its own, released
 * after `sessionIdleTimeout` without requests.
 *
 * `parse` reads the `NAME=URL-or-command` form of `emcee gateway --backend`.
 *
 * @example
 * import { Backend } from "@emcee/gateway"
 * import { Redacted } from "effect"
 *
 * const search: Backend.Backend = {
 *   name: "search",
 *   endpoint: { _tag: "Http", url: "https://search.internal/mcp" },
 *   credentials: {
 *     _tag: "ClientCredentials",
 *     issuer: "https://login.internal",
 *     clientId: "gateway",
 *     clientSecret: Redacted.make(process.env.SEARCH_CLIENT_SECRET!),
 *     scope: "search:read"
 *   },
 *   sessions: "perPrincipal"
 * }
 *
 * @since 0.4.0
 */
import { type JsonRpc, McpClient, type McpSchema } from "@emcee/core"
import { HttpClientTransport, StdioClientTransport } from "@emcee/transport"
import { Cause, Data, type Duration, Effect, Either, Exit, Option, Redacted, Runtime, type Scope } from "effect"
import * as BackendCredentials from "./internal/backendCredentials.js"
import * as Balancer from "./Balancer.js"
import * as NodeFetch from "./internal/nodeFetch.js"

/** How to reach a backend. */
export type Endpoint =
  | {
    readonly _tag: "Stdio"
    readonly command: string
    readonly args?: ReadonlyArray<string>
    /** Variables added to the gateway's environment for the process. */
    readonly env?: Readonly<Record<string, string>>
    readonly cwd?: string
  }
  | {
    readonly _tag: "Http"
    readonly url: string
    readonly headers?: Readonly<Record<string, string>>
  }

/**
 * OAuth 2.0 client credentials of the backend's own (RFC 6749 §4.4): the
 * gateway asks the authorization server for an access token as itself and
 * sends it as `Authorization: Bearer` on every request to the backend (HTTP
 * backends only).
 */
export interface ClientCredentials {
  readonly _tag: "ClientCredentials"
  /** The token endpoint. Give this or `issuer`. */
  readonly tokenUrl?: string
  /**
   * The authorization server's issuer identifier: its token endpoint is
   * discovered (RFC 8414, then OpenID Connect Discovery; spec 2025-11-25
   * basic/authorization "Authorization Server Metadata Discovery").
   */
  readonly issuer?: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** Space-separated scopes to ask for (RFC 6749 §3.3); none by default. */
  readonly scope?: string
  /**
   * The resource indicator sent with every token request (RFC 8707; spec
   * 2025-11-25 basic/authorization "Resource Parameter Implementation"):
   * the backend's canonical URI. Default: its URL.
   */
  readonly resource?: string
  /** How the gateway authenticates at the token endpoint; default `client_secret_basic`. */
  readonly authMethod?: "client_secret_basic" | "client_secret_post"
}

/** A backend. */
export interface Backend {
  /** Unique among the gateway's backends (letters, digits, `_`, `-`, `.`). */
  readonly name: string
  readonly endpoint: Endpoint
  /**
   * What the gateway puts before the backend's tool and prompt names (then
   * the separator). Default: the name; `""` passes its names through
   * unchanged.
   */
  readonly prefix?: string
  /** The revision to speak to it; default `auto`. */
  readonly protocolVersion?: "auto" | "2025-11-25" | "2026-07-28"
  /** A static bearer token of the backend's own (HTTP). */
  readonly bearer?: Redacted.Redacted<string>
  /**
   * The tenant the backend belongs to: with a `Policy`, only callers of that
   * tenant see and reach it. Undefined: shared with every tenant.
   */
  readonly tenant?: string
  /**
   * Instances of one logical backend (replicas of one server): each has a
   * connection, a circuit breaker and a supervisor of its own, and every
   * forwarded request goes to one of those that are up and whose breaker is
   * not open, as `balancing` picks. The capabilities served are those of
   * the first instance that is up. When given, `endpoint` is not used.
   */
  readonly instances?: ReadonlyArray<Instance>
  /** How requests are spread over `instances`; default round-robin without affinity. */
  readonly balancing?: Balancing
  /** OAuth client credentials of the backend's own (HTTP; not with `bearer`). */
  readonly credentials?: ClientCredentials
  /**
   * `shared` (default): every caller's requests go over one upstream session.
   * `perPrincipal`: each authenticated caller (`Principal`: issuer, tenant
   * and subject) gets an upstream session of its own, so nothing a backend
   * keeps per session (state, log level, roots) is shared between callers;
   * anonymous callers share the gateway's own session, which also lists the
   * backend's capabilities. The backend's credentials are the same either way.
   */
  readonly sessions?: "shared" | "perPrincipal"
  /** With `sessions: "perPrincipal"`: how long a caller's session stays open without requests; default 5 minutes. */
  readonly sessionIdleTimeout?: Duration.DurationInput
}

/**
 * Where a connection gets the backend's access token for each request; the
 * gateway keeps one per backend, shared by its connections, refreshed in
 * the background (see `tokenSource`).
 */
export interface TokenSource {
  /** A token valid now (fetched when none is held). */
  readonly token: Effect.Effect<string, BackendError>
  /** The token held while it is valid, synchronously; undefined when `token` would have to fetch one. */
  readonly current: () => string | undefined
  /** The backend refused `token` (HTTP 401): get another one now. */
  readonly refused: (token: string) => Effect.Effect<void>
}

/** One instance of a backend (see `Backend.instances`). */
export interface Instance {
  /** Unique among the backend's instances (letters, digits, `_`, `-`, `.`). */
  readonly id: string
  readonly endpoint: Endpoint
  /** Its share of new requests under `weighted`, `least-connections`, `random` and `consistent-hash`; default 1, 0 drains it. */
  readonly weight?: number
}

/** How requests are spread over a backend's instances (see `Balancer`). */
export interface Balancing {
  /** Default `round-robin`. */
  readonly strategy?: Balancer.Strategy | undefined
  /** The key of `consistent-hash`: the caller's principal, or the value of one argument of a tool call; default the principal. */
  readonly hashKey?: "principal" | { readonly argument: string } | undefined
  /**
   * Keep each client session on the instance it first reached (for
   * stateful backends); stateless backends need none. Default false.
   */
  readonly affinity?: boolean | undefined
}

/** The backend could not be reached or refused the connection. */
export class BackendError extends Data.TaggedError("BackendError")<{
  readonly backend: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** A backend's name: 1 to 64 letters, digits, `_`, `-` or `.`, starting with a letter or digit (the registry's schema uses it too). */
export const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Why `name` cannot name a backend, or undefined. */
export const invalidName = (name: string): string | undefined =>
  namePattern.test(name) ? undefined : `"${name}" is not a valid backend name: use 1 to 64 letters, digits, _, - or . (starting with a letter or digit)`

/** Splits a command line on spaces, keeping quoted parts ('…' or "…") together. */
export const splitCommand = (line: string): ReadonlyArray<string> => {
  const words: Array<string> = []
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3] ?? "")
  return words
}

/**
 * Reads `NAME=URL` (an `http:`/`https:` URL: Streamable HTTP) or
 * `NAME=COMMAND ARGS…` (stdio) as given to `emcee gateway --backend`.
 */
export const parse = (text: string): Either.Either<Backend, string> => {
  const at = text.indexOf("=")
  if (at <= 0) return Either.left(`expected NAME=URL or NAME=COMMAND, got "${text}"`)
  const name = text.slice(0, at).trim()
  const target = text.slice(at + 1).trim()
  const problem = invalidName(name)
  if (problem !== undefined) return Either.left(problem)
  if (target === "") return Either.left(`backend "${name}" has no URL or command after =`)
  if (/^https?:\/\//i.test(target)) {
    return URL.canParse(target) ? Either.right({ name, endpoint: { _tag: "Http", url: target } }) : Either.left(`backend "${name}": "${target}" is not a valid URL`)
  }
  const [command, ...args] = splitCommand(target)
  return Either.right({ name, endpoint: { _tag: "Stdio", command: command!, args } })
}

/** Why the backend's credentials or session options cannot work, or undefined. */
export const invalidOptions = (backend: Backend): string | undefined => {
  if (backend.sessions !== undefined && backend.sessions !== "shared" && backend.sessions !== "perPrincipal") {
    return `backend "${backend.name}": sessions must be "shared" or "perPrincipal", not "${String(backend.sessions)}"`
  }
  const instances = backend.instances
  if (instances !== undefined) {
    if (instances.length === 0) return `backend "${backend.name}": instances is empty; give at least one, or an endpoint`
    const problem = Balancer.instancesProblem(instances)
    if (problem !== undefined) return `backend "${backend.name}": ${problem}`
    for (const instance of instances) {
      if (!namePattern.test(instance.id)) return `backend "${backend.name}": instance id "${instance.id}" is not valid: use 1 to 64 letters, digits, _, - or .`
    }
  }
  const strategy = backend.balancing?.strategy
  if (strategy !== undefined && !Balancer.strategies.includes(strategy)) {
    return `backend "${backend.name}": unknown balancing strategy "${strategy}" (one of ${Balancer.strategies.join(", ")})`
  }
  const credentials = backend.credentials
  if (credentials === undefined) return undefined
  if (credentials._tag !== "ClientCredentials") return `backend "${backend.name}": unknown credentials "${String((credentials as { _tag?: unknown })._tag)}"`
  if (backend.endpoint._tag !== "Http") return `backend "${backend.name}": client credentials are for HTTP backends only`
  if (backend.bearer !== undefined) return `backend "${backend.name}": give a bearer token or client credentials, not both`
  const problem = BackendCredentials.invalid(credentials)
  return problem === undefined ? undefined : `backend "${backend.name}": ${problem}`
}

/**
 * The access tokens of a backend with client credentials for the life of
 * the scope (undefined for other backends): the first is fetched when first
 * asked for, then each is replaced in the background before it expires.
 * Fails when the credentials are invalid (see `invalidOptions`).
 */
export const tokenSource = (backend: Backend): Effect.Effect<TokenSource | undefined, BackendError, Scope.Scope> =>
  Effect.gen(function*() {
    const credentials = backend.credentials
    if (credentials === undefined) return undefined
    const problem = invalidOptions(backend)
    if (problem !== undefined) return yield* new BackendError({ backend: backend.name, message: problem })
    const source = yield* BackendCredentials.make(credentials, { backendUrl: (backend.endpoint as { readonly url: string }).url })
    return {
      token: Effect.mapError(source.token, (error) => new BackendError({ backend: backend.name, message: `getting its access token: ${error.message}`, cause: error })),
      current: source.current,
      refused: source.refused
    }
  })

/** `fetch` with the backend's current access token; a 401 gets a new token and is sent once more (it was refused unread). */
const authorizedFetch = (base: typeof globalThis.fetch, tokens: TokenSource, runtime: Runtime.Runtime<never>): typeof globalThis.fetch => {
  const run = Runtime.runPromiseExit(runtime)
  const token = async (): Promise<string> => {
    const exit = await run(tokens.token)
    if (Exit.isSuccess(exit)) return exit.value
    throw new Error(Option.match(Cause.failureOption(exit.cause), { onNone: () => "getting its access token was interrupted", onSome: (error) => error.message }))
  }
  const send = (input: string | URL | Request, init: RequestInit | undefined, value: string) => {
    const headers = new Headers(init?.headers)
    headers.set("authorization", `Bearer ${value}`)
    return base(input, { ...init, headers })
  }
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const first = tokens.current() ?? await token()
    const response = await send(input, init, first)
    if (response.status !== 401) return response
    // RFC 6750 §3.1 invalid_token: the backend read nothing of the request, so it goes again with a new token.
    await run(tokens.refused(first))
    const next = tokens.current()
    if (next === undefined || next === first) return response
    await response.body?.cancel().catch(() => {})
    return send(input, init, next)
  }) as typeof globalThis.fetch
}

/** Where a backend is, for messages (the URL, or the command). */
export const describeEndpoint = (endpoint: Endpoint): string =>
  endpoint._tag === "Http" ? endpoint.url : [endpoint.command, ...(endpoint.args ?? [])].join(" ")

/** The headers of every HTTP request to `backend`: its configured ones and its own bearer token. */
export const headersOf = (backend: Backend): Readonly<Record<string, string>> => {
  const endpoint = backend.endpoint
  return {
    ...(endpoint._tag === "Http" ? endpoint.headers : undefined),
    ...(backend.bearer === undefined ? {} : { authorization: `Bearer ${Redacted.value(backend.bearer)}` })
  }
}

/** Options of `connect`. */
export interface ConnectOptions {
  readonly clientInfo: McpSchema.Implementation
  /** Answers the backend's own requests (sampling, elicitation, roots), relayed to the caller. */
  readonly handlers?: McpClient.Handlers
  readonly requestTimeoutMillis?: number
  /** The largest message taken from the backend (an HTTP body or SSE event, a stdio line); default 16 MiB. */
  readonly maxMessageBytes?: number
  /** The `fetch` of HTTP backends; default one over `node:http` with keep-alive (cheaper per call than Node's own). */
  readonly fetch?: typeof globalThis.fetch
  /** Each notification of the backend, in order, on the client's reader fiber (see `McpClient.Options.onNotification`). */
  readonly onNotification?: (notification: JsonRpc.Notification) => Effect.Effect<void>
  /**
   * The backend's access tokens, for a backend with client credentials.
   * Default: a source of this connection's own (`tokenSource`); a gateway
   * passes the one it keeps for the backend, so reconnecting needs no new token.
   */
  readonly tokens?: TokenSource
}

/**
 * Connects to `backend` for the life of the scope: starts the process or
 * opens the HTTP client, then the MCP handshake (`initialize`, or
 * `server/discover` under 2026-07-28). With client credentials, a valid
 * access token is got first (a failure names the token endpoint).
 */
export const connect = (backend: Backend, options: ConnectOptions): Effect.Effect<McpClient.McpClient, BackendError, Scope.Scope> =>
  Effect.gen(function*() {
    const endpoint = backend.endpoint
    const tokens = options.tokens ?? (yield* tokenSource(backend))
    const baseFetch = options.fetch ?? NodeFetch.make()
    if (tokens !== undefined) yield* tokens.token
    const transport = endpoint._tag === "Http"
      ? yield* HttpClientTransport.make({
        url: endpoint.url,
        fetch: tokens === undefined ? baseFetch : authorizedFetch(baseFetch, tokens, yield* Effect.runtime<never>()),
        headers: headersOf(backend),
        ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes })
      })
      : yield* StdioClientTransport.make({
        command: endpoint.command,
        args: endpoint.args ?? [],
        ...(endpoint.env === undefined ? {} : { env: { ...process.env, ...endpoint.env } }),
        ...(endpoint.cwd === undefined ? {} : { cwd: endpoint.cwd }),
        stderr: "pipe",
        ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes })
      }).pipe(Effect.mapError((error) => new BackendError({ backend: backend.name, message: error.message, cause: error })))
    return yield* McpClient.make({
      transport,
      clientInfo: options.clientInfo,
      protocolVersion: backend.protocolVersion ?? McpClient.AUTO,
      // Every level: the gateway passes on what each caller's own level lets through (spec server/utilities/logging).
      logLevel: "debug",
      // Results are forwarded to callers with their own rights: nothing is shared through a cache.
      cache: false,
      ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
      ...(options.requestTimeoutMillis === undefined ? {} : { requestTimeoutMillis: options.requestTimeoutMillis }),
      ...(options.onNotification === undefined ? {} : { onNotification: options.onNotification })
    })
  }).pipe(
    Effect.mapError((error) =>
      error instanceof BackendError ? error : new BackendError({ backend: backend.name, message: `${describeEndpoint(backend.endpoint)}: ${error.message}`, cause: error })
    )
  )
