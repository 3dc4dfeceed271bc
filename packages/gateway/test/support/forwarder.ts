/**
 * A plain HTTP forwarder in front of a backend, for tests that must see or
 * change what passes between the gateway and it: each request body goes to
 * `onRequest`, then to the backend (with the backend's own Host: it checks
 * it, DNS rebinding protection); the answer comes back as it came, unless
 * `rewrite` returns a function for that request's body, which then gets the
 * whole answer and returns what is sent instead. Closing a response closes
 * its upstream request (a cancelled call, a closed stream).
 */
import * as http from "node:http"

export interface Forwarder {
  readonly url: string
  readonly close: () => Promise<void>
}

export interface Options {
  readonly onRequest?: (body: Buffer) => void
  readonly rewrite?: (body: Buffer) => ((answer: Buffer) => Buffer) | undefined
}

export const forwarder = (target: string, options: Options = {}): Promise<Forwarder> => {
  const server = http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const body = Buffer.concat(chunks)
      options.onRequest?.(body)
      const rewrite = options.rewrite?.(body)
      const upstream = http.request(target, { method: request.method, headers: { ...request.headers, host: new URL(target).host } }, (answer) => {
        if (rewrite === undefined) {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
          return
        }
        const parts: Array<Buffer> = []
        answer.on("data", (chunk: Buffer) => parts.push(chunk))
        answer.on("end", () => {
          const out = rewrite(Buffer.concat(parts))
          const headers = { ...answer.headers, "content-length": String(out.length) }
          delete headers["transfer-encoding"]
          response.writeHead(answer.statusCode ?? 502, headers).end(out)
        })
      })
      upstream.on("error", () => response.destroy())
      response.on("close", () => upstream.destroy())
      upstream.end(body)
    })
  })
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { readonly port: number }
      resolve({
        url: `http://127.0.0.1:${port}${new URL(target).pathname}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  )
}
