#!/usr/bin/env bash
# Makes sure moto's server mode is installed (from PyPI), and prints the moto_server command's path. A moto_server
# already on PATH (with its Flask extras) is used as it is; otherwise moto goes into a virtual environment in the tool
# cache outside the clone (REMEDIATOR_CACHE_DIR, default ~/.cache/remediator), so a system Python that refuses
# installs (PEP 668, "externally managed") works too and reruns are instant.
set -euo pipefail

MOTO_VERSION="5.2.1"
CACHE_DIR="${REMEDIATOR_CACHE_DIR:-$HOME/.cache/remediator}"
VENV="$CACHE_DIR/moto-$MOTO_VERSION"

if command -v moto_server >/dev/null 2>&1 && python3 -c 'import moto, flask, flask_cors' >/dev/null 2>&1; then
  command -v moto_server
  exit 0
fi
if [[ -x "$VENV/bin/moto_server" ]] && "$VENV/bin/python" -c 'import moto, flask, flask_cors' >/dev/null 2>&1; then
  echo "$VENV/bin/moto_server"
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "ensure-moto: python3 is not installed; moto needs Python >= 3.9" >&2
  exit 1
fi
echo "ensure-moto: installing moto[server]==$MOTO_VERSION into $VENV" >&2
mkdir -p "$CACHE_DIR"
rm -rf "$VENV.partial"
python3 -m venv "$VENV.partial" >&2
"$VENV.partial/bin/python" -m pip install --quiet "moto[server]==$MOTO_VERSION" >&2
# Renamed only once complete, so an interrupted install is never mistaken for a finished one. Scripts in a venv name
# their interpreter by absolute path, so the venv is made again in place after the move.
rm -rf "$VENV"
mv "$VENV.partial" "$VENV"
python3 -m venv --upgrade "$VENV" >&2
sed -i "1s|^#!.*python.*$|#!$VENV/bin/python|" "$VENV/bin/moto_server"
"$VENV/bin/python" -c 'import moto, flask, flask_cors' >&2
echo "$VENV/bin/moto_server"
