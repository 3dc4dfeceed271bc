/**
 * The serverless example as an AWS Lambda handler, for an API Gateway REST
 * API (payload format 1.0), an HTTP API (payload format 2.0) or a Lambda
 * function URL. Set the function's handler to `lambda.handler`.
 *
 * Lambda without response streaming sends a response only once it is
 * complete, so every MCP request is answered with one JSON body: progress
 * and log notifications are not sent, and no session is kept (MCP 2026-07-28
 * needs none; 2025-11-25 clients are served without one).
 *
 * @since 0.1.0
 */
import * as Lambda from "@emcee/transport/Lambda"
import { App } from "./server.js"

/** The Lambda entry point. The app is built on the first invocation and kept while the environment lives. */
export const handler: Lambda.Handler = Lambda.toHandler(App).handler
