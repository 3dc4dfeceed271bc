/**
 * The in-memory EventStore (spec 2025-11-25 basic/transports "Resumability
 * and Redelivery") is bounded by bytes per session and in total, so finished
 * responses kept for a resume cannot grow a server's memory without limit.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as EventStore from "../src/EventStore.js"

const MB = 1024 * 1024
const run = <A>(effect: Effect.Effect<A>) => Effect.runSync(effect)

const replay = (store: EventStore.Service, from: string): Array<string> => {
  const seen: Array<string> = []
  run(store.replayAfter(from, (id) => Effect.sync(() => void seen.push(id))))
  return seen
}

describe("EventStore.memory bounds", () => {
  it("keeps a session's finished 1 MB responses within maxBytesPerSession: 300 calls hold 4 MiB, not 300 MB", () => {
    const store = EventStore.makeMemory({ maxBytesPerSession: 4 * MB })
    const data = "x".repeat(MB)
    const starts: Array<string> = []
    for (let i = 0; i < 300; i++) {
      starts.push(run(store.start(`session.p${i}`)))
      run(store.append(`session.p${i}`, data))
    }
    let kept = 0
    for (const start of starts) kept += replay(store, start).length
    expect(kept).toBeLessThanOrEqual(4)
    // The newest response can always be resumed.
    expect(replay(store, starts[299]!)).toEqual(["session.p299~1"])
  })

  it("evicts the oldest events of the session first and leaves other sessions alone", () => {
    const store = EventStore.makeMemory({ maxBytesPerSession: 10 })
    const a = run(store.start("a.g0"))
    const b = run(store.start("b.g0"))
    for (let i = 0; i < 5; i++) run(store.append("a.g0", `a${i}xx`)) // 4 characters each
    run(store.append("b.g0", "b0"))
    expect(replay(store, a)).toEqual(["a.g0~4", "a.g0~5"])
    expect(replay(store, b)).toEqual(["b.g0~1"])
  })

  it("keeps the whole store within maxBytes across sessions, dropping the oldest streams", () => {
    const store = EventStore.makeMemory({ maxBytes: 3 * MB, maxBytesPerSession: 100 * MB })
    const data = "y".repeat(MB)
    const starts = Array.from({ length: 10 }, (_, i) => {
      const start = run(store.start(`s${i}.p0`))
      run(store.append(`s${i}.p0`, data))
      return start
    })
    const kept = starts.map((start) => replay(store, start).length)
    expect(kept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3)
    expect(kept[9]).toBe(1)
    expect(kept[0]).toBe(0)
  })

  it("replays in order after a Last-Event-ID and forgets removed streams", () => {
    const store = EventStore.makeMemory()
    const start = run(store.start("s.p0"))
    const ids = ["one", "two", "three"].map((d) => run(store.append("s.p0", d)))
    const sent: Array<string> = []
    const stream = run(store.replayAfter(ids[0]!, (_, data) => Effect.sync(() => void sent.push(data))))
    expect(stream).toBe("s.p0")
    expect(sent).toEqual(["two", "three"])
    expect(replay(store, start)).toHaveLength(3)
    run(store.remove(["s.p0"]))
    expect(run(store.replayAfter(start, () => Effect.void))).toBeUndefined()
  })
})
