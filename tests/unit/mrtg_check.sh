#!/bin/sh
# Debian's MRTG reads reach's external-script output as a Target. `watch` (default): the values
# of `reach watch --mrtg` land in its log (UNKNOWN as -1, its "unknown"), the uptime text and name
# in its page. `usage`: `reach usage --mrtg IFACE` in counter mode keeps the raw counters in the
# log's first line (rates come from them on the next run); a source never read is unknown.
# Skips (77) only when mrtg is missing. Local files only, no network.
set -u
sample=$1
kind=${2:-watch}
command -v mrtg >/dev/null 2>&1 || { echo "mrtg not installed: skipped"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
run() {  # $1: sample mode, $2: MRTG options; prints the log's first values
  cat > "$dir/mrtg.cfg" <<CFG
WorkDir: $dir
Target[t]: \`$sample $1\`
MaxBytes[t]: 125000000
Options[t]: $2
Title[t]: t
PageTop[t]: <h1>t</h1>
CFG
  env LANG=C mrtg "$dir/mrtg.cfg" --logging "$dir/mrtg.txt" >/dev/null 2>&1
  head -1 "$dir/t.log" | cut -d' ' -f2-
}
expect() {  # $1: mode, $2: options, $3: wanted log values
  got=$(run "$1" "$2")
  [ "$got" = "$3" ] || { echo "$1: mrtg logged '$got', want '$3'"; cat "$dir/mrtg.txt"; rc=1; }
}
rc=0
if [ "$kind" = usage ]; then
  expect mrtg growright,bits "123456789012 23456789012"
  grep -q "3 days, 02:10:05" "$dir/t.html" || { echo "uptime text not shown"; rc=1; }
  grep -q "wwan0" "$dir/t.html" || { echo "name not shown"; rc=1; }
  expect mrtg-unknown growright,bits "-1 -1"
else
  expect mrtg gauge,growright "11500 20"
  grep -q "had been up for <strong>3 days, 02:10:05</strong>" "$dir/t.html" || { echo "uptime text not shown"; rc=1; }
  grep -q "web1 (198.18.1.2)" "$dir/t.html" || { echo "name not shown"; rc=1; }
  expect mrtg-unknown gauge,growright "-1 100"
fi
[ $rc -eq 0 ] && echo "mrtg reads the $kind output"
exit $rc
