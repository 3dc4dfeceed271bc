/**
 * The method table of MCP 2026-07-28, the stateless revision: every request
 * carries its version and client capabilities in `_meta` (spec 2026-07-28
 * basic/versioning), there is no `initialize`, `ping`, `logging/setLevel` or
 * `resources/subscribe` (spec changelog, major changes 2, 4, 5), and
 * `server/discover` is new (spec server/discover). The methods both
 * revisions share are the 2025-11-25 entries themselves; what differs is
 * added to each result and error here.
 */
import { Effect } from "effect"
import type * as JsonRpc from "../JsonRpc.js"
import { ErrorCode } from "../JsonRpc.js"
import * as McpSchema from "../McpSchema.js"
import { method, type Revision, table, type Target } from "./dispatch.js"

type JsonObject = JsonRpc.JsonObject

/** What the 2026-07-28 table reads besides the shared entries. */
export interface Options {
  /** The 2025-11-25 table, whose shared entries this one serves as they are. */
  readonly legacy: Revision["methods"]
  readonly global: () => Target
  /** The server's capabilities as 2026-07-28 states them. */
  readonly capabilities: () => McpSchema.ServerCapabilities
  readonly serverInfo: McpSchema.Implementation
  readonly instructions: string | undefined
  /** Caching hints of cacheable results (spec 2026-07-28 server/utilities/caching). */
  readonly cache: { readonly ttlMs: number; readonly cacheScope: McpSchema.CacheScope }
}

/** The methods 2026-07-28 keeps from 2025-11-25 (spec 2026-07-28 server/*). */
const shared = [
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "prompts/list",
  "prompts/get",
  "completion/complete"
] as const

/** Results that carry caching hints (spec 2026-07-28 server/utilities/caching "Cacheable Results"). */
const cacheable = new Set(["server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read"])

/** The 2026-07-28 revision. */
export const make = (options: Options): Revision => {
  const discover = method("server/discover", {
    params: McpSchema.RequestParams,
    result: McpSchema.DiscoverResult,
    // spec 2026-07-28 server/discover: versions a client may put in `_meta` of later requests.
    handle: () => ({
      target: options.global(),
      primitive: undefined,
      effect: Effect.sync(() => ({
        supportedVersions: [McpSchema.STATELESS_PROTOCOL_VERSION],
        capabilities: options.capabilities(),
        ...(options.instructions === undefined ? {} : { instructions: options.instructions })
      }))
    })
  })
  const serverInfoMeta = { [McpSchema.MetaKey.serverInfo]: options.serverInfo }
  return {
    methods: table(discover, ...shared.map((name) => options.legacy.get(name)!)),
    // spec 2026-07-28 basic/index "Result Responses" (`resultType`), "_meta" (`serverInfo` in every result),
    // server/utilities/caching (`ttlMs` and `cacheScope`, unless the handler set its own).
    complete: (name, result) => {
      const meta = result._meta
      // A result that set its own `resultType` (`input_required`, a task) keeps it and carries no caching hints.
      const resultType = typeof result.resultType === "string" ? result.resultType : "complete"
      const completed: { [key: string]: unknown } = {
        ...result,
        resultType,
        _meta: typeof meta === "object" && meta !== null ? { ...meta, ...serverInfoMeta } : serverInfoMeta
      }
      if (resultType === "complete" && cacheable.has(name)) {
        if (completed.ttlMs === undefined) completed.ttlMs = options.cache.ttlMs
        if (completed.cacheScope === undefined) completed.cacheScope = options.cache.cacheScope
      }
      return completed as JsonObject
    },
    // spec 2026-07-28 server/resources "Error Handling": resource not found is -32602 (it was -32002).
    errorCode: (code) => (code === ErrorCode.ResourceNotFound ? ErrorCode.InvalidParams : code)
  }
}
