#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a bounded time, as many at once as there are
# cores (FUZZ_JOBS overrides); any crash fails the run. Reports come in the targets' order.
set -euo pipefail
build=${1:?fuzz build dir}
seconds=${2:-15}
jobs=${FUZZ_JOBS:-$(nproc)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run_one() {  # fuzzer, report file: "ok ..." or "FAILED" and the log's tail
  local f=$1 report=$2 work
  work=$(mktemp -d)
  if "$f" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -artifact_prefix="$work/" "$work" \
      >"$work/log" 2>&1; then
    echo "ok ($(grep -Eo 'Done [0-9]+ runs' "$work/log" | tail -1))" >"$report"
  else
    { echo "FAILED"; tail -40 "$work/log"; } >"$report"
  fi
  rm -rf "$work"
}

targets=()
for f in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$f" ] && targets+=("$f")
done
[ "${#targets[@]}" -gt 0 ] || { echo "no fuzz targets in $build"; exit 1; }

running=0
for f in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  run_one "$f" "$out/$(basename "$f")" &
  running=$((running + 1))
done
wait

failed=0
for f in "${targets[@]}"; do
  name=$(basename "$f")
  report=$(cat "$out/$name" 2>/dev/null || echo "FAILED (no report)")
  echo "fuzz $name: $report"
  case $report in ok*) ;; *) failed=$((failed + 1)) ;; esac
done
echo "fuzzers: $((${#targets[@]} - failed)) ok, $failed failed"
[ "$failed" -eq 0 ]
