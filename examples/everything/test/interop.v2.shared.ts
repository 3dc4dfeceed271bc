/**
 * Shared part of the interop tests with the official SDK v2 client
 * (`@modelcontextprotocol/client`): the client set-up for each revision
 * (`versionNegotiation: { pin: "2026-07-28" }`, or the default legacy mode,
 * which speaks 2025-11-25), a recorder of every message on the wire, and the
 * scenarios both transports run: list, call, elicitation and sampling (input
 * requests answered by the same client handlers: `input_required` rounds under
 * 2026-07-28, server-to-client requests under 2025-11-25), subscriptions,
 * progress and cancellation.
 *
 * The example server is the built `dist/main.js` (`support/built.ts`): the
 * stdio file spawns three processes (the pinned client probes
 * `server/discover` on a disposable sibling process first).
 */
import * as SpecValidator from "@emcee/testing/SpecValidator"
import {
  Client,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type JSONRPCMessage,
  type Progress,
  type Transport
} from "@modelcontextprotocol/client"
import { expect, it } from "vitest"

/** The two revisions the client is driven in. */
export type Revision = "2026-07-28" | "2025-11-25"

/** Both revisions, pinned 2026-07-28 first. */
export const revisions: ReadonlyArray<Revision> = ["2026-07-28", "2025-11-25"]

export { assertBuilt, mainPath, repoRoot } from "./support/built.js"

const SERVER_INFO = "io.modelcontextprotocol/serverInfo"
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
const WATCHED = "test://watched-resource"
const STATS = "test://long-running/stats"

type Json = Record<string, unknown>

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** A message's `params` (or `result`) as a plain record. */
const field = (message: unknown, key: string): Json => {
  const value = isRecord(message) ? message[key] : undefined
  return isRecord(value) ? value : {}
}

/** The `io.modelcontextprotocol/subscriptionId` a message carries in `params._meta`, if any. */
export const subscriptionIdOf = (m: JSONRPCMessage): unknown => field(field(m, "params"), "_meta")[SUBSCRIPTION_ID]

/** The JSON-RPC id of a message, if it has one. */
export const idOf = (m: JSONRPCMessage): unknown => ("id" in m ? m.id : undefined)

/** The method of a request or notification. */
export const methodOf = (m: JSONRPCMessage): string | undefined => ("method" in m ? m.method : undefined)

const isResponse = (m: JSONRPCMessage): boolean => "id" in m && !("method" in m)
const isRequest = (m: JSONRPCMessage): boolean => "id" in m && "method" in m
const isNotification = (m: JSONRPCMessage): boolean => !("id" in m) && "method" in m

/** What the client saw and did: its handlers' calls and every message in both directions, in wire order. */
export interface Observed {
  readonly elicitations: Array<ElicitRequest["params"]>
  readonly samplings: Array<CreateMessageRequest["params"]>
  readonly toolListChanges: Array<Json>
  readonly resourceUpdates: Array<Json>
  readonly errors: Array<Error>
  /** Every message the transport delivered to the client. */
  readonly inbound: Array<JSONRPCMessage>
  /** Every message the client handed to the transport. */
  readonly outbound: Array<JSONRPCMessage>
}

/** A connected client of one revision and what it observed. */
export interface Connection {
  readonly revision: Revision
  readonly client: Client
  readonly observed: Observed
}

/** The form the user "fills in" for each elicitation message the example sends. */
const answers: { readonly [message: string]: ElicitResult } = {
  "What is your name?": { action: "accept", content: { name: "Ada" } },
  "Step 1: What is your name?": { action: "accept", content: { name: "Ada" } },
  "Step 2: What is your favorite color?": { action: "accept", content: { color: "blue" } },
  "What context should the prompt use?": { action: "accept", content: { context: "interop" } },
  "Please provide your information": { action: "accept", content: { username: "testuser", email: "test@example.com" } },
  "Decline please": { action: "decline" }
}

/** The "model": a fixed answer to the example's question, an echo otherwise. */
const complete = (params: CreateMessageRequest["params"]): CreateMessageResult => {
  const last = params.messages[params.messages.length - 1]
  const content = last === undefined ? undefined : Array.isArray(last.content) ? last.content[0] : last.content
  const text = content !== undefined && content.type === "text" ? content.text : ""
  return {
    model: "interop-model",
    role: "assistant",
    stopReason: "endTurn",
    content: { type: "text", text: text === "What is the capital of France?" ? "Paris" : `echo: ${text}` }
  }
}

/**
 * A v2 client for `revision` with elicitation (form) and sampling handlers.
 * 2026-07-28 is pinned (`versionNegotiation: { pin }`: `server/discover`, no
 * `initialize`, no fallback); 2025-11-25 is the client's default legacy mode
 * (the `initialize` handshake).
 */
export const makeClient = (revision: Revision): { readonly client: Client; readonly observed: Observed } => {
  const observed: Observed = { elicitations: [], samplings: [], toolListChanges: [], resourceUpdates: [], errors: [], inbound: [], outbound: [] }
  const client = new Client(
    { name: "emcee-interop-v2", version: "1.0.0" },
    {
      capabilities: { elicitation: { form: {} }, sampling: {} },
      ...(revision === "2026-07-28" ? { versionNegotiation: { mode: { pin: revision } } } : {})
    }
  )
  client.onerror = (error) => {
    observed.errors.push(error)
  }
  client.setRequestHandler("elicitation/create", (request) => {
    observed.elicitations.push(request.params)
    const message = request.params.message
    return Promise.resolve(answers[message] ?? { action: "cancel" })
  })
  client.setRequestHandler("sampling/createMessage", (request) => {
    observed.samplings.push(request.params)
    return Promise.resolve(complete(request.params))
  })
  client.setNotificationHandler("notifications/tools/list_changed", (n) => {
    observed.toolListChanges.push(field(n, "params"))
  })
  client.setNotificationHandler("notifications/resources/updated", (n) => {
    observed.resourceUpdates.push(field(n, "params"))
  })
  return { client, observed }
}

/**
 * Connects `client` over `transport`, recording every message in both
 * directions. Sends are recorded from the start (so the handshake is seen);
 * deliveries from when the client has connected (`connect` installs its own
 * `onmessage`).
 */
export const connect = async (
  revision: Revision,
  made: { readonly client: Client; readonly observed: Observed },
  transport: Transport
): Promise<Connection> => {
  const send = transport.send.bind(transport)
  transport.send = (message, options) => {
    made.observed.outbound.push(message)
    return send(message, options)
  }
  await made.client.connect(transport)
  const deliver = transport.onmessage
  transport.onmessage = (message, extra) => {
    made.observed.inbound.push(message)
    deliver?.(message, extra)
  }
  return { revision, ...made }
}

/** Polls `check` until it holds. */
export const waitFor = async (check: () => boolean | Promise<boolean>, what: string, millis = 5_000): Promise<void> => {
  const deadline = Date.now() + millis
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Resolves after `millis`. */
export const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** The text blocks of a tool result, joined. */
export const textOf = (result: unknown): string => {
  const content = isRecord(result) && Array.isArray(result.content) ? (result.content as ReadonlyArray<unknown>) : []
  return content.filter((c) => isRecord(c) && c.type === "text").map((c) => String((c as Json).text)).join("\n")
}

/** The method of the client request `id` (from the recorded outbound messages). */
const methodOfRequest = (observed: Observed, id: unknown): string | undefined => {
  const request = observed.outbound.find((m) => isRequest(m) && idOf(m) === id)
  return request === undefined ? undefined : methodOf(request)
}

/** The 2025-11-25 result definition of each method the tests call. */
const resultDefinitions20251125: { readonly [method: string]: string } = {
  "initialize": "InitializeResult",
  "tools/list": "ListToolsResult",
  "tools/call": "CallToolResult",
  "prompts/list": "ListPromptsResult",
  "prompts/get": "GetPromptResult",
  "resources/list": "ListResourcesResult",
  "resources/templates/list": "ListResourceTemplatesResult",
  "resources/read": "ReadResourceResult",
  "resources/subscribe": "EmptyResult",
  "resources/unsubscribe": "EmptyResult",
  "ping": "EmptyResult"
}

const validators = {
  "2026-07-28": SpecValidator.fromFile(SpecValidator.schemaPath("2026-07-28")),
  "2025-11-25": SpecValidator.fromFile(SpecValidator.schemaPath("2025-11-25"))
}

/** Every schema problem of the messages the server sent (empty when all are valid), named by message. */
const schemaProblems = (revision: Revision, observed: Observed): Array<string> => {
  const spec = validators[revision]
  const problems: Array<string> = []
  const check = (definition: string | undefined, value: unknown, what: string) => {
    if (definition === undefined) return problems.push(`${what}: no definition to check it against`)
    const outcome = spec.validate(definition, value)
    if (!outcome.valid) problems.push(`${what} is not a valid ${definition}: ${outcome.errors}`)
  }
  for (const message of observed.inbound) {
    const id = idOf(message)
    if (isNotification(message)) check("ServerNotification", message, `notification ${methodOf(message)}`)
    else if (isRequest(message)) {
      // spec 2026-07-28 basic/patterns/mrtr: no server-to-client requests; input requests travel in results.
      if (revision === "2026-07-28") problems.push(`server-to-client request ${methodOf(message)} under 2026-07-28`)
      else check("ServerRequest", message, `request ${methodOf(message)}`)
    } else if ("error" in message) problems.push(`error response to ${String(id)}: ${JSON.stringify(message.error)}`)
    else {
      const method = methodOfRequest(observed, id) ?? "?"
      if (revision === "2026-07-28") check(SpecValidator.resultResponseDefinitions20260728[method], message, `response to ${method}`)
      else check(resultDefinitions20251125[method], field(message, "result"), `result of ${method}`)
    }
  }
  return problems
}

/** How a transport signals cancellation of one request under a revision. */
export type CancelSignal = "notifications/cancelled" | "stream closed"

/**
 * The scenarios every transport runs for `revision`. `get` returns the
 * connection made in the caller's `beforeAll`; `cancelSignal` is how this
 * transport cancels a request under this revision.
 */
export const interopScenarios = (revision: Revision, get: () => Connection, cancelSignal: CancelSignal): void => {
  const modern = revision === "2026-07-28"

  it(
    modern
      ? "connects with server/discover and no initialize (spec 2026-07-28 server/discover, basic/versioning)"
      : "connects with initialize / notifications/initialized (spec 2025-11-25 basic/lifecycle Initialization)",
    () => {
      const { client, observed } = get()
      expect(client.getNegotiatedProtocolVersion()).toBe(revision)
      expect(client.getProtocolEra()).toBe(modern ? "modern" : "legacy")
      expect(client.getServerVersion()).toMatchObject({ name: "emcee-everything", version: "0.1.0", title: "emcee Everything" })
      expect(client.getInstructions()).toMatch(/test server/)
      expect(client.getServerCapabilities()).toMatchObject({
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true }
      })
      const sent = observed.outbound.map(methodOf)
      if (modern) {
        expect(client.getDiscoverResult()?.supportedVersions).toContain("2026-07-28")
        expect(sent).not.toContain("initialize")
      } else {
        expect(sent.slice(0, 2)).toEqual(["initialize", "notifications/initialized"])
      }
    }
  )

  it("lists tools, prompts, resources and templates (server/tools Listing Tools, server/prompts, server/resources)", async () => {
    const { client } = get()
    const tools = (await client.listTools()).tools
    const names = tools.map((t) => t.name)
    expect(names).toEqual(expect.arrayContaining([
      "test_simple_text",
      "test_tool_with_progress",
      "test_sampling",
      "test_elicitation",
      "test_long_running",
      "test_update_watched_resource",
      "test_structured_output",
      "test_input_required_result_elicitation",
      "test_input_required_result_sampling",
      "test_input_required_result_multi_round",
      "test_trigger_tool_change",
      "echo"
    ]))
    expect(tools.find((t) => t.name === "echo")?.inputSchema).toMatchObject({
      type: "object",
      properties: { message: { type: "string", description: "The text to echo" } },
      required: ["message"]
    })
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name)
    expect(prompts).toEqual(expect.arrayContaining(["test_simple_prompt", "test_prompt_with_arguments", "test_input_required_result_prompt"]))
    const resources = (await client.listResources()).resources.map((r) => r.uri)
    expect(resources).toEqual(expect.arrayContaining(["test://static-text", "test://static-binary", WATCHED, STATS]))
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)
    expect(templates).toContain("test://template/{id}/data")
  })

  it("calls tools, reads a resource and gets a prompt (server/tools Calling Tools, server/resources Reading Resources)", async () => {
    const { client } = get()
    const simple = await client.callTool({ name: "test_simple_text" })
    expect(simple.content).toEqual([{ type: "text", text: "This is a simple text response for testing." }])
    const structured = await client.callTool({ name: "test_structured_output", arguments: { a: 2, b: 3 } })
    expect(structured.structuredContent).toEqual({ sum: 5 })
    const failing = await client.callTool({ name: "test_error_handling" })
    expect(failing.isError).toBe(true)
    expect(textOf(failing)).toMatch(/intentionally returns an error/)
    const read = await client.readResource({ uri: "test://static-text" })
    expect(read.contents).toEqual([{ uri: "test://static-text", mimeType: "text/plain", text: "This is the content of the static text resource." }])
    const prompt = await client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "a", arg2: "b" } })
    expect(prompt.messages).toEqual([{ role: "user", content: { type: "text", text: "Prompt with arguments: arg1='a', arg2='b'" } }])
    if (modern) {
      // spec 2026-07-28 server/discover, schema ResultMetaObject: results name the server in _meta.
      expect(simple._meta?.[SERVER_INFO]).toMatchObject({ name: "emcee-everything", version: "0.1.0" })
    }
  })

  /** Where the recorded messages stood before a call, to look at what that call exchanged. */
  const mark = (observed: Observed) => ({ inbound: observed.inbound.length, outbound: observed.outbound.length })

  /** Checks how the input requests of the calls since `from` travelled: in results (2026-07-28) or as requests (2025-11-25). */
  const expectInputRequests = (observed: Observed, from: ReturnType<typeof mark>, method: string, rounds: number) => {
    const received = observed.inbound.slice(from.inbound)
    if (modern) {
      // spec 2026-07-28 basic/patterns/mrtr: no server-to-client request, an input_required result per round.
      expect(received.filter(isRequest)).toEqual([])
      const asks = received.filter((m) => isResponse(m) && field(m, "result").resultType === "input_required")
      expect(asks).toHaveLength(rounds)
      for (const ask of asks) {
        const requests = Object.values(field(field(ask, "result"), "inputRequests"))
        expect(requests.map((r) => (isRecord(r) ? r.method : undefined))).toEqual([method])
      }
      // Each retry carries the answers and echoes the server's requestState byte for byte (Client Requirements).
      const retries = observed.outbound.slice(from.outbound).filter((m) => isRequest(m) && "inputResponses" in field(m, "params"))
      expect(retries).toHaveLength(rounds)
      asks.forEach((ask, i) => {
        expect(field(retries[i], "params").requestState).toBe(field(ask, "result").requestState)
      })
    } else {
      // spec 2025-11-25 client/elicitation, client/sampling: requests on the session.
      expect(received.filter(isRequest).map(methodOf)).toEqual(Array.from({ length: rounds }, () => method))
      expect(received.filter((m) => isResponse(m) && field(m, "result").resultType !== undefined)).toEqual([])
    }
  }

  it(
    modern
      ? "elicitation: an input_required round answered by the client's elicitation/create handler (spec 2026-07-28 basic/patterns/mrtr Basic Workflow)"
      : "elicitation: elicitation/create sent to the client during the call (spec 2025-11-25 client/elicitation Form Mode)",
    async () => {
      const { client, observed } = get()
      observed.elicitations.length = 0
      const from = mark(observed)
      const result = await client.callTool({ name: "test_input_required_result_elicitation" })
      expect(result.content).toEqual([{ type: "text", text: "Hello, Ada!" }])
      expect(observed.elicitations).toEqual([{
        mode: "form",
        message: "What is your name?",
        requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] }
      }])
      expectInputRequests(observed, from, "elicitation/create", 1)
      const declined = await client.callTool({ name: "test_elicitation", arguments: { message: "Decline please" } })
      expect(textOf(declined)).toBe("User response: action=decline, content={}")
      const accepted = await client.callTool({ name: "test_elicitation", arguments: { message: "Please provide your information" } })
      expect(textOf(accepted)).toBe("User response: action=accept, content={\"username\":\"testuser\",\"email\":\"test@example.com\"}")
    }
  )

  it(
    modern
      ? "sampling: an input_required round answered by the client's sampling/createMessage handler (spec 2026-07-28 basic/patterns/mrtr, client/sampling)"
      : "sampling: sampling/createMessage sent to the client during the call (spec 2025-11-25 client/sampling Creating Messages)",
    async () => {
      const { client, observed } = get()
      observed.samplings.length = 0
      const from = mark(observed)
      const result = await client.callTool({ name: "test_input_required_result_sampling" })
      expect(result.content).toEqual([{ type: "text", text: "The model answered: Paris" }])
      expect(observed.samplings).toEqual([{
        messages: [{ role: "user", content: { type: "text", text: "What is the capital of France?" } }],
        maxTokens: 100
      }])
      expectInputRequests(observed, from, "sampling/createMessage", 1)
      const echoed = await client.callTool({ name: "test_sampling", arguments: { prompt: "hello there" } })
      expect(textOf(echoed)).toBe("LLM response: echo: hello there")
    }
  )

  it(
    modern
      ? "two questions take two rounds, each retry echoing requestState; prompts/get takes rounds too (spec 2026-07-28 basic/patterns/mrtr Supported Requests)"
      : "two questions are two elicitation/create requests; prompts/get can elicit too (spec 2025-11-25 client/elicitation)",
    async () => {
      const { client, observed } = get()
      observed.elicitations.length = 0
      const from = mark(observed)
      const result = await client.callTool({ name: "test_input_required_result_multi_round" })
      expect(result.content).toEqual([{ type: "text", text: "Ada likes blue" }])
      expect(observed.elicitations.map((e) => e.message)).toEqual(["Step 1: What is your name?", "Step 2: What is your favorite color?"])
      expectInputRequests(observed, from, "elicitation/create", 2)
      const prompt = await client.getPrompt({ name: "test_input_required_result_prompt" })
      expect(prompt.messages).toEqual([{ role: "user", content: { type: "text", text: "Answer using this context: interop" } }])
    }
  )

  if (modern) {
    it(
      "subscriptions/listen: acknowledged first, then tools list_changed and resources/updated carrying the subscription id (spec 2026-07-28 basic/patterns/subscriptions)",
      async () => {
        const { client, observed } = get()
        const from = mark(observed)
        const changesBefore = observed.toolListChanges.length
        const updatesBefore = observed.resourceUpdates.length
        const filter = { toolsListChanged: true, resourceSubscriptions: [WATCHED] }
        const subscription = await client.listen(filter)
        expect(subscription.honoredFilter).toEqual(filter)
        const listens = observed.outbound.slice(from.outbound).filter((m) => methodOf(m) === "subscriptions/listen")
        expect(listens).toHaveLength(1)
        const subscriptionId = idOf(listens[0]!)
        const onSubscription = () =>
          observed.inbound.slice(from.inbound).filter((m) => subscriptionIdOf(m) === subscriptionId)
        // Acknowledgment: the first message carrying the subscription's id.
        expect(onSubscription().map(methodOf)[0]).toBe("notifications/subscriptions/acknowledged")

        const toggled = textOf(await client.callTool({ name: "test_trigger_tool_change" }))
        expect(toggled).toMatch(/^(Added|Removed) test_triggered_tool$/)
        await waitFor(() => observed.toolListChanges.length > changesBefore, "notifications/tools/list_changed on the listen stream")
        expect(observed.toolListChanges[changesBefore]?._meta).toEqual({ [SUBSCRIPTION_ID]: subscriptionId })
        const names = (await client.listTools()).tools.map((t) => t.name)
        expect(names.includes("test_triggered_tool")).toBe(toggled.startsWith("Added"))

        await client.callTool({ name: "test_update_watched_resource", arguments: { content: `changed over ${revision}` } })
        await waitFor(() => observed.resourceUpdates.length > updatesBefore, "notifications/resources/updated on the listen stream")
        expect(observed.resourceUpdates[updatesBefore]).toEqual({ uri: WATCHED, _meta: { [SUBSCRIPTION_ID]: subscriptionId } })
        const read = await client.readResource({ uri: WATCHED }, { cacheMode: "bypass" })
        expect(read.contents).toEqual([{ uri: WATCHED, mimeType: "text/plain", text: `changed over ${revision}` }])

        // Cancellation: once closed, the stream carries nothing more, not even a change made by the very next request.
        await subscription.close()
        expect(await subscription.closed).toBe("local")
        const closedAt = observed.inbound.length
        await client.callTool({ name: "test_trigger_tool_change" })
        await sleep(300)
        expect(onSubscription().filter((m) => observed.inbound.indexOf(m) >= closedAt)).toEqual([])
      }
    )
  } else {
    it(
      "resources/subscribe and session notifications: resources/updated and tools list_changed (spec 2025-11-25 server/resources Subscriptions, server/tools List Changed Notification)",
      async () => {
        const { client, observed } = get()
        const changesBefore = observed.toolListChanges.length
        const updatesBefore = observed.resourceUpdates.length
        await client.subscribeResource({ uri: WATCHED })
        await client.callTool({ name: "test_update_watched_resource", arguments: { content: `changed over ${revision}` } })
        await waitFor(() => observed.resourceUpdates.length > updatesBefore, "notifications/resources/updated")
        expect(observed.resourceUpdates[updatesBefore]).toEqual({ uri: WATCHED })
        const read = await client.readResource({ uri: WATCHED })
        expect(read.contents).toEqual([{ uri: WATCHED, mimeType: "text/plain", text: `changed over ${revision}` }])

        const toggled = textOf(await client.callTool({ name: "test_trigger_tool_change" }))
        expect(toggled).toMatch(/^(Added|Removed) test_triggered_tool$/)
        await waitFor(() => observed.toolListChanges.length > changesBefore, "notifications/tools/list_changed")
        const names = (await client.listTools()).tools.map((t) => t.name)
        expect(names.includes("test_triggered_tool")).toBe(toggled.startsWith("Added"))
        await client.unsubscribeResource({ uri: WATCHED })
      }
    )
  }

  it("progress: notifications/progress with the request's token precede its result (spec basic/utilities/progress)", async () => {
    const { client, observed } = get()
    const seen: Array<Progress> = []
    const result = await client.callTool({ name: "test_tool_with_progress" }, { onprogress: (p) => seen.push(p) })
    // The tool answers with the progress token it was given.
    const token = Number(textOf(result))
    expect(Number.isInteger(token)).toBe(true)
    const exchange = observed.inbound.filter((m) =>
      (isResponse(m) && idOf(m) === token) ||
      (methodOf(m) === "notifications/progress" && field(m, "params").progressToken === token)
    )
    expect(exchange.map((m) => methodOf(m) ?? "response")).toEqual(["notifications/progress", "notifications/progress", "notifications/progress", "response"])
    const onWire = exchange.slice(0, 3).map((m) => {
      const { progressToken: _token, ...rest } = field(m, "params")
      return rest
    })
    expect(onWire).toEqual([0, 50, 100].map((step) => ({ progress: step, total: 100, message: `Completed step ${step} of 100` })))
    // The SDK dispatches notifications a microtask later than responses, so the last one can reach
    // `onprogress` after the call settled (it then reports "unknown token"): the wire order above is
    // what the server controls; the callback sees a prefix of it.
    expect(seen.length).toBeGreaterThanOrEqual(2)
    expect(seen).toEqual(onWire.slice(0, seen.length))
  })

  it(
    cancelSignal === "stream closed"
      ? "cancellation: aborting a call closes its SSE stream, which interrupts the tool (spec 2026-07-28 basic/patterns/cancellation Transport-Specific Cancellation)"
      : `cancellation: aborting a call sends notifications/cancelled, which interrupts the tool (spec ${revision} ${modern ? "basic/transports/stdio Cancellation" : "basic/utilities/cancellation"})`,
    async () => {
      const { client, observed } = get()
      const stats = async () => {
        const read = await client.readResource({ uri: STATS }, { cacheMode: "bypass" })
        const first = read.contents[0]
        return JSON.parse(first !== undefined && "text" in first ? first.text : "{}") as { started: number; completed: number; cancelled: number }
      }
      const before = await stats()
      const sentBefore = observed.outbound.length
      const controller = new AbortController()
      const call = client.callTool({ name: "test_long_running", arguments: { steps: 100, stepMillis: 50 } }, {
        signal: controller.signal,
        onprogress: (p) => {
          if (p.progress >= 1) controller.abort("enough")
        }
      })
      await expect(call).rejects.toThrow(/enough/)
      await waitFor(async () => (await stats()).cancelled === before.cancelled + 1, "the long-running tool to observe cancellation")
      expect(await stats()).toEqual({ started: before.started + 1, completed: before.completed, cancelled: before.cancelled + 1 })
      const request = observed.outbound.slice(sentBefore).find((m) => methodOf(m) === "tools/call")!
      const cancels = observed.outbound.slice(sentBefore).filter((m) => methodOf(m) === "notifications/cancelled")
      if (cancelSignal === "stream closed") expect(cancels).toEqual([])
      else expect(cancels.map((m) => field(m, "params").requestId)).toEqual([idOf(request)])
      // The server sends no response for the cancelled request (basic/utilities/cancellation Behavior Requirements).
      expect(observed.inbound.filter((m) => isResponse(m) && idOf(m) === idOf(request))).toEqual([])
      expect(textOf(await client.callTool({ name: "echo", arguments: { message: "still here" } }))).toBe("Echo: still here")
    }
  )

  it(`every message the server sent is valid per the ${revision} schema.json`, () => {
    const { observed } = get()
    expect(observed.inbound.length).toBeGreaterThan(20)
    expect(schemaProblems(revision, observed)).toEqual([])
    if (modern) {
      // spec 2026-07-28 schema Result.resultType, ResultMetaObject: every result says what it is and who sent it.
      for (const response of observed.inbound.filter(isResponse)) {
        const result = field(response, "result")
        expect(["complete", "input_required"]).toContain(result.resultType)
        expect(field(result, "_meta")[SERVER_INFO]).toMatchObject({ name: "emcee-everything" })
      }
    }
  })

  it("the client reported no errors", () => {
    // Only the SDK's own late-progress race (see the progress test) is expected here.
    const unexpected = get().observed.errors.filter((e) => !/progress notification for an unknown token/.test(e.message))
    expect(unexpected.map((e) => e.message)).toEqual([])
  })
}
