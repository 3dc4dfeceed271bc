// Shared helpers for the bench servers only (not part of any MCP protocol surface).
//
// GET /__mem answers with a JSON memory snapshot taken right after a forced full GC
// (servers are started with `node --expose-gc`), so the runner can compute the
// retained bytes per idle session.

/** Force a full GC (twice, so objects freed by finalizers are also collected) when exposed. */
export const forceGc = () => {
  if (typeof globalThis.gc === "function") {
    globalThis.gc()
    globalThis.gc()
    return true
  }
  return false
}

/**
 * Memory snapshot after a forced GC.
 * @param {Record<string, unknown>} [extra] e.g. `{ sessions: map.size }`
 */
export const memSnapshot = (extra = {}) => {
  const gc = forceGc()
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { gc, rss, heapTotal, heapUsed, external, arrayBuffers, ...extra }
}

/**
 * Write a memory snapshot as the HTTP response.
 * @param {import("node:http").ServerResponse} res
 * @param {Record<string, unknown>} [extra]
 */
export const sendMem = (res, extra) => {
  const body = JSON.stringify(memSnapshot(extra))
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

/** Port from env PORT (required: the runner always passes one). */
export const portFromEnv = () => {
  const port = Number(process.env.PORT)
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error(`PORT env var must be a TCP port, got ${JSON.stringify(process.env.PORT)}`)
    process.exit(2)
  }
  return port
}

/** Read the whole request body as a UTF-8 string. */
export const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = []
    req.on("data", (c) => chunks.push(c))
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })
