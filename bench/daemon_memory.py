#!/usr/bin/python3
"""Where the daemons' memory goes: `reach relay` idle and with N held connections beside HAProxy
and 6tunnel, and `reach guard` idle, each with its resident pages per mapped file (docs/BENCHMARKS.md,
"Memory of the daemons"; docs/ARCHITECTURE.md, "Lean daemon images").

A benchmark, not a test: it exits non-zero only when it could not run (not root, reach not built).
  daemon_memory.py [--reach PATH ...] [--held N] [--sources N] [--guard-only]

Lab (tests/lab/lab.py): client (IPv6) <-> relay <-> backend (IPv4), the relays configured as in
bench/relay_bench.py (reach: its YAML with default limits, the client's /64 allowed; once more
with --no-blackhole). The backend accepts and holds every connection. Per relay: VmRSS of its
processes 0.7 s after it listens; with --held N, again 1 s after N connections from the client
are established and held. For reach also RssAnon/RssFile and Rss per mapped file
(/proc/PID/smaps), which tells the libraries' share. Then `reach guard --config` watching an
empty log file, idle, the same way; with --sources N, again once it has read 4 failure lines
from each of N addresses (threshold 5 in 10 minutes: every source tracked, none banned, each
holding the most failure times it can; the bytes the daemon read, from /proc/PID/io, tell
when it is through), with its peak (VmHWM) over the burst. Several --reach PATHs (e.g. two build trees) are measured in
turn. The held count is bounded by the open-file limit of this machine (6 descriptors a relayed
connection).
"""
from __future__ import annotations

import argparse
import collections
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "bench"))
import lab as lablib  # noqa: E402
import relay_bench as rb  # noqa: E402

HOLD_BACKEND = r"""
import resource, socket, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9000)); s.listen(4096); print("ready", flush=True)
held = []
while len(held) < 100000:
    held.append(s.accept()[0])
"""
HOLD_CLIENT = r"""
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
relay, n = sys.argv[1], int(sys.argv[2])
held = []
for i in range(n):
    c = socket.socket(socket.AF_INET6); c.settimeout(10); c.connect((relay, 8080)); held.append(c)
print("held", len(held), flush=True)
time.sleep(float(sys.argv[3]))
"""


def status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, val = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(val.split()[0])
    return out


def per_file(pid: int) -> list[tuple[str, int]]:
    """Rss in KiB summed per mapped file ([heap], [anon] ...), largest first."""
    per: collections.Counter = collections.Counter()
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        f = line.split()
        if f and not f[0].endswith(":") and "-" in f[0]:
            name = os.path.basename(f[5]) if len(f) > 5 and f[5].startswith("/") else (f[5] if len(f) > 5 else "[anon]")
        elif f and f[0] == "Rss:":
            per[name] += int(f[1])
    return per.most_common()


def describe(label: str, pid: int) -> None:
    s = status(pid)
    print(f"--- {label}: {os.readlink(f'/proc/{pid}/exe')}: VmRSS {s['VmRSS']} kB, RssAnon {s['RssAnon']}, "
          f"RssFile {s['RssFile']}", flush=True)
    for name, kib in per_file(pid):
        if kib >= 60:
            print(f"  {kib:6d} kB  {name}")


def wait_fds(pid: int, n: int, seconds: float) -> None:
    """Until the processes of pid hold n open files (6tunnel forks: summed over its tree)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        have = 0
        for p in rb.tree(pid):
            try:
                have += len(os.listdir(f"/proc/{p}/fd"))
            except OSError:
                pass
        if have >= n:
            return
        time.sleep(0.1)
    print(f"  ({have} open files, not {n}, after {seconds} s)", flush=True)


def relays(lab, reaches: list[Path], held: int) -> list[tuple[str, float, float | None]]:
    c, r, b = lab.host("client"), lab.host("relay"), lab.host("backend")
    lab.link(c, r)
    lab.link(r, b)
    lab.route_all()
    relay6 = r.link_to(c).addr6(r)
    b4 = b.link_to(r).addr4(b)
    client_net = str(lablib.ipaddress.ip_network(f"{c.link_to(r).addr6(c)}/64", strict=False))
    be = b.popen([lablib.python_bin(), "-c", HOLD_BACKEND, b4],
                 stdout=subprocess.PIPE, text=True)
    be.stdout.readline()
    tools: dict[str, list[str]] = {}
    for reach in reaches:
        t = rb.relays(lab.tmpdir, reach, b4, client_net)
        tools[f"reach relay ({reach})"] = t["reach relay"]["argv"]
        tools[f"reach relay --no-blackhole ({reach})"] = t["reach, no nft"]["argv"]
    t = rb.relays(lab.tmpdir, reaches[0], b4, client_net)
    tools["HAProxy"] = t["HAProxy"]["argv"]
    tools["6tunnel"] = ["6tunnel", "-d", "-6", "-l", "::", str(rb.PORT), b4, "9000"]
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    rows = []
    for name, argv in tools.items():
        if not Path(argv[0]).exists() and not shutil.which(argv[0]):
            print(f"{name}: not installed", flush=True)
            continue
        proc = r.popen(["prlimit", f"--nofile={nofile}", "--", *argv], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        try:
            if not rb.wait_port(r, rb.PORT):
                print(f"{name}: did not listen", flush=True)
                continue
            time.sleep(0.7)
            idle = rb.rss_kib(proc.pid) / 1024
            if name.startswith("reach"):
                describe(name, proc.pid)
            at_held = None
            if held:
                cl = c.popen([lablib.python_bin(), "-c", HOLD_CLIENT, relay6, str(held), "30"],
                             stdout=subprocess.PIPE, text=True)
                line = cl.stdout.readline().strip()
                # Established is not yet accepted: wait until the relay holds both sockets of each.
                wait_fds(proc.pid, 2 * held, 15)
                time.sleep(1.0)
                at_held = rb.rss_kib(proc.pid) / 1024 if line == f"held {held}" else None
                cl.kill()
                cl.wait(10)
            rows.append((name, idle, at_held))
        finally:
            lab.stop(proc)
            r.run(["nft", "delete", "table", "inet", "reach"], check=False)
    lab.stop(be)
    return rows


def read_bytes(pid: int) -> int:
    """Bytes the process has read so far (rchar of /proc/PID/io: pread included)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def failure_lines(n: int, rounds: int) -> str:
    """`rounds` sshd failure lines from each of n IPv4 addresses of 198.18.0.0/15, a new sshd
    pid per line as real sshd has."""
    out = []
    pid = 100000
    for _ in range(rounds):
        for k in range(1, n + 1):
            pid += 1
            a = f"198.{18 + k // 65536}.{k // 256 % 256}.{k % 256}"
            out.append(f"Dec  2 01:00:00 lab sshd[{pid}]: Failed password for root from {a} port {40000 + pid % 20000} ssh2\n")
    return "".join(out)


def guard_memory(lab, reach: Path, i: int, sources: int) -> tuple[float, float | None, float | None]:
    """(idle VmRSS, VmRSS while tracking `sources`, VmHWM over it) in MiB."""
    from guard_lab import guard_config, start_guard, stop
    h = lab.host(f"guard{i}")
    d = lab.tmpdir / f"guard{i}"
    d.mkdir()
    log = d / "auth.log"
    log.touch()
    g = start_guard(h, reach, guard_config(d, log), d / "out")
    try:
        time.sleep(0.7)
        describe(f"reach guard ({reach})", g.pid)
        idle = rb.rss_kib(g.pid) / 1024
        if not sources:
            return idle, None, None
        if sources > 131000:
            raise SystemExit("daemon_memory: --sources is at most 131000 (one /15 of lab addresses)")
        text = failure_lines(sources, 4)
        before = read_bytes(g.pid)
        with open(log, "a") as f:
            f.write(text)
        end = time.monotonic() + 120
        while read_bytes(g.pid) - before < len(text) and time.monotonic() < end and g.poll() is None:
            time.sleep(0.2)
        if read_bytes(g.pid) - before < len(text):
            print(f"  guard read {read_bytes(g.pid) - before} of {len(text)} bytes in 120 s", flush=True)
            return idle, None, None
        time.sleep(1.0)
        describe(f"reach guard ({reach}) tracking {sources} sources", g.pid)
        hwm = next(int(x.split()[1]) for x in Path(f"/proc/{g.pid}/status").read_text().splitlines()
                   if x.startswith("VmHWM"))
        return idle, rb.rss_kib(g.pid) / 1024, hwm / 1024
    finally:
        stop(h, g)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reach", action="append", type=Path, help="reach binary (repeatable; default: the build's)")
    ap.add_argument("--held", type=int, default=0, help="connections to hold through each relay")
    ap.add_argument("--sources", type=int, default=100000, help="sources for guard to track (0: idle only)")
    ap.add_argument("--guard-only", action="store_true", help="measure guard alone (no relays)")
    a = ap.parse_args()
    if not lablib.is_root():
        print("daemon_memory: needs root (network namespaces)", file=sys.stderr)
        return 2
    reaches = a.reach or [lablib.reach_bin()]
    if not all(p.exists() for p in reaches):
        print(f"daemon_memory: reach not built: {reaches}", file=sys.stderr)
        return 2
    with lablib.Lab() as lab:
        rows = [] if a.guard_only else relays(lab, reaches, a.held)
        guards = [(f"reach guard ({p})", guard_memory(lab, p, i, a.sources)) for i, p in enumerate(reaches)]
    print(f"\n| daemon | idle VmRSS MiB |" + (f" with {a.held} held connections |" if a.held else ""))
    print("|---|---:|" + ("---:|" if a.held else ""))
    for name, idle, at in rows:
        print(f"| {name} | {idle:.1f} |" + (f" {at:.1f} |" if a.held and at is not None else " - |" if a.held else ""))
    for name, (idle, tracking, peak) in guards:
        print(f"| {name} | {idle:.1f} |" + (" |" if a.held else ""))
    if a.sources:
        print(f"\n| daemon | idle VmRSS MiB | tracking {a.sources} sources | peak (VmHWM) |\n|---|---:|---:|---:|")
        for name, (idle, tracking, peak) in guards:
            cell = (lambda v: f"{v:.1f}" if v is not None else "-")
            print(f"| {name} | {idle:.1f} | {cell(tracking)} | {cell(peak)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
