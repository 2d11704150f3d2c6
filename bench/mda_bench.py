#!/usr/bin/env python3
"""Probes spent to enumerate an ECMP load balancer: scamper tracelb vs `reach trace --mda`.

Builds client - a - {b1..bW} - c - server with lab.py primitives; router `a` spreads traffic to
the server over W equal-cost next hops and hashes on the five-tuple
(net.ipv4/ipv6.fib_multipath_hash_policy=1), so flows that differ in a port take different
branches. Every tool must find all W branches and the merge; we count the probes each sent
(scamper's own probe count; reach's mda_summary). Needs root; packets stay in the lab.

  bench/mda_bench.py [--widths 2,4] [--runs 5] [--family 4|6|both]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "lab"))
from lab import Lab, reach_bin  # noqa: E402


def build(lab: Lab, width: int):
    client, a, c, server = lab.host("client"), lab.host("a"), lab.host("c"), lab.host("server")
    lab.link(client, a)
    mids = [lab.host(f"b{i + 1}") for i in range(width)]
    up = [lab.link(a, b) for b in mids]
    for b in mids:
        lab.link(b, c)
    last = lab.link(c, server)
    lab.route_all()
    a.sysctls({"net.ipv4.fib_multipath_hash_policy": 1, "net.ipv6.fib_multipath_hash_policy": 1})
    nh4 = " ".join(f"nexthop via {lk.b4} dev {lk.if_a}" for lk in up)
    nh6 = " ".join(f"nexthop via {lk.b6} dev {lk.if_a}" for lk in up)
    a.ip_batch([f"route replace {last.net4} {nh4}", f"route replace {last.net6} {nh6}"])
    return client, mids, last


def scamper_probes(client, dst: str, confidence: int) -> tuple[int, set[str]]:
    r = client.run(["scamper", "-p", "1000", "-O", "json", "-c", f"tracelb -P udp-dport -c {confidence}",
                    "-i", dst], timeout=120, check=False)
    for line in r.stdout.splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if j.get("type") == "tracelb":
            addrs = {n.get("addr") for n in j.get("nodes", []) if n.get("addr")}
            return int(j.get("probec", -1)), addrs
    raise RuntimeError(f"scamper gave no tracelb object: {r.stdout[-500:]} {r.stderr[-500:]}")


def reach_probes(client, dst: str, alpha: float) -> tuple[int, set[str]] | None:
    probe = client.run([str(reach_bin()), "trace", "--help"], check=False, timeout=10)
    if probe.returncode != 0 or "--mda" not in probe.stdout:
        return None  # `reach trace --mda` not wired in this build yet
    r = client.run([str(reach_bin()), "trace", "--mda", "--alpha", str(alpha), "-n", "--json", dst],
                   timeout=120, check=False)
    addrs, probes = set(), -1
    for line in r.stdout.splitlines():
        j = json.loads(line)
        if j.get("type") == "mda_hop":
            addrs |= {i["addr"] for i in j["interfaces"]}
        elif j.get("type") == "mda_summary":
            probes = j["probes"]
    return probes, addrs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="2,4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--family", default="4", choices=["4", "6", "both"])
    args = ap.parse_args()
    fams = ["4", "6"] if args.family == "both" else [args.family]
    print("| topology | family | tool | probes (median of runs) | all branches found |")
    print("|---|---|---|---|---|")
    for width in (int(w) for w in args.widths.split(",")):
        with Lab() as lab:
            client, mids, last = build(lab, width)
            for fam in fams:
                dst = last.b4 if fam == "4" else last.b6
                want = {getattr(lk, "addr4" if fam == "4" else "addr6")(b) for b in mids
                        for lk in b.links if lk.peer(b).name == "a"}
                for name, fn in (("scamper tracelb -c 95", lambda: scamper_probes(client, dst, 95)),
                                 ("reach trace --mda", lambda: reach_probes(client, dst, 0.05))):
                    res = [fn() for _ in range(args.runs)]
                    if res[0] is None:
                        print(f"| {width}-wide diamond | IPv{fam} | {name} | not available in this build | |")
                        continue
                    probes = statistics.median(p for p, _ in res)
                    found = sum(want <= a for _, a in res)
                    print(f"| {width}-wide diamond | IPv{fam} | {name} | {probes:g} "
                          f"({', '.join(str(p) for p, _ in res)}) | {found}/{len(res)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
