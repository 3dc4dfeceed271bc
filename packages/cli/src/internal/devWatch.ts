/**
 * Watching a folder server for `emcee dev`: one `fs.watch` per directory of
 * `tools/`, `prompts/` and `resources/` (subfolders too, not `node_modules`
 * nor folders starting with `_` or `.`) and one on the folder itself (for
 * those three appearing or going). The set of watched directories is
 * reconciled after every batch, so folders created or removed later are
 * followed. Events are debounced: a batch ends once no event arrived for
 * `debounce` (editors write a file in several steps).
 *
 * Per-directory watchers work on every platform; Node 20's
 * `fs.watch(dir, { recursive: true })` works on Linux too (checked on
 * 20.20), but does not follow a watched folder that is removed and created
 * again.
 *
 * @internal
 */
import { Duration, Effect, Queue, type Scope } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Folder from "../Folder.js"

/** The directories to watch under `dir`: `dir` itself and every directory of the convention's folders. */
export const directoriesOf = (dir: string): Array<string> => {
  const out = [dir]
  const walk = (current: string) => {
    out.push(current)
    let entries: Array<fs.Dirent>
    try {
      entries = fs.readdirSync(current, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name !== "node_modules" && !entry.name.startsWith(".") && !entry.name.startsWith("_")) {
        walk(path.join(current, entry.name))
      }
    }
  }
  for (const name of Folder.directories) {
    const full = path.join(dir, name)
    try {
      if (fs.statSync(full).isDirectory()) walk(full)
    } catch {
      // Not there (yet): the watcher on `dir` sees it appear.
    }
  }
  return out
}

/**
 * Watches `dir` for the life of the scope and calls `onBatch` with the
 * paths touched in each batch of events (after `debounce` of quiet). Runs on
 * a fiber of the scope; `onBatch` never runs twice at once.
 */
export const watch = (
  dir: string,
  onBatch: (touched: ReadonlyArray<string>) => Effect.Effect<void>,
  options: { readonly debounce?: Duration.DurationInput } = {}
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const debounce = options.debounce ?? Duration.millis(100)
    const events = yield* Queue.unbounded<string>()
    const watchers = new Map<string, fs.FSWatcher>()
    const conventions = new Set<string>(Folder.directories)

    const close = (directory: string) => {
      const watcher = watchers.get(directory)
      watchers.delete(directory)
      try {
        watcher?.close()
      } catch {
        // Already closed.
      }
    }

    const reconcile = () => {
      const wanted = new Set(directoriesOf(dir))
      for (const directory of [...watchers.keys()]) if (!wanted.has(directory)) close(directory)
      for (const directory of wanted) {
        if (watchers.has(directory)) continue
        try {
          const watcher = fs.watch(directory, (_event, name) => {
            const file = name === null ? directory : path.join(directory, name.toString())
            // On the folder itself only tools/, prompts/ and resources/ matter (not package.json, editor files…).
            if (directory === dir && !conventions.has(path.relative(dir, file).split(path.sep)[0] ?? "")) return
            Queue.unsafeOffer(events, file)
          })
          // A watched folder that goes away: forget it, and look again.
          watcher.on("error", () => {
            close(directory)
            Queue.unsafeOffer(events, directory)
          })
          watchers.set(directory, watcher)
        } catch {
          // Gone between the walk and the watch: the next batch reconciles again.
        }
      }
    }

    yield* Effect.addFinalizer(() => Effect.sync(() => [...watchers.keys()].forEach(close)))
    reconcile()

    const batch = Effect.gen(function*() {
      const touched = [yield* Queue.take(events)]
      while (true) {
        yield* Effect.sleep(debounce)
        const more = yield* Queue.takeAll(events)
        if (more.length === 0) break
        for (const file of more) touched.push(file)
      }
      reconcile()
      yield* onBatch([...new Set(touched)])
    })
    yield* Effect.forkScoped(Effect.forever(batch))
  })
