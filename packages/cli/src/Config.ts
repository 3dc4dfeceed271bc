/**
 * The configuration of `emcee serve` (and `emcee dev`): ONE schema read
 * through Effect `Config`, from these sources, the first that has a key
 * winning:
 *
 * 1. flags (`--http`, `--transport`, `--host`, `--port`, `--shutdown-timeout`,
 *    and `--set key=value` for any key);
 * 2. `EMCEE_*` environment variables: the key in constant case under `EMCEE`
 *    (`middleware.rateLimit.perSecond` is `EMCEE_MIDDLEWARE_RATE_LIMIT_PER_SECOND`;
 *    `port` and `host` also read `HTTP_PORT` and `HTTP_HOST`);
 * 3. `.env` in the served folder (the same variable names; it never
 *    overrides a variable already in the environment);
 * 4. `emcee.config.yaml` (or `.yml`, `.json`) in the served folder, keys as
 *    below, nested (`middleware: { timeout: 30s }`); a key the schema does
 *    not know is an error, so typos do not pass silently;
 * 5. defaults (the server's name and version from the folder's
 *    `package.json`, else the folder's name and `0.0.0`).
 *
 * A value that is present but invalid is an error naming the key, where it
 * came from and what is expected; it never falls back to a lower source.
 * `emcee config` prints the resolved configuration with the source of each
 * value, secrets shown as `<redacted>`.
 *
 * | key | what | default |
 * |---|---|---|
 * | `server.name` | `serverInfo.name` of a folder server | package.json `name`, else the folder name |
 * | `server.version` | `serverInfo.version` | package.json `version`, else `0.0.0` |
 * | `server.title` | `serverInfo.title` | none |
 * | `server.instructions` | guidance for the model, sent in the initialize result | none |
 * | `transport` | `stdio` or `http` (Streamable HTTP, both protocol revisions) | `stdio` |
 * | `host` | HTTP bind address | `127.0.0.1` |
 * | `port` | HTTP port (0 picks a free one) | `3000` |
 * | `path` | the MCP endpoint path | `/mcp` |
 * | `logLevel` | `trace`, `debug`, `info`, `warning`, `error`, `fatal`, `none` | `info` |
 * | `shutdownTimeout` | how long requests in flight may run once shutdown begins (`10s`, `500ms`, `2m`) | `10s` |
 * | `middleware.logging` | log every request with its outcome and duration (`Middleware.logging`) | `false` |
 * | `middleware.timeout` | answer an error when a handler runs longer (`Middleware.timeout`) | none |
 * | `middleware.rateLimit.perSecond` | requests per second per caller (`RateLimit.tokenBucket`) | none |
 * | `middleware.rateLimit.burst` | requests at once after a quiet spell | `perSecond` |
 * | `auth.resource` | the canonical URI of this server, for the RFC 9728 metadata (`BearerGuard`) | none |
 * | `auth.tokenVariable` | over stdio, the variable holding the caller's credential | `MCP_TOKEN` |
 * | `auth.jwt.issuer` | trusted token issuer (`Jwt.make`) | none |
 * | `auth.jwt.audience` | this server's identifier(s) in `aud`, comma-separated or a YAML list | none |
 * | `auth.jwt.jwksUrl` | the issuer's JSON Web Key Set URL | none |
 * | `auth.jwt.secret` | a shared HMAC secret instead of `jwksUrl` (secret) | none |
 * | `auth.apiKeys.file` | a YAML or JSON file of API key digests (`ApiKeys.fromFile`) | none |
 * | `auth.apiKeys.keys` | API keys inline, `key:subject[:scopes]` separated by commas (secret; `ApiKeys.fromConfig`) | none |
 * | `plugins` | plugin modules to load besides the folder's `plugins/` (`Plugins`): paths relative to the folder or package names, comma-separated or a YAML list | none |
 *
 * @since 0.3.0
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Startup } from "@emcee/transport"
import { Config, ConfigError, Console, Duration, Effect, Either, HashMap, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CliError from "./CliError.js"
import * as Sources from "./internal/configSources.js"

/** One key of the schema, as documented above. */
export interface Field {
  /** The key in the YAML file and in `--set` (dot-separated). */
  readonly key: string
  readonly description: string
  /** The default, as text (what `emcee config` shows). */
  readonly default?: string
  /** Held as `Redacted` and shown as `<redacted>`. */
  readonly secret?: boolean
}

/** Every key of the schema, in the order `emcee config` prints them. */
export const fields: ReadonlyArray<Field> = [
  { key: "server.name", description: "serverInfo.name of a folder server" },
  { key: "server.version", description: "serverInfo.version of a folder server" },
  { key: "server.title", description: "serverInfo.title" },
  { key: "server.instructions", description: "guidance for the model, sent in the initialize result" },
  { key: "transport", description: "stdio or http", default: "stdio" },
  { key: "host", description: "HTTP bind address", default: "127.0.0.1" },
  { key: "port", description: "HTTP port", default: "3000" },
  { key: "path", description: "the MCP endpoint path", default: "/mcp" },
  { key: "logLevel", description: "trace, debug, info, warning, error, fatal or none", default: "info" },
  { key: "shutdownTimeout", description: "how long requests in flight may run once shutdown begins", default: "10s" },
  { key: "middleware.logging", description: "log every request", default: "false" },
  { key: "middleware.timeout", description: "longest a handler may run" },
  { key: "middleware.rateLimit.perSecond", description: "requests per second per caller" },
  { key: "middleware.rateLimit.burst", description: "requests at once after a quiet spell" },
  { key: "auth.resource", description: "canonical URI of this server (RFC 9728 metadata)" },
  { key: "auth.tokenVariable", description: "over stdio, the variable holding the credential", default: "MCP_TOKEN" },
  { key: "auth.jwt.issuer", description: "trusted token issuer" },
  { key: "auth.jwt.audience", description: "this server's identifier(s) in aud" },
  { key: "auth.jwt.jwksUrl", description: "the issuer's JSON Web Key Set URL" },
  { key: "auth.jwt.secret", description: "shared HMAC secret", secret: true },
  { key: "auth.apiKeys.file", description: "file of API key digests" },
  { key: "auth.apiKeys.keys", description: "API keys inline", secret: true },
  { key: "plugins", description: "plugin modules besides plugins/: paths relative to the folder, or package names" }
]

/** The keys of the schema. */
export const keys: ReadonlyArray<string> = fields.map((field) => field.key)

/** The log levels `logLevel` accepts. */
export const logLevels = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] as const

/** The resolved configuration; its shape follows the keys. */
export interface EmceeConfig {
  readonly server: {
    readonly name: string
    readonly version: string
    readonly title: string | undefined
    readonly instructions: string | undefined
  }
  readonly transport: "stdio" | "http"
  readonly host: string
  readonly port: number
  readonly path: string
  readonly logLevel: (typeof logLevels)[number]
  readonly shutdownTimeout: Duration.Duration
  readonly middleware: {
    readonly logging: boolean
    readonly timeout: Duration.Duration | undefined
    readonly rateLimit: { readonly perSecond: number; readonly burst: number | undefined } | undefined
  }
  readonly auth: {
    readonly resource: string | undefined
    readonly tokenVariable: string
    readonly jwt: {
      readonly issuer: string
      readonly audience: ReadonlyArray<string>
      readonly jwksUrl: string | undefined
      readonly secret: Redacted.Redacted<string> | undefined
    } | undefined
    readonly apiKeys: { readonly file: string | undefined; readonly keys: Redacted.Redacted<string> | undefined } | undefined
  }
  /** Plugin modules besides the folder's `plugins/`. */
  readonly plugins: ReadonlyArray<string>
}

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> => Config.map(Config.option(config), Option.getOrUndefined)

const invalid = (message: string, at: ReadonlyArray<string> = []) => Either.left(ConfigError.InvalidData([...at], message))

const duration = (name: string): Config.Config<Duration.Duration> =>
  Config.mapOrFail(Config.string(name), (text) => {
    const value = Startup.parseDuration(text)
    return value === undefined ? invalid(`expected a duration such as 30s, 500ms, 2m or a number of seconds, got "${text}"`) : Either.right(value)
  })

const number = (name: string, check: (n: number) => boolean, expected: string): Config.Config<number> =>
  Config.mapOrFail(Config.string(name), (text) => {
    const value = text.trim() === "" ? Number.NaN : Number(text)
    return Number.isFinite(value) && check(value) ? Either.right(value) : invalid(`expected ${expected}, got "${text}"`)
  })

const choice = <const C extends ReadonlyArray<string>>(name: string, choices: C): Config.Config<C[number]> =>
  Config.mapOrFail(Config.string(name), (text) => {
    const value = text.trim().toLowerCase()
    return (choices as ReadonlyArray<string>).includes(value) ? Either.right(value as C[number]) : invalid(`expected one of ${choices.join(", ")}, got "${text}"`)
  })

const boolean = (name: string): Config.Config<boolean> =>
  Config.mapOrFail(Config.string(name), (text) => {
    const value = text.trim().toLowerCase()
    return ["true", "yes", "on", "1"].includes(value)
      ? Either.right(true)
      : ["false", "no", "off", "0"].includes(value)
      ? Either.right(false)
      : invalid(`expected true or false, got "${text}"`)
  })

const list = (text: string): Array<string> => text.split(/[\s,]+/).filter((item) => item.length > 0)

const url = (name: string): Config.Config<string> =>
  Config.mapOrFail(Config.string(name), (text) => (URL.canParse(text) ? Either.right(text) : invalid(`expected an absolute URL, got "${text}"`)))

const server = Config.nested(
  Config.all({
    name: Config.nonEmptyString("name"),
    version: Config.nonEmptyString("version"),
    title: optional(Config.string("title")),
    instructions: optional(Config.string("instructions"))
  }),
  "server"
)

const rateLimit = Config.nested(
  Config.all({ perSecond: optional(number("perSecond", (n) => n > 0, "a positive number")), burst: optional(number("burst", (n) => Number.isInteger(n) && n >= 1, "a positive integer")) }),
  "rateLimit"
).pipe(Config.mapOrFail(({ burst, perSecond }) =>
  perSecond === undefined
    ? burst === undefined ? Either.right(undefined) : invalid("is required when middleware.rateLimit.burst is set", ["perSecond"])
    : Either.right({ perSecond, burst })
))

const jwt = Config.nested(
  Config.all({
    issuer: optional(Config.nonEmptyString("issuer")),
    audience: optional(Config.map(Config.string("audience"), list)),
    jwksUrl: optional(url("jwksUrl")),
    secret: optional(Config.redacted("secret"))
  }),
  "jwt"
).pipe(Config.mapOrFail((j) => {
  const given = j.issuer !== undefined || j.audience !== undefined || j.jwksUrl !== undefined || j.secret !== undefined
  if (!given) return Either.right(undefined)
  if (j.issuer === undefined) return invalid("is required when auth.jwt is configured (the trusted token issuer)", ["issuer"])
  if (j.audience === undefined || j.audience.length === 0) return invalid("is required when auth.jwt is configured (this server's identifier in aud)", ["audience"])
  if ((j.jwksUrl === undefined) === (j.secret === undefined)) return invalid("give exactly one of auth.jwt.jwksUrl and auth.jwt.secret", ["jwksUrl"])
  return Either.right({ issuer: j.issuer, audience: j.audience, jwksUrl: j.jwksUrl, secret: j.secret })
}))

const apiKeys = Config.nested(Config.all({ file: optional(Config.nonEmptyString("file")), keys: optional(Config.redacted("keys")) }), "apiKeys").pipe(
  Config.map((a) => (a.file === undefined && a.keys === undefined ? undefined : a))
)

/** The schema: every key above, read through whatever `ConfigProvider` is current. */
export const schema: Config.Config<EmceeConfig> = Config.all({
  server,
  transport: choice("transport", ["stdio", "http"] as const),
  host: Config.nonEmptyString("host"),
  port: number("port", (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "a port number from 0 to 65535"),
  path: Config.mapOrFail(Config.string("path"), (text) => (text.startsWith("/") ? Either.right(text) : invalid(`expected a path starting with /, got "${text}"`))),
  logLevel: choice("logLevel", logLevels),
  shutdownTimeout: duration("shutdownTimeout"),
  middleware: Config.nested(Config.all({ logging: boolean("logging"), timeout: optional(duration("timeout")), rateLimit }), "middleware"),
  auth: Config.nested(
    Config.all({ resource: optional(url("resource")), tokenVariable: Config.nonEmptyString("tokenVariable"), jwt, apiKeys }),
    "auth"
  ),
  plugins: Config.map(optional(Config.string("plugins")), (text) => (text === undefined ? [] : list(text)))
})

/** What the command line said, before the other sources. */
export interface Flags {
  readonly transport?: "stdio" | "http" | undefined
  /** `--http`: the same as `--transport http`. */
  readonly http?: boolean | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly shutdownTimeout?: string | undefined
  /** `--set key=value`, any key. */
  readonly set?: Readonly<Record<string, string>> | undefined
}

/** Where a configuration is read from. */
export interface LoadOptions {
  /** The folder whose `.env` and `emcee.config.*` are read, and whose package.json gives the server's name. */
  readonly dir: string
  readonly flags?: Flags
  /** The environment; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** The subcommand, for error messages; default `serve`. */
  readonly command?: string
}

/** A resolved configuration and how it was resolved. */
export interface Loaded {
  readonly config: EmceeConfig
  /** For each key read: the text and where it came from. */
  readonly sources: ReadonlyMap<string, { readonly origin: string; readonly raw: string }>
  /** The variables of `.env` (all of them, for `applyDotEnv`). */
  readonly dotEnv: Readonly<Record<string, string>>
}

/** The server's name and version by default: the folder's package.json, else its name and 0.0.0. */
const serverDefaults = (dir: string): Array<readonly [string, string, string]> => {
  const file = path.join(dir, "package.json")
  let pkg: { readonly name?: unknown; readonly version?: unknown } = {}
  try {
    pkg = JSON.parse(fs.readFileSync(file, "utf8")) as typeof pkg
  } catch {
    // No (readable) package.json: the folder's name.
  }
  const name = typeof pkg.name === "string" && pkg.name !== "" ? [pkg.name, `${Sources.display(file)} name`] as const : [path.basename(path.resolve(dir)), "the folder's name"] as const
  const version = typeof pkg.version === "string" && pkg.version !== "" ? [pkg.version, `${Sources.display(file)} version`] as const : ["0.0.0", "default"] as const
  return [["server.name", ...name], ["server.version", ...version]]
}

const flagSource = (flags: Flags, command: string): Sources.Source => {
  const values = new Map<string, string>()
  const origins = new Map<string, string>()
  for (const [key, value] of Object.entries(flags.set ?? {})) {
    if (!keys.includes(key)) throw CliError.user(command, `--set ${key}: unknown key${Sources.suggestion(key, keys)}; run \`emcee config --help\` for the keys`)
    values.set(key, value)
    origins.set(key, `--set ${key}`)
  }
  const flag = (key: string, value: string | undefined, name: string) => {
    if (value === undefined) return
    values.set(key, value)
    origins.set(key, name)
  }
  flag("transport", flags.transport, "--transport")
  if (flags.http === true) flag("transport", "http", "--http")
  flag("host", flags.host, "--host")
  flag("port", flags.port === undefined ? undefined : String(flags.port), "--port")
  flag("shutdownTimeout", flags.shutdownTimeout, "--shutdown-timeout")
  return Sources.fromValues("flags", values, (key) => origins.get(key) ?? "flags")
}

/** The key of the schema a config error's path names (the longest known prefix). */
const keyOf = (errorPath: ReadonlyArray<string>): string => {
  const joined = errorPath.join(".")
  return [...keys].sort((a, b) => b.length - a.length).find((key) => joined === key || joined.startsWith(`${key}.`)) ?? joined
}

/** The first problem of a config error (an invalid value before a missing one). */
const firstProblem = (error: ConfigError.ConfigError): { readonly path: ReadonlyArray<string>; readonly message: string; readonly missing: boolean } => {
  const all: Array<{ path: ReadonlyArray<string>; message: string; missing: boolean }> = []
  const walk = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "And":
      case "Or":
        walk(e.left)
        walk(e.right)
        return
      case "MissingData":
        all.push({ path: e.path, message: e.message, missing: true })
        return
      default:
        all.push({ path: e.path, message: e.message, missing: false })
    }
  }
  walk(error)
  return all.find((p) => !p.missing) ?? all[0] ?? { path: [], message: String(error), missing: true }
}

/** One line for a config error: the key, its value and where it came from, what is expected. */
const describeError = (error: ConfigError.ConfigError, used: Loaded["sources"]): string => {
  const problem = firstProblem(error)
  const key = keyOf(problem.path)
  const from = used.get(key)
  const secret = fields.find((field) => field.key === key)?.secret === true
  const value = from === undefined ? "" : ` = ${secret ? "<redacted>" : JSON.stringify(from.raw)}`
  const where = from === undefined ? "" : ` (from ${from.origin})`
  const message = problem.message.replace(/^Expected .* to be set$/, "is required")
  return `invalid configuration: ${key}${value}${where}: ${message}`
}

/**
 * Reads the configuration of `options.dir` through one `ConfigProvider`
 * chain (flags > `EMCEE_*` environment > `.env` > `emcee.config.*` >
 * defaults). Fails with a one-line `CliError` (exit 1) naming the key,
 * where its value came from and what is expected, or the file, line and
 * key of a configuration file that cannot be used.
 */
export const load = (options: LoadOptions): Effect.Effect<Loaded, CliError.CliError> =>
  Effect.suspend(() => {
    const command = options.command ?? "serve"
    const trace: Sources.Trace = { used: new Map() }
    let sources: Array<Sources.Source>
    let dotEnv: Readonly<Record<string, string>> = {}
    try {
      const dot = Sources.fromDotEnv(options.dir, keys)
      dotEnv = dot?.variables ?? {}
      const file = Sources.fromConfigFile(options.dir, keys)
      const defaults = new Map<string, readonly [string, string]>([
        ...fields.flatMap((field) => (field.default === undefined ? [] : [[field.key, [field.default, "default"] as const] as const])),
        ...serverDefaults(options.dir).map(([key, value, origin]) => [key, [value, origin] as const] as const)
      ])
      sources = [
        flagSource(options.flags ?? {}, command),
        Sources.fromEnvironment(keys, options.env ?? process.env),
        ...(dot === undefined ? [] : [dot.source]),
        ...(file === undefined ? [] : [file]),
        Sources.fromValues("defaults", new Map([...defaults].map(([key, [value]]) => [key, value])), (key) => defaults.get(key)?.[1] ?? "default")
      ]
    } catch (error) {
      if (error instanceof CliError.CliError) return Effect.fail(error)
      if (error instanceof Sources.SourceError) return Effect.fail(CliError.user(command, error.message, error))
      return Effect.die(error)
    }
    return Effect.withConfigProvider(schema, Sources.chain(sources, trace)).pipe(
      Effect.mapError((error) => CliError.user(command, describeError(error, trace.used), error)),
      Effect.map((config): Loaded => ({ config, sources: trace.used, dotEnv }))
    )
  })

/**
 * Puts the variables of `.env` into `process.env`, never overriding one
 * already set (the real environment wins), so the tools' own `Config`
 * reads see them.
 */
export const applyDotEnv = (variables: Readonly<Record<string, string>>): void => {
  for (const [name, value] of Object.entries(variables)) {
    if (process.env[name] === undefined) process.env[name] = value
  }
}

/** A resolved value as shown to people and scripts: durations as text, secrets as `<redacted>`. */
const show = (value: unknown): unknown =>
  value === undefined
    ? undefined
    : Redacted.isRedacted(value)
    ? "<redacted>"
    : Duration.isDuration(value)
    ? Duration.format(value)
    : Array.isArray(value)
    ? value.map(show)
    : value

const valueAt = (config: EmceeConfig, key: string): unknown =>
  key.split(".").reduce<unknown>((node, segment) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[segment] : undefined), config)

/** One row of `emcee config`. */
export interface Row {
  readonly key: string
  /** The value as JSON can hold it; `<redacted>` for secrets; undefined when unset. */
  readonly value: unknown
  /** Where it came from; undefined when unset. */
  readonly source: string | undefined
}

/** The resolved configuration, key by key, with where each value came from; secrets redacted. */
export const describe = (loaded: Loaded): ReadonlyArray<Row> =>
  fields.map((field) => {
    const used = loaded.sources.get(field.key)
    const value = field.secret === true && used !== undefined ? "<redacted>" : show(valueAt(loaded.config, field.key))
    return { key: field.key, value, source: value === undefined ? undefined : used?.origin }
  })

/** The rows as aligned text: `key  value  (source)`. */
export const formatTable = (rows: ReadonlyArray<Row>): string => {
  const text = (value: unknown) => (value === undefined ? "-" : typeof value === "string" ? value : JSON.stringify(value))
  const keyWidth = Math.max(...rows.map((row) => row.key.length))
  const valueWidth = Math.min(48, Math.max(...rows.map((row) => text(row.value).length)))
  return rows
    .map((row) => `${row.key.padEnd(keyWidth)}  ${text(row.value).padEnd(valueWidth)}  ${row.source === undefined ? "" : `(${row.source})`}`.trimEnd())
    .join("\n")
}

/** The rows as JSON: `{ config: { nested values }, sources: { key: source } }`. */
export const formatJson = (rows: ReadonlyArray<Row>): string => {
  const config: Record<string, unknown> = {}
  const sources: Record<string, string> = {}
  for (const row of rows) {
    if (row.value === undefined) continue
    const segments = row.key.split(".")
    let node = config
    for (const segment of segments.slice(0, -1)) node = (node[segment] ??= {}) as Record<string, unknown>
    node[segments[segments.length - 1]!] = row.value
    if (row.source !== undefined) sources[row.key] = row.source
  }
  return JSON.stringify({ config, sources }, null, 2)
}

// --- Flags shared by `serve`, `dev` and `config` -------------------------------

/** `--transport stdio|http` (`-t`). */
export const transportFlag = Options.choice("transport", ["stdio", "http"]).pipe(
  Options.withAlias("t"),
  Options.withDescription("stdio for desktop clients, http for Streamable HTTP (config key transport; default stdio)"),
  Options.optional
)
/** `--http`: serve Streamable HTTP. */
export const httpFlag = Options.boolean("http").pipe(Options.withDescription("Serve Streamable HTTP (the same as --transport http)"))
/** `--port` (`-p`). */
export const portFlag = Options.integer("port").pipe(
  Options.withAlias("p"),
  Options.withDescription("HTTP port (config key port; EMCEE_PORT or HTTP_PORT; default 3000)"),
  Options.optional
)
/** `--host`. */
export const hostFlag = Options.text("host").pipe(
  Options.withDescription("HTTP bind address (config key host; EMCEE_HOST or HTTP_HOST; default 127.0.0.1)"),
  Options.optional
)
/** `--shutdown-timeout`, checked to be a duration. */
export const shutdownTimeoutFlag = Options.text("shutdown-timeout").pipe(
  Options.withPseudoName("duration"),
  Options.withDescription(
    "How long requests in flight may run once shutdown begins (SIGTERM, SIGINT, stdin closing) before they are cancelled and answered with an error: 5s, 500ms, 2m or a number of seconds; default 10s"
  ),
  Options.mapEffect((text) =>
    Startup.parseDuration(text) === undefined
      ? Effect.fail(
        ValidationError.invalidValue(
          HelpDoc.p(`Invalid value for --shutdown-timeout: "${text}" is not a duration (use e.g. 5s, 500ms, 2m or a number of seconds)`)
        )
      )
      : Effect.succeed(text)
  ),
  Options.optional
)
/** `--set key=value`, repeatable, for any key. */
export const setFlag = Options.keyValueMap("set").pipe(
  Options.withDescription("Set any configuration key, e.g. --set middleware.timeout=30s (repeatable; wins over every other source)"),
  Options.optional
)

/** The configuration flags, as one record of Options. */
export const flagOptions = {
  transport: transportFlag,
  http: httpFlag,
  port: portFlag,
  host: hostFlag,
  shutdownTimeout: shutdownTimeoutFlag,
  set: setFlag
}

/** The parsed configuration flags as `Flags`. */
export const toFlags = (parsed: {
  readonly transport: Option.Option<"stdio" | "http">
  readonly http: boolean
  readonly port: Option.Option<number>
  readonly host: Option.Option<string>
  readonly shutdownTimeout: Option.Option<string>
  readonly set: Option.Option<HashMap.HashMap<string, string>>
}): Flags => ({
  transport: Option.getOrUndefined(parsed.transport),
  http: parsed.http,
  port: Option.getOrUndefined(parsed.port),
  host: Option.getOrUndefined(parsed.host),
  shutdownTimeout: Option.getOrUndefined(parsed.shutdownTimeout),
  set: Option.match(parsed.set, { onNone: () => undefined, onSome: (map) => Object.fromEntries(HashMap.toEntries(map)) })
})

/** The folder a path's configuration is read from: the path when it is a folder, else the module's folder. */
export const configDir = (target: string): string => {
  try {
    return fs.statSync(target).isDirectory() ? target : path.dirname(target)
  } catch {
    return path.dirname(target)
  }
}

const target = Args.path({ name: "path" }).pipe(
  Args.withDescription("The folder served (or an app module; its folder is used); default the current directory"),
  Args.withDefault(".")
)
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON: { config, sources }"))

/** `emcee config [path]`: prints the resolved configuration, each value with its source, secrets redacted. */
export const command = Command.make("config", { target, json, ...flagOptions }, (args) =>
  Effect.gen(function*() {
    const loaded = yield* load({ dir: configDir(args.target), flags: toFlags(args), command: "config" })
    const rows = describe(loaded)
    yield* Console.log(args.json ? formatJson(rows) : formatTable(rows))
  })).pipe(Command.withDescription(HelpDoc.blocks([
    HelpDoc.p("Print the configuration `emcee serve` would use, each value with its source (flag, EMCEE_* variable, .env, emcee.config.yaml line, default); secrets are shown as <redacted>. Precedence: flags > EMCEE_* environment > .env > emcee.config.yaml > defaults."),
    HelpDoc.p(`Keys: ${keys.join(", ")}.`),
    HelpDoc.p("Examples:"),
    HelpDoc.p("  emcee config                       # the current directory"),
    HelpDoc.p("  emcee config ./my-server --json    # for scripts"),
    HelpDoc.p("  EMCEE_PORT=8080 emcee config --http --set middleware.timeout=30s")
  ])))
