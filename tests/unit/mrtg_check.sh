#!/bin/sh
# Debian's MRTG reads `reach watch --mrtg` output as an external-script Target: the values land in
# its log (UNKNOWN as -1, its "unknown"), the uptime text and name in its page. Skips (77) only
# when mrtg is missing. Local files only, no network.
set -u
sample=$1
command -v mrtg >/dev/null 2>&1 || { echo "mrtg not installed: skipped"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
run() {  # $1: sample mode
  cat > "$dir/mrtg.cfg" <<CFG
WorkDir: $dir
Target[web1]: \`$sample $1\`
MaxBytes[web1]: 100000000
Options[web1]: gauge,growright
Title[web1]: web1
PageTop[web1]: <h1>web1</h1>
CFG
  env LANG=C mrtg "$dir/mrtg.cfg" --logging "$dir/mrtg.txt" >/dev/null 2>&1
  head -1 "$dir/web1.log" | cut -d' ' -f2-
}
rc=0
got=$(run mrtg)
[ "$got" = "11500 20" ] || { echo "mrtg logged '$got', want '11500 20'"; cat "$dir/mrtg.txt"; rc=1; }
grep -q "had been up for <strong>3 days, 02:10:05</strong>" "$dir/web1.html" || { echo "uptime text not shown"; rc=1; }
grep -q "web1 (198.18.1.2)" "$dir/web1.html" || { echo "name not shown"; rc=1; }
got=$(run mrtg-unknown)
[ "$got" = "-1 100" ] || { echo "mrtg logged '$got', want '-1 100' (UNKNOWN in)"; cat "$dir/mrtg.txt"; rc=1; }
[ $rc -eq 0 ] && echo "mrtg reads the watch output"
exit $rc
