/**
 * The fixtures of the tasks scenarios of the conformance suite (the
 * 2026-07-28 `io.modelcontextprotocol/tasks` extension, SEP-2663; they serve
 * the experimental tasks of 2025-11-25 too, spec basic/utilities/tasks):
 * `greet` (synchronous only), `slow_compute`, `failing_job`,
 * `protocol_error_job`, `confirm_delete`, `multi_input` and
 * `test_tool_with_task` (input gathered in multi round-trip rounds, then a
 * task).
 *
 * `TaskTools` lists them; `Tasks` registers them.
 *
 * @since 0.3.0
 */
import { Elicitation, McpError, McpServer, Task, Tool } from "@emcee/core"
import { Duration, Effect, Schema } from "effect"

/** The longest `slow_compute` accepts: an hour. */
const MAX_SECONDS = 3_600

/** Synchronous only (no task support): `Hello, {name}!`. */
export const greet = Tool.make("greet", {
  description: "Greets someone (synchronous, never a task)",
  input: Schema.Struct({ name: Schema.String.annotations({ description: "Who to greet" }) }),
  handler: ({ name }) => Effect.succeed(`Hello, ${name}!`)
})

/**
 * Sleeps `seconds` then reports: a task when the client can take one
 * (`seconds: 0` is the immediate path), interruptible so that `tasks/cancel`
 * settles it as `cancelled`.
 */
export const slowCompute = Tool.make("slow_compute", {
  description: "Computes for the given number of seconds (a task when the client supports tasks)",
  input: Schema.Struct({
    seconds: Schema.Number.pipe(Schema.between(0, MAX_SECONDS)).annotations({ description: `Seconds to compute (0 to ${MAX_SECONDS})` }),
    label: Schema.optional(Schema.String.annotations({ description: "A label echoed in the result" }))
  }),
  task: { support: "optional", pollIntervalMs: 200 },
  handler: ({ label, seconds }) =>
    Effect.gen(function*() {
      yield* Task.setStatusMessage(`Computing for ${seconds}s`)
      yield* Effect.sleep(Duration.seconds(seconds))
      return `Computed ${label ?? "result"} in ${seconds}s`
    })
})

/** Always a tool execution error after about a second; task support `required`. */
export const failingJob = Tool.make("failing_job", {
  description: "A job that fails after about a second (must run as a task)",
  task: { support: "required", pollIntervalMs: 200 },
  handler: () => Effect.zipRight(Effect.sleep(Duration.seconds(1)), Effect.fail(new Error("The job failed: the input data is corrupt")))
})

/** Ends in a protocol error (a JSON-RPC error, not a tool result): the task is `failed`. */
export const protocolErrorJob = Tool.make("protocol_error_job", {
  description: "A job that crashes with a protocol-level error",
  task: { support: "optional", pollIntervalMs: 200 },
  handler: () =>
    Effect.zipRight(Effect.sleep(Duration.millis(200)), Effect.fail(new McpError.InternalError({ message: "protocol_error_job crashed" })))
})

/** One elicitation, then done: the task waits in `input_required` for `tasks/update`. */
export const confirmDelete = Tool.make("confirm_delete", {
  description: "Asks the user to confirm deleting a file",
  input: Schema.Struct({ filename: Schema.String.annotations({ description: "The file to delete" }) }),
  task: { support: "optional", pollIntervalMs: 200 },
  handler: ({ filename }) =>
    Effect.gen(function*() {
      const answer = yield* Elicitation.form(`Delete ${filename}?`, Schema.Struct({ confirm: Schema.Boolean }), { inputKey: "confirm" })
      return answer.action === "accept" && answer.content.confirm ? `Deleted ${filename}` : `Kept ${filename}`
    })
})

/** Two elicitations at once, so two input requests are pending together (partial fulfilment). */
export const multiInput = Tool.make("multi_input", {
  description: "Asks two questions at once",
  task: { support: "optional", pollIntervalMs: 200 },
  handler: () =>
    Effect.gen(function*() {
      const [name, confirm] = yield* Effect.all([
        Elicitation.form("What is your name?", Schema.Struct({ name: Schema.String }), { inputKey: "name" }),
        Elicitation.form("Proceed?", Schema.Struct({ confirm: Schema.Boolean }), { inputKey: "confirm" })
      ], { concurrency: "unbounded" })
      const who = name.action === "accept" ? name.content.name : "(no name)"
      const go = confirm.action === "accept" && confirm.content.confirm
      return `${who}: ${go ? "proceeding" : "stopped"}`
    })
})

/**
 * Gathers `user_name` in a multi round-trip round, then becomes a task
 * (`Task.escalate`) whose result carries the name (SEP-2663: MRTR resolved
 * before the `CreateTaskResult`).
 */
export const toolWithTask = Tool.make("test_tool_with_task", {
  description: "Asks for your name, then finishes as a task",
  task: { support: "required", creation: "escalate", pollIntervalMs: 200 },
  handler: () =>
    Effect.gen(function*() {
      const answer = yield* Elicitation.form("What is your name?", Schema.Struct({ name: Schema.String }), { inputKey: "user_name" })
      yield* Task.escalate
      yield* Effect.sleep(Duration.millis(300))
      return `Hello, ${answer.action === "accept" ? answer.content.name : "stranger"}!`
    })
})

/** The fixtures, to register with the rest of an app. */
export const TaskTools = [greet, slowCompute, failingJob, protocolErrorJob, confirmDelete, multiInput, toolWithTask] as const

/** The fixtures registered (needs the `McpServer`). */
export const Tasks = McpServer.register(...TaskTools)
