/**
 * Runs the auth example: an MCP server protected by JWT bearer tokens (spec
 * 2025-11-25 and 2026-07-28 basic/authorization), with scopes, RBAC, a
 * per-caller rate limit and an audit log, that is also the issuer of its own
 * test tokens. **For development only**: it mints its signing key itself.
 *
 * - `node main.js --http [--port N] [--host H] [--resource URL]`:
 *   Streamable HTTP on `http://H:N/mcp` (default `127.0.0.1:3001`; `PORT`
 *   and `HOST` in the environment work too; port 0 picks a free port). The
 *   server is an OAuth 2.1 resource server: `BearerGuard` answers requests
 *   without a valid token with 401 and `WWW-Authenticate: Bearer
 *   resource_metadata=…`, and serves the RFC 9728 metadata at
 *   `/.well-known/oauth-protected-resource/mcp`. Its canonical resource URI
 *   (`--resource`, default the URL it listens on) is both the metadata's
 *   `resource` and the audience tokens must carry (spec "Token Audience
 *   Binding and Validation"): give `--resource` when clients reach the server
 *   at another URL (a proxy, `--host 0.0.0.0`). On start it prints to stderr
 *   the endpoint, two ready-to-use tokens (an admin and a reader) and a curl
 *   line.
 * - `node main.js [--stdio]`: stdio (spec basic/authorization: stdio servers
 *   take credentials from the environment). The token is read once from
 *   `MCP_TOKEN`, verified against the dev key in `EMCEE_AUTH_DEV_KEY_FILE`
 *   with the audience the HTTP server on `--port`/`--resource` would have; a
 *   missing or invalid token stops the server with exit code 1.
 * - `node main.js --print-token [--subject S] [--scopes "a b"] [--roles "r"]
 *   [--ttl SECONDS] [--port N] [--host H] [--resource URL]`: prints one
 *   token signed with the key in `EMCEE_AUTH_DEV_KEY_FILE` (created when
 *   missing) for that server, and exits.
 *
 * The dev issuer (see `devIssuer.ts`): an ES256 key pair generated at
 * start, unless `EMCEE_AUTH_DEV_KEY_FILE` names a file, which is read when it
 * exists and written (mode 0600) otherwise, so tokens survive restarts and
 * other processes (tests, `--print-token`) can mint them. Over HTTP the
 * public key is published at `/.well-known/jwks.json` on the same port and
 * the `Jwt` authenticator fetches it from there, as it would from a real
 * authorization server; the issuer (`iss`) is the server's origin.
 *
 * `--rate N` and `--burst N` set the per-caller limit on `tools/call`
 * (default 5 a second, bursts of 10); over it, HTTP answers 429 with
 * `Retry-After` (RFC 6585 §4). `--shutdown-timeout D` as in the everything
 * example.
 *
 * A bad argument is a usage message on stderr and exit code 2; a server that
 * cannot start, one line on stderr and exit code 1. Nothing but protocol goes
 * to stdout over stdio; logs (audit records included) go to stderr.
 *
 * @since 0.2.0
 */
import { createServer } from "node:net"
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { Authentication, BearerGuard, Jwt, RateLimit } from "@emcee/auth"
import { HttpTransport, Startup, StdioTransport } from "@emcee/transport"
import { Cause, type Duration, Effect, Logger } from "effect"
import * as DevIssuer from "./devIssuer.js"
import { type Limits, makeApp, SCOPES } from "./server.js"

const NAME = "emcee auth example"

/** Command-line options. */
interface Args {
  readonly mode: "stdio" | "http" | "print-token"
  readonly port: number | undefined
  readonly host: string
  readonly resource: string | undefined
  readonly limits: Limits
  readonly shutdownTimeout: Duration.Duration | undefined
  readonly subject: string
  readonly scopes: ReadonlyArray<string>
  readonly roles: ReadonlyArray<string>
  readonly ttlSeconds: number
}

const usage = [
  "usage: main [--stdio] [--port N] [--host H] [--resource URL]",
  "       main --http [--port N] [--host H] [--resource URL] [--rate N] [--burst N] [--shutdown-timeout D]",
  "       main --print-token [--subject S] [--scopes \"a b\"] [--roles \"r s\"] [--ttl SECONDS] [--port N] [--host H] [--resource URL]"
].join("\n")

const fail = (message: string): never => {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

const positive = (flag: string, text: string | undefined, integer: boolean): number => {
  const n = Number(text)
  return text !== undefined && text.trim() !== "" && Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n))
    ? n
    : fail(`invalid ${flag}: ${JSON.stringify(text ?? "")} is not a positive ${integer ? "integer" : "number"}`)
}

const words = (text: string | undefined): ReadonlyArray<string> => (text ?? "").split(/[\s,]+/).filter((w) => w.length > 0)

const parseArgs = (argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Args => {
  let mode: Args["mode"] = "stdio"
  let port = env.PORT === undefined || env.PORT === "" ? undefined : Number(env.PORT)
  let host = env.HOST === undefined || env.HOST === "" ? "127.0.0.1" : env.HOST
  let resource: string | undefined
  let rate = 5
  let burst: number | undefined
  let shutdownTimeout: Duration.Duration | undefined
  let subject = "alice"
  let scopes: ReadonlyArray<string> = ["files:read"]
  let roles: ReadonlyArray<string> = []
  let ttlSeconds = 3600
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
    const value = () => inline ?? argv[++i]
    switch (flag) {
      case "--http":
        mode = "http"
        break
      case "--stdio":
        mode = "stdio"
        break
      case "--print-token":
        mode = "print-token"
        break
      case "--port":
        port = Number(value())
        break
      case "--host":
        host = value() ?? host
        break
      case "--resource": {
        const text = value() ?? ""
        resource = URL.canParse(text) && /^https?:$/.test(new URL(text).protocol)
          ? text
          : fail(`invalid --resource: ${JSON.stringify(text)} is not an http(s) URL`)
        break
      }
      case "--rate":
        rate = positive("--rate", value(), false)
        break
      case "--burst":
        burst = positive("--burst", value(), true)
        break
      case "--shutdown-timeout": {
        const text = value()
        shutdownTimeout = (text === undefined ? undefined : Startup.parseDuration(text)) ??
          fail(`invalid --shutdown-timeout: ${JSON.stringify(text ?? "")} is not a duration (use e.g. 5s, 500ms, 2m or a number of seconds)`)
        break
      }
      case "--subject":
        subject = value() ?? fail("--subject needs a value")
        break
      case "--scopes":
        scopes = words(value())
        break
      case "--roles":
        roles = words(value())
        break
      case "--ttl":
        ttlSeconds = positive("--ttl", value(), true)
        break
      default:
        fail(`unknown argument: ${arg}`)
    }
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) fail(`invalid port: ${port}`)
  if (port === 0 && mode !== "http") fail("--port 0 (a free port) only makes sense with --http")
  return { mode, port, host, resource, limits: { rate, burst: burst ?? Math.max(1, Math.ceil(rate * 2)) }, shutdownTimeout, subject, scopes, roles, ttlSeconds }
}

/** Where the server is, and so what its tokens say: issuer, audience and JWKS URL. */
interface Endpoint {
  /** `http://host:port`: the dev issuer (`iss`), which serves the JWKS. */
  readonly origin: string
  /** The canonical resource URI: the JWT audience and the RFC 9728 `resource`. */
  readonly resource: string
  readonly jwksUrl: string
}

const endpointOf = (host: string, port: number, resource: string | undefined): Endpoint => {
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`
  return { origin, resource: resource ?? `${origin}/mcp`, jwksUrl: `${origin}/.well-known/jwks.json` }
}

/** A free TCP port on `host` (port 0 must be known before listening: it is part of the resource URI tokens are bound to). */
const freePort = (host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, host, () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

/** The `Jwt` authenticator of the dev issuer: `iss`, `aud`, `typ` (RFC 9068 §2.1) checked, roles from the `roles` claim. */
const jwtOf = (endpoint: Endpoint, keys: Pick<Jwt.Options, "jwksUrl" | "publicKey">) =>
  Jwt.make({ issuer: endpoint.origin, audience: endpoint.resource, typ: "at+jwt", claims: { roles: "roles" }, ...keys })

const args = parseArgs(process.argv.slice(2), process.env)
const keyFile = process.env[DevIssuer.KEY_FILE_VARIABLE] === "" ? undefined : process.env[DevIssuer.KEY_FILE_VARIABLE]
const shutdown = args.shutdownTimeout === undefined ? {} : { shutdownTimeout: args.shutdownTimeout }

/** Logs (the audit records of `Audit.log`) as logfmt lines on stderr: stdout is the protocol over stdio. */
const StderrLogger = Logger.replace(Logger.defaultLogger, Logger.map(Logger.logfmtLogger, (line) => void process.stderr.write(`${line}\n`)))

/** The dev key; a key file that cannot be used fails the start, naming the file. */
const loadKey = Effect.tryPromise({
  try: () => DevIssuer.loadOrCreateKey(keyFile),
  catch: (cause) => (cause instanceof Error ? cause : new Error(String(cause)))
})

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`

/** What a person needs to try the server: the endpoint, two tokens and a curl line (dev only: these are live credentials). */
const banner = (endpoint: Endpoint, admin: string, reader: string): string => {
  const call = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: {
      name: "whoami",
      arguments: {},
      _meta: {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { name: "curl", version: "1" },
        "io.modelcontextprotocol/clientCapabilities": {}
      }
    }
  })
  return [
    `${NAME} listening on ${endpoint.resource}`,
    `  protected resource metadata: ${new URL(endpoint.resource).origin}${BearerGuard.metadataPath(new URL(endpoint.resource).pathname)}`,
    `  dev issuer ${endpoint.origin}, keys at ${endpoint.jwksUrl}`,
    `  admin token (subject alice; scopes files:read files:write; role admin; 1 hour; dev only):`,
    `MCP_TOKEN=${admin}`,
    `  reader token (subject bob; scope files:read; 1 hour; dev only):`,
    `READER_TOKEN=${reader}`,
    `  try (after export MCP_TOKEN=…):`,
    `curl -s ${endpoint.resource} -H "Authorization: Bearer $MCP_TOKEN" -H 'Content-Type: application/json' ` +
    `-H 'Accept: application/json, text/event-stream' -H 'Mcp-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' ` +
    `-H 'Mcp-Name: whoami' -d ${shellQuote(call)}`,
    ""
  ].join("\n")
}

const serveHttp = Effect.gen(function*() {
  const port = args.port === 0 ? yield* Effect.promise(() => freePort(args.host)) : args.port ?? 3001
  const endpoint = endpointOf(args.host, port, args.resource)
  const key = yield* loadKey
  const jwks = JSON.stringify(DevIssuer.jwks(key))
  // The dev issuer's JWKS (RFC 7517 §5) on the server's own port, beside the operational routes.
  const routes = HttpRouter.concat(
    HttpTransport.operationalRoutes,
    HttpRouter.empty.pipe(
      HttpRouter.get("/.well-known/jwks.json", HttpServerResponse.text(jwks, { contentType: "application/jwk-set+json" }))
    )
  )
  const serve = Effect.gen(function*() {
    const guard = yield* BearerGuard.make({
      resource: endpoint.resource,
      authorizationServers: [endpoint.origin],
      scopesSupported: SCOPES,
      challengeScopes: ["files:read"],
      resourceName: "emcee auth example"
    })
    yield* HttpTransport.make({
      port,
      host: args.host,
      path: new URL(endpoint.resource).pathname,
      guard,
      errorStatus: RateLimit.httpStatus,
      app: routes,
      ...shutdown
    })
    const mint = (grant: DevIssuer.Grant) => Effect.promise(() => DevIssuer.mint(key, endpoint.origin, endpoint.resource, grant))
    const admin = yield* mint({ subject: "alice", scopes: SCOPES, roles: ["admin"] })
    const reader = yield* mint({ subject: "bob", scopes: ["files:read"] })
    yield* Effect.sync(() => process.stderr.write(banner(endpoint, admin, reader)))
    return yield* Effect.never
  })
  return yield* serve.pipe(Effect.scoped, Effect.provide(makeApp([jwtOf(endpoint, { jwksUrl: endpoint.jwksUrl })], args.limits)))
})

const serveStdio = Effect.gen(function*() {
  if (keyFile === undefined) {
    return yield* Effect.fail(
      new Error(`over stdio the token in MCP_TOKEN is verified with the dev key: set ${DevIssuer.KEY_FILE_VARIABLE} to the key file (see --print-token)`)
    )
  }
  const endpoint = endpointOf(args.host, args.port ?? 3001, args.resource)
  const key = yield* loadKey
  const serve = Effect.gen(function*() {
    // spec basic/authorization "Protocol Requirements": a stdio server takes its credential from the environment.
    const context = yield* Authentication.environmentContext({ authorization: "MCP_TOKEN" }).pipe(
      Effect.mapError((error) => new Error(`MCP_TOKEN refused (${error.reason}): ${error.description}`))
    )
    const fromEnv = yield* StdioTransport.config()
    return yield* StdioTransport.run({ ...fromEnv, ...shutdown, context })
  })
  return yield* serve.pipe(Effect.provide(makeApp([jwtOf(endpoint, { publicKey: key.publicJwk })], args.limits)))
})

const printToken = Effect.gen(function*() {
  if (keyFile === undefined) {
    return yield* Effect.fail(new Error(`--print-token signs with the dev key in a file: set ${DevIssuer.KEY_FILE_VARIABLE} (created when missing)`))
  }
  const endpoint = endpointOf(args.host, args.port ?? 3001, args.resource)
  const key = yield* loadKey
  const token = yield* Effect.promise(() =>
    DevIssuer.mint(key, endpoint.origin, endpoint.resource, { subject: args.subject, scopes: args.scopes, roles: args.roles, ttlSeconds: args.ttlSeconds })
  )
  yield* Effect.sync(() => process.stdout.write(`${token}\n`))
})

const program: Effect.Effect<unknown, unknown> = args.mode === "http" ? serveHttp : args.mode === "stdio" ? serveStdio : printToken

// `runMain` would report a fatal error with `console.log`, on stdout: over stdio that is the protocol.
program.pipe(
  // A start-up failure the user can fix (no key file, no or a bad MCP_TOKEN) is one line; anything else the whole cause.
  Effect.catchIf((error): error is Error => error instanceof Error && Startup.describeFailure(Cause.fail(error)) === undefined, (error) =>
    Effect.sync(() => {
      process.stderr.write(`${NAME}: ${error.message}\n`)
      process.exitCode = 1
    })),
  Effect.provide(StderrLogger),
  Startup.reportFatal(NAME),
  (effect) => NodeRuntime.runMain(effect, { disablePrettyLogger: true })
)
