/**
 * A small line diff printed in unified format (`--- a`, `+++ b`, `@@ -l,n +l,n @@`
 * hunks with a few lines of context), for `--dry-run` output.
 *
 * Common leading and trailing lines are trimmed first, so a local edit of a
 * large file (a `~/.claude.json` of thousands of lines) costs a longest common
 * subsequence over the changed middle only.
 *
 * @internal
 */

type Op = { readonly tag: " " | "-" | "+"; readonly line: string }

const splitLines = (text: string): Array<string> => {
  if (text === "") return []
  const lines = text.split(/\r?\n/)
  // A trailing newline ends the last line; it does not start a new one.
  if (lines[lines.length - 1] === "") lines.pop()
  return lines
}

/** Longest-common-subsequence edit script of two line arrays (quadratic: callers trim first). */
const lcsOps = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): Array<Op> => {
  const n = a.length
  const m = b.length
  // Above this the table would be too large: show the middle as removed then added.
  if (n * m > 4_000_000) return [...a.map((line) => ({ tag: "-" as const, line })), ...b.map((line) => ({ tag: "+" as const, line }))]
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    const row = table[i]!
    const next = table[i + 1]!
    for (let j = m - 1; j >= 0; j--) {
      row[j] = a[i] === b[j] ? next[j + 1]! + 1 : Math.max(next[j]!, row[j + 1]!)
    }
  }
  const ops: Array<Op> = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ tag: " ", line: a[i]! })
      i++
      j++
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) {
      ops.push({ tag: "-", line: a[i]! })
      i++
    } else {
      ops.push({ tag: "+", line: b[j]! })
      j++
    }
  }
  for (; i < n; i++) ops.push({ tag: "-", line: a[i]! })
  for (; j < m; j++) ops.push({ tag: "+", line: b[j]! })
  return ops
}

/** The edit script turning `before` into `after`, line by line. */
export const diffLines = (before: string, after: string): Array<Op> => {
  const a = splitLines(before)
  const b = splitLines(after)
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  return [
    ...a.slice(0, start).map((line) => ({ tag: " " as const, line })),
    ...lcsOps(a.slice(start, endA), b.slice(start, endB)),
    ...a.slice(endA).map((line) => ({ tag: " " as const, line }))
  ]
}

/**
 * A unified diff of `before` and `after` with `context` lines around each
 * change; the empty string when they are equal. `fromLabel`/`toLabel` name the
 * two sides (`/dev/null` for a file that does not exist yet).
 */
export const unifiedDiff = (
  before: string,
  after: string,
  options: { readonly fromLabel: string; readonly toLabel: string; readonly context?: number }
): string => {
  const context = options.context ?? 3
  const ops = diffLines(before, after)
  const changed = ops.flatMap((op, index) => (op.tag === " " ? [] : [index]))
  if (changed.length === 0) return ""
  // Group changes whose context windows touch into one hunk.
  const hunks: Array<{ from: number; to: number }> = []
  for (const index of changed) {
    const from = Math.max(0, index - context)
    const to = Math.min(ops.length, index + context + 1)
    const last = hunks[hunks.length - 1]
    if (last !== undefined && from <= last.to) last.to = Math.max(last.to, to)
    else hunks.push({ from, to })
  }
  const out = [`--- ${options.fromLabel}`, `+++ ${options.toLabel}`]
  // Line numbers (1-based) on each side at the start of each op.
  let lineA = 1
  let lineB = 1
  const starts = ops.map((op) => {
    const at = { a: lineA, b: lineB }
    if (op.tag !== "+") lineA++
    if (op.tag !== "-") lineB++
    return at
  })
  for (const hunk of hunks) {
    const slice = ops.slice(hunk.from, hunk.to)
    const countA = slice.filter((op) => op.tag !== "+").length
    const countB = slice.filter((op) => op.tag !== "-").length
    const at = starts[hunk.from]!
    // Unified format: an empty side is numbered by the line before it.
    const startA = countA === 0 ? at.a - 1 : at.a
    const startB = countB === 0 ? at.b - 1 : at.b
    out.push(`@@ -${startA},${countA} +${startB},${countB} @@`)
    for (const op of slice) out.push(`${op.tag}${op.line}`)
  }
  return out.join("\n") + "\n"
}
