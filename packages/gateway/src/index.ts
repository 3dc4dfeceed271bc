/**
 * @emcee/gateway: many MCP servers behind one endpoint. A gateway is an
 * emcee server whose primitives come from backends (stdio commands and
 * Streamable HTTP URLs, either protocol revision) mixed with local ones.
 *
 * @since 0.4.0
 */
export * as Names from "./Names.js"
