/**
 * SpecValidator against the package's own copy of the specification: both
 * revisions load, the 2026-07-28 examples are read and valid, and the
 * method → definition tables name definitions that exist and fit
 * (spec 2026-07-28 basic/index "Messages", "Error Codes").
 */
import { existsSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import * as SpecValidator from "../src/SpecValidator.js"

const v2025 = SpecValidator.fromFile(SpecValidator.schemaPath("2025-11-25"))
const v2026 = SpecValidator.fromFile(SpecValidator.schemaPath("2026-07-28"))
const schema2026 = JSON.parse(readFileSync(SpecValidator.schemaPath("2026-07-28"), "utf8")) as {
  readonly $defs: Record<string, { readonly properties?: Record<string, { readonly const?: unknown; readonly $ref?: string; readonly allOf?: ReadonlyArray<{ readonly properties?: Record<string, { readonly const?: unknown }> }> }>; readonly anyOf?: ReadonlyArray<{ readonly $ref: string }> }>
}
const defs = schema2026.$defs
const refName = (ref: string): string => ref.slice("#/$defs/".length)

describe("SpecValidator loads both revisions (spec basic/index \"JSON Schema Usage\")", () => {
  it("both schema.json files declare draft 2020-12 and list their definitions", () => {
    for (const validator of [v2025, v2026]) {
      expect(validator.dialect).toBe("https://json-schema.org/draft/2020-12/schema")
      expect(validator.definitionNames.length).toBeGreaterThan(100)
    }
    expect(v2026.definitionNames).toEqual(expect.arrayContaining(["DiscoverResult", "InputRequiredResult", "SubscriptionFilter"]))
    expect(v2025.definitionNames).not.toContain("DiscoverResult")
  })

  it("an unknown definition throws; an invalid value gives ajv's reasons", () => {
    expect(() => v2026.validate("NoSuchDefinition", {})).toThrow(/Unknown schema.json definition/)
    const outcome = v2026.validate("UnsupportedProtocolVersionError", { jsonrpc: "2.0", id: 1, error: { code: -32022, message: "x" } })
    expect(outcome.valid).toBe(false)
    expect(!outcome.valid && outcome.errors).toContain("data")
  })

  it("2026-07-28 Result requires resultType; 2025-11-25 does not (basic/index \"Result Responses\")", () => {
    expect(v2026.validate("Result", {}).valid).toBe(false)
    expect(v2026.validate("Result", { resultType: "complete" }).valid).toBe(true)
    expect(v2025.validate("Result", {}).valid).toBe(true)
  })

  it("the uri and byte formats are checked (schema.json `format`)", () => {
    const contents = (uri: string, blob: string) => ({ uri, blob })
    expect(v2026.validate("BlobResourceContents", contents("file:///logo.png", "iVBORw==")).valid).toBe(true)
    expect(v2026.validate("BlobResourceContents", contents("not a uri", "iVBORw==")).valid).toBe(false)
    expect(v2026.validate("BlobResourceContents", contents("file:///logo.png", "*** not base64 ***")).valid).toBe(false)
  })
})

describe("SpecValidator.examples (spec 2026-07-28 examples/)", () => {
  const examples = SpecValidator.examples("2026-07-28")

  it("reads every example, sorted, each under a definition schema.json has", () => {
    expect(existsSync(SpecValidator.examplesPath("2026-07-28"))).toBe(true)
    expect(examples.length).toBeGreaterThan(100)
    const keys = examples.map((e) => `${e.definition}/${e.file}`)
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    expect(examples.every((e) => e.file.endsWith(".json"))).toBe(true)
    expect([...new Set(examples.map((e) => e.definition))].filter((d) => !v2026.definitionNames.includes(d))).toEqual([])
  })

  it("every example is valid against its definition", () => {
    const invalid = examples.flatMap((e) => {
      const outcome = v2026.validate(e.definition, e.value)
      return outcome.valid ? [] : [`${e.definition}/${e.file}: ${outcome.errors}`]
    })
    expect(invalid).toEqual([])
  })

  it("a revision without examples yields none", () => {
    expect(SpecValidator.examples("2025-11-25")).toEqual([])
  })
})

describe("Which definition judges each 2026-07-28 response (spec 2026-07-28 basic/index \"Messages\")", () => {
  it("every ClientRequest method has its *ResultResponse, whose result is that method's result", () => {
    const methods = defs["ClientRequest"]!.anyOf!.map((r) => defs[refName(r.$ref)]!.properties!["method"]!.const as string)
    expect(Object.keys(SpecValidator.resultResponseDefinitions20260728).sort()).toEqual([...methods].sort())
    for (const [method, definition] of Object.entries(SpecValidator.resultResponseDefinitions20260728)) {
      expect(v2026.definitionNames, method).toContain(definition)
      // `DiscoverResultResponse` wraps `DiscoverResult`, and so on.
      expect(JSON.stringify(defs[definition]!.properties!["result"]), method).toContain(`#/$defs/${definition.replace(/Response$/, "")}`)
    }
  })

  it("each error code maps to the definition that fixes that code", () => {
    for (const [code, definition] of Object.entries(SpecValidator.errorDefinitions20260728)) {
      expect(defs[definition]!.properties!["code"]!.const).toBe(Number(code))
    }
    for (const [code, definition] of Object.entries(SpecValidator.errorResponseDefinitions20260728)) {
      const fixed = defs[definition]!.properties!["error"]!.allOf!.map((part) => part.properties?.["code"]?.const).find((c) => c !== undefined)
      expect(fixed).toBe(Number(code))
    }
  })
})
