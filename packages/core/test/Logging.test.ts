import { describe, expect, it } from "@effect/vitest"
import { Logging, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Queue } from "effect"
import { expectSpec } from "./support/spec.js"

const chatty = Tool.make("chatty", {
  handler: () =>
    Effect.gen(function*() {
      for (const level of Logging.levels) yield* Logging.log(level, { level, note: "structured data" }, "chatty")
      yield* Logging.log("info", "plain text")
      return "done"
    })
})

const TestLayer = TestClient.layerWith({ name: "logging", version: "1" }, chatty)

/** Calls chatty and collects the log notifications it sent (they precede the response). */
const logsOfOneCall = Effect.gen(function*() {
  const client = yield* TestClient.TestClient
  const notifications = yield* client.subscribeNotifications
  yield* client.callTool("chatty")
  const all = yield* Queue.takeAll(notifications)
  return [...all].filter((n) => n.method === "notifications/message")
})

describe("Logging (spec server/utilities/logging)", () => {
  it.scoped("a server declares the logging capability (Capabilities)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(client.serverCapabilities.logging).toEqual({})
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("until the client sets a level, every message is sent as notifications/message with level, logger and data (Log Message Notifications)", () =>
    Effect.gen(function*() {
      const logs = yield* logsOfOneCall
      for (const log of logs) expectSpec("LoggingMessageNotification", log)
      expect(logs.map((l) => l.params?.level)).toEqual([...Logging.levels, "info"])
      expect(logs[0]).toEqual({
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "debug", logger: "chatty", data: { level: "debug", note: "structured data" } }
      })
      expect(logs.at(-1)?.params).toEqual({ level: "info", data: "plain text" })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("logging/setLevel filters out messages below the level (Setting Log Level)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.setLogLevel("error")
      const logs = yield* logsOfOneCall
      expect(logs.map((l) => l.params?.level)).toEqual(["error", "critical", "alert", "emergency"])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("logging/setLevel answers an empty result, and an invalid level is -32602 (Error Handling)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const ok = yield* client.request("logging/setLevel", { level: "warning" })
      expectSpec("EmptyResult", ok)
      const bad = yield* Effect.flip(client.request("logging/setLevel", { level: "loud" }))
      expect(bad.code).toBe(-32602)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("the level applies to this session only (Setting Log Level)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.setLogLevel("emergency")
      const other = yield* TestClient.make()
      const notifications = yield* other.subscribeNotifications
      yield* other.callTool("chatty")
      const logs = [...(yield* Queue.takeAll(notifications))].filter((n) => n.method === "notifications/message")
      expect(logs).toHaveLength(Logging.levels.length + 1)
    }).pipe(Effect.provide(TestLayer)))
})
