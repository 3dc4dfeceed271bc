/**
 * The 2025-11-25 method table (issue 7 item 3): one entry per client request
 * of the spec, params decoded by their Schema before any handler runs, and
 * the fast checks of the hot methods agreeing with Schema on any input.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import fc from "fast-check"
import * as Protocol20251125 from "../src/internal/protocol20251125.js"
import * as SubscribedUris from "../src/internal/subscribedUris.js"
import * as SpecValidator from "@emcee/testing/SpecValidator"
import { readFileSync } from "node:fs"

const table = Protocol20251125.make({
  tools: new Map(),
  resources: new Map(),
  templates: new Map(),
  prompts: new Map(),
  global: () => ({ context: undefined as never, middleware: [], span: undefined, tool: undefined }),
  capabilities: () => ({}),
  serverInfo: { name: "t", version: "1" },
  instructions: undefined,
  page: () => Effect.succeed({}),
  subscribed: Effect.runSync(Effect.scoped(SubscribedUris.make)),
  maxSubscriptions: 10_000
})

const clientRequests = (): ReadonlyArray<string> => {
  const schema = JSON.parse(readFileSync(SpecValidator.schemaPath("2025-11-25"), "utf8")) as { readonly $defs: Record<string, { anyOf?: ReadonlyArray<{ $ref: string }>; properties?: { method?: { const?: string } } }> }
  return schema.$defs.ClientRequest!.anyOf!.map((ref) => schema.$defs[ref.$ref.replace("#/$defs/", "")]!.properties!.method!.const!)
}

describe("The 2025-11-25 method table", () => {
  it("has an entry for every client request of schema.json but the optional tasks utility (basic/utilities/tasks)", () => {
    const methods = clientRequests()
    expect([...table.keys()].sort()).toEqual(methods.filter((m) => !m.startsWith("tasks/")).sort())
    for (const entry of table.values()) {
      expect(Schema.isSchema(entry.params)).toBe(true)
      expect(Schema.isSchema(entry.result)).toBe(true)
    }
  })

  it("decodes params with their Schema: the fast checks accept exactly what Schema accepts, and change nothing (property)", () => {
    const key = fc.constantFrom("name", "arguments", "cursor", "uri", "_meta", "task", "level", "ref", "argument", "protocolVersion", "x")
    const meta = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 1 }),
      fc.record({ progressToken: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.boolean()) }, { requiredKeys: [] })
    )
    const params = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      fc.record({
        name: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
        arguments: fc.oneof(fc.constant(undefined), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), fc.jsonValue({ maxDepth: 1 })),
        cursor: fc.oneof(fc.constant(undefined), fc.string(), fc.integer()),
        _meta: meta
      }, { requiredKeys: [] })
    )
    let accepted = 0
    fc.assert(
      fc.property(fc.constantFrom(...table.keys()), params, (method, value) => {
        const entry = table.get(method)!
        const bySchema = Schema.decodeUnknownEither(entry.params as Schema.Schema<unknown, unknown>, { errors: "all" })(value)
        const byEntry = entry.decode(value)
        expect(Either.isRight(byEntry)).toBe(Either.isRight(bySchema))
        if (Either.isRight(byEntry) && Either.isRight(bySchema)) {
          accepted++
          expect(byEntry.right).toEqual(bySchema.right)
        }
      }),
      { numRuns: 1_000 }
    )
    expect(accepted).toBeGreaterThan(50)
  })

  it("words a refusal with the method and the path (-32602 before any handler runs)", () => {
    const callTool = table.get("tools/call")!
    expect(callTool.decode({ name: 1 })).toEqual(Either.left("Invalid tools/call params: name: Expected string, actual 1"))
    expect(callTool.decode({ name: "x", arguments: [1] })).toEqual(
      Either.left("Invalid tools/call params: arguments: Expected JsonObject, actual [1]")
    )
    expect(table.get("logging/setLevel")!.decode({ level: "loud" })._tag).toBe("Left")
  })
})
