/**
 * Custom headers from tool parameters (spec 2026-07-28 server/tools
 * "x-mcp-header"; basic/transports/streamable-http "Custom Headers from Tool
 * Parameters", "Value Encoding", "Server Behavior for Custom Headers",
 * "Server Validation"): `Tool.make` refuses annotations that break the
 * rules, and a 2026-07-28 `tools/call` over Streamable HTTP whose
 * `Mcp-Param-{Name}` headers are missing, superfluous, malformed or
 * different from the arguments is refused with 400 / -32020 before the tool
 * runs; over the stateless handler (`WebHandler`) as over `HttpTransport`.
 */
import { McpServer, Tool } from "@emcee/core"
import { Effect, Layer, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as WebHandler from "../src/WebHandler.js"
import { call, echo, openSession, post, start, type Started } from "./fixtures/httpApp.js"

const VERSION = "2026-07-28"
const meta = { "io.modelcontextprotocol/protocolVersion": VERSION, "io.modelcontextprotocol/clientCapabilities": {} }

const header = (name: string) => ({ jsonSchema: { "x-mcp-header": name } })
const b64 = (text: string) => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`

/** How many times the `sql` handler ran: a refused request must not reach it. */
let sqlCalls = 0

const sql = Tool.make("sql", {
  input: Schema.Struct({
    region: Schema.String.annotations(header("Region")),
    priority: Schema.optional(Schema.Int.annotations({ jsonSchema: { type: "integer", "x-mcp-header": "Priority" } })),
    dry: Schema.optional(Schema.Boolean.annotations(header("Dry-Run"))),
    note: Schema.optional(Schema.NullOr(Schema.String).annotations({ jsonSchema: { type: ["string", "null"], "x-mcp-header": "Note" } })),
    scope: Schema.optional(Schema.Struct({ tenant: Schema.String.annotations(header("Tenant")) })),
    constructor: Schema.optional(Schema.String.annotations(header("Ctor"))),
    query: Schema.String
  }),
  handler: (args) =>
    Effect.sync(() => {
      sqlCalls++
      return JSON.stringify(args)
    })
})

const App = McpServer.register(echo, sql).pipe(Layer.provideMerge(McpServer.layer({ name: "custom-headers-test", version: "1.0.0" })))

const modern = (id: number, name: string, args: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args, _meta: meta }
})

const headersFor = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
  "mcp-protocol-version": VERSION,
  "mcp-method": "tools/call",
  "mcp-name": name,
  ...extra
})

describe("x-mcp-header at registration (spec 2026-07-28 server/tools \"x-mcp-header\")", () => {
  const make = (input: Tool.InputSchema) => () => Tool.make("bad_tool", { input, handler: () => Effect.succeed("") })

  it("derives the annotation from an Effect Schema field and lists the parameters with their property paths", () => {
    const schema = sql.definition.inputSchema as { properties: Record<string, Record<string, unknown>> }
    expect(schema.properties.region).toEqual({ type: "string", "x-mcp-header": "Region" })
    expect(schema.properties.priority).toMatchObject({ type: "integer", "x-mcp-header": "Priority" })
    expect(schema.properties.note).toMatchObject({ type: ["string", "null"], "x-mcp-header": "Note" })
    expect(Tool.headerParameters(sql.definition)).toEqual([
      { name: "Region", header: "mcp-param-region", path: ["region"], type: "string" },
      { name: "Priority", header: "mcp-param-priority", path: ["priority"], type: "integer" },
      { name: "Dry-Run", header: "mcp-param-dry-run", path: ["dry"], type: "boolean" },
      { name: "Note", header: "mcp-param-note", path: ["note"], type: "string" },
      { name: "Tenant", header: "mcp-param-tenant", path: ["scope", "tenant"], type: "string" },
      { name: "Ctor", header: "mcp-param-ctor", path: ["constructor"], type: "string" }
    ])
    expect(Tool.headerParameters(echo.definition)).toEqual([])
  })

  it.each([
    ["an empty name", { v: Schema.String.annotations(header("")) }, /property "v" is empty/],
    ["a space", { v: Schema.String.annotations(header("My Region")) }, /property "v" is "My Region", not an HTTP field-name token/],
    ["a colon", { v: Schema.String.annotations(header("Region:Primary")) }, /property "v" .*not an HTTP field-name token/],
    ["a non-ASCII character", { v: Schema.String.annotations(header("Région")) }, /not an HTTP field-name token/],
    ["a control character", { v: Schema.String.annotations(header("Region\t1")) }, /not an HTTP field-name token/],
    ["CR LF", { v: Schema.String.annotations(header("A\r\nB")) }, /not an HTTP field-name token/],
    ["type number", { v: Schema.Number.annotations(header("Score")) }, /property "v": its type is "number".*declare "integer"/],
    ["Schema.Int (derives number)", { v: Schema.Int.annotations(header("N")) }, /its type is "number"/],
    ["type object", { v: Schema.Struct({ a: Schema.String }).annotations(header("Data")) }, /its type is "object"/],
    ["type array", { v: Schema.Array(Schema.String).annotations(header("Items")) }, /its type is "array"/],
    ["type null", { v: Schema.Null.annotations(header("Nil")) }, /its type is "null"/],
    ["no type (a union)", { v: Schema.Union(Schema.String, Schema.Number).annotations(header("U")) }, /declares no "type"/],
    ["the same name twice", { a: Schema.String.annotations(header("Region")), b: Schema.String.annotations(header("Region")) }, /"Region" of property "b" is also used by property "a"/],
    ["names equal but for case", { a: Schema.String.annotations(header("MyField")), b: Schema.String.annotations(header("myfield")) }, /case-insensitively/],
    ["a name that is not a string", { v: Schema.String.annotations({ jsonSchema: { "x-mcp-header": 1 } }) }, /property "v" must be a string/],
    ["a property inside an array", { list: Schema.Array(Schema.Struct({ r: Schema.String.annotations(header("R")) })) }, /"\/properties\/list\/items\/properties\/r" is not statically reachable/],
    ["a property inside a union", { u: Schema.Union(Schema.Struct({ r: Schema.String.annotations(header("R")) }), Schema.Null) }, /\/properties\/u\/anyOf\/0\/properties\/r" is not statically reachable/],
    [
      "a property behind $ref",
      { a: Schema.Struct({ r: Schema.String.annotations(header("R")) }).annotations({ identifier: "Inner" }) },
      /"\/\$defs\/Inner\/properties\/r" is not statically reachable/
    ]
  ] as ReadonlyArray<readonly [string, Schema.Struct.Fields, RegExp]>)("throws naming the tool and the property for %s", (_what, fields, message) => {
    // The table's fields are typed loosely (any context); none of them needs a service.
    const input = Schema.Struct(fields) as unknown as Tool.InputSchema
    expect(make(input)).toThrow(/^Tool "bad_tool": /)
    expect(make(input)).toThrow(message)
  })

  it("refuses an annotation on the schema root, and reports every problem at once", () => {
    const root = Schema.Struct({ a: Schema.String }).annotations(header("Root"))
    expect(make(root)).toThrow(/on the schema root/)
    const two = Schema.Struct({ a: Schema.Number.annotations(header("A")), b: Schema.String.annotations(header("")) })
    expect(make(two)).toThrow(/property "a".*; .*property "b" is empty/)
  })

  it("takes a property named x-mcp-header, or the text in a description or default, for what it is: not an annotation", () => {
    const tool = Tool.make("fine", {
      input: Schema.Struct({
        "x-mcp-header": Schema.String,
        d: Schema.String.annotations({ description: "\"x-mcp-header\": \"Nope\"", examples: ["x-mcp-header"] })
      }),
      handler: () => Effect.succeed("")
    })
    expect(Tool.headerParameters(tool.definition)).toEqual([])
    expect(Tool.headerProblems({ type: "object", properties: { a: { type: "string", const: { "x-mcp-header": 1 } } } })).toEqual([])
    expect(Tool.headerProblems({ type: "object", properties: { a: { type: "string", "x-mcp-header": "A" } } })).toEqual([])
  })
})

/** The server-side checks, over any endpoint that takes a body and headers. */
const serverBehaviour = (send: (body: unknown, headers: Record<string, string>) => Promise<Response>) => {
  const accepted = async (id: number, args: Record<string, unknown>, extra: Record<string, string>) => {
    const res = await send(modern(id, "sql", args), headersFor("sql", extra))
    const body = await res.json()
    expect({ status: res.status, body }).toMatchObject({ status: 200, body: { id, result: { content: [{ type: "text" }] } } })
    expect(body.result.isError).toBeUndefined()
    return JSON.parse(body.result.content[0].text) as Record<string, unknown>
  }

  const refused = async (id: number, args: Record<string, unknown>, extra: Record<string, string>, message: RegExp) => {
    const before = sqlCalls
    const res = await send(modern(id, "sql", args), headersFor("sql", extra))
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body).toMatchObject({ jsonrpc: "2.0", id, error: { code: -32020 } })
    expect(body.error.message).toMatch(/^Header mismatch: /)
    expect(body.error.message).toMatch(message)
    expect(sqlCalls).toBe(before)
  }

  it("accepts headers that match the arguments: plain, Base64 (decoded), header names in any case (\"Value Encoding\", \"Case Sensitivity\")", async () => {
    expect(await accepted(1, { region: "us-west1", query: "q" }, { "mcp-param-region": "us-west1" })).toEqual({ region: "us-west1", query: "q" })
    await accepted(2, { region: "Hello, 世界", query: "q" }, { "Mcp-Param-Region": b64("Hello, 世界") })
    await accepted(3, { region: " padded ", query: "q" }, { "MCP-PARAM-REGION": b64(" padded ") })
    await accepted(4, { region: "line1\nline2", query: "q" }, { "mcp-param-region": b64("line1\nline2") })
    // A value that looks like the sentinel is itself encoded.
    await accepted(5, { region: "=?base64?literal?=", query: "q" }, { "mcp-param-region": b64("=?base64?literal?=") })
    await accepted(6, { region: "", query: "q" }, { "mcp-param-region": "" })
  })

  it("takes a value without the whole =?base64?…?= wrapper literally (conformance ServerLiteralMissingBase64Prefix/Suffix)", async () => {
    const hello = Buffer.from("Hello").toString("base64")
    await accepted(10, { region: hello, query: "q" }, { "mcp-param-region": hello })
    await accepted(11, { region: `=?base64?${hello}`, query: "q" }, { "mcp-param-region": `=?base64?${hello}` })
    await accepted(12, { region: `${hello}?=`, query: "q" }, { "mcp-param-region": `${hello}?=` })
  })

  it("compares integers numerically and booleans as true/false (\"Server Validation\", \"Value Encoding\")", async () => {
    const base = { region: "r", query: "q" }
    const regionHeader = { "mcp-param-region": "r" }
    await accepted(20, { ...base, priority: 42, dry: true }, { ...regionHeader, "mcp-param-priority": "42", "mcp-param-dry-run": "true" })
    await accepted(21, { ...base, priority: 42, dry: false }, { ...regionHeader, "mcp-param-priority": "42.0", "mcp-param-dry-run": "false" })
    await accepted(22, { ...base, priority: -7 }, { ...regionHeader, "mcp-param-priority": "-7" })
    await accepted(23, { ...base, priority: 0 }, { ...regionHeader, "mcp-param-priority": b64("0") })
  })

  it("expects no header for a null or absent value, reads nested properties, ignores Mcp-Param headers it does not know", async () => {
    await accepted(30, { region: "r", note: null, query: "q" }, { "mcp-param-region": "r" })
    await accepted(31, { region: "r", scope: { tenant: "acme" }, query: "q" }, { "mcp-param-region": "r", "mcp-param-tenant": "acme" })
    // `constructor` is an own property or nothing: `{}` has no value at that path.
    await accepted(32, { region: "r", query: "q" }, { "mcp-param-region": "r", "mcp-param-unknown": "whatever" })
    await accepted(33, { region: "r", constructor: "c", query: "q" }, { "mcp-param-region": "r", "mcp-param-ctor": "c" })
  })

  it("refuses a header omitted while the value is in the body, naming the header (\"Server Behavior for Custom Headers\")", async () => {
    await refused(40, { region: "us-west1", query: "q" }, {}, /the Mcp-Param-Region header is required: the body has a value at arguments\.region/)
    await refused(41, { region: "r", scope: { tenant: "acme" }, query: "q" }, { "mcp-param-region": "r" }, /Mcp-Param-Tenant header is required.*arguments\.scope\.tenant/)
    await refused(42, { region: "r", dry: false, query: "q" }, { "mcp-param-region": "r" }, /Mcp-Param-Dry-Run/)
  })

  it("refuses a header whose value is absent or null in the body", async () => {
    await refused(50, { region: "r", query: "q" }, { "mcp-param-region": "r", "mcp-param-priority": "1" }, /Mcp-Param-Priority header is present but the body has no value at arguments\.priority/)
    await refused(51, { region: "r", note: null, query: "q" }, { "mcp-param-region": "r", "mcp-param-note": "" }, /Mcp-Param-Note header is present/)
    await refused(52, { region: "r", query: "q" }, { "mcp-param-region": "r", "mcp-param-ctor": "c" }, /Mcp-Param-Ctor header is present/)
  })

  it("refuses a header that differs from the body", async () => {
    await refused(60, { region: "us-west1", query: "q" }, { "mcp-param-region": "us-east1" }, /Mcp-Param-Region header value "us-east1" does not match body value "us-west1"/)
    await refused(61, { region: "Hello", query: "q" }, { "mcp-param-region": b64("Hellp") }, /"Hellp" does not match body value "Hello"/)
    // A Base64-looking value without the wrapper is literal, so it does not match its decoding.
    await refused(62, { region: "Hello", query: "q" }, { "mcp-param-region": "SGVsbG8=" }, /does not match/)
    await refused(63, { region: "r", priority: 42, query: "q" }, { "mcp-param-region": "r", "mcp-param-priority": "43" }, /Priority header value "43" does not match body value 42/)
    await refused(64, { region: "r", priority: 42, query: "q" }, { "mcp-param-region": "r", "mcp-param-priority": "42abc" }, /Priority/)
    await refused(65, { region: "r", priority: 42, query: "q" }, { "mcp-param-region": "r", "mcp-param-priority": "0x2A" }, /Priority/)
    await refused(66, { region: "r", dry: true, query: "q" }, { "mcp-param-region": "r", "mcp-param-dry-run": "True" }, /Dry-Run header value "True" does not match body value true/)
    await refused(67, { region: "r", dry: true, query: "q" }, { "mcp-param-region": "r", "mcp-param-dry-run": "1" }, /Dry-Run/)
    await refused(68, { region: "r", scope: { tenant: "a" }, query: "q" }, { "mcp-param-region": "r", "mcp-param-tenant": "b" }, /Tenant/)
    // An object where a header parameter belongs cannot be carried in a header at all.
    await refused(69, { region: { a: 1 }, query: "q" }, { "mcp-param-region": "[object Object]" }, /cannot carry the body value/)
  })

  it("refuses invalid Base64: bad padding, characters outside the alphabet, bytes that are not UTF-8 (conformance ServerRejectsInvalidBase64*)", async () => {
    await refused(70, { region: "Hello", query: "q" }, { "mcp-param-region": "=?base64?SGVsbG8?=" }, /Mcp-Param-Region header value is not a valid header value or Base64 value/)
    await refused(71, { region: "Hello", query: "q" }, { "mcp-param-region": "=?base64?SGVs!!!bG8=?=" }, /not a valid header value or Base64 value/)
    await refused(72, { region: "x", query: "q" }, { "mcp-param-region": `=?base64?${Buffer.from([0xff, 0xfe]).toString("base64")}?=` }, /Base64/)
  })

  it("checks nothing for a tool without annotations, or one that does not exist", async () => {
    const res = await send(modern(80, "echo", { text: "hi" }), headersFor("echo", { "mcp-param-region": "anything" }))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 80, result: { content: [{ text: "hi" }] } })
    const missing = await send(modern(81, "no_such_tool", { region: "r" }), headersFor("no_such_tool"))
    expect(missing.status).not.toBe(400)
    expect(await missing.json()).toMatchObject({ id: 81, error: { code: -32602 } })
  })
}

describe("Mcp-Param headers over HttpTransport (spec 2026-07-28 basic/transports/streamable-http \"Server Behavior for Custom Headers\")", () => {
  let server: Started
  beforeAll(async () => {
    server = await start({}, undefined, App)
  })
  afterAll(() => server.stop())

  serverBehaviour((body, headers) => post(server.url, body, headers))

  it("lists the annotations in tools/list", async () => {
    const res = await post(server.url, { jsonrpc: "2.0", id: 90, method: "tools/list", params: { _meta: meta } }, { "mcp-protocol-version": VERSION, "mcp-method": "tools/list" })
    const body = await res.json()
    const listed = body.result.tools.find((t: { name: string }) => t.name === "sql")
    expect(listed.inputSchema.properties.region["x-mcp-header"]).toBe("Region")
  })

  it("does not apply to 2025-11-25, which has no such headers", async () => {
    const session = await openSession(server.url)
    const res = await post(server.url, call(91, "sql", { region: "r", query: "q" }), { "mcp-session-id": session, "mcp-param-region": "other" })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 91, result: { content: [{ type: "text" }] } })
  })
})

describe("Mcp-Param headers over WebHandler", () => {
  let web: ReturnType<typeof WebHandler.toHandler>
  beforeAll(() => {
    web = WebHandler.toHandler(App)
  })
  afterAll(() => web.dispose())

  serverBehaviour((body, headers) =>
    web.handler(
      new Request("http://edge.example/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        body: JSON.stringify(body)
      })
    )
  )
})
