/**
 * `fetch` over `node:http`/`node:https` with keep-alive agents, for the
 * gateway's upstream hop: Node's own `fetch` (undici) costs several times
 * more CPU per request, which a gateway pays on every forwarded call. A
 * JSON response is read whole before it is handed over, at most
 * `maxBodyBytes` (default 16 MiB, as HttpClientTransport's own limit):
 * a larger one (declared, or as it arrives) destroys the response and its
 * socket and rejects with `HttpClientTransport.MessageTooLarge`, which the
 * transport turns into that request's error. An SSE response
 * (`text/event-stream`) streams (HttpClientTransport bounds each event).
 * Aborting the signal destroys the request.
 *
 * @internal
 */
import { HttpClientTransport } from "@emcee/transport"
import * as http from "node:http"
import * as https from "node:https"
import { Readable } from "node:stream"

const headersOf = (init: RequestInit | undefined): Record<string, string> => {
  const given = init?.headers
  if (given === undefined) return {}
  if (given instanceof Headers) {
    const out: Record<string, string> = {}
    given.forEach((value, name) => void (out[name] = value))
    return out
  }
  if (Array.isArray(given)) return Object.fromEntries(given as Array<[string, string]>)
  return given as Record<string, string>
}

const aborted = (signal: AbortSignal) =>
  signal.reason instanceof Error ? signal.reason : Object.assign(new Error("The operation was aborted"), { name: "AbortError" })

/** Options of `make`. */
export interface Options {
  /** The largest JSON (non-SSE) response body read, in bytes; default `HttpClientTransport.DEFAULT_MAX_MESSAGE_BYTES` (16 MiB). */
  readonly maxBodyBytes?: number
}

/** A `fetch` with its own keep-alive agents (one per gateway). */
export const make = (options: Options = {}): typeof globalThis.fetch => {
  const maxBodyBytes = options.maxBodyBytes ?? HttpClientTransport.DEFAULT_MAX_MESSAGE_BYTES
  const agents = {
    "http:": new http.Agent({ keepAlive: true, maxSockets: 256 }),
    "https:": new https.Agent({ keepAlive: true, maxSockets: 256 })
  }
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      const signal = init?.signal ?? undefined
      if (signal?.aborted === true) return reject(aborted(signal))
      const secure = url.protocol === "https:"
      const request = (secure ? https : http).request(url, {
        method: init?.method ?? "GET",
        headers: headersOf(init),
        agent: secure ? agents["https:"] : agents["http:"]
      }, (response) => {
        const headers = new Headers()
        for (const [name, value] of Object.entries(response.headers)) {
          if (Array.isArray(value)) for (const item of value) headers.append(name, item)
          else if (value !== undefined) headers.set(name, value)
        }
        const status = response.statusCode ?? 502
        if ((response.headers["content-type"] ?? "").startsWith("text/event-stream")) {
          resolve(new Response(Readable.toWeb(response) as ReadableStream<Uint8Array>, { status, headers }))
          return
        }
        const tooLarge = () => {
          // The rest is never read: destroying the request destroys the response and its socket (not reused).
          request.destroy()
          reject(
            new HttpClientTransport.MessageTooLarge({
              limit: maxBodyBytes,
              message: `the response body is larger than maxBodyBytes (${maxBodyBytes} bytes); it was not read and its connection was closed`
            })
          )
        }
        const declared = Number(response.headers["content-length"] ?? "")
        if (Number.isFinite(declared) && declared > maxBodyBytes) return tooLarge()
        const chunks: Array<Buffer> = []
        let size = 0
        response.on("data", (chunk: Buffer) => {
          if (size > maxBodyBytes) return
          size += chunk.length
          if (size > maxBodyBytes) {
            chunks.length = 0
            return tooLarge()
          }
          chunks.push(chunk)
        })
        response.on("error", reject)
        response.on("end", () => resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers })))
      })
      request.on("error", reject)
      signal?.addEventListener("abort", () => request.destroy(aborted(signal)), { once: true })
      const body = init?.body
      request.end(typeof body === "string" || body instanceof Uint8Array ? body : undefined)
    })
  return fetch as typeof globalThis.fetch
}
