/**
 * Where the Streamable HTTP transport keeps the SSE events it sent, so a
 * client that lost its connection can resume a stream with `Last-Event-ID`
 * (spec 2025-11-25 basic/transports "Resumability and Redelivery").
 *
 * Event ids name their stream, so a `Last-Event-ID` leads back to the one
 * stream it came from and only that stream is replayed ("The server MUST NOT
 * replay messages that would have been delivered on a different stream").
 *
 * Events are kept as the serialized JSON-RPC message (the SSE `data`), so a
 * store counts real bytes and replays without serializing again. Stream ids
 * have the form `<session>.<stream>`: the part before the first `.` groups the
 * streams of one session.
 *
 * The default, `EventStore.memory(...)`, is bounded by bytes per session and
 * in total, by events per stream and by streams, so neither one busy session
 * (hundreds of finished 1 MB responses) nor many sessions can grow the
 * server's memory without limit: the oldest events go first, and a resume
 * from an event that was let go replays what is left after it. A shared store
 * (Redis, a database) can implement the same interface for servers behind a
 * load balancer.
 *
 * @example
 * HttpTransport.layer({ port: 3000 }).pipe(
 *   Layer.provide(EventStore.memory({ maxBytesPerSession: 8 * 1024 * 1024 }))
 * )
 *
 * `EventStore.memoryConfig()` reads the bounds from Effect `Config`
 * (environment variables by default), every key optional:
 * `EVENT_STORE_MAX_EVENTS_PER_STREAM`, `EVENT_STORE_MAX_BYTES_PER_SESSION`,
 * `EVENT_STORE_MAX_BYTES`, `EVENT_STORE_MAX_STREAMS` (under a prefix given to
 * `config(prefix)`: `config("MCP")` reads `MCP_EVENT_STORE_MAX_BYTES`).
 *
 * @since 0.1.0
 */
import { Config, type ConfigError, Context, Effect, Layer } from "effect"
import * as C from "./internal/config.js"

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
  /** Stores one message sent on a stream, as its serialized JSON (`data`), and returns its event id. */
  readonly append: (streamId: string, data: string) => Effect.Effect<EventId>
  /** The stream an event id belongs to, or undefined when the id is not one of this store's. */
  readonly streamOf: (eventId: EventId) => string | undefined
  /**
   * Sends, in order, every stored event of the same stream after `lastEventId`
   * and returns that stream's id; undefined when the stream is unknown (never
   * existed, evicted or removed).
   */
  readonly replayAfter: (
    lastEventId: EventId,
    send: (eventId: EventId, data: string) => Effect.Effect<void>
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
  /** Bytes of event data kept per session (all its streams); the session's oldest events are dropped first. Default 4 MiB. */
  readonly maxBytesPerSession?: number
  /** Bytes of event data kept in total; the oldest streams are dropped first. Default 64 MiB. */
  readonly maxBytes?: number
  /** Streams kept in total; the least recently started is dropped first. Default 10,000. */
  readonly maxStreams?: number
}

interface StoredStream {
  readonly id: string
  readonly group: Group
  /** Sequence number of `events[0]`. */
  first: number
  next: number
  /** Data of the stored events, oldest first, from `events[head]` on (dropping from the front is O(1)). */
  readonly events: Array<string>
  head: number
  bytes: number
}

/** The streams of one session, oldest first, and the bytes they hold. */
interface Group {
  readonly key: string
  readonly streams: Set<StoredStream>
  bytes: number
}

// Stream ids are base64url plus "." (see the HTTP transport), never "~", so the last "~" splits stream and sequence.
const SEPARATOR = "~"

const groupKeyOf = (streamId: string): string => {
  const dot = streamId.indexOf(".")
  return dot === -1 ? streamId : streamId.slice(0, dot)
}

/** A bounded in-memory store, for one process. */
export const makeMemory = (options: MemoryOptions = {}): Service => {
  const maxEvents = Math.max(1, options.maxEventsPerStream ?? 100)
  const maxSessionBytes = Math.max(1, options.maxBytesPerSession ?? 4 * 1024 * 1024)
  const maxBytes = Math.max(1, options.maxBytes ?? 64 * 1024 * 1024)
  const maxStreams = Math.max(1, options.maxStreams ?? 10_000)
  // Map iteration order is insertion order: the first key is the oldest stream.
  const streams = new Map<string, StoredStream>()
  const groups = new Map<string, Group>()
  let totalBytes = 0

  const streamOf = (eventId: EventId): string | undefined => {
    const at = eventId.lastIndexOf(SEPARATOR)
    return at <= 0 ? undefined : eventId.slice(0, at)
  }

  /** Drops the oldest stored event of a stream. */
  const dropOldest = (stream: StoredStream) => {
    const data = stream.events[stream.head]!
    stream.events[stream.head] = ""
    stream.head++
    stream.first++
    stream.bytes -= data.length
    stream.group.bytes -= data.length
    totalBytes -= data.length
    // Compact now and then so the array does not keep its dropped slots.
    if (stream.head > 32 && stream.head * 2 > stream.events.length) {
      stream.events.splice(0, stream.head)
      stream.head = 0
    }
  }

  const forget = (stream: StoredStream) => {
    if (streams.get(stream.id) !== stream) return
    streams.delete(stream.id)
    totalBytes -= stream.bytes
    stream.group.bytes -= stream.bytes
    stream.group.streams.delete(stream)
    if (stream.group.streams.size === 0) groups.delete(stream.group.key)
  }

  const ensure = (streamId: string): StoredStream => {
    let stream = streams.get(streamId)
    if (stream === undefined) {
      if (streams.size >= maxStreams) {
        const oldest = streams.values().next()
        if (oldest.done !== true) forget(oldest.value)
      }
      const key = groupKeyOf(streamId)
      let group = groups.get(key)
      if (group === undefined) {
        group = { key, streams: new Set(), bytes: 0 }
        groups.set(key, group)
      }
      stream = { id: streamId, group, first: 1, next: 1, events: [], head: 0, bytes: 0 }
      streams.set(streamId, stream)
      group.streams.add(stream)
    }
    return stream
  }

  /**
   * Brings the session and the store back under their byte bounds after an
   * append to `current`: the session's oldest events go first; the event just
   * stored is kept, so a client can always resume the latest message.
   */
  const evict = (current: StoredStream) => {
    const group = current.group
    if (group.bytes > maxSessionBytes) {
      for (const stream of group.streams) {
        const keepLast = stream === current ? 1 : 0
        while (stream.events.length - stream.head > keepLast && group.bytes > maxSessionBytes) dropOldest(stream)
        if (group.bytes <= maxSessionBytes) break
      }
    }
    while (totalBytes > maxBytes) {
      const oldest = streams.values().next().value
      if (oldest === undefined || oldest === current) break
      forget(oldest)
    }
    while (totalBytes > maxBytes && current.events.length - current.head > 1) dropOldest(current)
  }

  return {
    start: (streamId) =>
      Effect.sync(() => {
        ensure(streamId)
        return `${streamId}${SEPARATOR}0`
      }),
    append: (streamId, data) =>
      Effect.sync(() => {
        const stream = ensure(streamId)
        const seq = stream.next++
        stream.events.push(data)
        stream.bytes += data.length
        stream.group.bytes += data.length
        totalBytes += data.length
        if (stream.events.length - stream.head > maxEvents) dropOldest(stream)
        if (stream.group.bytes > maxSessionBytes || totalBytes > maxBytes) evict(stream)
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
        const pending = stream.events.slice(stream.head + from - stream.first)
        return Effect.as(
          Effect.forEach(pending, (data, i) => send(`${streamId}${SEPARATOR}${from + i}`, data), { discard: true }),
          streamId
        )
      }),
    remove: (streamIds) =>
      Effect.sync(() => {
        for (const id of streamIds) {
          const stream = streams.get(id)
          if (stream !== undefined) forget(stream)
        }
      })
  }
}

/** The in-memory store as a Layer. */
export const memory = (options: MemoryOptions = {}): Layer.Layer<EventStore> =>
  Layer.sync(EventStore, () => makeMemory(options))

/**
 * The in-memory store's bounds read from `Config` (environment variables by
 * default), every key optional with the defaults of `MemoryOptions`: keys
 * `MAX_EVENTS_PER_STREAM`, `MAX_BYTES_PER_SESSION`, `MAX_BYTES`, `MAX_STREAMS`
 * under `EVENT_STORE`, itself under `prefix` when given.
 */
export const config = (prefix?: string): Config.Config<MemoryOptions> =>
  C.options({
    maxEventsPerStream: C.optional(C.integer("MAX_EVENTS_PER_STREAM", 1)),
    maxBytesPerSession: C.optional(C.integer("MAX_BYTES_PER_SESSION", 1)),
    maxBytes: C.optional(C.integer("MAX_BYTES", 1)),
    maxStreams: C.optional(C.integer("MAX_STREAMS", 1))
  }, "EVENT_STORE", prefix)

/** `memory` with its bounds read from `options` (default `config()`); a bad value fails with a `ConfigError` naming the key. */
export const memoryConfig = (options: Config.Config<MemoryOptions> = config()): Layer.Layer<EventStore, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(options, memory))
