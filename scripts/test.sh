#!/usr/bin/env bash
# The whole test suite, against real servers: installs what is missing (npm packages, the Temporal CLI built from
# the Go module proxy, moto and cfn-lint from PyPI, Node.js 22 and the Node.js LTS from the npm registry), then runs
# lint and type checks once and Jest twice: under the oldest Node.js the code supports (.node-floor), then under the
# LTS the container image runs (.node-lts). Works as the first command on a fresh clone, also when the Node.js on
# PATH is older than package.json engines allows (CI's is 20): everything then runs on the .node-floor build.
set -euo pipefail
cd "$(dirname "$0")/.."

# First on PATH when the node there is too old, so that npm ci, the build, tsc, eslint, prettier, Jest and every
# `node` a test starts run on Node.js 22 (npm and npx are `#!/usr/bin/env node` scripts: they follow PATH too).
floor_dir="$(bash scripts/ensure-node.sh --path-dir .node-floor)"
if [[ -n "$floor_dir" ]]; then
  PATH="$floor_dir:$PATH"
  export PATH
fi
NODE_FLOOR="$(bash scripts/ensure-node.sh .node-floor)"
NODE_LTS="$(bash scripts/ensure-node.sh .node-lts)"

bash scripts/ensure-deps.sh
TEMPORAL_CLI_PATH="$(bash scripts/ensure-temporal.sh)"
MOTO_SERVER_PATH="$(bash scripts/ensure-moto.sh)"
CFN_LINT_PATH="$(bash scripts/ensure-cfn-lint.sh)"
export TEMPORAL_CLI_PATH MOTO_SERVER_PATH CFN_LINT_PATH

echo "== Type check and lint under Node $(node --version)" >&2
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

# Machine-readable reports (counts for CI) beside Jest's usual output, one per run: TEST_REPORT_FILE for the run
# under .node-floor, TEST_REPORT_FILE_LTS for the run under .node-lts.
REPORT="${TEST_REPORT_FILE:-.test-report/jest.json}"
REPORT_LTS="${TEST_REPORT_FILE_LTS:-${REPORT%.json}-node-lts.json}"
mkdir -p "$(dirname "$REPORT")" "$(dirname "$REPORT_LTS")"
rm -f "$REPORT" "$REPORT_LTS"
status=0

# Jest under one node binary: $1 the binary, $2 the report file, $3 what it is; the rest goes to Jest.
run_jest() {
  local bin="$1" report="$2" what="$3"
  shift 3
  local version
  version="$("$bin" --version)"
  echo "== Jest under Node $version ($what: $bin)" >&2
  # Its native module first, for a plain message when the Temporal SDK does not support this Node.
  if ! "$bin" -e "require('@temporalio/worker')"; then
    echo "test: @temporalio/worker (native @temporalio/core-bridge) does not load under Node $version" >&2
    return 1
  fi
  # On PATH first too (unless it is the node there already), so that whatever a test starts with `node` runs this
  # version as well.
  local path="$PATH"
  [[ "$(command -v node)" == "$bin" ]] || path="$(dirname "$bin"):$PATH"
  PATH="$path" "$bin" node_modules/jest/bin/jest.js --runInBand --json --outputFile="$report" "$@" &
  local jest=$!
  watch_jest "$jest" "$report" || {
    wait "$jest"
    return 1
  }
  wait "$jest"
}

# Every process under $1 (children first), then $1: a server a test started dies with the Jest that started it.
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill -KILL "$1" 2>/dev/null || true
}

# A Jest run that hangs must not hold CI until its own time limit: fails (and stops the run) when Jest has run for
# JEST_TIME_LIMIT_S (default 35 min; a whole run takes ~15), or when it wrote its report and has not exited
# JEST_EXIT_GRACE_S (default 60 s) later, which means a test left a server or socket open.
watch_jest() {
  local pid="$1" report="$2" started=$SECONDS reported=""
  local limit="${JEST_TIME_LIMIT_S:-2100}" grace="${JEST_EXIT_GRACE_S:-60}"
  while kill -0 "$pid" 2>/dev/null; do
    if [[ -z "$reported" && -s "$report" ]]; then reported=$SECONDS; fi
    if [[ -n "$reported" ]] && ((SECONDS - reported > grace)); then
      echo "test: Jest wrote its report but had not exited ${grace} s later: a test left a server or socket open; stopping it" >&2
      kill_tree "$pid"
      return 1
    fi
    if ((SECONDS - started > limit)); then
      echo "test: Jest ran longer than ${limit} s (JEST_TIME_LIMIT_S); stopping it" >&2
      kill_tree "$pid"
      return 1
    fi
    sleep 2
  done
}

# Why twice: package.json engines sets the floor at Node 22 (.node-floor pins the build), while the container image
# runs the current LTS (.node-lts, the Dockerfile's base). Each run must pass on its own; both run even when the first
# fails, so that the reports say which version broke.
run_jest "$NODE_FLOOR" "$REPORT" "the oldest supported, .node-floor" "$@" || status=$?

if [[ "$("$NODE_LTS" --version)" == "$("$NODE_FLOOR" --version)" ]]; then
  echo "== .node-lts is .node-floor ($("$NODE_LTS" --version)): no second run" >&2
  exit $status
fi
run_jest "$NODE_LTS" "$REPORT_LTS" "the LTS the container image runs, .node-lts" "$@" || status=$?
exit $status
