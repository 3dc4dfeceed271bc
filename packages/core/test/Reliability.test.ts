/**
 * Issue 6, "Reliability: no request can crash or stall a server": whatever
 * a client puts in a request, the server answers it with exactly one
 * well-formed response of bounded size, on the transports' fast path
 * (`Connection.run`) and on `handle` alike, and nothing is thrown into the
 * transport.
 */
import { describe, expect, it } from "@effect/vitest"
import { JsonRpc, McpServer, Middleware, Prompt, Tool } from "@emcee/core"
import { Context, Effect, Exit, Layer, type Runtime, Schema, type Scope } from "effect"
import fc from "fast-check"

type Registrable = McpServer.Registrable<never>

interface Served {
  readonly conn: McpServer.Connection
  readonly runtime: Runtime.Runtime<never>
}

const initializeParams = { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } }

/** A server with `items` registered and one connection; initialized unless told otherwise. */
const serve = (items: ReadonlyArray<Registrable>, initialized = true): Effect.Effect<Served, never, Scope.Scope> =>
  Effect.gen(function*() {
    const layer = McpServer.register(...items).pipe(Layer.provideMerge(McpServer.layer({ name: "reliability", version: "1" })))
    const context = yield* Layer.build(layer)
    const server = Context.get(context, McpServer.McpServer)
    const conn = yield* server.connect({ send: () => Effect.void })
    const runtime = yield* Effect.runtime<never>()
    if (initialized) {
      yield* conn.handle({ jsonrpc: "2.0", id: "init", method: "initialize", params: initializeParams })
      yield* conn.handle({ jsonrpc: "2.0", method: "notifications/initialized" })
    }
    return { conn, runtime }
  })

/**
 * `Connection.run`, counting answers: the first is returned, and a moment
 * later there must still have been exactly one. A throw out of `run` (what a
 * transport would have got) fails the test.
 */
const viaRun = (served: Served, request: JsonRpc.Request): Effect.Effect<JsonRpc.Response> =>
  Effect.gen(function*() {
    let answers = 0
    const exit = yield* Effect.async<Exit.Exit<JsonRpc.Response>>((resume) => {
      served.conn.run(request, served.runtime, (exit) => {
        answers++
        if (answers === 1) resume(Effect.succeed(exit))
      })
    })
    yield* Effect.sleep("2 millis")
    expect(answers).toBe(1)
    if (!Exit.isSuccess(exit)) return yield* Effect.dieMessage(`no response: ${String(exit.cause)}`)
    return exit.value
  })

const viaHandle = (served: Served, request: JsonRpc.Request): Effect.Effect<JsonRpc.Response> =>
  Effect.flatMap(served.conn.handle(request), (response) =>
    response === undefined ? Effect.dieMessage("no response") : Effect.succeed(response))

const paths = { run: viaRun, handle: viaHandle } as const

/**
 * The response as it goes on the wire: it serializes, reads back as a
 * response to `id`, and is at most `bound` characters. Returns what the
 * client reads.
 */
const onTheWire = (response: JsonRpc.Response, id: JsonRpc.RequestId, bound = 4096) => {
  const text = JsonRpc.encode(response)
  expect(text).toBeDefined()
  expect(text!.length).toBeLessThan(bound)
  const classified = JsonRpc.classify(JSON.parse(text!))
  expect(classified._tag).toBe("Response")
  const read = (classified as { readonly message: JsonRpc.Response }).message
  expect(read.id).toBe(id)
  return read as JsonRpc.Response & { readonly result?: JsonRpc.JsonObject }
}

/** The text of an `isError` result. */
const errorText = (response: JsonRpc.Response): string => {
  expect("result" in response).toBe(true)
  const result = (response as JsonRpc.Success).result as { readonly isError?: boolean; readonly content: ReadonlyArray<{ readonly text: string }> }
  expect(result.isError).toBe(true)
  return result.content[0]!.text
}

const errorOf = (response: JsonRpc.Response): JsonRpc.ErrorObject => {
  expect("error" in response).toBe(true)
  return (response as JsonRpc.Failure).error
}

/** Nested `depth` levels: arrays, objects, or both in turn; built without recursion. */
const nested = (depth: number, kind: "array" | "object" | "mixed" = "array", leaf: unknown = 1): unknown => {
  let value = leaf
  for (let i = 0; i < depth; i++) value = kind === "array" || (kind === "mixed" && i % 2 === 1) ? [value] : { k: value }
  return value
}

/** A frame as a transport reads it: text, parsed and classified. */
const frame = (text: string): JsonRpc.Request => {
  const parsed = JsonRpc.parse(text)
  if (!parsed.ok) throw new Error("not JSON")
  const classified = JsonRpc.classify(parsed.value)
  if (classified._tag !== "Request") throw new Error(`not a request: ${classified._tag}`)
  return classified.message
}

const call = (id: JsonRpc.RequestId, name: string, args?: unknown): JsonRpc.Request => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: args === undefined ? { name } : { name, arguments: args }
})

let handled = 0

const echo = Tool.make("echo", {
  input: Schema.Struct({ message: Schema.String }),
  handler: ({ message }) => Effect.sync(() => (handled++, `${message.length} characters`))
})

const count = Tool.make("count", { input: Schema.Struct({ n: Schema.Number }), handler: ({ n }) => Effect.succeed(String(n)) })

const none = Tool.make("none", { handler: () => Effect.sync(() => (handled++, "no arguments")) })

const emptyStruct = Tool.make("empty", { input: Schema.Struct({}), handler: () => Effect.succeed("empty") })

interface Tree {
  readonly v: number
  readonly kids: ReadonlyArray<Tree>
}
const TreeSchema: Schema.Schema<Tree> = Schema.Struct({
  v: Schema.Number,
  kids: Schema.Array(Schema.suspend(() => TreeSchema))
}).annotations({ identifier: "Tree" })

const tree = Tool.make("tree", { input: Schema.Struct({ t: TreeSchema }), handler: () => Effect.succeed("a tree") })

/** A tree `depth` levels deep, its innermost `v` set to `leaf`. */
const treeOf = (depth: number, leaf: unknown = 0): unknown => {
  let t: unknown = { v: leaf, kids: [] }
  for (let i = 0; i < depth; i++) t = { v: i, kids: [t] }
  return t
}

const thrower = Tool.make("thrower", {
  handler: (): Effect.Effect<string> => {
    throw new Error("thrown while building the effect")
  }
})

const passthrough = Middleware.make("passthrough", (_request, next) => next)

const guarded = Tool.make("guarded", {
  input: Schema.Struct({ message: Schema.String }),
  middleware: [passthrough],
  handler: ({ message }) => Effect.succeed(`${message.length} characters`)
})

const tools: ReadonlyArray<Registrable> = [echo, count, none, emptyStruct, tree, thrower, guarded]

describe("Reliability (issue 6): no request can crash or stall a server", () => {
  it.scopedLive("arguments nested 3,000 and 100,000 levels deep get one bounded isError result on Connection.run and handle (server/tools Error Handling: input validation errors)", () =>
    Effect.gen(function*() {
      const served = yield* serve(tools)
      let id = 0
      for (const depth of [3_000, 100_000]) {
        for (const path of ["run", "handle"] as const) {
          // As the bytes arrive: JSON.parse copes with the depth; the error message used not to.
          const text = `{"jsonrpc":"2.0","id":${++id},"method":"tools/call","params":{"name":"echo","arguments":{"message":${"[".repeat(depth)}${"]".repeat(depth)}}}}`
          const response = onTheWire(yield* paths[path](served, frame(text)), id, 1024)
          expect(errorText(response)).toBe("Invalid arguments for tool echo: message: Expected string, actual [[[[…]]]]")
          for (const kind of ["object", "mixed"] as const) {
            const deep = onTheWire(yield* paths[path](served, call(++id, "echo", { message: nested(depth, kind) })), id, 1024)
            expect(errorText(deep)).toMatch(/^Invalid arguments for tool echo: message: Expected string, actual [[{]/)
          }
        }
      }
    }))

  it.scopedLive("a recursive input schema that overflows the stack decoding deep input answers isError \"nested too deeply\", never a crash", () =>
    Effect.gen(function*() {
      const served = yield* serve(tools)
      for (const path of ["run", "handle"] as const) {
        const deep = onTheWire(yield* paths[path](served, call(path, "tree", { t: treeOf(100_000) })), path, 1024)
        expect(errorText(deep)).toBe("Invalid arguments for tool tree: the arguments are nested too deeply")
        // Within the stack, the issue is found however deep, and its path is shortened.
        const bad = onTheWire(yield* paths[path](served, call(1, "tree", { t: treeOf(500, "x") })), 1, 1024)
        expect(errorText(bad)).toMatch(/^Invalid arguments for tool tree: t\.kids\.0\.kids\.…\(\d+ more\)\.0\.kids\.0\.v: Expected number, actual "x"$/)
        const good = onTheWire(yield* paths[path](served, call(2, "tree", { t: treeOf(100) })), 2)
        expect(good.result).toEqual({ content: [{ type: "text", text: "a tree" }] })
      }
    }))

  it.scopedLive("a 1.3 MB bad value, key or tool name gets an error of bounded size, not an echo of the value", () =>
    Effect.gen(function*() {
      const served = yield* serve(tools)
      const huge = "x".repeat(1_300_000)
      for (const path of ["run", "handle"] as const) {
        const value = onTheWire(yield* paths[path](served, call(1, "count", { n: huge })), 1, 1024)
        expect(errorText(value)).toBe(`Invalid arguments for tool count: n: Expected number, actual "${"x".repeat(98)}…`)
        const key = onTheWire(yield* paths[path](served, call(2, "count", { n: 1, [huge]: 1 })), 2, 1024)
        expect(errorText(key)).toMatch(/^Invalid arguments for tool count: x{59}…: is unexpected/)
        const name = onTheWire(yield* paths[path](served, call(3, huge, {})), 3, 1024)
        expect(errorOf(name)).toEqual({ code: -32602, message: `Unknown tool: ${"x".repeat(99)}…` })
        // 100,000 wrong keys: the first few, then a count.
        const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))
        const keys = onTheWire(yield* paths[path](served, call(4, "count", { n: 1, ...many })), 4, 2048)
        expect(errorText(keys)).toMatch(/^Invalid arguments for tool count: k0: is unexpected.*; … and 99990 more issues$/)
        const method = onTheWire(yield* paths[path](served, { jsonrpc: "2.0", id: 5, method: huge }), 5, 1024)
        expect(errorOf(method)).toEqual({ code: -32601, message: `Method not found: ${"x".repeat(99)}…` })
      }
    }))

  it.scopedLive("a handler that throws instead of returning an Effect is answered -32603 on both paths, nothing thrown into the transport", () =>
    Effect.gen(function*() {
      const served = yield* serve(tools)
      for (const path of ["run", "handle"] as const) {
        const response = onTheWire(yield* paths[path](served, call(path, "thrower")), path)
        expect(errorOf(response)).toEqual({ code: -32603, message: "Internal error" })
      }
      expect(served.conn.inFlight()).toBe(0)
    }))

  it.scopedLive("arguments that are not a JSON object are refused with -32602 on every path, with and without middleware (schema.json CallToolRequestParams.arguments: object; server/tools Error Handling: malformed requests are protocol errors)", () =>
    Effect.gen(function*() {
      const plain = yield* serve(tools)
      const withGlobal = yield* serve([...tools, passthrough])
      const before = handled
      let id = 0
      for (const served of [plain, withGlobal]) {
        for (const path of ["run", "handle"] as const) {
          for (const name of ["echo", "none", "guarded", "tree"]) {
            for (const args of ["a string", 5, [1], [], true, false, null]) {
              const response = onTheWire(yield* paths[path](served, call(++id, name, args)), id)
              expect(errorOf(response)).toEqual({
                code: -32602,
                message: `Invalid tools/call params: arguments: Expected JsonObject, actual ${JSON.stringify(args)}`
              })
            }
          }
          // Absent arguments are no arguments.
          const absent = onTheWire(yield* paths[path](served, call(++id, "none")), id)
          expect(absent.result).toEqual({ content: [{ type: "text", text: "no arguments" }] })
        }
      }
      // The handlers of the refused calls never ran (only the 4 `none` calls without arguments did).
      expect(handled - before).toBe(4)
    }))

  it.scopedLive("a tool without parameters refuses keys with an isError result, as its inputSchema (additionalProperties: false) says (server/tools Error Handling; Tool with no parameters)", () =>
    Effect.gen(function*() {
      const served = yield* serve(tools)
      const list = yield* served.conn.handle({ jsonrpc: "2.0", id: "list", method: "tools/list" })
      const definitions = (list as JsonRpc.Success).result.tools as ReadonlyArray<{ readonly name: string; readonly inputSchema: unknown }>
      for (const name of ["none", "empty"]) {
        expect(definitions.find((t) => t.name === name)?.inputSchema).toEqual({ type: "object", additionalProperties: false })
        for (const path of ["run", "handle"] as const) {
          const extra = onTheWire(yield* paths[path](served, call(1, name, { x: 1, y: 2 })), 1)
          expect(errorText(extra)).toBe(
            `Invalid arguments for tool ${name}: x: is unexpected: this tool takes no arguments; y: is unexpected: this tool takes no arguments`
          )
          const empty = onTheWire(yield* paths[path](served, call(2, name, {})), 2)
          expect(empty.result?.isError).toBeUndefined()
        }
      }
      // Called directly, the tool refuses too.
      const direct = yield* Effect.either(none.call("a string") as Effect.Effect<unknown, unknown>)
      expect(direct).toMatchObject({ _tag: "Left", left: { _tag: "InvalidParams" } })
    }))

  it.scopedLive("prompts/get, completion/complete and initialize with deep or 1.3 MB bad params answer a bounded -32602", () =>
    Effect.gen(function*() {
      const prompt = Prompt.make({
        name: "review",
        args: Schema.Struct({ code: Schema.String }),
        complete: { code: () => Effect.succeed(["a"]) },
        render: ({ code }) => Effect.succeed([Prompt.user(code)])
      })
      const served = yield* serve([prompt])
      const deep = nested(100_000, "mixed")
      // A string is a valid value here: wrapped in an array, a 1.3 MB one is not.
      const huge = ["x".repeat(1_300_000)]
      for (const bad of [deep, huge]) {
        for (const path of ["run", "handle"] as const) {
          const get = onTheWire(yield* paths[path](served, { jsonrpc: "2.0", id: 1, method: "prompts/get", params: { name: "review", arguments: { code: bad } } }), 1, 1024)
          expect(errorOf(get)).toMatchObject({ code: -32602, message: expect.stringMatching(/^Invalid prompts\/get params: arguments\.code: Expected string, actual /) })
          const complete = onTheWire(
            yield* paths[path](served, {
              jsonrpc: "2.0",
              id: 2,
              method: "completion/complete",
              params: { ref: { type: "ref/prompt", name: "review" }, argument: { name: "code", value: bad } }
            }),
            2,
            1024
          )
          expect(errorOf(complete)).toMatchObject({ code: -32602, message: expect.stringMatching(/^Invalid completion\/complete params: /) })
        }
        const fresh = yield* serve([], false)
        const init = onTheWire(
          yield* viaHandle(fresh, { jsonrpc: "2.0", id: 3, method: "initialize", params: { ...initializeParams, clientInfo: bad } }),
          3,
          2048
        )
        expect(errorOf(init)).toMatchObject({ code: -32602, message: expect.stringMatching(/^Invalid initialize params: /) })
      }
    }))

  it.scopedLive("any JSON arguments get exactly one well-formed response of bounded size, on both paths (property, 1,000 runs)", () =>
    Effect.gen(function*() {
      const plain = yield* serve(tools)
      const withGlobal = yield* serve([...tools, passthrough])
      const deep = fc.record({
        depth: fc.integer({ min: 0, max: 4_000 }),
        kind: fc.constantFrom("array" as const, "object" as const, "mixed" as const),
        leaf: fc.jsonValue({ maxDepth: 1 })
      }).map(({ depth, kind, leaf }) => nested(depth, kind, leaf))
      const value = fc.oneof(
        fc.jsonValue({ maxDepth: 4 }),
        deep,
        fc.integer({ min: 0, max: 200_000 }).map((n) => "y".repeat(n))
      )
      const trees = fc.record({ depth: fc.integer({ min: 0, max: 5_000 }), leaf: fc.jsonValue({ maxDepth: 2 }) })
        .map(({ depth, leaf }) => ({ t: treeOf(depth, leaf) }))
      const args = fc.oneof(
        value,
        fc.record({ message: value }),
        fc.record({ n: value }),
        fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 6 }),
        trees,
        fc.constant(undefined)
      )
      const name = fc.constantFrom("echo", "count", "none", "empty", "tree", "guarded")
      const isObject = (u: unknown) => typeof u === "object" && u !== null && !Array.isArray(u)
      let id = 0
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(name, args, fc.boolean(), fc.constantFrom("run" as const, "handle" as const), (tool, a, global, path) =>
            Effect.runPromise(Effect.gen(function*() {
              const requestId = ++id
              const response = onTheWire(yield* paths[path](global ? withGlobal : plain, call(requestId, tool, a)), requestId)
              if (a !== undefined && !isObject(a)) {
                expect(errorOf(response).code).toBe(-32602)
              } else {
                expect(response.result).toBeDefined()
              }
            }))),
          { numRuns: 1_000 }
        )
      )
    }), 120_000)
})
