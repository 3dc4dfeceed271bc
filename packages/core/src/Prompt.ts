/**
 * Prompts: templated messages a user can pick (spec 2025-11-25
 * server/prompts). Arguments come from an Effect Schema struct of strings:
 * each field is a `PromptArgument` (required unless optional, described by
 * its `description` annotation), and may offer completions.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Prompt } from "@emcee/core"
 *
 * const review = Prompt.make({
 *   name: "code_review",
 *   args: Schema.Struct({ code: Schema.String.annotations({ description: "The code" }) }),
 *   render: ({ code }) => Effect.succeed([Prompt.user(`Review this:\n${code}`)])
 * })
 *
 * @since 0.1.0
 */
import { Effect, Either, Option, Schema, SchemaAST } from "effect"
import type * as Content from "./Content.js"
import type { Completer } from "./Completion.js"
import { InvalidParams, type ProtocolError } from "./McpError.js"
import type * as McpSchema from "./McpSchema.js"
import type * as Middleware from "./Middleware.js"
import type { RequestContext } from "./RequestContext.js"
import { formatIssues } from "./Tool.js"

/** A message from the user. A string is a text block. */
export const user = (content: string | Content.Block): McpSchema.PromptMessage =>
  ({ role: "user", content: typeof content === "string" ? { type: "text", text: content } : content }) as McpSchema.PromptMessage

/** A message from the assistant. A string is a text block. */
export const assistant = (content: string | Content.Block): McpSchema.PromptMessage =>
  ({ role: "assistant", content: typeof content === "string" ? { type: "text", text: content } : content }) as McpSchema.PromptMessage

/** What a render handler returns: messages, or messages with a description. */
export type Rendered =
  | ReadonlyArray<McpSchema.PromptMessage>
  | { readonly description?: string; readonly messages: ReadonlyArray<McpSchema.PromptMessage> }

/** A prompt ready to register; `R` is what its handlers need. */
export interface Prompt<out Name extends string = string, out R = never> {
  readonly _tag: "Prompt"
  readonly name: Name
  /** The entry for `prompts/list`. */
  readonly definition: McpSchema.Prompt
  readonly get: (args: unknown) => Effect.Effect<McpSchema.GetPromptResult, ProtocolError | unknown, R | RequestContext>
  readonly completers: { readonly [argument: string]: Completer<R> }
  /** Middleware around `prompts/get` of this prompt only, outermost first. */
  readonly middleware: ReadonlyArray<Middleware.Any>
}

/** Any prompt. */
export type Any = Prompt<string, unknown>

/** A Schema for prompt arguments: a struct whose encoded fields are strings. */
export type ArgsSchema = Schema.Schema<unknown, { readonly [key: string]: string | undefined }, never>

const NoArgs = Schema.Struct({})

/** The declared type of an optional field: `Schema.optional` wraps it in a union with `undefined`. */
const withoutUndefined = (ast: SchemaAST.AST): SchemaAST.AST => {
  if (!SchemaAST.isUnion(ast)) return ast
  const defined = ast.types.filter((t) => !SchemaAST.isUndefinedKeyword(t))
  return defined.length === 1 ? defined[0]! : ast
}

/** Keywords whose built-in annotations (`title: "string"`, `description: "a string"`) are not the author's. */
const keywords: ReadonlyArray<SchemaAST.AST> = [SchemaAST.stringKeyword, SchemaAST.numberKeyword, SchemaAST.booleanKeyword]

/** An annotation the author set, not a keyword's default. */
const own = <A>(get: (annotated: SchemaAST.Annotated) => Option.Option<A>, ast: SchemaAST.AST): Option.Option<A> => {
  const value = get(ast)
  const keyword = keywords.find((k) => k._tag === ast._tag)
  return keyword !== undefined && Option.isSome(value) && Option.getEquivalence((a: A, b: A) => a === b)(value, get(keyword))
    ? Option.none()
    : value
}

/** The `PromptArgument` list of a struct schema. */
export const argumentsOf = (schema: Schema.Schema.AnyNoContext): Array<McpSchema.PromptArgument> => {
  let ast = schema.ast
  while (SchemaAST.isTransformation(ast)) ast = ast.from
  if (!SchemaAST.isTypeLiteral(ast)) return []
  return ast.propertySignatures.map((ps) => {
    const type = withoutUndefined(ps.type)
    const description = SchemaAST.getDescriptionAnnotation(ps).pipe(
      Option.orElse(() => own(SchemaAST.getDescriptionAnnotation, type))
    )
    const title = SchemaAST.getTitleAnnotation(ps).pipe(Option.orElse(() => own(SchemaAST.getTitleAnnotation, type)))
    return {
      name: String(ps.name),
      ...(Option.isSome(title) ? { title: title.value } : {}),
      ...(Option.isSome(description) ? { description: description.value } : {}),
      required: !ps.isOptional
    } as McpSchema.PromptArgument
  })
}

/** Defines a prompt. Arguments that fail `args` answer -32602 (spec server/prompts "Error Handling"). */
export const make = <
  const Name extends string,
  A extends Schema.Schema.AnyNoContext = typeof NoArgs,
  E = never,
  R = never,
  RC = never,
  P = never,
  RM = never
>(
  options: Omit<McpSchema.Prompt, "name" | "arguments"> & {
    readonly name: Name
    readonly args?: A
    readonly render: (args: Schema.Schema.Type<A>) => Effect.Effect<Rendered, E, R>
    readonly complete?: { readonly [K in keyof Schema.Schema.Encoded<A>]?: Completer<RC> }
    /** Middleware around this prompt only; what it provides (`P`) `render` may need without a Layer. */
    readonly middleware?: ReadonlyArray<Middleware.Middleware<P, unknown, RM>>
  }
): Prompt<Name, Exclude<R, RequestContext | P> | Exclude<RC | RM, RequestContext>> => {
  const { render, args, complete, middleware, ...rest } = options
  const schema: Schema.Schema.AnyNoContext = args ?? NoArgs
  const decode = Schema.decodeUnknownEither(schema, { errors: "all" })
  const argumentList = argumentsOf(schema)
  const definition = { ...rest, ...(argumentList.length === 0 ? {} : { arguments: argumentList }) } as McpSchema.Prompt
  return {
    _tag: "Prompt",
    name: options.name,
    definition,
    completers: (complete ?? {}) as Prompt<Name, never>["completers"],
    middleware: middleware ?? [],
    get: (raw) => {
      // spec 2025-11-25 schema.json GetPromptRequestParams: `arguments` is an object of strings.
      if (raw !== undefined && (typeof raw !== "object" || raw === null || Array.isArray(raw))) {
        return Effect.fail(new InvalidParams({ message: `"params.arguments" must be an object` }))
      }
      const decoded = decode(raw ?? {})
      if (Either.isLeft(decoded)) {
        return Effect.fail(new InvalidParams({ message: `Invalid arguments for prompt ${options.name}: ${formatIssues(decoded.left)}` }))
      }
      return Effect.map(render(decoded.right), (rendered): McpSchema.GetPromptResult => {
        if (Array.isArray(rendered)) {
          return (rest.description === undefined ? { messages: rendered } : { description: rest.description, messages: rendered }) as McpSchema.GetPromptResult
        }
        const r = rendered as Exclude<Rendered, ReadonlyArray<unknown>>
        const description = r.description ?? rest.description
        return (description === undefined ? { messages: r.messages } : { description, messages: r.messages }) as McpSchema.GetPromptResult
      })
    }
  } as Prompt<Name, Exclude<R, RequestContext | P> | Exclude<RC | RM, RequestContext>>
}
