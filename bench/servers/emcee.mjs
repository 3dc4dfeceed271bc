// emcee over Streamable HTTP in its DEFAULT production configuration: stateful
// sessions, JSON responses, schema-validated tool input, metrics on, DNS-rebinding
// checks on (loopback), EventStore.memory. Imports the BUILT packages (run
// `npm run build` first). Serves `echo` on 127.0.0.1:$PORT and prints
// `listening <port>` when ready; GET /__mem is the bench's memory probe.
//
// Env switches (one file serves several bench rows):
//   EMCEE_MIDDLEWARE=1     one global `Middleware.logging`, registered with
//                          `McpServer.register(Middleware.logging, echo)`
//   EMCEE_MIDDLEWARE=noop  one global pass-through middleware (`(request, next) => next`):
//                          the cost of leaving the tool fast path, without logging's own
//   EMCEE_TRACING=1        `Tracing.layer` with a `BatchSpanProcessor` over a span exporter
//                          that counts and discards spans (./counting-exporter.mjs): span
//                          creation and processing are measured, without network. The span
//                          count is in GET /__mem (`spans`, `spanBatches`) and printed on
//                          stderr at exit.
//   EMCEE_TRACING=native   spans forced on (`McpServer.layer({ tracing: true })`) with
//                          Effect's built-in tracer, no OpenTelemetry: the Effect side of
//                          span creation alone (nothing is exported or counted).
//   EMCEE_AUTH=jwt         OAuth bearer tokens as the spec has it (basic/authorization): the
//                          server mints an ES256 key pair at startup (jose), verifies with
//                          `Authentication.layer([Jwt.make({ issuer, audience: <resource>,
//                          publicKey })])`, guards the endpoint with
//                          `BearerGuard.make({ resource, authorizationServers })` on
//                          `HttpTransport.make({ guard })` (each request's `Authorization:
//                          Bearer` checked; a token seen before is let in from the cache,
//                          synchronously), and registers `Authentication.middleware` globally
//                          (handlers see the `Principal`). resource = http://127.0.0.1:$PORT/mcp.
//                          It signs one access token (sub, scope, aud, iss, 1 h exp) and prints
//                          `token <jwt>` on stdout BEFORE `listening <port>`; the runner sends it
//                          as `Authorization: Bearer` on every request.
//   EMCEE_AUTH=guard       diagnostic: the same guard and token, without `Authentication.middleware`
//                          (the transport still gives handlers the caller): the guard's cost alone.
//                          (same name, provides and failure; reads the caller the guard put in the
//                          fiber's context in one step and passes `next` on unchanged instead of
//                          providing `Principal` again): what a cheaper middleware would cost.
//   EMCEE_RATELIMIT=1      one global `RateLimit.tokenBucket({ key: RateLimit.byPrincipal, ... })`
//                          (after `Authentication.middleware` when both are on, so the key is the
//                          caller; `anonymous` otherwise) with rate and burst 1e9 per second: every
//                          request pays the check, none is refused. `RateLimit.httpStatus` maps a
//                          refusal to 429, which the runner would count as an error.
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import * as jose from "jose"
import { Authentication, BearerGuard, Jwt, RateLimit } from "../../packages/auth/dist/index.js"
import { McpServer, Middleware, Tool, Tracing } from "../../packages/core/dist/index.js"
import { HttpTransport } from "../../packages/transport/dist/index.js"
import { portFromEnv, sendMem } from "./mem.mjs"

const mode = (name) => {
  const v = process.env[name]
  return v === undefined || v === "" || v === "0" || v === "false" ? undefined : v === "true" ? "1" : v
}
const middlewareMode = mode("EMCEE_MIDDLEWARE")
const tracingMode = mode("EMCEE_TRACING")
const authMode = mode("EMCEE_AUTH")
const rateLimitMode = mode("EMCEE_RATELIMIT")
for (
  const [name, v, allowed] of [
    ["EMCEE_MIDDLEWARE", middlewareMode, ["1", "noop"]],
    ["EMCEE_TRACING", tracingMode, ["1", "native"]],
    ["EMCEE_AUTH", authMode, ["jwt", "guard"]],
    ["EMCEE_RATELIMIT", rateLimitMode, ["1"]]
  ]
) {
  if (v !== undefined && !allowed.includes(v)) {
    console.error(`${name} must be one of 0, ${allowed.join(", ")}; got ${JSON.stringify(process.env[name])}`)
    process.exit(2)
  }
}

const echo = Tool.make("echo", {
  description: "Echo the input text",
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

const port = portFromEnv()

/**
 * EMCEE_AUTH (jwt, guard): the authorization server's part, played by the bench server itself: an ES256
 * key pair, and one access token for the bench client, issued for this server's resource URL
 * (spec basic/authorization "Token Handling": the audience is the MCP server's canonical URI).
 */
const auth = authMode !== undefined ? await (async () => {
  const resource = `http://127.0.0.1:${port}/mcp`
  const issuer = "https://auth.emcee-bench.invalid"
  const { publicKey, privateKey } = await jose.generateKeyPair("ES256")
  const token = await new jose.SignJWT({ scope: "tools:call" })
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt" })
    .setIssuer(issuer)
    .setAudience(resource)
    .setSubject("bench-client")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(privateKey)
  return { resource, issuer, token, authenticator: Jwt.make({ issuer, audience: resource, publicKey }) }
})() : undefined

/** Set when tracing is on: the exporter whose span count /__mem reports. */
let exporter

const Main = Layer.scopedDiscard(
  Effect.gen(function*() {
    const guard = auth === undefined ? undefined : yield* BearerGuard.make({ resource: auth.resource, authorizationServers: [auth.issuer] })
    const running = yield* HttpTransport.make({
      port,
      ...(guard === undefined ? {} : { guard }),
      ...(rateLimitMode === undefined ? {} : { errorStatus: RateLimit.httpStatus }),
      routes: (req, res) => {
        if (req.url !== "/__mem" || req.method !== "GET") return false
        sendMem(res, {
          sessions: running.stats().sessions,
          ...(exporter === undefined ? {} : { spans: exporter.spans, spanBatches: exporter.batches })
        })
        return true
      }
    })
    if (auth !== undefined) process.stdout.write(`token ${auth.token}\n`)
    process.stdout.write(`listening ${running.port}\n`)
  })
)

const passThrough = Middleware.make("noop", (_request, next) => next)
// Never refuses during a bench (1e9 tokens a second, as many held): the cost of the check alone.
const rateLimit = RateLimit.tokenBucket({ name: "bench", key: RateLimit.byPrincipal, rate: 1e9, per: "1 second", burst: 1e9 })
const globalMiddleware = [
  ...(authMode === "jwt" ? [Authentication.middleware] : []),
  ...(rateLimitMode === undefined ? [] : [rateLimit]),
  ...(middlewareMode === "1" ? [Middleware.logging] : middlewareMode === "noop" ? [passThrough] : [])
]
const registered = McpServer.register(...globalMiddleware, echo)

let App = Main.pipe(
  Layer.provide(registered),
  Layer.provide(McpServer.layer({ name: "emcee-bench", version: "0.0.0", ...(tracingMode === "native" ? { tracing: true } : {}) }))
)
if (auth !== undefined) App = App.pipe(Layer.provide(Authentication.layer([auth.authenticator])))

if (tracingMode === "1") {
  const { BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base")
  const { CountingSpanExporter } = await import("./counting-exporter.mjs")
  exporter = new CountingSpanExporter()
  const counted = exporter
  process.on("exit", () => process.stderr.write(`spans exported: ${counted.spans} in ${counted.batches} batch(es)\n`))
  App = App.pipe(
    Layer.provide(Tracing.layer({ serviceName: "emcee-bench", spanProcessor: new BatchSpanProcessor(exporter) }))
  )
}

Layer.launch(App).pipe(NodeRuntime.runMain)
