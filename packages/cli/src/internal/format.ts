/**
 * Text for people: aligned tables cut to the terminal width, content blocks
 * (spec server/tools "Tool Result"), resource contents and prompt messages.
 *
 * @internal
 */
import type { McpSchema } from "@emcee/core"

/** The width to fit: the terminal's, or 80 when stdout is not a terminal. */
export const width = (): number => (process.stdout.isTTY === true && process.stdout.columns > 20 ? process.stdout.columns : 80)

/** One line: newlines folded to spaces. */
export const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim()

const truncate = (text: string, max: number): string => (text.length <= max ? text : max <= 1 ? text.slice(0, max) : `${text.slice(0, max - 1)}…`)

/**
 * An aligned table: every column but the last padded to its widest cell
 * (at most 40 characters), each row cut to `maxWidth`.
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, maxWidth: number = width()): string => {
  const all = [header, ...rows].map((row) => row.map(oneLine))
  const widths = header.map((_, i) => Math.min(40, Math.max(...all.map((row) => (row[i] ?? "").length))))
  return all
    .map((row) =>
      truncate(
        row.map((cell, i) => (i === row.length - 1 ? cell : truncate(cell, widths[i]!).padEnd(widths[i]!))).join("  ").trimEnd(),
        maxWidth
      )
    )
    .join("\n")
}

/** Bytes of base64 data. */
export const base64Bytes = (data: string): number => Buffer.byteLength(data, "base64")

/** Whether resource contents are binary (`blob`, spec server/resources "Binary Content"). */
export const isBlob = (contents: McpSchema.TextResourceContents | McpSchema.BlobResourceContents): contents is McpSchema.BlobResourceContents =>
  typeof (contents as { readonly blob?: unknown }).blob === "string"

/** A blob or a resource's contents in one line or as text. */
export const resourceContents = (contents: McpSchema.TextResourceContents | McpSchema.BlobResourceContents): string =>
  isBlob(contents)
    ? `[${contents.mimeType ?? "application/octet-stream"} ${base64Bytes(contents.blob)} bytes] ${contents.uri}`
    : (contents as McpSchema.TextResourceContents).text

/** One content block for people: text as is, media as `[mime bytes]`, links and embedded resources by URI. */
export const contentBlock = (block: McpSchema.ContentBlock): string => {
  switch (block.type) {
    case "text":
      return block.text
    case "image":
    case "audio":
      return `[${block.mimeType} ${base64Bytes(block.data)} bytes]`
    case "resource_link":
      return `[resource link] ${block.uri}${block.name === block.uri ? "" : ` (${block.name})`}${block.mimeType === undefined ? "" : ` ${block.mimeType}`}`
    case "resource":
      return isBlob(block.resource)
        ? `[resource ${block.resource.uri}] ${resourceContents(block.resource)}`
        : `[resource ${block.resource.uri}${block.resource.mimeType === undefined ? "" : ` ${block.resource.mimeType}`}]\n${resourceContents(block.resource)}`
    default:
      return JSON.stringify(block)
  }
}

/** A tool result for people: its content blocks, then `structuredContent` as pretty JSON. */
export const callResult = (result: McpSchema.CallToolResult): string =>
  [
    ...result.content.map(contentBlock),
    ...(result.structuredContent === undefined ? [] : [`structuredContent:\n${JSON.stringify(result.structuredContent, null, 2)}`])
  ].join("\n")

/** A prompt's messages for people, each under its role (spec server/prompts "PromptMessage"). */
export const promptResult = (result: McpSchema.GetPromptResult): string =>
  [
    ...(result.description === undefined ? [] : [result.description, ""]),
    ...result.messages.map((m) => `[${m.role}]\n${contentBlock(m.content)}`)
  ].join("\n")

/** `name: value` lines for the fields that are set. */
export const fields = (entries: ReadonlyArray<readonly [string, unknown]>): Array<string> =>
  entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)

/** A JSON value, pretty and indented under a heading. */
export const jsonSection = (title: string, value: unknown): Array<string> =>
  value === undefined ? [] : [`${title}:`, ...JSON.stringify(value, null, 2).split("\n").map((l) => `  ${l}`)]
