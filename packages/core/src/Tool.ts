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
 * ## Parameters mirrored into HTTP headers (`x-mcp-header`)
 *
 * Under 2026-07-28 a parameter may be mirrored by clients into an
 * `Mcp-Param-{Name}` header on Streamable HTTP, so that load balancers and
 * gateways can route on it (spec 2026-07-28 server/tools "x-mcp-header").
 * Put the annotation on the field with a `jsonSchema` annotation, which the
 * derived `inputSchema` carries through:
 *
 * @example
 * const query = Tool.make("execute_sql", {
 *   input: Schema.Struct({
 *     region: Schema.String.annotations({ jsonSchema: { "x-mcp-header": "Region" } }),
 *     // Schema.Int derives `"type": "number"`, which may not carry a header: say "integer".
 *     priority: Schema.optional(Schema.Int.annotations({ jsonSchema: { type: "integer", "x-mcp-header": "Priority" } })),
 *     dryRun: Schema.Boolean.annotations({ jsonSchema: { "x-mcp-header": "Dry-Run" } }),
 *     // A nullable one: the annotation replaces the union's `anyOf`, so give its type.
 *     tenant: Schema.NullOr(Schema.String).annotations({ jsonSchema: { type: ["string", "null"], "x-mcp-header": "Tenant" } }),
 *     query: Schema.String
 *   }),
 *   handler: ({ query }) => runQuery(query)
 * })
 *
 * The annotated field must be reachable from the root through struct fields
 * only: not inside an array, a union, or a struct with an `identifier`
 * annotation (that becomes a `$ref`). `make` throws, naming the tool and the
 * property, when an annotation breaks a rule of the spec (a header name that
 * is not an RFC 9110 token, names equal ignoring case, a type other than
 * string, integer or boolean, a position not statically reachable), since
 * clients drop such a tool from `tools/list`. The HTTP transport checks each
 * `tools/call` of such a tool: a header missing, present without its value,
 * or different from the body is refused with 400 and `HeaderMismatch`.
 * Do not mark secrets or personal data: intermediaries see headers.
 *
 * @since 0.1.0
 */
import { Effect, Either, JSONSchema, Option, ParseResult, Schema, SchemaAST } from "effect"
import type * as Content from "./Content.js"
import { clip, describe, InternalError, InvalidParams, isProtocolError, preview, type ProtocolError } from "./McpError.js"
import type * as McpSchema from "./McpSchema.js"
import type * as Middleware from "./Middleware.js"
import type { RequestContext } from "./RequestContext.js"
import type * as Task from "./Task.js"
import * as ToolHeaders from "./internal/toolHeaders.js"

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

/** A Schema for a tool's declared failure: encodes to JSON and needs no services. */
export type FailureSchema = Schema.Schema.AnyNoContext

/**
 * What a handler may fail with: without a `failure` schema (`F` is `never`)
 * anything, inferred as `E`; with one, the schema's type or a protocol error
 * (which stays a JSON-RPC error).
 */
export type HandlerError<F extends FailureSchema, E> = [F] extends [never] ? E : Schema.Schema.Type<F> | ProtocolError

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
  /** Middleware around this tool only, outermost first. */
  readonly middleware: ReadonlyArray<Middleware.Any>
  /** How it runs as a task (see `Task`); undefined: as its `execution.taskSupport` says. */
  readonly task?: Task.ToolOptions | undefined
}

/** Any tool, whatever it needs. */
export type Any = Tool<string, unknown>

/** Metadata shared by both forms of `make`. */
export interface Options<In extends InputSchema, P = never, RM = never> {
  readonly title?: string
  readonly description?: string
  /** The arguments; omitted means the tool takes none. */
  readonly input?: In
  readonly annotations?: McpSchema.ToolAnnotations
  readonly icons?: ReadonlyArray<McpSchema.Icon>
  readonly execution?: McpSchema.Tool["execution"]
  /**
   * Run as a task (see `Task`; spec 2025-11-25 basic/utilities/tasks, the
   * 2026-07-28 tasks extension): sets `execution.taskSupport` to `support`.
   */
  readonly task?: Task.ToolOptions
  readonly _meta?: { readonly [key: string]: unknown }
  /**
   * Middleware around this tool only, outermost first. What it provides
   * (`P`) the handler may need without a Layer for it; what it needs (`RM`)
   * the tool needs.
   */
  readonly middleware?: ReadonlyArray<Middleware.Middleware<P, unknown, RM>>
}

/** The `failure` option of `make`. */
export interface FailureOptions<F extends FailureSchema> {
  /**
   * The tool's own failures. The handler's error type must be this schema's
   * type (or a protocol error); such a failure becomes an `isError` result
   * carrying the encoded failure (see `make`).
   */
  readonly failure?: F
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
 * A handler failure becomes an `isError` result (spec 2025-11-25
 * server/tools "Error Handling": a tool execution error); a protocol error
 * (for example `UrlElicitationRequired`) stays a JSON-RPC error, and a defect
 * is -32603 "Internal error" with the cause logged, never its text.
 *
 * With `failure`, the handler's error type must be that schema's type (or a
 * protocol error), and a failure of that type becomes a result whose first
 * text block is readable (`Tag: message`) and whose second is the failure
 * encoded by the schema, as JSON. Without an `output` schema the encoded
 * failure (when it is a JSON object) is also the result's
 * `structuredContent`; with one it is not, because structured content must
 * conform to the `outputSchema` (spec server/tools "Output Schema": servers
 * MUST provide structured results that conform, clients SHOULD validate).
 *
 * A failure not declared reaches the model as what it says about itself and
 * no more (see `McpError.describe`): a tagged error as `Tag: message`, an
 * `Error` as its message, other values as a generic text.
 */
export function make<
  const Name extends string,
  In extends InputSchema = typeof EmptyInput,
  Out extends OutputSchema = never,
  F extends FailureSchema = never,
  E = never,
  R = never,
  P = never,
  RM = never
>(
  name: Name,
  options: Options<In, P, RM> & FailureOptions<F> & {
    readonly output: Out
    readonly handler: (input: InputOf<In>) => Effect.Effect<Schema.Schema.Type<Out>, HandlerError<F, E>, R>
  }
): Tool<Name, Exclude<R, RequestContext | P> | Exclude<RM, RequestContext>>
export function make<
  const Name extends string,
  In extends InputSchema = typeof EmptyInput,
  F extends FailureSchema = never,
  E = never,
  R = never,
  P = never,
  RM = never
>(
  name: Name,
  options: Options<In, P, RM> & FailureOptions<F> & {
    readonly handler: (input: InputOf<In>) => Effect.Effect<Result, HandlerError<F, E>, R>
  }
): Tool<Name, Exclude<R, RequestContext | P> | Exclude<RM, RequestContext>>
export function make(
  name: string,
  options: Options<InputSchema, unknown, unknown> & {
    readonly output?: OutputSchema
    readonly failure?: FailureSchema
    readonly handler: (input: unknown) => Effect.Effect<unknown, unknown, unknown>
  }
): Tool<string, unknown> {
  const input: InputSchema = options.input ?? EmptyInput
  const decodeWithSchema = Schema.decodeUnknownEither(input, { errors: "all", onExcessProperty: "error" })
  const noParameters = isEmptyStruct(input.ast)
  const fast = noParameters ? undefined : fastDecoder(input)
  const decode = noParameters ? decodeNoArguments(input.ast) : fast === undefined ? decodeWithSchema : (args: object) => {
    const value = fast(args)
    return value === undefined ? decodeWithSchema(args) : Either.right(value)
  }
  const output = options.output
  const encodeOutput = output === undefined ? undefined : Schema.encodeEither(output)
  const definition: McpSchema.Tool = {
    name,
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.description === undefined ? {} : { description: options.description }),
    inputSchema: (noParameters ? NoParameters : jsonSchemaOf(input)) as McpSchema.Tool["inputSchema"],
    ...(output === undefined ? {} : { outputSchema: jsonSchemaOf(output) as NonNullable<McpSchema.Tool["outputSchema"]> }),
    ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
    ...(options.icons === undefined ? {} : { icons: options.icons }),
    ...(options.task === undefined
      ? options.execution === undefined ? {} : { execution: options.execution }
      : { execution: { ...options.execution, taskSupport: options.task.support } }),
    ...(options._meta === undefined ? {} : { _meta: options._meta })
  } as McpSchema.Tool
  // spec 2026-07-28 server/tools "x-mcp-header": clients drop a tool whose annotations break the rules.
  const headerProblems = ToolHeaders.analyzeTool(definition).problems
  if (headerProblems.length > 0) throw new Error(`Tool ${JSON.stringify(name)}: ${headerProblems.join("; ")}`)
  const handler = options.handler
  const onSuccess = (value: unknown): Effect.Effect<McpSchema.CallToolResult, ProtocolError> => {
    if (encodeOutput === undefined) return Effect.succeed(toResult(value as Result))
    const encoded = encodeOutput(value)
    if (Either.isLeft(encoded)) {
      return Effect.fail(new InternalError({ message: `Tool ${name} returned output that does not match its outputSchema` }))
    }
    const structuredContent = encoded.right as { readonly [key: string]: unknown }
    let text: string
    try {
      text = JSON.stringify(structuredContent)
    } catch {
      // Nesting too deep for the stack, a cycle, a BigInt: the handler's fault, not the client's.
      return Effect.fail(new InternalError({ message: `Tool ${name} returned output that cannot be serialized as JSON` }))
    }
    return Effect.succeed({ content: [{ type: "text", text }], structuredContent } as McpSchema.CallToolResult)
  }
  const failure = options.failure
  const isFailure = failure === undefined ? undefined : Schema.is(failure)
  const encodeFailure = failure === undefined ? undefined : Schema.encodeEither(failure)
  const onFailure = (error: unknown): Effect.Effect<McpSchema.CallToolResult, ProtocolError> => {
    if (isProtocolError(error)) return Effect.fail(error)
    if (isFailure !== undefined && encodeFailure !== undefined && isFailure(error)) {
      const declared = declaredFailureResult(error, encodeFailure, output === undefined)
      if (declared !== undefined) return Effect.succeed(declared)
    }
    return Effect.succeed(errorResult(describe(error)))
  }
  /**
   * Never throws: what runs before the effect does (decoding, the handler
   * building its effect) is in a `try`, which costs nothing on the way
   * through, and a throw becomes a failed effect; `formatIssues` never throws.
   * A throw here used to escape the server's fibers into the transport.
   */
  const call = (args: unknown): Effect.Effect<McpSchema.CallToolResult, ProtocolError, unknown> => {
    // spec 2025-11-25 schema.json CallToolRequestParams: `arguments` is an object when present.
    if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args))) {
      return Effect.fail(argumentsNotAnObject())
    }
    let decoded: Either.Either<unknown, ParseResult.ParseError>
    try {
      decoded = decode(args ?? {})
    } catch (e) {
      // A recursive schema given input deep enough to exhaust the stack: a validation error (spec
      // server/tools "Error Handling"), which the model can fix. Anything else is a defect (-32603).
      return isStackOverflow(e)
        ? Effect.succeed(errorResult(`Invalid arguments for tool ${name}: the arguments are nested too deeply`))
        : Effect.die(e)
    }
    if (Either.isLeft(decoded)) {
      return Effect.succeed(errorResult(`Invalid arguments for tool ${name}: ${formatIssues(decoded.left)}`))
    }
    let handled: Effect.Effect<unknown, unknown, unknown>
    try {
      handled = handler(decoded.right)
    } catch (e) {
      // A handler that throws instead of returning an Effect: a defect, as if it had died.
      return Effect.die(e)
    }
    // One step for both outcomes (a handler failure is a result, a protocol error stays an error).
    return Effect.matchEffect(handled, { onSuccess, onFailure })
  }
  return {
    _tag: "Tool",
    name,
    definition,
    call,
    middleware: options.middleware ?? [],
    ...(options.task === undefined ? {} : { task: options.task })
  }
}

/**
 * A tool parameter that clients mirror into an `Mcp-Param-{Name}` header on
 * Streamable HTTP (spec 2026-07-28 server/tools "x-mcp-header").
 */
export interface HeaderParameter {
  /** The `x-mcp-header` value: the `{Name}` of `Mcp-Param-{Name}`, as declared. */
  readonly name: string
  /** `mcp-param-{name}` in lower case, the form HTTP libraries give header names in. */
  readonly header: string
  /** The chain of `properties` keys from the `inputSchema` root to the parameter. */
  readonly path: ReadonlyArray<string>
  /** The parameter's declared type (besides `null`). */
  readonly type: "string" | "integer" | "boolean"
}

/**
 * The parameters of a tool definition that carry a valid `x-mcp-header`, in
 * schema order; computed on first use and cached with the definition, so a
 * transport may ask on every call. Annotations that break the spec's rules
 * are left out (`make` refuses them; a definition built by hand may have them).
 */
export const headerParameters = (definition: McpSchema.Tool): ReadonlyArray<HeaderParameter> =>
  ToolHeaders.analyzeTool(definition).parameters

/**
 * Why the `x-mcp-header` annotations of an `inputSchema` break the rules of
 * spec 2026-07-28 server/tools "x-mcp-header", one message per annotation
 * naming its property; empty when they are valid.
 */
export const headerProblems = (inputSchema: McpSchema.Tool["inputSchema"]): ReadonlyArray<string> =>
  ToolHeaders.analyze(inputSchema).problems

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

/** spec 2025-11-25 schema.json CallToolRequestParams: `arguments`, when present, is an object. */
const argumentsNotAnObject = () => new InvalidParams({ message: `"params.arguments" must be an object` })

/** True for V8's "Maximum call stack size exceeded". */
const isStackOverflow = (e: unknown): boolean => e instanceof RangeError && e.message.includes("call stack")

/**
 * A struct without fields. Schema's `{}` accepts any value but null and
 * undefined, extra keys included (even with `onExcessProperty: "error"`); a
 * tool whose input it is advertises `additionalProperties: false`, so that is
 * what it is held to.
 */
const isEmptyStruct = (ast: SchemaAST.AST): boolean =>
  ast._tag === "TypeLiteral" && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0

const noArguments = Either.right({})

/** The decoder of a tool without parameters: `{}`, or each key as unexpected (its `inputSchema` has `additionalProperties: false`). */
const decodeNoArguments = (ast: SchemaAST.AST) => (args: object): Either.Either<object, ParseResult.ParseError> => {
  const keys = Reflect.ownKeys(args)
  if (keys.length === 0) return noArguments
  const issues = keys.map((key) =>
    new ParseResult.Pointer(key, args, new ParseResult.Unexpected((args as Record<PropertyKey, unknown>)[key], "is unexpected: this tool takes no arguments"))
  )
  return Either.left(new ParseResult.ParseError({ issue: new ParseResult.Composite(ast, args, issues as [ParseResult.Pointer, ...Array<ParseResult.Pointer>]) }))
}

/** An `isError` result with one text block. */
export const errorResult = (message: string): McpSchema.CallToolResult =>
  ({ content: [{ type: "text", text: message }], isError: true }) as McpSchema.CallToolResult

/**
 * The `isError` result of a declared failure: its readable text, then the
 * failure encoded by its schema as JSON text and, when `structured` (the tool
 * has no `outputSchema`) and the encoding is a JSON object, as
 * `structuredContent` (spec 2025-11-25 server/tools "Structured Content": the
 * serialized JSON also in a text block, for older clients). `undefined` when
 * the failure does not encode or serialize: it is then described as an
 * undeclared one.
 */
const declaredFailureResult = (
  error: unknown,
  encode: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>,
  structured: boolean
): McpSchema.CallToolResult | undefined => {
  let encoded: Either.Either<unknown, ParseResult.ParseError>
  let json: string | undefined
  try {
    encoded = encode(error)
    if (Either.isLeft(encoded)) return undefined
    json = JSON.stringify(encoded.right)
  } catch {
    return undefined
  }
  if (json === undefined) return undefined
  const value = encoded.right
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value)
  return {
    content: [{ type: "text", text: describe(error) }, { type: "text", text: json }],
    ...(structured && isObject ? { structuredContent: value } : {}),
    isError: true
  } as McpSchema.CallToolResult
}

const toResult = (value: Result): McpSchema.CallToolResult => {
  if (typeof value === "string") return { content: [{ type: "text", text: value }] } as McpSchema.CallToolResult
  if (Array.isArray(value)) return { content: value } as McpSchema.CallToolResult
  return value as McpSchema.CallToolResult
}

// --- error messages from Schema issues ----------------------------------------

/** Issues spelled out; the rest are counted. */
const maxIssues = 10
/** Characters per issue. */
const maxIssueChars = 300
/** Characters of the issues together, before the count of the rest. */
const maxMessageChars = 1500
/** Keys of a path shown at each end of a longer one. */
const pathEndKeys = 4
/** Characters per path key. */
const maxKeyChars = 60

/** A path as a list from its last key, so that going one level deeper copies nothing. */
interface PathNode {
  readonly key: PropertyKey
  readonly parent: PathNode | undefined
}

const extendPath = (node: PathNode | undefined, path: ParseResult.Path): PathNode | undefined => {
  if (!Array.isArray(path)) return { key: path as PropertyKey, parent: node }
  for (const key of path as ReadonlyArray<PropertyKey>) node = { key, parent: node }
  return node
}

/** `a.b.c`, or `a.b.c.d.…(992 more).w.x.y.z` for a long one. */
const pathText = (node: PathNode | undefined): string => {
  const keys: Array<string> = []
  for (; node !== undefined; node = node.parent) keys.push(clip(String(node.key), maxKeyChars))
  keys.reverse()
  return keys.length <= 2 * pathEndKeys + 1
    ? keys.join(".")
    : [...keys.slice(0, pathEndKeys), `…(${keys.length - 2 * pathEndKeys} more)`, ...keys.slice(-pathEndKeys)].join(".")
}

/** What a `MessageAnnotation` says about an issue, its Effect run (as Schema's formatters do). */
const annotationMessage = (issue: ParseResult.ParseIssue): { readonly message: string; readonly override: boolean } | undefined => {
  if (!("ast" in issue)) return undefined
  const annotation = SchemaAST.getMessageAnnotation(issue.ast)
  if (Option.isNone(annotation)) return undefined
  const union = annotation.value(issue)
  if (typeof union === "string") return { message: union, override: false }
  if (Effect.isEffect(union)) return { message: Effect.runSync(union), override: false }
  return { message: typeof union.message === "string" ? union.message : Effect.runSync(union.message), override: union.override }
}

/**
 * The message annotation that replaces an issue and everything under it, as
 * Schema's `getMessage` decides: a composite, a `From` refinement or a
 * non-`Transformation` transformation defers to what is inside unless the
 * annotation overrides. A loop, not recursion.
 */
const messageOf = (issue: ParseResult.ParseIssue): string | undefined => {
  for (let current = issue;;) {
    const found = annotationMessage(current)
    if (found === undefined) return undefined
    if (found.override) return found.message
    switch (current._tag) {
      case "Composite":
        return undefined
      case "Refinement":
        if (current.kind !== "From") return found.message
        current = current.issue
        break
      case "Transformation":
        if (current.kind === "Transformation") return found.message
        current = current.issue
        break
      default:
        return found.message
    }
  }
}

/** What a refinement expects, as Schema words it. */
const refinementExpected = (ast: SchemaAST.Refinement): string => {
  const autoTitle = ast.annotations[Symbol.for("effect/annotation/AutoTitle")]
  return Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast)) ??
    Option.getOrUndefined(SchemaAST.getTitleAnnotation(ast)) ??
    (typeof autoTitle === "string" ? autoTitle : undefined) ??
    Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(ast)) ??
    `{ ${ast.from} | filter }`
}

/** A `Type` issue's message: Schema's wording, with the actual value previewed instead of printed whole. */
const typeMessage = (issue: ParseResult.Type): string => {
  const annotated = messageOf(issue)
  if (annotated !== undefined) return annotated
  const title = SchemaAST.getParseIssueTitleAnnotation(issue.ast).pipe(Option.flatMapNullable((f) => f(issue)), Option.getOrUndefined)
  if (title !== undefined) return title
  if (issue.message !== undefined) return issue.message
  const expected = SchemaAST.isRefinement(issue.ast) ? refinementExpected(issue.ast) : String(issue.ast)
  return `Expected ${clip(expected, maxIssueChars)}, actual ${preview(issue.actual)}`
}

const missingMessage = (issue: ParseResult.Missing): string => {
  const annotation = SchemaAST.getMissingMessageAnnotation(issue.ast)
  if (Option.isNone(annotation)) return issue.message ?? "is missing"
  const message = annotation.value()
  return typeof message === "string" ? message : Effect.runSync(message)
}

/** The message of an issue that is one line; a message annotation that throws gets a plain one. */
const lineOf = (issue: ParseResult.ParseIssue, path: PathNode | undefined, annotated: string | undefined): string => {
  let message: string
  try {
    switch (issue._tag) {
      case "Type":
        message = typeMessage(issue)
        break
      case "Missing":
        message = missingMessage(issue)
        break
      case "Unexpected":
        message = issue.message ?? "is unexpected"
        break
      case "Forbidden":
        message = issue.message ?? "is forbidden"
        break
      default:
        message = annotated ?? "is invalid"
    }
  } catch {
    message = "is invalid"
  }
  return clip(path === undefined ? message : `${pathText(path)}: ${message}`, maxIssueChars)
}

/**
 * Formats Schema issues as `path: message` lines for a model to read and
 * correct, joined by `; `, in Schema's wording (its `ArrayFormatter`: same
 * issues, same order, same messages and annotations).
 *
 * What the client sent decides the size of the issue tree, so unlike
 * `ArrayFormatter` this never recurses over it or over the values in it, and
 * bounds what it writes: values are previews of at most 100 characters
 * (`[[[…]]]`), a line at most 300, the first 10 issues (at most 1,500
 * characters) and then `… and N more issues`. It never throws.
 */
export const formatIssues = (error: ParseResult.ParseError): string => {
  try {
    return formatIssueTree(error.issue)
  } catch {
    return "the value does not match the schema"
  }
}

const formatIssueTree = (root: ParseResult.ParseIssue): string => {
  const lines: Array<string> = []
  let length = 0
  let more = 0
  /** Depth first and in order, as `ArrayFormatter`: a stack of what is left, next on top. */
  const issues: Array<ParseResult.ParseIssue> = [root]
  const paths: Array<PathNode | undefined> = [undefined]
  const line = (issue: ParseResult.ParseIssue, path: PathNode | undefined, annotated?: string) => {
    if (lines.length >= maxIssues || length >= maxMessageChars) {
      more++
      return
    }
    const text = lineOf(issue, path, annotated)
    if (lines.length > 0 && length + text.length > maxMessageChars) {
      more++
      length = maxMessageChars
      return
    }
    lines.push(text)
    length += text.length + 2
  }
  while (issues.length > 0) {
    const issue = issues.pop()!
    const path = paths.pop()
    switch (issue._tag) {
      case "Pointer":
        issues.push(issue.issue)
        paths.push(extendPath(path, issue.path))
        break
      case "Composite":
      case "Refinement":
      case "Transformation": {
        let annotated: string | undefined
        try {
          annotated = messageOf(issue)
        } catch {
          annotated = undefined
        }
        if (annotated !== undefined) {
          line(issue, path, annotated)
        } else if (issue._tag !== "Composite") {
          issues.push(issue.issue)
          paths.push(path)
        } else if (Array.isArray(issue.issues)) {
          const all = issue.issues as ReadonlyArray<ParseResult.ParseIssue>
          // An optional field's `Expected undefined` says nothing the other member does not.
          const defined = all.filter((child) => !(child._tag === "Type" && SchemaAST.isUndefinedKeyword(child.ast)))
          const children = defined.length > 0 ? defined : all
          for (let i = children.length - 1; i >= 0; i--) {
            issues.push(children[i]!)
            paths.push(path)
          }
        } else {
          issues.push(issue.issues as ParseResult.ParseIssue)
          paths.push(path)
        }
        break
      }
      default:
        line(issue, path)
    }
  }
  const text = lines.join("; ")
  return more === 0 ? text : `${text}; … and ${more} more issue${more === 1 ? "" : "s"}`
}

/**
 * JSON Schema 2020-12 for a Schema, the default dialect of MCP 2025-11-25
 * (spec basic/index "JSON Schema Usage"). The `$schema` key is left out
 * because 2020-12 is what a schema without one means.
 */
export const jsonSchemaOf = (schema: Schema.Schema.AnyNoContext): { readonly [key: string]: unknown } => {
  const { $schema: _ignored, ...rest } = JSONSchema.make(schema, { target: "jsonSchema2020-12" }) as unknown as { [key: string]: unknown }
  return rest
}
