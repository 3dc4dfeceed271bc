/**
 * What `emcee init` writes for each template: package.json, the tsconfigs,
 * the server's source, its test (with the in-memory `TestClient`), a README
 * with client snippets. Pure string builders: nothing here touches the disk.
 *
 * @internal
 */

/** The templates `emcee init` can generate. */
export const templates = ["minimal", "folder", "http", "auth"] as const

/** A template `emcee init` can generate. */
export type Template = (typeof templates)[number]

/** What a generated project is made from. */
export interface ProjectOptions {
  /** The package's (and the server's) name: a valid npm package name. */
  readonly name: string
  readonly template: Template
  /** Also write a Dockerfile, .dockerignore and compose.yaml. */
  readonly docker: boolean
  /** Also write k8s/deployment.yaml, k8s/service.yaml and k8s/pdb.yaml. */
  readonly k8s: boolean
  /** An absolute path to an emcee checkout: depend on its packages with `file:` instead of the registry. */
  readonly emceeSource?: string | undefined
  /** The project's absolute path, for the client snippets of the README. */
  readonly directory: string
  /** The node binary the client snippets name (default `node`). */
  readonly nodePath?: string | undefined
}

/** A file to write, relative to the project. */
export interface GeneratedFile {
  readonly path: string
  readonly content: string
}

/** The version range of the @emcee packages (not on the registry yet: see `--emcee-source`). */
export const emceeVersion = "^0.1.0"

/** Version ranges of the other dependencies, those this checkout is built and tested with. */
const versions = {
  effect: "^3.22.4",
  "@effect/platform-node": "^0.108.2",
  typescript: "^5.9.3",
  vitest: "^3.2.0",
  "@types/node": "^20.19.0"
} as const

/** The port HTTP servers listen on inside containers and by default. */
export const PORT = 3000

/**
 * A valid npm package name (and MCP server name) from a folder name:
 * lower case, letters, digits, `-`, `.` and `_`, not starting with `.` or `_`.
 */
export const packageName = (folder: string): string => {
  const cleaned = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+/, "")
    .replace(/-+$/, "")
    .slice(0, 214)
  return cleaned.length === 0 ? "mcp-server" : cleaned
}

/** Whether `name` can be given as `--name`: what `packageName` produces, and scoped names. */
export const isValidName = (name: string): boolean => /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/.test(name) && name.length <= 214

/** The name without an npm scope: for images, Kubernetes objects and client entries. */
export const shortName = (name: string): string => name.replace(/^@[^/]+\//, "")

/** How a template is run. */
export interface Layout {
  /** Whether the server speaks HTTP (`src/main.ts` listens on a port). */
  readonly http: boolean
  /** What `emcee serve`/`emcee dev` are given in development. */
  readonly devTarget: string
  /** What production runs, as an argv after `node`. */
  readonly startArgs: ReadonlyArray<string>
  /** The folder the runtime image needs besides node_modules (`dist`, or `src` when TypeScript is served directly). */
  readonly runtimeFolder: "dist" | "src"
  /** The variables naming the port and host in production. */
  readonly portVariable: string
  readonly hostVariable: string
}

const emceeBin = "node_modules/@emcee/cli/dist/bin.js"

export const layout = (template: Template): Layout => {
  switch (template) {
    case "minimal":
      return {
        http: false,
        devTarget: "src/server.ts",
        startArgs: [emceeBin, "serve", "dist/server.js"],
        runtimeFolder: "dist",
        portVariable: "EMCEE_PORT",
        hostVariable: "EMCEE_HOST"
      }
    case "folder":
      return {
        http: false,
        devTarget: "src",
        startArgs: [emceeBin, "serve", "src"],
        runtimeFolder: "src",
        portVariable: "EMCEE_PORT",
        hostVariable: "EMCEE_HOST"
      }
    case "http":
    case "auth":
      return {
        http: true,
        devTarget: "src/server.ts",
        startArgs: ["dist/main.js"],
        runtimeFolder: "dist",
        portVariable: "PORT",
        hostVariable: "HOST"
      }
  }
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

/** The dependency on an @emcee package: the registry range, or the package in a local checkout. */
const emceeDependency = (options: ProjectOptions, pkg: string): string =>
  options.emceeSource === undefined ? emceeVersion : `file:${options.emceeSource.replace(/\\/g, "/").replace(/\/$/, "")}/packages/${pkg}`

const sorted = (record: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))

const packageJson = (options: ProjectOptions): string => {
  const { template } = options
  const at = layout(template)
  const emcee = (pkg: string) => [`@emcee/${pkg}`, emceeDependency(options, pkg)] as const
  // `emcee serve` runs minimal and folder servers in production: the CLI is a dependency there.
  const servedByCli = !at.http
  const dependencies: Record<string, string> = Object.fromEntries([
    emcee("core"),
    emcee("transport"),
    ["effect", versions.effect],
    ...(template === "auth" ? [emcee("auth")] : []),
    ...(at.http ? [["@effect/platform-node", versions["@effect/platform-node"]] as const] : []),
    ...(servedByCli ? [emcee("cli")] : [])
  ])
  const devDependencies: Record<string, string> = Object.fromEntries([
    emcee("testing"),
    ...(servedByCli ? [] : [emcee("cli")]),
    ["@types/node", versions["@types/node"]],
    ["typescript", versions.typescript],
    ["vitest", versions.vitest]
  ])
  const scripts: Record<string, string> = {
    // A folder server's TypeScript is served directly: its build only checks the types.
    build: template === "folder" ? "tsc -p tsconfig.build.json --noEmit" : "tsc -p tsconfig.build.json",
    start: at.http ? "node dist/main.js" : `emcee serve ${template === "folder" ? "src" : "dist/server.js"}`,
    // emcee dev reloads folder servers in place; an app module is served from its TypeScript (restart to reload).
    dev: at.devTarget === "src"
      ? at.http ? `emcee dev ${at.devTarget} --http` : `emcee dev ${at.devTarget}`
      : at.http ? `emcee serve ${at.devTarget} --http` : `emcee serve ${at.devTarget}`,
    test: "vitest run",
    typecheck: "tsc --noEmit"
  }
  return json({
    name: options.name,
    version: "0.1.0",
    private: true,
    description: `An MCP server made with emcee (${template} template)`,
    type: "module",
    engines: { node: ">=20" },
    scripts,
    ...(template === "minimal" ? { emcee: { app: "src/server.ts" } } : {}),
    dependencies: sorted(dependencies),
    devDependencies: sorted(devDependencies)
  })
}

const tsconfig = json({
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: ["node"],
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    isolatedModules: true,
    esModuleInterop: true,
    forceConsistentCasingInFileNames: true,
    skipLibCheck: true,
    noEmit: true
  },
  include: ["src", "test"]
})

const tsconfigBuild = json({
  extends: "./tsconfig.json",
  compilerOptions: { noEmit: false, rootDir: "src", outDir: "dist", sourceMap: true },
  include: ["src"],
  exclude: ["**/*.test.ts"]
})

const gitignore = `node_modules/
dist/
.env
*.log
`

// ---------------------------------------------------------------- sources

const helloTool = `import { Effect, Schema } from "effect"
import { Tool } from "@emcee/core"

/**
 * A first tool. Every file under src/tools/ (subfolders too) that exports
 * definitions made with Tool.make is served: no registration code needed.
 * Tests (*.test.ts) and files starting with _ (helpers) are skipped.
 */
export default Tool.make("hello", {
  description: "Greets someone by name",
  input: Schema.Struct({
    name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)).annotations({ description: "Who to greet" })
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: ({ name }) => Effect.succeed(\`Hello, \${name}!\`)
})
`

const greetPrompt = `import { Effect, Schema } from "effect"
import { Prompt } from "@emcee/core"

/** A prompt: every file under src/prompts/ exporting Prompt.make definitions is served. */
export default Prompt.make({
  name: "greet",
  description: "Asks the model to greet someone warmly",
  args: Schema.Struct({ name: Schema.String.annotations({ description: "Who to greet" }) }),
  render: ({ name }) => Effect.succeed([Prompt.user(\`Write a short, warm greeting for \${name}.\`)])
})
`

const aboutResource = (name: string) => `import { Effect } from "effect"
import { Resource } from "@emcee/core"

/** A resource: every file under src/resources/ exporting Resource.make (or ResourceTemplate.make) definitions is served. */
export default Resource.make({
  uri: "about://server",
  name: "about",
  description: "What this server is",
  mimeType: "text/markdown",
  read: () => Effect.succeed(Resource.text("# ${name}\\n\\nAn MCP server made with emcee.", "text/markdown"))
})
`

const folderConfig = (name: string) => `# The configuration of \`emcee serve src\` and \`emcee dev src\` (see \`emcee config src\`).
# Precedence: flags > EMCEE_* environment variables > src/.env > this file > defaults.
server:
  name: ${JSON.stringify(shortName(name))}
  version: "0.1.0"
# transport: http        # or --http; stdio by default
# port: 3000
# middleware:
#   logging: true
#   timeout: 30s
#   rateLimit:
#     perSecond: 10
`

const helloInline = `const hello = Tool.make("hello", {
  description: "Greets someone by name",
  input: Schema.Struct({
    name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)).annotations({ description: "Who to greet" })
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: ({ name }) => Effect.succeed(\`Hello, \${name}!\`)
})`

const minimalServer = (name: string) => `import { Effect, Layer, Schema } from "effect"
import { McpServer, Tool } from "@emcee/core"

/** What initialize (or server/discover) says about this server. */
export const serverOptions: McpServer.Options = { name: ${JSON.stringify(shortName(name))}, version: "0.1.0" }

export ${helloInline}

/**
 * The app: the MCP server with its tools registered. The default export is
 * what \`emcee serve\` and \`emcee dev\` run (over stdio, or --http).
 */
const App = McpServer.register(hello).pipe(Layer.provideMerge(McpServer.layer(serverOptions)))

export default App
`

const httpServer = minimalServer

const httpMain = (name: string) => `/**
 * Serves the app over Streamable HTTP: the MCP endpoint on /mcp, liveness on
 * /health and readiness on /health/ready (503 while shutting down), metrics on
 * /metrics. PORT (default ${PORT}) and HOST (default 127.0.0.1) come from the
 * environment, other transport options from HTTP_* variables
 * (HTTP_ALLOWED_ORIGINS, HTTP_MAX_BODY_BYTES, HTTP_SHUTDOWN_TIMEOUT, ...).
 * SIGTERM drains requests in flight, then exits 0.
 */
import { NodeRuntime } from "@effect/platform-node"
import { HttpTransport, Startup } from "@emcee/transport"
import { Config, Effect } from "effect"
import App from "./server.js"

const main = Effect.gen(function*() {
  const port = yield* Config.integer("PORT").pipe(Config.withDefault(${PORT}))
  const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
  const fromEnv = yield* HttpTransport.config()
  const running = yield* HttpTransport.make({ ...fromEnv, port, host })
  // Logs go to stderr; stdout stays quiet.
  yield* Effect.sync(() => process.stderr.write(\`${shortName(name)} listening on \${running.url}\\n\`))
  return yield* Effect.never
}).pipe(Effect.scoped, Effect.provide(App))

main.pipe(Startup.reportFatal(${JSON.stringify(shortName(name))}), (effect) => NodeRuntime.runMain(effect, { disablePrettyLogger: true }))
`

const authServer = (name: string) => `import { Effect, Layer, Schema } from "effect"
import { Authentication, Authorization, Principal } from "@emcee/auth"
import { McpServer, Tool } from "@emcee/core"

/** The scopes this server understands (RFC 9728 scopes_supported). */
export const SCOPES = ["hello:call"] as const

/** What initialize (or server/discover) says about this server. */
export const serverOptions: McpServer.Options = { name: ${JSON.stringify(shortName(name))}, version: "0.1.0" }

/** Any authenticated caller: who the server thinks they are (never their token). */
export const whoami = Tool.make("whoami", {
  description: "Who the server thinks you are: subject and scopes",
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: () => Effect.map(Principal.Principal, (caller) => JSON.stringify({ subject: caller.subject, scopes: [...caller.scopes].sort() }))
})

/** Needs the scope hello:call: without it the call is refused before the handler runs (403 insufficient_scope over HTTP). */
export const hello = Tool.make("hello", {
  description: "Greets someone by name (scope hello:call)",
  input: Schema.Struct({
    name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)).annotations({ description: "Who to greet" })
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  middleware: [Authorization.require({ scopes: ["hello:call"] })],
  handler: ({ name }) => Effect.map(Principal.Principal, (caller) => \`Hello, \${name}! (asked by \${caller.subject})\`)
})

/**
 * The app: every request needs an authenticated caller (Authentication.middleware
 * provides Principal to the handlers). The transport authenticates: BearerGuard
 * over HTTP (src/main.ts).
 */
const App = McpServer.register(Authentication.middleware, whoami, hello).pipe(Layer.provideMerge(McpServer.layer(serverOptions)))

export default App
`

const authMain = (name: string) => `/**
 * Serves the app over Streamable HTTP behind JWT bearer tokens (spec
 * basic/authorization): the server is an OAuth 2.1 resource server.
 * BearerGuard answers a request without a valid token with 401 and
 * WWW-Authenticate pointing at the RFC 9728 metadata it serves at
 * /.well-known/oauth-protected-resource/mcp; a token without a scope a tool
 * needs gets 403 insufficient_scope.
 *
 * Configuration, from the environment (see .env.example):
 * - PORT (default ${PORT}), HOST (default 127.0.0.1)
 * - RESOURCE_URL: this server's canonical URI, the audience tokens must carry
 *   (default http://HOST:PORT/mcp)
 * - JWT_ISSUER, JWT_AUDIENCE (= RESOURCE_URL), and JWT_JWKS_URL (or
 *   JWT_SECRET, a shared HMAC secret of 32 bytes or more): see Jwt.config
 * - HTTP_* for other transport options (HTTP_ALLOWED_ORIGINS, ...)
 * A missing or invalid value stops the start with one line naming it.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Authentication, BearerGuard, Jwt } from "@emcee/auth"
import { HttpTransport, Startup } from "@emcee/transport"
import { Config, Effect, Layer, Option } from "effect"
import App, { SCOPES } from "./server.js"

const settings = Config.all({
  port: Config.integer("PORT").pipe(Config.withDefault(${PORT})),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
  resource: Config.option(Config.url("RESOURCE_URL")),
  issuer: Config.string("JWT_ISSUER")
})

/** The authenticators: JWTs verified against the issuer's keys (JWT_* variables). */
const AuthenticationLive = Layer.unwrapEffect(Effect.map(Jwt.config("JWT"), (jwt) => Authentication.layer([jwt])))

const main = Effect.gen(function*() {
  const { host, issuer, port, resource } = yield* settings
  const url = Option.match(resource, { onNone: () => \`http://\${host}:\${port}/mcp\`, onSome: (u) => u.href })
  const guard = yield* BearerGuard.make({
    resource: url,
    authorizationServers: [issuer],
    scopesSupported: SCOPES,
    resourceName: ${JSON.stringify(shortName(name))}
  })
  const fromEnv = yield* HttpTransport.config()
  const running = yield* HttpTransport.make({ ...fromEnv, port, host, path: new URL(url).pathname, guard })
  yield* Effect.sync(() => process.stderr.write(\`${shortName(name)} listening on \${running.url} (resource \${url})\\n\`))
  return yield* Effect.never
}).pipe(Effect.scoped, Effect.provide(App), Effect.provide(AuthenticationLive))

main.pipe(Startup.reportFatal(${JSON.stringify(shortName(name))}), (effect) => NodeRuntime.runMain(effect, { disablePrettyLogger: true }))
`

const authEnvExample = `# Copy to .env (never commit it) and fill in: read by src/main.ts (npm start).
PORT=${PORT}
HOST=127.0.0.1
# This server's canonical URI: what clients ask tokens for, and the audience tokens must carry.
RESOURCE_URL=http://127.0.0.1:${PORT}/mcp
# Your authorization server (Auth0, Keycloak, Entra ID, ...).
JWT_ISSUER=https://auth.example.com/
JWT_AUDIENCE=http://127.0.0.1:${PORT}/mcp
JWT_JWKS_URL=https://auth.example.com/.well-known/jwks.json
# Or, instead of JWT_JWKS_URL, a shared HMAC secret (32 bytes or more):
# JWT_SECRET=
`

// ---------------------------------------------------------------- tests

const testHeader = `import { Effect } from "effect"
import { describe, expect, it } from "vitest"
`

const folderTest = (name: string) => `${testHeader}import { TestClient } from "@emcee/testing"
import hello from "../src/tools/hello.js"

/** Runs \`effect\` with a client connected in memory to a server serving the hello tool. */
const withClient = <A, E>(effect: Effect.Effect<A, E, TestClient.TestClient>) =>
  effect.pipe(Effect.provide(TestClient.layerWith({ name: ${JSON.stringify(shortName(name))}, version: "0.1.0" }, hello)), Effect.runPromise)

describe("hello", () => {
  it("is listed with its input schema", async () => {
    const tools = await withClient(Effect.flatMap(TestClient.TestClient, (client) => client.listAllTools()))
    expect(tools.map((tool) => tool.name)).toEqual(["hello"])
    expect(tools[0]?.inputSchema.required).toEqual(["name"])
  })

  it("greets by name", async () => {
    const result = await withClient(Effect.flatMap(TestClient.TestClient, (client) => client.callTool("hello", { name: "Ada" })))
    expect(result.isError ?? false).toBe(false)
    expect(result.content).toEqual([{ type: "text", text: "Hello, Ada!" }])
  })

  it("answers invalid arguments with a tool error", async () => {
    const result = await withClient(Effect.flatMap(TestClient.TestClient, (client) => client.callTool("hello", { name: "" })))
    expect(result.isError).toBe(true)
  })
})
`

const appTest = `${testHeader}import { Layer } from "effect"
import { TestClient } from "@emcee/testing"
import App from "../src/server.js"

/** Runs \`effect\` with a client connected in memory to the app. */
const withClient = <A, E>(effect: Effect.Effect<A, E, TestClient.TestClient>) =>
  effect.pipe(Effect.provide(TestClient.layer().pipe(Layer.provide(App))), Effect.runPromise)

describe("the server", () => {
  it("lists the hello tool", async () => {
    const tools = await withClient(Effect.flatMap(TestClient.TestClient, (client) => client.listAllTools()))
    expect(tools.map((tool) => tool.name)).toEqual(["hello"])
  })

  it("greets by name", async () => {
    const result = await withClient(Effect.flatMap(TestClient.TestClient, (client) => client.callTool("hello", { name: "Ada" })))
    expect(result.isError ?? false).toBe(false)
    expect(result.content).toEqual([{ type: "text", text: "Hello, Ada!" }])
  })

  it("answers invalid arguments with a tool error", async () => {
    const result = await withClient(Effect.flatMap(TestClient.TestClient, (client) => client.callTool("hello", { name: "" })))
    expect(result.isError).toBe(true)
  })
})
`

const authTest = `${testHeader}import { Authentication, Principal } from "@emcee/auth"
import { McpClient } from "@emcee/core"
import { MemoryTransport } from "@emcee/transport"
import App from "../src/server.js"

/**
 * Connects a client in memory to the app as the caller \`identity\` (what
 * BearerGuard gives a request whose token it verified), or as nobody, and
 * runs \`use\` with it.
 */
const asCaller = <A, E>(identity: Principal.Identity | undefined, use: (client: McpClient.McpClient) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const transport = yield* MemoryTransport.make(identity === undefined ? {} : { context: Authentication.contextOf(identity) })
    const client = yield* McpClient.make({ transport, clientInfo: { name: "test", version: "0.1.0" }, protocolVersion: "2025-11-25" })
    return yield* use(client)
  }).pipe(Effect.scoped, Effect.provide(App))

describe("the server (spec basic/authorization)", () => {
  it("greets a caller with the scope hello:call", async () => {
    const result = await Effect.runPromise(asCaller(Principal.make("alice", ["hello:call"]), (client) => client.callTool("hello", { name: "Ada" })))
    expect(result.content).toEqual([{ type: "text", text: "Hello, Ada! (asked by alice)" }])
  })

  it("refuses a caller without the scope, before the handler runs", async () => {
    const outcome = await Effect.runPromise(Effect.either(asCaller(Principal.make("bob", []), (client) => client.callTool("hello", { name: "Ada" }))))
    expect(outcome._tag).toBe("Left")
  })

  it("tells a caller who they are", async () => {
    const result = await Effect.runPromise(asCaller(Principal.make("alice", ["hello:call"]), (client) => client.callTool("whoami", {})))
    expect(result.content).toEqual([{ type: "text", text: JSON.stringify({ subject: "alice", scopes: ["hello:call"] }) }])
  })

  it("refuses a client no transport authenticated", async () => {
    const outcome = await Effect.runPromise(Effect.either(asCaller(undefined, (client) => client.callTool("whoami", {}))))
    expect(outcome._tag).toBe("Left")
    if (outcome._tag === "Left") expect(String(outcome.left)).toMatch(/authenticat/i)
  })
})
`

// ---------------------------------------------------------------- README

const readme = (options: ProjectOptions): string => {
  const { template } = options
  const name = shortName(options.name)
  const at = layout(template)
  const node = options.nodePath ?? "node"
  const dir = options.directory.replace(/\\/g, "/")
  const url = `http://127.0.0.1:${PORT}/mcp`
  const stdioTarget = template === "folder" ? "src" : "dist/server.js"
  const stdioEntry = { command: node, args: [`${dir}/${emceeBin}`, "serve", `${dir}/${stdioTarget}`] }
  const claude = at.http
    ? { mcpServers: { [name]: { type: "http", url } } }
    : { mcpServers: { [name]: stdioEntry } }
  const vscode = at.http ? { servers: { [name]: { type: "http", url } } } : { servers: { [name]: { type: "stdio", ...stdioEntry } } }
  const install = at.http ? `npx emcee install claude-desktop --name ${name} --http ${url}` : `npx emcee install claude-desktop ${stdioTarget}`
  const layoutText: Record<Template, string> = {
    minimal: `- \`src/server.ts\`: the server, one module; its default export is the app Layer (\`emcee serve\` runs it over stdio, or \`--http\`).
- \`test/server.test.ts\`: its test, with the in-memory \`TestClient\` of @emcee/testing.`,
    folder: `- \`src/tools/\`, \`src/prompts/\`, \`src/resources/\`: every file there (subfolders too) exporting definitions made with
  \`Tool.make\`, \`Prompt.make\`, \`Resource.make\` or \`ResourceTemplate.make\` is served; no registration code.
  Tests (\`*.test.ts\`) and files starting with \`_\` are skipped. TypeScript is served directly (no build step):
  \`npm run build\` only checks the types.
- \`src/emcee.config.yaml\`: the server's name, transport, middleware (see \`npx emcee config src\`).
- \`test/hello.test.ts\`: the first tool's test, with the in-memory \`TestClient\` of @emcee/testing.`,
    http: `- \`src/server.ts\`: the server; its default export is the app Layer.
- \`src/main.ts\`: serves it over Streamable HTTP on \`PORT\` (default ${PORT}): the MCP endpoint on \`/mcp\`,
  \`/health\` (liveness), \`/health/ready\` (readiness), \`/metrics\`.
- \`test/server.test.ts\`: its test, with the in-memory \`TestClient\` of @emcee/testing.`,
    auth: `- \`src/server.ts\`: the server; tools need an authenticated caller, \`hello\` the scope \`hello:call\`.
- \`src/main.ts\`: serves it over Streamable HTTP behind JWT bearer tokens (\`BearerGuard\`): 401 with RFC 9728
  metadata without a valid token, 403 \`insufficient_scope\` without a needed scope. Configured from the
  environment: copy \`.env.example\` to \`.env\` and set \`JWT_ISSUER\`, \`JWT_AUDIENCE\`, \`JWT_JWKS_URL\`
  (or \`JWT_SECRET\`), \`RESOURCE_URL\`; then \`node --env-file=.env dist/main.js\`.
- \`test/server.test.ts\`: its test, with an in-memory client acting as callers with and without the scope.`
  }
  const sections = [
    `# ${name}`,
    "",
    `An MCP server made with emcee (\`emcee init --template ${template}\`).`,
    "",
    "```sh",
    "npm install",
    "npm test          # vitest, with the in-memory test client",
    template === "folder"
      ? `npm run dev       # emcee dev: reloads on change, clients stay connected`
      : `npm run dev       # emcee serve src/server.ts: the TypeScript served directly (restart after a change)`,
    "npm run build",
    `npm start         # ${at.http ? `Streamable HTTP on ${url}` : "stdio; npm start -- --http for Streamable HTTP"}`,
    "```",
    "",
    "## Layout",
    "",
    layoutText[template],
    "",
    "## Use it from a client",
    "",
    `The simplest: let emcee write the entry, with absolute paths (clients start servers from an unknown folder, often without your \`PATH\`):`,
    "",
    "```sh",
    install,
    `npx emcee install vscode ${at.http ? `--name ${name} --http ${url}` : stdioTarget}   # also: claude-code, cursor, gemini, mcp-json; --dry-run shows the diff`,
    "```",
    "",
    `Or by hand. Claude Desktop (\`claude_desktop_config.json\`${template === "minimal" ? "; npm run build first" : ""}):`,
    "",
    "```json",
    JSON.stringify(claude, null, 2),
    "```",
    "",
    "VS Code (`.vscode/mcp.json`):",
    "",
    "```json",
    JSON.stringify(vscode, null, 2),
    "```",
    "",
    "Try it without a client:",
    "",
    "```sh",
    ...(at.http
      ? [
        template === "auth" ? `npx emcee list ${url} --bearer "$TOKEN"` : `npx emcee list ${url}`,
        `npx emcee call ${url} hello --arg name=Ada${template === "auth" ? ` --bearer "$TOKEN"` : ""}`
      ]
      : [
        `npx emcee list "npx emcee serve ${stdioTarget}"`,
        `npx emcee call "npx emcee serve ${stdioTarget}" hello --arg name=Ada`
      ]),
    "```"
  ]
  if (options.docker) {
    sections.push(
      "",
      "## Docker",
      "",
      "```sh",
      `docker build -t ${name} .`,
      `docker compose up -d     # port ${PORT}, restarts unless stopped, healthcheck on /health`,
      "```",
      "",
      `The image is built in two stages (node:20-slim), runs as the non-root \`node\` user and checks \`/health\` with node's fetch.` +
        (at.http ? "" : ` In the container the server speaks Streamable HTTP (\`EMCEE_TRANSPORT=http\`) on port ${PORT}.`),
      options.emceeSource === undefined ? "" : `\nThis project depends on a local emcee checkout (\`file:\` dependencies), which a Docker build cannot see: switch them to registry versions before building an image.`
    )
  }
  if (options.k8s) {
    sections.push(
      "",
      "## Kubernetes",
      "",
      "```sh",
      ...(template === "auth" ? [`kubectl create secret generic ${name}-auth --from-env-file=.env`] : []),
      "kubectl apply -f k8s/",
      "```",
      "",
      "`k8s/deployment.yaml` (liveness on `/health`, readiness on `/health/ready`, resource requests and limits, non-root, read-only root filesystem), `k8s/service.yaml`, `k8s/pdb.yaml` (a PodDisruptionBudget keeping one pod up). Push the image to your registry and set `image:` first."
    )
  }
  return `${sections.join("\n")}\n`
}

/** Every file of the project, the deployment files excepted. */
export const projectFiles = (options: ProjectOptions): ReadonlyArray<GeneratedFile> => {
  const { name, template } = options
  const common: Array<GeneratedFile> = [
    { path: "package.json", content: packageJson(options) },
    { path: "tsconfig.json", content: tsconfig },
    { path: "tsconfig.build.json", content: tsconfigBuild },
    { path: ".gitignore", content: gitignore },
    { path: "README.md", content: readme(options) }
  ]
  switch (template) {
    case "minimal":
      return [...common, { path: "src/server.ts", content: minimalServer(name) }, { path: "test/server.test.ts", content: appTest }]
    case "folder":
      return [
        ...common,
        { path: "src/tools/hello.ts", content: helloTool },
        { path: "src/prompts/greet.ts", content: greetPrompt },
        { path: "src/resources/about.ts", content: aboutResource(shortName(name)) },
        { path: "src/emcee.config.yaml", content: folderConfig(name) },
        { path: "test/hello.test.ts", content: folderTest(name) }
      ]
    case "http":
      return [
        ...common,
        { path: "src/server.ts", content: httpServer(name) },
        { path: "src/main.ts", content: httpMain(name) },
        { path: "test/server.test.ts", content: appTest }
      ]
    case "auth":
      return [
        ...common,
        { path: "src/server.ts", content: authServer(name) },
        { path: "src/main.ts", content: authMain(name) },
        { path: ".env.example", content: authEnvExample },
        { path: "test/server.test.ts", content: authTest }
      ]
  }
}
