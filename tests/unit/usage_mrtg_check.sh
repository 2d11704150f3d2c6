#!/bin/sh
# Debian's MRTG reads `reach usage --mrtg IFACE` as an external-script Target in counter mode:
# its log keeps the raw counters (line 1, where rates are taken from on the next run); a source
# never read is logged as unknown. Skips (77) only when mrtg is missing. Local files only.
set -u
sample=$1
command -v mrtg >/dev/null 2>&1 || { echo "mrtg not installed: skipped"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cfg() {  # $1: sample mode
  cat > "$dir/mrtg.cfg" <<CFG
WorkDir: $dir
Target[wwan0]: \`$sample $1\`
MaxBytes[wwan0]: 125000000
Options[wwan0]: growright,bits
Title[wwan0]: wwan0
PageTop[wwan0]: <h1>wwan0</h1>
CFG
  env LANG=C mrtg "$dir/mrtg.cfg" --logging "$dir/mrtg.txt" >/dev/null 2>&1
}
rc=0
cfg mrtg
got=$(head -1 "$dir/wwan0.log" | cut -d' ' -f2-)
[ "$got" = "123456789012 23456789012" ] || { echo "mrtg logged '$got', want the counters"; cat "$dir/mrtg.txt"; rc=1; }
grep -q "3 days, 02:10:05" "$dir/wwan0.html" || { echo "uptime text not shown"; rc=1; }
cfg mrtg-unknown
got=$(head -1 "$dir/wwan0.log" | cut -d' ' -f2-)
[ "$got" = "-1 -1" ] || { echo "mrtg logged '$got' for a source never read, want '-1 -1'"; cat "$dir/mrtg.txt"; rc=1; }
[ $rc -eq 0 ] && echo "mrtg reads the usage output"
exit $rc
