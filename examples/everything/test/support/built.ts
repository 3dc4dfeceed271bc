/**
 * The built everything example (`dist/main.js`; run `npm run build` first),
 * which the tests run as a real process: the artifact users run, and it
 * starts in about half the time of the sources through tsx (these tests
 * start many processes, several at once).
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** The repository root (the working directory of the spawned server). */
export const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url))

/** The built example. */
export const mainPath = fileURLToPath(new URL("../../dist/main.js", import.meta.url))

/** Fails early with a clear message when the example was not built. */
export const assertBuilt = (): void => {
  if (!existsSync(mainPath)) throw new Error(`${mainPath} is missing: run \`npm run build\` before these tests`)
}
