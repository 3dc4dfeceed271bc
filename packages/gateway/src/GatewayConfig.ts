/**
 * A gateway's YAML (or JSON) configuration file, as `emcee gateway
 * gateway.yaml` reads it:
 *
 * ```yaml
 * name: team-gateway          # serverInfo.name (default emcee-gateway)
 * host: 127.0.0.1             # HTTP bind address (default 127.0.0.1)
 * port: 3000                  # default 3000; 0 picks a free one
 * path: /mcp                  # the MCP endpoint (default /mcp)
 * separator: _                # between a backend's prefix and its names
 * requestTimeout: 60s         # longest a forwarded request may take
 * withdrawAfter: 10s          # how long a backend may be down before its tools go
 * refreshInterval: 5m         # how often capabilities are listed again
 * breaker: { failureThreshold: 5, window: 1m, openFor: 30s }
 * backends:
 *   files:                    # the backend's name
 *     command: node           # stdio: a command the gateway starts …
 *     args: [files-server.js]
 *     env: { ROOT: /srv/files }
 *     cwd: ./files            # relative to the file
 *     prefix: fs              # default: the name; "" keeps its names unchanged
 *   search:
 *     url: https://search.internal/mcp   # … or Streamable HTTP
 *     headers: { X-Team: platform }
 *     bearerEnv: SEARCH_TOKEN            # its own token, read from this variable
 *     protocolVersion: auto              # auto, 2025-11-25 or 2026-07-28
 * ```
 *
 * Every problem is one line naming the file, the key and what is expected;
 * a key the schema does not know is an error.
 *
 * @since 0.4.0
 */
import { Startup } from "@emcee/transport"
import { Data, Duration, Either, ParseResult, Redacted, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as YAML from "yaml"
import * as Backend from "./Backend.js"
import { version as packageVersion } from "./internal/version.js"
import type * as Gateway from "./Gateway.js"

/** The `serverInfo.version` of a gateway whose file gives none: the version of @emcee/gateway (its package.json). */
export const defaultVersion: string = packageVersion

/** The file is missing, unreadable or invalid; `message` is one line. */
export class GatewayConfigError extends Data.TaggedError("GatewayConfigError")<{ readonly message: string }> {}

const DurationText = Schema.Union(Schema.String, Schema.Number).pipe(
  Schema.filter((value) => Startup.parseDuration(String(value)) !== undefined || `expected a duration such as 30s, 500ms or 2m, got ${JSON.stringify(value)}`)
)

const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

const BackendEntry = Schema.Struct({
  command: Schema.optional(Schema.NonEmptyString),
  args: Schema.optional(Schema.Array(Schema.String)),
  env: Schema.optional(StringMap),
  cwd: Schema.optional(Schema.String),
  url: Schema.optional(Schema.String.pipe(Schema.filter((url) => /^https?:\/\//i.test(url) && URL.canParse(url) || `expected an http(s) URL, got "${url}"`))),
  headers: Schema.optional(StringMap),
  bearerEnv: Schema.optional(Schema.NonEmptyString),
  prefix: Schema.optional(Schema.String),
  protocolVersion: Schema.optional(Schema.Literal("auto", "2025-11-25", "2026-07-28"))
}).pipe(Schema.filter((entry) =>
  (entry.command === undefined) === (entry.url === undefined) ? "give exactly one of command (stdio) and url (Streamable HTTP)" : undefined
))

/** The file's schema. */
export const File = Schema.Struct({
  name: Schema.optional(Schema.NonEmptyString),
  version: Schema.optional(Schema.NonEmptyString),
  host: Schema.optional(Schema.NonEmptyString),
  port: Schema.optional(Schema.Int.pipe(Schema.between(0, 65535))),
  path: Schema.optional(Schema.String.pipe(Schema.startsWith("/"))),
  separator: Schema.optional(Schema.String),
  maxNameLength: Schema.optional(Schema.Int.pipe(Schema.between(16, 128))),
  requestTimeout: Schema.optional(DurationText),
  withdrawAfter: Schema.optional(DurationText),
  refreshInterval: Schema.optional(DurationText),
  breaker: Schema.optional(Schema.Struct({
    failureThreshold: Schema.optional(Schema.Int.pipe(Schema.positive())),
    window: Schema.optional(DurationText),
    openFor: Schema.optional(DurationText),
    halfOpenCalls: Schema.optional(Schema.Int.pipe(Schema.positive()))
  })),
  backends: Schema.optional(Schema.Record({ key: Schema.String, value: BackendEntry }))
})

/** A configuration as read: where the server listens and the gateway's options. */
export interface Resolved {
  readonly name: string
  readonly version: string
  readonly host: string | undefined
  readonly port: number | undefined
  readonly path: string | undefined
  readonly options: Gateway.Options
}

const duration = (value: string | number | undefined): Duration.Duration | undefined =>
  value === undefined ? undefined : Startup.parseDuration(String(value))

/** One line for a schema failure: `gateway.yaml: backends.search.url: expected …`. */
const describe = (file: string, error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return `${file}: invalid`
  const at = issue.path.map(String).join(".")
  const message = issue._tag === "Unexpected" ? "is not a known key" : issue.message.replace(/\s+/g, " ")
  return `${file}: ${at === "" ? "" : `${at}: `}${message}`
}

/**
 * Reads a configuration from `text` (YAML or JSON); `file` names it in
 * messages and resolves relative `cwd`s; `env` gives `bearerEnv` values.
 */
export const parse = (
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env
): Either.Either<Resolved, GatewayConfigError> => {
  let raw: unknown
  try {
    raw = YAML.parse(text) ?? {}
  } catch (error) {
    const line = (error as { readonly linePos?: ReadonlyArray<{ readonly line: number; readonly col: number }> }).linePos?.[0]
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0]
    return Either.left(new GatewayConfigError({ message: `${file}${line === undefined ? "" : `:${line.line}:${line.col}`}: ${reason}` }))
  }
  const decoded = Schema.decodeUnknownEither(File, { onExcessProperty: "error", errors: "first" })(raw)
  if (Either.isLeft(decoded)) return Either.left(new GatewayConfigError({ message: describe(file, decoded.left) }))
  const config = decoded.right
  const backends: Array<Backend.Backend> = []
  for (const [name, entry] of Object.entries(config.backends ?? {})) {
    const problem = Backend.invalidName(name)
    if (problem !== undefined) return Either.left(new GatewayConfigError({ message: `${file}: backends.${name}: ${problem}` }))
    let bearer: Redacted.Redacted<string> | undefined
    if (entry.bearerEnv !== undefined) {
      const value = env[entry.bearerEnv]
      if (value === undefined || value === "") {
        return Either.left(new GatewayConfigError({ message: `${file}: backends.${name}.bearerEnv: the variable ${entry.bearerEnv} is not set; set it to the backend's token` }))
      }
      bearer = Redacted.make(value)
    }
    backends.push({
      name,
      endpoint: entry.url !== undefined
        ? { _tag: "Http", url: entry.url, ...(entry.headers === undefined ? {} : { headers: entry.headers }) }
        : {
          _tag: "Stdio",
          command: entry.command!,
          args: entry.args ?? [],
          ...(entry.env === undefined ? {} : { env: entry.env }),
          ...(entry.cwd === undefined ? {} : { cwd: path.resolve(path.dirname(file), entry.cwd) })
        },
      ...(entry.prefix === undefined ? {} : { prefix: entry.prefix }),
      ...(entry.protocolVersion === undefined ? {} : { protocolVersion: entry.protocolVersion }),
      ...(bearer === undefined ? {} : { bearer })
    })
  }
  const breaker = config.breaker
  const requestTimeout = duration(config.requestTimeout)
  const withdrawAfter = duration(config.withdrawAfter)
  const refreshInterval = duration(config.refreshInterval)
  return Either.right({
    name: config.name ?? "emcee-gateway",
    version: config.version ?? defaultVersion,
    host: config.host,
    port: config.port,
    path: config.path,
    options: {
      backends,
      ...(config.separator === undefined ? {} : { separator: config.separator }),
      ...(config.maxNameLength === undefined ? {} : { maxNameLength: config.maxNameLength }),
      ...(requestTimeout === undefined ? {} : { requestTimeout }),
      ...(withdrawAfter === undefined ? {} : { withdrawAfter }),
      ...(refreshInterval === undefined ? {} : { refreshInterval }),
      ...(breaker === undefined ? {} : {
        breaker: {
          ...(breaker.failureThreshold === undefined ? {} : { failureThreshold: breaker.failureThreshold }),
          ...(breaker.window === undefined ? {} : { window: duration(breaker.window)! }),
          ...(breaker.openFor === undefined ? {} : { openFor: duration(breaker.openFor)! }),
          ...(breaker.halfOpenCalls === undefined ? {} : { halfOpenCalls: breaker.halfOpenCalls })
        }
      })
    }
  })
}

/** Reads the configuration file `file` (see `parse`). */
export const load = (file: string, env?: Readonly<Record<string, string | undefined>>): Either.Either<Resolved, GatewayConfigError> => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (error) {
    const code = (error as { readonly code?: unknown }).code
    return Either.left(
      new GatewayConfigError({ message: code === "ENOENT" ? `${file} does not exist: give a gateway configuration file` : `cannot read ${file}: ${String(code ?? error)}` })
    )
  }
  return parse(text, file, env)
}
