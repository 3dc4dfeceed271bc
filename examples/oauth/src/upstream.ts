/**
 * The oauth example's upstream identity provider: a real OpenID Connect
 * provider (`oidc-provider`) on its own loopback port, standing in for the
 * company IdP, GitHub or Entra ID a deployment would federate to. **For
 * development only**: its keys, accounts and the example's client secret
 * are made at start and kept in memory.
 *
 * - Any username logs in with any password (oidc-provider's development
 *   interactions: a login form, then a consent form). The demo accounts
 *   have claims: `alice` is in the group `editors`, `bob` in none; any other
 *   name is an account without groups.
 * - One confidential client, the example's authorization server: redirect
 *   URI `${issuer}/callback/local`, grant types `authorization_code` and
 *   `refresh_token`, PKCE (S256) required (OAuth 2.1 §4.1.1), a refresh token
 *   with every code (so the example can refresh the upstream access token a
 *   tool uses, RFC 6749 §6).
 * - The claims (`name`, `email`, `groups`) come from the userinfo endpoint
 *   (OIDC Core §5.3), which tools call with the user's upstream token.
 *
 * @since 0.3.0
 */
import { generateKeyPairSync, randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { Effect, Redacted } from "effect"
import Provider, { type Account, type Configuration } from "oidc-provider"

/** A demo account of the upstream provider. */
export interface DemoAccount {
  readonly username: string
  readonly name: string
  readonly email: string
  readonly groups: ReadonlyArray<string>
}

/** The accounts with claims; every other username logs in as an account without groups. */
export const DEMO_ACCOUNTS: ReadonlyArray<DemoAccount> = [
  { username: "alice", name: "Alice Example", email: "alice@example.com", groups: ["editors"] },
  { username: "bob", name: "Bob Example", email: "bob@example.com", groups: [] }
]

/** The client id of the example's authorization server at the upstream provider. */
export const CLIENT_ID = "emcee-oauth-example"

/** A running upstream provider. */
export interface Upstream {
  /** Its issuer identifier, `http://127.0.0.1:N`. */
  readonly issuer: string
  /** Its userinfo endpoint (OIDC Core §5.3). */
  readonly userinfoEndpoint: string
  readonly clientId: string
  /** The example's client secret at the provider (made at start). */
  readonly clientSecret: Redacted.Redacted<string>
}

/** Options of `start`. */
export interface Options {
  /** The port to listen on (loopback); 0 picks a free one. */
  readonly port: number
  /** The example's callback URL (`${issuer}/callback/local`), the client's only redirect URI. */
  readonly redirectUri: string
}

const accountOf = (username: string): Account => {
  const demo = DEMO_ACCOUNTS.find((a) => a.username === username)
  return {
    accountId: username,
    claims: () => ({
      sub: username,
      preferred_username: username,
      name: demo?.name ?? username,
      ...(demo === undefined ? {} : { email: demo.email, email_verified: true }),
      groups: [...(demo?.groups ?? [])]
    })
  }
}

const configuration = (options: Options, clientSecret: string): Configuration => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
  return {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: clientSecret,
      client_name: "emcee oauth example",
      redirect_uris: [options.redirectUri],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      // The provider signs with the one EC key below.
      id_token_signed_response_alg: "ES256"
    }],
    findAccount: (_ctx, sub) => accountOf(sub),
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email", "email_verified"],
      groups: ["groups"]
    },
    // OAuth 2.1 §4.1.1: PKCE for every authorization code, S256 only.
    pkce: { required: () => true, methods: ["S256"] },
    // A refresh token with every code of a client allowed the grant (no offline_access and prompt=consent dance).
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    features: { devInteractions: { enabled: true }, userinfo: { enabled: true } },
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), alg: "ES256", use: "sig" }] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 14 * 24 * 3600, Interaction: 600, Session: 3600, Grant: 14 * 24 * 3600 }
  }
}

/**
 * Starts the provider on `127.0.0.1:port` for the life of the scope: the
 * listener closes (open connections included) when the scope does.
 */
export const start = (options: Options) =>
  Effect.acquireRelease(
    Effect.async<{ readonly upstream: Upstream; readonly close: () => Promise<void> }, Error>((resume) => {
      // Listen first, so the issuer (with the port, when 0 picked one) is known before the provider is made.
      let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
      const server = createServer((req, res) => {
        if (handle === undefined) {
          res.writeHead(503).end()
          return
        }
        handle(req, res)
      })
      server.once("error", (error) => resume(Effect.fail(new Error(`the upstream OIDC provider cannot listen on 127.0.0.1:${options.port}: ${error.message}`))))
      server.listen(options.port, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : options.port
        const issuer = `http://127.0.0.1:${port}`
        const clientSecret = randomBytes(32).toString("base64url")
        const provider = new Provider(issuer, configuration(options, clientSecret))
        handle = provider.callback()
        const close = () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          })
        resume(Effect.succeed({
          upstream: { issuer, userinfoEndpoint: `${issuer}/me`, clientId: CLIENT_ID, clientSecret: Redacted.make(clientSecret) },
          close
        }))
      })
      // Interrupted before it listened: nothing of it stays open.
      return Effect.sync(() => void server.close())
    }),
    ({ close }) => Effect.promise(close)
  ).pipe(Effect.map(({ upstream }) => upstream))
