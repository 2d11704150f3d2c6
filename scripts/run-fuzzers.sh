#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a bounded time; any crash fails the run.
set -euo pipefail
build=${1:?fuzz build dir}
seconds=${2:-15}
found=0
failed=0
for f in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  found=$((found + 1))
  name=$(basename "$f")
  work=$(mktemp -d)
  if "$f" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -artifact_prefix="$work/" "$work" \
      >"$work/log" 2>&1; then
    echo "fuzz $name: ok ($(grep -Eo 'Done [0-9]+ runs' "$work/log" | tail -1))"
  else
    echo "fuzz $name: FAILED"; tail -40 "$work/log"; failed=$((failed + 1))
  fi
  rm -rf "$work"
done
[ "$found" -gt 0 ] || { echo "no fuzz targets in $build"; exit 1; }
echo "fuzzers: $((found - failed)) ok, $failed failed"
[ "$failed" -eq 0 ]
