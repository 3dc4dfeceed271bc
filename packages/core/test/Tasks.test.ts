/**
 * Tasks under both revisions: the experimental tasks utility of 2025-11-25
 * (spec basic/utilities/tasks) and the 2026-07-28 `io.modelcontextprotocol/tasks`
 * extension (SEP-2663, as the conformance suite's `tasks-*` scenarios state
 * it). Real servers over real connections; the 2025-11-25 shapes are judged
 * by schema.json.
 */
import { describe, expect, it } from "@effect/vitest"
import { Elicitation, type JsonRpc, McpError, McpServer, RequestContext, Sampling, Task, Tool } from "@emcee/core"
import { Duration, Effect, Layer, Option, Queue, Schema } from "effect"
import { expectSpec, initializeParams } from "./support/spec.js"

const EXT = "io.modelcontextprotocol/tasks"
const RELATED = "io.modelcontextprotocol/related-task"

// --- fixtures -----------------------------------------------------------------------------------

/** What the handlers did, to prove what ran (and how often) and what was interrupted. */
const log: Array<string> = []

const Name = Schema.Struct({ name: Schema.String })
const Confirm = Schema.Struct({ confirm: Schema.Boolean })

const twoQuestions = Tool.make("two_questions", {
  input: Schema.Struct({ tag: Schema.String }),
  task: { support: "optional" },
  handler: ({ tag }) =>
    Effect.gen(function*() {
      log.push(`two_questions started ${tag}`)
      const [name, confirm] = yield* Effect.all([
        Elicitation.form("Name?", Name, { inputKey: "name" }),
        Elicitation.form("Go?", Confirm, { inputKey: "confirm" })
      ], { concurrency: "unbounded" })
      const who = name.action === "accept" ? name.content.name : "?"
      return `${who} ${confirm.action === "accept" && confirm.content.confirm ? "go" : "stop"}`
    })
})

const sleepy = Tool.make("sleepy", {
  input: Schema.Struct({ millis: Schema.Number, tag: Schema.String }),
  task: { support: "optional", pollIntervalMs: 25 },
  handler: ({ millis, tag }) =>
    Effect.gen(function*() {
      yield* Task.setStatusMessage(`sleeping ${millis}`)
      yield* Effect.sleep(Duration.millis(millis))
      const id = yield* Task.current
      return `slept ${tag} ${Option.isSome(id) ? "as task" : "inline"}`
    }).pipe(Effect.onInterrupt(() => Effect.sync(() => log.push(`sleepy interrupted ${tag}`))))
})

const broken = Tool.make("broken", {
  task: { support: "optional" },
  handler: () => Effect.fail(new Error("the tool broke"))
})

const crashing = Tool.make("crashing", {
  task: { support: "optional" },
  handler: () => Effect.fail(new McpError.ServerError({ code: -32050, message: "custom protocol failure" }))
})

const mustTask = Tool.make("must_task", {
  task: { support: "required" },
  handler: () => Effect.succeed("done as a task")
})

const plain = Tool.make("plain", {
  handler: () => Effect.map(Task.current, (id) => (Option.isSome(id) ? "a task?!" : "plain"))
})

/** Asks once in a multi round-trip round, then becomes a task (SEP-2663: MRTR before the CreateTaskResult). */
const escalating = Tool.make("escalating", {
  task: { support: "required", creation: "escalate" },
  handler: () =>
    Effect.gen(function*() {
      const answer = yield* Elicitation.form("Who?", Name, { inputKey: "user_name" })
      log.push("escalating asked")
      yield* Task.escalate
      const id = yield* Task.current
      yield* Effect.sleep(Duration.millis(30))
      return `Hello ${answer.action === "accept" ? answer.content.name : "?"} (${Option.isSome(id) ? "task" : "sync"})`
    })
})

const samples = Tool.make("samples", {
  task: { support: "optional" },
  handler: () =>
    Effect.map(
      Sampling.createMessage({ messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 5 }),
      (result) => `model ${result.model}`
    )
})

const tools = [twoQuestions, sleepy, broken, crashing, mustTask, plain, escalating, samples] as const

const settings: Task.Options = { pollIntervalMs: 40, ttlMs: 60_000, maxTtlMs: 120_000 }
const server = (options: Partial<McpServer.Options> = {}) =>
  McpServer.register(...tools).pipe(Layer.provideMerge(McpServer.layer({ name: "tasks", version: "1.0.0", pageSize: 2, tasks: settings, ...options })))
const App = server()

// --- a raw connection: any message in, every message out --------------------------------------

type Reply = { readonly id?: unknown; readonly result?: Record<string, unknown>; readonly error?: { code: number; message: string; data?: unknown } }
let nextId = 1

const open = (sessionId?: string) =>
  Effect.gen(function*() {
    const mcp = yield* McpServer.McpServer
    const out = yield* Queue.unbounded<JsonRpc.Message & Record<string, unknown>>()
    const connection = yield* mcp.connect({
      send: (message) => Effect.asVoid(Queue.offer(out, JSON.parse(JSON.stringify(message)))),
      ...(sessionId === undefined ? {} : { sessionId })
    })
    const send = (method: string, params: Record<string, unknown>): Effect.Effect<Reply> =>
      Effect.map(connection.handle({ jsonrpc: "2.0", id: nextId++, method, params }), (r) => JSON.parse(JSON.stringify(r)) as Reply)
    /** 2025-11-25: initialize first. */
    const initialize = (capabilities: Record<string, unknown> = { elicitation: {} }, clientName = "raw") =>
      Effect.gen(function*() {
        const init = yield* send("initialize", { ...initializeParams("2025-11-25", capabilities), clientInfo: { name: clientName, version: "1" } })
        yield* connection.handle({ jsonrpc: "2.0", method: "notifications/initialized" })
        return init
      })
    return { connection, out, send, initialize }
  })

const withTasks = { elicitation: {}, sampling: {}, extensions: { [EXT]: {} } }
const meta2026 = (capabilities: Record<string, unknown>, clientName = "raw") => ({
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": capabilities,
  "io.modelcontextprotocol/clientInfo": { name: clientName, version: "1" }
})

/** Polls until `done` holds (real time: the handlers really sleep). */
const until = (poll: Effect.Effect<Reply>, done: (reply: Reply) => boolean, what: string): Effect.Effect<Reply> =>
  Effect.gen(function*() {
    for (let i = 0; i < 300; i++) {
      const reply = yield* poll
      if (done(reply)) return reply
      yield* Effect.sleep(Duration.millis(10))
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })

const terminal = (reply: Reply) => ["completed", "failed", "cancelled"].includes(reply.result?.status as string)

/** The 2026-07-28 client of one connection. */
const client2026 = (capabilities: Record<string, unknown> = withTasks, clientName = "raw") =>
  Effect.map(open(), (raw) => {
    const send = (method: string, params: Record<string, unknown>, caps = capabilities) =>
      raw.send(method, { ...params, _meta: meta2026(caps, clientName) })
    const call = (name: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, caps = capabilities) =>
      send("tools/call", { name, arguments: args, ...extra }, caps)
    const get = (taskId: string) => send("tasks/get", { taskId })
    return { ...raw, send, call, get, settle: (taskId: string) => until(get(taskId), terminal, `task ${taskId} to end`) }
  })

// --- 2026-07-28 ---------------------------------------------------------------------------------

describe("tasks extension (2026-07-28, io.modelcontextprotocol/tasks, SEP-2663)", () => {
  it.scopedLive("server/discover advertises the extension under capabilities.extensions, never a tasks slot (Capability Negotiation)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const discover = yield* c.send("server/discover", {})
      const capabilities = discover.result!.capabilities as Record<string, unknown>
      expect(capabilities.extensions).toEqual({ [EXT]: {} })
      expect(capabilities.tasks).toBeUndefined()
      // Nothing that may run as a task: nothing advertised.
      const bare = yield* Effect.provide(
        Effect.flatMap(client2026(), (other) => other.send("server/discover", {})),
        McpServer.register(plain).pipe(Layer.provideMerge(McpServer.layer({ name: "bare", version: "1.0.0" })))
      )
      expect((bare.result!.capabilities as Record<string, unknown>).extensions).toBeUndefined()
    }).pipe(Effect.provide(App)))

  it.scopedLive("a task-supporting tool answers a flat CreateTaskResult (resultType task, ttlMs, pollIntervalMs), durably created; tasks/get inlines the result (Task Creation, Task Polling)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const created = yield* c.call("sleepy", { millis: 150, tag: "life" })
      const task = created.result!
      expect(task).toMatchObject({ resultType: "task", status: "working", ttlMs: 60_000, pollIntervalMs: 25 })
      for (const key of ["task", "ttl", "pollInterval", "result", "error", "inputRequests", "requestState", "content"]) expect(task).not.toHaveProperty(key)
      expect(Date.parse(task.createdAt as string)).not.toBeNaN()
      expect(Date.parse(task.lastUpdatedAt as string)).not.toBeNaN()
      // 192 random bits, base64url.
      expect(task.taskId).toMatch(/^[A-Za-z0-9_-]{32}$/)
      const taskId = task.taskId as string
      // Durable create: an immediate tasks/get resolves.
      const working = yield* c.get(taskId)
      expect(working.result).toMatchObject({ resultType: "complete", taskId, status: "working", statusMessage: "sleeping 150" })
      expect(working.result).not.toHaveProperty("result")
      const done = yield* c.settle(taskId)
      expect(done.result).toMatchObject({
        resultType: "complete",
        taskId,
        status: "completed",
        result: { content: [{ type: "text", text: "slept life as task" }] }
      })
      expect(done.result).not.toHaveProperty("error")
      // No v1 related-task metadata on the inlined result (the id is at the root).
      expect((done.result!.result as Record<string, unknown>)._meta).toBeUndefined()
      // Still there after it ended: the TTL is not up.
      expect((yield* c.get(taskId)).result).toMatchObject({ status: "completed" })
    }).pipe(Effect.provide(App)))

  it.scopedLive("a tool execution error is completed with isError; a protocol error is failed with the inlined error and no result (Task Execution Errors)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const toolError = yield* c.settle((yield* c.call("broken")).result!.taskId as string)
      expect(toolError.result).toMatchObject({ status: "completed", result: { isError: true, content: [{ type: "text", text: "the tool broke" }] } })
      const protocolError = yield* c.settle((yield* c.call("crashing")).result!.taskId as string)
      expect(protocolError.result).toMatchObject({ status: "failed", error: { code: -32050, message: "custom protocol failure" } })
      expect(protocolError.result).not.toHaveProperty("result")
    }).pipe(Effect.provide(App)))

  it.scopedLive("without the extension on the request: optional tools run synchronously, required ones are -32021 naming it, tasks/* are -32021; per-request opt-in works (Capability Negotiation)", () =>
    Effect.gen(function*() {
      const c = yield* client2026({ elicitation: {} })
      const sync = yield* c.call("sleepy", { millis: 0, tag: "sync" })
      expect(sync.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "slept sync inline" }] })
      expect(sync.result).not.toHaveProperty("taskId")
      const required = yield* c.call("must_task")
      expect(required.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { extensions: { [EXT]: {} } } } })
      for (const [m, params] of [["tasks/get", { taskId: "x" }], ["tasks/update", { taskId: "x", inputResponses: {} }], ["tasks/cancel", { taskId: "x" }]] as const) {
        expect((yield* c.send(m, params)).error?.code).toBe(-32021)
      }
      // The same connection, this request listing the extension: a task.
      const optIn = yield* c.call("sleepy", { millis: 0, tag: "opt-in" }, {}, withTasks)
      expect(optIn.result).toMatchObject({ resultType: "task" })
    }).pipe(Effect.provide(App)))

  it.scopedLive("tasks/result and tasks/list are -32601; an unknown taskId is -32602; a legacy task param never makes a sync tool a task (Removed Methods, Error Handling)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      expect((yield* c.send("tasks/result", { taskId: "x" })).error?.code).toBe(-32601)
      expect((yield* c.send("tasks/list", {})).error?.code).toBe(-32601)
      expect((yield* c.get("no-such-task")).error).toMatchObject({ code: -32602, message: expect.stringContaining("Task not found") })
      expect((yield* c.send("tasks/update", { taskId: "no-such-task", inputResponses: {} })).error?.code).toBe(-32602)
      expect((yield* c.send("tasks/cancel", { taskId: "no-such-task" })).error?.code).toBe(-32602)
      expect((yield* c.send("tasks/update", { taskId: "x", inputResponses: { k: 5 } })).error?.code).toBe(-32602)
      expect((yield* c.send("tasks/get", {})).error?.code).toBe(-32602)
      const legacy = yield* c.call("plain", {}, { task: { ttl: 60_000, pollInterval: 100 } })
      expect(legacy.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "plain" }] })
    }).pipe(Effect.provide(App)))

  it.scopedLive("a task waiting for input is input_required with inputRequests; tasks/update answers a subset, only still-pending keys remain, the handler ran once (Task Update Requests)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const before = log.filter((l) => l === "two_questions started partial").length
      const taskId = (yield* c.call("two_questions", { tag: "partial" })).result!.taskId as string
      const asking = yield* until(c.get(taskId), (r) => Object.keys((r.result?.inputRequests ?? {}) as object).length === 2, "two input requests")
      expect(asking.result).toMatchObject({
        status: "input_required",
        inputRequests: {
          name: { method: "elicitation/create", params: { message: "Name?", requestedSchema: { type: "object" } } },
          confirm: { method: "elicitation/create", params: { message: "Go?" } }
        }
      })
      expect(asking.result).not.toHaveProperty("requestState")
      const ack = yield* c.send("tasks/update", { taskId, inputResponses: { name: { action: "accept", content: { name: "Ada" } }, stranger: { x: 1 } } })
      expect(ack.result).toEqual({ resultType: "complete", _meta: expect.any(Object) })
      const partial = yield* c.get(taskId)
      expect(partial.result).toMatchObject({ status: "input_required" })
      expect(Object.keys(partial.result!.inputRequests as object)).toEqual(["confirm"])
      // Answering an answered key again is ignored.
      yield* c.send("tasks/update", { taskId, inputResponses: { name: { action: "accept", content: { name: "Eve" } } } })
      yield* c.send("tasks/update", { taskId, inputResponses: { confirm: { action: "accept", content: { confirm: true } } } })
      const done = yield* c.settle(taskId)
      expect(done.result).toMatchObject({ status: "completed", result: { content: [{ type: "text", text: "Ada go" }] } })
      // The work before the asks ran once: asks wait, they do not end the attempt.
      expect(log.filter((l) => l === "two_questions started partial").length).toBe(before + 1)
      // Updating an ended task is acknowledged and changes nothing.
      expect((yield* c.send("tasks/update", { taskId, inputResponses: { confirm: {} } })).result?.resultType).toBe("complete")
    }).pipe(Effect.provide(App)))

  it.scopedLive("an answer that does not decode fails the task with -32602; a capability the client lacks fails it with -32021 (Task Execution Errors)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const taskId = (yield* c.call("two_questions", { tag: "bad" })).result!.taskId as string
      yield* until(c.get(taskId), (r) => r.result?.status === "input_required", "input_required")
      yield* c.send("tasks/update", { taskId, inputResponses: { name: { action: "maybe" } } })
      const failed = yield* c.settle(taskId)
      expect(failed.result).toMatchObject({ status: "failed", error: { code: -32602 } })
      const noSampling = yield* client2026({ extensions: { [EXT]: {} } })
      const sampled = yield* noSampling.settle((yield* noSampling.call("samples")).result!.taskId as string)
      expect(sampled.result).toMatchObject({ status: "failed", error: { code: -32021, data: { requiredCapabilities: { sampling: {} } } } })
    }).pipe(Effect.provide(App)))

  it.scopedLive("tasks/cancel acknowledges with an empty result, the handler is interrupted and the task stays cancelled; cancelling an ended task is the same ack (Task Cancellation)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const taskId = (yield* c.call("sleepy", { millis: 60_000, tag: "cancel-2026" })).result!.taskId as string
      const ack = yield* c.send("tasks/cancel", { taskId })
      expect(Object.keys(ack.result!).sort()).toEqual(["_meta", "resultType"])
      expect(ack.result!.resultType).toBe("complete")
      expect((yield* c.settle(taskId)).result).toMatchObject({ status: "cancelled" })
      yield* until(Effect.succeed({}), () => log.includes("sleepy interrupted cancel-2026"), "the handler to be interrupted")
      const again = yield* c.send("tasks/cancel", { taskId })
      expect(again.result!.resultType).toBe("complete")
      expect((yield* c.get(taskId)).result).toMatchObject({ status: "cancelled" })
    }).pipe(Effect.provide(App)))

  it.scopedLive("a tool may gather input in multi round-trip rounds and then escalate: input_required without taskId, then a CreateTaskResult without requestState, the answer in the result (Task Creation)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const first = yield* c.call("escalating")
      expect(first.result).toMatchObject({ resultType: "input_required", inputRequests: { user_name: { method: "elicitation/create" } } })
      expect(first.result).not.toHaveProperty("taskId")
      const second = yield* c.call("escalating", {}, {
        inputResponses: { user_name: { action: "accept", content: { name: "Alice" } } },
        requestState: first.result!.requestState
      })
      expect(second.result).toMatchObject({ resultType: "task", status: "working" })
      expect(second.result).not.toHaveProperty("requestState")
      expect(second.result).not.toHaveProperty("inputRequests")
      const done = yield* c.settle(second.result!.taskId as string)
      expect(done.result).toMatchObject({ status: "completed", result: { content: [{ type: "text", text: "Hello Alice (task)" }] } })
      // Required without the extension: refused before the handler runs.
      const asked = log.filter((l) => l === "escalating asked").length
      expect((yield* c.call("escalating", {}, {}, { elicitation: {} })).error?.code).toBe(-32021)
      expect(log.filter((l) => l === "escalating asked").length).toBe(asked)
    }).pipe(Effect.provide(App)))

  it.scopedLive("with an owner binding, another requestor cannot see, update or cancel a task (Security Considerations: Auth binding)", () =>
    Effect.gen(function*() {
      const alice = yield* client2026(withTasks, "alice")
      const mallory = yield* client2026(withTasks, "mallory")
      const taskId = (yield* alice.call("sleepy", { millis: 60_000, tag: "owned" })).result!.taskId as string
      expect((yield* mallory.get(taskId)).error?.code).toBe(-32602)
      expect((yield* mallory.send("tasks/cancel", { taskId })).error?.code).toBe(-32602)
      expect((yield* alice.get(taskId)).result).toMatchObject({ status: "working" })
      yield* alice.send("tasks/cancel", { taskId })
    }).pipe(Effect.provide(server({ tasks: { ...settings, owner: Effect.map(RequestContext.RequestContext, (r) => r.session.clientInfo?.name) } }))))

  it.scopedLive("a task past its TTL is stopped and forgotten; more tasks than maxRunning are refused with -32603 (Resource Management)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const created = yield* c.call("sleepy", { millis: 60_000, tag: "expiring" })
      expect(created.result!.ttlMs).toBe(150)
      const taskId = created.result!.taskId as string
      const refused = yield* c.call("sleepy", { millis: 0, tag: "one too many" })
      expect(refused.error).toMatchObject({ code: -32603, message: expect.stringContaining("Too many tasks") })
      yield* until(Effect.succeed({}), () => log.includes("sleepy interrupted expiring"), "the expired task's handler to stop")
      expect((yield* c.get(taskId)).error?.code).toBe(-32602)
      // The slot is free again.
      expect((yield* c.call("sleepy", { millis: 0, tag: "after" })).result?.resultType).toBe("task")
    }).pipe(Effect.provide(server({ tasks: { ttlMs: 150, maxRunning: 1 } }))))

  it.scopedLive("task state lives in the TaskStore provided to the server (a store of one's own)", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      const taskId = (yield* c.call("sleepy", { millis: 0, tag: "stored" })).result!.taskId as string
      yield* c.settle(taskId)
      expect(calls.filter((call) => call === `create ${taskId}`)).toHaveLength(1)
      expect(calls).toContain(`get ${taskId}`)
      expect(calls.filter((call) => call.startsWith(`update ${taskId} completed`))).toHaveLength(1)
    }).pipe(Effect.provide(server().pipe(Layer.provide(recordingStore)))))

  it.scopedLive("a plain tool and an ordinary call never see a task", () =>
    Effect.gen(function*() {
      const c = yield* client2026()
      expect((yield* c.call("plain")).result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "plain" }] })
    }).pipe(Effect.provide(App)))
})

const calls: Array<string> = []
const recordingStore = Layer.sync(Task.TaskStore, () => {
  const memory = Task.makeMemory()
  return {
    create: (task) => Effect.zipRight(Effect.sync(() => calls.push(`create ${task.taskId}`)), memory.create(task)),
    get: (taskId, now) => Effect.zipRight(Effect.sync(() => calls.push(`get ${taskId}`)), memory.get(taskId, now)),
    update: (taskId, update, now) => Effect.zipRight(Effect.sync(() => calls.push(`update ${taskId} ${update.status}`)), memory.update(taskId, update, now)),
    list: (owner, page, now) => memory.list(owner, page, now)
  } satisfies Task.Store
})

// --- 2025-11-25 ---------------------------------------------------------------------------------

/** A 2025-11-25 session's client. */
const client2025 = (capabilities?: Record<string, unknown>, clientName?: string, sessionId?: string) =>
  Effect.gen(function*() {
    const raw = yield* open(sessionId)
    const init = yield* raw.initialize(capabilities, clientName)
    const call = (name: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
      raw.send("tools/call", { name, arguments: args, ...extra })
    const get = (taskId: string) => raw.send("tasks/get", { taskId })
    return { ...raw, init, call, get, settle: (taskId: string) => until(get(taskId), terminal, `task ${taskId} to end`) }
  })

describe("tasks (2025-11-25, spec basic/utilities/tasks)", () => {
  it.scopedLive("initialize declares tasks (cancel, requests.tools.call; list only with an owner binding); tools/list carries execution.taskSupport (Capabilities, Tool-Level Negotiation)", () =>
    Effect.gen(function*() {
      const c = yield* client2025()
      expectSpec("InitializeResult", c.init.result)
      expect((c.init.result!.capabilities as Record<string, unknown>).tasks).toEqual({ cancel: {}, requests: { tools: { call: {} } } })
      const listed: Array<{ name: string; execution?: unknown }> = []
      for (let cursor: unknown = undefined, first = true; first || cursor !== undefined; first = false) {
        const page = yield* c.send("tools/list", cursor === undefined ? {} : { cursor })
        listed.push(...(page.result!.tools as typeof listed))
        cursor = page.result!.nextCursor
      }
      const byName = Object.fromEntries(listed.map((t) => [t.name, t.execution]))
      expect(byName.sleepy).toEqual({ taskSupport: "optional" })
      expect(byName.must_task).toEqual({ taskSupport: "required" })
      expect(byName.plain).toBeUndefined()
      expect((yield* c.send("tasks/list", {})).error?.code).toBe(-32601)
    }).pipe(Effect.provide(App)))

  it.scopedLive("a task-augmented call answers CreateTaskResult at once; tasks/get polls it; tasks/result returns the CallToolResult with related-task metadata; status notifications go to the creator (Creating Tasks, Getting Tasks, Retrieving Task Results)", () =>
    Effect.gen(function*() {
      const c = yield* client2025()
      const created = yield* c.call("sleepy", { millis: 100, tag: "v1" }, { task: { ttl: 30_000 } })
      expectSpec("CreateTaskResult", created.result)
      const task = created.result!.task as Record<string, unknown>
      expect(task).toMatchObject({ status: "working", ttl: 30_000, pollInterval: 25 })
      const taskId = task.taskId as string
      const got = yield* c.get(taskId)
      expectSpec("GetTaskResult", got.result)
      expect(got.result).toMatchObject({ taskId, status: "working", statusMessage: "sleeping 100" })
      const result = yield* c.send("tasks/result", { taskId })
      expectSpec("CallToolResult", result.result)
      expect(result.result).toMatchObject({ content: [{ type: "text", text: "slept v1 as task" }], _meta: { [RELATED]: { taskId } } })
      const done = yield* c.get(taskId)
      expect(done.result).toMatchObject({ status: "completed" })
      const notes = Array.from(yield* Queue.takeAll(c.out)).filter((m) => m.method === "notifications/tasks/status")
      expect(notes.length).toBeGreaterThan(0)
      for (const note of notes) expectSpec("TaskStatusNotification", note)
      expect(notes.at(-1)!.params).toMatchObject({ taskId, status: "completed" })
    }).pipe(Effect.provide(App)))

  it.scopedLive("-32601 for a required tool called without task and for a tool without task support called with one; the ttl asked is clamped (Tool-Level Negotiation, Resource Management)", () =>
    Effect.gen(function*() {
      const c = yield* client2025()
      expect((yield* c.call("must_task")).error).toMatchObject({ code: -32601, message: expect.stringContaining("must be called as a task") })
      expect((yield* c.call("plain", {}, { task: {} })).error).toMatchObject({ code: -32601, message: expect.stringContaining("cannot be called as a task") })
      expect((yield* c.call("sleepy", { millis: 0, tag: "sync" })).result).toMatchObject({ content: [{ type: "text", text: "slept sync inline" }] })
      const long = yield* c.call("must_task", {}, { task: { ttl: 10_000_000 } })
      expect((long.result!.task as Record<string, unknown>).ttl).toBe(120_000)
      const defaulted = yield* c.call("must_task", {}, { task: {} })
      expect((defaulted.result!.task as Record<string, unknown>).ttl).toBe(60_000)
    }).pipe(Effect.provide(App)))

  it.scopedLive("isError makes the task failed and tasks/result returns the tool result; a protocol error is returned as the same JSON-RPC error (Task Execution Errors)", () =>
    Effect.gen(function*() {
      const c = yield* client2025()
      const brokenId = ((yield* c.call("broken", {}, { task: {} })).result!.task as Record<string, unknown>).taskId as string
      const brokenResult = yield* c.send("tasks/result", { taskId: brokenId })
      expect(brokenResult.result).toMatchObject({ isError: true, content: [{ type: "text", text: "the tool broke" }] })
      expect((yield* c.get(brokenId)).result).toMatchObject({ status: "failed", statusMessage: "Tool execution failed: the tool broke" })
      const crashId = ((yield* c.call("crashing", {}, { task: {} })).result!.task as Record<string, unknown>).taskId as string
      expect((yield* c.send("tasks/result", { taskId: crashId })).error).toEqual({ code: -32050, message: "custom protocol failure" })
      expect((yield* c.get(crashId)).result).toMatchObject({ status: "failed" })
      expect((yield* c.get("nope")).error?.code).toBe(-32602)
      expect((yield* c.send("tasks/result", { taskId: "nope" })).error?.code).toBe(-32602)
    }).pipe(Effect.provide(App)))

  it.scopedLive("tasks/cancel moves the task to cancelled before answering and stops the handler; a terminal task is -32602 (Task Cancellation)", () =>
    Effect.gen(function*() {
      const c = yield* client2025()
      const taskId = ((yield* c.call("sleepy", { millis: 60_000, tag: "cancel-2025" }, { task: {} })).result!.task as Record<string, unknown>).taskId as string
      const cancelled = yield* c.send("tasks/cancel", { taskId })
      expectSpec("CancelTaskResult", cancelled.result)
      expect(cancelled.result).toMatchObject({ taskId, status: "cancelled" })
      yield* until(Effect.succeed({}), () => log.includes("sleepy interrupted cancel-2025"), "the handler to be interrupted")
      expect((yield* c.get(taskId)).result).toMatchObject({ status: "cancelled" })
      expect((yield* c.send("tasks/cancel", { taskId })).error).toMatchObject({
        code: -32602,
        message: "Cannot cancel task: already in terminal status 'cancelled'"
      })
      expect((yield* c.send("tasks/result", { taskId })).error?.code).toBe(-32602)
    }).pipe(Effect.provide(App)))

  it.scopedLive("a task's questions make it input_required; tasks/result relays them as elicitation/create with related-task metadata, and the answers resume the handler (Task-Augmented Tool Call With Elicitation)", () =>
    Effect.gen(function*() {
      const c = yield* client2025()
      const taskId = ((yield* c.call("two_questions", { tag: "v1-input" }, { task: {} })).result!.task as Record<string, unknown>).taskId as string
      yield* until(c.get(taskId), (r) => r.result?.status === "input_required", "input_required")
      const result = yield* Effect.fork(c.send("tasks/result", { taskId }))
      const answers: Record<string, unknown> = { "Name?": { action: "accept", content: { name: "Grace" } }, "Go?": { action: "accept", content: { confirm: true } } }
      for (let answered = 0; answered < 2;) {
        const message = yield* Queue.take(c.out)
        if (message.method !== "elicitation/create") continue
        expectSpec("ElicitRequest", message)
        const params = message.params as { message: string; _meta: Record<string, unknown> }
        expect(params._meta[RELATED]).toEqual({ taskId })
        yield* c.connection.handle({ jsonrpc: "2.0", id: message.id as number, result: answers[params.message] })
        answered++
      }
      const reply = (yield* result) as Reply
      expect(reply.result).toMatchObject({ content: [{ type: "text", text: "Grace go" }], _meta: { [RELATED]: { taskId } } })
    }).pipe(Effect.provide(App)))

  it.scopedLive("tasks are bound to the session that made them; with an owner binding tasks/list pages through the requestor's own tasks only (Task Isolation, Task Listing)", () =>
    Effect.gen(function*() {
      const a = yield* client2025(undefined, "a", "session-a")
      const b = yield* client2025(undefined, "b", "session-b")
      const taskId = ((yield* a.call("must_task", {}, { task: {} })).result!.task as Record<string, unknown>).taskId as string
      expect((yield* b.get(taskId)).error?.code).toBe(-32602)
      expect((yield* a.get(taskId)).result).toMatchObject({ taskId })
      // An owner binding instead: the client's name.
      yield* Effect.provide(
        Effect.gen(function*() {
          const ann = yield* client2025(undefined, "ann")
          const bob = yield* client2025(undefined, "bob")
          expect((ann.init.result!.capabilities as { tasks: Record<string, unknown> }).tasks.list).toEqual({})
          const ids: Array<string> = []
          for (let i = 0; i < 3; i++) ids.push(((yield* ann.call("must_task", {}, { task: {} })).result!.task as Record<string, unknown>).taskId as string)
          yield* bob.call("must_task", {}, { task: {} })
          const first = yield* ann.send("tasks/list", {})
          expectSpec("ListTasksResult", first.result)
          expect((first.result!.tasks as Array<{ taskId: string }>).map((t) => t.taskId)).toEqual(ids.slice(0, 2))
          const second = yield* ann.send("tasks/list", { cursor: first.result!.nextCursor })
          expect((second.result!.tasks as Array<{ taskId: string }>).map((t) => t.taskId)).toEqual(ids.slice(2))
          expect(second.result!.nextCursor).toBeUndefined()
          expect((yield* ann.send("tasks/list", { cursor: "bogus" })).error?.code).toBe(-32602)
          expect((yield* bob.send("tasks/list", {})).result!.tasks).toHaveLength(1)
        }),
        server({ tasks: { ...settings, owner: Effect.map(RequestContext.RequestContext, (r) => r.session.clientInfo?.name) } })
      )
    }).pipe(Effect.provide(App)))
})
