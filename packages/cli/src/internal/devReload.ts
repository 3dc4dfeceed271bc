/**
 * Reloading a folder server's files in place (`emcee dev`): each source file
 * of `tools/`, `prompts/` and `resources/` owns the primitives it exports;
 * when the file changes, is added or removed, its old primitives are removed
 * from the running `McpServer` and its new ones added, so connected clients
 * stay connected and are told with `list_changed` (spec 2025-11-25
 * server/tools, server/prompts, server/resources "List Changed
 * Notification"; 2026-07-28: on `subscriptions/listen` streams). A file that
 * fails to load, or would define a name another file already defines, is
 * reported and its previous definitions stay served.
 *
 * @internal
 */
import { McpServer, type Prompt, type Resource, type ResourceTemplate, type Tool } from "@emcee/core"
import { Context, Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Folder from "../Folder.js"
import { describeImportError, extensions, importFile } from "./folderImport.js"

/** Where reload messages go (stderr: over stdio, stdout carries only protocol). */
export type Log = (line: string) => Effect.Effect<void>

/** What the reloader knows of one file. */
interface Entry {
  /** The text last seen; undefined to try the file again on the next scan (its names were taken). */
  readonly text: string | undefined
  /** The definitions served for it now. */
  readonly definitions: ReadonlyArray<Folder.Definition>
}

/** A running reloader. */
export interface Reloader {
  /** Loads every file and registers what loads (a file that fails is reported, the others are served). */
  readonly start: Effect.Effect<void>
  /** Scans the folder again and applies what changed; `touched` are the paths the watcher saw (for helper files). */
  readonly rescan: (touched: ReadonlyArray<string>) => Effect.Effect<void>
  /** The definitions served now, by file (for tests and status). */
  readonly served: () => ReadonlyMap<string, ReadonlyArray<Folder.Definition>>
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

/** `1 tool`, `2 tools, 1 prompt`, `nothing`: what a file defines. */
export const summary = (definitions: ReadonlyArray<Folder.Definition>): string => {
  const kinds: ReadonlyArray<Folder.Kind> = ["tool", "prompt", "resource", "resource template"]
  const parts = kinds.flatMap((kind) => {
    const count = definitions.filter((d) => d.kind === kind).length
    return count === 0 ? [] : [plural(count, kind)]
  })
  return parts.length === 0 ? "nothing" : parts.join(", ")
}

const keyOf = (definition: Folder.Definition) => `${definition.kind}\u0000${definition.name}`

const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

type Loaded =
  | { readonly _tag: "Loaded"; readonly definitions: ReadonlyArray<Folder.Definition> }
  | { readonly _tag: "Failed"; readonly message: string }

/** Makes a reloader for the folder `dir` over the running `McpServer`. */
export const make = (dir: string, log: Log): Effect.Effect<Reloader, never, McpServer.McpServer> =>
  Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    // The primitives of a folder need no services (like `Folder.layer`, which registers them as `Tool<string, never>`).
    const context = Context.empty() as Context.Context<never>
    const state = new Map<string, Entry>()
    const relative = (file: string) => path.relative(dir, file).split(path.sep).join("/")

    const add = (definition: Folder.Definition): Effect.Effect<void> => {
      const primitive = definition.primitive
      switch (primitive._tag) {
        case "Tool":
          return server.addTool({ value: primitive as Tool.Any, context })
        case "Prompt":
          return server.addPrompt({ value: primitive as Prompt.Any, context })
        case "Resource":
          return server.addResource({ value: primitive as Resource.Any, context })
        case "ResourceTemplate":
          return server.addResourceTemplate({ value: primitive as ResourceTemplate.Any, context })
      }
    }
    const remove = (definition: Folder.Definition): Effect.Effect<void> => {
      switch (definition.kind) {
        case "tool":
          return Effect.asVoid(server.removeTool(definition.name))
        case "prompt":
          return Effect.asVoid(server.removePrompt(definition.name))
        case "resource":
          return Effect.asVoid(server.removeResource(definition.name))
        case "resource template":
          return Effect.asVoid(server.removeResourceTemplate(definition.name))
      }
    }

    /** A fresh instance of the file's module (a cache-busting query: an edited file is imported anew). */
    const load = (file: string): Effect.Effect<Loaded> =>
      Effect.promise(() =>
        importFile(file, { fresh: true }).then(
          (module): Loaded => ({
            _tag: "Loaded",
            definitions: Folder.primitivesOf(module).map(([exportName, primitive]) => ({ file, exportName, primitive, ...Folder.identify(primitive) }))
          }),
          (error: unknown): Loaded => {
            const { column, line, reason } = describeImportError(file, error)
            const at = line === undefined ? "" : `:${line}${column === undefined ? "" : `:${column}`}`
            return { _tag: "Failed", message: `${relative(file)}${at}: ${reason}` }
          }
        )
      )

    /** The first of `definitions` whose name another file serves (or the file defines twice), as a message. */
    const conflict = (file: string, definitions: ReadonlyArray<Folder.Definition>): string | undefined => {
      const twice = Folder.findDuplicate(definitions)
      if (twice !== undefined) return `${twice[0].kind} "${twice[0].name}" is defined twice in ${relative(file)}; rename one`
      const owners = new Map<string, string>()
      for (const [other, entry] of state) {
        if (other === file) continue
        for (const definition of entry.definitions) owners.set(keyOf(definition), other)
      }
      for (const definition of definitions) {
        const owner = owners.get(keyOf(definition))
        if (owner !== undefined) return `${definition.kind} "${definition.name}" is already defined in ${relative(owner)}; rename one`
      }
      return undefined
    }

    /** Serves `next` for `file` in place of what it served: names it no longer defines are removed, the others replaced or added. */
    const apply = (file: string, next: ReadonlyArray<Folder.Definition>) =>
      Effect.gen(function*() {
        const previous = state.get(file)?.definitions ?? []
        const kept = new Set(next.map(keyOf))
        for (const definition of previous) if (!kept.has(keyOf(definition))) yield* remove(definition)
        for (const definition of next) yield* add(definition)
      })

    const nothingExported = (file: string) =>
      `warning: ${relative(file)} exports no tool, prompt or resource (made with Tool.make, Prompt.make, Resource.make or ResourceTemplate.make); name helpers with a leading _ to skip them`

    /** Loads `file` (new or changed) and serves what it defines; false when its names are taken (to try again after the others). */
    const reload = (file: string, text: string, initial: boolean, lastTry: boolean): Effect.Effect<boolean> =>
      Effect.gen(function*() {
        const previous = state.get(file)
        const loaded = yield* load(file)
        if (loaded._tag === "Failed") {
          state.set(file, { text, definitions: previous?.definitions ?? [] })
          yield* log(`${loaded.message}; ${previous === undefined || previous.definitions.length === 0 ? "not served until it loads" : "keeping the previous definitions"}`)
          return true
        }
        const taken = conflict(file, loaded.definitions)
        if (taken !== undefined) {
          if (!lastTry) return false
          // Not recorded as seen: tried again on the next scan, when the other file may have given the name up.
          state.set(file, { text: undefined, definitions: previous?.definitions ?? [] })
          yield* log(`${relative(file)}: ${taken}; ${previous === undefined || previous.definitions.length === 0 ? "not served" : "keeping the previous definitions"}`)
          return true
        }
        yield* apply(file, loaded.definitions)
        state.set(file, { text, definitions: loaded.definitions })
        if (loaded.definitions.length === 0) yield* log(nothingExported(file))
        if (!initial) yield* log(`${previous === undefined ? "added" : "reloaded"} ${relative(file)} (${summary(loaded.definitions)})`)
        return true
      })

    const scan = (initial: boolean, touched: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const found = new Map<string, string>()
        for (const file of Folder.files(dir)) {
          const text = readText(file)
          if (text !== undefined) found.set(file, text)
        }
        for (const [file, entry] of [...state]) {
          if (found.has(file)) continue
          for (const definition of entry.definitions) yield* remove(definition)
          state.delete(file)
          yield* log(`removed ${relative(file)}${entry.definitions.length === 0 ? "" : ` (${summary(entry.definitions)})`}`)
        }
        const changed = [...found].filter(([file, text]) => state.get(file)?.text !== text)
        // A name moved from one file to another: the file giving it up may come later; try those once more at the end.
        const later: Array<readonly [string, string]> = []
        for (const [file, text] of changed) if (!(yield* reload(file, text, initial, false))) later.push([file, text])
        for (const [file, text] of later) yield* reload(file, text, initial, true)
        // Helpers (`_db.ts`, files under `_lib/`) are imported by the files above; Node keeps the first instance.
        const helpers = new Set(
          touched.filter((file) =>
            !found.has(file) && extensions.some((ext) => file.endsWith(ext)) && !/\.d\.m?ts$/.test(file) &&
            relative(file).split("/").some((segment) => segment.startsWith("_")) && readText(file) !== undefined
          )
        )
        for (const file of helpers) {
          yield* log(`${relative(file)} changed: helpers are not reloaded (Node keeps the instance first imported); restart emcee dev to use the new version`)
        }
      })

    return {
      start: scan(true, []),
      rescan: (touched) => scan(false, touched),
      served: () => new Map([...state].map(([file, entry]) => [file, entry.definitions] as const))
    }
  })
