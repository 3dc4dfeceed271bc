import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { compile } from "../src/internal/uriTemplate.js"

// spec 2025-11-25 server/resources "Resource Templates": URI templates per RFC 6570.
describe("URI templates (RFC 6570) for resource templates", () => {
  it("matches simple expressions and decodes percent-encoded values (RFC 6570 §3.2.2)", () => {
    const t = compile("test://template/{id}/data")
    expect(t.variables).toEqual(["id"])
    expect(t.match("test://template/42/data")).toEqual({ id: "42" })
    expect(t.match("test://template/a%20b/data")).toEqual({ id: "a b" })
    expect(t.match("test://template/a/b/data")).toBeUndefined()
    expect(t.match("test://other/42/data")).toBeUndefined()
  })

  it("lets reserved expansion span slashes (RFC 6570 §3.2.3)", () => {
    const t = compile("file:///{+path}")
    expect(t.match("file:///src/index.ts")).toEqual({ path: "src/index.ts" })
  })

  it("matches path segments and labels (RFC 6570 §3.2.5, §3.2.6)", () => {
    expect(compile("repo://{owner}{/name}").match("repo://effect/effect")).toEqual({ owner: "effect", name: "effect" })
    expect(compile("img://{name}{.ext}").match("img://logo.png")).toEqual({ name: "logo", ext: "png" })
  })

  it("reads query parameters in any order and ignores unknown ones (RFC 6570 §3.2.8)", () => {
    const t = compile("search://items{?q,limit}")
    expect(t.match("search://items?limit=10&q=mcp&x=1")).toEqual({ q: "mcp", limit: "10" })
    expect(t.match("search://items")).toEqual({})
  })

  it("matches a fragment expansion (RFC 6570 §3.2.4)", () => {
    expect(compile("doc://page{#section}").match("doc://page#intro")).toEqual({ section: "intro" })
  })

  it("rejects malformed templates with a message naming the template", () => {
    expect(() => compile("bad://{id")).toThrow(/bad:\/\/\{id/)
    expect(() => compile("bad://{i d}")).toThrow(/Invalid variable name/)
  })

  it("expansion and matching are inverse for simple and path variables (property)", () => {
    const value = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes("\u0000"))
    fc.assert(
      fc.property(value, value, (a, b) => {
        const t = compile("x://{a}/items{/b}")
        const uri = t.expand({ a, b })
        expect(t.match(uri)).toEqual({ a, b })
      }),
      { numRuns: 1000 }
    )
  })
})
