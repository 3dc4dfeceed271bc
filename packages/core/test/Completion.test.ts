import { describe, expect, it } from "@effect/vitest"
import { Completion, Prompt, Resource, ResourceTemplate } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

const languages = ["python", "pytorch", "pyside", "rust", "go"]

const review = Prompt.make({
  name: "code_review",
  args: Schema.Struct({ language: Schema.String, framework: Schema.String }),
  render: ({ framework, language }) => Effect.succeed([Prompt.user(`${language} / ${framework}`)]),
  complete: {
    language: Completion.fromValues(languages),
    // Completions may depend on arguments already chosen (Requesting Completions: context.arguments).
    framework: ({ arguments: chosen, value }) =>
      Effect.succeed((chosen.language === "python" ? ["flask", "fastapi", "django"] : ["axum", "actix"]).filter((f) => f.startsWith(value)))
  }
})

const many = Prompt.make({
  name: "many",
  args: Schema.Struct({ n: Schema.String, plain: Schema.String }),
  render: () => Effect.succeed([Prompt.user("x")]),
  complete: { n: () => Effect.succeed(Array.from({ length: 150 }, (_, i) => `v${i}`)) }
})

const repo = ResourceTemplate.make({
  uriTemplate: "github://repos/{owner}/{repo}",
  name: "repo",
  params: Schema.Struct({ owner: Schema.String, repo: Schema.String }),
  read: ({ owner, repo }) => Effect.succeed(Resource.text(`${owner}/${repo}`)),
  complete: { owner: Completion.fromValues(["effect-ts", "modelcontextprotocol"]) }
})

const TestLayer = TestClient.layerWith({ name: "completion", version: "1" }, review, many, repo)

describe("Completion (spec server/utilities/completion)", () => {
  it.scoped("a server with completers declares the completions capability (Capabilities)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      expect(client.serverCapabilities.completions).toEqual({})
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("completion/complete suggests values for a prompt argument from what was typed (Requesting Completions)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.complete({ ref: { type: "ref/prompt", name: "code_review" }, argument: { name: "language", value: "py" } })
      expectSpec("CompleteResult", result)
      expect(result).toEqual({ completion: { values: ["python", "pytorch", "pyside"], total: 3, hasMore: false } })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a completer sees the arguments already chosen in context.arguments (Requesting Completions)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.complete({
        ref: { type: "ref/prompt", name: "code_review" },
        argument: { name: "framework", value: "fla" },
        context: { arguments: { language: "python" } }
      })
      expectSpec("CompleteResult", result)
      expect(result.completion.values).toEqual(["flask"])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("completion/complete suggests values for a resource template variable (Reference Types: ref/resource)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.complete({ ref: { type: "ref/resource", uri: "github://repos/{owner}/{repo}" }, argument: { name: "owner", value: "eff" } })
      expectSpec("CompleteResult", result)
      expect(result.completion.values).toEqual(["effect-ts"])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("at most 100 values are sent, with the total and hasMore (Completion Results)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.complete({ ref: { type: "ref/prompt", name: "many" }, argument: { name: "n", value: "" } })
      expectSpec("CompleteResult", result)
      expect(result.completion.values).toHaveLength(100)
      expect(result.completion.total).toBe(150)
      expect(result.completion.hasMore).toBe(true)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("an argument without a completer completes to nothing (Completion Results)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.complete({ ref: { type: "ref/prompt", name: "many" }, argument: { name: "plain", value: "a" } })
      expectSpec("CompleteResult", result)
      expect(result.completion.values).toEqual([])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("an unknown prompt, an unknown template or malformed params are -32602 (Error Handling)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const prompt = yield* Effect.flip(client.complete({ ref: { type: "ref/prompt", name: "nope" }, argument: { name: "a", value: "" } }))
      expect(prompt.code).toBe(-32602)
      const template = yield* Effect.flip(client.complete({ ref: { type: "ref/resource", uri: "nope://{x}" }, argument: { name: "x", value: "" } }))
      expect(template.code).toBe(-32602)
      const malformed = yield* Effect.flip(client.request("completion/complete", { ref: { type: "ref/other" } }))
      expect(malformed.code).toBe(-32602)
    }).pipe(Effect.provide(TestLayer)))
})
