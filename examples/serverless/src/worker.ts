/**
 * The serverless example as a web-standard `fetch` handler: the entry of a
 * Cloudflare Worker (`export default { fetch }`), and of any platform that
 * takes a module exporting one (Deno `deno serve`, Bun, Vercel/Netlify edge
 * functions). Requests to the MCP endpoint, `/mcp`, are served by
 * `WebHandler`; others get 404.
 *
 * The handler is built on the first request and lives as long as the
 * isolate: MCP 2026-07-28 requests are each complete on their own, and
 * 2025-11-25 clients are served without sessions (spec 2025-11-25
 * basic/transports "Session Management" lets a server skip them).
 *
 * @since 0.1.0
 */
import * as WebHandler from "@emcee/transport/WebHandler"
import { App } from "./server.js"

const mcp = WebHandler.toHandler(App)

/** The MCP endpoint's path. */
const PATH = "/mcp"

/**
 * The module's one export: the Workers runtime takes every named export for
 * an entrypoint, so the handler is only `default.fetch`.
 */
export default {
  /** Serves `/mcp`; anything else is 404. */
  fetch: (request: Request): Promise<Response> =>
    new URL(request.url).pathname === PATH
      ? mcp.handler(request)
      : Promise.resolve(new Response("Not Found", { status: 404 }))
}
