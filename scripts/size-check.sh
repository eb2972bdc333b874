#!/usr/bin/env bash
# The release bundle's wasm + js + css, gzipped (-9), must stay within the
# budget. Prints each file and the total; fails if over.
#
# The budget was 250 KB until the linked views (space-time diagram, event
# log with its descriptions, charts: +37 KB) and the in-page
# linearizability checker (stateright: +21 KB) took the bundle to ~297 KB;
# see README, "Size". 300 KB now holds that figure with no room to spare.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${BUDGET_BYTES:-300000}
total=0
shopt -s nullglob
files=(dist/*.wasm dist/*.js dist/*.css)
if [ ${#files[@]} -eq 0 ]; then echo "size-check: no dist/ build found" >&2; exit 1; fi
for f in "${files[@]}"; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  printf '%-60s %9d bytes raw %9d bytes gzipped\n' "$f" "$raw" "$gz"
  total=$((total + gz))
done
printf 'bundle (wasm + js + css, gzip -9): %d bytes of a %d-byte budget\n' "$total" "$BUDGET"
if [ "$total" -gt "$BUDGET" ]; then
  echo "size-check: over budget by $((total - BUDGET)) bytes" >&2
  exit 1
fi
