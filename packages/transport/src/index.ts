/**
 * @emcee/transport: the ways clients reach an emcee server.
 *
 * @since 0.1.0
 */
export * as MemoryTransport from "./MemoryTransport.js"
export * as StdioTransport from "./StdioTransport.js"
