/**
 * A tiny Streamable HTTP client on raw node:http (independent of the server
 * code under test), with an SSE reader that keeps track of whether what
 * arrived was complete, and a way to open GET streams that are never read.
 */
import { Agent, type IncomingHttpHeaders, request as httpRequest } from "node:http"
import { connect, type Socket } from "node:net"

export const PROTOCOL_VERSION = "2025-11-25"

export interface RequestOptions {
  readonly url: URL
  readonly method: "GET" | "POST" | "DELETE"
  readonly headers?: Record<string, string>
  readonly body?: string | Buffer
  readonly agent?: Agent
  /** The whole exchange must end within this; then the request is destroyed and `timedOut` set. Default 60 s. */
  readonly timeoutMillis?: number
  /** Called once the response headers arrived. */
  readonly onResponse?: () => void
  /** A slow reader: pause this long after every chunk received. */
  readonly slowReadMillis?: number
}

export interface HttpResult {
  /** 0 when no response arrived (connection refused, closed before the headers, timeout). */
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** The response body was received whole (node's `IncomingMessage.complete`). */
  readonly complete: boolean
  /** The network error, when there was one (ECONNREFUSED, ECONNRESET, "socket hang up"...). */
  readonly error: string | undefined
  readonly timedOut: boolean
  readonly text: () => string
}

/** One HTTP exchange; never rejects (network failures are in `error`). */
export const request = (options: RequestOptions): Promise<HttpResult> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let status = 0
    let headers: IncomingHttpHeaders = {}
    let complete = false
    let error: string | undefined
    let timedOut = false
    let settled = false
    const settle = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      const body = Buffer.concat(chunks)
      resolve({ status, headers, body, complete, error, timedOut, text: () => body.toString("utf8") })
    }
    const req = httpRequest(options.url, {
      method: options.method,
      headers: options.headers,
      agent: options.agent ?? false
    }, (res) => {
      status = res.statusCode ?? 0
      headers = res.headers
      options.onResponse?.()
      const slow = options.slowReadMillis
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
        if (slow !== undefined && slow > 0) {
          res.pause()
          setTimeout(() => res.resume(), slow)
        }
      })
      res.on("end", () => {
        complete = res.complete
      })
      res.on("error", (e) => {
        error ??= e.message
      })
      res.on("close", () => {
        complete = res.complete
        settle()
      })
    })
    const timer = setTimeout(() => {
      timedOut = true
      req.destroy(new Error("timed out"))
    }, options.timeoutMillis ?? 60_000)
    req.on("error", (e: NodeJS.ErrnoException) => {
      error ??= e.code ?? e.message
      settle()
    })
    req.on("close", () => {
      // No response at all: settle here (with a response, the response's close settles).
      if (status === 0) settle()
    })
    req.end(options.body)
  })

// --- SSE --------------------------------------------------------------------------------------------

export interface SseEvent {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: string
}

export interface SseParse {
  readonly events: ReadonlyArray<SseEvent>
  /** Bytes after the last complete event (a truncated event when not empty). */
  readonly rest: string
}

/** Splits an SSE body into complete events (spec: events end with a blank line). */
export const parseSse = (body: string): SseParse => {
  const events: Array<SseEvent> = []
  const normalized = body.replace(/\r\n?/g, "\n")
  const blocks = normalized.split("\n\n")
  const rest = blocks.pop() ?? ""
  for (const block of blocks) {
    let id: string | undefined
    let event: string | undefined
    const data: Array<string> = []
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue
      const colon = line.indexOf(":")
      const field = colon === -1 ? line : line.slice(0, colon)
      let value = colon === -1 ? "" : line.slice(colon + 1)
      if (value.startsWith(" ")) value = value.slice(1)
      if (field === "data") data.push(value)
      else if (field === "id") id = value
      else if (field === "event") event = value
    }
    if (data.length > 0 || id !== undefined) events.push({ id, event, data: data.join("\n") })
  }
  return { events, rest }
}

// --- JSON-RPC over POST -----------------------------------------------------------------------------

export interface JsonRpcMessage {
  readonly jsonrpc?: unknown
  readonly id?: unknown
  readonly method?: unknown
  readonly params?: unknown
  readonly result?: unknown
  readonly error?: { readonly code?: unknown; readonly message?: unknown; readonly data?: unknown }
}

export interface PostOutcome {
  readonly http: HttpResult
  readonly kind: "json" | "sse" | "empty" | "other"
  /** Every JSON-RPC message the response carried (the JSON body, or each SSE event's data). */
  readonly messages: ReadonlyArray<JsonRpcMessage>
  /** Why the body was not well formed (truncated, not JSON, a partial SSE event); undefined when it was. */
  readonly malformed: string | undefined
}

const isSse = (headers: IncomingHttpHeaders) => (headers["content-type"] ?? "").startsWith("text/event-stream")
const isJson = (headers: IncomingHttpHeaders) => (headers["content-type"] ?? "").startsWith("application/json")

/** Reads a POST response into messages, noting anything incomplete or garbled. */
export const readOutcome = (http: HttpResult): PostOutcome => {
  const text = http.text()
  if (http.status === 0) return { http, kind: "other", messages: [], malformed: undefined }
  if (isSse(http.headers)) {
    const { events, rest } = parseSse(text)
    const messages: Array<JsonRpcMessage> = []
    let malformed: string | undefined = rest.trim() === "" ? undefined : `a partial SSE event at the end: ${rest.slice(0, 200)}`
    for (const event of events) {
      if (event.data === "") continue // priming event
      try {
        messages.push(JSON.parse(event.data) as JsonRpcMessage)
      } catch {
        malformed ??= `an SSE event whose data is not JSON: ${event.data.slice(0, 200)}`
      }
    }
    return { http, kind: "sse", messages, malformed }
  }
  if (text === "") {
    return { http, kind: "empty", messages: [], malformed: http.complete ? undefined : "the body was cut off" }
  }
  const declared = http.headers["content-length"]
  if (declared !== undefined && Number(declared) !== http.body.length) {
    return { http, kind: "other", messages: [], malformed: `Content-Length ${declared} but ${http.body.length} bytes arrived` }
  }
  if (!http.complete) return { http, kind: "other", messages: [], malformed: "the body was cut off" }
  try {
    const value = JSON.parse(text) as JsonRpcMessage
    return { http, kind: isJson(http.headers) ? "json" : "other", messages: [value], malformed: undefined }
  } catch {
    return { http, kind: "other", messages: [], malformed: `a body that is not JSON: ${text.slice(0, 200)}` }
  }
}

/** Responses (not notifications or server requests) among the messages. */
export const responsesOf = (outcome: PostOutcome): Array<JsonRpcMessage> =>
  outcome.messages.filter((m) => m.method === undefined && ("result" in m || "error" in m))

export const initializeRequest = (id: number | string = 0) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "emcee-reliability", version: "1.0.0" } }
})

/** A client of one MCP session over raw node:http. */
export class McpHttpClient {
  sessionId: string | undefined
  private nextId = 1

  constructor(readonly url: URL, readonly agent: Agent = new Agent({ keepAlive: true, maxSockets: 16 })) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-protocol-version": PROTOCOL_VERSION,
      ...(this.sessionId === undefined ? {} : { "mcp-session-id": this.sessionId }),
      ...extra
    }
  }

  id(): number {
    return this.nextId++
  }

  /** POSTs a message (an object, or raw text/bytes sent as they are). */
  async post(
    message: unknown,
    options: { readonly headers?: Record<string, string>; readonly timeoutMillis?: number; readonly slowReadMillis?: number } = {}
  ): Promise<PostOutcome> {
    const body = typeof message === "string" || Buffer.isBuffer(message) ? message : JSON.stringify(message)
    const http = await request({
      url: this.url,
      method: "POST",
      headers: this.headers(options.headers),
      body,
      agent: this.agent,
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis }),
      ...(options.slowReadMillis === undefined ? {} : { slowReadMillis: options.slowReadMillis })
    })
    return readOutcome(http)
  }

  /** initialize + notifications/initialized; returns the session id. */
  async initialize(): Promise<string> {
    this.sessionId = undefined
    const outcome = await this.post(initializeRequest(this.id()))
    const sessionId = outcome.http.headers["mcp-session-id"]
    if (outcome.http.status !== 200 || typeof sessionId !== "string") {
      throw new Error(`initialize failed: ${outcome.http.status} ${outcome.http.error ?? ""} ${outcome.http.text().slice(0, 300)}`)
    }
    this.sessionId = sessionId
    const initialized = await this.post({ jsonrpc: "2.0", method: "notifications/initialized" })
    if (initialized.http.status !== 202) throw new Error(`notifications/initialized got ${initialized.http.status}`)
    return sessionId
  }

  /** tools/call; the one response's message (throws when there is not exactly one). */
  async callTool(name: string, args: unknown, options: { readonly timeoutMillis?: number } = {}): Promise<JsonRpcMessage> {
    const id = this.id()
    const outcome = await this.post({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }, options)
    const responses = responsesOf(outcome).filter((m) => m.id === id)
    if (outcome.malformed !== undefined || responses.length !== 1) {
      throw new Error(`tools/call ${name}: ${outcome.http.status} ${outcome.http.error ?? ""} ${outcome.malformed ?? ""} ${outcome.http.text().slice(0, 300)}`)
    }
    return responses[0]!
  }

  /** Calls echo and checks the answer: the proof that the server still serves. */
  async echo(message: string): Promise<void> {
    const response = await this.callTool("echo", { message })
    const text = textOf(response)
    if (text !== `Echo: ${message}`) throw new Error(`echo answered ${JSON.stringify(response).slice(0, 300)}`)
  }

  async close(): Promise<void> {
    if (this.sessionId !== undefined) {
      await request({ url: this.url, method: "DELETE", headers: this.headers(), agent: this.agent, timeoutMillis: 10_000 })
    }
    this.agent.destroy()
  }
}

/** The text content of a tools/call result. */
export const textOf = (response: JsonRpcMessage): string => {
  const result = response.result as { content?: ReadonlyArray<{ type?: string; text?: string }> } | undefined
  return (result?.content ?? []).filter((c) => c.type === "text").map((c) => c.text ?? "").join("\n")
}

/** A brand-new client with its own connection pool and session. */
export const newSession = async (url: URL): Promise<McpHttpClient> => {
  const client = new McpHttpClient(url)
  await client.initialize()
  return client
}

/**
 * Opens `GET /mcp` (the session's SSE stream) on a raw socket that never
 * reads: after the request is written the socket is paused, so the server's
 * writes pile up (a slow reader).
 */
export const openUnreadStream = (url: URL, sessionId: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n` +
          `Mcp-Session-Id: ${sessionId}\r\nMcp-Protocol-Version: ${PROTOCOL_VERSION}\r\n\r\n`,
        () => {
          socket.pause()
          resolve(socket)
        }
      )
    })
    socket.on("error", reject)
  })

// --- /metrics ---------------------------------------------------------------------------------------

/** The value of an untagged Prometheus sample (`name value`) from GET /metrics, or undefined. */
export const metric = async (url: URL, name: string): Promise<number | undefined> => {
  const res = await request({ url: new URL("/metrics", url), method: "GET", timeoutMillis: 20_000 })
  if (res.status !== 200) return undefined
  for (const line of res.text().split("\n")) {
    if (line.startsWith("#")) continue
    const match = /^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (match !== null && match[1] === name) return Number(match[3])
  }
  return undefined
}

/**
 * A POST whose request line and first header go out now and the rest only
 * when `finish` is called: a request that arrives at the server later, on a
 * connection that was already open (as during a graceful shutdown's drain).
 */
export const partialPost = async (url: URL, headers: Record<string, string>, body: string) => {
  const socket = connect({ host: url.hostname, port: Number(url.port) })
  let received = ""
  let closed = false
  socket.setEncoding("utf8")
  socket.on("data", (chunk: string) => {
    received += chunk
  })
  const ended = new Promise<void>((resolve) => {
    socket.on("close", () => {
      closed = true
      resolve()
    })
  })
  socket.on("error", () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve())
    socket.once("error", reject)
  })
  socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n`)
  return {
    /** Sends the rest; resolves with the status (0: none) once the server answered or closed, at most `millis`. */
    finish: async (millis = 10_000): Promise<{ readonly status: number; readonly raw: string }> => {
      if (!closed) {
        const rest = Object.entries({ ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" })
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join("")
        socket.write(`${rest}\r\n${body}`)
      }
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, millis))])
      socket.destroy()
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received)
      return { status: match === null ? 0 : Number(match[1]), raw: received }
    }
  }
}
