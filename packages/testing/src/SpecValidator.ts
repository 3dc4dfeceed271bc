/**
 * Validates values against definitions of the official MCP JSON schema
 * (`schema.json`) using ajv: draft 2020-12 documents through
 * `ajv/dist/2020.js` (2025-11-25, 2026-07-28), anything else (older, draft-07
 * revisions) through `ajv`.
 *
 * Validators are compiled lazily, once per definition name, and cached.
 * The package also ships the 2026-07-28 example messages ({@link examples})
 * and which definition judges each 2026-07-28 response
 * ({@link resultResponseDefinitions20260728}, {@link errorDefinitions20260728}).
 *
 * @example
 * ```ts
 * import * as SpecValidator from "@emcee/testing/SpecValidator"
 * const validator = SpecValidator.fromFile(SpecValidator.defaultSchemaPath)
 * const outcome = validator.validate("CallToolResult", { content: [] })
 * if (!outcome.valid) console.error(outcome.errors)
 * ```
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Ajv } from "ajv"
import { Ajv2020 } from "ajv/dist/2020.js"
import type { ValidateFunction } from "ajv"

/** Outcome of validating a value against one schema.json definition. */
export type ValidationOutcome = { readonly valid: true } | { readonly valid: false; readonly errors: string }

/** A validator bound to one schema.json document. */
export interface SpecValidator {
  /** The `$schema` dialect URI declared by the document (if any). */
  readonly dialect: string | undefined
  /** The names of all definitions (`$defs`, or `definitions` for draft-07 documents). */
  readonly definitionNames: ReadonlyArray<string>
  /** Validates `value` against the named definition. Throws if the definition does not exist. */
  readonly validate: (definitionName: string, value: unknown) => ValidationOutcome
}

/** The MCP revisions whose schema.json this package ships (in `spec/`, with the specification's license note). */
export type Revision = "2025-11-25" | "2026-07-28"

/**
 * Path of a revision's schema.json in this package's own copy of the
 * specification (`<package>/spec/<revision>/schema.json`; the same from
 * `src/` and from `dist/`).
 */
export const schemaPath = (revision: Revision): string =>
  fileURLToPath(new URL(`../spec/${revision}/schema.json`, import.meta.url))

/** Path of the MCP 2025-11-25 schema.json (see {@link schemaPath}). */
export const defaultSchemaPath: string = schemaPath("2025-11-25")

/**
 * Path of a revision's `examples/` directory in this package's copy of the
 * specification: one folder per schema.json definition, holding example
 * messages of that definition. 2025-11-25 ships none.
 */
export const examplesPath = (revision: Revision): string =>
  fileURLToPath(new URL(`../spec/${revision}/examples`, import.meta.url))

/** One example message shipped with the specification. */
export interface Example {
  /** The schema.json definition the example is an instance of (its folder's name). */
  readonly definition: string
  /** The file name, e.g. `call-tool-request.json`. */
  readonly file: string
  /** The parsed JSON. */
  readonly value: unknown
}

/**
 * Every example message of a revision (`examples/<Definition>/<name>.json`),
 * sorted by definition then file; empty for a revision without examples.
 */
export const examples = (revision: Revision): ReadonlyArray<Example> => {
  const root = examplesPath(revision)
  if (!existsSync(root)) return []
  const out: Array<Example> = []
  for (const definition of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const file of readdirSync(`${root}/${definition}`).filter((f) => f.endsWith(".json")).sort()) {
      out.push({ definition, file, value: JSON.parse(readFileSync(`${root}/${definition}/${file}`, "utf8")) })
    }
  }
  return out
}

/**
 * The schema.json definition of the whole successful response to each
 * 2026-07-28 client request (`{ jsonrpc, id, result }`; spec 2026-07-28
 * schema "*ResultResponse"). `tools/call`, `prompts/get` and
 * `resources/read` admit an `InputRequiredResult` too (basic/patterns/mrtr
 * "Supported Requests").
 */
export const resultResponseDefinitions20260728: { readonly [method: string]: string } = {
  "server/discover": "DiscoverResultResponse",
  "tools/list": "ListToolsResultResponse",
  "tools/call": "CallToolResultResponse",
  "prompts/list": "ListPromptsResultResponse",
  "prompts/get": "GetPromptResultResponse",
  "resources/list": "ListResourcesResultResponse",
  "resources/templates/list": "ListResourceTemplatesResultResponse",
  "resources/read": "ReadResourceResultResponse",
  "completion/complete": "CompleteResultResponse",
  "subscriptions/listen": "SubscriptionsListenResultResponse"
}

/**
 * The schema.json definition of the `error` member of a 2026-07-28 error
 * response with a standard JSON-RPC code (spec 2026-07-28 basic/index
 * "Error Codes"). The MCP codes -32020 to -32022 are defined on the whole
 * response instead: see {@link errorResponseDefinitions20260728}.
 */
export const errorDefinitions20260728: { readonly [code: number]: string } = {
  [-32700]: "ParseError",
  [-32600]: "InvalidRequestError",
  [-32601]: "MethodNotFoundError",
  [-32602]: "InvalidParamsError",
  [-32603]: "InternalError"
}

/**
 * The schema.json definition of a whole 2026-07-28 error response
 * (`{ jsonrpc, id?, error }`) with an MCP error code (spec 2026-07-28
 * basic/index "Error Codes").
 */
export const errorResponseDefinitions20260728: { readonly [code: number]: string } = {
  [-32020]: "HeaderMismatchError",
  [-32021]: "MissingRequiredClientCapabilityError",
  [-32022]: "UnsupportedProtocolVersionError"
}


/** Lightweight checks for the non-standard / non-built-in formats used by schema.json. */
const formats = {
  // RFC 3986 absolute URI: a scheme followed by ':' and no whitespace.
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/,
  // RFC 6570 URI template: any string without whitespace and with balanced braces.
  "uri-template": (s: string): boolean => /^[^\s]*$/.test(s) && /^(?:[^{}]|\{[^{}]*\})*$/.test(s),
  // OpenAPI "byte": base64 encoded data.
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
} as const

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Creates a validator from an already-parsed schema.json document. */
export const make = (schemaJson: object): SpecValidator => {
  const document = schemaJson as Record<string, unknown>
  const dialect = typeof document["$schema"] === "string" ? document["$schema"] : undefined
  const defsKey = isRecord(document["$defs"]) ? "$defs" : "definitions"
  const defs = document[defsKey]
  const definitionNames = isRecord(defs) ? Object.keys(defs) : []

  // MCP 2025-11-25 declares draft 2020-12; older revisions were published as draft-07.
  const options = { strict: false, allErrors: true } as const
  const ajv = dialect !== undefined && dialect.includes("/draft/2020-12/") ? new Ajv2020(options) : new Ajv(options)
  for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format)
  // Register the whole document once; definitions are referenced by JSON pointer.
  const schemaId = "mcp://schema.json"
  ajv.addSchema({ ...document, $id: schemaId })

  const cache = new Map<string, ValidateFunction>()
  const validatorFor = (definitionName: string): ValidateFunction => {
    const cached = cache.get(definitionName)
    if (cached !== undefined) return cached
    if (!definitionNames.includes(definitionName)) {
      throw new Error(`Unknown schema.json definition: ${definitionName}`)
    }
    const ref = `${schemaId}#/${defsKey}/${encodeURIComponent(definitionName)}`
    const compiled = ajv.getSchema(ref)
    if (compiled === undefined) throw new Error(`ajv could not resolve ${ref}`)
    cache.set(definitionName, compiled)
    return compiled
  }

  return {
    dialect,
    definitionNames,
    validate: (definitionName, value) => {
      const validateFn = validatorFor(definitionName)
      if (validateFn(value)) return { valid: true }
      return { valid: false, errors: ajv.errorsText(validateFn.errors, { dataVar: definitionName }) }
    }
  }
}

/** Reads and parses a schema.json file, then creates a validator for it. */
export const fromFile = (path: string): SpecValidator => {
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"))
  if (!isRecord(parsed)) throw new Error(`${path} does not contain a JSON object`)
  return make(parsed)
}
