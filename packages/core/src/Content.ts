/**
 * Constructors for content blocks: what tools return and prompts say
 * (spec 2025-11-25 server/tools "Tool Result", server/prompts "Data Types").
 *
 * @example
 * import { Content } from "@emcee/core"
 * const blocks = [Content.text("hello"), Content.image(pngBytes, "image/png")]
 *
 * @since 0.1.0
 */
import type * as McpSchema from "./McpSchema.js"

/** Any content block. */
export type Block = McpSchema.ContentBlock

/** Optional fields every content block may carry. */
export interface Extras {
  readonly annotations?: McpSchema.Annotations
  readonly _meta?: { readonly [key: string]: unknown }
}

const withExtras = <A extends object>(block: A, extras: Extras | undefined): A =>
  extras === undefined ? block : { ...block, ...extras }

/** Base64 of bytes, or the string itself when it is already base64. */
export const base64 = (data: Uint8Array | string): string =>
  typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64")

/** A text block. */
export const text = (text: string, extras?: Extras): McpSchema.TextContent => withExtras({ type: "text" as const, text }, extras)

/** An image block; `data` is bytes or base64 text. */
export const image = (data: Uint8Array | string, mimeType: string, extras?: Extras): McpSchema.ImageContent =>
  withExtras({ type: "image" as const, data: base64(data), mimeType }, extras)

/** An audio block; `data` is bytes or base64 text. */
export const audio = (data: Uint8Array | string, mimeType: string, extras?: Extras): McpSchema.AudioContent =>
  withExtras({ type: "audio" as const, data: base64(data), mimeType }, extras)

/** A link to a resource the client may read or subscribe to. */
export const resourceLink = (
  resource: Omit<McpSchema.ResourceLink, "type">
): McpSchema.ResourceLink => ({ ...resource, type: "resource_link" }) as McpSchema.ResourceLink

/** A resource embedded by value (text or blob contents). */
export const embedded = (
  resource: McpSchema.TextResourceContents | McpSchema.BlobResourceContents,
  extras?: Extras
): McpSchema.EmbeddedResource => withExtras({ type: "resource" as const, resource }, extras)
