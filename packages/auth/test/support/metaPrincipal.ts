/**
 * A test authenticator as middleware: provides
 * `Principal.make(_meta["test/subject"], [], { tenant: _meta["test/tenant"] })`
 * ("nobody" without a subject), so policy tests can call as several callers
 * through one in-memory client.
 */
import { Middleware } from "@emcee/core"
import { Effect } from "effect"
import * as Principal from "../../src/Principal.js"

export const auth = Middleware.provide(Principal.Principal, {
  name: "test-auth",
  get: (request) => {
    const meta = request.params._meta as { readonly "test/subject"?: unknown; readonly "test/tenant"?: unknown } | undefined
    const subject = typeof meta?.["test/subject"] === "string" ? meta["test/subject"] : "nobody"
    const tenant = typeof meta?.["test/tenant"] === "string" ? meta["test/tenant"] : undefined
    return Effect.succeed(Principal.make(subject, [], { tenant, kind: "api-key" }))
  }
})
