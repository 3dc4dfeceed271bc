/**
 * Reads a client's JSON configuration with the position of every value, and
 * sets one member of one object by editing only that part of the text: the
 * rest of the file (other keys and servers, their order, formatting, comments
 * where the format allows them) stays byte for byte as the user left it.
 *
 * `jsonc` accepts `//` and block comments and trailing commas (VS Code's
 * `mcp.json` is JSON with comments); otherwise the text must be strict JSON.
 *
 * @internal
 */

/** A parsed value with the text range it occupies (`end` exclusive). */
export type JsonNode =
  | {
    readonly kind: "object"
    readonly start: number
    readonly end: number
    readonly members: ReadonlyArray<{ readonly key: string; readonly keyStart: number; readonly value: JsonNode }>
    readonly value: Record<string, unknown>
  }
  | { readonly kind: "array"; readonly start: number; readonly end: number; readonly value: Array<unknown> }
  | { readonly kind: "scalar"; readonly start: number; readonly end: number; readonly value: unknown }

/** Why the text is not (the allowed flavour of) JSON, at a 1-based line and column. */
export class JsonSyntaxError extends Error {
  constructor(readonly reason: string, readonly offset: number, readonly line: number, readonly column: number) {
    super(`${reason} at line ${line}, column ${column}`)
  }
}

const positionOf = (text: string, offset: number): { line: number; column: number } => {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
// eslint-disable-next-line no-control-regex -- JSON strings may not hold raw control characters
const stringPattern = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y

/** Parses `text` (one JSON value, optionally surrounded by whitespace and, with `jsonc`, comments). */
export const parse = (text: string, options: { readonly jsonc: boolean }): JsonNode => {
  let pos = 0
  const fail = (reason: string, at = pos): never => {
    const { line, column } = positionOf(text, at)
    throw new JsonSyntaxError(reason, at, line, column)
  }
  const describe = (at: number) => (at >= text.length ? "unexpected end of file" : `unexpected ${JSON.stringify(text[at])}`)
  const skip = () => {
    for (;;) {
      const c = text[pos]
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || (pos === 0 && c === "\uFEFF")) pos++
      else if (options.jsonc && c === "/" && text[pos + 1] === "/") {
        while (pos < text.length && text[pos] !== "\n") pos++
      } else if (options.jsonc && c === "/" && text[pos + 1] === "*") {
        const close = text.indexOf("*/", pos + 2)
        if (close < 0) fail("unterminated comment")
        pos = close + 2
      } else return
    }
  }
  const string = (): string => {
    stringPattern.lastIndex = pos
    const match = stringPattern.exec(text)
    if (match === null) return fail(text[pos] === '"' ? "invalid or unterminated string" : describe(pos))
    pos += match[0].length
    return JSON.parse(match[0]) as string
  }
  const value = (): JsonNode => {
    skip()
    const start = pos
    const c = text[pos]
    if (c === "{") {
      pos++
      const members: Array<{ key: string; keyStart: number; value: JsonNode }> = []
      const object: Record<string, unknown> = {}
      skip()
      while (text[pos] !== "}") {
        if (members.length > 0) {
          if (text[pos] !== ",") fail(`${describe(pos)}, expected "," or "}"`)
          pos++
          skip()
          if (options.jsonc && text[pos] === "}") break
        }
        const keyStart = pos
        if (text[pos] !== '"') fail(`${describe(pos)}, expected a property name in double quotes`)
        const key = string()
        skip()
        if (text[pos] !== ":") fail(`${describe(pos)}, expected ":"`)
        pos++
        const member = value()
        members.push({ key, keyStart, value: member })
        Object.defineProperty(object, key, { value: member.value, enumerable: true, writable: true, configurable: true })
        skip()
      }
      pos++
      return { kind: "object", start, end: pos, members, value: object }
    }
    if (c === "[") {
      pos++
      const items: Array<unknown> = []
      skip()
      while (text[pos] !== "]") {
        if (items.length > 0) {
          if (text[pos] !== ",") fail(`${describe(pos)}, expected "," or "]"`)
          pos++
          skip()
          if (options.jsonc && text[pos] === "]") break
        }
        items.push(value().value)
        skip()
      }
      pos++
      return { kind: "array", start, end: pos, value: items }
    }
    if (c === '"') return { kind: "scalar", start, value: string(), end: pos }
    for (const [word, literal] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length
        return { kind: "scalar", start, end: pos, value: literal }
      }
    }
    numberPattern.lastIndex = pos
    const match = numberPattern.exec(text)
    if (match === null) return fail(describe(pos))
    pos += match[0].length
    return { kind: "scalar", start, end: pos, value: Number(match[0]) }
  }
  const root = value()
  skip()
  if (pos < text.length) fail(`${describe(pos)} after the end of the JSON value`)
  return root
}

/** The last member named `key` (the one JSON.parse would keep). */
export const member = (node: JsonNode, key: string): JsonNode | undefined =>
  node.kind === "object" ? lastMember(node, key)?.value : undefined

const lastMember = (node: Extract<JsonNode, { kind: "object" }>, key: string) => {
  for (let i = node.members.length - 1; i >= 0; i--) if (node.members[i]!.key === key) return node.members[i]
  return undefined
}

/** The indentation unit the file uses (its smallest indentation), two spaces when it has none. */
export const detectIndent = (text: string): string => {
  let best: string | undefined
  for (const match of text.matchAll(/^([ \t]+)\S/gm)) {
    const indent = match[1]!
    if (indent.startsWith("\t")) return "\t"
    if (best === undefined || indent.length < best.length) best = indent
  }
  return best ?? "  "
}

/** The whitespace at the start of the line that holds `offset`. */
const lineIndent = (text: string, offset: number): string => {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1
  return /^[ \t]*/.exec(text.slice(lineStart))![0]
}

const sameLine = (text: string, from: number, to: number) => !text.slice(from, to).includes("\n")

/**
 * Returns `text` with `object[key]` set to `value`: the existing member's value
 * replaced in place, or a new member appended after the last one, indented
 * like its siblings (a one-line object stays on one line).
 */
export const setMember = (
  text: string,
  object: Extract<JsonNode, { kind: "object" }>,
  key: string,
  value: unknown,
  style: { readonly indent: string; readonly eol: string }
): string => {
  const render = (at: string) => JSON.stringify(value, null, style.indent).replaceAll("\n", style.eol + at)
  const existing = lastMember(object, key)
  if (existing !== undefined) {
    const at = lineIndent(text, existing.keyStart)
    const oneLine = sameLine(text, object.start, object.end)
    const rendered = oneLine ? JSON.stringify(value) : render(at)
    return text.slice(0, existing.value.start) + rendered + text.slice(existing.value.end)
  }
  const last = object.members[object.members.length - 1]
  if (last === undefined) {
    // `{}` (possibly with whitespace or comments inside): open it onto lines of its own.
    const at = lineIndent(text, object.start)
    const inner = at + style.indent
    const body = `${JSON.stringify(key)}: ${render(inner)}`
    return text.slice(0, object.start) + "{" + style.eol + inner + body + style.eol + at + "}" + text.slice(object.end)
  }
  if (sameLine(text, object.start, object.end)) {
    return text.slice(0, last.value.end) + `, ${JSON.stringify(key)}: ${JSON.stringify(value)}` + text.slice(last.value.end)
  }
  const at = sameLine(text, object.start, last.keyStart) ? lineIndent(text, object.start) + style.indent : lineIndent(text, last.keyStart)
  return text.slice(0, last.value.end) + `,${style.eol}${at}${JSON.stringify(key)}: ${render(at)}` + text.slice(last.value.end)
}

/** Structural equality of JSON values (key order ignored). */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length &&
    ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}
