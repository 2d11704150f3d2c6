#!/usr/bin/python3
"""What a ban costs `reach guard` when libnftables was unloaded between batches (docs/BENCHMARKS.md,
"Memory of the daemons"; src/io/nft_ctx.hpp): dlopen of libnftables and its libraries,
nft_ctx_new and the first command, against the same batch with the library kept loaded.

A benchmark, not a test: it exits non-zero only when it could not run (not root, reach not built).
  guard_nft_reload.py [--reach PATH] [--samples N]

Two guards in turn, each in a lab namespace of its own (tests/lab/lab.py), following a log file:
one with `nft_idle: 0s` (unloaded at the tick after every batch), one with `nft_idle: 1h` (kept).
Every 1.5 s the failures of a new source are appended (threshold 3): one ban, one batch. Per
batch guard logs "X ms after the deciding line (Y ms in nftables)"; the medians of both are
printed per guard, and their difference is the reload.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
sys.path.insert(0, str(REPO / "tests" / "integration"))
import lab as lablib  # noqa: E402

BATCH = re.compile(r"guard: batch: 1 ban in one transaction, ([0-9.]+) ms after the deciding line "
                   r"\(([0-9.]+) ms in nftables\)")


def failures(src: str, n: int, pid: int) -> str:
    return "".join(f"Nov 30 21:00:0{i} lab sshd[{pid + i}]: Failed password for root from {src} port {40000 + i} ssh2\n"
                   for i in range(n))


def run_guard(lab, reach: Path, idle: str, samples: int, i: int) -> tuple[list[float], list[float]]:
    from guard_lab import guard_config, start_guard, stop, wait_for
    h = lab.host(f"g{i}")
    d = lab.tmpdir / f"g{i}"
    d.mkdir()
    log = d / "auth.log"
    log.touch()
    out = d / "out"
    g = start_guard(h, reach, guard_config(d, log, failures=3, extra=f"  nft_idle: {idle}\n"), out)
    try:
        for k in range(samples):
            time.sleep(1.5)  # past the next 1 s tick: unloaded there with nft_idle 0s
            with open(log, "a") as f:
                f.write(failures(f"198.18.{10 + i}.{k + 1}", 3, 1000 + 10 * k))
            wait_for(lambda: len(BATCH.findall(out.read_text())) > k, 10)
        got = BATCH.findall(out.read_text())
        return [float(a) for a, _ in got], [float(b) for _, b in got]
    finally:
        stop(h, g)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reach", type=Path, default=None)
    ap.add_argument("--samples", type=int, default=20)
    a = ap.parse_args()
    if not lablib.is_root():
        print("guard_nft_reload: needs root (network namespaces)", file=sys.stderr)
        return 2
    reach = a.reach or lablib.reach_bin()
    if not Path(reach).exists():
        print(f"guard_nft_reload: reach not built: {reach}", file=sys.stderr)
        return 2
    with lablib.Lab() as lab:
        rows = [(idle, *run_guard(lab, reach, idle, a.samples, i)) for i, idle in enumerate(("0s", "1h"))]
    print("| nft_idle | batches | line -> kernel, median ms | in nftables, median ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for idle, total, nft in rows:
        print(f"| {idle} | {len(total)} | {statistics.median(total):.2f} | {statistics.median(nft):.2f} | "
              f"{max(total):.2f} |")
    reload = statistics.median(rows[0][2]) - statistics.median(rows[1][2])
    print(f"\nreload (median in nftables, unloaded - kept): {reload:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
