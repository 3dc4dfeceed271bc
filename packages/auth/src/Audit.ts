/**
 * Audit: one `Audit` event per request on the server's event stream
 * (`McpServer.events`): who called what, when, and how it ended — ok, a
 * tool error, an error, refused before the handler ran (`denied`: an
 * authentication, authorization, rate-limit or concurrency refusal) or
 * cancelled. It names the caller (subject, tenant, credential kind), never
 * the credential or the arguments.
 *
 * Register it first among the global middleware so refusals by the
 * middleware after it are recorded too:
 * `McpServer.register(Audit.middleware, Authentication.middleware, …)`.
 * Subscribe with `PubSub.subscribe(server.events)`, or `Audit.log` to write
 * each record as a structured log line; `middlewareTo` hands each record
 * to a sink of its own instead (no event).
 *
 * @since 0.2.0
 */
import { type JsonRpc, type McpError, McpServer, Middleware, type RequestContext } from "@emcee/core"
import { Cause, Effect, Exit, Option, PubSub, type Scope, Stream } from "effect"
import { fromContext } from "./Principal.js"

/** The declared failures that mean "refused before the handler ran". */
const REFUSALS: ReadonlySet<string> = new Set(["AuthenticationError", "Forbidden", "RateLimited", "ConcurrencyLimited", "InsufficientScope"])

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string" ? (error as { _tag: string })._tag : undefined

/** A refusal, as declared by the middleware that made it or as the server answers it (-32000 with the failure as `data`). */
const isRefusal = (error: unknown): boolean => {
  const tag = tagOf(error)
  if (tag !== undefined && REFUSALS.has(tag)) return true
  const data = typeof error === "object" && error !== null ? (error as { data?: unknown }).data : undefined
  const dataTag = tagOf(data)
  return dataTag !== undefined && REFUSALS.has(dataTag)
}

const codeOf = (error: unknown): number | undefined =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : undefined

/**
 * The middleware that hands each request's audit record to `write` when the
 * request ends, straight from the request's fiber: for a sink that must keep
 * up with every request (an audit table), without the event stream's
 * per-record fan-out. `write` runs uninterruptibly once per request; keep it
 * short (offer to a queue, say).
 *
 * @since 0.4.0
 */
export const middlewareTo = <R = never>(
  write: (record: McpServer.AuditRecord) => Effect.Effect<void, never, R>
): Middleware.Middleware<never, never, Exclude<R, RequestContext.RequestContext>> =>
  Middleware.make({
    name: "audit",
    apply: (request, next) =>
      // The caller, read from the fiber's context in one step.
      Effect.withFiberRuntime<JsonRpc.JsonObject, McpError.ProtocolError, R>((fiber) => {
        const at = Date.now()
        const start = performance.now()
        const caller = Option.getOrUndefined(fromContext(fiber.currentContext))
        return Effect.onExit(next, (exit) => {
          let outcome: McpServer.AuditRecord["outcome"]
          let errorCode: number | undefined
          if (Exit.isSuccess(exit)) {
            outcome = exit.value.isError === true ? "tool_error" : "ok"
          } else if (Cause.isInterruptedOnly(exit.cause)) {
            outcome = "cancelled"
          } else {
            const failure = Cause.failureOption(exit.cause)
            const error = Option.getOrUndefined(failure)
            outcome = isRefusal(error) ? "denied" : "error"
            errorCode = codeOf(error) ?? (failure._tag === "Some" ? Middleware.failureCode : -32603)
          }
          return write({
            at,
            requestId: request.id,
            method: request.method,
            primitive: request.primitive,
            subject: caller?.subject,
            tenant: caller?.tenant,
            credential: caller?.kind,
            sessionId: request.session.sessionId,
            outcome,
            errorCode,
            millis: performance.now() - start
          })
        })
      })
  })

/** The middleware that publishes an `Audit` event for every request it wraps. */
export const middleware: Middleware.Middleware<never, never, McpServer.McpServer> = middlewareTo((record) =>
  Effect.flatMap(McpServer.McpServer, (server) => Effect.asVoid(PubSub.publish(server.events, { _tag: "Audit", record })))
)

/** The audit records published from now on, as a stream (for a sink: a log, a database table). */
export const records: Effect.Effect<Stream.Stream<McpServer.AuditRecord>, never, McpServer.McpServer | Scope.Scope> = Effect.map(
  Effect.flatMap(McpServer.McpServer, (server) => PubSub.subscribe(server.events)),
  (queue) =>
    Stream.fromQueue(queue).pipe(
      Stream.filterMap((event) => (event._tag === "Audit" ? Option.some(event.record) : Option.none()))
    )
)

/** Writes every audit record as a structured log line (`Effect.logInfo` with the record as annotations), for the life of the scope. */
export const log: Effect.Effect<void, never, McpServer.McpServer | Scope.Scope> = Effect.flatMap(records, (stream) =>
  Effect.forkScoped(
    Stream.runForEach(stream, (record) =>
      Effect.logInfo("audit").pipe(
        Effect.annotateLogs({
          requestId: String(record.requestId),
          method: record.method,
          primitive: record.primitive?.name ?? "",
          subject: record.subject ?? "",
          tenant: record.tenant ?? "",
          outcome: record.outcome,
          millis: record.millis.toFixed(2)
        })
      ))
  )).pipe(Effect.asVoid)
