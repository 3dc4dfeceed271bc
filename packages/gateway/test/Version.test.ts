/**
 * One version per package: what the gateway says it is — the `clientInfo`
 * it sends its backends (spec 2025-11-25 basic/lifecycle "Initialization"),
 * the default `serverInfo.version` of a configuration file, the admin API's
 * OpenAPI `info.version` — is @emcee/gateway's package.json `version`
 * (src/internal/version.ts), with no copy to drift.
 */
import { OpenApi } from "@effect/platform"
import { McpClient, McpServer, RequestContext, Tool } from "@emcee/core"
import { HttpTransport, MemoryTransport } from "@emcee/transport"
import { Effect, Either, Layer } from "effect"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import * as Gateway from "../src/Gateway.js"
import * as GatewayConfig from "../src/GatewayConfig.js"
import * as Definition from "../src/internal/adminApiDefinition.js"

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { readonly version: string }

describe("the gateway's version is its package.json's", { timeout: 60_000 }, () => {
  it("the clientInfo a backend receives (spec 2025-11-25 basic/lifecycle \"Initialization\")", async () => {
    const clientInfo = await Effect.runPromise(Effect.gen(function*() {
      // A backend in this process over Streamable HTTP whose tool answers with the clientInfo of its session.
      const who = Tool.make("who", {
        handler: () => Effect.map(RequestContext.RequestContext, (request) => JSON.stringify(request.session.clientInfo ?? null))
      })
      const backend = yield* Layer.build(McpServer.register(who).pipe(Layer.provideMerge(McpServer.layer({ name: "who-backend", version: "1.0.0" }))))
      const http = yield* HttpTransport.make({ port: 0 }).pipe(Effect.provide(backend))
      const gateway = yield* Layer.build(
        Gateway.layer({ backends: [{ name: "b", endpoint: { _tag: "Http", url: http.url }, protocolVersion: "2025-11-25" }] }).pipe(
          Layer.provideMerge(McpServer.layer({ name: "gateway", version: "1.0.0", capabilities: { tools: true } }))
        )
      )
      yield* Gateway.awaitSettled().pipe(Effect.provide(gateway))
      const transport = yield* MemoryTransport.make().pipe(Effect.provide(gateway))
      const client = yield* McpClient.make({ transport, clientInfo: { name: "version-test", version: "1.0.0" }, protocolVersion: "2025-11-25" })
      const result = yield* client.callTool("b_who", {})
      return JSON.parse((result.content[0] as { readonly text: string }).text) as unknown
    }).pipe(Effect.scoped))
    expect(clientInfo).toEqual({ name: "emcee-gateway", version: pkg.version })
  })

  it("the serverInfo.version of a configuration file that gives none, and the OpenAPI info.version of the admin API", () => {
    const parsed = GatewayConfig.parse("backends:\n  a:\n    url: http://127.0.0.1:1/mcp\n", "gateway.yaml")
    expect(Either.getOrThrow(parsed).version).toBe(pkg.version)
    expect(GatewayConfig.defaultVersion).toBe(pkg.version)
    const given = GatewayConfig.parse("version: 9.9.9\nbackends:\n  a:\n    url: http://127.0.0.1:1/mcp\n", "gateway.yaml")
    expect(Either.getOrThrow(given).version).toBe("9.9.9")
    expect(OpenApi.fromApi(Definition.api).info.version).toBe(pkg.version)
  })
})
