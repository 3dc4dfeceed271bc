/**
 * Request bodies: the errors a body read answers with, and the bytes of a
 * body read in chunks joined and decoded as UTF-8. No Node.js imports: the
 * web-standard handler uses it too.
 */

/** Why a body could not be read. */
export interface BodyError {
  readonly status: number
  readonly code: number
  readonly message: string
}

/** 413: the body is larger than `maxBytes`. */
export const tooLarge = (maxBytes: number): BodyError => ({
  status: 413,
  code: -32000,
  message: `Payload Too Large: the limit is ${maxBytes} bytes`
})

/** 400 + -32700: the bytes are not UTF-8 (spec basic/transports: JSON-RPC messages are UTF-8). */
export const notUtf8: BodyError = { status: 400, code: -32700, message: "Parse error: the body is not valid UTF-8" }

/** 400: the body stream failed. */
export const unreadable: BodyError = { status: 400, code: -32000, message: "Bad Request: the body could not be read" }

/** `chunks` (`size` bytes in all) joined and decoded as UTF-8, or `notUtf8`. */
export const decodeUtf8 = (chunks: ReadonlyArray<Uint8Array>, size: number): string | BodyError => {
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch {
    return notUtf8
  }
}
