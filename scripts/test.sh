#!/usr/bin/env bash
# The whole test suite, against real servers: installs what is missing (npm packages, the Temporal CLI built from
# the Go module proxy, moto and cfn-lint from PyPI, the Node.js LTS from the npm registry), then runs lint and type
# checks once and Jest twice: under the Node.js on PATH, then under the LTS. Works as the first command on a fresh
# clone.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
TEMPORAL_CLI_PATH="$(bash scripts/ensure-temporal.sh)"
MOTO_SERVER_PATH="$(bash scripts/ensure-moto.sh)"
CFN_LINT_PATH="$(bash scripts/ensure-cfn-lint.sh)"
export TEMPORAL_CLI_PATH MOTO_SERVER_PATH CFN_LINT_PATH
NODE_LTS="$(bash scripts/ensure-node-lts.sh)"

npx tsc -p tsconfig.json --noEmit
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

# Machine-readable reports (counts for CI) beside Jest's usual output, one per run.
REPORT="${TEST_REPORT_FILE:-.test-report/jest.json}"
REPORT_LTS="${TEST_REPORT_FILE_LTS:-${REPORT%.json}-node-lts.json}"
mkdir -p "$(dirname "$REPORT")" "$(dirname "$REPORT_LTS")"
rm -f "$REPORT" "$REPORT_LTS"
status=0

# Why twice: package.json engines says Node >= 20.3, which the Node on PATH usually is (CI's is 20), while the
# container image runs the current LTS (.node-lts, the Dockerfile's base). Each run must pass on its own; both run
# even when the first fails, so that the reports say which version broke.
echo "== Jest under Node $(node --version) (the Node on PATH)" >&2
npx jest --runInBand --json --outputFile="$REPORT" "$@" || status=$?

lts_version="$("$NODE_LTS" --version)"
if [[ "$lts_version" == "$(node --version)" ]]; then
  echo "== The Node on PATH is the LTS ($lts_version): no second run" >&2
  exit $status
fi
echo "== Jest under Node $lts_version (the LTS the container image runs: $NODE_LTS)" >&2
# Its native module first, for a plain message when the Temporal SDK does not support this Node yet.
if ! "$NODE_LTS" -e "require('@temporalio/worker')"; then
  echo "test: @temporalio/worker (native @temporalio/core-bridge) does not load under Node $lts_version" >&2
  exit 1
fi
# On PATH first too, so that whatever a test starts with `node` runs the LTS as well.
PATH="$(dirname "$NODE_LTS"):$PATH" "$NODE_LTS" node_modules/jest/bin/jest.js \
  --runInBand --json --outputFile="$REPORT_LTS" "$@" || status=$?
exit $status
