/**
 * The authorization server's own HTML pages: sign-in, consent, device code
 * entry (RFC 8628 §3.3), device consent and plain messages. Each page is a
 * pure function returning a complete document; the server sends it with
 * `pageHeaders`.
 *
 * - No JavaScript, no external assets, no framework: one small inline
 *   `<style>` whose hash (`styleHash`) is the only style the Content
 *   Security Policy allows, and `default-src 'none'` blocks the rest
 *   (images included: client logos are never loaded).
 * - Accessible: `lang`, one `<h1>` inside `<main>`, every input bound to a
 *   `<label for>`, errors announced (`role="alert"`) and tied to their
 *   input (`aria-describedby`), visible focus rings, WCAG AA contrast in the
 *   light and dark schemes (`prefers-color-scheme`), usable at 320 px wide.
 * - Every interpolated value goes through `escape`; URLs become links only
 *   when `safeLink`/`formAction` accept them (never `javascript:`).
 * - Forms are real `<form method="post">`s carrying a CSRF token
 *   (`fields.csrf`) and, where there is one, the interaction id.
 */
import { createHash } from "node:crypto"

/** The form field names the pages post (what the endpoints read). */
export const fields = {
  csrf: "csrf_token",
  interaction: "interaction",
  decision: "decision",
  username: "username",
  password: "password",
  userCode: "user_code"
} as const

/** The values of `fields.decision` on a consent form. */
export type Decision = "allow" | "deny"

const entities: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\"": "&quot;",
  "'": "&#39;",
  "`": "&#96;"
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * HTML-escapes a value for text content and double-quoted attribute values
 * (OWASP XSS Prevention Cheat Sheet, rules #1 and #2). Lone UTF-16
 * surrogates are replaced so the page is valid UTF-8.
 */
export const escape = (value: string): string =>
  String(value).replace(loneSurrogate, "\ufffd").replace(/[&<>"'`]/g, (c) => entities[c]!)

/**
 * Whether a URL holds characters browsers strip or reinterpret (C0 controls,
 * spaces of any kind, DEL, C1 controls, zero-width marks, backslash), which
 * could turn a checked value into another URL (WHATWG URL: tabs and
 * newlines are removed, `\\` is `/` in special schemes).
 */
const hasUnsafeUrlChars = (value: string): boolean =>
  /[\s\\\u007f-\u00a0\u200b-\u200f\u2060\ufeff]/.test(value) || Array.from(value).some((c) => c.charCodeAt(0) < 0x20)

/**
 * An absolute `https:` URL to show as a link, or undefined (`javascript:`,
 * `data:`, `http:`, relative or malformed URLs are never linked).
 */
export const safeLink = (value: string | undefined): string | undefined => {
  if (value === undefined || hasUnsafeUrlChars(value)) return undefined
  try {
    const url = new URL(value)
    return url.protocol === "https:" && url.hostname !== "" && url.username === "" && url.password === "" ? url.href : undefined
  } catch {
    return undefined
  }
}

/**
 * A server-built target (form action, sign-in link): a path on this server
 * (`/…`, not `//…`) or an absolute http(s) URL. Anything else is a bug in
 * the caller and throws.
 */
const target = (value: string, what: string): string => {
  if (!hasUnsafeUrlChars(value)) {
    if (value.startsWith("/") && !value.startsWith("//")) return value
    try {
      const url = new URL(value)
      if ((url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "") return value
    } catch {
      // falls through
    }
  }
  throw new TypeError(`pages: ${what} must be a path on this server or an http(s) URL`)
}

/** The only style of every page (its hash is in the Content Security Policy). */
export const style = `
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1b1b1f;--muted:#4a4a52;--border:#8a8a94;--panel:#f3f3f6;--accent:#0b57d0;--on-accent:#ffffff;--danger:#b3261e;--warn-bg:#fff4d6;--warn-fg:#5c3d00;--focus:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#121316;--fg:#e6e6ea;--muted:#b4b4be;--border:#80808c;--panel:#1e1f24;--accent:#8ab4f8;--on-accent:#0b1b33;--danger:#f2b8b5;--warn-bg:#3d2e00;--warn-fg:#ffe08a;--focus:#8ab4f8}}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem 3rem;overflow-wrap:anywhere}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
p,ul,dl{margin:0 0 1rem}
ul{padding-left:1.25rem}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.95em}
a{color:var(--accent);text-underline-offset:.15em}
.muted{color:var(--muted)}
.panel{background:var(--panel);border:1px solid var(--border);border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1rem}
.warning{background:var(--warn-bg);color:var(--warn-fg);border:1px solid currentColor;border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1rem}
.error{color:var(--danger);font-weight:600}
.usercode{font-size:1.75rem;letter-spacing:.15em;font-weight:700}
label{display:block;font-weight:600;margin:0 0 .25rem}
.hint{display:block;color:var(--muted);font-size:.9rem;margin:0 0 .25rem}
input{display:block;width:100%;min-height:2.75rem;padding:.5rem .75rem;margin:0 0 1rem;font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--border);border-radius:.375rem}
input.code{text-transform:uppercase;letter-spacing:.1em}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1.5rem 0 0}
.providers{list-style:none;padding:0;display:grid;gap:.75rem}
button,.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;min-width:6rem;padding:.5rem 1.25rem;font:inherit;font-weight:600;border-radius:.375rem;border:2px solid var(--accent);cursor:pointer;text-decoration:none;text-align:center}
.primary{background:var(--accent);color:var(--on-accent)}
.secondary{background:var(--bg);color:var(--accent)}
.providers .button{width:100%}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
input:focus-visible{border-color:var(--focus)}
@media (forced-colors:active){button,.button{border:2px solid ButtonText}}
`

/** `sha256-<base64>` of `style`: the CSP source that allows it (CSP Level 3 §2.3.1 hash-source). */
export const styleHash = `sha256-${createHash("sha256").update(style, "utf8").digest("base64")}`

/**
 * The CSP source expression a form may post, or be redirected, to (CSP
 * `form-action`, which browsers also apply to the redirect after a post,
 * e.g. to a client's redirect URI after consent): the origin of an http(s)
 * URL, the scheme of a private-use URI scheme (RFC 8252 §7.1). Undefined
 * for anything else, so nothing a client registered can break out of the
 * header.
 */
export const formActionSource = (uri: string): string | undefined => {
  if (hasUnsafeUrlChars(uri)) return undefined
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return undefined
  }
  if (url.protocol === "https:" || url.protocol === "http:") {
    return url.origin !== "null" && /^https?:\/\/[A-Za-z0-9.\-[\]:]+$/.test(url.origin) ? url.origin : undefined
  }
  // A private-use scheme (RFC 8252 §7.1): "com.example.app:".
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) && !["javascript:", "data:", "blob:", "filesystem:", "vbscript:", "file:"].includes(url.protocol)
    ? url.protocol
    : undefined
}

/**
 * The headers of every page response: HTML, never cached (RFC 9111 §5.2.2.5
 * `no-store`; RFC 6749 §5.1 asks the same of token responses), never framed
 * (clickjacking: `frame-ancestors 'none'` and `X-Frame-Options: DENY`), no
 * referrer, no MIME sniffing, and a strict CSP allowing only the inline
 * style and posting to this server, plus `formActions` (the redirect URIs
 * the form's response may redirect to; each reduced by `formActionSource`).
 */
export const pageHeaders = (hash: string = styleHash, formActions: ReadonlyArray<string> = []): Record<string, string> => {
  if (!/^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$/.test(hash)) throw new TypeError("pages: the style hash must be a CSP hash source")
  const sources = [...new Set(formActions.flatMap((uri) => formActionSource(uri) ?? []))]
  const csp = [
    "default-src 'none'",
    `style-src '${hash}'`,
    `form-action ${["'self'", ...sources].join(" ")}`,
    "frame-ancestors 'none'",
    "base-uri 'none'"
  ].join("; ")
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": csp,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff"
  }
}

const layout = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${escape(title)}</title>
<style>${style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`

const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escape(value)}">`

const alert = (id: string, message: string | undefined) =>
  message === undefined ? "" : `<p class="error" role="alert" id="${id}">${escape(message)}</p>\n`

// ---------------------------------------------------------------------------
// Sign-in

/** An upstream identity provider to sign in with. */
export interface Provider {
  /** Button text, e.g. `Continue with GitHub`. */
  readonly label: string
  /** Where the button goes (a path on this server starting the upstream login). */
  readonly href: string
}

/** Options of `loginPage`. */
export interface LoginPage {
  /** The page title and heading, e.g. `Sign in to Acme MCP`. */
  readonly title: string
  /** The client the user signs in for, shown as text. */
  readonly clientName?: string
  readonly providers: ReadonlyArray<Provider>
  /** A username and password form. */
  readonly local?: {
    readonly action: string
    readonly csrfToken: string
    readonly interaction?: string
    /** Pre-fills the username after a failed attempt. */
    readonly username?: string
    /** Why the last attempt failed (never say which of username and password was wrong). */
    readonly error?: string
  }
  /** An error with the sign-in as a whole (e.g. the upstream provider refused). */
  readonly error?: string
}

/** The sign-in page: upstream providers as links, then an optional username and password form. */
export const loginPage = (page: LoginPage): string => {
  const parts: Array<string> = [`<h1>${escape(page.title)}</h1>`]
  parts.push(alert("page-error", page.error))
  if (page.clientName !== undefined) {
    parts.push(`<p>Sign in to continue to <strong>${escape(page.clientName)}</strong>.</p>`)
  }
  if (page.providers.length > 0) {
    const items = page.providers.map((p) =>
      `<li><a class="button ${page.local ? "secondary" : "primary"}" href="${escape(target(p.href, "a provider's href"))}">${escape(p.label)}</a></li>`
    )
    parts.push(`<ul class="providers">\n${items.join("\n")}\n</ul>`)
  }
  if (page.local !== undefined) {
    const local = page.local
    if (page.providers.length > 0) parts.push(`<h2>Or sign in with a username and password</h2>`)
    const describedBy = local.error === undefined ? "" : ` aria-describedby="login-error" aria-invalid="true"`
    parts.push(
      `<form method="post" action="${escape(target(local.action, "the login form's action"))}">
${alert("login-error", local.error)}${hidden(fields.csrf, local.csrfToken)}
${local.interaction === undefined ? "" : hidden(fields.interaction, local.interaction) + "\n"}<label for="username">Username</label>
<input id="username" name="${fields.username}" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required${
        local.username === undefined ? "" : ` value="${escape(local.username)}"`
      }${describedBy}>
<label for="password">Password</label>
<input id="password" name="${fields.password}" type="password" autocomplete="current-password" required${describedBy}>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form>`
    )
  }
  if (page.providers.length === 0 && page.local === undefined) {
    parts.push(`<p>No way to sign in is configured.</p>`)
  }
  return layout(page.title, parts.filter((p) => p !== "").join("\n"))
}

// ---------------------------------------------------------------------------
// Consent

/** Where a client comes from: what the consent page says to counter impersonation. */
export type ClientKind = "static" | "dynamic" | "metadata-document"

/** The client asking for access, as the consent page shows it. */
export interface ConsentClient {
  /** Its display name (client-supplied for dynamic and metadata-document clients: never trusted alone). */
  readonly name: string
  readonly id: string
  /** Its home page (`client_uri`), shown only when https. */
  readonly uri?: string
  readonly kind: ClientKind
  /** For a metadata-document client, the host of its `client_id` URL (defaults to the id's host). */
  readonly host?: string
}

/** A scope asked for. */
export interface ScopeItem {
  readonly name: string
  readonly description?: string
}

/** Options of `consentPage`. */
export interface ConsentPage {
  /** This server's name, e.g. `Acme MCP`. */
  readonly serverName: string
  readonly client: ConsentClient
  /** The signed-in user. */
  readonly user: { readonly subject: string; readonly name?: string }
  readonly scopes: ReadonlyArray<ScopeItem>
  /** RFC 8707 resources (the MCP servers the tokens will be for). */
  readonly resources: ReadonlyArray<string>
  readonly action: string
  readonly csrfToken: string
  readonly interaction: string
  /**
   * Where the browser goes after the decision: its host is shown, with a
   * warning when it is this computer (spec 2026-07-28
   * basic/security_best_practices "Localhost Redirect URI Risks").
   */
  readonly redirectUri?: string
}

const hostOf = (uri: string): string | undefined => {
  try {
    return new URL(uri).host || undefined
  } catch {
    return undefined
  }
}

/**
 * Who the client really is (spec 2025-11-25 basic/security_best_practices
 * "Confused Deputy Problem": the consent page identifies the requesting
 * client; draft-ietf-oauth-client-id-metadata-document: the client_id URL's
 * host is what the server can vouch for, not the name the document claims).
 */
const provenance = (client: ConsentClient, serverName: string): string => {
  const website = safeLink(client.uri)
  const websiteLine = website === undefined
    ? ""
    : `<dt>Website${client.kind === "static" ? "" : " (stated by the application)"}</dt><dd><a href="${escape(website)}" rel="noopener noreferrer">${
      escape(website)
    }</a></dd>\n`
  switch (client.kind) {
    case "metadata-document": {
      const host = client.host ?? hostOf(client.id) ?? client.id
      return `<div class="panel">
<p><strong>${escape(client.name)}</strong> is identified by its web address. It comes from <strong class="code">${escape(host)}</strong>.</p>
<dl>
<dt>Client ID</dt><dd class="code">${escape(client.id)}</dd>
${websiteLine}</dl>
<p class="muted">Only continue if you trust ${escape(host)}.</p>
</div>`
    }
    case "dynamic":
      return `<div class="warning" role="note">
<p><strong>Registered dynamically — unverified.</strong> Anyone can register an application under any name: ${
        escape(serverName)
      } has not checked that <strong>${escape(client.name)}</strong> is who it says it is.</p>
<p>Only continue if you started this yourself, from an application you trust.</p>
<dl>
<dt>Client ID</dt><dd class="code">${escape(client.id)}</dd>
${websiteLine}</dl>
</div>`
    case "static":
      return `<div class="panel">
<p><strong>${escape(client.name)}</strong> was registered by the administrators of ${escape(serverName)}.</p>
<dl>
<dt>Client ID</dt><dd class="code">${escape(client.id)}</dd>
${websiteLine}</dl>
</div>`
  }
}

const scopeList = (scopes: ReadonlyArray<ScopeItem>): string =>
  scopes.length === 0
    ? `<p>No specific permissions (the server's default access).</p>`
    : `<ul>\n${
      scopes.map((s) =>
        `<li><code>${escape(s.name)}</code>${s.description === undefined ? "" : ` — ${escape(s.description)}`}</li>`
      ).join("\n")
    }\n</ul>`

const resourceList = (resources: ReadonlyArray<string>, serverName: string): string =>
  resources.length === 0
    ? `<p>${escape(serverName)} (no specific resource was named).</p>`
    // Shown as text, never links: a resource is an identifier, not a page to visit.
    : `<ul>\n${resources.map((r) => `<li><code>${escape(r)}</code></li>`).join("\n")}\n</ul>`

/** The host the browser returns to, and a warning when it is this computer (any program on it may listen there). */
const redirectNotice = (redirectUri: string | undefined): string => {
  if (redirectUri === undefined) return ""
  let url: URL
  try {
    url = new URL(redirectUri)
  } catch {
    return ""
  }
  const place = url.protocol === "http:" || url.protocol === "https:" ? url.host : url.protocol.replace(/:$/, "")
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)
  return `<h2>Then returns to</h2>
<p class="code">${escape(place)}</p>
${loopback ? `<p class="warning">This address is on your own computer. Allow only if you started this from an application you trust on this computer.</p>\n` : ""}`
}

const consentBody = (page: ConsentPage, heading: string, extra: string): string => {
  const user = page.user.name === undefined
    ? `<strong>${escape(page.user.subject)}</strong>`
    : `<strong>${escape(page.user.name)}</strong> <span class="muted">(${escape(page.user.subject)})</span>`
  return `<h1>${escape(heading)}</h1>
${extra}<p><strong>${escape(page.client.name)}</strong> wants to access ${escape(page.serverName)} as you.</p>
${provenance(page.client, page.serverName)}
<h2>Signed in as</h2>
<p>${user}</p>
<h2>It asks for</h2>
${scopeList(page.scopes)}
<h2>On</h2>
${resourceList(page.resources, page.serverName)}
${redirectNotice(page.redirectUri)}<form method="post" action="${escape(target(page.action, "the consent form's action"))}">
${hidden(fields.csrf, page.csrfToken)}
${hidden(fields.interaction, page.interaction)}
${"userCode" in page && typeof page.userCode === "string" ? hidden(fields.userCode, page.userCode) + "\n" : ""}
<div class="actions">
<button class="primary" type="submit" name="${fields.decision}" value="allow">Allow access</button>
<button class="secondary" type="submit" name="${fields.decision}" value="deny">Deny</button>
</div>
</form>`
}

/** The consent page: who asks (and where it really comes from), for what, on which resources, for whom; Allow or Deny. */
export const consentPage = (page: ConsentPage): string => {
  const title = `Allow ${page.client.name} to access ${page.serverName}?`
  return layout(title, consentBody(page, title, ""))
}

// ---------------------------------------------------------------------------
// Device flow (RFC 8628)

/** Options of `devicePage`. */
export interface DevicePage {
  readonly action: string
  readonly csrfToken: string
  /** Pre-fills the code (RFC 8628 §3.3.1 `verification_uri_complete`, or after an error). */
  readonly userCode?: string
  readonly interaction?: string
  readonly error?: string
}

/** The user code entry page (RFC 8628 §3.3: the user enters the code their device shows). */
export const devicePage = (page: DevicePage): string => {
  const title = "Connect a device"
  const describedBy = page.error === undefined ? "user-code-hint" : "user-code-hint code-error"
  return layout(
    title,
    `<h1>${title}</h1>
<p>Enter the code shown on your device or in your application.</p>
<form method="post" action="${escape(target(page.action, "the device form's action"))}">
${alert("code-error", page.error)}${hidden(fields.csrf, page.csrfToken)}
${page.interaction === undefined ? "" : hidden(fields.interaction, page.interaction) + "\n"}<label for="user-code">Code</label>
<span class="hint" id="user-code-hint">Letters, as shown, for example WDJB-MJHT. Capitals and dashes do not matter.</span>
<input class="code" id="user-code" name="${fields.userCode}" type="text" autocomplete="one-time-code" autocapitalize="characters" autocorrect="off" spellcheck="false" inputmode="text" maxlength="32" required aria-describedby="${describedBy}"${
      page.error === undefined ? "" : ` aria-invalid="true"`
    }${page.userCode === undefined ? "" : ` value="${escape(page.userCode)}"`}>
<div class="actions"><button class="primary" type="submit">Continue</button></div>
</form>`
  )
}

/** Options of `deviceConsentPage`: a consent page plus the user code to compare. */
export interface DeviceConsentPage extends ConsentPage {
  /** The user code, as the device shows it (e.g. `WDJB-MJHT`). */
  readonly userCode: string
}

/**
 * Consent for a device (RFC 8628 §3.3), showing the user code so the user
 * checks it matches their device (RFC 8628 §5.4 remote phishing).
 */
export const deviceConsentPage = (page: DeviceConsentPage): string => {
  const title = `Allow ${page.client.name} on your device to access ${page.serverName}?`
  const code = `<div class="panel">
<p>Check that your device shows this code:</p>
<p class="usercode code">${escape(page.userCode)}</p>
<p class="muted">If it does not, or you did not start this yourself, choose Deny.</p>
</div>
`
  return layout(title, consentBody(page, title, code))
}

// ---------------------------------------------------------------------------
// Messages

/** Options of `messagePage`. */
export interface MessagePage {
  readonly title: string
  readonly message: string
  /** `error` is announced (`role="alert"`); default `info`. */
  readonly status?: "info" | "success" | "error"
}

/** A message: an error, or "you may close this window". */
export const messagePage = (page: MessagePage): string =>
  layout(
    page.title,
    `<h1>${escape(page.title)}</h1>
<p${page.status === "error" ? ` class="error" role="alert"` : ""}>${escape(page.message)}</p>`
  )
