/**
 * `RequestState.relay`: a relay (a gateway) passes another server's
 * `input_required` round on whole (spec 2026-07-28 basic/patterns/mrtr):
 * every input request in one round under the other server's keys, what it
 * carries sealed in this server's `requestState`, the client's answers given
 * back on the retry; under 2025-11-25 there are no rounds to relay.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpServer, RequestState, Tool } from "@emcee/core"
import { Effect, Layer, Option, Schema } from "effect"
import { rawSession } from "./support/spec.js"

const ask = { method: "elicitation/create", params: { mode: "form", message: "Name?", requestedSchema: { type: "object", properties: {} } } }

/** Relays round "one" (two requests), then round "two" (the key `a` again), then reports what the retries carried. */
const relaying = Tool.make("relaying", {
  input: Schema.Struct({ q: Schema.String }),
  handler: () =>
    Effect.gen(function*() {
      if (!(yield* RequestState.relaying)) return "no rounds"
      const retry = yield* RequestState.relayed
      if (Option.isNone(retry)) return yield* RequestState.relay({ a: ask, b: { method: "roots/list", params: {} } }, { upstream: "one" })
      const { carried, inputResponses } = retry.value
      // `a` is asked again although this attempt has an answer under that key: a relayed round is passed on as it is.
      if ((carried as { readonly upstream: string }).upstream === "one") return yield* RequestState.relay({ a: ask }, { upstream: "two" })
      return `${JSON.stringify(carried)} ${JSON.stringify(inputResponses)}`
    })
})

const App = McpServer.register(relaying).pipe(
  Layer.provideMerge(McpServer.layer({ name: "relay", version: "1.0.0", requestState: { key: "0123456789abcdef0123456789abcdef" } }))
)

const call = (id: number, extra: Record<string, unknown> = {}, protocolVersion = "2026-07-28") => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: {
    name: "relaying",
    arguments: { q: "x" },
    ...extra,
    _meta: { "io.modelcontextprotocol/protocolVersion": protocolVersion, "io.modelcontextprotocol/clientCapabilities": { elicitation: {}, roots: {} } }
  }
})

interface Answer {
  readonly result?: Record<string, unknown>
  readonly error?: { readonly code: number; readonly message: string }
}

describe("RequestState.relay (spec 2026-07-28 basic/patterns/mrtr)", () => {
  it.scoped("passes rounds on whole under their keys, carries the relay's state, gives the answers back on the retry", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      const exchange = (message: unknown) => raw.exchange(message) as unknown as Effect.Effect<Answer>
      const first = yield* exchange(call(1))
      expect(first.result).toMatchObject({ resultType: "input_required", inputRequests: { a: ask, b: { method: "roots/list", params: {} } } })
      const state1 = first.result!.requestState
      expect(typeof state1).toBe("string")
      const second = yield* exchange(call(2, { inputResponses: { a: { action: "decline" }, b: { roots: [] } }, requestState: state1 }))
      expect(second.result).toMatchObject({ resultType: "input_required", inputRequests: { a: ask } })
      expect(Object.keys(second.result!.inputRequests as object)).toEqual(["a"])
      const third = yield* exchange(call(3, { inputResponses: { a: { action: "accept", content: {} } }, requestState: second.result!.requestState }))
      expect(third.result).toMatchObject({
        resultType: "complete",
        content: [{ type: "text", text: `{"upstream":"two"} {"a":{"action":"accept","content":{}}}` }]
      })
      // The state is this server's, sealed: a changed one is refused before the handler runs.
      const forged = yield* exchange(call(4, { inputResponses: {}, requestState: `${String(state1)}x` }))
      expect(forged.error?.code).toBe(-32602)
    }).pipe(Effect.provide(App)))

  it.scoped("2025-11-25 has no rounds: relaying is false", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      yield* raw.initialize("2025-11-25")
      const answer = (yield* raw.exchange({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "relaying", arguments: { q: "x" } } })) as unknown as Answer
      expect(answer.result).toMatchObject({ content: [{ type: "text", text: "no rounds" }] })
    }).pipe(Effect.provide(App)))
})
