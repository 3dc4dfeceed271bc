/**
 * Tasks and input requests through the gateway, in front of the everything
 * example (over Streamable HTTP: the hop; over stdio: `McpClient`; and a
 * backend spoken to in 2025-11-25), seen by a real `McpClient` of either
 * revision: a task from creation to result and its cancellation (spec
 * 2025-11-25 basic/utilities/tasks, the 2026-07-28 io.modelcontextprotocol/tasks
 * extension), a backend's input requests inside a task, and several input
 * requests of one `input_required` round passed on as one round (spec
 * 2026-07-28 basic/patterns/mrtr). An HTTP recorder in front of the HTTP
 * backend shows what the gateway sent it.
 */
import { type JsonRpc, McpClient, type McpSchema, McpServer, Task } from "@emcee/core"
import { HttpClientTransport, MemoryTransport } from "@emcee/transport"
import { Effect, Layer, Ref, Schedule, type Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Gateway from "../src/Gateway.js"
import { built, everythingMain, type HttpBackend, startEverythingHttp } from "./support/backends.js"
import { forwarder } from "./support/forwarder.js"

type JsonObject = JsonRpc.JsonObject

const serverOptions = {
  name: "gateway",
  version: "1.0.0",
  capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true } }
} as unknown as McpServer.Options

const gatewayApp = (options: Gateway.Options) => Gateway.layer(options).pipe(Layer.provideMerge(McpServer.layer(serverOptions)))

const run = <A, E>(app: Layer.Layer<Gateway.Gateway | McpServer.McpServer>, effect: Effect.Effect<A, E, Gateway.Gateway | McpServer.McpServer | Scope.Scope>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      yield* Gateway.awaitSettled()
      return yield* effect
    }).pipe(Effect.scoped, Effect.provide(app)) as Effect.Effect<A>
  )

/** The tasks extension in a request's client capabilities (spec 2026-07-28 tasks "Capability Negotiation"). */
const tasksExtension = { extensions: { [Task.EXTENSION]: {} } } as McpSchema.ClientCapabilities

const connect = (protocolVersion: "2025-11-25" | "2026-07-28", handlers: McpClient.Handlers = {}, capabilities?: McpSchema.ClientCapabilities) =>
  Effect.gen(function*() {
    const transport = yield* MemoryTransport.make()
    return yield* McpClient.make({
      transport,
      clientInfo: { name: "tasks-test", version: "1.0.0" },
      protocolVersion,
      handlers,
      ...(capabilities === undefined ? {} : { capabilities })
    })
  })

/** A request whose result is returned as it came (a `CreateTaskResult`, an `input_required` round). */
const raw = (client: McpClient.McpClient, method: string, params: JsonObject) => client.request(method, params, { returnInputRequired: true })

/** `tasks/get` until the task's status is one of `statuses` (at most 20 s). */
const until = (client: McpClient.McpClient, taskId: string, statuses: ReadonlyArray<string>) => {
  const poll: Effect.Effect<JsonObject, McpClient.McpClientError> = Effect.flatMap(
    raw(client, "tasks/get", { taskId }),
    (task) => statuses.includes(String(task.status)) ? Effect.succeed(task) : Effect.zipRight(Effect.sleep("50 millis"), Effect.suspend(() => poll))
  )
  return poll.pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(`task ${taskId} never reached ${statuses.join(" or ")}`) }))
}

const terminal = ["completed", "failed", "cancelled"]

const textOf = (result: unknown): string =>
  ((result as { readonly content?: ReadonlyArray<{ readonly text?: string }> }).content ?? []).map((block) => block.text ?? "").join("")

/** The requests an HTTP backend got, recorded by a forwarder in front of it. */
interface Recorder {
  readonly url: string
  readonly seen: Array<{ readonly method: string; readonly params: Record<string, unknown> }>
  readonly close: () => Promise<void>
}

/** A forwarder to `target` that records each JSON-RPC request body. */
const record = async (target: string): Promise<Recorder> => {
  const seen: Recorder["seen"] = []
  const forwarding = await forwarder(target, {
    onRequest: (body) => {
      try {
        const message = JSON.parse(body.toString("utf8")) as { readonly method?: unknown; readonly params?: Record<string, unknown> }
        if (typeof message.method === "string") seen.push({ method: message.method, params: message.params ?? {} })
      } catch {
        // Not JSON: forwarded as it is.
      }
    }
  })
  return { ...forwarding, seen }
}

describe.runIf(built)("Tasks and input requests through the gateway", { timeout: 120_000 }, () => {
  let backend: HttpBackend
  let recorder: Recorder
  beforeAll(async () => {
    backend = await startEverythingHttp()
    recorder = await record(backend.url)
  })
  afterAll(async () => {
    await recorder?.close()
    await backend?.kill()
  })

  /** The HTTP backend behind the recorder (the hop), names unprefixed; with `local`, the same example over stdio too. */
  const app = (local = false) =>
    gatewayApp({
      backends: [
        { name: "remote", endpoint: { _tag: "Http", url: recorder.url }, prefix: "" },
        ...(local ? [{ name: "local", endpoint: { _tag: "Stdio" as const, command: process.execPath, args: [everythingMain] } }] : [])
      ]
    })

  /** The ids of the backend's tasks the gateway followed with tasks/get. */
  const upstreamTaskIds = () => [...new Set(recorder.seen.filter((r) => r.method === "tasks/get").map((r) => String(r.params.taskId)))]

  /** Until the gateway followed a task of the backend's: its id. */
  const followed = Effect.sync(upstreamTaskIds).pipe(
    Effect.repeat({ until: (ids) => ids.length > 0, schedule: Schedule.spaced("20 millis") }),
    Effect.zipRight(Effect.sync(() => upstreamTaskIds()[0]!))
  )

  /** Until the backend got `tasks/cancel` for its task `taskId` (the gateway sends it as the handler stops, after its answer). */
  const cancelledUpstream = (taskId: string) =>
    Effect.sync(() => recorder.seen.some((r) => r.method === "tasks/cancel" && r.params.taskId === taskId)).pipe(
      Effect.repeat({ until: (sent) => sent, schedule: Schedule.spaced("20 millis") }),
      Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`the backend never got tasks/cancel for ${taskId}`) })
    )

  for (const [via, prefix] of [["HTTP hop", ""], ["stdio", "local_"]] as const) {
    it(`2026-07-28: a task from creation to result, the backend's task followed, ${via} (spec 2026-07-28 tasks "Task Creation", "Task Polling")`, async () => {
      const seen = await run(app(true), Effect.gen(function*() {
        const client = yield* connect("2026-07-28", {}, tasksExtension)
        const tools = yield* client.listAllTools()
        const created = yield* raw(client, "tools/call", { name: `${prefix}slow_compute`, arguments: { seconds: 1, label: "gw" } })
        const done = yield* until(client, String(created.taskId), terminal)
        // Without the extension the same tool is a plain call (spec 2026-07-28 tasks "Capability Negotiation").
        const plain = yield* client.request("tools/call", { name: `${prefix}slow_compute`, arguments: { seconds: 0 } }, { clientCapabilities: {} })
        return { tools, created, done, plain }
      }))
      expect(seen.tools.find((tool) => tool.name === `${prefix}slow_compute`)?.execution).toEqual({ taskSupport: "optional" })
      // spec 2026-07-28 tasks "Task Creation": a flat CreateTaskResult.
      expect(seen.created).toMatchObject({ resultType: "task", status: "working" })
      expect(typeof seen.created.taskId).toBe("string")
      expect(seen.created.task).toBeUndefined()
      expect(seen.done).toMatchObject({ taskId: seen.created.taskId, status: "completed" })
      expect(textOf(seen.done.result)).toBe("Computed gw in 1s")
      expect(seen.plain.resultType).toBe("complete")
      expect(textOf(seen.plain)).toBe("Computed result in 0s")
      if (via === "HTTP hop") {
        // The gateway's task id is its own; it followed the backend's with tasks/get.
        expect(upstreamTaskIds().length).toBeGreaterThan(0)
        expect(upstreamTaskIds()).not.toContain(seen.created.taskId)
      }
    })
  }

  it("a backend with instances: a task and its follow-ups, and a relayed round and its retry, stay on the instance that made them (round-robin alone would send them to the other)", async () => {
    const stdio = { _tag: "Stdio" as const, command: process.execPath, args: [everythingMain] }
    const seen = await run(
      gatewayApp({ backends: [{ name: "pair", endpoint: stdio, instances: [{ id: "a", endpoint: stdio }, { id: "b", endpoint: stdio }] }] }),
      Effect.gen(function*() {
        const client = yield* connect("2026-07-28", {}, { ...tasksExtension, elicitation: {}, sampling: {}, roots: {} })
        const tasks = yield* Effect.forEach(["one", "two"], (label) =>
          Effect.gen(function*() {
            const created = yield* raw(client, "tools/call", { name: "pair_slow_compute", arguments: { seconds: 1, label } })
            return yield* until(client, String(created.taskId), terminal)
          }))
        // spec 2026-07-28 basic/patterns/mrtr: a round passed on, its retry sent to the instance that asked (its
        // requestState is that instance's), twice so that round-robin alone would send one retry elsewhere.
        const name = "pair_test_input_required_result_multiple_inputs"
        const inputResponses = {
          user_name: { action: "accept", content: { name: "Ada" } },
          greeting: { role: "assistant", model: "test", content: { type: "text", text: "Hi" } },
          client_roots: { roots: [] }
        }
        const rounds = yield* Effect.forEach([1, 2], () =>
          Effect.gen(function*() {
            const round = yield* raw(client, "tools/call", { name, arguments: {} })
            return yield* raw(client, "tools/call", { name, arguments: {}, inputResponses, requestState: round.requestState })
          }))
        return { tasks, rounds }
      })
    )
    expect(seen.tasks.map((task) => [task.status, textOf(task.result)])).toEqual([["completed", "Computed one in 1s"], ["completed", "Computed two in 1s"]])
    expect(seen.rounds.map(textOf)).toEqual(["Hi Ada (0 roots)", "Hi Ada (0 roots)"])
  })

  it("2025-11-25: a task-augmented call from creation to tasks/result, the backend a 2026-07-28 one (spec 2025-11-25 basic/utilities/tasks)", async () => {
    const seen = await run(app(), Effect.gen(function*() {
      const client = yield* connect("2025-11-25")
      const created = yield* raw(client, "tools/call", { name: "slow_compute", arguments: { seconds: 1, label: "legacy" }, task: { ttl: 60_000 } })
      const task = created.task as JsonObject
      const result = yield* raw(client, "tasks/result", { taskId: String(task.taskId) })
      const after = yield* raw(client, "tasks/get", { taskId: String(task.taskId) })
      // A tool that must run as a task is refused without the task param ("Tool-Level Negotiation": -32601).
      const refused = yield* Effect.flip(raw(client, "tools/call", { name: "failing_job", arguments: {} }))
      return { task, result, after, refused }
    }))
    expect(seen.task).toMatchObject({ status: "working", ttl: 60_000 })
    expect(textOf(seen.result)).toBe("Computed legacy in 1s")
    expect(seen.after).toMatchObject({ taskId: seen.task.taskId, status: "completed" })
    expect(seen.refused.code).toBe(-32601)
  })

  it("2026-07-28: cancelling the gateway's task cancels the backend's (spec 2026-07-28 tasks \"Task Cancellation\")", async () => {
    recorder.seen.length = 0
    const seen = await run(app(), Effect.gen(function*() {
      const client = yield* connect("2026-07-28", {}, tasksExtension)
      const created = yield* raw(client, "tools/call", { name: "slow_compute", arguments: { seconds: 60, label: "cancel" } })
      const taskId = String(created.taskId)
      const upstreamId = yield* followed
      const ack = yield* raw(client, "tasks/cancel", { taskId })
      const after = yield* until(client, taskId, terminal)
      yield* cancelledUpstream(upstreamId)
      return { ack, after, upstreamId }
    }))
    expect(seen.ack).toEqual({ resultType: "complete", _meta: expect.anything() })
    expect(seen.after.status).toBe("cancelled")
    // The backend's own task is cancelled, read from the backend directly.
    const upstream = await Effect.runPromise(Effect.gen(function*() {
      const transport = yield* HttpClientTransport.make({ url: backend.url })
      const client = yield* McpClient.make({ transport, clientInfo: { name: "tasks-test", version: "1.0.0" }, protocolVersion: "2026-07-28", capabilities: tasksExtension })
      return yield* until(client, seen.upstreamId, terminal)
    }).pipe(Effect.scoped))
    expect(upstream.status).toBe("cancelled")
  })

  it("2026-07-28: the gateway closing with a task in flight cancels the backend's task (spec 2026-07-28 tasks \"Task Cancellation\")", async () => {
    recorder.seen.length = 0
    const taskId = await run(app(), Effect.gen(function*() {
      const client = yield* connect("2026-07-28", {}, tasksExtension)
      yield* raw(client, "tools/call", { name: "slow_compute", arguments: { seconds: 30, label: "closing" } })
      return yield* followed
    }))
    // `run` closed the gateway (and its server) on return.
    await Effect.runPromise(cancelledUpstream(taskId))
  })

  it("2025-11-25: tasks/cancel of the gateway's task cancels the backend's (spec 2025-11-25 basic/utilities/tasks \"Task Cancellation\")", async () => {
    recorder.seen.length = 0
    const seen = await run(app(), Effect.gen(function*() {
      const client = yield* connect("2025-11-25")
      const created = yield* raw(client, "tools/call", { name: "slow_compute", arguments: { seconds: 60 }, task: {} })
      const taskId = String((created.task as JsonObject).taskId)
      const upstreamId = yield* followed
      const cancelled = yield* raw(client, "tasks/cancel", { taskId })
      const after = yield* raw(client, "tasks/get", { taskId })
      yield* cancelledUpstream(upstreamId)
      return { cancelled, after }
    }))
    // spec 2025-11-25 "Task Cancellation" 2: the task is cancelled before the response, and stays so.
    expect(seen.cancelled).toMatchObject({ status: "cancelled" })
    expect(seen.after).toMatchObject({ status: "cancelled" })
  })

  it("2026-07-28: several input requests of one round reach the caller as one round, its retry reaches the backend with the backend's requestState (spec 2026-07-28 basic/patterns/mrtr)", async () => {
    recorder.seen.length = 0
    const seen = await run(app(), Effect.gen(function*() {
      const client = yield* connect("2026-07-28", {}, { elicitation: {}, sampling: {}, roots: {} })
      const name = "test_input_required_result_multiple_inputs"
      const round = yield* raw(client, "tools/call", { name, arguments: {} })
      const inputResponses = {
        user_name: { action: "accept", content: { name: "Ada" } },
        greeting: { role: "assistant", model: "test", content: { type: "text", text: "Good day" } },
        client_roots: { roots: [{ uri: "file:///tmp", name: "tmp" }] }
      }
      const done = yield* raw(client, "tools/call", { name, arguments: {}, inputResponses, requestState: round.requestState })
      return { round, done }
    }))
    expect(seen.round.resultType).toBe("input_required")
    const requests = seen.round.inputRequests as Record<string, { readonly method: string }>
    expect(Object.fromEntries(Object.entries(requests).map(([key, request]) => [key, request.method]))).toEqual({
      user_name: "elicitation/create",
      greeting: "sampling/createMessage",
      client_roots: "roots/list"
    })
    expect(textOf(seen.done)).toBe("Good day Ada (1 roots)")
    // Upstream: the first attempt, then one retry with all three answers and the backend's own requestState (not the gateway's).
    const calls = recorder.seen.filter((r) => r.method === "tools/call")
    expect(calls).toHaveLength(2)
    expect(Object.keys(calls[1]!.params.inputResponses as object).sort()).toEqual(["client_roots", "greeting", "user_name"])
    expect(typeof calls[1]!.params.requestState).toBe("string")
    expect(calls[1]!.params.requestState).not.toBe(seen.round.requestState)
  })

  it("2025-11-25: the backend's input requests of one round are asked of the caller, each once, and the backend's round retried (translation between revisions)", async () => {
    const seen = await run(app(), Effect.gen(function*() {
      const asked = yield* Ref.make<ReadonlyArray<string>>([])
      const note = (what: string) => Ref.update(asked, (all) => [...all, what])
      const client = yield* connect("2025-11-25", {
        elicitation: () => Effect.as(note("elicitation"), { action: "accept", content: { name: "Grace" } } as McpSchema.ElicitResult),
        sampling: () =>
          Effect.as(note("sampling"), { role: "assistant", model: "test", content: { type: "text", text: "Hello" } } as McpSchema.CreateMessageResult),
        roots: () => Effect.as(note("roots"), { roots: [] })
      })
      const result = yield* client.callTool("test_input_required_result_multiple_inputs", {})
      return { result, asked: yield* Ref.get(asked) }
    }))
    expect(textOf(seen.result)).toBe("Hello Grace (0 roots)")
    expect([...seen.asked].sort()).toEqual(["elicitation", "roots", "sampling"])
  })

  it("2026-07-28: a backend task's input request is the gateway task's, answered with tasks/update (spec 2026-07-28 tasks \"Task Update Requests\")", async () => {
    const seen = await run(app(), Effect.gen(function*() {
      const client = yield* connect("2026-07-28", {}, { elicitation: {}, ...tasksExtension })
      const created = yield* raw(client, "tools/call", { name: "confirm_delete", arguments: { filename: "a.txt" } })
      const taskId = String(created.taskId)
      const waiting = yield* until(client, taskId, ["input_required", ...terminal])
      const keys = Object.keys((waiting.inputRequests ?? {}) as object)
      const ack = yield* raw(client, "tasks/update", { taskId, inputResponses: { [keys[0]!]: { action: "accept", content: { confirm: true } } } })
      const done = yield* until(client, taskId, terminal)
      return { created, waiting, ack, done }
    }))
    expect(seen.created.resultType).toBe("task")
    expect(seen.waiting.status).toBe("input_required")
    expect(seen.waiting.inputRequests).toEqual({ confirm: { method: "elicitation/create", params: expect.objectContaining({ message: "Delete a.txt?" }) } })
    expect(seen.ack.resultType).toBe("complete")
    expect(seen.done.status).toBe("completed")
    expect(textOf(seen.done.result)).toBe("Deleted a.txt")
  })

  it("2025-11-25: a backend task's input request reaches the caller through tasks/result (spec 2025-11-25 \"Task-Augmented Tool Call With Elicitation\")", async () => {
    const seen = await run(app(), Effect.gen(function*() {
      const client = yield* connect("2025-11-25", {
        elicitation: (params) => Effect.succeed({ action: "accept", content: { confirm: params.message === "Delete b.txt?" } } as McpSchema.ElicitResult)
      })
      const created = yield* raw(client, "tools/call", { name: "confirm_delete", arguments: { filename: "b.txt" }, task: {} })
      return yield* raw(client, "tasks/result", { taskId: String((created.task as JsonObject).taskId) })
    }))
    expect(textOf(seen)).toBe("Deleted b.txt")
  })

  it("2026-07-28: input rounds before the backend's task, then the task (spec 2026-07-28 tasks \"Task Creation\": MRTR resolved first)", async () => {
    const seen = await run(app(), Effect.gen(function*() {
      const client = yield* connect("2026-07-28", {}, { elicitation: {}, ...tasksExtension })
      const round = yield* raw(client, "tools/call", { name: "test_tool_with_task", arguments: {} })
      const created = yield* raw(client, "tools/call", {
        name: "test_tool_with_task",
        arguments: {},
        inputResponses: { user_name: { action: "accept", content: { name: "Alice" } } },
        requestState: round.requestState
      })
      const done = yield* until(client, String(created.taskId), terminal)
      return { round, created, done }
    }))
    expect(seen.round).toMatchObject({ resultType: "input_required", inputRequests: { user_name: { method: "elicitation/create" } } })
    expect(seen.round.taskId).toBeUndefined()
    expect(seen.created.resultType).toBe("task")
    expect(seen.created.requestState).toBeUndefined()
    expect(textOf(seen.done.result)).toBe("Hello, Alice!")
  })

  it("a 2025-11-25 backend's tool that must run as a task: a task upstream (task param, tasks/result), the gateway's task for a 2026-07-28 caller", async () => {
    const seen = await run(
      gatewayApp({
        backends: [{ name: "old", endpoint: { _tag: "Stdio", command: process.execPath, args: [everythingMain] }, protocolVersion: "2025-11-25", prefix: "" }]
      }),
      Effect.gen(function*() {
        const client = yield* connect("2026-07-28", {}, tasksExtension)
        const created = yield* raw(client, "tools/call", { name: "failing_job", arguments: {} })
        const done = yield* until(client, String(created.taskId), terminal)
        const refused = yield* Effect.flip(client.request("tools/call", { name: "failing_job", arguments: {} }, { clientCapabilities: {} }))
        return { created, done, refused }
      })
    )
    expect(seen.created.resultType).toBe("task")
    // spec 2026-07-28 tasks "Task Execution Errors": a tool execution error is a completed task with isError.
    expect(seen.done.status).toBe("completed")
    expect(seen.done.result).toMatchObject({ isError: true })
    expect(textOf(seen.done.result)).toContain("The job failed")
    // Without the extension: -32021 naming it (spec 2026-07-28 tasks "Capability Negotiation").
    expect(seen.refused.code).toBe(-32021)
  })
})
