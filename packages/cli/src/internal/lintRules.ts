/**
 * The rules of `emcee lint`: static checks of a manifest's names,
 * descriptions, annotations and JSON Schemas.
 *
 * @internal
 */
import type { Manifest, ManifestTool } from "../Manifest.js"
import { branches, fields, isBoundedString, isObject, type JsonSchema, pointer, resolve, stringBranches } from "./manifestJsonSchema.js"

/** How serious a finding is. */
export type Severity = "error" | "warning" | "info"

/** Severities from the most serious. */
export const severities: ReadonlyArray<Severity> = ["error", "warning", "info"]

/** The rank of a severity: error 3, warning 2, info 1. */
export const rank = (severity: Severity): number => 3 - severities.indexOf(severity)

/** Which kind of thing a finding is about. */
export type Primitive = "server" | "tool" | "prompt" | "resource" | "resourceTemplate"

/** One problem found. */
export interface Finding {
  /** The rule's id, e.g. `destructive-without-hint`. */
  readonly rule: string
  readonly severity: Severity
  readonly primitive: Primitive
  /** A JSON Pointer into the manifest, with tools, prompts and templates named (`/tools/delete_file/inputSchema/properties/path`). */
  readonly path: string
  readonly message: string
  /** What to change. */
  readonly fix: string
}

/** Options of the rules. */
export interface RuleOptions {
  /** More tools than this is a `large-surface` warning. Default 50. */
  readonly maxTools?: number
}

/** What each rule checks, for `--help` and docs. */
export const rules: ReadonlyArray<{ readonly rule: string; readonly severity: Severity; readonly checks: string }> = [
  { rule: "tool-name", severity: "error", checks: "tool names of 1-128 characters from A-Z a-z 0-9 _ - . (spec server/tools \"Tool Names\")" },
  { rule: "tool-name-length", severity: "info", checks: "tool names over 64 characters, which some clients and model APIs refuse or truncate" },
  { rule: "duplicate-name", severity: "error", checks: "two tools, prompts, resources (by URI) or templates (by URI template) with the same name" },
  { rule: "input-schema-not-object", severity: "error", checks: "an inputSchema or outputSchema whose root is not `type: \"object\"` (spec server/tools \"Tool\")" },
  { rule: "destructive-without-hint", severity: "warning", checks: "a tool whose name or description sounds destructive without `annotations.destructiveHint: true`" },
  { rule: "admin-without-auth", severity: "info", checks: "an administrative-sounding tool declaring no auth requirement (scopes in `_meta` or annotations)" },
  { rule: "unconstrained-sensitive-input", severity: "warning", checks: "a path/URL/SQL/shell-shaped string input without pattern, enum, format or maxLength" },
  { rule: "unbounded-string", severity: "info", checks: "a string input without maxLength, enum, pattern or format" },
  { rule: "missing-description", severity: "info", checks: "a tool, prompt, resource or template without a description" },
  { rule: "large-surface", severity: "warning", checks: "more tools than --max-tools (default 50)" }
]

// spec 2025-11-25 and 2026-07-28 server/tools "Tool Names": 1-128 characters (inclusive),
// only A-Z, a-z, 0-9, underscore, hyphen and dot. The issue says 64 characters; the spec
// wins for the error, and names over 64 get an informational note instead.
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/
const SPEC_MAX_NAME = 128
const COMPAT_MAX_NAME = 64

const DESTRUCTIVE = [
  "delete", "drop", "remove", "destroy", "kill", "truncate", "wipe", "reset", "shutdown", "exec", "execute",
  "sudo", "admin", "grant", "revoke", "transfer", "pay", "send", "purge", "erase", "terminate", "overwrite",
  "uninstall", "rm", "del", "reboot", "restart", "eval", "shell", "unlink", "rmdir", "flush",
  "refund", "withdraw", "ban", "disable", "evict"
]
const ADMINISTRATIVE = [
  "admin", "administrator", "sudo", "root", "superuser", "grant", "revoke", "exec", "execute", "shell", "eval",
  "shutdown", "reboot", "impersonate", "permission", "role", "ban", "transfer", "pay", "refund", "withdraw"
]
/** Inputs whose values usually reach a file system, a network, a database or a shell. */
const SENSITIVE_INPUT = [
  "path", "paths", "file", "files", "filename", "filepath", "dir", "directory", "folder", "url", "uri", "urls",
  "href", "endpoint", "query", "sql", "command", "cmd", "script", "shell", "expression", "expr", "eval",
  "regex", "glob", "host", "hostname"
]
/** Lower-case words of a name: `deleteUserFiles` and `delete_user-files` are `delete user files`. */
export const words = (text: string): ReadonlyArray<string> =>
  text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0)

/** The forms a word may be the inflection of: `deleted` → delete, `dropping` → drop, `executes` → execute. */
const bases = (word: string): ReadonlyArray<string> => {
  const out = new Set([word])
  for (const suffix of ["ing", "ion", "ed", "es", "s", "er", "ment"]) {
    if (!word.endsWith(suffix) || word.length - suffix.length < 2) continue
    const base = word.slice(0, -suffix.length)
    out.add(base)
    out.add(`${base}e`)
    if (base.length > 2 && base.at(-1) === base.at(-2)) out.add(base.slice(0, -1))
  }
  return [...out]
}

/** The words of `text` (and pairs joined, so `shut down` is `shutdown`) that are in `list`. */
const matches = (text: string, list: ReadonlyArray<string>): ReadonlyArray<string> => {
  const ws = words(text)
  const candidates = [...ws, ...ws.slice(1).map((w, i) => `${ws[i]}${w}`)]
  const found = new Set<string>()
  for (const word of candidates) {
    const hit = bases(word).find((b) => list.includes(b))
    if (hit !== undefined) found.add(hit)
  }
  return [...found]
}

const AUTH_KEY = /scope|auth|permission|role|oauth|principal/i

/** Whether annotations or `_meta` name an auth requirement (a key like `scopes`, `requiredScopes`, `auth`...). */
const declaresAuth = (tool: ManifestTool): boolean => {
  const visit = (value: unknown, depth: number): boolean => {
    if (depth > 4 || !isObject(value)) return false
    return Object.entries(value).some(([key, inner]) => AUTH_KEY.test(key) || visit(inner, depth + 1))
  }
  return visit(tool.annotations, 0) || visit(tool._meta, 0)
}

const quote = (words: ReadonlyArray<string>) => words.map((w) => `"${w}"`).join(", ")

const toolRules = (tool: ManifestTool, at: string): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  const push = (f: Omit<Finding, "primitive">) => out.push({ ...f, primitive: "tool" })
  // spec server/tools "Tool Names"
  if (!TOOL_NAME.test(tool.name)) {
    const bad = [...new Set(tool.name.replace(/[A-Za-z0-9_.-]/g, ""))].map((c) => JSON.stringify(c)).join(" ")
    const problems = [
      ...(tool.name.length === 0 ? ["is empty"] : []),
      ...(tool.name.length > SPEC_MAX_NAME ? [`is ${tool.name.length} characters long (at most ${SPEC_MAX_NAME})`] : []),
      ...(bad === "" ? [] : [`contains ${bad}`])
    ]
    push({
      rule: "tool-name",
      severity: "error",
      path: `${at}/name`,
      message: `tool name ${JSON.stringify(tool.name)} ${problems.join(" and ")}: the spec allows 1-128 characters from A-Z a-z 0-9 _ - . (server/tools "Tool Names")`,
      fix: "rename the tool, e.g. with underscores for spaces and dots for namespaces (admin.users.list)"
    })
  } else if (tool.name.length > COMPAT_MAX_NAME) {
    push({
      rule: "tool-name-length",
      severity: "info",
      path: `${at}/name`,
      message: `tool name is ${tool.name.length} characters: the spec allows 128, but some clients and model APIs accept at most ${COMPAT_MAX_NAME}`,
      fix: `shorten the name to ${COMPAT_MAX_NAME} characters or fewer`
    })
  }
  // spec server/tools "Tool": inputSchema (and outputSchema) are JSON Schemas whose root type is "object".
  if (tool.inputSchema["type"] !== "object") {
    push({
      rule: "input-schema-not-object",
      severity: "error",
      path: `${at}/inputSchema`,
      message: `inputSchema has type ${JSON.stringify(tool.inputSchema["type"] ?? null)}: the spec requires an object schema (server/tools "Tool")`,
      fix: "wrap the input in an object, e.g. { \"type\": \"object\", \"properties\": { \"value\": ... } }"
    })
  }
  if (tool.outputSchema !== undefined && tool.outputSchema["type"] !== "object") {
    push({
      rule: "input-schema-not-object",
      severity: "error",
      path: `${at}/outputSchema`,
      message: `outputSchema has type ${JSON.stringify(tool.outputSchema["type"] ?? null)}: the spec requires an object schema (server/tools "Tool")`,
      fix: "return structured content as an object and describe it with an object schema"
    })
  }
  // spec server/tools "Tool": annotations are hints; destructiveHint defaults to true, but a client
  // can only rely on what is said, and many read a missing hint as "unknown".
  // A tool annotated read-only is flagged only when its name starts with a destructive verb
  // (`delete_user` marked read-only contradicts itself; `list_deleted` does not).
  const readOnly = tool.annotations?.readOnlyHint === true
  const byName = matches(readOnly ? (words(tool.name)[0] ?? "") : tool.name, DESTRUCTIVE)
  const byDescription = readOnly ? [] : matches(tool.description ?? "", DESTRUCTIVE)
  if ((byName.length > 0 || byDescription.length > 0) && tool.annotations?.destructiveHint !== true) {
    const said = byName.length > 0 ? `its name says ${quote(byName)}` : `its description says ${quote(byDescription)}`
    const state = tool.annotations?.readOnlyHint === true
      ? "but it is annotated readOnlyHint: true"
      : tool.annotations?.destructiveHint === false
      ? "but it is annotated destructiveHint: false"
      : "but it has no destructiveHint annotation"
    push({
      rule: "destructive-without-hint",
      severity: "warning",
      path: `${at}/annotations`,
      message: `tool ${JSON.stringify(tool.name)} sounds destructive (${said}) ${state}, so clients cannot ask for confirmation`,
      fix: "annotate it { destructiveHint: true, readOnlyHint: false } (and idempotentHint when repeating is safe), or rename it if it only reads"
    })
  }
  const admin = matches(`${tool.name} ${tool.description ?? ""}`, ADMINISTRATIVE)
  if (admin.length > 0 && !declaresAuth(tool)) {
    push({
      rule: "admin-without-auth",
      severity: "info",
      path: at,
      message: `tool ${JSON.stringify(tool.name)} sounds administrative (${quote(admin)}) and declares no auth requirement; a manifest cannot see authentication middleware, so check that the server requires authorization for it`,
      fix: "require a scope for it (auth middleware) and declare it in _meta, e.g. \"_meta\": { \"scopes\": [\"admin\"] }"
    })
  }
  // Inputs: every string field, nested ones included.
  const root: JsonSchema = tool.inputSchema
  const stringFields = fields(root).flatMap((field) => [
    field,
    // Arrays of strings: their items (`paths[]`).
    ...branches(root, field.schema).flatMap((branch) =>
      isObject(branch["items"]) ? [{ ...field, name: `${field.name}[]`, pointer: `${field.pointer}/items`, schema: resolve(root, branch["items"]) }] : []
    )
  ])
  for (const field of stringFields) {
    const strings = stringBranches(root, field.schema)
    if (strings.length === 0 || strings.every(isBoundedString)) continue
    // The field's own name (`target.url` is a url; `files[].note` is not a file).
    const sensitive = matches(field.name.split(".").at(-1)!.replace(/\[\]/g, ""), SENSITIVE_INPUT)
    const fieldPath = `${at}/inputSchema${field.pointer}`
    if (sensitive.length > 0) {
      push({
        rule: "unconstrained-sensitive-input",
        severity: "warning",
        path: fieldPath,
        message: `input ${JSON.stringify(field.name)} looks like a ${sensitive.join("/")} and is an unconstrained string: nothing in the schema limits what reaches the file system, network, database or shell`,
        fix: "constrain it with a pattern, enum, format (uri, ...) or maxLength, and validate it in the handler (allow-list paths, hosts, statements)"
      })
    } else {
      push({
        rule: "unbounded-string",
        severity: "info",
        path: fieldPath,
        message: `input ${JSON.stringify(field.name)} is a string without maxLength, enum, pattern or format`,
        fix: "add a maxLength (e.g. Schema.String.pipe(Schema.maxLength(1000))) or a tighter type"
      })
    }
  }
  return out
}

const missingDescription = (primitive: Primitive, at: string, label: string, description: string | undefined): ReadonlyArray<Finding> =>
  description === undefined || description.trim() === ""
    ? [{
      rule: "missing-description",
      severity: "info",
      primitive,
      path: at,
      message: `${label} has no description, so a model has only its name to decide when to use it`,
      fix: "add a description saying what it does, when to use it and what it returns"
    }]
    : []

const duplicates = <A>(
  primitive: Primitive,
  items: ReadonlyArray<A>,
  key: (a: A) => string,
  at: (a: A) => string,
  label: string
): ReadonlyArray<Finding> => {
  const seen = new Map<string, number>()
  for (const item of items) seen.set(key(item), (seen.get(key(item)) ?? 0) + 1)
  return [...seen].filter(([, count]) => count > 1).map(([value, count]) => ({
    rule: "duplicate-name",
    severity: "error" as const,
    primitive,
    path: at(items.find((i) => key(i) === value)!),
    message: `${count} ${label}s are named ${JSON.stringify(value)}: names must be unique within a server, and clients see only one`,
    fix: `rename all but one ${label}`
  }))
}

/** Runs every rule over a manifest. Findings are sorted by severity, then path, then rule. */
export const run = (manifest: Manifest, options: RuleOptions = {}): ReadonlyArray<Finding> => {
  const maxTools = options.maxTools ?? 50
  const toolAt = (t: { readonly name: string }) => pointer("tools", t.name)
  const promptAt = (p: { readonly name: string }) => pointer("prompts", p.name)
  const resourceAt = (r: { readonly uri: string }) => pointer("resources", r.uri)
  const templateAt = (t: { readonly uriTemplate: string }) => pointer("resourceTemplates", t.uriTemplate)
  const findings: Array<Finding> = [
    ...manifest.tools.flatMap((tool) => [
      ...toolRules(tool, toolAt(tool)),
      ...missingDescription("tool", toolAt(tool), `tool ${JSON.stringify(tool.name)}`, tool.description)
    ]),
    ...manifest.prompts.flatMap((p) => missingDescription("prompt", promptAt(p), `prompt ${JSON.stringify(p.name)}`, p.description)),
    ...manifest.resources.flatMap((r) => missingDescription("resource", resourceAt(r), `resource ${r.uri}`, r.description)),
    ...manifest.resourceTemplates.flatMap((t) =>
      missingDescription("resourceTemplate", templateAt(t), `resource template ${t.uriTemplate}`, t.description)
    ),
    // spec server/tools "Tool Names": tool names SHOULD be unique within a server.
    ...duplicates("tool", manifest.tools, (t) => t.name, toolAt, "tool"),
    ...duplicates("prompt", manifest.prompts, (p) => p.name, promptAt, "prompt"),
    ...duplicates("resource", manifest.resources, (r) => r.uri, resourceAt, "resource"),
    ...duplicates("resourceTemplate", manifest.resourceTemplates, (t) => t.uriTemplate, templateAt, "resource template"),
    ...(manifest.tools.length > maxTools
      ? [{
        rule: "large-surface",
        severity: "warning" as const,
        primitive: "server" as const,
        path: "/tools",
        message: `the server offers ${manifest.tools.length} tools (more than ${maxTools}): every tool costs context, and models choose worse among many`,
        fix: "split the server, group tools behind fewer general ones, or raise --max-tools if this is intended"
      }]
      : [])
  ]
  return findings.sort((a, b) =>
    rank(b.severity) - rank(a.severity) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0)
  )
}
