#!/usr/bin/env bash
# Makes sure moto's server mode is installed (from PyPI), and prints the moto_server command's path.
set -euo pipefail

MOTO_VERSION="5.2.1"

if command -v moto_server >/dev/null 2>&1 && python3 -c 'import moto, flask, flask_cors' >/dev/null 2>&1; then
  command -v moto_server
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "ensure-moto: python3 is not installed; moto needs Python >= 3.9" >&2
  exit 1
fi
echo "ensure-moto: installing moto[server]==$MOTO_VERSION" >&2
python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" >&2
hash -r
if command -v pyenv >/dev/null 2>&1; then pyenv rehash >/dev/null 2>&1 || true; fi
command -v moto_server || { echo "ensure-moto: moto_server is not on PATH after install" >&2; exit 1; }
