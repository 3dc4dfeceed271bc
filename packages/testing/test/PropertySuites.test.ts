import { Completion, Content, McpServer, Prompt, Resource, ResourceTemplate, Tool } from "@emcee/core"
import { Effect, Layer, Schema } from "effect"
import { PropertySuites } from "@emcee/testing/vitest"

/** A small but real server: tools that succeed, fail and die, resources, a template, prompts with completion. */
const echo = Tool.make("echo", {
  description: "Echoes its input",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

const add = Tool.make("add", {
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed([Content.text(String(a + b))])
})

const fails = Tool.make("fails", {
  handler: () => Effect.fail("always fails")
})

const dies = Tool.make("dies", {
  handler: () => Effect.die(new Error("boom"))
})

const readme = Resource.make({
  uri: "mem://readme",
  name: "readme",
  mimeType: "text/plain",
  read: () => Effect.succeed(Resource.text("hello"))
})

const logo = Resource.make({
  uri: "mem://logo.png",
  name: "logo",
  mimeType: "image/png",
  read: () => Effect.succeed(Resource.blob(new Uint8Array([137, 80, 78, 71])))
})

const user = ResourceTemplate.make({
  uriTemplate: "mem://users/{id}",
  name: "user",
  params: Schema.Struct({ id: Schema.NumberFromString }),
  read: ({ id }) => Effect.succeed(Resource.text(JSON.stringify({ id }), "application/json")),
  complete: { id: Completion.fromValues(["1", "2", "10"]) }
})

const greet = Prompt.make({
  name: "greet",
  args: Schema.Struct({ name: Schema.String }),
  render: ({ name }) => Effect.succeed([Prompt.user(`Say hello to ${name}`)]),
  complete: { name: Completion.fromValues(["Ada", "Alan", "Grace"]) }
})

const plain = Prompt.make({
  name: "plain",
  render: () => Effect.succeed([Prompt.user("hi"), Prompt.assistant("hello")])
})

const App = McpServer.register(echo, add, fails, dies, readme, logo, user, greet, plain).pipe(
  Layer.provideMerge(McpServer.layer({ name: "property-suite-server", version: "1.0.0", pageSize: 3 }))
)

PropertySuites.protocol("a small emcee server with tools, resources, a template and prompts", App)
