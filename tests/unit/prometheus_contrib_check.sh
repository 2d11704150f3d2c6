#!/bin/sh
# contrib/prometheus and contrib/alertmanager through the real tools: `promtool check config`
# (which checks the rule file it names too), `promtool check rules`, `promtool test rules`
# (tests/unit/prometheus/*_test.yml: the quorum rule) and `amtool check-config`. Skips (exit 77)
# only when promtool is missing; amtool is checked when installed (prometheus-alertmanager).
set -u
src=$1
command -v promtool >/dev/null 2>&1 || { echo "promtool not installed: skipped"; exit 77; }
rc=0
promtool check config "$src/contrib/prometheus/prometheus.yml" || rc=1
promtool check rules "$src/contrib/prometheus/reach-watch.rules.yml" || rc=1
for t in "$src"/tests/unit/prometheus/*_test.yml; do
  promtool test rules "$t" || rc=1
done
if command -v amtool >/dev/null 2>&1; then
  amtool check-config "$src/contrib/alertmanager/alertmanager.yml" || rc=1
else
  echo "amtool not installed: alertmanager.yml not checked"
fi
exit $rc
