/**
 * The store behind `ResultCache`: finished results by key with an expiry,
 * least recently used first out, and the calls still running by key so
 * identical concurrent calls wait for one execution.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import type { JsonRpc, McpError } from "@emcee/core"
import type { Deferred, Exit } from "effect"

type JsonObject = JsonRpc.JsonObject

/**
 * JSON with object keys sorted, so arguments equal as JSON give equal text
 * whatever order the client wrote them in. `JSON.stringify` does the walk;
 * nesting too deep for it throws a `RangeError` (the caller then does not cache).
 */
export const canonical = (value: unknown): string =>
  JSON.stringify(value ?? null, (_key, v: unknown) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k]
    return sorted
  })

/** A fixed-size digest of the parts of a key (SHA-256, base64url): big arguments make no big keys. */
export const digest = (parts: ReadonlyArray<string>): string => {
  const hash = createHash("sha256")
  for (const part of parts) hash.update(`${part.length}:`).update(part)
  return hash.digest("base64url")
}

/**
 * What a call running for a key ends with: its exit, or `undefined` when it
 * was interrupted (its caller cancelled) and a waiter must run the call itself.
 */
export type Outcome = Exit.Exit<JsonObject, McpError.ProtocolError> | undefined

interface Ready {
  readonly result: JsonObject
  readonly expiresAt: number
}

/** Finished results (bounded, LRU) and running calls, by key. */
export class Store {
  private readonly ready = new Map<string, Ready>()
  readonly running = new Map<string, Deferred.Deferred<Outcome>>()

  constructor(private readonly maxEntries: number) {}

  /** The result stored for `key` that has not expired at `now`, marked as recently used. */
  get(key: string, now: number): JsonObject | undefined {
    const entry = this.ready.get(key)
    if (entry === undefined) return undefined
    this.ready.delete(key)
    if (entry.expiresAt <= now) return undefined
    this.ready.set(key, entry)
    return entry.result
  }

  set(key: string, result: JsonObject, expiresAt: number): void {
    this.ready.delete(key)
    this.ready.set(key, { result, expiresAt })
    while (this.ready.size > this.maxEntries) this.ready.delete(this.ready.keys().next().value!)
  }

  /** How many finished results it holds (for tests). */
  get size(): number {
    return this.ready.size
  }
}
