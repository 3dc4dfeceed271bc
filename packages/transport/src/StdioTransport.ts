/**
 * The stdio transport (spec 2025-11-25 basic/transports "stdio"): one
 * JSON-RPC message per line on stdin and stdout, UTF-8, no embedded
 * newlines; a UTF-8 byte order mark before a message is ignored. Nothing but
 * protocol goes to stdout: Effect logs and `console.log` go to stderr while
 * the server runs.
 *
 * The server ends when stdin closes, when stdout closes (the client is gone,
 * e.g. EPIPE) or when it is interrupted (SIGTERM and SIGINT under
 * `NodeRuntime.runMain`). Then:
 *
 * 1. New requests are answered at once with a -32603 error ("the server is
 *    shutting down"). While stdin is still open (a signal) it is still read,
 *    so the client can answer the server's own requests (elicitation,
 *    sampling, roots) and cancel its requests. Once stdin has closed, the
 *    server's requests to the client fail at once with
 *    `McpError.ConnectionClosed` (nobody can answer them).
 * 2. Requests in flight get up to `shutdownTimeout` to finish.
 * 3. Past it they are interrupted, and each is answered with a -32603 error
 *    "the server shut down before the request finished": every request gets
 *    exactly one response. Only a request the client cancelled
 *    (`notifications/cancelled`, spec basic/utilities/cancellation) gets none.
 * 4. What was written is flushed before the program completes (a pipe is
 *    asynchronous, and `runMain` exits at once after a signal): shutdown
 *    waits for stdout to take every byte, until the deadline or for one
 *    second, whichever is later. So no line is cut short unless the client
 *    stops reading for longer than that, and the process ends at most about
 *    `shutdownTimeout` + 1.25 s after shutdown begins.
 *
 * A signal, the end of stdin or a closed stdout is a clean end: the program
 * completes (exit code 0 under `NodeRuntime.runMain`). A request whose
 * handler throws or whose response cannot be serialized is answered with
 * -32603 and the server keeps serving.
 *
 * An app's fatal errors (a Layer that fails to build) happen outside `run`:
 * `NodeRuntime.runMain` would report them with `console.log`, on stdout.
 * Report them on stderr instead (the everything example's `main.ts` does).
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 * StdioTransport.run().pipe(Effect.provide(App), NodeRuntime.runMain)
 *
 * `runConfig()` reads the options from Effect `Config` (environment
 * variables by default), every key optional: `STDIO_MAX_MESSAGE_BYTES`,
 * `STDIO_SHUTDOWN_TIMEOUT` (`10s`, `500ms`, `2m` or `10 seconds`) and
 * `STDIO_GUARD_CONSOLE` (true/false), under a prefix given to
 * `config(prefix)` (`config("MCP")` reads `MCP_STDIO_SHUTDOWN_TIMEOUT`).
 *
 * @since 0.1.0
 */
import { JsonRpc, McpServer } from "@emcee/core"
import {
  Cause,
  Config,
  type ConfigError,
  type Context,
  Deferred,
  Duration,
  Effect,
  ExecutionStrategy,
  Exit,
  Runtime,
  Scope
} from "effect"
import { decodeFrame } from "./Frame.js"
import * as C from "./internal/config.js"
import { withDeadline } from "./internal/deadline.js"
import { withStderrLogger } from "./internal/stderrLogger.js"
import * as LineReader from "./internal/lineReader.js"

/** Options of the stdio transport. */
export interface Options {
  readonly stdin?: NodeJS.ReadableStream
  readonly stdout?: NodeJS.WritableStream
  /** Where logs go; default stderr. */
  readonly stderr?: NodeJS.WritableStream
  /** The longest line accepted; longer ones are dropped with a -32700 error. Default 16 MiB. */
  readonly maxMessageBytes?: number
  /**
   * How long in-flight requests may run after stdin closes or shutdown
   * begins; then they are interrupted and answered with an error. Default 10 s.
   */
  readonly shutdownTimeout?: Duration.DurationInput
  /** Send `console.log`/`info`/`debug` to stderr while serving. Default true. */
  readonly guardConsole?: boolean
  /**
   * Services every request of the session sees: the caller authenticated
   * from the environment (spec basic/authorization: stdio servers "retrieve
   * credentials from the environment"; `@emcee/auth`
   * `Authentication.environmentContext`).
   */
  readonly context?: Context.Context<never>
}

/** How long interrupted requests may take to stop, past the deadline. */
const interruptGraceMillis = 250
/** How long output may take to flush once the deadline has passed. */
const flushGraceMillis = 1_000

/** The message of a request interrupted by the shutdown deadline. */
const shutDownMessage = "Internal error: the server shut down before the request finished"
/** The message of a request that arrived after shutdown began. */
const shuttingDownMessage = "Internal error: the server is shutting down"

/**
 * Writes one message per line, in order. Lines produced in the same turn of
 * the event loop go out in one write (one syscall instead of one per
 * message). When stdout pushes back, `onBlocked` runs (the reader pauses
 * stdin, so no new requests arrive) until it drains (`onDrained`): memory
 * stays bounded however slowly the client reads.
 *
 * Never throws: a message is serialized with `JsonRpc.encode` (a response
 * that cannot be serialized becomes -32603 with its id). When stdout fails
 * (EPIPE: the client is gone) writing stops and `onClosed` runs once.
 */
const makeWriter = (
  out: NodeJS.WritableStream,
  handlers: { readonly onBlocked: () => void; readonly onDrained: () => void; readonly onClosed: () => void; readonly onDropped: () => void }
) => {
  let blocked = false
  let closed = false
  let buffer: Array<string> = []
  let scheduled = false
  /** Writes handed to `out` whose callback has not run yet. */
  let unflushed = 0
  let flushWaiters: Array<() => void> = []
  const settle = () => {
    if (unflushed > 0 && !closed) return
    const waiters = flushWaiters
    flushWaiters = []
    for (const waiter of waiters) waiter()
  }
  const close = () => {
    if (closed) return
    closed = true
    buffer = []
    settle()
    handlers.onClosed()
  }
  out.on("error", close)
  const written = (error?: Error | null) => {
    unflushed--
    if (error !== undefined && error !== null) close()
    else settle()
  }
  const flush = () => {
    scheduled = false
    if (closed || buffer.length === 0) return
    const chunk = buffer.length === 1 ? buffer[0]! : buffer.join("")
    buffer = []
    unflushed++
    let accepted: boolean
    try {
      accepted = out.write(chunk, written)
    } catch {
      // A destroyed stream may throw instead of emitting "error".
      unflushed--
      return close()
    }
    if (!accepted && !blocked) {
      blocked = true
      handlers.onBlocked()
      const done = () => {
        out.off("drain", done)
        out.off("close", done)
        blocked = false
        handlers.onDrained()
      }
      out.on("drain", done)
      out.on("close", done)
    }
  }
  const push = (message: JsonRpc.Message): void => {
    if (closed) return
    const line = JsonRpc.encode(message)
    if (line === undefined) return handlers.onDropped()
    buffer.push(line + "\n")
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  /** Writes out what is buffered and resumes once stdout has taken every byte (or closed). */
  const flushed = Effect.async<void>((resume) => {
    flush()
    if (closed || unflushed === 0) return resume(Effect.void)
    const waiter = () => resume(Effect.void)
    flushWaiters.push(waiter)
    return Effect.sync(() => {
      flushWaiters = flushWaiters.filter((w) => w !== waiter)
    })
  })
  return {
    push,
    send: (message: JsonRpc.Message): Effect.Effect<void> => Effect.sync(() => push(message)),
    flushed,
    isClosed: () => closed
  }
}

/** A request the transport has passed on and not answered yet. */
interface Pending {
  readonly id: JsonRpc.RequestId
  /** The client sent `notifications/cancelled` for it. */
  cancelled: boolean
}

const cancelledId = (value: unknown): JsonRpc.RequestId | undefined => {
  const params = (value as { readonly params?: { readonly requestId?: unknown } }).params
  const id = typeof params === "object" && params !== null ? params.requestId : undefined
  return typeof id === "string" || typeof id === "number" ? id : undefined
}

/**
 * Serves the app's `McpServer` on stdio until stdin closes, stdout closes or
 * the fiber is interrupted, then finishes or cancels what is in flight
 * within `shutdownTimeout` and flushes stdout (see the module comment).
 */
export const run = (options: Options = {}): Effect.Effect<void, never, McpServer.McpServer> => {
  const stdin = options.stdin ?? process.stdin
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const maxBytes = options.maxMessageBytes ?? 16 * 1024 * 1024
  const shutdownMillis = Duration.toMillis(Duration.decode(options.shutdownTimeout ?? Duration.seconds(10)))
  return Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const scope = yield* Effect.scope
    const runtime = yield* Effect.runtime<never>()
    const logError = (message: string, error?: unknown) => {
      try {
        Runtime.runSync(runtime)(error === undefined ? Effect.logError(message) : Effect.logError(message, Cause.die(error)))
      } catch {
        // Logging must not take the server down either.
      }
    }

    /** "serving" until shutdown begins; "draining" until the deadline; then "stopped". */
    let phase: "serving" | "draining" | "stopped" = "serving"
    /** When shutdown may stop waiting for output to flush; set when shutdown begins. */
    let flushUntil: number | undefined
    /** Completes when the client has gone: stdin ended or stdout closed. */
    const ended = yield* Deferred.make<void>()
    let clientGone = () => Deferred.unsafeDone(ended, Exit.void)
    let reading = true
    const writer = makeWriter(stdout, {
      onBlocked: () => stdin.pause(),
      onDrained: () => {
        if (reading) stdin.resume()
      },
      // Nobody reads our answers any more (EPIPE): stop as if stdin had closed.
      onClosed: () => clientGone(),
      onDropped: () => logError("stdio: dropped a message that could not be serialized")
    })

    if (options.guardConsole ?? true) {
      const saved = { log: console.log, info: console.info, debug: console.debug }
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          console.log = console.info = console.debug = console.error
        }),
        () => Effect.sync(() => Object.assign(console, saved))
      )
    }
    // Finalizers run last-added first. This one runs last: whatever was written reaches stdout
    // before the process may exit (`runMain` exits right after a signal; a pipe is asynchronous).
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const budget = Math.max((flushUntil ?? 0) - performance.now(), flushGraceMillis)
        return writer.flushed.pipe(withDeadline(budget), Effect.ignore)
      })
    )

    // The connection in a scope of its own, closed at the deadline: closing it interrupts the
    // requests still running. Each line starts at once, in arrival order, so an initialize is
    // answered before the lines behind it are looked at (spec basic/lifecycle).
    const connectionScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
    const connection = yield* server.connect(options.context === undefined ? { send: writer.send } : { send: writer.send, context: options.context })
      .pipe(Scope.extend(connectionScope))
    const fork = Runtime.runFork(runtime)
    const runFork = (effect: Effect.Effect<void>) => fork(effect, { immediate: true })
    let gone = false
    clientGone = () => {
      if (gone) return
      gone = true
      Deferred.unsafeDone(ended, Exit.void)
      // The client can no longer answer the server's requests: they fail now, not at their timeout.
      runFork(connection.endInput)
    }

    // Requests passed on and not answered yet: by id for `notifications/cancelled`, and all of
    // them (ids may repeat) for the answers owed at the end.
    const open = new Set<Pending>()
    const byId = new Map<JsonRpc.RequestId, Pending>()
    let onIdle: (() => void) | undefined
    const answer = (pending: Pending, response: JsonRpc.Response | undefined) => {
      if (!open.delete(pending)) return
      if (byId.get(pending.id) === pending) byId.delete(pending.id)
      if (response !== undefined) writer.push(response)
      if (open.size === 0) onIdle?.()
    }
    /** Waits until every request passed on has been answered. */
    const drained = Effect.async<void>((resume) => {
      if (open.size === 0) return resume(Effect.void)
      onIdle = () => {
        onIdle = undefined
        resume(Effect.void)
      }
      return Effect.sync(() => {
        onIdle = undefined
      })
    })
    const failure = (id: JsonRpc.RequestId, message: string) => JsonRpc.failure(id, JsonRpc.ErrorCode.InternalError, message)

    const dispatch = (value: unknown) => {
      const classified = JsonRpc.classify(value)
      switch (classified._tag) {
        case "Request": {
          const request = classified.message
          if (phase !== "serving") return writer.push(failure(request.id, shuttingDownMessage))
          const pending: Pending = { id: request.id, cancelled: false }
          open.add(pending)
          if (!byId.has(request.id)) byId.set(request.id, pending)
          const onExit = (exit: Exit.Exit<JsonRpc.Response>) => {
            try {
              if (Exit.isSuccess(exit)) return answer(pending, exit.value)
              // spec basic/utilities/cancellation: a request the client cancelled gets no response.
              // Any other interruption (the shutdown deadline, the handler's own) is answered.
              if (pending.cancelled) return answer(pending, undefined)
              if (!Cause.isInterruptedOnly(exit.cause)) {
                logError(`stdio: ${request.method} failed`, Cause.squash(exit.cause))
                return answer(pending, failure(request.id, "Internal error"))
              }
              answer(pending, failure(request.id, phase === "serving" ? "Internal error: the request was interrupted" : shutDownMessage))
            } catch (e) {
              logError("stdio: answering a request failed", e)
              answer(pending, failure(request.id, "Internal error"))
            }
          }
          try {
            // Requests run concurrently, each on a fiber of its own.
            connection.run(request, runtime, onExit)
          } catch (e) {
            logError(`stdio: ${request.method} threw`, e)
            answer(pending, failure(request.id, "Internal error"))
          }
          return
        }
        case "Invalid":
          return writer.push(classified.response)
        case "Notification":
          if (classified.message.method === "notifications/cancelled") {
            const id = cancelledId(classified.message)
            const pending = id === undefined ? undefined : byId.get(id)
            if (pending !== undefined) pending.cancelled = true
          }
          // Notifications and responses in order, before the next line is read.
          return void runFork(connection.handle(value).pipe(Effect.asVoid))
        case "Response":
          return void runFork(connection.handle(value).pipe(Effect.asVoid))
      }
    }

    const reader = LineReader.make({
      maxBytes,
      onLine: (line) => {
        try {
          const frame = decodeFrame(line)
          switch (frame._tag) {
            case "Message":
              return dispatch(frame.value)
            case "Error":
              return writer.push(frame.response)
            case "Empty":
              return
          }
        } catch (e) {
          // Never out into the event loop: that would end the process and lose what is queued.
          logError("stdio: handling a line failed", e)
        }
      },
      onOversized: () => {
        writer.push(JsonRpc.failure(null, JsonRpc.ErrorCode.ParseError, `Parse error: message larger than ${maxBytes} bytes`))
      }
    })
    const onData = (chunk: Uint8Array | string) => reader.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk)
    let stdinOpen = true
    const onEnd = () => {
      if (!stdinOpen) return
      stdinOpen = false
      reader.end()
      clientGone()
    }
    // stdin is read until the very end, through the drain: the client may still answer or cancel.
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        stdin.on("data", onData)
        stdin.on("end", onEnd)
        stdin.on("close", onEnd)
        stdin.on("error", onEnd)
      }),
      () =>
        Effect.sync(() => {
          reading = false
          stdin.off("data", onData)
          stdin.off("end", onEnd)
          stdin.off("close", onEnd)
          stdin.off("error", onEnd)
          stdin.pause()
        })
    )

    // Runs first, whether stdin ended, stdout closed or the fiber was interrupted.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const deadline = performance.now() + shutdownMillis
        flushUntil = deadline
        phase = "draining"
        // Finalizers are uninterruptible: `withDeadline` lets the deadline fire all the same.
        yield* drained.pipe(withDeadline(shutdownMillis), Effect.ignore)
        if (open.size > 0) {
          phase = "stopped"
          yield* Effect.logWarning(`stdio: shutdown deadline (${shutdownMillis} ms) passed; cancelling ${open.size} request(s) in flight`)
          // Closing the connection interrupts what still runs; a request that does not stop in
          // time (an uninterruptible handler) is left behind, answered below.
          yield* Scope.close(connectionScope, Exit.void).pipe(withDeadline(interruptGraceMillis))
          for (const pending of [...open]) answer(pending, pending.cancelled ? undefined : failure(pending.id, shutDownMessage))
        }
      })
    )

    yield* Deferred.await(ended)
  }).pipe(Effect.scoped, withStderrLogger(stderr))
}

/**
 * The options read from `Config` (environment variables by default), every
 * key optional with the defaults of `Options`: `MAX_MESSAGE_BYTES`,
 * `SHUTDOWN_TIMEOUT`, `GUARD_CONSOLE` under `STDIO`, itself under `prefix`
 * when given. The streams are not configuration: add them with `Config.map`.
 */
export const config = (prefix?: string): Config.Config<Options> =>
  C.options({
    maxMessageBytes: C.optional(C.integer("MAX_MESSAGE_BYTES", 1)),
    shutdownTimeout: C.optional(C.duration("SHUTDOWN_TIMEOUT")),
    guardConsole: C.optional(Config.boolean("GUARD_CONSOLE"))
  }, "STDIO", prefix)

/** `run` with its options read from `options` (default `config()`); a bad value fails with a `ConfigError` naming the key. */
export const runConfig = (
  options: Config.Config<Options> = config()
): Effect.Effect<void, ConfigError.ConfigError, McpServer.McpServer> => Effect.flatMap(options, run)
