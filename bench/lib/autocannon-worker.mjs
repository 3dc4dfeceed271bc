// Fallback load generator process (used when wrk is missing). Reads its config from env
// BENCH_AC_CONFIG, prints one `BENCH_JSON {...}` line in the same shape as the wrk script.
import autocannon from "autocannon"

const { url, headers, body, connections, seconds, expect } = JSON.parse(process.env.BENCH_AC_CONFIG ?? "{}")
if (!String(url).startsWith("http://127.0.0.1:")) throw new Error(`refusing non-local target ${url}`)

let badBodies = 0
let sample = ""
// Unique JSON-RPC id per request via setupRequest (autocannon 8's `idReplacement` sends
// nothing at all on Node 20 in our tests, so it is not used).
let counter = 0
// The body around its id string, from the runner (echoCallTemplate in common.mjs).
const prefix = `${body.prefix}ac-`
const suffix = body.suffix

const result = await autocannon({
  url,
  connections,
  duration: seconds,
  timeout: 10,
  requests: [
    {
      method: "POST",
      headers,
      setupRequest: (req) => ({ ...req, body: `${prefix}${++counter}${suffix}` }),
      onResponse: (status, resBody) => {
        const text = String(resBody)
        const ok2xx = status >= 200 && status <= 299 // non-2xx are counted by autocannon (non2xx)
        if (!ok2xx || !text.includes(expect) || text.includes('"error":') || text.includes('"isError":true')) {
          if (ok2xx) badBodies++
          if (sample === "") sample = `${status} ${text.slice(0, 300)}`
        }
      }
    }
  ]
})

const durationS = result.duration
process.stdout.write(
  `BENCH_JSON ${JSON.stringify({
    rps: result.requests.total / durationS,
    p50us: result.latency.p50 * 1000,
    p99us: result.latency.p99 * 1000,
    requests: result.requests.total,
    durationS,
    non2xx: result.non2xx,
    socketErrors: result.errors + result.timeouts,
    badBodies,
    sample
  })}\n`
)
