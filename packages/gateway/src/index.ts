/**
 * @emcee/gateway: many MCP servers behind one endpoint. A gateway is an
 * emcee server whose primitives come from backends (stdio commands and
 * Streamable HTTP URLs, either protocol revision) mixed with local ones.
 *
 * @since 0.4.0
 */
export * as Names from "./Names.js"
export * as Backend from "./Backend.js"
export * as Gateway from "./Gateway.js"
export * as GatewayConfig from "./GatewayConfig.js"
export * as Registry from "./Registry.js"
export * as AdminApi from "./AdminApi.js"
export * as AuditLog from "./AuditLog.js"
export * as AuditTrail from "./AuditTrail.js"
export * as RegistrySync from "./RegistrySync.js"
export * as Balancer from "./Balancer.js"
export * as CircuitBreaker from "./CircuitBreaker.js"
export * as Policy from "./Policy.js"
