/**
 * Loopback servers for authenticator tests: a JWKS endpoint whose keys can be
 * rotated and whose requests are counted, an RFC 7662 introspection endpoint
 * answering from a table, and helpers minting keys and tokens with jose.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as jose from "jose"

/** A signing key and its public JWK (with `kid`, `alg` and `use`). */
export interface SigningKey {
  readonly kid: string
  readonly alg: string
  readonly privateKey: jose.CryptoKey | Uint8Array
  readonly publicKey: jose.CryptoKey | Uint8Array
  readonly publicJwk: jose.JWK
}

let counter = 0

/** A fresh key pair for `alg` (RS256, PS256, ES256, ES384, ES512, EdDSA…), or a 64-byte secret for HS*. */
export const generateSigningKey = async (alg: string, kid = `k${++counter}-${alg.toLowerCase()}`): Promise<SigningKey> => {
  if (alg.startsWith("HS")) {
    const secret = crypto.getRandomValues(new Uint8Array(64))
    return { kid, alg, privateKey: secret, publicKey: secret, publicJwk: { kty: "oct", kid } }
  }
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) })
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: "sig" }
  return { kid, alg, privateKey, publicKey, publicJwk }
}

/** Signs `claims` (`iat` defaults to now, `exp` to an hour from now unless given as null). */
export const sign = (
  key: SigningKey,
  claims: Record<string, unknown>,
  header: Partial<jose.JWTHeaderParameters> = {}
): Promise<string> => {
  const now = Math.floor(Date.now() / 1000)
  const payload: Record<string, unknown> = { iat: now, exp: now + 3600, ...claims }
  for (const [k, v] of Object.entries(payload)) if (v === null) delete payload[k]
  return new jose.SignJWT(payload as jose.JWTPayload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header })
    .sign(key.privateKey)
}

const base64url = (value: string | Uint8Array) => Buffer.from(value).toString("base64url")

/** A compact JWS with the given header and payload and any signature bytes: for hostile tokens (`alg: none`). */
export const craft = (header: Record<string, unknown>, payload: Record<string, unknown>, signature = ""): string =>
  `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}.${signature}`

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/** A JWKS endpoint at `${base}/jwks` whose keys can change, counting requests. */
export interface JwksServer {
  /** The server's origin, usable as an issuer. */
  readonly base: string
  /** The JWKS URL. */
  readonly url: string
  /** How many times the JWKS was fetched. */
  readonly requests: () => number
  /** Replaces the published keys. */
  readonly setKeys: (keys: ReadonlyArray<SigningKey | jose.JWK>) => void
  /** Answers with this status (and no key set) from now on; 200 restores the keys. */
  readonly setStatus: (status: number) => void
  readonly close: () => Promise<void>
}

export const startJwksServer = async (keys: ReadonlyArray<SigningKey | jose.JWK> = []): Promise<JwksServer> => {
  let published: ReadonlyArray<jose.JWK> = []
  let status = 200
  let requests = 0
  const setKeys = (next: ReadonlyArray<SigningKey | jose.JWK>) => {
    published = next.map((k) => ("publicJwk" in k ? (k as SigningKey).publicJwk : (k as jose.JWK)))
  }
  setKeys(keys)
  const server = createServer((req, res) => {
    if (req.url !== "/jwks") {
      res.writeHead(404).end()
      return
    }
    requests++
    if (status !== 200) {
      res.writeHead(status, { "content-type": "text/plain" }).end("down")
      return
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }))
  })
  const base = await listen(server)
  return {
    base,
    url: `${base}/jwks`,
    requests: () => requests,
    setKeys,
    setStatus: (s) => {
      status = s
    },
    close: () => close(server)
  }
}

/** What the introspection endpoint received. */
export interface IntrospectionRequest {
  readonly form: URLSearchParams
  readonly authorization: string | undefined
  readonly contentType: string | undefined
}

/** The endpoint's answer: a status and a body (an object is sent as JSON, a string as is). */
export interface IntrospectionAnswer {
  readonly status?: number
  readonly body: unknown
  /** Delay before answering, in milliseconds. */
  readonly delayMillis?: number
}

/** An RFC 7662 endpoint at `${base}/introspect` answering with `respond`, counting and recording requests. */
export interface IntrospectionServer {
  readonly url: string
  readonly requests: () => ReadonlyArray<IntrospectionRequest>
  readonly setResponder: (respond: (request: IntrospectionRequest) => IntrospectionAnswer) => void
  readonly close: () => Promise<void>
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

export const startIntrospectionServer = async (
  respond: (request: IntrospectionRequest) => IntrospectionAnswer
): Promise<IntrospectionServer> => {
  const seen: Array<IntrospectionRequest> = []
  let responder = respond
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((text) => {
      if (req.method !== "POST" || req.url !== "/introspect") {
        res.writeHead(404).end()
        return
      }
      const request: IntrospectionRequest = {
        form: new URLSearchParams(text),
        authorization: req.headers.authorization,
        contentType: req.headers["content-type"]
      }
      seen.push(request)
      const answer = responder(request)
      const send = () => {
        if (res.destroyed) return
        res.writeHead(answer.status ?? 200, { "content-type": "application/json" })
          .end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body))
      }
      if (answer.delayMillis === undefined) send()
      else setTimeout(send, answer.delayMillis)
    })
  })
  const base = await listen(server)
  return {
    url: `${base}/introspect`,
    requests: () => seen,
    setResponder: (r) => {
      responder = r
    },
    close: () => close(server)
  }
}
