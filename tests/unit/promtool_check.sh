#!/bin/sh
# `promtool check metrics` (Debian's prometheus package) over watch's /metrics and every /probe
# shape (or the modes given after the sample program): any parse error or lint remark fails.
# Skips (exit 77) only when promtool is missing.
set -u
sample=$1
shift
modes=${*:-metrics icmp tcp http dns}
command -v promtool >/dev/null 2>&1 || { echo "promtool not installed: skipped"; exit 77; }
rc=0
for what in $modes; do
  body=$("$sample" "$what") || { echo "$what: the sample writer failed"; exit 1; }
  lint=$(printf '%s\n' "$body" | promtool check metrics 2>&1)
  r=$?
  if [ $r -ne 0 ] || [ -n "$lint" ]; then
    echo "$what: promtool exit $r"; echo "$lint"; printf '%s\n' "$body"; rc=1
  fi
done
[ $rc -eq 0 ] && echo "promtool check metrics: clean"
exit $rc
