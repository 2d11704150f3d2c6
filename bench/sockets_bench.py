#!/usr/bin/python3
"""Listing speed of `reach sockets` against ss and netstat with many sockets (issue 5).

A benchmark, not a test: it never fails on the numbers. It exits non-zero only when it could
not run (not root, a binary missing, the connections could not be opened).

Inside one lab namespace (tests/lab/lab.py; loopback only, nothing leaves it), two server processes
accept and two client processes open N established TCP connections to 127.0.0.1 (default 20,000:
40,000 sockets, plus the listener). Then each command runs --runs times, one after another,
inside the namespace, output to /dev/null; wall time (perf_counter around the run) and CPU
time (user + system of the child, from wait4) are recorded and the median reported:

  reach sockets -tanp | ss -tanp | netstat -tanp | reach sockets -tan | ss -tan | netstat -tan

Each command's line count is checked first, so a tool that lists fewer sockets is caught.
Every command runs under `nsenter --net=...` (a setns and an exec, the same for all).
"""
from __future__ import annotations

import argparse
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

RUN_TIMEOUT = 60.0

SERVER = r"""
import os, resource, select, socket, sys, time
n, port = int(sys.argv[1]), int(sys.argv[2])
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port)); l.listen(4096)
print("listening", flush=True)
conns, deadline = [], time.monotonic() + 300
while len(conns) < n and time.monotonic() < deadline:
    if select.select([l], [], [], 1)[0]:
        conns.append(l.accept()[0])
print("accepted", len(conns), flush=True)
time.sleep(1800)
"""

CLIENT = r"""
import resource, socket, sys, time
n, port = int(sys.argv[1]), int(sys.argv[2])
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]
print("ready", len(conns), flush=True)
time.sleep(1800)
"""


def run_once(host, cmd):
    # nsenter (setns only) rather than `ip netns exec` (which also remounts /sys): a smaller
    # constant in every measurement.
    argv = ["nsenter", f"--net=/run/netns/{host.ns}", *cmd]
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            p.kill()
            os.wait4(p.pid, 0)
            raise RuntimeError(f"{cmd} ran longer than {RUN_TIMEOUT}s")
        time.sleep(0.0005)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall * 1000, (ru.ru_utime + ru.ru_stime) * 1000, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connections", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", help="raw results as JSON")
    a = ap.parse_args()
    if not lablib.is_root():
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    if not 1 <= a.connections <= 25000 or not 1 <= a.runs <= 50:
        print("--connections 1..25000, --runs 1..50", file=sys.stderr)
        return 2
    reach = lablib.reach_bin()
    for tool in (str(reach), "/usr/bin/ss", "/usr/bin/netstat"):
        if not Path(tool).exists():
            print(f"missing {tool} (bash scripts/install-deps.sh; build reach)", file=sys.stderr)
            return 2
    commands = [
        ("reach sockets -tanp", [str(reach), "sockets", "-tanp"]),
        ("ss -tanp", ["ss", "-tanp"]),
        ("netstat -tanp", ["netstat", "-tanp"]),
        ("reach sockets -tan", [str(reach), "sockets", "-tan"]),
        ("ss -tan", ["ss", "-tan"]),
        ("netstat -tan", ["netstat", "-tan"]),
    ]
    results = {}
    with lablib.Lab() as lab:
        h = lab.host("many")
        # Four processes (two servers, two clients), each within the usual 20,000 fd limit.
        half = [a.connections // 2, a.connections - a.connections // 2]
        procs = []
        for i, n in enumerate(half):
            srv = h.popen([lablib.python_bin(), "-c", SERVER, str(n), str(7000 + i)], text=False, bufsize=0)
            lablib._wait_for_line(srv, b"listening", 20)
            cli = h.popen([lablib.python_bin(), "-c", CLIENT, str(n), str(7000 + i)], text=False, bufsize=0)
            lablib._wait_for_line(cli, f"ready {n}".encode(), 300)
            lablib._wait_for_line(srv, f"accepted {n}".encode(), 60)
            procs += [cli, srv]
        expect = 2 * a.connections + 2
        for name, cmd in commands:
            out = h.run(cmd, timeout=RUN_TIMEOUT).stdout
            rows = sum(1 for ln in out.splitlines() if ln.startswith(("tcp", "ESTAB", "LISTEN")))
            if rows != expect:
                print(f"warning: {name} listed {rows} sockets, expected {expect}", file=sys.stderr)
        for r in range(a.runs):
            for name, cmd in commands:  # interleaved, so drifting load hits every tool alike
                wall, cpu, rc = run_once(h, cmd)
                if rc != 0:
                    print(f"warning: {name} exited {rc}", file=sys.stderr)
                results.setdefault(name, []).append((wall, cpu))
        for p in procs:
            lab.stop(p)
    ss_p = statistics.median(w for w, _ in results["ss -tanp"])
    ss_n = statistics.median(w for w, _ in results["ss -tan"])
    print(f"{a.connections} established TCP connections ({2 * a.connections} sockets + 2 listeners), "
          f"median of {a.runs} runs, {os.cpu_count()} CPUs, kernel {os.uname().release}\n")
    print("| command | wall ms | CPU ms | wall vs ss -tanp | wall vs ss -tan |")
    print("|---|---:|---:|---:|---:|")
    for name, _ in commands:
        w = statistics.median(x for x, _ in results[name])
        c = statistics.median(y for _, y in results[name])
        print(f"| `{name}` | {w:.0f} | {c:.0f} | {w / ss_p:.2f} | {w / ss_n:.2f} |")
    if a.out:
        Path(a.out).write_text(json.dumps({"connections": a.connections, "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
