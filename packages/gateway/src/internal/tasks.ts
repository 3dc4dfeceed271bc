/**
 * Tasks and input requests through the gateway: what a proxied tool does
 * when its backend asks the caller for input or runs the call as a task.
 *
 * The gateway's own server hosts the caller's task (its task runner runs the
 * proxy's handler as one: the proxied tool keeps the backend's
 * `execution.taskSupport`, spec 2025-11-25 basic/utilities/tasks
 * "Tool-Level Negotiation", 2026-07-28 tasks "Capability Negotiation"), so
 * `tasks/get`, `tasks/update`, `tasks/cancel` (and 2025-11-25 `tasks/result`)
 * are the gateway's, in the caller's revision, with the gateway's ids. The
 * proxy talks to the backend in the backend's revision:
 *
 * - a 2026-07-28 backend (the `io.modelcontextprotocol/tasks` extension,
 *   SEP-2663) is asked with the extension declared; when it answers with a
 *   task (`resultType: "task"`) the gateway's task is created then
 *   (`Task.escalate`: before it, input rounds of the backend are the caller's
 *   multi round-trip rounds, spec 2026-07-28 tasks "Task Creation") and the
 *   backend's task is followed with `tasks/get` to its end: its
 *   `inputRequests` become the gateway task's own (asked of the caller,
 *   answered upstream with `tasks/update` as each answer comes, spec
 *   2026-07-28 tasks "Task Update Requests"), its `statusMessage` the gateway
 *   task's, its result or error the gateway task's outcome; cancelling the
 *   gateway's task cancels the backend's (`tasks/cancel`, spec "Task
 *   Cancellation");
 * - a 2025-11-25 backend gets a task-augmented `tools/call` (`task` param)
 *   for a tool whose support is `required` and `tasks/result` is awaited
 *   (its questions arrive as server-to-client requests and are relayed as
 *   ever), a plain call otherwise; the gateway's task exists from the start.
 *
 * An input request asked of the caller (`ask`) goes through the gateway's
 * own server: under 2026-07-28 inside a task it waits on the task's
 * `inputRequests`, under 2025-11-25 it is a server-to-client request (of the
 * session, or relayed by `tasks/result` inside a task).
 *
 * @internal
 */
import { Elicitation, type JsonRpc, McpClient, McpError, type McpSchema, type RequestContext, Roots, Sampling, Task } from "@emcee/core"
import { Duration, Effect, Exit, FiberSet } from "effect"

type JsonObject = JsonRpc.JsonObject

/** One request to the backend, its result as it came (the proxy's hop or client, through its breaker). */
export type Send<E> = (method: string, params: JsonObject) => Effect.Effect<JsonObject, E>

/** An input request of a backend (spec 2026-07-28 basic/patterns/mrtr "InputRequests"). */
export interface InputRequest {
  readonly method: string
  readonly params: JsonObject
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The methods an input request may carry (spec 2026-07-28 basic/patterns/mrtr "Server Requirements" 2). */
const inputMethods = new Set(["elicitation/create", "sampling/createMessage", "roots/list"])

/** The `inputRequests` of a backend's result, or why they are not input requests. */
export const inputRequestsOf = (value: unknown): { readonly [key: string]: InputRequest } | string => {
  if (value === undefined) return {}
  if (!isRecord(value)) return "inputRequests is not an object"
  const requests: Record<string, InputRequest> = {}
  for (const [key, entry] of Object.entries(value)) {
    if (!isRecord(entry) || typeof entry.method !== "string" || !inputMethods.has(entry.method)) {
      return `inputRequests.${key} is not an input request (expected one of ${[...inputMethods].join(", ")})`
    }
    if (entry.params !== undefined && !isRecord(entry.params)) return `inputRequests.${key}.params is not an object`
    requests[key] = { method: entry.method, params: (entry.params ?? {}) as JsonObject }
  }
  return requests
}

const invalidResult = (message: string) => new McpClient.McpClientError({ code: McpClient.ClientErrorCode.InvalidResult, message })

/** The caller could not answer an input request: the backend's request fails with why (as `McpClient` does). */
const unanswered = (key: string, method: string, error: McpError.ClientRequestError): McpClient.McpClientError => {
  const message = `The backend needs input "${key}" (${method}), which the caller could not give: ${error.message}`
  switch (error._tag) {
    case "ClientError":
      return new McpClient.McpClientError({ code: error.code, message, ...(error.data === undefined ? {} : { data: error.data }) })
    case "ClientCapabilityMissing":
      // spec 2026-07-28 basic/index "Error Codes": the capability the caller lacks, named.
      return new McpClient.McpClientError({ code: -32021, message, data: { requiredCapabilities: { [error.capability.split(".")[0]!]: {} } } })
    default:
      return new McpClient.McpClientError({ code: -32603, message })
  }
}

/**
 * Asks the caller one input request of the backend under `key`, through the
 * gateway's own server (`Elicitation`, `Sampling`, `Roots`): its result as
 * the caller gave it.
 */
export const ask = (key: string, request: InputRequest): Effect.Effect<JsonObject, McpClient.McpClientError, RequestContext.RequestContext> => {
  const params = request.params
  const options = { inputKey: key }
  const asked: Effect.Effect<unknown, McpError.ClientRequestError, RequestContext.RequestContext> = (() => {
    switch (request.method) {
      case "elicitation/create":
        return params.mode === "url"
          ? Elicitation.url({ message: String(params.message ?? ""), url: String(params.url ?? ""), elicitationId: String(params.elicitationId ?? "") }, options)
          : Elicitation.form(String(params.message ?? ""), (params.requestedSchema ?? { type: "object", properties: {} }) as Elicitation.RequestedSchema, options)
      case "sampling/createMessage":
        return Sampling.createMessage(params as unknown as McpSchema.CreateMessageRequestParams, options)
      default:
        return Roots.list(options)
    }
  })()
  return Effect.mapBoth(asked, { onFailure: (error) => unanswered(key, request.method, error), onSuccess: (result) => result as JsonObject })
}

/**
 * Every input request of one round asked of the caller at once (2025-11-25
 * server-to-client requests side by side, or the inputs of a task): the
 * answers, keyed as asked (spec 2026-07-28 basic/patterns/mrtr "Client
 * Requirements" 1).
 */
export const answerAll = (
  requests: { readonly [key: string]: InputRequest }
): Effect.Effect<{ readonly [key: string]: JsonObject }, McpClient.McpClientError, RequestContext.RequestContext> =>
  Effect.map(
    Effect.forEach(Object.entries(requests), ([key, request]) => Effect.map(ask(key, request), (answer) => [key, answer] as const), {
      concurrency: "unbounded"
    }),
    Object.fromEntries
  )

/** `capabilities` declaring the tasks extension: a task-capable call (spec 2026-07-28 tasks "Capability Negotiation"). */
export const withTasks = (capabilities: McpSchema.ClientCapabilities | undefined): McpSchema.ClientCapabilities => {
  const extensions = (capabilities as { readonly extensions?: unknown } | undefined)?.extensions
  return { ...capabilities, extensions: { ...(isRecord(extensions) ? extensions : {}), [Task.EXTENSION]: {} } } as McpSchema.ClientCapabilities
}

/**
 * `capabilities` without the tasks extension: a call the gateway does not run
 * as a task must not become one upstream (its answer would be a task the
 * caller never hears of).
 */
export const withoutTasks = (capabilities: McpSchema.ClientCapabilities | undefined): McpSchema.ClientCapabilities | undefined => {
  const extensions = (capabilities as { readonly extensions?: unknown } | undefined)?.extensions
  if (!isRecord(extensions) || extensions[Task.EXTENSION] === undefined) return capabilities
  const { [Task.EXTENSION]: _tasks, ...rest } = extensions
  return { ...capabilities, extensions: rest } as McpSchema.ClientCapabilities
}

/** Polling of a backend's task: its suggested interval, within these bounds. */
const minPollMillis = 50
const maxPollMillis = 5_000
const defaultPollMillis = 1_000

const pollMillisOf = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) ? Math.min(maxPollMillis, Math.max(minPollMillis, value)) : defaultPollMillis

/** The backend ended its task without a result (spec 2026-07-28 tasks "Task Execution Errors"). */
const endedWith = (backend: string, task: JsonObject): McpClient.McpClientError => {
  const error = task.error
  if (task.status === "failed" && isRecord(error) && typeof error.code === "number" && typeof error.message === "string") {
    return new McpClient.McpClientError({ code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) })
  }
  return new McpClient.McpClientError({
    code: -32603,
    message: task.status === "cancelled"
      ? `The backend "${backend}" cancelled the task`
      : `The backend "${backend}" ended the task without a result${typeof task.statusMessage === "string" ? `: ${task.statusMessage}` : ""}`
  })
}

/**
 * Follows a backend's 2026-07-28 task from its `CreateTaskResult` to its
 * end as the gateway task the caller sees (the gateway's task exists once
 * this runs: `Task.escalate` first): polls `tasks/get` at the backend's
 * `pollIntervalMs` (spec 2026-07-28 tasks "Task Polling"), asks the caller
 * each input request the backend's task waits on, once, and sends each
 * answer upstream as it comes with `tasks/update`; returns the backend's
 * result, or fails with its error. Interrupted (the gateway's task was
 * cancelled or expired), it cancels the backend's task.
 */
export const follow = <E>(
  backend: string,
  send: Send<E>,
  created: JsonObject
): Effect.Effect<JsonObject, McpClient.McpClientError | E, RequestContext.RequestContext> =>
  Effect.gen(function*() {
    const taskId = created.taskId
    if (typeof taskId !== "string") return yield* invalidResult("Invalid tools/call result: a task without a taskId")
    const pollMillis = pollMillisOf(created.pollIntervalMs)
    const asks = yield* FiberSet.make<void, McpClient.McpClientError | E>()
    /** Keys asked of the caller whose answer has not yet reached the backend. */
    const asking = new Set<string>()
    let message: string | undefined
    /** The backend's task ended of itself: nothing to cancel. */
    let ended = false
    const poll = Effect.gen(function*() {
      for (let task = created;; task = yield* send("tasks/get", { taskId })) {
        const status = task.status
        if (status === "completed" || status === "failed" || status === "cancelled") ended = true
        if (status === "completed") return isRecord(task.result) ? task.result : { content: [] }
        if (status === "failed" || status === "cancelled") return yield* endedWith(backend, task)
        if (typeof task.statusMessage === "string" && task.statusMessage !== message) {
          message = task.statusMessage
          yield* Task.setStatusMessage(message)
        }
        if (status === "input_required") {
          const requests = inputRequestsOf(task.inputRequests)
          if (typeof requests === "string") return yield* invalidResult(`Invalid tasks/get result: ${requests}`)
          for (const [key, request] of Object.entries(requests)) {
            if (asking.has(key)) continue
            asking.add(key)
            // Each answer goes upstream as it comes (a subset at a time is fine: spec 2026-07-28 tasks "Task Update Requests").
            yield* ask(key, request).pipe(
              Effect.flatMap((answer) => send("tasks/update", { taskId, inputResponses: { [key]: answer } })),
              Effect.ensuring(Effect.sync(() => asking.delete(key))),
              Effect.asVoid,
              FiberSet.run(asks)
            )
          }
        }
        yield* Effect.sleep(Duration.millis(pollMillis))
      }
    })
    // A failed answer (or its tasks/update) fails the task; its end ends the asks still open. The gateway's
    // task cancelled, expired or failed here: the backend's is cancelled too (spec 2026-07-28 tasks "Task Cancellation").
    return yield* Effect.raceFirst(poll, Effect.zipRight(FiberSet.join(asks), Effect.never)).pipe(
      Effect.onExit((exit) => Exit.isSuccess(exit) || ended ? Effect.void : Effect.ignore(Effect.timeout(send("tasks/cancel", { taskId }), "10 seconds")))
    )
  }).pipe(Effect.scoped)

/**
 * A 2025-11-25 backend's task (spec 2025-11-25 basic/utilities/tasks): the
 * task-augmented call, then `tasks/result`, which blocks until the task ends
 * and carries its questions as server-to-client requests (relayed by the
 * gateway's handlers). Interrupted, it cancels the backend's task.
 */
export const legacy = <E>(
  send: (method: string, params: JsonObject, timeoutMillis?: number) => Effect.Effect<JsonObject, E>,
  params: JsonObject
): Effect.Effect<JsonObject, E> =>
  Effect.gen(function*() {
    const created = yield* send("tools/call", { ...params, task: {} })
    const task = created.task
    if (!isRecord(task) || typeof task.taskId !== "string") {
      // A tool that ran synchronously after all: its result.
      return created
    }
    const taskId = task.taskId
    // Waits as long as the task may live (a day at most).
    const ttl = typeof task.ttl === "number" && task.ttl > 0 ? Math.min(task.ttl, 86_400_000) : 86_400_000
    return yield* send("tasks/result", { taskId }, ttl).pipe(
      Effect.onInterrupt(() => Effect.ignore(Effect.timeout(send("tasks/cancel", { taskId }), "10 seconds")))
    )
  })
