// Reference for the stdio mode: the official MCP SDK's McpServer + StdioServerTransport
// (newline-delimited JSON-RPC on stdin/stdout) with the same `echo` tool.
// Nothing but protocol messages may be written to stdout.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import * as z from "zod/v4"

const server = new McpServer({ name: "sdk-stdio-bench", version: "0.0.0" }, { capabilities: { tools: {} } })
server.registerTool(
  "echo",
  { description: "Echo the input text", inputSchema: { text: z.string() } },
  async ({ text }) => ({ content: [{ type: "text", text }] })
)
await server.connect(new StdioServerTransport())
