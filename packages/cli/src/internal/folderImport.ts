/**
 * Finding and importing the source files of a folder server: TypeScript
 * through tsx's loader hooks (registered once per process, so `.ts` files
 * load without a build step), JavaScript as it is.
 *
 * @internal
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"

/** The extensions imported. */
export const extensions = [".ts", ".mts", ".js", ".mjs"] as const

/** Whether `name` (a file name) is a source file of the convention: not a test, declaration or private file. */
export const isSourceFile = (name: string): boolean =>
  extensions.some((ext) => name.endsWith(ext)) &&
  !name.startsWith("_") && !name.startsWith(".") &&
  !/\.d\.m?ts$/.test(name) &&
  !/\.(test|spec)\.[^.]+$/.test(name)

/** Source files under `dir`, subfolders too (not `node_modules` nor folders starting with `_` or `.`), sorted. */
export const sourceFiles = (dir: string): Array<string> => {
  const out: Array<string> = []
  const walk = (current: string) => {
    let entries: Array<fs.Dirent>
    try {
      entries = fs.readdirSync(current, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && !entry.name.startsWith("_") && !entry.name.startsWith(".")) walk(full)
      } else if (entry.isFile() && isSourceFile(entry.name)) {
        out.push(full)
      }
    }
  }
  walk(dir)
  return out
}

let tsxRegistered: Promise<void> | undefined

/** Registers tsx's module hooks once per process, so `import()` of a `.ts` file transpiles it. */
export const registerTypeScript = (): Promise<void> => {
  tsxRegistered ??= import("tsx/esm/api").then(({ register }) => void register())
  return tsxRegistered
}

/**
 * Imports `file`. With `fresh`, a new instance of the module (a cache-busting
 * query), for reloading an edited file.
 */
export const importFile = async (file: string, options: { readonly fresh?: boolean } = {}): Promise<Record<string, unknown>> => {
  if (/\.m?ts$/.test(file)) await registerTypeScript()
  const url = pathToFileURL(file)
  if (options.fresh === true) url.searchParams.set("emcee", `${Date.now()}-${Math.random().toString(36).slice(2)}`)
  return (await import(/* @vite-ignore */ url.href)) as Record<string, unknown>
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * Where in `file` an import failure points, and what it says, in one line:
 * `3:18: Unexpected "="`. TypeScript syntax errors come from esbuild as
 * `file:line:column: ERROR: message`; runtime errors and JavaScript syntax
 * errors carry the position in their stack.
 */
export const describeImportError = (file: string, error: unknown): { readonly line?: number; readonly column?: number; readonly reason: string } => {
  // Errors may come from another realm (a loader thread): read them by shape.
  const fields = typeof error === "object" && error !== null ? (error as { readonly message?: unknown; readonly stack?: unknown; readonly name?: unknown }) : {}
  const message = typeof fields.message === "string" ? fields.message : String(error)
  const stack = typeof fields.stack === "string" ? fields.stack : ""
  const name = typeof fields.name === "string" ? fields.name : "Error"
  const names = [file, pathToFileURL(file).href].map(escape).join("|")
  const position = new RegExp(`(?:${names})(?:\\?[^:\\s]*)?:(\\d+)(?::(\\d+))?`)
  const esbuild = new RegExp(`(?:${names}):(\\d+):(\\d+): ERROR: (.*)`).exec(message)
  if (esbuild !== null) return { line: Number(esbuild[1]), column: Number(esbuild[2]), reason: esbuild[3]!.trim() }
  const found = position.exec(message) ?? position.exec(stack)
  const firstLine = message.split("\n").map((line) => line.trim()).find((line) => line !== "" && !line.startsWith("Transform failed")) ?? message
  const reason = `${name !== "Error" ? `${name}: ` : ""}${firstLine}`
  return found === null
    ? { reason }
    : { line: Number(found[1]), ...(found[2] === undefined ? {} : { column: Number(found[2]) }), reason }
}
