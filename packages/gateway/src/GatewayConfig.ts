/**
 * A gateway's YAML (or JSON) configuration file, as `emcee gateway
 * gateway.yaml` reads it:
 *
 * ```yaml
 * name: team-gateway          # serverInfo.name (default emcee-gateway)
 * host: 127.0.0.1             # HTTP bind address (default 127.0.0.1)
 * port: 3000                  # default 3000; 0 picks a free one
 * path: /mcp                  # the MCP endpoint (default /mcp)
 * maxRequestBytes: 4194304    # largest request body the endpoint takes (default 4 MiB; larger: 413)
 * maxResponseBytes: 16777216  # largest answer taken from a backend (default 16 MiB; larger: -32003)
 * shutdownTimeout: 10s        # how long requests in flight may run once shutdown begins
 * separator: _                # between a backend's prefix and its names
 * requestTimeout: 60s         # longest a forwarded request may take
 * withdrawAfter: 10s          # how long a backend may be down before its tools go
 * refreshInterval: 5m         # how often capabilities are listed again
 * probeInterval: 15s          # ping every backend connection this often (default: off)
 * probeTimeout: 5s            # a probe not answered within this marks the connection broken
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
 *     tenant: acme                       # only acme's callers see it (default: shared)
 *     sessions: perPrincipal             # an upstream session per caller (default: shared)
 *     sessionIdleTimeout: 5m             # closed after this long unused
 *   inventory:
 *     clientCredentials:                 # OAuth client credentials of its own (RFC 6749 §4.4)
 *       issuer: https://auth.internal/   # or tokenUrl: https://auth.internal/token
 *       clientId: gateway
 *       clientSecretEnv: INVENTORY_SECRET
 *       scope: mcp:tools
 *     instances:                         # replicas of one server; the gateway balances them
 *       - { id: east, url: https://east.internal/mcp, weight: 2 }
 *       - { id: west, url: https://west.internal/mcp }
 *     balancing: { strategy: weighted }  # round-robin (default), weighted, least-connections,
 *                                        # random, consistent-hash (hashKey: principal or
 *                                        # { argument: NAME }); affinity: true keeps sessions
 * auth:                       # authenticate every call (the keys of `emcee serve`'s auth)
 *   resource: https://gw.example.com/mcp   # canonical URI, for the RFC 9728 metadata
 *   tokenVariable: MCP_TOKEN  # over stdio, the variable holding the caller's credential
 *   jwt:
 *     issuer: https://auth.example.com/
 *     audience: https://gw.example.com/mcp # or a list
 *     jwksUrl: https://auth.example.com/.well-known/jwks.json   # or secret: <HMAC secret>
 *     claims: { tenant: org_id, roles: roles }   # Jwt's claim mapping (subject, tenant, roles, scopes)
 *   apiKeys:
 *     file: keys.yaml         # ApiKeys.fromFile (entries may carry tenant and roles), relative to this file
 *     keys: "k1:alice"        # or inline, key:subject[:scopes] separated by commas
 * rbac: rbac.yaml             # a Rbac policy (file relative to this one, or inline roles: …)
 * rateLimits:                 # token buckets over every backend (Policy)
 *   perTenant: { rate: 100, per: 1s, burst: 200 }
 *   perPrincipal: { rate: 10, burst: 20 }
 * ```
 *
 * `auth`, `rbac`, `rateLimits` and each backend's `tenant` make the
 * gateway's `Policy`: tenant isolation, RBAC on every backend primitive
 * (`gateway:<backend>:<tools|prompts|resources>:<name>`), fair rate limits.
 * `rbac` needs `auth` (an anonymous caller holds no role).
 *
 * Every problem is one line naming the file, the key and what is expected;
 * a key the schema does not know is an error.
 *
 * @since 0.4.0
 */
import * as Rbac from "@emcee/auth/Rbac"
import { Startup } from "@emcee/transport"
import { Data, Duration, Effect, Either, ParseResult, Redacted, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as YAML from "yaml"
import * as Backend from "./Backend.js"
import * as Balancer from "./Balancer.js"
import { version as packageVersion } from "./internal/version.js"
import type * as Gateway from "./Gateway.js"
import type * as Policy from "./Policy.js"

/** The `serverInfo.version` of a gateway whose file gives none: the version of @emcee/gateway (its package.json). */
export const defaultVersion: string = packageVersion

/** The file is missing, unreadable or invalid; `message` is one line. */
export class GatewayConfigError extends Data.TaggedError("GatewayConfigError")<{ readonly message: string }> {}

const DurationText = Schema.Union(Schema.String, Schema.Number).pipe(
  Schema.filter((value) => Startup.parseDuration(String(value)) !== undefined || `expected a duration such as 30s, 500ms or 2m, got ${JSON.stringify(value)}`)
)

const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

/** An `http:` or `https:` URL. */
const HttpUrl = Schema.String.pipe(Schema.filter((url) => /^https?:\/\//i.test(url) && URL.canParse(url) || `expected an http(s) URL, got "${url}"`))

const Instance = Schema.Struct({
  id: Schema.NonEmptyString,
  url: Schema.optional(HttpUrl),
  command: Schema.optional(Schema.NonEmptyString),
  args: Schema.optional(Schema.Array(Schema.String)),
  weight: Schema.optional(Schema.Number.pipe(Schema.finite(), Schema.nonNegative()))
}).pipe(Schema.filter((instance) =>
  (instance.command === undefined) === (instance.url === undefined) ? "give exactly one of command (stdio) and url (Streamable HTTP)" : undefined
))

const Balancing = Schema.Struct({
  strategy: Schema.optional(Schema.Literal(...Balancer.strategies)),
  hashKey: Schema.optional(Schema.Union(Schema.Literal("principal"), Schema.Struct({ argument: Schema.NonEmptyString }))),
  affinity: Schema.optional(Schema.Boolean)
})

const ClientCredentials = Schema.Struct({
  issuer: Schema.optional(Schema.NonEmptyString),
  tokenUrl: Schema.optional(Schema.NonEmptyString),
  clientId: Schema.NonEmptyString,
  clientSecretEnv: Schema.NonEmptyString,
  scope: Schema.optional(Schema.String),
  resource: Schema.optional(Schema.NonEmptyString)
}).pipe(Schema.filter((credentials) =>
  (credentials.issuer === undefined) === (credentials.tokenUrl === undefined) ? "give exactly one of issuer and tokenUrl" : undefined
))

const BackendEntry = Schema.Struct({
  command: Schema.optional(Schema.NonEmptyString),
  args: Schema.optional(Schema.Array(Schema.String)),
  env: Schema.optional(StringMap),
  cwd: Schema.optional(Schema.String),
  url: Schema.optional(HttpUrl),
  headers: Schema.optional(StringMap),
  bearerEnv: Schema.optional(Schema.NonEmptyString),
  prefix: Schema.optional(Schema.String),
  protocolVersion: Schema.optional(Schema.Literal("auto", "2025-11-25", "2026-07-28")),
  tenant: Schema.optional(Schema.NonEmptyString),
  sessions: Schema.optional(Schema.Literal("shared", "perPrincipal")),
  sessionIdleTimeout: Schema.optional(DurationText),
  clientCredentials: Schema.optional(ClientCredentials),
  instances: Schema.optional(Schema.Array(Instance)),
  balancing: Schema.optional(Balancing)
}).pipe(Schema.filter((entry) =>
  entry.instances !== undefined
    ? entry.command !== undefined || entry.url !== undefined ? "give instances or one of command and url, not both" : undefined
    : (entry.command === undefined) === (entry.url === undefined)
    ? "give exactly one of command (stdio) and url (Streamable HTTP), or instances"
    : undefined
))


const Names = Schema.Union(Schema.NonEmptyString, Schema.Array(Schema.NonEmptyString))

const Jwt = Schema.Struct({
  issuer: Schema.NonEmptyString,
  audience: Names,
  jwksUrl: Schema.optional(HttpUrl),
  secret: Schema.optional(Schema.NonEmptyString),
  claims: Schema.optional(Schema.Struct({
    subject: Schema.optional(Names),
    tenant: Schema.optional(Names),
    roles: Schema.optional(Names),
    scopes: Schema.optional(Names)
  }))
}).pipe(Schema.filter((jwt) => (jwt.jwksUrl === undefined) === (jwt.secret === undefined) ? "give exactly one of jwksUrl and secret" : undefined))

const Auth = Schema.Struct({
  resource: Schema.optional(HttpUrl),
  tokenVariable: Schema.optional(Schema.NonEmptyString),
  jwt: Schema.optional(Jwt),
  apiKeys: Schema.optional(
    Schema.Struct({ file: Schema.optional(Schema.NonEmptyString), keys: Schema.optional(Schema.NonEmptyString) }).pipe(
      Schema.filter((keys) => keys.file === undefined && keys.keys === undefined ? "give file or keys" : undefined)
    )
  )
}).pipe(Schema.filter((auth) => auth.jwt === undefined && auth.apiKeys === undefined ? "give jwt or apiKeys (or both) to authenticate callers" : undefined))

const Limit = Schema.Struct({
  rate: Schema.Number.pipe(Schema.positive(), Schema.finite()),
  per: Schema.optional(DurationText),
  burst: Schema.optional(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)))
})

/** The file's schema. */
export const File = Schema.Struct({
  name: Schema.optional(Schema.NonEmptyString),
  version: Schema.optional(Schema.NonEmptyString),
  host: Schema.optional(Schema.NonEmptyString),
  port: Schema.optional(Schema.Int.pipe(Schema.between(0, 65535))),
  path: Schema.optional(Schema.String.pipe(Schema.startsWith("/"))),
  maxRequestBytes: Schema.optional(Schema.Int.pipe(Schema.positive())),
  maxResponseBytes: Schema.optional(Schema.Int.pipe(Schema.positive())),
  shutdownTimeout: Schema.optional(DurationText),
  separator: Schema.optional(Schema.String),
  maxNameLength: Schema.optional(Schema.Int.pipe(Schema.between(16, 128))),
  requestTimeout: Schema.optional(DurationText),
  withdrawAfter: Schema.optional(DurationText),
  refreshInterval: Schema.optional(DurationText),
  probeInterval: Schema.optional(DurationText),
  probeTimeout: Schema.optional(DurationText),
  breaker: Schema.optional(Schema.Struct({
    failureThreshold: Schema.optional(Schema.Int.pipe(Schema.positive())),
    window: Schema.optional(DurationText),
    openFor: Schema.optional(DurationText),
    halfOpenCalls: Schema.optional(Schema.Int.pipe(Schema.positive()))
  })),
  backends: Schema.optional(Schema.Record({ key: Schema.String, value: BackendEntry })),
  auth: Schema.optional(Auth),
  rbac: Schema.optional(Schema.Union(Schema.NonEmptyString, Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
  rateLimits: Schema.optional(Schema.Struct({ perTenant: Schema.optional(Limit), perPrincipal: Schema.optional(Limit) }))
})

/**
 * How callers are authenticated: the keys of `emcee serve`'s `auth`
 * (`Jwt.make`, `ApiKeys.fromFile`/`fromConfig`), plus Jwt's claim mapping.
 */
export interface Auth {
  /** The canonical URI of the gateway's MCP endpoint (RFC 9728 metadata, `BearerGuard`). */
  readonly resource: string | undefined
  /** Over stdio, the variable holding the caller's credential (default `MCP_TOKEN`). */
  readonly tokenVariable: string
  readonly jwt: {
    readonly issuer: string
    readonly audience: ReadonlyArray<string>
    readonly jwksUrl: string | undefined
    readonly secret: Redacted.Redacted<string> | undefined
    readonly claims: {
      readonly subject?: ReadonlyArray<string>
      readonly tenant?: ReadonlyArray<string>
      readonly roles?: ReadonlyArray<string>
      readonly scopes?: ReadonlyArray<string>
    }
  } | undefined
  /** API keys: a file (an absolute path) and/or inline keys. */
  readonly apiKeys: { readonly file: string | undefined; readonly keys: Redacted.Redacted<string> | undefined } | undefined
}

/** A configuration as read: where the server listens and the gateway's options. */
export interface Resolved {
  readonly name: string
  readonly version: string
  readonly host: string | undefined
  readonly port: number | undefined
  readonly path: string | undefined
  /** The largest request body the HTTP endpoint takes (`HttpTransport`'s `maxBodyBytes`). */
  readonly maxRequestBytes: number | undefined
  /** The HTTP endpoint's graceful shutdown deadline (`HttpTransport`'s `shutdownTimeout`). */
  readonly shutdownTimeout: Duration.Duration | undefined
  readonly options: Gateway.Options
  /** How callers are authenticated; undefined: they are not. */
  readonly auth: Auth | undefined
  /** RBAC and rate limits for `Policy.make` (tenants are the backends'). */
  readonly policy: Policy.Options
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

const list = (value: string | ReadonlyArray<string>): ReadonlyArray<string> =>
  typeof value === "string" ? value.split(/[\s,]+/).filter((item) => item.length > 0) : value

const limitOf = (limit: typeof Limit.Type | undefined): Policy.Limit | undefined =>
  limit === undefined ? undefined : {
    rate: limit.rate,
    ...(limit.per === undefined ? {} : { per: duration(limit.per)! }),
    ...(limit.burst === undefined ? {} : { burst: limit.burst })
  }

/** The RBAC policy of `rbac`: inline, or a file relative to the configuration's. */
const rbacOf = (value: string | Readonly<Record<string, unknown>>, file: string): Either.Either<Rbac.Policy, GatewayConfigError> => {
  if (typeof value !== "string") {
    return Either.mapLeft(
      Effect.runSync(Effect.either(Rbac.make(value as unknown as Rbac.Definition))),
      (error) => new GatewayConfigError({ message: `${file}: rbac${error.path === "" ? "" : `.${error.path}`}: ${error.reason}` })
    )
  }
  const policyFile = path.resolve(path.dirname(file), value)
  let text: string
  try {
    text = fs.readFileSync(policyFile, "utf8")
  } catch (error) {
    const code = (error as { readonly code?: unknown }).code
    return Either.left(new GatewayConfigError({ message: `${file}: rbac: cannot read ${policyFile}${code === "ENOENT" ? ": no such file" : `: ${String(code ?? error)}`}` }))
  }
  return Either.mapLeft(
    Effect.runSync(Effect.either(Rbac.fromYaml(text, policyFile))),
    (error) => new GatewayConfigError({ message: `${file}: rbac: ${error.message}` })
  )
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
    const cc = entry.clientCredentials
    let clientSecret: Redacted.Redacted<string> | undefined
    if (cc !== undefined) {
      const value = env[cc.clientSecretEnv]
      if (value === undefined || value === "") {
        return Either.left(
          new GatewayConfigError({ message: `${file}: backends.${name}.clientCredentials.clientSecretEnv: the variable ${cc.clientSecretEnv} is not set; set it to the client secret` })
        )
      }
      clientSecret = Redacted.make(value)
    }
    const endpointOf = (where: { readonly url?: string | undefined; readonly command?: string | undefined; readonly args?: ReadonlyArray<string> | undefined }): Backend.Endpoint =>
      where.url !== undefined
        ? { _tag: "Http", url: where.url, ...(entry.headers === undefined ? {} : { headers: entry.headers }) }
        : {
          _tag: "Stdio",
          command: where.command!,
          args: where.args ?? [],
          ...(entry.env === undefined ? {} : { env: entry.env }),
          ...(entry.cwd === undefined ? {} : { cwd: path.resolve(path.dirname(file), entry.cwd) })
        }
    const instances = entry.instances?.map((instance) => ({
      id: instance.id,
      endpoint: endpointOf(instance),
      ...(instance.weight === undefined ? {} : { weight: instance.weight })
    }))
    const sessionIdleTimeout = duration(entry.sessionIdleTimeout)
    const backend: Backend.Backend = {
      name,
      endpoint: instances?.[0]?.endpoint ?? endpointOf(entry),
      ...(instances === undefined ? {} : { instances }),
      ...(entry.balancing === undefined ? {} : { balancing: entry.balancing }),
      ...(entry.sessions === undefined ? {} : { sessions: entry.sessions }),
      ...(sessionIdleTimeout === undefined ? {} : { sessionIdleTimeout }),
      ...(cc === undefined ? {} : {
        credentials: {
          _tag: "ClientCredentials",
          ...(cc.issuer === undefined ? { tokenUrl: cc.tokenUrl! } : { issuer: cc.issuer }),
          clientId: cc.clientId,
          clientSecret: clientSecret!,
          ...(cc.scope === undefined ? {} : { scope: cc.scope }),
          ...(cc.resource === undefined ? {} : { resource: cc.resource })
        } as Backend.ClientCredentials
      }),
      ...(entry.prefix === undefined ? {} : { prefix: entry.prefix }),
      ...(entry.protocolVersion === undefined ? {} : { protocolVersion: entry.protocolVersion }),
      ...(bearer === undefined ? {} : { bearer }),
      ...(entry.tenant === undefined ? {} : { tenant: entry.tenant })
    }
    const invalid = instances === undefined && cc === undefined ? undefined : Backend.invalidOptions(backend)
    if (invalid !== undefined) return Either.left(new GatewayConfigError({ message: `${file}: backends.${name}: ${invalid}` }))
    backends.push(backend)
  }
  if (config.rbac !== undefined && config.auth === undefined) {
    return Either.left(new GatewayConfigError({ message: `${file}: rbac: needs auth (an RBAC policy grants roles of authenticated callers); configure auth.jwt or auth.apiKeys` }))
  }
  const rbac = config.rbac === undefined ? undefined : rbacOf(config.rbac, file)
  if (rbac !== undefined && Either.isLeft(rbac)) return Either.left(rbac.left)
  const perTenant = limitOf(config.rateLimits?.perTenant)
  const perPrincipal = limitOf(config.rateLimits?.perPrincipal)
  const auth = config.auth
  const jwt = auth?.jwt
  const claims = jwt?.claims
  const apiKeys = auth?.apiKeys
  const breaker = config.breaker
  const requestTimeout = duration(config.requestTimeout)
  const withdrawAfter = duration(config.withdrawAfter)
  const refreshInterval = duration(config.refreshInterval)
  const probeInterval = duration(config.probeInterval)
  const probeTimeout = duration(config.probeTimeout)
  return Either.right({
    name: config.name ?? "emcee-gateway",
    version: config.version ?? defaultVersion,
    host: config.host,
    port: config.port,
    path: config.path,
    maxRequestBytes: config.maxRequestBytes,
    shutdownTimeout: duration(config.shutdownTimeout),
    auth: auth === undefined ? undefined : {
      resource: auth.resource,
      tokenVariable: auth.tokenVariable ?? "MCP_TOKEN",
      jwt: jwt === undefined ? undefined : {
        issuer: jwt.issuer,
        audience: list(jwt.audience),
        jwksUrl: jwt.jwksUrl,
        secret: jwt.secret === undefined ? undefined : Redacted.make(jwt.secret),
        claims: {
          ...(claims?.subject === undefined ? {} : { subject: list(claims.subject) }),
          ...(claims?.tenant === undefined ? {} : { tenant: list(claims.tenant) }),
          ...(claims?.roles === undefined ? {} : { roles: list(claims.roles) }),
          ...(claims?.scopes === undefined ? {} : { scopes: list(claims.scopes) })
        }
      },
      apiKeys: apiKeys === undefined ? undefined : {
        file: apiKeys.file === undefined ? undefined : path.resolve(path.dirname(file), apiKeys.file),
        keys: apiKeys.keys === undefined ? undefined : Redacted.make(apiKeys.keys)
      }
    },
    policy: {
      ...(rbac === undefined ? {} : { rbac: rbac.right }),
      ...(perTenant === undefined && perPrincipal === undefined ? {} : {
        rateLimits: { ...(perTenant === undefined ? {} : { perTenant }), ...(perPrincipal === undefined ? {} : { perPrincipal }) }
      })
    },
    options: {
      backends,
      ...(config.separator === undefined ? {} : { separator: config.separator }),
      ...(config.maxNameLength === undefined ? {} : { maxNameLength: config.maxNameLength }),
      ...(config.maxResponseBytes === undefined ? {} : { maxResponseBytes: config.maxResponseBytes }),
      ...(requestTimeout === undefined ? {} : { requestTimeout }),
      ...(withdrawAfter === undefined ? {} : { withdrawAfter }),
      ...(refreshInterval === undefined ? {} : { refreshInterval }),
      ...(probeInterval === undefined ? {} : { probeInterval }),
      ...(probeTimeout === undefined ? {} : { probeTimeout }),
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
