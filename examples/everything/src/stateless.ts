/**
 * The tools and prompts the 2026-07-28 conformance scenarios call
 * (`@modelcontextprotocol/conformance` 0.2.0-alpha, `--requirements
 * 2026-07-28`): multi round-trip requests (spec 2026-07-28
 * basic/patterns/mrtr), a capability the client must declare (basic/index
 * "Error Codes" -32021) and list changes for `subscriptions/listen`
 * (basic/patterns/subscriptions).
 *
 * The handlers are ordinary emcee handlers: the same `Elicitation`,
 * `Sampling` and `Roots` calls are server-to-client requests under
 * 2025-11-25 and `input_required` rounds under 2026-07-28.
 */
import { Elicitation, type McpSchema, McpServer, Prompt, RequestContext, RequestState, Roots, Sampling, Tool } from "@emcee/core"
import { Effect, Layer, Ref, Schema } from "effect"

const Name = Schema.Struct({ name: Schema.String })
const Color = Schema.Struct({ color: Schema.String })
const Confirm = Schema.Struct({ ok: Schema.Boolean })

const nameOf = (answer: Elicitation.FormResult<{ readonly name: string }>) => answer.action === "accept" ? answer.content.name : "stranger"

const textOf = (result: McpSchema.CreateMessageResult): string => {
  const blocks: ReadonlyArray<{ readonly type: string; readonly text?: unknown }> = Array.isArray(result.content) ? result.content : [result.content]
  const text = blocks.find((block) => block.type === "text")?.text
  return typeof text === "string" ? text : "(no text)"
}

// spec mrtr "Basic Workflow": one elicitation, then a complete result.
const elicitationRound = Tool.make("test_input_required_result_elicitation", {
  description: "Asks for the user's name (one input request), then greets",
  handler: () =>
    Effect.map(Elicitation.form("What is your name?", Name, { inputKey: "user_name" }), (answer) => `Hello, ${nameOf(answer)}!`)
})

const samplingRound = Tool.make("test_input_required_result_sampling", {
  description: "Asks the client's model a question (one sampling input request)",
  handler: () =>
    Effect.map(
      Sampling.createMessage(
        { messages: [{ role: "user", content: { type: "text", text: "What is the capital of France?" } }], maxTokens: 100 },
        { inputKey: "capital_question" }
      ),
      (result) => `The model answered: ${textOf(result)}`
    )
})

const rootsRound = Tool.make("test_input_required_result_list_roots", {
  description: "Asks for the client's roots (one roots/list input request)",
  handler: () =>
    Effect.map(Roots.list({ inputKey: "client_roots" }), ({ roots }) => `Roots: ${roots.map((r) => r.uri).join(", ") || "(none)"}`)
})

// spec mrtr "Server Requirements" 3-5: the state is sealed and checked before the handler runs again.
const requestStateRound = Tool.make("test_input_required_result_request_state", {
  description: "Asks for a confirmation and carries a value across rounds in requestState",
  handler: () =>
    Effect.gen(function*() {
      const first = yield* RequestState.once("first_round_at", Schema.Number, Effect.sync(() => Date.now()))
      const answer = yield* Elicitation.form("Please confirm", Confirm, { inputKey: "confirm" })
      const round = yield* RequestState.round
      const confirmed = answer.action === "accept" && answer.content.ok
      return `state-ok: round ${round}, first asked at ${new Date(first).toISOString()}, confirmed ${confirmed}`
    })
})

const tamperedRound = Tool.make("test_input_required_result_tampered_state", {
  description: "Asks for a confirmation; a changed requestState is refused with -32602",
  handler: () => Effect.map(Elicitation.form("Please confirm", Confirm, { inputKey: "confirm" }), (answer) => `Confirmed: ${answer.action}`)
})

// Asks made together reach the client in one input_required result.
const multipleInputs = Tool.make("test_input_required_result_multiple_inputs", {
  description: "Asks for a name, a generated greeting and the roots in one round",
  handler: () =>
    Effect.map(
      Effect.all([
        Elicitation.form("What is your name?", Name, { inputKey: "user_name" }),
        Sampling.createMessage(
          { messages: [{ role: "user", content: { type: "text", text: "Generate a greeting" } }], maxTokens: 50 },
          { inputKey: "greeting" }
        ),
        Roots.list({ inputKey: "client_roots" })
      ], { concurrency: "unbounded" }),
      ([name, greeting, { roots }]) => `${textOf(greeting)} ${nameOf(name)} (${roots.length} roots)`
    )
})

// Sequential asks: each round asks the next question.
const multiRound = Tool.make("test_input_required_result_multi_round", {
  description: "Asks two questions, one per round",
  handler: () =>
    Effect.gen(function*() {
      const name = yield* Elicitation.form("Step 1: What is your name?", Name, { inputKey: "step1" })
      const color = yield* Elicitation.form("Step 2: What is your favorite color?", Color, { inputKey: "step2" })
      return `${nameOf(name)} likes ${color.action === "accept" ? color.content.color : "no color"}`
    })
})

// spec mrtr "Server Requirements" 7: only what the client declared is asked.
const capabilityAware = Tool.make("test_input_required_result_capabilities", {
  description: "Asks only for the kinds of input the client declared",
  handler: () =>
    Effect.gen(function*() {
      const { session } = yield* RequestContext.RequestContext
      const declared = session.clientCapabilities
      const parts: Array<string> = []
      if (declared.elicitation !== undefined) parts.push(nameOf(yield* Elicitation.form("What is your name?", Name, { inputKey: "user_name" })))
      if (declared.sampling !== undefined) {
        parts.push(textOf(
          yield* Sampling.createMessage(
            { messages: [{ role: "user", content: { type: "text", text: "Say hi" } }], maxTokens: 20 },
            { inputKey: "sample" }
          )
        ))
      }
      return parts.length === 0 ? "The client declared no input capability" : parts.join(" / ")
    })
})

const promptRound = Prompt.make({
  name: "test_input_required_result_prompt",
  description: "Asks what context to use, then renders a prompt with it",
  render: () =>
    Effect.map(
      Elicitation.form("What context should the prompt use?", Schema.Struct({ context: Schema.String }), { inputKey: "user_context" }),
      (answer) => [{
        role: "user" as const,
        content: { type: "text" as const, text: `Answer using this context: ${answer.action === "accept" ? answer.content.context : "none"}` }
      }]
    )
})

// spec 2026-07-28 basic/index "Error Codes": sampling undeclared is -32021 before anything is sent.
const missingCapability = Tool.make("test_missing_capability", {
  description: "Needs the client's sampling capability; without it the call is -32021",
  handler: () =>
    Effect.map(
      Sampling.createMessage({ messages: [{ role: "user", content: { type: "text", text: "Hello" } }], maxTokens: 10 }),
      (result) => `Sampled: ${textOf(result)}`
    )
})

// spec 2026-07-28 basic/transports/streamable-http: the request's stream carries its notifications and its
// result, never a server-to-client request.
const streamingElicitation = Tool.make("test_streaming_elicitation", {
  description: "Reports progress, then asks for a name",
  handler: () => Effect.map(Elicitation.form("What is your name?", Name, { inputKey: "user_name" }), (answer) => `Hello, ${nameOf(answer)}!`)
})

const TRIGGERED_TOOL = "test_triggered_tool"
const TRIGGERED_PROMPT = "test_triggered_prompt"

const triggeredTool = Tool.make(TRIGGERED_TOOL, {
  description: "Added and removed by test_trigger_tool_change",
  handler: () => Effect.succeed("triggered")
})
const triggeredPrompt = Prompt.make({
  name: TRIGGERED_PROMPT,
  description: "Added and removed by test_trigger_prompt_change",
  render: () => Effect.succeed([{ role: "user" as const, content: { type: "text" as const, text: "triggered" } }])
})

/** The 2026-07-28 scenario tools and prompts. */
export const Stateless: Layer.Layer<never, never, McpServer.McpServer> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const toolPresent = yield* Ref.make(false)
    const promptPresent = yield* Ref.make(false)
    // spec 2026-07-28 basic/patterns/subscriptions: listen streams get list changes.
    const triggerTool = Tool.make("test_trigger_tool_change", {
      description: `Adds ${TRIGGERED_TOOL} if absent, removes it if present (tools list changed)`,
      handler: () =>
        Effect.gen(function*() {
          const present = yield* Ref.getAndUpdate(toolPresent, (p) => !p)
          if (present) yield* McpServer.removeTool(TRIGGERED_TOOL)
          else yield* McpServer.add(triggeredTool)
          return present ? `Removed ${TRIGGERED_TOOL}` : `Added ${TRIGGERED_TOOL}`
        })
    })
    const triggerPrompt = Tool.make("test_trigger_prompt_change", {
      description: `Adds ${TRIGGERED_PROMPT} if absent, removes it if present (prompts list changed)`,
      handler: () =>
        Effect.gen(function*() {
          const present = yield* Ref.getAndUpdate(promptPresent, (p) => !p)
          if (present) yield* McpServer.removePrompt(TRIGGERED_PROMPT)
          else yield* McpServer.add(triggeredPrompt)
          return present ? `Removed ${TRIGGERED_PROMPT}` : `Added ${TRIGGERED_PROMPT}`
        })
    })
    return McpServer.register(
      elicitationRound,
      samplingRound,
      rootsRound,
      requestStateRound,
      tamperedRound,
      multipleInputs,
      multiRound,
      capabilityAware,
      promptRound,
      missingCapability,
      streamingElicitation,
      triggerTool,
      triggerPrompt
    )
  })
)
