/**
 * @emcee/auth: who is calling, and what they may do.
 *
 * @since 0.1.0
 */
export * as Principal from "./Principal.js"
export * as Authenticator from "./Authenticator.js"
export * as Authentication from "./Authentication.js"
export * as BearerGuard from "./BearerGuard.js"
