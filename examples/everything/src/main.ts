/**
 * Runs the everything example.
 *
 * - `node main.js`: stdio (spec 2025-11-25 basic/transports "stdio").
 * - `node main.js --http [--port N] [--host H]`: Streamable HTTP on
 *   `http://H:N/mcp` (spec basic/transports "Streamable HTTP"); `PORT` and
 *   `HOST` in the environment work too. Port 0 picks a free port. A ready
 *   line goes to stderr once the server listens. Every request is answered
 *   with an SSE stream, as the conformance suite's reference server does;
 *   `--json-response` answers with one JSON body whenever nothing is sent
 *   before the result.
 *
 * @since 0.1.0
 */
import { NodeRuntime } from "@effect/platform-node"
import { HttpTransport, StdioTransport } from "@emcee/transport"
import { Effect } from "effect"
import { App } from "./server.js"

/** Command-line options. */
interface Args {
  readonly http: boolean
  readonly port: number
  readonly host: string
  readonly jsonResponse: boolean
}

const parseArgs = (argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Args => {
  let http = false
  let jsonResponse = false
  let port = env.PORT === undefined || env.PORT === "" ? 3000 : Number(env.PORT)
  let host = env.HOST === undefined || env.HOST === "" ? "127.0.0.1" : env.HOST
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
    const value = () => inline ?? argv[++i]
    switch (flag) {
      case "--http":
        http = true
        break
      case "--port":
        port = Number(value())
        break
      case "--json-response":
        jsonResponse = true
        break
      case "--host":
        host = value() ?? host
        break
      default:
        process.stderr.write(`unknown argument: ${arg}\nusage: main [--http [--port N] [--host H] [--json-response]]\n`)
        process.exit(2)
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid port: ${port}\n`)
    process.exit(2)
  }
  return { http, port, host, jsonResponse }
}

const args = parseArgs(process.argv.slice(2), process.env)

const serveHttp = Effect.gen(function*() {
  const running = yield* HttpTransport.make({ port: args.port, host: args.host, enableJsonResponse: args.jsonResponse })
  yield* Effect.sync(() => process.stderr.write(`emcee everything listening on ${running.url}\n`))
  return yield* Effect.never
}).pipe(Effect.scoped)

const program = args.http ? serveHttp : StdioTransport.run()

program.pipe(Effect.provide(App), NodeRuntime.runMain)
