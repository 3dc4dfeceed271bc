/**
 * A backend of a gateway: an MCP server reached over stdio (a command the
 * gateway starts) or Streamable HTTP (a URL), speaking either revision
 * (2025-11-25 or 2026-07-28; `auto` probes, spec 2026-07-28
 * basic/versioning "Backward Compatibility"). Its credentials are its own
 * (a static bearer token), never the caller's.
 *
 * `parse` reads the `NAME=URL-or-command` form of `emcee gateway --backend`.
 *
 * @since 0.4.0
 */
import { type JsonRpc, McpClient, type McpSchema } from "@emcee/core"
import { HttpClientTransport, StdioClientTransport } from "@emcee/transport"
import { Data, Effect, Either, Redacted, type Scope } from "effect"
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

/** Where a backend is, for messages (the URL, or the command). */
export const describeEndpoint = (endpoint: Endpoint): string =>
  endpoint._tag === "Http" ? endpoint.url : [endpoint.command, ...(endpoint.args ?? [])].join(" ")

/** Options of `connect`. */
export interface ConnectOptions {
  readonly clientInfo: McpSchema.Implementation
  /** Answers the backend's own requests (sampling, elicitation, roots), relayed to the caller. */
  readonly handlers?: McpClient.Handlers
  readonly requestTimeoutMillis?: number
  /** The `fetch` of HTTP backends; default one over `node:http` with keep-alive (cheaper per call than Node's own). */
  readonly fetch?: typeof globalThis.fetch
  /** Each notification of the backend, in order, on the client's reader fiber (see `McpClient.Options.onNotification`). */
  readonly onNotification?: (notification: JsonRpc.Notification) => Effect.Effect<void>
}

/**
 * Connects to `backend` for the life of the scope: starts the process or
 * opens the HTTP client, then the MCP handshake (`initialize`, or
 * `server/discover` under 2026-07-28).
 */
export const connect = (backend: Backend, options: ConnectOptions): Effect.Effect<McpClient.McpClient, BackendError, Scope.Scope> =>
  Effect.gen(function*() {
    const endpoint = backend.endpoint
    const transport = endpoint._tag === "Http"
      ? yield* HttpClientTransport.make({
        url: endpoint.url,
        fetch: options.fetch ?? NodeFetch.make(),
        headers: {
          ...endpoint.headers,
          ...(backend.bearer === undefined ? {} : { authorization: `Bearer ${Redacted.value(backend.bearer)}` })
        }
      })
      : yield* StdioClientTransport.make({
        command: endpoint.command,
        args: endpoint.args ?? [],
        ...(endpoint.env === undefined ? {} : { env: { ...process.env, ...endpoint.env } }),
        ...(endpoint.cwd === undefined ? {} : { cwd: endpoint.cwd }),
        stderr: "pipe"
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
