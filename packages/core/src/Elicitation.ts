/**
 * `elicitation/create` from inside a handler: ask the user for input
 * (spec 2025-11-25 client/elicitation), in form mode (a flat JSON Schema the
 * client renders) or URL mode (the user completes an interaction out of band).
 *
 * A client that declared `elicitation: {}` supports form mode only; URL mode
 * needs `elicitation.url` (spec client/elicitation "Capabilities").
 *
 * A form is best described by an Effect Schema: its `requestedSchema` is
 * derived from it and the user's answer comes back decoded and typed.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Elicitation } from "@emcee/core"
 *
 * const ask = Elicitation.form("Who are you?", Schema.Struct({ name: Schema.String, age: Schema.optional(Schema.Number) })).pipe(
 *   Effect.map((answer) => answer.action === "accept" ? `Hello ${answer.content.name}` : "No answer")
 * )
 *
 * @since 0.1.0
 */
import { Effect, Either, Option, ParseResult, Schema, SchemaAST } from "effect"
import type { RequestOptions } from "./ClientSession.js"
import { clientRequest } from "./internal/clientRequest.js"
import { type ClientRequestError, ElicitationContentInvalid } from "./McpError.js"
import * as McpSchema from "./McpSchema.js"
import { RequestContext } from "./RequestContext.js"
import type { Session } from "./internal/dispatch.js"
import { formatIssues } from "./Tool.js"

const supportsForm = (c: McpSchema.ClientCapabilities): boolean => {
  const e = c.elicitation as { readonly form?: unknown; readonly url?: unknown } | undefined
  if (e === undefined) return false
  return e.form !== undefined || e.url === undefined
}

const supportsUrl = (c: McpSchema.ClientCapabilities): boolean => {
  const e = c.elicitation as { readonly url?: unknown } | undefined
  return e !== undefined && e.url !== undefined
}

/** The `requestedSchema` of a form (spec 2025-11-25 client/elicitation "Requested Schema"). */
export type RequestedSchema = McpSchema.ElicitRequestFormParams["requestedSchema"]

/**
 * What a form's fields may encode to (spec client/elicitation "Requested
 * Schema": a flat object of primitives, plus string arrays for multi-select
 * enums).
 */
export interface FormFields {
  readonly [key: string]: string | number | boolean | ReadonlyArray<string> | undefined
}

/**
 * `S` when it encodes to a flat object of primitive fields; otherwise a type
 * no Schema has, so that `form` refuses it at compile time.
 */
export type ValidForm<S extends Schema.Schema.AnyNoContext> = Schema.Schema.Encoded<S> extends FormFields ? unknown
  : { readonly "Elicitation.form: the schema must encode to a flat object of string, number, boolean or string-array fields": never }

/** The user's answer to a form described by a Schema of type `A` (spec client/elicitation "Response Actions"). */
export type FormResult<A> =
  | { readonly action: "accept"; readonly content: A }
  | { readonly action: "decline" }
  | { readonly action: "cancel" }

/**
 * Asks the user to fill in a form (spec 2025-11-25 client/elicitation "Form
 * Mode Elicitation Requests").
 *
 * Given an Effect Schema, sends the `requestedSchema` derived from it (see
 * `requestedSchema`) and, on `accept`, decodes `content` with it: content
 * that does not decode fails with `ElicitationContentInvalid`. A schema that
 * does not encode to flat primitive fields does not compile.
 *
 * Given a JSON `requestedSchema`, sends it as is and returns the raw result.
 */
export function form<S extends Schema.Schema.AnyNoContext>(
  message: string,
  schema: S & ValidForm<S>,
  options?: Pick<RequestOptions, "timeoutMillis" | "inputKey">
): Effect.Effect<FormResult<Schema.Schema.Type<S>>, ClientRequestError | ElicitationContentInvalid, RequestContext>
export function form(
  message: string,
  requestedSchema: RequestedSchema,
  options?: Pick<RequestOptions, "timeoutMillis" | "inputKey">
): Effect.Effect<McpSchema.ElicitResult, ClientRequestError, RequestContext>
export function form(
  message: string,
  schema: Schema.Schema.AnyNoContext | RequestedSchema,
  options?: Pick<RequestOptions, "timeoutMillis" | "inputKey">
): Effect.Effect<unknown, ClientRequestError | ElicitationContentInvalid, RequestContext> {
  if (!Schema.isSchema(schema)) {
    return clientRequest(
      "elicitation/create",
      "elicitation.form",
      supportsForm,
      { mode: "form", message, requestedSchema: schema },
      McpSchema.ElicitResult,
      options
    )
  }
  return Effect.suspend(() => {
    let requested: RequestedSchema
    try {
      requested = requestedSchema(schema)
    } catch (e) {
      return Effect.die(e)
    }
    const decode = Schema.decodeUnknownEither(schema, { errors: "all" })
    return clientRequest(
      "elicitation/create",
      "elicitation.form",
      supportsForm,
      { mode: "form", message, requestedSchema: requested },
      AnyElicitResult,
      options
    ).pipe(
      Effect.flatMap((result): Effect.Effect<FormResult<unknown>, ElicitationContentInvalid, RequestContext> => {
        if (result.action !== "accept") return Effect.succeed({ action: result.action })
        const decoded = decode(result.content ?? {})
        if (Either.isRight(decoded)) return Effect.succeed({ action: "accept", content: decoded.right })
        const message = `The form's content does not match its schema: ${formatIssues(decoded.left)}`
        // Under 2026-07-28 the answer is part of the request: content that does not fit is the client's
        // invalid params (spec 2026-07-28 basic/patterns/mrtr "Error Handling").
        return Effect.flatMap(RequestContext, ({ session }) => {
          const rounds = (session as Session).rounds
          return rounds === undefined ? Effect.fail(new ElicitationContentInvalid({ message })) : rounds.invalidAnswer(`inputResponses: ${message}`)
        })
      })
    )
  })
}

/**
 * The result as sent, `content` left to the form's Schema (whose numbers need
 * not be integers, unlike schema.json's `ElicitResult`).
 */
const AnyElicitResult = Schema.Struct({
  action: Schema.Literal("accept", "decline", "cancel"),
  content: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

// --- requestedSchema from a Schema ---------------------------------------------

const derived = new WeakMap<SchemaAST.AST, RequestedSchema>()

/** Thrown (and, from `form`, a defect) for a Schema a form cannot express. */
const unsupported = (why: string): Error =>
  new Error(`Elicitation.form: ${why} (spec 2025-11-25 client/elicitation "Requested Schema" allows only a flat object of string, number, integer, boolean and enum fields)`)

/** String formats a form may ask for (spec schema.json `StringSchema.format`). */
const formats: ReadonlySet<string> = new Set(["date", "date-time", "email", "uri"])

/** Constraints each kind of field may carry; others (a `pattern`, say) are left for decoding to check. */
const stringKeys = ["minLength", "maxLength", "format"] as const
const numberKeys = ["minimum", "maximum"] as const
const arrayKeys = ["minItems", "maxItems"] as const

const keywordDefaults: Partial<Record<SchemaAST.AST["_tag"], SchemaAST.Annotations>> = {
  StringKeyword: SchemaAST.stringKeyword.annotations,
  NumberKeyword: SchemaAST.numberKeyword.annotations,
  BooleanKeyword: SchemaAST.booleanKeyword.annotations
}

/**
 * A title or description annotation of a field's type, unless it is one Effect
 * wrote: a keyword's default (`"a string"`) or a built-in filter's (`"maxLength(20)"`,
 * recognised by its schema id). Annotate the property signature to title
 * such a field.
 */
const textAnnotation = (ast: SchemaAST.AST, get: (a: SchemaAST.Annotated) => Option.Option<string>): string | undefined => {
  if (ast._tag === "Refinement" && Option.isSome(SchemaAST.getSchemaIdAnnotation(ast))) return undefined
  const value = Option.getOrUndefined(get(ast))
  if (value === undefined) return undefined
  const defaults = keywordDefaults[ast._tag]
  return defaults !== undefined && Option.getOrUndefined(get({ annotations: defaults })) === value ? undefined : value
}

interface Field {
  kind: "string" | "number" | "integer" | "boolean" | "array"
  enum?: Array<string>
  items?: Array<string>
  constraints: Record<string, unknown>
}

const stringLiterals = (ast: SchemaAST.AST): Array<string> | undefined => {
  const members = ast._tag === "Union" ? ast.types : [ast]
  const values: Array<string> = []
  for (const member of members) {
    if (member._tag === "Literal" && typeof member.literal === "string") values.push(member.literal)
    else if (member._tag === "Enums" && member.enums.every(([, v]) => typeof v === "string")) {
      for (const [, v] of member.enums) values.push(v as string)
    } else return undefined
  }
  return values
}

/** The field a property's (encoded) type describes, refinements' JSON Schema constraints gathered. */
const fieldOf = (ast: SchemaAST.AST, key: string): Field => {
  const constraints: Record<string, unknown> = {}
  for (let depth = 0; depth < 100; depth++) {
    // The outermost word wins: `Schema.String.annotations({ jsonSchema: { format: "email" } })`, `Schema.minLength(2)`.
    const annotation = SchemaAST.getJSONSchemaAnnotation(ast)
    if (Option.isSome(annotation)) {
      for (const [k, v] of Object.entries(annotation.value)) if (!(k in constraints)) constraints[k] = v
    }
    switch (ast._tag) {
      case "Refinement":
        ast = ast.from
        continue
      case "Transformation":
        ast = ast.from
        continue
      case "Suspend":
        ast = ast.f()
        continue
      case "StringKeyword":
        return { kind: "string", constraints }
      case "NumberKeyword":
        return { kind: constraints.type === "integer" ? "integer" : "number", constraints }
      case "BooleanKeyword":
        return { kind: "boolean", constraints }
      case "Literal":
      case "Enums":
      case "Union": {
        const members = ast._tag === "Union" ? ast.types.filter((t) => t._tag !== "UndefinedKeyword") : [ast]
        if (members.length === 1 && members[0] !== ast) {
          ast = members[0]!
          continue
        }
        const values = stringLiterals(members.length === 1 ? members[0]! : SchemaAST.Union.make(members))
        if (values !== undefined && values.length > 0) return { kind: "string", enum: values, constraints }
        if (ast._tag === "Literal" && typeof ast.literal === "boolean") return { kind: "boolean", constraints }
        if (ast._tag === "Literal" && typeof ast.literal === "number") return { kind: "number", constraints }
        throw unsupported(`field "${key}" is a union that is not an enum of strings`)
      }
      case "TupleType": {
        const items = ast.elements.length === 0 && ast.rest.length === 1 ? stringLiterals(SchemaAST.encodedAST(ast.rest[0]!.type)) : undefined
        if (items === undefined || items.length === 0) throw unsupported(`field "${key}" is an array that is not a multi-select of string literals`)
        return { kind: "array", items, constraints }
      }
      default:
        throw unsupported(`field "${key}" is ${String(ast)}, not a primitive`)
    }
  }
  throw unsupported(`field "${key}" is nested too deeply`)
}

const pick = (from: Record<string, unknown>, keys: ReadonlyArray<string>, into: Record<string, unknown>) => {
  for (const k of keys) if (from[k] !== undefined) into[k] = from[k]
}

/**
 * The `requestedSchema` for a form Schema (spec 2025-11-25 client/elicitation
 * "Requested Schema"): a flat object whose fields are strings (with
 * `minLength` / `maxLength` and a `format` of date, date-time, email or uri,
 * from a `jsonSchema` annotation), numbers or integers (`Schema.Int`, with
 * `minimum` / `maximum`), booleans, string enums (`Schema.Literal("a", "b")`)
 * and multi-select arrays of string enums. `title`, `description` and
 * `default` come from the field's annotations (those Effect writes itself for
 * its keywords and built-in filters are left out: to title a refined field,
 * annotate its property signature, e.g.
 * `Schema.propertySignature(Schema.Int).annotations({ title: "Age" })`).
 * Fields not `Schema.optional` are `required`.
 *
 * Throws for a Schema that cannot be expressed (nested objects, arrays of
 * other things, unions of different kinds). Constraints a form cannot carry
 * (a `pattern`, a custom filter) are not sent; decoding the answer checks
 * them.
 */
export const requestedSchema = (schema: Schema.Schema.AnyNoContext): RequestedSchema => {
  const cached = derived.get(schema.ast)
  if (cached !== undefined) return cached
  let ast = schema.ast
  while (ast._tag === "Transformation" || ast._tag === "Refinement") ast = ast.from
  if (ast._tag !== "TypeLiteral") throw unsupported(`the schema is ${String(schema.ast)}, not a struct`)
  if (ast.indexSignatures.length > 0) throw unsupported("the struct has an index signature")
  const properties: Record<string, McpSchema.PrimitiveSchemaDefinition> = {}
  const required: Array<string> = []
  for (const property of ast.propertySignatures) {
    if (typeof property.name !== "string") throw unsupported("a field's name is not a string")
    const key = property.name
    const field = fieldOf(property.type, key)
    const out: Record<string, unknown> = { type: field.kind }
    const title = Option.getOrUndefined(SchemaAST.getTitleAnnotation(property)) ?? textAnnotation(property.type, SchemaAST.getTitleAnnotation)
    const description = Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(property)) ??
      textAnnotation(property.type, SchemaAST.getDescriptionAnnotation)
    if (title !== undefined) out.title = title
    if (description !== undefined) out.description = description
    switch (field.kind) {
      case "string":
        pick(field.constraints, stringKeys, out)
        if (out.format !== undefined && !formats.has(String(out.format))) delete out.format
        if (field.enum !== undefined) out.enum = field.enum
        break
      case "number":
      case "integer":
        pick(field.constraints, numberKeys, out)
        break
      case "array":
        pick(field.constraints, arrayKeys, out)
        out.items = { type: "string", enum: field.items }
        break
      case "boolean":
        break
    }
    const fallback = Option.getOrUndefined(SchemaAST.getDefaultAnnotation(property)) ?? Option.getOrUndefined(SchemaAST.getDefaultAnnotation(property.type))
    if (fallback !== undefined) out.default = fallback
    properties[key] = out as McpSchema.PrimitiveSchemaDefinition
    if (!property.isOptional) required.push(key)
  }
  const result: RequestedSchema = { type: "object", properties, ...(required.length > 0 ? { required } : {}) }
  const valid = Schema.decodeUnknownEither(McpSchema.ElicitRequestFormParams.fields.requestedSchema)(result)
  if (Either.isLeft(valid)) throw unsupported(ParseResult.TreeFormatter.formatErrorSync(valid.left))
  derived.set(schema.ast, result)
  return result
}

/** Asks the user to visit `url` (for example to authorize a third party) and says when they have. */
export const url = (
  params: { readonly message: string; readonly url: string; readonly elicitationId: string },
  options?: Pick<RequestOptions, "timeoutMillis" | "inputKey">
): Effect.Effect<McpSchema.ElicitResult, ClientRequestError, RequestContext> =>
  clientRequest(
    "elicitation/create",
    "elicitation.url",
    supportsUrl,
    { mode: "url", ...params },
    McpSchema.ElicitResult,
    options
  )
