/**
 * Every test project in the monorepo. Vitest 3 reads this file on its own; the
 * root `vitest.config.ts` imports it as well so the list lives in one place.
 */
export default [
  "packages/core",
  "packages/transport",
  "packages/testing",
  "packages/auth",
  "packages/cli",
  "packages/gateway",
  "examples/everything",
  "examples/auth",
  "examples/oauth",
  "reliability"
]
