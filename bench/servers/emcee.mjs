// emcee over Streamable HTTP in its DEFAULT production configuration: stateful
// sessions, JSON responses, schema-validated tool input, metrics on, DNS-rebinding
// checks on (loopback), EventStore.memory. Imports the BUILT packages (run
// `npm run build` first). Serves `echo` on 127.0.0.1:$PORT and prints
// `listening <port>` when ready; GET /__mem is the bench's memory probe.
//
// Env switches (one file serves several bench rows):
//   EMCEE_MIDDLEWARE=1     one global `Middleware.logging`, registered with
//                          `McpServer.register(Middleware.logging, echo)`
//   EMCEE_MIDDLEWARE=noop  one global pass-through middleware (`(request, next) => next`):
//                          the cost of leaving the tool fast path, without logging's own
//   EMCEE_TRACING=1        `Tracing.layer` with a `BatchSpanProcessor` over a span exporter
//                          that counts and discards spans (./counting-exporter.mjs): span
//                          creation and processing are measured, without network. The span
//                          count is in GET /__mem (`spans`, `spanBatches`) and printed on
//                          stderr at exit.
//   EMCEE_TRACING=native   spans forced on (`McpServer.layer({ tracing: true })`) with
//                          Effect's built-in tracer, no OpenTelemetry: the Effect side of
//                          span creation alone (nothing is exported or counted).
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import { McpServer, Middleware, Tool, Tracing } from "../../packages/core/dist/index.js"
import { HttpTransport } from "../../packages/transport/dist/index.js"
import { portFromEnv, sendMem } from "./mem.mjs"

const mode = (name) => {
  const v = process.env[name]
  return v === undefined || v === "" || v === "0" || v === "false" ? undefined : v === "true" ? "1" : v
}
const middlewareMode = mode("EMCEE_MIDDLEWARE")
const tracingMode = mode("EMCEE_TRACING")
for (const [name, v, allowed] of [["EMCEE_MIDDLEWARE", middlewareMode, ["1", "noop"]], ["EMCEE_TRACING", tracingMode, ["1", "native"]]]) {
  if (v !== undefined && !allowed.includes(v)) {
    console.error(`${name} must be one of 0, ${allowed.join(", ")}; got ${JSON.stringify(process.env[name])}`)
    process.exit(2)
  }
}

const echo = Tool.make("echo", {
  description: "Echo the input text",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

const port = portFromEnv()

/** Set when tracing is on: the exporter whose span count /__mem reports. */
let exporter

const Main = Layer.scopedDiscard(
  Effect.gen(function*() {
    const running = yield* HttpTransport.make({
      port,
      routes: (req, res) => {
        if (req.url !== "/__mem" || req.method !== "GET") return false
        sendMem(res, {
          sessions: running.stats().sessions,
          ...(exporter === undefined ? {} : { spans: exporter.spans, spanBatches: exporter.batches })
        })
        return true
      }
    })
    process.stdout.write(`listening ${running.port}\n`)
  })
)

const passThrough = Middleware.make("noop", (_request, next) => next)
const registered = middlewareMode === "1"
  ? McpServer.register(Middleware.logging, echo)
  : middlewareMode === "noop"
  ? McpServer.register(passThrough, echo)
  : McpServer.register(echo)

let App = Main.pipe(
  Layer.provide(registered),
  Layer.provide(McpServer.layer({ name: "emcee-bench", version: "0.0.0", ...(tracingMode === "native" ? { tracing: true } : {}) }))
)

if (tracingMode === "1") {
  const { BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base")
  const { CountingSpanExporter } = await import("./counting-exporter.mjs")
  exporter = new CountingSpanExporter()
  const counted = exporter
  process.on("exit", () => process.stderr.write(`spans exported: ${counted.spans} in ${counted.batches} batch(es)\n`))
  App = App.pipe(
    Layer.provide(Tracing.layer({ serviceName: "emcee-bench", spanProcessor: new BatchSpanProcessor(exporter) }))
  )
}

Layer.launch(App).pipe(NodeRuntime.runMain)
