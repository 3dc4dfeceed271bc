/**
 * Tools whose parameters are mirrored into HTTP headers (spec 2026-07-28
 * server/tools "x-mcp-header"; basic/transports/streamable-http "Custom
 * Headers from Tool Parameters"), with the names and input schemas of the
 * conformance suite's SEP-2243 scenarios:
 *
 * - `test_custom_headers`: string, integer and boolean parameters with
 *   `x-mcp-header` (among them `Method`, which becomes `Mcp-Param-Method`, not
 *   `Mcp-Method`), an unannotated `number` and an unannotated string. The
 *   `http-custom-header-server-validation` scenario calls the first listed
 *   tool with an annotation, filling its required parameters, and expects
 *   Base64 header values decoded, plain ones taken literally, and a missing
 *   or undecodable header refused with 400 / -32020.
 * - `test_custom_headers_null`: a nullable boolean parameter; a `null` value
 *   has no header.
 *
 * Each answers with the arguments it was given, as JSON text. The HTTP
 * transport checks the headers before the tool runs; over stdio there are
 * none to check.
 *
 * @since 0.1.0
 */
import { McpServer, Tool } from "@emcee/core"
import { Effect, type Layer, Schema } from "effect"

/** A string parameter mirrored into `Mcp-Param-{header}`. */
const headerString = (header: string, description: string) =>
  Schema.String.annotations({ description, jsonSchema: { "x-mcp-header": header } })

/** An integer parameter mirrored into a header: `Schema.Int` alone says `"type": "number"`, which may not carry one. */
const headerInteger = (header: string, description: string) =>
  Schema.Int.annotations({ description, jsonSchema: { type: "integer", "x-mcp-header": header } })

/** A boolean parameter mirrored into a header (`true` / `false`). */
const headerBoolean = (header: string, description: string) =>
  Schema.Boolean.annotations({ description, jsonSchema: { "x-mcp-header": header } })

const echoArguments = (args: unknown) => Effect.succeed(`Custom headers test completed: ${JSON.stringify(args)}`)

/** `test_custom_headers`: every kind of mirrored value, as in the conformance suite's `http-custom-headers` scenario. */
export const testCustomHeaders = Tool.make("test_custom_headers", {
  description: "A tool with x-mcp-header annotations to test custom header mirroring and encoding",
  input: Schema.Struct({
    region: headerString("Region", "Plain ASCII string value"),
    priority: headerInteger("Priority", "Integer numeric value"),
    verbose: Schema.optional(headerBoolean("Verbose", "Boolean value")),
    debug: Schema.optional(headerBoolean("Debug", "Boolean true value")),
    empty_val: Schema.optional(headerString("EmptyVal", "Empty string value")),
    method_val: Schema.optional(
      headerString("Method", "Value for header named \"Method\": it becomes Mcp-Param-Method, not Mcp-Method")
    ),
    float_val: Schema.optional(
      Schema.Number.annotations({ description: "Floating point value: no x-mcp-header annotation, not mirrored" })
    ),
    non_ascii_val: Schema.optional(headerString("NonAscii", "Non-ASCII string value: Base64 encoded")),
    whitespace_val: Schema.optional(headerString("Whitespace", "Leading and trailing whitespace: Base64 encoded")),
    leading_space_val: Schema.optional(headerString("LeadingSpace", "Leading space: Base64 encoded")),
    trailing_space_val: Schema.optional(headerString("TrailingSpace", "Trailing space: Base64 encoded")),
    internal_space_val: Schema.optional(headerString("InternalSpace", "Internal spaces only: plain ASCII")),
    control_char_val: Schema.optional(headerString("ControlChar", "Control characters: Base64 encoded")),
    crlf_val: Schema.optional(headerString("CrLf", "Carriage return and line feed: Base64 encoded")),
    tab_val: Schema.optional(headerString("Tab", "Leading tab: Base64 encoded")),
    query: Schema.String.annotations({ description: "No x-mcp-header annotation: not mirrored" })
  }),
  handler: echoArguments
})

/** `test_custom_headers_null`: `verbose` may be null, and then has no header. */
export const testCustomHeadersNull = Tool.make("test_custom_headers_null", {
  description: "A tool for testing null/omitted x-mcp-header parameter handling",
  input: Schema.Struct({
    region: headerString("Region", "Plain ASCII string value"),
    priority: headerInteger("Priority", "Integer numeric value"),
    // The annotation replaces the union's `anyOf`, so it names the type itself.
    verbose: Schema.optional(
      Schema.NullOr(Schema.Boolean).annotations({
        description: "Boolean value, or null to omit its header",
        jsonSchema: { type: ["boolean", "null"], "x-mcp-header": "Verbose" }
      })
    ),
    query: Schema.String.annotations({ description: "No x-mcp-header annotation" })
  }),
  handler: echoArguments
})

/** The custom-header tools, in the order they should be listed. */
export const customHeaderTools = [testCustomHeaders, testCustomHeadersNull] as const

/** Registers the custom-header tools. */
export const CustomHeaders: Layer.Layer<never, never, McpServer.McpServer> = McpServer.register(...customHeaderTools)
