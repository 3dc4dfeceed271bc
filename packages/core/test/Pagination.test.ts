import { describe, expect, it } from "@effect/vitest"
import { Prompt, Resource, ResourceTemplate, Tool } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const tools = range(5).map((i) => Tool.make(`tool${i}`, { handler: () => Effect.succeed(`${i}`) }))
const resources = range(5).map((i) => Resource.make({ uri: `file:///r${i}`, name: `r${i}`, read: () => Effect.succeed(Resource.text(`${i}`)) }))
const templates = range(3).map((i) =>
  ResourceTemplate.make({ uriTemplate: `t${i}://{x}`, name: `t${i}`, params: Schema.Struct({ x: Schema.String }), read: ({ x }) => Effect.succeed(Resource.text(x)) })
)
const prompts = range(4).map((i) => Prompt.make({ name: `p${i}`, render: () => Effect.succeed([Prompt.user(`${i}`)]) }))

const TestLayer = TestClient.layerWith({ name: "pagination", version: "1", pageSize: 2 }, ...tools, ...resources, ...templates, ...prompts)

describe("Pagination (spec server/utilities/pagination)", () => {
  it.scoped("a list longer than a page comes in pages linked by an opaque nextCursor; the last has none (Response Format)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const first = yield* client.listTools()
      expectSpec("ListToolsResult", first)
      expect(first.tools.map((t) => t.name)).toEqual(["tool0", "tool1"])
      expect(typeof first.nextCursor).toBe("string")
      const second = yield* client.listTools({ cursor: first.nextCursor! })
      expectSpec("ListToolsResult", second)
      expect(second.tools.map((t) => t.name)).toEqual(["tool2", "tool3"])
      const third = yield* client.listTools({ cursor: second.nextCursor! })
      expect(third.tools.map((t) => t.name)).toEqual(["tool4"])
      expect(third.nextCursor).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("following nextCursor yields every tool, resource, template and prompt once (Pagination Flow)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect((yield* client.listAllTools()).map((t) => t.name)).toEqual(range(5).map((i) => `tool${i}`))
      expect((yield* client.listAllResources()).map((r) => r.name)).toEqual(range(5).map((i) => `r${i}`))
      expect((yield* client.listAllResourceTemplates()).map((t) => t.name)).toEqual(range(3).map((i) => `t${i}`))
      expect((yield* client.listAllPrompts()).map((p) => p.name)).toEqual(range(4).map((i) => `p${i}`))
      const page = yield* client.listResources()
      expectSpec("ListResourcesResult", page)
      const templatePage = yield* client.listResourceTemplates()
      expectSpec("ListResourceTemplatesResult", templatePage)
      const promptPage = yield* client.listPrompts()
      expectSpec("ListPromptsResult", promptPage)
      expect(promptPage.nextCursor).toBeDefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("an invalid cursor is -32602 (Error Handling)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      for (const cursor of ["not-a-cursor", Buffer.from("o:-1").toString("base64url")]) {
        const error = yield* Effect.flip(client.listTools({ cursor }))
        expect(error.code).toBe(-32602)
      }
      const notString = yield* Effect.flip(client.request("prompts/list", { cursor: 7 }))
      expect(notString.code).toBe(-32602)
    }).pipe(Effect.provide(TestLayer)))
})
