// The servers under test, as data. The runner starts each entry as
//   [taskset -c <server cpu>] <cmd> <...args>      (cwd = repo root, env = process.env + PORT + entry.env)
// and waits for a stdout line `listening <port>`.
//
// needsSession: true  -> the runner requires an `Mcp-Session-Id` header on the initialize
//                        response and sends it (plus MCP-Protocol-Version) on every request;
//               false -> stateless; initialize is still sent once as a smoke check.
// requires:     a file (relative to the repo root) that must exist, otherwise the entry is
//               skipped with a message (used for emcee entries written later).
// optIn:        only run when named in BENCH_SERVERS.
// httpOnly:     a configuration variant of another entry: the sessions mode skips it unless it
//               is named in BENCH_SERVERS.
// expectSpans:  the server exports tracing spans and reports their count as `spans` in
//               GET /__mem; the runner reads it after each round and fails the round if it is 0.
// protocol:     "2026-07-28": requests use the stateless revision (no initialize, no session:
//               `server/discover` as the smoke check, then every tools/call with
//               MCP-Protocol-Version: 2026-07-28, Mcp-Method, Mcp-Name and the per-request
//               `_meta`); default 2025-11-25.
// auth:         "jwt": the server mints its own signing key and one access token, and prints
//               `token <jwt>` on stdout before `listening <port>`; the runner (lib/common.mjs
//               authHeaders) sends `Authorization: Bearer <jwt>` on every request to it, and
//               checks first that a request without it is refused with 401 + a Bearer challenge.

/** @typedef {{ name: string, cmd: string, args: string[], env?: Record<string, string>, needsSession: boolean, requires?: string, optIn?: boolean, httpOnly?: boolean, expectSpans?: boolean, protocol?: string, auth?: "jwt", note?: string }} HttpServerEntry */
/** @typedef {{ name: string, cmd: string, args: string[], env?: Record<string, string>, requires?: string, note?: string }} StdioServerEntry */

/** @type {HttpServerEntry[]} */
export const httpServers = [
  {
    name: "raw-node",
    cmd: "node",
    args: ["--expose-gc", "bench/servers/raw-node.mjs"],
    needsSession: false,
    note: "hand-written node:http JSON-RPC, stateless"
  },
  {
    name: "sdk",
    cmd: "node",
    args: ["--expose-gc", "bench/servers/sdk.mjs"],
    needsSession: true,
    note: "@modelcontextprotocol/sdk McpServer + StreamableHTTPServerTransport, stateful, enableJsonResponse"
  },
  {
    name: "sdk-leakfix",
    cmd: "node",
    args: ["--expose-gc", "bench/servers/sdk.mjs"],
    env: { SDK_LEAK_WORKAROUND: "1" },
    needsSession: true,
    optIn: true,
    note: "same as sdk, plus an external patch for the JSON-mode _streamMapping leak (typescript-sdk#2559)"
  },
  {
    name: "emcee",
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    needsSession: true,
    requires: "bench/servers/emcee.mjs",
    note: "emcee Streamable HTTP, stateful"
  },
  {
    // The same server process as `emcee` (its default configuration, stateful for 2025-11-25):
    // a 2026-07-28 request is served statelessly by it, per request.
    name: "emcee-2026",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    needsSession: false,
    protocol: "2026-07-28",
    requires: "bench/servers/emcee.mjs",
    note: "the emcee server above, called with 2026-07-28 requests: stateless, MCP-Protocol-Version/Mcp-Method/Mcp-Name headers checked against the body, per-request _meta"
  },
  {
    name: "emcee-middleware",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_MIDDLEWARE: "1" },
    needsSession: true,
    requires: "bench/servers/emcee.mjs",
    note: "emcee + one global Middleware.logging (McpServer.register(Middleware.logging, echo))"
  },
  {
    name: "emcee-tracing",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_TRACING: "1" },
    needsSession: true,
    expectSpans: true,
    requires: "bench/servers/emcee.mjs",
    note: "emcee + Tracing.layer with a BatchSpanProcessor over a counting, discarding SpanExporter (no network)"
  },
  {
    name: "emcee-both",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_MIDDLEWARE: "1", EMCEE_TRACING: "1" },
    needsSession: true,
    expectSpans: true,
    requires: "bench/servers/emcee.mjs",
    note: "emcee + Middleware.logging + Tracing.layer (as emcee-middleware and emcee-tracing together)"
  },
  {
    name: "emcee-jwt",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_AUTH: "jwt" },
    needsSession: true,
    auth: "jwt",
    requires: "bench/servers/emcee.mjs",
    note: "emcee + JWT bearer auth: BearerGuard on HttpTransport (ES256 Jwt authenticator, audience = the resource URL; verified once, then from the cache per token) + global Authentication.middleware; every request carries the token"
  },
  {
    name: "emcee-ratelimit",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_RATELIMIT: "1" },
    needsSession: true,
    requires: "bench/servers/emcee.mjs",
    note: "emcee + one global RateLimit.tokenBucket (key byPrincipal, here `anonymous`; 1e9/s, never refuses): the cost of the check"
  },
  {
    name: "emcee-jwt-ratelimit",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_AUTH: "jwt", EMCEE_RATELIMIT: "1" },
    needsSession: true,
    auth: "jwt",
    requires: "bench/servers/emcee.mjs",
    note: "emcee-jwt + the token bucket keyed by the authenticated caller (Authentication.middleware, then RateLimit.tokenBucket)"
  },
  // Opt-in diagnostic rows (for bench/profile.mjs and before/after comparisons): they split
  // the rows above into the general request path and what runs on it.
  {
    name: "emcee-noop-middleware",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_MIDDLEWARE: "noop" },
    needsSession: true,
    optIn: true,
    requires: "bench/servers/emcee.mjs",
    note: "emcee + one global pass-through middleware: the general dispatch path without logging"
  },
  {
    name: "emcee-native-spans",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_TRACING: "native" },
    needsSession: true,
    optIn: true,
    requires: "bench/servers/emcee.mjs",
    note: "emcee with spans forced on (McpServer.layer({ tracing: true })) and Effect's built-in tracer: Effect-side span cost without OpenTelemetry"
  },
  {
    name: "emcee-jwt-guard-only",
    httpOnly: true,
    cmd: "node",
    args: ["--expose-gc", "bench/servers/emcee.mjs"],
    env: { EMCEE_AUTH: "guard" },
    needsSession: true,
    optIn: true,
    auth: "jwt",
    requires: "bench/servers/emcee.mjs",
    note: "emcee-jwt without Authentication.middleware: BearerGuard's per-request check (cached) and the transport carrying its context, alone"
  }
]

/** @type {StdioServerEntry[]} */
export const stdioServers = [
  {
    name: "raw-stdio",
    cmd: "node",
    args: ["bench/servers/raw-stdio.mjs"],
    note: "hand-written newline-delimited JSON-RPC (ceiling of driver + pipe)"
  },
  {
    name: "sdk",
    cmd: "node",
    args: ["bench/servers/sdk-stdio.mjs"],
    note: "@modelcontextprotocol/sdk McpServer + StdioServerTransport"
  },
  {
    name: "emcee",
    cmd: "node",
    args: ["bench/servers/emcee-stdio.mjs"],
    requires: "bench/servers/emcee-stdio.mjs",
    note: "emcee stdio transport"
  }
]
