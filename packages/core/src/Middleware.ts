/**
 * Middleware: a typed pipeline around request handling, able to observe,
 * alter and short-circuit requests, and to provide services to what runs
 * behind it (an authenticator provides the caller's `Principal`).
 *
 * Global middleware (registered with `McpServer.register`, or
 * `McpServer.add` at runtime) wraps every request, in the order given.
 * Per-primitive middleware (the `middleware` option of `Tool.make`,
 * `Prompt.make`, `Resource.make` and `ResourceTemplate.make`) wraps one
 * handler, inside the global chain. Each primitive's chain is composed once,
 * when it is registered (and again only when the global middleware changes).
 *
 * `next` is the rest of the chain; not running it short-circuits. The result
 * is the JSON-RPC `result` object; failing with a protocol error answers that
 * JSON-RPC error.
 *
 * A middleware that `provides` services must provide them to `next` (its
 * type requires them), and then discharges them from the requirements of
 * the primitives behind it: registering it globally with `McpServer.register`
 * (in the same call, or as a Layer provided to the registrations) or on a
 * primitive makes a handler that needs `Principal` compile without a Layer
 * for it. At run time the handler sees the middleware's value.
 *
 * @example
 * import { Context, Effect, Schema } from "effect"
 * import { McpError, Middleware } from "@emcee/core"
 *
 * class Principal extends Context.Tag("app/Principal")<Principal, { readonly subject: string }>() {}
 *
 * const auth = Middleware.provide(Principal, {
 *   name: "auth",
 *   get: (request) =>
 *     typeof request.params._meta === "object"
 *       ? Effect.succeed({ subject: "alice" })
 *       : Effect.fail(new McpError.InvalidRequest({ message: "Unauthenticated" }))
 * })
 *
 * @since 0.1.0
 */
import { Cause, type Context, Duration, Effect, FiberRef, LogLevel, Schema } from "effect"
import type { JsonObject, RequestId } from "./JsonRpc.js"
import { describe, InternalError, isProtocolError, type ProtocolError, ServerError } from "./McpError.js"
import type { Request as RequestInfo, RequestContext } from "./RequestContext.js"

/** The primitive a request addresses, when it addresses one. */
export interface Primitive {
  readonly kind: "tool" | "prompt" | "resource"
  readonly name: string
}

/**
 * What middleware sees of a request: the whole `RequestContext` (which is
 * also in its context) and the primitive it addresses.
 */
export interface Request extends RequestInfo {
  /** The JSON-RPC id (the same as `requestId`). */
  readonly id: RequestId
  readonly primitive: Primitive | undefined
}

/** The type id of middleware, carrying its type parameters. */
export const TypeId: unique symbol = Symbol.for("@emcee/core/Middleware")

/** The type of `TypeId`. */
export type TypeId = typeof TypeId

/**
 * One step of the pipeline.
 *
 * - `Provides`: the services it provides to what runs behind it;
 * - `E`: what it fails with besides protocol errors (its declared `failure`);
 * - `R`: what it needs from the app's Layers.
 */
export interface Middleware<out Provides = never, out E = never, out R = never> {
  readonly _tag: "Middleware"
  readonly [TypeId]: {
    readonly _Provides: (_: never) => Provides
    readonly _E: (_: never) => E
    readonly _R: (_: never) => R
  }
  readonly name: string
  /** The tags of the services it provides (`Provides`), for the server to prefer its values over a Layer's. */
  readonly provides: ReadonlyArray<Context.Tag<unknown, unknown>>
  /** The declared failure, answered as described at `make`. */
  readonly failure: Schema.Schema<unknown, unknown> | undefined
  /**
   * Runs the step. Called by the server for every request the middleware
   * wraps; `next` already carries the rest of the chain.
   */
  readonly apply: (request: Request, next: Effect.Effect<JsonObject, ProtocolError>) => Effect.Effect<JsonObject, unknown, unknown>
  /**
   * Whether the caller of a list request may see a primitive this middleware
   * wraps, given the list request's context (where an authenticator's
   * `Principal` is). A primitive is left out of `tools/list`,
   * `prompts/list`, `resources/list` and `resources/templates/list` when a
   * middleware of its chain says false; such lists are then marked
   * `cacheScope: "private"` under 2026-07-28 (spec 2026-07-28
   * server/utilities/caching: the answer depends on the caller).
   */
  readonly visible?: ((context: Context.Context<never>) => boolean) | undefined
}

/** Any middleware, whatever it provides, fails with and needs. */
export type Any = Middleware<unknown, unknown, unknown>

/** What a middleware (or a list of them) provides. */
export type ProvidesOf<M> = M extends Middleware<infer P, infer _E, infer _R> ? P : never

/** What a middleware (or a list of them) needs. */
export type RequirementsOf<M> = M extends Middleware<infer _P, infer _E, infer R> ? R : never

/** A Schema for a middleware's declared failure: encodes to JSON, needs no services. */
export type FailureSchema = Schema.Schema.AnyNoContext

/** A service tag, as `provides` lists them (`Context.Tag`s and `Context.Tag` classes). */
export interface ServiceTag {
  readonly key: string
  readonly Identifier: unknown
}

/** The services the tags stand for. */
export type Identifiers<Tags extends ReadonlyArray<ServiceTag>> = Tags[number]["Identifier"]

/** The options form of `make`. */
export interface MakeOptions<
  Tags extends ReadonlyArray<ServiceTag>,
  F extends FailureSchema,
  R
> {
  readonly name: string
  /** The services `apply` provides to `next`. */
  readonly provides: Tags
  /** What it fails with besides protocol errors. */
  readonly failure?: F
  readonly apply: (
    request: Request,
    next: Effect.Effect<JsonObject, ProtocolError, Identifiers<Tags>>
  ) => Effect.Effect<JsonObject, ProtocolError | Schema.Schema.Type<F>, R>
  /** See `Middleware.visible`. */
  readonly visible?: ((context: Context.Context<never>) => boolean) | undefined
}

/** The options form of `make` for a middleware that provides nothing. */
export interface StepOptions<F extends FailureSchema, R> {
  readonly name: string
  readonly provides?: undefined
  /** What it fails with besides protocol errors. */
  readonly failure?: F
  readonly apply: (
    request: Request,
    next: Effect.Effect<JsonObject, ProtocolError>
  ) => Effect.Effect<JsonObject, ProtocolError | Schema.Schema.Type<F>, R>
  /** See `Middleware.visible`. */
  readonly visible?: ((context: Context.Context<never>) => boolean) | undefined
}

/**
 * Defines a middleware, by name and step (it provides nothing and fails only
 * with protocol errors) or by options.
 *
 * A failure of the declared `failure` type is answered as a JSON-RPC error
 * with code -32000 (the JSON-RPC range for implementation-defined server
 * errors), its readable text (`Tag: message`) as the message and the failure
 * encoded by the schema as `data`. A protocol error is answered with its own
 * code. Anything else is a defect: -32603, logged, its text never sent.
 * Middleware runs with `RequestContext` in its context.
 */
export function make<R = never>(
  name: string,
  apply: (request: Request, next: Effect.Effect<JsonObject, ProtocolError>) => Effect.Effect<JsonObject, ProtocolError, R>
): Middleware<never, never, Exclude<R, RequestContext>>
export function make<const Tags extends ReadonlyArray<ServiceTag>, F extends FailureSchema = never, R = never>(
  options: MakeOptions<Tags, F, R>
): Middleware<Identifiers<Tags>, Schema.Schema.Type<F>, Exclude<R, RequestContext>>
export function make<F extends FailureSchema = never, R = never>(
  options: StepOptions<F, R>
): Middleware<never, Schema.Schema.Type<F>, Exclude<R, RequestContext>>
export function make(
  nameOrOptions: string | MakeOptions<ReadonlyArray<Context.Tag<unknown, unknown>>, FailureSchema, unknown> | StepOptions<FailureSchema, unknown>,
  step?: (request: Request, next: Effect.Effect<JsonObject, ProtocolError>) => Effect.Effect<JsonObject, unknown, unknown>
): Any {
  const options = (typeof nameOrOptions === "string" ? { name: nameOrOptions, apply: step! } : nameOrOptions) as StepOptions<
    FailureSchema,
    unknown
  > & { readonly provides?: ReadonlyArray<Context.Tag<unknown, unknown>> }
  return {
    _tag: "Middleware",
    [TypeId]: variance,
    name: options.name,
    provides: options.provides ?? [],
    failure: options.failure as Schema.Schema<unknown, unknown> | undefined,
    apply: options.apply as Any["apply"],
    visible: options.visible
  }
}

const variance: Any[TypeId] = { _Provides: (_) => _, _E: (_) => _, _R: (_) => _ }

/**
 * A middleware that provides one service, the common shape of an
 * authenticator: `get` computes the value for the request (or fails, and the
 * request is answered with that failure), and the handlers behind it see it.
 */
export const provide = <I, S, F extends FailureSchema = never, R = never>(
  tag: Context.Tag<I, S>,
  options: {
    readonly name: string
    readonly failure?: F
    readonly get: (request: Request) => Effect.Effect<S, ProtocolError | Schema.Schema.Type<F>, R>
  }
): Middleware<I, Schema.Schema.Type<F>, Exclude<R, RequestContext>> =>
  make({
    name: options.name,
    provides: [tag],
    ...(options.failure === undefined ? {} : { failure: options.failure }),
    apply: (request, next) => Effect.flatMap(options.get(request), (value) => Effect.provideService(next, tag, value))
  }) as unknown as Middleware<I, Schema.Schema.Type<F>, Exclude<R, RequestContext>>

/** The JSON-RPC code of a declared middleware failure: the implementation-defined server-error range. */
export const failureCode = -32000

/**
 * The protocol error a declared failure of `middleware` is answered with:
 * -32000, its readable text (`Tag: message`) and the failure encoded by the
 * schema as `data`. Undefined for anything that is not a declared failure.
 */
export const declaredFailure = (middleware: Any, error: unknown): ServerError | undefined => {
  if (isProtocolError(error) || middleware.failure === undefined || !Schema.is(middleware.failure)(error)) return undefined
  const encoded = Schema.encodeEither(middleware.failure)(error)
  return new ServerError(
    encoded._tag === "Right"
      ? { code: failureCode, message: describe(error), data: encoded.right }
      : { code: failureCode, message: describe(error) }
  )
}

const describeRequest = (request: Request): string =>
  request.primitive === undefined ? request.method : `${request.method} ${request.primitive.name}`

/**
 * Logs every request with its outcome and duration through Effect's logger
 * (which a stdio server sends to stderr, never stdout), annotated with
 * `mcp.method` and `jsonrpc.request.id`: successes and cancellations at
 * debug level, failures as warnings. A line the minimum log level filters
 * out is never built, so a production server at `Info` pays one check per
 * request.
 */
export const logging: Middleware = make("logging", (request, next) =>
  Effect.withFiberRuntime((fiber) => {
    const minimum = fiber.getFiberRef(FiberRef.currentMinimumLogLevel)
    const debug = LogLevel.greaterThanEqual(LogLevel.Debug, minimum)
    const warning = LogLevel.greaterThanEqual(LogLevel.Warning, minimum)
    if (!debug && !warning) return next
    const start = performance.now()
    const line = (outcome: string) => `${describeRequest(request)} ${outcome} ${(performance.now() - start).toFixed(2)}ms`
    const annotate = Effect.annotateLogs({ "mcp.method": request.method, "jsonrpc.request.id": String(request.id) })
    return Effect.onExit(next, (exit) =>
      exit._tag === "Success"
        ? debug ? annotate(Effect.logDebug(line("ok in"))) : Effect.void
        : Cause.isInterruptedOnly(exit.cause)
        ? debug ? annotate(Effect.logDebug(line("cancelled after"))) : Effect.void
        : warning
        ? annotate(Effect.logWarning(line("failed in"), Cause.squash(exit.cause)))
        : Effect.void)
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
): Middleware<never, never, Exclude<R, RequestContext>> =>
  make("mapError", (request, next) => Effect.catchAll(next, (error) => f(error, request)))
