#!/usr/bin/env bash
# Installs one pinned Node.js version, once, cached outside the clone, and prints its `node` binary's path on stdout.
#
#   bash scripts/ensure-node.sh .node-floor    # the oldest Node.js the code supports (package.json engines), 22
#   bash scripts/ensure-node.sh .node-lts      # the LTS the container image runs (the Dockerfile's NODE_VERSION)
#   bash scripts/ensure-node.sh --path-dir .node-floor
#
# The version file holds one exact version such as 22.23.5. When the `node` on PATH is already that version, its path
# is printed and nothing is fetched. The binary is the official build as the npm registry ships it in the package
# node-linux-<arch>; nothing is downloaded from anywhere else, and nothing at test time.
#
# With --path-dir, prints the directory to put first on PATH so that `node` (and so npm, npx and every
# `#!/usr/bin/env node` tool) satisfies package.json engines: nothing when the node on PATH already does, else the
# bin directory of the version file's build.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "ensure-node: $*" >&2
  exit 1
}
# Whether version $1 >= version $2 (both x.y.z, no leading v).
version_ge() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

path_dir=false
if [[ "${1:-}" == --path-dir ]]; then
  path_dir=true
  shift
fi
[[ $# -eq 1 ]] || die "usage: ensure-node.sh [--path-dir] VERSION_FILE (e.g. .node-floor or .node-lts)"
VERSION_FILE="$1"
[[ -f "$VERSION_FILE" ]] || die "no version file $VERSION_FILE"
VERSION="$(tr -d '[:space:]' <"$VERSION_FILE")"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "$VERSION_FILE must hold one version such as 22.23.5, got '$VERSION'"

path_node="$(command -v node || true)"
path_version="$([[ -n "$path_node" ]] && "$path_node" --version 2>/dev/null || true)"
path_version="${path_version#v}"

if $path_dir; then
  engines="$(sed -n 's/^ *"node": *">= *\([0-9][0-9.]*\)".*/\1/p' package.json | head -n 1)"
  [[ "$engines" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "package.json engines.node must read \">=x.y.z\""
  version_ge "$VERSION" "$engines" || die "$VERSION_FILE ($VERSION) is older than package.json engines (>=$engines)"
  if [[ -n "$path_version" ]] && version_ge "$path_version" "$engines"; then
    exit 0
  fi
  echo "ensure-node: the node on PATH is ${path_version:+v}${path_version:-missing}, package.json engines needs" \
    ">=$engines: using Node.js $VERSION ($VERSION_FILE)" >&2
  dirname "$(bash scripts/ensure-node.sh "$VERSION_FILE")"
  exit 0
fi

if [[ "$path_version" == "$VERSION" ]]; then
  echo "$path_node"
  exit 0
fi

CACHE_DIR="${REMEDIATOR_CACHE_DIR:-$HOME/.cache/remediator}"
DIR="$CACHE_DIR/node-$VERSION"
BIN="$DIR/bin/node"

if [[ -x "$BIN" && "$("$BIN" --version 2>/dev/null)" == "v$VERSION" ]]; then
  echo "$BIN"
  exit 0
fi

[[ "$(uname -s)" == Linux ]] || die "only Linux is supported here; install Node.js $VERSION yourself"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no node-linux package for $(uname -m); install Node.js $VERSION yourself" ;;
esac
# npm itself runs on the node on PATH, whatever its version; only the fetched binary must be the pinned one.
command -v npm >/dev/null || die "npm is not on PATH; it fetches node-linux-$arch@$VERSION from the npm registry"

mkdir -p "$CACHE_DIR"
# Unpacked beside the target (same file system) and renamed into place, so an interrupted run leaves nothing half-made.
work="$(mktemp -d "$CACHE_DIR/.node-$VERSION.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "ensure-node: fetching node-linux-$arch@$VERSION from the npm registry (once)" >&2
tarball="$(cd "$work" && npm pack --silent --no-audit --no-fund "node-linux-$arch@$VERSION" | tail -n 1)"
mkdir -p "$work/node/bin"
tar -xzf "$work/$tarball" -C "$work" package/bin/node package/LICENSE
mv "$work/package/bin/node" "$work/node/bin/node"
mv "$work/package/LICENSE" "$work/node/LICENSE"
got="$("$work/node/bin/node" --version)"
[[ "$got" == "v$VERSION" ]] || die "the unpacked binary says $got, expected v$VERSION"
rm -rf "$DIR"
mv -T "$work/node" "$DIR"
echo "ensure-node: installed $("$BIN" --version) at $BIN" >&2
echo "$BIN"
