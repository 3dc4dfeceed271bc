import { describe, expect, it } from "@effect/vitest"
import { Resource, ResourceTemplate } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import { Effect, Schema } from "effect"
import { expectSpec } from "./support/spec.js"

const readme = Resource.make({
  uri: "file:///README.md",
  name: "README",
  title: "Read me",
  description: "The project readme",
  mimeType: "text/markdown",
  annotations: { audience: ["user"], priority: 0.8 },
  read: () => Effect.succeed(Resource.text("# Hello"))
})

const logo = Resource.make({
  uri: "file:///logo.png",
  name: "logo",
  mimeType: "image/png",
  read: () => Effect.succeed(Resource.blob(new Uint8Array([137, 80, 78, 71])))
})

const bundle = Resource.make({
  uri: "file:///bundle",
  name: "bundle",
  read: () =>
    Effect.succeed([
      { text: "one", mimeType: "text/plain" },
      { uri: "file:///bundle/two", text: "two" }
    ])
})

const user = ResourceTemplate.make({
  uriTemplate: "users://{id}/profile",
  name: "user-profile",
  description: "A user's profile",
  mimeType: "application/json",
  params: Schema.Struct({ id: Schema.NumberFromString }),
  read: ({ id }) => Effect.succeed(Resource.text(JSON.stringify({ id, double: id * 2 })))
})

const TestLayer = TestClient.layerWith({ name: "resources", version: "1" }, readme, logo, bundle, user)

describe("Resources (spec server/resources)", () => {
  it.scoped("resources/list lists every resource with its metadata (Listing Resources)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const list = yield* client.listResources()
      expectSpec("ListResourcesResult", list)
      expect(list.resources).toEqual([
        {
          uri: "file:///README.md",
          name: "README",
          title: "Read me",
          description: "The project readme",
          mimeType: "text/markdown",
          annotations: { audience: ["user"], priority: 0.8 }
        },
        { uri: "file:///logo.png", name: "logo", mimeType: "image/png" },
        { uri: "file:///bundle", name: "bundle" }
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("resources/read returns text contents with the resource's uri and mimeType (Reading Resources, Text Content)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.readResource("file:///README.md")
      expectSpec("ReadResourceResult", result)
      expect(result).toEqual({ contents: [{ uri: "file:///README.md", mimeType: "text/markdown", text: "# Hello" }] })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("binary contents are base64 in blob (Binary Content)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.readResource("file:///logo.png")
      expectSpec("ReadResourceResult", result)
      expect(result).toEqual({ contents: [{ uri: "file:///logo.png", mimeType: "image/png", blob: "iVBORw==" }] })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a read may return several contents, each with its own uri (Reading Resources)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.readResource("file:///bundle")
      expectSpec("ReadResourceResult", result)
      expect(result.contents).toEqual([
        { uri: "file:///bundle", mimeType: "text/plain", text: "one" },
        { uri: "file:///bundle/two", text: "two" }
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("resources/templates/list lists URI templates (Resource Templates)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const list = yield* client.listResourceTemplates()
      expectSpec("ListResourceTemplatesResult", list)
      expect(list.resourceTemplates).toEqual([
        { uriTemplate: "users://{id}/profile", name: "user-profile", description: "A user's profile", mimeType: "application/json" }
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a URI matching a template is read with its variables decoded by the template's Schema (Resource Templates)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const result = yield* client.readResource("users://21/profile")
      expectSpec("ReadResourceResult", result)
      expect(result).toEqual({ contents: [{ uri: "users://21/profile", mimeType: "application/json", text: "{\"id\":21,\"double\":42}" }] })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a URI whose template variables fail the Schema is rejected with -32602 (Error Handling)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.readResource("users://ada/profile"))
      expect(error.code).toBe(-32602)
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("a URI no resource or template serves is -32002 with the uri in data (Error Handling: Resource not found)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.readResource("file:///missing"))
      expect(error).toMatchObject({ code: -32002, message: "Resource not found: file:///missing", data: { uri: "file:///missing" } })
    }).pipe(Effect.provide(TestLayer)))

  it.scoped("resources/read without a uri is -32602 (Reading Resources)", () =>
    Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      const error = yield* Effect.flip(client.request("resources/read", {}))
      expect(error.code).toBe(-32602)
    }).pipe(Effect.provide(TestLayer)))
})
