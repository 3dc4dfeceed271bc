/**
 * @emcee/core: the Effect-native MCP server core.
 *
 * @since 0.1.0
 */
export * as ClientSession from "./ClientSession.js"
export * as Completion from "./Completion.js"
export * as Content from "./Content.js"
export * as Elicitation from "./Elicitation.js"
export * as JsonRpc from "./JsonRpc.js"
export * as Logging from "./Logging.js"
export * as McpClient from "./McpClient.js"
export * as McpError from "./McpError.js"
export * as McpSchema from "./McpSchema.js"
export * as McpServer from "./McpServer.js"
export * as Metrics from "./Metrics.js"
export * as Middleware from "./Middleware.js"
export * as Progress from "./Progress.js"
export * as Prompt from "./Prompt.js"
export * as RequestContext from "./RequestContext.js"
export * as RequestState from "./RequestState.js"
export * as Resource from "./Resource.js"
export * as ResourceTemplate from "./ResourceTemplate.js"
export * as Roots from "./Roots.js"
export * as Sampling from "./Sampling.js"
export * as Tool from "./Tool.js"
export * as Tracing from "./Tracing.js"
export * as Health from "./Health.js"
export * as Prometheus from "./Prometheus.js"
