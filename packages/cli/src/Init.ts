/**
 * `emcee init <dir> [--template minimal|folder|http|auth] [--docker] [--k8s]`:
 * a new MCP server project that installs and runs as generated.
 *
 * Every template writes `package.json` (ES modules; scripts `build`,
 * `start`, `dev` = `emcee dev`, `test` = vitest, `typecheck`), a strict
 * `tsconfig.json` (and `tsconfig.build.json`), a first tool with its test
 * using the in-memory `TestClient` of @emcee/testing, and a README with
 * Claude Desktop and VS Code snippets and the `emcee install` command.
 *
 * | template | what |
 * |---|---|
 * | `minimal` (default) | one module, `src/server.ts`, whose default export is the app Layer; `emcee serve` runs it over stdio |
 * | `folder` | `src/tools/`, `src/prompts/`, `src/resources/` by convention (`Folder`), served directly from TypeScript |
 * | `http` | `src/server.ts` and `src/main.ts`: Streamable HTTP on `PORT`, `/health` and `/health/ready` |
 * | `auth` | as `http`, behind JWT bearer tokens (`BearerGuard`, `Jwt.config` from `JWT_*` variables) with a scoped tool |
 *
 * `gateway` is refused: it comes with the gateway package, which emcee does
 * not have yet.
 *
 * - `--docker`: a multi-stage Dockerfile (node:20-slim; the runtime stage
 *   runs as the non-root `node` user with a `HEALTHCHECK` on `/health` made
 *   with node's fetch), `.dockerignore`, `compose.yaml` (port, environment,
 *   restart policy, healthcheck). In a container every template speaks HTTP.
 * - `--k8s`: `k8s/deployment.yaml` (liveness on `/health`, readiness on
 *   `/health/ready`, resources, non-root, read-only root filesystem),
 *   `k8s/service.yaml`, `k8s/pdb.yaml` (PodDisruptionBudget).
 * - A directory that exists and is not empty is refused without `--force`.
 * - `npm install` runs in the project unless `--no-install`, with progress
 *   on stderr; a failed install names the directory and npm's exit code.
 * - Advanced: `--emcee-source PATH` makes the @emcee dependencies `file:`
 *   links into the emcee checkout at PATH (`PATH/packages/core`, …) instead
 *   of registry versions (`^0.1.0`): for trying unreleased emcee, and for
 *   emcee's own tests.
 *
 * @since 0.3.0
 */
import { Args, Command, HelpDoc, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CliError from "./CliError.js"
import { dockerFiles, k8sFiles } from "./internal/initDeploy.js"
import { type Progress, npmInstall } from "./internal/initInstall.js"
import {
  type GeneratedFile,
  isValidName,
  packageName,
  projectFiles,
  type ProjectOptions,
  type Template,
  templates
} from "./internal/initProject.js"

export type { GeneratedFile, ProjectOptions, Template } from "./internal/initProject.js"
export { templates } from "./internal/initProject.js"

/** What `init` is asked to do. Only `dir` is required. */
export interface InitOptions {
  /** The project's folder: created when missing. */
  readonly dir: string
  /** The template's name (default `minimal`); checked here, so any text is accepted. */
  readonly template?: string | undefined
  readonly docker?: boolean | undefined
  readonly k8s?: boolean | undefined
  /** Write into a folder that is not empty (files of the same names are replaced). */
  readonly force?: boolean | undefined
  /** Run `npm install` in the project (default true). */
  readonly install?: boolean | undefined
  /** A local emcee checkout to depend on with `file:` links. */
  readonly emceeSource?: string | undefined
  /** The package's and server's name; default derived from the folder's name. */
  readonly name?: string | undefined
  /** Where install progress goes; default stderr. */
  readonly progress?: Progress | undefined
}

/** What `init` did. */
export interface InitResult {
  /** The project's absolute path. */
  readonly directory: string
  readonly name: string
  readonly template: Template
  /** The files written, relative to `directory`. */
  readonly files: ReadonlyArray<string>
  /** npm's summary line, when it installed. */
  readonly installed: string | undefined
}

const COMMAND = "init"

/** Every file of a project, deployment files included when asked. */
export const files = (options: ProjectOptions): ReadonlyArray<GeneratedFile> => [
  ...projectFiles(options),
  ...(options.docker ? dockerFiles(options) : []),
  ...(options.k8s ? k8sFiles(options) : [])
]

/** The template named `name`, or the one-line error naming the valid ones. */
export const parseTemplate = (name: string): Effect.Effect<Template, CliError.CliError> => {
  const valid = templates.join(", ")
  if ((templates as ReadonlyArray<string>).includes(name)) return Effect.succeed(name as Template)
  if (name === "gateway") {
    return Effect.fail(
      CliError.user(COMMAND, `the gateway template comes with the gateway package, which emcee does not have yet: choose one of ${valid}`)
    )
  }
  return Effect.fail(CliError.user(COMMAND, `unknown template ${JSON.stringify(name)} (--template): choose one of ${valid}`))
}

/** Whether `dir` can be written into: missing, or an empty folder, or `force`. */
const checkDirectory = (dir: string, shown: string, force: boolean): Effect.Effect<void, CliError.CliError> =>
  Effect.suspend(() => {
    let stat: fs.Stats
    try {
      stat = fs.statSync(dir)
    } catch {
      return Effect.void
    }
    if (!stat.isDirectory()) return Effect.fail(CliError.user(COMMAND, `${shown} is a file: give the path of a new or empty folder`))
    let entries: ReadonlyArray<string>
    try {
      entries = fs.readdirSync(dir)
    } catch (cause) {
      return Effect.fail(CliError.user(COMMAND, `cannot read ${shown}: ${cause instanceof Error ? cause.message : String(cause)}`, cause))
    }
    if (entries.length > 0 && !force) {
      return Effect.fail(
        CliError.user(COMMAND, `${shown} is not empty: choose a new folder, or pass --force to write into it (files of the same names are replaced)`)
      )
    }
    return Effect.void
  })

/** The checkout `--emcee-source` names, as an absolute path, or the error naming the flag. */
const checkSource = (source: string): Effect.Effect<string, CliError.CliError> =>
  Effect.suspend(() => {
    const absolute = path.resolve(source)
    return fs.existsSync(path.join(absolute, "packages", "core", "package.json"))
      ? Effect.succeed(absolute)
      : Effect.fail(
        CliError.user(COMMAND, `--emcee-source ${source} is not an emcee checkout (no packages/core/package.json there): give the root folder of a clone of emcee`)
      )
  })

const writeFiles = (dir: string, generated: ReadonlyArray<GeneratedFile>): Effect.Effect<void, CliError.CliError> =>
  Effect.forEach(generated, (file) =>
    Effect.try({
      try: () => {
        const target = path.join(dir, file.path)
        fs.mkdirSync(path.dirname(target), { recursive: true })
        fs.writeFileSync(target, file.content)
      },
      catch: (cause) =>
        CliError.user(COMMAND, `cannot write ${path.join(dir, file.path)}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
    }), { discard: true })

/**
 * Generates the project and, unless `install` is false, runs `npm install`
 * in it. Every failure a user can cause is a `CliError` of one line.
 */
export const init = (options: InitOptions): Effect.Effect<InitResult, CliError.CliError> =>
  Effect.gen(function*() {
    const template = yield* parseTemplate(options.template ?? "minimal")
    const directory = path.resolve(options.dir)
    const shown = options.dir
    yield* checkDirectory(directory, shown, options.force === true)
    const emceeSource = options.emceeSource === undefined ? undefined : yield* checkSource(options.emceeSource)
    const name = options.name ?? packageName(path.basename(directory))
    if (!isValidName(name)) {
      return yield* CliError.user(
        COMMAND,
        `--name ${JSON.stringify(name)} is not a valid package name: use lower-case letters, digits, -, . and _ (optionally @scope/name)`
      )
    }
    const generated = files({
      name,
      template,
      docker: options.docker === true,
      k8s: options.k8s === true,
      emceeSource,
      directory,
      nodePath: process.execPath
    })
    yield* Effect.try({
      try: () => fs.mkdirSync(directory, { recursive: true }),
      catch: (cause) => CliError.user(COMMAND, `cannot create ${shown}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
    })
    yield* writeFiles(directory, generated)
    let installed: string | undefined
    if (options.install !== false) {
      const outcome = yield* npmInstall(directory, options.progress === undefined ? {} : { progress: options.progress })
      switch (outcome._tag) {
        case "NotFound":
          return yield* CliError.user(COMMAND, `cannot run npm install in ${shown}: ${outcome.message}; install Node.js with npm, or pass --no-install`)
        case "Failed":
          return yield* CliError.user(
            COMMAND,
            `npm install failed in ${shown} (exit code ${outcome.exitCode ?? "none: killed by a signal"}): fix what npm reported above, then run npm install there`,
            outcome.output
          )
        case "Installed":
          installed = outcome.summary
      }
    }
    return { directory, name, template, files: generated.map((file) => file.path), installed }
  })

/** What `init` prints on stdout: the files, then what to do next. */
export const formatResult = (result: InitResult, shown: string): string => {
  const lines = [`Created ${result.name} (${result.template} template) in ${result.directory}:`, ...result.files.map((file) => `  ${file}`), "", "Next:"]
  const cd = shown === "." ? [] : [`  cd ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`]
  lines.push(...cd)
  if (result.installed === undefined) lines.push("  npm install")
  lines.push(
    "  npm test          # the first tool's test, with the in-memory test client",
    "  npm run dev       # emcee dev: reloads on change, clients stay connected",
    "  (see README.md for Claude Desktop, VS Code and emcee install)"
  )
  return lines.join("\n")
}

const dir = Args.text({ name: "dir" }).pipe(Args.withDescription("The new project's folder (created; must be empty unless --force)"))
const template = Options.text("template").pipe(
  Options.withAlias("t"),
  Options.withPseudoName(templates.join("|")),
  Options.withDescription(`The template: ${templates.join(", ")} (gateway comes with the gateway package)`),
  Options.withDefault("minimal")
)
const docker = Options.boolean("docker").pipe(
  Options.withDescription("Also write a multi-stage Dockerfile (non-root, HEALTHCHECK on /health), .dockerignore and compose.yaml")
)
const k8s = Options.boolean("k8s").pipe(
  Options.withDescription("Also write k8s/ (Deployment with liveness and readiness probes, Service, PodDisruptionBudget)")
)
const force = Options.boolean("force").pipe(Options.withDescription("Write into a folder that is not empty (files of the same names are replaced)"))
const noInstall = Options.boolean("no-install").pipe(Options.withDescription("Do not run npm install"))
const name = Options.text("name").pipe(
  Options.withDescription("The package's and server's name (default: from the folder's name)"),
  Options.optional
)
const emceeSource = Options.text("emcee-source").pipe(
  Options.withPseudoName("PATH"),
  Options.withDescription("Advanced: depend on the packages of the emcee checkout at PATH (file: links) instead of registry versions"),
  Options.optional
)

/** The `init` command. */
export const command = Command.make(
  "init",
  { dir, template, docker, k8s, force, noInstall, name, emceeSource },
  (args) =>
    Effect.gen(function*() {
      const result = yield* init({
        dir: args.dir,
        template: args.template,
        docker: args.docker,
        k8s: args.k8s,
        force: args.force,
        install: !args.noInstall,
        name: Option.getOrUndefined(args.name),
        emceeSource: Option.getOrUndefined(args.emceeSource)
      })
      if (result.installed !== undefined) yield* Console.error(`npm: ${result.installed}`)
      yield* Console.log(formatResult(result, args.dir))
    })
).pipe(
  Command.withDescription(HelpDoc.blocks([
    HelpDoc.p(
      "Create an MCP server project that installs and runs as generated: package.json (build, start, dev, test), a strict tsconfig, a first tool and its test with the in-memory test client, a README with client snippets; then npm install (progress on stderr)."
    ),
    HelpDoc.p(
      "Templates: minimal (one module, stdio), folder (src/tools, src/prompts, src/resources by convention), http (Streamable HTTP with /health), auth (JWT bearer tokens with scopes, configured from the environment)."
    ),
    HelpDoc.p("Examples:"),
    HelpDoc.p("  emcee init my-server                         # the minimal template, then npm install"),
    HelpDoc.p("  emcee init my-server --template folder       # tools/, prompts/, resources/ by convention"),
    HelpDoc.p("  emcee init api --template http --docker --k8s"),
    HelpDoc.p("  emcee init secure --template auth --no-install"),
    HelpDoc.p("  emcee init dev-server --emcee-source ~/src/emcee   # advanced: depend on a local emcee checkout")
  ]))
)
