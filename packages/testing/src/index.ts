/**
 * @emcee/testing: test an emcee server in a few lines, check results against
 * the official schema, and generate protocol inputs for property tests.
 * Needs no test runner: the vitest-bound property suites live in
 * `@emcee/testing/vitest`.
 *
 * @since 0.1.0
 */
export * as Arbitraries from "./Arbitraries.js"
export * as SpecValidator from "./SpecValidator.js"
export * as TestClient from "./TestClient.js"
