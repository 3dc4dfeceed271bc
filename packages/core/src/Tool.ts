/**
 * Tools: functions a model can call (spec 2025-11-25 server/tools).
 *
 * A tool's arguments are described by an Effect Schema; its `inputSchema` is
 * derived from it (JSON Schema 2020-12), and arguments that fail it are
 * answered with an `isError` result before the handler runs (spec
 * server/tools "Error Handling": input validation errors are tool execution
 * errors). An optional output Schema yields `outputSchema` and
 * `structuredContent`.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Tool } from "@emcee/core"
 *
 * const echo = Tool.make("echo", {
 *   description: "Echoes its input",
 *   input: Schema.Struct({ text: Schema.String }),
 *   handler: ({ text }) => Effect.succeed(text)
 * })
 *
 * @since 0.1.0
 */
import { Effect, Either, JSONSchema, ParseResult, Schema, type SchemaAST } from "effect"
import type * as Content from "./Content.js"
import { describe, InternalError, isProtocolError, type ProtocolError } from "./McpError.js"
import type * as McpSchema from "./McpSchema.js"
import type * as Middleware from "./Middleware.js"
import type { RequestContext } from "./RequestContext.js"

/** What a handler without an output schema may return. */
export type Result =
  | string
  | ReadonlyArray<Content.Block>
  | {
    readonly content: ReadonlyArray<Content.Block>
    readonly structuredContent?: { readonly [key: string]: unknown }
    readonly isError?: boolean
    readonly _meta?: { readonly [key: string]: unknown }
  }

/** A Schema for tool arguments: decodes from a JSON object and needs no services. */
export type InputSchema = Schema.Schema.AnyNoContext

/** A Schema for structured output: encodes to a JSON object and needs no services. */
export type OutputSchema = Schema.Schema.AnyNoContext

/**
 * A tool ready to register. `R` is what its handler and middleware need, less
 * the per-request `RequestContext` the server provides.
 */
export interface Tool<out Name extends string = string, out R = never> {
  readonly _tag: "Tool"
  readonly name: Name
  /** The entry for `tools/list`, computed once. */
  readonly definition: McpSchema.Tool
  /** Decodes the arguments, runs the handler and builds the `CallToolResult`. */
  readonly call: (args: unknown) => Effect.Effect<McpSchema.CallToolResult, ProtocolError, R | RequestContext>
  readonly middleware: ReadonlyArray<Middleware.Middleware<R>>
}

/** Any tool, whatever it needs. */
export type Any = Tool<string, unknown>

/** Metadata shared by both forms of `make`. */
export interface Options<In extends InputSchema, R> {
  readonly title?: string
  readonly description?: string
  /** The arguments; omitted means the tool takes none. */
  readonly input?: In
  readonly annotations?: McpSchema.ToolAnnotations
  readonly icons?: ReadonlyArray<McpSchema.Icon>
  readonly execution?: McpSchema.Tool["execution"]
  readonly _meta?: { readonly [key: string]: unknown }
  /** Middleware around this tool only, innermost last. */
  readonly middleware?: ReadonlyArray<Middleware.Middleware<R>>
}

type InputOf<In extends InputSchema> = Schema.Schema.Type<In>

const EmptyInput = Schema.Struct({})

/**
 * The `inputSchema` of a tool without arguments (spec 2025-11-25 server/tools
 * "Tool": "For tools with no parameters ... Recommended"). `JSONSchema.make`
 * of an empty struct is `anyOf: [object, array]`, which breaks the `Tool`
 * schema's `type: "object"`.
 */
const NoParameters = { type: "object", additionalProperties: false } as const

/**
 * Defines a tool.
 *
 * With `output`, the handler returns the structured value; the result carries
 * it as `structuredContent` and, for older clients, as JSON text content.
 * Without it, the handler returns text, content blocks or a whole result.
 * A handler failure becomes an `isError` result whose text is the error's
 * message; a protocol error (for example `UrlElicitationRequired`) stays a
 * JSON-RPC error.
 */
export function make<
  const Name extends string,
  In extends InputSchema = typeof EmptyInput,
  Out extends OutputSchema = never,
  E = never,
  R = never,
  RM = never
>(
  name: Name,
  options: Options<In, RM> & {
    readonly output: Out
    readonly handler: (input: InputOf<In>) => Effect.Effect<Schema.Schema.Type<Out>, E, R>
  }
): Tool<Name, Exclude<R | RM, RequestContext>>
export function make<
  const Name extends string,
  In extends InputSchema = typeof EmptyInput,
  E = never,
  R = never,
  RM = never
>(
  name: Name,
  options: Options<In, RM> & {
    readonly handler: (input: InputOf<In>) => Effect.Effect<Result, E, R>
  }
): Tool<Name, Exclude<R | RM, RequestContext>>
export function make(
  name: string,
  options: Options<InputSchema, unknown> & {
    readonly output?: OutputSchema
    readonly handler: (input: unknown) => Effect.Effect<unknown, unknown, unknown>
  }
): Tool<string, unknown> {
  const input: InputSchema = options.input ?? EmptyInput
  const decodeWithSchema = Schema.decodeUnknownEither(input, { errors: "all", onExcessProperty: "error" })
  const fast = fastDecoder(input)
  const decode = fast === undefined ? decodeWithSchema : (args: unknown) => {
    const value = fast(args)
    return value === undefined ? decodeWithSchema(args) : Either.right(value)
  }
  const output = options.output
  const encodeOutput = output === undefined ? undefined : Schema.encodeEither(output)
  const definition: McpSchema.Tool = {
    name,
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.description === undefined ? {} : { description: options.description }),
    inputSchema: (options.input === undefined ? NoParameters : jsonSchemaOf(input)) as McpSchema.Tool["inputSchema"],
    ...(output === undefined ? {} : { outputSchema: jsonSchemaOf(output) as NonNullable<McpSchema.Tool["outputSchema"]> }),
    ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
    ...(options.icons === undefined ? {} : { icons: options.icons }),
    ...(options.execution === undefined ? {} : { execution: options.execution }),
    ...(options._meta === undefined ? {} : { _meta: options._meta })
  } as McpSchema.Tool
  const handler = options.handler
  const onSuccess = (value: unknown): Effect.Effect<McpSchema.CallToolResult, ProtocolError> => {
    if (encodeOutput === undefined) return Effect.succeed(toResult(value as Result))
    const encoded = encodeOutput(value)
    if (Either.isLeft(encoded)) {
      return Effect.fail(new InternalError({ message: `Tool ${name} returned output that does not match its outputSchema` }))
    }
    const structuredContent = encoded.right as { readonly [key: string]: unknown }
    return Effect.succeed({
      content: [{ type: "text", text: JSON.stringify(structuredContent) }],
      structuredContent
    } as McpSchema.CallToolResult)
  }
  const onFailure = (error: unknown): Effect.Effect<McpSchema.CallToolResult, ProtocolError> =>
    isProtocolError(error) ? Effect.fail(error) : Effect.succeed(errorResult(describe(error)))
  const call = (args: unknown): Effect.Effect<McpSchema.CallToolResult, ProtocolError, unknown> => {
    const decoded = decode(args ?? {})
    if (Either.isLeft(decoded)) {
      return Effect.succeed(errorResult(`Invalid arguments for tool ${name}: ${formatIssues(decoded.left)}`))
    }
    // One step for both outcomes (a handler failure is a result, a protocol error stays an error).
    return Effect.matchEffect(handler(decoded.right), { onSuccess, onFailure })
  }
  return {
    _tag: "Tool",
    name,
    definition,
    call,
    middleware: options.middleware ?? []
  }
}

const primitiveTypes: Partial<Record<SchemaAST.AST["_tag"], string>> = {
  StringKeyword: "string",
  NumberKeyword: "number",
  BooleanKeyword: "boolean"
}

/**
 * Validation without Schema's interpreter for the commonest tool input, a
 * Struct of required string / number / boolean fields (about 1 µs less per
 * call). What it accepts is exactly what Schema would (an object with those
 * fields, nothing more) and it returns what Schema would decode it to (a
 * copy with the fields in declaration order); anything else, or any other
 * schema, goes through Schema, which also words the errors.
 */
const fastDecoder = (schema: InputSchema): ((input: unknown) => object | undefined) | undefined => {
  const ast = schema.ast
  if (ast._tag !== "TypeLiteral" || ast.indexSignatures.length > 0) return undefined
  const keys: Array<string> = []
  const types: Array<string> = []
  for (const property of ast.propertySignatures) {
    const type = primitiveTypes[property.type._tag]
    if (property.isOptional || typeof property.name !== "string" || type === undefined) return undefined
    keys.push(property.name)
    types.push(type)
  }
  return (input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined
    // onExcessProperty "error": any other own key (symbols included) is Schema's to report.
    // (`Reflect.ownKeys` counts the same, at twice the cost.)
    if (Object.getOwnPropertyNames(input).length + Object.getOwnPropertySymbols(input).length !== keys.length) return undefined
    const output: Record<string, unknown> = {}
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (!Object.hasOwn(input, key)) return undefined
      const value = (input as Record<string, unknown>)[key]
      if (typeof value !== types[i]) return undefined
      output[key] = value
    }
    return output
  }
}

/** An `isError` result with one text block. */
export const errorResult = (message: string): McpSchema.CallToolResult =>
  ({ content: [{ type: "text", text: message }], isError: true }) as McpSchema.CallToolResult

const toResult = (value: Result): McpSchema.CallToolResult => {
  if (typeof value === "string") return { content: [{ type: "text", text: value }] } as McpSchema.CallToolResult
  if (Array.isArray(value)) return { content: value } as McpSchema.CallToolResult
  return value as McpSchema.CallToolResult
}

/** Formats Schema issues as `path: message` lines for a model to read and correct. */
export const formatIssues = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
    .join("; ")

/**
 * JSON Schema 2020-12 for a Schema, the default dialect of MCP 2025-11-25
 * (spec basic/index "JSON Schema Usage"). The `$schema` key is left out
 * because 2020-12 is what a schema without one means.
 */
export const jsonSchemaOf = (schema: Schema.Schema.AnyNoContext): { readonly [key: string]: unknown } => {
  const { $schema: _ignored, ...rest } = JSONSchema.make(schema, { target: "jsonSchema2020-12" }) as unknown as { [key: string]: unknown }
  return rest
}
