/**
 * The official SDK v2 client's OAuth flow (`@modelcontextprotocol/client`
 * 2.4.0) end to end against the built oauth example, under both revisions:
 * pinned to 2026-07-28 registering with a Client ID Metadata Document served
 * over https (bob), and in its default 2025-11-25 mode registering
 * dynamically (RFC 7591; alice). Discovery, PKCE through the login and
 * consent pages (a scripted browser), the code exchange with the v2
 * client's own RFC 9207 `iss` check (`finishAuth(callbackParams)`), tool
 * calls, a refresh once the short access token is refused, and refusal after
 * the refresh token is revoked (RFC 7009).
 */
import {
  Client,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  StreamableHTTPClientTransport,
  UnauthorizedError
} from "@modelcontextprotocol/client"
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

/** The two clients: bob at 2026-07-28 with a metadata document, alice at 2025-11-25 registering dynamically. */
const plans = [
  { label: "2026-07-28, CIMD", revision: "2026-07-28", username: "bob", cimd: true },
  { label: "2025-11-25, DCR", revision: "2025-11-25", username: "alice", cimd: false }
] as const
type Plan = (typeof plans)[number]

/** One OAuth client of the test: its storage, SDK provider, recorded token calls and, once connected, its MCP client. */
interface Session {
  readonly plan: Plan
  readonly state: ClientState<StoredOAuthTokens, StoredOAuthClientInformation>
  readonly calls: Array<TokenCall>
  readonly provider: OAuthClientProvider
  client?: Client
}

let example: Example
let metadataHost: MetadataHost
const clients: Array<Client> = []
const sessions = new Map<string, Session>()

/** The SDK v2 `OAuthClientProvider` over a `ClientState`. */
const providerOf = (state: Session["state"], label: string, clientMetadataUrl: string | undefined): OAuthClientProvider => {
  // Kept with the verifier, so the callback leg is checked against the authorization server discovered before it (SEP-2352).
  let discovery: OAuthDiscoveryState | undefined
  return {
    get redirectUrl() {
      return REDIRECT_URI
    },
    ...(clientMetadataUrl === undefined ? {} : { clientMetadataUrl }),
    get clientMetadata(): OAuthClientMetadata {
      return clientMetadata(`emcee interop (SDK v2, ${label})`)
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
    saveDiscoveryState: (value) => {
      discovery = value
    },
    discoveryState: () => discovery,
    invalidateCredentials: (scope) => {
      if (scope === "all" || scope === "discovery") discovery = undefined
      state.invalidate(scope)
    }
  }
}

beforeAll(async () => {
  metadataHost = await serveMetadataDocument((clientId) => ({ client_id: clientId, ...clientMetadata("emcee interop (SDK v2, CIMD)") }))
  for (const plan of plans) {
    const state: Session["state"] = new ClientState(plan.username)
    sessions.set(plan.label, { plan, state, calls: [], provider: providerOf(state, plan.label, plan.cimd ? metadataHost.clientId : undefined) })
  }
  example = await startExample(["--dcr", "--access-token-ttl", ACCESS_TOKEN_TTL, "--cimd-allow-host", "localhost", "--cimd-ca", metadataHost.caFile])
}, 60_000)

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)))
  await example?.stop()
  await metadataHost?.stop()
})

const sessionOf = (plan: Plan): Session => sessions.get(plan.label) ?? expect.unreachable(`no session ${plan.label}`)
const connected = (session: Session): Client => session.client ?? expect.unreachable(`${session.plan.label} is not connected`)

const newClient = (plan: Plan) => {
  const client = new Client(
    { name: "emcee-oauth-interop-v2", version: "1.0.0" },
    plan.revision === "2026-07-28" ? { versionNegotiation: { mode: { pin: plan.revision } } } : {}
  )
  clients.push(client)
  return client
}
const transportOf = (session: Session) =>
  new StreamableHTTPClientTransport(new URL(example.url), { authProvider: session.provider, fetch: recordingFetch(session.calls) })

describe("the SDK v2 client's OAuth flow", { timeout: 90_000 }, () => {
  it.each(plans)("$label: discovers, registers, runs PKCE through the pages, checks iss (RFC 9207) and connects", async (plan) => {
    const session = sessionOf(plan)
    const { state, calls } = session
    const first = await newClient(plan).connect(transportOf(session)).then(() => undefined, (e: unknown) => e)
    // Anything but the expected UnauthorizedError (a failed flow, a refused registration) fails with its own message.
    if (!(first instanceof UnauthorizedError)) throw first
    expect(state.authorizations).toHaveLength(1)
    const authorization = state.authorizations[0]!
    expect(authorization.origin + authorization.pathname).toBe(`${example.issuer}/authorize`)
    expect(authorization.searchParams.get("code_challenge_method")).toBe("S256")
    expect(authorization.searchParams.get("resource")).toBe(example.url)
    if (plan.cimd) expect(state.client?.client_id).toBe(metadataHost.clientId)
    else expect(state.client?.client_id).not.toMatch(/^https:/)

    const callback = state.result!.callback
    expect(callback.searchParams.get("iss")).toBe(example.issuer)
    expect(callback.searchParams.get("state")).toBe(state.state)

    // The v2 client checks iss against the issuer it discovered, then exchanges the code with the PKCE verifier.
    const transport = transportOf(session)
    await transport.finishAuth(callback.searchParams)
    expect(calls.at(-1)).toMatchObject({ grantType: "authorization_code", status: 200 })
    expect(state.current?.refresh_token).toBeTypeOf("string")

    session.client = newClient(plan)
    await session.client.connect(transport)
    expect(session.client.getNegotiatedProtocolVersion()).toBe(plan.revision)
  })

  it.each(plans)("$label: calls tools with what the upstream login mapped to, and the upstream token reaches the upstream API", async (plan) => {
    const client = connected(sessionOf(plan))
    const want = expected(plan.username)
    expect(JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })))).toMatchObject({ ...want.whoami, issuer: example.issuer })
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(want.tools)
    if (plan.username === "alice") expect(textOf(await client.callTool({ name: "notes_write", arguments: { text: "hello from the SDK v2" } }))).toMatch(/^Added note \d+$/)
    expect(textOf(await client.callTool({ name: "notes_read", arguments: {} }))).toBeTypeOf("string")
    expect(JSON.parse(textOf(await client.callTool({ name: "upstream_profile", arguments: {} })))).toMatchObject(want.profile)
  })

  it("both: once the server refuses the expired access token, the SDK refreshes (a rotated refresh token) and the call goes through", async () => {
    const all = plans.map(sessionOf)
    const before = all.map((s) => s.state.current!)
    for (const token of before) await waitUntilRefused(example.url, token.access_token, 60_000)
    for (const [i, session] of all.entries()) {
      expect(JSON.parse(textOf(await connected(session).callTool({ name: "whoami", arguments: {} })))).toMatchObject(expected(session.plan.username).whoami)
      expect(session.calls.filter((c) => c.grantType === "refresh_token").at(-1)).toMatchObject({ status: 200 })
      expect(session.state.current!.access_token).not.toBe(before[i]!.access_token)
      expect(session.state.current!.refresh_token).not.toBe(before[i]!.refresh_token)
    }
  })

  it.each(plans)("$label: is refused after its refresh token is revoked (RFC 7009): the refresh fails with invalid_grant and the call rejects", async (plan) => {
    const session = sessionOf(plan)
    const { state, calls } = session
    const tokens = state.current!
    expect((await revoke(example.issuer, state.client!.client_id, tokens.refresh_token!, "refresh_token")).status).toBe(200)
    // Revoking the refresh token ends its grant: the access token issued with it is refused too.
    expect((await rawWhoami(example.url, tokens.access_token)).status).toBe(401)

    state.interactive = false
    const authorizationsBefore = state.authorizations.length
    const refused = await connected(session).callTool({ name: "whoami", arguments: {} }).then(() => undefined, (e: unknown) => e)
    expect(refused).toBeInstanceOf(UnauthorizedError)
    expect(calls.filter((c) => c.grantType === "refresh_token").at(-1)).toMatchObject({ status: 400, body: { error: "invalid_grant" } })
    // After invalid_grant the SDK dropped the tokens and sent the user to authorize again.
    expect(state.current).toBeUndefined()
    expect(state.authorizations.length).toBe(authorizationsBefore + 1)
  })
})
