/**
 * The SSRF guard of metadata-document fetches (draft-ietf-oauth-client-id-
 * metadata-document, security considerations "Server Side Request Forgery"
 * and "Maximum Response Size"), against a real https server on loopback
 * with a self-signed certificate.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer as createHttpServer, type Server as HttpServer } from "node:http"
import { createServer, type Server } from "node:https"
import type { AddressInfo } from "node:net"
import { Effect, Either } from "effect"
import * as selfsigned from "selfsigned"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isPrivateAddress, safeFetch, type SafeFetchOptions } from "../src/internal/oauth/safeFetch.js"

let server: Server
let plain: HttpServer
let cert: string
let port: number
let plainPort: number
const hits: Array<string> = []

const routes = (request: IncomingMessage, response: ServerResponse) => {
  hits.push(request.url ?? "")
  switch (request.url) {
    case "/doc.json":
      response.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "max-age=120" })
      return response.end(JSON.stringify({ hello: "world" }))
    case "/vendor.json":
      response.writeHead(200, { "content-type": "application/vnd.example+json" })
      return response.end("{}")
    case "/redirect":
      response.writeHead(302, { location: "https://127.0.0.1/doc.json" })
      return response.end()
    case "/big-streamed":
      response.writeHead(200, { "content-type": "application/json" })
      // No content-length: chunked; 64 KiB in 1 KiB chunks.
      for (let i = 0; i < 64; i++) response.write("x".repeat(1024))
      return response.end()
    case "/big-declared":
      response.writeHead(200, { "content-type": "application/json", "content-length": String(1024 * 1024) })
      return response.write("{")
    case "/slow":
      response.writeHead(200, { "content-type": "application/json" })
      response.write("{")
      return // never ends
    case "/silent":
      return // never answers
    case "/html":
      response.writeHead(200, { "content-type": "text/html" })
      return response.end("<html></html>")
    case "/gzip":
      response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
      return response.end("not really gzip")
    default:
      response.writeHead(404, { "content-type": "application/json" })
      return response.end("{}")
  }
}

beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    days: 1,
    keySize: 2048,
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }]
  } as Parameters<typeof selfsigned.generate>[1])
  cert = pems.cert
  server = createServer({ key: pems.private, cert: pems.cert }, routes)
  plain = createHttpServer(routes)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve))
  port = (server.address() as AddressInfo).port
  plainPort = (plain.address() as AddressInfo).port
})

afterAll(async () => {
  server.closeAllConnections()
  plain.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await new Promise((resolve) => plain.close(resolve))
})

const base: SafeFetchOptions = {
  allowHttp: false,
  allowPrivateNetworks: false,
  allowedHosts: [],
  maxBytes: 5 * 1024,
  timeoutMillis: 5000,
  accept: "application/json",
  contentType: (type) => type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type)
}

const run = (url: string, options: Partial<SafeFetchOptions> = {}) => Effect.runPromise(Effect.either(safeFetch(url, { ...base, ca: cert, ...options })))

const failure = async (url: string, options: Partial<SafeFetchOptions> = {}) => {
  const result = await run(url, options)
  if (Either.isRight(result)) throw new Error(`expected a failure for ${url}`)
  return result.left
}

describe("safeFetch", () => {
  it("fetches a JSON document over https with an extra trusted certificate when private networks are allowed", async () => {
    const result = await run(`https://127.0.0.1:${port}/doc.json`, { allowPrivateNetworks: true })
    expect(Either.getOrThrow(result)).toMatchObject({ status: 200, body: "{\"hello\":\"world\"}", headers: { "cache-control": "max-age=120" } })
    const vendor = await run(`https://localhost:${port}/vendor.json`, { allowPrivateNetworks: true })
    expect(Either.getOrThrow(vendor).body).toBe("{}")
  })

  it("without the extra certificate, the self-signed server is not trusted", async () => {
    const error = await failure(`https://127.0.0.1:${port}/doc.json`, { allowPrivateNetworks: true, ca: undefined })
    expect(error.reason).toBe("network")
  })

  it("refuses loopback and private targets by default, before any request reaches them", async () => {
    const before = hits.length
    const literal = await failure(`https://127.0.0.1:${port}/doc.json`)
    expect(literal).toMatchObject({ reason: "address", description: expect.stringContaining("127.0.0.1 is not a public address") })
    // A host name resolving to loopback is refused at connect time, by the socket's own lookup.
    const named = await failure(`https://localhost:${port}/doc.json`)
    expect(named).toMatchObject({ reason: "address", description: expect.stringMatching(/^localhost is not a public address/) })
    expect((await failure(`https://[::1]:${port}/doc.json`)).reason).toBe("address")
    // IPv4-mapped IPv6 and the decimal form of 127.0.0.1 (normalised by the URL parser).
    expect((await failure(`http://[::ffff:127.0.0.1]:${plainPort}/doc.json`, { allowHttp: true })).reason).toBe("address")
    expect((await failure(`http://2130706433:${plainPort}/doc.json`, { allowHttp: true })).reason).toBe("address")
    expect((await failure(`http://0x7f.1:${plainPort}/doc.json`, { allowHttp: true })).reason).toBe("address")
    expect((await failure("https://169.254.169.254/latest/meta-data/")).reason).toBe("address")
    expect((await failure("https://10.0.0.1/doc.json")).reason).toBe("address")
    expect((await failure("https://[fd00::1]/doc.json")).reason).toBe("address")
    expect(hits.length).toBe(before)
  })

  it("an allowed host may resolve to a private address; other hosts still may not", async () => {
    const allowed = await run(`https://localhost:${port}/doc.json`, { allowedHosts: ["localhost"] })
    expect(Either.isRight(allowed)).toBe(true)
    expect((await failure(`https://127.0.0.1:${port}/doc.json`, { allowedHosts: ["localhost"] })).reason).toBe("address")
  })

  it("refuses http unless allowed, and user information in the URL", async () => {
    expect(await failure(`http://127.0.0.1:${plainPort}/doc.json`, { allowPrivateNetworks: true })).toMatchObject({
      reason: "url",
      description: expect.stringContaining("https")
    })
    const ok = await run(`http://127.0.0.1:${plainPort}/doc.json`, { allowPrivateNetworks: true, allowHttp: true })
    expect(Either.isRight(ok)).toBe(true)
    expect((await failure(`https://user:pw@127.0.0.1:${port}/doc.json`, { allowPrivateNetworks: true })).reason).toBe("url")
    expect((await failure("ftp://example.com/doc.json")).reason).toBe("url")
    expect((await failure("not a url")).reason).toBe("url")
  })

  it("does not follow redirects", async () => {
    expect(await failure(`https://127.0.0.1:${port}/redirect`, { allowPrivateNetworks: true })).toMatchObject({
      reason: "redirect",
      description: expect.stringContaining("302")
    })
  })

  it("aborts a body larger than maxBytes, streamed or declared", async () => {
    expect((await failure(`https://127.0.0.1:${port}/big-streamed`, { allowPrivateNetworks: true })).reason).toBe("size")
    expect((await failure(`https://127.0.0.1:${port}/big-declared`, { allowPrivateNetworks: true })).reason).toBe("size")
    const larger = await run(`https://127.0.0.1:${port}/big-streamed`, { allowPrivateNetworks: true, maxBytes: 70 * 1024 })
    expect(Either.getOrThrow(larger).body.length).toBe(64 * 1024)
  })

  it("gives up on a slow or silent server within the timeout", async () => {
    for (const path of ["/slow", "/silent"]) {
      const started = Date.now()
      const error = await failure(`https://127.0.0.1:${port}${path}`, { allowPrivateNetworks: true, timeoutMillis: 300 })
      expect(error.reason).toBe("timeout")
      expect(Date.now() - started).toBeLessThan(2000)
    }
  })

  it("refuses a response that is not JSON, encoded, or not 200", async () => {
    expect(await failure(`https://127.0.0.1:${port}/html`, { allowPrivateNetworks: true })).toMatchObject({
      reason: "content-type",
      description: expect.stringContaining("text/html")
    })
    expect((await failure(`https://127.0.0.1:${port}/gzip`, { allowPrivateNetworks: true })).reason).toBe("content-type")
    expect(await failure(`https://127.0.0.1:${port}/missing`, { allowPrivateNetworks: true })).toMatchObject({
      reason: "status",
      description: expect.stringContaining("404")
    })
  })

  it("classifies addresses (IANA special-purpose registries)", () => {
    const blocked = [
      "0.0.0.0",
      "10.1.2.3",
      "100.64.0.1",
      "127.0.0.1",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "198.18.0.1",
      "224.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "fe80::1",
      "fe80::1%eth0",
      "fc00::1",
      "fd12:3456::1",
      "ff02::1",
      "::ffff:10.0.0.1",
      "::ffff:7f00:1",
      "64:ff9b::a00:1", // NAT64 of 10.0.0.1
      "2002:7f00:1::", // 6to4 of 127.0.0.1
      "2001:db8::1",
      "not-an-address"
    ]
    const open = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2a00:1450::1"]
    for (const address of blocked) expect([address, isPrivateAddress(address)]).toEqual([address, true])
    for (const address of open) expect([address, isPrivateAddress(address)]).toEqual([address, false])
  })
})
