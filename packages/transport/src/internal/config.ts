import { Config, ConfigError, Duration, Either, Option } from "effect"

/** A config read only when set: absent is `undefined`, so the option keeps its usual default. */
export const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/** Drops the fields that were not set, for options types with exact optional properties. */
export const compact = <A extends Record<string, unknown>>(fields: A): { [K in keyof A]?: Exclude<A[K], undefined> } => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(fields)) {
    if (fields[key] !== undefined) out[key] = fields[key]
  }
  return out as { [K in keyof A]?: Exclude<A[K], undefined> }
}

/** `config` under `namespace`, itself under `prefix` when given (env: `PREFIX_NAMESPACE_KEY`). */
export const nest = <A>(config: Config.Config<A>, namespace: string, prefix: string | undefined): Config.Config<A> => {
  const nested = Config.nested(config, namespace)
  return prefix === undefined || prefix === "" ? nested : Config.nested(nested, prefix)
}

/** An integer from `min` to `max`. */
export const integer = (name: string, min: number, max = Number.MAX_SAFE_INTEGER): Config.Config<number> =>
  Config.mapOrFail(Config.integer(name), (n) =>
    n >= min && n <= max
      ? Either.right(n)
      : Either.left(
        ConfigError.InvalidData(
          [],
          `${max === Number.MAX_SAFE_INTEGER ? `Expected an integer of at least ${min}` : `Expected an integer from ${min} to ${max}`} but received ${n}`
        )
      ))

/** A TCP port; 0 picks a free one. */
export const port = (name: string): Config.Config<number> => integer(name, 0, 65535)

const SHORT_UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const

/** The short form `10s`, `500ms`, `2m`, `1h`; with `bareSeconds`, a plain number of seconds too. */
export const parseShortDuration = (text: string, bareSeconds: boolean): Duration.Duration | undefined => {
  const short = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text)
  if (short === null || (short[2] === undefined && !bareSeconds)) return undefined
  const millis = Number(short[1]) * SHORT_UNITS[(short[2] ?? "s").toLowerCase() as keyof typeof SHORT_UNITS]
  return Number.isFinite(millis) ? Duration.millis(millis) : undefined
}

/** `10 seconds`, `500 millis` (as `Config.duration` reads them) or the short `10s`, `500ms`, `2m`, `1h`. */
export const parseDuration = (text: string): Duration.Duration | undefined =>
  parseShortDuration(text, false) ?? Option.getOrUndefined(Duration.decodeUnknown(text.trim()))

/** A duration: `10 seconds`, `500 millis`, `10s`, `500ms`, `2m`, `1h`. */
export const duration = (name: string): Config.Config<Duration.Duration> =>
  Config.mapOrFail(Config.string(name), (text) => {
    const value = parseDuration(text)
    return value === undefined
      ? Either.left(ConfigError.InvalidData([], `Expected a duration (e.g. 10s, 500ms, 2m or "10 seconds") but received ${text}`))
      : Either.right(value)
  })

/** A comma-separated list (or a list, from providers that have them); blanks are dropped. */
export const list = (name: string): Config.Config<ReadonlyArray<string>> =>
  Config.map(
    Config.array(Config.string(), name),
    (items) => items.flatMap((item) => item.split(",")).map((item) => item.trim()).filter((item) => item !== "")
  )

/**
 * A namespaced Config of options: every field optional, the ones not set left
 * out (so the options keep their defaults).
 */
export const options = <F extends Record<string, Config.Config<unknown>>>(
  fields: F,
  namespace: string,
  prefix: string | undefined
): Config.Config<{ [K in keyof F]?: Exclude<Config.Config.Success<F[K]>, undefined> }> =>
  nest(Config.map(Config.all(fields), (values) => compact(values as Record<string, unknown>) as { [K in keyof F]?: Exclude<Config.Config.Success<F[K]>, undefined> }), namespace, prefix)

/** Where a standalone server listens. */
export const listenerFields = {
  port: optional(port("PORT")),
  host: optional(Config.nonEmptyString("HOST"))
}

/** The Origin/Host checks against DNS rebinding (`allowedOrigins`, `allowedHosts`). */
export const originFields = {
  allowedOrigins: optional(list("ALLOWED_ORIGINS")),
  allowedHosts: optional(list("ALLOWED_HOSTS"))
}

/** Whether those checks are on. */
export const guardFields = {
  ...originFields,
  dnsRebindingProtection: optional(Config.boolean("DNS_REBINDING_PROTECTION"))
}

/** The shutdown deadline and the bound of unread bytes per connection. */
export const drainFields = {
  shutdownTimeout: optional(duration("SHUTDOWN_TIMEOUT")),
  maxBufferedBytes: optional(integer("MAX_BUFFERED_BYTES", 1))
}

/** What every Streamable HTTP front end (node:http, web handler) reads. */
export const streamableFields = {
  stateless: optional(Config.boolean("STATELESS")),
  enableJsonResponse: optional(Config.boolean("ENABLE_JSON_RESPONSE")),
  maxBodyBytes: optional(integer("MAX_BODY_BYTES", 1)),
  sessionIdleTimeout: optional(duration("SESSION_IDLE_TIMEOUT")),
  maxSessions: optional(integer("MAX_SESSIONS", 1)),
  keepAliveInterval: optional(duration("KEEP_ALIVE_INTERVAL")),
  retryInterval: optional(duration("RETRY_INTERVAL")),
  ...originFields,
  ...drainFields
}
