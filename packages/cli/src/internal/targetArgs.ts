/**
 * Reading what the target commands are given on the command line: a command
 * line in one argument, `--header` values, `--arg k=v` pairs coerced by a
 * JSON Schema, `--json-args`.
 *
 * Each function returns a value or a one-line message naming the flag (the
 * caller turns it into a `CliError`).
 *
 * @internal
 */

/** A value, or the one-line reason it could not be read. */
export type Read<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly message: string }

const ok = <A>(value: A): Read<A> => ({ ok: true, value })
const bad = (message: string): Read<never> => ({ ok: false, message })

/**
 * Splits a command line given as one argument (`"node server.js --port 3"`)
 * into words as a POSIX shell would for the simple cases: whitespace
 * separates words, single quotes keep everything literal, double quotes
 * keep whitespace, a backslash escapes the next character outside single
 * quotes. No expansion of variables, globs or `~`.
 */
export const splitCommandLine = (line: string): Read<ReadonlyArray<string>> => {
  const words: Array<string> = []
  let word = ""
  let inWord = false
  let quote: "'" | "\"" | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
      else word += c
      continue
    }
    if (c === "\\" && i + 1 < line.length) {
      word += line[++i]
      inWord = true
      continue
    }
    if (quote === "\"") {
      if (c === "\"") quote = undefined
      else word += c
      continue
    }
    if (c === "'" || c === "\"") {
      quote = c
      inWord = true
      continue
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ""
      inWord = false
      continue
    }
    word += c
    inWord = true
  }
  if (quote !== undefined) return bad(`the command ${JSON.stringify(line)} has an unclosed ${quote} quote`)
  if (inWord) words.push(word)
  return words.length === 0 ? bad("the server command is empty") : ok(words)
}

/** `--header "Name: value"` values as a record; a value without a colon or with an invalid name is refused. */
export const parseHeaders = (values: ReadonlyArray<string>): Read<Record<string, string>> => {
  const headers: Record<string, string> = {}
  for (const raw of values) {
    const colon = raw.indexOf(":")
    const name = colon < 0 ? "" : raw.slice(0, colon).trim()
    // RFC 9110 "token": the characters a field name may use.
    if (colon < 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      return bad(`--header ${JSON.stringify(raw)} is not "Name: value" (e.g. --header "X-Api-Key: abc")`)
    }
    headers[name.toLowerCase()] = raw.slice(colon + 1).trim()
  }
  return ok(headers)
}

/** `--arg k=v` values as pairs, in order; a value without `=` or with an empty key is refused. */
export const parsePairs = (flag: string, values: ReadonlyArray<string>): Read<ReadonlyArray<readonly [string, string]>> => {
  const pairs: Array<readonly [string, string]> = []
  for (const raw of values) {
    const eq = raw.indexOf("=")
    if (eq <= 0) return bad(`${flag} ${JSON.stringify(raw)} is not key=value (e.g. ${flag} message=hello)`)
    pairs.push([raw.slice(0, eq), raw.slice(eq + 1)])
  }
  return ok(pairs)
}

/** A JSON object given whole (`--json-args '{"a": 1}'`). */
export const parseJsonObject = (flag: string, text: string): Read<{ readonly [key: string]: unknown }> => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return bad(`${flag} is not valid JSON (${error instanceof Error ? error.message : String(error)}): give an object, e.g. ${flag} '{"message": "hi"}'`)
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? ok(value as { readonly [key: string]: unknown })
    : bad(`${flag} must be a JSON object, e.g. ${flag} '{"message": "hi"}'`)
}

const isObject = (u: unknown): u is { readonly [key: string]: unknown } => typeof u === "object" && u !== null && !Array.isArray(u)

/** The JSON types a (sub)schema admits, from `type`, `enum`, `const`, `anyOf` and `oneOf`; empty when it does not say. */
export const schemaTypes = (schema: unknown): ReadonlySet<string> => {
  const types = new Set<string>()
  const visit = (s: unknown, depth: number) => {
    if (!isObject(s) || depth > 8) return
    const type = s.type
    if (typeof type === "string") types.add(type)
    if (Array.isArray(type)) for (const t of type) if (typeof t === "string") types.add(t)
    const values = Array.isArray(s.enum) ? s.enum : "const" in s ? [s.const] : []
    for (const v of values) types.add(v === null ? "null" : Array.isArray(v) ? "array" : typeof v)
    for (const key of ["anyOf", "oneOf"] as const) {
      const members = s[key]
      if (Array.isArray(members)) for (const m of members) visit(m, depth + 1)
    }
  }
  visit(schema, 0)
  return types
}

/**
 * The `--arg` pairs as tool arguments, coerced by the tool's `inputSchema`
 * (spec server/tools "Tool": `inputSchema` is a JSON Schema object): a
 * property whose schema admits only non-string types (number, integer,
 * boolean, array, object, null) gets the value parsed as JSON; anything else
 * (string, unknown property, no schema) stays a string.
 */
export const coerceArguments = (
  pairs: ReadonlyArray<readonly [string, string]>,
  inputSchema: unknown
): Read<{ readonly [key: string]: unknown }> => {
  const properties = isObject(inputSchema) && isObject(inputSchema.properties) ? inputSchema.properties : {}
  const args: { [key: string]: unknown } = {}
  for (const [key, raw] of pairs) {
    const types = schemaTypes(properties[key])
    if (types.size === 0 || types.has("string")) {
      args[key] = raw
      continue
    }
    try {
      args[key] = JSON.parse(raw)
    } catch {
      return bad(`--arg ${key}=${raw}: ${JSON.stringify(raw)} is not valid JSON for a ${[...types].join(" or ")} (the tool's inputSchema says so)`)
    }
  }
  return ok(args)
}
