/**
 * `Tool.formatIssues`, the text of every "Invalid arguments" / "Invalid
 * params" error, and `McpError.preview`: Schema's wording, bounded in size
 * whatever the client sent, and never a throw.
 */
import { describe, expect, it } from "@effect/vitest"
import { McpError, Tool } from "@emcee/core"
import { Effect, Either, ParseResult, Schema } from "effect"
import fc from "fast-check"

/** What `formatIssues` was: Schema's ArrayFormatter, unbounded (less the noise of optional fields, below). */
const arrayFormatter = (error: ParseResult.ParseError): ReadonlyArray<string> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
    issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
  )

const issuesOf = <A, I>(schema: Schema.Schema<A, I>, value: unknown): ParseResult.ParseError | undefined => {
  const decoded = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(value)
  return Either.isLeft(decoded) ? decoded.left : undefined
}

const schemas = [
  Schema.Struct({ text: Schema.String }),
  Schema.Struct({ a: Schema.Number, b: Schema.optional(Schema.Boolean), c: Schema.Array(Schema.Int) }),
  Schema.Struct({ name: Schema.String.pipe(Schema.minLength(3)), age: Schema.Number.pipe(Schema.int(), Schema.between(0, 150)) }),
  Schema.Struct({ n: Schema.NumberFromString, when: Schema.optional(Schema.DateFromString) }),
  Schema.Struct({ kind: Schema.Literal("a", "b"), value: Schema.Union(Schema.String, Schema.Number) }),
  Schema.Struct({ nested: Schema.Struct({ x: Schema.Number, y: Schema.Tuple(Schema.String, Schema.Number) }) }),
  Schema.Struct({ tags: Schema.Record({ key: Schema.String, value: Schema.String }) }),
  Schema.Struct({
    n: Schema.Number.annotations({ message: () => "n must be a number" }),
    s: Schema.String.annotations({ message: () => ({ message: Effect.succeed("s must be text"), override: true }) }),
    m: Schema.propertySignature(Schema.String).annotations({ missingMessage: () => "m is required" })
  }),
  Schema.Union(Schema.Struct({ type: Schema.Literal("x"), x: Schema.Number }), Schema.Struct({ type: Schema.Literal("y"), y: Schema.String }))
] as ReadonlyArray<Schema.Schema<unknown, unknown>>

describe("Tool.formatIssues: Schema's wording, bounded", () => {
  it("says what Schema's ArrayFormatter says for small inputs (property)", () => {
    const keys = fc.constantFrom("text", "a", "b", "c", "name", "age", "n", "when", "kind", "value", "nested", "tags", "s", "m", "type", "x", "y", "zz")
    const input = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(keys, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }))
    let compared = 0
    fc.assert(
      fc.property(fc.integer({ min: 0, max: schemas.length - 1 }), input, (i, value) => {
        const error = issuesOf(schemas[i]!, value)
        if (error === undefined) return
        const all = arrayFormatter(error)
        // An optional field's `Expected undefined` line is dropped when another member of its union speaks for the path.
        const prefix = (line: string) => line.slice(0, line.indexOf("Expected "))
        const expected = all.filter((line) =>
          !(line.includes("Expected undefined, actual ") && all.some((other) => other !== line && prefix(other) === prefix(line)))
        )
        // Within the bounds, nothing is cut: the same text.
        if (expected.length > 10 || expected.some((line) => line.length > 100)) return
        compared++
        expect(Tool.formatIssues(error)).toBe(expected.join("; "))
      }),
      { numRuns: 2_000 }
    )
    expect(compared).toBeGreaterThan(500)
  })

  it("previews values (100 characters, nesting beyond 3 levels as […] and {…}), cuts lines at 300 characters and stops after 10 issues with a count", () => {
    const schema = Schema.Struct({ n: Schema.Number })
    expect(Tool.formatIssues(issuesOf(schema, { n: { a: [1, { b: { c: 1 } }] } })!)).toBe(
      "n: Expected number, actual {\"a\":[1,{\"b\":{…}}]}"
    )
    expect(Tool.formatIssues(issuesOf(schema, { n: "z".repeat(1_300_000) })!)).toBe(`n: Expected number, actual "${"z".repeat(98)}…`)
    const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`key${i}`, i]))
    const text = Tool.formatIssues(issuesOf(schema, { n: 1, ...many })!)
    expect(text).toMatch(/^key0: is unexpected, expected: "n"; key1: .*; key9: is unexpected, expected: "n"; … and 4990 more issues$/)
    // Long messages: at most 1,500 characters of issues before the count.
    const long = Schema.Struct(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field${i}`, Schema.String.annotations({ message: () => "m".repeat(1_000) })])))
    const cut = Tool.formatIssues(issuesOf(long, {})!)
    expect(cut.length).toBeLessThan(1_600)
    expect(cut).toMatch(/^field0: is missing; .* … and \d+ more issues$/)
    const wordy = Tool.formatIssues(issuesOf(Schema.Struct({ s: Schema.String.annotations({ message: () => "w".repeat(10_000) }) }), { s: 1 })!)
    expect(wordy).toBe(`s: ${"w".repeat(296)}…`)
  })

  it("never recurses over the issue tree: a 100,000-level path formats, shortened", () => {
    let issue: ParseResult.ParseIssue = new ParseResult.Type(Schema.Number.ast, "x")
    for (let i = 0; i < 100_000; i++) issue = new ParseResult.Pointer(i % 2 === 0 ? 0 : "kids", null, issue)
    expect(Tool.formatIssues(new ParseResult.ParseError({ issue }))).toBe(
      "kids.0.kids.0.…(99992 more).kids.0.kids.0: Expected number, actual \"x\""
    )
    let composite: ParseResult.ParseIssue = new ParseResult.Type(Schema.Number.ast, 1)
    for (let i = 0; i < 100_000; i++) composite = new ParseResult.Composite(Schema.Unknown.ast, null, [composite])
    expect(Tool.formatIssues(new ParseResult.ParseError({ issue: composite }))).toBe("Expected number, actual 1")
  })

  it("never throws: a message annotation that throws, or a value whose getter throws, still gets a message", () => {
    const throwing = Schema.Struct({ a: Schema.String.annotations({ message: () => { throw new Error("annotation bug") } }) })
    expect(Tool.formatIssues(issuesOf(throwing, { a: 1 })!)).toBe("a: is invalid")
    const hostile = Object.defineProperty({}, "x", { enumerable: true, get: () => { throw new Error("getter") } })
    expect(Tool.formatIssues(issuesOf(Schema.Struct({ n: Schema.Number }), { n: hostile })!)).toBe("n: Expected number, actual {\"x\":…")
  })
})

describe("McpError.preview and clip", () => {
  it("is at most maxChars characters for any value, and never throws (property)", () => {
    const deep = fc.integer({ min: 0, max: 5_000 }).map((depth) => {
      let v: unknown = "leaf"
      for (let i = 0; i < depth; i++) v = i % 3 === 0 ? [v, v] : { k: v, j: [v] }
      return v
    })
    fc.assert(
      fc.property(fc.oneof(fc.anything(), deep, fc.string({ maxLength: 1_000 })), fc.integer({ min: 2, max: 200 }), (value, max) => {
        expect(McpError.preview(value, max).length).toBeLessThanOrEqual(max)
      }),
      { numRuns: 1_000 }
    )
  })

  it("renders like JSON, shows cycles as depth-limited, and keeps surrogate pairs whole", () => {
    expect(McpError.preview({ a: [1, "two", null, true], b: {} })).toBe("{\"a\":[1,\"two\",null,true],\"b\":{}}")
    const cycle: { [key: string]: unknown } = { a: 1 }
    cycle.self = cycle
    expect(McpError.preview(cycle)).toBe("{\"a\":1,\"self\":{\"a\":1,\"self\":{\"a\":1,\"self\":{…}}}}")
    expect(McpError.preview([undefined, 10n, new Date(0), []])).toBe("[undefined,10n,1970-01-01T00:00:00.000Z,[]]")
    expect(McpError.clip("ab😀cd", 4)).toBe("ab…")
    expect(McpError.clip("abc", 3)).toBe("abc")
  })
})
