/**
 * The rules of MCP over Streamable HTTP (spec 2025-11-25 basic/transports
 * "Streamable HTTP"), independent of the HTTP server: the node:http adapter
 * (HttpTransport) and the web-standard adapter (WebHandler) both drive this
 * one implementation through `Incoming` / `Reply`.
 *
 * Speed: a POST on an existing session is validated with plain string
 * checks, parsed with JSON.parse and served with exactly one Effect run
 * (`conn.handle` + writing the reply) on a runtime captured at startup.
 */
import { randomBytes, randomUUID } from "node:crypto"
import { JsonRpc, McpError, McpSchema, McpServer, Metrics, RequestContext } from "@emcee/core"
import { Cause, Context, type Duration, Effect, Exit, FiberId, Metric, Runtime, Scope } from "effect"
import type * as EventStore from "../EventStore.js"
import * as HttpGuard from "../HttpGuard.js"
import { withDeadline } from "./deadline.js"
import { millis } from "./millis.js"
import * as RequestHeaders from "./requestHeaders.js"
import * as Sse from "./sse.js"

/** What the protocol reads from a request. Header names are lower case. */
export interface Incoming {
  readonly method: string
  readonly header: (name: string) => string | undefined
  /** The TCP peer's address, where the front end knows it (`RequestContext.ClientAddress`). */
  readonly remoteAddress?: string | undefined
}

/** One HTTP response under construction, written exactly once. */
export interface Reply {
  /** Sets a header on whatever is sent later (CORS headers, decided before the body is read). */
  readonly header: (name: string, value: string) => void
  /** A complete response; `body` undefined means no body. */
  readonly send: (status: number, headers: Record<string, string>, body: string | undefined) => void
  /** Starts an SSE response; `onClose` runs when the client goes away. */
  readonly stream: (headers: Record<string, string>, onClose: () => void) => Sse.Sink
  /** Runs `onAbort` if the client goes away before the response is complete (where the engine can tell). */
  readonly onAbort?: (onAbort: () => void) => void
}

/** Resolved options of the protocol. */
export interface Options {
  readonly stateless: boolean
  readonly enableJsonResponse: boolean
  readonly sessionIdleTimeoutMillis: number
  readonly maxSessions: number
  readonly keepAliveMillis: number
  /** `retry` sent in priming events (spec "Sending Messages to the Server" 6.); undefined: none. */
  readonly retryMillis: number | undefined
  /** Exact `Host` header values accepted; undefined: any. */
  readonly allowedHosts: ReadonlySet<string> | undefined
  /** Origin check; undefined: any. Allowed origins get CORS headers (Fetch standard "CORS protocol"). */
  readonly allowOrigin: ((origin: string) => boolean) | undefined
  /**
   * The platform delivers a response only once it is complete (AWS Lambda without response
   * streaming): a request's answer stays one JSON body and the messages related to it (progress,
   * logs) are dropped rather than turning it into an SSE stream. Default false.
   */
  readonly buffered?: boolean
  /** Authenticates requests before they are served (`HttpGuard`). */
  readonly guard?: HttpGuard.HttpGuard | undefined
  /** HTTP statuses for JSON-RPC error answers (429 for a rate limit), beside the guard's. */
  readonly errorStatus?: HttpGuard.ErrorMapper | undefined
}

/** The public options every Streamable HTTP front end (node:http, web handler) shares. */
export interface PublicOptions {
  /**
   * Authenticates every request to the endpoint before it is served (e.g.
   * `@emcee/auth` `BearerGuard`): refused requests get its answer (401), and
   * the handlers of the others see the services it provides (`Principal`).
   * Sessions are bound to the caller that created them.
   */
  readonly guard?: HttpGuard.HttpGuard
  /**
   * HTTP statuses for JSON-RPC errors of single requests answered as one
   * JSON body, e.g. `RateLimit.httpStatus` (429 with `Retry-After`).
   */
  readonly errorStatus?: HttpGuard.ErrorMapper
  readonly stateless?: boolean
  readonly enableJsonResponse?: boolean
  readonly sessionIdleTimeout?: Duration.DurationInput
  readonly maxSessions?: number
  readonly keepAliveInterval?: Duration.DurationInput
  readonly retryInterval?: Duration.DurationInput
}

/** Default bound of unread bytes on one SSE connection before it is closed (HttpTransport `maxBufferedBytes`). */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024

/** Most bytes of server-to-client messages kept for a session that has no GET stream yet. */
const MAX_PENDING_BYTES = 1024 * 1024

/** Resolves the shared public options with their defaults; the front end decides statelessness and the DNS-rebinding checks. */
export const resolve = (
  options: PublicOptions,
  rest: Pick<Options, "allowedHosts" | "allowOrigin"> & { readonly statelessByDefault: boolean }
): Options => ({
  stateless: options.stateless ?? rest.statelessByDefault,
  enableJsonResponse: options.enableJsonResponse ?? true,
  sessionIdleTimeoutMillis: millis(options.sessionIdleTimeout, 30 * 60_000),
  maxSessions: options.maxSessions ?? 10_000,
  keepAliveMillis: millis(options.keepAliveInterval, 15_000),
  retryMillis: options.retryInterval === undefined ? undefined : millis(options.retryInterval, 0),
  allowedHosts: rest.allowedHosts,
  allowOrigin: rest.allowOrigin,
  guard: options.guard,
  errorStatus: options.errorStatus
})

/** Everything a POST needs after its headers were checked. */
export interface PostContext {
  readonly session: Session | undefined
  /** The guard let the request in (with these services); undefined without a guard. */
  allowed: HttpGuard.Allow | undefined
  /** The guard's decision, when it was not ready as the POST began. */
  pending: PromiseLike<HttpGuard.Verdict> | undefined
  /** Ends the POST's in-flight accounting; idempotent. */
  readonly release: () => void
}

/** Counters for tests and operations. */
export interface Stats {
  readonly sessions: number
  readonly inFlight: number
  readonly streams: number
  /** Sessions closed to make room for new ones (the session table was full). */
  readonly evictedSessions: number
}

/** The protocol engine. */
export interface Protocol {
  /**
   * Checks a request's method and headers. Returns a PostContext when a POST
   * may proceed to its body (the adapter then calls `post` or `reject`),
   * undefined when the request was answered (errors, GET, DELETE).
   */
  readonly begin: (incoming: Incoming, reply: Reply) => PostContext | undefined
  /** Serves a POST body. */
  readonly post: (incoming: Incoming, context: PostContext, body: string, reply: Reply) => void
  /** Answers a POST whose body could not be read (too large, bad bytes) and releases it. */
  readonly reject: (context: PostContext, reply: Reply, status: number, code: number, message: string) => void
  /** True once shutdown began. */
  readonly closing: () => boolean
  readonly stats: () => Stats
  /**
   * Stop taking new work: new requests get 503, and requests the server sent
   * to clients (sampling, elicitation, roots) fail at once, since a client can
   * no longer POST their answers.
   */
  readonly beginShutdown: Effect.Effect<void>
  /**
   * Waits until no POST is in flight, at most `millis`. Interruptible even
   * when run from a finalizer, so the deadline holds.
   */
  readonly awaitIdle: (millis: number) => Effect.Effect<void>
  /** Ends every SSE stream and session, cancelling what still runs; waits at most `millis` for handlers to stop. */
  readonly closeAll: (millis: number) => Effect.Effect<void>
  /** Ends the sessions created by one guard owner (`HttpGuard.Allow.owner`), e.g. when its credential was revoked. */
  readonly closeOwner: (owner: string) => Effect.Effect<void>
}

// --- small helpers --------------------------------------------------------------------------------

export const JSON_HEADERS = "application/json"

const errorBody = (code: number, message: string, id?: JsonRpc.RequestId): string => JSON.stringify(JsonRpc.failure(id, code, message))

/** -32000 is the transport's generic error, -32001 "session not found" (as the official SDK). */
export const TRANSPORT_ERROR = -32000
const SESSION_NOT_FOUND = -32001

const rejectionsByStatus = new Map<number, Metric.Metric.Counter<number>>()
export const countRejection = (status: number) => {
  let counter = rejectionsByStatus.get(status)
  if (counter === undefined) {
    counter = Metric.tagged(Metrics.httpRejections, "status", String(status))
    rejectionsByStatus.set(status, counter)
  }
  counter.unsafeUpdate(1, [])
}

/** Answers a request with a JSON-RPC error body (and counts the refusal). */
export const fail = (reply: Reply, status: number, code: number, message: string, extra?: Record<string, string>, id?: JsonRpc.RequestId) => {
  countRejection(status)
  const body = errorBody(code, message, id)
  reply.send(status, { "content-type": JSON_HEADERS, "content-length": String(Buffer.byteLength(body)), ...extra }, body)
}

/** Response headers a browser client must read: the session id, and what a refusal says. */
export const CORS_EXPOSED = "mcp-session-id, mcp-protocol-version, www-authenticate, retry-after"

const supportedVersions: ReadonlySet<string> = new Set(McpSchema.SUPPORTED_PROTOCOL_VERSIONS)

/** spec basic/transports "Protocol Version Header": absent means 2025-03-26; unknown is a 400. */
const DEFAULT_HTTP_VERSION = "2025-03-26"

/** A media range list includes `type` (or a wildcard for it). */
const accepts = (accept: string, type: string): boolean =>
  accept.includes(type) || accept.includes("*/*") || accept.includes(type.slice(0, type.indexOf("/") + 1) + "*")

const isJsonContentType = (contentType: string | undefined): boolean => {
  if (contentType === undefined) return false
  if (contentType === "application/json") return true
  const lower = contentType.toLowerCase().trimStart()
  if (!lower.startsWith("application/json")) return false
  const next = lower.charCodeAt(16)
  return Number.isNaN(next) || next === 59 /* ; */ || next === 32 /* space */ || next === 9
}

/** The id of a request in a body, when one can be read (for an error answered before the request was classified). */
const readableId = (body: string): JsonRpc.RequestId | undefined => {
  const parsed = JsonRpc.parse(body)
  if (!parsed.ok) return undefined
  const classified = JsonRpc.classify(parsed.value)
  return classified._tag === "Request" ? classified.message.id : undefined
}

/**
 * The HTTP status of a 2026-07-28 error response (spec 2026-07-28
 * basic/transports/streamable-http "Protocol Version Header", "Server
 * Validation"; basic/index "Per-request protocol fields"): an unsupported
 * version, a missing client capability and a header mismatch are 400, an
 * unknown method is 404; other errors are answered 200 as results are.
 */
const modernStatus = (code: number): number =>
  code === JsonRpc.ErrorCode.UnsupportedProtocolVersion || code === JsonRpc.ErrorCode.MissingRequiredClientCapability ||
    code === JsonRpc.ErrorCode.HeaderMismatch
    ? 400
    : code === JsonRpc.ErrorCode.MethodNotFound
    ? 404
    : 200

/** The -32022 body for an `MCP-Protocol-Version` this server does not speak. */
const unsupportedVersion = (requested: string, id: JsonRpc.RequestId | undefined): string =>
  JSON.stringify(JsonRpc.failure(id, JsonRpc.ErrorCode.UnsupportedProtocolVersion, "Unsupported protocol version", {
    // The versions a request may name per request, as `server/discover` lists them.
    supported: McpSchema.ALL_PROTOCOL_VERSIONS,
    requested
  }))

/** The request says it speaks the stateless revision (2026-07-28). */
const isStatelessVersion = (incoming: Incoming): boolean => {
  const version = incoming.header("mcp-protocol-version")
  return version !== undefined && McpSchema.isStateless(version)
}

const isInitialize = (message: unknown): boolean =>
  (message as { method?: unknown }).method === "initialize" && (message as { id?: unknown }).id !== undefined

// --- streams, exchanges, sessions --------------------------------------------------------------------

/** A logical SSE stream: outlives its HTTP connection, so a client can resume it (spec "Resumability and Redelivery"). */
interface LogicalStream {
  readonly id: string
  readonly kind: "post" | "get"
  sink: Sse.Sink | undefined
  timer: ReturnType<typeof setInterval> | undefined
  done: boolean
}

/** One POSTed request being answered. */
interface Exchange {
  readonly requestId: JsonRpc.RequestId
  readonly reply: Reply
  readonly session: Session | undefined
  /** Headers to add to the response (the new session id on initialize). */
  extraHeaders: Record<string, string> | undefined
  /** json: nothing written yet; sse: the response is an SSE stream; finished: the response was written. */
  state: "json" | "sse" | "finished"
  stream: LogicalStream | undefined
  /** Stateless exchanges write SSE without ids (there is no session to resume). */
  sink: Sse.Sink | undefined
  /** A 2026-07-28 request: its protocol errors have HTTP statuses of their own (spec 2026-07-28 streamable-http). */
  readonly modern?: boolean
  /** Runs when the client closes the response stream (2026-07-28: that cancels the request). */
  onClose?: () => void
}

/** One `Mcp-Session-Id` (spec basic/transports "Session Management"). */
export interface Session {
  readonly id: string
  /** Prefix of this session's stream ids: proves a Last-Event-ID belongs to it. */
  readonly token: string
  readonly scope: Scope.CloseableScope
  connection: McpServer.Connection | undefined
  readonly exchanges: Map<JsonRpc.RequestId, Exchange>
  /** Streams that may still get events, by id. */
  readonly streams: Map<string, LogicalStream>
  /** Every stream id handed out, oldest first, for the event store's cleanup (bounded). */
  readonly streamIds: Set<string>
  /** Unrelated messages (serialized) sent while no GET stream existed, for the first GET (bounded). */
  readonly pending: Array<string>
  pendingBytes: number
  nextStream: number
  lastSeen: number
  /** Requests served, initialize included: a session that never got past initialize is the first to make room. */
  requests: number
  closed: boolean
  /** The guard's owner of the caller that created it (`HttpGuard.Allow.owner`); undefined without a guard. */
  readonly owner: string | undefined
}

const MAX_PENDING = 1000

/**
 * `Retry-After` when the session table is full of sessions that are all in
 * use (nothing idle could make room): sessions end or fall idle within
 * seconds under ordinary use, and the next initialize evicts an idle one.
 */
const RETRY_AFTER_SECONDS = 5
const MAX_STREAM_IDS = 256

/** A guard's refusal, as it wrote it. */
export const deny = (reply: Reply, verdict: HttpGuard.Deny) => {
  countRejection(verdict.status)
  const headers: Record<string, string> = { ...verdict.headers }
  if (verdict.body !== undefined) {
    headers["content-type"] ??= JSON_HEADERS
    headers["content-length"] = String(Buffer.byteLength(verdict.body))
  }
  reply.send(verdict.status, headers, verdict.body)
}

/** The guard's services with the client's address (`ClientAddress`), for per-IP policies. */
const withAddress = (context: Context.Context<never> | undefined, address: string | undefined): Context.Context<never> | undefined =>
  address === undefined
    ? context
    : context === undefined
    ? Context.make(RequestContext.ClientAddress, address) as Context.Context<never>
    : Context.add(context, RequestContext.ClientAddress, address)

/** Builds the engine on the current runtime. */
export const make = (
  options: Options,
  store: EventStore.Service
): Effect.Effect<Protocol, never, McpServer.McpServer | Scope.Scope> =>
  Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const runtime = yield* Effect.runtime<never>()
    const runCallback = Runtime.runCallback(runtime)
    const runFork = Runtime.runFork(runtime)
    const guard = options.guard
    const errorStatus = HttpGuard.firstStatus([guard?.errorStatus, options.errorStatus])

    const sessions = new Map<string, Session>()
    /** Interrupts each stateless request still running (they belong to no session). */
    const statelessRuns = new Set<() => void>()
    let inFlight = 0
    let openStreams = 0
    let evictedSessions = 0
    let shuttingDown = false
    let idleWaiters: Array<() => void> = []

    const release = () => {
      inFlight--
      if (inFlight === 0 && idleWaiters.length > 0) {
        const waiters = idleWaiters
        idleWaiters = []
        for (const wake of waiters) wake()
      }
    }

    // --- SSE plumbing

    const openSink = (reply: Reply, headers: Record<string, string>, onClose: () => void): Sse.Sink => {
      openStreams++
      Metrics.sseStreams.unsafeModify(1, [])
      let counted = true
      const uncount = () => {
        if (counted) {
          counted = false
          openStreams--
          Metrics.sseStreams.unsafeModify(-1, [])
        }
      }
      const sink = reply.stream(headers, () => {
        uncount()
        onClose()
      })
      return {
        write: sink.write,
        closed: sink.closed,
        end: () => {
          uncount()
          sink.end()
        }
      }
    }

    const startKeepAlive = (stream: LogicalStream) => {
      if (options.keepAliveMillis <= 0) return
      stream.timer = setInterval(() => {
        if (stream.sink === undefined || !stream.sink.write(Sse.keepAlive)) stopKeepAlive(stream)
      }, options.keepAliveMillis)
      stream.timer.unref?.()
    }

    const stopKeepAlive = (stream: LogicalStream) => {
      if (stream.timer !== undefined) {
        clearInterval(stream.timer)
        stream.timer = undefined
      }
    }

    const detach = (stream: LogicalStream) => {
      stopKeepAlive(stream)
      const sink = stream.sink
      stream.sink = undefined
      if (sink !== undefined && !sink.closed()) sink.end()
    }

    const newStream = (session: Session, kind: "post" | "get"): LogicalStream => {
      const id = `${session.token}.${kind === "post" ? "p" : "g"}${(session.nextStream++).toString(36)}`
      const stream: LogicalStream = { id, kind, sink: undefined, timer: undefined, done: false }
      session.streams.set(id, stream)
      session.streamIds.add(id)
      if (session.streamIds.size > MAX_STREAM_IDS) {
        const oldest = session.streamIds.values().next().value as string
        session.streamIds.delete(oldest)
        runFork(store.remove([oldest]))
      }
      return stream
    }

    /** spec "Sending Messages to the Server" 6.: priming needs clients of 2025-11-25 or later (older ones choke on empty data). */
    const wantsPriming = (session: Session) => (session.connection?.session.protocolVersion ?? "") >= "2025-11-25"

    const prime = (session: Session, stream: LogicalStream): Effect.Effect<void> =>
      Effect.map(store.start(stream.id), (id) => {
        if (wantsPriming(session)) stream.sink?.write(Sse.priming(id, options.retryMillis))
      })

    /** Serializes a message; one that cannot be (a notification with an unserializable value) is dropped and logged. */
    const encode = (message: JsonRpc.Message): string | undefined => {
      const data = JsonRpc.encode(message)
      if (data === undefined) runFork(Effect.logError(`HTTP: dropped a message that cannot be serialized (${"method" in message ? message.method : "response"})`))
      return data
    }

    /** Stores a message on a stream and writes it when a connection is attached. */
    const emit = (stream: LogicalStream, message: JsonRpc.Message): Effect.Effect<void> => {
      const data = encode(message)
      return data === undefined ? Effect.void : emitData(stream, data)
    }

    const emitData = (stream: LogicalStream, data: string): Effect.Effect<void> =>
      Effect.map(store.append(stream.id, data), (eventId) => {
        const sink = stream.sink
        if (sink !== undefined && !sink.write(Sse.event(eventId, data))) detach(stream)
      })

    // --- routing of server-to-client messages (spec "Multiple Connections": each message on exactly one stream)

    const routeUnrelated = (session: Session, message: JsonRpc.Message): Effect.Effect<void> => {
      let dormant: LogicalStream | undefined
      for (const stream of session.streams.values()) {
        if (stream.kind !== "get") continue
        if (stream.sink !== undefined) return emit(stream, message)
        dormant ??= stream
      }
      // A disconnected GET stream keeps its messages for a resume with Last-Event-ID.
      if (dormant !== undefined) return emit(dormant, message)
      return Effect.sync(() => {
        const data = encode(message)
        if (data === undefined) return
        session.pending.push(data)
        session.pendingBytes += data.length
        // Bounded by count and bytes: the oldest go first.
        while (session.pending.length > MAX_PENDING || (session.pendingBytes > MAX_PENDING_BYTES && session.pending.length > 1)) {
          session.pendingBytes -= session.pending.shift()!.length
        }
      })
    }

    /** Moves a JSON-mode exchange to an SSE response (a related message came before the result). */
    const upgrade = (exchange: Exchange): Effect.Effect<void> =>
      Effect.suspend(() => {
        exchange.state = "sse"
        const session = exchange.session
        const headers = exchange.extraHeaders === undefined ? { ...Sse.headers } : { ...Sse.headers, ...exchange.extraHeaders }
        if (session === undefined) {
          // Stateless: no session to resume in, so no event ids.
          exchange.sink = openSink(exchange.reply, headers, () => exchange.onClose?.())
          return Effect.void
        }
        const stream = newStream(session, "post")
        exchange.stream = stream
        stream.sink = openSink(exchange.reply, headers, () => {
          // spec "Sending Messages to the Server" 6.: disconnection is not cancellation; the stream lives on for a resume.
          stopKeepAlive(stream)
          stream.sink = undefined
        })
        startKeepAlive(stream)
        return prime(session, stream)
      })

    const sendOnExchange = (exchange: Exchange, message: JsonRpc.Message): Effect.Effect<void> => {
      // A buffering platform cannot stream: the server MAY send related notifications (spec 2026-07-28
      // streamable-http "Receiving Messages"), so they are dropped and the response stays JSON.
      if (exchange.state === "json" && options.buffered === true) return Effect.void
      if (exchange.state === "json") return Effect.zipRight(upgrade(exchange), Effect.suspend(() => sendOnExchange(exchange, message)))
      if (exchange.stream !== undefined) return emit(exchange.stream, message)
      return Effect.sync(() => {
        const data = encode(message)
        if (data !== undefined) exchange.sink?.write(Sse.event(undefined, data))
      })
    }

    const sessionSend = (session: Session) => (message: JsonRpc.Message, related?: JsonRpc.RequestId): Effect.Effect<void> => {
      if (session.closed) return Effect.void
      if (related !== undefined) {
        const exchange = session.exchanges.get(related)
        if (exchange !== undefined && exchange.state !== "finished") return sendOnExchange(exchange, message)
      }
      return routeUnrelated(session, message)
    }

    /** Writes the response of an exchange in JSON mode: one JSON body (or 202 when there is none). */
    const finishJson = (exchange: Exchange, response: JsonRpc.Response | undefined): void => {
      exchange.state = "finished"
      if (response === undefined) {
        // Cancelled (spec basic/utilities/cancellation: no response); the HTTP exchange still needs an end.
        exchange.reply.send(202, { "content-length": "0" }, undefined)
      } else {
        // A response always serializes (`encode` turns an unserializable result into -32603).
        const body = JsonRpc.encode(response)!
        const mapped = errorStatus !== undefined && "error" in response ? errorStatus(response.error) : undefined
        const headers: Record<string, string> = exchange.extraHeaders === undefined
          ? { "content-type": JSON_HEADERS, "content-length": String(Buffer.byteLength(body)) }
          : { "content-type": JSON_HEADERS, "content-length": String(Buffer.byteLength(body)), ...exchange.extraHeaders }
        if (mapped !== undefined) {
          // spec basic/authorization "Scope Challenge Handling": 403 insufficient_scope (or 429…) on the HTTP response itself.
          countRejection(mapped.status)
          exchange.reply.send(mapped.status, { ...headers, ...mapped.headers }, body)
          return
        }
        exchange.reply.send(exchange.modern === true && "error" in response ? modernStatus(response.error.code) : 200, headers, body)
      }
    }

    /** Writes the response of an exchange: one JSON body, or the last event of its SSE stream. */
    const finish = (exchange: Exchange, response: JsonRpc.Response | undefined): Effect.Effect<void> => {
      switch (exchange.state) {
        case "json": {
          finishJson(exchange, response)
          return Effect.void
        }
        case "sse": {
          exchange.state = "finished"
          const stream = exchange.stream
          if (stream === undefined) {
            if (response !== undefined) exchange.sink?.write(Sse.event(undefined, JsonRpc.encode(response)!))
            exchange.sink?.end()
            return Effect.void
          }
          const write = response === undefined ? Effect.void : emit(stream, response)
          // spec "Sending Messages to the Server" 6.: after the response the server SHOULD terminate the stream.
          return Effect.map(write, () => {
            stream.done = true
            exchange.session?.streams.delete(stream.id)
            detach(stream)
          })
        }
        case "finished":
          return Effect.void
      }
    }

    /** An exchange whose fiber ended without a response (its session closed under it). */
    const abandon = (exchange: Exchange) => {
      if (exchange.state === "json") {
        exchange.state = "finished"
        if (shuttingDown) {
          fail(exchange.reply, 503, TRANSPORT_ERROR, "Service Unavailable: the server shut down before the request finished", undefined, exchange.requestId)
        }
        else if (exchange.session !== undefined && exchange.session.closed) {
          fail(exchange.reply, 404, SESSION_NOT_FOUND, "Session not found: it was terminated")
        } else {
          // spec basic/utilities/cancellation: a cancelled request gets no response; the POST ends empty.
          exchange.reply.send(202, { "content-length": "0" }, undefined)
        }
      } else if (exchange.state === "sse") {
        exchange.state = "finished"
        if (exchange.stream !== undefined) {
          exchange.stream.done = true
          detach(exchange.stream)
        } else exchange.sink?.end()
      }
    }

    // --- sessions

    const closeSession = (session: Session): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (session.closed) return Effect.void
        session.closed = true
        sessions.delete(session.id)
        for (const stream of session.streams.values()) {
          stream.done = true
          detach(stream)
        }
        session.streams.clear()
        session.pending.length = 0
        session.pendingBytes = 0
        const ids = [...session.streamIds]
        session.streamIds.clear()
        // Closing the scope interrupts in-flight requests; their exchanges are answered by `abandon`.
        return Effect.zipRight(store.remove(ids), Scope.close(session.scope, Exit.void))
      })

    const newSession = (owner: string | undefined, context: Context.Context<never> | undefined): Effect.Effect<Session> =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const session: Session = {
          // spec "Session Management" 1.: globally unique, cryptographically secure, visible ASCII.
          id: randomUUID(),
          token: randomBytes(9).toString("base64url"),
          scope,
          connection: undefined,
          exchanges: new Map(),
          streams: new Map(),
          streamIds: new Set(),
          pending: [],
          pendingBytes: 0,
          nextStream: 0,
          lastSeen: performance.now(),
          requests: 1,
          closed: false,
          owner
        }
        // The caller who opened the session is the connection's too (its notifications' handlers see it).
        const connectOptions: McpServer.ConnectOptions = context === undefined
          ? { send: sessionSend(session), sessionId: session.id }
          : { send: sessionSend(session), sessionId: session.id, context }
        session.connection = yield* Scope.extend(server.connect(connectOptions), scope)
        sessions.set(session.id, session)
        return session
      })

    /** A session with nothing in flight and no connected stream: closing it interrupts nothing. */
    const isIdle = (session: Session): boolean => {
      if (session.exchanges.size > 0) return false
      for (const stream of session.streams.values()) if (stream.sink !== undefined) return false
      return true
    }

    /**
     * The session table is full: closes one idle session to make room for a
     * new one. Sessions that never got past initialize go first (what a flood
     * of initializes leaves behind), oldest first; then the least recently
     * used idle session. A client whose session was closed gets 404 and
     * initializes again (spec "Session Management" 4.). False when every
     * session is in use.
     */
    const makeRoom = (): boolean => {
      let unused: Session | undefined
      let leastRecent: Session | undefined
      for (const session of sessions.values()) {
        if (!isIdle(session)) continue
        if (session.requests <= 1 && (unused === undefined || session.lastSeen < unused.lastSeen)) unused = session
        if (leastRecent === undefined || session.lastSeen < leastRecent.lastSeen) leastRecent = session
      }
      const victim = unused ?? leastRecent
      if (victim === undefined) return false
      evictedSessions++
      runFork(closeSession(victim))
      return true
    }

    // --- POST

    /** The one Effect run of a request: (SSE start when JSON responses are off) + handle + reply. */
    const runExchange = (
      connection: McpServer.Connection,
      exchange: Exchange,
      message: unknown,
      request: JsonRpc.Request,
      onDone: () => void,
      context: Context.Context<never> | undefined
    ) => {
      const onExit = (exit: Exit.Exit<void>) => {
        if (Exit.isFailure(exit)) {
          if (!Cause.isInterruptedOnly(exit.cause)) runFork(Effect.logError("HTTP exchange failed", exit.cause))
          abandon(exchange)
        }
        onDone()
      }
      if (!options.enableJsonResponse) {
        runCallback(Effect.zipRight(upgrade(exchange), Effect.flatMap(connection.handle(message, context), (response) => finish(exchange, response))), { onExit })
        return
      }
      // The common case, a JSON body, is written straight from the request fiber's exit (no step
      // after the server's); when the exchange became an SSE stream meanwhile, its end is one more run.
      connection.run(request, runtime, (exit) => {
        if (Exit.isFailure(exit)) return onExit(exit)
        if (exchange.state === "json") {
          try {
            finishJson(exchange, exit.value)
          } catch (e) {
            // As when it ran in the fiber: a response that cannot be written (JSON.stringify threw) is a defect.
            return onExit(Exit.die(e))
          }
          return onDone()
        }
        runCallback(finish(exchange, exit.value), { onExit })
      }, context)
    }

    const postToSession = (
      session: Session,
      message: unknown,
      classified: JsonRpc.Classified,
      reply: Reply,
      release: () => void,
      context: Context.Context<never> | undefined
    ) => {
      const connection = session.connection!
      session.lastSeen = performance.now()
      if (classified._tag !== "Request") {
        // spec "Sending Messages to the Server" 4.: notifications and responses get 202 Accepted, no body.
        runCallback(connection.handle(message), {
          onExit: () => {
            reply.send(202, { "content-length": "0" }, undefined)
            release()
          }
        })
        return
      }
      const id = classified.message.id
      session.requests++
      if (session.exchanges.has(id)) {
        reply.send(
          200,
          { "content-type": JSON_HEADERS },
          JSON.stringify(JsonRpc.failure(id, JsonRpc.ErrorCode.InvalidRequest, `Invalid Request: id ${McpError.preview(id)} is already in use`))
        )
        release()
        return
      }
      const exchange: Exchange = {
        requestId: id,
        reply,
        session,
        extraHeaders: undefined,
        state: "json",
        stream: undefined,
        sink: undefined
      }
      session.exchanges.set(id, exchange)
      runExchange(connection, exchange, message, classified.message, () => {
        session.exchanges.delete(id)
        session.lastSeen = performance.now()
        release()
      }, context)
    }

    const initialize = (
      request: JsonRpc.Request,
      message: unknown,
      reply: Reply,
      release: () => void,
      allowed: HttpGuard.Allow | undefined,
      services: Context.Context<never> | undefined
    ) => {
      // spec "Session Management" 1.: the session id goes on the response carrying the InitializeResult.
      runCallback(newSession(allowed?.owner, services), {
        onExit: (exit) => {
          if (Exit.isFailure(exit)) {
            fail(reply, 500, JsonRpc.ErrorCode.InternalError, "Internal error: could not create a session")
            release()
            return
          }
          const session = exit.value
          const exchange: Exchange = {
            requestId: request.id,
            reply,
            session,
            extraHeaders: { "mcp-session-id": session.id },
            state: "json",
            stream: undefined,
            sink: undefined
          }
          session.exchanges.set(request.id, exchange)
          const connection = session.connection!
          const handled = Effect.flatMap(connection.handle(message), (response) => {
            if (response !== undefined && !("error" in response)) return finish(exchange, response)
            // A failed initialize leaves no session behind: the client must start over.
            exchange.extraHeaders = undefined
            return Effect.zipRight(finish(exchange, response), closeSession(session))
          })
          runCallback(options.enableJsonResponse ? handled : Effect.zipRight(upgrade(exchange), handled), {
            onExit: (exit) => {
              if (Exit.isFailure(exit)) abandon(exchange)
              session.exchanges.delete(request.id)
              release()
            }
          })
        }
      })
    }

    const postStateless = (
      incoming: Incoming,
      message: unknown,
      classified: JsonRpc.Classified,
      reply: Reply,
      release: () => void,
      context: Context.Context<never> | undefined
    ) => {
      if (classified._tag !== "Request") {
        // Nothing can follow up on a notification or response without a session.
        reply.send(202, { "content-length": "0" }, undefined)
        release()
        return
      }
      const request = classified.message
      const header = incoming.header("mcp-protocol-version")
      const exchange: Exchange = {
        requestId: request.id,
        reply,
        session: undefined,
        extraHeaders: undefined,
        state: "json",
        stream: undefined,
        sink: undefined
      }
      // ConnectOptions.preinitialized: each POST is a complete connection (stateless mode).
      const connectOptions = (send: McpServer.ConnectOptions["send"]): McpServer.ConnectOptions => {
        const base: McpServer.ConnectOptions = isInitialize(message) ? { send } : { send, preinitialized: { protocolVersion: header ?? DEFAULT_HTTP_VERSION } }
        return context === undefined ? base : { ...base, context }
      }
      serveAlone(exchange, message, connectOptions, !options.enableJsonResponse, release)
    }

    /**
     * Serves one request on a connection of its own (no session): messages related to it go on its
     * response, the connection ends with it, and shutdown can interrupt it.
     */
    const serveAlone = (
      exchange: Exchange,
      message: unknown,
      connectOptions: (send: McpServer.ConnectOptions["send"]) => McpServer.ConnectOptions,
      stream: boolean,
      release: () => void
    ) => {
      const send = (msg: JsonRpc.Message, related?: JsonRpc.RequestId) =>
        related === exchange.requestId && exchange.state !== "finished" ? sendOnExchange(exchange, msg) : Effect.void
      const serve = Effect.scoped(
        Effect.gen(function*() {
          const connection = yield* server.connect(connectOptions(send))
          if (stream) yield* upgrade(exchange)
          const response = yield* connection.handle(message)
          yield* finish(exchange, response)
        })
      )
      let cancel: (() => void) | undefined = undefined
      const interrupt = Runtime.runCallback(runtime)(serve, {
        onExit: (exit) => {
          if (cancel !== undefined) statelessRuns.delete(cancel)
          if (Exit.isFailure(exit)) abandon(exchange)
          release()
        }
      })
      if (exchange.state !== "finished") {
        cancel = () => interrupt()
        // Under 2025-11-25 disconnection is not cancellation (spec "Sending Messages to the Server" 6.).
        statelessRuns.add(cancel)
      }
    }

    /**
     * Serves a 2026-07-28 request (spec 2026-07-28 basic/transports/streamable-http): no session
     * (an `Mcp-Session-Id` is ignored), the headers checked against the body first, the response
     * as JSON or, when the request sends progress or log messages first, an SSE stream whose
     * closing cancels the request.
     */
    const postModern = (
      incoming: Incoming,
      classified: JsonRpc.Classified,
      reply: Reply,
      release: () => void,
      context: Context.Context<never> | undefined
    ) => {
      if (classified._tag !== "Request") {
        // spec "Sending Messages" 5.: a notification is accepted with 202 (2026-07-28 defines none over HTTP).
        reply.send(202, { "content-length": "0" }, undefined)
        release()
        return
      }
      const request = classified.message
      // spec 2026-07-28 basic/index "Per-request protocol fields": a request missing a required field is
      // malformed, -32602 and 400; then the headers must agree with what the body says.
      const missing = RequestHeaders.missingMeta(request)
      if (missing !== undefined) {
        fail(reply, 400, JsonRpc.ErrorCode.InvalidParams, missing, undefined, request.id)
        release()
        return
      }
      // spec 2026-07-28 streamable-http "Custom Headers from Tool Parameters": and so must the tool's Mcp-Param-* headers.
      const why = RequestHeaders.mismatch(incoming.header, request) ??
        RequestHeaders.paramMismatch(incoming.header, request, server.toolDefinition)
      if (why !== undefined) {
        fail(reply, 400, JsonRpc.ErrorCode.HeaderMismatch, why, undefined, request.id)
        release()
        return
      }
      // A subscription is a stream (spec 2026-07-28 basic/patterns/subscriptions): a buffered platform would
      // hold it until its own timeout and deliver nothing, so it is refused at once.
      if (options.buffered === true && request.method === "subscriptions/listen") {
        fail(reply, 404, JsonRpc.ErrorCode.MethodNotFound, "Method not found: subscriptions/listen needs a streaming response, and this endpoint answers buffered JSON", undefined, request.id)
        release()
        return
      }
      const exchange: Exchange = {
        requestId: request.id,
        reply,
        session: undefined,
        extraHeaders: undefined,
        state: "json",
        stream: undefined,
        sink: undefined,
        modern: true
      }
      // Served outside any connection: a 2026-07-28 request costs what it does, no session around it.
      const send = (msg: JsonRpc.Message, related?: JsonRpc.RequestId) =>
        related === exchange.requestId && exchange.state !== "finished" ? sendOnExchange(exchange, msg) : Effect.void
      let cancel: (() => void) | undefined = undefined
      const fiber = server.serveStateless(request, send, runtime, (exit) => {
        if (cancel !== undefined) statelessRuns.delete(cancel)
        if (Exit.isFailure(exit)) abandon(exchange)
        else if (exchange.state === "json") finishJson(exchange, exit.value)
        else runFork(finish(exchange, exit.value))
        release()
      }, context)
      if (fiber !== undefined && exchange.state !== "finished") {
        cancel = () => fiber.unsafeInterruptAsFork(FiberId.none)
        statelessRuns.add(cancel)
        // spec 2026-07-28 "Cancellation": closing the response stream cancels the request, before
        // its response started (a JSON answer still pending) as after (an SSE stream).
        exchange.onClose = cancel
        exchange.reply.onAbort?.(() => exchange.state !== "finished" && exchange.onClose?.())
      }
    }

    /**
     * Serves a POST body. Nothing here may throw into the HTTP server's
     * callbacks (an exception there ends the process): whatever escapes is
     * logged and answered with 500 and a -32603 error naming the request id.
     */
    const post = (incoming: Incoming, context: PostContext, body: string, reply: Reply) => {
      const pending = context.pending
      if (pending !== undefined) {
        context.pending = undefined
        pending.then(
          (verdict) => {
            if (verdict._tag === "Deny") {
              deny(reply, verdict)
              context.release()
              return
            }
            context.allowed = verdict
            post(incoming, context, body, reply)
          },
          (e) => {
            runFork(Effect.logError("HTTP: the guard failed", Cause.die(e)))
            fail(reply, 500, JsonRpc.ErrorCode.InternalError, "Internal error: could not authenticate the request")
            context.release()
          }
        )
        return
      }
      try {
        servePost(incoming, context, body, reply)
      } catch (e) {
        runFork(Effect.logError("HTTP: a request failed outside its handler", Cause.die(e)))
        fail(reply, 500, JsonRpc.ErrorCode.InternalError, "Internal error", undefined, readableId(body))
        context.release()
      }
    }

    const servePost = (incoming: Incoming, context: PostContext, body: string, reply: Reply) => {
      const release = context.release
      const parsed = JsonRpc.parse(body)
      if (!parsed.ok) {
        fail(reply, 400, JsonRpc.ErrorCode.ParseError, parsed.response.error.message)
        release()
        return
      }
      const message = parsed.value
      // spec "Sending Messages to the Server" 3.: a single message (batches were removed in 2025-06-18).
      const classified = JsonRpc.classify(message)
      if (classified._tag === "Invalid") {
        countRejection(400)
        reply.send(400, { "content-type": JSON_HEADERS }, JSON.stringify(classified.response))
        release()
        return
      }
      const version = incoming.header("mcp-protocol-version")
      const allowed = context.allowed
      // Per-request connections (2026-07-28, stateless mode, initialize) carry the client's address; a session has it from its start.
      // spec 2026-07-28 basic/versioning "Backward Compatibility": the stateless revision is served per request.
      if (version !== undefined && McpSchema.isStateless(version)) return postModern(incoming, classified, reply, release, withAddress(allowed?.context, incoming.remoteAddress))
      const init = classified._tag === "Request" && classified.message.method === "initialize"
      // spec "Protocol Version Header": an invalid or unsupported version is a 400, with the
      // 2026-07-28 error a modern client recognizes (-32022, supported and requested).
      if (!init && version !== undefined && !supportedVersions.has(version)) {
        reply.send(400, { "content-type": JSON_HEADERS }, unsupportedVersion(version, classified._tag === "Request" ? classified.message.id : undefined))
        countRejection(400)
        release()
        return
      }
      if (options.stateless) return postStateless(incoming, message, classified, reply, release, withAddress(allowed?.context, incoming.remoteAddress))
      const session = context.session
      if (session !== undefined) {
        if (!ownedBy(session, allowed, reply)) return release()
        return postToSession(session, message, classified, reply, release, allowed?.context)
      }
      if (init) {
        if (sessions.size >= options.maxSessions && !makeRoom()) {
          fail(reply, 503, TRANSPORT_ERROR, "Service Unavailable: too many sessions are active", { "retry-after": String(RETRY_AFTER_SECONDS) })
          release()
          return
        }
        return initialize(classified.message as JsonRpc.Request, message, reply, release, allowed, withAddress(allowed?.context, incoming.remoteAddress))
      }
      // spec "Session Management" 2.: requests other than initialize without a session id get 400.
      fail(reply, 400, TRANSPORT_ERROR, "Bad Request: Mcp-Session-Id header is required")
      release()
    }

    // --- GET: the server-initiated stream, and resumption with Last-Event-ID

    const openGet = (session: Session, reply: Reply) => {
      const stream = newStream(session, "get")
      stream.sink = openSink(reply, { ...Sse.headers, "mcp-session-id": session.id }, () => {
        stopKeepAlive(stream)
        stream.sink = undefined
        // Keep one disconnected GET stream for a resume; older disconnected ones are let go.
        for (const other of session.streams.values()) {
          if (other !== stream && other.kind === "get" && other.sink === undefined) session.streams.delete(other.id)
        }
      })
      startKeepAlive(stream)
      const pending = session.pending.splice(0, session.pending.length)
      session.pendingBytes = 0
      runFork(Effect.zipRight(prime(session, stream), Effect.forEach(pending, (data) => emitData(stream, data), { discard: true })))
    }

    const resume = (session: Session, lastEventId: string, reply: Reply) => {
      const streamId = store.streamOf(lastEventId)
      if (streamId === undefined || !streamId.startsWith(session.token + ".")) {
        // spec "Resumability and Redelivery": never replay another stream (or another session's).
        fail(reply, 400, TRANSPORT_ERROR, "Bad Request: unknown Last-Event-ID")
        return
      }
      const chunks: Array<string> = []
      const replay = store.replayAfter(lastEventId, (eventId, data) =>
        Effect.sync(() => {
          chunks.push(Sse.event(eventId, data))
        }))
      runCallback(replay, {
        onExit: (exit) => {
          const known = Exit.isSuccess(exit) && exit.value !== undefined
          let stream = session.streams.get(streamId)
          if (session.closed) {
            fail(reply, 404, SESSION_NOT_FOUND, "Session not found")
            return
          }
          if (!known && stream === undefined) {
            fail(reply, 400, TRANSPORT_ERROR, "Bad Request: unknown Last-Event-ID (the stream is gone)")
            return
          }
          if (stream === undefined && streamId.slice(session.token.length + 1).startsWith("g")) {
            // A GET stream that was let go: it lives again under the same id.
            stream = { id: streamId, kind: "get", sink: undefined, timer: undefined, done: false }
            session.streams.set(streamId, stream)
          }
          if (stream !== undefined && stream.sink !== undefined) detach(stream)
          const live = stream
          const sink = openSink(reply, { ...Sse.headers, "mcp-session-id": session.id }, () => {
            if (live !== undefined && live.sink === sink) {
              stopKeepAlive(live)
              live.sink = undefined
            }
          })
          for (const chunk of chunks) sink.write(chunk)
          if (live === undefined || live.done) {
            // The stream already carried its response: replay, then terminate it.
            sink.end()
            return
          }
          live.sink = sink
          startKeepAlive(live)
        }
      })
    }

    // --- request entry

    const checkSession = (incoming: Incoming, reply: Reply): Session | undefined | false => {
      const id = incoming.header("mcp-session-id")
      if (id === undefined) return undefined
      const session = sessions.get(id)
      if (session === undefined) {
        // spec "Session Management" 3.: a terminated (or unknown) session is a 404, so the client re-initializes.
        fail(reply, 404, SESSION_NOT_FOUND, "Session not found")
        return false
      }
      return session
    }

    const checkVersion = (incoming: Incoming, reply: Reply): boolean => {
      const version = incoming.header("mcp-protocol-version")
      if (version === undefined || supportedVersions.has(version)) return true
      fail(reply, 400, TRANSPORT_ERROR, `Bad Request: unsupported MCP-Protocol-Version: ${version}`)
      return false
    }

    /** The session a GET or DELETE names, with a supported protocol version; otherwise answers and yields undefined. */
    const requireSession = (incoming: Incoming, reply: Reply): Session | undefined => {
      const session = checkSession(incoming, reply)
      if (session === false) return undefined
      if (session === undefined) {
        // spec "Session Management" 2.: requests other than initialize without a session id get 400.
        fail(reply, 400, TRANSPORT_ERROR, "Bad Request: Mcp-Session-Id header is required")
        return undefined
      }
      return checkVersion(incoming, reply) ? session : undefined
    }

    const begin = (incoming: Incoming, reply: Reply): PostContext | undefined => {
      if (shuttingDown) {
        fail(reply, 503, TRANSPORT_ERROR, "Service Unavailable: the server is shutting down", { connection: "close" })
        return undefined
      }
      // spec basic/transports "Security Warning" 1.: validate Origin (DNS rebinding); invalid -> 403.
      if (options.allowOrigin !== undefined) {
        const origin = incoming.header("origin")
        if (origin !== undefined) {
          if (!options.allowOrigin(origin)) {
            fail(reply, 403, TRANSPORT_ERROR, `Forbidden: Origin not allowed: ${origin}`)
            return undefined
          }
          // Fetch standard "CORS protocol": an allowed origin may read the response (and the session id).
          reply.header("access-control-allow-origin", origin)
          reply.header("access-control-expose-headers", CORS_EXPOSED)
          reply.header("vary", "Origin")
          if (incoming.method === "OPTIONS") return preflight(incoming, reply)
        }
      }
      if (options.allowedHosts !== undefined) {
        const host = incoming.header("host")
        if (host === undefined || !options.allowedHosts.has(host)) {
          fail(reply, 403, TRANSPORT_ERROR, `Forbidden: Host not allowed: ${host ?? "(none)"}`)
          return undefined
        }
      }
      if (guard === undefined || incoming.method === "OPTIONS") return route(incoming, reply, undefined, undefined)
      // spec basic/authorization "Token Requirements": every HTTP request to the endpoint carries its authorization.
      const verdict = guard.check(incoming)
      if (HttpGuard.isPending(verdict)) {
        // A POST reads its body meanwhile; GET and DELETE wait for the decision.
        if (incoming.method === "POST") return route(incoming, reply, undefined, verdict)
        verdict.then(
          (decided) => (decided._tag === "Deny" ? deny(reply, decided) : void route(incoming, reply, decided, undefined)),
          (e) => {
            runFork(Effect.logError("HTTP: the guard failed", Cause.die(e)))
            fail(reply, 500, JsonRpc.ErrorCode.InternalError, "Internal error: could not authenticate the request")
          }
        )
        return undefined
      }
      if (verdict._tag === "Deny") {
        deny(reply, verdict)
        return undefined
      }
      return route(incoming, reply, verdict, undefined)
    }


    /**
     * A session answers only the caller that created it (spec basic/security_best_practices
     * "Session Hijacking"): another principal's credential on it is refused with 403.
     */
    const ownedBy = (session: Session, allowed: HttpGuard.Allow | undefined, reply: Reply): boolean => {
      if (guard === undefined || session.owner === allowed?.owner) return true
      fail(reply, 403, TRANSPORT_ERROR, "Forbidden: this session belongs to another caller")
      return false
    }

    const route = (
      incoming: Incoming,
      reply: Reply,
      allowed: HttpGuard.Allow | undefined,
      pending: PromiseLike<HttpGuard.Verdict> | undefined
    ): PostContext | undefined => {
      switch (incoming.method) {
        case "POST": {
          // spec "Sending Messages to the Server" 2.: Accept lists application/json and text/event-stream.
          const accept = incoming.header("accept")
          if (accept === undefined || !accepts(accept, "application/json") || !accepts(accept, "text/event-stream")) {
            fail(reply, 406, TRANSPORT_ERROR, "Not Acceptable: Accept must list application/json and text/event-stream")
            return undefined
          }
          if (!isJsonContentType(incoming.header("content-type"))) {
            fail(reply, 415, TRANSPORT_ERROR, "Unsupported Media Type: Content-Type must be application/json")
            return undefined
          }
          let session: Session | undefined
          // spec 2026-07-28 streamable-http "Earlier Streamable HTTP Revisions": an Mcp-Session-Id on a 2026-07-28 request is ignored.
          if (!options.stateless && !isStatelessVersion(incoming)) {
            const found = checkSession(incoming, reply)
            if (found === false) return undefined
            session = found
          }
          inFlight++
          let released = false
          return {
            session,
            allowed,
            pending,
            release: () => {
              if (!released) {
                released = true
                release()
              }
            }
          }
        }
        case "GET": {
          // spec "Listening for Messages from the Server" 2.-3.
          const accept = incoming.header("accept")
          if (accept === undefined || !accepts(accept, "text/event-stream")) {
            fail(reply, 406, TRANSPORT_ERROR, "Not Acceptable: Accept must list text/event-stream")
            return undefined
          }
          if (options.stateless || isStatelessVersion(incoming)) {
            // spec 2026-07-28 streamable-http "Earlier Streamable HTTP Revisions": no GET stream (405).
            fail(reply, 405, TRANSPORT_ERROR, "Method Not Allowed: no server-initiated stream in stateless mode", { allow: "POST" })
            return undefined
          }
          const session = requireSession(incoming, reply)
          if (session === undefined || !ownedBy(session, allowed, reply)) return undefined
          session.lastSeen = performance.now()
          const lastEventId = incoming.header("last-event-id")
          if (lastEventId !== undefined && lastEventId !== "") resume(session, lastEventId, reply)
          else openGet(session, reply)
          return undefined
        }
        case "DELETE": {
          // spec "Session Management" 5.
          if (options.stateless || isStatelessVersion(incoming)) {
            fail(reply, 405, TRANSPORT_ERROR, "Method Not Allowed: no sessions in stateless mode", { allow: "POST" })
            return undefined
          }
          const session = requireSession(incoming, reply)
          if (session === undefined || !ownedBy(session, allowed, reply)) return undefined
          runCallback(closeSession(session), { onExit: () => reply.send(204, {}, undefined) })
          return undefined
        }
        case "OPTIONS":
          // Not a CORS preflight (no Origin, or no Origin check configured): say what is served.
          reply.send(204, { allow: options.stateless ? "POST, OPTIONS" : "GET, POST, DELETE, OPTIONS", "content-length": "0" }, undefined)
          return undefined
        default:
          fail(reply, 405, TRANSPORT_ERROR, "Method Not Allowed", { allow: options.stateless ? "POST" : "GET, POST, DELETE" })
          return undefined
      }
    }

    /**
     * A CORS preflight from an allowed origin (Fetch standard "CORS-preflight
     * request"): the methods this endpoint serves and the headers asked for.
     * The origin passed the check above, so the headers it asks for are allowed.
     */
    const preflight = (incoming: Incoming, reply: Reply): undefined => {
      const methods = options.stateless ? "POST" : "GET, POST, DELETE"
      const requested = incoming.header("access-control-request-headers")
      const headers: Record<string, string> = {
        "access-control-allow-methods": methods,
        "access-control-max-age": "600",
        "content-length": "0"
      }
      if (requested !== undefined && requested !== "") headers["access-control-allow-headers"] = requested
      reply.send(204, headers, undefined)
      return undefined
    }

    const reject = (context: PostContext, reply: Reply, status: number, code: number, message: string) => {
      fail(reply, status, code, message, { connection: "close" })
      context.release()
    }

    // --- idle sessions (sessionIdleTimeout)

    const sweep = Effect.suspend(() => {
      const now = performance.now()
      const expired: Array<Session> = []
      for (const session of sessions.values()) {
        if (now - session.lastSeen >= options.sessionIdleTimeoutMillis && isIdle(session)) expired.push(session)
      }
      return Effect.forEach(expired, closeSession, { discard: true })
    })
    if (!options.stateless && Number.isFinite(options.sessionIdleTimeoutMillis)) {
      const every = Math.max(10, Math.min(60_000, Math.floor(options.sessionIdleTimeoutMillis / 4)))
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(every), sweep)))
    }

    return {
      begin,
      post,
      reject,
      closing: () => shuttingDown,
      stats: () => ({ sessions: sessions.size, inFlight, streams: openStreams, evictedSessions }),
      beginShutdown: Effect.suspend(() => {
        shuttingDown = true
        // New POSTs get 503, so no answer to a server-to-client request can arrive any more.
        return Effect.forEach(sessions.values(), (session) => session.connection?.endInput ?? Effect.void, { discard: true })
      }),
      awaitIdle: (millis) =>
        Effect.async<void>((resume) => {
          if (inFlight === 0) return resume(Effect.void)
          const wake = () => resume(Effect.void)
          idleWaiters.push(wake)
          return Effect.sync(() => {
            idleWaiters = idleWaiters.filter((w) => w !== wake)
          })
        }).pipe(withDeadline(millis)),
      closeAll: (millis) =>
        Effect.suspend(() => {
          for (const cancel of [...statelessRuns]) cancel()
          statelessRuns.clear()
          return Effect.forEach([...sessions.values()], closeSession, { discard: true, concurrency: "unbounded" })
        }).pipe(withDeadline(millis)),
      closeOwner: (owner) =>
        Effect.suspend(() => Effect.forEach([...sessions.values()].filter((s) => s.owner === owner), closeSession, { discard: true }))
    } satisfies Protocol
  })
