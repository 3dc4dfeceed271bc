/**
 * Reusable property suites any emcee server can run in its own vitest tests.
 * Each suite registers `describe`/`it` blocks; the server under test is the
 * app's Layer, built once per suite and connected to afresh for every case
 * through the transport contract (`server.connect({ send })`).
 *
 * - `roundTrip`: valid messages survive Schema encode/decode.
 * - `robustness`: no input crashes or hangs the server.
 * - `oneResponsePerRequest`: every request gets exactly one response with its id.
 * - `errorCodes`: malformed input gets the JSON-RPC error the spec names.
 * - `protocol`: all of the above.
 *
 * @example
 * import { PropertySuites } from "@emcee/testing/vitest"
 * PropertySuites.protocol("my server", App) // App: Layer<McpServer.McpServer>
 *
 * @since 0.1.0
 */
import { JsonRpc, McpSchema, McpServer } from "@emcee/core"
import { Frame } from "@emcee/transport"
import { Effect, Either, Layer, Logger, LogLevel, ManagedRuntime, Schema } from "effect"
import * as fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import * as Arbitraries from "./Arbitraries.js"

/** Options shared by the suites. */
export interface Options {
  /** Cases per property; at least 1,000 is the point of these suites. Default 1000. */
  readonly numRuns?: number
  /** Cases of the huge-payload property (1–5 MB and 10k-deep frames). Default 6. */
  readonly hugeRuns?: number
  /** fast-check seed, to replay a failure. */
  readonly seed?: number
  /** How long one `handle` may take before it counts as a hang. Default 5 s. */
  readonly handleTimeoutMillis?: number
  /** vitest timeout of each property. Default 120 s. */
  readonly testTimeoutMillis?: number
  /** Names to aim requests at; default: whatever the server lists. */
  readonly targets?: Arbitraries.Targets
  /** Minimum level of the server's logs during the suite. Default: none. */
  readonly logLevel?: LogLevel.LogLevel
}

/** A server under test: the app Layer providing `McpServer`. */
export type App<E = never> = Layer.Layer<McpServer.McpServer, E, never>

// =============================================================================
// Harness
// =============================================================================

/** What one client connection saw. */
interface Client {
  readonly connection: McpServer.Connection
  /** Everything the server sent through `send`, in order. */
  readonly sent: Array<JsonRpc.Message>
  /** `handle` bounded by the hang timeout; fails with "hung" or the defect. */
  readonly handle: (message: unknown) => Effect.Effect<JsonRpc.Response | undefined, string>
}

const hung = (millis: number) => `handle did not complete within ${millis} ms`

/**
 * Opens a client connection for the scope. Server-to-client requests
 * (sampling, elicitation, roots, ping) are answered with an error at once, so
 * a handler that asks the client something cannot stall a case.
 */
const connectClient = (timeoutMillis: number) =>
  Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const sent: Array<JsonRpc.Message> = []
    const self: { connection?: McpServer.Connection } = {}
    const send = (message: JsonRpc.Message) =>
      Effect.suspend(() => {
        sent.push(message)
        const connection = self.connection
        if (connection !== undefined && "method" in message && "id" in message) {
          const reply = JsonRpc.failure(message.id, JsonRpc.ErrorCode.MethodNotFound, "The property-test client answers no requests")
          return Effect.asVoid(Effect.forkDaemon(connection.handle(reply)))
        }
        return Effect.void
      })
    const conn = yield* server.connect({ send })
    self.connection = conn
    const handle = (message: unknown) =>
      conn.handle(message).pipe(
        Effect.timeoutFail({ duration: timeoutMillis, onTimeout: () => hung(timeoutMillis) }),
        Effect.catchAllDefect((defect) => Effect.fail(`handle died: ${String(defect)}`)),
        Effect.onInterrupt(() => Effect.void)
      )
    return { connection: conn, sent, handle } satisfies Client
  })

/** The handshake of spec basic/lifecycle "Initialization", without client capabilities. */
const initialize = (client: Client) =>
  Effect.gen(function*() {
    const response = yield* client.handle({
      jsonrpc: "2.0",
      id: "property-suite-init",
      method: "initialize",
      params: { protocolVersion: McpSchema.LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "emcee-property-suite", version: "0.1.0" } }
    })
    if (response === undefined || !("result" in response)) {
      return yield* Effect.fail(`initialize failed: ${JSON.stringify(response)}`)
    }
    yield* client.handle({ jsonrpc: "2.0", method: "notifications/initialized" })
  })

/** Builds the app once per suite and runs each case on a fresh connection. */
const harness = <E>(app: App<E>, options: Options) => {
  const quiet = Logger.minimumLogLevel(options.logLevel ?? LogLevel.None)
  const runtime = ManagedRuntime.make(Layer.merge(app, quiet))
  afterAll(() => runtime.dispose())
  const timeoutMillis = options.handleTimeoutMillis ?? 5_000
  /** Runs `body` with a connected client; rejects with the failure message. */
  const run = <A>(body: (client: Client) => Effect.Effect<A, string, McpServer.McpServer>, init = true): Promise<A> =>
    runtime.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          const client = yield* connectClient(timeoutMillis)
          if (init) yield* initialize(client)
          return yield* body(client)
        })
      ).pipe(Effect.mapError((message) => new Error(message)))
    )
  let targets: Promise<Arbitraries.Targets> | undefined
  /** The names the server lists (first page of each list), unless given. */
  const discover = (): Promise<Arbitraries.Targets> =>
    (targets ??= options.targets !== undefined
      ? Promise.resolve(options.targets)
      : run((client) =>
        Effect.gen(function*() {
          const names = (method: string, field: string, key: string) =>
            Effect.map(client.handle({ jsonrpc: "2.0", id: method, method }), (response) => {
              const result = response !== undefined && "result" in response ? response.result[field] : undefined
              return Array.isArray(result)
                ? result.flatMap((item: unknown) => {
                  const value = typeof item === "object" && item !== null ? (item as Record<string, unknown>)[key] : undefined
                  return typeof value === "string" ? [value] : []
                })
                : []
            })
          return {
            tools: yield* names("tools/list", "tools", "name"),
            resources: yield* names("resources/list", "resources", "uri"),
            resourceTemplates: yield* names("resources/templates/list", "resourceTemplates", "uriTemplate"),
            prompts: yield* names("prompts/list", "prompts", "name")
          }
        })
      ))
  const params = (numRuns = options.numRuns ?? 1000): fc.Parameters<unknown> =>
    options.seed === undefined ? { numRuns } : { numRuns, seed: options.seed }
  const testTimeout = options.testTimeoutMillis ?? 120_000
  return { run, discover, params, testTimeout }
}

/** A response the server produced, as it would appear on the wire. */
const wire = (response: unknown): unknown => JSON.parse(JSON.stringify(response)) as unknown

/** Fails unless `value` is a well-formed JSON-RPC response (spec basic/index "Responses"). */
const expectResponse = (value: unknown): JsonRpc.Response => {
  const classified = JsonRpc.classify(wire(value))
  if (classified._tag !== "Response") throw new Error(`not a JSON-RPC response: ${JSON.stringify(value)}`)
  return classified.message
}

// =============================================================================
// Round trip
// =============================================================================

/**
 * Valid messages and every MCP result type survive `decode(encode(x))`
 * unchanged, through `JsonRpc.MessageSchema` and the `McpSchema` schemas.
 * Needs no server.
 */
export const roundTrip = (options: Options = {}): void => {
  const params = (): fc.Parameters<unknown> =>
    options.seed === undefined ? { numRuns: options.numRuns ?? 1000 } : { numRuns: options.numRuns ?? 1000, seed: options.seed }
  const timeout = options.testTimeoutMillis ?? 120_000
  describe("valid messages round-trip through encode and decode", () => {
    it("JSON-RPC messages survive JsonRpc.MessageSchema", () => {
      const encode = Schema.encodeSync(JsonRpc.MessageSchema)
      const decode = Schema.decodeUnknownSync(JsonRpc.MessageSchema)
      fc.assert(
        fc.property(Arbitraries.message, (message) => {
          expect(decode(wire(encode(message)))).toEqual(message)
        }),
        params()
      )
    }, timeout)

    it("MCP client messages survive McpSchema.JSONRPCMessage and the ClientRequest / ClientNotification unions", () => {
      const roundTrips = (schema: Schema.Schema<unknown, unknown>, value: unknown) =>
        expect(Schema.decodeUnknownSync(schema)(wire(Schema.encodeSync(schema)(Schema.decodeUnknownSync(schema)(value))))).toEqual(value)
      fc.assert(
        fc.property(fc.oneof(Arbitraries.clientRequest(), Arbitraries.clientNotification()), (message) => {
          roundTrips(McpSchema.JSONRPCMessage as Schema.Schema<unknown, unknown>, message)
          roundTrips(("id" in message ? McpSchema.ClientRequest : McpSchema.ClientNotification) as Schema.Schema<unknown, unknown>, message)
        }),
        params()
      )
    }, timeout)

    it("every MCP result type survives its McpSchema schema", () => {
      const cases = Object.entries(Arbitraries.resultTypes).map(([name, { arbitrary, schema }]) =>
        arbitrary.map((value) => ({ name, schema: schema as Schema.Schema<unknown, unknown>, value }))
      )
      fc.assert(
        fc.property(fc.oneof(...cases), ({ name, schema, value }) => {
          const encoded = wire(Schema.encodeSync(schema)(value))
          const decoded = Schema.decodeUnknownEither(schema)(encoded)
          if (Either.isLeft(decoded)) throw new Error(`${name} did not decode after encoding: ${decoded.left.message}`)
          expect(decoded.right).toEqual(value)
        }),
        params()
      )
    }, timeout)
  })
}

// =============================================================================
// Robustness
// =============================================================================

/** One input of the robustness property: a parsed value or a raw frame. */
type Input = { readonly _tag: "Value"; readonly value: unknown } | { readonly _tag: "Frame"; readonly bytes: Uint8Array }

/**
 * Feeds the whole input through the frame decoder (bytes) and `handle`,
 * checking that each completes in time, never fails or dies, and that what
 * comes back is a well-formed response with the right id.
 */
const feed = (client: Client, input: Input): Effect.Effect<void, string> =>
  Effect.gen(function*() {
    let value: unknown
    if (input._tag === "Frame") {
      const frame = Frame.decodeFrame(input.bytes)
      if (frame._tag === "Empty") return
      if (frame._tag === "Error") {
        // spec basic/index "Error Responses": no id could be read, so none is sent.
        const response = expectResponse(frame.response)
        if (response.id !== undefined || !("error" in response) || response.error.code !== JsonRpc.ErrorCode.ParseError) {
          return yield* Effect.fail(`bad frame answered ${JSON.stringify(response)}`)
        }
        return
      }
      value = frame.value
    } else {
      value = input.value
    }
    const response = yield* client.handle(value)
    const classified = JsonRpc.classify(value)
    if (response === undefined) {
      // Only requests (cancelled) and notifications/responses may go unanswered.
      if (classified._tag === "Invalid") return yield* Effect.fail(`no error response to invalid ${JSON.stringify(value)}`)
      return
    }
    const checked = expectResponse(response)
    if (classified._tag === "Request" && checked.id !== classified.message.id) {
      return yield* Effect.fail(`response id ${JSON.stringify(checked.id)} for request id ${JSON.stringify(classified.message.id)}`)
    }
    if (classified._tag === "Notification" || classified._tag === "Response") {
      // spec basic/index "Notifications": the receiver MUST NOT send a response.
      return yield* Effect.fail(`a response to a notification or response: ${JSON.stringify(response)}`)
    }
  })

/**
 * No input crashes or hangs the server: random sequences of valid and
 * hostile values and frames, on initialized and fresh connections, handled
 * concurrently; every `handle` completes within the bound with a
 * well-formed response or nothing. A second property sends 1–5 MB and
 * 10,000+-deep frames.
 */
export const robustness = <E>(app: App<E>, options: Options = {}): void => {
  const h = harness(app, options)
  describe("no input crashes or hangs the server", () => {
    it("survives any sequence of valid and hostile values and frames", async () => {
      const targets = await h.discover()
      const input: fc.Arbitrary<Input> = fc.oneof(
        Arbitraries.hostileValue(targets).map((value) => ({ _tag: "Value" as const, value })),
        Arbitraries.hostileFrame(targets).map((bytes) => ({ _tag: "Frame" as const, bytes }))
      )
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.array(input, { minLength: 1, maxLength: 6 }), (init, inputs) =>
          h.run((client) =>
            Effect.gen(function*() {
              yield* Effect.forEach(inputs, (i) => feed(client, i), { concurrency: "unbounded", discard: true })
              // Whatever the server pushed on its own must be a valid message too.
              for (const message of client.sent) {
                if (JsonRpc.classify(wire(message))._tag === "Invalid") yield* Effect.fail(`sent an invalid message ${JSON.stringify(message)}`)
              }
            }), init)
        ),
        h.params()
      )
    }, h.testTimeout)

    it("survives huge (1–5 MB) and deeply nested (10k+ levels) frames", async () => {
      const { tools } = await h.discover()
      const size = tools === undefined ? {} : { tools }
      const frame = fc.oneof(Arbitraries.hugeMessageText(size), Arbitraries.deeplyNestedText(size))
      await fc.assert(
        fc.asyncProperty(frame, (text) =>
          h.run((client) => {
            const decoded = Frame.decodeText(text)
            if (decoded._tag !== "Message") return Effect.void
            return Effect.map(client.handle(decoded.value), (response) => {
              if (response !== undefined) expectResponse(response)
            })
          })
        ),
        h.params(options.hugeRuns ?? 6)
      )
    }, h.testTimeout)
  })
}

// =============================================================================
// Exactly one response per request
// =============================================================================

/** Which result schema answers each method (spec schema "ServerResult"). */
const resultSchemas: { readonly [method: string]: Schema.Schema<unknown, unknown> } = {
  initialize: McpSchema.InitializeResult,
  ping: McpSchema.EmptyResult,
  "tools/list": McpSchema.ListToolsResult,
  "tools/call": McpSchema.CallToolResult,
  "resources/list": McpSchema.ListResourcesResult,
  "resources/templates/list": McpSchema.ListResourceTemplatesResult,
  "resources/read": McpSchema.ReadResourceResult,
  "resources/subscribe": McpSchema.EmptyResult,
  "resources/unsubscribe": McpSchema.EmptyResult,
  "prompts/list": McpSchema.ListPromptsResult,
  "prompts/get": McpSchema.GetPromptResult,
  "completion/complete": McpSchema.CompleteResult,
  "logging/setLevel": McpSchema.EmptyResult
} as unknown as { readonly [method: string]: Schema.Schema<unknown, unknown> }

/** Distinguishes `1` from `"1"` while treating equal ids as one. */
const idKey = (id: JsonRpc.RequestId | undefined): string => (typeof id === "number" ? `n:${id}` : `s:${String(id)}`)

/**
 * Every request gets exactly one response carrying its id, and notifications
 * get none (spec basic/index "Requests", "Responses", "Notifications"): an
 * initialized connection receives a shuffled mix of valid requests with
 * unique ids and client notifications, all at once. Each success result
 * also decodes with its method's result schema.
 */
export const oneResponsePerRequest = <E>(app: App<E>, options: Options = {}): void => {
  const h = harness(app, options)
  describe("every request gets exactly one response with its id", () => {
    it("answers each of a concurrent mix of requests and notifications exactly once", async () => {
      const targets = await h.discover()
      const ids = fc.uniqueArray(Arbitraries.requestId.filter((id) => !String(id).startsWith("cancel-")), {
        minLength: 1,
        maxLength: 8,
        selector: idKey
      })
      const traffic = fc
        .tuple(ids, fc.array(Arbitraries.clientNotification(fc.string({ maxLength: 6 }).map((s) => `cancel-${s}`)), { maxLength: 4 }))
        .chain(([unique, notifications]) =>
          fc.tuple(...unique.map((id) => Arbitraries.clientRequest({ id: fc.constant(id), targets }))).chain((requests) =>
            fc
              .shuffledSubarray<JsonRpc.Request | JsonRpc.Notification>([...requests, ...notifications], {
                minLength: requests.length + notifications.length
              })
              .map((messages) => ({ requests, messages }))
          )
        )
      await fc.assert(
        fc.asyncProperty(traffic, ({ messages, requests }) =>
          h.run((client) =>
            Effect.gen(function*() {
              const returned = yield* Effect.forEach(messages, client.handle, { concurrency: "unbounded" })
              const responses = [
                ...returned.filter((r): r is JsonRpc.Response => r !== undefined),
                ...client.sent.filter((m): m is JsonRpc.Response => !("method" in m))
              ].map(expectResponse)
              const byId = new Map<string, Array<JsonRpc.Response>>()
              for (const r of responses) byId.set(idKey(r.id), [...(byId.get(idKey(r.id)) ?? []), r])
              for (const request of requests) {
                const answers = byId.get(idKey(request.id)) ?? []
                if (answers.length !== 1) {
                  return yield* Effect.fail(`${answers.length} responses to ${JSON.stringify(request)}`)
                }
                byId.delete(idKey(request.id))
                const answer = answers[0]!
                const schema = resultSchemas[request.method]
                if ("result" in answer && schema !== undefined && Either.isLeft(Schema.decodeUnknownEither(schema)(answer.result))) {
                  return yield* Effect.fail(`${request.method} result breaks its schema: ${JSON.stringify(answer.result)}`)
                }
              }
              if (byId.size > 0) return yield* Effect.fail(`responses no request asked for: ${JSON.stringify([...byId.values()])}`)
            })
          )
        ),
        h.params()
      )
    }, h.testTimeout)
  })
}

// =============================================================================
// Error codes
// =============================================================================

/** One malformed input and the error the spec requires for it. */
type Malformed =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Bytes"; readonly bytes: Uint8Array }
  | { readonly _tag: "Value"; readonly value: unknown; readonly code: number; readonly why: string; readonly fresh?: boolean }

/**
 * Malformed input gets the right JSON-RPC error (JSON-RPC 2.0 §5.1, spec
 * 2025-11-25 basic/index "Error Responses"): invalid JSON or UTF-8 → -32700
 * without an id; a value that is not a JSON-RPC message → -32600 (with the id
 * when it could be read, else without one); an unknown method → -32601; invalid
 * params of a known method → -32602, all with the request's id.
 */
export const errorCodes = <E>(app: App<E>, options: Options = {}): void => {
  const h = harness(app, options)
  describe("malformed input gets the right JSON-RPC error", () => {
    it("answers -32700, -32600, -32601 and -32602 where the spec says so", async () => {
      const malformed: fc.Arbitrary<Malformed> = fc.oneof(
        Arbitraries.invalidJsonText.map((text) => ({ _tag: "Text" as const, text })),
        Arbitraries.invalidUtf8Bytes.map((bytes) => ({ _tag: "Bytes" as const, bytes })),
        Arbitraries.wrongShape.map((value) => ({ _tag: "Value" as const, value, code: JsonRpc.ErrorCode.InvalidRequest, why: "not a JSON-RPC message" })),
        Arbitraries.unknownMethodRequest().map((value) => ({ _tag: "Value" as const, value, code: JsonRpc.ErrorCode.MethodNotFound, why: "unknown method" })),
        Arbitraries.badParamsRequest().map(({ request, why }) => ({ _tag: "Value" as const, value: request, code: JsonRpc.ErrorCode.InvalidParams, why })),
        fc.tuple(Arbitraries.requestId, Arbitraries.badInitializeParams).map(([id, params]) => ({
          _tag: "Value" as const,
          value: { jsonrpc: "2.0", id, method: "initialize", params },
          code: JsonRpc.ErrorCode.InvalidParams,
          why: "initialize with invalid params",
          fresh: true
        }))
      )
      await fc.assert(
        fc.asyncProperty(malformed, (input) =>
          h.run((client) =>
            Effect.gen(function*() {
              if (input._tag !== "Value") {
                const frame = input._tag === "Text" ? Frame.decodeText(input.text) : Frame.decodeFrame(input.bytes)
                const response = frame._tag === "Error" ? expectResponse(frame.response) : undefined
                if (response === undefined || response.id !== undefined || !("error" in response) || response.error.code !== JsonRpc.ErrorCode.ParseError) {
                  return yield* Effect.fail(`expected -32700 without an id, got ${JSON.stringify(frame)}`)
                }
                return
              }
              const answer = yield* client.handle(input.value)
              const response = answer === undefined ? undefined : expectResponse(answer)
              const value = input.value as { readonly id?: unknown }
              const readableId = typeof value === "object" && value !== null && !Array.isArray(value) &&
                  (typeof value.id === "string" || Number.isInteger(value.id))
                ? (value.id as JsonRpc.RequestId)
                : undefined
              const idOk = response !== undefined &&
                (input.code === JsonRpc.ErrorCode.InvalidRequest ? response.id === undefined || response.id === readableId : response.id === readableId)
              if (response === undefined || !("error" in response) || response.error.code !== input.code || !idOk) {
                return yield* Effect.fail(`${input.why}: expected ${input.code} for ${JSON.stringify(input.value)}, got ${JSON.stringify(answer)}`)
              }
            }), input._tag !== "Value" || input.fresh !== true)
        ),
        h.params()
      )
    }, h.testTimeout)
  })
}

// =============================================================================
// All of it
// =============================================================================

/**
 * Every suite against one app: round trip, robustness, one response per
 * request, error codes. Call at the top level of a test file.
 */
export const protocol = <E>(name: string, app: App<E>, options: Options = {}): void => {
  describe(name, () => {
    roundTrip(options)
    robustness(app, options)
    oneResponsePerRequest(app, options)
    errorCodes(app, options)
  })
}

