#!/usr/bin/env bash
# Installs npm packages (from the lock file) when node_modules is missing or stale, and builds dist/, with the `node`
# on PATH: its callers (scripts/test.sh, scripts/demo.sh) first put the .node-floor build there when the Node.js on
# PATH is older than package.json engines allows.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "ensure-deps: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
if [[ ! -f dist/src/cli.js ]] ||
  [[ -n "$(find src tsconfig.json tsconfig.build.json -newer dist/src/cli.js \( -name '*.ts' -o -name 'tsconfig*.json' \) -print -quit)" ]]; then
  echo "ensure-deps: building" >&2
  npm run --silent build >&2
fi
