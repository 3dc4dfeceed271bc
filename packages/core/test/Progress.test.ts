import { describe, expect, it } from "@effect/vitest"
import type { McpSchema } from "@emcee/core"
import { Progress, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Queue } from "effect"
import { expectSpec } from "./support/spec.js"

const work = Tool.make("work", {
  handler: () =>
    Effect.gen(function*() {
      yield* Progress.report(1, { total: 3, message: "one" })
      yield* Progress.report(2, { total: 3 })
      yield* Progress.report(3)
      return "done"
    })
})

const TestLayer = TestClient.layerWith({ name: "progress", version: "1" }, work)

describe("Progress (spec basic/utilities/progress)", () => {
  it.scoped("a request with a progressToken gets notifications/progress for that token, increasing (Progress Flow)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const seen: Array<McpSchema.ProgressNotificationParams> = []
      const notifications = yield* client.subscribeNotifications
      const result = yield* client.callTool("work", {}, { onProgress: (p) => Effect.sync(() => void seen.push(p)) })
      expect(result.content).toEqual([{ type: "text", text: "done" }])
      expect(seen.map(({ message, progress, total }) => ({ progress, total, message }))).toEqual([
        { progress: 1, total: 3, message: "one" },
        { progress: 2, total: 3, message: undefined },
        { progress: 3, total: undefined, message: undefined }
      ])
      const token = seen[0]!.progressToken
      expect(seen.every((p) => p.progressToken === token)).toBe(true)
      for (const n of yield* Queue.takeAll(notifications)) expectSpec("ProgressNotification", n)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("the progress token travels in params._meta.progressToken and any string or integer works (Progress Flow)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const notifications = yield* client.subscribeNotifications
      yield* client.request("tools/call", { name: "work", _meta: { progressToken: "my-token" } })
      const all = [...(yield* Queue.takeAll(notifications))]
      expect(all.map((n) => n.params?.progressToken)).toEqual(["my-token", "my-token", "my-token"])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a request without a progressToken gets no progress notifications (Behavior Requirements)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const notifications = yield* client.subscribeNotifications
      yield* client.callTool("work")
      expect(yield* Queue.takeAll(notifications)).toHaveLength(0)
    }).pipe(Effect.provide(TestLayer)))
})
