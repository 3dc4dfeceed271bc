/**
 * The auth example's server: a small file store behind JWT authentication,
 * scopes, role-based access control and a per-caller rate limit.
 *
 * - `whoami`: any authenticated caller; answers with what the server knows
 *   of them (subject, scopes, roles, credential kind), never the token.
 * - `list_files`, `read_file`: scope `files:read`.
 * - `write_file`: scope `files:write` and the RBAC permission `files:write`
 *   (roles `editor` and `admin` of the policy below).
 * - `delete_file`: scope `files:write` and the role `admin`.
 *
 * Every guarded tool is `hide`-den: `tools/list` shows a caller only what
 * they may call. A call without what it needs is refused before the handler
 * runs: 403 with `WWW-Authenticate: Bearer error="insufficient_scope"` when
 * more scopes would help (spec 2026-07-28 basic/authorization "Runtime
 * Insufficient Scope Errors"), 403 otherwise.
 *
 * Global middleware, in order: `Audit.middleware` (one audit record per
 * request, refusals included, written to stderr by `Audit.log`),
 * `Authentication.middleware` (the caller the transport authenticated, as
 * `Principal`), and a token bucket per caller on `tools/call`
 * (`RateLimit.tokenBucket`; over HTTP 429 with `Retry-After`).
 *
 * @since 0.2.0
 */
import { Audit, Authentication, type Authenticator, Authorization, Principal, RateLimit, Rbac } from "@emcee/auth"
import { Content, McpServer, Tool } from "@emcee/core"
import { Effect, Layer, Ref, Schema } from "effect"

/** The scopes this server understands (RFC 9728 `scopes_supported`). */
export const SCOPES = ["files:read", "files:write"] as const

/**
 * The RBAC policy (see `Rbac` for the grammar): an `admin` is an `editor`
 * is a `viewer`. Roles come from the token's `roles` claim.
 */
export const POLICY_YAML = `
roles:
  viewer:
    description: Reads files
    permissions: ["files:read"]
  editor:
    description: Reads and writes files
    inherits: [viewer]
    permissions: ["files:write"]
  admin:
    description: Everything, deleting included
    inherits: [editor]
    permissions: ["*"]
`

/** What `initialize` (or `server/discover`) says about this server. */
export const serverOptions: McpServer.Options = {
  name: "emcee-example-auth",
  version: "0.1.0",
  title: "emcee auth example",
  description: "A file store protected by JWT bearer tokens, scopes, RBAC and a per-caller rate limit",
  instructions: "Call whoami to see who the server thinks you are; list_files and read_file need files:read, write_file and delete_file need more."
}

/** The rate limit: per caller, on `tools/call` only (lists and pings are free). */
export interface Limits {
  /** Calls per second, sustained. */
  readonly rate: number
  /** Calls at once after a quiet spell. */
  readonly burst: number
}

const initialFiles: ReadonlyArray<readonly [string, string]> = [
  ["readme.txt", "Welcome to the emcee auth example."],
  ["notes/todo.txt", "- rotate the dev key\n- wire a real authorization server"]
]

const Path = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)).annotations({ description: "A file name, e.g. readme.txt" })

const notFound = (path: string) => ({ content: [Content.text(`No such file: ${path}`)], isError: true })

/** The tools over one in-memory store. */
const tools = (files: Ref.Ref<ReadonlyMap<string, string>>) => {
  const whoami = Tool.make("whoami", {
    description: "Who the server thinks you are: subject, scopes, roles (any authenticated caller)",
    handler: () =>
      Effect.map(Principal.Principal, (caller) =>
        JSON.stringify({
          subject: caller.subject,
          scopes: [...caller.scopes].sort(),
          roles: [...caller.roles].sort(),
          credential: caller.kind,
          ...(caller.issuer === undefined ? {} : { issuer: caller.issuer }),
          ...(caller.expiresAt === undefined ? {} : { expiresAt: new Date(caller.expiresAt).toISOString() })
        }))
  })

  const listFiles = Tool.make("list_files", {
    description: "Lists the stored files (scope files:read)",
    middleware: [Authorization.require({ scopes: ["files:read"], hide: true })],
    handler: () => Effect.map(Ref.get(files), (all) => [...all.keys()].sort().join("\n"))
  })

  const readFile = Tool.make("read_file", {
    description: "Reads a file (scope files:read)",
    input: Schema.Struct({ path: Path }),
    middleware: [Authorization.require({ scopes: ["files:read"], hide: true })],
    handler: ({ path }) => Effect.map(Ref.get(files), (all) => all.get(path) ?? notFound(path))
  })

  const writeFile = Tool.make("write_file", {
    description: "Creates or replaces a file (scope files:write and the RBAC permission files:write: role editor or admin)",
    input: Schema.Struct({ path: Path, content: Schema.String.pipe(Schema.maxLength(64 * 1024)) }),
    middleware: [Authorization.require({ scopes: ["files:write"], permissions: ["files:write"], hide: true })],
    handler: ({ path, content }) =>
      Effect.as(Ref.update(files, (all) => new Map(all).set(path, content)), `Wrote ${path} (${content.length} characters)`)
  })

  const deleteFile = Tool.make("delete_file", {
    description: "Deletes a file (scope files:write and role admin)",
    input: Schema.Struct({ path: Path }),
    middleware: [Authorization.require({ scopes: ["files:write"], roles: ["admin"], hide: true })],
    handler: ({ path }) =>
      Ref.modify(files, (all): readonly [Tool.Result, ReadonlyMap<string, string>] => {
        if (!all.has(path)) return [notFound(path), all]
        const next = new Map(all)
        next.delete(path)
        return [`Deleted ${path}`, next]
      })
  })

  return [whoami, listFiles, readFile, writeFile, deleteFile] as const
}

/**
 * The whole server, authenticating with `authenticators` (the `Jwt`
 * authenticator of the dev issuer, in `main.ts`): the MCP server with the
 * tools and global middleware registered, `Authentication` for the
 * transport's guard, the RBAC policy as `Rbac`, and audit records written to
 * stderr for as long as it runs.
 */
export const makeApp = (
  authenticators: ReadonlyArray<Authenticator.Authenticator>,
  limits: Limits
): Layer.Layer<McpServer.McpServer | Authentication.Authentication | Rbac.Rbac, Rbac.RbacError> => {
  const rateLimit = RateLimit.tokenBucket({
    name: "calls-per-caller",
    key: RateLimit.byPrincipal,
    rate: limits.rate,
    per: "1 second",
    burst: limits.burst,
    when: (request) => request.method === "tools/call"
  })
  const Registrations = Layer.unwrapEffect(
    Effect.map(Ref.make<ReadonlyMap<string, string>>(new Map(initialFiles)), (files) =>
      McpServer.register(Audit.middleware, Authentication.middleware, rateLimit, ...tools(files)))
  )
  const AuditLog = Layer.scopedDiscard(Audit.log)
  return Layer.mergeAll(Registrations, AuditLog).pipe(
    Layer.provideMerge(McpServer.layer(serverOptions)),
    Layer.provideMerge(Layer.effect(Rbac.Rbac, Rbac.fromYaml(POLICY_YAML, "policy.yaml"))),
    Layer.provideMerge(Authentication.layer(authenticators))
  )
}
