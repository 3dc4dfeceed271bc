// Preloaded (node --import) by bench/opcount.mjs: counts the Effect runtime's work in a server
// process, which is deterministic (unlike timings on a shared machine): fibers started, ops
// run by the fiber loop (by op code), FiberRef writes (by FiberRef, where it has a known
// name) and `getFiberRefs` calls. SIGUSR2 prints the totals so far to stderr as one line
// `EFFECT_COUNTERS {json}`.
//
// It patches Effect's internal FiberRuntime class (not a public API) in the copy of `effect`
// that the server resolves from the repo root, which is the one the built packages import.
import path from "node:path"
import { pathToFileURL } from "node:url"

const esm = path.dirname(new URL(import.meta.resolve("effect")).pathname) // .../effect/dist/esm
const load = (rel) => import(pathToFileURL(path.join(esm, rel)).href)
const { FiberRuntime } = await load("internal/fiberRuntime.js")
const OpCodes = await load("internal/opCodes/effect.js")

const names = new Map()
for (const rel of ["internal/core.js", "internal/fiberRuntime.js", "internal/defaultServices.js"]) {
  for (const [k, v] of Object.entries(await load(rel))) {
    if (v !== null && typeof v === "object" && "initial" in v && "diff" in v) names.set(v, k)
  }
}

const counters = { fibers: 0, ops: 0, byOp: {}, fiberRefSets: 0, setsByRef: {}, getFiberRefs: 0 }
const proto = FiberRuntime.prototype
for (const op of new Set(Object.values(OpCodes))) {
  const original = proto[op]
  if (typeof original !== "function") continue
  proto[op] = function(instruction) {
    counters.ops++
    counters.byOp[op] = (counters.byOp[op] ?? 0) + 1
    return original.call(this, instruction)
  }
}
const setFiberRef = proto.setFiberRef
proto.setFiberRef = function(fiberRef, value) {
  counters.fiberRefSets++
  const name = names.get(fiberRef) ?? "(other)"
  counters.setsByRef[name] = (counters.setsByRef[name] ?? 0) + 1
  return setFiberRef.call(this, fiberRef, value)
}
const getFiberRefs = proto.getFiberRefs
proto.getFiberRefs = function(...args) {
  counters.getFiberRefs++
  return getFiberRefs.apply(this, args)
}
const start = proto.start
proto.start = function(...args) {
  counters.fibers++
  return start.apply(this, args)
}
process.on("SIGUSR2", () => process.stderr.write(`EFFECT_COUNTERS ${JSON.stringify(counters)}\n`))
