#!/usr/bin/env bash
# The whole test suite, against real servers: installs what is missing (npm packages, the Temporal CLI built from
# the Go module proxy, moto), then runs lint, type checks and Jest. Works as the first command on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
TEMPORAL_CLI_PATH="$(bash scripts/ensure-temporal.sh)"
MOTO_SERVER_PATH="$(bash scripts/ensure-moto.sh)"
export TEMPORAL_CLI_PATH MOTO_SERVER_PATH

npx tsc -p tsconfig.json --noEmit
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
# A machine-readable report (counts for CI) beside Jest's usual output.
REPORT="${TEST_REPORT_FILE:-.test-report/jest.json}"
mkdir -p "$(dirname "$REPORT")"
rm -f "$REPORT"
npx jest --runInBand --json --outputFile="$REPORT" "$@"
