/**
 * A server from a folder, by convention: every source file under `tools/`,
 * `prompts/` and `resources/` (subfolders too) is imported, and its exports
 * made with `Tool.make`, `Prompt.make`, `Resource.make` or
 * `ResourceTemplate.make` (the default export and named exports alike) are
 * registered. No other code is needed: `emcee serve <folder>`.
 *
 * - Imported: `.ts`, `.mts`, `.js`, `.mjs`. TypeScript is served directly,
 *   without a build step (through tsx's loader); give the folder a
 *   package.json with `"type": "module"`.
 * - Skipped: tests (`*.test.*`, `*.spec.*`), declarations (`*.d.ts`), files
 *   and folders starting with `_` or `.` (helpers: `tools/_db.ts`), and
 *   anything else (a README, JSON data).
 * - A file that exports no primitive is reported as a warning naming it.
 * - Two primitives of the same kind with the same name (a tool's or
 *   prompt's name, a resource's URI, a template's URI template), or a file
 *   that fails to load, stop the start with one line naming the files, or
 *   the file and line.
 *
 * The server's name and version come from the configuration (`Config`:
 * `server.name`, else the folder's package.json, else the folder's name).
 *
 * @example
 * // tools/echo.ts
 * import { Effect, Schema } from "effect"
 * import { Tool } from "@emcee/core"
 * export default Tool.make("echo", {
 *   input: Schema.Struct({ text: Schema.String }),
 *   handler: ({ text }) => Effect.succeed(text)
 * })
 * // then: emcee serve .    (or emcee serve . --http)
 *
 * @since 0.3.0
 */
import { McpServer, type Prompt, type Resource, type ResourceTemplate, type Tool } from "@emcee/core"
import { Console, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CliError from "./CliError.js"
import { display } from "./internal/configSources.js"
import { describeImportError, importFile, isSourceFile, sourceFiles } from "./internal/folderImport.js"

/** The folders of the convention. */
export const directories = ["tools", "prompts", "resources"] as const

/** A definition the convention registers. */
export type Primitive = Tool.Any | Prompt.Any | Resource.Any | ResourceTemplate.Any

/** The kinds of primitive, as people name them. */
export type Kind = "tool" | "prompt" | "resource" | "resource template"

/**
 * Whether `value` was made with `Tool.make`, `Prompt.make`, `Resource.make`
 * or `ResourceTemplate.make`: their tag and the members the server uses
 * (checked by shape, so a definition made by another copy of @emcee/core is
 * recognised too).
 */
export const isPrimitive = (value: unknown): value is Primitive => {
  if (typeof value !== "object" || value === null) return false
  const v = value as Record<string, unknown>
  const definition = typeof v["definition"] === "object" && v["definition"] !== null
  const middleware = Array.isArray(v["middleware"])
  switch (v["_tag"]) {
    case "Tool":
      return typeof v["name"] === "string" && definition && typeof v["call"] === "function" && middleware
    case "Prompt":
      return typeof v["name"] === "string" && definition && typeof v["get"] === "function" && middleware
    case "Resource":
      return typeof v["uri"] === "string" && definition && typeof v["read"] === "function" && middleware
    case "ResourceTemplate":
      return definition && typeof v["match"] === "function" && typeof v["read"] === "function" && middleware
    default:
      return false
  }
}

/** The kind of a primitive and the name that must be unique among its kind. */
export const identify = (primitive: Primitive): { readonly kind: Kind; readonly name: string } => {
  switch (primitive._tag) {
    case "Tool":
      return { kind: "tool", name: primitive.name }
    case "Prompt":
      return { kind: "prompt", name: primitive.name }
    case "Resource":
      return { kind: "resource", name: primitive.uri }
    case "ResourceTemplate":
      return { kind: "resource template", name: primitive.definition.uriTemplate }
  }
}

/** A primitive found in a file. */
export interface Definition {
  readonly file: string
  /** `default` or the export's name. */
  readonly exportName: string
  readonly kind: Kind
  readonly name: string
  readonly primitive: Primitive
}

/** What a folder holds. */
export interface Contents {
  readonly definitions: ReadonlyArray<Definition>
  /** Files that export no primitive, one line each. */
  readonly warnings: ReadonlyArray<string>
  /** The files imported. */
  readonly files: ReadonlyArray<string>
}

/** Whether `dir` follows the convention: it has a `tools/`, `prompts/`, `resources/` or `plugins/` folder. */
export const isFolderServer = (dir: string): boolean =>
  [...directories, "plugins"].some((name) => {
    try {
      return fs.statSync(path.join(dir, name)).isDirectory()
    } catch {
      return false
    }
  })

/** The source files of the convention under `dir`, sorted (see the module comment for what is skipped). */
export const files = (dir: string): ReadonlyArray<string> => directories.flatMap((name) => sourceFiles(path.join(dir, name)))

/** Whether a file name is imported by the convention. */
export { isSourceFile }

/** The primitives a module exports (default first), each once. */
export const primitivesOf = (module: Record<string, unknown>): Array<readonly [string, Primitive]> => {
  const seen = new Set<unknown>()
  const names = Object.keys(module).sort((a, b) => (a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : a > b ? 1 : 0))
  const out: Array<readonly [string, Primitive]> = []
  for (const name of names) {
    const value = module[name]
    if (!isPrimitive(value) || seen.has(value)) continue
    seen.add(value)
    out.push([name, value])
  }
  return out
}

/**
 * Imports `file`; a failure is a `CliError` (exit 1) naming the file and
 * line: `cannot load tools/broken.ts:3:18: Unexpected "="`. With `fresh`, a
 * new instance of the module (for reloading an edited file).
 */
export const importDefinitions = (
  file: string,
  options: { readonly fresh?: boolean; readonly command?: string } = {}
): Effect.Effect<ReadonlyArray<Definition>, CliError.CliError> =>
  Effect.tryPromise({
    try: () => importFile(file, options),
    catch: (error) => {
      const { column, line, reason } = describeImportError(file, error)
      const at = line === undefined ? "" : `:${line}${column === undefined ? "" : `:${column}`}`
      return CliError.user(options.command ?? "serve", `cannot load ${display(file)}${at}: ${reason}`, error)
    }
  }).pipe(Effect.map((module) => primitivesOf(module).map(([exportName, primitive]) => ({ file, exportName, primitive, ...identify(primitive) }))))

/** The first two definitions of the same kind with the same name, if any. */
export const findDuplicate = (definitions: ReadonlyArray<Definition>): readonly [Definition, Definition] | undefined => {
  const byName = new Map<string, Definition>()
  for (const definition of definitions) {
    const key = `${definition.kind}\u0000${definition.name}`
    const first = byName.get(key)
    if (first !== undefined) return [first, definition]
    byName.set(key, definition)
  }
  return undefined
}

const where = (definition: Definition) =>
  `${display(definition.file)}${definition.exportName === "default" ? "" : ` (export ${definition.exportName})`}`

/**
 * Imports every source file of the convention under `dir` and collects the
 * primitives. Fails with a `CliError` (exit 1) for a file that cannot be
 * loaded (naming the file and line) or two primitives with the same name
 * (naming both files).
 */
export const load = (dir: string, options: { readonly command?: string } = {}): Effect.Effect<Contents, CliError.CliError> =>
  Effect.gen(function*() {
    const command = options.command ?? "serve"
    const found = files(dir)
    const definitions: Array<Definition> = []
    const warnings: Array<string> = []
    for (const file of found) {
      const inFile = yield* importDefinitions(file, { command })
      if (inFile.length === 0) {
        warnings.push(`${display(file)} exports no tool, prompt or resource (made with Tool.make, Prompt.make, Resource.make or ResourceTemplate.make); name helpers with a leading _ to skip them`)
      }
      definitions.push(...inFile)
    }
    const duplicate = findDuplicate(definitions)
    if (duplicate !== undefined) {
      const [first, second] = duplicate
      return yield* CliError.user(command, `${first.kind} "${first.name}" is defined twice: in ${where(first)} and in ${where(second)}; rename one`)
    }
    return { definitions, warnings, files: found }
  })

/**
 * The folder's server as a Layer providing `McpServer`: its primitives
 * registered on a server with `options` (name, version, instructions…).
 * Warnings (files without primitives) are printed on stderr.
 */
export const layer = (
  dir: string,
  options: McpServer.Options,
  settings: { readonly command?: string } = {}
): Effect.Effect<Layer.Layer<McpServer.McpServer>, CliError.CliError> =>
  Effect.gen(function*() {
    const contents = yield* load(dir, settings)
    for (const warning of contents.warnings) yield* Console.error(`emcee ${settings.command ?? "serve"}: warning: ${warning}`)
    if (contents.definitions.length === 0) {
      yield* Console.error(`emcee ${settings.command ?? "serve"}: warning: no tools, prompts or resources found under ${directories.map((d) => `${display(path.join(dir, d))}/`).join(", ")}`)
    }
    const primitives = contents.definitions.map((definition) => definition.primitive)
    return (McpServer.register(...(primitives as unknown as ReadonlyArray<Tool.Tool<string, never>>)) as Layer.Layer<never, never, McpServer.McpServer>).pipe(
      Layer.provideMerge(McpServer.layer(options))
    )
  })
