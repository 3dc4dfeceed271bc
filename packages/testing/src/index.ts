/**
 * @emcee/testing: test an emcee server in a few lines, check results against
 * the official schema, and property-test it.
 *
 * @since 0.1.0
 */
export * as Arbitraries from "./Arbitraries.js"
export * as PropertySuites from "./PropertySuites.js"
export * as SpecValidator from "./SpecValidator.js"
export * as TestClient from "./TestClient.js"
