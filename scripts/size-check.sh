#!/usr/bin/env bash
# The release bundle's wasm + js + css, gzipped (-9), must stay within the
# budget. Prints each file and the total; fails if over.
#
# The budget guards against regressions; it follows the features, and the
# README ("Size") gives the breakdown: 238 KB for the app as first built,
# +37 KB for the linked views, +21 KB for the in-page linearizability
# checker (stateright), +97 KB for share links, the compiled-in library of
# 29 scenarios and lessons, lesson mode, embedding and export/import
# (deflate alone is 9 KB of that) = ~394 KB, then -10 KB when the page's
# linearizability check moved to the memoised checker: ~384 KB.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${BUDGET_BYTES:-400000}
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
