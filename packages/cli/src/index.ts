/**
 * @emcee/cli: the `emcee` binary as a library.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
export * as Serve from "./Serve.js"
export * as Inspect from "./Inspect.js"
