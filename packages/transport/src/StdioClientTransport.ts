/**
 * The client side of stdio (spec 2025-11-25 basic/transports "stdio"): the
 * client launches the server as a child process and exchanges
 * newline-delimited JSON-RPC messages on its stdin/stdout; the server's
 * stderr is passed through (or captured) as logging.
 *
 * Closing the scope shuts the server down as spec basic/lifecycle "Shutdown"
 * (stdio) says: close its stdin, wait, then SIGTERM, then SIGKILL.
 *
 * @example
 * import { Effect } from "effect"
 * import { McpClient } from "@emcee/core"
 * import { StdioClientTransport } from "@emcee/transport"
 *
 * const program = Effect.gen(function*() {
 *   const transport = yield* StdioClientTransport.make({ command: "node", args: ["server.js"] })
 *   const client = yield* McpClient.make({ transport, clientInfo: { name: "cli", version: "1.0.0" } })
 *   return yield* client.listAllTools()
 * }).pipe(Effect.scoped)
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { JsonRpc, McpClient } from "@emcee/core"
import { Effect, Exit, Mailbox, type Scope } from "effect"
import { decodeFrame } from "./Frame.js"
import * as LineReader from "./internal/lineReader.js"

/** Options of `make`. */
export interface Options {
  readonly command: string
  readonly args?: ReadonlyArray<string>
  /** The child's environment; default the parent's. */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly cwd?: string
  /** The child's stderr: passed to ours ("inherit", default), kept for `stderr()` ("pipe"), or dropped ("ignore"). */
  readonly stderr?: "inherit" | "pipe" | "ignore"
  /** The longest line accepted from the server; longer ones are dropped. Default 16 MiB. */
  readonly maxMessageBytes?: number
  /** How long to wait after closing stdin, and again after SIGTERM. Default 2000 ms each. */
  readonly shutdownTimeoutMillis?: number
}

/** A stdio client transport. */
export interface StdioClientTransport extends McpClient.ClientTransport {
  readonly pid: number | undefined
  /** What the server wrote to stderr so far (with `stderr: "pipe"`; at most the last 64 KiB). */
  readonly stderr: () => string
}

const MAX_STDERR = 64 * 1024

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** Spawns the server for the life of the scope; fails when it cannot be started. */
export const make = (options: Options): Effect.Effect<StdioClientTransport, McpClient.TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const mailbox = yield* Mailbox.make<JsonRpc.Message, McpClient.TransportError>()
    const graceMillis = options.shutdownTimeoutMillis ?? 2000
    let stderrText = ""
    let stopping = false

    const waitExit = (child: ChildProcess, millis: number) =>
      Effect.async<boolean>((resume) => {
        if (exited(child)) return resume(Effect.succeed(true))
        const timer = setTimeout(() => resume(Effect.succeed(false)), millis)
        child.once("close", () => {
          clearTimeout(timer)
          resume(Effect.succeed(true))
        })
      })

    const child = yield* Effect.acquireRelease(
      Effect.async<ChildProcess, McpClient.TransportError>((resume) => {
        const proc = spawn(options.command, [...(options.args ?? [])], {
          ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
          env: options.env === undefined ? process.env : { ...options.env },
          stdio: ["pipe", "pipe", options.stderr ?? "inherit"]
        })
        proc.once("error", (error) =>
          resume(Effect.fail(new McpClient.TransportError({ message: `Cannot start ${options.command}: ${error.message}` }))))
        proc.once("spawn", () => resume(Effect.succeed(proc)))
      }),
      // spec basic/lifecycle "Shutdown" (stdio): close stdin, wait; SIGTERM, wait; SIGKILL.
      (proc) =>
        Effect.gen(function*() {
          stopping = true
          proc.stdin?.end()
          if (yield* waitExit(proc, graceMillis)) return
          proc.kill("SIGTERM")
          if (yield* waitExit(proc, graceMillis)) return
          proc.kill("SIGKILL")
          yield* waitExit(proc, graceMillis)
        }).pipe(Effect.zipRight(mailbox.end))
    )

    const reader = LineReader.make({
      maxBytes: options.maxMessageBytes ?? 16 * 1024 * 1024,
      onLine: (line) => {
        const frame = decodeFrame(line)
        if (frame._tag !== "Message") return
        const classified = JsonRpc.classify(frame.value)
        if (classified._tag !== "Invalid") mailbox.unsafeOffer(classified.message)
      },
      onOversized: () => {}
    })
    child.stdout?.on("data", (chunk: Buffer) => reader.push(chunk))
    child.stderr?.on("data", (chunk: Buffer) => {
      stderrText = (stderrText + chunk.toString("utf8")).slice(-MAX_STDERR)
    })
    child.stdin?.on("error", () => {})
    child.once("close", (code, signal) => {
      reader.end()
      if (stopping || code === 0) mailbox.unsafeDone(Exit.void)
      else {
        mailbox.unsafeDone(Exit.fail(new McpClient.TransportError({ message: `The server exited with ${signal === null ? `code ${code}` : signal}` })))
      }
    })

    const send = (message: JsonRpc.Message): Effect.Effect<void, McpClient.TransportError> =>
      Effect.async<void, McpClient.TransportError>((resume) => {
        const stdin = child.stdin
        if (stdin === null || !stdin.writable || exited(child)) {
          return resume(Effect.fail(new McpClient.TransportError({ message: "The server process is not running" })))
        }
        // spec basic/transports "stdio": one message per line, no embedded newlines (JSON.stringify escapes them).
        stdin.write(JSON.stringify(message) + "\n", (error) =>
          resume(error === undefined || error === null ? Effect.void : Effect.fail(new McpClient.TransportError({ message: `Writing to the server failed: ${error.message}` }))))
      })

    return { send, incoming: Mailbox.toStream(mailbox), pid: child.pid, stderr: () => stderrText } satisfies StdioClientTransport
  })
