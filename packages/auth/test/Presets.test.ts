/**
 * Each preset against a loopback JWKS server minting tokens shaped like the
 * provider's (the issuer is the provider's real one; only the JWKS URL is local).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import type { AuthenticationError } from "../src/Authenticator.js"
import * as Jwt from "../src/Jwt.js"
import type { Identity } from "../src/Principal.js"
import * as Presets from "../src/Presets.js"
import { generateSigningKey, type JwksServer, sign, type SigningKey, startJwksServer } from "./support/jwks.js"

const run = (effect: Effect.Effect<Identity, AuthenticationError>) => Effect.runPromise(Effect.either(effect))
const ok = async (effect: Effect.Effect<Identity, AuthenticationError>) => {
  const result = await run(effect)
  if (Either.isLeft(result)) throw new Error(`refused: ${result.left.reason}: ${result.left.description}`)
  return result.right
}
const refusal = async (effect: Effect.Effect<Identity, AuthenticationError>) => {
  const result = await run(effect)
  if (Either.isRight(result)) throw new Error(`accepted ${result.right.subject}`)
  return result.left.description
}
const sorted = (s: ReadonlySet<string>) => [...s].sort()

let server: JwksServer
let key: SigningKey
beforeAll(async () => {
  key = await generateSigningKey("RS256")
  server = await startJwksServer([key])
})
afterAll(() => server.close())

describe("Presets", () => {
  it("Entra v2: scp space-separated, roles array, tid tenant, oid subject; resource parameter rejected", async () => {
    const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    const api = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
    const preset = Presets.entra({ tenantId: tid, audience: api }, { jwksUrl: server.url })
    expect(Presets.entra({ tenantId: tid, audience: api }).jwksUrl).toBe(`https://login.microsoftonline.com/${tid}/discovery/v2.0/keys`)
    expect(preset.issuer).toBe(`https://login.microsoftonline.com/${tid}/v2.0`)
    expect(preset.authorizationRequest).toMatchObject({ resourceParameter: false, audienceParameter: false })
    const jwt = Jwt.make(preset)
    const identity = await ok(jwt.verify(await sign(key, {
      aud: api,
      iss: `https://login.microsoftonline.com/${tid}/v2.0`,
      sub: "pairwise-sub",
      oid: "00000000-0000-0000-66f3-3332eca7ea81",
      tid,
      scp: "Tools.Call Prompts.Read",
      roles: ["Admin"],
      ver: "2.0",
      azp: "client-app"
    })))
    expect(identity).toMatchObject({ subject: "00000000-0000-0000-66f3-3332eca7ea81", tenant: tid })
    expect(sorted(identity.scopes)).toEqual(["Prompts.Read", "Tools.Call"])
    expect(sorted(identity.roles)).toEqual(["Admin"])
    // A v1.0 token (issuer sts.windows.net) is not accepted by the v2.0 preset.
    expect(await refusal(jwt.verify(await sign(key, { aud: api, iss: `https://sts.windows.net/${tid}/`, sub: "x", tid })))).toBe("The token's issuer is not trusted")
  })

  it("Auth0: issuer with trailing slash, permissions and scope, org_id; audience parameter needed", async () => {
    const preset = Presets.auth0({ domain: "https://acme.eu.auth0.com/", audience: "https://mcp.acme.com/mcp" }, { jwksUrl: server.url })
    expect(preset.issuer).toBe("https://acme.eu.auth0.com/")
    expect(Presets.auth0({ domain: "acme.eu.auth0.com", audience: "x" }).jwksUrl).toBe("https://acme.eu.auth0.com/.well-known/jwks.json")
    expect(preset.authorizationRequest.audienceParameter).toBe(true)
    const jwt = Jwt.make(preset)
    const identity = await ok(jwt.verify(await sign(key, {
      iss: "https://acme.eu.auth0.com/",
      sub: "auth0|64f1",
      aud: ["https://mcp.acme.com/mcp", "https://acme.eu.auth0.com/userinfo"],
      azp: "client",
      scope: "openid profile",
      permissions: ["tools:call", "tools:admin"],
      org_id: "org_abc"
    })))
    expect(identity).toMatchObject({ subject: "auth0|64f1", tenant: "org_abc" })
    expect(sorted(identity.scopes)).toEqual(["openid", "profile", "tools:admin", "tools:call"])
    // Without the trailing slash, the issuer is someone else's.
    expect(await refusal(jwt.verify(await sign(key, { iss: "https://acme.eu.auth0.com", sub: "a", aud: "https://mcp.acme.com/mcp" })))).toBe("The token's issuer is not trusted")
  })

  it("Okta: scp array, groups as roles, custom and org authorization server key URLs", async () => {
    const issuer = "https://dev-123.okta.com/oauth2/default"
    expect(Presets.okta({ issuer, audience: "api://default" }).jwksUrl).toBe(`${issuer}/v1/keys`)
    expect(Presets.okta({ issuer: "https://dev-123.okta.com", audience: "x" }).jwksUrl).toBe("https://dev-123.okta.com/oauth2/v1/keys")
    const jwt = Jwt.make(Presets.okta({ issuer, audience: "api://default" }, { jwksUrl: server.url }))
    const identity = await ok(jwt.verify(await sign(key, {
      ver: 1,
      iss: issuer,
      aud: "api://default",
      cid: "0oa1",
      uid: "00u1",
      scp: ["tools.call", "openid"],
      sub: "alice@example.com",
      groups: ["Everyone", "MCP Admins"]
    })))
    expect(identity.subject).toBe("alice@example.com")
    expect(sorted(identity.scopes)).toEqual(["openid", "tools.call"])
    expect(sorted(identity.roles)).toEqual(["Everyone", "MCP Admins"])
  })

  it("Keycloak: realm_access.roles and resource_access[clientId].roles (a client id with dots)", async () => {
    const preset = Presets.keycloak({ url: "https://kc.example.com/", realm: "acme", audience: "mcp-server", clientId: "mcp.server" }, { jwksUrl: server.url })
    expect(preset.issuer).toBe("https://kc.example.com/realms/acme")
    expect(Presets.keycloak({ url: "https://kc.example.com", realm: "acme", audience: "x" }).jwksUrl).toBe("https://kc.example.com/realms/acme/protocol/openid-connect/certs")
    const identity = await ok(Jwt.make(preset).verify(await sign(key, {
      iss: "https://kc.example.com/realms/acme",
      aud: ["mcp-server", "account"],
      sub: "f:1234",
      typ: "Bearer",
      azp: "mcp-client",
      realm_access: { roles: ["offline_access", "user"] },
      resource_access: { "mcp.server": { roles: ["tools-admin"] }, account: { roles: ["manage-account"] } },
      scope: "openid email"
    })))
    expect(sorted(identity.roles)).toEqual(["offline_access", "tools-admin", "user"])
    expect(sorted(identity.scopes)).toEqual(["email", "openid"])
  })

  it("Google: both issuer spellings, aud the client id, hd as tenant", async () => {
    const clientId = "1234-abc.apps.googleusercontent.com"
    const preset = Presets.google({ clientId }, { jwksUrl: server.url })
    expect(Presets.google({ clientId }).jwksUrl).toBe("https://www.googleapis.com/oauth2/v3/certs")
    const jwt = Jwt.make(preset)
    for (const iss of ["https://accounts.google.com", "accounts.google.com"]) {
      const identity = await ok(jwt.verify(await sign(key, { iss, aud: clientId, azp: clientId, sub: "1100", email: "a@acme.com", hd: "acme.com" })))
      expect(identity).toMatchObject({ subject: "1100", tenant: "acme.com" })
    }
    expect(await refusal(jwt.verify(await sign(key, { iss: "https://accounts.google.com", aud: "other-client", sub: "1" })))).toBe("The token's audience is not this server")
  })

  it("a key override replaces the JWKS URL", async () => {
    const preset = Presets.auth0({ domain: "acme.auth0.com", audience: "a" }, { publicKey: key.publicJwk })
    expect(preset.jwksUrl).toBeUndefined()
    expect((await ok(Jwt.make(preset).verify(await sign(key, { iss: "https://acme.auth0.com/", aud: "a", sub: "s" })))).subject).toBe("s")
  })
})
