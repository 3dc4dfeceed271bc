// emcee over Streamable HTTP in its DEFAULT production configuration: stateful
// sessions, JSON responses, schema-validated tool input, metrics on, DNS-rebinding
// checks on (loopback), EventStore.memory. Imports the BUILT packages (run
// `npm run build` first). Serves `echo` on 127.0.0.1:$PORT and prints
// `listening <port>` when ready; GET /__mem is the bench's memory probe.
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import { McpServer, Tool } from "../../packages/core/dist/index.js"
import { HttpTransport } from "../../packages/transport/dist/index.js"
import { portFromEnv, sendMem } from "./mem.mjs"

const echo = Tool.make("echo", {
  description: "Echo the input text",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

const port = portFromEnv()

const Main = Layer.scopedDiscard(
  Effect.gen(function*() {
    const running = yield* HttpTransport.make({
      port,
      routes: (req, res) => {
        if (req.url !== "/__mem" || req.method !== "GET") return false
        sendMem(res, { sessions: running.stats().sessions })
        return true
      }
    })
    process.stdout.write(`listening ${running.port}\n`)
  })
).pipe(
  Layer.provide(McpServer.register(echo)),
  Layer.provide(McpServer.layer({ name: "emcee-bench", version: "0.0.0" }))
)

Layer.launch(Main).pipe(NodeRuntime.runMain)
