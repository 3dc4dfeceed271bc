/**
 * The MCP server a command talks to (`emcee list|get|call|read|prompt|inspect
 * <target>`): a Streamable HTTP URL or a command started over stdio (spec
 * 2025-11-25 basic/transports), and how to connect to it in either revision.
 *
 * How a target is written:
 *
 * - a URL: `emcee list http://127.0.0.1:3000/mcp`;
 * - a command line in ONE argument (split like a shell would, quotes
 *   honoured, no expansion): `emcee call "node server.js" echo --arg message=hi`;
 * - a command after `--`, its words as they are, AFTER the command's own
 *   operands: `emcee list -- node server.js`, `emcee call echo --arg message=hi -- node server.js`.
 *   (The parser does not say where `--` was, so the two command forms are
 *   told apart by how many operands the subcommand takes: with exactly that
 *   many plus one arguments, the first is the target. A one-word command after
 *   `--` is thus read as the first form; quote it first instead:
 *   `emcee call my-server echo`.)
 *
 * Options shared by every target command: `--header "Name: value"`
 * (repeatable; HTTP only), `--bearer TOKEN` (or `EMCEE_BEARER`),
 * `--protocol 2025-11-25|2026-07-28` (default: probe with `server/discover`
 * and fall back to `initialize`, as `McpClient` does), `--timeout D`,
 * `--json`, `--sampling-reply TEXT`, `--root DIR`, `--non-interactive`.
 *
 * Failures become `CliError`s: the server cannot be started or reached (spawn
 * ENOENT, connection refused, DNS, HTTP 401/403, no answer in time) exit 3;
 * a JSON-RPC error exit 4.
 *
 * @since 0.3.0
 */
import { Options } from "@effect/cli"
import { McpClient, McpSchema } from "@emcee/core"
import { HttpClientTransport, Startup, StdioClientTransport } from "@emcee/transport"
import { Config, Duration, Effect, Option, type Scope } from "effect"
import { CliError, ExitCode } from "./CliError.js"
import * as TargetArgs from "./internal/targetArgs.js"
import * as TargetHandlers from "./internal/targetHandlers.js"
import { version } from "./internal/version.js"

/** A server to talk to. */
export type Target =
  | { readonly _tag: "Http"; readonly url: URL }
  | { readonly _tag: "Stdio"; readonly command: string; readonly args: ReadonlyArray<string> }

/** The target as the user wrote it, for messages. */
export const describe = (target: Target): string =>
  target._tag === "Http"
    ? target.url.href
    : [target.command, ...target.args].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w))).join(" ")

/** Whether an argument is an HTTP(S) URL. */
export const isUrl = (text: string): boolean => /^https?:\/\//i.test(text)

const usageError = (command: string, message: string) => new CliError({ command, message, exitCode: ExitCode.user })

/** A target from a URL, a one-argument command line, or the words of a command. */
export const fromWords = (command: string, words: ReadonlyArray<string>): Effect.Effect<Target, CliError> =>
  Effect.suspend((): Effect.Effect<Target, CliError> => {
    if (words.length === 0) {
      return Effect.fail(usageError(command, "no server given: name one as a URL (http://host:port/mcp) or a command (`-- node server.js`)"))
    }
    if (words.length === 1 && isUrl(words[0]!)) {
      try {
        return Effect.succeed({ _tag: "Http", url: new URL(words[0]!) })
      } catch {
        return Effect.fail(usageError(command, `${JSON.stringify(words[0])} is not a valid URL`))
      }
    }
    if (words.length === 1) {
      const split = TargetArgs.splitCommandLine(words[0]!)
      if (!split.ok) return Effect.fail(usageError(command, split.message))
      const [program, ...args] = split.value
      return Effect.succeed({ _tag: "Stdio", command: program!, args })
    }
    const [program, ...args] = words
    return Effect.succeed({ _tag: "Stdio", command: program!, args })
  })

/**
 * Splits a command's positional arguments into its target and its
 * `operands` operands (see the module header for the forms):
 *
 * - `URL op…` or `"command line" op…` (exactly `operands + 1` arguments): the first is the target;
 * - `op… command words…` (more): the first `operands` are the operands, the rest the command.
 */
export const split = (
  command: string,
  positionals: ReadonlyArray<string>,
  operands: number,
  /** Whether the arguments start with the operands (a command's words follow): settles a one-word command after `--`. */
  operandsFirst?: (positionals: ReadonlyArray<string>) => boolean
): Effect.Effect<{ readonly target: Target; readonly operands: ReadonlyArray<string> }, CliError> => {
  if (operandsFirst !== undefined && positionals.length > operands && operandsFirst(positionals)) {
    return Effect.map(fromWords(command, positionals.slice(operands)), (target) => ({ target, operands: positionals.slice(0, operands) }))
  }
  if (positionals.length > 0 && isUrl(positionals[0]!)) {
    return Effect.map(fromWords(command, positionals.slice(0, 1)), (target) => ({ target, operands: positionals.slice(1) }))
  }
  if (positionals.length <= operands) {
    return Effect.fail(usageError(command, `expected a server and ${operands} more argument${operands === 1 ? "" : "s"}; see emcee ${command} --help`))
  }
  if (positionals.length === operands + 1) {
    return Effect.map(fromWords(command, positionals.slice(0, 1)), (target) => ({ target, operands: positionals.slice(1) }))
  }
  return Effect.map(fromWords(command, positionals.slice(operands)), (target) => ({ target, operands: positionals.slice(0, operands) }))
}

/** How to connect, as the shared options give it. */
export interface ConnectOptions {
  /** Extra HTTP headers (names lower-cased). */
  readonly headers: Readonly<Record<string, string>>
  /** Sent as `Authorization: Bearer …` over HTTP. */
  readonly bearer: string | undefined
  /** `"auto"`, `"2025-11-25"` or `"2026-07-28"`. */
  readonly protocol: string
  readonly timeout: Duration.Duration | undefined
  readonly json: boolean
  /** Whether elicitation is asked on the terminal. */
  readonly interactive: boolean
  readonly samplingReply: string | undefined
  readonly roots: ReadonlyArray<string>
}

/** The protocol revisions `--protocol` accepts. */
export const protocols = ["auto", McpSchema.LATEST_PROTOCOL_VERSION, McpSchema.STATELESS_PROTOCOL_VERSION] as const

/** The options every target command takes; spread them into `Command.make`'s config. */
export const options = {
  header: Options.text("header").pipe(
    Options.withPseudoName("\"Name: value\""),
    Options.withDescription("An HTTP header sent with every request (repeatable), e.g. --header \"X-Api-Key: abc\""),
    Options.repeated
  ),
  bearer: Options.text("bearer").pipe(
    Options.withPseudoName("token"),
    Options.withDescription("A bearer token, sent as Authorization: Bearer <token> (default: EMCEE_BEARER from the environment)"),
    Options.withFallbackConfig(Config.string("EMCEE_BEARER")),
    Options.optional
  ),
  protocol: Options.choice("protocol", protocols).pipe(
    Options.withDescription(
      "The revision to speak; auto (default) probes with server/discover (2026-07-28) and falls back to initialize (2025-11-25)"
    ),
    Options.withDefault("auto" as const)
  ),
  timeout: Options.text("timeout").pipe(
    Options.withPseudoName("duration"),
    Options.withDescription("How long each request may take: 5s, 500ms, 2m or a number of seconds (default 60s)"),
    Options.optional
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print JSON for scripts instead of text")),
  samplingReply: Options.text("sampling-reply").pipe(
    Options.withPseudoName("text"),
    Options.withDescription("Answer the server's sampling requests with this fixed text (emcee has no model; without it they are refused)"),
    Options.optional
  ),
  root: Options.text("root").pipe(
    Options.withPseudoName("dir"),
    Options.withDescription("A directory offered to the server as a root (repeatable; none by default)"),
    Options.repeated
  ),
  nonInteractive: Options.boolean("non-interactive").pipe(
    Options.withDescription("Never ask on the terminal: decline the server's elicitation requests (the default when stdin is not a terminal)")
  )
}

/** What `options` parse to. */
export interface OptionValues {
  readonly header: ReadonlyArray<string>
  readonly bearer: Option.Option<string>
  readonly protocol: (typeof protocols)[number]
  readonly timeout: Option.Option<string>
  readonly json: boolean
  readonly samplingReply: Option.Option<string>
  readonly root: ReadonlyArray<string>
  readonly nonInteractive: boolean
}

/** Checks the shared options; a bad `--header` or `--timeout` is a user error naming the flag. */
export const connectOptions = (command: string, values: OptionValues): Effect.Effect<ConnectOptions, CliError> =>
  Effect.suspend(() => {
    const headers = TargetArgs.parseHeaders(values.header)
    if (!headers.ok) return Effect.fail(usageError(command, headers.message))
    let timeout: Duration.Duration | undefined
    if (Option.isSome(values.timeout)) {
      timeout = Startup.parseDuration(values.timeout.value)
      if (timeout === undefined || Duration.toMillis(timeout) <= 0) {
        return Effect.fail(usageError(command, `--timeout ${JSON.stringify(values.timeout.value)} is not a duration (use e.g. 5s, 500ms, 2m or a number of seconds)`))
      }
    }
    return Effect.succeed({
      headers: headers.value,
      bearer: Option.getOrUndefined(values.bearer),
      protocol: values.protocol,
      timeout,
      json: values.json,
      interactive: !values.nonInteractive && process.stdin.isTTY === true,
      samplingReply: Option.getOrUndefined(values.samplingReply),
      roots: values.root
    })
  })

/** A connected client, and how to report its failures. */
export interface Connection {
  readonly target: Target
  readonly client: McpClient.McpClient
  /** Runs a request, turning its failure into the `CliError` with the right exit code. */
  readonly run: <A>(effect: Effect.Effect<A, McpClient.McpClientError>) => Effect.Effect<A, CliError>
}

const httpStatus = (error: McpClient.McpClientError): number | undefined => {
  const data = error.data
  if (typeof data === "object" && data !== null && typeof (data as { httpStatus?: unknown }).httpStatus === "number") {
    return (data as { httpStatus: number }).httpStatus
  }
  const match = /\bHTTP (\d{3})\b/.exec(error.message)
  return match === null ? undefined : Number(match[1])
}

/** The last non-empty line a stdio server wrote to stderr, as a hint. */
const stderrHint = (stderr: (() => string) | undefined): string => {
  const line = stderr?.().split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1)
  return line === undefined ? "" : ` (its stderr: ${line.slice(0, 200)})`
}

/**
 * The `CliError` for a failed request: -32000 (the connection closed or
 * could not be made, HTTP 401/403 included) and -32001 (no answer in time)
 * exit 3; any JSON-RPC error the server answered exits 4 with its code and
 * message.
 */
export const toCliError = (
  command: string,
  target: Target,
  error: McpClient.McpClientError,
  stderr?: () => string
): CliError => {
  const name = describe(target)
  const connection = (message: string) => new CliError({ command, message, exitCode: ExitCode.connection, cause: error })
  if (error.code === McpClient.ClientErrorCode.ConnectionClosed) {
    const status = httpStatus(error)
    if (status === 401 || status === 403) {
      return connection(
        `${name} refused the request (HTTP ${status}${status === 401 ? " Unauthorized" : " Forbidden"}): give credentials with --bearer TOKEN (or EMCEE_BEARER) or --header "Name: value"`
      )
    }
    if (target._tag === "Http") {
      return connection(`cannot reach ${name}: ${error.message}; check that the server is running and the URL is right`)
    }
    return connection(`the server ${name} stopped or closed the connection: ${error.message}${stderrHint(stderr)}`)
  }
  if (error.code === McpClient.ClientErrorCode.RequestTimeout) {
    return connection(`${name} did not answer in time: ${error.message}; raise --timeout or check the server`)
  }
  return new CliError({ command, message: `${name} answered error ${error.code}: ${error.message}`, exitCode: ExitCode.protocol, cause: error })
}

const clientInfo = { name: "emcee-cli", version }

/**
 * Starts or reaches the server and connects (spec basic/lifecycle
 * "Initialization", or 2026-07-28 `server/discover`) for the life of the
 * scope; closing the scope shuts a stdio server down and ends an HTTP session.
 */
export const connect = (command: string, target: Target, options: ConnectOptions): Effect.Effect<Connection, CliError, Scope.Scope> =>
  Effect.gen(function*() {
    const name = describe(target)
    let stderr: (() => string) | undefined
    const transport: McpClient.ClientTransport = target._tag === "Http"
      ? yield* HttpClientTransport.make({
        url: target.url,
        headers: {
          ...options.headers,
          ...(options.bearer === undefined ? {} : { authorization: `Bearer ${options.bearer}` })
        }
      })
      : yield* StdioClientTransport.make({ command: target.command, args: target.args, stderr: "pipe" }).pipe(
        Effect.tap((t) => Effect.sync(() => void (stderr = t.stderr))),
        Effect.mapError((e) =>
          new CliError({
            command,
            message: `cannot start the server ${name}: ${e.message}; check that ${target.command} is installed and on PATH, or give its absolute path`,
            exitCode: ExitCode.connection,
            cause: e
          })
        )
      )
    const millis = options.timeout === undefined ? undefined : Duration.toMillis(options.timeout)
    const client = yield* McpClient.make({
      transport,
      clientInfo,
      protocolVersion: options.protocol,
      handlers: TargetHandlers.make({ command, interactive: options.interactive, samplingReply: options.samplingReply, roots: options.roots }),
      ...(millis === undefined ? {} : { requestTimeoutMillis: millis, probeTimeoutMillis: millis })
    }).pipe(Effect.mapError((e) => toCliError(command, target, e, stderr)))
    return {
      target,
      client,
      run: <A>(effect: Effect.Effect<A, McpClient.McpClientError>) => Effect.mapError(effect, (e) => toCliError(command, target, e, stderr))
    }
  })
