/**
 * Reading the JSON Schemas of a manifest (tool `inputSchema`/`outputSchema`)
 * for `emcee docs` and `emcee lint`: local `$ref`s, unions, the fields of an
 * object schema flattened with their constraints.
 *
 * @internal
 */

/** A JSON Schema (or any JSON object standing in for one). */
export type JsonSchema = { readonly [key: string]: unknown }

export const isObject = (value: unknown): value is JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Escapes one JSON Pointer segment (RFC 6901). */
export const pointerSegment = (segment: string): string => segment.replace(/~/g, "~0").replace(/\//g, "~1")

/** Joins JSON Pointer segments: `pointer("tools", "a/b")` is `/tools/a~1b`. */
export const pointer = (...segments: ReadonlyArray<string>): string => segments.map((s) => `/${pointerSegment(s)}`).join("")

/** Resolves a local `$ref` (`#/$defs/X`, `#/definitions/X`) against `root`; anything else is returned as is. */
export const resolve = (root: JsonSchema, schema: JsonSchema, seen: ReadonlySet<string> = new Set()): JsonSchema => {
  const ref = schema["$ref"]
  if (typeof ref !== "string" || !ref.startsWith("#/") || seen.has(ref)) return schema
  let target: unknown = root
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~")
    target = isObject(target) ? target[key] : undefined
  }
  if (!isObject(target)) return schema
  const { $ref: _ref, ...rest } = schema
  return resolve(root, { ...target, ...rest }, new Set([...seen, ref]))
}

/** The branches of a union (`anyOf`/`oneOf`), resolved; the schema itself when it is none. */
export const branches = (root: JsonSchema, schema: JsonSchema): ReadonlyArray<JsonSchema> => {
  const resolved = resolve(root, schema)
  const union = resolved["anyOf"] ?? resolved["oneOf"]
  if (Array.isArray(union)) {
    return union.filter(isObject).flatMap((branch) => branches(root, branch))
  }
  return [resolved]
}

const typesOf = (schema: JsonSchema): ReadonlyArray<string> => {
  const type = schema["type"]
  if (typeof type === "string") return [type]
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === "string")
  if (Array.isArray(schema["enum"])) {
    const kinds = new Set(schema["enum"].map((v) => (v === null ? "null" : typeof v)))
    return [...kinds]
  }
  if ("const" in schema) return [schema["const"] === null ? "null" : typeof schema["const"]]
  return []
}

/** A short type for people: `string`, `integer`, `string[]`, `"a" | "b"`, `object`, `any`. */
export const typeLabel = (root: JsonSchema, schema: JsonSchema): string => {
  const labels = branches(root, schema).map((branch) => {
    if (Array.isArray(branch["enum"])) return branch["enum"].map((v) => JSON.stringify(v)).join(" | ")
    if ("const" in branch) return JSON.stringify(branch["const"])
    const types = typesOf(branch)
    if (types.length === 0) return "any"
    return types
      .map((type) => {
        if (type !== "array") return type
        const items = branch["items"]
        return isObject(items) ? `${wrap(typeLabel(root, items))}[]` : "array"
      })
      .join(" | ")
  })
  return [...new Set(labels)].join(" | ")
}

const wrap = (label: string) => (label.includes(" | ") ? `(${label})` : label)

/** Whether a branch of this schema is a string (or may be one). */
export const stringBranches = (root: JsonSchema, schema: JsonSchema): ReadonlyArray<JsonSchema> =>
  branches(root, schema).filter((branch) => {
    const types = typesOf(branch)
    return types.includes("string")
  })

/** Whether a string schema is bounded by `maxLength`, `enum`, `const`, `pattern` or `format`. */
export const isBoundedString = (schema: JsonSchema): boolean =>
  typeof schema["maxLength"] === "number" ||
  Array.isArray(schema["enum"]) ||
  "const" in schema ||
  typeof schema["pattern"] === "string" ||
  typeof schema["format"] === "string"

const constraintKeys = [
  ["minLength", "min length"],
  ["maxLength", "max length"],
  ["pattern", "pattern"],
  ["format", "format"],
  ["minimum", "min"],
  ["maximum", "max"],
  ["exclusiveMinimum", "> "],
  ["exclusiveMaximum", "< "],
  ["multipleOf", "multiple of"],
  ["minItems", "min items"],
  ["maxItems", "max items"],
  ["uniqueItems", "unique items"],
  ["minProperties", "min properties"],
  ["maxProperties", "max properties"],
  ["default", "default"]
] as const

/** The constraints of a schema for people: `max length 64`, `pattern ^a$`, `enum: "a", "b"`, `default 3`. */
export const constraints = (root: JsonSchema, schema: JsonSchema): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const branch of branches(root, schema)) {
    if (Array.isArray(branch["enum"]) && branch["enum"].length > 0) {
      out.push(`one of ${branch["enum"].map((v) => JSON.stringify(v)).join(", ")}`)
    }
    for (const [key, label] of constraintKeys) {
      if (!(key in branch)) continue
      const value = branch[key]
      const shown = key === "pattern" ? `\`${String(value)}\`` : key === "format" ? String(value) : JSON.stringify(value)
      out.push(label.endsWith(" ") ? `${label}${shown}` : `${label} ${shown}`)
    }
    const items = branch["items"]
    if (isObject(items)) {
      const inner = constraints(root, items).filter((c) => !c.startsWith("default"))
      if (inner.length > 0) out.push(`items: ${inner.join(", ")}`)
    }
  }
  return [...new Set(out)]
}

/** One field of an object schema, flattened: `a`, `a.b`, `list[].c`. */
export interface Field {
  readonly name: string
  /** JSON Pointer of the field's schema, relative to the schema walked. */
  readonly pointer: string
  readonly schema: JsonSchema
  readonly required: boolean
}

/**
 * The fields of an object schema, in declaration order, with the fields of
 * nested objects (and of objects in arrays) after their parent.
 */
export const fields = (root: JsonSchema, schema: JsonSchema = root): ReadonlyArray<Field> => {
  const out: Array<Field> = []
  const walk = (current: JsonSchema, prefix: string, at: string, depth: number): void => {
    if (depth > 8) return
    for (const branch of branches(root, current)) {
      const properties = branch["properties"]
      if (!isObject(properties)) continue
      const required = Array.isArray(branch["required"]) ? branch["required"] : []
      for (const [key, value] of Object.entries(properties)) {
        if (!isObject(value)) continue
        const name = prefix === "" ? key : `${prefix}.${key}`
        const here = `${at}/properties/${pointerSegment(key)}`
        const resolved = resolve(root, value)
        out.push({ name, pointer: here, schema: resolved, required: required.includes(key) })
        walk(resolved, name, here, depth + 1)
        for (const item of branches(root, resolved)) {
          if (isObject(item["items"])) walk(resolve(root, item["items"]), `${name}[]`, `${here}/items`, depth + 1)
        }
      }
    }
  }
  walk(schema, "", "", 0)
  return out
}
