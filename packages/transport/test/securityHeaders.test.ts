/**
 * Security headers (`SecurityHeaders`, the `securityHeaders` option) on every
 * response of the Streamable HTTP endpoint: JSON answers, SSE streams,
 * errors, CORS preflights and the guard's RFC 9728 documents, over a real
 * HttpTransport on loopback (raw node:http, so every header is visible), the
 * mounted @effect/platform endpoint and WebHandler. Also the CORS answers
 * next to them (Fetch standard "CORS protocol").
 */
import { createServer } from "node:http"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type * as HttpGuard from "../src/HttpGuard.js"
import * as HttpTransport from "../src/HttpTransport.js"
import * as SecurityHeaders from "../src/SecurityHeaders.js"
import * as WebHandler from "../src/WebHandler.js"
import { App, baseHeaders, call, initializeRequest, openSession, start, type Started } from "./fixtures/httpApp.js"
import { postRaw, type RawResponse, send } from "./fixtures/rawHttp.js"

const DEFAULTS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin"
}

const expectDefaults = (response: RawResponse | Response) => {
  const get = (name: string) => (response instanceof Response ? response.headers.get(name) ?? undefined : response.headers[name])
  for (const [name, value] of Object.entries(DEFAULTS)) expect(get(name), name).toBe(value)
  // RFC 6797 §7.2: never over plain HTTP unless configured.
  expect(get("strict-transport-security")).toBeUndefined()
}

const expectNone = (response: RawResponse) => {
  for (const name of [...Object.keys(DEFAULTS), "strict-transport-security"]) expect(response.headers[name], name).toBeUndefined()
}

describe("SecurityHeaders.headers", () => {
  it("gives the API defaults, none for false, and lets each header be replaced or left out", () => {
    expect(SecurityHeaders.headers()).toEqual(DEFAULTS)
    expect(SecurityHeaders.defaults).toEqual(DEFAULTS)
    expect(SecurityHeaders.headers(false)).toEqual({})
    expect(SecurityHeaders.headers({
      contentTypeOptions: false,
      referrerPolicy: "strict-origin",
      frameOptions: "SAMEORIGIN",
      contentSecurityPolicy: false,
      crossOriginResourcePolicy: "same-site",
      additional: { "Permissions-Policy": "camera=()" }
    })).toEqual({
      "referrer-policy": "strict-origin",
      "x-frame-options": "SAMEORIGIN",
      "cross-origin-resource-policy": "same-site",
      "permissions-policy": "camera=()"
    })
  })

  it("builds Strict-Transport-Security (RFC 6797 §6.1) only when asked", () => {
    expect(SecurityHeaders.headers({ hsts: true })["strict-transport-security"]).toBe("max-age=31536000")
    expect(SecurityHeaders.headers({ hsts: { maxAge: "2 days", includeSubDomains: true } })["strict-transport-security"])
      .toBe("max-age=172800; includeSubDomains")
    expect(SecurityHeaders.headers({ hsts: { maxAge: "400 days", includeSubDomains: true, preload: true } })["strict-transport-security"])
      .toBe("max-age=34560000; includeSubDomains; preload")
    expect(SecurityHeaders.headers({ hsts: false })["strict-transport-security"]).toBeUndefined()
  })

  it("refuses at startup what cannot be sent: preload without its requirements, a line break, a bad name", () => {
    expect(() => SecurityHeaders.headers({ hsts: { preload: true } })).toThrow(/includeSubDomains/)
    expect(() => SecurityHeaders.headers({ hsts: { maxAge: "1 day", includeSubDomains: true, preload: true } })).toThrow(/one year/)
    expect(() => SecurityHeaders.headers({ hsts: { maxAge: Infinity } })).toThrow(/finite/)
    expect(() => SecurityHeaders.headers({ referrerPolicy: "no-referrer\r\nset-cookie: a=b" })).toThrow(TypeError)
    expect(() => SecurityHeaders.headers({ additional: { "bad name": "x" } })).toThrow(/invalid header name/)
  })
})

describe("HttpTransport: the recommended security headers (securityHeaders: true)", () => {
  let server: Started
  let origin: string
  beforeAll(async () => {
    server = await start({ securityHeaders: true })
    origin = `http://localhost:${server.port}`
  })
  afterAll(() => server.stop())

  it("on a JSON answer", async () => {
    const res = await postRaw(server.url, initializeRequest())
    expect(res.status).toBe(200)
    expect(res.headers["content-type"]).toBe("application/json")
    expectDefaults(res)
  })

  it("on an SSE answer to a POST and on the GET stream", async () => {
    const sid = await openSession(server.url)
    const streamed = await postRaw(server.url, call(1, "work", { ms: 1 }, { progressToken: "p" }), { "mcp-session-id": sid })
    expect(streamed.headers["content-type"]).toBe("text/event-stream")
    expect(streamed.body.toString()).toContain("\"result\"")
    expectDefaults(streamed)
    const get = await send(server.url, { headers: { accept: "text/event-stream", "mcp-session-id": sid, "mcp-protocol-version": baseHeaders["mcp-protocol-version"] }, headOnly: true })
    expect(get.status).toBe(200)
    expect(get.headers["content-type"]).toBe("text/event-stream")
    expectDefaults(get)
  })

  it("on errors: 406, 404 unknown session, 403 Origin, 405", async () => {
    const notAcceptable = await postRaw(server.url, initializeRequest(), { accept: "application/json" })
    expect(notAcceptable.status).toBe(406)
    expectDefaults(notAcceptable)
    const unknown = await postRaw(server.url, call(1, "echo", { text: "x" }), { "mcp-session-id": "nope" })
    expect(unknown.status).toBe(404)
    expectDefaults(unknown)
    const forbidden = await postRaw(server.url, initializeRequest(), { origin: "https://evil.example" })
    expect(forbidden.status).toBe(403)
    expectDefaults(forbidden)
    const method = await send(server.url, { method: "PUT" })
    expect(method.status).toBe(405)
    expectDefaults(method)
  })

  it("on a CORS preflight (Fetch standard \"CORS-preflight request\"): cached 600 s, no credentials", async () => {
    const res = await send(server.url, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, mcp-session-id, authorization" }
    })
    expect(res.status).toBe(204)
    expect(res.headers["access-control-allow-origin"]).toBe(origin)
    expect(res.headers["access-control-allow-methods"]).toBe("GET, POST, DELETE")
    expect(res.headers["access-control-allow-headers"]).toBe("content-type, mcp-session-id, authorization")
    expect(res.headers["access-control-max-age"]).toBe("600")
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined()
    expectDefaults(res)
  })

  it("next to CORS headers on an answer to an allowed Origin (Fetch standard \"CORS protocol and HTTP caches\": Vary: Origin)", async () => {
    const res = await postRaw(server.url, initializeRequest(), { origin })
    expect(res.status).toBe(200)
    expect(res.headers["access-control-allow-origin"]).toBe(origin)
    expect(res.headers["vary"]).toBe("Origin")
    expect(res.headers["access-control-expose-headers"]).toBe("mcp-session-id, mcp-protocol-version, www-authenticate, retry-after")
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined()
    expectDefaults(res)
  })

  it("not on routes of the app beside the endpoint (they may serve HTML)", async () => {
    const res = await send(`http://127.0.0.1:${server.port}/health`)
    expect(res.status).toBe(200)
    expect(res.headers["content-security-policy"]).toBeUndefined()
  })
})

/** A guard letting everyone in that serves an RFC 9728 document (as `@emcee/auth` BearerGuard does). */
const documentGuard: HttpGuard.HttpGuard = {
  check: () => ({ _tag: "Allow", context: Context.empty(), owner: "anyone" }),
  document: (pathname) =>
    pathname === "/.well-known/oauth-protected-resource/mcp"
      ? {
        status: 200,
        headers: { "content-type": "application/json", "access-control-allow-origin": "*", "cache-control": "max-age=3600" },
        body: JSON.stringify({ resource: "http://127.0.0.1/mcp" })
      }
      : undefined
}

describe("HttpTransport: configured security headers", () => {
  it("sends HSTS and the overrides when configured, and the guard's documents get them too (RFC 9728 §3)", async () => {
    const server = await start({
      guard: documentGuard,
      securityHeaders: {
        hsts: { maxAge: "2 days", includeSubDomains: true },
        referrerPolicy: "strict-origin",
        frameOptions: false,
        additional: { "Permissions-Policy": "camera=()" }
      }
    })
    try {
      const res = await postRaw(server.url, initializeRequest())
      expect(res.status).toBe(200)
      expect(res.headers["strict-transport-security"]).toBe("max-age=172800; includeSubDomains")
      expect(res.headers["referrer-policy"]).toBe("strict-origin")
      expect(res.headers["x-frame-options"]).toBeUndefined()
      expect(res.headers["permissions-policy"]).toBe("camera=()")
      expect(res.headers["x-content-type-options"]).toBe("nosniff")
      const doc = await send(`http://127.0.0.1:${server.port}/.well-known/oauth-protected-resource/mcp`)
      expect(doc.status).toBe(200)
      expect(doc.headers["access-control-allow-origin"]).toBe("*")
      expect(doc.headers["strict-transport-security"]).toBe("max-age=172800; includeSubDomains")
      expect(doc.headers["x-content-type-options"]).toBe("nosniff")
    } finally {
      await server.stop()
    }
  })

  it("sends X-Content-Type-Options: nosniff alone by default (SecurityHeaders.minimal)", async () => {
    const server = await start()
    try {
      const res = await postRaw(server.url, initializeRequest())
      expect(res.headers["x-content-type-options"]).toBe("nosniff")
      for (const name of ["referrer-policy", "x-frame-options", "content-security-policy", "cross-origin-resource-policy", "strict-transport-security"]) {
        expect(res.headers[name], name).toBeUndefined()
      }
    } finally {
      await server.stop()
    }
  })

  it("sends none with securityHeaders: false", async () => {
    const server = await start({ securityHeaders: false })
    try {
      const ok = await postRaw(server.url, initializeRequest())
      expect(ok.status).toBe(200)
      expectNone(ok)
      const error = await postRaw(server.url, initializeRequest(), { accept: "application/json" })
      expect(error.status).toBe(406)
      expectNone(error)
    } finally {
      await server.stop()
    }
  })
})

describe("the mounted @effect/platform endpoint", () => {
  it("adds the security headers to JSON answers and errors", async () => {
    const results = await Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const endpoint = yield* HttpTransport.makeEndpoint({ securityHeaders: true })
      yield* HttpServer.serveEffect(HttpRouter.empty.pipe(HttpRouter.all("/mcp", endpoint.app)))
      yield* Effect.addFinalizer(() => endpoint.close)
      const address = server.address
      if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
      const url = `http://127.0.0.1:${address.port}/mcp`
      return yield* Effect.promise(() => Promise.all([postRaw(url, initializeRequest()), postRaw(url, initializeRequest(), { accept: "text/plain" })]))
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(App),
      Effect.runPromise
    )
    const [ok, error] = results
    expect(ok.status).toBe(200)
    expectDefaults(ok)
    expect(error.status).toBe(406)
    expectDefaults(error)
  })
})

describe("WebHandler", () => {
  const URL_ = "http://edge.example/mcp"
  const postReq = (body: unknown, headers: Record<string, string> = {}) =>
    new Request(URL_, { method: "POST", headers: { ...baseHeaders, ...headers }, body: JSON.stringify(body) })

  it("adds the security headers to JSON answers, errors and the guard's documents", async () => {
    const web = WebHandler.toHandler(App, { allowedOrigins: ["https://app.example"], guard: documentGuard, securityHeaders: true })
    try {
      const ok = await web.handler(postReq(call(1, "echo", { text: "x" })))
      expect(ok.status).toBe(200)
      expectDefaults(ok)
      const forbidden = await web.handler(postReq(call(1, "echo", { text: "x" }), { origin: "https://evil.example" }))
      expect(forbidden.status).toBe(403)
      expectDefaults(forbidden)
      const doc = await web.handler(new Request("http://edge.example/.well-known/oauth-protected-resource/mcp"))
      expect(doc.status).toBe(200)
      expect(doc.headers.get("access-control-allow-origin")).toBe("*")
      expectDefaults(doc)
    } finally {
      await web.dispose()
    }
  })

  it("adds them to SSE answers", async () => {
    const web = WebHandler.toHandler(App, { enableJsonResponse: false, securityHeaders: true })
    try {
      const res = await web.handler(postReq(call(1, "echo", { text: "x" })))
      expect(res.headers.get("content-type")).toBe("text/event-stream")
      expectDefaults(res)
      expect(await res.text()).toContain("\"result\"")
    } finally {
      await web.dispose()
    }
  })

  it("accepts any Origin with \"*\" in allowedOrigins, answering with CORS headers", async () => {
    const web = WebHandler.toHandler(App, { allowedOrigins: ["*"], securityHeaders: true })
    try {
      const res = await web.handler(postReq(call(1, "echo", { text: "x" }), { origin: "https://anywhere.example" }))
      expect(res.status).toBe(200)
      expect(res.headers.get("access-control-allow-origin")).toBe("https://anywhere.example")
      expect(res.headers.get("vary")).toBe("Origin")
    } finally {
      await web.dispose()
    }
  })

  it("sends none with securityHeaders: false", async () => {
    const web = WebHandler.toHandler(App, { securityHeaders: false })
    try {
      const ok = await web.handler(postReq(call(1, "echo", { text: "x" })))
      expect(ok.status).toBe(200)
      expect(ok.headers.get("content-security-policy")).toBeNull()
      expect(ok.headers.get("x-content-type-options")).toBeNull()
    } finally {
      await web.dispose()
    }
  })
})
