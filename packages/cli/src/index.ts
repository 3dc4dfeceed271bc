/**
 * @emcee/cli: the `emcee` binary as a library.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
export * as Inspect from "./Inspect.js"
export * as Serve from "./Serve.js"
export * as CliError from "./CliError.js"
export * as Target from "./Target.js"
export * as List from "./List.js"
export * as Get from "./Get.js"
export * as Call from "./Call.js"
export * as Read from "./Read.js"
export * as Prompt from "./Prompt.js"
export * as Install from "./Install.js"
export * as Config from "./Config.js"
export * as Folder from "./Folder.js"
export * as Plugins from "./Plugins.js"
export * as Manifest from "./Manifest.js"
export * as Docs from "./Docs.js"
export * as Lint from "./Lint.js"
export * as Dev from "./Dev.js"
export * as Init from "./Init.js"
export * as Gateway from "./Gateway.js"
