/**
 * Resources: data a server exposes by URI (spec 2025-11-25 server/resources).
 *
 * @example
 * import { Effect } from "effect"
 * import { Resource } from "@emcee/core"
 *
 * const readme = Resource.make({
 *   uri: "file:///README.md",
 *   name: "README",
 *   mimeType: "text/markdown",
 *   read: () => Effect.succeed(Resource.text("# Hello"))
 * })
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { base64 } from "./Content.js"
import type { ProtocolError } from "./McpError.js"
import type * as McpSchema from "./McpSchema.js"
import type * as Middleware from "./Middleware.js"
import type { RequestContext } from "./RequestContext.js"

/** The contents a read handler returns, before `uri` and `mimeType` are filled in. */
export type Contents =
  | { readonly text: string; readonly mimeType?: string; readonly _meta?: { readonly [key: string]: unknown } }
  | { readonly blob: string; readonly mimeType?: string; readonly _meta?: { readonly [key: string]: unknown } }

/** What a read handler returns: one item, or several (each may name its own `uri`). */
export type ReadResult = Contents | ReadonlyArray<Contents & { readonly uri?: string }>

/** Text contents. */
export const text = (text: string, mimeType?: string): Contents => (mimeType === undefined ? { text } : { text, mimeType })

/** Binary contents; `data` is bytes or base64 text. */
export const blob = (data: Uint8Array | string, mimeType?: string): Contents =>
  mimeType === undefined ? { blob: base64(data) } : { blob: base64(data), mimeType }

/** A resource ready to register; `R` is what its read handler needs. */
export interface Resource<out R = never> {
  readonly _tag: "Resource"
  readonly uri: string
  /** The entry for `resources/list`. */
  readonly definition: McpSchema.Resource
  readonly read: (uri: string) => Effect.Effect<McpSchema.ReadResourceResult, ProtocolError | unknown, R | RequestContext>
  /** Middleware around `resources/read` of this resource only, outermost first. */
  readonly middleware: ReadonlyArray<Middleware.Any>
  /** Caching hints of its reads under 2026-07-28, over the server's (`McpServer.Options.cache`). */
  readonly cache: CacheHints | undefined
}

/**
 * How long a client may consider a read fresh and whether shared caches may
 * keep it (spec 2026-07-28 server/utilities/caching): `ttlMs` a non-negative
 * integer, `cacheScope` `"public"` or `"private"`.
 */
export interface CacheHints {
  readonly ttlMs?: number
  readonly cacheScope?: McpSchema.CacheScope
}

/** Checks caching hints when a primitive is defined (spec 2026-07-28 server/utilities/caching: `ttlMs` >= 0). */
export const checkCache = (owner: string, cache: CacheHints | undefined): CacheHints | undefined => {
  if (cache?.ttlMs !== undefined && !(Number.isSafeInteger(cache.ttlMs) && cache.ttlMs >= 0)) {
    throw new Error(`${owner}: cache.ttlMs must be a non-negative integer of milliseconds, got ${cache.ttlMs}`)
  }
  return cache
}

/** Any resource. */
export type Any = Resource<unknown>

/** Metadata of a resource (everything of the spec's `Resource` but the handler). */
export type Definition = McpSchema.Resource

/** Fills `uri` and `mimeType` into what a handler returned. */
export const toReadResult = (uri: string, mimeType: string | undefined, result: ReadResult): McpSchema.ReadResourceResult => {
  const items: ReadonlyArray<Contents & { readonly uri?: string }> = Array.isArray(result) ? result : [result as Contents]
  return {
    contents: items.map((item) => {
      const type = item.mimeType ?? mimeType
      return { ...item, uri: item.uri ?? uri, ...(type === undefined ? {} : { mimeType: type }) }
    })
  } as McpSchema.ReadResourceResult
}

/** Defines a resource. A failure of `read` answers -32603, or its own code for a protocol error. */
export const make = <E, R, P = never, RM = never>(
  options: Definition & {
    readonly read: (uri: string) => Effect.Effect<ReadResult, E, R>
    /** Middleware around this resource only; what it provides (`P`) `read` may need without a Layer. */
    readonly middleware?: ReadonlyArray<Middleware.Middleware<P, unknown, RM>>
    /** Caching hints of its reads (2026-07-28), over the server's. */
    readonly cache?: CacheHints
  }
): Resource<Exclude<R, RequestContext | P> | Exclude<RM, RequestContext>> => {
  const { cache, read, middleware, ...definition } = options
  return {
    _tag: "Resource",
    uri: definition.uri,
    definition: definition as McpSchema.Resource,
    read: (uri) => Effect.map(read(uri), (result) => toReadResult(uri, definition.mimeType, result)),
    middleware: middleware ?? [],
    cache: checkCache(`Resource ${definition.uri}`, cache)
  } as Resource<Exclude<R, RequestContext | P> | Exclude<RM, RequestContext>>
}
