/**
 * Lambda: API Gateway REST API (payload 1.0), HTTP API (payload 2.0) and
 * function URL events, shaped as AWS documents them ("Input format of a
 * Lambda function for proxy integration", "Lambda function URLs: request
 * payload format"), driven through the handler that serves MCP; real MCP
 * requests (spec 2026-07-28 basic/transports/streamable-http) answered with
 * buffered JSON, as a Lambda without response streaming must.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { handler as exampleHandler } from "../../../examples/serverless/src/lambda.js"
import * as Lambda from "../src/Lambda.js"
import { App, baseHeaders, call } from "./fixtures/httpApp.js"
import { VERSION, headersFor as modernHeaders, modern } from "./fixtures/modern.js"



const headersFor = (method: string, name?: string): Record<string, string> => ({ ...baseHeaders, ...modernHeaders(method, name) })

interface Input {
  readonly method?: string
  readonly path?: string
  readonly headers?: Record<string, string>
  readonly body?: string
  readonly base64?: boolean
}

/** An API Gateway REST API proxy event (payload format 1.0). */
const restEvent = ({ base64 = false, body, headers = {}, method = "POST", path = "/mcp" }: Input): Lambda.ApiGatewayEventV1 => ({
  resource: path,
  path,
  httpMethod: method,
  headers: { ...headers, Host: "abc123.execute-api.us-east-1.amazonaws.com", "X-Forwarded-Proto": "https" },
  multiValueHeaders: {
    ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    Host: ["abc123.execute-api.us-east-1.amazonaws.com"],
    "X-Forwarded-Proto": ["https"]
  },
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  requestContext: {
    accountId: "123456789012",
    apiId: "abc123",
    authorizer: { claims: null, scopes: null },
    domainName: "abc123.execute-api.us-east-1.amazonaws.com",
    domainPrefix: "abc123",
    extendedRequestId: "request-id",
    httpMethod: method,
    identity: { accessKey: null, accountId: null, caller: null, sourceIp: "192.0.2.1", user: null, userAgent: "test", userArn: null },
    path: `/prod${path}`,
    protocol: "HTTP/1.1",
    requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    requestTime: "04/Mar/2020:19:15:17 +0000",
    requestTimeEpoch: 1583349317135,
    resourceId: null,
    resourcePath: path,
    stage: "prod"
  },
  pathParameters: null,
  stageVariables: null,
  body: body === undefined ? null : base64 ? Buffer.from(body).toString("base64") : body,
  isBase64Encoded: base64
})

const requestContextV2 = (domain: string, method: string, path: string) => ({
  accountId: "123456789012",
  apiId: domain.split(".")[0]!,
  domainName: domain,
  domainPrefix: domain.split(".")[0]!,
  http: { method, path, protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "test" },
  requestId: "id",
  routeKey: "$default",
  stage: "$default",
  time: "12/Mar/2020:19:03:58 +0000",
  timeEpoch: 1583348638390
})

/** An API Gateway HTTP API event (payload format 2.0): header names lower case, values of one name comma-joined. */
const httpApiEvent = ({ base64 = false, body, headers = {}, method = "POST", path = "/mcp" }: Input): Lambda.ApiGatewayEventV2 => ({
  version: "2.0",
  routeKey: "$default",
  rawPath: path,
  rawQueryString: "",
  headers: { ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])), host: "abc123.execute-api.us-east-1.amazonaws.com" },
  requestContext: { ...requestContextV2("abc123.execute-api.us-east-1.amazonaws.com", method, path), authorizer: { jwt: { claims: { sub: "user" }, scopes: null } } },
  ...(body === undefined ? {} : { body: base64 ? Buffer.from(body).toString("base64") : body }),
  isBase64Encoded: base64
})

/** A Lambda function URL event (payload format 2.0, domain `<url-id>.lambda-url.<region>.on.aws`). */
const functionUrlEvent = (input: Input): Lambda.ApiGatewayEventV2 => {
  const event = httpApiEvent(input)
  const domain = "a1b2c3d4e5f6g7h8i9j0.lambda-url.us-west-2.on.aws"
  return {
    ...event,
    headers: { ...event.headers, host: domain },
    requestContext: { ...requestContextV2(domain, input.method ?? "POST", input.path ?? "/mcp"), authorizer: { iam: { accessKey: "AKIA", accountId: "123456789012" } } },
    pathParameters: null,
    stageVariables: null
  }
}

const formats = [
  ["API Gateway REST API (payload 1.0)", restEvent],
  ["API Gateway HTTP API (payload 2.0)", httpApiEvent],
  ["Lambda function URL", functionUrlEvent]
] as const

const json = (result: Lambda.Result): Record<string, unknown> => {
  const text = result.isBase64Encoded ? Buffer.from(result.body, "base64").toString("utf8") : result.body
  return JSON.parse(text) as Record<string, unknown>
}

describe("Lambda.toHandler serves MCP 2026-07-28 (spec 2026-07-28 basic/transports/streamable-http)", () => {
  let lambda: ReturnType<typeof Lambda.toHandler>
  beforeAll(() => {
    lambda = Lambda.toHandler(App, { allowedOrigins: ["https://app.example"] })
  })
  afterAll(() => lambda.dispose())

  describe.each(formats)("%s", (_name, eventOf) => {
    const invoke = (body: unknown, headers: Record<string, string>, base64 = false) =>
      lambda.handler(eventOf({ body: JSON.stringify(body), headers, base64 }))

    it("server/discover: 200 JSON with supportedVersions, resultType complete, no session", async () => {
      const result = await invoke(modern(1, "server/discover"), headersFor("server/discover"))
      expect(result.statusCode).toBe(200)
      expect(result.isBase64Encoded).toBe(false)
      expect(result.headers["content-type"]).toBe("application/json")
      expect(result.headers["mcp-session-id"]).toBeUndefined()
      expect(json(result)).toMatchObject({ id: 1, result: { supportedVersions: expect.arrayContaining([VERSION]), resultType: "complete" } })
    })

    it("tools/list and tools/call (a Base64-encoded body too)", async () => {
      const list = await invoke(modern(2, "tools/list"), headersFor("tools/list"))
      expect(json(list)).toMatchObject({ id: 2, result: { tools: expect.arrayContaining([expect.objectContaining({ name: "echo" })]) } })
      const result = await invoke(modern(3, "tools/call", { name: "echo", arguments: { text: "héllo λ" } }), headersFor("tools/call", "echo"), true)
      expect(result.statusCode).toBe(200)
      expect(json(result)).toMatchObject({ id: 3, result: { content: [{ type: "text", text: "héllo λ" }], resultType: "complete" } })
    })

    it("progress and logs are not streamed: one JSON body (\"Sending Messages\" 6.)", async () => {
      const body = modern(4, "tools/call", { name: "work", arguments: { ms: 1 }, _meta: { progressToken: "p", "io.modelcontextprotocol/logLevel": "info" } })
      const result = await invoke(body, headersFor("tools/call", "work"))
      expect(result.statusCode).toBe(200)
      expect(result.headers["content-type"]).toBe("application/json")
      expect(json(result)).toMatchObject({ id: 4, result: { content: [{ text: "worked" }] } })
    })

    it("errors: header mismatch 400 -32020, unknown method 404 -32601, GET 405 (\"Server Validation\", \"Protocol Version Header\")", async () => {
      const mismatch = await invoke(modern(5, "tools/call", { name: "echo", arguments: { text: "x" } }), headersFor("tools/call", "other"))
      expect(mismatch.statusCode).toBe(400)
      expect(json(mismatch)).toMatchObject({ id: 5, error: { code: -32020 } })
      const unknown = await invoke(modern(6, "no/such"), headersFor("no/such"))
      expect(unknown.statusCode).toBe(404)
      expect(json(unknown)).toMatchObject({ id: 6, error: { code: -32601 } })
      const get = await lambda.handler(eventOf({ method: "GET", headers: { accept: "text/event-stream", "mcp-protocol-version": VERSION } }))
      expect(get.statusCode).toBe(405)
      const parse = await lambda.handler(eventOf({ body: "{", headers: headersFor("tools/list") }))
      expect(parse.statusCode).toBe(400)
      expect(json(parse)).toMatchObject({ error: { code: -32700 } })
    })

    it("subscriptions/listen is refused at once, not held until the function times out (basic/patterns/subscriptions)", async () => {
      const listen = await invoke(modern(7, "subscriptions/listen", { notifications: { toolsListChanged: true } }), headersFor("subscriptions/listen"))
      expect(listen.statusCode).toBe(404)
      expect(json(listen)).toMatchObject({ id: 7, error: { code: -32601, message: expect.stringContaining("streaming") } })
    })

    it("a 2025-11-25 client is served without a session", async () => {
      const result = await invoke(call(7, "echo", { text: "legacy" }), baseHeaders)
      expect(result.statusCode).toBe(200)
      expect(json(result)).toEqual({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "legacy" }] } })
    })

    it("Origin: a stranger gets 403; an allowed one gets CORS headers (spec basic/transports \"Security\")", async () => {
      const evil = await invoke(modern(8, "tools/list"), { ...headersFor("tools/list"), origin: "https://evil.example" })
      expect(evil.statusCode).toBe(403)
      const ok = await invoke(modern(9, "tools/list"), { ...headersFor("tools/list"), origin: "https://app.example" })
      expect(ok.statusCode).toBe(200)
      expect(ok.headers["access-control-allow-origin"]).toBe("https://app.example")
      if ("multiValueHeaders" in ok) expect(ok.multiValueHeaders["access-control-allow-origin"]).toEqual(["https://app.example"])
    })
  })

  it("an event that is not an HTTP event is refused with a TypeError naming what was expected", async () => {
    const sqs = { Records: [{ messageId: "1", body: "{}", eventSource: "aws:sqs" }] }
    await expect(lambda.handler(sqs as unknown as Lambda.Event)).rejects.toThrow(/not an API Gateway .* or function URL event/)
  })
})

describe("Lambda.fromFetch: any (Request) => Response handler", () => {
  /** Echoes what reached it: method, URL, cookie and a multi-value header, and answers with two cookies and a binary body. */
  const seen: Array<Request> = []
  const handler = Lambda.fromFetch(async (request) => {
    seen.push(request)
    const headers = new Headers({ "content-type": "application/octet-stream" })
    headers.append("set-cookie", "a=1; Path=/; HttpOnly")
    headers.append("set-cookie", "b=2; Path=/")
    headers.append("x-multi", "one")
    headers.append("x-multi", "two")
    return new Response(new Uint8Array([0, 255, 1, 254]), { status: 201, headers })
  })

  it("payload 1.0: multi-value headers and query strings in, Set-Cookie and a Base64 body out", async () => {
    const event: Lambda.ApiGatewayEventV1 = {
      ...restEvent({ method: "PUT", path: "/things/1", body: "payload" }),
      headers: { Host: "abc123.execute-api.us-east-1.amazonaws.com", "X-Tag": "b", Cookie: "s=1" },
      multiValueHeaders: { Host: ["abc123.execute-api.us-east-1.amazonaws.com"], "X-Tag": ["a", "b"], Cookie: ["s=1"] },
      queryStringParameters: { q: "2", single: "x y" },
      multiValueQueryStringParameters: { q: ["1", "2"] }
    }
    const result = await handler(event)
    const request = seen.at(-1)!
    expect(request.method).toBe("PUT")
    expect(request.url).toBe("https://abc123.execute-api.us-east-1.amazonaws.com/things/1?q=1&q=2&single=x+y")
    expect(request.headers.get("x-tag")).toBe("a, b")
    expect(request.headers.get("cookie")).toBe("s=1")
    expect(await request.text()).toBe("payload")
    expect(result.statusCode).toBe(201)
    expect(result.isBase64Encoded).toBe(true)
    expect([...Buffer.from(result.body, "base64")]).toEqual([0, 255, 1, 254])
    expect(result.multiValueHeaders["set-cookie"]).toEqual(["a=1; Path=/; HttpOnly", "b=2; Path=/"])
    expect(result.headers["set-cookie"]).toBeUndefined()
    expect(result.headers["x-multi"]).toBe("one, two")
  })

  it("payload 2.0: cookies joined into Cookie, raw query string kept; Set-Cookie out as `cookies`", async () => {
    const event: Lambda.ApiGatewayEventV2 = {
      ...functionUrlEvent({ method: "POST", path: "/p", body: Buffer.from([1, 2, 3]).toString("base64") }),
      isBase64Encoded: true,
      rawQueryString: "a=1&a=2&b=%20",
      cookies: ["s=1", "t=2"]
    }
    const result = await handler(event)
    const request = seen.at(-1)!
    expect(request.url).toBe("https://a1b2c3d4e5f6g7h8i9j0.lambda-url.us-west-2.on.aws/p?a=1&a=2&b=%20")
    expect(request.headers.get("cookie")).toBe("s=1; t=2")
    expect([...new Uint8Array(await request.arrayBuffer())]).toEqual([1, 2, 3])
    expect(result.cookies).toEqual(["a=1; Path=/; HttpOnly", "b=2; Path=/"])
    expect(result.headers["set-cookie"]).toBeUndefined()
    expect(result.isBase64Encoded).toBe(true)
  })

  it("a GET carries no body, a text response is not Base64", async () => {
    const text = Lambda.fromFetch((request) => new Response(`${request.method} ${new URL(request.url).pathname}`, { headers: { "content-type": "text/plain; charset=utf-8" } }))
    const result = await text(httpApiEvent({ method: "GET", path: "/hello", body: "ignored" }))
    expect(result).toMatchObject({ statusCode: 200, body: "GET /hello", isBase64Encoded: false, cookies: [] })
  })
})

describe("the serverless example's Lambda handler (examples/serverless/src/lambda.ts)", () => {
  it("answers tools/call from a function URL event", async () => {
    const body = JSON.stringify(modern(1, "tools/call", { name: "add", arguments: { a: 20, b: 22 } }))
    const result = await exampleHandler(functionUrlEvent({ body, headers: headersFor("tools/call", "add") }))
    expect(result.statusCode).toBe(200)
    expect(json(result)).toMatchObject({ id: 1, result: { content: [{ type: "text", text: "42" }], _meta: { "io.modelcontextprotocol/serverInfo": { name: "emcee-serverless" } } } })
  })
})
