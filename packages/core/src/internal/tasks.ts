/**
 * The task runner: `tools/call` of a task-supporting tool run on a fiber of
 * its own in the server's scope, answered with a `CreateTaskResult` while the
 * handler keeps running, its outcome kept in the `TaskStore`; and the
 * `tasks/*` methods of both revisions over it (spec 2025-11-25
 * basic/utilities/tasks, and the 2026-07-28 `io.modelcontextprotocol/tasks`
 * extension, SEP-2663).
 *
 * A task's asks (`Elicitation`, `Sampling`, `Roots`) wait on the task's
 * pending input map instead of ending the attempt: under 2026-07-28
 * `tasks/get` reports them as `inputRequests` and `tasks/update` answers them
 * (any subset at a time); under 2025-11-25 a `tasks/result` request relays
 * them to the client as server-to-client requests on its own stream.
 */
import { randomBytes } from "node:crypto"
import { Cause, Clock, Deferred, Effect, Exit, type Fiber, FiberId, Option, Schema, type Scope } from "effect"
import type * as JsonRpc from "../JsonRpc.js"
import { ErrorCode } from "../JsonRpc.js"
import * as McpError from "../McpError.js"
import * as McpSchema from "../McpSchema.js"
import { Caller, RequestContext } from "../RequestContext.js"
import * as Task from "../Task.js"
import type * as Tool from "../Tool.js"
import { type AnyMethod, failed, isRecord, method, type Route, type Session, type Target } from "./dispatch.js"
import type { Compiled } from "./protocol20251125.js"
import * as Rounds from "./rounds.js"

type JsonObject = JsonRpc.JsonObject
type Revision = Task.State["revision"]

/** What the runner is given by the server. */
export interface Options {
  readonly settings: Task.Options | undefined
  /** Tasks per page of 2025-11-25 `tasks/list`. */
  readonly pageSize: number
  /** The target of the `tasks/*` methods: the global chain. */
  readonly global: () => Target
}

/** The runner as the method tables use it. */
export interface Runner {
  /**
   * The route of a `tools/call` of a tool that supports tasks or whose params
   * carry `task`: as a task when the client can take one, otherwise as usual
   * or refused (spec 2025-11-25 "Tool-Level Negotiation", 2026-07-28 tasks
   * "Capability Negotiation").
   */
  readonly call: (tool: Compiled<Tool.Any>, params: McpSchema.CallToolRequestParams, session: Session) => Route
  /** `tasks/get`, `tasks/result`, `tasks/cancel` and (with an owner binding) `tasks/list` of 2025-11-25. */
  readonly methods2025: ReadonlyArray<AnyMethod>
  /** `tasks/get`, `tasks/update` and `tasks/cancel` of the 2026-07-28 extension. */
  readonly methods2026: ReadonlyArray<AnyMethod>
  /** The 2025-11-25 `tasks` server capability (spec basic/utilities/tasks "Server Capabilities"). */
  readonly capability: JsonObject
  /** 2026-07-28 capabilities from the 2025-11-25 ones: `tasks` becomes `extensions["io.modelcontextprotocol/tasks"]`. */
  readonly stateless: (capabilities: McpSchema.ServerCapabilities) => McpSchema.ServerCapabilities
}

/** A tool's task support: its `task` option, else its `execution.taskSupport`; undefined when it never runs as a task. */
export const supportOf = (tool: Tool.Any): "optional" | "required" | undefined => {
  const support = tool.task?.support ?? tool.definition.execution?.taskSupport
  return support === "optional" || support === "required" ? support : undefined
}

/** The client listed the extension in this request's capabilities (spec 2026-07-28 tasks "Capability Negotiation"). */
const declares = (capabilities: McpSchema.ClientCapabilities): boolean => {
  const extensions = (capabilities as { readonly extensions?: unknown }).extensions
  return isRecord(extensions) && extensions[Task.EXTENSION] !== undefined
}

/** -32021 naming the extension (spec 2026-07-28 tasks "Capability Negotiation", basic/index "Error Codes"). */
const missingExtension = () => new McpError.MissingRequiredClientCapability({ requiredCapabilities: { extensions: { [Task.EXTENSION]: {} } } })

/** 192 bits from the system's CSPRNG (spec 2025-11-25 "Task Isolation and Access Control": unguessable ids). */
const newTaskId = (): string => randomBytes(24).toString("base64url")

const iso = (millis: number): string => new Date(millis).toISOString()

/** A `Task` with the revision's names for its time-to-live and poll interval. */
const taskWith = (ttl: string, pollInterval: string) => (state: Task.State): JsonObject => ({
  taskId: state.taskId,
  status: state.status,
  ...(state.statusMessage === undefined ? {} : { statusMessage: state.statusMessage }),
  createdAt: iso(state.createdAt),
  lastUpdatedAt: iso(state.lastUpdatedAt),
  [ttl]: state.ttlMs,
  ...(state.pollIntervalMs === undefined ? {} : { [pollInterval]: state.pollIntervalMs })
})

/** A 2025-11-25 `Task` (spec basic/utilities/tasks "Task"). */
const task2025 = taskWith("ttl", "pollInterval")

/** A 2026-07-28 `Task`: `ttlMs` and `pollIntervalMs` (SEP-2663 renamed `ttl` and `pollInterval`). */
const task2026 = taskWith("ttlMs", "pollIntervalMs")

/** The 2026-07-28 `DetailedTask`: the status's payload inlined (spec 2026-07-28 tasks "Task Polling" 1-5). */
const detailed2026 = (state: Task.State): JsonObject => {
  const task = task2026(state)
  switch (state.status) {
    case "input_required":
      return { ...task, inputRequests: state.inputRequests ?? {} }
    case "completed":
      return { ...task, result: state.result ?? { content: [] } }
    case "failed":
      return { ...task, error: state.error ?? { code: ErrorCode.InternalError, message: "The task failed" } }
    default:
      return task
  }
}

/** Params with `_meta["io.modelcontextprotocol/related-task"]` (spec 2025-11-25 "Related Task Metadata"). */
const withRelated = (params: JsonObject | undefined, taskId: string): JsonObject => {
  const meta = params?._meta
  return { ...params, _meta: { ...(isRecord(meta) ? meta : {}), [Task.RELATED_TASK]: { taskId } } }
}

const failedWith = (error: JsonRpc.ErrorObject): Task.Update => ({ status: "failed", statusMessage: error.message, error })

/** The first text block of a tool result, for the `statusMessage` of a 2025-11-25 task whose tool failed. */
const firstText = (result: JsonObject): string => {
  const content = Array.isArray(result.content) ? (result.content as ReadonlyArray<unknown>) : []
  const text = content.find((block): block is { readonly text: string } => isRecord(block) && block.type === "text" && typeof block.text === "string")
  return text === undefined ? "the tool reported an error" : McpError.clip(text.text, 200)
}

/** `tool.call(args)`, a throw becoming a defect (as the plain `tools/call` does). */
const callTool = (tool: Tool.Any, args: unknown): Effect.Effect<JsonObject, McpError.ProtocolError> => {
  try {
    return tool.call(args) as unknown as Effect.Effect<JsonObject, McpError.ProtocolError>
  } catch (e) {
    return Effect.die(e)
  }
}

/** An effect that reads `RequestContext`, as a route's: `serve` runs every handler with the request's. */
const served = <A, E>(effect: Effect.Effect<A, E, RequestContext>): Effect.Effect<A, E> => effect as unknown as Effect.Effect<A, E>


/** One question of a task waiting for its answer. */
interface Pending {
  readonly method: string
  readonly params: JsonObject
  readonly deferred: Deferred.Deferred<JsonObject, McpError.ClientError>
  /** Sent to the client by a 2025-11-25 `tasks/result` that is still waiting for the answer. */
  forwarding: boolean
}

/** What `TaskRounds` needs of a running task. */
interface Asking {
  readonly state: "running" | "escalating" | "escalated" | "refused"
  readonly ask: (method: string, params: JsonObject, key: string | undefined) => Effect.Effect<JsonObject, McpError.ClientError>
  readonly fail: (error: JsonRpc.ErrorObject) => Effect.Effect<never>
}

/** Never used: a 2025-11-25 task has no multi round-trip rounds to seal. */
const unusedSealer: Rounds.Sealer = { ttlMillis: 0, seal: () => "", open: () => "it is not a requestState this server issued" }

/**
 * The rounds of a 2026-07-28 task's handler: before the task exists (a tool
 * created with `creation: "escalate"`) its asks are the request's multi
 * round-trip rounds; afterwards they wait on the task's pending input map.
 */
class TaskRounds extends Rounds.Rounds {
  constructor(private readonly task: Asking, private readonly inner: Rounds.Rounds | undefined) {
    super(inner?.sealer ?? unusedSealer, inner?.binding ?? "", inner?.round ?? 1, {}, inner?.carried ?? {})
  }

  private get synchronous(): boolean {
    return this.inner !== undefined && this.task.state === "running"
  }

  override ask(method: string, params: JsonObject, key: string | undefined): Effect.Effect<JsonObject> {
    // A 2026-07-28 answer comes from `tasks/update`, never as an error.
    return this.synchronous ? this.inner!.ask(method, params, key) : Effect.orDie(this.task.ask(method, params, key))
  }

  override get relays(): boolean {
    return this.synchronous
  }

  override relay(inputRequests: { readonly [key: string]: { readonly method: string; readonly params: JsonObject } }, carry: unknown): Effect.Effect<never> {
    // Once the task exists its asks wait on the task (`relays` is false): a relay asks them one by one.
    return this.synchronous ? this.inner!.relay(inputRequests, carry) : Effect.dieMessage("RequestState.relay: the request is a task now; ask the client instead")
  }

  override missing(capability: string): Effect.Effect<never> {
    return this.synchronous ? this.inner!.missing(capability) : this.task.fail(Rounds.missingCapability(capability))
  }

  override invalidAnswer(message: string): Effect.Effect<never> {
    return this.synchronous
      ? this.inner!.invalidAnswer(message)
      : this.task.fail({ code: ErrorCode.InvalidParams, message: `Invalid params: ${message}` })
  }
}

const Rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })
const TaskIdParams = Schema.Struct({ taskId: Schema.String }, Rest)
/** spec 2026-07-28 tasks "Task Update Requests": responses keyed as the server's `inputRequests`. */
const UpdateParams = Schema.Struct({ taskId: Schema.String, inputResponses: Schema.Record({ key: Schema.String, value: Rest }) }, Rest)
const ListParams = Schema.Struct({ cursor: Schema.optional(Schema.String) }, Rest)

const encodeCursor = (offset: number): string => Buffer.from(`t:${offset}`).toString("base64url")
const decodeCursor = (cursor: string | undefined): number | undefined => {
  if (cursor === undefined) return 0
  const text = Buffer.from(cursor, "base64url").toString("utf8")
  if (!text.startsWith("t:")) return undefined
  const offset = Number(text.slice(2))
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined
}

const cancelledMessage = "The task was cancelled by request."

/** The runner of a server, its fibers in the server's scope. */
export const make = (options: Options): Effect.Effect<Runner, never, Scope.Scope> =>
  Effect.gen(function*() {
    const provided = yield* Effect.serviceOption(Task.TaskStore)
    const store = Option.isSome(provided) ? provided.value : Task.makeMemory()
    const scope = yield* Effect.scope
    const settings = options.settings ?? {}
    const defaultTtl = settings.ttlMs ?? 3_600_000
    const maxTtl = settings.maxTtlMs ?? 86_400_000
    const pollIntervalMs = Math.max(1, Math.floor(settings.pollIntervalMs ?? 1_000))
    const maxRunning = settings.maxRunning ?? 1_000
    const owner = settings.owner as Effect.Effect<string | undefined> | undefined
    /** Tasks whose handler runs in this process, by id. */
    const running = new Map<string, Running>()

    /** spec 2025-11-25 "Resource Management": a lifetime, clamped to the maximum (whole milliseconds, at least 1). */
    const ttlOf = (asked: number | undefined): number => Math.max(1, Math.floor(Math.min(asked ?? defaultTtl, maxTtl)))

    /** Who owns what this request creates or reads (see `Task.Options.owner`). */
    // spec 2025-11-25 basic/utilities/tasks "Security": "When an authorization context is provided, receivers
    // MUST bind tasks to said context": the caller a transport authenticated (`Caller`), else the session.
    const ownerOf = (session: Session): Effect.Effect<string | undefined> =>
      owner ?? Effect.map(Effect.serviceOption(Caller), (caller) => (Option.isSome(caller) ? `caller:${caller.value}` : session.sessionId))

    const storeFailed = (error: unknown): Effect.Effect<never, McpError.ProtocolError> =>
      Effect.zipRight(Effect.logError("The task store failed", error), Effect.fail(new McpError.InternalError({ message: "The task store failed" })))

    /**
     * A task by id, for a request of `revision` from `session`: unknown,
     * expired, another owner's or another revision's are alike -32602 (spec
     * 2025-11-25 "Protocol Errors", 2026-07-28 tasks "Error Handling").
     */
    const find = (taskId: string, session: Session, revision: Revision): Effect.Effect<Task.State, McpError.ProtocolError> =>
      Effect.gen(function*() {
        const who = yield* ownerOf(session)
        const now = yield* Clock.currentTimeMillis
        const found = yield* Effect.catchAll(store.get(taskId, now), storeFailed)
        if (Option.isNone(found) || found.value.owner !== who || found.value.revision !== revision) {
          return yield* new McpError.InvalidParams({ message: `Failed to retrieve task ${McpError.preview(taskId)}: Task not found` })
        }
        return found.value
      })

    /** Moves a task to `cancelled` unless it ended; the new state, or none. */
    const cancel = (taskId: string): Effect.Effect<Option.Option<Task.State>, McpError.ProtocolError> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const updated = yield* Effect.catchAll(store.update(taskId, { status: "cancelled", statusMessage: cancelledMessage }, now), storeFailed)
        const live = running.get(taskId)
        if (live !== undefined && Option.isSome(updated)) {
          yield* live.changedTo(updated.value)
          live.stop("cancelled")
        }
        return updated
      })

    /** A handler running as a task, or about to become one. */
    class Running implements Task.Running, Asking {
      state: "running" | "escalating" | "escalated" | "refused" = "running"
      /** Why the fiber was interrupted, when the runner did it. */
      stopReason: "cancelled" | "failed" | "expired" | "abandoned" | undefined = undefined
      forced: JsonRpc.ErrorObject | undefined = undefined
      fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
      timer: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
      message: string | undefined = undefined
      status: Task.Status = "working"
      readonly pending = new Map<string, Pending>()
      /** Every key issued: keys are unique over the task's lifetime (spec 2026-07-28 tasks "Task Update Requests"). */
      private readonly keys = new Set<string>()
      private ordinal = 0
      /** Done at the next change of the task (what a 2025-11-25 `tasks/result` waits on). */
      changed = Deferred.unsafeMake<void>(FiberId.none)
      private readonly lock = Effect.unsafeMakeSemaphore(1)
      /** The request's answer: the `CreateTaskResult`, or the handler's own outcome when it ended before becoming a task. */
      readonly answer = Deferred.unsafeMake<JsonObject, McpError.ProtocolError>(FiberId.none)

      constructor(
        readonly taskId: string,
        readonly revision: Revision,
        readonly owner: string | undefined,
        readonly ttlMs: number,
        readonly pollIntervalMs: number,
        /** The 2025-11-25 session to send `notifications/tasks/status` to. */
        private readonly creator: Session | undefined
      ) {}

      isTask = (): boolean => this.state === "escalated"

      escalate: Effect.Effect<void> = Effect.suspend(() => {
        if (this.state !== "running") return Effect.void
        if (running.size >= maxRunning) {
          // spec 2025-11-25 "Resource Management": a limit on concurrent tasks.
          return this.refuse(new McpError.InternalError({ message: `Too many tasks are running (${maxRunning}); try again later` }))
        }
        this.state = "escalating"
        running.set(this.taskId, this)
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const state: Task.State = {
            taskId: this.taskId,
            revision: this.revision,
            owner: this.owner,
            status: "working",
            createdAt: now,
            lastUpdatedAt: now,
            ttlMs: this.ttlMs,
            pollIntervalMs: this.pollIntervalMs
          }
          // spec 2026-07-28 tasks "Task Creation": no CreateTaskResult before the task is durably created.
          return Effect.matchEffect(store.create(state), {
            onFailure: (error) => {
              running.delete(this.taskId)
              return Effect.zipRight(
                Effect.logError("Creating a task failed", error),
                this.refuse(new McpError.InternalError({ message: "The task could not be created" }))
              )
            },
            onSuccess: () =>
              Effect.suspend(() => {
                this.state = "escalated"
                Deferred.unsafeDone(
                  this.answer,
                  Exit.succeed(this.revision === "2025-11-25" ? { task: task2025(state) } : { resultType: "task", ...task2026(state) })
                )
                // spec 2026-07-28 tasks "Task Polling": a task past its TTL MAY be marked failed.
                // (Questions asked concurrently while the task was being created are stored now.)
                return Effect.zipRight(this.pending.size > 0 ? this.sync : Effect.void, Effect.asVoid(Effect.tap(
                  Effect.forkIn(Effect.zipRight(Effect.sleep(this.ttlMs), Effect.sync(() => this.stop("expired"))), scope),
                  (timer) => {
                    this.timer = timer
                  }
                )))
              })
          })
        })
      })

      /** The task cannot be created: the request is answered with `error` and the whole handler stops. */
      private refuse(error: McpError.ProtocolError): Effect.Effect<never> {
        this.state = "refused"
        Deferred.unsafeDone(this.answer, Exit.fail(error))
        // `escalate` may run on a child fiber of the handler (`Effect.all`): stop the handler itself.
        this.fiber?.unsafeInterruptAsFork(FiberId.none)
        return Effect.interrupt
      }

      /** Interrupts the handler, recording why. */
      stop(reason: NonNullable<Running["stopReason"]>, error?: JsonRpc.ErrorObject): void {
        if (this.stopReason === undefined) {
          this.stopReason = reason
          this.forced = error
        }
        this.fiber?.unsafeInterruptAsFork(FiberId.none)
      }

      /** Ends the task with `error` (a capability the client lacks, an answer that does not decode). */
      fail = (error: JsonRpc.ErrorObject): Effect.Effect<never> =>
        Effect.suspend(() => {
          this.stop("failed", error)
          return Effect.never
        })

      /** The request was cancelled before the task existed: the handler goes with it (a multi round-trip round ended, say). */
      abandon(): void {
        if (this.state === "running") this.stop("abandoned")
      }

      private key(asked: string | undefined): string {
        let key = asked
        while (key === undefined || this.keys.has(key)) key = `${asked ?? "input"}-${++this.ordinal}`
        this.keys.add(key)
        return key
      }

      /** One question: pending until the client answers it (`tasks/update`, or the request a `tasks/result` relays). */
      ask = (method: string, params: JsonObject, asked: string | undefined): Effect.Effect<JsonObject, McpError.ClientError> =>
        Effect.suspend(() => {
          const key = this.key(asked)
          const deferred = Deferred.unsafeMake<JsonObject, McpError.ClientError>(FiberId.none)
          this.pending.set(key, { method, params, deferred, forwarding: false })
          return this.sync.pipe(
            Effect.zipRight(Deferred.await(deferred)),
            Effect.ensuring(Effect.suspend(() => {
              if (this.pending.get(key)?.deferred !== deferred) return Effect.void
              this.pending.delete(key)
              return this.sync
            }))
          )
        })

      /** Answers to pending questions; keys not pending are ignored (spec 2026-07-28 tasks "Task Update Requests"). */
      respond = (responses: { readonly [key: string]: Exit.Exit<JsonObject, McpError.ClientError> }): Effect.Effect<void> =>
        Effect.suspend(() => {
          const answered: Array<readonly [Pending, Exit.Exit<JsonObject, McpError.ClientError>]> = []
          for (const key of Object.keys(responses)) {
            const pending = this.pending.get(key)
            if (pending === undefined) continue
            this.pending.delete(key)
            answered.push([pending, responses[key]!])
          }
          if (answered.length === 0) return Effect.void
          // The store shows what is still pending before the handler resumes (and before the ack).
          return Effect.zipRight(
            this.sync,
            Effect.sync(() => {
              for (const [pending, exit] of answered) Deferred.unsafeDone(pending.deferred, exit)
            })
          )
        })

      setStatusMessage = (message: string): Effect.Effect<void> =>
        Effect.suspend(() => {
          this.message = message
          return this.sync
        })

      /** Writes what is pending (`input_required` with `inputRequests`) or `working`. */
      private get sync(): Effect.Effect<void> {
        return this.lock.withPermits(1)(Effect.suspend(() => {
          if (this.state !== "escalated") return Effect.void
          if (this.pending.size === 0) return this.write({ status: "working", statusMessage: this.message })
          const inputRequests: Record<string, Task.InputRequest> = {}
          for (const [key, { method, params }] of this.pending) inputRequests[key] = { method, params }
          return this.write({
            status: "input_required",
            statusMessage: this.message ?? `Waiting for the client to answer ${this.pending.size} request(s)`,
            inputRequests
          })
        }))
      }

      private write(update: Task.Update): Effect.Effect<void> {
        return Clock.currentTimeMillis.pipe(
          Effect.flatMap((now) => store.update(this.taskId, update, now)),
          Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: (state) => this.changedTo(state) })),
          Effect.catchAll((error) => Effect.logError(`Updating task ${this.taskId} failed`, error)),
          Effect.ensuring(Effect.sync(() => this.signal()))
        )
      }

      /** A new state was stored: a 2025-11-25 creator hears of a new status (spec 2025-11-25 "Task Status Notification"). */
      changedTo(state: Task.State): Effect.Effect<void> {
        const before = this.status
        this.status = state.status
        this.signal()
        if (this.creator === undefined || before === state.status) return Effect.void
        // Without related-task metadata: the task id is in the params (spec 2025-11-25 "Task Notifications" 3).
        return Effect.catchAllCause(this.creator.notify("notifications/tasks/status", task2025(state)), () => Effect.void)
      }

      private signal(): void {
        const changed = this.changed
        this.changed = Deferred.unsafeMake<void>(FiberId.none)
        Deferred.unsafeDone(changed, Exit.void)
      }

      /** The handler ended: a synchronous answer, or the task's terminal state. */
      settle = (exit: Exit.Exit<JsonObject, McpError.ProtocolError>): Effect.Effect<void> =>
        Effect.suspend(() => {
          const timer = this.timer
          const stopTimer = Effect.sync(() => timer?.unsafeInterruptAsFork(FiberId.none))
          switch (this.state) {
            case "running":
              // Ended before becoming a task: the request's own outcome.
              Deferred.unsafeDone(this.answer, exit)
              return Effect.void
            case "escalating":
              running.delete(this.taskId)
              Deferred.unsafeDone(this.answer, Exit.fail(new McpError.InternalError({ message: "The server stopped before the task was created" })))
              return Effect.void
            case "refused":
              return Effect.void
          }
          const defect = Exit.isFailure(exit) && this.stopReason === undefined && !Cause.isInterruptedOnly(exit.cause) &&
            Option.isNone(Cause.failureOption(exit.cause))
          return Effect.all([
            stopTimer,
            defect ? Effect.logError(`Task ${this.taskId} died`, Exit.isFailure(exit) ? exit.cause : undefined) : Effect.void,
            this.lock.withPermits(1)(this.write(this.outcome(exit)))
          ], { discard: true }).pipe(Effect.ensuring(Effect.sync(() => {
            running.delete(this.taskId)
            this.signal()
          })))
        })

      /** spec 2026-07-28 tasks "Task Execution Errors"; 2025-11-25 "Task Execution Errors" (`isError` is `failed` there). */
      private outcome(exit: Exit.Exit<JsonObject, McpError.ProtocolError>): Task.Update {
        switch (this.stopReason) {
          case "cancelled":
            return { status: "cancelled", statusMessage: cancelledMessage }
          case "failed":
            if (this.forced !== undefined) return failedWith(this.forced)
            break
          case "expired":
            return failedWith({ code: ErrorCode.InternalError, message: "The task expired before it finished" })
        }
        if (Exit.isSuccess(exit)) {
          const result = exit.value
          if (this.revision === "2025-11-25" && result.isError === true) {
            return { status: "failed", statusMessage: `Tool execution failed: ${firstText(result)}`, result }
          }
          return { status: "completed", result }
        }
        if (Cause.isInterruptedOnly(exit.cause)) {
          return failedWith({ code: ErrorCode.InternalError, message: "The task was stopped before it finished (the server shut down)" })
        }
        return failedWith(McpError.fromCause(exit.cause))
      }

      /**
       * Sends the pending questions no one relays yet to the client, as
       * requests related to `requestId` with related-task metadata (spec
       * 2025-11-25 "Task-Augmented Tool Call With Elicitation"), forked in
       * the caller's scope. The client's answer or error answers the question;
       * a timeout or a lost connection leaves it for the next `tasks/result`.
       */
      forward(session: Session, requestId: JsonRpc.RequestId): Effect.Effect<void, never, Scope.Scope> {
        return Effect.forEach([...this.pending], ([key, pending]) => {
          if (pending.forwarding) return Effect.void
          pending.forwarding = true
          return session.request(pending.method, withRelated(pending.params, this.taskId), { relatedRequestId: requestId }).pipe(
            Effect.matchEffect({
              onSuccess: (result) => this.respond({ [key]: Exit.succeed(result) }),
              onFailure: (error) =>
                error._tag === "ClientError" ? this.respond({ [key]: Exit.fail(error) }) : Effect.sync(() => {
                  pending.forwarding = false
                })
            }),
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                pending.forwarding = false
              })
            ),
            Effect.forkScoped
          )
        }, { discard: true })
      }
    }

    /**
     * Runs the tool on a fiber of its own in the server's scope and answers
     * with what comes first: the task's `CreateTaskResult` (at once, or when
     * the handler calls `Task.escalate`) or the handler's own outcome.
     * Cancelling the request before the task exists stops the handler; after,
     * the task runs on.
     */
    const runAsTask = (
      tool: Compiled<Tool.Any>,
      params: McpSchema.CallToolRequestParams,
      session: Session,
      revision: Revision,
      creation: "immediate" | "escalate",
      askedTtl: number | undefined
    ): Effect.Effect<JsonObject, McpError.ProtocolError, RequestContext> =>
      Effect.gen(function*() {
        const request = yield* RequestContext
        const who = yield* ownerOf(session)
        const options = tool.value.task
        const handle = new Running(
          newTaskId(),
          revision,
          who,
          ttlOf(askedTtl ?? options?.ttlMs),
          Math.max(1, Math.floor(options?.pollIntervalMs ?? pollIntervalMs)),
          revision === "2025-11-25" ? session : undefined
        )
        // The handler's session: its asks wait on the task (2025-11-25: in place of server-to-client requests).
        const taskSession: Session = revision === "2025-11-25"
          ? Object.create(session, {
            request: { value: (method: string, requestParams: JsonObject) => handle.ask(method, requestParams, undefined) },
            // spec 2025-11-25 "Related Task Metadata": messages of a task carry its id.
            notify: {
              value: (method: string, notificationParams?: JsonObject, related?: JsonRpc.RequestId) =>
                session.notify(method, withRelated(notificationParams, handle.taskId), related)
            }
          })
          : Object.create(session, {
            rounds: { value: new TaskRounds(handle, session.rounds) },
            // spec 2026-07-28 tasks "Task Status Notifications": no progress or log messages for a task.
            notify: {
              value: (method: string, notificationParams?: JsonObject, related?: JsonRpc.RequestId) =>
                handle.isTask() ? Effect.void : session.notify(method, notificationParams, related)
            }
          })
        const body = Effect.withFiberRuntime<void>((fiber) => {
          // Known before the handler can ask for a stop (`fail`), whenever the fork returns.
          handle.fiber = fiber
          return creation === "immediate" ? handle.escalate : Effect.void
        }).pipe(
          Effect.zipRight(callTool(tool.value, params.arguments)),
          Effect.provideService(RequestContext, { ...request, session: taskSession }),
          Effect.provideService(Task.Current, handle),
          Effect.onExit(handle.settle)
        )
        return yield* Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(Effect.forkIn(Effect.interruptible(body), scope), (fiber) => {
            handle.fiber = fiber
            if (handle.stopReason !== undefined) fiber.unsafeInterruptAsFork(FiberId.none)
            return restore(Deferred.await(handle.answer)).pipe(Effect.onInterrupt(() => Effect.sync(() => handle.abandon())))
          })
        )
      })

    const call = (tool: Compiled<Tool.Any>, params: McpSchema.CallToolRequestParams, session: Session): Route => {
      const primitive = { kind: "tool", name: params.name } as const
      const support = supportOf(tool.value)
      const plain = (): Route => ({ target: tool.target, primitive, effect: callTool(tool.value, params.arguments) })
      const asTask = (revision: Revision, askedTtl: number | undefined): Route => ({
        target: tool.target,
        primitive,
        effect: served(
          runAsTask(tool, params, session, revision, revision === "2025-11-25" ? "immediate" : tool.value.task?.creation ?? "immediate", askedTtl)
        )
      })
      const name = McpError.clip(params.name)
      if (McpSchema.isStateless(session.protocolVersion)) {
        // 2026-07-28: the server decides; a legacy `task` param is tolerated and never makes a sync tool a task.
        if (support === undefined) return plain()
        if (declares(session.clientCapabilities)) return asTask("2026-07-28", undefined)
        return support === "required" ? failed(tool.target, missingExtension(), primitive) : plain()
      }
      // spec 2025-11-25 basic/utilities/tasks "Tool-Level Negotiation": -32601 either way round.
      if (params.task === undefined) {
        return support === "required"
          ? failed(
            tool.target,
            new McpError.ServerError({
              code: ErrorCode.MethodNotFound,
              message: `Tool ${name} must be called as a task: add "task" to the params (its execution.taskSupport is "required")`
            }),
            primitive
          )
          : plain()
      }
      if (support === undefined) {
        return failed(
          tool.target,
          new McpError.ServerError({
            code: ErrorCode.MethodNotFound,
            message: `Tool ${name} cannot be called as a task (its execution.taskSupport is "forbidden")`
          }),
          primitive
        )
      }
      return asTask("2025-11-25", params.task.ttl)
    }

    const route = (effect: Effect.Effect<JsonObject, McpError.ProtocolError>): Route => ({ target: options.global(), primitive: undefined, effect })

    // --- 2025-11-25 (spec basic/utilities/tasks)

    const get2025 = method("tasks/get", {
      params: TaskIdParams,
      result: McpSchema.GetTaskResult,
      handle: (params, session) => route(Effect.map(find(params.taskId, session, "2025-11-25"), task2025))
    })

    /** spec 2025-11-25 "Retrieving Task Results": blocks until terminal, relaying the task's questions meanwhile. */
    const result2025 = method("tasks/result", {
      params: TaskIdParams,
      result: McpSchema.GetTaskPayloadResult,
      handle: (params, session) =>
        route(served(Effect.scoped(Effect.gen(function*() {
          const { requestId } = yield* RequestContext
          for (;;) {
            const state = yield* find(params.taskId, session, "2025-11-25")
            if (Task.isTerminal(state.status)) {
              // "tasks/result returns exactly what the underlying request would have returned".
              if (state.result !== undefined) {
                return withRelated(state.result, state.taskId)
              }
              if (state.error !== undefined) {
                return yield* new McpError.ServerError({ code: state.error.code, message: state.error.message, data: state.error.data })
              }
              return yield* new McpError.InvalidParams({ message: `Task ${McpError.preview(state.taskId)} was cancelled before it had a result` })
            }
            const live = running.get(state.taskId)
            if (live === undefined) {
              // Run by another process sharing the store: poll it.
              yield* Effect.sleep(state.pollIntervalMs ?? pollIntervalMs)
              continue
            }
            const changed = live.changed
            yield* live.forward(session, requestId)
            yield* Deferred.await(changed)
          }
        }))))
    })

    const cancel2025 = method("tasks/cancel", {
      params: TaskIdParams,
      result: McpSchema.CancelTaskResult,
      handle: (params, session) =>
        route(Effect.gen(function*() {
          const state = yield* find(params.taskId, session, "2025-11-25")
          const terminal = (status: Task.Status) =>
            new McpError.InvalidParams({ message: `Cannot cancel task: already in terminal status '${status}'` })
          // spec 2025-11-25 "Task Cancellation" 1-2: terminal tasks are refused; the task is cancelled before the response.
          if (Task.isTerminal(state.status)) return yield* terminal(state.status)
          const updated = yield* cancel(state.taskId)
          if (Option.isSome(updated)) return task2025(updated.value)
          const now = yield* find(params.taskId, session, "2025-11-25")
          return yield* terminal(now.status)
        }))
    })

    /** spec 2025-11-25 "Task Listing": only the requestor's own tasks, with opaque cursors. */
    const list2025 = method("tasks/list", {
      params: ListParams,
      result: McpSchema.ListTasksResult,
      handle: (params, session) =>
        route(Effect.gen(function*() {
          const offset = decodeCursor(params.cursor)
          if (offset === undefined) return yield* new McpError.InvalidParams({ message: "Invalid cursor" })
          const who = yield* ownerOf(session)
          if (who === undefined) return { tasks: [] }
          const now = yield* Clock.currentTimeMillis
          const page = yield* Effect.catchAll(store.list(who, { offset, limit: options.pageSize + 1 }, now), storeFailed)
          const tasks = page.slice(0, options.pageSize).filter((task) => task.revision === "2025-11-25").map(task2025)
          return page.length > options.pageSize ? { tasks, nextCursor: encodeCursor(offset + options.pageSize) } : { tasks }
        }))
    })

    // --- 2026-07-28 (the io.modelcontextprotocol/tasks extension)

    /** spec 2026-07-28 tasks "Protocol Errors": -32021 for a request that did not declare the extension. */
    const gated = (session: Session, effect: Effect.Effect<JsonObject, McpError.ProtocolError>): Route =>
      route(declares(session.clientCapabilities) ? effect : Effect.fail(missingExtension()))

    const get2026 = method("tasks/get", {
      params: TaskIdParams,
      result: McpSchema.Result,
      handle: (params, session) => gated(session, Effect.map(find(params.taskId, session, "2026-07-28"), detailed2026))
    })

    const update2026 = method("tasks/update", {
      params: UpdateParams,
      result: McpSchema.Result,
      handle: (params, session) =>
        gated(
          session,
          Effect.gen(function*() {
            const state = yield* find(params.taskId, session, "2026-07-28")
            // An ended task has nothing outstanding: the responses are ignored, the update acknowledged.
            if (Task.isTerminal(state.status)) return {}
            const live = running.get(state.taskId)
            if (live === undefined) {
              return yield* new McpError.InternalError({
                message: `Task ${McpError.preview(state.taskId)} is not running on this server instance (route tasks/update by its Mcp-Name)`
              })
            }
            const responses: Record<string, Exit.Exit<JsonObject, McpError.ClientError>> = {}
            for (const key of Object.keys(params.inputResponses)) responses[key] = Exit.succeed(params.inputResponses[key]!)
            yield* live.respond(responses)
            return {}
          })
        )
    })

    /** spec 2026-07-28 tasks "Task Cancellation": an empty acknowledgement, for an ended task too. */
    const cancel2026 = method("tasks/cancel", {
      params: TaskIdParams,
      result: McpSchema.Result,
      handle: (params, session) =>
        gated(
          session,
          Effect.gen(function*() {
            const state = yield* find(params.taskId, session, "2026-07-28")
            if (!Task.isTerminal(state.status)) yield* cancel(state.taskId)
            return {}
          })
        )
    })

    const listable = owner !== undefined
    return {
      call,
      methods2025: listable ? [get2025, result2025, cancel2025, list2025] : [get2025, result2025, cancel2025],
      methods2026: [get2026, update2026, cancel2026],
      // spec 2025-11-25 "Task Isolation and Access Control": no `list` for requestors it cannot tell apart.
      capability: { ...(listable ? { list: {} } : {}), cancel: {}, requests: { tools: { call: {} } } },
      stateless: (capabilities) => {
        if (capabilities.tasks === undefined) return capabilities
        const { tasks: _tasks, ...rest } = capabilities
        const extensions = (rest as { readonly extensions?: JsonObject }).extensions
        return { ...rest, extensions: { ...extensions, [Task.EXTENSION]: {} } } as McpSchema.ServerCapabilities
      }
    } satisfies Runner
  })
