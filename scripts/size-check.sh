#!/usr/bin/env bash
# The release bundle's sizes, gzipped (-9) as a static host serves them,
# against their budgets. Prints each file and the totals; fails if any part
# is over.
#
# - first load: what the page fetches before it draws the ring (index.html,
#   the first-load module boot/'s js + wasm, the css);
# - full page: the app's own module (src/), fetched after the first frame
#   (at once for a link, a lesson or an embed);
# - worker: the Web Worker's module (long checks), fetched when first used;
# - translation: the translator module and the Chinese catalogue, fetched
#   only by a page in Chinese (an English page never does);
# - data: the shipped scenarios and lessons (dist/scenarios/), fetched one
#   at a time when opened.
#
# The README ("Size") gives the history and the breakdown.
set -euo pipefail
cd "$(dirname "$0")/.."
FIRST_BUDGET=${FIRST_LOAD_BUDGET_BYTES:-250000}
APP_BUDGET=${APP_BUDGET_BYTES:-400000}
WORKER_BUDGET=${WORKER_BUDGET_BYTES:-70000}
I18N_BUDGET=${I18N_BUDGET_BYTES:-60000}
# The largest single data file (a lesson with its captions).
DATA_FILE_BUDGET=${DATA_FILE_BUDGET_BYTES:-8000}
shopt -s nullglob

gz() { gzip -9 -c "$1" | wc -c; }
line() { printf '  %-58s %9d bytes raw %9d bytes gzipped\n' "$1" "$(stat -c %s "$1")" "$2"; }

first=(dist/index.html dist/quorum-boot-*.js dist/quorum-boot-*_bg.wasm dist/*.css)
app=(dist/quorum-app.js dist/quorum-app_bg.wasm)
worker=(dist/quorum-worker*)
i18n=(dist/quorum-i18n.js dist/quorum-i18n_bg.wasm dist/i18n/zh.json)
data=(dist/scenarios/*.json dist/scenarios/*/*.json)
if [ ! -f dist/index.html ] || [ ${#first[@]} -lt 4 ] || [ ! -f dist/quorum-app_bg.wasm ] || [ ${#worker[@]} -eq 0 ] || [ ! -f dist/quorum-i18n_bg.wasm ] || [ ${#data[@]} -eq 0 ]; then
  echo "size-check: no complete dist/ build found (trunk build --release)" >&2
  exit 1
fi

fail=0
part() { # name budget files...
  local name=$1 budget=$2 total=0 n
  shift 2
  echo "$name:"
  for f in "$@"; do n=$(gz "$f"); line "$f" "$n"; total=$((total + n)); done
  printf '%s (gzip -9): %d bytes of a %d-byte budget\n\n' "$name" "$total" "$budget"
  if [ "$total" -gt "$budget" ]; then
    echo "size-check: $name over budget by $((total - budget)) bytes" >&2
    fail=1
  fi
}
part "first load" "$FIRST_BUDGET" "${first[@]}"
part "full page (after the first frame)" "$APP_BUDGET" "${app[@]}"
part "worker (on first check)" "$WORKER_BUDGET" "${worker[@]}"
part "translation (a page in Chinese only)" "$I18N_BUDGET" "${i18n[@]}"

largest=0 sum=0
for f in "${data[@]}"; do
  n=$(gz "$f"); sum=$((sum + n))
  if [ "$n" -gt "$largest" ]; then largest=$n; big=$f; fi
done
printf 'data: %d scenario files, %d bytes gzipped in all; the largest, %s, %d bytes of a %d-byte budget\n' \
  "${#data[@]}" "$sum" "$big" "$largest" "$DATA_FILE_BUDGET"
if [ "$largest" -gt "$DATA_FILE_BUDGET" ]; then
  echo "size-check: $big over the data-file budget" >&2
  fail=1
fi
exit $fail
