/**
 * `emcee install <client> [path]`: writes a server into the MCP configuration
 * of Claude Desktop, Claude Code, VS Code, Cursor, Gemini CLI or a generic
 * `mcp.json`.
 *
 * The entry runs `emcee serve <path>` with absolute paths only (the node
 * binary, the emcee entry, the served path), because clients start servers
 * from an unknown working directory and often without the shell's `PATH`
 * (`spawn node ENOENT`). `--http URL` writes a remote server instead.
 *
 * The file is edited in place: every other key and server, their order and
 * formatting stay as they were; a file that is not valid JSON is refused and
 * left untouched; a different server of the same name is replaced only with
 * `--force`; `--dry-run` prints the diff and writes nothing; the write is
 * atomic (a temporary file renamed over the original).
 *
 * @since 0.3.0
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { existsSync, readFileSync, statSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as CliError from "./CliError.js"
import { unifiedDiff } from "./internal/diff.js"
import { type ClientId, clients, type Environment, findClient, type Scope } from "./internal/installClients.js"
import { read, writeAtomic } from "./internal/installFiles.js"
import { detectIndent, JsonSyntaxError, jsonEqual, member, parse, setMember } from "./internal/installJson.js"

export type { ClientId, Scope } from "./internal/installClients.js"

/** What to install where. Only `client` is required. */
export interface InstallOptions {
  /** A client id (`claude-desktop`, `claude-code`, `vscode`, `cursor`, `gemini`, `mcp-json`) or an alias (`claude`, `code`, `gemini-cli`). */
  readonly client: string
  /** The folder or module to serve; default the working directory. Must exist. */
  readonly path?: string | undefined
  /** The server's name in the client; default the package.json name of `path`, else its folder name. Letters, digits, `-`, `_`. */
  readonly name?: string | undefined
  /** `KEY=VALUE` environment variables for the server. */
  readonly env?: ReadonlyArray<string> | undefined
  /** Install a remote (Streamable HTTP) server at this URL instead of a local one. */
  readonly http?: string | undefined
  /** `project` (a file in `cwd`) or `user` (a file in the home directory); default the client's (project where it has one). */
  readonly scope?: Scope | undefined
  /** The configuration file to edit, overriding the client's location. */
  readonly configFile?: string | undefined
  /** Replace a different server of the same name. */
  readonly force?: boolean | undefined
  /** Compute the change and its diff, write nothing. */
  readonly dryRun?: boolean | undefined
  /** The emcee entry to run; default this package's `dist/bin.js`. */
  readonly emceeBin?: string | undefined
  /** The working directory (default `process.cwd()`). */
  readonly cwd?: string | undefined
  /** The environment the locations are read from (`HOME`, `USERPROFILE`, `APPDATA`, `XDG_CONFIG_HOME`); default `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>> | undefined
  /** The platform the locations are computed for; default `process.platform`. */
  readonly platform?: NodeJS.Platform | undefined
  /** The node binary written as the command; default `process.execPath`. */
  readonly nodePath?: string | undefined
}

/** What `install` did (or, with `dryRun`, would do). */
export interface InstallResult {
  readonly client: ClientId
  /** The client's display name. */
  readonly title: string
  /** The configuration file, absolute. */
  readonly file: string
  readonly name: string
  /** The server entry as written in the client's format. */
  readonly entry: Readonly<Record<string, unknown>>
  /** `created`: a new file; `added`: a new server in an existing file; `replaced`: `--force` over a different entry; `unchanged`: the same entry was there. */
  readonly outcome: "created" | "added" | "replaced" | "unchanged"
  /** Whether the file was written (false for `unchanged` and `dryRun`). */
  readonly written: boolean
  /** The unified diff of the file; empty when unchanged. */
  readonly diff: string
  /** What to do for the client to pick the change up. */
  readonly after: string
  /** Things worth knowing that did not stop the install (printed on stderr). */
  readonly warnings: ReadonlyArray<string>
}

const commandName = "install"
const fail = (message: string, cause?: unknown) => Effect.fail(CliError.user(commandName, message, cause))

/** The emcee entry of this package: `dist/bin.js` beside `src/` (from the sources) or beside this module (built). */
export const defaultEmceeBin = (): string => fileURLToPath(new URL("../dist/bin.js", import.meta.url))

const namePattern = /^[A-Za-z0-9_-]+$/
const envKeyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The nearest package.json name at or above `dir` (at most `levels` folders up). */
const packageName = (dir: string, levels: number): string | undefined => {
  for (let at = dir, i = 0; i <= levels; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(at, "package.json"), "utf8")) as { name?: unknown }
      if (typeof pkg.name === "string" && pkg.name !== "") return pkg.name
    } catch {
      // No (readable) package.json here: look further up.
    }
    const parent = path.dirname(at)
    if (parent === at) break
    at = parent
  }
  return undefined
}

/** A default server name: the package name (without its scope), else the folder's or module's name, made valid. */
const defaultName = (target: string, isDirectory: boolean): string => {
  const fromPackage = isDirectory ? packageName(target, 0) : packageName(path.dirname(target), 3)
  const raw = fromPackage?.replace(/^@[^/]+\//, "") ??
    (isDirectory ? path.basename(target) : path.basename(target, path.extname(target)))
  const cleaned = raw.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "")
  return cleaned === "" ? "emcee-server" : cleaned
}

const parseEnv = (pairs: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const env: Record<string, string> = {}
    for (const pair of pairs) {
      const eq = pair.indexOf("=")
      const key = eq < 0 ? pair : pair.slice(0, eq)
      if (eq < 0 || !envKeyPattern.test(key)) {
        return yield* fail(`--env ${JSON.stringify(pair)} is not KEY=VALUE; pass e.g. --env API_KEY=secret (the key: letters, digits, "_")`)
      }
      env[key] = pair.slice(eq + 1)
    }
    return env
  })

/**
 * Writes (or with `dryRun` only computes) the server entry in the client's
 * configuration. Every failure a user can cause is a one-line `CliError`
 * (exit code 1) naming the file, flag or path.
 */
export const install = (options: InstallOptions): Effect.Effect<InstallResult, CliError.CliError> =>
  Effect.gen(function*() {
    const client = findClient(options.client)
    if (client === undefined) {
      return yield* fail(
        `unknown client ${JSON.stringify(options.client)}; use one of ${clients.map((c) => c.id).join(", ")} (see emcee install --list-clients)`
      )
    }
    const where: Environment = {
      cwd: path.resolve(options.cwd ?? process.cwd()),
      env: options.environment ?? process.env,
      platform: options.platform ?? process.platform
    }
    if (options.scope !== undefined && !client.scopes.includes(options.scope)) {
      return yield* fail(
        `${client.title} has no ${options.scope} configuration; drop --scope (it uses ${client.location(client.defaultScope, where)})`
      )
    }
    const scope = options.scope ?? client.defaultScope

    const target = path.resolve(where.cwd, options.path ?? ".")
    const stat = (() => {
      try {
        return statSync(target)
      } catch {
        return undefined
      }
    })()
    if (stat === undefined) {
      return yield* fail(`path ${options.path ?? "."} does not exist (${target}); pass the folder or module to serve`)
    }

    let name: string
    if (options.name !== undefined) {
      if (!namePattern.test(options.name) || options.name.length > 64) {
        return yield* fail(
          `--name ${JSON.stringify(options.name)} is not a valid server name; use up to 64 letters, digits, "-" and "_"`
        )
      }
      name = options.name
    } else name = defaultName(target, stat.isDirectory())

    const env = yield* parseEnv(options.env ?? [])
    const warnings: Array<string> = []
    let entry: Record<string, unknown>
    if (options.http !== undefined) {
      if (Object.keys(env).length > 0) {
        return yield* fail("--env applies to local servers only; a remote server (--http) reads its environment where it runs")
      }
      const url = URL.canParse(options.http) ? new URL(options.http) : undefined
      if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
        return yield* fail(`--http ${JSON.stringify(options.http)} is not an http(s) URL; pass e.g. --http https://example.com/mcp`)
      }
      const remote = client.http(url.href)
      if ("unsupported" in remote) return yield* fail(String(remote.unsupported))
      entry = remote
    } else {
      let bin: string
      if (options.emceeBin !== undefined) {
        bin = path.resolve(where.cwd, options.emceeBin)
        if (!existsSync(bin)) return yield* fail(`--emcee-bin ${options.emceeBin} does not exist (${bin}); pass the path of emcee's bin.js`)
      } else {
        bin = defaultEmceeBin()
        if (!existsSync(bin)) warnings.push(`${bin} does not exist yet; build @emcee/cli (npm run build) before the client starts the server`)
      }
      entry = client.stdio({ command: path.resolve(options.nodePath ?? process.execPath), args: [bin, "serve", target], env })
    }

    const file = options.configFile !== undefined ? path.resolve(where.cwd, options.configFile) : client.location(scope, where)
    const current = yield* read(file)
    let outcome: InstallResult["outcome"]
    let after: string
    if (current.text.trim() === "") {
      outcome = current.exists ? "added" : "created"
      after = JSON.stringify({ [client.container]: { [name]: entry } }, null, 2) + "\n"
    } else {
      const untouched = "fix it by hand; it was left untouched"
      const root = yield* Effect.try({
        try: () => parse(current.text, { jsonc: client.jsonc }),
        catch: (e) =>
          e instanceof JsonSyntaxError
            ? CliError.user(commandName, `${file} is not valid JSON (${e.message}); ${untouched}`, e)
            : CliError.user(commandName, `${file} could not be parsed; ${untouched}`, e)
      })
      if (root.kind !== "object") return yield* fail(`${file}: the top level is not a JSON object; ${untouched}`)
      const style = { indent: detectIndent(current.text), eol: current.text.includes("\r\n") ? "\r\n" : "\n" }
      const servers = member(root, client.container)
      if (servers === undefined) {
        outcome = "added"
        after = setMember(current.text, root, client.container, { [name]: entry }, style)
      } else if (servers.kind !== "object") {
        return yield* fail(`${file}: "${client.container}" is not a JSON object; ${untouched}`)
      } else {
        const existing = member(servers, name)
        if (existing !== undefined && jsonEqual(existing.value, entry)) outcome = "unchanged"
        else if (existing !== undefined && options.force !== true) {
          return yield* fail(
            `${file} already has a different server named "${name}"; use --force to replace it (or --name to install under another name)`
          )
        } else outcome = existing === undefined ? "added" : "replaced"
        after = outcome === "unchanged" ? current.text : setMember(current.text, servers, name, entry, style)
      }
      // The edit is textual: check that it says what it should before anything is written.
      const check = parse(after, { jsonc: client.jsonc })
      const written = member(member(check, client.container) ?? check, name)
      if (written === undefined || !jsonEqual(written.value, entry)) {
        return yield* Effect.die(new Error(`emcee install: editing ${file} did not produce the expected entry`))
      }
    }
    const diff = unifiedDiff(current.text, after, { fromLabel: current.exists ? file : "/dev/null", toLabel: file })
    const write = outcome !== "unchanged" && options.dryRun !== true
    if (write) yield* writeAtomic(file, current, after)
    return { client: client.id, title: client.title, file, name, entry, outcome, written: write, diff, after: client.after, warnings }
  })

/** One line per client and scope: the client id, its name, the scope and the file on this machine. */
export const listClients = (where?: Partial<Environment>): ReadonlyArray<{ readonly client: ClientId; readonly title: string; readonly scope: Scope; readonly file: string }> => {
  const env: Environment = { cwd: where?.cwd ?? process.cwd(), env: where?.env ?? process.env, platform: where?.platform ?? process.platform }
  return clients.flatMap((c) => c.scopes.map((scope) => ({ client: c.id, title: c.title, scope, file: c.location(scope, env) })))
}

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n")
}

const renderClients = () => {
  const rows = listClients().map((r) => [r.client, r.title, r.scope, r.file])
  return [
    "Supported clients and their configuration files on this machine:",
    "",
    table([["CLIENT", "NAME", "SCOPE", "FILE"], ...rows]),
    "",
    "Install with: emcee install <client> [path] [--scope project|user] (--config-file PATH to edit another file)"
  ].join("\n")
}

const client = Args.text({ name: "client" }).pipe(
  Args.withDescription(`The client: ${clients.map((c) => c.id).join(", ")}`),
  Args.optional
)
const target = Args.text({ name: "path" }).pipe(
  Args.withDescription("The folder or module to serve (default: the current directory)"),
  Args.optional
)
const options = {
  name: Options.text("name").pipe(
    Options.withPseudoName("NAME"),
    Options.withDescription("The server's name in the client (default: the package.json name, else the folder name)"),
    Options.optional
  ),
  env: Options.text("env").pipe(
    Options.withPseudoName("KEY=VALUE"),
    Options.withDescription("An environment variable for the server (repeatable)"),
    Options.repeated
  ),
  http: Options.text("http").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription("Install a remote Streamable HTTP server at URL instead of a local one"),
    Options.optional
  ),
  scope: Options.choice("scope", ["project", "user"]).pipe(
    Options.withDescription("project: a file in the current directory; user: a file in your home directory (default: project where the client has one)"),
    Options.optional
  ),
  configFile: Options.text("config-file").pipe(
    Options.withPseudoName("PATH"),
    Options.withDescription("Edit this file instead of the client's usual one"),
    Options.optional
  ),
  file: Options.text("file").pipe(
    Options.withPseudoName("PATH"),
    Options.withDescription("The mcp.json to edit with the mcp-json client (default ./mcp.json); same as --config-file"),
    Options.optional
  ),
  force: Options.boolean("force").pipe(Options.withDescription("Replace a different server of the same name")),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print the diff of the file and write nothing")),
  emceeBin: Options.text("emcee-bin").pipe(
    Options.withPseudoName("PATH"),
    Options.withDescription("The emcee entry (bin.js) the client runs (default: this installation's)"),
    Options.optional
  ),
  listClients: Options.boolean("list-clients").pipe(Options.withDescription("List the supported clients and where their files are"))
}

const description = `Write a server into an MCP client's configuration, with absolute paths to node, emcee and the served path

Clients: ${clients.map((c) => c.id).join(", ")} (emcee install --list-clients shows their files).
The file is edited in place (other servers and keys are kept); a different server of the same name is replaced only with --force.

Examples:
  emcee install claude-desktop                       # serve the current folder from Claude Desktop
  emcee install vscode ./my-server --env API_KEY=s3cret
  emcee install claude-code --scope user --name notes ./notes
  emcee install cursor --http https://mcp.example.com/mcp --name remote
  emcee install mcp-json --file ./config/mcp.json --dry-run
  emcee install --list-clients`

/** The `install` command. */
export const command = Command.make("install", { client, target, ...options }, (args) =>
  Effect.gen(function*() {
    if (args.listClients || Option.isNone(args.client)) return yield* Console.log(renderClients())
    const result = yield* install({
      client: args.client.value,
      path: Option.getOrUndefined(args.target),
      name: Option.getOrUndefined(args.name),
      env: args.env,
      http: Option.getOrUndefined(args.http),
      scope: Option.getOrUndefined(args.scope),
      configFile: Option.getOrUndefined(Option.orElse(args.configFile, () => args.file)),
      force: args.force,
      dryRun: args.dryRun,
      emceeBin: Option.getOrUndefined(args.emceeBin)
    })
    for (const warning of result.warnings) yield* Console.error(`emcee install: warning: ${warning}`)
    const runs = "url" in result.entry || "httpUrl" in result.entry
      ? `connects to ${String(result.entry.url ?? result.entry.httpUrl)}`
      : `runs ${[result.entry.command, ...(result.entry.args as ReadonlyArray<string>)].join(" ")}`
    if (result.outcome === "unchanged") {
      return yield* Console.log(`"${result.name}" is already installed in ${result.title} (${result.file}); nothing changed.`)
    }
    if (args.dryRun) {
      yield* Console.log(result.diff.trimEnd())
      return yield* Console.log(`Dry run: would ${result.outcome === "replaced" ? "replace" : "add"} "${result.name}" in ${result.file} (${result.title}); nothing written.`)
    }
    const verb = result.outcome === "replaced" ? "Replaced" : "Installed"
    yield* Console.log(`${verb} "${result.name}" in ${result.title}: ${result.file}`)
    yield* Console.log(`  ${runs}`)
    yield* Console.log(result.after)
  })).pipe(Command.withDescription(description))
