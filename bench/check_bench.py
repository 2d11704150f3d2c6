#!/usr/bin/python3
"""`reach check` over 10,000 TCP endpoints against nmap -sT and a parallel ncat loop (issue 6).

A benchmark, not a test: it never fails on the numbers. It exits non-zero only when it could not
run (not root, a binary missing, the lab could not be built).

Lab (tests/lab/lab.py): client <-> server on one veth link. Every address of 198.19.0.0/18 is
local to the server (`ip route add local ... dev lo`); the first --hosts of them (default 3,334)
each get ports 80 (open: an accept-and-close listener), 81 (closed: the kernel answers RST) and
82 (dropped by the server's nftables): 10,002 endpoints, a third of each. Then, from the client:

  reach check -j 1000 -W 1 --file LIST --json        (and -W 0.25, near nmap -T4's timeouts)
  nmap -sT -Pn -n -T4 --max-retries 0 -p 80-82 -iL HOSTS -oG -    (the same endpoints)
  nmap -sT -Pn -n -p 80-82 -iL HOSTS -oG -                           (nmap's default timing)
  xargs -P 1000 ncat -z -w 1 HOST PORT                               (the script operators write;
                                     run over a sample, --ncat-sample, and scaled: ~70 ms CPU each)

Wall time (perf_counter) and CPU (user + system of the child and its children, from wait4) of
each, and how many endpoints each classified as open / closed / filtered; the medians of --runs.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
import lab as lablib  # noqa: E402

PREFIX = "198.19.0.0/18"
RUN_TIMEOUT = 600.0

# Accepts and closes as fast as it can, with a deep backlog so no SYN is dropped for a full queue.
ACCEPTOR = r"""
import os, select, socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 80)); l.listen(65535); l.setblocking(False)
print("ready", flush=True)
deadline, parent = time.monotonic() + 1800, os.getppid()
while time.monotonic() < deadline and os.getppid() == parent:
    if select.select([l], [], [], 0.5)[0]:
        for _ in range(256):
            try:
                c, _ = l.accept()
            except BlockingIOError:
                break
            c.close()
"""


def run_with_rusage(host: lablib.Host, argv: list[str]) -> tuple[float, float, str]:
    full = host.wrap(argv)
    t0 = time.perf_counter()
    r0 = os.times()
    proc = subprocess.run(full, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    wall = time.perf_counter() - t0
    r1 = os.times()
    cpu = (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)
    return wall, cpu, proc.stdout


def count_reach(out: str) -> dict[str, int]:
    c: dict[str, int] = {}
    for line in out.splitlines():
        o = json.loads(line)
        if o["type"] == "check":
            c[o["result"]] = c.get(o["result"], 0) + 1
    return c


def count_nmap(out: str) -> dict[str, int]:
    c: dict[str, int] = {}
    for line in out.splitlines():
        if "Ports:" not in line:
            continue
        for item in line.split("Ports:")[1].split("\t")[0].split(","):
            state = item.strip().split("/")[1]
            c[state] = c.get(state, 0) + 1
    return c


def count_ncat(out: str) -> dict[str, int]:
    c: dict[str, int] = {}
    for line in out.splitlines():
        c[line.strip()] = c.get(line.strip(), 0) + 1
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=3334, help="addresses, 3 ports each (default 3334)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--ncat-sample", type=int, default=334,
                    help="addresses (x3 endpoints) for the ncat loop, scaled up to all; 0 skips it")
    a = ap.parse_args()
    if not lablib.is_root():
        print("check_bench: needs root (network namespaces)", file=sys.stderr)
        return 2
    reach = lablib.reach_bin()
    if not reach.exists():
        print(f"check_bench: {reach} not built", file=sys.stderr)
        return 2
    net = ipaddress.ip_network(PREFIX)
    if not 1 <= a.hosts <= net.num_addresses - 2:
        print("check_bench: --hosts out of range", file=sys.stderr)
        return 2
    with lablib.Lab() as lab:
        p = lab.pair()
        for h in (p.client, p.server):
            h.sysctls({"net.core.somaxconn": 65535, "net.ipv4.tcp_max_syn_backlog": 65535,
                       "net.ipv4.ip_local_port_range": "1024 65535", "net.ipv4.tcp_tw_reuse": 1},
                      ignore_missing=True)
        lab.local_addresses(p.server, PREFIX)
        p.server.nft("""
table inet bench {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 82 drop
  }
}
""")
        acc = p.server.popen([lablib.python_bin(), "-c", ACCEPTOR], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=False, bufsize=0)
        lablib._wait_for_line(acc, b"ready", timeout=10)
        hosts = [str(net.network_address + 1 + i) for i in range(a.hosts)]
        tmp = lab.tmpdir
        (tmp / "hosts.txt").write_text("\n".join(hosts) + "\n")
        (tmp / "endpoints.txt").write_text("".join(f"{h} {port}\n" for h in hosts for port in (80, 81, 82)))
        (tmp / "ncat.sh").write_text(
            "#!/bin/sh\n# one endpoint as operators script it: ncat -z, the word for its exit status\n"
            'if ncat -z -w 1 "$1" "$2" 2>/dev/null; then echo open; else echo failed; fi\n')
        os.chmod(tmp / "ncat.sh", 0o755)
        n = a.hosts * 3
        sample = max(0, min(a.ncat_sample, a.hosts)) * 3
        (tmp / "sample.txt").write_text("".join((tmp / "endpoints.txt").read_text().splitlines(True)[:sample]))
        reach_cmd = [str(reach), "check", "-j", str(a.jobs), "--json", "--file", str(tmp / "endpoints.txt")]
        cmds = {
            f"reach check -j {a.jobs} -W 1": (reach_cmd + ["-W", "1"], count_reach, 1),
            f"reach check -j {a.jobs} -W 0.25": (reach_cmd + ["-W", "0.25"], count_reach, 1),
            "nmap -sT -T4 --max-retries 0": (["nmap", "-sT", "-Pn", "-n", "-T4", "--max-retries", "0", "-p",
                                              "80-82", "-iL", str(tmp / "hosts.txt"), "-oG", "-"], count_nmap, 1),
            "nmap -sT": (["nmap", "-sT", "-Pn", "-n", "-p", "80-82", "-iL", str(tmp / "hosts.txt"), "-oG", "-"],
                         count_nmap, 1),
        }
        if a.ncat_sample > 0:
            cmds[f"ncat loop (xargs -P {a.jobs}) *"] = (
                ["sh", "-c", f"xargs -P {a.jobs} -n 2 {tmp / 'ncat.sh'} < {tmp / 'sample.txt'}"], count_ncat,
                n / sample)
        results = {}
        for name, (argv, counter, scale) in cmds.items():
            walls, cpus, counts = [], [], {}
            for _ in range(a.runs if scale == 1 else 1):
                wall, cpu, out = run_with_rusage(p.client, argv)
                walls.append(wall * scale)
                cpus.append(cpu * scale)
                counts = counter(out)
            results[name] = {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus),
                             "counts": counts}
            print(f"{name:32s} wall {results[name]['wall_s']:7.2f} s  cpu {results[name]['cpu_s']:6.2f} s  "
                  f"{counts}", flush=True)
        base = next(iter(results.values()))
        print(f"\n{n} endpoints ({a.hosts} addresses x ports 80 open / 81 closed / 82 dropped), "
              f"median of {a.runs} runs"
              + (f" (* ncat: one run over {sample} endpoints, times scaled by {n / sample:.1f})" if sample else "")
              + "; ratios to reach:")
        for name, r in results.items():
            print(f"  {name:32s} wall x{r['wall_s'] / base['wall_s']:6.2f}   cpu x{r['cpu_s'] / max(base['cpu_s'], 1e-9):6.2f}")
        print(json.dumps(results))
        lab.stop(acc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
