/**
 * Runs the everything example.
 *
 * - `node main.js`: stdio (spec 2025-11-25 basic/transports "stdio").
 * - `node main.js --http [--port N] [--host H]`: Streamable HTTP on
 *   `http://H:N/mcp` (spec basic/transports "Streamable HTTP"); `PORT` and
 *   `HOST` in the environment work too. Port 0 picks a free port. A ready
 *   line goes to stderr once the server listens. Every request is answered
 *   with an SSE stream, as the conformance suite's reference server does;
 *   `--json-response` answers with one JSON body whenever nothing is sent
 *   before the result. `--max-sessions N` caps the open sessions (another
 *   initialize gets 503).
 * - `--one-port` (implies `--http`): everything on the one port of
 *   `HttpTransport`: Streamable HTTP on `/mcp`, MCP over WebSocket (upgrades
 *   on `/mcp`), the legacy HTTP+SSE endpoints (`/sse`, `/messages`),
 *   `/health`, `/health/ready`, `/metrics` and an `@effect/platform` route of
 *   the example's own, `GET /hello`.
 * - `--mount` (implies `--http`): the MCP endpoint as an `HttpApp`
 *   (`HttpTransport.makeEndpoint`) mounted on `/mcp` of an `@effect/platform`
 *   `NodeHttpServer` with an `HttpRouter` of its own (`/hello`, the
 *   operational routes).
 * - `--shutdown-timeout D` (all modes; `5s`, `500ms`, `2m` or a number of
 *   seconds, default 10s): on SIGTERM or SIGINT (or stdin closing, over
 *   stdio) requests in flight get this long to finish, then are cancelled
 *   and answered with an error, and the process exits 0.
 *
 * Other transport options come from the environment as
 * `HttpTransport.config()` and `StdioTransport.config()` read them
 * (`HTTP_ALLOWED_ORIGINS`, `HTTP_MAX_BODY_BYTES`, `STDIO_MAX_MESSAGE_BYTES`,
 * ...; `HTTP_PORT`/`HTTP_HOST` when `PORT`/`HOST` are not set); flags win.
 *
 * A bad argument is a usage message on stderr and exit code 2. Nothing but
 * protocol goes to stdout: a fatal error (the server cannot start) is
 * reported on stderr with exit code 1; a port that is taken or a bad
 * configuration value is one line (`emcee everything: cannot listen on
 * 127.0.0.1:3000: address already in use (EADDRINUSE)`).
 *
 * @since 0.1.0
 */
import { createServer } from "node:http"
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { HttpTransport, Startup, StdioTransport } from "@emcee/transport"
import { type Duration, Effect } from "effect"
import { App } from "./server.js"

/** Command-line options. */
interface Args {
  readonly http: boolean
  /** How HTTP is served: HttpTransport alone, with everything on its port, or mounted in a platform server. */
  readonly mode: "http" | "one-port" | "mount"
  readonly port: number | undefined
  readonly host: string | undefined
  readonly jsonResponse: boolean
  readonly shutdownTimeout: Duration.Duration | undefined
  readonly maxSessions: number | undefined
}

const usage =
  "usage: main [--http|--one-port|--mount [--port N] [--host H] [--json-response] [--max-sessions N]] [--shutdown-timeout D]"

const fail = (message: string): never => {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

/** `5s`, `500ms`, `2m`, `1h` or a plain number of seconds; undefined otherwise. */
const parseDuration = (text: string | undefined): Duration.Duration | undefined =>
  text === undefined ? undefined : Startup.parseDuration(text)

const parseArgs = (argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Args => {
  let http = false
  let mode: Args["mode"] = "http"
  let jsonResponse = false
  let port = env.PORT === undefined || env.PORT === "" ? undefined : Number(env.PORT)
  let host = env.HOST === undefined || env.HOST === "" ? undefined : env.HOST
  let shutdownTimeout: Duration.Duration | undefined
  let maxSessions: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
    const value = () => inline ?? argv[++i]
    switch (flag) {
      case "--http":
        http = true
        break
      case "--one-port":
      case "--mount":
        http = true
        mode = flag === "--mount" ? "mount" : "one-port"
        break
      case "--port":
        port = Number(value())
        break
      case "--json-response":
        jsonResponse = true
        break
      case "--host":
        host = value() ?? host
        break
      case "--shutdown-timeout": {
        const text = value()
        shutdownTimeout = parseDuration(text) ??
          fail(`invalid --shutdown-timeout: ${JSON.stringify(text ?? "")} is not a duration (use e.g. 5s, 500ms, 2m or a number of seconds)`)
        break
      }
      case "--max-sessions": {
        const text = value()
        const n = Number(text)
        maxSessions = text !== undefined && text.trim() !== "" && Number.isInteger(n) && n > 0
          ? n
          : fail(`invalid --max-sessions: ${JSON.stringify(text ?? "")} is not a positive integer`)
        break
      }
      default:
        fail(`unknown argument: ${arg}`)
    }
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) fail(`invalid port: ${port}`)
  return { http, mode, port, host, jsonResponse, shutdownTimeout, maxSessions }
}

const args = parseArgs(process.argv.slice(2), process.env)

const shutdown = args.shutdownTimeout === undefined ? {} : { shutdownTimeout: args.shutdownTimeout }

/** A route of the example's own, served by @effect/platform next to the MCP endpoint. */
const hello = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello from emcee everything\n")))

const ready = (url: string) => Effect.sync(() => process.stderr.write(`emcee everything listening on ${url}\n`))

const serveHttp = Effect.gen(function*() {
  const fromEnv = yield* HttpTransport.config()
  const options = {
    ...fromEnv,
    port: args.port ?? fromEnv.port ?? 3000,
    host: args.host ?? fromEnv.host ?? "127.0.0.1",
    enableJsonResponse: args.jsonResponse || (fromEnv.enableJsonResponse ?? false),
    ...shutdown,
    ...(args.maxSessions === undefined ? {} : { maxSessions: args.maxSessions })
  }
  if (args.mode === "mount") return yield* serveMounted(options)
  const running = yield* HttpTransport.make(
    args.mode === "one-port"
      ? { ...options, app: HttpRouter.concat(HttpTransport.operationalRoutes, hello), webSocket: true, legacySse: true }
      : options
  )
  yield* ready(running.url)
  return yield* Effect.never
}).pipe(Effect.scoped)

/** The MCP endpoint mounted on `/mcp` of an @effect/platform server with routes of its own. */
const serveMounted = (options: HttpTransport.Options & { readonly port: number; readonly host: string }) =>
  Effect.gen(function*() {
    const server = yield* HttpServer.HttpServer
    const endpoint = yield* HttpTransport.makeEndpoint(options)
    yield* HttpServer.serveEffect(HttpRouter.empty.pipe(
      HttpRouter.all("/mcp", endpoint.app),
      HttpRouter.concat(HttpTransport.operationalRoutes),
      HttpRouter.concat(hello)
    ))
    // Added last, so it runs first: the endpoint drains (new requests get 503) while the router still serves.
    yield* Effect.addFinalizer(() => endpoint.close)
    const address = server.address
    yield* ready(
      address._tag === "TcpAddress"
        ? `http://${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${address.port}/mcp`
        : HttpServer.formatAddress(address)
    )
    return yield* Effect.never
  }).pipe(Effect.scoped, Effect.provide(NodeHttpServer.layer(createServer, { port: options.port, host: options.host })))

const serveStdio = Effect.flatMap(StdioTransport.config(), (fromEnv) => StdioTransport.run({ ...fromEnv, ...shutdown }))

const program = args.http ? serveHttp : serveStdio

// `runMain` would report a fatal error with `console.log`, on stdout: over stdio that is the protocol.
program.pipe(Effect.provide(App), Startup.reportFatal("emcee everything"), NodeRuntime.runMain)
