#!/usr/bin/env bash
# The repo stands alone: nothing under src/ test/ bench/ scripts/ may name the brief's sibling folder (dot-dot-slash
# "shared"), which exists only beside our own checkouts, never beside a user's clone. Exits 1 naming every offending line.
set -euo pipefail
cd "$(dirname "$0")/.."

# The pattern is built from two halves so that this script does not name it itself.
pattern='\.\./'"shared"
if hits="$(grep -rnE "$pattern" src test bench scripts 2>/dev/null)"; then
  echo "check-standalone: these lines name a folder outside the clone; the repo must stand alone:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "check-standalone: nothing under src/ test/ bench/ scripts/ reads outside the clone" >&2
