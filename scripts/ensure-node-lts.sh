#!/usr/bin/env bash
# Installs the Node.js LTS the container image runs, once, cached outside the clone, and prints its `node` binary's
# path on stdout. The version is in .node-lts, the single source: the Dockerfile's NODE_VERSION default must equal it
# (test/deploy/dockerfile.test.ts checks). The binary is the official build as the npm registry ships it in the
# package node-linux-<arch>; nothing is downloaded from anywhere else, and nothing at test time.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_LTS_VERSION="$(tr -d '[:space:]' <.node-lts)"
if [[ ! "$NODE_LTS_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "ensure-node-lts: .node-lts must hold one version such as 26.12.1, got '$NODE_LTS_VERSION'" >&2
  exit 1
fi
CACHE_DIR="${REMEDIATOR_CACHE_DIR:-$HOME/.cache/remediator}"
DIR="$CACHE_DIR/node-$NODE_LTS_VERSION"
BIN="$DIR/bin/node"

if [[ -x "$BIN" && "$("$BIN" --version 2>/dev/null)" == "v$NODE_LTS_VERSION" ]]; then
  echo "$BIN"
  exit 0
fi

if [[ "$(uname -s)" != Linux ]]; then
  echo "ensure-node-lts: only Linux is supported here; install Node.js $NODE_LTS_VERSION yourself" >&2
  exit 1
fi
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *)
    echo "ensure-node-lts: no node-linux package for $(uname -m); install Node.js $NODE_LTS_VERSION yourself" >&2
    exit 1
    ;;
esac

mkdir -p "$CACHE_DIR"
# Unpacked beside the target (same file system) and renamed into place, so an interrupted run leaves nothing half-made.
work="$(mktemp -d "$CACHE_DIR/.node-$NODE_LTS_VERSION.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "ensure-node-lts: fetching node-linux-$arch@$NODE_LTS_VERSION from the npm registry (once)" >&2
tarball="$(cd "$work" && npm pack --silent --no-audit --no-fund "node-linux-$arch@$NODE_LTS_VERSION" | tail -n 1)"
mkdir -p "$work/node/bin"
tar -xzf "$work/$tarball" -C "$work" package/bin/node package/LICENSE
mv "$work/package/bin/node" "$work/node/bin/node"
mv "$work/package/LICENSE" "$work/node/LICENSE"
got="$("$work/node/bin/node" --version)"
if [[ "$got" != "v$NODE_LTS_VERSION" ]]; then
  echo "ensure-node-lts: the unpacked binary says $got, expected v$NODE_LTS_VERSION" >&2
  exit 1
fi
rm -rf "$DIR"
mv -T "$work/node" "$DIR"
echo "ensure-node-lts: installed $("$BIN" --version) at $BIN" >&2
echo "$BIN"
