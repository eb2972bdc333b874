#!/usr/bin/env bash
# Builds the static site into dist/ (relative URLs: host it at any path).
set -euo pipefail
source "$(dirname "$0")/web-tools.sh"
ensure_web_tools
cd "$ROOT"
cargo fetch
trunk build --release --offline
