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
 * its audit log (`AuditTrail`). Both live in PostgreSQL with
 * `--database-url` (or `EMCEE_GATEWAY_DATABASE_URL`; replicas on one
 * database share them), else in memory. With `--admin-token` (or
 * `EMCEE_GATEWAY_ADMIN_TOKEN`) the admin REST API (`/admin/v1`, its OpenAPI
 * document at `/admin/v1/openapi.json`) and the official registry read API
 * (`/v0.1/servers`) are served beside `/mcp`.
 *
 * @since 0.4.0
 */
import { Args, Command, HelpDoc, Options } from "@effect/cli"
import { Health, McpServer } from "@emcee/core"
import { HttpTransport, StdioTransport } from "@emcee/transport"
import { PgClient } from "@effect/sql-pg"
import { Console, Effect, Either, Layer, Option, Redacted } from "effect"
import * as CliError from "./CliError.js"

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
  Options.withDescription("PostgreSQL for the registry and the audit log (default: EMCEE_GATEWAY_DATABASE_URL, else in memory)"),
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
  readonly adminToken: Option.Option<Redacted.Redacted<string>>
  readonly publicUrl: Option.Option<string>
}

const fromEnv = (name: string): Option.Option<Redacted.Redacted<string>> => {
  const value = process.env[name]
  return value === undefined || value === "" ? Option.none() : Option.some(Redacted.make(value))
}

/** Runs the gateway the flags describe until a signal arrives (HTTP) or stdin closes (stdio). */
export const run = (flags: Flags): Effect.Effect<void, CliError.CliError> =>
  Effect.gen(function*() {
    const { AdminApi, AuditLog, AuditTrail, Backend, Gateway, GatewayConfig, Registry, RegistrySync } = yield* Effect.promise(() =>
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
    const database = Option.orElse(flags.databaseUrl, () => fromEnv("EMCEE_GATEWAY_DATABASE_URL"))
    const token = Option.orElse(flags.adminToken, () => fromEnv("EMCEE_GATEWAY_ADMIN_TOKEN"))
    if (backends.size === 0 && Option.isNone(database)) {
      return yield* fail("no backends: give --backend NAME=URL-or-command, a configuration file with backends, or --database-url with a registry")
    }
    const options = { ...resolved?.options, backends: [...backends.values()] }
    const server = McpServer.layer({
      name: resolved?.name ?? "emcee-gateway",
      version: resolved?.version ?? GatewayConfig.defaultVersion,
      // Any kind may appear or go while clients are connected (spec basic/lifecycle "Capability Negotiation").
      capabilities: { tools: true, prompts: true, resources: true }
    } as McpServer.Options)
    const stores = Option.match(database, {
      onNone: () => Layer.merge(Registry.memory, AuditLog.memory()),
      onSome: (url) => {
        const pg = PgClient.layer({ url })
        return Layer.merge(Registry.postgres, AuditLog.postgres()).pipe(Layer.provide(pg))
      }
    })
    const app = Layer.mergeAll(Gateway.healthCheck(), RegistrySync.layer, AuditTrail.layer).pipe(
      Layer.provideMerge(Gateway.layer(options)),
      Layer.provideMerge(Layer.mergeAll(server, Health.layer, stores))
    )
    // Each backend is tried once before clients are served, so the first tools/list is whole (bounded: a slow one joins later).
    const settled = Effect.asVoid(Gateway.awaitSettled({ timeout: "15 seconds" }))
    if (flags.stdio) {
      return yield* settled.pipe(Effect.zipRight(StdioTransport.run()), Effect.provide(app), Effect.orDie)
    }
    return yield* Effect.gen(function*() {
      yield* settled
      const admin = Option.isNone(token) ? undefined : yield* AdminApi.app({
        adminToken: token.value,
        ...(Option.isNone(flags.publicUrl) ? {} : { publicUrl: flags.publicUrl.value })
      })
      const running = yield* HttpTransport.make({
        port: Option.getOrElse(flags.port, () => resolved?.port ?? 3000),
        host: Option.getOrElse(flags.host, () => resolved?.host ?? "127.0.0.1"),
        ...(resolved?.path === undefined ? {} : { path: resolved.path }),
        // Paths the admin API does not serve fall through to /health, /health/ready and /metrics.
        ...(admin === undefined ? {} : { app: Effect.catchTag(admin, "RouteNotFound", () => HttpTransport.operationalRoutes) })
      })
      yield* Console.error(`emcee gateway: ${backends.size} backend${backends.size === 1 ? "" : "s"} (${[...backends.keys()].join(", ")}) on ${running.url}`)
      return yield* Effect.never
    }).pipe(
      Effect.scoped,
      Effect.provide(app),
      Effect.catchAll((error) => fail("message" in error ? error.message : String(error)))
    )
  })

/** The `gateway` command. */
export const command = Command.make("gateway", { config, backend, prefix, host, port, stdio, databaseUrl, adminToken, publicUrl }, run).pipe(
  Command.withDescription(HelpDoc.blocks([
    HelpDoc.p("Serve many MCP servers behind one endpoint: each backend's tools and prompts under its prefix, calls forwarded with progress, cancellation and sampling/elicitation relayed; backends reconnected with backoff and withdrawn while down."),
    HelpDoc.p("Examples:"),
    HelpDoc.p("  emcee gateway --backend files=\"node files-server.js\" --backend search=https://search.internal/mcp"),
    HelpDoc.p("  emcee gateway gateway.yaml --port 8080"),
    HelpDoc.p("  emcee gateway --backend docs=http://127.0.0.1:3001/mcp --prefix docs=   # docs' names unchanged"),
    HelpDoc.p("  emcee gateway --stdio --backend a=\"node a.js\" --backend b=\"node b.js\""),
    HelpDoc.p("  emcee gateway --database-url postgres://gw@db/gateway --admin-token $TOKEN   # backends from the registry, admin API on")
  ]))
)
