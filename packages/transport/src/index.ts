/**
 * @emcee/transport: the ways clients reach an emcee server.
 *
 * @since 0.1.0
 */
export * as MemoryTransport from "./MemoryTransport.js"
export * as StdioTransport from "./StdioTransport.js"
export * as EventStore from "./EventStore.js"
export * as HttpTransport from "./HttpTransport.js"
export * as WebHandler from "./WebHandler.js"
export * as HttpClientTransport from "./HttpClientTransport.js"
export * as HttpHop from "./HttpHop.js"
export * as LegacySseTransport from "./LegacySseTransport.js"
export * as WebSocketTransport from "./WebSocketTransport.js"
export * as WebSocketClientTransport from "./WebSocketClientTransport.js"
export * as StdioClientTransport from "./StdioClientTransport.js"
export * as Frame from "./Frame.js"
export * as Startup from "./Startup.js"
export * as Lambda from "./Lambda.js"
export * as HttpGuard from "./HttpGuard.js"
export * as SecurityHeaders from "./SecurityHeaders.js"
export * as HttpTenancy from "./HttpTenancy.js"
