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
