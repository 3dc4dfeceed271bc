/**
 * Hostile input over Streamable HTTP (spec 2025-11-25 basic/transports
 * "Streamable HTTP"), in both response modes of the everything example
 * (SSE for every request by default; `--json-response`). One long-lived
 * server process per mode; after every test it must still be serving.
 *
 * The guarantees: the process stays up; every request with a readable id
 * gets exactly one complete answer (one JSON-RPC response with that id; an
 * SSE stream carries exactly one) or a clean HTTP error status; error texts
 * stay under 4 KB even for 1 MB inputs.
 */
import fc from "fast-check"
import { Agent } from "node:http"
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
import { McpHttpClient, type PostOutcome, responsesOf } from "../support/http.js"
import { type HttpServer, leftovers, startEverythingHttp, stopAll } from "../support/processes.js"

const MB = 1024 * 1024

/** What is wrong with a POST outcome for a request with id `id` (undefined: exactly one complete response carrying it). */
const oneAnswer = (outcome: PostOutcome, id: unknown): string | undefined => {
  const http = outcome.http
  if (http.status === 0) return `no HTTP response: ${http.error ?? "?"}${http.timedOut ? " (timed out)" : ""}`
  if (outcome.malformed !== undefined) return `a malformed body: ${outcome.malformed}`
  const responses = responsesOf(outcome)
  if (http.status !== 200) return `HTTP ${http.status}: ${http.text().slice(0, 300)}`
  if (responses.length !== 1) return `${responses.length} responses on one ${outcome.kind} answer: ${http.text().slice(0, 300)}`
  if (responses[0]!.id !== id) return `the response carries id ${JSON.stringify(responses[0]!.id)}, not ${JSON.stringify(id)}`
  return undefined
}

/** A clean refusal: an HTTP error status whose body, if any, is complete (a JSON-RPC error when JSON). */
const cleanError = (outcome: PostOutcome): string | undefined => {
  const http = outcome.http
  if (http.status < 400 || http.status > 599) return `expected an HTTP error status, got ${http.status} ${http.error ?? ""}`
  if (outcome.malformed !== undefined) return `a malformed error body: ${outcome.malformed}`
  return undefined
}

/** The one response of an outcome, asserting that there is exactly one with that id. */
const theResponse = (outcome: PostOutcome, id: unknown) => {
  expect(oneAnswer(outcome, id)).toBeUndefined()
  return responsesOf(outcome)[0]!
}

describe.each([
  { mode: "SSE responses (the default)", flags: [] as Array<string> },
  { mode: "JSON responses (--json-response)", flags: ["--json-response"] }
])("hostile input over HTTP, $mode", ({ flags }) => {
  let server: HttpServer
  let client: McpHttpClient

  const start = async () => {
    server = await startEverythingHttp(flags)
    client = new McpHttpClient(server.url)
    await client.initialize()
  }

  beforeAll(start)

  beforeEach(async () => {
    // A server that crashed in an earlier test (reported there) is replaced, so each test reports its own defects.
    if (!server.proc.alive()) await start()
  })

  afterEach(async () => {
    // Every test ends with the server alive and serving (a plain echo call answers).
    expect(server.proc.alive(), `the server exited: ${server.proc.stderr().slice(-2000)}`).toBe(true)
    await client.echo("still serving")
  })

  afterAll(async () => {
    await client?.close()
    await stopAll()
    expect(leftovers()).toEqual([])
  })

  it("The HTTP and stdio property suites include deeply nested arguments to a tool with an input schema, at 1,000 runs (server/tools \"Error Handling\")", async () => {
    await fc.assert(
      fc.asyncProperty(deepCase, async (c) => {
        const id = client.id()
        const outcome = await client.post(callText(id, "echo", deepArguments(c)), { timeoutMillis: 30_000 })
        const problem = oneAnswer(outcome, id) ?? checkDeep(c, responsesOf(outcome)[0]!)
        if (problem !== undefined) throw new Error(`${c.shape} x${c.depth} in ${c.placement}: ${problem}`)
      }),
      { numRuns: 1_000, seed: 6, endOnFailure: true }
    )
  })

  it("a 1 MB message string within the body limit is echoed whole", async () => {
    const message = "y".repeat(MB)
    const id = client.id()
    const response = theResponse(await client.post(echoText(id, message)), id)
    expect(resultText(response)).toBe(`Echo: ${message}`)
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
      const response = theResponse(await client.post(c.body(id)), id)
      expect(errorTextLength(response), `${c.what}: ${JSON.stringify(response).slice(0, 200)}`).toBeLessThan(ERROR_TEXT_BOUND)
      if (c.expect === "toolError") expect(isToolError(response), `${c.what}: ${JSON.stringify(response).slice(0, 300)}`).toBe(true)
      else expect(response.error?.code, `${c.what}: ${JSON.stringify(response).slice(0, 300)}`).toBe(c.expect)
    }
    // 1 MB of JSON cut off in the middle: a parse error, also bounded.
    const garbled = await client.post(echoText(client.id(), pad).slice(0, MB / 2))
    expect(cleanError(garbled)).toBeUndefined()
    expect(garbled.http.status).toBe(400)
    expect(garbled.messages[0]?.error?.code).toBe(-32700)
    expect(errorTextLength(garbled.messages[0]!)).toBeLessThan(ERROR_TEXT_BOUND)
  })

  it("arguments that are not an object (string, array, number, boolean) get JSON-RPC error -32602 (CallToolRequest: arguments is an object)", async () => {
    for (const args of ["\"a string\"", "[\"an\",\"array\"]", "42", "true"]) {
      const id = client.id()
      const response = theResponse(await client.post(callText(id, "echo", args)), id)
      expect(response.error?.code, `arguments ${args}: ${JSON.stringify(response)}`).toBe(-32602)
    }
  })

  it("request ids above 2^53 get error -32600 without an id (they cannot be read exactly); 2^53-1 is served with its id", async () => {
    for (const id of unsafeIds) {
      const outcome = await client.post(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"message":"m"}}}`)
      expect(outcome.malformed).toBeUndefined()
      expect([200, 400], `id ${id}: HTTP ${outcome.http.status}`).toContain(outcome.http.status)
      const responses = responsesOf(outcome)
      expect(responses, `id ${id}: ${outcome.http.text().slice(0, 300)}`).toHaveLength(1)
      expect(checkUnsafeIdResponse(responses[0]!), `id ${id}`).toBeUndefined()
    }
    const safe = Number.MAX_SAFE_INTEGER
    const response = theResponse(await client.post(echoText(safe, "safe")), safe)
    expect(resultText(response)).toBe("Echo: safe")
  })

  it("a UTF-8 BOM before the JSON is served as if it were absent", async () => {
    const id = client.id()
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(echoText(id, "after a BOM"))])
    const response = theResponse(await client.post(body), id)
    expect(resultText(response)).toBe("Echo: after a BOM")
  })

  it("mutated and garbled JSON gets one complete answer per readable id, or a clean error status (fast-check, 300 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(mutation, fc.string({ maxLength: 20 }), async (m, message) => {
        const id = client.id()
        const text = mutate(echoText(id, message), m)
        const outcome = await client.post(text, { timeoutMillis: 30_000 })
        const readable = readId(text)
        let problem: string | undefined
        if (outcome.http.status === 0 || outcome.malformed !== undefined) problem = oneAnswer(outcome, id)
        else if (readable._tag === "Request") problem = outcome.http.status === 200 ? oneAnswer(outcome, readable.id) : cleanError(outcome)
        else if (readable._tag === "Notification") problem = outcome.http.status === 202 ? undefined : cleanError(outcome)
        else {
          problem = cleanError(outcome)
          if (problem === undefined && outcome.messages.length === 1) {
            const error = outcome.messages[0]!
            if (errorTextLength(error) >= ERROR_TEXT_BOUND) problem = `an unbounded error: ${errorTextLength(error)} characters`
          }
        }
        if (problem !== undefined) throw new Error(`${JSON.stringify(text).slice(0, 300)}: ${problem}`)
      }),
      { numRuns: 300, seed: 61, endOnFailure: true }
    )
    // Bytes that are not UTF-8 at all.
    const bad = await client.post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))
    expect(cleanError(bad)).toBeUndefined()
    expect(bad.http.status).toBe(400)
  })

  it("interleaved concurrent requests on one session each get exactly their own answer", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 })
    const concurrent = new McpHttpClient(server.url, agent)
    concurrent.sessionId = client.sessionId
    try {
      const jobs: Array<Promise<string | undefined>> = []
      for (let i = 0; i < 240; i++) {
        const id = `c-${i}`
        const kind = i % 6
        const check = async (body: string, verify: (r: ReturnType<typeof responsesOf>[number]) => string | undefined) => {
          const outcome = await concurrent.post(body, { timeoutMillis: 60_000 })
          const problem = oneAnswer(outcome, id)
          return problem === undefined ? verify(responsesOf(outcome)[0]!) : `${id}: ${problem}`
        }
        const show = (r: unknown) => `${id}: ${JSON.stringify(r).slice(0, 200)}`
        switch (kind) {
          case 0:
            jobs.push(check(echoText(i, `m${i}`).replace(`"id":${i}`, `"id":"${id}"`), (r) => resultText(r) === `Echo: m${i}` ? undefined : show(r)))
            break
          case 1:
            jobs.push(check(callText(id, "echo", "{\"message\":7}"), (r) => isToolError(r) ? undefined : show(r)))
            break
          case 2:
            jobs.push(check(callText(id, "no_such_tool", "{}"), (r) => r.error !== undefined ? undefined : show(r)))
            break
          case 3:
            jobs.push(check(JSON.stringify({ jsonrpc: "2.0", id, method: "ping" }), (r) => r.result !== undefined ? undefined : show(r)))
            break
          case 4:
            jobs.push(
              check(callText(id, "test_long_running", "{\"steps\":2,\"stepMillis\":20}"), (r) => resultText(r) === "Completed 2 steps" ? undefined : show(r))
            )
            break
          case 5: {
            const message = `${i}`.repeat(20_000)
            jobs.push(check(callText(id, "echo", JSON.stringify({ message })), (r) => resultText(r) === `Echo: ${message}` ? undefined : show(r)))
            break
          }
        }
      }
      const problems = (await Promise.all(jobs)).filter((p) => p !== undefined)
      expect(problems).toEqual([])
    } finally {
      agent.destroy()
    }
  })
})
