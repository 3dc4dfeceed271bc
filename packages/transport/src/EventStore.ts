/**
 * Where the Streamable HTTP transport keeps the SSE events it sent, so a
 * client that lost its connection can resume a stream with `Last-Event-ID`
 * (spec 2025-11-25 basic/transports "Resumability and Redelivery").
 *
 * Event ids name their stream, so a `Last-Event-ID` leads back to the one
 * stream it came from and only that stream is replayed ("The server MUST NOT
 * replay messages that would have been delivered on a different stream").
 *
 * The default, `EventStore.memory(...)`, is bounded in both directions (events
 * per stream, streams in total) so a busy server cannot grow without limit;
 * a shared store (Redis, a database) can implement the same interface for
 * servers behind a load balancer.
 *
 * @example
 * HttpTransport.layer({ port: 3000 }).pipe(
 *   Layer.provide(EventStore.memory({ maxEventsPerStream: 1000 }))
 * )
 *
 * @since 0.1.0
 */
import type { JsonRpc } from "@emcee/core"
import { Context, Effect, Layer } from "effect"

/** The id of one SSE event (the SSE `id:` field), unique across the streams of a session. */
export type EventId = string

/** The store's interface. */
export interface Service {
  /**
   * Registers a new stream and returns the cursor of its beginning: the id of
   * the empty "priming" event (spec basic/transports "Sending Messages to the
   * Server" 6.), from which a resume replays everything.
   */
  readonly start: (streamId: string) => Effect.Effect<EventId>
  /** Stores a message sent on a stream and returns its event id. */
  readonly append: (streamId: string, message: JsonRpc.Message) => Effect.Effect<EventId>
  /** The stream an event id belongs to, or undefined when the id is not one of this store's. */
  readonly streamOf: (eventId: EventId) => string | undefined
  /**
   * Sends, in order, every stored event of the same stream after `lastEventId`
   * and returns that stream's id; undefined when the stream is unknown (never
   * existed, evicted or removed).
   */
  readonly replayAfter: (
    lastEventId: EventId,
    send: (eventId: EventId, message: JsonRpc.Message) => Effect.Effect<void>
  ) => Effect.Effect<string | undefined>
  /** Forgets streams (their session ended). */
  readonly remove: (streamIds: Iterable<string>) => Effect.Effect<void>
}

/** Service tag of the event store. */
export class EventStore extends Context.Tag("@emcee/transport/EventStore")<EventStore, Service>() {}

/** Bounds of the in-memory store. */
export interface MemoryOptions {
  /** Events kept per stream; older ones are dropped first. Default 100. */
  readonly maxEventsPerStream?: number
  /** Streams kept in total; the least recently started is dropped first. Default 10,000. */
  readonly maxStreams?: number
}

interface StoredStream {
  /** Sequence number of `events[0]`. */
  first: number
  next: number
  readonly events: Array<JsonRpc.Message>
}

// Stream ids are base64url plus "." (see the HTTP transport), never "~", so the last "~" splits stream and sequence.
const SEPARATOR = "~"

/** A bounded in-memory store, for one process. */
export const makeMemory = (options: MemoryOptions = {}): Service => {
  const maxEvents = Math.max(1, options.maxEventsPerStream ?? 100)
  const maxStreams = Math.max(1, options.maxStreams ?? 10_000)
  // Map iteration order is insertion order: the first key is the oldest stream.
  const streams = new Map<string, StoredStream>()

  const streamOf = (eventId: EventId): string | undefined => {
    const at = eventId.lastIndexOf(SEPARATOR)
    return at <= 0 ? undefined : eventId.slice(0, at)
  }

  const ensure = (streamId: string): StoredStream => {
    let stream = streams.get(streamId)
    if (stream === undefined) {
      if (streams.size >= maxStreams) {
        const oldest = streams.keys().next()
        if (oldest.done !== true) streams.delete(oldest.value)
      }
      stream = { first: 1, next: 1, events: [] }
      streams.set(streamId, stream)
    }
    return stream
  }

  return {
    start: (streamId) =>
      Effect.sync(() => {
        ensure(streamId)
        return `${streamId}${SEPARATOR}0`
      }),
    append: (streamId, message) =>
      Effect.sync(() => {
        const stream = ensure(streamId)
        const seq = stream.next++
        stream.events.push(message)
        if (stream.events.length > maxEvents) {
          stream.events.shift()
          stream.first++
        }
        return `${streamId}${SEPARATOR}${seq}`
      }),
    streamOf,
    replayAfter: (lastEventId, send) =>
      Effect.suspend(() => {
        const streamId = streamOf(lastEventId)
        const seq = Number(lastEventId.slice(lastEventId.lastIndexOf(SEPARATOR) + 1))
        const stream = streamId === undefined ? undefined : streams.get(streamId)
        if (streamId === undefined || stream === undefined || !Number.isSafeInteger(seq) || seq < 0) {
          return Effect.succeed(undefined)
        }
        // Copy first: sending may append to the same stream.
        const from = Math.max(seq + 1, stream.first)
        const pending = stream.events.slice(from - stream.first)
        return Effect.as(
          Effect.forEach(pending, (message, i) => send(`${streamId}${SEPARATOR}${from + i}`, message), { discard: true }),
          streamId
        )
      }),
    remove: (streamIds) =>
      Effect.sync(() => {
        for (const id of streamIds) streams.delete(id)
      })
  }
}

/** The in-memory store as a Layer. */
export const memory = (options: MemoryOptions = {}): Layer.Layer<EventStore> =>
  Layer.sync(EventStore, () => makeMemory(options))
