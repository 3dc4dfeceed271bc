/**
 * Resource templates: families of resources addressed by an RFC 6570 URI
 * template (spec 2025-11-25 server/resources "Resource Templates"). The
 * template's variables are decoded with a Schema, so the read handler gets
 * typed params, and each variable may offer completions
 * (spec server/utilities/completion).
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Resource, ResourceTemplate } from "@emcee/core"
 *
 * const user = ResourceTemplate.make({
 *   uriTemplate: "users://{id}/profile",
 *   name: "user-profile",
 *   params: Schema.Struct({ id: Schema.NumberFromString }),
 *   read: ({ id }) => Effect.succeed(Resource.text(`user ${id}`))
 * })
 *
 * @since 0.1.0
 */
import { Effect, Either, Schema } from "effect"
import type { Completer } from "./Completion.js"
import { compile } from "./internal/uriTemplate.js"
import { InvalidParams, type ProtocolError } from "./McpError.js"
import type * as McpSchema from "./McpSchema.js"
import type * as Middleware from "./Middleware.js"
import type { RequestContext } from "./RequestContext.js"
import { type CacheHints, checkCache, type ReadResult, toReadResult } from "./Resource.js"
import { formatIssues } from "./Tool.js"

/** A resource template ready to register; `R` is what its handlers need. */
export interface ResourceTemplate<out R = never> {
  readonly _tag: "ResourceTemplate"
  /** The entry for `resources/templates/list`. */
  readonly definition: McpSchema.ResourceTemplate
  /** The variables of `uri`, when this template matches it. */
  readonly match: (uri: string) => Record<string, string> | undefined
  readonly read: (uri: string, variables: Record<string, string>) => Effect.Effect<McpSchema.ReadResourceResult, ProtocolError | unknown, R | RequestContext>
  readonly completers: { readonly [variable: string]: Completer<R> }
  /** Expands the template, e.g. to build `resource_link`s. */
  readonly expand: (values: Readonly<Record<string, string>>) => string
  /** Middleware around `resources/read` of this template's resources only, outermost first. */
  readonly middleware: ReadonlyArray<Middleware.Any>
  /** Caching hints of its reads under 2026-07-28, over the server's (`McpServer.Options.cache`). */
  readonly cache: CacheHints | undefined
}

/** Any resource template. */
export type Any = ResourceTemplate<unknown>

/** A Schema for template variables: decodes from string-valued variables. */
export type ParamsSchema = Schema.Schema.AnyNoContext

/** Defines a resource template. A URI whose variables fail `params` answers -32602. */
export const make = <P extends ParamsSchema, E, R, RC = never, MP = never, RM = never>(
  options: Omit<McpSchema.ResourceTemplate, "uriTemplate"> & {
    readonly uriTemplate: string
    readonly params: P
    readonly read: (params: Schema.Schema.Type<P>, uri: string) => Effect.Effect<ReadResult, E, R>
    readonly complete?: { readonly [K in keyof Schema.Schema.Encoded<P>]?: Completer<RC> }
    /** Middleware around reads of this template only; what it provides (`MP`) `read` may need without a Layer. */
    readonly middleware?: ReadonlyArray<Middleware.Middleware<MP, unknown, RM>>
    /** Caching hints of its reads (2026-07-28), over the server's. */
    readonly cache?: CacheHints
  }
): ResourceTemplate<Exclude<R, RequestContext | MP> | Exclude<RC | RM, RequestContext>> => {
  const { cache, read, params, complete, middleware, ...definition } = options
  const template = compile(definition.uriTemplate)
  const decode = Schema.decodeUnknownEither(params, { errors: "all" })
  return {
    _tag: "ResourceTemplate",
    definition: definition as McpSchema.ResourceTemplate,
    match: template.match,
    expand: template.expand,
    completers: (complete ?? {}) as { readonly [variable: string]: Completer<never> },
    middleware: middleware ?? [],
    cache: checkCache(`ResourceTemplate ${definition.uriTemplate}`, cache),
    read: (uri, variables) => {
      const decoded = decode(variables)
      if (Either.isLeft(decoded)) {
        return Effect.fail(new InvalidParams({ message: `Invalid URI ${uri} for template ${definition.uriTemplate}: ${formatIssues(decoded.left)}` }))
      }
      return Effect.map(read(decoded.right, uri), (result) => toReadResult(uri, definition.mimeType as string | undefined, result))
    }
  } as ResourceTemplate<Exclude<R, RequestContext | MP> | Exclude<RC | RM, RequestContext>>
}
