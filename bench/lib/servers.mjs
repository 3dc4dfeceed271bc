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

/** @typedef {{ name: string, cmd: string, args: string[], env?: Record<string, string>, needsSession: boolean, requires?: string, optIn?: boolean, note?: string }} HttpServerEntry */
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
