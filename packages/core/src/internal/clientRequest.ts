import { Effect, Either, Schema } from "effect"
import type { RequestOptions } from "../ClientSession.js"
import type { JsonObject } from "../JsonRpc.js"
import { ClientCapabilityMissing, ClientError, type ClientRequestError } from "../McpError.js"
import type * as McpSchema from "../McpSchema.js"
import { RequestContext } from "../RequestContext.js"
import type { Session } from "./dispatch.js"
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
    // Under 2026-07-28 a request that may ask is served in rounds (spec 2026-07-28 basic/patterns/mrtr).
    const rounds = (session as Session).rounds
    if (!hasCapability(session.clientCapabilities)) {
      // spec 2026-07-28 basic/index "Error Codes": an undeclared capability is -32021 for the whole request.
      return rounds === undefined ? Effect.fail(new ClientCapabilityMissing({ capability })) : rounds.missing(capability)
    }
    const raw = rounds === undefined
      ? session.request(method, params, { relatedRequestId: requestId, ...options })
      : rounds.ask(method, params, options?.inputKey)
    return Effect.flatMap(raw, (answer) => {
      const decoded = decode(result)(answer)
      if (Either.isRight(decoded)) return Effect.succeed(decoded.right)
      const message = `Invalid ${method} result: ${formatIssues(decoded.left)}`
      return rounds === undefined
        ? Effect.fail(new ClientError({ method, code: -32602, message }))
        : rounds.invalidAnswer(`inputResponses: ${message}`)
    })
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
