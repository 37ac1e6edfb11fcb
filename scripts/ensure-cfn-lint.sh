#!/usr/bin/env bash
# Makes sure cfn-lint (the CloudFormation linter, from PyPI) is installed in its own virtualenv under the tool cache
# (outside the clone, so reruns are fast and it cannot disturb moto's packages), and prints the cfn-lint command's path.
set -euo pipefail

CFN_LINT_VERSION="1.58.0"
CACHE="${REMEDIATOR_CACHE_DIR:-$HOME/.cache/remediator}"
VENV="$CACHE/cfn-lint-$CFN_LINT_VERSION"
BIN="$VENV/bin/cfn-lint"

if [[ -x "$BIN" ]] && "$BIN" --version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "ensure-cfn-lint: python3 is not installed; cfn-lint needs Python >= 3.9" >&2
  exit 1
fi
echo "ensure-cfn-lint: installing cfn-lint==$CFN_LINT_VERSION into $VENV" >&2
rm -rf "$VENV"
mkdir -p "$CACHE"
python3 -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION" >&2
"$BIN" --version >&2
echo "$BIN"
