/**
 * The oauth example's MCP server: a shared notepad behind the embedded
 * authorization server's tokens.
 *
 * - `whoami`: any authenticated caller; answers with the `Principal`
 *   (subject, scopes, roles, tenant), never the token.
 * - `notes_read`: scope `notes:read` (everyone who signs in gets it).
 * - `notes_write`: scope `notes:write` and the role `editor` (members of
 *   the upstream group `editors`).
 * - `upstream_profile`: calls the upstream provider's userinfo endpoint
 *   (OIDC Core §5.3) with the caller's **upstream** access token, from
 *   `UpstreamTokens` (refreshed there when it is about to expire). The MCP
 *   client's token is never passed on (spec 2025-11-25 basic/authorization
 *   "Access Token Privilege Restriction").
 *
 * Guarded tools are `hide`-den: `tools/list` shows a caller only what they
 * may call. A call without the scope is refused before the handler runs: 403
 * with `WWW-Authenticate: Bearer error="insufficient_scope"` (spec
 * 2026-07-28 basic/authorization "Runtime Insufficient Scope Errors").
 *
 * @since 0.3.0
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Authentication, Authorization, AuthorizationServer, Principal, UpstreamTokens } from "@emcee/auth"
import { Content, McpServer, Tool } from "@emcee/core"
import { Effect, Layer, Redacted, Ref, Schema } from "effect"

/** The scopes of the MCP server, with the text the consent page shows. */
export const SCOPES: ReadonlyArray<AuthorizationServer.ScopeDescription> = [
  { name: "notes:read", description: "Read the shared notes" },
  { name: "notes:write", description: "Add notes" }
]

/** The upstream provider's name: the login link `/login/local`, its callback `/callback/local`, subjects `local:alice`. */
export const UPSTREAM_NAME = "local"

/** What `initialize` (or `server/discover`) says about this server. */
export const serverOptions: McpServer.Options = {
  name: "emcee-example-oauth",
  version: "0.1.0",
  title: "emcee oauth example",
  description: "A shared notepad behind an embedded OAuth 2.1 authorization server that federates login to an OpenID Connect provider",
  instructions: "Call whoami to see who you are; notes_read needs notes:read, notes_write needs notes:write and the editor role; upstream_profile shows your profile at the identity provider."
}

/** A note of the notepad. */
interface Note {
  readonly author: string
  readonly text: string
  readonly at: string
}

const NoteText = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(2000)).annotations({ description: "The note" })

/** The tools over one notepad; `userinfoEndpoint` is the upstream provider's. */
const tools = (notes: Ref.Ref<ReadonlyArray<Note>>, userinfoEndpoint: string) => {
  const whoami = Tool.make("whoami", {
    description: "Who the server thinks you are: subject, scopes, roles, tenant (any authenticated caller)",
    handler: () =>
      Effect.map(Principal.Principal, (caller) =>
        JSON.stringify({
          subject: caller.subject,
          scopes: [...caller.scopes].sort(),
          roles: [...caller.roles].sort(),
          ...(caller.tenant === undefined ? {} : { tenant: caller.tenant }),
          credential: caller.kind,
          ...(caller.issuer === undefined ? {} : { issuer: caller.issuer }),
          ...(caller.expiresAt === undefined ? {} : { expiresAt: new Date(caller.expiresAt).toISOString() })
        }))
  })

  const notesRead = Tool.make("notes_read", {
    description: "Reads the shared notes (scope notes:read)",
    middleware: [Authorization.require({ scopes: ["notes:read"], hide: true })],
    handler: () =>
      Effect.map(Ref.get(notes), (all) =>
        all.length === 0 ? "No notes yet." : all.map((n) => `${n.at} ${n.author}: ${n.text}`).join("\n"))
  })

  const notesWrite = Tool.make("notes_write", {
    description: "Adds a note (scope notes:write and role editor)",
    input: Schema.Struct({ text: NoteText }),
    middleware: [Authorization.require({ scopes: ["notes:write"], roles: ["editor"], hide: true })],
    handler: ({ text }) =>
      Effect.gen(function*() {
        const caller = yield* Principal.Principal
        const note: Note = { author: caller.subject, text, at: new Date().toISOString() }
        const count = yield* Ref.modify(notes, (all) => [all.length + 1, [...all, note]] as const)
        return `Added note ${count}`
      })
  })

  const upstreamProfile = Tool.make("upstream_profile", {
    description: "Your profile at the upstream identity provider, fetched with your upstream token (never this server's token)",
    handler: () =>
      Effect.gen(function*() {
        const tokens = yield* UpstreamTokens.UpstreamTokens
        const token = yield* tokens.accessToken(UPSTREAM_NAME)
        const client = yield* HttpClient.HttpClient
        const response = yield* client.execute(
          HttpClientRequest.get(userinfoEndpoint).pipe(HttpClientRequest.bearerToken(Redacted.value(token)), HttpClientRequest.acceptJson)
        )
        if (response.status !== 200) {
          return { content: [Content.text(`The identity provider answered ${response.status} to the userinfo request`)], isError: true }
        }
        return JSON.stringify(yield* response.json)
      }).pipe(
        Effect.scoped,
        Effect.timeout("10 seconds"),
        Effect.provide(FetchHttpClient.layer),
        Effect.catchTags({
          RequestError: (e) => Effect.succeed({ content: [Content.text(`The identity provider cannot be reached: ${e.reason}`)], isError: true }),
          ResponseError: (e) => Effect.succeed({ content: [Content.text(`The identity provider's answer is not JSON (${e.reason})`)], isError: true })
        })
      )
  })

  return [whoami, notesRead, notesWrite, upstreamProfile] as const
}

/**
 * The MCP server with its tools and `Authentication` (the authorization
 * server's access tokens for `resource`), over the authorization server's
 * Layer (which provides `UpstreamTokens` too).
 */
export const makeApp = (options: { readonly resource: string; readonly userinfoEndpoint: string }) => {
  const Registrations = Layer.unwrapEffect(
    Effect.map(Ref.make<ReadonlyArray<Note>>([]), (notes) =>
      McpServer.register(Authentication.middleware, ...tools(notes, options.userinfoEndpoint)))
  )
  const Authenticated = Layer.unwrapEffect(
    Effect.map(AuthorizationServer.AuthorizationServer, (server) => Authentication.layer([server.authenticator(options.resource)]))
  )
  return Registrations.pipe(
    Layer.provideMerge(McpServer.layer(serverOptions)),
    Layer.provideMerge(Authenticated)
  )
}
