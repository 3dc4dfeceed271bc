/**
 * Runs the oauth example: an MCP server protected by the OAuth 2.1
 * authorization server embedded on its own port (spec 2025-11-25 and
 * 2026-07-28 basic/authorization), which federates login to a local
 * upstream OpenID Connect provider started beside it. No external service:
 * one command gives a server any MCP client can sign in to. **For
 * development only**: keys, accounts and the store live in memory.
 *
 * `node main.js --http [--port N] [--host H] [--public-url URL]
 * [--upstream-port N] [--dcr] [--access-token-ttl D] [--refresh-grace D]
 * [--cimd-allow-host H]… [--cimd-ca FILE] [--cimd-allow-http]`
 *
 * - The MCP endpoint is `http://H:N/mcp` (default `127.0.0.1:3002`; `PORT`
 *   and `HOST` in the environment work too; port 0 picks a free port, known
 *   before listening because it is part of the resource URI). `--public-url`
 *   names the origin clients reach when it is not that one (a proxy): the
 *   issuer, and the resource `${url}/mcp`.
 * - The authorization server's issuer is the same origin: `/authorize`,
 *   `/token`, `/register` (with `--dcr`), `/revoke`, `/introspect`,
 *   `/device_authorization`, the login, consent and device pages, and its
 *   metadata at `/.well-known/oauth-authorization-server` (RFC 8414). The
 *   MCP endpoint answers requests without a valid token with 401 pointing at
 *   `/.well-known/oauth-protected-resource/mcp` (RFC 9728).
 * - Clients register with a Client ID Metadata Document (their client id is
 *   an https URL; always on) or, with `--dcr`, RFC 7591 dynamic
 *   registration. Metadata documents are fetched from public addresses
 *   only; `--cimd-allow-host H` (repeatable) lets host H resolve to a
 *   private or loopback address, `--cimd-ca FILE` trusts the PEM
 *   certificate(s) in FILE besides the system's, `--cimd-allow-http` accepts
 *   `http:` client ids: all three for local testing.
 * - `--access-token-ttl D` (default 10m) and `--refresh-grace D` (default
 *   30s): durations as `3s`, `500ms`, `2m` or seconds.
 * - The upstream provider listens on `127.0.0.1:--upstream-port` (default a
 *   free port); any username logs in with any password, `alice` is an
 *   editor (scopes `notes:read notes:write`, role `editor`), `bob` and
 *   everyone else a reader (`notes:read`).
 * - `OAUTH_ENCRYPTION_KEY` (at least 32 characters; several separated by
 *   commas rotate) seals the signing keys and upstream tokens in the store;
 *   unset, a random key is made for this process, with a warning.
 *
 * It prints to stderr the MCP endpoint, the issuer, the upstream issuer and
 * the demo accounts. A bad argument is a usage message on stderr and exit
 * code 2 (so is a mode other than `--http`: an OAuth server needs a browser
 * and an HTTP endpoint); a server that cannot start, one line on stderr and
 * exit code 1.
 *
 * @since 0.3.0
 */
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { HttpServerRequest } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { AuthorizationServer, BearerGuard, OAuthStore, Upstream } from "@emcee/auth"
import { HttpTransport, Startup } from "@emcee/transport"
import { Cause, Config, type ConfigError, type Duration, Effect, Layer, Logger, Redacted } from "effect"
import { makeApp, SCOPES, UPSTREAM_NAME } from "./server.js"
import * as LocalUpstream from "./upstream.js"

const NAME = "emcee oauth example"

/** Command-line options. */
interface Args {
  readonly port: number
  readonly host: string
  readonly publicUrl: string | undefined
  readonly upstreamPort: number
  readonly dcr: boolean
  readonly accessTokenTtl: Duration.Duration | undefined
  readonly refreshGrace: Duration.Duration | undefined
  readonly cimdAllowHosts: ReadonlyArray<string>
  readonly cimdCa: string | undefined
  readonly cimdAllowHttp: boolean
}

const usage = [
  "usage: main --http [--port N] [--host H] [--public-url URL] [--upstream-port N] [--dcr]",
  "            [--access-token-ttl D] [--refresh-grace D] [--cimd-allow-host H]... [--cimd-ca FILE] [--cimd-allow-http]",
  "  (only --http: an OAuth authorization server needs an HTTP endpoint and a browser, stdio has neither)"
].join("\n")

const fail = (message: string): never => {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

const portOf = (flag: string, text: string | undefined): number => {
  const n = Number(text)
  return text !== undefined && text.trim() !== "" && Number.isInteger(n) && n >= 0 && n <= 65535
    ? n
    : fail(`invalid ${flag}: ${JSON.stringify(text ?? "")} is not a port (0 to 65535)`)
}

const durationOf = (flag: string, text: string | undefined): Duration.Duration =>
  (text === undefined ? undefined : Startup.parseDuration(text)) ??
    fail(`invalid ${flag}: ${JSON.stringify(text ?? "")} is not a duration (use e.g. 3s, 500ms, 2m or a number of seconds)`)

const parseArgs = (argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Args => {
  let http = false
  let port = env.PORT === undefined || env.PORT === "" ? 3002 : portOf("PORT", env.PORT)
  let host = env.HOST === undefined || env.HOST === "" ? "127.0.0.1" : env.HOST
  let publicUrl: string | undefined
  let upstreamPort = 0
  let dcr = false
  let accessTokenTtl: Duration.Duration | undefined
  let refreshGrace: Duration.Duration | undefined
  const cimdAllowHosts: Array<string> = []
  let cimdCa: string | undefined
  let cimdAllowHttp = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
    const value = () => inline ?? argv[++i]
    switch (flag) {
      case "--http":
        http = true
        break
      case "--stdio":
        fail("--stdio is not supported: an OAuth authorization server needs an HTTP endpoint and a browser (use --http)")
        break
      case "--port":
        port = portOf("--port", value())
        break
      case "--host":
        host = value() ?? fail("--host needs a value")
        break
      case "--public-url": {
        const text = value() ?? ""
        publicUrl = URL.canParse(text) && /^https?:$/.test(new URL(text).protocol) && new URL(text).search === "" && new URL(text).hash === ""
          ? text.replace(/\/+$/, "")
          : fail(`invalid --public-url: ${JSON.stringify(text)} is not an http(s) URL without query or fragment`)
        break
      }
      case "--upstream-port":
        upstreamPort = portOf("--upstream-port", value())
        break
      case "--dcr":
        dcr = true
        break
      case "--access-token-ttl":
        accessTokenTtl = durationOf("--access-token-ttl", value())
        break
      case "--refresh-grace":
        refreshGrace = durationOf("--refresh-grace", value())
        break
      case "--cimd-allow-host": {
        const text = (value() ?? "").trim().toLowerCase().replace(/^\[(.*)\]$/, "$1")
        cimdAllowHosts.push(text.length > 0 ? text : fail("--cimd-allow-host needs a host name"))
        break
      }
      case "--cimd-ca":
        cimdCa = value() ?? fail("--cimd-ca needs a file")
        break
      case "--cimd-allow-http":
        cimdAllowHttp = true
        break
      default:
        fail(`unknown argument: ${arg}`)
    }
  }
  if (!http) fail("missing --http: this example runs over HTTP only")
  return { port, host, publicUrl, upstreamPort, dcr, accessTokenTtl, refreshGrace, cimdAllowHosts, cimdCa, cimdAllowHttp }
}

/** A free TCP port on `host` (port 0 must be known before listening: it is part of the issuer and the resource URI). */
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

const args = parseArgs(process.argv.slice(2), process.env)

/** Logs as logfmt lines on stderr. */
const StderrLogger = Logger.replace(Logger.defaultLogger, Logger.map(Logger.logfmtLogger, (line) => void process.stderr.write(`${line}\n`)))

/**
 * `OAUTH_ENCRYPTION_KEY`, or when it is unset or empty a random key for this
 * process (what it sealed cannot be opened after a restart: fine in memory).
 */
const encryptionKey = Effect.flatMap(
  Config.string("OAUTH_ENCRYPTION_KEY").pipe(Config.withDefault("")),
  (text): Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>, ConfigError.ConfigError> =>
    text === ""
      ? Effect.sync(() => {
        process.stderr.write(`${NAME}: OAUTH_ENCRYPTION_KEY is not set; using a random key for this process (development only)\n`)
        return [Redacted.make(randomBytes(32).toString("base64url"))]
      })
      : AuthorizationServer.encryptionKeyConfig()
)

/** The extra CA certificates for Client ID Metadata Document fetches. */
const readCa = (file: string | undefined) =>
  file === undefined ? Effect.succeed(undefined) : Effect.try({
    try: () => readFileSync(file, "utf8"),
    catch: (cause) => new Error(`cannot read --cimd-ca ${file}: ${cause instanceof Error ? cause.message : String(cause)}`)
  })

const banner = (endpoints: { readonly resource: string; readonly issuer: string; readonly upstream: string }): string =>
  [
    `${NAME} listening on ${endpoints.resource}`,
    `  authorization server (issuer): ${endpoints.issuer}`,
    `    metadata: ${endpoints.issuer}/.well-known/oauth-authorization-server`,
    `    registration: Client ID Metadata Documents${args.dcr ? `, dynamic registration at ${endpoints.issuer}/register` : " (dynamic registration off: --dcr)"}`,
    `  upstream OIDC provider: ${endpoints.upstream} (any password; development only)`,
    ...LocalUpstream.DEMO_ACCOUNTS.map((a) =>
      `    ${a.username}: ${a.groups.includes("editors") ? "group editors: scopes notes:read notes:write, role editor" : "scope notes:read"}`
    ),
    `    any other username: scope notes:read`,
    `  try: npx @modelcontextprotocol/inspector, transport Streamable HTTP, URL ${endpoints.resource}`,
    ""
  ].join("\n")

const serveHttp = Effect.gen(function*() {
  const port = args.port === 0 ? yield* Effect.promise(() => freePort(args.host)) : args.port
  const origin = args.publicUrl ?? `http://${args.host.includes(":") ? `[${args.host}]` : args.host}:${port}`
  const resource = `${origin}/mcp`
  const keys = yield* encryptionKey
  const ca = yield* readCa(args.cimdCa)
  const upstream = yield* LocalUpstream.start({ port: args.upstreamPort, redirectUri: `${origin}/callback/${UPSTREAM_NAME}` })

  const provider = Upstream.oidc({
    name: UPSTREAM_NAME,
    label: "Sign in with the local OIDC provider",
    issuer: upstream.issuer,
    clientId: upstream.clientId,
    clientSecret: upstream.clientSecret,
    scopes: ["openid", "profile", "email", "groups"],
    // The provider is on loopback http: development only.
    allowInsecureHttp: true,
    mapping: {
      roles: { claim: "groups", values: { editors: ["editor"] } },
      scopes: { claim: "groups", values: { editors: ["notes:read", "notes:write"] } },
      defaultScopes: ["notes:read"]
    }
  })

  const Oauth = AuthorizationServer.layer({
    issuer: origin,
    name: NAME,
    resources: [{ uri: resource, name: "emcee oauth example notes", scopes: SCOPES }],
    upstreams: [provider],
    clients: {
      metadataDocuments: {
        allowHttp: args.cimdAllowHttp,
        ...(args.cimdAllowHosts.length === 0 ? {} : { allowedHosts: args.cimdAllowHosts }),
        ...(ca === undefined ? {} : { ca })
      },
      dynamicRegistration: args.dcr ? {} : false
    },
    encryptionKey: keys,
    lifetimes: args.accessTokenTtl === undefined ? {} : { accessToken: args.accessTokenTtl },
    ...(args.refreshGrace === undefined ? {} : { refreshGrace: args.refreshGrace })
  }).pipe(Layer.provide(OAuthStore.memory))

  const serve = Effect.gen(function*() {
    const server = yield* AuthorizationServer.AuthorizationServer
    const guard = yield* BearerGuard.make(server.guardOptions(resource))
    // The authorization server's endpoints beside the operational routes (/health), on the MCP port.
    const app = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      server.handles(new URL(request.url, "http://localhost").pathname) ? server.app : HttpTransport.operationalRoutes)
    yield* HttpTransport.make({ port, host: args.host, path: new URL(resource).pathname, guard, app })
    yield* Effect.sync(() => process.stderr.write(banner({ resource, issuer: server.issuer, upstream: upstream.issuer })))
    return yield* Effect.never
  })
  return yield* serve.pipe(Effect.provide(makeApp({ resource, userinfoEndpoint: upstream.userinfoEndpoint }).pipe(Layer.provideMerge(Oauth))))
})

serveHttp.pipe(
  Effect.scoped,
  // A start-up failure the user can fix (a CA file that cannot be read, a port in use) is one line; anything else the whole cause.
  Effect.catchIf((error): error is Error => error instanceof Error && Startup.describeFailure(Cause.fail(error)) === undefined, (error) =>
    Effect.sync(() => {
      process.stderr.write(`${NAME}: ${error.message}\n`)
      process.exitCode = 1
    })),
  Effect.provide(StderrLogger),
  Startup.reportFatal(NAME),
  (effect) => NodeRuntime.runMain(effect, { disablePrettyLogger: true })
)
