/**
 * The clients of the authorization server, and how they come to exist
 * (MCP 2025-11-25 and 2026-07-28 basic/authorization, "Client
 * Registration"):
 *
 * 1. **Client ID Metadata Documents** (on by default; the preferred way):
 *    a client whose id is an https URL is described by the JSON document at
 *    that URL (draft-ietf-oauth-client-id-metadata-document). The document
 *    is fetched through a guard against server-side request forgery (public
 *    addresses only, checked at connect time; no redirects; 5 KiB; 5 s),
 *    validated (its `client_id` is the URL exactly, no secret,
 *    `token_endpoint_auth_method` `none`, `client_name` and
 *    `redirect_uris`), and cached as its HTTP caching headers say, clamped
 *    between 1 minute and 24 hours; failures are cached for 10 seconds.
 * 2. **Pre-registered clients** (`clients`): kept in memory from the
 *    options (configuration is their only source of truth, so every
 *    replica agrees and a client removed from configuration is gone at the
 *    next start); secrets are kept as their SHA-256 digest only.
 * 3. **RFC 7591 dynamic registration** (off by default; deprecated by MCP
 *    2026-07-28, kept for older clients): validated per RFC 7591 §2 and
 *    OpenID Connect Registration `application_type`, rate-limited per
 *    client address and overall, optionally gated by an initial access
 *    token (RFC 7591 §3). Each dynamic client gets a registration access
 *    token for RFC 7592 read, update and delete; a dynamic client never
 *    used is removed after 24 hours (`OAuthStore.deleteExpired`).
 *
 * Redirect URIs are compared exactly (OAuth 2.1 §2.3.1), except that a
 * loopback http redirect URI of a client that is not `web` may name any
 * port (RFC 8252 §7.3).
 *
 * @example
 * import { Layer, Redacted } from "effect"
 * import { OAuthClients, OAuthStore } from "@emcee/auth"
 *
 * const Clients = OAuthClients.layer({
 *   registrationEndpoint: "https://mcp.example.com/register",
 *   clients: [{ clientId: "ci-bot", secret: Redacted.make(process.env.CI_BOT_SECRET!), grantTypes: ["client_credentials"] }],
 *   dynamicRegistration: { perAddressPerMinute: 5 }
 * }).pipe(Layer.provide(OAuthStore.memory))
 *
 * @since 0.3.0
 */
import { randomBytes, timingSafeEqual } from "node:crypto"
import { Cache, ConfigError, Context, Duration, Effect, Either, Exit, Layer, Option, Redacted } from "effect"
import {
  checkMetadata,
  checkMetadataDocument,
  checkRegistration,
  metadataDocumentUrlProblem,
  redirectUriMatches,
  supportedAuthMethods
} from "./internal/oauth/clientMetadata.js"
import { safeFetch } from "./internal/oauth/safeFetch.js"
import { slidingWindow } from "./internal/limit.js"
import * as OAuthError from "./OAuthError.js"
import { type Client, type ClientMetadata, digest, OAuthStore, type OAuthStoreError } from "./OAuthStore.js"

/** How Client ID Metadata Documents are fetched and cached. */
export interface MetadataDocumentOptions {
  /** Accept `http:` client ids (development only). Default false. */
  readonly allowHttp?: boolean
  /** Fetch from any address, private and loopback ones included (development, trusted networks). Default false. */
  readonly allowPrivateNetworks?: boolean
  /** Hosts (exact, lower case; IPv6 without brackets) that may resolve to private addresses, e.g. an internal client registry. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** The largest document read. Default 5120 bytes (the draft's recommendation). */
  readonly maxBytes?: number
  /** The time a fetch may take, all told. Default 5 seconds. */
  readonly timeout?: Duration.DurationInput
  /** The shortest time a document is cached (unless it says `no-store` or `no-cache`). Default 1 minute. */
  readonly minCacheTtl?: Duration.DurationInput
  /** The longest time a document is cached. Default 24 hours. */
  readonly maxCacheTtl?: Duration.DurationInput
  /** How long a failure (unreachable, invalid) is remembered before the next fetch. Default 10 seconds. */
  readonly failureCacheTtl?: Duration.DurationInput
  /** How many documents are cached at most (least recently used out). Default 1000. */
  readonly cacheCapacity?: number
  /** Certificates (PEM) trusted in addition to the system's, e.g. a development CA. */
  readonly ca?: string | ReadonlyArray<string>
}

/** How RFC 7591 dynamic registration behaves. */
export interface DynamicRegistrationOptions {
  /** Registrations allowed per client address per minute. Default 10. */
  readonly perAddressPerMinute?: number
  /** Registrations allowed per minute overall. Default 100. */
  readonly perMinute?: number
  /** A client never used this long after registering is removed. Default 24 hours; false: never. */
  readonly unusedClientTtl?: Duration.DurationInput | false
  /** How long a client secret lasts (RFC 7591 `client_secret_expires_at`). Default: forever (`0`). */
  readonly secretTtl?: Duration.DurationInput
  /** When set, registration requires it as a bearer token (RFC 7591 §3 initial access token). */
  readonly initialAccessToken?: Redacted.Redacted<string>
  /** Allow `web` clients http redirect URIs on loopback hosts (development). Default false. */
  readonly allowLoopbackHttpForWeb?: boolean
}

/** A client registered in configuration. */
export interface StaticClient {
  /** Its client id: not an https URL when metadata documents are on (the id would look like one). */
  readonly clientId: string
  /** Its secret (at least 16 characters), for a confidential client; kept as a SHA-256 digest only. */
  readonly secret?: Redacted.Redacted<string> | string
  /** Its redirect URIs, compared exactly. Required for the authorization code grant. */
  readonly redirectUris?: ReadonlyArray<string>
  /** Default `["authorization_code", "refresh_token"]`. */
  readonly grantTypes?: ReadonlyArray<string>
  /** The scopes it may ask for (space-separated); undefined: any. */
  readonly scope?: string
  /** Its name on the consent page. */
  readonly name?: string
  /** Default `client_secret_basic` with a secret, `none` without. */
  readonly tokenEndpointAuthMethod?: "none" | "client_secret_basic" | "client_secret_post"
  /** `native` lets loopback redirect URIs vary the port (RFC 8252 §7.3). Default: neither (the same as native for loopback URIs). */
  readonly applicationType?: "web" | "native"
}

/** Options of `make` and `layer`. */
export interface Options {
  /** Pre-registered clients. */
  readonly clients?: ReadonlyArray<StaticClient>
  /** Client ID Metadata Documents: on by default; false turns them off. */
  readonly metadataDocuments?: false | MetadataDocumentOptions
  /** RFC 7591 dynamic registration: off by default. */
  readonly dynamicRegistration?: false | DynamicRegistrationOptions
  /** The absolute URL of the registration endpoint; a client's RFC 7592 URI is `${registrationEndpoint}/${client_id}`. */
  readonly registrationEndpoint: string
}

/** A client the server knows, however it came to exist. */
export interface ResolvedClient {
  readonly clientId: string
  readonly kind: "static" | "dynamic" | "metadata-document"
  /** Its validated metadata (redirect URIs, grant types, `token_endpoint_auth_method`, name…). */
  readonly metadata: ClientMetadata
  /** Whether it authenticates with a secret at the token endpoint. */
  readonly confidential: boolean
  /** When its secret expires (epoch ms); undefined: never or no secret. */
  readonly secretExpiresAt?: number
}

/** What a client presented at the token endpoint (RFC 6749 §2.3.1), as the endpoint parsed it. */
export interface ClientCredentials {
  readonly clientId?: string
  readonly secret?: string
  /** How it presented them: `Authorization: Basic`, form parameters, or the client id alone. */
  readonly method: "client_secret_basic" | "client_secret_post" | "none"
}

/** A client's registration as the registration and client configuration endpoints return it (RFC 7591 §3.2.1, RFC 7592 §3). */
export type ClientInformation = ClientMetadata & {
  readonly client_id: string
  /** Epoch seconds. */
  readonly client_id_issued_at: number
  /** Only when just issued (registration, or an update that made the client confidential): the server keeps no copy. */
  readonly client_secret?: string
  /** Epoch seconds; 0: never. Present for confidential clients. */
  readonly client_secret_expires_at?: number
  readonly registration_access_token: string
  readonly registration_client_uri: string
}

/** The request context of a registration. */
export interface RegistrationContext {
  /** The client's address (the TCP peer), for the per-address rate limit. */
  readonly clientAddress?: string | undefined
  /** The `Authorization` header, for the initial access token. */
  readonly authorization?: string | undefined
  readonly now: number
}

/** The clients of the authorization server. Every failure is an `OAuthError` an endpoint can answer with as is. */
export interface Service {
  /** Whether Client ID Metadata Documents are accepted (advertise `client_id_metadata_document_supported`). */
  readonly metadataDocuments: boolean
  /** Whether dynamic registration is on (advertise `registration_endpoint`). */
  readonly dynamicRegistration: boolean
  /** The client with this id: pre-registered, dynamic or a metadata document; unknown: `invalid_client`. */
  readonly resolve: (clientId: string, now: number) => Effect.Effect<ResolvedClient, OAuthError.OAuthError>
  /**
   * Client authentication at the token endpoint (RFC 6749 §2.3.1): the
   * client must present credentials the way it registered
   * (`token_endpoint_auth_method`), with its current secret (compared in
   * constant time). Failures are `invalid_client`.
   */
  readonly authenticate: (credentials: ClientCredentials, now: number) => Effect.Effect<ResolvedClient, OAuthError.OAuthError>
  /** RFC 7591 §3: registers a client from a request body; the result is the 201 response body. */
  readonly register: (body: unknown, context: RegistrationContext) => Effect.Effect<ClientInformation, OAuthError.OAuthError>
  /** RFC 7592 §2.1: a dynamic client's registration, for its registration access token (`authorization`: the `Authorization` header). */
  readonly read: (clientId: string, authorization: string | undefined, now: number) => Effect.Effect<ClientInformation, OAuthError.OAuthError>
  /** RFC 7592 §2.2: replaces a dynamic client's metadata (omitted fields are reset to their defaults); the 200 response body. */
  readonly update: (
    clientId: string,
    authorization: string | undefined,
    body: unknown,
    now: number
  ) => Effect.Effect<ClientInformation, OAuthError.OAuthError>
  /** RFC 7592 §2.3: removes a dynamic client (the endpoint answers 204). */
  /** RFC 7592 §2.3: deletes a dynamic client and revokes its grants. */
  readonly remove: (clientId: string, authorization: string | undefined, now: number) => Effect.Effect<void, OAuthError.OAuthError>
  /** Whether the client registered `redirectUri` (exact match; RFC 8252 §7.3 loopback port for clients that are not `web`). */
  readonly redirectUriAllowed: (client: ResolvedClient, redirectUri: string) => boolean
  /** Records a use of the client (a dynamic client used once is no longer removed as unused). */
  readonly touch: (client: ResolvedClient, now: number) => Effect.Effect<void, OAuthError.OAuthError>
}

/** Service tag of the authorization server's clients. */
export class OAuthClients extends Context.Tag("@emcee/auth/OAuthClients")<OAuthClients, Service>() {}

/**
 * RFC 6749 §2.3.1: the client id and secret of an `Authorization: Basic`
 * header (each form-urlencoded before base64); `None` when the header is
 * not Basic or is malformed.
 */
export const parseBasicAuthorization = (header: string): Option.Option<{ readonly clientId: string; readonly secret: string }> => {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)
  if (match === null) return Option.none()
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon < 0) return Option.none()
  try {
    const form = (part: string) => decodeURIComponent(part.replace(/\+/g, " "))
    const clientId = form(decoded.slice(0, colon))
    return clientId === "" ? Option.none() : Option.some({ clientId, secret: form(decoded.slice(colon + 1)) })
  } catch {
    return Option.none()
  }
}

const defaults = {
  maxBytes: 5 * 1024,
  timeout: Duration.seconds(5),
  minCacheTtl: Duration.minutes(1),
  maxCacheTtl: Duration.hours(24),
  failureCacheTtl: Duration.seconds(10),
  cacheCapacity: 1000,
  perAddressPerMinute: 10,
  perMinute: 100,
  unusedClientTtl: Duration.hours(24)
} as const

/** A client as found, with what only this module sees. */
interface Found {
  readonly client: ResolvedClient
  readonly secretDigest: string | undefined
}

const bearer = (authorization: string | undefined): string | undefined => /^bearer +(\S+) *$/i.exec(authorization ?? "")?.[1]

const sameDigest = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "hex")
  const right = Buffer.from(b, "hex")
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right)
}

const newCredential = (bytes: number): string => randomBytes(bytes).toString("base64url")

const millis = (input: Duration.DurationInput): number => Duration.toMillis(Duration.decode(input))

const configError = (path: ReadonlyArray<string>, message: string) => Effect.fail(ConfigError.InvalidData([...path], message))

/** Seconds a response may be cached for, per RFC 9111 §4.2.1 (`max-age`, `Expires` - `Date`, less `Age`); undefined: not said. */
const freshnessMillis = (headers: Record<string, string | ReadonlyArray<string> | undefined>, now: number): number | undefined => {
  const header = (name: string) => {
    const value = headers[name]
    return typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : undefined
  }
  const directives = new Map<string, string | undefined>()
  for (const part of (header("cache-control") ?? "").split(",")) {
    const [name, value] = part.trim().split("=", 2) as [string, string | undefined]
    if (name !== "") directives.set(name.toLowerCase(), value?.replace(/^"|"$/g, ""))
  }
  // RFC 9111 §5.2.2.5 no-store; §5.2.2.4 no-cache (we do not revalidate, so it is not kept either).
  if (directives.has("no-store") || directives.has("no-cache")) return 0
  const age = Math.max(0, Number(header("age")) || 0)
  const maxAge = directives.get("max-age")
  if (maxAge !== undefined && /^\d+$/.test(maxAge)) return Math.max(0, Number(maxAge) - age) * 1000
  const expires = header("expires")
  if (expires !== undefined) {
    const at = Date.parse(expires)
    // RFC 9111 §5.3: an invalid Expires (such as "0") means already expired.
    if (Number.isNaN(at)) return 0
    const date = Date.parse(header("date") ?? "")
    return Math.max(0, at - (Number.isNaN(date) ? now : date) - age * 1000)
  }
  return undefined
}

/**
 * The clients on the `OAuthStore`. Fails with a `ConfigError` naming the
 * option when a pre-registered client or an option is invalid.
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError.ConfigError, OAuthStore> =>
  Effect.gen(function*() {
    const store = yield* OAuthStore
    try {
      if (!/^https?:$/.test(new URL(options.registrationEndpoint).protocol)) throw new Error()
    } catch {
      return yield* configError(["registrationEndpoint"], "must be an absolute http(s) URL")
    }
    const registrationEndpoint = options.registrationEndpoint.replace(/\/+$/, "")

    const documents = options.metadataDocuments === false ? undefined : (options.metadataDocuments ?? {})
    const dynamic = options.dynamicRegistration === false || options.dynamicRegistration === undefined ? undefined : options.dynamicRegistration

    // Pre-registered clients.
    const statics = new Map<string, Found>()
    for (const [index, entry] of (options.clients ?? []).entries()) {
      const path = ["clients", String(index)]
      if (typeof entry.clientId !== "string" || entry.clientId === "" || entry.clientId.length > 255) {
        return yield* configError([...path, "clientId"], "must be a non-empty string of at most 255 characters")
      }
      if (statics.has(entry.clientId)) return yield* configError([...path, "clientId"], `${entry.clientId} is registered twice`)
      if (documents !== undefined && /^https?:\/\//i.test(entry.clientId)) {
        return yield* configError([...path, "clientId"], "must not be an http(s) URL while metadata documents are on")
      }
      const secret = entry.secret === undefined ? undefined : typeof entry.secret === "string" ? entry.secret : Redacted.value(entry.secret)
      if (secret !== undefined && secret.length < 16) return yield* configError([...path, "secret"], "must be at least 16 characters")
      const method = entry.tokenEndpointAuthMethod ?? (secret === undefined ? "none" : "client_secret_basic")
      if ((method === "none") !== (secret === undefined)) {
        return yield* configError(
          [...path, "secret"],
          method === "none" ? "is set but tokenEndpointAuthMethod is none" : `is required for ${method}`
        )
      }
      const checked = checkMetadata(
        {
          redirect_uris: entry.redirectUris ?? [],
          grant_types: entry.grantTypes ?? ["authorization_code", "refresh_token"],
          token_endpoint_auth_method: method,
          ...(entry.scope !== undefined ? { scope: entry.scope } : {}),
          ...(entry.name !== undefined ? { client_name: entry.name } : {}),
          ...(entry.applicationType !== undefined ? { application_type: entry.applicationType } : {})
        },
        { defaultApplicationType: undefined, allowLoopbackHttpForWeb: true, defaultAuthMethod: method, authMethods: supportedAuthMethods }
      )
      if (Either.isLeft(checked)) return yield* configError(path, checked.left.description)
      statics.set(entry.clientId, {
        client: { clientId: entry.clientId, kind: "static", metadata: checked.right, confidential: secret !== undefined },
        secretDigest: secret === undefined ? undefined : digest(secret)
      })
    }

    const storeFailed = (error: OAuthStoreError) =>
      Effect.zipRight(
        Effect.logWarning("OAuth client store unavailable").pipe(Effect.annotateLogs({ operation: error.operation, reason: error.description })),
        Effect.fail(OAuthError.temporarilyUnavailable("The client store is unavailable; try again later"))
      )

    // Client ID Metadata Documents, fetched through the SSRF guard and cached (CIMD "Metadata Caching").
    const documentOptions = documents && {
      allowHttp: documents.allowHttp ?? false,
      allowPrivateNetworks: documents.allowPrivateNetworks ?? false,
      allowedHosts: (documents.allowedHosts ?? []).map((host) => host.toLowerCase()),
      maxBytes: documents.maxBytes ?? defaults.maxBytes,
      timeoutMillis: millis(documents.timeout ?? defaults.timeout),
      ca: documents.ca,
      accept: "application/json",
      // CIMD "Client Information Discovery": application/json or a more specific +json type.
      contentType: (type: string) => type === "application/json" || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type)
    }
    const minCache = millis(documents?.minCacheTtl ?? defaults.minCacheTtl)
    const maxCache = millis(documents?.maxCacheTtl ?? defaults.maxCacheTtl)
    const failureCache = millis(documents?.failureCacheTtl ?? defaults.failureCacheTtl)
    if (documentOptions !== undefined) {
      if (!(documentOptions.maxBytes > 0) || !(documentOptions.timeoutMillis > 0)) {
        return yield* configError(["metadataDocuments"], "maxBytes and timeout must be positive")
      }
      if (!(minCache >= 0) || !(maxCache >= minCache)) return yield* configError(["metadataDocuments"], "need 0 <= minCacheTtl <= maxCacheTtl")
    }

    const fetchDocument = (url: string): Effect.Effect<{ readonly found: Found; readonly ttl: number }, OAuthError.OAuthError> =>
      Effect.gen(function*() {
        const response = yield* safeFetch(url, documentOptions!).pipe(
          Effect.mapError((error) => OAuthError.invalidClient(`The client metadata document at ${url} could not be fetched: ${error.description}`))
        )
        const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        const checked = checkMetadataDocument(response.body, url)
        // RFC 6749 §5.2: whatever is wrong with the document, the client cannot be authenticated: invalid_client.
        if (Either.isLeft(checked)) return yield* Effect.fail(OAuthError.invalidClient(`The client metadata document at ${url} cannot be used: ${checked.left.description}`))
        const fresh = freshnessMillis(response.headers, now)
        const ttl = fresh === 0 ? 0 : Math.min(maxCache, Math.max(minCache, fresh ?? minCache))
        const client: ResolvedClient = { clientId: url, kind: "metadata-document", metadata: checked.right, confidential: false }
        return { found: { client, secretDigest: undefined }, ttl }
      })

    const documentCache = documentOptions === undefined ? undefined : yield* Cache.makeWith({
      capacity: documents?.cacheCapacity ?? defaults.cacheCapacity,
      lookup: fetchDocument,
      timeToLive: (exit) => Duration.millis(Exit.isSuccess(exit) ? exit.value.ttl : failureCache)
    })

    const fromStore = (stored: Client, now: number): Option.Option<Found> => {
      if (stored.unusedExpiresAt !== undefined && stored.unusedExpiresAt <= now) return Option.none()
      const confidential = stored.metadata.token_endpoint_auth_method !== "none"
      return Option.some({
        client: {
          clientId: stored.clientId,
          kind: stored.origin,
          metadata: stored.metadata,
          confidential,
          ...(stored.secretExpiresAt !== undefined ? { secretExpiresAt: stored.secretExpiresAt } : {})
        },
        secretDigest: stored.secretDigest
      })
    }

    const unknown = OAuthError.invalidClient("The client is not known")

    const find = (clientId: string, now: number): Effect.Effect<Found, OAuthError.OAuthError> => {
      if (typeof clientId !== "string" || clientId === "") return Effect.fail(OAuthError.invalidClient("The client id is missing"))
      const configured = statics.get(clientId)
      if (configured !== undefined) return Effect.succeed(configured)
      if (documentCache !== undefined && (clientId.startsWith("https://") || (documentOptions!.allowHttp && clientId.startsWith("http://")))) {
        const problem = metadataDocumentUrlProblem(clientId, documentOptions!.allowHttp)
        if (problem !== undefined) {
          return Effect.fail(OAuthError.invalidClient(`The client id is not a usable metadata document URL: it ${problem}`))
        }
        // A document not to be kept (no-store, no-cache) serves the callers waiting for this fetch, then is dropped
        // (a TTL of 0 would still hit within the same millisecond).
        return documentCache.get(clientId).pipe(
          Effect.tap((entry) => entry.ttl === 0 ? documentCache.invalidate(clientId) : Effect.void),
          Effect.map((entry) => entry.found)
        )
      }
      if (clientId.length > 255) return Effect.fail(unknown)
      return store.getClient(clientId).pipe(
        Effect.catchTag("OAuthStoreError", storeFailed),
        Effect.flatMap((stored) =>
          Option.match(Option.flatMap(stored, (client) => fromStore(client, now)), {
            onNone: () => Effect.fail(unknown),
            onSome: Effect.succeed
          })
        )
      )
    }

    const resolve = (clientId: string, now: number) => Effect.map(find(clientId, now), (found) => found.client)

    const authenticate = (credentials: ClientCredentials, now: number): Effect.Effect<ResolvedClient, OAuthError.OAuthError> =>
      Effect.gen(function*() {
        if (credentials.clientId === undefined || credentials.clientId === "") {
          return yield* Effect.fail(OAuthError.invalidClient("Client authentication is required (client_id is missing)"))
        }
        const { client, secretDigest } = yield* find(credentials.clientId, now)
        const registered = client.metadata.token_endpoint_auth_method
        if (credentials.method !== registered) {
          return yield* Effect.fail(
            OAuthError.invalidClient(`The client is registered for ${registered} authentication, but used ${credentials.method}`)
          )
        }
        if (registered === "none") return client
        if (credentials.secret === undefined || secretDigest === undefined || !sameDigest(digest(credentials.secret), secretDigest)) {
          return yield* Effect.fail(OAuthError.invalidClient("Client authentication failed"))
        }
        // RFC 7591 §3.2.1 client_secret_expires_at.
        if (client.secretExpiresAt !== undefined && client.secretExpiresAt <= now) {
          return yield* Effect.fail(OAuthError.invalidClient("The client secret has expired"))
        }
        return client
      })

    // Dynamic registration (RFC 7591) and management (RFC 7592).
    const notEnabled = new OAuthError.OAuthError({
      error: "invalid_request",
      description: "Dynamic client registration is not enabled on this server",
      status: 404
    })
    if (dynamic !== undefined && !((dynamic.perAddressPerMinute ?? 1) >= 1 && (dynamic.perMinute ?? 1) >= 1)) {
      return yield* configError(["dynamicRegistration"], "perAddressPerMinute and perMinute must be at least 1")
    }
    const perAddress = slidingWindow({ limit: dynamic?.perAddressPerMinute ?? defaults.perAddressPerMinute, windowMillis: 60_000, maxKeys: 10_000 })
    const overall = slidingWindow({ limit: dynamic?.perMinute ?? defaults.perMinute, windowMillis: 60_000, maxKeys: 1 })
    const unusedTtl = dynamic?.unusedClientTtl === false ? undefined : millis(dynamic?.unusedClientTtl ?? defaults.unusedClientTtl)
    const secretTtl = dynamic?.secretTtl === undefined ? 0 : millis(dynamic.secretTtl)
    const initialTokenDigest = dynamic?.initialAccessToken === undefined ? undefined : digest(Redacted.value(dynamic.initialAccessToken))
    const allowLoopbackHttpForWeb = dynamic?.allowLoopbackHttpForWeb ?? false

    // RFC 6750 §3.1 invalid_token, as RFC 7591 §3 and RFC 7592 §2 ask.
    const invalidToken = (description: string) => new OAuthError.OAuthError({ error: "invalid_token", description, status: 401 })

    const information = (client: Client, registrationToken: string, secret: string | undefined): ClientInformation => ({
      ...client.metadata,
      client_id: client.clientId,
      client_id_issued_at: Math.floor(client.createdAt / 1000),
      ...(secret !== undefined ? { client_secret: secret } : {}),
      ...(client.secretDigest !== undefined ? { client_secret_expires_at: client.secretExpiresAt === undefined ? 0 : Math.floor(client.secretExpiresAt / 1000) } : {}),
      registration_access_token: registrationToken,
      registration_client_uri: `${registrationEndpoint}/${encodeURIComponent(client.clientId)}`
    })

    const issueSecret = (now: number) => {
      const secret = newCredential(32)
      return { secret, secretDigest: digest(secret), ...(secretTtl > 0 ? { secretExpiresAt: now + secretTtl } : {}) }
    }

    const register = (body: unknown, context: RegistrationContext): Effect.Effect<ClientInformation, OAuthError.OAuthError> =>
      Effect.gen(function*() {
        if (dynamic === undefined) return yield* Effect.fail(notEnabled)
        const { now } = context
        // Per address first: a refused flood from one address does not spend the overall budget.
        const addressWait = perAddress.take(context.clientAddress ?? "unknown", now)
        const wait = addressWait > 0 ? addressWait : overall.take("*", now)
        if (wait > 0) {
          return yield* Effect.fail(OAuthError.tooManyRequests(`Too many registrations; retry in ${Math.ceil(wait / 1000)} seconds`))
        }
        if (initialTokenDigest !== undefined) {
          const token = bearer(context.authorization)
          if (token === undefined || !sameDigest(digest(token), initialTokenDigest)) {
            return yield* Effect.fail(invalidToken("Registration requires a valid initial access token (RFC 7591 §3)"))
          }
        }
        const checked = checkRegistration(body, allowLoopbackHttpForWeb)
        if (Either.isLeft(checked)) return yield* Effect.fail(checked.left)
        const metadata = checked.right
        const registrationToken = newCredential(32)
        const issued = metadata.token_endpoint_auth_method === "none" ? undefined : issueSecret(now)
        const client: Client = {
          clientId: newCredential(16),
          origin: "dynamic",
          metadata,
          ...(issued !== undefined ? { secretDigest: issued.secretDigest } : {}),
          ...(issued?.secretExpiresAt !== undefined ? { secretExpiresAt: issued.secretExpiresAt } : {}),
          registrationTokenDigest: digest(registrationToken),
          createdAt: now,
          ...(unusedTtl !== undefined ? { unusedExpiresAt: now + unusedTtl } : {})
        }
        yield* store.putClient(client).pipe(Effect.catchTag("OAuthStoreError", storeFailed))
        return information(client, registrationToken, issued?.secret)
      })

    /** The dynamic client `authorization` manages (RFC 7592 §2: a 401 for a bad token or an unknown client alike). */
    const managed = (clientId: string, authorization: string | undefined, now: number) =>
      Effect.gen(function*() {
        if (dynamic === undefined) return yield* Effect.fail(notEnabled)
        const token = bearer(authorization)
        if (token === undefined) return yield* Effect.fail(invalidToken("The registration access token is missing"))
        const stored = yield* store.getClient(clientId).pipe(Effect.catchTag("OAuthStoreError", storeFailed))
        const client = Option.getOrUndefined(stored)
        if (
          client === undefined ||
          client.origin !== "dynamic" ||
          client.registrationTokenDigest === undefined ||
          !sameDigest(digest(token), client.registrationTokenDigest) ||
          (client.unusedExpiresAt !== undefined && client.unusedExpiresAt <= now)
        ) {
          return yield* Effect.fail(invalidToken("The registration access token is not valid for this client"))
        }
        return { client, token }
      })

    const read = (clientId: string, authorization: string | undefined, now: number) =>
      Effect.map(managed(clientId, authorization, now), ({ client, token }) => information(client, token, undefined))

    const update = (clientId: string, authorization: string | undefined, body: unknown, now: number) =>
      Effect.gen(function*() {
        const { client, token } = yield* managed(clientId, authorization, now)
        const fields = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined
        // RFC 7592 §2.2: the request carries the client's own client_id, and its current secret if any.
        if (fields?.["client_id"] !== clientId) {
          return yield* Effect.fail(OAuthError.invalidRequest("The request must include the client's client_id (RFC 7592 §2.2)"))
        }
        const presentedSecret = fields["client_secret"]
        if (
          presentedSecret !== undefined &&
          (typeof presentedSecret !== "string" || client.secretDigest === undefined || !sameDigest(digest(presentedSecret), client.secretDigest))
        ) {
          return yield* Effect.fail(OAuthError.invalidRequest("client_secret does not match the client's current secret (RFC 7592 §2.2)"))
        }
        const checked = checkRegistration(body, allowLoopbackHttpForWeb)
        if (Either.isLeft(checked)) return yield* Effect.fail(checked.left)
        const metadata = checked.right
        const confidential = metadata.token_endpoint_auth_method !== "none"
        // A client becoming confidential gets a secret; one staying confidential keeps its own; a public one has none.
        const issued = confidential && client.secretDigest === undefined ? issueSecret(now) : undefined
        const { secretDigest: _digest, secretExpiresAt: _expires, ...rest } = client
        const updated: Client = {
          ...rest,
          metadata,
          ...(confidential && issued !== undefined
            ? { secretDigest: issued.secretDigest, ...(issued.secretExpiresAt !== undefined ? { secretExpiresAt: issued.secretExpiresAt } : {}) }
            : confidential
            ? {
              ...(client.secretDigest !== undefined ? { secretDigest: client.secretDigest } : {}),
              ...(client.secretExpiresAt !== undefined ? { secretExpiresAt: client.secretExpiresAt } : {})
            }
            : {})
        }
        yield* store.putClient(updated).pipe(Effect.catchTag("OAuthStoreError", storeFailed))
        return information(updated, token, issued?.secret)
      })

    const remove = (clientId: string, authorization: string | undefined, now: number) =>
      Effect.gen(function*() {
        yield* managed(clientId, authorization, now)
        // RFC 7592 §2.3: deleting a client ends its grants (and so its tokens).
        yield* store.revokeGrantsOfClient(clientId, now, "client_deleted").pipe(Effect.catchTag("OAuthStoreError", storeFailed))
        yield* store.deleteClient(clientId).pipe(Effect.catchTag("OAuthStoreError", storeFailed))
      })

    const redirectUriAllowed = (client: ResolvedClient, redirectUri: string): boolean =>
      typeof redirectUri === "string" && redirectUriMatches(client.metadata.redirect_uris, client.metadata.application_type, redirectUri)

    const touch = (client: ResolvedClient, now: number): Effect.Effect<void, OAuthError.OAuthError> =>
      client.kind === "dynamic" ? store.touchClient(client.clientId, now).pipe(Effect.catchTag("OAuthStoreError", storeFailed)) : Effect.void

    return {
      metadataDocuments: documentCache !== undefined,
      dynamicRegistration: dynamic !== undefined,
      resolve,
      authenticate,
      register,
      read,
      update,
      remove,
      redirectUriAllowed,
      touch
    } satisfies Service
  })

/** The clients as a Layer. */
export const layer = (options: Options): Layer.Layer<OAuthClients, ConfigError.ConfigError, OAuthStore> => Layer.effect(OAuthClients, make(options))
