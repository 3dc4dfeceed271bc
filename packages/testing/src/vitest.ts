/**
 * @emcee/testing/vitest: the parts of `@emcee/testing` that register vitest
 * tests (`describe`/`it`), so they need `vitest` installed (an optional peer
 * dependency). Everything else is in `@emcee/testing`, which runs anywhere.
 *
 * @example
 * import { PropertySuites } from "@emcee/testing/vitest"
 * PropertySuites.protocol("my server", App) // App: Layer<McpServer.McpServer>
 *
 * @since 0.1.0
 */
export * as PropertySuites from "./PropertySuites.js"
