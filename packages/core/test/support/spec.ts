/**
 * Shared helpers of the core behaviour tests: the official schema.json as
 * the judge of every result, and a raw session for messages a well-behaved
 * client never sends.
 */
import { expect } from "@effect/vitest"
import type { JsonRpc } from "@emcee/core"
import * as SpecValidator from "@emcee/testing/SpecValidator"
import { MemoryTransport } from "@emcee/transport"
import { Effect, Option, Queue, Stream } from "effect"

/** The 2025-11-25 schema.json. */
export const spec = SpecValidator.fromFile(SpecValidator.defaultSchemaPath)

/** Asserts `value` is a valid `definition` of schema.json, showing ajv's errors when not. */
export const expectSpec = (definition: string, value: unknown): void => {
  const outcome = spec.validate(definition, value)
  expect(outcome.valid ? "valid" : `${outcome.errors}\n${JSON.stringify(value)}`).toBe("valid")
}

/** The params of a well-formed initialize request. */
export const initializeParams = (protocolVersion = "2025-11-25", capabilities: JsonRpc.JsonObject = {}) => ({
  protocolVersion,
  capabilities,
  clientInfo: { name: "raw", version: "1.0.0" }
})

/**
 * A session over the in-memory transport without the client: sends any JSON
 * value and reads what comes back, in order.
 */
export const rawSession = Effect.gen(function*() {
  const transport = yield* MemoryTransport.make()
  const received = yield* Queue.unbounded<JsonRpc.Message>()
  yield* Stream.runForEach(transport.incoming, (m) => Queue.offer(received, m)).pipe(Effect.ignore, Effect.forkScoped)
  /** Sends a value as is; it need not be a valid message. */
  const send = (value: unknown) => Effect.orDie(transport.send(value as JsonRpc.Message))
  /** The next message from the server. */
  const next = Queue.take(received).pipe(Effect.map((m) => m as JsonRpc.Message & { readonly [key: string]: unknown }))
  /** The next message, if one is already there. */
  const poll = Effect.map(Queue.poll(received), Option.getOrUndefined)
  /** Sends a value and returns the next message (the answer, when nothing else is in flight). */
  const exchange = (value: unknown) => Effect.zipRight(send(value), next)
  /** Performs initialize and notifications/initialized. */
  const initialize = (protocolVersion?: string) =>
    Effect.gen(function*() {
      const response = yield* exchange({ jsonrpc: "2.0", id: "init", method: "initialize", params: initializeParams(protocolVersion) })
      yield* send({ jsonrpc: "2.0", method: "notifications/initialized" })
      return response
    })
  return { send, next, poll, exchange, initialize }
})
