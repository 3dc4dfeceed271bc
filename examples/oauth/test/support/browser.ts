/**
 * A small scripted browser for the authorization code flow: `fetch` with
 * manual redirects, a cookie jar (per host, with paths and expiry, RFC 6265
 * §5.3 simplified: cookies are not isolated by port, as in browsers), and a
 * user who clicks through the pages the flow shows: the example's login
 * page (the "local" provider's link), oidc-provider's development login and
 * consent forms, and the example's consent page ("Allow access"). It stops
 * at the redirect to the client's `redirect_uri` and answers that URL
 * (`code`, `state`, `iss`), without requesting it.
 */

interface StoredCookie {
  readonly value: string
  readonly path: string
  readonly expiresAt: number | undefined
}

const decodeEntities = (text: string): string =>
  text.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F|#47);/g, (_m, name: string) =>
    ({ amp: "&", lt: "<", gt: ">", quot: "\"", "#39": "'", "#x27": "'", "#x2F": "/", "#47": "/" })[name] ?? "")

/** The attributes of every `<tag …>` in `html`. */
const tags = (html: string, tag: string): Array<Record<string, string>> =>
  [...html.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, "gi"))].map((m) => {
    const attributes: Record<string, string> = {}
    for (const a of m[1]!.matchAll(/([a-zA-Z_:][\w:.-]*)(?:\s*=\s*"([^"]*)")?/g)) attributes[a[1]!.toLowerCase()] = decodeEntities(a[2] ?? "")
    return attributes
  })

/** A form of a page: its action (absolute) and the values of its hidden inputs. */
export interface Form {
  readonly action: string
  readonly hidden: Record<string, string>
  readonly html: string
}

/** The forms of `html`, with actions resolved against `base`. */
export const formsOf = (html: string, base: string): Array<Form> =>
  [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)].map((m) => {
    const formHtml = m[0]
    const action = tags(formHtml, "form")[0]?.action ?? ""
    const hidden: Record<string, string> = {}
    for (const input of tags(formHtml, "input")) if (input.type === "hidden" && input.name !== undefined) hidden[input.name] = input.value ?? ""
    return { action: new URL(action === "" ? base : action, base).href, hidden, html: formHtml }
  })

/** What a flow through the pages did. */
export interface FlowResult {
  /** The redirect to the client: `redirect_uri?code=…&state=…&iss=…`. */
  readonly callback: URL
  /** The URLs visited, in order (for failure messages and assertions). */
  readonly visited: ReadonlyArray<string>
}

export class Browser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>()

  /** One request, redirects not followed, cookies sent and stored. */
  async request(url: string, init: { readonly method?: string; readonly form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url)
    const headers: Record<string, string> = { accept: "text/html" }
    const cookie = this.cookieHeader(target)
    if (cookie !== "") headers.cookie = cookie
    let body: string | undefined
    if (init.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded"
      body = new URLSearchParams(init.form).toString()
    }
    const response = await fetch(target, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, redirect: "manual", ...(body === undefined ? {} : { body }) })
    for (const line of response.headers.getSetCookie()) this.store(target, line)
    return response
  }

  /** The cookies this browser would send to `url`'s host (names only, for assertions). */
  cookieNames(url: string): ReadonlyArray<string> {
    return [...(this.jar.get(new URL(url).hostname)?.keys() ?? [])]
  }

  private cookieHeader(url: URL): string {
    const now = Date.now()
    const cookies = this.jar.get(url.hostname)
    if (cookies === undefined) return ""
    const out: Array<string> = []
    for (const [name, c] of cookies) {
      if (c.expiresAt !== undefined && c.expiresAt <= now) {
        cookies.delete(name)
        continue
      }
      if (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`)) out.push(`${name}=${c.value}`)
    }
    return out.join("; ")
  }

  private store(url: URL, line: string): void {
    const [pair, ...attributes] = line.split(";").map((s) => s.trim())
    const eq = pair!.indexOf("=")
    if (eq <= 0) return
    const name = pair!.slice(0, eq)
    const value = pair!.slice(eq + 1)
    let path = url.pathname.replace(/\/[^/]*$/, "") || "/"
    let expiresAt: number | undefined
    for (const attribute of attributes) {
      const [key, ...rest] = attribute.split("=")
      const v = rest.join("=")
      switch (key!.toLowerCase()) {
        case "path":
          path = v.startsWith("/") ? v : "/"
          break
        case "max-age":
          expiresAt = Date.now() + Number(v) * 1000
          break
        case "expires":
          expiresAt ??= Date.parse(v)
          break
      }
    }
    const cookies = this.jar.get(url.hostname) ?? new Map<string, StoredCookie>()
    this.jar.set(url.hostname, cookies)
    // Cookies of the same name with different paths are rare in this flow: the latest wins.
    if (expiresAt !== undefined && expiresAt <= Date.now()) cookies.delete(name)
    else cookies.set(name, { value, path, expiresAt })
  }

  /**
   * Runs an authorization request through the pages as `username` would:
   * signs in with the "local" provider, allows everything asked, and stops
   * at the redirect to `redirectUri`. Fails, with the last page, on anything
   * else (an error page, a loop).
   */
  async authorize(authorizationUrl: string, options: { readonly redirectUri: string; readonly username: string }): Promise<FlowResult> {
    const visited: Array<string> = []
    let next: { url: string; form?: Record<string, string> } = { url: authorizationUrl }
    for (let step = 0; step < 25; step++) {
      visited.push(`${next.form === undefined ? "GET" : "POST"} ${next.url}`)
      const response = await this.request(next.url, next.form === undefined ? {} : { form: next.form })
      const location = response.headers.get("location")
      if (response.status >= 300 && response.status < 400 && location !== null) {
        const target = new URL(location, next.url)
        await response.body?.cancel()
        if (target.href.startsWith(options.redirectUri)) return { callback: target, visited }
        next = { url: target.href }
        continue
      }
      const html = await response.text()
      const page = `${response.status} ${next.url}\n${html.slice(0, 2000)}`
      if (response.status !== 200) throw new Error(`the flow stopped at an error page: ${page}\nvisited:\n${visited.join("\n")}`)
      const forms = formsOf(html, next.url)
      // The example's login page: the upstream provider's link.
      const providerLink = tags(html, "a").find((a) => /\/login\/local\?/.test(a.href ?? ""))
      // oidc-provider's development login form (any login, any password).
      const upstreamLogin = forms.find((f) => f.hidden.prompt === "login")
      // oidc-provider's development consent form.
      const upstreamConsent = forms.find((f) => f.hidden.prompt === "consent")
      // The example's consent page: "Allow access" posts decision=allow with the CSRF token and interaction.
      const consent = forms.find((f) => f.hidden.csrf_token !== undefined && /name="decision"\s+value="allow"/.test(f.html))
      if (upstreamLogin !== undefined) next = { url: upstreamLogin.action, form: { ...upstreamLogin.hidden, login: options.username, password: "any password" } }
      else if (upstreamConsent !== undefined) next = { url: upstreamConsent.action, form: upstreamConsent.hidden }
      else if (consent !== undefined) next = { url: consent.action, form: { ...consent.hidden, decision: "allow" } }
      else if (providerLink !== undefined) next = { url: new URL(providerLink.href!, next.url).href }
      else throw new Error(`the flow stopped at a page it does not know: ${page}\nvisited:\n${visited.join("\n")}`)
    }
    throw new Error(`the flow did not reach the client in 25 steps:\n${visited.join("\n")}`)
  }
}
