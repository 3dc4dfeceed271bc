/**
 * RFC 6570 URI templates, for matching concrete URIs against a resource
 * template and extracting its variables (levels 1-4 expressions; the prefix
 * modifier `:n` and explode `*` are accepted, explode values are kept as one
 * string per variable).
 */

interface Literal {
  readonly _tag: "Literal"
  readonly text: string
}

interface Expression {
  readonly _tag: "Expression"
  readonly operator: "" | "+" | "#" | "." | "/" | ";" | "?" | "&"
  readonly names: ReadonlyArray<string>
}

type Part = Literal | Expression

export interface UriTemplate {
  readonly template: string
  readonly variables: ReadonlyArray<string>
  /** The variables of a URI the template matches, or undefined. */
  readonly match: (uri: string) => Record<string, string> | undefined
  /** Expands the template with the given variables (simple string values). */
  readonly expand: (values: Readonly<Record<string, string>>) => string
}

const operators = new Set(["+", "#", ".", "/", ";", "?", "&"])

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const parseParts = (template: string): Array<Part> => {
  const parts: Array<Part> = []
  let i = 0
  while (i < template.length) {
    const open = template.indexOf("{", i)
    if (open === -1) {
      parts.push({ _tag: "Literal", text: template.slice(i) })
      break
    }
    if (open > i) parts.push({ _tag: "Literal", text: template.slice(i, open) })
    const close = template.indexOf("}", open)
    if (close === -1) throw new Error(`Unclosed expression in URI template "${template}"`)
    let body = template.slice(open + 1, close)
    let operator: Expression["operator"] = ""
    if (body.length > 0 && operators.has(body[0]!)) {
      operator = body[0] as Expression["operator"]
      body = body.slice(1)
    }
    const names = body.split(",").map((n) => n.replace(/\*$/, "").replace(/:\d+$/, ""))
    if (names.some((n) => !/^[A-Za-z0-9_.%]+$/.test(n))) {
      throw new Error(`Invalid variable name in URI template "${template}"`)
    }
    parts.push({ _tag: "Expression", operator, names })
    i = close + 1
  }
  return parts
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Compiles a template once; matching is a single regular expression test. */
export const compile = (template: string): UriTemplate => {
  const parts = parseParts(template)
  const variables: Array<string> = []
  let source = "^"
  const groups: Array<{ readonly name: string; readonly kind: "value" | "query" | "matrix" }> = []
  for (const part of parts) {
    if (part._tag === "Literal") {
      source += escapeRegex(part.text)
      continue
    }
    variables.push(...part.names)
    switch (part.operator) {
      case "":
      case "+":
      case "#": {
        const prefix = part.operator === "#" ? "#" : ""
        const chars = part.operator === "" ? "[^/?#,]" : "[^,]"
        source += escapeRegex(prefix) + part.names.map(() => `(${chars}*?)`).join(",")
        for (const name of part.names) groups.push({ name, kind: "value" })
        break
      }
      case ".":
      case "/": {
        const sep = escapeRegex(part.operator)
        // A label (".") ends at the next dot; a path segment ("/") only at the next slash.
        const chars = part.operator === "." ? "[^/?#.]" : "[^/?#]"
        source += part.names.map(() => `(?:${sep}(${chars}*))?`).join("")
        for (const name of part.names) groups.push({ name, kind: "value" })
        break
      }
      case ";": {
        source += part.names.map((n) => `(?:;${escapeRegex(n)}(?:=([^;/?#]*))?)?`).join("")
        for (const name of part.names) groups.push({ name, kind: "matrix" })
        break
      }
      case "?":
      case "&": {
        // Query parameters may come in any order: capture the whole query and split it.
        source += `(?:${escapeRegex(part.operator)}([^#]*))?`
        groups.push({ name: part.names.join(","), kind: "query" })
        break
      }
    }
  }
  source += "$"
  const regex = new RegExp(source)
  const match = (uri: string): Record<string, string> | undefined => {
    const m = regex.exec(uri)
    if (m === null) return undefined
    const out: Record<string, string> = {}
    groups.forEach((group, index) => {
      const raw = m[index + 1]
      if (raw === undefined) return
      if (group.kind === "query") {
        const wanted = new Set(group.name.split(","))
        for (const pair of raw.split("&")) {
          const eq = pair.indexOf("=")
          const key = safeDecode(eq === -1 ? pair : pair.slice(0, eq))
          if (wanted.has(key)) out[key] = eq === -1 ? "" : safeDecode(pair.slice(eq + 1))
        }
      } else {
        out[group.name] = safeDecode(raw)
      }
    })
    return out
  }
  const expand = (values: Readonly<Record<string, string>>): string =>
    parts
      .map((part) => {
        if (part._tag === "Literal") return part.text
        const present = part.names.filter((n) => values[n] !== undefined)
        if (present.length === 0) return ""
        const enc = (v: string) => (part.operator === "+" || part.operator === "#" ? encodeURI(v) : encodeURIComponent(v))
        switch (part.operator) {
          case "":
          case "+":
            return present.map((n) => enc(values[n]!)).join(",")
          case "#":
            return "#" + present.map((n) => enc(values[n]!)).join(",")
          case ".":
          case "/":
            return present.map((n) => part.operator + enc(values[n]!)).join("")
          case ";":
            return present.map((n) => `;${n}${values[n] === "" ? "" : "=" + enc(values[n]!)}`).join("")
          case "?":
          case "&":
            return part.operator + present.map((n) => `${n}=${enc(values[n]!)}`).join("&")
        }
      })
      .join("")
  return { template, variables, match, expand }
}
