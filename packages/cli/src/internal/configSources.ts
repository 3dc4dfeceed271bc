/**
 * The sources of `emcee` configuration and the one `ConfigProvider` chain
 * that reads them in order of precedence: flags, `EMCEE_*` environment
 * variables, `.env`, `emcee.config.yaml` (or `.yml`, `.json`), defaults.
 *
 * Every source is a map from the logical key (`middleware.rateLimit.perSecond`)
 * to its text, read with `ConfigProvider.fromMap`, plus where each value
 * came from (`EMCEE_PORT (environment)`, `emcee.config.yaml:7`), so that an
 * error and `emcee config` can say so.
 *
 * @internal
 */
import { ConfigError, ConfigProvider, ConfigProviderPathPatch, Effect, HashSet } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { parseEnv } from "node:util"
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml"

/** One source of configuration: values by logical key, and where each came from. */
export interface Source {
  /** The source as people name it: `flags`, `environment`, `.env`, the config file, `defaults`. */
  readonly name: string
  readonly values: ReadonlyMap<string, string>
  /** Where the value of `key` came from, e.g. `EMCEE_PORT (environment)`. */
  readonly origin: (key: string) => string
}

/** What the chain read: for each key, the text and where it came from. */
export interface Trace {
  /** Values a schema field was read from, the winning source only. */
  readonly used: Map<string, { readonly origin: string; readonly raw: string }>
}

/** `rateLimit` → `RATE_LIMIT`. */
const constant = (segment: string): string => segment.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()

/** The environment variable of a key: `middleware.rateLimit.perSecond` → `EMCEE_MIDDLEWARE_RATE_LIMIT_PER_SECOND`. */
export const envName = (key: string): string => `EMCEE_${key.split(".").map(constant).join("_")}`

/** Older names still read from the environment, below their `EMCEE_*` name (the transport's own variables). */
const aliases: Readonly<Record<string, string>> = { port: "HTTP_PORT", host: "HTTP_HOST" }

/** A path as people read it: relative to the working directory when inside it. */
export const display = (file: string): string => {
  const relative = path.relative(process.cwd(), file)
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file
}

/** The `EMCEE_*` variables (and aliases) of `env` for the known keys. */
export const fromEnvironment = (keys: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>>): Source => {
  const values = new Map<string, string>()
  const names = new Map<string, string>()
  for (const key of keys) {
    const candidates = [envName(key), ...(aliases[key] === undefined ? [] : [aliases[key]])]
    const name = candidates.find((candidate) => env[candidate] !== undefined && env[candidate] !== "")
    if (name === undefined) continue
    values.set(key, env[name]!)
    names.set(key, name)
  }
  return { name: "environment", values, origin: (key) => `${names.get(key) ?? envName(key)} (environment)` }
}

/** Thrown by the readers below: a one-line message naming the file, line and key. */
export class SourceError extends Error {}

/** The `.env` file of `dir`: every variable in it, and the configuration its `EMCEE_*` variables give. */
export const fromDotEnv = (
  dir: string,
  keys: ReadonlyArray<string>
): { readonly source: Source; readonly variables: Readonly<Record<string, string>> } | undefined => {
  const file = path.join(dir, ".env")
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw new SourceError(`${display(file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`)
  }
  const parsed = parseEnv(text)
  const variables: Record<string, string> = {}
  for (const [name, value] of Object.entries(parsed)) if (value !== undefined) variables[name] = value
  const lines = text.split(/\r?\n/)
  const lineOf = (name: string): number => {
    const pattern = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=`)
    let index = lines.length - 1
    while (index >= 0 && !pattern.test(lines[index]!)) index--
    return index + 1
  }
  const env = fromEnvironment(keys, variables)
  const names = new Map(keys.map((key) => [key, [envName(key), ...(aliases[key] === undefined ? [] : [aliases[key]])].find((n) => variables[n] !== undefined && variables[n] !== "")] as const))
  return {
    variables,
    source: {
      name: ".env",
      values: env.values,
      origin: (key) => {
        const name = names.get(key) ?? envName(key)
        return `${name} in ${display(file)}:${lineOf(name)}`
      }
    }
  }
}

/** The configuration files looked for in a folder, in this order. */
export const configFiles = ["emcee.config.yaml", "emcee.config.yml", "emcee.config.json"] as const

/** The edit distance of two keys, for "did you mean". */
const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/** ` (did you mean "x"?)` when a known key is close to `key`. */
export const suggestion = (key: string, known: ReadonlyArray<string>): string => {
  const best = known.map((k) => [k, distance(key, k)] as const).sort((a, b) => a[1] - b[1])[0]
  return best !== undefined && best[1] <= Math.max(2, Math.floor(key.length / 4)) ? ` (did you mean "${best[0]}"?)` : ""
}

/**
 * The configuration file of `dir` (`emcee.config.yaml`, `.yml` or `.json`,
 * the first found), flattened to logical keys. A syntax error, a key the
 * schema does not know, or a section given a value, throws a `SourceError`
 * naming the file, line and key.
 */
export const fromConfigFile = (dir: string, keys: ReadonlyArray<string>): Source | undefined => {
  const name = configFiles.find((candidate) => fs.existsSync(path.join(dir, candidate)))
  if (name === undefined) return undefined
  const file = path.join(dir, name)
  const shown = display(file)
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (error) {
    throw new SourceError(`${shown} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`)
  }
  const lineCounter = new LineCounter()
  // YAML is a superset of JSON: one parser gives line numbers for both.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const syntax = document.errors[0]
  if (syntax !== undefined) {
    const at = syntax.linePos?.[0] ?? lineCounter.linePos(syntax.pos[0])
    throw new SourceError(`${shown}${at === undefined ? "" : `:${at.line}:${at.col}`}: ${syntax.message.split("\n")[0]}`)
  }
  const known = new Set(keys)
  const sections = new Set(keys.flatMap((key) => key.split(".").slice(0, -1).map((_, i, all) => all.slice(0, i + 1).join("."))))
  const values = new Map<string, string>()
  const lines = new Map<string, number>()
  const lineOf = (node: YamlNode | null | undefined): number => (node?.range === undefined || node.range === null ? 0 : lineCounter.linePos(node.range[0]).line)
  const at = (line: number) => (line > 0 ? `${shown}:${line}` : shown)

  const visit = (node: YamlNode | null | undefined, prefix: string, line: number): void => {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return
    if (isMap(node)) {
      if (prefix !== "" && !sections.has(prefix)) {
        throw new SourceError(`${at(line)}: "${prefix}" takes a value, not a mapping`)
      }
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode
        const segment = isScalar(keyNode) ? String(keyNode.value) : String(keyNode)
        const key = prefix === "" ? segment : `${prefix}.${segment}`
        const keyLine = lineOf(keyNode)
        if (!known.has(key) && !sections.has(key)) {
          const siblings = [...known, ...sections].filter((k) => k.split(".").length === key.split(".").length)
          throw new SourceError(`${at(keyLine)}: unknown key "${key}"${suggestion(key, siblings)}`)
        }
        visit(pair.value as YamlNode | null, key, keyLine)
      }
      return
    }
    if (prefix === "" || sections.has(prefix)) {
      throw new SourceError(`${at(line)}: ${prefix === "" ? "the file" : `"${prefix}"`} must be a mapping of keys (${[...known].filter((k) => prefix === "" || k.startsWith(`${prefix}.`)).slice(0, 4).join(", ")}, ...)`)
    }
    if (isSeq(node)) {
      const items = node.items.map((item) => (isScalar(item) ? item.value : item))
      if (items.some((item) => item === null || typeof item === "object")) {
        throw new SourceError(`${at(line)}: "${prefix}" takes a list of plain values`)
      }
      values.set(prefix, items.map(String).join(","))
    } else if (isScalar(node)) {
      values.set(prefix, String(node.value))
    } else {
      throw new SourceError(`${at(line)}: "${prefix}" takes a plain value`)
    }
    lines.set(prefix, line)
  }
  visit(document.contents as YamlNode | null, "", 0)
  return { name: shown, values, origin: (key) => at(lines.get(key) ?? 0) }
}

/** A source from values given in code (flags, defaults). */
export const fromValues = (name: string, values: ReadonlyMap<string, string>, origin: (key: string) => string): Source => ({ name, values, origin })

/**
 * The sources as ONE `ConfigProvider`, the first that has a key winning.
 * Unlike `ConfigProvider.orElse`, a value that is present but invalid does
 * not fall through to the next source (an `EMCEE_PORT=abc` must not be
 * replaced silently by the port of the file): only missing data does. What
 * was read, and from where, is recorded in `trace`.
 */
export const chain = (sources: ReadonlyArray<Source>, trace: Trace): ConfigProvider.ConfigProvider => {
  const flats = sources.map((source) => ({ source, flat: ConfigProvider.fromMap(new Map(source.values), { pathDelim: "." }).flattened }))
  return ConfigProvider.fromFlat(ConfigProvider.makeFlat({
    load: (keyPath, config, split) => {
      const key = keyPath.join(".")
      const attempt = (index: number): Effect.Effect<Array<unknown>, ConfigError.ConfigError> => {
        const entry = flats[index]
        if (entry === undefined) return Effect.fail(ConfigError.MissingData([...keyPath], `Expected ${key} to be set`))
        return entry.flat.load(keyPath, config, split).pipe(
          Effect.tap(() => Effect.sync(() => trace.used.set(key, { origin: entry.source.origin(key), raw: entry.source.values.get(key) ?? "" }))),
          Effect.catchAll((error) =>
            ConfigError.isMissingDataOnly(error)
              ? attempt(index + 1)
              : Effect.zipRight(
                Effect.sync(() => trace.used.set(key, { origin: entry.source.origin(key), raw: entry.source.values.get(key) ?? "" })),
                Effect.fail(error)
              ))
        )
      }
      return attempt(0) as Effect.Effect<Array<never>, ConfigError.ConfigError>
    },
    enumerateChildren: (keyPath) =>
      Effect.map(
        Effect.forEach(flats, ({ flat }) => Effect.orElseSucceed(flat.enumerateChildren(keyPath), () => HashSet.empty<string>())),
        (sets) => sets.reduce((all, set) => HashSet.union(all, set), HashSet.empty<string>())
      ),
    patch: ConfigProviderPathPatch.empty
  }))
}
