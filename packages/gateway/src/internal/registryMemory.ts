/**
 * The registry in memory (see `Registry.memory`): one process, no
 * persistence; changes go to this registry's subscribers only.
 */
import { Clock, Effect, Option, PubSub, Ref, Stream } from "effect"
import {
  type Backend,
  byName,
  checkSnapshot,
  listed,
  matches,
  notFound,
  parseSpec,
  type RegistryChange,
  removed,
  upserted,
  type Service,
  type Snapshot
} from "./registryModel.js"

interface State {
  readonly backends: ReadonlyMap<string, Backend>
  readonly snapshots: ReadonlyMap<string, Snapshot>
}

export const makeMemoryRegistry: Effect.Effect<Service> = Effect.gen(function*() {
  const state = yield* Ref.make<State>({ backends: new Map(), snapshots: new Map() })
  const hub = yield* PubSub.unbounded<RegistryChange>()

  const upsert: Service["upsert"] = (input) =>
    Effect.gen(function*() {
      const spec = yield* parseSpec(input)
      const now = new Date(yield* Clock.currentTimeMillis)
      const backend = yield* Ref.modify(state, (current): [Backend, State] => {
        const previous = current.backends.get(spec.name)
        const next: Backend = { ...spec, createdAt: previous?.createdAt ?? now, updatedAt: now }
        const backends = new Map(current.backends)
        backends.set(spec.name, next)
        return [next, { ...current, backends }]
      })
      yield* PubSub.publish(hub, upserted(spec.name))
      return backend
    })

  const remove: Service["remove"] = (name) =>
    Effect.flatMap(
      Ref.modify(state, (current): [boolean, State] => {
        if (!current.backends.has(name)) return [false, current]
        const backends = new Map(current.backends)
        const snapshots = new Map(current.snapshots)
        backends.delete(name)
        snapshots.delete(name)
        return [true, { backends, snapshots }]
      }),
      (found) => (found ? Effect.as(PubSub.publish(hub, removed(name)), true) : Effect.succeed(false))
    )

  const all = Effect.map(Ref.get(state), (current) => [...current.backends.values()].sort(byName))

  const service: Service = {
    upsert,
    remove,
    get: (name) => Effect.map(Ref.get(state), (current) => Option.fromNullable(current.backends.get(name))),
    list: (query = {}) => Effect.map(all, (backends) => backends.filter((backend) => listed(backend, query))),
    setSnapshot: (name, snapshot) =>
      Effect.flatMap(checkSnapshot(snapshot), (checked) =>
        Effect.flatten(Ref.modify(state, (current): [Effect.Effect<void, ReturnType<typeof notFound>>, State] => {
          if (!current.backends.has(name)) return [Effect.fail(notFound(name)), current]
          const snapshots = new Map(current.snapshots)
          snapshots.set(name, checked)
          return [Effect.void, { ...current, snapshots }]
        }))),
    getSnapshot: (name) => Effect.map(Ref.get(state), (current) => Option.fromNullable(current.snapshots.get(name))),
    find: (query) =>
      Effect.map(Ref.get(state), (current) =>
        [...current.backends.values()]
          .sort(byName)
          .map((backend) => ({ backend, snapshot: current.snapshots.get(backend.name) }))
          .filter(({ backend, snapshot }) => matches(backend, snapshot, query))),
    changes: Stream.fromPubSub(hub),
    subscribe: Stream.fromPubSub(hub, { scoped: true })
  }
  return service
})
