/**
 * Policies that key by caller (`RateLimit`, `Concurrency`, `ResultCache`) may
 * run before `Authentication.middleware` in the chain. Where the transport's
 * context holds the stand-in `McpServer.register` outputs for `Principal`
 * (reading it is a defect), an unauthenticated request must still end as the
 * authentication refusal, not as -32603 from a policy that read the stand-in.
 */
import { McpServer, Tool } from "@emcee/core"
import { MemoryTransport } from "@emcee/transport"
import { Effect, Fiber, Layer, Schema, Stream } from "effect"
import { describe, expect, it } from "vitest"
import * as Authentication from "../src/Authentication.js"
import * as Concurrency from "../src/Concurrency.js"
import * as Principal from "../src/Principal.js"
import * as RateLimit from "../src/RateLimit.js"
import * as ResultCache from "../src/ResultCache.js"

const whoami = Tool.make("whoami", { input: Schema.Struct({}), handler: () => Effect.map(Principal.Principal, (p) => p.subject) })

const App = McpServer.register(
  RateLimit.tokenBucket({ rate: 100, burst: 100 }),
  Concurrency.limit({ max: 10, key: Concurrency.byPrincipal }),
  ResultCache.make({ ttl: "1 minute" }),
  Authentication.middleware,
  whoami
).pipe(Layer.provideMerge(McpServer.layer({ name: "ordered", version: "1.0.0" })))

const exchange = (context?: Parameters<typeof Authentication.contextOf>[0]) =>
  Effect.gen(function*() {
    const client = yield* MemoryTransport.make(context === undefined ? {} : { context: Authentication.contextOf(context) })
    const answers: Array<unknown> = []
    for (
      const message of [
        { jsonrpc: "2.0" as const, id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "o", version: "1" } } },
        { jsonrpc: "2.0" as const, id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }
      ]
    ) {
      const next = yield* Effect.fork(Stream.runHead(client.incoming))
      yield* client.send(message)
      answers.push(yield* Fiber.join(next))
    }
    return answers[1] as { _tag: "Some"; value: { error?: { code: number; data?: { _tag: string } }; result?: unknown } }
  }).pipe(Effect.scoped, Effect.provide(App))

describe("caller-keyed policies before Authentication.middleware", () => {
  it("an unauthenticated call ends as the authentication refusal (-32000 AuthenticationError), never -32603", async () => {
    const answer = await Effect.runPromise(exchange())
    expect(answer.value.error).toMatchObject({ code: -32000, data: { _tag: "AuthenticationError", reason: "missing" } })
  })

  it("an authenticated call passes every policy and reaches the handler", async () => {
    const answer = await Effect.runPromise(exchange(Principal.make("dana", [], { kind: "api-key" })))
    expect(answer.value.result).toMatchObject({ content: [{ type: "text", text: "dana" }] })
  })
})
