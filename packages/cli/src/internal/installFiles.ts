/**
 * Reading and atomically writing a client's configuration file.
 *
 * @internal
 */
import { Effect } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as CliError from "../CliError.js"

const command = "install"

const reason = (e: unknown) =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : e instanceof Error ? e.message : String(e)

/** What is on disk: the text (empty when the file does not exist), where to write, and the mode to keep. */
export interface Current {
  readonly exists: boolean
  readonly text: string
  /** The file itself when `file` is a symlink (a dotfiles manager's), so the link is kept. */
  readonly target: string
  readonly mode: number | undefined
}

/** Reads `file`; a missing file is empty, anything else that prevents reading is a one-line error. */
export const read = (file: string): Effect.Effect<Current, CliError.CliError> =>
  Effect.tryPromise({
    try: async (): Promise<Current> => {
      let target: string
      try {
        target = await fs.realpath(file)
      } catch (e) {
        if (reason(e) === "ENOENT") return { exists: false, text: "", target: file, mode: undefined }
        throw e
      }
      const stat = await fs.stat(target)
      if (!stat.isFile()) throw new Error("it is not a file")
      return { exists: true, text: await fs.readFile(target, "utf8"), target, mode: stat.mode & 0o777 }
    },
    catch: (e) => CliError.user(command, `cannot read ${file} (${reason(e)}); check the path and its permissions`, e)
  })

/**
 * Writes `text` to `current.target` atomically: a temporary file in the same
 * folder (parents created), then a rename over the original, with the
 * original's permissions (a `~/.claude.json` readable only by its owner stays so).
 */
export const writeAtomic = (file: string, current: Current, text: string): Effect.Effect<void, CliError.CliError> =>
  Effect.tryPromise({
    try: async () => {
      const dir = path.dirname(current.target)
      await fs.mkdir(dir, { recursive: true })
      const temp = path.join(dir, `.${path.basename(current.target)}.emcee-${process.pid}-${Date.now().toString(36)}.tmp`)
      try {
        await fs.writeFile(temp, text, { encoding: "utf8", flag: "wx", ...(current.mode === undefined ? {} : { mode: current.mode }) })
        if (current.mode !== undefined) await fs.chmod(temp, current.mode)
        await fs.rename(temp, current.target)
      } catch (e) {
        await fs.rm(temp, { force: true })
        throw e
      }
    },
    catch: (e) => CliError.user(command, `cannot write ${file} (${reason(e)}); check the folder and its permissions`, e)
  })
