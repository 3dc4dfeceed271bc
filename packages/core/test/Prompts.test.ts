import { describe, expect, it } from "@effect/vitest"
import { Content, Prompt } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

const review = Prompt.make({
  name: "code_review",
  title: "Code review",
  description: "Asks for a review of some code",
  args: Schema.Struct({
    code: Schema.String.annotations({ description: "The code to review" }),
    language: Schema.optional(Schema.String.annotations({ description: "Its language" }))
  }),
  render: ({ code, language }) =>
    Effect.succeed([
      Prompt.user(`Please review this ${language ?? "code"}:\n${code}`),
      Prompt.assistant("Sure, let me look."),
      Prompt.user(Content.embedded({ uri: "file:///style.md", mimeType: "text/markdown", text: "Be kind." }))
    ])
})

const greeting = Prompt.make({
  name: "greeting",
  render: () => Effect.succeed({ description: "A friendly hello", messages: [Prompt.user("Hello!")] })
})

const TestLayer = TestClient.layerWith({ name: "prompts", version: "1" }, review, greeting)

describe("Prompts (spec server/prompts)", () => {
  it.scoped("prompts/list lists prompts with their arguments, required unless optional (Listing Prompts)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const list = yield* client.listPrompts()
      expectSpec("ListPromptsResult", list)
      expect(list.prompts).toEqual([
        {
          name: "code_review",
          title: "Code review",
          description: "Asks for a review of some code",
          arguments: [
            { name: "code", description: "The code to review", required: true },
            { name: "language", description: "Its language", required: false }
          ]
        },
        { name: "greeting" }
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("prompts/get renders the messages with the given arguments (Getting a Prompt)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.getPrompt("code_review", { code: "x = 1", language: "python" })
      expectSpec("GetPromptResult", result)
      expect(result).toEqual({
        description: "Asks for a review of some code",
        messages: [
          { role: "user", content: { type: "text", text: "Please review this python:\nx = 1" } },
          { role: "assistant", content: { type: "text", text: "Sure, let me look." } },
          { role: "user", content: { type: "resource", resource: { uri: "file:///style.md", mimeType: "text/markdown", text: "Be kind." } } }
        ]
      })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a prompt may describe its rendering itself, and takes no arguments when it declares none (Getting a Prompt)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.getPrompt("greeting")
      expectSpec("GetPromptResult", result)
      expect(result).toEqual({ description: "A friendly hello", messages: [{ role: "user", content: { type: "text", text: "Hello!" } }] })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a missing required argument is -32602 (Error Handling: missing required arguments)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.getPrompt("code_review", { language: "go" }))
      expect(error.code).toBe(-32602)
      expect(error.message).toContain("code")
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("arguments that are not an object are -32602, for a prompt with arguments and one without (schema.json GetPromptRequestParams)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      for (const name of ["code_review", "greeting"]) {
        for (const args of ["x", 1, ["a"], null]) {
          const error = yield* Effect.flip(client.getPrompt(name, args as never))
          expect(error).toMatchObject({
            code: -32602,
            message: `Invalid prompts/get params: arguments: Expected { readonly [x: string]: string }, actual ${JSON.stringify(args)}`
          })
        }
      }
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("an unknown prompt name is -32602 (Error Handling: invalid prompt name)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.getPrompt("nope"))
      expect(error).toMatchObject({ code: -32602, message: "Unknown prompt: nope" })
    }).pipe(Effect.provide(TestLayer)))
})
