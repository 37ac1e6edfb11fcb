#!/usr/bin/env bash
# The demo, as the first command on a fresh clone: installs what is missing, then runs `remediator demo` on the local
# stack (Temporal dev server with Web UI + moto + worker + ingest bridge).
set -euo pipefail
cd "$(dirname "$0")/.."

# When the Node.js on PATH is older than package.json engines allows, the install, the build and the demo (and the
# processes it starts with `node`) run on the .node-floor build instead, fetched once from the npm registry.
floor_dir="$(bash scripts/ensure-node.sh --path-dir .node-floor)"
if [[ -n "$floor_dir" ]]; then
  PATH="$floor_dir:$PATH"
  export PATH
fi
bash scripts/ensure-deps.sh
TEMPORAL_CLI_PATH="$(bash scripts/ensure-temporal.sh)"
MOTO_SERVER_PATH="$(bash scripts/ensure-moto.sh)"
export TEMPORAL_CLI_PATH MOTO_SERVER_PATH
exec node dist/src/cli.js demo "$@"
