/**
 * The authorization server's HTML pages: document structure and
 * accessibility (one h1 in main, lang, labels bound to inputs, posting
 * forms with a CSRF field), escaping of everything interpolated (a
 * property test over arbitrary strings), links only to https, the style
 * hash in the CSP, and the security headers.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { createHash } from "node:crypto"
import * as Pages from "../src/internal/oauth/pages.js"

// -- A tiny tag parser: enough to check structure (the style is cut out first) --

interface Tag {
  readonly name: string
  readonly closing: boolean
  readonly attributes: ReadonlyMap<string, string>
  /** Where it starts in the document. */
  readonly index: number
}

const tagPattern = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g
const attributePattern = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g

const decode = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: "\"", "#39": "'", "#96": "`" })[e]!)

const withoutStyle = (html: string) => html.replace(/<style>[\s\S]*?<\/style>/, "<style></style>")

const tags = (html: string): Array<Tag> =>
  [...withoutStyle(html).matchAll(tagPattern)].map((m) => ({
    name: m[2]!.toLowerCase(),
    closing: m[1] === "/",
    index: m.index,
    attributes: new Map([...m[3]!.matchAll(attributePattern)].map((a) => [a[1]!.toLowerCase(), decode(a[2] ?? a[3] ?? a[4] ?? "")]))
  }))

const wellFormed = (s: string) => {
  try {
    encodeURIComponent(s)
    return true
  } catch {
    return false
  }
}

const opening = (html: string, name: string) => tags(html).filter((t) => !t.closing && t.name === name)

/** The text between an element's opening tag and the next closing tag of its name (no nesting of the same name here). */
const textOf = (html: string, name: string): Array<string> =>
  [...withoutStyle(html).matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, "g"))].map((m) =>
    decode(m[1]!.replace(/<[^>]*>/g, "")).trim()
  )

/** The skeleton of a document: its tags with attribute values blanked. Injection changes it. */
const skeleton = (html: string): Array<string> =>
  tags(html).map((t) => `${t.closing ? "/" : ""}${t.name}(${[...t.attributes.keys()].join(",")})`)

/** Checks what every page must be. */
const expectWellFormedPage = (html: string) => {
  expect(html.startsWith("<!doctype html>\n")).toBe(true)
  const all = tags(html)
  expect(opening(html, "html")).toHaveLength(1)
  expect(opening(html, "html")[0]!.attributes.get("lang")).toBe("en")
  expect(opening(html, "meta").some((m) => m.attributes.get("name") === "viewport" && m.attributes.get("content")?.includes("width=device-width"))).toBe(true)
  expect(opening(html, "meta").some((m) => m.attributes.get("charset") === "utf-8")).toBe(true)
  expect(textOf(html, "title")).toHaveLength(1)
  expect(textOf(html, "title")[0]!.length).toBeGreaterThan(0)
  // One h1, inside the one main.
  expect(opening(html, "main")).toHaveLength(1)
  const h1 = opening(html, "h1")
  expect(h1).toHaveLength(1)
  const mainStart = opening(html, "main")[0]!.index
  const mainEnd = all.find((t) => t.closing && t.name === "main")!.index
  expect(h1[0]!.index).toBeGreaterThan(mainStart)
  expect(h1[0]!.index).toBeLessThan(mainEnd)
  // Nothing a strict CSP would block or that runs code: no scripts, handlers, style attributes, external assets.
  for (const forbidden of ["script", "link", "img", "iframe", "object", "embed", "base", "svg"]) expect(opening(html, forbidden)).toEqual([])
  for (const tag of all) {
    for (const name of tag.attributes.keys()) {
      expect(name.startsWith("on")).toBe(false)
      expect(name).not.toBe("style")
    }
  }
  expect(opening(html, "style")).toHaveLength(1)
  // Every visible input is bound to a label, every label to an input; ids are unique.
  const ids = all.flatMap((t) => (t.closing || !t.attributes.has("id") ? [] : [t.attributes.get("id")!]))
  expect(new Set(ids).size).toBe(ids.length)
  const inputs = opening(html, "input").filter((i) => i.attributes.get("type") !== "hidden")
  const labelFor = new Set(opening(html, "label").map((l) => l.attributes.get("for")))
  for (const input of inputs) {
    expect(input.attributes.get("id")).toBeDefined()
    expect(labelFor.has(input.attributes.get("id"))).toBe(true)
    expect(input.attributes.get("name")).toBeTruthy()
  }
  for (const target of labelFor) expect(inputs.some((i) => i.attributes.get("id") === target)).toBe(true)
  for (const described of all.flatMap((t) => t.attributes.get("aria-describedby")?.split(" ") ?? [])) {
    expect(ids).toContain(described)
  }
  // Every button submits, with text saying what it does.
  const buttons = opening(html, "button")
  for (const button of buttons) expect(button.attributes.get("type")).toBe("submit")
  for (const text of textOf(html, "button")) expect(text.length).toBeGreaterThan(1)
  // Every link goes to https or to this server.
  for (const a of opening(html, "a")) expect(a.attributes.get("href")).toMatch(/^(https:\/\/|\/(?!\/))/)
}

/** Checks a form posts to `action` with the CSRF token (and the interaction, when given). */
const expectPostForm = (html: string, action: string, csrfToken: string, interaction?: string) => {
  const forms = opening(html, "form")
  expect(forms).toHaveLength(1)
  expect(forms[0]!.attributes.get("method")).toBe("post")
  expect(forms[0]!.attributes.get("action")).toBe(action)
  const hidden = opening(html, "input").filter((i) => i.attributes.get("type") === "hidden")
  const valueOf = (name: string) => hidden.find((i) => i.attributes.get("name") === name)?.attributes.get("value")
  expect(valueOf(Pages.fields.csrf)).toBe(csrfToken)
  if (interaction !== undefined) expect(valueOf(Pages.fields.interaction)).toBe(interaction)
  // The hidden fields and buttons are inside the form.
  const formStart = forms[0]!.index
  const formEnd = tags(html).find((t) => t.closing && t.name === "form")!.index
  for (const t of [...hidden, ...opening(html, "button")]) {
    expect(t.index).toBeGreaterThan(formStart)
    expect(t.index).toBeLessThan(formEnd)
  }
}

// -- Fixtures --

const consent = (over: Partial<Pages.ConsentPage> = {}): Pages.ConsentPage => ({
  serverName: "Acme MCP",
  client: { name: "Notes App", id: "https://notes.example.com/oauth/client.json", kind: "metadata-document", uri: "https://notes.example.com/" },
  user: { subject: "user-42", name: "Alice" },
  scopes: [{ name: "tools:call", description: "Call tools" }, { name: "prompts:get" }],
  resources: ["https://mcp.acme.example/mcp"],
  action: "/oauth/consent",
  csrfToken: "csrf-abc",
  interaction: "int-123",
  ...over
})

const login = (over: Partial<Pages.LoginPage> = {}): Pages.LoginPage => ({
  title: "Sign in to Acme MCP",
  clientName: "Notes App",
  providers: [{ label: "Continue with GitHub", href: "/oauth/upstream/github?interaction=int-1" }],
  local: { action: "/oauth/login", csrfToken: "csrf-1", interaction: "int-1" },
  ...over
})

const device = (over: Partial<Pages.DevicePage> = {}): Pages.DevicePage => ({
  action: "/oauth/device",
  csrfToken: "csrf-d",
  ...over
})

describe("OAuth pages: structure and accessibility", () => {
  it("the sign-in page lists the providers as links and binds the username and password labels", () => {
    const html = Pages.loginPage(login())
    expectWellFormedPage(html)
    expectPostForm(html, "/oauth/login", "csrf-1", "int-1")
    expect(textOf(html, "h1")).toEqual(["Sign in to Acme MCP"])
    expect(opening(html, "a").map((a) => a.attributes.get("href"))).toEqual(["/oauth/upstream/github?interaction=int-1"])
    expect(textOf(html, "a")).toEqual(["Continue with GitHub"])
    const inputs = opening(html, "input").filter((i) => i.attributes.get("type") !== "hidden")
    expect(inputs.map((i) => [i.attributes.get("name"), i.attributes.get("autocomplete")])).toEqual([
      ["username", "username"],
      ["password", "current-password"]
    ])
    expect(textOf(html, "button")).toEqual(["Sign in"])
    expect(html).not.toContain("role=\"alert\"")
  })

  it("the sign-in page announces an error and ties it to the inputs", () => {
    const html = Pages.loginPage(login({ local: { action: "/oauth/login", csrfToken: "c", error: "Wrong username or password", username: "alice" } }))
    expectWellFormedPage(html)
    const error = tags(html).find((t) => t.attributes.get("role") === "alert")!
    expect(error.attributes.get("id")).toBe("login-error")
    const username = opening(html, "input").find((i) => i.attributes.get("name") === "username")!
    expect(username.attributes.get("aria-describedby")).toBe("login-error")
    expect(username.attributes.get("value")).toBe("alice")
    expect(opening(html, "input").find((i) => i.attributes.get("name") === "password")!.attributes.has("value")).toBe(false)
  })

  it("a sign-in page with providers only has no form; one with neither says so", () => {
    const providersOnly = Pages.loginPage({ title: "Sign in", providers: [{ label: "Continue with Google", href: "https://auth.acme.example/up/google" }] })
    expectWellFormedPage(providersOnly)
    expect(opening(providersOnly, "form")).toEqual([])
    const none = Pages.loginPage({ title: "Sign in", providers: [] })
    expectWellFormedPage(none)
    expect(none).toContain("No way to sign in is configured")
  })

  it("the consent page shows the client, where it comes from, the user, the scopes and resources, and Allow/Deny buttons", () => {
    const html = Pages.consentPage(consent())
    expectWellFormedPage(html)
    expectPostForm(html, "/oauth/consent", "csrf-abc", "int-123")
    expect(textOf(html, "h1")).toEqual(["Allow Notes App to access Acme MCP?"])
    const buttons = opening(html, "button")
    expect(buttons.map((b) => [b.attributes.get("name"), b.attributes.get("value")])).toEqual([
      [Pages.fields.decision, "allow"],
      [Pages.fields.decision, "deny"]
    ])
    expect(textOf(html, "button")).toEqual(["Allow access", "Deny"])
    const text = decode(withoutStyle(html).replace(/<[^>]*>/g, " ").replace(/\s+/g, " "))
    expect(text).toContain("notes.example.com")
    expect(text).toContain("https://notes.example.com/oauth/client.json")
    expect(text).toContain("Alice (user-42)")
    expect(text).toContain("tools:call — Call tools")
    expect(text).toContain("prompts:get")
    expect(text).toContain("https://mcp.acme.example/mcp")
    // The resource is an identifier, shown as text, not a link; the https client_uri is a link.
    expect(opening(html, "a").map((a) => a.attributes.get("href"))).toEqual(["https://notes.example.com/"])
    expect(opening(html, "a")[0]!.attributes.get("rel")).toBe("noopener noreferrer")
  })

  it("a dynamically registered client is marked unverified (spec security best practices, Confused Deputy Problem)", () => {
    const html = Pages.consentPage(consent({ client: { name: "Acme Official", id: "dyn_8f3a", kind: "dynamic" } }))
    expectWellFormedPage(html)
    expect(html).toContain("Registered dynamically — unverified")
    expect(html).toContain("dyn_8f3a")
    const staticClient = Pages.consentPage(consent({ client: { name: "Acme CLI", id: "acme-cli", kind: "static" } }))
    expectWellFormedPage(staticClient)
    expect(staticClient).not.toContain("unverified")
    expect(staticClient).toContain("registered by the administrators of Acme MCP")
  })

  it("a metadata-document client shows its client_id URL's host, not the host its name or client_uri claims", () => {
    const html = Pages.consentPage(consent({
      client: { name: "Google Drive", id: "https://evil.example.net/client.json", uri: "https://drive.google.com/", kind: "metadata-document" }
    }))
    expect(html).toContain("It comes from <strong class=\"code\">evil.example.net</strong>")
    expect(html).toContain("Website (stated by the application)")
    expect(html).toContain("Only continue if you trust evil.example.net")
  })

  it("no scopes or no resources are stated as such", () => {
    const html = Pages.consentPage(consent({ scopes: [], resources: [] }))
    expectWellFormedPage(html)
    expect(html).toContain("No specific permissions")
    expect(html).toContain("no specific resource was named")
  })

  it("the device page asks for the user code with a one-time-code input and an uppercase hint (RFC 8628 §3.3)", () => {
    const html = Pages.devicePage(device({ userCode: "WDJB-MJHT" }))
    expectWellFormedPage(html)
    expectPostForm(html, "/oauth/device", "csrf-d")
    const input = opening(html, "input").find((i) => i.attributes.get("name") === Pages.fields.userCode)!
    expect(input.attributes.get("autocomplete")).toBe("one-time-code")
    expect(input.attributes.get("autocapitalize")).toBe("characters")
    expect(input.attributes.get("spellcheck")).toBe("false")
    expect(input.attributes.get("value")).toBe("WDJB-MJHT")
    expect(input.attributes.get("aria-describedby")).toBe("user-code-hint")
    expect(html).toMatch(/Capitals and dashes do not matter/)
    const withError = Pages.devicePage(device({ error: "That code is not valid or has expired" }))
    expectWellFormedPage(withError)
    expect(opening(withError, "input").find((i) => i.attributes.get("name") === Pages.fields.userCode)!.attributes.get("aria-describedby"))
      .toBe("user-code-hint code-error")
  })

  it("the device consent page shows the user code to compare (RFC 8628 §5.4)", () => {
    const html = Pages.deviceConsentPage({ ...consent({ client: { name: "TV App", id: "tv", kind: "static" } }), userCode: "WDJB-MJHT" })
    expectWellFormedPage(html)
    expectPostForm(html, "/oauth/consent", "csrf-abc", "int-123")
    expect(html).toContain("<p class=\"usercode code\">WDJB-MJHT</p>")
    expect(textOf(html, "button")).toEqual(["Allow access", "Deny"])
  })

  it("the message page: an error is announced, a notice is not", () => {
    const error = Pages.messagePage({ title: "Sign-in failed", message: "The request expired.", status: "error" })
    expectWellFormedPage(error)
    expect(error).toContain("<p class=\"error\" role=\"alert\">The request expired.</p>")
    const done = Pages.messagePage({ title: "Done", message: "You may close this window." })
    expectWellFormedPage(done)
    expect(done).not.toContain("role=\"alert\"")
    expect(opening(done, "form")).toEqual([])
  })
})

describe("OAuth pages: escaping and links", () => {
  it("escape turns every markup character into an entity and replaces lone surrogates", () => {
    expect(Pages.escape(`<a href="x" onclick='y'>&\``)).toBe("&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;")
    expect(Pages.escape("\ud800x\udc00")).toBe("\ufffdx\ufffd")
    expect(Pages.escape("😀")).toBe("😀")
  })

  it("a hostile client name is text, never markup", () => {
    const name = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
    const html = Pages.consentPage(consent({ client: { name, id: "x", kind: "dynamic" } }))
    expectWellFormedPage(html)
    expect(html).not.toContain("<script>")
    expect(html).not.toContain("<img")
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;")
    expect(skeleton(html)).toEqual(skeleton(Pages.consentPage(consent({ client: { name: "x", id: "x", kind: "dynamic" } }))))
  })

  const textSlots = (s: string) => [
    Pages.loginPage({
      title: s,
      clientName: s,
      error: s,
      providers: [{ label: s, href: "/up" }],
      local: { action: "/login", csrfToken: s, interaction: s, username: s, error: s }
    }),
    Pages.consentPage({
      serverName: s,
      client: { name: s, id: s, kind: "metadata-document", host: s },
      user: { subject: s, name: s },
      scopes: [{ name: s, description: s }],
      resources: [s],
      action: "/consent",
      csrfToken: s,
      interaction: s
    }),
    Pages.consentPage({ ...consent(), client: { name: s, id: s, kind: "dynamic" } }),
    Pages.devicePage({ action: "/device", csrfToken: s, userCode: s, interaction: s, error: s }),
    Pages.deviceConsentPage({ ...consent({ serverName: s, client: { name: s, id: s, kind: "static" } }), userCode: s }),
    Pages.messagePage({ title: s, message: s, status: "error" })
  ]

  const hostile = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.string({ unit: fc.constantFrom("<", ">", "\"", "'", "`", "&", "=", "/", " ", "a", "script", "--", "!", "\n", "\u0000") }),
    fc.constantFrom("</title><script>x</script>", "\"><svg onload=x>", "' onmouseover='x", "<!--", "]]>", "</textarea>", "&lt;")
  )

  it("property: any string in any text slot leaves the page's tags and attributes unchanged", () => {
    const baseline = textSlots("x").map(skeleton)
    fc.assert(
      fc.property(hostile, (s) => {
        const pages = textSlots(s)
        pages.forEach((html, i) => expect(skeleton(html)).toEqual(baseline[i]))
        // The value comes back intact when the entities are decoded (nothing dropped but lone surrogates).
        const wellFormed = Pages.escape(s)
        for (const html of pages) expect(html).toContain(wellFormed)
      }),
      { numRuns: 300 }
    )
  })

  it("property: any query string in a form action or provider link stays inside its attribute", () => {
    const baseline = [skeleton(Pages.loginPage(login())), skeleton(Pages.devicePage(device()))]
    const query = fc.string({ unit: "binary" }).filter((s) =>
      !/[\s\\\u007f-\u00a0\u200b-\u200f\u2060\ufeff]/.test(s) && !Array.from(s).some((c) => c.charCodeAt(0) < 0x20) && wellFormed(s)
    )
    fc.assert(
      fc.property(query, (q) => {
        const href = `/oauth/upstream/github?q=${q}`
        const action = `/oauth/login?q=${q}`
        const html = Pages.loginPage(login({ providers: [{ label: "Continue with GitHub", href }], local: { action, csrfToken: "csrf-1", interaction: "int-1" } }))
        expect(skeleton(html)).toEqual(baseline[0])
        expect(opening(html, "a")[0]!.attributes.get("href")).toBe(href)
        expect(opening(html, "form")[0]!.attributes.get("action")).toBe(action)
        expect(skeleton(Pages.devicePage(device({ action })))).toEqual(baseline[1])
      }),
      { numRuns: 300 }
    )
  })

  it("javascript:, data:, http: and malformed client URIs are never linked", () => {
    for (const uri of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "\njavascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "http://notes.example.com/",
      "//evil.example/",
      "/relative",
      "https://user:pass@evil.example/",
      "https:\\\\evil.example",
      "not a url"
    ]) {
      const html = Pages.consentPage(consent({ client: { name: "N", id: "https://notes.example.com/c.json", kind: "metadata-document", uri } }))
      expectWellFormedPage(html)
      expect(opening(html, "a")).toEqual([])
      expect(html.toLowerCase()).not.toContain("href=\"javascript")
      expect(Pages.safeLink(uri)).toBeUndefined()
    }
    expect(Pages.safeLink("https://notes.example.com/about?x=<y>")).toBe("https://notes.example.com/about?x=%3Cy%3E")
  })

  it("a server-built action or provider link that is not a path or http(s) URL is refused", () => {
    for (const bad of ["javascript:alert(1)", "//evil.example/x", "/\\evil.example", "/\n/evil.example", "data:,x", "https://u:p@x.example/"]) {
      expect(() => Pages.loginPage(login({ providers: [{ label: "X", href: bad }] }))).toThrow(TypeError)
      expect(() => Pages.devicePage(device({ action: bad }))).toThrow(TypeError)
      expect(() => Pages.consentPage(consent({ action: bad }))).toThrow(TypeError)
    }
  })
})

describe("OAuth pages: style and headers", () => {
  it("the style hash is the SHA-256 of the one inline style on every page", () => {
    for (
      const html of [
        Pages.loginPage(login()),
        Pages.consentPage(consent()),
        Pages.devicePage(device()),
        Pages.deviceConsentPage({ ...consent(), userCode: "ABCD-EFGH" }),
        Pages.messagePage({ title: "t", message: "m" })
      ]
    ) {
      const inline = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!)
      expect(inline).toHaveLength(1)
      expect(`sha256-${createHash("sha256").update(inline[0]!, "utf8").digest("base64")}`).toBe(Pages.styleHash)
    }
    expect(Pages.styleHash).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/)
  })

  it("the style follows prefers-color-scheme, shows focus, and fits 320 px", () => {
    expect(Pages.style).toContain("@media (prefers-color-scheme:dark)")
    expect(Pages.style).toMatch(/:focus-visible\{outline:3px solid/)
    expect(Pages.style).toContain("overflow-wrap:anywhere")
    expect(Pages.style).toMatch(/input\{[^}]*width:100%/)
    // No fixed width anywhere that could exceed 320 px.
    for (const m of Pages.style.matchAll(/(?:^|[;{])(?:min-)?width:([0-9.]+)(px|rem)/g)) {
      expect(Number(m[1]) * (m[2] === "rem" ? 16 : 1)).toBeLessThanOrEqual(160)
    }
  })

  it("text and controls meet WCAG 2.2 contrast (1.4.3 text 4.5:1, 1.4.11 focus 3:1) in both schemes", () => {
    const schemes = [...Pages.style.matchAll(/:root\{([^}]*)\}/g)].map((m) =>
      Object.fromEntries([...m[1]!.matchAll(/--([a-z-]+):(#[0-9a-f]{6})/g)].map((v) => [v[1]!, v[2]!]))
    )
    expect(schemes).toHaveLength(2)
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => {
        const c = parseInt(hex.slice(i, i + 2), 16) / 255
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
      })
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
    }
    const contrast = (a: string, b: string) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
      return (hi! + 0.05) / (lo! + 0.05)
    }
    for (const v of schemes) {
      const pairs: Array<[string, string, number]> = [
        ["fg", "bg", 4.5],
        ["fg", "panel", 4.5],
        ["muted", "bg", 4.5],
        ["muted", "panel", 4.5],
        ["accent", "bg", 4.5],
        ["on-accent", "accent", 4.5],
        ["danger", "bg", 4.5],
        ["warn-fg", "warn-bg", 4.5],
        ["focus", "bg", 3],
        ["border", "bg", 3]
      ]
      for (const [fg, bg, min] of pairs) {
        expect(v[fg], fg).toBeDefined()
        expect(contrast(v[fg]!, v[bg]!), `${fg} on ${bg}`).toBeGreaterThanOrEqual(min)
      }
    }
  })

  it("every page response carries the security headers and a strict CSP", () => {
    const headers = Pages.pageHeaders(Pages.styleHash)
    expect(headers).toEqual({
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Pragma": "no-cache",
      "X-Frame-Options": "DENY",
      "Content-Security-Policy": `default-src 'none'; style-src '${Pages.styleHash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff"
    })
    expect(() => Pages.pageHeaders("sha256-x'; script-src *")).toThrow(TypeError)
  })

  it("form-action allows the redirect URIs' origins or private-use schemes, and nothing that could break the header", () => {
    const csp = Pages.pageHeaders(Pages.styleHash, [
      "https://app.example.com/callback?x=1",
      "https://app.example.com/other",
      "http://127.0.0.1:49152/cb",
      "com.example.app:/oauth2redirect",
      "javascript:alert(1)",
      "data:text/html,x",
      "https://a.example/; script-src *",
      "https://a.example/,x",
      "https://b.example/'none'",
      "not a url"
    ])["Content-Security-Policy"]!
    const formAction = csp.split("; ").find((d) => d.startsWith("form-action "))
    expect(formAction).toBe("form-action 'self' https://app.example.com http://127.0.0.1:49152 com.example.app: https://a.example https://b.example")
    expect(csp.split("; ")).toHaveLength(5)
    expect(Pages.formActionSource("javascript:alert(1)")).toBeUndefined()
  })
})
