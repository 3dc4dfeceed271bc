/**
 * The stdio transport (spec 2025-11-25 basic/transports "stdio"): one
 * JSON-RPC message per line on stdin and stdout, UTF-8, no embedded
 * newlines. Nothing but protocol goes to stdout: Effect logs and
 * `console.log` go to stderr while the server runs.
 *
 * The server ends when stdin closes or when it is interrupted (SIGTERM and
 * SIGINT under `NodeRuntime.runMain`): requests in flight get up to
 * `shutdownTimeout` to finish, then are cancelled, and the process exits.
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 * StdioTransport.run().pipe(Effect.provide(App), NodeRuntime.runMain)
 *
 * @since 0.1.0
 */
import { JsonRpc, McpServer } from "@emcee/core"
import { Duration, Effect, Exit, Logger, Runtime } from "effect"
import { decodeFrame } from "./internal/frame.js"
import * as LineReader from "./internal/lineReader.js"

/** Options of the stdio transport. */
export interface Options {
  readonly stdin?: NodeJS.ReadableStream
  readonly stdout?: NodeJS.WritableStream
  /** Where logs go; default stderr. */
  readonly stderr?: NodeJS.WritableStream
  /** The longest line accepted; longer ones are dropped with a -32700 error. Default 16 MiB. */
  readonly maxMessageBytes?: number
  /** How long in-flight requests may run after stdin closes or shutdown begins. Default 10 s. */
  readonly shutdownTimeout?: Duration.DurationInput
  /** Send `console.log`/`info`/`debug` to stderr while serving. Default true. */
  readonly guardConsole?: boolean
}

/**
 * Writes one message per line, in order. Lines produced in the same turn of
 * the event loop go out in one write (one syscall instead of one per
 * message). When stdout pushes back, `onBlocked` runs (the reader pauses
 * stdin, so no new requests arrive) until it drains (`onDrained`): memory
 * stays bounded however slowly the client reads.
 */
const makeWriter = (out: NodeJS.WritableStream, onBlocked: () => void, onDrained: () => void) => {
  let blocked = false
  let closed = false
  let buffer: Array<string> = []
  let scheduled = false
  out.on("error", () => {
    closed = true
  })
  const flush = () => {
    scheduled = false
    if (closed || buffer.length === 0) return
    const chunk = buffer.length === 1 ? buffer[0]! : buffer.join("")
    buffer = []
    if (!out.write(chunk) && !blocked) {
      blocked = true
      onBlocked()
      const done = () => {
        out.off("drain", done)
        out.off("close", done)
        blocked = false
        onDrained()
      }
      out.on("drain", done)
      out.on("close", done)
    }
  }
  const push = (message: JsonRpc.Message): void => {
    if (closed) return
    buffer.push(JSON.stringify(message) + "\n")
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  return { push, send: (message: JsonRpc.Message): Effect.Effect<void> => Effect.sync(() => push(message)), flush }
}

const stderrLogger = (err: NodeJS.WritableStream) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.map(Logger.logfmtLogger, (line) => {
      err.write(line + "\n")
    })
  )

/**
 * Serves the app's `McpServer` on stdio until stdin closes or the fiber is
 * interrupted, then finishes or cancels what is in flight.
 */
export const run = (options: Options = {}): Effect.Effect<void, never, McpServer.McpServer> => {
  const stdin = options.stdin ?? process.stdin
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const maxBytes = options.maxMessageBytes ?? 16 * 1024 * 1024
  const shutdownTimeout = options.shutdownTimeout ?? Duration.seconds(10)
  return Effect.gen(function*() {
    const server = yield* McpServer.McpServer
    const writer = makeWriter(stdout, () => stdin.pause(), () => stdin.resume())
    const send = writer.send
    if (options.guardConsole ?? true) {
      const saved = { log: console.log, info: console.info, debug: console.debug }
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          console.log = console.info = console.debug = console.error
        }),
        () => Effect.sync(() => Object.assign(console, saved))
      )
    }
    const runtime = yield* Effect.runtime<never>()
    // Each line starts at once, in arrival order, so an initialize is answered
    // before the lines behind it are looked at (spec basic/lifecycle).
    const fork = Runtime.runFork(runtime)
    const runFork = (effect: Effect.Effect<void>) => fork(effect, { immediate: true })
    const connection = yield* server.connect({ send })
    // Runs before the connection's own finalizers: let in-flight requests finish first, then
    // write out what they answered before the process exits.
    yield* Effect.addFinalizer(() =>
      Effect.timeout(connection.drain, shutdownTimeout).pipe(Effect.ignore, Effect.zipRight(Effect.sync(writer.flush)))
    )

    const onExit = (exit: Exit.Exit<JsonRpc.Response>) => {
      // A cancelled request (interrupted) answers nothing (spec basic/utilities/cancellation).
      if (Exit.isSuccess(exit)) writer.push(exit.value)
    }
    const dispatch = (value: unknown) => {
      const classified = JsonRpc.classify(value)
      switch (classified._tag) {
        case "Request":
          // Requests run concurrently, each on a fiber of its own.
          return connection.run(classified.message, runtime, onExit)
        case "Invalid":
          return writer.push(classified.response)
        default:
          // Notifications and responses in order, before the next line is read.
          return void runFork(connection.handle(value).pipe(Effect.asVoid))
      }
    }

    yield* Effect.async<void>((resume) => {
      const reader = LineReader.make({
        maxBytes,
        onLine: (line) => {
          const frame = decodeFrame(line)
          switch (frame._tag) {
            case "Message":
              dispatch(frame.value)
              return
            case "Error":
              writer.push(frame.response)
              return
            case "Empty":
              return
          }
        },
        onOversized: () => {
          writer.push(JsonRpc.failure(null, JsonRpc.ErrorCode.ParseError, `Parse error: message larger than ${maxBytes} bytes`))
        }
      })
      const onData = (chunk: Uint8Array | string) =>
        reader.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk)
      const onEnd = () => {
        reader.end()
        resume(Effect.void)
      }
      stdin.on("data", onData)
      stdin.on("end", onEnd)
      stdin.on("close", onEnd)
      stdin.on("error", onEnd)
      return Effect.sync(() => {
        stdin.off("data", onData)
        stdin.off("end", onEnd)
        stdin.off("close", onEnd)
        stdin.off("error", onEnd)
        stdin.pause()
      })
    })
  }).pipe(Effect.scoped, Effect.provide(stderrLogger(stderr)))
}
