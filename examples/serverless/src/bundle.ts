/**
 * Bundles the serverless example for deployment (and for its tests): the
 * Worker entry into one ES module for workerd, the Lambda handler into one
 * ES module for the Node.js Lambda runtime. Run `npx tsx src/bundle.ts
 * [outdir]` (default `dist`).
 *
 * The optional OpenTelemetry peers of `@emcee/core` (loaded only by
 * `Tracing.layer`) stay out of the bundles: they are Node-only and unused
 * here.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

/** Imports left out of both bundles: the optional tracing peers of `@emcee/core`. */
export const external: ReadonlyArray<string> = ["@opentelemetry/*", "@effect/opentelemetry", "@effect/opentelemetry/*"]

/**
 * The Worker: one ES module, `node:*` imports left to workerd's
 * `nodejs_compat` (node:crypto, Buffer). `@emcee/source` resolves the
 * workspace packages to their TypeScript sources, so no build is needed first.
 */
export const bundleWorker = async (outfile: string): Promise<string> => {
  await esbuild.build({
    entryPoints: [here("./worker.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["@emcee/source", "workerd", "worker", "browser", "import"],
    external: ["node:*", ...external],
    logLevel: "warning"
  })
  return outfile
}

/** The Lambda handler: one ES module for the `nodejs20.x` (or later) runtime, handler `lambda.handler`. */
export const bundleLambda = async (outfile: string): Promise<string> => {
  await esbuild.build({
    entryPoints: [here("./lambda.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    conditions: ["@emcee/source"],
    external: [...external],
    logLevel: "warning"
  })
  return outfile
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = process.argv[2] ?? "dist"
  await bundleWorker(`${outdir}/worker.js`)
  await bundleLambda(`${outdir}/lambda.mjs`)
  process.stderr.write(`bundled ${outdir}/worker.js and ${outdir}/lambda.mjs\n`)
}
