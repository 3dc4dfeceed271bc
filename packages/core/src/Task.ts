/**
 * Tasks: a tool call that runs in the background while the client polls for
 * its status and result, under both revisions the server speaks.
 *
 * - 2025-11-25 (spec basic/utilities/tasks, experimental): the client asks for
 *   a task by sending `task: { ttl }` in `tools/call`; the server answers a
 *   `CreateTaskResult` (`{ task }`) at once, the client polls `tasks/get`,
 *   reads the result with `tasks/result` (which blocks until the task ends
 *   and carries the task's questions to the client as server-to-client
 *   requests), may list its tasks with `tasks/list` and cancel with
 *   `tasks/cancel`. The server sends `notifications/tasks/status` to the
 *   session that created the task when its status changes.
 * - 2026-07-28 (the `io.modelcontextprotocol/tasks` extension, SEP-2663): the
 *   server decides. A client that lists the extension in its per-request
 *   `clientCapabilities` may get a flat `CreateTaskResult`
 *   (`resultType: "task"`) for a task-supporting tool; `tasks/get` inlines the
 *   result, the error or the pending `inputRequests`, `tasks/update` answers
 *   them (a subset at a time is fine) and `tasks/cancel` acknowledges.
 *
 * A tool declares its support with the `task` option of `Tool.make` (or the
 * bare `execution: { taskSupport }` of the spec):
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Elicitation, Task, Tool } from "@emcee/core"
 *
 * const report = Tool.make("build_report", {
 *   input: Schema.Struct({ month: Schema.String }),
 *   task: { support: "optional" },
 *   handler: ({ month }) =>
 *     Effect.gen(function*() {
 *       yield* Task.setStatusMessage("Collecting figures")
 *       const answer = yield* Elicitation.form("Include drafts?", Schema.Struct({ drafts: Schema.Boolean }))
 *       return `Report for ${month} (drafts: ${answer.action === "accept" && answer.content.drafts})`
 *     })
 * })
 *
 * With `support: "optional"` a client that cannot take a task (no `task`
 * param under 2025-11-25, no extension under 2026-07-28) gets the result
 * synchronously; with `"required"` it gets -32601 (2025-11-25, spec
 * "Tool-Level Negotiation") or -32021 naming the extension (2026-07-28).
 *
 * Inside a task, `Elicitation`, `Sampling` and `Roots` do not end the attempt
 * as they do in a 2026-07-28 multi round-trip request: the handler keeps
 * running and waits until the client answers (`tasks/update`, or the request
 * `tasks/result` relays under 2025-11-25), so work before an ask runs once.
 * A tool created with `creation: "escalate"` runs synchronously first (its
 * asks are ordinary multi round-trip rounds) and becomes a task when it calls
 * `Task.escalate` (spec 2026-07-28 tasks "Task Creation": MRTR exchanges
 * resolved before the `CreateTaskResult`).
 *
 * Task state lives behind the `TaskStore` service (`layerMemory` by default,
 * per process); the handlers' fibers run in the server's process, so the
 * `tasks/update` and `tasks/cancel` of a task must reach the instance that
 * runs it (Streamable HTTP carries the task id in `Mcp-Name` for routing).
 *
 * Security (spec basic/utilities/tasks "Task Isolation and Access Control"):
 * task ids are 192 random bits. A task is bound to its owner: the value of
 * the server's `tasks.owner` option when set, otherwise the caller a
 * transport authenticated (`RequestContext.Caller`: "When an authorization
 * context is provided, receivers MUST bind tasks to said context"), otherwise
 * the session id of a 2025-11-25 session, otherwise nobody, and then anyone
 * who knows the id may read and cancel it. `tasks/list`
 * is offered only with an `owner` option.
 *
 * @since 0.3.0
 */
import { Context, Effect, Layer, Option, Schema } from "effect"
import type * as JsonRpc from "./JsonRpc.js"
import type * as McpSchema from "./McpSchema.js"

type JsonObject = JsonRpc.JsonObject

/** The extension identifier of 2026-07-28 tasks (SEP-2663). */
export const EXTENSION = "io.modelcontextprotocol/tasks" as const

/** The `_meta` key that relates messages to a 2025-11-25 task (spec basic/utilities/tasks "Related Task Metadata"). */
export const RELATED_TASK = "io.modelcontextprotocol/related-task" as const

/** How a tool runs as a task: the `task` option of `Tool.make`. */
export interface ToolOptions {
  /**
   * `"optional"`: as a task when the client can take one, synchronously
   * otherwise. `"required"`: only as a task; a client that cannot take one
   * is refused (spec 2025-11-25 basic/utilities/tasks "Tool-Level
   * Negotiation", 2026-07-28 tasks "Capability Negotiation").
   */
  readonly support: "optional" | "required"
  /**
   * When the task is created: `"immediate"` (the default) before the handler
   * runs; `"escalate"` when the handler calls `Task.escalate`, after any
   * multi round-trip rounds (2026-07-28). Under 2025-11-25 the client asked
   * for the task, so it is always created at once.
   */
  readonly creation?: "immediate" | "escalate"
  /** This tool's task lifetime, milliseconds from creation; default the server's `tasks.ttlMs`. */
  readonly ttlMs?: number
  /** The polling interval suggested to clients; default the server's `tasks.pollIntervalMs`. */
  readonly pollIntervalMs?: number
}

/** The server's task settings (`McpServer.Options.tasks`). */
export interface Options {
  /** A task's lifetime when neither the client (2025-11-25 `task.ttl`) nor the tool asks one: default 1 hour. */
  readonly ttlMs?: number
  /** The longest lifetime granted, whatever is asked: default 24 hours. */
  readonly maxTtlMs?: number
  /** The polling interval suggested to clients: default 1000 ms. */
  readonly pollIntervalMs?: number
  /** Tasks running at once in this process; a call that would start one more is refused with -32603. Default 1000. */
  readonly maxRunning?: number
  /**
   * Who owns a task: run in each task request's context (so it may read what
   * the global middleware provides, such as an authenticated principal) and
   * stored with the task; only requests with the same owner see the task.
   * When set, 2025-11-25 `tasks/list` is offered (spec "Task Isolation and
   * Access Control": list only what a requestor owns). A service it reads
   * that the request does not have is a defect (-32603).
   */
  readonly owner?: Effect.Effect<string | undefined, never, unknown>
}

/** A task status (spec 2025-11-25 basic/utilities/tasks "Task Status"). */
export type Status = McpSchema.TaskStatus

/** `completed`, `failed` and `cancelled`: a task in one of them never changes again. */
export const isTerminal = (status: Status): boolean => status === "completed" || status === "failed" || status === "cancelled"

/** A question a task asks its client (the `inputRequests` entries of 2026-07-28). */
export interface InputRequest {
  readonly method: string
  readonly params: JsonObject
}

/**
 * A task as stored: JSON values only, so that a store may keep it anywhere
 * (one row of a table, say).
 */
export interface State {
  /** 192 random bits, base64url (spec 2026-07-28 tasks "Security Considerations": unguessable). */
  readonly taskId: string
  /** The revision whose methods serve the task. */
  readonly revision: "2025-11-25" | "2026-07-28"
  /** Whose it is (see `Options.owner`); undefined: anyone with the id. */
  readonly owner: string | undefined
  readonly status: Status
  readonly statusMessage?: string | undefined
  /** Epoch milliseconds. */
  readonly createdAt: number
  /** Epoch milliseconds. */
  readonly lastUpdatedAt: number
  /** Lifetime from `createdAt`; null is unlimited. Past it the store forgets the task. */
  readonly ttlMs: number | null
  readonly pollIntervalMs?: number | undefined
  /** Pending questions, while `input_required`. */
  readonly inputRequests?: { readonly [key: string]: InputRequest } | undefined
  /** The request's result: `completed` (and `failed` for a 2025-11-25 tool result with `isError`). */
  readonly result?: JsonObject | undefined
  /** The JSON-RPC error the request ended with, when `failed`. */
  readonly error?: JsonRpc.ErrorObject | undefined
}

/** What changes in a task: its status and what goes with it (the rest is replaced, `lastUpdatedAt` set by the store). */
export interface Update {
  readonly status: Status
  readonly statusMessage?: string | undefined
  readonly inputRequests?: { readonly [key: string]: InputRequest } | undefined
  readonly result?: JsonObject | undefined
  readonly error?: JsonRpc.ErrorObject | undefined
}

/** A store failed (a database was unreachable, say): requests about tasks are answered -32603. */
export class TaskStoreError extends Schema.TaggedError<TaskStoreError>()("TaskStoreError", { message: Schema.String }) {}

/**
 * Where tasks live. Every operation takes the current time, so a store never
 * reads a clock of its own; a task is gone once `createdAt + ttlMs <= now`.
 * A store shared by several processes (PostgreSQL, say) implements `update`
 * as one conditional write (`UPDATE … WHERE task_id = $1 AND status NOT IN
 * ('completed', 'failed', 'cancelled') AND NOT expired RETURNING *`).
 */
export interface Store {
  /**
   * Stores a new task. Once it succeeds `get` finds it (spec 2026-07-28 tasks
   * "Task Creation": no `CreateTaskResult` before the task is durably created).
   */
  readonly create: (task: State) => Effect.Effect<void, TaskStoreError>
  /** The task, unless unknown or expired. */
  readonly get: (taskId: string, now: number) => Effect.Effect<Option.Option<State>, TaskStoreError>
  /**
   * Applies `update` unless the task is unknown, expired or already terminal
   * (a cancelled task stays cancelled, spec 2025-11-25 "Task Cancellation"),
   * setting `lastUpdatedAt` to `now`; the new state, or none when nothing changed.
   */
  readonly update: (taskId: string, update: Update, now: number) => Effect.Effect<Option.Option<State>, TaskStoreError>
  /** Tasks of `owner` that have not expired, oldest first, `limit` of them from `offset`. */
  readonly list: (
    owner: string,
    page: { readonly offset: number; readonly limit: number },
    now: number
  ) => Effect.Effect<ReadonlyArray<State>, TaskStoreError>
}

/** Service tag of the task store. Without one the server keeps tasks in memory (`makeMemory()`). */
export class TaskStore extends Context.Tag("@emcee/core/TaskStore")<TaskStore, Store>() {}

const expired = (task: State, now: number): boolean => task.ttlMs !== null && task.createdAt + task.ttlMs <= now

/**
 * A store in this process's memory, holding at most `maxTasks` tasks
 * (default 10,000; creating one more fails until some expire). Expired tasks
 * are dropped when read and swept at most once a minute.
 */
export const makeMemory = (options: { readonly maxTasks?: number } = {}): Store => {
  const maxTasks = options.maxTasks ?? 10_000
  const tasks = new Map<string, State>()
  let swept = 0
  const sweep = (now: number) => {
    if (now - swept < 60_000 && tasks.size < maxTasks) return
    swept = now
    for (const [id, task] of tasks) if (expired(task, now)) tasks.delete(id)
  }
  const live = (taskId: string, now: number): State | undefined => {
    const task = tasks.get(taskId)
    if (task === undefined || !expired(task, now)) return task
    tasks.delete(taskId)
    return undefined
  }
  return {
    create: (task) =>
      Effect.suspend(() => {
        sweep(task.createdAt)
        if (tasks.size >= maxTasks) return Effect.fail(new TaskStoreError({ message: `The in-memory task store is full (${maxTasks} tasks)` }))
        if (tasks.has(task.taskId)) return Effect.fail(new TaskStoreError({ message: "A task with this id exists" }))
        tasks.set(task.taskId, task)
        return Effect.void
      }),
    get: (taskId, now) => Effect.sync(() => Option.fromNullable(live(taskId, now))),
    update: (taskId, update, now) =>
      Effect.sync(() => {
        const task = live(taskId, now)
        if (task === undefined || isTerminal(task.status)) return Option.none()
        const next: State = {
          taskId: task.taskId,
          revision: task.revision,
          owner: task.owner,
          createdAt: task.createdAt,
          ttlMs: task.ttlMs,
          pollIntervalMs: task.pollIntervalMs,
          lastUpdatedAt: now,
          status: update.status,
          statusMessage: update.statusMessage,
          inputRequests: update.inputRequests,
          result: update.result,
          error: update.error
        }
        tasks.set(taskId, next)
        return Option.some(next)
      }),
    list: (owner, page, now) =>
      Effect.sync(() => {
        sweep(now)
        const mine: Array<State> = []
        // A Map iterates in insertion order: oldest first.
        for (const task of tasks.values()) if (task.owner === owner && !expired(task, now)) mine.push(task)
        return mine.slice(page.offset, page.offset + page.limit)
      })
  }
}

/** `makeMemory` as a Layer. */
export const layerMemory = (options: { readonly maxTasks?: number } = {}): Layer.Layer<TaskStore> =>
  Layer.sync(TaskStore, () => makeMemory(options))

// --- inside a handler ---------------------------------------------------------------------------

/** The task a handler runs as, provided by the server to handlers of task-supporting tools. */
export interface Running {
  /** The task's id (known before the task exists, for a tool created with `creation: "escalate"`). */
  readonly taskId: string
  /** Becomes a task now, if not one already (see `escalate`). */
  readonly escalate: Effect.Effect<void>
  /** Sets the status message shown while the task is working. */
  readonly setStatusMessage: (message: string) => Effect.Effect<void>
  /** True once the request was answered with a `CreateTaskResult`. */
  readonly isTask: () => boolean
}

/** Service tag of the running task (present only in handlers of task-supporting tools). */
export class Current extends Context.Tag("@emcee/core/Task/Current")<Current, Running>() {}

/**
 * Turns the request being served into a task now: the client gets a
 * `CreateTaskResult` and the handler continues in the background, its result
 * kept for `tasks/get`. For tools created with `creation: "escalate"` whose
 * client can take a task; otherwise (already a task, or a synchronous call)
 * it does nothing.
 */
export const escalate: Effect.Effect<void> = Effect.flatMap(
  Effect.serviceOption(Current),
  (current) => (Option.isSome(current) ? current.value.escalate : Effect.void)
)

/** The id of the task the handler runs as, once it is one. */
export const current: Effect.Effect<Option.Option<string>> = Effect.map(
  Effect.serviceOption(Current),
  (running) => (Option.isSome(running) && running.value.isTask() ? Option.some(running.value.taskId) : Option.none())
)

/**
 * Sets the task's `statusMessage` (spec 2025-11-25 basic/utilities/tasks
 * "Task": a progress description while working); nothing outside a task.
 */
export const setStatusMessage = (message: string): Effect.Effect<void> =>
  Effect.flatMap(Effect.serviceOption(Current), (running) => (Option.isSome(running) ? running.value.setStatusMessage(message) : Effect.void))
