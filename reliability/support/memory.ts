/** The server's own memory figures: the gauges of GET /metrics, and /proc as a safety valve for the test machine. */
import { existsSync, readFileSync } from "node:fs"
import { metric } from "./http.js"

export const HEAP_GAUGE = "nodejs_heap_size_used_bytes"
export const RSS_GAUGE = "process_resident_memory_bytes"
export const MiB = 1024 * 1024

/** The server's used heap from its /metrics; throws when it does not report it. */
export const heapUsed = async (url: URL): Promise<number> => {
  const value = await metric(url, HEAP_GAUGE)
  if (value === undefined || !Number.isFinite(value)) throw new Error(`GET /metrics has no ${HEAP_GAUGE} gauge`)
  return value
}

/** Resident memory of a process from /proc (Linux), in bytes; undefined elsewhere or once it is gone. */
export const procRss = (pid: number): number | undefined => {
  const file = `/proc/${pid}/status`
  if (!existsSync(file)) return undefined
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(file, "utf8"))
    return match === null ? undefined : Number(match[1]) * 1024
  } catch {
    return undefined
  }
}
