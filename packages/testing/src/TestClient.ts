/**
 * A connected MCP client for tests: the app's `McpServer` on one end of the
 * in-memory transport, a real `McpClient` on the other, initialized and
 * ready. Every message goes through a JSON round trip, so what a test sees is
 * what a client over stdio or HTTP would see.
 *
 * @example
 * import { describe, expect, it } from "@effect/vitest"
 * import { Effect, Schema } from "effect"
 * import { McpServer, Tool } from "@emcee/core"
 * import { TestClient } from "@emcee/testing"
 *
 * const echo = Tool.make("echo", {
 *   input: Schema.Struct({ text: Schema.String }),
 *   handler: ({ text }) => Effect.succeed(text)
 * })
 *
 * describe("echo", () => {
 *   it.scoped("echoes its input", () =>
 *     Effect.gen(function*() {
 *       const client = yield* TestClient.TestClient
 *       const result = yield* client.callTool("echo", { text: "hi" })
 *       expect(result.content).toEqual([{ type: "text", text: "hi" }])
 *     }).pipe(Effect.provide(TestClient.layerWith({ name: "test", version: "1.0.0" }, echo))))
 * })
 *
 * // The long form, for client options (capabilities, sampling/elicitation/roots handlers):
 * const WithSampling = TestClient.layer({ handlers: { sampling: (params) => ... } }).pipe(
 *   Layer.provideMerge(TestClient.server({ name: "test", version: "1.0.0" }, echo))
 * )
 *
 * @since 0.1.0
 */
import { McpClient, McpSchema, McpServer } from "@emcee/core"
import { MemoryTransport } from "@emcee/transport"
import { Context, Effect, Layer, type Scope } from "effect"

/** Options of the test client: everything of `McpClient.make` but the transport, all optional. */
export interface Options extends Partial<Omit<McpClient.Options, "transport">> {
  /** JSON round-trip every message (default true); see `MemoryTransport`. */
  readonly serialize?: boolean
}

/** Service tag of the connected test client. */
export class TestClient extends Context.Tag("@emcee/testing/TestClient")<TestClient, McpClient.McpClient>() {}

/** The `clientInfo` the test client introduces itself with unless told otherwise. */
export const defaultClientInfo = { name: "emcee-test-client", version: "0.1.0" } as const

/** Connects a client to the `McpServer` in context for the life of the scope. */
export const make = (
  options: Options = {}
): Effect.Effect<McpClient.McpClient, McpClient.McpClientError, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const { serialize, clientInfo, ...rest } = options
    const transport = yield* MemoryTransport.make(serialize === undefined ? {} : { serialize })
    // 2025-11-25 unless asked: tests of sessions, server-to-client requests and subscriptions read it.
    return yield* McpClient.make({
      ...rest,
      protocolVersion: rest.protocolVersion ?? McpSchema.LATEST_PROTOCOL_VERSION,
      transport,
      clientInfo: clientInfo ?? defaultClientInfo
    })
  })

/** A connected client as a Layer over the `McpServer` it is given. */
export const layer = (options: Options = {}): Layer.Layer<TestClient, McpClient.McpClientError, McpServer.McpServer> =>
  Layer.scoped(TestClient, make(options))

/**
 * A server with these options and items registered, as a Layer that also
 * outputs `McpServer` (for tests that add items at runtime or watch events).
 */
export const server = <const Items extends ReadonlyArray<McpServer.Registrable<unknown>>>(
  options: McpServer.Options,
  ...items: Items
): Layer.Layer<McpServer.McpServer, never, McpServer.Remaining<Items[number]>> =>
  McpServer.register(...items).pipe(Layer.provideMerge(McpServer.layer(options))) as Layer.Layer<
    McpServer.McpServer,
    never,
    McpServer.Remaining<Items[number]>
  >

/**
 * A default test client connected to a new server with these options and
 * items: the one-liner for most server tests. The items' requirements remain
 * (provide them after).
 */
export const layerWith = <const Items extends ReadonlyArray<McpServer.Registrable<unknown>>>(
  options: McpServer.Options,
  ...items: Items
): Layer.Layer<TestClient | McpServer.McpServer, McpClient.McpClientError, McpServer.Remaining<Items[number]>> =>
  layer().pipe(Layer.provideMerge(server(options, ...items)))
