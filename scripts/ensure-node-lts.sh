#!/usr/bin/env bash
# Prints the path of the Node.js LTS the container image runs (.node-lts; the Dockerfile's NODE_VERSION default must
# equal it, test/deploy/dockerfile.test.ts checks), fetched once. Kept for habit: scripts/ensure-node.sh does the work.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-node.sh" .node-lts
