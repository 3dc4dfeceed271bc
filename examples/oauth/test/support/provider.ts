/**
 * What both SDK clients' OAuth providers share in these tests: a client's
 * storage (registration, tokens, PKCE verifier, the history of token sets),
 * the scripted browser that runs the authorization flow when the SDK
 * redirects, and a `fetch` that records the token endpoint's answers.
 */
import { randomBytes } from "node:crypto"
import { Browser, type FlowResult } from "./browser.js"

/** The client's redirect URI: a loopback URL (RFC 8252 §7.3); the browser stops at the redirect and nothing listens there. */
export const REDIRECT_URI = "http://127.0.0.1:8976/callback"

/** The client's metadata, as a Client ID Metadata Document (with `client_id`) or a dynamic registration request. */
export const clientMetadata = (name: string) => ({
  client_name: name,
  redirect_uris: [REDIRECT_URI],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none"
})

/** One answer of the token endpoint. */
export interface TokenCall {
  readonly grantType: string | null
  readonly status: number
  readonly body: Record<string, unknown>
}

/** A `fetch` recording what the token endpoint answered (the SDKs use it for every request of the flow). */
export const recordingFetch = (calls: Array<TokenCall>): typeof fetch => async (input, init) => {
  const response = await fetch(input, init)
  const url = input instanceof Request ? input.url : String(input)
  if (new URL(url).pathname === "/token") {
    const params = new URLSearchParams(init?.body instanceof URLSearchParams ? init.body : typeof init?.body === "string" ? init.body : "")
    const body = (await response.clone().json().catch(() => ({}))) as Record<string, unknown>
    calls.push({ grantType: params.get("grant_type"), status: response.status, body })
  }
  return response
}

/** The storage and browser of one OAuth client (one "session" in the SDKs' terms). */
export class ClientState<Tokens extends { readonly refresh_token?: string | undefined; readonly access_token: string }, Info> {
  readonly browser = new Browser()
  client: Info | undefined
  current: Tokens | undefined
  /** Every token set saved, in order. */
  readonly saved: Array<Tokens> = []
  verifier: string | undefined
  /** Every authorization URL the SDK redirected to. */
  readonly authorizations: Array<URL> = []
  /** The last flow's redirect to the client. */
  result: FlowResult | undefined
  /** Whether a redirect runs the flow in the browser (false: the user does not sign in). */
  interactive = true
  readonly state = randomBytes(16).toString("base64url")

  constructor(readonly username: string) {}

  async redirect(url: URL): Promise<void> {
    this.authorizations.push(url)
    if (this.interactive) this.result = await this.browser.authorize(url.href, { redirectUri: REDIRECT_URI, username: this.username })
  }

  saveTokens(tokens: Tokens): void {
    this.current = tokens
    this.saved.push(tokens)
  }

  invalidate(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "client") this.client = undefined
    if (scope === "all" || scope === "tokens") this.current = undefined
    if (scope === "all" || scope === "verifier") this.verifier = undefined
  }
}

/** RFC 7009 §2.1: revokes `token` at the issuer's revocation endpoint as the public client `clientId`. */
export const revoke = (issuer: string, clientId: string, token: string, hint: "refresh_token" | "access_token") =>
  fetch(`${issuer}/revoke`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, token_type_hint: hint, client_id: clientId })
  })

/** A stateless 2026-07-28 `tools/call` of `whoami` with `token` (none: no Authorization header). */
export const rawWhoami = (url: string, token: string | undefined) =>
  fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "whoami",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name: "whoami",
        arguments: {},
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "raw-fetch", version: "1" },
          "io.modelcontextprotocol/clientCapabilities": {}
        }
      }
    })
  })

/** The text blocks of a tool result, joined. */
export const textOf = (result: unknown): string =>
  ((result as { content?: ReadonlyArray<{ type: string; text?: string }> }).content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n")

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The `exp` of a JWT access token, epoch ms. */
export const expiryOf = (jwt: string): number =>
  (JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp: number }).exp * 1000

/**
 * Waits until the MCP server refuses `token` (401), polling twice a second
 * for at most `timeoutMs`; answers when that was, in ms after the token's
 * `exp`.
 */
export const waitUntilRefused = async (url: string, token: string, timeoutMs: number): Promise<number> => {
  const deadline = Date.now() + timeoutMs
  await sleep(Math.max(0, expiryOf(token) - Date.now()))
  for (;;) {
    const response = await rawWhoami(url, token)
    await response.body?.cancel()
    if (response.status === 401) return Date.now() - expiryOf(token)
    if (Date.now() > deadline) throw new Error(`the server still accepts the access token ${Date.now() - expiryOf(token)} ms after its exp`)
    await sleep(500)
  }
}

/** What the example knows of a demo user after an upstream login (see src/upstream.ts and the mapping in src/main.ts). */
export const expected = (username: "alice" | "bob") =>
  username === "alice"
    ? {
      whoami: { subject: "local:alice", scopes: ["notes:read", "notes:write"], roles: ["editor"] },
      tools: ["notes_read", "notes_write", "upstream_profile", "whoami"],
      profile: { sub: "alice", name: "Alice Example", groups: ["editors"] }
    }
    : {
      whoami: { subject: "local:bob", scopes: ["notes:read"], roles: [] },
      tools: ["notes_read", "upstream_profile", "whoami"],
      profile: { sub: "bob", name: "Bob Example", groups: [] }
    }
