#!/usr/bin/python3
"""Bytes of error of `reach usage` against vnStat (vnstatd 2.x, Debian) after each fault of
issue 12, and their CPU and memory (docs/BENCHMARKS.md).

A benchmark, not a test: it never fails on the numbers. It exits non-zero only when it could not
run (not root, a binary missing).

Each scenario builds its own pair of lab namespaces (tests/lab/lab.py) joined by a veth u0/u1
(198.18.201.0/24, IPv6 off on it) and runs `reach usage --daemon` (poll 1 s) and `vnstatd -n`
(Debian's defaults except its database directory; both counting u0) side by side in the client
namespace. The truth is the kernel's own counters of u0 (and of its successor when it is
re-created). Scenarios:

  clean     N bytes pushed; nothing else happens
  recreate  u0 deleted and re-created between two polls (a PPPoE/WWAN reconnect): its counters
            drop to near zero
  rename    u0 renamed to u0r while counting, more traffic after
  outage    both daemons down for --outage seconds (default 420: vnStat's 6-minute limit) while
            traffic flows (reach killed with SIGKILL, vnstatd stopped with SIGTERM), then restarted
  load      8 veths, 60 s at 1 s polling with traffic on all: CPU seconds and peak RSS of each

Errors are reported per direction as (counted - kernel) bytes; for vnStat the entry of u0 (what
`vnstat -i u0` shows) and, after a rename, also the sum of all its entries.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
import lab as lablib  # noqa: E402

SINK = r"""
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(64)
print("ready", flush=True)
def drain(c):
    while c.recv(1 << 16):
        pass
    c.close()
s.settimeout(3600)
while True:
    c, _ = s.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
"""
SEND = r"""
import socket, sys, time
c = socket.create_connection((sys.argv[1], 5001), timeout=30)
left = int(sys.argv[2]); rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0
buf = b"\0" * (1 << 16); t0 = time.monotonic(); sent = 0
while left > 0:
    k = c.send(buf[:min(left, len(buf))]); left -= k; sent += k
    if rate:
        ahead = sent / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
c.shutdown(socket.SHUT_WR); c.close()
"""


class Bed:
    def __init__(self, lab, tmp: Path, links=1):
        self.c = lab.host("bc")
        self.s = lab.host("bs")
        self.tmp = tmp
        self.names = [f"u{i * 2}" for i in range(links)]
        for i in range(links):
            self.create(i)
        self.sink = self.s.popen([lablib.python_bin(), "-c", SINK], text=True, bufsize=1)
        assert self.sink.stdout.readline().strip() == "ready"

    def create(self, i):
        a, b = f"u{i * 2}", f"u{i * 2 + 1}"
        self.c.ip("link", "add", a, "type", "veth", "peer", "name", b, "netns", self.s.ns)
        for h, dev, addr in ((self.c, a, f"198.18.{201 + i}.1"), (self.s, b, f"198.18.{201 + i}.2")):
            h.sysctl(f"net.ipv6.conf.{dev}.disable_ipv6", 1)
            h.ip("addr", "add", f"{addr}/24", "dev", dev)
            h.ip("link", "set", dev, "up")
        self.names[i] = a

    def push(self, nbytes, i=0, rate=0.0):
        self.c.run([lablib.python_bin(), "-c", SEND, f"198.18.{201 + i}.2", str(nbytes), str(rate)], timeout=3600)

    def kernel(self, name):
        r = self.c.run(["cat", f"/sys/class/net/{name}/statistics/rx_bytes",
                        f"/sys/class/net/{name}/statistics/tx_bytes"], timeout=10)
        rx, tx = r.stdout.split()
        return int(rx), int(tx)

    # --- reach
    def reach_config(self):
        cfg = self.tmp / "usage.yml"
        cfg.write_text(f"db: {self.tmp / 'usage.db'}\nusage:\n  poll: 1s\n  plans:\n" +
                       "".join(f"    - {{ name: p{n}, interfaces: [{n}], cap: 1TB }}\n" for n in self.names))
        return cfg

    def start_reach(self, reach):
        p = self.c.popen([str(reach), "usage", "--config", str(self.reach_config()), "--daemon"], text=True, bufsize=1)
        first = p.stdout.readline()
        assert "counting" in first, first
        return p

    def reach_counted(self):
        db = sqlite3.connect(f"file:{self.tmp / 'usage.db'}?mode=ro", uri=True)
        try:
            return tuple(db.execute("SELECT coalesce(sum(rx),0), coalesce(sum(tx),0) FROM usage_hour").fetchone())
        finally:
            db.close()

    # --- vnStat
    def vnstat_config(self):
        cfg = self.tmp / "vnstat.conf"
        (self.tmp / "vnstat").mkdir(exist_ok=True)
        cfg.write_text(f'DatabaseDir "{self.tmp / "vnstat"}"\nUseLogging 0\nAlwaysAddNewInterfaces 1\n'
                       f'TimeSyncWait 0\n')
        return cfg

    def start_vnstat(self):
        cfg = self.vnstat_config()
        p = self.c.popen(["vnstatd", "-n", "--config", str(cfg)], text=True)
        for n in self.names:  # make sure the interfaces are in its database from now on
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                r = self.c.run(["vnstat", "--config", str(cfg), "-i", n, "--json"], check=False, timeout=10)
                if r.returncode == 0:
                    break
                time.sleep(0.5)
        return p

    def vnstat_counted(self):
        r = self.c.run(["vnstat", "--config", str(self.tmp / "vnstat.conf"), "--json"], check=False, timeout=10)
        out = {}
        if r.returncode == 0:
            for i in json.loads(r.stdout)["interfaces"]:
                t = i["traffic"]["total"]
                out[i["name"]] = (t["rx"], t["tx"])
        return out


def stop(p, sig=signal.SIGTERM):
    p.send_signal(sig)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)


def errors(counted, truth):
    return [counted[0] - truth[0], counted[1] - truth[1]]


def scenario(name, reach, tmp, args):
    with lablib.Lab() as lab:
        (tmp / name).mkdir(parents=True, exist_ok=True)
        bed = Bed(lab, tmp / name, links=8 if name == "load" else 1)
        vn = bed.start_vnstat()
        r = bed.start_reach(reach)
        time.sleep(2)  # both have their baselines; nothing moves on the link until the first push
        k0 = bed.kernel("u0")
        truth_extra = (0, 0)
        res = {"scenario": name}
        if name == "clean":
            bed.push(args.bytes)
        elif name == "recreate":
            bed.push(args.bytes)
            time.sleep(args.settle)
            before = bed.kernel("u0")
            truth_extra = (before[0] - k0[0], before[1] - k0[1])
            bed.c.ip("link", "del", "u0")
            bed.create(0)
            k0 = (0, 0)
            bed.push(args.bytes // 10)
        elif name == "rename":
            bed.push(args.bytes)
            time.sleep(args.settle)
            bed.c.ip("link", "set", "u0", "down")
            bed.c.ip("link", "set", "u0", "name", "u0r")
            bed.c.ip("link", "set", "u0r", "up")
            bed.names[0] = "u0r"
            bed.push(args.bytes)
        elif name == "outage":
            bed.push(args.bytes)
            time.sleep(args.settle)
            stop(r, signal.SIGKILL)
            stop(vn)
            rate = args.bytes / max(args.outage - 5, 1)
            pusher = threading.Thread(target=bed.push, args=(args.bytes, 0, rate))
            pusher.start()
            pusher.join()
            time.sleep(max(0.0, args.outage - (args.bytes / rate)))
            vn = bed.start_vnstat()
            r = bed.start_reach(reach)
            bed.push(args.bytes // 10)
        elif name == "load":
            t0 = time.monotonic()
            threads = [threading.Thread(target=bed.push, args=(args.bytes, i, args.bytes / args.load_seconds))
                       for i in range(8)]
            rss_r = rss_v = 0
            mem_r, mem_v = {}, {}
            for t in threads:
                t.start()
            while time.monotonic() - t0 < args.load_seconds:
                rss_r = max(rss_r, rss_kib(r.pid))
                rss_v = max(rss_v, rss_kib(vn.pid))
                mem_r = peak(mem_r, rollup_kib(r.pid))
                mem_v = peak(mem_v, rollup_kib(vn.pid))
                time.sleep(1)
            for t in threads:
                t.join()
            res["reach_cpu_s"] = cpu_s(r.pid)
            res["vnstatd_cpu_s"] = cpu_s(vn.pid)
            res["reach_rss_kib"] = rss_r
            res["vnstatd_rss_kib"] = rss_v
            # Rss counts every page mapped, also the shared libraries' pages that other processes
            # map too; Pss shares those out; Private (USS) is what stopping the process frees.
            res["reach_mem_kib"] = mem_r
            res["vnstatd_mem_kib"] = mem_v
            res["seconds"] = round(time.monotonic() - t0, 1)
        time.sleep(args.settle)
        stop(r)
        stop(vn)
        name_now = bed.names[0]
        k1 = bed.kernel(name_now)
        truth = (truth_extra[0] + k1[0] - k0[0], truth_extra[1] + k1[1] - k0[1])
        if name != "load":
            vs = bed.vnstat_counted()
            res["truth"] = truth
            res["reach_error"] = errors(bed.reach_counted(), truth)
            res["vnstat_error_u0"] = errors(vs.get("u0", (0, 0)), truth)
            if len(vs) > 1:
                total = tuple(sum(v[d] for v in vs.values()) for d in (0, 1))
                res["vnstat_error_all_entries"] = errors(total, truth)
        return res


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rollup_kib(pid):
    """Rss, Pss, private (USS) and anonymous KiB from /proc/PID/smaps_rollup."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Anonymous"):
                out[k] = int(v.split()[0])
    except OSError:
        return {}
    if out:
        out["Private"] = out.pop("Private_Clean", 0) + out.pop("Private_Dirty", 0)
    return out


def peak(a, b):
    return {k: max(a.get(k, 0), b.get(k, 0)) for k in set(a) | set(b)}


def cpu_s(pid):
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return round((int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK"), 2)
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="clean,recreate,rename,outage,load")
    ap.add_argument("--bytes", type=int, default=50_000_000)
    ap.add_argument("--outage", type=float, default=420)
    ap.add_argument("--settle", type=float, default=25)  # > vnstatd's UpdateInterval (20 s)
    ap.add_argument("--load-seconds", type=float, default=60)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    if not lablib.is_root():
        print("usage_bench: needs root", file=sys.stderr)
        return 2
    reach = lablib.reach_bin()
    if not reach.exists() or not Path("/usr/sbin/vnstatd").exists():
        print(f"usage_bench: needs {reach} and vnstatd (apt-get install vnstat)", file=sys.stderr)
        return 2
    import tempfile
    results = []
    with tempfile.TemporaryDirectory(prefix="usage-bench-") as d:
        for name in args.scenarios.split(","):
            res = scenario(name, reach, Path(d), args)
            print(json.dumps(res), flush=True)
            results.append(res)
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
