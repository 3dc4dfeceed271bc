/**
 * `emcee lint`: static checks of what an MCP server exposes, read from an app
 * module, a running server or a manifest file (`emcee manifest`).
 *
 * It reports tools that sound destructive or administrative without
 * `destructiveHint` annotations or a declared auth requirement, unbounded
 * string inputs, path/URL/SQL/shell-shaped inputs without constraints, tool
 * names outside the spec's characters or length (spec server/tools "Tool
 * Names": 1-128 characters of A-Z a-z 0-9 _ - .; names over 64 characters get
 * a note, since some clients refuse them), duplicate names, missing
 * descriptions, input schemas that are not objects and a very large surface.
 * Each finding has a rule, a severity, the primitive, a JSON Pointer path, a
 * message and a fix.
 *
 * Static checks read names, descriptions and schemas only: they cannot see
 * authentication, rate limits or what a handler actually does.
 *
 * Exit code 6 when a finding is at or above `--fail-on` (default `error`).
 *
 * @since 0.3.0
 */
import { Command, HelpDoc, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import * as CliError from "./CliError.js"
import * as LintRules from "./internal/lintRules.js"
import * as Source from "./internal/manifestSource.js"
import * as Manifest from "./Manifest.js"

/** How serious a finding is: `error`, `warning` or `info`. */
export type Severity = LintRules.Severity

/** One finding: `{ rule, severity, primitive, path, message, fix }`. */
export type Finding = LintRules.Finding

/** Options of `lint`. */
export type Options = LintRules.RuleOptions

/** Every rule with its severity and what it checks. */
export const rules = LintRules.rules

/** What a static check cannot prove; printed under every report. */
export const LIMITATIONS =
  "Static checks read names, descriptions and schemas only; they cannot see authentication, rate limits or what a handler actually does."

/** Counts of a report. */
export interface Summary {
  readonly error: number
  readonly warning: number
  readonly info: number
  readonly total: number
  readonly failOn: Severity
  /** Whether a finding is at or above `failOn`. */
  readonly failed: boolean
  readonly tools: number
  readonly prompts: number
  readonly resources: number
  readonly resourceTemplates: number
  /** `LIMITATIONS`. */
  readonly note: string
}

/** Runs every rule; findings sorted by severity, then path, then rule. */
export const lint = (manifest: Manifest.Manifest, options: Options = {}): ReadonlyArray<Finding> => LintRules.run(manifest, options)

/** Counts findings and tells whether one is at or above `failOn`. */
export const summarize = (manifest: Manifest.Manifest, findings: ReadonlyArray<Finding>, failOn: Severity = "error"): Summary => {
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length
  return {
    error: count("error"),
    warning: count("warning"),
    info: count("info"),
    total: findings.length,
    failOn,
    failed: findings.some((f) => LintRules.rank(f.severity) >= LintRules.rank(failOn)),
    tools: manifest.tools.length,
    prompts: manifest.prompts.length,
    resources: manifest.resources.length,
    resourceTemplates: manifest.resourceTemplates.length,
    note: LIMITATIONS
  }
}

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`

/** The summary line: `1 error, 2 warnings, 3 info in 4 tools, 1 prompt, 0 resources, 0 resource templates`. */
export const summaryLine = (s: Summary): string =>
  `${plural(s.error, "error")}, ${plural(s.warning, "warning")}, ${s.info} info in ${plural(s.tools, "tool")}, ${plural(s.prompts, "prompt")}, ${
    plural(s.resources, "resource")
  }, ${plural(s.resourceTemplates, "resource template")}${s.failed ? ` — failing (--fail-on ${s.failOn})` : ""}`

/** The report for people: an aligned table (each finding with its fix below), the summary line, then `LIMITATIONS`. */
export const format = (findings: ReadonlyArray<Finding>, summary: Summary): string => {
  const header = ["SEVERITY", "RULE", "PATH", "MESSAGE"] as const
  const rows = findings.map((f) => [f.severity, f.rule, f.path, f.message] as const)
  const width = (i: 0 | 1 | 2) => Math.max(header[i].length, ...rows.map((r) => r[i].length))
  const widths = [width(0), width(1), width(2)] as const
  const line = (cells: readonly [string, string, string, string]) =>
    `${cells[0].padEnd(widths[0])}  ${cells[1].padEnd(widths[1])}  ${cells[2].padEnd(widths[2])}  ${cells[3]}`
  const indent = " ".repeat(widths[0] + widths[1] + widths[2] + 6)
  const table = findings.length === 0
    ? ["No findings."]
    : [line(header), ...findings.flatMap((f, i) => [line(rows[i]!), `${indent}fix: ${f.fix}`])]
  return [...table, "", summaryLine(summary), LIMITATIONS].join("\n")
}

/** The report for scripts: `{ findings, summary }`. */
export const toJson = (findings: ReadonlyArray<Finding>, summary: Summary): string => JSON.stringify({ findings, summary }, null, 2)

const failOn = Options.choice("fail-on", ["error", "warning", "info"]).pipe(
  Options.withDescription("Exit 6 when a finding is at or above this severity"),
  Options.withDefault("error" as Severity)
)
const json = Options.boolean("json").pipe(Options.withDescription("Print { findings, summary } as JSON"))
const maxTools = Options.integer("max-tools").pipe(
  Options.withDescription("More tools than this is a large-surface warning"),
  Options.withDefault(50)
)

/** The `lint` command. */
export const command = Command.make(
  "lint",
  { ...Source.options, manifest: Source.manifestFile, failOn, json, maxTools },
  (args) =>
    Effect.gen(function*() {
      if (args.maxTools < 0) return yield* CliError.user("lint", `--max-tools ${args.maxTools} must be 0 or more`)
      const manifest = yield* Source.load(
        "lint",
        args,
        args.manifest,
        (file) => Manifest.readFile(file, "lint"),
        (client) => Manifest.fromClient(client)
      )
      const findings = lint(manifest, { maxTools: args.maxTools })
      const summary = summarize(manifest, findings, args.failOn)
      yield* Console.log(args.json ? toJson(findings, summary) : format(findings, summary))
      if (summary.failed) {
        const above = findings.filter((f) => LintRules.rank(f.severity) >= LintRules.rank(args.failOn)).length
        return yield* new CliError.CliError({
          command: "lint",
          message: `${plural(above, "finding")} at or above ${args.failOn} (--fail-on ${args.failOn})`,
          exitCode: CliError.ExitCode.lint
        })
      }
    })
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        `Check what an MCP server exposes: destructive or administrative tools without annotations or declared auth, unbounded and path/URL/SQL/shell-shaped string inputs, tool names outside the spec (1-128 of A-Z a-z 0-9 _ - .), duplicates, missing descriptions, non-object input schemas, a very large surface. Exit 6 when a finding is at or above --fail-on. ${LIMITATIONS}`
      ),
      HelpDoc.p("Rules: " + rules.map((r) => `${r.rule} (${r.severity})`).join(", ")),
      HelpDoc.p("Examples:"),
      HelpDoc.p("  emcee lint examples/everything/dist/server.js"),
      HelpDoc.p("  emcee lint --manifest mcp-manifest.json --fail-on warning"),
      HelpDoc.p("  emcee lint --url http://127.0.0.1:3000/mcp --json"),
      HelpDoc.p("  emcee lint --max-tools 80 -- node server.js")
    ])
  )
)

/** Whether `severity` is at or above `threshold`. */
export const atOrAbove = (severity: Severity, threshold: Severity): boolean => LintRules.rank(severity) >= LintRules.rank(threshold)
