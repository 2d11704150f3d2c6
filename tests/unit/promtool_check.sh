#!/bin/sh
# `promtool check metrics` (Debian's prometheus package) over watch's /metrics and every /probe
# shape: any parse error or lint remark fails. Skips (exit 77) only when promtool is missing.
set -u
sample=$1
command -v promtool >/dev/null 2>&1 || { echo "promtool not installed: skipped"; exit 77; }
rc=0
for what in metrics icmp tcp http dns; do
  body=$("$sample" "$what") || { echo "$what: the sample writer failed"; exit 1; }
  lint=$(printf '%s\n' "$body" | promtool check metrics 2>&1)
  r=$?
  if [ $r -ne 0 ] || [ -n "$lint" ]; then
    echo "$what: promtool exit $r"; echo "$lint"; printf '%s\n' "$body"; rc=1
  fi
done
[ $rc -eq 0 ] && echo "promtool check metrics: clean"
exit $rc
