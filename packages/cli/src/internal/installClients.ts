/**
 * The MCP clients `emcee install` knows: where each keeps its configuration
 * and the shape of a server entry in it.
 *
 * Sources (checked for this release):
 * - Claude Desktop: https://modelcontextprotocol.io/quickstart/user —
 *   `claude_desktop_config.json`, `mcpServers.<name>` = { command, args, env };
 *   the file holds local (stdio) servers only, remote servers are added under
 *   Settings > Connectors.
 * - Claude Code: https://code.claude.com/docs/en/mcp — project scope `.mcp.json`
 *   at the project root, user scope `~/.claude.json`, both `mcpServers`;
 *   `{ type: "stdio", command, args, env }` or `{ type: "http", url }`.
 * - VS Code: https://code.visualstudio.com/docs/copilot/reference/mcp-configuration —
 *   `.vscode/mcp.json` (workspace) or `mcp.json` in the user profile, top-level
 *   `servers`; `{ type: "stdio", command, args, env }` or `{ type: "http", url }`;
 *   JSON with comments.
 * - Cursor: https://cursor.com/docs/mcp — `.cursor/mcp.json` (project) or
 *   `~/.cursor/mcp.json` (global), `mcpServers`; `{ command, args, env }` or `{ url }`.
 * - Gemini CLI: https://geminicli.com/docs/tools/mcp-server — `.gemini/settings.json`
 *   (project) or `~/.gemini/settings.json` (user), `mcpServers`;
 *   `{ command, args, env }` or `{ httpUrl }` for Streamable HTTP.
 * - Generic `mcp.json`: the common `mcpServers` shape, `{ command, args, env }`
 *   or `{ type: "http", url }`.
 *
 * @internal
 */
import * as os from "node:os"
import * as path from "node:path"

/** A supported client. */
export type ClientId = "claude-desktop" | "claude-code" | "vscode" | "cursor" | "gemini" | "mcp-json"

/** Project (a file in the working directory) or user (a file in the home directory). */
export type Scope = "project" | "user"

/** Where the paths are computed: tests pass a temporary HOME and other platforms. */
export interface Environment {
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly platform: NodeJS.Platform
}

/** A local server started by the client: the absolute command and its arguments. */
export interface StdioEntry {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
}

/** One client. */
export interface Client {
  readonly id: ClientId
  readonly title: string
  /** The top-level key holding the servers. */
  readonly container: "mcpServers" | "servers"
  readonly scopes: ReadonlyArray<Scope>
  readonly defaultScope: Scope
  /** Whether the file may hold comments and trailing commas. */
  readonly jsonc: boolean
  readonly location: (scope: Scope, where: Environment) => string
  readonly stdio: (entry: StdioEntry) => Record<string, unknown>
  /** The entry of a remote server, or why this client's file cannot hold one. */
  readonly http: (url: string) => Record<string, unknown> | { readonly unsupported: string }
  /** What to do for the client to pick the change up. */
  readonly after: string
}

const pathFor = (where: Environment) => (where.platform === "win32" ? path.win32 : path.posix)

/** The home directory: `HOME` (`USERPROFILE` on Windows) from the environment, else the OS's. */
export const home = (where: Environment): string =>
  (where.platform === "win32" ? where.env.USERPROFILE ?? where.env.HOME : where.env.HOME) ?? os.homedir()

/** The per-user application data folder: `%APPDATA%`, `~/Library/Application Support`, `$XDG_CONFIG_HOME` or `~/.config`. */
const appData = (where: Environment): string => {
  const p = pathFor(where)
  if (where.platform === "win32") return where.env.APPDATA ?? p.join(home(where), "AppData", "Roaming")
  if (where.platform === "darwin") return p.join(home(where), "Library", "Application Support")
  return where.env.XDG_CONFIG_HOME ?? p.join(home(where), ".config")
}

const withEnv = (entry: StdioEntry) => ({
  command: entry.command,
  args: [...entry.args],
  ...(Object.keys(entry.env).length > 0 ? { env: { ...entry.env } } : {})
})

const projectOrUser = (project: ReadonlyArray<string>, user: ReadonlyArray<string>) => (scope: Scope, where: Environment) => {
  const p = pathFor(where)
  return scope === "project" ? p.resolve(where.cwd, ...project) : p.join(home(where), ...user)
}

/** Every supported client, in the order they are listed. */
export const clients: ReadonlyArray<Client> = [
  {
    id: "claude-desktop",
    title: "Claude Desktop",
    container: "mcpServers",
    scopes: ["user"],
    defaultScope: "user",
    jsonc: false,
    location: (_scope, where) => pathFor(where).join(appData(where), "Claude", "claude_desktop_config.json"),
    stdio: withEnv,
    http: () => ({
      unsupported:
        "Claude Desktop's configuration file holds local (stdio) servers only; add a remote server in Claude Desktop under Settings > Connectors"
    }),
    after: "Restart Claude Desktop to load it."
  },
  {
    id: "claude-code",
    title: "Claude Code",
    container: "mcpServers",
    scopes: ["project", "user"],
    defaultScope: "project",
    jsonc: false,
    location: projectOrUser([".mcp.json"], [".claude.json"]),
    stdio: (entry) => ({ type: "stdio", ...withEnv(entry) }),
    http: (url) => ({ type: "http", url }),
    after: "Start Claude Code (or run /mcp) to load it; a project server asks for approval on first use."
  },
  {
    id: "vscode",
    title: "VS Code",
    container: "servers",
    scopes: ["project", "user"],
    defaultScope: "project",
    jsonc: true,
    location: (scope, where) =>
      scope === "project"
        ? pathFor(where).resolve(where.cwd, ".vscode", "mcp.json")
        : pathFor(where).join(appData(where), "Code", "User", "mcp.json"),
    stdio: (entry) => ({ type: "stdio", ...withEnv(entry) }),
    http: (url) => ({ type: "http", url }),
    after: "VS Code picks it up from mcp.json; start it from the MCP: List Servers command if it does not start."
  },
  {
    id: "cursor",
    title: "Cursor",
    container: "mcpServers",
    scopes: ["project", "user"],
    defaultScope: "project",
    jsonc: false,
    location: projectOrUser([".cursor", "mcp.json"], [".cursor", "mcp.json"]),
    stdio: withEnv,
    http: (url) => ({ url }),
    after: "Restart Cursor (or toggle the server in its MCP settings) to load it."
  },
  {
    id: "gemini",
    title: "Gemini CLI",
    container: "mcpServers",
    scopes: ["project", "user"],
    defaultScope: "project",
    jsonc: true,
    location: projectOrUser([".gemini", "settings.json"], [".gemini", "settings.json"]),
    stdio: withEnv,
    http: (url) => ({ httpUrl: url }),
    after: "Restart Gemini CLI and run /mcp to check it."
  },
  {
    id: "mcp-json",
    title: "mcp.json",
    container: "mcpServers",
    scopes: ["project"],
    defaultScope: "project",
    jsonc: false,
    location: (_scope, where) => pathFor(where).resolve(where.cwd, "mcp.json"),
    stdio: withEnv,
    http: (url) => ({ type: "http", url }),
    after: "Point your client at this file."
  }
]

/** Other names people type for a client. */
const aliases: Readonly<Record<string, ClientId>> = {
  claude: "claude-desktop",
  "claude-desktop": "claude-desktop",
  "claude-code": "claude-code",
  claudecode: "claude-code",
  vscode: "vscode",
  code: "vscode",
  "vs-code": "vscode",
  cursor: "cursor",
  gemini: "gemini",
  "gemini-cli": "gemini",
  "mcp-json": "mcp-json",
  "mcp.json": "mcp-json",
  generic: "mcp-json"
}

/** The client named `name` (an id or an alias, any case). */
export const findClient = (name: string): Client | undefined => {
  const id = aliases[name.toLowerCase()]
  return id === undefined ? undefined : clients.find((c) => c.id === id)
}
