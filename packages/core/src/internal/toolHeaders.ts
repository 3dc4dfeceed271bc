/**
 * `x-mcp-header` annotations of a tool's `inputSchema` (spec 2026-07-28
 * server/tools "x-mcp-header"; basic/transports/streamable-http "Custom
 * Headers from Tool Parameters", "Schema Extension"): which parameters a
 * client mirrors into `Mcp-Param-{Name}` headers, at which property path, and
 * whether every annotation meets the spec's constraints.
 *
 * Only schema positions are visited (the JSON Schema 2020-12 and draft-07
 * keywords whose values are schemas), so a property *named* `x-mcp-header`
 * or the text in a `const` / `default` / `examples` is not an annotation.
 */
import type * as McpSchema from "../McpSchema.js"

/** The types a mirrored parameter may have (spec server/tools "x-mcp-header": primitive, not `number`). */
export type HeaderType = "string" | "integer" | "boolean"

/** A parameter mirrored into a header. */
export interface HeaderParameter {
  /** The `x-mcp-header` value: the `{Name}` of `Mcp-Param-{Name}`, as declared. */
  readonly name: string
  /** `mcp-param-{name}` in lower case, the form HTTP libraries give header names in. */
  readonly header: string
  /** The chain of `properties` keys from the schema root to the parameter. */
  readonly path: ReadonlyArray<string>
  /** The parameter's declared type (besides `null`). */
  readonly type: HeaderType
}

/** What an `inputSchema` says about headers. */
export interface Analysis {
  /** The well-formed, statically reachable annotations, in schema order. */
  readonly parameters: ReadonlyArray<HeaderParameter>
  /** Each constraint an annotation breaks, naming the property; empty when all are valid. */
  readonly problems: ReadonlyArray<string>
}

/** RFC 9110 section 5.1 field names: `1*tchar` (no space, colon, control or non-ASCII character). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

const HEADER_TYPES: ReadonlySet<string> = new Set(["string", "integer", "boolean"])

/** Keywords whose value is one schema (2020-12, and draft-07's `additionalItems`). */
const ONE_SCHEMA = [
  "items",
  "additionalItems",
  "additionalProperties",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else"
] as const
/** Keywords whose value is an array of schemas (draft-07 `items` may be one too). */
const SCHEMA_ARRAYS = ["allOf", "anyOf", "oneOf", "prefixItems", "items"] as const
/** Keywords whose value maps names to schemas (`properties` handled on its own). */
const SCHEMA_MAPS = ["patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"] as const

type JsonObject = { readonly [key: string]: unknown }

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value)

/** RFC 6901 escaping of one pointer token. */
const escape = (token: string): string => token.replace(/~/g, "~0").replace(/\//g, "~1")

const isHeaderType = (value: unknown): value is HeaderType => typeof value === "string" && HEADER_TYPES.has(value)

/** The declared type of an annotated property, or why it may not carry a header. */
const headerType = (schema: JsonObject): { readonly type: HeaderType } | { readonly problem: string } => {
  const type = schema.type
  if (isHeaderType(type)) return { type }
  if (Array.isArray(type)) {
    // A nullable primitive: the header is omitted when the value is null (spec streamable-http
    // "Server Behavior for Custom Headers").
    const others = type.filter((t) => t !== "null")
    if (others.length === 1 && isHeaderType(others[0])) return { type: others[0] }
  }
  return {
    problem: type === "number"
      ? `its type is "number", which may not carry a header; declare "integer" (with Effect Schema: jsonSchema: { type: "integer", ... })`
      : type === undefined
      ? `it declares no "type"; only "string", "integer" and "boolean" parameters (optionally also "null") may carry a header`
      : `its type is ${JSON.stringify(type)}; only "string", "integer" and "boolean" parameters (optionally also "null") may carry a header`
  }
}

/**
 * Every `x-mcp-header` of a schema: the valid ones as parameters, the rest as
 * problems. Never throws; a cyclic object graph is visited once per node.
 */
export const analyze = (inputSchema: unknown): Analysis => {
  const parameters: Array<HeaderParameter> = []
  const problems: Array<string> = []
  /** Lower-cased name → the property that took it first (uniqueness is case-insensitive). */
  const taken = new Map<string, string>()
  const seen = new Set<object>()
  /** `path` is the chain of `properties` keys while the position is statically reachable, else undefined. */
  const stack: Array<{ readonly schema: unknown; readonly pointer: string; readonly path: ReadonlyArray<string> | undefined }> = [
    { schema: inputSchema, pointer: "", path: [] }
  ]
  while (stack.length > 0) {
    const { path, pointer, schema } = stack.pop()!
    if (!isObject(schema) || seen.has(schema)) continue
    seen.add(schema)
    if (Object.hasOwn(schema, "x-mcp-header")) {
      const where = path !== undefined && path.length > 0 ? `property ${JSON.stringify(path.join("."))}` : `the schema at "${pointer || "/"}"`
      const name = schema["x-mcp-header"]
      const problem = path === undefined
        ? `"x-mcp-header" on ${where} is not statically reachable: only a chain of "properties" keys from the root may lead to it (not items, anyOf/oneOf/allOf/not, if/then/else or $ref)`
        : path.length === 0
        ? `"x-mcp-header" is on the schema root, not on a property`
        : typeof name !== "string"
        ? `"x-mcp-header" of ${where} must be a string`
        : name.length === 0
        ? `"x-mcp-header" of ${where} is empty`
        : !TOKEN.test(name)
        ? `"x-mcp-header" of ${where} is ${JSON.stringify(name)}, not an HTTP field-name token (RFC 9110 section 5.1: letters, digits and !#$%&'*+-.^_\`|~; no space, colon, control or non-ASCII character)`
        : undefined
      if (problem !== undefined) {
        problems.push(problem)
      } else {
        const declared = name as string
        const typed = headerType(schema)
        const first = taken.get(declared.toLowerCase())
        if (first !== undefined) {
          problems.push(`"x-mcp-header" ${JSON.stringify(declared)} of ${where} is also used by ${first} (names are compared case-insensitively)`)
        } else if ("problem" in typed) {
          problems.push(`"x-mcp-header" of ${where}: ${typed.problem}`)
        } else {
          taken.set(declared.toLowerCase(), where)
          parameters.push({ name: declared, header: `mcp-param-${declared.toLowerCase()}`, path: path!, type: typed.type })
        }
      }
    }
    // Pushed in reverse so that properties come off the stack in schema order.
    const children: Array<{ readonly schema: unknown; readonly pointer: string; readonly path: ReadonlyArray<string> | undefined }> = []
    const properties = schema.properties
    if (isObject(properties)) {
      for (const key of Object.keys(properties)) {
        children.push({ schema: properties[key], pointer: `${pointer}/properties/${escape(key)}`, path: path === undefined ? undefined : [...path, key] })
      }
    }
    for (const keyword of ONE_SCHEMA) {
      if (isObject(schema[keyword])) children.push({ schema: schema[keyword], pointer: `${pointer}/${keyword}`, path: undefined })
    }
    for (const keyword of SCHEMA_ARRAYS) {
      const value = schema[keyword]
      if (Array.isArray(value)) value.forEach((item, i) => children.push({ schema: item, pointer: `${pointer}/${keyword}/${i}`, path: undefined }))
    }
    for (const keyword of SCHEMA_MAPS) {
      const value = schema[keyword]
      if (isObject(value)) {
        for (const key of Object.keys(value)) {
          children.push({ schema: value[key], pointer: `${pointer}/${keyword}/${escape(key)}`, path: undefined })
        }
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
  }
  return { parameters, problems }
}

/** Per definition object. */
const cache = new WeakMap<object, Analysis>()

/**
 * The analysis of a tool's `inputSchema`, computed on first use and cached
 * with the definition (a tool's definition is built once, so this is too).
 */
export const analyzeTool = (definition: McpSchema.Tool): Analysis => {
  let analysis = cache.get(definition)
  if (analysis === undefined) {
    analysis = analyze(definition.inputSchema)
    cache.set(definition, analysis)
  }
  return analysis
}
