// emcee over stdio (newline-delimited JSON-RPC) serving the same `echo` tool as
// bench/servers/emcee.mjs. Imports the BUILT packages (run `npm run build` first).
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Schema } from "effect"
import { McpServer, Tool } from "../../packages/core/dist/index.js"
import { StdioTransport } from "../../packages/transport/dist/index.js"

const echo = Tool.make("echo", {
  description: "Echo the input text",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

StdioTransport.run().pipe(
  Effect.provide(McpServer.register(echo)),
  Effect.provide(McpServer.layer({ name: "emcee-bench", version: "0.0.0" })),
  NodeRuntime.runMain
)
