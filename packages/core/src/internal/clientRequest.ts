import { Effect, Either, Schema } from "effect"
import type { RequestOptions } from "../ClientSession.js"
import type { JsonObject } from "../JsonRpc.js"
import { ClientCapabilityMissing, ClientError, type ClientRequestError } from "../McpError.js"
import type * as McpSchema from "../McpSchema.js"
import { RequestContext } from "../RequestContext.js"
import { formatIssues } from "../Tool.js"

/**
 * Sends a server-to-client request on behalf of the request being served:
 * checks the client declared the capability first (a typed error, never a
 * hang), relates it to the current request so HTTP transports route it to
 * that request's stream, and decodes the answer.
 */
export const clientRequest = <A, I>(
  method: string,
  capability: string,
  hasCapability: (capabilities: McpSchema.ClientCapabilities) => boolean,
  params: JsonObject,
  result: Schema.Schema<A, I, never>,
  options: RequestOptions | undefined
): Effect.Effect<A, ClientRequestError, RequestContext> =>
  Effect.flatMap(RequestContext, ({ requestId, session }) => {
    if (!hasCapability(session.clientCapabilities)) return Effect.fail(new ClientCapabilityMissing({ capability }))
    return session.request(method, params, { relatedRequestId: requestId, ...options }).pipe(
      Effect.flatMap((raw) => {
        const decoded = decode(result)(raw)
        return Either.isRight(decoded)
          ? Effect.succeed(decoded.right)
          : Effect.fail(new ClientError({ method, code: -32602, message: `Invalid ${method} result: ${formatIssues(decoded.left)}` }))
      })
    )
  })

const decoders = new WeakMap<object, (u: unknown) => Either.Either<unknown, import("effect").ParseResult.ParseError>>()

const decode = <A, I>(schema: Schema.Schema<A, I, never>) => {
  let decoder = decoders.get(schema)
  if (decoder === undefined) {
    decoder = Schema.decodeUnknownEither(schema) as (u: unknown) => Either.Either<unknown, import("effect").ParseResult.ParseError>
    decoders.set(schema, decoder)
  }
  return decoder as (u: unknown) => Either.Either<A, import("effect").ParseResult.ParseError>
}
