#!/usr/bin/env bash
# Benchmarks of bench/, side by side with the peer tools (see docs/BENCHMARKS.md).
# Needs root: every packet stays inside network namespaces built by tests/lab/lab.py.
#   REACH_BUILD_DIR  build directory holding src/app/reach and tests/lab/reach-linkem (default: build)
#   extra arguments go to bench/ping_precision.py (e.g. --out FILE, --loads idle, --count 50);
#   bench/sockets_bench.py, bench/trace_bench.py, bench/mda_bench.py, bench/scan_bench.py, bench/check_bench.py, bench/watch_bench.py, bench/usage_bench.py, bench/relay_bench.py and bench/daemon_memory.py run after it with their defaults
set -euo pipefail
cd "$(dirname "$0")/.."
export REACH_BUILD_DIR="${REACH_BUILD_DIR:-$PWD/build}"
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/run.sh: needs root (network namespaces, raw sockets); try: sudo make bench" >&2
  exit 2
fi
if [ ! -x "$REACH_BUILD_DIR/src/app/reach" ] || [ ! -x "$REACH_BUILD_DIR/tests/lab/reach-linkem" ]; then
  echo "bench/run.sh: reach or reach-linkem not built in $REACH_BUILD_DIR; building" >&2
  cmake -S . -B "$REACH_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$REACH_BUILD_DIR" -j"$(nproc)" --target reach reach-linkem
fi
start=$(date +%s)
# Hard bound on the whole run (normally ~1-2 minutes); the lab tears itself down on exit.
timeout --signal=TERM --kill-after=20 600 /usr/bin/python3 bench/ping_precision.py "$@"
timeout --signal=TERM --kill-after=20 600 /usr/bin/python3 bench/sockets_bench.py
timeout --signal=TERM --kill-after=20 600 /usr/bin/python3 bench/trace_bench.py
timeout --signal=TERM --kill-after=20 900 /usr/bin/python3 bench/mda_bench.py
timeout --signal=TERM --kill-after=20 900 /usr/bin/python3 bench/scan_bench.py
timeout --signal=TERM --kill-after=20 900 /usr/bin/python3 bench/check_bench.py
timeout --signal=TERM --kill-after=20 900 /usr/bin/python3 bench/watch_bench.py
timeout --signal=TERM --kill-after=20 1800 /usr/bin/python3 bench/usage_bench.py
timeout --signal=TERM --kill-after=20 1500 /usr/bin/python3 bench/relay_bench.py
timeout --signal=TERM --kill-after=20 600 /usr/bin/python3 bench/daemon_memory.py --held 3000
echo "bench/run.sh: done in $(( $(date +%s) - start )) s" >&2
