#!/usr/bin/python3
"""Wall time of an 8-router trace: reach trace (UDP, ICMP, TCP) against traceroute (UDP, -I,
-T), tcptraceroute, mtr --report -c 1 and scamper, with and without one silent router (issue 3).

A benchmark, not a test: it never fails on the numbers. It exits non-zero only when it could
not run (not root, reach missing); a peer tool that is not installed is skipped with a warning.

Topology (tests/lab/lab.py, lab addresses only): client - r1 - ... - r8 - server, every one of
the 9 links through reach-linkem with 1 ms of delay each way (RTT to the server 18 ms). In the
"silent" scenario r4 forwards but never sends time exceeded (its ICMP output dropped), so hop 4
is `* * *`. Tools run one after another, never concurrently, each RUNS times (median reported).
For reach the hops are checked against the topology on every run; a wrong path is reported.

Output: a markdown table on stdout (wall time median in seconds, and the ratio to traceroute's
UDP default), progress on stderr.
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
import lab as lablib  # noqa: E402

RUN_TIMEOUT = 60.0


def build(lab, silent: bool):
    nodes = [lab.host("client")] + [lab.host(f"r{i}") for i in range(1, 9)] + [lab.host("server")]
    links = [lab.link(nodes[i], nodes[i + 1], delay_ms=1) for i in range(9)]
    lab.route_all()
    if silent:
        nodes[4].nft("""
table inet silent {
  chain output { type filter hook output priority 0; policy accept;
    icmp type time-exceeded drop; icmpv6 type time-exceeded drop; }
}
""")
    hops = [links[i].addr4(nodes[i + 1]) for i in range(9)]
    return nodes[0], nodes[-1], hops


def tools(reach: str, server: str):
    return [
        ("reach trace (udp)", [reach, "trace", "-n", "--json", server], "reach"),
        ("reach trace --icmp", [reach, "trace", "--icmp", "-n", "--json", server], "reach"),
        ("reach trace --tcp", [reach, "trace", "--tcp", "-n", "--json", server], "reach"),
        ("traceroute (udp)", ["traceroute", "-n", server], None),
        ("traceroute -I", ["traceroute", "-n", "-I", server], None),
        ("traceroute -T", ["traceroute", "-n", "-T", server], None),
        ("tcptraceroute", ["tcptraceroute", "-n", server], None),
        ("mtr --report -c 1", ["mtr", "--report", "-c", "1", "-n", server], None),
        ("scamper trace", ["scamper", "-O", "text", "-c", "trace", "-i", server], None),
    ]


def check_reach(stdout: str, hops: list[str], silent: bool) -> str | None:
    try:
        path = [json.loads(l) for l in stdout.splitlines() if '"path"' in l][-1]
    except (ValueError, IndexError):
        return "no path event"
    got = [(h["responders"][0]["addr"] if h["responders"] else None) for h in path["hops"]]
    want = list(hops)
    if silent:
        want[3] = None
    return None if got == want else f"wrong path {got}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    if not lablib.is_root():
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    reach = str(lablib.reach_bin())
    if not Path(reach).exists():
        print(f"reach not built at {reach}", file=sys.stderr)
        return 2
    results: dict[str, dict[str, float]] = {}
    problems = []
    for silent in (False, True):
        scen = "silent r4" if silent else "all answer"
        with lablib.Lab() as lab:
            client, server, hops = build(lab, silent)
            for name, cmd, kind in tools(reach, hops[-1]):
                if not shutil.which(cmd[0]) and kind is None:
                    print(f"warning: {cmd[0]} not installed, skipped", file=sys.stderr)
                    continue
                times = []
                for _ in range(a.runs):
                    t0 = time.monotonic()
                    r = client.run(cmd, check=False, timeout=RUN_TIMEOUT)
                    times.append(time.monotonic() - t0)
                    if kind == "reach":
                        bad = check_reach(r.stdout, hops, silent)
                        if bad:
                            problems.append(f"{name} ({scen}): {bad}")
                    elif r.returncode != 0:
                        problems.append(f"{name} ({scen}): exit {r.returncode}")
                results.setdefault(name, {})[scen] = statistics.median(times)
                print(f"{scen:10s} {name:22s} {statistics.median(times):7.3f} s", file=sys.stderr)
    base = results.get("traceroute (udp)", {})
    print(f"8 routers, 1 ms per link each way, median of {a.runs} runs; {platform.node()} "
          f"({platform.machine()}, {len(__import__('os').sched_getaffinity(0))} CPUs)\n")
    print("| tool | all answer (s) | vs traceroute | silent r4 (s) | vs traceroute |")
    print("|---|---:|---:|---:|---:|")
    for name, by in results.items():
        cells = []
        for scen in ("all answer", "silent r4"):
            t = by.get(scen)
            b = base.get(scen)
            cells += [f"{t:.3f}" if t is not None else "-", f"{t / b:.2f}" if t and b else "-"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for p in problems:
        print(f"\nwarning: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
