/**
 * The context of the request a handler serves, provided by the server to
 * every handler and middleware: who asked, with which id, and the way to
 * send progress, log messages and server-to-client requests back.
 *
 * @since 0.1.0
 */
import { Context, Effect } from "effect"
import type { ClientSession } from "./ClientSession.js"
import type { JsonObject, RequestId } from "./JsonRpc.js"
import type * as McpSchema from "./McpSchema.js"

/** The request being served. */
export interface Request {
  readonly requestId: RequestId
  readonly method: string
  readonly params: JsonObject
  readonly session: ClientSession
  /** `params._meta.progressToken`, when the client asked for progress (spec basic/utilities/progress). */
  readonly progressToken: McpSchema.ProgressToken | undefined
  /**
   * The network address of the client as the transport saw it (`ClientAddress`
   * among the services it provided), e.g. for per-IP rate limits; undefined
   * over stdio and in memory. Behind a proxy it is the proxy's.
   */
  readonly clientAddress?: string | undefined
}

/** Service tag of the request being served. */
export class RequestContext extends Context.Tag("@emcee/core/RequestContext")<RequestContext, Request>() {}

/** The session of the client whose request is being served. */
export const session: Effect.Effect<ClientSession, never, RequestContext> = Effect.map(RequestContext, (r) => r.session)

/**
 * A stable key of the caller a transport authenticated (an HTTP guard, a
 * stdio server's environment), among the services it provides for the
 * request: the server binds what it hands a caller to it, so another caller
 * cannot use it (a 2026-07-28 `requestState`, spec basic/patterns/mrtr
 * "Server Requirements").
 */
export class Caller extends Context.Tag("@emcee/core/Caller")<Caller, string>() {}

/**
 * The network address of the client (the TCP peer's IP address), among the
 * services a network transport provides for each request or session; read it
 * as `RequestContext.Request.clientAddress`.
 */
export class ClientAddress extends Context.Tag("@emcee/core/ClientAddress")<ClientAddress, string>() {}
