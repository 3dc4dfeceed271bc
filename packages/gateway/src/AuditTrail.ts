/**
 * The gateway's audit trail: every operation (`Audit.middlewareTo` of
 * @emcee/auth: who, tenant, method, primitive, outcome, latency) written to
 * the `AuditLog` with the backend that served it, resolved through the
 * gateway's routing tables. Writing is batched in the background
 * (`AuditLog.record` never waits), so calls are not slowed.
 *
 * Each row's `requestId` is the JSON-RPC id the client gave the request
 * (`McpServer.AuditRecord.requestId`, as a string), so a row can be matched
 * with the client's own logs. Arguments are not recorded: the audit event
 * carries none.
 *
 * @since 0.4.0
 */
import { Audit } from "@emcee/auth"
import { McpServer } from "@emcee/core"
import { Effect, Layer } from "effect"
import { AuditLog, type Outcome } from "./AuditLog.js"
import { Gateway } from "./Gateway.js"

const outcomeOf = (record: McpServer.AuditRecord): Outcome =>
  record.outcome === "ok"
    ? "ok"
    : record.outcome === "denied"
    ? "denied"
    : "error"

/**
 * Registers the audit middleware (`Audit.middlewareTo`; register this Layer
 * before other global middleware, so refusals by later middleware are
 * recorded too), which hands each record to the `AuditLog` as the request
 * ends: no event stream in between, whose per-record fan-out cost more than
 * the rest of a forwarded call.
 */
export const layer: Layer.Layer<never, never, McpServer.McpServer | Gateway | AuditLog> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const gateway = yield* Gateway
    const log = yield* AuditLog
    const write = (record: McpServer.AuditRecord) =>
      Effect.flatMap(gateway.routes, (routes) => {
        const primitive = record.primitive
        const route = primitive === undefined
          ? undefined
          : primitive.kind === "tool"
          ? routes.tools.resolve(primitive.name)
          : primitive.kind === "prompt"
          ? routes.prompts.resolve(primitive.name)
          : routes.resources.resolve(primitive.name)
        return log.record({
          at: new Date(record.at),
          requestId: String(record.requestId),
          principal: record.subject ?? null,
          tenant: record.tenant ?? null,
          backend: route?.backend ?? null,
          method: record.method,
          name: primitive?.name ?? null,
          outcome: outcomeOf(record),
          ...(record.errorCode === undefined ? {} : { errorCode: record.errorCode }),
          latencyMs: record.millis
        })
      })
    return McpServer.register(Audit.middlewareTo(write))
  })
)
