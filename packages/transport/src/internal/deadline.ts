import { Effect, Fiber } from "effect"

/**
 * Runs `effect` for at most `millis`, and this deadline holds wherever it
 * runs. Shutdown runs in scope finalizers: they are uninterruptible, so a
 * plain timeout there never fires (it waits for the effect it cannot
 * interrupt), and the fiber running them is often being interrupted itself
 * (SIGTERM under `NodeRuntime.runMain`), so making the region interruptible
 * would end the wait at once. The wait runs on a fiber of its own, which
 * nothing interrupts; the effect is disconnected, so when it cannot stop at
 * the deadline it goes on in the background instead of holding shutdown.
 */
export const withDeadline = (millis: number) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<void, E, R> =>
  Effect.flatMap(
    Effect.forkDaemon(Effect.interruptible(Effect.timeoutOption(Effect.disconnect(effect), Math.max(0, millis)))),
    (fiber) => Effect.asVoid(Fiber.join(fiber))
  )
