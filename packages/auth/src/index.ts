/**
 * @emcee/auth: who is calling, what they may do, and the policies around
 * it (rate limits, caching, concurrency, retries); and an OAuth 2.1
 * authorization server with upstream identity providers.
 *
 * @since 0.1.0
 */
export * as Principal from "./Principal.js"
export * as Authenticator from "./Authenticator.js"
export * as Authentication from "./Authentication.js"
export * as BearerGuard from "./BearerGuard.js"
export * as Rbac from "./Rbac.js"
export * as Scopes from "./Scopes.js"
export * as Authorization from "./Authorization.js"
export * as SessionStore from "./SessionStore.js"
export * as Sessions from "./Sessions.js"
export * as Audit from "./Audit.js"
export * as RateLimit from "./RateLimit.js"
export * as ResultCache from "./ResultCache.js"
export * as Concurrency from "./Concurrency.js"
export * as Retry from "./Retry.js"
export * as Jwt from "./Jwt.js"
export * as ApiKeys from "./ApiKeys.js"
export * as Introspection from "./Introspection.js"
export * as Presets from "./Presets.js"
export * as Postgres from "./Postgres.js"
export * as Tenants from "./Tenants.js"
export * as AuthorizationServer from "./AuthorizationServer.js"
export * as OAuthStore from "./OAuthStore.js"
export * as OAuthError from "./OAuthError.js"
export * as OAuthClients from "./OAuthClients.js"
export * as SigningKeys from "./SigningKeys.js"
export * as Upstream from "./Upstream.js"
export * as UpstreamTokens from "./UpstreamTokens.js"
