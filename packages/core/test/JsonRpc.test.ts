/**
 * JSON-RPC framing (spec 2025-11-25 basic/index "Messages"): ids that
 * `JSON.parse` cannot read exactly, and `encode`, which never throws.
 */
import { describe, expect, it } from "@effect/vitest"
import { JsonRpc, McpServer } from "@emcee/core"
import { Context, Effect, Either, Layer, Schema } from "effect"
import fc from "fast-check"

const unsafeIdMessage =
  "Invalid Request: an integer \"id\" beyond 2^53 (Number.MAX_SAFE_INTEGER) cannot be represented exactly; send such an id as a string"

/** A frame as a transport reads it. */
const read = (text: string): JsonRpc.Classified => {
  const parsed = JsonRpc.parse(text)
  if (!parsed.ok) throw new Error("not JSON")
  return JsonRpc.classify(parsed.value)
}

describe("JsonRpc.classify: request ids beyond 2^53 (spec basic/index Requests, Error Responses)", () => {
  it("an integer id beyond 2^53 is Invalid Request -32600 without an id, since the id that was sent cannot be read", () => {
    // 2^53 + 1 parses as 2^53: answering with it would answer another request.
    for (const id of ["9007199254740993", "9007199254740992", "-9007199254740993", "123456789012345678901234567890", "1e300"]) {
      for (
        const text of [
          `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo"}}`,
          `{"jsonrpc":"2.0","id":${id},"result":{}}`,
          `{"jsonrpc":"2.0","id":${id},"error":{"code":-32603,"message":"x"}}`
        ]
      ) {
        const classified = read(text)
        expect(classified).toEqual({ _tag: "Invalid", response: { jsonrpc: "2.0", error: { code: -32600, message: unsafeIdMessage } } })
      }
    }
    // Any other problem with such a message: still no id.
    expect(read(`{"jsonrpc":"1.0","id":9007199254740993,"method":"ping"}`)).toMatchObject({ _tag: "Invalid", response: { error: { code: -32600 } } })
    expect("id" in (read(`{"jsonrpc":"1.0","id":9007199254740993,"method":"ping"}`) as { response: object }).response).toBe(false)
  })

  it("the largest safe integers and the same digits as a string round-trip exactly", () => {
    for (const id of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, -1]) {
      const classified = read(`{"jsonrpc":"2.0","id":${id},"method":"ping"}`)
      expect(classified).toMatchObject({ _tag: "Request", message: { id } })
      expect(JsonRpc.encode(JsonRpc.success((classified as { message: JsonRpc.Request }).message.id, {}))).toBe(`{"jsonrpc":"2.0","id":${id},"result":{}}`)
    }
    const asString = read(`{"jsonrpc":"2.0","id":"9007199254740993","method":"ping"}`)
    expect(asString).toMatchObject({ _tag: "Request", message: { id: "9007199254740993" } })
    // Non-integers keep their message.
    expect(read(`{"jsonrpc":"2.0","id":1.5,"method":"ping"}`)).toMatchObject({
      _tag: "Invalid",
      response: { error: { message: "Invalid Request: \"id\" must be a string or an integer" } }
    })
  })

  it("RequestIdSchema accepts strings and safe integers only, as classify does", () => {
    const decode = Schema.decodeUnknownEither(JsonRpc.RequestIdSchema)
    expect(Either.isRight(decode(Number.MAX_SAFE_INTEGER))).toBe(true)
    expect(Either.isRight(decode("9007199254740993"))).toBe(true)
    expect(Either.isLeft(decode(2 ** 53))).toBe(true)
    expect(Either.isLeft(decode(1.5))).toBe(true)
  })

  it.scoped("a server answers a request with such an id -32600 without an id, and does not run it", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(McpServer.layer({ name: "ids", version: "1" }))
      const server = Context.get(context, McpServer.McpServer)
      const conn = yield* server.connect({ send: () => Effect.void })
      const parsed = JsonRpc.parse(`{"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"}`)
      const response = yield* conn.handle(parsed.ok ? parsed.value : undefined)
      expect(response).toEqual({ jsonrpc: "2.0", error: { code: -32600, message: unsafeIdMessage } })
    }))
})

describe("JsonRpc.encode: serializes any message without throwing", () => {
  const deep = (depth: number): unknown => {
    let value: unknown = 1
    for (let i = 0; i < depth; i++) value = [value]
    return value
  }
  const internal = { code: -32603, message: "Internal error: the response could not be serialized" }

  it("a message that serializes is JSON.stringify's text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer()), fc.dictionary(fc.string(), fc.jsonValue()), (id, result) => {
        const message = JsonRpc.success(id, result)
        expect(JsonRpc.encode(message)).toBe(JSON.stringify(message))
      })
    )
  })

  it("a result nested 100,000 levels deep becomes -32603 with the same id (basic/index Responses: one response per request)", () => {
    const text = JsonRpc.encode(JsonRpc.success(7, { content: deep(100_000) as JsonRpc.JsonObject }))
    expect(JSON.parse(text!)).toEqual({ jsonrpc: "2.0", id: 7, error: internal })
    const failure = JsonRpc.encode(JsonRpc.failure("a", -32602, "bad", { deep: deep(100_000) }))
    expect(JSON.parse(failure!)).toEqual({ jsonrpc: "2.0", id: "a", error: internal })
  })

  it("a BigInt or a cycle in a result becomes -32603 with the same id", () => {
    expect(JSON.parse(JsonRpc.encode(JsonRpc.success(1, { n: 10n }))!)).toEqual({ jsonrpc: "2.0", id: 1, error: internal })
    const cycle: { [key: string]: unknown } = {}
    cycle.self = cycle
    expect(JSON.parse(JsonRpc.encode(JsonRpc.success("c", cycle))!)).toEqual({ jsonrpc: "2.0", id: "c", error: internal })
    const throwing = { toJSON: () => { throw new Error("no") } }
    expect(JSON.parse(JsonRpc.encode(JsonRpc.success(2, { throwing }))!)).toEqual({ jsonrpc: "2.0", id: 2, error: internal })
  })

  it("an id that itself cannot be serialized is left out of the -32603", () => {
    const message = { jsonrpc: "2.0", id: 1n, result: {} } as unknown as JsonRpc.Message
    expect(JSON.parse(JsonRpc.encode(message)!)).toEqual({ jsonrpc: "2.0", error: internal })
  })

  it("a request or notification that cannot be serialized is dropped (undefined), never thrown", () => {
    expect(JsonRpc.encode({ jsonrpc: "2.0", method: "notifications/message", params: { data: 1n } })).toBeUndefined()
    expect(JsonRpc.encode({ jsonrpc: "2.0", id: 1, method: "sampling/createMessage", params: { deep: deep(100_000) } })).toBeUndefined()
  })
})
