/**
 * `npm install` in a generated project, with progress on stderr (never
 * stdout): a spinner with the elapsed seconds on a terminal, a dot a second
 * otherwise, then npm's own summary line (`added 123 packages in 9s`).
 *
 * @internal
 */
import { spawn } from "node:child_process"
import { Effect } from "effect"

/** Where progress is written: stderr by default. */
export interface Progress {
  readonly write: (text: string) => void
  /** Whether it is a terminal (a spinner redrawn in place) or not (dots). */
  readonly isTTY: boolean
}

const stderrProgress: Progress = {
  write: (text) => void process.stderr.write(text),
  isTTY: process.stderr.isTTY === true
}

/** How `npm install` ended. */
export type InstallOutcome =
  | { readonly _tag: "Installed"; readonly summary: string }
  | { readonly _tag: "Failed"; readonly exitCode: number | null; readonly output: string }
  | { readonly _tag: "NotFound"; readonly message: string }

const frames = ["|", "/", "-", "\\"]

/** The last lines of `text` that say something, at most `count`. */
const tail = (text: string, count: number): string =>
  text.split(/\r?\n/).map((line) => line.trimEnd()).filter((line) => line.length > 0).slice(-count).join("\n")

/**
 * Runs `npm install --no-audit --no-fund` in `dir`. The environment is the
 * process's (so `npm_config_*` variables apply). Interrupting it kills npm.
 */
export const npmInstall = (
  dir: string,
  options: { readonly progress?: Progress; readonly env?: NodeJS.ProcessEnv } = {}
): Effect.Effect<InstallOutcome> =>
  Effect.async<InstallOutcome>((resume) => {
    const progress = options.progress ?? stderrProgress
    const started = Date.now()
    const npm = process.platform === "win32" ? "npm.cmd" : "npm"
    const child = spawn(npm, ["install", "--no-audit", "--no-fund"], {
      cwd: dir,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      shell: process.platform === "win32"
    })
    let output = ""
    const keep = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      // Only the end is shown: keep the buffer bounded.
      if (output.length > 64 * 1024) output = output.slice(-32 * 1024)
    }
    child.stdout.on("data", keep)
    child.stderr.on("data", keep)
    let frame = 0
    const label = "installing dependencies (npm install)"
    progress.write(progress.isTTY ? `${frames[0]} ${label}` : `${label} `)
    const timer = setInterval(() => {
      frame++
      const seconds = Math.round((Date.now() - started) / 1000)
      progress.write(progress.isTTY ? `\r${frames[frame % frames.length]} ${label} ${seconds}s` : ".")
    }, 1000)
    const finish = (outcome: InstallOutcome) => {
      clearInterval(timer)
      progress.write(progress.isTTY ? "\r\x1b[K" : "\n")
      resume(Effect.succeed(outcome))
    }
    let done = false
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (done) return
      done = true
      finish({ _tag: "NotFound", message: error.code === "ENOENT" ? "npm was not found on PATH" : error.message })
    })
    child.on("close", (code) => {
      if (done) return
      done = true
      if (code === 0) {
        const summary = tail(output, 1) || "dependencies installed"
        finish({ _tag: "Installed", summary })
      } else finish({ _tag: "Failed", exitCode: code, output: tail(output, 15) })
    })
    return Effect.sync(() => {
      if (!done) {
        done = true
        clearInterval(timer)
        child.kill("SIGTERM")
      }
    })
  })
