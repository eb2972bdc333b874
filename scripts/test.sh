#!/usr/bin/env bash
# Runs every test Quorum has. On a fresh machine it first installs what it
# needs (wasm32 target, trunk, wasm-bindgen-cli, npm packages, Chromium),
# skipping whatever is already there.
set -euo pipefail
source "$(dirname "$0")/web-tools.sh"
cd "$ROOT"

step() { printf '\n== %s\n' "$*"; }

step "tools"
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
ensure_web_tools
ensure_chromium
cargo --version; node --version; trunk --version; wasm-bindgen --version; chromium --version || true

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p quorum-app -p quorum-boot -p quorum-i18n -p wasm-trace -p quorum-worker --all-targets -- -D warnings
# The linearizability checker (stateright) builds for the browser too.
cargo clippy --target wasm32-unknown-unknown -p quorum-verify --lib -- -D warnings

step "native tests (protocol, simulator, checkers, paper figures, lab scenarios, CLI, UI model)"
cargo test --workspace --exclude quorum-verify

step "verification (release): linearizability, planted bugs, model checking"
cargo test --release -p quorum-verify

step "seeded fault simulation: 2000 seeds"
cargo build --release -p quorum-cli
./target/release/quorum fuzz --seeds 2000 --out target/fuzz-failures

step "native == wasm32 traces"
cargo build --release -p wasm-trace --target wasm32-unknown-unknown
node --test tests/

step "component tests in headless Chromium (wasm-bindgen-test)"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/webdriver.json" \
  WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test --target wasm32-unknown-unknown -p quorum-app --test web

step "release build and size budget"
trunk build --release --offline
./scripts/size-check.sh

step "end-to-end tests (Playwright + Chromium, dist/ served from a sub-path)"
node --test e2e/
