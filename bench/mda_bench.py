#!/usr/bin/env python3
"""Probes spent to enumerate an ECMP load balancer: scamper tracelb vs `reach trace --mda`.

Builds client - a - <balanced routers> - server with lab.py primitives (a 2- and a 4-wide
diamond, a two-level one, a meshed one); each router with several next hops spreads traffic to the
server over equal-cost routes hashed on the five-tuple (net.ipv4/ipv6.fib_multipath_hash_policy=1),
so flows that differ in a port take different branches. Every tool must find all W branches and the merge; we count the probes each sent
(scamper's own probe count; reach's mda_summary). Needs root; packets stay in the lab.

  bench/mda_bench.py [--topologies NAME,...] [--runs 5] [--family 4|6|both]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "lab"))
from lab import Lab, reach_bin  # noqa: E402


TOPOLOGIES = {
    # name: (layers of router names after `a`, edges) ; the last layer's routers reach `server`
    "2-wide diamond": ([["b1", "b2"], ["c"]], {"a": ["b1", "b2"], "b1": ["c"], "b2": ["c"]}),
    "4-wide diamond": ([["b1", "b2", "b3", "b4"], ["c"]],
                       {"a": ["b1", "b2", "b3", "b4"], "b1": ["c"], "b2": ["c"], "b3": ["c"], "b4": ["c"]}),
    "2-level (2 x 2)": ([["b1", "b2"], ["c1", "c2", "c3", "c4"], ["d"]],
                        {"a": ["b1", "b2"], "b1": ["c1", "c2"], "b2": ["c3", "c4"],
                         "c1": ["d"], "c2": ["d"], "c3": ["d"], "c4": ["d"]}),
    "meshed 2 x 2": ([["b1", "b2"], ["c1", "c2"], ["d"]],
                     {"a": ["b1", "b2"], "b1": ["c1", "c2"], "b2": ["c1", "c2"], "c1": ["d"], "c2": ["d"]}),
}


def build(lab: Lab, topo: str):
    """client - a - <layers> - server; every router with several next hops toward the server
    balances over them by five-tuple hash. Returns (client, wanted router addresses, server link)."""
    layers, edges = TOPOLOGIES[topo]
    client, server = lab.host("client"), lab.host("server")
    hosts = {"a": lab.host("a")}
    for layer in layers:
        for name in layer:
            hosts[name] = lab.host(name)
    lab.link(client, hosts["a"])
    links = {}
    for src, dsts in edges.items():
        for d in dsts:
            links[(src, d)] = lab.link(hosts[src], hosts[d])
    last = lab.link(hosts[layers[-1][-1]], server)
    lab.route_all()
    for i, (src, dsts) in enumerate(edges.items()):
        if len(dsts) < 2:
            continue
        h = hosts[src]
        h.sysctls({"net.ipv4.fib_multipath_hash_policy": 1, "net.ipv6.fib_multipath_hash_policy": 1})
        # Each router its own hash seed, as real routers have: with the kernel's shared default,
        # b1 would send every flow a gave it to the same next hop and half the C's stay unused.
        h.sysctls({"net.ipv4.fib_multipath_hash_seed": 1000 + i}, ignore_missing=True)
        nh4 = " ".join(f"nexthop via {links[(src, d)].b4} dev {links[(src, d)].if_a}" for d in dsts)
        nh6 = " ".join(f"nexthop via {links[(src, d)].b6} dev {links[(src, d)].if_a}" for d in dsts)
        h.ip_batch([f"route replace {last.net4} {nh4}", f"route replace {last.net6} {nh6}"])
    # A router answers time exceeded from its interface toward the client: the one on the link
    # from its first predecessor.
    want4, want6 = set(), set()
    for layer in layers:
        for name in layer:
            lk = next(links[(s, d)] for (s, d) in links if d == name)
            want4.add(lk.b4)
            want6.add(lk.b6)
    return client, (want4, want6), last


def _addrs(x, out: set[str]) -> None:
    if isinstance(x, dict):
        if isinstance(x.get("addr"), str):
            out.add(x["addr"])
        for v in x.values():
            _addrs(v, out)
    elif isinstance(x, list):
        for v in x:
            _addrs(v, out)


def scamper_probes(client, dst: str, confidence: int) -> tuple[int, set[str]]:
    r = client.run(["scamper", "-p", "1000", "-O", "json", "-c", f"tracelb -P udp-dport -c {confidence}",
                    "-i", dst], timeout=120, check=False)
    for line in r.stdout.splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if j.get("type") == "tracelb":
            addrs: set[str] = set()
            _addrs(j.get("nodes", []), addrs)
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
    ap.add_argument("--topologies", default=",".join(TOPOLOGIES))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--family", default="4", choices=["4", "6", "both"])
    args = ap.parse_args()
    fams = ["4", "6"] if args.family == "both" else [args.family]
    print("| topology | family | tool | probes (median of runs) | all branches found |")
    print("|---|---|---|---|---|")
    for topo in args.topologies.split(","):
        with Lab() as lab:
            client, (want4, want6), last = build(lab, topo)
            for fam in fams:
                dst = last.b4 if fam == "4" else last.b6
                want = want4 if fam == "4" else want6
                for name, fn in (("scamper tracelb -c 95", lambda: scamper_probes(client, dst, 95)),
                                 ("reach trace --mda", lambda: reach_probes(client, dst, 0.05))):
                    res = [fn() for _ in range(args.runs)]
                    if res[0] is None:
                        print(f"| {topo} | IPv{fam} | {name} | not available in this build | |")
                        continue
                    probes = statistics.median(p for p, _ in res)
                    found = sum(want <= a for _, a in res)
                    print(f"| {topo} | IPv{fam} | {name} | {probes:g} "
                          f"({', '.join(str(p) for p, _ in res)}) | {found}/{len(res)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
