/**
 * Hostile input over stdio (spec 2025-11-25 basic/transports "stdio": one
 * JSON-RPC message per line) to the everything example, one long-lived
 * process. The guarantees: the process stays up; every line on stdout is a
 * complete JSON message; every request with a readable id gets exactly one
 * response carrying it; error texts stay under 4 KB even for 1 MB inputs.
 */
import fc from "fast-check"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  callText,
  checkDeep,
  checkUnsafeIdResponse,
  deepArguments,
  deepCase,
  ERROR_TEXT_BOUND,
  echoText,
  errorTextLength,
  isToolError,
  mutate,
  mutation,
  readId,
  resultText,
  unsafeIds
} from "../support/hostile.js"
import { leftovers, type Proc, sleep, startEverythingStdio, stopAll } from "../support/processes.js"
import { StdioClient } from "../support/stdio.js"

const MB = 1024 * 1024

describe("hostile input over stdio", () => {
  let proc: Proc
  let client: StdioClient
  /** Ids a mutation made up (they may collide with ids used elsewhere): not checked for duplicates. */
  const madeUpIds = new Set<string>()

  const start = async () => {
    proc = startEverythingStdio()
    client = new StdioClient(proc)
    madeUpIds.clear()
    await client.initialize()
  }

  /** Sends a line and waits for the one response with `id` (a little longer, to see duplicates). */
  const answerTo = async (line: string | Buffer, id: unknown, millis = 30_000) => {
    client.write(line)
    await client.until(() => client.responsesTo(id).length > 0, `a response with id ${JSON.stringify(id)}`, millis)
    return client.responsesTo(id)[0]!
  }

  beforeAll(start)

  beforeEach(async () => {
    // A server that crashed in an earlier test (reported there) is replaced, so each test reports its own defects.
    if (!proc.alive()) await start()
  })

  afterEach(async () => {
    expect(proc.alive(), `the server exited: ${proc.stderr().slice(-2000)}`).toBe(true)
    await client.echo("still serving")
    // Nothing but complete JSON messages on stdout, and never two responses to one id.
    expect(client.lines.filter((l) => l.message === undefined).map((l) => l.raw.slice(0, 200))).toEqual([])
    const duplicates = [...client.responses.entries()].filter(([id, list]) => id !== "null" && !madeUpIds.has(id) && list.length > 1).map(([id]) => id)
    expect(duplicates).toEqual([])
  })

  afterAll(async () => {
    await stopAll()
    expect(leftovers()).toEqual([])
  })

  it("The HTTP and stdio property suites include deeply nested arguments to a tool with an input schema, at 1,000 runs (server/tools \"Error Handling\")", async () => {
    await fc.assert(
      fc.asyncProperty(deepCase, async (c) => {
        const id = client.id()
        const response = await answerTo(callText(id, "echo", deepArguments(c)), id, 20_000)
        const problem = checkDeep(c, response)
        if (problem !== undefined) throw new Error(`${c.shape} x${c.depth} in ${c.placement}: ${problem}`)
      }),
      { numRuns: 1_000, seed: 6, endOnFailure: true }
    )
  })

  it("a 1 MB message string is echoed whole", async () => {
    const message = "y".repeat(MB)
    const id = client.id()
    expect(resultText(await answerTo(echoText(id, message), id))).toBe(`Echo: ${message}`)
  })

  it("1 MB of bad input gets an error whose text stays under 4 KB (server/tools \"Error Handling\")", async () => {
    const pad = "p".repeat(MB)
    const cases: ReadonlyArray<{ readonly what: string; readonly body: (id: number) => string; readonly expect: "toolError" | number }> = [
      { what: "a 1 MB array as message", body: (id) => callText(id, "echo", `{"message":[${"1,".repeat(MB / 2)}1]}`), expect: "toolError" },
      { what: "a wrong-typed message next to 1 MB of padding", body: (id) => callText(id, "echo", `{"message":1,"pad":"${pad}"}`), expect: "toolError" },
      { what: "a 1 MB string as arguments", body: (id) => callText(id, "echo", JSON.stringify(pad)), expect: -32602 },
      { what: "a 1 MB tool name", body: (id) => callText(id, pad, "{}"), expect: -32602 },
      { what: "a 1 MB method name", body: (id) => JSON.stringify({ jsonrpc: "2.0", id, method: pad }), expect: -32601 }
    ]
    for (const c of cases) {
      const id = client.id()
      const response = await answerTo(c.body(id), id)
      expect(errorTextLength(response), `${c.what}: ${JSON.stringify(response).slice(0, 200)}`).toBeLessThan(ERROR_TEXT_BOUND)
      if (c.expect === "toolError") expect(isToolError(response), `${c.what}: ${JSON.stringify(response).slice(0, 300)}`).toBe(true)
      else expect(response.error?.code, `${c.what}: ${JSON.stringify(response).slice(0, 300)}`).toBe(c.expect)
    }
    // 1 MB of JSON cut off in the middle: a parse error with id null, also bounded.
    const before = client.responsesTo(null).length
    client.write(echoText(client.id(), pad).slice(0, MB / 2))
    await client.until(() => client.responsesTo(null).length > before, "the parse error")
    const error = client.responsesTo(null)[before]!
    expect(error.error?.code).toBe(-32700)
    expect(errorTextLength(error)).toBeLessThan(ERROR_TEXT_BOUND)
  })

  it("arguments that are not an object (string, array, number, boolean) get JSON-RPC error -32602 (CallToolRequest: arguments is an object)", async () => {
    for (const args of ["\"a string\"", "[\"an\",\"array\"]", "42", "true"]) {
      const id = client.id()
      const response = await answerTo(callText(id, "echo", args), id)
      expect(response.error?.code, `arguments ${args}: ${JSON.stringify(response)}`).toBe(-32602)
    }
  })

  it("request ids above 2^53 get error -32600 without an id (they cannot be read exactly); 2^53-1 is served with its id", async () => {
    for (const id of unsafeIds) {
      const before = client.lines.length
      client.write(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"message":"m"}}}`)
      // A ping after it: once its answer is in, the hostile line was answered too (stdio answers cheap requests in order).
      const ping = client.id()
      await answerTo(JSON.stringify({ jsonrpc: "2.0", id: ping, method: "ping" }), ping)
      await sleep(50)
      const answers = client.lines.slice(before).map((l) => l.message!).filter((m) => m.id !== ping)
      expect(answers, `id ${id}`).toHaveLength(1)
      expect(checkUnsafeIdResponse(answers[0]!), `id ${id}`).toBeUndefined()
    }
    const safe = Number.MAX_SAFE_INTEGER
    expect(resultText(await answerTo(echoText(safe, "safe"), safe))).toBe("Echo: safe")
  })

  it("a UTF-8 BOM before the JSON is served as if it were absent", async () => {
    const id = client.id()
    const line = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(echoText(id, "after a BOM"))])
    expect(resultText(await answerTo(line, id, 10_000))).toBe("Echo: after a BOM")
  })

  it("mutated and garbled JSON gets one answer per readable id, and at most one error per unreadable line (fast-check, 300 runs)", async () => {
    let unreadable = 0
    const nullBefore = client.responsesTo(null).length
    await fc.assert(
      fc.asyncProperty(mutation, fc.string({ maxLength: 20 }), async (m, message) => {
        // String ids apart from the numeric ones of other requests, so a mutated id cannot answer for them.
        const id = `g${client.id()}`
        // One message per line: a mutation must not add line breaks of its own.
        const text = mutate(echoText(id, message), m).replace(/[\r\n]/g, " ")
        const readable = readId(text)
        if (readable._tag === "Request") {
          if (readable.id !== id) madeUpIds.add(JSON.stringify(readable.id))
          await answerTo(text, readable.id, 10_000)
        } else {
          if (readable._tag === "Unreadable") unreadable++
          client.write(text)
        }
      }),
      { numRuns: 300, seed: 61, endOnFailure: true }
    )
    const ping = client.id()
    await answerTo(JSON.stringify({ jsonrpc: "2.0", id: ping, method: "ping" }), ping)
    await sleep(100)
    const errors = client.responsesTo(null).slice(nullBefore)
    expect(errors.length).toBeLessThanOrEqual(unreadable)
    expect(errors.filter((e) => errorTextLength(e) >= ERROR_TEXT_BOUND)).toEqual([])
    // Bytes that are not UTF-8 at all: a parse error, and the server goes on.
    const before = client.responsesTo(null).length
    client.write(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))
    await client.until(() => client.responsesTo(null).length > before, "the error for invalid UTF-8")
  })

  it("interleaved concurrent requests each get exactly their own answer", async () => {
    const expected = new Map<string, (r: ReturnType<StdioClient["responsesTo"]>[number]) => boolean>()
    let burst = ""
    for (let i = 0; i < 300; i++) {
      const id = `c-${i}`
      switch (i % 5) {
        case 0:
          burst += echoText(0, `m${i}`).replace("\"id\":0", `"id":"${id}"`) + "\n"
          expected.set(id, (r) => resultText(r) === `Echo: m${i}`)
          break
        case 1:
          burst += callText(id, "echo", "{\"message\":7}") + "\n"
          expected.set(id, isToolError)
          break
        case 2:
          burst += callText(id, "no_such_tool", "{}") + "\n"
          expected.set(id, (r) => r.error !== undefined)
          break
        case 3:
          burst += JSON.stringify({ jsonrpc: "2.0", id, method: "ping" }) + "\n"
          expected.set(id, (r) => r.result !== undefined)
          break
        case 4:
          burst += callText(id, "test_long_running", "{\"steps\":2,\"stepMillis\":20}") + "\n"
          expected.set(id, (r) => resultText(r) === "Completed 2 steps")
          break
      }
    }
    // All at once, in one write: the server reads them interleaved with its own answers.
    client.write(burst, false)
    await client.until(() => [...expected.keys()].every((id) => client.responsesTo(id).length > 0), "every answer of the burst", 60_000)
    await sleep(100)
    const wrong = [...expected.entries()]
      .filter(([id, ok]) => client.responsesTo(id).length !== 1 || !ok(client.responsesTo(id)[0]!))
      .map(([id]) => `${id}: ${JSON.stringify(client.responsesTo(id)).slice(0, 200)}`)
    expect(wrong).toEqual([])
  })
})
