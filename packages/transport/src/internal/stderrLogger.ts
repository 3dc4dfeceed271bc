/**
 * Effect's default logger, and the pretty logger `NodeRuntime.runMain`
 * installs, write with `console.log`: to stdout. A server's stdout is either
 * the protocol (stdio) or what an operator pipes as output; logs, errors and
 * stack traces belong on stderr.
 */
import { Effect, FiberRef, HashSet, Logger } from "effect"

/**
 * Runs `effect` with those two loggers replaced by logfmt lines on `err`
 * (stderr unless given). Loggers the app installed itself stay as they are,
 * and when the app removed both, nothing is added.
 */
export const withStderrLogger = (err: NodeJS.WritableStream = process.stderr) => {
  const logger = Logger.map(Logger.logfmtLogger, (line) => {
    err.write(line + "\n")
  })
  return <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locallyWith(effect, FiberRef.currentLoggers, (loggers) => {
      if (!HashSet.has(loggers, Logger.defaultLogger) && !HashSet.has(loggers, Logger.prettyLoggerDefault)) return loggers
      return HashSet.add(HashSet.remove(HashSet.remove(loggers, Logger.defaultLogger), Logger.prettyLoggerDefault), logger)
    })
}
