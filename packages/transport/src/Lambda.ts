/**
 * AWS Lambda adapters: an MCP server (or any web-standard
 * `(Request) => Response` handler) behind Amazon API Gateway REST APIs
 * (payload format 1.0), HTTP APIs (payload format 2.0) and Lambda function
 * URLs (which use the 2.0 format).
 *
 * The event becomes a web `Request` (Base64 bodies decoded, multi-value
 * headers and query strings kept, cookies joined into `Cookie`), and the
 * `Response` becomes the result shape of the event's format (a binary body
 * Base64 with `isBase64Encoded`, several `Set-Cookie` in `multiValueHeaders`
 * or `cookies`).
 *
 * A Lambda without response streaming delivers a response only once it is
 * complete, so `toHandler` serves MCP with `WebHandler`'s
 * `streaming: false`: every request is answered with one JSON body (spec
 * 2026-07-28 basic/transports/streamable-http "Sending Messages" 6.: the
 * server chooses JSON or SSE), the progress and log notifications a request
 * would send first are dropped, and no session is kept (each invocation may
 * land on another instance). MCP 2026-07-28 needs nothing more; 2025-11-25
 * clients are served without sessions. Long-lived streams
 * (`subscriptions/listen`) are not served well by a buffered function.
 *
 * @example
 * import { Lambda } from "@emcee/transport"
 * import { App } from "./server.js" // Layer<McpServer>
 *
 * export const handler = Lambda.toHandler(App).handler
 *
 * @since 0.1.0
 */
import type { McpServer } from "@emcee/core"
import type { Layer } from "effect"
import * as WebHandler from "./WebHandler.js"

/** Header values of an event, as API Gateway sends them (absent values may be `undefined`). */
export type EventHeaders = { readonly [name: string]: string | undefined }

/** Multi-value header or query-string values of a payload 1.0 event. */
export type EventMultiValues = { readonly [name: string]: ReadonlyArray<string> | undefined }

/**
 * An API Gateway REST API proxy event, payload format 1.0 (AWS "Working with
 * AWS Lambda proxy integrations for HTTP APIs", "Input format of a Lambda
 * function for proxy integration"); the fields the adapter reads.
 */
export interface ApiGatewayEventV1 {
  readonly version?: "1.0"
  readonly resource?: string
  readonly path: string
  readonly httpMethod: string
  readonly headers?: EventHeaders | null
  readonly multiValueHeaders?: EventMultiValues | null
  readonly queryStringParameters?: EventHeaders | null
  readonly multiValueQueryStringParameters?: EventMultiValues | null
  readonly pathParameters?: EventHeaders | null
  readonly stageVariables?: EventHeaders | null
  readonly requestContext?: { readonly domainName?: string; readonly [key: string]: unknown }
  readonly body?: string | null
  readonly isBase64Encoded?: boolean
}

/**
 * An API Gateway HTTP API event or a Lambda function URL event, payload
 * format 2.0 (AWS "Lambda function URLs: request payload format"); the fields
 * the adapter reads.
 */
export interface ApiGatewayEventV2 {
  readonly version: "2.0"
  readonly routeKey?: string
  readonly rawPath: string
  readonly rawQueryString?: string
  readonly cookies?: ReadonlyArray<string>
  readonly headers?: EventHeaders
  readonly queryStringParameters?: EventHeaders | null
  readonly pathParameters?: EventHeaders | null
  readonly stageVariables?: EventHeaders | null
  readonly requestContext: {
    readonly domainName?: string
    readonly http: { readonly method: string; readonly [key: string]: unknown }
    readonly [key: string]: unknown
  }
  readonly body?: string
  readonly isBase64Encoded?: boolean
}

/** An HTTP event from API Gateway or a function URL. */
export type Event = ApiGatewayEventV1 | ApiGatewayEventV2

/** The result for a payload 1.0 event (REST API proxy integration). */
export interface ResultV1 {
  readonly statusCode: number
  readonly headers: Record<string, string>
  /** Every header with all its values; several `Set-Cookie` stay separate. */
  readonly multiValueHeaders: Record<string, Array<string>>
  readonly body: string
  readonly isBase64Encoded: boolean
}

/** The result for a payload 2.0 event (HTTP API, function URL). */
export interface ResultV2 {
  readonly statusCode: number
  /** Every header but `Set-Cookie`, values of one name joined with ", ". */
  readonly headers: Record<string, string>
  /** The `Set-Cookie` values, one cookie each. */
  readonly cookies: Array<string>
  readonly body: string
  readonly isBase64Encoded: boolean
}

/** The result shape of an event's format. */
export type Result = ResultV1 | ResultV2

/** The Lambda context; the adapter reads nothing of it. */
export interface Context {
  readonly awsRequestId?: string
}

/** A Lambda handler for HTTP events: the result has the shape of the event's payload format. */
export interface Handler {
  (event: ApiGatewayEventV2, context?: Context): Promise<ResultV2>
  (event: ApiGatewayEventV1, context?: Context): Promise<ResultV1>
  (event: Event, context?: Context): Promise<Result>
}

/** A web-standard request handler (WebHandler's, a framework's `fetch`). */
export type Fetch = (request: Request) => Response | Promise<Response>

const isV2 = (event: Event): event is ApiGatewayEventV2 =>
  event.version === "2.0" && typeof (event as ApiGatewayEventV2).requestContext?.http?.method === "string"

const isV1 = (event: Event): event is ApiGatewayEventV1 => typeof (event as ApiGatewayEventV1).httpMethod === "string"

/** Headers that described the body as it travelled; the body is whole here. */
const dropped = new Set(["content-length", "transfer-encoding"])

/** Appends a header, leaving out a name or value the Fetch standard refuses (they cannot come from a valid HTTP request). */
const append = (headers: Headers, name: string, value: string) => {
  if (dropped.has(name.toLowerCase())) return
  try {
    headers.append(name, value)
  } catch {
    // Not a valid header name or value.
  }
}

const requestHeaders = (event: Event): Headers => {
  const headers = new Headers()
  if (isV2(event)) {
    for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) append(headers, name, value)
    // Payload 2.0 moves the Cookie header into `cookies`.
    if (event.cookies !== undefined && event.cookies.length > 0) headers.set("cookie", event.cookies.join("; "))
    return headers
  }
  const multi = event.multiValueHeaders ?? {}
  for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) append(headers, name, value)
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && multi[name] === undefined) append(headers, name, value)
  }
  return headers
}

const queryOf = (event: Event): string => {
  if (isV2(event)) return event.rawQueryString ?? ""
  const params = new URLSearchParams()
  const multi = event.multiValueQueryStringParameters ?? {}
  for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) params.append(name, value)
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && multi[name] === undefined) params.append(name, value)
  }
  return params.toString()
}

const urlOf = (event: Event, headers: Headers): string => {
  const path = isV2(event) ? event.rawPath : event.path
  const query = queryOf(event)
  const suffix = `${path.startsWith("/") ? path : `/${path}`}${query === "" ? "" : `?${query}`}`
  const proto = headers.get("x-forwarded-proto") === "http" ? "http" : "https"
  for (const host of [event.requestContext?.domainName, headers.get("host") ?? undefined, "localhost"]) {
    if (host === undefined || host === "") continue
    try {
      return new URL(`${proto}://${host}${suffix}`).href
    } catch {
      // Not a valid host: the next one.
    }
  }
  return new URL(suffix, "https://localhost").href
}

/**
 * The web `Request` of an API Gateway (payload 1.0 or 2.0) or function URL
 * event. Throws a `TypeError` for an event that is neither (the function is
 * wired to another event source).
 */
export const toRequest = (event: Event): Request => {
  if (event === null || typeof event !== "object" || (!isV2(event) && !isV1(event))) {
    throw new TypeError("Lambda: the event is not an API Gateway (payload 1.0 or 2.0) or function URL event")
  }
  const method = (isV2(event) ? event.requestContext.http.method : event.httpMethod).toUpperCase()
  const headers = requestHeaders(event)
  const url = urlOf(event, headers)
  const raw = event.body
  const body = raw === undefined || raw === null || method === "GET" || method === "HEAD"
    ? undefined
    : event.isBase64Encoded === true
    ? Buffer.from(raw, "base64")
    : raw
  return new Request(url, body === undefined ? { method, headers } : { method, headers, body })
}

/** Media types whose bodies are text and go into a result as they are; any other body is sent Base64. */
const isText = (contentType: string | null): boolean => {
  if (contentType === null) return true
  const type = contentType.toLowerCase()
  return type.startsWith("text/") || /^application\/([\w.-]+\+)?(json|xml)\b/.test(type) ||
    type.startsWith("application/javascript") || type.startsWith("application/x-www-form-urlencoded")
}

/**
 * The Lambda result of a `Response`, in the shape of the event's payload
 * format. The body is read to its end (Lambda without response streaming
 * sends nothing before), so the response must end: an endless SSE stream
 * would hold the invocation until its timeout.
 */
export function toResult(response: Response, event: ApiGatewayEventV2): Promise<ResultV2>
export function toResult(response: Response, event: ApiGatewayEventV1): Promise<ResultV1>
export function toResult(response: Response, event: Event): Promise<Result>
export async function toResult(response: Response, event: Event): Promise<Result> {
  const bytes = new Uint8Array(await response.arrayBuffer())
  let text: string | undefined
  if (isText(response.headers.get("content-type"))) {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes)
    } catch {
      // Not UTF-8 after all: sent Base64.
    }
  }
  const body = text ?? Buffer.from(bytes).toString("base64")
  const isBase64Encoded = text === undefined
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (isV2(event)) return { statusCode: response.status, headers, cookies, body, isBase64Encoded }
  // Payload 1.0: API Gateway merges `headers` and `multiValueHeaders`, a pair in both appearing once.
  const multiValueHeaders: Record<string, Array<string>> = {}
  for (const [name, value] of Object.entries(headers)) multiValueHeaders[name] = [value]
  if (cookies.length > 0) multiValueHeaders["set-cookie"] = cookies
  return { statusCode: response.status, headers, multiValueHeaders, body, isBase64Encoded }
}

/**
 * A Lambda handler over any web-standard handler: API Gateway REST API,
 * HTTP API and function URL events become a `Request`, its `Response` the
 * result. The response is buffered whole (see `toResult`).
 */
export const fromFetch = (fetch: Fetch): Handler =>
  (async (event: Event) => toResult(await fetch(toRequest(event)), event)) as Handler

/** Options of `toHandler`: the WebHandler options but `streaming` and `stateless` (a buffered Lambda streams nothing and keeps no session). */
export type Options = Omit<WebHandler.Options, "streaming" | "stateless">

/**
 * A Lambda handler serving an app Layer that provides McpServer over
 * Streamable HTTP (MCP 2026-07-28 and, without sessions, 2025-11-25). The
 * app is built on the first invocation and kept while the execution
 * environment lives; every answer is one JSON body (`streaming: false`).
 * `dispose` shuts it down (for tests: Lambda freezes environments without
 * notice).
 */
export const toHandler = <E>(
  app: Layer.Layer<McpServer.McpServer, E>,
  options: Options = {}
): { readonly handler: Handler; readonly dispose: () => Promise<void> } => {
  const web = WebHandler.toHandler(app, { ...options, stateless: true, streaming: false })
  return { handler: fromFetch(web.handler), dispose: web.dispose }
}
