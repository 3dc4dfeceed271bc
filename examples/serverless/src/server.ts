/**
 * The MCP server of the serverless examples: a few tools and a resource, no
 * state between requests, so any instance of a function can answer any
 * request (the natural fit for MCP 2026-07-28, which has no sessions).
 *
 * @since 0.1.0
 */
import { Logging, McpServer, Progress, Resource, Tool } from "@emcee/core"
import { Effect, Layer, Schema } from "effect"

/** Echoes its input. */
export const echo = Tool.make("echo", {
  description: "Echoes the input text",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

/** Adds two numbers. */
export const add = Tool.make("add", {
  description: "Adds two numbers",
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(String(a + b))
})

/**
 * Counts to `steps`, reporting progress and logging each step (sent on the
 * request's own SSE stream when the client asks for progress or logs and the
 * platform streams; dropped on buffering platforms such as AWS Lambda).
 */
export const countdown = Tool.make("countdown", {
  description: "Counts down, reporting progress every `ms` milliseconds",
  input: Schema.Struct({ steps: Schema.Int.pipe(Schema.between(1, 100)), ms: Schema.Int.pipe(Schema.between(0, 60_000)) }),
  handler: ({ ms, steps }) =>
    Effect.gen(function*() {
      for (let step = 1; step <= steps; step++) {
        yield* Effect.sleep(ms)
        yield* Progress.report(step, { total: steps, message: `${steps - step} to go` })
        yield* Logging.log("info", `step ${step} of ${steps}`)
      }
      return "liftoff"
    }).pipe(
      // Closing the response stream cancels the request (spec 2026-07-28 basic/patterns/cancellation).
      Effect.onInterrupt(() => Effect.logInfo("countdown cancelled"))
    )
})

/** A static resource. */
export const about = Resource.make({
  uri: "about://serverless",
  name: "about",
  mimeType: "text/plain",
  read: () => Effect.succeed(Resource.text("An emcee server running as a function."))
})

/** The app: McpServer with the example's tools and resource. */
export const App = McpServer.register(echo, add, countdown, about).pipe(
  Layer.provideMerge(McpServer.layer({ name: "emcee-serverless", version: "0.1.0" }))
)
