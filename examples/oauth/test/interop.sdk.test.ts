/**
 * The official SDK v1 client's OAuth flow (`@modelcontextprotocol/sdk`
 * client auth) end to end against the built oauth example: discovery from
 * the 401 (RFC 9728, RFC 8414), registration with a Client ID Metadata
 * Document served over https (alice) and with RFC 7591 dynamic registration
 * (bob), PKCE through the login and consent pages (a scripted browser,
 * through the upstream OIDC provider's pages too), the code exchange, tool
 * calls, a refresh once the short access token is refused (rotation), and
 * refusal after the refresh token is revoked (RFC 7009).
 *
 * The two clients run side by side, step by step, so they wait for their
 * access tokens to expire together.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Example, type MetadataHost, serveMetadataDocument, startExample } from "./support/example.js"
import {
  clientMetadata,
  ClientState,
  expected,
  rawWhoami,
  recordingFetch,
  REDIRECT_URI,
  revoke,
  textOf,
  type TokenCall,
  waitUntilRefused
} from "./support/provider.js"

const ACCESS_TOKEN_TTL = "3s"

let example: Example
let metadataHost: MetadataHost
const clients: Array<Client> = []

beforeAll(async () => {
  metadataHost = await serveMetadataDocument((clientId) => ({ client_id: clientId, ...clientMetadata("emcee interop (SDK v1, CIMD)") }))
  for (const { label, username, cimd } of plans) {
    const state: Session["state"] = new ClientState(username)
    sessions.set(label, { label, username, cimd, state, calls: [], provider: providerOf(state, label, cimd ? metadataHost.clientId : undefined) })
  }
  example = await startExample(["--dcr", "--access-token-ttl", ACCESS_TOKEN_TTL, "--cimd-allow-host", "localhost", "--cimd-ca", metadataHost.caFile])
}, 60_000)

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)))
  await example?.stop()
  await metadataHost?.stop()
})

/** One OAuth client of the test: its storage, SDK provider, recorded token calls and, once connected, its MCP client. */
interface Session {
  readonly label: string
  readonly username: "alice" | "bob"
  readonly cimd: boolean
  readonly state: ClientState<OAuthTokens, OAuthClientInformationMixed>
  readonly calls: Array<TokenCall>
  readonly provider: OAuthClientProvider
  /** The MCP client, once connected. */
  client?: Client
}

/** The SDK v1 `OAuthClientProvider` over a `ClientState`. */
const providerOf = (state: Session["state"], label: string, clientMetadataUrl: string | undefined): OAuthClientProvider => ({
  get redirectUrl() {
    return REDIRECT_URI
  },
  ...(clientMetadataUrl === undefined ? {} : { clientMetadataUrl }),
  get clientMetadata(): OAuthClientMetadata {
    return clientMetadata(`emcee interop (SDK v1, ${label})`)
  },
  state: () => state.state,
  clientInformation: () => state.client,
  saveClientInformation: (info) => {
    state.client = info
  },
  tokens: () => state.current,
  saveTokens: (tokens) => state.saveTokens(tokens),
  redirectToAuthorization: (url) => state.redirect(url),
  saveCodeVerifier: (verifier) => {
    state.verifier = verifier
  },
  codeVerifier: () => state.verifier ?? "",
  invalidateCredentials: (scope) => state.invalidate(scope)
})

/** The two clients: alice registers with a metadata document, bob dynamically. */
const plans = [
  { label: "CIMD", username: "alice", cimd: true },
  { label: "DCR", username: "bob", cimd: false }
] as const
type Plan = (typeof plans)[number]

/** The sessions by label, made once the metadata document's URL is known. */
const sessions = new Map<string, Session>()
const sessionOf = (plan: Plan): Session => sessions.get(plan.label) ?? expect.unreachable(`no session ${plan.label}`)

const connected = (session: Session): Client => session.client ?? expect.unreachable(`${session.label} is not connected`)

const transportOf = (session: Session) =>
  new StreamableHTTPClientTransport(new URL(example.url), { authProvider: session.provider, fetch: recordingFetch(session.calls) })

describe("discovery (spec basic/authorization \"Authorization Server Discovery\")", { timeout: 30_000 }, () => {
  it("the 401 names the protected-resource metadata (RFC 9728 §5.1), which names the issuer, whose metadata offers PKCE S256, CIMD and DCR", async () => {
    const refused = await rawWhoami(example.url, undefined)
    expect(refused.status).toBe(401)
    const challenge = refused.headers.get("www-authenticate") ?? ""
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1]
    expect(metadataUrl).toBe(`${new URL(example.url).origin}/.well-known/oauth-protected-resource/mcp`)

    const resource = (await (await fetch(metadataUrl!)).json()) as Record<string, unknown>
    expect(resource).toMatchObject({ resource: example.url, authorization_servers: [example.issuer], scopes_supported: ["notes:read", "notes:write"] })

    // RFC 8414 §3.1: the issuer has no path, so the metadata is at the root well-known URL.
    const metadata = (await (await fetch(`${example.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>
    expect(metadata).toMatchObject({
      issuer: example.issuer,
      authorization_endpoint: `${example.issuer}/authorize`,
      token_endpoint: `${example.issuer}/token`,
      registration_endpoint: `${example.issuer}/register`,
      revocation_endpoint: `${example.issuer}/revoke`,
      code_challenge_methods_supported: ["S256"],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true
    })
  })
})

describe("the SDK v1 client's OAuth flow: alice with a Client ID Metadata Document (https), bob with dynamic registration (--dcr)", { timeout: 90_000 }, () => {
  it.each(plans)("$label: discovers, registers, runs PKCE through the login and consent pages, exchanges the code and connects", async (plan) => {
    const session = sessionOf(plan)
    const { state, calls } = session
    const fetchesBefore = metadataHost.fetches()
    // The first connection has no token: the SDK discovers, registers, and sends the browser to /authorize (where the user signs in).
    const first = await new Client({ name: "emcee-oauth-interop-v1", version: "1.0.0" }).connect(transportOf(session)).then(() => undefined, (e: unknown) => e)
    // Anything but the expected UnauthorizedError (a failed flow, a refused registration) fails with its own message.
    if (!(first instanceof UnauthorizedError)) throw first
    expect(state.authorizations).toHaveLength(1)
    const authorization = state.authorizations[0]!
    expect(authorization.origin + authorization.pathname).toBe(`${example.issuer}/authorize`)
    expect(authorization.searchParams.get("code_challenge_method")).toBe("S256")
    expect(authorization.searchParams.get("resource")).toBe(example.url)
    if (session.cimd) {
      expect(state.client?.client_id).toBe(metadataHost.clientId)
      expect(authorization.searchParams.get("client_id")).toBe(metadataHost.clientId)
      expect(metadataHost.fetches()).toBeGreaterThan(fetchesBefore)
    } else {
      expect(state.client?.client_id).toBeTypeOf("string")
      expect(state.client?.client_id).not.toMatch(/^https:/)
    }

    // The browser went through the upstream provider's pages and came back with code, state and iss (RFC 9207 §2).
    const result = state.result!
    expect(result.visited.some((v) => v.startsWith(`GET ${example.upstreamIssuer}/`))).toBe(true)
    expect(result.callback.searchParams.get("iss")).toBe(example.issuer)
    expect(result.callback.searchParams.get("state")).toBe(state.state)
    const code = result.callback.searchParams.get("code")!

    // The code exchange, with the PKCE verifier.
    const transport = transportOf(session)
    await transport.finishAuth(code)
    expect(calls.at(-1)).toMatchObject({ grantType: "authorization_code", status: 200 })
    expect(state.current?.refresh_token).toBeTypeOf("string")
    expect(state.current?.token_type.toLowerCase()).toBe("bearer")

    session.client = new Client({ name: "emcee-oauth-interop-v1", version: "1.0.0" })
    clients.push(session.client)
    await session.client.connect(transport)
    expect(session.client.getServerVersion()?.name).toBe("emcee-example-oauth")
  })

  it.each(plans)("$label: calls tools with what the upstream login mapped to (groups → roles and scopes), and the upstream token reaches the upstream API", async (plan) => {
    const session = sessionOf(plan)
    const { username } = session
    const client = connected(session)
    const want = expected(username)
    expect(JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })))).toMatchObject({ ...want.whoami, issuer: example.issuer })
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(want.tools)
    if (username === "alice") expect(textOf(await client.callTool({ name: "notes_write", arguments: { text: "hello from the SDK v1" } }))).toMatch(/^Added note \d+$/)
    expect(textOf(await client.callTool({ name: "notes_read", arguments: {} }))).toContain("local:alice: hello from the SDK v1")
    expect(JSON.parse(textOf(await client.callTool({ name: "upstream_profile", arguments: {} })))).toMatchObject(want.profile)
  })

  it("both: once the server refuses the expired access token, the SDK refreshes (a rotated refresh token, OAuth 2.1 §4.3.1) and the call goes through", async () => {
    const all = plans.map(sessionOf)
    const before = all.map((s) => s.state.current!)
    for (const token of before) await waitUntilRefused(example.url, token.access_token, 60_000)
    for (const [i, session] of all.entries()) {
      expect(JSON.parse(textOf(await connected(session).callTool({ name: "whoami", arguments: {} })))).toMatchObject(expected(session.username).whoami)
      expect(session.calls.filter((c) => c.grantType === "refresh_token").at(-1)).toMatchObject({ status: 200 })
      expect(session.state.current!.access_token).not.toBe(before[i]!.access_token)
      expect(session.state.current!.refresh_token).toBeTypeOf("string")
      expect(session.state.current!.refresh_token).not.toBe(before[i]!.refresh_token)
    }
  })

  it.each(plans)("$label: is refused after its refresh token is revoked (RFC 7009): 401, the SDK's refresh fails with invalid_grant, and the call rejects", async (plan) => {
    const session = sessionOf(plan)
    const { state, calls } = session
    const client = connected(session)
    const tokens = state.current!
    const revoked = await revoke(example.issuer, state.client!.client_id, tokens.refresh_token!, "refresh_token")
    expect(revoked.status).toBe(200)
    // Revoking the refresh token ends its grant: the access token issued with it is refused too.
    expect((await rawWhoami(example.url, tokens.access_token)).status).toBe(401)

    state.interactive = false
    const authorizationsBefore = state.authorizations.length
    const refusedCall = await client.callTool({ name: "whoami", arguments: {} }).then(() => undefined, (e: unknown) => e)
    expect(refusedCall).toBeInstanceOf(UnauthorizedError)
    expect(calls.filter((c) => c.grantType === "refresh_token").at(-1)).toMatchObject({ status: 400, body: { error: "invalid_grant" } })
    // After invalid_grant the SDK dropped the tokens and sent the user to authorize again.
    expect(state.current).toBeUndefined()
    expect(state.authorizations.length).toBe(authorizationsBefore + 1)
  })
})
