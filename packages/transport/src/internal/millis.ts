import { Duration } from "effect"

/** An optional duration option in milliseconds, or `fallback` when it is not set. */
export const millis = (input: Duration.DurationInput | undefined, fallback: number): number =>
  input === undefined ? fallback : Duration.toMillis(Duration.decode(input))
