#!/usr/bin/env bash
# Obtains the real Temporal CLI (dev server + Web UI) from the Go module proxy, once, cached outside the clone.
# Prints the binary's path on stdout. Nothing is downloaded at test time.
set -euo pipefail

TEMPORAL_CLI_VERSION="v1.5.1" # newer tags carry a replace directive that breaks `go install`
CACHE_DIR="${REMEDIATOR_CACHE_DIR:-$HOME/.cache/remediator}"
BIN_DIR="$CACHE_DIR/temporal-cli-$TEMPORAL_CLI_VERSION"
BIN="$BIN_DIR/temporal"

if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "ensure-temporal: Go is not installed; Go >= 1.25 is needed to build the Temporal CLI $TEMPORAL_CLI_VERSION" >&2
  exit 1
fi
go_version="$(go env GOVERSION | sed 's/^go//')"
major="${go_version%%.*}"
rest="${go_version#*.}"
minor="${rest%%.*}"
if (( major < 1 || (major == 1 && minor < 25) )); then
  echo "ensure-temporal: Go $go_version is too old; the Temporal CLI $TEMPORAL_CLI_VERSION needs Go >= 1.25" >&2
  exit 1
fi

mkdir -p "$BIN_DIR"
echo "ensure-temporal: building github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION with Go $go_version (first run takes a few minutes)" >&2
GOBIN="$BIN_DIR" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2
"$BIN" --version >&2
echo "$BIN"
