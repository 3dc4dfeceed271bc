/**
 * Middleware: a typed pipeline around request handling, able to observe,
 * alter and short-circuit. Global middleware (registered with
 * `McpServer.register`, or `McpServer.add` at runtime) wraps every request;
 * per-primitive middleware (the `middleware` option of `Tool.make` and
 * `Prompt.make`) wraps one handler, inside the global chain.
 *
 * `next` is the rest of the chain; not running it short-circuits. The result
 * is the JSON-RPC `result` object; failing with a protocol error answers a
 * JSON-RPC error.
 *
 * @since 0.1.0
 */
import { Cause, Duration, Effect } from "effect"
import type { JsonObject, RequestId } from "./JsonRpc.js"
import { InternalError, type ProtocolError } from "./McpError.js"
import type { ClientSession } from "./ClientSession.js"

/** The primitive a request addresses, when it addresses one. */
export interface Primitive {
  readonly kind: "tool" | "prompt" | "resource"
  readonly name: string
}

/** What middleware sees of a request. */
export interface Request {
  readonly id: RequestId
  readonly method: string
  readonly params: JsonObject
  readonly primitive: Primitive | undefined
  readonly session: ClientSession
}

/** One step of the pipeline; `R` is what it needs from the app's Layers. */
export interface Middleware<out R = never> {
  readonly _tag: "Middleware"
  readonly name: string
  readonly apply: (
    request: Request,
    next: Effect.Effect<JsonObject, ProtocolError>
  ) => Effect.Effect<JsonObject, ProtocolError, R>
}

/** Defines a middleware. */
export const make = <R = never>(
  name: string,
  apply: Middleware<R>["apply"]
): Middleware<R> => ({ _tag: "Middleware", name, apply })

/** Runs `handler` through `middleware`, outermost first. */
export const compose = <R>(
  middleware: ReadonlyArray<Middleware<R>>,
  request: Request,
  handler: Effect.Effect<JsonObject, ProtocolError>
): Effect.Effect<JsonObject, ProtocolError, R> => {
  let effect: Effect.Effect<JsonObject, ProtocolError, R> = handler
  for (let i = middleware.length - 1; i >= 0; i--) {
    effect = middleware[i]!.apply(request, effect as Effect.Effect<JsonObject, ProtocolError>)
  }
  return effect
}

const describeRequest = (request: Request): string =>
  request.primitive === undefined ? request.method : `${request.method} ${request.primitive.name}`

/**
 * Logs every request with its outcome and duration through Effect's logger
 * (which a stdio server sends to stderr, never stdout).
 */
export const logging: Middleware = make("logging", (request, next) =>
  Effect.suspend(() => {
    const start = performance.now()
    const elapsed = () => `${(performance.now() - start).toFixed(2)}ms`
    return next.pipe(
      Effect.tap(() => Effect.logDebug(`${describeRequest(request)} ok in ${elapsed()}`)),
      Effect.tapErrorCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.logDebug(`${describeRequest(request)} cancelled after ${elapsed()}`)
          : Effect.logWarning(`${describeRequest(request)} failed in ${elapsed()}`, Cause.squash(cause))
      ),
      Effect.annotateLogs({ "mcp.method": request.method, "jsonrpc.request.id": String(request.id) })
    )
  }))

/**
 * Interrupts a handler that runs longer than `duration` and answers -32603
 * saying so. The handler's finalizers run.
 */
export const timeout = (duration: Duration.DurationInput): Middleware => {
  const millis = Duration.toMillis(duration)
  return make("timeout", (request, next) =>
    next.pipe(
      Effect.timeoutFail({
        duration,
        onTimeout: () => new InternalError({ message: `${describeRequest(request)} timed out after ${millis} ms` })
      })
    ))
}

/**
 * Maps protocol errors on their way out: rewrite a message, change a code, or
 * recover with a result.
 */
export const mapError = <R = never>(
  f: (error: ProtocolError, request: Request) => Effect.Effect<JsonObject, ProtocolError, R>
): Middleware<R> => make("mapError", (request, next) => Effect.catchAll(next, (error) => f(error, request)))
