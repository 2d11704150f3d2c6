#!/usr/bin/python3
"""`reach guard` side by side with fail2ban and sshguard (Debian 12) on the same synthetic sshd
auth log, a new sshd pid per line as real sshd forks (docs/BENCHMARKS.md, "reach guard").

A benchmark, not a test: it never fails on the numbers; it exits non-zero only when it could not
run (not root, reach not built). fail2ban, sshguard and python3-nftables are installed here when missing (with
Debian's policy-rc.d keeping their services from starting), never in CI.

Each tool runs alone in a lab namespace of its own (tests/lab/lab.py), so every ruleset it writes
is that namespace's: reach (table inet reach, hash sets with timeouts, batched), fail2ban
(1.0.2, backend pyinotify/polling, banaction nftables[type=allports]: one `nft` per ban), sshguard
(2.4.2, sshg-fw-nft-sets: one `nft` per ban into an interval set). Bans are seen with
`nft monitor new elements` in that namespace, which prints each element as the kernel adds it.
Thresholds: 5 failures (sshguard: -a 50, 10 points per failure), ban 1 h.

  lines     90,000 lines from 1k / 10k / 100k sources (90 / 9 / 0.9 each, under a threshold of
            91 / 10 / 5 so nothing is banned), then a marker source's threshold failures: lines/s
            is all lines / (write -> marker banned). Capped at --cap seconds ("-").
  idle      --samples times: 5 failures of a new source written at once -> its element appears.
  load      the same while a writer appends 10k failure lines/s from sources that never reach
            the threshold.
  burst     1,000 attackers x 5 failures written at once: bans/s until every one of them is in a
            set, seen by listing the ruleset every 2 ms (not by `nft monitor`, whose per-element
            events would be built inside the tool's own transaction); --bursts N runs, median.
  CPU s and peak RSS (VmHWM, summed over the tool's processes) over the whole run of each tool.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
import lab as lablib  # noqa: E402

PID = [100000]


def line(src: str) -> str:
    """fail2ban ignores lines older than its findtime: the syslog time is now's."""
    PID[0] += 1
    when = time.strftime("%b %e %H:%M:%S")
    return f"{when} lab sshd[{PID[0]}]: Failed password for root from {src} port {40000 + PID[0] % 20000} ssh2\n"


def addr(block: int, i: int) -> str:
    """Distinct lab addresses: 198.18.0.0/15 has 131,072."""
    n = block * 40000 + i
    return f"198.{18 + n // 65536}.{n // 256 % 256}.{n % 256 or 1}"


class Monitor:
    """`nft monitor new elements` in a namespace: when each address first appeared."""

    def __init__(self, host):
        self.seen: dict[str, float] = {}
        self.proc = host.popen(["nft", "monitor", "new", "elements"], text=True, bufsize=1)
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        time.sleep(0.3)

    def _read(self):
        ip = re.compile(r"(\d+\.\d+\.\d+\.\d+|[0-9a-f:]+:[0-9a-f:]*)")
        for l in self.proc.stdout:
            t = time.monotonic()
            body = l[l.find("{") + 1:]
            with self.lock:
                for a in ip.findall(body):
                    self.seen.setdefault(a.split("/")[0], t)

    def when(self, a):
        with self.lock:
            return self.seen.get(a)

    def count(self, addrs):
        with self.lock:
            return sum(1 for a in addrs if a in self.seen)

    def stop(self):
        self.proc.terminate()


def wait(pred, timeout, step=0.002):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Tool:
    name = "?"

    def __init__(self, lab, tmp: Path, threshold: int):
        self.lab, self.tmp, self.threshold = lab, tmp, threshold
        self.host = lab.host(self.name.replace("2", "").replace("-", "")[:12])
        self.log = tmp / f"{self.name}.log"
        self.log.write_text("")
        self.procs = []

    def start(self):
        raise NotImplementedError

    def usage(self):
        """(CPU seconds, summed peak RSS in MiB) of every process in the namespace but nft monitor."""
        cpu, rss = 0.0, 0
        tck = os.sysconf("SC_CLK_TCK")
        for pid in self.host.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
                if comm == "nft":
                    continue
                f = stat[stat.rfind(")") + 2:].split()
                cpu += (int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) / tck
                for l in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if l.startswith("VmHWM:"):
                        rss += int(l.split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
        return cpu, rss / 1024

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM) if self.name == "sshguard" else p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        # sshguard's firewall script deletes its table as it exits, after the wrapper we waited
        # for: a late delete would remove the next run's table.
        wait(lambda: not self.host.pids(), 5, 0.05)
        self.host.run(["nft", "flush", "ruleset"], check=False)
        self.procs = []


class Reach(Tool):
    name = "reach"

    def start(self):
        cfg = self.tmp / "guard.yml"
        db = self.tmp / "guard.db"
        for f in self.tmp.glob("guard.db*"):
            f.unlink()
        cfg.write_text(f"guard:\n  sources: [ {{ file: {self.log}, rules: [sshd] }} ]\n"
                       f"  threshold: {{ failures: {self.threshold}, window: 10m, max_sources: 200000 }}\n"
                       f"  ban: {{ time: 1h }}\n  state: {db}\n")
        out = open(self.tmp / "reach.out", "w")  # a fresh file: "watching" must be this run's
        p = self.host.popen([str(lablib.reach_bin()), "guard", "--config", str(cfg), "--no-allow-ssh-client"],
                            stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        assert wait(lambda: "watching" in (self.tmp / "reach.out").read_text(), 10, 0.05), "reach guard did not start"


class Fail2ban(Tool):
    name = "fail2ban"

    def start(self):
        conf = self.tmp / "f2b"
        if conf.exists():
            shutil.rmtree(conf)
        shutil.copytree("/etc/fail2ban", conf)
        run = self.tmp / "f2brun"
        run.mkdir(exist_ok=True)
        (conf / "fail2ban.local").write_text(f"[Definition]\nloglevel = NOTICE\nlogtarget = {self.tmp}/f2b.out\n"
                                             f"socket = {run}/f.sock\npidfile = {run}/f.pid\ndbfile = :memory:\n")
        (conf / "jail.local").write_text(
            f"[DEFAULT]\nbanaction = nftables[type=allports]\nbanaction_allports = nftables[type=allports]\n"
            f"[sshd]\nenabled = true\nbackend = pyinotify\nlogpath = {self.log}\nmaxretry = {self.threshold}\n"
            f"findtime = 600\nbantime = 3600\nignoreip = 127.0.0.1/8\n")
        p = self.host.popen(["fail2ban-server", "-f", "-x", "-c", str(conf), "-s", str(run / "f.sock"),
                             "-p", str(run / "f.pid")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        ok = wait(lambda: self.host.run(["fail2ban-client", "-c", str(conf), "-s", str(run / "f.sock"), "ping"],
                                        check=False).returncode == 0, 20, 0.2)
        assert ok, "fail2ban did not start"
        time.sleep(1)


class Sshguard(Tool):
    name = "sshguard"

    def start(self):
        # -a: attack score (10 per sshd failure); the script reads /etc/sshguard/sshguard.conf
        # for its backend (sshg-fw-nft-sets) and takes the file as its only source.
        p = self.host.popen(["sshguard", "-a", str(10 * self.threshold), "-p", "3600", "-s", "1800", "-w",
                             "127.0.0.1", str(self.log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
        self.procs.append(p)
        time.sleep(1.5)


def append(path: Path, text: str):
    with open(path, "a") as f:
        f.write(text)


def bench_lines(tool: Tool, sources: int, cap: float, block: int):
    per = 90000 // sources
    # Nothing but the marker may be banned: a threshold just above each source's lines (the
    # 100k-source run then has a real config's threshold of 5, which its RSS is measured with).
    tool.threshold = min(100, max(5, per + 1))
    tool.start()
    mon = Monitor(tool.host)
    srcs = [addr(block, i) for i in range(min(sources, 90000))]
    body = "".join(line(srcs[i % len(srcs)]) for i in range(90000)) if per < 1 else \
        "".join(line(s) for _ in range(per) for s in srcs)
    body += "".join(line(srcs[i]) for i in range(90000 - per * len(srcs))) if per >= 1 else ""
    marker = addr(3, 1)
    body += "".join(line(marker) for _ in range(tool.threshold))
    t0 = time.monotonic()
    append(tool.log, body)
    ok = wait(lambda: mon.when(marker) is not None, cap, 0.01)
    dt = (mon.when(marker) - t0) if ok else None
    use = tool.usage()
    mon.stop()
    tool.stop()
    tool.log.write_text("")
    return (((90000 + tool.threshold) / dt) if dt else None), use


def bench_latency(tool: Tool, samples: int, background: bool, block: int):
    tool.threshold = 5
    tool.start()
    mon = Monitor(tool.host)
    stop = threading.Event()

    def writer():  # 10k lines/s in 100-line chunks from sources that never reach 5 failures
        i = 0
        nxt = time.monotonic()
        while not stop.is_set():
            append(tool.log, "".join(line(addr(block + 1, (i + k) // 2 % 40000)) for k in range(100)))
            i += 100
            nxt += 0.01
            time.sleep(max(0.0, nxt - time.monotonic()))

    th = threading.Thread(target=writer, daemon=True)
    if background:
        th.start()
        time.sleep(2)
    lat = []
    for n in range(samples):
        a = addr(block, n)
        t0 = time.monotonic()
        append(tool.log, "".join(line(a) for _ in range(5)))
        if wait(lambda: mon.when(a) is not None, 5):
            lat.append((mon.when(a) - t0) * 1000)
        time.sleep(0.1)
    stop.set()
    mon.stop()
    tool.stop()
    tool.log.write_text("")
    return lat


# Run in the tool's namespace: every 2 ms, libnftables (python3-nftables) lists the ruleset and
# counts the burst's addresses found in any set; prints CLOCK_MONOTONIC (one clock for every
# namespace) when all are there. Unlike `nft monitor`, it adds no work to the tool's own
# transaction (the kernel builds a monitor event per element inside it: 2-3 ms for 1,000
# elements alone, 15-17 ms with a monitor listening).
POLLER = r"""
import json, sys, time, nftables
want = set(open(sys.argv[1]).read().split())
cap = time.monotonic() + float(sys.argv[2])
n = nftables.Nftables()
n.set_json_output(True)
while time.monotonic() < cap:
    rc, out, _ = n.cmd("list ruleset")
    seen = set()
    for o in json.loads(out or '{"nftables": []}')["nftables"] if rc == 0 else []:
        for e in o.get("set", {}).get("elem", []):
            v = e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e
            v = v.get("prefix", {}).get("addr", "") if isinstance(v, dict) else v
            if isinstance(v, str):
                seen.add(v.split("/")[0])
    got = len(want & seen)
    if got == len(want):
        break
    time.sleep(0.002)
print(json.dumps({"got": got, "when": time.monotonic()}), flush=True)
"""


def bench_burst(tool: Tool, cap: float, k: int):
    """The k-th burst (k < 8): attackers of its own, so no tool remembers them from another."""
    tool.threshold = 5
    tool.start()
    srcs = sorted({addr(3, 2000 + 1100 * k + i) for i in range(1000)})  # 996: addr() skips .0
    want = tool.tmp / "burst.addrs"
    want.write_text("\n".join(srcs))
    poller = tool.host.popen([sys.executable, "-c", POLLER, str(want), str(cap)], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    t0 = time.monotonic()
    append(tool.log, "".join(line(s) for _ in range(5) for s in srcs))
    out = json.loads(poller.communicate(timeout=cap + 30)[0].strip().splitlines()[-1])
    tool.stop()
    if tool.name == "reach":  # its own account of each batch: size, latency, time in nftables
        for l in (tool.tmp / "reach.out").read_text().splitlines():
            if "batch:" in l:
                print(f"reach: {l[l.find('batch:'):]}", flush=True)
    tool.log.write_text("")
    n = out["got"]
    return n, (n / (out["when"] - t0) if n == len(srcs) else None)


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def fmt(x, unit=""):
    return "-" if x is None else (f"{x:,.0f}{unit}" if x >= 100 else f"{x:.1f}{unit}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", default="reach,fail2ban,sshguard")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--cap", type=float, default=60.0, help="seconds a run may take")
    ap.add_argument("--bursts", type=int, default=3, help="burst runs per tool, at most 8 (the median is reported)")
    ap.add_argument("--burst-only", action="store_true", help="only the burst")
    a = ap.parse_args()
    if not lablib.is_root():
        sys.exit("guard_bench: needs root (network namespaces)")
    if not lablib.reach_bin().exists():
        sys.exit(f"guard_bench: {lablib.reach_bin()} not built")
    need = [p for t, p in (("fail2ban", "fail2ban"), ("sshguard", "sshguard")) if t in a.tools and not shutil.which(
        "fail2ban-server" if t == "fail2ban" else "sshguard")]
    if subprocess.run([sys.executable, "-c", "import nftables"], capture_output=True).returncode != 0:
        need.append("python3-nftables")  # the burst's poller
    if need:
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *need], check=True)
    classes = {"reach": Reach, "fail2ban": Fail2ban, "sshguard": Sshguard}
    rows = {}
    with lablib.Lab() as lab:
        tmp = Path(lab.tmpdir)
        for name in a.tools.split(","):
            d = tmp / name
            d.mkdir()
            tool = classes[name](lab, d, 5)
            r = {}
            if a.burst_only:
                runs = [bench_burst(tool, a.cap, k) for k in range(min(8, max(1, a.bursts)))]
                print(f"{name}: bans/s of 1,000 attackers, {len(runs)} bursts: "
                      f"{', '.join(fmt(x[1]) + ' (' + str(x[0]) + ')' for x in runs)}", flush=True)
                continue
            for i, s in enumerate((1000, 10000, 100000)):
                r[f"lines_{s}"], r[f"use_{s}"] = bench_lines(tool, s, a.cap, i % 2)
                print(f"{name}: {s} sources: {fmt(r[f'lines_{s}'])} lines/s, CPU {r[f'use_{s}'][0]:.1f} s, "
                      f"peak RSS {r[f'use_{s}'][1]:.1f} MiB", flush=True)
            r["idle"] = bench_latency(tool, a.samples, False, 2)
            print(f"{name}: idle p50 {fmt(pct(r['idle'], 50))} ms p99 {fmt(pct(r['idle'], 99))} ms "
                  f"({len(r['idle'])}/{a.samples} banned)", flush=True)
            r["load"] = bench_latency(tool, a.samples, True, 0)
            print(f"{name}: under 10k lines/s p50 {fmt(pct(r['load'], 50))} ms p99 {fmt(pct(r['load'], 99))} ms "
                  f"({len(r['load'])}/{a.samples} banned)", flush=True)
            runs = []
            for k in range(min(8, max(1, a.bursts))):
                runs.append(bench_burst(tool, a.cap, k))
                print(f"{name}: 1,000 attackers: {runs[-1][0]} banned, {fmt(runs[-1][1])} bans/s", flush=True)
            r["burst"] = sorted(runs, key=lambda x: x[1] or 0)[len(runs) // 2]
            rows[name] = r
    if a.burst_only:
        return
    print("\n| tool | lines/s 1k src | 10k src | 100k src | ban idle p50 / p99 ms | under 10k lines/s p50 / p99 ms "
          "| bans/s (1,000 at once) | CPU s / peak RSS MiB (100k src) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {fmt(r['lines_1000'])} | {fmt(r['lines_10000'])} | {fmt(r['lines_100000'])} | "
              f"{fmt(pct(r['idle'], 50))} / {fmt(pct(r['idle'], 99))} ({len(r['idle'])}/{a.samples}) | "
              f"{fmt(pct(r['load'], 50))} / {fmt(pct(r['load'], 99))} ({len(r['load'])}/{a.samples}) | "
              f"{fmt(r['burst'][1])} ({r['burst'][0]}/996) | {r['use_100000'][0]:.1f} / {r['use_100000'][1]:.1f} |")


if __name__ == "__main__":
    main()
