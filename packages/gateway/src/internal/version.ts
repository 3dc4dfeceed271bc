/**
 * The version of @emcee/gateway: its package.json's `version`, read once
 * when the module loads, so the gateway's `clientInfo`, its default
 * `serverInfo`, the admin API's OpenAPI document and `emcee gateway` say
 * what the package is, with no copy to keep in step. The path is the same
 * from `src/internal/` (vitest) and `dist/internal/` (the published build),
 * and package.json is always part of the published package.
 *
 * @internal
 */
import { readFileSync } from "node:fs"

const read = (): string => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { readonly version?: unknown }
  if (typeof pkg.version !== "string" || pkg.version === "") throw new Error("@emcee/gateway: package.json has no version")
  return pkg.version
}

/** The package's version, e.g. `0.1.0`. */
export const version: string = read()
