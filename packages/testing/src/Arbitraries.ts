/**
 * fast-check arbitraries for MCP 2025-11-25 traffic: every valid client
 * message a server can receive, every result type it can send, and hostile
 * input a transport must survive (bad JSON, wrong shapes, huge and deeply
 * nested payloads, invalid UTF-8, random bytes).
 *
 * Result types (content blocks, `Tool`, `CallToolResult`, ...) are derived
 * from the Effect Schemas of `McpSchema` with `fromSchema`. Requests are
 * hand-written so that they can aim at a server's real tools, resources and
 * prompts (`Targets`), which derived values (random names) would never hit.
 *
 * Every value is plain JSON (what `JSON.parse` returns), so it survives the
 * wire unchanged.
 *
 * @example
 * import * as fc from "fast-check"
 * import { Arbitraries } from "@emcee/testing"
 * fc.assert(fc.property(Arbitraries.clientRequest(), (request) => request.jsonrpc === "2.0"))
 *
 * @since 0.1.0
 */
import type { JsonRpc } from "@emcee/core"
import { McpSchema } from "@emcee/core"
import { Arbitrary as SchemaArbitrary, FastCheck as EffectFastCheck, Schema } from "effect"
import * as fc from "fast-check"

// =============================================================================
// JSON building blocks
// =============================================================================

/** A JSON object, as `JSON.parse` returns it. */
export type JsonObject = { readonly [key: string]: unknown }

/** Restores what `JSON.parse(JSON.stringify(x))` would give, e.g. `-0` → `0`, drops `undefined` keys. */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown

/**
 * True when a value has a `__proto__` key anywhere. Assigning such a key
 * (as Schema's record decoding does) sets the prototype instead, so these
 * values cannot round-trip; `protoKeys` covers them as hostile input.
 */
const hasProtoKey = (value: unknown): boolean => {
  if (typeof value !== "object" || value === null) return false
  if (Array.isArray(value)) return value.some(hasProtoKey)
  return Object.keys(value).some((k) => k === "__proto__" || hasProtoKey((value as Record<string, unknown>)[k]))
}

/** Object keys; `__proto__` is excluded because object literals and `JSON.parse` disagree about it. */
export const key: fc.Arbitrary<string> = fc.string({ maxLength: 12 }).filter((k) => k !== "__proto__")

/** Any JSON value, small by default (`fc.jsonValue` without `-0`, which JSON cannot carry). */
export const jsonValue = (options: { readonly maxDepth?: number } = {}): fc.Arbitrary<unknown> =>
  fc.jsonValue({ maxDepth: options.maxDepth ?? 3 }).map(viaJson)

/** Any JSON object. */
export const jsonObject = (options: { readonly maxDepth?: number; readonly maxKeys?: number } = {}): fc.Arbitrary<JsonObject> =>
  fc.dictionary(key, jsonValue({ maxDepth: options.maxDepth ?? 2 }), { maxKeys: options.maxKeys ?? 4 }).map(
    (o) => viaJson(o) as JsonObject
  )

/** A request id: a string or an integer (spec 2025-11-25 basic/index "Requests": never null). */
export const requestId: fc.Arbitrary<JsonRpc.RequestId> = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })
)

/** A progress token (spec basic/utilities/progress). */
export const progressToken: fc.Arbitrary<McpSchema.ProgressToken> = requestId

/** `_meta` of request params: sometimes a progress token, sometimes extra keys (spec basic/index "_meta"). */
export const requestMeta: fc.Arbitrary<JsonObject> = fc.record(
  { progressToken, "example.com/trace": fc.string({ maxLength: 8 }) },
  { requiredKeys: [] }
)

/** `_meta` of notifications and results. */
export const meta: fc.Arbitrary<JsonObject> = fc.dictionary(
  fc.constantFrom("example.com/a", "io.emcee/b", "x"),
  jsonValue({ maxDepth: 1 }),
  { maxKeys: 2 }
)

/** Adds an optional `_meta` to params. */
const withMeta = <A extends JsonObject>(params: fc.Arbitrary<A>, metaArb: fc.Arbitrary<JsonObject> = requestMeta): fc.Arbitrary<A> =>
  fc.tuple(params, fc.option(metaArb, { nil: undefined })).map(([p, m]) => (m === undefined ? p : { ...p, _meta: m }))

// =============================================================================
// Derived from McpSchema
// =============================================================================

/**
 * An arbitrary of a Schema's values, derived with Effect's `Arbitrary.make`.
 *
 * Effect bundles its own fast-check (v3), whose arbitraries cannot run under
 * fast-check 4, so each value is drawn from the derived arbitrary with a seed
 * chosen by fast-check 4 (reproducible, but not shrinkable). Values are then
 * normalised to JSON and kept only when they still satisfy the Schema (e.g.
 * `NaN` would become `null`).
 */
export const fromSchema = <A, I>(schema: Schema.Schema<A, I, never>): fc.Arbitrary<A> => {
  const derived = SchemaArbitrary.make(schema)
  const is = Schema.is(schema)
  return fc
    .noShrink(fc.integer())
    .map((seed) => viaJson(EffectFastCheck.sample(derived, { seed, numRuns: 1 })[0]))
    .filter((value): value is A => !hasProtoKey(value) && is(value))
}

/** `TextContent` (spec server/tools "Text Content"). */
export const textContent: fc.Arbitrary<McpSchema.TextContent> = fromSchema(McpSchema.TextContent)
/** `ImageContent` (spec server/tools "Image Content"). */
export const imageContent: fc.Arbitrary<McpSchema.ImageContent> = fromSchema(McpSchema.ImageContent)
/** `AudioContent` (spec server/tools "Audio Content"). */
export const audioContent: fc.Arbitrary<McpSchema.AudioContent> = fromSchema(McpSchema.AudioContent)
/** `ResourceLink` (spec server/tools "Resource Links"). */
export const resourceLink: fc.Arbitrary<McpSchema.ResourceLink> = fromSchema(McpSchema.ResourceLink)
/** `EmbeddedResource` (spec server/tools "Embedded Resources"). */
export const embeddedResource: fc.Arbitrary<McpSchema.EmbeddedResource> = fromSchema(McpSchema.EmbeddedResource)
/** Any `ContentBlock`, each kind equally likely. */
export const contentBlock: fc.Arbitrary<McpSchema.ContentBlock> = fc.oneof(
  textContent,
  imageContent,
  audioContent,
  resourceLink,
  embeddedResource
)
/** `TextResourceContents` or `BlobResourceContents` (spec server/resources "Resource Contents"). */
export const resourceContents: fc.Arbitrary<McpSchema.TextResourceContents | McpSchema.BlobResourceContents> = fc.oneof(
  fromSchema(McpSchema.TextResourceContents),
  fromSchema(McpSchema.BlobResourceContents)
)
/** `Implementation` (clientInfo / serverInfo). */
export const implementation: fc.Arbitrary<McpSchema.Implementation> = fromSchema(McpSchema.Implementation)
/** `Tool` (spec server/tools "Tool"). */
export const tool: fc.Arbitrary<McpSchema.Tool> = fromSchema(McpSchema.Tool)
/** `Resource` (spec server/resources "Resource"). */
export const resource: fc.Arbitrary<McpSchema.Resource> = fromSchema(McpSchema.Resource)
/** `ResourceTemplate` (spec server/resources "Resource Templates"). */
export const resourceTemplate: fc.Arbitrary<McpSchema.ResourceTemplate> = fromSchema(McpSchema.ResourceTemplate)
/** `Prompt` (spec server/prompts "Prompt"). */
export const prompt: fc.Arbitrary<McpSchema.Prompt> = fromSchema(McpSchema.Prompt)
/** `PromptMessage` (spec server/prompts "PromptMessage"). */
export const promptMessage: fc.Arbitrary<McpSchema.PromptMessage> = fromSchema(McpSchema.PromptMessage)
/** `InitializeResult` (spec basic/lifecycle "Initialization"). */
export const initializeResult: fc.Arbitrary<McpSchema.InitializeResult> = fromSchema(McpSchema.InitializeResult)
/** `CallToolResult` (spec server/tools "Tool Result"). */
export const callToolResult: fc.Arbitrary<McpSchema.CallToolResult> = fromSchema(McpSchema.CallToolResult)
/** `ListToolsResult`. */
export const listToolsResult: fc.Arbitrary<McpSchema.ListToolsResult> = fromSchema(McpSchema.ListToolsResult)
/** `ListResourcesResult`. */
export const listResourcesResult: fc.Arbitrary<McpSchema.ListResourcesResult> = fromSchema(McpSchema.ListResourcesResult)
/** `ListResourceTemplatesResult`. */
export const listResourceTemplatesResult: fc.Arbitrary<McpSchema.ListResourceTemplatesResult> = fromSchema(
  McpSchema.ListResourceTemplatesResult
)
/** `ReadResourceResult`. */
export const readResourceResult: fc.Arbitrary<McpSchema.ReadResourceResult> = fromSchema(McpSchema.ReadResourceResult)
/** `ListPromptsResult`. */
export const listPromptsResult: fc.Arbitrary<McpSchema.ListPromptsResult> = fromSchema(McpSchema.ListPromptsResult)
/** `GetPromptResult`. */
export const getPromptResult: fc.Arbitrary<McpSchema.GetPromptResult> = fromSchema(McpSchema.GetPromptResult)
/** `CompleteResult` (spec server/utilities/completion). */
export const completeResult: fc.Arbitrary<McpSchema.CompleteResult> = fromSchema(McpSchema.CompleteResult)
/** `EmptyResult` (ping, subscribe, setLevel). */
export const emptyResult: fc.Arbitrary<McpSchema.EmptyResult> = fromSchema(McpSchema.EmptyResult)
/** Any result a server sends (`ServerResult`). */
export const serverResult: fc.Arbitrary<McpSchema.ServerResult> = fromSchema(McpSchema.ServerResult)

/**
 * Every result type with the Schema that describes it, for round-trip
 * properties: `decode(encode(x))` must equal `x`.
 */
export const resultTypes = {
  TextContent: { schema: McpSchema.TextContent, arbitrary: textContent },
  ImageContent: { schema: McpSchema.ImageContent, arbitrary: imageContent },
  AudioContent: { schema: McpSchema.AudioContent, arbitrary: audioContent },
  ResourceLink: { schema: McpSchema.ResourceLink, arbitrary: resourceLink },
  EmbeddedResource: { schema: McpSchema.EmbeddedResource, arbitrary: embeddedResource },
  ContentBlock: { schema: McpSchema.ContentBlock, arbitrary: contentBlock },
  Implementation: { schema: McpSchema.Implementation, arbitrary: implementation },
  Tool: { schema: McpSchema.Tool, arbitrary: tool },
  Resource: { schema: McpSchema.Resource, arbitrary: resource },
  ResourceTemplate: { schema: McpSchema.ResourceTemplate, arbitrary: resourceTemplate },
  Prompt: { schema: McpSchema.Prompt, arbitrary: prompt },
  PromptMessage: { schema: McpSchema.PromptMessage, arbitrary: promptMessage },
  InitializeResult: { schema: McpSchema.InitializeResult, arbitrary: initializeResult },
  CallToolResult: { schema: McpSchema.CallToolResult, arbitrary: callToolResult },
  ListToolsResult: { schema: McpSchema.ListToolsResult, arbitrary: listToolsResult },
  ListResourcesResult: { schema: McpSchema.ListResourcesResult, arbitrary: listResourcesResult },
  ListResourceTemplatesResult: { schema: McpSchema.ListResourceTemplatesResult, arbitrary: listResourceTemplatesResult },
  ReadResourceResult: { schema: McpSchema.ReadResourceResult, arbitrary: readResourceResult },
  ListPromptsResult: { schema: McpSchema.ListPromptsResult, arbitrary: listPromptsResult },
  GetPromptResult: { schema: McpSchema.GetPromptResult, arbitrary: getPromptResult },
  CompleteResult: { schema: McpSchema.CompleteResult, arbitrary: completeResult },
  EmptyResult: { schema: McpSchema.EmptyResult, arbitrary: emptyResult }
} as const

// =============================================================================
// Client requests (spec 2025-11-25 schema "ClientRequest")
// =============================================================================

/**
 * Names the server under test really has, so generated requests hit them
 * (a random tool name only ever exercises "Unknown tool"). Empty lists fall
 * back to random names.
 */
export interface Targets {
  readonly tools?: ReadonlyArray<string>
  readonly resources?: ReadonlyArray<string>
  readonly resourceTemplates?: ReadonlyArray<string>
  readonly prompts?: ReadonlyArray<string>
}

/** A known name half the time, a random one otherwise. */
const nameFrom = (known: ReadonlyArray<string> | undefined, random: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  known === undefined || known.length === 0 ? random : fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 3 }, { arbitrary: random, weight: 1 })

/** A URI-looking string. */
export const uri: fc.Arbitrary<string> = fc.oneof(
  fc.webUrl(),
  fc.tuple(fc.constantFrom("file:///", "mem://", "test://", "urn:x:"), fc.string({ maxLength: 20 })).map(([s, p]) => s + p)
)

/** The client methods of MCP 2025-11-25 that servers answer (spec schema "ClientRequest", without tasks). */
export const clientMethods = [
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel"
] as const

/** A client method name. */
export type ClientMethod = typeof clientMethods[number]

/** Client capabilities (spec basic/lifecycle "Capability Negotiation"). */
export const clientCapabilities: fc.Arbitrary<McpSchema.ClientCapabilities> = fc.record(
  {
    roots: fc.record({ listChanged: fc.boolean() }, { requiredKeys: [] }),
    sampling: fc.record({ context: fc.constant({}), tools: fc.constant({}) }, { requiredKeys: [] }),
    elicitation: fc.record({ form: fc.constant({}), url: fc.constant({}) }, { requiredKeys: [] }),
    experimental: fc.dictionary(key, fc.constant({}), { maxKeys: 2 })
  },
  { requiredKeys: [] }
)

/** `initialize` params; the protocol version is usually a supported one. */
export const initializeParams: fc.Arbitrary<McpSchema.InitializeRequestParams> = withMeta(
  fc.record({
    protocolVersion: fc.oneof(
      { arbitrary: fc.constantFrom(...McpSchema.SUPPORTED_PROTOCOL_VERSIONS), weight: 4 },
      { arbitrary: fc.string({ maxLength: 12 }), weight: 1 }
    ),
    capabilities: clientCapabilities,
    clientInfo: fc.record(
      { name: fc.string({ minLength: 1, maxLength: 12 }), version: fc.string({ maxLength: 8 }), title: fc.string({ maxLength: 12 }) },
      { requiredKeys: ["name", "version"] }
    )
  })
)

/** Params of a paginated list request: none, or only `_meta` (a random cursor is an invalid cursor). */
const listParams: fc.Arbitrary<JsonObject | undefined> = fc.option(withMeta(fc.constant({})), { nil: undefined })

/** Valid params for each client method, aimed at `targets`. */
export const clientRequestParams = (targets: Targets = {}): { readonly [M in ClientMethod]: fc.Arbitrary<JsonObject | undefined> } => {
  const toolName = nameFrom(targets.tools, fc.string({ maxLength: 12 }))
  const resourceUri = nameFrom([...(targets.resources ?? [])], uri)
  const promptName = nameFrom(targets.prompts, fc.string({ maxLength: 12 }))
  const templateUri = nameFrom(targets.resourceTemplates, uri)
  return {
    initialize: initializeParams,
    ping: listParams,
    "tools/list": listParams,
    "tools/call": withMeta(
      fc.record({ name: toolName, arguments: jsonObject() }, { requiredKeys: ["name"] })
    ),
    "resources/list": listParams,
    "resources/templates/list": listParams,
    "resources/read": withMeta(fc.record({ uri: resourceUri })),
    "resources/subscribe": withMeta(fc.record({ uri: resourceUri })),
    "resources/unsubscribe": withMeta(fc.record({ uri: resourceUri })),
    "prompts/list": listParams,
    "prompts/get": withMeta(
      fc.record(
        { name: promptName, arguments: fc.dictionary(key, fc.string({ maxLength: 12 }), { maxKeys: 3 }) },
        { requiredKeys: ["name"] }
      )
    ),
    "completion/complete": withMeta(
      fc.record(
        {
          ref: fc.oneof(
            fc.record({ type: fc.constant("ref/prompt" as const), name: promptName }),
            fc.record({ type: fc.constant("ref/resource" as const), uri: templateUri })
          ),
          argument: fc.record({ name: fc.string({ maxLength: 8 }), value: fc.string({ maxLength: 8 }) }),
          context: fc.record({ arguments: fc.dictionary(key, fc.string({ maxLength: 8 }), { maxKeys: 2 }) }, { requiredKeys: [] })
        },
        { requiredKeys: ["ref", "argument"] }
      )
    ),
    "logging/setLevel": withMeta(fc.record({ level: fc.constantFrom(...McpSchema.LoggingLevel.literals) }))
  }
}

/** Builds a request, omitting `params` when there are none. */
const request = (id: JsonRpc.RequestId, method: string, params: JsonObject | undefined): JsonRpc.Request =>
  viaJson(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params }) as JsonRpc.Request

/** A valid request for one client method. */
export const requestFor = (method: ClientMethod, options: { readonly id?: fc.Arbitrary<JsonRpc.RequestId>; readonly targets?: Targets } = {}): fc.Arbitrary<JsonRpc.Request> =>
  fc.tuple(options.id ?? requestId, clientRequestParams(options.targets)[method]).map(([id, params]) => request(id, method, params))

/**
 * A valid request for any client method. `initialize` is excluded with
 * `{ initialize: false }` (on an initialized session it is answered -32600).
 */
export const clientRequest = (
  options: { readonly id?: fc.Arbitrary<JsonRpc.RequestId>; readonly targets?: Targets; readonly initialize?: boolean } = {}
): fc.Arbitrary<JsonRpc.Request> => {
  const params = clientRequestParams(options.targets)
  const methods = clientMethods.filter((m) => m !== "initialize" || options.initialize !== false)
  return fc
    .constantFrom(...methods)
    .chain((method) => fc.tuple(options.id ?? requestId, params[method]).map(([id, p]) => request(id, method, p)))
}

// =============================================================================
// Client notifications (spec schema "ClientNotification")
// =============================================================================

const notification = (method: string, params: JsonObject | undefined): JsonRpc.Notification =>
  viaJson(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }) as JsonRpc.Notification

/** `notifications/initialized` (spec basic/lifecycle "Initialization"). */
export const initializedNotification: fc.Arbitrary<JsonRpc.Notification> = fc
  .option(withMeta(fc.constant({}), meta), { nil: undefined })
  .map((params) => notification("notifications/initialized", params))

/** `notifications/cancelled` for the given request ids (spec basic/utilities/cancellation). */
export const cancelledNotification = (ids: fc.Arbitrary<JsonRpc.RequestId> = requestId): fc.Arbitrary<JsonRpc.Notification> =>
  withMeta(fc.record({ requestId: ids, reason: fc.string({ maxLength: 16 }) }, { requiredKeys: ["requestId"] }), meta).map((params) =>
    notification("notifications/cancelled", params)
  )

/** `notifications/progress` (spec basic/utilities/progress). */
export const progressNotification: fc.Arbitrary<JsonRpc.Notification> = withMeta(
  fc.record(
    {
      progressToken,
      progress: fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }).map(Math.abs),
      total: fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }).map(Math.abs),
      message: fc.string({ maxLength: 16 })
    },
    { requiredKeys: ["progressToken", "progress"] }
  ),
  meta
).map((params) => notification("notifications/progress", params))

/** `notifications/roots/list_changed` (spec client/roots "Root List Changes"). */
export const rootsListChangedNotification: fc.Arbitrary<JsonRpc.Notification> = fc
  .option(withMeta(fc.constant({}), meta), { nil: undefined })
  .map((params) => notification("notifications/roots/list_changed", params))

/** Any client notification; `cancelled` names ids from `cancelIds`. */
export const clientNotification = (cancelIds: fc.Arbitrary<JsonRpc.RequestId> = requestId): fc.Arbitrary<JsonRpc.Notification> =>
  fc.oneof(initializedNotification, cancelledNotification(cancelIds), progressNotification, rootsListChangedNotification)

// =============================================================================
// Responses and generic JSON-RPC messages (spec basic/index "Messages")
// =============================================================================

/** A success response with any result object. */
export const successResponse: fc.Arbitrary<JsonRpc.Success> = fc
  .tuple(requestId, jsonObject())
  .map(([id, result]) => ({ jsonrpc: "2.0", id, result }))

/** An error object (spec basic/index "Error Responses"). */
export const errorObject: fc.Arbitrary<JsonRpc.ErrorObject> = fc.record(
  {
    code: fc.oneof(fc.constantFrom(-32700, -32600, -32601, -32602, -32603, -32002, -32042), fc.integer()),
    message: fc.string({ maxLength: 24 }),
    data: jsonValue({ maxDepth: 2 }).filter((v) => v !== undefined)
  },
  { requiredKeys: ["code", "message"] }
)

/** An error response; the id is left out when the request id could not be read (spec basic/index "Error Responses"). */
export const failureResponse: fc.Arbitrary<JsonRpc.Failure> = fc
  .tuple(fc.option(requestId, { nil: undefined }), errorObject)
  .map(([id, error]) => (id === undefined ? { jsonrpc: "2.0", error } : { jsonrpc: "2.0", id, error }))

/** Any response. */
export const response: fc.Arbitrary<JsonRpc.Response> = fc.oneof(successResponse, failureResponse)

/** A request with any method name and any params object (valid JSON-RPC, maybe not MCP). */
export const anyRequest: fc.Arbitrary<JsonRpc.Request> = fc
  .tuple(requestId, fc.string({ maxLength: 16 }), fc.option(jsonObject(), { nil: undefined }))
  .map(([id, method, params]) => request(id, method, params))

/** A notification with any method name and any params object. */
export const anyNotification: fc.Arbitrary<JsonRpc.Notification> = fc
  .tuple(fc.string({ maxLength: 16 }), fc.option(jsonObject(), { nil: undefined }))
  .map(([method, params]) => notification(method, params))

/** Any valid JSON-RPC 2.0 message, MCP or not. */
export const message: fc.Arbitrary<JsonRpc.Message> = fc.oneof(anyRequest, anyNotification, successResponse, failureResponse)

/** Any valid MCP message a client sends: requests, notifications and responses to server requests. */
export const clientMessage = (targets: Targets = {}): fc.Arbitrary<JsonRpc.Message> =>
  fc.oneof(clientRequest({ targets }), clientNotification(), response)

// =============================================================================
// Hostile input
// =============================================================================

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** Text that is not JSON (and not blank, which transports skip). Answer: -32700 without an id (spec basic/index "Error Responses"). */
export const invalidJsonText: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom("{", "}", "[", "{'jsonrpc':'2.0'}", "[1,]", "{\"a\":1,}", "NaN", "undefined", "{}x", "\"unterminated", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\""),
    fc.string({ maxLength: 40 }),
    // A valid message cut short.
    fc.tuple(clientRequest(), fc.nat()).map(([m, n]) => {
      const text = JSON.stringify(m)
      return text.slice(0, 1 + (n % (text.length - 1)))
    }),
    // A valid message with trailing garbage.
    fc.tuple(clientRequest(), fc.constantFrom("x", "}", ",", "{}", "\"")).map(([m, tail]) => JSON.stringify(m) + tail)
  )
  .filter((text) => text.trim().length > 0 && !isJson(text))

/** Values that are not an object: null, numbers, strings, booleans. */
const nonObject: fc.Arbitrary<unknown> = fc.oneof(fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }).map(viaJson), fc.string(), fc.boolean())

/** Values that are not a valid request id: floats, null, booleans, objects, arrays. */
export const invalidId: fc.Arbitrary<unknown> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.constant(null),
  fc.boolean(),
  jsonObject({ maxDepth: 1 }),
  fc.array(fc.integer(), { maxLength: 3 })
)

/**
 * Valid JSON that is not a valid JSON-RPC message: non-objects, arrays
 * (batches were removed in 2025-06-18), a missing or wrong `jsonrpc`, a
 * non-string `method`, non-object `params`, invalid ids on requests, objects
 * that are neither request nor response. Answer: -32600.
 */
export const wrongShape: fc.Arbitrary<unknown> = fc.oneof(
  nonObject,
  fc.array(clientRequest(), { minLength: 0, maxLength: 3 }),
  fc.array(jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  clientRequest().chain((m) =>
    fc.oneof(
      fc.constant(Object.fromEntries(Object.entries(m).filter(([k]) => k !== "jsonrpc"))),
      fc.oneof(fc.constantFrom("1.0", "2", 2, 2.0, null, ""), fc.string({ maxLength: 4 }).filter((s) => s !== "2.0")).map((jsonrpc) => ({ ...m, jsonrpc })),
      fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), jsonObject({ maxDepth: 1 })).map((method) => ({ ...m, method })),
      fc.oneof(fc.array(jsonValue({ maxDepth: 1 }), { maxLength: 3 }), nonObject).map((params) => ({ ...m, params })),
      invalidId.map((id) => ({ ...m, id }))
    )
  ),
  // A response-looking object with a bad id or both result and error.
  fc.tuple(requestId, jsonObject(), errorObject).map(([id, result, error]) => ({ jsonrpc: "2.0", id, result, error })),
  jsonObject().map((result) => ({ jsonrpc: "2.0", result })),
  // An object without method, result or error.
  fc.tuple(requestId, jsonObject()).map(([id, other]) => {
    const { method: _m, result: _r, error: _e, ...rest } = other
    return { ...rest, jsonrpc: "2.0", id }
  })
)

/** A request for a method no MCP server implements. Answer: -32601 with its id. */
export const unknownMethodRequest = (options: { readonly id?: fc.Arbitrary<JsonRpc.RequestId> } = {}): fc.Arbitrary<JsonRpc.Request> =>
  fc
    .tuple(
      options.id ?? requestId,
      fc.oneof(
        fc.constantFrom("tools/delete", "resources/write", "sampling/createMessage", "roots/list", "elicitation/create", "notifications/initialized", "Initialize", "PING", "tools/list/", ""),
        fc.string({ maxLength: 24 })
      ),
      fc.option(jsonObject(), { nil: undefined })
    )
    .filter(([, method]) => !(clientMethods as ReadonlyArray<string>).includes(method) && !method.startsWith("tasks/"))
    .map(([id, method, params]) => request(id, method, params))

/** A request for a known method with params of the wrong shape. */
export interface BadParamsRequest {
  readonly request: JsonRpc.Request
  /** Why the params are invalid, for failure messages. */
  readonly why: string
}

/**
 * Requests for known methods whose params break the method's schema: a
 * missing or ill-typed required member, an invalid cursor, an unknown log
 * level. Answer: -32602 (spec basic/index "Error Responses", server/tools,
 * server/prompts, server/utilities/pagination, server/utilities/logging,
 * server/utilities/completion "Error Handling"). `initialize` is covered
 * separately, since only a fresh session can answer it with -32602.
 */
export const badParamsRequest = (options: { readonly id?: fc.Arbitrary<JsonRpc.RequestId> } = {}): fc.Arbitrary<BadParamsRequest> => {
  const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), jsonObject({ maxDepth: 1 }), fc.array(fc.string(), { maxLength: 2 }))
  const missingOrWrong = (field: string) =>
    fc.oneof(
      fc.constant({ params: {} as JsonObject, why: `missing ${field}` }),
      notString.map((v) => ({ params: { [field]: v } as JsonObject, why: `${field} = ${JSON.stringify(v)}` }))
    )
  const badCursor = fc.oneof(
    notString.map((v) => ({ params: { cursor: v } as JsonObject, why: `cursor = ${JSON.stringify(v)}` })),
    fc.string({ maxLength: 12 }).map((c) => ({ params: { cursor: "!" + c } as JsonObject, why: `cursor = "!${c}"` }))
  )
  const cases = fc.oneof(
    missingOrWrong("name").map((c) => ({ method: "tools/call", ...c })),
    missingOrWrong("uri").map((c) => ({ method: "resources/read", ...c })),
    missingOrWrong("uri").map((c) => ({ method: "resources/subscribe", ...c })),
    missingOrWrong("uri").map((c) => ({ method: "resources/unsubscribe", ...c })),
    missingOrWrong("name").map((c) => ({ method: "prompts/get", ...c })),
    fc.oneof(
      fc.constant({ params: {} as JsonObject, why: "missing ref and argument" }),
      fc.record({ ref: fc.oneof(notString, fc.record({ type: fc.constantFrom("ref/tool", "prompt", "") , name: fc.string() })), argument: fc.constant({ name: "a", value: "b" }) }).map((p) => ({ params: p as JsonObject, why: `ref = ${JSON.stringify(p.ref)}` })),
      fc.record({ ref: fc.constant({ type: "ref/prompt", name: "x" }), argument: notString }).map((p) => ({ params: p as JsonObject, why: `argument = ${JSON.stringify(p.argument)}` }))
    ).map((c) => ({ method: "completion/complete", ...c })),
    fc.oneof(
      fc.constant({ params: {} as JsonObject, why: "missing level" }),
      fc.oneof(notString, fc.string({ maxLength: 10 }).filter((s) => !(McpSchema.LoggingLevel.literals as ReadonlyArray<string>).includes(s))).map((v) => ({ params: { level: v } as JsonObject, why: `level = ${JSON.stringify(v)}` }))
    ).map((c) => ({ method: "logging/setLevel", ...c })),
    fc.constantFrom("tools/list", "resources/list", "resources/templates/list", "prompts/list").chain((method) => badCursor.map((c) => ({ method, ...c })))
  )
  return fc.tuple(options.id ?? requestId, cases).map(([id, c]) => ({ request: request(id, c.method, c.params), why: `${c.method}: ${c.why}` }))
}

/** `initialize` params that break `InitializeRequestParams`. Answer on a fresh session: -32602. */
export const badInitializeParams: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.constant({}),
  initializeParams.chain((p) =>
    fc.constantFrom("protocolVersion", "capabilities", "clientInfo").chain((field) =>
      fc.oneof(
        fc.constant(Object.fromEntries(Object.entries(p).filter(([k]) => k !== field))),
        fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 })).map((v) => ({ ...p, [field]: v }))
      )
    )
  )
)

/**
 * Messages with `__proto__` keys in params, arguments or `_meta`, parsed as
 * `JSON.parse` parses them (own properties): a server must neither crash nor
 * let them touch prototypes.
 */
export const protoKeys: fc.Arbitrary<unknown> = fc
  .tuple(requestId, fc.constantFrom("tools/call", "prompts/get", "resources/read", "completion/complete", "ping", "initialize"), fc.constantFrom("params", "arguments", "_meta", "top"), jsonValue({ maxDepth: 1 }))
  .map(([id, method, where, value]) => {
    const proto = `{"__proto__":${JSON.stringify(value) ?? "null"}}`
    const params = where === "params" ? proto : where === "arguments" ? `{"name":"echo","arguments":${proto}}` : where === "_meta" ? `{"_meta":${proto}}` : "{}"
    const text = where === "top"
      ? `{"__proto__":{"method":"ping"},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`
      : `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"${method}","params":${params}}`
    return JSON.parse(text) as unknown
  })

/** Options of the size-bounded hostile generators. */
export interface SizeOptions {
  readonly min?: number
  readonly max?: number
  /** Tools to aim `tools/call` at, so the payload reaches argument decoding. Default: "x". */
  readonly tools?: ReadonlyArray<string>
}

const toolNameFrom = (options: SizeOptions): fc.Arbitrary<string> =>
  options.tools === undefined || options.tools.length === 0 ? fc.constant("x") : fc.constantFrom(...options.tools)

/**
 * A request whose params carry one huge string (1–5 MB by default), as JSON
 * text. Built with `repeat`, so generation stays fast.
 */
export const hugeMessageText = (options: SizeOptions = {}): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.integer({ min: options.min ?? 1_000_000, max: options.max ?? 5_000_000 }),
      fc.constantFrom("x", "é", "😀", "\\n", " "),
      fc.constantFrom("ping", "tools/call", "tools/list", "nope"),
      fc.boolean(),
      toolNameFrom(options)
    )
    .map(([bytes, unit, method, closed, tool]) => {
      const pad = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)))
      const text = `{"jsonrpc":"2.0","id":1,"method":"${method}","params":{"name":${JSON.stringify(tool)},"arguments":{"pad":"${pad}"}}}`
      // Sometimes cut short: a huge frame that is also invalid JSON.
      return closed ? text : text.slice(0, text.length - 3)
    })

/**
 * A request whose params nest arrays and/or objects `depth` levels deep
 * (10,000–50,000 by default), as JSON text. Parsers that recurse may run
 * out of stack; the answer must still be a response, never a crash.
 */
export const deeplyNestedText = (options: SizeOptions = {}): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min: options.min ?? 10_000, max: options.max ?? 50_000 }), fc.constantFrom("array", "object", "mixed"), fc.boolean(), toolNameFrom(options))
    .map(([depth, kind, balanced, tool]) => {
      const open = kind === "array" ? "[" : kind === "object" ? "{\"a\":" : "[{\"a\":"
      const close = kind === "array" ? "]" : kind === "object" ? "}" : "}]"
      const levels = kind === "mixed" ? Math.ceil(depth / 2) : depth
      const nested = open.repeat(levels) + "0" + (balanced ? close.repeat(levels) : "")
      return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":{"deep":${nested}}}}`
    })

const encoder = new TextEncoder()

/** Byte sequences that are never valid UTF-8 (RFC 3629 §3/§4). */
const invalidUtf8Sequence: fc.Arbitrary<ReadonlyArray<number>> = fc.oneof(
  fc.integer({ min: 0x80, max: 0xbf }).map((b) => [b]), // lone continuation byte
  fc.constantFrom([0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80]), // overlong
  fc.integer({ min: 0xf5, max: 0xff }).map((b) => [b]), // never valid
  fc.integer({ min: 0xa0, max: 0xbf }).map((b) => [0xed, b, 0x80]), // UTF-16 surrogate
  fc.constantFrom([0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98]).map((lead) => [...lead, 0x41]), // truncated multi-byte
  fc.constantFrom([0xf4, 0x90, 0x80, 0x80]) // above U+10FFFF
)

/**
 * A frame (no newline) that is not valid UTF-8: a valid message with an
 * invalid sequence spliced into a string, or at either end. Answer: -32700.
 */
export const invalidUtf8Bytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(clientRequest(), invalidUtf8Sequence, fc.constantFrom("string", "start", "end"))
  .map(([m, bad, where]) => {
    const text = JSON.stringify({ ...m, params: { ...(m.params ?? {}), note: "@@" } })
    const bytes = Array.from(encoder.encode(text))
    const at = where === "start" ? 0 : where === "end" ? bytes.length : text.indexOf("@@")
    return Uint8Array.from([...bytes.slice(0, at), ...bad, ...bytes.slice(at)])
  })

/** Random bytes where `\n` is frequent, so a stream splits into many random frames. */
export const randomBytesWithNewlines = (options: { readonly maxLength?: number } = {}): fc.Arbitrary<Uint8Array> =>
  fc
    .array(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 255 }), weight: 6 }, { arbitrary: fc.constant(10), weight: 1 }), {
      maxLength: options.maxLength ?? 200
    })
    .map((bytes) => Uint8Array.from(bytes))

/** A UTF-8 frame of any text value. */
const utf8 = (text: string): Uint8Array => encoder.encode(text)

/**
 * Any parsed JSON value a peer could send: valid client messages, wrong
 * shapes, unknown methods, bad params, arbitrary JSON.
 */
export const hostileValue = (targets: Targets = {}): fc.Arbitrary<unknown> =>
  fc.oneof(
    clientMessage(targets),
    wrongShape,
    unknownMethodRequest(),
    badParamsRequest().map((c) => c.request),
    protoKeys,
    jsonValue({ maxDepth: 4 })
  )

/**
 * Any single frame (no newline) a peer could send, as bytes: JSON of any
 * hostile value, invalid JSON, invalid UTF-8, random bytes.
 */
export const hostileFrame = (targets: Targets = {}): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    hostileValue(targets).map((v) => utf8(JSON.stringify(v) ?? "null")),
    invalidJsonText.map(utf8),
    invalidUtf8Bytes,
    randomBytesWithNewlines({ maxLength: 64 }).map((b) => b.filter((x) => x !== 10))
  )

/**
 * A stdin stream: newline-terminated frames (mostly meaningful, some
 * random), optionally ending without a final newline.
 */
export const hostileStream = (targets: Targets = {}): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(fc.array(fc.oneof({ arbitrary: hostileFrame(targets), weight: 4 }, { arbitrary: randomBytesWithNewlines(), weight: 1 }), { maxLength: 6 }), fc.boolean())
    .map(([frames, trailingNewline]) => {
      const parts: Array<number> = []
      frames.forEach((frame, i) => {
        parts.push(...frame)
        if (i < frames.length - 1 || trailingNewline) parts.push(10)
      })
      return Uint8Array.from(parts)
    })
