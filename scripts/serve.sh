#!/usr/bin/env bash
# Serves Quorum at http://127.0.0.1:8080/ (installs what is missing first).
set -euo pipefail
source "$(dirname "$0")/web-tools.sh"
ensure_web_tools
cd "$ROOT"
cargo fetch
exec trunk serve --release --offline --address 127.0.0.1 --port "${PORT:-8080}"
