/**
 * Multi round-trip requests (spec 2026-07-28 basic/patterns/mrtr): the same
 * handler code that sends server-to-client requests under 2025-11-25 answers
 * `input_required` under 2026-07-28 and completes on the retry; the
 * `requestState` is sealed, bound to its request and expires.
 */
import { describe, expect, it } from "@effect/vitest"
import { Elicitation, McpServer, Prompt, RequestState, Roots, Sampling, Tool } from "@emcee/core"
import * as SpecValidator from "@emcee/testing/SpecValidator"
import { Effect, Layer, Schema } from "effect"
import * as fc from "fast-check"
import { rawSession } from "./support/spec.js"

const spec2026 = SpecValidator.fromFile(SpecValidator.schemaPath("2026-07-28"))
const expect2026 = (definition: string, value: unknown): void => {
  const outcome = spec2026.validate(definition, value)
  expect(outcome.valid ? "valid" : `${outcome.errors}\n${JSON.stringify(value)}`).toBe("valid")
}

/** Every run of a handler, with what it saw: the proof that nothing forged reached one. */
const runs: Array<{ readonly tool: string; readonly round: number; readonly answers: ReadonlyArray<unknown> }> = []

const Name = Schema.Struct({ name: Schema.String })
const Color = Schema.Struct({ color: Schema.String })

const twoSteps = Tool.make("two_steps", {
  input: Schema.Struct({ greeting: Schema.String }),
  handler: ({ greeting }) =>
    Effect.gen(function*() {
      const started = yield* RequestState.once("started", Schema.Number, Effect.sync(() => runs.length))
      const round = yield* RequestState.round
      const name = yield* Elicitation.form("Step 1: What is your name?", Name, { inputKey: "step1" })
      const color = yield* Elicitation.form("Step 2: What is your favorite color?", Color, { inputKey: "step2" })
      runs.push({ tool: "two_steps", round, answers: [name, color] })
      const n = name.action === "accept" ? name.content.name : "?"
      const c = color.action === "accept" ? color.content.color : "?"
      return `${greeting} ${n}, you like ${c} (round ${round}, started at ${started})`
    })
})

const together = Tool.make("together", {
  handler: () =>
    Effect.gen(function*() {
      const [name, sample, roots] = yield* Effect.all([
        Elicitation.form("What is your name?", Name, { inputKey: "user_name" }),
        Sampling.createMessage({ messages: [{ role: "user", content: { type: "text", text: "Greet" } }], maxTokens: 50 }, { inputKey: "greeting" }),
        Roots.list({ inputKey: "client_roots" })
      ], { concurrency: "unbounded" })
      runs.push({ tool: "together", round: yield* RequestState.round, answers: [name, sample, roots] })
      return `${name.action} ${sample.model} ${roots.roots.length}`
    })
})

const needsSampling = Tool.make("needs_sampling", {
  handler: () =>
    Sampling.createMessage({ messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 5 }).pipe(
      // A handler that catches every failure still cannot turn -32021 into a result.
      Effect.map((r) => r.model),
      Effect.catchAll(() => Effect.succeed("swallowed"))
    )
})

const asksInPrompt = Prompt.make({
  name: "context_prompt",
  render: () =>
    Effect.map(
      Elicitation.form("What context should the prompt use?", Schema.Struct({ context: Schema.String }), { inputKey: "user_context" }),
      (answer) => [{ role: "user" as const, content: { type: "text" as const, text: answer.action === "accept" ? `Use ${answer.content.context}` : "No context" } }]
    )
})

const App = McpServer.register(twoSteps, together, needsSampling, asksInPrompt).pipe(
  Layer.provideMerge(McpServer.layer({ name: "mrtr", version: "1.0.0", requestState: { key: "0123456789abcdef0123456789abcdef" } }))
)

const everything = { elicitation: {}, sampling: {}, roots: {} }
const meta = (capabilities: Record<string, unknown> = everything) => ({
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": capabilities
})
let nextId = 1
const call = (name: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}, capabilities?: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  id: nextId++,
  method: "tools/call",
  params: { name, arguments: args, ...extra, _meta: meta(capabilities) }
})
const accept = (content: Record<string, unknown>) => ({ action: "accept", content })

interface Raw {
  readonly exchange: (message: unknown) => Effect.Effect<{ result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } }>
}

const asRaw = (raw: unknown): Raw => raw as Raw

describe("multi round-trip requests (spec 2026-07-28 basic/patterns/mrtr)", () => {
  it.scoped("a handler asking twice: input_required, input_required with a new state, then complete; once-values carried (Basic Workflow)", () =>
    Effect.gen(function*() {
      const raw = asRaw(yield* rawSession)
      const first = yield* raw.exchange(call("two_steps", { greeting: "Hi" }))
      expect2026("CallToolResultResponse", first)
      expect(first.result).toMatchObject({
        resultType: "input_required",
        inputRequests: {
          step1: { method: "elicitation/create", params: { message: "Step 1: What is your name?", requestedSchema: { type: "object" } } }
        },
        _meta: { "io.modelcontextprotocol/serverInfo": { name: "mrtr" } }
      })
      expect(first.result!.ttlMs).toBeUndefined()
      const state1 = first.result!.requestState as string
      const second = yield* raw.exchange(call("two_steps", { greeting: "Hi" }, { inputResponses: { step1: accept({ name: "Ada" }) }, requestState: state1 }))
      expect(second.result).toMatchObject({ resultType: "input_required", inputRequests: { step2: { method: "elicitation/create" } } })
      const state2 = second.result!.requestState as string
      expect(state2).not.toBe(state1)
      // The answer to step 1 travels in the state: round 3 sends only step 2's.
      const before = runs.length
      const third = yield* raw.exchange(call("two_steps", { greeting: "Hi" }, { inputResponses: { step2: accept({ color: "green" }) }, requestState: state2 }))
      expect2026("CallToolResultResponse", third)
      expect(third.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: `Hi Ada, you like green (round 3, started at ${before})` }] })
    }).pipe(Effect.provide(App)))

  it.scoped("concurrent asks reach the client in one input_required; a partial answer re-asks only what is missing (Error Handling)", () =>
    Effect.gen(function*() {
      const raw = asRaw(yield* rawSession)
      const first = yield* raw.exchange(call("together", {}))
      expect(Object.keys(first.result!.inputRequests as object).sort()).toEqual(["client_roots", "greeting", "user_name"])
      const state = first.result!.requestState as string
      const partial = yield* raw.exchange(call("together", {}, { inputResponses: { user_name: accept({ name: "Bo" }), unrelated: { x: 1 } }, requestState: state }))
      expect(Object.keys(partial.result!.inputRequests as object).sort()).toEqual(["client_roots", "greeting"])
      const done = yield* raw.exchange(call("together", {}, {
        inputResponses: {
          greeting: { role: "assistant", content: { type: "text", text: "Hello" }, model: "m1", stopReason: "endTurn" },
          client_roots: { roots: [{ uri: "file:///a" }, { uri: "file:///b" }] }
        },
        requestState: partial.result!.requestState
      }))
      expect(done.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "accept m1 2" }] })
    }).pipe(Effect.provide(App)))

  it.scoped("an undeclared capability is -32021 naming it, even when the handler catches failures (basic/index Error Codes)", () =>
    Effect.gen(function*() {
      const raw = asRaw(yield* rawSession)
      const response = yield* raw.exchange(call("needs_sampling", {}, {}, {}))
      expect2026("MissingRequiredClientCapabilityError", response)
      expect(response.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } })
    }).pipe(Effect.provide(App)))

  it.scoped("prompts/get asks too; invalid inputResponses and answers are -32602 (Supported Requests, Error Handling)", () =>
    Effect.gen(function*() {
      const raw = asRaw(yield* rawSession)
      const prompt = (extra: Record<string, unknown>) => ({ jsonrpc: "2.0", id: nextId++, method: "prompts/get", params: { name: "context_prompt", ...extra, _meta: meta() } })
      const first = yield* raw.exchange(prompt({}))
      expect(first.error?.message).toBeUndefined()
      expect(first.result).toMatchObject({ resultType: "input_required", inputRequests: { user_context: { method: "elicitation/create" } } })
      const done = yield* raw.exchange(prompt({ inputResponses: { user_context: accept({ context: "tests" }) }, requestState: first.result!.requestState }))
      expect(done.result).toMatchObject({ resultType: "complete", messages: [{ role: "user", content: { type: "text", text: "Use tests" } }] })
      const notObject = yield* raw.exchange(prompt({ inputResponses: { user_context: 12345 } }))
      expect(notObject.error?.code).toBe(-32602)
      const badAnswer = yield* raw.exchange(prompt({ inputResponses: { user_context: { action: "maybe" } } }))
      expect(badAnswer.error).toMatchObject({ code: -32602 })
      expect(badAnswer.error!.message).toContain("elicitation/create")
    }).pipe(Effect.provide(App)))

  it.scoped("a tampered, foreign, expired or replayed-elsewhere requestState is -32602 and no handler runs (Server Requirements 4-5)", () =>
    Effect.gen(function*() {
      const raw = asRaw(yield* rawSession)
      const first = yield* raw.exchange(call("two_steps", { greeting: "Hi" }))
      const state = first.result!.requestState as string
      const answers = { step1: accept({ name: "Eve" }), step2: accept({ color: "red" }) }
      const before = runs.length
      const tampered = yield* raw.exchange(call("two_steps", { greeting: "Hi" }, { inputResponses: answers, requestState: `${state}-TAMPERED` }))
      expect(tampered.error).toMatchObject({ code: -32602 })
      expect(tampered.error!.message).toContain("integrity")
      const elsewhere = yield* raw.exchange(call("two_steps", { greeting: "Hello" }, { inputResponses: answers, requestState: state }))
      expect(elsewhere.error!.message).toContain("another request")
      const notString = yield* raw.exchange(call("two_steps", { greeting: "Hi" }, { inputResponses: answers, requestState: 42 }))
      expect(notString.error?.code).toBe(-32602)
      expect(runs.length).toBe(before)
      // Another server's key: a foreign state.
      const other = yield* Effect.provide(
        Effect.flatMap(rawSession, (r) => asRaw(r).exchange(call("two_steps", { greeting: "Hi" }, { inputResponses: answers, requestState: state }))),
        McpServer.register(twoSteps).pipe(Layer.provideMerge(McpServer.layer({ name: "other", version: "1.0.0" })))
      )
      expect(other.error!.message).toContain("integrity")
    }).pipe(Effect.provide(App)))

  it.scoped("arguments or answers nested too deeply to bind or seal a requestState are -32602, never a crash (hostile input)", () =>
    Effect.gen(function*() {
      const server = yield* McpServer.McpServer
      const connection = yield* server.connect({ send: () => Effect.void })
      let deep: unknown = "x"
      for (let i = 0; i < 200_000; i++) deep = { a: deep }
      const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": everything }
      const boundDeep = yield* connection.handle({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "two_steps", arguments: { greeting: "Hi", deep }, requestState: "a.b", _meta: meta }
      })
      expect(boundDeep).toMatchObject({ id: 1, error: { code: -32602, message: expect.stringContaining("nested too deeply") } })
      const sealedDeep = yield* connection.handle({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "two_steps", arguments: { greeting: "Hi" }, inputResponses: { step1: accept({ name: "Deep", deep }) }, _meta: meta }
      })
      expect(sealedDeep).toMatchObject({ id: 2, error: { code: -32602, message: expect.stringContaining("nested too deeply") } })
      // The server still serves.
      const fine = yield* connection.handle({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "two_steps", arguments: { greeting: "Hi" }, _meta: meta } })
      expect(fine).toMatchObject({ id: 3, result: { resultType: "input_required" } })
    }).pipe(Effect.provide(App)))

  it.scoped("an expired requestState is refused (Server Requirements 5)", () =>
    Effect.gen(function*() {
      const raw = asRaw(yield* rawSession)
      const first = yield* raw.exchange(call("two_steps", { greeting: "Hi" }))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 30)))
      const late = yield* raw.exchange(call("two_steps", { greeting: "Hi" }, { inputResponses: { step1: accept({ name: "Al" }) }, requestState: first.result!.requestState }))
      expect(late.error).toMatchObject({ code: -32602 })
      expect(late.error!.message).toContain("expired")
    }).pipe(Effect.provide(
      McpServer.register(twoSteps).pipe(Layer.provideMerge(McpServer.layer({ name: "short", version: "1.0.0", requestState: { ttlMillis: 10 } })))
    )))

  it.scoped("property: over any sequence of rounds, a forged or replayed requestState never reaches a handler", () =>
    Effect.gen(function*() {
      const raw = asRaw(yield* rawSession)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                greeting: fc.constantFrom("Hi", "Hey", "Yo"),
                answer: fc.boolean(),
                forge: fc.constantFrom("none", "flip", "truncate", "append", "swapBody", "otherRequest", "random")
              }),
              { minLength: 1, maxLength: 6 }
            ),
            fc.string({ minLength: 1, maxLength: 40 }),
            async (steps, junk) => {
              let previous: { state: string; greeting: string } | undefined
              for (const step of steps) {
                const first = await Effect.runPromise(raw.exchange(call("two_steps", { greeting: step.greeting })))
                const state = first.result!.requestState as string
                let sent = state
                let greeting: string = step.greeting
                switch (step.forge) {
                  case "flip": {
                    const i = Math.floor(state.length / 3)
                    sent = state.slice(0, i) + (state[i] === "A" ? "B" : "A") + state.slice(i + 1)
                    break
                  }
                  case "truncate":
                    sent = state.slice(0, -1)
                    break
                  case "append":
                    sent = state + junk
                    break
                  case "swapBody":
                    // A body from another issued state with this state's MAC.
                    if (previous !== undefined && previous.state.split(".")[0] !== state.split(".")[0]) {
                      sent = `${previous.state.split(".")[0]}.${state.split(".")[1]}`
                    } else sent = `${Buffer.from("{\"v\":1}").toString("base64url")}.${state.split(".")[1]}`
                    break
                  case "otherRequest":
                    // A genuine state replayed on a request with other arguments.
                    greeting = `${step.greeting}!`
                    break
                  case "random":
                    sent = junk
                    break
                }
                const before = runs.length
                const responses = step.answer ? { step1: accept({ name: "P" }), step2: accept({ color: "blue" }) } : {}
                const retry = await Effect.runPromise(raw.exchange(call("two_steps", { greeting }, { inputResponses: responses, requestState: sent })))
                if (step.forge === "none") {
                  if (step.answer) expect(retry.result?.resultType).toBe("complete")
                  else expect(retry.result?.resultType).toBe("input_required")
                } else {
                  expect([step.forge, sent, retry.error?.code]).toEqual([step.forge, sent, -32602])
                  expect(runs.length).toBe(before)
                }
                previous = { state, greeting: step.greeting }
              }
            }
          ),
          { numRuns: 60 }
        )
      )
    }).pipe(Effect.provide(App)))

  it.scoped("the same handler under 2025-11-25 sends server-to-client requests in one run (RequestState.once runs its effect)", () =>
    Effect.gen(function*() {
      const raw = yield* rawSession
      yield* raw.exchange({
        jsonrpc: "2.0",
        id: "init",
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: { elicitation: {} }, clientInfo: { name: "old", version: "1" } }
      })
      yield* raw.send({ jsonrpc: "2.0", method: "notifications/initialized" })
      const before = runs.length
      yield* raw.send({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "two_steps", arguments: { greeting: "Hey" } } })
      const ask1 = yield* raw.next
      expect(ask1).toMatchObject({ method: "elicitation/create", params: { message: "Step 1: What is your name?" } })
      yield* raw.send({ jsonrpc: "2.0", id: ask1.id, result: accept({ name: "Cy" }) })
      const ask2 = yield* raw.next
      expect(ask2).toMatchObject({ method: "elicitation/create", params: { message: "Step 2: What is your favorite color?" } })
      yield* raw.send({ jsonrpc: "2.0", id: ask2.id, result: accept({ color: "teal" }) })
      const result = yield* raw.next
      expect(result).toMatchObject({ id: 7, result: { content: [{ type: "text", text: `Hey Cy, you like teal (round 1, started at ${before})` }] } })
      expect((result.result as Record<string, unknown>).resultType).toBeUndefined()
    }).pipe(Effect.provide(App)))
})
