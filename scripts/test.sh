#!/usr/bin/env bash
# Runs every test Quorum has. Installs what it needs on a fresh machine
# (the wasm32 target, Node.js) and skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "tools"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if ! command -v node >/dev/null 2>&1; then
  apt-get update && apt-get install -y nodejs
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
cargo --version; node --version

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p wasm-trace --target wasm32-unknown-unknown -- -D warnings

step "native tests (protocol, simulator, paper figures, lab scenarios, CLI)"
cargo test --workspace

step "native == wasm32 traces"
cargo build --release -p quorum-cli
cargo build --release -p wasm-trace --target wasm32-unknown-unknown
node --test tests/
