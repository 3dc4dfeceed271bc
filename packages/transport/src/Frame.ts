/**
 * Reading one frame of a line- or message-based transport: strict UTF-8,
 * then JSON, the way the stdio transport and stdio client read each line. A
 * frame that is not UTF-8 or not JSON becomes the JSON-RPC parse error
 * (-32700) to answer with; a blank frame is ignored.
 *
 * For custom transports, and for test harnesses that feed a server raw bytes
 * the way a transport would (`@emcee/testing/vitest`'s property suites).
 *
 * @example
 * import { Frame } from "@emcee/transport"
 * const frame = Frame.decodeFrame(new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"ping"}'))
 * // "Message": hand `frame.value` to `connection.handle`;
 * // "Error": send `frame.response` back; "Empty": nothing to do.
 *
 * @since 0.1.0
 */
import { JsonRpc } from "@emcee/core"

// `ignoreBOM: false` (the default, spelled out): a UTF-8 byte order mark at the start of a frame is
// dropped, not read as text, so a message behind one parses. stdio relies on it; tested there.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })

/** The outcome of reading one text frame. */
export type Frame =
  | { readonly _tag: "Message"; readonly value: unknown }
  | { readonly _tag: "Error"; readonly response: JsonRpc.Failure }
  | { readonly _tag: "Empty" }

/**
 * Decodes one frame: strict UTF-8 (invalid bytes are a parse error, never
 * replaced; a leading byte order mark is dropped), then JSON. Blank frames
 * are ignored.
 */
export const decodeFrame = (bytes: Uint8Array): Frame => {
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    return { _tag: "Error", response: JsonRpc.parseErrorResponse("the message is not valid UTF-8") }
  }
  return decodeText(text)
}

/** Decodes one frame that is already text. */
export const decodeText = (text: string): Frame => {
  if (text.trim().length === 0) return { _tag: "Empty" }
  const parsed = JsonRpc.parse(text)
  return parsed.ok ? { _tag: "Message", value: parsed.value } : { _tag: "Error", response: parsed.response }
}
