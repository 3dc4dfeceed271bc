/**
 * One Streamable HTTP endpoint serving one MCP server per tenant
 * (`HttpTenancy`), as a `Protocol` the node:http adapter drives like the
 * single-server engine.
 *
 * Each tenant gets its own protocol engine (`httpProtocol.make`) on its own
 * server, so sessions, streams and notifications are separate by
 * construction: a session id is looked up only in the engine of the tenant
 * the credential selects. This front runs the checks that come before the
 * guard (Origin, Host, preflight), the guard itself, and hands the request to
 * the tenant's engine, whose own guard returns the front's verdict.
 *
 * Speed: a request whose credential is verified (a synchronous verdict) to a
 * tenant whose engine is running costs a Map lookup over the single-server
 * path; the engine is built (and the verdict awaited) only otherwise.
 */
import { JsonRpc } from "@emcee/core"
import { Cause, Effect, ExecutionStrategy, Exit, Layer, Runtime, Scope, Stream } from "effect"
import type * as EventStore from "../EventStore.js"
import * as HttpGuard from "../HttpGuard.js"
import type * as HttpTenancy from "../HttpTenancy.js"
import { withDeadline } from "./deadline.js"
import * as Protocol from "./httpProtocol.js"
import { CORS_EXPOSED, deny, fail, TRANSPORT_ERROR } from "./httpProtocol.js"
import { millis } from "./millis.js"

/** A tenant's running engine. */
interface Engine {
  readonly tenant: string
  readonly protocol: Protocol.Protocol
  readonly scope: Scope.CloseableScope
  lastUsed: number
  /** Taken out of service: requests that still hold it look the tenant up again. */
  released: boolean
}

/** What became of a request that had to wait (for its verdict, or for its tenant's engine). */
type Outcome =
  | { readonly _tag: "Enter"; readonly engine: Engine; readonly allow: HttpGuard.Allow }
  | { readonly _tag: "Answer"; readonly answer: (reply: Protocol.Reply) => void }

/** Attempts at finding a tenant's engine in service while it is being released under a waiting request. */
const MAX_ATTEMPTS = 3

const answer = (write: (reply: Protocol.Reply) => void): Outcome => ({ _tag: "Answer", answer: write })

const unavailable = answer((reply) =>
  fail(reply, 503, TRANSPORT_ERROR, "Service Unavailable: the server is shutting down", { connection: "close" })
)

/** An inner engine asked for a verdict it was not handed: never happens, refused rather than let in. */
const NO_VERDICT: HttpGuard.Deny = { _tag: "Deny", status: 500, headers: {}, body: undefined }

/** Builds the multi-tenant front for the life of the scope. */
export const make = (
  tenancy: HttpTenancy.HttpTenancy,
  options: Protocol.Options,
  store: EventStore.Service,
  shutdownMillis: number
): Effect.Effect<Protocol.Protocol, never, Scope.Scope> =>
  Effect.gen(function*() {
    const parent = yield* Effect.scope
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    const runCallback = Runtime.runCallback(runtime)
    const guard = tenancy.guard
    const idleMillis = millis(tenancy.idleTimeToLive, 5 * 60_000)

    // The engines' guard: the front's verdict for the request being handed over (engines ask
    // for it synchronously in `begin`, the only place they do).
    let current: HttpGuard.Allow | undefined
    const inner: HttpGuard.HttpGuard = { check: () => current ?? NO_VERDICT, errorStatus: guard.errorStatus }
    // The front checked Origin and Host (and set the CORS headers) already.
    const engineOptions: Protocol.Options = { ...options, allowedHosts: undefined, allowOrigin: undefined, guard: inner }

    const engines = new Map<string, Engine>()
    const building = new Map<string, Promise<Engine>>()
    /** The engine serving each POST handed over (to route its body). */
    const owners = new WeakMap<Protocol.PostContext, Engine>()
    /** POSTs waiting for their verdict or engine while their body is read. */
    const waiting = new WeakMap<Protocol.PostContext, Promise<Outcome>>()
    let shuttingDown = false
    let waitingCount = 0
    let idleWaiters: Array<() => void> = []
    let evicted = 0

    const doneWaiting = () => {
      waitingCount--
      if (waitingCount === 0 && idleWaiters.length > 0) {
        const waiters = idleWaiters
        idleWaiters = []
        for (const wake of waiters) wake()
      }
    }

    // --- engines

    const start = (tenant: string): Effect.Effect<Engine, unknown> =>
      Effect.flatMap(Scope.fork(parent, ExecutionStrategy.sequential), (scope) =>
        Effect.suspend(() => Layer.buildWithScope(tenancy.server(tenant), scope)).pipe(
          Effect.flatMap((context) => Protocol.make(engineOptions, store).pipe(Effect.provide(context), Scope.extend(scope))),
          Effect.map((protocol): Engine => ({ tenant, protocol, scope, lastUsed: performance.now(), released: false })),
          Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
        ))

    /** Ends an engine gracefully: in-flight requests get `grace` to finish, then its sessions end and its server is released. */
    const stop = (engine: Engine, grace: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        const deadline = performance.now() + grace
        return Effect.zipRight(
          Effect.zipRight(engine.protocol.beginShutdown, engine.protocol.awaitIdle(grace)),
          Effect.suspend(() => engine.protocol.closeAll(Math.max(0, deadline - performance.now())))
        )
      }).pipe(Effect.ensuring(Scope.close(engine.scope, Exit.void)))

    /** The tenant's engine, built once however many requests wait for it. */
    const build = (tenant: string): Promise<Engine> => {
      const existing = building.get(tenant)
      if (existing !== undefined) return existing
      let settle!: { resolve: (engine: Engine) => void; reject: (error: unknown) => void }
      const promise = new Promise<Engine>((resolve, reject) => {
        settle = { resolve, reject }
      })
      building.set(tenant, promise)
      runCallback(start(tenant), {
        onExit: (exit) => {
          const stale = building.get(tenant) !== promise
          if (!stale) building.delete(tenant)
          if (Exit.isFailure(exit)) {
            runFork(Effect.logError(`HTTP: could not start the server of a tenant`, exit.cause))
            return settle.reject(Cause.squash(exit.cause))
          }
          const engine = exit.value
          if (stale || shuttingDown) {
            // Released (or shut down) while it was being built: it never serves.
            engine.released = true
            runFork(stop(engine, 0))
          } else engines.set(tenant, engine)
          settle.resolve(engine)
        }
      })
      return promise
    }

    /** Takes a tenant's engine out of service and ends it (its sessions end; a build under way is discarded). */
    const release = (tenant: string, grace: number) => {
      building.delete(tenant)
      const engine = engines.get(tenant)
      if (engine === undefined) return
      engines.delete(tenant)
      engine.released = true
      evicted += engine.protocol.stats().evictedSessions
      runFork(stop(engine, grace))
    }

    // --- requests

    /** Hands a request to its tenant's engine (synchronously, so the engine's guard reads `current`). */
    const enter = (engine: Engine, allow: HttpGuard.Allow, incoming: Protocol.Incoming, reply: Protocol.Reply) => {
      engine.lastUsed = performance.now()
      current = allow
      let context: Protocol.PostContext | undefined
      try {
        context = engine.protocol.begin(incoming, reply)
      } finally {
        current = undefined
      }
      if (context !== undefined) owners.set(context, engine)
      return context
    }

    /** Waits for a verdict and for the tenant's engine. Never rejects. */
    const admit = async (verdict: HttpGuard.Verdict | PromiseLike<HttpGuard.Verdict>): Promise<Outcome> => {
      let decided: HttpGuard.Verdict
      try {
        decided = await verdict
      } catch (e) {
        runFork(Effect.logError("HTTP: the guard failed", Cause.die(e)))
        return answer((reply) => fail(reply, 500, JsonRpc.ErrorCode.InternalError, "Internal error: could not authenticate the request"))
      }
      if (decided._tag === "Deny") {
        const refusal = decided
        return answer((reply) => deny(reply, refusal))
      }
      const allow = decided
      const tenant = allow.tenant
      if (tenant === undefined) return answer(noTenant)
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (shuttingDown) return unavailable
        let engine = engines.get(tenant)
        if (engine === undefined) {
          try {
            engine = await build(tenant)
          } catch {
            return answer((reply) =>
              fail(reply, 500, JsonRpc.ErrorCode.InternalError, "Internal error: the server of this tenant could not be started")
            )
          }
        }
        if (!engine.released) return { _tag: "Enter", engine, allow }
      }
      return answer((reply) => fail(reply, 503, TRANSPORT_ERROR, "Service Unavailable: this tenant's server is restarting", { "retry-after": "1" }))
    }

    const noTenant = (reply: Protocol.Reply) => fail(reply, 403, TRANSPORT_ERROR, "Forbidden: the credential selects no tenant of this server")

    /** The checks before the guard, as the single-server engine runs them; false when the request was answered. */
    const precheck = (incoming: Protocol.Incoming, reply: Protocol.Reply): boolean => {
      if (shuttingDown) {
        fail(reply, 503, TRANSPORT_ERROR, "Service Unavailable: the server is shutting down", { connection: "close" })
        return false
      }
      // spec basic/transports "Security Warning" 1.: validate Origin (DNS rebinding); invalid -> 403.
      const origin = options.allowOrigin === undefined ? undefined : incoming.header("origin")
      if (origin !== undefined) {
        if (!options.allowOrigin!(origin)) {
          fail(reply, 403, TRANSPORT_ERROR, `Forbidden: Origin not allowed: ${origin}`)
          return false
        }
        // Fetch standard "CORS protocol": an allowed origin may read the response (and the session id).
        reply.header("access-control-allow-origin", origin)
        reply.header("access-control-expose-headers", CORS_EXPOSED)
        reply.header("vary", "Origin")
        if (incoming.method === "OPTIONS") {
          // Fetch standard "CORS-preflight request".
          const requested = incoming.header("access-control-request-headers")
          const headers: Record<string, string> = {
            "access-control-allow-methods": options.stateless ? "POST" : "GET, POST, DELETE",
            "access-control-max-age": "600",
            "content-length": "0"
          }
          if (requested !== undefined && requested !== "") headers["access-control-allow-headers"] = requested
          reply.send(204, headers, undefined)
          return false
        }
      }
      if (options.allowedHosts !== undefined) {
        const host = incoming.header("host")
        if (host === undefined || !options.allowedHosts.has(host)) {
          fail(reply, 403, TRANSPORT_ERROR, `Forbidden: Host not allowed: ${host ?? "(none)"}`)
          return false
        }
      }
      if (incoming.method === "OPTIONS") {
        reply.send(204, { allow: options.stateless ? "POST, OPTIONS" : "GET, POST, DELETE, OPTIONS", "content-length": "0" }, undefined)
        return false
      }
      return true
    }

    const begin = (incoming: Protocol.Incoming, reply: Protocol.Reply): Protocol.PostContext | undefined => {
      if (!precheck(incoming, reply)) return undefined
      // spec basic/authorization "Token Requirements": every HTTP request to the endpoint carries its authorization.
      const verdict = guard.check(incoming)
      if (!HttpGuard.isPending(verdict)) {
        if (verdict._tag === "Deny") {
          deny(reply, verdict)
          return undefined
        }
        if (verdict.tenant === undefined) {
          noTenant(reply)
          return undefined
        }
        const engine = engines.get(verdict.tenant)
        // The hot path: a verified credential of a tenant whose engine runs.
        if (engine !== undefined) return enter(engine, verdict, incoming, reply)
      }
      const outcome = admit(verdict)
      if (incoming.method !== "POST") {
        // GET and DELETE wait; a POST reads its body meanwhile.
        void outcome.then((decided) => {
          try {
            if (decided._tag === "Answer") decided.answer(reply)
            else enter(decided.engine, decided.allow, incoming, reply)
          } catch (e) {
            runFork(Effect.logError("HTTP: a request failed outside its handler", Cause.die(e)))
            fail(reply, 500, JsonRpc.ErrorCode.InternalError, "Internal error")
          }
        })
        return undefined
      }
      waitingCount++
      let released = false
      const context: Protocol.PostContext = {
        session: undefined,
        allowed: undefined,
        pending: undefined,
        release: () => {
          if (!released) {
            released = true
            doneWaiting()
          }
        }
      }
      waiting.set(context, outcome)
      return context
    }

    const post = (incoming: Protocol.Incoming, context: Protocol.PostContext, body: string, reply: Protocol.Reply) => {
      const engine = owners.get(context)
      if (engine !== undefined) return engine.protocol.post(incoming, context, body, reply)
      const outcome = waiting.get(context)
      if (outcome === undefined) return
      void outcome.then((decided) => {
        try {
          if (decided._tag === "Answer") return decided.answer(reply)
          const handed = enter(decided.engine, decided.allow, incoming, reply)
          if (handed !== undefined) decided.engine.protocol.post(incoming, handed, body, reply)
        } catch (e) {
          runFork(Effect.logError("HTTP: a request failed outside its handler", Cause.die(e)))
          fail(reply, 500, JsonRpc.ErrorCode.InternalError, "Internal error")
        } finally {
          context.release()
        }
      })
    }

    const reject = (context: Protocol.PostContext, reply: Protocol.Reply, status: number, code: number, message: string) => {
      const engine = owners.get(context)
      if (engine !== undefined) return engine.protocol.reject(context, reply, status, code, message)
      fail(reply, status, code, message, { connection: "close" })
      context.release()
    }

    // --- idle tenants and changes

    if (Number.isFinite(idleMillis)) {
      const every = Math.max(10, Math.min(60_000, Math.floor(idleMillis / 4)))
      const sweep = Effect.sync(() => {
        const now = performance.now()
        for (const engine of [...engines.values()]) {
          if (now - engine.lastUsed < idleMillis) continue
          const stats = engine.protocol.stats()
          if (stats.sessions === 0 && stats.inFlight === 0 && stats.streams === 0) release(engine.tenant, 0)
        }
      })
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(every), sweep)))
    }

    if (tenancy.changes !== undefined) {
      yield* Effect.forkScoped(Stream.runForEach(tenancy.changes, (change) => {
        switch (change._tag) {
          case "Release":
            return Effect.sync(() => release(change.tenant, shutdownMillis))
          case "EndSessions":
            return Effect.suspend(() => engines.get(change.tenant)?.protocol.closeOwner(change.owner) ?? Effect.void)
        }
      }))
    }

    const all = () => [...engines.values()]

    return {
      begin,
      post,
      reject,
      closing: () => shuttingDown,
      stats: () => {
        let sessions = 0
        let inFlight = waitingCount
        let streams = 0
        let evictedSessions = evicted
        for (const engine of engines.values()) {
          const stats = engine.protocol.stats()
          sessions += stats.sessions
          inFlight += stats.inFlight
          streams += stats.streams
          evictedSessions += stats.evictedSessions
        }
        return { sessions, inFlight, streams, evictedSessions }
      },
      beginShutdown: Effect.suspend(() => {
        shuttingDown = true
        return Effect.forEach(all(), (engine) => engine.protocol.beginShutdown, { discard: true })
      }),
      awaitIdle: (millis) =>
        Effect.all([
          Effect.async<void>((resume) => {
            if (waitingCount === 0) return resume(Effect.void)
            const wake = () => resume(Effect.void)
            idleWaiters.push(wake)
            return Effect.sync(() => {
              idleWaiters = idleWaiters.filter((w) => w !== wake)
            })
          }),
          ...all().map((engine) => engine.protocol.awaitIdle(millis))
        ], { concurrency: "unbounded", discard: true }).pipe(withDeadline(millis)),
      closeAll: (millis) =>
        Effect.suspend(() => {
          const running = all()
          engines.clear()
          building.clear()
          return Effect.forEach(running, (engine) => {
            engine.released = true
            return Effect.ensuring(engine.protocol.closeAll(millis), Scope.close(engine.scope, Exit.void))
          }, { discard: true, concurrency: "unbounded" })
        }).pipe(withDeadline(millis)),
      closeOwner: (owner) => Effect.forEach(all(), (engine) => engine.protocol.closeOwner(owner), { discard: true })
    } satisfies Protocol.Protocol
  })
