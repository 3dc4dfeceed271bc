import { execFile } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const packages = ["core", "transport", "testing", "auth", "cli", "gateway"] as const
const built = packages.every((name) => existsSync(`${root}packages/${name}/dist/index.js`))

/** Runs `script` in a plain `node` from the repository root: no vitest, no source condition, the built `dist/`. */
const node = (script: string, nodeArgs: ReadonlyArray<string> = []) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [...nodeArgs, "--input-type=module", "-e", script], { cwd: root, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }))
  })

/** A module resolve hook that makes these packages look uninstalled, as in an app that did not add them. */
const hiding = (pattern: string): ReadonlyArray<string> => {
  const hook = `export async function resolve(specifier, context, next) {
    if (new RegExp(${JSON.stringify(pattern)}).test(specifier)) throw Object.assign(new Error("not installed: " + specifier), { code: "ERR_MODULE_NOT_FOUND" })
    return next(specifier, context)
  }`
  const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)})`
  return ["--import", `data:text/javascript,${encodeURIComponent(register)}`]
}

// Plain node resolves the packages to dist/, so these tests need `npm run build` first (as the cli's do).
describe.runIf(built)("the published package surface", { timeout: 60_000 }, () => {
  it("@emcee/testing imports outside vitest (vitest itself throws when imported there)", async () => {
    const { code, stdout, stderr } = await node(`const m = await import("@emcee/testing"); console.log(Object.keys(m).join(","))`)
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const names = stdout.trim().split(",")
    expect(names).toEqual(expect.arrayContaining(["Arbitraries", "SpecValidator", "TestClient"]))
    expect(names).not.toContain("PropertySuites")
  })

  it("TestClient works outside vitest: it calls a server's tool in memory", async () => {
    const { code, stdout, stderr } = await node(`
      import { Tool } from "@emcee/core"
      import { TestClient } from "@emcee/testing"
      import { Effect, Schema } from "effect"
      const echo = Tool.make("echo", { input: Schema.Struct({ text: Schema.String }), handler: ({ text }) => Effect.succeed(text) })
      const result = await Effect.gen(function*() {
        const client = yield* TestClient.TestClient
        return yield* client.callTool("echo", { text: "hi" })
      }).pipe(Effect.provide(TestClient.layerWith({ name: "t", version: "1" }, echo)), Effect.scoped, Effect.runPromise)
      console.log(JSON.stringify(result.content))
    `)
    expect(stderr).toBe("")
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual([{ type: "text", text: "hi" }])
  })

  it("without vitest and the OpenTelemetry SDK installed, every package imports; Tracing.layer names what is missing", async () => {
    const { code, stdout, stderr } = await node(
      `
      for (const name of ["@emcee/core", "@emcee/transport", "@emcee/testing", "@emcee/auth", "@emcee/cli"]) await import(name)
      const hidden = await import("@opentelemetry/api").then(() => "imported", (e) => e.code)
      const { Tracing } = await import("@emcee/core")
      const { Cause, Effect, Exit, Layer } = await import("effect")
      const exit = await Effect.runPromiseExit(Layer.launch(Tracing.layer({ serviceName: "s", spanProcessor: [] })))
      console.log(hidden)
      console.log(Exit.isFailure(exit) ? Cause.squash(exit.cause).message : "built")
    `,
      hiding("^(vitest|@vitest/|@opentelemetry/|@effect/opentelemetry)")
    )
    expect(code).toBe(0)
    expect(stderr).toBe("")
    expect(stdout.trim().split("\n")).toEqual([
      "ERR_MODULE_NOT_FOUND",
      "Tracing.layer needs the optional peer dependencies @effect/opentelemetry and @opentelemetry/sdk-trace-base"
    ])
  })

  it("exports only the public modules: internal/* cannot be imported from outside a package", async () => {
    const { code, stdout } = await node(`
      const tries = ["@emcee/core/internal/server", "@emcee/transport/internal/httpProtocol", "@emcee/testing/PropertySuites"]
      for (const name of tries) {
        const outcome = await import(name).then(() => "imported", (e) => e.code)
        console.log(name + " " + outcome)
      }
    `)
    expect(code).toBe(0)
    expect(stdout.trim().split("\n")).toEqual([
      "@emcee/core/internal/server ERR_PACKAGE_PATH_NOT_EXPORTED",
      "@emcee/transport/internal/httpProtocol ERR_PACKAGE_PATH_NOT_EXPORTED",
      "@emcee/testing/PropertySuites ERR_PACKAGE_PATH_NOT_EXPORTED"
    ])
  })
})

describe("the exports maps", () => {
  const entriesOf = (name: string) => {
    const manifest = JSON.parse(readFileSync(`${root}packages/${name}/package.json`, "utf8")) as {
      readonly exports: Record<string, Record<string, string>>
    }
    return manifest.exports
  }

  it.each(packages)("@emcee/%s lists each public module of src/ by name, and nothing under internal/", (name) => {
    const exports = entriesOf(name)
    // Not subpaths of their own: the cli's binary (its `bin`), and the property suites (public through `./vitest`).
    const modules = readdirSync(`${root}packages/${name}/src`)
      .filter((file) => file.endsWith(".ts") && file !== "index.ts" && file !== "bin.ts" && file !== "PropertySuites.ts")
      .map((file) => `./${file.slice(0, -3)}`)
    expect(Object.keys(exports).sort()).toEqual([".", ...modules].sort())
    for (const [subpath, conditions] of Object.entries(exports)) {
      const module = subpath === "." ? "index" : subpath.slice(2)
      expect(subpath).not.toContain("*")
      expect(conditions).toEqual({
        "@emcee/source": `./src/${module}.ts`,
        types: `./dist/${module}.d.ts`,
        default: `./dist/${module}.js`
      })
      expect(existsSync(`${root}packages/${name}/src/${module}.ts`)).toBe(true)
    }
  })
})
