/**
 * `Elicitation.form` with an Effect Schema (spec 2025-11-25 client/elicitation
 * "Form Mode Elicitation Requests", "Requested Schema", "Response Actions").
 */
import { describe, expect, it } from "@effect/vitest"
import { Elicitation, Tool } from "@emcee/core"
import type { McpSchema } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

const Person = Schema.Struct({
  name: Schema.String.annotations({ title: "Name", description: "Your full name" }),
  age: Schema.optional(Schema.Number)
})

const Everything = Schema.Struct({
  email: Schema.String.annotations({ jsonSchema: { format: "email" } }),
  nick: Schema.String.pipe(Schema.minLength(2), Schema.maxLength(20)),
  count: Schema.propertySignature(Schema.Int.pipe(Schema.greaterThanOrEqualTo(0), Schema.lessThanOrEqualTo(10))).annotations({
    title: "Count"
  }),
  ratio: Schema.Number.annotations({ default: 0.5 }),
  subscribe: Schema.Boolean,
  color: Schema.Literal("red", "green", "blue"),
  tags: Schema.optional(Schema.Array(Schema.Literal("a", "b")).pipe(Schema.minItems(1))),
  born: Schema.NumberFromString
})

const ask = Tool.make("ask", {
  handler: () =>
    Elicitation.form("Who are you?", Person).pipe(
      Effect.map((answer) => {
        switch (answer.action) {
          case "accept": {
            // Typed: `name` is a string, `age` a number or undefined.
            const name: string = answer.content.name
            const age: number | undefined = answer.content.age
            return JSON.stringify({ action: "accept", name, age: age ?? null })
          }
          default:
            return JSON.stringify({ action: answer.action })
        }
      }),
      Effect.catchTag("ElicitationContentInvalid", (e) => Effect.succeed(`invalid: ${e.message}`))
    )
})

const nested = Tool.make("nested", {
  handler: () =>
    Elicitation.form(
      "Nested?",
      // @ts-expect-error a nested object cannot be a form field (client/elicitation "Requested Schema").
      Schema.Struct({ address: Schema.Struct({ street: Schema.String }) })
    ).pipe(Effect.as("sent"))
})

const serverLayer = TestClient.server({ name: "elicitation-form", version: "1" }, ask, nested)

const textOf = (result: McpSchema.CallToolResult): string => {
  const block = result.content[0]
  return block?.type === "text" ? block.text : ""
}

const answering = (answer: McpSchema.ElicitResult, received: Array<McpSchema.ElicitRequestParams> = []) =>
  TestClient.make({ handlers: { elicitation: (params) => Effect.sync(() => received.push(params)).pipe(Effect.as(answer)) } })

describe("Elicitation.form with a Schema (spec client/elicitation)", () => {
  it("derives a flat requestedSchema of primitive fields, without Effect's own texts for keywords and filters (Requested Schema)", () => {
    expect(Elicitation.requestedSchema(Person)).toEqual({
      type: "object",
      properties: { name: { type: "string", title: "Name", description: "Your full name" }, age: { type: "number" } },
      required: ["name"]
    })
    const everything = Elicitation.requestedSchema(Everything)
    expect(everything.properties).toEqual({
      email: { type: "string", format: "email" },
      nick: { type: "string", minLength: 2, maxLength: 20 },
      count: { type: "integer", title: "Count", minimum: 0, maximum: 10 },
      ratio: { type: "number", default: 0.5 },
      subscribe: { type: "boolean" },
      color: { type: "string", enum: ["red", "green", "blue"] },
      tags: { type: "array", minItems: 1, items: { type: "string", enum: ["a", "b"] } },
      born: { type: "string" }
    })
    expect(everything.required).toEqual(["email", "nick", "count", "ratio", "subscribe", "color", "born"])
    expectSpec("ElicitRequestFormParams", { mode: "form", message: "m", requestedSchema: everything })
  })

  it("refuses, with a clear error, schemas a form cannot express (Requested Schema: no nesting)", () => {
    const refused = [
      Schema.Struct({ address: Schema.Struct({ street: Schema.String }) }),
      Schema.Struct({ ids: Schema.Array(Schema.Number) }),
      Schema.Struct({ either: Schema.Union(Schema.String, Schema.Number) }),
      Schema.String,
      Schema.Record({ key: Schema.String, value: Schema.String })
    ] as const
    for (const schema of refused) {
      expect(() => Elicitation.requestedSchema(schema)).toThrow(/Elicitation\.form: .*client\/elicitation "Requested Schema"/)
    }
  })

  it.scoped("sends the derived requestedSchema and returns the decoded, typed content on accept (Response Actions)", () =>
    Effect.gen(function*() {
      const received: Array<McpSchema.ElicitRequestParams> = []
      const client = yield* answering({ action: "accept", content: { name: "Ada", age: 36 } }, received)
      expect(JSON.parse(textOf(yield* client.callTool("ask")))).toEqual({ action: "accept", name: "Ada", age: 36 })
      expectSpec("ElicitRequestFormParams", received[0])
      expect(received[0]).toEqual({ mode: "form", message: "Who are you?", requestedSchema: Elicitation.requestedSchema(Person) })
    }).pipe(Effect.provide(serverLayer)))

  it.scoped("an accept whose content does not decode is a typed ElicitationContentInvalid, not a crash (Response Actions)", () =>
    Effect.gen(function*() {
      const client = yield* answering({ action: "accept", content: { age: 36 } })
      const result = yield* client.callTool("ask")
      expect(result.isError).toBeUndefined()
      expect(textOf(result)).toMatch(/^invalid: The form's content does not match its schema: name: is missing/)
    }).pipe(Effect.provide(serverLayer)))

  for (const action of ["decline", "cancel"] as const) {
    it.scoped(`${action} carries no content (Response Actions)`, () =>
      Effect.gen(function*() {
        const client = yield* answering({ action })
        expect(JSON.parse(textOf(yield* client.callTool("ask")))).toEqual({ action })
      }).pipe(Effect.provide(serverLayer)))
  }

  it.scoped("a schema a form cannot express is a defect: -32603, nothing sent", () =>
    Effect.gen(function*() {
      const received: Array<McpSchema.ElicitRequestParams> = []
      const client = yield* answering({ action: "cancel" }, received)
      const error = yield* Effect.flip(client.callTool("nested"))
      expect(error.code).toBe(-32603)
      expect(received).toEqual([])
    }).pipe(Effect.provide(serverLayer)))
})
