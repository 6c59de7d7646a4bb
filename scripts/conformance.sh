#!/usr/bin/env bash
# Runs the pinned MCP conformance suite (@modelcontextprotocol/conformance,
# a devDependency) with the pinned Node 22 (scripts/install-node22.sh).
# Arguments go to the suite's CLI, e.g.:
#   npm run conformance -- server --url http://127.0.0.1:3000/mcp
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(awk -F'"' '/^version=/ { print $2; exit }' "$root/scripts/install-node22.sh")"
node22="${HATAGO_NODE22:-$root/.tools/node-v$version/bin/node}"
if [[ ! -x "$node22" ]]; then
  echo "conformance: no Node 22 at $node22; run: npm run node22:install" >&2
  exit 1
fi
exec "$node22" "$root/node_modules/@modelcontextprotocol/conformance/dist/index.js" "$@"
