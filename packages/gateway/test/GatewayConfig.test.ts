/**
 * `GatewayConfig`: the YAML of `emcee gateway`, for the backend keys of
 * issue 12 items 3 and 5 (instances and balancing, OAuth client
 * credentials, per-principal sessions): what they become, and one-line
 * errors naming the key.
 */
import { Duration, Either, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import * as GatewayConfig from "../src/GatewayConfig.js"

const parse = (text: string, env: Record<string, string> = {}) => GatewayConfig.parse(text, "/srv/gateway.yaml", env)

describe("GatewayConfig backends", () => {
  it("instances, balancing, client credentials and per-principal sessions", () => {
    const resolved = parse(
      `
probeInterval: 15s
backends:
  inventory:
    clientCredentials: { issuer: "https://auth.example.com/", clientId: gw, clientSecretEnv: INVENTORY_SECRET, scope: "mcp:tools" }
    sessions: perPrincipal
    sessionIdleTimeout: 2m
    instances:
      - { id: east, url: "https://east.example.com/mcp", weight: 2 }
      - { id: west, url: "https://west.example.com/mcp" }
    balancing: { strategy: consistent-hash, hashKey: { argument: sku } }
`,
      { INVENTORY_SECRET: "s3cret" }
    )
    if (Either.isLeft(resolved)) throw new Error(resolved.left.message)
    expect(Duration.toMillis(resolved.right.options.probeInterval!)).toBe(15_000)
    const backend = resolved.right.options.backends[0]!
    expect(backend.endpoint).toEqual({ _tag: "Http", url: "https://east.example.com/mcp" })
    expect(backend.instances).toEqual([
      { id: "east", endpoint: { _tag: "Http", url: "https://east.example.com/mcp" }, weight: 2 },
      { id: "west", endpoint: { _tag: "Http", url: "https://west.example.com/mcp" } }
    ])
    expect(backend.balancing).toEqual({ strategy: "consistent-hash", hashKey: { argument: "sku" } })
    expect(backend.sessions).toBe("perPrincipal")
    expect(Duration.toMillis(backend.sessionIdleTimeout!)).toBe(120_000)
    expect(backend.credentials).toMatchObject({ _tag: "ClientCredentials", issuer: "https://auth.example.com/", clientId: "gw", scope: "mcp:tools" })
    expect(Redacted.value(backend.credentials!.clientSecret)).toBe("s3cret")
  })

  it("mistakes are one line naming the key", () => {
    const message = (text: string, env: Record<string, string> = {}) => {
      const resolved = parse(text, env)
      return Either.isLeft(resolved) ? resolved.left.message : "accepted"
    }
    expect(message(`backends: { a: { url: "http://127.0.0.1:1/mcp", instances: [{ id: x, url: "http://127.0.0.1:2/mcp" }] } }`)).toContain(
      "give instances or one of command and url, not both"
    )
    expect(message(`backends: { a: { instances: [{ id: x, url: "http://127.0.0.1:2/mcp" }, { id: x, url: "http://127.0.0.1:3/mcp" }] } }`)).toBe(
      "/srv/gateway.yaml: backends.a: backend \"a\": two instances have the id \"x\""
    )
    expect(message(`backends: { a: { instances: [{ id: x, url: "http://127.0.0.1:2/mcp" }], balancing: { strategy: fastest } } }`)).toContain("backends")
    expect(message(`backends: { a: { url: "https://a.example.com/mcp", clientCredentials: { tokenUrl: "https://auth.example.com/token", clientId: gw, clientSecretEnv: NOPE } } }`)).toBe(
      "/srv/gateway.yaml: backends.a.clientCredentials.clientSecretEnv: the variable NOPE is not set; set it to the client secret"
    )
    expect(message(`backends: { a: { command: node, clientCredentials: { tokenUrl: "https://auth.example.com/token", clientId: gw, clientSecretEnv: S } } }`, { S: "x" })).toBe(
      "/srv/gateway.yaml: backends.a: backend \"a\": client credentials are for HTTP backends only"
    )
  })
})

describe("GatewayConfig limits", () => {
  it("maxRequestBytes and shutdownTimeout for the HTTP endpoint, maxResponseBytes for the backends; a bad value names its key", () => {
    const resolved = parse(`
maxRequestBytes: 65536
maxResponseBytes: 1048576
shutdownTimeout: 3s
backends: { a: { url: "https://a.example.com/mcp" } }
`)
    if (Either.isLeft(resolved)) throw new Error(resolved.left.message)
    expect(resolved.right.maxRequestBytes).toBe(65_536)
    expect(Duration.toMillis(resolved.right.shutdownTimeout!)).toBe(3_000)
    expect(resolved.right.options.maxResponseBytes).toBe(1_048_576)
    const defaults = parse(`backends: { a: { url: "https://a.example.com/mcp" } }`)
    if (Either.isLeft(defaults)) throw new Error(defaults.left.message)
    expect([defaults.right.maxRequestBytes, defaults.right.shutdownTimeout, defaults.right.options.maxResponseBytes]).toEqual([undefined, undefined, undefined])
    const message = (text: string) => {
      const result = parse(text)
      return Either.isLeft(result) ? result.left.message : "accepted"
    }
    expect(message(`maxResponseBytes: -1`)).toContain("maxResponseBytes")
    expect(message(`maxRequestBytes: lots`)).toContain("maxRequestBytes")
    expect(message(`shutdownTimeout: soon`)).toContain("shutdownTimeout")
  })
})
