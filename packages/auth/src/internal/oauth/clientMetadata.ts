/**
 * Validation of client metadata: RFC 7591 §2 registration requests (with
 * OpenID Connect Dynamic Client Registration 1.0 `application_type`),
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
 * "CIMD" below) and the redirect URI comparison of the authorization
 * endpoint (OAuth 2.1 §2.3.1 exact match, RFC 8252 §7.3 loopback ports).
 *
 * Each check fails with the RFC 7591 §3.2.2 error naming the field and what
 * is wrong with it; values are quoted only when they are the client's own
 * public metadata, truncated.
 *
 * @internal
 */
import { Either } from "effect"
import * as OAuthError from "../../OAuthError.js"
import type { ClientMetadata } from "../../OAuthStore.js"

/** RFC 8628 §3.4: the device authorization grant type. */
export const deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"

/** The grant types a client may register. */
export const supportedGrantTypes: ReadonlyArray<string> = ["authorization_code", "refresh_token", "client_credentials", deviceCodeGrant]

/** The token endpoint authentication methods of dynamic and static clients. */
export const supportedAuthMethods: ReadonlyArray<string> = ["none", "client_secret_basic", "client_secret_post"]

const maxRedirectUris = 20
const maxUriLength = 2000
const maxStringLength = 1000

/** How redirect URIs are judged. */
export type RedirectPolicy =
  /** OIDC Registration §2 `web`: https (http on loopback only when allowed, for development). */
  | { readonly kind: "web"; readonly allowLoopbackHttp: boolean }
  /** OIDC Registration §2 `native`, RFC 8252 §7: loopback http, private-use schemes, claimed https. */
  | { readonly kind: "native" }
  /** A Client ID Metadata Document without `application_type`: https anywhere, http on loopback, private-use schemes. */
  | { readonly kind: "any" }

type Result<A> = Either.Either<A, OAuthError.OAuthError>

const truncate = (value: string, length = 80): string => (value.length > length ? `${value.slice(0, length)}…` : value)

const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"])

/** Whether a parsed URL is http on a loopback host (RFC 8252 §7.3 and §8.3). */
const isLoopbackHttp = (url: URL): boolean => url.protocol === "http:" && loopbackHosts.has(url.hostname)

/** Whether every redirect URI given is loopback http or a private-use scheme (and there is at least one). */
const nativeLooking = (uris: unknown): boolean =>
  Array.isArray(uris) && uris.length > 0 && uris.every((uri) => {
    if (typeof uri !== "string" || !URL.canParse(uri)) return false
    const url = new URL(uri)
    return isLoopbackHttp(url) || (url.protocol !== "https:" && url.protocol !== "http:" && !forbiddenSchemes.has(url.protocol))
  })

/** Schemes no redirect may use (they run code or read local data in the browser). */
const forbiddenSchemes = new Set(["javascript:", "data:", "vbscript:", "file:", "blob:", "about:", "filesystem:"])

/** Checks one redirect URI (RFC 6749 §3.1.2: absolute, no fragment; OIDC Registration §2 per application type). */
export const checkRedirectUri = (uri: unknown, policy: RedirectPolicy): Result<string> => {
  const refuse = (why: string) => Either.left(OAuthError.invalidRedirectUri(why))
  if (typeof uri !== "string" || uri === "") return refuse("Each redirect URI must be a non-empty string")
  if (uri.length > maxUriLength) return refuse(`A redirect URI is longer than ${maxUriLength} characters`)
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return refuse(`The redirect URI ${truncate(uri)} is not an absolute URI (RFC 6749 §3.1.2)`)
  }
  if (uri.includes("#")) return refuse(`The redirect URI ${truncate(uri)} has a fragment (RFC 6749 §3.1.2)`)
  if (forbiddenSchemes.has(url.protocol)) return refuse(`The redirect URI scheme ${url.protocol} is not allowed`)
  if (url.username !== "" || url.password !== "") return refuse(`The redirect URI ${truncate(uri)} contains user information`)
  const https = url.protocol === "https:"
  const http = url.protocol === "http:"
  const custom = !https && !http
  if ((https || http) && url.hostname === "") return refuse(`The redirect URI ${truncate(uri)} has no host`)
  switch (policy.kind) {
    case "web":
      if (https) return Either.right(uri)
      if (http && isLoopbackHttp(url) && policy.allowLoopbackHttp) return Either.right(uri)
      return refuse(
        `The redirect URI ${truncate(uri)} is not allowed for a web client: web clients must use https` +
          (http && isLoopbackHttp(url) ? " (register as application_type \"native\" for a loopback redirect)" : "")
      )
    case "native":
    case "any":
      // RFC 8252 §7.1 private-use schemes, §7.2 claimed https, §7.3 loopback http.
      if (https || custom || isLoopbackHttp(url)) return Either.right(uri)
      return refuse(`The redirect URI ${truncate(uri)} uses http on a host that is not loopback (127.0.0.1, [::1], localhost)`)
  }
}

const loopbackPattern = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?([/?][^#]*)?$/

/**
 * Whether `redirectUri` is one of `registered`: an exact string comparison
 * (OAuth 2.1 §2.3.1, RFC 9700 §4.1.3), except that a loopback http redirect
 * URI of a client that is not `web` may name any port (RFC 8252 §7.3; for
 * `localhost` as well, §8.3 notwithstanding, since MCP clients use it).
 */
export const redirectUriMatches = (
  registered: ReadonlyArray<string>,
  applicationType: string | undefined,
  redirectUri: string
): boolean => {
  if (registered.includes(redirectUri)) return true
  if (applicationType === "web") return false
  const requested = loopbackPattern.exec(redirectUri)
  if (requested === null) return false
  const port = requested[2]
  if (port !== undefined && (port.startsWith("0") || Number(port) < 1 || Number(port) > 65535)) return false
  return registered.some((uri) => {
    const candidate = loopbackPattern.exec(uri)
    return candidate !== null && candidate[1] === requested[1] && (candidate[3] ?? "") === (requested[3] ?? "")
  })
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const scopePattern = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** Human-readable fields that may carry a language tag (RFC 7591 §2.2), and URL fields. */
const textFields = ["client_name", "software_id", "software_version"] as const
const urlFields = ["client_uri", "logo_uri", "tos_uri", "policy_uri", "jwks_uri"] as const
const localizable = new Set(["client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri"])

const checkUrlField = (field: string, value: unknown): Result<string> => {
  const refuse = (why: string) => Either.left(OAuthError.invalidClientMetadata(`${field} ${why}`))
  if (typeof value !== "string") return refuse("must be a string")
  if (value.length > maxUriLength) return refuse(`is longer than ${maxUriLength} characters`)
  try {
    const url = new URL(value)
    if (url.protocol !== "https:" && url.protocol !== "http:") return refuse("must be an http(s) URL")
  } catch {
    return refuse("is not a URL")
  }
  return Either.right(value)
}

/** What `checkMetadata` needs to know. */
export interface MetadataRules {
  /** The redirect policy when `application_type` is absent (dynamic: web, per OIDC Registration §2; documents: any). */
  readonly defaultApplicationType: "web" | "native" | undefined
  /** Whether http redirect URIs on loopback are allowed for web clients. */
  readonly allowLoopbackHttpForWeb: boolean
  /** The `token_endpoint_auth_method` when absent (RFC 7591 §2: `client_secret_basic`). */
  readonly defaultAuthMethod: string
  /** The methods allowed. */
  readonly authMethods: ReadonlyArray<string>
}

/**
 * Validates registration metadata (RFC 7591 §2) into what the server
 * stores: defaults filled in, fields the server issues and fields it does
 * not understand dropped (RFC 7591 §2: "MUST ignore any client metadata …
 * that it does not understand").
 */
export const checkMetadata = (body: unknown, rules: MetadataRules): Result<ClientMetadata> => {
  const invalid = (why: string) => Either.left(OAuthError.invalidClientMetadata(why))
  if (!isObject(body)) return invalid("The client metadata must be a JSON object")
  const out: Record<string, unknown> = {}

  // application_type (OIDC Registration §2): web or native. Absent, a client whose redirect URIs
  // are all loopback http or private-use schemes is a native app (RFC 8252 §7.1, §7.3): what MCP
  // clients such as the official SDKs register without naming a type.
  const applicationType = body["application_type"] ?? (nativeLooking(body["redirect_uris"]) ? "native" : rules.defaultApplicationType)
  if (applicationType !== undefined && applicationType !== "web" && applicationType !== "native") {
    return invalid("application_type must be \"web\" or \"native\"")
  }
  if (applicationType !== undefined) out["application_type"] = applicationType

  // token_endpoint_auth_method (RFC 7591 §2).
  const method = body["token_endpoint_auth_method"] ?? rules.defaultAuthMethod
  if (typeof method !== "string" || !rules.authMethods.includes(method)) {
    return invalid(
      `token_endpoint_auth_method ${typeof method === "string" ? `"${truncate(method, 40)}" ` : ""}is not supported (supported: ${
        rules.authMethods.join(", ")
      })`
    )
  }
  out["token_endpoint_auth_method"] = method

  // grant_types and response_types (RFC 7591 §2.1), defaults authorization_code and code.
  const grantTypes = body["grant_types"] ?? ["authorization_code"]
  const responseTypes = body["response_types"] ?? (Array.isArray(grantTypes) && grantTypes.includes("authorization_code") ? ["code"] : [])
  if (!Array.isArray(grantTypes) || grantTypes.length === 0 || !grantTypes.every((g) => typeof g === "string")) {
    return invalid("grant_types must be a non-empty array of strings")
  }
  if (!Array.isArray(responseTypes) || !responseTypes.every((r) => typeof r === "string")) {
    return invalid("response_types must be an array of strings")
  }
  const grants = [...new Set(grantTypes as ReadonlyArray<string>)]
  const responses = [...new Set(responseTypes as ReadonlyArray<string>)]
  const unsupported = grants.find((g) => !supportedGrantTypes.includes(g))
  if (unsupported !== undefined) {
    return invalid(`grant type "${truncate(unsupported, 60)}" is not supported (supported: ${supportedGrantTypes.join(", ")})`)
  }
  const unsupportedResponse = responses.find((r) => r !== "code")
  if (unsupportedResponse !== undefined) return invalid(`response type "${truncate(unsupportedResponse, 40)}" is not supported (only "code")`)
  const authorizationCode = grants.includes("authorization_code")
  if (authorizationCode !== responses.includes("code")) {
    return invalid("grant_types and response_types are inconsistent: authorization_code goes with the \"code\" response type (RFC 7591 §2.1)")
  }
  if (grants.includes("refresh_token") && !authorizationCode && !grants.includes(deviceCodeGrant)) {
    return invalid("grant type refresh_token needs authorization_code or the device code grant")
  }
  if (grants.includes("client_credentials") && method === "none") {
    return invalid("grant type client_credentials is for confidential clients only (token_endpoint_auth_method must not be \"none\")")
  }
  out["grant_types"] = grants
  out["response_types"] = responses

  // redirect_uris (RFC 7591 §2): required for redirect-based grants.
  const redirectUris = body["redirect_uris"] ?? []
  if (!Array.isArray(redirectUris)) return invalid("redirect_uris must be an array of strings")
  if (redirectUris.length > maxRedirectUris) return invalid(`redirect_uris has more than ${maxRedirectUris} entries`)
  if (authorizationCode && redirectUris.length === 0) {
    return Either.left(OAuthError.invalidRedirectUri("redirect_uris is required for the authorization_code grant"))
  }
  const policy: RedirectPolicy = applicationType === "web"
    ? { kind: "web", allowLoopbackHttp: rules.allowLoopbackHttpForWeb }
    : applicationType === "native"
    ? { kind: "native" }
    : { kind: "any" }
  for (const uri of redirectUris) {
    const checked = checkRedirectUri(uri, policy)
    if (Either.isLeft(checked)) return Either.left(checked.left)
  }
  out["redirect_uris"] = [...new Set(redirectUris as ReadonlyArray<string>)]

  // scope (RFC 7591 §2, RFC 6749 §3.3).
  if (body["scope"] !== undefined) {
    const scope = body["scope"]
    if (typeof scope !== "string" || scope.length > maxStringLength || !scopePattern.test(scope)) {
      return invalid("scope must be space-separated scope tokens (RFC 6749 §3.3)")
    }
    out["scope"] = scope
  }

  // contacts.
  if (body["contacts"] !== undefined) {
    const contacts = body["contacts"]
    if (!Array.isArray(contacts) || contacts.length > 20 || !contacts.every((c) => typeof c === "string" && c.length <= 320)) {
      return invalid("contacts must be an array of at most 20 strings")
    }
    out["contacts"] = contacts
  }

  // jwks and jwks_uri (RFC 7591 §2: not both).
  if (body["jwks"] !== undefined && body["jwks_uri"] !== undefined) return invalid("jwks and jwks_uri must not both be present")

  // Text and URL fields, with their language-tagged variants (RFC 7591 §2.2).
  for (const [key, value] of Object.entries(body)) {
    const [base, tag] = key.split("#", 2) as [string, string | undefined]
    if (tag !== undefined && (!localizable.has(base) || !/^[A-Za-z0-9-]{1,35}$/.test(tag))) continue
    if ((textFields as ReadonlyArray<string>).includes(base)) {
      if (typeof value !== "string" || value.length > maxStringLength) return invalid(`${key} must be a string of at most ${maxStringLength} characters`)
      out[key] = value
    } else if ((urlFields as ReadonlyArray<string>).includes(base)) {
      const checked = checkUrlField(key, value)
      if (Either.isLeft(checked)) return Either.left(checked.left)
      out[key] = checked.right
    }
  }
  return Either.right(out as ClientMetadata)
}

/** What a dynamic registration or update checks (RFC 7591 §2; OIDC Registration §2: `application_type` defaults to web). */
export const checkRegistration = (body: unknown, allowLoopbackHttpForWeb: boolean): Result<ClientMetadata> =>
  // Fields the server issues (client_id, client_secret, registration_access_token…) are not copied:
  // a client cannot choose them (RFC 7591 §3.1, RFC 7592 §2.2 "MUST ignore").
  checkMetadata(body, {
    defaultApplicationType: "web",
    allowLoopbackHttpForWeb,
    defaultAuthMethod: "client_secret_basic",
    authMethods: supportedAuthMethods
  })

/**
 * Whether a client id is in the form of a Client ID Metadata Document URL
 * (CIMD "Client Identifier"): https (http when allowed), a path other than
 * `/`, no dot segments, no fragment, no user information, at most 2000
 * characters, and in its normalised form (what `new URL` gives back), so
 * that one document has one client id. Returns why not, or undefined.
 */
export const metadataDocumentUrlProblem = (clientId: string, allowHttp: boolean): string | undefined => {
  if (clientId.length > maxUriLength) return `is longer than ${maxUriLength} characters`
  let url: URL
  try {
    url = new URL(clientId)
  } catch {
    return "is not a URL"
  }
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) return "must use the https scheme"
  if (url.username !== "" || url.password !== "") return "must not contain a user name or password"
  if (clientId.includes("#")) return "must not contain a fragment"
  const path = /^[a-z]+:\/\/[^/?#]*([^?#]*)/i.exec(clientId)?.[1] ?? ""
  if (path === "" || path === "/") return "must contain a path"
  if (path.split("/").some((segment) => segment === "." || segment === ".." || /^(%2e|\.){1,2}$/i.test(segment))) {
    return "must not contain dot segments"
  }
  if (url.href !== clientId) return `must be in normalised form (${truncate(url.href)})`
  return undefined
}

/**
 * Validates a fetched Client ID Metadata Document (CIMD "Client Metadata
 * Document"): a JSON object whose `client_id` is the URL it was fetched
 * from (simple string comparison, RFC 3986 §6.2.1), without a
 * `client_secret` or `client_secret_expires_at`, authenticating with
 * `none` (the only method this server supports for documents; a shared
 * secret is impossible and `private_key_jwt` is not supported), with
 * `redirect_uris` and `client_name` (MCP 2025-11-25 and 2026-07-28 client
 * registration: "MUST include at least … client_id, client_name,
 * redirect_uris").
 */
export const checkMetadataDocument = (text: string, url: string): Result<ClientMetadata> => {
  const invalid = (why: string) => Either.left(OAuthError.invalidClientMetadata(`The client metadata document at ${truncate(url)} ${why}`))
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    return invalid("is not valid JSON")
  }
  if (!isObject(document)) return invalid("is not a JSON object")
  if (document["client_id"] !== url) {
    return invalid(
      typeof document["client_id"] === "string"
        ? `names another client_id (${truncate(document["client_id"])}); it must be the document's URL exactly`
        : "has no client_id; it must be the document's URL"
    )
  }
  if ("client_secret" in document || "client_secret_expires_at" in document) {
    return invalid("must not contain client_secret or client_secret_expires_at")
  }
  const method = document["token_endpoint_auth_method"]
  if (method !== undefined && method !== "none") {
    return invalid(
      method === "private_key_jwt"
        ? "asks for token_endpoint_auth_method private_key_jwt, which this server does not support for metadata documents (use \"none\")"
        : `asks for token_endpoint_auth_method ${typeof method === "string" ? truncate(method, 40) : "(not a string)"}; only "none" is allowed`
    )
  }
  if (!Array.isArray(document["redirect_uris"]) || document["redirect_uris"].length === 0) return invalid("has no redirect_uris")
  if (typeof document["client_name"] !== "string" || document["client_name"].trim() === "") return invalid("has no client_name")
  const checked = checkMetadata(document, {
    defaultApplicationType: undefined,
    allowLoopbackHttpForWeb: false,
    defaultAuthMethod: "none",
    authMethods: ["none"]
  })
  return Either.mapLeft(checked, (error) =>
    new OAuthError.OAuthError({
      error: error.error,
      description: `The client metadata document at ${truncate(url)} is not acceptable: ${error.description}`,
      status: error.status
    }))
}
